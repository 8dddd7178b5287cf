/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 instruction decoder and emulator for guest accesses to emulated
 * MMIO.  Pure C: built into domus.ko and into the userland unit tests
 * (tests/unit/test_x86emu.c).  No allocation, no recursion; every loop is
 * bounded by the 15-byte instruction limit.
 *
 * Use:
 *	struct x86emu_ctxt c = { .ops = &ops, .opaque = vcpu, .regs = &regs,
 *				 .mode = mode };
 *	if (x86emu_decode(bytes, n, mode, &c.insn))
 *		-> emulation failure (report the bytes);
 *	c.mmio_is_dest = fault_was_write;	(MOVS only, see below)
 *	step = x86emu_start(&c);
 *	while (step == X86EMU_MMIO_READ || step == X86EMU_MMIO_WRITE) {
 *		read:  fetch c.mmio_len bytes at the faulting gpa into buf,
 *		       step = x86emu_complete(&c, buf);
 *		write: store c.mmio_data[0 .. c.mmio_len) at the gpa,
 *		       step = x86emu_complete(&c, NULL);
 *	}
 *	DONE: c.regs (GPRs, RIP, RFLAGS) hold the result.
 *	FAIL: nothing in c.regs was changed; if c.fault is set, a read_mem or
 *	      write_mem callback failed at linear address c.fault_la (the core
 *	      may inject the fault it recorded and re-enter the guest, which
 *	      re-executes the instruction); otherwise the instruction cannot be
 *	      emulated.
 *
 * Only the memory operand is MMIO: the hardware reports its guest-physical
 * address, so the decoder skips ModRM/SIB/displacement without computing
 * an effective address.  Forms without a memory operand (ModRM.mod == 3)
 * are rejected.  The one RAM operand that is computed is the other side of
 * MOVS (rSI / rDI with the address size and segment base).
 *
 * Supported (everything else makes x86emu_decode() return -1):
 *	88 89 8A 8B		MOV r/m,r and r,r/m (8/16/32/64)
 *	C6 /0, C7 /0		MOV r/m,imm (C7 with REX.W: imm32 sign-extended)
 *	A0 A1 A2 A3		MOV AL/rAX <-> moffs (offset of the address size)
 *	0F B6 0F B7 0F BE 0F BF	MOVZX / MOVSX
 *	63 (64-bit mode)	MOVSXD (REX.W); without REX.W a plain load
 *	AA AB, A4 A5		STOS, MOVS, with REP (F3; F2 acts the same)
 *	00-03 08-0B 10-13 18-1B 20-23 28-2B 30-33 38-3B
 *				ADD OR ADC SBB AND SUB XOR CMP, both
 *				directions (memory destination = read, then
 *				write; CMP never writes)
 *	80 /0-7, 81 /0-7, 83 /0-7	the same with imm8 / imm16/32 / simm8
 *	84 85, F6 /0, F7 /0	TEST (read only, flags)
 *	0F BA /4-7		BT BTS BTR BTC m,imm8 (CF only)
 * LOCK is accepted only on the memory-destination read-modify-write forms
 * (not CMP/TEST/MOV, as on hardware).  The read and the write are two
 * separate MMIO accesses.  Segment overrides are recorded; in 64-bit mode
 * only FS/GS have a base (seg_base() is not called for ES/CS/SS/DS).
 * Segment limits and alignment are not checked.
 */
#ifndef DOMUS_X86EMU_H
#define DOMUS_X86EMU_H

#include "puretypes.h"

#define X86EMU_MAX_INSN_LEN	15

enum x86emu_mode {
	X86EMU_MODE_REAL16,	/* real mode / virtual-8086 */
	X86EMU_MODE_PROT16,	/* protected mode, CS.D = 0 */
	X86EMU_MODE_PROT32,	/* protected or compatibility mode, CS.D = 1 */
	X86EMU_MODE_LONG64,	/* 64-bit mode (EFER.LMA and CS.L) */
};

/* GPR index = hardware encoding: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
enum {
	X86EMU_RAX, X86EMU_RCX, X86EMU_RDX, X86EMU_RBX,
	X86EMU_RSP, X86EMU_RBP, X86EMU_RSI, X86EMU_RDI,
};

struct x86emu_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
};

/* RFLAGS bits the emulator reads or writes */
#define X86EMU_FL_CF	(1ULL << 0)
#define X86EMU_FL_PF	(1ULL << 2)
#define X86EMU_FL_AF	(1ULL << 4)
#define X86EMU_FL_ZF	(1ULL << 6)
#define X86EMU_FL_SF	(1ULL << 7)
#define X86EMU_FL_DF	(1ULL << 10)
#define X86EMU_FL_OF	(1ULL << 11)
#define X86EMU_FL_ARITH	(X86EMU_FL_CF | X86EMU_FL_PF | X86EMU_FL_AF | \
			 X86EMU_FL_ZF | X86EMU_FL_SF | X86EMU_FL_OF)

/* Segment numbers (seg_base() argument, x86emu_insn.seg) */
enum { X86EMU_ES, X86EMU_CS, X86EMU_SS, X86EMU_DS, X86EMU_FS, X86EMU_GS };

struct x86emu_ops {
	/*
	 * Guest memory by linear address (segment base already added; for
	 * modes below 64-bit the address is truncated to 32 bits), for the
	 * RAM side of MOVS.  Return 0, or -1 on a fault.  The core walks the
	 * guest page tables (and may itself route the access to MMIO).
	 */
	int (*read_mem)(void *opaque, u64 la, void *buf, unsigned int len);
	int (*write_mem)(void *opaque, u64 la, const void *buf, unsigned int len);
	/* Segment base; seg is X86EMU_ES..X86EMU_GS (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS) */
	u64 (*seg_base)(void *opaque, int seg);
};

enum x86emu_kind {
	X86EMU_K_INVALID = 0,
	X86EMU_K_MOV_STORE,	/* mem <- reg or imm: 88 89 A2 A3 C6 C7 */
	X86EMU_K_MOV_LOAD,	/* reg <- mem: 8A 8B A0 A1, 63 without REX.W */
	X86EMU_K_MOVZX,		/* reg <- zero-extended mem: 0F B6 0F B7 */
	X86EMU_K_MOVSX,		/* reg <- sign-extended mem: 0F BE 0F BF, 63 + REX.W */
	X86EMU_K_STOS,		/* AA AB */
	X86EMU_K_MOVS,		/* A4 A5 */
	X86EMU_K_ALU,		/* insn.alu: two-operand arithmetic / logic */
	X86EMU_K_TEST,		/* 84 85 F6/0 F7/0 */
	X86EMU_K_BT,		/* 0F BA /4-7; insn.alu = 4 BT, 5 BTS, 6 BTR, 7 BTC */
};

/* insn.alu for X86EMU_K_ALU: the /digit of opcodes 80-83 */
enum x86emu_alu {
	X86EMU_ALU_ADD, X86EMU_ALU_OR, X86EMU_ALU_ADC, X86EMU_ALU_SBB,
	X86EMU_ALU_AND, X86EMU_ALU_SUB, X86EMU_ALU_XOR, X86EMU_ALU_CMP,
};

/* insn.prefixes */
#define X86EMU_PFX_OPSIZE	0x01	/* 66 */
#define X86EMU_PFX_ADSIZE	0x02	/* 67 */
#define X86EMU_PFX_LOCK		0x04	/* F0 */
#define X86EMU_PFX_REP		0x08	/* F3 */
#define X86EMU_PFX_REPNE	0x10	/* F2 */

/* REX bits (insn.rex; 0 = no REX prefix) */
#define X86EMU_REX_B	0x01
#define X86EMU_REX_X	0x02
#define X86EMU_REX_R	0x04
#define X86EMU_REX_W	0x08

struct x86emu_insn {
	u8 kind;	/* enum x86emu_kind */
	u8 alu;		/* enum x86emu_alu (K_ALU), 4..7 (K_BT) */
	u8 mode;	/* enum x86emu_mode the bytes were decoded for */
	u8 len;		/* total length, 1..15 */
	u8 opcode;	/* opcode byte (the one after 0F if two_byte) */
	u8 two_byte;	/* 1: 0F-escaped opcode */
	u8 prefixes;	/* X86EMU_PFX_* */
	u8 rex;		/* REX byte, 0 if none (64-bit mode only) */
	s8 seg;		/* segment override X86EMU_ES..GS, -1 if none */
	u8 op_size;	/* bytes of the memory access: 1, 2, 4 or 8 */
	u8 reg_size;	/* bytes of the register operand (MOVZX/MOVSX: the
			 * destination; otherwise = op_size) */
	u8 addr_size;	/* 2, 4 or 8 */
	u8 rep;		/* 1: REP (F3 or F2) string instruction */
	u8 mem_write;	/* 1: the memory operand is written (store / RMW) */
	u8 mem_read;	/* 1: the memory operand is read */
	u8 reg_dst;	/* 1: the register operand is the destination */
	u8 has_imm;	/* 1: the source is insn.imm, not a register */
	u8 regop;	/* register operand 0..15 (REX.R applied); 0 (rAX) for
			 * moffs and string forms */
	u8 has_modrm;
	u8 modrm;	/* raw ModRM byte */
	u8 mod;		/* ModRM.mod (never 3) */
	u8 rm;		/* ModRM.rm with REX.B */
	u8 has_sib;
	u8 sib;		/* raw SIB byte */
	u8 disp_size;	/* 0, 1, 2 or 4 */
	u8 imm_size;	/* bytes of the immediate in the instruction */
	s32 disp;	/* sign-extended displacement */
	u64 imm;	/* immediate, sign-extended to op_size and masked */
	u64 moffs;	/* A0-A3: the offset (zero-extended) */
};

enum x86emu_step {
	X86EMU_DONE,		/* finished; registers, RIP and flags updated */
	X86EMU_MMIO_READ,	/* read mmio_len bytes at the gpa, then complete() */
	X86EMU_MMIO_WRITE,	/* write mmio_data[0..mmio_len) at the gpa, then complete(NULL) */
	X86EMU_FAIL,		/* not emulated; registers unchanged (see c->fault) */
};

struct x86emu_ctxt {
	/* set by the caller */
	const struct x86emu_ops *ops;
	void *opaque;
	struct x86emu_regs *regs;
	enum x86emu_mode mode;		/* must equal the mode given to decode */
	struct x86emu_insn insn;	/* filled by x86emu_decode() */
	/*
	 * MOVS only: true if the MMIO operand is the destination (ES:rDI;
	 * the source is read from RAM with ops->read_mem), false if it is
	 * the source (DS:rSI or override; the destination is written with
	 * ops->write_mem).  Take it from the exit: the NPT/EPT fault was a
	 * write access.  Ignored for all other instructions.
	 */
	bool mmio_is_dest;
	/* the MMIO access asked for by the last step */
	unsigned int mmio_len;
	u8 mmio_data[8];
	/* after X86EMU_FAIL: a read_mem/write_mem callback failed at fault_la */
	bool fault;
	u64 fault_la;
	/* internal */
	u8 state;
	bool flags_pending;
	u64 new_rflags;
};

/*
 * Decode at most avail bytes (at most 15 are looked at).  Returns 0 and
 * fills *insn, or -1 if the bytes are truncated, longer than 15 bytes, or
 * not a supported instruction with a memory operand.  Safe on any input.
 */
int x86emu_decode(const u8 *bytes, unsigned int avail, enum x86emu_mode mode,
		  struct x86emu_insn *insn);

/*
 * Begin executing c->insn.  Returns X86EMU_MMIO_READ (c->mmio_len set),
 * X86EMU_MMIO_WRITE (c->mmio_len and c->mmio_data set), X86EMU_DONE (REP
 * string instruction with a zero count: RIP advanced) or X86EMU_FAIL.
 * REP string instructions do one element per start/complete cycle: after
 * the element rDI (and rSI) move by the element size (backwards if
 * RFLAGS.DF) and rCX is decremented; RIP is left on the instruction while
 * rCX != 0, so the guest re-executes it.  rCX/rSI/rDI are the CX/ECX/RCX
 * etc. of the address size (16-bit: only the low 16 bits change).
 */
enum x86emu_step x86emu_start(struct x86emu_ctxt *c);

/*
 * After the access asked for: read_data holds c->mmio_len bytes (little
 * endian) for a read, NULL after a write.  Returns X86EMU_DONE or the next
 * MMIO step (read-modify-write: READ, then WRITE), or X86EMU_FAIL.
 */
enum x86emu_step x86emu_complete(struct x86emu_ctxt *c, const u8 *read_data);

#endif /* DOMUS_X86EMU_H */
