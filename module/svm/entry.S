/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus_svm_enter(vmcb_pa, regs, host_save_pa, flags): one trip into the
 * guest; flags: the transient-execution steps (spec.h, SPEC_X_*, SPEC_E_*).
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

#include "../entry_regs.h"

.section .noinstr.text, "ax"

SYM_FUNC_START(domus_svm_enter)
	HOST_REGS_PUSH
	push	%rcx			/* 24(%rsp): flags */
	push	%rsi			/* 16(%rsp): regs */
	push	%rdx			/*  8(%rsp): host save area */
	push	%rdi			/*  0(%rsp): vmcb */

	mov	%rdx, %rax
	vmsave	%rax

	/* CF: VERW before VMRUN (nothing below changes CF) */
	bt	$SPEC_E_VERW_BIT, %ecx
	mov	%rsi, %rax
	GUEST_GPRS_LOAD

	mov	(%rsp), %rax
	vmload	%rax
	/* the host's data out of the CPU's buffers, last thing before VMRUN */
	jnc	1f
	verw	domus_verw_sel(%rip)
1:
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
	GUEST_GPRS_SAVE

	mov	8(%rsp), %rax
	vmload	%rax

	/* The guest must not steer the host's predictions (spec.h). */
	GUEST_EXIT_SCRUB 24(%rsp)

	/* Leave no guest values in registers. */
	GUEST_GPRS_CLEAR

	add	$32, %rsp
	HOST_REGS_POP
	RET
SYM_FUNC_END(domus_svm_enter)
