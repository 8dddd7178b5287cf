// SPDX-License-Identifier: MIT
/* ldr: the unpacked-kernel cache (userland/lib/loader_cache.c). */
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "ldr.h"

enum damage { COUNT, TRUNCATE, BAD_MAGIC };

/* Apply @d to every entry of @dir; returns how many there are. */
static size_t entries(const char *dir, enum damage d)
{
	char pat[512];
	size_t i, n = 0;
	glob_t g;

	snprintf(pat, sizeof(pat), "%s/*.vmlinux", dir);
	if (glob(pat, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc; i++, n++) {
		FILE *f;

		if (d == TRUNCATE)
			EXPECT(truncate(g.gl_pathv[i], 100) == 0);
		if (d == BAD_MAGIC && (f = fopen(g.gl_pathv[i], "r+b")) != NULL) {
			/* the ELF magic follows the 80-byte entry header */
			EXPECT(fseek(f, 80, SEEK_SET) == 0 && fputc('X', f) == 'X');
			fclose(f);
		}
	}
	globfree(&g);
	return n;
}

/* probe @path: a valid xz bzImage kernel?  *cached: from the cache? */
static bool probe(const char *path, uint32_t *cached)
{
	struct domus_kernel_info info;

	*cached = 7;
	if (domus_kernel_probe(path, &info))
		return false;
	*cached = info.cached;
	return info.format == DOMUS_KFMT_BZIMAGE && info.compression == DOMUS_KCOMP_XZ &&
	       info.boot_protocol == 0x020f && info.elf_size == S_SIZE && info.entry == S_ENTRY;
}

/* give @path a new identity (mtime @age s in the past) */
static void touch(const char *path, int age)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[1] = tv[0];
	tv[1].tv_sec -= age;
	EXPECT(utimes(path, tv) == 0);
}

void kernel_cache(void)
{
	uint8_t *bz = malloc(BZ_CAP), elf[S_SIZE];
	const struct domus_kernel_info *info;
	struct domus_kernel *k;
	const char *path;
	uint32_t cached;
	char dir[300];
	size_t n, isz;
	int i;

	snprintf(dir, sizeof(dir), "%s/kcache/sub", tmpdir);
	setenv("DOMUS_KERNEL_CACHE", dir, 1);
	n = make_kernel_bz(bz, c_xz);
	path = write_tmp("bz-cache", bz, n);

	/* the first open unpacks and fills the cache (its directory made) */
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(entries(dir, COUNT) == 1);
	/* the second comes from the cache: the same vmlinux */
	EXPECT(domus_kernel_open(path, &k) == 0);
	if (k) {
		info = domus_kernel_get_info(k);
		const void *img = domus_kernel_elf(k, &isz);

		make_elf(elf);
		EXPECT(info->cached == 1 && info->file_size == n && isz == S_SIZE);
		EXPECT(isz == S_SIZE && !memcmp(img, elf, S_SIZE));
		domus_kernel_close(k);
	}
	/* a touched kernel is another identity: a miss, then a hit */
	touch(path, 100);
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(probe(path, &cached) && cached == 1);
	EXPECT(entries(dir, COUNT) == 2);
	/* a truncated entry misses, and the kernel still loads */
	entries(dir, TRUNCATE);
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(probe(path, &cached) && cached == 1);
	/* an entry whose vmlinux fails the ELF checks misses */
	entries(dir, BAD_MAGIC);
	EXPECT(probe(path, &cached) && cached == 0);
	/* at most 4 entries are kept */
	for (i = 0; i < 6; i++) {
		touch(path, 200 + 100 * i);
		EXPECT(probe(path, &cached) && cached == 0);
	}
	EXPECT(entries(dir, COUNT) == 4);
	EXPECT(probe(path, &cached) && cached == 1);
	/* a directory others can write is not trusted */
	EXPECT(chmod(dir, 0777) == 0);
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(chmod(dir, 0700) == 0);
	EXPECT(probe(path, &cached) && cached == 1);
	/* lookup only (a sandboxed launcher): hits, but nothing written */
	domus_kernel_cache_lookup_only();
	EXPECT(probe(path, &cached) && cached == 1);
	touch(path, 5000);
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(probe(path, &cached) && cached == 0);
	EXPECT(entries(dir, COUNT) == 4);
	/* off means off */
	setenv("DOMUS_KERNEL_CACHE", "off", 1);
	EXPECT(probe(path, &cached) && cached == 0);
	free(bz);
}
