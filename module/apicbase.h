/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IA32_APIC_BASE rules of domus (SDM vol. 3, "Local APIC Status and
 * Location" and "x2APIC State Transitions"), used by the core's WRMSR and
 * DOMUS_SET_SREGS paths.  Pure C, shared by domus.ko and the userland unit
 * tests (tests/unit/test_apicbase.c).
 */
#ifndef DOMUS_APICBASE_H
#define DOMUS_APICBASE_H

#include "puretypes.h"

#define DOMUS_APICBASE_BSP	(1ULL << 8)	/* read-only */
#define DOMUS_APICBASE_EXTD	(1ULL << 10)	/* x2APIC mode */
#define DOMUS_APICBASE_EN	(1ULL << 11)	/* APIC global enable */
#define DOMUS_APICBASE_ADDR	(~0xfffULL)	/* bits 12..MAXPHYADDR-1 */
#define DOMUS_APICBASE_DEFAULT	0xfee00000ULL

/* The state EN and EXTD select. */
enum domus_apic_mode {
	DOMUS_APIC_DISABLED,	/* EN = 0, EXTD = 0 */
	DOMUS_APIC_INVALID,	/* EN = 0, EXTD = 1: never reachable */
	DOMUS_APIC_XAPIC,	/* EN = 1, EXTD = 0 */
	DOMUS_APIC_X2APIC,	/* EN = 1, EXTD = 1 */
};

enum domus_apic_mode domus_apic_mode(u64 base);

/*
 * The bits of IA32_APIC_BASE that are reserved for a guest whose
 * MAXPHYADDR is @phys_bits (clamped to 36..52): 0-7, 9, and
 * MAXPHYADDR-63.
 */
u64 domus_apicbase_reserved(unsigned int phys_bits);

/*
 * Is @val a state IA32_APIC_BASE may hold (no reserved bit, not the
 * invalid EN = 0 / EXTD = 1 combination)?  For DOMUS_SET_SREGS, which
 * may restore any valid state.
 */
bool domus_apicbase_valid(u64 val, unsigned int phys_bits);

/*
 * A WRMSR of @val when the register holds @old: 0 and *@out = the new
 * value (the BSP bit kept from @old), or -1 for #GP: a reserved bit, the
 * invalid state, x2APIC -> xAPIC, or disabled -> x2APIC (x2APIC is only
 * entered from xAPIC; it is left only to disabled).
 */
int domus_apicbase_write(u64 old, u64 val, unsigned int phys_bits, u64 *out);

#endif /* DOMUS_APICBASE_H */
