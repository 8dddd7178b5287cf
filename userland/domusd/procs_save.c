// SPDX-License-Identifier: MIT
/*
 * domusd: save, restore and managed save (docs/libvirt.md "Save and
 * restore"), each the `domus save NAME FILE` / `domus restore FILE` an
 * admin would run (runcli.c), so a file virsh writes is a file `domus
 * restore` reads and the other way round.  A managed save is the file
 * SAVE_DIR/NAME.save of a persistent domain; starting the domain
 * restores it and, once restored, removes it (libvirt's rule).  The
 * command's own one-line error becomes the libvirt error's text
 * (VIR_ERR_OPERATION_FAILED).  All change state: refused read-only
 * (procs.c), except HAS_MANAGED_SAVE_IMAGE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procs.h"
#include "xlcfg.h"
#include "xsr.h"

#define SAVE_DIR_DEFAULT "/var/lib/domus/save"

/* save/restore flags: 1 BYPASS_CACHE (no cache to bypass: the file is
 * fsync'd), 2 RUNNING (how a restore leaves it anyway), 4 PAUSED */
enum { SF_BYPASS = 1, SF_RUNNING = 2, SF_PAUSED = 4 };

const char *domusd_save_dir(void)
{
	const char *e = getenv("DOMUS_SAVE_DIR");

	return e && *e ? e : SAVE_DIR_DEFAULT;
}

int domusd_managed_path(char *buf, size_t len, const char *name)
{
	return domusd_name_path(buf, len, domusd_save_dir(), name, ".save");
}

bool domusd_managed_exists(const char *name)
{
	return domusd_name_file(domusd_save_dir(), name, ".save");
}

int domusd_managed_remove(const char *name)
{
	char p[PATH_MAX];
	int r = domusd_managed_path(p, sizeof(p), name);

	if (r)
		return r;
	return unlink(p) && errno != ENOENT ? -errno : 0;
}

/* SAVE_DIR and its parent, root's only (a save file holds guest RAM). */
static int make_save_dir(void)
{
	char d[PATH_MAX], *slash;

	snprintf(d, sizeof(d), "%s", domusd_save_dir());
	slash = strrchr(d, '/');
	if (slash && slash != d) {
		*slash = 0;
		if (mkdir(d, 0755) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	if (mkdir(d, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int failed(struct rpc_call *c, const char *msg)
{
	return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: %s", msg);
}

static int run(struct rpc_call *c, const char *const *args, char *msg, size_t len)
{
	if (!c->s->be->cli) {
		snprintf(msg, len, "domusd: cannot run domus here");
		return -1;
	}
	return c->s->be->cli(args, msg, len);
}

/* The checks common to save and restore: flags, no replacement XML, an
 * absolute path (libvirt's client makes it absolute before it sends). */
static int check(struct rpc_call *c, const char *proc, const char *file, bool paused_ok)
{
	unsigned int f = c->a->flags;

	if (f & ~7u)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x in %s", f & ~7u,
			       proc);
	if ((f & SF_RUNNING) && (f & SF_PAUSED))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "invalid argument: --running and --paused are mutually exclusive");
	if ((f & SF_PAUSED) && !paused_ok)
		return rpc_err(c->err, VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOM,
			       "argument unsupported: a domus save file is restored running; give --paused to the restore or start instead");
	if (c->a->str2)
		return rpc_err(c->err, VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOM,
			       "argument unsupported: a different domain XML (--xml) at save or restore: the file keeps the domain's own config (domus restore FILE KEY=VALUE changes it)");
	if (file && file[0] != '/')
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "invalid argument: the save file '%.200s' is not an absolute path", file);
	return 0;
}

static int not_running(struct rpc_call *c)
{
	return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
		       "Requested operation is not valid: domain '%s' is not running", c->dom->name);
}

/* `domus save ...` of the session's domain: its stop event says "saved"
 * (noted before, as a destroy's is; forgotten if the save fails) */
static int save_run(struct rpc_call *c, const char *const *args)
{
	char msg[512];

	rpc_events_note_stop(c->dom, EV_STOPPED_SAVED);
	if (run(c, args, msg, sizeof(msg))) {
		rpc_events_note_stop(c->dom, -1);
		return failed(c, msg);
	}
	return 0;
}

/* The domain name in save file @path (its xl header's config), into
 * @name; "" when the file does not say (domus restore will refuse it). */
#define CONFIG_READ_MAX (1u << 20)
static void save_file_name(const char *path, char *name, size_t len)
{
	struct xsr_xl_header h;
	struct domus_config cfg;
	const struct domus_cfg_entry *e;
	struct stat st;
	char err[256], *text = NULL;
	uint32_t n;
	int fd;

	*name = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, XSR_XL_MAGIC, sizeof(h.magic)) || h.byteorder != XSR_XL_BYTEORDER ||
	    h.optional_data_len < 4 || h.optional_data_len > CONFIG_READ_MAX ||
	    read(fd, &n, 4) != 4 || n > h.optional_data_len - 4 || !(text = malloc(n + 1u)) ||
	    read(fd, text, n) != (ssize_t)n)
		goto out;
	domus_config_init(&cfg);
	if (!domus_config_parse(&cfg, text, strnlen(text, n), path, err, sizeof(err)) &&
	    (e = domus_config_get(&cfg, "name")) && e->value->type == DOMUS_CFG_STRING && domus_config_name_ok(e->value->str))
		snprintf(name, len, "%s", e->value->str);
	domus_config_free(&cfg);
out:
	free(text);
	close(fd);
}

/* `domus restore ...` of domain @name: its start event says "restored"
 * (noted before, pinned to the run after, forgotten if it fails) */
static int restore_run(struct rpc_call *c, const char *name, const char *const *args, char *msg, size_t len)
{
	struct domus_dominfo *v = NULL;
	int r, n, i;

	if (*name)
		rpc_events_note_restore(name, NULL, 0);
	r = run(c, args, msg, len);
	if (!*name)
		return r;
	n = r ? -1 : domusd_domains(c->s->be, &v);
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && v[i].id != DOMUSD_INACTIVE)
			break;
	rpc_events_note_restore(name, i < n ? &v[i] : NULL, i < n ? 1 : -1);
	free(v);
	return r;
}

/* SAVE (55), SAVE_FLAGS (232): `domus save NAME FILE`; the domain is gone after */
int h_save(struct rpc_call *c)
{
	const char *args[] = { "save", c->dom->name, c->a->str, NULL };

	if (check(c, "DOMAIN_SAVE_FLAGS", c->a->str, false))
		return -1;
	if (c->dom->id == DOMUSD_INACTIVE)
		return not_running(c);
	return save_run(c, args);
}

/* RESTORE (54), RESTORE_FLAGS (233): `domus restore -e [-p] FILE` */
int h_restore(struct rpc_call *c)
{
	const char *args[] = { "restore", "-e", c->a->str, NULL, NULL };
	char msg[512], name[DOMUS_CFG_NAME_MAX + 1];

	if (check(c, "DOMAIN_RESTORE_FLAGS", c->a->str, true))
		return -1;
	if (c->a->flags & SF_PAUSED) {
		args[2] = "-p";
		args[3] = c->a->str;
	}
	save_file_name(c->a->str, name, sizeof(name));
	if (restore_run(c, name, args, msg, sizeof(msg)))
		return failed(c, msg);
	return 0;
}

/* MANAGED_SAVE (182): `domus save NAME SAVE_DIR/NAME.save` of a
 * persistent running domain */
int h_managed_save(struct rpc_call *c)
{
	char path[PATH_MAX];
	const char *args[] = { "save", c->dom->name, path, NULL };
	int r;

	if (check(c, "DOMAIN_MANAGED_SAVE", NULL, false))
		return -1;
	if (c->dom->id == DOMUSD_INACTIVE)
		return not_running(c);
	if (!domusd_def_exists(c->dom->name))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: cannot do managed save for transient domain '%s': define it first",
			       c->dom->name);
	if (domusd_managed_path(path, sizeof(path), c->dom->name))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "invalid argument: '%s' is not a domain name",
			       c->dom->name);
	if (!c->s->be->cli)
		return failed(c, "domusd: cannot run domus here");
	r = make_save_dir();
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: cannot make the managed save directory %s: %s", domusd_save_dir(),
			       strerror(-r));
	return save_run(c, args);
}

/* HAS_MANAGED_SAVE_IMAGE (183): SAVE_DIR/NAME.save is there */
int h_has_managed_save(struct rpc_call *c)
{
	if (c->a->flags)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x", c->a->flags);
	xdr_put_i32(c->ret, domusd_managed_exists(c->dom->name));
	return 0;
}

/* MANAGED_SAVE_REMOVE (184): none there is no error */
int h_managed_save_remove(struct rpc_call *c)
{
	int r;

	if (c->a->flags)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x", c->a->flags);
	r = domusd_managed_remove(c->dom->name);
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: cannot remove the managed save of '%s': %s", c->dom->name, strerror(-r));
	return 0;
}

int domusd_managed_start(struct rpc_call *c, bool paused)
{
	char path[PATH_MAX], msg[512];
	const char *args[] = { "restore", "-e", paused ? "-p" : path, paused ? path : NULL, NULL };
	int r;

	if (!domusd_managed_exists(c->dom->name) || domusd_managed_path(path, sizeof(path), c->dom->name))
		return 1;
	if (restore_run(c, c->dom->name, args, msg, sizeof(msg)))
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: restoring the managed save %s: %s (start --force-boot boots afresh, managedsave-remove drops it)",
			       path, msg);
	r = domusd_managed_remove(c->dom->name);
	if (r)
		fprintf(stderr, "domusd: %s restored but not removed: %s\n", path, strerror(-r));
	return 0;
}
