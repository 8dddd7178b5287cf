// SPDX-License-Identifier: MIT
/*
 * Unit tests for the block back end's ring (userland/backend/blkring.c):
 * a fake guest (RAM, a grant table, a ring page) and an image in a
 * temporary file.  Round trips (direct, indirect, multi-page ring), every
 * validation rule (segments, sectors, grants, read-only, operations), the
 * grants released before the response, flush -> fdatasync, discard ->
 * hole, a corrupt ring, the event rule, and random hostile rings -- also
 * under ASan/UBSan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "blkaio.h"
#include "unit.h"

#define PAGES	64			/* guest RAM: 256 KiB */
#define RING_PFN 1			/* ring pages at frames 1.. */
#define DATA_PFN 20			/* data pages from frame 20 */
#define IND_PFN	60			/* indirect segment page */
#define SECTORS	2048			/* 1 MiB image */

static uint8_t *ram;
static struct xen_grant_entry gnt[1024];
static struct be_mem mem;
static struct blk_stats st;
static struct blk_ring ring;
static int fd;
static bool use_aio;			/* the ring served through an io_uring */

static void grant(uint32_t ref, uint32_t frame, bool ro)
{
	gnt[ref].domid = 0;
	gnt[ref].frame = frame;
	gnt[ref].flags = XEN_GTF_PERMIT_ACCESS | (ro ? XEN_GTF_READONLY : 0);
}

static bool grants_idle(void)
{
	for (size_t i = 0; i < sizeof(gnt) / sizeof(gnt[0]); i++)
		if (gnt[i].flags & (XEN_GTF_READING | XEN_GTF_WRITING))
			if (i < 8 || i >= 16)	/* refs 8-15: the ring, pinned while attached */
				return false;
	return true;
}

static void setup(unsigned int order, bool readonly)
{
	char path[] = "/tmp/test_blkring.XXXXXX";
	uint32_t refs[16];
	unsigned int i, n = 1u << order;

	if (!ram)
		ram = aligned_alloc(4096, PAGES * 4096);
	memset(ram, 0, PAGES * 4096);
	memset(gnt, 0, sizeof(gnt));
	memset(&st, 0, sizeof(st));
	if (fd > 0)
		close(fd);
	fd = mkstemp(path);
	unlink(path);
	if (ftruncate(fd, SECTORS * 512)) {
		/* checked by the round trips */
	}
	mem = (struct be_mem){ .ram = ram, .ram_size = PAGES * 4096, .gnt = gnt,
				.gnt_entries = sizeof(gnt) / sizeof(gnt[0]), .domid = 0 };
	/* the front end's ring init: both event indices 1 */
	for (i = 0; i < n; i++) {
		grant(8 + i, RING_PFN + i, false);
		refs[i] = 8 + i;
	}
	*(uint32_t *)(ram + RING_PFN * 4096 + RING_REQ_EVENT) = 1;
	*(uint32_t *)(ram + RING_PFN * 4096 + RING_RSP_EVENT) = 1;
	blk_aio_close(ring.aio);
	memset(&ring, 0, sizeof(ring));
	ring.fd = fd;
	ring.sectors = SECTORS;
	ring.readonly = readonly;
	ring.discard = true;
	ring.st = &st;
	EXPECT(blk_ring_attach(&ring, &mem, refs, n) == 0);
	if (use_aio) {
		char why[96] = "";

		/* no io_uring here is a failure, not a skip */
		if (blk_aio_open(&ring.aio, fd, ring.nr_ents, why, sizeof(why))) {
			printf("  io_uring: %s\n", why);
			unit_cur_failed = 1;
		}
	}
}

/* Put a request (112 bytes) into slot @idx, straddling pages as needed. */
static void put_req(uint32_t idx, const void *req)
{
	uint64_t off = RING_HDR_SIZE + (uint64_t)(idx & (ring.nr_ents - 1)) * BLKIF_ENTRY_SIZE;
	uint8_t tmp[BLKIF_ENTRY_SIZE];

	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, req, sizeof(struct blkif_request));
	memcpy(ram + RING_PFN * 4096 + off, tmp, BLKIF_ENTRY_SIZE);
}

static struct blkif_response get_rsp(uint32_t idx)
{
	uint64_t off = RING_HDR_SIZE + (uint64_t)(idx & (ring.nr_ents - 1)) * BLKIF_ENTRY_SIZE;
	struct blkif_response r;

	memcpy(&r, ram + RING_PFN * 4096 + off, sizeof(r));
	return r;
}

static uint32_t *req_prod(void) { return (uint32_t *)(ram + RING_PFN * 4096 + RING_REQ_PROD); }
static uint32_t rsp_prod(void) { return *(uint32_t *)(ram + RING_PFN * 4096 + RING_RSP_PROD); }

/* Submit one request and serve it; the response's status (or 99). */
static int submit(const void *req)
{
	uint32_t idx = *req_prod();
	bool notify = false;
	struct blkif_response r;
	int n;

	put_req(idx, req);
	*req_prod() = idx + 1;
	n = blk_ring_service(&ring, &notify);
	if (n != 1 || rsp_prod() != idx + 1)
		return 99;
	EXPECT(blk_ring_service(&ring, &notify) == 0);
	r = get_rsp(idx);
	EXPECT(r.id == ((const struct blkif_request *)req)->id);
	return r.status;
}

static struct blkif_request rw(uint8_t op, uint64_t sector, unsigned int nseg)
{
	struct blkif_request q;

	memset(&q, 0, sizeof(q));
	q.operation = op;
	q.nr_segments = (uint8_t)nseg;
	q.id = 0xabc0 + nseg;
	q.sector_number = sector;
	for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGS; i++) {
		q.seg[i].gref = 100 + i;
		q.seg[i].first_sect = 0;
		q.seg[i].last_sect = 7;
		grant(100 + i, DATA_PFN + i, false);
	}
	return q;
}

static void test_roundtrip(void)
{
	struct blkif_request q;
	uint8_t buf[4096];

	setup(0, false);
	EXPECT(ring.nr_ents == 32);
	for (int i = 0; i < 3 * 4096; i++)
		ram[DATA_PFN * 4096 + i] = (uint8_t)(i * 7 + 3);
	q = rw(BLKIF_OP_WRITE, 16, 3);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	EXPECT(pread(fd, buf, 4096, 16 * 512 + 4096) == 4096 && buf[5] == (uint8_t)((4096 + 5) * 7 + 3));
	EXPECT(grants_idle());
	memset(ram + DATA_PFN * 4096, 0, 3 * 4096);
	/* a partial page: sectors 2-5 of segment 0 */
	q = rw(BLKIF_OP_READ, 16, 1);
	q.seg[0].first_sect = 2;
	q.seg[0].last_sect = 5;
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	EXPECT(ram[DATA_PFN * 4096 + 1024] == (uint8_t)3 && ram[DATA_PFN * 4096 + 1023] == 0 &&
	       ram[DATA_PFN * 4096 + 3072] == 0);
	EXPECT(atomic_load(&st.reads) == 1 && atomic_load(&st.writes) == 1);
	EXPECT(grants_idle());
	/* the ring's own grants are pinned while attached, released after */
	EXPECT(gnt[8].flags & XEN_GTF_WRITING);
	blk_ring_detach(&ring);
	EXPECT(!(gnt[8].flags & (XEN_GTF_READING | XEN_GTF_WRITING)));
}

static void test_validation(void)
{
	struct blkif_request q;

	setup(0, false);
	q = rw(BLKIF_OP_READ, 0, 0);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* no segment */
	q = rw(BLKIF_OP_WRITE, 0, 11);
	q.nr_segments = 12;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* > 11 */
	q = rw(BLKIF_OP_READ, 0, 1);
	q.seg[0].first_sect = 5;
	q.seg[0].last_sect = 4;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* first > last */
	q = rw(BLKIF_OP_READ, 0, 1);
	q.seg[0].last_sect = 8;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* beyond the page */
	q = rw(BLKIF_OP_READ, SECTORS - 7, 1);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* past the end */
	q = rw(BLKIF_OP_READ, SECTORS - 8, 1);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);		/* the last page */
	q = rw(BLKIF_OP_READ, UINT64_MAX - 3, 1);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* overflow */
	q = rw(BLKIF_OP_READ, 0, 1);
	q.seg[0].gref = 1024;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* ref beyond the table */
	q = rw(BLKIF_OP_READ, 0, 1);
	q.seg[0].gref = 200;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* an unused entry */
	q = rw(BLKIF_OP_READ, 0, 1);
	gnt[100].domid = 7;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* granted to another domain */
	q = rw(BLKIF_OP_READ, 0, 1);
	gnt[100].frame = PAGES;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* not guest RAM */
	q = rw(BLKIF_OP_READ, 0, 1);
	gnt[100].frame = 0xffffffffu;
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);
	q = rw(BLKIF_OP_READ, 0, 2);
	grant(101, DATA_PFN, true);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* a read into a read-only grant */
	EXPECT(grants_idle());				/* segment 0 was released */
	q = rw(BLKIF_OP_WRITE, 0, 1);
	grant(100, DATA_PFN, true);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);		/* a write from it is fine */
	q = rw(4, 0, 1);
	EXPECT(submit(&q) == BLKIF_RSP_EOPNOTSUPP);	/* reserved */
	q = rw(200, 0, 1);
	EXPECT(submit(&q) == BLKIF_RSP_EOPNOTSUPP);
	EXPECT(get_rsp(*req_prod() - 1).operation == 200);
	EXPECT(grants_idle());
	EXPECT(atomic_load(&st.errors) == 12 && atomic_load(&st.unsupported) == 2);
}

static void test_readonly(void)
{
	struct blkif_request q;
	struct blkif_request_discard dq;
	uint8_t buf[512];

	setup(0, true);
	memset(ram + DATA_PFN * 4096, 0x5a, 4096);
	q = rw(BLKIF_OP_WRITE, 0, 1);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);
	EXPECT(pread(fd, buf, 512, 0) == 512 && buf[0] == 0);
	q = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
	EXPECT(submit(&q) == BLKIF_RSP_ERROR);		/* a flush with data writes */
	memset(&dq, 0, sizeof(dq));
	dq.operation = BLKIF_OP_DISCARD;
	dq.nr_sectors = 8;
	EXPECT(submit(&dq) == BLKIF_RSP_ERROR);
	q = rw(BLKIF_OP_READ, 0, 1);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	EXPECT(grants_idle());
}

static void test_flush_discard(void)
{
	struct blkif_request q;
	struct blkif_request_discard dq;
	struct stat sb;

	setup(0, false);
	memset(ram + DATA_PFN * 4096, 0x77, 11 * 4096);
	for (int i = 0; i < 8; i++) {
		q = rw(BLKIF_OP_WRITE, (uint64_t)i * 88, 11);
		EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	}
	q = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	EXPECT(atomic_load(&st.fdatasyncs) == 1 && atomic_load(&st.flushes) == 1);
	EXPECT(get_rsp(*req_prod() - 1).operation == BLKIF_OP_FLUSH_DISKCACHE);
	EXPECT(fstat(fd, &sb) == 0 && sb.st_blocks > 0);
	memset(&dq, 0, sizeof(dq));
	dq.operation = BLKIF_OP_DISCARD;
	dq.id = 77;
	dq.sector_number = 0;
	dq.nr_sectors = SECTORS;
	EXPECT(submit(&dq) == BLKIF_RSP_OKAY);
	EXPECT(fstat(fd, &sb) == 0 && sb.st_blocks == 0 && sb.st_size == SECTORS * 512);
	dq.nr_sectors = SECTORS + 1;
	EXPECT(submit(&dq) == BLKIF_RSP_ERROR);
	dq.sector_number = UINT64_MAX;
	dq.nr_sectors = 2;
	EXPECT(submit(&dq) == BLKIF_RSP_ERROR);
	ring.discard = false;
	dq.sector_number = 0;
	EXPECT(submit(&dq) == BLKIF_RSP_EOPNOTSUPP);
}

static void test_indirect(void)
{
	struct blkif_request_indirect ind;
	struct blkif_segment *segs;
	uint8_t buf[40 * 512];
	unsigned int i;

	setup(0, false);
	memset(&ind, 0, sizeof(ind));
	ind.operation = BLKIF_OP_INDIRECT;
	ind.indirect_op = BLKIF_OP_WRITE;
	ind.nr_segments = 40;		/* 40 half pages: sectors 0-3 of pages DATA.. */
	ind.id = 99;
	ind.sector_number = 64;
	ind.indirect_grefs[0] = 300;
	grant(300, IND_PFN, true);	/* read-only is enough for the list */
	segs = (struct blkif_segment *)(ram + IND_PFN * 4096);
	for (i = 0; i < 40; i++) {
		segs[i].gref = 400 + i % 20;
		segs[i].first_sect = 0;
		segs[i].last_sect = 0;
		grant(400 + i % 20, DATA_PFN + i % 20, false);
		ram[(DATA_PFN + i % 20) * 4096] = (uint8_t)(i % 20 + 1);
	}
	EXPECT(submit(&ind) == BLKIF_RSP_OKAY);
	EXPECT(get_rsp(*req_prod() - 1).operation == BLKIF_OP_WRITE);	/* the inner op */
	EXPECT(pread(fd, buf, sizeof(buf), 64 * 512) == (ssize_t)sizeof(buf));
	EXPECT(buf[0] == 1 && buf[19 * 512] == 20 && buf[20 * 512] == 1 && buf[39 * 512] == 20);
	EXPECT(grants_idle());
	EXPECT(atomic_load(&st.indirect) == 1);
	ind.nr_segments = 0;
	EXPECT(submit(&ind) == BLKIF_RSP_ERROR);
	ind.nr_segments = BLK_MAX_INDIRECT_SEGS + 1;
	EXPECT(submit(&ind) == BLKIF_RSP_ERROR);
	ind.nr_segments = 4;
	ind.indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
	EXPECT(submit(&ind) == BLKIF_RSP_ERROR);
	ind.indirect_op = BLKIF_OP_READ;
	ind.indirect_grefs[0] = 5000;
	EXPECT(submit(&ind) == BLKIF_RSP_ERROR);
	EXPECT(grants_idle());
}

static void test_multipage_and_events(void)
{
	struct blkif_request q;
	bool notify = false;
	uint32_t i;

	setup(2, false);
	EXPECT(ring.nr_ents == 128);
	/* 300 requests through a 128-entry ring spanning 4 pages */
	for (i = 0; i < 300; i++) {
		q = rw(i & 1 ? BLKIF_OP_READ : BLKIF_OP_WRITE, i, 1);
		q.id = i;
		EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	}
	EXPECT(grants_idle());
	/* the event rule: a response past rsp_event notifies, else not */
	*(uint32_t *)(ram + RING_PFN * 4096 + RING_RSP_EVENT) = rsp_prod() + 5;
	q = rw(BLKIF_OP_READ, 0, 1);
	put_req(*req_prod(), &q);
	(*req_prod())++;
	EXPECT(blk_ring_service(&ring, &notify) == 1 && !notify);
	*(uint32_t *)(ram + RING_PFN * 4096 + RING_RSP_EVENT) = rsp_prod() + 1;
	put_req(*req_prod(), &q);
	(*req_prod())++;
	EXPECT(blk_ring_service(&ring, &notify) == 1 && notify);
	/* idle: req_event asks for the next request */
	EXPECT(blk_ring_service(&ring, &notify) == 0);
	EXPECT(*(uint32_t *)(ram + RING_PFN * 4096 + RING_REQ_EVENT) == *req_prod() + 1);
	/* bad ring attachments */
	{
		struct blk_ring r2;
		uint32_t refs[4] = { 8, 9, 900, 11 };

		memset(&r2, 0, sizeof(r2));
		EXPECT(blk_ring_attach(&r2, &mem, refs, 3) == -EINVAL);
		EXPECT(blk_ring_attach(&r2, &mem, refs, 32) == -EINVAL);
		gnt[10].flags = 0;
		EXPECT(blk_ring_attach(&r2, &mem, refs, 4) == -EINVAL && strstr(r2.why, "ring-ref 900"));
	}
}

static void test_corrupt_ring(void)
{
	bool notify = false;

	setup(0, false);
	*req_prod() = 33;
	EXPECT(blk_ring_service(&ring, &notify) == -EIO && strstr(ring.why, "ahead of the 32-entry ring"));
	*req_prod() = 0xffffffffu;
	EXPECT(blk_ring_service(&ring, &notify) == -EIO);
	*req_prod() = 32;	/* a full ring is fine */
	EXPECT(blk_ring_service(&ring, &notify) == 32);
	EXPECT(rsp_prod() == 32 && grants_idle());
}

/* Random rings: never a crash, an access outside RAM (ASan) or a hang;
 * every request answered with one of the three statuses. */
static void test_random(void)
{
	unsigned int seed = 99, iter;
	bool notify;

	setup(0, false);
	for (iter = 0; iter < 20000; iter++) {
		uint8_t slot[BLKIF_ENTRY_SIZE];
		uint32_t idx = *req_prod();
		struct blkif_response r;
		int n;

		for (size_t j = 0; j < sizeof(slot); j++) {
			seed = seed * 1103515245 + 12345;
			slot[j] = (uint8_t)(seed >> 16);
		}
		slot[0] %= 8;			/* mostly real operations */
		if (slot[0] != BLKIF_OP_INDIRECT)
			slot[1] %= 13;
		memcpy(slot + 16, &(uint64_t){ (seed >> 8) % (SECTORS + 16) }, 8);
		for (unsigned int s = 0; s < 11; s++) {	/* grefs: some valid */
			uint32_t g = 100 + (slot[24 + s * 8] % 24);

			memcpy(slot + 24 + s * 8, &g, 4);
			slot[28 + s * 8] %= 9;
			slot[29 + s * 8] %= 9;
		}
		for (unsigned int g = 100; g < 124; g++) {
			seed = seed * 1103515245 + 12345;
			gnt[g].domid = (seed >> 16) % 16 == 0 ? 3 : 0;
			gnt[g].flags = (uint16_t)((seed >> 20) % 4 | ((seed >> 24) & 4));
			gnt[g].frame = (seed >> 8) % (PAGES + 4);
		}
		memcpy(ram + RING_PFN * 4096 + RING_HDR_SIZE + (idx % 32) * BLKIF_ENTRY_SIZE, slot, sizeof(slot));
		*req_prod() = idx + 1;
		notify = false;
		n = blk_ring_service(&ring, &notify);
		if (n != 1) {
			printf("  iteration %u: service returned %d\n", iter, n);
			unit_cur_failed = 1;
			break;
		}
		blk_ring_service(&ring, &notify);
		r = get_rsp(idx);
		if (r.status != 0 && r.status != -1 && r.status != -2) {
			printf("  iteration %u: status %d\n", iter, r.status);
			unit_cur_failed = 1;
			break;
		}
		for (unsigned int g = 100; g < 124; g++)
			if (gnt[g].flags & (XEN_GTF_READING | XEN_GTF_WRITING)) {
				printf("  iteration %u: grant %u left in use\n", iter, g);
				unit_cur_failed = 1;
				iter = 20000;
			}
	}
	EXPECT(atomic_load(&st.reads) + atomic_load(&st.writes) > 0 && atomic_load(&st.errors) > 0);
}

/* A short image: a read past its end gives zeroes, a write there fails
 * (the same through the io_uring, which sees the end first). */
static void test_short_image(void)
{
	struct blkif_request q;

	setup(0, false);
	EXPECT(ftruncate(fd, 16 * 512 + 2048) == 0);	/* half of page 0 of sector 16 */
	memset(ram + DATA_PFN * 4096, 0x55, 2 * 4096);
	q = rw(BLKIF_OP_READ, 16, 2);
	EXPECT(submit(&q) == BLKIF_RSP_OKAY);
	EXPECT(ram[DATA_PFN * 4096] == 0 && ram[DATA_PFN * 4096 + 3000] == 0 && ram[(DATA_PFN + 1) * 4096 + 100] == 0);
	EXPECT(grants_idle());
	EXPECT(ftruncate(fd, SECTORS * 512) == 0);
}

/*
 * One pass of many requests (the io_uring's case): every request
 * answered once with its id, the data right, the flush answered after
 * every request before it, the grants released, the counters.
 */
static void test_batch(void)
{
	struct blkif_request q;
	struct blkif_response r;
	bool notify = false, seen[24];
	unsigned int i, flush_at = 0, n_rw = 0;
	uint32_t base;
	uint8_t buf[4096];

	setup(0, false);
	base = *req_prod();
	/* 8 writes of 1 page each (pages DATA..DATA+7, sectors 8i), a flush,
	 * then 8 reads of them back into pages DATA+8.. and 4 bad requests */
	for (i = 0; i < 8 * 4096; i++)
		ram[DATA_PFN * 4096 + i] = (uint8_t)(i / 4096 * 31 + i);
	for (i = 0; i < 8; i++) {
		memset(&q, 0, sizeof(q));
		q.operation = BLKIF_OP_WRITE;
		q.nr_segments = 1;
		q.id = 1000 + i;
		q.sector_number = 8 * i;
		q.seg[0].gref = 200 + i;
		q.seg[0].last_sect = 7;
		grant(200 + i, DATA_PFN + i, true);
		put_req(base + i, &q);
	}
	q = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	q.id = 1008;
	put_req(base + 8, &q);
	for (i = 0; i < 8; i++) {
		memset(&q, 0, sizeof(q));
		q.operation = BLKIF_OP_READ;
		q.nr_segments = 1;
		q.id = 1009 + i;
		q.sector_number = 8 * i;
		q.seg[0].gref = 210 + i;
		q.seg[0].last_sect = 7;
		grant(210 + i, DATA_PFN + 8 + i, false);
		put_req(base + 9 + i, &q);
	}
	for (i = 0; i < 4; i++) {	/* beyond the disk, bad segment, bad grant, bad op */
		memset(&q, 0, sizeof(q));
		q.operation = i == 3 ? 99 : BLKIF_OP_READ;
		q.nr_segments = 1;
		q.id = 1017 + i;
		q.sector_number = i == 0 ? SECTORS : 0;
		q.seg[0].gref = i == 2 ? 999 : 210;
		q.seg[0].first_sect = i == 1 ? 5 : 0;
		q.seg[0].last_sect = i == 1 ? 4 : 7;
		put_req(base + 17 + i, &q);
	}
	*req_prod() = base + 21;
	EXPECT(blk_ring_service(&ring, &notify) == 21);
	EXPECT(rsp_prod() == base + 21 && notify);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 21; i++) {
		r = get_rsp(base + i);
		if (r.id < 1000 || r.id >= 1021 || seen[r.id - 1000]) {
			printf("  response %u: id %llu unexpected or twice\n", i, (unsigned long long)r.id);
			unit_cur_failed = 1;
			continue;
		}
		seen[r.id - 1000] = true;
		if (r.id == 1008)
			flush_at = i;
		else if (r.id < 1008)
			n_rw += r.status == BLKIF_RSP_OKAY && r.operation == BLKIF_OP_WRITE;
		EXPECT(r.id < 1017 ? r.status == BLKIF_RSP_OKAY
				   : r.status == (r.id == 1020 ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR));
	}
	/* the flush came after all 8 writes were answered */
	for (i = 0; i < flush_at; i++)
		EXPECT(get_rsp(base + i).id < 1008);
	EXPECT(flush_at == 8 && n_rw == 8);
	for (i = 0; i < 8; i++)
		EXPECT(memcmp(ram + (DATA_PFN + 8 + i) * 4096, ram + (DATA_PFN + i) * 4096, 4096) == 0);
	EXPECT(pread(fd, buf, 4096, 3 * 8 * 512) == 4096 && memcmp(buf, ram + (DATA_PFN + 3) * 4096, 4096) == 0);
	EXPECT(atomic_load(&st.writes) == 8 && atomic_load(&st.reads) == 8 && atomic_load(&st.fdatasyncs) == 1);
	EXPECT(atomic_load(&st.errors) == 3 && atomic_load(&st.unsupported) == 1);
	if (use_aio)
		EXPECT(atomic_load(&st.aio) == 16 && atomic_load(&st.inflight_max) == 8);
	else
		EXPECT(atomic_load(&st.aio) == 0 && atomic_load(&st.inflight_max) == 0);
	EXPECT(grants_idle());
	EXPECT(blk_ring_service(&ring, &notify) == 0);
}

/* The same tests with the ring's io_uring. */
#define AIO(fn) static void aio_##fn(void) { use_aio = true; fn(); use_aio = false; }
AIO(test_roundtrip)
AIO(test_validation)
AIO(test_readonly)
AIO(test_flush_discard)
AIO(test_indirect)
AIO(test_multipage_and_events)
AIO(test_corrupt_ring)
AIO(test_random)
AIO(test_short_image)
AIO(test_batch)

int main(void)
{
	RUN(UNIT_PREFIX, test_roundtrip);
	RUN(UNIT_PREFIX, test_validation);
	RUN(UNIT_PREFIX, test_readonly);
	RUN(UNIT_PREFIX, test_flush_discard);
	RUN(UNIT_PREFIX, test_indirect);
	RUN(UNIT_PREFIX, test_multipage_and_events);
	RUN(UNIT_PREFIX, test_corrupt_ring);
	RUN(UNIT_PREFIX, test_random);
	RUN(UNIT_PREFIX, test_short_image);
	RUN(UNIT_PREFIX, test_batch);
	RUN(UNIT_PREFIX, aio_test_roundtrip);
	RUN(UNIT_PREFIX, aio_test_validation);
	RUN(UNIT_PREFIX, aio_test_readonly);
	RUN(UNIT_PREFIX, aio_test_flush_discard);
	RUN(UNIT_PREFIX, aio_test_indirect);
	RUN(UNIT_PREFIX, aio_test_multipage_and_events);
	RUN(UNIT_PREFIX, aio_test_corrupt_ring);
	RUN(UNIT_PREFIX, aio_test_random);
	RUN(UNIT_PREFIX, aio_test_short_image);
	RUN(UNIT_PREFIX, aio_test_batch);
	blk_aio_close(ring.aio);
	if (fd > 0)
		close(fd);
	free(ram);
	return unit_failed;
}
