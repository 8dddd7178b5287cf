// SPDX-License-Identifier: MIT
/*
 * The back ends' grant access (see backend.h): each use of a grant entry
 * is validated against the entry as it is at that moment.
 */
#include "backend.h"

int64_t be_grant_get(const struct be_mem *m, uint32_t ref, bool to_guest)
{
	uint32_t *word, old, want;
	uint64_t frame;
	int tries;

	if (!m->gnt || ref >= m->gnt_entries)
		return -1;
	/* flags (low 16 bits) and domid (high 16 bits) as one word */
	word = (uint32_t *)&m->gnt[ref];
	old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	for (tries = 0; tries < 4; tries++) {
		uint16_t flags = (uint16_t)old, dom = (uint16_t)(old >> 16);

		if ((flags & XEN_GTF_TYPE_MASK) != XEN_GTF_PERMIT_ACCESS || dom != m->domid)
			return -1;
		if (to_guest && (flags & XEN_GTF_READONLY))
			return -1;
		want = old | XEN_GTF_READING | (to_guest ? XEN_GTF_WRITING : 0);
		if (__atomic_compare_exchange_n(word, &old, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	if (tries == 4)
		return -1;	/* the guest keeps changing it */
	frame = __atomic_load_n(&m->gnt[ref].frame, __ATOMIC_ACQUIRE);
	if (frame >= m->ram_size / 4096) {
		be_grant_put(m, ref);
		return -1;
	}
	return (int64_t)frame;
}

void be_grant_put(const struct be_mem *m, uint32_t ref)
{
	if (m->gnt && ref < m->gnt_entries)
		__atomic_fetch_and((uint32_t *)&m->gnt[ref], ~(uint32_t)(XEN_GTF_READING | XEN_GTF_WRITING),
				   __ATOMIC_RELEASE);
}
