// SPDX-License-Identifier: MIT
/*
 * domus shutdown / reboot / destroy / pause / unpause: requests to a domain's launcher over its
 * control socket (userland/launcher/ctl.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"
#include "xlcfg.h"

void domus_cli_wedged(const struct domus_dominfo *d)
{
	int secs = (d->waited_ms >= DOMUS_CTL_BUSY_MS ? DOMUS_CTL_BUSY_MS : DOMUS_CTL_INFO_MS) / 1000;

	if (d->pid > 0)
		fprintf(stderr, "domus: %s: its launcher (pid %d) does not answer within %d s (stopped or hung): "
			"'kill -CONT %d' if it was stopped, else 'domus destroy %s' ends it\n",
			d->name, (int)d->pid, secs, (int)d->pid, d->name);
	else
		fprintf(stderr, "domus: %s: its launcher does not answer within %d s (stopped or hung): "
			"find it with 'pgrep -a domus-launcher' and end it\n", d->name, secs);
}

int domus_cli_find_domain(const char *arg, struct domus_dominfo *d)
{
	int r = domus_ctl_find(arg, d);

	if (r == -ETIMEDOUT) {
		domus_cli_wedged(d);
		return -1;
	}
	if (r) {
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

int domus_cli_destroy(const char *cmdname, const struct domus_dominfo *d)
{
	char reply[DOMUS_CTL_LINE_MAX];
	int r = domus_ctl_request(d->name, "destroy", reply, sizeof(reply), 30000);

	if (r == 0) {
		if (!wait_gone(d->pid, 10000))
			fprintf(stderr, "domus %s: %s: the domain is gone but its launcher (pid %d) still runs\n",
				cmdname, d->name, (int)d->pid);
		return 0;
	}
	if (r > 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmdname, d->name, reply);
		return 1;
	}
	/* the launcher does not answer: end it (its exit frees the domain) */
	if (d->pid > 1 && kill(d->pid, SIGKILL) == 0 && wait_gone(d->pid, 10000)) {
		fprintf(stderr, "domus %s: %s: the launcher did not answer (%s); killed it (pid %d)\n",
			cmdname, d->name, strerror(-r), (int)d->pid);
		return 0;
	}
	fprintf(stderr, "domus %s: %s: the launcher (pid %d) does not answer: %s\n", cmdname, d->name,
		(int)d->pid, strerror(-r));
	return 1;
}

int cmd_destroy(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	int r;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 2)
		return domus_cmd_usage_error(cmd, "give one domain name or id");
	r = domus_ctl_find(argv[1], &d);
	if (r == -ETIMEDOUT && d.pid > 1) {
		/* a stopped or hung launcher: end it (its exit frees the domain) */
		if (kill(d.pid, SIGKILL) == 0 && wait_gone(d.pid, 10000)) {
			fprintf(stderr, "domus %s: %s: the launcher did not answer; killed it (pid %d)\n",
				cmd->name, d.name, (int)d.pid);
			return 0;
		}
		fprintf(stderr, "domus %s: %s: the launcher (pid %d) does not answer and could not be killed: %s\n",
			cmd->name, d.name, (int)d.pid, strerror(errno));
		return 1;
	}
	if (r == -ETIMEDOUT) {
		domus_cli_wedged(&d);
		return 1;
	}
	if (r) {
		fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", argv[1]);
		return 1;
	}
	return domus_cli_destroy(cmd->name, &d);
}

/*
 * Ask the guests of @n domains @d to power off or reboot (control/shutdown);
 * with @wait, until each is gone, has shut down (preserved) or, for a
 * reboot, runs as a new domain.  @timeout_ms (0: none) bounds the wait;
 * returns the number of domains that failed or did not finish in time.
 */
int domus_cli_shutdown_domains(const char *cmdname, struct domus_dominfo *d, int n,
			       bool reboot, bool wait, long timeout_ms)
{
	char reply[DOMUS_CTL_LINE_MAX];
	bool *todo = calloc(n > 0 ? (size_t)n : 1, sizeof(*todo));
	int i, left = 0, bad = 0;
	long waited = 0;

	if (!todo) {
		fprintf(stderr, "domus %s: out of memory\n", cmdname);
		return n;
	}
	for (i = 0; i < n; i++) {
		int r = domus_ctl_request(d[i].name, reboot ? "shutdown reboot" : "shutdown poweroff",
					  reply, sizeof(reply), 10000);

		if (r) {
			fprintf(stderr, "domus %s: %s: %s\n", cmdname, d[i].name,
				r > 0 ? reply : "the launcher does not answer");
			bad++;
		} else {
			todo[i] = wait;
			left += wait;
		}
	}
	while (left) {
		if (timeout_ms && waited >= timeout_ms)
			break;
		sleep_ms(200);
		waited += 200;
		for (i = 0; i < n; i++) {
			struct domus_dominfo now;

			if (!todo[i])
				continue;
			/* gone, shut down and kept, or (reboot) a new domain */
			if (domus_ctl_find(d[i].name, &now) || now.state[3] == 's' ||
			    (reboot && now.id != d[i].id)) {
				todo[i] = false;
				left--;
			}
		}
	}
	free(todo);
	return bad + left;
}

/* The domains whose guest runs (not shut down and kept), by id. */
int domus_running_domains(struct domus_dominfo **out)
{
	int n = domus_ctl_list(out), i, k = 0;

	for (i = 0; i < n; i++)
		if ((*out)[i].state[3] != 's' && (*out)[i].state[5] != 'd')
			(*out)[k++] = (*out)[i];
	return n < 0 ? n : k;
}

static int shutdown_cmd(const struct domus_cmd *cmd, int argc, char **argv, bool reboot)
{
	struct domus_dominfo one, *d = &one;
	bool wait = false, all = false;
	int opt, n = 1, r;

	optind = 1;
	while ((opt = getopt(argc, argv, "+awF")) != -1) {
		switch (opt) {
		case 'a': all = true; break;
		case 'w': wait = true; break;
		case 'F': break;	/* no ACPI power button to fall back to */
		default: return domus_cmd_bad_option(cmd, "+awF");
		}
	}
	if (all) {
		if (argc != optind)
			return domus_cmd_usage_error(cmd, "-a takes no domain: it means every domain");
		n = domus_running_domains(&d);
		if (n < 0) {
			fprintf(stderr, "domus %s: cannot list the domains: %s\n", cmd->name, strerror(-n));
			return 1;
		}
	} else {
		if (argc - optind != 1)
			return domus_cmd_usage_error(cmd, "give one domain name or id, or -a for all");
		if (domus_cli_find_domain(argv[optind], &one))
			return 1;
	}
	r = domus_cli_shutdown_domains(cmd->name, d, n, reboot, wait, 0);
	if (d != &one)
		free(d);
	return r ? 1 : 0;
}

int cmd_shutdown(const struct domus_cmd *cmd, int argc, char **argv)
{
	return shutdown_cmd(cmd, argc, argv, false);
}

int cmd_reboot(const struct domus_cmd *cmd, int argc, char **argv)
{
	return shutdown_cmd(cmd, argc, argv, true);
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

int cmd_rename(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d, other;
	char reply[DOMUS_CTL_LINE_MAX], req[DOMUS_CTL_LINE_MAX];
	int r;

	if (argc >= 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 3)
		return domus_cmd_usage_error(cmd, "give the domain and its new name");
	if (domus_cli_find_domain(argv[1], &d))
		return 1;
	if (!domus_config_name_ok(argv[2]) || !strcmp(argv[2], "Domain-0")) {
		fprintf(stderr, "domus rename: '%.80s' is not a usable name: 1-%d letters, digits, '-', '_' or '.', not all digits, not starting with '-' or '.'\n",
			argv[2], DOMUS_CFG_NAME_MAX);
		return 1;
	}
	if (strcmp(argv[2], d.name) && domus_ctl_find(argv[2], &other) == 0) {
		fprintf(stderr, "domus rename: domain %s already exists\n", argv[2]);
		return 1;
	}
	snprintf(req, sizeof(req), "rename %s", argv[2]);
	r = domus_ctl_request(d.name, req, reply, sizeof(reply), 10000);
	if (r) {
		fprintf(stderr, "domus rename: %s: %s\n", d.name, r > 0 ? reply : "the launcher does not answer");
		return 1;
	}
	return 0;
}
