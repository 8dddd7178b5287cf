// SPDX-License-Identifier: MIT
/*
 * domusd: the domain procedures (procs.h).  The domains are those the
 * launchers run, as `domus list` shows them (the backend's list), and the
 * definitions in CONF_DIR whose domain does not run (store.c): persistent
 * is "has CONF_DIR/NAME.cfg", inactive is "no launcher".
 * A domain is named on the wire by name, uuid and id; domusd finds it by
 * uuid, or by name when the uuid is all zero.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procs.h"
#include "xlcfg.h"

/* virDomainState */
enum { ST_NOSTATE, ST_RUNNING, ST_BLOCKED, ST_PAUSED, ST_SHUTDOWN, ST_SHUTOFF, ST_CRASHED };

int domusd_uuid_parse(const char *s, uint8_t out[16])
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i, k = 0;

	if (strlen(s) != sizeof(form) - 1)
		return -1;
	for (i = 0; form[i]; i++) {
		int hi, lo;

		if (form[i] == '-') {
			if (s[i] != '-')
				return -1;
			continue;
		}
		hi = domus_ctl_hexval(s[i]);
		lo = domus_ctl_hexval(s[i + 1]);
		if (hi < 0 || lo < 0 || form[i + 1] != 'x')
			return -1;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}

/* xl's letters "rbpscd" at positions 0-5; position 4 is the shutdown
 * reason of an 's' ('-' poweroff, 'r' reboot, 'c' crash, 'w' watchdog). */
void domusd_dom_state(const char *xl, int *state, int *reason)
{
	size_t n = strlen(xl);

	*state = ST_NOSTATE;
	*reason = 0;
	if (n > 5 && xl[5] == 'd') {
		*state = ST_SHUTDOWN;
		*reason = 1;
	} else if (n > 3 && xl[3] == 's') {
		if (n > 4 && xl[4] == 'c') {
			*state = ST_CRASHED;
			*reason = 1;	/* panicked */
		} else {
			*state = ST_SHUTOFF;
			*reason = 1;	/* shutdown */
		}
	} else if (n > 2 && xl[2] == 'p') {
		*state = ST_PAUSED;
		*reason = 1;		/* user */
	} else if ((n > 0 && xl[0] == 'r') || (n > 1 && xl[1] == 'b') || !strcmp(xl, "------")) {
		/* running, blocked, or between the two: libvirt's xen drivers say running */
		*state = ST_RUNNING;
		*reason = 1;		/* booted */
	}
}

void domusd_dom_state_of(const struct domus_dominfo *d, int *state, int *reason)
{
	if (d->id == DOMUSD_INACTIVE) {
		*state = ST_SHUTOFF;
		/* saved (a managed save waits), else unknown: never started,
		 * or ended before */
		*reason = domusd_managed_exists(d->name) ? 5 : 0;
		return;
	}
	domusd_dom_state(d->state, state, reason);
	/* a run the launcher restored or took in by migration says so until
	 * it changes state (virDomainRunningReason: 2 migrated, 3 restored) */
	if (*state == ST_RUNNING && d->started == DOMUS_STARTED_RESTORED)
		*reason = 3;
	else if (*state == ST_RUNNING && d->started == DOMUS_STARTED_MIGRATED)
		*reason = 2;
}

static void dom_uuid(const struct domus_dominfo *d, uint8_t u[16])
{
	if (domusd_uuid_parse(d->uuid, u))
		memset(u, 0, 16);
}

int domusd_dom_match(const struct domus_dominfo *v, int n, const char *name, const uint8_t uuid[16])
{
	static const uint8_t zero[16];
	bool by_uuid = memcmp(uuid, zero, 16) != 0;
	int i;

	for (i = 0; i < n; i++) {
		uint8_t u[16];

		dom_uuid(&v[i], u);
		if (by_uuid ? !memcmp(u, uuid, 16) : !strcmp(v[i].name, name))
			return i;
	}
	return -1;
}

/* remote_nonnull_domain */
void domusd_put_dom(struct xdr_out *x, const struct domus_dominfo *d)
{
	uint8_t u[16];

	dom_uuid(d, u);
	xdr_put_string(x, d->name);
	xdr_put_fixed(x, u, 16);
	xdr_put_i32(x, (int32_t)d->id);
}

static int list(struct rpc_call *c, struct domus_dominfo **v)
{
	int n = domusd_domains(c->s->be, v);

	if (n < 0) {
		*v = NULL;
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "domusd: cannot list the domains: %s", strerror(-n));
	}
	return n;
}

/* Does @d pass the CONNECT_LIST_ALL_DOMAINS filter @f?  Each group of
 * flags, when any of its bits is given, must hold for one of them. */
static bool list_filter(const struct domus_dominfo *d, unsigned int f)
{
	bool active = d->id != DOMUSD_INACTIVE, persistent = !active || domusd_def_exists(d->name);
	bool autostart = persistent && domusd_autostart_get(d->name);
	int st, why;

	domusd_dom_state_of(d, &st, &why);
	/* 1 ACTIVE, 2 INACTIVE */
	if ((f & 3) && !(f & (active ? 1 : 2)))
		return false;
	/* 4 PERSISTENT, 8 TRANSIENT: has CONF_DIR/NAME.cfg or not */
	if ((f & 12) && !(f & (persistent ? 4 : 8)))
		return false;
	/* 16 RUNNING, 32 PAUSED, 64 SHUTOFF, 128 OTHER */
	if (f & 240) {
		unsigned int bit = st == ST_RUNNING || st == ST_BLOCKED ? 16 : st == ST_PAUSED ? 32 :
				   st == ST_SHUTOFF ? 64 : 128;

		if (!(f & bit))
			return false;
	}
	/* 1024/2048 (NO_)AUTOSTART: the link in AUTO_DIR */
	if ((f & 0xc00) && !(f & (autostart ? 0x400 : 0x800)))
		return false;
	/* 256/512 (NO_)MANAGEDSAVE: SAVE_DIR/NAME.save (procs_save.c) */
	if ((f & 0x300) && !(f & (domusd_managed_exists(d->name) ? 0x100 : 0x200)))
		return false;
	/* 4096/8192 (NO_)SNAPSHOT, 16384/32768 (NO_)CHECKPOINT: none has any */
	if ((f & 0x3000) && !(f & 0x2000))
		return false;
	if ((f & 0xc000) && !(f & 0x8000))
		return false;
	return true;
}

int h_list_all_domains(struct rpc_call *c)
{
	struct domus_dominfo *v;
	int n, i;
	uint32_t cnt = 0;
	size_t at;

	if (c->a->flags & ~0xffffu)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "domusd: unsupported flags 0x%x in CONNECT_LIST_ALL_DOMAINS", c->a->flags & ~0xffffu);
	n = list(c, &v);
	if (n < 0)
		return -1;
	if (n > (int)RPC_DOMAIN_LIST_MAX)
		n = (int)RPC_DOMAIN_LIST_MAX;
	at = c->ret->len;
	xdr_put_u32(c->ret, 0);		/* the count, patched */
	for (i = 0; i < n; i++) {
		if (!list_filter(&v[i], c->a->flags))
			continue;
		if (c->a->i)
			domusd_put_dom(c->ret, &v[i]);
		cnt++;
	}
	if (c->a->i)
		xdr_patch_u32(c->ret, at, cnt);
	xdr_put_u32(c->ret, cnt);
	free(v);
	return 0;
}

/* How many of @v (@n) are active (they come first) */
static int n_active(const struct domus_dominfo *v, int n)
{
	int i;

	for (i = 0; i < n && v[i].id != DOMUSD_INACTIVE; i++)
		;
	return i;
}

int h_num_of_domains(struct rpc_call *c)
{
	struct domus_dominfo *v;
	int n = list(c, &v);

	if (n < 0)
		return -1;
	xdr_put_i32(c->ret, n_active(v, n));
	free(v);
	return 0;
}

int h_num_defined(struct rpc_call *c)
{
	struct domus_dominfo *v;
	int n = list(c, &v);

	if (n < 0)
		return -1;
	xdr_put_i32(c->ret, n - n_active(v, n));
	free(v);
	return 0;
}

int h_list_domains(struct rpc_call *c)
{
	struct domus_dominfo *v;
	int n, i;

	if (c->a->i < 0 || (uint32_t)c->a->i > RPC_DOMAIN_LIST_MAX)
		return rpc_err(c->err, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: maxids %d out of range (0-%u)",
			       (int)c->a->i, RPC_DOMAIN_LIST_MAX);
	n = list(c, &v);
	if (n < 0)
		return -1;
	n = n_active(v, n);
	if (n > c->a->i)
		n = c->a->i;
	xdr_put_u32(c->ret, (uint32_t)n);
	for (i = 0; i < n; i++)
		xdr_put_i32(c->ret, (int32_t)v[i].id);
	free(v);
	return 0;
}

int h_list_defined(struct rpc_call *c)
{
	struct domus_dominfo *v;
	int n, i, a;

	if (c->a->i < 0 || (uint32_t)c->a->i > RPC_DOMAIN_LIST_MAX)
		return rpc_err(c->err, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: maxnames %d out of range (0-%u)",
			       (int)c->a->i, RPC_DOMAIN_LIST_MAX);
	n = list(c, &v);
	if (n < 0)
		return -1;
	a = n_active(v, n);
	if (n - a > c->a->i)
		n = a + c->a->i;
	xdr_put_u32(c->ret, (uint32_t)(n - a));
	for (i = a; i < n; i++)
		xdr_put_string(c->ret, v[i].name);
	free(v);
	return 0;
}

/* The lookups: the domain whose field matches, or VIR_ERR_NO_DOMAIN. */
static int lookup(struct rpc_call *c, int by, const char *what)
{
	struct domus_dominfo *v;
	int n = list(c, &v), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t u[16];

		dom_uuid(&v[i], u);
		if ((by == 0 && c->a->i >= 0 && v[i].id != DOMUSD_INACTIVE && v[i].id == (unsigned int)c->a->i) ||
		    (by == 1 && !strcmp(v[i].name, c->a->str)) ||
		    (by == 2 && !memcmp(u, c->a->uuid, 16))) {
			domusd_put_dom(c->ret, &v[i]);
			free(v);
			return 0;
		}
	}
	free(v);
	return rpc_err(c->err, VIR_ERR_NO_DOMAIN, VIR_FROM_DOM, "Domain not found: no domain with matching %s", what);
}

int h_lookup_by_id(struct rpc_call *c)
{
	char what[32];

	snprintf(what, sizeof(what), "id %d", (int)c->a->i);
	return lookup(c, 0, what);
}

int h_lookup_by_name(struct rpc_call *c)
{
	char what[128];

	snprintf(what, sizeof(what), "name '%.100s'", c->a->str);
	return lookup(c, 1, what);
}

int h_lookup_by_uuid(struct rpc_call *c)
{
	char what[64];
	const uint8_t *u = c->a->uuid;

	snprintf(what, sizeof(what), "uuid '%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x'",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return lookup(c, 2, what);
}

/*
 * The domain's definition (its launcher's "config"), finished: 0, or -1
 * with the error set.  domus_config_free(@cfg) after.
 */
int domusd_dom_config(struct rpc_call *c, struct domus_config *cfg)
{
	char *text = NULL, msg[256];
	size_t len = 0;
	int r;

	if (c->dom->id == DOMUSD_INACTIVE) {
		if (domusd_def_load(c->dom->name, cfg, msg, sizeof(msg)))
			return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				       "domusd: the definition of domain '%s' does not read: %s", c->dom->name, msg);
		return 0;
	}
	r = c->s->be->config(c->dom->name, &text, &len);
	domus_config_init(cfg);
	if (r)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "domusd: cannot read the definition of domain '%s' from its launcher: %s",
			       c->dom->name, strerror(-r));
	r = domus_config_parse(cfg, text, len, c->dom->name, msg, sizeof(msg));
	if (!r)
		r = domus_config_finish(cfg, msg, sizeof(msg));
	free(text);
	if (r) {
		domus_config_free(cfg);
		domus_config_init(cfg);
		return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOM,
			       "domusd: the definition of domain '%s' does not read back: %s", c->dom->name, msg);
	}
	return 0;
}

int h_dom_info(struct rpc_call *c)
{
	struct domus_config cfg;
	unsigned long long mem = c->dom->mem_mib * 1024, max = mem;
	int st, why;

	/* the maximum from the definition; the domain still answers without it */
	if (!domusd_dom_config(c, &cfg) && cfg.maxmem_mib * 1024 > max)
		max = cfg.maxmem_mib * 1024;
	domus_config_free(&cfg);
	memset(c->err, 0, sizeof(*c->err));
	domusd_dom_state_of(c->dom, &st, &why);
	xdr_put_i32(c->ret, st);		/* unsigned char, widened */
	xdr_put_u64(c->ret, max);
	xdr_put_u64(c->ret, mem);
	xdr_put_i32(c->ret, (int32_t)c->dom->vcpus);	/* unsigned short, widened */
	/* nanoseconds; a launcher's nonsense (NaN, beyond 300 years) as 0 */
	xdr_put_u64(c->ret, c->dom->cpu_time > 0 && c->dom->cpu_time < 1e10 ? (uint64_t)(c->dom->cpu_time * 1e9) : 0);
	return 0;
}

int h_dom_state(struct rpc_call *c)
{
	int st, why;

	if (c->a->flags)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "domusd: unsupported flags 0x%x in DOMAIN_GET_STATE", c->a->flags);
	domusd_dom_state_of(c->dom, &st, &why);
	xdr_put_i32(c->ret, st);
	xdr_put_i32(c->ret, why);
	return 0;
}

int h_dom_is_active(struct rpc_call *c)
{
	xdr_put_i32(c->ret, c->dom->id != DOMUSD_INACTIVE);
	return 0;
}

int h_dom_persistent(struct rpc_call *c)
{
	xdr_put_i32(c->ret, c->dom->id == DOMUSD_INACTIVE || domusd_def_exists(c->dom->name));
	return 0;
}

int h_dom_get_autostart(struct rpc_call *c)
{
	xdr_put_i32(c->ret, domusd_autostart_get(c->dom->name));
	return 0;
}

int h_dom_zero(struct rpc_call *c)
{
	xdr_put_i32(c->ret, 0);
	return 0;
}

/* HAS_MANAGED_SAVE_IMAGE: 0; it has no flags */
int h_dom_zero_flags(struct rpc_call *c)
{
	if (c->a->flags)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x", c->a->flags);
	return h_dom_zero(c);
}

int h_dom_os_type(struct rpc_call *c)
{
	struct domus_config cfg;

	if (domusd_dom_config(c, &cfg))
		return -1;
	xdr_put_string(c->ret, cfg.type == DOMUS_TYPE_HVM ? "hvm" : "xenpvh");
	domus_config_free(&cfg);
	return 0;
}

int h_dom_max_memory(struct rpc_call *c)
{
	struct domus_config cfg;

	if (domusd_dom_config(c, &cfg))
		return -1;
	xdr_put_u64(c->ret, cfg.maxmem_mib * 1024);
	domus_config_free(&cfg);
	return 0;
}

int h_dom_max_vcpus(struct rpc_call *c)
{
	struct domus_config cfg;

	if (domusd_dom_config(c, &cfg))
		return -1;
	xdr_put_i32(c->ret, (int32_t)cfg.maxvcpus);
	domus_config_free(&cfg);
	return 0;
}

/* GET_VCPUS_FLAGS: 1 LIVE, 2 CONFIG, 4 MAXIMUM (8 GUEST: not known) */
int h_dom_vcpus_flags(struct rpc_call *c)
{
	struct domus_config cfg;
	unsigned int f = c->a->flags;

	if ((f & ~7u) || (f & 3) == 3)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "domusd: unsupported flags 0x%x in DOMAIN_GET_VCPUS_FLAGS", f);
	if (domusd_dom_config(c, &cfg))
		return -1;
	if (f & 4)
		xdr_put_i32(c->ret, (int32_t)cfg.maxvcpus);
	else if (f & 2)
		xdr_put_i32(c->ret, (int32_t)cfg.vcpus);
	else if (c->dom->id == DOMUSD_INACTIVE && !(f & 1))
		xdr_put_i32(c->ret, (int32_t)cfg.vcpus);
	else if (c->dom->id == DOMUSD_INACTIVE)
		return domus_config_free(&cfg), rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
							"Requested operation is not valid: domain '%s' is not running",
							c->dom->name);
	else
		xdr_put_i32(c->ret, (int32_t)c->dom->vcpus);
	domus_config_free(&cfg);
	return 0;
}

/* GET_XML_DESC: flags 1 SECURE, 2 INACTIVE, 4 UPDATE_CPU, 8 MIGRATABLE
 * (nothing secret, no CPU model: all give the same document, INACTIVE
 * without the live id and with the defined memory). */
int h_dom_xml(struct rpc_call *c)
{
	struct domus_config cfg;
	bool inactive = c->a->flags & 2;
	char *xml;

	if (c->a->flags & ~15u)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "domusd: unsupported flags 0x%x in DOMAIN_GET_XML_DESC", c->a->flags);
	if (domusd_dom_config(c, &cfg))
		return -1;
	/* the live name and uuid (a rename, a uuid made at create) */
	snprintf(cfg.name, sizeof(cfg.name), "%s", c->dom->name);
	if (c->dom->uuid[0]) {
		free(cfg.uuid);
		cfg.uuid = strdup(c->dom->uuid);
	}
	if (c->dom->id == DOMUSD_INACTIVE)
		inactive = true;
	xml = domusd_domain_xml(&cfg, inactive ? -1 : (int)c->dom->id, inactive ? 0 : c->dom->mem_mib * 1024);
	domus_config_free(&cfg);
	if (!xml)
		return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOM, "domusd: cannot build the XML of domain '%s'",
			       c->dom->name);
	xdr_put_string(c->ret, xml);
	free(xml);
	return 0;
}
