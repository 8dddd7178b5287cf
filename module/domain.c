// SPDX-License-Identifier: GPL-2.0-only
/*
 * Domains: the domain file descriptor, guest memory slots, the CPUID table
 * and statistics.
 *
 * Lifetime: the domain fd holds one reference and every vCPU (fd) holds
 * another, so the fds may be closed in any order.  While a domain exists
 * it holds a reference on hardware virtualization (hw.c) and its file
 * holds a reference on the module, so the module cannot be unloaded.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "core.h"

struct domus_counters domus_live;

/*
 * Guest memory limits.  A slot's pages are charged, before they are
 * pinned, to the creating process's RLIMIT_MEMLOCK (its mm's locked_vm,
 * as VFIO does: CAP_IPC_LOCK lifts the limit, not the count; -EPERM when
 * over it) and to max_guest_pages for all domains together (-ENOMEM).  The
 * global count is raised first and backed out on failure, so concurrent
 * slot additions can never pass the cap together.
 */
static unsigned long max_guest_pages;
module_param(max_guest_pages, ulong, 0644);
MODULE_PARM_DESC(max_guest_pages,
		 "4 KiB pages all domains' memory slots may pin together (0: 3/4 of RAM)");

int domus_mem_charge(struct domus_domain *dom, u64 npages)
{
	u64 cap = READ_ONCE(max_guest_pages);

	if (!cap)
		cap = totalram_pages() / 4 * 3;
	if (atomic64_add_return(npages, &domus_live.pinned_pages) > cap) {
		atomic64_sub(npages, &domus_live.pinned_pages);
		return -ENOMEM;
	}
	if (account_locked_vm(dom->mm, npages, true)) {
		atomic64_sub(npages, &domus_live.pinned_pages);
		return -EPERM;
	}
	return 0;
}

/* Any context that may sleep; the process may be gone (its mm then too). */
void domus_mem_uncharge(struct domus_domain *dom, u64 npages)
{
	atomic64_sub(npages, &domus_live.pinned_pages);
	if (mmget_not_zero(dom->mm)) {
		account_locked_vm(dom->mm, npages, false);
		mmput(dom->mm);
	}
}

static void domus_slot_release(struct domus_domain *dom, struct domus_slot *slot)
{
	u64 i;

	if (!slot)
		return;
	if (!slot->absent) {
		unpin_user_pages(slot->pages, slot->npages);
	} else {
		for (i = 0; i < slot->npages; i++)
			if (slot->pages[i])
				unpin_user_page(slot->pages[i]);
	}
	domus_mem_uncharge(dom, slot->npages - slot->absent);
	kvfree(slot->dirty);
	kvfree(slot->pages);
	kfree(slot);
}

static void domus_special_release(struct domus_special_page *sp)
{
	if (sp->page) {
		put_page(sp->page);
		atomic64_dec(&domus_live.pinned_pages);
	}
	sp->page = NULL;
	WRITE_ONCE(sp->gfn, DOMUS_GFN_NONE);
}

static void domus_domain_free(struct domus_domain *dom)
{
	struct domus_memmap *map = rcu_dereference_protected(dom->memmap, 1);
	unsigned int i;

	for (i = 0; i < DOMUS_MAX_SLOTS; i++)
		domus_slot_release(dom, dom->slot_by_id[i]);
	for (i = 0; i < DOMUS_MAX_SPECIAL; i++)
		domus_special_release(&dom->special[i]);
	kfree(map);
	domus_gpt_free(&dom->gpt);
	cleanup_srcu_struct(&dom->srcu);
	kvfree(dom->cpuid);
	dom->pers->domain_free(dom);
	if (dom->hw_held)
		domus_hw_put();
	mmdrop(dom->mm);
	kfree(dom);
	atomic64_dec(&domus_live.domains);
	module_put(THIS_MODULE);
}

void domus_domain_put(struct domus_domain *dom)
{
	if (refcount_dec_and_test(&dom->refs))
		domus_domain_free(dom);
}

/* --- guest-physical memory access ------------------------------------ */

static struct domus_slot *domus_find_slot(struct domus_domain *dom, u64 gfn)
{
	struct domus_memmap *map = srcu_dereference(dom->memmap, &dom->srcu);
	unsigned int i;

	for (i = 0; i < map->nslots; i++) {
		struct domus_slot *s = map->slots[i];

		if (gfn >= s->gfn && gfn - s->gfn < s->npages)
			return s;
	}
	return NULL;
}

/*
 * The special page at @gfn, or NULL.  Lockless: an entry's page stays
 * valid for SRCU readers (unmapping waits for them before dropping it).
 */
static struct page *domus_special_find(struct domus_domain *dom, u64 gfn)
{
	unsigned int i;

	for (i = 0; i < DOMUS_MAX_SPECIAL; i++)
		if (READ_ONCE(dom->special[i].gfn) == gfn)
			return READ_ONCE(dom->special[i].page);
	return NULL;
}

struct page *domus_gfn_get_page(struct domus_domain *dom, u64 gfn)
{
	struct domus_slot *s = domus_find_slot(dom, gfn);
	struct page *page;

	if (!s) {
		page = domus_special_find(dom, gfn);
		if (page)
			get_page(page);
		return page;
	}
	if (s->flags & DOMUS_SLOT_READONLY)
		return NULL;
	page = READ_ONCE(s->pages[gfn - s->gfn]);
	if (page)
		get_page(page);	/* before the release's SRCU wait ends */
	return page;
}

bool domus_gpa_is_ram(struct domus_domain *dom, u64 gpa, bool *readonly)
{
	struct domus_slot *s = domus_find_slot(dom, gpa >> PAGE_SHIFT);

	if (!s) {
		*readonly = false;
		return domus_special_find(dom, gpa >> PAGE_SHIFT) != NULL;
	}
	*readonly = s->flags & DOMUS_SLOT_READONLY;
	return READ_ONCE(s->pages[(gpa >> PAGE_SHIFT) - s->gfn]) != NULL;
}

/* --- special pages (outside the slots) ------------------------------------ */

/*
 * Remove the leaves of [gfn, gfn + npages); every vCPU leaves guest mode
 * and flushes before it re-enters; then the table pages left empty go.
 */
void domus_dom_flush(struct domus_domain *dom) __must_hold(&dom->lock)
{
	atomic64_inc(&dom->tlb_gen);
	domus_vcpu_kick_all(dom, true);
	domus_gpt_reap(&dom->gpt);
}

static void domus_unmap_flush(struct domus_domain *dom, u64 gfn, u64 npages)
	__must_hold(&dom->lock)
{
	domus_gpt_unmap_range(&dom->gpt, gfn, npages);
	domus_dom_flush(dom);
}

struct domus_slot *domus_slot_of_locked(struct domus_domain *dom, u64 gfn)
	__must_hold(&dom->lock)
{
	unsigned int i;

	for (i = 0; i < DOMUS_MAX_SLOTS; i++) {
		struct domus_slot *s = dom->slot_by_id[i];

		if (s && gfn >= s->gfn && gfn - s->gfn < s->npages)
			return s;
	}
	return NULL;
}

/* Remove entry @sp's leaf and make every vCPU flush before it re-enters. */
static void domus_special_unmap_leaf(struct domus_domain *dom, struct domus_special_page *sp)
	__must_hold(&dom->lock)
{
	u64 gfn = sp->gfn;

	if (gfn == DOMUS_GFN_NONE)
		return;
	WRITE_ONCE(sp->gfn, DOMUS_GFN_NONE);
	domus_unmap_flush(dom, gfn, 1);
}

int domus_special_map(struct domus_domain *dom, unsigned int idx, struct page *page, u64 gfn)
{
	struct domus_special_page *sp;
	unsigned int i;
	int ret;

	if (idx >= DOMUS_MAX_SPECIAL || gfn >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT) || !page)
		return -EINVAL;
	mutex_lock(&dom->lock);
	sp = &dom->special[idx];
	if (sp->page && sp->page != page) {
		ret = -EBUSY;		/* one page per entry for its life */
		goto out;
	}
	if (sp->gfn == gfn) {
		ret = 0;
		goto out;
	}
	ret = -EEXIST;
	if (domus_slot_of_locked(dom, gfn))
		goto out;
	for (i = 0; i < DOMUS_MAX_SPECIAL; i++)
		if (dom->special[i].gfn == gfn)
			goto out;
	domus_special_unmap_leaf(dom, sp);	/* a move */
	ret = domus_gpt_map_page(&dom->gpt, gfn, page, true);
	if (ret)
		goto out;
	if (!sp->page) {
		get_page(page);
		sp->page = page;
		atomic64_inc(&domus_live.pinned_pages);
	}
	/* the leaf exists before lookups can see the frame */
	smp_wmb();
	WRITE_ONCE(sp->gfn, gfn);
out:
	mutex_unlock(&dom->lock);
	return ret;
}

u64 domus_special_gfn(struct domus_domain *dom, unsigned int idx)
{
	if (idx >= DOMUS_MAX_SPECIAL)
		return DOMUS_GFN_NONE;
	return READ_ONCE(dom->special[idx].gfn);
}

void domus_special_unmap(struct domus_domain *dom, unsigned int idx)
{
	struct domus_special_page *sp;
	struct page *page;

	if (idx >= DOMUS_MAX_SPECIAL)
		return;
	mutex_lock(&dom->lock);
	sp = &dom->special[idx];
	domus_special_unmap_leaf(dom, sp);
	page = sp->page;
	sp->page = NULL;
	mutex_unlock(&dom->lock);
	if (page) {
		synchronize_srcu(&dom->srcu);	/* lockless readers are done */
		put_page(page);
		atomic64_dec(&domus_live.pinned_pages);
	}
}

static int domus_access_gpa(struct domus_domain *dom, u64 gpa, void *buf,
			    unsigned int len, bool write)
{
	while (len) {
		unsigned int off = offset_in_page(gpa);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		struct domus_slot *s = domus_find_slot(dom, gpa >> PAGE_SHIFT);
		struct page *page;
		void *va;

		if (s) {
			if (write && (s->flags & DOMUS_SLOT_READONLY))
				return -EFAULT;
			page = READ_ONCE(s->pages[(gpa >> PAGE_SHIFT) - s->gfn]);
			if (!page)
				return -EFAULT;	/* given back by the guest */
			if (write)
				domus_dirty_mark(s, gpa >> PAGE_SHIFT);
		} else {
			page = domus_special_find(dom, gpa >> PAGE_SHIFT);
			if (!page)
				return -EFAULT;
		}
		va = kmap_local_page(page);
		if (write)
			memcpy(va + off, buf, n);
		else
			memcpy(buf, va + off, n);
		kunmap_local(va);
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int domus_read_gpa(struct domus_domain *dom, u64 gpa, void *buf, unsigned int len)
{
	return domus_access_gpa(dom, gpa, buf, len, false);
}

int domus_write_gpa(struct domus_domain *dom, u64 gpa, const void *buf, unsigned int len)
{
	return domus_access_gpa(dom, gpa, (void *)buf, len, true);
}

/* --- slots ------------------------------------------------------------ */

static int domus_publish_memmap(struct domus_domain *dom)
{
	struct domus_memmap *old = rcu_dereference_protected(dom->memmap,
						lockdep_is_held(&dom->lock));
	struct domus_memmap *map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	unsigned int i;

	if (!map)
		return -ENOMEM;
	for (i = 0; i < DOMUS_MAX_SLOTS; i++)
		if (dom->slot_by_id[i])
			map->slots[map->nslots++] = dom->slot_by_id[i];
	rcu_assign_pointer(dom->memmap, map);
	synchronize_srcu(&dom->srcu);
	kfree(old);
	return 0;
}

static int domus_slot_delete(struct domus_domain *dom, u32 id)
{
	struct domus_slot *slot = dom->slot_by_id[id];
	int ret;

	if (!slot)
		return -ENOENT;
	dom->slot_by_id[id] = NULL;
	ret = domus_publish_memmap(dom);
	if (ret) {
		dom->slot_by_id[id] = slot;
		return ret;
	}
	domus_unmap_flush(dom, slot->gfn, slot->npages);
	dom->pinned_pages -= slot->npages - slot->absent;
	if (slot->dirty)
		dom->dirty_slots--;
	domus_slot_release(dom, slot);
	return 0;
}

static int domus_slot_add(struct domus_domain *dom, const struct domus_mem_slot *a)
{
	u64 npages = a->size >> PAGE_SHIFT;
	u64 gfn = a->gpa >> PAGE_SHIFT;
	unsigned int gup_flags = FOLL_LONGTERM;
	struct domus_slot *slot;
	long pinned = 0;
	unsigned int i;
	int ret;

	if (a->size > DOMUS_MAX_SLOT_BYTES)
		return -E2BIG;
	if (a->gpa >= DOMUS_GPA_LIMIT || a->size > DOMUS_GPA_LIMIT - a->gpa)
		return -EINVAL;
	if (!access_ok((void __user *)(unsigned long)a->uaddr, a->size))
		return -EFAULT;
	for (i = 0; i < DOMUS_MAX_SLOTS; i++) {
		struct domus_slot *s = dom->slot_by_id[i];

		if (s && gfn < s->gfn + s->npages && s->gfn < gfn + npages)
			return -EEXIST;
	}
	for (i = 0; i < DOMUS_MAX_SPECIAL; i++) {
		u64 sg = dom->special[i].gfn;

		if (sg != DOMUS_GFN_NONE && sg >= gfn && sg - gfn < npages)
			return -EEXIST;
	}

	/* No overcommit, as Xen: pinned guest memory stays within RAM. */
	ret = domus_mem_charge(dom, npages);
	if (ret)
		return ret;
	ret = -ENOMEM;
	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		goto uncharge;
	slot->id = a->slot;
	slot->flags = a->flags;
	slot->gfn = gfn;
	slot->npages = npages;
	slot->uaddr = a->uaddr;
	slot->pages = kvmalloc_array(npages, sizeof(*slot->pages), GFP_KERNEL_ACCOUNT);
	if (!slot->pages)
		goto free_slot;
	if (!(a->flags & DOMUS_SLOT_READONLY))
		gup_flags |= FOLL_WRITE;
	while (pinned < npages) {
		long n = pin_user_pages_fast(a->uaddr + (pinned << PAGE_SHIFT),
					     min_t(u64, npages - pinned, 512),
					     gup_flags, slot->pages + pinned);
		if (n <= 0) {
			ret = n ? (int)n : -EFAULT;
			goto unpin;
		}
		pinned += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto unpin;
		}
		cond_resched();
	}

	ret = domus_gpt_map_slot(&dom->gpt, slot);
	if (!ret) {
		dom->slot_by_id[a->slot] = slot;
		ret = domus_publish_memmap(dom);
		if (!ret) {
			dom->pinned_pages += npages;
			return 0;
		}
		dom->slot_by_id[a->slot] = NULL;
	}
	/* vCPUs may have walked the new entries: flush before unpinning */
	domus_unmap_flush(dom, slot->gfn, slot->npages);
unpin:
	unpin_user_pages(slot->pages, pinned);
	kvfree(slot->pages);
free_slot:
	kfree(slot);
uncharge:
	domus_mem_uncharge(dom, npages);
	return ret;
}

static long domus_dom_set_slot(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_mem_slot *a = arg;
	int ret;

	if (!domus_all_zero(a->reserved, sizeof(a->reserved)) ||
	    (a->flags & ~DOMUS_SLOT_READONLY) || a->slot >= DOMUS_MAX_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(a->gpa) || !PAGE_ALIGNED(a->size) || !PAGE_ALIGNED(a->uaddr))
		return -EINVAL;

	mutex_lock(&dom->lock);
	if (a->size == 0)
		ret = domus_slot_delete(dom, a->slot);
	else if (dom->slot_by_id[a->slot])
		ret = -EEXIST;
	else
		ret = domus_slot_add(dom, a);
	mutex_unlock(&dom->lock);
	return ret;
}

/* --- CPUID table ------------------------------------------------------- */

static long domus_dom_set_cpuid(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_cpuid *a = arg;
	struct domus_cpuid_entry *e = NULL, *old;
	unsigned int i;

	if (!domus_all_zero(a->reserved, sizeof(a->reserved)) || a->reserved0 ||
	    a->nent > DOMUS_MAX_CPUID_ENTRIES)
		return -EINVAL;
	if (a->nent) {
		e = vmemdup_user(u64_to_user_ptr(a->entries), a->nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
		for (i = 0; i < a->nent; i++) {
			if (e[i].reserved || (e[i].flags & ~DOMUS_CPUID_INDEXED)) {
				kvfree(e);
				return -EINVAL;
			}
		}
	}
	mutex_lock(&dom->lock);
	if (dom->nvcpus) {
		/* vCPUs read the table without locks: fixed once they exist */
		mutex_unlock(&dom->lock);
		kvfree(e);
		return -EBUSY;
	}
	old = dom->cpuid;
	dom->cpuid = e;
	dom->ncpuid = a->nent;
	mutex_unlock(&dom->lock);
	kvfree(old);
	return 0;
}

/* --- the domain fd ------------------------------------------------------ */

static long domus_dom_create_vcpu(void *ctx, void *arg, unsigned long raw)
{
	return domus_create_vcpu(ctx, arg);
}

static long domus_dom_set_mem_limit(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_mem_limit *a = arg;

	if (!domus_all_zero(a->reserved, sizeof(a->reserved)) ||
	    a->max_pages > (DOMUS_GPA_LIMIT >> PAGE_SHIFT))
		return -EINVAL;
	mutex_lock(&dom->lock);
	dom->max_pages = a->max_pages;
	mutex_unlock(&dom->lock);
	return 0;
}

static long domus_dom_get_stats(void *ctx, void *arg, unsigned long raw)
{
	struct domus_domain *dom = ctx;
	struct domus_domain_stats *st = arg;
	unsigned int i;

	if (!domus_all_zero(st->reserved, sizeof(st->reserved)))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	for (i = 0; i < DOMUS_STAT_MAX; i++)
		st->stat[i] = atomic64_read(&dom->stat[i]);
	mutex_lock(&dom->lock);
	st->pinned_pages = dom->pinned_pages;
	st->npt_pages = dom->gpt.pages;
	st->vcpus = dom->nvcpus;
	for (i = 0; i < DOMUS_MAX_SLOTS; i++)
		st->slots += !!dom->slot_by_id[i];
	mutex_unlock(&dom->lock);
	return 0;
}

static const struct domus_ioctl_desc domus_dom_ioctls[] = {
	DOMUS_IOCTL_ENTRY(DOMUS_SET_MEM_SLOT, domus_dom_set_slot),
	DOMUS_IOCTL_ENTRY(DOMUS_CREATE_VCPU, domus_dom_create_vcpu),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_CPUID, domus_dom_set_cpuid),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_STATS, domus_dom_get_stats),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_MEM_LIMIT, domus_dom_set_mem_limit),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_DIRTY_LOG, domus_dom_set_dirty_log),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_DIRTY_LOG, domus_dom_get_dirty_log),
};

/* The core's commands first, then the personality's own table. */
static long domus_dom_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct domus_domain *dom = filp->private_data;
	const struct domus_ioctl_desc *d;

	/* A domain belongs to the process that created it (its memory). */
	if (current->mm != dom->mm)
		return -EIO;
	d = domus_ioctl_find(domus_dom_ioctls, ARRAY_SIZE(domus_dom_ioctls), cmd);
	if (!d)
		d = domus_ioctl_find(dom->pers->ioctls, dom->pers->nioctls, cmd);
	if (!d)
		return -ENOTTY;
	return domus_ioctl_call(d, dom, cmd, arg);
}

static int domus_dom_release(struct inode *inode, struct file *filp)
{
	domus_domain_put(filp->private_data);
	return 0;
}

static int domus_dom_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct domus_domain *dom = filp->private_data;

	if (current->mm != dom->mm)
		return -EIO;
	return dom->pers->mmap(dom, vma);
}

static const struct file_operations domus_dom_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= domus_dom_ioctl,
	.mmap		= domus_dom_mmap,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= domus_dom_release,
	.llseek		= noop_llseek,
};

/* Domain identities for the IBPB on a domain switch (spec_host.h); 0 is none. */
static atomic64_t domus_spec_ids;

int domus_create_domain(const struct domus_create_domain *arg)
{
	const struct domus_personality *pers = domus_pers_lookup(arg->flags);
	struct domus_domain *dom;
	struct domus_memmap *map;
	unsigned int i;
	int ret;

	if (IS_ERR(pers))
		return PTR_ERR(pers);
	if (!domus_all_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!dom || !map) {
		kfree(dom);
		kfree(map);
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	atomic64_inc(&domus_live.domains);
	refcount_set(&dom->refs, 1);
	dom->spec_id = atomic64_inc_return(&domus_spec_ids);
	dom->pers = pers;
	for (i = 0; i < DOMUS_MAX_SPECIAL; i++)
		dom->special[i].gfn = DOMUS_GFN_NONE;
	mutex_init(&dom->lock);
	RCU_INIT_POINTER(dom->memmap, map);
	dom->mm = current->mm;
	mmgrab(dom->mm);
	ret = init_srcu_struct(&dom->srcu);
	if (ret) {
		mmdrop(dom->mm);
		kfree(map);
		kfree(dom);
		atomic64_dec(&domus_live.domains);
		module_put(THIS_MODULE);
		return ret;
	}
	/* from here on domus_domain_free() undoes everything */
	ret = domus_gpt_init(&dom->gpt);
	if (ret)
		goto fail;
	ret = pers->domain_init(dom);
	if (ret)
		goto fail;
	ret = domus_hw_get();
	if (ret)
		goto fail;
	dom->hw_held = true;

	ret = anon_inode_getfd("domus-domain", &domus_dom_fops, dom, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto fail;
	return ret;
fail:
	domus_domain_free(dom);
	return ret;
}
