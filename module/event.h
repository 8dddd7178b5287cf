/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Re-delivery of an event an exit cut short (AMD-V EXITINTINFO, VT-x
 * IDT-vectoring information): what the next entry must inject, and the
 * length of the instruction behind a software event.  Pure C, shared by
 * domus.ko and the unit tests (tests/unit/test_event.c).
 *
 * Facts the rules follow (SDM vol. 3 "VM Entries"/"VM Exits", APM vol. 2
 * 15.7 and 15.20):
 * - VT-x reports INT n as a software interrupt (type 4), INT3/INTO as
 *   software exceptions (6) and ICEBP's #DB as a privileged software
 *   exception (5), with the instruction's length in the VM-exit
 *   instruction-length field; re-injection needs the same type and that
 *   length in the VM-entry instruction-length field (1-15).
 * - AMD-V has no software-exception type: INT n is type 4, INT3/INTO are
 *   exceptions (type 3, vectors 3 and 4; QEMU's model reports them as
 *   type 4).  The guest's RIP points at the instruction; re-injection
 *   must step RIP past it (and set next_rip with NRIP save), so the
 *   length is decoded from guest memory.  ICEBP is not distinguishable in
 *   EXITINTINFO, so domus intercepts ICEBP itself.
 * - Hardware exceptions, NMIs and external interrupts go back as they
 *   were, error code (with its EXT and IDT bits) unchanged.
 */
#ifndef DOMUS_EVENT_H
#define DOMUS_EVENT_H

#include "puretypes.h"
#include "x86emu.h"

/* Event types, bits 10:8 of the information word (both vendors). */
#define DOMUS_EVT_INTR		0
#define DOMUS_EVT_NMI		2
#define DOMUS_EVT_HW_EXC	3
#define DOMUS_EVT_SOFT_INT	4
#define DOMUS_EVT_PRIV_SW_EXC	5	/* VT-x only: ICEBP */
#define DOMUS_EVT_SOFT_EXC	6	/* VT-x only: INT3, INTO */

#define DOMUS_EVT_VALID		(1u << 31)

static inline unsigned int domus_evt_type(u32 info)
{
	return (info >> 8) & 7;
}

enum domus_redeliver {
	DOMUS_REDELIVER_NONE,		/* nothing, or re-execute the instruction */
	DOMUS_REDELIVER_AS_IS,		/* inject the same information again */
	DOMUS_REDELIVER_WITH_LEN,	/* a software event: with its instruction length */
};

/* VT-x: IDT-vectoring information @info, VM-exit instruction length @len. */
enum domus_redeliver domus_vmx_redeliver(u32 info, u32 len);
/* AMD-V: EXITINTINFO (low half) @info. */
enum domus_redeliver domus_svm_redeliver(u32 info);

/*
 * Length of the instruction in @buf (@n bytes fetched at the guest's RIP,
 * decoded in @mode) that raised @vector as a software event: INT n
 * (CD ib, ib == @vector) when @soft_int, INT3 (CC) for vector 3, INTO
 * (CE, not in 64-bit mode) for 4, ICEBP (F1) for 1; legacy prefixes and
 * in 64-bit mode one REX byte before the opcode.  -1 when the bytes are
 * none of these (the guest changed them, or they are not readable).
 */
int domus_soft_event_len(const u8 *buf, unsigned int n, enum x86emu_mode mode,
			 u8 vector, bool soft_int);

#endif /* DOMUS_EVENT_H */
