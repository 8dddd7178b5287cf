// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: grant tables (grant_table_op (20) and
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table)); the version switch and
 * the v2 status frames are gnttab_ver.c's.
 *
 * The table is at most XEN_GNT_FRAMES (32) frames of 512 8-byte v1 or 256
 * 16-byte v2 entries, plus (v2) XEN_GNT_STATUS_FRAMES (4) status frames.
 * Each frame is a zeroed kernel page allocated the first time the guest
 * places it or a backend maps it, kept until the domain goes.  A PVH
 * guest places frame i at a guest frame of its choice outside RAM (Linux:
 * its "Xen scratch" unpopulated range); the core maps the page there in
 * the nested page table as special page XEN_SPECIAL_GNT + i (status frame
 * i: XEN_SPECIAL_GNT + XEN_GNT_STATUS_PAGE + i; moved if the guest places
 * it again elsewhere).  Userspace backends map the same
 * pages with mmap() of the domain fd (uapi/domus.h) and check and mark
 * the entries themselves (pvh-abi.md section 9.4); domus never maps or
 * copies grants for anyone, so map/unmap/copy are -ENOSYS.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include "xen.h"

enum {
	GNTTABOP_setup_table = 2,
	GNTTABOP_query_size = 6,
	GNTTABOP_set_version = 8,
	GNTTABOP_get_status_frames = 9,
	GNTTABOP_get_version = 10,
};

#define XENMAPIDX_grant_table_status	(1ULL << 31)

struct xen_gnttab_query_size {
	u16 dom;
	u16 pad;
	u32 nr_frames;		/* out */
	u32 max_nr_frames;	/* out */
	s16 status;		/* out */
	u16 pad2;
};
static_assert(sizeof(struct xen_gnttab_query_size) == 16);
static_assert(offsetof(struct xen_gnttab_query_size, status) == 12);

struct xen_gnttab_get_version {
	u16 dom;
	u16 pad;
	u32 version;		/* out */
};
static_assert(sizeof(struct xen_gnttab_get_version) == 8);

/*
 * Grant page @idx (< XEN_GNT_PAGES: shared frame, status frame or the
 * control page), allocated on first use; NULL on -ENOMEM.  The caller
 * holds gnt_mutex.  A new control page starts with the current version.
 */
struct page *xen_gnttab_page_locked(struct xen_dom *xd, unsigned int idx)
{
	struct page *page = xd->gnt_page[idx];

	if (page)
		return page;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return NULL;
	if (idx == XEN_GNT_CTL_PAGE) {
		struct domus_xen_gnttab_ctl *ctl = page_address(page);

		ctl->version = xd->gnt_version;
	}
	smp_store_release(&xd->gnt_page[idx], page);
	return page;
}

static struct page *xen_gnttab_frame(struct xen_dom *xd, unsigned int idx)
{
	struct page *page = smp_load_acquire(&xd->gnt_page[idx]);

	if (page)
		return page;
	mutex_lock(&xd->gnt_mutex);
	page = xen_gnttab_page_locked(xd, idx);
	mutex_unlock(&xd->gnt_mutex);
	return page;
}

/*
 * add_to_physmap(grant_table, idx, gfn); idx | XENMAPIDX_grant_table_status
 * places v2 status frame idx (v2 only, as Xen).  Called from the hypercall
 * path inside the domain's SRCU read section, which the core's page-table
 * update must not hold (it takes the domain lock): dropped around it.
 */
long xen_gnttab_add_to_physmap(struct domus_vcpu *v, u64 idx, u64 gfn)
{
	struct xen_dom *xd = xen_dom(v);
	struct page *page;
	bool moved;
	int ret;

	if (idx & XENMAPIDX_grant_table_status) {
		idx &= ~XENMAPIDX_grant_table_status;
		if (idx >= XEN_GNT_STATUS_FRAMES || READ_ONCE(xd->gnt_version) != 2)
			return -XEN_EINVAL;
		idx += XEN_GNT_STATUS_PAGE;	/* the page index from here on */
	} else if (idx >= XEN_GNT_FRAMES) {
		return -XEN_EINVAL;
	}
	if (gfn >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT))
		return -XEN_EINVAL;
	/*
	 * A placement at a new frame may allocate up to 3 nested page-table
	 * pages, which stay until the domain goes (the core frees tables
	 * only then).  Unbounded, a guest moving a frame around its 48-bit
	 * space made the host allocate table pages without limit (found by
	 * tests/host/pv-hcfuzz.c).  Linux places each frame once per boot,
	 * so XEN_GNT_MAX_PLACEMENTS (4 per frame) is plenty and bounds the
	 * growth to 3 * XEN_GNT_MAX_PLACEMENTS pages; past it the guest gets
	 * -ENOMEM, as a Xen guest does when its p2m pool is exhausted.  A
	 * placement at the frame's current gfn costs nothing and always
	 * succeeds.  (Concurrent placements can overshoot by one per vCPU.)
	 */
	moved = domus_special_gfn(v->dom, XEN_SPECIAL_GNT + idx) != gfn;
	if (moved && READ_ONCE(xd->gnt_placements) >= XEN_GNT_MAX_PLACEMENTS)
		return -XEN_ENOMEM;
	page = xen_gnttab_frame(xd, idx);
	if (!page)
		return -XEN_ENOMEM;
	domus_vcpu_srcu_drop(v);
	ret = domus_special_map(v->dom, XEN_SPECIAL_GNT + idx, page, gfn);
	domus_vcpu_srcu_retake(v);
	if (ret) {
		/* RAM frames (a ballooned page) are not supported: -EINVAL */
		pr_debug("xen: vcpu %u: grant frame %llu at gfn %#llx: %d\n", v->id, idx, gfn, ret);
		return ret == -ENOMEM ? -XEN_ENOMEM : -XEN_EINVAL;
	}
	mutex_lock(&xd->gnt_mutex);
	if (idx < XEN_GNT_FRAMES && idx + 1 > xd->gnt_nr_frames)
		xd->gnt_nr_frames = idx + 1;
	if (moved)
		xd->gnt_placements++;
	mutex_unlock(&xd->gnt_mutex);
	return 0;
}

bool xen_gnt_dom_self(u16 dom)
{
	return dom == XEN_DOMID_SELF || dom == XEN_DOMID;
}

long xen_hc_grant_table_op(struct domus_vcpu *v, struct domus_regs *r)
{
	struct xen_dom *xd = xen_dom(v);
	u64 cmd = r->rdi, arg = r->rsi, count = r->rdx;

	switch (cmd) {
	case GNTTABOP_query_size: {
		struct xen_gnttab_query_size q;

		if (count != 1)
			return -XEN_EINVAL;
		if (domus_xen_copy_from_guest(v, &q, arg, sizeof(q)))
			return -XEN_EFAULT;
		if (!xen_gnt_dom_self(q.dom)) {
			q.status = GNTST_bad_domain;
		} else {
			mutex_lock(&xd->gnt_mutex);
			q.nr_frames = max_t(u32, xd->gnt_nr_frames, 1);
			mutex_unlock(&xd->gnt_mutex);
			q.max_nr_frames = XEN_GNT_FRAMES;
			q.status = GNTST_okay;
		}
		return domus_xen_copy_to_guest(v, arg, &q, sizeof(q)) ? -XEN_EFAULT : 0;
	}
	case GNTTABOP_set_version:
		return count != 1 ? -XEN_EINVAL : xen_gnttab_set_version(v, arg);
	case GNTTABOP_get_status_frames:
		return count != 1 ? -XEN_EINVAL : xen_gnttab_get_status_frames(v, arg);
	case GNTTABOP_get_version: {
		struct xen_gnttab_get_version g;

		if (count != 1)
			return -XEN_EINVAL;
		if (domus_xen_copy_from_guest(v, &g, arg, sizeof(g)))
			return -XEN_EFAULT;
		if (!xen_gnt_dom_self(g.dom))
			return -XEN_ESRCH;
		g.version = READ_ONCE(xd->gnt_version);
		return domus_xen_copy_to_guest(v, arg, &g, sizeof(g)) ? -XEN_EFAULT : 0;
	}
	default:
		/* setup_table (PV only), map/unmap/copy (backends), swap_grant_ref */
		return -XEN_ENOSYS;
	}
}

/* --- mmap of the domain fd: the frames for userspace backends ------------- */

static vm_fault_t xen_gnttab_fault(struct vm_fault *vmf)
{
	struct domus_domain *dom = vmf->vma->vm_file->private_data;
	struct xen_dom *xd = dom->pers_data;
	unsigned long idx = vmf->pgoff - (DOMUS_XEN_GNTTAB_MMAP_OFFSET >> PAGE_SHIFT);
	struct page *page;

	if (idx >= XEN_GNT_PAGES)
		return VM_FAULT_SIGBUS;
	page = xen_gnttab_frame(xd, idx);
	if (!page)
		return VM_FAULT_OOM;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct xen_gnttab_vm_ops = {
	.fault = xen_gnttab_fault,
};

int xen_gnttab_mmap(struct domus_domain *dom, struct vm_area_struct *vma)
{
	unsigned long first = DOMUS_XEN_GNTTAB_MMAP_OFFSET >> PAGE_SHIFT;
	unsigned long npages = vma_pages(vma);

	if (vma->vm_pgoff < first || vma->vm_pgoff - first >= XEN_GNT_PAGES ||
	    npages > XEN_GNT_PAGES - (vma->vm_pgoff - first))
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;		/* a private copy would hide the guest's updates */
	domus_vma_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &xen_gnttab_vm_ops;
	return 0;
}

void xen_gnttab_free(struct xen_dom *xd)
{
	unsigned int i;

	/* the core holds its own references; mappings by backends theirs */
	for (i = 0; i < XEN_GNT_PAGES; i++) {
		if (xd->gnt_page[i])
			put_page(xd->gnt_page[i]);
		xd->gnt_page[i] = NULL;
	}
}
