// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the requests of the host's xenstored (`domus xenstored`,
 * docs/xenstore.md "The xenstored socket"), served from the guest's store
 * as domain 0 without copying it:
 *   xs-wire HEX  one xenstore wire message (header + payload, in hex)
 *                -> "ok HEX" with the store's reply message
 *   xs-watch     -> "ok", then the connection stays open and carries one
 *                   line per change in the store: the absolute path
 *                   changed.  The stream ends (the launcher closes it)
 *                   when the client closes its end, or when the client
 *                   falls XSFWD_BACKLOG behind: the xenstored then
 *                   reconnects and fires every watch on the domain.
 * Both run on the event loop thread; the watch lines are written by
 * whichever thread changed the store (xs_watch_local), without blocking.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "launcher.h"
#include "xswire.h"

#define XSFWD_WATCHERS	4

struct watcher {
	pthread_mutex_t lock;
	int fd;			/* -1: free or closed */
	bool registered;	/* the store holds our local watch */
};

static struct watcher watchers[XSFWD_WATCHERS] = {
	[0 ... XSFWD_WATCHERS - 1] = { PTHREAD_MUTEX_INITIALIZER, -1, false },
};

static void send_line(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;		/* the client is gone */
		buf += r;
		n -= (size_t)r;
	}
}

bool l_ctl_xs_wire(struct launcher *L, int fd, const char *arg)
{
	static unsigned char msg[XSW_MSG_MAX], rep[XSW_MSG_MAX];
	static char line[2 * XSW_MSG_MAX + 8];
	struct xs_msg_hdr h;
	int n, r;

	if (!L->xs) {
		l_reply(fd, "error %s has no xenstore", L->cfg.name);
		return false;
	}
	n = xsw_unhex(arg, msg, sizeof(msg));
	if (n < (int)XSW_HDR) {
		l_reply(fd, "error xs-wire takes one xenstore message in hex");
		return false;
	}
	memcpy(&h, msg, XSW_HDR);
	if (xsw_hdr_check(&h) || XSW_HDR + h.len != (size_t)n) {
		l_reply(fd, "error xs-wire: a malformed xenstore message");
		return false;
	}
	r = xs_wire_dom0(L->xs, msg, (size_t)n, rep, sizeof(rep));
	if (r < 0) {
		l_reply(fd, "error xs-wire: %s", strerror(-r));
		return false;
	}
	memcpy(line, "ok ", 3);
	xsw_hex(rep, (size_t)r, line + 3);
	n = (int)strlen(line);
	line[n++] = '\n';
	send_line(fd, line, (size_t)n);
	return false;
}

/* A change in the store: its path, one line, or the stream ends. */
static void watch_event(void *opaque, const char *path)
{
	struct watcher *w = opaque;
	char line[XS_PATH_MAX + 2];
	size_t n = strlen(path);
	ssize_t r;

	if (n > XS_PATH_MAX)
		return;
	memcpy(line, path, n);
	line[n++] = '\n';
	pthread_mutex_lock(&w->lock);
	if (w->fd >= 0) {
		r = send(w->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r != (ssize_t)n) {	/* behind or gone: it starts over */
			close(w->fd);
			w->fd = -1;
		}
	}
	pthread_mutex_unlock(&w->lock);
}

bool l_ctl_xs_watch(struct launcher *L, int fd, const char *arg)
{
	struct watcher *w = NULL;
	unsigned int i;

	(void)arg;
	if (!L->xs) {
		l_reply(fd, "error %s has no xenstore", L->cfg.name);
		return false;
	}
	l_xs_watch_service(L);		/* free the slots of closed streams */
	for (i = 0; i < XSFWD_WATCHERS && !w; i++)
		if (!watchers[i].registered)
			w = &watchers[i];
	if (!w) {
		l_reply(fd, "error too many xenstore watch streams (%u)", XSFWD_WATCHERS);
		return false;
	}
	l_reply(fd, "ok");
	pthread_mutex_lock(&w->lock);
	w->fd = fd;
	pthread_mutex_unlock(&w->lock);
	if (xs_watch_local(L->xs, "/", watch_event, w)) {
		pthread_mutex_lock(&w->lock);
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		pthread_mutex_unlock(&w->lock);
		return true;
	}
	w->registered = true;
	return true;		/* the connection is the watcher's now */
}

/* On the event loop's timer: end the streams whose client closed its end
 * (or sent anything: it has nothing to send) and drop their watches. */
void l_xs_watch_service(struct launcher *L)
{
	unsigned int i;

	for (i = 0; i < XSFWD_WATCHERS; i++) {
		struct watcher *w = &watchers[i];
		bool drop = false;

		if (!w->registered)
			continue;
		pthread_mutex_lock(&w->lock);
		if (w->fd >= 0) {
			struct pollfd p = { .fd = w->fd, .events = POLLIN };

			if (poll(&p, 1, 0) > 0) {
				close(w->fd);
				w->fd = -1;
			}
		}
		drop = w->fd < 0;
		pthread_mutex_unlock(&w->lock);
		if (drop && L->xs) {
			xs_unwatch_local(L->xs, "/", watch_event, w);
			w->registered = false;
		}
	}
}

/* The store goes (teardown, a restart): every stream ends with it; the
 * xenstored reconnects to the next store, if any. */
void l_xs_watch_close_all(struct launcher *L)
{
	unsigned int i;

	(void)L;
	for (i = 0; i < XSFWD_WATCHERS; i++) {
		struct watcher *w = &watchers[i];

		pthread_mutex_lock(&w->lock);
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		w->registered = false;
		pthread_mutex_unlock(&w->lock);
	}
}
