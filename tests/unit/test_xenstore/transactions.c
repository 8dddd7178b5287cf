// SPDX-License-Identifier: MIT
/* xst: transactions. */
#include "xst.h"

void transactions(void)
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

void permissions(void)
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
