// SPDX-License-Identifier: MIT
/*
 * Seed inputs for the libFuzzer targets that are binary (make fuzz writes
 * them to build/fuzz/seeds/NAME/):
 *   loader    the loader unit test's synthetic kernels (ELF64, ELF32, and
 *             bzImages with no, gzip, xz, lzma and zstd payloads) behind
 *             the target's 4 parameter bytes (tests/fuzz/loader.c)
 *   xenstore  guest sessions in the target's record format
 *             (tests/fuzz/xenstore.c): every request type, transactions,
 *             watches, permissions, the toolstack alongside
 *   savefile  save files of xsr_write (tests/fuzz/savefile.c): one and
 *             four pages of RAM, one vCPU or two, one without its
 *             checksum record
 * Built with the normal compiler (not instrumented); usage: gen-seeds DIR.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ldr.h"
#include "xenstore.h"
#include "xsr.h"
#include <unistd.h>
#include <sys/mman.h>

static const char *dir;
static int failed;

static void put(const char *sub, const char *name, const void *d, size_t n)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if (mkdir(p, 0755) && errno != EEXIST) {
		perror(p);
		failed = 1;
		return;
	}
	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	f = fopen(p, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
		perror(p);
		failed = 1;
	}
}

/* --- loader ---------------------------------------------------------------- */

static void loader_seed(const char *name, const uint8_t prm[4], const uint8_t *img, size_t n)
{
	uint8_t *b = malloc(n + 4);

	memcpy(b, prm, 4);
	memcpy(b + 4, img, n);
	put("loader", name, b, n + 4);
	free(b);
}

static void loader_seeds(void)
{
	static const struct {
		const char *name;
		size_t (*comp)(const uint8_t *, size_t, uint8_t *, size_t);
	} bz[] = {
		{ "bz-none", c_none }, { "bz-gzip", c_gzip }, { "bz-xz", c_xz },
		{ "bz-lzma", c_lzma }, { "bz-zstd", c_zstd },
	};
	/* 1 vCPU, 16 MiB, 100-byte command line; 4 vCPUs, xAPIC, initramfs */
	static const uint8_t p1[4] = { 0, 0, 2, 1 }, p2[4] = { 3, 5, 2, 0 };
	uint8_t elf[S_SIZE], *b = malloc(BZ_CAP);
	size_t i, n;

	make_elf(elf);
	loader_seed("elf64", p1, elf, S_SIZE);
	loader_seed("elf64-smp-initrd", p2, elf, S_SIZE);
	make_elf32(elf);
	loader_seed("elf32", p1, elf, S_SIZE);
	/* Multiboot (bit 3 of byte 1): the ELF32 kernel with a header, and an
	 * a.out-kludge image of 4 KiB at 1 MiB with 8 KiB of bss */
	{
		static const uint8_t pm[4] = { 0, 8, 2, 1 };
		uint8_t mb[4096] = { 0 };
		uint32_t h[8] = { 0x1badb002, 0x10002, 0, 0x100040, 0x100000, 0, 0x103000, 0x100100 };

		h[2] = (uint32_t)-(h[0] + h[1]);
		memcpy(mb + 0x40, h, sizeof(h));
		loader_seed("mb-aout", pm, mb, sizeof(mb));
		h[1] = 2;
		h[2] = (uint32_t)-(h[0] + h[1]);
		memcpy(elf + S_TEXT + 8, h, 12);
		wr32(elf + 24, S_TEXT_PA + 0x10);
		loader_seed("mb-elf32", pm, elf, S_SIZE);
	}
	for (i = 0; i < sizeof(bz) / sizeof(bz[0]); i++) {
		n = make_kernel_bz(b, bz[i].comp);
		if (!n) {
			fprintf(stderr, "gen-seeds: %s failed\n", bz[i].name);
			failed = 1;
			continue;
		}
		loader_seed(bz[i].name, i % 2 ? p2 : p1, b, n);
	}
	free(b);
}

/* --- xenstore -------------------------------------------------------------- */

struct rec {
	uint8_t b[8192];
	size_t n;
};

static void raw(struct rec *r, const void *d, size_t n)
{
	memcpy(r->b + r->n, d, n);
	r->n += n;
}

/* A guest message: op 0, type, tx selector, payload of NUL-separated
 * strings (@nul_last: the last one NUL-terminated too). */
static void msg(struct rec *r, uint8_t type, uint8_t tx, const char *a, const char *b, bool nul_last)
{
	uint8_t h[5] = { 0, type, tx, 0, 0 };
	size_t la = a ? strlen(a) + (b || nul_last) : 0, lb = b ? strlen(b) + nul_last : 0;
	size_t len = la + lb;

	h[3] = (uint8_t)len;
	h[4] = (uint8_t)(len >> 8);
	raw(r, h, 5);
	if (a)
		raw(r, a, la);
	if (b)
		raw(r, b, lb);
}

static void ts(struct rec *r, uint8_t kind, const char *path, const char *val)
{
	uint8_t h[2] = { 5, kind };

	raw(r, h, 2);
	raw(r, path, strlen(path) + 1);
	raw(r, val, strlen(val) + 1);
}

static void xenstore_seeds(void)
{
	struct rec r;
	uint8_t op;

	/* the basics of a PV front end's start */
	memset(&r, 0, sizeof(r));
	msg(&r, XS_READ, 0, "name", NULL, true);
	msg(&r, XS_GET_DOMAIN_PATH, 0, "7", NULL, true);
	msg(&r, XS_DIRECTORY, 0, "device", NULL, true);
	msg(&r, XS_READ, 0, "device/vbd/51712/backend", NULL, true);
	msg(&r, XS_READ, 0, "/local/domain/0/backend/vbd/7/51712/state", NULL, true);
	msg(&r, XS_WRITE, 0, "device/vbd/51712/state", "3", false);
	msg(&r, XS_WRITE, 0, "/local/domain/0/backend/vbd/7/51712/state", "4", false);
	msg(&r, XS_GET_PERMS, 0, "device/vbd/51712", NULL, true);
	msg(&r, XS_MKDIR, 0, "data/dir", NULL, true);
	msg(&r, XS_SET_PERMS, 0, "data/dir", "b7\0r0", true);
	msg(&r, XS_DIRECTORY_PART, 0, "device", "0", true);
	msg(&r, XS_RM, 0, "data/dir", NULL, true);
	put("xenstore", "frontend", r.b, r.n);

	/* watches */
	memset(&r, 0, sizeof(r));
	msg(&r, XS_WATCH, 0, "device", "tok1", true);
	msg(&r, XS_WATCH, 0, "/local/domain/7/data", "tok2", true);
	msg(&r, XS_WATCH, 0, "@releaseDomain", "tok3", true);
	msg(&r, XS_WRITE, 0, "device/x", "1", false);
	ts(&r, 0, "data/ts", "v");
	msg(&r, XS_UNWATCH, 0, "device", "tok1", true);
	msg(&r, XS_RESET_WATCHES, 0, "", NULL, true);
	put("xenstore", "watches", r.b, r.n);

	/* transactions: two, a conflict, commit and abort */
	memset(&r, 0, sizeof(r));
	msg(&r, XS_TRANSACTION_START, 0, "", NULL, true);
	msg(&r, XS_TRANSACTION_START, 0, "", NULL, true);
	msg(&r, XS_WRITE, 1, "data/a", "1", false);
	msg(&r, XS_READ, 2, "data/a", NULL, true);
	msg(&r, XS_WRITE, 2, "data/a", "2", false);
	msg(&r, XS_RM, 1, "device", NULL, true);
	msg(&r, XS_TRANSACTION_END, 1, "T", NULL, true);
	msg(&r, XS_TRANSACTION_END, 2, "T", NULL, true);
	msg(&r, XS_TRANSACTION_START, 0, "", NULL, true);
	msg(&r, XS_MKDIR, 3, "data/t/u/v", NULL, true);
	msg(&r, XS_TRANSACTION_END, 3, "F", NULL, true);
	put("xenstore", "transactions", r.b, r.n);

	/* the connection: lying header, raw bytes, reconnection, indices */
	memset(&r, 0, sizeof(r));
	msg(&r, XS_WRITE, 0, "data/big", "0123456789abcdef0123456789abcdef", false);
	op = 6;
	raw(&r, &op, 1);
	{
		uint8_t lie[] = { 3, XS_READ, 0, 0x00, 0x20, 'n', 'a', 'm', 'e', 0 };

		raw(&r, lie, sizeof(lie));
	}
	raw(&r, &op, 1);
	{
		uint8_t rawb[] = { 4, 16, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0 };

		raw(&r, rawb, sizeof(rawb));
	}
	raw(&r, &op, 1);
	{
		uint8_t idx[] = { 7, 0, 0, 0x10, 0, 0 };

		raw(&r, idx, sizeof(idx));
	}
	raw(&r, &op, 1);
	msg(&r, XS_READ, 0, "name", NULL, true);
	put("xenstore", "connection", r.b, r.n);

	/* the toolstack's calls */
	memset(&r, 0, sizeof(r));
	ts(&r, 0, "/local/domain/7/data/x", "1");
	ts(&r, 3, "/local/domain/7/data/x", "n7,r0");
	ts(&r, 7, "data", "");
	ts(&r, 2, "data/y", "");
	ts(&r, 4, "data/x", "");
	ts(&r, 5, "data", "");
	ts(&r, 6, "data/x", "");
	ts(&r, 1, "data", "");
	ts(&r, 8, "data", "");
	put("xenstore", "toolstack", r.b, r.n);
}

/* --- savefile ---------------------------------------------------------------- */

static void save_seed(const char *name, unsigned int pages, unsigned int nvcpu, bool no_checksum)
{
	static const char cfg[] = "{\"name\": \"s\", \"type\": \"hvm\", \"memory\": 4}";
	struct xsr_vcpu v[2];
	struct xsr_state st;
	uint8_t ram[4 * 4096], *b;
	char err[256];
	unsigned int i;
	off_t n;
	int fd = memfd_create("seed", 0);

	memset(&st, 0, sizeof(st));
	memset(v, 0, sizeof(v));
	for (i = 0; i < sizeof(ram); i++)
		ram[i] = (uint8_t)(i >> 4);
	for (i = 0; i < nvcpu; i++) {
		v[i].regs.rip = 0x100000 + i;
		v[i].regs.rflags = 2;
		v[i].sregs.cs = (struct domus_segment){ .limit = 0xffffffff, .selector = 0x10, .attr = 0xc9b };
		v[i].sregs.cr0 = 0x11;
		v[i].pat = 0x0007040600070406ULL;
		v[i].fpu.xcr0 = 3;
		v[i].fpu.xsave[0] = 0x7f;
		v[i].fpu.xsave[1] = 0x03;
		v[i].xsave_size = 576;
	}
	v[0].events.exception.pending = 1;
	v[0].events.exception.nr = 13;
	st.config = cfg;
	st.config_len = sizeof(cfg);
	st.ram_size = pages * 4096ULL;
	st.nvcpu = nvcpu;
	st.vcpu = v;
	st.has_dm = true;
	st.dm.test_exit_code = -1;
	if (fd < 0 || xsr_write(fd, &st, ram, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "savefile seed %s: %s\n", name, fd < 0 ? "memfd" : err);
		failed = 1;
		return;
	}
	n = lseek(fd, 0, SEEK_END);
	b = malloc((size_t)n);
	if (!b || pread(fd, b, (size_t)n, 0) != n) {
		failed = 1;
		free(b);
		close(fd);
		return;
	}
	if (no_checksum) {
		/* the checksum record is the one before the two 8-byte ENDs:
		 * make it an unknown optional record (still skipped) */
		uint32_t t = 0x8D0A00FF;

		memcpy(b + n - 16 - 16, &t, 4);
	}
	put("savefile", name, b, (size_t)n);
	free(b);
	close(fd);
}

static void savefile_seeds(void)
{
	save_seed("one-page", 1, 1, false);
	save_seed("four-pages-two-vcpus", 4, 2, false);
	save_seed("no-checksum", 1, 1, true);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0755) && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	loader_seeds();
	xenstore_seeds();
	savefile_seeds();
	return failed;
}
