// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/insnlen.c: the length of an intercepted
 * instruction with and without prefixes, in each mode, and refusal of
 * bytes that are not the instruction that exited.
 */
#include <stdint.h>
#include <stdio.h>
#include "insnlen.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "unit"
#endif

static const u8 cpuid[] = { 0x0f, 0xa2 };
static const u8 vmmcall[] = { 0x0f, 0x01, 0xd9 };
static const u8 rdmsr[] = { 0x0f, 0x32 };
static const u8 hlt[] = { 0xf4 };

#define LEN(bytes, mode, op) \
	insnlen_fixed((const u8 *)(bytes), sizeof(bytes) - 1, mode, op, sizeof(op))

static void plain(void)
{
	EXPECT(LEN("\x0f\xa2", X86EMU_MODE_REAL16, cpuid) == 2);
	EXPECT(LEN("\x0f\xa2\x90\x90", X86EMU_MODE_LONG64, cpuid) == 2);
	EXPECT(LEN("\x0f\x01\xd9", X86EMU_MODE_PROT32, vmmcall) == 3);
	EXPECT(LEN("\x0f\x32", X86EMU_MODE_PROT16, rdmsr) == 2);
	EXPECT(LEN("\xf4", X86EMU_MODE_LONG64, hlt) == 1);
}

static void prefixed(void)
{
	/* the case: 66 0F A2 is three bytes, not two */
	EXPECT(LEN("\x66\x0f\xa2", X86EMU_MODE_REAL16, cpuid) == 3);
	EXPECT(LEN("\x66\x67\xf3\x2e\x0f\xa2", X86EMU_MODE_PROT32, cpuid) == 6);
	EXPECT(LEN("\x3e\x0f\x01\xd9", X86EMU_MODE_LONG64, vmmcall) == 4);
	EXPECT(LEN("\x48\x0f\x32", X86EMU_MODE_LONG64, rdmsr) == 3);	/* REX.W */
	EXPECT(LEN("\x66\x48\x0f\xa2", X86EMU_MODE_LONG64, cpuid) == 4);
	EXPECT(LEN("\x26\x64\x65\x36\xf2\xf0\x0f\x32", X86EMU_MODE_PROT32, rdmsr) == 8);
	/* fourteen prefixes and a one-byte opcode: 15 bytes, the limit */
	EXPECT(LEN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\xf4",
		   X86EMU_MODE_LONG64, hlt) == 15);
}

static void refused(void)
{
	/* 0x48 is DEC EAX outside 64-bit mode, not a prefix */
	EXPECT(LEN("\x48\x0f\xa2", X86EMU_MODE_PROT32, cpuid) == -1);
	/* REX must come last */
	EXPECT(LEN("\x48\x66\x0f\xa2", X86EMU_MODE_LONG64, cpuid) == -1);
	EXPECT(LEN("\x0f\xa3", X86EMU_MODE_LONG64, cpuid) == -1);
	EXPECT(LEN("\x0f\x01\xc1", X86EMU_MODE_LONG64, vmmcall) == -1);
	EXPECT(LEN("\x0f", X86EMU_MODE_LONG64, cpuid) == -1);	/* truncated */
	EXPECT(LEN("\x66\x66", X86EMU_MODE_LONG64, cpuid) == -1);
	EXPECT(insnlen_fixed((const u8 *)"", 0, X86EMU_MODE_LONG64, cpuid, 2) == -1);
	/* more than 15 bytes in all */
	EXPECT(LEN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\xa2",
		   X86EMU_MODE_LONG64, cpuid) == -1);
}

#define MOVCR(bytes, mode) \
	insnlen_mov_to_cr((const u8 *)(bytes), sizeof(bytes) - 1, mode, &cr, &gpr)

static void mov_to_cr(void)
{
	unsigned int cr = 99, gpr = 99;

	/* mov %rax,%cr4: 0F 22 E0 */
	EXPECT(MOVCR("\x0f\x22\xe0", X86EMU_MODE_LONG64) == 3 && cr == 4 && gpr == 0);
	/* mov %rsp,%cr4 (rm = 4) and mov %rdi,%cr4 */
	EXPECT(MOVCR("\x0f\x22\xe4", X86EMU_MODE_LONG64) == 3 && cr == 4 && gpr == 4);
	EXPECT(MOVCR("\x0f\x22\xe7", X86EMU_MODE_PROT32) == 3 && cr == 4 && gpr == 7);
	/* mov %r9,%cr4: REX.B; mov %rax,%cr0 */
	EXPECT(MOVCR("\x41\x0f\x22\xe1", X86EMU_MODE_LONG64) == 4 && cr == 4 && gpr == 9);
	EXPECT(MOVCR("\x0f\x22\xc0", X86EMU_MODE_LONG64) == 3 && cr == 0 && gpr == 0);
	/* REX.R: CR8; the mod field is ignored (00 still means a register) */
	EXPECT(MOVCR("\x44\x0f\x22\xc3", X86EMU_MODE_LONG64) == 4 && cr == 8 && gpr == 3);
	EXPECT(MOVCR("\x0f\x22\x20", X86EMU_MODE_LONG64) == 3 && cr == 4 && gpr == 0);
	/* prefixes count; LOCK MOV CR0 is CR8 */
	EXPECT(MOVCR("\x66\x2e\x0f\x22\xe2", X86EMU_MODE_PROT32) == 5 && cr == 4 && gpr == 2);
	EXPECT(MOVCR("\xf0\x0f\x22\xc0", X86EMU_MODE_PROT32) == 4 && cr == 8);
	/* refused: LOCK with another CR, REX outside 64-bit mode, other opcodes */
	EXPECT(MOVCR("\xf0\x0f\x22\xe0", X86EMU_MODE_PROT32) == -1);
	EXPECT(MOVCR("\x41\x0f\x22\xe1", X86EMU_MODE_PROT32) == -1);
	EXPECT(MOVCR("\x0f\x20\xe0", X86EMU_MODE_LONG64) == -1);	/* MOV from CR */
	EXPECT(MOVCR("\x0f\x22", X86EMU_MODE_LONG64) == -1);		/* truncated */
}

int main(void)
{
	RUN(UNIT_PREFIX, plain);
	RUN(UNIT_PREFIX, prefixed);
	RUN(UNIT_PREFIX, refused);
	RUN(UNIT_PREFIX, mov_to_cr);
	return unit_failed;
}
