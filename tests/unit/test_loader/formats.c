// SPDX-License-Identifier: MIT
/* ldr: formats. */
#include "ldr.h"

void synthetic_formats(void)
{
	static const struct {
		const char *name;
		size_t (*comp)(const uint8_t *, size_t, uint8_t *, size_t);
		uint32_t kcomp;
	} f[] = {
		{ "gzip", c_gzip, DOMUS_KCOMP_GZIP },
		{ "xz", c_xz, DOMUS_KCOMP_XZ },
		{ "zstd", c_zstd, DOMUS_KCOMP_ZSTD },
		{ "lzma", c_lzma, DOMUS_KCOMP_LZMA },
		{ "none", c_none, DOMUS_KCOMP_NONE },
	};
	uint64_t mem = 8 * MiB;
	uint8_t *g = guest_alloc(mem), *bz = malloc(BZ_CAP), elf[S_SIZE];
	unsigned int i;

	make_elf(elf);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct domus_load_params p = { .cmdline = "console=hvc0", .vcpus = 1 };
		struct domus_load_result r;
		struct domus_kernel_info info;
		size_t n = make_kernel_bz(bz, f[i].comp);
		const char *path = write_tmp(f[i].name, bz, n);
		int ret;

		EXPECT(n > 0);
		ret = domus_kernel_probe(path, &info);
		if (ret)
			printf("  %s: %s\n", f[i].name, domus_last_error());
		EXPECT(ret == 0);
		EXPECT(info.format == DOMUS_KFMT_BZIMAGE && info.compression == f[i].kcomp);
		EXPECT(!strcmp(domus_kernel_compression_name(info.compression), f[i].name));
		EXPECT(info.boot_protocol == 0x020f && info.file_size == n);
		/* an uncompressed payload keeps its size trailer */
		EXPECT(info.elf_size == S_SIZE + (f[i].kcomp == DOMUS_KCOMP_NONE ? 4 : 0));
		EXPECT(info.entry == S_ENTRY && info.nr_segments == 2);
		EXPECT(info.image_start == S_TEXT_PA && info.image_end == S_DATA_PA + S_DATA_MEM);

		memset(g, 0xcc, mem);
		p.kernel = path;
		ret = domus_load_kernel(&p, g, mem, &r);
		EXPECT(ret == 0);
		if (ret)
			continue;
		EXPECT(!memcmp(g + S_TEXT_PA, elf + S_TEXT, S_TEXT_LEN));
		EXPECT(!memcmp(g + S_DATA_PA, elf + S_DATA, S_DATA_LEN));
		EXPECT(g[S_DATA_PA + S_DATA_LEN] == 0 && g[S_DATA_PA + S_DATA_MEM - 1] == 0);
		EXPECT(g[S_DATA_PA + S_DATA_MEM] == 0xcc);	/* nothing beyond p_memsz */
		EXPECT(r.initrd_gpa == 0 && r.nr_modules == 0);
		check_boot(g, mem, &r, "console=hvc0", 0, 1);
	}
	/* a plain ELF vmlinux file */
	{
		struct domus_kernel_info info;

		EXPECT(domus_kernel_probe(write_tmp("vmlinux", elf, S_SIZE), &info) == 0);
		EXPECT(info.format == DOMUS_KFMT_ELF && info.boot_protocol == 0 && info.entry == S_ENTRY);
	}
	/* the same kernel as ELF32 (issue 10 item 9): same segments, same entry, same bytes */
	{
		struct domus_load_params p = { .cmdline = "console=hvc0", .vcpus = 1 };
		struct domus_load_result r;
		struct domus_kernel_info info;
		uint8_t e32[S_SIZE];
		const char *path;
		int ret;

		make_elf32(e32);
		path = write_tmp("vmlinux32", e32, S_SIZE);
		ret = domus_kernel_probe(path, &info);
		if (ret)
			printf("  elf32: %s\n", domus_last_error());
		EXPECT(ret == 0 && info.format == DOMUS_KFMT_ELF && info.entry == S_ENTRY &&
		       info.nr_segments == 2 && info.image_start == S_TEXT_PA &&
		       info.image_end == S_DATA_PA + S_DATA_MEM);
		memset(g, 0xcc, mem);
		p.kernel = path;
		ret = domus_load_kernel(&p, g, mem, &r);
		EXPECT(ret == 0);
		if (!ret) {
			EXPECT(!memcmp(g + S_TEXT_PA, e32 + S_TEXT, S_TEXT_LEN));
			EXPECT(!memcmp(g + S_DATA_PA, e32 + S_DATA, S_DATA_LEN));
			EXPECT(g[S_DATA_PA + S_DATA_MEM - 1] == 0 && g[S_DATA_PA + S_DATA_MEM] == 0xcc);
		}
	}
	free(bz);
	munmap(g, mem);
}

void layout_and_acpi(void)
{
	uint64_t mem = 16 * MiB, isize = 300 * 1000 + 17;
	uint8_t *g = guest_alloc(mem), *bz = malloc(BZ_CAP), *ird = malloc(isize);
	struct domus_load_params p = { .cmdline = "root=/dev/xvda1 console=hvc0 earlyprintk=xen", .vcpus = 4 };
	struct domus_load_result r;
	struct domus_kernel *k;
	uint64_t i;

	for (i = 0; i < isize; i++)
		ird[i] = (uint8_t)(i * 31 + (i >> 9));
	p.initrd = write_tmp("initrd", ird, isize);
	EXPECT(domus_kernel_open(write_tmp("bz-gz", bz, make_kernel_bz(bz, c_gzip)), &k) == 0);
	if (!k)
		goto out;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	EXPECT(r.initrd_size == isize && !memcmp(g + r.initrd_gpa, ird, isize));
	EXPECT(r.memmap_entries == 4);
	EXPECT(r.acpi_gpa == DOMUS_PVH_ACPI_GPA && r.acpi_size > 0 && r.acpi_size <= DOMUS_PVH_ACPI_SIZE);
	check_boot(g, mem, &r, p.cmdline, isize, 4);

	/* no command line: an empty string; xAPIC MADT on request */
	p.cmdline = NULL;
	p.initrd = NULL;
	p.flags = DOMUS_LOAD_MADT_XAPIC;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	EXPECT(g[r.cmdline_gpa] == 0 && rd32(g + r.start_info_gpa + 12) == 0);
	check_acpi(g, mem, r.rsdp_gpa, 4, true);
	EXPECT(!(r.sregs.apic_base & (1 << 10)));

	/* the most vCPUs: multi-byte AML package lengths */
	p.flags = 0;
	p.vcpus = DOMUS_LOADER_MAX_VCPUS;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	check_acpi(g, mem, r.rsdp_gpa, DOMUS_LOADER_MAX_VCPUS, false);
	p.flags = DOMUS_LOAD_MADT_XAPIC;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	check_acpi(g, mem, r.rsdp_gpa, DOMUS_LOADER_MAX_VCPUS, true);

	/* opt-in IO-APIC (kvmboot): MADT IO-APIC + IRQ0->GSI2 override, COM1 in the DSDT */
	p.vcpus = 1;
	p.flags = DOMUS_LOAD_MADT_IOAPIC;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	{
		static const uint8_t ioapic[] = { 1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 };
		static const uint8_t iso[] = { 2, 10, 0, 0, 2, 0, 0, 0, 0, 0 };
		static const uint8_t com1[] = { 'C', 'O', 'M', '1', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
		const uint8_t *xsdt = table(g, rd64(g + r.rsdp_gpa + 24), mem, "XSDT");
		const uint8_t *madt = xsdt ? table(g, rd64(xsdt + 36 + 8), mem, "APIC") : NULL;
		const uint8_t *fadt = xsdt ? table(g, rd64(xsdt + 36), mem, "FACP") : NULL;
		const uint8_t *dsdt = fadt ? table(g, rd64(fadt + 140), mem, "DSDT") : NULL;

		EXPECT(madt && dsdt);
		if (madt && dsdt) {
			EXPECT(rd32(madt + 4) == 44 + 16 + 12 + 10 && csum_ok(madt, rd32(madt + 4)));
			EXPECT(!memcmp(madt + 44 + 16, ioapic, sizeof(ioapic)));
			EXPECT(!memcmp(madt + 44 + 16 + 12, iso, sizeof(iso)));
			EXPECT(csum_ok(dsdt, rd32(dsdt + 4)) && memmem(dsdt, rd32(dsdt + 4), com1, sizeof(com1)));
		}
	}
	p.flags = 1u << 2;
	EXPECT(domus_load_into(k, &p, g, mem, &r) == -EINVAL);
	domus_kernel_close(k);
out:
	free(ird);
	free(bz);
	munmap(g, mem);
}

/* Open @d as a kernel; expect failure @err with @msg in the message. */
