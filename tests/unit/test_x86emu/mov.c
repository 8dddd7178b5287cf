// SPDX-License-Identifier: MIT
/* emu: mov. */
#include "emu.h"

/* ---- tests ---- */

void mov_store(void)
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

void mov_load(void)
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

void mov_imm(void)
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

void moffs(void)
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

void movzx_movsx(void)
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
