// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the block back end's ring (userland/backend/blkring.c)
 * against a hostile guest: the whole ring page (indices, event fields,
 * every request slot), 64 grant entries and an indirect-segment page come
 * from the input; the guest has 32 pages of RAM and a 64 KiB image.
 *
 * Input: 4096 bytes of ring page (its private byte 16: bit 0 read-only,
 * bit 1 discard, bit 2 the io_uring), 512 bytes of grant entries (refs 0-63;
 * ref 8 is then made the ring's own grant), 4096 bytes of the page at
 * frame 2 (indirect lists); missing bytes are zero.
 *
 * Oracle (besides ASan/UBSan, which catch any access outside the guest's
 * RAM and the image): the service ends (a bounded number of rounds, each
 * at most one ring); a corrupt ring is refused before any request is
 * served, with a reason; every response has status 0, -1 or -2; no data
 * grant is left in use; the responses never run ahead of the requests.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "blkaio.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-blkring: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define PAGES 32
static uint8_t *ram;
static struct xen_grant_entry gnt[64];
static int fd = -1;
static struct blk_aio *aio;	/* the ring's io_uring, kept between inputs (empty after each pass) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct be_mem mem;
	struct blk_stats st;
	struct blk_ring r;
	uint32_t ref = 8, start, i;
	size_t n;
	int rounds, ret = 0;
	bool notify, ring_granted = false;

	if (!ram)
		ram = aligned_alloc(4096, PAGES * 4096);
	if (fd < 0)
		fd = memfd_create("fuzz-blkring", 0);
	CHECK(ram && fd >= 0 && ftruncate(fd, 65536) == 0);
	memset(ram, 0, PAGES * 4096);
	memset(gnt, 0, sizeof(gnt));
	n = size < 4096 ? size : 4096;
	memcpy(ram + 4096, data, n);
	data += n;
	size -= n;
	n = size < sizeof(gnt) ? size : sizeof(gnt);
	memcpy(gnt, data, n);
	data += n;
	size -= n;
	n = size < 4096 ? size : 4096;
	memcpy(ram + 2 * 4096, data, n);
	for (i = 0; i < 64; i++)
		gnt[i].flags &= (uint16_t)~(XEN_GTF_READING | XEN_GTF_WRITING);
	gnt[8] = (struct xen_grant_entry){ .flags = XEN_GTF_PERMIT_ACCESS, .domid = 0, .frame = 1 };
	/* a guest may use its ring page for data too (another grant of frame
	 * 1, or the ring's own ref 8 in a segment): a READ then writes image
	 * bytes over the responses, which are no longer the back end's.  Ref 8
	 * can only reach a segment from the ring page or an indirect page
	 * (frame 2; the other frames are zero), so a 4-aligned 8 in neither
	 * keeps the status check exact. */
	for (i = 0; i < 64; i++)
		if (i != 8 && gnt[i].frame == 1)
			ring_granted = true;
	for (i = 0; i < 4096; i += 4)
		if (*(uint32_t *)(ram + 4096 + i) == 8 || *(uint32_t *)(ram + 2 * 4096 + i) == 8)
			ring_granted = true;
	mem = (struct be_mem){ .ram = ram, .ram_size = PAGES * 4096, .gnt = gnt, .gnt_entries = 64, .domid = 0 };
	memset(&st, 0, sizeof(st));
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.sectors = 65536 / 512;
	r.readonly = (ram[4096 + 16] & 1) != 0;	/* the private byte picks the mode */
	r.discard = (ram[4096 + 16] & 2) != 0;
	r.st = &st;
	if (ram[4096 + 16] & 4) {	/* reads and writes through the io_uring (blkaio.c) */
		char why[96];

		if (!aio)
			CHECK(blk_aio_open(&aio, fd, 32, why, sizeof(why)) == 0);
		r.aio = aio;
	}
	CHECK(blk_ring_attach(&r, &mem, &ref, 1) == 0 && r.nr_ents == 32);
	start = r.rsp_prod_pvt;
	for (rounds = 0; rounds < 8; rounds++) {
		notify = false;
		ret = blk_ring_service(&r, &notify);
		if (ret <= 0)
			break;
		CHECK(ret <= 32);
	}
	if (ret < 0) {
		CHECK(ret == -EIO && r.why[0]);
	} else {
		/* every request served was answered and published; the last
		 * ring's worth of responses are still in their slots */
		uint32_t served = r.rsp_prod_pvt - start, idx;

		CHECK(*(uint32_t *)(ram + 4096 + RING_RSP_PROD) == r.rsp_prod_pvt);
		CHECK(r.req_cons == r.rsp_prod_pvt && served <= 8 * 32);
		for (idx = r.rsp_prod_pvt - (served < 32 ? served : 32); idx != r.rsp_prod_pvt; idx++) {
			struct blkif_response rsp;

			memcpy(&rsp, ram + 4096 + RING_HDR_SIZE + (idx % 32) * BLKIF_ENTRY_SIZE, sizeof(rsp));
			CHECK(ring_granted || rsp.status == 0 || rsp.status == -1 || rsp.status == -2);
		}
	}
	for (i = 0; i < 64; i++)
		if (i != 8)
			CHECK(!(gnt[i].flags & (XEN_GTF_READING | XEN_GTF_WRITING)));
	blk_ring_detach(&r);
	CHECK(!(gnt[8].flags & (XEN_GTF_READING | XEN_GTF_WRITING)));
	return 0;
}
