/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus_vmx_enter(regs, launched, flags): one trip into the guest through
 * the current VMCS; flags: the transient-execution steps (spec.h).  Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed
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
	push	%rdx			/* flags */
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

	/* The guest must not steer the host's predictions (spec.h). */
	GUEST_EXIT_SCRUB 8(%rsp)
	mov	%ebx, %eax

	/* Leave no guest values in registers. */
	GUEST_GPRS_CLEAR

	add	$16, %rsp
	HOST_REGS_POP
	RET
SYM_FUNC_END(domus_vmx_enter)

/*
 * Called by domus_vmx_enter: the return address on top of the stack is
 * where both a VM exit (through domus_vmx_exit_rip) and a failed entry
 * come back to.
 */
/*
 * The guest's registers, VERW if \verw (the host's data out of the CPU's
 * buffers, last thing before the entry; it changes ZF only), then
 * VMRESUME if launched (%sil, in CF) else VMLAUNCH.
 */
.macro VMX_GO verw:req
	bt	$0, %esi		/* CF: launched */
	mov	8(%rsp), %rax		/* regs */
	GUEST_GPRS_LOAD
	mov	R(0), %rax
	.if \verw
	verw	domus_verw_sel(%rip)
	.endif
	jnc	.Llaunch\@
	vmresume
	RET				/* failed: CF or ZF set */
.Llaunch\@:
	vmlaunch
	RET				/* failed: CF or ZF set */
.endm

SYM_FUNC_START_LOCAL(domus_vmx_launch)
	/* HOST_RSP: here, with the return address on top */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	testl	$SPEC_E_VERW, %edx
	jnz	1f
	VMX_GO 0
1:	VMX_GO 1
SYM_FUNC_END(domus_vmx_launch)

/* HOST_RIP: a VM exit lands here, RSP as written above, flags clear. */
SYM_FUNC_START(domus_vmx_exit_rip)
	RET
SYM_FUNC_END(domus_vmx_exit_rip)
