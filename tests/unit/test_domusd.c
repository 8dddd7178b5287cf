// SPDX-License-Identifier: MIT
/*
 * domusd's protocol pieces (userland/domusd/): XDR encoding and bounded
 * decoding, the packet framing, and the dispatch of whole packets against
 * fake domains (the connect sequence virsh makes, listing, lookups,
 * info/state, dumpxml, errors, keepalive, malformed input).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include "ctl.h"
#include "procs.h"
#include "rpc.h"
#include "unit.h"

#include "domusd_fake.h"	/* the fake domains */

/* ---- packets ---- */

static void call_pkt(struct xdr_out *x, uint32_t prog, int32_t proc, uint32_t type, uint32_t serial)
{
	xdr_out_reset(x);
	xdr_put_u32(x, 0);
	xdr_put_u32(x, prog);
	xdr_put_u32(x, RPC_VERS);
	xdr_put_i32(x, proc);
	xdr_put_u32(x, type);
	xdr_put_u32(x, serial);
	xdr_put_u32(x, RPC_OK);
}

static void put_dom(struct xdr_out *x, const char *name, const uint8_t *uuid, int32_t id)
{
	static const uint8_t zero[16];

	xdr_put_string(x, name);
	xdr_put_fixed(x, uuid ? uuid : zero, 16);
	xdr_put_i32(x, id);
}

struct reply {
	int rc;
	struct rpc_header h;
	struct xdr_in body;
	int code;		/* the error's code (status ERROR) */
	char msg[256];
};

static struct xdr_out out_buf;

/* Send the packet in @x (its length patched) and decode the answer. */
static struct reply send_pkt(struct rpc_session *s, struct xdr_out *x)
{
	struct reply r;
	const uint8_t *p;
	size_t n;

	memset(&r, 0, sizeof(r));
	xdr_patch_u32(x, 0, (uint32_t)x->len);
	r.rc = rpc_handle_packet(s, x->buf, x->len, &out_buf);
	r.h.type = 99;
	if (!out_buf.len || rpc_frame_parse(out_buf.buf, out_buf.len, &r.h, &p, &n))
		return r;
	xdr_in_init(&r.body, p, n);
	if (r.h.status == RPC_ERROR) {
		char *m = NULL;

		r.code = xdr_get_i32(&r.body);
		xdr_get_i32(&r.body);
		if (xdr_get_opt_string(&r.body, RPC_STRING_MAX, &m) && m)
			snprintf(r.msg, sizeof(r.msg), "%s", m);
		free(m);
	}
	return r;
}

static struct reply simple(struct rpc_session *s, int32_t proc, uint32_t serial)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1 << 16);
	call_pkt(&x, RPC_PROG_REMOTE, proc, RPC_CALL, serial);
	r = send_pkt(s, &x);
	xdr_out_free(&x);
	return r;
}

static void open_session(struct rpc_session *s)
{
	struct xdr_out x;
	struct reply r;

	rpc_session_init(s, &fake, false);
	xdr_out_init(&x, 1 << 16);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_OPEN, RPC_CALL, 2);
	xdr_put_opt_string(&x, "domus:///system");
	xdr_put_u32(&x, 0);
	r = send_pkt(s, &x);
	EXPECT(r.rc == 0 && r.h.status == RPC_OK && s->open);
	xdr_out_free(&x);
}

/* ---- XDR ---- */

static void xdr_roundtrip(void)
{
	struct xdr_out o;
	struct xdr_in in;
	uint8_t u[16], back[16];
	char *s, *t;
	int i;

	for (i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	xdr_out_init(&o, 4096);
	xdr_put_u32(&o, 0xdeadbeef);
	xdr_put_i32(&o, -2);
	xdr_put_u64(&o, 0x0102030405060708ull);
	xdr_put_string(&o, "abcde");
	xdr_put_opt_string(&o, NULL);
	xdr_put_opt_string(&o, "xy");
	xdr_put_fixed(&o, u, 16);
	xdr_put_chars(&o, "ab", 3);
	EXPECT(!o.err);
	/* 4 + 4 + 8 + (4 + 8) + 4 + (4 + 4 + 4) + 16 + 12 */
	EXPECT(o.len == 72);
	EXPECT(o.buf[0] == 0xde && o.buf[3] == 0xef && o.buf[8] == 1 && o.buf[15] == 8);
	EXPECT(o.buf[16 + 3] == 5 && o.buf[16 + 4] == 'a' && o.buf[16 + 9] == 0);	/* zero pad */
	xdr_in_init(&in, o.buf, o.len);
	EXPECT(xdr_get_u32(&in) == 0xdeadbeef);
	EXPECT(xdr_get_i32(&in) == -2);
	EXPECT(xdr_get_u64(&in) == 0x0102030405060708ull);
	s = xdr_get_string(&in, 100);
	EXPECT(s && !strcmp(s, "abcde"));
	EXPECT(xdr_get_opt_string(&in, 100, &t) && !t);
	EXPECT(xdr_get_opt_string(&in, 100, &t) && t && !strcmp(t, "xy"));
	xdr_get_fixed(&in, back, 16);
	EXPECT(!memcmp(u, back, 16));
	EXPECT(xdr_get_i32(&in) == 'a' && xdr_get_i32(&in) == 'b' && xdr_get_i32(&in) == 0);
	EXPECT(xdr_in_done(&in));
	free(s);
	free(t);
	xdr_out_free(&o);
}

static void xdr_hostile(void)
{
	static const uint8_t too_long[] = { 0, 0, 0, 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0, 0, 0 };
	static const uint8_t truncated[] = { 0, 0, 0, 8, 'a', 'b', 'c' };
	static const uint8_t bad_pad[] = { 0, 0, 0, 1, 'a', 1, 0, 0 };
	static const uint8_t nul[] = { 0, 0, 0, 2, 'a', 0, 0, 0 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t disc[] = { 0, 0, 0, 2 };
	struct xdr_in in;
	char *s;

	xdr_in_init(&in, too_long, sizeof(too_long));
	EXPECT(!xdr_get_string(&in, 8) && in.err);
	xdr_in_init(&in, truncated, sizeof(truncated));
	EXPECT(!xdr_get_string(&in, 100) && in.err);
	xdr_in_init(&in, bad_pad, sizeof(bad_pad));
	EXPECT(!xdr_get_string(&in, 100) && in.err);
	xdr_in_init(&in, nul, sizeof(nul));
	EXPECT(!xdr_get_string(&in, 100) && in.err);
	xdr_in_init(&in, huge, sizeof(huge));
	EXPECT(!xdr_get_string(&in, RPC_STRING_MAX) && in.err);
	xdr_in_init(&in, disc, sizeof(disc));
	EXPECT(!xdr_get_opt_string(&in, 100, &s) && !s);
	/* errors stick; reading past the end gives zeros */
	xdr_in_init(&in, disc, 2);
	EXPECT(xdr_get_u32(&in) == 0 && in.err && !xdr_in_done(&in));
	xdr_in_init(&in, disc, 4);
	xdr_get_u32(&in);
	EXPECT(xdr_in_done(&in));
}

static void xdr_out_cap(void)
{
	struct xdr_out o;
	char big[200];
	size_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	xdr_out_init(&o, 64);
	xdr_put_string(&o, big);
	EXPECT(o.err && o.len <= 64);
	n = o.len;
	xdr_put_u32(&o, 1);		/* the error sticks */
	EXPECT(o.err && o.len == n);
	xdr_out_reset(&o);
	xdr_put_u64(&o, 1);
	EXPECT(!o.err && o.len == 8);
	xdr_out_free(&o);
}

/* ---- framing ---- */

static void framing(void)
{
	uint8_t w[4] = { 0, 0, 0, 28 };
	struct xdr_out o;
	struct rpc_header h;
	const uint8_t *p;
	size_t n;

	EXPECT(rpc_frame_length(w, RPC_IN_MAX) == 28);
	w[3] = 27;
	EXPECT(rpc_frame_length(w, RPC_IN_MAX) == 0);
	w[3] = 0;
	w[1] = 0x10;		/* 1 MiB */
	EXPECT(rpc_frame_length(w, RPC_IN_MAX) == RPC_IN_MAX);
	w[3] = 1;
	EXPECT(rpc_frame_length(w, RPC_IN_MAX) == 0);
	memset(w, 0xff, 4);
	EXPECT(rpc_frame_length(w, RPC_IN_MAX) == 0);

	xdr_out_init(&o, 256);
	call_pkt(&o, RPC_PROG_REMOTE, 273, RPC_CALL, 77);
	xdr_put_u32(&o, 1);
	xdr_patch_u32(&o, 0, (uint32_t)o.len);
	EXPECT(rpc_frame_parse(o.buf, o.len, &h, &p, &n) == 0);
	EXPECT(h.prog == RPC_PROG_REMOTE && h.vers == 1 && h.proc == 273 && h.type == RPC_CALL &&
	       h.serial == 77 && h.status == RPC_OK && n == 4 && p == o.buf + 28);
	/* the length word must be the packet's length */
	EXPECT(rpc_frame_parse(o.buf, o.len - 1, &h, &p, &n) == -1);
	EXPECT(rpc_frame_parse(o.buf, 20, &h, &p, &n) == -1);
	/* an unknown type or status */
	o.buf[19] = 7;
	EXPECT(rpc_frame_parse(o.buf, o.len, &h, &p, &n) == -1);
	o.buf[19] = 0;
	o.buf[27] = 3;
	EXPECT(rpc_frame_parse(o.buf, o.len, &h, &p, &n) == -1);
	xdr_out_free(&o);
}

/* ---- dispatch ---- */

static void connect_sequence(void)
{
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;

	rpc_session_init(&s, &fake, false);
	xdr_out_init(&x, 1 << 16);
	r = simple(&s, PROC_AUTH_LIST, 0);
	EXPECT(r.rc == 0 && r.h.type == RPC_REPLY && r.h.serial == 0 && r.h.proc == PROC_AUTH_LIST);
	EXPECT(xdr_get_u32(&r.body) == 1 && xdr_get_u32(&r.body) == 0 && xdr_in_done(&r.body));
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_SUPPORTS_FEATURE, RPC_CALL, 1);
	xdr_put_i32(&x, 10);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK && xdr_get_i32(&r.body) == 1 && xdr_in_done(&r.body));
	/* before CONNECT_OPEN: refused */
	r = simple(&s, PROC_CONNECT_GET_TYPE, 2);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_RPC);
	/* a URI domusd does not serve */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_OPEN, RPC_CALL, 3);
	xdr_put_opt_string(&x, "qemu:///system");
	xdr_put_u32(&x, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_CONNECT && !s.open);
	/* unknown flag bits */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_OPEN, RPC_CALL, 4);
	xdr_put_opt_string(&x, NULL);
	xdr_put_u32(&x, 0x100);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_INVALID_ARG && !s.open);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_OPEN, RPC_CALL, 5);
	xdr_put_opt_string(&x, "domus:///system");
	xdr_put_u32(&x, 1);	/* read-only */
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK && r.h.serial == 5 && s.open && s.readonly && xdr_in_done(&r.body));
	r = simple(&s, PROC_CONNECT_GET_TYPE, 6);
	{
		char *t = xdr_get_string(&r.body, 100);

		EXPECT(t && !strcmp(t, "domus") && xdr_in_done(&r.body));
		free(t);
	}
	r = simple(&s, PROC_CONNECT_GET_VERSION, 7);
	EXPECT(r.h.status == RPC_OK && xdr_get_u64(&r.body) > 0 && xdr_in_done(&r.body));
	r = simple(&s, PROC_NODE_GET_INFO, 8);
	/* char model[32] widened to 128 bytes, then 8 + 6 * 4 */
	EXPECT(r.h.status == RPC_OK && r.body.len == 128 + 8 + 24);
	r = simple(&s, PROC_NODE_GET_SECURITY_MODEL, 9);
	EXPECT(r.h.status == RPC_OK && r.body.len == 16);
	r = simple(&s, PROC_CONNECT_REGISTER_CLOSE_CALLBACK, 10);
	EXPECT(r.h.status == RPC_OK && r.body.len == 0);
	/* unknown procedure: NO_SUPPORT, the connection stays */
	r = simple(&s, 187, 11);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_SUPPORT && r.h.serial == 11 &&
	       r.h.proc == 187);
	/* unknown program: an error reply too */
	call_pkt(&x, 0x20008087, 1, RPC_CALL, 12);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_SUPPORT);
	/* close: the OK reply, then the connection ends */
	r = simple(&s, PROC_CONNECT_CLOSE, 13);
	EXPECT(r.rc == -1 && r.h.status == RPC_OK && r.h.serial == 13);
	xdr_out_free(&x);
}

static void keepalive(void)
{
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;

	open_session(&s);
	xdr_out_init(&x, 256);
	call_pkt(&x, RPC_PROG_KEEPALIVE, RPC_KEEPALIVE_PING, RPC_MESSAGE, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && r.h.prog == RPC_PROG_KEEPALIVE && r.h.proc == RPC_KEEPALIVE_PONG &&
	       r.h.type == RPC_MESSAGE && r.h.serial == 0 && r.body.len == 0);
	/* a PONG or stream data: nothing back */
	call_pkt(&x, RPC_PROG_KEEPALIVE, RPC_KEEPALIVE_PONG, RPC_MESSAGE, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && out_buf.len == 0);
	call_pkt(&x, RPC_PROG_REMOTE, 201, RPC_STREAM, 4);
	xdr_put_u32(&x, 0x41414141);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && out_buf.len == 0);
	/* a client sending a REPLY: closed */
	call_pkt(&x, RPC_PROG_REMOTE, 1, RPC_REPLY, 4);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == -1);
	xdr_out_free(&x);
}

static void malformed_args(void)
{
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;

	open_session(&s);
	xdr_out_init(&x, 256);
	/* a trailing word after CONNECT_GET_TYPE's (void) */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_GET_TYPE, RPC_CALL, 9);
	xdr_put_u32(&x, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == -1 && r.h.status == RPC_ERROR && r.code == VIR_ERR_RPC);
	/* a domain name that claims more bytes than sent */
	open_session(&s);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_NAME, RPC_CALL, 10);
	xdr_put_u32(&x, 1000);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == -1 && r.code == VIR_ERR_RPC);
	xdr_out_free(&x);
}

/* CONNECT_LIST_ALL_DOMAINS with @flags: the count, names in @names */
static unsigned int list_all(struct rpc_session *s, int need, uint32_t flags, char *names, size_t len)
{
	struct xdr_out x;
	struct reply r;
	uint32_t n, i, ret;

	names[0] = 0;
	xdr_out_init(&x, 256);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_LIST_ALL_DOMAINS, RPC_CALL, 20);
	xdr_put_i32(&x, need);
	xdr_put_u32(&x, flags);
	r = send_pkt(s, &x);
	xdr_out_free(&x);
	if (r.h.status != RPC_OK)
		return 1000u + (unsigned int)r.code;
	n = xdr_get_u32(&r.body);
	for (i = 0; i < n && !r.body.err; i++) {
		char *nm = xdr_get_string(&r.body, 100);
		uint8_t u[16];

		xdr_get_fixed(&r.body, u, 16);
		xdr_get_i32(&r.body);
		if (nm)
			snprintf(names + strlen(names), len - strlen(names), "%s%s", *names ? "," : "", nm);
		free(nm);
	}
	ret = xdr_get_u32(&r.body);
	if (!xdr_in_done(&r.body) || (need && ret != n))
		return 2000;
	return ret;
}

static void listing(void)
{
	struct rpc_session s;
	char names[128];

	open_session(&s);
	EXPECT(list_all(&s, 1, 0, names, sizeof(names)) == 2 && !strcmp(names, "web,db"));
	EXPECT(list_all(&s, 1, 3, names, sizeof(names)) == 2);
	EXPECT(list_all(&s, 1, 2, names, sizeof(names)) == 0);	/* INACTIVE: none */
	EXPECT(list_all(&s, 1, 4, names, sizeof(names)) == 0);	/* PERSISTENT: none yet */
	EXPECT(list_all(&s, 1, 32, names, sizeof(names)) == 1 && !strcmp(names, "db"));
	EXPECT(list_all(&s, 1, 16 | 1, names, sizeof(names)) == 1 && !strcmp(names, "web"));
	EXPECT(list_all(&s, 0, 0, names, sizeof(names)) == 2 && !names[0]);
	EXPECT(list_all(&s, 1, 0x10000, names, sizeof(names)) == 1000 + VIR_ERR_INVALID_ARG);
}

static void lookups(void)
{
	static const uint8_t db_uuid[16] = { 0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 5 };
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;
	char *nm;

	open_session(&s);
	xdr_out_init(&x, 256);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_NAME, RPC_CALL, 30);
	xdr_put_string(&x, "web");
	r = send_pkt(&s, &x);
	nm = xdr_get_string(&r.body, 100);
	EXPECT(r.h.status == RPC_OK && nm && !strcmp(nm, "web"));
	free(nm);
	{
		uint8_t u[16];

		xdr_get_fixed(&r.body, u, 16);
		EXPECT(u[0] == 0x6b && u[15] == 0x82 && xdr_get_i32(&r.body) == 3 && xdr_in_done(&r.body));
	}
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_ID, RPC_CALL, 31);
	xdr_put_i32(&x, 5);
	r = send_pkt(&s, &x);
	nm = xdr_get_string(&r.body, 100);
	EXPECT(r.h.status == RPC_OK && nm && !strcmp(nm, "db"));
	free(nm);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_UUID, RPC_CALL, 32);
	xdr_put_fixed(&x, db_uuid, 16);
	r = send_pkt(&s, &x);
	nm = xdr_get_string(&r.body, 100);
	EXPECT(r.h.status == RPC_OK && nm && !strcmp(nm, "db"));
	free(nm);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_NAME, RPC_CALL, 33);
	xdr_put_string(&x, "nosuch");
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_DOMAIN && strstr(r.msg, "'nosuch'"));
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_LOOKUP_BY_ID, RPC_CALL, 34);
	xdr_put_i32(&x, -1);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_DOMAIN);
	/* a domain argument that names no domain */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_STATE, RPC_CALL, 35);
	put_dom(&x, "gone", NULL, 9);
	xdr_put_u32(&x, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.rc == 0 && r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_DOMAIN);
	xdr_out_free(&x);
}

static void info_state(void)
{
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;

	open_session(&s);
	xdr_out_init(&x, 256);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_INFO, RPC_CALL, 40);
	put_dom(&x, "web", NULL, 3);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK);
	EXPECT(xdr_get_i32(&r.body) == 1);			/* running */
	EXPECT(xdr_get_u64(&r.body) == 512 * 1024);		/* maxmem from the definition */
	EXPECT(xdr_get_u64(&r.body) == 256 * 1024);
	EXPECT(xdr_get_i32(&r.body) == 2);
	EXPECT(xdr_get_u64(&r.body) == 12500000000ull);
	EXPECT(xdr_in_done(&r.body));
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_STATE, RPC_CALL, 41);
	put_dom(&x, "db", NULL, 5);
	xdr_put_u32(&x, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK && xdr_get_i32(&r.body) == 3 && xdr_get_i32(&r.body) == 1 &&
	       xdr_in_done(&r.body));
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_STATE, RPC_CALL, 42);
	put_dom(&x, "db", NULL, 5);
	xdr_put_u32(&x, 1);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_INVALID_ARG);
	/* a domain whose launcher gives no definition: GET_INFO still answers */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_INFO, RPC_CALL, 43);
	put_dom(&x, "db", NULL, 5);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK && xdr_get_i32(&r.body) == 3 && xdr_get_u64(&r.body) == 128 * 1024);
	/* ... GET_OS_TYPE says why it cannot */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_OS_TYPE, RPC_CALL, 44);
	put_dom(&x, "db", NULL, 5);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_OPERATION_FAILED && strstr(r.msg, "'db'"));
	xdr_out_free(&x);
}

static void states(void)
{
	static const struct { const char *xl; int st, why; } t[] = {
		{ "r-----", 1, 1 }, { "-b----", 1, 1 }, { "------", 1, 1 }, { "--p---", 3, 1 },
		{ "---s--", 5, 1 }, { "---sc-", 6, 1 }, { "---s-d", 4, 1 }, { "", 0, 0 }, { "??????", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int st, why;

		domusd_dom_state(t[i].xl, &st, &why);
		if (st != t[i].st || why != t[i].why)
			printf("  state of '%s': %d %d\n", t[i].xl, st, why);
		EXPECT(st == t[i].st && why == t[i].why);
	}
}

/* The value of XPath @expr in @doc, or "" */
static void xpath(xmlDocPtr doc, const char *expr, char *out, size_t len)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
	xmlChar *v = o ? xmlXPathCastToString(o) : NULL;

	snprintf(out, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
}

static void dumpxml(void)
{
	static const struct { const char *path, *want; } t[] = {
		{ "/domain/@type", "xen" },
		{ "/domain/@id", "3" },
		{ "/domain/name", "web" },
		{ "/domain/uuid", "6bc1814c-5705-5b6e-af99-104b91962282" },
		{ "/domain/memory", "524288" },
		{ "/domain/memory/@unit", "KiB" },
		{ "/domain/currentMemory", "262144" },
		{ "/domain/vcpu", "4" },
		{ "/domain/vcpu/@current", "2" },
		{ "/domain/os/type", "xenpvh" },
		{ "/domain/os/kernel", "/boot/vmlinuz" },
		{ "/domain/os/initrd", "/boot/initrd.img" },
		{ "/domain/os/cmdline", "console=hvc0 root=/dev/xvda1" },
		{ "/domain/on_reboot", "destroy" },
		{ "/domain/on_poweroff", "destroy" },
		{ "/domain/devices/disk[1]/source/@file", "/var/lib/domus/x.img" },
		{ "/domain/devices/disk[1]/target/@dev", "xvda" },
		{ "/domain/devices/disk[1]/target/@bus", "xen" },
		{ "count(/domain/devices/disk[1]/readonly)", "0" },
		{ "count(/domain/devices/disk[2]/readonly)", "1" },
		{ "/domain/devices/interface/@type", "bridge" },
		{ "/domain/devices/interface/mac/@address", "00:16:3e:12:34:56" },
		{ "/domain/devices/interface/source/@bridge", "br1" },
		{ "/domain/devices/interface/ip/@address", "10.0.0.2" },
		{ "/domain/devices/console/target/@type", "xen" },
	};
	struct rpc_session s;
	struct xdr_out x;
	struct reply r;
	char *xml, val[256];
	xmlDocPtr doc;
	size_t i;

	open_session(&s);
	xdr_out_init(&x, 256);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_XML_DESC, RPC_CALL, 50);
	put_dom(&x, "web", NULL, 3);
	xdr_put_u32(&x, 0);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_OK);
	xml = xdr_get_string(&r.body, RPC_STRING_MAX);
	EXPECT(xml && xdr_in_done(&r.body) && strncmp(xml, "<?xml", 5));
	doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "dump.xml", NULL, XML_PARSE_NONET) : NULL;
	EXPECT(doc != NULL);
	for (i = 0; doc && i < sizeof(t) / sizeof(t[0]); i++) {
		xpath(doc, t[i].path, val, sizeof(val));
		if (strcmp(val, t[i].want))
			printf("  %s: '%s', expected '%s'\n", t[i].path, val, t[i].want);
		EXPECT(!strcmp(val, t[i].want));
	}
	xmlFreeDoc(doc);
	free(xml);
	/* INACTIVE: no id */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_XML_DESC, RPC_CALL, 51);
	put_dom(&x, "web", NULL, 3);
	xdr_put_u32(&x, 2);
	r = send_pkt(&s, &x);
	xml = xdr_get_string(&r.body, RPC_STRING_MAX);
	EXPECT(xml && !strstr(xml, " id="));
	free(xml);
	/* unknown flags */
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_GET_XML_DESC, RPC_CALL, 52);
	put_dom(&x, "web", NULL, 3);
	xdr_put_u32(&x, 16);
	r = send_pkt(&s, &x);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_INVALID_ARG);
	xdr_out_free(&x);
	xmlCleanupParser();
}

/* ---- console streams (stream.c) ---- */

static int con_peer = -1;	/* the "launcher" end of the last console */

/* web's console attaches (a socketpair); db's is held by someone else */
static int fake_console(const char *name, bool force, int *fd, char *reply, size_t len)
{
	int sv[2];

	(void)force;
	if (strcmp(name, "web")) {
		snprintf(reply, len, "the console of %s is already attached elsewhere", name);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	if (con_peer >= 0)
		close(con_peer);
	con_peer = sv[1];
	*fd = sv[0];
	return 0;
}

static struct domusd_backend fake_con;

static struct reply open_console(struct rpc_session *s, const char *name, int32_t id, const char *dev,
				 uint32_t flags, uint32_t serial)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1024);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_OPEN_CONSOLE, RPC_CALL, serial);
	put_dom(&x, name, NULL, id);
	xdr_put_opt_string(&x, dev);
	xdr_put_u32(&x, flags);
	r = send_pkt(s, &x);
	xdr_out_free(&x);
	return r;
}

/* A client STREAM packet (status @status, @n bytes of @data); the answer. */
static struct reply stream_pkt(struct rpc_session *s, uint32_t serial, uint32_t status, const void *data, size_t n)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1 << 16);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_DOMAIN_OPEN_CONSOLE, RPC_STREAM, serial);
	xdr_patch_u32(&x, 24, status);
	xdr_put_raw(&x, data, n);
	r = send_pkt(s, &x);
	xdr_out_free(&x);
	return r;
}

/* rpc_stream_output's packet: its header and payload (-1: none). */
static ssize_t stream_out(struct rpc_session *s, struct rpc_header *h, uint8_t *buf, size_t len)
{
	const uint8_t *p;
	size_t n;

	if (rpc_stream_output(s, &out_buf) != 1 || rpc_frame_parse(out_buf.buf, out_buf.len, h, &p, &n) ||
	    n > len)
		return -1;
	memcpy(buf, p, n);
	return (ssize_t)n;
}

static void console_stream(void)
{
	static uint8_t big[40000], got[RPC_STREAM_CHUNK + 16];
	struct rpc_session s;
	struct rpc_header h;
	struct reply r;
	char in[16];
	ssize_t n;

	fake_con = fake;
	fake_con.console = fake_console;
	open_session(&s);
	s.be = &fake_con;
	EXPECT(rpc_stream_fd(&s) == -1);
	/* opened: an empty REPLY, then the stream carries proc 201 and serial 9 */
	r = open_console(&s, "web", 3, NULL, 0, 9);
	EXPECT(r.rc == 0 && r.h.type == RPC_REPLY && r.h.status == RPC_OK && r.h.serial == 9 &&
	       xdr_in_done(&r.body));
	EXPECT(s.st.open && rpc_stream_fd(&s) >= 0 && s.st.serial == 9);
	/* nothing to read: no packet */
	EXPECT(rpc_stream_output(&s, &out_buf) == 0);
	/* output: raw bytes, no XDR length or padding */
	EXPECT(write(con_peer, "hello", 5) == 5);
	n = stream_out(&s, &h, got, sizeof(got));
	EXPECT(n == 5 && !memcmp(got, "hello", 5) && h.type == RPC_STREAM && h.status == RPC_CONTINUE &&
	       h.proc == PROC_DOMAIN_OPEN_CONSOLE && h.serial == 9 && h.prog == RPC_PROG_REMOTE);
	/* a long output goes in chunks of at most RPC_STREAM_CHUNK */
	memset(big, 'x', sizeof(big));
	EXPECT(write(con_peer, big, sizeof(big)) == (ssize_t)sizeof(big));
	n = stream_out(&s, &h, got, sizeof(got));
	EXPECT(n > 0 && n <= RPC_STREAM_CHUNK);
	while (n > 0)
		n = stream_out(&s, &h, got, sizeof(got));
	/* input: the bytes reach the console; no answer */
	r = stream_pkt(&s, 9, RPC_CONTINUE, "ls\r", 3);
	EXPECT(r.rc == 0 && r.h.type == 99);
	EXPECT(read(con_peer, in, sizeof(in)) == 3 && !memcmp(in, "ls\r", 3));
	/* another serial or proc: dropped */
	r = stream_pkt(&s, 8, RPC_CONTINUE, "zz", 2);
	EXPECT(r.rc == 0 && r.h.type == 99 && s.st.open);
	/* a second open on this connection, bad flags, a device there is not */
	r = open_console(&s, "web", 3, NULL, 0, 10);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_OPERATION_FAILED && s.st.serial == 9);
	r = open_console(&s, "web", 3, NULL, 4, 11);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_INVALID_ARG);
	r = open_console(&s, "web", 3, "parallel0", 0, 12);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_INVALID_ARG && strstr(r.msg, "parallel0"));
	/* finish: confirmed by an empty STREAM OK; the console is let go */
	r = stream_pkt(&s, 9, RPC_OK, NULL, 0);
	EXPECT(r.rc == 0 && r.h.type == RPC_STREAM && r.h.status == RPC_OK && r.h.serial == 9 &&
	       r.h.proc == PROC_DOMAIN_OPEN_CONSOLE && xdr_in_done(&r.body));
	EXPECT(!s.st.open && rpc_stream_fd(&s) == -1 && read(con_peer, in, sizeof(in)) == 0);
	/* the console ends (the domain went away): an empty CONTINUE, then
	 * nothing more to poll; the client's finish is confirmed */
	r = open_console(&s, "web", 3, "console0", 2, 13);
	EXPECT(r.h.status == RPC_OK && s.st.serial == 13);
	close(con_peer);
	con_peer = -1;
	n = stream_out(&s, &h, got, sizeof(got));
	EXPECT(n == 0 && h.status == RPC_CONTINUE && h.serial == 13 && rpc_stream_fd(&s) == -1 && s.st.open);
	EXPECT(rpc_stream_output(&s, &out_buf) == 0);
	r = stream_pkt(&s, 13, RPC_CONTINUE, "lost", 4);	/* to no console: dropped */
	EXPECT(r.rc == 0 && r.h.type == 99);
	/* abort (status ERROR): confirmed as finish is */
	r = stream_pkt(&s, 13, RPC_ERROR, NULL, 0);
	EXPECT(r.h.type == RPC_STREAM && r.h.status == RPC_OK && r.h.serial == 13 && !s.st.open);
	/* a console that does not take input: dropped after RPC_STREAM_INPUT_MS, not buffered */
	r = open_console(&s, "web", 3, NULL, 0, 14);
	EXPECT(r.h.status == RPC_OK);
	{
		static uint8_t junk[60000];
		int i;

		for (i = 0; i < 20 && !s.st.dropped; i++)
			stream_pkt(&s, 14, RPC_CONTINUE, junk, sizeof(junk));
		EXPECT(s.st.dropped > 0 && s.st.open);
	}
	/* held elsewhere: libvirt's words; not running: refused */
	r = open_console(&s, "db", 5, NULL, 0, 15);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_OPERATION_FAILED);
	rpc_session_end(&s);
	EXPECT(!s.st.open && rpc_stream_fd(&s) == -1);
	r = open_console(&s, "db", 5, NULL, 0, 16);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_OPERATION_FAILED && strstr(r.msg, "Active console session"));
	/* the read-only connection: refused */
	rpc_session_init(&s, &fake_con, true);
	s.open = true;
	r = open_console(&s, "web", 3, NULL, 0, 17);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_OPERATION_DENIED && !s.st.open);
	if (con_peer >= 0)
		close(con_peer);
	con_peer = -1;
}

/* ---- lifecycle events (events.c) ---- */

static struct domus_dominfo ev_doms[2];
static int ev_n;

static int ev_list(struct domus_dominfo **out)
{
	*out = calloc(2, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, ev_doms, sizeof(ev_doms));
	return ev_n;
}

static struct domusd_backend fake_ev;

static struct reply ev_register(struct rpc_session *s, int32_t event, const char *dom, uint32_t serial)
{
	static const uint8_t web_uuid[16] = { 0x6b, 0xc1, 0x81, 0x4c, 0x57, 0x05, 0x5b, 0x6e,
					      0xaf, 0x99, 0x10, 0x4b, 0x91, 0x96, 0x22, 0x82 };
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1024);
	call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, RPC_CALL, serial);
	xdr_put_i32(&x, event);
	xdr_put_u32(&x, dom != NULL);
	if (dom)
		put_dom(&x, dom, web_uuid, 3);
	r = send_pkt(s, &x);
	xdr_out_free(&x);
	return r;
}

/* The events rpc_events_poll makes now: "cb:name:event.detail" joined by ' '. */
static void ev_take(struct rpc_session *s, char *buf, size_t len)
{
	size_t off = 0, used = 0;

	buf[0] = 0;
	s->ev.next_ms = 0;	/* due now */
	if (rpc_events_poll(s, &out_buf) != 1)
		return;
	while (off + 4 <= out_buf.len) {
		struct rpc_header h;
		const uint8_t *p;
		size_t n, plen = rpc_frame_length(out_buf.buf + off, RPC_OUT_MAX);
		struct xdr_in x;
		char *name;
		int32_t cb, ev, detail;
		uint8_t u[16];

		if (!plen || off + plen > out_buf.len || rpc_frame_parse(out_buf.buf + off, plen, &h, &p, &n) ||
		    h.type != RPC_MESSAGE || h.proc != PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE || h.serial != 0) {
			snprintf(buf, len, "bad packet");
			return;
		}
		xdr_in_init(&x, p, n);
		cb = xdr_get_i32(&x);
		name = xdr_get_string(&x, RPC_STRING_MAX);
		xdr_get_fixed(&x, u, 16);
		xdr_get_i32(&x);
		ev = xdr_get_i32(&x);
		detail = xdr_get_i32(&x);
		if (xdr_in_done(&x) && name)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%d:%s:%d.%d", used ? " " : "",
						 (int)cb, name, (int)ev, (int)detail);
		free(name);
		off += plen;
	}
}

static void lifecycle_events(void)
{
	char dir[] = "/tmp/domusd-ev-XXXXXX", path[256], got[256];
	struct rpc_session s;
	struct reply r;
	FILE *f;
	int32_t cb1, cb2;

	EXPECT(mkdtemp(dir) != NULL);
	setenv("DOMUS_CONF_DIR", dir, 1);
	memset(ev_doms, 0, sizeof(ev_doms));
	snprintf(ev_doms[0].name, sizeof(ev_doms[0].name), "web");
	ev_doms[0].id = 3;
	snprintf(ev_doms[0].state, sizeof(ev_doms[0].state), "r-----");
	snprintf(ev_doms[0].uuid, sizeof(ev_doms[0].uuid), "6bc1814c-5705-5b6e-af99-104b91962282");
	ev_n = 1;
	fake_ev = fake;
	fake_ev.list = ev_list;
	open_session(&s);
	s.be = &fake_ev;
	/* feature 14: event callbacks */
	{
		struct xdr_out x;

		xdr_out_init(&x, 256);
		call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_SUPPORTS_FEATURE, RPC_CALL, 3);
		xdr_put_i32(&x, 14);
		r = send_pkt(&s, &x);
		EXPECT(r.h.status == RPC_OK && xdr_get_i32(&r.body) == 1);
		xdr_out_free(&x);
	}
	EXPECT(rpc_events_timeout(&s) == -1);
	/* lifecycle (0): a callback id; others: not supported */
	r = ev_register(&s, 0, NULL, 4);
	cb1 = xdr_get_i32(&r.body);
	EXPECT(r.h.status == RPC_OK && xdr_in_done(&r.body) && cb1 > 0);
	r = ev_register(&s, 1, NULL, 5);
	EXPECT(r.h.status == RPC_ERROR && r.code == VIR_ERR_NO_SUPPORT);
	r = ev_register(&s, 0, "web", 6);
	cb2 = xdr_get_i32(&r.body);
	EXPECT(r.h.status == RPC_OK && cb2 > 0 && cb2 != cb1);
	EXPECT(rpc_events_timeout(&s) >= 0 && rpc_events_timeout(&s) <= RPC_EVENT_PERIOD_MS);
	/* not due yet: nothing; nothing changed: nothing */
	EXPECT(rpc_events_poll(&s, &out_buf) == 0);
	ev_take(&s, got, sizeof(got));
	EXPECT(!strcmp(got, ""));
	/* suspended (3), resumed (4): both callbacks (the second is web's) */
	snprintf(ev_doms[0].state, sizeof(ev_doms[0].state), "--p---");
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:web:3.0 %d:web:3.0", (int)cb1, (int)cb2);
	EXPECT(!strcmp(got, path));
	snprintf(ev_doms[0].state, sizeof(ev_doms[0].state), "-b----");
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:web:4.0 %d:web:4.0", (int)cb1, (int)cb2);
	EXPECT(!strcmp(got, path));
	/* db started (2): only the callback without a domain */
	snprintf(ev_doms[1].name, sizeof(ev_doms[1].name), "db");
	ev_doms[1].id = 5;
	snprintf(ev_doms[1].state, sizeof(ev_doms[1].state), "r-----");
	snprintf(ev_doms[1].uuid, sizeof(ev_doms[1].uuid), "00000000-0000-4000-8000-000000000005");
	ev_n = 2;
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:2.0", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* db defined (0) while it runs, then stopped (5): it stays, shut off */
	snprintf(path, sizeof(path), "%s/db.cfg", dir);
	f = fopen(path, "w");
	EXPECT(f != NULL);
	if (f) {
		fputs("name = \"db\"\nuuid = \"00000000-0000-4000-8000-000000000005\"\nmemory = 64\nkernel = \"/k\"\n", f);
		fclose(f);
	}
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:0.0", (int)cb1);
	EXPECT(!strcmp(got, path));
	ev_n = 1;
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:5.0", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* the definition written anew (a define: temp + rename): defined, updated (1) */
	{
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s/db.cfg.new", dir);
		f = fopen(tmp, "w");
		EXPECT(f != NULL);
		if (f) {
			fputs("name = \"db\"\nuuid = \"00000000-0000-4000-8000-000000000005\"\nmemory = 96\nkernel = \"/k\"\n", f);
			fclose(f);
		}
		snprintf(path, sizeof(path), "%s/db.cfg", dir);
		EXPECT(!rename(tmp, path));
	}
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:0.1", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* started paused: started (booted), suspended (paused) */
	ev_doms[1].id = 6;
	ev_doms[1].start = 1000;
	snprintf(ev_doms[1].state, sizeof(ev_doms[1].state), "--p---");
	ev_n = 2;
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:2.0 %d:db:3.0", (int)cb1, (int)cb1);
	EXPECT(!strcmp(got, path));
	/* stopped by domusd's destroy of this run: destroyed (1) */
	rpc_events_note_stop(&ev_doms[1], 1);
	ev_n = 1;
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:5.1", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* the note is of that run only; last seen crashed: crashed (2) */
	ev_doms[1].id = 7;
	snprintf(ev_doms[1].state, sizeof(ev_doms[1].state), "r-----");
	ev_n = 2;
	ev_take(&s, got, sizeof(got));
	snprintf(ev_doms[1].state, sizeof(ev_doms[1].state), "----c-");
	ev_take(&s, got, sizeof(got));
	ev_n = 1;
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:5.2", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* undefined (1) */
	snprintf(path, sizeof(path), "%s/db.cfg", dir);
	unlink(path);
	ev_take(&s, got, sizeof(got));
	snprintf(path, sizeof(path), "%d:db:1.0", (int)cb1);
	EXPECT(!strcmp(got, path));
	/* deregistered: an unknown id is refused; none left: no checks */
	{
		struct xdr_out x;
		int32_t ids[3] = { cb2, cb2, cb1 };
		int want[3] = { RPC_OK, RPC_ERROR, RPC_OK }, i;

		xdr_out_init(&x, 256);
		for (i = 0; i < 3; i++) {
			call_pkt(&x, RPC_PROG_REMOTE, PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, RPC_CALL, 7);
			xdr_put_i32(&x, ids[i]);
			r = send_pkt(&s, &x);
			EXPECT(r.h.status == (uint32_t)want[i]);
		}
		xdr_out_free(&x);
	}
	EXPECT(rpc_events_timeout(&s) == -1 && !s.ev.snap);
	ev_n = 0;
	ev_take(&s, got, sizeof(got));
	EXPECT(!strcmp(got, ""));
	rpc_session_end(&s);
	rmdir(dir);
	unsetenv("DOMUS_CONF_DIR");
}

int main(void)
{
	xdr_out_init(&out_buf, RPC_OUT_MAX);
	RUN(UNIT_PREFIX, xdr_roundtrip);
	RUN(UNIT_PREFIX, xdr_hostile);
	RUN(UNIT_PREFIX, xdr_out_cap);
	RUN(UNIT_PREFIX, framing);
	RUN(UNIT_PREFIX, connect_sequence);
	RUN(UNIT_PREFIX, keepalive);
	RUN(UNIT_PREFIX, malformed_args);
	RUN(UNIT_PREFIX, listing);
	RUN(UNIT_PREFIX, lookups);
	RUN(UNIT_PREFIX, info_state);
	RUN(UNIT_PREFIX, states);
	RUN(UNIT_PREFIX, dumpxml);
	RUN(UNIT_PREFIX, console_stream);
	RUN(UNIT_PREFIX, lifecycle_events);
	xdr_out_free(&out_buf);
	return unit_failed;
}
