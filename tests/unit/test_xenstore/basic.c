// SPDX-License-Identifier: MIT
/* xst: basic. */
#include "xst.h"

/* ------------------------------------------------------------------ tests */

void initial_keys(void)
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

	xs = xs_new(0, "Domain-0");	/* the host's own store (domus xenstored) */
	EXPECT(xs != NULL);
	if (xs) {
		char b[32];

		EXPECT(xs_read(xs, "/local/domain/0/name", b, sizeof(b)) == 8 && STREQ(b, "Domain-0"));
		EXPECT(xs_read(xs, "/local/domain/0/domid", b, sizeof(b)) == 1);
		EXPECT(xs_directory(xs, "/local/domain/0/backend", b, sizeof(b)) == 0);
		xs_free(xs);
	}
	EXPECT(!xs_new(0x7ff0, "x"));
	EXPECT(!xs_new(1, NULL));
}

void basic_ops(void)
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
	/* no children: nothing copied (UBSan saw memcpy from NULL; tests/fuzz) */
	EXPECT(xs_mkdir(xs, "data/t/e") == 0);
	EXPECT(xs_directory(xs, "data/t/e", buf, sizeof(buf)) == 0);
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


void watches(void)
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

void shutdown_flow(void)
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
