// SPDX-License-Identifier: MIT
/* xenstore server: the live tree (tree.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

struct node *xsi_node_find(const struct xs_store *xs, const char *path)
{
	struct node *n = xs->root;
	const char *p = path + 1;

	if (path[0] != '/')
		return NULL;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		unsigned int i;
		struct node *k = NULL;

		for (i = 0; i < n->nkids; i++) {
			if (!strncmp(n->kids[i]->name, p, l) && !n->kids[i]->name[l]) {
				k = n->kids[i];
				break;
			}
		}
		if (!k)
			return NULL;
		n = k;
		p += l;
		if (*p == '/')
			p++;
	}
	return n;
}

/* Has @e's node changed (as far as @e cares) since the transaction saw it? */
bool xsi_txe_conflict(const struct xs_store *xs, const struct txe *e)
{
	const struct node *n = xsi_node_find(xs, e->path);

	if (e->weak)
		return (n ? n->pgen : 0) != e->seen_p;
	return (n ? n->gen : 0) != e->seen;
}

void xsi_acct(struct xs_store *xs, const struct node *n, int sign)
{
	xs->nodes += (unsigned int)sign;
	if (n->nperms && n->perms[0].dom == xs->domid)
		xs->guest_nodes += (unsigned int)sign;
}

void xsi_node_free(struct xs_store *xs, struct node *n)
{
	unsigned int i;

	for (i = 0; i < n->nkids; i++)
		xsi_node_free(xs, n->kids[i]);
	xsi_acct(xs, n, -1);
	free(n->kids);
	free(n->name);
	free(n->val);
	free(n->perms);
	free(n);
}

void xsi_node_unlink(struct xs_store *xs, struct node *n)
{
	struct node *par = n->parent;
	unsigned int i;

	for (i = 0; i < par->nkids; i++) {
		if (par->kids[i] == n) {
			memmove(&par->kids[i], &par->kids[i + 1],
				(par->nkids - i - 1) * sizeof(par->kids[0]));
			par->nkids--;
			break;
		}
	}
	par->gen = ++xs->gen;
	xsi_node_free(xs, n);
}

/* A new empty child @name of @par; takes ownership of @perms. */
struct node *xsi_node_add(struct xs_store *xs, struct node *par,
			     const char *name, struct perm *perms,
			     unsigned int nperms)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	n->val = xsi_memdup0("", 0);
	if (!n->name || !n->val)
		goto fail;
	if (par->nkids == par->ckids) {
		unsigned int nc = par->ckids ? par->ckids * 2 : 4;
		struct node **nk = realloc(par->kids, nc * sizeof(*nk));

		if (!nk)
			goto fail;
		par->kids = nk;
		par->ckids = nc;
	}
	n->parent = par;
	n->perms = perms;
	n->nperms = nperms;
	par->kids[par->nkids++] = n;
	n->gen = n->pgen = par->gen = ++xs->gen;
	xsi_acct(xs, n, 1);
	return n;
fail:
	free(n->name);
	free(n->val);
	free(n);
	return NULL;
}

