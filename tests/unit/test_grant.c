// SPDX-License-Identifier: MIT
/*
 * Unit tests for the back ends' grant access (userland/backend/grant.c)
 * in both table layouts, against a synthetic table laid out as the
 * module's mmap gives it (shared frames, v2 status words, the control
 * word with the version): every check of a v1 and a v2 entry, the in-use
 * bits (v1 in the entry, v2 in the status word), sub-page and transitive
 * v2 grants refused, the switching version 0 refused, and the switch
 * protocol against a thread that switches versions the way the module
 * does (no switch completes while the back end holds a grant; the table
 * is laid out so that a pin in a stale layout would succeed with a wrong
 * frame -- how often the threads overlap in that window depends on the
 * scheduler: without the re-check the test failed in some runs on a
 * loaded machine, not in all) and one
 * that switches without looking (nothing outside the table is touched,
 * every frame returned is guest RAM).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backend.h"
#include "unit.h"

#define PAGES	16
#define FRAMES	2			/* shared frames */
#define V1N	(FRAMES * 512)		/* v1 entries */
#define V2N	(FRAMES * 256)		/* v2 entries */

static uint8_t *ram;
static uint8_t *tab;			/* FRAMES pages of entries */
static uint16_t *status;		/* V2N status words */
static uint32_t version;
static struct be_mem mem;

static void setup(uint32_t ver)
{
	memset(tab, 0, FRAMES * 4096);
	memset(status, 0, V2N * 2);
	version = ver;
	mem = (struct be_mem){ .ram = ram, .ram_size = PAGES * 4096, .gnt = (struct xen_grant_entry *)tab,
			       .gnt_entries = V1N, .gnt_status = status, .gnt_version = &version, .domid = 0 };
}

static void v1_grant(uint32_t ref, uint16_t flags, uint16_t dom, uint32_t frame)
{
	struct xen_grant_entry *e = (struct xen_grant_entry *)tab + ref;

	e->flags = flags;
	e->domid = dom;
	e->frame = frame;
}

static void v2_grant(uint32_t ref, uint16_t flags, uint16_t dom, uint64_t frame)
{
	uint8_t *e = tab + (size_t)ref * 16;

	memcpy(e, &flags, 2);
	memcpy(e + 2, &dom, 2);
	memset(e + 4, 0, 4);
	memcpy(e + 8, &frame, 8);
}

static uint16_t v2_flags(uint32_t ref)
{
	uint16_t f;

	memcpy(&f, tab + (size_t)ref * 16, 2);
	return f;
}

static void test_v1(void)
{
	struct xen_grant_entry *e = (struct xen_grant_entry *)tab;

	setup(1);
	v1_grant(8, XEN_GTF_PERMIT_ACCESS, 0, 3);
	v1_grant(9, XEN_GTF_PERMIT_ACCESS | XEN_GTF_READONLY, 0, 4);
	v1_grant(10, XEN_GTF_PERMIT_ACCESS, 7, 5);		/* another domain */
	v1_grant(11, 3, 0, 5);					/* transitive type */
	v1_grant(12, XEN_GTF_PERMIT_ACCESS, 0, PAGES);		/* beyond RAM */
	v1_grant(V1N - 1, XEN_GTF_PERMIT_ACCESS, 0, 6);		/* last entry */
	EXPECT(be_grant_get(&mem, 8, true) == 3);
	EXPECT((e[8].flags & (XEN_GTF_READING | XEN_GTF_WRITING)) == (XEN_GTF_READING | XEN_GTF_WRITING));
	be_grant_put(&mem, 8);
	EXPECT(e[8].flags == XEN_GTF_PERMIT_ACCESS);
	EXPECT(be_grant_get(&mem, 9, false) == 4);
	EXPECT((e[9].flags & (XEN_GTF_READING | XEN_GTF_WRITING)) == XEN_GTF_READING);
	be_grant_put(&mem, 9);
	EXPECT(be_grant_get(&mem, 9, true) == -1);
	EXPECT(be_grant_get(&mem, 10, false) == -1);
	EXPECT(be_grant_get(&mem, 11, false) == -1);
	EXPECT(be_grant_get(&mem, 12, false) == -1);
	EXPECT(!(e[12].flags & XEN_GTF_READING));		/* released again */
	EXPECT(be_grant_get(&mem, V1N - 1, false) == 6);
	be_grant_put(&mem, V1N - 1);
	EXPECT(be_grant_get(&mem, V1N, false) == -1);
	EXPECT(be_grant_get(&mem, UINT32_MAX, false) == -1);
	be_grant_put(&mem, UINT32_MAX);				/* ignored */
	/* no control word: v1 */
	mem.gnt_version = NULL;
	EXPECT(be_grant_get(&mem, 8, false) == 3);
	be_grant_put(&mem, 8);
	EXPECT(e[8].flags == XEN_GTF_PERMIT_ACCESS);
	/* the sub-page bit means nothing in v1 */
	v1_grant(13, XEN_GTF_PERMIT_ACCESS | XEN_GTF_SUB_PAGE, 0, 2);
	EXPECT(be_grant_get(&mem, 13, false) == 2);
	be_grant_put(&mem, 13);
}

static void test_v2(void)
{
	setup(2);
	v2_grant(8, XEN_GTF_PERMIT_ACCESS, 0, 3);
	v2_grant(9, XEN_GTF_PERMIT_ACCESS | XEN_GTF_READONLY, 0, 4);
	v2_grant(10, XEN_GTF_PERMIT_ACCESS, 7, 5);
	v2_grant(11, XEN_GTF_PERMIT_ACCESS | XEN_GTF_SUB_PAGE, 0, 5);	/* sub-page */
	v2_grant(12, 3, 0, 5);						/* transitive */
	v2_grant(13, XEN_GTF_PERMIT_ACCESS, 0, PAGES);			/* beyond RAM */
	v2_grant(14, XEN_GTF_PERMIT_ACCESS, 0, (1ULL << 32) | 3);	/* 64-bit frame */
	v2_grant(V2N - 1, XEN_GTF_PERMIT_ACCESS, 0, 6);
	EXPECT(be_grant_get(&mem, 8, true) == 3);
	EXPECT(status[8] == (XEN_GTF_READING | XEN_GTF_WRITING));
	EXPECT(v2_flags(8) == XEN_GTF_PERMIT_ACCESS);		/* bits not in the entry */
	be_grant_put(&mem, 8);
	EXPECT(status[8] == 0);
	EXPECT(be_grant_get(&mem, 9, false) == 4);
	EXPECT(status[9] == XEN_GTF_READING);
	be_grant_put(&mem, 9);
	EXPECT(be_grant_get(&mem, 9, true) == -1);
	EXPECT(be_grant_get(&mem, 10, false) == -1);
	EXPECT(be_grant_get(&mem, 11, false) == -1);
	EXPECT(be_grant_get(&mem, 12, false) == -1);
	EXPECT(be_grant_get(&mem, 13, false) == -1);
	EXPECT(be_grant_get(&mem, 14, false) == -1);
	EXPECT(status[9] == 0 && status[13] == 0 && status[14] == 0);
	EXPECT(be_grant_get(&mem, V2N - 1, true) == 6);
	be_grant_put(&mem, V2N - 1);
	EXPECT(status[V2N - 1] == 0);
	EXPECT(be_grant_get(&mem, V2N, false) == -1);		/* v1 has it, v2 not */
	be_grant_put(&mem, V2N);				/* ignored */
	/* v2 without status words: nothing */
	mem.gnt_status = NULL;
	EXPECT(be_grant_get(&mem, 8, false) == -1);
}

static void test_versions(void)
{
	setup(0);					/* switching */
	v1_grant(8, XEN_GTF_PERMIT_ACCESS, 0, 3);
	EXPECT(be_grant_get(&mem, 8, false) == -1);
	version = 3;
	EXPECT(be_grant_get(&mem, 8, false) == -1);
	version = UINT32_MAX;
	EXPECT(be_grant_get(&mem, 8, false) == -1);
	be_grant_put(&mem, 8);
	EXPECT(((struct xen_grant_entry *)tab)[8].flags == XEN_GTF_PERMIT_ACCESS);
}

/* ---- the switch protocol ---------------------------------------------------- */

#define REF	10
static volatile int stop;
static unsigned long switches, refused;

/*
 * The grant REF in layout @ver, and a valid grant where the other
 * layout's REF header lies (v1 entry 2 * REF, v2 entry REF / 2): a back
 * end pinning in a stale layout would succeed and read a wrong frame.
 */
static void put_entry(uint32_t ver)
{
	if (ver == 1) {
		v1_grant(REF, XEN_GTF_PERMIT_ACCESS, 0, 5);
		v1_grant(2 * REF, XEN_GTF_PERMIT_ACCESS, 0, 5);
	} else {
		v2_grant(REF, XEN_GTF_PERMIT_ACCESS, 0, 7);
		v2_grant(REF / 2, XEN_GTF_PERMIT_ACCESS, 0, 7);
	}
}

/* What domus does on set_version (module/pv/gnttab_ver.c). */
static void *module_switcher(void *arg)
{
	(void)arg;
	while (!stop) {
		uint32_t cur = version, to = 3 - cur;
		bool busy = false;
		unsigned int i;

		for (i = 0; i < 10 && !stop; i++)	/* let the back end see each version */
			sched_yield();

		__atomic_store_n(&version, 0, __ATOMIC_SEQ_CST);
		if (cur == 1) {
			for (i = 0; i < V1N && !busy; i++)
				busy = __atomic_load_n(&((struct xen_grant_entry *)tab)[i].flags, __ATOMIC_SEQ_CST) &
				       (XEN_GTF_READING | XEN_GTF_WRITING);
		} else {
			for (i = 0; i < V2N && !busy; i++)
				busy = __atomic_load_n(&status[i], __ATOMIC_SEQ_CST) &
				       (XEN_GTF_READING | XEN_GTF_WRITING);
		}
		if (busy) {
			refused++;
			__atomic_store_n(&version, cur, __ATOMIC_SEQ_CST);
			continue;
		}
		memset(tab, 0, FRAMES * 4096);
		memset(status, 0, V2N * 2);
		put_entry(to);
		switches++;
		__atomic_store_n(&version, to, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* A guest switching without regard to anything: only its own table changes. */
static void *hostile_switcher(void *arg)
{
	(void)arg;
	while (!stop) {
		uint32_t to = (uint32_t)(rand() % 4);

		__atomic_store_n(&version, to, __ATOMIC_SEQ_CST);
		put_entry(to == 2 ? 2 : 1);
	}
	return NULL;
}

static void test_switch_protocol(void)
{
	pthread_t t;
	unsigned long i, held = 0, wrong = 0;
	time_t t0;

	setup(1);
	put_entry(1);
	stop = 0;
	if (pthread_create(&t, NULL, module_switcher, NULL)) {
		EXPECT(0);
		return;
	}
	/* until 300 switches and 10000 grants held (or 10 s on a loaded machine) */
	t0 = time(NULL);
	for (i = 0; (__atomic_load_n(&switches, __ATOMIC_RELAXED) < 300 || held < 10000) && time(NULL) - t0 < 10;
	     i++) {
		int64_t f = be_grant_get(&mem, REF, i & 1);
		uint32_t v;
		int spin;

		if (f < 0)
			continue;
		held++;
		/* while held, no switch completes: the version stays the grant's (or 0 for a refused try) */
		for (spin = 0; spin < 20; spin++) {
			v = __atomic_load_n(&version, __ATOMIC_SEQ_CST);
			if (v != 0 && v != (f == 5 ? 1u : 2u))
				wrong++;
		}
		if (f != 5 && f != 7)
			wrong++;
		be_grant_put(&mem, REF);
		if (wrong)
			break;
		if (!(i & 1023))
			sched_yield();	/* give the switcher a window on a loaded machine */
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("  %lu grants held, %lu switches, %lu refused\n", held, switches, refused);
	EXPECT(wrong == 0);
	EXPECT(held >= 10000 && switches >= 50);	/* 300 unless the machine is very busy */
}

static void test_hostile_switching(void)
{
	pthread_t t;
	unsigned long i, bad = 0;

	setup(1);
	put_entry(1);
	stop = 0;
	if (pthread_create(&t, NULL, hostile_switcher, NULL)) {
		EXPECT(0);
		return;
	}
	for (i = 0; i < 200000; i++) {
		int64_t f = be_grant_get(&mem, (uint32_t)(i % (V1N + 4)), i & 1);

		if (f >= 0 && f >= PAGES)
			bad++;
		be_grant_put(&mem, (uint32_t)(i % (V1N + 4)));
	}
	stop = 1;
	pthread_join(t, NULL);
	EXPECT(bad == 0);
}

int main(void)
{
	ram = aligned_alloc(4096, PAGES * 4096);
	tab = aligned_alloc(4096, FRAMES * 4096);
	status = aligned_alloc(4096, 4096);
	if (!ram || !tab || !status)
		return 1;
	RUN(UNIT_PREFIX, test_v1);
	RUN(UNIT_PREFIX, test_v2);
	RUN(UNIT_PREFIX, test_versions);
	RUN(UNIT_PREFIX, test_switch_protocol);
	RUN(UNIT_PREFIX, test_hostile_switching);
	free(ram);
	free(tab);
	free(status);
	return unit_failed;
}
