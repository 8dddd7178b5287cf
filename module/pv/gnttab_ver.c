// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: the grant-table version (GNTTABOP_set_version,
 * get_version's answer, the per-domain limit DOMUS_XEN_GNTTAB_LIMIT =
 * xl.cfg max_grant_version) and the v2 status frames
 * (GNTTABOP_get_status_frames).
 *
 * v1: 8-byte entries {u16 flags, u16 domid, u32 frame}, the in-use bits
 * GTF_reading / GTF_writing in flags.  v2: 16-byte entries {u16 flags,
 * u16 domid, u32 pad, u64 frame} (full_page; sub_page and transitive
 * share the header) and a separate u16 status per grant in the status
 * frames, where the in-use bits live.  Which version a table has decides
 * how the userspace backends read it: they learn it from the control
 * page (uapi/domus.h) before each use and check it again after setting
 * the in-use bits.
 *
 * The switch follows Xen's rules: only while no grant is in use (here: no
 * in-use bit set in the current layout, -EBUSY otherwise; Xen counts its
 * own pins and allows the 8 reserved entries to be pinned, domus has no
 * pins of its own to count and refuses for those too); the 8 reserved
 * entries are carried over into the new layout, v2 -> v1 refused with
 * -ERANGE when one of them holds a frame beyond 32 bits or a transitive
 * grant; every other entry and status is cleared.  Status frames stay
 * where the guest placed them after a switch back to v1 (zeroed, unused);
 * Xen removes them from the guest's physmap.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include "xen.h"

#define XEN_GNT_RESERVED	8	/* GNTTAB_NR_RESERVED_ENTRIES */
#define XEN_GNT_V1_PER_FRAME	(PAGE_SIZE / 8)
#define XEN_GNT_V2_PER_FRAME	(PAGE_SIZE / 16)
#define XEN_GNT_STATUS_PER_FRAME (PAGE_SIZE / 2)

struct xen_gnt_v1 {
	u16 flags;
	u16 domid;
	u32 frame;
};
static_assert(sizeof(struct xen_gnt_v1) == 8);

struct xen_gnt_v2 {
	u16 flags;
	u16 domid;
	u32 pad;		/* full_page: padding; sub_page: offset, length */
	u64 frame;		/* full_page, sub_page; transitive: the gref */
};
static_assert(sizeof(struct xen_gnt_v2) == 16);

struct xen_gnttab_get_status_frames {
	u32 nr_frames;
	u16 dom;
	s16 status;		/* out */
	u64 frame_list;		/* GVA of nr_frames u64 */
};
static_assert(sizeof(struct xen_gnttab_get_status_frames) == 16);
static_assert(offsetof(struct xen_gnttab_get_status_frames, status) == 6);

/* a reserved entry between layouts */
struct xen_gnt_saved {
	u16 flags;
	u16 domid;
	u64 frame;
};

static void *xen_gnt_page_addr(struct xen_dom *xd, unsigned int idx)
{
	struct page *page = xd->gnt_page[idx];

	return page ? page_address(page) : NULL;
}

/* Is any grant marked in use in the current layout?  Under gnt_mutex. */
static bool xen_gnttab_in_use(struct xen_dom *xd)
{
	unsigned int f, i;

	if (xd->gnt_version == 1) {
		for (f = 0; f < XEN_GNT_FRAMES; f++) {
			struct xen_gnt_v1 *e = xen_gnt_page_addr(xd, f);

			for (i = 0; e && i < XEN_GNT_V1_PER_FRAME; i++)
				if (READ_ONCE(e[i].flags) & (GTF_reading | GTF_writing))
					return true;
		}
		return false;
	}
	for (f = 0; f < XEN_GNT_STATUS_FRAMES; f++) {
		u16 *st = xen_gnt_page_addr(xd, XEN_GNT_STATUS_PAGE + f);

		for (i = 0; st && i < XEN_GNT_STATUS_PER_FRAME; i++)
			if (READ_ONCE(st[i]) & (GTF_reading | GTF_writing))
				return true;
	}
	return false;
}

/* Save the reserved entries of the current layout; -XEN_ERANGE if v1 cannot hold them. */
static long xen_gnttab_save_reserved(struct xen_dom *xd, u32 to, struct xen_gnt_saved *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r) * XEN_GNT_RESERVED);
	if (!xd->gnt_page[0])
		return 0;
	for (i = 0; i < XEN_GNT_RESERVED; i++) {
		if (xd->gnt_version == 1) {
			struct xen_gnt_v1 *e = xen_gnt_page_addr(xd, 0);

			r[i].flags = READ_ONCE(e[i].flags);
			r[i].domid = READ_ONCE(e[i].domid);
			r[i].frame = READ_ONCE(e[i].frame);
			continue;
		}
		{
			struct xen_gnt_v2 *e = xen_gnt_page_addr(xd, 0);
			u16 flags = READ_ONCE(e[i].flags);

			switch (flags & GTF_type_mask) {
			case GTF_permit_access:
				r[i].flags = flags;
				r[i].domid = READ_ONCE(e[i].domid);
				r[i].frame = READ_ONCE(e[i].frame);
				if (to == 1 && (r[i].frame >> 32))
					return -XEN_ERANGE;
				break;
			case GTF_type_mask:	/* transitive: no v1 form */
				if (to == 1)
					return -XEN_ERANGE;
				break;
			default:		/* invalid, accept_transfer: dropped */
				break;
			}
		}
	}
	return 0;
}

static void xen_gnttab_restore_reserved(struct xen_dom *xd, const struct xen_gnt_saved *r)
{
	unsigned int i;

	if (!xd->gnt_page[0])
		return;
	for (i = 0; i < XEN_GNT_RESERVED; i++) {
		u16 flags = r[i].flags & ~(GTF_reading | GTF_writing);

		if (xd->gnt_version == 1) {
			struct xen_gnt_v1 *e = xen_gnt_page_addr(xd, 0);

			e[i].domid = r[i].domid;
			e[i].frame = r[i].frame;
			e[i].flags = flags;
		} else {
			struct xen_gnt_v2 *e = xen_gnt_page_addr(xd, 0);

			e[i].domid = r[i].domid;
			e[i].frame = r[i].frame;
			e[i].flags = flags;
		}
	}
}

/* Switch the table to @to (!= the current version).  Under gnt_mutex. */
static long xen_gnttab_switch(struct xen_dom *xd, u32 to)
{
	struct domus_xen_gnttab_ctl *ctl = xen_gnt_page_addr(xd, XEN_GNT_CTL_PAGE);
	struct xen_gnt_saved saved[XEN_GNT_RESERVED];
	unsigned int i;
	long ret;

	/*
	 * Publish "switching" before looking for in-use bits: a backend sets
	 * its bit and then reads the version again (both full barriers), so
	 * either it sees 0 and backs off, or the scan sees its bit.
	 */
	if (ctl) {
		WRITE_ONCE(ctl->version, 0);
		smp_mb();
	}
	ret = xen_gnttab_in_use(xd) ? -XEN_EBUSY : xen_gnttab_save_reserved(xd, to, saved);
	if (ret)
		goto out;
	for (i = 0; i < XEN_GNT_FRAMES + XEN_GNT_STATUS_FRAMES; i++) {
		void *p = xen_gnt_page_addr(xd, i);

		if (p)
			memset(p, 0, PAGE_SIZE);
	}
	xd->gnt_version = to;
	xen_gnttab_restore_reserved(xd, saved);
out:
	if (ctl)
		smp_store_release(&ctl->version, xd->gnt_version);
	return ret;
}

long xen_gnttab_set_version(struct domus_vcpu *v, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	u32 version;
	long ret = 0;

	if (domus_xen_copy_from_guest(v, &version, arg, sizeof(version)))
		return -XEN_EFAULT;
	mutex_lock(&xd->gnt_mutex);
	if (version != 1 && version != 2)
		ret = -XEN_EINVAL;
	else if (version > xd->gnt_max_version)
		ret = -XEN_ENOSYS;	/* Xen: as before set_version existed */
	else if (version != xd->gnt_version)
		ret = xen_gnttab_switch(xd, version);
	version = xd->gnt_version;	/* Xen writes the version back */
	mutex_unlock(&xd->gnt_mutex);
	if (domus_xen_copy_to_guest(v, arg, &version, sizeof(version)))
		return -XEN_EFAULT;
	return ret;
}

/* DOMUS_XEN_GNTTAB_LIMIT on the domain fd (xl.cfg max_grant_version) */
long domus_xen_gnttab_limit_ioctl(struct domus_domain *dom, struct domus_xen_gnttab_limit *l)
{
	struct xen_dom *xd = dom->pers_data;

	if (!domus_all_zero(l->reserved, sizeof(l->reserved)) || (l->max_version != 1 && l->max_version != 2))
		return -EINVAL;
	mutex_lock(&xd->gnt_mutex);
	xd->gnt_max_version = l->max_version;	/* a table already at v2 stays */
	mutex_unlock(&xd->gnt_mutex);
	return 0;
}

long xen_gnttab_get_status_frames(struct domus_vcpu *v, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_gnttab_get_status_frames g;
	u64 gfn[XEN_GNT_STATUS_FRAMES];
	unsigned int i, have;

	if (domus_xen_copy_from_guest(v, &g, arg, sizeof(g)))
		return -XEN_EFAULT;
	g.status = GNTST_okay;
	if (!xen_gnt_dom_self(g.dom)) {
		g.status = GNTST_bad_domain;
		goto out;
	}
	mutex_lock(&xd->gnt_mutex);
	/* status frames for the shared frames the guest placed (v2 only) */
	have = xd->gnt_version == 2 ? DIV_ROUND_UP(max_t(u32, xd->gnt_nr_frames, 1) * XEN_GNT_V2_PER_FRAME,
						     XEN_GNT_STATUS_PER_FRAME) : 0;
	mutex_unlock(&xd->gnt_mutex);
	if (g.nr_frames > have) {
		g.status = GNTST_general_error;
		goto out;
	}
	/* where the guest placed each one; DOMUS_GFN_NONE (~0) if nowhere yet */
	for (i = 0; i < g.nr_frames; i++)
		gfn[i] = domus_special_gfn(v->dom, XEN_SPECIAL_GNT + XEN_GNT_STATUS_PAGE + i);
	if (g.nr_frames && domus_xen_copy_to_guest(v, g.frame_list, gfn, g.nr_frames * sizeof(u64)))
		g.status = GNTST_bad_virt_addr;
out:
	return domus_xen_copy_to_guest(v, arg, &g, sizeof(g)) ? -XEN_EFAULT : 0;
}
