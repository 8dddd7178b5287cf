/* SPDX-License-Identifier: MIT */
/*
 * 64-bit guest for XSAVE/XSETBV (tests/host/xsavetest.c).  Entered like
 * long64 (host-built long mode, RDI = test id), with RSI = the XCR0
 * value the host lets a guest enable (all its enabled features) and RDX
 * = one more feature bit the host does not offer (0: none known).
 * Expectations are the architecture's (Intel SDM vol. 2, XSETBV; AMD APM
 * vol. 3): XSETBV writes XCR0 if ECX = 0, bit 0 (x87) is set, AVX (bit 2)
 * only with SSE (bit 1), MPX's BNDREGS/BNDCSR (bits 4:3) both or neither,
 * and no bit outside what the processor supports; otherwise #GP(0) and
 * XCR0 keeps its value.  Results: OUT to PORT_DONE with 0 or the failing
 * line; XCR0 values via PORT_VAL.
 */
#include "guest.h"

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done

#define XT_VALID	0	/* x87, x87|SSE, (x87|SSE|AVX), everything offered: accepted */
#define XT_INVALID	1	/* #GP for each invalid value; XCR0 unchanged */
#define XT_AVX		2	/* YMM: #UD unless XCR0.AVX, and usable with it */
#define XT_MPX_HALF	3	/* #GP for BNDREGS without BNDCSR and the reverse */
#define XT_PROBE	4	/* 64 XSETBVs of RSI between two OUTs: does the CPU intercept them? */
#define XT_COUNT	5

/* xsetbv with ECX = \xcr, EDX:EAX = \val; \gp = 1 if a #GP is expected. */
.macro	SETX xcr, val, gp
	movq	gp_count(%rip), %r8
	movl	$\xcr, %ecx
	movq	\val, %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	xsetbv
	subq	gp_count(%rip), %r8
	negq	%r8
	cmpq	$\gp, %r8
.endm

/* XCR0 (XGETBV, ECX = 0) into %rax, and reported. */
.macro	GETX
	xorl	%ecx, %ecx
	xgetbv
	shlq	$32, %rdx
	movl	%eax, %eax
	orq	%rdx, %rax
	outl	%eax, $PORT_VAL
.endm

	.code64
	.text
	.globl	_start
_start:
	cld
	movq	%rdi, %r15
	movq	%rsi, %r14		/* offered XCR0 */
	movq	%rdx, %r13		/* a bit not offered, or 0 */
	lidt	idt_desc(%rip)
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	movl	$6, %eax
	leaq	ud_handler(%rip), %rdx
	call	set_gate
	movq	%cr4, %rax
	orq	$0x40000, %rax		/* CR4.OSXSAVE */
	movq	%rax, %cr4
	movq	$3, gp_skip(%rip)	/* XSETBV is 0f 01 d1 */
	cmpq	$XT_COUNT, %r15
	jae	bad_test
	leaq	tests(%rip), %rax
	jmp	*(%rax,%r15,8)

bad_test:
	movl	$__LINE__, %eax
fail:
done:
	outl	%eax, $PORT_DONE
	jmp	done

	.balign	8
tests:
	.quad	t_valid, t_invalid, t_avx, t_mpx_half, t_probe

	DEFINE_SET_GATE idt(%rip)

gp_handler:			/* #GP: error code on the stack */
	incq	gp_count(%rip)
	pushq	%rax
	movq	8(%rsp), %rax
	movq	%rax, gp_err(%rip)
	movq	gp_skip(%rip), %rax
	addq	%rax, 16(%rsp)	/* skip the faulting instruction */
	popq	%rax
	addq	$8, %rsp
	iretq

ud_handler:			/* #UD: no error code */
	incq	ud_count(%rip)
	pushq	%rax
	movq	ud_skip(%rip), %rax
	addq	%rax, 8(%rsp)
	popq	%rax
	iretq

/* --- XT_VALID --------------------------------------------------------------- */
t_valid:
	SETX	0, $1, 0		/* x87 alone */
	EXPECT(je)
	GETX
	cmpq	$1, %rax
	EXPECT(je)
	SETX	0, $3, 0		/* x87 | SSE */
	EXPECT(je)
	GETX
	cmpq	$3, %rax
	EXPECT(je)
	testq	$4, %r14
	jz	1f
	SETX	0, $7, 0		/* x87 | SSE | AVX */
	EXPECT(je)
	GETX
	cmpq	$7, %rax
	EXPECT(je)
1:	SETX	0, %r14, 0		/* everything offered */
	EXPECT(je)
	GETX
	cmpq	%r14, %rax
	EXPECT(je)
	PASS

/* --- XT_INVALID: each value faults and leaves XCR0 as it was ---------------- */
t_invalid:
	SETX	0, $3, 0
	EXPECT(je)
	SETX	0, $0, 1		/* x87 clear */
	EXPECT(je)
	SETX	0, $2, 1		/* SSE without x87 */
	EXPECT(je)
	SETX	0, $5, 1		/* AVX without SSE */
	EXPECT(je)
	SETX	1, $3, 1		/* ECX = 1: XCR1 is read-only (XGETBV only) */
	EXPECT(je)
	SETX	0x80000000, $3, 1	/* ECX with only high bits set */
	EXPECT(je)
	movq	$0x8000000000000003, %rax	/* bit 63: reserved */
	SETX	0, %rax, 1
	EXPECT(je)
	testq	%r13, %r13
	jz	1f
	movq	%r13, %rax		/* a feature the host does not offer */
	orq	$3, %rax
	SETX	0, %rax, 1
	EXPECT(je)
1:	movq	gp_err(%rip), %rax
	testq	%rax, %rax		/* #GP(0) */
	EXPECT(jz)
	GETX
	cmpq	$3, %rax
	EXPECT(je)
	PASS

/* --- XT_AVX: a YMM instruction faults (#UD) without XCR0.AVX ----------------- */
t_avx:
	leaq	ymm_in(%rip), %rsi
	leaq	ymm_out(%rip), %rdi
	movq	$(2f - 1f), ud_skip(%rip)
	SETX	0, $3, 0
	EXPECT(je)
1:	vmovdqu	(%rsi), %ymm3
2:	cmpq	$1, ud_count(%rip)
	EXPECT(je)
	SETX	0, $7, 0
	EXPECT(je)
	vmovdqu	(%rsi), %ymm3
	vpxor	%ymm4, %ymm4, %ymm4
	vpxor	%ymm3, %ymm4, %ymm4
	vmovdqu	%ymm4, (%rdi)
	cmpq	$1, ud_count(%rip)
	EXPECT(je)
	movl	$4, %ecx
3:	movq	-8(%rsi,%rcx,8), %rax
	cmpq	-8(%rdi,%rcx,8), %rax
	EXPECT(je)
	decl	%ecx
	jnz	3b
	/* XSAVE keeps the upper halves: bytes 576.. of the standard format */
	leaq	xsave_area(%rip), %rdi
	movl	$7, %eax
	xorl	%edx, %edx
	xsave	(%rdi)
	movq	512(%rdi), %rax		/* XSTATE_BV: AVX in use */
	testq	$4, %rax
	EXPECT(jnz)
	movq	576 + 3 * 16(%rdi), %rax	/* YMM3[255:128] */
	cmpq	ymm_in+16(%rip), %rax
	EXPECT(je)
	movq	576 + 3 * 16 + 8(%rdi), %rax
	cmpq	ymm_in+24(%rip), %rax
	EXPECT(je)
	PASS

/* --- XT_MPX_HALF: BNDREGS and BNDCSR only together --------------------------- */
t_mpx_half:
	SETX	0, $3, 0
	EXPECT(je)
	SETX	0, $0x0b, 1		/* BNDREGS without BNDCSR */
	EXPECT(je)
	SETX	0, $0x13, 1		/* BNDCSR without BNDREGS */
	EXPECT(je)
	GETX
	cmpq	$3, %rax
	EXPECT(je)
	SETX	0, $0x1b, 0		/* both */
	EXPECT(je)
	GETX
	cmpq	$0x1b, %rax
	EXPECT(je)
	PASS


/*
 * --- XT_PROBE: harmless XSETBVs (RSI is the host's own XCR0) -------------------
 * Not intercepted, each rewrites the host's XCR0 with its own value;
 * intercepted, domus may refuse it (#GP: PKRU for a guest not shown
 * PKU), which does not matter here: only the exits are counted.
 */
t_probe:
	outl	%eax, $PORT_VAL			/* the host reads the exit counter here */
	movl	$64, %r9d
1:	SETX	0, %r14, 0
	decl	%r9d
	jnz	1b
	outl	%eax, $PORT_VAL			/* ... and here */
	PASS

	.balign	8
gp_count:	.quad 0
gp_err:		.quad 0
gp_skip:	.quad 0
ud_count:	.quad 0
ud_skip:	.quad 0
	.balign	8
idt_desc:	.word 256 * 16 - 1
		.quad idt
	.balign	32
ymm_in:		.quad 0x0123456789abcdef, 0xfedcba9876543210, 0x1111222233334444, 0x5555666677778888
ymm_out:	.fill 32, 1, 0
	.balign	64
xsave_area:	.fill 4096, 1, 0
	.balign	16
idt:		.fill 256 * 16, 1, 0
