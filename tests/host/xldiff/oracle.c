// SPDX-License-Identifier: MIT
/*
 * The oracle: Xen 4.17's libxlutil (xlu_cfg_readdata, xlu_cfg_get_*,
 * xlu_disk_parse, xlu_vif_parse_rate) run in a child process (the
 * server below), since it asserts on some inputs.  libxlutil cannot list
 * the keys it read, so the child asks for each candidate key
 * (keys_from_text) and answers what exists in the canonical form of
 * xldiff.h:
 *   A                      accepted, then
 *   =key=VALUE             per key (VALUE: "..." or [VALUE,...])
 *   Xmessage               rejected, the report (quoted, one line)
 * or for one disk spec or rate= value, one line (spec_line).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <libxlutil.h>
#include "xldiff.h"

static void out_value(const XLU_Config *cfg, XLU_ConfigValue *v, struct sbuf *b, int depth)
{
	if (xlu_cfg_value_type(v) == XLU_STRING) {
		char *s = NULL;

		xlu_cfg_value_get_string(cfg, v, &s, 1);
		sb_quote(b, s ? s : "", s ? strlen(s) : 0);
	} else {
		XLU_ConfigList *l = NULL;
		XLU_ConfigValue *it;
		int i;

		xlu_cfg_value_get_list(cfg, v, &l, 1);
		sb_add(b, "[", 1);
		for (i = 0; l && (it = xlu_cfg_get_listitem2(l, i)); i++) {
			if (i)
				sb_add(b, ",", 1);
			out_value(cfg, it, b, depth + 1);
		}
		sb_add(b, "]", 1);
	}
}

static const char *fmt_name(libxl_disk_format f, const char *path)
{
	switch (f) {
	case LIBXL_DISK_FORMAT_UNKNOWN:
	case LIBXL_DISK_FORMAT_RAW:
		return path && *path ? "raw" : "empty";
	case LIBXL_DISK_FORMAT_EMPTY:
		return "empty";
	default:
		return libxl_disk_format_to_string(f);
	}
}

/* One disk or rate spec, in this (child) process; a canonical line. */
static void spec_line(XLU_Config *cfg, const char *spec, bool disk, struct sbuf *b)
{
	int r;

	if (disk) {
		libxl_device_disk d;
		const char *specs[1] = { spec };

		libxl_device_disk_init(&d);
		r = xlu_disk_parse(cfg, 1, specs, &d);
		if (r) {
			sb_printf(b, "error");
			return;
		}
		sb_printf(b, "ok target=");
		sb_quote(b, d.pdev_path ? d.pdev_path : "", d.pdev_path ? strlen(d.pdev_path) : 0);
		sb_printf(b, " vdev=");
		sb_quote(b, d.vdev ? d.vdev : "", d.vdev ? strlen(d.vdev) : 0);
		sb_printf(b, " ro=%d cdrom=%d discard=%s fmt=%s script=%s",
			  !d.readwrite || d.is_cdrom, !!d.is_cdrom,
			  !libxl_defbool_is_default(d.discard_enable) && !libxl_defbool_val(d.discard_enable) ? "no" : "-",
			  fmt_name(d.format, d.pdev_path), d.script ? "yes" : "-");
	} else {
		libxl_device_nic nic;

		libxl_device_nic_init(&nic);
		r = xlu_vif_parse_rate(cfg, spec, &nic);
		if (r) {
			sb_printf(b, "error");
			return;
		}
		sb_printf(b, "ok bpi=%llu us=%u", (unsigned long long)nic.rate_bytes_per_interval,
			  nic.rate_interval_usecs);
	}
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		s += w;
		n -= (size_t)w;
	}
}

/* One request in the server: parse, then the answer into @b. */
static void answer(struct sbuf *b, const char *text, size_t len, const struct keys *ks, const char *spec,
		   bool disk)
{
	char *rep = NULL;
	size_t replen = 0;
	FILE *report = open_memstream(&rep, &replen);
	XLU_Config *cfg = report ? xlu_cfg_init(report, "cfg") : NULL;
	size_t i;
	int r;

	if (!cfg)
		_exit(4);
	/* each request as a fresh xl process sees it: xlu_vif_parse_rate
	 * reads errno without clearing it first, so an overflow in one rate
	 * (ERANGE) would fail every later one */
	errno = 0;
	if (spec) {
		spec_line(cfg, spec, disk, b);
		goto out;
	}
	r = xlu_cfg_readdata(cfg, text, (int)len);
	if (r) {
		fflush(report);
		sb_add(b, "X", 1);
		sb_quote(b, rep ? rep : "", replen);
		sb_add(b, "\n", 1);
		goto out;
	}
	sb_add(b, "A\n", 2);
	for (i = 0; i < ks->n; i++) {
		const char *s;

		r = xlu_cfg_get_string(cfg, ks->k[i], &s, 1);
		if (r == ESRCH)
			continue;
		sb_printf(b, "=%s=", ks->k[i]);
		if (r == 0) {
			sb_quote(b, s, strlen(s));
		} else {
			XLU_ConfigList *l;
			XLU_ConfigValue *it;
			int n, j;

			sb_add(b, "[", 1);
			if (!xlu_cfg_get_list(cfg, ks->k[i], &l, &n, 1))
				for (j = 0; (it = xlu_cfg_get_listitem2(l, j)); j++) {
					if (j)
						sb_add(b, ",", 1);
					out_value(cfg, it, b, 1);
				}
			sb_add(b, "]", 1);
		}
		sb_add(b, "\n", 1);
	}
out:
	xlu_cfg_destroy(cfg);
	fclose(report);
	free(rep);
}

/*
 * The server: one libxlutil process answers many requests (a fork per
 * input cost more than the parsing).  Request: u32 kind (0 config,
 * 1 disk spec, 2 rate), u32 length, the text, u32 number of keys, each
 * u32 length and the key.
 * Answer: u32 length and the canonical text.
 */
static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void send_part(int fd, const struct sbuf *b)
{
	struct sbuf m = { 0 };
	uint32_t n = (uint32_t)b->len;

	sb_add(&m, (const char *)&n, 4);
	sb_add(&m, b->s ? b->s : "", b->len);
	write_all(fd, m.s, m.len);
	sb_free(&m);
}

static void server(int in, int out)
{
	FILE *fin = fdopen(in, "rb");

	if (!fin)
		_exit(5);
	for (;;) {
		uint32_t hdr[2], nk, kl, i;
		struct keys ks = { 0 };
		struct sbuf b = { 0 };
		char *text;

		if (fread(hdr, sizeof(hdr), 1, fin) != 1)
			_exit(0);
		text = malloc(hdr[1] + 1);
		if (!text || (hdr[1] && fread(text, hdr[1], 1, fin) != 1) || fread(&nk, 4, 1, fin) != 1)
			_exit(5);
		text[hdr[1]] = 0;
		for (i = 0; i < nk; i++) {
			char *k;

			if (fread(&kl, 4, 1, fin) != 1 || !(k = malloc(kl + 1)) || (kl && fread(k, kl, 1, fin) != 1))
				_exit(5);
			k[kl] = 0;
			keys_add(&ks, k);
			free(k);
		}
		if (hdr[0] == 0)
			answer(&b, text, hdr[1], &ks, NULL, false);
		else
			answer(&b, NULL, 0, NULL, text, hdr[0] == 1);
		send_part(out, &b);
		sb_free(&b);
		keys_free(&ks);
		free(text);
	}
}

static pid_t srv_pid;
static int srv_in = -1, srv_out = -1;

static void srv_start(void)
{
	int a[2], b[2];

	if (pipe(a) || pipe(b)) {
		perror("xldiff: pipe");
		exit(2);
	}
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	srv_pid = fork();
	if (srv_pid < 0) {
		perror("xldiff: fork");
		exit(2);
	}
	if (srv_pid == 0) {
		close(a[1]);
		close(b[0]);
		/* libxlutil's assertion messages are not ours to print */
		if (!getenv("XLDIFF_XL_STDERR"))
			(void)!freopen("/dev/null", "w", stderr);
		server(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	srv_in = a[1];
	srv_out = b[0];
}

/* The server died: its wait status; the next request starts a new one. */
static int srv_dead(void)
{
	int st = 0;

	close(srv_in);
	close(srv_out);
	srv_in = srv_out = -1;
	while (waitpid(srv_pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static int put(const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(srv_in, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Ask the server; 0 and the answer in @out, or the wait status of its
 * death (| 0x10000).  The request goes in one write. */
static int ask(uint32_t kind, const char *text, size_t len, const struct keys *ks, struct sbuf *out)
{
	uint32_t hdr[2] = { kind, (uint32_t)len }, nk = ks ? (uint32_t)ks->n : 0, n, i;
	struct sbuf req = { 0 };
	char *buf;
	int bad;

	sb_add(&req, (const char *)hdr, sizeof(hdr));
	sb_add(&req, text, len);
	sb_add(&req, (const char *)&nk, 4);
	for (i = 0; i < nk; i++) {
		uint32_t kl = (uint32_t)strlen(ks->k[i]);

		sb_add(&req, (const char *)&kl, 4);
		sb_add(&req, ks->k[i], kl);
	}
	if (srv_in < 0)
		srv_start();
	bad = put(req.s, req.len);
	sb_free(&req);
	if (bad || read_all(srv_out, &n, 4))
		return srv_dead() | 0x10000;
	buf = malloc(n ? n : 1);
	if (!buf || read_all(srv_out, buf, n)) {
		free(buf);
		return srv_dead() | 0x10000;
	}
	sb_add(out, buf, n);
	free(buf);
	return 0;
}

void xl_run(const char *text, size_t len, const struct keys *ks, struct result *r)
{
	struct sbuf out = { 0 };
	int st;
	char *line, *save = NULL;
	bool accepted = false;

	memset(r, 0, sizeof(*r));
	/* the disk and vif specs are compared one by one (xl_disk_rate) */
	st = ask(0, text, len, ks, &out) & 0xffff;
	if (st) {
		r->crashed = true;
		if (WIFSIGNALED(st))
			sb_printf(&r->msg, "libxlutil died with signal %d", WTERMSIG(st));
		else
			sb_printf(&r->msg, "libxlutil's process ended with status %d", WEXITSTATUS(st));
	}
	sb_add(&out, "", 0);
	for (line = strtok_r(out.s ? out.s : (char[]){ 0 }, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		switch (line[0]) {
		case 'A':
			accepted = true;
			break;
		case '=':
			sb_printf(&r->store, "%s\n", line + 1);
			break;
		case 'X':
			sb_printf(&r->msg, "%s", line + 1);
			break;
		}
	}
	r->ok = accepted;
	sb_free(&out);
}

void xl_disk_rate(const char *spec, bool disk, struct sbuf *b)
{
	struct sbuf out = { 0 };
	int st = ask(disk ? 1 : 2, spec, strlen(spec), NULL, &out);

	if (st && WIFSIGNALED(st & 0xffff))
		sb_printf(b, "died with signal %d", WTERMSIG(st & 0xffff));
	else if (st)
		sb_printf(b, "died");
	else
		sb_add(b, out.s ? out.s : "", out.len);
	sb_free(&out);
}
