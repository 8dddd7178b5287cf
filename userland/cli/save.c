// SPDX-License-Identifier: MIT
/*
 * domus save [-c] NAME FILE, domus restore [-c] [-e] [-p] FILE [KEY=VALUE...]
 * (docs/cli.md, docs/save-format.md).
 *
 * save: a file without a name (O_TMPFILE) in FILE's directory is opened
 * here and passed to the domain's launcher with the "save" request
 * (ctl.h); the launcher pauses the guest and writes the stream into it.
 * Here the file is fsync'd and linked in as FILE (over an existing FILE:
 * linked under a temporary name and renamed), its directory fsync'd, and
 * only then is the launcher told to "commit": the guest is destroyed (or
 * with -c runs on).  Any failure before that leaves no file and the guest
 * runs on; so does a `domus save` killed midway, even by SIGKILL: the file
 * never had a name, and the launcher lets the guest go on (and closes the
 * file, which frees it) once the connection closes.  (Killed in the moment
 * between the link and "commit", it leaves a complete file at FILE and the
 * guest running, as save -c.)  A file system without O_TMPFILE gets a
 * named temporary file (.FILE.saving.XXXXXX), removed on every failure
 * and signal but SIGKILL's.  Progress on a terminal: the share of the
 * guest's RAM in the file so far.
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

static char tmp_path[PATH_MAX];		/* a named file of ours: removed on a signal */
static char tmpl[PATH_MAX];		/* .FILE.saving.XXXXXX, for mkostemp */

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

/* the directory @path is in, into @dir; -1 (ENAMETOOLONG) if it does not fit */
static int dir_of(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return snprintf(dir, PATH_MAX, "."), 0;
	if ((size_t)snprintf(dir, PATH_MAX, "%.*s", slash == path ? 1 : (int)(slash - path), path) >= PATH_MAX)
		return errno = ENAMETOOLONG, -1;
	return 0;
}

/*
 * The file without a name in @file's directory (O_TMPFILE); -1 with errno
 * when the file system has none.
 */
static int open_unnamed(const char *file)
{
	char dir[PATH_MAX];

	if (dir_of(file, dir))
		return -1;
	return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
}

/* the name @name for the file @fd (0), or -1 with errno (EEXIST if @name exists) */
static int link_fd(int fd, const char *name)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc's link does not */
	if (!linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH) ||
	    (errno != EEXIST && !linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW)))
		return 0;
	return -1;
}

/*
 * Give the unnamed file @fd the name @file.  linkat does not replace an
 * existing FILE: then it gets a temporary name next to it first (in
 * @tmp_path while it exists, so a signal removes it) and is renamed over
 * FILE.
 */
static int link_unnamed(int fd, const char *file)
{
	unsigned int i;

	if (!link_fd(fd, file))
		return 0;
	if (errno != EEXIST)
		return -1;
	for (i = 0; i < 100; i++) {
		int fd2;

		memcpy(tmp_path, tmpl, sizeof(tmp_path));
		fd2 = mkostemp(tmp_path, O_CLOEXEC);	/* a free name */
		if (fd2 < 0)
			return tmp_path[0] = 0, -1;
		close(fd2);
		unlink(tmp_path);
		if (!link_fd(fd, tmp_path))
			return rename(tmp_path, file);	/* (the caller clears or removes tmp_path) */
		if (errno != EEXIST)
			return tmp_path[0] = 0, -1;
		/* taken meanwhile: another name */
	}
	tmp_path[0] = 0;
	return errno = EEXIST, -1;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, r;

	if (dir_of(path, dir))
		return -1;
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
	bool keep = false, bar, unnamed;
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
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%.*s.%s.saving.XXXXXX", slash ? (int)(slash - file + 1) : 0,
			     file, slash ? slash + 1 : file) >= sizeof(tmpl)) {
		fprintf(stderr, "domus %s: %s: the path is too long\n", cmd->name, file);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fd = open_unnamed(file);
	unnamed = fd >= 0;
	/* a file system without O_TMPFILE (EOPNOTSUPP; EISDIR from old kernels): a named file */
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		memcpy(tmp_path, tmpl, sizeof(tmp_path));
		fd = mkostemp(tmp_path, O_CLOEXEC);
	}
	if (fd < 0) {
		fprintf(stderr, "domus %s: cannot create a file next to %s: %s\n", cmd->name, file, strerror(errno));
		tmp_path[0] = 0;
		return 1;
	}
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
	if (unnamed ? link_unnamed(fd, file) : rename(tmp_path, file)) {
		fprintf(stderr, "domus %s: cannot %s the file %s %s: %s; the guest runs on\n", cmd->name,
			unnamed ? "link" : "rename", unnamed ? "in as" : "to", file, strerror(errno));
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
