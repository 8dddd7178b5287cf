// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: the in-kernel local APIC, in both of its modes.
 * vCPUs start in xAPIC mode (APIC base 0xfee00000 | EN, + BSP on vCPU 0),
 * as Xen starts HVM and PVH vCPUs; CPUID offers x2APIC and the guest may
 * switch (Linux does).  The mode follows IA32_APIC_BASE, whose rules the
 * core applies (apicbase.c) before it calls xen_apic_base_changed():
 *   - xAPIC: the registers are a 4 KiB page at the APIC base, an
 *     in-kernel MMIO range of the vCPU (the core's mmio.c decodes the
 *     instruction); the x2APIC MSRs raise #GP;
 *   - x2APIC: MSRs 0x800-0x8ff; the page is not decoded (its accesses
 *     go to userspace like any unassigned MMIO);
 *   - disabled: neither; entering it resets the APIC to its power-up
 *     state (LVTs masked, SVR 0xff, timer stopped, LDR 0, DFR flat).
 *
 * What it models: ID (= vCPU id; xAPIC bits 31:24, not writable),
 * version, TPR/PPR, EOI, LDR (x2APIC: derived from the ID; xAPIC:
 * written by the guest) and DFR (xAPIC), SVR, ESR (errors latched by an
 * ESR write: send/receive illegal vector, with the LVT error interrupt),
 * the LVT registers, ICR (xAPIC: low and high halves, a write of the low
 * half sends) and SELF_IPI for fixed, lowest-priority and NMI IPIs with
 * physical or logical (flat / cluster) destinations and shorthands, and
 * the LVT timer (one-shot and periodic with a 1 GHz bus clock, or
 * TSC-deadline through MSR 0x6e0) on an hrtimer.  INIT and STARTUP (SMP
 * bring-up) go to lifecycle.c.
 *
 * Interrupt delivery cannot lose an interrupt: a vector is accepted by
 * setting its bit in the vCPU's pending bitmap atomically (the core's
 * queue, which plays the IRR: IRR reads show it) and kicking the vCPU;
 * the bit is cleared only when the vector is injected, and a halted vCPU
 * re-checks the bitmap after it queued itself on its wait queue, before
 * it sleeps.  There is no ISR: injection does not wait for an EOI, so
 * no missed or early EOI can hold an interrupt back (EOI is accepted and
 * does nothing; TPR is stored but does not mask delivery).  Two
 * requests for one vector before it is injected merge, as in an IRR.
 *
 * The xAPIC page: dword accesses at a 16-byte-aligned register offset
 * are the architectural form.  Reads of 1 or 2 bytes inside the first
 * dword of a register return those bytes; any other read (straddling,
 * or in the unused 12 bytes) returns 0; writes other than an aligned
 * dword are ignored, as are writes to read-only or reserved registers
 * (KVM answers the same).  Relocating the APIC base onto guest RAM does
 * not hide the RAM (no fault, no decode; KVM behaves the same).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/hrtimer.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include "../apicbase.h"
#include "xen.h"

#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR_END		0x8ff
#define XAPIC_MMIO_SLOT		0	/* the vCPU's in-kernel MMIO range */

/* register index = MSR - 0x800 = xAPIC offset / 16 */
enum {
	APIC_R_ID = 0x02, APIC_R_VER = 0x03, APIC_R_TPR = 0x08, APIC_R_PPR = 0x0a,
	APIC_R_EOI = 0x0b, APIC_R_LDR = 0x0d, APIC_R_DFR = 0x0e, APIC_R_SVR = 0x0f,
	APIC_R_ISR0 = 0x10, APIC_R_TMR0 = 0x18, APIC_R_IRR0 = 0x20, APIC_R_IRR7 = 0x27,
	APIC_R_ESR = 0x28, APIC_R_LVT_CMCI = 0x2f, APIC_R_ICR = 0x30, APIC_R_ICR2 = 0x31,
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
#define XAPIC_ESR_SEND_ILLEGAL	(1u << 5)
#define XAPIC_ESR_RECV_ILLEGAL	(1u << 6)

/* LVT slot for a register, or -1 */
static int xen_apic_lvt_slot(u32 reg)
{
	if (reg == APIC_R_LVT_CMCI)
		return 0;
	if (reg >= APIC_R_LVT_TIMER && reg <= APIC_R_LVT_ERROR)
		return 1 + reg - APIC_R_LVT_TIMER;
	return -1;
}

static u32 xen_apic_x2_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 15));
}

/* --- delivery -------------------------------------------------------------- */

static void xen_apic_deliver(struct xen_vcpu *xv, u32 mode, u8 vec);

/* An APIC error (ESR bit @bit), and the LVT error interrupt if unmasked. */
static void xen_apic_error(struct xen_vcpu *xv, u32 bit)
{
	struct xen_apic *a = &xv->apic;
	u32 lvt = READ_ONCE(a->lvt[6]);

	a->esr_pending |= bit;
	if (!(lvt & XAPIC_LVT_MASKED) && (lvt & XAPIC_LVT_VECTOR) >= 16)
		xen_apic_deliver(xv, 0, lvt & XAPIC_LVT_VECTOR);
}

/*
 * Accept @vec (fixed, lowest priority) or an NMI: the vector's bit is set
 * atomically in the vCPU's queue, then the vCPU is kicked (see the top).
 */
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

/* Does @t's APIC accept destination @dest (SDM "Determining IPI Destination")? */
static bool xen_apic_match(struct xen_vcpu *t, u32 dest, bool logical, bool x2)
{
	u32 ldr, dfr;

	if (x2) {
		if (dest == 0xffffffff)
			return true;
		if (!logical)
			return dest == t->id;
		ldr = xen_apic_x2_ldr(t->id);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == t->id;
	ldr = READ_ONCE(t->apic.ldr) >> 24;
	dfr = READ_ONCE(t->apic.dfr) >> 28;
	if (dfr == 0xf)				/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);	/* cluster */
}

/*
 * A fixed interrupt @vec from outside the APIC (the per-vCPU event upcall,
 * hvm.c): dropped while the APIC is disabled in IA32_APIC_BASE or in
 * SVR, as Xen's vlapic drops it; any context.
 */
void xen_apic_raise(struct xen_vcpu *xv, u8 vec)
{
	if (xen_apic_enabled(xv) &&
	    (READ_ONCE(xv->apic.svr) & APIC_SPIV_APIC_ENABLED))
		xen_apic_deliver(xv, 0, vec);
}

static void xen_apic_icr(struct xen_vcpu *self, u64 icr)
{
	struct xen_dom *xd = self->xd;
	bool x2 = READ_ONCE(self->apic.mode) == DOMUS_APIC_X2APIC;
	u32 mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3;
	u32 dest = x2 ? icr >> 32 : icr >> 56;
	bool logical = icr & (1ULL << 11);
	u8 vec = icr & 0xff;
	unsigned long flags;
	unsigned int i;

	bool init_deassert = mode == 5 && !(icr & (1ULL << 14)) && (icr & (1ULL << 15));

	if ((mode != 0 && mode != 1 && mode != 4 && mode != 5 && mode != 6) || init_deassert) {
		/* SMI, reserved modes, INIT level de-assert: nothing to do */
		pr_debug("xen: vcpu %u: ICR %#llx ignored\n", self->id, icr);
		return;
	}
	if (mode < 2 && vec < 16) {
		xen_apic_error(self, XAPIC_ESR_SEND_ILLEGAL);
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
		if (shorthand == 0 && !xen_apic_match(t, dest, logical, x2))
			continue;
		if (mode == 5) {
			if (t != self)
				xen_vcpu_init_ipi(t);
		} else if (mode == 6) {
			if (t != self)
				xen_vcpu_sipi(t, vec);
		} else if (mode == 4 || READ_ONCE(t->apic.mode) != DOMUS_APIC_DISABLED) {
			xen_apic_deliver(t, mode, vec);
			if (mode == 1)		/* lowest priority: one of them */
				break;
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

/* --- registers (both modes) ------------------------------------------------- */

/*
 * Read register @reg (index = xAPIC offset / 16) in x2APIC form (@x2) or
 * xAPIC form: 0, or 1 if it is not readable there (#GP for an MSR).
 */
static int xen_apic_read(struct xen_vcpu *xv, u32 reg, bool x2, u64 *data)
{
	struct xen_apic *a = &xv->apic;
	int slot = xen_apic_lvt_slot(reg);
	unsigned int i;

	if (slot >= 0) {
		*data = a->lvt[slot];
		return 0;
	}
	if (reg >= APIC_R_IRR0 && reg <= APIC_R_IRR7) {
		u32 w = 0;

		/* the vectors accepted and not yet injected */
		for (i = 0; i < 32; i++)
			if (domus_vcpu_irq_queued(xv->v, (reg - APIC_R_IRR0) * 32 + i))
				w |= 1u << i;
		*data = w;
		return 0;
	}
	if (reg >= APIC_R_ISR0 && reg < APIC_R_IRR0) {
		*data = 0;		/* ISR, TMR: nothing in service (see the top) */
		return 0;
	}
	switch (reg) {
	case APIC_R_ID:		*data = x2 ? xv->id : xv->id << 24; break;
	case APIC_R_VER:	*data = XAPIC_VERSION_VALUE; break;
	case APIC_R_TPR:	*data = a->tpr; break;
	case APIC_R_PPR:	*data = a->tpr & 0xf0; break;
	case APIC_R_LDR:	*data = x2 ? xen_apic_x2_ldr(xv->id) : a->ldr; break;
	case APIC_R_SVR:	*data = a->svr; break;
	case APIC_R_ESR:	*data = a->esr; break;
	case APIC_R_ICR:	*data = x2 ? a->icr : (u32)a->icr; break;
	case APIC_R_TMICT:	*data = a->timer_icr; break;
	case APIC_R_TMCCT:	*data = xen_apic_current_count(a); break;
	case APIC_R_TDCR:	*data = a->timer_dcr; break;
	case APIC_R_DFR:
		if (x2)
			return 1;
		*data = a->dfr | 0x0fffffff;
		break;
	case APIC_R_ICR2:
		if (x2)
			return 1;
		*data = a->icr >> 32;
		break;
	default:
		return 1;	/* EOI and SELF_IPI are write-only; the rest reserved */
	}
	return 0;
}

/* Write register @reg: 0, or 1 if it is not writable (#GP for an MSR). */
static int xen_apic_write(struct xen_vcpu *xv, u32 reg, bool x2, u64 data)
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
		if (x2 && data)
			return 1;
		/* a write latches the errors seen since the last one */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return 0;
	case APIC_R_ICR:
		if (x2)
			a->icr = data & ~(1ULL << 12);	/* delivery status always idle */
		else
			a->icr = (a->icr & ~0xffffffffULL) | (data & 0xffffefffULL);
		xen_apic_icr(xv, a->icr);
		return 0;
	case APIC_R_ICR2:
		if (x2)
			return 1;
		a->icr = (u32)a->icr | ((data & 0xff000000ULL) << 32);
		return 0;
	case APIC_R_LDR:
		if (x2)
			return 1;
		WRITE_ONCE(a->ldr, data & 0xff000000);
		return 0;
	case APIC_R_DFR:
		if (x2)
			return 1;
		WRITE_ONCE(a->dfr, (data & 0xf0000000) | 0x0fffffff);
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
		if (!x2 || data >> 8)
			return 1;
		if (data < 16)
			xen_apic_error(xv, XAPIC_ESR_RECV_ILLEGAL);
		else
			xen_apic_deliver(xv, 0, data);
		return 0;
	default:
		return 1;	/* read-only (ID, VER, LDR, PPR, ISR, ...) or reserved */
	}
}

/* --- x2APIC MSRs ---------------------------------------------------------------- */

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
	if (READ_ONCE(xv->apic.mode) != DOMUS_APIC_X2APIC)
		return 1;	/* the x2APIC MSRs exist only in x2APIC mode */
	if (write)
		return xen_apic_write(xv, index - X2APIC_MSR_BASE, true, *data);
	return xen_apic_read(xv, index - X2APIC_MSR_BASE, true, data);
}

/* --- the xAPIC page (an in-kernel MMIO range of the vCPU) ------------------------- */

static int xen_apic_mmio_read(struct domus_vcpu *v, u64 off, unsigned int len, u64 *val)
{
	struct xen_vcpu *xv = xen_vcpu(v);
	unsigned int align = off & 0xf;
	u64 r;

	*val = 0;
	if (!xv || READ_ONCE(xv->apic.mode) != DOMUS_APIC_XAPIC ||
	    off >= PAGE_SIZE || align + len > 4)
		return 0;
	if (xen_apic_read(xv, off >> 4, false, &r))
		return 0;	/* write-only or reserved: reads 0 */
	r = (u32)r >> (align * 8);
	*val = len >= 4 ? r : r & ((1ULL << (len * 8)) - 1);
	return 0;
}

static int xen_apic_mmio_write(struct domus_vcpu *v, u64 off, unsigned int len, u64 val)
{
	struct xen_vcpu *xv = xen_vcpu(v);

	if (!xv || READ_ONCE(xv->apic.mode) != DOMUS_APIC_XAPIC ||
	    off >= PAGE_SIZE || (off & 0xf) || len != 4)
		return 0;	/* not an aligned dword: ignored */
	/* xAPIC ignores what it does not take: no #GP on this path */
	xen_apic_write(xv, off >> 4, false, (u32)val);
	return 0;
}

static const struct domus_mmio_ops xen_apic_mmio_ops = {
	.read = xen_apic_mmio_read,
	.write = xen_apic_mmio_write,
};

/* --- mode ----------------------------------------------------------------------- */

/* The power-up state (SDM "Local APIC State After Power-Up or Reset"). */
static void xen_apic_reset(struct xen_apic *a)
{
	unsigned int i;

	hrtimer_cancel(&a->timer);
	a->timer_period_ns = 0;
	a->timer_icr = 0;
	a->timer_dcr = 0;
	WRITE_ONCE(a->tsc_deadline, 0);
	a->tpr = 0;
	a->svr = 0xff;
	a->esr = 0;
	a->esr_pending = 0;
	a->icr = 0;
	WRITE_ONCE(a->ldr, 0);
	WRITE_ONCE(a->dfr, 0xffffffff);
	for (i = 0; i < ARRAY_SIZE(a->lvt); i++)
		WRITE_ONCE(a->lvt[i], XAPIC_LVT_MASKED);
}

static void xen_apic_set_base(struct xen_vcpu *xv, u64 base)
{
	struct xen_apic *a = &xv->apic;
	enum domus_apic_mode to = domus_apic_mode(base);

	if (to == DOMUS_APIC_DISABLED && a->mode != DOMUS_APIC_DISABLED)
		xen_apic_reset(a);
	a->base = base & DOMUS_APICBASE_ADDR & ((1ULL << 52) - 1);
	WRITE_ONCE(a->mode, to);
	if (to == DOMUS_APIC_XAPIC)
		domus_mmio_map(xv->v, XAPIC_MMIO_SLOT, a->base, PAGE_SIZE, &xen_apic_mmio_ops);
	else
		domus_mmio_map(xv->v, XAPIC_MMIO_SLOT, 0, 0, NULL);
}

/* The core's apic_base hook: a WRMSR it allowed, or DOMUS_SET_SREGS. */
void xen_apic_base_changed(struct domus_vcpu *v, u64 old, u64 new)
{
	struct xen_vcpu *xv = xen_vcpu(v);

	if (xv)
		xen_apic_set_base(xv, new);
}

/* CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN (msr.c). */
bool xen_apic_enabled(struct xen_vcpu *xv)
{
	return READ_ONCE(xv->apic.mode) != DOMUS_APIC_DISABLED;
}

void xen_apic_init(struct xen_vcpu *xv)
{
	struct xen_apic *a = &xv->apic;
	u64 base = 0;

	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = xen_apic_timer_fn;
	xen_apic_reset(a);
	a->mode = DOMUS_APIC_DISABLED;
	if (xv->xd->hvm)
		return;		/* a PC's devices are userspace's: no LAPIC model */
	/* the core's start state: xAPIC at 0xfee00000, vCPU 0 the BSP */
	domus_arch->get_msr(xv->v, MSR_IA32_APICBASE, &base, false);
	xen_apic_set_base(xv, base);
}

void xen_apic_free(struct xen_vcpu *xv)
{
	hrtimer_cancel(&xv->apic.timer);
	domus_mmio_map(xv->v, XAPIC_MMIO_SLOT, 0, 0, NULL);
}
