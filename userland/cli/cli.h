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
int cmd_create(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_console(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_list(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_shutdown(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_destroy(const struct domus_cmd *cmd, int argc, char **argv);
/* Attach the terminal to NAME's console until Ctrl-] or the domain ends
 * (console.c); @cmdname prefixes messages.  Returns the exit status. */
int domus_console_attach(const char *cmdname, const char *name);

#endif
