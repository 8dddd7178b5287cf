// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD-V backend: exit handlers, dispatched through one table indexed by
 * the VMCB exit code.  Each returns 1 to re-enter the guest, 0 to return
 * to userspace (run->exit_reason set) or a negative errno.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "../core.h"
#include "svm.h"

/* --- exit handlers ------------------------------------------------------------ */

/* The length NRIP save reported, or 0 (the core decodes it). */
unsigned int svm_exit_insn_len(struct domus_vcpu *v)
{
	struct svm_vmcb *vmcb = to_svm(v)->vmcb;
	u64 len = vmcb->ctrl.next_rip - vmcb->save.rip;

	if (!svm_has(DOMUS_FEAT_NRIPS) || !vmcb->ctrl.next_rip ||
	    !len || len > X86EMU_MAX_INSN_LEN)
		return 0;
	return len;
}

void svm_skip_insn(struct domus_vcpu *v, unsigned int len)
{
	struct svm_vmcb *vmcb = to_svm(v)->vmcb;

	vmcb->save.rip += len;
	vmcb->ctrl.int_state &= ~SVM_INT_SHADOW;
}

static int svm_exit_exception(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u8 vec = sv->vmcb->ctrl.exit_code - SVM_EXIT_EXCP_BASE;

	domus_stat_inc(v->dom, DOMUS_STAT_EXCEPTION);
	/* only #DB and #AC are intercepted: hand them to the guest */
	domus_queue_exception(v, vec, vec == DOMUS_AC_VECTOR, vec == DOMUS_AC_VECTOR ?
			    (u32)sv->vmcb->ctrl.exit_info1 : 0);
	return 1;
}

static int svm_exit_vintr(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	svm_irq_window(sv, false);
	return domus_exit_irq_window(v, svm_interruptible(sv));
}

static int svm_exit_iret(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	/* the NMI handler is returning; the next NMI may follow it */
	v->nmi_masked = false;
	sv->vmcb->ctrl.intercept_misc1 &= ~SVM_I1_IRET;
	sv->dirty |= SVM_CLEAN_INTERCEPTS;
	return 1;
}

static int svm_exit_msr(struct domus_vcpu *v)
{
	return domus_exit_msr(v, to_svm(v)->vmcb->ctrl.exit_info1);
}

static int svm_exit_ioio(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 info = sv->vmcb->ctrl.exit_info1;
	u8 size = (info >> SVM_IO_SZ_SHIFT) & 7;
	u8 asz = (info >> SVM_IO_A_SHIFT) & 7;
	int seg = (info >> SVM_IO_SEG_SHIFT) & 7;

	/* size and address size are one-hot: 1/2/4 bytes, 16/32/64 bit */
	size = size == 4 ? 4 : size == 2 ? 2 : 1;
	asz = asz == 4 ? 8 : asz == 2 ? 4 : asz == 1 ? 2 : 0;
	/*
	 * The CPU fills the segment and address-size fields only with decode
	 * assists (QEMU's emulated SVM, a test host, leaves them 0: ES and no
	 * size); without them, or with no size bit, read the instruction's
	 * prefixes.  Only string I/O uses either.
	 */
	if ((info & SVM_IO_STR) && (!svm_has(DOMUS_FEAT_DECODE_ASSISTS) || !asz))
		domus_io_decode(v, &asz, &seg);
	if (!asz)
		asz = 2;	/* not a string: unused */
	return domus_handle_pio(v, info >> SVM_IO_PORT_SHIFT, size, info & SVM_IO_IN,
				info & SVM_IO_STR, info & SVM_IO_REP, asz, seg,
				sv->vmcb->ctrl.exit_info2);
}

static int svm_exit_npf(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;
	u64 gpa = c->exit_info2;
	bool write = c->exit_info1 & SVM_NPF_WRITE;

	domus_stat_inc(v->dom, DOMUS_STAT_NPF);
	if (domus_ram_fault(v, gpa, write))
		return 1;	/* mapped meanwhile, or a logged frame: retry */
	if (c->exit_info1 & SVM_NPF_IN_WALK)
		return domus_emulation_failed(v, gpa, NULL, 0);	/* page tables outside RAM */
	/*
	 * Delivering an event (IDT, stack, TSS outside RAM): the instruction
	 * at RIP did not make this access, never emulate it.  Userspace may
	 * map the memory; the event is delivered again at the next entry.
	 */
	if (c->exit_int_info & SVM_EV_VALID)
		return domus_emulation_failed(v, gpa, NULL, 0);
	if (svm_has(DOMUS_FEAT_DECODE_ASSISTS) && c->insn_len)
		return domus_emulate_mmio(v, gpa, write, c->insn_bytes,
					  min_t(u8, c->insn_len, sizeof(c->insn_bytes)));
	return domus_emulate_mmio(v, gpa, write, NULL, 0);
}

/* MOV to CR4: checked against the guest's CPUID (cr4.h), or #GP. */
static int svm_exit_write_cr4(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb *vmcb = sv->vmcb;
	u64 info = vmcb->ctrl.exit_info1, val;
	unsigned int len;

	if (!domus_mov_to_cr4_source(v, svm_has(DOMUS_FEAT_DECODE_ASSISTS) && (info >> 63) ?
				     (int)(info & 15) : -1, &val, &len))
		return 0;
	if (vmcb->save.cpl ||
	    !domus_guest_cr4_write_ok(v, vmcb->save.cr4, val, vmcb->save.efer & EFER_LMA,
				      vmcb->save.cr3)) {
		domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
		return 1;
	}
	/* a write the CPU would have done flushes what it would have flushed */
	if (domus_cr4_write_flushes(vmcb->save.cr4, val))
		sv->flush = true;
	vmcb->save.cr4 = val;
	sv->dirty |= SVM_CLEAN_CRX;
	svm_skip_insn(v, len);
	return 1;
}

static int svm_exit_dr(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	/* hand the debug registers to the guest; the access re-executes */
	sv->vmcb->ctrl.intercept_dr = 0;
	sv->dirty |= SVM_CLEAN_INTERCEPTS;
	v->dr_owned = true;
	return 1;
}

typedef int (*svm_exit_fn)(struct domus_vcpu *v);

static const svm_exit_fn svm_exit_table[SVM_EXIT_MAX_TABLE] = {
	[SVM_EXIT_WRITE_CR4] = svm_exit_write_cr4,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR15] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + DOMUS_DB_VECTOR] = svm_exit_exception,
	[SVM_EXIT_EXCP_BASE + DOMUS_AC_VECTOR] = svm_exit_exception,
	[SVM_EXIT_EXCP_BASE + DOMUS_MC_VECTOR] = domus_exit_machine_check,
	[SVM_EXIT_INTR] = domus_exit_intr,
	[SVM_EXIT_NMI] = domus_exit_intr,
	[SVM_EXIT_SMI] = domus_exit_continue,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_RDPMC] = domus_exit_rdpmc,
	[SVM_EXIT_CPUID] = domus_exit_cpuid,
	[SVM_EXIT_IRET] = svm_exit_iret,
	[SVM_EXIT_INVD] = domus_exit_invd,
	[SVM_EXIT_HLT] = domus_exit_hlt,
	[SVM_EXIT_INVLPGA] = domus_exit_ud,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = domus_exit_shutdown,
	/* the SVM instructions but VMMCALL, MONITOR/MWAIT: #UD */
	[SVM_EXIT_VMRUN] = domus_exit_ud,
	[SVM_EXIT_VMMCALL] = domus_handle_hypercall,
	[SVM_EXIT_VMLOAD ... SVM_EXIT_SKINIT] = domus_exit_ud,
	[SVM_EXIT_ICEBP] = domus_exit_icebp,
	[SVM_EXIT_WBINVD] = domus_exit_wbinvd,
	[SVM_EXIT_MONITOR ... SVM_EXIT_MWAIT_COND] = domus_exit_ud,
	[SVM_EXIT_XSETBV] = domus_exit_xsetbv,
	[SVM_EXIT_RDPRU] = domus_exit_ud,
};

int svm_handle_exit(struct domus_vcpu *v)
{
	u64 code = to_svm(v)->vmcb->ctrl.exit_code;
	svm_exit_fn fn = NULL;

	domus_stat_inc(v->dom, DOMUS_STAT_EXITS);
	if (code < SVM_EXIT_MAX_TABLE)
		fn = svm_exit_table[code];
	else if (code == SVM_EXIT_NPF)
		fn = svm_exit_npf;
	if (!fn)
		return domus_exit_unsupported(v, code, to_svm(v)->vmcb->ctrl.exit_info1);
	return fn(v);
}
