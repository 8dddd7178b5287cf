// SPDX-License-Identifier: MIT
/* ldr: real. */
#include "ldr.h"

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

void real_kernel(void)
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
