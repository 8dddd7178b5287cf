// SPDX-License-Identifier: MIT
/* emu: alu. */
#include "emu.h"

static unsigned int enc_alu(u8 *out, int op, int kind, unsigned int size, u64 *b_val, u64 rndv)
{
	unsigned int n = 0, k, isz = 0;
	u64 imm = 0;

	if (size == 2)
		out[n++] = 0x66;
	if (size == 8)
		out[n++] = 0x48;
	switch (kind) {
	case 0:
	case 1:
		if (op == 8)
			out[n++] = size == 1 ? 0x84 : 0x85;
		else
			out[n++] = (u8)(op * 8 + (kind == 1 ? 2 : 0) + (size == 1 ? 0 : 1));
		out[n++] = 0x08;
		*b_val = 0;	/* register value set by the caller */
		return n;
	case 2:
		out[n++] = size == 1 ? 0x80 : 0x83;
		out[n++] = (u8)(0x00 | (op << 3));
		isz = 1;
		break;
	case 3:
		out[n++] = size == 1 ? 0x80 : 0x81;
		out[n++] = (u8)(0x00 | (op << 3));
		isz = size == 1 ? 1 : size == 2 ? 2 : 4;
		break;
	default:
		out[n++] = size == 1 ? 0xf6 : 0xf7;
		out[n++] = 0x00;
		isz = size == 1 ? 1 : size == 2 ? 2 : 4;
		break;
	}
	imm = rndv & msk(isz);
	for (k = 0; k < isz; k++)
		out[n++] = (u8)(imm >> (8 * k));
	/* sign-extend to the operand size */
	if (isz < 8 && (imm >> (8 * isz - 1)) & 1)
		imm |= ~msk(isz);
	*b_val = imm & msk(size);
	return n;
}

static const unsigned int sizes[4] = { 1, 2, 4, 8 };

/*
 * Every ALU form at every size against the host ALU.  Forms: 0 mem,reg;
 * 1 reg,mem; 2 imm8 (80/83); 3 imm16/32 (81); 4 F6/F7 (TEST only).
 * op 8 is TEST.
 */
void alu_vs_host(void)
{
#if HAVE_HW_ALU
	struct env e;
	u8 code[16];
	unsigned int op, f, s, it, n, mismatches = 0, runs = 0;

	env_init(&e);
	for (op = 0; op <= 8; op++)
		for (f = 0; f < 5; f++)
			for (s = 0; s < 4; s++) {
				unsigned int size = sizes[s];

				if (op == 8 && (f == 1 || f == 2 || f == 3))
					continue;	/* TEST: 84/85 and F6/F7 only */
				if (op != 8 && f == 4)
					continue;
				if (f == 3 && size == 1)
					continue;	/* same as 80 */
				for (it = 0; it < 1500; it++) {
					u64 a = rnd_val() & msk(size), b = rnd_val(), hwf, hwr, exp_mem;
					int cf = (int)(rnd() & 1), st;
					u64 other = (rnd() & 0x400) | 0x202;	/* DF, IF kept */
					bool logic = op == X86EMU_ALU_OR || op == X86EMU_ALU_AND ||
						     op == X86EMU_ALU_XOR || op == 8;
					u64 fmask = X86EMU_FL_ARITH & ~(logic ? X86EMU_FL_AF : 0);
					u64 rcx0 = rnd();

					n = enc_alu(code, (int)op, (int)(f == 4 ? 4 : (op == 8 ? 0 : f)), size, &b, b);
					if (f <= 1) {
						b = rnd_val() & msk(size);
						rcx0 = (rcx0 & ~msk(size)) | b;
					}
					e.regs.gpr[RCX] = rcx0;
					e.regs.rflags = other | (u64)cf | (rnd() & (X86EMU_FL_ARITH & ~1ULL));
					e.regs.rip = 0x1000;
					runs++;
					if (f == 1) {
						/* reg,mem: rcx = rcx op mem */
						e.regs.gpr[RCX] = (rcx0 & ~msk(size)) | a;
						mmio_set(&e, b);
						hwr = hw_alu(op, size, a, b, cf, &hwf);
						st = run_ex(&e, L64, code, n, false);
						if (st != X86EMU_DONE || e.nwrites != 0 || e.nreads != 1 ||
						    (e.regs.rflags & fmask) != (hwf & fmask) ||
						    (e.regs.rflags & ~X86EMU_FL_ARITH) != other ||
						    e.regs.rip != 0x1000 + n)
							mismatches++;
						else if (op != X86EMU_ALU_CMP) {
							u64 want = size == 4 ? hwr : size == 8 ? hwr :
								   (rcx0 & ~msk(size)) | hwr;

							if (e.regs.gpr[RCX] != want)
								mismatches++;
						} else if (e.regs.gpr[RCX] != ((rcx0 & ~msk(size)) | a)) {
							mismatches++;
						}
						continue;
					}
					mmio_set(&e, a);
					hwr = hw_alu(op, size, a, b, cf, &hwf);
					st = run_ex(&e, L64, code, n, false);
					exp_mem = (op == X86EMU_ALU_CMP || op == 8) ? a : hwr;
					if (st != X86EMU_DONE || e.nreads != 1 ||
					    e.nwrites != ((op == X86EMU_ALU_CMP || op == 8) ? 0u : 1u) ||
					    (mmio_get(&e) & msk(size)) != (exp_mem & msk(size)) ||
					    (e.regs.rflags & fmask) != (hwf & fmask) ||
					    (e.regs.rflags & ~X86EMU_FL_ARITH) != other ||
					    e.regs.gpr[RCX] != rcx0 || e.regs.rip != 0x1000 + n) {
						if (mismatches < 5)
							printf("  op %u form %u size %u a %llx b %llx cf %d: mem %llx/%llx fl %llx/%llx\n",
							       op, f, size, (unsigned long long)a,
							       (unsigned long long)b, cf,
							       (unsigned long long)mmio_get(&e),
							       (unsigned long long)exp_mem,
							       (unsigned long long)e.regs.rflags,
							       (unsigned long long)hwf);
						mismatches++;
					}
				}
			}
	EXPECT(mismatches == 0);
	EXPECT(runs > 100000);
#else
	printf("  (no host ALU reference on this architecture)\n");
#endif
}

/* Hand-checked flag cases (independent of the host). */
void alu_known(void)
{
	struct env e;

	env_init(&e);
	/* add byte [rax],0x01 on 0xff: 0, CF ZF PF AF */
	mmio_set(&e, 0xff);
	EXPECT(RUN_I(&e, L64, 0x80, 0x00, 0x01) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0 && e.nreads == 1 && e.nwrites == 1);
	EXPECT((e.regs.rflags & X86EMU_FL_ARITH) ==
	       (X86EMU_FL_CF | X86EMU_FL_ZF | X86EMU_FL_PF | X86EMU_FL_AF));
	/* add dword [rax],1 on 0x7fffffff: OF SF AF PF */
	mmio_set(&e, 0x7fffffff);
	EXPECT(RUN_I(&e, L64, 0x83, 0x00, 0x01) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0x80000000 && e.wlen == 4);
	EXPECT((e.regs.rflags & X86EMU_FL_ARITH) ==
	       (X86EMU_FL_OF | X86EMU_FL_SF | X86EMU_FL_AF | X86EMU_FL_PF));
	/* or qword [rax],-1 (83 sign-extended) */
	mmio_set(&e, 0);
	EXPECT(RUN_I(&e, L64, 0x48, 0x83, 0x08, 0xff) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == ~0ULL && e.wlen == 8);
	EXPECT((e.regs.rflags & X86EMU_FL_ARITH) == (X86EMU_FL_SF | X86EMU_FL_PF));
	/* and dword [rax],0xfffffffe (81 id) keeps the rest */
	mmio_set(&e, 0x12345679);
	EXPECT(RUN_I(&e, L64, 0x81, 0x20, 0xfe, 0xff, 0xff, 0xff) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0x12345678);
	/* lock xor [rax],ecx */
	mmio_set(&e, 0xf0f0);
	e.regs.gpr[RCX] = 0xf0f0;
	EXPECT(RUN_I(&e, L64, 0xf0, 0x31, 0x08) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0 && (e.regs.rflags & X86EMU_FL_ZF));
	/* sub [rax],cl; cmp [rax],cl leaves memory */
	mmio_set(&e, 5);
	e.regs.gpr[RCX] = 6;
	EXPECT(RUN_I(&e, L64, 0x38, 0x08) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && mmio_get(&e) == 5);
	EXPECT((e.regs.rflags & (X86EMU_FL_CF | X86EMU_FL_SF | X86EMU_FL_ZF)) ==
	       (X86EMU_FL_CF | X86EMU_FL_SF));
	EXPECT(RUN_I(&e, L64, 0x28, 0x08) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0xff && e.wlen == 1);
	/* cmp cl,[rax] (3A): cl - mem */
	mmio_set(&e, 7);
	EXPECT(RUN_I(&e, L64, 0x3a, 0x08) == X86EMU_DONE);
	EXPECT((e.regs.rflags & (X86EMU_FL_CF | X86EMU_FL_ZF)) == X86EMU_FL_CF);
	e.regs.gpr[RCX] = 7;
	EXPECT(RUN_I(&e, L64, 0x3b, 0x08) == X86EMU_DONE);
	EXPECT((e.regs.rflags & (X86EMU_FL_CF | X86EMU_FL_ZF)) == X86EMU_FL_ZF);
	/* cmp dword [rax],imm */
	mmio_set(&e, 0x100);
	EXPECT(RUN_I(&e, L64, 0x81, 0x38, 0x00, 0x01, 0, 0) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && (e.regs.rflags & X86EMU_FL_ZF));
	EXPECT(RUN_I(&e, L64, 0x83, 0x38, 0x01) == X86EMU_DONE);
	EXPECT(!(e.regs.rflags & X86EMU_FL_ZF) && !(e.regs.rflags & X86EMU_FL_CF));
	/* test byte [rax],0x80 / test [rax],ecx */
	mmio_set(&e, 0x80);
	EXPECT(RUN_I(&e, L64, 0xf6, 0x00, 0x80) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && (e.regs.rflags & X86EMU_FL_SF) && !(e.regs.rflags & X86EMU_FL_ZF));
	e.regs.gpr[RCX] = 0x7f;
	EXPECT(RUN_I(&e, L64, 0x85, 0x08) == X86EMU_DONE);
	EXPECT((e.regs.rflags & X86EMU_FL_ZF) && !(e.regs.rflags & X86EMU_FL_CF));
	EXPECT(RUN_I(&e, L64, 0x48, 0xf7, 0x00, 0, 0, 0, 0x80) == X86EMU_DONE);	/* test qword,imm32 sext */
	EXPECT(e.rlen == 8 && e.c.insn.imm == 0xffffffff80000000ULL);
	/* adc / sbb use CF */
	mmio_set(&e, 1);
	e.regs.rflags |= X86EMU_FL_CF;
	EXPECT(RUN_I(&e, L64, 0x83, 0x10, 0x01) == X86EMU_DONE);	/* adc dword [rax],1 */
	EXPECT(mmio_get(&e) == 3 && !(e.regs.rflags & X86EMU_FL_CF));
	e.regs.rflags |= X86EMU_FL_CF;
	EXPECT(RUN_I(&e, L64, 0x83, 0x18, 0x03) == X86EMU_DONE);	/* sbb dword [rax],3 */
	EXPECT(mmio_get(&e) == 0xffffffff && (e.regs.rflags & X86EMU_FL_CF));
	/* reg-destination ADD writes the register, not memory */
	mmio_set(&e, 0x10);
	e.regs.gpr[RDX] = 0xffffffff00000001ULL;
	EXPECT(RUN_I(&e, L64, 0x03, 0x10) == X86EMU_DONE);		/* add edx,[rax] */
	EXPECT(e.nwrites == 0 && e.regs.gpr[RDX] == 0x11);
	e.regs.gpr[RDX] = 0x1234;
	EXPECT(RUN_I(&e, L64, 0x02, 0x30) == X86EMU_DONE);		/* add dh,[rax] */
	EXPECT(e.regs.gpr[RDX] == 0x2234);
	/* 16-bit mode: 81 /0 iw, 83 with 66 */
	mmio_set(&e, 0xffff);
	EXPECT(RUN_I(&e, R16, 0x81, 0x07, 0x01, 0x00) == X86EMU_DONE);	/* add word [bx],1 */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0 && (e.regs.rflags & X86EMU_FL_CF) && e.c.insn.len == 4);
	EXPECT(RUN_I(&e, R16, 0x66, 0x83, 0x2f, 0x01) == X86EMU_DONE);	/* sub dword [bx],1 */
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0xffffffff && (e.regs.rflags & X86EMU_FL_CF));
	EXPECT(e.c.insn.len == 4);
}

void bit_test(void)
{
	struct env e;

	env_init(&e);
	e.regs.rflags = 0x2 | X86EMU_FL_ZF;
	mmio_set(&e, 0x20);
	EXPECT(RUN_I(&e, L64, 0x0f, 0xba, 0x20, 0x05) == X86EMU_DONE);	/* bt dword [rax],5 */
	EXPECT(e.nwrites == 0 && (e.regs.rflags & X86EMU_FL_CF) && (e.regs.rflags & X86EMU_FL_ZF));
	EXPECT(e.regs.rip == 0x1004);
	EXPECT(RUN_I(&e, L64, 0x0f, 0xba, 0x20, 0x24) == X86EMU_DONE);	/* bt ...,36 -> bit 4 */
	EXPECT(!(e.regs.rflags & X86EMU_FL_CF));
	EXPECT(RUN_I(&e, L64, 0x48, 0x0f, 0xba, 0x28, 0x3f) == X86EMU_DONE);	/* bts qword,63 */
	EXPECT(e.wlen == 8 && mmio_get(&e) == 0x8000000000000020ULL && !(e.regs.rflags & X86EMU_FL_CF));
	EXPECT(RUN_I(&e, L64, 0x66, 0x0f, 0xba, 0x30, 0x15) == X86EMU_DONE);	/* btr word,21 -> bit 5 */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0 && (e.regs.rflags & X86EMU_FL_CF));
	EXPECT(RUN_I(&e, L64, 0xf0, 0x0f, 0xba, 0x38, 0x00) == X86EMU_DONE);	/* lock btc dword,0 */
	EXPECT(e.wlen == 4 && mmio_get(&e) == 1 && !(e.regs.rflags & X86EMU_FL_CF));
	EXPECT(RUN_I(&e, L64, 0xf0, 0x0f, 0xba, 0x20, 0x00) == -1);	/* lock bt */
	EXPECT(RUN_I(&e, L64, 0x0f, 0xba, 0x18, 0x00) == -1);		/* /3 */
}
