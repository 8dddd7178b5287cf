// SPDX-License-Identifier: MIT
/*
 * The unpacked-kernel cache: the vmlinux inside a bzImage, kept so that
 * the next domain booted from the same file does not decompress it again
 * (seconds for an xz payload).  One file per bzImage, named by a hash of
 * the file's identity (device, inode, size, mtime, ctime); the identity is
 * also stored in the entry's header and compared in full, so a replaced,
 * rewritten or touched kernel file misses.  A hit is validated like any
 * other ELF (domus_loader_parse_elf).  See docs/loader.md.
 *
 * Where: $DOMUS_KERNEL_CACHE, else /var/cache/domus/kernels for root and
 * ${XDG_CACHE_HOME:-$HOME/.cache}/domus/kernels for other users;
 * DOMUS_KERNEL_CACHE=off disables it.  The directory must belong to the
 * caller and be writable by nobody else, or it is not used.  Entries are
 * written to a temporary file and renamed; at most KCACHE_KEEP are kept
 * (least recently used go first).  Every failure here only means a miss.
 * A sandboxed process (the launcher after its build) only looks entries
 * up: no directory made, nothing written (domus_kernel_cache_lookup_only).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "libdomus.h"
#include "loader_int.h"

#define KCACHE_MAGIC	"DOMUSKC1"
#define KCACHE_KEEP	4
#define KCACHE_SUFFIX	".vmlinux"

/* after domus_kernel_cache_lookup_only(): read entries, write nothing,
 * and make no system call a sandbox may forbid (geteuid: kcache_uid) */
static bool kcache_lookup_only;
static uid_t kcache_uid;

static uid_t kcache_euid(void)
{
	return kcache_lookup_only ? kcache_uid : geteuid();
}

void domus_kernel_cache_lookup_only(void)
{
	kcache_uid = geteuid();
	kcache_lookup_only = true;
}

struct kcache_hdr {
	char magic[8];
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	uint32_t compression, boot_protocol;
	uint64_t elf_size;
};
_Static_assert(sizeof(struct kcache_hdr) == 80, "kcache_hdr layout");

static void kcache_key(struct kcache_hdr *h, const struct stat *st)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KCACHE_MAGIC, sizeof(h->magic));
	h->dev = (uint64_t)st->st_dev;
	h->ino = (uint64_t)st->st_ino;
	h->size = (uint64_t)st->st_size;
	h->mtime_sec = st->st_mtim.tv_sec;
	h->mtime_nsec = st->st_mtim.tv_nsec;
	h->ctime_sec = st->st_ctim.tv_sec;
	h->ctime_nsec = st->st_ctim.tv_nsec;
}

/* The cache directory into @buf (created if missing); false: no cache. */
static bool kcache_dir(char *buf, size_t len)
{
	const char *env = getenv("DOMUS_KERNEL_CACHE"), *base;
	struct stat st;
	int n;

	if (env && (!strcmp(env, "off") || !strcmp(env, "0") || !*env))
		return false;
	if (env)
		n = snprintf(buf, len, "%s", env);
	else if (kcache_euid() == 0)
		n = snprintf(buf, len, "/var/cache/domus/kernels");
	else if ((base = getenv("XDG_CACHE_HOME")) && *base)
		n = snprintf(buf, len, "%s/domus/kernels", base);
	else if ((base = getenv("HOME")) && *base)
		n = snprintf(buf, len, "%s/.cache/domus/kernels", base);
	else
		return false;
	if (n < 0 || (size_t)n >= len)
		return false;
	if (!kcache_lookup_only && domus_mkdir_p(buf, 0700))
		return false;
	/* trusted only if ours and writable by nobody else */
	return lstat(buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == kcache_euid() &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* DIR/<hash of the identity>.vmlinux */
static bool kcache_path(char *buf, size_t len, const struct kcache_hdr *key)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a, 64 bit */
	char dir[PATH_MAX - 32];
	size_t i;
	int n;

	if (!kcache_dir(dir, sizeof(dir)))
		return false;
	for (i = offsetof(struct kcache_hdr, dev); i < offsetof(struct kcache_hdr, compression); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	n = snprintf(buf, len, "%s/%016llx" KCACHE_SUFFIX, dir, (unsigned long long)h);
	return n > 0 && (size_t)n < len;
}

static bool read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int domus_kcache_get(const struct stat *st, struct domus_kernel_info *info,
		     uint8_t **elf, size_t *elf_len)
{
	struct kcache_hdr key, h;
	char path[PATH_MAX];
	struct stat cst;
	uint8_t *buf;
	int fd;

	kcache_key(&key, st);
	if (!kcache_path(path, sizeof(path), &key))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &cst) || !S_ISREG(cst.st_mode) || cst.st_uid != kcache_euid() ||
	    !read_all(fd, &h, sizeof(h)) ||
	    memcmp(&h, &key, offsetof(struct kcache_hdr, compression)) ||
	    !h.elf_size || h.elf_size > DOMUS_LOADER_MAX_ELF ||
	    (uint64_t)cst.st_size != sizeof(h) + h.elf_size) {
		close(fd);
		return -ENOENT;
	}
	buf = malloc((size_t)h.elf_size);
	if (!buf || !read_all(fd, buf, (size_t)h.elf_size)) {
		free(buf);
		close(fd);
		return -ENOENT;
	}
	close(fd);
	if (!kcache_lookup_only)
		utimensat(AT_FDCWD, path, NULL, 0);	/* recently used */
	info->format = DOMUS_KFMT_BZIMAGE;
	info->compression = h.compression;
	info->boot_protocol = h.boot_protocol;
	info->cached = 1;
	*elf = buf;
	*elf_len = (size_t)h.elf_size;
	return 0;
}

struct kcache_ent {
	char name[64];
	struct timespec t;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct kcache_ent *)a)->t;
	const struct timespec *y = &((const struct kcache_ent *)b)->t;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Keep the KCACHE_KEEP most recently used entries of @dir (of the first
 * 64 seen: more are never there unless put there by hand). */
static void kcache_trim(const char *dir)
{
	struct kcache_ent e[64];
	size_t n = 0, i, sl = strlen(KCACHE_SUFFIX);
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while (n < sizeof(e) / sizeof(e[0]) && (d = readdir(dp)) != NULL) {
		size_t l = strlen(d->d_name);
		struct stat st;

		if (l >= sizeof(e[0].name) || l <= sl || strcmp(d->d_name + l - sl, KCACHE_SUFFIX) ||
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		memcpy(e[n].name, d->d_name, l + 1);
		e[n++].t = st.st_mtim;
	}
	qsort(e, n, sizeof(e[0]), newest_first);
	for (i = KCACHE_KEEP; i < n; i++)
		unlinkat(dirfd(dp), e[i].name, 0);
	closedir(dp);
}

void domus_kcache_put(const struct stat *st, const struct domus_kernel_info *info,
		      const uint8_t *elf, size_t elf_len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], *slash;
	struct kcache_hdr h;
	bool ok;
	int fd;

	if (kcache_lookup_only)
		return;
	kcache_key(&h, st);
	if (!kcache_path(path, sizeof(path), &h))
		return;
	h.compression = info->compression;
	h.boot_protocol = info->boot_protocol;
	h.elf_size = elf_len;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	ok = write_all(fd, &h, sizeof(h)) && write_all(fd, elf, elf_len) && !fsync(fd);
	if (close(fd))
		ok = false;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return;
	}
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		kcache_trim(path);
	}
}
