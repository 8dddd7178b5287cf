// SPDX-License-Identifier: MIT
/*
 * domus dmesg: the module's messages ("domus: ..." lines of the host's
 * kernel log), as xl dmesg shows the hypervisor's.
 * domus logs [-c] NAME: a domain's launcher log (or its console log),
 * also after the domain is gone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include "cli.h"
#include "ctl.h"

#define KLOG_READ_ALL	3	/* syslog(2) actions */
#define KLOG_SIZE_BUFFER 10

int cmd_dmesg(const struct domus_cmd *cmd, int argc, char **argv)
{
	char *buf, *line, *save = NULL;
	int opt, size, n;

	optind = 1;
	while ((opt = getopt(argc, argv, "+c")) != -1) {
		if (opt == 'c')
			return domus_cmd_usage_error(cmd, "-c: the module's messages are in the host's kernel log, which domus does not clear (use dmesg -C)");
		return domus_cmd_bad_option(cmd, "+c");
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments");
	size = klogctl(KLOG_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf) {
		fprintf(stderr, "domus dmesg: out of memory\n");
		return 1;
	}
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n < 0) {
		fprintf(stderr, "domus dmesg: cannot read the kernel log: %s%s\n", strerror(errno),
			errno == EPERM ? " (run as root, or set kernel.dmesg_restrict=0)" : "");
		free(buf);
		return 1;
	}
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "<6>[  12.345678] domus: ..." or without the level/time */
		const char *p = line;

		if (*p == '<' && (p = strchr(p, '>')) != NULL)
			p++;
		else
			p = line;
		if (*p == '[' && strchr(p, ']'))
			p = strchr(p, ']') + 1;
		while (*p == ' ')
			p++;
		if (!strncmp(p, "domus: ", 7)) {
			puts(line[0] == '<' ? strchr(line, '>') + 1 : line);
		}
	}
	free(buf);
	return 0;
}

/* A domain name as the config allows it: no path tricks in a file name. */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);

	return n && n < 64 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int cmd_logs(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	char path[4096], buf[65536];
	const char *name;
	bool console = false;
	size_t got;
	FILE *f;
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+c")) != -1) {
		if (opt != 'c')
			return domus_cmd_bad_option(cmd, "+c");
		console = true;
	}
	if (argc - optind != 1)
		return domus_cmd_usage_error(cmd, "give one domain name (or the id of a running one)");
	name = argv[optind];
	/* an id names a running domain; a name may also be one that is gone */
	if (strspn(name, "0123456789") == strlen(name)) {
		if (domus_cli_find_domain(name, &d))
			return 1;
		name = d.name;
	}
	if (!plain_name(name))
		return domus_cmd_usage_error(cmd, "'%.64s' is not a domain name", name);
	/* the log directory, or RUN_DIR/log where the launcher could not write there */
	errno = ENAMETOOLONG;
	f = domus_log_path(path, sizeof(path), 0, name, console ? "-console.log" : ".log") ? NULL : fopen(path, "re");
	if (!f) {
		int e = errno;

		if (!domus_log_path(buf, sizeof(buf), 1, name, console ? "-console.log" : ".log"))
			f = fopen(buf, "re");
		errno = e;
	}
	if (!f) {
		fprintf(stderr, "domus logs: %s: no %s log (%s): %s\n", name, console ? "console" : "domain",
			path, strerror(errno));
		return 1;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(f);
	return 0;
}
