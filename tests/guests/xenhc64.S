/* SPDX-License-Identifier: MIT */
/*
 * Hypercall runner for a Xen domain (tests/guests/xenhc.h): installs the
 * hypercall page, makes every hypercall of the host's table in order,
 * stores each RAX, and reports PORT_DONE 0.  Entered in long mode like
 * long64 (domus_setup_long_mode); RDI is ignored.
 */
#include "guest.h"
#include "xenhc.h"

	.code64
	.text
	.globl	_start
_start:
	cld
	movl	$XEN_HCALL_MSR, %ecx
	movl	$XH_PAGE, %eax
	xorl	%edx, %edx
	wrmsr
	movq	XH_TABLE, %r12			/* count */
	movl	$(XH_TABLE + XH_ENTRY_SIZE), %r13d
	xorl	%r14d, %r14d			/* index */
1:	cmpq	%r12, %r14
	jae	2f
	movq	0(%r13), %rax
	shlq	$5, %rax
	addq	$XH_PAGE, %rax
	movq	8(%r13), %rdi
	movq	16(%r13), %rsi
	movq	24(%r13), %rdx
	movq	32(%r13), %r10
	movq	40(%r13), %r8
	call	*%rax
	movq	%rax, 48(%r13)
	testq	$XH_SYNC, 56(%r13)
	jz	3f
	movl	%r14d, %eax
	outl	%eax, $PORT_SYNC
3:	addq	$XH_ENTRY_SIZE, %r13
	incq	%r14
	jmp	1b
2:	xorl	%eax, %eax
4:	outl	%eax, $PORT_DONE
	jmp	4b
