// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz -b: hostile XENMEM_decrease_reservation / populate_physmap
 * calls, each with the answer domus must give (docs/pv.md, "Ballooning"):
 * other domains, orders, flags, bad list pointers, frames outside RAM,
 * huge counts, frames given twice; and one real round trip of a page of
 * this process (given back, taken again: it comes back zeroed).  One
 * "DOMUS-BALLOON: ok|FAIL NAME ..." line per check; returns the failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "hcfuzz.h"

#define XENMEM_decrease_reservation	1
#define XENMEM_populate_physmap		6

struct reservation {
	uint64_t extent_start;
	uint64_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;
	uint16_t domid;
	uint16_t pad[3];
};

static int failures;

static void check(const char *name, long got, long want)
{
	if (got == want) {
		say("DOMUS-BALLOON: ok %s", name);
	} else {
		say("DOMUS-BALLOON: FAIL %s: got %ld, want %ld", name, got, want);
		failures++;
	}
}

static long memop(int cmd, uint64_t list, uint64_t n, uint32_t order, uint32_t flags, uint16_t dom)
{
	struct reservation *r = (struct reservation *)(ctl + 1024);

	memset(r, 0, sizeof(*r));
	r->extent_start = list;
	r->nr_extents = n;
	r->extent_order = order;
	r->mem_flags = flags;
	r->domid = dom;
	return hcall(HC_memory_op, cmd, (uintptr_t)r, 0, 0, 0);
}

static uint64_t gfn_of(void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / PG * 8) != 8)
		e = 0;
	close(fd);
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

int balloon_hostile(void)
{
	uint64_t *list = (uint64_t *)buf;	/* 16 pages: room for 8192 frames */
	uint8_t *page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	const int D = XENMEM_decrease_reservation, P = XENMEM_populate_physmap;
	uint64_t gfn, i;
	int j, zero = 1;

	/* privcmd calls run at CPL 0: a list in kernel memory would be read;
	 * only user pointers that fault are used here */
	if (page == MAP_FAILED || mlock(page, PG) || mprotect(buf + BUF_PAGES * PG, PG, PROT_NONE)) {
		say("DOMUS-BALLOON: FAIL setup: %s", strerror(errno));
		return 1;
	}
	memset(page, 0x5a, PG);
	gfn = gfn_of(page);
	if (!gfn) {
		say("DOMUS-BALLOON: FAIL setup: no frame for the test page in /proc/self/pagemap");
		return 1;
	}
	say("DOMUS-BALLOON: test page at gfn %#" PRIx64, gfn);

	/* arguments refused before any work */
	list[0] = gfn;
	check("other-domain", memop(D, (uintptr_t)list, 1, 0, 0, 5), -EPERM);
	check("domid-0", memop(P, (uintptr_t)list, 1, 0, 0, 0), -EPERM);
	check("order-10", memop(D, (uintptr_t)list, 1, 10, 0, DOMID_SELF), -EINVAL);
	check("order-63", memop(P, (uintptr_t)list, 1, 63, 0, DOMID_SELF), -EINVAL);
	check("order-2^32-1", memop(D, (uintptr_t)list, 1, 0xffffffffu, 0, DOMID_SELF), -EINVAL);
	check("mem-flags", memop(D, (uintptr_t)list, 1, 0, 1u << 16, DOMID_SELF), -EINVAL);
	check("list-null", memop(D, 0, 1, 0, 0, DOMID_SELF), -EFAULT);
	check("list-noncanonical", memop(P, 0x8000000000000000ULL, 4, 0, 0, DOMID_SELF), -EFAULT);
	check("list-past-guard", memop(D, (uintptr_t)buf + BUF_PAGES * PG - 8, 2, 0, 0, DOMID_SELF), -EFAULT);
	check("zero-extents", memop(D, 0, 0, 0, 0, DOMID_SELF), 0);

	/* frames that are not this guest's RAM: nothing done */
	for (i = 0; i < 8192; i++)
		list[i] = (1ULL << 40) + i;
	check("gfn-beyond-ram", memop(D, (uintptr_t)list, 1, 0, 0, DOMID_SELF), 0);
	list[0] = ~0ULL;
	check("gfn-all-ones", memop(D, (uintptr_t)list, 1, 0, 0, DOMID_SELF), 0);
	list[0] = 0xfeff0;	/* the loader's special area is not given back by order 9 */
	check("order-9-unaligned", memop(D, (uintptr_t)list, 1, 9, 0, DOMID_SELF), 0);
	list[0] = gfn | 1;
	check("order-1-unaligned", memop(D, (uintptr_t)list, 1, 1, 0, DOMID_SELF), 0);
	list[0] = (1ULL << 40);
	check("huge-count-decrease", memop(D, (uintptr_t)list, 1ULL << 62, 0, 0, DOMID_SELF), 0);
	check("huge-count-populate", memop(P, (uintptr_t)list, ~0ULL, 0, 0, DOMID_SELF), 0);
	check("populate-beyond-ram", memop(P, (uintptr_t)list, 8192, 0, 0, DOMID_SELF), 0);
	list[0] = gfn;
	check("populate-present", memop(P, (uintptr_t)list, 1, 0, 0, DOMID_SELF), 0);
	list[0] = gfn & ~511ULL;
	check("populate-present-order-9", memop(P, (uintptr_t)list, 1, 9, 0, DOMID_SELF), 0);

	/* a real round trip, the frame listed twice: once each way */
	list[0] = list[1] = gfn;
	check("decrease-own-page", memop(D, (uintptr_t)list, 2, 0, 0, DOMID_SELF), 1);
	check("decrease-again", memop(D, (uintptr_t)list, 1, 0, 0, DOMID_SELF), 0);
	check("populate-own-page", memop(P, (uintptr_t)list, 2, 0, 0, DOMID_SELF), 1);
	for (j = 0; j < (int)PG; j++)
		zero &= page[j] == 0;
	check("populated-page-zeroed", zero, 1);
	memset(page, 0xa5, PG);
	check("populated-page-writable", page[PG - 1], 0xa5);
	say("DOMUS-BALLOON: done, %d failed", failures);
	munlock(page, PG);
	munmap(page, PG);
	return failures;
}
