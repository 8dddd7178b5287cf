// SPDX-License-Identifier: MIT
/*
 * pv-blkfuzz: a hostile block front end, run inside a domus guest by
 * tests/host/amd-pvblk.sh (68-pv-blk-amd; docs/devices.md "Hostile
 * guests").  It takes a vbd away from the guest's blkfront (sysfs unbind),
 * connects its own ring to domus's back end through the guest kernel's
 * user interfaces (/dev/xen/xenbus for xenstore, /dev/xen/gntalloc for
 * grants, /dev/xen/evtchn for the event channel), then:
 *   1. one valid READ: answered OKAY;
 *   2. N batches of random requests (operations, segment counts, grant
 *      refs -- ours, foreign or absurd --, sector numbers, indirect lists),
 *      each batch answered completely with OKAY, ERROR or EOPNOTSUPP;
 *   3. a racing writer: a second thread rewrites every request slot
 *      without pause while batches are pushed and served; every batch
 *      must still be answered in full (statuses are not judged: the
 *      slots are garbage by then);
 *   4. req_prod thrown far beyond the ring: the back end must disconnect
 *      (its state goes to 5) and the rest of the guest keeps working.
 * One line per phase on stdout, "BLKFUZZ ...", and BLKFUZZ-DONE.
 *
 *   pv-blkfuzz DEVID [BATCHES] [SEED]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
typedef uint16_t domid_t;	/* the uapi headers expect Xen's type */
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include "xen_abi.h"

#define XS_READ		2
#define XS_WRITE	11
#define XS_ERROR	16
#define NPAGES		4	/* ring + 3 data pages */
#define NENT		32

static int xs_fd, ev_fd;
static uint32_t port;
static unsigned int seed = 1;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static int xs_req(uint32_t type, const char *a, const char *b, char *out, size_t outlen)
{
	char buf[4096 + 16];
	struct xs_msg_hdr h;
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)(la + lb);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a, la);
	if (b)
		memcpy(buf + sizeof(h) + la, b, lb);
	if (write(xs_fd, buf, sizeof(h) + la + lb) < 0)
		return -1;
	n = read(xs_fd, buf, sizeof(buf) - 1);
	if (n < (ssize_t)sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	buf[n] = 0;
	if (h.type == XS_ERROR)
		return -1;
	if (out)
		snprintf(out, outlen, "%s", buf + sizeof(h));
	return 0;
}

static int be_state(const char *be)
{
	char path[200], v[32];

	snprintf(path, sizeof(path), "%s/state", be);
	return xs_req(XS_READ, path, NULL, v, sizeof(v)) ? -1 : atoi(v);
}

static int wait_be(const char *be, int want, int secs)
{
	int i;

	for (i = 0; i < secs * 20; i++) {
		if (be_state(be) == want)
			return 0;
		usleep(50000);
	}
	return -1;
}

static void kick(void)
{
	struct ioctl_evtchn_notify n = { .port = port };

	ioctl(ev_fd, IOCTL_EVTCHN_NOTIFY, &n);
}

static volatile uint32_t *field(uint8_t *ring, unsigned int off) { return (volatile uint32_t *)(ring + off); }

static volatile int racing;

static void *racer(void *arg)
{
	uint8_t *ring = arg;
	unsigned int s = 12345;

	while (racing) {
		s = s * 1103515245u + 12345u;
		ring[RING_HDR_SIZE + (s >> 8) % (NENT * BLKIF_ENTRY_SIZE)] = (uint8_t)(s >> 16);
	}
	return NULL;
}

/* Wait until every request is answered; -1 after 5 s. */
static int drain(uint8_t *ring)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (*field(ring, RING_RSP_PROD) == *field(ring, RING_REQ_PROD))
			return 0;
		usleep(10000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	char fe[100], be[200], v[64], path[200];
	struct ioctl_gntalloc_alloc_gref *ga;
	struct ioctl_evtchn_bind_unbound_port ub = { .remote_domain = 0 };
	unsigned int devid, batches, b, i, ok = 0, err = 0, unsup = 0, other = 0;
	uint32_t grefs[NPAGES], prod;
	uint8_t *mem, *ring;
	int fd, gfd, r;

	if (argc < 2)
		return 2;
	devid = (unsigned int)atoi(argv[1]);
	batches = argc > 2 ? (unsigned int)atoi(argv[2]) : 200;
	seed = argc > 3 ? (unsigned int)atoi(argv[3]) : (unsigned int)time(NULL);
	printf("BLKFUZZ seed %u\n", seed);
	xs_fd = open("/dev/xen/xenbus", O_RDWR);
	ev_fd = open("/dev/xen/evtchn", O_RDWR);
	gfd = open("/dev/xen/gntalloc", O_RDWR);
	if (xs_fd < 0 || ev_fd < 0 || gfd < 0) {
		printf("BLKFUZZ-FAIL open: %s\n", strerror(errno));
		return 1;
	}
	snprintf(fe, sizeof(fe), "device/vbd/%u", devid);
	snprintf(path, sizeof(path), "%s/backend", fe);
	if (xs_req(XS_READ, path, NULL, be, sizeof(be))) {
		printf("BLKFUZZ-FAIL no %s\n", path);
		return 1;
	}
	/* take the device from blkfront */
	fd = open("/sys/bus/xen/drivers/vbd/unbind", O_WRONLY);
	snprintf(v, sizeof(v), "vbd-%u", devid);
	if (fd < 0 || write(fd, v, strlen(v)) < 0) {
		printf("BLKFUZZ-FAIL unbind: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	wait_be(be, XEN_BUS_CLOSED, 10);
	snprintf(path, sizeof(path), "%s/state", fe);
	xs_req(XS_WRITE, path, "1", NULL, 0);
	if (wait_be(be, XEN_BUS_INITWAIT, 10)) {
		printf("BLKFUZZ-FAIL back end not in InitWait (%d)\n", be_state(be));
		return 1;
	}
	/* our ring, data pages and event channel */
	ga = calloc(1, sizeof(*ga) + NPAGES * sizeof(uint32_t));
	ga->domid = 0;
	ga->flags = GNTALLOC_FLAG_WRITABLE;
	ga->count = NPAGES;
	if (ioctl(gfd, IOCTL_GNTALLOC_ALLOC_GREF, ga)) {
		printf("BLKFUZZ-FAIL gntalloc: %s\n", strerror(errno));
		return 1;
	}
	memcpy(grefs, ga->gref_ids, sizeof(grefs));
	mem = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, (off_t)ga->index);
	r = ioctl(ev_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &ub);
	if (mem == MAP_FAILED || r < 0) {
		printf("BLKFUZZ-FAIL mmap/evtchn: %s\n", strerror(errno));
		return 1;
	}
	port = (uint32_t)r;
	ring = mem;
	memset(ring, 0, 4096);
	*field(ring, RING_REQ_EVENT) = 1;
	*field(ring, RING_RSP_EVENT) = 1;
	/* one ring page: blkfront's ring-page-order and ring-refN stay
	 * behind in the directory; order 0 makes the back end read ring-ref */
	snprintf(path, sizeof(path), "%s/ring-page-order", fe);
	xs_req(XS_WRITE, path, "0", NULL, 0);
	snprintf(path, sizeof(path), "%s/ring-ref", fe);
	snprintf(v, sizeof(v), "%u", grefs[0]);
	xs_req(XS_WRITE, path, v, NULL, 0);
	snprintf(path, sizeof(path), "%s/event-channel", fe);
	snprintf(v, sizeof(v), "%u", port);
	xs_req(XS_WRITE, path, v, NULL, 0);
	snprintf(path, sizeof(path), "%s/state", fe);
	xs_req(XS_WRITE, path, "3", NULL, 0);
	if (wait_be(be, XEN_BUS_CONNECTED, 10)) {
		printf("BLKFUZZ-FAIL back end not connected (%d)\n", be_state(be));
		return 1;
	}
	/* 1. a valid read */
	{
		struct blkif_request q;
		struct blkif_response rsp;

		memset(&q, 0, sizeof(q));
		q.operation = BLKIF_OP_READ;
		q.nr_segments = 1;
		q.id = 7;
		q.seg[0].gref = grefs[1];
		q.seg[0].last_sect = 7;
		memcpy(ring + RING_HDR_SIZE, &q, sizeof(q));
		__atomic_store_n((uint32_t *)(ring + RING_REQ_PROD), 1, __ATOMIC_RELEASE);
		kick();
		memcpy(&rsp, ring + RING_HDR_SIZE, sizeof(rsp));
		if (drain(ring) || (memcpy(&rsp, ring + RING_HDR_SIZE, sizeof(rsp)), rsp.id != 7 || rsp.status != 0)) {
			printf("BLKFUZZ-FAIL valid read: rsp_prod %u status %d\n", *field(ring, RING_RSP_PROD), rsp.status);
			return 1;
		}
		printf("BLKFUZZ valid-ok\n");
	}
	/* 2. random batches */
	for (b = 0; b < batches; b++) {
		unsigned int n = 1 + rnd() % NENT;

		prod = *field(ring, RING_REQ_PROD);
		for (i = 0; i < n; i++) {
			uint8_t slot[BLKIF_ENTRY_SIZE];
			unsigned int k;

			for (k = 0; k < sizeof(slot); k++)
				slot[k] = (uint8_t)rnd();
			slot[0] %= 8;
			if (slot[0] != BLKIF_OP_INDIRECT)
				slot[1] %= 13;
			*(uint64_t *)(slot + 16) = rnd() % 4 ? rnd() % 16384 : ((uint64_t)rnd() << 32 | rnd());
			for (k = 0; k < 11; k++) {
				uint32_t g = rnd() % 4 ? grefs[1 + rnd() % 3] : rnd();

				memcpy(slot + 24 + k * 8, &g, 4);
				slot[28 + k * 8] %= 9;
				slot[29 + k * 8] %= 9;
			}
			if (slot[0] == BLKIF_OP_INDIRECT && rnd() % 2)
				memcpy(slot + 28, &grefs[1 + rnd() % 3], 4);
			memcpy(ring + RING_HDR_SIZE + ((prod + i) % NENT) * BLKIF_ENTRY_SIZE, slot, sizeof(slot));
		}
		/* garbage in the data pages: indirect lists, too */
		for (i = 0; i < 64; i++)
			mem[4096 + rnd() % (3 * 4096)] = (uint8_t)rnd();
		__atomic_store_n((uint32_t *)(ring + RING_REQ_PROD), prod + n, __ATOMIC_RELEASE);
		kick();
		if (drain(ring)) {
			printf("BLKFUZZ-FAIL batch %u: %u of %u answered\n", b, *field(ring, RING_RSP_PROD) - prod, n);
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct blkif_response rsp;

			memcpy(&rsp, ring + RING_HDR_SIZE + ((prod + i) % NENT) * BLKIF_ENTRY_SIZE, sizeof(rsp));
			if (rsp.status == 0)
				ok++;
			else if (rsp.status == -1)
				err++;
			else if (rsp.status == -2)
				unsup++;
			else
				other++;
		}
	}
	printf("BLKFUZZ garbage batches=%u ok=%u error=%u unsupported=%u other=%u\n", batches, ok, err, unsup, other);
	/* 3. racing: the slots change under the back end's feet */
	{
		pthread_t th;
		unsigned int answered = 0;

		racing = 1;
		if (pthread_create(&th, NULL, racer, ring)) {
			printf("BLKFUZZ-FAIL pthread_create\n");
			return 1;
		}
		for (b = 0; b < batches; b++) {
			unsigned int n = 1 + rnd() % NENT;

			prod = *field(ring, RING_REQ_PROD);
			__atomic_store_n((uint32_t *)(ring + RING_REQ_PROD), prod + n, __ATOMIC_RELEASE);
			kick();
			if (drain(ring)) {
				printf("BLKFUZZ-FAIL racing batch %u: %u of %u answered\n", b,
				       *field(ring, RING_RSP_PROD) - prod, n);
				racing = 0;
				pthread_join(th, NULL);
				return 1;
			}
			answered += n;
		}
		racing = 0;
		pthread_join(th, NULL);
		printf("BLKFUZZ racing answered=%u\n", answered);
	}
	/* 4. a corrupt ring: the back end disconnects */
	prod = *field(ring, RING_REQ_PROD);
	__atomic_store_n((uint32_t *)(ring + RING_REQ_PROD), prod + 1000, __ATOMIC_RELEASE);
	kick();
	if (wait_be(be, XEN_BUS_CLOSING, 10) == 0)
		printf("BLKFUZZ corrupt-disconnected\n");
	else
		printf("BLKFUZZ-FAIL corrupt ring: back end state %d\n", be_state(be));
	snprintf(path, sizeof(path), "%s/state", fe);
	xs_req(XS_WRITE, path, "6", NULL, 0);
	wait_be(be, XEN_BUS_CLOSED, 10);
	printf("BLKFUZZ-DONE back end state %d\n", be_state(be));
	return 0;
}
