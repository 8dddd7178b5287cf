// SPDX-License-Identifier: MIT
/* xst: helpers. */
#include "xst.h"

void on_notify(void *opaque)
{
	((struct client *)opaque)->notifies++;
}

void c_init(struct client *c, struct xs_store *xs)
{
	memset(c, 0, sizeof(*c));
	c->r = aligned_alloc(4096, 4096);
	memset(c->r, 0, 4096);
	c->xs = xs;
	xs_attach_ring(xs, c->r, on_notify, c);
}

void c_fini(struct client *c)
{
	xs_attach_ring(c->xs, NULL, NULL, NULL);
	free(c->r);
	c->r = NULL;
}

/* Guest side: take whatever the server put on the response ring. */
void c_pump(struct client *c)
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
int c_put(struct client *c, const void *data, size_t len, bool process)
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
int rpc(struct client *c, uint32_t type, uint32_t tx, const void *pl,
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
int rpc_s(struct client *c, uint32_t type, uint32_t tx, const char *a,
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
const char *res(struct client *c, int type)
{
	if (type < 0)
		return "(no reply)";
	if (type == XS_ERROR)
		return c->last.d;
	return type == XS_WATCH || type == XS_UNWATCH || c->last.len == 3 ?
	       c->last.d : "(data)";
}

const char *g_write(struct client *c, uint32_t tx, const char *p, const char *v)
{
	return res(c, rpc_s(c, XS_WRITE, tx, p, v, false));
}

const char *g_op(struct client *c, uint32_t type, uint32_t tx, const char *p)
{
	return res(c, rpc_s(c, type, tx, p, NULL, false));
}

/* Value, or "!ERR". */
const char *g_read(struct client *c, uint32_t tx, const char *p)
{
	static char buf[XS_PAYLOAD_MAX + 2];
	int t = rpc_s(c, XS_READ, tx, p, NULL, false);

	if (t == XS_READ)
		return c->last.d;
	snprintf(buf, sizeof(buf), "!%s", t < 0 ? "none" : c->last.d);
	return buf;
}

/* Children joined with ',' (or "!ERR"); type DIRECTORY or GET_PERMS. */
const char *g_list(struct client *c, uint32_t type, uint32_t tx, const char *p)
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

const char *g_watch(struct client *c, bool add, const char *p, const char *tok)
{
	return res(c, rpc_s(c, add ? XS_WATCH : XS_UNWATCH, 0, p, tok, true));
}

uint32_t g_tx_start(struct client *c)
{
	if (rpc(c, XS_TRANSACTION_START, 0, "", 1) != XS_TRANSACTION_START)
		return 0;
	return (uint32_t)strtoul(c->last.d, NULL, 10);
}

const char *g_tx_end(struct client *c, uint32_t tx, bool commit)
{
	return res(c, rpc_s(c, XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, false));
}

/* Pop the oldest event; "" if none. */
const char *g_event(struct client *c)
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

void g_drain_events(struct client *c)
{
	xs_ring_process(c->xs);
	c_pump(c);
	c->ev_n = 0;
}

void lw_cb(void *opaque, const char *path)
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
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

size_t fuzz_str(char *out, size_t room)
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
