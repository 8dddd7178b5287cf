// SPDX-License-Identifier: MIT
/*
 * domusd's save, restore and managed save (userland/domusd/procs_save.c)
 * against the fake domains (web, id 3; db, id 5) and a backend whose
 * `domus` only records its arguments: the commands run, the flags and
 * the refusals, the managed save file's bookkeeping, the read-only
 * refusal.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ctl.h"
#include "procs.h"
#include "rpc.h"
#include "unit.h"

#include "domusd_fake.h"	/* the fake domains */

static char ran[512];		/* the last `domus` arguments, space-separated */
static const char *cli_fails;	/* its error line, or NULL: it succeeds */

static int fake_cli(const char *const *args, char *err, size_t errlen)
{
	size_t at = 0;
	int i;

	ran[0] = 0;
	for (i = 0; args[i]; i++)
		at += (size_t)snprintf(ran + at, sizeof(ran) - at, "%s%s", i ? " " : "", args[i]);
	if (cli_fails) {
		snprintf(err, errlen, "%s", cli_fails);
		return -1;
	}
	return 0;
}

static struct domusd_backend be;

struct reply {
	int status, code;
	int32_t result;		/* an int reply's value */
	char msg[512];
};

static struct xdr_out out_buf;

/* One CALL of @proc (its payload in @x after the header), the answer. */
static struct reply call(struct rpc_session *s, struct xdr_out *x)
{
	struct reply r = { -1, 0, -1, "" };
	struct rpc_header h;
	struct xdr_in in;
	const uint8_t *p;
	size_t n;

	xdr_patch_u32(x, 0, (uint32_t)x->len);
	EXPECT(rpc_handle_packet(s, x->buf, x->len, &out_buf) == 0);
	if (rpc_frame_parse(out_buf.buf, out_buf.len, &h, &p, &n))
		return r;
	r.status = (int)h.status;
	xdr_in_init(&in, p, n);
	if (h.status == RPC_ERROR) {
		char *m = NULL;

		r.code = xdr_get_i32(&in);
		xdr_get_i32(&in);
		if (xdr_get_opt_string(&in, RPC_STRING_MAX, &m) && m)
			snprintf(r.msg, sizeof(r.msg), "%s", m);
		free(m);
	} else if (n == 4) {
		r.result = xdr_get_i32(&in);
	}
	return r;
}

static void begin(struct xdr_out *x, int32_t proc)
{
	static uint32_t serial = 10;

	xdr_out_reset(x);
	xdr_put_u32(x, 0);
	xdr_put_u32(x, RPC_PROG_REMOTE);
	xdr_put_u32(x, RPC_VERS);
	xdr_put_i32(x, proc);
	xdr_put_u32(x, RPC_CALL);
	xdr_put_u32(x, serial++);
	xdr_put_u32(x, RPC_OK);
}

static void dom(struct xdr_out *x, const char *name, int32_t id)
{
	static const uint8_t zero[16];

	xdr_put_string(x, name);
	xdr_put_fixed(x, zero, 16);
	xdr_put_i32(x, id);
}

/* SAVE_FLAGS (232) / RESTORE_FLAGS (233) / SAVE (55) / RESTORE (54) */
static struct reply save(struct rpc_session *s, const char *name, const char *file, const char *xml, int32_t flags)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1 << 16);
	begin(&x, flags < 0 ? PROC_DOMAIN_SAVE : PROC_DOMAIN_SAVE_FLAGS);
	dom(&x, name, 3);
	xdr_put_string(&x, file);
	if (flags >= 0) {
		xdr_put_opt_string(&x, xml);
		xdr_put_u32(&x, (uint32_t)flags);
	}
	r = call(s, &x);
	xdr_out_free(&x);
	return r;
}

static struct reply restore(struct rpc_session *s, const char *file, const char *xml, int32_t flags)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1 << 16);
	begin(&x, flags < 0 ? PROC_DOMAIN_RESTORE : PROC_DOMAIN_RESTORE_FLAGS);
	xdr_put_string(&x, file);
	if (flags >= 0) {
		xdr_put_opt_string(&x, xml);
		xdr_put_u32(&x, (uint32_t)flags);
	}
	r = call(s, &x);
	xdr_out_free(&x);
	return r;
}

/* a DOM_FLAGS procedure (182, 183, 184) */
static struct reply dom_flags(struct rpc_session *s, int32_t proc, const char *name, uint32_t flags)
{
	struct xdr_out x;
	struct reply r;

	xdr_out_init(&x, 1 << 16);
	begin(&x, proc);
	dom(&x, name, 0);
	xdr_put_u32(&x, flags);
	r = call(s, &x);
	xdr_out_free(&x);
	return r;
}

static void open_session(struct rpc_session *s, bool ro)
{
	struct xdr_out x;
	struct reply r;

	rpc_session_init(s, &be, ro);
	xdr_out_init(&x, 1 << 16);
	begin(&x, PROC_CONNECT_OPEN);
	xdr_put_opt_string(&x, "domus:///system");
	xdr_put_u32(&x, 0);
	r = call(s, &x);
	EXPECT(r.status == RPC_OK && s->open);
	xdr_out_free(&x);
}

static void save_restore(void)
{
	char dir[] = "/tmp/domusd-save-XXXXXX", conf[PATH_MAX], sdir[PATH_MAX], p[PATH_MAX + 32], want[PATH_MAX + 64];
	struct rpc_session s;
	struct reply r;
	struct stat st;
	FILE *f;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(sdir, sizeof(sdir), "%s/var/save", dir);
	EXPECT(!mkdir(conf, 0755));
	setenv("DOMUS_CONF_DIR", conf, 1);
	setenv("DOMUS_SAVE_DIR", sdir, 1);
	be = fake;
	be.cli = fake_cli;
	cli_fails = NULL;
	xdr_out_init(&out_buf, RPC_OUT_MAX);
	open_session(&s, false);

	/* save: `domus save NAME FILE`; the flags domus honours or not */
	r = save(&s, "web", "/srv/web.save", NULL, -1);
	EXPECT(r.status == RPC_OK && !strcmp(ran, "save web /srv/web.save"));
	r = save(&s, "web", "/srv/w2.save", NULL, 3);	/* BYPASS_CACHE | RUNNING */
	EXPECT(r.status == RPC_OK && !strcmp(ran, "save web /srv/w2.save"));
	ran[0] = 0;
	r = save(&s, "web", "/srv/w.save", NULL, 4);	/* PAUSED */
	EXPECT(r.code == VIR_ERR_ARGUMENT_UNSUPPORTED && !ran[0]);
	r = save(&s, "web", "/srv/w.save", NULL, 8);
	EXPECT(r.code == VIR_ERR_INVALID_ARG && !ran[0]);
	r = save(&s, "web", "/srv/w.save", "<domain/>", 0);
	EXPECT(r.code == VIR_ERR_ARGUMENT_UNSUPPORTED && strstr(r.msg, "--xml") && !ran[0]);
	r = save(&s, "web", "w.save", NULL, 0);
	EXPECT(r.code == VIR_ERR_INVALID_ARG && strstr(r.msg, "'w.save' is not an absolute path") && !ran[0]);
	r = save(&s, "nosuch", "/srv/w.save", NULL, 0);
	EXPECT(r.code == VIR_ERR_NO_DOMAIN && !ran[0]);
	/* its one-line error is the libvirt error */
	cli_fails = "domus save: web: web is paused: unpause it";
	r = save(&s, "web", "/srv/w.save", NULL, -1);
	EXPECT(r.code == VIR_ERR_OPERATION_FAILED &&
	       !strcmp(r.msg, "operation failed: domus save: web: web is paused: unpause it"));
	cli_fails = NULL;

	/* restore: `domus restore -e [-p] FILE` */
	r = restore(&s, "/srv/web.save", NULL, -1);
	EXPECT(r.status == RPC_OK && !strcmp(ran, "restore -e /srv/web.save"));
	r = restore(&s, "/srv/web.save", NULL, 4);
	EXPECT(r.status == RPC_OK && !strcmp(ran, "restore -e -p /srv/web.save"));
	ran[0] = 0;
	r = restore(&s, "/srv/web.save", NULL, 6);	/* RUNNING | PAUSED */
	EXPECT(r.code == VIR_ERR_INVALID_ARG && !ran[0]);
	r = restore(&s, "/srv/web.save", "<domain/>", 0);
	EXPECT(r.code == VIR_ERR_ARGUMENT_UNSUPPORTED && !ran[0]);
	cli_fails = "domus restore: /srv/x: not a save file (empty, or not a regular file)";
	r = restore(&s, "/srv/x", NULL, 0);
	EXPECT(r.code == VIR_ERR_OPERATION_FAILED && strstr(r.msg, "domus restore: /srv/x: not a save file"));
	cli_fails = NULL;

	/* managed save: persistent domains only, into SAVE_DIR/NAME.save */
	ran[0] = 0;
	r = dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE, "web", 0);
	EXPECT(r.code == VIR_ERR_OPERATION_INVALID && strstr(r.msg, "transient domain 'web'") && !ran[0]);
	snprintf(p, sizeof(p), "%s/web.cfg", conf);
	f = fopen(p, "w");
	EXPECT(f && fputs("name = \"web\"\nmemory = 256\nkernel = \"/boot/vmlinuz\"\n", f) >= 0 && !fclose(f));
	r = dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE, "web", 0);
	snprintf(want, sizeof(want), "save web %s/web.save", sdir);
	EXPECT(r.status == RPC_OK && !strcmp(ran, want));
	EXPECT(!stat(sdir, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	r = dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE, "web", 4);
	EXPECT(r.code == VIR_ERR_ARGUMENT_UNSUPPORTED);
	/* has-managed-save: the file */
	r = dom_flags(&s, PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "web", 0);
	EXPECT(r.status == RPC_OK && r.result == 0);
	snprintf(p, sizeof(p), "%s/web.save", sdir);
	f = fopen(p, "w");
	EXPECT(f && !fclose(f));
	r = dom_flags(&s, PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "web", 0);
	EXPECT(r.status == RPC_OK && r.result == 1);
	r = dom_flags(&s, PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "web", 1);
	EXPECT(r.code == VIR_ERR_INVALID_ARG);
	r = dom_flags(&s, PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "db", 0);
	EXPECT(r.status == RPC_OK && r.result == 0);
	/* remove: gone; again: no error */
	r = dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE_REMOVE, "web", 0);
	EXPECT(r.status == RPC_OK && access(p, F_OK) && errno == ENOENT);
	r = dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE_REMOVE, "web", 0);
	EXPECT(r.status == RPC_OK);
	rpc_session_end(&s);

	/* read-only: every one refused but has-managed-save */
	open_session(&s, true);
	ran[0] = 0;
	EXPECT(save(&s, "web", "/srv/w.save", NULL, -1).code == VIR_ERR_OPERATION_DENIED);
	EXPECT(restore(&s, "/srv/w.save", NULL, -1).code == VIR_ERR_OPERATION_DENIED);
	EXPECT(dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE, "web", 0).code == VIR_ERR_OPERATION_DENIED);
	EXPECT(dom_flags(&s, PROC_DOMAIN_MANAGED_SAVE_REMOVE, "web", 0).code == VIR_ERR_OPERATION_DENIED);
	EXPECT(dom_flags(&s, PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "web", 0).status == RPC_OK && !ran[0]);
	rpc_session_end(&s);

	/* malformed: a SAVE_FLAGS without its flags closes the connection */
	{
		struct xdr_out x;

		open_session(&s, false);
		xdr_out_init(&x, 1 << 16);
		begin(&x, PROC_DOMAIN_SAVE_FLAGS);
		dom(&x, "web", 3);
		xdr_put_string(&x, "/srv/w.save");
		xdr_put_opt_string(&x, NULL);
		xdr_patch_u32(&x, 0, (uint32_t)x.len);
		EXPECT(rpc_handle_packet(&s, x.buf, x.len, &out_buf) == -1);
		xdr_out_free(&x);
		rpc_session_end(&s);
	}
	xdr_out_free(&out_buf);
	snprintf(p, sizeof(p), "%s/web.cfg", conf);
	unlink(p);
	rmdir(conf);
	rmdir(sdir);
	snprintf(p, sizeof(p), "%s/var", dir);
	rmdir(p);
	rmdir(dir);
	unsetenv("DOMUS_CONF_DIR");
	unsetenv("DOMUS_SAVE_DIR");
}

/*
 * The running reason of a restored or migrated-in run: the launcher's
 * info line says started=restored / started=migrated (ctl.c parses it),
 * domstate --reason says restored (3) / migrated (2) while it runs, the
 * state's own reason otherwise (paused: user, 1).
 */
static void started_reason(void)
{
	static const struct { const char *started, *xl; int how, st, why; } t[] = {
		{ "", "r-----", DOMUS_STARTED_BOOTED, 1, 1 },
		{ " started=booted", "-b----", DOMUS_STARTED_BOOTED, 1, 1 },
		{ " started=restored", "-b----", DOMUS_STARTED_RESTORED, 1, 3 },
		{ " started=restored", "r-----", DOMUS_STARTED_RESTORED, 1, 3 },
		{ " started=migrated", "------", DOMUS_STARTED_MIGRATED, 1, 2 },
		{ " started=restored", "--p---", DOMUS_STARTED_RESTORED, 3, 1 },
		{ " started=migrated", "---s--", DOMUS_STARTED_MIGRATED, 5, 1 },
		{ " started=bogus", "-b----", DOMUS_STARTED_BOOTED, 1, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct domus_dominfo d;
		char line[256];
		int st = -1, why = -1;

		snprintf(line, sizeof(line), "ok id=4 name=rs mem=64 vcpus=1 state=%s time=0.5 pid=99 "
			 "uuid=00000000-0000-4000-8000-000000000004 start=1700000000%s", t[i].xl, t[i].started);
		EXPECT(domus_ctl_parse_info(line, &d) == 0 && d.start == 1700000000);
		domusd_dom_state_of(&d, &st, &why);
		if (d.started != t[i].how || st != t[i].st || why != t[i].why)
			printf("  '%s' %s: started %d, state %d reason %d\n", t[i].started, t[i].xl, d.started, st, why);
		EXPECT(d.started == t[i].how && st == t[i].st && why == t[i].why);
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, save_restore);
	RUN(UNIT_PREFIX, started_reason);
	return unit_failed;
}
