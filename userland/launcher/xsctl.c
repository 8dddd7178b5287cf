// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the xenstore admin requests of the control socket
 * (xs-read, xs-write, xs-rm, xs-list, xs-ls; userland/ctl/ctl.h), served
 * from the guest's store as the toolstack (domain 0).  They run on the
 * event loop thread, like every control request.
 *
 * Everything from the client is checked before it reaches the store:
 * paths with xs_path_check (and again by the store), values by
 * domus_ctl_unescape.  Answers are bounded: a listing is sent with a
 * stall limit (XSCTL_STALL_MS), so a client that stops reading cannot
 * hold the event loop, and with it the guest's console and xenstore.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "launcher.h"

#define XSCTL_STALL_MS	2000	/* a listing's client may stall this long */

/* Send all of @buf within the stall limit; 0 or -errno. */
static int send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t r = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r > 0) {
			buf += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int pr = poll(&p, 1, XSCTL_STALL_MS);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				return -ETIMEDOUT;
			continue;
		}
		return r < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/* A buffered answer: lines collected, sent in chunks. */
struct out {
	int fd;
	int err;		/* first send error: stop producing */
	size_t n;
	char buf[DOMUS_CTL_REQ_MAX + 64];
};

static void out_flush(struct out *o)
{
	if (!o->err && o->n)
		o->err = send_all(o->fd, o->buf, o->n);
	o->n = 0;
}

static void out_line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->err)
		return;
	if (sizeof(o->buf) - o->n < DOMUS_CTL_REQ_MAX + 2)
		out_flush(o);
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->n, DOMUS_CTL_REQ_MAX, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (k >= DOMUS_CTL_REQ_MAX)
		k = DOMUS_CTL_REQ_MAX - 1;
	o->n += (size_t)k;
	o->buf[o->n++] = '\n';
}

/* One answer line. */
static void answer(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void answer(int fd, const char *fmt, ...)
{
	static char buf[DOMUS_CTL_REQ_MAX + 2];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf, DOMUS_CTL_REQ_MAX, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (k >= DOMUS_CTL_REQ_MAX)
		k = DOMUS_CTL_REQ_MAX - 1;
	buf[k++] = '\n';
	(void)send_all(fd, buf, (size_t)k);
}

static const char *xs_err_text(int err)
{
	switch (err) {
	case -ENOENT: return "no such node";
	case -EINVAL: return "invalid path (characters A-Z a-z 0-9 _ @ - and /, no '//', no trailing '/')";
	case -E2BIG: return "too long (a path is at most 3072 bytes and 256 components, a value 4096 bytes)";
	case -EACCES: return "permission denied";
	case -ENOSPC: return "the store is full";
	case -ENOMEM: return "out of memory";
	default: return strerror(-err);
	}
}

/* The store and a checked path, or an error answer and NULL. */
static struct xs_store *store_for(struct launcher *L, int fd, const char *path)
{
	int r;

	if (!L->xs) {
		answer(fd, "error %s has no xenstore", L->cfg.name);
		return NULL;
	}
	r = xs_path_check(path);
	if (r) {
		char shown[84];

		/* the path as sent, escaped and cut: it may hold anything */
		domus_ctl_escape(path, strnlen(path, 80), shown, sizeof(shown));
		answer(fd, "error %s%s: %s", shown, strlen(path) > 80 ? "..." : "", xs_err_text(r));
		return NULL;
	}
	return L->xs;
}

bool l_ctl_xs_read(struct launcher *L, int fd, const char *path)
{
	static char val[XS_VALUE_MAX + 1], esc[4 * XS_VALUE_MAX + 1];
	struct xs_store *xs = store_for(L, fd, path);
	int n;

	if (!xs)
		return false;
	n = xs_read(xs, path, val, sizeof(val));
	if (n < 0) {
		answer(fd, "error %s: %s", path, xs_err_text(n));
		return false;
	}
	if ((size_t)n > XS_VALUE_MAX)
		n = XS_VALUE_MAX;
	domus_ctl_escape(val, (size_t)n, esc, sizeof(esc));
	answer(fd, "ok %s", esc);
	return false;
}

bool l_ctl_xs_write(struct launcher *L, int fd, const char *arg)
{
	static char path[DOMUS_CTL_REQ_MAX], val[XS_VALUE_MAX + 1];
	const char *sp = strchr(arg, ' ');
	struct xs_store *xs;
	int n, r;

	if (!sp || (size_t)(sp - arg) >= sizeof(path)) {
		answer(fd, "error xs-write needs a path and a value");
		return false;
	}
	memcpy(path, arg, (size_t)(sp - arg));
	path[sp - arg] = 0;
	xs = store_for(L, fd, path);
	if (!xs)
		return false;
	n = domus_ctl_unescape(sp + 1, val, XS_VALUE_MAX);
	if (n < 0) {
		answer(fd, "error %s: %s", path, n == -E2BIG ? "value longer than 4096 bytes" :
		       "badly escaped value");
		return false;
	}
	r = xs_write_bytes(xs, path, val, (size_t)n);
	if (r) {
		answer(fd, "error %s: %s", path, xs_err_text(r));
		return false;
	}
	l_log(L, "xenstore-write %s (%d bytes)", path, n);
	answer(fd, "ok");
	return false;
}

bool l_ctl_xs_rm(struct launcher *L, int fd, const char *path)
{
	struct xs_store *xs = store_for(L, fd, path);
	int r;

	if (!xs)
		return false;
	r = xs_rm(xs, path);
	if (r) {
		answer(fd, "error %s: %s", path, xs_err_text(r));
		return false;
	}
	l_log(L, "xenstore-rm %s", path);
	answer(fd, "ok");
	return false;
}

/* The child names of @path (each NUL-terminated) in a malloc'ed buffer:
 * the byte count, or -errno. */
static int children(struct xs_store *xs, const char *path, char **names)
{
	size_t cap = 256;

	for (;;) {
		char *b = malloc(cap);
		int n;

		if (!b)
			return -ENOMEM;
		n = xs_directory(xs, path, b, cap);
		if (n < 0 || (size_t)n <= cap) {
			if (n < 0)
				free(b);
			else
				*names = b;
			return n;
		}
		free(b);
		cap = (size_t)n;
	}
}

bool l_ctl_xs_list(struct launcher *L, int fd, const char *path)
{
	struct xs_store *xs = store_for(L, fd, path);
	struct out *o;
	char *names;
	int n, i, cnt = 0;

	if (!xs)
		return false;
	n = children(xs, path, &names);
	if (n < 0) {
		answer(fd, "error %s: %s", path, xs_err_text(n));
		return false;
	}
	o = malloc(sizeof(*o));
	if (!o) {
		free(names);
		answer(fd, "error out of memory");
		return false;
	}
	o->fd = fd;
	o->err = 0;
	o->n = 0;
	out_line(o, "ok");
	for (i = 0; i < n; i += (int)strlen(names + i) + 1, cnt++)
		out_line(o, "%s", names + i);
	out_line(o, "end %d", cnt);
	out_flush(o);
	free(o);
	free(names);
	return false;
}

/* Depth first below @path (a buffer of XS_PATH_MAX + 1 bytes, extended
 * and restored in place); nodes that vanish meanwhile are skipped. */
static void walk(struct xs_store *xs, struct out *o, char *path, unsigned long *count)
{
	static char val[XS_VALUE_MAX + 1], esc[4 * XS_VALUE_MAX + 1];
	char perms[XS_PERMS_MAX * 8];
	size_t plen = strlen(path);
	char *names;
	int n, i;

	if (o->err)
		return;
	n = xs_read(xs, path, val, sizeof(val));
	if (n < 0 || xs_get_perms(xs, path, perms, sizeof(perms)) < 0)
		return;
	if ((size_t)n > XS_VALUE_MAX)
		n = XS_VALUE_MAX;
	for (i = 0; perms[i]; i++)
		if (perms[i] == ' ')
			perms[i] = ',';
	domus_ctl_escape(val, (size_t)n, esc, sizeof(esc));
	out_line(o, "%s %s %s", path, perms, esc);
	(*count)++;
	n = children(xs, path, &names);
	if (n < 0)
		return;
	for (i = 0; i < n && !o->err; i += (int)strlen(names + i) + 1) {
		size_t l = strlen(names + i);
		size_t sep = plen > 1;

		if (plen + sep + l > XS_PATH_MAX)
			continue;
		if (sep)
			path[plen] = '/';
		memcpy(path + plen + sep, names + i, l + 1);
		walk(xs, o, path, count);
		path[plen] = 0;
	}
	free(names);
}

bool l_ctl_xs_ls(struct launcher *L, int fd, const char *arg)
{
	struct xs_store *xs = store_for(L, fd, arg);
	char path[XS_PATH_MAX + 1];
	unsigned long count = 0;
	struct out *o;
	int r;

	if (!xs)
		return false;
	/* absolute, so the listing names every node fully */
	if (arg[0] == '/')
		r = snprintf(path, sizeof(path), "%s", arg);
	else
		r = snprintf(path, sizeof(path), "/local/domain/%u/%s", L->domid, arg);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		answer(fd, "error %s: %s", arg, xs_err_text(-E2BIG));
		return false;
	}
	r = xs_get_perms(xs, path, NULL, 0);
	if (r < 0) {
		answer(fd, "error %s: %s", arg, xs_err_text(r));
		return false;
	}
	o = malloc(sizeof(*o));
	if (!o) {
		answer(fd, "error out of memory");
		return false;
	}
	o->fd = fd;
	o->err = 0;
	o->n = 0;
	out_line(o, "ok");
	walk(xs, o, path, &count);
	out_line(o, "end %lu", count);
	out_flush(o);
	if (o->err)
		l_log(L, "xenstore-ls %s: the client stopped reading (%s)", arg, strerror(-o->err));
	free(o);
	return false;
}
