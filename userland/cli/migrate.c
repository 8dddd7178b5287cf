// SPDX-License-Identifier: MIT
/*
 * domus migrate [-s SSHCOMMAND] [--live] NAME HOST, domus migrate-receive
 * (docs/cli.md "migrate", docs/save-format.md "Live migration").
 *
 * As xl: the sender runs `sh -c "exec SSHCOMMAND HOST domus
 * migrate-receive"` (SSHCOMMAND ssh by default; with -s "" HOST is the
 * whole command), writes the stream to its stdin and reads its replies on
 * its stdout, with xl's handshake:
 *   R->S  "xl migration receiver ready, send binary domain data.\n"
 *   S->R  the stream (the launcher writes it: the "migrate" request)
 *   R->S  "domain received, ready to unpause" NUL   (the copy exists, paused,
 *         as NAME--incoming)
 *   S     renames its copy NAME--migratedaway
 *   S->R  "domain is yours, you are cleared to unpause" NUL
 *   R     renames NAME--incoming to NAME, unpauses
 *   R->S  "my copy unpause results are as follows" NUL, then one byte: 0 ok
 *   S     status 0: destroys its copy.  Otherwise, or on any failure
 *         before: takes its name back and its guest runs on.
 * Downtime: from the launcher's "paused" to the receiver's status byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"
#include "ctl.h"
#include "libdomus.h"
#include "xlcfg.h"
#include "xsr.h"

#define MIG_BANNER	"xl migration receiver ready, send binary domain data.\n"
#define MIG_RECEIVED	"domain received, ready to unpause"
#define MIG_GO		"domain is yours, you are cleared to unpause"
#define MIG_RESULT	"my copy unpause results are as follows"
#define MIG_WAIT_MS	(10 * 60 * 1000)	/* any one step: emulated test hosts are slow */

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Exactly @len bytes from @fd within @ms: 0, or -1 (end of file, error, timeout). */
static int read_exact(int fd, void *buf, size_t len, int ms)
{
	long long end = now_ms() + ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf = (const char *)buf + r;
		len -= (size_t)r;
	}
	return 0;
}

/* One line (without its newline) from the launcher: 0, or -1. */
static int read_line(int fd, char *buf, size_t len, int ms)
{
	size_t n = 0;

	for (;;) {
		char ch;

		if (read_exact(fd, &ch, 1, ms))
			return -1;
		if (ch == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = ch;
	}
	buf[n] = 0;
	return 0;
}

/* A NUL-terminated message of the handshake: 0 if it is @want. */
static int expect_msg(int fd, const char *want, int ms)
{
	char buf[64];
	size_t n = strlen(want) + 1;

	if (read_exact(fd, buf, n, ms))
		return -1;
	return memcmp(buf, want, n) ? -1 : 0;
}

/* --- the sender ----------------------------------------------------------------- */

static pid_t spawn(const char *cmdline, int *to, int *from)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return -1;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	*to = in[1];
	*from = out[0];
	return pid;
}

/* The launcher's lines while it sends: progress on a terminal; 0 once "ok". */
static int follow(const char *name, int conn, long long *paused_at, char *last, size_t lastlen)
{
	bool bar = isatty(2);
	char line[DOMUS_CTL_LINE_MAX];

	for (;;) {
		unsigned int round;
		unsigned long long pages, bytes;

		if (read_line(conn, line, sizeof(line), MIG_WAIT_MS)) {
			snprintf(last, lastlen, "the launcher stopped answering");
			return -1;
		}
		if (sscanf(line, "round %u pages=%llu bytes=%llu", &round, &pages, &bytes) == 3) {
			if (bar)
				fprintf(stderr, "\rdomus migrate: %s: round %u: %llu dirty pages, %llu MiB sent\033[K",
					name, round, pages, bytes >> 20);
			continue;
		}
		if (!strcmp(line, "paused")) {
			*paused_at = now_ms();
			continue;
		}
		if (bar)
			fprintf(stderr, "\r\033[K");
		snprintf(last, lastlen, "%s", !strncmp(line, "error ", 6) ? line + 6 : line);
		return strncmp(line, "ok", 2) ? -1 : 0;
	}
}

int cmd_migrate(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ssh = "ssh", *host;
	char cmdline[1024], reply[DOMUS_CTL_LINE_MAX], req[128], msg[DOMUS_CTL_LINE_MAX], banner[sizeof(MIG_BANNER)];
	struct domus_dominfo d;
	long long paused_at = 0, t_end;
	unsigned int rounds = 0;
	unsigned long long pages = 0, lastn = 0;
	int opt, to = -1, from = -1, conn = -1, r, status;
	bool renamed = false, ok = false;
	unsigned char st;
	pid_t pid;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+s:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': ssh = optarg; break;
		case 'l': break;	/* always live, as xl */
		default: return domus_cmd_bad_option(cmd, "+s:");
		}
	}
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give a domain and a host");
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	host = argv[optind + 1];
	/* a domain that cannot move is refused before a receiver is started */
	r = domus_ctl_request(d.name, "migrate check", reply, sizeof(reply), 30000);
	if (r) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name,
			r == 1 ? reply : r == -EPROTO ? "unexpected answer" : strerror(-r));
		return 1;
	}
	if ((size_t)snprintf(cmdline, sizeof(cmdline), *ssh ? "exec %s %s domus migrate-receive" : "exec %s%s",
			     ssh, host) >= sizeof(cmdline)) {
		fprintf(stderr, "domus %s: the receiver's command is too long\n", cmd->name);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = spawn(cmdline, &to, &from);
	if (pid < 0) {
		fprintf(stderr, "domus %s: cannot run '%s': %s\n", cmd->name, cmdline, strerror(errno));
		return 1;
	}
	if (read_exact(from, banner, sizeof(MIG_BANNER) - 1, MIG_WAIT_MS) ||
	    memcmp(banner, MIG_BANNER, sizeof(MIG_BANNER) - 1)) {
		fprintf(stderr, "domus %s: '%s' did not answer as domus migrate-receive; %s runs on here\n", cmd->name,
			cmdline, d.name);
		goto fail;
	}
	conn = domus_ctl_connect(d.name);
	if (conn < 0) {
		fprintf(stderr, "domus %s: %s: its launcher does not answer (%s)\n", cmd->name, d.name, strerror(-conn));
		goto fail;
	}
	r = domus_ctl_request_fds(conn, "migrate", &to, 1, reply, sizeof(reply), 60000);
	if (r) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name,
			r == 1 ? reply : r == -EPROTO ? "unexpected answer" : strerror(-r));
		goto fail;
	}
	if (follow(d.name, conn, &paused_at, msg, sizeof(msg))) {
		fprintf(stderr, "domus %s: %s: %s; it runs on here\n", cmd->name, d.name, msg);
		goto fail;
	}
	sscanf(msg, "ok rounds=%u pages=%llu last=%llu", &rounds, &pages, &lastn);
	if (expect_msg(from, MIG_RECEIVED, MIG_WAIT_MS)) {
		fprintf(stderr, "domus %s: the receiver did not take the domain (see its message above); %s runs on here\n",
			cmd->name, d.name);
		goto fail;
	}
	/* the point of no return: our copy gives its name up */
	snprintf(req, sizeof(req), "rename %s--migratedaway\n", d.name);
	if (write_all(conn, req, strlen(req)) || read_line(conn, reply, sizeof(reply), 30000) ||
	    strncmp(reply, "ok", 2)) {
		fprintf(stderr, "domus %s: %s: cannot rename it for the move: %s; it runs on here\n", cmd->name, d.name,
			reply);
		goto fail;
	}
	renamed = true;
	if (write_all(to, MIG_GO, sizeof(MIG_GO)) || expect_msg(from, MIG_RESULT, MIG_WAIT_MS) ||
	    read_exact(from, &st, 1, MIG_WAIT_MS) || st) {
		fprintf(stderr, "domus %s: the receiver could not start the domain; %s runs on here\n", cmd->name, d.name);
		goto fail;
	}
	t_end = now_ms();
	ok = true;
	if (write_all(conn, "commit\n", 7) || read_line(conn, reply, sizeof(reply), 30000) || strncmp(reply, "ok", 2))
		fprintf(stderr, "domus %s: %s: runs on %s, but this copy did not confirm its end (see %s--migratedaway)\n",
			cmd->name, d.name, host, d.name);
	printf("domus migrate: %s to %s: %u rounds, %llu pages (%llu MiB), %llu with the guest paused; downtime %lld ms\n",
	       d.name, host, rounds, pages, pages >> 8, lastn, paused_at ? t_end - paused_at : -1);
	goto out;
fail:
	if (conn >= 0) {
		if (renamed) {
			snprintf(req, sizeof(req), "rename %s\n", d.name);
			if (write_all(conn, req, strlen(req)) || read_line(conn, reply, sizeof(reply), 30000) ||
			    strncmp(reply, "ok", 2))
				fprintf(stderr, "domus %s: %s--migratedaway: could not take its name back\n", cmd->name,
					d.name);
		}
		/* anything but "commit": the guest runs on */
		if (write_all(conn, "abort\n", 6)) {
			/* closing says the same */
		}
	}
out:
	if (conn >= 0)
		close(conn);
	close(to);
	close(from);
	if (!ok)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return ok ? 0 : 1;
}

/* --- the receiver --------------------------------------------------------------- */

static uint64_t stream_max(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 64ULL << 30;

	return ram * XSR_STREAM_PASSES + (64ULL << 20);
}

int cmd_migrate_receive(const struct domus_cmd *cmd, int argc, char **argv)
{
	char path[PATH_MAX], err[1024], e[512], incoming[80], name[64], arg[96], req[96], reply[DOMUS_CTL_LINE_MAX];
	struct domus_config cfg;
	struct domus_dominfo d;
	struct xsr_state st;
	void *buf = MAP_FAILED;
	uint64_t len = 0;
	char *args[2] = { "--migrated", arg };	/* a launcher option, then the name */
	int in, out, fd = -1, dn, r = 1;
	bool created = false;
	unsigned char status = 1;

	(void)argv;
	if (argc > 1)
		return domus_cmd_usage_error(cmd, "migrate-receive takes no arguments (the stream comes on stdin)");
	domus_config_init(&cfg);
	signal(SIGPIPE, SIG_IGN);
	/* the stream and the replies on private descriptors: nothing started here inherits them */
	in = fcntl(0, F_DUPFD_CLOEXEC, 3);
	out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	dn = open("/dev/null", O_RDWR);
	if (in < 0 || out < 0 || dn < 0) {
		fprintf(stderr, "domus %s: no stdin/stdout to talk over\n", cmd->name);
		return 1;
	}
	dup2(dn, 0);
	dup2(dn, 1);
	close(dn);
	if (write_all(out, MIG_BANNER, sizeof(MIG_BANNER) - 1))
		return 1;
	if (mkdir(domus_run_dir(), 0755) && errno != EEXIST) {
		fprintf(stderr, "domus %s: cannot create %s: %s\n", cmd->name, domus_run_dir(), strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/.migrate-incoming.XXXXXX", domus_run_dir());
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "domus %s: cannot create %s: %s\n", cmd->name, path, strerror(errno));
		return 1;
	}
	if (xsr_stream_copy(in, fd, stream_max(), &len, e, sizeof(e))) {
		fprintf(stderr, "domus %s: %s; nothing created\n", cmd->name, e);
		goto out;
	}
	buf = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "domus %s: cannot map the stream: %s\n", cmd->name, strerror(errno));
		goto out;
	}
	if (xsr_read(buf, (size_t)len, 0, NULL, &st, e, sizeof(e))) {
		fprintf(stderr, "domus %s: the stream: %s; nothing created\n", cmd->name, e);
		goto out;
	}
	if (domus_config_parse(&cfg, st.config, st.config_len - 1, "the stream", err, sizeof(err))) {
		xsr_state_free(&st);
		goto cfg_error;
	}
	{
		/* the name is settled by finish: take it from a copy */
		struct domus_config c0;
		int bad;

		domus_config_init(&c0);
		bad = domus_config_parse(&c0, st.config, st.config_len - 1, "the stream", err, sizeof(err)) ||
		      domus_config_finish(&c0, err, sizeof(err));
		snprintf(name, sizeof(name), "%s", c0.name);
		domus_config_free(&c0);
		if (bad) {
			xsr_state_free(&st);
			goto cfg_error;
		}
	}
	xsr_state_free(&st);
	snprintf(incoming, sizeof(incoming), "%s--incoming", name);
	snprintf(arg, sizeof(arg), "name=\"%s\"", incoming);
	if (domus_config_apply(&cfg, arg, err, sizeof(err)) || domus_config_finish(&cfg, err, sizeof(err)))
		goto cfg_error;
	if (xsr_read(buf, (size_t)len, cfg.memory_mib << 20, NULL, &st, e, sizeof(e))) {
		fprintf(stderr, "domus %s: the stream: %s; nothing created\n", cmd->name, e);
		goto out;
	}
	xsr_state_free(&st);
	if (domus_ctl_find(incoming, &d) == 0) {
		fprintf(stderr, "domus %s: domain %s already exists (a migration of %s under way?)\n", cmd->name,
			incoming, name);
		goto out;
	}
	if (domus_cli_launch(cmd, &cfg, path, args, 2, false, true, true))
		goto out;
	created = true;
	unlink(path);	/* the launcher has it mapped */
	path[0] = 0;
	if (write_all(out, MIG_RECEIVED, sizeof(MIG_RECEIVED)) || expect_msg(in, MIG_GO, MIG_WAIT_MS)) {
		fprintf(stderr, "domus %s: the sender gave up; %s destroyed\n", cmd->name, incoming);
		goto out;
	}
	snprintf(req, sizeof(req), "rename %s", name);
	if (domus_ctl_request(incoming, req, reply, sizeof(reply), 30000)) {
		fprintf(stderr, "domus %s: %s: cannot take the name %s: %s\n", cmd->name, incoming, name, reply);
		goto result;
	}
	if (domus_ctl_request(name, "unpause", reply, sizeof(reply), 30000)) {
		fprintf(stderr, "domus %s: %s: cannot unpause: %s\n", cmd->name, name, reply);
		snprintf(incoming, sizeof(incoming), "%s", name);
		goto result;
	}
	status = 0;
	r = 0;
result:
	if (write_all(out, MIG_RESULT, sizeof(MIG_RESULT)) || write_all(out, &status, 1))
		fprintf(stderr, "domus %s: the sender went away before the result\n", cmd->name);
	goto out;
cfg_error:
	fprintf(stderr, "domus %s: the stream's config: %s; nothing created\n", cmd->name, err);
out:
	if (r && created && domus_ctl_find(incoming, &d) == 0)
		domus_cli_destroy(cmd->name, &d);
	if (buf != MAP_FAILED)
		munmap(buf, (size_t)len);
	if (fd >= 0)
		close(fd);
	if (path[0])
		unlink(path);
	domus_config_free(&cfg);
	close(in);
	close(out);
	return r;
}
