// SPDX-License-Identifier: MIT
/*
 * Reading one whole stream off a pipe (domus migrate-receive): the
 * receiver cannot wait for end of file (the same descriptor carries the
 * handshake afterwards), so the framing says where the stream ends: the
 * xl header and its optional data, the libxl header, libxl records up to
 * libxl END, and inside LIBXC_CONTEXT the libxc headers and records up to
 * libxc END.  Only the framing is looked at here, with every length
 * bounded; xsr_read validates the copy afterwards.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "xsr.h"

#define REC_MAX		(16u << 20)	/* a PAGE_DATA of 1024 pages is 4.2 MiB */
#define CONFIG_MAX	(4u << 20)

struct rd {
	int in, out;
	uint64_t total, max;
	char *err;
	size_t errlen;
	uint8_t buf[65536];
};

static int rerr(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rerr(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read @len bytes, copy them to the output; the first min(len, keep) into @keep. */
static int take(struct rd *r, uint64_t len, void *keep, size_t keeplen)
{
	size_t kept = 0;

	if (r->total + len > r->max)
		return rerr(r, "the stream is longer than %llu bytes (more than this domain's RAM times %u)",
			    (unsigned long long)r->max, XSR_STREAM_PASSES);
	while (len) {
		size_t want = len < sizeof(r->buf) ? (size_t)len : sizeof(r->buf), off = 0;
		ssize_t n = read(r->in, r->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rerr(r, "reading the stream: %s", strerror(errno));
		if (n == 0)
			return rerr(r, "the stream ended after %llu bytes, before its END (the sender stopped midway)",
				    (unsigned long long)r->total);
		if (keep && kept < keeplen) {
			size_t k = keeplen - kept < (size_t)n ? keeplen - kept : (size_t)n;

			memcpy((uint8_t *)keep + kept, r->buf, k);
			kept += k;
		}
		while (off < (size_t)n) {
			ssize_t w = write(r->out, r->buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return rerr(r, "writing the stream's copy: %s", w < 0 ? strerror(errno) : "no space");
			off += (size_t)w;
		}
		r->total += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Records up to END (type 0); @libxc is called for LIBXC_CONTEXT (libxl layer). */
static int records(struct rd *r, const char *layer, int (*libxc)(struct rd *r))
{
	for (;;) {
		struct xsr_rec h;

		if (take(r, sizeof(h), &h, sizeof(h)))
			return -1;
		if (h.length > REC_MAX)
			return rerr(r, "offset %llu: %s record type %#x of %u bytes (at most %u)",
				    (unsigned long long)r->total - 8, layer, h.type, h.length, REC_MAX);
		if (take(r, (h.length + 7ULL) & ~7ULL, NULL, 0))
			return -1;
		if (h.type == 0)
			return 0;
		if (libxc && h.type == XSR_LXL_LIBXC_CONTEXT && libxc(r))
			return -1;
	}
}

static int libxc_stream(struct rd *r)
{
	uint8_t h[24 + 16];

	if (take(r, sizeof(h), h, sizeof(h)))
		return -1;
	if (memcmp(h, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) || be32(h + 8) != XSR_XC_ID)
		return rerr(r, "offset %llu: not a libxc stream (no XENF image header)",
			    (unsigned long long)r->total - sizeof(h));
	return records(r, "libxc", NULL);
}

int xsr_stream_copy(int in, int out, uint64_t max, uint64_t *len, char *err, size_t errlen)
{
	static struct rd r;	/* one at a time; 64 KiB buffer off the stack */
	struct xsr_xl_header xh;
	uint8_t lh[16];

	memset(&r, 0, sizeof(r));
	r.in = in;
	r.out = out;
	r.max = max;
	r.err = err;
	r.errlen = errlen;
	if (take(&r, sizeof(xh), &xh, sizeof(xh)))
		return -1;
	if (memcmp(xh.magic, XSR_XL_MAGIC, sizeof(xh.magic)) || xh.byteorder != XSR_XL_BYTEORDER)
		return rerr(&r, "not an xl migration stream (no xl header)");
	if (xh.optional_data_len > CONFIG_MAX)
		return rerr(&r, "the stream's config is %u bytes (at most %u)", xh.optional_data_len, CONFIG_MAX);
	if (take(&r, xh.optional_data_len, NULL, 0) || take(&r, sizeof(lh), lh, sizeof(lh)))
		return -1;
	if (be32(lh) != (uint32_t)(XSR_LIBXL_IDENT >> 32) || be32(lh + 4) != (uint32_t)XSR_LIBXL_IDENT)
		return rerr(&r, "offset 48: not a libxl stream (no LibxlFmt header)");
	if (records(&r, "libxl", libxc_stream))
		return -1;
	*len = r.total;
	return 0;
}
