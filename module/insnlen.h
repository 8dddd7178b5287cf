/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Length of an intercepted instruction whose opcode the exit names
 * (CPUID, RDMSR, VMMCALL, ...), for CPUs that do not report it (AMD-V
 * without NRIP save).  Pure C, shared by domus.ko and the unit tests
 * (tests/unit/test_insnlen.c).
 */
#ifndef DOMUS_INSNLEN_H
#define DOMUS_INSNLEN_H

#include "puretypes.h"
#include "x86emu.h"

/*
 * @buf holds the @n bytes fetched at the guest's RIP (n <= 15), decoded
 * in @mode.  The instruction must be legacy prefixes (66 67 F0 F2 F3 and
 * the segment overrides, any number), then in 64-bit mode at most one REX
 * byte, then exactly the @olen opcode bytes @op (no ModRM beyond what @op
 * fixes, no immediate).  Returns its length, or -1 when the bytes are
 * not that instruction (the guest changed them meanwhile, or they were
 * not fully readable) or the whole exceeds 15 bytes.
 */
int insnlen_fixed(const u8 *buf, unsigned int n, enum x86emu_mode mode,
		  const u8 *op, unsigned int olen);

/*
 * MOV to a control register (0F 22 /r) at the guest's RIP, for a CR write
 * intercept without decode assists: prefixes as above, REX.R extending
 * the CR number and REX.B the register.  Sets *@cr and *@gpr (0-15, in
 * the RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8.. order); returns the
 * length, or -1 when the bytes are not such an instruction.
 */
int insnlen_mov_to_cr(const u8 *buf, unsigned int n, enum x86emu_mode mode,
		      unsigned int *cr, unsigned int *gpr);

#endif /* DOMUS_INSNLEN_H */
