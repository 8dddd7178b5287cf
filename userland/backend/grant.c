// SPDX-License-Identifier: MIT
/*
 * The back ends' grant access (see backend.h): each use of a grant entry
 * is validated against the entry as it is at that moment, in the layout
 * the guest's table has at that moment (v1 or v2, docs/abi.md "Grant
 * table").
 *
 * The version is read from the module's control page before the entry
 * and again after the in-use bits are set: domus publishes version 0
 * before it looks for in-use bits on a switch, so either this side sees
 * the change (and undoes its bits) or the switch sees the bits (and is
 * refused).  A guest clearing the bits itself and switching while a
 * grant is held only makes be_grant_put() clear bits of its new table.
 */
#include "backend.h"

/* the in-use bits a grant holds while the back end uses it */
static uint16_t in_use_bits(bool to_guest)
{
	return (uint16_t)(XEN_GTF_READING | (to_guest ? XEN_GTF_WRITING : 0));
}

static uint32_t gnt_version(const struct be_mem *m)
{
	return m->gnt_version ? __atomic_load_n(m->gnt_version, __ATOMIC_SEQ_CST) : 1;
}

/* Does the header word (flags | domid << 16) grant the page to us for this access? */
static bool hdr_grants(const struct be_mem *m, uint32_t hdr, bool to_guest, uint32_t version)
{
	uint16_t flags = (uint16_t)hdr, dom = (uint16_t)(hdr >> 16);

	if ((flags & XEN_GTF_TYPE_MASK) != XEN_GTF_PERMIT_ACCESS || dom != m->domid)
		return false;		/* transitive (type 3) and transfers too */
	if (to_guest && (flags & XEN_GTF_READONLY))
		return false;
	return version == 1 || !(flags & XEN_GTF_SUB_PAGE);	/* sub-page: refused */
}

static uint32_t *v1_word(const struct be_mem *m, uint32_t ref)
{
	return (uint32_t *)((uint8_t *)m->gnt + (size_t)ref * XEN_GNT_V1_SIZE);
}

static uint32_t *v2_word(const struct be_mem *m, uint32_t ref)
{
	return (uint32_t *)((uint8_t *)m->gnt + (size_t)ref * XEN_GNT_V2_SIZE);
}

/* v1: the bits go into the entry's flags with a compare-and-swap, as Xen does */
static bool v1_pin(const struct be_mem *m, uint32_t ref, bool to_guest)
{
	uint32_t *word = v1_word(m, ref), old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (!hdr_grants(m, old, to_guest, 1))
			return false;
		if (__atomic_compare_exchange_n(word, &old, old | in_use_bits(to_guest), false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			return true;
	}
	return false;	/* the guest keeps changing it */
}

/*
 * v2: the bits go into the grant's status word, then the header is read
 * again: the guest revokes by clearing flags and then reading the status,
 * so either it sees our bits or we see its revocation.
 */
static bool v2_pin(const struct be_mem *m, uint32_t ref, bool to_guest)
{
	uint32_t *word = v2_word(m, ref);
	uint16_t *st = &m->gnt_status[ref];

	if (!hdr_grants(m, __atomic_load_n(word, __ATOMIC_ACQUIRE), to_guest, 2))
		return false;
	__atomic_fetch_or(st, in_use_bits(to_guest), __ATOMIC_SEQ_CST);
	if (hdr_grants(m, __atomic_load_n(word, __ATOMIC_SEQ_CST), to_guest, 2))
		return true;
	__atomic_fetch_and(st, (uint16_t)~(XEN_GTF_READING | XEN_GTF_WRITING), __ATOMIC_RELEASE);
	return false;
}

/* Grants the table holds in @version's layout (0: none). */
static uint32_t gnt_count(const struct be_mem *m, uint32_t version)
{
	if (!m->gnt)
		return 0;
	if (version == 1)
		return m->gnt_entries;
	if (version == 2 && m->gnt_status)
		return m->gnt_entries / 2;
	return 0;
}

static void unpin(const struct be_mem *m, uint32_t ref, uint32_t version)
{
	if (ref >= gnt_count(m, version))
		return;
	if (version == 1)
		__atomic_fetch_and(v1_word(m, ref), ~(uint32_t)(XEN_GTF_READING | XEN_GTF_WRITING), __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&m->gnt_status[ref], (uint16_t)~(XEN_GTF_READING | XEN_GTF_WRITING),
				   __ATOMIC_RELEASE);
}

int64_t be_grant_get(const struct be_mem *m, uint32_t ref, bool to_guest)
{
	uint32_t version = gnt_version(m);
	uint64_t frame;

	if (ref >= gnt_count(m, version))
		return -1;	/* also: version 0 (switching) or unknown */
	if (!(version == 1 ? v1_pin(m, ref, to_guest) : v2_pin(m, ref, to_guest)))
		return -1;
	if (gnt_version(m) != version) {
		unpin(m, ref, version);	/* the table switched under us */
		return -1;
	}
	if (version == 1)
		frame = __atomic_load_n(&m->gnt[ref].frame, __ATOMIC_ACQUIRE);
	else
		frame = __atomic_load_n((uint64_t *)((uint8_t *)v2_word(m, ref) + 8), __ATOMIC_ACQUIRE);
	if (frame >= m->ram_size / 4096) {
		unpin(m, ref, version);
		return -1;
	}
	return (int64_t)frame;
}

void be_grant_put(const struct be_mem *m, uint32_t ref)
{
	unpin(m, ref, gnt_version(m));
}
