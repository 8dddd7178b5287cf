// SPDX-License-Identifier: MIT
/*
 * domus auto-start / auto-stop: the guests started at boot and stopped at
 * shutdown, as Xen's xendomains does with /etc/xen/auto (docs/service.md).
 *
 * auto-start [-d DIR]: every config in DIR (default $DOMUS_AUTO_DIR or
 *   /etc/domus/auto; files or symlinks, in name order; hidden and backup
 *   files skipped) is created, unless a domain of its name runs already.
 * auto-stop [-t SECS]: every running guest is asked to power off, all at
 *   once; after SECS (default $DOMUS_STOP_TIMEOUT or 300) the domains
 *   still there (and those shut down but kept) are destroyed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"
#include "ctl.h"
#include "xlcfg.h"

#define AUTO_DIR_DEFAULT	"/etc/domus/auto"
#define STOP_TIMEOUT_DEFAULT	300

/* Names a package manager or an editor leaves behind, and hidden files. */
static bool skipped_name(const char *n)
{
	static const char *const tails[] = { "~", ".bak", ".orig", ".swp", ".dpkg-old", ".dpkg-new",
					     ".dpkg-dist", ".dpkg-tmp", ".ucf-old", ".ucf-new", ".ucf-dist" };
	size_t len = strlen(n), i;

	if (n[0] == '.')
		return true;
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t t = strlen(tails[i]);

		if (len >= t && !strcmp(n + len - t, tails[i]))
			return true;
	}
	return false;
}

/* `domus create FILE` as a child of this process; its exit status. */
static int run_create(const char *file)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;
	pid_t pid;

	if (n <= 0)
		return 1;
	self[n] = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		/* -e: an HVM domain is not waited for either */
		execl(self, self, "create", "-e", file, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int cmd_auto_start(const struct domus_cmd *cmd, int argc, char **argv)
{
	const char *dir = getenv("DOMUS_AUTO_DIR");
	struct dirent **ents;
	int opt, n, i, started = 0, failed = 0, skipped = 0;
	bool given = false;	/* -d DIR: a missing DIR is a mistake */

	if (!dir || !*dir)
		dir = AUTO_DIR_DEFAULT;
	optind = 1;
	while ((opt = getopt(argc, argv, "+d:")) != -1) {
		if (opt != 'd')
			return domus_cmd_bad_option(cmd, "+d:");
		dir = optarg;
		given = true;
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments (the configs are those in -d DIR)");
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT && given) {
			fprintf(stderr, "domus auto-start: -d %s: no such directory: give the directory of the configs to start\n",
				dir);
			return 1;
		}
		if (errno == ENOENT) {	/* the service's default: no autostart directory, nothing to do */
			printf("domus auto-start: no %s: nothing to start\n", dir);
			return 0;
		}
		fprintf(stderr, "domus auto-start: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], err[1024];
		struct domus_config cfg;
		struct domus_dominfo d;
		struct stat st;

		if (skipped_name(ents[i]->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode)) {
			free(ents[i]);
			continue;
		}
		free(ents[i]);
		domus_config_init(&cfg);
		if (domus_config_load(&cfg, path, err, sizeof(err)) ||
		    domus_config_finish(&cfg, err, sizeof(err))) {
			fprintf(stderr, "domus auto-start: %s\n", err);
			domus_config_free(&cfg);
			failed++;
			continue;
		}
		if (domus_ctl_find(cfg.name, &d) == 0) {
			printf("%s: already running (id %u), skipped\n", cfg.name, d.id);
			skipped++;
		} else {
			printf("%s: starting (%s)\n", cfg.name, path);
			if (run_create(path)) {
				fprintf(stderr, "domus auto-start: %s: not started (see the error above and 'domus logs %s')\n",
					cfg.name, cfg.name);
				failed++;
			} else {
				started++;
			}
		}
		domus_config_free(&cfg);
	}
	free(ents);
	printf("domus auto-start: %d started, %d already running, %d failed\n", started, skipped, failed);
	return failed ? 1 : 0;
}

int cmd_auto_stop(const struct domus_cmd *cmd, int argc, char **argv)
{
	const char *env = getenv("DOMUS_STOP_TIMEOUT");
	long secs = env && *env ? strtol(env, NULL, 10) : STOP_TIMEOUT_DEFAULT;
	struct domus_dominfo *d;
	int opt, n, i, late, bad = 0;
	char *end;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't')
			return domus_cmd_bad_option(cmd, "+t:");
		secs = strtol(optarg, &end, 10);
		if (*optarg < '0' || *optarg > '9' || *end || secs > 86400)
			return domus_cmd_usage_error(cmd, "-t '%s': give the seconds to wait, 0 to 86400", optarg);
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments (it stops every domain)");
	if (secs < 0 || secs > 86400)
		secs = STOP_TIMEOUT_DEFAULT;
	n = domus_running_domains(&d);
	if (n < 0) {
		fprintf(stderr, "domus auto-stop: cannot list the domains: %s\n", strerror(-n));
		return 1;
	}
	if (n) {
		printf("domus auto-stop: asking %d domain%s to power off (waiting up to %ld s)\n",
		       n, n == 1 ? "" : "s", secs);
		fflush(stdout);
		late = domus_cli_shutdown_domains(cmd->name, d, n, false, true, secs * 1000);
		if (late)
			printf("domus auto-stop: %d domain%s did not shut down in time\n", late, late == 1 ? "" : "s");
	}
	free(d);
	/* whatever is left: late guests, and those shut down but kept */
	n = domus_ctl_list(&d);
	for (i = 0; i < n; i++) {
		printf("%s: destroying (%s)\n", d[i].name, d[i].state[3] == 's' ? "shut down, kept" : "still running");
		bad += domus_cli_destroy(cmd->name, &d[i]);
	}
	free(d);	/* NULL when there were none */
	printf("domus auto-stop: done\n");
	return bad ? 1 : 0;
}
