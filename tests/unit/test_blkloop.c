// SPDX-License-Identifier: MIT
/*
 * Unit tests for the block I/O thread's loop (userland/backend/blkloop.c)
 * against a model front end that keeps xen-blkfront's ring rules
 * (pv-devices.md §2.2): requests pushed in batches, a notification only
 * when req_prod crosses req_event (after a full barrier), responses taken
 * and rsp_event re-armed with a re-check before it sleeps on the back
 * end's event.  The back end runs in its own thread, SCHED_BATCH where
 * allowed, on the front end's CPU (the single-CPU test host of
 * 68-pv-blk-amd) and free; the front end varies its timing.  Tens of
 * thousands of requests must all be answered without the stall watchdog
 * ever finding a request or a response waiting (a lost wake-up on either
 * side), and the watchdog itself must find a notification the front end
 * withheld and responses it never took.  Also under ASan/UBSan.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "blkaio.h"
#include "unit.h"

#define PAGES	64
#define RING_PFN 1
#define DATA_PFN 20			/* one data page per ring slot: 32 */
#define SECTORS	2048

static uint8_t *ram;
static struct xen_grant_entry gnt[1024];
static struct be_mem mem;
static struct blk_stats st;
static struct blk_ring ring;
static int img = -1, notify_fd = -1, kick_fd = -1, stop_fd = -1;
static char logged[512];
static bool stall_expected;		/* the watchdog tests */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

#define HDR(off)	((uint32_t *)(ram + RING_PFN * 4096 + (off)))

static void be_kick(void *opaque)
{
	uint64_t one = 1;

	(void)opaque;
	if (write(kick_fd, &one, sizeof(one)) < 0) {
		/* counter full: an event is pending anyway */
	}
}

static void be_logline(void *opaque, const char *msg)
{
	(void)opaque;
	pthread_mutex_lock(&log_lock);
	snprintf(logged, sizeof(logged), "%s", msg);
	pthread_mutex_unlock(&log_lock);
}

struct be_args {
	bool batch;
	int cpu;			/* -1: anywhere */
	unsigned int watchdog_ms;
	int ret;
};

static void *be_thread(void *arg)
{
	struct be_args *a = arg;
	struct blk_loop l = { .ring = &ring, .notify_fd = notify_fd, .stop_fd = stop_fd, .kick = be_kick,
			      .log = be_logline, .watchdog_ms = a->watchdog_ms };
	struct sched_param sp;

	if (a->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	memset(&sp, 0, sizeof(sp));
	if (a->batch)
		sched_setscheduler(0, SCHED_BATCH, &sp);
	a->ret = blk_loop_run(&l);
	return NULL;
}

static void setup(bool aio)
{
	char path[] = "/tmp/test_blkloop.XXXXXX";
	uint32_t ref = 8;
	unsigned int i;

	if (!ram)
		ram = aligned_alloc(4096, PAGES * 4096);
	memset(ram, 0, PAGES * 4096);
	memset(gnt, 0, sizeof(gnt));
	memset(&st, 0, sizeof(st));
	logged[0] = 0;
	stall_expected = false;
	if (img >= 0)
		close(img);
	img = mkstemp(path);
	unlink(path);
	if (ftruncate(img, SECTORS * 512)) {
		/* reads past the end give zeroes anyway */
	}
	mem = (struct be_mem){ .ram = ram, .ram_size = PAGES * 4096, .gnt = gnt,
				.gnt_entries = sizeof(gnt) / sizeof(gnt[0]), .domid = 0 };
	gnt[8] = (struct xen_grant_entry){ .flags = XEN_GTF_PERMIT_ACCESS, .domid = 0, .frame = RING_PFN };
	for (i = 0; i < 32; i++)
		gnt[100 + i] = (struct xen_grant_entry){ .flags = XEN_GTF_PERMIT_ACCESS, .domid = 0,
							.frame = DATA_PFN + i };
	*HDR(RING_REQ_EVENT) = 1;	/* the front end's ring init */
	*HDR(RING_RSP_EVENT) = 1;
	memset(&ring, 0, sizeof(ring));
	ring.fd = img;
	ring.sectors = SECTORS;
	ring.st = &st;
	EXPECT(blk_ring_attach(&ring, &mem, &ref, 1) == 0);
	EXPECT(ring.nr_ents == 32);
	if (aio) {
		char why[96] = "";

		if (blk_aio_open(&ring.aio, img, ring.nr_ents, why, sizeof(why))) {
			printf("  io_uring: %s\n", why);
			unit_cur_failed = 1;
		}
	}
	notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	EXPECT(notify_fd >= 0 && kick_fd >= 0 && stop_fd >= 0);
}

static void teardown(pthread_t th, struct be_args *a)
{
	uint64_t one = 1;

	EXPECT(write(stop_fd, &one, sizeof(one)) == sizeof(one));
	pthread_join(th, NULL);
	EXPECT(a->ret == 0);
	blk_aio_close(ring.aio);
	ring.aio = NULL;
	blk_ring_detach(&ring);
	close(notify_fd);
	close(kick_fd);
	close(stop_fd);
}

/* The model front end. */
struct fe {
	uint32_t req_prod, rsp_cons;
	unsigned int inflight;
	uint64_t next_id, answered;
	bool busy[32];			/* slot (= id % 32) in flight */
	unsigned int seed;
};

static unsigned int rnd(struct fe *f, unsigned int n)
{
	f->seed = f->seed * 1103515245u + 12345u;
	return (f->seed >> 8) % n;
}

/* Queue one read into a free slot (its own data page). */
static void fe_queue(struct fe *f)
{
	struct blkif_request q;
	unsigned int slot;
	uint64_t off = RING_HDR_SIZE + (uint64_t)(f->req_prod & 31) * BLKIF_ENTRY_SIZE;

	for (slot = (unsigned int)(f->next_id % 32); f->busy[slot]; slot = (slot + 1) % 32)
		;
	memset(&q, 0, sizeof(q));
	q.operation = rnd(f, 8) ? BLKIF_OP_READ : BLKIF_OP_WRITE;
	q.nr_segments = 1;
	q.id = ((f->next_id++) << 5) | slot;
	q.sector_number = rnd(f, SECTORS / 8) * 8;
	q.seg[0].gref = 100 + slot;
	q.seg[0].first_sect = 0;
	q.seg[0].last_sect = 7;
	f->busy[slot] = true;
	memcpy(ram + RING_PFN * 4096 + off, &q, sizeof(q));
	f->req_prod++;
	f->inflight++;
}

/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, and the event if due. */
static void fe_push(struct fe *f, uint32_t old, bool withhold)
{
	uint32_t ev;
	uint64_t one = 1;

	__atomic_store_n(HDR(RING_REQ_PROD), f->req_prod, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ev = __atomic_load_n(HDR(RING_REQ_EVENT), __ATOMIC_ACQUIRE);
	if ((uint32_t)(f->req_prod - ev) < (uint32_t)(f->req_prod - old) && !withhold)
		EXPECT(write(notify_fd, &one, sizeof(one)) == sizeof(one));
}

/* Take the responses published; false on a bad one. */
static bool fe_take(struct fe *f)
{
	uint32_t rp = __atomic_load_n(HDR(RING_RSP_PROD), __ATOMIC_ACQUIRE);

	for (; f->rsp_cons != rp; f->rsp_cons++) {
		struct blkif_response r;
		uint64_t off = RING_HDR_SIZE + (uint64_t)(f->rsp_cons & 31) * BLKIF_ENTRY_SIZE;
		unsigned int slot;

		memcpy(&r, ram + RING_PFN * 4096 + off, sizeof(r));
		slot = (unsigned int)(r.id & 31);
		if (!f->busy[slot] || r.status != BLKIF_RSP_OKAY) {
			printf("  response %u: id %llu status %d (slot busy %d)\n", f->rsp_cons,
			       (unsigned long long)r.id, r.status, f->busy[slot]);
			return false;
		}
		f->busy[slot] = false;
		f->inflight--;
		f->answered++;
	}
	return true;
}

/*
 * Wait until at most @left requests are in flight: take responses,
 * re-arm rsp_event and re-check (RING_FINAL_CHECK_FOR_RESPONSES), then
 * sleep on the back end's event.  False after 10 s without an event: a
 * hang.
 */
static bool fe_wait(struct fe *f, unsigned int left)
{
	while (f->inflight > left) {
		struct pollfd p = { .fd = kick_fd, .events = POLLIN };
		uint64_t cnt;

		if (!fe_take(f))
			return false;
		if (!stall_expected && atomic_load(&st.stalls)) {	/* a wake-up was lost */
			pthread_mutex_lock(&log_lock);
			printf("  the stall watchdog fired: %s\n", logged);
			pthread_mutex_unlock(&log_lock);
			return false;
		}
		if (f->inflight <= left)
			break;
		__atomic_store_n(HDR(RING_RSP_EVENT), f->rsp_cons + 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(HDR(RING_RSP_PROD), __ATOMIC_ACQUIRE) != f->rsp_cons)
			continue;
		if (poll(&p, 1, 10000) != 1) {
			struct blk_ring_state s;
			char buf[160];

			blk_ring_snapshot(&ring, &s);
			blk_ring_state_str(&s, buf, sizeof(buf));
			printf("  no event from the back end in 10 s, %u in flight: %s\n", f->inflight, buf);
			return false;
		}
		if (read(kick_fd, &cnt, sizeof(cnt)) < 0) {
			/* another wait took it */
		}
	}
	return true;
}

/* @n requests in random batches with random pauses. */
static void run_model(bool aio, bool batch, int cpu, unsigned int n, unsigned int seed)
{
	struct be_args a = { .batch = batch, .cpu = cpu, .watchdog_ms = 1000 };
	struct fe f;
	pthread_t th;
	bool ok = true;

	setup(aio);
	memset(&f, 0, sizeof(f));
	f.seed = seed;
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	EXPECT(pthread_create(&th, NULL, be_thread, &a) == 0);
	while (ok && f.next_id < n) {
		uint32_t old = f.req_prod;
		unsigned int b = 1 + rnd(&f, 8), i;

		if (b > 32 - f.inflight)
			b = 32 - f.inflight;
		if (b > n - f.next_id)
			b = (unsigned int)(n - f.next_id);
		for (i = 0; i < b; i++)
			fe_queue(&f);
		fe_push(&f, old, false);
		switch (rnd(&f, 4)) {	/* the front end's own timing */
		case 0:
			sched_yield();
			break;
		case 1:
			for (volatile unsigned int k = rnd(&f, 20000); k; k--)
				;
			break;
		default:
			break;
		}
		/* like blkfront: wait when the ring is full, sometimes for all */
		ok = fe_wait(&f, rnd(&f, 3) ? 32 - 8 : rnd(&f, 4));
	}
	ok = ok && fe_wait(&f, 0);
	EXPECT(ok);
	EXPECT(f.answered == n);
	EXPECT(atomic_load(&st.stalls) == 0);
	if (logged[0])
		printf("  watchdog: %s\n", logged);
	teardown(th, &a);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

static int my_cpu(void)
{
	int c = sched_getcpu();

	return c < 0 ? 0 : c;
}

static void test_one_cpu_batch(void)
{
	run_model(false, true, my_cpu(), 20000, 1);
}

static void test_one_cpu_batch_aio(void)
{
	run_model(true, true, my_cpu(), 20000, 2);
}

static void test_one_cpu_other_aio(void)
{
	run_model(true, false, my_cpu(), 20000, 3);
}

static void test_free_batch_aio(void)
{
	run_model(true, true, -1, 20000, 4);
}

/* The front end withholds the notification it owes: the watchdog finds
 * the request, says so once, and serves it. */
static void test_watchdog_lost_notification(void)
{
	struct be_args a = { .batch = false, .cpu = -1, .watchdog_ms = 300 };
	struct fe f;
	pthread_t th;

	setup(false);
	stall_expected = true;
	memset(&f, 0, sizeof(f));
	f.seed = 5;
	EXPECT(pthread_create(&th, NULL, be_thread, &a) == 0);
	usleep(50000);		/* asleep, req_event re-armed */
	fe_queue(&f);
	fe_push(&f, 0, true);
	EXPECT(fe_wait(&f, 0));	/* answered within a watchdog period */
	EXPECT(atomic_load(&st.stalls) == 1);
	pthread_mutex_lock(&log_lock);
	EXPECT(strstr(logged, "stall watchdog: requests waiting, the guest's notification lost") != NULL);
	EXPECT(strstr(logged, "req_prod=1 req_cons=0 req_event=1") != NULL);
	pthread_mutex_unlock(&log_lock);
	teardown(th, &a);
}

/* Responses the front end asked an event for and never takes: after two
 * periods with nothing moving, one log line and the event again. */
static void test_watchdog_responses_not_taken(void)
{
	struct be_args a = { .batch = false, .cpu = -1, .watchdog_ms = 300 };
	struct pollfd p;
	struct fe f;
	pthread_t th;
	uint64_t cnt;

	setup(false);
	stall_expected = true;
	memset(&f, 0, sizeof(f));
	f.seed = 6;
	EXPECT(pthread_create(&th, NULL, be_thread, &a) == 0);
	fe_queue(&f);
	fe_push(&f, 0, false);
	p = (struct pollfd){ .fd = kick_fd, .events = POLLIN };
	EXPECT(poll(&p, 1, 5000) == 1);	/* the answer's event */
	EXPECT(read(kick_fd, &cnt, sizeof(cnt)) == sizeof(cnt));
	/* rsp_event stays 1, rsp_prod is 1: not taken */
	EXPECT(poll(&p, 1, 5000) == 1);	/* the watchdog's event */
	EXPECT(atomic_load(&st.stalls) >= 1);
	pthread_mutex_lock(&log_lock);
	EXPECT(strstr(logged, "responses the guest asked an event for not taken") != NULL);
	pthread_mutex_unlock(&log_lock);
	EXPECT(fe_wait(&f, 0));
	teardown(th, &a);
}

/* The stall rule itself. */
static void test_stall_rule(void)
{
	struct blk_ring_state s;

	memset(&s, 0, sizeof(s));
	s.rsp_event = 1;
	EXPECT(blk_ring_stall(&s) == 0);			/* fresh ring */
	s.req_prod = 3;
	s.req_event = 1;
	EXPECT(blk_ring_stall(&s) == (BLK_STALL_REQUESTS | BLK_STALL_LOST_EVENT));
	s.req_event = 4;					/* not asked: ours */
	EXPECT(blk_ring_stall(&s) == BLK_STALL_REQUESTS);
	s.req_cons = s.rsp_prod = s.rsp_prod_pvt = 3;
	s.rsp_event = 4;
	EXPECT(blk_ring_stall(&s) == 0);			/* all taken */
	s.rsp_event = 3;
	EXPECT(blk_ring_stall(&s) == BLK_STALL_RESPONSES);	/* response 3 not taken */
	s.req_prod = s.req_cons = s.rsp_prod = 0xfffffffeu;	/* wrap */
	s.rsp_event = 0xffffffffu;
	EXPECT(blk_ring_stall(&s) == 0);
	s.req_prod = 1;
	s.req_event = 0xffffffffu;
	EXPECT(blk_ring_stall(&s) == (BLK_STALL_REQUESTS | BLK_STALL_LOST_EVENT));
	s.req_prod = 0x80000000u;				/* garbage: not a stall */
	EXPECT(!(blk_ring_stall(&s) & BLK_STALL_REQUESTS));
}

int main(void)
{
	RUN(UNIT_PREFIX, test_stall_rule);
	RUN(UNIT_PREFIX, test_one_cpu_batch);
	RUN(UNIT_PREFIX, test_one_cpu_batch_aio);
	RUN(UNIT_PREFIX, test_one_cpu_other_aio);
	RUN(UNIT_PREFIX, test_free_batch_aio);
	RUN(UNIT_PREFIX, test_watchdog_lost_notification);
	RUN(UNIT_PREFIX, test_watchdog_responses_not_taken);
	if (img >= 0)
		close(img);
	free(ram);
	return unit_failed;
}
