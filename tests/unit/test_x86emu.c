// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/x86emu.c: decode and execute every supported form,
 * arithmetic flags checked against the build machine's own ALU, REP string
 * instructions element by element, invalid and truncated input, fuzzing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "x86emu.h"
#include "unit.h"


#define R16 X86EMU_MODE_REAL16
#define P16 X86EMU_MODE_PROT16
#define P32 X86EMU_MODE_PROT32
#define L64 X86EMU_MODE_LONG64

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSP 4
#define RBP 5
#define RSI 6
#define RDI 7

/* ---- a fake vCPU: registers, one MMIO location, a window of RAM ---- */

#define RAM_SIZE 4096

struct env {
	struct x86emu_regs regs;
	u8 mmio[8];		/* the device register at the faulting gpa */
	unsigned int nreads, nwrites, rlen, wlen;
	u8 ram[RAM_SIZE];	/* guest RAM at linear ram_la */
	u64 ram_la;
	u64 seg[6];
	unsigned int seg_calls;
	int last_seg;
	u64 last_la;
	int ram_fail;
	int any_la;		/* fuzzing: accept every linear address */
	struct x86emu_ctxt c;
};

static int t_read_mem(void *o, u64 la, void *buf, unsigned int len)
{
	struct env *e = o;

	e->last_la = la;
	if (e->ram_fail || len > 8)
		return -1;
	if (e->any_la) {
		memset(buf, 0x5a, len);
		return 0;
	}
	if (la < e->ram_la || la - e->ram_la > RAM_SIZE - len)
		return -1;
	memcpy(buf, e->ram + (la - e->ram_la), len);
	return 0;
}

static int t_write_mem(void *o, u64 la, const void *buf, unsigned int len)
{
	struct env *e = o;

	e->last_la = la;
	if (e->ram_fail || len > 8)
		return -1;
	if (e->any_la)
		return 0;
	if (la < e->ram_la || la - e->ram_la > RAM_SIZE - len)
		return -1;
	memcpy(e->ram + (la - e->ram_la), buf, len);
	return 0;
}

static u64 t_seg_base(void *o, int seg)
{
	struct env *e = o;

	e->seg_calls++;
	e->last_seg = seg;
	return (seg >= 0 && seg < 6) ? e->seg[seg] : 0xdeadbeef;
}

static const struct x86emu_ops tops = {
	.read_mem = t_read_mem,
	.write_mem = t_write_mem,
	.seg_base = t_seg_base,
};

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->regs.rflags = 0x2;
	e->regs.rip = 0x1000;
	e->ram_la = 0x10000;
	e->last_seg = -1;
}

static u64 mmio_get(const struct env *e)
{
	u64 v = 0;

	memcpy(&v, e->mmio, 8);
	return v;
}

static void mmio_set(struct env *e, u64 v)
{
	memcpy(e->mmio, &v, 8);
}

static u64 ram_get(const struct env *e, u64 la, unsigned int len)
{
	u64 v = 0;

	if (la >= e->ram_la && la - e->ram_la <= RAM_SIZE - len)
		memcpy(&v, e->ram + (la - e->ram_la), len);
	return v;
}

/*
 * Decode and execute: -1 if the decode failed, else the final step.
 * Reads return e->mmio, writes store into it; steps are counted.
 */
static int run_ex(struct env *e, enum x86emu_mode mode, const u8 *b,
		  unsigned int n, bool mmio_is_dest)
{
	struct x86emu_ctxt *c = &e->c;
	enum x86emu_step st;
	int k;

	memset(c, 0, sizeof(*c));
	c->ops = &tops;
	c->opaque = e;
	c->regs = &e->regs;
	c->mode = mode;
	c->mmio_is_dest = mmio_is_dest;
	e->nreads = e->nwrites = 0;
	if (x86emu_decode(b, n, mode, &c->insn))
		return -1;
	st = x86emu_start(c);
	for (k = 0; k < 4 && (st == X86EMU_MMIO_READ || st == X86EMU_MMIO_WRITE); k++) {
		if (c->mmio_len > 8)
			return X86EMU_FAIL;
		if (st == X86EMU_MMIO_READ) {
			e->nreads++;
			e->rlen = c->mmio_len;
			st = x86emu_complete(c, e->mmio);
		} else {
			e->nwrites++;
			e->wlen = c->mmio_len;
			memset(e->mmio, 0, sizeof(e->mmio));
			memcpy(e->mmio, c->mmio_data, c->mmio_len);
			st = x86emu_complete(c, NULL);
		}
	}
	return (int)st;
}

#define BYTES(...) ((const u8[]){ __VA_ARGS__ })
#define NBYTES(...) (sizeof((const u8[]){ __VA_ARGS__ }))
#define RUN_I(e, mode, ...) run_ex(e, mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), false)
#define RUN_D(e, mode, ...) run_ex(e, mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), true)

static int dec(enum x86emu_mode mode, const u8 *b, unsigned int n, struct x86emu_insn *i)
{
	return x86emu_decode(b, n, mode, i);
}

#define DEC(mode, i, ...) dec(mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), i)

/* ---- the host ALU, for reference flags ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	u64 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* Random operand with many edge values. */
static u64 rnd_val(void)
{
	static const u64 edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, 0x0f, 0x10, 0x8f,
	};
	u64 r = rnd();

	switch (r & 3) {
	case 0:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))] + ((r >> 40) & 3) - 1;
	default:
		return rnd();
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HW_ALU 1
/*
 * Run "mn src, dst" on the host with the given input flags; the red zone
 * is stepped over before pushing.
 */
#define HW_ONE(mn, T) do { \
	T d_ = (T)a, s_ = (T)b; \
	__asm__ volatile("sub $128, %%rsp\n\t" \
			 "push %[f]\n\t" \
			 "popf\n\t" \
			 mn " %[s], %[d]\n\t" \
			 "pushf\n\t" \
			 "pop %[f]\n\t" \
			 "add $128, %%rsp" \
			 : [d] "+r"(d_), [f] "+r"(f) : [s] "r"(s_) : "cc", "memory"); \
	res = d_; \
} while (0)

#define HW_SIZES(mn) do { \
	switch (size) { \
	case 1: HW_ONE(mn, u8); break; \
	case 2: HW_ONE(mn, u16); break; \
	case 4: HW_ONE(mn, u32); break; \
	default: HW_ONE(mn, u64); break; \
	} \
} while (0)

/* op: enum x86emu_alu, or 8 for TEST.  Returns the result, *flags_out the flags. */
static u64 hw_alu(unsigned int op, unsigned int size, u64 a, u64 b, int cf, u64 *flags_out)
{
	u64 f = 0x2 | (cf ? 1 : 0), res = 0;

	switch (op) {
	case X86EMU_ALU_ADD: HW_SIZES("add"); break;
	case X86EMU_ALU_OR: HW_SIZES("or"); break;
	case X86EMU_ALU_ADC: HW_SIZES("adc"); break;
	case X86EMU_ALU_SBB: HW_SIZES("sbb"); break;
	case X86EMU_ALU_AND: HW_SIZES("and"); break;
	case X86EMU_ALU_SUB: HW_SIZES("sub"); break;
	case X86EMU_ALU_XOR: HW_SIZES("xor"); break;
	case X86EMU_ALU_CMP: HW_SIZES("cmp"); break;
	default: HW_SIZES("test"); break;
	}
	*flags_out = f;
	return res;
}
#else
#define HAVE_HW_ALU 0
#endif

static u64 msk(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* ---- tests ---- */

static void mov_store(void)
{
	struct env e;

	env_init(&e);
	e.regs.gpr[RCX] = 0x1122334455667788ULL;
	EXPECT(RUN_I(&e, L64, 0x89, 0x08) == X86EMU_DONE);	/* mov [rax],ecx */
	EXPECT(e.nwrites == 1 && e.nreads == 0 && e.wlen == 4);
	EXPECT(mmio_get(&e) == 0x55667788);
	EXPECT(e.regs.rip == 0x1002);
	EXPECT(e.regs.gpr[RCX] == 0x1122334455667788ULL);

	EXPECT(RUN_I(&e, L64, 0x48, 0x89, 0x08) == X86EMU_DONE);	/* mov [rax],rcx */
	EXPECT(e.wlen == 8 && mmio_get(&e) == 0x1122334455667788ULL);
	EXPECT(e.regs.rip == 0x1005);
	EXPECT(RUN_I(&e, L64, 0x66, 0x89, 0x08) == X86EMU_DONE);	/* mov [rax],cx */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0x7788);
	EXPECT(RUN_I(&e, L64, 0x88, 0x08) == X86EMU_DONE);		/* mov [rax],cl */
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0x88);
	EXPECT(RUN_I(&e, L64, 0x88, 0x28) == X86EMU_DONE);		/* mov [rax],ch */
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0x77);
	e.regs.gpr[RBP] = 0xa1b2;
	EXPECT(RUN_I(&e, L64, 0x40, 0x88, 0x28) == X86EMU_DONE);	/* mov [rax],bpl */
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0xb2);
	e.regs.gpr[8] = 0x99;
	EXPECT(RUN_I(&e, L64, 0x44, 0x88, 0x00) == X86EMU_DONE);	/* mov [rax],r8b */
	EXPECT(mmio_get(&e) == 0x99);
	e.regs.gpr[15] = 0xfedcba9876543210ULL;
	EXPECT(RUN_I(&e, L64, 0x4c, 0x89, 0x38) == X86EMU_DONE);	/* mov [rax],r15 */
	EXPECT(e.wlen == 8 && mmio_get(&e) == 0xfedcba9876543210ULL);
	/* REX.X/B only touch the address: still rcx */
	EXPECT(RUN_I(&e, L64, 0x43, 0x89, 0x0c, 0x18) == X86EMU_DONE);	/* mov [r8+r11],ecx */
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0x55667788);
	EXPECT(e.c.insn.len == 4 && e.c.insn.has_sib);

	/* addressing forms: lengths */
	e.regs.rip = 0x2000;
	EXPECT(RUN_I(&e, L64, 0x89, 0x84, 0x24, 0x10, 0, 0, 0) == X86EMU_DONE);	/* [rsp+disp32] */
	EXPECT(e.regs.rip == 0x2007);
	EXPECT(RUN_I(&e, L64, 0x89, 0x05, 0x78, 0x56, 0x34, 0x12) == X86EMU_DONE);	/* [rip+disp32] */
	EXPECT(e.regs.rip == 0x200d && e.c.insn.disp == 0x12345678);
	EXPECT(RUN_I(&e, L64, 0x89, 0x48, 0xf0) == X86EMU_DONE);	/* [rax-16] */
	EXPECT(e.regs.rip == 0x2010 && e.c.insn.disp == -16);
	EXPECT(RUN_I(&e, L64, 0x89, 0x0c, 0x25, 0, 0x10, 0, 0) == X86EMU_DONE);	/* [disp32] via SIB */
	EXPECT(e.regs.rip == 0x2017);
	EXPECT(RUN_I(&e, L64, 0x89, 0x4c, 0x24, 0x08) == X86EMU_DONE);	/* [rsp+8] */
	EXPECT(e.regs.rip == 0x201b);

	/* 32-bit protected mode */
	env_init(&e);
	e.regs.gpr[RCX] = 0x1122334455667788ULL;
	EXPECT(RUN_I(&e, P32, 0x89, 0x08) == X86EMU_DONE);
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0x55667788);
	EXPECT(RUN_I(&e, P32, 0x66, 0x89, 0x08) == X86EMU_DONE);
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0x7788);
	EXPECT(RUN_I(&e, P32, 0x48, 0x89, 0x08) == -1);	/* DEC eax: not emulated */
	EXPECT(RUN_I(&e, P32, 0x67, 0x89, 0x0f) == X86EMU_DONE);	/* mov [bx],ecx */
	EXPECT(e.c.insn.len == 3 && e.c.insn.addr_size == 2);
	EXPECT(RUN_I(&e, P32, 0x67, 0x89, 0x0e, 0x34, 0x12) == X86EMU_DONE);	/* mov [0x1234],ecx */
	EXPECT(e.c.insn.len == 5 && e.c.insn.disp == 0x1234);
	e.regs.rip = 0xfffffffe;
	EXPECT(RUN_I(&e, P32, 0x89, 0x08) == X86EMU_DONE);
	EXPECT(e.regs.rip == 0);

	/* real mode: 16-bit default, 66 -> 32 */
	env_init(&e);
	e.regs.gpr[RAX] = 0xaabbccdd;
	EXPECT(RUN_I(&e, R16, 0x89, 0x07) == X86EMU_DONE);	/* mov [bx],ax */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0xccdd && e.c.insn.len == 2);
	EXPECT(RUN_I(&e, R16, 0x66, 0x89, 0x07) == X86EMU_DONE);	/* mov [bx],eax */
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0xaabbccdd);
	EXPECT(RUN_I(&e, R16, 0x89, 0x87, 0x00, 0x01) == X86EMU_DONE);	/* [bx+0x100] */
	EXPECT(e.c.insn.len == 4 && e.c.insn.addr_size == 2);
	EXPECT(RUN_I(&e, R16, 0x67, 0x89, 0x04, 0x24) == X86EMU_DONE);	/* [esp] */
	EXPECT(e.c.insn.len == 4 && e.c.insn.addr_size == 4 && e.c.insn.has_sib);
	EXPECT(RUN_I(&e, P16, 0x89, 0x06, 0x00, 0x80) == X86EMU_DONE);	/* [0x8000] */
	EXPECT(e.c.insn.len == 4);
	e.regs.rip = 0xffff;
	EXPECT(RUN_I(&e, R16, 0x89, 0x07) == X86EMU_DONE);
	EXPECT(e.regs.rip == 1);
	e.regs.rip = 0x1234fffe;
	EXPECT(RUN_I(&e, P16, 0x88, 0x27) == X86EMU_DONE);	/* mov [bx],ah */
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0xcc && e.regs.rip == 0);
}

static void mov_load(void)
{
	struct env e;

	env_init(&e);
	mmio_set(&e, 0x8877665544332211ULL);
	e.regs.gpr[RCX] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x8b, 0x08) == X86EMU_DONE);	/* mov ecx,[rax] */
	EXPECT(e.nreads == 1 && e.nwrites == 0 && e.rlen == 4);
	EXPECT(e.regs.gpr[RCX] == 0x44332211);		/* zero-extended */
	EXPECT(e.regs.rip == 0x1002);
	e.regs.gpr[RCX] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x66, 0x8b, 0x08) == X86EMU_DONE);
	EXPECT(e.rlen == 2 && e.regs.gpr[RCX] == 0xffffffffffff2211ULL);
	EXPECT(RUN_I(&e, L64, 0x8a, 0x08) == X86EMU_DONE);	/* mov cl,[rax] */
	EXPECT(e.rlen == 1 && e.regs.gpr[RCX] == 0xffffffffffff2211ULL);
	mmio_set(&e, 0x5a);
	EXPECT(RUN_I(&e, L64, 0x8a, 0x28) == X86EMU_DONE);	/* mov ch,[rax] */
	EXPECT(e.regs.gpr[RCX] == 0xffffffffffff5a11ULL);
	e.regs.gpr[RBP] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x40, 0x8a, 0x28) == X86EMU_DONE);	/* mov bpl,[rax] */
	EXPECT(e.regs.gpr[RBP] == 0xffffffffffffff5aULL);
	EXPECT(e.regs.gpr[RCX] == 0xffffffffffff5a11ULL);
	e.regs.gpr[RSI] = 0;
	EXPECT(RUN_I(&e, L64, 0x40, 0x8a, 0x30) == X86EMU_DONE);	/* mov sil,[rax] */
	EXPECT(e.regs.gpr[RSI] == 0x5a);
	EXPECT(RUN_I(&e, L64, 0x8a, 0x30) == X86EMU_DONE);	/* mov dh,[rax] */
	EXPECT(e.regs.gpr[RDX] == 0x5a00);
	mmio_set(&e, 0x8877665544332211ULL);
	EXPECT(RUN_I(&e, L64, 0x48, 0x8b, 0x08) == X86EMU_DONE);
	EXPECT(e.rlen == 8 && e.regs.gpr[RCX] == 0x8877665544332211ULL);
	EXPECT(RUN_I(&e, L64, 0x4c, 0x8b, 0x08) == X86EMU_DONE);	/* mov r9,[rax] */
	EXPECT(e.regs.gpr[9] == 0x8877665544332211ULL);
	e.regs.gpr[12] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x44, 0x8b, 0x20) == X86EMU_DONE);	/* mov r12d,[rax] */
	EXPECT(e.regs.gpr[12] == 0x44332211);
	e.regs.gpr[12] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x45, 0x8a, 0x20) == X86EMU_DONE);	/* mov r12b,[r8] */
	EXPECT(e.regs.gpr[12] == 0xffffffffffffff11ULL);

	/* outside 64-bit mode the upper half is left alone */
	e.regs.gpr[RCX] = 0xaaaaaaaa00000000ULL;
	EXPECT(RUN_I(&e, P32, 0x8b, 0x08) == X86EMU_DONE);
	EXPECT(e.regs.gpr[RCX] == 0xaaaaaaaa44332211ULL);
	e.regs.gpr[RAX] = 0;
	EXPECT(RUN_I(&e, R16, 0x8b, 0x07) == X86EMU_DONE);	/* mov ax,[bx] */
	EXPECT(e.rlen == 2 && e.regs.gpr[RAX] == 0x2211);
	EXPECT(RUN_I(&e, R16, 0x66, 0x8b, 0x07) == X86EMU_DONE);	/* mov eax,[bx] */
	EXPECT(e.rlen == 4 && e.regs.gpr[RAX] == 0x44332211);
}

static void mov_imm(void)
{
	struct env e;

	env_init(&e);
	EXPECT(RUN_I(&e, L64, 0xc6, 0x00, 0xab) == X86EMU_DONE);
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0xab && e.regs.rip == 0x1003);
	EXPECT(RUN_I(&e, L64, 0x66, 0xc7, 0x00, 0x34, 0x12) == X86EMU_DONE);
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0x1234 && e.c.insn.len == 5);
	EXPECT(RUN_I(&e, L64, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12) == X86EMU_DONE);
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0x12345678 && e.c.insn.len == 6);
	EXPECT(RUN_I(&e, L64, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80) == X86EMU_DONE);
	EXPECT(e.wlen == 8 && mmio_get(&e) == 0xffffffff80000000ULL && e.c.insn.len == 7);
	EXPECT(RUN_I(&e, L64, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0x7fffffffULL);
	EXPECT(RUN_I(&e, L64, 0xc7, 0x40, 0x08, 1, 0, 0, 0) == X86EMU_DONE);	/* [rax+8] */
	EXPECT(e.c.insn.len == 7 && mmio_get(&e) == 1);
	EXPECT(RUN_I(&e, L64, 0x41, 0xc7, 0x84, 0x24, 0, 1, 0, 0, 0xef, 0xbe, 0xad, 0xde) == X86EMU_DONE);
	EXPECT(e.c.insn.len == 12 && mmio_get(&e) == 0xdeadbeef);
	EXPECT(RUN_I(&e, L64, 0xc7, 0x05, 0, 0, 0, 0, 5, 0, 0, 0) == X86EMU_DONE);	/* [rip+0],5 */
	EXPECT(e.c.insn.len == 10 && mmio_get(&e) == 5);
	EXPECT(RUN_I(&e, L64, 0xc6, 0x08, 0x00) == -1);		/* C6 /1 */
	EXPECT(RUN_I(&e, L64, 0xc7, 0xf8, 0, 0, 0, 0) == -1);	/* XBEGIN */
	EXPECT(RUN_I(&e, R16, 0xc7, 0x06, 0x34, 0x12, 0x78, 0x56) == X86EMU_DONE);	/* mov word [0x1234],0x5678 */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0x5678 && e.c.insn.len == 6);
	EXPECT(RUN_I(&e, R16, 0x66, 0xc7, 0x06, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12) == X86EMU_DONE);
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0x12345678 && e.c.insn.len == 9);
	EXPECT(RUN_I(&e, P32, 0xc7, 0x05, 0, 0, 0xe0, 0xfe, 0x01, 0, 0, 0) == X86EMU_DONE);	/* [abs32] */
	EXPECT(e.wlen == 4 && mmio_get(&e) == 1 && e.c.insn.len == 10);
}

static void moffs(void)
{
	struct env e;

	env_init(&e);
	mmio_set(&e, 0x8877665544332211ULL);
	e.regs.gpr[RAX] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0xa1, 8, 7, 6, 5, 4, 3, 2, 1) == X86EMU_DONE);	/* mov eax,[moffs64] */
	EXPECT(e.c.insn.len == 9 && e.c.insn.moffs == 0x0102030405060708ULL);
	EXPECT(e.rlen == 4 && e.regs.gpr[RAX] == 0x44332211);
	EXPECT(RUN_I(&e, L64, 0x48, 0xa1, 8, 7, 6, 5, 4, 3, 2, 1) == X86EMU_DONE);
	EXPECT(e.rlen == 8 && e.regs.gpr[RAX] == 0x8877665544332211ULL && e.c.insn.len == 10);
	EXPECT(RUN_I(&e, L64, 0x67, 0xa0, 4, 3, 2, 1) == X86EMU_DONE);	/* mov al,[moffs32] */
	EXPECT(e.c.insn.len == 6 && e.c.insn.moffs == 0x01020304 && e.rlen == 1);
	e.regs.gpr[RAX] = 0xcafef00dd00dfeedULL;
	EXPECT(RUN_I(&e, L64, 0x48, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0) == X86EMU_DONE);
	EXPECT(e.wlen == 8 && mmio_get(&e) == 0xcafef00dd00dfeedULL);
	EXPECT(RUN_I(&e, L64, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0) == X86EMU_DONE);
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0xed);
	EXPECT(RUN_I(&e, L64, 0x66, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0) == X86EMU_DONE);
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0xfeed && e.c.insn.len == 10);
	EXPECT(RUN_I(&e, L64, 0xa1, 0, 0, 0, 0) == -1);	/* truncated 8-byte offset */

	EXPECT(RUN_I(&e, P32, 0xa3, 0, 0xb0, 0xfe, 0xfe) == X86EMU_DONE);
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0xd00dfeed && e.c.insn.len == 5);
	EXPECT(RUN_I(&e, P32, 0x67, 0xa1, 0x34, 0x12) == X86EMU_DONE);
	EXPECT(e.c.insn.len == 4 && e.c.insn.moffs == 0x1234 && e.rlen == 4);
	EXPECT(RUN_I(&e, P32, 0x66, 0xa1, 1, 2, 3, 4) == X86EMU_DONE);
	EXPECT(e.c.insn.len == 6 && e.rlen == 2);
	EXPECT(RUN_I(&e, R16, 0xa0, 0x34, 0x12) == X86EMU_DONE);
	EXPECT(e.c.insn.len == 3 && e.rlen == 1);
	EXPECT(RUN_I(&e, R16, 0x67, 0x66, 0xa1, 1, 2, 3, 4) == X86EMU_DONE);
	EXPECT(e.c.insn.len == 7 && e.rlen == 4);
}

static void movzx_movsx(void)
{
	struct env e;

	env_init(&e);
	mmio_set(&e, 0x8080);
	e.regs.gpr[RCX] = ~0ULL;
	EXPECT(RUN_I(&e, L64, 0x0f, 0xb6, 0x08) == X86EMU_DONE);	/* movzx ecx,byte */
	EXPECT(e.rlen == 1 && e.regs.gpr[RCX] == 0x80 && e.regs.rip == 0x1003);
	EXPECT(RUN_I(&e, L64, 0x48, 0x0f, 0xbe, 0x08) == X86EMU_DONE);	/* movsx rcx,byte */
	EXPECT(e.regs.gpr[RCX] == 0xffffffffffffff80ULL);
	EXPECT(RUN_I(&e, L64, 0x0f, 0xbe, 0x08) == X86EMU_DONE);	/* movsx ecx,byte */
	EXPECT(e.regs.gpr[RCX] == 0xffffff80ULL);
	EXPECT(RUN_I(&e, L64, 0x0f, 0xbf, 0x08) == X86EMU_DONE);	/* movsx ecx,word */
	EXPECT(e.rlen == 2 && e.regs.gpr[RCX] == 0xffff8080ULL);
	EXPECT(RUN_I(&e, L64, 0x48, 0x0f, 0xb7, 0x08) == X86EMU_DONE);	/* movzx rcx,word */
	EXPECT(e.regs.gpr[RCX] == 0x8080);
	e.regs.gpr[RCX] = 0x1111111111111111ULL;
	EXPECT(RUN_I(&e, L64, 0x66, 0x0f, 0xbe, 0x08) == X86EMU_DONE);	/* movsx cx,byte */
	EXPECT(e.regs.gpr[RCX] == 0x111111111111ff80ULL);
	EXPECT(RUN_I(&e, L64, 0x66, 0x0f, 0xb6, 0x08) == X86EMU_DONE);	/* movzx cx,byte */
	EXPECT(e.regs.gpr[RCX] == 0x1111111111110080ULL);
	EXPECT(RUN_I(&e, L64, 0x66, 0x0f, 0xb7, 0x08) == X86EMU_DONE);	/* movzx cx,word */
	EXPECT(e.regs.gpr[RCX] == 0x1111111111118080ULL);
	EXPECT(RUN_I(&e, L64, 0x44, 0x0f, 0xb6, 0x00) == X86EMU_DONE);	/* movzx r8d,byte */
	EXPECT(e.regs.gpr[8] == 0x80);
	mmio_set(&e, 0x7f);
	EXPECT(RUN_I(&e, L64, 0x48, 0x0f, 0xbe, 0x08) == X86EMU_DONE);
	EXPECT(e.regs.gpr[RCX] == 0x7f);

	/* MOVSXD */
	mmio_set(&e, 0x80000000);
	e.regs.rip = 0x1000;
	EXPECT(RUN_I(&e, L64, 0x48, 0x63, 0x08) == X86EMU_DONE);
	EXPECT(e.rlen == 4 && e.regs.gpr[RCX] == 0xffffffff80000000ULL && e.regs.rip == 0x1003);
	EXPECT(RUN_I(&e, L64, 0x4c, 0x63, 0x38) == X86EMU_DONE);	/* movsxd r15 */
	EXPECT(e.regs.gpr[15] == 0xffffffff80000000ULL);
	EXPECT(RUN_I(&e, L64, 0x63, 0x08) == X86EMU_DONE);		/* without REX.W: 32-bit load */
	EXPECT(e.rlen == 4 && e.regs.gpr[RCX] == 0x80000000ULL);
	EXPECT(RUN_I(&e, P32, 0x63, 0x08) == -1);			/* ARPL */

	/* 16/32-bit modes */
	mmio_set(&e, 0xfe);
	e.regs.gpr[RAX] = 0x55550000;
	EXPECT(RUN_I(&e, R16, 0x0f, 0xbe, 0x07) == X86EMU_DONE);	/* movsx ax,byte [bx] */
	EXPECT(e.regs.gpr[RAX] == 0x5555fffe);
	EXPECT(RUN_I(&e, R16, 0x66, 0x0f, 0xb6, 0x07) == X86EMU_DONE);	/* movzx eax,byte */
	EXPECT(e.regs.gpr[RAX] == 0xfe);
	EXPECT(RUN_I(&e, P32, 0x0f, 0xbf, 0x00) == X86EMU_DONE);
	EXPECT(e.regs.gpr[RAX] == 0xfe);
}

/*
 * Encode "op [rax], rcx / op rcx, [rax] / op [rax], imm" at size;
 * returns the length, *b_val the second operand as the CPU sees it.
 */
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
static void alu_vs_host(void)
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
static void alu_known(void)
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

static void bit_test(void)
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

static void stos(void)
{
	struct env e;
	int k;

	env_init(&e);
	/* rep stosq, DF=0, three elements */
	e.regs.gpr[RAX] = 0x0123456789abcdefULL;
	e.regs.gpr[RCX] = 3;
	e.regs.gpr[RDI] = 0x1000;
	for (k = 0; k < 3; k++) {
		EXPECT(RUN_I(&e, L64, 0xf3, 0x48, 0xab) == X86EMU_DONE);
		EXPECT(e.nwrites == 1 && e.wlen == 8 && mmio_get(&e) == 0x0123456789abcdefULL);
		EXPECT(e.regs.gpr[RDI] == 0x1000 + 8 * (u64)(k + 1));
		EXPECT(e.regs.gpr[RCX] == (u64)(2 - k));
		EXPECT(e.regs.rip == (k < 2 ? 0x1000 : 0x1003));
	}
	/* count zero: nothing, RIP advanced */
	e.regs.rip = 0x1000;
	EXPECT(RUN_I(&e, L64, 0xf3, 0x48, 0xab) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && e.regs.rip == 0x1003 && e.regs.gpr[RDI] == 0x1018);
	/* DF=1, stosd; F2 acts as REP */
	e.regs.rflags |= X86EMU_FL_DF;
	e.regs.gpr[RCX] = 2;
	e.regs.rip = 0x1000;
	EXPECT(RUN_I(&e, L64, 0xf2, 0xab) == X86EMU_DONE);
	EXPECT(e.wlen == 4 && mmio_get(&e) == 0x89abcdef && e.regs.gpr[RDI] == 0x1014);
	EXPECT(e.regs.gpr[RCX] == 1 && e.regs.rip == 0x1000);
	EXPECT(RUN_I(&e, L64, 0xf2, 0xab) == X86EMU_DONE);
	EXPECT(e.regs.gpr[RDI] == 0x1010 && e.regs.gpr[RCX] == 0 && e.regs.rip == 0x1002);
	/* no REP: rcx untouched */
	e.regs.rflags &= ~X86EMU_FL_DF;
	e.regs.gpr[RCX] = 0;
	EXPECT(RUN_I(&e, L64, 0xaa) == X86EMU_DONE);
	EXPECT(e.wlen == 1 && mmio_get(&e) == 0xef && e.regs.gpr[RDI] == 0x1011);
	EXPECT(e.regs.gpr[RCX] == 0 && e.regs.rip == 0x1003);
	EXPECT(RUN_I(&e, L64, 0x66, 0xab) == X86EMU_DONE);
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0xcdef && e.regs.gpr[RDI] == 0x1013);

	/* 32-bit addressing in 64-bit mode: EDI/ECX, zero-extended */
	e.regs.gpr[RDI] = 0xffffffff00000ffcULL;
	e.regs.gpr[RCX] = 0xffffffff00000002ULL;
	e.regs.rip = 0x1000;
	EXPECT(RUN_I(&e, L64, 0x67, 0xf3, 0xab) == X86EMU_DONE);
	EXPECT(e.regs.gpr[RDI] == 0x1000 && e.regs.gpr[RCX] == 1 && e.regs.rip == 0x1000);
	e.regs.gpr[RCX] = 0x100000000ULL;	/* ECX = 0 */
	EXPECT(RUN_I(&e, L64, 0x67, 0xf3, 0xab) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && e.regs.rip == 0x1003 && e.regs.gpr[RCX] == 0x100000000ULL);

	/* real mode: DI wraps at 16 bits, upper bits kept */
	env_init(&e);
	e.regs.gpr[RAX] = 0xbeef;
	e.regs.gpr[RDI] = 0xabcd0000fffeULL;
	e.regs.gpr[RCX] = 0x77770002ULL;
	EXPECT(RUN_I(&e, R16, 0xf3, 0xab) == X86EMU_DONE);	/* rep stosw */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0xbeef);
	EXPECT(e.regs.gpr[RDI] == 0xabcd00000000ULL && e.regs.gpr[RCX] == 0x77770001ULL);
	EXPECT(e.regs.rip == 0x1000);
	EXPECT(RUN_I(&e, R16, 0xf3, 0x66, 0xab) == X86EMU_DONE);	/* rep stosd */
	EXPECT(e.wlen == 4 && e.regs.gpr[RDI] == 0xabcd00000004ULL);
	EXPECT(e.regs.gpr[RCX] == 0x77770000ULL && e.regs.rip == 0x1003);
	/* PROT32 with 67: 16-bit DI/CX */
	e.regs.gpr[RDI] = 0x12340010;
	e.regs.gpr[RCX] = 0x00010000;	/* CX = 0 */
	EXPECT(RUN_I(&e, P32, 0x67, 0xf3, 0xaa) == X86EMU_DONE);
	EXPECT(e.nwrites == 0 && e.regs.gpr[RDI] == 0x12340010 && e.regs.rip == 0x1006);
}

static void movs(void)
{
	struct env e;
	int k;

	/* MMIO source: read the device, write RAM at ES:rDI */
	env_init(&e);
	e.regs.gpr[RSI] = 0xfee00000;	/* the MMIO side; not used for memory */
	e.regs.gpr[RDI] = e.ram_la + 0x100;
	mmio_set(&e, 0xaabbccdd11223344ULL);
	EXPECT(RUN_I(&e, L64, 0xa5) == X86EMU_DONE);	/* movsd */
	EXPECT(e.nreads == 1 && e.rlen == 4 && e.nwrites == 0);
	EXPECT(ram_get(&e, e.ram_la + 0x100, 8) == 0x11223344);
	EXPECT(e.regs.gpr[RSI] == 0xfee00004 && e.regs.gpr[RDI] == e.ram_la + 0x104);
	EXPECT(e.regs.rip == 0x1001 && e.seg_calls == 0);

	/* MMIO destination, rep movsb, DF=0 then DF=1 */
	env_init(&e);
	for (k = 0; k < 16; k++)
		e.ram[0x200 + k] = (u8)(0xa0 + k);
	e.regs.gpr[RSI] = e.ram_la + 0x200;
	e.regs.gpr[RDI] = 0xfee00000;
	e.regs.gpr[RCX] = 4;
	for (k = 0; k < 4; k++) {
		EXPECT(RUN_D(&e, L64, 0xf3, 0xa4) == X86EMU_DONE);
		EXPECT(e.nreads == 0 && e.nwrites == 1 && e.wlen == 1);
		EXPECT(e.mmio[0] == 0xa0 + k);
		EXPECT(e.regs.gpr[RSI] == e.ram_la + 0x201 + (u64)k);
		EXPECT(e.regs.gpr[RDI] == 0xfee00001 + (u64)k);
		EXPECT(e.regs.gpr[RCX] == (u64)(3 - k));
		EXPECT(e.regs.rip == (k < 3 ? 0x1000 : 0x1002));
	}
	e.regs.rflags |= X86EMU_FL_DF;
	e.regs.gpr[RSI] = e.ram_la + 0x208;
	e.regs.gpr[RCX] = 2;
	e.regs.rip = 0x1000;
	EXPECT(RUN_D(&e, L64, 0xf3, 0x66, 0xa5) == X86EMU_DONE);	/* rep movsw */
	EXPECT(e.wlen == 2 && mmio_get(&e) == 0xa9a8);
	EXPECT(e.regs.gpr[RSI] == e.ram_la + 0x206 && e.regs.rip == 0x1000);
	EXPECT(RUN_D(&e, L64, 0xf3, 0x66, 0xa5) == X86EMU_DONE);
	EXPECT(mmio_get(&e) == 0xa7a6 && e.regs.gpr[RCX] == 0 && e.regs.rip == 0x1003);
	EXPECT(e.regs.gpr[RDI] == 0xfee00000);
	/* rep movsq from MMIO into RAM, DF=1 */
	e.regs.gpr[RSI] = 0xfee00100;
	e.regs.gpr[RDI] = e.ram_la + 0x300;
	e.regs.gpr[RCX] = 2;
	e.regs.rip = 0x1000;
	mmio_set(&e, 0x1111111111111111ULL);
	EXPECT(RUN_I(&e, L64, 0xf3, 0x48, 0xa5) == X86EMU_DONE);
	mmio_set(&e, 0x2222222222222222ULL);
	EXPECT(RUN_I(&e, L64, 0xf3, 0x48, 0xa5) == X86EMU_DONE);
	EXPECT(ram_get(&e, e.ram_la + 0x300, 8) == 0x1111111111111111ULL);
	EXPECT(ram_get(&e, e.ram_la + 0x2f8, 8) == 0x2222222222222222ULL);
	EXPECT(e.regs.gpr[RDI] == e.ram_la + 0x2f0 && e.regs.gpr[RSI] == 0xfee000f0);
	EXPECT(e.regs.rip == 0x1003 && e.regs.gpr[RCX] == 0);

	/* segments: 64-bit mode uses FS/GS bases only */
	env_init(&e);
	e.seg[X86EMU_FS] = 0x10000;
	e.ram_la = 0x10000;
	e.ram[0x40] = 0x5e;
	e.regs.gpr[RSI] = 0x40;
	EXPECT(RUN_D(&e, L64, 0x64, 0xa4) == X86EMU_DONE);	/* movsb from fs:[rsi] */
	EXPECT(e.mmio[0] == 0x5e && e.last_seg == X86EMU_FS && e.last_la == 0x10040);
	e.seg_calls = 0;
	e.regs.gpr[RSI] = 0x10040;
	EXPECT(RUN_D(&e, L64, 0x2e, 0xa4) == X86EMU_DONE);	/* cs: base 0 */
	EXPECT(e.seg_calls == 0 && e.last_la == 0x10040 && e.mmio[0] == 0x5e);

	/* protected mode: DS default, override, ES for the destination */
	env_init(&e);
	e.seg[X86EMU_DS] = 0x20000;
	e.seg[X86EMU_ES] = 0x30000;
	e.seg[X86EMU_GS] = 0x40000;
	e.ram_la = 0x20000;
	e.regs.gpr[RSI] = 0xffff00000010ULL;	/* upper half ignored outside 64-bit mode */
	e.ram[0x10] = 0x77;
	EXPECT(RUN_D(&e, P32, 0xa4) == X86EMU_DONE);
	EXPECT(e.last_seg == X86EMU_DS && e.last_la == 0x20010 && e.mmio[0] == 0x77);
	e.ram_la = 0x40000;
	e.ram[0x11] = 0x78;
	EXPECT(RUN_D(&e, P32, 0x65, 0xa4) == X86EMU_DONE);
	EXPECT(e.last_seg == X86EMU_GS && e.last_la == 0x40011 && e.mmio[0] == 0x78);
	e.ram_la = 0x30000;
	e.regs.gpr[RDI] = 0x80;
	mmio_set(&e, 0x4321);
	EXPECT(RUN_I(&e, P32, 0x65, 0x66, 0xa5) == X86EMU_DONE);	/* dest stays ES */
	EXPECT(e.last_seg == X86EMU_ES && e.last_la == 0x30080);
	EXPECT(ram_get(&e, 0x30080, 2) == 0x4321 && e.regs.gpr[RDI] == 0x82);
	/* linear address wraps at 4 GiB */
	e.seg[X86EMU_ES] = 0xfffff000;
	e.ram_la = 0;
	e.regs.gpr[RDI] = 0x1000;
	EXPECT(RUN_I(&e, P32, 0xa4) == X86EMU_DONE);
	EXPECT(e.last_la == 0);

	/* real mode: base + 16-bit SI */
	env_init(&e);
	e.seg[X86EMU_DS] = 0x12340;
	e.ram_la = 0x12340;
	e.regs.gpr[RSI] = 0xdead0010;
	e.ram[0x10] = 0x42;
	EXPECT(RUN_D(&e, R16, 0xa4) == X86EMU_DONE);
	EXPECT(e.last_la == 0x12350 && e.mmio[0] == 0x42 && e.regs.gpr[RSI] == 0xdead0011);

	/* a RAM fault: FAIL, registers untouched, fault address reported */
	env_init(&e);
	e.ram_fail = 1;
	e.regs.gpr[RSI] = 0x1234;
	e.regs.gpr[RCX] = 5;
	EXPECT(RUN_D(&e, L64, 0xf3, 0xa5) == X86EMU_FAIL);
	EXPECT(e.c.fault && e.c.fault_la == 0x1234 && e.nwrites == 0);
	EXPECT(e.regs.gpr[RSI] == 0x1234 && e.regs.gpr[RCX] == 5 && e.regs.rip == 0x1000);
	e.regs.gpr[RDI] = 0x5678;
	EXPECT(RUN_I(&e, L64, 0xf3, 0xa5) == X86EMU_FAIL);
	EXPECT(e.c.fault && e.c.fault_la == 0x5678 && e.nreads == 1);
	EXPECT(e.regs.gpr[RDI] == 0x5678 && e.regs.gpr[RCX] == 5 && e.regs.rip == 0x1000);
}

/* Decoded fields for a table of encodings. */
static void decode_fields(void)
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

static void invalid(void)
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
static void truncated(void)
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

static void fuzz_random(void)
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
static void fuzz_exhaustive_short(void)
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
static void fuzz_prefixed(void)
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

int main(void)
{
	RUN(UNIT_PREFIX, mov_store);
	RUN(UNIT_PREFIX, mov_load);
	RUN(UNIT_PREFIX, mov_imm);
	RUN(UNIT_PREFIX, moffs);
	RUN(UNIT_PREFIX, movzx_movsx);
	RUN(UNIT_PREFIX, alu_known);
	RUN(UNIT_PREFIX, alu_vs_host);
	RUN(UNIT_PREFIX, bit_test);
	RUN(UNIT_PREFIX, stos);
	RUN(UNIT_PREFIX, movs);
	RUN(UNIT_PREFIX, decode_fields);
	RUN(UNIT_PREFIX, invalid);
	RUN(UNIT_PREFIX, truncated);
	RUN(UNIT_PREFIX, fuzz_random);
	RUN(UNIT_PREFIX, fuzz_exhaustive_short);
	RUN(UNIT_PREFIX, fuzz_prefixed);
	return unit_failed;
}
