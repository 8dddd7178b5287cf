// SPDX-License-Identifier: MIT
/*
 * domus shutdown / destroy / pause / unpause: requests to a domain's launcher over its
 * control socket (userland/launcher/ctl.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

int domus_cli_find_domain(const char *arg, struct domus_dominfo *d)
{
	if (domus_ctl_find(arg, d)) {
		fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", arg);
		return -1;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to @ms for process @pid to go away. */
static bool wait_gone(pid_t pid, long ms)
{
	for (; ms > 0; ms -= 20) {
		if (kill(pid, 0) && errno == ESRCH)
			return true;
		sleep_ms(20);
	}
	return kill(pid, 0) && errno == ESRCH;
}

int cmd_destroy(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	char reply[DOMUS_CTL_LINE_MAX];
	int r;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 2)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	if (domus_cli_find_domain(argv[1], &d))
		return 1;
	r = domus_ctl_request(d.name, "destroy", reply, sizeof(reply), 30000);
	if (r == 0) {
		if (!wait_gone(d.pid, 10000))
			fprintf(stderr, "domus destroy: %s: the domain is gone but its launcher (pid %d) still runs\n",
				d.name, (int)d.pid);
		return 0;
	}
	if (r > 0) {
		fprintf(stderr, "domus destroy: %s: %s\n", d.name, reply);
		return 1;
	}
	/* the launcher does not answer: end it (its exit frees the domain) */
	if (d.pid > 1 && kill(d.pid, SIGKILL) == 0 && wait_gone(d.pid, 10000)) {
		fprintf(stderr, "domus destroy: %s: the launcher did not answer (%s); killed it (pid %d)\n",
			d.name, strerror(-r), (int)d.pid);
		return 0;
	}
	fprintf(stderr, "domus destroy: %s: the launcher (pid %d) does not answer: %s\n", d.name,
		(int)d.pid, strerror(-r));
	return 1;
}

int cmd_shutdown(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	char reply[DOMUS_CTL_LINE_MAX];
	bool wait = false;
	int opt, r;

	optind = 1;
	while ((opt = getopt(argc, argv, "+wF")) != -1) {
		switch (opt) {
		case 'w': wait = true; break;
		case 'F': break;	/* no ACPI power button to fall back to */
		default: return domus_cmd_bad_option(cmd, "+wF");
		}
	}
	if (argc - optind != 1)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	r = domus_ctl_request(d.name, "shutdown poweroff", reply, sizeof(reply), 10000);
	if (r) {
		fprintf(stderr, "domus shutdown: %s: %s\n", d.name,
			r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	if (wait) {
		/* until the domain is gone or has shut down (preserved) */
		for (;;) {
			struct domus_dominfo n;

			if (domus_ctl_find(d.name, &n) || n.state[3] == 's')
				break;
			sleep_ms(200);
		}
	}
	return 0;
}

/* pause, unpause: the answer comes once no vCPU runs guest code (pause) */
static int pause_request(const struct domus_cmd *cmd, int argc, char **argv, const char *req)
{
	struct domus_dominfo d;
	char reply[DOMUS_CTL_LINE_MAX];
	int r;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 2)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	if (domus_cli_find_domain(argv[1], &d))
		return 1;
	r = domus_ctl_request(d.name, req, reply, sizeof(reply), 10000);
	if (r) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name,
			r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	return 0;
}

int cmd_pause(const struct domus_cmd *cmd, int argc, char **argv)
{
	return pause_request(cmd, argc, argv, "pause");
}

int cmd_unpause(const struct domus_cmd *cmd, int argc, char **argv)
{
	return pause_request(cmd, argc, argv, "unpause");
}
