// SPDX-License-Identifier: MIT
/* emu: helpers. */
#include "emu.h"

int t_read_mem(void *o, u64 la, void *buf, unsigned int len)
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

int t_write_mem(void *o, u64 la, const void *buf, unsigned int len)
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

u64 t_seg_base(void *o, int seg)
{
	struct env *e = o;

	e->seg_calls++;
	e->last_seg = seg;
	return (seg >= 0 && seg < 6) ? e->seg[seg] : 0xdeadbeef;
}

const struct x86emu_ops tops = {
	.read_mem = t_read_mem,
	.write_mem = t_write_mem,
	.seg_base = t_seg_base,
};

void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->regs.rflags = 0x2;
	e->regs.rip = 0x1000;
	e->ram_la = 0x10000;
	e->last_seg = -1;
}

u64 mmio_get(const struct env *e)
{
	u64 v = 0;

	memcpy(&v, e->mmio, 8);
	return v;
}

void mmio_set(struct env *e, u64 v)
{
	memcpy(e->mmio, &v, 8);
}

u64 ram_get(const struct env *e, u64 la, unsigned int len)
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
int run_ex(struct env *e, enum x86emu_mode mode, const u8 *b,
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


int dec(enum x86emu_mode mode, const u8 *b, unsigned int n, struct x86emu_insn *i)
{
	return x86emu_decode(b, n, mode, i);
}


/* ---- the host ALU, for reference flags ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

u64 rnd(void)
{
	u64 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* Random operand with many edge values. */
u64 rnd_val(void)
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
u64 hw_alu(unsigned int op, unsigned int size, u64 a, u64 b, int cf, u64 *flags_out)
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

u64 msk(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}
