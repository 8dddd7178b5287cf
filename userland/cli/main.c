// SPDX-License-Identifier: MIT
/*
 * domus: the xl-style command line.  Commands live in one table
 * (domus_cmds below); this file only parses the global options and dispatches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "libdomus.h"

static void print_help(FILE *out)
{
	const struct domus_cmd *c;

	fprintf(out, "Usage: domus [--help] [--version] <command> [args]\n\n"
		"Commands:\n");
	for (c = domus_cmds; c->name; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->help);
	fprintf(out, "\n'domus help <command>' shows a command's usage.\n");
}

const struct domus_cmd *domus_cmd_find(const char *name)
{
	const struct domus_cmd *c;

	for (c = domus_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int domus_cmd_usage_error(const struct domus_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "domus %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: domus %s%s%s\n", cmd->name,
		*cmd->usage ? " " : "", cmd->usage);
	return 1;
}

static int cmd_help(const struct domus_cmd *cmd, int argc, char **argv)
{
	const struct domus_cmd *c;

	if (argc == 1) {
		print_help(stdout);
		return 0;
	}
	if (argc != 2)
		return domus_cmd_usage_error(cmd, "too many arguments");
	c = domus_cmd_find(argv[1]);
	if (!c)
		return domus_cmd_usage_error(cmd, "unknown command '%s'", argv[1]);
	printf("Usage: domus %s%s%s\n\n%s\n", c->name, *c->usage ? " " : "",
	       c->usage, c->help);
	return 0;
}

const struct domus_cmd domus_cmds[] = {
	{ "help", cmd_help, "show commands, or one command's usage", "[command]" },
	{ "info", cmd_info, "show domus and host virtualization information", "" },
	{ "create", cmd_create, "create a domain from an xl config file", "[-c] [-n] CFG [KEY=VALUE...]" },
	{ "list", cmd_list, "list domains (the host first, as Domain-0)", "[NAME...]" },
	{ "console", cmd_console, "attach to a domain's console (Ctrl-] detaches)", "[-t pv] NAME" },
	{ "shutdown", cmd_shutdown, "ask a domain to shut down", "[-w] NAME" },
	{ "destroy", cmd_destroy, "terminate a domain at once", "NAME" },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	const struct domus_cmd *c;

	if (argc < 2) {
		fprintf(stderr, "domus: no command given\n");
		print_help(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("domus %s (API %d)\n", DOMUS_VERSION, DOMUS_API_VERSION);
		return 0;
	}
	c = domus_cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "domus: unknown command '%s'\n", argv[1]);
		print_help(stderr);
		return 1;
	}
	return c->fn(c, argc - 1, argv + 1);
}
