// SPDX-License-Identifier: MIT
/* xenstore server: transactions and the operations inside them (txn.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

static struct txe *tx_find(struct xs_store *xs, const struct tx *tx, const char *path)
{
	unsigned int i;

	xs->work += tx->n;

	for (i = 0; i < tx->n; i++)
		if (!strcmp(tx->e[i]->path, path))
			return tx->e[i];
	return NULL;
}

static void txe_drop_state(struct tx *tx, struct txe *e)
{
	tx->bytes -= e->vlen + e->nperms * sizeof(struct perm);
	free(e->val);
	free(e->perms);
	e->val = NULL;
	e->perms = NULL;
	e->vlen = 0;
	e->nperms = 0;
}

void xsi_tx_free(struct tx *tx)
{
	unsigned int i;

	if (!tx)
		return;
	for (i = 0; i < tx->n; i++) {
		free(tx->e[i]->path);
		free(tx->e[i]->val);
		free(tx->e[i]->perms);
		free(tx->e[i]);
	}
	free(tx->e);
	tx->e = NULL;
	tx->n = tx->cap = 0;
}

/*
 * The entry for @path, created (remembering the live generations) if new.
 * @weak: the caller only walks through the node (an ancestor of a node it
 * creates), so only its existence, value and permissions must stay put.
 */
static struct txe *tx_touch(struct xs_store *xs, struct tx *tx,
			    const char *path, bool weak, int *err)
{
	struct txe *e = tx_find(xs, tx, path);
	size_t cost = strlen(path) + 1 + sizeof(*e);
	const struct node *n;

	if (e) {
		if (!weak)
			e->weak = false;
		return e;
	}
	if (tx->n >= XS_TX_ENTRIES_MAX || tx->bytes + cost > XS_TX_BYTES_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	if (tx->n == tx->cap) {
		unsigned int nc = tx->cap ? tx->cap * 2 : 8;
		struct txe **ne = realloc(tx->e, nc * sizeof(*ne));

		if (!ne)
			goto oom;
		tx->e = ne;
		tx->cap = nc;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto oom;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		goto oom;
	}
	n = xsi_node_find(xs, path);
	e->seen = n ? n->gen : 0;
	e->seen_p = n ? n->pgen : 0;
	e->weak = weak;
	tx->e[tx->n++] = e;
	tx->bytes += cost;
	return e;
oom:
	*err = -ENOMEM;
	return NULL;
}

/* Is @path's live state invisible because an ancestor changed in @tx? */
static bool tx_hidden(struct xs_store *xs, const struct tx *tx, const char *path)
{
	const struct txe *best = NULL;
	size_t bl = 0, pl = strlen(path);
	unsigned int i;

	xs->work += tx->n;
	for (i = 0; i < tx->n; i++) {
		const struct txe *e = tx->e[i];
		size_t l = strlen(e->path);

		if (!e->ov || l >= pl || l < bl || !xsi_is_under(path, e->path))
			continue;
		best = e;
		bl = l;
	}
	return best && (!best->exists || best->hide);
}

/* A node's state as seen by a caller: live, or through a transaction. */
int xsi_eff_get(struct xs_store *xs, struct tx *tx, const char *path,
		   struct vnode *vn, int record)
{
	const struct node *n;

	memset(vn, 0, sizeof(*vn));
	if (tx) {
		int err = 0;
		const struct txe *e = record ?
			tx_touch(xs, tx, path, record == REC_WEAK, &err) :
			tx_find(xs, tx, path);

		if (record && !e)
			return err;
		if (e && e->ov) {
			vn->exists = e->exists;
			vn->val = e->val;
			vn->vlen = e->vlen;
			vn->perms = e->perms;
			vn->nperms = e->nperms;
			vn->gen = e->seen;
			return 0;
		}
		if (tx_hidden(xs, tx, path))
			return 0;
	}
	n = xsi_node_find(xs, path);
	if (n) {
		vn->exists = true;
		vn->val = n->val;
		vn->vlen = n->vlen;
		vn->perms = n->perms;
		vn->nperms = n->nperms;
		vn->gen = n->gen;
	}
	return 0;
}

/* Give @e an overlay holding the node's current state. */
static int txe_make_ov(struct xs_store *xs, struct tx *tx, struct txe *e)
{
	struct vnode vn;

	if (e->ov)
		return 0;
	xsi_eff_get(xs, tx, e->path, &vn, REC_NONE);
	if (vn.exists) {
		e->val = xsi_memdup0(vn.val, vn.vlen);
		e->perms = xsi_perms_dup(vn.perms, vn.nperms);
		if (!e->val || !e->perms) {
			free(e->val);
			free(e->perms);
			e->val = NULL;
			e->perms = NULL;
			return -ENOMEM;
		}
		e->vlen = vn.vlen;
		e->nperms = vn.nperms;
		tx->bytes += e->vlen + e->nperms * sizeof(struct perm);
	}
	e->ov = true;
	e->exists = vn.exists;
	e->hide = false;
	return 0;
}

static int txe_set_val(struct tx *tx, struct txe *e, const void *val,
		       size_t vlen)
{
	char *v = xsi_memdup0(val, vlen);

	if (!v)
		return -ENOMEM;
	tx->bytes -= e->vlen;
	free(e->val);
	e->val = v;
	e->vlen = vlen;
	tx->bytes += vlen;
	return 0;
}

static int txe_set_perms(struct tx *tx, struct txe *e, const struct perm *p,
			 unsigned int n)
{
	struct perm *np = xsi_perms_dup(p, n);

	if (!np)
		return -ENOMEM;
	tx->bytes -= e->nperms * sizeof(struct perm);
	free(e->perms);
	e->perms = np;
	e->nperms = n;
	tx->bytes += n * sizeof(struct perm);
	return 0;
}


bool xsi_can(const struct vnode *vn, unsigned int who, unsigned int p)
{
	return (xsi_perm_of(vn->perms, vn->nperms, who) & p) == p;
}

/* WRITE (or MKDIR with @mkdir) of absolute @path by @who inside @tx. */
int xsi_op_write(struct xs_store *xs, struct tx *tx, const char *path,
		    const void *val, size_t vlen, bool mkdir)
{
	char buf[XS_PATH_MAX + 1];
	struct perm perms[XS_PERMS_MAX];
	unsigned int nperms, missing = 1, who = tx->who;
	struct vnode vn;
	struct txe *e;
	size_t l, pos;
	int r;

	if (vlen > XS_VALUE_MAX)
		return -E2BIG;
	r = xsi_eff_get(xs, tx, path, &vn, REC_STRONG);
	if (r)
		return r;
	if (vn.exists) {
		if (!xsi_can(&vn, who, P_WRITE))
			return -EACCES;
		if (mkdir)
			return 0;
		if (tx->bytes + vlen > XS_TX_BYTES_MAX)
			return -ENOSPC;
		e = tx_find(xs, tx, path);
		r = txe_make_ov(xs, tx, e);
		if (!r)
			r = txe_set_val(tx, e, val, vlen);
		if (!r)
			e->ev_change = true;
		return r;
	}
	/* Find the nearest existing ancestor; it decides and is inherited. */
	strcpy(buf, path);
	for (;;) {
		xsi_path_parent(buf);
		r = xsi_eff_get(xs, tx, buf, &vn, REC_WEAK);
		if (r)
			return r;
		if (vn.exists || !strcmp(buf, "/"))
			break;
		missing++;
	}
	if (!vn.exists)
		return -ENOENT;
	if (!xsi_can(&vn, who, P_WRITE))
		return -EACCES;
	if (who && xs->guest_nodes + tx->new_nodes + missing > XS_GUEST_NODES_MAX)
		return -ENOSPC;
	nperms = vn.nperms < XS_PERMS_MAX ? vn.nperms : XS_PERMS_MAX;
	memcpy(perms, vn.perms, nperms * sizeof(perms[0]));
	if (who)
		perms[0].dom = who;	/* unprivileged domains own what they create */
	if (tx->bytes + vlen + missing * nperms * sizeof(perms[0]) > XS_TX_BYTES_MAX)
		return -ENOSPC;
	/* Create the missing nodes top-down. */
	l = strlen(path);
	pos = strlen(buf);
	while (pos < l) {
		pos = (pos == 1) ? 1 : pos + 1;
		while (pos < l && path[pos] != '/')
			pos++;
		memcpy(buf, path, pos);
		buf[pos] = 0;
		e = tx_find(xs, tx, buf);
		if (!e)
			return -EIO;	/* cannot happen: the walk touched it */
		r = txe_set_val(tx, e, pos == l ? val : "", pos == l ? vlen : 0);
		if (!r)
			r = txe_set_perms(tx, e, perms, nperms);
		if (r)
			return r;
		e->ov = e->exists = e->hide = true;
		tx->new_nodes++;
		if (pos == l)
			e->ev_change = true;
	}
	return 0;
}

/* May @who write every node below @path (as seen in @tx)? */
static bool live_subtree_writable(struct xs_store *xs, const struct node *n, unsigned int who)
{
	unsigned int i;

	xs->work++;
	if (!(xsi_perm_of(n->perms, n->nperms, who) & P_WRITE))
		return false;
	for (i = 0; i < n->nkids; i++)
		if (!live_subtree_writable(xs, n->kids[i], who))
			return false;
	return true;
}

int xsi_op_rm(struct xs_store *xs, struct tx *tx, const char *path)
{
	struct vnode vn;
	struct txe *e;
	unsigned int i;
	int r;

	if (!strcmp(path, "/"))
		return -EINVAL;
	r = xsi_eff_get(xs, tx, path, &vn, REC_STRONG);
	if (r)
		return r;
	if (!vn.exists) {
		/* xenstore.txt: not an error if the node is missing, but it is
		 * if its parent is missing too. */
		char parent[XS_PATH_MAX + 1];

		strcpy(parent, path);
		xsi_path_parent(parent);
		r = xsi_eff_get(xs, tx, parent, &vn, REC_WEAK);
		if (r)
			return r;
		if (!vn.exists)
			return -ENOENT;
		/* like a read of the parent: no answer about a node whose
		 * parent the caller cannot read */
		return xsi_can(&vn, tx->who, P_READ) ? 0 : -EACCES;
	}
	if (!xsi_can(&vn, tx->who, P_WRITE))
		return -EACCES;
	e = tx_find(xs, tx, path);
	if (tx->who) {
		/* Unprivileged: everything removed must be writable. */
		bool live_vis = !(e->ov && e->hide) && !tx_hidden(xs, tx, path);
		const struct node *n = live_vis ? xsi_node_find(xs, path) : NULL;

		if (n && !live_subtree_writable(xs, n, tx->who))
			return -EACCES;
		for (i = 0; i < tx->n; i++) {
			const struct txe *d = tx->e[i];

			if (d->ov && d->exists && d != e && xsi_is_under(d->path, path) &&
			    !(xsi_perm_of(d->perms, d->nperms, tx->who) & P_WRITE))
				return -EACCES;
		}
	}
	/* Drop this tx's changes below @path: the removal covers them. */
	for (i = 0; i < tx->n; i++) {
		struct txe *d = tx->e[i];

		if (d != e && d->ov && xsi_is_under(d->path, path)) {
			txe_drop_state(tx, d);
			d->ov = d->exists = d->hide = false;
			d->ev_rm = d->ev_change = false;
		}
	}
	txe_drop_state(tx, e);
	e->ov = e->hide = e->ev_rm = true;
	e->exists = e->ev_change = false;
	return 0;
}

int xsi_op_setperms(struct xs_store *xs, struct tx *tx, const char *path,
		       const struct perm *perms, unsigned int n)
{
	struct vnode vn;
	struct txe *e;
	int r;

	if (!n)
		return -EINVAL;
	if (n > XS_PERMS_MAX)
		return -E2BIG;
	r = xsi_eff_get(xs, tx, path, &vn, REC_STRONG);
	if (r)
		return r;
	if (!vn.exists)
		return -ENOENT;
	if (tx->who && vn.perms[0].dom != tx->who)
		return -EACCES;
	if (tx->who && perms[0].dom != tx->who)
		return -EPERM;
	if (tx->bytes + n * sizeof(*perms) > XS_TX_BYTES_MAX)
		return -ENOSPC;
	e = tx_find(xs, tx, path);
	r = txe_make_ov(xs, tx, e);
	if (!r)
		r = txe_set_perms(tx, e, perms, n);
	if (!r)
		e->ev_change = true;
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Child names of an existing @path as seen through @tx, NUL-separated:
 * the live children the transaction did not touch, then those it has.
 * One pass over the children and one over the transaction's entries
 * (sorted names, looked up per child), never children times entries.
 */
void xsi_list_children(struct xs_store *xs, struct tx *tx,
			  const char *path, struct sb *out)
{
	bool live_vis = true;
	size_t pl = strlen(path), skip = pl > 1 ? pl + 1 : 1;
	const char **touched = NULL;
	unsigned int i, nt = 0;
	const struct node *n;

	if (tx) {
		const struct txe *e = tx_find(xs, tx, path);

		live_vis = !(e && e->ov && (e->hide || !e->exists)) &&
			   !tx_hidden(xs, tx, path);
	}
	n = live_vis ? xsi_node_find(xs, path) : NULL;
	if (n && n->nkids && tx && tx->n) {
		/* the children this transaction has an overlay for */
		touched = malloc(tx->n * sizeof(*touched));
		if (!touched) {
			out->oom = true;
			return;
		}
		xs->work += tx->n;
		for (i = 0; i < tx->n; i++) {
			const struct txe *e = tx->e[i];

			if (e->ov && xsi_is_under(e->path, path) && strcmp(e->path, path) &&
			    !strchr(e->path + skip, '/'))
				touched[nt++] = e->path + skip;
		}
		qsort(touched, nt, sizeof(*touched), cmp_name);
	}
	xs->work += n ? n->nkids : 0;
	for (i = 0; n && i < n->nkids; i++) {
		const char *name = n->kids[i]->name;

		if (nt && bsearch(&name, touched, nt, sizeof(*touched), cmp_name))
			continue;	/* listed below, or removed */
		xsi_sb_str0(out, name);
	}
	free(touched);
	for (i = 0; tx && i < tx->n; i++) {
		const struct txe *e = tx->e[i];

		if (!e->ov || !e->exists || !xsi_is_under(e->path, path) ||
		    !strcmp(e->path, path))
			continue;
		if (!strchr(e->path + skip, '/'))
			xsi_sb_str0(out, e->path + skip);
	}
}

/* Run a mutation: inside @tx, or in an implicit transaction committed at once. */
int xsi_mutate(struct xs_store *xs, struct tx *tx, unsigned int who,
		  enum mop op, const char *path, const void *val, size_t vlen,
		  const struct perm *perms, unsigned int nperms)
{
	struct tx itx = { .who = who };
	struct tx *t = tx ? tx : &itx;
	int r;

	switch (op) {
	case M_WRITE: r = xsi_op_write(xs, t, path, val, vlen, false); break;
	case M_MKDIR: r = xsi_op_write(xs, t, path, NULL, 0, true); break;
	case M_RM: r = xsi_op_rm(xs, t, path); break;
	default: r = xsi_op_setperms(xs, t, path, perms, nperms); break;
	}
	if (!tx) {
		if (!r)
			r = xsi_tx_commit(xs, &itx);
		xsi_tx_free(&itx);
	}
	return r;
}
