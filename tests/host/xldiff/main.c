// SPDX-License-Identifier: MIT
/*
 * xldiff: domus's xl.cfg parser against Xen's libxlutil (xldiff.h).
 *
 *   xldiff [-v] GROUP...      GROUP: --configs NAME FILE...   whole configs
 *                                    --disks NAME FILE        disk specs, one a line
 *                                    --rates NAME FILE        vif rate= values, one a line
 *                                    --gen N SEED             N generated configs
 *                                    --builtin                one input per bound
 * XLDIFF_SHOW=N prints up to N unexplained disagreements per group (10).
 *   xldiff --table            the table of deliberate differences (markdown)
 *   xldiff --show FILE        both results for one config
 *
 * One result line per group ("PASS: xldiff/NAME" or "FAIL: ..."), each
 * unexplained disagreement printed with its input (the first 10 of a
 * group), then "xldiff/differences-table" (every entry of the table was
 * needed by some input: no stale entry), and "N passed, N failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xldiff.h"

static int verbose;
static unsigned long show_max = 10;	/* unexplained disagreements printed per group */
static unsigned passed, failed;

struct group {
	const char *name;
	unsigned long inputs, agree, explained, bad, xl_crashes, both_accept;
	unsigned long specs, spec_agree, spec_explained;
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b = { 0 };
	char buf[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "xldiff: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&b, buf, n);
	fclose(f);
	sb_add(&b, "", 0);
	*len = b.len;
	return b.s;
}

static void show_input(const char *what, const char *text, size_t len)
{
	struct sbuf q = { 0 };

	sb_quote(&q, text, len > 2000 ? 2000 : len);
	printf("  input (%s, %zu bytes): %s%s\n", what, len, q.s, len > 2000 ? "..." : "");
	sb_free(&q);
}

static void show_result(const char *who, const struct result *r)
{
	printf("  %s: %s%s\n", who, r->ok ? "accepts" : "rejects", r->crashed ? " (died)" : "");
	if (!r->ok)
		printf("    %s\n", r->msg.s ? r->msg.s : "");
	else
		printf("%s", r->store.s ? r->store.s : "");
}

static bool same(const struct sbuf *a, const struct sbuf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

bool results_agree(const struct result *ours, const struct result *xl)
{
	return ours->ok == xl->ok && (!ours->ok || same(&ours->store, &xl->store));
}

void both_run(const char *text, size_t len, struct result *ours, struct result *xl)
{
	struct keys ks = { 0 };

	keys_from_text(&ks, text, len);
	ours_run(text, len, ours, &ks);
	keys_sort(&ks);
	xl_run(text, len, &ks, xl);
	keys_free(&ks);
}

static void config_specs(struct group *g, const struct result *ours);

/* Both parsers on one config; counts into @g. */
static void one_config(struct group *g, const char *what, const char *text, size_t len)
{
	struct result ours, xl;
	struct difference *d;

	g->inputs++;
	both_run(text, len, &ours, &xl);
	if (xl.crashed) {
		g->xl_crashes++;
		if (verbose > 1) {
			printf("info: %s: %s: libxlutil died\n", g->name, what);
			show_input(what, text, len);
		}
	}
	if (ours.ok && xl.ok)
		g->both_accept++;
	if (results_agree(&ours, &xl)) {
		g->agree++;
		if (ours.ok)
			config_specs(g, &ours);
	} else if ((d = difference_find(text, len, &ours, &xl))) {
		d->seen++;
		g->explained++;
		if (verbose) {
			printf("info: %s: %s: %s\n", g->name, what, d->name);
			if (verbose > 1) {
				show_input(what, text, len);
				show_result("domus", &ours);
				show_result("libxlutil", &xl);
			}
		}
	} else {
		if (g->bad++ < show_max) {
			printf("xldiff: %s: %s: the parsers disagree\n", g->name, what);
			show_input(what, text, len);
			show_result("domus", &ours);
			show_result("libxlutil", &xl);
		}
	}
	result_free(&ours);
	result_free(&xl);
}

static void one_spec(struct group *g, const char *spec, bool disk);

/* The disk specs and rates of a config both parsers read alike. */
static void config_specs(struct group *g, const struct result *ours)
{
	size_t o;

	for (o = 0; o < ours->disks.len; o += strlen(ours->disks.s + o) + 1)
		one_spec(g, ours->disks.s + o, true);
	for (o = 0; o < ours->rates.len; o += strlen(ours->rates.s + o) + 1)
		one_spec(g, ours->rates.s + o, false);
}

static void one_spec(struct group *g, const char *spec, bool disk)
{
	struct sbuf o = { 0 }, x = { 0 };
	struct difference *d;

	g->specs++;
	if (disk)
		ours_disk(spec, &o);
	else
		ours_rate(spec, &o);
	xl_disk_rate(spec, disk, &x);
	sb_add(&o, "", 0);
	sb_add(&x, "", 0);
	/* both errors agree whatever the messages say; libxlutil dying
	 * (an assertion) is its error */
	if (!strncmp(x.s, "died", 4))
		g->xl_crashes++;
	if (!strcmp(o.s, x.s) || (!strncmp(o.s, "error", 5) && (!strncmp(x.s, "error", 5) || !strncmp(x.s, "died", 4)))) {
		g->spec_agree++;
	} else if ((d = spec_difference_find(spec, disk, o.s, x.s))) {
		d->seen++;
		g->spec_explained++;
		if (verbose)
			printf("info: %s: '%s': %s\n", g->name, spec, d->name);
	} else if (g->bad++ < show_max) {
		printf("xldiff: %s: '%s': the parsers disagree\n  domus:     %s\n  libxlutil: %s\n", g->name, spec,
		       o.s, x.s);
	}
	sb_free(&o);
	sb_free(&x);
}

static void group_done(struct group *g)
{
	if (!g->bad && (g->inputs || g->specs)) {
		printf("PASS: xldiff/%s\n", g->name);
		passed++;
	} else {
		printf("FAIL: xldiff/%s: %lu unexplained disagreements\n", g->name, g->bad);
		failed++;
	}
	printf("info: %s: %lu inputs (%lu accepted by both), %lu agree, %lu deliberate differences, %lu unexplained; libxlutil died on %lu\n",
	       g->name, g->inputs, g->both_accept, g->agree, g->explained, g->bad, g->xl_crashes);
	printf("info: %s: %lu disk and rate specs, %lu agree, %lu deliberate differences\n", g->name, g->specs,
	       g->spec_agree, g->spec_explained);
}

/* One input per bound and per normalising difference of the table, made
 * here (a 1 MiB file is no file to keep in the tree). */
static void builtin(struct group *g)
{
	struct sbuf b = { 0 };
	unsigned int i;
	static const char *const small[] = {
		"a = \"\\101 \\x41\"\n",		/* numeric-escapes */
		"a = 1\n# the end",			/* comment-at-eof */
		"a = 1\r\nb = 2\r\n",		/* carriage-return */
		"x = 1.",				/* junk-at-eof */
		"a = 1\n\0",				/* junk-at-eof: a NUL */
		"a = [[[[[[[[[1]]]]]]]]]\n",		/* list-depth */
		"{ \"name\": \"x\", \"kernel\": \"/k\" }\n",	/* json-view */
		"a = 1\na += 2\nb = \"x\"\nb += 3\n",	/* += joins scalars (both) */
		"memory = 0x1F\n",			/* both refuse */
	};

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		size_t n = strlen(small[i]);

		if (i == 4)
			n = 7;		/* the NUL */
		one_config(g, "built-in", small[i], n);
	}
	b.len = 0;
	for (i = 0; i < 80; i++)
		sb_add(&b, "k", 1);
	sb_add(&b, " = 1\n", 5);
	one_config(g, "built-in: an 80-character key", b.s, b.len);	/* key-length */
	b.len = 0;
	sb_add(&b, "a = \"", 5);
	for (i = 0; i < 65537; i++)
		sb_add(&b, "x", 1);
	sb_add(&b, "\"\n", 2);
	one_config(g, "built-in: a 65537-byte string", b.s, b.len);	/* string-length */
	b.len = 0;
	sb_add(&b, "a = ", 4);
	for (i = 0; i < 65; i++)
		sb_add(&b, "1", 1);
	sb_add(&b, "\n", 1);
	one_config(g, "built-in: a 65-digit number", b.s, b.len);	/* number-length */
	b.len = 0;
	for (i = 0; i < 1025; i++)
		sb_printf(&b, "k%u = %u\n", i, i);
	one_config(g, "built-in: 1025 keys", b.s, b.len);		/* key-count */
	b.len = 0;
	sb_add(&b, "a = 1\n#", 8);
	for (i = 0; i < (1u << 20); i++)
		sb_add(&b, "c", 1);
	sb_add(&b, "\n", 1);
	one_config(g, "built-in: a file of 1 MiB and 9 bytes", b.s, b.len);	/* file-size */
	sb_free(&b);
}

static void print_table(void)
{
	size_t i;

	printf("| difference | reason |\n|---|---|\n");
	for (i = 0; i < ndifferences; i++)
		printf("| `%s` | %s |\n", differences[i].name, differences[i].reason);
}

static void usage(void)
{
	fputs("usage: xldiff [-v] {--configs NAME FILE... | --disks NAME FILE | --rates NAME FILE | --gen N SEED | --builtin}...\n"
	      "       xldiff --table | --show FILE\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t k;
	bool all_seen = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("XLDIFF_SHOW"))
		show_max = strtoul(getenv("XLDIFF_SHOW"), NULL, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "--table")) {
		print_table();
		return 0;
	}
	if (!strcmp(argv[1], "--show") && argc == 3) {
		struct group g = { .name = "show" };
		size_t len;
		char *t = read_file(argv[2], &len);

		verbose = 2;
		one_config(&g, argv[2], t, len);
		free(t);
		return g.bad ? 1 : 0;
	}
	while (i < argc && argv[i][0] == '-' && argv[i][1] == 'v') {
		verbose += (int)strlen(argv[i]) - 1;
		i++;
	}
	while (i < argc) {
		struct group g = { 0 };

		if (!strcmp(argv[i], "--configs") && i + 1 < argc) {
			g.name = argv[i + 1];
			for (i += 2; i < argc && strncmp(argv[i], "--", 2); i++) {
				size_t len;
				char *t = read_file(argv[i], &len);

				one_config(&g, argv[i], t, len);
				free(t);
			}
		} else if ((!strcmp(argv[i], "--disks") || !strcmp(argv[i], "--rates")) && i + 2 < argc) {
			bool disk = argv[i][2] == 'd';
			size_t len;
			char *t = read_file(argv[i + 2], &len), *line, *save = NULL;

			g.name = argv[i + 1];
			for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
				if (line[0] != '#')
					one_spec(&g, line, disk);
			free(t);
			i += 3;
		} else if (!strcmp(argv[i], "--builtin")) {
			g.name = "built-in";
			builtin(&g);
			i++;
		} else if (!strcmp(argv[i], "--gen") && i + 2 < argc) {
			unsigned long n = strtoul(argv[i + 1], NULL, 0), j;
			unsigned long long seed = strtoull(argv[i + 2], NULL, 0);
			struct sbuf b = { 0 };

			g.name = "generated";
			for (j = 0; j < n; j++) {
				char what[64];

				b.len = 0;
				gen_config(seed, j, &b);
				snprintf(what, sizeof(what), "config %lu of seed %llu", j, seed);
				one_config(&g, what, b.s ? b.s : "", b.len);
			}
			sb_free(&b);
			i += 3;
		} else {
			usage();
		}
		group_done(&g);
	}
	for (k = 0; k < ndifferences; k++) {
		printf("info: difference %s: %lu inputs\n", differences[k].name, differences[k].seen);
		if (!differences[k].seen) {
			printf("xldiff: no input needed the difference '%s': drop it from the table or add its input\n",
			       differences[k].name);
			all_seen = false;
		}
	}
	if (all_seen) {
		printf("PASS: xldiff/differences-table\n");
		passed++;
	} else {
		printf("FAIL: xldiff/differences-table: entries no input needed\n");
		failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
