// SPDX-License-Identifier: MIT
/* xenstore server: the live tree (tree.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

/*
 * The child index: a hash table of every node but the root keyed by
 * (parent, name), so a lookup costs the path's length, not the sizes of
 * the directories on the way (a guest may fill one with thousands of
 * nodes).  The key is seeded per store; chains hold one node per bucket
 * on average (the table doubles when it has as many nodes as buckets).
 */
static size_t idx_slot(const struct xs_store *xs, const struct node *par,
		       const char *name, size_t len)
{
	uint64_t h = xs->seed ^ ((uint64_t)(uintptr_t)par * 0x9e3779b97f4a7c15ULL);
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (xs->idx_cap - 1);
}

void xsi_index_init(struct xs_store *xs)
{
	FILE *f = fopen("/dev/urandom", "re");

	if (!f || fread(&xs->seed, sizeof(xs->seed), 1, f) != 1)
		xs->seed = (uint64_t)(uintptr_t)xs * 0x9e3779b97f4a7c15ULL;
	if (f)
		fclose(f);
	xs->idx = calloc(256, sizeof(*xs->idx));
	xs->idx_cap = xs->idx ? 256 : 0;
}

static void idx_insert(struct xs_store *xs, struct node *n)
{
	size_t i = idx_slot(xs, n->parent, n->name, strlen(n->name));

	n->hnext = xs->idx[i];
	xs->idx[i] = n;
}

static void idx_add(struct xs_store *xs, struct node *n)
{
	if (!xs->idx)
		return;
	if (xs->nodes >= xs->idx_cap) {
		struct node **old = xs->idx;
		size_t i, oc = xs->idx_cap;

		xs->idx = calloc(oc * 2, sizeof(*xs->idx));
		if (xs->idx) {
			xs->idx_cap = oc * 2;
			for (i = 0; i < oc; i++) {
				while (old[i]) {
					struct node *k = old[i];

					old[i] = k->hnext;
					idx_insert(xs, k);
				}
			}
			free(old);
		} else {
			xs->idx = old;	/* longer chains, still correct */
		}
	}
	idx_insert(xs, n);
}

static void idx_del(struct xs_store *xs, struct node *n)
{
	struct node **pp;

	if (!xs->idx || !n->parent)
		return;
	pp = &xs->idx[idx_slot(xs, n->parent, n->name, strlen(n->name))];
	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
}

/* The child of @n named by the @l bytes at @name, or NULL. */
static struct node *child(struct xs_store *xs, const struct node *n,
			  const char *name, size_t l)
{
	struct node *k;
	unsigned int i;

	if (xs->idx) {
		for (k = xs->idx[idx_slot(xs, n, name, l)]; k; k = k->hnext) {
			xs->work++;
			if (k->parent == n && !strncmp(k->name, name, l) && !k->name[l])
				return k;
		}
		return NULL;
	}
	for (i = 0; i < n->nkids; i++) {
		xs->work++;
		if (!strncmp(n->kids[i]->name, name, l) && !n->kids[i]->name[l])
			return n->kids[i];
	}
	return NULL;
}

/* The node at @path, or with @deepest the deepest existing one on it. */
static struct node *walk(struct xs_store *xs, const char *path, bool deepest)
{
	struct node *n = xs->root;
	const char *p = path + 1;

	if (path[0] != '/')
		return NULL;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		struct node *k = child(xs, n, p, l);

		if (!k)
			return deepest ? n : NULL;
		n = k;
		p += l;
		if (*p == '/')
			p++;
	}
	return n;
}

struct node *xsi_node_find(struct xs_store *xs, const char *path)
{
	return walk(xs, path, false);
}

struct node *xsi_node_deepest(struct xs_store *xs, const char *path)
{
	return walk(xs, path, true);
}

/* Has @e's node changed (as far as @e cares) since the transaction saw it? */
bool xsi_txe_conflict(struct xs_store *xs, const struct txe *e)
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
	xs->work++;
	idx_del(xs, n);
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
	idx_add(xs, n);
	xsi_acct(xs, n, 1);
	return n;
fail:
	free(n->name);
	free(n->val);
	free(n);
	return NULL;
}

