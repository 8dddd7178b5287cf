// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: interdomain event channels whose remote end is a
 * userspace backend (console, xenstore, block, net in the launcher);
 * domus plays domain 0.  A backend end ("backend port" 1..64, the remote
 * port the guest sees) carries two optional eventfds:
 *
 *   notify: the guest's EVTCHNOP_send on the connected guest port adds 1
 *           to it (signalled after xd->lock is dropped, under RCU, so an
 *           eventfd shared with some kick never nests our locks);
 *   kick:   a wait-queue entry on the eventfd, like KVM's irqfd: a write
 *           by the backend runs xen_be_kick_wake() in atomic context
 *           (the eventfd's wait-queue lock held), which consumes the
 *           count and raises the guest port (bits + vCPU notify only).
 *
 * Set up and torn down with DOMUS_XEN_EVTCHN_BIND (uapi/domus.h) under
 * xd->be_mutex; the guest side (bind_interdomain, close, send) under
 * xd->lock.  Everything is released when the domain goes.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include "xen.h"

#define XEN_BIND_FLAGS	(DOMUS_XEN_EVTCHN_ATTACH | DOMUS_XEN_EVTCHN_LISTEN | DOMUS_XEN_EVTCHN_CLOSE)

void xen_be_init(struct xen_dom *xd)
{
	unsigned int i;

	mutex_init(&xd->be_mutex);
	for (i = 0; i < XEN_NR_BACKENDS; i++)
		xd->be[i].xd = xd;
}

/* Raise the guest port connected to @be, if any; any context. */
static void xen_be_raise(struct xen_backend *be)
{
	struct xen_dom *xd = be->xd;
	unsigned long flags;

	spin_lock_irqsave(&xd->lock, flags);
	if (be->guest_port)
		xen_evtchn_raise(xd, be->guest_port);
	spin_unlock_irqrestore(&xd->lock, flags);
}

/* The kick eventfd's wait queue woke us: atomic, its lock held. */
static int xen_be_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct xen_backend *be = container_of(wait, struct xen_backend, wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(be->kick, &cnt);
		xen_be_raise(be);
	}
	return 0;
}

static void xen_be_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct xen_backend *be = container_of(pt, struct xen_backend, pt);

	add_wait_queue(wqh, &be->wait);
}

/* Put @be's wait entry on the kick eventfd @file (a reference is taken). */
static void xen_be_attach_kick(struct xen_backend *be, struct file *file)
{
	__poll_t events;

	init_waitqueue_func_entry(&be->wait, xen_be_kick_wake);
	init_poll_funcptr(&be->pt, xen_be_queue);
	events = vfs_poll(file, &be->pt);
	if (events & EPOLLIN)
		xen_be_raise(be);	/* written before we listened */
}

/* Drop @be's eventfds; its guest_port is already 0 and used false. */
static void xen_be_release(struct xen_backend *be, struct eventfd_ctx *notify, bool sync)
{
	u64 cnt;

	if (be->kick) {
		/* after this the wake callback cannot run any more */
		eventfd_ctx_remove_wait_queue(be->kick, &be->wait, &cnt);
		eventfd_ctx_put(be->kick);
		be->kick = NULL;
	}
	if (notify) {
		if (sync)
			synchronize_rcu();	/* senders that saw it are done */
		eventfd_ctx_put(notify);
	}
}

void xen_be_free(struct xen_dom *xd)
{
	unsigned int i;

	/* no vCPUs and no ioctls any more: nothing else looks at be[] */
	for (i = 0; i < XEN_NR_BACKENDS; i++) {
		struct xen_backend *be = &xd->be[i];
		struct eventfd_ctx *notify = rcu_dereference_protected(be->notify, 1);

		RCU_INIT_POINTER(be->notify, NULL);
		be->guest_port = 0;
		be->used = false;
		xen_be_release(be, notify, false);
	}
}

/* After the guest's send on an interdomain port (xd->lock dropped). */
void xen_be_signal(struct xen_dom *xd, int bport)
{
	struct eventfd_ctx *ctx;

	if (bport < 1 || bport > XEN_NR_BACKENDS)
		return;
	rcu_read_lock();
	ctx = rcu_dereference(xd->be[bport - 1].notify);
	if (ctx)
		domus_eventfd_signal(ctx);
	rcu_read_unlock();
}

/* The guest closed @port, connected to backend port @bport. */
void xen_be_guest_closed(struct xen_dom *xd, u32 bport, u32 port) __must_hold(&xd->lock)
{
	struct xen_backend *be;

	if (bport < 1 || bport > XEN_NR_BACKENDS)
		return;
	be = &xd->be[bport - 1];
	if (be->guest_port == port)
		be->guest_port = 0;
}

/* EVTCHNOP_bind_interdomain: the guest connects to a listening backend port. */
long xen_bind_interdomain(struct xen_dom *xd, struct xen_evtchn_bind_interdomain *b)
	__must_hold(&xd->lock)
{
	struct xen_backend *be;
	int port;

	if (b->remote_dom == XEN_DOMID_SELF || b->remote_dom == XEN_DOMID)
		return -XEN_EINVAL;	/* loopback channels: not offered */
	if (b->remote_dom != 0)
		return -XEN_ESRCH;
	if (b->remote_port < 1 || b->remote_port > XEN_NR_BACKENDS)
		return -XEN_EINVAL;
	be = &xd->be[b->remote_port - 1];
	if (!be->used || be->guest_port)
		return -XEN_EINVAL;	/* not an unbound remote port */
	port = xen_port_alloc(xd, XEN_ECS_INTERDOMAIN, 0, b->remote_port, 0);
	if (port < 0)
		return port;
	be->guest_port = port;
	b->local_port = port;
	return 0;
}

/* --- DOMUS_XEN_EVTCHN_BIND / NOTIFY ----------------------------------------------- */

static long xen_be_close(struct xen_dom *xd, u32 bport)
{
	struct eventfd_ctx *notify;
	struct xen_backend *be;
	unsigned long flags;

	if (bport < 1 || bport > XEN_NR_BACKENDS)
		return -EINVAL;
	be = &xd->be[bport - 1];
	mutex_lock(&xd->be_mutex);
	if (!be->used) {
		mutex_unlock(&xd->be_mutex);
		return -EINVAL;
	}
	spin_lock_irqsave(&xd->lock, flags);
	if (be->guest_port) {
		struct xen_port *e = &xd->ports[be->guest_port];

		/* the remote end went: the guest's port waits unbound, as in Xen */
		e->state = XEN_ECS_UNBOUND;
		e->remote_dom = 0;
		e->arg = 0;
	}
	be->guest_port = 0;
	be->used = false;	/* bind_interdomain cannot find it any more */
	notify = rcu_dereference_protected(be->notify, lockdep_is_held(&xd->lock));
	RCU_INIT_POINTER(be->notify, NULL);
	spin_unlock_irqrestore(&xd->lock, flags);
	xen_be_release(be, notify, true);
	mutex_unlock(&xd->be_mutex);	/* only now may BIND reuse the slot */
	return 0;
}

long domus_xen_evtchn_bind_ioctl(struct domus_domain *dom, struct domus_xen_evtchn_bind *b)
{
	struct xen_dom *xd = dom->pers_data;
	struct eventfd_ctx *notify = NULL, *kick = NULL;
	struct file *kfile = NULL;
	struct xen_backend *be = NULL;
	unsigned long flags;
	unsigned int i;
	long ret;
	int port = 0;

	if (!xd)
		return -ENOTTY;
	if (b->reserved0 || b->reserved || (b->flags & ~XEN_BIND_FLAGS) ||
	    hweight32(b->flags) > 1)
		return -EINVAL;
	if (b->flags == DOMUS_XEN_EVTCHN_CLOSE)
		return xen_be_close(xd, b->backend_port);
	if (b->flags != DOMUS_XEN_EVTCHN_ATTACH && b->port)
		return -EINVAL;
	if (b->backend_port)
		return -EINVAL;
	if (b->notify_fd != -1) {
		notify = eventfd_ctx_fdget(b->notify_fd);
		if (IS_ERR(notify))
			return PTR_ERR(notify);
	}
	if (b->kick_fd != -1) {
		kfile = eventfd_fget(b->kick_fd);
		if (IS_ERR(kfile)) {
			ret = PTR_ERR(kfile);
			kfile = NULL;
			goto fail;
		}
		kick = eventfd_ctx_fileget(kfile);
		if (IS_ERR(kick)) {
			ret = PTR_ERR(kick);
			kick = NULL;
			goto fail;
		}
		ret = -EINVAL;
		if (kick == notify)
			goto fail;	/* a send would kick the guest's own port */
	}

	mutex_lock(&xd->be_mutex);
	for (i = 0; i < XEN_NR_BACKENDS; i++) {
		if (!xd->be[i].used && !xd->be[i].kick &&
		    !rcu_access_pointer(xd->be[i].notify)) {
			be = &xd->be[i];
			break;
		}
	}
	ret = -ENOSPC;
	if (!be)
		goto unlock;

	spin_lock_irqsave(&xd->lock, flags);
	ret = 0;
	switch (b->flags) {
	case 0:
		port = xen_port_alloc(xd, XEN_ECS_INTERDOMAIN, 0, i + 1, 0);
		if (port < 0)
			ret = -ENOSPC;
		break;
	case DOMUS_XEN_EVTCHN_ATTACH: {
		struct xen_port *e;

		/* checked unsigned: a u32 above INT_MAX made a negative index */
		if (!b->port || b->port >= XEN_NR_PORTS) {
			ret = -EINVAL;
			break;
		}
		port = b->port;
		e = &xd->ports[port];
		if (e->state != XEN_ECS_UNBOUND || e->remote_dom != 0) {
			ret = -EINVAL;
			break;
		}
		e->state = XEN_ECS_INTERDOMAIN;
		e->arg = i + 1;
		break;
	}
	case DOMUS_XEN_EVTCHN_LISTEN:
		port = 0;
		break;
	}
	if (!ret) {
		be->used = true;
		be->guest_port = port;
		rcu_assign_pointer(be->notify, notify);
		be->kick = kick;
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	if (ret)
		goto unlock;
	if (kfile) {
		xen_be_attach_kick(be, kfile);
		fput(kfile);
	}
	mutex_unlock(&xd->be_mutex);
	b->port = port;
	b->backend_port = i + 1;
	pr_debug("xen: backend port %u <-> guest port %d (flags %#x)\n", i + 1, port, b->flags);
	return 0;

unlock:
	mutex_unlock(&xd->be_mutex);
fail:
	if (kick)
		eventfd_ctx_put(kick);
	if (kfile)
		fput(kfile);
	if (notify)
		eventfd_ctx_put(notify);
	return ret;
}

long domus_xen_evtchn_notify_ioctl(struct domus_domain *dom, struct domus_xen_evtchn_notify *n)
{
	struct xen_dom *xd = dom->pers_data;
	unsigned long flags;
	long ret = -EINVAL;

	if (!xd)
		return -ENOTTY;
	if (n->reserved || !n->port || n->port >= XEN_NR_PORTS)
		return -EINVAL;
	spin_lock_irqsave(&xd->lock, flags);
	if (xd->ports[n->port].state == XEN_ECS_INTERDOMAIN) {
		xen_evtchn_raise(xd, n->port);
		ret = 0;
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	return ret;
}
