// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frames of a slot that the guest gives back and takes again (ballooning,
 * through a personality's hypercalls).
 *
 * Release, for each extent: its frames must all be present in one
 * writable slot.  The 2 MiB leaf over them is split (gpt.c), their 4 KiB
 * leaves cleared and their pages[] entries set to NULL.  Then, once per
 * call: every vCPU leaves guest mode and flushes before it re-enters
 * (domus_dom_flush), an SRCU grace period lets lockless readers that
 * looked a page up finish (they took their own reference), the pages are
 * unpinned and uncharged (locked_vm, max_guest_pages, pinned_pages), and
 * the creator's anonymous memory behind them is zapped as
 * madvise(MADV_DONTNEED) would, so the launcher's RSS drops and the
 * memory goes back to the host.  Memory that is not plain anonymous
 * (a file or shared mapping, mlock()ed, hugetlb) is unpinned but not
 * zapped.
 *
 * Populate, for each extent: frames given back before (absent), within
 * dom->max_pages; charged, pinned again at the same user address (a
 * fresh zero page after the zap), cleared, mapped with 4 KiB leaves and
 * published.
 *
 * Both hold dom->lock throughout, so the release and the repopulation of
 * a frame never interleave; lock order dom->lock, then mmap_lock, as slot
 * pinning has it.  The work per call is bounded by the caller
 * (DOMUS_RESERVE_MAX_PAGES frames).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "core.h"

/* The writable slot holding all of [gfn, gfn + n), or NULL. */
static struct domus_slot *reserve_slot(struct domus_domain *dom, u64 gfn, u64 n)
	__must_hold(&dom->lock)
{
	unsigned int i;

	for (i = 0; i < DOMUS_MAX_SLOTS; i++) {
		struct domus_slot *s = dom->slot_by_id[i];

		if (s && !(s->flags & DOMUS_SLOT_READONLY) && gfn >= s->gfn &&
		    gfn - s->gfn < s->npages && n <= s->npages - (gfn - s->gfn))
			return s;
	}
	return NULL;
}

/* Are the frames [idx, idx + n) of @s all present (@present) / all absent? */
static bool reserve_all(const struct domus_slot *s, u64 idx, u64 n, bool present)
{
	u64 j;

	for (j = 0; j < n; j++)
		if (!!s->pages[idx + j] != present)
			return false;
	return true;
}

/* madvise(MADV_DONTNEED) of [uaddr, uaddr + len) where it is plain anonymous memory. */
static void reserve_zap(struct mm_struct *mm, unsigned long uaddr, unsigned long len)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	while (len) {
		unsigned long n;

		vma = find_vma(mm, uaddr);
		if (!vma || vma->vm_start > uaddr)
			break;
		n = min(len, vma->vm_end - uaddr);
		if (vma_is_anonymous(vma) &&
		    !(vma->vm_flags & (VM_LOCKED | VM_HUGETLB | VM_PFNMAP | VM_MIXEDMAP | VM_SHARED)))
			domus_zap_range(vma, uaddr, n);
		uaddr += n;
		len -= n;
	}
	mmap_read_unlock(mm);
}

static int reserve_check(struct domus_domain *dom, unsigned int n, unsigned int order)
{
	if (order > DOMUS_RESERVE_MAX_ORDER || !n || (u64)n << order > DOMUS_RESERVE_MAX_PAGES)
		return -EINVAL;
	/* the pages come from and go back to the creator's memory */
	if (current->mm != dom->mm)
		return -EPERM;
	return 0;
}

long domus_mem_release(struct domus_domain *dom, const u64 *gfns, unsigned int n,
		       unsigned int order)
{
	u64 per = 1ULL << order;
	unsigned long *uaddr;
	struct page **rel;
	unsigned int e, done = 0, cnt = 0;
	int ret = reserve_check(dom, n, order);

	if (ret)
		return ret;
	rel = kmalloc_array(DOMUS_RESERVE_MAX_PAGES, sizeof(*rel), GFP_KERNEL);
	uaddr = kmalloc_array(n, sizeof(*uaddr), GFP_KERNEL);
	if (!rel || !uaddr) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&dom->lock);
	for (e = 0; e < n; e++) {
		u64 gfn = gfns[e], idx, j;
		struct domus_slot *s;

		if (gfn & (per - 1))
			break;
		s = reserve_slot(dom, gfn, per);
		if (!s)
			break;
		idx = gfn - s->gfn;
		if (!reserve_all(s, idx, per, true))
			break;
		/* an aligned extent of order <= 9 lies in one 2 MiB leaf */
		if (domus_gpt_split(&dom->gpt, gfn, true))
			break;
		for (j = 0; j < per; j++) {
			rel[cnt++] = s->pages[idx + j];
			WRITE_ONCE(s->pages[idx + j], NULL);
		}
		s->absent += per;
		domus_gpt_unmap_range(&dom->gpt, gfn, per);
		uaddr[e] = s->uaddr + (idx << PAGE_SHIFT);
		done++;
	}
	if (done) {
		domus_dom_flush(dom);
		dom->pinned_pages -= cnt;
		synchronize_srcu(&dom->srcu);
		unpin_user_pages(rel, cnt);
		domus_mem_uncharge(dom, cnt);
		for (e = 0; e < done; e++)
			reserve_zap(dom->mm, uaddr[e], per << PAGE_SHIFT);
	}
	mutex_unlock(&dom->lock);
out:
	kfree(uaddr);
	kfree(rel);
	return ret ? ret : done;
}

/* Map the pinned pages @pg of [gfn, gfn + n); all or none. */
static int reserve_map(struct domus_domain *dom, u64 gfn, u64 n, struct page **pg)
	__must_hold(&dom->lock)
{
	u64 j;

	for (j = 0; j < n; j++) {
		if (domus_gpt_map_page(&dom->gpt, gfn + j, pg[j], true)) {
			domus_gpt_unmap_range(&dom->gpt, gfn, j);
			domus_dom_flush(dom);
			return -ENOMEM;
		}
	}
	return 0;
}

long domus_mem_populate(struct domus_domain *dom, const u64 *gfns, unsigned int n,
			unsigned int order)
{
	u64 per = 1ULL << order;
	struct page **pg;
	unsigned int e, done = 0;
	int ret = reserve_check(dom, n, order);

	if (ret)
		return ret;
	pg = kmalloc_array(per, sizeof(*pg), GFP_KERNEL);
	if (!pg)
		return -ENOMEM;
	mutex_lock(&dom->lock);
	for (e = 0; e < n; e++) {
		u64 gfn = gfns[e], idx, j;
		struct domus_slot *s;
		long got;

		if (gfn & (per - 1))
			break;
		s = reserve_slot(dom, gfn, per);
		if (!s)
			break;
		idx = gfn - s->gfn;
		if (!reserve_all(s, idx, per, false))
			break;
		if (dom->max_pages && dom->pinned_pages + per > dom->max_pages)
			break;
		if (domus_mem_charge(dom, per))
			break;
		got = pin_user_pages_fast(s->uaddr + (idx << PAGE_SHIFT), per,
					  FOLL_WRITE | FOLL_LONGTERM, pg);
		if (got == per) {
			for (j = 0; j < per; j++)
				clear_highpage(pg[j]);
		}
		if (got != per || reserve_map(dom, gfn, per, pg)) {
			if (got > 0)
				unpin_user_pages(pg, got);
			domus_mem_uncharge(dom, per);
			break;
		}
		for (j = 0; j < per; j++) {
			WRITE_ONCE(s->pages[idx + j], pg[j]);
			domus_dirty_mark(s, gfn + j);	/* zeroed: new contents */
		}
		s->absent -= per;
		dom->pinned_pages += per;
		done++;
		cond_resched();
	}
	mutex_unlock(&dom->lock);
	kfree(pg);
	return done;
}
