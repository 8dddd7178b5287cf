/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The steps of one guest entry that every backend takes the same way,
 * around its own VMRUN / VMLAUNCH: entering and leaving "guest mode"
 * (kicks), the domain's TLB generation, the choice of event to inject,
 * and the host state a guest owns while it runs (FPU, XCR0, TSC_AUX,
 * DR0-3).  Inline: they sit on the
 * path of every exit.
 */
#ifndef DOMUS_RUN_H
#define DOMUS_RUN_H

#include <linux/hw_breakpoint.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include "core.h"

/*
 * On @cpu, interrupts off from here: anything queued for the vCPU after
 * this kicks it out of the guest.  Returns true when the domain removed
 * mappings since the vCPU last flushed (its guest TLB must be flushed).
 */
static __always_inline bool domus_enter_guest_mode(struct domus_vcpu *v, int cpu)
{
	u64 gen;

	WRITE_ONCE(v->cpu, cpu);
	local_irq_disable();
	atomic_set(&v->mode, DOMUS_IN_GUEST);
	smp_mb();
	gen = atomic64_read(&v->dom->tlb_gen);
	if (gen == v->tlb_gen)
		return false;
	v->tlb_gen = gen;
	return true;
}

/* The end of an entry (or of one abandoned before the guest ran). */
static __always_inline void domus_leave_guest_mode(struct domus_vcpu *v)
{
	atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
	local_irq_enable();
	preempt_enable();
}

/* Userspace asked for the interrupt window and it is open: no entry. */
static __always_inline int domus_enter_abort_window(struct domus_vcpu *v)
{
	domus_leave_guest_mode(v);
	v->run->exit_reason = DOMUS_EXIT_IRQ_WINDOW;
	v->run->if_flag = 1;			/* interruptible, nothing queued */
	v->run->ready_for_interrupt = 1;
	return 0;
}

/*
 * The event policy of every backend, at each entry (interrupts off, the
 * vCPU in guest mode): the event cut short by the last exit (@reinject),
 * else a queued exception, else an NMI unless @nmi_blocked, else the
 * highest pending interrupt if @interruptible.  Returns false when
 * userspace asked for the interrupt window and it is open (no entry).
 */
static __always_inline bool domus_choose_event(struct domus_vcpu *v, bool reinject,
					       bool nmi_blocked, bool interruptible,
					       struct domus_inject *in)
{
	bool want_window = READ_ONCE(v->run->flags) & DOMUS_RUN_IRQ_WINDOW;
	bool irq = domus_vcpu_has_irq(v);

	in->kind = DOMUS_EV_NONE;
	if (reinject) {
		in->kind = DOMUS_EV_REINJECT;
	} else if (unlikely(v->exc_pending)) {
		in->kind = DOMUS_EV_EXCEPTION;
		in->vector = v->exc_nr;
		in->has_err = v->exc_has_err;
		in->err = v->exc_err;
		v->exc_pending = false;
		domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
	} else if (unlikely(atomic_read(&v->irq.nmi)) && !nmi_blocked) {
		atomic_set(&v->irq.nmi, 0);
		in->kind = DOMUS_EV_NMI;
		in->vector = DOMUS_NMI_VECTOR;
		domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
	} else if (irq && interruptible) {
		int vec = domus_vcpu_next_irq(v);

		if (vec >= 0) {
			in->kind = DOMUS_EV_INTERRUPT;
			in->vector = vec;
			domus_stat_inc(v->dom, DOMUS_STAT_INJECTIONS);
		}
		irq = domus_vcpu_has_irq(v);
	} else if (want_window && !irq && interruptible) {
		return false;
	}
	in->irq_window = irq || want_window;
	in->nmi_pending = atomic_read(&v->irq.nmi);
	return true;
}

/* Host values the guest's replace while it runs. */
struct domus_host_swap {
	u64 xcr0;
	u32 pkru;
	bool osxsave;		/* the guest's CR4.OSXSAVE: XCR0 is the guest's */
	bool pkru_swapped;
	bool aux_swapped;
};

/*
 * Load the guest's FPU, XCR0 (when the guest's CR4 @cr4 has OSXSAVE),
 * PKRU (when the guest can reach it: CR4.PKE, or PKRU in its XCR0; the
 * kernel's FPU swap leaves PKRU to us, and the host's userspace runs
 * with its own), TSC_AUX (@host_aux: this CPU's value; @have_aux: the
 * CPU has the MSR) and, once the guest owns them, DR0-3.  Interrupts
 * are off.
 */
static __always_inline void domus_swap_in(struct domus_vcpu *v, struct domus_host_swap *h,
					  u64 cr4, u64 host_aux, bool have_aux)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	h->osxsave = cr4 & X86_CR4_OSXSAVE;
	if (h->osxsave) {
		h->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (h->xcr0 != v->xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, v->xcr0);
	}
	h->pkru_swapped = cpu_feature_enabled(X86_FEATURE_OSPKE) &&
			  ((cr4 & X86_CR4_PKE) ||
			   ((cr4 & X86_CR4_OSXSAVE) && (v->xcr0 & XFEATURE_MASK_PKRU)));
	if (h->pkru_swapped) {
		h->pkru = rdpkru();
		if (h->pkru != v->pkru)
			wrpkru(v->pkru);
	}
	h->aux_swapped = have_aux && v->tsc_aux != host_aux;
	if (h->aux_swapped)
		wrmsrl(MSR_TSC_AUX, v->tsc_aux);
	if (v->dr_owned) {
		/* the host's breakpoints off first: DR0-3 are about to hold the guest's */
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		set_debugreg(v->dr[0], 0);
		set_debugreg(v->dr[1], 1);
		set_debugreg(v->dr[2], 2);
		set_debugreg(v->dr[3], 3);
	}
}

/* Back to the host's values after the exit (interrupts still off). */
static __always_inline void domus_swap_out(struct domus_vcpu *v, struct domus_host_swap *h,
					   u64 host_aux)
{
	if (v->dr_owned) {
		get_debugreg(v->dr[0], 0);
		get_debugreg(v->dr[1], 1);
		get_debugreg(v->dr[2], 2);
		get_debugreg(v->dr[3], 3);
		hw_breakpoint_restore();
	} else if (hw_breakpoint_active()) {
		hw_breakpoint_restore();	/* the exit cleared DR7 */
	}
	if (h->aux_swapped)
		wrmsrl(MSR_TSC_AUX, host_aux);
	if (h->pkru_swapped) {
		v->pkru = rdpkru();
		if (v->pkru != h->pkru)
			wrpkru(h->pkru);
	}
	if (h->osxsave) {
		/*
		 * Read back, not assumed: a CPU that ignores the XSETBV
		 * intercept (QEMU's TCG does) lets the guest set XCR0 itself.
		 * The CPU checked that value, so it is the guest's from now
		 * on; and the host gets its own back whatever the guest did.
		 */
		u64 xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

		if (unlikely(xcr0 != v->xcr0))
			v->xcr0 = xcr0;
		if (xcr0 != h->xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, h->xcr0);
	}
}

#endif /* DOMUS_RUN_H */
