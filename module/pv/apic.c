// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: an in-kernel local APIC in x2APIC mode only
 * (MSRs 0x800-0x8ff; no xAPIC MMIO).  The guest starts with x2APIC
 * enabled (APIC base EXTD, CPUID.1:ECX.x2APIC), so Linux never touches
 * the MMIO page.
 *
 * What it models: ID (= vCPU id), version, TPR/PPR, EOI (accepted, no
 * ISR tracking: the upcall vector needs no EOI and other interrupts are
 * injected straight from the vCPU's queue), LDR, SVR, ESR, the LVT
 * registers, ICR / SELF_IPI for fixed and NMI IPIs to this or other
 * vCPUs of the domain, and the LVT timer (one-shot and periodic with a
 * 1 GHz bus clock, or TSC-deadline through MSR 0x6e0) on an hrtimer.  INIT and STARTUP (SMP bring-up) go to
 * lifecycle.c.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/hrtimer.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include "xen.h"

#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR_END		0x8ff

/* register index = MSR - 0x800 (= xAPIC offset / 16) */
enum {
	APIC_R_ID = 0x02, APIC_R_VER = 0x03, APIC_R_TPR = 0x08, APIC_R_PPR = 0x0a,
	APIC_R_EOI = 0x0b, APIC_R_LDR = 0x0d, APIC_R_SVR = 0x0f,
	APIC_R_ISR0 = 0x10, APIC_R_TMR0 = 0x18, APIC_R_IRR0 = 0x20, APIC_R_IRR7 = 0x27,
	APIC_R_ESR = 0x28, APIC_R_LVT_CMCI = 0x2f, APIC_R_ICR = 0x30,
	APIC_R_LVT_TIMER = 0x32, APIC_R_LVT_ERROR = 0x37,
	APIC_R_TMICT = 0x38, APIC_R_TMCCT = 0x39, APIC_R_TDCR = 0x3e, APIC_R_SELF_IPI = 0x3f,
};

#define XAPIC_VERSION_VALUE	0x00050014	/* 6 LVT entries, version 0x14 */
#define XAPIC_LVT_MASKED		(1u << 16)
#define XAPIC_LVT_PERIODIC	(1u << 17)
#define XAPIC_LVT_TSC_DEADLINE	(2u << 17)
#define MSR_TSC_DEADLINE_DOMUS	0x6e0
#define XAPIC_LVT_MODE_MASK	(3u << 17)
#define XAPIC_LVT_VECTOR		0xffu

/* LVT slot for a register, or -1 */
static int xen_apic_lvt_slot(u32 reg)
{
	if (reg == APIC_R_LVT_CMCI)
		return 0;
	if (reg >= APIC_R_LVT_TIMER && reg <= APIC_R_LVT_ERROR)
		return 1 + reg - APIC_R_LVT_TIMER;
	return -1;
}

/* --- delivery -------------------------------------------------------------- */

static void xen_apic_deliver(struct xen_vcpu *xv, u32 mode, u8 vec)
{
	struct domus_vcpu *v = xv->v;

	if (mode == 4) {		/* NMI */
		domus_vcpu_queue_nmi(v);
	} else {			/* fixed, lowest priority */
		if (vec < 16)
			return;
		domus_vcpu_queue_irq(v, vec);
	}
	domus_vcpu_notify(v);
}

/*
 * A fixed interrupt @vec from outside the APIC (the per-vCPU event upcall,
 * hvm.c): dropped while the APIC is software-disabled, as Xen's vlapic
 * drops it; any context.
 */
void xen_apic_raise(struct xen_vcpu *xv, u8 vec)
{
	if (READ_ONCE(xv->apic.svr) & APIC_SPIV_APIC_ENABLED)
		xen_apic_deliver(xv, 0, vec);
}

static void xen_apic_icr(struct xen_vcpu *self, u64 icr)
{
	struct xen_dom *xd = self->xd;
	u32 mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3, dest = icr >> 32;
	u8 vec = icr & 0xff;
	unsigned long flags;
	unsigned int i;

	bool init_deassert = mode == 5 && !(icr & (1ULL << 14)) && (icr & (1ULL << 15));

	if ((mode != 0 && mode != 1 && mode != 4 && mode != 5 && mode != 6) || init_deassert) {
		/* SMI, reserved modes, INIT level de-assert: nothing to do */
		pr_debug("xen: vcpu %u: ICR %#llx ignored\n", self->id, icr);
		return;
	}
	if (shorthand == 1) {
		if (mode < 5)		/* INIT/STARTUP to oneself: ignored */
			xen_apic_deliver(self, mode, vec);
		return;
	}
	spin_lock_irqsave(&xd->lock, flags);
	for (i = 0; i < ARRAY_SIZE(xd->vcpus); i++) {
		struct xen_vcpu *t = xd->vcpus[i];

		if (!t || (shorthand == 3 && t == self))
			continue;
		if (shorthand == 0 && dest != 0xffffffff && dest != t->id)
			continue;
		if (mode == 5) {
			if (t != self)
				xen_vcpu_init_ipi(t);
		} else if (mode == 6) {
			if (t != self)
				xen_vcpu_sipi(t, vec);
		} else {
			xen_apic_deliver(t, mode, vec);
		}
	}
	spin_unlock_irqrestore(&xd->lock, flags);
}

/* --- timer ------------------------------------------------------------------------ */

static u32 xen_apic_divisor(u32 dcr)
{
	u32 code = ((dcr & 8) >> 1) | (dcr & 3);	/* bits 3,1:0 */

	return code == 7 ? 1 : 2u << code;
}

static enum hrtimer_restart xen_apic_timer_fn(struct hrtimer *t)
{
	struct xen_apic *a = container_of(t, struct xen_apic, timer);
	struct xen_vcpu *xv = container_of(a, struct xen_vcpu, apic);
	u32 lvt = READ_ONCE(a->lvt[1]);

	if (!(lvt & XAPIC_LVT_MASKED))
		xen_apic_deliver(xv, 0, lvt & XAPIC_LVT_VECTOR);
	if ((lvt & XAPIC_LVT_MODE_MASK) == XAPIC_LVT_TSC_DEADLINE) {
		WRITE_ONCE(a->tsc_deadline, 0);		/* fired: reads 0 */
		return HRTIMER_NORESTART;
	}
	if ((lvt & XAPIC_LVT_MODE_MASK) == XAPIC_LVT_PERIODIC && a->timer_period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(a->timer_period_ns));
		a->timer_deadline = hrtimer_get_expires(t);
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

static void xen_apic_timer_start(struct xen_apic *a)
{
	hrtimer_cancel(&a->timer);
	a->timer_period_ns = (u64)a->timer_icr * xen_apic_divisor(a->timer_dcr);
	if (!a->timer_period_ns)
		return;
	/* at least 50 us per period: a guest cannot make the host spin */
	a->timer_period_ns = max_t(u64, a->timer_period_ns, 50 * NSEC_PER_USEC);
	a->timer_deadline = ktime_add_ns(ktime_get(), a->timer_period_ns);
	hrtimer_start(&a->timer, a->timer_deadline, HRTIMER_MODE_ABS_HARD);
}

/*
 * TSC-deadline mode: the guest writes the guest-TSC value at which the
 * timer fires (guest TSC = host TSC - tsc0, see time.c); 0 disarms.  A
 * deadline already past fires at once: each arming costs the guest an
 * exit, so it cannot make the host spin.
 */
static void xen_apic_deadline_arm(struct xen_vcpu *xv, u64 deadline)
{
	struct xen_apic *a = &xv->apic;
	u64 now = rdtsc() - xv->xd->tsc0;
	u64 ns = 0;

	hrtimer_cancel(&a->timer);
	WRITE_ONCE(a->tsc_deadline, deadline);
	if (!deadline ||
	    (READ_ONCE(a->lvt[1]) & XAPIC_LVT_MODE_MASK) != XAPIC_LVT_TSC_DEADLINE)
		return;
	if (deadline > now && tsc_khz)
		ns = mul_u64_u32_div(min_t(u64, deadline - now, 1ULL << 50),
				     1000000, tsc_khz);
	a->timer_deadline = ktime_add_ns(ktime_get(), ns);
	hrtimer_start(&a->timer, a->timer_deadline, HRTIMER_MODE_ABS_HARD);
}

static u32 xen_apic_current_count(struct xen_apic *a)
{
	s64 left;
	u64 rem;

	if (!a->timer_period_ns || !hrtimer_active(&a->timer))
		return 0;
	left = ktime_to_ns(ktime_sub(a->timer_deadline, ktime_get()));
	if (left <= 0) {
		/*
		 * Expired, the hrtimer not yet forwarded: a periodic timer has
		 * reloaded (the architecture's count never rests at 0 then).
		 */
		if ((READ_ONCE(a->lvt[1]) & XAPIC_LVT_MODE_MASK) != XAPIC_LVT_PERIODIC)
			return 0;
		div64_u64_rem((u64)-left, a->timer_period_ns, &rem);
		left = a->timer_period_ns - rem;
	}
	return div_u64(left, xen_apic_divisor(a->timer_dcr));
}

/* --- MSR access --------------------------------------------------------------- */

static int xen_apic_read(struct xen_vcpu *xv, u32 reg, u64 *data)
{
	struct xen_apic *a = &xv->apic;
	int slot = xen_apic_lvt_slot(reg);

	if (slot >= 0) {
		*data = a->lvt[slot];
		return 0;
	}
	if (reg >= APIC_R_ISR0 && reg <= APIC_R_IRR7) {
		*data = 0;		/* ISR, TMR, IRR: nothing tracked */
		return 0;
	}
	switch (reg) {
	case APIC_R_ID:		*data = xv->id; break;
	case APIC_R_VER:	*data = XAPIC_VERSION_VALUE; break;
	case APIC_R_TPR:	*data = a->tpr; break;
	case APIC_R_PPR:	*data = a->tpr & 0xf0; break;
	case APIC_R_LDR:	*data = ((xv->id >> 4) << 16) | (1u << (xv->id & 15)); break;
	case APIC_R_SVR:	*data = a->svr; break;
	case APIC_R_ESR:	*data = a->esr; break;
	case APIC_R_ICR:	*data = a->icr; break;
	case APIC_R_TMICT:	*data = a->timer_icr; break;
	case APIC_R_TMCCT:	*data = xen_apic_current_count(a); break;
	case APIC_R_TDCR:	*data = a->timer_dcr; break;
	default:
		return 1;	/* EOI and SELF_IPI are write-only; the rest reserved */
	}
	return 0;
}

static int xen_apic_write(struct xen_vcpu *xv, u32 reg, u64 data)
{
	struct xen_apic *a = &xv->apic;
	int slot = xen_apic_lvt_slot(reg);

	if (slot >= 0) {
		if (data >> 32)
			return 1;
		/* a software-disabled APIC keeps every LVT masked */
		if (!(a->svr & (1u << 8)))
			data |= XAPIC_LVT_MASKED;
		/* changing the timer mode disarms the timer */
		if (slot == 1 && ((data ^ a->lvt[1]) & XAPIC_LVT_MODE_MASK)) {
			hrtimer_cancel(&a->timer);
			a->timer_period_ns = 0;
			WRITE_ONCE(a->tsc_deadline, 0);
		}
		WRITE_ONCE(a->lvt[slot], (u32)data);
		if (slot == 1 && (data & XAPIC_LVT_MASKED) == 0 && a->timer_period_ns &&
		    !hrtimer_active(&a->timer) && a->timer_icr)
			xen_apic_timer_start(a);
		return 0;
	}
	switch (reg) {
	case APIC_R_TPR:
		if (data >> 8)
			return 1;
		a->tpr = data;
		return 0;
	case APIC_R_EOI:
		return 0;		/* nothing in service is tracked */
	case APIC_R_SVR:
		if (data >> 32)
			return 1;
		a->svr = data & 0x11ff;
		if (!(a->svr & (1u << 8))) {
			unsigned int i;

			for (i = 0; i < ARRAY_SIZE(a->lvt); i++)
				WRITE_ONCE(a->lvt[i], a->lvt[i] | XAPIC_LVT_MASKED);
		}
		return 0;
	case APIC_R_ESR:
		a->esr = 0;
		return 0;
	case APIC_R_ICR:
		a->icr = data & ~(1ULL << 12);	/* delivery status always idle */
		xen_apic_icr(xv, a->icr);
		return 0;
	case APIC_R_TMICT:
		if (data >> 32)
			return 1;
		a->timer_icr = data;
		/* ignored in TSC-deadline mode */
		if ((a->lvt[1] & XAPIC_LVT_MODE_MASK) != XAPIC_LVT_TSC_DEADLINE)
			xen_apic_timer_start(a);
		return 0;
	case APIC_R_TDCR:
		if (data >> 32)
			return 1;
		a->timer_dcr = data & 0xb;
		return 0;
	case APIC_R_SELF_IPI:
		if (data >> 8)
			return 1;
		xen_apic_deliver(xv, 0, data);
		return 0;
	default:
		return 1;	/* read-only (ID, VER, LDR, PPR, ISR, ...) or reserved */
	}
}

int xen_apic_msr(struct xen_vcpu *xv, u32 index, u64 *data, bool write)
{
	if (index == MSR_TSC_DEADLINE_DOMUS) {
		if (write)
			xen_apic_deadline_arm(xv, *data);
		else
			*data = READ_ONCE(xv->apic.tsc_deadline);
		return 0;
	}
	if (index < X2APIC_MSR_BASE || index > X2APIC_MSR_END)
		return 1;
	if (write)
		return xen_apic_write(xv, index - X2APIC_MSR_BASE, *data);
	return xen_apic_read(xv, index - X2APIC_MSR_BASE, data);
}

void xen_apic_init(struct xen_vcpu *xv)
{
	struct xen_apic *a = &xv->apic;
	unsigned int i;

	a->svr = 0xff;
	for (i = 0; i < ARRAY_SIZE(a->lvt); i++)
		a->lvt[i] = XAPIC_LVT_MASKED;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = xen_apic_timer_fn;
	/* x2APIC enabled "by the firmware"; vCPU 0 is the BSP */
	domus_arch->set_msr(xv->v, MSR_IA32_APICBASE, APIC_DEFAULT_PHYS_BASE |
			    X2APIC_ENABLE | MSR_IA32_APICBASE_ENABLE |
			    (xv->id == 0 ? MSR_IA32_APICBASE_BSP : 0), true);
}

void xen_apic_free(struct xen_vcpu *xv)
{
	hrtimer_cancel(&xv->apic.timer);
}
