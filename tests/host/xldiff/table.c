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

/* Does the disagreement go away on @norm (length @nlen) in @mode? */
static bool goes_away(enum mode mode, const char *norm, size_t nlen, const struct result *ours,
		      const struct result *xl)
{
	struct result o2, x2;
	bool ok;

	both_run(norm, nlen, &o2, &x2);
	switch (mode) {
	case OURS_AS_IF:
		ok = results_agree(ours, &x2);
		break;
	case XL_AS_IF:
		ok = results_agree(&o2, xl);
		break;
	default:
		ok = results_agree(&o2, &x2);
		break;
	}
	result_free(&o2);
	result_free(&x2);
	return ok;
}

static bool has_numeric_escape(const char *t, size_t len)
{
	size_t nlen;
	struct scan sc = { .numeric = true };
	char *n = rewrite(t, len, &sc, &nlen);
	bool changed = nlen != len || memcmp(n, t, len);

	free(n);
	return changed;
}

static bool numeric_escapes(const char *t, size_t len, const struct result *ours, const struct result *xl)
{
	struct scan sc = { .numeric = true };
	size_t nlen;
	char *n;
	bool r;

	if (!has_numeric_escape(t, len))
		return false;
	n = rewrite(t, len, &sc, &nlen);
	r = goes_away(BOTH, n, nlen, ours, xl);
	free(n);
	return r;
}

static bool comment_at_eof(const char *t, size_t len, const struct result *ours, const struct result *xl)
{
	const char *last = len ? memrchr(t, '\n', len) : NULL;
	size_t from = last ? (size_t)(last - t) + 1 : 0;
	char *n;
	bool r;

	if (!len || t[len - 1] == '\n' || !memchr(t + from, '#', len - from) || !ours->ok || xl->ok)
		return false;
	n = malloc(len + 1);
	if (!n)
		return false;
	memcpy(n, t, len);
	n[len] = '\n';
	r = goes_away(OURS_AS_IF, n, len + 1, ours, xl);
	free(n);
	return r;
}

static bool carriage_return(const char *t, size_t len, const struct result *ours, const struct result *xl)
{
	struct scan sc = { .drop_cr = true };
	size_t nlen;
	char *n;
	bool r;

	if (!memchr(t, '\r', len) || !ours->ok || xl->ok)
		return false;
	n = rewrite(t, len, &sc, &nlen);
	r = nlen != len && goes_away(OURS_AS_IF, n, nlen, ours, xl);
	free(n);
	return r;
}

/* libxlutil drops an illegal token at the very end of the text (its
 * lexer's error state never sees the end of its token): "x = 1." is
 * x = "1", and a NUL as the last byte is ignored. */
static bool junk_at_eof(const char *t, size_t len, const struct result *ours, const struct result *xl)
{
	size_t k;

	if (ours->ok || !xl->ok)
		return false;
	for (k = 1; k <= len && k <= 64 && t[len - k] != '\n'; k++)
		if (goes_away(XL_AS_IF, t, len - k, ours, xl))
			return true;
	return false;
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

struct difference differences[] = {
	{ "numeric-escapes",
	  "`\\xHH` and `\\ooo` in a string: domus stores that byte (docs/cli.md); libxlutil 4.17 never stores it "
	  "and misreads the digits (`\"\\x41\"` is an error there, `\"\\101\"` the empty string)",
	  numeric_escapes, 0 },
	{ "comment-at-eof",
	  "a comment on the last line without a newline: domus reads the file; libxlutil's lexer needs the "
	  "newline after a comment (\"lexical error\")",
	  comment_at_eof, 0 },
	{ "carriage-return",
	  "CR outside strings (CRLF line ends, a file edited on Windows): domus reads it as a blank; libxlutil "
	  "fails with \"lexical error\"",
	  carriage_return, 0 },
	{ "junk-at-eof",
	  "an illegal token at the very end of the text, after the last newline (`x = 1.`, a NUL byte): "
	  "libxlutil drops it silently; domus rejects it with a message",
	  junk_at_eof, 0 },
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
};
const size_t ndifferences = sizeof(differences) / sizeof(differences[0]);

struct difference *difference_find(const char *text, size_t len, const struct result *ours,
				   const struct result *xl)
{
	size_t i;

	for (i = 0; i < ndifferences; i++)
		if (differences[i].explains && differences[i].explains(text, len, ours, xl))
			return &differences[i];
	return NULL;
}

struct difference *spec_difference_find(const char *spec, bool disk, const char *ours, const char *xl)
{
	(void)spec; (void)disk; (void)ours; (void)xl;
	return NULL;
}
