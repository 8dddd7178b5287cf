// SPDX-License-Identifier: MIT
/*
 * domus xenstore-ls / xenstore-read / xenstore-write / xenstore-rm /
 * xenstore-list: a domain's xenstore, as the toolstack (domain 0), through
 * its launcher's control socket (xs-* requests, userland/ctl/ctl.h).
 *
 * Arguments are checked here before anything is sent (paths with
 * xs_path_check, values for length), and again by the launcher.  Values
 * are shown escaped (domus_ctl_escape): a guest's bytes never reach the
 * terminal raw, unless xenstore-read -r asks for them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"
#include "xenstore.h"

#define XS_TIMEOUT_MS	10000
#define XS_LS_TIMEOUT_MS 60000

/* A checked PATH argument, or a one-line error (0 / 1). */
static int check_path(const struct domus_cmd *cmd, const char *path)
{
	char shown[84];
	int r = xs_path_check(path);

	if (!r)
		return 0;
	domus_ctl_escape(path, strnlen(path, 80), shown, sizeof(shown));
	fprintf(stderr, "domus %s: '%s%s': %s\n", cmd->name, shown, strlen(path) > 80 ? "..." : "",
		r == -E2BIG ? "path too long (at most 3072 bytes, 256 components)" :
		"invalid path (characters A-Z a-z 0-9 _ @ - and /, no '//', no trailing '/')");
	return 1;
}

/* Send @req to NAME; 0 with the answer's text (after "ok", without the
 * leading space) in @reply, or 1 after printing the error. */
static int request(const struct domus_cmd *cmd, const char *name, const char *req,
		   char *reply, size_t len)
{
	int r = domus_ctl_request(name, req, reply, len, XS_TIMEOUT_MS);

	if (r < 0) {
		fprintf(stderr, "domus %s: %s: the launcher does not answer: %s\n", cmd->name, name,
			strerror(-r));
		return 1;
	}
	if (r > 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, name, reply);
		return 1;
	}
	if (reply[2] == ' ')
		memmove(reply, reply + 3, strlen(reply + 3) + 1);
	else
		reply[0] = 0;
	return 0;
}

/* DOMAIN as name or id, with xl's message when unknown; 0 or 1. */
static int domain_arg(const char *arg, struct domus_dominfo *d)
{
	return domus_cli_find_domain(arg, d) ? 1 : 0;
}

int cmd_xenstore_read(const struct domus_cmd *cmd, int argc, char **argv)
{
	static char req[DOMUS_CTL_REQ_MAX + 2], reply[DOMUS_CTL_REQ_MAX + 2];
	static unsigned char raw[XS_VALUE_MAX];
	struct domus_dominfo d;
	bool rawout = false;
	int opt, i, rc = 0;

	optind = 1;
	while ((opt = getopt(argc, argv, "+r")) != -1) {
		if (opt != 'r')
			return domus_cmd_bad_option(cmd, "+r");
		rawout = true;
	}
	if (argc - optind < 2)
		return domus_cmd_usage_error(cmd, "give a domain and at least one path");
	for (i = optind + 1; i < argc; i++)
		if (check_path(cmd, argv[i]))
			return 1;
	if (domain_arg(argv[optind], &d))
		return 1;
	for (i = optind + 1; i < argc; i++) {
		int n;

		snprintf(req, sizeof(req), "xs-read %s", argv[i]);
		if (request(cmd, d.name, req, reply, sizeof(reply))) {
			rc = 1;
			continue;
		}
		if (!rawout) {
			printf("%s\n", reply);
			continue;
		}
		n = domus_ctl_unescape(reply, raw, sizeof(raw));
		if (n < 0) {
			fprintf(stderr, "domus %s: %s: a malformed answer from the launcher\n",
				cmd->name, d.name);
			rc = 1;
			continue;
		}
		fwrite(raw, 1, (size_t)n, stdout);
		putchar('\n');
	}
	return rc;
}

int cmd_xenstore_write(const struct domus_cmd *cmd, int argc, char **argv)
{
	static char req[DOMUS_CTL_REQ_MAX + 2], reply[DOMUS_CTL_LINE_MAX];
	struct domus_dominfo d;
	int i, rc = 0;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc < 4 || argc % 2)
		return domus_cmd_usage_error(cmd, "give a domain and PATH VALUE pairs");
	for (i = 2; i < argc; i += 2) {
		if (check_path(cmd, argv[i]))
			return 1;
		if (strlen(argv[i + 1]) > XS_VALUE_MAX) {
			fprintf(stderr, "domus %s: %s: value too long (%zu bytes, at most %u)\n",
				cmd->name, argv[i], strlen(argv[i + 1]), XS_VALUE_MAX);
			return 1;
		}
	}
	if (domain_arg(argv[1], &d))
		return 1;
	for (i = 2; i < argc && !rc; i += 2) {
		size_t n = (size_t)snprintf(req, sizeof(req), "xs-write %s ", argv[i]);

		domus_ctl_escape(argv[i + 1], strlen(argv[i + 1]), req + n, sizeof(req) - n);
		rc = request(cmd, d.name, req, reply, sizeof(reply));
	}
	return rc;
}

int cmd_xenstore_rm(const struct domus_cmd *cmd, int argc, char **argv)
{
	static char req[DOMUS_CTL_REQ_MAX + 2];
	char reply[DOMUS_CTL_LINE_MAX];
	struct domus_dominfo d;
	int i, rc = 0;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc < 3)
		return domus_cmd_usage_error(cmd, "give a domain and at least one path");
	for (i = 2; i < argc; i++)
		if (check_path(cmd, argv[i]))
			return 1;
	if (domain_arg(argv[1], &d))
		return 1;
	for (i = 2; i < argc; i++) {
		snprintf(req, sizeof(req), "xs-rm %s", argv[i]);
		rc |= request(cmd, d.name, req, reply, sizeof(reply));
	}
	return rc;
}

/* ---- listings ------------------------------------------------------------ */

struct node {
	char *path, *perms, *value;	/* value escaped */
};

struct listing {
	struct node *v;
	size_t n, cap;
	int err;
};

/* "ABSPATH PERMS VALUE" from xs-ls. */
static int ls_line(void *opaque, char *text)
{
	struct listing *ls = opaque;
	char *sp1 = strchr(text, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	struct node *nd;

	if (!sp2 || text[0] != '/')
		return -EPROTO;
	*sp1 = *sp2 = 0;
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 256;
		struct node *v = realloc(ls->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ls->v = v;
		ls->cap = cap;
	}
	nd = &ls->v[ls->n];
	nd->path = strdup(text);
	nd->perms = strdup(sp1 + 1);
	nd->value = strdup(sp2 + 1);
	if (!nd->path || !nd->perms || !nd->value) {
		free(nd->path);
		free(nd->perms);
		free(nd->value);
		return -ENOMEM;
	}
	ls->n++;
	return 0;
}

/* Path order: component by component ('/' before every other byte). */
static int path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct node *)a)->path;
	const unsigned char *y = (const unsigned char *)((const struct node *)b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == *y)
		return 0;
	if (*x == '/' || !*y)
		return *y ? -1 : 1;
	if (*y == '/' || !*x)
		return *x ? 1 : -1;
	return *x < *y ? -1 : 1;
}

static unsigned int depth(const char *p)
{
	unsigned int n = 0;

	if (!strcmp(p, "/"))
		return 0;
	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* Send @req (a listing request) to NAME and hand each line of the answer
 * to @cb; 0, or 1 after printing the error. */
static int stream(const struct domus_cmd *cmd, const char *name, const char *req,
		  int (*cb)(void *opaque, char *text), void *opaque, int timeout_ms)
{
	char reply[DOMUS_CTL_LINE_MAX];
	int fd = domus_ctl_connect(name), r;

	if (fd < 0) {
		fprintf(stderr, "domus %s: %s: the launcher does not answer: %s\n", cmd->name, name,
			strerror(-fd));
		return 1;
	}
	r = domus_ctl_request_fd(fd, req, reply, sizeof(reply), XS_TIMEOUT_MS);
	if (r == 0)
		r = domus_ctl_read_lines(fd, cb, opaque, timeout_ms);
	close(fd);
	if (r > 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, name, reply);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, name,
			r == -EPROTO ? "a malformed or cut listing from the launcher" : strerror(-r));
		return 1;
	}
	return 0;
}

/* Fetch the xs-ls listing of PATH from domain NAME into @ls; 0 or 1. */
static int fetch(const struct domus_cmd *cmd, const char *name, const char *path,
		 struct listing *ls)
{
	static char req[DOMUS_CTL_REQ_MAX + 2];

	snprintf(req, sizeof(req), "xs-ls %s", path);
	return stream(cmd, name, req, ls_line, ls, XS_LS_TIMEOUT_MS);
}

/* Print every node below @root (not @root itself), sorted, once each: one
 * space of indent per level and 'name = "value"' (xl's xenstore-ls), or
 * the full path with -f; the permissions in brackets with -p. */
static void print_tree(struct listing *ls, const char *root, bool full, bool perms)
{
	unsigned int base = depth(root);
	size_t i;

	qsort(ls->v, ls->n, sizeof(*ls->v), path_cmp);
	for (i = 0; i < ls->n; i++) {
		const struct node *nd = &ls->v[i];
		unsigned int dep = depth(nd->path);

		if (dep <= base || (i && !strcmp(nd->path, ls->v[i - 1].path)))
			continue;
		if (full)
			printf("%s", nd->path);
		else
			printf("%*s%s", (int)(dep - base - 1), "", strrchr(nd->path, '/') + 1);
		printf(" = \"%s\"", nd->value);
		if (perms)
			printf("  (%s)", nd->perms);
		putchar('\n');
	}
}

/* The same nodes as one JSON array: path, value (decoded: each byte one
 * character, domus_json_bytes) and permissions, in path order. */
static void print_json(struct listing *ls, const char *root)
{
	static unsigned char raw[XS_VALUE_MAX];
	unsigned int base = depth(root);
	bool first = true;
	size_t i;
	int n;

	qsort(ls->v, ls->n, sizeof(*ls->v), path_cmp);
	putchar('[');
	for (i = 0; i < ls->n; i++) {
		const struct node *nd = &ls->v[i];

		if (depth(nd->path) <= base || (i && !strcmp(nd->path, ls->v[i - 1].path)))
			continue;
		printf("%s\n  { \"path\": ", first ? "" : ",");
		first = false;
		domus_json_str(nd->path);
		printf(", \"value\": ");
		n = domus_ctl_unescape(nd->value, raw, sizeof(raw));
		if (n < 0)
			domus_json_str(nd->value);
		else
			domus_json_bytes(raw, (size_t)n);
		printf(", \"perms\": ");
		domus_json_str(nd->perms);
		printf(" }");
	}
	printf("\n]\n");
}

static void listing_free(struct listing *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		free(ls->v[i].path);
		free(ls->v[i].perms);
		free(ls->v[i].value);
	}
	free(ls->v);
}

int cmd_xenstore_ls(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct listing ls = { 0 };
	struct domus_dominfo d, *all = NULL;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool full = false, perms = false, json = false;
	const char *path = "/";
	char root[XS_PATH_MAX + 32];
	int opt, rc = 0, n, i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+fp", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': full = true; break;
		case 'p': perms = true; break;
		case 'j': json = true; break;
		default: return domus_cmd_bad_option(cmd, "+fp");
		}
	}
	if (argc - optind > 2)
		return domus_cmd_usage_error(cmd, "give at most a domain and a path");
	if (argc - optind == 2) {
		path = argv[optind + 1];
		if (check_path(cmd, path))
			return 1;
	}
	if (argc - optind == 0) {
		/* every domain's store, merged (each holds its own part of the tree) */
		n = domus_ctl_list(&all);
		if (n < 0) {
			fprintf(stderr, "domus %s: cannot list the domains: %s\n", cmd->name, strerror(-n));
			return 1;
		}
		for (i = 0; i < n; i++)
			rc |= fetch(cmd, all[i].name, "/", &ls);
		free(all);
		if (json)
			print_json(&ls, "/");
		else
			print_tree(&ls, "/", full, perms);
		listing_free(&ls);
		return rc;
	}
	if (domain_arg(argv[optind], &d))
		return 1;
	if (path[0] == '/')
		snprintf(root, sizeof(root), "%s", path);
	else
		snprintf(root, sizeof(root), "/local/domain/%u/%s", d.id, path);
	rc = fetch(cmd, d.name, path, &ls);
	if (!rc && json)
		print_json(&ls, root);
	else if (!rc)
		print_tree(&ls, root, full, perms);
	listing_free(&ls);
	return rc;
}

static int print_line(void *opaque, char *text)
{
	(void)opaque;
	return puts(text) < 0 ? -EIO : 0;
}

int cmd_xenstore_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	static char req[DOMUS_CTL_REQ_MAX + 2];
	struct domus_dominfo d;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return domus_cmd_usage_error(cmd, "unknown option '%s'", argv[1]);
	if (argc != 3)
		return domus_cmd_usage_error(cmd, "give a domain and one path");
	if (check_path(cmd, argv[2]) || domain_arg(argv[1], &d))
		return 1;
	snprintf(req, sizeof(req), "xs-list %s", argv[2]);
	return stream(cmd, d.name, req, print_line, NULL, XS_TIMEOUT_MS);
}
