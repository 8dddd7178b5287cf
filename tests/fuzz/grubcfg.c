// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the boot menu reader of bootloader = "pygrub"
 * (userland/config/grubcfg.c), whose input comes from a guest's disk.
 *
 * Input: one flags byte (bit 0: GRUB legacy's menu.lst, bit 1: a grubenv
 * follows, bit 2: an entry is asked for), then the menu text; after the
 * first NUL the grubenv text, after the next the wanted entry.
 *
 * Oracle (besides ASan/UBSan): a failure leaves a one-line message; a
 * pick has a kernel path, its place in the menu ("N" or "N>M...") and at
 * most DOMUS_GRUB_MAX_INITRDS initrds, every string terminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-grubcfg: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domus_grub_entry e;
	const char *text, *env = NULL, *want = NULL;
	char err[512], *buf;
	size_t tlen, elen = 0;
	uint8_t flags;
	int r;

	if (!size)
		return 0;
	flags = data[0];
	/* a NUL-terminated copy: the env and the wanted entry are strings */
	buf = malloc(size);
	CHECK(buf);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	text = buf;
	tlen = strlen(text);
	if (tlen + 1 < size) {
		const char *rest = text + tlen + 1;

		if (flags & 2) {
			env = rest;
			elen = strlen(env);
			rest = env + elen + 1 < buf + size ? env + elen + 1 : NULL;
		}
		if ((flags & 4) && rest && rest < buf + size)
			want = rest;
	}
	err[0] = 0;
	r = domus_grub_pick(text, tlen, flags & 1, env, elen, want, &e, err, sizeof(err));
	if (r) {
		CHECK(r == -1 && err[0] && !strchr(err, '\n'));
	} else {
		CHECK(e.kernel[0] && memchr(e.kernel, 0, sizeof(e.kernel)));
		CHECK(e.index[0] >= '0' && e.index[0] <= '9' && memchr(e.index, 0, sizeof(e.index)));
		CHECK(e.ninitrd <= DOMUS_GRUB_MAX_INITRDS);
		CHECK(memchr(e.title, 0, sizeof(e.title)) && memchr(e.id, 0, sizeof(e.id)) &&
		      memchr(e.args, 0, sizeof(e.args)));
		for (unsigned int i = 0; i < e.ninitrd; i++)
			CHECK(memchr(e.initrd[i], 0, sizeof(e.initrd[i])));
	}
	free(buf);
	return 0;
}
