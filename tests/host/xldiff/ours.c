// SPDX-License-Identifier: MIT
/*
 * Our side: domus_config_parse (the store of userland/config/xlcfg.c),
 * domus_disk_parse and the rate= of domus_vif_parse, written in the same
 * canonical form as the oracle's (oracle.c).  A NUMBER is written as a
 * string: libxlutil keeps numbers as strings too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "xldiff.h"

void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *t;

		while (cap < b->len + n + 1)
			cap *= 2;
		t = realloc(b->s, cap);
		if (!t) {
			fputs("xldiff: out of memory\n", stderr);
			exit(2);
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n >= 0)
		sb_add(b, big, (size_t)n);
	free(big);
}

void sb_quote(struct sbuf *b, const char *s, size_t n)
{
	size_t i;

	sb_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			sb_add(b, (const char *)&c, 1);
		else
			sb_printf(b, "\\x%02x", c);
	}
	sb_add(b, "\"", 1);
}

void sb_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void result_free(struct result *r)
{
	sb_free(&r->store);
	sb_free(&r->disks);
	sb_free(&r->rates);
	sb_free(&r->msg);
}

/* --- candidate keys ------------------------------------------------------- */

void keys_add(struct keys *ks, const char *k)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 64;
		ks->k = realloc(ks->k, ks->cap * sizeof(*ks->k));
		if (!ks->k) {
			fputs("xldiff: out of memory\n", stderr);
			exit(2);
		}
	}
	ks->k[ks->n] = strdup(k);
	if (!ks->k[ks->n]) {
		fputs("xldiff: out of memory\n", stderr);
		exit(2);
	}
	ks->n++;
}

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* Every run of [A-Za-z0-9_.-] and each of its suffixes that starts with a
 * letter or '_' (up to 200 bytes: a key is a token of one line, and
 * longer runs are asked for whole). */
void keys_from_text(struct keys *ks, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t s = i, j;
		char buf[256];

		if (!word_char((unsigned char)text[i])) {
			i++;
			continue;
		}
		while (i < len && word_char((unsigned char)text[i]))
			i++;
		if (i - s > 200) {
			char *w = strndup(text + s, i - s);

			if (w) {
				keys_add(ks, w);
				free(w);
			}
			continue;
		}
		for (j = s; j < i; j++) {
			unsigned char c = (unsigned char)text[j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
				continue;
			/* and each prefix of that suffix too: "a.b-c" holds "a.b" */
			{
				size_t e;

				for (e = j + 1; e <= i; e++) {
					if (e < i && word_char((unsigned char)text[e]) &&
					    text[e] != '-' && text[e] != '.')
						continue;
					memcpy(buf, text + j, e - j);
					buf[e - j] = 0;
					keys_add(ks, buf);
				}
			}
		}
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void keys_sort(struct keys *ks)
{
	size_t i, o = 0;

	if (!ks->n)
		return;
	qsort(ks->k, ks->n, sizeof(*ks->k), cmp);
	for (i = 0; i < ks->n; i++) {
		if (o && !strcmp(ks->k[o - 1], ks->k[i])) {
			free(ks->k[i]);
			continue;
		}
		ks->k[o++] = ks->k[i];
	}
	ks->n = o;
}

void keys_free(struct keys *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	memset(ks, 0, sizeof(*ks));
}

/* --- our parser ------------------------------------------------------------ */

static void out_value(const struct domus_cfg_value *v, struct sbuf *b)
{
	size_t i;

	if (v->type != DOMUS_CFG_LIST) {
		sb_quote(b, v->str, strlen(v->str));
		return;
	}
	sb_add(b, "[", 1);
	for (i = 0; i < v->nitems; i++) {
		if (i)
			sb_add(b, ",", 1);
		out_value(v->items[i], b);
	}
	sb_add(b, "]", 1);
}

void ours_disk(const char *spec, struct sbuf *b)
{
	struct domus_disk d;
	char err[256];

	if (domus_disk_parse(spec, &d, err, sizeof(err))) {
		sb_printf(b, "error: %s", err);
		return;
	}
	sb_printf(b, "ok target=");
	sb_quote(b, d.target ? d.target : "", d.target ? strlen(d.target) : 0);
	sb_printf(b, " vdev=");
	sb_quote(b, d.vdev, strlen(d.vdev));
	sb_printf(b, " ro=%d cdrom=%d discard=%s fmt=%s script=-", d.readonly, d.cdrom,
		  d.no_discard ? "no" : "-", d.target ? "raw" : "empty");
	domus_disk_free(&d);
}

void ours_rate(const char *rate, struct sbuf *b)
{
	struct domus_vif v;
	char err[256], *spec;

	if (asprintf(&spec, "rate=%s", rate) < 0) {
		fputs("xldiff: out of memory\n", stderr);
		exit(2);
	}
	if (strchr(rate, ','))
		sb_printf(b, "error: a comma in the rate");
	else if (domus_vif_parse(spec, &v, err, sizeof(err)))
		sb_printf(b, "error: %s", err);
	else
		sb_printf(b, "ok bpi=%llu us=%u",
			  (unsigned long long)(v.rate_bytes_per_s * v.rate_interval_us / 1000000ull),
			  v.rate_interval_us);
	free(spec);
}

static const struct domus_cfg_value *get(const struct domus_config *c, const char *key)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);

	return e ? e->value : NULL;
}

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

void ours_run(const char *text, size_t len, struct result *r, struct keys *ks)
{
	struct domus_config c;
	const struct domus_cfg_value *l;
	struct keys mine = { 0 };
	char err[512];
	size_t i;

	memset(r, 0, sizeof(*r));
	domus_config_init(&c);
	if (domus_config_parse(&c, text, len, "cfg", err, sizeof(err))) {
		sb_printf(&r->msg, "%s", err);
		domus_config_free(&c);
		return;
	}
	r->ok = true;
	for (i = 0; i < c.nentries; i++) {
		keys_add(&mine, c.entries[i].key);
		keys_add(ks, c.entries[i].key);
	}
	keys_sort(&mine);
	for (i = 0; i < mine.n; i++) {
		sb_printf(&r->store, "%s=", mine.k[i]);
		out_value(get(&c, mine.k[i]), &r->store);
		sb_add(&r->store, "\n", 1);
	}
	keys_free(&mine);
	l = get(&c, "disk");
	for (i = 0; l && l->type == DOMUS_CFG_LIST && i < l->nitems; i++) {
		if (l->items[i]->type == DOMUS_CFG_LIST)
			continue;
		sb_add(&r->disks, l->items[i]->str, strlen(l->items[i]->str) + 1);
	}
	l = get(&c, "vif");
	for (i = 0; l && l->type == DOMUS_CFG_LIST && i < l->nitems; i++) {
		char *rate;

		if (l->items[i]->type == DOMUS_CFG_LIST || !(rate = rate_of(l->items[i]->str)))
			continue;
		sb_add(&r->rates, rate, strlen(rate) + 1);
		free(rate);
	}
	domus_config_free(&c);
}
