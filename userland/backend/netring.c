// SPDX-License-Identifier: MIT
/*
 * The network rings of one vif (see netback.h, docs/devices.md).
 *
 * TX (guest -> TAP): a packet is a first request (size = the whole
 * packet), extra-info slots if NETTXF_extra_info (GSO), then data slots
 * while NETTXF_more_data.  The chain is read out of the shared page into
 * a local copy first, then checked (slot count, offsets and sizes inside
 * the page, sizes adding up, grants), the data copied out of the guest's
 * pages into one buffer behind a virtio-net header (partial checksum:
 * NEEDS_CSUM with the L4 offsets; GSO: the type and MSS), filtered (ip=),
 * written to the TAP, and every slot answered (extras with NULL).
 *
 * RX (TAP -> guest): a packet read with its virtio-net header is copied
 * into as many posted buffers as it needs (4 KiB each, in ring order;
 * the GSO extra slot after the first), responses in the slots of the
 * requests they consume, checksum state as NETRXF flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>
#include "netback.h"

#define LOAD32(p)	__atomic_load_n((uint32_t *)(p), __ATOMIC_ACQUIRE)
#define STORE32(p, v)	__atomic_store_n((uint32_t *)(p), (v), __ATOMIC_RELEASE)
#define PAGE		4096u

_Static_assert(sizeof(struct virtio_net_hdr) == NET_VNET_HDR, "virtio_net_hdr size");

int net_ring_attach(struct net_ring *r, const struct be_mem *m, uint32_t tx, uint32_t rx)
{
	int64_t ftx, frx;

	r->m = m;
	r->attached = false;
	r->why[0] = 0;
	r->rx_len = 0;
	r->spoof_seen = r->spoof_logged = false;
	r->credit = 0;
	r->next_credit_us = 0;
	if (!r->txbuf)
		r->txbuf = malloc(NET_BUF_SIZE);
	if (!r->rxbuf)
		r->rxbuf = malloc(NET_BUF_SIZE);
	if (!r->txbuf || !r->rxbuf) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return -ENOMEM;
	}
	ftx = be_grant_get(m, tx, true);
	if (ftx < 0) {
		snprintf(r->why, sizeof(r->why), "tx-ring-ref %u is not a valid grant of guest RAM", tx);
		return -EINVAL;
	}
	frx = be_grant_get(m, rx, true);
	if (frx < 0 || frx == ftx) {
		if (frx >= 0)
			be_grant_put(m, rx);
		be_grant_put(m, tx);
		snprintf(r->why, sizeof(r->why), "rx-ring-ref %u is not a valid grant of guest RAM%s", rx,
			 frx == ftx ? " (the TX ring's page)" : "");
		return -EINVAL;
	}
	r->tx_gref = tx;
	r->rx_gref = rx;
	r->tx = m->ram + (uint64_t)ftx * PAGE;
	r->rx = m->ram + (uint64_t)frx * PAGE;
	/* continue from the indices the front end initialised */
	r->tx_req_cons = r->tx_rsp_prod_pvt = LOAD32(r->tx + RING_RSP_PROD);
	r->rx_req_cons = r->rx_rsp_prod_pvt = LOAD32(r->rx + RING_RSP_PROD);
	r->attached = true;
	return 0;
}

void net_ring_detach(struct net_ring *r)
{
	if (r->attached) {
		be_grant_put(r->m, r->tx_gref);
		be_grant_put(r->m, r->rx_gref);
	}
	r->attached = false;
	free(r->txbuf);
	free(r->rxbuf);
	r->txbuf = r->rxbuf = NULL;
	r->rx_len = 0;
}

static uint8_t *tx_slot(struct net_ring *r, uint32_t idx)
{
	return r->tx + RING_HDR_SIZE + (idx & (NETIF_RING_ENTS - 1)) * NETIF_TX_ENTRY_SIZE;
}

static uint8_t *rx_slot(struct net_ring *r, uint32_t idx)
{
	return r->rx + RING_HDR_SIZE + (idx & (NETIF_RING_ENTS - 1)) * NETIF_RX_ENTRY_SIZE;
}

static void tx_respond(struct net_ring *r, uint16_t id, int16_t status)
{
	struct netif_tx_response rsp = { .id = id, .status = status };

	memcpy(tx_slot(r, r->tx_rsp_prod_pvt), &rsp, sizeof(rsp));
	r->tx_rsp_prod_pvt++;
}

/* Publish responses; *notify per the rsp_event rule (pv-devices.md §2.2). */
static void push(uint8_t *hdr, uint32_t old, uint32_t now, bool *notify)
{
	uint32_t ev;

	if (old == now)
		return;
	STORE32(hdr + RING_RSP_PROD, now);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ev = LOAD32(hdr + RING_RSP_EVENT);
	if ((uint32_t)(now - ev) < (uint32_t)(now - old))
		*notify = true;
}

/* rate=: may a packet of @len bytes go now?  Else *wait_us. */
static bool credit_ok(struct net_ring *r, size_t len, uint64_t now, uint64_t *wait_us)
{
	uint64_t per = r->rate_bytes * r->rate_interval_us / 1000000;

	if (!r->rate_bytes)
		return true;
	if (per == 0)
		per = 1;
	if (now >= r->next_credit_us) {
		/* a new interval: the credit grows by one interval's worth, up
		 * to one interval's (or one packet's, if larger) */
		uint64_t cap = per > len ? per : len;

		r->credit = r->credit + per < cap ? r->credit + per : cap;
		r->next_credit_us = now + r->rate_interval_us;
	}
	if (r->credit >= len) {
		r->credit -= len;
		return true;
	}
	*wait_us = r->next_credit_us - now;
	atomic_fetch_add(&r->st->tx_throttled, 1);
	return false;
}

/* Fill the virtio-net header of a TX packet; false: drop it. */
static bool tx_vnet_hdr(struct net_ring *r, const uint8_t *pkt, size_t len, uint16_t flags,
			const struct netif_extra_info *gso, struct virtio_net_hdr *h)
{
	struct net_csum c;

	memset(h, 0, sizeof(*h));
	if (!(flags & NETTXF_CSUM_BLANK)) {
		if (gso)
			return false;	/* GSO needs a partial checksum */
		if (flags & NETTXF_DATA_VALIDATED)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return true;
	}
	if (net_csum_locate(pkt, len, &c))
		return false;	/* partial, but not TCP/UDP over IPv4/IPv6 */
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = c.start;
	h->csum_offset = c.offset;
	atomic_fetch_add(&r->st->tx_csum, 1);
	if (gso) {
		if (!c.tcp || gso->gso_size == 0 || c.ipv6 != (gso->gso_type == NETIF_GSO_TYPE_TCPV6))
			return false;
		h->gso_type = c.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = gso->gso_size;
		h->hdr_len = c.hdr_len;
		atomic_fetch_add(&r->st->tx_gso, 1);
	}
	return true;
}

/*
 * One TX packet starting at tx_req_cons.  Returns the slots it used (all
 * answered), 0 if it is not all on the ring yet (or rate= says wait), -1
 * if the chain is corrupt.
 */
static int tx_packet(struct net_ring *r, uint32_t prod, uint64_t now, uint64_t *wait_us)
{
	struct netif_tx_request req[NET_MAX_SLOTS];
	bool extra[NET_MAX_SLOTS] = { false };
	struct netif_extra_info gso;
	bool have_gso = false, bad = false, more;
	uint32_t avail = prod - r->tx_req_cons, n = 0, rest = 0, i;
	uint8_t *out = r->txbuf + NET_VNET_HDR;
	size_t total, copied = 0;
	int16_t status = NETIF_RSP_OKAY;
	uint32_t src;

	/* the chain: the first slot, its extras, the further data slots */
	memcpy(&req[0], tx_slot(r, r->tx_req_cons), sizeof(req[0]));
	n = 1;
	more = req[0].flags & NETTXF_EXTRA_INFO;
	while (more) {
		struct netif_extra_info x;

		if (n == NET_MAX_SLOTS)
			goto corrupt;
		if (n == avail)
			return 0;
		memcpy(&req[n], tx_slot(r, r->tx_req_cons + n), sizeof(req[n]));
		memcpy(&x, &req[n], sizeof(x));
		extra[n] = true;
		n++;
		if (x.type == NETIF_EXTRA_TYPE_GSO && !have_gso) {
			gso = x;
			have_gso = true;
		} else if (x.type != NETIF_EXTRA_TYPE_MCAST_ADD && x.type != NETIF_EXTRA_TYPE_MCAST_DEL) {
			bad = true;	/* unknown or repeated: answer ERROR */
		}
		more = x.flags & NETIF_EXTRA_FLAG_MORE;
	}
	more = req[0].flags & NETTXF_MORE_DATA;
	while (more) {
		if (n == NET_MAX_SLOTS)
			goto corrupt;
		if (n == avail)
			return 0;
		memcpy(&req[n], tx_slot(r, r->tx_req_cons + n), sizeof(req[n]));
		rest += req[n].size;
		more = req[n].flags & NETTXF_MORE_DATA;
		n++;
	}
	total = req[0].size;
	/* sizes: the first slot holds what the others do not */
	if (rest > total || total < 14)
		bad = true;
	if (!bad && !credit_ok(r, total, now, wait_us))
		return 0;
	for (i = 0; i < n && !bad; i++) {
		size_t len = i == 0 ? total - rest : req[i].size;
		int64_t f;

		if (extra[i])
			continue;
		if ((size_t)req[i].offset + len > PAGE) {
			bad = true;
			break;
		}
		if (!len)
			continue;
		f = be_grant_get(r->m, req[i].gref, false);
		if (f < 0) {
			bad = true;
			break;
		}
		memcpy(out + copied, r->m->ram + (uint64_t)f * PAGE + req[i].offset, len);
		be_grant_put(r->m, req[i].gref);
		copied += len;
	}
	if (bad) {
		status = NETIF_RSP_ERROR;
		atomic_fetch_add(&r->st->tx_errors, 1);
	} else if (!net_ip_allowed(out, total, r->ips, r->nips, &src)) {
		status = NETIF_RSP_DROPPED;
		if (!r->spoof_seen) {
			r->spoof_seen = true;
			r->spoof_src = src;
		}
		atomic_fetch_add(&r->st->tx_spoofed, 1);
	} else {
		struct virtio_net_hdr h;

		if (!tx_vnet_hdr(r, out, total, req[0].flags, have_gso ? &gso : NULL, &h)) {
			status = NETIF_RSP_ERROR;
			atomic_fetch_add(&r->st->tx_errors, 1);
		} else {
			memcpy(r->txbuf, &h, sizeof(h));
			/* a TAP write takes the packet or drops it: never blocks */
			if (write(r->tap_fd, r->txbuf, NET_VNET_HDR + total) < 0) {
				/* lost on the wire, as with a NIC: still OKAY */
			}
			atomic_fetch_add(&r->st->tx_packets, 1);
			atomic_fetch_add(&r->st->tx_bytes, total);
		}
	}
	for (i = 0; i < n; i++)
		tx_respond(r, req[i].id, extra[i] ? NETIF_RSP_NULL : status);
	r->tx_req_cons += n;
	return (int)n;
corrupt:
	snprintf(r->why, sizeof(r->why), "a TX packet spans more than %d slots", NET_MAX_SLOTS);
	return -1;
}

int net_tx_service(struct net_ring *r, uint64_t now_us, uint64_t *wait_us, bool *notify)
{
	uint32_t prod, old = r->tx_rsp_prod_pvt, done = 0;
	int k = 1;

	*wait_us = 0;
	prod = LOAD32(r->tx + RING_REQ_PROD);
	if (prod - r->tx_rsp_prod_pvt > NETIF_RING_ENTS) {
		snprintf(r->why, sizeof(r->why), "TX req_prod %u is %u requests ahead of the %u-entry ring", prod,
			 prod - r->tx_rsp_prod_pvt, NETIF_RING_ENTS);
		return -EIO;
	}
	while (r->tx_req_cons != prod && done < NETIF_RING_ENTS) {
		k = tx_packet(r, prod, now_us, wait_us);
		if (k <= 0)
			break;
		done += (uint32_t)k;
	}
	push(r->tx, old, r->tx_rsp_prod_pvt, notify);
	if (k < 0)
		return -EIO;
	if (*wait_us)
		return 0;
	if (done && r->tx_req_cons != prod)
		return 1;
	/* idle (or a packet not all there): an event on the next request */
	STORE32(r->tx + RING_REQ_EVENT, r->tx_req_cons + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return LOAD32(r->tx + RING_REQ_PROD) != prod ? 1 : 0;
}

/* Slots a packet of @len bytes needs: data pages plus the GSO extra. */
static uint32_t rx_slots(size_t len, bool gso)
{
	return (uint32_t)((len + PAGE - 1) / PAGE) + (gso ? 1 : 0);
}

/* The GSO type to tell the guest: 0 none, -1 one it does not take. */
static int rx_gso_type(const struct net_ring *r, const struct virtio_net_hdr *h)
{
	uint8_t t = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (!h->gso_size)
		return -1;
	if (t == VIRTIO_NET_HDR_GSO_TCPV4 && r->rx_gso4)
		return NETIF_GSO_TYPE_TCPV4;
	if (t == VIRTIO_NET_HDR_GSO_TCPV6 && r->rx_gso6)
		return NETIF_GSO_TYPE_TCPV6;
	return -1;
}

/* Copy a packet into the guest's next buffers (enough are posted). */
static void rx_deliver(struct net_ring *r, const struct virtio_net_hdr *h, int gso_type, const uint8_t *pkt,
		       size_t len)
{
	uint32_t need, i, slot = 0;
	uint16_t flags0 = 0;
	size_t off = 0;
	bool gso = gso_type > 0;

	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		flags0 = NETRXF_CSUM_BLANK | NETRXF_DATA_VALIDATED;
	else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		flags0 = NETRXF_DATA_VALIDATED;
	need = rx_slots(len, gso);
	for (i = 0; i < need; i++) {
		struct netif_rx_request q;
		struct netif_rx_response rsp;

		memcpy(&q, rx_slot(r, r->rx_req_cons), sizeof(q));
		r->rx_req_cons++;
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = q.id;
		if (gso && i == 1) {
			struct netif_extra_info x;

			memset(&x, 0, sizeof(x));
			x.type = NETIF_EXTRA_TYPE_GSO;
			x.gso_size = h->gso_size;
			x.gso_type = (uint8_t)gso_type;
			memcpy(rx_slot(r, r->rx_rsp_prod_pvt), &x, sizeof(x));
			r->rx_rsp_prod_pvt++;
			continue;
		}
		{
			size_t chunk = len - off < PAGE ? len - off : PAGE;
			int64_t f = be_grant_get(r->m, q.gref, true);

			if (f < 0) {
				rsp.status = NETIF_RSP_ERROR;
			} else {
				memcpy(r->m->ram + (uint64_t)f * PAGE, pkt + off, chunk);
				be_grant_put(r->m, q.gref);
				rsp.status = (int16_t)chunk;
			}
			off += chunk;
			rsp.offset = 0;
			rsp.flags = off < len ? NETRXF_MORE_DATA : 0;
			if (slot == 0) {
				rsp.flags |= flags0;
				if (gso)
					rsp.flags |= NETRXF_EXTRA_INFO;
			}
			slot++;
		}
		memcpy(rx_slot(r, r->rx_rsp_prod_pvt), &rsp, sizeof(rsp));
		r->rx_rsp_prod_pvt++;
	}
	atomic_fetch_add(&r->st->rx_packets, 1);
	atomic_fetch_add(&r->st->rx_bytes, len);
	if (gso)
		atomic_fetch_add(&r->st->rx_gso, 1);
}

int net_rx_service(struct net_ring *r, bool *notify)
{
	uint32_t prod, old = r->rx_rsp_prod_pvt;
	int done = 0, ret = 0;

	for (;;) {
		struct virtio_net_hdr h;
		size_t len;
		uint32_t need;
		int gso;

		prod = LOAD32(r->rx + RING_REQ_PROD);
		if (prod - r->rx_rsp_prod_pvt > NETIF_RING_ENTS) {
			snprintf(r->why, sizeof(r->why), "RX req_prod %u is %u requests ahead of the %u-entry ring",
				 prod, prod - r->rx_rsp_prod_pvt, NETIF_RING_ENTS);
			ret = -EIO;
			break;
		}
		if (done == NET_RX_BUDGET) {
			ret = 1;
			break;
		}
		if (!r->rx_len) {
			ssize_t k = read(r->tap_fd, r->rxbuf, NET_BUF_SIZE);

			if (k < 0)
				break;	/* EAGAIN: the TAP is empty */
			if (k <= NET_VNET_HDR + 14 || k == NET_BUF_SIZE) {
				atomic_fetch_add(&r->st->rx_dropped, 1);	/* runt or cut */
				done++;
				continue;
			}
			r->rx_len = (size_t)k;
		}
		memcpy(&h, r->rxbuf, sizeof(h));
		len = r->rx_len - NET_VNET_HDR;
		gso = rx_gso_type(r, &h);
		need = rx_slots(len, gso > 0);
		if (gso < 0 || need > NETIF_SLOTS_MIN) {
			/* GSO the guest does not take, or more slots than it does */
			atomic_fetch_add(&r->st->rx_dropped, 1);
			r->rx_len = 0;
			done++;
			continue;
		}
		if (prod - r->rx_req_cons < need) {
			/* too few buffers: an event when the guest has posted enough */
			STORE32(r->rx + RING_REQ_EVENT, r->rx_req_cons + need);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (LOAD32(r->rx + RING_REQ_PROD) - r->rx_req_cons >= need)
				continue;
			break;
		}
		rx_deliver(r, &h, gso, r->rxbuf + NET_VNET_HDR, len);
		r->rx_len = 0;
		done++;
	}
	push(r->rx, old, r->rx_rsp_prod_pvt, notify);
	return ret;
}
