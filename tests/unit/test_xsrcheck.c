// SPDX-License-Identifier: MIT
/*
 * Unit tests for the Xen save-stream validator (userland/save/check.c):
 * a stream built here byte by byte from the specification's layout (xl
 * header, libxl, libxc v3 with policy, STATIC_DATA_END, PAGE_DATA,
 * X86_TSC_INFO, HVM_CONTEXT, HVM_PARAMS, END) passes; each rule Xen's
 * restore enforces is then broken once and must be named.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xsrcheck.h"
#include "unit.h"

struct buf {
	uint8_t b[64 << 10];
	size_t n;
};

static void put(struct buf *s, const void *p, size_t n)
{
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void le(struct buf *s, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void be(struct buf *s, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

/* A record: type, length, body, zero padding to 8. */
static void rec(struct buf *s, uint32_t type, const struct buf *body)
{
	size_t start = s->n;

	le(s, type, 4);
	le(s, body ? body->n : 0, 4);
	if (body)
		put(s, body->b, body->n);
	while ((s->n - start) % 8)
		s->b[s->n++] = 0;
}

static void hvm_entry(struct buf *c, uint16_t code, uint16_t inst, uint32_t len)
{
	le(c, code, 2);
	le(c, inst, 2);
	le(c, len, 4);
	memset(c->b + c->n, 0, len);
	c->n += len;
}

/* Options that break one rule each. */
enum flaw {
	OK, BAD_XL_MAGIC, NO_STREAMV2, BAD_LIBXL_VERSION, BAD_XENF, V3_NO_STATIC_END,
	PAGE_LEN_OFF, PAGE_TYPE_PV, NO_HVM_CONTEXT, CTX_NO_HEADER, CTX_BAD_SIZE, CTX_UNKNOWN,
	NO_LIBXL_END, TRAILING, PV_RECORD, PADDING_SET, OPTIONAL_REC, CPU_FLAGS,
};

static void build(struct buf *s, enum flaw f)
{
	static const uint8_t magic[32] = "Xen saved domain, xl format\n \0 \r";
	static const char cfg[] = "{\"c_info\":{\"type\":\"pvh\",\"name\":\"g\"}}";
	struct buf *body = calloc(1, sizeof(*body));
	uint64_t pfn;

	s->n = 0;
	/* xl header and the embedded config */
	put(s, magic, sizeof(magic));
	if (f == BAD_XL_MAGIC)
		s->b[3] ^= 1;
	le(s, 0x01020304, 4);
	le(s, f == NO_STREAMV2 ? 1 : 3, 4);
	le(s, 0, 4);
	le(s, 4 + sizeof(cfg), 4);
	le(s, sizeof(cfg), 4);
	put(s, cfg, sizeof(cfg));
	/* libxl */
	be(s, 0x4C6962786C466D74ULL, 8);
	be(s, f == BAD_LIBXL_VERSION ? 3 : 2, 4);
	be(s, 0, 4);
	rec(s, 1, NULL);	/* LIBXC_CONTEXT */
	/* libxc image and domain headers */
	be(s, ~0ULL, 8);
	be(s, f == BAD_XENF ? 0x58454E47 : 0x58454E46, 4);
	be(s, 3, 4);
	be(s, 0, 2);
	be(s, 0, 6);
	le(s, 2, 4);
	le(s, 12, 2);
	le(s, 0, 2);
	le(s, 4, 4);
	le(s, 17, 4);
	/* CPUID policy (one leaf), then STATIC_DATA_END */
	body->n = 0;
	le(body, 0, 4);
	le(body, 0xffffffff, 4);
	le(body, 0xd, 4);
	le(body, 0, 8);
	le(body, 0, 4);
	rec(s, 0x11, body);
	if (f == OPTIONAL_REC)
		rec(s, 0x80000042, body);
	if (f != V3_NO_STATIC_END)
		rec(s, 0x10, NULL);
	if (f == PV_RECORD)
		rec(s, 0x04, body);
	/* PAGE_DATA: pfn 0 with data, pfn 1 a hole (XTAB) */
	body->n = 0;
	le(body, 2, 4);
	le(body, 0, 4);
	pfn = f == PAGE_TYPE_PV ? 1ULL << 60 : 0;
	le(body, pfn, 8);
	le(body, 0xFULL << 60 | 1, 8);
	memset(body->b + body->n, 0x5a, 4096);
	body->n += 4096;
	if (f == PAGE_LEN_OFF)
		body->n += 8;
	rec(s, 0x01, body);
	if (f == PADDING_SET) {
		body->n = 5;		/* an optional record with 3 bytes of padding, one set */
		rec(s, 0x80000001, body);
		s->b[s->n - 1] = 1;
	}
	/* X86_TSC_INFO */
	body->n = 0;
	le(body, 0, 4);
	le(body, 2000000, 4);
	le(body, 123456789, 8);
	le(body, 0, 8);
	rec(s, 0x08, body);
	/* HVM_CONTEXT: HEADER, CPU, LAPIC (24), LAPIC_REGS, MTRR, END */
	if (f != NO_HVM_CONTEXT) {
		body->n = 0;
		if (f != CTX_NO_HEADER) {
			le(body, 1, 2);
			le(body, 0, 2);
			le(body, 24, 4);
			le(body, 0x54381286, 4);
			le(body, 1, 4);
			le(body, ~0ULL, 8);
			le(body, 0x00000f61, 4);
			le(body, 2000000, 4);
		}
		hvm_entry(body, 2, 0, 1032);
		if (f == CPU_FLAGS)
			body->b[body->n - 8] = 2;	/* flags @1024 */
		hvm_entry(body, 5, 0, 24);
		hvm_entry(body, 6, 0, f == CTX_BAD_SIZE ? 1020 : 1024);
		hvm_entry(body, 14, 0, 240);
		if (f == CTX_UNKNOWN)
			hvm_entry(body, 21, 0, 8);
		hvm_entry(body, 0, 0, 0);
		rec(s, 0x09, body);
	}
	/* HVM_PARAMS: STORE_PFN, CONSOLE_PFN */
	body->n = 0;
	le(body, 2, 4);
	le(body, 0, 4);
	le(body, 1, 8);
	le(body, 0xfeffc, 8);
	le(body, 17, 8);
	le(body, 0xfefff, 8);
	rec(s, 0x0A, body);
	rec(s, 0x00, NULL);	/* libxc END */
	if (f != NO_LIBXL_END)
		rec(s, 0x00, NULL);
	if (f == TRAILING)
		le(s, 0, 8);
	free(body);
}

static int check(enum flaw f, char *err, size_t len, struct xsr_summary *sum)
{
	static struct buf s;

	build(&s, f);
	return xsr_check(s.b, s.n, XSR_XL, sum, err, len);
}

static void valid_stream(void)
{
	struct xsr_summary sum;
	char err[256];

	EXPECT(check(OK, err, sizeof(err), &sum) == 0);
	if (err[0])
		printf("  unexpected: %s\n", err);
	EXPECT(sum.xc_version == 3 && sum.xen_major == 4 && sum.xen_minor == 17);
	EXPECT(sum.pfns == 2 && sum.data_pages == 1 && sum.params == 2 && sum.vcpus == 1);
	EXPECT(sum.config_len > 10);
	/* an optional record (bit 31) is skipped, as the specification allows */
	EXPECT(check(OPTIONAL_REC, err, sizeof(err), &sum) == 0 && sum.optional_skipped == 1);
}

static void each_rule(void)
{
	static const struct {
		enum flaw f;
		const char *msg;
	} t[] = {
		{ BAD_XL_MAGIC, "not an xl save file" },
		{ NO_STREAMV2, "legacy" },
		{ BAD_LIBXL_VERSION, "libxl version 3" },
		{ BAD_XENF, "libxc id" },
		{ V3_NO_STATIC_END, "PAGE_DATA before STATIC_DATA_END" },
		{ PAGE_LEN_OFF, "PAGE_DATA: 4128 bytes" },
		{ PAGE_TYPE_PV, "has type 0x1" },
		{ NO_HVM_CONTEXT, "no HVM_CONTEXT" },
		{ CTX_NO_HEADER, "not HEADER" },
		{ CTX_BAD_SIZE, "LAPIC_REGS is 1020 bytes" },
		{ CTX_UNKNOWN, "unknown entry type 21" },
		{ NO_LIBXL_END, "without END" },
		{ TRAILING, "after the libxl END" },
		{ PV_RECORD, "PV record 0x4" },
		{ PADDING_SET, "padding not zero" },
		{ CPU_FLAGS, "flags 0x2" },
	};
	struct xsr_summary sum;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = check(t[i].f, err, sizeof(err), &sum);

		if (r != -1 || !strstr(err, t[i].msg) || strchr(err, '\n')) {
			printf("  flaw %d: returned %d, '%s', want '%s'\n", t[i].f, r, err, t[i].msg);
			unit_cur_failed = 1;
		}
	}
}

/* Every prefix of a valid stream is refused, without reading past it. */
static void truncated(void)
{
	static struct buf s;
	struct xsr_summary sum;
	char err[256];
	size_t n, bad = 0;
	uint8_t *copy;

	build(&s, OK);
	for (n = 0; n < s.n; n += (n < 600 ? 1 : 97)) {
		copy = malloc(n ? n : 1);
		memcpy(copy, s.b, n);
		if (xsr_check(copy, n, XSR_XL, &sum, err, sizeof(err)) != -1)
			bad++;
		free(copy);
	}
	EXPECT(bad == 0);
}

/* Random byte flips never crash it (ASan build) and mostly fail. */
static void mutations(void)
{
	static struct buf s, m;
	struct xsr_summary sum;
	char err[256];
	unsigned int seed = 12345, i, j;

	build(&s, OK);
	for (i = 0; i < 20000; i++) {
		m = s;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			m.b[(seed >> 8) % m.n] ^= (uint8_t)(1 + (seed >> 20) % 255);
		}
		(void)xsr_check(m.b, m.n, XSR_XL, &sum, err, sizeof(err));
	}
	EXPECT(1);
}

int main(void)
{
	RUN(UNIT_PREFIX, valid_stream);
	RUN(UNIT_PREFIX, each_rule);
	RUN(UNIT_PREFIX, truncated);
	RUN(UNIT_PREFIX, mutations);
	return unit_failed;
}
