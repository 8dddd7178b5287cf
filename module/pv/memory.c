// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: memory_op (12).
 *
 * XENMEM_add_to_physmap(shared_info): a PVH guest hands over one of its
 * own RAM frames (Linux uses a page it reserved at boot).  domus makes that
 * very page the shared_info page: it is pinned guest RAM, so the kernel
 * reaches it through the direct map and the guest through its own
 * mapping, with no change to the nested page tables.  A second call at
 * another frame moves the contents there, as Xen's remapping would.
 * Grant frames go to guest-chosen frames outside RAM (gnttab.c).
 *
 * XENMEM_decrease_reservation / populate_physmap (the balloon): the
 * guest's list of frames is copied in (at most DOMUS_RESERVE_MAX_PAGES
 * frames per call: more extents than that are cut to what fits and the
 * guest sees the smaller count, as Xen answers a partial call), and the
 * core releases or repopulates them (module/reserve.c).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "xen.h"

static bool xen_domid_self(u16 domid)
{
	return domid == XEN_DOMID_SELF || domid == XEN_DOMID;
}

static long xen_map_shared_info(struct domus_vcpu *v, u64 gfn)
{
	struct xen_dom *xd = xen_dom(v);
	struct page *page, *old;
	unsigned long flags;
	unsigned int i;

	if (gfn >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT))
		return -XEN_EINVAL;
	page = domus_gfn_get_page(v->dom, gfn);
	if (!page)
		return -XEN_EINVAL;

	spin_lock_irqsave(&xd->lock, flags);
	old = xd->si_page;
	if (old == page) {
		spin_unlock_irqrestore(&xd->lock, flags);
		put_page(page);
		return 0;
	}
	if (old) {
		memcpy(page_address(page), xd->si, PAGE_SIZE);
	} else {
		clear_page(page_address(page));
	}
	xd->si_page = page;
	xd->si = page_address(page);
	xd->si_gfn = gfn;
	if (!old) {
		for (i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
			if (xd->vcpus[i])
				xen_write_time_info(xd, xd->vcpus[i], &xd->si->vcpu_info[i]);
		xen_write_wallclock(xd);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	if (old)
		put_page(old);
	return 0;
}

/*
 * Dirty logging (the core's log_dirty hook, dom->lock held): the frames
 * domus writes through its own mappings are always reported, since
 * their writes never fault: shared_info, each vcpu_info, each runstate
 * area, the FIFO control blocks and event array pages.  xd->lock orders this against their (re)registration.
 */
void xen_log_dirty(struct domus_domain *dom)
{
	struct xen_dom *xd = dom->pers_data;
	unsigned long flags;
	unsigned int i;

	if (!xd)
		return;
	spin_lock_irqsave(&xd->lock, flags);
	if (xd->si_page)
		domus_dirty_mark_gfn(dom, xd->si_gfn);
	for (i = 0; i < ARRAY_SIZE(xd->vcpus); i++) {
		struct xen_vcpu *xv = xd->vcpus[i];

		if (!xv)
			continue;
		if (xv->vi_page)
			domus_dirty_mark_gfn(dom, xv->vi_gfn);
		if (xv->rs_page[0])
			domus_dirty_mark_gfn(dom, xv->rs_gfn[0]);
		if (xv->rs_page[1])
			domus_dirty_mark_gfn(dom, xv->rs_gfn[1]);
	}
	xen_fifo_log_dirty(xd, dom);
	spin_unlock_irqrestore(&xd->lock, flags);
}

static long xen_add_to_physmap(struct domus_vcpu *v, u64 arg)
{
	struct xen_add_to_physmap a;

	if (domus_xen_copy_from_guest(v, &a, arg, sizeof(a)))
		return -XEN_EFAULT;
	if (!xen_domid_self(a.domid))
		return -XEN_EPERM;
	switch (a.space) {
	case XENMAPSPACE_shared_info:
		if (a.idx != 0)
			return -XEN_EINVAL;
		return xen_map_shared_info(v, a.gpfn);
	case XENMAPSPACE_grant_table:
		return xen_gnttab_add_to_physmap(v, a.idx, a.gpfn);
	default:
		pr_debug("xen: add_to_physmap space %u idx %llu gpfn %#llx not implemented\n",
			 a.space, a.idx, a.gpfn);
		return -XEN_ENOSYS;
	}
}

static long xen_reservation_query(struct domus_vcpu *v, u64 arg, bool max)
{
	u64 cap = READ_ONCE(v->dom->max_pages);
	u16 domid;

	if (domus_xen_copy_from_guest(v, &domid, arg, sizeof(domid)))
		return -XEN_EFAULT;
	if (!xen_domid_self(domid))
		return -XEN_EPERM;
	if (max && cap)
		return cap;
	return READ_ONCE(v->dom->pinned_pages);
}

/*
 * DOMID_SELF only; no flags (address bits, NUMA) and orders 0-9.  Returns
 * the extents done, as Xen: the guest learns of a refused frame from a
 * smaller count.
 */
static long xen_reservation(struct domus_vcpu *v, u64 arg, bool populate)
	__must_hold(&v->dom->srcu)
{
	struct xen_memory_reservation a;
	unsigned int n;
	u64 *gfns;
	long ret;

	if (domus_xen_copy_from_guest(v, &a, arg, sizeof(a)))
		return -XEN_EFAULT;
	if (!xen_domid_self(a.domid))
		return -XEN_EPERM;
	if (a.mem_flags || a.extent_order > DOMUS_RESERVE_MAX_ORDER)
		return -XEN_EINVAL;
	if (!a.nr_extents)
		return 0;
	n = min_t(u64, a.nr_extents, DOMUS_RESERVE_MAX_PAGES >> a.extent_order);
	gfns = kmalloc_array(n, sizeof(*gfns), GFP_KERNEL);
	if (!gfns)
		return -XEN_ENOMEM;
	if (domus_xen_copy_from_guest(v, gfns, a.extent_start, n * sizeof(*gfns))) {
		kfree(gfns);
		return -XEN_EFAULT;
	}
	domus_vcpu_srcu_drop(v);
	if (populate)
		ret = domus_mem_populate(v->dom, gfns, n, a.extent_order);
	else
		ret = domus_mem_release(v->dom, gfns, n, a.extent_order);
	domus_vcpu_srcu_retake(v);
	kfree(gfns);
	if (ret < 0)
		return ret == -ENOMEM ? -XEN_ENOMEM : -XEN_EINVAL;
	return ret;
}

long xen_hc_memory_op(struct domus_vcpu *v, struct domus_regs *r)
{
	u64 cmd = r->rdi;

	if (cmd & ~(u64)XENMEM_CMD_MASK)
		return -XEN_EINVAL;	/* no continuations are ever handed out */
	switch (cmd) {
	case XENMEM_add_to_physmap:
		return xen_add_to_physmap(v, r->rsi);
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		return xen_reservation_query(v, r->rsi, cmd == XENMEM_maximum_reservation);
	case XENMEM_decrease_reservation:
		return xen_reservation(v, r->rsi, false);
	case XENMEM_populate_physmap:
		return xen_reservation(v, r->rsi, true);
	default:
		return -XEN_ENOSYS;
	}
}

void xen_memory_free(struct xen_dom *xd)
{
	if (xd->si_page)
		put_page(xd->si_page);
	xd->si_page = NULL;
	xd->si = NULL;
}
