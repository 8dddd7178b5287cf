// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/event.c: how an event an exit cut short is
 * delivered again on each vendor, and the length of the instruction
 * behind a software event, including what the emulated test CPUs never
 * report (AMD-V's INT3/INTO as exceptions, VT-x software exceptions with
 * odd lengths, prefixed and REX-prefixed INT n, a rewritten instruction).
 */
#include <stdint.h>
#include <stdio.h>
#include "event.h"
#include "unit.h"

#define V	DOMUS_EVT_VALID
#define INFO(type, vec)	(V | ((uint32_t)(type) << 8) | (vec))
#define ERRV		(1u << 11)

static void vmx_types(void)
{
	/* not valid: nothing, whatever the length */
	EXPECT(domus_vmx_redeliver(0, 2) == DOMUS_REDELIVER_NONE);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_INT, 0x40) & ~V, 2) == DOMUS_REDELIVER_NONE);
	/* external interrupt, NMI, hardware exception (with error code): as they were */
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_INTR, 0x30), 0) == DOMUS_REDELIVER_AS_IS);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_NMI, 2), 0) == DOMUS_REDELIVER_AS_IS);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_HW_EXC, 14) | ERRV, 0) == DOMUS_REDELIVER_AS_IS);
	/* INT n (4), ICEBP (5), INT3/INTO (6): with their length, 1-15 */
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_INT, 0x80), 2) == DOMUS_REDELIVER_WITH_LEN);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_PRIV_SW_EXC, 1), 1) == DOMUS_REDELIVER_WITH_LEN);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_EXC, 3), 1) == DOMUS_REDELIVER_WITH_LEN);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_EXC, 4), 15) == DOMUS_REDELIVER_WITH_LEN);
	/* a length VM entry would refuse: the instruction runs again instead */
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_INT, 0x80), 0) == DOMUS_REDELIVER_NONE);
	EXPECT(domus_vmx_redeliver(INFO(DOMUS_EVT_SOFT_EXC, 3), 16) == DOMUS_REDELIVER_NONE);
	/* type 7 (other event) and the reserved type 1 */
	EXPECT(domus_vmx_redeliver(INFO(7, 0), 1) == DOMUS_REDELIVER_NONE);
	EXPECT(domus_vmx_redeliver(INFO(1, 0), 1) == DOMUS_REDELIVER_NONE);
}

static void svm_types(void)
{
	EXPECT(domus_svm_redeliver(0) == DOMUS_REDELIVER_NONE);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_INTR, 0x30)) == DOMUS_REDELIVER_AS_IS);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_NMI, 2)) == DOMUS_REDELIVER_AS_IS);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_HW_EXC, 13) | ERRV) == DOMUS_REDELIVER_AS_IS);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_HW_EXC, 1)) == DOMUS_REDELIVER_AS_IS);
	/* INT3 and INTO are exceptions on AMD-V, traps after the instruction */
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_HW_EXC, 3)) == DOMUS_REDELIVER_WITH_LEN);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_HW_EXC, 4)) == DOMUS_REDELIVER_WITH_LEN);
	EXPECT(domus_svm_redeliver(INFO(DOMUS_EVT_SOFT_INT, 0x80)) == DOMUS_REDELIVER_WITH_LEN);
	/* AMD-V has no types 5-7 */
	EXPECT(domus_svm_redeliver(INFO(5, 1)) == DOMUS_REDELIVER_NONE);
	EXPECT(domus_svm_redeliver(INFO(6, 3)) == DOMUS_REDELIVER_NONE);
}

static int len(const uint8_t *b, unsigned int n, enum x86emu_mode m, uint8_t vec, bool soft)
{
	return domus_soft_event_len(b, n, m, vec, soft);
}

static void lengths(void)
{
	static const uint8_t int80[] = { 0xcd, 0x80 }, int3[] = { 0xcc }, into[] = { 0xce };
	static const uint8_t icebp[] = { 0xf1 }, int_3[] = { 0xcd, 0x03 };
	static const uint8_t pfx_int[] = { 0x66, 0x2e, 0xcd, 0x21 }, rex_int[] = { 0x48, 0xcd, 0x21 };
	static const uint8_t rex_int3[] = { 0xf3, 0x41, 0xcc };
	static const uint8_t long_pfx[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					      0x66, 0x66, 0x66, 0x66, 0x66, 0xcd, 0x21 };
	static const uint8_t too_long[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xcd, 0x21 };

	EXPECT(len(int80, 2, X86EMU_MODE_LONG64, 0x80, true) == 2);
	EXPECT(len(int3, 1, X86EMU_MODE_LONG64, 3, false) == 1);
	/* QEMU reports INT3 as a software interrupt with vector 3 */
	EXPECT(len(int3, 1, X86EMU_MODE_LONG64, 3, true) == 1);
	EXPECT(len(int_3, 2, X86EMU_MODE_PROT32, 3, true) == 2);
	EXPECT(len(into, 1, X86EMU_MODE_PROT32, 4, false) == 1);
	EXPECT(len(into, 1, X86EMU_MODE_REAL16, 4, true) == 1);
	EXPECT(len(icebp, 1, X86EMU_MODE_LONG64, 1, false) == 1);
	EXPECT(len(pfx_int, 4, X86EMU_MODE_PROT32, 0x21, true) == 4);
	EXPECT(len(rex_int, 3, X86EMU_MODE_LONG64, 0x21, true) == 3);
	EXPECT(len(rex_int3, 3, X86EMU_MODE_LONG64, 3, false) == 3);
	EXPECT(len(long_pfx, 15, X86EMU_MODE_LONG64, 0x21, true) == 15);
	/* more than 15 bytes is no instruction */
	EXPECT(len(too_long, 16, X86EMU_MODE_LONG64, 0x21, true) == -1);
	/* REX is an opcode (INC/DEC) outside 64-bit mode */
	EXPECT(len(rex_int, 3, X86EMU_MODE_PROT32, 0x21, true) == -1);
	/* INTO does not exist in 64-bit mode */
	EXPECT(len(into, 1, X86EMU_MODE_LONG64, 4, false) == -1);
	/* the bytes changed since the event: another vector, another instruction */
	EXPECT(len(int80, 2, X86EMU_MODE_LONG64, 0x81, true) == -1);
	EXPECT(len(int3, 1, X86EMU_MODE_LONG64, 4, false) == -1);
	EXPECT(len(int80, 2, X86EMU_MODE_LONG64, 0x80, false) == -1);	/* INT n is no exception */
	EXPECT(len(icebp, 1, X86EMU_MODE_LONG64, 1, true) == -1);	/* ICEBP is no INT 1 */
	/* truncated: the immediate not readable */
	EXPECT(len(int80, 1, X86EMU_MODE_LONG64, 0x80, true) == -1);
	EXPECT(len(int80, 0, X86EMU_MODE_LONG64, 0x80, true) == -1);
}

int main(void)
{
	RUN(UNIT_PREFIX, vmx_types);
	RUN(UNIT_PREFIX, svm_types);
	RUN(UNIT_PREFIX, lengths);
	return unit_failed;
}
