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
/*
 * A new kernel named @name for the file image @data of @len bytes; NULL
 * (error set, @data freed) when out of memory.  The caller owns @data
 * otherwise.
 */
struct domus_kernel *domus_loader_kernel_new(uint8_t *data, size_t len, const char *name);
/* The checks of the ELF header and program headers, k->seg and the image
 * range, without the entry: *pvh_entry gets the PVH note's entry
 * (UINT64_MAX: none), *e_entry the header's e_entry.  (loader_image.c) */
int domus_loader_elf_segments(struct domus_kernel *k, uint64_t *pvh_entry, uint64_t *e_entry);
/* The index of the segment whose file bytes hold @addr, or -1. */
int domus_loader_seg_of(const struct domus_kernel *k, uint64_t addr);
/* The BSP's 32-bit flat protected-mode state (PVH and multiboot alike):
 * RIP = r->kernel.entry, RBX = @ebx, RAX = @eax.  (loader.c) */
void domus_loader_entry_state(struct domus_load_result *r, uint64_t eax, uint64_t ebx, uint32_t flags);
/* Copy k's segments into @g and zero their rest (after a plan). */
void domus_loader_copy_segments(const struct domus_kernel *k, uint8_t *g);
/* Multiboot (loader_mb.c): the parts of domus_load_plan/_into for a
 * kernel of format DOMUS_KFMT_MULTIBOOT. */
int domus_mb_plan(const struct domus_kernel *k, const struct domus_load_params *p,
		  uint64_t mem_size, struct domus_load_result *out);
int domus_mb_load_into(const struct domus_kernel *k, const struct domus_load_params *p,
		       void *guest_mem, uint64_t mem_size, struct domus_load_result *out);

#endif
