/* SPDX-License-Identifier: MIT */
/*
 * 64-bit long-mode test guest.  The host puts the vCPU in long mode with
 * paging (domus_setup_long_mode: GDT + identity map of 4 GiB at LM_PT),
 * loads this image at GUEST_LOAD and enters at its first byte with
 * RDI = test id (T_* in guest.h) and RSI/RDX/RCX = test arguments.
 * The guest installs its own IDT.  Results: OUT to PORT_DONE with 0
 * (pass) or the source line of the failed check; values via PORT_VAL.
 */
#include "guest.h"

/* Continue if the condition holds, else report this line as the failure. */
#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done

	.code64
	.text
	.globl	_start
_start:
	cld
	movq	%rdi, %r15
	lidt	idt_desc(%rip)
	cmpq	$T_COUNT, %r15
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
	.quad	t_hello, t_pio, t_mmio, t_roslot, t_cpuid, t_msr_gp, t_triple
	.quad	t_irq, t_hlt, t_loop, t_fpu, t_fill, t_zero, t_smp, t_regs
	.quad	t_msrs, t_fpu_state, t_event, t_nmi, t_harden, t_msr_probe

	DEFINE_SET_GATE idt(%rip)

/* puts: %rsi = NUL-terminated string to the debug console. */
puts:
	lodsb
	testb	%al, %al
	jz	1f
	outb	%al, $PORT_CON
	jmp	puts
1:	ret

/* --- handlers ---------------------------------------------------------- */

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

irq_handler:			/* vector 0x40 or T_IRQ's %rsi: no error code */
	incq	irq_count(%rip)
	iretq

nmi_handler:
	incq	nmi_count(%rip)
	iretq

/* --- T_HELLO ------------------------------------------------------------- */
t_hello:
	leaq	hello_msg(%rip), %rsi
	call	puts
	PASS

/* --- T_PIO: port I/O of each size, and string I/O ------------------------ */
t_pio:
	movb	$0x5a, %al
	outb	%al, $PORT_VAL
	movw	$0x1234, %ax
	outw	%ax, $PORT_VAL
	movl	$0xdeadbeef, %eax
	outl	%eax, $PORT_VAL
	movw	$PORT_VAL, %dx
	movw	$0xcafe, %ax
	outw	%ax, %dx
	movq	$-1, %rax
	inb	$PORT_IN, %al
	movq	$0xffffffffffffff44, %rcx
	cmpq	%rcx, %rax
	EXPECT(je)
	inw	$PORT_IN, %ax
	movq	$0xffffffffffff3344, %rcx
	cmpq	%rcx, %rax
	EXPECT(je)
	movw	$PORT_IN, %dx
	inl	%dx, %eax		/* zero-extends into RAX */
	cmpq	$PORT_IN_VALUE, %rax
	EXPECT(je)
	/* REP OUTSB, REP OUTSW, then a single OUTSB */
	leaq	str_msg(%rip), %rsi
	movl	$str_len, %ecx
	movw	$PORT_STR, %dx
	rep outsb
	testq	%rcx, %rcx
	EXPECT(jz)
	leaq	str_msg+str_len(%rip), %rax
	cmpq	%rax, %rsi
	EXPECT(je)
	leaq	str_words(%rip), %rsi
	movl	$4, %ecx
	rep outsw
	leaq	str_words+8(%rip), %rax
	cmpq	%rax, %rsi
	EXPECT(je)
	leaq	str_tail(%rip), %rsi
	outsb
	/* REP INSB (16) and REP INSW (4): bytes 0x30.. in order */
	leaq	in_buf(%rip), %rdi
	movl	$16, %ecx
	rep insb
	testq	%rcx, %rcx
	EXPECT(jz)
	movl	$4, %ecx
	rep insw
	leaq	in_buf+24(%rip), %rax
	cmpq	%rax, %rdi
	EXPECT(je)
	leaq	in_buf(%rip), %rsi
	movb	$STR_IN_FIRST, %dl
	movl	$24, %ecx
1:	lodsb
	cmpb	%dl, %al
	EXPECT(je)
	incb	%dl
	decl	%ecx
	jnz	1b
	PASS

/* --- T_MMIO: every emulated form against the host's memory-like device ------ */
t_mmio:
	movl	$LM_MMIO, %ebx
	/* stores: immediates and registers of each size */
	movb	$0x11, (%rbx)
	movw	$0x2233, 2(%rbx)
	movl	$0x44556677, 4(%rbx)
	movq	$-2, 8(%rbx)
	movabsq	$0x8899aabbccddeeff, %rax
	movq	%rax, 16(%rbx)
	movl	%eax, 24(%rbx)
	movw	%ax, 28(%rbx)
	movb	%al, 30(%rbx)
	/* loads */
	movzbl	(%rbx), %ecx
	cmpl	$0x11, %ecx
	EXPECT(je)
	movzwl	2(%rbx), %ecx
	cmpl	$0x2233, %ecx
	EXPECT(je)
	movl	4(%rbx), %ecx
	cmpl	$0x44556677, %ecx
	EXPECT(je)
	movq	8(%rbx), %rcx
	cmpq	$-2, %rcx
	EXPECT(je)
	movq	16(%rbx), %rcx
	cmpq	%rax, %rcx
	EXPECT(je)
	movq	24(%rbx), %rcx
	movabsq	$0x00ffeeffccddeeff, %rdx
	cmpq	%rdx, %rcx
	EXPECT(je)
	movq	$-1, %rcx
	movb	(%rbx), %cl
	cmpq	$0xffffffffffffff11, %rcx
	EXPECT(je)
	movq	$-1, %rcx
	movw	2(%rbx), %cx
	cmpq	$0xffffffffffff2233, %rcx
	EXPECT(je)
	/* MOVZX / MOVSX / MOVSXD */
	movsbl	16(%rbx), %ecx
	cmpl	$-1, %ecx
	EXPECT(je)
	movsbq	17(%rbx), %rcx
	cmpq	$-18, %rcx
	EXPECT(je)
	movswl	18(%rbx), %ecx
	cmpl	$0xffffccdd, %ecx
	EXPECT(je)
	movzbq	17(%rbx), %rcx
	cmpq	$0xee, %rcx
	EXPECT(je)
	movslq	20(%rbx), %rcx
	movabsq	$0xffffffff8899aabb, %rdx
	cmpq	%rdx, %rcx
	EXPECT(je)
	/* moffs forms */
	movabsl	LM_MMIO + 4, %eax
	cmpl	$0x44556677, %eax
	EXPECT(je)
	movabsl	%eax, LM_MMIO + 0x20
	movabsb	LM_MMIO + 0x20, %al
	cmpb	$0x77, %al
	EXPECT(je)
	/* ALU on memory */
	movl	$0xf0f0f0f0, 0x40(%rbx)
	andl	$0xff00ff00, 0x40(%rbx)		/* 81 /4 */
	orl	$0xf, 0x40(%rbx)		/* 83 /1 */
	xorb	$0xff, 0x40(%rbx)		/* 80 /6 */
	movl	0x40(%rbx), %edx
	cmpl	$0xf000f0f0, %edx
	EXPECT(je)
	movl	$0x0f0f0000, %ecx
	orl	%ecx, 0x40(%rbx)		/* 09 */
	movl	$0xffff0000, %ecx
	andl	0x40(%rbx), %ecx		/* 23 */
	cmpl	$0xff0f0000, %ecx
	EXPECT(je)
	xorl	%ecx, 0x40(%rbx)		/* 31 */
	movl	0x40(%rbx), %edx
	cmpl	$0xf0f0, %edx
	EXPECT(je)
	testl	$0x8000, 0x40(%rbx)		/* F7 /0 */
	EXPECT(jnz)
	testb	$0x01, 0x40(%rbx)		/* F6 /0 */
	EXPECT(jz)
	cmpl	$0xf0f0, 0x40(%rbx)		/* 81 /7 */
	EXPECT(je)
	cmpb	$0xf1, 0x40(%rbx)		/* 80 /7 */
	EXPECT(jb)
	movl	$0xf0f0, %ecx
	cmpl	%ecx, 0x40(%rbx)		/* 39 */
	EXPECT(je)
	movl	$0xf0f1, %ecx
	cmpl	0x40(%rbx), %ecx		/* 3B */
	EXPECT(ja)
	movl	$0x0f0f, %ecx
	testl	%ecx, 0x40(%rbx)		/* 85 */
	EXPECT(jz)
	lock orl $1, 0x40(%rbx)
	cmpl	$0xf0f1, 0x40(%rbx)
	EXPECT(je)
	movq	$0x1234, 0x48(%rbx)
	xorq	%rax, 0x48(%rbx)		/* REX.W 31 */
	movq	0x48(%rbx), %rcx
	xorq	%rax, %rcx
	cmpq	$0x1234, %rcx
	EXPECT(je)
	addl	$5, 0x60(%rbx)
	subl	$1, 0x60(%rbx)
	btl	$2, 0x60(%rbx)
	EXPECT(jc)
	cmpl	$4, 0x60(%rbx)
	EXPECT(je)
	/* STOS, REP STOS (up and down), MOVS and REP MOVS both ways */
	movl	$LM_MMIO + 0x100, %edi
	movb	$0xa5, %al
	movl	$16, %ecx
	rep stosb
	testq	%rcx, %rcx
	EXPECT(jz)
	movl	$LM_MMIO + 0x110, %edx
	cmpq	%rdx, %rdi
	EXPECT(je)
	movl	$0x01020304, %eax
	stosl
	movabsq	$0x1122334455667788, %rax
	movl	$2, %ecx
	rep stosq
	movabsq	$0xa5a5a5a5a5a5a5a5, %rdx
	cmpq	%rdx, 0x100(%rbx)
	EXPECT(je)
	cmpl	$0x01020304, 0x110(%rbx)
	EXPECT(je)
	movq	0x11c(%rbx), %rcx
	cmpq	%rax, %rcx
	EXPECT(je)
	std
	movl	$LM_MMIO + 0x15f, %edi
	movb	$0x5a, %al
	movl	$4, %ecx
	rep stosb
	cld
	movl	$LM_MMIO + 0x15b, %edx
	cmpq	%rdx, %rdi
	EXPECT(je)
	cmpl	$0x5a5a5a5a, 0x15c(%rbx)
	EXPECT(je)
	leaq	src_buf(%rip), %rsi
	movl	$LM_MMIO + 0x200, %edi
	movl	$32, %ecx
	rep movsb			/* RAM -> MMIO */
	testq	%rcx, %rcx
	EXPECT(jz)
	movl	$LM_MMIO + 0x220, %edx
	cmpq	%rdx, %rdi
	EXPECT(je)
	movl	$LM_MMIO + 0x200, %esi
	leaq	dst_buf(%rip), %rdi
	movl	$4, %ecx
	rep movsq			/* MMIO -> RAM */
	leaq	src_buf(%rip), %rsi
	leaq	dst_buf(%rip), %rdi
	movl	$32, %ecx
	repe cmpsb
	EXPECT(je)
	leaq	src_buf(%rip), %rsi
	movl	$LM_MMIO + 0x240, %edi
	movsw
	movzwl	0x240(%rbx), %ecx
	cmpl	$0x0a03, %ecx
	EXPECT(je)
	PASS

/* --- T_ROSLOT: reads see the memory, writes exit as MMIO --------------------- */
t_roslot:
	movl	$LM_RO, %ebx
	movabsq	$0x0123456789abcdef, %rdx
	cmpq	%rdx, (%rbx)
	EXPECT(je)
	xorq	$1, %rdx
	cmpq	%rdx, 8(%rbx)
	EXPECT(je)
	movq	$0x77, (%rbx)			/* -> MMIO write */
	movb	$0x55, 0x10(%rbx)		/* -> MMIO write */
	movabsq	$0x0123456789abcdef, %rdx
	cmpq	%rdx, (%rbx)
	EXPECT(je)
	PASS

/* --- T_CPUID: answer the host's list of leaves ---------------------------- */
t_cpuid:
	movl	$LM_DATA, %esi
	movl	(%rsi), %r8d
	addq	$4, %rsi
1:	testl	%r8d, %r8d
	jz	2f
	movl	(%rsi), %eax
	movl	4(%rsi), %ecx
	cpuid
	outl	%eax, $PORT_VAL
	movl	%ebx, %eax
	outl	%eax, $PORT_VAL
	movl	%ecx, %eax
	outl	%eax, $PORT_VAL
	movl	%edx, %eax
	outl	%eax, $PORT_VAL
	addq	$8, %rsi
	decl	%r8d
	jmp	1b
2:	PASS

/* --- T_MSR_GP: an unknown MSR raises #GP(0) --------------------------------- */
t_msr_gp:
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	movq	$2, gp_skip(%rip)
	movl	$0x12345678, %ecx
	rdmsr
	cmpq	$1, gp_count(%rip)
	EXPECT(je)
	movq	gp_err(%rip), %rax
	outl	%eax, $PORT_VAL
	movl	$0x12345678, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	cmpq	$2, gp_count(%rip)
	EXPECT(je)
	movl	$0xc0000080, %ecx		/* EFER: known, no #GP */
	rdmsr
	cmpq	$2, gp_count(%rip)
	EXPECT(je)
	testl	$0x100, %eax			/* LME */
	EXPECT(jnz)
	PASS

/* --- T_TRIPLE: no IDT, then a fault: shutdown ------------------------------ */
t_triple:
	lidt	null_idt(%rip)
	ud2
	movl	$__LINE__, %eax
	jmp	fail

/* --- T_IRQ: injected vector 0x40 (or %rsi if non-zero), once per PORT_SYNC ------ */
t_irq:
	movl	$0x40, %eax
	testq	%rsi, %rsi
	jz	9f
	movl	%esi, %eax		/* a plain domain's vector below 32 */
9:
	leaq	irq_handler(%rip), %rdx
	call	set_gate
	sti
	movl	$1, %r8d
1:	movl	%r8d, %eax
	outl	%eax, $PORT_SYNC		/* host injects 0x40 */
	movl	$100000000, %ecx
2:	cmpq	%r8, irq_count(%rip)
	je	3f
	pause
	decl	%ecx
	jnz	2b
	movl	$__LINE__, %eax
	jmp	fail
3:	incl	%r8d
	cmpl	$10, %r8d
	jbe	1b
	/* with IF = 0 the interrupt waits until STI */
	cli
	movl	$100, %eax
	outl	%eax, $PORT_SYNC
	movl	$1000000, %ecx
4:	pause
	decl	%ecx
	jnz	4b
	cmpq	$10, irq_count(%rip)
	EXPECT(je)
	sti
	nop
	cli
	movq	irq_count(%rip), %rax
	outl	%eax, $PORT_VAL
	cmpq	$11, %rax
	EXPECT(je)
	PASS

/* --- T_HLT: HLT with IF = 1 until an interrupt ----------------------------- */
t_hlt:
	movl	$0x40, %eax
	leaq	irq_handler(%rip), %rdx
	call	set_gate
	sti
	hlt
	cli
	movq	irq_count(%rip), %rax
	outl	%eax, $PORT_VAL
	cmpq	$1, %rax
	EXPECT(je)
	PASS

/* --- T_LOOP: count forever at LM_COUNTER ---------------------------------- */
t_loop:
	movl	$LM_COUNTER, %ebx
1:	incq	(%rbx)
	jmp	1b

/* --- T_FPU: distinctive XMM/YMM values and MXCSR, checked RCX times ---------- */
t_fpu:
	movq	%rcx, %r14
	movq	%rsi, %r13
	movq	%rdx, %r12
	testq	%r12, %r12
	jz	1f
	movq	%cr4, %rax
	orq	$0x40000, %rax			/* OSXSAVE */
	movq	%rax, %cr4
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	movl	$7, %eax			/* x87 | SSE | AVX */
	xsetbv
1:	leaq	fpu_buf(%rip), %rdi
	movl	%r13d, %eax
	movl	$128, %ecx
2:	movl	%eax, (%rdi)
	addl	$0x01000193, %eax
	addq	$4, %rdi
	decl	%ecx
	jnz	2b
	leaq	fpu_buf(%rip), %rsi
	leaq	fpu_tmp(%rip), %rdi
	movl	$64, %ecx
	rep movsq
	movl	%r13d, %eax
	andl	$3, %eax
	shll	$13, %eax			/* rounding control */
	orl	$0x1f80, %eax
	movl	%eax, mxcsr_want(%rip)
	ldmxcsr	mxcsr_want(%rip)
	testq	%r12, %r12
	jz	3f
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	fpu_buf+32*\k(%rip), %ymm\k
	.endr
	jmp	5f
3:
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	fpu_buf+32*\k(%rip), %xmm\k
	.endr
5:	testq	%r12, %r12
	jz	6f
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\k, fpu_tmp+32*\k(%rip)
	.endr
	jmp	7f
6:
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	%xmm\k, fpu_tmp+32*\k(%rip)
	.endr
7:	leaq	fpu_buf(%rip), %rsi
	leaq	fpu_tmp(%rip), %rdi
	movl	$64, %ecx
	repe cmpsq
	EXPECT(je)
	stmxcsr	mxcsr_got(%rip)
	movl	mxcsr_got(%rip), %eax
	cmpl	mxcsr_want(%rip), %eax
	EXPECT(je)
	outb	%al, $PORT_SYNC
	decq	%r14
	jnz	5b
	PASS

/* --- T_FILL: qword at address a = a ^ RSI over the fill area ------------------- */
t_fill:
	movl	$LM_FILL, %edi
	movl	$LM_FILL_SIZE / 8, %ecx
1:	movq	%rdi, %rax
	xorq	%rsi, %rax
	movq	%rax, (%rdi)
	addq	$8, %rdi
	decl	%ecx
	jnz	1b
	PASS

/* --- T_ZERO: own data area all zero; a read outside every slot exits ------------ */
t_zero:
	movl	$LM_DATA, %edi
	movl	$(LM_RAM_SIZE - LM_DATA) / 8, %ecx
	xorl	%eax, %eax
	repe scasq
	EXPECT(je)
	movl	$LM_HOLE, %ebx
	movq	(%rbx), %rax
	movabsq	$0x5555aaaa5555aaaa, %rdx
	cmpq	%rdx, %rax
	EXPECT(je)
	PASS

/* --- T_SMP: report the APIC id, then RSI locked increments of LM_SHARED --------- */
t_smp:
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx
	movl	%ebx, %eax
	outl	%eax, $PORT_VAL
	movl	$LM_SHARED, %ebx
1:	lock incq (%rbx)
	testl	$1023, %esi
	jnz	2f
	outb	%al, $PORT_SYNC
2:	decq	%rsi
	jnz	1b
	PASS

/* --- T_REGS: the host checks and changes registers at each PORT_SYNC -------------- */
t_regs:
	outb	%al, $PORT_SYNC
	addq	%rbx, %rax
	outb	%al, $PORT_SYNC
	PASS

/* --- T_MSRS: report each MSR, then write it + MSR_DELTA -------------------------- */
t_msrs:
	leaq	msr_list(%rip), %rsi
1:	movl	(%rsi), %ecx
	testl	%ecx, %ecx
	jz	2f
	rdmsr
	outl	%eax, $PORT_VAL
	movl	%edx, %eax
	outl	%eax, $PORT_VAL
	rdmsr
	addl	$MSR_DELTA, %eax
	adcl	$0, %edx
	wrmsr
	addq	$4, %rsi
	jmp	1b
2:	PASS

/* --- T_FPU_STATE: store the registers the host set, then invert them -------------- */
t_fpu_state:
	testq	%rdx, %rdx
	jz	1f
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\k, LM_DATA+32*\k
	.endr
	jmp	2f
1:
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	%xmm\k, LM_DATA+32*\k
	.endr
2:	stmxcsr	LM_DATA + 0x200
	movq	%rdx, %r12
	outb	%al, $PORT_SYNC			/* host compares LM_DATA */
	testq	%r12, %r12
	jz	3f
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vxorps	ones(%rip), %ymm\k, %ymm\k
	.endr
	PASS
3:
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	xorps	ones(%rip), %xmm\k
	.endr
	PASS

/* --- T_EVENT: the host queues #GP(0x1234) with DOMUS_SET_EVENTS --------------------- */
t_event:
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	movq	$0, gp_skip(%rip)
	outb	%al, $PORT_SYNC
	cmpq	$1, gp_count(%rip)
	EXPECT(je)
	movq	gp_err(%rip), %rax
	outl	%eax, $PORT_VAL
	cmpq	$0x1234, %rax
	EXPECT(je)
	PASS

/* --- T_NMI: DOMUS_NMI reaches the vector 2 handler ---------------------------------- */
t_nmi:
	movl	$2, %eax
	leaq	nmi_handler(%rip), %rdx
	call	set_gate
	cli					/* NMIs ignore IF */
	outb	%al, $PORT_SYNC			/* host: DOMUS_NMI */
	movl	$100000000, %ecx
1:	cmpq	$1, nmi_count(%rip)
	je	2f
	pause
	decl	%ecx
	jnz	1b
	movl	$__LINE__, %eax
	jmp	fail
2:	PASS

/*
 * --- T_HARDEN: what the host must not let a guest do (issue 10) ----------------------
 * RDPMC must raise #GP(0); WBINVD must complete; MOV to CR4 of the bit in
 * RSI (one the host's CPUID table shows or hides), of PKE and of VMXE.
 * Reports the #GP count after each step and CR4 after the RSI write.
 */
t_harden:
	movq	%rsi, %r12
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	movq	$2, gp_skip(%rip)
	xorl	%ecx, %ecx
	rdpmc					/* 0F 33 */
	movq	gp_count(%rip), %rax
	outl	%eax, $PORT_VAL			/* 1 */
	wbinvd
	movq	gp_count(%rip), %rax
	outl	%eax, $PORT_VAL			/* still 1 */
	movq	$3, gp_skip(%rip)		/* mov %rax,%cr4: 0F 22 E0 */
	movq	%cr4, %rbx
	movq	%rbx, %rax
	orq	%r12, %rax
	movq	%rax, %cr4
	movq	gp_count(%rip), %rax
	outl	%eax, $PORT_VAL			/* 2 if the bit was refused */
	movq	%cr4, %rax
	outl	%eax, $PORT_VAL
	movq	%rbx, %rax
	orq	$0x400000, %rax			/* PKE: never shown */
	movq	%rax, %cr4
	movq	%rbx, %rax
	orq	$0x2000, %rax			/* VMXE: never */
	movq	%rax, %cr4
	movq	gp_count(%rip), %rax
	outl	%eax, $PORT_VAL			/* two more */
	movq	%rbx, %cr4
	PASS

/*
 * --- T_MSR_PROBE: RDMSR/WRMSR the host's list at LM_DATA, #GP counted -------------
 * dword n, then n records of 16 bytes: dword index, dword write (0 read,
 * else WRMSR of the qword value that follows).  Per record: the #GPs it
 * raised (0 or 1), EAX, EDX (a read's value; unchanged on a #GP or a write).
 */
t_msr_probe:
	movl	$13, %eax
	leaq	gp_handler(%rip), %rdx
	call	set_gate
	movq	$2, gp_skip(%rip)		/* RDMSR and WRMSR: 0F 32 / 0F 30 */
	movl	$LM_DATA, %esi
	movl	(%rsi), %r8d
	addq	$4, %rsi
1:	testl	%r8d, %r8d
	jz	3f
	movq	gp_count(%rip), %r9
	movl	(%rsi), %ecx
	movl	8(%rsi), %eax
	movl	12(%rsi), %edx
	cmpl	$0, 4(%rsi)
	je	2f
	wrmsr
	jmp	4f
2:	movl	$0xdeadbeef, %eax
	movl	%eax, %edx
	rdmsr
4:	movl	%eax, %r10d
	movq	gp_count(%rip), %rax
	subq	%r9, %rax
	outl	%eax, $PORT_VAL
	movl	%r10d, %eax
	outl	%eax, $PORT_VAL
	movl	%edx, %eax
	outl	%eax, $PORT_VAL
	addq	$16, %rsi
	decl	%r8d
	jmp	1b
3:	PASS

/* --- data ---------------------------------------------------------------------------- */
hello_msg:
	.asciz	"long64: hello from 64-bit mode\n"
str_msg:
	.ascii	"domus string I/O"
	.set	str_len, . - str_msg
str_words:
	.word	0x3231, 0x3433, 0x3635, 0x3837
str_tail:
	.byte	'!'
msr_list:
	.long	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102
	.long	0x174, 0x175, 0x176, 0xc0000103, 0
src_buf:
	.set	i, 0
	.rept	32
	.byte	(i * 7 + 3) & 0xff
	.set	i, i + 1
	.endr

	.balign	8
gp_count:	.quad 0
gp_err:		.quad 0
gp_skip:	.quad 0
irq_count:	.quad 0
nmi_count:	.quad 0
mxcsr_want:	.long 0
mxcsr_got:	.long 0
null_idt:	.word 0
		.quad 0
	.balign	8
idt_desc:	.word 256 * 16 - 1
		.quad idt
	.balign	32
ones:		.fill 32, 1, 0xff
dst_buf:	.fill 32, 1, 0
in_buf:		.fill 32, 1, 0
fpu_buf:	.fill 512, 1, 0
fpu_tmp:	.fill 512, 1, 0
	.balign	16
idt:		.fill 256 * 16, 1, 0
