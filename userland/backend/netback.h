/* SPDX-License-Identifier: MIT */
/*
 * The PV network back end (docs/devices.md): serves the vif devices of one
 * guest to its unmodified xen-netfront, in threads of the launcher.
 *
 *   netring.c   the TX and RX rings of one vif: guest packets copied out
 *               of their grants, checked, written to the TAP device with a
 *               virtio-net header (checksum offload, GSO); packets read
 *               from the TAP copied into the guest's posted RX buffers
 *               (pure: guest memory, grant table and TAP fd are given;
 *               unit-tested by tests/unit/test_netring.c)
 *   netpkt.c    packet parsing: checksum offsets, the ip= filter
 *   netback.c   one vif: the TAP device (opened before the sandbox and
 *               attached to its bridge), its xenstore keys, connecting its
 *               queues and their I/O threads (the xenbus side and the
 *               event channels: backend.h)
 *
 * Hostile guest: every ring index, slot chain, grant reference, offset and
 * size is checked; a bad packet is answered ERROR and dropped; a corrupt
 * ring (indices beyond the ring, a chain beyond NET_MAX_SLOTS slots)
 * disconnects that vif with one log line.  Work per call is bounded.
 */
#ifndef DOMUS_NETBACK_H
#define DOMUS_NETBACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "xen_netif.h"

#define NET_MAX_SLOTS		20	/* request slots of one TX packet (data + extras) */
#define NET_VNET_HDR		10	/* struct virtio_net_hdr */
#define NET_BUF_SIZE		(NET_VNET_HDR + 65536 + 512)
#define NET_RX_BUDGET		64	/* packets per net_rx_service() */
#define NET_MAX_QUEUES		4	/* multi-queue-max-queues at most */

struct net_stats {
	atomic_ullong tx_packets, tx_bytes, tx_gso, tx_csum;
	atomic_ullong tx_errors;	/* malformed packets answered ERROR */
	atomic_ullong tx_spoofed;	/* dropped by the ip= filter */
	atomic_ullong tx_throttled;	/* waits for rate= credit */
	atomic_ullong rx_packets, rx_bytes, rx_gso;
	atomic_ullong rx_dropped;	/* no usable guest buffer, or unsupported */
};

/* One connected TX + RX ring pair. */
struct net_ring {
	const struct be_mem *m;
	uint8_t *tx, *rx;			/* the ring pages in guest RAM */
	uint32_t tx_gref, rx_gref;
	bool attached;
	uint32_t tx_req_cons, tx_rsp_prod_pvt;
	uint32_t rx_req_cons, rx_rsp_prod_pvt;
	/* the host side */
	int tap_fd;
	bool rx_gso4, rx_gso6;			/* the front end takes GSO packets */
	const uint32_t *ips;			/* ip= filter (host order), or none */
	unsigned int nips;
	/* rate= (0: unlimited): credit per interval */
	uint64_t rate_bytes, rate_interval_us;
	uint64_t credit, next_credit_us;
	struct net_stats *st;
	/* buffers */
	uint8_t *txbuf, *rxbuf;			/* NET_BUF_SIZE each */
	size_t rx_len;				/* a packet read, waiting for buffers */
	uint32_t spoof_src;			/* the first spoofed address (for the log) */
	bool spoof_seen, spoof_logged;
	char why[160];				/* why the ring was declared corrupt */
};

/* Attach the rings (grant refs @tx, @rx; the grants stay pinned while
 * attached); 0 or -EINVAL/-ENOMEM with the reason in r->why. */
int net_ring_attach(struct net_ring *r, const struct be_mem *m, uint32_t tx, uint32_t rx);
void net_ring_detach(struct net_ring *r);

/*
 * Guest -> TAP: serve at most one ring's worth of TX slots.  > 0: call
 * again; 0: idle (req_event re-armed) or waiting for rate= credit
 * (*wait_us set, else 0); -EIO: the ring is corrupt (r->why).
 * @now_us: a monotonic clock.  *notify: the guest needs an event.
 */
int net_tx_service(struct net_ring *r, uint64_t now_us, uint64_t *wait_us, bool *notify);
/*
 * TAP -> guest: up to NET_RX_BUDGET packets.  > 0: call again; 0: the TAP
 * is empty, or the guest has too few RX buffers posted (req_event set so
 * that it kicks when it posts them); -EIO: the ring is corrupt.
 */
int net_rx_service(struct net_ring *r, bool *notify);

/* netpkt.c: packet checks on an Ethernet frame of @len bytes. */
struct net_csum {
	uint16_t start, offset;		/* where the L4 header is, its checksum field */
	uint16_t hdr_len;		/* Ethernet + IP + L4 headers (TCP: with options) */
	bool ipv6, tcp;
};
/* Locate the L4 checksum of a TCP or UDP frame (IPv4 without fragments,
 * IPv6 without extension headers, one optional 802.1Q tag); 0 or -1. */
int net_csum_locate(const uint8_t *pkt, size_t len, struct net_csum *c);
/* May the guest send this frame under ip= (@ips, host order)?  IPv4
 * needs a listed source (0.0.0.0 only for DHCP to port 67), ARP a listed
 * (or 0.0.0.0) sender, 802.1Q frames are refused; other types pass.  On
 * refusal *src is the offending IPv4 source (0 if none). */
bool net_ip_allowed(const uint8_t *pkt, size_t len, const uint32_t *ips, unsigned int nips, uint32_t *src);

/* The vif as the launcher runs it (netback.c). */
struct net_vif;
struct domus_vif;

/*
 * Before the domain exists: the bridge of @cfg exists (or is created with
 * bridge-create=yes).  0 or -1 with @err set (one line, naming the fix).
 */
int net_bridge_check(const struct domus_vif *cfg, char *err, size_t errlen);
/*
 * Before the sandbox: create the TAP device (vifname= or vif<domid>.<n>;
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, non-blocking; with @queues > 1
 * IFF_MULTI_QUEUE and one fd per queue, up to NET_MAX_QUEUES), bring it up
 * and attach it to the bridge.  0 or -1 with @err set.
 */
int net_vif_open(const struct domus_vif *cfg, unsigned int domid, unsigned int queues, struct net_vif **out,
		 char *err, size_t errlen);
/* The two halves of net_vif_open, for hot-plug (domus network-attach
 * creates the TAP as root and passes its fds to the sandboxed launcher):
 * the TAP device @name with @queues fds into @fds, up and on the bridge,
 * 0 or -1 with @err set; and the vif around such fds (taken on success). */
int net_tap_create(const struct domus_vif *cfg, const char *name, unsigned int queues, int *fds, char *err,
		   size_t errlen);
int net_vif_adopt(const struct domus_vif *cfg, const char *name, const int *fds, unsigned int queues,
		  struct net_vif **out, char *err, size_t errlen);
/* vifname=, or vif<domid>.<devid> as Xen names them */
void net_vif_default_name(const struct domus_vif *cfg, unsigned int domid, char out[16]);
struct be_dev *net_vif_dev(struct net_vif *v);
void net_vif_mac(const struct net_vif *v, char out[18]);
/* Publish the device in the guest's xenstore and serve it (per build). */
int net_vif_start(struct net_vif *v, const struct be_host *h);
void net_vif_stop(struct net_vif *v);
/* One line of counters: "vif1.0: tx_packets=N ..." */
void net_vif_stats(struct net_vif *v, char *buf, size_t len);
/* The vif's counters (live, atomic), for sums such as domus top's. */
const struct net_stats *net_vif_counters(const struct net_vif *v);
const char *net_vif_name(const struct net_vif *v);
void net_vif_close(struct net_vif *v);

#endif
