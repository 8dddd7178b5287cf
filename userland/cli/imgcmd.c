// SPDX-License-Identifier: MIT
/*
 * domus create-image / clone / backup (docs/cli.md "Images, clones,
 * backups"), as xen-tools' xen-create-image and the admin scripts Xen
 * users keep for clones and backups.
 *
 * create-image runs the image builder, a script in the libexec directory
 * (domus-create-image, next to mkrootfs whose cached Debian image it
 * customises).  clone and backup copy a domain's writable disks: by
 * reflink or LVM snapshot (instant, so also of a running domain, paused
 * for that instant), else sparsely; a running domain is refused by clone
 * unless every disk can be snapshotted, and paused by backup for as long
 * as its copies take.  Everything is written under temporary names and
 * renamed at the end: a failure leaves nothing behind.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"
#include "ctl.h"
#include "imgcmd.h"

/* ---- create-image: the builder script ------------------------------------ */

static int libexec_path(char *buf, size_t len, const char *prog)
{
	const char *env = getenv("DOMUS_LIBEXEC");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return snprintf(buf, len, "%s/%s", env, prog) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;	/* the source tree: build/domus -> scripts/ */
			if (snprintf(buf, len, "%s/../scripts/%s", self, prog) < (int)len && access(buf, X_OK) == 0)
				return 0;
		}
	}
	return snprintf(buf, len, "/usr/libexec/domus/%s", prog) < (int)len ? 0 : -1;
}

int cmd_create_image(const struct domus_cmd *cmd, int argc, char **argv)
{
	char script[PATH_MAX], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argc;
	if (libexec_path(script, sizeof(script), "domus-create-image")) {
		fprintf(stderr, "domus %s: libexec path too long (DOMUS_LIBEXEC)\n", cmd->name);
		return 1;
	}
	if (n > 0) {
		self[n] = 0;
		setenv("DOMUS", self, 1);
	}
	argv[0] = script;
	execv(script, argv);
	fprintf(stderr, "domus %s: cannot run the image builder %s: %s; install it there or set DOMUS_LIBEXEC\n",
		cmd->name, script, strerror(errno));
	return 1;
}

/* ---- shared by clone and backup ------------------------------------------------ */

/* One writable disk being copied. */
struct job {
	const char *vdev;
	const char *src;	/* the domain's image or block device */
	char dst[PATH_MAX];	/* the final name */
	char tmp[PATH_MAX];	/* while copying */
	bool lvm;		/* src is a logical volume (snapshot) */
	char vg[128], lv[128];	/* its volume group and name */
	char snap[PATH_MAX];	/* backup: the temporary snapshot's device */
	bool made;		/* tmp (or the snapshot LV) exists */
	int reflinked;
};

struct imgop {
	const char *cmdname;
	struct domus_srccfg sc;
	struct job jobs[DOMUS_CFG_MAX_DISKS];
	size_t njobs;
	bool running, paused;
	bool was_paused;	/* paused by its admin: left so, not unpaused */
};

/* Run a program (LVM tools); its output to stderr; 0 if it succeeded.
 * With @out, its first output line instead. */
static int run_prog(char *const argv[], char *out, size_t outlen)
{
	int p[2], status;
	pid_t pid;

	if (out && pipe(p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
		} else {
			dup2(2, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		ssize_t r;
		size_t got = 0;

		close(p[1]);
		while (got + 1 < outlen && (r = read(p[0], out + got, outlen - 1 - got)) > 0)
			got += r;
		out[got] = 0;
		out[strcspn(out, "\n")] = 0;
		close(p[0]);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Is @dev a logical volume?  Its VG, LV and size in bytes. */
static bool lvm_volume(const char *dev, char *vg, char *lv, unsigned long long *bytes)
{
	char line[512];
	char *const args[] = { "lvs", "--noheadings", "--nosuffix", "--units", "b", "-o", "vg_name,lv_name,lv_size",
			       (char *)dev, NULL };

	if (run_prog(args, line, sizeof(line)))
		return false;
	return sscanf(line, " %127s %127s %llu", vg, lv, bytes) == 3;
}

/* A snapshot LV @name of @j's volume, the size of the origin. */
static int lvm_snapshot(struct job *j, const char *name)
{
	char vglv[300], size[32];
	char vg[128], lv[128];
	unsigned long long bytes;
	char *const args[] = { "lvcreate", "-q", "-s", "-L", size, "-n", (char *)name, vglv, NULL };

	if (!lvm_volume(j->src, vg, lv, &bytes))
		return -1;
	snprintf(size, sizeof(size), "%llub", bytes);
	snprintf(vglv, sizeof(vglv), "%s/%s", vg, lv);
	return run_prog(args, NULL, 0);
}

static void lvm_remove(const char *dev)
{
	char *const args[] = { "lvremove", "-q", "-f", (char *)dev, NULL };

	run_prog(args, NULL, 0);
}

static int ctl_simple(const char *name, const char *req)
{
	char reply[DOMUS_CTL_LINE_MAX];

	return domus_ctl_request(name, req, reply, sizeof(reply), 10000);
}

static int op_pause(struct imgop *op)
{
	if (op->was_paused)
		return 0;
	if (ctl_simple(op->sc.cfg.name, "pause")) {
		fprintf(stderr, "domus %s: %s: cannot pause it (see 'domus logs %s')\n", op->cmdname,
			op->sc.cfg.name, op->sc.cfg.name);
		return -1;
	}
	op->paused = true;
	return 0;
}

static void op_unpause(struct imgop *op)
{
	if (!op->paused)
		return;
	if (ctl_simple(op->sc.cfg.name, "unpause"))
		fprintf(stderr, "domus %s: %s: cannot unpause it: run 'domus unpause %s'\n", op->cmdname,
			op->sc.cfg.name, op->sc.cfg.name);
	op->paused = false;
}

/* Remove whatever the operation made; unpause the domain. */
static void op_undo(struct imgop *op)
{
	size_t i;

	op_unpause(op);
	for (i = 0; i < op->njobs; i++) {
		struct job *j = &op->jobs[i];

		if (j->made && j->lvm)
			lvm_remove(j->snap[0] ? j->snap : j->dst);
		else if (j->made)
			unlink(j->tmp);
		j->made = false;
	}
}

/* Load SRC, find out whether it runs, and list its writable disks. */
static int op_load(struct imgop *op, const char *src)
{
	struct domus_dominfo d;
	char err[1024];
	size_t i;

	if (domus_srccfg_load(&op->sc, src, err, sizeof(err))) {
		fprintf(stderr, "domus %s: %s\n", op->cmdname, err);
		return -1;
	}
	op->running = domus_ctl_find(op->sc.cfg.name, &d) == 0 && d.state[3] != 's';
	op->was_paused = op->running && d.state[2] == 'p';
	for (i = 0; i < op->sc.cfg.ndisks; i++) {
		const struct domus_disk *dk = &op->sc.cfg.disks[i];
		struct job *j = &op->jobs[op->njobs];
		unsigned long long bytes;
		struct stat st;

		if (!dk->target || dk->readonly)
			continue;	/* CD drives and shared read-only disks stay shared */
		if (stat(dk->target, &st)) {
			fprintf(stderr, "domus %s: disk %s: %s: %s: fix the config %s\n", op->cmdname, dk->vdev,
				dk->target, strerror(errno), op->sc.path);
			return -1;
		}
		j->vdev = dk->vdev;
		j->src = dk->target;
		if (S_ISBLK(st.st_mode)) {
			if (!lvm_volume(dk->target, j->vg, j->lv, &bytes)) {
				fprintf(stderr, "domus %s: disk %s: %s is a block device but not an LVM logical volume: only image files and LVs can be copied\n",
					op->cmdname, dk->vdev, dk->target);
				return -1;
			}
			j->lvm = true;
		} else if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "domus %s: disk %s: %s is neither an image file nor a block device\n",
				op->cmdname, dk->vdev, dk->target);
			return -1;
		}
		op->njobs++;
	}
	return 0;
}

static const char *how(const struct job *j)
{
	return j->lvm ? "LVM snapshot" : j->reflinked ? "reflink" : "sparse copy";
}

static void copy_error(struct imgop *op, const struct job *j, int r)
{
	fprintf(stderr, "domus %s: disk %s: copying %s to %s: %s\n", op->cmdname, j->vdev, j->src, j->tmp,
		r == -EINTR ? "interrupted" : strerror(-r));
}

/* ---- clone ------------------------------------------------------------------ */

static bool path_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* The clone's disk of @src: DIR/SRC/F -> DIR/NEW/F (xen-tools' domains/NAME/
 * layout), a file name with SRC in it -> SRC replaced by NEW, else DIR/NEW-F. */
static int clone_path(const char *src, const char *old, const char *new, char *out, size_t len,
		      char *mkdir_path, size_t mlen)
{
	char dir[PATH_MAX], *slash, *parent, *at;
	const char *base;

	mkdir_path[0] = 0;
	snprintf(dir, sizeof(dir), "%s", src);
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	base = slash + 1;
	parent = strrchr(dir, '/');
	if (parent && !strcmp(parent + 1, old)) {
		parent[1] = 0;
		if (snprintf(mkdir_path, mlen, "%s%s", dir, new) >= (int)mlen)
			return -1;
		return snprintf(out, len, "%s/%s", mkdir_path, base) < (int)len ? 0 : -1;
	}
	at = strstr(base, old);
	if (at)
		return snprintf(out, len, "%s/%.*s%s%s", dir, (int)(at - base), base, new, at + strlen(old)) <
		       (int)len ? 0 : -1;
	return snprintf(out, len, "%s/%s-%s", dir, new, base) < (int)len ? 0 : -1;
}

int cmd_clone(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct imgop op = { .cmdname = cmd->name };
	struct domus_cfgedit e = { 0 };
	struct domus_dominfo d;
	char cfgpath[PATH_MAX], mkdirs[DOMUS_CFG_MAX_DISKS][PATH_MAX], uuid[37], err[1024], comment[PATH_MAX + 200];
	bool made_dir[DOMUS_CFG_MAX_DISKS] = { false };
	const char *newname;
	char *text = NULL;
	size_t i;
	int r, rc = 1;

	if (argc >= 2 && argv[1][0] == '-')
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 3)
		return domus_cmd_usage_error(cmd, "give the domain to clone and the clone's name");
	newname = argv[2];
	if (!domus_config_name_ok(newname) || !strcmp(newname, "Domain-0")) {
		fprintf(stderr, "domus clone: '%.80s' is not a usable name: 1-%d letters, digits, '-', '_' or '.', not all digits, not starting with '-' or '.'\n",
			newname, DOMUS_CFG_NAME_MAX);
		return 1;
	}
	if (op_load(&op, argv[1]))
		goto out;
	if (!strcmp(newname, op.sc.cfg.name)) {
		fprintf(stderr, "domus clone: the clone needs another name than %s\n", newname);
		goto out;
	}
	if (domus_ctl_find(newname, &d) == 0) {
		fprintf(stderr, "domus clone: domain %s already exists: choose another name\n", newname);
		goto out;
	}
	{
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", op.sc.path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		if (snprintf(cfgpath, sizeof(cfgpath), "%s/%s.cfg", slash ? dir : ".", newname) >= (int)sizeof(cfgpath))
			goto toolong;
	}
	if (path_exists(cfgpath)) {
		fprintf(stderr, "domus clone: %s exists already: choose another name or remove it\n", cfgpath);
		goto out;
	}
	for (i = 0; i < op.njobs; i++) {
		struct job *j = &op.jobs[i];

		if (j->lvm) {
			const char *at = strstr(j->lv, op.sc.cfg.name);

			if (at)
				snprintf(j->snap, sizeof(j->snap), "%.*s%s%s", (int)(at - j->lv), j->lv, newname,
					 at + strlen(op.sc.cfg.name));
			else
				snprintf(j->snap, sizeof(j->snap), "%s-%s", newname, j->lv);
			if (snprintf(j->dst, sizeof(j->dst), "/dev/%s/%s", j->vg, j->snap) >= (int)sizeof(j->dst))
				goto toolong;
			j->snap[0] = 0;	/* the clone's LV is kept: no temporary snapshot */
			snprintf(j->tmp, sizeof(j->tmp), "%s", j->dst);
		} else {
			if (clone_path(j->src, op.sc.cfg.name, newname, j->dst, sizeof(j->dst), mkdirs[i], PATH_MAX) ||
			    snprintf(j->tmp, sizeof(j->tmp), "%s.part-%d", j->dst, (int)getpid()) >= (int)sizeof(j->tmp))
				goto toolong;
		}
		if (path_exists(j->dst)) {
			fprintf(stderr, "domus clone: disk %s: %s exists already: remove it or choose another name\n",
				j->vdev, j->dst);
			goto out;
		}
	}

	domus_copy_catch_signals();
	/* a running domain: only instant copies, while it is paused */
	if (op.running && op.njobs && op_pause(&op))
		goto out;
	for (i = 0; i < op.njobs; i++) {
		struct job *j = &op.jobs[i];

		if (mkdirs[i][0] && !path_exists(mkdirs[i])) {
			if (mkdir(mkdirs[i], 0755)) {
				fprintf(stderr, "domus clone: mkdir %s: %s\n", mkdirs[i], strerror(errno));
				goto undo;
			}
			made_dir[i] = true;
		}
		if (j->lvm) {
			char name[160];

			snprintf(name, sizeof(name), "%s", strrchr(j->dst, '/') + 1);
			if (lvm_snapshot(j, name)) {
				fprintf(stderr, "domus clone: disk %s: lvcreate --snapshot of %s failed (see above)\n",
					j->vdev, j->src);
				goto undo;
			}
			j->made = true;
			continue;
		}
		r = domus_copy_file(j->src, j->tmp, j->vdev, op.running, &j->reflinked);
		if (r == -EOPNOTSUPP && op.running) {
			fprintf(stderr, "domus clone: %s is running and its disk %s (%s) cannot be reflinked there: shut it down first (domus shutdown -w %s)\n",
				op.sc.cfg.name, j->vdev, j->src, op.sc.cfg.name);
			goto undo;
		}
		if (r) {
			copy_error(&op, j, r);
			goto undo;
		}
		j->made = true;
	}
	op_unpause(&op);

	domus_random_uuid(uuid);
	snprintf(comment, sizeof(comment), "# domus clone of %s (%s)", op.sc.cfg.name, op.sc.path);
	e.name = newname;
	e.uuid = uuid;
	e.new_macs = true;
	e.comment = comment;
	for (i = 0; i < op.njobs; i++) {
		e.old_targets[i] = op.jobs[i].src;
		e.new_targets[i] = op.jobs[i].dst;
	}
	e.ntargets = op.njobs;
	if (domus_cfg_rewrite(&op.sc, &e, &text, err, sizeof(err))) {
		fprintf(stderr, "domus clone: %s\n", err);
		goto undo;
	}
	for (i = 0; i < op.njobs; i++) {
		struct job *j = &op.jobs[i];

		if (!j->lvm && (link(j->tmp, j->dst) || unlink(j->tmp))) {
			fprintf(stderr, "domus clone: %s: %s\n", j->dst, strerror(errno));
			while (i--)
				if (!op.jobs[i].lvm)
					unlink(op.jobs[i].dst);
			goto undo;
		}
	}
	r = domus_write_file(cfgpath, text, true);
	if (r) {
		fprintf(stderr, "domus clone: %s: %s\n", cfgpath, strerror(-r));
		for (i = 0; i < op.njobs; i++)
			if (!op.jobs[i].lvm)
				unlink(op.jobs[i].dst);
		goto undo;
	}
	for (i = 0; i < op.njobs; i++)
		printf("%s: %s -> %s (%s)\n", op.jobs[i].vdev, op.jobs[i].src, op.jobs[i].dst, how(&op.jobs[i]));
	printf("%s: %s (uuid %s)\n", newname, cfgpath, uuid);
	rc = 0;
	goto out;
toolong:
	fprintf(stderr, "domus clone: a path of the clone is too long\n");
	goto out;
undo:
	op_undo(&op);
	for (i = op.njobs; i--;)
		if (made_dir[i])
			rmdir(mkdirs[i]);
out:
	op_unpause(&op);
	free(text);
	domus_srccfg_free(&op.sc);
	return rc;
}

/* ---- backup ---------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remove the oldest NAME-YYYYMMDD-HHMMSS[-N] backups of @dir beyond @keep
 * (names sort by age: "-N" follows the same second's first). */
static void rotate(const char *cmdname, const char *dir, const char *name, long keep)
{
	char **found = NULL, path[PATH_MAX];
	size_t n = 0, i;
	regex_t re;
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp || regcomp(&re, "^-[0-9]{8}-[0-9]{6}(-[2-9])?$", REG_EXTENDED | REG_NOSUB)) {
		if (dp)
			closedir(dp);
		return;
	}
	while ((de = readdir(dp))) {
		size_t l = strlen(name);
		char **g;

		if (strncmp(de->d_name, name, l) || regexec(&re, de->d_name + l, 0, NULL, 0))
			continue;
		g = realloc(found, (n + 1) * sizeof(*found));
		if (!g)
			break;
		found = g;
		found[n] = strdup(de->d_name);
		if (found[n])
			n++;
	}
	closedir(dp);
	regfree(&re);
	qsort(found, n, sizeof(*found), name_cmp);
	for (i = 0; i + keep < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, found[i]) >= (int)sizeof(path))
			continue;
		rm_tree(path);
		printf("%s: removed (keeping %ld)\n", path, keep);
	}
	if (i && path_exists(path))
		fprintf(stderr, "domus %s: %s could not be removed completely\n", cmdname, path);
	for (i = 0; i < n; i++)
		free(found[i]);
	free(found);
}

/* @j's copy inside the backup directory @dir: the image's file name
 * (VDEV-NAME when two disks share a file name). */
static int backup_names(struct imgop *op, const char *work, const char *final)
{
	size_t i, k;

	for (i = 0; i < op->njobs; i++) {
		struct job *j = &op->jobs[i];
		const char *base = j->lvm ? j->lv : strrchr(j->src, '/') + 1;
		bool dup = false;

		for (k = 0; k < op->njobs; k++) {
			const struct job *o = &op->jobs[k];

			if (k != i && !strcmp(base, o->lvm ? o->lv : strrchr(o->src, '/') + 1))
				dup = true;
		}
		if (snprintf(j->tmp, sizeof(j->tmp), "%s/%s%s%s%s", work, dup ? j->vdev : "", dup ? "-" : "", base,
			     j->lvm ? ".img" : "") >= (int)sizeof(j->tmp) ||
		    snprintf(j->dst, sizeof(j->dst), "%s/%s", final, j->tmp + strlen(work) + 1) >= (int)sizeof(j->dst))
			return -1;
	}
	return 0;
}

int cmd_backup(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct imgop op = { .cmdname = cmd->name };
	struct domus_cfgedit e = { 0 };
	char dir[PATH_MAX], work[PATH_MAX], final[PATH_MAX], cfgpath[PATH_MAX], err[1024], stamp[32], comment[PATH_MAX + 200];
	long keep = 0;
	char *text = NULL, *end;
	bool made_work = false;
	time_t t0, now = time(NULL);
	struct tm tm;
	struct stat st;
	size_t i;
	int opt, r, rc = 1;

	static const struct option longopts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+k:", longopts, NULL)) != -1) {
		if (opt != 'k')
			return domus_cmd_bad_option(cmd, "+k:");
		errno = 0;
		keep = strtol(optarg, &end, 10);
		if (*optarg < '1' || *optarg > '9' || *end || errno || keep > 100000)
			return domus_cmd_usage_error(cmd, "--keep '%.40s': give how many backups to keep, 1 or more", optarg);
	}
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give the domain and the backup directory");
	if (stat(argv[optind + 1], &st) || !S_ISDIR(st.st_mode) || access(argv[optind + 1], W_OK)) {
		const char *why = stat(argv[optind + 1], &st) ? strerror(errno) :
				  !S_ISDIR(st.st_mode) ? "not a directory" : "not writable";

		fprintf(stderr, "domus backup: %s: %s: give an existing, writable directory (mkdir -p it first)\n",
			argv[optind + 1], why);
		return 1;
	}
	if (!realpath(argv[optind + 1], dir)) {
		fprintf(stderr, "domus backup: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	if (op_load(&op, argv[optind]))
		goto out;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
	/* NAME-STAMP, or NAME-STAMP-2 ... -9 for more backups within one second */
	for (i = 1; i <= 9; i++) {
		char suffix[4] = "";

		if (i > 1)
			snprintf(suffix, sizeof(suffix), "-%d", (int)i);
		if (snprintf(final, sizeof(final), "%s/%s-%s%s", dir, op.sc.cfg.name, stamp, suffix) >= (int)sizeof(final)) {
			fprintf(stderr, "domus backup: a path in %s is too long\n", dir);
			goto out;
		}
		if (!path_exists(final))
			break;
	}
	if (i > 9) {
		fprintf(stderr, "domus backup: %s exists already (nine backups this second): try again\n", final);
		goto out;
	}
	if (snprintf(work, sizeof(work), "%s/.%s-%s.part-%d", dir, op.sc.cfg.name, stamp, (int)getpid()) >= (int)sizeof(work) ||
	    snprintf(cfgpath, sizeof(cfgpath), "%s/%s.cfg", work, op.sc.cfg.name) >= (int)sizeof(cfgpath) ||
	    backup_names(&op, work, final)) {
		fprintf(stderr, "domus backup: a path in %s is too long\n", dir);
		goto out;
	}
	if (mkdir(work, 0700)) {
		fprintf(stderr, "domus backup: mkdir %s: %s\n", work, strerror(errno));
		goto out;
	}
	made_work = true;

	domus_copy_catch_signals();
	/* consistent: the domain is paused while its disks are snapshotted
	 * (reflink, LVM) or, where they cannot be, copied */
	if (op.running && op.njobs && op_pause(&op))
		goto undo;
	t0 = time(NULL);
	for (i = 0; i < op.njobs; i++) {
		struct job *j = &op.jobs[i];

		if (j->lvm) {
			char name[200];

			snprintf(name, sizeof(name), "%s-backup-%d", j->lv, (int)getpid());
			if (lvm_snapshot(j, name)) {
				fprintf(stderr, "domus backup: disk %s: lvcreate --snapshot of %s failed (see above)\n",
					j->vdev, j->src);
				goto undo;
			}
			snprintf(j->snap, sizeof(j->snap), "/dev/%s/%s", j->vg, name);
			j->made = true;
			continue;
		}
		r = domus_copy_file(j->src, j->tmp, j->vdev, 0, &j->reflinked);
		if (r) {
			copy_error(&op, j, r);
			goto undo;
		}
	}
	if (op.paused) {
		op_unpause(&op);
		printf("%s: paused for %ld s\n", op.sc.cfg.name, (long)(time(NULL) - t0));
	}
	/* LVM: the snapshots into files, then away with them */
	for (i = 0; i < op.njobs; i++) {
		struct job *j = &op.jobs[i];

		if (!j->lvm)
			continue;
		r = domus_copy_file(j->snap, j->tmp, j->vdev, 0, &j->reflinked);
		lvm_remove(j->snap);
		j->made = false;
		if (r) {
			copy_error(&op, j, r);
			goto undo;
		}
	}
	snprintf(comment, sizeof(comment), "# domus backup of %s (%s), %s: the disks are the copies next to this file",
		 op.sc.cfg.name, op.sc.path, stamp);
	e.comment = comment;
	for (i = 0; i < op.njobs; i++) {
		e.old_targets[i] = op.jobs[i].src;
		e.new_targets[i] = op.jobs[i].dst;
	}
	e.ntargets = op.njobs;
	if (domus_cfg_rewrite(&op.sc, &e, &text, err, sizeof(err))) {
		fprintf(stderr, "domus backup: %s\n", err);
		goto undo;
	}
	r = domus_write_file(cfgpath, text, true);
	if (r || rename(work, final)) {
		fprintf(stderr, "domus backup: %s: %s\n", r ? cfgpath : final, strerror(r ? -r : errno));
		goto undo;
	}
	made_work = false;
	for (i = 0; i < op.njobs; i++)
		printf("%s: %s -> %s (%s)\n", op.jobs[i].vdev, op.jobs[i].src, op.jobs[i].dst, how(&op.jobs[i]));
	printf("%s: backup %s\n", op.sc.cfg.name, final);
	if (keep)
		rotate(cmd->name, dir, op.sc.cfg.name, keep);
	rc = 0;
	goto out;
undo:
	op_undo(&op);
out:
	op_unpause(&op);
	if (made_work)
		rm_tree(work);
	free(text);
	domus_srccfg_free(&op.sc);
	return rc;
}
