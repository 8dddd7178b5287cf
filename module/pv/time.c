// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: time.  The wall clock in shared_info, the pvclock
 * records (vcpu_time_info) in each vCPU's vcpu_info, the runstate area,
 * vcpu_op (24) and set_timer_op (15).
 *
 * Xen system time 0 is the moment the domain was created: host TSC tsc0,
 * host CLOCK_MONOTONIC mono0.  Each vCPU's pvclock record (tsc_timestamp,
 * system_time, mul/shift from the host's tsc_khz) lets the guest
 * extrapolate system time from its TSC (host TSC + the vCPU's offset).
 *
 * - When the host TSC is a stable clock (constant, non-stop, not marked
 *   unstable), system_time(host_tsc) = scale(host_tsc - tsc0): the record
 *   is written once (tsc_timestamp = tsc0 + offset, system_time = 0) and
 *   carries PVCLOCK_TSC_STABLE.
 * - Otherwise tsc_khz may be off (an emulated or drifting TSC), so system
 *   time is host monotonic time - mono0, and each record is re-anchored to
 *   it at least every XEN_TIME_ANCHOR_NS, and after a move to another CPU,
 *   before the vCPU enters the guest (anchored 1 ms in the past, so a TSC
 *   a little behind on another CPU never gives a negative delta),
 *   as Xen re-calibrates: the guest's clock follows the host's instead of
 *   drifting by the rate error, and without the stable flag the guest
 *   keeps its reads monotonic across a re-anchoring.
 *
 * The same system time gives the host's view of the guest's timer
 * deadlines, which are converted to host CLOCK_MONOTONIC hrtimers.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/timekeeping.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>
#include "../pgwalk.h"
#include "xen.h"

/* --- system time ------------------------------------------------------------ */

static u64 xen_scale(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

/* Largest age of a re-anchored pvclock record (see above). */
#define XEN_TIME_ANCHOR_NS	(100 * NSEC_PER_MSEC)

static bool xen_time_anchored(struct xen_dom *xd)
{
	return !(xd->tsc_flags & XEN_PVCLOCK_TSC_STABLE);
}

u64 xen_system_time(struct xen_dom *xd)
{
	if (xen_time_anchored(xd))
		return ktime_get_ns() - xd->mono0;
	return xen_scale(rdtsc() - xd->tsc0, xd->tsc_mul, xd->tsc_shift);
}

void xen_time_domain_init(struct xen_dom *xd)
{
	u64 hz = (u64)(tsc_khz ? tsc_khz : 1000000) * 1000;
	int shift = 0;

	/* bring the rate into (1 GHz, 2 GHz]: then mul = 2^32 * 1e9 / rate fits */
	while (hz > 2 * NSEC_PER_SEC) {
		hz >>= 1;
		shift--;
	}
	while (hz <= NSEC_PER_SEC) {
		hz <<= 1;
		shift++;
	}
	xd->tsc_mul = div64_u64((u64)NSEC_PER_SEC << 32, hz);
	xd->tsc_shift = shift;
	if (boot_cpu_has(X86_FEATURE_CONSTANT_TSC) && boot_cpu_has(X86_FEATURE_NONSTOP_TSC) &&
	    !check_tsc_unstable())
		xd->tsc_flags = XEN_PVCLOCK_TSC_STABLE;
	xd->tsc0 = rdtsc();
	xd->mono0 = ktime_get_ns();
	xd->wc_ns = ktime_get_real_ns();
}

/* Write one pvclock record with the odd/even version protocol. */
void xen_write_time_info(struct xen_dom *xd, struct xen_vcpu *xv, struct xen_vcpu_info *vi)
	__must_hold(&xd->lock)
{
	struct xen_vcpu_time_info *t = &vi->time;
	u32 ver = READ_ONCE(t->version);

	/* the offset the guest's TSC has now: a WRMSR may have moved it */
	xv->tsc_offset = READ_ONCE(xv->v->tsc_offset);
	WRITE_ONCE(t->version, ver | 1);	/* odd: being updated */
	smp_wmb();
	if (xen_time_anchored(xd)) {
		/* the lock is held with interrupts off: the pair is close */
		u64 now = ktime_get_ns();
		u64 back = tsc_khz ? tsc_khz : 1000000;	/* 1 ms of TSC */

		/*
		 * Anchor 1 ms in the past: a read on a CPU whose TSC is a
		 * little behind this one must not see a negative delta.
		 */
		t->tsc_timestamp = rdtsc() + xv->tsc_offset - back;
		t->system_time = now - xd->mono0 - xen_scale(back, xd->tsc_mul, xd->tsc_shift);
		WRITE_ONCE(xv->time_anchor, now);
		WRITE_ONCE(xv->time_cpu, raw_smp_processor_id());
	} else {
		t->tsc_timestamp = xd->tsc0 + xv->tsc_offset;
		t->system_time = 0;
	}
	t->tsc_to_system_mul = xd->tsc_mul;
	t->tsc_shift = xd->tsc_shift;
	t->flags = xd->tsc_flags;
	smp_wmb();
	WRITE_ONCE(t->version, (ver | 1) + 1);
}

/*
 * Before an entry: re-anchor the vCPU's record when it is due, or when the
 * vCPU runs on another CPU than the one whose TSC anchored it; and rewrite
 * it in either mode when the guest's TSC offset moved since it was written.
 */
void xen_time_refresh(struct xen_vcpu *xv)
{
	struct xen_dom *xd = xv->xd;
	struct xen_vcpu_info *vi;
	unsigned long flags;

	/* a moved guest TSC (WRMSR, DOMUS_SET_MSRS) needs a new record in either mode */
	if (READ_ONCE(xv->v->tsc_offset) == xv->tsc_offset &&
	    (!xen_time_anchored(xd) ||
	     (ktime_get_ns() - READ_ONCE(xv->time_anchor) < XEN_TIME_ANCHOR_NS &&
	      READ_ONCE(xv->time_cpu) == raw_smp_processor_id())))
		return;
	spin_lock_irqsave(&xd->lock, flags);
	vi = xen_vcpu_info(xd, xv);
	if (vi)
		xen_write_time_info(xd, xv, vi);
	else {
		xv->tsc_offset = READ_ONCE(xv->v->tsc_offset);
		WRITE_ONCE(xv->time_anchor, ktime_get_ns());
	}
	spin_unlock_irqrestore(&xd->lock, flags);
}

void xen_write_wallclock(struct xen_dom *xd) __must_hold(&xd->lock)
{
	struct xen_shared_info *si = xd->si;
	u32 rem;
	u64 sec = div_u64_rem(xd->wc_ns, NSEC_PER_SEC, &rem);
	u32 ver;

	if (!si)
		return;
	ver = READ_ONCE(si->wc_version);
	WRITE_ONCE(si->wc_version, ver | 1);
	smp_wmb();
	si->wc_sec = (u32)sec;
	si->wc_sec_hi = sec >> 32;
	si->wc_nsec = rem;
	smp_wmb();
	WRITE_ONCE(si->wc_version, (ver | 1) + 1);
}

/* --- timers -------------------------------------------------------------------- */

/* Longest timer domus arms (a year): keeps ktime arithmetic in range. */
#define XEN_TIMER_MAX_NS	(365ULL * 24 * 3600 * NSEC_PER_SEC)

void xen_timer_arm(struct hrtimer *t, struct xen_dom *xd, u64 deadline)
{
	s64 delta = (s64)(deadline - xen_system_time(xd));

	if (delta < 0)
		delta = 0;		/* in the past: fire now */
	if (delta > XEN_TIMER_MAX_NS)
		delta = XEN_TIMER_MAX_NS;
	hrtimer_start(t, ktime_add_ns(ktime_get(), delta), HRTIMER_MODE_ABS_HARD);
}

static enum hrtimer_restart xen_sshot_fn(struct hrtimer *t)
{
	struct xen_vcpu *xv = container_of(t, struct xen_vcpu, sshot);

	xen_raise_virq(xv, XEN_VIRQ_TIMER);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart xen_periodic_fn(struct hrtimer *t)
{
	struct xen_vcpu *xv = container_of(t, struct xen_vcpu, periodic);

	xen_raise_virq(xv, XEN_VIRQ_TIMER);
	hrtimer_forward_now(t, ns_to_ktime(READ_ONCE(xv->period_ns)));
	return HRTIMER_RESTART;
}

void xen_time_vcpu_init(struct xen_vcpu *xv)
{
	hrtimer_init(&xv->sshot, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	xv->sshot.function = xen_sshot_fn;
	hrtimer_init(&xv->periodic, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	xv->periodic.function = xen_periodic_fn;
	/*
	 * One time base for the domain: every vCPU's TSC reads host TSC -
	 * tsc0 (0 at domain creation), so SMP guests see synchronized TSCs.
	 */
	xv->tsc_offset = -xv->xd->tsc0;
	domus_arch->set_tsc_offset(xv->v, xv->tsc_offset);	/* also v->tsc_offset */
}

static void xen_runstate_release(struct xen_vcpu *xv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xv->rs_page); i++) {
		if (xv->rs_page[i])
			put_page(xv->rs_page[i]);
		xv->rs_page[i] = NULL;
	}
}

void xen_time_vcpu_free(struct xen_vcpu *xv)
{
	hrtimer_cancel(&xv->sshot);
	hrtimer_cancel(&xv->periodic);
	if (xv->vi_page)
		put_page(xv->vi_page);
	xv->vi_page = NULL;
	xv->vi_reg = NULL;
	xen_runstate_release(xv);
}

/* --- runstate ---------------------------------------------------------------- */

static void xen_runstate_write(struct xen_vcpu *xv, const struct xen_runstate_info *rs)
{
	unsigned int first = min_t(unsigned int, sizeof(*rs), PAGE_SIZE - xv->rs_off);

	memcpy(page_address(xv->rs_page[0]) + xv->rs_off, rs, first);
	if (first < sizeof(*rs) && xv->rs_page[1])
		memcpy(page_address(xv->rs_page[1]), (const u8 *)rs + first, sizeof(*rs) - first);
}

static void xen_runstate_fill(struct xen_vcpu *xv, struct xen_runstate_info *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->state = XEN_RUNSTATE_running;
	rs->state_entry_time = 0;
	rs->time[XEN_RUNSTATE_running] = xen_system_time(xv->xd);
}

/*
 * The area is a GVA; Linux passes a per-CPU kernel address that never
 * moves, so it is translated once here (it may straddle two pages).
 */
static long xen_register_runstate(struct domus_vcpu *v, struct xen_vcpu *xv, u64 arg)
{
	struct xen_dom *xd = xv->xd;
	struct xen_runstate_info rs;
	struct domus_sregs s;
	struct page *pg[2] = { NULL, NULL }, *old[2];
	unsigned long flags;
	u64 gva, gpa = 0, gpa2 = 0;
	u32 pf;

	if (domus_xen_copy_from_guest(v, &gva, arg, sizeof(gva)))
		return -XEN_EFAULT;
	if (gva) {
		/*
		 * Translated for a write: the area is written through the
		 * host's mapping of the page, so a read-only guest mapping
		 * (kernel text, the shared zero page mapped read-only into a
		 * process) must fail here, as Xen's copy to the guest does.
		 * Translating for a read let a guest (any process that can
		 * issue hypercalls) overwrite its own read-only memory (found
		 * by tests/host/pv-hcfuzz.c).
		 */
		domus_arch->get_sregs(v, &s);
		if (domus_gva_to_gpa(v, &s, gva, PGWALK_WRITE, &gpa, &pf))
			return -XEN_EFAULT;
		pg[0] = domus_gfn_get_page(v->dom, gpa >> PAGE_SHIFT);
		if (!pg[0])
			return -XEN_EFAULT;
		if (offset_in_page(gva) + sizeof(rs) > PAGE_SIZE) {
			if (domus_gva_to_gpa(v, &s, PAGE_ALIGN(gva), PGWALK_WRITE, &gpa2, &pf) ||
			    !(pg[1] = domus_gfn_get_page(v->dom, gpa2 >> PAGE_SHIFT))) {
				put_page(pg[0]);
				return -XEN_EFAULT;
			}
		}
	}
	/*
	 * Under the domain lock: another vCPU may register this one's area
	 * at the same time (Linux does it for every CPU after a restore),
	 * and the dirty log reads the frames.
	 */
	spin_lock_irqsave(&xd->lock, flags);
	old[0] = xv->rs_page[0];
	old[1] = xv->rs_page[1];
	xv->rs_page[0] = pg[0];
	xv->rs_page[1] = pg[1];
	xv->rs_gfn[0] = pg[0] ? gpa >> PAGE_SHIFT : 0;
	xv->rs_gfn[1] = pg[1] ? gpa2 >> PAGE_SHIFT : 0;
	xv->rs_off = offset_in_page(gva);
	if (pg[0]) {
		xen_runstate_fill(xv, &rs);
		xen_runstate_write(xv, &rs);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	if (old[0])
		put_page(old[0]);
	if (old[1])
		put_page(old[1]);
	return 0;
}

/* --- vcpu_info placement ------------------------------------------------------ */

/*
 * For vCPU @id (the caller or another one): the target is looked up under
 * the lock, so a vCPU freed meanwhile is never touched.
 */
static long xen_register_vcpu_info(struct domus_vcpu *v, u32 id, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_vcpu_register_vcpu_info a;
	struct xen_vcpu_info *vi;
	struct xen_vcpu *xv;
	struct page *page;
	unsigned long flags;

	if (domus_xen_copy_from_guest(v, &a, arg, sizeof(a)))
		return -XEN_EFAULT;
	if (a.offset > PAGE_SIZE - sizeof(*vi) || (a.offset & 7) || a.rsvd)
		return -XEN_EINVAL;
	if (a.mfn >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT))
		return -XEN_EINVAL;
	page = domus_gfn_get_page(v->dom, a.mfn);
	if (!page)
		return -XEN_EINVAL;
	vi = page_address(page) + a.offset;

	spin_lock_irqsave(&xd->lock, flags);
	xv = xd->vcpus[id];
	if (!xv || xv->vi_reg) {
		spin_unlock_irqrestore(&xd->lock, flags);
		put_page(page);
		return xv ? -XEN_EINVAL : -XEN_ENOENT;	/* once per vCPU, as Xen */
	}
	if (xd->si && xv->id < XEN_LEGACY_MAX_VCPUS)
		memcpy(vi, &xd->si->vcpu_info[xv->id], sizeof(*vi));
	else
		memset(vi, 0, sizeof(*vi));
	xv->vi_page = page;
	xv->vi_gfn = a.mfn;
	xv->vi_reg = vi;
	xen_write_time_info(xd, xv, vi);
	/* events that were pending in the legacy slot are now seen here */
	xen_vcpu_notify(xv->v);
	spin_unlock_irqrestore(&xd->lock, flags);
	return 0;
}

/* --- vcpu_op ------------------------------------------------------------------ */

static long xen_vcpu_timer_op(struct domus_vcpu *v, struct xen_vcpu *xv, u64 cmd, u64 arg)
{
	struct xen_dom *xd = xv->xd;

	switch (cmd) {
	case VCPUOP_set_periodic_timer: {
		u64 period;

		if (domus_xen_copy_from_guest(v, &period, arg, sizeof(period)))
			return -XEN_EFAULT;
		if (period < NSEC_PER_MSEC || period > XEN_TIMER_MAX_NS)
			return -XEN_EINVAL;
		hrtimer_cancel(&xv->periodic);
		WRITE_ONCE(xv->period_ns, period);
		xen_timer_arm(&xv->periodic, xd, xen_system_time(xd) + period);
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		hrtimer_cancel(&xv->periodic);
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct xen_vcpu_set_singleshot_timer t;

		if (domus_xen_copy_from_guest(v, &t, arg, sizeof(t)))
			return -XEN_EFAULT;
		if ((t.flags & VCPU_SSHOTTMR_future) && t.timeout_abs_ns < xen_system_time(xd))
			return -XEN_ETIME;
		xen_timer_arm(&xv->sshot, xd, t.timeout_abs_ns);
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		hrtimer_cancel(&xv->sshot);
		return 0;
	}
	return -XEN_ENOSYS;
}

/*
 * VCPUOP_up / down / is_up on any vCPU of the domain, Xen's semantics on
 * the state lifecycle.c shares with INIT/STARTUP: is_up 1 or 0; up -EINVAL
 * for a vCPU never initialised; down stops the vCPU before its next entry
 * (the caller itself: when this hypercall returns) until VCPUOP_up, and
 * downing the last vCPU that is up powers the domain off instead (the
 * shutdown exit, source HALTED, as when every vCPU halts with IF=0).
 */
static long xen_vcpu_state_op(struct domus_vcpu *v, u32 id, u64 cmd)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_vcpu *xv;
	unsigned long flags;
	bool last = false;
	long ret = 0;

	spin_lock_irqsave(&xd->lock, flags);
	xv = xd->vcpus[id];
	if (!xv) {
		ret = -XEN_ENOENT;
	} else if (cmd == VCPUOP_is_up) {
		ret = xen_vcpu_is_up(xv);
	} else if (cmd == VCPUOP_up) {
		ret = xen_vcpu_up(xv);
	} else if (xen_vcpus_all_down(xd, xv)) {
		last = true;
	} else if (!xv->down && !xv->wait_sipi) {
		xv->down = true;
		if (xv->v != v)
			domus_vcpu_notify(xv->v);	/* leave the guest now */
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	pr_debug("xen: vcpu %u: vcpu_op %llu on vcpu %u -> %ld%s\n", v->id, cmd, id, ret,
		 last ? " (last vCPU: power-off)" : "");
	if (last) {
		xen_shutdown_exit(v, XEN_SHUTDOWN_poweroff, DOMUS_XEN_SHUTDOWN_HALTED);
		return DOMUS_XEN_TO_USER;
	}
	return ret;
}

long xen_hc_vcpu_op(struct domus_vcpu *v, struct domus_regs *r)
{
	struct xen_dom *xd = xen_dom(v);
	u64 cmd = r->rdi, id = r->rsi, arg = r->rdx;
	struct xen_vcpu *target;
	unsigned long flags;
	long ret = 0;

	if (id >= DOMUS_MAX_VCPUS)
		return -XEN_ENOENT;
	if (cmd == VCPUOP_up || cmd == VCPUOP_down || cmd == VCPUOP_is_up)
		return xen_vcpu_state_op(v, id, cmd);
	if (id == v->id) {
		target = xen_vcpu(v);
	} else {
		/*
		 * Another vCPU: only the calls Linux makes for a CPU it is
		 * bringing up (on the CPU that prepares it).  The target's
		 * state is changed under the lock; it cannot be freed
		 * meanwhile.
		 */
		spin_lock_irqsave(&xd->lock, flags);
		target = xd->vcpus[id];
		if (target && cmd == VCPUOP_register_vcpu_info) {
			/* Linux prepares an AP's vcpu_info on the boot CPU */
			spin_unlock_irqrestore(&xd->lock, flags);
			return xen_register_vcpu_info(v, id, arg);
		}
		if (target && cmd == VCPUOP_register_runstate_memory_area) {
			/* after a restore, CPU 0 registers every CPU's (xen_vcpu_restore) */
			spin_unlock_irqrestore(&xd->lock, flags);
			return xen_register_runstate(v, target, arg);
		}
		if (!target)
			ret = -XEN_ENOENT;
		else if (cmd == VCPUOP_send_nmi) {
			domus_vcpu_queue_nmi(target->v);
			xen_vcpu_notify(target->v);
		} else if (cmd == VCPUOP_stop_periodic_timer ||
			   cmd == VCPUOP_stop_singleshot_timer)
			ret = 0;
		else
			ret = -XEN_EINVAL;
		spin_unlock_irqrestore(&xd->lock, flags);
		return ret;
	}

	switch (cmd) {
	case VCPUOP_get_runstate_info: {
		struct xen_runstate_info rs;

		xen_runstate_fill(target, &rs);
		return domus_xen_copy_to_guest(v, arg, &rs, sizeof(rs)) ? -XEN_EFAULT : 0;
	}
	case VCPUOP_register_runstate_memory_area:
		return xen_register_runstate(v, target, arg);
	case VCPUOP_register_vcpu_info:
		return xen_register_vcpu_info(v, v->id, arg);
	case VCPUOP_send_nmi:
		domus_vcpu_queue_nmi(v);
		return 0;
	case VCPUOP_set_periodic_timer:
	case VCPUOP_stop_periodic_timer:
	case VCPUOP_set_singleshot_timer:
	case VCPUOP_stop_singleshot_timer:
		return xen_vcpu_timer_op(v, target, cmd, arg);
	default:
		/* initialise, get_physid, register_vcpu_time_memory_area, ... */
		return -XEN_ENOSYS;
	}
}

/* set_timer_op(abs_ns): the legacy one-shot; 0 stops it. */
long xen_hc_set_timer_op(struct domus_vcpu *v, struct domus_regs *r)
{
	struct xen_vcpu *xv = xen_vcpu(v);

	if (!r->rdi)
		hrtimer_cancel(&xv->sshot);
	else
		xen_timer_arm(&xv->sshot, xv->xd, r->rdi);
	return 0;
}
