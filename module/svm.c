// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD-V (SVM) backend: per-CPU enable, the VMCB, guest entry and the exit
 * handlers.  Generic work (port I/O, MMIO emulation, HLT, CPUID, hypercall
 * routing) is in vcpu.c; this file translates between the VMCB and it.
 *
 * Intercepts deny by default: every I/O port and every MSR outside a short
 * pass-through list exits; SVM instructions in the guest raise #UD.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/hw_breakpoint.h>
#include <asm/debugreg.h>
#include <asm/apicdef.h>
#include <asm/io.h>
#include <asm/msr-index.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>
#include "domus.h"
#include "svm.h"

static int svm_probe(struct domus_hw *hw)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < SVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_SVM)) {
		pr_err("cannot load: this AMD CPU has no SVM (AMD-V) in CPUID; use a CPU with AMD-V, or give the virtual CPU the svm flag (e.g. qemu -cpu host or +svm)\n");
		return -ENODEV;
	}
	if (domus_rdmsr_safe(MSR_SVM_VM_CR, &vm_cr) == 0 &&
	    (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_err("cannot load: AMD-V is disabled by the firmware (VM_CR.SVMDIS is set); enable \"SVM mode\" / AMD-V in the BIOS setup\n");
		return -EPERM;
	}
	cpuid(SVM_CPUID_LEAF, &eax, &ebx, &ecx, &edx);
	if (!(edx & SVM_FEAT_NP)) {
		pr_err("cannot load: this CPU's AMD-V has no nested paging (NPT), which domus requires; use a CPU with NPT (e.g. qemu -cpu ...,+svm,+npt)\n");
		return -ENODEV;
	}

	hw->vendor = DOMUS_VENDOR_SVM;
	hw->paging = DOMUS_PAGING_NPT;
	hw->asids = ebx;
	hw->features = DOMUS_FEAT_LARGE_PAGES;
	if (edx & SVM_FEAT_NRIPS)
		hw->features |= DOMUS_FEAT_NRIPS;
	if (edx & SVM_FEAT_VMCB_CLEAN)
		hw->features |= DOMUS_FEAT_VMCB_CLEAN;
	if (edx & SVM_FEAT_FLUSH_BY_ASID)
		hw->features |= DOMUS_FEAT_FLUSH_BY_ASID;
	if (edx & SVM_FEAT_DECODE_ASSISTS)
		hw->features |= DOMUS_FEAT_DECODE_ASSISTS;
	if (edx & SVM_FEAT_VGIF)
		hw->features |= DOMUS_FEAT_VGIF;
	return 0;
}

/* --- per-CPU state ------------------------------------------------------- */

struct svm_cpu {
	struct page *hsave;		/* VMRUN's host save area */
	struct page *host_save;		/* VMSAVE/VMLOAD host state */
	u64 host_save_pa;
	u32 next_asid;
	u32 max_asid;
	u64 asid_gen;
	u64 host_tsc_aux;
};

static DEFINE_PER_CPU(struct svm_cpu *, svm_cpus);
static struct page *svm_iopm;
static struct page *svm_msrpm;

struct svm_vcpu {
	struct svm_vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	u64 asid_gen;
	int last_cpu;
	u32 dirty;			/* VMCB fields changed since the last run */
	bool flush;			/* guest TLB must be flushed */
	u64 efer;			/* guest view: without SVME */
	u64 tsc_aux;
	u64 apic_base;
	u64 dr[4];
	bool dr_owned;			/* guest uses debug registers directly */
	u64 reinject;			/* event cut short by the exit */
	u32 reinject_err;
	bool exc_pending;
	u8 exc_nr;
	bool exc_has_err;
	u32 exc_err;
};

static inline struct svm_vcpu *to_svm(struct domus_vcpu *v)
{
	return v->arch;
}

static bool svm_has(u64 feat)
{
	return domus_hw.features & feat;
}

static void svm_free_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu(svm_cpus, cpu);

		if (!sc)
			continue;
		if (sc->hsave)
			__free_page(sc->hsave);
		if (sc->host_save)
			__free_page(sc->host_save);
		kfree(sc);
		per_cpu(svm_cpus, cpu) = NULL;
	}
}

/* MSRs the guest reads and writes directly: VMCB-held and switched by VMLOAD/VMSAVE. */
static const u32 svm_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void svm_msrpm_allow(u8 *pm, u32 msr)
{
	u32 base, off;

	if (msr <= 0x1fff) {
		base = 0;
		off = msr;
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base = 0x800;
		off = msr - 0xc0000000;
	} else if (msr >= 0xc0010000 && msr <= 0xc0011fff) {
		base = 0x1000;
		off = msr - 0xc0010000;
	} else {
		return;
	}
	/* two bits per MSR: read intercept, write intercept */
	pm[base + off / 4] &= ~(3u << ((off % 4) * 2));
}

static int svm_hw_setup(void)
{
	u32 asids = domus_hw.asids;
	unsigned int i;
	int cpu;

	svm_iopm = alloc_pages(GFP_KERNEL, get_order(SVM_IOPM_SIZE));
	svm_msrpm = alloc_pages(GFP_KERNEL, get_order(SVM_MSRPM_SIZE));
	if (!svm_iopm || !svm_msrpm)
		goto fail;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << get_order(SVM_IOPM_SIZE));
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << get_order(SVM_MSRPM_SIZE));
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		svm_msrpm_allow(page_address(svm_msrpm), svm_passthrough_msrs[i]);

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = kzalloc_node(sizeof(*sc), GFP_KERNEL, cpu_to_node(cpu));

		if (!sc)
			goto fail;
		per_cpu(svm_cpus, cpu) = sc;
		sc->hsave = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		sc->host_save = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!sc->hsave || !sc->host_save)
			goto fail;
		sc->host_save_pa = page_to_phys(sc->host_save);
		sc->max_asid = asids > 1 ? asids - 1 : 1;
		sc->next_asid = sc->max_asid + 1;	/* first use flushes */
	}
	return 0;
fail:
	svm_free_cpus();
	if (svm_iopm)
		__free_pages(svm_iopm, get_order(SVM_IOPM_SIZE));
	if (svm_msrpm)
		__free_pages(svm_msrpm, get_order(SVM_MSRPM_SIZE));
	svm_iopm = svm_msrpm = NULL;
	return -ENOMEM;
}

static void svm_hw_teardown(void)
{
	svm_free_cpus();
	__free_pages(svm_iopm, get_order(SVM_IOPM_SIZE));
	__free_pages(svm_msrpm, get_order(SVM_MSRPM_SIZE));
	svm_iopm = svm_msrpm = NULL;
}

static int svm_cpu_enable(void)
{
	struct svm_cpu *sc = this_cpu_read(svm_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* someone else's */
	if (!sc)
		return -ENOMEM;
	wrmsrl(MSR_SVM_HSAVE_PA, page_to_phys(sc->hsave));
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	sc->asid_gen++;
	sc->next_asid = sc->max_asid + 1;
	if (domus_rdmsr_safe(MSR_TSC_AUX_DOMUS, &sc->host_tsc_aux))
		sc->host_tsc_aux = 0;
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_SVM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		asm volatile("stgi" ::: "memory");
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	}
}

static u64 svm_gpt_leaf_bits(bool writable, bool large)
{
	return SVM_NPT_P | SVM_NPT_US | SVM_NPT_A | SVM_NPT_D |
	       (writable ? SVM_NPT_RW : 0);
}

/* --- vCPU creation and architectural reset ------------------------------------ */

static void svm_set_seg(struct svm_seg *s, u16 sel, u64 base, u32 limit, u16 attr)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attrib = attr;
}

static void svm_reset(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;
	struct svm_vmcb_save *s = &sv->vmcb->save;

	c->intercept_cr = 0;
	c->intercept_dr = 0xffffffff;
	/* #DB and #AC: a guest could otherwise loop in delivery forever */
	c->intercept_exc = BIT(DOMUS_DB_VECTOR) | BIT(DOMUS_AC_VECTOR);
	c->intercept_misc1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_CPUID | SVM_I1_INVD |
			     SVM_I1_HLT | SVM_I1_INVLPGA | SVM_I1_IOIO | SVM_I1_MSR |
			     SVM_I1_TASK_SWITCH | SVM_I1_SHUTDOWN;
	c->intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD |
			     SVM_I2_VMSAVE | SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT |
			     SVM_I2_MONITOR | SVM_I2_MWAIT | SVM_I2_MWAIT_COND |
			     SVM_I2_XSETBV | SVM_I2_RDPRU;
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->tsc_offset = -rdtsc();
	c->int_ctl = SVM_V_INTR_MASKING;
	c->nested_ctl = 1;	/* nested paging on */
	c->nested_cr3 = __pa(v->dom->gpt.root);

	/* the state of an x86 CPU after RESET */
	svm_set_seg(&s->cs, 0xf000, 0xffff0000, 0xffff, 0x9b);
	svm_set_seg(&s->ds, 0, 0, 0xffff, 0x93);
	s->es = s->ss = s->fs = s->gs = s->ds;
	svm_set_seg(&s->gdtr, 0, 0, 0xffff, 0);
	svm_set_seg(&s->idtr, 0, 0, 0xffff, 0);
	svm_set_seg(&s->ldtr, 0, 0, 0xffff, 0x82);
	svm_set_seg(&s->tr, 0, 0, 0xffff, 0x8b);
	s->cpl = 0;
	s->efer = EFER_SVME;
	s->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	s->cr4 = 0;
	s->cr3 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = X86_EFLAGS_FIXED;
	s->rip = 0xfff0;
	s->g_pat = 0x0007040600070406ULL;
	sv->efer = 0;
	sv->apic_base = 0xfee00000 | MSR_IA32_APICBASE_ENABLE | (v->id == 0 ? 0x100 : 0);
	sv->dirty = SVM_CLEAN_ALL;
}

static int svm_vcpu_create(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = kzalloc(sizeof(*sv), GFP_KERNEL_ACCOUNT);
	struct page *pg;

	if (!sv)
		return -ENOMEM;
	pg = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!pg) {
		kfree(sv);
		return -ENOMEM;
	}
	sv->vmcb = page_address(pg);
	sv->vmcb_pa = page_to_phys(pg);
	sv->last_cpu = -1;
	v->arch = sv;
	svm_reset(v);
	return 0;
}

static void svm_vcpu_free(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);

	free_page((unsigned long)sv->vmcb);
	kfree(sv);
	v->arch = NULL;
}

/* --- registers ----------------------------------------------------------------- */

static void svm_get_regs(struct domus_vcpu *v, struct domus_regs *r)
{
	struct svm_vmcb_save *s = &to_svm(v)->vmcb->save;

	r->rax = s->rax;
	r->rcx = v->regs[1];
	r->rdx = v->regs[2];
	r->rbx = v->regs[3];
	r->rsp = s->rsp;
	r->rbp = v->regs[5];
	r->rsi = v->regs[6];
	r->rdi = v->regs[7];
	r->r8 = v->regs[8];
	r->r9 = v->regs[9];
	r->r10 = v->regs[10];
	r->r11 = v->regs[11];
	r->r12 = v->regs[12];
	r->r13 = v->regs[13];
	r->r14 = v->regs[14];
	r->r15 = v->regs[15];
	r->rip = s->rip;
	r->rflags = s->rflags;
}

/* RFLAGS bits a guest may hold (bit 1 always set) */
#define SVM_RFLAGS_VALID	0x3f7fd7ULL

static void svm_set_regs(struct domus_vcpu *v, const struct domus_regs *r)
{
	struct svm_vmcb_save *s = &to_svm(v)->vmcb->save;

	s->rax = r->rax;
	v->regs[1] = r->rcx;
	v->regs[2] = r->rdx;
	v->regs[3] = r->rbx;
	s->rsp = r->rsp;
	v->regs[5] = r->rbp;
	v->regs[6] = r->rsi;
	v->regs[7] = r->rdi;
	v->regs[8] = r->r8;
	v->regs[9] = r->r9;
	v->regs[10] = r->r10;
	v->regs[11] = r->r11;
	v->regs[12] = r->r12;
	v->regs[13] = r->r13;
	v->regs[14] = r->r14;
	v->regs[15] = r->r15;
	s->rip = r->rip;
	s->rflags = (r->rflags & SVM_RFLAGS_VALID) | X86_EFLAGS_FIXED;
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

static void svm_get_sregs(struct domus_vcpu *v, struct domus_sregs *r)
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
	r->apic_base = sv->apic_base;
}

#define SVM_EFER_GUEST	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)
#define SVM_CR4_RSVD	(X86_CR4_VMXE | X86_CR4_SMXE | ~0x3fffffULL)

static int svm_set_sregs(struct domus_vcpu *v, const struct domus_sregs *r)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	if ((r->efer & ~SVM_EFER_GUEST) || (r->cr0 >> 32) || (r->cr4 & SVM_CR4_RSVD) ||
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
	sv->apic_base = r->apic_base;
	sv->dirty = SVM_CLEAN_ALL;
	sv->flush = true;
	return 0;
}

static u64 svm_get_cr4(struct domus_vcpu *v)
{
	return to_svm(v)->vmcb->save.cr4;
}

/* --- MSRs -------------------------------------------------------------------- */

static bool svm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* Returns 0, or 1 for "not handled": the guest gets #GP, userspace -EINVAL. */
static int svm_get_msr(struct domus_vcpu *v, u32 index, u64 *data, bool host)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	switch (index) {
	case MSR_EFER:			*data = sv->efer; break;
	case MSR_IA32_TSC:		*data = rdtsc() + sv->vmcb->ctrl.tsc_offset; break;
	case MSR_TSC_AUX_DOMUS:		*data = sv->tsc_aux; break;
	case MSR_IA32_APICBASE:		*data = sv->apic_base; break;
	case MSR_IA32_CR_PAT:		*data = s->g_pat; break;
	case MSR_IA32_UCODE_REV:	*data = 0; break;
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
		return 1;
	}
	return 0;
}

static int svm_set_msr(struct domus_vcpu *v, u32 index, u64 data, bool host)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_save *s = &sv->vmcb->save;

	switch (index) {
	case MSR_EFER:
		if (data & ~SVM_EFER_GUEST)
			return 1;
		if (!host) {
			/* LMA is the CPU's; LME cannot change while paging is on */
			data = (data & ~EFER_LMA) | (sv->efer & EFER_LMA);
			if ((s->cr0 & X86_CR0_PG) && ((data ^ sv->efer) & EFER_LME))
				return 1;
		}
		sv->efer = data;
		s->efer = data | EFER_SVME;
		sv->dirty |= SVM_CLEAN_CRX;
		break;
	case MSR_IA32_TSC:
		sv->vmcb->ctrl.tsc_offset = data - rdtsc();
		sv->dirty |= SVM_CLEAN_INTERCEPTS;
		break;
	case MSR_TSC_AUX_DOMUS:
		if (data >> 32)
			return 1;
		sv->tsc_aux = data;
		break;
	case MSR_IA32_APICBASE:
		sv->apic_base = data;
		break;
	case MSR_IA32_CR_PAT:
		if (!svm_pat_valid(data))
			return 1;
		s->g_pat = data;
		sv->dirty |= SVM_CLEAN_NP;
		break;
	case MSR_IA32_UCODE_REV:
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
		return 1;
	}
	return 0;
}

/* --- events ------------------------------------------------------------------- */

static void svm_queue_exception(struct domus_vcpu *v, u8 nr, bool has_err, u32 err)
{
	struct svm_vcpu *sv = to_svm(v);

	sv->exc_pending = true;
	sv->exc_nr = nr;
	sv->exc_has_err = has_err;
	sv->exc_err = err;
}

static void svm_get_events(struct domus_vcpu *v, struct domus_events *e)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 ev = sv->reinject;

	if (sv->exc_pending) {
		e->exception.pending = 1;
		e->exception.nr = sv->exc_nr;
		e->exception.has_error_code = sv->exc_has_err;
		e->exception.error_code = sv->exc_err;
	} else if ((ev & SVM_EV_VALID) && (ev & SVM_EV_TYPE_MASK) == SVM_EV_TYPE_EXC) {
		e->exception.pending = 1;
		e->exception.nr = ev & SVM_EV_VECTOR_MASK;
		e->exception.has_error_code = !!(ev & SVM_EV_ERR_VALID);
		e->exception.error_code = sv->reinject_err;
	}
	if ((ev & SVM_EV_VALID) && (ev & SVM_EV_TYPE_MASK) == SVM_EV_TYPE_INTR) {
		e->interrupt.pending = 1;
		e->interrupt.nr = ev & SVM_EV_VECTOR_MASK;
	}
	e->nmi.pending = atomic_read(&v->irq.nmi) ||
		((ev & SVM_EV_VALID) && (ev & SVM_EV_TYPE_MASK) == SVM_EV_TYPE_NMI);
	e->nmi.masked = v->nmi_masked;
	e->interrupt_shadow = sv->vmcb->ctrl.int_state & SVM_INT_SHADOW;
}

static int svm_set_events(struct domus_vcpu *v, const struct domus_events *e)
{
	struct svm_vcpu *sv = to_svm(v);

	if (e->interrupt.pending && e->interrupt.nr < 32)
		return -EINVAL;
	sv->reinject = 0;
	sv->exc_pending = false;
	if (e->exception.pending)
		svm_queue_exception(v, e->exception.nr, e->exception.has_error_code,
				    e->exception.error_code);
	if (e->interrupt.pending)
		set_bit(e->interrupt.nr, v->irq.pending);
	atomic_set(&v->irq.nmi, !!e->nmi.pending);
	v->nmi_masked = e->nmi.masked;
	if (e->interrupt_shadow)
		sv->vmcb->ctrl.int_state |= SVM_INT_SHADOW;
	else
		sv->vmcb->ctrl.int_state &= ~SVM_INT_SHADOW;
	return 0;
}

static bool svm_interruptible(struct svm_vcpu *sv)
{
	return (sv->vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !(sv->vmcb->ctrl.int_state & SVM_INT_SHADOW);
}

static void svm_irq_window(struct svm_vcpu *sv, bool on)
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
 * Choose the event to deliver at this entry (interrupts are off, the vCPU
 * is marked in guest mode, so anything queued later kicks it out again).
 * Returns false if userspace asked to see the interrupt window and the
 * guest can take an interrupt now.
 */
static bool svm_inject_events(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb_ctrl *c = &sv->vmcb->ctrl;
	bool want_window = READ_ONCE(v->run->flags) & DOMUS_RUN_IRQ_WINDOW;
	bool irq = domus_vcpu_has_irq(v);

	c->event_inj = 0;
	if (sv->reinject & SVM_EV_VALID) {
		c->event_inj = sv->reinject | ((u64)sv->reinject_err << 32);
		sv->reinject = 0;
	} else if (sv->exc_pending) {
		c->event_inj = sv->exc_nr | SVM_EV_TYPE_EXC | SVM_EV_VALID |
			(sv->exc_has_err ? SVM_EV_ERR_VALID | ((u64)sv->exc_err << 32) : 0);
		sv->exc_pending = false;
		domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
	} else if (atomic_read(&v->irq.nmi) && !v->nmi_masked &&
		   !(c->int_state & SVM_INT_SHADOW)) {
		atomic_set(&v->irq.nmi, 0);
		c->event_inj = 2 | SVM_EV_TYPE_NMI | SVM_EV_VALID;
		v->nmi_masked = true;
		c->intercept_misc1 |= SVM_I1_IRET;
		sv->dirty |= SVM_CLEAN_INTERCEPTS;
		domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
	} else if (irq && svm_interruptible(sv)) {
		int vec = domus_vcpu_next_irq(v);

		if (vec >= 0) {
			c->event_inj = vec | SVM_EV_TYPE_INTR | SVM_EV_VALID;
			domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
		}
		irq = domus_vcpu_has_irq(v);
	} else if (want_window && !irq && svm_interruptible(sv)) {
		return false;
	}
	if (atomic_read(&v->irq.nmi) && v->nmi_masked &&
	    !(c->intercept_misc1 & SVM_I1_IRET)) {
		c->intercept_misc1 |= SVM_I1_IRET;
		sv->dirty |= SVM_CLEAN_INTERCEPTS;
	}
	svm_irq_window(sv, irq || want_window);
	return true;
}

/* An event was being delivered when the exit came: deliver it again. */
static void svm_save_reinject(struct domus_vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 info = sv->vmcb->ctrl.exit_int_info;

	sv->reinject = 0;
	if (!(info & SVM_EV_VALID))
		return;
	switch (info & SVM_EV_TYPE_MASK) {
	case SVM_EV_TYPE_INTR:
	case SVM_EV_TYPE_NMI:
	case SVM_EV_TYPE_EXC:
		sv->reinject = info & 0xffffffffULL;
		sv->reinject_err = info >> 32;
		if ((info & SVM_EV_TYPE_MASK) == SVM_EV_TYPE_NMI)
			v->nmi_masked = false;
		break;
	default:
		/* software interrupts are re-executed with the instruction */
		break;
	}
}

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
		if (svm_set_msr(v, index, data, false)) {
			svm_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
			return 1;
		}
	} else {
		if (svm_get_msr(v, index, &data, false)) {
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
	u64 host = xgetbv(XCR_XFEATURE_ENABLED_MASK);

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

static int svm_handle_exit(struct domus_vcpu *v)
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

/* --- entering the guest ---------------------------------------------------------- */

static void svm_new_asid(struct svm_vcpu *sv, struct svm_cpu *sc)
{
	if (sc->next_asid > sc->max_asid) {
		sc->asid_gen++;
		sc->next_asid = 1;
		sv->vmcb->ctrl.tlb_ctl = SVM_TLB_FLUSH_ALL;
	}
	sv->asid = sc->next_asid++;
	sv->asid_gen = sc->asid_gen;
	sv->vmcb->ctrl.asid = sv->asid;
	sv->dirty |= SVM_CLEAN_ASID;
}

static int svm_vcpu_run(struct domus_vcpu *v)
	__must_hold(&v->dom->srcu)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb *vmcb = sv->vmcb;
	struct domus_domain *dom = v->dom;
	u64 host_xcr0 = 0, tlb_gen;
	bool swap_xcr0, swap_aux;
	struct svm_cpu *sc;
	int cpu;

	preempt_disable();
	cpu = smp_processor_id();
	sc = this_cpu_read(svm_cpus);
	if (sv->last_cpu != cpu) {
		sv->dirty = SVM_CLEAN_ALL;	/* another CPU may cache another VMCB */
		sv->last_cpu = cpu;
		sv->asid_gen = 0;
	}
	WRITE_ONCE(v->cpu, cpu);

	local_irq_disable();
	atomic_set(&v->mode, DOMUS_IN_GUEST);
	smp_mb();

	tlb_gen = atomic64_read(&dom->tlb_gen);
	if (tlb_gen != v->tlb_gen) {
		v->tlb_gen = tlb_gen;
		sv->flush = true;
	}
	if (sv->asid_gen != sc->asid_gen) {
		svm_new_asid(sv, sc);
		sv->flush = false;
	} else if (sv->flush) {
		if (svm_has(DOMUS_FEAT_FLUSH_BY_ASID))
			vmcb->ctrl.tlb_ctl = SVM_TLB_FLUSH_ASID;
		else
			svm_new_asid(sv, sc);
		sv->flush = false;
	}

	if (!svm_inject_events(v)) {
		atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		v->run->exit_reason = DOMUS_EXIT_IRQ_WINDOW;
		return 0;
	}

	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	swap_xcr0 = (vmcb->save.cr4 & X86_CR4_OSXSAVE) &&
		    (host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK)) != v->xcr0;
	if (swap_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, v->xcr0);
	swap_aux = sv->tsc_aux != sc->host_tsc_aux;
	if (swap_aux)
		wrmsrl(MSR_TSC_AUX_DOMUS, sv->tsc_aux);
	if (sv->dr_owned) {
		set_debugreg(sv->dr[0], 0);
		set_debugreg(sv->dr[1], 1);
		set_debugreg(sv->dr[2], 2);
		set_debugreg(sv->dr[3], 3);
	}
	vmcb->ctrl.clean = (svm_has(DOMUS_FEAT_VMCB_CLEAN) ? ~sv->dirty & SVM_CLEAN_ALL : 0);
	sv->dirty = 0;

	srcu_read_unlock(&dom->srcu, v->srcu_idx);
	asm volatile("clgi" ::: "memory");
	domus_svm_enter(sv->vmcb_pa, v->regs, sc->host_save_pa);

	vmcb->ctrl.tlb_ctl = SVM_TLB_FLUSH_NONE;
	if (sv->dr_owned) {
		get_debugreg(sv->dr[0], 0);
		get_debugreg(sv->dr[1], 1);
		get_debugreg(sv->dr[2], 2);
		get_debugreg(sv->dr[3], 3);
		hw_breakpoint_restore();
	} else if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
	}
	if (swap_aux)
		wrmsrl(MSR_TSC_AUX_DOMUS, sc->host_tsc_aux);
	if (swap_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	asm volatile("stgi" ::: "memory");
	atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
	local_irq_enable();
	preempt_enable();
	v->srcu_idx = srcu_read_lock(&dom->srcu);

	svm_save_reinject(v);
	if (vmcb->ctrl.exit_code == SVM_EXIT_INVALID) {
		v->run->exit_reason = DOMUS_EXIT_FAIL_ENTRY;
		v->run->fail_entry.hw_reason = vmcb->ctrl.exit_code;
		v->run->fail_entry.hw_info = 0;
		return 0;
	}
	v->run->if_flag = !!(vmcb->save.rflags & X86_EFLAGS_IF);
	return svm_handle_exit(v);
}

static_assert(offsetof(struct svm_vmcb, save) == 0x400);
static_assert(offsetof(struct svm_vmcb_ctrl, exit_code) == 0x070);
static_assert(offsetof(struct svm_vmcb_ctrl, insn_bytes) == 0x0d1);
static_assert(offsetof(struct svm_vmcb_save, cpl) == 0x0cb);
static_assert(offsetof(struct svm_vmcb_save, efer) == 0x0d0);
static_assert(offsetof(struct svm_vmcb_save, cr4) == 0x148);
static_assert(offsetof(struct svm_vmcb_save, rip) == 0x178);
static_assert(offsetof(struct svm_vmcb_save, rsp) == 0x1d8);
static_assert(offsetof(struct svm_vmcb_save, rax) == 0x1f8);
static_assert(offsetof(struct svm_vmcb_save, cr2) == 0x240);
static_assert(offsetof(struct svm_vmcb_save, g_pat) == 0x268);
static_assert(sizeof(struct svm_vmcb) <= PAGE_SIZE);

const struct domus_arch_ops domus_svm_ops = {
	.name		= "svm",
	.probe		= svm_probe,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.hw_setup	= svm_hw_setup,
	.hw_teardown	= svm_hw_teardown,
	.gpt_leaf_bits	= svm_gpt_leaf_bits,
	.gpt_table_bits	= SVM_NPT_P | SVM_NPT_RW | SVM_NPT_US | SVM_NPT_A,
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_run	= svm_vcpu_run,
	.get_regs	= svm_get_regs,
	.set_regs	= svm_set_regs,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.get_events	= svm_get_events,
	.set_events	= svm_set_events,
	.get_cr4	= svm_get_cr4,
	.queue_exception = svm_queue_exception,
};
