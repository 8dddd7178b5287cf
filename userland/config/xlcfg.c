// SPDX-License-Identifier: MIT
/*
 * xl.cfg parser (see xlcfg.h).  The grammar follows xl's:
 *
 *   file      := { statement ( "\n" | ";" ) }
 *   statement := KEY "=" value | KEY "+=" value | empty
 *   KEY       := [a-z][a-z0-9._]*
 *   value     := STRING | NUMBER | "[" [ value { "," value } [ "," ] ] "]"
 *   STRING    := "..." | '...'   (backslash escapes, no newline inside)
 *   NUMBER    := [0-9][0-9a-fx]*  (xl's token: decimal, 0x hex in lower
 *                case, 0 octal; kept as text, checked where the key is read)
 *
 * "#" starts a comment up to the end of the line; inside a list, newlines
 * and comments may appear between elements.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xlcfg.h"
#include "xlcfg_int.h"

struct parser {
	const char *p, *end;
	unsigned int line;
	const char *file;
	const char *key;		/* the key being parsed, for messages */
	unsigned int key_line;		/* where that key is */
	char *err;
	size_t errlen;
};

static void __attribute__((format(printf, 2, 3))) seterr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return;
	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->file, ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
}

void xlcfg_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- values ------------------------------------------------------------- */

void xlcfg_value_free(struct domus_cfg_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nitems; i++)
		xlcfg_value_free(v->items[i]);
	free(v->items);
	free(v->str);
	free(v);
}

static struct domus_cfg_value *value_new(struct parser *ps, enum domus_cfg_vtype type)
{
	struct domus_cfg_value *v = calloc(1, sizeof(*v));

	if (!v) {
		seterr(ps, "out of memory");
		return NULL;
	}
	v->type = type;
	v->line = ps->line;
	return v;
}

int xlcfg_list_add(struct domus_cfg_value *l, struct domus_cfg_value *v)
{
	struct domus_cfg_value **n;

	if ((l->nitems & (l->nitems - 1)) == 0) {	/* full at 0, 1, 2, 4, ...: double */
		size_t cap = l->nitems ? l->nitems * 2 : 1;

		n = realloc(l->items, cap * sizeof(*n));
		if (!n)
			return -1;
		l->items = n;
	}
	l->items[l->nitems++] = v;
	return 0;
}

/* --- lexing ------------------------------------------------------------- */

static bool is_key_start(char c) { return c >= 'a' && c <= 'z'; }
static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}
/* xl's number token is [0-9][0-9a-fx]*: "512M", "1.5" or "0x1F" fail
 * there as a lexical error, and here with a message. */
static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x';
}
static bool is_atom_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

/* Skip blanks and a comment; with @newlines also newlines (inside lists). */
static void skip_space(struct parser *ps, bool newlines)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '\n' && newlines) {
			ps->p++;
			ps->line++;
		} else {
			break;
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct domus_cfg_value *parse_string(struct parser *ps)
{
	char quote = *ps->p++;
	struct domus_cfg_value *v;
	size_t cap = 64, n = 0;
	char *s = malloc(cap);

	if (!s) {
		seterr(ps, "out of memory");
		return NULL;
	}
	for (;;) {
		char c;

		if (ps->p >= ps->end || *ps->p == '\n') {
			seterr(ps, "%s: unterminated string: add the closing %c on the same line",
			       ps->key, quote);
			goto fail;
		}
		c = *ps->p++;
		if (c == quote)
			break;
		if (c == '\0') {
			seterr(ps, "%s: NUL byte inside a string", ps->key);
			goto fail;
		}
		if (c == '\\') {
			if (ps->p >= ps->end || *ps->p == '\n') {
				seterr(ps, "%s: unterminated string: add the closing %c on the same line",
				       ps->key, quote);
				goto fail;
			}
			c = *ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'v': c = '\v'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'a': c = '\a'; break;
			case '\\': case '\'': case '"': break;
			case 'x': {
				int h1 = ps->p < ps->end ? hexval(ps->p[0]) : -1;
				int h2 = ps->p + 1 < ps->end ? hexval(ps->p[1]) : -1;

				if (h1 < 0 || h2 < 0) {
					seterr(ps, "%s: \\x needs two hex digits", ps->key);
					goto fail;
				}
				c = (char)(h1 * 16 + h2);
				ps->p += 2;
				break;
			}
			default:
				if (c >= '0' && c <= '7') {
					int val = c - '0', k;

					for (k = 0; k < 2 && ps->p < ps->end && *ps->p >= '0' && *ps->p <= '7'; k++)
						val = val * 8 + (*ps->p++ - '0');
					if (val > 255) {
						seterr(ps, "%s: octal escape above \\377", ps->key);
						goto fail;
					}
					c = (char)val;
					break;
				}
				seterr(ps, "%s: unknown escape \\%c in a string: write \\\\ for a backslash",
				       ps->key, c);
				goto fail;
			}
			if (c == '\0') {
				seterr(ps, "%s: NUL byte inside a string", ps->key);
				goto fail;
			}
		}
		if (n + 2 > cap) {
			char *t;

			if (cap >= DOMUS_CFG_MAX_STRING) {
				seterr(ps, "%s: string longer than %d bytes", ps->key, DOMUS_CFG_MAX_STRING);
				goto fail;
			}
			cap *= 2;
			t = realloc(s, cap);
			if (!t) {
				seterr(ps, "out of memory");
				goto fail;
			}
			s = t;
		}
		s[n++] = c;
	}
	s[n] = 0;
	v = value_new(ps, DOMUS_CFG_STRING);
	if (!v)
		goto fail;
	v->str = s;
	return v;
fail:
	free(s);
	return NULL;
}

static struct domus_cfg_value *parse_value(struct parser *ps, int depth)
{
	struct domus_cfg_value *v;

	if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == ';') {
		seterr(ps, "%s: no value: write %s = \"string\", a number or a [list]", ps->key, ps->key);
		return NULL;
	}
	if (*ps->p == '"' || *ps->p == '\'')
		return parse_string(ps);
	if (*ps->p >= '0' && *ps->p <= '9') {
		const char *s = ps->p;

		while (ps->p < ps->end && is_number_char(*ps->p))
			ps->p++;
		if (ps->p < ps->end && is_atom_char(*ps->p)) {
			size_t n = 0;

			while (ps->p + n < ps->end && is_atom_char(ps->p[n]) && n < 40)
				n++;
			seterr(ps, "%s: \"%.*s\" is not a number: numbers are digits, 0x and lower-case hex digits, "
			       "or a leading 0 for octal (no units, points or signs), e.g. %s = 512",
			       ps->key, (int)(ps->p + n - s), s, ps->key);
			return NULL;
		}
		if ((size_t)(ps->p - s) > 64) {
			seterr(ps, "%s: number longer than 64 characters", ps->key);
			return NULL;
		}
		v = value_new(ps, DOMUS_CFG_NUMBER);
		if (!v)
			return NULL;
		v->str = strndup(s, ps->p - s);
		if (!v->str) {
			free(v);
			seterr(ps, "out of memory");
			return NULL;
		}
		return v;
	}
	if (*ps->p == '[') {
		unsigned int open_line = ps->line;

		if (depth >= DOMUS_CFG_MAX_DEPTH) {
			seterr(ps, "%s: lists nested more than %d deep", ps->key, DOMUS_CFG_MAX_DEPTH);
			return NULL;
		}
		ps->p++;
		v = value_new(ps, DOMUS_CFG_LIST);
		if (!v)
			return NULL;
		for (;;) {
			struct domus_cfg_value *item;

			skip_space(ps, true);
			if (ps->p >= ps->end)
				goto unterminated;
			if (*ps->p == ']') {
				ps->p++;
				return v;
			}
			item = parse_value(ps, depth + 1);
			if (!item)
				goto fail;
			if (xlcfg_list_add(v, item)) {
				xlcfg_value_free(item);
				seterr(ps, "out of memory");
				goto fail;
			}
			skip_space(ps, true);
			if (ps->p >= ps->end)
				goto unterminated;
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p == ']') {
				ps->p++;
				return v;
			}
			seterr(ps, "%s: expected ',' or ']' in the list opened on line %u, found '%c'",
			       ps->key, open_line, *ps->p);
			goto fail;
		}
unterminated:
		seterr(ps, "%s: unterminated list: add the ']' for the list opened on line %u",
		       ps->key, open_line);
fail:
		xlcfg_value_free(v);
		return NULL;
	}
	if (is_key_start(*ps->p)) {
		/* the word, within the text (which need not be NUL-terminated) */
		size_t n = 0;

		while (ps->p + n < ps->end && ps->p[n] && !strchr(" \t\r\n;#,]", ps->p[n]))
			n++;
		seterr(ps, "%s: unquoted word: strings need quotes, e.g. %s = \"%.*s\"", ps->key, ps->key,
		       (int)n, ps->p);
	} else if ((unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x7f)
		seterr(ps, "%s: unexpected '%c': a value is a \"string\", a number or a [list]",
		       ps->key, *ps->p);
	else
		seterr(ps, "%s: unexpected byte 0x%02x: a value is a \"string\", a number or a [list]",
		       ps->key, (unsigned char)*ps->p);
	return NULL;
}

/* --- the store ---------------------------------------------------------- */

static struct domus_cfg_entry *find_entry(struct domus_config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nentries; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

const struct domus_cfg_entry *domus_config_get(const struct domus_config *c, const char *key)
{
	return find_entry((struct domus_config *)c, key);
}

/* Store KEY op VALUE; takes ownership of @v (also on failure). */
static int store(struct domus_config *c, struct parser *ps, const char *key, size_t keylen,
		 bool append, struct domus_cfg_value *v)
{
	struct domus_cfg_entry *e, *n;
	char *k = strndup(key, keylen);

	if (!k)
		goto oom;
	e = find_entry(c, k);
	if (e && append) {
		if (e->value->type == DOMUS_CFG_LIST && v->type == DOMUS_CFG_LIST) {
			size_t i;

			for (i = 0; i < v->nitems; i++) {
				if (xlcfg_list_add(e->value, v->items[i])) {
					v->nitems -= i;
					memmove(v->items, v->items + i, v->nitems * sizeof(*v->items));
					goto oom;
				}
			}
			v->nitems = 0;
		} else if (e->value->type != DOMUS_CFG_LIST && v->type != DOMUS_CFG_LIST) {
			/* xl keeps numbers as strings: "1" += "2" is "12", a number
			 * only if both were */
			size_t a = strlen(e->value->str), b = strlen(v->str);
			char *s;

			if (a + b >= DOMUS_CFG_MAX_STRING) {
				seterr(ps, "%s: string longer than %d bytes", k, DOMUS_CFG_MAX_STRING);
				goto fail;
			}
			s = realloc(e->value->str, a + b + 1);
			if (!s)
				goto oom;
			memcpy(s + a, v->str, b + 1);
			e->value->str = s;
			if (v->type == DOMUS_CFG_STRING)
				e->value->type = DOMUS_CFG_STRING;
		} else {
			seterr(ps, "%s: += appends a list to a list or a string (or number) to a string; use = to replace the value",
			       k);
			goto fail;
		}
		xlcfg_value_free(v);
		e->line = ps->key_line;
		free(k);
		return 0;
	}
	if (e) {
		xlcfg_value_free(e->value);
		e->value = v;
		e->line = ps->key_line;
		e->file = ps->file;
		free(k);
		return 0;
	}
	if (c->nentries >= DOMUS_CFG_MAX_ENTRIES) {
		seterr(ps, "more than %d keys", DOMUS_CFG_MAX_ENTRIES);
		goto fail;
	}
	n = realloc(c->entries, (c->nentries + 1) * sizeof(*n));
	if (!n)
		goto oom;
	c->entries = n;
	e = &c->entries[c->nentries++];
	e->key = k;
	e->value = v;
	e->line = ps->key_line;
	e->file = ps->file;
	return 0;
oom:
	seterr(ps, "out of memory");
fail:
	free(k);
	xlcfg_value_free(v);
	return -1;
}

int xlcfg_store(struct domus_config *c, const char *file, unsigned int line, const char *key,
		struct domus_cfg_value *v, char *err, size_t errlen)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.file = file;
	ps.line = ps.key_line = line;
	ps.key = key;
	ps.err = err;
	ps.errlen = errlen;
	return store(c, &ps, key, strlen(key), false, v);
}

const char *xlcfg_keep_name(struct domus_config *c, const char *fname)
{
	size_t i;
	char *s;

	for (i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i], fname))
			return c->files[i];
	if (c->nfiles == sizeof(c->files) / sizeof(c->files[0]))
		return c->files[c->nfiles - 1];
	s = strdup(fname);
	if (!s)
		return NULL;
	c->files[c->nfiles++] = s;
	return s;
}

void domus_config_init(struct domus_config *c)
{
	memset(c, 0, sizeof(*c));
}

void domus_config_free(struct domus_config *c)
{
	size_t i;

	for (i = 0; i < c->nentries; i++) {
		free(c->entries[i].key);
		xlcfg_value_free(c->entries[i].value);
	}
	free(c->entries);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->kernel);
	free(c->ramdisk);
	free(c->cmdline);
	free(c->uuid);
	free(c->bootloader);
	free(c->bootloader_args);
	free(c->firmware);
	for (i = 0; i < c->ndisks; i++)
		domus_disk_free(&c->disks[i]);
	free(c->cpus);
	free(c->warnings);
	memset(c, 0, sizeof(*c));
}

static int parse_xl(struct domus_config *c, const char *text, size_t len,
		    const char *fname, char *err, size_t errlen);

/* The JSON view (jsoncfg.c) when the text starts with '{', else xl.cfg. */
int domus_config_parse(struct domus_config *c, const char *text, size_t len,
		       const char *fname, char *err, size_t errlen)
{
	if (domus_config_is_json(text, len))
		return xlcfg_parse_json(c, text, len, fname, err, errlen);
	return parse_xl(c, text, len, fname, err, errlen);
}

int domus_config_is_json(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && text[i] == '{';
}

static int parse_xl(struct domus_config *c, const char *text, size_t len,
		    const char *fname, char *err, size_t errlen)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.end = text + len;
	ps.line = 1;
	ps.err = err;
	ps.errlen = errlen;
	ps.key = "";
	ps.file = xlcfg_keep_name(c, fname);
	if (!ps.file) {
		xlcfg_errf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	if (len > DOMUS_CFG_MAX_FILE) {
		xlcfg_errf(err, errlen, "%s: config file larger than %u bytes", fname, DOMUS_CFG_MAX_FILE);
		return -1;
	}
	for (;;) {
		const char *key;
		size_t keylen;
		bool append = false;
		struct domus_cfg_value *v;
		char keybuf[80];

		skip_space(&ps, false);
		if (ps.p >= ps.end)
			return 0;
		if (*ps.p == '\n') {
			ps.p++;
			ps.line++;
			continue;
		}
		if (*ps.p == ';') {
			ps.p++;
			continue;
		}
		if (!is_key_start(*ps.p)) {
			if ((unsigned char)*ps.p >= 0x20 && (unsigned char)*ps.p < 0x7f)
				seterr(&ps, "syntax error at '%c': expected KEY = VALUE (keys are lower-case: [a-z][a-z0-9._]*)",
				       *ps.p);
			else
				seterr(&ps, "syntax error at byte 0x%02x: expected KEY = VALUE",
				       (unsigned char)*ps.p);
			return -1;
		}
		key = ps.p;
		ps.key_line = ps.line;
		while (ps.p < ps.end && is_key_char(*ps.p))
			ps.p++;
		keylen = ps.p - key;
		if (keylen >= sizeof(keybuf)) {
			seterr(&ps, "key longer than %zu characters", sizeof(keybuf) - 1);
			return -1;
		}
		memcpy(keybuf, key, keylen);
		keybuf[keylen] = 0;
		ps.key = keybuf;
		skip_space(&ps, false);
		if (ps.p < ps.end && *ps.p == '+') {
			append = true;
			ps.p++;
		}
		if (ps.p >= ps.end || *ps.p != '=') {
			seterr(&ps, "%s: expected '=' after the key: write %s = VALUE", keybuf, keybuf);
			return -1;
		}
		ps.p++;
		skip_space(&ps, false);
		v = parse_value(&ps, 0);
		if (!v)
			return -1;
		skip_space(&ps, false);
		if (ps.p < ps.end && *ps.p != '\n' && *ps.p != ';') {
			xlcfg_value_free(v);
			seterr(&ps, "%s: unexpected text after the value: one KEY = VALUE per line (or separated by ';')",
			       keybuf);
			return -1;
		}
		if (store(c, &ps, keybuf, keylen, append, v))
			return -1;
	}
}

int domus_config_load(struct domus_config *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		xlcfg_errf(err, errlen, "%s: cannot open the config file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		xlcfg_errf(err, errlen, "%s: not a regular file: give the path of an xl config file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > DOMUS_CFG_MAX_FILE) {
		xlcfg_errf(err, errlen, "%s: config file larger than %u bytes", path, DOMUS_CFG_MAX_FILE);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		xlcfg_errf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	r = domus_config_parse(c, buf, got, path, err, errlen);
	free(buf);
	return r;
}

int domus_config_apply(struct domus_config *c, const char *setting, char *err, size_t errlen)
{
	if (strchr(setting, '\n')) {
		xlcfg_errf(err, errlen, "command line: '%s': one KEY=VALUE per argument", setting);
		return -1;
	}
	return parse_xl(c, setting, strlen(setting), "command line", err, errlen);
}
