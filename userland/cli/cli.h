/* SPDX-License-Identifier: MIT */
#ifndef DOMUS_CLI_H
#define DOMUS_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct domus_cmd {
	const char *name;
	int (*fn)(const struct domus_cmd *cmd, int argc, char **argv);
	const char *help;	/* one line */
	const char *usage;	/* arguments after the command name */
	/* every option and argument explained, one "  -x  text\n" line each
	 * ("" if none); -h/--help is added by domus_cmd_print_usage() */
	const char *options;
};

/* The command table (main.c), terminated by a NULL name. */
extern const struct domus_cmd domus_cmds[];

const struct domus_cmd *domus_cmd_find(const char *name);
/* One-line error + the command's usage on stderr; returns 1. */
int domus_cmd_usage_error(const struct domus_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The full usage of @cmd: synopsis, summary, options (domus help CMD,
 * domus CMD --help). */
void domus_cmd_print_usage(const struct domus_cmd *cmd, FILE *out);
/* Usage error for the option getopt(@optstring) just refused (optopt). */
int domus_cmd_bad_option(const struct domus_cmd *cmd, const char *optstring);

struct domus_dominfo;
/* DOMAIN (a name or id) to its info; -1 after xl's message for an unknown
 * one ("X is an invalid domain identifier (rc=-6)") (domctl.c). */
int domus_cli_find_domain(const char *arg, struct domus_dominfo *d);
/* The one-line message for a launcher that does not answer (domctl.c). */
void domus_cli_wedged(const struct domus_dominfo *d);

int cmd_info(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_create(const struct domus_cmd *cmd, int argc, char **argv);
/* save.c */
int cmd_save(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_restore(const struct domus_cmd *cmd, int argc, char **argv);
/* migrate.c */
int cmd_migrate(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_migrate_receive(const struct domus_cmd *cmd, int argc, char **argv);
/* create.c: start a domain's launcher and report (create, restore) */
struct domus_config;
int domus_cli_launch(const struct domus_cmd *cmd, const struct domus_config *cfg, const char *restore,
		     char **args, int nargs, bool console, bool paused, bool nowait);
int cmd_console(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_list(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_shutdown(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_reboot(const struct domus_cmd *cmd, int argc, char **argv);
/* Power off or reboot @n domains; see domctl.c.  Returns how many failed. */
int domus_cli_shutdown_domains(const char *cmdname, struct domus_dominfo *d, int n,
			       bool reboot, bool wait, long timeout_ms);
/* The domains whose guest runs (not shut down and kept); count or -errno. */
int domus_running_domains(struct domus_dominfo **out);
/* Destroy @d (killing a launcher that does not answer); 0 or 1 (domctl.c). */
int domus_cli_destroy(const char *cmdname, const struct domus_dominfo *d);
int cmd_rename(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_destroy(const struct domus_cmd *cmd, int argc, char **argv);
/* convert.c */
int cmd_config_convert(const struct domus_cmd *cmd, int argc, char **argv);
/* auto.c */
int cmd_auto_start(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_auto_stop(const struct domus_cmd *cmd, int argc, char **argv);
/* json.c: @s as a JSON string on stdout */
void domus_json_str(const char *s);
/* @len bytes as a JSON string: each byte one character (U+0000 to U+00FF),
 * so that any value, binary too, survives */
void domus_json_bytes(const void *buf, size_t len);
/* list.c: the host's busy CPU seconds (all CPUs), from /proc/stat */
double domus_host_cpu_time(void);
/* top.c */
int cmd_top(const struct domus_cmd *cmd, int argc, char **argv);
/* logs.c */
int cmd_dmesg(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_logs(const struct domus_cmd *cmd, int argc, char **argv);
/* dominfo.c */
int cmd_domid(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_domname(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_uuid(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_uptime(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_pause(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_unpause(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_stats(const struct domus_cmd *cmd, int argc, char **argv);
/* imgcmd.c */
int cmd_create_image(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_clone(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_backup(const struct domus_cmd *cmd, int argc, char **argv);
/* xenstore.c */
int cmd_xenstore_ls(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_xenstored(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_xenstore_read(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_xenstore_write(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_xenstore_rm(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_xenstore_list(const struct domus_cmd *cmd, int argc, char **argv);
/* hotplug.c */
int cmd_block_attach(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_block_detach(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_block_list(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_network_attach(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_network_detach(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_network_list(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_mem_set(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_mem_max(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_vcpu_set(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_vcpu_pin(const struct domus_cmd *cmd, int argc, char **argv);
int cmd_vcpu_list(const struct domus_cmd *cmd, int argc, char **argv);
/* xl's memory size ("512m", "1g", "262144": KiB without a unit) in KiB, or -1. */
long long domus_parse_mem_kib(const char *s);
/* Attach the terminal to NAME's console until Ctrl-] or the domain ends
 * (console.c); @cmdname prefixes messages.  Returns the exit status. */
int domus_console_attach(const char *cmdname, const char *name, bool force);

#endif
