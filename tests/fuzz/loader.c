// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the kernel image loader (userland/lib/loader*.c):
 * bzImage (every payload compression), ELF64 and ELF32 PVH images, then
 * the layout and the write into guest memory, as `domus create` does.
 *
 * Input: 4 parameter bytes, then the kernel file:
 *   [0] vCPUs - 1 (mod 128)     [1] bit 0-1: DOMUS_LOAD_MADT_* flags,
 *                                   bit 2: an initramfs (a small file),
 *                                   bit 3: a Multiboot kernel (type = "hvm")
 *   [2] guest memory: 2, 4, 16 MiB or a size that is not a page multiple
 *   [3] command line length selector (0, 100, 2047, 2048 bytes)
 * Seeds: build/fuzz/seeds/loader (tests/fuzz/seeds.c: the loader unit
 * test's synthetic kernels, ELF64, ELF32 and bzImages with every payload
 * format), plus tests/fuzz/loader/corpus.
 *
 * Multiboot: the info structure, its memory map and command line inside
 * the info page, EAX/EBX as the spec says, the image inside RAM above 1 MiB.
 * Oracle (besides ASan/UBSan/leaks): every failure sets a message; a load
 * that succeeds leaves hvm_start_info, the memory map and the command line
 * where the result says, inside guest memory, the entry point inside the
 * image, and the image inside RAM.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "libdomus.h"
#include "loader.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-loader: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define GUEST_MAX (16u << 20)

static uint8_t *guest;
static char initrd[64];
static char cmdline[DOMUS_PVH_CMDLINE_MAX + 8];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char data[] = "07070100000000initramfs";
	int fd;

	(void)argc;
	(void)argv;
	guest = aligned_alloc(4096, GUEST_MAX);
	CHECK(guest);
	snprintf(initrd, sizeof(initrd), "/tmp/domus-fuzz-initrd-%d", (int)getpid());
	fd = open(initrd, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
	close(fd);
	memset(cmdline, 'c', sizeof(cmdline));
	return 0;
}

static void multiboot_one(const uint8_t *img, size_t n, const struct domus_load_params *p, uint64_t mem, size_t cl)
{
	struct domus_load_result r;
	struct domus_kernel *k = NULL;
	struct domus_mb_info mi;
	int ret;

	ret = domus_multiboot_open_mem(img, n, "fuzz", &k);
	if (ret) {
		CHECK(ret < 0 && domus_last_error()[0] && !k);
		return;
	}
	CHECK(domus_kernel_get_info(k)->format == DOMUS_KFMT_MULTIBOOT);
	ret = domus_load_into(k, p, guest, mem, &r);
	domus_kernel_close(k);
	if (ret) {
		CHECK(ret < 0 && domus_last_error()[0]);
		return;
	}
	CHECK(!p->initrd && mem <= GUEST_MAX && !(mem & 4095));
	CHECK(r.regs.rax == DOMUS_MB_BOOT_MAGIC && r.regs.rbx == DOMUS_MB_INFO_GPA);
	CHECK(r.kernel.image_end <= mem && r.kernel.image_start >= DOMUS_PVH_HIGH_RAM);
	CHECK(r.kernel.entry >= r.kernel.image_start && r.kernel.entry < r.kernel.image_end);
	memcpy(&mi, guest + DOMUS_MB_INFO_GPA, sizeof(mi));
	CHECK(mi.mem_upper == (mem - DOMUS_PVH_HIGH_RAM) >> 10 && mi.mem_lower == 640);
	CHECK(mi.mmap_addr == DOMUS_MB_MMAP_GPA && mi.mmap_length == 3 * DOMUS_MB_MMAP_ENTRY);
	CHECK(mi.cmdline == DOMUS_MB_CMDLINE_GPA && guest[mi.cmdline + cl] == 0);
	CHECK(!strcmp((const char *)guest + mi.boot_loader_name, DOMUS_MB_LOADER_NAME));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t mems[] = { 2u << 20, 4u << 20, GUEST_MAX, (4u << 20) + 512 };
	static const size_t cls[] = { 0, 100, DOMUS_PVH_CMDLINE_MAX - 1, DOMUS_PVH_CMDLINE_MAX };
	struct domus_load_params p = { 0 };
	struct domus_load_result r;
	struct domus_kernel *k = NULL;
	const struct domus_kernel_info *ki;
	uint64_t mem;
	size_t cl, elen;
	int ret;

	if (size < 4)
		return 0;
	p.vcpus = 1 + data[0] % DOMUS_LOADER_MAX_VCPUS;
	p.flags = data[1] & DOMUS_LOAD_FLAGS_ALL;
	p.initrd = data[1] & 4 ? initrd : NULL;
	mem = mems[data[2] % 4];
	cl = cls[data[3] % 4];
	cmdline[cl] = 0;
	p.cmdline = cmdline;

	if (data[1] & 8) {
		multiboot_one(data + 4, size - 4, &p, mem, cl);
		goto out;
	}
	ret = domus_kernel_open_mem(data + 4, size - 4, "fuzz", &k);
	if (ret) {
		CHECK(ret < 0 && domus_last_error()[0]);
		goto out;
	}
	ki = domus_kernel_get_info(k);
	CHECK(ki->format == DOMUS_KFMT_ELF || ki->format == DOMUS_KFMT_BZIMAGE);
	CHECK(ki->nr_segments >= 1 && ki->nr_segments <= DOMUS_LOADER_MAX_SEGS);
	CHECK(ki->image_start < ki->image_end);
	CHECK(domus_kernel_elf(k, &elen) && elen == ki->elf_size && elen <= DOMUS_LOADER_MAX_ELF);
	ret = domus_load_into(k, &p, guest, mem, &r);
	if (ret) {
		CHECK(ret < 0 && domus_last_error()[0]);
		goto out;
	}
	{
		const struct domus_hvm_start_info *si = (const void *)(guest + r.start_info_gpa);

		CHECK(mem <= GUEST_MAX && !(mem & 4095));
		CHECK(r.start_info_gpa == DOMUS_PVH_START_INFO_GPA);
		CHECK(si->magic == DOMUS_HVM_START_MAGIC);
		CHECK(si->memmap_entries == r.memmap_entries && r.memmap_entries <= DOMUS_PVH_MAX_MEMMAP);
		CHECK(r.kernel.image_end <= mem && r.kernel.image_start >= DOMUS_PVH_HIGH_RAM);
		CHECK(r.kernel.entry >= r.kernel.image_start && r.kernel.entry < r.kernel.image_end);
		CHECK(r.cmdline_len == cl && r.cmdline_gpa + cl < mem);
		CHECK(guest[r.cmdline_gpa + cl] == 0);
		CHECK(!p.initrd || (r.initrd_gpa >= r.kernel.image_end &&
				    r.initrd_gpa + r.initrd_size <= mem));
		CHECK(r.acpi_gpa + r.acpi_size <= DOMUS_PVH_HIGH_RAM);
	}
out:
	cmdline[cl] = 'c';
	domus_kernel_close(k);
	return 0;
}
