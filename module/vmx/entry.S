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

#include "../entry_regs.h"
#define VMCS_HOST_RSP	0x6c14

.section .noinstr.text, "ax"

SYM_FUNC_START(domus_vmx_enter)
	HOST_REGS_PUSH
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
	GUEST_GPRS_SAVE
	popq	R(0)
	setbe	%bl			/* 1 if the entry failed */
	movzbl	%bl, %ebx

	/* The guest must not steer the host's return predictions. */
	GUEST_EXIT_SCRUB
	mov	%ebx, %eax

	/* Leave no guest values in registers. */
	GUEST_GPRS_CLEAR

	add	$8, %rsp
	HOST_REGS_POP
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
	GUEST_GPRS_LOAD
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
