// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the save-file reader (userland/save: xsr_read, and
 * through it the structural validator xsr_check) on hostile files.
 *
 * Input: a save file.  It is read twice: without RAM (checked only, the
 * RAM it needs found), and into a 64 KiB RAM (pages copied).  Seeds
 * (make fuzz: build/fuzz/seeds/savefile/) are files xsr_write made of a
 * one- and a four-page guest, one without its checksum record: a flipped
 * page byte stops at the checksum, so the seed without it lets mutations
 * reach the page, vCPU and domus-state decoding.
 *
 * Oracle (besides ASan/UBSan): a refusal always says why (a non-empty
 * line, no newline); a file that reads is consistent (1..128 vCPUs, RAM
 * a page multiple, the config NUL-terminated where the length says), and
 * what it yields writes back (xsr_write) into a file that reads again to
 * the same registers, segments, FPU image and RAM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "xsr.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-savefile: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define RAM (64u << 10)

static void refused_ok(const char *err)
{
	CHECK(err[0] && !strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM], ram2[RAM];
	struct xsr_state st, back;
	char err[512];
	unsigned int i;
	int fd;

	if (xsr_read(data, size, 0, NULL, &st, err, sizeof(err))) {
		refused_ok(err);
		return 0;
	}
	CHECK(st.nvcpu >= 1 && st.nvcpu <= XSR_MAX_VCPUS && !(st.ram_size & 0xfff));
	CHECK(st.config_len >= 2 && st.config[st.config_len - 1] == 0 && strlen(st.config) == st.config_len - 1);
	xsr_state_free(&st);

	memset(ram, 0, sizeof(ram));
	if (xsr_read(data, size, RAM, ram, &st, err, sizeof(err))) {
		refused_ok(err);
		return 0;
	}
	CHECK(st.ram_size == RAM);
	/* what it yields writes back and reads again the same */
	for (i = 0; i < st.nvcpu; i++) {
		if (st.vcpu[i].xsave_size < XSR_XSAVE_MIN)
			st.vcpu[i].xsave_size = XSR_XSAVE_MIN;
	}
	fd = memfd_create("fuzz-save", 0);
	CHECK(fd >= 0);
	CHECK(xsr_write(fd, &st, ram, NULL, NULL, err, sizeof(err)) == 0);
	{
		off_t n = lseek(fd, 0, SEEK_END);
		uint8_t *b = malloc((size_t)n);

		CHECK(b && pread(fd, b, (size_t)n, 0) == n);
		memset(ram2, 0, sizeof(ram2));
		if (xsr_read(b, (size_t)n, RAM, ram2, &back, err, sizeof(err))) {
			fprintf(stderr, "fuzz-savefile: written back, refused: %s\n", err);
			abort();
		}
		CHECK(back.nvcpu == st.nvcpu && !memcmp(ram, ram2, RAM));
		for (i = 0; i < st.nvcpu; i++) {
			CHECK(!memcmp(&back.vcpu[i].regs, &st.vcpu[i].regs, sizeof(st.vcpu[i].regs)));
			CHECK(back.vcpu[i].sregs.cr0 == st.vcpu[i].sregs.cr0 &&
			      back.vcpu[i].sregs.cs.base == st.vcpu[i].sregs.cs.base &&
			      back.vcpu[i].sregs.cs.attr == st.vcpu[i].sregs.cs.attr);
			CHECK(!memcmp(back.vcpu[i].fpu.xsave, st.vcpu[i].fpu.xsave, XSR_XSAVE_MIN));
		}
		xsr_state_free(&back);
		free(b);
	}
	close(fd);
	xsr_state_free(&st);
	return 0;
}
