// SPDX-License-Identifier: MIT
/*
 * The block ring (see blkback.h, docs/devices.md): requests copied out of
 * the shared page before they are looked at, validated, the guest's
 * grants pinned for the access, the I/O done straight between the image
 * and guest RAM (preadv/pwritev on the launcher's mapping), the grants
 * released, then the response.  Requests are served one after the other,
 * so a FLUSH_DISKCACHE runs after every earlier request completed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include "blkback.h"

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

struct seg {
	uint32_t gref;
	uint8_t first, last;
};

/* One read or write of @n segments at @sector; a BLKIF_RSP_* status. */
static int do_rw(struct blk_ring *r, bool write, uint64_t sector, const struct seg *segs, unsigned int n)
{
	struct iovec iov[BLK_MAX_INDIRECT_SEGS];
	uint64_t total = 0, off;
	unsigned int i, pinned = 0;
	int status = BLKIF_RSP_OKAY;

	if (write && r->readonly)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < n; i++) {
		if (segs[i].first > segs[i].last || segs[i].last > 7)
			return BLKIF_RSP_ERROR;
		total += (uint64_t)(segs[i].last - segs[i].first + 1);
	}
	if (sector > r->sectors || total > r->sectors - sector)
		return BLKIF_RSP_ERROR;
	for (i = 0; i < n; i++) {
		/* a read writes into the guest's page */
		int64_t f = be_grant_get(r->m, segs[i].gref, !write);

		if (f < 0) {
			status = BLKIF_RSP_ERROR;
			goto out;
		}
		pinned++;
		iov[i].iov_base = r->m->ram + (uint64_t)f * 4096 + segs[i].first * BLK_SECTOR;
		iov[i].iov_len = (size_t)(segs[i].last - segs[i].first + 1) * BLK_SECTOR;
	}
	off = sector * BLK_SECTOR;
	total *= BLK_SECTOR;
	{
		struct iovec *v = iov;
		unsigned int nv = n;
		uint64_t done = 0;

		while (done < total) {
			ssize_t k = write ? pwritev(r->fd, v, (int)nv, (off_t)(off + done))
					  : preadv(r->fd, v, (int)nv, (off_t)(off + done));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				status = BLKIF_RSP_ERROR;
				break;
			}
			if (k == 0) {
				if (write) {
					status = BLKIF_RSP_ERROR;
					break;
				}
				/* a file shorter than its size: zeroes */
				for (; nv; v++, nv--)
					memset(v->iov_base, 0, v->iov_len);
				break;
			}
			done += (uint64_t)k;
			while (nv && (size_t)k >= v->iov_len) {
				k -= (ssize_t)v->iov_len;
				v++;
				nv--;
			}
			if (nv && k) {
				v->iov_base = (uint8_t *)v->iov_base + k;
				v->iov_len -= (size_t)k;
			}
		}
	}
	if (status == BLKIF_RSP_OKAY) {
		if (write) {
			atomic_fetch_add(&r->st->writes, 1);
			atomic_fetch_add(&r->st->bytes_written, total);
		} else {
			atomic_fetch_add(&r->st->reads, 1);
			atomic_fetch_add(&r->st->bytes_read, total);
		}
	}
out:
	for (i = 0; i < pinned; i++)
		be_grant_put(r->m, segs[i].gref);
	return status;
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
static int indirect_segs(struct blk_ring *r, const struct blkif_request_indirect *q, struct seg *segs)
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

/* Serve one request (already copied out); fills the response. */
static void serve(struct blk_ring *r, const uint8_t *slot, struct blkif_response *rsp)
{
	struct blkif_request q;
	struct seg segs[BLK_MAX_INDIRECT_SEGS];
	unsigned int i;
	int n;

	memcpy(&q, slot, sizeof(q));
	memset(rsp, 0, sizeof(*rsp));
	rsp->id = q.id;
	rsp->operation = q.operation;
	switch (q.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (q.nr_segments == 0 || q.nr_segments > BLKIF_MAX_SEGS) {
			rsp->status = BLKIF_RSP_ERROR;
			break;
		}
		for (i = 0; i < q.nr_segments; i++) {
			segs[i].gref = q.seg[i].gref;
			segs[i].first = q.seg[i].first_sect;
			segs[i].last = q.seg[i].last_sect;
		}
		rsp->status = (int16_t)do_rw(r, q.operation == BLKIF_OP_WRITE, q.sector_number, segs, q.nr_segments);
		break;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* with data: written first, then everything is made durable */
		if (q.nr_segments > BLKIF_MAX_SEGS) {
			rsp->status = BLKIF_RSP_ERROR;
			break;
		}
		for (i = 0; i < q.nr_segments; i++) {
			segs[i].gref = q.seg[i].gref;
			segs[i].first = q.seg[i].first_sect;
			segs[i].last = q.seg[i].last_sect;
		}
		rsp->status = q.nr_segments ? (int16_t)do_rw(r, true, q.sector_number, segs, q.nr_segments)
					    : BLKIF_RSP_OKAY;
		if (rsp->status == BLKIF_RSP_OKAY)
			rsp->status = (int16_t)do_flush(r);
		break;
	case BLKIF_OP_DISCARD: {
		struct blkif_request_discard d;

		memcpy(&d, slot, sizeof(d));
		rsp->status = (int16_t)do_discard(r, &d);
		break;
	}
	case BLKIF_OP_INDIRECT: {
		struct blkif_request_indirect ind;

		memcpy(&ind, slot, sizeof(ind));
		rsp->operation = ind.indirect_op;	/* the guest expects the inner op */
		if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE) {
			rsp->status = BLKIF_RSP_ERROR;
			break;
		}
		n = indirect_segs(r, &ind, segs);
		if (n < 0) {
			rsp->status = BLKIF_RSP_ERROR;
			break;
		}
		atomic_fetch_add(&r->st->indirect, 1);
		rsp->status = (int16_t)do_rw(r, ind.indirect_op == BLKIF_OP_WRITE, ind.sector_number, segs,
					     (unsigned int)n);
		break;
	}
	default:
		rsp->status = BLKIF_RSP_EOPNOTSUPP;
		break;
	}
	if (rsp->status == BLKIF_RSP_ERROR)
		atomic_fetch_add(&r->st->errors, 1);
	else if (rsp->status == BLKIF_RSP_EOPNOTSUPP)
		atomic_fetch_add(&r->st->unsupported, 1);
}

int blk_ring_service(struct blk_ring *r, bool *notify)
{
	uint8_t *hdr = r->page[0];
	uint32_t prod, old = r->rsp_prod_pvt, done = 0, ev;
	uint8_t slot[BLKIF_ENTRY_SIZE];
	struct blkif_response rsp;

	prod = LOAD32(hdr + RING_REQ_PROD);
	if (prod - r->rsp_prod_pvt > r->nr_ents) {
		snprintf(r->why, sizeof(r->why), "req_prod %u is %u requests ahead of the %u-entry ring",
			 prod, prod - r->rsp_prod_pvt, r->nr_ents);
		return -EIO;
	}
	while (r->req_cons != prod && done < r->nr_ents) {
		ring_copy(r, r->req_cons, slot, sizeof(slot), false);
		r->req_cons++;
		serve(r, slot, &rsp);
		ring_copy(r, r->rsp_prod_pvt, &rsp, sizeof(rsp), true);
		r->rsp_prod_pvt++;
		done++;
	}
	if (done) {
		STORE32(hdr + RING_RSP_PROD, r->rsp_prod_pvt);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		ev = LOAD32(hdr + RING_RSP_EVENT);
		if ((uint32_t)(r->rsp_prod_pvt - ev) < (uint32_t)(r->rsp_prod_pvt - old))
			*notify = true;
		return (int)done;
	}
	/* idle: ask for an event on the next request, then look again */
	STORE32(hdr + RING_REQ_EVENT, r->req_cons + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return LOAD32(hdr + RING_REQ_PROD) != r->req_cons ? 1 : 0;
}
