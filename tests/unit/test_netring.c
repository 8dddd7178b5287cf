// SPDX-License-Identifier: MIT
/*
 * Unit tests for the network rings (userland/backend/netring.c, netpkt.c)
 * against a synthetic guest: RAM, a grant table, the TX and RX ring pages,
 * and a SOCK_SEQPACKET pair standing in for the TAP device (one packet per
 * read and write, like a TAP).  Covered: single- and multi-slot TX
 * packets, checksum offload and GSO into the virtio-net header, every
 * validation (grants, offsets, sizes, slot chains, indices), partial
 * packets, the ip= filter, rate=, RX into posted buffers (flags, GSO
 * extra slot, too few buffers, bad grants) and random ring garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>
#include <sys/socket.h>
#include "netback.h"
#include "unit.h"

#define PAGES	64
#define NGNT	256
#define TXF	1	/* frames of the ring pages */
#define RXF	2
#define TXREF	10
#define RXREF	11
#define DATA0	16	/* data frames from here, grant ref = 100 + frame */

static uint8_t *ram;
static struct xen_grant_entry gnt[NGNT];
static struct be_mem mem;
static struct net_stats st;
static struct net_ring r;
static int tap[2];	/* [0]: the back end's end, [1]: the "network" */

static void grant(uint32_t ref, uint32_t frame, bool ro)
{
	gnt[ref].domid = 0;
	gnt[ref].frame = frame;
	gnt[ref].flags = XEN_GTF_PERMIT_ACCESS | (ro ? XEN_GTF_READONLY : 0);
}

static void setup(const uint32_t *ips, unsigned int nips)
{
	uint32_t i;

	if (!ram)
		ram = aligned_alloc(4096, PAGES * 4096);
	memset(ram, 0, PAGES * 4096);
	memset(gnt, 0, sizeof(gnt));
	memset(&st, 0, sizeof(st));
	mem.ram = ram;
	mem.ram_size = PAGES * 4096;
	mem.gnt = gnt;
	mem.gnt_entries = NGNT;
	mem.domid = 0;
	grant(TXREF, TXF, false);
	grant(RXREF, RXF, false);
	for (i = DATA0; i < PAGES; i++)
		grant(100 + i, i, false);
	if (tap[0] > 0) {
		close(tap[0]);
		close(tap[1]);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, tap))
		abort();
	net_ring_detach(&r);
	memset(&r, 0, sizeof(r));
	r.tap_fd = tap[0];
	r.st = &st;
	r.ips = ips;
	r.nips = nips;
	r.rx_gso4 = r.rx_gso6 = true;
	EXPECT(net_ring_attach(&r, &mem, TXREF, RXREF) == 0);
	/* the front end's initial events: kick on the first request/response */
	*(uint32_t *)(ram + TXF * 4096 + RING_REQ_EVENT) = 1;
	*(uint32_t *)(ram + TXF * 4096 + RING_RSP_EVENT) = 1;
	*(uint32_t *)(ram + RXF * 4096 + RING_REQ_EVENT) = 1;
	*(uint32_t *)(ram + RXF * 4096 + RING_RSP_EVENT) = 1;
}

static uint32_t *idx(uint32_t frame, uint32_t off)
{
	return (uint32_t *)(ram + frame * 4096 + off);
}

static uint32_t tx_prod;

static void tx_req(uint32_t gref, uint16_t off, uint16_t flags, uint16_t id, uint16_t size)
{
	struct netif_tx_request q = { .gref = gref, .offset = off, .flags = flags, .id = id, .size = size };

	memcpy(ram + TXF * 4096 + RING_HDR_SIZE + (tx_prod & 255) * 12, &q, sizeof(q));
	tx_prod++;
}

static void tx_extra_gso(uint16_t mss, uint8_t type)
{
	struct netif_extra_info x = { .type = NETIF_EXTRA_TYPE_GSO, .gso_size = mss, .gso_type = type };
	uint8_t slot[12] = { 0 };

	memcpy(slot, &x, sizeof(x));
	memcpy(ram + TXF * 4096 + RING_HDR_SIZE + (tx_prod & 255) * 12, slot, sizeof(slot));
	tx_prod++;
}

static void tx_push(void)
{
	*idx(TXF, RING_REQ_PROD) = tx_prod;
}

static struct netif_tx_response tx_rsp(uint32_t i)
{
	struct netif_tx_response p;

	memcpy(&p, ram + TXF * 4096 + RING_HDR_SIZE + (i & 255) * 12, sizeof(p));
	return p;
}

/* An Ethernet + IPv4 + TCP frame of @len bytes from @src in frame @f at @off. */
static void frame_tcp4(uint8_t *p, size_t len, uint32_t src)
{
	memset(p, 0, len);
	memcpy(p, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01\x08\x00", 14);
	p[14] = 0x45;
	p[14 + 9] = 6;
	p[14 + 12] = (uint8_t)(src >> 24);
	p[14 + 13] = (uint8_t)(src >> 16);
	p[14 + 14] = (uint8_t)(src >> 8);
	p[14 + 15] = (uint8_t)src;
	p[34 + 12] = 0x50;	/* TCP header: 20 bytes */
	for (size_t i = 54; i < len; i++)
		p[i] = (uint8_t)(i * 7);
}

static ssize_t tap_read(uint8_t *buf, size_t len)
{
	return recv(tap[1], buf, len, 0);
}

static int service(bool *notify)
{
	uint64_t wait;

	*notify = false;
	return net_tx_service(&r, 0, &wait, notify);
}

static void test_tx_single(void)
{
	static uint8_t out[NET_BUF_SIZE];
	struct virtio_net_hdr h;
	bool notify;
	uint8_t *pg = ram + DATA0 * 4096;
	ssize_t k;

	setup(NULL, 0);
	tx_prod = 0;
	frame_tcp4(pg + 100, 600, 0x0a090001);
	tx_req(100 + DATA0, 100, NETTXF_CSUM_BLANK | NETTXF_DATA_VALIDATED, 7, 600);
	tx_push();
	EXPECT(service(&notify) == 0 && notify);
	EXPECT(*idx(TXF, RING_RSP_PROD) == 1 && tx_rsp(0).id == 7 && tx_rsp(0).status == NETIF_RSP_OKAY);
	k = tap_read(out, sizeof(out));
	EXPECT(k == NET_VNET_HDR + 600);
	memcpy(&h, out, sizeof(h));
	EXPECT(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.csum_start == 34 && h.csum_offset == 16 &&
	       h.gso_type == VIRTIO_NET_HDR_GSO_NONE);
	EXPECT(!memcmp(out + NET_VNET_HDR, pg + 100, 600));
	/* the grant was released; req_event re-armed */
	EXPECT(gnt[100 + DATA0].flags == XEN_GTF_PERMIT_ACCESS);
	EXPECT(*idx(TXF, RING_REQ_EVENT) == 2);
	EXPECT(st.tx_packets == 1 && st.tx_bytes == 600 && st.tx_csum == 1);
	/* a fully checksummed UDP-less frame passes without flags */
	frame_tcp4(pg, 60, 1);
	tx_req(100 + DATA0, 0, 0, 8, 60);
	tx_push();
	EXPECT(service(&notify) == 0);
	k = tap_read(out, sizeof(out));
	memcpy(&h, out, sizeof(h));
	EXPECT(k == NET_VNET_HDR + 60 && h.flags == 0);
}

static void test_tx_multi_gso(void)
{
	static uint8_t out[NET_BUF_SIZE], want[9000];
	struct virtio_net_hdr h;
	bool notify;
	ssize_t k;

	setup(NULL, 0);
	tx_prod = 0;
	frame_tcp4(want, sizeof(want), 0x0a090001);
	/* 9000 bytes: 1000 in frame 16 at 3096, 4096 in 17, 3904 in 18 */
	memcpy(ram + 16 * 4096 + 3096, want, 1000);
	memcpy(ram + 17 * 4096, want + 1000, 4096);
	memcpy(ram + 18 * 4096, want + 5096, 3904);
	tx_req(116, 3096, NETTXF_CSUM_BLANK | NETTXF_DATA_VALIDATED | NETTXF_MORE_DATA | NETTXF_EXTRA_INFO, 1, 9000);
	tx_extra_gso(1448, NETIF_GSO_TYPE_TCPV4);
	tx_req(117, 0, NETTXF_MORE_DATA, 2, 4096);
	tx_req(118, 0, 0, 3, 3904);
	tx_push();
	EXPECT(service(&notify) == 0);
	EXPECT(*idx(TXF, RING_RSP_PROD) == 4);
	EXPECT(tx_rsp(0).id == 1 && tx_rsp(0).status == 0 && tx_rsp(1).status == NETIF_RSP_NULL &&
	       tx_rsp(2).id == 2 && tx_rsp(3).id == 3 && tx_rsp(3).status == 0);
	k = tap_read(out, sizeof(out));
	EXPECT(k == NET_VNET_HDR + 9000);
	memcpy(&h, out, sizeof(h));
	EXPECT(h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && h.gso_size == 1448 && h.hdr_len == 54 &&
	       h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	EXPECT(!memcmp(out + NET_VNET_HDR, want, sizeof(want)));
	EXPECT(st.tx_gso == 1);
	/* GSO without a partial checksum: refused */
	tx_req(116, 0, NETTXF_EXTRA_INFO, 4, 100);
	tx_extra_gso(1448, NETIF_GSO_TYPE_TCPV4);
	tx_push();
	EXPECT(service(&notify) == 0 && tx_rsp(4).status == NETIF_RSP_ERROR && tx_rsp(5).status == NETIF_RSP_NULL);
	EXPECT(tap_read(out, sizeof(out)) < 0);
}

/* Malformed packets: answered ERROR, nothing reaches the TAP, the ring goes on. */
static void test_tx_bad_packets(void)
{
	static uint8_t out[NET_BUF_SIZE];
	bool notify;
	uint32_t n;

	setup(NULL, 0);
	tx_prod = 0;
	frame_tcp4(ram + DATA0 * 4096, 100, 1);
	tx_req(5000, 0, 0, 1, 100);			/* grant ref beyond the table */
	tx_req(50, 0, 0, 2, 100);			/* an invalid grant entry */
	tx_req(100 + DATA0, 4000, 0, 3, 200);		/* crosses the page */
	tx_req(100 + DATA0, 0, NETTXF_MORE_DATA, 4, 100);	/* the rest is more than the total */
	tx_req(100 + DATA0, 0, 0, 5, 200);
	tx_req(100 + DATA0, 0, 0, 6, 10);		/* shorter than an Ethernet header */
	gnt[60].flags = XEN_GTF_PERMIT_ACCESS;
	gnt[60].domid = 3;				/* granted to another domain */
	gnt[60].frame = DATA0;
	tx_req(60, 0, 0, 7, 100);
	gnt[61].flags = XEN_GTF_PERMIT_ACCESS;
	gnt[61].frame = PAGES + 5;			/* not guest RAM */
	tx_req(61, 0, 0, 8, 100);
	tx_req(100 + DATA0, 0, NETTXF_CSUM_BLANK, 9, 100);	/* partial, but not TCP/UDP */
	ram[DATA0 * 4096 + 12] = 0x88;
	tx_push();
	EXPECT(service(&notify) == 0);
	EXPECT(*idx(TXF, RING_RSP_PROD) == tx_prod);
	for (n = 0; n < tx_prod; n++)
		if (tx_rsp(n).status != NETIF_RSP_ERROR) {
			printf("  response %u: status %d\n", n, tx_rsp(n).status);
			unit_cur_failed = 1;
		}
	EXPECT(tap_read(out, sizeof(out)) < 0);
	EXPECT(st.tx_errors == 8 && st.tx_packets == 0);
	for (n = 0; n < NGNT; n++)
		EXPECT(!(gnt[n].flags & (XEN_GTF_READING | XEN_GTF_WRITING)) || n == TXREF || n == RXREF);
}

/* A packet not all on the ring waits; corrupt rings disconnect. */
static void test_tx_partial_and_corrupt(void)
{
	static uint8_t out[NET_BUF_SIZE];
	bool notify;
	int i;

	setup(NULL, 0);
	tx_prod = 0;
	frame_tcp4(ram + DATA0 * 4096, 200, 1);
	tx_req(100 + DATA0, 0, NETTXF_MORE_DATA, 1, 200);
	tx_push();
	EXPECT(service(&notify) == 0 && !notify && *idx(TXF, RING_RSP_PROD) == 0);
	EXPECT(*idx(TXF, RING_REQ_EVENT) == 1);
	tx_req(100 + DATA0, 100, 0, 2, 100);
	tx_push();
	EXPECT(service(&notify) == 0 && *idx(TXF, RING_RSP_PROD) == 2 && tx_rsp(0).status == 0);
	EXPECT(tap_read(out, sizeof(out)) == NET_VNET_HDR + 200);
	/* a chain beyond NET_MAX_SLOTS */
	for (i = 0; i < NET_MAX_SLOTS + 1; i++)
		tx_req(100 + DATA0, 0, NETTXF_MORE_DATA, (uint16_t)i, 20);
	tx_push();
	EXPECT(service(&notify) == -EIO && strstr(r.why, "more than 20 slots"));
	/* req_prod far ahead of the responses */
	setup(NULL, 0);
	tx_prod = 0;
	*idx(TXF, RING_REQ_PROD) = 1000;
	EXPECT(service(&notify) == -EIO && strstr(r.why, "TX req_prod 1000 is 1000 requests ahead"));
	/* a runaway extra-info chain */
	setup(NULL, 0);
	tx_prod = 0;
	tx_req(100 + DATA0, 0, NETTXF_EXTRA_INFO, 1, 100);
	for (i = 0; i < NET_MAX_SLOTS; i++) {
		struct netif_extra_info x = { .type = NETIF_EXTRA_TYPE_MCAST_ADD, .flags = NETIF_EXTRA_FLAG_MORE };
		uint8_t slot[12] = { 0 };

		memcpy(slot, &x, sizeof(x));
		memcpy(ram + TXF * 4096 + RING_HDR_SIZE + (tx_prod & 255) * 12, slot, sizeof(slot));
		tx_prod++;
	}
	tx_push();
	EXPECT(service(&notify) == -EIO);
}

static void test_ip_filter(void)
{
	static const uint32_t ips[] = { 0x0a09000a };
	static uint8_t out[NET_BUF_SIZE];
	uint8_t *pg = ram + DATA0 * 4096;
	bool notify;
	uint32_t src;

	setup(ips, 1);
	tx_prod = 0;
	frame_tcp4(pg, 100, 0x0a090063);	/* 10.9.0.99: not listed */
	frame_tcp4(pg + 200, 100, 0x0a09000a);	/* 10.9.0.10 */
	tx_req(100 + DATA0, 0, 0, 1, 100);
	tx_req(100 + DATA0, 200, 0, 2, 100);
	tx_push();
	EXPECT(service(&notify) == 0);
	EXPECT(tx_rsp(0).status == NETIF_RSP_DROPPED && tx_rsp(1).status == NETIF_RSP_OKAY);
	EXPECT(st.tx_spoofed == 1 && r.spoof_seen && r.spoof_src == 0x0a090063);
	EXPECT(tap_read(out, sizeof(out)) == NET_VNET_HDR + 100 && out[NET_VNET_HDR + 29] == 10);
	EXPECT(tap_read(out, sizeof(out)) < 0);

	/* ARP: the sender address; 0.0.0.0 (a probe) passes */
	memset(out, 0, 60);
	out[12] = 0x08;
	out[13] = 0x06;
	out[15] = 1;
	out[16] = 0x08;
	memcpy(out + 28, "\x0a\x09\x00\x63", 4);
	EXPECT(!net_ip_allowed(out, 60, ips, 1, &src) && src == 0x0a090063);
	memcpy(out + 28, "\x0a\x09\x00\x0a", 4);
	EXPECT(net_ip_allowed(out, 60, ips, 1, &src));
	memset(out + 28, 0, 4);
	EXPECT(net_ip_allowed(out, 60, ips, 1, &src));
	EXPECT(!net_ip_allowed(out, 30, ips, 1, &src));	/* short */
	/* VLAN tags are refused, IPv6 passes, no list passes all */
	out[12] = 0x81;
	out[13] = 0x00;
	EXPECT(!net_ip_allowed(out, 60, ips, 1, &src));
	out[12] = 0x86;
	out[13] = 0xdd;
	EXPECT(net_ip_allowed(out, 60, ips, 1, &src));
	frame_tcp4(out, 60, 0x01020304);
	EXPECT(!net_ip_allowed(out, 60, ips, 1, &src) && net_ip_allowed(out, 60, NULL, 0, &src));
	/* DHCP from 0.0.0.0 to port 67 */
	frame_tcp4(out, 60, 0);
	out[14 + 9] = 17;
	out[34 + 2] = 0;
	out[34 + 3] = 67;
	EXPECT(net_ip_allowed(out, 60, ips, 1, &src));
	out[34 + 3] = 68;
	EXPECT(!net_ip_allowed(out, 60, ips, 1, &src));
}

static void test_csum_locate(void)
{
	uint8_t p[128];
	struct net_csum c;

	frame_tcp4(p, 100, 1);
	EXPECT(net_csum_locate(p, 100, &c) == 0 && c.start == 34 && c.offset == 16 && c.tcp && !c.ipv6);
	EXPECT(net_csum_locate(p, 40, &c) == -1);	/* TCP header cut */
	p[14 + 9] = 17;
	EXPECT(net_csum_locate(p, 100, &c) == 0 && c.offset == 6 && c.hdr_len == 42);
	p[14 + 6] = 0x20;				/* a fragment */
	EXPECT(net_csum_locate(p, 100, &c) == -1);
	p[14 + 6] = 0;
	p[14] = 0x46;					/* IHL 24 */
	EXPECT(net_csum_locate(p, 100, &c) == 0 && c.start == 38);
	p[14] = 0x4f;
	EXPECT(net_csum_locate(p, 40, &c) == -1);
	/* IPv6 + TCP, one VLAN tag */
	memset(p, 0, sizeof(p));
	p[12] = 0x81;
	p[16] = 0x86;
	p[17] = 0xdd;
	p[18] = 0x60;
	p[18 + 6] = 6;
	p[58 + 12] = 0x80;				/* 32-byte TCP header */
	EXPECT(net_csum_locate(p, 128, &c) == 0 && c.start == 58 && c.ipv6 && c.hdr_len == 90);
	EXPECT(net_csum_locate(p, 80, &c) == -1);
}

static void test_rate(void)
{
	static uint8_t out[NET_BUF_SIZE];
	bool notify = false;
	uint64_t wait;

	setup(NULL, 0);
	r.rate_bytes = 2000;		/* 100 bytes per 50 ms */
	r.rate_interval_us = 50000;
	tx_prod = 0;
	frame_tcp4(ram + DATA0 * 4096, 100, 1);
	tx_req(100 + DATA0, 0, 0, 1, 100);
	tx_req(100 + DATA0, 0, 0, 2, 100);
	tx_push();
	EXPECT(net_tx_service(&r, 1000000, &wait, &notify) == 0 && wait == 50000);
	EXPECT(*idx(TXF, RING_RSP_PROD) == 1 && st.tx_throttled == 1);
	EXPECT(net_tx_service(&r, 1020000, &wait, &notify) == 0 && wait == 30000);
	EXPECT(net_tx_service(&r, 1050000, &wait, &notify) == 0 && wait == 0);
	EXPECT(*idx(TXF, RING_RSP_PROD) == 2);
	EXPECT(tap_read(out, sizeof(out)) > 0 && tap_read(out, sizeof(out)) > 0);
}

static uint32_t rx_prod;

static void rx_post(uint16_t id, uint32_t gref)
{
	struct netif_rx_request q = { .id = id, .gref = gref };

	memcpy(ram + RXF * 4096 + RING_HDR_SIZE + (rx_prod & 255) * 8, &q, sizeof(q));
	rx_prod++;
	*idx(RXF, RING_REQ_PROD) = rx_prod;
}

static struct netif_rx_response rx_rsp(uint32_t i)
{
	struct netif_rx_response p;

	memcpy(&p, ram + RXF * 4096 + RING_HDR_SIZE + (i & 255) * 8, sizeof(p));
	return p;
}

static void net_send(uint8_t flags, uint8_t gso, uint16_t mss, const uint8_t *pkt, size_t len)
{
	static uint8_t buf[NET_BUF_SIZE];
	struct virtio_net_hdr h = { .flags = flags, .gso_type = gso, .gso_size = mss };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NET_VNET_HDR, pkt, len);
	EXPECT(send(tap[1], buf, NET_VNET_HDR + len, 0) == (ssize_t)(NET_VNET_HDR + len));
}

static void test_rx(void)
{
	static uint8_t pkt[9000];
	struct netif_rx_response p;
	struct netif_extra_info x;
	bool notify = false;
	uint32_t i;

	setup(NULL, 0);
	rx_prod = 0;
	frame_tcp4(pkt, sizeof(pkt), 2);
	/* nothing on the TAP */
	EXPECT(net_rx_service(&r, &notify) == 0 && !notify);
	/* a small packet with a partial checksum */
	rx_post(40, 100 + 20);
	net_send(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, pkt, 1500);
	EXPECT(net_rx_service(&r, &notify) == 0 && notify);
	p = rx_rsp(0);
	EXPECT(p.id == 40 && p.status == 1500 && p.offset == 0 &&
	       p.flags == (NETRXF_CSUM_BLANK | NETRXF_DATA_VALIDATED));
	EXPECT(!memcmp(ram + 20 * 4096, pkt, 1500));
	EXPECT(*idx(RXF, RING_RSP_PROD) == 1 && gnt[120].flags == XEN_GTF_PERMIT_ACCESS);
	/* a GSO packet of 9000 bytes: three data slots and the extra */
	net_send(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, pkt, sizeof(pkt));
	rx_post(1, 121);
	rx_post(2, 122);
	EXPECT(net_rx_service(&r, &notify) == 0);	/* too few buffers: wait */
	EXPECT(*idx(RXF, RING_RSP_PROD) == 1 && *idx(RXF, RING_REQ_EVENT) == 1 + 4);
	rx_post(3, 123);
	rx_post(4, 124);
	EXPECT(net_rx_service(&r, &notify) == 0 && *idx(RXF, RING_RSP_PROD) == 5);
	p = rx_rsp(1);
	EXPECT(p.id == 1 && p.status == 4096 &&
	       p.flags == (NETRXF_CSUM_BLANK | NETRXF_DATA_VALIDATED | NETRXF_MORE_DATA | NETRXF_EXTRA_INFO));
	memcpy(&x, ram + RXF * 4096 + RING_HDR_SIZE + 2 * 8, sizeof(x));
	EXPECT(x.type == NETIF_EXTRA_TYPE_GSO && x.gso_size == 1448 && x.gso_type == NETIF_GSO_TYPE_TCPV4 && !x.flags);
	p = rx_rsp(3);
	EXPECT(p.id == 3 && p.status == 4096 && p.flags == NETRXF_MORE_DATA);
	p = rx_rsp(4);
	EXPECT(p.id == 4 && p.status == 9000 - 8192 && p.flags == 0);
	EXPECT(!memcmp(ram + 21 * 4096, pkt, 4096) && !memcmp(ram + 23 * 4096, pkt + 4096, 4096) &&
	       !memcmp(ram + 24 * 4096, pkt + 8192, 9000 - 8192));
	EXPECT(st.rx_gso == 1 && st.rx_packets == 2);
	/* a read-only buffer: ERROR in its slot, the ring goes on */
	grant(125, 25, true);
	rx_post(5, 125);
	net_send(0, 0, 0, pkt, 100);
	EXPECT(net_rx_service(&r, &notify) == 0 && rx_rsp(5).status == NETIF_RSP_ERROR && rx_rsp(5).id == 5);
	/* GSO the guest did not ask for: dropped */
	r.rx_gso6 = false;
	rx_post(6, 126);
	net_send(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1400, pkt, 3000);
	EXPECT(net_rx_service(&r, &notify) == 0 && st.rx_dropped == 1 && *idx(RXF, RING_RSP_PROD) == 6);
	/* the budget: more than NET_RX_BUDGET packets take several calls */
	for (i = 0; i < NET_RX_BUDGET + 10; i++) {
		rx_post((uint16_t)i, 127);
		net_send(0, 0, 0, pkt, 60);
	}
	EXPECT(net_rx_service(&r, &notify) == 1);
	EXPECT(net_rx_service(&r, &notify) == 0);
	EXPECT(*idx(RXF, RING_RSP_PROD) == rx_prod - 1);	/* the buffer the dropped packet left */
	/* corrupt: req_prod far ahead */
	*idx(RXF, RING_REQ_PROD) = rx_prod + 1000;
	EXPECT(net_rx_service(&r, &notify) == -EIO && strstr(r.why, "RX req_prod"));
}

/* Random garbage on both rings: never a crash, never a write outside the
 * rings and the granted pages, every grant released. */
static void test_random_rings(void)
{
	static uint8_t out[NET_BUF_SIZE];
	unsigned int seed = 99, iter, j;

	for (iter = 0; iter < 3000; iter++) {
		bool notify = false;
		uint64_t wait;
		int k;

		setup(NULL, 0);
		for (j = 0; j < 4096 - RING_HDR_SIZE; j++) {
			seed = seed * 1103515245 + 12345;
			ram[TXF * 4096 + RING_HDR_SIZE + j] = (uint8_t)(seed >> 16);
			ram[RXF * 4096 + RING_HDR_SIZE + j] = (uint8_t)(seed >> 8);
			if (j % 4 == 0 && (seed >> 28) < 8)	/* mostly valid grant refs */
				ram[TXF * 4096 + RING_HDR_SIZE + j + 1] = 0;
		}
		seed = seed * 1103515245 + 12345;
		*idx(TXF, RING_REQ_PROD) = (seed >> 16) % 300;
		*idx(RXF, RING_REQ_PROD) = (seed >> 4) % 300;
		net_send(0, (seed >> 8) & 1 ? VIRTIO_NET_HDR_GSO_TCPV4 : 0, 1000, ram + DATA0 * 4096, (seed >> 10) % 20000 + 20);
		for (j = 0; j < 4; j++) {
			k = net_tx_service(&r, 0, &wait, &notify);
			if (k < 0)
				break;
			k = net_rx_service(&r, &notify);
			if (k < 0)
				break;
		}
		while (tap_read(out, sizeof(out)) > 0)
			;
		for (j = 0; j < NGNT; j++)
			if (j != TXREF && j != RXREF && (gnt[j].flags & (XEN_GTF_READING | XEN_GTF_WRITING))) {
				printf("  iteration %u: grant %u still held\n", iter, j);
				unit_cur_failed = 1;
			}
		if (unit_cur_failed)
			break;
	}
	net_ring_detach(&r);
	EXPECT(!(gnt[TXREF].flags & XEN_GTF_READING) && !(gnt[RXREF].flags & XEN_GTF_READING));
}

int main(void)
{
	ram = aligned_alloc(4096, PAGES * 4096);
	if (!ram)
		return 1;
	RUN(UNIT_PREFIX, test_tx_single);
	RUN(UNIT_PREFIX, test_tx_multi_gso);
	RUN(UNIT_PREFIX, test_tx_bad_packets);
	RUN(UNIT_PREFIX, test_tx_partial_and_corrupt);
	RUN(UNIT_PREFIX, test_ip_filter);
	RUN(UNIT_PREFIX, test_csum_locate);
	RUN(UNIT_PREFIX, test_rate);
	RUN(UNIT_PREFIX, test_rx);
	RUN(UNIT_PREFIX, test_random_rings);
	net_ring_detach(&r);
	free(ram);
	return unit_failed;
}
