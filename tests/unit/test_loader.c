// SPDX-License-Identifier: MIT
/*
 * Unit tests for the kernel loader (userland/lib/loader*.c): synthetic ELF
 * kernels wrapped in bzImages with every supported payload format, the
 * real Debian kernel from /boot, the start info, memory map and ACPI
 * tables it produces, the errors for bad input, and a mutation fuzz.
 */
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

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static bool has(const char *s) { return strstr(domus_last_error(), s) != NULL; }

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

static void phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t pa, uint64_t fsz, uint64_t msz)
{
	wr32(ph, type);
	wr32(ph + 4, type == 1 ? 5 : 4);
	wr64(ph + 8, off);
	wr64(ph + 16, 0xffffffff80000000ULL + pa);
	wr64(ph + 24, pa);
	wr64(ph + 32, fsz);
	wr64(ph + 40, msz);
	wr64(ph + 48, type == 1 ? 0x1000 : 4);
}

static size_t note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1;
	size_t o = 12;

	wr32(p, nsz);
	wr32(p + 4, dsz);
	wr32(p + 8, type);
	memcpy(p + o, name, nsz);
	o += (nsz + 3) & ~3u;
	memcpy(p + o, desc, dsz);
	return o + ((dsz + 3) & ~3u);
}

static void make_elf(uint8_t *e)
{
	uint8_t ent[4];
	size_t o = S_NOTES;
	int i;

	memset(e, 0, S_SIZE);
	memcpy(e, "\x7f" "ELF\x02\x01\x01", 7);
	wr16(e + 16, 2);		/* ET_EXEC */
	wr16(e + 18, 62);		/* x86-64 */
	wr32(e + 20, 1);
	wr64(e + 24, 0xffffffff81000000ULL);
	wr64(e + 32, S_PH);
	wr16(e + 52, 64);
	wr16(e + 54, 56);
	wr16(e + 56, 3);
	phdr(e + S_PH, 1, S_TEXT, S_TEXT_PA, S_TEXT_LEN, S_TEXT_LEN);
	phdr(e + S_PH + 56, 1, S_DATA, S_DATA_PA, S_DATA_LEN, S_DATA_MEM);
	o += note(e + o, "GNU", 3, "abcd", 4);
	o += note(e + o, "Xen", 5, "xen-3.0", 8);
	wr32(ent, S_ENTRY);
	o += note(e + o, "Xen", 18, ent, 4);
	phdr(e + S_PH + 112, 4, S_NOTES, 0, o - S_NOTES, 0);
	for (i = 0; i < S_TEXT_LEN; i++)
		e[S_TEXT + i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < S_DATA_LEN; i++)
		e[S_DATA + i] = (uint8_t)(i * 13 + 5);
}

/* --- compressors and the bzImage wrapper ---------------------------------- */

static size_t c_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	size_t r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = deflate(&z, Z_FINISH) == Z_STREAM_END ? cap - z.avail_out : 0;
	deflateEnd(&z);
	return r;
}

static size_t c_xz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t pos = 0;

	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap) != LZMA_OK)
		return 0;
	return pos;
}

static size_t c_lzma(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	size_t r = 0;

	if (lzma_lzma_preset(&opt, 6) || lzma_alone_encoder(&s, &opt) != LZMA_OK)
		return 0;
	s.next_in = in;
	s.avail_in = n;
	s.next_out = out;
	s.avail_out = cap;
	if (lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END)
		r = cap - s.avail_out;
	lzma_end(&s);
	return r;
}

static size_t c_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t r = ZSTD_compress(out, cap, in, n, 19);

	return ZSTD_isError(r) ? 0 : r;
}

static size_t c_none(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	if (n > cap)
		return 0;
	memcpy(out, in, n);
	return n;
}

#define BZ_PM		(4 * 512)	/* setup_sects = 3 */
#define BZ_POFF		0x100

/* A bzImage around @payload (@plen bytes, the size trailer is added). */
static size_t make_bz(uint8_t *bz, const uint8_t *payload, size_t plen, uint32_t usize)
{
	memset(bz, 0, BZ_PM + BZ_POFF);
	bz[0x1f1] = 3;
	memcpy(bz + 0x202, "HdrS", 4);
	wr16(bz + 0x206, 0x020f);
	wr64(bz + 0x258, 0x1000000);
	wr32(bz + 0x248, BZ_POFF);
	wr32(bz + 0x24c, (uint32_t)plen + 4);
	memcpy(bz + BZ_PM + BZ_POFF, payload, plen);
	wr32(bz + BZ_PM + BZ_POFF + plen, usize);
	return BZ_PM + BZ_POFF + plen + 4;
}

#define BZ_CAP	(BZ_PM + BZ_POFF + 2 * S_SIZE + 4096)

static size_t make_kernel_bz(uint8_t *bz, size_t (*comp)(const uint8_t *, size_t, uint8_t *, size_t))
{
	uint8_t elf[S_SIZE], c[2 * S_SIZE + 1024];
	size_t n;

	make_elf(elf);
	n = comp(elf, S_SIZE, c, sizeof(c));
	if (!n)
		return 0;
	return make_bz(bz, c, n, S_SIZE);
}

static char tmpdir[] = "/tmp/domus-loader-XXXXXX";

static const char *write_tmp(const char *name, const void *d, size_t n)
{
	static char path[8][256];
	static int slot;
	char *p = path[slot++ & 7];
	FILE *f;

	snprintf(p, 256, "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	if (!f)
		return p;
	if (n)
		fwrite(d, 1, n, f);
	fclose(f);
	return p;
}

/* --- checks shared by the synthetic and the real kernel ------------------- */

static bool csum_ok(const uint8_t *t, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *t++);
	return s == 0;
}

/* Independent AML PkgLength decoder. */
static size_t pkglen(const uint8_t *p, size_t *nbytes)
{
	size_t n = (p[0] >> 6) + 1, v, i;

	if (n == 1) {
		*nbytes = 1;
		return p[0] & 0x3f;
	}
	v = p[0] & 0x0f;
	for (i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*nbytes = n;
	return v;
}

static const uint8_t *table(const uint8_t *g, uint64_t gpa, uint64_t mem, const char *sig)
{
	if (gpa < DOMUS_PVH_ACPI_GPA || gpa + 36 > DOMUS_PVH_ACPI_GPA + DOMUS_PVH_ACPI_SIZE || gpa + 36 > mem)
		return NULL;
	if (memcmp(g + gpa, sig, 4))
		return NULL;
	return g + gpa;
}

static void check_acpi(const uint8_t *g, uint64_t mem, uint64_t rsdp_gpa, uint32_t vcpus, bool xapic)
{
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00 };
	const uint8_t *rsdp = g + rsdp_gpa, *xsdt, *rsdt, *fadt = NULL, *madt = NULL, *dsdt, *p;
	uint32_t i, n, len, cpus = 0;
	size_t nb, slen;

	EXPECT(rsdp_gpa >= DOMUS_PVH_ACPI_GPA && rsdp_gpa < DOMUS_PVH_HIGH_RAM && rsdp_gpa % 16 == 0);
	EXPECT(!memcmp(rsdp, "RSD PTR ", 8));
	EXPECT(csum_ok(rsdp, 20));
	EXPECT(rsdp[15] == 2);
	EXPECT(rd32(rsdp + 20) == 36);
	EXPECT(csum_ok(rsdp, 36));

	xsdt = table(g, rd64(rsdp + 24), mem, "XSDT");
	rsdt = table(g, rd32(rsdp + 16), mem, "RSDT");
	EXPECT(xsdt && rsdt);
	if (!xsdt || !rsdt)
		return;
	EXPECT(csum_ok(xsdt, rd32(xsdt + 4)));
	EXPECT(csum_ok(rsdt, rd32(rsdt + 4)));
	n = (rd32(xsdt + 4) - 36) / 8;
	EXPECT(n == 2 && (rd32(rsdt + 4) - 36) / 4 == 2);
	for (i = 0; i < n; i++) {
		uint64_t a = rd64(xsdt + 36 + 8 * i);

		EXPECT(rd32(rsdt + 36 + 4 * i) == a);
		if (table(g, a, mem, "FACP"))
			fadt = g + a;
		if (table(g, a, mem, "APIC"))
			madt = g + a;
	}
	EXPECT(fadt && madt);
	if (!fadt || !madt)
		return;

	/* FADT: rev 6, HW-reduced, sleep registers on the poweroff ports */
	EXPECT(rd32(fadt + 4) == 276 && fadt[8] == 6);
	EXPECT(csum_ok(fadt, 276));
	EXPECT(rd32(fadt + 112) & (1u << 20));
	EXPECT(rd16(fadt + 109) & (1u << 5));
	EXPECT(rd32(fadt + 40) == rd64(fadt + 140));
	EXPECT(fadt[244] == 1 && fadt[245] == 8 && rd64(fadt + 248) == DOMUS_ACPI_SLEEP_CONTROL_PORT);
	EXPECT(fadt[256] == 1 && fadt[257] == 8 && rd64(fadt + 260) == DOMUS_ACPI_SLEEP_STATUS_PORT);
	EXPECT(DOMUS_ACPI_POWEROFF_VALUE == 0x34);

	/* DSDT: Scope(\_SB) with one ACPI0007 device per vCPU, then _S5 */
	dsdt = table(g, rd64(fadt + 140), mem, "DSDT");
	EXPECT(dsdt != NULL);
	if (!dsdt)
		return;
	len = rd32(dsdt + 4);
	EXPECT(len > 36 && csum_ok(dsdt, len));
	EXPECT(dsdt[36] == 0x10);
	slen = pkglen(dsdt + 37, &nb);
	EXPECT(!memcmp(dsdt + 37 + nb, "\\_SB_", 5));
	EXPECT(37 + slen + sizeof(s5) == len);
	if (37 + slen + sizeof(s5) == len)
		EXPECT(!memcmp(dsdt + 37 + slen, s5, sizeof(s5)));
	for (p = dsdt + 36; p + 8 <= dsdt + len; p++)
		if (!memcmp(p, "ACPI0007", 8))
			cpus++;
	EXPECT(cpus == vcpus);
	/* the devices walk exactly to the end of the scope */
	p = dsdt + 37 + nb + 5;
	for (i = 0; i < vcpus && p < dsdt + 37 + slen; i++) {
		EXPECT(p[0] == 0x5b && p[1] == 0x82);
		p += 2 + pkglen(p + 2, &nb);
	}
	EXPECT(i == vcpus && p == dsdt + 37 + slen);

	/* MADT: N enabled entries, UID = APIC ID = vCPU */
	len = rd32(madt + 4);
	EXPECT(csum_ok(madt, len));
	EXPECT(rd32(madt + 36) == 0xfee00000u && rd32(madt + 40) == 0);
	EXPECT(len == 44 + vcpus * (xapic ? 8 : 16));
	for (i = 0, p = madt + 44; p + 2 <= madt + len && p[1] >= 2; p += p[1], i++) {
		if (xapic) {
			EXPECT(p[0] == 0 && p[1] == 8 && p[2] == i && p[3] == i && rd32(p + 4) == 1);
		} else {
			EXPECT(p[0] == 9 && p[1] == 16 && rd32(p + 4) == i && rd32(p + 8) == 1 &&
			       rd32(p + 12) == i);
		}
	}
	EXPECT(i == vcpus);
}

/* start info, module list, memory map, command line, entry state */
static void check_boot(const uint8_t *g, uint64_t mem, const struct domus_load_result *r,
		       const char *cmdline, uint64_t isize, uint32_t vcpus)
{
	const uint8_t *si = g + r->start_info_gpa;
	const uint8_t *mm;
	uint64_t prev_end = 0, ram_kernel = 0, ram_initrd = 0;
	uint32_t i, n;

	EXPECT(r->start_info_gpa < (1ULL << 30));
	EXPECT(rd32(si) == 0x336ec578u);
	EXPECT(rd32(si + 4) == 1);
	EXPECT(rd32(si + 8) == 0);
	EXPECT(rd32(si + 12) == (isize ? 1u : 0u));
	EXPECT(rd64(si + 24) == r->cmdline_gpa);
	EXPECT(!strcmp((const char *)g + rd64(si + 24), cmdline));
	EXPECT(rd64(si + 32) == r->rsdp_gpa);
	EXPECT(rd32(si + 52) == 0);
	if (isize) {
		const uint8_t *m = g + rd64(si + 16);

		EXPECT(rd64(m) == r->initrd_gpa && rd64(m + 8) == isize && rd64(m + 16) == 0);
		EXPECT(r->initrd_gpa % 4096 == 0);
		EXPECT(r->initrd_gpa >= ((r->kernel.image_end + 4095) & ~4095ULL));
		EXPECT(r->initrd_gpa + isize <= mem && mem - (r->initrd_gpa + isize) < 4096);
	}

	/* memory map: sorted, disjoint, page aligned, kernel/initrd in RAM,
	 * start info in RAM below 1 MiB, ACPI tables in a non-RAM range */
	n = rd32(si + 48);
	mm = g + rd64(si + 40);
	EXPECT(rd64(si + 40) < (1ULL << 30));
	EXPECT(n == r->memmap_entries && n >= 3 && n <= DOMUS_PVH_MAX_MEMMAP);
	for (i = 0; i < n; i++) {
		uint64_t a = rd64(mm + 24 * i), s = rd64(mm + 24 * i + 8);
		uint32_t t = rd32(mm + 24 * i + 16);

		EXPECT(a >= prev_end && s > 0 && a % 4096 == 0 && s % 4096 == 0);
		prev_end = a + s;
		if (t == 1) {
			EXPECT(a + s <= mem);
			if (r->kernel.image_start >= a && r->kernel.image_end <= a + s)
				ram_kernel = 1;
			if (isize && r->initrd_gpa >= a && r->initrd_gpa + isize <= a + s)
				ram_initrd = 1;
			EXPECT(!(r->rsdp_gpa >= a && r->rsdp_gpa < a + s));
		}
		if (a == 0)
			EXPECT(t == 1 && r->start_info_gpa + 4096 <= s);
		if (a == DOMUS_PVH_SPECIAL_GPA)
			EXPECT(t == 2 && s == DOMUS_PVH_SPECIAL_SIZE);
	}
	EXPECT(ram_kernel && (ram_initrd || !isize));

	/* entry state: 32-bit flat protected mode, paging off */
	EXPECT(r->regs.rip == r->kernel.entry && r->regs.rbx == r->start_info_gpa);
	EXPECT(r->regs.rflags == 2 && r->regs.rsp == 0);
	EXPECT(r->sregs.cr0 == 0x11 && r->sregs.cr4 == 0 && r->sregs.efer == 0);
	EXPECT(r->sregs.cs.attr == DOMUS_SEG_CODE32 && r->sregs.cs.limit == 0xffffffffu && r->sregs.cs.base == 0);
	EXPECT(r->sregs.ds.attr == DOMUS_SEG_DATA32 && r->sregs.ss.attr == DOMUS_SEG_DATA32);
	EXPECT(r->sregs.es.attr == DOMUS_SEG_DATA32 && r->sregs.fs.attr == DOMUS_SEG_DATA32 &&
	       r->sregs.gs.attr == DOMUS_SEG_DATA32 && r->sregs.ds.limit == 0xffffffffu);
	EXPECT((r->sregs.tr.attr & 0x8f) == 0x8b && r->sregs.tr.limit == 0x67);
	EXPECT(r->sregs.ldt.attr == 0);
	EXPECT((r->sregs.apic_base & ~0xfffULL) == 0xfee00000ULL && (r->sregs.apic_base & 0x900) == 0x900);

	check_acpi(g, mem, r->rsdp_gpa, vcpus, false);
}

/* --- tests ---------------------------------------------------------------- */

static void *guest_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void synthetic_formats(void)
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
	free(bz);
	munmap(g, mem);
}

static void layout_and_acpi(void)
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
	domus_kernel_close(k);
out:
	free(ird);
	free(bz);
	munmap(g, mem);
}

/* Open @d as a kernel; expect failure @err with @msg in the message. */
static void expect_bad(const void *d, size_t n, int err, const char *msg)
{
	struct domus_kernel *k = NULL;
	int ret = domus_kernel_open_mem(d, n, "bad-kernel", &k);

	if (ret != -err || !has(msg) || !has("bad-kernel"))
		printf("  got %d '%s', wanted %d '...%s...'\n", ret, domus_last_error(), -err, msg);
	EXPECT(ret == -err && has(msg) && has("bad-kernel"));
	EXPECT(k == NULL);
	EXPECT(strchr(domus_last_error(), '\n') == NULL);
	domus_kernel_close(k);
}

static void bad_kernels(void)
{
	uint8_t *bz = malloc(BZ_CAP), elf[S_SIZE], e[S_SIZE], c[2 * S_SIZE];
	size_t n = make_kernel_bz(bz, c_xz), cn;
	struct domus_kernel_info info;

	make_elf(elf);
	/* unsupported payload formats name themselves */
	expect_bad(bz, make_bz(bz, (const uint8_t *)"BZh91AY&SY....", 14, 100), ENOTSUP, "bzip2");
	expect_bad(bz, make_bz(bz, (const uint8_t *)"\x89LZO\0\r\n\x1a\n....", 14, 100), ENOTSUP, "lzo");
	expect_bad(bz, make_bz(bz, (const uint8_t *)"\x02\x21\x4c\x18....", 8, 100), ENOTSUP, "lz4");
	expect_bad(bz, make_bz(bz, (const uint8_t *)"\x01\x02\x03\x04....", 8, 100), ENOEXEC, "unknown bzImage payload");

	/* truncated file; truncated and corrupt payloads */
	n = make_kernel_bz(bz, c_xz);
	expect_bad(bz, n / 2, ENOEXEC, "truncated bzImage");
	expect_bad(bz, 0x240, ENOEXEC, "truncated bzImage");
	cn = c_xz(elf, S_SIZE, c, sizeof(c));
	expect_bad(bz, make_bz(bz, c, cn / 2, S_SIZE), ENOEXEC, "xz payload is corrupt or truncated");
	cn = c_gzip(elf, S_SIZE, c, sizeof(c));
	expect_bad(bz, make_bz(bz, c, cn - 6, S_SIZE), ENOEXEC, "gzip payload is corrupt or truncated");
	cn = c_zstd(elf, S_SIZE, c, sizeof(c));
	expect_bad(bz, make_bz(bz, c, cn - 3, S_SIZE), ENOEXEC, "zstd payload is corrupt or truncated");
	cn = c_xz(elf, S_SIZE, c, sizeof(c));
	c[cn / 2] ^= 0x55;
	expect_bad(bz, make_bz(bz, c, cn, S_SIZE), ENOEXEC, "corrupt");
	n = make_kernel_bz(bz, c_gzip);
	wr32(bz + 0x24c, 0xfffffff0u);		/* payload_length past the end */
	expect_bad(bz, n, ENOEXEC, "truncated bzImage");
	n = make_kernel_bz(bz, c_gzip);
	wr16(bz + 0x206, 0x0204);
	expect_bad(bz, n, ENOEXEC, "boot protocol 2.04 is too old");

	/* not a kernel at all */
	expect_bad("MZ\x90\0 hello", 10, ENOEXEC, "neither a bzImage nor an ELF vmlinux");

	/* ELF problems */
	memcpy(e, elf, S_SIZE);
	wr64(e + S_PH + 8, 0xfffffffffffff000ULL);	/* p_offset far out */
	expect_bad(e, S_SIZE, ENOEXEC, "program header 0");
	memcpy(e, elf, S_SIZE);
	wr64(e + S_PH + 56 + 32, S_SIZE);	/* p_filesz runs past the end */
	expect_bad(e, S_SIZE, ENOEXEC, "lies outside the");
	memcpy(e, elf, S_SIZE);
	wr64(e + 32, S_SIZE - 8);		/* e_phoff */
	expect_bad(e, S_SIZE, ENOEXEC, "program headers lie outside the file");
	memcpy(e, elf, S_SIZE);
	wr32(e + S_NOTE18 + 8, 17);		/* no PVH note */
	expect_bad(e, S_SIZE, ENOEXEC, "has no PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY): domus needs a kernel built with CONFIG_PVH");
	memcpy(e, elf, S_SIZE);
	wr32(e + S_NOTE18 + 16, 0x400000);	/* entry outside the segments */
	expect_bad(e, S_SIZE, ENOEXEC, "outside its loaded segments");
	memcpy(e, elf, S_SIZE);
	wr32(e + S_NOTES + 4, 0x7fffffff);	/* note descsz too big */
	expect_bad(e, S_SIZE, ENOEXEC, "malformed ELF note");
	memcpy(e, elf, S_SIZE);
	wr32(e + S_NOTE18 + 4, 8);		/* last note runs 4 bytes past PT_NOTE */
	expect_bad(e, S_SIZE, ENOEXEC, "malformed ELF note");
	memcpy(e, elf, S_SIZE);
	wr32(e + S_NOTE18 + 4, 2);		/* PVH note of the wrong size */
	expect_bad(e, S_SIZE, ENOEXEC, "malformed XEN_ELFNOTE_PHYS32_ENTRY");
	memcpy(e, elf, S_SIZE);
	wr16(e + 18, 3);
	expect_bad(e, S_SIZE, ENOEXEC, "not an x86-64 kernel");
	memcpy(e, elf, S_SIZE);
	wr16(e + 16, 3);
	expect_bad(e, S_SIZE, ENOEXEC, "ET_EXEC");
	memcpy(e, elf, S_SIZE);
	e[4] = 1;
	expect_bad(e, S_SIZE, ENOEXEC, "64-bit");
	memcpy(e, elf, S_SIZE);
	wr64(e + S_PH + 56 + 24, S_TEXT_PA + 0x100);	/* data overlaps text */
	expect_bad(e, S_SIZE, ENOEXEC, "overlap");
	memcpy(e, elf, S_SIZE);
	wr64(e + S_PH + 56 + 24, 0xfffff000ULL);	/* crosses 4 GiB */
	expect_bad(e, S_SIZE, ENOEXEC, "not below 4 GiB");
	expect_bad(elf, 40, ENOEXEC, "no ELF header");

	/* files */
	EXPECT(domus_kernel_probe("/nonexistent/vmlinuz", &info) == -ENOENT);
	EXPECT(has("/nonexistent/vmlinuz") && has("kernel="));
	EXPECT(domus_kernel_probe(write_tmp("empty", "", 0), &info) == -ENOEXEC && has("empty"));
	EXPECT(domus_kernel_probe(tmpdir, &info) == -EINVAL && has("not a regular file"));
	free(bz);
}

static void bad_layouts(void)
{
	uint64_t mem = 8 * MiB;
	uint8_t *g = guest_alloc(mem), elf[S_SIZE];
	struct domus_load_params p = { .cmdline = "", .vcpus = 1 };
	struct domus_load_result r;
	struct domus_kernel *k = NULL;
	char *longcmd = malloc(4096);
	const char *big;
	FILE *f;

	make_elf(elf);
	EXPECT(domus_kernel_open_mem(elf, S_SIZE, "synthetic", &k) == 0);
	if (!k)
		goto out;

	/* initramfs too big (a sparse 7 MiB file for 8 MiB of RAM) */
	big = write_tmp("big-initrd", "", 0);
	f = fopen(big, "r+");
	EXPECT(f && ftruncate(fileno(f), 7 * MiB) == 0);
	if (f)
		fclose(f);
	p.initrd = big;
	memset(g, 0xcc, 4096);
	EXPECT(domus_load_into(k, &p, g, mem, &r) == -E2BIG);
	EXPECT(has("initramfs") && has("(7 MiB) does not fit in guest memory (8 MiB)") && has("raise memory="));
	EXPECT(g[0] == 0xcc);			/* nothing written */
	/* with room it loads at the top */
	EXPECT(domus_load_plan(k, &p, 16 * MiB, &r) == 0 && r.initrd_gpa == 9 * MiB);
	p.initrd = "/nonexistent/initrd";
	EXPECT(domus_load_into(k, &p, g, mem, &r) == -ENOENT && has("ramdisk="));
	p.initrd = NULL;

	/* kernel beyond the end of guest memory */
	EXPECT(domus_load_plan(k, &p, 2 * MiB, &r) == -E2BIG && has("raise memory="));
	/* bad sizes and counts */
	EXPECT(domus_load_plan(k, &p, 8 * MiB + 1, &r) == -EINVAL && has("memory="));
	EXPECT(domus_load_plan(k, &p, 1 * MiB, &r) == -EINVAL);
	EXPECT(domus_load_plan(k, &p, 1ULL << 40, &r) == -EINVAL);
	p.vcpus = 0;
	EXPECT(domus_load_plan(k, &p, mem, &r) == -EINVAL && has("vcpus="));
	p.vcpus = DOMUS_LOADER_MAX_VCPUS + 1;
	EXPECT(domus_load_plan(k, &p, mem, &r) == -EINVAL && has("vcpus="));
	p.vcpus = 1;
	memset(longcmd, 'a', 4095);
	longcmd[4095] = 0;
	p.cmdline = longcmd;
	EXPECT(domus_load_plan(k, &p, mem, &r) == -E2BIG && has("command line"));
	longcmd[DOMUS_PVH_CMDLINE_MAX] = 0;
	EXPECT(domus_load_plan(k, &p, mem, &r) == -E2BIG);
	longcmd[DOMUS_PVH_CMDLINE_MAX - 1] = 0;	/* the longest that fits */
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	EXPECT(strlen((char *)g + r.cmdline_gpa) == DOMUS_PVH_CMDLINE_MAX - 1);
	domus_kernel_close(k);

	/* a kernel segment below 1 MiB */
	wr64(elf + S_PH + 24, 0x80000);
	wr32(elf + S_NOTE18 + 16, 0x80010);
	EXPECT(domus_kernel_open_mem(elf, S_SIZE, "lowkernel", &k) == 0);
	if (k) {
		p.cmdline = NULL;
		EXPECT(domus_load_plan(k, &p, mem, &r) == -ENOEXEC && has("below 1 MiB"));
		domus_kernel_close(k);
	}
out:
	free(longcmd);
	munmap(g, mem);
}

/* A gzip payload that unpacks to 257 MiB hits the 256 MiB cap. */
static void decompression_cap(void)
{
	size_t chunk = 1 << 20, cap = 4 << 20, n = 0, i;
	uint8_t *zero = calloc(1, chunk), *c = malloc(cap), *bz = NULL;
	struct domus_kernel *k = NULL;
	z_stream z;

	memset(&z, 0, sizeof(z));
	EXPECT(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_out = c;
	z.avail_out = (uInt)cap;
	for (i = 0; i < 257; i++) {
		z.next_in = zero;
		z.avail_in = (uInt)chunk;
		EXPECT(deflate(&z, i == 256 ? Z_FINISH : Z_NO_FLUSH) == (i == 256 ? Z_STREAM_END : Z_OK));
	}
	n = cap - z.avail_out;
	deflateEnd(&z);
	bz = malloc(BZ_PM + BZ_POFF + n + 4);
	EXPECT(domus_kernel_open_mem(bz, make_bz(bz, c, n, 0), "zero-bomb", &k) == -EFBIG);
	EXPECT(has("zero-bomb") && has("more than 256 MiB"));
	EXPECT(k == NULL);
	free(bz);
	free(c);
	free(zero);
}

/* newest /boot/vmlinuz-* by version */
static char *newest_vmlinuz(void)
{
	glob_t gl;
	char *best = NULL;
	size_t i;

	if (glob("/boot/vmlinuz-*", 0, NULL, &gl))
		return NULL;
	for (i = 0; i < gl.gl_pathc; i++)
		if (!best || strverscmp(gl.gl_pathv[i], best) > 0)
			best = gl.gl_pathv[i];
	best = best ? strdup(best) : NULL;
	globfree(&gl);
	return best;
}

static void real_kernel(void)
{
	uint64_t mem = 256 * MiB, isize = 5 * MiB + 123, entry = 0, i;
	struct domus_load_params p = { .cmdline = "console=hvc0 earlyprintk=xen", .vcpus = 2 };
	const struct domus_kernel_info *info;
	struct domus_load_result r;
	struct domus_kernel *k = NULL;
	char *path = newest_vmlinuz();
	const uint8_t *e;
	uint8_t *g = NULL, *ird = NULL;
	size_t esz;
	unsigned int nload = 0, in_load = 0;

	if (!path) {
		printf("  no /boot/vmlinuz-*: run scripts/deps.sh (it installs linux-image-amd64)\n");
		EXPECT(path != NULL);
		return;
	}
	printf("  kernel %s\n", path);
	EXPECT(domus_kernel_open(path, &k) == 0);
	if (!k) {
		printf("  %s\n", domus_last_error());
		goto out;
	}
	info = domus_kernel_get_info(k);
	EXPECT(info->format == DOMUS_KFMT_BZIMAGE && info->boot_protocol >= 0x020f);
	EXPECT(info->compression != DOMUS_KCOMP_NONE);

	/* walk the ELF independently: note 18 and the PT_LOADs */
	e = domus_kernel_elf(k, &esz);
	EXPECT(esz == info->elf_size && esz > 64 && rd16(e + 54) == 56);
	for (i = 0; i < rd16(e + 56); i++) {
		const uint8_t *ph = e + rd64(e + 32) + 56 * i;
		uint64_t off = rd64(ph + 8), fsz = rd64(ph + 32), o = 0;

		if (rd32(ph) == 1 && rd64(ph + 40))
			nload++;
		if (rd32(ph) != 4)
			continue;
		while (o + 12 <= fsz) {
			const uint8_t *nt = e + off + o;
			uint32_t nsz = rd32(nt), dsz = rd32(nt + 4);

			if (nsz == 4 && !memcmp(nt + 12, "Xen", 4) && rd32(nt + 8) == 18)
				entry = rd32(nt + 16);
			o += 12 + ((nsz + 3) & ~3u) + ((dsz + 3) & ~3u);
		}
	}
	printf("  %s payload, ELF %zu bytes, %u PT_LOADs, PVH entry 0x%llx, image 0x%llx-0x%llx\n",
	       domus_kernel_compression_name(info->compression), esz, nload,
	       (unsigned long long)info->entry, (unsigned long long)info->image_start,
	       (unsigned long long)info->image_end);
	EXPECT(entry != 0 && entry == info->entry && nload == info->nr_segments);
	for (i = 0; i < rd16(e + 56); i++) {
		const uint8_t *ph = e + rd64(e + 32) + 56 * i;

		if (rd32(ph) == 1 && entry >= rd64(ph + 24) && entry < rd64(ph + 24) + rd64(ph + 32))
			in_load++;
	}
	EXPECT(in_load == 1);

	g = guest_alloc(mem);
	ird = malloc(isize);
	EXPECT(g && ird);
	if (!g || !ird)
		goto out;
	for (i = 0; i < isize; i++)
		ird[i] = (uint8_t)(i ^ (i >> 11));
	p.initrd = write_tmp("real-initrd", ird, isize);
	EXPECT(domus_load_into(k, &p, g, mem, &r) == 0);
	check_boot(g, mem, &r, p.cmdline, isize, 2);
	EXPECT(!memcmp(g + r.initrd_gpa, ird, isize));
	for (i = 0; i < rd16(e + 56); i++) {
		const uint8_t *ph = e + rd64(e + 32) + 56 * i;
		uint64_t pa = rd64(ph + 24), fsz = rd64(ph + 32), msz = rd64(ph + 40), j;
		bool zero = true;

		if (rd32(ph) != 1)
			continue;
		EXPECT(!memcmp(g + pa, e + rd64(ph + 8), fsz));
		for (j = fsz; j < msz; j += 4093)
			zero &= g[pa + j] == 0;
		EXPECT(zero);
	}
	/* the same kernel does not fit in 64 MiB */
	EXPECT(domus_load_plan(k, &p, 64 * MiB, &r) == -E2BIG && has("raise memory="));
out:
	domus_kernel_close(k);
	free(ird);
	free(path);
	if (g)
		munmap(g, mem);
}

/* --- fuzz ------------------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static unsigned int fuzz_one(const uint8_t *seed, size_t n, uint8_t *g, uint64_t mem,
			     unsigned int rounds, bool hdr_bias)
{
	static const uint8_t special[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x40 };
	uint8_t *m = malloc(n);
	unsigned int ok = 0, it, j;

	for (it = 0; it < rounds; it++) {
		struct domus_load_params p = { .cmdline = "x", .vcpus = 1 + rnd() % 4 };
		struct domus_load_result r;
		struct domus_kernel *k = NULL;
		size_t len = n;
		unsigned int edits = 1 + rnd() % 6;

		memcpy(m, seed, n);
		for (j = 0; j < edits; j++) {
			size_t at = hdr_bias && rnd() % 2 ? rnd() % (n < 0x400 ? n : 0x400) : rnd() % n;

			switch (rnd() % 4) {
			case 0: m[at] = (uint8_t)rnd(); break;
			case 1: m[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 2: m[at] = special[rnd() % sizeof(special)]; break;
			default:
				if (at + 4 <= n)
					wr32(m + at, rnd() % 3 ? rnd() : (uint32_t)rnd() % 0x1000);
			}
		}
		if (rnd() % 16 == 0)
			len = 1 + rnd() % n;
		if (domus_kernel_open_mem(m, len, "fuzz", &k) == 0) {
			if (domus_load_into(k, &p, g, mem, &r) == 0)
				ok++;
			else
				EXPECT(domus_last_error()[0] != 0);
			domus_kernel_close(k);
		} else {
			EXPECT(domus_last_error()[0] != 0);
		}
	}
	free(m);
	return ok;
}

static void fuzz(void)
{
	uint64_t mem = 8 * MiB;
	/* malloc, not mmap: ASan then catches any write past guest memory */
	uint8_t *g = malloc(mem), *bz = malloc(BZ_CAP), elf[S_SIZE];
	size_t n;
	unsigned int ok;

	make_elf(elf);
	ok = fuzz_one(elf, S_SIZE, g, mem, 3000, true);
	n = make_kernel_bz(bz, c_none);
	ok += fuzz_one(bz, n, g, mem, 2000, false);
	n = make_kernel_bz(bz, c_gzip);
	ok += fuzz_one(bz, n, g, mem, 1000, true);
	n = make_kernel_bz(bz, c_xz);
	ok += fuzz_one(bz, n, g, mem, 1000, true);
	n = make_kernel_bz(bz, c_zstd);
	ok += fuzz_one(bz, n, g, mem, 1000, true);
	printf("  8000 mutations, %u still loaded\n", ok);
	EXPECT(ok > 0);
	free(bz);
	free(g);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(tmpdir)) {
		printf("FAIL: %s/setup: mkdtemp failed\n", UNIT_PREFIX);
		return 1;
	}
	RUN(UNIT_PREFIX, synthetic_formats);
	RUN(UNIT_PREFIX, layout_and_acpi);
	RUN(UNIT_PREFIX, bad_kernels);
	RUN(UNIT_PREFIX, bad_layouts);
	RUN(UNIT_PREFIX, decompression_cap);
	RUN(UNIT_PREFIX, real_kernel);
	RUN(UNIT_PREFIX, fuzz);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", tmpdir);
	return unit_failed;
}
