// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: FIFO-based event channels (EVTCHNOP_init_control,
 * expand_array, set_priority), next to the 2-level ABI of evtchn.c.
 *
 * The guest's first successful init_control turns FIFO on for the whole
 * domain, until EVTCHNOP_reset (evtchn.c) closes every port and returns
 * to the 2-level ABI, as Xen's does; from then on a port's
 * state is its 32-bit event word (PENDING, MASKED, LINKED, BUSY, LINK) in
 * the event array pages the guest added with expand_array, and a vCPU
 * hears of events through its control block: one queue per priority, the
 * guest reads a queue from HEAD and follows LINK; we keep each queue's
 * TAIL and link a newly pending event behind it, or, when the queue is
 * empty (the tail event is no longer LINKED: the guest consumed it), make
 * it the HEAD and set the priority's READY bit and the upcall.
 *
 * Every page (control blocks, array pages) is guest RAM pinned by a page
 * reference from registration to the end of the domain, reached through
 * the direct map, so raising a port (hrtimer and eventfd callbacks, hard
 * irq) never sleeps.  All of it is guest memory the guest writes
 * concurrently: bits are set with locked bit operations on the aligned
 * 64-bit word that holds the event word, LINK is set with a cmpxchg loop
 * of XEN_FIFO_TRIES tries, and a queue the guest corrupted only misroutes
 * the guest's own events.  Our own state (tails, priorities, which queue
 * a port was last linked on, events raised before their array page
 * existed) is under xd->lock like the port table.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "xen.h"

#define XEN_FIFO_PAGES		DIV_ROUND_UP(XEN_NR_PORTS, XEN_FIFO_WORDS_PER_PAGE)
#define XEN_FIFO_TRIES		16	/* cmpxchg tries against a guest rewriting a word */
#define XEN_FIFO_LAST_NONE	0xffff

static_assert(XEN_NR_PORTS <= XEN_FIFO_LINK_MASK + 1);
static_assert(ARRAY_SIZE(((struct xen_dom *)0)->vcpus) * XEN_FIFO_MAX_QUEUES < XEN_FIFO_LAST_NONE);

struct xen_fifo_vcpu {
	struct page *cb_page;			/* NULL: no init_control yet */
	u64 cb_gfn;
	struct xen_fifo_control_block *cb;
	u32 tail[XEN_FIFO_MAX_QUEUES];		/* 0: queue empty */
};

struct xen_fifo {
	struct page *array_page[XEN_FIFO_PAGES];
	u64 array_gfn[XEN_FIFO_PAGES];
	u32 *array[XEN_FIFO_PAGES];
	unsigned int nr_pages;
	u8 prio[XEN_NR_PORTS];
	u16 last[XEN_NR_PORTS];			/* vcpu * 16 + prio of its last link */
	DECLARE_BITMAP(deferred, XEN_NR_PORTS);	/* pending, no array page yet */
	struct xen_fifo_vcpu vcpu[ARRAY_SIZE(((struct xen_dom *)0)->vcpus)];
};

/* --- the event word --------------------------------------------------------------- */

static u32 *fifo_word(struct xen_fifo *f, u32 port)
{
	unsigned int pg = port / XEN_FIFO_WORDS_PER_PAGE;

	if (!port || port >= XEN_NR_PORTS || pg >= f->nr_pages)
		return NULL;
	return &f->array[pg][port % XEN_FIFO_WORDS_PER_PAGE];
}

/*
 * Locked bit operations on a u32 in guest memory: on the naturally aligned
 * 64-bit word that holds it (never crossing a cache line or page).
 */
static unsigned long *fifo_long(u32 *w, unsigned int *bit)
{
	uintptr_t a = (uintptr_t)w;

	*bit += (a & 4) * 8;
	return (unsigned long *)(a & ~(uintptr_t)7);
}

static bool fifo_test_and_set(u32 *w, unsigned int bit)
{
	unsigned long *l = fifo_long(w, &bit);

	return test_and_set_bit(bit, l);
}

static void fifo_clear(u32 *w, unsigned int bit)
{
	unsigned long *l = fifo_long(w, &bit);

	clear_bit(bit, l);
}

static bool fifo_test(u32 *w, unsigned int bit)
{
	return READ_ONCE(*w) & BIT(bit);
}

/*
 * Set the LINK field of the event word @w to @port if it is still LINKED
 * (the guest may clear LINKED, PENDING or toggle MASKED meanwhile).
 * False when it was not LINKED (its queue is empty) or when the guest kept
 * rewriting the word for XEN_FIFO_TRIES tries.
 */
static bool fifo_set_link(u32 *w, u32 port)
{
	u32 old = READ_ONCE(*w);
	unsigned int i;

	for (i = 0; i < XEN_FIFO_TRIES; i++) {
		u32 new;

		if (!(old & BIT(XEN_FIFO_LINKED)))
			return false;
		new = (old & ~(XEN_FIFO_LINK_MASK | BIT(XEN_FIFO_BUSY))) | port;
		if (try_cmpxchg(w, &old, new))
			return true;
	}
	pr_debug("xen: fifo: event word kept changing, port %u not linked\n", port);
	return false;
}

/* --- raising ------------------------------------------------------------------------ */

/* Make @port pending and, if unmasked and unlinked, queue it on its vCPU. */
static void fifo_set_pending(struct xen_dom *xd, struct xen_fifo *f, u32 port)
	__must_hold(&xd->lock)
{
	u32 *w = fifo_word(f, port);
	u32 vid = xd->ports[port].vcpu;
	u8 prio = f->prio[port];
	struct xen_fifo_vcpu *fv;
	struct xen_vcpu *xv;
	u16 last;
	u32 tail;
	bool linked = false;

	if (!w) {
		set_bit(port, f->deferred);	/* until its array page arrives */
		return;
	}
	if (!fifo_test_and_set(w, XEN_FIFO_PENDING))
		xen_wake_pollers(xd);
	if (fifo_test(w, XEN_FIFO_MASKED) || fifo_test(w, XEN_FIFO_LINKED))
		return;
	if (vid >= ARRAY_SIZE(f->vcpu) || !(xv = xd->vcpus[vid]))
		return;
	fv = &f->vcpu[vid];
	if (!fv->cb)
		return;			/* stays pending until unmasked again */
	if (fifo_test_and_set(w, XEN_FIFO_LINKED))
		return;

	/* it was the tail of the queue it was last on: that queue is empty now */
	last = f->last[port];
	if (last != XEN_FIFO_LAST_NONE) {
		struct xen_fifo_vcpu *ov = &f->vcpu[last / XEN_FIFO_MAX_QUEUES];

		if (ov->tail[last % XEN_FIFO_MAX_QUEUES] == port)
			ov->tail[last % XEN_FIFO_MAX_QUEUES] = 0;
	}
	f->last[port] = vid * XEN_FIFO_MAX_QUEUES + prio;

	tail = fv->tail[prio];
	if (tail) {
		u32 *tw = fifo_word(f, tail);

		linked = tw && fifo_set_link(tw, port);
	}
	if (!linked)
		WRITE_ONCE(fv->cb->head[prio], port);
	fv->tail[prio] = port;
	if (!linked && !fifo_test_and_set(&fv->cb->ready, prio))
		xen_mark_upcall(xd, xv);
}

void xen_fifo_raise(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	if (port && port < XEN_NR_PORTS)
		fifo_set_pending(xd, xd->fifo, port);
}

/*
 * EVTCHNOP_unmask: clear MASKED (a guest finding its masked event pending
 * leaves that to us, as Xen does it) and link the event if it is pending.
 */
long xen_fifo_unmask(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	u32 *w = fifo_word(xd->fifo, port);

	if (!w)
		return -XEN_EINVAL;
	fifo_clear(w, XEN_FIFO_MASKED);
	if (fifo_test(w, XEN_FIFO_PENDING))
		fifo_set_pending(xd, xd->fifo, port);
	return 0;
}

bool xen_fifo_pending(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	u32 *w = fifo_word(xd->fifo, port);

	if (!w)
		return port < XEN_NR_PORTS && test_bit(port, xd->fifo->deferred);
	return fifo_test(w, XEN_FIFO_PENDING);
}

/*
 * A port was closed, or (re)allocated: not pending (as Xen clears it on
 * close: an event left from the port's last use would reach the new
 * binding's handler), nothing deferred; default priority.
 */
void xen_fifo_port_reset(struct xen_dom *xd, u32 port) __must_hold(&xd->lock)
{
	struct xen_fifo *f = xd->fifo;
	u32 *w = fifo_word(f, port);

	if (w)
		fifo_clear(w, XEN_FIFO_PENDING);
	f->prio[port] = XEN_FIFO_PRIO_DEFAULT;
	clear_bit(port, f->deferred);
}

long xen_fifo_set_priority(struct xen_dom *xd, struct xen_evtchn_set_priority *sp)
	__must_hold(&xd->lock)
{
	if (!xd->fifo)
		return -XEN_ENOSYS;	/* the 2-level ABI has no priorities */
	if (!sp->port || sp->port >= XEN_NR_PORTS ||
	    xd->ports[sp->port].state == XEN_ECS_CLOSED)
		return -XEN_EINVAL;
	if (sp->priority > XEN_FIFO_PRIO_MIN)
		return -XEN_EINVAL;
	/* an event already queued stays where it is until consumed */
	xd->fifo->prio[sp->port] = sp->priority;
	return 0;
}

/* --- registration -------------------------------------------------------------------- */

/* A pinned guest RAM page, or NULL. */
static struct page *fifo_guest_page(struct domus_vcpu *v, u64 gfn)
{
	if (gfn >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT))
		return NULL;
	return domus_gfn_get_page(v->dom, gfn);
}

/*
 * 2-level -> FIFO: every port starts at the default priority; the events
 * pending in shared_info wait until their array page is added.
 */
static void fifo_switch(struct xen_dom *xd, struct xen_fifo *f) __must_hold(&xd->lock)
{
	u32 p;

	memset(f->prio, XEN_FIFO_PRIO_DEFAULT, sizeof(f->prio));
	memset(f->last, 0xff, sizeof(f->last));
	for (p = 1; p < XEN_NR_PORTS && xd->si; p++)
		if (xd->ports[p].state != XEN_ECS_CLOSED &&
		    test_bit(p, (unsigned long *)xd->si->evtchn_pending))
			set_bit(p, f->deferred);
	xd->fifo = f;
}

long xen_fifo_init_control(struct domus_vcpu *v, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_evtchn_init_control ic;
	struct xen_fifo *f, *nf = NULL;
	struct page *page;
	unsigned long flags;
	long ret = 0;

	if (domus_xen_copy_from_guest(v, &ic, arg, sizeof(ic)))
		return -XEN_EFAULT;
	if (ic.offset & 7 || ic.offset > PAGE_SIZE - sizeof(struct xen_fifo_control_block))
		return -XEN_EINVAL;
	if (ic.vcpu >= ARRAY_SIZE(xd->vcpus))
		return -XEN_ENOENT;
	page = fifo_guest_page(v, ic.control_gfn);
	if (!page)
		return -XEN_EINVAL;
	if (!READ_ONCE(xd->fifo)) {
		nf = kzalloc(sizeof(*nf), GFP_KERNEL_ACCOUNT);
		if (!nf) {
			put_page(page);
			return -XEN_ENOMEM;
		}
	}

	spin_lock_irqsave(&xd->lock, flags);
	f = xd->fifo;
	if (!xd->vcpus[ic.vcpu]) {
		ret = -XEN_ENOENT;
	} else if (f && f->vcpu[ic.vcpu].cb_page) {
		ret = -XEN_EINVAL;	/* once per vCPU */
	} else if (!f && !nf) {
		ret = -XEN_ENOMEM;	/* lost a race with a failed switch: retry */
	} else {
		struct xen_fifo_vcpu *fv;

		if (!f) {
			f = nf;
			nf = NULL;
			fifo_switch(xd, f);
		}
		fv = &f->vcpu[ic.vcpu];
		fv->cb_page = page;
		fv->cb_gfn = ic.control_gfn;
		fv->cb = page_address(page) + ic.offset;
		memset(fv->tail, 0, sizeof(fv->tail));
		page = NULL;
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	kfree(nf);
	if (page)
		put_page(page);
	if (ret)
		return ret;
	ic.link_bits = XEN_FIFO_LINK_BITS;
	if (domus_xen_copy_to_guest(v, arg, &ic, sizeof(ic)))
		return -XEN_EFAULT;
	return 0;
}

long xen_fifo_expand_array(struct domus_vcpu *v, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_evtchn_expand_array ea;
	struct xen_fifo *f;
	struct page *page;
	unsigned long flags;
	unsigned int pg;
	u32 p;
	long ret = 0;

	if (domus_xen_copy_from_guest(v, &ea, arg, sizeof(ea)))
		return -XEN_EFAULT;
	if (!READ_ONCE(xd->fifo))
		return -XEN_EOPNOTSUPP;
	page = fifo_guest_page(v, ea.array_gfn);
	if (!page)
		return -XEN_EINVAL;

	spin_lock_irqsave(&xd->lock, flags);
	f = xd->fifo;
	pg = f ? f->nr_pages : 0;
	if (!f) {
		ret = -XEN_EOPNOTSUPP;	/* an EVTCHNOP_reset came in between */
	} else if (pg >= XEN_FIFO_PAGES) {
		ret = -XEN_ENOSPC;	/* beyond our port limit */
	} else {
		f->array_page[pg] = page;
		f->array_gfn[pg] = ea.array_gfn;
		f->array[pg] = page_address(page);
		f->nr_pages = pg + 1;
		page = NULL;
		/* the events raised before this page existed */
		for (p = pg * XEN_FIFO_WORDS_PER_PAGE;
		     p < min_t(u32, (pg + 1) * XEN_FIFO_WORDS_PER_PAGE, XEN_NR_PORTS); p++)
			if (test_and_clear_bit(p, f->deferred))
				fifo_set_pending(xd, f, p);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	if (page)
		put_page(page);
	return ret;
}

/*
 * EVTCHNOP_reset (evtchn.c): back to the 2-level ABI.  The state leaves
 * the domain under the lock; its page references are dropped after.
 */
struct xen_fifo *xen_fifo_detach(struct xen_dom *xd) __must_hold(&xd->lock)
{
	struct xen_fifo *f = xd->fifo;

	xd->fifo = NULL;
	return f;
}

void xen_fifo_release(struct xen_fifo *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < f->nr_pages; i++)
		put_page(f->array_page[i]);
	for (i = 0; i < ARRAY_SIZE(f->vcpu); i++)
		if (f->vcpu[i].cb_page)
			put_page(f->vcpu[i].cb_page);
	kfree(f);
}

/* The domain's end: no vCPU runs, no timer or backend raises a port. */
void xen_fifo_free(struct xen_dom *xd)
{
	xen_fifo_release(xd->fifo);
	xd->fifo = NULL;
}

/*
 * Dirty logging (xen_log_dirty): the control blocks and array pages are
 * written through our mappings, so they are reported to every read.
 */
void xen_fifo_log_dirty(struct xen_dom *xd, struct domus_domain *dom) __must_hold(&xd->lock)
{
	struct xen_fifo *f = xd->fifo;
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < f->nr_pages; i++)
		domus_dirty_mark_gfn(dom, f->array_gfn[i]);
	for (i = 0; i < ARRAY_SIZE(f->vcpu); i++)
		if (f->vcpu[i].cb_page)
			domus_dirty_mark_gfn(dom, f->vcpu[i].cb_gfn);
}
