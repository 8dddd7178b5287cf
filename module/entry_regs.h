/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assembler macros shared by the backends' guest-entry code
 * (svm/entry.S, vmx/entry.S): the general registers of the guest in
 * regs[] (struct domus_vcpu, hardware order RAX=0 ... R15=15), addressed
 * through %rax.  RAX itself (entry 0) and RSP (entry 4) are each
 * backend's own business.
 */
#ifndef DOMUS_ENTRY_REGS_H
#define DOMUS_ENTRY_REGS_H

#include <linux/objtool.h>
#include <asm/msr-index.h>
#include <asm/percpu.h>
#include "compat.h"
#include "spec.h"

#define R(n)	(8 * (n))(%rax)

/* Every guest GPR but RAX and RSP from regs[] (%rax points at it). */
.macro GUEST_GPRS_LOAD
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
.endm

/* The same registers back into regs[] (%rax points at it). */
.macro GUEST_GPRS_SAVE
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
.endm

/*
 * After the exit, before the first RET: the steps of the transient-
 * execution policy (spec.h) that the flags word at \flags (a memory
 * operand: SPEC_X_*) asks for.  Clobbers RAX, RCX, RDX and whatever the
 * host's untraining routines clobber among the caller-saved registers.
 */
.macro GUEST_EXIT_SCRUB flags:req
	/* overwrite every RSB entry with a harmless target (32 CALLs) */
	testl	$SPEC_X_RSB, \flags
	jz	.Lrsb_done\@
	mov	$16, %ecx
.Lrsb_loop\@:
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lrsb_one\@
	int3
.Lrsb_one\@:
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lrsb_two\@
	int3
.Lrsb_two\@:
	add	$16, %rsp
	dec	%ecx
	jnz	.Lrsb_loop\@
	lfence
	jmp	.Lrsb_lite_done\@
.Lrsb_done\@:
	/* PBRSB: one CALL retired before any RET */
	testl	$SPEC_X_RSB_LITE, \flags
	jz	.Lrsb_lite_done\@
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lrsb_lite\@
	int3
.Lrsb_lite\@:
	add	$8, %rsp
	lfence
.Lrsb_lite_done\@:
	/* legacy IBRS: write the host's SPEC_CTRL after the guest ran */
	testl	$SPEC_X_IBRS, \flags
	jz	.Librs_done\@
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	mov	PER_CPU_VAR(x86_spec_ctrl_current + 4), %edx
	wrmsr
.Librs_done\@:
#ifdef DOMUS_HOST_UNRET
	/* Retbleed / SRSO: the host's own untraining, as at its kernel entry */
	testl	$SPEC_X_UNTRAIN, \flags
	jz	.Luntrain_done\@
	call	entry_untrain_ret
.Luntrain_done\@:
#endif
#ifdef DOMUS_HOST_SRSO_ALIAS
	testl	$SPEC_X_UNTRAIN_ALIAS, \flags
	jz	.Lalias_done\@
	call	srso_alias_untrain_ret
.Lalias_done\@:
#endif
#ifdef DOMUS_HOST_EXIT_IBPB
	testl	$SPEC_X_IBPB, \flags
	jz	.Libpb_done\@
	call	entry_ibpb
.Libpb_done\@:
#endif
#ifdef DOMUS_HOST_BHB_VMEXIT
	testl	$SPEC_X_BHB, \flags
	jz	.Lbhb_done\@
	call	clear_bhb_loop
.Lbhb_done\@:
#endif
.endm

.macro GUEST_GPRS_CLEAR
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
.endm

/* The C callee-saved registers around a trip into the guest. */
.macro HOST_REGS_PUSH
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
.endm

.macro HOST_REGS_POP
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
.endm

#endif /* DOMUS_ENTRY_REGS_H */
