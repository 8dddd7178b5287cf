// SPDX-License-Identifier: MIT
/*
 * domusd: the lifecycle procedures (procs.h), each what the `domus`
 * command of the same job does: define/undefine write and remove
 * CONF_DIR/NAME.cfg (store.c); start runs `domus create` on it (the
 * backend's start); shutdown, reboot, destroy, suspend, resume and the
 * live memory and vCPU changes are the launcher's control requests that
 * `domus shutdown/reboot/destroy/pause/unpause/mem-set/mem-max/vcpu-set`
 * send; the --config changes edit the definition.  Wrong states get
 * VIR_ERR_OPERATION_INVALID, a launcher's refusal VIR_ERR_OPERATION_FAILED
 * with its words.  All are refused on a read-only connection (procs.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "procs.h"
#include "xlcfg.h"

/* virDomainState (as procs_dom.c) */
enum { ST_PAUSED = 3 };

/* flags: AFFECT_LIVE 1, AFFECT_CONFIG 2, MEM_MAXIMUM / VCPU_MAXIMUM 4 */
enum { F_LIVE = 1, F_CONFIG = 2, F_MAX = 4 };

static bool active(const struct rpc_call *c)
{
	return c->dom->id != DOMUSD_INACTIVE;
}

static int not_running(struct rpc_call *c)
{
	return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
		       "Requested operation is not valid: domain '%s' is not running", c->dom->name);
}

static int bad_flags(struct rpc_call *c, const char *proc, unsigned int bad)
{
	return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x in %s", bad, proc);
}

/* One control request to the domain's launcher, as the CLI sends it. */
static int ctl(struct rpc_call *c, const char *req, int timeout_ms)
{
	char reply[512];
	int r;

	if (!c->s->be->request)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "domusd: no launchers to ask");
	r = c->s->be->request(c->dom->name, req, reply, sizeof(reply), timeout_ms);
	if (r < 0)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: domain '%s': its launcher does not answer (%s)", c->dom->name, strerror(-r));
	if (r > 0)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: domain '%s': %s",
			       c->dom->name, !strncmp(reply, "error ", 6) ? reply + 6 : reply);
	return 0;
}

static int out_of_memory(struct rpc_call *c)
{
	return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "domusd: out of memory");
}

/* The listed domain named @name (malloc'ed list in *@v), or -1. */
static int find(struct rpc_call *c, const char *name, struct domus_dominfo **v)
{
	int n = domusd_domains(c->s->be, v), i;

	if (n < 0) {
		*v = NULL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!strcmp((*v)[i].name, name))
			return i;
	return -1;
}

/* Reply with the domain @name as it is now (its new id after a start). */
static int put_named(struct rpc_call *c, const char *name)
{
	struct domus_dominfo *v;
	int k = find(c, name, &v);

	if (k < 0) {
		free(v);
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: domain '%s' is not there after its start", name);
	}
	domusd_put_dom(c->ret, &v[k]);
	free(v);
	return 0;
}

static void random_uuid(char out[37])
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u)) {
		/* no entropy source: the name's uuid would still be unique enough */
		memset(u, 0, sizeof(u));
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/*
 * The XML of a DEFINE/CREATE into @cfg with its uuid settled: the XML's,
 * else the existing domain's of that name, else a new one.  A name or
 * uuid that belongs to another domain is refused.  *@existing: the
 * domain of that name (a copy), id 0 and name "" if none.
 */
static int xml_config(struct rpc_call *c, struct domus_config *cfg, struct domus_dominfo *existing)
{
	struct domus_dominfo *v = NULL;
	char msg[512], uuid[37];
	int code, n, i;
	bool given;

	memset(existing, 0, sizeof(*existing));
	if (domusd_xml_to_config(c->a->str, strlen(c->a->str), NULL, cfg, &code, msg, sizeof(msg)))
		goto bad_xml;
	if (!strcmp(cfg->name, "Domain-0")) {
		domus_config_free(cfg);
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: Domain-0 is the host's name");
	}
	n = domusd_domains(c->s->be, &v);
	if (n < 0) {
		domus_config_free(cfg);
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "domusd: cannot list the domains: %s",
			       strerror(-n));
	}
	given = domus_config_get(cfg, "uuid") != NULL;	/* else finishing made a random one */
	for (i = 0; i < n; i++) {
		bool same_name = !strcmp(v[i].name, cfg->name);
		bool same_uuid = given && !strcasecmp(v[i].uuid, cfg->uuid);

		if (same_name)
			*existing = v[i];
		if (same_name && given && !same_uuid && v[i].uuid[0]) {
			rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				"operation failed: domain '%s' already exists with uuid %s", cfg->name, v[i].uuid);
			goto fail;
		}
		if (!same_name && same_uuid) {
			rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				"operation failed: domain '%s' already exists with uuid %s", v[i].name, v[i].uuid);
			goto fail;
		}
	}
	free(v);
	if (given)
		return 0;
	/* no <uuid>: the existing domain's, else a new one, written down */
	if (existing->name[0] && existing->uuid[0])
		snprintf(uuid, sizeof(uuid), "%s", existing->uuid);
	else
		random_uuid(uuid);
	domus_config_free(cfg);
	if (domusd_xml_to_config(c->a->str, strlen(c->a->str), uuid, cfg, &code, msg, sizeof(msg)))
		goto bad_xml;
	return 0;
bad_xml:
	return rpc_err(c->err, code ? code : VIR_ERR_XML_ERROR, code == VIR_ERR_INTERNAL_ERROR ? VIR_FROM_NONE : VIR_FROM_DOMAIN,
		       "%s", msg);
fail:
	free(v);
	domus_config_free(cfg);
	return -1;
}

/* DEFINE_XML (11), DEFINE_XML_FLAGS (350: 1 VALIDATE, the check we always do) */
int h_define_xml(struct rpc_call *c)
{
	struct domus_config cfg;
	struct domus_dominfo d;
	char msg[512], *text;
	int r;

	if (c->a->flags & ~1u)
		return bad_flags(c, "DOMAIN_DEFINE_XML_FLAGS", c->a->flags & ~1u);
	if (xml_config(c, &cfg, &d))
		return -1;
	text = domusd_config_xl_text(&cfg);
	if (!text) {
		domus_config_free(&cfg);
		return out_of_memory(c);
	}
	r = domusd_def_write(cfg.name, text, msg, sizeof(msg));
	free(text);
	if (r) {
		domus_config_free(&cfg);
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: %s", msg);
	}
	if (!d.name[0]) {
		snprintf(d.name, sizeof(d.name), "%s", cfg.name);
		d.id = DOMUSD_INACTIVE;
	}
	snprintf(d.uuid, sizeof(d.uuid), "%s", cfg.uuid);
	domusd_put_dom(c->ret, &d);
	domus_config_free(&cfg);
	return 0;
}

/* UNDEFINE (35), UNDEFINE_FLAGS (231): 1 MANAGED_SAVE removes the
 * managed save, without it one refuses; the other flags name things domus
 * has none of (snapshots, NVRAM, checkpoints, TPM): accepted. */
int h_undefine(struct rpc_call *c)
{
	int r;

	if (c->a->flags & ~0x7fu)
		return bad_flags(c, "DOMAIN_UNDEFINE_FLAGS", c->a->flags & ~0x7fu);
	if (!domusd_def_exists(c->dom->name))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: cannot undefine transient domain '%s'", c->dom->name);
	if (active(c))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: domain '%s' is running: shut it down or destroy it first",
			       c->dom->name);
	if (domusd_managed_exists(c->dom->name)) {
		if (!(c->a->flags & 1))
			return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
				       "Requested operation is not valid: Refusing to undefine while domain managed save image exists (undefine --managed-save removes it)");
		r = domusd_managed_remove(c->dom->name);
		if (r)
			return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				       "operation failed: cannot remove the managed save of '%s': %s", c->dom->name,
				       strerror(-r));
	}
	r = domusd_def_remove(c->dom->name);
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: cannot remove %s/%s.cfg: %s",
			       domusd_conf_dir(), c->dom->name, strerror(-r));
	return 0;
}

static int start(struct rpc_call *c, const char *file, const char *uuid, bool paused)
{
	char msg[512];

	if (!c->s->be->start)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "domusd: cannot start domains here");
	if (c->s->be->start(file, uuid, paused, msg, sizeof(msg)))
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: %s", msg);
	return 0;
}

/* CREATE (9), CREATE_WITH_FLAGS (196: 1 PAUSED; 4 BYPASS_CACHE changes
 * nothing here): `domus create CONF_DIR/NAME.cfg`, or, when the domain
 * has a managed save, `domus restore` of it (8 FORCE_BOOT: it is removed
 * and the domain boots) */
static int create(struct rpc_call *c, bool reply)
{
	char path[PATH_MAX];
	unsigned int f = c->a->flags;

	if (f & ~13u)
		return bad_flags(c, "DOMAIN_CREATE_WITH_FLAGS", f & ~13u);
	if (active(c))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: domain '%s' is already running", c->dom->name);
	if (domusd_def_path(path, sizeof(path), c->dom->name))
		return not_running(c);
	if (f & 8) {
		int r = domusd_managed_remove(c->dom->name);

		if (r)
			return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				       "operation failed: cannot remove the managed save of '%s': %s", c->dom->name,
				       strerror(-r));
	} else {
		int r = domusd_managed_start(c, f & 1);

		if (r <= 0)
			return r < 0 ? -1 : reply ? put_named(c, c->dom->name) : 0;
	}
	if (start(c, path, c->dom->uuid, f & 1))
		return -1;
	return reply ? put_named(c, c->dom->name) : 0;
}

/* 9's reply is void; 196's the domain with its new id */
int h_create(struct rpc_call *c)
{
	return create(c, false);
}

int h_create_flags(struct rpc_call *c)
{
	return create(c, true);
}

/* CREATE_XML (10): a transient domain (flags 1 PAUSED, 16 VALIDATE) from
 * RUN_DIR/NAME.domusd.cfg, which is not a definition */
int h_create_xml(struct rpc_call *c)
{
	struct domus_config cfg;
	struct domus_dominfo d;
	char path[PATH_MAX], tmp[PATH_MAX + 16], *text;
	FILE *f;
	int r;

	if (c->a->flags & ~17u)
		return bad_flags(c, "DOMAIN_CREATE_XML", c->a->flags & ~17u);
	if (xml_config(c, &cfg, &d))
		return -1;
	if (d.name[0] && d.id != DOMUSD_INACTIVE) {
		domus_config_free(&cfg);
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: domain '%s' is already running", d.name);
	}
	text = domusd_config_xl_text(&cfg);
	snprintf(path, sizeof(path), "%s/%s.domusd.cfg", domus_run_dir(), cfg.name);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = text ? fopen(tmp, "we") : NULL;
	r = !f || fputs(text, f) < 0;
	if (f && fclose(f))
		r = 1;
	free(text);
	if (r || rename(tmp, path)) {
		unlink(tmp);
		domus_config_free(&cfg);
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: cannot write %s: %s",
			       path, strerror(errno));
	}
	r = start(c, path, cfg.uuid, c->a->flags & 1);
	if (!r)
		r = put_named(c, cfg.name);
	domus_config_free(&cfg);
	return r;
}

/* DESTROY (12), DESTROY_FLAGS (234: 1 GRACEFUL: the launcher's destroy
 * is graceful to the host already) */
int h_destroy(struct rpc_call *c)
{
	int r;

	if (c->a->flags & ~1u)
		return bad_flags(c, "DOMAIN_DESTROY_FLAGS", c->a->flags & ~1u);
	if (!active(c))
		return not_running(c);
	/* before: another session may see the domain gone before ctl returns */
	rpc_events_note_stop(c->dom, EV_STOPPED_DESTROYED);
	r = ctl(c, "destroy", 30000);
	if (r)
		rpc_events_note_stop(c->dom, -1);
	return r;
}

/* The modes of SHUTDOWN_FLAGS / REBOOT: 0 default, 16 PARAVIRT (the
 * guest's control/shutdown, the one domus has) */
static int stop(struct rpc_call *c, const char *req)
{
	if (c->a->flags & ~16u)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "domusd: shutdown mode 0x%x is not supported: domus asks the guest through its PV control/shutdown (--mode paravirt)",
			       c->a->flags);
	if (!active(c))
		return not_running(c);
	return ctl(c, req, 10000);
}

int h_shutdown(struct rpc_call *c)
{
	return stop(c, "shutdown poweroff");
}

int h_reboot(struct rpc_call *c)
{
	return stop(c, "shutdown reboot");
}

int h_suspend(struct rpc_call *c)
{
	if (!active(c))
		return not_running(c);
	return ctl(c, "pause", 10000);
}

int h_resume(struct rpc_call *c)
{
	int st, why;

	if (!active(c))
		return not_running(c);
	domusd_dom_state_of(c->dom, &st, &why);
	if (st != ST_PAUSED)
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: domain '%s' is not paused", c->dom->name);
	return ctl(c, "unpause", 10000);
}

/* One setting (xl.cfg KEY=VALUE) into CONF_DIR/NAME.cfg. */
static int edit_def(struct rpc_call *c, const char *setting)
{
	struct domus_config cfg;
	char path[PATH_MAX], msg[512], *text;
	int r;

	if (domusd_def_path(path, sizeof(path), c->dom->name) || !domusd_def_exists(c->dom->name))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: cannot change the config of transient domain '%s'",
			       c->dom->name);
	domus_config_init(&cfg);
	if (domus_config_load(&cfg, path, msg, sizeof(msg)) || domus_config_apply(&cfg, setting, msg, sizeof(msg)) ||
	    domus_config_finish(&cfg, msg, sizeof(msg))) {
		domus_config_free(&cfg);
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "invalid argument: %s", msg);
	}
	text = domusd_config_xl_text(&cfg);
	domus_config_free(&cfg);
	if (!text)
		return out_of_memory(c);
	r = domusd_def_write(c->dom->name, text, msg, sizeof(msg));
	free(text);
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: %s", msg);
	return 0;
}

/* CURRENT (0) is LIVE for a running domain, CONFIG for one that is not;
 * LIVE needs it running.  The affected set, or -1 with the error. */
static int affect(struct rpc_call *c, unsigned int f)
{
	unsigned int a = f & (F_LIVE | F_CONFIG);

	if (!a)
		a = active(c) ? F_LIVE : F_CONFIG;
	if ((a & F_LIVE) && !active(c))
		return not_running(c);
	return (int)a;
}

static int mem(struct rpc_call *c, unsigned int f)
{
	unsigned long long kib = c->a->v;
	char req[64];
	int a;

	if (f & ~7u)
		return bad_flags(c, "DOMAIN_SET_MEMORY_FLAGS", f & ~7u);
	if (!kib || kib > (1ULL << 40))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "invalid argument: memory %llu KiB", kib);
	a = affect(c, f);
	if (a < 0)
		return -1;
	if (a & F_LIVE) {
		snprintf(req, sizeof(req), "%s %llu", f & F_MAX ? "mem-max" : "mem-set", kib);
		if (ctl(c, req, 10000))
			return -1;
	}
	if (a & F_CONFIG) {
		snprintf(req, sizeof(req), "%s=%llu", f & F_MAX ? "maxmem" : "memory", (kib + 1023) / 1024);
		return edit_def(c, req);
	}
	return 0;
}

int h_set_memory(struct rpc_call *c)
{
	return mem(c, F_LIVE);
}

int h_set_max_memory(struct rpc_call *c)
{
	return mem(c, F_MAX);
}

int h_set_memory_flags(struct rpc_call *c)
{
	return mem(c, c->a->flags);
}

static int vcpus(struct rpc_call *c, unsigned int f)
{
	char req[64];
	int a;

	if (f & ~7u)
		return bad_flags(c, "DOMAIN_SET_VCPUS_FLAGS", f & ~7u);
	if (!c->a->v || c->a->v > DOMUS_CFG_MAX_VCPUS)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "invalid argument: %llu vCPUs: give 1 to %d",
			       (unsigned long long)c->a->v, DOMUS_CFG_MAX_VCPUS);
	a = affect(c, f);
	if (a < 0)
		return -1;
	if ((f & F_MAX) && (a & F_LIVE))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "invalid argument: the maximum of vCPUs changes only in the config (--config --maximum)");
	if (a & F_LIVE) {
		snprintf(req, sizeof(req), "vcpu-set %llu", (unsigned long long)c->a->v);
		if (ctl(c, req, 10000))
			return -1;
	}
	if (a & F_CONFIG) {
		snprintf(req, sizeof(req), "%s=%llu", f & F_MAX ? "maxvcpus" : "vcpus", (unsigned long long)c->a->v);
		return edit_def(c, req);
	}
	return 0;
}

int h_set_vcpus(struct rpc_call *c)
{
	return vcpus(c, F_LIVE);
}

int h_set_vcpus_flags(struct rpc_call *c)
{
	return vcpus(c, c->a->flags);
}

int h_set_autostart(struct rpc_call *c)
{
	int r;

	if (!domusd_def_exists(c->dom->name))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: cannot set autostart for transient domain '%s'",
			       c->dom->name);
	r = domusd_autostart_set(c->dom->name, c->a->i != 0);
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: autostart of '%s': %s",
			       c->dom->name, strerror(-r));
	return 0;
}
