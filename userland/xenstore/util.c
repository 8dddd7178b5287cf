// SPDX-License-Identifier: MIT
/* xenstore server: byte buffers, error names, paths, permissions (util.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

void xsi_sb_add(struct sb *s, const void *data, size_t len)
{
	if (s->oom)
		return;
	if (s->n + len > s->cap) {
		size_t nc = s->cap ? s->cap : 256;
		char *nb;

		while (nc < s->n + len)
			nc *= 2;
		nb = realloc(s->b, nc);
		if (!nb) {
			s->oom = true;
			return;
		}
		s->b = nb;
		s->cap = nc;
	}
	if (len)
		memcpy(s->b + s->n, data, len);
	s->n += len;
}

void xsi_sb_str0(struct sb *s, const char *str)
{
	xsi_sb_add(s, str, strlen(str) + 1);
}

char *xsi_memdup0(const void *p, size_t len)
{
	char *r = malloc(len + 1);

	if (!r)
		return NULL;
	if (len)
		memcpy(r, p, len);
	r[len] = 0;
	return r;
}

/* @child is @parent or below it (both absolute). */
bool xsi_is_under(const char *child, const char *parent)
{
	size_t l = strlen(parent);

	if (parent[0] == '/' && parent[1] == 0)
		return child[0] == '/';
	return !strncmp(child, parent, l) && (child[l] == 0 || child[l] == '/');
}

const char *xsi_err_name(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EEXIST: return "EEXIST";
	case EISDIR: return "EISDIR";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOSYS: return "ENOSYS";
	case EROFS: return "EROFS";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EISCONN: return "EISCONN";
	case E2BIG: return "E2BIG";
	case EPERM: return "EPERM";
	default: return "EINVAL";
	}
}

/* Strict decimal 0..65535, 1-5 digits. */
int xsi_parse_domid(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (!i || v > 65535)
		return -EINVAL;
	*out = v;
	return 0;
}


static bool path_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '@' ||
	       c == '/';
}

/* An absolute path, or with @special a "@name" watch path. */
static int check_path(const char *p, bool special)
{
	size_t i, depth = 0;

	if (p[0] == '@') {
		if (!special || !p[1])
			return -EINVAL;
		for (i = 1; p[i]; i++)
			if (!path_char_ok(p[i]) || p[i] == '/')
				return -EINVAL;
		return i > XS_PATH_MAX ? -E2BIG : 0;
	}
	if (p[0] != '/')
		return -EINVAL;
	for (i = 0; p[i]; i++) {
		if (!path_char_ok(p[i]))
			return -EINVAL;
		if (p[i] == '/') {
			if (p[i + 1] == '/')
				return -EINVAL;
			if (p[i + 1])
				depth++;
		}
	}
	if (i > XS_PATH_MAX)
		return -E2BIG;
	if (i > 1 && p[i - 1] == '/')
		return -EINVAL;
	if (depth > XS_DEPTH_MAX)
		return -E2BIG;
	return 0;
}

int xs_path_check(const char *path)
{
	char buf[XS_PATH_MAX + 2];
	size_t l;

	if (!path || path[0] == '@')	/* watch paths name no node */
		return -EINVAL;
	l = strnlen(path, XS_PATH_MAX + 1);
	if (!l)
		return -EINVAL;
	if (l > XS_PATH_MAX)
		return -E2BIG;
	if (path[0] == '/')
		return check_path(path, false);
	buf[0] = '/';
	memcpy(buf + 1, path, l + 1);
	return check_path(buf, false);
}

/* Resolve @in (relative to the domain path if not absolute) into @out. */
int xsi_resolve(const struct xs_store *xs, const char *in, char *out,
		   bool special)
{
	size_t l = strnlen(in, XS_PATH_MAX + 1);

	if (l > XS_PATH_MAX)
		return -E2BIG;
	if (!l)
		return -EINVAL;
	if (in[0] == '/' || in[0] == '@') {
		memcpy(out, in, l + 1);
	} else {
		if (xs->dompath_len + 1 + l > XS_PATH_MAX)
			return -E2BIG;
		memcpy(out, xs->dompath, xs->dompath_len);
		out[xs->dompath_len] = '/';
		memcpy(out + xs->dompath_len + 1, in, l + 1);
	}
	return check_path(out, special);
}

/* Cut the last component: "/a/b" -> "/a", "/a" -> "/". */
void xsi_path_parent(char *p)
{
	char *s = strrchr(p, '/');

	if (s == p)
		p[1] = 0;
	else if (s)
		*s = 0;
}


unsigned int xsi_perm_of(const struct perm *ps, unsigned int n,
			    unsigned int dom)
{
	unsigned int i;

	if (dom == 0 || !n || ps[0].dom == dom)
		return P_READ | P_WRITE;
	for (i = 1; i < n; i++)
		if (ps[i].dom == dom)
			return ps[i].p;
	return ps[0].p;
}

int xsi_parse_perm(const char *s, struct perm *out)
{
	switch (s[0]) {
	case 'n': out->p = 0; break;
	case 'r': out->p = P_READ; break;
	case 'w': out->p = P_WRITE; break;
	case 'b': out->p = P_READ | P_WRITE; break;
	default: return -EINVAL;
	}
	return xsi_parse_domid(s + 1, &out->dom);
}

void xsi_perm_str(const struct perm *p, char *buf, size_t len)
{
	static const char letters[] = "nrwb";

	snprintf(buf, len, "%c%u", letters[p->p & 3], p->dom);
}

struct perm *xsi_perms_dup(const struct perm *p, unsigned int n)
{
	struct perm *r = malloc((n ? n : 1) * sizeof(*r));

	if (r && n)
		memcpy(r, p, n * sizeof(*r));
	return r;
}

