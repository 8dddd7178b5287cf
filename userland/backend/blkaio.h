/* SPDX-License-Identifier: MIT */
/*
 * Inside the block back end (blkring.c, blkaio.c; not for other users):
 * one read or write in progress, and the io_uring that serves a ring
 * pass's reads and writes concurrently (docs/devices.md "Concurrent I/O").
 *
 * A request's state lives in a slot of the ring's own table of nr_ents
 * slots, allocated at connect: the guest can have at most nr_ents
 * requests unanswered (blk_ring_service refuses a req_prod beyond that),
 * so nothing the guest does allocates more.
 */
#ifndef DOMUS_BLKAIO_H
#define DOMUS_BLKAIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "blkback.h"

struct blk_seg {
	uint32_t gref;
	uint8_t first, last;
};

/* One read or write: parsed, then validated and its grants pinned
 * (blk_rw_start), its I/O done (here or by the io_uring), then its grants
 * released (blk_rw_end). */
struct blk_rw {
	uint64_t id;			/* the response's id and operation */
	uint8_t op;
	bool write;
	uint64_t sector;
	unsigned int nseg, pinned;
	uint64_t off, total, done;	/* bytes on the image */
	struct iovec *v;		/* the part of iov not done yet */
	unsigned int nv;
	int status;			/* BLKIF_RSP_* */
	int res;			/* the io_uring's result */
	struct blk_seg segs[BLK_MAX_INDIRECT_SEGS];
	struct iovec iov[BLK_MAX_INDIRECT_SEGS];
};

/*
 * The io_uring of a ring (@entries: its nr_ents): the image registered as
 * its only file and the ring restricted to READV and WRITEV on that file
 * before it is enabled, so that it can do nothing else whatever its SQEs
 * say.  0, or a negative errno with the reason in @why (the caller then
 * serves synchronously).
 */
int blk_aio_open(struct blk_aio **out, int fd, unsigned int entries, char *why, size_t wlen);
void blk_aio_close(struct blk_aio *a);
/* A free slot: never NULL while fewer than @entries are taken. */
struct blk_rw *blk_aio_get(struct blk_aio *a);
void blk_aio_put(struct blk_aio *a, struct blk_rw *w);
/* Queue the I/O of a started request (submitted by blk_aio_wait). */
void blk_aio_queue(struct blk_aio *a, struct blk_rw *w);
/* Requests taken and not yet given back by blk_aio_wait. */
unsigned int blk_aio_pending(const struct blk_aio *a);
/*
 * Submit what is queued and wait for at least one completion: the
 * completed requests (w->res set) are stored in @done (room for
 * @max); their number, or a negative errno when the io_uring failed.
 */
int blk_aio_wait(struct blk_aio *a, struct blk_rw **done, unsigned int max);

#endif
