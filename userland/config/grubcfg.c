// SPDX-License-Identifier: MIT
/*
 * The guest's boot menu, as pygrub reads it (bootloader = "pygrub",
 * docs/launcher.md "bootloader"): GRUB 2's grub.cfg (menuentry, submenu,
 * linux, initrd, set default=, grubenv's saved_entry and next_entry) and
 * GRUB 0.97's menu.lst (default, title, kernel, initrd).  Nothing is
 * executed: the script's commands are read, both branches of an if are
 * seen (the last "set default" wins), functions are skipped.
 *
 * The text comes from a guest's disk: hostile.  Its size, the words, the
 * entries, the variables and the nesting are bounded; every failure is a
 * one-line message.  bootloader.c finds the file in the disk image.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

#define GRUB_MAX_DEPTH	8		/* nested submenus and blocks */
#define GRUB_MAX_WORDS	128		/* words of one command */
#define GRUB_MAX_WORD	4096		/* bytes of one word */
#define GRUB_MAX_VARS	32
#define GRUB_VAR_LEN	256

struct grub_node {
	struct domus_grub_entry e;
	int parent;			/* -1: top level */
	bool submenu;
};

struct grub_var {
	char name[32];
	char value[GRUB_VAR_LEN];
};

struct grub_parse {
	const char *p, *end;
	struct grub_node *nodes;
	int nnodes, cap;
	int stack[GRUB_MAX_DEPTH];	/* open blocks: node index, or -2 for a skipped block */
	int depth;
	struct grub_var vars[GRUB_MAX_VARS];
	int nvars;
	char *words[GRUB_MAX_WORDS];
	int nwords;
	char *err;
	size_t errlen;
};

static const char *var_get(const struct grub_parse *g, const char *name, size_t n)
{
	/* set by Debian's grub.cfg to "--id" or "" in an if: the option word */
	if (n == 19 && !memcmp(name, "menuentry_id_option", n))
		return "--id";
	for (int i = 0; i < g->nvars; i++)
		if (strlen(g->vars[i].name) == n && !memcmp(g->vars[i].name, name, n))
			return g->vars[i].value;
	return "";
}

static void var_set(struct grub_parse *g, const char *name, size_t n, const char *value)
{
	int i;

	if (!n || n >= sizeof(g->vars[0].name))
		return;
	for (i = 0; i < g->nvars; i++)
		if (strlen(g->vars[i].name) == n && !memcmp(g->vars[i].name, name, n))
			break;
	if (i == g->nvars) {
		if (g->nvars == GRUB_MAX_VARS)
			return;		/* the ones that matter come first */
		g->nvars++;
		memcpy(g->vars[i].name, name, n);
		g->vars[i].name[n] = 0;
	}
	snprintf(g->vars[i].value, sizeof(g->vars[i].value), "%s", value);
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void free_words(struct grub_parse *g)
{
	for (int i = 0; i < g->nwords; i++)
		free(g->words[i]);
	g->nwords = 0;
}

/* A $NAME or ${NAME} at g->p, expanded into the word. 0, or -1 if unterminated. */
static int put_var(struct grub_parse *g, char *w, size_t *wl)
{
	const char *n = g->p + 1, *ne, *v;

	if (n < g->end && *n == '{') {
		for (ne = n + 1; ne < g->end && (is_name_char(*ne) || *ne == '?' || *ne == '#'); ne++)
			;
		if (ne >= g->end || *ne != '}')
			return -1;
		v = var_get(g, n + 1, (size_t)(ne - n - 1));
		g->p = ne + 1;
	} else {
		for (ne = n; ne < g->end && is_name_char(*ne); ne++)
			;
		v = ne == n ? "$" : var_get(g, n, (size_t)(ne - n));
		g->p = ne;
	}
	for (; *v; v++)
		if (*wl < GRUB_MAX_WORD)
			w[(*wl)++] = *v;
	return 0;
}

/*
 * A word is complete: kept in g->words.  An unquoted "{" ends its command
 * (1) and an unquoted "}" is a command of its own: one after other words
 * is given back for the next call (1), so "menuentry a { linux /a }" is
 * three commands.
 */
static int end_word(struct grub_parse *g, char *w, size_t wl, bool quoted, const char *wstart)
{
	w[wl] = 0;
	if (!quoted && !strcmp(w, "}") && g->nwords) {
		free(w);
		g->p = wstart;
		return 1;
	}
	g->words[g->nwords++] = w;
	return !quoted && (!strcmp(w, "{") || !strcmp(w, "}"));
}

/*
 * The next command's words into g->words (quotes removed, $variables
 * expanded outside single quotes).  Returns 1 (a command, maybe of no
 * words), 0 at the end, -1 on error.
 */
static int next_command(struct grub_parse *g)
{
	const char *wstart = g->p;
	char *w = NULL;
	size_t wl = 0;
	bool inword = false, quoted = false;
	int r;

	free_words(g);
	while (g->p < g->end) {
		char c = *g->p;

		if (!inword && (c == ' ' || c == '\t' || c == '\r')) {
			g->p++;
			continue;
		}
		if (!inword && c == '#') {
			while (g->p < g->end && *g->p != '\n')
				g->p++;
			continue;
		}
		if (c == '\n' || c == ';' || (inword && (c == ' ' || c == '\t' || c == '\r'))) {
			if (inword) {
				inword = false;
				r = end_word(g, w, wl, quoted, wstart);
				w = NULL;
				wl = 0;
				if (r)
					return 1;
			}
			if (c == '\n' || c == ';') {
				g->p++;
				return 1;
			}
			g->p++;
			continue;
		}
		if (!inword) {
			if (g->nwords == GRUB_MAX_WORDS)
				return domus_cfg_err(g->err, g->errlen, "a command of more than %d words", GRUB_MAX_WORDS);
			w = malloc(GRUB_MAX_WORD + 1);
			if (!w)
				return domus_cfg_err(g->err, g->errlen, "out of memory");
			inword = true;
			quoted = false;
			wstart = g->p;
		}
		if (c == '\'' || c == '"')
			quoted = true;
		/* one piece of the word: quoted, an escape, a variable, a character */
		if (c == '\'') {
			const char *q = memchr(g->p + 1, '\'', (size_t)(g->end - g->p - 1));

			if (!q)
				goto unterminated;
			for (const char *s = g->p + 1; s < q; s++)
				if (wl < GRUB_MAX_WORD)
					w[wl++] = *s;
			g->p = q + 1;
		} else if (c == '"') {
			g->p++;
			while (g->p < g->end && *g->p != '"') {
				if (*g->p == '\\' && g->p + 1 < g->end &&
				    strchr("\"\\$\n", g->p[1])) {
					if (g->p[1] != '\n' && wl < GRUB_MAX_WORD)
						w[wl++] = g->p[1];
					g->p += 2;
				} else if (*g->p == '$') {
					if (put_var(g, w, &wl))
						goto unterminated;
				} else {
					if (wl < GRUB_MAX_WORD)
						w[wl++] = *g->p;
					g->p++;
				}
			}
			if (g->p >= g->end)
				goto unterminated;
			g->p++;
		} else if (c == '\\' && g->p + 1 < g->end) {
			if (g->p[1] != '\n' && wl < GRUB_MAX_WORD)
				w[wl++] = g->p[1];
			g->p += 2;
		} else if (c == '$') {
			if (put_var(g, w, &wl))
				goto unterminated;
		} else {
			if (wl < GRUB_MAX_WORD)
				w[wl++] = c;
			g->p++;
		}
	}
	if (inword && end_word(g, w, wl, quoted, wstart))
		return 1;
	return g->nwords ? 1 : 0;
unterminated:
	free(w);
	return domus_cfg_err(g->err, g->errlen, "an unterminated quote or ${...}");
}

/* Copy @src into a fixed field; a path loses a leading GRUB device "(hd0,1)". */
static void set_field(char *dst, size_t len, const char *src, bool path)
{
	if (path && src[0] == '(') {
		const char *r = strchr(src, ')');

		if (r)
			src = r + 1;
	}
	snprintf(dst, len, "%s", src);
}

static int new_node(struct grub_parse *g, bool submenu)
{
	struct grub_node *n;
	int parent = -1;

	if (g->nnodes == DOMUS_GRUB_MAX_ENTRIES)
		return domus_cfg_err(g->err, g->errlen, "more than %d menu entries", DOMUS_GRUB_MAX_ENTRIES);
	if (g->nnodes == g->cap) {
		int cap = g->cap ? g->cap * 2 : 8;
		struct grub_node *nn = realloc(g->nodes, (size_t)cap * sizeof(*nn));

		if (!nn)
			return domus_cfg_err(g->err, g->errlen, "out of memory");
		g->nodes = nn;
		g->cap = cap;
	}
	for (int i = g->depth - 1; i >= 0; i--)
		if (g->stack[i] >= 0) {
			parent = g->stack[i];
			break;
		}
	n = &g->nodes[g->nnodes];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->submenu = submenu;
	return g->nnodes++;
}

/* menuentry/submenu TITLE [--class C] [--id ID] ... { */
static int open_entry(struct grub_parse *g, bool submenu)
{
	static const char *const with_arg[] = { "--class", "--users", "--hotkey", "--id", "--source" };
	const char *title = NULL, *id = NULL;
	int i, k, idx;

	if (strcmp(g->words[g->nwords - 1], "{"))
		return domus_cfg_err(g->err, g->errlen, "%s without '{' at the end of its line", g->words[0]);
	for (i = 1; i < g->nwords - 1; i++) {
		for (k = 0; k < (int)(sizeof(with_arg) / sizeof(with_arg[0])); k++)
			if (!strcmp(g->words[i], with_arg[k]))
				break;
		if (k < (int)(sizeof(with_arg) / sizeof(with_arg[0]))) {
			if (i + 1 < g->nwords - 1 && !strcmp(g->words[i], "--id"))
				id = g->words[i + 1];
			i++;
		} else if (!strncmp(g->words[i], "--", 2)) {
			continue;
		} else if (!title) {
			title = g->words[i];
		}
	}
	if (g->depth == GRUB_MAX_DEPTH)
		return domus_cfg_err(g->err, g->errlen, "blocks nested more than %d deep", GRUB_MAX_DEPTH);
	idx = new_node(g, submenu);
	if (idx < 0)
		return -1;
	set_field(g->nodes[idx].e.title, sizeof(g->nodes[idx].e.title), title ? title : "", false);
	set_field(g->nodes[idx].e.id, sizeof(g->nodes[idx].e.id), id ? id : "", false);
	g->stack[g->depth++] = idx;
	return 0;
}

/* The innermost open menu entry (not a submenu), or -1. */
static int cur_entry(const struct grub_parse *g)
{
	if (g->depth && g->stack[g->depth - 1] >= 0 && !g->nodes[g->stack[g->depth - 1]].submenu)
		return g->stack[g->depth - 1];
	return -1;
}

static bool skipping(const struct grub_parse *g)
{
	for (int i = 0; i < g->depth; i++)
		if (g->stack[i] == -2)
			return true;
	return false;
}

static void join_args(char *dst, size_t len, char *const *words, int n)
{
	size_t off = 0;

	dst[0] = 0;
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(dst + off, len - off, "%s%s", i ? " " : "", words[i]);
}

/* An assignment "NAME=VALUE" (after "set" or alone). */
static void assignment(struct grub_parse *g, const char *w)
{
	const char *eq = strchr(w, '=');
	size_t n;

	if (!eq)
		return;
	for (n = 0; w + n < eq && is_name_char(w[n]); n++)
		;
	if (w + n == eq)
		var_set(g, w, n, eq + 1);
}

static int grub2_command(struct grub_parse *g)
{
	const char *c = g->words[0];
	int e = cur_entry(g);
	bool opens;

	if (!strcmp(c, "}")) {
		if (!g->depth)
			return domus_cfg_err(g->err, g->errlen, "a '}' without its '{'");
		g->depth--;
		return 0;
	}
	opens = g->nwords >= 2 && !strcmp(g->words[g->nwords - 1], "{");
	if (skipping(g) || !strcmp(c, "function") || (opens && strcmp(c, "menuentry") && strcmp(c, "submenu"))) {
		/* a function's body (and any other block) is not run */
		if (!opens && !strcmp(c, "function"))
			return domus_cfg_err(g->err, g->errlen, "function without '{' at the end of its line");
		if (!opens)
			return 0;
		if (g->depth == GRUB_MAX_DEPTH)
			return domus_cfg_err(g->err, g->errlen, "blocks nested more than %d deep", GRUB_MAX_DEPTH);
		g->stack[g->depth++] = -2;
		return 0;
	}
	if (!strcmp(c, "menuentry") || !strcmp(c, "submenu"))
		return open_entry(g, c[0] == 's');
	if (!strcmp(c, "set") && g->nwords >= 2) {
		assignment(g, g->words[1]);
		return 0;
	}
	if (strchr(c, '=') && g->nwords == 1) {
		assignment(g, c);
		return 0;
	}
	if (e < 0)
		return 0;
	if ((!strcmp(c, "linux") || !strcmp(c, "linux16") || !strcmp(c, "linuxefi")) && g->nwords >= 2) {
		set_field(g->nodes[e].e.kernel, sizeof(g->nodes[e].e.kernel), g->words[1], true);
		join_args(g->nodes[e].e.args, sizeof(g->nodes[e].e.args), g->words + 2, g->nwords - 2);
	} else if (!strcmp(c, "initrd") || !strcmp(c, "initrd16") || !strcmp(c, "initrdefi")) {
		struct domus_grub_entry *en = &g->nodes[e].e;

		en->ninitrd = 0;
		for (int i = 1; i < g->nwords && en->ninitrd < DOMUS_GRUB_MAX_INITRDS; i++)
			set_field(en->initrd[en->ninitrd++], sizeof(en->initrd[0]), g->words[i], true);
	}
	return 0;
}

/* GRUB legacy: "keyword args" or "keyword=args" per line. */
static int legacy_command(struct grub_parse *g, const char *line, size_t n)
{
	char buf[GRUB_MAX_WORD + 1], *kw, *rest;
	struct domus_grub_entry *en;
	int e = g->nnodes - 1;

	if (n > GRUB_MAX_WORD)
		n = GRUB_MAX_WORD;
	memcpy(buf, line, n);
	buf[n] = 0;
	kw = buf + strspn(buf, " \t\r");
	if (!*kw || *kw == '#')
		return 0;
	rest = kw + strcspn(kw, " \t\r=");
	if (*rest)
		*rest++ = 0;
	rest += strspn(rest, " \t\r=");
	for (char *t = rest + strlen(rest); t > rest && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'); t--)
		t[-1] = 0;
	if (!strcmp(kw, "default")) {
		var_set(g, "default", 7, !strcmp(rest, "saved") ? "${saved_entry}" : rest);
	} else if (!strcmp(kw, "title")) {
		int i = new_node(g, false);

		if (i < 0)
			return -1;
		set_field(g->nodes[i].e.title, sizeof(g->nodes[i].e.title), rest, false);
	} else if (e >= 0 && (!strcmp(kw, "kernel") || !strcmp(kw, "initrd"))) {
		char *args = rest + strcspn(rest, " \t");

		if (*args)
			*args++ = 0;
		args += strspn(args, " \t");
		en = &g->nodes[e].e;
		if (kw[0] == 'k') {
			set_field(en->kernel, sizeof(en->kernel), rest, true);
			snprintf(en->args, sizeof(en->args), "%s", args);
		} else {
			set_field(en->initrd[0], sizeof(en->initrd[0]), rest, true);
			en->ninitrd = 1;
		}
	}
	return 0;
}

/* The child of @parent (-1: top level) named by @key: its number, id or title. */
static int find_child(const struct grub_parse *g, int parent, const char *key, size_t n)
{
	int i, k = 0;
	bool digits = n > 0 && n < 6 && strspn(key, "0123456789") >= n;
	long want = digits ? strtol(key, NULL, 10) : -1;

	if (!n)		/* an empty default (no saved entry) names nothing */
		return -1;
	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].parent != parent)
			continue;
		if ((digits && k == want) ||
		    (!digits && ((strlen(g->nodes[i].e.id) == n && !memcmp(g->nodes[i].e.id, key, n)) ||
				 (strlen(g->nodes[i].e.title) == n && !memcmp(g->nodes[i].e.title, key, n)))))
			return i;
		k++;
	}
	return -1;
}

/* "2", "1>0", "gnulinux-simple-UUID", "Debian GNU/Linux" -> a node, or -1. */
static int resolve(const struct grub_parse *g, const char *want, char *index, size_t ilen)
{
	int node = -1;
	const char *s = want;
	size_t off = 0;

	index[0] = 0;
	for (int depth = 0; depth < GRUB_MAX_DEPTH; depth++) {
		const char *gt = strchr(s, '>');
		size_t n = gt ? (size_t)(gt - s) : strlen(s);
		int parent = node, k = 0;

		node = find_child(g, parent, s, n);
		if (node < 0)
			return -1;
		for (int i = 0; i < node; i++)
			if (g->nodes[i].parent == parent)
				k++;
		off += (size_t)snprintf(index + off, off < ilen ? ilen - off : 0, "%s%d", depth ? ">" : "", k);
		if (!gt)
			return node;
		s = gt + 1;
	}
	return -1;
}

static void load_env(struct grub_parse *g, const char *env, size_t len)
{
	const char *p = env, *end = env + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[GRUB_VAR_LEN + 40];

		if (n && *p != '#' && n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			assignment(g, line);
		}
		p += n + 1;
	}
}

int domus_grub_pick(const char *text, size_t len, bool legacy, const char *env, size_t envlen,
		    const char *want, struct domus_grub_entry *out, char *err, size_t errlen)
{
	struct grub_parse *g;
	char def[GRUB_VAR_LEN + 1];
	int r = 0, node, entries = 0;

	memset(out, 0, sizeof(*out));
	if (len > DOMUS_GRUB_MAX_CFG)
		return domus_cfg_err(err, errlen, "the boot menu has %zu bytes: at most %u are read", len,
				     DOMUS_GRUB_MAX_CFG);
	if (memchr(text, 0, len))
		return domus_cfg_err(err, errlen, "the boot menu is not text (a NUL byte)");
	g = calloc(1, sizeof(*g));
	if (!g)
		return domus_cfg_err(err, errlen, "out of memory");
	g->p = text;
	g->end = text + len;
	g->err = err;
	g->errlen = errlen;
	if (env && envlen <= DOMUS_GRUB_MAX_CFG)
		load_env(g, env, envlen);
	var_set(g, "default", 7, "0");
	if (legacy) {
		while (g->p < g->end && r == 0) {
			const char *nl = memchr(g->p, '\n', (size_t)(g->end - g->p));
			size_t n = nl ? (size_t)(nl - g->p) : (size_t)(g->end - g->p);

			r = legacy_command(g, g->p, n);
			g->p += n + (nl ? 1 : 0);
		}
	} else {
		while (r == 0 && (r = next_command(g)) == 1)
			r = g->nwords ? grub2_command(g) : 0;
		free_words(g);
		if (r == 0 && g->depth)
			r = domus_cfg_err(err, errlen, "a '{' without its '}' at the end");
	}
	if (r)
		goto out;
	for (int i = 0; i < g->nnodes; i++)
		entries += !g->nodes[i].submenu;
	if (!entries) {
		r = domus_cfg_err(err, errlen, "no menu entry");
		goto out;
	}
	snprintf(def, sizeof(def), "%s", var_get(g, "default", 7));
	if (want && *want) {
		node = resolve(g, want, out->index, sizeof(out->index));
		if (node < 0) {
			r = domus_cfg_err(err, errlen, "no menu entry '%.80s' (%d entries): give --entry=N (0 is the first), an id or a title",
					  want, entries);
			goto out;
		}
	} else {
		node = resolve(g, def, out->index, sizeof(out->index));
		if (node < 0)	/* as GRUB: an unknown default boots the first entry */
			node = resolve(g, "0", out->index, sizeof(out->index));
	}
	if (node < 0 || g->nodes[node].submenu) {
		r = domus_cfg_err(err, errlen, "menu entry '%.80s' is a submenu: name one of its entries (e.g. --entry=%s>0)",
				  node < 0 ? def : g->nodes[node].e.title, out->index);
		goto out;
	}
	memcpy(def, out->index, sizeof(out->index));
	*out = g->nodes[node].e;
	memcpy(out->index, def, sizeof(out->index));
	if (!out->kernel[0])
		r = domus_cfg_err(err, errlen, "menu entry '%.80s' has no linux (kernel) line", out->title);
out:
	free(g->nodes);
	free(g);
	return r ? -1 : 0;
}
