/* SPDX-License-Identifier: MIT */
/* libdomus kernel loader: internals shared by loader*.c (not installed). */
#ifndef DOMUS_LOADER_INT_H
#define DOMUS_LOADER_INT_H

#include <stdint.h>
#include <stddef.h>
#include "loader.h"

struct domus_kseg {
	uint64_t offset;	/* in the ELF file */
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

struct domus_kernel {
	struct domus_kernel_info info;
	uint8_t *elf;
	size_t elf_size;
	unsigned int nseg;
	struct domus_kseg seg[DOMUS_LOADER_MAX_SEGS];
	char name[512];		/* path, for messages */
};

/* Read a whole regular file of at most @cap bytes; messages say "<what>
 * <path>" and point at the config key @key. */
int domus_loader_read_file(const char *path, const char *what, const char *key,
			   uint64_t cap, uint8_t **data, size_t *len);

/* The unpacked-kernel cache (loader_cache.c), keyed by the bzImage's
 * identity @st.  get: 0 and the vmlinux (malloc'ed) with @info's format,
 * compression and boot protocol filled, or -ENOENT.  put: best effort. */
struct stat;
int domus_kcache_get(const struct stat *st, struct domus_kernel_info *info,
		     uint8_t **elf, size_t *elf_len);
void domus_kcache_put(const struct stat *st, const struct domus_kernel_info *info,
		      const uint8_t *elf, size_t elf_len);
/* Validate k->elf and fill k->seg and k->info (entry, image range). */
int domus_loader_parse_elf(struct domus_kernel *k);

#endif
