// SPDX-License-Identifier: MIT
/*
 * domus domid / domname / uuid / uptime: one fact of a domain, as xl
 * prints it (uuid is not in xl; xl shows it in `list -v`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

/* The one DOMAIN argument of @argv, or a usage error (returns NULL). */
static const char *one_domain(const struct domus_cmd *cmd, int argc, char **argv, int *rc)
{
	*rc = 0;
	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		*rc = domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	else if (argc != 2)
		*rc = domus_cmd_usage_error(cmd, "give one domain name or id");
	return *rc ? NULL : argv[1];
}

int cmd_domid(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	int r;
	const char *name = one_domain(cmd, argc, argv, &(int){ 0 });

	if (!name)
		return 1;
	if (!strcmp(name, "Domain-0")) {
		printf("0\n");
		return 0;
	}
	/* xl domid takes a name only */
	r = domus_ctl_find(name, &d);
	if (r == -ETIMEDOUT) {
		domus_cli_wedged(&d);
		return 1;
	}
	if (r || strcmp(d.name, name)) {
		fprintf(stderr, "Can't get domid of domain name '%s', maybe this domain does not exist.\n", name);
		return 1;
	}
	printf("%u\n", d.id);
	return 0;
}

int cmd_domname(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	const char *id = one_domain(cmd, argc, argv, &(int){ 0 });
	char *end;
	unsigned long n;

	if (!id)
		return 1;
	n = strtoul(id, &end, 10);
	if (*id < '0' || *id > '9' || *end || n > 0x7fef)
		return domus_cmd_usage_error(cmd, "'%s' is not a domain id (a number)", id);
	if (n == 0) {
		printf("Domain-0\n");
		return 0;
	}
	if (domus_ctl_find(id, &d)) {
		fprintf(stderr, "Can't get domain name of domain id '%lu', maybe this domain does not exist.\n", n);
		return 1;
	}
	printf("%s\n", d.name);
	return 0;
}

int cmd_uuid(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	const char *name = one_domain(cmd, argc, argv, &(int){ 0 });

	if (!name || domus_cli_find_domain(name, &d))
		return 1;
	if (!d.uuid[0]) {
		fprintf(stderr, "domus uuid: %s: its launcher does not report a uuid (an older domus-launcher?)\n", d.name);
		return 1;
	}
	printf("%s\n", d.uuid);
	return 0;
}

/* "D days, H:MM:SS" or "H:MM:SS" (xl's long form) */
static void fmt_uptime(long long s, char *out, size_t len)
{
	long long days = s / 86400;

	s %= 86400;
	if (days)
		snprintf(out, len, "%lld day%s, %lld:%02lld:%02lld", days, days == 1 ? "" : "s",
			 s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

static bool uptime_json, uptime_first;

static void uptime_row(bool shrt, const char *name, unsigned int id, long long secs)
{
	char up[64];

	if (uptime_json) {
		printf("%s\n  { \"name\": ", uptime_first ? "" : ",");
		domus_json_str(name);
		printf(", \"domid\": %u, \"uptime_seconds\": %lld }", id, secs < 0 ? 0 : secs);
		uptime_first = false;
		return;
	}

	fmt_uptime(secs < 0 ? 0 : secs, up, sizeof(up));
	if (shrt) {
		char now[16];
		time_t t = time(NULL);
		struct tm tm;

		strftime(now, sizeof(now), "%H:%M:%S", localtime_r(&t, &tm));
		printf("%s up %s, %s (%u)\n", now, up, name, id);
	} else {
		printf("%-32s %5u %s\n", name, id, up);
	}
}

static long long host_uptime(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return (long long)up;
}

int cmd_uptime(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo *v = NULL, d;
	bool shrt = false;
	long long now = (long long)time(NULL);
	int opt, a, n, i;

	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};

	uptime_json = false;
	uptime_first = true;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+s", longopts, NULL)) != -1) {
		if (opt == 'j')
			uptime_json = true;
		else if (opt == 's')
			shrt = true;
		else
			return domus_cmd_bad_option(cmd, "+s");
	}
	for (a = optind; a < argc; a++)
		if (strcmp(argv[a], "Domain-0") && strcmp(argv[a], "0") &&
		    domus_cli_find_domain(argv[a], &d))
			return 1;
	if (uptime_json)
		printf("[");
	else if (!shrt)
		printf("%-32s %5s %s\n", "Name", "ID", "Uptime");
	if (optind == argc) {
		uptime_row(shrt, "Domain-0", 0, host_uptime());
		n = domus_ctl_list(&v);
		for (i = 0; i < n; i++)
			uptime_row(shrt, v[i].name, v[i].id, v[i].start ? now - v[i].start : 0);
		free(v);
		if (uptime_json)
			printf("\n]\n");
		return 0;
	}
	for (a = optind; a < argc; a++) {
		if (!strcmp(argv[a], "Domain-0") || !strcmp(argv[a], "0"))
			uptime_row(shrt, "Domain-0", 0, host_uptime());
		else if (domus_ctl_find(argv[a], &d) == 0)
			uptime_row(shrt, d.name, d.id, d.start ? now - d.start : 0);
	}
	if (uptime_json)
		printf("\n]\n");
	return 0;
}
