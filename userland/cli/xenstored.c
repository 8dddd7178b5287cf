// SPDX-License-Identifier: MIT
/*
 * domus xenstored: the xenstore wire protocol on the Unix socket Debian's
 * libxenstore (Xen 4.17) connects to, with a Xen dom0's view of every
 * running domus domain (docs/xenstore.md "The xenstored socket").
 *
 * One thread, one poll loop: the listening socket, the clients, and each
 * domain's change stream (xsd_fwd.c).  A client is root (SO_PEERCRED; the
 * socket is mode 0600 too); a message over XS_PAYLOAD_MAX or of a type no
 * client sends ends that client only, as does falling XSD_OUT_MAX behind.
 * The clients' watches and transactions are kept here: a transaction is
 * one transaction in each store it touches, committed store by store.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "xsd.h"

#define XSD_CLIENTS_MAX	64
#define XSD_WATCHES_MAX	128	/* per client */
#define XSD_TX_MAX	16	/* per client */
#define XSD_TX_STORES	8	/* stores one transaction may touch */
#define XSD_OUT_MAX	(4u << 20)
#define XSD_REFRESH_MS	1000

struct wch {
	char *given;		/* as the client sent it */
	char *abs;		/* absolute, or "@..." */
	char *token;
};

struct dtx {
	uint32_t id;		/* 0: free */
	unsigned int n;
	struct { unsigned int store; uint32_t tid; } sub[XSD_TX_STORES];
};

struct client {
	int fd;
	struct xsw_in in;
	unsigned char *out;
	size_t olen, ocap;
	bool dead;
	struct wch w[XSD_WATCHES_MAX];
	unsigned int nw;
	struct dtx tx[XSD_TX_MAX];
	uint32_t next_tx;
};

static struct client *clients[XSD_CLIENTS_MAX];
static volatile sig_atomic_t quit;

static void push(struct client *c, const void *buf, size_t n)
{
	if (c->dead)
		return;
	if (c->olen + n > XSD_OUT_MAX) {
		fprintf(stderr, "domus xenstored: a client fell %u bytes behind: closed\n", XSD_OUT_MAX);
		c->dead = true;
		return;
	}
	if (c->olen + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 8192;
		unsigned char *o;

		while (cap < c->olen + n)
			cap *= 2;
		o = realloc(c->out, cap);
		if (!o) {
			c->dead = true;
			return;
		}
		c->out = o;
		c->ocap = cap;
	}
	memcpy(c->out + c->olen, buf, n);
	c->olen += n;
}

static void flush(struct client *c)
{
	size_t done = 0;

	while (!c->dead && done < c->olen) {
		ssize_t r = send(c->fd, c->out + done, c->olen - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			c->dead = true;
			break;
		}
		done += (size_t)r;
	}
	memmove(c->out, c->out + done, c->olen - done);
	c->olen -= done;
}

static void reply(struct client *c, const struct xs_msg_hdr *h, uint32_t type, const void *pl, size_t len)
{
	struct xs_msg_hdr r = { .type = type, .req_id = h->req_id, .tx_id = h->tx_id, .len = (uint32_t)len };

	push(c, &r, sizeof(r));
	push(c, pl, len);
}

static void reply_err(struct client *c, const struct xs_msg_hdr *h, const char *err)
{
	reply(c, h, XS_ERROR, err, strlen(err) + 1);
}

static void event(struct client *c, const char *path, const char *token)
{
	struct xs_msg_hdr h = { .type = XS_WATCH_EVENT };
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;

	if (pl + tl > XS_PAYLOAD_MAX)
		return;
	h.len = (uint32_t)(pl + tl);
	push(c, &h, sizeof(h));
	push(c, path, pl);
	push(c, token, tl);
}

/* ---- watches ------------------------------------------------------------ */

/* The event path a watch reports: relative to /local/domain/0 if the
 * watch was registered relative. */
static void fire_one(struct client *c, const struct wch *w, const char *path)
{
	static const char home[] = "/local/domain/0/";

	if (w->given[0] != '/' && w->given[0] != '@' && !strncmp(path, home, sizeof(home) - 1))
		path += sizeof(home) - 1;
	event(c, path, w->token);
}

void xsd_fire(const char *path, bool special)
{
	unsigned int i, k;

	for (i = 0; i < XSD_CLIENTS_MAX; i++) {
		struct client *c = clients[i];

		for (k = 0; c && k < c->nw; k++) {
			const struct wch *w = &c->w[k];

			if (special || w->abs[0] == '@') {
				if (special && !strcmp(w->abs, path))
					fire_one(c, w, path);
			} else if (xsw_under(path, w->abs)) {
				fire_one(c, w, path);
			} else if (xsw_under(w->abs, path)) {
				fire_one(c, w, w->abs);	/* an ancestor changed: maybe removed */
			}
		}
	}
}

void xsd_domain_gone(unsigned int id)
{
	char top[48], be[64];
	unsigned int i, k;

	snprintf(top, sizeof(top), "/local/domain/%u", id);
	for (i = 0; i < XSD_CLIENTS_MAX; i++) {
		struct client *c = clients[i];

		for (k = 0; c && k < c->nw; k++) {
			const struct wch *w = &c->w[k];
			unsigned int wid;
			int merge;

			if (w->abs[0] == '@')
				continue;
			if (xsw_under(w->abs, top) ||
			    (xsw_route(w->abs, &wid, &merge) == XSW_DOMAIN && wid == id))
				fire_one(c, w, w->abs);
			else if (xsw_under(top, w->abs))
				fire_one(c, w, top);
		}
	}
	snprintf(be, sizeof(be), "@releaseDomain");
	xsd_fire(be, true);
}

static int resolve(const char *in, char *out)
{
	int n;

	if (in[0] == '@') {
		n = snprintf(out, XS_PATH_MAX + 1, "%s", in);
		return n > (int)XS_PATH_MAX ? -E2BIG : 0;
	}
	if (xs_path_check(in))
		return -EINVAL;
	n = in[0] == '/' ? snprintf(out, XS_PATH_MAX + 1, "%s", in)
			 : snprintf(out, XS_PATH_MAX + 1, "/local/domain/0/%s", in);
	if (n > (int)XS_PATH_MAX || xs_path_check(out))
		return -E2BIG;
	return 0;
}

static const char *errname(int r)
{
	return r == -E2BIG ? "E2BIG" : r == -ENOENT ? "ENOENT" : r == -ENOSPC ? "ENOSPC" :
	       r == -EAGAIN ? "EAGAIN" : r == -ENOMEM ? "ENOMEM" : r == -EIO ? "EIO" : "EINVAL";
}

static void free_watch(struct wch *w)
{
	free(w->given);
	free(w->abs);
	free(w->token);
}


static void op_watch(struct client *c, const struct xs_msg_hdr *h, const char *pl)
{
	char abs[XS_PATH_MAX + 1];
	size_t off = 0;
	const char *p = xs_wire_arg(pl, h->len, &off), *tok = xs_wire_arg(pl, h->len, &off);
	unsigned int k;
	int r;

	if (!p || !tok)
		return reply_err(c, h, "EINVAL");
	r = resolve(p, abs);
	if (r)
		return reply_err(c, h, errname(r));
	for (k = 0; k < c->nw; k++)
		if (!strcmp(c->w[k].abs, abs) && !strcmp(c->w[k].token, tok))
			break;
	if (h->type == XS_UNWATCH) {
		if (k == c->nw)
			return reply_err(c, h, "ENOENT");
		free_watch(&c->w[k]);
		c->w[k] = c->w[--c->nw];
		return reply(c, h, h->type, "OK", 3);
	}
	if (k < c->nw)
		return reply_err(c, h, "EEXIST");
	if (c->nw == XSD_WATCHES_MAX)
		return reply_err(c, h, "ENOSPC");
	c->w[c->nw] = (struct wch){ strdup(p), strdup(abs), strdup(tok) };
	if (!c->w[c->nw].given || !c->w[c->nw].abs || !c->w[c->nw].token) {
		free_watch(&c->w[c->nw]);
		return reply_err(c, h, "ENOMEM");
	}
	c->nw++;
	reply(c, h, h->type, "OK", 3);
	event(c, p, tok);		/* a new watch fires once */
}

/* ---- transactions ------------------------------------------------------- */

static struct dtx *tx_find(struct client *c, uint32_t id)
{
	unsigned int i;

	for (i = 0; id && i < XSD_TX_MAX; i++)
		if (c->tx[i].id == id)
			return &c->tx[i];
	return NULL;
}

/* The transaction of @t in store @store, started on first use: its id,
 * or 0 with the error in *@err. */
static uint32_t tx_sub(struct dtx *t, unsigned int store, const char **err)
{
	unsigned char rep[XSW_MSG_MAX + 1];
	struct xs_msg_hdr rh;
	unsigned int i;
	int r;

	for (i = 0; i < t->n; i++)
		if (t->sub[i].store == store)
			return t->sub[i].tid;
	if (t->n == XSD_TX_STORES) {
		*err = "ENOSPC";
		return 0;
	}
	r = xsd_simple(store, XS_TRANSACTION_START, 0, "", 1, rep, &rh);
	if (r < 0 || rh.type != XS_TRANSACTION_START || !rh.len) {
		*err = r < 0 ? "EAGAIN" : rh.type == XS_ERROR ? "EAGAIN" : "EIO";
		return 0;
	}
	rep[XSW_HDR + rh.len] = 0;
	t->sub[t->n].store = store;
	t->sub[t->n].tid = (uint32_t)strtoul((char *)rep + XSW_HDR, NULL, 10);
	return t->sub[t->n++].tid;
}

/* End @t in every store it touched: NULL, or the first error. */
static const char *tx_end(struct dtx *t, bool commit)
{
	unsigned char rep[XSW_MSG_MAX + 1];
	const char *err = NULL;
	struct xs_msg_hdr rh;
	unsigned int i;
	int r;

	for (i = 0; i < t->n; i++) {
		/* after a failed commit the rest are aborted */
		bool c = commit && !err;

		r = xsd_simple(t->sub[i].store, XS_TRANSACTION_END, t->sub[i].tid, c ? "T" : "F", 2, rep, &rh);
		if (!c)
			continue;
		if (r < 0)
			err = "EAGAIN";		/* the domain went away */
		else if (rh.type == XS_ERROR) {
			static char e[16];
			size_t l = strnlen((char *)rep + XSW_HDR, rh.len);

			if (l >= sizeof(e))
				l = sizeof(e) - 1;
			memcpy(e, rep + XSW_HDR, l);
			e[l] = 0;
			err = e;
		}
	}
	t->id = 0;
	t->n = 0;
	return err;
}

static void op_tx_start(struct client *c, const struct xs_msg_hdr *h)
{
	char id[16];
	unsigned int i;

	for (i = 0; i < XSD_TX_MAX && c->tx[i].id; i++)
		;
	if (i == XSD_TX_MAX)
		return reply_err(c, h, "ENOSPC");
	do {
		c->tx[i].id = ++c->next_tx;
	} while (!c->tx[i].id || tx_find(c, c->tx[i].id) != &c->tx[i]);
	c->tx[i].n = 0;
	snprintf(id, sizeof(id), "%u", c->tx[i].id);
	reply(c, h, h->type, id, strlen(id) + 1);
}

static void op_tx_end(struct client *c, const struct xs_msg_hdr *h, const char *pl)
{
	struct dtx *t = tx_find(c, h->tx_id);
	size_t off = 0;
	const char *a = xs_wire_arg(pl, h->len, &off), *err;

	if (!t)
		return reply_err(c, h, "ENOENT");
	if (!a || (strcmp(a, "T") && strcmp(a, "F")))
		return reply_err(c, h, "EINVAL");
	err = tx_end(t, a[0] == 'T');
	if (err)
		return reply_err(c, h, err);
	reply(c, h, h->type, "OK", 3);
}

/* ---- requests on a path ------------------------------------------------- */

static void op_path(struct client *c, const struct xs_msg_hdr *h, const char *pl)
{
	static unsigned char msg[XSW_MSG_MAX], rep[XSW_MSG_MAX + 1];
	char abs[XS_PATH_MAX + 1];
	struct xs_msg_hdr fh = *h, rh;
	size_t off = 0, plen, rest;
	const char *p = xs_wire_arg(pl, h->len, &off), *err = NULL;
	struct dtx *t = NULL;
	unsigned int store, i;
	uint32_t sub = 0, hsub = 0;
	int merge, r;

	if (!p || p[0] == '@')
		return reply_err(c, h, "EINVAL");
	r = resolve(p, abs);
	if (r)
		return reply_err(c, h, errname(r));
	if (h->tx_id && !(t = tx_find(c, h->tx_id)))
		return reply_err(c, h, "ENOENT");
	store = xsd_route_id(abs, &merge);
	if (t) {
		sub = tx_sub(t, store, &err);
		if (!sub)
			return reply_err(c, h, store && err && !strcmp(err, "EAGAIN") ? "ENOENT" : err);
		hsub = store ? 0 : sub;
	}
	if (merge && (h->type == XS_DIRECTORY || h->type == XS_DIRECTORY_PART)) {
		const char *o = xs_wire_arg(pl, h->len, &off);

		r = xsd_merged_dir(h, abs, o, merge, hsub, rep);
		push(c, rep, (size_t)r);
		return;
	}
	plen = strlen(abs) + 1;
	rest = h->len - off;
	if (plen + rest > XS_PAYLOAD_MAX)
		return reply_err(c, h, "E2BIG");
	fh.tx_id = sub;
	fh.len = (uint32_t)(plen + rest);
	memcpy(msg, &fh, XSW_HDR);
	memcpy(msg + XSW_HDR, abs, plen);
	memcpy(msg + XSW_HDR + plen, pl + off, rest);
	r = xsd_send(store, msg, XSW_HDR + fh.len, rep);
	if (r >= 0)
		memcpy(&rh, rep, XSW_HDR);
	/* a backend type directory read: our store has none, a domain's has */
	if (r >= 0 && merge == XSW_MERGE_BACKEND && rh.type == XS_ERROR && !t &&
	    (h->type == XS_READ || h->type == XS_GET_PERMS)) {
		for (i = 0; i < xsd.ndoms; i++) {
			r = xsd_send(xsd.doms[i].id, msg, XSW_HDR + fh.len, rep);
			if (r >= 0 && (memcpy(&rh, rep, XSW_HDR), rh.type != XS_ERROR))
				break;
		}
	}
	if (r < 0)
		return reply_err(c, h, t ? "EAGAIN" : "ENOENT");	/* the domain is gone */
	rh.req_id = h->req_id;
	rh.tx_id = h->tx_id;
	memcpy(rep, &rh, XSW_HDR);
	push(c, rep, XSW_HDR + rh.len);
}

static void op_domain_path(struct client *c, const struct xs_msg_hdr *h, const char *pl)
{
	size_t off = 0;
	const char *a = xs_wire_arg(pl, h->len, &off);
	char *end, dp[40];
	unsigned long d;

	if (!a || !*a)
		return reply_err(c, h, "EINVAL");
	d = strtoul(a, &end, 10);
	if (*end || d > 65535)
		return reply_err(c, h, "EINVAL");
	snprintf(dp, sizeof(dp), "/local/domain/%lu", d);
	reply(c, h, h->type, dp, strlen(dp) + 1);
}

static void op_reset_watches(struct client *c, const struct xs_msg_hdr *h)
{
	unsigned int i;

	for (i = 0; i < c->nw; i++)
		free_watch(&c->w[i]);
	c->nw = 0;
	for (i = 0; i < XSD_TX_MAX; i++)
		if (c->tx[i].id)
			tx_end(&c->tx[i], false);
	reply(c, h, h->type, "OK", 3);
}

/* One client request (xsw_in_next has checked its header). */
static void serve(struct client *c, const struct xs_msg_hdr *h, const char *pl)
{
	switch (h->type) {
	case XS_DIRECTORY: case XS_DIRECTORY_PART: case XS_READ: case XS_GET_PERMS:
	case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_SET_PERMS:
		return op_path(c, h, pl);
	case XS_WATCH: case XS_UNWATCH:
		return op_watch(c, h, pl);
	case XS_TRANSACTION_START:
		return op_tx_start(c, h);
	case XS_TRANSACTION_END:
		return op_tx_end(c, h, pl);
	case XS_GET_DOMAIN_PATH:
		return op_domain_path(c, h, pl);
	case XS_RESET_WATCHES:
		return op_reset_watches(c, h);
	default:	/* CONTROL, INTRODUCE, RELEASE, RESUME, SET_TARGET, quotas ... */
		return reply_err(c, h, "ENOSYS");
	}
}

/* ---- clients ------------------------------------------------------------ */

static void client_close(unsigned int i)
{
	struct client *c = clients[i];
	unsigned int k;

	for (k = 0; k < XSD_TX_MAX; k++)
		if (c->tx[k].id)
			tx_end(&c->tx[k], false);
	for (k = 0; k < c->nw; k++)
		free_watch(&c->w[k]);
	close(c->fd);
	free(c->out);
	free(c);
	clients[i] = NULL;
}

static void client_accept(int lfd)
{
	struct ucred cr = { .uid = (uid_t)-1 };
	socklen_t cl = sizeof(cr);
	unsigned int i;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || cr.uid != 0) {
		fprintf(stderr, "domus xenstored: refused a client of uid %d (root only)\n", (int)cr.uid);
		close(fd);
		return;
	}
	for (i = 0; i < XSD_CLIENTS_MAX && clients[i]; i++)
		;
	if (i == XSD_CLIENTS_MAX || !(clients[i] = calloc(1, sizeof(struct client)))) {
		fprintf(stderr, "domus xenstored: too many clients (%u): one refused\n", XSD_CLIENTS_MAX);
		close(fd);
		return;
	}
	clients[i]->fd = fd;
}

static void client_readable(struct client *c)
{
	static unsigned char msg[XSW_MSG_MAX + 1];
	unsigned char buf[8192];
	struct xs_msg_hdr h;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t used = 0;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->dead = true;
		return;
	}
	while (!c->dead) {
		used += xsw_in_feed(&c->in, buf + used, (size_t)n - used);
		r = xsw_in_next(&c->in, &h, msg);
		if (r < 0) {
			fprintf(stderr, "domus xenstored: a client sent %s: closed\n",
				r == -EMSGSIZE ? "a message over 4096 bytes" : "a malformed message");
			c->dead = true;
			break;
		}
		if (r == 0 && used == (size_t)n)
			break;
		if (r == 1)
			serve(c, &h, (const char *)msg + XSW_HDR);
	}
}

/* ---- the socket --------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[sizeof(a.sun_path)], *slash;
	int fd;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, "domus xenstored: cannot create %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "domus xenstored: a xenstored already listens on %s; stop it first\n", path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(path);		/* a stale socket */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0600) || listen(fd, 64)) {
		fprintf(stderr, "domus xenstored: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_xenstored(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	char path[128];
	long long next = 0;
	int opt, lfd;

	path[0] = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt != 's')
			return domus_cmd_bad_option(cmd, "+");
		if (strlen(optarg) >= 108)
			return domus_cmd_usage_error(cmd, "--socket: the path is too long (at most 107 bytes)");
		snprintf(path, sizeof(path), "%s", optarg);
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments");
	if (!path[0] && xsw_socket_path(path, sizeof(path)))
		return domus_cmd_usage_error(cmd, "XENSTORED_PATH or XENSTORED_RUNDIR is too long (at most 107 bytes in all)");
	xsd.host = xs_new(0, "Domain-0");
	if (!xsd.host || xs_mkdir(xsd.host, "/vm") || xs_mkdir(xsd.host, "/tool") ||
	    xs_watch_local(xsd.host, "/", xsd_host_changed, NULL)) {
		fprintf(stderr, "domus xenstored: out of memory\n");
		return 1;
	}
	lfd = listen_on(path);
	if (lfd < 0)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "domus xenstored: listening on %s\n", path);
	while (!quit) {
		struct pollfd p[1 + XSD_CLIENTS_MAX + XSD_DOMS_MAX];
		unsigned int n = 1, s0, i, k;
		long long t = now_ms();

		if (t >= next) {
			xsd_refresh();
			next = t + XSD_REFRESH_MS;
		}
		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < XSD_CLIENTS_MAX; i++)
			if (clients[i])
				p[n++] = (struct pollfd){ .fd = clients[i]->fd,
							  .events = (short)(POLLIN | (clients[i]->olen ? POLLOUT : 0)) };
		s0 = n;
		xsd_poll_streams(p, &n, sizeof(p) / sizeof(p[0]));
		if (poll(p, n, (int)(next - t > 0 ? next - t : 0)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0, k = 1; i < XSD_CLIENTS_MAX; i++) {
			if (!clients[i])
				continue;
			if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				client_readable(clients[i]);
			k++;
		}
		xsd_streams_ready(p + s0, n - s0);
		if (p[0].revents & POLLIN)
			client_accept(lfd);
		for (i = 0; i < XSD_CLIENTS_MAX; i++) {
			if (!clients[i])
				continue;
			flush(clients[i]);
			if (clients[i]->dead)
				client_close(i);
		}
	}
	for (opt = 0; opt < XSD_CLIENTS_MAX; opt++)
		if (clients[opt])
			client_close((unsigned int)opt);
	close(lfd);
	unlink(path);
	xs_free(xsd.host);
	fprintf(stderr, "domus xenstored: stopped\n");
	return 0;
}
