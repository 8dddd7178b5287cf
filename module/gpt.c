// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested page tables: guest-physical to host-physical, four levels of
 * 512 entries (48-bit guest-physical space).  The entry bits come from the
 * backend (NPT and EPT differ); the shape is the same.
 *
 * Mappings are built eagerly when a slot is added, since slot pages are
 * pinned for the slot's life; 2 MiB leaves are used wherever 512 pinned
 * pages are physically contiguous and aligned.  A frame the guest gives
 * back (reserve.c) first has its 2 MiB leaf split into 4 KiB leaves.  Updates are serialized by
 * the domain lock; the hardware walks the tables concurrently, so entries
 * are written whole.
 *
 * A table that an unmap leaves empty is unlinked from its parent at once
 * and freed by domus_gpt_reap() once every vCPU has flushed (its walker
 * may still cache the link until then).  So the table pages in use are
 * always those the present mappings need, at most 1 + 3 per mapped leaf
 * however often slots come and go.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/io.h>
#include "core.h"

#define GPT_ENTRIES	512
#define GPT_ADDR_MASK	0x000ffffffffff000ULL
#define GPT_PS		(1ULL << 7)	/* large leaf, same bit in NPT and EPT */

static u64 *gpt_alloc_table(struct domus_gpt *gpt)
{
	struct page *pg = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!pg)
		return NULL;
	gpt->pages++;
	atomic64_inc(&domus_live.npt_pages);
	return page_address(pg);
}

static void gpt_free_table(struct domus_gpt *gpt, u64 *table)
{
	free_page((unsigned long)table);
	gpt->pages--;
	atomic64_dec(&domus_live.npt_pages);
}

int domus_gpt_init(struct domus_gpt *gpt)
{
	gpt->pages = 0;
	INIT_LIST_HEAD(&gpt->retired);
	gpt->root = gpt_alloc_table(gpt);
	return gpt->root ? 0 : -ENOMEM;
}

static void gpt_free_level(struct domus_gpt *gpt, u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < GPT_ENTRIES; i++) {
			u64 e = table[i];

			if (e && !(e & GPT_PS))
				gpt_free_level(gpt, __va(e & GPT_ADDR_MASK), level - 1);
		}
	}
	gpt_free_table(gpt, table);
}

/* Free the tables unlinked by unmaps; every vCPU has flushed since. */
void domus_gpt_reap(struct domus_gpt *gpt)
{
	struct page *pg, *tmp;

	list_for_each_entry_safe(pg, tmp, &gpt->retired, lru) {
		list_del(&pg->lru);
		gpt_free_table(gpt, page_address(pg));
	}
}

void domus_gpt_free(struct domus_gpt *gpt)
{
	domus_gpt_reap(gpt);
	if (gpt->root)
		gpt_free_level(gpt, gpt->root, 4);
	gpt->root = NULL;
}

static int gpt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (GPT_ENTRIES - 1);
}

/*
 * Find the entry for @gpa at @target level (1 = 4K, 2 = 2M), allocating
 * tables on the way if @alloc.  Returns NULL if absent (or on -ENOMEM with
 * @alloc), or if a large leaf sits above the target level.
 */
static u64 *gpt_walk(struct domus_gpt *gpt, u64 gpa, int target, bool alloc)
{
	u64 *table = gpt->root;
	int level;

	for (level = 4; level > target; level--) {
		u64 *e = &table[gpt_index(gpa, level)];
		u64 v = READ_ONCE(*e);

		if (!v) {
			u64 *next;

			if (!alloc)
				return NULL;
			next = gpt_alloc_table(gpt);
			if (!next)
				return NULL;
			WRITE_ONCE(*e, __pa(next) | domus_arch->gpt_table_bits);
			table = next;
			continue;
		}
		if (v & GPT_PS)
			return NULL;
		table = __va(v & GPT_ADDR_MASK);
	}
	return &table[gpt_index(gpa, target)];
}

static bool gpt_can_map_large(struct domus_slot *slot, u64 i)
{
	u64 gfn = slot->gfn + i;
	unsigned long pfn0;
	u64 j;

	if ((gfn & (GPT_ENTRIES - 1)) || i + GPT_ENTRIES > slot->npages)
		return false;
	if (!(domus_hw.features & DOMUS_FEAT_LARGE_PAGES))
		return false;
	pfn0 = page_to_pfn(slot->pages[i]);
	if (pfn0 & (GPT_ENTRIES - 1))
		return false;
	for (j = 1; j < GPT_ENTRIES; j++)
		if (page_to_pfn(slot->pages[i + j]) != pfn0 + j)
			return false;
	return true;
}

int domus_gpt_map_slot(struct domus_gpt *gpt, struct domus_slot *slot)
{
	bool writable = !(slot->flags & DOMUS_SLOT_READONLY);
	u64 i = 0;

	while (i < slot->npages) {
		u64 gpa = (slot->gfn + i) << PAGE_SHIFT;
		bool large = gpt_can_map_large(slot, i);
		u64 *e = gpt_walk(gpt, gpa, large ? 2 : 1, true);

		if (!e)
			return -ENOMEM;	/* the caller unmaps the slot's range */
		WRITE_ONCE(*e, page_to_phys(slot->pages[i]) |
			   domus_arch->gpt_leaf_bits(writable, large) |
			   (large ? GPT_PS : 0));
		i += large ? GPT_ENTRIES : 1;
		cond_resched();
	}
	return 0;
}

/*
 * Clear the entries of @table (at @level) covering [gfn, end), descending
 * into lower tables and unlinking those left empty (to gpt->retired).
 * True when @table itself is empty afterwards.
 */
static bool gpt_clear(struct domus_gpt *gpt, u64 *table, int level, u64 gfn, u64 end)
{
	unsigned int shift = 9 * (level - 1);	/* gfns per entry: 1 << shift */

	while (gfn < end) {
		u64 *e = &table[(gfn >> shift) & (GPT_ENTRIES - 1)];
		u64 next = ((gfn >> shift) + 1) << shift;
		u64 v = *e;

		if (v && (level == 1 || (v & GPT_PS))) {
			WRITE_ONCE(*e, 0);
		} else if (v) {
			u64 *child = __va(v & GPT_ADDR_MASK);

			if (gpt_clear(gpt, child, level - 1, gfn, min(next, end))) {
				WRITE_ONCE(*e, 0);
				list_add(&virt_to_page(child)->lru, &gpt->retired);
			}
		}
		gfn = next;
	}
	if (level == 2)
		cond_resched();		/* every 1 GiB of guest-physical space */
	return !memchr_inv(table, 0, PAGE_SIZE);
}

/*
 * Clear the leaves covering [gfn, gfn + npages) and unlink the tables
 * that become empty.  Callers make every vCPU flush, then call
 * domus_gpt_reap().
 */
void domus_gpt_unmap_range(struct domus_gpt *gpt, u64 gfn, u64 npages)
{
	if (npages)
		gpt_clear(gpt, gpt->root, 4, gfn, gfn + npages);
}

/* One writable or read-only 4 KiB leaf at @gfn (a frame outside every slot). */
int domus_gpt_map_page(struct domus_gpt *gpt, u64 gfn, struct page *page, bool writable)
{
	u64 *e = gpt_walk(gpt, gfn << PAGE_SHIFT, 1, true);

	if (!e)
		return -ENOMEM;
	WRITE_ONCE(*e, page_to_phys(page) | domus_arch->gpt_leaf_bits(writable, false));
	return 0;
}

/*
 * If a 2 MiB leaf covers @gfn, replace it by a table of the same 512
 * 4 KiB leaves (one entry write: the walker sees either form, both map
 * the same frames), so that single frames can then be unmapped.
 */
int domus_gpt_split(struct domus_gpt *gpt, u64 gfn, bool writable)
{
	u64 *e = gpt_walk(gpt, gfn << PAGE_SHIFT, 2, false);
	u64 v, base, *t;
	int j;

	if (!e)
		return 0;
	v = READ_ONCE(*e);
	if (!(v & GPT_PS))
		return 0;
	t = gpt_alloc_table(gpt);
	if (!t)
		return -ENOMEM;
	base = v & GPT_ADDR_MASK & ~((u64)GPT_ENTRIES * PAGE_SIZE - 1);
	for (j = 0; j < GPT_ENTRIES; j++)
		t[j] = (base + ((u64)j << PAGE_SHIFT)) | domus_arch->gpt_leaf_bits(writable, false);
	WRITE_ONCE(*e, __pa(t) | domus_arch->gpt_table_bits);
	return 0;
}

/*
 * Make the present leaf covering @gfn writable or read-only (dirty
 * logging).  Only the permission bit changes, in one entry write; a leaf
 * made read-only stays usable by a vCPU until it flushes (the caller's
 * job).  -ENOENT if no leaf maps @gfn.
 */
int domus_gpt_protect(struct domus_gpt *gpt, u64 gfn, bool writable)
{
	u64 gpa = gfn << PAGE_SHIFT;
	u64 *e = gpt_walk(gpt, gpa, 1, false);
	bool large = false;
	u64 v, w;

	if (!e) {
		e = gpt_walk(gpt, gpa, 2, false);
		if (!e || !(READ_ONCE(*e) & GPT_PS))
			return -ENOENT;
		large = true;
	}
	v = READ_ONCE(*e);
	if (!v)
		return -ENOENT;
	w = domus_arch->gpt_leaf_bits(true, large) ^ domus_arch->gpt_leaf_bits(false, large);
	WRITE_ONCE(*e, writable ? v | w : v & ~w);
	return 0;
}
