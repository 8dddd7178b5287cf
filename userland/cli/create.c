// SPDX-License-Identifier: MIT
/*
 * domus create [-c] [-n] CFG [KEY=VALUE...]: parse an xl config, start
 * the domain's launcher (domus-launcher, next to this binary or
 * $DOMUS_LAUNCHER) and wait until the domain runs -- or print the
 * launcher's one-line error and exit 1, with nothing left running.
 * -c then attaches the console; -n only prints the parsed configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli.h"
#include "libdomus.h"
#include "ctl.h"
#include "xlcfg.h"

#define CREATE_TIMEOUT_MS (600 * 1000)	/* unpacking + pinning under emulation */

/* Read the launcher's one line ("ok ID" / "error MESSAGE") from @fd. */
/* One line from the launcher within @timeout_ms (-1: no limit), read a
 * byte at a time: an HVM launcher's end line may follow at once. */
static int read_status(int fd, char *line, size_t len, long timeout_ms)
{
	size_t got = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long ms = -1;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout_ms >= 0) {
			ms = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (ms <= 0)
				return -ETIMEDOUT;
		}
		r = poll(&p, 1, (int)ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		r = read(fd, line + got, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
		line[got] = 0;
		if (strchr(line, '\n') || got == len - 1)
			break;
	}
	line[got] = 0;
	line[strcspn(line, "\n")] = 0;
	return got ? 0 : -EPIPE;
}

/*
 * An HVM domain: wait for the launcher's "end CODE WHY" line (with -c once
 * the console ended; a detach with Ctrl-] leaves the domain running and
 * returns at once) and return CODE: the test-exit device's code, 0 for a
 * power-off, 2 otherwise (docs/cli.md).
 */
static int wait_end(const struct domus_cmd *cmd, int fd, bool console, const char *name)
{
	char line[512];
	int r = 0, code;

	if (console)
		r = domus_console_attach(cmd->name, name, false);
	if (read_status(fd, line, sizeof(line), console ? 500 : -1)) {
		if (console)
			return r;	/* detached: the domain runs on */
		fprintf(stderr, "domus %s: the launcher of %s ended without a report; see its log in %s\n",
			cmd->name, name, domus_log_dir());
		return 2;
	}
	if (sscanf(line, "end %d", &code) != 1 || code < 0 || code > 255)
		return 2;
	fprintf(stderr, "domus %s: %s ended: %s (exit status %d)\n", cmd->name, name,
		strchr(line + 4, ' ') ? strchr(line + 4, ' ') + 1 : "", code);
	return code;
}

/*
 * Start the launcher of @cfg's domain with @args (the config file and its
 * KEY=VALUE settings, or with @restore: `--restore FILE` and the
 * settings; launcher options such as --migrated may lead them) and report as `domus create` does (docs/cli.md): 0 once it
 * runs, an HVM domain's exit code unless @nowait, 1 after one line.
 */
int domus_cli_launch(const struct domus_cmd *cmd, const struct domus_config *cfg, const char *restore,
		     char **args, int nargs, bool console, bool paused, bool nowait)
{
	char launcher[PATH_MAX], line[2048], fdarg[16];
	int i, p[2], status, r;
	pid_t pid;

	domus_sibling_exe("DOMUS_LAUNCHER", "domus-launcher", launcher, sizeof(launcher));
	if (pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "domus %s: pipe: %s\n", cmd->name, strerror(errno));
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "domus %s: fork: %s\n", cmd->name, strerror(errno));
		close(p[0]);
		close(p[1]);
		return 1;
	}
	if (pid == 0) {
		char **a = calloc(nargs + 8, sizeof(*a));
		int k = 0;

		if (!a)
			_exit(127);
		close(p[0]);
		fcntl(p[1], F_SETFD, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		a[k++] = launcher;
		a[k++] = "--ready-fd";
		a[k++] = fdarg;
		if (paused)
			a[k++] = "--paused";
		if (restore) {
			a[k++] = "--restore";
			a[k++] = (char *)restore;
		}
		for (i = 0; i < nargs; i++)
			a[k++] = args[i];
		a[k] = NULL;
		execvp(launcher, a);
		dprintf(p[1], "error cannot run the launcher %s: %s; install domus-launcher next to domus or set DOMUS_LAUNCHER\n",
			launcher, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = read_status(p[0], line, sizeof(line), CREATE_TIMEOUT_MS);
	if (r == 0 && !strncmp(line, "ok", 2) && cfg->type == DOMUS_TYPE_HVM && !cfg->firmware && !nowait) {
		r = wait_end(cmd, p[0], console, cfg->name);
		close(p[0]);
		return r;
	}
	close(p[0]);
	if (r == 0 && !strncmp(line, "ok", 2)) {
		/* the launcher runs on as a daemon; it is not waited for */
		return console ? domus_console_attach(cmd->name, cfg->name, false) : 0;
	}
	if (r == 0 && !strncmp(line, "error ", 6))
		fprintf(stderr, "domus %s: %s\n", cmd->name, line + 6);
	else if (r == -ETIMEDOUT)
		fprintf(stderr, "domus %s: the launcher did not report within %d s; see the log of %s in %s\n",
			cmd->name, CREATE_TIMEOUT_MS / 1000, cfg->name, domus_log_dir());
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) == pid && r != 0 && r != -ETIMEDOUT) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "domus %s: the launcher died of signal %d\n", cmd->name, WTERMSIG(status));
		else
			fprintf(stderr, "domus %s: the launcher exited with status %d\n", cmd->name, WEXITSTATUS(status));
	}
	return 1;
}

int cmd_create(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_config cfg;
	char err[1024];
	bool console = false, dry = false, paused = false, nowait = false;
	int opt, i, r;

	optind = 1;
	while ((opt = getopt(argc, argv, "+cenpq")) != -1) {
		switch (opt) {
		case 'c': console = true; break;
		case 'e': nowait = true; break;
		case 'n': dry = true; break;
		case 'p': paused = true; break;
		case 'q': break;
		default: return domus_cmd_bad_option(cmd, "+cenpq");
		}
	}
	if (optind >= argc)
		return domus_cmd_usage_error(cmd, "no config file given");

	/* parse here too: config errors are reported before anything starts */
	domus_config_init(&cfg);
	if (domus_config_load(&cfg, argv[optind], err, sizeof(err)))
		goto cfg_error;
	for (i = optind + 1; i < argc; i++)
		if (domus_config_apply(&cfg, argv[i], err, sizeof(err)))
			goto cfg_error;
	if (domus_config_finish(&cfg, err, sizeof(err)))
		goto cfg_error;
	if (cfg.warnings)
		fputs(cfg.warnings, stderr);
	if (dry) {
		domus_config_print(&cfg, stdout);
		domus_config_free(&cfg);
		return 0;
	}

	r = domus_cli_launch(cmd, &cfg, NULL, argv + optind, argc - optind, console, paused, nowait);
	domus_config_free(&cfg);
	return r;
cfg_error:
	fprintf(stderr, "domus create: %s\n", err);
	domus_config_free(&cfg);
	return 1;
}
