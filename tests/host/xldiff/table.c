// SPDX-License-Identifier: MIT
/*
 * The deliberate differences between domus's xl.cfg parser and Xen 4.17's
 * libxlutil: the one table (docs/testing.md points here).  An entry
 * explains a disagreement only when the input has its feature and, where
 * it can be checked, the disagreement goes away without it:
 *   - OURS_AS_IF: domus reads the text as libxlutil reads normalize(text);
 *   - XL_AS_IF:   libxlutil reads the text as domus reads normalize(text);
 *   - BOTH:       both agree on normalize(text);
 *   - a bound:    domus rejects with its limit's message, libxlutil accepts.
 * Any other disagreement fails the test with its input.
 */
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "xldiff.h"

enum mode { OURS_AS_IF, XL_AS_IF, BOTH };

/* Copy @text, applying @f to what is outside strings and comments (@out
 * false) or to the escapes inside strings.  A small scanner of xl's
 * lexical structure: "..." and '...' end at their quote or a newline,
 * '#' runs to the newline. */
struct scan {
	bool drop_cr;		/* drop CR outside strings */
	bool numeric;		/* escape the backslash of \xHH and \ooo */
};

static char *rewrite(const char *t, size_t len, const struct scan *sc, size_t *outlen)
{
	struct sbuf b = { 0 };
	size_t i = 0;

	while (i < len) {
		char c = t[i];

		if (c == '#') {
			while (i < len && t[i] != '\n')
				sb_add(&b, &t[i++], 1);
		} else if (c == '"' || c == '\'') {
			sb_add(&b, &t[i++], 1);
			while (i < len && t[i] != c && t[i] != '\n') {
				if (t[i] == '\\' && i + 1 < len && t[i + 1] != '\n') {
					char n = t[i + 1];

					if (sc->numeric && (n == 'x' || (n >= '0' && n <= '7')))
						sb_add(&b, "\\\\", 2);
					else
						sb_add(&b, &t[i], 2);
					i += 2;
					continue;
				}
				sb_add(&b, &t[i++], 1);
			}
			if (i < len && t[i] == c)
				sb_add(&b, &t[i++], 1);
		} else {
			if (!(sc->drop_cr && c == '\r'))
				sb_add(&b, &c, 1);
			i++;
		}
	}
	sb_add(&b, "", 0);
	*outlen = b.len;
	return b.s;
}

/*
 * The normalising entries: each has a feature, a normalisation that
 * removes it, and which parser is indifferent to it.  A disagreement is
 * explained when, for an entry whose feature the text has, the
 * indifferent parser reads the normalised text exactly as the text
 * (checked), and the disagreement on the normalised text is gone or
 * explained in turn (so two features in one text are both needed).
 */
enum { MAX_CHAIN = 4 };

static bool explained(const char *t, size_t len, const struct result *ours, const struct result *xl, int depth,
		      struct difference **used, int *nused);

/* @n: the normalised text (taken); @mode: who must read it unchanged. */
static bool chain(enum mode mode, char *n, size_t nlen, const struct result *ours, const struct result *xl,
		  int depth, struct difference **used, int *nused)
{
	struct result o2, x2;
	bool ok;

	both_run(n, nlen, &o2, &x2);
	switch (mode) {
	case OURS_AS_IF:	/* domus reads the feature as if it were not there */
		ok = results_agree(ours, &o2) && ours->msg.len == o2.msg.len;
		break;
	case XL_AS_IF:		/* libxlutil does */
		ok = results_agree(&x2, xl);
		break;
	default:		/* both read it differently: only the rest counts */
		ok = true;
		break;
	}
	if (ok)
		ok = results_agree(&o2, &x2) || explained(n, nlen, &o2, &x2, depth + 1, used, nused);
	result_free(&o2);
	result_free(&x2);
	free(n);
	return ok;
}

static char *dup_n(const char *t, size_t len, size_t extra)
{
	char *n = malloc(len + extra + 1);

	if (n)
		memcpy(n, t, len);
	return n;
}

static char *norm_numeric(const char *t, size_t len, size_t *nlen)
{
	struct scan sc = { .numeric = true };
	char *n = rewrite(t, len, &sc, nlen);

	if (*nlen == len && !memcmp(n, t, len)) {
		free(n);
		return NULL;
	}
	return n;
}

static char *norm_comment_eof(const char *t, size_t len, size_t *nlen)
{
	const char *last = len ? memrchr(t, '\n', len) : NULL;
	size_t from = last ? (size_t)(last - t) + 1 : 0;
	char *n;

	if (!len || t[len - 1] == '\n' || !memchr(t + from, '#', len - from) || !(n = dup_n(t, len, 1)))
		return NULL;
	n[len] = '\n';
	*nlen = len + 1;
	return n;
}

static char *norm_cr(const char *t, size_t len, size_t *nlen)
{
	struct scan sc = { .drop_cr = true };
	char *n;

	if (!memchr(t, '\r', len))
		return NULL;
	n = rewrite(t, len, &sc, nlen);
	if (*nlen == len) {
		free(n);
		return NULL;
	}
	return n;
}

/* libxlutil drops an illegal token at the very end of the text (its
 * lexer's error state never sees the end of its token): "x = 1." is
 * x = "1", and a NUL as the last byte is ignored.  The cut starts at the
 * last byte of the last line that xl's lexer cannot start a token with
 * ('+' alone and an unclosed quote included). */
static char *norm_junk_eof(const char *t, size_t len, size_t *nlen)
{
	size_t k;

	for (k = 1; k <= len && k <= 64 && t[len - k] != '\n'; k++) {
		unsigned char c = (unsigned char)t[len - k];

		/* not a byte a token or a blank starts with; a quote too
		 * (a string not closed before the end is such a token) */
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("[],=;# \t", c)) || c == 0) {
			char *n = dup_n(t, len - k, 0);

			*nlen = len - k;
			return n;
		}
	}
	return NULL;
}

static bool ours_says(const struct result *ours, const struct result *xl, const char *what)
{
	return !ours->ok && xl->ok && ours->msg.s && strstr(ours->msg.s, what);
}

static bool key_length(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t; (void)len;
	return ours_says(o, x, ": key longer than 79 characters");
}

static bool list_depth(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t; (void)len;
	return ours_says(o, x, ": lists nested more than 8 deep");
}

static bool string_length(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t; (void)len;
	return ours_says(o, x, ": string longer than 65536 bytes");
}

static bool number_length(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t; (void)len;
	return ours_says(o, x, ": number longer than 64 characters");
}

static bool key_count(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t; (void)len;
	return ours_says(o, x, ": more than 1024 keys");
}

static bool file_size(const char *t, size_t len, const struct result *o, const struct result *x)
{
	(void)t;
	return len > DOMUS_CFG_MAX_FILE && ours_says(o, x, ": config file larger than 1048576 bytes");
}

static bool json_view(const char *t, size_t len, const struct result *o, const struct result *x)
{
	return domus_config_is_json(t, len) && o->ok && !x->ok;
}


/* ---- disk and rate specs: @o and @x are the canonical lines --------- */

static bool ours_err(const char *o, const char *what)
{
	return !strncmp(o, "error: ", 7) && strstr(o, what);
}

static bool xl_ok(const char *x)
{
	return !strncmp(x, "ok ", 3);
}

/* TARGET,VDEV[,ACCESS] without a prefix: domus reads xm's form; xl reads
 * the positional fields as TARGET,FORMAT,VDEV,ACCESS.  Checked: xl reads
 * TARGET,raw,VDEV,ACCESS as domus reads the spec. */
static bool positional_3(const char *spec, bool disk, const char *o, const char *x)
{
	const char *c = strchr(spec, ',');
	struct sbuf n = { 0 }, x2 = { 0 };
	bool r;

	if (!disk || !c || memchr(spec, '=', (size_t)(c - spec)) || strncmp(o, "ok ", 3) || xl_ok(x))
		return false;
	sb_add(&n, spec, (size_t)(c - spec));
	sb_add(&n, ",raw", 4);
	sb_add(&n, c, strlen(c));
	xl_disk_rate(n.s, true, &x2);
	r = x2.s && !strcmp(x2.s, o);
	sb_free(&n);
	sb_free(&x2);
	return r;
}

/* xm's "w!" (write, even if shared): domus reads it as w; xl refuses it.
 * Checked: xl reads the spec with "w" as domus reads it with "w!". */
static bool access_w_bang(const char *spec, bool disk, const char *o, const char *x)
{
	const char *w = strstr(spec, "w!");
	struct sbuf n = { 0 }, x2 = { 0 }, o2 = { 0 };
	bool r;

	if (!disk || !w || strncmp(o, "ok ", 3) || xl_ok(x))
		return false;
	sb_add(&n, spec, (size_t)(w - spec) + 1);
	sb_add(&n, w + 2, strlen(w + 2));
	xl_disk_rate(n.s, true, &x2);
	/* xl may still need the format field (positional_3) */
	r = x2.s && (!strcmp(x2.s, o) || positional_3(n.s, true, o, x2.s));
	sb_free(&n);
	sb_free(&x2);
	sb_free(&o2);
	return r;
}

static bool non_raw(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && ours_err(o, "only raw images are served") && xl_ok(x);
}

static bool vdev_names(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && (ours_err(o, "vdev '") || ours_err(o, "no virtual device")) && xl_ok(x);
}

static bool relative_target(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && (ours_err(o, "is not an absolute path") || ours_err(o, "target= takes the path as it is") ||
			ours_err(o, "no target: ")) && xl_ok(x);
}

static bool block_scripts(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && (ours_err(o, "script= is not run by domus") || ours_err(o, "unknown prefix")) && xl_ok(x);
}

static bool virtio_disks(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && ours_err(o, "specification '") && xl_ok(x);
}

/* Keys and words of xl's disk syntax domus does not act on: backend=
 * (driver domains), colo*, trusted/untrusted, devtype=floppy,
 * backendtype=standalone. */
static bool other_disk_keys(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return disk && (ours_err(o, "unknown key '") || ours_err(o, "devtype '") || ours_err(o, "backendtype '") ||
			ours_err(o, "is not supported by domus")) && xl_ok(x);
}

static bool rate_zero(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return !disk && ours_err(o, "is zero: give at least 1B/s") && !strncmp(x, "ok bpi=0 ", 9);
}

static bool rate_interval(const char *spec, bool disk, const char *o, const char *x)
{
	(void)spec;
	return !disk && ours_err(o, "the interval must be 1 ms to 10 s") && xl_ok(x);
}


struct difference differences[] = {
	{ "numeric-escapes",
	  "`\\xHH` and `\\ooo` in a string: domus stores that byte (docs/cli.md); libxlutil 4.17 never stores it "
	  "and misreads the digits (`\"\\x41\"` is an error there, `\"\\101\"` the empty string)",
	  NULL, 0 },
	{ "comment-at-eof",
	  "a comment on the last line without a newline: domus reads the file; libxlutil's lexer needs the "
	  "newline after a comment (\"lexical error\")",
	  NULL, 0 },
	{ "carriage-return",
	  "CR outside strings (CRLF line ends, a file edited on Windows): domus reads it as a blank; libxlutil "
	  "fails with \"lexical error\"",
	  NULL, 0 },
	{ "junk-at-eof",
	  "an illegal token at the very end of the text, after the last newline (`x = 1.`, a NUL byte): "
	  "libxlutil drops it silently; domus rejects it with a message",
	  NULL, 0 },
	{ "key-length",
	  "a key longer than 79 characters: domus rejects it (bounded input; no Xen key is that long); "
	  "libxlutil has no limit",
	  key_length, 0 },
	{ "list-depth",
	  "lists nested more than 8 deep: domus rejects them (bounded recursion); libxlutil has no limit",
	  list_depth, 0 },
	{ "string-length",
	  "a string longer than 65536 bytes: domus rejects it (bounded input); libxlutil has no limit",
	  string_length, 0 },
	{ "number-length",
	  "a number longer than 64 characters: domus rejects it; libxlutil keeps the text",
	  number_length, 0 },
	{ "key-count",
	  "more than 1024 keys: domus rejects the file (bounded input); libxlutil has no limit",
	  key_count, 0 },
	{ "file-size",
	  "a config file larger than 1 MiB: domus rejects it (bounded input); libxlutil has no limit",
	  file_size, 0 },
	{ "json-view",
	  "a text that starts with '{': domus reads its JSON view of a config (docs/cli.md); libxlutil "
	  "rejects it",
	  json_view, 0 },
	/* disk specs and rates: the functions are in spec_table */
	{ "disk-positional-3",
	  "a disk TARGET,VDEV[,ACCESS] without a prefix (xm's form): domus reads it; xl reads positional fields "
	  "as TARGET,FORMAT,VDEV,ACCESS and fails on the VDEV as a format (checked: xl reads TARGET,raw,VDEV,ACCESS "
	  "as domus reads the spec)", NULL, 0 },
	{ "disk-access-w!",
	  "access w! (xm's write even if shared): domus reads it as w; xl refuses it (checked: xl reads the spec "
	  "with w as domus reads it)", NULL, 0 },
	{ "disk-non-raw",
	  "a qcow, qcow2, vhd or qed image: domus refuses it with the conversion to make (its back end serves raw "
	  "images only); xl passes the format on", NULL, 0 },
	{ "disk-vdev-names",
	  "a virtual device name other than xvdX[N], hdX[N] (a-d), sdX[N] (a-p), or vdev=NAME:cdrom: domus "
	  "refuses it when the config is read; xl's parser takes any string (libxl refuses it later)", NULL, 0 },
	{ "disk-target-path",
	  "a target that is not an absolute path (also target= with a phy:/file:/tap: prefix, which xl takes "
	  "as part of the path), or none for a disk that is not a CD: domus refuses it when the config is read; "
	  "xl's parser takes any string (libxl fails later)", NULL, 0 },
	{ "disk-scripts",
	  "script= and the script prefixes (nbd:, iscsi:, drbd: ...): domus runs no block scripts and refuses "
	  "them; xl passes the script on", NULL, 0 },
	{ "disk-virtio",
	  "specification=virtio: domus serves Xen PV disks only and refuses it", NULL, 0 },
	{ "disk-other-keys",
	  "backend= (driver domains), colo*, trusted/untrusted, devtype=floppy, backendtype=standalone: "
	  "domus refuses what it cannot act on; xl takes them", NULL, 0 },
	{ "rate-zero",
	  "a vif rate below one byte per second (5b/s): domus refuses it; xl sets a credit of 0 bytes",
	  NULL, 0 },
	{ "rate-interval",
	  "a vif rate interval below 1 ms or above 10 s: domus refuses it (a bound); xl takes any", NULL, 0 },
};
const size_t ndifferences = sizeof(differences) / sizeof(differences[0]);

static const struct {
	const char *name;
	enum mode mode;
	char *(*normalize)(const char *t, size_t len, size_t *nlen);
} norm_table[] = {
	{ "numeric-escapes", BOTH, norm_numeric },
	{ "comment-at-eof", OURS_AS_IF, norm_comment_eof },
	{ "carriage-return", OURS_AS_IF, norm_cr },
	{ "junk-at-eof", XL_AS_IF, norm_junk_eof },
};

static struct difference *by_name(const char *name)
{
	size_t j;

	for (j = 0; j < ndifferences; j++)
		if (!strcmp(differences[j].name, name))
			return &differences[j];
	return NULL;
}

static bool explained(const char *t, size_t len, const struct result *ours, const struct result *xl, int depth,
		      struct difference **used, int *nused)
{
	size_t i;

	for (i = 0; i < ndifferences; i++)
		if (differences[i].explains && differences[i].explains(t, len, ours, xl)) {
			used[(*nused)++] = &differences[i];
			return true;
		}
	if (depth >= MAX_CHAIN)
		return false;
	for (i = 0; i < sizeof(norm_table) / sizeof(norm_table[0]); i++) {
		size_t nlen = 0;
		char *n = norm_table[i].normalize(t, len, &nlen);
		int keep = *nused;

		if (!n)
			continue;
		used[(*nused)++] = by_name(norm_table[i].name);
		if (chain(norm_table[i].mode, n, nlen, ours, xl, depth, used, nused))
			return true;
		*nused = keep;
	}
	return false;
}

struct difference *difference_find(const char *text, size_t len, const struct result *ours,
				   const struct result *xl)
{
	struct difference *used[MAX_CHAIN + 2];
	int nused = 0, i;

	if (!explained(text, len, ours, xl, 0, used, &nused) || !nused)
		return NULL;
	/* every entry of the chain was needed; the caller counts the first */
	for (i = 1; i < nused; i++)
		used[i]->seen++;
	return used[0];
}

static const struct {
	const char *name;
	bool (*explains)(const char *spec, bool disk, const char *o, const char *x);
} spec_table[] = {
	{ "disk-positional-3", positional_3 },
	{ "disk-access-w!", access_w_bang },
	{ "disk-non-raw", non_raw },
	{ "disk-vdev-names", vdev_names },
	{ "disk-target-path", relative_target },
	{ "disk-scripts", block_scripts },
	{ "disk-virtio", virtio_disks },
	{ "disk-other-keys", other_disk_keys },
	{ "rate-zero", rate_zero },
	{ "rate-interval", rate_interval },
};

struct difference *spec_difference_find(const char *spec, bool disk, const char *ours, const char *xl)
{
	size_t i, j;

	for (i = 0; i < sizeof(spec_table) / sizeof(spec_table[0]); i++) {
		if (!spec_table[i].explains(spec, disk, ours, xl))
			continue;
		for (j = 0; j < ndifferences; j++)
			if (!strcmp(differences[j].name, spec_table[i].name))
				return &differences[j];
	}
	return NULL;
}
