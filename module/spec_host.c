// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host side of the transient-execution policy (spec.h): read what the
 * host kernel found and chose, decide once at module load, report it in
 * /sys/module/domus/parameters/mitigations and, when the first domain
 * starts (loading stays quiet), in one kernel-log line,
 * and the out-of-line part of the entry hook (the L1D flush).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/vmx.h>
#include "spec_host.h"

struct domus_spec_policy domus_spec __read_mostly;
u32 domus_spec_entry_flags __read_mostly;
DEFINE_PER_CPU(u64, domus_spec_last_domain);
atomic64_t domus_spec_ibpbs;
static atomic64_t domus_spec_l1d_flushes;

/* VERW's operand (entry code): any writable data segment selector */
const u16 domus_verw_sel = __KERNEL_DS;

static char domus_spec_line[160];
static u8 *domus_spec_l1d_buf;		/* software L1D flush: 64 KiB */
#define SPEC_L1D_BUF_ORDER	4

static int domus_spec_param_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", domus_spec_line);
}

static const struct kernel_param_ops domus_spec_param_ops = {
	.get = domus_spec_param_get,
};
module_param_cb(mitigations, &domus_spec_param_ops, NULL, 0444);
MODULE_PARM_DESC(mitigations, "transient-execution mitigations at guest entry and exit (read-only; docs/security.md)");

/* How often the two that depend on what ran (read-only, for the tests). */
static int domus_spec_counts_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "ibpb-switch=%lld l1d-flush=%lld\n",
			 atomic64_read(&domus_spec_ibpbs), atomic64_read(&domus_spec_l1d_flushes));
}

static const struct kernel_param_ops domus_spec_counts_ops = {
	.get = domus_spec_counts_get,
};
module_param_cb(mitigation_counts, &domus_spec_counts_ops, NULL, 0444);
MODULE_PARM_DESC(mitigation_counts, "IBPBs on domain switches and L1D flushes so far (read-only)");

static const struct {
	int feature;
	u64 flag;
} spec_host_features[] = {
	{ X86_FEATURE_FLUSH_L1D,	SPEC_H_FLUSH_L1D },
	{ X86_FEATURE_IBPB,		SPEC_H_IBPB },
	{ X86_FEATURE_USE_IBPB,		SPEC_H_USE_IBPB },
	{ X86_FEATURE_RETPOLINE,	SPEC_H_RETPOLINE },
	{ X86_FEATURE_RSB_VMEXIT,	SPEC_H_RSB_VMEXIT },
	{ X86_FEATURE_MSR_SPEC_CTRL,	SPEC_H_MSR_SPEC_CTRL },
#ifdef DOMUS_HOST_IBPB_ON_VMEXIT
	{ DOMUS_HOST_IBPB_ON_VMEXIT,	SPEC_H_IBPB_ON_VMEXIT },
#endif
#ifdef DOMUS_HOST_ENTRY_IBPB
	{ DOMUS_HOST_ENTRY_IBPB,	SPEC_H_ENTRY_IBPB },
#endif
#ifdef DOMUS_HOST_UNRET
	{ DOMUS_HOST_UNRET,		SPEC_H_UNRET },
#endif
#ifdef DOMUS_HOST_SRSO_ALIAS
	{ DOMUS_HOST_SRSO_ALIAS,	SPEC_H_SRSO_ALIAS },
#endif
#ifdef DOMUS_HOST_RSB_VMEXIT_LITE
	{ DOMUS_HOST_RSB_VMEXIT_LITE,	SPEC_H_RSB_VMEXIT_LITE },
#endif
#ifdef DOMUS_HOST_CLEAR_CPU_BUF
	{ DOMUS_HOST_CLEAR_CPU_BUF,	SPEC_H_CLEAR_CPU_BUF },
#endif
#ifdef DOMUS_HOST_CLEAR_CPU_BUF_VM
	{ DOMUS_HOST_CLEAR_CPU_BUF_VM,	SPEC_H_CLEAR_CPU_BUF_VM },
#endif
#ifdef DOMUS_HOST_KERNEL_IBRS
	{ DOMUS_HOST_KERNEL_IBRS,	SPEC_H_KERNEL_IBRS },
#endif
#ifdef DOMUS_HOST_BHB_VMEXIT
	{ DOMUS_HOST_BHB_VMEXIT,	SPEC_H_BHB_VMEXIT },
#endif
#ifdef DOMUS_HOST_IBPB_TO_USER
	{ DOMUS_HOST_IBPB_TO_USER,	SPEC_H_IBPB_TO_USER },
#endif
};

static enum domus_spec_l1tf spec_host_l1tf(void)
{
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return SPEC_L1TF_OFF;
	case L1TF_MITIGATION_FLUSH_NOWARN:
	case L1TF_MITIGATION_FLUSH:
	case L1TF_MITIGATION_FLUSH_NOSMT:
		return SPEC_L1TF_FLUSH;
	case L1TF_MITIGATION_FULL:
		return SPEC_L1TF_FULL;
	case L1TF_MITIGATION_FULL_FORCE:
		return SPEC_L1TF_FULL_FORCE;
	}
	return SPEC_L1TF_FULL;		/* unknown: the strongest */
}

static enum domus_spec_l1tf_vmx spec_host_l1tf_vmx(void)
{
	switch (l1tf_vmx_mitigation) {
	case VMENTER_L1D_FLUSH_AUTO:
		return SPEC_L1TF_VMX_AUTO;
	case VMENTER_L1D_FLUSH_NEVER:
		return SPEC_L1TF_VMX_NEVER;
	case VMENTER_L1D_FLUSH_COND:
		return SPEC_L1TF_VMX_COND;
	case VMENTER_L1D_FLUSH_ALWAYS:
		return SPEC_L1TF_VMX_ALWAYS;
	case VMENTER_L1D_FLUSH_EPT_DISABLED:
		return SPEC_L1TF_VMX_EPT_DISABLED;
	case VMENTER_L1D_FLUSH_NOT_REQUIRED:
		return SPEC_L1TF_VMX_NOT_REQUIRED;
	}
	return SPEC_L1TF_VMX_ALWAYS;
}

static void spec_host_read(struct domus_spec_host *h, bool vmx)
{
	unsigned int i;
	u64 cap;

	h->vmx = vmx;
	h->flags = 0;
	for (i = 0; i < ARRAY_SIZE(spec_host_features); i++)
		if (boot_cpu_has(spec_host_features[i].feature))
			h->flags |= spec_host_features[i].flag;
	if (boot_cpu_has_bug(X86_BUG_L1TF))
		h->flags |= SPEC_H_BUG_L1TF;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !domus_rdmsr_safe(MSR_IA32_ARCH_CAPABILITIES, &cap) &&
	    (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		h->flags |= SPEC_H_SKIP_L1DFL;
	h->l1tf = spec_host_l1tf();
	h->l1tf_vmx = spec_host_l1tf_vmx();
}

int domus_spec_init(bool vmx)
{
	struct domus_spec_host h;
	struct domus_spec_policy p;
	struct page *pg;
	unsigned int i;

	spec_host_read(&h, vmx);
	domus_spec_decide(&h, &p);
	if (p.l1d_sw) {
		pg = alloc_pages(GFP_KERNEL, SPEC_L1D_BUF_ORDER);
		if (!pg) {
			pr_err("cannot load: no memory for the L1D flush buffer\n");
			return -ENOMEM;
		}
		domus_spec_l1d_buf = page_address(pg);
		/* distinct contents: nothing may merge these pages */
		for (i = 0; i < (1u << SPEC_L1D_BUF_ORDER); i++)
			memset(domus_spec_l1d_buf + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	domus_spec = p;
	domus_spec_entry_flags = p.exit | (p.verw ? SPEC_E_VERW : 0);
	domus_spec_describe(&p, domus_spec_line, sizeof(domus_spec_line));
	return 0;
}

/* Once per module load, when the first domain switches virtualization on. */
void domus_spec_report(void)
{
	static bool reported;

	if (!reported)
		pr_info("mitigations: %s\n", domus_spec_line);
	reported = true;
}

void domus_spec_cleanup(void)
{
	if (domus_spec_l1d_buf)
		free_pages((unsigned long)domus_spec_l1d_buf, SPEC_L1D_BUF_ORDER);
	domus_spec_l1d_buf = NULL;
}

/*
 * Before an entry, interrupts off.  "cond" flushes when the host ran
 * something since the last entry on this CPU: an interrupt or softirq
 * (the kernel's own per-CPU flag), another task (the vCPU thread was
 * switched out, on this CPU or before it moved here), or domus itself on
 * behalf of the vCPU (userspace, a hypercall, emulation, a sleep:
 * domus_spec_host_ran()).
 */
void domus_spec_l1d_flush(struct domus_vcpu *v)
{
	unsigned int size = PAGE_SIZE << SPEC_L1D_BUF_ORDER, i;
	bool need;

	if (domus_spec.l1d == SPEC_L1D_COND) {
		unsigned long sw = current->nvcsw + current->nivcsw;

		need = v->spec_l1d || sw != v->spec_switches;
		v->spec_l1d = false;
		v->spec_switches = sw;
		need |= domus_host_irq_ran_take();
		if (!need)
			return;
	}
	atomic64_inc(&domus_spec_l1d_flushes);
	if (!domus_spec.l1d_sw) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/*
	 * No FLUSH_CMD: displace the L1D (32 KiB on every affected CPU) by
	 * reading twice its size, the pages first in the TLB, CPUID between
	 * (serializing), LFENCE after.
	 */
	for (i = 0; i < size; i += PAGE_SIZE)
		(void)READ_ONCE(domus_spec_l1d_buf[i]);
	native_cpuid_eax(0);
	for (i = 0; i < size; i += 64)
		(void)READ_ONCE(domus_spec_l1d_buf[i]);
	asm volatile("lfence" ::: "memory");
}
