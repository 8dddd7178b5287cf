// SPDX-License-Identifier: MIT
/*
 * xsr-check [--libxl | --libxc | --last-page] FILE: check the structure of
 * a Xen save file (xl save's, by default) or of a bare libxl or libxc
 * stream (userland/save/check.c).  Prints a summary, or one line naming
 * the offset and the rule broken; exit 0 valid, 1 invalid, 2 usage.
 * --last-page prints only the file offset of the last guest page carried
 * (tests corrupt a page's contents there, away from any header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xsrcheck.h"

int main(int argc, char **argv)
{
	enum xsr_start start = XSR_XL;
	int last_page = 0;
	struct xsr_summary s;
	const char *path;
	char err[256];
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "--libxl"))
		start = XSR_LIBXL;
	else if (argc == 3 && !strcmp(argv[1], "--libxc"))
		start = XSR_LIBXC;
	else if (argc == 3 && !strcmp(argv[1], "--last-page"))
		last_page = 1;
	else if (argc != 2) {
		fprintf(stderr, "usage: xsr-check [--libxl | --libxc | --last-page] FILE\n");
		return 2;
	}
	path = argv[argc - 1];
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 1 << 20);

			if (!nb) {
				fprintf(stderr, "xsr-check: %s: out of memory\n", path);
				return 1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (xsr_check(buf, len, start, &s, err, sizeof(err))) {
		fprintf(stderr, "xsr-check: %s: %s\n", path, err);
		free(buf);
		return 1;
	}
	if (last_page) {
		if (!s.data_pages) {
			fprintf(stderr, "xsr-check: %s: no page carries data\n", path);
			free(buf);
			return 1;
		}
		printf("%llu\n", (unsigned long long)s.last_page_at);
		free(buf);
		return 0;
	}
	printf("%s: valid: libxc v%u from Xen %u.%u, %llu libxc records, %llu pfns (%llu with data), "
	       "%llu params, %llu vCPUs, %llu optional records skipped, config %u bytes\n",
	       path, s.xc_version, s.xen_major, s.xen_minor, (unsigned long long)s.xc_records,
	       (unsigned long long)s.pfns, (unsigned long long)s.data_pages,
	       (unsigned long long)s.params, (unsigned long long)s.vcpus,
	       (unsigned long long)s.optional_skipped, s.config_len);
	free(buf);
	return 0;
}
