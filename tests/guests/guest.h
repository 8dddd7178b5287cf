/* SPDX-License-Identifier: MIT */
/*
 * Shared constants of the test guests (tests/guests/<name>.S) and the host
 * programs that run them (tests/host/coretest.c).  See README.md here.
 */
#ifndef DOMUS_TEST_GUEST_H
#define DOMUS_TEST_GUEST_H

/* Every guest image is linked for, and loaded at, this guest-physical address. */
#define GUEST_LOAD		0x8000

/* Ports (all exits to userspace). */
#define PORT_CON		0xe9	/* OUT byte: debug console */
#define PORT_DONE		0xf0	/* OUT dword: test finished, 0 = pass, else the failing source line */
#define PORT_VAL		0xf1	/* OUT any size: report a value to the host */
#define PORT_IN			0xf2	/* IN: low bytes of PORT_IN_VALUE */
#define PORT_STR		0xf3	/* OUT: bytes appended to a host buffer; IN: a byte sequence from 0x30 up */
#define PORT_SYNC		0xf4	/* OUT: rendezvous; the host acts (inject, check state) and resumes */

#define PORT_IN_VALUE		0x11223344
#define STR_IN_FIRST		0x30

/* Long-mode guest memory map (guest-physical = guest-linear). */
#define LM_PT			0x1000		/* GDT + page tables (host-built) */
#define LM_STACK_TOP		0x80000		/* vCPU n: LM_STACK_TOP - n * 0x8000 */
#define LM_DATA			0x200000	/* scratch data; test-specific */
#define LM_COUNTER		0x200000	/* qword incremented by the loop test */
#define LM_SHARED		0x200040	/* qword incremented by both vCPUs */
#define LM_FILL			0x300000	/* pattern-fill area */
#define LM_FILL_SIZE		0x100000
#define LM_RAM_SIZE		0x400000	/* slot 0: [0, 4 MiB) */
#define LM_RO			0x400000	/* slot 1: read-only, 64 KiB */
#define LM_RO_SIZE		0x10000
#define LM_HOLE			0x80000000	/* no slot: reads exit as MMIO */
#define LM_MMIO			0xc0000000	/* no slot: the host's memory-like MMIO device */
#define LM_MAP_BYTES		0x100000000	/* page tables identity-map 4 GiB */

/* Real- and protected-mode guests: RAM [0, 640 KiB), MMIO at 0xd0000. */
#define LO_RAM_SIZE		0xa0000
#define LO_MMIO			0xd0000
#define LO_STACK_TOP		0x7000

/* Test ids, passed in RDI (DI/EDI). */
#define T_HELLO			0	/* all guests */
#define T_PIO			1	/* all guests */
#define T_MMIO			2	/* all guests (long64: every form) */
#define T_ROSLOT		3	/* long64 */
#define T_CPUID			4	/* long64, prot32 */
#define T_MSR_GP		5	/* long64 */
#define T_TRIPLE		6	/* long64, real16 */
#define T_IRQ			7	/* long64 */
#define T_HLT			8	/* long64 */
#define T_LOOP			9	/* long64, real16: endless loop */
#define T_FPU			10	/* long64: RSI seed, RDX avx, RCX iterations */
#define T_FILL			11	/* long64: RSI seed */
#define T_ZERO			12	/* long64 */
#define T_SMP			13	/* long64: RSI iterations */
#define T_REGS			14	/* long64 */
#define T_MSRS			15	/* long64 */
#define T_FPU_STATE		16	/* long64: RDX avx */
#define T_EVENT			17	/* long64 */
#define T_NMI			18	/* long64 */
#define T_HARDEN		19	/* long64: RDPMC, WBINVD, MOV to CR4 of RSI */
#define T_MSR_PROBE		20	/* long64: the RDMSR/WRMSR list at LM_DATA */
#define T_COUNT			21

/* fuzz64.S (the guest fuzzer, tests/host/devfuzz/guest.c): its data in LM_DATA */
#define FZ_COUNTS		LM_DATA			/* 32 qwords: exceptions per vector */
#define FZ_DONE			(LM_DATA + 0x100)	/* operations made */
#define FZ_STRAY		(LM_DATA + 0x108)	/* exceptions outside an operation */
#define FZ_RECOVER		(LM_DATA + 0x110)	/* where a fault resumes; 0: none */
#define FZ_TRACE		(LM_DATA + 0x180)	/* 16 qwords: ops[] index of operation n at n % 16 */
#define FZ_SCRATCH		(LM_DATA + 0x800)	/* string I/O buffer */
#define FZ_IDT			(LM_DATA + 0x1000)

/*
 * exc64.S (exact exception delivery, issue 10 item 6): test ids in RDI.
 * The delivery tests put the stack in EXC_LATE, a page outside every
 * slot: delivering the event exits; the host maps the page (and may
 * rewrite the instruction) and resumes.
 */
#define EXC_LATE		0x600000
#define E_INT			0	/* INT 0x40 */
#define E_INT3			1
#define E_ICEBP			2
#define E_GP_MOV		3	/* store to a non-canonical address: #GP(0) */
#define E_NP_IDT		4	/* UD2, #UD's gate not present: #NP(0x33) */
#define E_DR			5	/* DR6/DR7 reset values and the MOV DR rules */
#define E_COUNT			6
/* prot32.S: INTO with the stack in LO_LATE (no slot; paging off) */
#define T_INTO			21
#define LO_LATE			0x100000

/* T_CPUID: the host writes the leaves to ask at LM_DATA (long64) or
 * LO_CPUID (prot32): dword n, then n pairs (function, index). */
#define LO_CPUID		0x20000

/* T_MSRS: the MSRs the guest reads and then writes (value + MSR_DELTA). */
#define MSR_DELTA		0x1000

#ifdef __ASSEMBLER__
/*
 * DEFINE_SET_GATE IDT: emits set_gate, which writes a 64-bit interrupt gate
 * (CS 0x08) for vector %eax to handler %rdx into the IDT at address IDT
 * (a label as "idt(%rip)", or a constant).  Clobbers %rax, %rcx.
 */
.macro DEFINE_SET_GATE idt
set_gate:
	movl	%eax, %eax
	shlq	$4, %rax
	leaq	\idt, %rcx
	addq	%rax, %rcx
	movw	%dx, (%rcx)
	movw	$0x08, 2(%rcx)
	movw	$0x8e00, 4(%rcx)
	movq	%rdx, %rax
	shrq	$16, %rax
	movw	%ax, 6(%rcx)
	shrq	$16, %rax
	movl	%eax, 8(%rcx)
	movl	$0, 12(%rcx)
	ret
.endm
#endif

#endif
