// SPDX-License-Identifier: MIT
/*
 * domusd runs the `domus` command for what it does not do itself, as an
 * admin would run it: `domus create` (start), `domus save`, `domus
 * restore` (procs_save.c).  One place: the command is $DOMUS_CLI, else
 * the `domus` beside domusd, else the one on PATH; its stdin and stdout
 * are /dev/null, and the last line of its stderr is the error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include <sys/wait.h>
#include "libdomus.h"
#include "rpc.h"

#define RUN_ARGS_MAX 16

int domusd_run_cli(const char *const *args, char *err, size_t errlen)
{
	char cli[PATH_MAX], buf[4096], *last;
	const char *argv[RUN_ARGS_MAX + 2];
	size_t got = 0;
	int p[2], status, n;
	pid_t pid;

	domus_sibling_exe("DOMUS_CLI", "domus", cli, sizeof(cli));
	argv[0] = cli;
	for (n = 0; args[n] && n < RUN_ARGS_MAX; n++)
		argv[n + 1] = args[n];
	argv[n + 1] = NULL;
	if (pipe2(p, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot run 'domus %s': %s", args[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		snprintf(err, errlen, "cannot run 'domus %s': %s", args[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(p[1], 2);
		execv(cli, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", cli, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	/* until the command ends (a launcher it leaves running may hold the
	 * pipe: not read to its end) */
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		pid_t w = waitpid(pid, &status, WNOHANG);
		ssize_t r = 0;

		if (w == pid || (w < 0 && errno != EINTR)) {
			fcntl(p[0], F_SETFL, O_NONBLOCK);
			while ((r = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0 && (got += (size_t)r) < sizeof(buf) - 1)
				;
			if (w < 0)
				status = 1 << 8;
			break;
		}
		if (poll(&pf, 1, 100) > 0) {
			r = read(p[0], buf + got, sizeof(buf) - 1 - got);
			if (r > 0)
				got += (size_t)r;
		}
		if (got >= sizeof(buf) - 1) {	/* keep the tail */
			memmove(buf, buf + got / 2, got - got / 2);
			got -= got / 2;
		}
	}
	close(p[0]);
	buf[got] = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = 0;
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (*last)
		snprintf(err, errlen, "%s", last);
	else
		snprintf(err, errlen, "domus %s failed", args[0]);
	return -1;
}

/* `domus create -e [-p] FILE uuid="UUID"` */
int domusd_start_domain(const char *file, const char *uuid, bool paused, char *err, size_t errlen)
{
	char set[64];
	const char *args[] = { "create", "-e", paused ? "-p" : "-e", file, NULL, NULL };

	if (uuid && *uuid) {
		snprintf(set, sizeof(set), "uuid=\"%.36s\"", uuid);
		args[4] = set;
	}
	return domusd_run_cli(args, err, errlen);
}
