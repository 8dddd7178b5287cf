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
#include "../core.h"
#include "svm.h"
#include "../run.h"
#include "../spec_host.h"

static int svm_probe(struct domus_hw *hw)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < SVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_SVM)) {
		pr_err("cannot load: this AMD CPU has no SVM (AMD-V) in CPUID; use a CPU with AMD-V, or give the virtual CPU the svm flag (e.g. qemu -cpu host or +svm)\n");
		return -ENODEV;
	}
	if (domus_fw_msr(MSR_SVM_VM_CR, &vm_cr) == 0 &&
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

static void svm_free_cpu(struct svm_cpu *sc)
{
	if (!sc)
		return;
	if (sc->hsave)
		__free_page(sc->hsave);
	if (sc->host_save)
		__free_page(sc->host_save);
	kfree(sc);
}

static void svm_free_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		svm_free_cpu(per_cpu(svm_cpus, cpu));
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
	if (domus_rdmsr_safe(MSR_TSC_AUX, &sc->host_tsc_aux))
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

	/* CR4 writes: checked against the guest's CPUID (cr4.h) */
	c->intercept_cr = BIT(16 + 4);
	c->intercept_dr = 0xffffffff;
	/*
	 * #DB and #AC: a guest could otherwise loop in delivery forever.
	 * #MC: a machine check while the guest runs is the host's.
	 */
	c->intercept_exc = BIT(DOMUS_DB_VECTOR) | BIT(DOMUS_AC_VECTOR) | BIT(DOMUS_MC_VECTOR);
	/*
	 * RDPMC: the counters are the host's; WBINVD: a host-wide flush.
	 * ICEBP: its #DB is reported like any other (EXITINTINFO has no
	 * type for it), and an intercepted #DB from it may leave RIP at the
	 * instruction (as Xen found); the ICEBP intercept is exact.
	 */
	c->intercept_misc1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_RDPMC | SVM_I1_CPUID |
			     SVM_I1_INVD | SVM_I1_HLT | SVM_I1_INVLPGA | SVM_I1_IOIO |
			     SVM_I1_MSR | SVM_I1_TASK_SWITCH | SVM_I1_SHUTDOWN;
	c->intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD |
			     SVM_I2_VMSAVE | SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT |
			     SVM_I2_ICEBP | SVM_I2_WBINVD | SVM_I2_MONITOR | SVM_I2_MWAIT |
			     SVM_I2_MWAIT_COND | SVM_I2_XSETBV | SVM_I2_RDPRU;
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->tsc_offset = -rdtsc();
	WRITE_ONCE(v->tsc_offset, c->tsc_offset);
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
	sv->dirty = SVM_CLEAN_ALL;
}

static int svm_vcpu_create(struct domus_vcpu *v)
{
	struct page *pg;
	struct svm_vcpu *sv = domus_arch_vcpu_alloc(sizeof(*sv), &pg);

	if (!sv)
		return -ENOMEM;
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

/*
 * The first steps of every entry (preemption off, then interrupts off in
 * guest mode): this CPU's VMCB cache and ASID, and the TLB flush the
 * domain asked for.  Returns this CPU's state.
 */
static struct svm_cpu *svm_enter_prepare(struct domus_vcpu *v, struct svm_vcpu *sv)
{
	struct svm_vmcb *vmcb = sv->vmcb;
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
	if (domus_enter_guest_mode(v, cpu))
		sv->flush = true;
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
	return sc;
}

/*
 * VMRUN and back, GIF clear around it, with the transient-execution steps
 * of spec_host.h; a host machine check taken in the guest is handled.
 * Returns the exit code.
 */
static u64 svm_world_switch(struct domus_vcpu *v, struct svm_vcpu *sv, struct svm_cpu *sc)
{
	struct svm_vmcb *vmcb = sv->vmcb;

	vmcb->ctrl.clean = (svm_has(DOMUS_FEAT_VMCB_CLEAN) ? ~sv->dirty & SVM_CLEAN_ALL : 0);
	sv->dirty = 0;
	vmcb->save.rax = v->regs[0];
	asm volatile("clgi" ::: "memory");
	domus_svm_enter(sv->vmcb_pa, v->regs, sc->host_save_pa, domus_spec_enter(v));
	domus_spec_exit();
	v->regs[0] = vmcb->save.rax;
	vmcb->ctrl.tlb_ctl = SVM_TLB_FLUSH_NONE;
	return vmcb->ctrl.exit_code;
}

static int svm_vcpu_run(struct domus_vcpu *v)
	__must_hold(&v->dom->srcu)
{
	struct svm_vcpu *sv = to_svm(v);
	struct svm_vmcb *vmcb = sv->vmcb;
	struct domus_host_swap hs;
	struct svm_cpu *sc = svm_enter_prepare(v, sv);
	u64 code;

	if (!svm_inject_events(v))
		return domus_enter_abort_window(v);

	domus_swap_in(v, &hs, vmcb->save.cr4, sc->host_tsc_aux,
		      boot_cpu_has(X86_FEATURE_RDTSCP));
	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	code = svm_world_switch(v, sv, sc);
	domus_swap_out(v, &hs, sc->host_tsc_aux);
	asm volatile("stgi" ::: "memory");
	if (unlikely(code == SVM_EXIT_EXCP_BASE + DOMUS_MC_VECTOR))
		domus_host_machine_check();
	domus_leave_guest_mode(v);
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);

	svm_save_reinject(v);
	if (code == SVM_EXIT_INVALID)
		return domus_exit_unsupported(v, code, 0);
	domus_exit_if_state(v, vmcb->save.rflags & X86_EFLAGS_IF, svm_interruptible(to_svm(v)));
	v->exit_len = svm_exit_insn_len(v);
	return svm_handle_exit(v);
}

#ifdef DOMUS_BENCH
/*
 * DOMUS_BENCH_FLOOR (uapi/domus.h), benchmark builds only: one batch of
 * the floor loop, until f->n CPUID exits, an exit of another kind, or the
 * scheduler wants this CPU.  Each entry does only what keeps the host
 * safe: guest mode (kicks, the TLB generation), the ASID, the world
 * switch with the host's transient-execution steps, a host machine check.
 */
static void svm_bench_floor(struct domus_vcpu *v, struct domus_bench_floor *f)
	__must_hold(&v->dom->srcu)
{
	struct svm_vcpu *sv = to_svm(v);
	u64 code;

	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	do {
		code = svm_world_switch(v, sv, svm_enter_prepare(v, sv));
		asm volatile("stgi" ::: "memory");
		if (unlikely(code == SVM_EXIT_EXCP_BASE + DOMUS_MC_VECTOR))
			domus_host_machine_check();
		domus_leave_guest_mode(v);
		if (code == SVM_EXIT_CPUID) {
			sv->vmcb->save.rip += 2;
			f->done++;
		} else if (code == SVM_EXIT_INTR || code == SVM_EXIT_NMI) {
			f->other++;
		} else {
			f->stopped = 1;
			f->exit_code = code;
		}
	} while (f->done < f->n && !f->stopped && !need_resched());
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
}
#endif

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
	DOMUS_ARCH_OPS_NAMED(svm),
	.hypercall_insn	= { 0x0f, 0x01, 0xd9 },	/* VMMCALL */
	.gpt_table_bits	= SVM_NPT_P | SVM_NPT_RW | SVM_NPT_US | SVM_NPT_A,
#ifdef DOMUS_BENCH
	.bench_floor	= svm_bench_floor,
#endif
};
