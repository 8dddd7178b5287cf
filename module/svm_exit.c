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
#include "core.h"
#include "svm.h"

/* --- exit handlers ------------------------------------------------------------ */

static void svm_skip(struct svm_vcpu *sv, unsigned int len)
{
	struct svm_vmcb *vmcb = sv->vmcb;

	if (svm_has(DOMUS_FEAT_NRIPS) && vmcb->ctrl.next_rip)
		vmcb->save.rip = vmcb->ctrl.next_rip;
	else
		vmcb->save.rip += len;
	vmcb->ctrl.int_state &= ~SVM_INT_SHADOW;
}

static int svm_exit_continue(struct domus_vcpu *v)
{
	return 1;
}

static int svm_exit_ud(struct domus_vcpu *v)
{
	svm_queue_exception(v, DOMUS_UD_VECTOR, false, 0);
	return 1;
}

static int svm_exit_skip2(struct domus_vcpu *v)
{
	svm_skip(to_svm(v), 2);
	return 1;
}

static int svm_exit_exception(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u8 vec = sv->vmcb->ctrl.exit_code - SVM_EXIT_EXCP_BASE;

	domus_stat_inc(v->dom, DOMUS_STAT_EXCEPTION);
	/* only #DB and #AC are intercepted: hand them to the guest */
	svm_queue_exception(v, vec, vec == DOMUS_AC_VECTOR, vec == DOMUS_AC_VECTOR ?
			    (u32)sv->vmcb->ctrl.exit_info1 : 0);
	return 1;
}

static int svm_exit_intr(struct domus_vcpu *v)
{
	domus_stat_inc(v->dom, DOMUS_STAT_INTR);
	return 1;
}

static int svm_exit_vintr(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	domus_stat_inc(v->dom, DOMUS_STAT_IRQ_WINDOW);
	svm_irq_window(sv, false);
	if ((READ_ONCE(v->run->flags) & DOMUS_RUN_IRQ_WINDOW) &&
	    !domus_vcpu_has_irq(v) && svm_interruptible(sv)) {
		v->run->exit_reason = DOMUS_EXIT_IRQ_WINDOW;
		return 0;
	}
	return 1;
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

static int svm_exit_cpuid(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;
	u32 out[4];

	domus_cpuid(v, s->rax, v->regs[1], out);
	s->rax = out[0];
	v->regs[3] = out[1];
	v->regs[1] = out[2];
	v->regs[2] = out[3];
	svm_skip(sv, 2);
	return 1;
}

static int svm_exit_msr(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;
	u32 index = v->regs[1];
	u64 data;

	domus_stat_inc(v->dom, DOMUS_STAT_MSR);
	if (sv->vmcb->ctrl.exit_info1) {
		data = (u32)s->rax | (v->regs[2] << 32);
		if (svm_set_msr(v, index, data, false) &&
		    domus_virt_msr(v, index, &data, true)) {
			svm_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
			return 1;
		}
	} else {
		if (svm_get_msr(v, index, &data, false) &&
		    domus_virt_msr(v, index, &data, false)) {
			svm_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
			return 1;
		}
		s->rax = (u32)data;
		v->regs[2] = data >> 32;
	}
	svm_skip(sv, 2);
	return 1;
}

static int svm_exit_xsetbv(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 val = (u32)sv->vmcb->save.rax | (v->regs[2] << 32);
	u64 host = domus_host_xcr0();

	if (!boot_cpu_has(X86_FEATURE_XSAVE)) {
		svm_queue_exception(v, DOMUS_UD_VECTOR, false, 0);
		return 1;
	}
	if ((u32)v->regs[1] != 0 || !(sv->vmcb->save.cr4 & X86_CR4_OSXSAVE) ||
	    sv->vmcb->save.cpl || !(val & XFEATURE_MASK_FP) || (val & ~host) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE))) {
		svm_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
		return 1;
	}
	v->xcr0 = val;
	svm_skip(sv, 3);
	return 1;
}

static int svm_exit_hlt(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	svm_skip(sv, 1);
	v->hlt_if = sv->vmcb->save.rflags & X86_EFLAGS_IF;
	return domus_handle_hlt(v);
}

static int svm_exit_vmmcall(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 next = sv->vmcb->save.rip + 3;

	if (svm_has(DOMUS_FEAT_NRIPS) && sv->vmcb->ctrl.next_rip)
		next = sv->vmcb->ctrl.next_rip;
	return domus_handle_hypercall(v, next);
}

static int svm_exit_ioio(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 info = sv->vmcb->ctrl.exit_info1;
	u8 size = (info >> SVM_IO_SZ_SHIFT) & 7;
	u8 asz = (info >> SVM_IO_A_SHIFT) & 7;

	/* size and address size are one-hot: 1/2/4 bytes, 16/32/64 bit */
	size = size == 4 ? 4 : size == 2 ? 2 : 1;
	asz = asz == 4 ? 8 : asz == 2 ? 4 : 2;
	return domus_handle_pio(v, info >> SVM_IO_PORT_SHIFT, size, info & SVM_IO_IN,
				info & SVM_IO_STR, info & SVM_IO_REP, asz,
				(info >> SVM_IO_SEG_SHIFT) & 7, sv->vmcb->ctrl.exit_info2);
}

static int svm_exit_npf(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;
	u64 gpa = c->exit_info2;
	bool write = c->exit_info1 & SVM_NPF_WRITE;
	bool ro;

	domus_stat_inc(v->dom, DOMUS_STAT_NPF);
	if (domus_gpa_is_ram(v->dom, gpa, &ro) && !(ro && write))
		return 1;	/* mapped meanwhile: retry */
	if (c->exit_info1 & SVM_NPF_IN_WALK)
		return domus_emulation_failed(v, gpa, NULL, 0);	/* page tables outside RAM */
	if (svm_has(DOMUS_FEAT_DECODE_ASSISTS) && c->insn_len)
		return domus_emulate_mmio(v, gpa, write, c->insn_bytes,
					  min_t(u8, c->insn_len, sizeof(c->insn_bytes)));
	return domus_emulate_mmio(v, gpa, write, NULL, 0);
}

static int svm_exit_shutdown(struct domus_vcpu *v)
{
	v->run->exit_reason = DOMUS_EXIT_SHUTDOWN;
	return 0;
}

static int svm_exit_dr(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	/* hand the debug registers to the guest; the access re-executes */
	sv->vmcb->ctrl.intercept_dr = 0;
	sv->dirty |= SVM_CLEAN_INTERCEPTS;
	sv->dr_owned = true;
	return 1;
}

static int svm_exit_unsupported(struct domus_vcpu *v)
{
	struct svm_vmcb_ctrl *c = &to_svm(v)->vmcb->ctrl;

	v->run->exit_reason = DOMUS_EXIT_FAIL_ENTRY;
	v->run->fail_entry.hw_reason = c->exit_code;
	v->run->fail_entry.hw_info = c->exit_info1;
	return 0;
}

typedef int (*svm_exit_fn)(struct domus_vcpu *v);

static const svm_exit_fn svm_exit_table[SVM_EXIT_MAX_TABLE] = {
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR15] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + DOMUS_DB_VECTOR] = svm_exit_exception,
	[SVM_EXIT_EXCP_BASE + DOMUS_AC_VECTOR] = svm_exit_exception,
	[SVM_EXIT_INTR] = svm_exit_intr,
	[SVM_EXIT_NMI] = svm_exit_intr,
	[SVM_EXIT_SMI] = svm_exit_continue,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_CPUID] = svm_exit_cpuid,
	[SVM_EXIT_IRET] = svm_exit_iret,
	[SVM_EXIT_INVD] = svm_exit_skip2,
	[SVM_EXIT_HLT] = svm_exit_hlt,
	[SVM_EXIT_INVLPGA] = svm_exit_ud,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	[SVM_EXIT_VMRUN] = svm_exit_ud,
	[SVM_EXIT_VMMCALL] = svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD] = svm_exit_ud,
	[SVM_EXIT_VMSAVE] = svm_exit_ud,
	[SVM_EXIT_STGI] = svm_exit_ud,
	[SVM_EXIT_CLGI] = svm_exit_ud,
	[SVM_EXIT_SKINIT] = svm_exit_ud,
	[SVM_EXIT_MONITOR] = svm_exit_ud,
	[SVM_EXIT_MWAIT] = svm_exit_ud,
	[SVM_EXIT_MWAIT_COND] = svm_exit_ud,
	[SVM_EXIT_XSETBV] = svm_exit_xsetbv,
	[SVM_EXIT_RDPRU] = svm_exit_ud,
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
		return svm_exit_unsupported(v);
	return fn(v);
}
