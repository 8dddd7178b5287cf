// SPDX-License-Identifier: MIT
/*
 * One PV device's xenbus side (see backend.h): its xenstore directories
 * (pv-devices.md §8), the back end's state machine driven by a watch on
 * the front end's state (Initialising -> InitWait -> Connected ->
 * Closing -> Closed, a front end restarting at 1 is offered the device
 * again), and the event channel with the device's I/O thread.  The
 * protocol -- which keys, how the rings are mapped and served -- is the
 * back end's, through struct be_ops.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "backend.h"
#include "libdomus.h"
#include "xenstore.h"

/* ---- xenstore ----------------------------------------------------------------- */

void be_log(struct be_dev *x, const char *fmt, const char *a, const char *b)
{
	if (x->h.log)
		x->h.log(x->h.opaque, fmt, x->name, a, b);
}

int be_write(struct be_dev *x, const char *dir, const char *key, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(x->h.xs, path, val);
}

int be_writen(struct be_dev *x, const char *dir, const char *key, unsigned long long n)
{
	char val[24];

	snprintf(val, sizeof(val), "%llu", n);
	return be_write(x, dir, key, val);
}

long long be_fe_number(struct be_dev *x, const char *key, unsigned long long max)
{
	char path[160], buf[32], *end;
	unsigned long long n;

	snprintf(path, sizeof(path), "%s/%s", x->fe, key);
	if (xs_read(x->h.xs, path, buf, sizeof(buf)) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(buf, &end, 10);
	if (*end || errno || n > max)
		return -1;
	return (long long)n;
}

bool be_fe_present(struct be_dev *x, const char *key)
{
	char path[160], buf[32];

	snprintf(path, sizeof(path), "%s/%s", x->fe, key);
	return xs_read(x->h.xs, path, buf, sizeof(buf)) >= 0;
}

void be_set_state(struct be_dev *x, int state)
{
	atomic_store(&x->be_state, state);
	be_writen(x, x->be, "state", (unsigned long long)state);
}

/* "KIND NAME: " then @msg with one %s: @a */
static void klog(struct be_dev *x, const char *msg, const char *a)
{
	char fmt[128];

	snprintf(fmt, sizeof(fmt), "%s %%s: %s%%s", x->ops->kind, msg);
	be_log(x, fmt, a, "");
}

void be_dev_broken(struct be_dev *x, const char *why)
{
	klog(x, "the guest's ring is corrupt (%s): device disconnected", why);
	atomic_store(&x->broken, true);
	be_set_state(x, XEN_BUS_CLOSING);
}

/* ---- the state machine -------------------------------------------------------- */

static void disconnect(struct be_dev *x)
{
	x->ops->disconnect(x);
	x->connected = false;
}

static void do_connect(struct be_dev *x)
{
	char why[200];

	if (x->connected || atomic_load(&x->broken) || atomic_load(&x->be_state) != XEN_BUS_INITWAIT)
		return;
	x->connected = true;	/* disconnect() releases what connect() took */
	if (x->ops->connect(x, why, sizeof(why))) {
		klog(x, "cannot connect the guest's front end: %s; device closed", why);
		disconnect(x);
		be_set_state(x, XEN_BUS_CLOSING);
		return;
	}
	x->ops->describe(x, why, sizeof(why));
	klog(x, "connected (%s)", why);
	be_set_state(x, XEN_BUS_CONNECTED);
}

/* The front end's state changed (or the watch was just set). */
static void fe_changed(void *opaque, const char *path)
{
	struct be_dev *x = opaque;
	long long fe;
	int be;

	(void)path;
	pthread_mutex_lock(&x->lock);
	if (!x->started)
		goto out;
	fe = be_fe_number(x, "state", 8);
	be = atomic_load(&x->be_state);
	if (getenv("DOMUS_BLK_DEBUG")) {
		char st[48];

		snprintf(st, sizeof(st), "%lld, back end %d", fe, be);
		klog(x, "front end state %s", st);
	}
	switch (fe) {
	case XEN_BUS_INITIALISING:
		/* a front end starting (again): offer the device, unless
		 * it is being unplugged */
		if (x->removing) {
			disconnect(x);
		} else if (x->connected || be != XEN_BUS_INITWAIT) {
			disconnect(x);
			atomic_store(&x->broken, false);
			be_set_state(x, XEN_BUS_INITWAIT);
		}
		break;
	case XEN_BUS_INITIALISED:
		if (x->ops->connect_at_initialised)
			do_connect(x);
		break;	/* netfront goes from 1 straight to 4 */
	case XEN_BUS_CONNECTED:
		do_connect(x);
		break;
	case XEN_BUS_CLOSING:
		disconnect(x);
		if (be != XEN_BUS_CLOSING && be != XEN_BUS_CLOSED)
			be_set_state(x, XEN_BUS_CLOSING);
		break;
	default:	/* Closed, gone, or garbage */
		disconnect(x);
		if (be != XEN_BUS_CLOSED && be != XEN_BUS_INITWAIT)
			be_set_state(x, XEN_BUS_CLOSED);
		break;
	}
out:
	pthread_mutex_unlock(&x->lock);
}

void be_dev_init(struct be_dev *x, const struct be_ops *ops, const char *name, uint32_t devid)
{
	memset(x, 0, sizeof(*x));
	x->ops = ops;
	x->name = name;
	x->devid = devid;
	pthread_mutex_init(&x->lock, NULL);
}

void be_dev_destroy(struct be_dev *x)
{
	be_dev_stop(x);
	pthread_mutex_destroy(&x->lock);
}

int be_dev_start(struct be_dev *x, const struct be_host *h)
{
	char perms[32], path[160];
	int r = 0;

	pthread_mutex_lock(&x->lock);
	x->h = *h;
	atomic_store(&x->broken, false);
	x->connected = false;
	x->removing = false;
	snprintf(x->be, sizeof(x->be), "/local/domain/0/backend/%s/%u/%u", x->ops->type, h->domid, x->devid);
	snprintf(x->fe, sizeof(x->fe), "/local/domain/%u/device/%s/%u", h->domid, x->ops->type, x->devid);
	/* the back end's directory: dom0's, readable by the guest; every key
	 * before the guest can see the device (front ends read them at 2) */
	snprintf(perms, sizeof(perms), "n0,r%u", h->domid);
	r |= xs_mkdir(h->xs, x->be);
	r |= xs_set_perms(h->xs, x->be, perms);
	r |= be_write(x, x->be, "frontend", x->fe);
	r |= be_writen(x, x->be, "frontend-id", h->domid);
	r |= be_writen(x, x->be, "online", 1);
	r |= x->ops->keys(x, false);
	atomic_store(&x->be_state, XEN_BUS_INITWAIT);
	r |= be_writen(x, x->be, "state", XEN_BUS_INITWAIT);
	/* the front end's directory, inside the guest's (guest-owned); the
	 * key that names the back end stays dom0's */
	r |= be_writen(x, x->fe, "backend-id", 0);
	snprintf(path, sizeof(path), "%s/backend", x->fe);
	r |= xs_write(h->xs, path, x->be);
	r |= xs_set_perms(h->xs, path, perms);
	r |= x->ops->keys(x, true);
	r |= be_writen(x, x->fe, "state", XEN_BUS_INITIALISING);
	if (r) {
		pthread_mutex_unlock(&x->lock);
		return -EIO;
	}
	x->started = true;
	pthread_mutex_unlock(&x->lock);
	snprintf(path, sizeof(path), "%s/state", x->fe);
	r = xs_watch_local(h->xs, path, fe_changed, x);
	x->watching = r == 0;
	return r;
}

void be_dev_stop(struct be_dev *x)
{
	char path[160];

	if (x->watching) {
		snprintf(path, sizeof(path), "%s/state", x->fe);
		xs_unwatch_local(x->h.xs, path, fe_changed, x);
		x->watching = false;
	}
	pthread_mutex_lock(&x->lock);
	if (x->started)
		disconnect(x);
	x->started = false;
	pthread_mutex_unlock(&x->lock);
}

/* ---- host-initiated unplug (pv-devices.md §8.3) ---------------------------- */

/* Not under x->lock: a store call runs queued watch callbacks, which take
 * it (fe_changed). */
void be_dev_close_request(struct be_dev *x)
{
	bool started;

	pthread_mutex_lock(&x->lock);
	x->removing = true;
	started = x->started;
	pthread_mutex_unlock(&x->lock);
	if (!started)
		return;
	be_writen(x, x->be, "online", 0);
	if (atomic_load(&x->be_state) != XEN_BUS_CLOSED)
		be_set_state(x, XEN_BUS_CLOSING);
}

int be_dev_state(struct be_dev *x)
{
	return atomic_load(&x->be_state);
}

long long be_dev_fe_state(struct be_dev *x)
{
	bool started;

	pthread_mutex_lock(&x->lock);
	started = x->started;
	pthread_mutex_unlock(&x->lock);
	return started ? be_fe_number(x, "state", 8) : -1;
}

void be_dev_remove(struct be_dev *x)
{
	struct xs_store *xs = x->h.xs;
	bool started = x->started || x->watching;

	be_dev_stop(x);
	if (started && xs) {
		/* the front end's directory first: the guest's xenbus sees it
		 * go and unregisters the device */
		xs_rm(xs, x->fe);
		xs_rm(xs, x->be);
	}
}

/* ---- the event channel and the I/O thread ------------------------------------ */

void be_io_init(struct be_io *io)
{
	io->notify_fd = io->kick_fd = io->stop_fd = -1;
	io->be_port = 0;
	io->th_running = false;
}

int be_io_open(struct be_io *io, const struct be_host *h, uint32_t port, void *(*fn)(void *), void *arg,
	       char *why, size_t wlen)
{
	struct domus_xen_evtchn_bind b;

	io->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->notify_fd < 0 || io->kick_fd < 0 || io->stop_fd < 0) {
		snprintf(why, wlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.flags = DOMUS_XEN_EVTCHN_ATTACH;
	b.port = port;
	b.notify_fd = io->notify_fd;
	b.kick_fd = io->kick_fd;
	if (domus_xen_evtchn_bind(h->domfd, &b)) {
		snprintf(why, wlen, "event channel %u: %s", port, domus_last_error());
		return -1;
	}
	io->be_port = b.backend_port;
	if (domus_thread_create(&io->th, NULL, fn, arg)) {
		snprintf(why, wlen, "cannot start the I/O thread");
		return -1;
	}
	io->th_running = true;
	return 0;
}

void be_io_stop(struct be_io *io)
{
	uint64_t one = 1;

	if (!io->th_running)
		return;
	if (write(io->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh eventfd */
	}
	pthread_join(io->th, NULL);
	io->th_running = false;
}

void be_io_close(struct be_io *io, const struct be_host *h)
{
	if (io->be_port) {
		struct domus_xen_evtchn_bind b;

		memset(&b, 0, sizeof(b));
		b.flags = DOMUS_XEN_EVTCHN_CLOSE;
		b.backend_port = io->be_port;
		b.notify_fd = b.kick_fd = -1;
		domus_xen_evtchn_bind(h->domfd, &b);
		io->be_port = 0;
	}
	if (io->notify_fd >= 0)
		close(io->notify_fd);
	if (io->kick_fd >= 0)
		close(io->kick_fd);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	io->notify_fd = io->kick_fd = io->stop_fd = -1;
}

void be_io_kick(struct be_io *io)
{
	uint64_t one = 1;

	if (write(io->kick_fd, &one, sizeof(one)) < 0) {
		/* counter full: an event is pending anyway */
	}
}

uint64_t be_io_drain(struct be_io *io)
{
	uint64_t cnt = 0;

	if (read(io->notify_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;	/* EAGAIN: nothing pending */
	return cnt;
}
