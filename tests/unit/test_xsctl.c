// SPDX-License-Identifier: MIT
/*
 * The xenstore admin requests: the launcher's handlers (userland/launcher/
 * xsctl.c) on a real store, talking over a socketpair to the client side
 * of the line protocol (userland/ctl/ctl.c: escaping, listings), and the
 * path check the CLI uses (xs_path_check).  Hostile input: bad paths, bad
 * escapes, oversized values, cut and lying listings, a client that stops
 * reading a large listing.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "launcher.h"
#include "unit.h"
#include "xswire.h"

#include "unit_llog.h"	/* the launcher's log, counted */

static struct launcher L;
static int sv[2];

static void setup(void)
{
	memset(&L, 0, sizeof(L));
	snprintf(L.cfg.name, sizeof(L.cfg.name), "g1");
	L.domid = 7;
	L.xs = xs_new(7, "g1");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = sv[1] = -1;
}

static void teardown(void)
{
	xs_free(L.xs);
	L.xs = NULL;
	close(sv[0]);
	close(sv[1]);
}

/* The one answer line the handler wrote (without the newline). */
static char *answer(void)
{
	static char buf[DOMUS_CTL_REQ_MAX + 8];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = sv[1], .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 || read(sv[1], buf + n, 1) != 1)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return buf;
}

static void test_path_check(void)
{
	char big[XS_PATH_MAX + 2];

	EXPECT(xs_path_check("/") == 0);
	EXPECT(xs_path_check("/local/domain/7/name") == 0);
	EXPECT(xs_path_check("name") == 0);
	EXPECT(xs_path_check("device/vbd/51712/state") == 0);
	EXPECT(xs_path_check("data/a_b-c@d") == 0);
	EXPECT(xs_path_check("") == -EINVAL);
	EXPECT(xs_path_check(NULL) == -EINVAL);
	EXPECT(xs_path_check("a//b") == -EINVAL);
	EXPECT(xs_path_check("/a/") == -EINVAL);
	EXPECT(xs_path_check("a b") == -EINVAL);
	EXPECT(xs_path_check("a\nb") == -EINVAL);
	EXPECT(xs_path_check("a/../b") == -EINVAL);
	EXPECT(xs_path_check("@releaseDomain") == -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	EXPECT(xs_path_check(big) == -E2BIG);
	big[0] = '/';
	big[XS_PATH_MAX] = 0;
	EXPECT(xs_path_check(big) == 0);
}

static void test_escape(void)
{
	unsigned char all[256], back[256];
	char esc[4 * 256 + 1], small[8];
	int i, n;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	n = (int)domus_ctl_escape(all, sizeof(all), esc, sizeof(esc));
	EXPECT(n == (int)strlen(esc));
	EXPECT(!strchr(esc, '\n') && !strchr(esc, '\r'));
	EXPECT(domus_ctl_unescape(esc, back, sizeof(back)) == 256);
	EXPECT(!memcmp(all, back, sizeof(all)));
	EXPECT(domus_ctl_escape("a\"b\\c\n", 6, esc, sizeof(esc)) == 11);
	EXPECT(!strcmp(esc, "a\\\"b\\\\c\\x0a"));
	/* too small: the length needed, the text cut and terminated */
	EXPECT(domus_ctl_escape("abcdefghij", 10, small, sizeof(small)) == 10);
	EXPECT(strlen(small) == sizeof(small) - 1);
	/* hostile escapes */
	EXPECT(domus_ctl_unescape("\\", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("\\x4", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("\\xg0", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("\\n", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("a\"b", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("a\tb", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("\x80", back, sizeof(back)) == -EINVAL);
	EXPECT(domus_ctl_unescape("abcd", back, 3) == -E2BIG);
	EXPECT(domus_ctl_unescape("", back, 0) == 0);
}

static void test_read_write(void)
{
	char val[64], req[DOMUS_CTL_REQ_MAX + 8], big[XS_VALUE_MAX + 2];
	int n;

	setup();
	l_ctl_xs_read(&L, sv[0], "name");
	EXPECT(!strcmp(answer(), "ok g1"));
	l_ctl_xs_read(&L, sv[0], "/local/domain/7/domid");
	EXPECT(!strcmp(answer(), "ok 7"));
	/* a value with every kind of byte goes in escaped and comes back */
	unit_nlogs = 0;
	l_ctl_xs_write(&L, sv[0], "data/x a\\x00b\\\\ \\\"c\\x0a");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(unit_nlogs == 1);
	n = xs_read(L.xs, "data/x", val, sizeof(val));
	EXPECT(n == 8 && !memcmp(val, "a\0b\\ \"c\n", 8));
	l_ctl_xs_read(&L, sv[0], "data/x");
	EXPECT(!strcmp(answer(), "ok a\\x00b\\\\ \\\"c\\x0a"));
	/* the empty value; missing parents are created */
	l_ctl_xs_write(&L, sv[0], "data/p/q/r ");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(xs_read(L.xs, "data/p/q/r", val, sizeof(val)) == 0);
	EXPECT(xs_read(L.xs, "data/p", val, sizeof(val)) == 0);
	/* errors: one line each, and nothing changed */
	l_ctl_xs_read(&L, sv[0], "data/missing");
	EXPECT(!strcmp(answer(), "error data/missing: no such node"));
	l_ctl_xs_write(&L, sv[0], "data/nospace");
	EXPECT(!strncmp(answer(), "error xs-write needs a path and a value", 39));
	l_ctl_xs_write(&L, sv[0], "data/y \\q");
	EXPECT(!strcmp(answer(), "error data/y: badly escaped value"));
	l_ctl_xs_write(&L, sv[0], "data/y a\nb");
	EXPECT(!strcmp(answer(), "error data/y: badly escaped value"));
	EXPECT(xs_read(L.xs, "data/y", val, sizeof(val)) == -ENOENT);
	l_ctl_xs_write(&L, sv[0], "a//b v");
	EXPECT(!strncmp(answer(), "error a//b: invalid path", 24));
	l_ctl_xs_read(&L, sv[0], "bad\x01path\x1b[2J");
	EXPECT(!strncmp(answer(), "error bad\\x01path\\x1b[2J: invalid path", 38));
	/* 4096 bytes are fine, 4097 are not */
	memset(big, 'v', sizeof(big));
	big[XS_VALUE_MAX] = 0;
	snprintf(req, sizeof(req), "data/big %s", big);
	l_ctl_xs_write(&L, sv[0], req);
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(xs_read(L.xs, "data/big", NULL, 0) == XS_VALUE_MAX);
	big[XS_VALUE_MAX] = 'v';
	big[XS_VALUE_MAX + 1] = 0;
	snprintf(req, sizeof(req), "data/big2 %s", big);
	l_ctl_xs_write(&L, sv[0], req);
	EXPECT(!strcmp(answer(), "error data/big2: value longer than 4096 bytes"));
	/* rm: recursive; a missing node under an existing parent is fine */
	l_ctl_xs_rm(&L, sv[0], "data/p");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(xs_read(L.xs, "data/p/q", val, sizeof(val)) == -ENOENT);
	l_ctl_xs_rm(&L, sv[0], "/");
	EXPECT(!strncmp(answer(), "error /: ", 9));
	EXPECT(xs_read(L.xs, "name", val, sizeof(val)) == 2);
	teardown();

	/* a domain without a store */
	setup();
	xs_free(L.xs);
	L.xs = NULL;
	l_ctl_xs_read(&L, sv[0], "name");
	EXPECT(!strcmp(answer(), "error g1 has no xenstore"));
	teardown();
}

struct lines {
	int n;
	char text[64][128];
};

static int keep_line(void *opaque, char *t)
{
	struct lines *l = opaque;

	if (l->n < 64)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", t);
	return 0;
}

static bool has(const struct lines *l, const char *t)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->text[i], t))
			return true;
	return false;
}

static void test_listings(void)
{
	struct lines l = { 0 };

	setup();
	xs_write(L.xs, "data/a", "1");
	xs_write(L.xs, "data/b", "two words");
	l_ctl_xs_list(&L, sv[0], "data");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 1000) == 0);
	EXPECT(l.n == 2 && has(&l, "a") && has(&l, "b"));

	memset(&l, 0, sizeof(l));
	l_ctl_xs_ls(&L, sv[0], "data");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 1000) == 0);
	EXPECT(l.n == 3);
	EXPECT(has(&l, "/local/domain/7/data n7 "));
	EXPECT(has(&l, "/local/domain/7/data/b n7 two words"));

	/* the whole store: the domain's keys with their permissions */
	memset(&l, 0, sizeof(l));
	l_ctl_xs_ls(&L, sv[0], "/");
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 1000) == 0);
	EXPECT(has(&l, "/ n0 "));
	EXPECT(has(&l, "/local/domain/7/name n0,r7 g1"));
	EXPECT(has(&l, "/local/domain/7/domid n0,r7 7"));

	l_ctl_xs_ls(&L, sv[0], "nothere");
	EXPECT(!strcmp(answer(), "error nothere: no such node"));
	l_ctl_xs_list(&L, sv[0], "/x/");
	EXPECT(!strncmp(answer(), "error /x/: invalid path", 23));
	teardown();
}

/* The client side refuses cut and lying listings. */
static void test_read_lines_hostile(void)
{
	static const char *bad[] = {
		"a\nb\nend 3\n",	/* count lies */
		"a\nb\n",		/* cut: closed before the end */
		"a\nend x\n",
		"a\nend 1 extra\n",
	};
	struct lines l;
	size_t i;
	char *huge;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		memset(&l, 0, sizeof(l));
		EXPECT(write(sv[0], bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]));
		shutdown(sv[0], SHUT_WR);
		EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 1000) == -EPROTO);
		teardown();
	}
	/* a line longer than any request or answer */
	setup();
	huge = malloc(DOMUS_CTL_REQ_MAX + 100);
	memset(huge, 'x', DOMUS_CTL_REQ_MAX + 100);
	EXPECT(write(sv[0], huge, DOMUS_CTL_REQ_MAX + 100) > 0);
	shutdown(sv[0], SHUT_WR);
	EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 1000) == -EPROTO);
	free(huge);
	teardown();
	/* silence: the timeout */
	setup();
	EXPECT(domus_ctl_read_lines(sv[1], keep_line, &l, 100) == -ETIMEDOUT);
	teardown();
}

/* A client that stops reading a large listing costs the launcher at most
 * the stall limit, and the listing is abandoned (unit_nlogs). */
static void test_stalled_client(void)
{
	static char big[XS_VALUE_MAX + 1];
	struct timespec a, b;
	char path[64];
	int i, sz = 4096;
	double secs;

	setup();
	memset(big, '\x01', XS_VALUE_MAX);	/* 4 bytes escaped each */
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "data/n%d", i);
		xs_write(L.xs, path, big);
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	unit_nlogs = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	l_ctl_xs_ls(&L, sv[0], "/");
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	EXPECT(secs < 6.0);
	EXPECT(secs >= 1.5);
	EXPECT(unit_nlogs == 1);
	teardown();
}

/* xs-wire (xsfwd.c): one wire message in hex and its reply */
static void test_xs_wire(void)
{
	static char req[2 * XSW_MSG_MAX + 16];
	unsigned char msg[XSW_MSG_MAX], rep[XSW_MSG_MAX];
	struct xs_msg_hdr h = { .type = XS_READ, .req_id = 42, .len = 21 };
	char *a;
	int n;

	setup();
	memcpy(msg, &h, 16);
	memcpy(msg + 16, "/local/domain/7/name", 21);
	xsw_hex(msg, 37, req);
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	a = answer();
	EXPECT(!strncmp(a, "ok ", 3));
	n = xsw_unhex(a + 3, rep, sizeof(rep));
	memcpy(&h, rep, 16);
	EXPECT(n == 18 && h.type == XS_READ && h.req_id == 42 && h.len == 2 && !memcmp(rep + 16, "g1", 2));
	/* a write as domain 0, then an error reply */
	h = (struct xs_msg_hdr){ .type = XS_WRITE, .req_id = 1, .len = 24 };
	memcpy(msg, &h, 16);
	memcpy(msg + 16, "/local/domain/7/data/w\0v", 24);
	xsw_hex(msg, 40, req);
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	a = answer();
	n = xsw_unhex(a + 3, rep, sizeof(rep));
	memcpy(&h, rep, 16);
	EXPECT(n == 19 && h.type == XS_WRITE && h.req_id == 1 && !strcmp((char *)rep + 16, "OK"));
	{
		char v[8];

		EXPECT(xs_read(L.xs, "data/w", v, sizeof(v)) == 1 && v[0] == 'v');
	}
	h = (struct xs_msg_hdr){ .type = XS_READ, .req_id = 2, .len = 8 };
	memcpy(msg, &h, 16);
	memcpy(msg + 16, "/nosuch", 8);
	xsw_hex(msg, 24, req);
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	a = answer();
	n = xsw_unhex(a + 3, rep, sizeof(rep));
	memcpy(&h, rep, 16);
	EXPECT(n == 23 && h.type == XS_ERROR && !strcmp((char *)rep + 16, "ENOENT"));
	/* hostile: bad hex, short, a length that lies, oversized, a reply type */
	EXPECT(!l_ctl_xs_wire(&L, sv[0], "0g"));
	EXPECT(!strncmp(answer(), "error ", 6));
	EXPECT(!l_ctl_xs_wire(&L, sv[0], "0102"));
	EXPECT(!strncmp(answer(), "error ", 6));
	xsw_hex(msg, 23, req);				/* len 8, 7 came */
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	EXPECT(!strncmp(answer(), "error xs-wire: a malformed", 26));
	h = (struct xs_msg_hdr){ .type = XS_READ, .len = XS_PAYLOAD_MAX + 1 };
	memcpy(msg, &h, 16);
	xsw_hex(msg, 16, req);
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	EXPECT(!strncmp(answer(), "error xs-wire: a malformed", 26));
	h = (struct xs_msg_hdr){ .type = XS_WATCH_EVENT, .len = 0 };
	memcpy(msg, &h, 16);
	xsw_hex(msg, 16, req);
	EXPECT(!l_ctl_xs_wire(&L, sv[0], req));
	EXPECT(!strncmp(answer(), "error xs-wire: a malformed", 26));
	teardown();
}

/* One line of a watch stream (without the newline), "" after 1 s. */
static char *stream_line(int fd)
{
	static char buf[XS_PATH_MAX + 2];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 || read(fd, buf + n, 1) != 1)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return buf;
}

/* xs-watch (xsfwd.c): a stream of changed paths; it ends with its client */
static void test_xs_watch(void)
{
	int w[5][2], i;
	char *a;

	setup();
	for (i = 0; i < 5; i++)
		EXPECT(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w[i]));
	EXPECT(l_ctl_xs_watch(&L, w[0][0], ""));	/* kept */
	EXPECT(!strcmp(stream_line(w[0][1]), "ok"));
	EXPECT(!strcmp(stream_line(w[0][1]), "/"));	/* the registration's own */
	EXPECT(!xs_write(L.xs, "data/a", "1"));
	EXPECT(!strcmp(stream_line(w[0][1]), "/local/domain/7/data/a"));
	EXPECT(!xs_rm(L.xs, "data/a"));
	EXPECT(!strcmp(stream_line(w[0][1]), "/local/domain/7/data/a"));
	/* four streams at most */
	for (i = 1; i < 4; i++)
		EXPECT(l_ctl_xs_watch(&L, w[i][0], ""));
	EXPECT(!l_ctl_xs_watch(&L, w[4][0], ""));
	a = stream_line(w[4][1]);
	EXPECT(!strncmp(a, "error too many", 14));
	close(w[4][0]);
	close(w[4][1]);
	/* a client that closes its end: its stream ends, its slot is free */
	close(w[0][1]);
	l_xs_watch_service(&L);
	EXPECT(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w[0]));
	EXPECT(l_ctl_xs_watch(&L, w[0][0], ""));
	EXPECT(!strcmp(stream_line(w[0][1]), "ok"));
	EXPECT(!strcmp(stream_line(w[0][1]), "/"));
	close(w[0][1]);
	l_xs_watch_service(&L);
	/* the store going ends every stream: the clients read EOF */
	l_xs_watch_close_all(&L);
	for (i = 1; i < 4; i++) {
		char c;

		while (read(w[i][1], &c, 1) == 1)
			;
		EXPECT(read(w[i][1], &c, 1) == 0);
		close(w[i][1]);
	}
	teardown();
}

int main(void)
{
	RUN(UNIT_PREFIX, test_path_check);
	RUN(UNIT_PREFIX, test_escape);
	RUN(UNIT_PREFIX, test_read_write);
	RUN(UNIT_PREFIX, test_listings);
	RUN(UNIT_PREFIX, test_read_lines_hostile);
	RUN(UNIT_PREFIX, test_stalled_client);
	RUN(UNIT_PREFIX, test_xs_wire);
	RUN(UNIT_PREFIX, test_xs_watch);
	return unit_failed;
}
