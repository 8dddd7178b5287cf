// SPDX-License-Identifier: MIT
/*
 * pv-netfuzz: a hostile network front end, run inside a domus guest by
 * tests/host/amd-pvnet.sh (69-pv-net-amd; docs/devices.md "Hostile
 * guests").  It takes a vif away from the guest's netfront (sysfs
 * unbind), connects its own TX and RX rings to domus's back end through
 * the guest kernel's user interfaces (pvfront.h), then:
 *   1. valid: an ARP request for the host's bridge address goes out on
 *      TX (answered OKAY) and the host's ARP reply comes back on RX;
 *   2. N batches of random TX slots (grant refs ours, absurd, granted to
 *      another domain or read-only; offsets, sizes, flags, extra-info and
 *      more-data chains), each batch answered completely;
 *   3. RX requests with bogus grant refs (absurd, another domain's,
 *      read-only) and ids while ARP replies arrive: every response is a
 *      length or ERROR, and ERROR where the ref is bogus;
 *   4. a racing writer: a second thread rewrites the TX slots (all but
 *      their flags) and the RX requests while chains are pushed and
 *      served; every batch is still answered in full;
 *   5. corrupt rings, each followed by a restart of the front end
 *      (state 1): a TX chain longer than the back end takes, TX req_prod
 *      and RX req_prod far beyond the ring; each time the back end must
 *      disconnect (its state goes to 5) and come back at state 1.
 * One line per phase on stdout, "NETFUZZ ...", and NETFUZZ-DONE.
 *
 *   pv-netfuzz DEVID BATCHES SEED OUR-IPV4 HOST-IPV4
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include "pvfront.h"
#include "xen_netif.h"

#define NDATA		4			/* data pages after the two rings */
#define TXRING		(pv.mem)
#define RXRING		(pv.mem + 4096)
#define DATA(i)		(pv.mem + (2 + (i)) * 4096)
#define ARP_LEN		42

static struct pvfront pv = { .tag = "NETFUZZ" };
static unsigned int seed = 1;
static uint8_t mac[6];
static uint32_t our_ip, host_ip;		/* network order */
static uint32_t foreign_gref, ro_gref;		/* granted to domain 7; read-only to 0 */

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* A grant ref for a random slot: ours mostly, else a hostile one. */
static uint32_t any_gref(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd();
	case 1:
		return foreign_gref;
	case 2:
		return ro_gref;
	default:
		return pv.grefs[2 + rnd() % NDATA];
	}
}

static void tx_put(uint32_t idx, const struct netif_tx_request *q)
{
	memcpy(TXRING + RING_HDR_SIZE + (idx % NETIF_RING_ENTS) * NETIF_TX_ENTRY_SIZE, q, sizeof(*q));
}

static void prod_set(uint8_t *ring, uint32_t v)
{
	__atomic_store_n((uint32_t *)(ring + RING_REQ_PROD), v, __ATOMIC_RELEASE);
	pv_kick(&pv);
}

/* Every TX request answered; -1 after 5 s. */
static int tx_drain(void)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (*pv_field(TXRING, RING_RSP_PROD) == *pv_field(TXRING, RING_REQ_PROD))
			return 0;
		usleep(10000);
	}
	return -1;
}

/* An ARP request for the host's address in data page 0, sent as one slot. */
static int16_t send_arp(uint16_t id)
{
	uint8_t *f = DATA(0);
	struct netif_tx_request q = { .gref = pv.grefs[2], .offset = 0, .flags = 0, .id = id, .size = ARP_LEN };
	struct netif_tx_response rsp;
	uint32_t prod = *pv_field(TXRING, RING_REQ_PROD);

	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &our_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &host_ip, 4);
	tx_put(prod, &q);
	prod_set(TXRING, prod + 1);
	if (tx_drain())
		return -99;
	memcpy(&rsp, TXRING + RING_HDR_SIZE + (prod % NETIF_RING_ENTS) * NETIF_TX_ENTRY_SIZE, sizeof(rsp));
	return rsp.id == id ? rsp.status : -98;
}

/* Post @n RX buffers; @hostile: bogus refs and ids among them. */
static void rx_post(unsigned int n, int hostile)
{
	uint32_t prod = *pv_field(RXRING, RING_REQ_PROD), i;

	for (i = 0; i < n; i++) {
		struct netif_rx_request q = { .id = (uint16_t)(prod + i), .gref = pv.grefs[2 + (prod + i) % NDATA] };

		if (hostile) {
			/* mostly refs the back end must refuse */
			static const uint32_t *const bad[] = { &foreign_gref, &ro_gref };

			q.id = (uint16_t)rnd();
			q.gref = rnd() % 4 == 0 ? pv.grefs[2 + rnd() % NDATA] : rnd() % 3 ? *bad[rnd() % 2] : rnd();
		}
		memcpy(RXRING + RING_HDR_SIZE + ((prod + i) % NETIF_RING_ENTS) * NETIF_RX_ENTRY_SIZE, &q, sizeof(q));
	}
	prod_set(RXRING, prod + n);
}

/* Fresh rings, the keys, state 4; 0 when the back end is Connected. */
static int connect_rings(void)
{
	memset(TXRING, 0, 2 * 4096);
	*pv_field(TXRING, RING_REQ_EVENT) = 1;
	*pv_field(TXRING, RING_RSP_EVENT) = 1;
	*pv_field(RXRING, RING_REQ_EVENT) = 1;
	*pv_field(RXRING, RING_RSP_EVENT) = 1;
	pv_fe_write(&pv, "tx-ring-ref", "%u", pv.grefs[0]);
	pv_fe_write(&pv, "rx-ring-ref", "%u", pv.grefs[1]);
	pv_fe_write(&pv, "event-channel", "%u", pv.port);
	pv_fe_write(&pv, "request-rx-copy", "1");
	pv_fe_write(&pv, "multi-queue-num-queues", "1");
	pv_fe_write(&pv, "feature-gso-tcpv4", "0");
	pv_fe_write(&pv, "feature-gso-tcpv6", "0");
	pv_fe_write(&pv, "state", "%d", XEN_BUS_CONNECTED);
	return pv_wait_be(&pv, XEN_BUS_CONNECTED, 10);
}

/* The front end restarts (state 1): the back end offers the device again. */
static int restart(void)
{
	pv_fe_write(&pv, "state", "%d", XEN_BUS_INITIALISING);
	if (pv_wait_be(&pv, XEN_BUS_INITWAIT, 10))
		return -1;
	return connect_rings();
}

static volatile int racing;

static void *racer(void *arg)
{
	unsigned int s = 4321;

	(void)arg;
	while (racing) {
		unsigned int slot, b;

		s = s * 1103515245u + 12345u;
		slot = (s >> 8) % NETIF_RING_ENTS;
		b = (s >> 20) % 10;
		/* TX: every byte but the flags (6, 7), which keep chains finite */
		TXRING[RING_HDR_SIZE + slot * NETIF_TX_ENTRY_SIZE + (b < 6 ? b : b + 2)] = (uint8_t)(s >> 12);
		RXRING[RING_HDR_SIZE + slot * NETIF_RX_ENTRY_SIZE + b % 8] = (uint8_t)(s >> 4);
	}
	return NULL;
}

/* Throw the ring into a corrupt state; 0 if the back end disconnects. */
static int corrupt(const char *what)
{
	if (pv_wait_be(&pv, XEN_BUS_CLOSING, 10)) {
		printf("NETFUZZ-FAIL %s: back end state %d\n", what, pv_be_state(&pv));
		return -1;
	}
	printf("NETFUZZ %s-disconnected\n", what);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int devid, batches, b, i, ok = 0, err = 0, null = 0, drop = 0, other = 0;
	unsigned int rxok = 0, rxerr = 0, rxother = 0, answered = 0;
	uint32_t prod, rsp0;
	char v[64];
	int16_t st;

	if (argc < 6)
		return 2;
	devid = (unsigned int)atoi(argv[1]);
	batches = (unsigned int)atoi(argv[2]);
	seed = (unsigned int)atoi(argv[3]);
	if (inet_pton(AF_INET, argv[4], &our_ip) != 1 || inet_pton(AF_INET, argv[5], &host_ip) != 1)
		return 2;
	printf("NETFUZZ seed %u\n", seed);
	if (pv_take(&pv, "vif", devid, "vif", 2 + NDATA))
		return 1;
	if (pv_fe_read(&pv, "mac", v, sizeof(v)) ||
	    sscanf(v, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
		printf("NETFUZZ-FAIL no mac\n");
		return 1;
	}
	if (!pv_grant(&pv, 7, 1, &foreign_gref) || !pv_grant(&pv, 0, 0, &ro_gref)) {
		printf("NETFUZZ-FAIL extra grants: %s\n", strerror(errno));
		return 1;
	}
	if (connect_rings()) {
		printf("NETFUZZ-FAIL back end not connected (%d)\n", pv_be_state(&pv));
		return 1;
	}
	/* 1. valid: ARP out, the host's reply in */
	rx_post(8, 0);
	for (i = 0, st = -97; i < 5; i++) {
		unsigned int k, got = 0;

		st = send_arp((uint16_t)(1000 + i));
		for (k = 0; k < 100 && !got; k++) {
			uint32_t r, n = *pv_field(RXRING, RING_RSP_PROD);

			for (r = 0; r < n && !got; r++) {
				struct netif_rx_response rsp;

				memcpy(&rsp, RXRING + RING_HDR_SIZE + (r % NETIF_RING_ENTS) * NETIF_RX_ENTRY_SIZE,
				       sizeof(rsp));
				if (rsp.status >= ARP_LEN && rsp.offset == 0 && rsp.id < 8 &&
				    !memcmp(DATA(rsp.id % NDATA) + 12, "\x08\x06", 2) && DATA(rsp.id % NDATA)[21] == 2)
					got = 1;
			}
			usleep(20000);
		}
		if (st == NETIF_RSP_OKAY && got)
			break;
	}
	if (i == 5) {
		printf("NETFUZZ-FAIL valid: TX status %d, RX rsp_prod %u\n", st, *pv_field(RXRING, RING_RSP_PROD));
		return 1;
	}
	printf("NETFUZZ valid-ok\n");
	/* 2. random TX batches */
	for (b = 0; b < batches; b++) {
		unsigned int n = 2 + rnd() % 31;

		prod = *pv_field(TXRING, RING_REQ_PROD);
		for (i = 0; i < n; i++) {
			struct netif_tx_request q;
			uint8_t *raw = (uint8_t *)&q;
			unsigned int k;

			for (k = 0; k < sizeof(q); k++)
				raw[k] = (uint8_t)rnd();
			q.gref = any_gref();
			q.offset = (uint16_t)(rnd() % 4 ? rnd() % 4096 : rnd());
			q.size = (uint16_t)(rnd() % 4 ? rnd() % 2000 : rnd());
			q.flags = (uint16_t)((rnd() & (NETTXF_CSUM_BLANK | NETTXF_DATA_VALIDATED)) |
					     (rnd() % 4 == 0 ? NETTXF_MORE_DATA : 0) |
					     (rnd() % 8 == 0 ? NETTXF_EXTRA_INFO : 0));
			if (rnd() % 4)
				raw[1] &= (uint8_t)~NETIF_EXTRA_FLAG_MORE;	/* as an extra: short chains */
			if (i >= n - 2) {
				/* two plain slots end every chain: a first slot with
				 * extra-info and more-data may take the first as its
				 * last extra, then the second as its last data slot */
				q.flags &= (uint16_t)~(NETTXF_MORE_DATA | NETTXF_EXTRA_INFO);
				raw[1] &= (uint8_t)~NETIF_EXTRA_FLAG_MORE;
			}
			tx_put(prod + i, &q);
		}
		for (i = 0; i < 64; i++)
			DATA(0)[rnd() % (NDATA * 4096)] = (uint8_t)rnd();
		prod_set(TXRING, prod + n);
		if (tx_drain()) {
			printf("NETFUZZ-FAIL batch %u: %u of %u answered\n", b, *pv_field(TXRING, RING_RSP_PROD) - prod, n);
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct netif_tx_response rsp;

			memcpy(&rsp, TXRING + RING_HDR_SIZE + ((prod + i) % NETIF_RING_ENTS) * NETIF_TX_ENTRY_SIZE,
			       sizeof(rsp));
			if (rsp.status == NETIF_RSP_OKAY)
				ok++;
			else if (rsp.status == NETIF_RSP_ERROR)
				err++;
			else if (rsp.status == NETIF_RSP_NULL)
				null++;
			else if (rsp.status == NETIF_RSP_DROPPED)
				drop++;
			else
				other++;
		}
	}
	printf("NETFUZZ tx-garbage batches=%u ok=%u error=%u null=%u dropped=%u other=%u\n", batches, ok, err, null,
	       drop, other);
	/* 3. hostile RX requests, filled by ARP replies (after any valid
	 * buffers still posted: the back end takes them in ring order) */
	rsp0 = *pv_field(RXRING, RING_REQ_PROD);
	rx_post(32, 1);
	for (i = 0; i < 60 && (int32_t)(*pv_field(RXRING, RING_RSP_PROD) - rsp0) < 12; i++) {
		send_arp((uint16_t)(2000 + i));
		usleep(50000);
	}
	for (prod = rsp0; (int32_t)(*pv_field(RXRING, RING_RSP_PROD) - prod) > 0; prod++) {
		struct netif_rx_response rsp;

		memcpy(&rsp, RXRING + RING_HDR_SIZE + (prod % NETIF_RING_ENTS) * NETIF_RX_ENTRY_SIZE, sizeof(rsp));
		if (rsp.status > 0)
			rxok++;
		else if (rsp.status == NETIF_RSP_ERROR)
			rxerr++;
		else
			rxother++;
	}
	printf("NETFUZZ rx-garbage responses=%u ok=%u error=%u other=%u\n", rxok + rxerr + rxother, rxok, rxerr,
	       rxother);
	/* 4. racing: slots change under the back end's feet */
	{
		pthread_t th;

		racing = 1;
		if (pthread_create(&th, NULL, racer, NULL)) {
			printf("NETFUZZ-FAIL pthread_create\n");
			return 1;
		}
		for (b = 0; b < batches; b++) {
			unsigned int n = 0;

			prod = *pv_field(TXRING, RING_REQ_PROD);
			while (n < 28) {
				unsigned int len = 1 + rnd() % 4, k;

				for (k = 0; k < len; k++) {
					struct netif_tx_request q = {
						.gref = any_gref(), .offset = (uint16_t)(rnd() % 4096), .id = (uint16_t)rnd(),
						.size = (uint16_t)(rnd() % 1600),
						.flags = (uint16_t)(k + 1 < len ? NETTXF_MORE_DATA : 0),
					};

					tx_put(prod + n + k, &q);
				}
				n += len;
			}
			if (*pv_field(RXRING, RING_REQ_PROD) - *pv_field(RXRING, RING_RSP_PROD) < 64)
				rx_post(16, 1);
			prod_set(TXRING, prod + n);
			if (tx_drain()) {
				printf("NETFUZZ-FAIL racing batch %u: %u of %u answered\n", b,
				       *pv_field(TXRING, RING_RSP_PROD) - prod, n);
				racing = 0;
				pthread_join(th, NULL);
				return 1;
			}
			answered += n;
		}
		racing = 0;
		pthread_join(th, NULL);
		printf("NETFUZZ racing answered=%u\n", answered);
	}
	/* 5. corrupt rings: an endless chain, TX and RX indices beyond the ring */
	prod = *pv_field(TXRING, RING_REQ_PROD);
	for (i = 0; i < 24; i++) {
		struct netif_tx_request q = { .gref = pv.grefs[2], .id = (uint16_t)i, .size = 60,
					      .flags = (uint16_t)(i < 23 ? NETTXF_MORE_DATA : 0) };

		tx_put(prod + i, &q);
	}
	prod_set(TXRING, prod + 24);
	if (corrupt("overlong-chain"))
		return 1;
	if (restart()) {
		printf("NETFUZZ-FAIL no reconnect after the overlong chain (%d)\n", pv_be_state(&pv));
		return 1;
	}
	prod_set(TXRING, *pv_field(TXRING, RING_REQ_PROD) + 1000);
	if (corrupt("tx-index"))
		return 1;
	if (restart()) {
		printf("NETFUZZ-FAIL no reconnect after the TX index (%d)\n", pv_be_state(&pv));
		return 1;
	}
	prod_set(RXRING, *pv_field(RXRING, RING_REQ_PROD) + 1000);
	if (corrupt("rx-index"))
		return 1;
	pv_fe_write(&pv, "state", "%d", XEN_BUS_CLOSED);
	pv_wait_be(&pv, XEN_BUS_CLOSED, 10);
	printf("NETFUZZ-DONE back end state %d\n", pv_be_state(&pv));
	return 0;
}
