// SPDX-License-Identifier: MIT
/*
 * One PV disk of a guest (see blkback.h, docs/devices.md): the image,
 * opened and locked before the sandbox and kept across restarts; per
 * domain build, its xenstore keys (pv-devices.md §8.1) and, while
 * connected, the ring and one I/O thread, so that vCPUs never wait on the
 * disk.  The xenbus state machine, the event channel and the threading
 * rules are backend.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include "blkaio.h"
#include "libdomus.h"
#include "xenstore.h"
#include "xlcfg.h"

struct blk_disk {
	struct be_dev x;		/* first: the xenbus side (backend.h) */
	/* the image (for the launcher's whole life) */
	char vdev[16];
	uint32_t devid;
	bool readonly, cdrom, discard, blockdev;
	uint32_t discard_granularity;	/* bytes */
	char *path;
	int fd;
	uint64_t sectors;
	struct blk_stats st;
	/* while connected */
	struct blk_ring ring;
	struct be_io io;
	struct blk_stats trace_last;	/* DOMUS_BLK_TRACE: the counters last logged */
};

static const struct be_ops blk_ops;

/* The image's size in sectors, or 0 if it is not a usable image: a
 * file's length, a block device's size (BLKGETSIZE64). */
static uint64_t image_sectors(int fd)
{
	struct stat sb;
	uint64_t bytes;
	off_t size;

	if (fstat(fd, &sb))
		return 0;
	if (S_ISBLK(sb.st_mode))
		return ioctl(fd, BLKGETSIZE64, &bytes) ? 0 : bytes / BLK_SECTOR;
	size = lseek(fd, 0, SEEK_END);
	return size < (off_t)BLK_SECTOR ? 0 : (uint64_t)size / BLK_SECTOR;
}

/* A number from the block device's queue limits in sysfs, or 0. */
static uint64_t queue_limit(dev_t rdev, const char *name)
{
	char path[96];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s", major(rdev), minor(rdev), name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * Discard on @fd: an image punches holes in 4 KiB units; a block device
 * is offered discard only when its queue takes discards
 * (discard_max_bytes), in its own granularity (a power of two from 512 B
 * to 1 MiB, else 4 KiB).
 */
static void discard_caps(struct blk_disk *d, int fd)
{
	struct stat sb;
	uint64_t g;

	d->discard_granularity = 4096;
	if (fstat(fd, &sb) || !S_ISBLK(sb.st_mode))
		return;
	d->blockdev = true;
	if (!queue_limit(sb.st_rdev, "discard_max_bytes"))
		d->discard = false;
	g = queue_limit(sb.st_rdev, "discard_granularity");
	if (g >= BLK_SECTOR && g <= (1u << 20) && !(g & (g - 1)))
		d->discard_granularity = (uint32_t)g;
}

int blk_image_open(const struct domus_disk *cfg, char *err, size_t errlen)
{
	struct stat sb;
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, fd;

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
	fd = open(cfg->target, flags);
	if (fd < 0) {
		snprintf(err, errlen, "disk %s: cannot open %s%s: %s%s", cfg->vdev, cfg->target,
			 cfg->readonly ? "" : " for writing", strerror(errno),
			 errno == EBUSY ? ": it is mounted or used by another program; unmount it or give access=r"
			 : errno == EACCES || errno == EROFS ? ": give access=r for a read-only disk" : "");
		return -1;
	}
	if (flock(fd, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		snprintf(err, errlen, "disk %s: %s is in use%s (locked by another domain or program): stop that user first%s",
			 cfg->vdev, cfg->target, cfg->readonly ? " by a writer" : "",
			 cfg->readonly ? "" : ", or give access=r to share it read-only");
		close(fd);
		return -1;
	}
	if (!image_sectors(fd)) {
		snprintf(err, errlen, "disk %s: %s is %s: give an image of at least 512 bytes", cfg->vdev,
			 cfg->target, lseek(fd, 0, SEEK_END) < 0 ? "unreadable" : "empty");
		close(fd);
		return -1;
	}
	return fd;
}

int blk_disk_adopt(const struct domus_disk *cfg, int fd, struct blk_disk **out, char *err, size_t errlen)
{
	struct blk_disk *d;
	uint64_t sectors = image_sectors(fd);

	*out = NULL;
	if (!sectors) {
		snprintf(err, errlen, "disk %s: the image is empty or unreadable", cfg->vdev);
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(cfg->target ? cfg->target : ""))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->fd = fd;
	snprintf(d->vdev, sizeof(d->vdev), "%s", cfg->vdev);
	d->devid = cfg->devid;
	d->readonly = cfg->readonly;
	d->cdrom = cfg->cdrom;
	d->discard = !cfg->readonly && !cfg->no_discard;
	discard_caps(d, fd);
	d->sectors = sectors;
	be_io_init(&d->io);
	be_dev_init(&d->x, &blk_ops, d->vdev, d->devid);
	*out = d;
	return 0;
}

int blk_disk_open(const struct domus_disk *cfg, struct blk_disk **out, char *err, size_t errlen)
{
	int fd = blk_image_open(cfg, err, errlen);

	*out = NULL;
	if (fd < 0)
		return -1;
	if (blk_disk_adopt(cfg, fd, out, err, errlen)) {
		close(fd);
		return -1;
	}
	return 0;
}

struct be_dev *blk_disk_dev(struct blk_disk *d)
{
	return &d->x;
}

int blk_disk_lock(struct blk_disk *d, bool lock)
{
	if (!lock)
		return flock(d->fd, LOCK_UN);
	return flock(d->fd, (d->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB);
}

const char *blk_disk_vdev(const struct blk_disk *d)
{
	return d->vdev;
}

const char *blk_disk_path(const struct blk_disk *d)
{
	return d->path;
}

/*
 * DOMUS_BLK_TRACE=1: one log line of the counters' change each time the
 * ring has been idle for half a second after serving (a workload's
 * figures: bench/io's profile mode, docs/perf-io.md).
 */
static void trace_delta(struct blk_disk *d, struct blk_stats *last)
{
	struct blk_stats *s = &d->st;
	char buf[448];
#define D(f) ((unsigned long long)(atomic_load(&s->f) - atomic_load(&last->f)))
	unsigned long long rq = D(reads) + D(writes) + D(flushes) + D(discards);

	if (!rq)
		return;
	snprintf(buf, sizeof(buf),
		 "requests=%llu read_bytes=%llu written_bytes=%llu wakeups=%llu events=%llu passes=%llu kicks=%llu rechecks=%llu batch_max=%llu busy_us=%llu io_us=%llu kick_us=%llu",
		 rq, D(bytes_read), D(bytes_written), D(wakeups), D(events), D(passes), D(kicks), D(rechecks),
		 (unsigned long long)atomic_load(&s->batch_max), D(ns_busy) / 1000, D(ns_io) / 1000, D(ns_kick) / 1000);
#undef D
	be_log(&d->x, "blk %s: trace %s%s", buf, "");
#define C(f) atomic_store(&last->f, atomic_load(&s->f))
	C(reads); C(writes); C(flushes); C(discards); C(bytes_read); C(bytes_written); C(wakeups); C(events);
	C(passes); C(kicks); C(rechecks); C(ns_busy); C(ns_io); C(ns_kick);
#undef C
	atomic_store(&s->batch_max, 0);
}

/*
 * The I/O thread runs SCHED_BATCH (same nice, same share of the CPU):
 * woken by the guest's notification it does not preempt the vCPU that
 * sent it, so on a CPU the two share the front end finishes queueing its
 * batch (blkfront notifies on the first request only) and halts before
 * the ring is read -- one pass per batch instead of one per request, and
 * one event back (docs/perf-io.md, bench/io runs J-M).  Where a CPU
 * is idle the thread runs there at once as before.  DOMUS_BLK_BATCH=0 in
 * the launcher's environment keeps SCHED_OTHER (A/B runs; docs/devices.md).
 */
static void io_thread_policy(struct blk_disk *d)
{
	const char *e = getenv("DOMUS_BLK_BATCH");
	struct sched_param sp;

	if (e && !strcmp(e, "0"))
		return;
	memset(&sp, 0, sizeof(sp));
	if (syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp))
		be_log(&d->x, "blk %s: SCHED_BATCH refused (%s): the I/O thread preempts the vCPU%s", strerror(errno),
		       "");
}

static void io_kick(void *opaque)
{
	struct blk_disk *d = opaque;

	be_io_kick(&d->io);
}

static void io_trace(void *opaque)
{
	struct blk_disk *d = opaque;

	trace_delta(d, &d->trace_last);
}

static void io_log(void *opaque, const char *msg)
{
	struct blk_disk *d = opaque;

	be_log(&d->x, "blk %s: %s%s", msg, "");
}

static void *io_thread(void *arg)
{
	struct blk_disk *d = arg;
	const char *e = getenv("DOMUS_BLK_TRACE");
	struct blk_loop l = {
		.ring = &d->ring, .notify_fd = d->io.notify_fd, .stop_fd = d->io.stop_fd,
		.kick = io_kick, .log = io_log, .opaque = d, .watchdog_ms = BLK_WATCHDOG_MS,
	};

	if (e && !strcmp(e, "1")) {
		l.trace = io_trace;
		d->ring.timing = true;
	}
	memset(&d->trace_last, 0, sizeof(d->trace_last));
	io_thread_policy(d);
	if (blk_loop_run(&l) == -EIO)
		be_dev_broken(&d->x, d->ring.why);
	return NULL;
}

static void blk_disconnect(struct be_dev *x)
{
	struct blk_disk *d = (struct blk_disk *)x;

	be_io_stop(&d->io);
	blk_aio_close(d->ring.aio);
	d->ring.aio = NULL;
	blk_ring_detach(&d->ring);
	be_io_close(&d->io, &x->h);
}

/*
 * The ring's io_uring (blkaio.c), so that a pass's reads and writes run
 * concurrently; where io_uring is refused (an old kernel, the
 * kernel.io_uring_disabled sysctl, a container's filter) or
 * DOMUS_BLK_SYNC=1 is set, one log line and one request after the other.
 */
static void aio_open(struct blk_disk *d)
{
	const char *e = getenv("DOMUS_BLK_SYNC");
	char why[96];

	if (e && !strcmp(e, "1")) {
		be_log(&d->x, "blk %s: DOMUS_BLK_SYNC=1: requests served one after the other%s%s", "", "");
		return;
	}
	if (blk_aio_open(&d->ring.aio, d->fd, d->ring.nr_ents, why, sizeof(why)))
		be_log(&d->x, "blk %s: no io_uring (%s): requests served one after the other%s", why, "");
}

/* The front end published its ring (state 3): map, bind, serve. */
static int blk_connect(struct be_dev *x, char *why, size_t wlen)
{
	struct blk_disk *d = (struct blk_disk *)x;
	uint32_t grefs[BLK_MAX_RING_PAGES];
	long long order, port, v;
	char proto[32], path[160];
	unsigned int i, n;

	order = be_fe_number(x, "ring-page-order", BLK_MAX_RING_ORDER);
	if (order < 0 && be_fe_present(x, "ring-page-order")) {
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
		v = be_fe_number(x, key, UINT32_MAX);
		if (v < 0) {
			snprintf(why, wlen, "%s is missing or not a number", key);
			return -1;
		}
		grefs[i] = (uint32_t)v;
	}
	v = be_fe_number(x, "multi-queue-num-queues", 1024);
	if (v > 1) {
		snprintf(why, wlen, "%lld queues asked for, none offered", v);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/protocol", x->fe);
	if (xs_read(x->h.xs, path, proto, sizeof(proto)) >= 0 && strcmp(proto, "x86_64-abi")) {
		snprintf(why, wlen, "protocol '%.20s' is not served (only x86_64-abi)", proto);
		return -1;
	}
	port = be_fe_number(x, "event-channel", 1023);
	if (port <= 0) {
		snprintf(why, wlen, "event-channel is missing or not a port");
		return -1;
	}
	d->ring.fd = d->fd;
	d->ring.sectors = d->sectors;
	d->ring.readonly = d->readonly;
	d->ring.discard = d->discard;
	d->ring.blockdev = d->blockdev;
	d->ring.st = &d->st;
	d->ring.aio = NULL;
	if (blk_ring_attach(&d->ring, &x->h.mem, grefs, n)) {
		snprintf(why, wlen, "%s", d->ring.why);
		return -1;
	}
	aio_open(d);
	if (be_io_open(&d->io, &x->h, (uint32_t)port, io_thread, d, why, wlen)) {
		blk_aio_close(d->ring.aio);
		d->ring.aio = NULL;
		return -1;
	}
	return 0;
}

static void blk_describe(struct be_dev *x, char *buf, size_t len)
{
	struct blk_disk *d = (struct blk_disk *)x;

	snprintf(buf, len, "%u ring page%s", d->ring.npages, d->ring.npages > 1 ? "s" : "");
}

/* The device's keys (pv-devices.md §8.1). */
static int blk_keys(struct be_dev *x, bool frontend)
{
	struct blk_disk *d = (struct blk_disk *)x;
	int r = 0;

	if (frontend) {
		r |= be_writen(x, x->fe, "virtual-device", d->devid);
		/* PVH: blkfront refuses a missing or cdrom device-type: a CD
		 * is a read-only disk here */
		r |= be_write(x, x->fe, "device-type", "disk");
		return r;
	}
	r |= be_writen(x, x->be, "removable", 0);
	r |= be_writen(x, x->be, "bootable", 1);
	r |= be_write(x, x->be, "mode", d->readonly ? "r" : "w");
	r |= be_write(x, x->be, "dev", d->vdev);
	r |= be_write(x, x->be, "params", d->path);
	r |= be_write(x, x->be, "device-type", d->cdrom ? "cdrom" : "disk");
	r |= be_writen(x, x->be, "max-ring-page-order", BLK_MAX_RING_ORDER);
	r |= be_writen(x, x->be, "sectors", d->sectors);
	r |= be_writen(x, x->be, "info", (d->readonly ? BLKIF_VDISK_READONLY : 0) | (d->cdrom ? BLKIF_VDISK_CDROM : 0));
	r |= be_writen(x, x->be, "sector-size", BLK_SECTOR);
	r |= be_writen(x, x->be, "physical-sector-size", BLK_SECTOR);
	r |= be_writen(x, x->be, "feature-flush-cache", 1);
	r |= be_writen(x, x->be, "feature-barrier", 0);
	r |= be_writen(x, x->be, "feature-persistent", 0);
	r |= be_writen(x, x->be, "feature-max-indirect-segments", BLK_MAX_INDIRECT_SEGS);
	r |= be_writen(x, x->be, "feature-discard", d->discard);
	if (d->discard) {
		r |= be_writen(x, x->be, "discard-granularity", d->discard_granularity);
		r |= be_writen(x, x->be, "discard-alignment", 0);
		r |= be_writen(x, x->be, "discard-secure", 0);
	}
	return r;
}

static const struct be_ops blk_ops = {
	.kind = "blk",
	.type = "vbd",
	.connect_at_initialised = true,
	.keys = blk_keys,
	.connect = blk_connect,
	.disconnect = blk_disconnect,
	.describe = blk_describe,
};

int blk_disk_start(struct blk_disk *d, const struct be_host *h)
{
	return be_dev_start(&d->x, h);
}

void blk_disk_stop(struct blk_disk *d)
{
	be_dev_stop(&d->x);
}

const struct blk_stats *blk_disk_counters(const struct blk_disk *d)
{
	return &d->st;
}

void blk_disk_stats(struct blk_disk *d, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s: reads=%llu writes=%llu flushes=%llu fdatasync=%llu discards=%llu indirect=%llu read_bytes=%llu written_bytes=%llu errors=%llu unsupported=%llu aio=%llu inflight_max=%llu stalls=%llu",
		 d->vdev, (unsigned long long)atomic_load(&d->st.reads),
		 (unsigned long long)atomic_load(&d->st.writes), (unsigned long long)atomic_load(&d->st.flushes),
		 (unsigned long long)atomic_load(&d->st.fdatasyncs),
		 (unsigned long long)atomic_load(&d->st.discards), (unsigned long long)atomic_load(&d->st.indirect),
		 (unsigned long long)atomic_load(&d->st.bytes_read),
		 (unsigned long long)atomic_load(&d->st.bytes_written),
		 (unsigned long long)atomic_load(&d->st.errors),
		 (unsigned long long)atomic_load(&d->st.unsupported),
		 (unsigned long long)atomic_load(&d->st.aio),
		 (unsigned long long)atomic_load(&d->st.inflight_max),
		 (unsigned long long)atomic_load(&d->st.stalls));
}

void blk_disk_close(struct blk_disk *d)
{
	if (!d)
		return;
	be_dev_destroy(&d->x);
	close(d->fd);	/* releases the lock */
	free(d->path);
	free(d);
}
