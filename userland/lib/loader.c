// SPDX-License-Identifier: MIT
/*
 * libdomus kernel loader, part 3: guest memory layout, loading, the
 * hvm_start_info block with its memory map, and the BSP's entry state.
 * The layout is documented in loader.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "libdomus.h"
#include "loader.h"
#include "loader_int.h"

#define PAGE		4096ULL
#define MIB(x)		((unsigned long long)((x) >> 20))
#define ROUND_MIB(x)	((unsigned long long)(((x) + (1ULL << 20) - 1) >> 20))

/* Size of the initramfs file; a message pointing at ramdisk= otherwise. */
static int initrd_size(const char *path, uint64_t *size)
{
	struct stat st;
	int err;

	if (stat(path, &st) < 0) {
		err = errno;
		return domus_set_error(err, "cannot open initramfs %s: %s; check ramdisk= in the config",
				       path, strerror(err));
	}
	if (!S_ISREG(st.st_mode))
		return domus_set_error(EINVAL, "initramfs %s is not a regular file; check ramdisk= in the config",
				       path);
	if (st.st_size == 0)
		return domus_set_error(EINVAL, "initramfs %s is empty; check ramdisk= in the config", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

static void memmap_add(struct domus_load_result *r, uint64_t addr, uint64_t size, uint32_t type)
{
	struct domus_hvm_memmap_entry *e = &r->memmap[r->memmap_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
	e->reserved = 0;
}

static void seg(struct domus_segment *s, uint16_t sel, uint32_t limit, uint16_t attr)
{
	s->base = 0;
	s->selector = sel;
	s->limit = limit;
	s->attr = attr;
}

/* The BSP's state at the PVH entry point (pvh-abi.md section 3); the
 * multiboot machine state is the same with EAX = its magic. */
void domus_loader_entry_state(struct domus_load_result *r, uint64_t eax, uint64_t ebx, uint32_t flags)
{
	memset(&r->regs, 0, sizeof(r->regs));
	memset(&r->sregs, 0, sizeof(r->sregs));
	r->regs.rip = r->kernel.entry;
	r->regs.rax = eax;
	r->regs.rbx = ebx;
	r->regs.rflags = 0x2;

	seg(&r->sregs.cs, 0x08, 0xffffffff, 0x0c9b);	/* 32-bit code: type 0xb, S, P, D/B, G */
	seg(&r->sregs.ds, 0x10, 0xffffffff, 0x0c93);	/* 32-bit data: type 0x3, S, P, D/B, G */
	r->sregs.es = r->sregs.ds;
	r->sregs.fs = r->sregs.ds;
	r->sregs.gs = r->sregs.ds;
	r->sregs.ss = r->sregs.ds;
	seg(&r->sregs.tr, 0x18, 0x67, 0x008b);		/* busy 32-bit TSS, present */
	seg(&r->sregs.ldt, 0, 0, 0);			/* unusable */
	r->sregs.cr0 = 0x11;				/* PE | ET */
	r->sregs.cr4 = 0;
	r->sregs.efer = 0;
	/* xAPIC mode, as Xen starts HVM/PVH vCPUs; the guest may switch to x2APIC */
	r->sregs.apic_base = 0xfee00000ULL | (1ULL << 11) | (1ULL << 8);	/* EN, BSP */
	(void)flags;
}

void domus_loader_copy_segments(const struct domus_kernel *k, uint8_t *g)
{
	unsigned int i;

	for (i = 0; i < k->nseg; i++) {
		const struct domus_kseg *s = &k->seg[i];

		memcpy(g + s->paddr, k->elf + s->offset, s->filesz);
		memset(g + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
}

int domus_load_plan(const struct domus_kernel *k, const struct domus_load_params *p,
		    uint64_t mem_size, struct domus_load_result *out)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";
	size_t clen = strlen(cmdline);
	uint64_t isize = 0, top;
	unsigned int i;
	int ret;

	if (k->info.format == DOMUS_KFMT_MULTIBOOT)
		return domus_mb_plan(k, p, mem_size, out);
	memset(out, 0, sizeof(*out));
	if (mem_size < DOMUS_PVH_MIN_MEM || mem_size > DOMUS_PVH_MAX_MEM || (mem_size & (PAGE - 1)))
		return domus_set_error(EINVAL, "guest memory size %llu bytes is not a multiple of 4 KiB between %llu MiB and %llu MiB; fix memory= in the config",
				       (unsigned long long)mem_size, MIB(DOMUS_PVH_MIN_MEM), MIB(DOMUS_PVH_MAX_MEM));
	if (p->vcpus == 0 || p->vcpus > DOMUS_LOADER_MAX_VCPUS)
		return domus_set_error(EINVAL, "vcpus=%u is out of range (1-%u); fix vcpus= in the config",
				       p->vcpus, DOMUS_LOADER_MAX_VCPUS);
	if (p->flags & ~DOMUS_LOAD_FLAGS_ALL)
		return domus_set_error(EINVAL, "unknown loader flags 0x%x", p->flags);
	if (clen >= DOMUS_PVH_CMDLINE_MAX)
		return domus_set_error(E2BIG, "kernel command line is %zu bytes; the limit is %u; shorten cmdline=/extra= in the config",
				       clen, DOMUS_PVH_CMDLINE_MAX - 1);

	out->kernel = k->info;
	out->mem_size = mem_size;
	for (i = 0; i < k->nseg; i++) {
		const struct domus_kseg *s = &k->seg[i];

		if (s->paddr < DOMUS_PVH_HIGH_RAM)
			return domus_set_error(ENOEXEC, "kernel %s: segment at 0x%llx lies below 1 MiB, where domus keeps start info and ACPI tables; not a kernel domus can load",
					       k->name, (unsigned long long)s->paddr);
		if (s->paddr + s->memsz > mem_size)
			return domus_set_error(E2BIG, "kernel %s needs guest memory up to %llu MiB (its image ends at 0x%llx), guest has %llu MiB; raise memory= in the config",
					       k->name, ROUND_MIB(k->info.image_end),
					       (unsigned long long)k->info.image_end, MIB(mem_size));
	}

	out->start_info_gpa = DOMUS_PVH_START_INFO_GPA;
	out->memmap_gpa = DOMUS_PVH_MEMMAP_GPA;
	out->cmdline_gpa = DOMUS_PVH_CMDLINE_GPA;
	out->cmdline_len = clen;
	out->acpi_gpa = DOMUS_PVH_ACPI_GPA;

	if (p->initrd) {
		ret = initrd_size(p->initrd, &isize);
		if (ret)
			return ret;
		/* top of RAM, page aligned, above the kernel image */
		top = mem_size;
		if (isize > top || ((top - isize) & ~(PAGE - 1)) < ((k->info.image_end + PAGE - 1) & ~(PAGE - 1)))
			return domus_set_error(E2BIG, "initramfs %s (%llu MiB) does not fit in guest memory (%llu MiB) above the kernel (which ends at %llu MiB); raise memory= in the config",
					       p->initrd, ROUND_MIB(isize), MIB(mem_size),
					       ROUND_MIB(k->info.image_end));
		out->initrd_gpa = (top - isize) & ~(PAGE - 1);
		out->initrd_size = isize;
		out->nr_modules = 1;
		out->modlist_gpa = DOMUS_PVH_MODLIST_GPA;
	}

	memmap_add(out, 0, DOMUS_PVH_LOW_RAM_END, DOMUS_E820_RAM);
	memmap_add(out, DOMUS_PVH_LOW_RAM_END, DOMUS_PVH_HIGH_RAM - DOMUS_PVH_LOW_RAM_END,
		   DOMUS_E820_RESERVED);
	memmap_add(out, DOMUS_PVH_HIGH_RAM, mem_size - DOMUS_PVH_HIGH_RAM, DOMUS_E820_RAM);
	memmap_add(out, DOMUS_PVH_SPECIAL_GPA, DOMUS_PVH_SPECIAL_SIZE, DOMUS_E820_RESERVED);

	domus_loader_entry_state(out, 0, out->start_info_gpa, p->flags);
	return 0;
}

/* Read the initramfs straight into guest memory at @dst. */
static int initrd_read(const char *path, uint8_t *dst, uint64_t size)
{
	uint64_t got = 0;
	char extra;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return domus_set_error(err, "cannot open initramfs %s: %s; check ramdisk= in the config",
				       path, strerror(err));
	}
	while (got < size) {
		size_t want = size - got > (1u << 30) ? (1u << 30) : (size_t)(size - got);
		ssize_t n = read(fd, dst + got, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	err = errno;
	if (got == size && read(fd, &extra, 1) != 0)
		got = size + 1;		/* grew since it was measured */
	close(fd);
	if (got != size)
		return domus_set_error(got < size && err ? err : EIO,
				       "cannot read initramfs %s: it changed size while loading; retry",
				       path);
	return 0;
}

int domus_load_into(const struct domus_kernel *k, const struct domus_load_params *p,
		    void *guest_mem, uint64_t mem_size, struct domus_load_result *out)
{
	uint8_t *g = guest_mem;
	struct domus_hvm_start_info si;
	long acpi;
	int ret;

	if (k->info.format == DOMUS_KFMT_MULTIBOOT)
		return domus_mb_load_into(k, p, guest_mem, mem_size, out);
	ret = domus_load_plan(k, p, mem_size, out);
	if (ret)
		return ret;

	/* ACPI tables first: the only step that can still fail on its own. */
	acpi = domus_acpi_build(g + DOMUS_PVH_ACPI_GPA, DOMUS_PVH_ACPI_SIZE, DOMUS_PVH_ACPI_GPA,
				p->vcpus, p->flags, &out->rsdp_gpa);
	if (acpi < 0)
		return (int)acpi;
	out->acpi_size = (uint64_t)acpi;

	if (out->initrd_size) {
		ret = initrd_read(p->initrd, g + out->initrd_gpa, out->initrd_size);
		if (ret)
			return ret;
	}

	domus_loader_copy_segments(k, g);

	/* start info page: start info, module list, memory map, command line */
	memset(g + DOMUS_PVH_START_INFO_GPA, 0, PAGE);
	memset(&si, 0, sizeof(si));
	si.magic = DOMUS_HVM_START_MAGIC;
	si.version = 1;
	si.flags = 0;
	si.nr_modules = out->nr_modules;
	si.modlist_paddr = out->modlist_gpa;
	si.cmdline_paddr = out->cmdline_gpa;
	si.rsdp_paddr = out->rsdp_gpa;
	si.memmap_paddr = out->memmap_gpa;
	si.memmap_entries = out->memmap_entries;
	memcpy(g + DOMUS_PVH_START_INFO_GPA, &si, sizeof(si));
	if (out->nr_modules) {
		struct domus_hvm_modlist_entry m = { out->initrd_gpa, out->initrd_size, 0, 0 };

		memcpy(g + DOMUS_PVH_MODLIST_GPA, &m, sizeof(m));
	}
	memcpy(g + DOMUS_PVH_MEMMAP_GPA, out->memmap,
	       out->memmap_entries * sizeof(out->memmap[0]));
	memcpy(g + DOMUS_PVH_CMDLINE_GPA, p->cmdline ? p->cmdline : "", out->cmdline_len + 1);
	return 0;
}

int domus_load_kernel(const struct domus_load_params *p, void *guest_mem,
		      uint64_t mem_size, struct domus_load_result *out)
{
	struct domus_kernel *k;
	int ret;

	if (!p->kernel)
		return domus_set_error(EINVAL, "no kernel given; set kernel= in the config");
	ret = domus_kernel_open(p->kernel, &k);
	if (ret)
		return ret;
	ret = domus_load_into(k, p, guest_mem, mem_size, out);
	domus_kernel_close(k);
	return ret;
}

_Static_assert(DOMUS_PVH_START_INFO_GPA + sizeof(struct domus_hvm_start_info) <= DOMUS_PVH_MODLIST_GPA,
	       "start info overlaps the module list");
_Static_assert(DOMUS_PVH_MODLIST_GPA + sizeof(struct domus_hvm_modlist_entry) <= DOMUS_PVH_MEMMAP_GPA,
	       "module list overlaps the memory map");
_Static_assert(DOMUS_PVH_MEMMAP_GPA + DOMUS_PVH_MAX_MEMMAP * sizeof(struct domus_hvm_memmap_entry) <= DOMUS_PVH_CMDLINE_GPA,
	       "memory map overlaps the command line");
_Static_assert(DOMUS_PVH_CMDLINE_GPA + DOMUS_PVH_CMDLINE_MAX <= DOMUS_PVH_START_INFO_GPA + PAGE,
	       "command line leaves the start info page");
_Static_assert(DOMUS_PVH_ACPI_GPA + DOMUS_PVH_ACPI_SIZE <= DOMUS_PVH_HIGH_RAM, "ACPI area");
