// SPDX-License-Identifier: MIT
/* domus xenstored: framing, hex, routing (xswire.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "xswire.h"

int xsw_socket_path(char *buf, size_t len)
{
	const char *p = getenv("XENSTORED_PATH"), *d = getenv("XENSTORED_RUNDIR");
	int n;

	if (p && *p)
		n = snprintf(buf, len, "%s", p);
	else
		n = snprintf(buf, len, "%s/socket", d && *d ? d : XSW_RUNDIR_DEFAULT);
	/* it must fit sun_path (108 bytes with the NUL) */
	if (n < 0 || (size_t)n >= len || n >= 108)
		return -ENAMETOOLONG;
	return 0;
}

int xsw_hdr_check(const struct xs_msg_hdr *h)
{
	if (h->len > XS_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (h->type >= XS_TYPE_COUNT || h->type == XS_WATCH_EVENT || h->type == XS_ERROR)
		return -EPROTO;
	return 0;
}

size_t xsw_in_feed(struct xsw_in *in, const void *buf, size_t n)
{
	size_t room = sizeof(in->msg) - in->have;

	if (n > room)
		n = room;
	memcpy(in->msg + in->have, buf, n);
	in->have += n;
	return n;
}

int xsw_in_next(struct xsw_in *in, struct xs_msg_hdr *h, unsigned char *msg)
{
	size_t total;
	int r;

	if (in->have < XSW_HDR)
		return 0;
	memcpy(h, in->msg, XSW_HDR);
	r = xsw_hdr_check(h);
	if (r)
		return r;
	total = XSW_HDR + h->len;
	if (in->have < total)
		return 0;
	memcpy(msg, in->msg, total);
	msg[total] = 0;
	memmove(in->msg, in->msg + total, in->have - total);
	in->have -= total;
	return 1;
}

void xsw_hex(const void *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	const unsigned char *b = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

int xsw_unhex(const char *in, void *out, size_t cap)
{
	size_t n = strlen(in), i;
	unsigned char *o = out;

	if (n % 2)
		return -EINVAL;
	if (n / 2 > cap)
		return -E2BIG;
	for (i = 0; i < n / 2; i++) {
		int a = domus_ctl_hexval(in[2 * i]), b = domus_ctl_hexval(in[2 * i + 1]);

		if (a < 0 || b < 0)
			return -EINVAL;
		o[i] = (unsigned char)(a << 4 | b);
	}
	return (int)(n / 2);
}

bool xsw_under(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/"))
		return path[0] == '/';
	return !strncmp(path, top, n) && (path[n] == 0 || path[n] == '/');
}

/* A domain id component: 1..32751, decimal without leading zeros. */
static int domid_of(const char *s, size_t n, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (!n || n > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v >= 0x7ff0)
		return -1;
	*out = v;
	return 0;
}

int xsw_route(const char *path, unsigned int *domid, int *merge)
{
	static const char ld[] = "/local/domain", be[] = "/local/domain/0/backend";
	const char *p, *e;

	*merge = XSW_MERGE_NONE;
	*domid = 0;
	if (path[0] != '/')
		return -EINVAL;
	if (!strcmp(path, ld)) {
		*merge = XSW_MERGE_DOMAINS;
		return XSW_HOST;
	}
	if (xsw_under(path, be)) {
		p = path + sizeof(be) - 1;		/* "" or "/<type>..." */
		if (!*p) {
			*merge = XSW_MERGE_BACKEND;
			return XSW_HOST;
		}
		p = strchr(p + 1, '/');			/* after <type> */
		if (!p) {
			*merge = XSW_MERGE_BACKEND;
			return XSW_HOST;
		}
		e = strchr(p + 1, '/');
		if (!domid_of(p + 1, e ? (size_t)(e - p - 1) : strlen(p + 1), domid))
			return XSW_DOMAIN;
		return XSW_HOST;
	}
	if (!strncmp(path, ld, sizeof(ld) - 1) && path[sizeof(ld) - 1] == '/') {
		p = path + sizeof(ld);
		e = strchr(p, '/');
		if (!domid_of(p, e ? (size_t)(e - p) : strlen(p), domid))
			return XSW_DOMAIN;
	}
	return XSW_HOST;
}
