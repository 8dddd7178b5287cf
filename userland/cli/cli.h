/* SPDX-License-Identifier: MIT */
#ifndef DOMUS_CLI_H
#define DOMUS_CLI_H

struct domus_cmd {
	const char *name;
	int (*fn)(const struct domus_cmd *cmd, int argc, char **argv);
	const char *help;	/* one line */
	const char *usage;	/* arguments after the command name */
};

/* The command table (main.c), terminated by a NULL name. */
extern const struct domus_cmd domus_cmds[];

const struct domus_cmd *domus_cmd_find(const char *name);
/* One-line error + the command's usage on stderr; returns 1. */
int domus_cmd_usage_error(const struct domus_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cmd_info(const struct domus_cmd *cmd, int argc, char **argv);

#endif
