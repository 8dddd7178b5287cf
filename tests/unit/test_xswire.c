// SPDX-License-Identifier: MIT
/* domus xenstored's socket-free pieces (userland/ctl/xswire.c): framing of
 * a client's byte stream, the hex of xs-wire, routing paths to stores. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "xswire.h"

static size_t mk(unsigned char *b, uint32_t type, uint32_t id, const char *pl, size_t n)
{
	struct xs_msg_hdr h = { .type = type, .req_id = id, .len = (uint32_t)n };

	memcpy(b, &h, 16);
	memcpy(b + 16, pl, n);
	return 16 + n;
}

static void framing(void)
{
	static struct xsw_in in;
	static unsigned char msg[XSW_MSG_MAX + 1], buf[3 * XSW_MSG_MAX];
	struct xs_msg_hdr h;
	size_t n = 0, i;

	/* two messages, fed one byte at a time: each comes out whole, once */
	n += mk(buf + n, XS_READ, 1, "/a\0", 3);
	n += mk(buf + n, XS_WRITE, 2, "/b\0v", 4);
	memset(&in, 0, sizeof(in));
	for (i = 0; i < n; i++) {
		EXPECT(xsw_in_feed(&in, buf + i, 1) == 1);
		if (i == 18) {
			EXPECT(xsw_in_next(&in, &h, msg) == 1);
			EXPECT(h.type == XS_READ && h.req_id == 1 && h.len == 3 && !memcmp(msg + 16, "/a", 3));
		} else if (i == n - 1) {
			EXPECT(xsw_in_next(&in, &h, msg) == 1);
			EXPECT(h.type == XS_WRITE && h.req_id == 2 && !memcmp(msg + 16, "/b\0v", 4) && msg[20] == 0);
		} else {
			EXPECT(xsw_in_next(&in, &h, msg) == 0);
		}
	}
	EXPECT(in.have == 0);
	/* all at once, then a payload of the largest size */
	memset(&in, 0, sizeof(in));
	EXPECT(xsw_in_feed(&in, buf, n) == n);
	EXPECT(xsw_in_next(&in, &h, msg) == 1 && h.req_id == 1);
	EXPECT(xsw_in_next(&in, &h, msg) == 1 && h.req_id == 2);
	EXPECT(xsw_in_next(&in, &h, msg) == 0);
	memset(buf, 'x', sizeof(buf));
	n = mk(buf, XS_WRITE, 3, (const char *)buf + 16, XS_PAYLOAD_MAX);
	EXPECT(xsw_in_feed(&in, buf, n) == n);
	EXPECT(xsw_in_next(&in, &h, msg) == 1 && h.len == XS_PAYLOAD_MAX && msg[n] == 0);
	/* the buffer takes at most one message at a time */
	n = mk(buf, XS_WRITE, 4, (const char *)buf + 16, XS_PAYLOAD_MAX);
	n += mk(buf + n, XS_READ, 5, "/c\0", 3);
	EXPECT(xsw_in_feed(&in, buf, n) == XSW_MSG_MAX);
	EXPECT(xsw_in_next(&in, &h, msg) == 1 && h.req_id == 4);
	EXPECT(xsw_in_feed(&in, buf + XSW_MSG_MAX, n - XSW_MSG_MAX) == n - XSW_MSG_MAX);
	EXPECT(xsw_in_next(&in, &h, msg) == 1 && h.req_id == 5);
	/* oversized: known from the header alone */
	memset(&in, 0, sizeof(in));
	mk(buf, XS_READ, 6, "", 0);
	((struct xs_msg_hdr *)buf)->len = XS_PAYLOAD_MAX + 1;
	xsw_in_feed(&in, buf, 16);
	EXPECT(xsw_in_next(&in, &h, msg) == -EMSGSIZE);
	/* types a client never sends */
	for (i = 0; i < 4; i++) {
		static const uint32_t t[] = { XS_WATCH_EVENT, XS_ERROR, XS_TYPE_COUNT, 0xffffffffu };

		memset(&in, 0, sizeof(in));
		mk(buf, t[i], 7, "a\0", 2);
		xsw_in_feed(&in, buf, 18);
		EXPECT(xsw_in_next(&in, &h, msg) == -EPROTO);
	}
	h = (struct xs_msg_hdr){ .type = XS_DIRECTORY_PART, .len = 10 };
	EXPECT(xsw_hdr_check(&h) == 0);
	h.type = XS_CONTROL;
	EXPECT(xsw_hdr_check(&h) == 0);
}

static void hex(void)
{
	unsigned char in[XSW_MSG_MAX], out[XSW_MSG_MAX];
	static char txt[2 * XSW_MSG_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 3);
	xsw_hex(in, sizeof(in), txt);
	EXPECT(strlen(txt) == 2 * sizeof(in));
	EXPECT(xsw_unhex(txt, out, sizeof(out)) == (int)sizeof(in) && !memcmp(in, out, sizeof(in)));
	EXPECT(xsw_unhex(txt, out, sizeof(out) - 1) == -E2BIG);
	xsw_hex("\x00\xff\x10", 3, txt);
	EXPECT(!strcmp(txt, "00ff10"));
	EXPECT(xsw_unhex("00FF10", out, 3) == 3 && out[1] == 0xff);
	EXPECT(xsw_unhex("0", out, 3) == -EINVAL);
	EXPECT(xsw_unhex("0g", out, 3) == -EINVAL);
	EXPECT(xsw_unhex("0 ", out, 3) == -EINVAL);
	EXPECT(xsw_unhex("", out, 3) == 0);
}

static void route(void)
{
	static const struct { const char *path; int store; unsigned int id; int merge; } t[] = {
		{ "/", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain", XSW_HOST, 0, XSW_MERGE_DOMAINS },
		{ "/local/domain/0", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/0/name", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/0/backend", XSW_HOST, 0, XSW_MERGE_BACKEND },
		{ "/local/domain/0/backend/vbd", XSW_HOST, 0, XSW_MERGE_BACKEND },
		{ "/local/domain/0/backend/vbd/7", XSW_DOMAIN, 7, XSW_MERGE_NONE },
		{ "/local/domain/0/backend/vbd/7/51712/state", XSW_DOMAIN, 7, XSW_MERGE_NONE },
		{ "/local/domain/0/backend/vbd/x", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/0/backend/vbd/07", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/0/backendx", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/12", XSW_DOMAIN, 12, XSW_MERGE_NONE },
		{ "/local/domain/12/control/shutdown", XSW_DOMAIN, 12, XSW_MERGE_NONE },
		{ "/local/domain/32751", XSW_DOMAIN, 32751, XSW_MERGE_NONE },
		{ "/local/domain/32752", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/123456", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domain/12x", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/local/domainx/12", XSW_HOST, 0, XSW_MERGE_NONE },
		{ "/vm/1234", XSW_HOST, 0, XSW_MERGE_NONE },
	};
	unsigned int i, id;
	int merge;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int s = xsw_route(t[i].path, &id, &merge);

		if (s != t[i].store || id != t[i].id || merge != t[i].merge)
			printf("  %s: store %d id %u merge %d\n", t[i].path, s, id, merge);
		EXPECT(s == t[i].store && id == t[i].id && merge == t[i].merge);
	}
	EXPECT(xsw_route("local/domain/1", &id, &merge) == -EINVAL);
	EXPECT(xsw_under("/a/b", "/a") && xsw_under("/a", "/a") && !xsw_under("/ab", "/a"));
	EXPECT(xsw_under("/a", "/") && !xsw_under("/a", "/a/b"));
}

static void socket_path(void)
{
	char p[128];

	unsetenv("XENSTORED_PATH");
	unsetenv("XENSTORED_RUNDIR");
	EXPECT(xsw_socket_path(p, sizeof(p)) == 0 && !strcmp(p, "/var/run/xenstored/socket"));
	setenv("XENSTORED_RUNDIR", "/tmp/r", 1);
	EXPECT(xsw_socket_path(p, sizeof(p)) == 0 && !strcmp(p, "/tmp/r/socket"));
	setenv("XENSTORED_PATH", "/tmp/s", 1);
	EXPECT(xsw_socket_path(p, sizeof(p)) == 0 && !strcmp(p, "/tmp/s"));
	memset(p, 'a', 120);
	p[0] = '/';
	p[120] = 0;
	setenv("XENSTORED_PATH", p, 1);
	EXPECT(xsw_socket_path(p, sizeof(p)) == -ENAMETOOLONG);
	unsetenv("XENSTORED_PATH");
	unsetenv("XENSTORED_RUNDIR");
}

int main(void)
{
	RUN(UNIT_PREFIX, framing);
	RUN(UNIT_PREFIX, hex);
	RUN(UNIT_PREFIX, route);
	RUN(UNIT_PREFIX, socket_path);
	return unit_failed;
}
