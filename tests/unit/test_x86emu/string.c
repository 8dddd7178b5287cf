// SPDX-License-Identifier: MIT
/* emu: string. */
#include "emu.h"

void stos(void)
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

void movs(void)
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
