/* SPDX-License-Identifier: MIT */
/*
 * The PV block back end (docs/devices.md): serves the vbd devices of one
 * guest to its unmodified xen-blkfront, in threads of the launcher.
 *
 *   blkring.c   the ring: requests copied out, validated, the guest's
 *               grants pinned, the I/O done on the image, responses
 *               (pure: guest memory, grant table and image fd are given;
 *               unit-tested by tests/unit/test_blkring.c)
 *   blkloop.c   the I/O thread's loop: its sleep/wake rule and the
 *               stall watchdog (unit-tested by tests/unit/test_blkloop.c)
 *   blkback.c   one disk: the image (opened and locked before the
 *               sandbox), its xenstore keys, connecting its ring and the
 *               I/O thread (the xenbus side and the event channel:
 *               backend.h)
 *
 * Hostile guest: every index, count, sector range, grant reference and
 * segment of a request is checked; a bad request gets BLKIF_RSP_ERROR, a
 * corrupt ring (indices beyond the ring) disconnects that device with one
 * log line.  Nothing the guest writes can make the launcher crash, hang or
 * touch memory outside the guest's RAM.
 */
#ifndef DOMUS_BLKBACK_H
#define DOMUS_BLKBACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backend.h"

#define BLK_MAX_RING_ORDER	4	/* 16 pages: 512 entries */
#define BLK_MAX_RING_PAGES	(1u << BLK_MAX_RING_ORDER)
#define BLK_MAX_INDIRECT_SEGS	256	/* feature-max-indirect-segments */
#define BLK_SECTOR		512u

/* Counters (one writer: the disk's I/O thread; read for the log). */
struct blk_stats {
	atomic_ullong reads, writes, flushes, fdatasyncs, discards, indirect;
	atomic_ullong bytes_read, bytes_written;
	atomic_ullong errors;		/* requests answered ERROR */
	atomic_ullong unsupported;	/* requests answered EOPNOTSUPP */
	atomic_ullong aio;		/* reads and writes done by the io_uring */
	atomic_ullong inflight_max;	/* most requests in flight at once */
	/* the I/O thread's path (docs/perf-io.md, bench/io profile) */
	atomic_ullong wakeups;		/* returns from the blocking poll */
	atomic_ullong events;		/* guest notifications (eventfd counts) */
	atomic_ullong passes;		/* ring passes that found requests */
	atomic_ullong kicks;		/* notifications sent to the guest */
	atomic_ullong rechecks;		/* requests found by the re-check before sleeping */
	atomic_ullong batch_max;	/* most requests found by one pass */
	atomic_ullong stalls;		/* stall watchdog findings (blkloop.c) */
	/* DOMUS_BLK_TRACE=1 only (ring->timing): where the I/O thread's time
	 * went, monotonic ns */
	atomic_ullong ns_busy;		/* from a wake-up to the next sleep */
	atomic_ullong ns_io;		/* in preadv/pwritev or io_uring submit+wait */
	atomic_ullong ns_kick;		/* sending the event to the guest */
};

struct blk_aio;				/* blkaio.h */

/* One connected ring. */
struct blk_ring {
	const struct be_mem *m;
	uint8_t *page[BLK_MAX_RING_PAGES];	/* the ring's frames in guest RAM */
	uint32_t gref[BLK_MAX_RING_PAGES];
	unsigned int npages;
	uint32_t nr_ents;			/* a power of two */
	uint32_t req_cons, rsp_prod_pvt;
	/* the disk */
	int fd;
	uint64_t sectors;			/* 512-byte units */
	bool readonly, discard;
	bool blockdev;				/* discard: BLKDISCARD, not a hole */
	struct blk_stats *st;
	struct blk_aio *aio;			/* NULL: one request after the other */
	bool timing;				/* count st->ns_* (DOMUS_BLK_TRACE=1) */
	char why[160];				/* why the ring was declared corrupt */
};

/*
 * Attach the ring of @n pages (grant refs @grefs; n a power of two up to
 * BLK_MAX_RING_PAGES): the grants are pinned for the connection.  0 or
 * -EINVAL with the reason in r->why.
 */
int blk_ring_attach(struct blk_ring *r, const struct be_mem *m, const uint32_t *grefs, unsigned int n);
void blk_ring_detach(struct blk_ring *r);

/*
 * Serve the requests on the ring: at most nr_ents per call.  With r->aio
 * the reads and writes of the pass are in flight together and answered
 * as they complete (in any order); without, each is answered before the
 * next is read.  Either way a flush, barrier or discard runs only after
 * every earlier request of the ring completed, and every request of the
 * pass is answered (its grants released) before the call returns.
 * Returns the number served (> 0: call again), 0 when the ring is empty
 * (req_event re-armed), or -EIO when the ring is corrupt (r->why says
 * why; the device must be disconnected).  *notify is set when the guest
 * must be sent an event (pv-devices.md §2.2).
 */
int blk_ring_service(struct blk_ring *r, bool *notify);

/* CLOCK_MONOTONIC in ns (the ns_* counters). */
uint64_t blk_now_ns(void);

/*
 * The ring as the guest and the back end left it, read without a lock
 * (the stall watchdog's view, blkloop.c): the shared indices and the
 * back end's own.
 */
struct blk_ring_state {
	uint32_t req_prod, req_event, rsp_prod, rsp_event;	/* shared */
	uint32_t req_cons, rsp_prod_pvt;			/* ours */
};

#define BLK_STALL_REQUESTS	1u	/* requests on the ring, none read */
#define BLK_STALL_LOST_EVENT	2u	/* ... and req_event among them: the guest's notification was lost */
#define BLK_STALL_RESPONSES	4u	/* responses published, the guest's rsp_event among them, not taken */

void blk_ring_snapshot(const struct blk_ring *r, struct blk_ring_state *s);
/* What @s shows waiting on the ring: BLK_STALL_* bits (0: nothing). */
unsigned int blk_ring_stall(const struct blk_ring_state *s);
/* "req_prod=N req_cons=N req_event=N rsp_prod=N (ours N) rsp_event=N" */
void blk_ring_state_str(const struct blk_ring_state *s, char *buf, size_t len);

/*
 * The I/O thread's loop (blkloop.c): serve the ring until @stop_fd is
 * readable, sleeping on @notify_fd (the guest's notifications, an
 * eventfd) only after blk_ring_service() re-armed req_event and found
 * the ring empty, and calling @kick when the guest must be sent an
 * event.  The stall watchdog: the loop never sleeps longer than
 * @watchdog_ms; a timeout that finds requests waiting (no notification
 * came) or, twice running with nothing moving, responses the guest asked
 * an event for and has not taken, is logged through @log once per
 * episode, counted in stalls, and repaired (the requests served, the
 * event sent again).  @trace (may be NULL) runs after each 500 ms idle.
 * Returns 0 when stopped, -EIO when the ring is corrupt (ring->why) or
 * the poll failed.
 */
#define BLK_WATCHDOG_MS	5000

struct blk_loop {
	struct blk_ring *ring;
	int notify_fd, stop_fd;
	void (*kick)(void *opaque);
	void (*log)(void *opaque, const char *msg);
	void (*trace)(void *opaque);
	void *opaque;
	unsigned int watchdog_ms;
};

int blk_loop_run(struct blk_loop *l);

/* The disk as the launcher runs it (blkback.c). */
struct blk_disk;
struct domus_disk;
/*
 * Open and lock the image of @cfg (before the sandbox): a writable disk
 * takes an exclusive lock (and O_EXCL on a block device), a read-only one
 * a shared lock; a second writer gets a one-line error.  0 or -1 with
 * @err set.
 */
int blk_disk_open(const struct domus_disk *cfg, struct blk_disk **out, char *err, size_t errlen);
/* The two halves of blk_disk_open, for hot-plug (domus block-attach opens
 * and locks the image as root and passes the fd to the sandboxed
 * launcher): the image's fd (open, locked, at least one sector), or -1
 * with @err set; and the disk around such an fd (taken on success). */
int blk_image_open(const struct domus_disk *cfg, char *err, size_t errlen);
int blk_disk_adopt(const struct domus_disk *cfg, int fd, struct blk_disk **out, char *err, size_t errlen);
/*
 * Migration to the same host: the sender gives the image's lock up once
 * its stream is complete (the guest suspended and paused), so that the
 * receiver can take it, and takes it back (@lock) if the migration is not
 * committed.  0, or -1 with errno (a block device keeps its O_EXCL).
 */
int blk_disk_lock(struct blk_disk *d, bool lock);
struct be_dev *blk_disk_dev(struct blk_disk *d);
const char *blk_disk_vdev(const struct blk_disk *d);
const char *blk_disk_path(const struct blk_disk *d);
/* Publish the device in the guest's xenstore and serve it (per build). */
int blk_disk_start(struct blk_disk *d, const struct be_host *h);
/* Disconnect (the I/O thread joined, the event channel closed). */
void blk_disk_stop(struct blk_disk *d);
/* One line of counters: "xvda: reads=N writes=N flushes=N fdatasync=N ..." */
void blk_disk_stats(struct blk_disk *d, char *buf, size_t len);
/* The disk's counters (live, atomic), for sums such as domus top's. */
const struct blk_stats *blk_disk_counters(const struct blk_disk *d);
void blk_disk_close(struct blk_disk *d);

#endif
