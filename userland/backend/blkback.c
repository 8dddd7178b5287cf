// SPDX-License-Identifier: MIT
/*
 * One PV disk of a guest (see blkback.h, docs/devices.md): the image,
 * opened and locked before the sandbox and kept across restarts; per
 * domain build, its xenstore nodes (pv-devices.md §8.1), the xenbus state
 * machine driven by a watch on the front end's state, and while connected
 * the ring, the event channel (attached to the port the front end
 * allocated) and one I/O thread, so that vCPUs never wait on the disk.
 *
 * Threads: the watch callback runs on whichever thread changed the
 * front end's state (the event loop, serving the guest's xenstore ring)
 * and takes d->lock; it starts and joins the I/O thread, which never
 * takes d->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "blkback.h"
#include "libdomus.h"
#include "xenstore.h"
#include "xlcfg.h"

struct blk_disk {
	/* the image (for the launcher's whole life) */
	char vdev[16];
	uint32_t devid;
	bool readonly, cdrom, discard;
	char *path;
	int fd;
	uint64_t sectors;
	struct blk_stats st;
	/* per domain build */
	struct blk_host h;
	pthread_mutex_t lock;
	bool started, connected, watching;
	atomic_int be_state;		/* also written by the I/O thread */
	char fe[96], be[96];
	struct blk_ring ring;
	int notify_fd, kick_fd, stop_fd;
	uint32_t be_port;
	pthread_t th;
	bool th_running;
	atomic_bool broken;
};

int blk_disk_open(const struct domus_disk *cfg, struct blk_disk **out, char *err, size_t errlen)
{
	struct blk_disk *d;
	struct stat sb;
	off_t size;
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	*out = NULL;
	if (!cfg->target) {
		snprintf(err, errlen, "disk %s: an empty drive is not attached", cfg->vdev);
		return -1;
	}
	if (stat(cfg->target, &sb)) {
		snprintf(err, errlen, "disk %s: %s: %s: create the image (truncate -s 10G %s) or fix the path in disk=",
			 cfg->vdev, cfg->target, strerror(errno), cfg->target);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)) {
		snprintf(err, errlen, "disk %s: %s is not an image file or a block device: give one in disk=",
			 cfg->vdev, cfg->target);
		return -1;
	}
	/* a writable block device: exclusive (fails if mounted or in use) */
	if (S_ISBLK(sb.st_mode) && !cfg->readonly)
		flags |= O_EXCL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(cfg->target))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->fd = open(cfg->target, flags);
	if (d->fd < 0) {
		snprintf(err, errlen, "disk %s: cannot open %s%s: %s%s", cfg->vdev, cfg->target,
			 cfg->readonly ? "" : " for writing", strerror(errno),
			 errno == EBUSY ? ": it is mounted or used by another program; unmount it or give access=r"
			 : errno == EACCES || errno == EROFS ? ": give access=r for a read-only disk" : "");
		goto fail;
	}
	if (flock(d->fd, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		snprintf(err, errlen, "disk %s: %s is in use%s (locked by another domain or program): stop that user first%s",
			 cfg->vdev, cfg->target, cfg->readonly ? " by a writer" : "",
			 cfg->readonly ? "" : ", or give access=r to share it read-only");
		goto fail;
	}
	size = lseek(d->fd, 0, SEEK_END);
	if (size < (off_t)BLK_SECTOR) {
		snprintf(err, errlen, "disk %s: %s is %s: give an image of at least 512 bytes", cfg->vdev,
			 cfg->target, size < 0 ? "unreadable" : "empty");
		goto fail;
	}
	snprintf(d->vdev, sizeof(d->vdev), "%s", cfg->vdev);
	d->devid = cfg->devid;
	d->readonly = cfg->readonly;
	d->cdrom = cfg->cdrom;
	d->discard = !cfg->readonly && !cfg->no_discard;
	d->sectors = (uint64_t)size / BLK_SECTOR;
	d->notify_fd = d->kick_fd = d->stop_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	*out = d;
	return 0;
fail:
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
	return -1;
}

static void dlog(struct blk_disk *d, const char *fmt, const char *a, const char *b)
{
	if (d->h.log)
		d->h.log(d->h.opaque, fmt, d->vdev, a, b);
}

static int xsw(struct blk_disk *d, const char *dir, const char *key, const char *fmt, uint64_t v)
{
	char path[160], val[32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	snprintf(val, sizeof(val), fmt, v);
	return xs_write(d->h.xs, path, val);
}

/* A number the guest wrote under its front-end directory; -1 if absent
 * or not a plain number up to @max. */
static long long fe_number(struct blk_disk *d, const char *key, unsigned long long max)
{
	char path[160], buf[32], *end;
	unsigned long long v;

	snprintf(path, sizeof(path), "%s/%s", d->fe, key);
	if (xs_read(d->h.xs, path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end || errno || v > max)
		return -1;
	return (long long)v;
}

static void set_state(struct blk_disk *d, int state)
{
	d->be_state = state;
	xsw(d, d->be, "state", "%" PRIu64, (uint64_t)state);
}

static void kick(struct blk_disk *d)
{
	uint64_t one = 1;

	if (write(d->kick_fd, &one, sizeof(one)) < 0) {
		/* counter full: an event is pending anyway */
	}
}

static void *io_thread(void *arg)
{
	struct blk_disk *d = arg;
	struct pollfd p[2] = { { .fd = d->notify_fd, .events = POLLIN }, { .fd = d->stop_fd, .events = POLLIN } };
	uint64_t cnt;

	for (;;) {
		bool notify = false;
		int r;

		do {
			r = blk_ring_service(&d->ring, &notify);
			if (notify) {
				kick(d);
				notify = false;
			}
		} while (r > 0 && poll(&p[1], 1, 0) == 0);
		if (r < 0) {
			dlog(d, "blk %s: the guest's ring is corrupt (%s%s): device disconnected", d->ring.why, "");
			atomic_store(&d->broken, true);
			set_state(d, XEN_BUS_CLOSING);
			break;
		}
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (read(d->notify_fd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: nothing pending */
		}
	}
	return NULL;
}

static void disconnect(struct blk_disk *d)
{
	uint64_t one = 1;

	if (d->th_running) {
		if (write(d->stop_fd, &one, sizeof(one)) < 0) {
			/* cannot fail on a fresh eventfd */
		}
		pthread_join(d->th, NULL);
		d->th_running = false;
	}
	if (d->connected) {
		struct domus_xen_evtchn_bind b;

		blk_ring_detach(&d->ring);
		if (d->be_port) {
			memset(&b, 0, sizeof(b));
			b.flags = DOMUS_XEN_EVTCHN_CLOSE;
			b.backend_port = d->be_port;
			b.notify_fd = b.kick_fd = -1;
			domus_xen_evtchn_bind(d->h.domfd, &b);
		}
		d->be_port = 0;
		d->connected = false;
	}
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	if (d->kick_fd >= 0)
		close(d->kick_fd);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	d->notify_fd = d->kick_fd = d->stop_fd = -1;
}

/* The front end published its ring (state 3): map, bind, serve. */
static int connect_ring(struct blk_disk *d, char *why, size_t wlen)
{
	uint32_t grefs[BLK_MAX_RING_PAGES];
	struct domus_xen_evtchn_bind b;
	long long order, port, v;
	char proto[32], path[160];
	unsigned int i, n;

	order = fe_number(d, "ring-page-order", BLK_MAX_RING_ORDER);
	snprintf(path, sizeof(path), "%s/ring-page-order", d->fe);
	if (order < 0 && xs_read(d->h.xs, path, proto, sizeof(proto)) >= 0) {
		snprintf(why, wlen, "ring-page-order is not 0 to %d", BLK_MAX_RING_ORDER);
		return -1;
	}
	n = order > 0 ? 1u << order : 1;
	for (i = 0; i < n; i++) {
		char key[24];

		if (order > 0)
			snprintf(key, sizeof(key), "ring-ref%u", i);
		else
			snprintf(key, sizeof(key), "ring-ref");
		v = fe_number(d, key, UINT32_MAX);
		if (v < 0) {
			snprintf(why, wlen, "%s is missing or not a number", key);
			return -1;
		}
		grefs[i] = (uint32_t)v;
	}
	v = fe_number(d, "multi-queue-num-queues", 1024);
	if (v > 1) {
		snprintf(why, wlen, "%lld queues asked for, none offered", v);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/protocol", d->fe);
	if (xs_read(d->h.xs, path, proto, sizeof(proto)) >= 0 && strcmp(proto, "x86_64-abi")) {
		snprintf(why, wlen, "protocol '%.20s' is not served (only x86_64-abi)", proto);
		return -1;
	}
	port = fe_number(d, "event-channel", 1023);
	if (port <= 0) {
		snprintf(why, wlen, "event-channel is missing or not a port");
		return -1;
	}
	d->ring.fd = d->fd;
	d->ring.sectors = d->sectors;
	d->ring.readonly = d->readonly;
	d->ring.discard = d->discard;
	d->ring.st = &d->st;
	if (blk_ring_attach(&d->ring, &d->h.mem, grefs, n)) {
		snprintf(why, wlen, "%s", d->ring.why);
		return -1;
	}
	d->connected = true;	/* disconnect() releases what follows */
	d->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->notify_fd < 0 || d->kick_fd < 0 || d->stop_fd < 0) {
		snprintf(why, wlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.flags = DOMUS_XEN_EVTCHN_ATTACH;
	b.port = (uint32_t)port;
	b.notify_fd = d->notify_fd;
	b.kick_fd = d->kick_fd;
	if (domus_xen_evtchn_bind(d->h.domfd, &b)) {
		snprintf(why, wlen, "event channel %lld: %s", port, domus_last_error());
		return -1;
	}
	d->be_port = b.backend_port;
	if (pthread_create(&d->th, NULL, io_thread, d)) {
		snprintf(why, wlen, "cannot start the I/O thread");
		return -1;
	}
	d->th_running = true;
	return 0;
}

/* The front end's state changed (or the watch was just set). */
static void fe_changed(void *opaque, const char *path)
{
	struct blk_disk *d = opaque;
	char why[200];
	long long fe;

	(void)path;
	pthread_mutex_lock(&d->lock);
	if (!d->started)
		goto out;
	fe = fe_number(d, "state", 8);
	if (getenv("DOMUS_BLK_DEBUG")) {
		char st[48];

		snprintf(st, sizeof(st), "%lld, back end %d", fe, atomic_load(&d->be_state));
		dlog(d, "blk %s: front end state %s%s", st, "");
	}
	switch (fe) {
	case XEN_BUS_INITIALISING:
		/* a front end starting (again): offer the device */
		if (d->connected || d->be_state != XEN_BUS_INITWAIT) {
			disconnect(d);
			atomic_store(&d->broken, false);
			set_state(d, XEN_BUS_INITWAIT);
		}
		break;
	case XEN_BUS_INITIALISED:
	case XEN_BUS_CONNECTED:
		if (d->connected || atomic_load(&d->broken) || d->be_state != XEN_BUS_INITWAIT)
			break;
		if (connect_ring(d, why, sizeof(why))) {
			dlog(d, "blk %s: cannot connect the guest's front end: %s%s; device closed", why, "");
			disconnect(d);
			set_state(d, XEN_BUS_CLOSING);
			break;
		}
		snprintf(why, sizeof(why), "%u ring page%s", d->ring.npages, d->ring.npages > 1 ? "s" : "");
		dlog(d, "blk %s: connected (%s%s)", why, "");
		set_state(d, XEN_BUS_CONNECTED);
		break;
	case XEN_BUS_CLOSING:
		disconnect(d);
		if (d->be_state != XEN_BUS_CLOSING && d->be_state != XEN_BUS_CLOSED)
			set_state(d, XEN_BUS_CLOSING);
		break;
	default:	/* Closed, gone, or garbage */
		disconnect(d);
		if (d->be_state != XEN_BUS_CLOSED && d->be_state != XEN_BUS_INITWAIT)
			set_state(d, XEN_BUS_CLOSED);
		break;
	}
out:
	pthread_mutex_unlock(&d->lock);
}

int blk_disk_start(struct blk_disk *d, const struct blk_host *h)
{
	char perms[32], path[160], fe_rel[64];
	int r = 0;

	pthread_mutex_lock(&d->lock);
	d->h = *h;
	atomic_store(&d->broken, false);
	d->connected = d->th_running = false;
	snprintf(d->be, sizeof(d->be), "/local/domain/0/backend/vbd/%u/%u", h->domid, d->devid);
	snprintf(d->fe, sizeof(d->fe), "/local/domain/%u/device/vbd/%u", h->domid, d->devid);
	snprintf(fe_rel, sizeof(fe_rel), "device/vbd/%u", d->devid);
	/* the back end's directory: dom0's, readable by the guest; every key
	 * before the guest can see the device */
	snprintf(perms, sizeof(perms), "n0,r%u", h->domid);
	r |= xs_mkdir(h->xs, d->be);
	r |= xs_set_perms(h->xs, d->be, perms);
	snprintf(path, sizeof(path), "%s/frontend", d->be);
	r |= xs_write(h->xs, path, d->fe);
	r |= xsw(d, d->be, "frontend-id", "%" PRIu64, h->domid);
	r |= xsw(d, d->be, "online", "%" PRIu64, 1);
	r |= xsw(d, d->be, "removable", "%" PRIu64, 0);
	r |= xsw(d, d->be, "bootable", "%" PRIu64, 1);
	snprintf(path, sizeof(path), "%s/mode", d->be);
	r |= xs_write(h->xs, path, d->readonly ? "r" : "w");
	snprintf(path, sizeof(path), "%s/dev", d->be);
	r |= xs_write(h->xs, path, d->vdev);
	snprintf(path, sizeof(path), "%s/params", d->be);
	r |= xs_write(h->xs, path, d->path);
	snprintf(path, sizeof(path), "%s/device-type", d->be);
	r |= xs_write(h->xs, path, d->cdrom ? "cdrom" : "disk");
	r |= xsw(d, d->be, "max-ring-page-order", "%" PRIu64, BLK_MAX_RING_ORDER);
	r |= xsw(d, d->be, "sectors", "%" PRIu64, d->sectors);
	r |= xsw(d, d->be, "info", "%" PRIu64,
		 (d->readonly ? BLKIF_VDISK_READONLY : 0) | (d->cdrom ? BLKIF_VDISK_CDROM : 0));
	r |= xsw(d, d->be, "sector-size", "%" PRIu64, BLK_SECTOR);
	r |= xsw(d, d->be, "physical-sector-size", "%" PRIu64, BLK_SECTOR);
	r |= xsw(d, d->be, "feature-flush-cache", "%" PRIu64, 1);
	r |= xsw(d, d->be, "feature-barrier", "%" PRIu64, 0);
	r |= xsw(d, d->be, "feature-persistent", "%" PRIu64, 0);
	r |= xsw(d, d->be, "feature-max-indirect-segments", "%" PRIu64, BLK_MAX_INDIRECT_SEGS);
	r |= xsw(d, d->be, "feature-discard", "%" PRIu64, d->discard);
	if (d->discard) {
		r |= xsw(d, d->be, "discard-granularity", "%" PRIu64, 4096);
		r |= xsw(d, d->be, "discard-alignment", "%" PRIu64, 0);
		r |= xsw(d, d->be, "discard-secure", "%" PRIu64, 0);
	}
	d->be_state = XEN_BUS_INITWAIT;
	r |= xsw(d, d->be, "state", "%" PRIu64, XEN_BUS_INITWAIT);
	/* the front end's directory, inside the guest's (guest-owned); the
	 * keys that name the back end stay dom0's */
	r |= xsw(d, d->fe, "backend-id", "%" PRIu64, 0);
	snprintf(path, sizeof(path), "%s/backend", d->fe);
	r |= xs_write(h->xs, path, d->be);
	r |= xs_set_perms(h->xs, path, perms);
	r |= xsw(d, d->fe, "virtual-device", "%" PRIu64, d->devid);
	/* PVH: blkfront refuses a missing or cdrom device-type: a CD is a
	 * read-only disk here */
	snprintf(path, sizeof(path), "%s/device-type", d->fe);
	r |= xs_write(h->xs, path, "disk");
	r |= xsw(d, d->fe, "state", "%" PRIu64, XEN_BUS_INITIALISING);
	(void)fe_rel;
	if (r) {
		pthread_mutex_unlock(&d->lock);
		return -EIO;
	}
	d->started = true;
	pthread_mutex_unlock(&d->lock);
	snprintf(path, sizeof(path), "%s/state", d->fe);
	r = xs_watch_local(h->xs, path, fe_changed, d);
	d->watching = r == 0;
	return r;
}

void blk_disk_stop(struct blk_disk *d)
{
	char path[160];

	if (d->watching) {
		snprintf(path, sizeof(path), "%s/state", d->fe);
		xs_unwatch_local(d->h.xs, path, fe_changed, d);
		d->watching = false;
	}
	pthread_mutex_lock(&d->lock);
	disconnect(d);
	d->started = false;
	pthread_mutex_unlock(&d->lock);
}

void blk_disk_stats(struct blk_disk *d, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s: reads=%llu writes=%llu flushes=%llu fdatasync=%llu discards=%llu indirect=%llu read_bytes=%llu written_bytes=%llu errors=%llu unsupported=%llu",
		 d->vdev, (unsigned long long)atomic_load(&d->st.reads),
		 (unsigned long long)atomic_load(&d->st.writes), (unsigned long long)atomic_load(&d->st.flushes),
		 (unsigned long long)atomic_load(&d->st.fdatasyncs),
		 (unsigned long long)atomic_load(&d->st.discards), (unsigned long long)atomic_load(&d->st.indirect),
		 (unsigned long long)atomic_load(&d->st.bytes_read),
		 (unsigned long long)atomic_load(&d->st.bytes_written),
		 (unsigned long long)atomic_load(&d->st.errors),
		 (unsigned long long)atomic_load(&d->st.unsupported));
}

void blk_disk_close(struct blk_disk *d)
{
	if (!d)
		return;
	blk_disk_stop(d);
	close(d->fd);	/* releases the lock */
	pthread_mutex_destroy(&d->lock);
	free(d->path);
	free(d);
}
