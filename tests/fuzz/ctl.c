// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the control protocol's text (userland/ctl/): the CLI's
 * parse of a launcher's "ok id=..." info line (`domus list`, `domus
 * console NAME`), and the run-directory paths built from a domain name.
 *
 * Input: the reply line (up to the first NUL; DOMUS_CTL_LINE_MAX bytes at
 * most, as the client reads it); after the NUL, a domain name.
 *
 * The same line is also taken as an escaped xenstore value (the xs-*
 * requests, domus_ctl_unescape) and as a path argument (xs_path_check).
 *
 * Oracle (besides ASan/UBSan): a value that decodes escapes to printable
 * ASCII only and decodes back to the same bytes; a path that passes the
 * check holds only path characters; a parsed reply's name and state are
 * NUL-terminated inside their fields (sscanf takes any run of blanks
 * where the launcher writes one space: lenient, harmless); a path is built only for a name
 * that fits, and then ends in ".sock" with the name in it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "xenstore.h"
#include "xlcfg.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-ctl: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[DOMUS_CTL_LINE_MAX], name[256], path[512];
	const uint8_t *nul = memchr(data, 0, size);
	size_t l = nul ? (size_t)(nul - data) : size;
	struct domus_dominfo d;

	if (l >= sizeof(line))
		l = sizeof(line) - 1;
	memcpy(line, data, l);
	line[l] = 0;
	{
		static unsigned char raw[DOMUS_CTL_LINE_MAX], back[DOMUS_CTL_LINE_MAX];
		static char esc[4 * DOMUS_CTL_LINE_MAX + 1];
		int n = domus_ctl_unescape(line, raw, sizeof(raw)), i;

		if (n >= 0) {
			size_t e = domus_ctl_escape(raw, (size_t)n, esc, sizeof(esc));

			CHECK(e == strlen(esc));
			for (i = 0; esc[i]; i++)
				CHECK(esc[i] >= 0x20 && esc[i] < 0x7f);
			CHECK(domus_ctl_unescape(esc, back, sizeof(back)) == n);
			CHECK(!memcmp(raw, back, (size_t)n));
		}
		if (xs_path_check(line) == 0)
			CHECK(strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@/") == l &&
			      !strstr(line, "//") && line[0] != '@');
	}
	if (domus_ctl_parse_info(line, &d) == 0) {
		CHECK(memchr(d.name, 0, sizeof(d.name)) && memchr(d.state, 0, sizeof(d.state)));
		CHECK(!strncmp(line, "ok", 2));
	}
	if (nul) {
		size_t n = size - (size_t)(nul - data) - 1;
		int r;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, nul + 1, n);
		name[n] = 0;
		r = domus_run_path(path, sizeof(path), name, ".sock");
		if (r == 0) {
			size_t pl = strlen(path);

			CHECK(pl >= 5 && !strcmp(path + pl - 5, ".sock") && strstr(path, name));
		} else {
			CHECK(r == -ENAMETOOLONG || r < 0);
		}
		domus_config_name_ok(name);
	}
	return 0;
}
