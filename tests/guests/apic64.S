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
 *   5  xAPIC page: start state, registers, sub-dword reads, ignored
 *      writes, ESR, IRR, x2APIC MSRs #GP in xAPIC mode
 *   6  xAPIC timer (one-shot, then periodic) and 300 self IPIs through
 *      the ICR (physical, logical flat, all-including-self; cluster
 *      model; a logical destination that is not ours)
 *   7  IA32_APIC_BASE transitions and their #GPs; the page is decoded
 *      only in xAPIC mode (the host answers 0xa5a5a5a5 otherwise)
 *   8  the xAPIC page relocated to 0xfeb00000 and back
 * Tests 0-4 switch to x2APIC mode first (vCPUs start in xAPIC mode).
 * Results as in long64: PORT_DONE 0 or the failing line; PORT_VAL values.
 */
#include "guest.h"

#define IDT		0x20000
#define TICKS		0x21000		/* qword: timer interrupts */
#define NMIS		0x21008		/* qword: NMIs */
#define AP_COUNT	0x10100		/* dword: vCPU 1's real-mode counter */
#define AP_MARK		0x11100		/* dword: 0xbeef from the second start */
#define IPIS		0x21010		/* qword: IPI interrupts */
#define GPS		0x21018		/* qword: #GP faults (RDMSR/WRMSR skipped) */
#define EOI_ADDR	0x21020		/* qword: xAPIC EOI register, 0: x2APIC MSR */
#define TIMER_VEC	0x50
#define IPI_VEC		0x51
#define XBASE		0xfee00000
#define XRELOC		0xfeb00000
#define UNDECODED	0xa5a5a5a5	/* the host's answer outside xAPIC mode */

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done
#define WRMSR(m, lo)	movl $(m), %ecx; movl $(lo), %eax; xorl %edx, %edx; wrmsr
#define ICR(dest, lo)	movl $0x830, %ecx; movl $(lo), %eax; movl $(dest), %edx; wrmsr
/* xAPIC registers through %rbx = the page's address */
#define AR(off)		movl off(%rbx), %eax
#define AW(off, v)	movl $(v), off(%rbx)
#define CHK(v)		cmpl $(v), %eax; EXPECT(je)
#define GPCOUNT(n)	cmpq $(n), GPS; EXPECT(je)
#define RDBASE		movl $0x1b, %ecx; rdmsr
#define WRBASE(lo)	movl $0x1b, %ecx; movl $(lo), %eax; xorl %edx, %edx; wrmsr
/*
 * Wait with interrupts enabled in STI;NOP windows until qword \addr >= \n
 * ($imm or a register); IF = 0 afterwards.  Bounded: after 100M rounds
 * the test fails at \line (give __LINE__) instead of hanging.
 */
.macro wait_for addr, n, line
	movl	$100000000, %r9d
1:	cli
	cmpq	\n, \addr
	jae	2f
	sti
	nop
	cli
	decl	%r9d
	jnz	1b
	movl	$\line, %eax
	jmp	fail
2:
.endm
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
	movl	$IPI_VEC, %eax
	leaq	ipi_handler(%rip), %rdx
	call	set_gate
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	cmpq	$5, %r15
	je	t_xapic_regs
	cmpq	$6, %r15
	je	t_xapic_timer_ipi
	cmpq	$7, %r15
	je	t_modes
	cmpq	$8, %r15
	je	t_relocate
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

	DEFINE_SET_GATE IDT

tick_handler:
	incq	TICKS
	jmp	eoi_iret
ipi_handler:
	incq	IPIS
eoi_iret:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	movq	EOI_ADDR, %rax
	testq	%rax, %rax
	jz	1f
	movl	$0, (%rax)		/* xAPIC EOI */
	jmp	2f
1:	WRMSR(0x80b, 0)			/* x2APIC EOI */
2:	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq

/* #GP from RDMSR/WRMSR (2 bytes): count it and skip the instruction */
gp_handler:
	incq	GPS
	addq	$2, 8(%rsp)
	addq	$8, %rsp		/* the error code */
	iretq

nmi_handler:
	incq	NMIS
	iretq

apic_on:
	WRMSR(0x1b, 0xfee00c00)		/* xAPIC -> x2APIC */
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


/* --- 5: the xAPIC page ----------------------------------------------------------- */
t_xapic_regs:
	RDBASE				/* start state: xAPIC, enabled, BSP */
	CHK(XBASE | 0x900)
	testl	%edx, %edx
	EXPECT(jz)
	movl	$XBASE, %ebx
	movq	%rbx, %rax
	addq	$0xb0, %rax
	movq	%rax, EOI_ADDR
	AR(0x20)			/* ID: vCPU 0 in bits 31:24 */
	CHK(0)
	AR(0x30)			/* version */
	CHK(0x50014)
	movzbl	0x30(%rbx), %eax	/* byte and word reads inside a register */
	CHK(0x14)
	movzwl	0x32(%rbx), %eax
	CHK(0x5)
	AR(0x34)			/* the unused 12 bytes of a slot read 0 */
	CHK(0)
	AW(0xf0, 0x1ff)			/* SVR */
	AR(0xf0)
	CHK(0x1ff)
	AW(0x80, 0x80)			/* TPR, PPR */
	AR(0x80)
	CHK(0x80)
	AR(0xa0)
	CHK(0x80)
	movb	$0x40, 0x80(%rbx)	/* not a dword: ignored */
	AR(0x80)
	CHK(0x80)
	AW(0x80, 0)
	AW(0x20, 0x05000000)		/* ID is not writable */
	AR(0x20)
	CHK(0)
	AW(0xd0, 0x03000000)		/* LDR bits 31:24 */
	AR(0xd0)
	CHK(0x03000000)
	AW(0xe0, 0)			/* DFR: cluster model, low bits read 1 */
	AR(0xe0)
	CHK(0x0fffffff)
	AW(0xe0, 0xffffffff)
	AR(0xe0)
	CHK(0xffffffff)
	AW(0x370, 0x10000)		/* LVT error masked */
	AR(0x370)
	CHK(0x10000)
	AW(0x280, 0)			/* ESR: latch (nothing yet) */
	AR(0x280)
	CHK(0)
	AW(0x310, 0)			/* a fixed IPI with vector 3 to self */
	AW(0x300, 0x40003)
	AR(0x280)			/* not latched before the next ESR write */
	CHK(0)
	AW(0x280, 0)
	AR(0x280)			/* send illegal vector */
	CHK(0x20)
	AW(0x280, 0)
	AR(0x280)
	CHK(0)
	AR(0x300)			/* ICR low reads back, delivery idle */
	CHK(0x40003)
	/* IRR: an IPI accepted with IF = 0 shows until it is taken */
	cli
	AW(0x300, 0x40000 | IPI_VEC)
	AR(0x200 + (IPI_VEC / 32) * 0x10)
	CHK(1 << (IPI_VEC % 32))
	wait_for IPIS, $1, __LINE__
	AR(0x200 + (IPI_VEC / 32) * 0x10)
	CHK(0)
	AR(0x100 + (IPI_VEC / 32) * 0x10)	/* ISR */
	CHK(0)
	/* x2APIC MSRs: #GP in xAPIC mode */
	movl	$0x802, %ecx
	rdmsr
	GPCOUNT(1)
	WRMSR(0x808, 0)
	GPCOUNT(2)
	movq	IPIS, %rax
	outl	%eax, $PORT_VAL
	PASS

/* --- 6: xAPIC timer and IPIs ------------------------------------------------------- */
t_xapic_timer_ipi:
	movl	$XBASE, %ebx
	movq	%rbx, %rax
	addq	$0xb0, %rax
	movq	%rax, EOI_ADDR
	AW(0xf0, 0x1ff)			/* SVR */
	AW(0x3e0, 0xb)			/* divide by 1 */
	AW(0x320, TIMER_VEC)		/* one-shot */
	AW(0x380, 1000000)		/* 1 ms */
	wait_for TICKS, $1, __LINE__
	AR(0x390)			/* current count: 0 once fired */
	CHK(0)
	AW(0x320, TIMER_VEC | 0x20000)	/* periodic, 500 us, during the IPIs */
	AW(0x380, 500000)
	AW(0xd0, 0x01000000)		/* logical ID bit 0, flat model */
	AW(0xe0, 0xffffffff)
	xorl	%r12d, %r12d
10:	movl	%r12d, %eax
	xorl	%edx, %edx
	movl	$3, %ecx
	divl	%ecx
	cmpl	$1, %edx
	je	12f
	ja	13f
	AW(0x310, 0)			/* physical, APIC ID 0 */
	AW(0x300, IPI_VEC)
	jmp	14f
12:	AW(0x310, 0x01000000)		/* logical flat, bit 0 */
	AW(0x300, 0x800 | IPI_VEC)
	jmp	14f
13:	AW(0x300, 0x80000 | IPI_VEC)	/* all including self */
14:	incl	%r12d
	wait_for IPIS, %r12, __LINE__
	cmpl	$300, %r12d
	jb	10b
	AW(0x310, 0x02000000)		/* logical bit 1: not ours */
	AW(0x300, 0x800 | IPI_VEC)
	sti
	spin	100000
	cli
	cmpq	$300, IPIS
	EXPECT(je)
	AW(0xe0, 0)			/* cluster model: cluster 2, member bit 0 */
	AW(0xd0, 0x21000000)
	AW(0x310, 0x21000000)
	AW(0x300, 0x800 | IPI_VEC)
	wait_for IPIS, $301, __LINE__
	AW(0x310, 0x11000000)		/* another cluster: not ours */
	AW(0x300, 0x800 | IPI_VEC)
	sti
	spin	100000
	cli
	cmpq	$301, IPIS
	EXPECT(je)
	AW(0x320, TIMER_VEC | 0x30000)	/* masked */
	AW(0x380, 0)
	cmpq	$2, TICKS		/* the one-shot, and periodic ticks */
	EXPECT(jae)
	movq	IPIS, %rax
	outl	%eax, $PORT_VAL
	movq	TICKS, %rax
	outl	%eax, $PORT_VAL
	PASS

/* --- 7: IA32_APIC_BASE transitions --------------------------------------------------- */
t_modes:
	movl	$XBASE, %ebx
	WRBASE(XBASE | 0x900 | 0x200)	/* reserved bit 9 */
	GPCOUNT(1)
	WRBASE(XBASE | 0x901)		/* reserved bit 0 */
	GPCOUNT(2)
	movl	$0x1b, %ecx		/* reserved bit 63 */
	movl	$(XBASE | 0x900), %eax
	movl	$0x80000000, %edx
	wrmsr
	GPCOUNT(3)
	WRBASE(XBASE | 0x800)		/* BSP is read-only */
	GPCOUNT(3)
	RDBASE
	CHK(XBASE | 0x900)
	AW(0xf0, 0x1ff)
	AW(0xd0, 0x05000000)		/* LDR: reset by disable later */
	WRBASE(XBASE | 0xc00)		/* xAPIC -> x2APIC */
	GPCOUNT(3)
	RDBASE
	CHK(XBASE | 0xd00)
	movl	$0x802, %ecx		/* ID */
	rdmsr
	GPCOUNT(3)
	CHK(0)
	movl	$0x80d, %ecx		/* LDR derived from the ID */
	rdmsr
	CHK(1)
	movl	$0x80f, %ecx		/* SVR kept */
	rdmsr
	CHK(0x1ff)
	AR(0x30)			/* page not decoded */
	CHK(UNDECODED)
	WRBASE(XBASE | 0x800)		/* x2APIC -> xAPIC: #GP */
	GPCOUNT(4)
	RDBASE
	CHK(XBASE | 0xd00)
	WRBASE(XBASE)			/* x2APIC -> disabled */
	GPCOUNT(4)
	RDBASE
	CHK(XBASE | 0x100)
	movl	$0x802, %ecx		/* no x2APIC MSRs */
	rdmsr
	GPCOUNT(5)
	AR(0x30)			/* no page */
	CHK(UNDECODED)
	movl	$1, %eax		/* CPUID.1:EDX.APIC follows EN */
	cpuid
	movl	$XBASE, %ebx
	btl	$9, %edx
	EXPECT(jnc)
	WRBASE(XBASE | 0x400)		/* EXTD without EN: invalid */
	GPCOUNT(6)
	WRBASE(XBASE | 0xc00)		/* disabled -> x2APIC: #GP */
	GPCOUNT(7)
	WRBASE(XBASE | 0x800)		/* disabled -> xAPIC */
	GPCOUNT(7)
	movl	$1, %eax
	cpuid
	btl	$9, %edx
	EXPECT(jc)
	movl	$XBASE, %ebx		/* (CPUID wrote it) */
	AR(0xf0)			/* reset by the disable: SVR 0xff, LDR 0 */
	CHK(0xff)
	AR(0xd0)
	CHK(0)
	AR(0x320)			/* LVT timer masked */
	CHK(0x10000)
	WRBASE(XBASE)			/* xAPIC -> disabled -> xAPIC */
	GPCOUNT(7)
	WRBASE(XBASE | 0x800)
	GPCOUNT(7)
	AR(0x30)
	CHK(0x50014)
	movq	GPS, %rax
	outl	%eax, $PORT_VAL
	PASS

/* --- 8: relocation ---------------------------------------------------------------- */
t_relocate:
	movl	$XBASE, %ebx
	AW(0xf0, 0x1ff)
	AW(0x80, 0x20)			/* TPR, to find it after the move */
	WRBASE(XRELOC | 0x800)
	GPCOUNT(0)
	RDBASE
	CHK(XRELOC | 0x900)
	AR(0x30)			/* the old address: not decoded */
	CHK(UNDECODED)
	movl	$XRELOC, %ebx
	movq	%rbx, %rax
	addq	$0xb0, %rax
	movq	%rax, EOI_ADDR
	AR(0x30)
	CHK(0x50014)
	AR(0x80)
	CHK(0x20)
	AW(0x80, 0)
	AW(0x3e0, 0xb)			/* the timer through the new address */
	AW(0x320, TIMER_VEC)
	AW(0x380, 1000000)
	wait_for TICKS, $1, __LINE__
	AW(0x80, 0x30)
	WRBASE(XBASE | 0x800)		/* back */
	movl	$XBASE, %ebx
	AR(0x80)
	CHK(0x30)
	movq	TICKS, %rax
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
