// SPDX-License-Identifier: MIT
/*
 * domus stats: the module's exit counters for one domain, read by its
 * launcher (control request "stats", userland/ctl/ctl.h).
 */
#include <getopt.h>
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
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false, json = false, first = true;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+a", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': all = true; break;
		case 'j': json = true; break;
		default: return domus_cmd_bad_option(cmd, "+a");
		}
	}
	if (argc - optind != 1)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	r = domus_ctl_request(d.name, "stats", reply, sizeof(reply), 10000);
	if (r) {
		fprintf(stderr, "domus stats: %s: %s\n", d.name,
			r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	/* "ok key=value ...": one "key value" line each; zero counters
	 * only with -a (exits always) */
	if (json) {
		printf("{ \"name\": ");
		domus_json_str(d.name);
		printf(", \"domid\": %u, \"counters\": {", d.id);
	}
	strtok_r(reply, " ", &save);
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		if (!eq || strspn(eq + 1, "0123456789") != strlen(eq + 1) || !eq[1])
			continue;	/* counters are numbers; anything else is not ours */
		*eq = '\0';
		if (json) {
			/* every counter, zero or not: a script wants stable keys */
			printf("%s ", first ? "" : ",");
			domus_json_str(tok);
			printf(": %s", eq + 1);
			first = false;
			continue;
		}
		if (!all && !strcmp(eq + 1, "0") && strcmp(tok, "exits"))
			continue;
		printf("%-14s %s\n", tok, eq + 1);
	}
	if (json)
		printf(" } }\n");
	return 0;
}
