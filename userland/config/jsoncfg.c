// SPDX-License-Identifier: MIT
/*
 * The JSON view of a domain definition (docs/launcher.md "The JSON
 * view"): one JSON object whose members are the xl.cfg keys domus uses,
 * read into the same store as an xl.cfg file, so domus_config_finish()
 * checks both forms alike.  domus_config_parse() comes here when the text
 * starts with '{'.
 *
 *   "name", "uuid", "type", "kernel", "ramdisk", "cmdline", "on_*":
 *       strings; "memory", "maxmem", "vcpus", "maxvcpus": whole numbers;
 *       "cpus": a string or a list of strings (one per vCPU);
 *   "disk": a list of objects {"vdev", "target", "access": "rw"|"ro",
 *       "devtype": "disk"|"cdrom", "discard": bool} or xl disk strings;
 *   "vif": a list of objects {"mac", "bridge", "bridge_create": bool,
 *       "vifname", "ip": [strings], "rate", "mtu"} or xl vif strings;
 *   "ignored": an object of the xl keys domus does not use, as written.
 *
 * The writers of both forms are in convert.c.  Errors are one line,
 * FILE:LINE:COLUMN: what is wrong and the fix.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "xlcfg_int.h"

struct jp {
	struct domus_config *c;
	const char *p, *end, *bol;	/* bol: the start of the current line */
	unsigned int line;
	const char *file;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) jerr(struct jp *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!j->err || !j->errlen)
		return -1;
	n = snprintf(j->err, j->errlen, "%s:%u:%u: ", j->file, j->line, (unsigned int)(j->p - j->bol) + 1);
	if (n >= 0 && (size_t)n < j->errlen) {
		va_start(ap, fmt);
		vsnprintf(j->err + n, j->errlen - n, fmt, ap);
		va_end(ap);
	}
	domus_cfg_oneline(j->err);
	return -1;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end) {
		char ch = *j->p;

		if (ch == '\n') {
			j->line++;
			j->bol = j->p + 1;
		} else if (ch != ' ' && ch != '\t' && ch != '\r') {
			break;
		}
		j->p++;
	}
}

static bool eat(struct jp *j, char ch)
{
	skip_ws(j);
	if (j->p < j->end && *j->p == ch) {
		j->p++;
		return true;
	}
	return false;
}

static int hex4(const char *p, const char *end, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char ch = p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned int)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned int)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned int)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A JSON string (at '"') into a new NUL-terminated buffer; NULL after an error. */
static char *get_string(struct jp *j)
{
	char *s = malloc(DOMUS_CFG_MAX_STRING);
	size_t n = 0;

	if (!s) {
		jerr(j, "out of memory");
		return NULL;
	}
	j->p++;
	for (;;) {
		unsigned char ch;
		unsigned int u, lo;
		char enc[4];
		size_t k, m = 1;

		if (j->p >= j->end) {
			jerr(j, "unterminated string: add the closing \"");
			goto fail;
		}
		ch = (unsigned char)*j->p;
		if (ch == '"') {
			j->p++;
			break;
		}
		if (ch < 0x20) {
			jerr(j, "control character 0x%02x inside a string: write it as \\u%04x", ch, ch);
			goto fail;
		}
		enc[0] = (char)ch;
		if (ch == '\\') {
			if (j->p + 1 >= j->end) {
				jerr(j, "unterminated string: add the closing \"");
				goto fail;
			}
			j->p++;
			switch (*j->p) {
			case '"': case '\\': case '/': enc[0] = *j->p; break;
			case 'b': enc[0] = '\b'; break;
			case 'f': enc[0] = '\f'; break;
			case 'n': enc[0] = '\n'; break;
			case 'r': enc[0] = '\r'; break;
			case 't': enc[0] = '\t'; break;
			case 'u':
				if (hex4(j->p + 1, j->end, &u)) {
					jerr(j, "\\u needs four hex digits");
					goto fail;
				}
				j->p += 4;
				if (u >= 0xd800 && u < 0xdc00) {
					if (j->end - j->p < 7 || j->p[1] != '\\' || j->p[2] != 'u' ||
					    hex4(j->p + 3, j->end, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						jerr(j, "\\u%04x is half a surrogate pair: give both halves", u);
						goto fail;
					}
					j->p += 6;
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				} else if (u >= 0xdc00 && u < 0xe000) {
					jerr(j, "\\u%04x is half a surrogate pair: give both halves", u);
					goto fail;
				}
				if (u == 0) {
					jerr(j, "NUL inside a string");
					goto fail;
				}
				if (u < 0x80) {
					enc[0] = (char)u;
				} else if (u < 0x800) {
					enc[0] = (char)(0xc0 | u >> 6);
					enc[1] = (char)(0x80 | (u & 0x3f));
					m = 2;
				} else if (u < 0x10000) {
					enc[0] = (char)(0xe0 | u >> 12);
					enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
					enc[2] = (char)(0x80 | (u & 0x3f));
					m = 3;
				} else {
					enc[0] = (char)(0xf0 | u >> 18);
					enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
					enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
					enc[3] = (char)(0x80 | (u & 0x3f));
					m = 4;
				}
				break;
			default:
				jerr(j, "unknown escape in a string: JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
				goto fail;
			}
		}
		j->p++;
		/* as xl.cfg's strings: at most DOMUS_CFG_MAX_STRING - 2 bytes */
		if (n + m + 2 > DOMUS_CFG_MAX_STRING) {
			jerr(j, "string longer than %d bytes", DOMUS_CFG_MAX_STRING - 2);
			goto fail;
		}
		for (k = 0; k < m; k++)
			s[n++] = enc[k];
	}
	s[n] = 0;
	return s;
fail:
	free(s);
	return NULL;
}

/* A whole non-negative number's digits, as text. */
static char *get_number(struct jp *j)
{
	const char *start = j->p;
	char *s;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) {
		jerr(j, "only whole numbers: write e.g. 256");
		return NULL;
	}
	if (j->p - start > 20) {
		jerr(j, "number longer than 20 digits");
		return NULL;
	}
	s = strndup(start, (size_t)(j->p - start));
	if (!s)
		jerr(j, "out of memory");
	return s;
}

static struct domus_cfg_value *new_value(struct jp *j, enum domus_cfg_vtype type, char *str)
{
	struct domus_cfg_value *v = calloc(1, sizeof(*v));

	if (!v) {
		free(str);
		jerr(j, "out of memory");
		return NULL;
	}
	v->type = type;
	v->str = str;
	v->line = j->line;
	return v;
}

/*
 * Append item @it (NULL: it failed to parse, the error is set) to list @v.
 * On failure both are freed and -1 returned.
 */
static int list_push(struct jp *j, struct domus_cfg_value *v,
		     struct domus_cfg_value *it)
{
	if (it && !xlcfg_list_add(v, it))
		return 0;
	if (it)
		jerr(j, "out of memory");
	xlcfg_value_free(it);
	xlcfg_value_free(v);
	return -1;
}

/* The closing ']' of list @v, named @what in the error; v or NULL. */
static struct domus_cfg_value *list_end(struct jp *j, struct domus_cfg_value *v,
					const char *what)
{
	if (eat(j, ']'))
		return v;
	xlcfg_value_free(v);
	return jerr(j, "%s: expected ',' or ']' in the list", what), NULL;
}

/* A string, a whole number or a list of them: an xl.cfg value. */
static struct domus_cfg_value *get_value(struct jp *j, const char *key, int depth)
{
	struct domus_cfg_value *v, *it;
	char *s;

	skip_ws(j);
	if (j->p >= j->end)
		return jerr(j, "%s: the text ends where a value should be", key), NULL;
	if (*j->p == '"') {
		s = get_string(j);
		return s ? new_value(j, DOMUS_CFG_STRING, s) : NULL;
	}
	if (*j->p >= '0' && *j->p <= '9') {
		s = get_number(j);
		return s ? new_value(j, DOMUS_CFG_NUMBER, s) : NULL;
	}
	if (*j->p != '[')
		return jerr(j, "%s: expected a string, a whole number or a list", key), NULL;
	if (depth >= DOMUS_CFG_MAX_DEPTH)
		return jerr(j, "%s: lists nested deeper than %d", key, DOMUS_CFG_MAX_DEPTH), NULL;
	j->p++;
	v = new_value(j, DOMUS_CFG_LIST, NULL);
	if (!v)
		return NULL;
	if (eat(j, ']'))
		return v;
	do {
		it = get_value(j, key, depth + 1);
		if (list_push(j, v, it))
			return NULL;
	} while (eat(j, ','));
	return list_end(j, v, key);
}

/* true or false. */
static int get_bool(struct jp *j, const char *key, bool *out)
{
	skip_ws(j);
	if (j->end - j->p >= 4 && !memcmp(j->p, "true", 4)) {
		j->p += 4;
		*out = true;
		return 0;
	}
	if (j->end - j->p >= 5 && !memcmp(j->p, "false", 5)) {
		j->p += 5;
		*out = false;
		return 0;
	}
	return jerr(j, "%s: expected true or false", key);
}

/* A growing "k=v,k=v" specification. */
struct spec {
	char buf[1024];
	size_t n;
};

static int spec_add(struct jp *j, struct spec *sp, const char *key, const char *val, bool last)
{
	int r;

	if (val && !last && strpbrk(val, ",=")) {
		jerr(j, "%s: '%.40s' holds ',' or '='", key, val);
		return -1;
	}
	r = snprintf(sp->buf + sp->n, sizeof(sp->buf) - sp->n, "%s%s%s%s", sp->n ? "," : "", key,
		     val ? "=" : "", val ? val : "");
	if (r < 0 || (size_t)r >= sizeof(sp->buf) - sp->n)
		return jerr(j, "%s: the device's settings are longer than %zu bytes", key, sizeof(sp->buf) - 1);
	sp->n += (size_t)r;
	return 0;
}

static int member_string(struct jp *j, const char *what, const char *key, char **out)
{
	skip_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return jerr(j, "%s: %s: expected a string", what, key);
	*out = get_string(j);
	return *out ? 0 : -1;
}

/* One object of "disk" or "vif" into its xl specification. */
static struct domus_cfg_value *get_device(struct jp *j, bool disk)
{
	const char *what = disk ? "disk" : "vif";
	struct spec sp = { .n = 0 };
	char *target = NULL, *s = NULL, key[32];
	unsigned int line = j->line;
	bool b;

	j->p++;
	if (eat(j, '}'))
		goto done;
	do {
		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jerr(j, "%s: expected a member name in \"quotes\"", what), free(target), NULL;
		s = get_string(j);
		if (!s)
			return free(target), NULL;
		snprintf(key, sizeof(key), "%s", s);
		free(s);
		s = NULL;
		if (!eat(j, ':'))
			goto bad_colon;
		if (disk && !strcmp(key, "target")) {
			free(target);
			if (member_string(j, what, key, &target))
				return NULL;
		} else if (disk && !strcmp(key, "discard")) {
			if (get_bool(j, key, &b) || (!b && spec_add(j, &sp, "no-discard", NULL, false)))
				goto fail;
		} else if (!disk && !strcmp(key, "bridge_create")) {
			if (get_bool(j, key, &b) || spec_add(j, &sp, "bridge-create", b ? "yes" : "no", false))
				goto fail;
		} else if (!disk && !strcmp(key, "mtu")) {
			skip_ws(j);
			if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
				jerr(j, "vif: mtu: expected a whole number, e.g. 1500");
				goto fail;
			}
			if (!(s = get_number(j)) || spec_add(j, &sp, "mtu", s, false))
				goto fail;
		} else if (!disk && !strcmp(key, "ip")) {
			struct domus_cfg_value *l = get_value(j, key, DOMUS_CFG_MAX_DEPTH - 1);
			char ips[256] = "";
			size_t i, n = 0;

			if (!l)
				goto fail;
			for (i = 0; l->type == DOMUS_CFG_LIST && i < l->nitems; i++) {
				const char *a = l->items[i]->type == DOMUS_CFG_STRING ? l->items[i]->str : NULL;
				int r = a ? snprintf(ips + n, sizeof(ips) - n, "%s%s", n ? " " : "", a) : -1;

				if (r < 0 || (size_t)r >= sizeof(ips) - n || strpbrk(a, " \t")) {
					xlcfg_value_free(l);
					jerr(j, "vif: ip: give a list of addresses, e.g. [\"192.0.2.10\"]");
					goto fail;
				}
				n += (size_t)r;
			}
			if (l->type != DOMUS_CFG_LIST) {
				xlcfg_value_free(l);
				jerr(j, "vif: ip: give a list of addresses, e.g. [\"192.0.2.10\"]");
				goto fail;
			}
			xlcfg_value_free(l);
			if (spec_add(j, &sp, "ip", ips, false))
				goto fail;
		} else if ((disk && (!strcmp(key, "vdev") || !strcmp(key, "access") || !strcmp(key, "devtype"))) ||
			   (!disk && (!strcmp(key, "mac") || !strcmp(key, "bridge") || !strcmp(key, "vifname") ||
				      !strcmp(key, "rate")))) {
			if (member_string(j, what, key, &s) || spec_add(j, &sp, key, s, false))
				goto fail;
		} else {
			jerr(j, disk ? "disk: unknown member \"%.30s\": use vdev, target, access, devtype or discard"
				     : "vif: unknown member \"%.30s\": use mac, bridge, bridge_create, vifname, ip, rate or mtu",
			     key);
			goto fail;
		}
		free(s);
		s = NULL;
	} while (eat(j, ','));
	if (!eat(j, '}')) {
		jerr(j, "%s: expected ',' or '}' in the object", what);
		goto fail;
	}
done:
	if (target && spec_add(j, &sp, "target", target, true))
		goto fail;
	free(target);
	s = strdup(sp.buf);
	if (!s)
		return jerr(j, "out of memory"), NULL;
	{
		struct domus_cfg_value *v = new_value(j, DOMUS_CFG_STRING, s);

		if (v)
			v->line = line;
		return v;
	}
bad_colon:
	jerr(j, "%s: expected ':' after the member name", what);
fail:
	free(s);
	free(target);
	return NULL;
}

/* "disk"/"vif": a list of objects or xl specification strings. */
static struct domus_cfg_value *get_devices(struct jp *j, bool disk)
{
	struct domus_cfg_value *v, *it;
	const char *what = disk ? "disk" : "vif";

	if (!eat(j, '['))
		return jerr(j, "%s: expected a list [ {...}, ... ]", what), NULL;
	v = new_value(j, DOMUS_CFG_LIST, NULL);
	if (!v || eat(j, ']'))
		return v;
	do {
		skip_ws(j);
		if (j->p < j->end && *j->p == '{')
			it = get_device(j, disk);
		else if (j->p < j->end && *j->p == '"')
			it = get_value(j, what, 1);
		else
			it = (jerr(j, "%s: expected an object {...} or a string", what), NULL);
		if (list_push(j, v, it))
			return NULL;
	} while (eat(j, ','));
	return list_end(j, v, what);
}

static bool key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > 79 || !(k[0] >= 'a' && k[0] <= 'z'))
		return false;
	for (i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '.'))
			return false;
	return true;
}

/* An object's members, each "KEY": VALUE stored; @ignored: the "ignored" object. */
static int get_members(struct jp *j, bool ignored)
{
	char *key;

	if (eat(j, '}'))
		return 0;
	do {
		struct domus_cfg_value *v;
		const char *kp;
		unsigned int line;
		int r;

		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jerr(j, "expected a key in \"quotes\"");
		line = j->line;
		kp = j->p;
		key = get_string(j);
		if (!key)
			return -1;
		if (!eat(j, ':')) {
			free(key);
			return jerr(j, "expected ':' after the key");
		}
		if (!ignored && !strcmp(key, "ignored")) {
			free(key);
			if (!eat(j, '{'))
				return jerr(j, "ignored: expected an object of xl keys {\"serial\": \"pty\", ...}");
			if (get_members(j, true))
				return -1;
			continue;
		}
		if (!key_ok(key) || (ignored ? xlcfg_key_used(key) : !xlcfg_key_used(key))) {
			j->p = kp;	/* the message points at the key */
			jerr(j, ignored ? "ignored: \"%.40s\" is not an xl key domus ignores: give it outside \"ignored\""
					: "unknown key \"%.40s\": give xl keys domus does not use inside \"ignored\": {...}",
			     key);
			free(key);
			return -1;
		}
		if (domus_config_get(j->c, key)) {
			j->p = kp;
			jerr(j, "%s is given twice: give each key once", key);
			free(key);
			return -1;
		}
		if (!ignored && (!strcmp(key, "disk") || !strcmp(key, "vif")))
			v = get_devices(j, key[0] == 'd');
		else
			v = get_value(j, key, 0);
		r = v ? xlcfg_store(j->c, j->file, line, key, v, j->err, j->errlen) : -1;
		free(key);
		if (r)
			return -1;
	} while (eat(j, ','));
	if (!eat(j, '}'))
		return jerr(j, "expected ',' or '}' after the value");
	return 0;
}

int xlcfg_parse_json(struct domus_config *c, const char *text, size_t len, const char *fname,
		     char *err, size_t errlen)
{
	struct jp j = { .c = c, .p = text, .end = text + len, .bol = text, .line = 1,
			.err = err, .errlen = errlen };

	c->json = true;
	j.file = xlcfg_keep_name(c, fname);
	if (!j.file) {
		xlcfg_errf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	if (len > DOMUS_CFG_MAX_FILE) {
		xlcfg_errf(err, errlen, "%s: config file larger than %u bytes", fname, DOMUS_CFG_MAX_FILE);
		return -1;
	}
	if (!eat(&j, '{'))
		return jerr(&j, "expected '{': a JSON domain definition is one object");
	if (get_members(&j, false))
		return -1;
	skip_ws(&j);
	if (j.p < j.end)
		return jerr(&j, "text after the closing '}': one object per file");
	return 0;
}
