// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-x backend: guest register state in the VMCS, emulated MSRs, the
 * architectural reset state, and the choice of event to inject at each
 * entry.  Every function that touches the VMCS from an ioctl brackets the
 * access with vmx_get()/vmx_put() (the VMCS must be current on this CPU).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "../core.h"
#include "vmx.h"
#include "../run.h"
#include "../event.h"

/* --- registers ----------------------------------------------------------------- */

void vmx_get_regs(struct domus_vcpu *v, struct domus_regs *r)
{
	r->rsp = to_vmx(v)->rsp;
	r->rip = to_vmx(v)->rip;
	r->rflags = to_vmx(v)->rflags;
	domus_gprs_get(v, r);
}

void vmx_set_regs(struct domus_vcpu *v, const struct domus_regs *r)
{
	struct vmx_vcpu *vx = to_vmx(v);

	if (r->rsp != vx->rsp)
		vmx_set_rsp(vx, r->rsp);
	if (r->rip != vx->rip)
		vmx_set_rip(vx, r->rip);
	if (r->rflags != vx->rflags)
		vmx_set_rflags(vx, (r->rflags & DOMUS_RFLAGS_VALID) | X86_EFLAGS_FIXED);
	domus_gprs_set(v, r);
}

/* --- segments and control registers ------------------------------------------ */

/*
 * domus_segment.attr holds descriptor bits 40-47 and 52-55 packed into 12
 * bits; VMX access rights keep them in place (bits 0-7 and 12-15) with
 * "unusable" in bit 16.  Entry demands what loading a descriptor would
 * have done: accessed code/data segments, a busy TSS, G matching the
 * limit; set those rather than fail the entry.
 */
u32 vmx_seg_ar_in(u32 attr, u32 limit, int seg)
{
	u32 ar;

	if (!(attr & 0x80))
		return VMX_AR_UNUSABLE;
	ar = (attr & 0xff) | ((attr & 0xf00) << 4);
	if (ar & 0x10)
		ar |= 1;			/* accessed */
	else if (seg == VMX_TR && ((ar & 0xf) == 1 || (ar & 0xf) == 9))
		ar |= 2;			/* busy */
	if ((limit & 0xfff) != 0xfff)
		ar &= ~(1u << 15);
	else if (limit > 0xfffff)
		ar |= 1u << 15;
	return ar;
}

static u16 vmx_seg_ar_out(u32 ar)
{
	u16 attr = (ar & 0xff) | ((ar >> 4) & 0xf00);

	return (ar & VMX_AR_UNUSABLE) ? attr & ~0x80 : attr;
}

static void vmx_seg_out(int seg, struct domus_segment *d)
{
	d->selector = vmcs_read(VMCS_GUEST_ES_SEL + 2 * seg);
	d->base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * seg);
	d->limit = vmcs_read(VMCS_GUEST_ES_LIMIT + 2 * seg);
	d->attr = vmx_seg_ar_out(vmcs_read(VMCS_GUEST_ES_AR + 2 * seg));
}

static void vmx_seg_in(int seg, const struct domus_segment *d)
{
	vmcs_write(VMCS_GUEST_ES_SEL + 2 * seg, d->selector);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * seg, d->base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * seg, d->limit);
	vmcs_write(VMCS_GUEST_ES_AR + 2 * seg, vmx_seg_ar_in(d->attr, d->limit, seg));
}

static void vmx_set_seg(int seg, u16 sel, u64 base, u32 limit, u32 ar)
{
	vmcs_write(VMCS_GUEST_ES_SEL + 2 * seg, sel);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * seg, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * seg, limit);
	vmcs_write(VMCS_GUEST_ES_AR + 2 * seg, ar);
}

/* The guest's view of CR0/CR4: its own bits, plus the shadow where we own them. */
static u64 vmx_cr0_view(void)
{
	return (vmcs_read(VMCS_GUEST_CR0) & ~vmx_cfg.cr0_mask) |
	       (vmcs_read(VMCS_CR0_SHADOW) & vmx_cfg.cr0_mask);
}

static u64 vmx_cr4_view(void)
{
	return (vmcs_read(VMCS_GUEST_CR4) & ~vmx_cfg.cr4_mask) |
	       (vmcs_read(VMCS_CR4_SHADOW) & vmx_cfg.cr4_mask);
}

/* VMCS loaded.  The CPU's CR0 gets the bits VMX operation requires. */
void vmx_write_cr0(struct domus_vcpu *v, u64 cr0)
{
	vmcs_write(VMCS_CR0_SHADOW, cr0);
	vmcs_write(VMCS_GUEST_CR0, (cr0 | vmx_cfg.cr0_fixed0) & vmx_cfg.cr0_fixed1);
}

void vmx_write_cr4(struct domus_vcpu *v, u64 cr4)
{
	vmcs_write(VMCS_CR4_SHADOW, cr4);
	vmcs_write(VMCS_GUEST_CR4, (cr4 | vmx_cfg.cr4_fixed0) & vmx_cfg.cr4_fixed1);
}

/* EFER and the "IA-32e mode guest" entry control must agree on LMA. */
void vmx_write_efer(struct domus_vcpu *v, u64 efer)
{
	u32 entry = vmcs_read(VMCS_ENTRY_CTLS);

	vmcs_write(VMCS_GUEST_EFER, efer);
	entry = (efer & EFER_LMA) ? entry | VMX_ENTRY_IA32E : entry & ~VMX_ENTRY_IA32E;
	vmcs_write(VMCS_ENTRY_CTLS, entry);
}

/*
 * PAE paging outside long mode: VM entry takes the four PDPTEs from the
 * VMCS, not from memory, so load them when the state is set from outside
 * (srcu held by the caller or not needed: slots are read under srcu here).
 */
int vmx_load_pdptrs(struct domus_vcpu *v)
{
	u64 cr0 = vmx_cr0_view(), cr4 = vmx_cr4_view(), pdpte[4];
	struct domus_domain *dom = v->dom;
	int i, idx, ret;

	if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) ||
	    (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA))
		return 0;
	idx = srcu_read_lock(&dom->srcu);
	ret = domus_read_gpa(dom, vmcs_read(VMCS_GUEST_CR3) & ~0x1fULL, pdpte, sizeof(pdpte));
	srcu_read_unlock(&dom->srcu, idx);
	if (ret)
		memset(pdpte, 0, sizeof(pdpte));
	for (i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return ret;
}

void vmx_get_sregs(struct domus_vcpu *v, struct domus_sregs *r)
{
	struct vmx_vcpu *vx = to_vmx(v);

	memset(r, 0, sizeof(*r));
	vmx_get(v);
	vmx_seg_out(VMX_CS, &r->cs);
	vmx_seg_out(VMX_DS, &r->ds);
	vmx_seg_out(VMX_ES, &r->es);
	vmx_seg_out(VMX_FS, &r->fs);
	vmx_seg_out(VMX_GS, &r->gs);
	vmx_seg_out(VMX_SS, &r->ss);
	vmx_seg_out(VMX_TR, &r->tr);
	vmx_seg_out(VMX_LDTR, &r->ldt);
	r->gdt.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
	r->gdt.limit = vmcs_read(VMCS_GUEST_GDTR_LIMIT);
	r->idt.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
	r->idt.limit = vmcs_read(VMCS_GUEST_IDTR_LIMIT);
	r->cr0 = vmx_cr0_view();
	r->cr3 = vmcs_read(VMCS_GUEST_CR3);
	r->cr4 = vmx_cr4_view();
	r->efer = vmcs_read(VMCS_GUEST_EFER);
	vmx_put();
	r->cr2 = vx->cr2;
	r->cr8 = vx->cr8;
	r->apic_base = v->apic_base;
}


int vmx_set_sregs(struct domus_vcpu *v, const struct domus_sregs *r)
{
	struct vmx_vcpu *vx = to_vmx(v);

	if ((r->efer & ~VMX_EFER_GUEST) || (r->cr0 >> 32) || (r->cr4 & VMX_CR4_GUEST_RSVD) ||
	    (r->cr4 & ~domus_host_cr4) ||
	    (r->cr4 & vmx_cfg.cr4_mask & ~vmx_cfg.cr4_fixed1) ||
	    r->cr8 > 15 || ((r->cr0 & X86_CR0_PG) && !(r->cr0 & X86_CR0_PE)) ||
	    ((r->cr0 & X86_CR0_NW) && !(r->cr0 & X86_CR0_CD)))
		return -EINVAL;
	vmx_get(v);
	vmx_seg_in(VMX_CS, &r->cs);
	vmx_seg_in(VMX_DS, &r->ds);
	vmx_seg_in(VMX_ES, &r->es);
	vmx_seg_in(VMX_FS, &r->fs);
	vmx_seg_in(VMX_GS, &r->gs);
	vmx_seg_in(VMX_SS, &r->ss);
	vmx_seg_in(VMX_TR, &r->tr);
	vmx_seg_in(VMX_LDTR, &r->ldt);
	vmcs_write(VMCS_GUEST_GDTR_BASE, r->gdt.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, r->gdt.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, r->idt.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, r->idt.limit);
	vmx_write_cr0(v, r->cr0);
	vmcs_write(VMCS_GUEST_CR3, r->cr3);
	vmx_write_cr4(v, r->cr4);
	vmx_write_efer(v, r->efer);
	vmx_load_pdptrs(v);
	vx->flush = true;
	vmx_put();
	vx->cr2 = r->cr2;
	vx->cr8 = r->cr8;
	v->apic_base = r->apic_base;
	return 0;
}

u64 vmx_get_cr4(struct domus_vcpu *v)
{
	u64 cr4;

	vmx_get(v);
	cr4 = vmx_cr4_view();
	vmx_put();
	return cr4;
}

int vmx_get_cpl(struct domus_vcpu *v)
{
	int cpl;

	vmx_get(v);
	cpl = (vmcs_read(VMCS_GUEST_ES_AR + 2 * VMX_SS) >> 5) & 3;
	vmx_put();
	return cpl;
}

u64 vmx_get_rflags(struct domus_vcpu *v)
{
	return to_vmx(v)->rflags;
}

/* The state of an x86 CPU after RESET (VMCS loaded). */
void vmx_reset_state(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	int seg;

	vmx_set_seg(VMX_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
	for (seg = VMX_ES; seg <= VMX_GS; seg++)
		if (seg != VMX_CS)
			vmx_set_seg(seg, 0, 0, 0xffff, 0x93);
	vmx_set_seg(VMX_LDTR, 0, 0, 0xffff, 0x82);
	vmx_set_seg(VMX_TR, 0, 0, 0xffff, 0x8b);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmx_write_cr0(v, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmx_write_cr4(v, 0);
	vmx_write_efer(v, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmx_set_rsp(vx, 0);
	vmx_set_rip(vx, 0xfff0);
	vmx_set_rflags(vx, X86_EFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_PAT, 0x0007040600070406ULL);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmx_set_intr(vx, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vx->dr6 = 0xffff0ff0;
	/*
	 * IA32_MISC_ENABLE exists on every Intel CPU a guest sees through
	 * CPUID, and Linux reads it without a fixup (verify_cpu, family 6
	 * model >= 0xd): fast strings on, no BTS or PEBS (as KVM and Xen).
	 */
	vx->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING | MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |
			  MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL;
}

/* --- MSRs -------------------------------------------------------------------- */

/* Returns 0, or 1 for "not handled": the guest gets #GP, userspace -EINVAL. */
int vmx_get_msr(struct domus_vcpu *v, u32 index, u64 *data, bool host)
{
	struct vmx_vcpu *vx = to_vmx(v);
	int ret = 0;

	vmx_get(v);
	switch (index) {
	case MSR_EFER:			*data = vmcs_read(VMCS_GUEST_EFER); break;
	case MSR_IA32_TSC:		*data = rdtsc() + vmcs_read(VMCS_TSC_OFFSET); break;
	case MSR_IA32_CR_PAT:		*data = vmcs_read(VMCS_GUEST_PAT); break;
	case MSR_IA32_MISC_ENABLE:	*data = vx->misc_enable; break;
	case MSR_IA32_TSC_ADJUST:	*data = vx->tsc_adjust; break;
	case MSR_FS_BASE:		*data = vmcs_read(VMCS_GUEST_ES_BASE + 2 * VMX_FS); break;
	case MSR_GS_BASE:		*data = vmcs_read(VMCS_GUEST_ES_BASE + 2 * VMX_GS); break;
	case MSR_KERNEL_GS_BASE:	*data = vx->kernel_gs_base; break;
	case MSR_STAR:			*data = vx->star; break;
	case MSR_LSTAR:			*data = vx->lstar; break;
	case MSR_CSTAR:			*data = vx->cstar; break;
	case MSR_SYSCALL_MASK:		*data = vx->sfmask; break;
	case MSR_IA32_SYSENTER_CS:	*data = vmcs_read(VMCS_GUEST_SYSENTER_CS); break;
	case MSR_IA32_SYSENTER_ESP:	*data = vmcs_read(VMCS_GUEST_SYSENTER_ESP); break;
	case MSR_IA32_SYSENTER_EIP:	*data = vmcs_read(VMCS_GUEST_SYSENTER_EIP); break;
	default:
		ret = domus_core_msr(v, index, data, false, host);
	}
	vmx_put();
	return ret;
}

static int vmx_set_msr_loaded(struct domus_vcpu *v, u32 index, u64 data, bool host)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u64 efer;

	switch (index) {
	case MSR_EFER:
		if (data & ~VMX_EFER_GUEST)
			return 1;
		efer = vmcs_read(VMCS_GUEST_EFER);
		if (!host) {
			/* LMA is the CPU's; LME cannot change while paging is on */
			data = (data & ~EFER_LMA) | (efer & EFER_LMA);
			if ((vmx_cr0_view() & X86_CR0_PG) && ((data ^ efer) & EFER_LME))
				return 1;
		}
		vmx_write_efer(v, data);
		break;
	case MSR_IA32_TSC: {
		u64 offset = data - rdtsc();

		/* a guest's write moves IA32_TSC_ADJUST by as much (SDM 17.17.3) */
		if (!host)
			vx->tsc_adjust += offset - vmcs_read(VMCS_TSC_OFFSET);
		vmcs_write(VMCS_TSC_OFFSET, offset);
		WRITE_ONCE(v->tsc_offset, offset);
		break;
	}
	case MSR_IA32_TSC_ADJUST:
		/*
		 * Linux reads it without a fixup when CPUID.7:EBX[1] says the
		 * (Haswell and later) CPU has it; writing it moves the TSC.
		 */
		vmcs_write(VMCS_TSC_OFFSET, vmcs_read(VMCS_TSC_OFFSET) + data - vx->tsc_adjust);
		WRITE_ONCE(v->tsc_offset, vmcs_read(VMCS_TSC_OFFSET));
		vx->tsc_adjust = data;
		break;
	case MSR_IA32_CR_PAT:
		if (!domus_pat_valid(data))
			return 1;
		vmcs_write(VMCS_GUEST_PAT, data);
		break;
	case MSR_IA32_MISC_ENABLE:
		/* only fast strings can be switched; the rest reads as set at reset */
		vx->misc_enable = (vx->misc_enable & ~MSR_IA32_MISC_ENABLE_FAST_STRING) |
				  (data & MSR_IA32_MISC_ENABLE_FAST_STRING);
		break;
	case MSR_FS_BASE:		vmcs_write(VMCS_GUEST_ES_BASE + 2 * VMX_FS, data); break;
	case MSR_GS_BASE:		vmcs_write(VMCS_GUEST_ES_BASE + 2 * VMX_GS, data); break;
	case MSR_KERNEL_GS_BASE:	vx->kernel_gs_base = data; break;
	case MSR_STAR:			vx->star = data; break;
	case MSR_LSTAR:			vx->lstar = data; break;
	case MSR_CSTAR:			vx->cstar = data; break;
	case MSR_SYSCALL_MASK:		vx->sfmask = data; break;
	case MSR_IA32_SYSENTER_CS:	vmcs_write(VMCS_GUEST_SYSENTER_CS, data); break;
	case MSR_IA32_SYSENTER_ESP:	vmcs_write(VMCS_GUEST_SYSENTER_ESP, data); break;
	case MSR_IA32_SYSENTER_EIP:	vmcs_write(VMCS_GUEST_SYSENTER_EIP, data); break;
	default:
		return domus_core_msr(v, index, &data, true, host);
	}
	return 0;
}

void vmx_set_tsc_offset(struct domus_vcpu *v, u64 offset)
{
	vmx_get(v);
	vmcs_write(VMCS_TSC_OFFSET, offset);
	WRITE_ONCE(v->tsc_offset, offset);
	vmx_put();
}

int vmx_set_msr(struct domus_vcpu *v, u32 index, u64 data, bool host)
{
	int ret;

	/* the values were checked by the core (domus_msr_value_ok) */
	vmx_get(v);
	ret = vmx_set_msr_loaded(v, index, data, host);
	vmx_put();
	return ret;
}

/* --- events ------------------------------------------------------------------- */

void vmx_get_events(struct domus_vcpu *v, struct domus_events *e)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u32 intr = vx->intr;

	domus_events_reinjected(e, vx->reinject, vx->reinject_err);
	e->nmi.masked = !!(intr & VMX_INTR_NMI);
	e->interrupt_shadow = !!(intr & (VMX_INTR_STI | VMX_INTR_MOV_SS));
}

int vmx_set_events(struct domus_vcpu *v, const struct domus_events *e)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u32 intr;

	vx->reinject = 0;
	vx->reinject_len = 0;
	intr = vx->intr & ~(VMX_INTR_STI | VMX_INTR_MOV_SS | VMX_INTR_NMI);
	if (e->nmi.masked)
		intr |= VMX_INTR_NMI;
	/* STI blocking is only valid with IF set */
	if (e->interrupt_shadow)
		intr |= (vx->rflags & X86_EFLAGS_IF) ? VMX_INTR_STI : VMX_INTR_MOV_SS;
	vmx_set_intr(vx, intr);
	return 0;
}

/* Exceptions that push an error code (in protected mode only). */
static bool vmx_exc_has_error(u8 nr)
{
	return nr == 8 || (nr >= 10 && nr <= 14) || nr == 17 || nr == 21;
}

/*
 * Choose the event to deliver at this entry (interrupts are off, the vCPU
 * is marked in guest mode, so anything queued later kicks it out again).
 * Returns false if userspace asked to see the interrupt window and the
 * guest can take an interrupt now.
 */
bool vmx_inject_events(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u32 intr = vx->intr;
	u64 rflags = vx->rflags;
	bool interruptible = (rflags & X86_EFLAGS_IF) &&
			     !(intr & (VMX_INTR_STI | VMX_INTR_MOV_SS));
	u32 info = 0, err = 0, proc = vx->proc;
	struct domus_inject in;

	if (!domus_choose_event(v, vx->reinject & VMX_II_VALID,
				intr & (VMX_INTR_STI | VMX_INTR_MOV_SS | VMX_INTR_NMI),
				interruptible, &in))
		return false;
	switch (in.kind) {
	case DOMUS_EV_REINJECT:
		info = vx->reinject;
		err = vx->reinject_err;
		/* a software event: entry pushes RIP + this length */
		if (vx->reinject_len)
			vmcs_write(VMCS_ENTRY_INSN_LEN, vx->reinject_len);
		vx->reinject = 0;
		vx->reinject_len = 0;
		break;
	case DOMUS_EV_EXCEPTION:
		info = in.vector | VMX_II_TYPE_HW_EXC | VMX_II_VALID;
		/* entry demands the error code exactly when the CPU would push one */
		if ((vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE) && vmx_exc_has_error(in.vector)) {
			info |= VMX_II_ERR_VALID;
			err = in.has_err ? in.err : 0;
		}
		/* entering the #DB handler clears DR7.GD; injection does not */
		if (in.vector == DOMUS_DB_VECTOR) {
			u64 dr7 = vmcs_read(VMCS_GUEST_DR7);

			if (dr7 & DOMUS_DR7_GD)
				vmcs_write(VMCS_GUEST_DR7, dr7 & ~DOMUS_DR7_GD);
		}
		break;
	case DOMUS_EV_NMI:
		info = in.vector | VMX_II_TYPE_NMI | VMX_II_VALID;
		break;
	case DOMUS_EV_INTERRUPT:
		info = in.vector | VMX_II_TYPE_INTR | VMX_II_VALID;
		break;
	}
	if (info) {
		vmcs_write(VMCS_ENTRY_INTR_INFO, info);
		if (info & VMX_II_ERR_VALID)
			vmcs_write(VMCS_ENTRY_EXC_ERROR, err);
	}
	/* single-stepping over STI/MOV SS: entry wants the pending #DB recorded */
	if ((rflags & X86_EFLAGS_TF) && (intr & (VMX_INTR_STI | VMX_INTR_MOV_SS)))
		vmcs_write(VMCS_GUEST_PENDING_DBG,
			   vmcs_read(VMCS_GUEST_PENDING_DBG) | (1u << 14));

	proc &= ~(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW);
	if (in.nmi_pending)
		proc |= VMX_PROC_NMI_WINDOW;
	if (in.irq_window)
		proc |= VMX_PROC_INTR_WINDOW;
	vmx_set_proc(vx, proc);
	return true;
}

/*
 * An event was being delivered when the exit came: deliver it again with
 * its type, a software event (INT n, INT3/INTO, ICEBP) with the length
 * the exit reported (event.h).  RIP still points at its instruction.
 */
void vmx_save_reinject(struct domus_vcpu *v, u32 info, u32 err)
{
	struct vmx_vcpu *vx = to_vmx(v);
	enum domus_redeliver how = domus_vmx_redeliver(info, vx->exit_len);

	vx->reinject = 0;
	vx->reinject_len = 0;
	vx->vectoring = info & VMX_II_VALID;
	if (how == DOMUS_REDELIVER_NONE)
		return;
	vx->reinject = info & ~VMX_II_NMI_UNBLOCK;
	vx->reinject_err = err;
	if (how == DOMUS_REDELIVER_WITH_LEN)
		vx->reinject_len = vx->exit_len;
}
