// SPDX-License-Identifier: GPL-2.0-only
/*
 * Length of an intercepted fixed-opcode instruction (insnlen.h).
 */
#include "insnlen.h"

static bool insnlen_is_prefix(u8 b)
{
	switch (b) {
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		return true;
	default:
		return false;
	}
}

int insnlen_fixed(const u8 *buf, unsigned int n, enum x86emu_mode mode,
		  const u8 *op, unsigned int olen)
{
	unsigned int i = 0, k;

	if (n > X86EMU_MAX_INSN_LEN)
		n = X86EMU_MAX_INSN_LEN;
	while (i < n && insnlen_is_prefix(buf[i]))
		i++;
	/* REX counts only right before the opcode, and only in 64-bit mode */
	if (mode == X86EMU_MODE_LONG64 && i < n && (buf[i] & 0xf0) == 0x40)
		i++;
	if (olen == 0 || olen > n - i)
		return -1;
	for (k = 0; k < olen; k++)
		if (buf[i + k] != op[k])
			return -1;
	return i + olen;
}

int insnlen_mov_to_cr(const u8 *buf, unsigned int n, enum x86emu_mode mode,
		      unsigned int *cr, unsigned int *gpr)
{
	unsigned int i = 0, rex = 0;
	bool lock = false;
	u8 modrm;

	if (n > X86EMU_MAX_INSN_LEN)
		n = X86EMU_MAX_INSN_LEN;
	while (i < n && insnlen_is_prefix(buf[i]))
		lock |= buf[i++] == 0xf0;
	if (mode == X86EMU_MODE_LONG64 && i < n && (buf[i] & 0xf0) == 0x40)
		rex = buf[i++];
	if (n - i < 3 || buf[i] != 0x0f || buf[i + 1] != 0x22)
		return -1;
	modrm = buf[i + 2];
	/* the ModRM mod field is ignored: the operand is always a register */
	*cr = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	*gpr = (modrm & 7) | (rex & 1 ? 8 : 0);
	/* LOCK MOV CR0 is AMD's encoding of CR8 outside 64-bit mode */
	if (lock && *cr == 0)
		*cr = 8;
	else if (lock)
		return -1;
	return i + 3;
}
