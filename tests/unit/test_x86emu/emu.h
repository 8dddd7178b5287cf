/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for module/x86emu.c: decode and execute every supported form,
 * arithmetic flags checked against the build machine's own ALU, REP string
 * instructions element by element, invalid and truncated input, fuzzing.
 */
#ifndef DOMUS_TEST_EMU_H
#define DOMUS_TEST_EMU_H

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


#define BYTES(...) ((const u8[]){ __VA_ARGS__ })
#define NBYTES(...) (sizeof((const u8[]){ __VA_ARGS__ }))
#define RUN_I(e, mode, ...) run_ex(e, mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), false)
#define RUN_D(e, mode, ...) run_ex(e, mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), true)
#define DEC(mode, i, ...) dec(mode, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), i)

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HW_ALU 1
#else
#define HAVE_HW_ALU 0
#endif

/* helpers.c */
extern const struct x86emu_ops tops;
int t_read_mem(void *o, u64 la, void *buf, unsigned int len);
int t_write_mem(void *o, u64 la, const void *buf, unsigned int len);
u64 t_seg_base(void *o, int seg);
void env_init(struct env *e);
u64 mmio_get(const struct env *e);
void mmio_set(struct env *e, u64 v);
u64 ram_get(const struct env *e, u64 la, unsigned int len);
int run_ex(struct env *e, enum x86emu_mode mode, const u8 *b,
		  unsigned int n, bool mmio_is_dest);
int dec(enum x86emu_mode mode, const u8 *b, unsigned int n, struct x86emu_insn *i);
u64 rnd(void);
u64 rnd_val(void);
u64 hw_alu(unsigned int op, unsigned int size, u64 a, u64 b, int cf, u64 *flags_out);
u64 msk(unsigned int size);

/* the tests (main.c runs them) */
void mov_store(void);
void mov_load(void);
void mov_imm(void);
void moffs(void);
void movzx_movsx(void);
void alu_vs_host(void);
void alu_known(void);
void bit_test(void);
void stos(void);
void movs(void);
void decode_fields(void);
void invalid(void);
void truncated(void);
void fuzz_random(void);
void fuzz_exhaustive_short(void);
void fuzz_prefixed(void);

#endif
