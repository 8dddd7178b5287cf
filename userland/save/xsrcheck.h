/* SPDX-License-Identifier: MIT */
/*
 * xsr-check: a structural validator of Xen's `xl save` / migration
 * streams (check.c; facts from Xen's stream specifications).
 */
#ifndef DOMUS_XSRCHECK_H
#define DOMUS_XSRCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the buffer starts: an xl save file, the libxl stream, the libxc stream. */
enum xsr_start { XSR_XL, XSR_LIBXL, XSR_LIBXC };

struct xsr_summary {
	uint32_t config_len;		/* xl: the embedded config, with its NUL */
	uint32_t xc_version;		/* libxc image version (2 or 3) */
	uint32_t xen_major, xen_minor;	/* of the saving Xen */
	uint64_t xl_records, xc_records;
	uint64_t pfns, data_pages;	/* PAGE_DATA entries, those carrying a page */
	uint64_t params;		/* HVM_PARAMS entries */
	uint64_t vcpus;			/* CPU entries in HVM_CONTEXT */
	uint64_t optional_skipped;	/* libxc records with bit 31 (ignored) */
	uint64_t emulator_records;
	uint64_t last_page_at;		/* file offset of the last page's first byte */
};

/*
 * 0 when @buf is a stream Xen 4.17 would take for an HVM/PVH guest, as far
 * as its structure goes; -1 with one line in @err (the byte offset and
 * the rule broken) otherwise.
 */
int xsr_check(const uint8_t *buf, size_t len, enum xsr_start start, struct xsr_summary *s,
	      char *err, size_t errlen);

#endif
