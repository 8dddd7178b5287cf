// SPDX-License-Identifier: MIT
/* xenstore server: output queue, watch events, commit (watch.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

void xsi_out_push(struct xs_store *xs, uint32_t type, uint32_t req_id,
		     uint32_t tx_id, const void *pl, size_t len, bool event)
{
	struct xs_msg_hdr h = { type, req_id, tx_id, (uint32_t)len };
	size_t need = HDR_LEN + len, used = xs->out_end - xs->out_start;

	if (!xs->ring)
		return;
	if (event && used + need > XS_OUT_MAX) {
		xs->dropped++;
		return;
	}
	if (xs->out_start && xs->out_end + need > xs->out_cap) {
		memmove(xs->out, xs->out + xs->out_start, used);
		xs->out_start = 0;
		xs->out_end = used;
	}
	if (xs->out_end + need > xs->out_cap) {
		size_t nc = xs->out_cap ? xs->out_cap : 8192;
		unsigned char *nb;

		while (nc < xs->out_end + need)
			nc *= 2;
		nb = realloc(xs->out, nc);
		if (!nb) {
			xs->dropped++;
			return;
		}
		xs->out = nb;
		xs->out_cap = nc;
	}
	memcpy(xs->out + xs->out_end, &h, HDR_LEN);
	if (len)
		memcpy(xs->out + xs->out_end + HDR_LEN, pl, len);
	xs->out_end += need;
}

void xsi_guest_event(struct xs_store *xs, const char *path, size_t plen,
		     const char *token, size_t tlen)
{
	size_t pl = plen + 1, tl = tlen + 1;
	char buf[XS_PAYLOAD_MAX];

	/* over the payload limit, or beyond the backlog: no copying at all */
	if (pl + tl > sizeof(buf) ||
	    xs->out_end - xs->out_start + HDR_LEN + pl + tl > XS_OUT_MAX) {
		xs->dropped++;
		return;
	}
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	xsi_out_push(xs, XS_WATCH_EVENT, 0, 0, buf, pl + tl, true);
}

void xsi_local_event(struct xs_store *xs, uint64_t wid, const char *path)
{
	size_t l = strlen(path) + 1;
	struct levent *ev = malloc(sizeof(*ev) + l);

	if (!ev) {
		xs->dropped++;
		return;
	}
	ev->wid = wid;
	ev->next = NULL;
	memcpy(ev->path, path, l);
	if (xs->evq_tail)
		xs->evq_tail->next = ev;
	else
		xs->evq_head = ev;
	xs->evq_tail = ev;
}

/* @a (of length @al) is @b (of length @bl) or below it. */
static bool under(const char *a, size_t al, const char *b, size_t bl)
{
	if (bl == 1 && b[0] == '/')
		return a[0] == '/';
	return al >= bl && !memcmp(a, b, bl) && (a[bl] == 0 || a[bl] == '/');
}

/*
 * @path changed (or, with @rm, was removed with everything below it).
 * @perms are the node's permissions: the guest hears only of nodes it can read.
 * The cost is one comparison of at most the shorter path per watch.
 */
static void fire(struct xs_store *xs, const char *path, const struct perm *perms,
		 unsigned int nperms, bool rm)
{
	bool guest_reads = xsi_perm_of(perms, nperms, xs->domid) & P_READ;
	size_t plen = strlen(path);
	unsigned int i;

	xs->work += xs->ngw + xs->nlw;
	for (i = 0; i < xs->ngw; i++) {
		const struct gwatch *w = &xs->gw[i];
		const char *ev = NULL;
		size_t elen;

		if (w->abs[0] == '@')
			continue;
		if (under(path, plen, w->abs, w->alen)) {
			if (!guest_reads)
				continue;
			ev = path;
			elen = plen;
		} else if (rm && under(w->abs, w->alen, path, plen)) {
			/* Removed from under the watch: may the guest read the
			 * deepest node on the watched path that is going away? */
			const struct node *n = xsi_node_deepest(xs, w->abs);

			if (!n || !(xsi_perm_of(n->perms, n->nperms, xs->domid) & P_READ))
				continue;
			ev = w->abs;
			elen = w->alen;
		}
		if (!ev)
			continue;
		if (w->rel && elen > xs->dompath_len && !strncmp(ev, xs->dompath, xs->dompath_len) &&
		    ev[xs->dompath_len] == '/') {
			ev += xs->dompath_len + 1;
			elen -= xs->dompath_len + 1;
		}
		xsi_guest_event(xs, ev, elen, w->token, w->tlen);
	}
	for (i = 0; i < xs->nlw; i++) {
		const struct lwatch *w = &xs->lw[i];

		if (w->path[0] == '@')
			continue;
		if (xsi_is_under(path, w->path))
			xsi_local_event(xs, w->id, path);
		else if (rm && xsi_is_under(w->path, path))
			xsi_local_event(xs, w->id, w->path);
	}
}

static int cmp_len(const void *a, const void *b)
{
	const struct txe *x = *(const struct txe *const *)a;
	const struct txe *y = *(const struct txe *const *)b;
	size_t lx = strlen(x->path), ly = strlen(y->path);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->path, y->path);
}

static bool guest_owned(const struct xs_store *xs, const struct perm *p, unsigned int n)
{
	return n && p[0].dom == xs->domid;
}

/* Guest-owned nodes of @n's subtree not counted yet under @mark. */
static unsigned int guest_subtree(struct xs_store *xs, struct node *n, uint64_t mark)
{
	unsigned int i, c;

	if (n->mark == mark)
		return 0;
	n->mark = mark;
	c = guest_owned(xs, n->perms, n->nperms);
	for (i = 0; i < n->nkids; i++)
		c += guest_subtree(xs, n->kids[i], mark);
	return c;
}

/*
 * The guest's node quota at commit: the live count plus the nodes this
 * transaction creates (or gives to the guest) less those it removes must
 * stay within XS_GUEST_NODES_MAX.  The per-operation check cannot see
 * other transactions committed meanwhile; this one can.  A transaction
 * that lowers the count always commits.
 */
static int tx_quota_ok(struct xs_store *xs, const struct tx *tx)
{
	uint64_t mark = ++xs->marks;
	long long delta = 0;
	unsigned int i;

	if (!tx->who)
		return 1;	/* the toolstack is not limited */
	/* 1: live subtrees the commit removes or replaces */
	for (i = 0; i < tx->n; i++) {
		const struct txe *e = tx->e[i];
		struct node *n;

		if (!e->ov || !e->hide || !(n = xsi_node_find(xs, e->path)) || n == xs->root)
			continue;
		delta -= guest_subtree(xs, n, mark);
	}
	/* 2: the nodes it leaves, against what the live tree has there */
	for (i = 0; i < tx->n; i++) {
		const struct txe *e = tx->e[i];
		const struct node *n;

		if (!e->ov || !e->exists)
			continue;
		n = xsi_node_find(xs, e->path);
		delta += guest_owned(xs, e->perms, e->nperms);
		if (n && n->mark != mark)
			delta -= guest_owned(xs, n->perms, n->nperms);
	}
	return delta <= 0 || xs->guest_nodes + delta <= XS_GUEST_NODES_MAX;
}

int xsi_tx_commit(struct xs_store *xs, struct tx *tx)
{
	struct txe **order;
	unsigned int i, k = 0;

	for (i = 0; i < tx->n; i++)
		if (xsi_txe_conflict(xs, tx->e[i]))
			return -EAGAIN;
	if (!tx_quota_ok(xs, tx))
		return -ENOSPC;
	order = malloc((tx->n ? tx->n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	/* 1: remove what the transaction removed or replaced. */
	for (i = 0; i < tx->n; i++) {
		struct txe *e = tx->e[i];
		struct node *n;

		if (!e->ov)
			continue;
		if (e->exists)
			order[k++] = e;
		if (!e->hide || !(n = xsi_node_find(xs, e->path)) || n == xs->root)
			continue;
		if (e->ev_rm)
			fire(xs, e->path, n->perms, n->nperms, true);
		xsi_node_unlink(xs, n);
	}
	/* 2: create and update, parents first. */
	qsort(order, k, sizeof(*order), cmp_len);
	for (i = 0; i < k; i++) {
		struct txe *e = order[i];
		struct node *n = xsi_node_find(xs, e->path);

		if (!n) {
			char par[XS_PATH_MAX + 1];
			struct node *p;

			strcpy(par, e->path);
			xsi_path_parent(par);
			p = xsi_node_find(xs, par);
			if (!p)
				continue;	/* cannot happen: parents sort first */
			n = xsi_node_add(xs, p, strrchr(e->path, '/') + 1, e->perms,
				     e->nperms);
			if (!n)
				continue;	/* out of memory: the node is lost */
			e->perms = NULL;
		} else {
			xsi_acct(xs, n, -1);
			free(n->perms);
			n->perms = e->perms;
			n->nperms = e->nperms;
			e->perms = NULL;
			xsi_acct(xs, n, 1);
		}
		free(n->val);
		n->val = e->val;
		n->vlen = e->vlen;
		e->val = NULL;
		if (!n->val) {
			n->val = xsi_memdup0("", 0);
			n->vlen = 0;
		}
		n->gen = n->pgen = ++xs->gen;
		if (e->ev_change)
			fire(xs, e->path, n->perms, n->nperms, false);
	}
	free(order);
	return 0;
}

