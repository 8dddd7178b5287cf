// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: sched_op (29).
 *
 * yield gives up the host CPU; block and poll put the vCPU thread to sleep
 * on its wait queue (the one HLT uses), with the domain's SRCU read lock
 * dropped, until an interrupt is queued for the vCPU, a polled port is
 * pending, the timeout passes or a signal arrives.  shutdown ends in
 * userspace: DOMUS_EXIT_HYPERCALL with nr 29, args[0] = SCHEDOP_shutdown
 * (2) and args[1] = the reason; hypercall.ret (preset 0) is what the guest
 * sees if userspace runs the vCPU again (a resumed suspend).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include "xen.h"

struct xen_poll_set {
	u32 n;
	u32 ports[XEN_POLL_MAX_PORTS];
};

static bool xen_any_pending(struct xen_dom *xd, const struct xen_poll_set *ps)
{
	unsigned long flags;
	bool hit = false;
	u32 i;

	if (!ps)
		return false;
	spin_lock_irqsave(&xd->lock, flags);
	for (i = 0; i < ps->n && !hit; i++)
		hit = xen_port_pending(xd, ps->ports[i]);
	spin_unlock_irqrestore(&xd->lock, flags);
	return hit;
}

static bool xen_should_wake(struct domus_vcpu *v, const struct xen_poll_set *ps)
{
	xen_evtchn_sync(xen_vcpu(v));
	return signal_pending(current) || domus_vcpu_nmi_queued(v) ||
	       domus_vcpu_has_irq(v) || xen_any_pending(xen_dom(v), ps);
}

/*
 * Sleep until xen_should_wake() or @deadline (Xen system time, 0: none).
 * Called from the hypercall path, which holds the domain's SRCU lock.
 */
static void xen_block(struct domus_vcpu *v, const struct xen_poll_set *ps, u64 deadline)
	__must_hold(&v->dom->srcu)
{
	struct xen_vcpu *xv = xen_vcpu(v);
	struct xen_dom *xd = xv->xd;

	WRITE_ONCE(xv->polling, true);
	smp_mb();
	if (!deadline) {
		domus_vcpu_wait(v, xen_should_wake(v, ps));
	} else {
		s64 delta = (s64)(deadline - xen_system_time(xd));

		if (delta > 0)
			domus_vcpu_wait_timeout(v, xen_should_wake(v, ps),
						ns_to_ktime(min_t(s64, delta, NSEC_PER_SEC * 3600)));
	}
	WRITE_ONCE(xv->polling, false);
}

static long xen_poll(struct domus_vcpu *v, u64 arg)
{
	struct xen_sched_poll p;
	struct xen_poll_set *ps;
	u32 i;

	if (domus_xen_copy_from_guest(v, &p, arg, sizeof(p)))
		return -XEN_EFAULT;
	if (p.nr_ports > XEN_POLL_MAX_PORTS)
		return -XEN_EINVAL;
	ps = kmalloc(sizeof(*ps), GFP_KERNEL_ACCOUNT);
	if (!ps)
		return -XEN_ENOMEM;
	ps->n = p.nr_ports;
	if (domus_xen_copy_from_guest(v, ps->ports, p.ports, p.nr_ports * sizeof(u32))) {
		kfree(ps);
		return -XEN_EFAULT;
	}
	for (i = 0; i < ps->n; i++) {
		if (ps->ports[i] >= XEN_NR_PORTS) {
			kfree(ps);
			return -XEN_EINVAL;
		}
	}
	if (!xen_should_wake(v, ps))
		xen_block(v, ps, p.timeout);
	kfree(ps);
	return 0;
}

static long xen_shutdown(struct domus_vcpu *v, u64 arg)
{
	u32 reason;

	if (domus_xen_copy_from_guest(v, &reason, arg, sizeof(reason)))
		return -XEN_EFAULT;
	pr_debug("xen: vcpu %u: shutdown, reason %u\n", v->id, reason);
	xen_shutdown_exit(v, reason, DOMUS_XEN_SHUTDOWN_HYPERCALL);
	return DOMUS_XEN_TO_USER;
}

long xen_hc_sched_op(struct domus_vcpu *v, struct domus_regs *r)
{
	switch (r->rdi) {
	case SCHEDOP_yield:
		cond_resched();
		return 0;
	case SCHEDOP_block:
		if (!xen_should_wake(v, NULL))
			xen_block(v, NULL, 0);
		return 0;
	case SCHEDOP_shutdown:
		return xen_shutdown(v, r->rsi);
	case SCHEDOP_poll:
		return xen_poll(v, r->rsi);
	case SCHEDOP_shutdown_code:
		return 0;
	case SCHEDOP_remote_shutdown: {
		u16 domid;	/* struct sched_remote_shutdown: domain_id @0 */

		if (domus_xen_copy_from_guest(v, &domid, r->rsi, sizeof(domid)))
			return -XEN_EFAULT;
		/* by id only (no DOMID_SELF); a domU may not shut down any */
		return domid == XEN_DOMID ? -XEN_EPERM : xen_foreign_dom_err(domid);
	}
	case SCHEDOP_pin_override:
		return -XEN_EPERM;
	default:
		return -XEN_ENOSYS;
	}
}
