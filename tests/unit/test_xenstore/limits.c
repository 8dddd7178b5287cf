// SPDX-License-Identifier: MIT
/* xst: limits. */
#include "xst.h"

void limits(void)
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

void malformed(void)
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
