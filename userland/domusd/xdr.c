// SPDX-License-Identifier: MIT
/*
 * XDR (RFC 4506) as rpcgen lays it out: big-endian 4-byte items, 8-byte
 * hypers, opaque data and strings with a length word and zero padding to
 * 4 bytes.  Decoding never reads past the buffer and never allocates more
 * than the bytes present; the first error sticks (rpc.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rpc.h"

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void xdr_in_init(struct xdr_in *x, const uint8_t *p, size_t len)
{
	x->p = p;
	x->len = len;
	x->off = 0;
	x->err = false;
}

/* The next @n bytes, or NULL (and the error set) if fewer are left. */
static const uint8_t *take(struct xdr_in *x, size_t n)
{
	const uint8_t *r;

	if (x->err || n > x->len - x->off) {
		x->err = true;
		return NULL;
	}
	r = x->p + x->off;
	x->off += n;
	return r;
}

uint32_t xdr_get_u32(struct xdr_in *x)
{
	const uint8_t *b = take(x, 4);

	if (!b)
		return 0;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int32_t xdr_get_i32(struct xdr_in *x)
{
	return (int32_t)xdr_get_u32(x);
}

uint64_t xdr_get_u64(struct xdr_in *x)
{
	uint64_t hi = xdr_get_u32(x);

	return hi << 32 | xdr_get_u32(x);
}

/* Padding bytes must be zero (a strict decoder: anything else is malformed). */
static void skip_pad(struct xdr_in *x, size_t n)
{
	const uint8_t *b = take(x, pad4(n));
	size_t i;

	for (i = 0; b && i < pad4(n); i++)
		if (b[i])
			x->err = true;
}

void xdr_get_fixed(struct xdr_in *x, void *out, size_t n)
{
	const uint8_t *b = take(x, n);

	if (b)
		memcpy(out, b, n);
	else
		memset(out, 0, n);
	skip_pad(x, n);
}

char *xdr_get_string(struct xdr_in *x, uint32_t max)
{
	uint32_t n = xdr_get_u32(x);
	const uint8_t *b;
	char *s;

	if (x->err)
		return NULL;
	if (n > max) {
		x->err = true;
		return NULL;
	}
	b = take(x, n);
	if (!b || memchr(b, 0, n)) {
		x->err = true;
		return NULL;
	}
	skip_pad(x, n);
	if (x->err)
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s) {
		x->err = true;
		return NULL;
	}
	memcpy(s, b, n);
	s[n] = 0;
	return s;
}

bool xdr_get_opt_string(struct xdr_in *x, uint32_t max, char **out)
{
	uint32_t present = xdr_get_u32(x);

	*out = NULL;
	if (x->err || present > 1) {
		x->err = true;
		return false;
	}
	if (present)
		*out = xdr_get_string(x, max);
	return !x->err;
}

bool xdr_in_done(const struct xdr_in *x)
{
	return !x->err && x->off == x->len;
}

void xdr_out_init(struct xdr_out *x, size_t max)
{
	x->buf = NULL;
	x->len = x->cap = 0;
	x->max = max;
	x->err = false;
}

void xdr_out_free(struct xdr_out *x)
{
	free(x->buf);
	xdr_out_init(x, x->max);
}

void xdr_out_reset(struct xdr_out *x)
{
	x->len = 0;
	x->err = false;
}

/* Room for @n more bytes, or NULL (and the error set). */
static uint8_t *room(struct xdr_out *x, size_t n)
{
	uint8_t *r;

	if (x->err || n > x->max - x->len) {
		x->err = true;
		return NULL;
	}
	if (x->len + n > x->cap) {
		size_t cap = x->cap ? x->cap : 256;
		uint8_t *nb;

		while (cap < x->len + n)
			cap *= 2;
		if (cap > x->max)
			cap = x->max;
		nb = realloc(x->buf, cap);
		if (!nb) {
			x->err = true;
			return NULL;
		}
		x->buf = nb;
		x->cap = cap;
	}
	r = x->buf + x->len;
	x->len += n;
	return r;
}

static void be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

void xdr_put_u32(struct xdr_out *x, uint32_t v)
{
	uint8_t *b = room(x, 4);

	if (b)
		be32(b, v);
}

void xdr_put_i32(struct xdr_out *x, int32_t v)
{
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_u64(struct xdr_out *x, uint64_t v)
{
	xdr_put_u32(x, (uint32_t)(v >> 32));
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_fixed(struct xdr_out *x, const void *p, size_t n)
{
	uint8_t *b = room(x, n + pad4(n));

	if (b) {
		memcpy(b, p, n);
		memset(b + n, 0, pad4(n));
	}
}

void xdr_put_raw(struct xdr_out *x, const void *p, size_t n)
{
	uint8_t *b = room(x, n);

	if (b && n)
		memcpy(b, p, n);
}

void xdr_put_string(struct xdr_out *x, const char *s)
{
	size_t n = strlen(s);

	if (n > RPC_STRING_MAX) {
		x->err = true;
		return;
	}
	xdr_put_u32(x, (uint32_t)n);
	xdr_put_fixed(x, s, n);
}

void xdr_put_opt_string(struct xdr_out *x, const char *s)
{
	xdr_put_u32(x, s != NULL);
	if (s)
		xdr_put_string(x, s);
}

void xdr_put_chars(struct xdr_out *x, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		xdr_put_i32(x, (int32_t)(signed char)s[i]);
}

void xdr_patch_u32(struct xdr_out *x, size_t off, uint32_t v)
{
	if (!x->err && off + 4 <= x->len)
		be32(x->buf + off, v);
}

int rpc_err(struct rpc_error *e, int code, int domain, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->domain = domain;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

void rpc_put_error(struct xdr_out *x, const struct rpc_error *e)
{
	xdr_put_i32(x, e->code);
	xdr_put_i32(x, e->domain);
	xdr_put_opt_string(x, e->message);
	xdr_put_i32(x, 2);		/* level: VIR_ERR_ERROR */
	xdr_put_u32(x, 0);		/* dom: absent */
	xdr_put_u32(x, 0);		/* str1..3: absent */
	xdr_put_u32(x, 0);
	xdr_put_u32(x, 0);
	xdr_put_i32(x, 0);		/* int1, int2 */
	xdr_put_i32(x, 0);
	xdr_put_u32(x, 0);		/* net: absent */
}
