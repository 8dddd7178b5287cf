// SPDX-License-Identifier: MIT
/* ldr: fuzz. */
#include "ldr.h"

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

void fuzz(void)
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
