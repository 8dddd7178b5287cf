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
#include <pthread.h>
#include <time.h>
#include "pvfront.h"

#define NPAGES		4	/* ring + 3 data pages */
#define NENT		32

static struct pvfront pv = { .tag = "BLKFUZZ" };
static unsigned int seed = 1;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

#define field pv_field
#define kick() pv_kick(&pv)

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
	unsigned int devid, batches, b, i, ok = 0, err = 0, unsup = 0, other = 0;
	uint32_t *grefs, prod;
	uint8_t *mem, *ring;

	if (argc < 2)
		return 2;
	devid = (unsigned int)atoi(argv[1]);
	batches = argc > 2 ? (unsigned int)atoi(argv[2]) : 200;
	seed = argc > 3 ? (unsigned int)atoi(argv[3]) : (unsigned int)time(NULL);
	printf("BLKFUZZ seed %u\n", seed);
	if (pv_take(&pv, "vbd", devid, "vbd", NPAGES))
		return 1;
	grefs = pv.grefs;
	mem = ring = pv.mem;
	memset(ring, 0, 4096);
	*field(ring, RING_REQ_EVENT) = 1;
	*field(ring, RING_RSP_EVENT) = 1;
	/* one ring page: blkfront's ring-page-order and ring-refN stay
	 * behind in the directory; order 0 makes the back end read ring-ref */
	pv_fe_write(&pv, "ring-page-order", "0");
	pv_fe_write(&pv, "ring-ref", "%u", grefs[0]);
	pv_fe_write(&pv, "event-channel", "%u", pv.port);
	pv_fe_write(&pv, "state", "%d", XEN_BUS_INITIALISED);
	if (pv_wait_be(&pv, XEN_BUS_CONNECTED, 10)) {
		printf("BLKFUZZ-FAIL back end not connected (%d)\n", pv_be_state(&pv));
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
	if (pv_wait_be(&pv, XEN_BUS_CLOSING, 10) == 0)
		printf("BLKFUZZ corrupt-disconnected\n");
	else
		printf("BLKFUZZ-FAIL corrupt ring: back end state %d\n", pv_be_state(&pv));
	pv_fe_write(&pv, "state", "%d", XEN_BUS_CLOSED);
	pv_wait_be(&pv, XEN_BUS_CLOSED, 10);
	printf("BLKFUZZ-DONE back end state %d\n", pv_be_state(&pv));
	return 0;
}
