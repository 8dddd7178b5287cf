// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VT-x (VMX) backend: per-CPU VMXON, the VMCS
 * of each vCPU (loaded on whichever CPU runs it), guest entry.  Register
 * state and events are in state.c, exit handlers in exit.c, the
 * capability checks in caps.c.
 *
 * Intercepts deny by default as on AMD: every I/O port and every MSR
 * outside a short pass-through list exits; VMX instructions in the guest
 * raise #UD.
 *
 * A VMCS can only be accessed on the CPU where it is current.  Every
 * access goes through vmx_vcpu_load() with preemption disabled: if the
 * VMCS is current on another CPU it is VMCLEARed there (IPI) and loaded
 * here, with the host-state fields that differ between CPUs rewritten.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/hw_breakpoint.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/io.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include "../core.h"
#include "vmx.h"
#include "../run.h"
#include "../spec_host.h"

/* --- per-CPU state ----------------------------------------------------------- */

struct vmx_cpu {
	void *vmxon;
	struct vmx_vcpu *current_vmcs;	/* the VMCS VMPTRLDed here */
	struct list_head loaded;	/* VMCSs active (not VMCLEARed) here */
	u64 host_efer, host_pat;
	u64 host_sysenter_cs, host_sysenter_esp, host_sysenter_eip;
	u64 host_star, host_lstar, host_sfmask;
	u64 host_tsc_aux;
};

static DEFINE_PER_CPU(struct vmx_cpu *, vmx_cpus);
static void *vmx_msr_bitmap;
static void *vmx_io_bitmap;

/* VPIDs in use (0 is the host's). */
static DEFINE_SPINLOCK(vmx_vpid_lock);
static unsigned long vmx_vpids[65536 / BITS_PER_LONG];

static void vmx_free_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu(vmx_cpus, cpu);

		if (!vc)
			continue;
		free_page((unsigned long)vc->vmxon);
		kfree(vc);
		per_cpu(vmx_cpus, cpu) = NULL;
	}
}

/*
 * MSRs the guest reads and writes directly.  FS/GS base and SYSENTER_*
 * are VMCS guest-state fields; KERNEL_GS_BASE is not switched by VMX (and
 * SWAPGS changes it without an exit), so vcpu_run swaps it around each
 * entry.  CSTAR is not listed: Intel CPUs never use it, so it is plainly
 * emulated.
 */
static const u32 vmx_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/*
 * Read directly, written through an exit: the syscall MSRs, which VMX does
 * not switch either.  A guest sets them once per CPU, so intercepting the
 * writes costs nothing and spares reading them back after every exit:
 * their guest values are always the copies in struct vmx_vcpu.
 */
static const u32 vmx_readonly_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_SYSCALL_MASK,
};

static void vmx_msr_allow(u8 *bm, u32 msr, bool write)
{
	u32 base;

	if (msr <= 0x1fff) {
		base = 0;
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base = 0x400;
		msr -= 0xc0000000;
	} else {
		return;
	}
	/* read bitmap at base, write bitmap 2 KiB above it */
	bm[base + msr / 8] &= ~(1u << (msr % 8));
	if (write)
		bm[0x800 + base + msr / 8] &= ~(1u << (msr % 8));
}

static int vmx_hw_setup(void)
{
	unsigned int i;
	int cpu;

	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	vmx_io_bitmap = (void *)__get_free_pages(GFP_KERNEL, get_order(VMX_IO_BITMAP_SIZE));
	if (!vmx_msr_bitmap || !vmx_io_bitmap)
		goto fail;
	memset(vmx_msr_bitmap, 0xff, VMX_MSR_BITMAP_SIZE);
	memset(vmx_io_bitmap, 0xff, VMX_IO_BITMAP_SIZE);
	for (i = 0; i < ARRAY_SIZE(vmx_passthrough_msrs); i++)
		vmx_msr_allow(vmx_msr_bitmap, vmx_passthrough_msrs[i], true);
	for (i = 0; i < ARRAY_SIZE(vmx_readonly_msrs); i++)
		vmx_msr_allow(vmx_msr_bitmap, vmx_readonly_msrs[i], false);

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = kzalloc_node(sizeof(*vc), GFP_KERNEL, cpu_to_node(cpu));
		struct page *pg;

		if (!vc)
			goto fail;
		per_cpu(vmx_cpus, cpu) = vc;
		INIT_LIST_HEAD(&vc->loaded);
		pg = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!pg)
			goto fail;
		vc->vmxon = page_address(pg);
		*(u32 *)vc->vmxon = vmx_cfg.revision;
	}
	return 0;
fail:
	vmx_free_cpus();
	free_page((unsigned long)vmx_msr_bitmap);
	free_pages((unsigned long)vmx_io_bitmap, get_order(VMX_IO_BITMAP_SIZE));
	vmx_msr_bitmap = vmx_io_bitmap = NULL;
	return -ENOMEM;
}

static void vmx_hw_teardown(void)
{
	vmx_free_cpus();
	free_page((unsigned long)vmx_msr_bitmap);
	free_pages((unsigned long)vmx_io_bitmap, get_order(VMX_IO_BITMAP_SIZE));
	vmx_msr_bitmap = vmx_io_bitmap = NULL;
}

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m" (desc), "r" (type) : "cc", "memory");
}

/* Drop every guest-physical and combined mapping tagged with @eptp. */
static void vmx_flush_ept(u64 eptp)
{
	if (vmx_cfg.ept_cap & VMX_EPT_INVEPT_SINGLE)
		vmx_invept(VMX_INVEPT_SINGLE, eptp);
	else
		vmx_invept(VMX_INVEPT_ALL, 0);
}

static void vmx_vmclear(u64 pa)
{
	asm volatile("vmclear %0" : : "m" (pa) : "cc", "memory");
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_read(vmx_cpus);
	u64 fc, pa;
	bool fail;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* someone else's (kvm_intel with a VM) */
	if (!vc)
		return -ENOMEM;
	rdmsrl(MSR_VMX_FEATURE_CONTROL, fc);
	if (!(fc & VMX_FC_LOCKED)) {
		fc |= VMX_FC_LOCKED | VMX_FC_VMXON_OUTSIDE_SMX;
		wrmsrl(MSR_VMX_FEATURE_CONTROL, fc);
	}
	if (!(fc & VMX_FC_VMXON_OUTSIDE_SMX))
		return -EPERM;
	cr4_set_bits(X86_CR4_VMXE);
	pa = __pa(vc->vmxon);
	asm volatile("vmxon %1\n\t"
		     "setna %0" : "=qm" (fail) : "m" (pa) : "cc", "memory");
	if (fail) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EIO;
	}
	vc->current_vmcs = NULL;
	rdmsrl(MSR_EFER, vc->host_efer);
	rdmsrl(MSR_IA32_CR_PAT, vc->host_pat);
	rdmsrl(MSR_IA32_SYSENTER_CS, vc->host_sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_ESP, vc->host_sysenter_esp);
	rdmsrl(MSR_IA32_SYSENTER_EIP, vc->host_sysenter_eip);
	rdmsrl(MSR_STAR, vc->host_star);
	rdmsrl(MSR_LSTAR, vc->host_lstar);
	rdmsrl(MSR_SYSCALL_MASK, vc->host_sfmask);
	if (domus_rdmsr_safe(MSR_TSC_AUX, &vc->host_tsc_aux))
		vc->host_tsc_aux = 0;
	vmx_invept(VMX_INVEPT_ALL, 0);	/* nothing stale from before */
	return 0;
}

static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_read(vmx_cpus);
	struct vmx_vcpu *vx, *tmp;

	if (!(cr4_read_shadow() & X86_CR4_VMXE))
		return;
	if (vc) {
		list_for_each_entry_safe(vx, tmp, &vc->loaded, loaded_link) {
			vmx_vmclear(vx->vmcs_pa);
			list_del_init(&vx->loaded_link);
			vx->launched = false;
			WRITE_ONCE(vx->cpu, -1);
		}
		vc->current_vmcs = NULL;
	}
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
}

static u64 vmx_gpt_leaf_bits(bool writable, bool large)
{
	return VMX_EPT_R | VMX_EPT_X | VMX_EPT_MT_WB | VMX_EPT_IPAT | VMX_EPT_A |
	       (writable ? VMX_EPT_W | VMX_EPT_D : 0);
}

/* --- loading a VMCS ---------------------------------------------------------- */

/* IPI: VMCLEAR @info's VMCS on the CPU it is active on. */
static void vmx_clear_remote(void *info)
{
	struct vmx_vcpu *vx = info;
	struct vmx_cpu *vc = this_cpu_read(vmx_cpus);

	if (READ_ONCE(vx->cpu) != smp_processor_id())
		return;		/* the CPU went offline and cleared it meanwhile */
	vmx_vmclear(vx->vmcs_pa);
	list_del_init(&vx->loaded_link);
	if (vc && vc->current_vmcs == vx)
		vc->current_vmcs = NULL;
	vx->launched = false;
	/* the VMCS data is in memory before another CPU loads it */
	smp_wmb();
	WRITE_ONCE(vx->cpu, -1);
}

static void vmx_clear_vmcs(struct vmx_vcpu *vx)
{
	int cpu = READ_ONCE(vx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_remote, vx, 1);
}

/* Host state that differs between CPUs. */
static void vmx_load_host_cpu(struct vmx_cpu *vc, int cpu)
{
	struct desc_ptr dt;
	u64 gs;

	vmcs_write(VMCS_HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	native_store_gdt(&dt);
	vmcs_write(VMCS_HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	vmcs_write(VMCS_HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_GS_BASE, gs);
	vmcs_write(VMCS_HOST_GS_BASE, gs);
	vmcs_write(VMCS_HOST_SYSENTER_CS, vc->host_sysenter_cs);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, vc->host_sysenter_esp);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, vc->host_sysenter_eip);
	vmcs_write(VMCS_HOST_EFER, vc->host_efer);
	vmcs_write(VMCS_HOST_PAT, vc->host_pat);
}

void vmx_vcpu_load(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	struct vmx_cpu *vc = this_cpu_read(vmx_cpus);
	int cpu = smp_processor_id();

	if (likely(vc->current_vmcs == vx))
		return;
	if (READ_ONCE(vx->cpu) != cpu) {
		vmx_clear_vmcs(vx);
		smp_rmb();
		local_irq_disable();
		list_add(&vx->loaded_link, &vc->loaded);
		WRITE_ONCE(vx->cpu, cpu);
		local_irq_enable();
		vx->flush = true;	/* this CPU may hold stale mappings for our VPID */
		asm volatile("vmptrld %0" : : "m" (vx->vmcs_pa) : "cc", "memory");
		vmx_load_host_cpu(vc, cpu);
	} else {
		asm volatile("vmptrld %0" : : "m" (vx->vmcs_pa) : "cc", "memory");
	}
	vc->current_vmcs = vx;
}

/* --- vCPU creation and architectural reset --------------------------------- */

static void vmx_setup_vmcs(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	struct desc_ptr dt;

	vmcs_write(VMCS_PIN_CTLS, vmx_cfg.pin);
	vx->proc = vmx_cfg.proc;
	vmcs_write(VMCS_PROC_CTLS, vx->proc);
	vmcs_write(VMCS_PROC_CTLS2, vmx_cfg.proc2);
	vmcs_write(VMCS_EXIT_CTLS, vmx_cfg.exit);
	vmcs_write(VMCS_ENTRY_CTLS, vmx_cfg.entry);
	/* #DB and #AC: a guest could otherwise loop in delivery forever */
	/* #DB, #AC: see svm_reset(); #MC: a machine check in guest mode is the host's */
	vmcs_write(VMCS_EXCEPTION_BITMAP, BIT(DOMUS_DB_VECTOR) | BIT(DOMUS_AC_VECTOR) |
		   BIT(DOMUS_MC_VECTOR));
	vmcs_write(VMCS_PF_ERR_MASK, 0);
	vmcs_write(VMCS_PF_ERR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_IO_BITMAP_A, __pa(vmx_io_bitmap));
	vmcs_write(VMCS_IO_BITMAP_B, __pa(vmx_io_bitmap) + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write(VMCS_EPTP, vx->eptp);
	if (vmx_cfg.proc2 & VMX_PROC2_VPID)
		vmcs_write(VMCS_VPID, vx->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(VMCS_CR0_MASK, vmx_cfg.cr0_mask);
	vmcs_write(VMCS_CR4_MASK, vmx_cfg.cr4_mask);
	vmcs_write(VMCS_TSC_OFFSET, -rdtsc());
	WRITE_ONCE(v->tsc_offset, vmcs_read(VMCS_TSC_OFFSET));
	if (vmx_cfg.pin & VMX_PIN_PREEMPT_TIMER)
		vmcs_write(VMCS_PREEMPT_TIMER, vmx_cfg.preempt_ticks);

	/* host state that is the same on every CPU */
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmcs_write(VMCS_HOST_DS_SEL, 0);
	vmcs_write(VMCS_HOST_ES_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_ENTRY_TSS * 8);
	vmcs_write(VMCS_HOST_RIP, (unsigned long)domus_vmx_exit_rip);
	store_idt(&dt);
	vmcs_write(VMCS_HOST_IDTR_BASE, dt.address);
	vx->host_cr3 = vx->host_cr4 = vx->host_fs_base = ~0ULL;
	vx->host_fs_sel = vx->host_gs_sel = 0xffff;

	vmx_reset_state(v);
}

static u16 vmx_alloc_vpid(void)
{
	unsigned long id;

	if (!(vmx_cfg.proc2 & VMX_PROC2_VPID))
		return 0;
	spin_lock(&vmx_vpid_lock);
	id = find_next_zero_bit(vmx_vpids, 65536, 1);
	if (id < 65536)
		__set_bit(id, vmx_vpids);
	spin_unlock(&vmx_vpid_lock);
	return id < 65536 ? id : 0;
}

static void vmx_free_vpid(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpids);
	spin_unlock(&vmx_vpid_lock);
}

static int vmx_vcpu_create(struct domus_vcpu *v)
{
	struct page *pg;
	struct vmx_vcpu *vx = domus_arch_vcpu_alloc(sizeof(*vx), &pg);

	if (!vx)
		return -ENOMEM;
	vx->v = v;
	vx->vmcs = page_address(pg);
	vx->vmcs_pa = page_to_phys(pg);
	*(u32 *)vx->vmcs = vmx_cfg.revision;
	INIT_LIST_HEAD(&vx->loaded_link);
	vx->cpu = -1;
	vx->vpid = vmx_alloc_vpid();
	if ((vmx_cfg.proc2 & VMX_PROC2_VPID) && !vx->vpid) {
		__free_page(pg);
		kfree(vx);
		return -EBUSY;	/* all 65535 VPIDs in use */
	}
	vx->eptp = __pa(v->dom->gpt.root) | VMX_EPTP_WB | VMX_EPTP_WALK4 |
		   ((vmx_cfg.ept_cap & VMX_EPT_AD) ? VMX_EPTP_AD : 0);
	v->arch = vx;

	preempt_disable();
	/* a new VMCS must be VMCLEARed once before its first VMPTRLD */
	vmx_vmclear(vx->vmcs_pa);
	vmx_vcpu_load(v);
	vmx_setup_vmcs(v);
	preempt_enable();
	return 0;
}

static void vmx_vcpu_free(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	vmx_clear_vmcs(vx);
	vmx_free_vpid(vx->vpid);
	free_page((unsigned long)vx->vmcs);
	kfree(vx);
	v->arch = NULL;
}

void vmx_set_proc(struct vmx_vcpu *vx, u32 proc)
{
	if (proc != vx->proc) {
		vx->proc = proc;
		vmcs_write(VMCS_PROC_CTLS, proc);
	}
}

/* --- entering the guest ------------------------------------------------------- */

/* Host state that changes per thread or over time; written only when it changed. */
static void vmx_load_host_thread(struct vmx_vcpu *vx, u16 fs_sel, u16 gs_sel)
{
	u64 cr3 = __read_cr3(), cr4 = cr4_read_shadow(), fs_base;

	if (unlikely(cr3 != vx->host_cr3)) {
		vmcs_write(VMCS_HOST_CR3, cr3);
		vx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vx->host_cr4)) {
		vmcs_write(VMCS_HOST_CR4, cr4);
		vx->host_cr4 = cr4;
	}
	rdmsrl(MSR_FS_BASE, fs_base);
	if (unlikely(fs_base != vx->host_fs_base)) {
		vmcs_write(VMCS_HOST_FS_BASE, fs_base);
		vx->host_fs_base = fs_base;
	}
	/* the exit may only load selectors with RPL and TI clear */
	fs_sel = (fs_sel & 7) ? 0 : fs_sel;
	gs_sel = (gs_sel & 7) ? 0 : gs_sel;
	if (unlikely(fs_sel != vx->host_fs_sel)) {
		vmcs_write(VMCS_HOST_FS_SEL, fs_sel);
		vx->host_fs_sel = fs_sel;
	}
	if (unlikely(gs_sel != vx->host_gs_sel)) {
		vmcs_write(VMCS_HOST_GS_SEL, gs_sel);
		vx->host_gs_sel = gs_sel;
	}
}

static inline void vmx_swap_msr(u32 msr, u64 load, u64 cur)
{
	if (load != cur)
		wrmsrl(msr, load);
}

static void vmx_read_exit_info(struct vmx_vcpu *vx)
{
	vx->exit_reason = vmcs_read(VMCS_EXIT_REASON);
	vx->exit_qual = vmcs_read(VMCS_EXIT_QUAL);
	vx->exit_intr_info = vmcs_read(VMCS_EXIT_INTR_INFO);
	vx->exit_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	vx->rsp = vmcs_read(VMCS_GUEST_RSP);
	vx->rip = vmcs_read(VMCS_GUEST_RIP);
	vx->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	vx->intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
}

/* The cached guest registers that changed since the exit (vmx.h). */
static void vmx_write_back(struct vmx_vcpu *vx)
{
	u8 dirty = vx->dirty;

	if (dirty & VMX_DIRTY_RIP)
		vmcs_write(VMCS_GUEST_RIP, vx->rip);
	if (unlikely(dirty & ~VMX_DIRTY_RIP)) {
		if (dirty & VMX_DIRTY_RSP)
			vmcs_write(VMCS_GUEST_RSP, vx->rsp);
		if (dirty & VMX_DIRTY_RFLAGS)
			vmcs_write(VMCS_GUEST_RFLAGS, vx->rflags);
		if (dirty & VMX_DIRTY_INTR)
			vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, vx->intr);
	}
	vx->dirty = 0;
}

/* Host state VMX does not switch, kept across one or more entries. */
struct vmx_host {
	u64 kgs, debugctl;
	u16 ds, es, fs, gs, ldt;
};

/* Before the entries (preemption off): the guest's side of that state. */
static void vmx_host_save(struct vmx_vcpu *vx, struct vmx_cpu *vc, struct vmx_host *h)
{
	h->debugctl = get_debugctlmsr();
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g" (h->ldt));
	vmx_load_host_thread(vx, h->fs, h->gs);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kgs);
	vmx_swap_msr(MSR_KERNEL_GS_BASE, vx->kernel_gs_base, h->kgs);
	vmx_swap_msr(MSR_STAR, vx->star, vc->host_star);
	vmx_swap_msr(MSR_LSTAR, vx->lstar, vc->host_lstar);
	vmx_swap_msr(MSR_SYSCALL_MASK, vx->sfmask, vc->host_sfmask);
	if (native_read_cr2() != vx->cr2)
		native_write_cr2(vx->cr2);
}

/* After them: the host's state back, the guest's kept. */
static void vmx_host_restore(struct vmx_vcpu *vx, struct vmx_cpu *vc, struct vmx_host *h,
			     int cpu)
{
	u64 msr;

	vx->cr2 = native_read_cr2();
	rdmsrl(MSR_KERNEL_GS_BASE, msr);
	vx->kernel_gs_base = msr;
	vmx_swap_msr(MSR_KERNEL_GS_BASE, h->kgs, msr);
	/* the guest cannot write these without an exit (vmx_readonly_msrs) */
	vmx_swap_msr(MSR_STAR, vc->host_star, vx->star);
	vmx_swap_msr(MSR_LSTAR, vc->host_lstar, vx->lstar);
	vmx_swap_msr(MSR_SYSCALL_MASK, vc->host_sfmask, vx->sfmask);

	/* the exit left LDTR null, the GDT and TSS limits at their minimum */
	if (unlikely(h->ldt))
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (unlikely(h->fs & 7))
		loadsegment(fs, h->fs);
	if (unlikely(h->gs & 7))
		load_gs_index(h->gs);
	if (unlikely(h->ds | h->es)) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	load_fixmap_gdt(cpu);
	invalidate_tss_limit();
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
}

/* Right after an exit, interrupts off: the host's own NMI or machine check. */
static void vmx_exit_host_events(u32 reason, u32 intr_info)
{
	/* the host's NMI arrived in guest mode: run the host's handler */
	if ((u16)reason == VMX_EXIT_EXC_NMI &&
	    (intr_info & (VMX_II_VALID | VMX_II_TYPE_MASK)) == (VMX_II_VALID | VMX_II_TYPE_NMI))
		asm volatile("int $2");
	/* a machine check in guest mode, or during the entry: the host's */
	if (unlikely(((u16)reason == VMX_EXIT_EXC_NMI &&
		      (intr_info & (VMX_II_VALID | VMX_II_TYPE_MASK | VMX_II_VECTOR_MASK)) ==
		      (VMX_II_VALID | VMX_II_TYPE_HW_EXC | DOMUS_MC_VECTOR)) ||
		     (u16)reason == VMX_EXIT_MCE_ENTRY))
		domus_host_machine_check();
}

static int vmx_vcpu_run(struct domus_vcpu *v)
	__must_hold(&v->dom->srcu)
{
	struct vmx_vcpu *vx = to_vmx(v);
	struct domus_domain *dom = v->dom;
	struct domus_host_swap hs;
	u32 idt_info = 0, idt_err = 0;
	struct vmx_host host;
	struct vmx_cpu *vc;
	int cpu, fail;

	preempt_disable();
	vmx_vcpu_load(v);
	cpu = smp_processor_id();
	vc = this_cpu_read(vmx_cpus);
	if (domus_enter_guest_mode(v, cpu))
		vx->flush = true;
	if (vx->flush) {
		/* combined mappings of every VPID with this EPTP */
		vmx_flush_ept(vx->eptp);
		vx->flush = false;
	}

	if (!vmx_inject_events(v))
		return domus_enter_abort_window(v);

	if (vx->dirty)
		vmx_write_back(vx);
	domus_swap_in(v, &hs, vmcs_read(VMCS_GUEST_CR4), vc->host_tsc_aux,
		      boot_cpu_has(X86_FEATURE_RDTSCP));
	if (v->dr_owned)
		set_debugreg(vx->dr6, 6);
	vmx_host_save(vx, vc, &host);

	srcu_read_unlock(&dom->srcu, v->srcu_idx);
	fail = domus_vmx_enter(v->regs, vx->launched, domus_spec_enter(v));
	domus_spec_exit();
	vmx_host_restore(vx, vc, &host, cpu);

	if (!fail) {
		vmx_read_exit_info(vx);
		vmx_exit_host_events(vx->exit_reason, vx->exit_intr_info);
	}

	if (v->dr_owned)
		get_debugreg(vx->dr6, 6);
	domus_swap_out(v, &hs, vc->host_tsc_aux);
	if (!fail) {
		idt_info = vmcs_read(VMCS_IDT_VECTORING_INFO);
		if (idt_info & VMX_II_ERR_VALID)
			idt_err = vmcs_read(VMCS_IDT_VECTORING_ERROR);
	}
	domus_leave_guest_mode(v);
	v->srcu_idx = srcu_read_lock(&dom->srcu);

	if (fail) {
		u32 err;

		vmx_get(v);
		err = vmcs_read(VMCS_INSN_ERROR);
		vmx_put();
		/* our idea of the launch state was wrong: enter the other way */
		if (err == VMX_ERR_VMRESUME_NOT_LAUNCHED && vx->launched) {
			vx->launched = false;
			return 1;
		}
		if (err == VMX_ERR_VMLAUNCH_NOT_CLEAR && !vx->launched) {
			vx->launched = true;
			return 1;
		}
		/* VMLAUNCH/VMRESUME failed */
		return domus_exit_unsupported(v, ~0ULL, err);
	}
	vx->launched = true;
	v->exit_len = vx->exit_len;
	vmx_save_reinject(v, idt_info, idt_err);
	/* an entry cut short by a machine check (handled above) is retried */
	if ((u16)vx->exit_reason == VMX_EXIT_MCE_ENTRY)
		return domus_exit_machine_check(v);
	if (vx->exit_reason & VMX_EXIT_ENTRY_FAILED)
		return domus_exit_unsupported(v, vx->exit_reason, vx->exit_qual);
	return vmx_handle_exit(v);
}

#ifdef DOMUS_BENCH
/*
 * DOMUS_BENCH_FLOOR (uapi/domus.h), benchmark builds only: one batch of
 * the floor loop, until f->n CPUID exits, an exit of another kind, or the
 * scheduler wants this CPU.  The host state VMX does not switch is saved
 * and restored once per batch (as a hypervisor that defers it to the
 * return to userspace would); each entry does only what keeps the host
 * safe: guest mode (kicks, the TLB generation), the world switch with the
 * host's transient-execution steps, the host's NMI and machine check.
 */
static void vmx_bench_floor(struct domus_vcpu *v, struct domus_bench_floor *f)
	__must_hold(&v->dom->srcu)
{
	struct vmx_vcpu *vx = to_vmx(v);
	struct vmx_host host;
	struct vmx_cpu *vc;
	u32 reason, info;
	int cpu;

	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	preempt_disable();
	vmx_vcpu_load(v);
	cpu = smp_processor_id();
	vc = this_cpu_read(vmx_cpus);
	if (vx->dirty)
		vmx_write_back(vx);
	vmx_host_save(vx, vc, &host);
	do {
		if (domus_enter_guest_mode(v, cpu) || vx->flush) {
			vmx_flush_ept(vx->eptp);
			vx->flush = false;
		}
		if (domus_vmx_enter(v->regs, vx->launched, domus_spec_enter(v))) {
			domus_spec_exit();
			f->stopped = 1;
			f->exit_code = ~0ULL;	/* the entry failed */
			break;
		}
		domus_spec_exit();
		vx->launched = true;
		reason = vmcs_read(VMCS_EXIT_REASON);
		info = vmcs_read(VMCS_EXIT_INTR_INFO);
		vmx_exit_host_events(reason, info);
		atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
		local_irq_enable();
		if ((u16)reason == VMX_EXIT_CPUID) {
			vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + 2);
			f->done++;
		} else if ((u16)reason == VMX_EXIT_EXT_INTR ||
			   ((u16)reason == VMX_EXIT_EXC_NMI &&
			    (info & VMX_II_TYPE_MASK) == VMX_II_TYPE_NMI)) {
			f->other++;
		} else {
			f->stopped = 1;
			f->exit_code = (u16)reason;
		}
	} while (f->done < f->n && !f->stopped && !need_resched());
	atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
	local_irq_enable();
	vmx_host_restore(vx, vc, &host, cpu);
	vmx_read_exit_info(vx);		/* the cached registers, for DOMUS_GET_REGS */
	preempt_enable();
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
}
#endif

const struct domus_arch_ops domus_vmx_ops = {
	.name		= "vmx",
	DOMUS_ARCH_OPS_NAMED(vmx),
	.hypercall_insn	= { 0x0f, 0x01, 0xc1 },	/* VMCALL */
	.gpt_table_bits	= VMX_EPT_R | VMX_EPT_W | VMX_EPT_X | VMX_EPT_A,
#ifdef DOMUS_BENCH
	.bench_floor	= vmx_bench_floor,
#endif
};
