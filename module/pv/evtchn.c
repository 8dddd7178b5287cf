// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: 2-level event channels, event_channel_op (32), and
 * the upcall (a vCPU's own vector through its local APIC, or the global
 * callback vector, HVM_PARAM_CALLBACK_IRQ).  Once the
 * guest turned FIFO event channels on, raising, unmasking and testing a
 * port go to evtchn_fifo.c instead of the shared_info bitmaps.
 *
 * The port table is the domain's (XEN_NR_PORTS ports, port 0 never used);
 * the pending and mask bitmaps live in shared_info and the selector and
 * upcall flag in each vCPU's vcpu_info, all guest memory that the guest
 * updates concurrently, so every update is an atomic bit operation.
 * Raising a port (xen_evtchn_raise) only sets bits, queues the upcall
 * vector and notifies the vCPU: it is safe in hard-irq context (timers).
 *
 * Interdomain ports have a userspace backend as their remote end
 * (evtchn_be.c): a send signals the backend's eventfd once xd->lock is
 * dropped.  A send on an unbound port does nothing, as in Xen.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include "xen.h"

static unsigned long *xen_bits(u64 *words)
{
	return (unsigned long *)words;
}

struct xen_vcpu_info *xen_vcpu_info(struct xen_dom *xd, struct xen_vcpu *xv)
	__must_hold(&xd->lock)
{
	if (xv->vi_reg)
		return xv->vi_reg;
	if (xd->si && xv->id < XEN_LEGACY_MAX_VCPUS)
		return &xd->si->vcpu_info[xv->id];
	return NULL;
}

/*
 * The upcall on @xv: its own vector (HVMOP_set_evtchn_upcall_vector) on
 * its local APIC, an edge the guest EOIs; otherwise the domain-wide
 * CALLBACK_IRQ vector, injected directly (no EOI; xen_evtchn_sync injects
 * it again while the upcall flag stays set).
 */
static void xen_upcall(struct xen_dom *xd, struct xen_vcpu *xv)
{
	u8 vec = READ_ONCE(xv->upcall_vec);

	if (vec) {
		xen_apic_raise(xv, vec);
		return;
	}
	vec = READ_ONCE(xd->upcall_vector);
	if (!vec)
		return;
	domus_vcpu_queue_irq(xv->v, vec);
	xen_vcpu_notify(xv->v);
}

/* The upcall flag; the upcall on its 0 -> 1 (both ABIs). */
void xen_mark_upcall(struct xen_dom *xd, struct xen_vcpu *xv) __must_hold(&xd->lock)
{
	struct xen_vcpu_info *vi = xen_vcpu_info(xd, xv);

	if (vi && !xchg(&vi->evtchn_upcall_pending, 1))
		xen_upcall(xd, xv);
}

/* Selector bit for @word, then the upcall flag. */
static void xen_mark_pending(struct xen_dom *xd, struct xen_vcpu *xv, unsigned int word)
	__must_hold(&xd->lock)
{
	struct xen_vcpu_info *vi = xen_vcpu_info(xd, xv);

	if (!vi)
		return;
	if (test_and_set_bit(word, xen_bits(&vi->evtchn_pending_sel)))
		return;
	xen_mark_upcall(xd, xv);
}

void xen_wake_pollers(struct xen_dom *xd) __must_hold(&xd->lock)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xd->vcpus); i++) {
		struct xen_vcpu *xv = xd->vcpus[i];

		if (xv && READ_ONCE(xv->polling))
			domus_vcpu_wake(xv->v);
	}
}

void xen_evtchn_raise(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	struct xen_shared_info *si = xd->si;
	struct xen_vcpu *xv;

	if (xd->fifo) {
		xen_fifo_raise(xd, port);
		return;
	}
	if (!si || !port || port >= XEN_NR_PORTS)
		return;
	if (test_and_set_bit(port, xen_bits(si->evtchn_pending)))
		return;
	xen_wake_pollers(xd);
	if (test_bit(port, xen_bits(si->evtchn_mask)))
		return;
	xv = xd->vcpus[xd->ports[port].vcpu];
	if (xv)
		xen_mark_pending(xd, xv, port / 64);
}

/* Any context (hrtimer callbacks): raise the port @xv bound for @virq. */
void xen_raise_virq(struct xen_vcpu *xv, u32 virq)
{
	struct xen_dom *xd = xv->xd;
	unsigned long flags;
	u32 port;

	spin_lock_irqsave(&xd->lock, flags);
	port = xv->virq_port[virq];
	if (port)
		xen_evtchn_raise(xd, port);
	spin_unlock_irqrestore(&xd->lock, flags);
}

bool xen_port_pending(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	if (xd->fifo)
		return xen_fifo_pending(xd, port);
	return xd->si && port < XEN_NR_PORTS &&
	       test_bit(port, xen_bits(xd->si->evtchn_pending));
}

/*
 * Before the vCPU enters or blocks: the guest itself sets
 * evtchn_upcall_pending when it unmasks a pending port locally, and
 * expects the upcall then, as Xen checks it on every entry.
 */
void xen_evtchn_sync(struct xen_vcpu *xv)
{
	struct xen_dom *xd = xv->xd;
	struct xen_vcpu_info *vi;
	unsigned long flags;
	u8 vec = READ_ONCE(xd->upcall_vector);
	bool pending;

	if (!vec || READ_ONCE(xv->upcall_vec))
		return;		/* per-vCPU vectors are edges: xen_upcall only */
	spin_lock_irqsave(&xd->lock, flags);
	vi = xen_vcpu_info(xd, xv);
	pending = vi && READ_ONCE(vi->evtchn_upcall_pending);
	spin_unlock_irqrestore(&xd->lock, flags);
	if (pending)
		domus_vcpu_queue_irq(xv->v, vec);
}

/* --- the port table ------------------------------------------------------------ */

int xen_port_alloc(struct xen_dom *xd, u8 state, u32 vcpu, u32 arg, u16 remote)
	__must_hold(&xd->lock)
{
	u32 p;

	for (p = 1; p < XEN_NR_PORTS; p++) {
		struct xen_port *e = &xd->ports[p];

		if (e->state != XEN_ECS_CLOSED)
			continue;
		e->state = state;
		e->vcpu = vcpu;
		e->arg = arg;
		e->remote_dom = remote;
		if (xd->fifo)
			xen_fifo_port_reset(xd, p);
		else if (xd->si)
			clear_bit(p, xen_bits(xd->si->evtchn_pending));
		return p;
	}
	return -XEN_ENOSPC;
}

static bool xen_port_valid(u32 port)
{
	return port && port < XEN_NR_PORTS;
}

static long xen_bind_virq(struct xen_dom *xd, struct xen_evtchn_bind_virq *b)
	__must_hold(&xd->lock)
{
	struct xen_vcpu *xv;
	int port;

	if (b->virq >= XEN_NR_VIRQS)
		return -XEN_EINVAL;
	if (b->vcpu >= ARRAY_SIZE(xd->vcpus) || !(xv = xd->vcpus[b->vcpu]))
		return -XEN_ENOENT;
	if (xv->virq_port[b->virq])
		return -XEN_EEXIST;
	port = xen_port_alloc(xd, XEN_ECS_VIRQ, b->vcpu, b->virq, 0);
	if (port < 0)
		return port;
	xv->virq_port[b->virq] = port;
	b->port = port;
	return 0;
}

static long xen_close(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	struct xen_port *e;

	if (!xen_port_valid(port))
		return -XEN_EINVAL;
	e = &xd->ports[port];
	switch (e->state) {
	case XEN_ECS_CLOSED:
		return -XEN_EINVAL;
	case XEN_ECS_VIRQ: {
		struct xen_vcpu *xv = xd->vcpus[e->vcpu];

		if (xv && e->arg < XEN_NR_VIRQS && xv->virq_port[e->arg] == port)
			xv->virq_port[e->arg] = 0;
		break;
	}
	case XEN_ECS_INTERDOMAIN:
		xen_be_guest_closed(xd, e->arg, port);
		break;
	}
	memset(e, 0, sizeof(*e));
	if (xd->fifo)
		xen_fifo_port_reset(xd, port);
	return 0;
}

/* *backend: the backend port to signal once the lock is dropped. */
static long xen_send(struct xen_dom *xd, u32 port, int *backend) __must_hold(&xd->lock)
{
	if (!xen_port_valid(port))
		return -XEN_EINVAL;
	switch (xd->ports[port].state) {
	case XEN_ECS_IPI:
		xen_evtchn_raise(xd, port);
		return 0;
	case XEN_ECS_INTERDOMAIN:
		*backend = xd->ports[port].arg;
		return 0;
	case XEN_ECS_UNBOUND:
		return 0;		/* no remote end yet */
	default:
		return -XEN_EINVAL;
	}
}

static long xen_unmask(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	struct xen_shared_info *si = xd->si;
	struct xen_vcpu *xv;

	if (!xen_port_valid(port))
		return -XEN_EINVAL;
	if (xd->fifo)
		return xen_fifo_unmask(xd, port);
	if (!si)
		return 0;
	if (test_and_clear_bit(port, xen_bits(si->evtchn_mask)) &&
	    test_bit(port, xen_bits(si->evtchn_pending))) {
		xv = xd->vcpus[xd->ports[port].vcpu];
		if (xv)
			xen_mark_pending(xd, xv, port / 64);
	}
	return 0;
}

static long xen_bind_vcpu(struct xen_dom *xd, struct xen_evtchn_bind_vcpu *b)
	__must_hold(&xd->lock)
{
	struct xen_port *e;

	if (!xen_port_valid(b->port))
		return -XEN_EINVAL;
	if (b->vcpu >= ARRAY_SIZE(xd->vcpus) || !xd->vcpus[b->vcpu])
		return -XEN_ENOENT;
	e = &xd->ports[b->port];
	switch (e->state) {
	case XEN_ECS_UNBOUND:
	case XEN_ECS_INTERDOMAIN:
	case XEN_ECS_PIRQ:
		break;
	case XEN_ECS_VIRQ:
		if (e->arg != XEN_VIRQ_TIMER && e->arg != XEN_VIRQ_DEBUG)
			break;		/* a global VIRQ may move */
		return -XEN_EINVAL;
	default:
		return -XEN_EINVAL;
	}
	e->vcpu = b->vcpu;
	if (!xd->fifo && xd->si && test_bit(b->port, xen_bits(xd->si->evtchn_pending)) &&
	    !test_bit(b->port, xen_bits(xd->si->evtchn_mask)))
		xen_mark_pending(xd, xd->vcpus[b->vcpu], b->port / 64);
	return 0;
}

static long xen_status(struct xen_dom *xd, struct xen_evtchn_status *st)
	__must_hold(&xd->lock)
{
	struct xen_port *e;

	if (st->dom != XEN_DOMID_SELF && st->dom != XEN_DOMID)
		return xen_foreign_dom_err(st->dom);
	if (!xen_port_valid(st->port))
		return -XEN_EINVAL;
	e = &xd->ports[st->port];
	st->status = e->state;
	st->vcpu = e->vcpu;
	memset(&st->u, 0, sizeof(st->u));
	switch (e->state) {
	case XEN_ECS_UNBOUND:
		st->u.unbound.dom = e->remote_dom;
		break;
	case XEN_ECS_INTERDOMAIN:
		st->u.interdomain.dom = e->remote_dom;
		st->u.interdomain.port = e->arg;
		break;
	case XEN_ECS_VIRQ:
		st->u.virq = e->arg;
		break;
	}
	return 0;
}

/*
 * EVTCHNOP_reset {u16 dom}: as Xen, close every port of the domain (an
 * interdomain port's backend end is left unbound; Xen keeps only ports of
 * its own, which a domus domain has none of) and, if the guest had turned
 * FIFO on, return to the 2-level ABI: its control blocks and array pages
 * are let go, and init_control may be called again.  The FIFO state is
 * handed back in *old, released once the lock is dropped.  Only the
 * domain itself (DOMID_SELF or its id); -ESRCH / -EPERM otherwise.
 * EVTCHNOP_reset_cont continues a reset Xen preempted; a domus reset is
 * never preempted (XEN_NR_PORTS bounds it), so there is none to continue:
 * -EBUSY, Xen's answer then.
 */
static long xen_evtchn_reset(struct xen_dom *xd, u16 dom, bool cont, struct xen_fifo **old)
	__must_hold(&xd->lock)
{
	u32 p;

	if (dom != XEN_DOMID_SELF && dom != XEN_DOMID)
		return xen_foreign_dom_err(dom);
	if (cont)
		return -XEN_EBUSY;
	for (p = 1; p < XEN_NR_PORTS; p++)
		if (xd->ports[p].state != XEN_ECS_CLOSED)
			xen_close(xd, p);
	*old = xen_fifo_detach(xd);
	return 0;
}

/* --- event_channel_op ----------------------------------------------------------- */

/* Argument sizes by sub-op (0: not implemented). */
static const u8 xen_evtchn_arg_size[] = {
	[EVTCHNOP_bind_interdomain] = sizeof(struct xen_evtchn_bind_interdomain),
	[EVTCHNOP_bind_virq] = sizeof(struct xen_evtchn_bind_virq),
	[EVTCHNOP_close] = 4,
	[EVTCHNOP_send] = 4,
	[EVTCHNOP_status] = sizeof(struct xen_evtchn_status),
	[EVTCHNOP_alloc_unbound] = sizeof(struct xen_evtchn_alloc_unbound),
	[EVTCHNOP_bind_ipi] = sizeof(struct xen_evtchn_bind_ipi),
	[EVTCHNOP_bind_vcpu] = sizeof(struct xen_evtchn_bind_vcpu),
	[EVTCHNOP_unmask] = 4,
	[EVTCHNOP_reset] = 2,
	[EVTCHNOP_set_priority] = sizeof(struct xen_evtchn_set_priority),
	[EVTCHNOP_reset_cont] = 2,
};

long xen_hc_event_channel_op(struct domus_vcpu *v, struct domus_regs *r)
{
	struct xen_dom *xd = xen_dom(v);
	union {
		u32 port;
		u16 dom;
		struct xen_evtchn_bind_virq virq;
		struct xen_evtchn_bind_ipi ipi;
		struct xen_evtchn_alloc_unbound unbound;
		struct xen_evtchn_bind_vcpu vcpu;
		struct xen_evtchn_status status;
		struct xen_evtchn_bind_interdomain inter;
		struct xen_evtchn_set_priority prio;
	} a;
	u64 cmd = r->rdi, arg = r->rsi;
	struct xen_fifo *old_fifo = NULL;
	unsigned long flags;
	unsigned int size;
	bool copy_out = false;
	long ret;
	int port, backend = 0;

	if (cmd == EVTCHNOP_bind_pirq)
		return -XEN_EPERM;
	if (cmd == EVTCHNOP_init_control)
		return xen_fifo_init_control(v, arg);
	if (cmd == EVTCHNOP_expand_array)
		return xen_fifo_expand_array(v, arg);
	if (cmd >= ARRAY_SIZE(xen_evtchn_arg_size) || !xen_evtchn_arg_size[cmd])
		return -XEN_ENOSYS;
	size = xen_evtchn_arg_size[cmd];
	if (domus_xen_copy_from_guest(v, &a, arg, size))
		return -XEN_EFAULT;

	spin_lock_irqsave(&xd->lock, flags);
	switch (cmd) {
	case EVTCHNOP_bind_virq:
		ret = xen_bind_virq(xd, &a.virq);
		copy_out = !ret;
		break;
	case EVTCHNOP_close:
		ret = xen_close(xd, a.port);
		break;
	case EVTCHNOP_send:
		ret = xen_send(xd, a.port, &backend);
		break;
	case EVTCHNOP_bind_interdomain:
		ret = xen_bind_interdomain(xd, &a.inter);
		copy_out = !ret;
		break;
	case EVTCHNOP_status:
		ret = xen_status(xd, &a.status);
		copy_out = !ret;
		break;
	case EVTCHNOP_alloc_unbound:
		if (a.unbound.dom != XEN_DOMID_SELF && a.unbound.dom != XEN_DOMID) {
			ret = xen_foreign_dom_err(a.unbound.dom);
			break;
		}
		port = xen_port_alloc(xd, XEN_ECS_UNBOUND, 0, 0, a.unbound.remote_dom);
		ret = port < 0 ? port : 0;
		a.unbound.port = port;
		copy_out = !ret;
		break;
	case EVTCHNOP_bind_ipi:
		if (a.ipi.vcpu >= ARRAY_SIZE(xd->vcpus) || !xd->vcpus[a.ipi.vcpu]) {
			ret = -XEN_ENOENT;
			break;
		}
		port = xen_port_alloc(xd, XEN_ECS_IPI, a.ipi.vcpu, 0, 0);
		ret = port < 0 ? port : 0;
		a.ipi.port = port;
		copy_out = !ret;
		break;
	case EVTCHNOP_bind_vcpu:
		ret = xen_bind_vcpu(xd, &a.vcpu);
		break;
	case EVTCHNOP_unmask:
		ret = xen_unmask(xd, a.port);
		break;
	case EVTCHNOP_set_priority:
		ret = xen_fifo_set_priority(xd, &a.prio);
		break;
	case EVTCHNOP_reset:
	case EVTCHNOP_reset_cont:
		ret = xen_evtchn_reset(xd, a.dom, cmd == EVTCHNOP_reset_cont, &old_fifo);
		break;
	default:
		ret = -XEN_ENOSYS;
		break;
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	xen_fifo_release(old_fifo);
	if (backend)
		xen_be_signal(xd, backend);
	pr_debug("xen: vcpu %u: evtchn op %llu -> %ld\n", v->id, cmd, ret);
	if (copy_out && domus_xen_copy_to_guest(v, arg, &a, size))
		return -XEN_EFAULT;	/* the port stays allocated, as in Xen */
	return ret;
}
