// SPDX-License-Identifier: MIT
/* emu: decode. */
#include "emu.h"

void decode_fields(void)
{
	static const struct {
		enum x86emu_mode mode;
		u8 b[15];
		u8 n, len, kind, op_size, reg_size, addr_size, regop;
	} t[] = {
		{ L64, { 0x89, 0x08 }, 2, 2, X86EMU_K_MOV_STORE, 4, 4, 8, 1 },
		{ L64, { 0x48, 0x66, 0x89, 0x08 }, 4, 4, X86EMU_K_MOV_STORE, 2, 2, 8, 1 },	/* REX not last: ignored */
		{ L64, { 0x66, 0x48, 0x89, 0x08 }, 4, 4, X86EMU_K_MOV_STORE, 8, 8, 8, 1 },	/* REX.W beats 66 */
		{ L64, { 0x41, 0x48, 0x89, 0x08 }, 4, 4, X86EMU_K_MOV_STORE, 8, 8, 8, 1 },	/* last REX wins */
		{ L64, { 0x4c, 0x89, 0x08 }, 3, 3, X86EMU_K_MOV_STORE, 8, 8, 8, 9 },
		{ L64, { 0x67, 0x8b, 0x08 }, 3, 3, X86EMU_K_MOV_LOAD, 4, 4, 4, 1 },
		{ L64, { 0x0f, 0xb7, 0x08 }, 3, 3, X86EMU_K_MOVZX, 2, 4, 8, 1 },
		{ L64, { 0x48, 0x63, 0x08 }, 3, 3, X86EMU_K_MOVSX, 4, 8, 8, 1 },
		{ L64, { 0x80, 0x38, 0x01 }, 3, 3, X86EMU_K_ALU, 1, 1, 8, 0 },
		{ L64, { 0xf0, 0x48, 0x81, 0x00, 1, 2, 3, 4 }, 8, 8, X86EMU_K_ALU, 8, 8, 8, 0 },
		{ L64, { 0xf6, 0x00, 0x01 }, 3, 3, X86EMU_K_TEST, 1, 1, 8, 0 },
		{ L64, { 0xf3, 0x48, 0xa5 }, 3, 3, X86EMU_K_MOVS, 8, 8, 8, 0 },
		{ L64, { 0x89, 0x08, 0x90, 0x90 }, 4, 2, X86EMU_K_MOV_STORE, 4, 4, 8, 1 },	/* trailing bytes */
		{ P32, { 0x66, 0x67, 0x89, 0x08 }, 4, 4, X86EMU_K_MOV_STORE, 2, 2, 2, 1 },
		{ P32, { 0x3e, 0x8b, 0x0c, 0x85, 0, 0, 0, 0 }, 8, 8, X86EMU_K_MOV_LOAD, 4, 4, 4, 1 },
		{ P16, { 0x8b, 0x0e, 0x34, 0x12 }, 4, 4, X86EMU_K_MOV_LOAD, 2, 2, 2, 1 },
		{ P16, { 0x67, 0x8b, 0x0d, 1, 2, 3, 4 }, 7, 7, X86EMU_K_MOV_LOAD, 2, 2, 4, 1 },
		{ R16, { 0x26, 0x66, 0x8b, 0x4f, 0x10 }, 5, 5, X86EMU_K_MOV_LOAD, 4, 4, 2, 1 },
		{ R16, { 0xab }, 1, 1, X86EMU_K_STOS, 2, 2, 2, 0 },
		{ R16, { 0x66, 0x67, 0xab }, 3, 3, X86EMU_K_STOS, 4, 4, 4, 0 },
		/* 14 prefixes + opcode + ModRM would be 16: the 13-prefix one fits */
		{ L64, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			 0x66, 0x89, 0x08 }, 15, 15, X86EMU_K_MOV_STORE, 2, 2, 8, 1 },
	};
	struct x86emu_insn i;
	unsigned int k;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		int rc = x86emu_decode(t[k].b, t[k].n, t[k].mode, &i);

		if (rc || i.len != t[k].len || i.kind != t[k].kind || i.op_size != t[k].op_size ||
		    i.reg_size != t[k].reg_size || i.addr_size != t[k].addr_size ||
		    i.regop != t[k].regop) {
			printf("  row %u: rc %d len %u kind %u op %u reg %u addr %u regop %u\n",
			       k, rc, i.len, i.kind, i.op_size, i.reg_size, i.addr_size, i.regop);
			EXPECT(0);
		}
	}
	EXPECT(DEC(L64, &i, 0x2e, 0x65, 0x89, 0x08) == 0 && i.seg == X86EMU_GS);
	EXPECT(DEC(L64, &i, 0xf3, 0xa4) == 0 && i.rep && (i.prefixes & X86EMU_PFX_REP));
	EXPECT(DEC(L64, &i, 0xf3, 0xf2, 0xa4) == 0 && i.rep && (i.prefixes & X86EMU_PFX_REPNE) &&
	       !(i.prefixes & X86EMU_PFX_REP));
	EXPECT(DEC(L64, &i, 0xa4) == 0 && !i.rep && i.seg == -1);
	EXPECT(DEC(L64, &i, 0x89, 0x08) == 0 && i.mem_write && !i.mem_read);
	EXPECT(DEC(L64, &i, 0x01, 0x08) == 0 && i.mem_write && i.mem_read);
	EXPECT(DEC(L64, &i, 0x39, 0x08) == 0 && !i.mem_write && i.mem_read);
}

void invalid(void)
{
	static const u8 pfx16[16] = {
		0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		0x66, 0x66, 0x89, 0x08,
	};
	struct x86emu_insn i;
	struct x86emu_ctxt c;
	struct x86emu_regs regs;
	u8 one = 0x89;

	EXPECT(x86emu_decode(&one, 0, L64, &i) == -1);
	EXPECT(x86emu_decode(NULL, 5, L64, &i) == -1);
	EXPECT(x86emu_decode(&one, 1, (enum x86emu_mode)7, &i) == -1);
	EXPECT(x86emu_decode(&one, 1, L64, NULL) == -1);
	EXPECT(x86emu_decode(pfx16, 16, L64, &i) == -1);		/* 16 bytes */
	EXPECT(x86emu_decode(pfx16 + 1, 15, L64, &i) == 0 && i.len == 15);
	EXPECT(DEC(L64, &i, 0x66, 0x66) == -1);			/* prefixes only */
	EXPECT(DEC(L64, &i, 0x48) == -1);
	EXPECT(DEC(L64, &i, 0x89, 0xc8) == -1);			/* register operand */
	EXPECT(DEC(L64, &i, 0x8b, 0xc1) == -1);
	EXPECT(DEC(L64, &i, 0x01, 0xc8) == -1);
	EXPECT(DEC(L64, &i, 0x0f, 0xb6, 0xc1) == -1);
	EXPECT(DEC(L64, &i, 0xf0, 0x89, 0x08) == -1);		/* lock mov */
	EXPECT(DEC(L64, &i, 0xf0, 0x39, 0x08) == -1);		/* lock cmp */
	EXPECT(DEC(L64, &i, 0xf0, 0x80, 0x38, 1) == -1);
	EXPECT(DEC(L64, &i, 0xf0, 0x03, 0x08) == -1);		/* lock add reg,mem */
	EXPECT(DEC(L64, &i, 0xf0, 0x85, 0x08) == -1);		/* lock test */
	EXPECT(DEC(L64, &i, 0xf0, 0xab) == -1);
	EXPECT(DEC(L64, &i, 0xf0, 0x01, 0x08) == 0);
	EXPECT(DEC(L64, &i, 0xf0, 0x83, 0x00, 1) == 0);
	EXPECT(DEC(L64, &i, 0xf6, 0x10) == -1);			/* not */
	EXPECT(DEC(L64, &i, 0xf7, 0x08, 0, 0, 0, 0) == -1);	/* f7 /1 */
	EXPECT(DEC(L64, &i, 0xf7, 0x38) == -1);			/* idiv */
	EXPECT(DEC(L64, &i, 0x0f, 0x0b) == -1);			/* ud2 */
	EXPECT(DEC(L64, &i, 0x0f, 0x11, 0x00) == -1);		/* movups store */
	EXPECT(DEC(L64, &i, 0x66, 0x0f, 0x7f, 0x00) == -1);	/* movdqa store */
	EXPECT(DEC(L64, &i, 0x0f, 0xc3, 0x00) == -1);		/* movnti */
	EXPECT(DEC(L64, &i, 0xd9, 0x18) == -1);			/* fstp */
	EXPECT(DEC(L64, &i, 0xc5, 0xf8, 0x11, 0x00) == -1);	/* vex */
	EXPECT(DEC(L64, &i, 0x62, 0xf1, 0x7c, 0x48, 0x11, 0x00) == -1);	/* evex */
	EXPECT(DEC(L64, &i, 0x82, 0x00, 0x01) == -1);
	EXPECT(DEC(L64, &i, 0x86, 0x08) == -1);			/* xchg */
	EXPECT(DEC(L64, &i, 0x05, 1, 0, 0, 0) == -1);		/* add eax,imm */
	EXPECT(DEC(L64, &i, 0x0f, 0xba, 0x00, 0x01) == -1);	/* 0f ba /0 */
	EXPECT(DEC(L64, &i, 0x0f) == -1);
	EXPECT(DEC(P32, &i, 0x40) == -1);			/* inc eax */
	EXPECT(DEC(P32, &i, 0x63, 0x08) == -1);			/* arpl */
	EXPECT(DEC(L64, &i, 0x8e, 0x18) == -1);			/* mov ds,[rax] */
	EXPECT(DEC(L64, &i, 0xff, 0x30) == -1);			/* push [rax] */

	/* misuse of the execution API */
	memset(&c, 0, sizeof(c));
	memset(&regs, 0, sizeof(regs));
	c.ops = &tops;
	c.regs = &regs;
	c.mode = L64;
	EXPECT(x86emu_start(&c) == X86EMU_FAIL);		/* nothing decoded */
	EXPECT(x86emu_complete(&c, NULL) == X86EMU_FAIL);	/* nothing started */
	EXPECT(x86emu_start(NULL) == X86EMU_FAIL);
	EXPECT(x86emu_complete(NULL, NULL) == X86EMU_FAIL);
	EXPECT(DEC(P32, &c.insn, 0x8b, 0x08) == 0);
	EXPECT(x86emu_start(&c) == X86EMU_FAIL);		/* mode mismatch */
	c.mode = P32;
	EXPECT(x86emu_start(&c) == X86EMU_MMIO_READ);
	EXPECT(x86emu_complete(&c, NULL) == X86EMU_FAIL);	/* read without data */
	EXPECT(regs.rip == 0);
	EXPECT(x86emu_complete(&c, (const u8 *)"abcd") == X86EMU_FAIL);	/* state was reset */
	EXPECT(x86emu_start(&c) == X86EMU_MMIO_READ);
	EXPECT(x86emu_complete(&c, (const u8 *)"abcd") == X86EMU_DONE);
	EXPECT(regs.gpr[RCX] == 0x64636261 && regs.rip == 2);
	EXPECT(x86emu_complete(&c, (const u8 *)"abcd") == X86EMU_FAIL);	/* already done */
}

/* A corpus of valid instructions, used for truncation and prefix checks. */
static const struct {
	enum x86emu_mode mode;
	u8 n;
	u8 b[15];
} corpus[] = {
	{ L64, 2, { 0x89, 0x08 } },
	{ L64, 3, { 0x48, 0x89, 0x08 } },
	{ L64, 7, { 0x89, 0x84, 0x24, 0x10, 0, 0, 0 } },
	{ L64, 6, { 0x89, 0x05, 1, 2, 3, 4 } },
	{ L64, 3, { 0x89, 0x48, 0xf0 } },
	{ L64, 7, { 0x89, 0x0c, 0x25, 0, 0x10, 0, 0 } },
	{ L64, 12, { 0x41, 0xc7, 0x84, 0x24, 0, 1, 0, 0, 0xef, 0xbe, 0xad, 0xde } },
	{ L64, 3, { 0xc6, 0x00, 0xab } },
	{ L64, 5, { 0x66, 0xc7, 0x00, 0x34, 0x12 } },
	{ L64, 9, { 0xa1, 8, 7, 6, 5, 4, 3, 2, 1 } },
	{ L64, 6, { 0x67, 0xa0, 4, 3, 2, 1 } },
	{ L64, 4, { 0x48, 0x0f, 0xbe, 0x08 } },
	{ L64, 3, { 0x48, 0x63, 0x08 } },
	{ L64, 3, { 0xf3, 0x48, 0xab } },
	{ L64, 2, { 0xf3, 0xa4 } },
	{ L64, 4, { 0x48, 0x83, 0x08, 0xff } },
	{ L64, 6, { 0x81, 0x20, 0xfe, 0xff, 0xff, 0xff } },
	{ L64, 3, { 0xf0, 0x31, 0x08 } },
	{ L64, 2, { 0x3b, 0x08 } },
	{ L64, 3, { 0xf6, 0x00, 0x80 } },
	{ L64, 5, { 0x48, 0x0f, 0xba, 0x28, 0x3f } },
	{ P32, 2, { 0x89, 0x08 } },
	{ P32, 10, { 0xc7, 0x05, 0, 0, 0xe0, 0xfe, 0x01, 0, 0, 0 } },
	{ P32, 5, { 0x67, 0x89, 0x0e, 0x34, 0x12 } },
	{ P32, 5, { 0xa3, 0, 0xb0, 0xfe, 0xfe } },
	{ P32, 3, { 0x65, 0x66, 0xa5 } },
	{ R16, 2, { 0x89, 0x07 } },
	{ R16, 6, { 0xc7, 0x06, 0x34, 0x12, 0x78, 0x56 } },
	{ R16, 7, { 0x67, 0x66, 0xa1, 1, 2, 3, 4 } },
	{ R16, 4, { 0x81, 0x07, 0x01, 0x00 } },
	{ P16, 4, { 0x89, 0x06, 0x00, 0x80 } },
	{ P16, 4, { 0x66, 0x0f, 0xb6, 0x07 } },
};

#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

/* Every proper prefix of every valid instruction is rejected. */
void truncated(void)
{
	u8 buf[15];
	struct x86emu_insn i;
	unsigned int k, n, bad = 0;

	for (k = 0; k < NCORPUS; k++) {
		/* bytes at the very end of buf, so ASan sees any overread */
		for (n = 0; n < corpus[k].n; n++) {
			memcpy(buf + sizeof(buf) - n, corpus[k].b, n);
			if (x86emu_decode(buf + sizeof(buf) - n, n, corpus[k].mode, &i) != -1)
				bad++;
		}
		memcpy(buf + sizeof(buf) - n, corpus[k].b, n);
		if (x86emu_decode(buf + sizeof(buf) - n, n, corpus[k].mode, &i) != 0 ||
		    i.len != corpus[k].n) {
			printf("  corpus %u does not decode\n", k);
			bad++;
		}
	}
	EXPECT(bad == 0);
}

static u8 fuzz_buf[X86EMU_MAX_INSN_LEN];

/*
 * Decode n bytes placed at the end of fuzz_buf; on success check the
 * result and execute it with random data.  Returns 1 if it decoded.
 */
static int fuzz_one(struct env *e, enum x86emu_mode mode, const u8 *src, unsigned int n,
		    unsigned int *bad)
{
	u8 *p = fuzz_buf + sizeof(fuzz_buf) - n;
	struct x86emu_insn i, j;
	struct x86emu_ctxt *c = &e->c;
	enum x86emu_step st;
	int k;

	memmove(p, src, n);
	if (x86emu_decode(p, n, mode, &i))
		return 0;
	if (i.len < 1 || i.len > n || i.len > 15 || !i.kind ||
	    (i.op_size != 1 && i.op_size != 2 && i.op_size != 4 && i.op_size != 8) ||
	    (i.addr_size != 2 && i.addr_size != 4 && i.addr_size != 8) || i.regop > 15)
		(*bad)++;
	/* the same bytes, exactly len of them, decode the same */
	if (x86emu_decode(p, i.len, mode, &j) || memcmp(&i, &j, sizeof(i)))
		(*bad)++;
	if (x86emu_decode(p, i.len - 1u, mode, &j) != -1)
		(*bad)++;

	/* execute */
	memset(c, 0, sizeof(*c));
	for (k = 0; k < 16; k++)
		e->regs.gpr[k] = rnd_val();
	e->regs.rflags = 0x2 | (rnd() & (X86EMU_FL_ARITH | X86EMU_FL_DF));
	e->regs.rip = rnd_val();
	c->ops = &tops;
	c->opaque = e;
	c->regs = &e->regs;
	c->mode = mode;
	c->insn = i;
	c->mmio_is_dest = rnd() & 1;
	st = x86emu_start(c);
	for (k = 0; k < 4 && (st == X86EMU_MMIO_READ || st == X86EMU_MMIO_WRITE); k++) {
		u8 data[8];
		u64 v = rnd_val();

		if (c->mmio_len != i.op_size)
			(*bad)++;
		memcpy(data, &v, 8);
		st = x86emu_complete(c, st == X86EMU_MMIO_READ ? data : NULL);
	}
	if (st != X86EMU_DONE)
		(*bad)++;
	return 1;
}

static const u8 interesting[] = {
	0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
	0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0x89, 0x8b, 0x88, 0x8a, 0xc6, 0xc7,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0x80, 0x81, 0x83, 0x84, 0x85,
	0xf6, 0xf7, 0x63, 0xb6, 0xb7, 0xbe, 0xbf, 0xba, 0x01, 0x03, 0x38, 0x3b, 0x31,
	0x04, 0x05, 0x0c, 0x24, 0x25, 0x44, 0x84, 0xc0, 0x00, 0x08, 0xff,
};

void fuzz_random(void)
{
	static struct env e;
	u8 b[15];
	unsigned int it, k, n, bad = 0, ok = 0;

	env_init(&e);
	e.any_la = 1;
	for (it = 0; it < 300000; it++) {
		enum x86emu_mode mode = (enum x86emu_mode)(rnd() & 3);

		n = (unsigned int)(rnd() % 16);
		for (k = 0; k < n; k++) {
			u64 r = rnd();

			b[k] = (r & 1) ? interesting[(r >> 8) % sizeof(interesting)] : (u8)(r >> 16);
		}
		ok += (unsigned int)fuzz_one(&e, mode, b, n, &bad);
	}
	/* mutations of the corpus */
	for (it = 0; it < 100000; it++) {
		unsigned int c = (unsigned int)(rnd() % NCORPUS);

		n = corpus[c].n;
		memcpy(b, corpus[c].b, n);
		b[rnd() % n] = (u8)rnd();
		if (rnd() & 1)
			b[rnd() % n] ^= (u8)(1u << (rnd() & 7));
		ok += (unsigned int)fuzz_one(&e, (enum x86emu_mode)(rnd() & 3), b, n, &bad);
	}
	printf("  %u of 400000 random inputs decoded\n", ok);
	EXPECT(bad == 0);
	EXPECT(ok > 1000);
}

/* Every byte string of length 1..3, in every mode. */
void fuzz_exhaustive_short(void)
{
	static struct env e;
	u8 b[3];
	unsigned int v, n, bad = 0, ok = 0;
	int mode;

	env_init(&e);
	e.any_la = 1;
	for (mode = 0; mode < 4; mode++)
		for (n = 1; n <= 3; n++)
			for (v = 0; v < (1u << (8 * n)); v++) {
				b[0] = (u8)v;
				b[1] = (u8)(v >> 8);
				b[2] = (u8)(v >> 16);
				ok += (unsigned int)fuzz_one(&e, (enum x86emu_mode)mode, b, n, &bad);
			}
	printf("  %u of %u short strings decoded\n", ok, 4 * (256 + 65536 + 16777216));
	EXPECT(bad == 0);
}

/* Every 1-3 byte prefix sequence in front of every corpus instruction. */
void fuzz_prefixed(void)
{
	static const u8 pfx[] = {
		0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
		0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
		0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	};
	const unsigned int np = sizeof(pfx);
	static struct env e;
	u8 b[18];
	unsigned int k, a0, a1, a2, n, bad = 0, ok = 0, total = 0;
	int mode;

	env_init(&e);
	e.any_la = 1;
	for (k = 0; k < NCORPUS; k++)
		for (mode = 0; mode < 4; mode++)
			for (a0 = 0; a0 < np; a0++)
				for (a1 = 0; a1 <= np; a1++)
					for (a2 = 0; a2 <= np; a2++) {
						if (a1 == np && a2 != np)
							continue;
						n = 0;
						b[n++] = pfx[a0];
						if (a1 < np)
							b[n++] = pfx[a1];
						if (a2 < np)
							b[n++] = pfx[a2];
						memcpy(b + n, corpus[k].b, corpus[k].n);
						n += corpus[k].n;
						if (n > 15)
							n = 15;	/* cut: must then be rejected or shorter */
						total++;
						ok += (unsigned int)fuzz_one(&e, (enum x86emu_mode)mode,
									     b, n, &bad);
					}
	printf("  %u of %u prefixed inputs decoded\n", ok, total);
	EXPECT(bad == 0);
	EXPECT(ok > 0);
}
