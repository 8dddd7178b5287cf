// SPDX-License-Identifier: MIT
/* xst: domain 0's wire requests (xs_wire_dom0), as domus xenstored sends
 * them, next to the guest's own connection. */
#include <stdio.h>
#include "xst.h"

struct dreply {
	struct xs_msg_hdr h;
	char d[XS_PAYLOAD_MAX + 1];
};

/* One request of domain 0: @a, then @b if given (NUL-terminated each,
 * the last without its NUL if !@b_nul); the reply into @r; its length. */
static int d0(struct xs_store *xs, uint32_t type, uint32_t tx, const char *a, const char *b, bool b_nul,
	      struct dreply *r)
{
	unsigned char msg[16 + XS_PAYLOAD_MAX], out[16 + XS_PAYLOAD_MAX];
	struct xs_msg_hdr h = { .type = type, .req_id = 77, .tx_id = tx };
	size_t n = 0;
	int k;

	if (a) {
		memcpy(msg + 16, a, strlen(a) + 1);
		n = strlen(a) + 1;
	}
	if (b) {
		memcpy(msg + 16 + n, b, strlen(b) + (b_nul ? 1 : 0));
		n += strlen(b) + (b_nul ? 1 : 0);
	}
	h.len = (uint32_t)n;
	memcpy(msg, &h, 16);
	memset(r, 0, sizeof(*r));
	k = xs_wire_dom0(xs, msg, 16 + n, out, sizeof(out));
	if (k >= 16) {
		memcpy(&r->h, out, 16);
		memcpy(r->d, out + 16, (size_t)k - 16);
	}
	return k;
}

void dom0_wire(void)
{
	struct xs_store *xs = xs_new(DOMID, "g");
	unsigned char out[16 + XS_PAYLOAD_MAX], bad[16];
	struct xs_msg_hdr h = { 0 };
	struct dreply r;
	struct client c;
	uint32_t t1, t2;
	unsigned int i;

	c_init(&c, xs);
	/* reads anything, echoes req_id, a read reply is the bare value */
	EXPECT(d0(xs, XS_READ, 0, "/local/domain/5/name", NULL, false, &r) == 16 + 1);
	EXPECT(r.h.type == XS_READ && r.h.req_id == 77 && r.h.len == 1 && r.d[0] == 'g');
	EXPECT(d0(xs, XS_GET_PERMS, 0, "/local/domain/5/name", NULL, false, &r) > 16);
	EXPECT(r.h.type == XS_GET_PERMS && !memcmp(r.d, "n0\0r5\0", 6));
	/* a guest-owned node with no access for others: domain 0 reads it */
	EXPECT(STREQ(g_write(&c, 0, "data/secret", "s"), "OK"));
	EXPECT(STREQ(res(&c, rpc_s(&c, XS_SET_PERMS, 0, "data/secret", "n5", true)), "OK"));
	EXPECT(d0(xs, XS_READ, 0, "/local/domain/5/data/secret", NULL, false, &r) == 17 && r.d[0] == 's');
	/* a write fires the guest's watch */
	EXPECT(STREQ(g_watch(&c, true, "data", "tk"), "OK"));
	g_drain_events(&c);
	EXPECT(d0(xs, XS_WRITE, 0, "/local/domain/5/data/k", "v", false, &r) > 16 && STREQ(r.d, "OK"));
	c_pump(&c);
	EXPECT(STREQ(g_event(&c), "data/k|tk"));
	EXPECT(STREQ(g_read(&c, 0, "data/k"), "v"));
	/* errors are error replies */
	EXPECT(d0(xs, XS_READ, 0, "/local/domain/5/nosuch", NULL, false, &r) > 16);
	EXPECT(r.h.type == XS_ERROR && STREQ(r.d, "ENOENT"));
	EXPECT(d0(xs, XS_READ, 0, "/bad//path", NULL, false, &r) > 16 && STREQ(r.d, "EINVAL"));
	/* watches are the xenstored's own: refused here, the guest's stay */
	EXPECT(d0(xs, XS_WATCH, 0, "/local/domain/5", "t", true, &r) > 16 && STREQ(r.d, "EINVAL"));
	EXPECT(d0(xs, XS_RESET_WATCHES, 0, NULL, NULL, false, &r) > 16 && STREQ(r.d, "EINVAL"));
	EXPECT(d0(xs, XS_WRITE, 0, "/local/domain/5/data/k2", "w", false, &r) > 16);
	c_pump(&c);
	EXPECT(STREQ(g_event(&c), "data/k2|tk"));
	/* transactions: domain 0's own ids, read-your-writes, EAGAIN on conflict */
	EXPECT(d0(xs, XS_TRANSACTION_START, 0, "", NULL, false, &r) > 16 && r.h.type == XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(r.d, NULL, 10);
	EXPECT(t1 != 0);
	EXPECT(d0(xs, XS_WRITE, t1, "/local/domain/5/data/tx", "1", false, &r) > 16 && STREQ(r.d, "OK"));
	EXPECT(d0(xs, XS_READ, t1, "/local/domain/5/data/tx", NULL, false, &r) == 17 && r.d[0] == '1');
	EXPECT(d0(xs, XS_READ, 0, "/local/domain/5/data/tx", NULL, false, &r) > 16 && STREQ(r.d, "ENOENT"));
	EXPECT(STREQ(g_read(&c, t1, "data/k"), "!ENOENT"));	/* not the guest's transaction */
	EXPECT(d0(xs, XS_TRANSACTION_END, t1, "T", NULL, false, &r) > 16 && STREQ(r.d, "OK"));
	EXPECT(STREQ(g_read(&c, 0, "data/tx"), "1"));
	EXPECT(d0(xs, XS_TRANSACTION_START, 0, "", NULL, false, &r) > 16);
	t2 = (uint32_t)strtoul(r.d, NULL, 10);
	EXPECT(d0(xs, XS_READ, t2, "/local/domain/5/data/tx", NULL, false, &r) == 17);
	EXPECT(d0(xs, XS_WRITE, t2, "/local/domain/5/data/tx", "2", false, &r) > 16);
	EXPECT(STREQ(g_write(&c, 0, "data/tx", "guest"), "OK"));
	EXPECT(d0(xs, XS_TRANSACTION_END, t2, "T", NULL, false, &r) > 16 && STREQ(r.d, "EAGAIN"));
	EXPECT(STREQ(g_read(&c, 0, "data/tx"), "guest"));
	EXPECT(d0(xs, XS_TRANSACTION_END, t2, "T", NULL, false, &r) > 16 && STREQ(r.d, "ENOENT"));
	/* beyond XS_DOM0_TX_MAX open transactions the oldest gives way */
	for (i = 0; i <= XS_DOM0_TX_MAX; i++) {
		EXPECT(d0(xs, XS_TRANSACTION_START, 0, "", NULL, false, &r) > 16 && r.h.type == XS_TRANSACTION_START);
		if (!i)
			t1 = (uint32_t)strtoul(r.d, NULL, 10);
	}
	EXPECT(d0(xs, XS_TRANSACTION_END, t1, "F", NULL, false, &r) > 16 && STREQ(r.d, "ENOENT"));
	/* malformed messages are refused before the store sees them */
	EXPECT(xs_wire_dom0(xs, bad, 8, out, sizeof(out)) == -EINVAL);
	h.type = XS_READ;
	h.len = XS_PAYLOAD_MAX + 1;
	memcpy(bad, &h, 16);
	EXPECT(xs_wire_dom0(xs, bad, 16, out, sizeof(out)) == -EINVAL);
	h.len = 4;
	memcpy(bad, &h, 16);
	EXPECT(xs_wire_dom0(xs, bad, 16, out, sizeof(out)) == -EINVAL);	/* len says 4, none came */
	EXPECT(d0(xs, XS_READ, 0, "/local/domain/5/name", NULL, false, &r) == 17);
	{	/* a reply that does not fit the caller's buffer */
		unsigned char m[64];
		struct xs_msg_hdr q = { .type = XS_READ, .len = 21 };

		memcpy(m, &q, 16);
		memcpy(m + 16, "/local/domain/5/name", 21);
		EXPECT(xs_wire_dom0(xs, m, 37, out, 16) == -E2BIG);
	}
	c_fini(&c);
	xs_free(xs);	/* with domain 0's transactions still open (ASan: no leak) */
}
