/* SPDX-License-Identifier: MIT */
/*
 * Real-mode guest of tests/host/insntest.c: intercepted instructions in
 * prefixed forms, whose length the hypervisor must get right to resume
 * the guest at the next instruction (AMD-V without NRIP save decodes it).
 * Loaded at GUEST_LOAD, entered with CS = DS = ES = SS = 0, IP =
 * GUEST_LOAD, SI = 0 for VMMCALL (AMD-V) or 1 for VMCALL (VT-x).
 *
 * Each form is followed by "OUT PORT_VAL" of a check number and of its
 * result; the host expects them all, in order, then PORT_DONE 0.  A form
 * resumed mid-instruction executes its tail bytes as code and, at the
 * latest, lands on the HLT after it: the host fails on any HLT.
 */
#include "guest.h"

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define REPORT(n)	movl %eax, %ebx; movb $n, %al; outb %al, $PORT_VAL; movl %ebx, %eax; outl %eax, $PORT_VAL

	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$LO_STACK_TOP, %sp

	/* 1: 66 0F A2, CPUID leaf 0 (EAX: from the host's table) */
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	.byte	0x66, 0x0f, 0xa2
	jmp	1f
	hlt
1:	REPORT(1)

	/* 2: 2E 3E 66 F3 0F A2, four prefixes */
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	.byte	0x2e, 0x3e, 0x66, 0xf3, 0x0f, 0xa2
	jmp	1f
	hlt
1:	REPORT(2)

	/*
	 * 3: 2E hypercall (0F 01 D9 or 0F 01 C1): the host answers 0x600d.
	 * A segment override, not 66: 66 0F 01 C1 is not VMCALL on every
	 * CPU (Bochs raises #UD).
	 */
	movl	$0x1234, %eax
	testw	%si, %si
	jnz	2f
	.byte	0x2e, 0x0f, 0x01, 0xd9
	jmp	1f
	hlt
2:	.byte	0x2e, 0x0f, 0x01, 0xc1
	jmp	1f
	hlt
1:	REPORT(3)

	/* 4: 3E 66 0F 32, RDMSR IA32_APIC_BASE (non-zero) */
	movl	$0x1b, %ecx
	.byte	0x3e, 0x66, 0x0f, 0x32
	jmp	1f
	hlt
1:	REPORT(4)

	/* 5: 66 0F 30 WRMSR, then 26 0F 32 RDMSR of IA32_PAT: low dword back */
	movl	$0x277, %ecx
	movl	$0x00070106, %eax
	movl	$0x00070406, %edx
	.byte	0x66, 0x0f, 0x30
	jmp	1f
	hlt
1:	xorl	%eax, %eax
	xorl	%edx, %edx
	.byte	0x26, 0x0f, 0x32
	jmp	1f
	hlt
1:	REPORT(5)

	/* 6: 66 0F 22 C0 / 66 0F 20 C0: MOV CR0 with NE set, read back */
	.byte	0x66, 0x0f, 0x20, 0xc0		/* mov %cr0, %eax */
	jmp	1f
	hlt
1:	orl	$0x20, %eax			/* NE */
	.byte	0x66, 0x0f, 0x22, 0xc0		/* mov %eax, %cr0 */
	jmp	1f
	hlt
1:	xorl	%eax, %eax
	.byte	0x2e, 0x66, 0x0f, 0x20, 0xc0
	jmp	1f
	hlt
1:	andl	$0x20, %eax
	REPORT(6)

	xorl	%eax, %eax
fail:
	outl	%eax, $PORT_DONE
	hlt
	jmp	fail
