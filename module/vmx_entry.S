/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus_vmx_enter(regs, launched): one trip into the guest through the
 * current VMCS.  Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed
 * (VMfailInvalid or VMfailValid; the VM-instruction error field says why).
 *
 * Called with interrupts off.  The VMCS holds the guest's RSP, RIP and
 * RFLAGS and the host state the exit restores, except the two fields set
 * here: HOST_RSP (this frame, which includes the return address pushed by
 * the call below) and HOST_RIP (domus_vmx_exit_rip, written once per VMCS:
 * a RET back into this function).  The other general registers, RAX
 * included, are loaded from and saved to regs[], in hardware order
 * (RAX=0 ... R15=15; entry 4, RSP, unused).
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#define R(n)	(8 * (n))(%rax)
#define VMCS_HOST_RSP	0x6c14

.section .noinstr.text, "ax"

SYM_FUNC_START(domus_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* regs */

	call	domus_vmx_launch
	/*
	 * Back here after a VM exit (flags clear) or a failed VMLAUNCH/
	 * VMRESUME (CF or ZF set).  Either way the registers hold the
	 * guest's values (unchanged on a failure): save them all, keeping
	 * the flags for the status.
	 */
	push	%rax
	mov	8(%rsp), %rax		/* regs */
	mov	%rcx, R(1)
	mov	%rdx, R(2)
	mov	%rbx, R(3)
	mov	%rbp, R(5)
	mov	%rsi, R(6)
	mov	%rdi, R(7)
	mov	%r8, R(8)
	mov	%r9, R(9)
	mov	%r10, R(10)
	mov	%r11, R(11)
	mov	%r12, R(12)
	mov	%r13, R(13)
	mov	%r14, R(14)
	mov	%r15, R(15)
	popq	R(0)
	setbe	%bl			/* 1 if the entry failed */
	movzbl	%bl, %ebx

	/* The guest must not steer the host's return predictions. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	mov	%ebx, %eax

	/* Leave no guest values in registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(domus_vmx_enter)

/*
 * Called by domus_vmx_enter: the return address on top of the stack is
 * where both a VM exit (through domus_vmx_exit_rip) and a failed entry
 * come back to.
 */
SYM_FUNC_START_LOCAL(domus_vmx_launch)
	/* HOST_RSP: here, with the return address on top */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	test	%sil, %sil		/* launched? (ZF=1: no) */
	mov	8(%rsp), %rax		/* regs */
	mov	R(1), %rcx
	mov	R(2), %rdx
	mov	R(3), %rbx
	mov	R(5), %rbp
	mov	R(6), %rsi
	mov	R(7), %rdi
	mov	R(8), %r8
	mov	R(9), %r9
	mov	R(10), %r10
	mov	R(11), %r11
	mov	R(12), %r12
	mov	R(13), %r13
	mov	R(14), %r14
	mov	R(15), %r15
	mov	R(0), %rax
	jz	1f
	vmresume
	RET				/* failed: CF or ZF set */
1:	vmlaunch
	RET				/* failed: CF or ZF set */
SYM_FUNC_END(domus_vmx_launch)

/* HOST_RIP: a VM exit lands here, RSP as written above, flags clear. */
SYM_FUNC_START(domus_vmx_exit_rip)
	RET
SYM_FUNC_END(domus_vmx_exit_rip)
