// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD-V backend: guest register state in the VMCB, emulated MSRs, and the
 * choice of event to inject at each entry.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "../core.h"
#include "svm.h"
#include "../run.h"
#include "../event.h"

/* --- registers ----------------------------------------------------------------- */

void svm_get_regs(struct domus_vcpu *v, struct domus_regs *r)
{
	struct svm_vmcb_save *s = &to_svm(v)->vmcb->save;

	r->rsp = s->rsp;
	r->rip = s->rip;
	r->rflags = s->rflags;
	domus_gprs_get(v, r);
}

void svm_set_regs(struct domus_vcpu *v, const struct domus_regs *r)
{
	struct svm_vmcb_save *s = &to_svm(v)->vmcb->save;

	s->rsp = r->rsp;
	s->rip = r->rip;
	s->rflags = (r->rflags & DOMUS_RFLAGS_VALID) | X86_EFLAGS_FIXED;
	domus_gprs_set(v, r);
}

static void svm_seg_out(const struct svm_seg *s, struct domus_segment *d)
{
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->attr = s->attrib & 0xfff;
}

static void svm_seg_in(struct svm_seg *s, const struct domus_segment *d)
{
	s->base = d->base;
	s->limit = d->limit;
	s->selector = d->selector;
	s->attrib = d->attr & 0xfff;
}

void svm_get_sregs(struct domus_vcpu *v, struct domus_sregs *r)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	memset(r, 0, sizeof(*r));
	svm_seg_out(&s->cs, &r->cs);
	svm_seg_out(&s->ds, &r->ds);
	svm_seg_out(&s->es, &r->es);
	svm_seg_out(&s->fs, &r->fs);
	svm_seg_out(&s->gs, &r->gs);
	svm_seg_out(&s->ss, &r->ss);
	svm_seg_out(&s->tr, &r->tr);
	svm_seg_out(&s->ldtr, &r->ldt);
	r->gdt.base = s->gdtr.base;
	r->gdt.limit = s->gdtr.limit;
	r->idt.base = s->idtr.base;
	r->idt.limit = s->idtr.limit;
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->cr8 = sv->vmcb->ctrl.int_ctl & SVM_V_TPR_MASK;
	r->efer = s->efer & ~EFER_SVME;
	r->apic_base = v->apic_base;
}

#define SVM_EFER_GUEST	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)
#define SVM_CR4_RSVD	(X86_CR4_VMXE | X86_CR4_SMXE | ~0x3fffffULL)

int svm_set_sregs(struct domus_vcpu *v, const struct domus_sregs *r)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	if ((r->efer & ~SVM_EFER_GUEST) || (r->cr0 >> 32) || (r->cr4 & SVM_CR4_RSVD) ||
	    (r->cr4 & ~domus_host_cr4) ||
	    r->cr8 > 15 || ((r->cr0 & X86_CR0_PG) && !(r->cr0 & X86_CR0_PE)) ||
	    ((r->cr0 & X86_CR0_NW) && !(r->cr0 & X86_CR0_CD)))
		return -EINVAL;
	svm_seg_in(&s->cs, &r->cs);
	svm_seg_in(&s->ds, &r->ds);
	svm_seg_in(&s->es, &r->es);
	svm_seg_in(&s->fs, &r->fs);
	svm_seg_in(&s->gs, &r->gs);
	svm_seg_in(&s->ss, &r->ss);
	svm_seg_in(&s->tr, &r->tr);
	svm_seg_in(&s->ldtr, &r->ldt);
	s->gdtr.base = r->gdt.base;
	s->gdtr.limit = r->gdt.limit;
	s->idtr.base = r->idt.base;
	s->idtr.limit = r->idt.limit;
	s->cpl = (r->cr0 & X86_CR0_PE) ? (r->ss.attr >> 5) & 3 : 0;
	s->cr0 = r->cr0;
	s->cr2 = r->cr2;
	s->cr3 = r->cr3;
	s->cr4 = r->cr4;
	sv->vmcb->ctrl.int_ctl = (sv->vmcb->ctrl.int_ctl & ~SVM_V_TPR_MASK) | r->cr8;
	sv->efer = r->efer;
	s->efer = r->efer | EFER_SVME;
	v->apic_base = r->apic_base;
	sv->dirty = SVM_CLEAN_ALL;
	sv->flush = true;
	return 0;
}

u64 svm_get_cr4(struct domus_vcpu *v)
{
	return to_svm(v)->vmcb->save.cr4;
}

int svm_get_cpl(struct domus_vcpu *v)
{
	return to_svm(v)->vmcb->save.cpl;
}

u64 svm_get_rflags(struct domus_vcpu *v)
{
	return to_svm(v)->vmcb->save.rflags;
}

/* --- MSRs -------------------------------------------------------------------- */

/* Returns 0, or 1 for "not handled": the guest gets #GP, userspace -EINVAL. */
int svm_get_msr(struct domus_vcpu *v, u32 index, u64 *data, bool host)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	switch (index) {
	/* the VMCB copy: the CPU sets LMA itself when the guest enables paging */
	case MSR_EFER:			*data = s->efer & ~EFER_SVME; break;
	case MSR_IA32_TSC:		*data = rdtsc() + sv->vmcb->ctrl.tsc_offset; break;
	case MSR_IA32_CR_PAT:		*data = s->g_pat; break;
	case MSR_FS_BASE:		*data = s->fs.base; break;
	case MSR_GS_BASE:		*data = s->gs.base; break;
	case MSR_KERNEL_GS_BASE:	*data = s->kernel_gs_base; break;
	case MSR_STAR:			*data = s->star; break;
	case MSR_LSTAR:			*data = s->lstar; break;
	case MSR_CSTAR:			*data = s->cstar; break;
	case MSR_SYSCALL_MASK:		*data = s->sfmask; break;
	case MSR_IA32_SYSENTER_CS:	*data = s->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP:	*data = s->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP:	*data = s->sysenter_eip; break;
	default:
		return domus_core_msr(v, index, data, false, host);
	}
	return 0;
}

void svm_set_tsc_offset(struct domus_vcpu *v, u64 offset)
{
	struct svm_vcpu *sv = to_svm(v);

	sv->vmcb->ctrl.tsc_offset = offset;
	WRITE_ONCE(v->tsc_offset, offset);
	sv->dirty |= SVM_CLEAN_INTERCEPTS;
}

int svm_set_msr(struct domus_vcpu *v, u32 index, u64 data, bool host)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	switch (index) {
	case MSR_EFER:
		if (data & ~SVM_EFER_GUEST)
			return 1;
		if (!host) {
			/* LMA is the CPU's; LME cannot change while paging is on */
			data = (data & ~EFER_LMA) | (s->efer & EFER_LMA);
			if ((s->cr0 & X86_CR0_PG) && ((data ^ s->efer) & EFER_LME))
				return 1;
		}
		sv->efer = data;
		s->efer = data | EFER_SVME;
		sv->dirty |= SVM_CLEAN_CRX;
		break;
	case MSR_IA32_TSC:
		svm_set_tsc_offset(v, data - rdtsc());
		break;
	case MSR_IA32_CR_PAT:
		if (!domus_pat_valid(data))
			return 1;
		s->g_pat = data;
		sv->dirty |= SVM_CLEAN_NP;
		break;
	case MSR_FS_BASE:		s->fs.base = data; break;
	case MSR_GS_BASE:		s->gs.base = data; break;
	case MSR_KERNEL_GS_BASE:	s->kernel_gs_base = data; break;
	case MSR_STAR:			s->star = data; break;
	case MSR_LSTAR:			s->lstar = data; break;
	case MSR_CSTAR:			s->cstar = data; break;
	case MSR_SYSCALL_MASK:		s->sfmask = data; break;
	case MSR_IA32_SYSENTER_CS:	s->sysenter_cs = data; break;
	case MSR_IA32_SYSENTER_ESP:	s->sysenter_esp = data; break;
	case MSR_IA32_SYSENTER_EIP:	s->sysenter_eip = data; break;
	default:
		return domus_core_msr(v, index, &data, true, host);
	}
	return 0;
}

/* --- events ------------------------------------------------------------------- */

void svm_get_events(struct domus_vcpu *v, struct domus_events *e)
{
	struct svm_vcpu *sv = to_svm(v);

	/* a software event is not reported: RIP is at its instruction (core.h) */
	if (!sv->reinject_len)
		domus_events_reinjected(e, sv->reinject, sv->reinject_err);
	e->nmi.masked = v->nmi_masked;
	e->interrupt_shadow = sv->vmcb->ctrl.int_state & SVM_INT_SHADOW;
}

int svm_set_events(struct domus_vcpu *v, const struct domus_events *e)
{
	struct svm_vcpu *sv = to_svm(v);

	sv->reinject = 0;
	sv->reinject_len = 0;
	if (e->interrupt_shadow)
		sv->vmcb->ctrl.int_state |= SVM_INT_SHADOW;
	else
		sv->vmcb->ctrl.int_state &= ~SVM_INT_SHADOW;
	return 0;
}

void svm_irq_window(struct svm_vcpu *sv, bool on)
{
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;

	if (on) {
		c->int_ctl |= SVM_V_IRQ | SVM_V_IGN_TPR | (0xf << SVM_V_INTR_PRIO_SHIFT);
		c->intercept_misc1 |= SVM_I1_VINTR;
	} else {
		c->int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | (0xf << SVM_V_INTR_PRIO_SHIFT));
		c->intercept_misc1 &= ~SVM_I1_VINTR;
	}
	sv->dirty |= SVM_CLEAN_TPR | SVM_CLEAN_INTERCEPTS;
}

/*
 * Re-injecting a software event (INT n, INT3, INTO): the CPU pushes the
 * VMCB's RIP (or next_rip with NRIP save) as the return address, so step
 * RIP past the instruction and set next_rip to the same; remember the
 * step in case the delivery is cut short again.  A fault raised while
 * delivering it then reports RIP after the instruction (as KVM without
 * NRIP save does).
 */
static void svm_step_soft_event(struct svm_vcpu *sv)
{
	struct svm_vmcb *vmcb = sv->vmcb;

	sv->soft_injected = true;
	sv->soft_info = sv->reinject;
	sv->soft_len = sv->reinject_len;
	sv->soft_old_rip = vmcb->save.rip;
	vmcb->save.rip += sv->reinject_len;
	sv->soft_next_rip = vmcb->save.rip;
	if (svm_has(DOMUS_FEAT_NRIPS))
		vmcb->ctrl.next_rip = vmcb->save.rip;
	sv->reinject_len = 0;
}

/*
 * Choose the event to deliver at this entry (interrupts are off, the vCPU
 * is marked in guest mode, so anything queued later kicks it out again).
 * Returns false if userspace asked to see the interrupt window and the
 * guest can take an interrupt now.
 */
bool svm_inject_events(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;
	struct domus_inject in;

	if (!domus_choose_event(v, sv->reinject & SVM_EV_VALID,
				v->nmi_masked || (c->int_state & SVM_INT_SHADOW),
				svm_interruptible(sv), &in))
		return false;
	c->event_inj = 0;
	switch (in.kind) {
	case DOMUS_EV_REINJECT:
		c->event_inj = sv->reinject | ((u64)sv->reinject_err << 32);
		if (sv->reinject_len)
			svm_step_soft_event(sv);
		sv->reinject = 0;
		break;
	case DOMUS_EV_EXCEPTION:
		c->event_inj = in.vector | SVM_EV_TYPE_EXC | SVM_EV_VALID |
			(in.has_err ? SVM_EV_ERR_VALID | ((u64)in.err << 32) : 0);
		/* entering the #DB handler clears DR7.GD; injection does not */
		if (in.vector == DOMUS_DB_VECTOR && (sv->vmcb->save.dr7 & DOMUS_DR7_GD)) {
			sv->vmcb->save.dr7 &= ~DOMUS_DR7_GD;
			sv->dirty |= SVM_CLEAN_DRX;
		}
		break;
	case DOMUS_EV_NMI:
		c->event_inj = in.vector | SVM_EV_TYPE_NMI | SVM_EV_VALID;
		v->nmi_masked = true;
		c->intercept_misc1 |= SVM_I1_IRET;
		sv->dirty |= SVM_CLEAN_INTERCEPTS;
		break;
	case DOMUS_EV_INTERRUPT:
		c->event_inj = in.vector | SVM_EV_TYPE_INTR | SVM_EV_VALID;
		break;
	}
	if (in.nmi_pending && v->nmi_masked && !(c->intercept_misc1 & SVM_I1_IRET)) {
		c->intercept_misc1 |= SVM_I1_IRET;
		sv->dirty |= SVM_CLEAN_INTERCEPTS;
	}
	svm_irq_window(sv, in.irq_window);
	return true;
}

/*
 * An event was being delivered when the exit came: deliver it again, with
 * its type (event.h).  A software event whose instruction cannot be
 * found at RIP any more is dropped and the instruction re-executes.
 */
void svm_save_reinject(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb *vmcb = sv->vmcb;
	u64 info = vmcb->ctrl.exit_int_info;
	unsigned int type = domus_evt_type(info);
	enum domus_redeliver how = domus_svm_redeliver(info);
	bool stepped = sv->soft_injected;
	int len = 0;

	sv->reinject = 0;
	sv->reinject_len = 0;
	sv->soft_injected = false;
	if (how == DOMUS_REDELIVER_NONE)
		return;
	/* our re-injection was cut short again: RIP back at the instruction */
	if (stepped && (type == DOMUS_EVT_SOFT_INT || type == DOMUS_EVT_HW_EXC) &&
	    vmcb->save.rip == sv->soft_next_rip) {
		vmcb->save.rip = sv->soft_old_rip;
		if ((u32)info == sv->soft_info)
			len = sv->soft_len;
	}
	if (how == DOMUS_REDELIVER_WITH_LEN) {
		if (!len)
			len = domus_soft_event_insn_len(v, info & SVM_EV_VECTOR_MASK,
							type == DOMUS_EVT_SOFT_INT);
		/* INT n no longer there: re-execute; #BP/#OF not from INT3/INTO: as is */
		if (!len && type == DOMUS_EVT_SOFT_INT)
			return;
		sv->reinject_len = len;
	}
	sv->reinject = info & 0xffffffffULL;
	sv->reinject_err = info >> 32;
	if (type == DOMUS_EVT_NMI)
		v->nmi_masked = false;
}
