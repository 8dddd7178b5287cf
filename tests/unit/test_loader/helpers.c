// SPDX-License-Identifier: MIT
/* ldr: helpers. */
#include "ldr.h"

void phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t pa, uint64_t fsz, uint64_t msz)
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

size_t note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t dsz)
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

void make_elf(uint8_t *e)
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

/*
 * The same kernel as an ELF32 file (EM_386, as unikernels and test
 * kernels often are): 52-byte header, 32-byte program headers at S_PH,
 * the notes, text and data at the same offsets.
 */
void make_elf32(uint8_t *e)
{
	static const struct { uint32_t type, off, pa, fsz, msz; } ph[] = {
		{ 1, S_TEXT, S_TEXT_PA, S_TEXT_LEN, S_TEXT_LEN },
		{ 1, S_DATA, S_DATA_PA, S_DATA_LEN, S_DATA_MEM },
	};
	uint8_t notes[S_TEXT - S_NOTES];
	uint32_t nlen;
	int i;

	make_elf(e);
	nlen = rd32(e + S_PH + 112 + 32);	/* the 64-bit NOTE's p_filesz */
	memcpy(notes, e + S_NOTES, sizeof(notes));
	memset(e, 0, S_NOTES);
	memcpy(e, "\x7f" "ELF\x01\x01\x01", 7);
	wr16(e + 16, 2);		/* ET_EXEC */
	wr16(e + 18, 3);		/* EM_386 */
	wr32(e + 20, 1);
	wr32(e + 24, S_ENTRY);
	wr32(e + 28, S_PH);		/* e_phoff */
	wr16(e + 40, 52);		/* e_ehsize */
	wr16(e + 42, 32);		/* e_phentsize */
	wr16(e + 44, 3);		/* e_phnum */
	for (i = 0; i < 3; i++) {
		uint8_t *p = e + S_PH + 32 * i;

		if (i < 2) {
			wr32(p, ph[i].type);
			wr32(p + 4, ph[i].off);
			wr32(p + 8, ph[i].pa);
			wr32(p + 12, ph[i].pa);
			wr32(p + 16, ph[i].fsz);
			wr32(p + 20, ph[i].msz);
		} else {
			wr32(p, 4);		/* PT_NOTE */
			wr32(p + 4, S_NOTES);
			wr32(p + 16, nlen);
		}
	}
	memcpy(e + S_NOTES, notes, sizeof(notes));
}

size_t c_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
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

size_t c_xz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t pos = 0;

	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap) != LZMA_OK)
		return 0;
	return pos;
}

size_t c_lzma(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
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

size_t c_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t r = ZSTD_compress(out, cap, in, n, 19);

	return ZSTD_isError(r) ? 0 : r;
}

size_t c_none(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	if (n > cap)
		return 0;
	memcpy(out, in, n);
	return n;
}


/* A bzImage around @payload (@plen bytes, the size trailer is added). */
size_t make_bz(uint8_t *bz, const uint8_t *payload, size_t plen, uint32_t usize)
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


size_t make_kernel_bz(uint8_t *bz, size_t (*comp)(const uint8_t *, size_t, uint8_t *, size_t))
{
	uint8_t elf[S_SIZE], c[2 * S_SIZE + 1024];
	size_t n;

	make_elf(elf);
	n = comp(elf, S_SIZE, c, sizeof(c));
	if (!n)
		return 0;
	return make_bz(bz, c, n, S_SIZE);
}

char tmpdir[] = "/tmp/domus-loader-XXXXXX";

const char *write_tmp(const char *name, const void *d, size_t n)
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

bool csum_ok(const uint8_t *t, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *t++);
	return s == 0;
}

/* Independent AML PkgLength decoder. */
size_t pkglen(const uint8_t *p, size_t *nbytes)
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

const uint8_t *table(const uint8_t *g, uint64_t gpa, uint64_t mem, const char *sig)
{
	if (gpa < DOMUS_PVH_ACPI_GPA || gpa + 36 > DOMUS_PVH_ACPI_GPA + DOMUS_PVH_ACPI_SIZE || gpa + 36 > mem)
		return NULL;
	if (memcmp(g + gpa, sig, 4))
		return NULL;
	return g + gpa;
}

void check_acpi(const uint8_t *g, uint64_t mem, uint64_t rsdp_gpa, uint32_t vcpus, bool xapic)
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
void check_boot(const uint8_t *g, uint64_t mem, const struct domus_load_result *r,
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

void *guest_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}
