// SPDX-License-Identifier: MIT
/*
 * domus mem-set / mem-max / vcpu-set / vcpu-pin / vcpu-list: requests to
 * a domain's launcher (userland/launcher/control.c), as xl has them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

/*
 * xl's memory sizes: a number with an optional unit b, k, m, g or t
 * (either case); no unit is KiB.  The size in KiB, or -1.
 */
long long domus_parse_mem_kib(const char *s)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		switch (*end | 0x20) {
		case 'b': return end[1] ? -1 : (long long)(v / 1024);
		case 'k': mul = 1; break;
		case 'm': mul = 1024; break;
		case 'g': mul = 1024 * 1024; break;
		case 't': mul = 1024ULL * 1024 * 1024; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (v > (1ULL << 40) / mul)
		return -1;
	return (long long)(v * mul);
}

/* One request to NAME's launcher; a refusal is one line on stderr and 1. */
static int request(const char *cmdname, const char *dom, const char *req, char *reply, size_t len)
{
	struct domus_dominfo d;
	int r;

	if (domus_cli_find_domain(dom, &d))
		return 1;
	r = domus_ctl_request(d.name, req, reply, len, 10000);
	if (r) {
		fprintf(stderr, "domus %s: %s: %s\n", cmdname, d.name,
			r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	if (!strncmp(reply, "ok note: ", 9))	/* done, with something to know */
		fprintf(stderr, "domus %s: %s: %s\n", cmdname, d.name, reply + 3);
	return 0;
}

static int mem_cmd(const struct domus_cmd *cmd, int argc, char **argv, const char *req)
{
	char line[64], reply[DOMUS_CTL_LINE_MAX];
	long long kib;

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give a domain and a size");
	kib = domus_parse_mem_kib(argv[optind + 1]);
	if (kib < 0)
		return domus_cmd_usage_error(cmd, "'%s' is not a size: a number with an optional unit k, m, g (no unit: KiB)",
					     argv[optind + 1]);
	snprintf(line, sizeof(line), "%s %lld", req, kib);
	return request(cmd->name, argv[optind], line, reply, sizeof(reply));
}

int cmd_mem_set(const struct domus_cmd *cmd, int argc, char **argv)
{
	return mem_cmd(cmd, argc, argv, "mem-set");
}

int cmd_mem_max(const struct domus_cmd *cmd, int argc, char **argv)
{
	return mem_cmd(cmd, argc, argv, "mem-max");
}

int cmd_vcpu_set(const struct domus_cmd *cmd, int argc, char **argv)
{
	char line[64], reply[DOMUS_CTL_LINE_MAX];

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give a domain and a vCPU count");
	if (strlen(argv[optind + 1]) > 10 || strspn(argv[optind + 1], "0123456789") != strlen(argv[optind + 1]))
		return domus_cmd_usage_error(cmd, "'%s' is not a vCPU count", argv[optind + 1]);
	snprintf(line, sizeof(line), "vcpu-set %s", argv[optind + 1]);
	return request(cmd->name, argv[optind], line, reply, sizeof(reply));
}

int cmd_vcpu_pin(const struct domus_cmd *cmd, int argc, char **argv)
{
	char line[DOMUS_CTL_LINE_MAX], reply[DOMUS_CTL_LINE_MAX];

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	/* xl: vcpu-pin DOMAIN VCPU HARD [SOFT]; soft affinity is not kept */
	if (argc - optind != 3 && argc - optind != 4)
		return domus_cmd_usage_error(cmd, "give a domain, a vCPU (or all) and a CPU list");
	if (argc - optind == 4 && strcmp(argv[optind + 3], "all"))
		return domus_cmd_usage_error(cmd, "soft affinity is not supported: give only the hard CPU list");
	if (strlen(argv[optind + 1]) + strlen(argv[optind + 2]) > 200 ||
	    strchr(argv[optind + 1], ' ') || strchr(argv[optind + 2], ' ') ||
	    strchr(argv[optind + 2], '\n') || strchr(argv[optind + 1], '\n'))
		return domus_cmd_usage_error(cmd, "the vCPU and the CPU list are single words");
	snprintf(line, sizeof(line), "vcpu-pin %s %s", argv[optind + 1], argv[optind + 2]);
	return request(cmd->name, argv[optind], line, reply, sizeof(reply));
}

/* "ok 0/1/r--/12.3/all 1/-/--p/0.0/0-1": one row per token. */
static void vcpu_rows(const char *name, unsigned int id, const char *reply, bool json, bool *first)
{
	const char *p = reply + 2;

	while (*p == ' ') {
		char cpu[16], state[8], aff[200];
		unsigned int v;
		double t;
		int n = 0;

		if (sscanf(p, " %u/%15[^/]/%7[^/]/%lf/%199s%n", &v, cpu, state, &t, aff, &n) != 5 || !n)
			break;
		if (json) {
			printf("%s\n  { \"name\": ", *first ? "" : ",");
			domus_json_str(name);
			printf(", \"domid\": %u, \"vcpu\": %u, \"cpu\": %s, \"state\": ", id, v,
			       strcmp(cpu, "-") ? cpu : "null");
			domus_json_str(state);
			printf(", \"time\": %.1f, \"affinity\": ", t);
			domus_json_str(aff);
			printf(" }");
			*first = false;
		} else {
			printf("%-32s %5u %5u %5s   %-5s %9.1f  %s\n", name, id, v, cpu, state, t, aff);
		}
		p += n;
	}
}

int cmd_vcpu_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct domus_dominfo *v;
	char reply[DOMUS_CTL_LINE_MAX];
	bool json = false, first = true;
	int n, i, a, opt, rc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt != 'j')
			return domus_cmd_bad_option(cmd, "+");
		json = true;
	}
	n = domus_ctl_list(&v);
	if (n < 0)
		n = 0;
	for (a = optind; a < argc; a++) {
		struct domus_dominfo d;

		if (domus_cli_find_domain(argv[a], &d)) {
			free(v);
			return 1;
		}
	}
	if (json)
		printf("[");
	else
		printf("%-32s %5s %5s %5s   %-5s %9s  %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "Affinity");
	for (i = 0; i < n; i++) {
		char id[16];
		bool want = optind == argc;

		snprintf(id, sizeof(id), "%u", v[i].id);
		for (a = optind; a < argc; a++)
			if (!strcmp(argv[a], v[i].name) || !strcmp(argv[a], id))
				want = true;
		if (!want)
			continue;
		if (domus_ctl_request(v[i].name, "vcpu-list", reply, sizeof(reply), 10000)) {
			fprintf(stderr, "domus vcpu-list: %s: the launcher does not answer\n", v[i].name);
			rc = 1;
			continue;
		}
		vcpu_rows(v[i].name, v[i].id, reply, json, &first);
	}
	if (json)
		printf("\n]\n");
	free(v);
	return rc;
}
