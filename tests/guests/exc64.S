/* SPDX-License-Identifier: MIT */
/*
 * Exact exception delivery (issue 10 item 6): a 64-bit guest, set up like
 * long64.S (domus_setup_long_mode), entered with RDI = test id (E_* in
 * guest.h).
 *
 * Delivery tests (E_INT .. E_NP_IDT): the guest reports the address of
 * the instruction and of the one after it (PORT_VAL), moves RSP to the
 * top of EXC_LATE (no slot) and raises the event; its delivery exits.
 * After the host mapped the page, the handler reports the vector, the
 * return RIP on its stack and the error code (0 when none), then passes.
 *
 * E_DR: DR6/DR7 after reset, DR4/DR5 aliasing, #UD with CR4.DE, #GP for
 * upper bits in DR6/DR7, DR7.GD; the handlers count, record and step
 * over the 3-byte MOV DR.
 */
#include "guest.h"

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done
#define REPORT(x)	movq x, %rax; outl %eax, $PORT_VAL

	.code64
	.text
	.globl	_start
_start:
	cld
	movq	%rdi, %r15
	movl	$1, %eax
	leaq	h_db(%rip), %rdx
	call	set_gate
	movl	$3, %eax
	leaq	h_bp(%rip), %rdx
	call	set_gate
	movl	$6, %eax
	leaq	h_ud(%rip), %rdx
	call	set_gate
	movl	$13, %eax
	leaq	h_gp(%rip), %rdx
	call	set_gate
	movl	$11, %eax
	leaq	h_np(%rip), %rdx
	call	set_gate
	movl	$0x40, %eax
	leaq	h_40(%rip), %rdx
	call	set_gate
	movl	$0x41, %eax
	leaq	h_41(%rip), %rdx
	call	set_gate
	lidt	idt_desc(%rip)
	cmpq	$E_COUNT, %r15
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
	.quad	e_int, e_int3, e_icebp, e_gp_mov, e_np_idt, e_dr

	DEFINE_SET_GATE idt(%rip)

/* --- handlers: the stack holds vector, error code (0 if none), RIP, ... -- */
h_db:	pushq	$0
	pushq	$1
	jmp	common
h_bp:	pushq	$0
	pushq	$3
	jmp	common
h_ud:	pushq	$0
	pushq	$6
	jmp	common
h_np:	pushq	$11
	jmp	common
h_gp:	pushq	$13
	jmp	common
h_40:	pushq	$0
	pushq	$0x40
	jmp	common
h_41:	pushq	$0
	pushq	$0x41
	jmp	common

common:
	cmpb	$0, dr_mode(%rip)
	jne	resume
	REPORT((%rsp))			/* vector */
	REPORT(16(%rsp))		/* return RIP */
	REPORT(8(%rsp))			/* error code */
	PASS

resume:					/* E_DR: record, step over the MOV DR */
	pushq	%rax
	incq	exc_count(%rip)
	movq	8(%rsp), %rax
	movq	%rax, exc_vec(%rip)
	movq	16(%rsp), %rax
	movq	%rax, exc_err(%rip)
	movq	%dr6, %rax
	movq	%rax, exc_dr6(%rip)
	addq	$3, 24(%rsp)
	popq	%rax
	addq	$16, %rsp
	iretq

/* --- delivery tests: stack in EXC_LATE -------------------------------------- */
#define ADDRS(a, b)	leaq a(%rip), %rax; outl %eax, $PORT_VAL; \
			leaq b(%rip), %rax; outl %eax, $PORT_VAL; \
			movq $EXC_LATE + 0x1000, %rsp

e_int:
	ADDRS(1f, 2f)
1:	int	$0x40
2:	movl	$__LINE__, %eax
	jmp	fail

e_int3:
	ADDRS(1f, 2f)
1:	int3
2:	movl	$__LINE__, %eax
	jmp	fail

e_icebp:
	ADDRS(1f, 2f)
1:	.byte	0xf1
2:	movl	$__LINE__, %eax
	jmp	fail

e_gp_mov:
	ADDRS(1f, 2f)
	movabsq	$0x8000000000000000, %rbx
1:	movl	%eax, (%rbx)
2:	movl	$__LINE__, %eax
	jmp	fail

/* #UD's gate not present: #NP, error 6 * 8 + IDT (2) + EXT (1) */
e_np_idt:
	andb	$0x7f, idt + 6 * 16 + 5(%rip)
	ADDRS(1f, 2f)
1:	ud2
2:	movl	$__LINE__, %eax
	jmp	fail

/* --- E_DR ---------------------------------------------------------------------- */
#define STEP	REPORT(exc_count(%rip)); REPORT(exc_vec(%rip)); REPORT(exc_err(%rip))

e_dr:
	movb	$1, dr_mode(%rip)
	movq	%dr6, %rax			/* 1-2: reset values */
	outl	%eax, $PORT_VAL
	movq	%dr7, %rax
	outl	%eax, $PORT_VAL
	movq	%dr4, %rax			/* 3-4: CR4.DE clear: DR4/5 are DR6/7 */
	outl	%eax, $PORT_VAL
	movq	%dr5, %rax
	outl	%eax, $PORT_VAL
	movq	%cr4, %rbx
	movq	%rbx, %rax
	orq	$8, %rax			/* CR4.DE */
	movq	%rax, %cr4
	movq	%dr4, %rax			/* 5-7: #UD */
	STEP
	movq	%dr5, %rax			/* 8-10: #UD */
	STEP
	movq	%rbx, %cr4
	movq	$0, exc_err(%rip)
	movabsq	$0x100000400, %rax
	movq	%rax, %dr7			/* 11-13: bits 63:32: #GP(0) */
	STEP
	movq	$0xdead, exc_err(%rip)
	movabsq	$0x1ffff0ff0, %rax
	movq	%rax, %dr6			/* 14-16: #GP(0) */
	STEP
	movq	%dr7, %rax			/* 17: DR7 unchanged */
	outl	%eax, $PORT_VAL
	movq	$0x2400, %rax
	movq	%rax, %dr7			/* DR7.GD */
	movq	%dr0, %rax			/* 18-20: #DB */
	STEP
	REPORT(exc_dr6(%rip))			/* 21: DR6.BD */
	movq	%dr7, %rax			/* 22: GD cleared by the #DB */
	outl	%eax, $PORT_VAL
	PASS

/* --- data ---------------------------------------------------------------------- */
	.balign	8
exc_count:	.quad 0
exc_vec:	.quad 0
exc_err:	.quad 0
exc_dr6:	.quad 0
dr_mode:	.byte 0
	.balign	8
idt_desc:	.word 256 * 16 - 1
		.quad idt
	.balign	16
idt:		.fill 256 * 16, 1, 0
