// SPDX-License-Identifier: MIT
/*
 * domus list [NAME...]: xl's table.  The first row is the host, as
 * Domain-0 (id 0): its memory, online CPUs and CPU time; then every domain
 * whose launcher answers on its control socket, by id.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

static unsigned long host_mem_mib(void)
{
	char line[256];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

/* CPU time the host has used (all CPUs, not idle), in seconds. */
static double host_cpu_time(void)
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

static void row(const char *name, unsigned int id, unsigned long long mem, unsigned int vcpus,
		const char *state, double t)
{
	printf("%-40s %5u %5llu %5u     %-6s  %8.1f\n", name, id, mem, vcpus, state, t);
}

int cmd_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo *v;
	int opt, n, i, a;

	optind = 1;
	while ((opt = getopt(argc, argv, "+")) != -1)
		return domus_cmd_bad_option(cmd, "+");
	n = domus_ctl_list(&v);
	if (n < 0)
		n = 0;
	for (a = optind; a < argc; a++) {
		bool found = !strcmp(argv[a], "Domain-0") || !strcmp(argv[a], "0");

		for (i = 0; i < n && !found; i++)
			found = !strcmp(v[i].name, argv[a]) ||
				(strspn(argv[a], "0123456789") == strlen(argv[a]) &&
				 strtoul(argv[a], NULL, 10) == v[i].id);
		if (!found) {
			fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", argv[a]);
			free(v);
			return 1;
		}
	}
	printf("Name                                        ID   Mem VCPUs\tState\tTime(s)\n");
	for (a = optind; a <= argc; a++) {
		const char *want = a < argc ? argv[a] : NULL;

		if (a == argc && optind < argc)
			break;
		if (!want || !strcmp(want, "Domain-0") || !strcmp(want, "0"))
			row("Domain-0", 0, host_mem_mib(), (unsigned int)sysconf(_SC_NPROCESSORS_ONLN),
			    "r-----", host_cpu_time());
		for (i = 0; i < n; i++) {
			char id[16];

			snprintf(id, sizeof(id), "%u", v[i].id);
			if (want && strcmp(want, v[i].name) && strcmp(want, id))
				continue;
			row(v[i].name, v[i].id, v[i].mem_mib, v[i].vcpus, v[i].state, v[i].cpu_time);
		}
	}
	free(v);
	return 0;
}
