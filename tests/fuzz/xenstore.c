// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the xenstore server's wire protocol and request
 * handling (userland/xenstore/), driven the way a guest drives it: bytes
 * on the shared ring page, xs_ring_process, replies taken off the ring,
 * with the toolstack working on the same store in between.
 *
 * The store belongs to guest domain 7 with what the launcher writes for a
 * domain (xs_set_domain_info) plus backend-style nodes owned by dom0 that
 * the guest may read but not write, and a toolstack watch whose callback
 * reads the store back (as a backend would).
 *
 * Input: a sequence of records, each starting with an op byte:
 *   op % 8 = 0-3  a guest message: [type u8][tx u8][len u16 LE][payload];
 *                 the header gets the next request id; tx 0 is no
 *                 transaction, 1-8 the id of the 1st-8th transaction the
 *                 server started (so transactions are reachable), 9-255
 *                 the raw number; op 3 puts the u16 as len unchanged (a
 *                 header whose length lies), the others the payload's
 *   op % 8 = 4    raw ring bytes: [n u16 LE][n bytes], framing left to them
 *   op % 8 = 5    a toolstack call: [kind u8][path NUL][value NUL]
 *   op % 8 = 6    the guest asks for a reconnection
 *   op % 8 = 7    hostile ring indices: [which u8][u32 LE]
 * Messages larger than the ring go on in pieces, the server running in
 * between, as a guest's would.
 *
 * Oracle (besides ASan/UBSan/leaks): xs_ring_process returns only its
 * documented values; every message the server puts on the ring is well
 * framed (payload <= XS_PAYLOAD_MAX); a transaction id it hands out is a
 * number; a connection the server did not declare broken answers every
 * request with a well-formed header exactly once and in order; the store
 * still answers the toolstack, and after a reconnection the guest, at the
 * end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstore.h"

#define DOMID 7

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-xenstore: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct guest {
	struct xs_store *xs;
	struct xs_ring_page *r;
	unsigned char rx[16 + XS_PAYLOAD_MAX];
	size_t rx_have;
	uint32_t next_id;
	uint32_t txids[8];
	unsigned int ntx;
	/* requests sent whole with an honest header since the last
	 * (re)connection, and replies seen; -1 when the ordering is off
	 * (raw bytes, lying headers, index games) */
	uint32_t expect_id[64];
	unsigned int ex_head, ex_n;
	bool ordered;
	bool rsp_broken;	/* the guest moved rsp_cons itself: no framing */
};

static void on_notify(void *opaque)
{
	(void)opaque;
}

static void ts_cb(void *opaque, const char *path)
{
	struct xs_store *xs = opaque;
	char buf[64];

	/* a backend reads what changed; the store may be re-entered here */
	xs_read(xs, path, buf, sizeof(buf));
}

/* Take the server's output off the response ring and check its framing;
 * true if there was any. */
static bool pump(struct guest *g)
{
	struct xs_ring_page *r = g->r;
	bool any = false;

	for (;;) {
		uint32_t prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
		uint32_t cons = r->rsp_cons, want, n, i;
		struct xs_msg_hdr h;

		if (prod == cons || prod - cons > XS_RING_SIZE)
			return any;	/* nothing, or rsp_cons broken by an op 7 */
		any = true;
		if (g->rsp_broken) {
			/* the guest lost its place: it can only drop bytes */
			__atomic_store_n(&r->rsp_cons, prod, __ATOMIC_RELEASE);
			continue;
		}
		if (g->rx_have < 16) {
			want = 16 - (uint32_t)g->rx_have;
		} else {
			memcpy(&h, g->rx, 16);
			want = 16 + h.len - (uint32_t)g->rx_have;
		}
		n = prod - cons < want ? prod - cons : want;
		for (i = 0; i < n; i++)
			g->rx[g->rx_have + i] = (unsigned char)r->rsp[(cons + i) & (XS_RING_SIZE - 1)];
		__atomic_store_n(&r->rsp_cons, cons + n, __ATOMIC_RELEASE);
		g->rx_have += n;
		if (g->rx_have < 16)
			continue;
		memcpy(&h, g->rx, 16);
		CHECK(h.len <= XS_PAYLOAD_MAX);
		if (g->rx_have < 16 + h.len)
			continue;
		g->rx_have = 0;
		if (h.type == XS_WATCH_EVENT)
			continue;
		if (g->ordered && g->ex_n) {
			CHECK(h.req_id == g->expect_id[g->ex_head]);
			g->ex_head = (g->ex_head + 1) % 64;
			g->ex_n--;
		}
		if (h.type == XS_TRANSACTION_START) {
			char num[16];
			size_t l = h.len < sizeof(num) - 1 ? h.len : sizeof(num) - 1;
			char *end;
			unsigned long id;

			memcpy(num, g->rx + 16, l);
			num[l] = 0;
			id = strtoul(num, &end, 10);
			CHECK(end != num && *end == 0 && h.len == (size_t)(end - num) + 1);
			g->txids[g->ntx++ % 8] = (uint32_t)id;
		}
	}
}

/* Run the server until it has nothing more to say (its output is bounded
 * by XS_OUT_MAX: at most 4096 ring-fulls). */
static void process(struct guest *g)
{
	int i, r;
	bool more;

	for (i = 0; i < 8192; i++) {
		r = xs_ring_process(g->xs);
		CHECK(r == 0 || r == 1 || r == -EIO || r == -EPROTO);
		if (r < 0)
			g->ordered = false;
		more = pump(g);
		if (r != 1 && !more)
			break;
	}
}

/* Put bytes on the request ring, letting the server run when it is full. */
static bool put(struct guest *g, const void *data, size_t len)
{
	const unsigned char *d = data;
	int spins = 0;

	while (len) {
		uint32_t prod = g->r->req_prod;
		uint32_t cons = __atomic_load_n(&g->r->req_cons, __ATOMIC_ACQUIRE);
		uint32_t space = XS_RING_SIZE - (prod - cons), n, i;

		if (prod - cons > XS_RING_SIZE)
			return false;	/* indices broken by an op 7 */
		if (!space) {
			if (++spins > 8)
				return false;
			process(g);
			continue;
		}
		n = len < space ? (uint32_t)len : space;
		for (i = 0; i < n; i++)
			g->r->req[(prod + i) & (XS_RING_SIZE - 1)] = (char)d[i];
		__atomic_store_n(&g->r->req_prod, prod + n, __ATOMIC_RELEASE);
		d += n;
		len -= n;
	}
	return true;
}

static void reconnect(struct guest *g)
{
	g->r->connection = XS_CONN_RECONNECT;
	process(g);
	CHECK(g->r->connection == XS_CONN_CONNECTED);
	g->rx_have = 0;
	g->ex_n = 0;
	g->ordered = true;
	g->rsp_broken = false;
}

static const char *cstr(const uint8_t **p, const uint8_t *end)
{
	static char buf[2][XS_PATH_MAX + 64];
	static int slot;
	char *b = buf[slot++ & 1];
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	size_t l = z ? (size_t)(z - *p) : (size_t)(end - *p);

	if (l >= sizeof(buf[0]))
		l = sizeof(buf[0]) - 1;
	memcpy(b, *p, l);
	b[l] = 0;
	*p = z ? z + 1 : end;
	return b;
}

static void toolstack(struct xs_store *xs, const uint8_t **p, const uint8_t *end)
{
	char buf[256];
	unsigned int kind;
	const char *path, *val;

	if (*p >= end)
		return;
	kind = *(*p)++;
	path = cstr(p, end);
	val = cstr(p, end);
	switch (kind % 9) {
	case 0: xs_write(xs, path, val); break;
	case 1: xs_rm(xs, path); break;
	case 2: xs_mkdir(xs, path); break;
	case 3: xs_set_perms(xs, path, val); break;
	case 4: xs_read(xs, path, buf, sizeof(buf)); break;
	case 5: xs_directory(xs, path, buf, sizeof(buf)); break;
	case 6: xs_get_perms(xs, path, buf, sizeof(buf)); break;
	case 7: xs_watch_local(xs, path, ts_cb, xs); break;
	default: xs_unwatch_local(xs, path, ts_cb, xs); break;
	}
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct guest g = { .ordered = true };
	struct xs_stats st;
	char buf[64];

	g.xs = xs_new(DOMID, "fuzz");
	CHECK(g.xs);
	CHECK(xs_set_domain_info(g.xs, 262144, 262144, 2) == 0);
	/* a backend's nodes: dom0's, readable by the guest */
	CHECK(xs_write(g.xs, "/local/domain/0/backend/vbd/7/51712/state", "1") == 0);
	CHECK(xs_set_perms(g.xs, "/local/domain/0/backend/vbd/7/51712", "n0,r7") == 0);
	CHECK(xs_write(g.xs, "device/vbd/51712/backend",
		       "/local/domain/0/backend/vbd/7/51712") == 0);
	CHECK(xs_watch_local(g.xs, "device", ts_cb, g.xs) == 0);
	g.r = aligned_alloc(4096, 4096);
	CHECK(g.r);
	memset(g.r, 0, 4096);
	CHECK(xs_attach_ring(g.xs, g.r, on_notify, NULL) == 0);

	while (p < end) {
		unsigned int op = *p++ % 8;

		if (op <= 3) {
			struct xs_msg_hdr h;
			unsigned int tx;
			size_t len;

			if (end - p < 4)
				break;
			h.type = p[0];
			tx = p[1];
			len = rd16(p + 2);
			p += 4;
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			h.req_id = ++g.next_id;
			h.tx_id = tx == 0 ? 0 : tx <= 8 ? g.txids[tx - 1] : tx;
			h.len = op == 3 ? rd16(p - 2) : (uint32_t)len;
			if (h.len != len || h.len > XS_PAYLOAD_MAX)
				g.ordered = false;
			if (g.ordered) {
				if (g.ex_n == 64) {
					g.ordered = false;
				} else {
					g.expect_id[(g.ex_head + g.ex_n) % 64] = h.req_id;
					g.ex_n++;
				}
			}
			if (!put(&g, &h, sizeof(h)) || !put(&g, p, len))
				g.ordered = false;
			p += len;
		} else if (op == 4) {
			size_t n;

			if (end - p < 2)
				break;
			n = rd16(p);
			p += 2;
			if (n > (size_t)(end - p))
				n = (size_t)(end - p);
			g.ordered = false;
			put(&g, p, n);
			p += n;
		} else if (op == 5) {
			toolstack(g.xs, &p, end);
		} else if (op == 6) {
			reconnect(&g);
		} else {
			uint32_t v;

			if (end - p < 5)
				break;
			memcpy(&v, p + 1, 4);
			switch (p[0] % 3) {
			case 0: g.r->req_prod = v; break;
			case 1: g.r->rsp_cons = v; g.rsp_broken = true; break;
			default: g.r->req_prod += v % 2048; break;
			}
			p += 5;
			g.ordered = false;
		}
		process(&g);
	}
	process(&g);
	/* an honest guest whose replies all came got every one of them */
	xs_get_stats(g.xs, &st);
	if (g.ordered && !st.ring_error && g.rx_have == 0)
		CHECK(g.ex_n == 0);
	/* a reconnection always brings the guest back */
	reconnect(&g);
	CHECK(xs_write(g.xs, "/fuzz-check", "ok") == 0);
	CHECK(xs_read(g.xs, "/fuzz-check", buf, sizeof(buf)) == 2 && !strcmp(buf, "ok"));
	{
		static const char req[] = "/fuzz-check";
		struct xs_msg_hdr h = { XS_READ, ++g.next_id, 0, sizeof(req) };

		g.expect_id[(g.ex_head + g.ex_n) % 64] = h.req_id;
		g.ex_n++;
		CHECK(put(&g, &h, sizeof(h)) && put(&g, req, sizeof(req)));
		process(&g);
		CHECK(g.ex_n == 0);
	}
	xs_attach_ring(g.xs, NULL, NULL, NULL);
	xs_free(g.xs);
	free(g.r);
	return 0;
}
