/* SPDX-License-Identifier: MIT */
/*
 * Local APIC and NMI guest (tests/host/coretest_apic.c).  Entered in long
 * mode like long64 (domus_setup_long_mode) with RDI = test:
 *   0  x2APIC LVT timer, one-shot (Xen domain: in-kernel x2APIC)
 *   1  NMI wakes HLT with IF = 0 (plain domain; the host sends DOMUS_NMI)
 *   2  INIT of a running vCPU (Xen domain, 2 vCPUs): vCPU 0 starts
 *      vCPU 1 with INIT + STARTUP 0x10 (real-mode counter at 0x10000),
 *      sends INIT while it runs (the counter must stop), then STARTUP
 *      0x11 (real-mode code at 0x11000 writes 0xbeef to 0x11100)
 *   3  x2APIC LVT timer, periodic (5 ticks, then masked)
 *   4  x2APIC LVT timer, TSC-deadline mode (MSR 0x6e0)
 * Results as in long64: PORT_DONE 0 or the failing line; PORT_VAL values.
 */
#include "guest.h"

#define IDT		0x20000
#define TICKS		0x21000		/* qword: timer interrupts */
#define NMIS		0x21008		/* qword: NMIs */
#define AP_COUNT	0x10100		/* dword: vCPU 1's real-mode counter */
#define AP_MARK		0x11100		/* dword: 0xbeef from the second start */
#define TIMER_VEC	0x50

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done
#define WRMSR(m, lo)	movl $(m), %ecx; movl $(lo), %eax; xorl %edx, %edx; wrmsr
#define ICR(dest, lo)	movl $0x830, %ecx; movl $(lo), %eax; movl $(dest), %edx; wrmsr
/* wait with interrupts enabled until qword \addr >= \n; IF = 0 afterwards */
.macro wait_ge addr, n
1:	cli
	cmpq	$\n, \addr
	jae	2f
	sti
	hlt
	jmp	1b
2:
.endm
.macro spin n
	movl	$\n, %ecx
3:	pause
	decl	%ecx
	jnz	3b
.endm

	.code64
	.text
	.globl	_start
_start:
	cld
	movq	%rdi, %r15
	lidt	idt_desc(%rip)
	movl	$2, %eax
	leaq	nmi_handler(%rip), %rdx
	call	set_gate
	movl	$TIMER_VEC, %eax
	leaq	tick_handler(%rip), %rdx
	call	set_gate
	cmpq	$0, %r15
	je	t_oneshot
	cmpq	$1, %r15
	je	t_nmi_hlt
	cmpq	$2, %r15
	je	t_init
	cmpq	$3, %r15
	je	t_periodic
	cmpq	$4, %r15
	je	t_deadline
	movl	$__LINE__, %eax
fail:
done:
	outl	%eax, $PORT_DONE
	jmp	done

/* set_gate: %eax = vector, %rdx = handler: 64-bit interrupt gate, CS 0x08 */
set_gate:
	movl	%eax, %eax
	shlq	$4, %rax
	leaq	IDT(%rax), %rcx
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

tick_handler:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	incq	TICKS
	WRMSR(0x80b, 0)			/* EOI */
	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq

nmi_handler:
	incq	NMIS
	iretq

apic_on:
	WRMSR(0x80f, 0x1ff)		/* SVR: software enable */
	WRMSR(0x83e, 0xb)		/* divide by 1 */
	ret

/* --- 0: one-shot: one interrupt, the current count reads 0 afterwards ------- */
t_oneshot:
	call	apic_on
	WRMSR(0x832, TIMER_VEC)		/* LVT timer: one-shot, unmasked */
	WRMSR(0x838, 1000000)		/* 1 ms at the 1 GHz bus clock */
	wait_ge	TICKS, 1
	movl	$0x839, %ecx		/* current count: 0 after it fired */
	rdmsr
	testl	%eax, %eax
	EXPECT(jz)
	sti
	spin	1000000			/* no second interrupt */
	cli
	movq	TICKS, %rax
	outl	%eax, $PORT_VAL
	cmpq	$1, %rax
	EXPECT(je)
	PASS

/* --- 3: periodic: five ticks, then masked: no more ------------------------- */
t_periodic:
	call	apic_on
	WRMSR(0x832, TIMER_VEC | 0x20000)
	WRMSR(0x838, 200000)		/* 200 us */
	movl	$0x839, %ecx		/* counting down */
	rdmsr
	testl	%eax, %eax
	EXPECT(jnz)
	wait_ge	TICKS, 5
	WRMSR(0x832, TIMER_VEC | 0x30000)	/* masked */
	WRMSR(0x838, 0)			/* stopped */
	sti				/* a tick already accepted (IRR) before */
	spin	100000			/* the mask is still delivered: take it */
	cli
	movq	TICKS, %rbx
	sti
	spin	1000000
	cli
	movq	TICKS, %rax
	outl	%eax, $PORT_VAL
	cmpq	%rbx, %rax
	EXPECT(je)
	PASS

/* --- 4: TSC-deadline: fires at (not before) the deadline, MSR reads 0 after -- */
t_deadline:
	call	apic_on
	WRMSR(0x832, TIMER_VEC | 0x40000)
	rdtsc
	shlq	$32, %rdx
	orq	%rdx, %rax
	addq	$100000000, %rax
	movq	%rax, %r12
	movq	%rax, %rdx
	shrq	$32, %rdx
	movl	$0x6e0, %ecx
	wrmsr
	movl	$0x6e0, %ecx		/* reads back while armed, 0 once fired */
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	cmpq	%r12, %rax
	je	5f
	testq	%rax, %rax
	EXPECT(jz)
	rdtsc				/* 0: only if the deadline has passed */
	shlq	$32, %rdx
	orq	%rdx, %rax
	cmpq	%r12, %rax
	EXPECT(jae)
5:	wait_ge	TICKS, 1
	rdtsc
	shlq	$32, %rdx
	orq	%rdx, %rax
	cmpq	%r12, %rax
	EXPECT(jae)
	movl	$0x6e0, %ecx
	rdmsr
	orl	%edx, %eax
	EXPECT(jz)
	movq	TICKS, %rax
	outl	%eax, $PORT_VAL
	PASS

/* --- 1: HLT with IF = 0: only the NMI wakes it --------------------------------- */
t_nmi_hlt:
	cli
	movl	$1, %eax
	outl	%eax, $PORT_SYNC		/* the host sends DOMUS_NMI in 100 ms */
	hlt
	movq	NMIS, %rax
	outl	%eax, $PORT_VAL
	cmpq	$1, %rax
	EXPECT(je)
	PASS

/* --- 2: INIT of a running vCPU ------------------------------------------------- */
t_init:
	call	apic_on
	ICR(1, 0x4500)			/* INIT, level assert, to vCPU 1 */
	ICR(1, 0x4610)			/* STARTUP at 0x10000 */
	movl	$200000000, %ebx
1:	cmpl	$0, AP_COUNT
	jne	2f
	pause
	decl	%ebx
	jnz	1b
	movl	$__LINE__, %eax		/* vCPU 1 never ran */
	jmp	fail
2:	ICR(1, 0x4500)			/* INIT while it runs */
	spin	200000
	movl	AP_COUNT, %ebx
	spin	1000000
	movl	AP_COUNT, %eax
	outl	%eax, $PORT_VAL
	cmpl	%ebx, %eax		/* stopped */
	EXPECT(je)
	ICR(1, 0x4611)			/* STARTUP at 0x11000 */
	movl	$200000000, %ebx
3:	cmpl	$0xbeef, AP_MARK
	je	4f
	pause
	decl	%ebx
	jnz	3b
	movl	$__LINE__, %eax		/* the second STARTUP did not start it */
	jmp	fail
4:	movl	AP_COUNT, %eax
	outl	%eax, $PORT_VAL
	PASS

	.balign	8
idt_desc:
	.word	4095
	.quad	IDT

/* vCPU 1's real-mode entry points (STARTUP vector 0x10 and 0x11) */
	.org	0x10000 - GUEST_LOAD
	.code16
ap_count:
	incl	%cs:0x100
	jmp	ap_count
	.org	0x11000 - GUEST_LOAD
ap_mark:
	movl	$0xbeef, %cs:0x100
1:	jmp	1b
	.org	0x11200 - GUEST_LOAD
	.code64
