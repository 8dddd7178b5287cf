// SPDX-License-Identifier: MIT
/*
 * domus list [-a] [-l|--json] [-v] [NAME...]: xl's table (-v: with UUID and
 * reason code; -l, --json: a JSON array instead).  The first row is the host, as
 * Domain-0 (id 0): its memory, online CPUs and CPU time; then every domain
 * whose launcher answers on its control socket, by id.  A launcher that
 * holds its socket but does not answer gets a line on stderr (status 1).
 * -a (--all) adds the defined domains that do not run (CONF_DIR/NAME.cfg,
 * domusd's store: the domains `virsh list --all` shows shut off), by
 * name, with id '-' and state "shut off".
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"
#include "libdomus.h"
#include "rpc.h"

static int no_launchers(struct domus_dominfo **out)
{
	*out = NULL;
	return 0;
}

/* The definitions in CONF_DIR that none of @v (@n) or @w (@nw) runs. */
static int defined_off(const struct domus_dominfo *v, int n, const struct domus_dominfo *w, int nw,
		       struct domus_dominfo **out)
{
	static const struct domusd_backend none = { .list = no_launchers };
	struct domus_dominfo *d;
	int k = domusd_domains(&none, &d), i, j, m = 0;

	if (k < 0) {
		*out = NULL;
		return 0;
	}
	for (i = 0; i < k; i++) {
		bool runs = false;

		for (j = 0; j < n && !runs; j++)
			runs = !strcmp(v[j].name, d[i].name);
		for (j = 0; j < nw && !runs; j++)
			runs = !strcmp(w[j].name, d[i].name);
		if (!runs)
			d[m++] = d[i];
	}
	*out = d;
	return m;
}

/* CPU time the host has used (all CPUs, not idle), in seconds. */
double domus_host_cpu_time(void)
{
	unsigned long long v[10] = { 0 };
	double s = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8)
		/* user nice system [idle iowait] irq softirq steal */
		s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / sysconf(_SC_CLK_TCK);
	fclose(f);
	return s;
}

/* One domain's row (@uuid NULL: the plain table; "" for Domain-0). */
static void row(const char *name, unsigned int id, unsigned long long mem, unsigned int vcpus,
		const char *state, double t, const char *uuid)
{
	printf("%-40s %5u %5llu %5u     %-6s  %8.1f", name, id, mem, vcpus, state, t);
	if (uuid) {
		/* xl's reason code of a shut-down domain: the SHUTDOWN_* number */
		static const char reasons[] = "-rscwS";
		const char *why = state[3] == 's' && state[4] ? strchr(reasons, state[4]) : NULL;
		char code[4] = "-";

		if (why)
			snprintf(code, sizeof(code), "%d", (int)(why - reasons));
		printf(" %-36s %11s", *uuid ? uuid : "00000000-0000-0000-0000-000000000000", code);
	}
	putchar('\n');
}

static void json_row(bool first, const char *name, unsigned int id, const char *uuid,
		     unsigned long long mem, unsigned int vcpus, const char *state, double t,
		     long long start, long pid)
{
	printf("%s\n  { \"domid\": %u, \"name\": ", first ? "" : ",", id);
	domus_json_str(name);
	printf(", \"uuid\": ");
	domus_json_str(uuid);
	printf(", \"memory_mib\": %llu, \"vcpus\": %u, \"state\": ", mem, vcpus);
	domus_json_str(state);
	printf(", \"cpu_time\": %.1f, \"start_time\": %lld, \"launcher_pid\": %ld }", t, start, pid);
}

int cmd_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'l' },
		{ "long", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct domus_dominfo *v, *w, *off = NULL;
	bool json = false, verbose = false, first = true, all = false;
	int opt, n, i, a, nw = 0, noff = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+alv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': all = true; break;
		case 'l': json = true; break;
		case 'v': verbose = true; break;
		default: return domus_cmd_bad_option(cmd, "+alv");
		}
	}
	n = domus_ctl_list_all(&v, &w, &nw);
	if (n < 0)
		n = 0;
	if (all)
		noff = defined_off(v, n, w, nw, &off);
	for (a = optind; a < argc; a++) {
		bool found = !strcmp(argv[a], "Domain-0") || !strcmp(argv[a], "0");

		for (i = 0; i < nw; i++) {
			if (!strcmp(w[i].name, argv[a])) {
				domus_cli_wedged(&w[i]);
				free(v);
				free(w);
				free(off);
				return 1;
			}
		}
		for (i = 0; i < noff && !found; i++)
			found = !strcmp(off[i].name, argv[a]);
		for (i = 0; i < n && !found; i++)
			found = !strcmp(v[i].name, argv[a]) ||
				(strspn(argv[a], "0123456789") == strlen(argv[a]) &&
				 strtoul(argv[a], NULL, 10) == v[i].id);
		if (!found) {
			fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", argv[a]);
			free(v);
			free(w);
			free(off);
			return 1;
		}
	}
	if (json)
		printf("[");
	else if (verbose)
		printf("Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            Reason-Code\n");
	else
		printf("Name                                        ID   Mem VCPUs\tState\tTime(s)\n");
	for (a = optind; a <= argc; a++) {
		const char *want = a < argc ? argv[a] : NULL;

		if (a == argc && optind < argc)
			break;
		if (!want || !strcmp(want, "Domain-0") || !strcmp(want, "0")) {
			unsigned int cpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);

			if (json)
				json_row(first, "Domain-0", 0, "00000000-0000-0000-0000-000000000000",
					 (unsigned long)(domus_meminfo_kib("MemTotal") / 1024), cpus, "r-----", domus_host_cpu_time(), 0, 0);
			else
				row("Domain-0", 0, (unsigned long)(domus_meminfo_kib("MemTotal") / 1024), cpus, "r-----", domus_host_cpu_time(),
				    verbose ? "" : NULL);
			first = false;
		}
		for (i = 0; i < n; i++) {
			char id[16];

			snprintf(id, sizeof(id), "%u", v[i].id);
			if (want && strcmp(want, v[i].name) && strcmp(want, id))
				continue;
			if (json)
				json_row(first, v[i].name, v[i].id, v[i].uuid, v[i].mem_mib, v[i].vcpus,
					 v[i].state, v[i].cpu_time, v[i].start, (long)v[i].pid);
			else
				row(v[i].name, v[i].id, v[i].mem_mib, v[i].vcpus, v[i].state,
				    v[i].cpu_time, verbose ? v[i].uuid : NULL);
			first = false;
		}
		for (i = 0; i < noff; i++) {
			if (want && strcmp(want, off[i].name))
				continue;
			if (json) {
				printf("%s\n  { \"domid\": null, \"name\": ", first ? "" : ",");
				domus_json_str(off[i].name);
				printf(", \"uuid\": ");
				domus_json_str(off[i].uuid);
				printf(", \"memory_mib\": %llu, \"vcpus\": %u, \"state\": \"shut off\", \"cpu_time\": 0.0, "
				       "\"start_time\": 0, \"launcher_pid\": null }", off[i].mem_mib, off[i].vcpus);
			} else {
				printf("%-40s %5s %5llu %5u     %-8s%8.1f", off[i].name, "-", off[i].mem_mib, off[i].vcpus,
				       "shut off", 0.0);
				if (verbose)
					printf(" %-36s %11s", off[i].uuid, "-");
				putchar('\n');
			}
			first = false;
		}
	}
	if (json)
		printf("\n]\n");
	free(v);
	free(off);
	/* launchers that do not answer: not listed, named on stderr, status 1 */
	for (i = 0; i < nw && optind == argc; i++)
		domus_cli_wedged(&w[i]);
	free(w);
	return nw && optind == argc ? 1 : 0;
}
