// SPDX-License-Identifier: MIT
/*
 * The oracle: Xen 4.17's libxlutil (xlu_cfg_readdata, xlu_cfg_get_*,
 * xlu_disk_parse, xlu_vif_parse_rate) run in a child process per input,
 * since it asserts on some inputs.  libxlutil cannot list the keys it
 * read, so the child asks for each candidate key (keys_from_text) and
 * writes what exists in the canonical form of xldiff.h to a pipe:
 *   A                      accepted, then
 *   =key=VALUE             per key (VALUE: "..." or [VALUE,...])
 *   Dline / Rline          per disk entry / per vif entry with rate=
 *   Xmessage               rejected, the report (quoted, one line)
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

/* The value of "rate=" in a vif spec, or NULL (the test's own split,
 * the same for both parsers). */
static char *rate_of(const char *vif)
{
	const char *p = vif;

	while (p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "rate=", 5)) {
			const char *e = strchr(p, ',');

			return strndup(p + 5, e ? (size_t)(e - p - 5) : strlen(p + 5));
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

static void list_specs(XLU_Config *cfg, const char *key, char tag, struct sbuf *b)
{
	XLU_ConfigList *l;
	XLU_ConfigValue *it;
	int n, i;

	if (xlu_cfg_get_list(cfg, key, &l, &n, 1))
		return;
	for (i = 0; (it = xlu_cfg_get_listitem2(l, i)); i++) {
		char *s = NULL, *rate;

		if (xlu_cfg_value_type(it) != XLU_STRING || xlu_cfg_value_get_string(cfg, it, &s, 1) || !s)
			continue;
		if (tag == 'D') {
			sb_printf(b, "D%d ", i);
			spec_line(cfg, s, true, b);
			sb_add(b, "\n", 1);
		} else if ((rate = rate_of(s))) {
			sb_printf(b, "R%d ", i);
			spec_line(cfg, rate, false, b);
			sb_add(b, "\n", 1);
			free(rate);
		}
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

/* The child: parse, then answer on @fd. */
static void child(int fd, const char *text, size_t len, const struct keys *ks, const char *spec, bool disk)
{
	char *rep = NULL;
	size_t replen = 0;
	FILE *report = open_memstream(&rep, &replen);
	XLU_Config *cfg = xlu_cfg_init(report, "cfg");
	struct sbuf b = { 0 };
	size_t i;
	int r;

	if (!cfg)
		_exit(4);
	if (spec) {
		spec_line(cfg, spec, disk, &b);
		write_all(fd, b.s, b.len);
		_exit(0);
	}
	r = xlu_cfg_readdata(cfg, text, (int)len);
	if (r) {
		fflush(report);
		sb_add(&b, "X", 1);
		sb_quote(&b, rep ? rep : "", replen);
		sb_add(&b, "\n", 1);
		write_all(fd, b.s, b.len);
		_exit(0);
	}
	sb_add(&b, "A\n", 2);
	for (i = 0; i < ks->n; i++) {
		const char *s;

		r = xlu_cfg_get_string(cfg, ks->k[i], &s, 1);
		if (r == ESRCH)
			continue;
		sb_printf(&b, "=%s=", ks->k[i]);
		if (r == 0) {
			sb_quote(&b, s, strlen(s));
		} else {
			XLU_ConfigList *l;
			XLU_ConfigValue *it;
			int n, j;

			sb_add(&b, "[", 1);
			if (!xlu_cfg_get_list(cfg, ks->k[i], &l, &n, 1))
				for (j = 0; (it = xlu_cfg_get_listitem2(l, j)); j++) {
					if (j)
						sb_add(&b, ",", 1);
					out_value(cfg, it, &b, 1);
				}
			sb_add(&b, "]", 1);
		}
		sb_add(&b, "\n", 1);
	}
	/* the store first: a disk spec that makes libxlutil abort loses
	 * only the disk lines */
	write_all(fd, b.s, b.len);
	b.len = 0;
	list_specs(cfg, "disk", 'D', &b);
	write_all(fd, b.s, b.len);
	b.len = 0;
	list_specs(cfg, "vif", 'R', &b);
	write_all(fd, b.s, b.len);
	_exit(0);
}

/* Fork the child and collect its answer into @out; the wait status. */
static int run_child(const char *text, size_t len, const struct keys *ks, const char *spec, bool disk,
		     struct sbuf *out)
{
	int p[2], st = 0;
	pid_t pid;
	char buf[65536];
	ssize_t n;

	if (pipe(p)) {
		perror("xldiff: pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("xldiff: fork");
		exit(2);
	}
	if (pid == 0) {
		close(p[0]);
		/* libxlutil's assertion messages are not ours to print */
		if (!getenv("XLDIFF_XL_STDERR"))
			(void)!freopen("/dev/null", "w", stderr);
		child(p[1], text, len, ks, spec, disk);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		sb_add(out, buf, (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

void xl_run(const char *text, size_t len, const struct keys *ks, struct result *r)
{
	struct sbuf out = { 0 };
	int st = run_child(text, len, ks, NULL, false, &out);
	char *line, *save = NULL;
	bool accepted = false;

	memset(r, 0, sizeof(*r));
	if (WIFSIGNALED(st)) {
		r->crashed = true;
		sb_printf(&r->msg, "libxlutil died with signal %d", WTERMSIG(st));
	}
	sb_add(&out, "", 1);	/* NUL-terminate */
	for (line = strtok_r(out.s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		switch (line[0]) {
		case 'A':
			accepted = true;
			break;
		case '=':
			sb_printf(&r->store, "%s\n", line + 1);
			break;
		case 'D':
			sb_printf(&r->disks, "%s\n", line + 1);
			break;
		case 'R':
			sb_printf(&r->rates, "%s\n", line + 1);
			break;
		case 'X':
			sb_printf(&r->msg, "%s", line + 1);
			break;
		}
	}
	/* died in a disk spec after the store was written: the store stands */
	r->ok = accepted;
	if (r->crashed && r->ok)
		sb_printf(&r->disks, "died with signal %d\n", WTERMSIG(st));
	sb_free(&out);
}

void xl_disk_rate(const char *spec, bool disk, struct sbuf *b)
{
	struct sbuf out = { 0 };
	int st = run_child(NULL, 0, NULL, spec, disk, &out);

	if (WIFSIGNALED(st))
		sb_printf(b, "died with signal %d", WTERMSIG(st));
	else
		sb_add(b, out.s ? out.s : "", out.len);
}
