// SPDX-License-Identifier: MIT
/*
 * The io_uring of a block ring (see blkaio.h, docs/devices.md "Concurrent
 * I/O"): the reads and writes of one pass of the ring are queued as
 * READV/WRITEV SQEs on the image (a registered file) and submitted
 * together; the kernel serves them concurrently (page cache hits inline,
 * the rest in its workers).  The ring is created disabled, restricted to
 * those two operations on the registered file, then enabled: whatever
 * ends up in an SQE, it can touch nothing but the image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <liburing.h>
#include "blkaio.h"

struct blk_aio {
	struct io_uring ring;
	unsigned int nslots, nfree, queued, submitted;
	uint16_t *free;			/* free slot numbers */
	struct blk_rw *slot;
};

static int uring_register(struct io_uring *ring, unsigned int op, void *arg, unsigned int n)
{
	return syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n) < 0 ? -errno : 0;
}

int blk_aio_open(struct blk_aio **out, int fd, unsigned int entries, char *why, size_t wlen)
{
	struct io_uring_restriction res[4];
	struct blk_aio *a;
	unsigned int i;
	int r;

	*out = NULL;
	if (!entries || entries > 1024) {
		snprintf(why, wlen, "%u entries", entries);
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		goto nomem;
	a->slot = calloc(entries, sizeof(*a->slot));
	a->free = calloc(entries, sizeof(*a->free));
	if (!a->slot || !a->free)
		goto nomem;
	a->nslots = a->nfree = entries;
	for (i = 0; i < entries; i++)
		a->free[i] = (uint16_t)(entries - 1 - i);
	r = io_uring_queue_init(entries, &a->ring, IORING_SETUP_R_DISABLED);
	if (r < 0) {
		snprintf(why, wlen, "io_uring_setup: %s", strerror(-r));
		goto fail;
	}
	memset(res, 0, sizeof(res));
	res[0].opcode = IORING_RESTRICTION_SQE_OP;
	res[0].sqe_op = IORING_OP_READV;
	res[1].opcode = IORING_RESTRICTION_SQE_OP;
	res[1].sqe_op = IORING_OP_WRITEV;
	res[2].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[2].sqe_flags = IOSQE_FIXED_FILE;
	res[3].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[3].sqe_flags = IOSQE_FIXED_FILE;
	/* Debian's liburing.so.2.3 does not export its restrictions and
	 * enable helpers: those two are the system call itself */
	if ((r = io_uring_register_files(&a->ring, &fd, 1)) < 0 ||
	    (r = uring_register(&a->ring, IORING_REGISTER_RESTRICTIONS, res, 4)) < 0 ||
	    (r = uring_register(&a->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
		snprintf(why, wlen, "io_uring_register: %s", strerror(-r));
		io_uring_queue_exit(&a->ring);
		goto fail;
	}
	*out = a;
	return 0;
nomem:
	snprintf(why, wlen, "out of memory");
	r = -ENOMEM;
fail:
	if (a) {
		free(a->slot);
		free(a->free);
	}
	free(a);
	return r;
}

void blk_aio_close(struct blk_aio *a)
{
	if (!a)
		return;
	io_uring_queue_exit(&a->ring);
	free(a->slot);
	free(a->free);
	free(a);
}

struct blk_rw *blk_aio_get(struct blk_aio *a)
{
	if (!a->nfree)
		return NULL;
	return &a->slot[a->free[--a->nfree]];
}

void blk_aio_put(struct blk_aio *a, struct blk_rw *w)
{
	a->free[a->nfree++] = (uint16_t)(w - a->slot);
}

unsigned int blk_aio_pending(const struct blk_aio *a)
{
	return a->queued + a->submitted;
}

void blk_aio_queue(struct blk_aio *a, struct blk_rw *w)
{
	/* never NULL: the SQ has a slot per request slot, and a queued SQE
	 * holds a request slot until it is submitted */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (w->write)
		io_uring_prep_writev(sqe, 0, w->v, w->nv, w->off + w->done);
	else
		io_uring_prep_readv(sqe, 0, w->v, w->nv, w->off + w->done);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	io_uring_sqe_set_data(sqe, w);
	a->queued++;
}

int blk_aio_wait(struct blk_aio *a, struct blk_rw **done, unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int r;

	if (!blk_aio_pending(a) || !max)
		return 0;
	for (;;) {
		r = io_uring_submit_and_wait(&a->ring, 1);
		if (r >= 0) {
			a->queued -= (unsigned int)r < a->queued ? (unsigned int)r : a->queued;
			a->submitted += (unsigned int)r;
		}
		if (io_uring_cq_ready(&a->ring))
			break;
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			return r;
		if (r == -EAGAIN && !a->submitted)
			return r;	/* nothing in flight to wait for */
	}
	io_uring_for_each_cqe(&a->ring, head, cqe) {
		struct blk_rw *w = io_uring_cqe_get_data(cqe);

		if (n == max)
			break;
		w->res = cqe->res;
		done[n++] = w;
	}
	io_uring_cq_advance(&a->ring, n);
	a->submitted -= n;
	return (int)n;
}
