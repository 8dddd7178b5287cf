/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus_svm_enter(vmcb_pa, regs, host_save_pa): one trip into the guest.
 *
 * Called with interrupts off and GIF clear; IF is set only around VMRUN.  VMRUN itself switches RAX,
 * RSP, RIP, RFLAGS, control and segment registers (host copies in the
 * HSAVE page); VMSAVE/VMLOAD switch the rest of the segment and syscall
 * state (host copy in host_save_pa).  The other general registers are
 * loaded from and saved to regs[], indexed in hardware order (RAX=0 ...
 * R15=15; entries 0 and 4 unused, those live in the VMCB).
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#define R(n)	(8 * (n))(%rax)

.section .noinstr.text, "ax"

SYM_FUNC_START(domus_svm_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi			/* 16(%rsp): regs */
	push	%rdx			/*  8(%rsp): host save area */
	push	%rdi			/*  0(%rsp): vmcb */

	mov	%rdx, %rax
	vmsave	%rax

	mov	%rsi, %rax
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

	mov	(%rsp), %rax
	vmload	%rax
	/*
	 * With GIF clear no interrupt is taken here, but the host's IF is
	 * what lets a physical interrupt end the guest's run (V_INTR_MASKING):
	 * enter with IF set, and clear it again before GIF is set.
	 */
	sti
	vmrun	%rax
	cli
	vmsave	%rax

	mov	16(%rsp), %rax
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

	mov	8(%rsp), %rax
	vmload	%rax

	/* The guest must not steer the host's return predictions. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Leave no guest values in registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(domus_svm_enter)
