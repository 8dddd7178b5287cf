// SPDX-License-Identifier: MIT
/*
 * One PV network interface of a guest (see netback.h, docs/devices.md):
 * the TAP device, created before the sandbox and kept across restarts,
 * attached to its bridge; per domain build, its xenstore keys
 * (pv-devices.md §8.2) and, while connected, a TX/RX ring pair per queue
 * with one I/O thread each that moves packets both ways, so that vCPUs
 * never wait on the network.  The xenbus state machine, the event
 * channels and the threading rules are backend.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "netback.h"
#include "libdomus.h"
#include "xenstore.h"
#include "xlcfg.h"

/* One queue: a TX/RX ring pair, its event channel, a TAP queue, a thread. */
struct net_queue {
	struct net_vif *v;
	unsigned int idx;
	int tap_fd;			/* this queue's fd of the (multi-queue) TAP */
	struct net_ring ring;
	struct be_io io;
	bool attached;
};

struct net_vif {
	struct be_dev x;		/* first: the xenbus side (backend.h) */
	/* the TAP device (for the launcher's whole life) */
	char name[IFNAMSIZ];
	char bridge[IFNAMSIZ];
	uint32_t devid;
	uint8_t mac[6];
	uint32_t ips[DOMUS_VIF_MAX_IPS];
	unsigned int nips;
	uint64_t rate_bytes, rate_interval_us;
	unsigned int max_queues;	/* TAP queues opened, multi-queue-max-queues */
	struct net_queue q[NET_MAX_QUEUES];
	struct net_stats st;
	unsigned int nq;		/* queues the front end connected */
};

static const struct be_ops net_ops;

/* ---- the host side: bridge and TAP (before the sandbox) ------------------- */

static bool is_bridge(const char *name)
{
	char path[96];
	struct stat sb;

	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	return stat(path, &sb) == 0;
}

static int if_up(int s, const char *name, uint32_t mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr))
			return -1;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

int net_bridge_check(const struct domus_vif *cfg, char *err, size_t errlen)
{
	char path[96];
	struct stat sb;
	int s, r;

	if (is_bridge(cfg->bridge))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s", cfg->bridge);
	if (stat(path, &sb) == 0) {
		snprintf(err, errlen, "vif %u: %s is not a bridge: give a bridge in bridge= (ip link add NAME type bridge)",
			 cfg->devid, cfg->bridge);
		return -1;
	}
	if (!cfg->bridge_create) {
		snprintf(err, errlen,
			 "vif %u: bridge %s does not exist: create it (ip link add %s type bridge && ip link set %s up) or add bridge-create=yes to the vif",
			 cfg->devid, cfg->bridge, cfg->bridge, cfg->bridge);
		return -1;
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "vif %u: socket: %s", cfg->devid, strerror(errno));
		return -1;
	}
	r = ioctl(s, SIOCBRADDBR, cfg->bridge);
	if (r && errno != EEXIST) {
		snprintf(err, errlen, "vif %u: cannot create bridge %s: %s%s", cfg->devid, cfg->bridge, strerror(errno),
			 errno == EPERM ? ": run domus as root" : "");
		close(s);
		return -1;
	}
	if (if_up(s, cfg->bridge, 0)) {
		snprintf(err, errlen, "vif %u: cannot bring bridge %s up: %s", cfg->devid, cfg->bridge, strerror(errno));
		close(s);
		return -1;
	}
	close(s);
	return 0;
}

void net_vif_default_name(const struct domus_vif *cfg, unsigned int domid, char out[16])
{
	if (cfg->vifname[0])
		snprintf(out, 16, "%s", cfg->vifname);
	else
		snprintf(out, 16, "vif%u.%u", domid, cfg->devid);
}

/*
 * The TAP's own MAC address: fe:ff:ff:ff:ff:ff, as Xen's netback gives its
 * vif devices.  A Linux bridge whose address was not set takes the lowest
 * of its ports' addresses; the highest unicast one is never taken while
 * another port is there, and when a bridge has only TAPs its address
 * stays this one as they come and go.  A random TAP address would become
 * the bridge's and change when that guest goes: every guest's ARP entry
 * for the host would then point nowhere (a restored guest could not reach
 * the host for seconds).  The guest's own MAC is its netfront's, not this.
 */
static int tap_set_mac(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, "\xfe\xff\xff\xff\xff\xff", 6);
	return ioctl(s, SIOCSIFHWADDR, &ifr);
}

int net_tap_create(const struct domus_vif *cfg, const char *name, unsigned int queues, int *fds, char *err,
		   size_t errlen)
{
	struct ifreq ifr;
	unsigned int i;
	int s = -1;

	for (i = 0; i < queues; i++)
		fds[i] = -1;
	/* one fd per queue: the kernel spreads received flows over them */
	for (i = 0; i < queues; i++) {
		fds[i] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[i] < 0) {
			snprintf(err, errlen, "vif %u: cannot open /dev/net/tun: %s%s", cfg->devid, strerror(errno),
				 errno == ENOENT ? ": load the tun module (modprobe tun)" : "");
			goto fail;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (queues > 1 ? IFF_MULTI_QUEUE : 0);
		if (ioctl(fds[i], TUNSETIFF, &ifr)) {
			snprintf(err, errlen, "vif %u: cannot create TAP device %s: %s%s", cfg->devid, name,
				 strerror(errno),
				 errno == EBUSY || errno == EINVAL ? ": the name is in use; give another vifname=" :
				 errno == EPERM ? ": run domus as root" : "");
			goto fail;
		}
	}
	/* until a front end says what it takes: checksums only */
	if (ioctl(fds[0], TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM)) {
		snprintf(err, errlen, "vif %u: %s: TUNSETOFFLOAD: %s", cfg->devid, name, strerror(errno));
		goto fail;
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || tap_set_mac(s, name)) {
		snprintf(err, errlen, "vif %u: cannot set %s's MAC address: %s", cfg->devid, name, strerror(errno));
		goto fail;
	}
	if (if_up(s, name, cfg->mtu)) {
		snprintf(err, errlen, "vif %u: cannot bring %s up: %s", cfg->devid, name, strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(name);
	if (!ifr.ifr_ifindex || ioctl(s, SIOCBRADDIF, &ifr)) {
		snprintf(err, errlen, "vif %u: cannot attach %s to bridge %s: %s", cfg->devid, name, cfg->bridge,
			 strerror(errno));
		goto fail;
	}
	close(s);
	return 0;
fail:
	if (s >= 0)
		close(s);
	for (i = 0; i < queues; i++)
		if (fds[i] >= 0)
			close(fds[i]);	/* a non-persistent TAP goes with its fds */
	return -1;
}

int net_vif_adopt(const struct domus_vif *cfg, const char *name, const int *fds, unsigned int queues,
		  struct net_vif **out, char *err, size_t errlen)
{
	struct net_vif *v;
	unsigned int i;

	*out = NULL;
	if (queues < 1 || queues > NET_MAX_QUEUES) {
		snprintf(err, errlen, "vif %u: %u TAP queues (1 to %d)", cfg->devid, queues, NET_MAX_QUEUES);
		return -1;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->max_queues = queues;
	for (i = 0; i < NET_MAX_QUEUES; i++) {
		v->q[i].v = v;
		v->q[i].idx = i;
		v->q[i].tap_fd = i < queues ? fds[i] : -1;
		be_io_init(&v->q[i].io);
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->bridge, sizeof(v->bridge), "%s", cfg->bridge);
	v->devid = cfg->devid;
	memcpy(v->mac, cfg->mac, 6);
	memcpy(v->ips, cfg->ips, sizeof(v->ips));
	v->nips = cfg->nips;
	v->rate_bytes = cfg->rate_bytes_per_s;
	v->rate_interval_us = cfg->rate_interval_us;
	be_dev_init(&v->x, &net_ops, v->name, v->devid);
	*out = v;
	return 0;
}

int net_vif_open(const struct domus_vif *cfg, unsigned int domid, unsigned int queues, struct net_vif **out,
		 char *err, size_t errlen)
{
	int fds[NET_MAX_QUEUES];
	char name[16];
	unsigned int i;

	*out = NULL;
	if (net_bridge_check(cfg, err, errlen))
		return -1;
	queues = queues < 1 ? 1 : queues > NET_MAX_QUEUES ? NET_MAX_QUEUES : queues;
	net_vif_default_name(cfg, domid, name);
	if (net_tap_create(cfg, name, queues, fds, err, errlen))
		return -1;
	if (net_vif_adopt(cfg, name, fds, queues, out, err, errlen)) {
		for (i = 0; i < queues; i++)
			close(fds[i]);
		return -1;
	}
	return 0;
}

struct be_dev *net_vif_dev(struct net_vif *v)
{
	return &v->x;
}

void net_vif_mac(const struct net_vif *v, char out[18])
{
	domus_mac_format(v->mac, out);
}

const char *net_vif_name(const struct net_vif *v)
{
	return v->name;
}

/* ---- the I/O thread ---------------------------------------------------------- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *io_thread(void *arg)
{
	struct net_queue *q = arg;
	struct net_vif *v = q->v;
	struct pollfd p[3] = {
		{ .fd = q->io.stop_fd, .events = POLLIN },
		{ .fd = q->io.notify_fd, .events = POLLIN },
		{ .fd = q->tap_fd, .events = POLLIN },
	};
	uint64_t wait = 0;
	const char *bad = NULL;

	for (;;) {
		bool notify = false;
		int tx, rx, timeout;

		do {
			tx = net_tx_service(&q->ring, now_us(), &wait, &notify);
			rx = net_rx_service(&q->ring, &notify);
			if (notify) {
				be_io_kick(&q->io);
				notify = false;
			}
		} while ((tx > 0 || rx > 0) && poll(p, 1, 0) == 0);
		if (tx < 0 || rx < 0) {
			bad = q->ring.why;
			break;
		}
		if (q->ring.spoof_seen && !q->ring.spoof_logged) {
			char a[64];
			uint32_t s = q->ring.spoof_src;

			snprintf(a, sizeof(a), "%u.%u.%u.%u", s >> 24, (s >> 16) & 255, (s >> 8) & 255, s & 255);
			be_log(&v->x, "vif %s: dropped a packet from %s%s: not in ip= (further drops are only counted)", a,
			     s ? "" : " (no IPv4 source: a VLAN tag or a short frame)");
			q->ring.spoof_logged = true;
		}
		/* a packet waiting for RX buffers: no TAP reads until the guest
		 * posts (it kicks with feature-rx-notify; a front end without it
		 * is looked at every 10 ms) */
		p[2].events = q->ring.rx_len ? 0 : POLLIN;
		timeout = wait ? (int)((wait + 999) / 1000) : -1;
		if (q->ring.rx_len && (timeout < 0 || timeout > 10))
			timeout = 10;
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		be_io_drain(&q->io);
	}
	if (bad)
		be_dev_broken(&v->x, bad);
	return NULL;
}

static void queue_disconnect(struct net_queue *q)
{
	be_io_stop(&q->io);
	if (q->attached) {
		net_ring_detach(&q->ring);
		q->attached = false;
	}
	be_io_close(&q->io, &q->v->x.h);
}

static void net_disconnect(struct be_dev *x)
{
	struct net_vif *v = (struct net_vif *)x;
	unsigned int i;

	for (i = 0; i < v->max_queues; i++)
		queue_disconnect(&v->q[i]);
	v->nq = 0;
}

/* One queue: its rings (keys under @dir: "" or "queue-N/"), its event
 * channel, its thread. */
static int queue_connect(struct net_queue *q, const char *dir, char *why, size_t wlen)
{
	struct net_vif *v = q->v;
	struct be_dev *x = &v->x;
	long long tx, rx, port;
	char key[48];

	snprintf(key, sizeof(key), "%stx-ring-ref", dir);
	tx = be_fe_number(x, key, UINT32_MAX);
	snprintf(key, sizeof(key), "%srx-ring-ref", dir);
	rx = be_fe_number(x, key, UINT32_MAX);
	if (tx < 0 || rx < 0) {
		snprintf(why, wlen, "%stx-ring-ref or rx-ring-ref is missing or not a number", dir);
		return -1;
	}
	snprintf(key, sizeof(key), "%sevent-channel", dir);
	port = be_fe_number(x, key, 1023);
	if (port <= 0) {
		snprintf(why, wlen, "%sevent-channel is missing or not a port (split channels are not offered)", dir);
		return -1;
	}
	memset(&q->ring, 0, sizeof(q->ring));
	q->ring.tap_fd = q->tap_fd;
	q->ring.ips = v->ips;
	q->ring.nips = v->nips;
	q->ring.rate_bytes = v->rate_bytes;	/* per queue */
	q->ring.rate_interval_us = v->rate_interval_us;
	q->ring.st = &v->st;
	q->ring.rx_gso4 = be_fe_number(x, "feature-gso-tcpv4", 1) == 1;
	q->ring.rx_gso6 = be_fe_number(x, "feature-gso-tcpv6", 1) == 1;
	if (net_ring_attach(&q->ring, &x->h.mem, (uint32_t)tx, (uint32_t)rx)) {
		snprintf(why, wlen, "%s%s", dir, q->ring.why);
		net_ring_detach(&q->ring);
		return -1;
	}
	q->attached = true;	/* queue_disconnect() releases what follows */
	return be_io_open(&q->io, &x->h, (uint32_t)port, io_thread, q, why, wlen);
}

/* The front end published its rings and went to Connected. */
static int net_connect(struct be_dev *x, char *why, size_t wlen)
{
	struct net_vif *v = (struct net_vif *)x;
	unsigned int off = TUN_F_CSUM, i;
	long long nq;

	if (be_fe_number(x, "request-rx-copy", 1) != 1) {
		snprintf(why, wlen, "request-rx-copy is not 1 (only the copying receive path is served)");
		return -1;
	}
	nq = be_fe_number(x, "multi-queue-num-queues", 1024);
	if (nq < 0)
		nq = 1;
	if (nq == 0 || nq > (long long)v->max_queues) {
		snprintf(why, wlen, "%lld queues asked for, %u offered", nq, v->max_queues);
		return -1;
	}
	v->nq = (unsigned int)nq;
	if (be_fe_number(x, "feature-gso-tcpv4", 1) == 1)
		off |= TUN_F_TSO4;
	if (be_fe_number(x, "feature-gso-tcpv6", 1) == 1)
		off |= TUN_F_TSO6;
	/* what the host may hand us: the TSO the front end takes */
	if (ioctl(v->q[0].tap_fd, TUNSETOFFLOAD, (unsigned long)off)) {
		snprintf(why, wlen, "TUNSETOFFLOAD: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < v->max_queues && v->max_queues > 1; i++) {
		/* received traffic only to the TAP queues of connected rings */
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = i < v->nq ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
		if (ioctl(v->q[i].tap_fd, TUNSETQUEUE, &ifr) && errno != EINVAL) {
			snprintf(why, wlen, "TUNSETQUEUE: %s", strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < v->nq; i++) {
		char dir[24] = "";

		if (v->nq > 1)
			snprintf(dir, sizeof(dir), "queue-%u/", i);
		if (queue_connect(&v->q[i], dir, why, wlen))
			return -1;
	}
	return 0;
}

static void net_describe(struct be_dev *x, char *buf, size_t len)
{
	struct net_vif *v = (struct net_vif *)x;

	snprintf(buf, len, "bridge %s%s, %u queue%s", v->bridge, v->q[0].ring.rx_gso4 ? ", TSO to the guest" : "",
		 v->nq, v->nq > 1 ? "s" : "");
}

/* The device's keys (pv-devices.md §8.2). */
static int net_keys(struct be_dev *x, bool frontend)
{
	struct net_vif *v = (struct net_vif *)x;
	char mac[18];
	int r = 0;

	domus_mac_format(v->mac, mac);
	if (frontend) {
		r |= be_writen(x, x->fe, "handle", v->devid);
		r |= be_write(x, x->fe, "mac", mac);
		return r;
	}
	r |= be_writen(x, x->be, "handle", v->devid);
	r |= be_write(x, x->be, "mac", mac);
	r |= be_write(x, x->be, "bridge", v->bridge);
	r |= be_write(x, x->be, "type", "vif");
	r |= be_write(x, x->be, "vifname", v->name);
	r |= be_writen(x, x->be, "feature-rx-copy", 1);
	r |= be_writen(x, x->be, "feature-rx-flip", 0);
	r |= be_writen(x, x->be, "feature-sg", 1);
	r |= be_writen(x, x->be, "feature-gso-tcpv4", 1);
	r |= be_writen(x, x->be, "feature-gso-tcpv6", 1);
	r |= be_writen(x, x->be, "feature-ipv6-csum-offload", 1);
	if (v->max_queues > 1)
		r |= be_writen(x, x->be, "multi-queue-max-queues", v->max_queues);
	return r;
}

static const struct be_ops net_ops = {
	.kind = "vif",
	.type = "vif",
	.connect_at_initialised = false,	/* netfront goes from 1 straight to 4 */
	.keys = net_keys,
	.connect = net_connect,
	.disconnect = net_disconnect,
	.describe = net_describe,
};

int net_vif_start(struct net_vif *v, const struct be_host *h)
{
	return be_dev_start(&v->x, h);
}

void net_vif_stop(struct net_vif *v)
{
	be_dev_stop(&v->x);
}

const struct net_stats *net_vif_counters(const struct net_vif *v)
{
	return &v->st;
}

void net_vif_stats(struct net_vif *v, char *buf, size_t len)
{
	const struct net_stats *s = &v->st;

	snprintf(buf, len,
		 "%s: tx_packets=%llu tx_bytes=%llu tx_gso=%llu tx_csum=%llu tx_errors=%llu tx_spoofed=%llu tx_throttled=%llu rx_packets=%llu rx_bytes=%llu rx_gso=%llu rx_dropped=%llu",
		 v->name, (unsigned long long)atomic_load(&s->tx_packets), (unsigned long long)atomic_load(&s->tx_bytes),
		 (unsigned long long)atomic_load(&s->tx_gso), (unsigned long long)atomic_load(&s->tx_csum),
		 (unsigned long long)atomic_load(&s->tx_errors), (unsigned long long)atomic_load(&s->tx_spoofed),
		 (unsigned long long)atomic_load(&s->tx_throttled), (unsigned long long)atomic_load(&s->rx_packets),
		 (unsigned long long)atomic_load(&s->rx_bytes), (unsigned long long)atomic_load(&s->rx_gso),
		 (unsigned long long)atomic_load(&s->rx_dropped));
}

void net_vif_close(struct net_vif *v)
{
	if (!v)
		return;
	be_dev_destroy(&v->x);
	for (unsigned int i = 0; i < v->max_queues; i++)
		if (v->q[i].tap_fd >= 0)
			close(v->q[i].tap_fd);	/* the TAP device goes with them */
	free(v);
}
