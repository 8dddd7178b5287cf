// SPDX-License-Identifier: MIT
/*
 * xl.cfg parser (see xlcfg.h).  The grammar follows xl's:
 *
 *   file      := { statement ( "\n" | ";" ) }
 *   statement := KEY "=" value | KEY "+=" value | empty
 *   KEY       := [a-z][a-z0-9._]*
 *   value     := STRING | NUMBER | "[" [ value { "," value } [ "," ] ] "]"
 *   STRING    := "..." | '...'   (backslash escapes, no newline inside)
 *   NUMBER    := [0-9][0-9A-Za-z_.]*  (decimal, 0x hex, 0 octal)
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

static void __attribute__((format(printf, 3, 4))) errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- values ------------------------------------------------------------- */

static void value_free(struct domus_cfg_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nitems; i++)
		value_free(v->items[i]);
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

static int list_add(struct domus_cfg_value *l, struct domus_cfg_value *v)
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

		while (ps->p < ps->end && is_atom_char(*ps->p))
			ps->p++;
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
			if (list_add(v, item)) {
				value_free(item);
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
		value_free(v);
		return NULL;
	}
	if (is_key_start(*ps->p))
		seterr(ps, "%s: unquoted word: strings need quotes, e.g. %s = \"%.*s\"", ps->key, ps->key,
		       (int)strcspn(ps->p, " \t\r\n;#,]"), ps->p);
	else if ((unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x7f)
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
				if (list_add(e->value, v->items[i])) {
					v->nitems -= i;
					memmove(v->items, v->items + i, v->nitems * sizeof(*v->items));
					goto oom;
				}
			}
			v->nitems = 0;
		} else if (e->value->type == DOMUS_CFG_STRING && v->type == DOMUS_CFG_STRING) {
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
		} else {
			seterr(ps, "%s: += appends a list to a list or a string to a string; use = to replace the value",
			       k);
			goto fail;
		}
		value_free(v);
		e->line = ps->key_line;
		free(k);
		return 0;
	}
	if (e) {
		value_free(e->value);
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
	value_free(v);
	return -1;
}

static const char *keep_name(struct domus_config *c, const char *fname)
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
		value_free(c->entries[i].value);
	}
	free(c->entries);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->kernel);
	free(c->ramdisk);
	free(c->cmdline);
	free(c->uuid);
	free(c->warnings);
	memset(c, 0, sizeof(*c));
}

int domus_config_parse(struct domus_config *c, const char *text, size_t len,
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
	ps.file = keep_name(c, fname);
	if (!ps.file) {
		errf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	if (len > DOMUS_CFG_MAX_FILE) {
		errf(err, errlen, "%s: config file larger than %u bytes", fname, DOMUS_CFG_MAX_FILE);
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
			value_free(v);
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
		errf(err, errlen, "%s: cannot open the config file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file: give the path of an xl config file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > DOMUS_CFG_MAX_FILE) {
		errf(err, errlen, "%s: config file larger than %u bytes", path, DOMUS_CFG_MAX_FILE);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		errf(err, errlen, "%s: out of memory", path);
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
		errf(err, errlen, "command line: '%s': one KEY=VALUE per argument", setting);
		return -1;
	}
	return domus_config_parse(c, setting, strlen(setting), "command line", err, errlen);
}

/* --- typed values ------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3))) warn(struct domus_config *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;
	char *w;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	w = realloc(c->warnings, c->warnings_len + n + 2);
	if (!w)
		return;
	memcpy(w + c->warnings_len, line, n);
	w[c->warnings_len + n] = '\n';
	w[c->warnings_len + n + 1] = 0;
	c->warnings = w;
	c->warnings_len += n + 1;
}

static int entry_err(const struct domus_cfg_entry *e, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int entry_err(const struct domus_cfg_entry *e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -1;
	n = snprintf(err, errlen, "%s:%u: %s: ", e->file, e->line, e->key);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int get_string(const struct domus_cfg_entry *e, const char **out, char *err, size_t errlen)
{
	if (e->value->type == DOMUS_CFG_LIST)
		return entry_err(e, err, errlen, "expected a string, not a list: write %s = \"...\"", e->key);
	*out = e->value->str;
	return 0;
}

static int get_number(const struct domus_cfg_entry *e, unsigned long long min, unsigned long long max,
		      const char *unit, unsigned long long *out, char *err, size_t errlen)
{
	const char *s = NULL;
	char *end;
	unsigned long long v;

	if (e->value->type == DOMUS_CFG_LIST)
		return entry_err(e, err, errlen, "expected a number, not a list: write %s = N", e->key);
	s = e->value->str;
	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 0) : 0;
	if (!(*s >= '0' && *s <= '9') || *end || errno)
		return entry_err(e, err, errlen, "\"%.40s\" is not a number: write %s = N%s%s", s, e->key,
				 *unit ? " " : "", unit);
	if (v < min || v > max)
		return entry_err(e, err, errlen, "%llu is out of range: give %llu to %llu%s%s", v, min, max,
				 *unit ? " " : "", unit);
	*out = v;
	return 0;
}

static int dup_string(const struct domus_config *c, const char *key, char **out, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);
	const char *s = NULL;

	*out = NULL;
	if (!e)
		return 0;
	if (get_string(e, &s, err, errlen))
		return -1;
	*out = strdup(s);
	if (!*out)
		return entry_err(e, err, errlen, "out of memory");
	return 0;
}

const char *domus_config_action_name(enum domus_cfg_action a)
{
	switch (a) {
	case DOMUS_ACTION_DESTROY: return "destroy";
	case DOMUS_ACTION_RESTART: return "restart";
	case DOMUS_ACTION_PRESERVE: return "preserve";
	}
	return "?";
}

static int get_action(struct domus_config *c, const char *key, enum domus_cfg_action def,
		      enum domus_cfg_action *out, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);
	const char *s = NULL;

	*out = def;
	if (!e)
		return 0;
	if (get_string(e, &s, err, errlen))
		return -1;
	if (!strcmp(s, "destroy"))
		*out = DOMUS_ACTION_DESTROY;
	else if (!strcmp(s, "restart"))
		*out = DOMUS_ACTION_RESTART;
	else if (!strcmp(s, "preserve"))
		*out = DOMUS_ACTION_PRESERVE;
	else if (!strcmp(s, "rename-restart")) {
		*out = DOMUS_ACTION_RESTART;
		warn(c, "%s:%u: note: %s: rename-restart is done as restart", e->file, e->line, key);
	} else if (!strcmp(s, "coredump-destroy") || !strcmp(s, "coredump-restart")) {
		*out = s[9] == 'd' ? DOMUS_ACTION_DESTROY : DOMUS_ACTION_RESTART;
		warn(c, "%s:%u: warning: %s: no core dumps yet: %s is done as %s", e->file, e->line,
		     key, s, domus_config_action_name(*out));
	} else if (!strcmp(s, "soft-reset")) {
		*out = DOMUS_ACTION_RESTART;
		if (strcmp(key, "on_soft_reset"))
			warn(c, "%s:%u: note: %s: soft-reset is done as restart", e->file, e->line, key);
	} else {
		return entry_err(e, err, errlen,
				 "unknown action \"%.40s\": use destroy, restart, preserve or rename-restart", s);
	}
	return 0;
}

int domus_config_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > DOMUS_CFG_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	/* all digits would be taken for a domain id by the commands */
	return strspn(name, "0123456789") != n;
}

/* Keys of later releases: kept in the store, ignored for now with a warning. */
static const char *const later_keys[][2] = {
	{ "disk", "PV disks come in a later release" },
	{ "vif", "PV network comes in a later release" },
	{ "maxmem", "no ballooning yet: the guest gets memory=" },
	{ "cpus", "no vCPU pinning yet" },
	{ "cpus_soft", "no vCPU pinning yet" },
	{ "serial", "PVH guests use the PV console (hvc0)" },
	{ "boot", "HVM only" },
	{ "pool", "no CPU pools" },
	{ "cpu_weight", "no scheduler parameters yet" },
	{ "cap", "no scheduler parameters yet" },
	{ "vfb", "no framebuffer" },
	{ "vnc", "no framebuffer" },
	{ "sdl", "no framebuffer" },
	{ "pci", "no PCI passthrough" },
	{ "usb", "no USB" },
	{ "vtpm", "no vTPM" },
	{ "channel", "no PV channels yet" },
	{ "p9", "no 9pfs yet" },
	{ "bootloader", "direct kernel boot only: give kernel=" },
	{ "device_model_version", "no device model for PVH guests" },
	{ "localtime", "PVH guests take the host's wall clock" },
	{ "acpi", "PVH guests always get ACPI tables" },
};

static const char *const used_keys[] = {
	"name", "memory", "vcpus", "maxvcpus", "type", "builder", "kernel", "ramdisk",
	"cmdline", "extra", "root", "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
	"on_soft_reset", "uuid",
};

static void warn_ignored(struct domus_config *c)
{
	size_t i, k;

	for (i = 0; i < c->nentries; i++) {
		const struct domus_cfg_entry *e = &c->entries[i];
		bool used = false;

		for (k = 0; k < sizeof(used_keys) / sizeof(used_keys[0]); k++)
			if (!strcmp(e->key, used_keys[k]))
				used = true;
		if (used)
			continue;
		for (k = 0; k < sizeof(later_keys) / sizeof(later_keys[0]); k++)
			if (!strcmp(e->key, later_keys[k][0]))
				break;
		if (k < sizeof(later_keys) / sizeof(later_keys[0]))
			warn(c, "%s:%u: warning: %s is ignored for now (%s)", e->file, e->line, e->key,
			     later_keys[k][1]);
		else
			warn(c, "%s:%u: warning: unknown key %s is ignored", e->file, e->line, e->key);
	}
}

int domus_config_finish(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e;
	unsigned long long v;
	const char *s = NULL, *type = NULL;
	char *extra = NULL, *root = NULL;
	const char *file = c->nfiles ? c->files[0] : "config";

	free(c->kernel);
	free(c->ramdisk);
	free(c->cmdline);
	free(c->uuid);
	free(c->warnings);
	c->kernel = c->ramdisk = c->cmdline = c->uuid = c->warnings = NULL;
	c->warnings_len = 0;

	/* name */
	e = domus_config_get(c, "name");
	if (!e) {
		errf(err, errlen, "%s: name: missing: add name = \"NAME\"", file);
		return -1;
	}
	if (get_string(e, &s, err, errlen))
		return -1;
	if (!domus_config_name_ok(s))
		return entry_err(e, err, errlen,
				 "\"%.80s\" is not a usable name: 1-%d letters, digits, '-', '_' or '.', not all digits, not starting with '-' or '.'",
				 s, DOMUS_CFG_NAME_MAX);
	if (!strcmp(s, "Domain-0"))
		return entry_err(e, err, errlen, "Domain-0 is the host: choose another name");
	snprintf(c->name, sizeof(c->name), "%s", s);

	/* type / builder */
	c->type = DOMUS_TYPE_PVH;
	e = domus_config_get(c, "type");
	if (e) {
		if (get_string(e, &type, err, errlen))
			return -1;
		if (!strcmp(type, "pv"))
			warn(c, "%s:%u: note: type \"pv\": domus runs PV guests as PVH (the kernel needs CONFIG_PVH, as Debian's has)",
			     e->file, e->line);
		else if (!strcmp(type, "hvm"))
			return entry_err(e, err, errlen, "HVM guests are not supported yet: use type = \"pvh\" with a PVH-capable kernel");
		else if (strcmp(type, "pvh"))
			return entry_err(e, err, errlen, "unknown type \"%.40s\": use type = \"pvh\"", type);
	}
	e = domus_config_get(c, "builder");
	if (e) {
		const char *b = NULL;

		if (get_string(e, &b, err, errlen))
			return -1;
		if (!strcmp(b, "hvm"))
			return entry_err(e, err, errlen, "HVM guests are not supported yet: use type = \"pvh\"");
		if (strcmp(b, "generic"))
			return entry_err(e, err, errlen, "unknown builder \"%.40s\": drop it and use type = \"pvh\"", b);
		if (!type)
			warn(c, "%s:%u: note: builder \"generic\" (PV): domus runs PV guests as PVH",
			     e->file, e->line);
	}

	/* memory, vCPUs */
	c->memory_mib = DOMUS_CFG_DEFAULT_MEM_MIB;
	e = domus_config_get(c, "memory");
	if (e) {
		if (get_number(e, DOMUS_CFG_MIN_MEM_MIB, DOMUS_CFG_MAX_MEM_MIB, "MiB", &v, err, errlen))
			return -1;
		c->memory_mib = v;
	}
	c->vcpus = 1;
	e = domus_config_get(c, "vcpus");
	if (e) {
		if (get_number(e, 1, DOMUS_CFG_MAX_VCPUS, "", &v, err, errlen))
			return -1;
		c->vcpus = (uint32_t)v;
	}
	c->maxvcpus = c->vcpus;
	e = domus_config_get(c, "maxvcpus");
	if (e) {
		if (get_number(e, 1, DOMUS_CFG_MAX_VCPUS, "", &v, err, errlen))
			return -1;
		if (v < c->vcpus)
			return entry_err(e, err, errlen, "%llu is below vcpus = %u: raise maxvcpus or lower vcpus",
					 v, c->vcpus);
		c->maxvcpus = (uint32_t)v;
	}

	/* kernel, ramdisk, command line */
	if (dup_string(c, "kernel", &c->kernel, err, errlen) ||
	    dup_string(c, "ramdisk", &c->ramdisk, err, errlen) ||
	    dup_string(c, "cmdline", &c->cmdline, err, errlen) ||
	    dup_string(c, "extra", &extra, err, errlen) ||
	    dup_string(c, "root", &root, err, errlen) ||
	    dup_string(c, "uuid", &c->uuid, err, errlen))
		goto fail;
	if (!c->kernel || !*c->kernel) {
		e = domus_config_get(c, "kernel");
		if (e)
			entry_err(e, err, errlen, "empty: give the path of a PVH-capable kernel, e.g. kernel = \"/boot/vmlinuz-6.1.0-28-amd64\"");
		else
			errf(err, errlen, "%s: kernel: missing: add kernel = \"/boot/vmlinuz-...\" (direct kernel boot)", file);
		goto fail;
	}
	if (c->ramdisk && !*c->ramdisk) {
		free(c->ramdisk);
		c->ramdisk = NULL;
	}
	if (c->cmdline) {
		if (root || extra) {
			e = domus_config_get(c, root ? "root" : "extra");
			warn(c, "%s:%u: warning: root= and extra= are ignored because cmdline= is set",
			     e->file, e->line);
		}
	} else {
		size_t n = (root ? strlen(root) + 6 : 0) + (extra ? strlen(extra) : 0) + 1;

		c->cmdline = malloc(n);
		if (!c->cmdline) {
			errf(err, errlen, "%s: out of memory", file);
			goto fail;
		}
		snprintf(c->cmdline, n, "%s%s%s%s", root ? "root=" : "", root ? root : "",
			 root && extra ? " " : "", extra ? extra : "");
	}
	free(extra);
	free(root);
	extra = root = NULL;

	/* actions */
	if (get_action(c, "on_poweroff", DOMUS_ACTION_DESTROY, &c->on_poweroff, err, errlen) ||
	    get_action(c, "on_reboot", DOMUS_ACTION_RESTART, &c->on_reboot, err, errlen) ||
	    get_action(c, "on_crash", DOMUS_ACTION_DESTROY, &c->on_crash, err, errlen) ||
	    get_action(c, "on_watchdog", DOMUS_ACTION_DESTROY, &c->on_watchdog, err, errlen) ||
	    get_action(c, "on_soft_reset", DOMUS_ACTION_RESTART, &c->on_soft_reset, err, errlen))
		goto fail;

	warn_ignored(c);
	return 0;
fail:
	free(extra);
	free(root);
	return -1;
}

void domus_config_print(const struct domus_config *c, FILE *out)
{
	fprintf(out, "name        %s\n", c->name);
	fprintf(out, "type        pvh\n");
	fprintf(out, "memory      %llu\n", (unsigned long long)c->memory_mib);
	fprintf(out, "vcpus       %u\n", c->vcpus);
	fprintf(out, "maxvcpus    %u\n", c->maxvcpus);
	fprintf(out, "kernel      %s\n", c->kernel ? c->kernel : "");
	fprintf(out, "ramdisk     %s\n", c->ramdisk ? c->ramdisk : "");
	fprintf(out, "cmdline     %s\n", c->cmdline ? c->cmdline : "");
	if (c->uuid)
		fprintf(out, "uuid        %s\n", c->uuid);
	fprintf(out, "on_poweroff %s\n", domus_config_action_name(c->on_poweroff));
	fprintf(out, "on_reboot   %s\n", domus_config_action_name(c->on_reboot));
	fprintf(out, "on_crash    %s\n", domus_config_action_name(c->on_crash));
	fprintf(out, "on_watchdog %s\n", domus_config_action_name(c->on_watchdog));
}
