// SPDX-License-Identifier: MIT
/*
 * domus save [-c] NAME FILE, domus restore [-c] [-e] [-p] FILE [KEY=VALUE...]
 * (docs/cli.md, docs/save-format.md).
 *
 * save: a temporary file next to FILE is opened here and passed to the
 * domain's launcher with the "save" request (ctl.h); the launcher pauses
 * the guest and writes the stream into it.  Here the file is fsync'd and
 * renamed to FILE, its directory fsync'd, and only then is the launcher
 * told to "commit": the guest is destroyed (or with -c runs on).  Any
 * failure before that removes the temporary file and the guest runs on;
 * a killed `domus save` leaves no FILE and the launcher lets the guest go
 * on once the connection closes.  Progress on a terminal: the share of
 * the guest's RAM in the file so far.
 *
 * restore: the whole file is read and validated first (structure,
 * checksum, the config in it, its RAM against the config), then the
 * launcher is started with --restore FILE and reports as for create.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "cli.h"
#include "ctl.h"
#include "libdomus.h"
#include "xlcfg.h"
#include "xsr.h"

#define SAVE_TIMEOUT_MS	(30 * 60 * 1000)

static char tmp_path[PATH_MAX];		/* removed on a signal */

static void on_signal(int sig)
{
	if (tmp_path[0])
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct progress {
	int fd;
	uint64_t total;
	const char *name;
	volatile int done;
};

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	int last = -1;

	while (!p->done) {
		struct stat sb;
		int pct;

		if (fstat(p->fd, &sb) == 0 && p->total) {
			pct = (int)((uint64_t)sb.st_size * 100 / p->total);
			if (pct > 100)
				pct = 100;
			if (pct != last) {
				fprintf(stderr, "\rdomus save: %s: %3d%%", p->name, pct);
				last = pct;
			}
		}
		usleep(100 * 1000);
	}
	if (last >= 0)
		fprintf(stderr, "\r\033[K");
	return NULL;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int cmd_save(const struct domus_cmd *cmd, int argc, char **argv)
{
	char reply[DOMUS_CTL_LINE_MAX];
	struct domus_dominfo d;
	struct progress pr;
	pthread_t th;
	bool keep = false, bar;
	const char *file, *slash;
	int opt, fd, conn, r;

	optind = 1;
	while ((opt = getopt(argc, argv, "+c")) != -1) {
		if (opt != 'c')
			return domus_cmd_bad_option(cmd, "+c");
		keep = true;
	}
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give a domain and a file");
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	file = argv[optind + 1];
	slash = strrchr(file, '/');
	if ((size_t)snprintf(tmp_path, sizeof(tmp_path), "%.*s.%s.saving.XXXXXX", slash ? (int)(slash - file + 1) : 0,
			     file, slash ? slash + 1 : file) >= sizeof(tmp_path)) {
		tmp_path[0] = 0;
		fprintf(stderr, "domus %s: %s: the path is too long\n", cmd->name, file);
		return 1;
	}
	fd = mkostemp(tmp_path, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "domus %s: cannot create a file next to %s: %s\n", cmd->name, file, strerror(errno));
		tmp_path[0] = 0;
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	conn = domus_ctl_connect(d.name);
	if (conn < 0) {
		fprintf(stderr, "domus %s: %s: its launcher does not answer (%s)\n", cmd->name, d.name, strerror(-conn));
		goto fail;
	}
	bar = isatty(2);
	pr = (struct progress){ .fd = fd, .total = d.mem_mib << 20, .name = d.name };
	if (bar && pthread_create(&th, NULL, progress_main, &pr))
		bar = false;
	r = domus_ctl_request_fds(conn, keep ? "save keep" : "save", &fd, 1, reply, sizeof(reply), SAVE_TIMEOUT_MS);
	if (bar) {
		pr.done = 1;
		pthread_join(th, NULL);
	}
	if (r) {
		if (r == 1)
			fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name,
				!strncmp(reply, "error ", 6) ? reply + 6 : reply);
		else
			fprintf(stderr, "domus %s: %s: the launcher did not answer: %s\n", cmd->name, d.name, strerror(-r));
		close(conn);	/* the launcher waits for nothing more */
		goto fail;
	}
	if (fsync(fd)) {
		fprintf(stderr, "domus %s: %s: %s; the guest runs on\n", cmd->name, file, strerror(errno));
		goto fail_conn;
	}
	if (rename(tmp_path, file)) {
		fprintf(stderr, "domus %s: cannot rename the file to %s: %s; the guest runs on\n", cmd->name, file,
			strerror(errno));
		goto fail_conn;
	}
	tmp_path[0] = 0;
	if (fsync_dir(file))
		fprintf(stderr, "domus %s: note: cannot sync the directory of %s: %s\n", cmd->name, file, strerror(errno));
	close(fd);
	r = domus_ctl_request_fd(conn, "commit", reply, sizeof(reply), 30000);
	close(conn);
	if (r) {
		fprintf(stderr, "domus %s: %s: saved to %s, but the launcher did not confirm (%s)\n", cmd->name, d.name, file,
			r == 1 ? reply : strerror(-r));
		return 1;
	}
	return 0;
fail_conn:
	/* the launcher waits for "commit": anything else lets the guest go on */
	if (write(conn, "abort\n", 6) != 6) {
		/* closing the connection says the same */
	}
	close(conn);
fail:
	close(fd);
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = 0;
	return 1;
}

int cmd_restore(const struct domus_cmd *cmd, int argc, char **argv)
{
	bool console = false, paused = false, nowait = false;
	struct domus_config cfg;
	struct xsr_state st;
	char err[1024], e[512], *abs = NULL;
	struct stat sb;
	const char *file;
	void *buf = MAP_FAILED;
	int opt, i, fd, r = 1;

	optind = 1;
	while ((opt = getopt(argc, argv, "+cep")) != -1) {
		switch (opt) {
		case 'c': console = true; break;
		case 'e': nowait = true; break;
		case 'p': paused = true; break;
		default: return domus_cmd_bad_option(cmd, "+cep");
		}
	}
	if (optind >= argc)
		return domus_cmd_usage_error(cmd, "no save file given");
	file = argv[optind];
	domus_config_init(&cfg);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "domus %s: cannot open %s: %s\n", cmd->name, file, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || !sb.st_size) {
		fprintf(stderr, "domus %s: %s: not a save file (empty, or not a regular file)\n", cmd->name, file);
		goto out;
	}
	buf = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "domus %s: cannot read %s: %s\n", cmd->name, file, strerror(errno));
		goto out;
	}
	/* everything is checked before anything is created */
	if (xsr_read(buf, (size_t)sb.st_size, 0, NULL, &st, e, sizeof(e))) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, file, e);
		goto out;
	}
	if (domus_config_parse(&cfg, st.config, st.config_len - 1, file, err, sizeof(err))) {
		xsr_state_free(&st);
		goto cfg_error;
	}
	xsr_state_free(&st);
	for (i = optind + 1; i < argc; i++)
		if (domus_config_apply(&cfg, argv[i], err, sizeof(err)))
			goto cfg_error;
	if (domus_config_finish(&cfg, err, sizeof(err)))
		goto cfg_error;
	if (xsr_read(buf, (size_t)sb.st_size, cfg.memory_mib << 20, NULL, &st, e, sizeof(e))) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, file, e);
		goto out;
	}
	xsr_state_free(&st);
	abs = realpath(file, NULL);
	if (!abs) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, file, strerror(errno));
		goto out;
	}
	munmap(buf, (size_t)sb.st_size);
	buf = MAP_FAILED;
	close(fd);
	fd = -1;
	r = domus_cli_launch(cmd, &cfg, abs, argv + optind + 1, argc - optind - 1, console, paused, nowait);
	goto out;
cfg_error:
	fprintf(stderr, "domus %s: %s\n", cmd->name, err);
out:
	if (buf != MAP_FAILED)
		munmap(buf, (size_t)sb.st_size);
	if (fd >= 0)
		close(fd);
	free(abs);
	domus_config_free(&cfg);
	return r;
}
