/* SPDX-License-Identifier: MIT */
/*
 * libdomus kernel loader: turns a kernel file (bzImage or ELF vmlinux), an
 * optional initramfs and a command line into a bootable Xen PVH guest
 * memory image -- kernel segments, hvm_start_info with a memory map, ACPI
 * tables -- plus the vCPU entry state.  It never touches /dev/domus: it
 * works on any buffer that stands for guest-physical memory [0, mem_size),
 * so everything can be checked before a domain exists.  See docs/loader.md.
 *
 * Conventions as in libdomus.h: 0 on success, -errno on failure with
 * domus_last_error() holding a one-line message that names the file and
 * the fix.  The input files are untrusted: every size and offset in them
 * is checked, and every allocation is bounded.
 *
 * Guest-physical layout (one RAM block [0, mem_size), mem_size a multiple
 * of 4 KiB, 2 MiB <= mem_size <= DOMUS_PVH_MAX_MEM):
 *
 *   0x00000000-0x00005fff  RAM (free for the guest)
 *   0x00006000             hvm_start_info (56 bytes)
 *   0x00006040             module list (initramfs = module 0)
 *   0x00006100             memory map (at most DOMUS_PVH_MAX_MEMMAP entries)
 *   0x00006800-0x00006fff  kernel command line, NUL-terminated
 *   0x00007000-0x0009ffff  RAM (free; Linux takes its AP trampoline here)
 *   0x000a0000-0x000fffff  reserved (legacy hole, what Linux assumes anyway)
 *     0x000e0000-         ACPI tables: RSDP, RSDT, XSDT, FADT, MADT, DSDT
 *   0x00100000-mem_size    RAM: kernel at its p_paddr (0x1000000 for
 *                          Debian), initramfs page-aligned at the top
 *   0xfeff0000-0xfeffffff  reserved, outside RAM: the launcher's special
 *                          pages (console ring, xenstore ring), mapped by
 *                          the launcher as a slot of its own
 *
 * Memory map handed to the guest (e820 types):
 *   [0, 0xa0000) RAM, [0xa0000, 0x100000) reserved, [0x100000, mem_size)
 *   RAM, [DOMUS_PVH_SPECIAL_GPA, +DOMUS_PVH_SPECIAL_SIZE) reserved.
 *
 * Power-off: the DSDT carries Name(_S5, Package(){5, 0}) and the FADT a
 * hardware-reduced SLEEP_CONTROL_REG / SLEEP_STATUS_REG as one-byte I/O
 * ports.  Linux's poweroff writes (5 << 2) | SLP_EN = 0x34 to
 * DOMUS_ACPI_SLEEP_CONTROL_PORT; the launcher treats a write with SLP_EN
 * set and SLP_TYP 5 as power-off.  Writes to DOMUS_ACPI_SLEEP_STATUS_PORT
 * (Linux clears WAK_STS with 0x80 first) are ignored; reads of both ports
 * may return 0 (or all-ones).  HLT with IF=0 on every vCPU stays the
 * fallback, as in Xen.
 */
#ifndef DOMUS_LOADER_H
#define DOMUS_LOADER_H

#include <stdint.h>
#include <stddef.h>
#include "domus.h"

/* --- layout ------------------------------------------------------------- */
#define DOMUS_PVH_START_INFO_GPA	0x6000ULL
#define DOMUS_PVH_MODLIST_GPA		0x6040ULL
#define DOMUS_PVH_MEMMAP_GPA		0x6100ULL
#define DOMUS_PVH_MAX_MEMMAP		16
#define DOMUS_PVH_CMDLINE_GPA		0x6800ULL
#define DOMUS_PVH_CMDLINE_MAX		2048	/* incl. NUL (Linux x86 limit) */
#define DOMUS_PVH_LOW_RAM_END		0xa0000ULL
#define DOMUS_PVH_ACPI_GPA		0xe0000ULL
#define DOMUS_PVH_ACPI_SIZE		0x20000ULL
#define DOMUS_PVH_HIGH_RAM		0x100000ULL	/* kernel segments start here or above */
#define DOMUS_PVH_SPECIAL_GPA		0xfeff0000ULL
#define DOMUS_PVH_SPECIAL_SIZE		0x10000ULL
#define DOMUS_PVH_MIN_MEM		(2ULL << 20)
#define DOMUS_PVH_MAX_MEM		0xf0000000ULL	/* RAM stays below the MMIO/special area */
#define DOMUS_LOADER_MAX_VCPUS		128
#define DOMUS_LOADER_MAX_FILE		(256ULL << 20)	/* kernel file */
#define DOMUS_LOADER_MAX_ELF		(256ULL << 20)	/* decompressed vmlinux */
#define DOMUS_LOADER_MAX_SEGS		16		/* PT_LOAD segments */

/* --- power-off (see above) ---------------------------------------------- */
#define DOMUS_ACPI_SLEEP_CONTROL_PORT	0x0600
#define DOMUS_ACPI_SLEEP_STATUS_PORT	0x0601
#define DOMUS_ACPI_SLP_EN		0x20
#define DOMUS_ACPI_SLP_TYP_SHIFT	2
#define DOMUS_ACPI_SLP_TYP_MASK		0x1c
#define DOMUS_ACPI_S5_SLP_TYP		5
#define DOMUS_ACPI_POWEROFF_VALUE	((DOMUS_ACPI_S5_SLP_TYP << DOMUS_ACPI_SLP_TYP_SHIFT) | DOMUS_ACPI_SLP_EN)

/* --- Xen PVH ABI structures (facts from the public PVH ABI) -------------- */
#define DOMUS_HVM_START_MAGIC		0x336ec578u
#define DOMUS_XEN_ELFNOTE_PHYS32_ENTRY	18

struct domus_hvm_start_info {
	uint32_t magic;
	uint32_t version;		/* 1: memmap fields valid */
	uint32_t flags;			/* SIF_*: 0 for a domU */
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct domus_hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

#define DOMUS_E820_RAM		1
#define DOMUS_E820_RESERVED	2
#define DOMUS_E820_ACPI		3

struct domus_hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* DOMUS_E820_* */
	uint32_t reserved;
};

_Static_assert(sizeof(struct domus_hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(offsetof(struct domus_hvm_start_info, modlist_paddr) == 16, "modlist_paddr");
_Static_assert(offsetof(struct domus_hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr");
_Static_assert(offsetof(struct domus_hvm_start_info, memmap_entries) == 48, "memmap_entries");
_Static_assert(sizeof(struct domus_hvm_modlist_entry) == 32, "modlist entry size");
_Static_assert(sizeof(struct domus_hvm_memmap_entry) == 24, "memmap entry size");
_Static_assert(offsetof(struct domus_hvm_memmap_entry, type) == 16, "memmap type");

/* --- kernel images ------------------------------------------------------ */
enum {
	DOMUS_KFMT_ELF = 1,		/* a plain ELF vmlinux */
	DOMUS_KFMT_BZIMAGE = 2,
	DOMUS_KFMT_MULTIBOOT = 3,	/* a Multiboot 1 image (ELF or a.out kludge), loader_mb.c */
};
enum {
	DOMUS_KCOMP_NONE = 0,
	DOMUS_KCOMP_GZIP,
	DOMUS_KCOMP_XZ,
	DOMUS_KCOMP_ZSTD,
	DOMUS_KCOMP_LZMA,
};

struct domus_kernel_info {
	uint32_t format;		/* DOMUS_KFMT_* */
	uint32_t compression;		/* DOMUS_KCOMP_* (bzImage payload) */
	uint32_t boot_protocol;		/* bzImage boot protocol (0x020f), 0 for ELF */
	uint32_t nr_segments;		/* PT_LOAD segments */
	uint64_t entry;			/* PVH entry (note 18), a 32-bit GPA */
	uint64_t image_start;		/* lowest PT_LOAD p_paddr */
	uint64_t image_end;		/* highest p_paddr + p_memsz */
	uint64_t file_size;
	uint64_t elf_size;		/* the (decompressed) vmlinux */
	uint32_t cached;		/* 1: the vmlinux came from the unpack cache */
};

/* A validated kernel: the vmlinux in memory plus what was found in it. */
struct domus_kernel;

/* Read, unpack and validate a kernel file.  *out must be closed. */
int domus_kernel_open(const char *path, struct domus_kernel **out);
/* The same from memory (copied); @name is used in messages. */
int domus_kernel_open_mem(const void *data, size_t len, const char *name,
			  struct domus_kernel **out);
void domus_kernel_close(struct domus_kernel *k);
/* From now on the unpack cache (loader_cache.c) is only read: for a
 * process whose system calls are about to be restricted. */
void domus_kernel_cache_lookup_only(void);
const struct domus_kernel_info *domus_kernel_get_info(const struct domus_kernel *k);
/* The vmlinux ELF bytes (valid until close). */
const void *domus_kernel_elf(const struct domus_kernel *k, size_t *size);
/* Open + close: validates the file and reports what it holds. */
int domus_kernel_probe(const char *path, struct domus_kernel_info *info);
/* "none", "gzip", "xz", "zstd", "lzma". */
const char *domus_kernel_compression_name(uint32_t comp);

/* --- Multiboot 1 (loader_mb.c; facts from the Multiboot 0.6.96 spec) ---- */
#define DOMUS_MB_HEADER_MAGIC		0x1badb002u
#define DOMUS_MB_BOOT_MAGIC		0x2badb002u	/* EAX at the entry */
#define DOMUS_MB_SEARCH			8192		/* the header lies in the first 8 KiB */
#define DOMUS_MB_HF_PAGE_ALIGN		(1u << 0)	/* modules page aligned (none yet) */
#define DOMUS_MB_HF_MEMINFO		(1u << 1)	/* mem_* and mmap wanted: always given */
#define DOMUS_MB_HF_VIDEO		(1u << 2)	/* a video mode wanted: refused */
#define DOMUS_MB_HF_AOUT_KLUDGE		(1u << 16)	/* the address fields are valid */
#define DOMUS_MB_HF_KNOWN		(DOMUS_MB_HF_PAGE_ALIGN | DOMUS_MB_HF_MEMINFO)
/* where the info structure and what it points at sit (below 1 MiB) */
#define DOMUS_MB_INFO_GPA		0x6000ULL
#define DOMUS_MB_LOADER_NAME_GPA	0x6080ULL
#define DOMUS_MB_MMAP_GPA		0x6100ULL
#define DOMUS_MB_CMDLINE_GPA		0x6800ULL
#define DOMUS_MB_IF_MEM			(1u << 0)
#define DOMUS_MB_IF_CMDLINE		(1u << 2)
#define DOMUS_MB_IF_MMAP		(1u << 6)
#define DOMUS_MB_IF_LOADER_NAME		(1u << 9)
#define DOMUS_MB_LOADER_NAME		"domus"

/* The multiboot information structure (the fields up to the VBE ones). */
struct domus_mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB below 640 KiB / from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[4];
};
_Static_assert(sizeof(struct domus_mb_info) == 88, "multiboot info size");
_Static_assert(offsetof(struct domus_mb_info, mmap_length) == 44, "mmap_length");
_Static_assert(offsetof(struct domus_mb_info, boot_loader_name) == 64, "boot_loader_name");
/* One memory map entry: u32 size (20, not counting itself), u64 base, u64
 * length, u32 type (1 RAM, 2 reserved): 24 bytes, written byte by byte. */
#define DOMUS_MB_MMAP_ENTRY		24

/* The header as found in a file (what domus_multiboot_find reports). */
struct domus_mb_header {
	uint32_t offset;		/* in the file, 4-aligned, < DOMUS_MB_SEARCH */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Look for a multiboot header in @data: 1 and *h when there is one with a
 * good checksum, 0 when there is none, -errno (domus_last_error) when
 * the one there is truncated.  Pure: no file, no allocation. */
int domus_multiboot_find(const void *data, size_t len, const char *name, struct domus_mb_header *h);
/* Read and validate a multiboot kernel (its header and, for an ELF image
 * without the a.out kludge, its program headers): a domus_kernel of
 * format DOMUS_KFMT_MULTIBOOT, loaded by domus_load_plan/_into as the
 * spec says (info structure at DOMUS_MB_INFO_GPA, EAX magic, EBX info). */
int domus_multiboot_open(const char *path, struct domus_kernel **out);
int domus_multiboot_open_mem(const void *data, size_t len, const char *name,
			     struct domus_kernel **out);

/* --- loading ------------------------------------------------------------ */
#define DOMUS_LOAD_MADT_XAPIC	(1u << 0)	/* MADT type-0 Local APIC entries
						   instead of type-9 x2APIC ones */
#define DOMUS_LOAD_MADT_IOAPIC	(1u << 1)	/* MADT IO-APIC 0 at 0xfec00000 (GSI 0-)
						   and ISA IRQ 0 -> GSI 2: for hosts with
						   an IO-APIC (kvmboot); not for Xen PVH */
#define DOMUS_LOAD_FLAGS_ALL	(DOMUS_LOAD_MADT_XAPIC | DOMUS_LOAD_MADT_IOAPIC)

struct domus_load_params {
	const char *kernel;		/* path of a bzImage or vmlinux */
	const char *initrd;		/* path or NULL */
	const char *cmdline;		/* NULL: empty */
	uint32_t vcpus;			/* 1 .. DOMUS_LOADER_MAX_VCPUS */
	uint32_t flags;			/* DOMUS_LOAD_* */
};

struct domus_load_result {
	struct domus_kernel_info kernel;
	uint64_t mem_size;
	uint64_t start_info_gpa;	/* = BSP's EBX */
	uint64_t modlist_gpa;
	uint64_t memmap_gpa;
	uint32_t memmap_entries;
	uint32_t nr_modules;
	uint64_t cmdline_gpa;
	uint64_t cmdline_len;		/* without the NUL */
	uint64_t initrd_gpa;		/* 0 when there is none */
	uint64_t initrd_size;
	uint64_t rsdp_gpa;
	uint64_t acpi_gpa;		/* the ACPI tables occupy [acpi_gpa, +acpi_size) */
	uint64_t acpi_size;
	struct domus_hvm_memmap_entry memmap[DOMUS_PVH_MAX_MEMMAP];
	/*
	 * The BSP's entry state (PVH ABI): 32-bit protected mode, paging off;
	 * flat CS (selector 0x08, DOMUS_SEG_CODE32), DS/ES/FS/GS/SS (0x10,
	 * DOMUS_SEG_DATA32), busy 32-bit TSS in TR (base 0, limit 0x67), LDTR
	 * unusable, GDTR/IDTR empty, CR0 = PE|ET, CR4 = 0, EFER = 0, RFLAGS =
	 * 2, RIP = PVH entry, RBX = start_info, other GPRs 0; APIC base
	 * 0xfee00000 | EN | BSP (xAPIC mode, as under Xen).
	 * Ready for DOMUS_SET_REGS / DOMUS_SET_SREGS.
	 */
	struct domus_regs regs;
	struct domus_sregs sregs;
};

/*
 * Check that @k, the initramfs and the command line fit a guest of
 * @mem_size bytes and compute the layout into @out (nothing is written to
 * guest memory).  Call it before creating the domain.
 */
int domus_load_plan(const struct domus_kernel *k, const struct domus_load_params *p,
		    uint64_t mem_size, struct domus_load_result *out);
/*
 * Plan, then write kernel, initramfs, start info, memory map, command line
 * and ACPI tables into @guest_mem (guest-physical 0 .. @mem_size; only the
 * regions listed above are written, so it should start zeroed).
 * p->kernel is ignored (@k is used).
 */
int domus_load_into(const struct domus_kernel *k, const struct domus_load_params *p,
		    void *guest_mem, uint64_t mem_size, struct domus_load_result *out);
/* domus_kernel_open(p->kernel) + domus_load_into() + close. */
int domus_load_kernel(const struct domus_load_params *p, void *guest_mem,
		      uint64_t mem_size, struct domus_load_result *out);

/* ACPI tables for @vcpus vCPUs at guest-physical @gpa, written to @buf
 * (@cap bytes, the host view of @gpa).  Returns the bytes used or -errno;
 * *rsdp_gpa gets the RSDP's address.  (loader_acpi.c) */
long domus_acpi_build(void *buf, size_t cap, uint64_t gpa, uint32_t vcpus,
		      uint32_t flags, uint64_t *rsdp_gpa);

#endif /* DOMUS_LOADER_H */
