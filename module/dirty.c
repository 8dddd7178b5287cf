// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty-page logging: which frames of a slot the guest wrote since the
 * log was last read (DOMUS_SET_DIRTY_LOG / DOMUS_GET_DIRTY_LOG,
 * docs/abi.md), for save and migration.
 *
 * While a slot is logged its frames are mapped by 4 KiB leaves.  A frame
 * not written since the last read is read-only in the nested page
 * tables; the guest's first write to it faults (domus_ram_fault), sets
 * its bit and makes the leaf writable again, and the write is retried.
 * Reading the log takes each word of the bitmap atomically, makes the
 * frames it names read-only again and makes every vCPU flush before the
 * ioctl returns: a write through a stale writable TLB entry happens
 * before the caller copies a frame it was told about.
 *
 * The bitmap (slot->dirty) is set and cleared under dom->lock; bits are
 * set with atomic operations from the fault path (SRCU reader) and from
 * kernel writes into guest memory (domus_dirty_mark).  Stopping frees it
 * after an SRCU grace period.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "core.h"

static unsigned long *dirty_alloc(u64 npages)
{
	return kvcalloc(BITS_TO_LONGS(npages), sizeof(unsigned long), GFP_KERNEL_ACCOUNT);
}

/* Every present frame of @s writable or read-only; 4 KiB leaves first if @split. */
static int dirty_protect_slot(struct domus_domain *dom, struct domus_slot *s,
			      bool writable, bool split) __must_hold(&dom->lock)
{
	u64 i;
	int ret;

	for (i = 0; i < s->npages; i++) {
		if (split && !((s->gfn + i) & 511)) {
			ret = domus_gpt_split(&dom->gpt, s->gfn + i, writable);
			if (ret)
				return ret;
		}
		if (s->pages[i])
			domus_gpt_protect(&dom->gpt, s->gfn + i, writable);
		if (!(i & 4095))
			cond_resched();
	}
	return 0;
}

/* Stop logging @s: its frames writable again, the bitmap freed. */
static void dirty_stop(struct domus_domain *dom, struct domus_slot *s)
	__must_hold(&dom->lock)
{
	unsigned long *bm = s->dirty;

	WRITE_ONCE(s->dirty, NULL);
	WRITE_ONCE(dom->dirty_slots, dom->dirty_slots - 1);
	dirty_protect_slot(dom, s, true, false);
	synchronize_srcu(&dom->srcu);
	kvfree(bm);
}

long domus_dom_set_dirty_log(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_dirty_log *a = arg;
	struct domus_slot *s;
	unsigned long *bm = NULL;
	long ret = 0;

	if (!domus_all_zero(a->reserved, sizeof(a->reserved)) || a->bitmap ||
	    (a->flags & ~DOMUS_DIRTY_LOG_ON) || a->slot >= DOMUS_MAX_SLOTS)
		return -EINVAL;
	mutex_lock(&dom->lock);
	s = dom->slot_by_id[a->slot];
	if (!s) {
		ret = -ENOENT;
	} else if (s->flags & DOMUS_SLOT_READONLY) {
		ret = -EINVAL;
	} else if (!(a->flags & DOMUS_DIRTY_LOG_ON)) {
		if (s->dirty)
			dirty_stop(dom, s);
	} else if (!s->dirty) {
		bm = dirty_alloc(s->npages);
		if (!bm) {
			ret = -ENOMEM;
			goto out;
		}
		/* the bitmap first: a fault on a protected frame finds it */
		WRITE_ONCE(s->dirty, bm);
		WRITE_ONCE(dom->dirty_slots, dom->dirty_slots + 1);
		ret = dirty_protect_slot(dom, s, false, true);
		domus_dom_flush(dom);
		if (ret)
			dirty_stop(dom, s);
	}
out:
	mutex_unlock(&dom->lock);
	return ret;
}

long domus_dom_get_dirty_log(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_dirty_log *a = arg;
	unsigned long *out = NULL;
	struct domus_slot *s;
	bool any = false;
	u64 words, w, bytes = 0;
	long ret = 0;

	if (!domus_all_zero(a->reserved, sizeof(a->reserved)) || a->flags ||
	    a->slot >= DOMUS_MAX_SLOTS)
		return -EINVAL;
	mutex_lock(&dom->lock);
	s = dom->slot_by_id[a->slot];
	if (!s || !s->dirty) {
		ret = s ? -EINVAL : -ENOENT;
		goto out;
	}
	words = BITS_TO_LONGS(s->npages);
	out = dirty_alloc(s->npages);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	dom->pers->log_dirty(dom);
	for (w = 0; w < words; w++) {
		unsigned long bits = xchg(&s->dirty[w], 0);
		unsigned int b;

		out[w] = bits;
		for_each_set_bit(b, &bits, BITS_PER_LONG) {
			u64 i = w * BITS_PER_LONG + b;

			if (i < s->npages && s->pages[i])
				domus_gpt_protect(&dom->gpt, s->gfn + i, false);
			any = true;
		}
		if (!(w & 63))
			cond_resched();
	}
	if (any)
		domus_dom_flush(dom);
	bytes = DIV_ROUND_UP(s->npages, 64) * sizeof(u64);
out:
	mutex_unlock(&dom->lock);
	if (!ret && copy_to_user(u64_to_user_ptr(a->bitmap), out, bytes))
		ret = -EFAULT;
	kvfree(out);
	return ret;
}

void domus_dirty_mark_gfn(struct domus_domain *dom, u64 gfn) __must_hold(&dom->lock)
{
	struct domus_slot *s = domus_slot_of_locked(dom, gfn);

	if (s)
		domus_dirty_mark(s, gfn);
}

void domus_dirty_mark(struct domus_slot *s, u64 gfn)
{
	unsigned long *bm = READ_ONCE(s->dirty);

	if (bm)
		set_bit(gfn - s->gfn, bm);
}

/*
 * A nested page fault at @gpa by @v: true when it is RAM the access may
 * use, so the access is retried (a mapping made meanwhile, or a logged
 * frame now marked and writable); false for MMIO, a hole, or a write to
 * a read-only slot.
 */
bool domus_ram_fault(struct domus_vcpu *v, u64 gpa, bool write)
	__must_hold(&v->dom->srcu)
{
	struct domus_domain *dom = v->dom;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct domus_slot *s;
	bool ro;

	if (!domus_gpa_is_ram(dom, gpa, &ro) || (ro && write))
		return false;
	if (!write || !READ_ONCE(dom->dirty_slots))
		return true;
	/* logged frames: set the bit, then the leaf writable under the lock */
	domus_vcpu_srcu_drop(v);
	mutex_lock(&dom->lock);
	s = domus_slot_of_locked(dom, gfn);
	if (s && s->dirty && s->pages[gfn - s->gfn]) {
		set_bit(gfn - s->gfn, s->dirty);
		domus_gpt_protect(&dom->gpt, gfn, true);
	}
	mutex_unlock(&dom->lock);
	domus_vcpu_srcu_retake(v);
	return true;
}
