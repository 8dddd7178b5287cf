// SPDX-License-Identifier: MIT
/*
 * domus xenstored: the stores behind the socket (docs/xenstore.md "The
 * xenstored socket").  A request goes to the store that owns its path
 * (xsw_route): the service's own store (in this process) or a domain's
 * launcher (xs-wire over its control socket: nothing is copied).  The
 * listings of /local/domain and /local/domain/0/backend[/<type>] merge
 * every store's.  Each domain's changes come back on its xs-watch stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xsd.h"

#define FWD_TIMEOUT_MS	5000

struct xsd xsd;

static struct xsd_dom *dom_find(unsigned int id)
{
	unsigned int i;

	for (i = 0; i < xsd.ndoms; i++)
		if (xsd.doms[i].id == id)
			return &xsd.doms[i];
	return NULL;
}

/* One request to store @id (0: our own): its reply message into @rep.
 * The reply's length, or -errno (the domain is gone or does not answer). */
int xsd_send(unsigned int id, const void *msg, size_t len, unsigned char *rep)
{
	static char line[2 * XSW_MSG_MAX + 16], ans[2 * XSW_MSG_MAX + 16];
	struct xsd_dom *d;
	int r;

	if (!id)
		return xs_wire_dom0(xsd.host, msg, len, rep, XSW_MSG_MAX);
	d = dom_find(id);
	if (!d)
		return -ENOENT;
	memcpy(line, "xs-wire ", 8);
	xsw_hex(msg, len, line + 8);
	r = domus_ctl_request(d->name, line, ans, sizeof(ans), FWD_TIMEOUT_MS);
	if (r < 0)
		return r;
	if (r > 0 || strncmp(ans, "ok ", 3))
		return -EIO;
	r = xsw_unhex(ans + 3, rep, XSW_MSG_MAX);
	if (r < (int)XSW_HDR)
		return -EIO;
	return r;
}

/* A small request of our own to store @id: type, tx, payload. */
int xsd_simple(unsigned int id, uint32_t type, uint32_t tx, const void *pl, size_t plen,
	       unsigned char *rep, struct xs_msg_hdr *rh)
{
	unsigned char msg[XSW_MSG_MAX];
	struct xs_msg_hdr h = { .type = type, .req_id = 0, .tx_id = tx, .len = (uint32_t)plen };
	int r;

	if (plen > XS_PAYLOAD_MAX)
		return -E2BIG;
	memcpy(msg, &h, XSW_HDR);
	memcpy(msg + XSW_HDR, pl, plen);
	r = xsd_send(id, msg, XSW_HDR + plen, rep);
	if (r >= 0)
		memcpy(rh, rep, XSW_HDR);
	return r;
}

/* ---- merged listings ---------------------------------------------------- */

struct names {
	char buf[4 * XS_PAYLOAD_MAX];
	size_t n;
};

static void names_add(struct names *s, const char *name)
{
	size_t off = 0, l = strlen(name) + 1;

	while (off < s->n) {
		if (!strcmp(s->buf + off, name))
			return;
		off += strlen(s->buf + off) + 1;
	}
	if (s->n + l <= sizeof(s->buf)) {
		memcpy(s->buf + s->n, name, l);
		s->n += l;
	}
}

static void names_add_list(struct names *s, const unsigned char *pl, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nm = (const char *)pl + off;
		size_t l = strnlen(nm, len - off);

		if (l == len - off)
			break;		/* not terminated */
		if (l)
			names_add(s, nm);
		off += l + 1;
	}
}

/*
 * DIRECTORY or DIRECTORY_PART of a merged node: our own store's children
 * (in the client's transaction @htx) and every domain's (ids for
 * /local/domain; their own listing of the path for the backend
 * directories, outside any transaction).  The reply into @rep.
 */
int xsd_merged_dir(const struct xs_msg_hdr *h, const char *path, const char *offarg, int merge, uint32_t htx,
		   unsigned char *rep)
{
	static struct names s;
	unsigned char r1[XSW_MSG_MAX + 1];
	struct xs_msg_hdr rh, out = *h;
	bool found = false;
	unsigned int i;
	int r;

	s.n = 0;
	r = xsd_simple(0, XS_DIRECTORY, htx, path, strlen(path) + 1, r1, &rh);
	if (r >= 0 && rh.type == XS_DIRECTORY) {
		names_add_list(&s, r1 + XSW_HDR, rh.len);
		found = true;
	}
	for (i = 0; i < xsd.ndoms; i++) {
		if (merge == XSW_MERGE_DOMAINS) {
			char id[16];

			snprintf(id, sizeof(id), "%u", xsd.doms[i].id);
			names_add(&s, id);
			found = true;
			continue;
		}
		r = xsd_simple(xsd.doms[i].id, XS_DIRECTORY, 0, path, strlen(path) + 1, r1, &rh);
		if (r >= 0 && rh.type == XS_DIRECTORY) {
			names_add_list(&s, r1 + XSW_HDR, rh.len);
			found = true;
		}
	}
	if (!found)
		return xsd_error_msg(h, "ENOENT", rep);
	if (h->type == XS_DIRECTORY) {
		if (s.n > XS_PAYLOAD_MAX)
			return xsd_error_msg(h, "E2BIG", rep);
		out.len = (uint32_t)s.n;
		memcpy(rep, &out, XSW_HDR);
		memcpy(rep + XSW_HDR, s.buf, s.n);
		return (int)(XSW_HDR + s.n);
	} else {
		/* "gen\0" + the whole names from the offset that fit + "\0"
		 * once the list is complete; the generation is constant */
		unsigned long off = offarg ? strtoul(offarg, NULL, 10) : 0;
		size_t end, room = XS_PAYLOAD_MAX - 3, o = XSW_HDR;

		if (!offarg || off > s.n)
			return xsd_error_msg(h, "EINVAL", rep);
		memcpy(rep + o, "1", 2);
		o += 2;
		end = off;
		while (end < s.n) {
			size_t l = strlen(s.buf + end) + 1;

			if (end + l - off > room)
				break;
			end += l;
		}
		memcpy(rep + o, s.buf + off, end - off);
		o += end - off;
		if (end == s.n)
			rep[o++] = 0;
		out.len = (uint32_t)(o - XSW_HDR);
		memcpy(rep, &out, XSW_HDR);
		return (int)o;
	}
}

int xsd_error_msg(const struct xs_msg_hdr *h, const char *err, unsigned char *rep)
{
	struct xs_msg_hdr out = { .type = XS_ERROR, .req_id = h->req_id, .tx_id = h->tx_id,
				  .len = (uint32_t)strlen(err) + 1 };

	memcpy(rep, &out, XSW_HDR);
	memcpy(rep + XSW_HDR, err, out.len);
	return (int)(XSW_HDR + out.len);
}

/* ---- the domains and their change streams ------------------------------- */

static void stream_open(struct xsd_dom *d)
{
	char ans[64];
	int fd = domus_ctl_connect(d->name);

	d->wfd = -1;
	d->wlen = 0;
	if (fd < 0)
		return;
	if (domus_ctl_request_fd(fd, "xs-watch", ans, sizeof(ans), FWD_TIMEOUT_MS)) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	d->wfd = fd;
}

static void dom_remove(unsigned int i, bool gone)
{
	struct xsd_dom d = xsd.doms[i];

	if (d.wfd >= 0)
		close(d.wfd);
	xsd.doms[i] = xsd.doms[--xsd.ndoms];
	if (gone) {
		fprintf(stderr, "domus xenstored: domain %u (%s) is gone: its subtree with it\n", d.id, d.name);
		xsd_domain_gone(d.id);
	}
}

/* Domains that appeared or went since the last look (domus_ctl_list). */
void xsd_refresh(void)
{
	struct domus_dominfo *all = NULL;
	unsigned int i;
	int n, k;

	n = domus_ctl_list(&all);
	if (n < 0)
		return;
	for (i = 0; i < xsd.ndoms;) {
		bool alive = false;

		for (k = 0; k < n; k++)
			alive |= all[k].id == xsd.doms[i].id;
		if (!alive)
			dom_remove(i, true);
		else
			i++;
	}
	for (i = 0; i < xsd.ndoms; i++) {
		struct xsd_dom *d = &xsd.doms[i];

		if (d->wfd < 0) {	/* no store when we looked (a restart) */
			char top[48];

			stream_open(d);
			snprintf(top, sizeof(top), "/local/domain/%u", d->id);
			if (d->wfd >= 0)
				xsd_fire(top, false);
		}
	}
	for (k = 0; k < n; k++) {
		struct xsd_dom *d;

		if (dom_find(all[k].id) || !all[k].id || xsd.ndoms == XSD_DOMS_MAX)
			continue;
		d = &xsd.doms[xsd.ndoms++];
		memset(d, 0, sizeof(*d));
		d->id = all[k].id;
		snprintf(d->name, sizeof(d->name), "%s", all[k].name);
		stream_open(d);
		fprintf(stderr, "domus xenstored: domain %u (%s)%s\n", d->id, d->name,
			d->wfd < 0 ? ": no xenstore watch stream yet (tried again every second)" : "");
		xsd_fire("@introduceDomain", true);
	}
	free(all);
}

/* The change stream of domain @d is readable: each line a changed path. */
static void xsd_stream_readable(struct xsd_dom *d)
{
	for (;;) {
		ssize_t r = read(d->wfd, d->wbuf + d->wlen, sizeof(d->wbuf) - 1 - d->wlen);
		char *s, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			/* the launcher ended it: gone, or we fell behind */
			close(d->wfd);
			d->wfd = -1;
			if (domus_ctl_request(d->name, "info", d->wbuf, sizeof(d->wbuf), 2000) == 0) {
				char top[48];

				stream_open(d);
				snprintf(top, sizeof(top), "/local/domain/%u", d->id);
				xsd_fire(top, false);	/* whatever was missed */
			} else {
				dom_remove((unsigned int)(d - xsd.doms), true);
			}
			return;
		}
		d->wlen += (size_t)r;
		d->wbuf[d->wlen] = 0;
		s = d->wbuf;
		while ((nl = strchr(s, '\n'))) {
			*nl = 0;
			if (strcmp(s, "/"))	/* "/": the registration's own event */
				xsd_fire(s, false);
			s = nl + 1;
		}
		d->wlen -= (size_t)(s - d->wbuf);
		memmove(d->wbuf, s, d->wlen);
		if (d->wlen == sizeof(d->wbuf) - 1)
			d->wlen = 0;	/* no path is this long */
	}
}

/* A change in our own store (its local watch). */
void xsd_host_changed(void *opaque, const char *path)
{
	(void)opaque;
	if (strcmp(path, "/"))
		xsd_fire(path, false);
}

unsigned int xsd_route_id(const char *path, int *merge)
{
	unsigned int id;

	if (xsw_route(path, &id, merge) == XSW_DOMAIN) {
		if (!dom_find(id))
			xsd_refresh();		/* a domain started since */
		return id;
	}
	return 0;
}

void xsd_poll_streams(struct pollfd *p, unsigned int *n, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < xsd.ndoms && *n < max; i++)
		if (xsd.doms[i].wfd >= 0)
			p[(*n)++] = (struct pollfd){ .fd = xsd.doms[i].wfd, .events = POLLIN };
}

void xsd_streams_ready(const struct pollfd *p, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		for (k = 0; k < xsd.ndoms; k++) {
			if (xsd.doms[k].wfd == p[i].fd) {
				xsd_stream_readable(&xsd.doms[k]);
				break;
			}
		}
	}
}
