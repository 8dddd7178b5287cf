// SPDX-License-Identifier: MIT
/*
 * bootloader = "pygrub" (docs/launcher.md "bootloader"): boot the kernel
 * that the guest's own boot menu names, as Xen's pygrub does for PV
 * guests.  The first disk's image is never mounted (hostile input): its
 * partition table (none: a partition image such as xvda2; MBR; GPT) is
 * read here, and each ext2/3/4 file system in it is read by e2fsprogs'
 * debugfs (read-only, catastrophic mode) in a child that cannot gain
 * privileges (no_new_privs), holds no capability on the host (a new user
 * namespace, when the kernel allows one), has no network, and is bounded
 * in time and in the size of what it writes.  The menu (grubcfg.c) picks
 * the entry; its kernel and initrd(s) are copied into the caller's
 * private directory and booted as kernel=, ramdisk= and the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "xlcfg.h"

#define BOOT_MAX_KERNEL		(128ull << 20)
#define BOOT_MAX_INITRD		(512ull << 20)	/* all initrds together */
#define BOOT_MAX_FS		16		/* file systems tried */
#define BOOT_DEBUGFS_SECS	120		/* one read, wall clock */

static const char *const menus[][2] = {	/* path, legacy */
	{ "/boot/grub/grub.cfg", "" }, { "/grub/grub.cfg", "" },
	{ "/boot/grub2/grub.cfg", "" }, { "/grub2/grub.cfg", "" },
	{ "/boot/grub/menu.lst", "1" }, { "/grub/menu.lst", "1" },
	{ "/boot/grub/grub.conf", "1" }, { "/grub/grub.conf", "1" },
};

static int ext_magic_at(int fd, uint64_t off)
{
	unsigned char m[2];

	return pread(fd, m, 2, (off_t)(off + 1024 + 56)) == 2 && m[0] == 0x53 && m[1] == 0xef;
}

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The byte offsets of the ext2/3/4 file systems in the image: the whole
 * image, or the partitions of its MBR or GPT (512-byte sectors). */
static int find_filesystems(int fd, uint64_t *offs)
{
	unsigned char s[512], h[512], e[128];
	int n = 0, i;

	if (ext_magic_at(fd, 0)) {
		offs[n++] = 0;
		return n;
	}
	if (pread(fd, s, 512, 0) != 512 || s[510] != 0x55 || s[511] != 0xaa)
		return 0;
	for (i = 0; i < 4; i++)
		if (s[446 + 16 * i + 4] == 0xee)
			break;
	if (i < 4) {	/* GPT: the header in sector 1 */
		uint64_t lba;
		uint32_t count, esz;

		if (pread(fd, h, 512, 512) != 512 || memcmp(h, "EFI PART", 8))
			return 0;
		lba = le(h + 72, 8);
		count = (uint32_t)le(h + 80, 4);
		esz = (uint32_t)le(h + 84, 4);
		if (esz < 128 || esz > 4096 || lba > (UINT64_MAX >> 10))
			return 0;
		if (count > 128)
			count = 128;
		for (uint32_t k = 0; k < count && n < BOOT_MAX_FS; k++) {
			uint64_t first;

			if (pread(fd, e, 128, (off_t)(lba * 512 + (uint64_t)k * esz)) != 128)
				break;
			first = le(e + 32, 8);
			if ((le(e, 8) | le(e + 8, 8)) && first && first < (UINT64_MAX >> 10) && ext_magic_at(fd, first * 512))
				offs[n++] = first * 512;
		}
		return n;
	}
	for (i = 0; i < 4 && n < BOOT_MAX_FS; i++) {
		const unsigned char *p = s + 446 + 16 * i;
		uint64_t first = le(p + 8, 4);

		if (p[4] && p[4] != 0x05 && p[4] != 0x0f && p[4] != 0x85 && first && ext_magic_at(fd, first * 512))
			offs[n++] = first * 512;
	}
	return n;
}

static int path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= DOMUS_GRUB_PATH_MAX)
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/._+-~@:,=", *p)))
			return 0;
	return 1;
}

/*
 * debugfs -c -R 'cat PATH' on the file system at @off of @imgfd, its
 * output into @outfd (at most @max bytes).  0; 1: no such file; -1 with
 * @msg.
 */
static int fs_cat(int imgfd, uint64_t off, const char *path, int outfd, uint64_t max, char *msg, size_t msglen)
{
	static const char *const bins[] = { "/usr/sbin/debugfs", "/sbin/debugfs" };
	char req[DOMUS_GRUB_PATH_MAX + 16], dev[64], ebuf[512], *line;
	FILE *ef = tmpfile();
	int status, i;
	ssize_t n;
	pid_t pid;

	if (!ef)
		return domus_cfg_err(msg, msglen, "cannot make a temporary file: %s", strerror(errno));
	snprintf(req, sizeof(req), "cat \"%s\"", path);
	if (off)
		snprintf(dev, sizeof(dev), "/proc/self/fd/3?offset=%llu", (unsigned long long)off);
	else
		snprintf(dev, sizeof(dev), "/proc/self/fd/3");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fclose(ef);
		return domus_cfg_err(msg, msglen, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct rlimit fs = { max + 1, max + 1 }, cpu = { BOOT_DEBUGFS_SECS, BOOT_DEBUGFS_SECS };
		char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
		int nul = open("/dev/null", O_RDONLY);
		/* above the targets first: any of them may be 0-3 now */
		int o = fcntl(outfd, F_DUPFD, 10), e = fcntl(fileno(ef), F_DUPFD, 10), im = fcntl(imgfd, F_DUPFD, 10);

		if (nul < 0 || o < 0 || e < 0 || im < 0 || dup2(nul, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
		    dup2(im, 3) < 0)
			_exit(126);
		for (i = 4; i < 1024; i++)
			close(i);
		if (setrlimit(RLIMIT_FSIZE, &fs) || setrlimit(RLIMIT_CPU, &cpu) ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(126);
		/* no capability on the host's objects, no network (best effort:
		 * a kernel without user namespaces keeps the rest) */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC))
			(void)unshare(CLONE_NEWNET | CLONE_NEWIPC);
		alarm(BOOT_DEBUGFS_SECS);
		for (i = 0; i < 2; i++)
			execve(bins[i], (char *const[]){ "debugfs", "-c", "-R", req, dev, NULL }, env);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rewind(ef);
	n = (ssize_t)fread(ebuf, 1, sizeof(ebuf) - 1, ef);
	fclose(ef);
	ebuf[n > 0 ? n : 0] = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return domus_cfg_err(msg, msglen, "cannot run debugfs: install e2fsprogs");
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
		return domus_cfg_err(msg, msglen, "%s is larger than %llu MiB", path, (unsigned long long)(max >> 20));
	if (WIFSIGNALED(status))
		return domus_cfg_err(msg, msglen, "reading %s: debugfs ended by signal %d (time limit %d s)", path,
				     WTERMSIG(status), BOOT_DEBUGFS_SECS);
	/* stderr: the banner, then errors */
	for (line = strtok(ebuf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "debugfs ", 8) || strstr(line, "catastrophic mode"))
			continue;
		if (strstr(line, "File not found"))
			return 1;
		return domus_cfg_err(msg, msglen, "reading %s: %s", path, line);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return domus_cfg_err(msg, msglen, "reading %s: debugfs exited with status %d", path,
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* A file of the guest's file system into @dir/@name (truncated first). */
static int fs_copy(int imgfd, uint64_t off, const char *path, const char *dir, const char *name, bool append,
		   uint64_t max, char **out, char *msg, size_t msglen)
{
	char *p = NULL;
	int fd, r;

	if (!path_ok(path))
		return domus_cfg_err(msg, msglen, "'%.80s' is not a plain absolute path (letters, digits, /._+-~@:,=)", path);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return domus_cfg_err(msg, msglen, "out of memory");
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC), 0600);
	if (fd < 0) {
		r = domus_cfg_err(msg, msglen, "cannot write %s: %s", p, strerror(errno));
		free(p);
		return r;
	}
	r = fs_cat(imgfd, off, path, fd, max, msg, msglen);
	if (r == 1)
		domus_cfg_err(msg, msglen, "%s: no such file", path);
	close(fd);
	if (r) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* Read a small file (menu, grubenv) of the guest: a NUL-terminated buffer, or NULL. */
static char *fs_read(int imgfd, uint64_t off, const char *path, size_t *len, int *found, char *msg, size_t msglen)
{
	FILE *f = tmpfile();
	char *buf = NULL;
	long n;
	int r;

	*found = 0;
	if (!f) {
		domus_cfg_err(msg, msglen, "cannot make a temporary file: %s", strerror(errno));
		return NULL;
	}
	r = fs_cat(imgfd, off, path, fileno(f), DOMUS_GRUB_MAX_CFG, msg, msglen);
	if (r == 0 && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (size_t)n <= DOMUS_GRUB_MAX_CFG &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		rewind(f);
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = 0;
		*found = 1;
	} else if (r == 0) {
		domus_cfg_err(msg, msglen, "cannot read %s", path);
	}
	fclose(f);
	return buf;
}

struct boot_args {
	char entry[256], kernel[DOMUS_GRUB_PATH_MAX], ramdisk[DOMUS_GRUB_PATH_MAX], args[1024];
};

/* bootloader_args: one option a line ("--entry=1", "--args=quiet"). */
static int parse_args(const char *s, struct boot_args *a, char *msg, size_t msglen)
{
	static const struct { const char *opt; size_t off, len; } opts[] = {
		{ "--entry=", offsetof(struct boot_args, entry), sizeof(((struct boot_args *)0)->entry) },
		{ "-e", offsetof(struct boot_args, entry), sizeof(((struct boot_args *)0)->entry) },
		{ "--kernel=", offsetof(struct boot_args, kernel), sizeof(((struct boot_args *)0)->kernel) },
		{ "--ramdisk=", offsetof(struct boot_args, ramdisk), sizeof(((struct boot_args *)0)->ramdisk) },
		{ "--args=", offsetof(struct boot_args, args), sizeof(((struct boot_args *)0)->args) },
	};

	memset(a, 0, sizeof(*a));
	while (s && *s) {
		size_t n = strcspn(s, "\n"), k;

		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
			size_t ol = strlen(opts[k].opt);

			if (n >= ol && !strncmp(s, opts[k].opt, ol)) {
				snprintf((char *)a + opts[k].off, opts[k].len, "%.*s", (int)(n - ol), s + ol);
				break;
			}
		}
		if (k == sizeof(opts) / sizeof(opts[0]) && n)
			return domus_cfg_err(msg, msglen, "bootloader_args '%.*s': use --entry=N|ID|TITLE, --kernel=PATH, --ramdisk=PATH or --args=ARGS",
					     (int)(n > 60 ? 60 : n), s);
		s += n + (s[n] == '\n');
	}
	return 0;
}

void domus_boot_free(struct domus_boot *b)
{
	free(b->kernel);
	free(b->ramdisk);
	free(b->cmdline);
	memset(b, 0, sizeof(*b));
}

int domus_bootloader_run(const char *image, const char *args, const char *cmdline, const char *dir,
			 struct domus_boot *out, char *err, size_t errlen)
{
	uint64_t offs[BOOT_MAX_FS], off = 0;
	char msg[512] = "", *menu = NULL, *env = NULL, envpath[DOMUS_GRUB_PATH_MAX + 16];
	const char *kpath;
	struct boot_args a;
	size_t mlen = 0, elen = 0;
	int fd, nfs, i, m = 0, found = 0;

	memset(out, 0, sizeof(*out));
	if (parse_args(args, &a, msg, sizeof(msg)))
		return domus_cfg_err(err, errlen, "bootloader: %s", msg);
	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return domus_cfg_err(err, errlen, "bootloader: cannot open the first disk %s: %s; check disk=",
				     image, strerror(errno));
	nfs = find_filesystems(fd, offs);
	for (i = 0; i < nfs && !found; i++)
		for (m = 0; m < (int)(sizeof(menus) / sizeof(menus[0])); m++) {
			menu = fs_read(fd, offs[i], menus[m][0], &mlen, &found, msg, sizeof(msg));
			if (found) {
				off = offs[i];
				break;
			}
			if (msg[0])
				goto fail;
		}
	if (!found) {
		domus_cfg_err(err, errlen, "bootloader: %s: %s: give kernel= (and ramdisk=) instead of bootloader=, or install GRUB's config in the guest",
			      image, nfs ? "no /boot/grub/grub.cfg or menu.lst in its ext2/3/4 file system(s)" :
			      "no ext2/3/4 file system (a partition image, or an MBR or GPT disk)");
		close(fd);
		return -1;
	}
	if (!menus[m][1][0]) {	/* grubenv next to grub.cfg: saved_entry */
		int efound;

		snprintf(envpath, sizeof(envpath), "%.*s/grubenv", (int)(strrchr(menus[m][0], '/') - menus[m][0]),
			 menus[m][0]);
		env = fs_read(fd, off, envpath, &elen, &efound, msg, sizeof(msg));
		msg[0] = 0;	/* no grubenv: no saved entry */
	}
	if (domus_grub_pick(menu, mlen, menus[m][1][0], env, elen, a.entry, &out->entry, msg, sizeof(msg))) {
		domus_cfg_err(err, errlen, "bootloader: %s: %s: %s", image, menus[m][0], msg);
		goto out;
	}
	snprintf(out->fs, sizeof(out->fs), nfs > 1 || off ? "partition at byte %llu" : "the whole image",
		 (unsigned long long)off);
	kpath = a.kernel[0] ? a.kernel : out->entry.kernel;
	if (fs_copy(fd, off, kpath, dir, "kernel", false, BOOT_MAX_KERNEL, &out->kernel, msg, sizeof(msg)))
		goto fail;
	if (a.ramdisk[0]) {
		if (fs_copy(fd, off, a.ramdisk, dir, "initrd", false, BOOT_MAX_INITRD, &out->ramdisk, msg, sizeof(msg)))
			goto fail;
	} else {
		for (unsigned int k = 0; k < out->entry.ninitrd; k++) {
			/* several initrds (microcode first) are one archive, concatenated */
			free(out->ramdisk);
			out->ramdisk = NULL;
			if (fs_copy(fd, off, out->entry.initrd[k], dir, "initrd", k > 0, BOOT_MAX_INITRD, &out->ramdisk,
				    msg, sizeof(msg)))
				goto fail;
		}
	}
	if (asprintf(&out->cmdline, "%s%s%s%s%s", out->entry.args,
		     out->entry.args[0] && cmdline && *cmdline ? " " : "", cmdline ? cmdline : "",
		     a.args[0] ? " " : "", a.args) < 0) {
		domus_cfg_err(err, errlen, "bootloader: out of memory");
		goto out;
	}
	free(menu);
	free(env);
	close(fd);
	return 0;
fail:
	domus_cfg_err(err, errlen, "bootloader: %s: %s: fix the guest's boot menu or give kernel= instead of bootloader=",
		      image, msg);
out:
	free(menu);
	free(env);
	close(fd);
	domus_boot_free(out);
	return -1;
}
