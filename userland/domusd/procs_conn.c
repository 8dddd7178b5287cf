// SPDX-License-Identifier: MIT
/*
 * domusd: the procedures of the connection and the host (procs.h):
 * open/close, authentication, feature probes, type, versions, hostname,
 * capabilities, node info; networks (domus has none in libvirt's sense).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "libdomus.h"
#include "procs.h"
#include "xlcfg.h"

int h_connect_open(struct rpc_call *c)
{
	const char *name = c->a->str;

	/* bit 0: read-only; bit 1: no URI aliases (the client's business) */
	if (c->a->flags & ~3u)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_REMOTE,
			       "domusd: unsupported flags 0x%x in CONNECT_OPEN", c->a->flags);
	if (name && *name && strcmp(name, "domus:///system") && strcmp(name, "domus:///system/"))
		return rpc_err(c->err, VIR_ERR_NO_CONNECT, VIR_FROM_REMOTE,
			       "no connection driver available for %.200s: domusd serves domus:///system", name);
	if (c->a->flags & 1)
		c->s->readonly = true;
	c->s->open = true;
	return 0;
}

int h_connect_close(struct rpc_call *c)
{
	c->s->open = false;
	c->s->closed = true;
	return 0;
}

int h_get_type(struct rpc_call *c)
{
	xdr_put_string(c->ret, "domus");
	return 0;
}

/* "1.2.3" as libvirt's 1002003 */
int h_get_version(struct rpc_call *c)
{
	unsigned int ma = 0, mi = 0, mc = 0;

	sscanf(DOMUS_VERSION_STR, "%u.%u.%u", &ma, &mi, &mc);
	xdr_put_u64(c->ret, (uint64_t)ma * 1000000 + (uint64_t)mi * 1000 + mc);
	return 0;
}

int h_get_max_vcpus(struct rpc_call *c)
{
	xdr_put_i32(c->ret, DOMUS_CFG_MAX_VCPUS);
	return 0;
}

/* The first "cpu MHz" of /proc/cpuinfo, 0 if none. */
static int cpu_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "cpu MHz", 7) && sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return (int)mhz;
}

int h_node_get_info(struct rpc_call *c)
{
	char model[32];
	struct utsname u;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(model, 0, sizeof(model));
	if (!uname(&u))
		snprintf(model, sizeof(model), "%.31s", u.machine);
	if (cpus < 1)
		cpus = 1;
	xdr_put_chars(c->ret, model, sizeof(model));
	xdr_put_u64(c->ret, domus_meminfo_kib("MemTotal"));
	xdr_put_i32(c->ret, (int32_t)cpus);
	xdr_put_i32(c->ret, cpu_mhz());
	xdr_put_i32(c->ret, 1);			/* nodes */
	xdr_put_i32(c->ret, 1);			/* sockets */
	xdr_put_i32(c->ret, (int32_t)cpus);	/* cores */
	xdr_put_i32(c->ret, 1);			/* threads */
	return 0;
}

int h_get_capabilities(struct rpc_call *c)
{
	char *xml = domusd_capabilities_xml();

	if (!xml)
		return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "domusd: cannot build the capabilities XML");
	xdr_put_string(c->ret, xml);
	free(xml);
	return 0;
}

int h_get_hostname(struct rpc_call *c)
{
	char host[256];

	if (gethostname(host, sizeof(host) - 1))
		return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "domusd: gethostname failed");
	host[sizeof(host) - 1] = 0;
	xdr_put_string(c->ret, host);
	return 0;
}

/* CONNECT_SUPPORTS_FEATURE: 10 keepalive, 15 close callbacks; no events
 * (14), no migration, no fd passing.  Unknown features: 0. */
int h_supports_feature(struct rpc_call *c)
{
	/* keepalive (10), event callbacks (14: events.c), close callbacks (15) */
	xdr_put_i32(c->ret, c->a->i == 10 || c->a->i == 14 || c->a->i == 15);
	return 0;
}

/* AUTH_LIST: [NONE]; access is the socket's file mode. */
int h_auth_list(struct rpc_call *c)
{
	xdr_put_u32(c->ret, 1);
	xdr_put_u32(c->ret, 0);
	return 0;
}

int h_node_free_memory(struct rpc_call *c)
{
	xdr_put_u64(c->ret, domus_meminfo_kib("MemAvailable") * 1024);
	return 0;
}

int h_get_uri(struct rpc_call *c)
{
	xdr_put_string(c->ret, "domus:///system");
	return 0;
}

/* NODE_GET_SECURITY_MODEL: model "" and doi "", each char<> counted with
 * its NUL as libvirtd sends them (virsh then prints no security lines). */
int h_security_model(struct rpc_call *c)
{
	xdr_put_u32(c->ret, 1);
	xdr_put_i32(c->ret, 0);
	xdr_put_u32(c->ret, 1);
	xdr_put_i32(c->ret, 0);
	return 0;
}

int h_is_secure(struct rpc_call *c)
{
	xdr_put_i32(c->ret, 1);		/* a local UNIX socket */
	return 0;
}

int h_void(struct rpc_call *c)
{
	(void)c;
	return 0;
}

int h_zero(struct rpc_call *c)
{
	xdr_put_i32(c->ret, 0);
	return 0;
}

/* names<16384> with maxnames: empty (no networks, no defined domains) */
int h_empty_list(struct rpc_call *c)
{
	if (c->a->i < 0 || (uint32_t)c->a->i > RPC_DOMAIN_LIST_MAX)
		return rpc_err(c->err, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: maxnames %d out of range (0-%u)",
			       (int)c->a->i, RPC_DOMAIN_LIST_MAX);
	xdr_put_u32(c->ret, 0);
	return 0;
}

/* CONNECT_LIST_ALL_NETWORKS: none (flags 1-32 are the defined ones). */
int h_list_all_networks(struct rpc_call *c)
{
	if (c->a->flags & ~63u)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_REMOTE,
			       "domusd: unsupported flags 0x%x in CONNECT_LIST_ALL_NETWORKS", c->a->flags);
	xdr_put_u32(c->ret, 0);
	xdr_put_u32(c->ret, 0);
	return 0;
}
