// SPDX-License-Identifier: MIT
/*
 * The block ring (see blkback.h, docs/devices.md): requests copied out of
 * the shared page before they are looked at, validated, the guest's
 * grants pinned for the access, the I/O done straight between the image
 * and guest RAM (preadv/pwritev on the launcher's mapping, or the same as
 * READV/WRITEV on the ring's io_uring, blkaio.c), the grants released,
 * then the response.  With an io_uring the reads and writes of one pass
 * are in flight together and answered as they complete; a flush, barrier
 * or discard first waits for every request before it, so a
 * FLUSH_DISKCACHE still runs after every earlier request completed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include "blkaio.h"

#define LOAD32(p)	__atomic_load_n((uint32_t *)(p), __ATOMIC_ACQUIRE)
#define STORE32(p, v)	__atomic_store_n((uint32_t *)(p), (v), __ATOMIC_RELEASE)

int blk_ring_attach(struct blk_ring *r, const struct be_mem *m, const uint32_t *grefs, unsigned int n)
{
	unsigned int i;
	int64_t f;

	r->m = m;
	r->npages = 0;
	r->req_cons = r->rsp_prod_pvt = 0;
	r->why[0] = 0;
	if (n == 0 || n > BLK_MAX_RING_PAGES || (n & (n - 1))) {
		snprintf(r->why, sizeof(r->why), "%u ring pages: give 1 to %u, a power of two", n, BLK_MAX_RING_PAGES);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		f = be_grant_get(m, grefs[i], true);
		if (f < 0) {
			snprintf(r->why, sizeof(r->why), "ring-ref %u (page %u) is not a valid grant of guest RAM",
				 grefs[i], i);
			blk_ring_detach(r);
			return -EINVAL;
		}
		r->gref[i] = grefs[i];
		r->page[i] = m->ram + (uint64_t)f * 4096;
		r->npages++;
	}
	/* entries: the largest power of two that fits (pv-devices.md §2.1) */
	r->nr_ents = 1;
	while (r->nr_ents * 2 <= (n * 4096 - RING_HDR_SIZE) / BLKIF_ENTRY_SIZE)
		r->nr_ents *= 2;
	/* the front end initialised the page; continue from its indices */
	r->req_cons = r->rsp_prod_pvt = LOAD32(r->page[0] + RING_RSP_PROD);
	return 0;
}

void blk_ring_detach(struct blk_ring *r)
{
	unsigned int i;

	for (i = 0; i < r->npages; i++)
		be_grant_put(r->m, r->gref[i]);
	r->npages = 0;
}

/* Copy an entry in or out of the ring, which may straddle two pages. */
static void ring_copy(struct blk_ring *r, uint32_t idx, void *buf, size_t len, bool out)
{
	uint64_t off = RING_HDR_SIZE + (uint64_t)(idx & (r->nr_ents - 1)) * BLKIF_ENTRY_SIZE;
	uint8_t *b = buf;

	while (len) {
		unsigned int pg = (unsigned int)(off / 4096), po = (unsigned int)(off % 4096);
		size_t n = 4096 - po < len ? 4096 - po : len;

		if (out)
			memcpy(r->page[pg] + po, b, n);
		else
			memcpy(b, r->page[pg] + po, n);
		b += n;
		off += n;
		len -= n;
	}
}

/*
 * Validate a parsed read or write and pin its grants: BLKIF_RSP_OKAY with
 * the iovecs into guest RAM set up, or ERROR with nothing pinned.
 */
static int rw_start(struct blk_ring *r, struct blk_rw *w)
{
	uint64_t total = 0;
	unsigned int i;

	w->pinned = 0;
	w->done = 0;
	w->total = 0;
	if (w->write && r->readonly)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < w->nseg; i++) {
		if (w->segs[i].first > w->segs[i].last || w->segs[i].last > 7)
			return BLKIF_RSP_ERROR;
		total += (uint64_t)(w->segs[i].last - w->segs[i].first + 1);
	}
	if (w->sector > r->sectors || total > r->sectors - w->sector)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < w->nseg; i++) {
		/* a read writes into the guest's page */
		int64_t f = be_grant_get(r->m, w->segs[i].gref, !w->write);

		if (f < 0) {
			for (; w->pinned; w->pinned--)
				be_grant_put(r->m, w->segs[w->pinned - 1].gref);
			return BLKIF_RSP_ERROR;
		}
		w->pinned++;
		w->iov[i].iov_base = r->m->ram + (uint64_t)f * 4096 + w->segs[i].first * BLK_SECTOR;
		w->iov[i].iov_len = (size_t)(w->segs[i].last - w->segs[i].first + 1) * BLK_SECTOR;
	}
	w->off = w->sector * BLK_SECTOR;
	w->total = total * BLK_SECTOR;
	w->v = w->iov;
	w->nv = w->nseg;
	return BLKIF_RSP_OKAY;
}

/*
 * @k more bytes done (k > 0), or the end of the file (k == 0): a read
 * past a file shorter than its size gives zeroes, a write there fails.
 */
static int rw_advance(struct blk_rw *w, uint64_t k)
{
	if (!k) {
		if (w->write)
			return BLKIF_RSP_ERROR;
		for (; w->nv; w->v++, w->nv--)
			memset(w->v->iov_base, 0, w->v->iov_len);
		w->done = w->total;
		return BLKIF_RSP_OKAY;
	}
	w->done += k;
	while (w->nv && k >= w->v->iov_len) {
		k -= w->v->iov_len;
		w->v++;
		w->nv--;
	}
	if (w->nv && k) {
		w->v->iov_base = (uint8_t *)w->v->iov_base + k;
		w->v->iov_len -= (size_t)k;
	}
	return BLKIF_RSP_OKAY;
}

uint64_t blk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The rest of a started request's I/O, here: a BLKIF_RSP_* status. */
static int rw_run(struct blk_ring *r, struct blk_rw *w)
{
	uint64_t t0 = r->timing ? blk_now_ns() : 0;
	int status = BLKIF_RSP_OKAY;

	while (w->done < w->total) {
		ssize_t k = w->write ? pwritev(r->fd, w->v, (int)w->nv, (off_t)(w->off + w->done))
				     : preadv(r->fd, w->v, (int)w->nv, (off_t)(w->off + w->done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || rw_advance(w, (uint64_t)k) != BLKIF_RSP_OKAY) {
			status = BLKIF_RSP_ERROR;
			break;
		}
	}
	if (r->timing)
		atomic_fetch_add(&r->st->ns_io, blk_now_ns() - t0);
	return status;
}

/* A started request is over: counted, its grants released. */
static int rw_end(struct blk_ring *r, struct blk_rw *w, int status)
{
	unsigned int i;

	if (status == BLKIF_RSP_OKAY) {
		if (w->write) {
			atomic_fetch_add(&r->st->writes, 1);
			atomic_fetch_add(&r->st->bytes_written, w->total);
		} else {
			atomic_fetch_add(&r->st->reads, 1);
			atomic_fetch_add(&r->st->bytes_read, w->total);
		}
	}
	for (i = 0; i < w->pinned; i++)
		be_grant_put(r->m, w->segs[i].gref);
	w->pinned = 0;
	return status;
}

/* One read or write, here and now: a BLKIF_RSP_* status. */
static int do_rw(struct blk_ring *r, struct blk_rw *w)
{
	int status = rw_start(r, w);

	if (status != BLKIF_RSP_OKAY)
		return status;
	return rw_end(r, w, rw_run(r, w));
}

static int do_flush(struct blk_ring *r)
{
	atomic_fetch_add(&r->st->flushes, 1);
	atomic_fetch_add(&r->st->fdatasyncs, 1);
	return fdatasync(r->fd) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

static int do_discard(struct blk_ring *r, const struct blkif_request_discard *d)
{
	if (!r->discard)
		return BLKIF_RSP_EOPNOTSUPP;
	if (r->readonly || d->sector_number > r->sectors || d->nr_sectors > r->sectors - d->sector_number)
		return BLKIF_RSP_ERROR;
	atomic_fetch_add(&r->st->discards, 1);
	if (!d->nr_sectors)
		return BLKIF_RSP_OKAY;
	/* a block device (an LVM volume, a partition): the device's own
	 * discard, as for any guest of a real disk; an image: a hole */
	if (r->blockdev) {
		uint64_t range[2] = { d->sector_number * BLK_SECTOR, d->nr_sectors * BLK_SECTOR };

		if (ioctl(r->fd, BLKDISCARD, range))
			return errno == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
		return BLKIF_RSP_OKAY;
	}
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(d->sector_number * BLK_SECTOR),
		      (off_t)(d->nr_sectors * BLK_SECTOR)))
		return errno == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
	return BLKIF_RSP_OKAY;
}

/* The segment list of an indirect request, read from its pinned pages. */
static int indirect_segs(struct blk_ring *r, const struct blkif_request_indirect *q, struct blk_seg *segs)
{
	unsigned int n = q->nr_segments, pages, p, i;

	if (n == 0 || n > BLK_MAX_INDIRECT_SEGS)
		return -1;
	pages = (n + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / BLKIF_SEGS_PER_INDIRECT_PAGE;
	for (p = 0, i = 0; p < pages; p++) {
		int64_t f = be_grant_get(r->m, q->indirect_grefs[p], false);
		const uint8_t *pg;

		if (f < 0)
			return -1;
		pg = r->m->ram + (uint64_t)f * 4096;
		for (; i < n && i < (p + 1) * BLKIF_SEGS_PER_INDIRECT_PAGE; i++) {
			struct blkif_segment s;

			memcpy(&s, pg + (i % BLKIF_SEGS_PER_INDIRECT_PAGE) * sizeof(s), sizeof(s));
			segs[i].gref = s.gref;
			segs[i].first = s.first_sect;
			segs[i].last = s.last_sect;
		}
		be_grant_put(r->m, q->indirect_grefs[p]);
	}
	return (int)n;
}

enum req_kind {
	REQ_ANSWERED,	/* w->status is the answer */
	REQ_RW,		/* a read or write: w holds it, not started */
	REQ_ORDERED,	/* flush, barrier, discard: after every earlier request */
};

static void direct_segs(struct blk_rw *w, const struct blkif_request *q)
{
	unsigned int i;

	for (i = 0; i < q->nr_segments; i++) {
		w->segs[i].gref = q->seg[i].gref;
		w->segs[i].first = q->seg[i].first_sect;
		w->segs[i].last = q->seg[i].last_sect;
	}
	w->nseg = q->nr_segments;
}

/* Read the request copied out to @slot into @w (its id and operation
 * always). */
static enum req_kind parse(struct blk_ring *r, const uint8_t *slot, struct blk_rw *w)
{
	struct blkif_request q;
	int n;

	memcpy(&q, slot, sizeof(q));
	w->id = q.id;
	w->op = q.operation;
	w->status = BLKIF_RSP_ERROR;
	w->pinned = 0;
	w->nseg = 0;
	w->sector = q.sector_number;
	switch (q.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (q.nr_segments == 0 || q.nr_segments > BLKIF_MAX_SEGS)
			return REQ_ANSWERED;
		direct_segs(w, &q);
		w->write = q.operation == BLKIF_OP_WRITE;
		return REQ_RW;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* with data: written first, then everything is made durable */
		if (q.nr_segments > BLKIF_MAX_SEGS)
			return REQ_ANSWERED;
		direct_segs(w, &q);
		w->write = true;
		return REQ_ORDERED;
	case BLKIF_OP_DISCARD:
		return REQ_ORDERED;
	case BLKIF_OP_INDIRECT: {
		struct blkif_request_indirect ind;

		memcpy(&ind, slot, sizeof(ind));
		w->op = ind.indirect_op;	/* the guest expects the inner op */
		if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE)
			return REQ_ANSWERED;
		n = indirect_segs(r, &ind, w->segs);
		if (n < 0)
			return REQ_ANSWERED;
		atomic_fetch_add(&r->st->indirect, 1);
		w->nseg = (unsigned int)n;
		w->sector = ind.sector_number;
		w->write = ind.indirect_op == BLKIF_OP_WRITE;
		return REQ_RW;
	}
	default:
		w->status = BLKIF_RSP_EOPNOTSUPP;
		return REQ_ANSWERED;
	}
}

/* A flush, barrier or discard, every earlier request being complete. */
static int serve_ordered(struct blk_ring *r, const uint8_t *slot, struct blk_rw *w)
{
	int status;

	if (w->op == BLKIF_OP_DISCARD) {
		struct blkif_request_discard d;

		memcpy(&d, slot, sizeof(d));
		return do_discard(r, &d);
	}
	status = w->nseg ? do_rw(r, w) : BLKIF_RSP_OKAY;
	return status == BLKIF_RSP_OKAY ? do_flush(r) : status;
}

/* Put @w's response on the ring (published by blk_ring_service). */
static void respond(struct blk_ring *r, const struct blk_rw *w)
{
	struct blkif_response rsp;

	memset(&rsp, 0, sizeof(rsp));
	rsp.id = w->id;
	rsp.operation = w->op;
	rsp.status = (int16_t)w->status;
	if (w->status == BLKIF_RSP_ERROR)
		atomic_fetch_add(&r->st->errors, 1);
	else if (w->status == BLKIF_RSP_EOPNOTSUPP)
		atomic_fetch_add(&r->st->unsupported, 1);
	ring_copy(r, r->rsp_prod_pvt, &rsp, sizeof(rsp), true);
	r->rsp_prod_pvt++;
}

/* The io_uring did (part of) @w: the rest here if it was short, then the
 * response. */
static void aio_complete(struct blk_ring *r, struct blk_rw *w)
{
	int status;

	if (w->res >= 0) {
		status = rw_advance(w, (uint64_t)w->res);
		if (status == BLKIF_RSP_OKAY && w->done < w->total)
			status = rw_run(r, w);
	} else if (w->res == -EINTR || w->res == -EAGAIN) {
		status = rw_run(r, w);
	} else {
		status = BLKIF_RSP_ERROR;
	}
	atomic_fetch_add(&r->st->aio, 1);
	w->status = rw_end(r, w, status);
	respond(r, w);
	blk_aio_put(r->aio, w);
}

/* Answer every request in flight: 0, or -EIO when the io_uring failed. */
static int aio_drain(struct blk_ring *r)
{
	struct blk_rw *done[64];
	int n, i;

	while (blk_aio_pending(r->aio)) {
		uint64_t t0 = r->timing ? blk_now_ns() : 0;

		n = blk_aio_wait(r->aio, done, 64);
		if (r->timing)
			atomic_fetch_add(&r->st->ns_io, blk_now_ns() - t0);
		if (n < 0) {
			snprintf(r->why, sizeof(r->why), "the disk's io_uring failed: %s", strerror(-n));
			return -EIO;
		}
		for (i = 0; i < n; i++)
			aio_complete(r, done[i]);
	}
	return 0;
}

/* Start the read or write @w on the io_uring: false if it was answered
 * at once (invalid). */
static bool aio_start(struct blk_ring *r, struct blk_rw *w)
{
	unsigned long long n;

	w->status = rw_start(r, w);
	if (w->status != BLKIF_RSP_OKAY)
		return false;
	blk_aio_queue(r->aio, w);
	n = blk_aio_pending(r->aio);
	if (n > atomic_load(&r->st->inflight_max))
		atomic_store(&r->st->inflight_max, n);
	return true;
}

/* The requests of one pass: consumed, served (reads and writes
 * concurrently with an io_uring), answered. */
static int serve_pass(struct blk_ring *r, uint32_t prod)
{
	uint8_t slot[BLKIF_ENTRY_SIZE];
	struct blk_rw one, *w;
	uint32_t done = 0;
	enum req_kind kind;

	while (r->req_cons != prod && done < r->nr_ents) {
		ring_copy(r, r->req_cons, slot, sizeof(slot), false);
		r->req_cons++;
		done++;
		w = r->aio ? blk_aio_get(r->aio) : &one;
		if (!w) {	/* not while at most nr_ents are taken */
			snprintf(r->why, sizeof(r->why), "no free request slot");
			return -EIO;
		}
		kind = parse(r, slot, w);
		if (kind == REQ_RW && r->aio) {
			if (aio_start(r, w))
				continue;	/* answered when it completes */
		} else if (kind == REQ_RW) {
			w->status = do_rw(r, w);
		} else if (kind == REQ_ORDERED) {
			if (r->aio && aio_drain(r)) {
				blk_aio_put(r->aio, w);
				return -EIO;
			}
			w->status = serve_ordered(r, slot, w);
		}
		respond(r, w);
		if (r->aio)
			blk_aio_put(r->aio, w);
	}
	if (r->aio && aio_drain(r))
		return -EIO;
	return (int)done;
}

int blk_ring_service(struct blk_ring *r, bool *notify)
{
	uint8_t *hdr = r->page[0];
	uint32_t prod, old = r->rsp_prod_pvt, ev;
	int done;

	prod = LOAD32(hdr + RING_REQ_PROD);
	if (prod - r->rsp_prod_pvt > r->nr_ents) {
		snprintf(r->why, sizeof(r->why), "req_prod %u is %u requests ahead of the %u-entry ring",
			 prod, prod - r->rsp_prod_pvt, r->nr_ents);
		return -EIO;
	}
	done = serve_pass(r, prod);
	if (done < 0)
		return done;
	if (done) {
		atomic_fetch_add(&r->st->passes, 1);
		if ((unsigned long long)done > atomic_load(&r->st->batch_max))
			atomic_store(&r->st->batch_max, (unsigned long long)done);
		STORE32(hdr + RING_RSP_PROD, r->rsp_prod_pvt);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		ev = LOAD32(hdr + RING_RSP_EVENT);
		if ((uint32_t)(r->rsp_prod_pvt - ev) < (uint32_t)(r->rsp_prod_pvt - old))
			*notify = true;
		return done;
	}
	/* idle: ask for an event on the next request, then look again */
	STORE32(hdr + RING_REQ_EVENT, r->req_cons + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (LOAD32(hdr + RING_REQ_PROD) == r->req_cons)
		return 0;
	atomic_fetch_add(&r->st->rechecks, 1);
	return 1;
}

void blk_ring_snapshot(const struct blk_ring *r, struct blk_ring_state *s)
{
	const uint8_t *hdr = r->page[0];

	s->req_prod = LOAD32(hdr + RING_REQ_PROD);
	s->req_event = LOAD32(hdr + RING_REQ_EVENT);
	s->rsp_prod = LOAD32(hdr + RING_RSP_PROD);
	s->rsp_event = LOAD32(hdr + RING_RSP_EVENT);
	s->req_cons = r->req_cons;
	s->rsp_prod_pvt = r->rsp_prod_pvt;
}

/*
 * Requests: req_prod ahead of req_cons.  The guest owed a notification if
 * req_event is among them (in (req_cons, req_prod]: it pushed past the
 * index we asked for).  Responses: the guest asks for an event at
 * rsp_event = its rsp_cons + 1 once it has taken all; rsp_event at or
 * before rsp_prod means responses it asked to hear about wait untaken.
 */
unsigned int blk_ring_stall(const struct blk_ring_state *s)
{
	unsigned int why = 0;
	uint32_t ahead = s->req_prod - s->req_cons;

	if (ahead && ahead <= BLK_MAX_RING_PAGES * 4096 / BLKIF_ENTRY_SIZE) {
		why |= BLK_STALL_REQUESTS;
		if (s->req_prod - s->req_event < ahead)
			why |= BLK_STALL_LOST_EVENT;
	}
	if ((int32_t)(s->rsp_prod - s->rsp_event) >= 0 &&
	    s->rsp_prod - s->rsp_event < BLK_MAX_RING_PAGES * 4096 / BLKIF_ENTRY_SIZE)
		why |= BLK_STALL_RESPONSES;
	return why;
}

void blk_ring_state_str(const struct blk_ring_state *s, char *buf, size_t len)
{
	snprintf(buf, len, "req_prod=%u req_cons=%u req_event=%u rsp_prod=%u (ours %u) rsp_event=%u", s->req_prod,
		 s->req_cons, s->req_event, s->rsp_prod, s->rsp_prod_pvt, s->rsp_event);
}
