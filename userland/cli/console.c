// SPDX-License-Identifier: MIT
/*
 * domus console NAME: attach the terminal to a domain's PV console through
 * its launcher's control socket.  Ctrl-] detaches (as xl).  One client at a
 * time: -f takes the console over from the one attached (as virsh's
 * --force), which the launcher then disconnects.  The terminal
 * is put in raw mode and restored on every way out: detach, the domain
 * going away, errors, and signals (the handler restores it, then the
 * signal is raised again with its default action).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"

#define ESCAPE_CHAR 0x1d	/* Ctrl-] */

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = 0;
	}
}

static void on_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void raw_tty(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	struct termios t;
	struct sigaction sa;
	size_t i;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	tio_saved = 1;
	atexit(restore_tty);
	t = saved_tio;
	cfmakeraw(&t);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

int domus_console_attach(const char *cmdname, const char *name, bool force)
{
	char reply[DOMUS_CTL_LINE_MAX], buf[4096];
	bool stdin_open = true, gone = false;
	int fd, r;

	r = domus_ctl_console(name, force, &fd, reply, sizeof(reply));
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "domus %s: %s is an invalid domain identifier\n", cmdname, name);
		return 1;
	}
	if (r > 0 && strstr(reply, "already attached")) {
		fprintf(stderr, "domus %s: %s: %s; 'domus console -f %s' takes it over\n", cmdname, name, reply, name);
		return 1;
	}
	if (r) {
		fprintf(stderr, "domus %s: %s: %s\n", cmdname, name,
			r > 0 ? reply : "the launcher did not answer");
		return 1;
	}
	raw_tty();
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				gone = true;	/* the domain is gone */
				break;
			}
			if (write_all(STDOUT_FILENO, buf, n))
				break;
		}
		if (p[1].revents) {
			char *esc;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				stdin_open = false;	/* keep showing output */
				continue;
			}
			esc = memchr(buf, ESCAPE_CHAR, n);
			if (esc)
				n = esc - buf;
			if (n && write_all(fd, buf, n))
				break;
			if (esc)
				break;
		}
	}
	restore_tty();
	close(fd);
	/* a launcher that died says why in its log (sandbox.c) */
	if (gone && domus_launcher_death(name, reply, sizeof(reply))) {
		fprintf(stderr, "domus %s: %s\n", cmdname, reply);
		return 1;
	}
	return 0;
}

int cmd_console(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_dominfo d;
	bool force = false;
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+ft:n:")) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 't':
			if (strcmp(optarg, "pv"))
				return domus_cmd_usage_error(cmd, "console type '%s': only 'pv' exists", optarg);
			break;
		case 'n':
			if (strcmp(optarg, "0"))
				return domus_cmd_usage_error(cmd, "console %s: only console 0 exists", optarg);
			break;
		default:
			return domus_cmd_bad_option(cmd, "+ft:n:");
		}
	}
	if (argc - optind != 1)
		return domus_cmd_usage_error(cmd, "give one domain name");
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	return domus_console_attach(cmd->name, d.name, force);
}
