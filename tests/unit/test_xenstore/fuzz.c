// SPDX-License-Identifier: MIT
/* xst: fuzz. */
#include "xst.h"

void fuzz(void)
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
	EXPECT(st.guest_nodes <= XS_GUEST_NODES_MAX);	/* checked at commit too */
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

void threaded(void)
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
