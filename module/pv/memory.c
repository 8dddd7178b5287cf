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
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
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

static long xen_reservation_query(struct domus_vcpu *v, u64 arg)
{
	u16 domid;

	if (domus_xen_copy_from_guest(v, &domid, arg, sizeof(domid)))
		return -XEN_EFAULT;
	if (!xen_domid_self(domid))
		return -XEN_EPERM;
	return READ_ONCE(v->dom->pinned_pages);
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
		return xen_reservation_query(v, r->rsi);
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
