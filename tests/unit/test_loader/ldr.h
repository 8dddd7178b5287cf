/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the kernel loader (userland/lib/loader*.c): synthetic ELF
 * kernels wrapped in bzImages with every supported payload format, the
 * real Debian kernel from /boot, the start info, memory map and ACPI
 * tables it produces, the errors for bad input, and a mutation fuzz.
 */
#ifndef DOMUS_TEST_LDR_H
#define DOMUS_TEST_LDR_H

#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include "libdomus.h"
#include "loader.h"
#include "unit.h"


#define MiB (1ULL << 20)


static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static inline uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static inline void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static inline bool has(const char *s) { return strstr(domus_last_error(), s) != NULL; }
/* --- a synthetic kernel --------------------------------------------------
 *   0x000 ELF header, 0x040 three program headers (LOAD text, LOAD data,
 *   NOTE), 0x100 notes (GNU, Xen 5, Xen 18), 0x200 text (0x800 bytes at
 *   paddr 0x200000), 0xa00 data (0x300 bytes at 0x300000, memsz 0x2000).
 */
#define S_PH		0x40
#define S_NOTES		0x100
#define S_TEXT		0x200
#define S_TEXT_LEN	0x800
#define S_DATA		0xa00
#define S_DATA_LEN	0x300
#define S_SIZE		0xd00
#define S_TEXT_PA	0x200000
#define S_DATA_PA	0x300000
#define S_DATA_MEM	0x2000
#define S_ENTRY		0x200010
#define S_NOTE18	(S_NOTES + 20 + 24)	/* offset of the type-18 note */
#define BZ_PM		(4 * 512)	/* setup_sects = 3 */
#define BZ_POFF		0x100
#define BZ_CAP	(BZ_PM + BZ_POFF + 2 * S_SIZE + 4096)

/* helpers.c */
extern char tmpdir[];
size_t make_kernel_bz(uint8_t *bz, size_t (*comp)(const uint8_t *, size_t, uint8_t *, size_t));
void phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t pa, uint64_t fsz, uint64_t msz);
size_t note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t dsz);
void make_elf(uint8_t *e);
void make_elf32(uint8_t *e);
size_t c_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t c_xz(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t c_lzma(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t c_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t c_none(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t make_bz(uint8_t *bz, const uint8_t *payload, size_t plen, uint32_t usize);
const char *write_tmp(const char *name, const void *d, size_t n);
bool csum_ok(const uint8_t *t, size_t n);
size_t pkglen(const uint8_t *p, size_t *nbytes);
const uint8_t *table(const uint8_t *g, uint64_t gpa, uint64_t mem, const char *sig);
void check_acpi(const uint8_t *g, uint64_t mem, uint64_t rsdp_gpa, uint32_t vcpus, bool xapic);
void check_boot(const uint8_t *g, uint64_t mem, const struct domus_load_result *r,
		       const char *cmdline, uint64_t isize, uint32_t vcpus);
void *guest_alloc(uint64_t size);

/* the tests (main.c runs them) */
void synthetic_formats(void);
void layout_and_acpi(void);
void bad_kernels(void);
void bad_layouts(void);
void decompression_cap(void);
void real_kernel(void);
void fuzz(void);
void kernel_cache(void);
void multiboot(void);

#endif
