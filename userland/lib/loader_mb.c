// SPDX-License-Identifier: MIT
/*
 * libdomus kernel loader, part 4: Multiboot 1 kernels (docs/loader.md
 * "Multiboot").  The header (magic 0x1BADB002 in the first 8 KiB, 4-byte
 * aligned, checksum), then either the a.out kludge's address fields or
 * the ELF program headers (loader_image.c's checks) place the image; the
 * info structure, its memory map, the boot loader's name and the command
 * line go below 1 MiB, as the PVH start info does.  The entry state is
 * the PVH one (loader.c) with EAX = 0x2BADB002 and EBX = the info.
 *
 * Every field of the file is untrusted: offsets and sizes are checked
 * against the file, and the placement against guest memory at plan time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libdomus.h"
#include "loader.h"
#include "loader_int.h"

#define MIB(x)		((unsigned long long)((x) >> 20))
#define ROUND_MIB(x)	((unsigned long long)(((x) + (1ULL << 20) - 1) >> 20))

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static int mb_bad(const char *name, const char *what)
{
	return domus_set_error(ENOEXEC, "kernel %s: bad multiboot image: %s; check kernel= in the config", name, what);
}

int domus_multiboot_find(const void *data, size_t len, const char *name, struct domus_mb_header *h)
{
	const uint8_t *d = data;
	size_t off, end = len < DOMUS_MB_SEARCH ? len : DOMUS_MB_SEARCH;

	memset(h, 0, sizeof(*h));
	for (off = 0; off + 4 <= end; off += 4) {
		uint32_t flags, sum;

		if (rd32(d + off) != DOMUS_MB_HEADER_MAGIC)
			continue;
		if (off + 12 > len)
			return mb_bad(name, "the header is cut off by the end of the file");
		flags = rd32(d + off + 4);
		sum = rd32(d + off + 8);
		if ((uint32_t)(DOMUS_MB_HEADER_MAGIC + flags + sum) != 0)
			continue;	/* the magic by chance: not a header */
		h->offset = (uint32_t)off;
		h->flags = flags;
		if (flags & DOMUS_MB_HF_AOUT_KLUDGE) {
			if (off + 32 > len)
				return mb_bad(name, "the header's address fields are cut off by the end of the file");
			h->header_addr = rd32(d + off + 12);
			h->load_addr = rd32(d + off + 16);
			h->load_end_addr = rd32(d + off + 20);
			h->bss_end_addr = rd32(d + off + 24);
			h->entry_addr = rd32(d + off + 28);
		}
		return 1;
	}
	return 0;
}

/* The a.out kludge: one segment from the address fields. */
static int place_kludge(struct domus_kernel *k, const struct domus_mb_header *h)
{
	uint64_t file_off, load_end, mem_end;
	char msg[200];

	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->offset) {
		snprintf(msg, sizeof(msg), "header_addr 0x%x and load_addr 0x%x put the image's start before the file's",
			 h->header_addr, h->load_addr);
		return mb_bad(k->name, msg);
	}
	file_off = h->offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0) {
		load_end = (uint64_t)h->load_addr + (k->elf_size - file_off);
	} else {
		if (h->load_end_addr < h->load_addr) {
			snprintf(msg, sizeof(msg), "load_end_addr 0x%x lies below load_addr 0x%x",
				 h->load_end_addr, h->load_addr);
			return mb_bad(k->name, msg);
		}
		load_end = h->load_end_addr;
		if (load_end - h->load_addr > k->elf_size - file_off) {
			snprintf(msg, sizeof(msg), "load_end_addr 0x%x asks for %llu bytes, the file holds %llu from the image's start",
				 h->load_end_addr, (unsigned long long)(load_end - h->load_addr),
				 (unsigned long long)(k->elf_size - file_off));
			return mb_bad(k->name, msg);
		}
	}
	mem_end = load_end;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < load_end) {
			snprintf(msg, sizeof(msg), "bss_end_addr 0x%x lies below the image's end 0x%llx",
				 h->bss_end_addr, (unsigned long long)load_end);
			return mb_bad(k->name, msg);
		}
		mem_end = h->bss_end_addr;
	}
	if (mem_end == h->load_addr)
		return mb_bad(k->name, "the image is empty");
	if (mem_end > (1ULL << 32))
		return mb_bad(k->name, "the image does not end below 4 GiB");
	k->nseg = 1;
	k->seg[0].offset = file_off;
	k->seg[0].paddr = h->load_addr;
	k->seg[0].filesz = load_end - h->load_addr;
	k->seg[0].memsz = mem_end - h->load_addr;
	k->info.image_start = h->load_addr;
	k->info.image_end = mem_end;
	k->info.nr_segments = 1;
	k->info.entry = h->entry_addr;
	return 0;
}

/* Takes ownership of @data (malloc'ed). */
static int mb_open_owned(uint8_t *data, size_t len, const char *name, struct domus_kernel **out)
{
	struct domus_mb_header h;
	struct domus_kernel *k;
	uint64_t pvh_entry, e_entry;
	char msg[160];
	int ret;

	*out = NULL;
	k = domus_loader_kernel_new(data, len, name);
	if (!k)
		return -ENOMEM;
	k->elf = data;
	k->elf_size = len;
	k->info.format = DOMUS_KFMT_MULTIBOOT;
	k->info.elf_size = len;
	ret = domus_multiboot_find(data, len, k->name, &h);
	if (ret == 0)
		ret = domus_set_error(ENOEXEC, "kernel %s is not a multiboot image (no header with magic 0x1BADB002 and a good checksum in its first 8 KiB); type = \"hvm\" with kernel= boots Multiboot 1 kernels only",
				      k->name);
	if (ret < 0)
		goto fail;
	if (h.flags & DOMUS_MB_HF_VIDEO) {
		ret = mb_bad(k->name, "it asks for a video mode (header flag 2): domus has no display yet");
		goto fail;
	}
	if (h.flags & 0xffffu & ~DOMUS_MB_HF_KNOWN) {
		snprintf(msg, sizeof(msg), "it requires features domus does not know (header flags 0x%x)", h.flags & 0xffffu);
		ret = mb_bad(k->name, msg);
		goto fail;
	}
	if (h.flags & DOMUS_MB_HF_AOUT_KLUDGE) {
		ret = place_kludge(k, &h);
	} else if (len >= 4 && !memcmp(data, "\x7f" "ELF", 4)) {
		ret = domus_loader_elf_segments(k, &pvh_entry, &e_entry);
		if (!ret && e_entry >= (1ULL << 32))
			ret = mb_bad(k->name, "the ELF entry point is not below 4 GiB");
		k->info.entry = e_entry;
	} else {
		ret = mb_bad(k->name, "neither an ELF file nor a header with load addresses (flag 16)");
	}
	if (ret)
		goto fail;
	if (domus_loader_seg_of(k, k->info.entry) < 0) {
		snprintf(msg, sizeof(msg), "the entry point 0x%llx is outside the loaded image",
			 (unsigned long long)k->info.entry);
		ret = mb_bad(k->name, msg);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	domus_kernel_close(k);
	return ret;
}

int domus_multiboot_open(const char *path, struct domus_kernel **out)
{
	uint8_t *data;
	size_t len;
	int ret;

	*out = NULL;
	ret = domus_loader_read_file(path, "kernel", "kernel", DOMUS_LOADER_MAX_FILE, &data, &len);
	if (ret)
		return ret;
	return mb_open_owned(data, len, path, out);
}

int domus_multiboot_open_mem(const void *data, size_t len, const char *name, struct domus_kernel **out)
{
	uint8_t *copy;

	*out = NULL;
	if (len > DOMUS_LOADER_MAX_FILE)
		return domus_set_error(EFBIG, "kernel %s is larger than %llu MiB", name, MIB(DOMUS_LOADER_MAX_FILE));
	copy = malloc(len ? len : 1);
	if (!copy)
		return domus_set_error(ENOMEM, "out of memory");
	memcpy(copy, data, len);
	return mb_open_owned(copy, len, name, out);
}

static void mmap_add(struct domus_load_result *r, uint64_t addr, uint64_t size, uint32_t type)
{
	struct domus_hvm_memmap_entry *e = &r->memmap[r->memmap_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
	e->reserved = 0;
}

int domus_mb_plan(const struct domus_kernel *k, const struct domus_load_params *p,
		  uint64_t mem_size, struct domus_load_result *out)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";
	size_t clen = strlen(cmdline);
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (mem_size < DOMUS_PVH_MIN_MEM || mem_size > DOMUS_PVH_MAX_MEM || (mem_size & 4095))
		return domus_set_error(EINVAL, "guest memory size %llu bytes is not a multiple of 4 KiB between %llu MiB and %llu MiB; fix memory= in the config",
				       (unsigned long long)mem_size, MIB(DOMUS_PVH_MIN_MEM), MIB(DOMUS_PVH_MAX_MEM));
	if (p->flags & ~DOMUS_LOAD_FLAGS_ALL)
		return domus_set_error(EINVAL, "unknown loader flags 0x%x", p->flags);
	if (p->initrd)
		return domus_set_error(EINVAL, "kernel %s is a multiboot image: modules (ramdisk=) are not supported yet; drop ramdisk= from the config",
				       k->name);
	if (clen >= DOMUS_PVH_CMDLINE_MAX)
		return domus_set_error(E2BIG, "kernel command line is %zu bytes; the limit is %u; shorten cmdline=/extra= in the config",
				       clen, DOMUS_PVH_CMDLINE_MAX - 1);
	for (i = 0; i < k->nseg; i++) {
		const struct domus_kseg *s = &k->seg[i];

		if (s->paddr < DOMUS_PVH_HIGH_RAM)
			return domus_set_error(ENOEXEC, "kernel %s: its image at 0x%llx lies below 1 MiB, where domus keeps the multiboot information; link it at 1 MiB or above",
					       k->name, (unsigned long long)s->paddr);
		if (s->paddr + s->memsz > mem_size)
			return domus_set_error(E2BIG, "kernel %s needs guest memory up to %llu MiB (its image ends at 0x%llx), guest has %llu MiB; raise memory= in the config",
					       k->name, ROUND_MIB(k->info.image_end),
					       (unsigned long long)k->info.image_end, MIB(mem_size));
	}
	out->kernel = k->info;
	out->mem_size = mem_size;
	out->start_info_gpa = DOMUS_MB_INFO_GPA;
	out->memmap_gpa = DOMUS_MB_MMAP_GPA;
	out->cmdline_gpa = DOMUS_MB_CMDLINE_GPA;
	out->cmdline_len = clen;
	mmap_add(out, 0, DOMUS_PVH_LOW_RAM_END, DOMUS_E820_RAM);
	mmap_add(out, DOMUS_PVH_LOW_RAM_END, DOMUS_PVH_HIGH_RAM - DOMUS_PVH_LOW_RAM_END, DOMUS_E820_RESERVED);
	mmap_add(out, DOMUS_PVH_HIGH_RAM, mem_size - DOMUS_PVH_HIGH_RAM, DOMUS_E820_RAM);
	/* the machine state of the spec: the PVH one with EAX = the magic
	 * (xAPIC: an HVM domain has no x2APIC personality) */
	domus_loader_entry_state(out, DOMUS_MB_BOOT_MAGIC, DOMUS_MB_INFO_GPA, p->flags | DOMUS_LOAD_MADT_XAPIC);
	return 0;
}

int domus_mb_load_into(const struct domus_kernel *k, const struct domus_load_params *p,
		       void *guest_mem, uint64_t mem_size, struct domus_load_result *out)
{
	uint8_t *g = guest_mem, *m;
	struct domus_mb_info mi;
	unsigned int i;
	int ret;

	ret = domus_mb_plan(k, p, mem_size, out);
	if (ret)
		return ret;
	domus_loader_copy_segments(k, g);
	memset(g + DOMUS_MB_INFO_GPA, 0, 4096);
	memset(&mi, 0, sizeof(mi));
	mi.flags = DOMUS_MB_IF_MEM | DOMUS_MB_IF_CMDLINE | DOMUS_MB_IF_MMAP | DOMUS_MB_IF_LOADER_NAME;
	mi.mem_lower = DOMUS_PVH_LOW_RAM_END >> 10;
	mi.mem_upper = (uint32_t)((mem_size - DOMUS_PVH_HIGH_RAM) >> 10);
	mi.cmdline = DOMUS_MB_CMDLINE_GPA;
	mi.mmap_addr = DOMUS_MB_MMAP_GPA;
	mi.mmap_length = out->memmap_entries * DOMUS_MB_MMAP_ENTRY;
	mi.boot_loader_name = DOMUS_MB_LOADER_NAME_GPA;
	memcpy(g + DOMUS_MB_INFO_GPA, &mi, sizeof(mi));
	memcpy(g + DOMUS_MB_LOADER_NAME_GPA, DOMUS_MB_LOADER_NAME, sizeof(DOMUS_MB_LOADER_NAME));
	for (i = 0, m = g + DOMUS_MB_MMAP_GPA; i < out->memmap_entries; i++, m += DOMUS_MB_MMAP_ENTRY) {
		wr32(m, DOMUS_MB_MMAP_ENTRY - 4);
		wr64(m + 4, out->memmap[i].addr);
		wr64(m + 12, out->memmap[i].size);
		wr32(m + 20, out->memmap[i].type);
	}
	memcpy(g + DOMUS_MB_CMDLINE_GPA, p->cmdline ? p->cmdline : "", out->cmdline_len + 1);
	return 0;
}

_Static_assert(DOMUS_MB_INFO_GPA + sizeof(struct domus_mb_info) <= DOMUS_MB_LOADER_NAME_GPA, "info overlaps the name");
_Static_assert(DOMUS_MB_LOADER_NAME_GPA + sizeof(DOMUS_MB_LOADER_NAME) <= DOMUS_MB_MMAP_GPA, "name overlaps the map");
_Static_assert(DOMUS_MB_MMAP_GPA + DOMUS_PVH_MAX_MEMMAP * DOMUS_MB_MMAP_ENTRY <= DOMUS_MB_CMDLINE_GPA, "map overlaps the command line");
_Static_assert(DOMUS_MB_CMDLINE_GPA + DOMUS_PVH_CMDLINE_MAX <= DOMUS_MB_INFO_GPA + 4096, "command line leaves the info page");
