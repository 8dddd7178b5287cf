/* SPDX-License-Identifier: MIT */
/*
 * xldiff: differential test of domus's xl.cfg parser (userland/config)
 * against Xen's own libxlutil (Debian's libxenmisc4.17, a test-only
 * dependency).  See docs/testing.md "xl.cfg against Xen's libxlutil".
 *
 * Both parsers read the same text; each result is written as one
 * canonical text (struct result), and the two texts must be equal, or the
 * difference must be one the table of deliberate differences (table.c)
 * names.
 */
#ifndef XLDIFF_H
#define XLDIFF_H

#include <stdbool.h>
#include <stddef.h>

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sb_add(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "..." with every byte outside printable ASCII, '\\' and '"' as \xHH. */
void sb_quote(struct sbuf *b, const char *s, size_t n);
void sb_free(struct sbuf *b);

/* What one parser made of one config text. */
struct result {
	bool ok;		/* accepted */
	bool crashed;		/* (xl) the parser died: a signal */
	struct sbuf store;	/* accepted: "key=VALUE\n" per key, keys sorted */
	/* ours, accepted: the disk = [...] entries and the rate= values of
	 * vif = [...] entries, each NUL-terminated (compared one by one) */
	struct sbuf disks, rates;
	struct sbuf msg;	/* rejected: the parser's message */
};
void result_free(struct result *r);

/* The keys to ask libxlutil for (it cannot list its keys): every
 * identifier-like run in the text and its suffixes, plus ours. */
struct keys {
	char **k;
	size_t n, cap;
};
void keys_from_text(struct keys *ks, const char *text, size_t len);
void keys_add(struct keys *ks, const char *k);
void keys_sort(struct keys *ks);
void keys_free(struct keys *ks);

/* main.c: both parsers on one text; do the results agree? */
void both_run(const char *text, size_t len, struct result *ours, struct result *xl);
bool results_agree(const struct result *ours, const struct result *xl);

/* ours.c: domus_config_parse into @r; the keys it stored into @ks. */
void ours_run(const char *text, size_t len, struct result *r, struct keys *ks);
/* oracle.c: libxlutil in a child process (it may abort). */
void xl_run(const char *text, size_t len, const struct keys *ks, struct result *r);
/* One disk spec / one rate spec by each parser: a canonical line. */
void ours_disk(const char *spec, struct sbuf *out);
void ours_rate(const char *spec, struct sbuf *out);
void xl_disk_rate(const char *spec, bool disk, struct sbuf *out);

/* table.c: the deliberate differences. */
struct difference {
	const char *name;
	const char *reason;
	/* does this difference explain the disagreement on @text? */
	bool (*explains)(const char *text, size_t len, const struct result *ours, const struct result *xl);
	unsigned long seen;
};
extern struct difference differences[];
extern const size_t ndifferences;
/* The first entry that explains the disagreement, or NULL. */
struct difference *difference_find(const char *text, size_t len, const struct result *ours,
				   const struct result *xl);
/* The same for one disk or rate spec (@ours, @xl: the canonical lines). */
struct difference *spec_difference_find(const char *spec, bool disk, const char *ours, const char *xl);

/* gen.c: config number @i of the seeded generator into @b. */
void gen_config(unsigned long long seed, unsigned long i, struct sbuf *b);

#endif
