// SPDX-License-Identifier: MIT
/* ldr: Multiboot 1 kernels (loader_mb.c): the a.out kludge and ELF
 * placements, the info structure, hostile headers, a mutation fuzz. */
#include "ldr.h"

/* An a.out-kludge image: 0x2000 bytes of file loaded at MB_LOAD, the
 * header at file offset MB_HOFF, 0x3000 bytes of bss after the file. */
#define MB_LOAD		0x100000u
#define MB_HOFF		0x40u
#define MB_FILE		0x2000u
#define MB_BSS_END	(MB_LOAD + MB_FILE + 0x3000u)
#define MB_ENTRY	(MB_LOAD + 0x100u)

static void mb_header(uint8_t *h, uint32_t flags)
{
	wr32(h, DOMUS_MB_HEADER_MAGIC);
	wr32(h + 4, flags);
	wr32(h + 8, (uint32_t)-(DOMUS_MB_HEADER_MAGIC + flags));
}

static void make_kludge(uint8_t *f)
{
	uint32_t i;

	for (i = 0; i < MB_FILE; i++)
		f[i] = (uint8_t)(i * 5 + 3);
	mb_header(f + MB_HOFF, DOMUS_MB_HF_AOUT_KLUDGE | DOMUS_MB_HF_MEMINFO | DOMUS_MB_HF_PAGE_ALIGN);
	wr32(f + MB_HOFF + 12, MB_LOAD + MB_HOFF);	/* header_addr */
	wr32(f + MB_HOFF + 16, MB_LOAD);		/* load_addr */
	wr32(f + MB_HOFF + 20, 0);			/* load_end_addr: the whole file */
	wr32(f + MB_HOFF + 24, MB_BSS_END);
	wr32(f + MB_HOFF + 28, MB_ENTRY);
}

static void expect_mb_bad(const void *d, size_t n, const char *msg)
{
	struct domus_kernel *k = NULL;
	int ret = domus_multiboot_open_mem(d, n, "mb-kernel", &k);

	if (ret != -ENOEXEC || !has(msg) || !has("mb-kernel"))
		printf("  got %d '%s', wanted '...%s...'\n", ret, domus_last_error(), msg);
	EXPECT(ret == -ENOEXEC && has(msg) && has("mb-kernel"));
	EXPECT(k == NULL);
	EXPECT(strchr(domus_last_error(), '\n') == NULL);
	domus_kernel_close(k);
}

/* The kludge image with one header field (byte offset @field) set to @v. */
static void expect_field_bad(unsigned int field, uint32_t v, const char *msg)
{
	uint8_t f[MB_FILE];

	make_kludge(f);
	wr32(f + MB_HOFF + field, v);
	expect_mb_bad(f, sizeof(f), msg);
}

static void expect_plan_bad(const uint8_t *f, size_t n, uint64_t mem, const char *initrd, const char *msg)
{
	struct domus_load_params p = { .cmdline = "x", .vcpus = 1, .initrd = initrd };
	struct domus_load_result r;
	struct domus_kernel *k = NULL;

	EXPECT(domus_multiboot_open_mem(f, n, "mb-kernel", &k) == 0);
	if (!k)
		return;
	EXPECT(domus_load_plan(k, &p, mem, &r) < 0);
	if (!has(msg))
		printf("  got '%s', wanted '...%s...'\n", domus_last_error(), msg);
	EXPECT(has(msg) && strchr(domus_last_error(), '\n') == NULL);
	domus_kernel_close(k);
}

/* The info structure and the machine state a loaded kernel finds. */
static void check_info(const uint8_t *g, const struct domus_load_result *r, uint64_t mem, const char *cmdline)
{
	struct domus_mb_info mi;
	const uint8_t *m;
	uint32_t i;

	EXPECT(r->regs.rax == DOMUS_MB_BOOT_MAGIC);
	EXPECT(r->regs.rbx == DOMUS_MB_INFO_GPA);
	EXPECT(r->regs.rip == r->kernel.entry);
	EXPECT(r->sregs.cr0 == 0x11 && r->sregs.cr4 == 0 && r->sregs.efer == 0);
	EXPECT(r->sregs.cs.attr == 0x0c9b && r->sregs.cs.limit == 0xffffffff && r->sregs.cs.base == 0);
	EXPECT(r->sregs.ds.attr == 0x0c93 && r->sregs.ss.attr == 0x0c93);
	EXPECT(!(r->sregs.apic_base & (1ULL << 10)));	/* xAPIC mode */
	memcpy(&mi, g + DOMUS_MB_INFO_GPA, sizeof(mi));
	EXPECT(mi.flags == (DOMUS_MB_IF_MEM | DOMUS_MB_IF_CMDLINE | DOMUS_MB_IF_MMAP | DOMUS_MB_IF_LOADER_NAME));
	EXPECT(mi.mem_lower == 640);
	EXPECT(mi.mem_upper == (mem - MiB) / 1024);
	EXPECT(mi.cmdline == DOMUS_MB_CMDLINE_GPA && !strcmp((const char *)g + mi.cmdline, cmdline));
	EXPECT(mi.boot_loader_name && !strcmp((const char *)g + mi.boot_loader_name, "domus"));
	EXPECT(mi.mmap_length == 3 * 24 && mi.mmap_addr == DOMUS_MB_MMAP_GPA);
	for (i = 0, m = g + mi.mmap_addr; i < 3; i++, m += 24)
		EXPECT(rd32(m) == 20);
	m = g + mi.mmap_addr;
	EXPECT(rd64(m + 4) == 0 && rd64(m + 12) == 0xa0000 && rd32(m + 20) == 1);
	EXPECT(rd64(m + 28) == 0xa0000 && rd32(m + 44) == 2);
	EXPECT(rd64(m + 52) == MiB && rd64(m + 60) == mem - MiB && rd32(m + 68) == 1);
	EXPECT(mi.mods_count == 0 && mi.apm_table == 0);
}

void multiboot(void)
{
	const uint64_t mem = 16 * MiB;
	struct domus_load_params p = { .cmdline = "mbtest ok=1", .vcpus = 1 };
	struct domus_load_result r;
	struct domus_mb_header h;
	struct domus_kernel *k = NULL;
	uint8_t f[MB_FILE], e[S_SIZE], *g;
	const char *path;

	g = guest_alloc(mem);
	if (!g) {
		EXPECT(g != NULL);
		return;
	}
	/* the a.out kludge: file bytes at load_addr, bss zeroed, entry */
	make_kludge(f);
	EXPECT(domus_multiboot_find(f, sizeof(f), "x", &h) == 1);
	EXPECT(h.offset == MB_HOFF && h.load_addr == MB_LOAD && h.entry_addr == MB_ENTRY);
	path = write_tmp("mb-kludge", f, sizeof(f));
	EXPECT(domus_multiboot_open(path, &k) == 0);
	if (k) {
		EXPECT(domus_kernel_get_info(k)->format == DOMUS_KFMT_MULTIBOOT);
		EXPECT(domus_kernel_get_info(k)->image_end == MB_BSS_END);
		memset(g + MB_LOAD + MB_FILE, 0xaa, 0x3000);
		EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
		EXPECT(r.kernel.entry == MB_ENTRY);
		EXPECT(!memcmp(g + MB_LOAD, f, MB_FILE));
		EXPECT(g[MB_LOAD + MB_FILE] == 0 && g[MB_BSS_END - 1] == 0 && g[MB_BSS_END] == 0);
		check_info(g, &r, mem, p.cmdline);
		domus_kernel_close(k);
	}
	/* load_end_addr inside the file: the rest is not loaded */
	make_kludge(f);
	wr32(f + MB_HOFF + 20, MB_LOAD + 0x800);
	memset(g, 0, mem);
	EXPECT(domus_multiboot_open_mem(f, sizeof(f), "mb", &k) == 0);
	if (k) {
		EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
		EXPECT(!memcmp(g + MB_LOAD, f, 0x800) && g[MB_LOAD + 0x800] == 0);
		domus_kernel_close(k);
	}
	/* an ELF image without the kludge: program headers, e_entry */
	make_elf(e);
	mb_header(e + S_TEXT + 8, DOMUS_MB_HF_MEMINFO);
	wr64(e + 24, S_ENTRY);
	EXPECT(domus_multiboot_open_mem(e, sizeof(e), "mb-elf", &k) == 0);
	if (k) {
		memset(g, 0, mem);
		EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
		EXPECT(r.kernel.entry == S_ENTRY);
		EXPECT(!memcmp(g + S_TEXT_PA, e + S_TEXT, S_TEXT_LEN));
		check_info(g, &r, mem, p.cmdline);
		domus_kernel_close(k);
	}
	/* the same in ELF32 */
	make_elf32(e);
	mb_header(e + S_TEXT + 8, 0);
	wr32(e + 24, S_ENTRY);
	EXPECT(domus_multiboot_open_mem(e, sizeof(e), "mb-elf32", &k) == 0);
	domus_kernel_close(k);
	k = NULL;

	/* not multiboot at all, or the magic by chance */
	make_elf(e);
	expect_mb_bad(e, sizeof(e), "not a multiboot image");
	expect_mb_bad("", 0, "not a multiboot image");
	make_kludge(f);
	wr32(f + MB_HOFF + 8, 0);
	expect_mb_bad(f, sizeof(f), "not a multiboot image");
	/* the header beyond the first 8 KiB is not looked for */
	{
		uint8_t *big = calloc(1, 0x3000);

		if (big) {
			mb_header(big + DOMUS_MB_SEARCH, 0);
			expect_mb_bad(big, 0x3000, "not a multiboot image");
			mb_header(big + DOMUS_MB_SEARCH - 4, 0);	/* the magic fits, the rest does not */
			expect_mb_bad(big, DOMUS_MB_SEARCH, "cut off");
			free(big);
		}
	}
	/* truncated headers */
	make_kludge(f);
	expect_mb_bad(f, MB_HOFF + 8, "cut off");
	expect_mb_bad(f, MB_HOFF + 20, "address fields are cut off");
	/* flags domus cannot honour */
	make_kludge(f);
	mb_header(f + MB_HOFF, DOMUS_MB_HF_AOUT_KLUDGE | DOMUS_MB_HF_VIDEO);
	expect_mb_bad(f, sizeof(f), "video mode");
	mb_header(f + MB_HOFF, DOMUS_MB_HF_AOUT_KLUDGE | (1u << 5));
	expect_mb_bad(f, sizeof(f), "does not know");
	mb_header(f + MB_HOFF, DOMUS_MB_HF_AOUT_KLUDGE | (1u << 20));	/* optional bits: fine */
	EXPECT(domus_multiboot_open_mem(f, sizeof(f), "mb", &k) == 0);
	domus_kernel_close(k);
	k = NULL;
	/* not ELF and no address fields */
	make_kludge(f);
	mb_header(f + MB_HOFF, 0);
	expect_mb_bad(f, sizeof(f), "neither an ELF file");
	/* hostile address fields */
	expect_field_bad(12, MB_LOAD - 1, "before the file's");			/* header_addr < load_addr */
	expect_field_bad(16, MB_LOAD - 0x1000, "before the file's");		/* image would start before byte 0 */
	expect_field_bad(20, MB_LOAD - 1, "below load_addr");			/* load_end < load_addr */
	expect_field_bad(20, MB_LOAD + MB_FILE + 1, "the file holds");		/* beyond the file */
	expect_field_bad(20, 0xffffffffu, "the file holds");			/* huge */
	expect_field_bad(24, MB_LOAD + 0x10, "bss_end_addr");			/* bss below the image's end */
	expect_field_bad(28, MB_LOAD + MB_FILE + 0x10, "entry point");		/* entry in the bss */
	expect_field_bad(28, 0, "entry point");
	make_kludge(f);
	wr32(f + MB_HOFF + 12, MB_LOAD + MB_HOFF);
	wr32(f + MB_HOFF + 20, MB_LOAD);
	wr32(f + MB_HOFF + 24, 0);
	expect_mb_bad(f, sizeof(f), "empty");
	/* placement against guest memory, at plan time */
	make_kludge(f);
	wr32(f + MB_HOFF + 24, 0xffffffffu);				/* bss beyond memory */
	expect_plan_bad(f, sizeof(f), mem, NULL, "raise memory=");
	make_kludge(f);
	wr32(f + MB_HOFF + 12, 0x8000 + MB_HOFF);
	wr32(f + MB_HOFF + 16, 0x8000);
	wr32(f + MB_HOFF + 24, 0x8000 + MB_FILE);
	wr32(f + MB_HOFF + 28, 0x8100);
	expect_plan_bad(f, sizeof(f), mem, NULL, "below 1 MiB");		/* over the info page */
	make_kludge(f);
	expect_plan_bad(f, sizeof(f), mem, "/x/initrd", "ramdisk=");
	expect_plan_bad(f, sizeof(f), 3 * MiB + 1, NULL, "memory=");
	/* a missing file */
	EXPECT(domus_multiboot_open("/nonexistent/mb", &k) < 0 && k == NULL && has("/nonexistent/mb"));

	/* mutation fuzz of the header and its neighbourhood: every accepted
	 * image loads into a 4 MiB guest without touching anything outside
	 * it (ASan in the sanitized build) */
	{
		uint8_t *small = guest_alloc(4 * MiB);
		unsigned int i, j, ok = 0;

		srand(14);
		for (i = 0; small && i < 20000; i++) {
			size_t n = MB_FILE;

			make_kludge(f);
			for (j = 0; j < 1 + (unsigned int)rand() % 4; j++) {
				unsigned int field = 12 + 4 * ((unsigned int)rand() % 5);
				uint32_t base = rd32(f + MB_HOFF + field), v;

				switch (rand() % 4) {
				case 0: v = (uint32_t)rand() ^ ((uint32_t)rand() << 16); break;
				case 1: v = base + (uint32_t)(rand() % 0x4000) - 0x2000; break;
				case 2: v = (uint32_t)-(rand() % 16); break;
				default: v = 0; break;
				}
				wr32(f + MB_HOFF + field, v);
			}
			if (rand() % 8 == 0)
				n = (size_t)rand() % MB_FILE;
			if (domus_multiboot_open_mem(f, n, "fz", &k) == 0) {
				if (domus_load_into(k, &p, small, 4 * MiB, &r) == 0)
					ok++;
				domus_kernel_close(k);
				k = NULL;
			}
		}
		EXPECT(ok > 0);
		printf("  multiboot fuzz: 20000 mutated headers, %u loaded\n", ok);
		munmap(small, 4 * MiB);
	}
	munmap(g, mem);
}
