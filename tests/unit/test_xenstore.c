// SPDX-License-Identifier: MIT
/*
 * Unit tests for the in-process xenstore server (userland/xenstore): a
 * simulated guest client drives the server through a ring page in ordinary
 * memory, the way the Linux xenbus driver does, and the toolstack calls are
 * used alongside.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xenstore.h"
#include "unit.h"


#define DOMID 5
#define EVQ 256

struct reply {
	uint32_t type, req_id, tx_id, len;
	char d[XS_PAYLOAD_MAX + 1];
};

struct client {
	struct xs_ring_page *r;
	struct xs_store *xs;
	uint32_t next_id;
	unsigned char rx[16 + XS_PAYLOAD_MAX + 1];
	size_t rx_have;
	struct reply last;		/* last reply (not event) received */
	bool have_reply;
	char ev[EVQ][160];		/* "path|token" of watch events, oldest first */
	unsigned int ev_head, ev_n;
	unsigned long events, notifies, oversize;
	bool threaded;			/* another thread runs xs_ring_process */
};

static void on_notify(void *opaque)
{
	((struct client *)opaque)->notifies++;
}

static void c_init(struct client *c, struct xs_store *xs)
{
	memset(c, 0, sizeof(*c));
	c->r = aligned_alloc(4096, 4096);
	memset(c->r, 0, 4096);
	c->xs = xs;
	xs_attach_ring(xs, c->r, on_notify, c);
}

static void c_fini(struct client *c)
{
	xs_attach_ring(c->xs, NULL, NULL, NULL);
	free(c->r);
	c->r = NULL;
}

/* Guest side: take whatever the server put on the response ring. */
static void c_pump(struct client *c)
{
	struct xs_ring_page *r = c->r;

	for (;;) {
		uint32_t prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
		uint32_t cons = r->rsp_cons, want, n, i;
		struct xs_msg_hdr h;

		if (prod == cons)
			return;
		if (c->rx_have < 16) {
			want = 16 - (uint32_t)c->rx_have;
		} else {
			memcpy(&h, c->rx, 16);
			want = 16 + h.len - (uint32_t)c->rx_have;
		}
		n = prod - cons < want ? prod - cons : want;
		for (i = 0; i < n; i++)
			c->rx[c->rx_have + i] = (unsigned char)r->rsp[(cons + i) & 1023];
		__atomic_store_n(&r->rsp_cons, cons + n, __ATOMIC_RELEASE);
		c->rx_have += n;
		if (c->rx_have < 16)
			continue;
		memcpy(&h, c->rx, 16);
		if (h.len > XS_PAYLOAD_MAX) {
			c->oversize++;
			c->rx_have = 0;
			return;
		}
		if (c->rx_have < 16 + h.len)
			continue;
		c->rx_have = 0;
		if (h.type == XS_WATCH_EVENT) {
			char *slot = c->ev[(c->ev_head + c->ev_n) % EVQ];
			size_t pl = strnlen((char *)c->rx + 16, h.len);

			c->events++;
			if (pl + 1 < h.len)
				snprintf(slot, 160, "%.*s|%.*s", (int)pl, c->rx + 16,
					 (int)(h.len - pl - 2), c->rx + 16 + pl + 1);
			else
				snprintf(slot, 160, "?bad event");
			if (c->ev_n < EVQ)
				c->ev_n++;
			else
				c->ev_head = (c->ev_head + 1) % EVQ;
		} else {
			c->last.type = h.type;
			c->last.req_id = h.req_id;
			c->last.tx_id = h.tx_id;
			c->last.len = h.len;
			memcpy(c->last.d, c->rx + 16, h.len);
			c->last.d[h.len] = 0;
			c->have_reply = true;
		}
	}
}

/* Guest side: put bytes on the request ring (waiting for room). */
static int c_put(struct client *c, const void *data, size_t len, bool process)
{
	const unsigned char *d = data;
	int spins = 0;

	while (len) {
		uint32_t prod = c->r->req_prod;
		uint32_t cons = __atomic_load_n(&c->r->req_cons, __ATOMIC_ACQUIRE);
		uint32_t space = 1024 - (prod - cons), n, i;

		if (!space) {
			if (c->threaded) {
				if (++spins > 50000000)
					return -1;
				sched_yield();
				c_pump(c);
				continue;
			}
			if (++spins > 1000 || xs_ring_process(c->xs) < 0)
				return -1;
			c_pump(c);
			continue;
		}
		n = len < space ? (uint32_t)len : space;
		for (i = 0; i < n; i++)
			c->r->req[(prod + i) & 1023] = (char)d[i];
		__atomic_store_n(&c->r->req_prod, prod + n, __ATOMIC_RELEASE);
		d += n;
		len -= n;
	}
	if (process && !c->threaded)
		xs_ring_process(c->xs);
	return 0;
}

/* One request, one reply (events on the way are queued).  Reply type or -1. */
static int rpc(struct client *c, uint32_t type, uint32_t tx, const void *pl,
	       size_t len)
{
	struct xs_msg_hdr h = { type, ++c->next_id, tx, (uint32_t)len };
	int i;

	c->have_reply = false;
	if (c_put(c, &h, 16, false) || c_put(c, pl, len, true))
		return -1;
	for (i = 0; i < (c->threaded ? 50000000 : 1000); i++) {
		c_pump(c);
		if (c->have_reply && c->last.req_id == h.req_id)
			return (int)c->last.type;
		if (c->threaded)
			sched_yield();
		else if (xs_ring_process(c->xs) < 0)
			return -1;
	}
	return -1;
}

/* Payload "a\0" + b (+ "\0" if b_nul). */
static int rpc_s(struct client *c, uint32_t type, uint32_t tx, const char *a,
		 const char *b, bool b_nul)
{
	char pl[XS_PAYLOAD_MAX + 64];
	size_t n = 0;

	if (a) {
		memcpy(pl, a, strlen(a) + 1);
		n = strlen(a) + 1;
	}
	if (b) {
		memcpy(pl + n, b, strlen(b) + b_nul);
		n += strlen(b) + b_nul;
	}
	return rpc(c, type, tx, pl, n);
}

/* "OK", or the error name. */
static const char *res(struct client *c, int type)
{
	if (type < 0)
		return "(no reply)";
	if (type == XS_ERROR)
		return c->last.d;
	return type == XS_WATCH || type == XS_UNWATCH || c->last.len == 3 ?
	       c->last.d : "(data)";
}

static const char *g_write(struct client *c, uint32_t tx, const char *p, const char *v)
{
	return res(c, rpc_s(c, XS_WRITE, tx, p, v, false));
}

static const char *g_op(struct client *c, uint32_t type, uint32_t tx, const char *p)
{
	return res(c, rpc_s(c, type, tx, p, NULL, false));
}

/* Value, or "!ERR". */
static const char *g_read(struct client *c, uint32_t tx, const char *p)
{
	static char buf[XS_PAYLOAD_MAX + 2];
	int t = rpc_s(c, XS_READ, tx, p, NULL, false);

	if (t == XS_READ)
		return c->last.d;
	snprintf(buf, sizeof(buf), "!%s", t < 0 ? "none" : c->last.d);
	return buf;
}

/* Children joined with ',' (or "!ERR"); type DIRECTORY or GET_PERMS. */
static const char *g_list(struct client *c, uint32_t type, uint32_t tx, const char *p)
{
	static char buf[XS_PAYLOAD_MAX + 2];
	int t = rpc_s(c, type, tx, p, NULL, false);
	uint32_t i;

	if (t != (int)type) {
		snprintf(buf, sizeof(buf), "!%s", t < 0 ? "none" : c->last.d);
		return buf;
	}
	for (i = 0; i < c->last.len; i++)
		buf[i] = c->last.d[i] ? c->last.d[i] : ',';
	buf[c->last.len ? c->last.len - 1 : 0] = 0;
	return buf;
}

static const char *g_watch(struct client *c, bool add, const char *p, const char *tok)
{
	return res(c, rpc_s(c, add ? XS_WATCH : XS_UNWATCH, 0, p, tok, true));
}

static uint32_t g_tx_start(struct client *c)
{
	if (rpc(c, XS_TRANSACTION_START, 0, "", 1) != XS_TRANSACTION_START)
		return 0;
	return (uint32_t)strtoul(c->last.d, NULL, 10);
}

static const char *g_tx_end(struct client *c, uint32_t tx, bool commit)
{
	return res(c, rpc_s(c, XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, false));
}

/* Pop the oldest event; "" if none. */
static const char *g_event(struct client *c)
{
	static char buf[160];

	xs_ring_process(c->xs);
	c_pump(c);
	if (!c->ev_n)
		return "";
	strcpy(buf, c->ev[c->ev_head]);
	c->ev_head = (c->ev_head + 1) % EVQ;
	c->ev_n--;
	return buf;
}

static void g_drain_events(struct client *c)
{
	xs_ring_process(c->xs);
	c_pump(c);
	c->ev_n = 0;
}

#define STREQ(a, b) (!strcmp((a), (b)))

/* ------------------------------------------------------------------ tests */

static void initial_keys(void)
{
	struct xs_store *xs = xs_new(DOMID, "guest1");
	struct client c;
	char buf[64];

	EXPECT(xs);
	if (!xs)
		return;
	EXPECT(xs_read(xs, "/local/domain/5/name", buf, sizeof(buf)) == 6 && STREQ(buf, "guest1"));
	EXPECT(xs_read(xs, "domid", buf, sizeof(buf)) == 1 && STREQ(buf, "5"));
	EXPECT(xs_read(xs, "control/shutdown", buf, sizeof(buf)) == 0 && STREQ(buf, ""));
	EXPECT(xs_read(xs, "control/platform-feature-xs_reset_watches", buf, sizeof(buf)) == 1);
	EXPECT(xs_read(xs, "control/platform-feature-multiprocessor-suspend", buf, sizeof(buf)) == 1);
	EXPECT(xs_read(xs, "/local/domain/0/backend", buf, sizeof(buf)) == 0);
	EXPECT(xs_read(xs, "device", buf, sizeof(buf)) == 0);
	EXPECT(xs_read(xs, "data", buf, sizeof(buf)) == 0);
	EXPECT(xs_read(xs, "memory", buf, sizeof(buf)) == 0);
	EXPECT(xs_read(xs, "console", buf, sizeof(buf)) == 0);
	EXPECT(xs_get_perms(xs, "name", buf, sizeof(buf)) > 0 && STREQ(buf, "n0,r5"));
	EXPECT(xs_get_perms(xs, "", buf, sizeof(buf)) == -EINVAL);
	EXPECT(xs_get_perms(xs, "/local/domain/5", buf, sizeof(buf)) > 0 && STREQ(buf, "n5"));
	EXPECT(xs_get_perms(xs, "control/shutdown", buf, sizeof(buf)) > 0 && STREQ(buf, "n5"));
	EXPECT(xs_set_domain_info(xs, 524288, 1048576, 2) == 0);
	EXPECT(xs_read(xs, "memory/target", buf, sizeof(buf)) == 6 && STREQ(buf, "524288"));
	EXPECT(xs_read(xs, "memory/static-max", buf, sizeof(buf)) == 7);
	EXPECT(xs_read(xs, "cpu/1/availability", buf, sizeof(buf)) == 6 && STREQ(buf, "online"));
	EXPECT(xs_read(xs, "cpu/2/availability", buf, sizeof(buf)) == -ENOENT);
	EXPECT(xs_get_perms(xs, "memory/target", buf, sizeof(buf)) > 0 && STREQ(buf, "n0,r5"));
	/* truncation */
	EXPECT(xs_read(xs, "name", buf, 3) == 6 && STREQ(buf, "gu"));

	/* the guest sees the same keys */
	c_init(&c, xs);
	EXPECT(STREQ(g_read(&c, 0, "name"), "guest1"));
	EXPECT(STREQ(g_read(&c, 0, "/local/domain/5/domid"), "5"));
	EXPECT(STREQ(g_read(&c, 0, "memory/target"), "524288"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "cpu"), "0,1"));
	EXPECT(c.r->server_features == (XS_FEAT_RECONNECTION | XS_FEAT_ERROR));
	EXPECT(c.notifies > 0);
	c_fini(&c);
	xs_free(xs);

	EXPECT(!xs_new(0, "dom0"));
	EXPECT(!xs_new(0x7ff0, "x"));
	EXPECT(!xs_new(1, NULL));
}

static void basic_ops(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	char buf[64];

	c_init(&c, xs);
	EXPECT(STREQ(g_write(&c, 0, "data/x", "hello"), "OK"));
	EXPECT(rpc_s(&c, XS_READ, 0, "data/x", NULL, false) == XS_READ &&
	       c.last.len == 5 && !memcmp(c.last.d, "hello", 5));
	EXPECT(STREQ(g_read(&c, 0, "/local/domain/5/data/x"), "hello"));
	EXPECT(xs_read(xs, "data/x", buf, sizeof(buf)) == 5 && STREQ(buf, "hello"));
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, "data/d"), "OK"));
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, "data/d"), "OK"));	/* exists: fine */
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data"), "x,d"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data/d"), ""));
	EXPECT(STREQ(g_write(&c, 0, "data/a/b/c", "deep"), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/a/b"), ""));
	EXPECT(STREQ(g_read(&c, 0, "data/a/b/c"), "deep"));
	EXPECT(STREQ(g_list(&c, XS_GET_PERMS, 0, "data/a/b/c"), "n5"));
	EXPECT(STREQ(g_read(&c, 0, "data/nope"), "!ENOENT"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "data/a"), "OK"));	/* recursive */
	EXPECT(STREQ(g_read(&c, 0, "data/a/b/c"), "!ENOENT"));
	/* xenstore.txt: RM of a missing node is not an error while its
	 * parent exists, and ENOENT when the parent is missing too */
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "data/a"), "OK"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "data/a/b"), "ENOENT"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data"), "x,d"));
	/* overwrite, empty value, binary value */
	EXPECT(STREQ(g_write(&c, 0, "data/x", ""), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/x"), ""));
	EXPECT(rpc(&c, XS_WRITE, 0, "data/bin\0a\0b", 12) == XS_WRITE);
	EXPECT(rpc_s(&c, XS_READ, 0, "data/bin", NULL, false) == XS_READ &&
	       c.last.len == 3 && !memcmp(c.last.d, "a\0b", 3));
	/* toolstack mkdir/rm/directory */
	EXPECT(xs_mkdir(xs, "data/t") == 0);
	EXPECT(xs_write(xs, "data/t/k", "v") == 0);
	EXPECT(xs_directory(xs, "data/t", buf, sizeof(buf)) == 2 && STREQ(buf, "k"));
	EXPECT(xs_rm(xs, "data/t") == 0);
	EXPECT(xs_rm(xs, "data/t") == 0);		/* missing, parent exists */
	EXPECT(xs_rm(xs, "data/t/u/v") == -ENOENT);	/* parent missing too */
	EXPECT(xs_rm(xs, "/") == -EINVAL);
	EXPECT(xs_write(xs, "bad//path", "x") == -EINVAL);
	EXPECT(xs_write(xs, "bad/path/", "x") == -EINVAL);
	EXPECT(xs_write(xs, "bad path", "x") == -EINVAL);
	/* GET_DOMAIN_PATH */
	EXPECT(rpc_s(&c, XS_GET_DOMAIN_PATH, 0, "5", NULL, false) == XS_GET_DOMAIN_PATH &&
	       STREQ(c.last.d, "/local/domain/5") && c.last.len == 16);
	EXPECT(rpc_s(&c, XS_GET_DOMAIN_PATH, 0, "0", NULL, false) == XS_GET_DOMAIN_PATH &&
	       STREQ(c.last.d, "/local/domain/0"));
	EXPECT(STREQ(g_op(&c, XS_GET_DOMAIN_PATH, 0, "5x"), "EINVAL"));
	EXPECT(STREQ(g_op(&c, XS_GET_DOMAIN_PATH, 0, ""), "EINVAL"));
	/* replies echo req_id and tx_id */
	EXPECT(rpc_s(&c, XS_READ, 0, "name", NULL, false) == XS_READ && c.last.req_id == c.next_id);
	c_fini(&c);
	xs_free(xs);
}

struct lw_log {
	int n;
	char last[256];
	struct xs_store *xs;
	bool react;
};

static void lw_cb(void *opaque, const char *path)
{
	struct lw_log *l = opaque;

	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", path);
	if (l->react) {
		char v[16];

		/* a backend reacting from inside its callback */
		if (l->xs && xs_read(l->xs, path, v, sizeof(v)) >= 0 && STREQ(v, "3"))
			xs_write(l->xs, "/local/domain/0/backend/vbd/5/51712/state", "4");
	}
}

static void watches(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct lw_log lw = { 0 };
	struct client c;
	const char *be = "/local/domain/0/backend/vbd/5/51712";
	char p[128];

	c_init(&c, xs);
	/* registration fires once, with the path as given and the token */
	EXPECT(STREQ(g_watch(&c, true, "device", "ffff888004a1b2c0"), "OK"));
	EXPECT(STREQ(g_event(&c), "device|ffff888004a1b2c0"));
	EXPECT(STREQ(g_event(&c), ""));
	EXPECT(STREQ(g_watch(&c, true, "device", "ffff888004a1b2c0"), "EEXIST"));
	EXPECT(STREQ(g_watch(&c, true, "device", "other"), "OK"));
	EXPECT(STREQ(g_event(&c), "device|other"));
	EXPECT(STREQ(g_watch(&c, false, "device", "other"), "OK"));
	EXPECT(STREQ(g_watch(&c, false, "device", "other"), "ENOENT"));

	/* the launcher creates a device: frontend dir, backend dir */
	EXPECT(xs_mkdir(xs, be) == 0);
	EXPECT(xs_set_perms(xs, be, "n0,r5") == 0);
	EXPECT(xs_write(xs, "device/vbd/51712/backend", be) == 0);
	EXPECT(xs_set_perms(xs, "device/vbd/51712/backend", "n0 r5") == 0);
	snprintf(p, sizeof(p), "%s/state", be);
	EXPECT(xs_write(xs, p, "2") == 0);
	/* change events: relative paths for a relative watch */
	EXPECT(STREQ(g_event(&c), "device/vbd/51712/backend|ffff888004a1b2c0"));
	EXPECT(STREQ(g_event(&c), "device/vbd/51712/backend|ffff888004a1b2c0")); /* perms */
	EXPECT(STREQ(g_event(&c), ""));	/* backend changes are outside device/ */

	/* frontend watches the backend state (absolute) */
	EXPECT(STREQ(g_watch(&c, true, p, "be"), "OK"));
	{
		char want[128];

		snprintf(want, sizeof(want), "%s/state|be", be);
		EXPECT(STREQ(g_event(&c), want));
		EXPECT(xs_write(xs, "/local/domain/0/backend/vbd/5/51712/state", "4") == 0);
		EXPECT(STREQ(g_event(&c), want));
		EXPECT(STREQ(g_read(&c, 0, "/local/domain/0/backend/vbd/5/51712/state"), "4"));
	}
	/* events only for readable nodes: a dom0-only node under a watched path */
	EXPECT(STREQ(g_watch(&c, true, "/local/domain/0", "d0"), "OK"));
	EXPECT(STREQ(g_event(&c), "/local/domain/0|d0"));
	EXPECT(xs_write(xs, "/local/domain/0/secret", "x") == 0);
	EXPECT(STREQ(g_event(&c), ""));
	EXPECT(xs_write(xs, "/local/domain/0/backend/vbd/5/51712/state", "5") == 0);
	EXPECT(STREQ(g_event(&c), "/local/domain/0/backend/vbd/5/51712/state|be"));
	EXPECT(STREQ(g_event(&c), "/local/domain/0/backend/vbd/5/51712/state|d0"));
	EXPECT(STREQ(g_watch(&c, false, "/local/domain/0", "d0"), "OK"));

	/* removing a parent fires the watch with the watched path */
	EXPECT(xs_rm(xs, "/local/domain/0/backend/vbd/5") == 0);
	EXPECT(STREQ(g_event(&c), "/local/domain/0/backend/vbd/5/51712/state|be"));
	EXPECT(STREQ(g_event(&c), ""));

	/* toolstack watch: guest writes the frontend state; callback reacts */
	lw.xs = xs;
	lw.react = true;
	EXPECT(xs_mkdir(xs, be) == 0);
	EXPECT(xs_set_perms(xs, be, "n0,r5") == 0);
	g_drain_events(&c);
	EXPECT(xs_watch_local(xs, "device/vbd/51712/state", lw_cb, &lw) == 0);
	EXPECT(lw.n == 1 && STREQ(lw.last, "/local/domain/5/device/vbd/51712/state"));
	EXPECT(xs_watch_local(xs, "device/vbd/51712/state", lw_cb, &lw) == -EEXIST);
	EXPECT(STREQ(g_write(&c, 0, "device/vbd/51712/state", "3"), "OK"));
	EXPECT(lw.n == 2);
	{
		char v[8];

		EXPECT(xs_read(xs, "/local/domain/0/backend/vbd/5/51712/state", v, sizeof(v)) == 1 &&
		       STREQ(v, "4"));
	}
	/* the guest is told about both the frontend and backend changes */
	EXPECT(STREQ(g_event(&c), "device/vbd/51712/state|ffff888004a1b2c0"));
	EXPECT(STREQ(g_event(&c), "/local/domain/0/backend/vbd/5/51712/state|be"));
	EXPECT(xs_unwatch_local(xs, "device/vbd/51712/state", lw_cb, &lw) == 0);
	EXPECT(xs_unwatch_local(xs, "device/vbd/51712/state", lw_cb, &lw) == -ENOENT);
	EXPECT(STREQ(g_write(&c, 0, "device/vbd/51712/state", "4"), "OK"));
	EXPECT(lw.n == 2);

	/* RESET_WATCHES drops them all */
	g_drain_events(&c);
	EXPECT(rpc(&c, XS_RESET_WATCHES, 0, "", 0) == XS_RESET_WATCHES);
	EXPECT(xs_write(xs, "device/vbd/51712/state", "5") == 0);
	EXPECT(STREQ(g_event(&c), ""));

	/* watch limit */
	{
		int i, ok = 0;
		struct xs_stats st;

		for (i = 0; i < 130; i++) {
			char tok[16];

			snprintf(tok, sizeof(tok), "t%d", i);
			if (STREQ(g_watch(&c, true, "data", tok), "OK"))
				ok++;
			else
				EXPECT(STREQ(c.last.d, "ENOSPC"));
			g_drain_events(&c);
		}
		EXPECT(ok == XS_GUEST_WATCHES_MAX);
		xs_get_stats(xs, &st);
		EXPECT(st.guest_watches == XS_GUEST_WATCHES_MAX);
	}
	/* special paths are accepted (they only fire on registration) */
	EXPECT(rpc(&c, XS_RESET_WATCHES, 0, "", 0) == XS_RESET_WATCHES);
	EXPECT(STREQ(g_watch(&c, true, "@releaseDomain", "r"), "OK"));
	EXPECT(STREQ(g_event(&c), "@releaseDomain|r"));
	EXPECT(STREQ(g_op(&c, XS_READ, 0, "@releaseDomain"), "EINVAL"));
	c_fini(&c);
	xs_free(xs);
}

static void shutdown_flow(void)
{
	/* pvh-abi.md §17.1: host writes control/shutdown, guest acknowledges. */
	struct xs_store *xs = xs_new(DOMID, "g");
	struct lw_log lw = { 0 };
	struct client c;
	uint32_t tx;
	char v[16];

	c_init(&c, xs);
	EXPECT(STREQ(g_watch(&c, true, "control/shutdown", "sd"), "OK"));
	EXPECT(STREQ(g_event(&c), "control/shutdown|sd"));
	EXPECT(STREQ(g_write(&c, 0, "control/feature-poweroff", "1"), "OK"));
	EXPECT(xs_watch_local(xs, "control/shutdown", lw_cb, &lw) == 0);
	EXPECT(xs_write(xs, "control/shutdown", "poweroff") == 0);
	EXPECT(lw.n == 2);
	EXPECT(STREQ(g_event(&c), "control/shutdown|sd"));
	tx = g_tx_start(&c);
	EXPECT(tx != 0);
	EXPECT(STREQ(g_read(&c, tx, "control/shutdown"), "poweroff"));
	EXPECT(STREQ(g_write(&c, tx, "control/shutdown", ""), "OK"));
	EXPECT(lw.n == 2);	/* nothing before the commit */
	EXPECT(STREQ(g_tx_end(&c, tx, true), "OK"));
	EXPECT(lw.n == 3);
	EXPECT(xs_read(xs, "control/shutdown", v, sizeof(v)) == 0);
	c_fini(&c);
	xs_free(xs);
}

static void transactions(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	uint32_t t1, t2, ids[XS_GUEST_TX_MAX];
	unsigned int i;
	char v[32];

	c_init(&c, xs);
	EXPECT(STREQ(g_watch(&c, true, "data", "w"), "OK"));
	g_drain_events(&c);

	/* isolation and commit */
	t1 = g_tx_start(&c);
	EXPECT(t1 != 0);
	EXPECT(STREQ(g_write(&c, t1, "data/ring-ref", "8"), "OK"));
	EXPECT(STREQ(g_write(&c, t1, "data/q/event-channel", "9"), "OK"));
	EXPECT(STREQ(g_read(&c, t1, "data/ring-ref"), "8"));
	EXPECT(STREQ(g_read(&c, t1, "data/q"), ""));
	EXPECT(STREQ(g_read(&c, 0, "data/ring-ref"), "!ENOENT"));
	EXPECT(xs_read(xs, "data/ring-ref", v, sizeof(v)) == -ENOENT);
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, t1, "data"), "ring-ref,q"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data"), ""));
	EXPECT(STREQ(g_event(&c), ""));	/* no events before commit */
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/ring-ref"), "8"));
	EXPECT(STREQ(g_read(&c, 0, "data/q/event-channel"), "9"));
	EXPECT(STREQ(g_event(&c), "data/ring-ref|w"));
	EXPECT(STREQ(g_event(&c), "data/q/event-channel|w"));
	EXPECT(STREQ(g_event(&c), ""));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "ENOENT"));	/* gone */

	/* abort */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_write(&c, t1, "data/ring-ref", "100"), "OK"));
	EXPECT(STREQ(g_op(&c, XS_RM, t1, "data/q"), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t1, false), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/ring-ref"), "8"));
	EXPECT(STREQ(g_read(&c, 0, "data/q/event-channel"), "9"));
	EXPECT(STREQ(g_event(&c), ""));

	/* conflict: what the transaction read changed meanwhile -> EAGAIN */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_read(&c, t1, "data/ring-ref"), "8"));
	EXPECT(STREQ(g_write(&c, t1, "data/other", "x"), "OK"));
	EXPECT(xs_write(xs, "data/ring-ref", "9") == 0);
	EXPECT(STREQ(g_tx_end(&c, t1, true), "EAGAIN"));
	EXPECT(STREQ(g_read(&c, 0, "data/other"), "!ENOENT"));
	/* directory listing conflicts with a new child */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, t1, "data/q"), "event-channel"));
	EXPECT(STREQ(g_write(&c, 0, "data/q/new", "1"), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "EAGAIN"));
	/* unrelated changes do not conflict */
	t1 = g_tx_start(&c);
	t2 = g_tx_start(&c);
	EXPECT(t1 && t2 && t1 != t2);
	EXPECT(STREQ(g_write(&c, t1, "data/a", "1"), "OK"));
	EXPECT(STREQ(g_write(&c, t2, "data/b", "2"), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t2, true), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/a"), "1"));
	EXPECT(STREQ(g_read(&c, 0, "data/b"), "2"));
	/* both create the same node: the second fails */
	t1 = g_tx_start(&c);
	t2 = g_tx_start(&c);
	EXPECT(STREQ(g_write(&c, t1, "data/same", "1"), "OK"));
	EXPECT(STREQ(g_write(&c, t2, "data/same", "2"), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));
	EXPECT(STREQ(g_tx_end(&c, t2, true), "EAGAIN"));
	EXPECT(STREQ(g_read(&c, 0, "data/same"), "1"));

	/* rm then re-create inside one transaction */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_op(&c, XS_RM, t1, "data/q"), "OK"));
	EXPECT(STREQ(g_read(&c, t1, "data/q/event-channel"), "!ENOENT"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, t1, "data/q"), "!ENOENT"));
	EXPECT(STREQ(g_write(&c, t1, "data/q/fresh", "f"), "OK"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, t1, "data/q"), "fresh"));
	EXPECT(STREQ(g_read(&c, t1, "data/q/event-channel"), "!ENOENT"));
	EXPECT(STREQ(g_read(&c, 0, "data/q/event-channel"), "9"));
	g_drain_events(&c);
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data/q"), "fresh"));
	EXPECT(STREQ(g_event(&c), "data/q|w"));
	EXPECT(STREQ(g_event(&c), "data/q/fresh|w"));
	/* write below, then rm the parent: nothing left */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_write(&c, t1, "data/z/y", "1"), "OK"));
	EXPECT(STREQ(g_op(&c, XS_RM, t1, "data/z"), "OK"));
	EXPECT(STREQ(g_read(&c, t1, "data/z/y"), "!ENOENT"));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/z"), "!ENOENT"));
	/* permissions inside transactions */
	t1 = g_tx_start(&c);
	EXPECT(STREQ(g_write(&c, t1, "name", "evil"), "EACCES"));
	EXPECT(STREQ(g_write(&c, t1, "/local/domain/0/backend/x", "1"), "EACCES"));
	EXPECT(STREQ(g_tx_end(&c, t1, true), "OK"));

	/* limits and bad ids */
	EXPECT(STREQ(g_write(&c, 12345, "data/a", "1"), "ENOENT"));
	EXPECT(STREQ(g_tx_end(&c, 0, true), "ENOENT"));
	for (i = 0; i < XS_GUEST_TX_MAX; i++) {
		ids[i] = g_tx_start(&c);
		EXPECT(ids[i] != 0);
	}
	EXPECT(rpc(&c, XS_TRANSACTION_START, 0, "", 1) == XS_ERROR && STREQ(c.last.d, "ENOSPC"));
	EXPECT(STREQ(g_tx_end(&c, ids[0], true), "OK"));
	t1 = g_tx_start(&c);
	EXPECT(t1 != 0);
	EXPECT(STREQ(g_tx_end(&c, t1, false), "OK"));
	EXPECT(STREQ(g_tx_end(&c, ids[1], false), "OK"));
	EXPECT(STREQ(g_tx_end(&c, ids[2], false), "OK"));
	EXPECT(rpc_s(&c, XS_TRANSACTION_END, ids[3], "X", NULL, false) == XS_ERROR &&
	       STREQ(c.last.d, "EINVAL"));
	/* RESET_WATCHES also ends transactions */
	EXPECT(rpc(&c, XS_RESET_WATCHES, 0, "", 0) == XS_RESET_WATCHES);
	EXPECT(STREQ(g_tx_end(&c, ids[3], true), "ENOENT"));
	{
		struct xs_stats st;

		xs_get_stats(xs, &st);
		EXPECT(st.guest_transactions == 0);
	}
	c_fini(&c);
	xs_free(xs);
}

static void permissions(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	char buf[64];

	c_init(&c, xs);
	EXPECT(xs_write(xs, "/local/domain/6/name", "other") == 0);
	EXPECT(xs_set_perms(xs, "/local/domain/6", "n6") == 0);
	/* outside its tree */
	EXPECT(STREQ(g_write(&c, 0, "/local/domain/0/backend/x", "1"), "EACCES"));
	EXPECT(STREQ(g_write(&c, 0, "/local/domain/6/x", "1"), "EACCES"));
	EXPECT(STREQ(g_write(&c, 0, "/evil", "1"), "EACCES"));
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, "/local/x"), "EACCES"));
	EXPECT(STREQ(g_read(&c, 0, "/local/domain/6/name"), "!EACCES"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "/local/domain"), "!EACCES"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "/"), "!EACCES"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "/local/domain/6"), "EACCES"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "/"), "EINVAL"));
	/* keys domus controls */
	EXPECT(STREQ(g_write(&c, 0, "name", "evil"), "EACCES"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "domid"), "EACCES"));
	EXPECT(STREQ(g_write(&c, 0, "memory/target", "1"), "EACCES"));
	EXPECT(STREQ(g_write(&c, 0, "memory/new", "1"), "EACCES"));
	/* the guest cannot remove its root: it holds dom0's keys */
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "/local/domain/5"), "EACCES"));
	EXPECT(xs_read(xs, "name", buf, sizeof(buf)) == 1);
	/* what it owns */
	EXPECT(STREQ(g_write(&c, 0, "control/feature-reboot", "1"), "OK"));
	EXPECT(STREQ(g_write(&c, 0, "error/device/vbd/51712/error", "oops"), "OK"));
	EXPECT(xs_get_perms(xs, "error/device", buf, sizeof(buf)) > 0 && STREQ(buf, "n5"));
	/* SET_PERMS: owner only, no giving away */
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "data\0n5\0r0\0", 11) == XS_SET_PERMS);
	EXPECT(STREQ(g_list(&c, XS_GET_PERMS, 0, "data"), "n5,r0"));
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "data\0n0\0", 8) == XS_ERROR && STREQ(c.last.d, "EPERM"));
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "name\0n5\0", 8) == XS_ERROR && STREQ(c.last.d, "EACCES"));
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "data\0x5\0", 8) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "data\0", 5) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_SET_PERMS, 0, "data\0n5", 7) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	/* a backend directory the guest may read but not write */
	EXPECT(xs_mkdir(xs, "/local/domain/0/backend/vif/5/0") == 0);
	EXPECT(xs_set_perms(xs, "/local/domain/0/backend/vif/5/0", "n0,r5") == 0);
	EXPECT(xs_write(xs, "/local/domain/0/backend/vif/5/0/feature-rx-copy", "1") == 0);
	EXPECT(STREQ(g_read(&c, 0, "/local/domain/0/backend/vif/5/0/feature-rx-copy"), "1"));
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "/local/domain/0/backend/vif/5/0"), "feature-rx-copy"));
	EXPECT(STREQ(g_write(&c, 0, "/local/domain/0/backend/vif/5/0/state", "4"), "EACCES"));
	EXPECT(STREQ(g_read(&c, 0, "/local/domain/0/backend/vif/5"), "!EACCES"));
	/* a dom0-owned key inside the guest's device dir */
	EXPECT(xs_write(xs, "device/vif/0/backend", "/local/domain/0/backend/vif/5/0") == 0);
	EXPECT(xs_set_perms(xs, "device/vif/0/backend", "n0,r5") == 0);
	EXPECT(STREQ(g_write(&c, 0, "device/vif/0/backend", "/local/domain/6"), "EACCES"));
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "device/vif"), "EACCES"));
	EXPECT(STREQ(g_write(&c, 0, "device/vif/0/state", "1"), "OK"));
	/* privileged-only messages */
	EXPECT(rpc_s(&c, XS_INTRODUCE, 0, "1", "2", true) == XS_ERROR && STREQ(c.last.d, "EACCES"));
	EXPECT(rpc_s(&c, XS_RELEASE, 0, "6", NULL, false) == XS_ERROR && STREQ(c.last.d, "EACCES"));
	EXPECT(rpc_s(&c, XS_SET_TARGET, 0, "6", "5", true) == XS_ERROR && STREQ(c.last.d, "EACCES"));
	EXPECT(rpc_s(&c, XS_CONTROL, 0, "print", "x", true) == XS_ERROR && STREQ(c.last.d, "EACCES"));
	c_fini(&c);
	xs_free(xs);
}

static void limits(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	static char big[XS_PAYLOAD_MAX + 16];
	struct xs_stats st;
	unsigned int i, ok = 0, nospc = 0;
	char p[64];

	c_init(&c, xs);
	/* a value that fills the payload: fine; one byte more is a protocol error */
	memset(big, 'v', sizeof(big));
	memcpy(big, "data/v", 7);
	EXPECT(rpc(&c, XS_WRITE, 0, big, XS_PAYLOAD_MAX) == XS_WRITE);
	EXPECT(rpc_s(&c, XS_READ, 0, "data/v", NULL, false) == XS_READ &&
	       c.last.len == XS_PAYLOAD_MAX - 7);
	EXPECT(xs_write_bytes(xs, "data/v2", big, XS_VALUE_MAX + 1) == -E2BIG);
	/* path length */
	memset(big, 'a', sizeof(big));
	for (i = 1; i < XS_PATH_MAX + 10; i += 2)
		big[i] = '/';
	big[XS_PATH_MAX - 9] = 0;	/* resolves to more than XS_PATH_MAX */
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, big), "E2BIG"));
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[XS_PATH_MAX + 1] = 0;
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, big), "E2BIG"));
	big[XS_PATH_MAX] = 0;	/* exactly the limit: fine (a long name in /) */
	EXPECT(STREQ(g_op(&c, XS_MKDIR, 0, big), "EACCES"));
	EXPECT(xs_mkdir(xs, big) == 0);
	EXPECT(xs_rm(xs, big) == 0);
	/* depth */
	{
		char deep[2 * XS_DEPTH_MAX + 8];

		for (i = 0; i < XS_DEPTH_MAX + 1; i++) {
			deep[2 * i] = 'd';
			deep[2 * i + 1] = '/';
		}
		deep[2 * (XS_DEPTH_MAX + 1) - 1] = 0;
		EXPECT(STREQ(g_write(&c, 0, deep, "x"), "E2BIG"));
		deep[2 * (XS_DEPTH_MAX - 8) - 1] = 0;
		EXPECT(STREQ(g_write(&c, 0, deep, "x"), "OK"));
		EXPECT(STREQ(g_op(&c, XS_RM, 0, "d"), "OK"));
	}
	/* node quota */
	for (i = 0; i < XS_GUEST_NODES_MAX + 10; i++) {
		const char *r;

		snprintf(p, sizeof(p), "data/n%u", i);
		r = g_write(&c, 0, p, "x");
		if (STREQ(r, "OK"))
			ok++;
		else if (STREQ(r, "ENOSPC"))
			nospc++;
	}
	xs_get_stats(xs, &st);
	EXPECT(st.guest_nodes == XS_GUEST_NODES_MAX);
	EXPECT(nospc == 10 + XS_GUEST_NODES_MAX - ok && nospc >= 10);
	/* the toolstack is not limited; the big directory needs DIRECTORY_PART */
	EXPECT(STREQ(g_list(&c, XS_DIRECTORY, 0, "data"), "!E2BIG"));
	{
		unsigned long long off = 0;
		unsigned int names = 0, rounds = 0;
		bool done = false;
		char gen0[32] = "";

		while (!done && rounds++ < 100) {
			char o[24];
			uint32_t j;
			size_t gl;

			snprintf(o, sizeof(o), "%llu", off);
			if (rpc_s(&c, XS_DIRECTORY_PART, 0, "data", o, true) != XS_DIRECTORY_PART)
				break;
			gl = strlen(c.last.d) + 1;
			if (!gen0[0])
				snprintf(gen0, sizeof(gen0), "%.20s", c.last.d);
			EXPECT(STREQ(gen0, c.last.d));
			for (j = (uint32_t)gl; j < c.last.len; ) {
				size_t l = strlen(c.last.d + j);

				if (!l) {
					done = true;
					break;
				}
				names++;
				j += (uint32_t)l + 1;
				off += l + 1;
			}
		}
		EXPECT(done);
		EXPECT(names == 1 + ok);	/* v plus the n<i> */
		EXPECT(rpc_s(&c, XS_DIRECTORY_PART, 0, "data", "99999999", true) == XS_ERROR);
	}
	EXPECT(STREQ(g_op(&c, XS_RM, 0, "data"), "OK"));
	xs_get_stats(xs, &st);
	EXPECT(st.guest_nodes < 20);

	/* a guest that never reads its events: output stays bounded */
	{
		static char tok[2048];
		unsigned long before;

		memset(tok, 't', sizeof(tok) - 1);
		EXPECT(STREQ(g_watch(&c, true, "control", tok), "OK"));
		before = c.events;
		for (i = 0; i < 3000; i++)
			xs_write(xs, "control/shutdown", (i & 1) ? "reboot" : "");
		xs_get_stats(xs, &st);
		EXPECT(st.dropped_events > 0);
		EXPECT(st.dropped_events < 3000);
		for (i = 0; i < 10000 && c.events - before + st.dropped_events < 3000; i++)
			g_event(&c);
		EXPECT(c.events - before + st.dropped_events == 3000);
		EXPECT(STREQ(g_read(&c, 0, "control/shutdown"), "reboot"));
	}
	c_fini(&c);
	xs_free(xs);
}

static void malformed(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	struct xs_msg_hdr h;

	c_init(&c, xs);
	/* non-NUL-terminated path, empty payload, unknown types */
	EXPECT(rpc(&c, XS_READ, 0, "name", 4) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_READ, 0, "", 0) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_READ, 0, "", 1) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_WATCH, 0, "data\0tok", 8) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_WATCH, 0, "data", 4) == XS_ERROR);
	EXPECT(rpc(&c, 99, 0, "x", 1) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, 0xffffffffu, 0, "", 0) == XS_ERROR);
	EXPECT(rpc(&c, XS_WATCH_EVENT, 0, "a\0b\0", 4) == XS_ERROR);
	EXPECT(rpc(&c, XS_ERROR, 0, "EINVAL", 7) == XS_ERROR);
	EXPECT(rpc(&c, 24, 0, "", 0) == XS_ERROR && STREQ(c.last.d, "ENOSYS"));
	EXPECT(rpc(&c, XS_READ, 0, "da\xfft\0", 6) == XS_ERROR && STREQ(c.last.d, "EINVAL"));
	EXPECT(rpc(&c, XS_READ, 0, "data/../name\0", 13) == XS_ERROR);
	EXPECT(rpc(&c, XS_TRANSACTION_START, 0, "x\0", 2) == XS_ERROR);
	/* a message dribbled in one byte per notification */
	{
		const char pl[] = "name";
		unsigned char msg[16 + sizeof(pl)];
		unsigned int i;

		h = (struct xs_msg_hdr){ XS_READ, 777, 0, sizeof(pl) };
		memcpy(msg, &h, 16);
		memcpy(msg + 16, pl, sizeof(pl));
		c.have_reply = false;
		for (i = 0; i < sizeof(msg); i++) {
			c_put(&c, msg + i, 1, true);
			c_pump(&c);
			EXPECT(c.have_reply == (i == sizeof(msg) - 1));
		}
		EXPECT(c.last.req_id == 777 && c.last.len == 1 && c.last.d[0] == 'g');
	}
	/* many messages: indices wrap the ring many times */
	{
		unsigned int i, good = 0;

		for (i = 0; i < 2000; i++)
			good += STREQ(g_read(&c, 0, "name"), "g");
		EXPECT(good == 2000);
		EXPECT(c.r->req_prod > 20u * 1024);
	}
	EXPECT(c.oversize == 0);

	/* header with len > 4096: protocol error, connection dead */
	h = (struct xs_msg_hdr){ XS_READ, 1, 0, XS_PAYLOAD_MAX + 1 };
	c_put(&c, &h, 16, false);
	EXPECT(xs_ring_process(xs) == -EPROTO);
	EXPECT(c.r->error == XS_ERR_PROTO);
	EXPECT(xs_ring_process(xs) == -EPROTO);
	/* reconnection brings it back */
	c.r->connection = XS_CONN_RECONNECT;
	EXPECT(xs_ring_process(xs) == 0);
	EXPECT(c.r->connection == XS_CONN_CONNECTED && c.r->error == 0);
	EXPECT(c.r->req_prod == 0 && c.r->rsp_prod == 0);
	c.rx_have = 0;
	EXPECT(STREQ(g_read(&c, 0, "name"), "g"));

	/* bad request index */
	c.r->req_prod = c.r->req_cons + 2000;
	EXPECT(xs_ring_process(xs) == -EIO);
	EXPECT(c.r->error == XS_ERR_RINGIDX);
	c.r->connection = XS_CONN_RECONNECT;
	EXPECT(xs_ring_process(xs) == 0);
	c.rx_have = 0;
	EXPECT(STREQ(g_read(&c, 0, "name"), "g"));
	/* bad response index (consumer ahead of producer) */
	c.r->rsp_cons = c.r->rsp_prod + 5;
	EXPECT(xs_write(xs, "data/x", "1") == 0);
	EXPECT(STREQ(g_watch(&c, true, "data", "t"), "(no reply)"));
	EXPECT(xs_ring_process(xs) == -EIO);
	{
		struct xs_stats st;

		xs_get_stats(xs, &st);
		EXPECT(st.ring_error == -EIO);
	}
	c.r->connection = XS_CONN_RECONNECT;
	EXPECT(xs_ring_process(xs) == 0);
	c.rx_have = 0;
	EXPECT(STREQ(g_read(&c, 0, "name"), "g"));
	EXPECT(xs_ring_process(xs) == 0);
	c_fini(&c);
	EXPECT(xs_ring_process(xs) == -ENOTCONN);

	/* indices near 2^32 (a restored page) */
	c_init(&c, xs);
	c_fini(&c);
	{
		struct xs_ring_page *r = aligned_alloc(4096, 4096);

		memset(r, 0, 4096);
		r->req_cons = r->req_prod = 0xfffffe00u;
		r->rsp_cons = r->rsp_prod = 0xffffff00u;
		memset(&c, 0, sizeof(c));
		c.r = r;
		c.xs = xs;
		xs_attach_ring(xs, r, on_notify, &c);
		for (int i = 0; i < 100; i++)
			EXPECT(STREQ(g_read(&c, 0, "name"), "g"));
		EXPECT(r->req_prod < 0x10000u && r->rsp_prod < 0x10000u);
		c_fini(&c);
	}
	xs_free(xs);
}

/* A guest that behaves badly on purpose (xorshift PRNG: reproducible). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t fuzz_str(char *out, size_t room)
{
	static const char *const frags[] = {
		"data", "device", "control", "shutdown", "/local/domain/5",
		"/local/domain/0/backend", "/local/domain/6", "/", "//", "@x",
		"vbd", "51712", "state", "..", "a-b_c", "@releaseDomain", "",
		"/local", "name", "memory", "target", "x y", "\xff", "%s",
	};
	static const char *const heads[] = {
		"data", "device/vbd", "control", "/local/domain/5/data",
		"/local/domain/0/backend", "data/t", "device",
	};
	static const char *const comps[] = {
		"a", "b", "state", "51712", "x-y", "ring_ref", "@v",
	};
	size_t n = 0, parts = rnd() % 6;

	if (rnd() % 3) {	/* mostly well-formed paths */
		const char *h = heads[rnd() % (sizeof(heads) / sizeof(heads[0]))];

		n = (size_t)snprintf(out, room, "%s", h);
		for (parts = rnd() % 4; parts && n + 12 < room; parts--)
			n += (size_t)snprintf(out + n, room - n, "/%s",
					      comps[rnd() % (sizeof(comps) / sizeof(comps[0]))]);
		return n < room ? n : room - 1;
	}
	while (parts--) {
		const char *f = frags[rnd() % (sizeof(frags) / sizeof(frags[0]))];
		size_t l = strlen(f);

		if (n + l + 2 >= room)
			break;
		memcpy(out + n, f, l);
		n += l;
		if (rnd() % 3)
			out[n++] = '/';
	}
	if (rnd() % 8 == 0)
		while (n + 1 < room && rnd() % 64)
			out[n++] = (char)('a' + rnd() % 26);
	return n;
}

static void fuzz(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct client c;
	static char pl[XS_PAYLOAD_MAX];
	uint32_t txs[8] = { 0 };
	unsigned int i, replies = 0, sent = 0;
	struct lw_log lw = { 0 };
	struct xs_stats st;

	c_init(&c, xs);
	EXPECT(xs_watch_local(xs, "/", lw_cb, &lw) == 0);
	for (i = 0; i < 100000; i++) {
		static const uint8_t common[] = {
			XS_READ, XS_WRITE, XS_WRITE, XS_MKDIR, XS_RM, XS_DIRECTORY,
			XS_WATCH, XS_UNWATCH, XS_TRANSACTION_START,
			XS_TRANSACTION_END, XS_GET_PERMS, XS_SET_PERMS,
			XS_DIRECTORY_PART,
		};
		uint32_t type = common[rnd() % sizeof(common)], tx = 0, len = 0, k;
		int t;

		if (rnd() % 4 == 0)
			type = rnd() % 28;
		if (rnd() % 50 == 0)
			type = rnd();
		k = rnd() % 20;
		if (k < 3)
			tx = txs[rnd() % 8];
		else if (k == 3)
			tx = rnd() % 64;
		switch (rnd() % 4) {
		case 0:	/* random bytes */
			len = rnd() % 16 ? rnd() % 64 : rnd() % (XS_PAYLOAD_MAX + 1);
			for (k = 0; k < len; k++)
				pl[k] = (char)rnd();
			break;
		default: {	/* strings, NUL-terminated or not */
			unsigned int args = 1 + rnd() % 3;

			while (args--) {
				len += (uint32_t)fuzz_str(pl + len, sizeof(pl) - len - 1);
				if (rnd() % 8)
					pl[len++] = 0;
			}
			if (rnd() % 16 == 0)
				len = (uint32_t)(len + rnd() % (sizeof(pl) - len + 1));
			break;
		}
		}
		t = rpc(&c, type, tx, pl, len);
		sent++;
		if (t >= 0)
			replies++;
		if (t == XS_TRANSACTION_START)
			txs[rnd() % 8] = (uint32_t)strtoul(c.last.d, NULL, 10);
		/* the toolstack keeps working alongside */
		if (rnd() % 64 == 0) {
			char p[64];

			snprintf(p, sizeof(p), "data/ts%u", rnd() % 32);
			if (rnd() % 2)
				xs_write(xs, p, "v");
			else
				xs_rm(xs, p);
		}
		if (rnd() % 1024 == 0)
			c.ev_n = 0;
	}
	EXPECT(replies == sent);
	EXPECT(c.oversize == 0);
	xs_get_stats(xs, &st);
	EXPECT(st.ring_error == 0);
	EXPECT(st.guest_nodes <= XS_GUEST_NODES_MAX + XS_GUEST_TX_MAX * 256);
	EXPECT(st.requests >= 100000);
	EXPECT(lw.n > 1);
	/* still a working store */
	EXPECT(STREQ(g_read(&c, 0, "name"), "g"));

	/* hostile indices: random corruption, then a reconnection each time */
	for (i = 0; i < 2000; i++) {
		int r;

		switch (rnd() % 4) {
		case 0: c.r->req_prod = rnd(); break;
		case 1: c.r->rsp_cons = rnd(); break;
		case 2: c.r->req_prod += rnd() % 1100; break;
		default:
			for (unsigned int k = 0; k < 1024; k++)
				c.r->req[k] = (char)rnd();
			c.r->req_prod += rnd() % 1024;
			break;
		}
		r = xs_ring_process(xs);
		EXPECT(r == 0 || r == 1 || r == -EIO || r == -EPROTO);
		c.r->connection = XS_CONN_RECONNECT;
		EXPECT(xs_ring_process(xs) >= 0);
		c.rx_have = 0;
		c.ev_n = 0;
	}
	EXPECT(STREQ(g_read(&c, 0, "name"), "g"));
	c_fini(&c);
	xs_free(xs);
}

/* The launcher's shape: one thread serves the ring, the guest runs apart. */
struct srv {
	struct xs_store *xs;
	volatile int stop;
	unsigned long loops;
	int err;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int r = xs_ring_process(s->xs);

		if (r < 0)
			s->err = r;
		if (++s->loops % 64 == 0)
			xs_write(s->xs, "data/ts", (s->loops & 64) ? "1" : "2");
		sched_yield();
	}
	return NULL;
}

static void threaded(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	struct srv s = { .xs = xs };
	struct client c;
	pthread_t th;
	unsigned int i, good = 0;

	c_init(&c, xs);
	c.threaded = true;
	EXPECT(pthread_create(&th, NULL, srv_main, &s) == 0);
	EXPECT(STREQ(g_watch(&c, true, "data", "w"), "OK"));
	for (i = 0; i < 3000; i++) {
		char p[32], v[32];

		snprintf(p, sizeof(p), "data/k%u", i % 50);
		snprintf(v, sizeof(v), "value-%u", i);
		good += STREQ(g_write(&c, 0, p, v), "OK");
		good += STREQ(g_read(&c, 0, p), v);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	EXPECT(good == 6000);
	EXPECT(s.err == 0);
	EXPECT(c.events >= 3000);
	EXPECT(c.oversize == 0);
	c_fini(&c);
	xs_free(xs);
}

int main(void)
{
	RUN(UNIT_PREFIX, initial_keys);
	RUN(UNIT_PREFIX, basic_ops);
	RUN(UNIT_PREFIX, watches);
	RUN(UNIT_PREFIX, shutdown_flow);
	RUN(UNIT_PREFIX, transactions);
	RUN(UNIT_PREFIX, permissions);
	RUN(UNIT_PREFIX, limits);
	RUN(UNIT_PREFIX, malformed);
	RUN(UNIT_PREFIX, fuzz);
	RUN(UNIT_PREFIX, threaded);
	return unit_failed;
}
