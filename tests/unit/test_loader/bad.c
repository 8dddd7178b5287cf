// SPDX-License-Identifier: MIT
/* ldr: bad. */
#include "ldr.h"

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

void bad_kernels(void)
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
	e[4] = 3;				/* no such class */
	expect_bad(e, S_SIZE, ENOEXEC, "32- or 64-bit");
	memcpy(e, elf, S_SIZE);
	e[4] = 1;				/* ELF32 header, x86-64 machine */
	expect_bad(e, S_SIZE, ENOEXEC, "ELF32 for another machine");
	make_elf32(e);
	wr16(e + 18, 62);			/* ELF32 must be EM_386 */
	expect_bad(e, S_SIZE, ENOEXEC, "ELF32 for another machine");
	make_elf32(e);
	wr16(e + 42, 56);			/* ELF64's program header size */
	expect_bad(e, S_SIZE, ENOEXEC, "unexpected program header size");
	make_elf32(e);
	wr32(e + S_PH + 4, 0xfffff000);	/* p_offset far out */
	expect_bad(e, S_SIZE, ENOEXEC, "program header 0");
	make_elf32(e);
	expect_bad(e, 50, ENOEXEC, "no ELF header");	/* shorter than Elf32_Ehdr */
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

void bad_layouts(void)
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
void decompression_cap(void)
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
