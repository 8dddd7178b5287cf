// SPDX-License-Identifier: MIT
/*
 * domus stats: the module's exit counters for one domain, read by its
 * launcher (control request "stats", userland/ctl/ctl.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

int cmd_stats(const struct domus_cmd *cmd, int argc, char **argv)
{
	char reply[DOMUS_CTL_LINE_MAX], *tok, *save = NULL;
	struct domus_dominfo d;
	bool all = false;
	int opt, r;

	optind = 1;
	while ((opt = getopt(argc, argv, "+a")) != -1) {
		switch (opt) {
		case 'a': all = true; break;
		default: return domus_cmd_bad_option(cmd, "+a");
		}
	}
	if (argc - optind != 1)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	if (domus_ctl_find(argv[optind], &d)) {
		fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", argv[optind]);
		return 1;
	}
	r = domus_ctl_request(d.name, "stats", reply, sizeof(reply), 10000);
	if (r) {
		fprintf(stderr, "domus stats: %s: %s\n", d.name,
			r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	/* "ok key=value ...": one "key value" line each; zero counters
	 * only with -a (exits always) */
	strtok_r(reply, " ", &save);
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (!all && !strcmp(eq + 1, "0") && strcmp(tok, "exits"))
			continue;
		printf("%-14s %s\n", tok, eq + 1);
	}
	return 0;
}
