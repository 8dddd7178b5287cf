/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place for differences between kernel versions domus builds
 * against.  Everything else includes this instead of testing
 * LINUX_VERSION_CODE itself.
 */
#ifndef DOMUS_COMPAT_H
#define DOMUS_COMPAT_H

#include <linux/version.h>
#include <asm/msr.h>

#ifndef __ASSEMBLY__
/* rdmsrl_safe() was renamed rdmsrq_safe() in 6.16. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define domus_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#else
#define domus_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#endif
#endif /* !__ASSEMBLY__ */

/*
 * Transient-execution support of the host kernel (spec_host.c, the entry
 * code).  Debian's 6.1 has the later mitigations backported; a kernel
 * without one of these flags has neither the mitigation nor the symbols
 * its step calls, and domus then skips that step.
 */
#include <asm/cpufeatures.h>
#ifdef X86_FEATURE_CLEAR_CPU_BUF
#define DOMUS_HOST_CLEAR_CPU_BUF	X86_FEATURE_CLEAR_CPU_BUF
#endif
#ifdef X86_FEATURE_CLEAR_CPU_BUF_VM
#define DOMUS_HOST_CLEAR_CPU_BUF_VM	X86_FEATURE_CLEAR_CPU_BUF_VM
#endif
#ifdef X86_FEATURE_RSB_VMEXIT_LITE
#define DOMUS_HOST_RSB_VMEXIT_LITE	X86_FEATURE_RSB_VMEXIT_LITE
#endif
#ifdef X86_FEATURE_IBPB_ON_VMEXIT
#define DOMUS_HOST_IBPB_ON_VMEXIT	X86_FEATURE_IBPB_ON_VMEXIT
#endif
#if defined(X86_FEATURE_SRSO_ALIAS) && defined(CONFIG_CPU_UNRET_ENTRY)
#define DOMUS_HOST_SRSO_ALIAS		X86_FEATURE_SRSO_ALIAS	/* srso_alias_untrain_ret */
#endif
#if defined(X86_FEATURE_UNRET) && defined(CONFIG_CPU_UNRET_ENTRY)
#define DOMUS_HOST_UNRET		X86_FEATURE_UNRET	/* entry_untrain_ret */
#endif
#ifdef X86_FEATURE_ENTRY_IBPB
#define DOMUS_HOST_ENTRY_IBPB		X86_FEATURE_ENTRY_IBPB
#endif
/* either asks for entry_ibpb after every exit */
#if defined(DOMUS_HOST_ENTRY_IBPB) || defined(DOMUS_HOST_IBPB_ON_VMEXIT)
#define DOMUS_HOST_EXIT_IBPB
#endif
#ifdef X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT
#define DOMUS_HOST_BHB_VMEXIT		X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT	/* clear_bhb_loop */
#endif
#ifdef X86_FEATURE_KERNEL_IBRS
#define DOMUS_HOST_KERNEL_IBRS		X86_FEATURE_KERNEL_IBRS
#endif

#ifndef __ASSEMBLY__
#include <asm/hardirq.h>
#include <asm/nospec-branch.h>

/* VMSCAPE (backported to 6.1.y): ask for the host's IBPB before user space. */
#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
#define DOMUS_HOST_IBPB_TO_USER		X86_FEATURE_IBPB_EXIT_TO_USER
static __always_inline void domus_host_ibpb_to_user(void)
{
	this_cpu_write(x86_ibpb_exit_to_user, true);
}
#else
static __always_inline void domus_host_ibpb_to_user(void) { }
#endif

/*
 * The per-CPU "an interrupt ran here" flag the kernel's interrupt entry
 * keeps for L1TF's conditional flush; it exists only with kvm_intel
 * configured, and without it every conditional flush happens.
 */
#if IS_ENABLED(CONFIG_KVM_INTEL)
static __always_inline bool domus_host_irq_ran_take(void)
{
	bool ran = kvm_get_cpu_l1tf_flush_l1d();

	kvm_clear_cpu_l1tf_flush_l1d();
	return ran;
}
#else
static __always_inline bool domus_host_irq_ran_take(void)
{
	return true;
}
#endif
#endif /* !__ASSEMBLY__ */

#ifndef __ASSEMBLY__
/*
 * kvm's enable_virt_at_load (6.12, on by default): a loaded kvm_amd or
 * kvm_intel switches SVM/VMX on on every CPU when it loads, with no VM at
 * all, so domus finds the hardware taken until kvm is unloaded or loaded
 * with enable_virt_at_load=0 (hw.c names both in its refusal).  Since
 * 6.12 kvm also takes the emergency-disable slot only while it has
 * virtualization on, not for as long as it is loaded (hw.c).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define DOMUS_KVM_VIRT_AT_LOAD
#endif

/*
 * 6.3 to 6.12 (Debian 12's 6.1 against bookworm-security's 6.12):
 * - vm_flags became read-only: vm_flags_set() (6.3);
 * - zap_page_range() went, zap_page_range_single() is exported (6.3);
 * - smp_send_reschedule() became a macro that fires the ipi_send_cpu
 *   tracepoint, declared in <trace/events/ipi.h> (6.3);
 * - eventfd_signal() lost its count argument (6.8).
 */
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/smp.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#include <trace/events/ipi.h>
#endif

static inline void domus_vma_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void domus_zap_range(struct vm_area_struct *vma, unsigned long addr,
				   unsigned long len)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	zap_page_range_single(vma, addr, len, NULL);
#else
	zap_page_range(vma, addr, len);
#endif
}

/* a reschedule IPI to CPU (the target leaves guest mode at once) */
static inline void domus_send_reschedule(int cpu)
{
	smp_send_reschedule(cpu);
}

static inline void domus_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}
#endif /* !__ASSEMBLY__ */

#endif /* DOMUS_COMPAT_H */
