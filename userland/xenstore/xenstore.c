// SPDX-License-Identifier: MIT
/*
 * In-process xenstore server for one guest domain: node tree, permissions,
 * transactions, watches and the guest's shared ring.  Design notes and the
 * protocol subset are in docs/xenstore.md.
 *
 * Model.  The live tree is a plain tree of nodes; every node carries a
 * generation number that changes whenever its value, permissions or list
 * of children changes.  Every mutation runs inside a transaction: a guest
 * transaction, or an implicit one that commits at once.  A transaction
 * keeps one entry per path it touched: the live generation it saw (for the
 * conflict check at commit) and, for paths it changed, an overlay (the
 * node's new state, or "removed").  An overlay with `hide` set means the
 * live node's children are not visible through it (the node was removed,
 * or created, inside the transaction).  Commit checks that every touched
 * path still has the generation it saw (otherwise EAGAIN), removes the
 * hidden live subtrees, then writes the overlays parents first, firing
 * watches as it goes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstore.h"

_Static_assert(offsetof(struct xs_ring_page, req_cons) == 2048, "ring layout");
_Static_assert(offsetof(struct xs_ring_page, rsp_prod) == 2060, "ring layout");
_Static_assert(offsetof(struct xs_ring_page, error) == 2072, "ring layout");
_Static_assert(sizeof(struct xs_msg_hdr) == 16, "header layout");

#define HDR_LEN		16u
#define OUT_HIGH	(64u << 10)	/* stop reading requests above this backlog */
#define IN_BUDGET	(64u << 10)	/* request bytes consumed per xs_ring_process */

#define P_READ	1u
#define P_WRITE	2u

struct perm {
	unsigned int dom;
	unsigned int p;			/* P_READ | P_WRITE */
};

struct node {
	char *name;			/* last component ("" for the root) */
	struct node *parent;
	struct node **kids;
	unsigned int nkids, ckids;
	char *val;
	size_t vlen;
	struct perm *perms;		/* [0] = owner and default for others */
	unsigned int nperms;
	uint64_t gen;			/* any change, children included */
	uint64_t pgen;			/* creation, value or permissions */
};

struct txe {
	char *path;
	uint64_t seen;			/* live generation at first touch, 0 = absent */
	uint64_t seen_p;		/* live pgen at first touch */
	bool weak;			/* only walked through: pgen is what matters */
	bool ov;			/* the fields below hold this tx's state */
	bool exists;
	bool hide;			/* live children invisible (removed/created here) */
	bool ev_rm, ev_change;		/* watches to fire at commit */
	char *val;
	size_t vlen;
	struct perm *perms;
	unsigned int nperms;
};

struct tx {
	uint32_t id;
	unsigned int who;		/* domid issuing the operations */
	struct txe **e;
	unsigned int n, cap;
	size_t bytes;
	unsigned int new_nodes;
};

struct gwatch {
	char *orig;			/* path as the guest sent it */
	char *abs;			/* resolved (or "@..." as is) */
	char *token;
	bool rel;
};

struct lwatch {
	char *path;
	void (*cb)(void *opaque, const char *path);
	void *opaque;
	uint64_t id;
};

struct levent {
	uint64_t wid;
	struct levent *next;
	char path[];
};

struct xs_store {
	pthread_mutex_t lock;
	unsigned int domid;
	char dompath[32];		/* "/local/domain/<domid>" */
	size_t dompath_len;
	struct node *root;
	uint64_t gen;
	unsigned int nodes, guest_nodes;

	/* guest connection */
	struct xs_ring_page *ring;
	void (*notify)(void *opaque);
	void *nopaque;
	uint32_t req_cons, rsp_prod;	/* our copies of the indices we own */
	unsigned char in[HDR_LEN + XS_PAYLOAD_MAX];
	size_t in_have;
	unsigned char *out;
	size_t out_start, out_end, out_cap;
	int err;
	bool need_notify;
	struct gwatch gw[XS_GUEST_WATCHES_MAX];
	unsigned int ngw;
	struct tx *txs[XS_GUEST_TX_MAX];
	uint32_t next_txid;

	/* toolstack watches */
	struct lwatch *lw;
	unsigned int nlw, clw;
	uint64_t next_lwid;
	struct levent *evq_head, *evq_tail;
	bool draining;

	unsigned long long requests, errors, dropped;
};

/* ---------------------------------------------------------------- util */

struct sb {
	char *b;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sb *s, const void *data, size_t len)
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

static void sb_str0(struct sb *s, const char *str)
{
	sb_add(s, str, strlen(str) + 1);
}

static char *memdup0(const void *p, size_t len)
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
static bool is_under(const char *child, const char *parent)
{
	size_t l = strlen(parent);

	if (parent[0] == '/' && parent[1] == 0)
		return child[0] == '/';
	return !strncmp(child, parent, l) && (child[l] == 0 || child[l] == '/');
}

static const char *err_name(int err)
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
static int parse_domid(const char *s, unsigned int *out)
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

/* ---------------------------------------------------------------- paths */

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

/* Resolve @in (relative to the domain path if not absolute) into @out. */
static int resolve(const struct xs_store *xs, const char *in, char *out,
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
static void path_parent(char *p)
{
	char *s = strrchr(p, '/');

	if (s == p)
		p[1] = 0;
	else if (s)
		*s = 0;
}

/* ---------------------------------------------------------------- perms */

static unsigned int perm_of(const struct perm *ps, unsigned int n,
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

static int parse_perm(const char *s, struct perm *out)
{
	switch (s[0]) {
	case 'n': out->p = 0; break;
	case 'r': out->p = P_READ; break;
	case 'w': out->p = P_WRITE; break;
	case 'b': out->p = P_READ | P_WRITE; break;
	default: return -EINVAL;
	}
	return parse_domid(s + 1, &out->dom);
}

static void perm_str(const struct perm *p, char *buf, size_t len)
{
	static const char letters[] = "nrwb";

	snprintf(buf, len, "%c%u", letters[p->p & 3], p->dom);
}

static struct perm *perms_dup(const struct perm *p, unsigned int n)
{
	struct perm *r = malloc((n ? n : 1) * sizeof(*r));

	if (r && n)
		memcpy(r, p, n * sizeof(*r));
	return r;
}

/* ---------------------------------------------------------------- live tree */

static struct node *node_find(const struct xs_store *xs, const char *path)
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
static bool txe_conflict(const struct xs_store *xs, const struct txe *e)
{
	const struct node *n = node_find(xs, e->path);

	if (e->weak)
		return (n ? n->pgen : 0) != e->seen_p;
	return (n ? n->gen : 0) != e->seen;
}

static void acct(struct xs_store *xs, const struct node *n, int sign)
{
	xs->nodes += (unsigned int)sign;
	if (n->nperms && n->perms[0].dom == xs->domid)
		xs->guest_nodes += (unsigned int)sign;
}

static void node_free(struct xs_store *xs, struct node *n)
{
	unsigned int i;

	for (i = 0; i < n->nkids; i++)
		node_free(xs, n->kids[i]);
	acct(xs, n, -1);
	free(n->kids);
	free(n->name);
	free(n->val);
	free(n->perms);
	free(n);
}

static void node_unlink(struct xs_store *xs, struct node *n)
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
	node_free(xs, n);
}

/* A new empty child @name of @par; takes ownership of @perms. */
static struct node *node_add(struct xs_store *xs, struct node *par,
			     const char *name, struct perm *perms,
			     unsigned int nperms)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	n->val = memdup0("", 0);
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
	acct(xs, n, 1);
	return n;
fail:
	free(n->name);
	free(n->val);
	free(n);
	return NULL;
}

/* ---------------------------------------------------------------- transactions */

static struct txe *tx_find(const struct tx *tx, const char *path)
{
	unsigned int i;

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

static void tx_free(struct tx *tx)
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
	struct txe *e = tx_find(tx, path);
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
	n = node_find(xs, path);
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
static bool tx_hidden(const struct tx *tx, const char *path)
{
	const struct txe *best = NULL;
	size_t bl = 0, pl = strlen(path);
	unsigned int i;

	for (i = 0; i < tx->n; i++) {
		const struct txe *e = tx->e[i];
		size_t l = strlen(e->path);

		if (!e->ov || l >= pl || l < bl || !is_under(path, e->path))
			continue;
		best = e;
		bl = l;
	}
	return best && (!best->exists || best->hide);
}

/* A node's state as seen by a caller: live, or through a transaction. */
struct vnode {
	bool exists;
	const char *val;
	size_t vlen;
	const struct perm *perms;
	unsigned int nperms;
	uint64_t gen;
};

/*
 * With @record (REC_*), @path joins @tx's read set (may fail with ENOSPC).
 */
enum { REC_NONE, REC_STRONG, REC_WEAK };
static int eff_get(struct xs_store *xs, struct tx *tx, const char *path,
		   struct vnode *vn, int record)
{
	const struct node *n;

	memset(vn, 0, sizeof(*vn));
	if (tx) {
		int err = 0;
		const struct txe *e = record ?
			tx_touch(xs, tx, path, record == REC_WEAK, &err) :
			tx_find(tx, path);

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
		if (tx_hidden(tx, path))
			return 0;
	}
	n = node_find(xs, path);
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
	eff_get(xs, tx, e->path, &vn, REC_NONE);
	if (vn.exists) {
		e->val = memdup0(vn.val, vn.vlen);
		e->perms = perms_dup(vn.perms, vn.nperms);
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
	char *v = memdup0(val, vlen);

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
	struct perm *np = perms_dup(p, n);

	if (!np)
		return -ENOMEM;
	tx->bytes -= e->nperms * sizeof(struct perm);
	free(e->perms);
	e->perms = np;
	e->nperms = n;
	tx->bytes += n * sizeof(struct perm);
	return 0;
}

/* ---------------------------------------------------------------- operations */

static bool can(const struct vnode *vn, unsigned int who, unsigned int p)
{
	return (perm_of(vn->perms, vn->nperms, who) & p) == p;
}

/* WRITE (or MKDIR with @mkdir) of absolute @path by @who inside @tx. */
static int op_write(struct xs_store *xs, struct tx *tx, const char *path,
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
	r = eff_get(xs, tx, path, &vn, REC_STRONG);
	if (r)
		return r;
	if (vn.exists) {
		if (!can(&vn, who, P_WRITE))
			return -EACCES;
		if (mkdir)
			return 0;
		if (tx->bytes + vlen > XS_TX_BYTES_MAX)
			return -ENOSPC;
		e = tx_find(tx, path);
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
		path_parent(buf);
		r = eff_get(xs, tx, buf, &vn, REC_WEAK);
		if (r)
			return r;
		if (vn.exists || !strcmp(buf, "/"))
			break;
		missing++;
	}
	if (!vn.exists)
		return -ENOENT;
	if (!can(&vn, who, P_WRITE))
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
		e = tx_find(tx, buf);
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
static bool live_subtree_writable(const struct node *n, unsigned int who)
{
	unsigned int i;

	if (!(perm_of(n->perms, n->nperms, who) & P_WRITE))
		return false;
	for (i = 0; i < n->nkids; i++)
		if (!live_subtree_writable(n->kids[i], who))
			return false;
	return true;
}

static int op_rm(struct xs_store *xs, struct tx *tx, const char *path)
{
	struct vnode vn;
	struct txe *e;
	unsigned int i;
	int r;

	if (!strcmp(path, "/"))
		return -EINVAL;
	r = eff_get(xs, tx, path, &vn, REC_STRONG);
	if (r)
		return r;
	if (!vn.exists) {
		/* xenstore.txt: not an error if the node is missing, but it is
		 * if its parent is missing too. */
		char parent[XS_PATH_MAX + 1];

		strcpy(parent, path);
		path_parent(parent);
		r = eff_get(xs, tx, parent, &vn, REC_WEAK);
		if (r)
			return r;
		if (!vn.exists)
			return -ENOENT;
		/* like a read of the parent: no answer about a node whose
		 * parent the caller cannot read */
		return can(&vn, tx->who, P_READ) ? 0 : -EACCES;
	}
	if (!can(&vn, tx->who, P_WRITE))
		return -EACCES;
	e = tx_find(tx, path);
	if (tx->who) {
		/* Unprivileged: everything removed must be writable. */
		bool live_vis = !(e->ov && e->hide) && !tx_hidden(tx, path);
		const struct node *n = live_vis ? node_find(xs, path) : NULL;

		if (n && !live_subtree_writable(n, tx->who))
			return -EACCES;
		for (i = 0; i < tx->n; i++) {
			const struct txe *d = tx->e[i];

			if (d->ov && d->exists && d != e && is_under(d->path, path) &&
			    !(perm_of(d->perms, d->nperms, tx->who) & P_WRITE))
				return -EACCES;
		}
	}
	/* Drop this tx's changes below @path: the removal covers them. */
	for (i = 0; i < tx->n; i++) {
		struct txe *d = tx->e[i];

		if (d != e && d->ov && is_under(d->path, path)) {
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

static int op_setperms(struct xs_store *xs, struct tx *tx, const char *path,
		       const struct perm *perms, unsigned int n)
{
	struct vnode vn;
	struct txe *e;
	int r;

	if (!n)
		return -EINVAL;
	if (n > XS_PERMS_MAX)
		return -E2BIG;
	r = eff_get(xs, tx, path, &vn, REC_STRONG);
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
	e = tx_find(tx, path);
	r = txe_make_ov(xs, tx, e);
	if (!r)
		r = txe_set_perms(tx, e, perms, n);
	if (!r)
		e->ev_change = true;
	return r;
}

/* Child names of an existing @path as seen through @tx, NUL-separated. */
static void list_children(struct xs_store *xs, struct tx *tx,
			  const char *path, struct sb *out)
{
	bool live_vis = true;
	size_t pl = strlen(path);
	const struct node *n;
	unsigned int i;

	if (tx) {
		const struct txe *e = tx_find(tx, path);

		live_vis = !(e && e->ov && (e->hide || !e->exists)) &&
			   !tx_hidden(tx, path);
	}
	n = live_vis ? node_find(xs, path) : NULL;
	for (i = 0; n && i < n->nkids; i++) {
		if (tx) {
			char kp[XS_PATH_MAX + 2];
			const struct txe *ke;

			snprintf(kp, sizeof(kp), "%s%s%s", path, pl > 1 ? "/" : "",
				 n->kids[i]->name);
			ke = tx_find(tx, kp);
			if (ke && ke->ov)
				continue;	/* listed below, or removed */
		}
		sb_str0(out, n->kids[i]->name);
	}
	for (i = 0; tx && i < tx->n; i++) {
		const struct txe *e = tx->e[i];
		const char *rest;

		if (!e->ov || !e->exists || !is_under(e->path, path) ||
		    !strcmp(e->path, path))
			continue;
		rest = e->path + (pl > 1 ? pl + 1 : 1);
		if (!strchr(rest, '/'))
			sb_str0(out, rest);
	}
}

/* ---------------------------------------------------------------- output and watches */

static void out_push(struct xs_store *xs, uint32_t type, uint32_t req_id,
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

static void guest_event(struct xs_store *xs, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	char buf[XS_PAYLOAD_MAX];

	if (pl + tl > sizeof(buf)) {
		xs->dropped++;	/* would break the payload limit */
		return;
	}
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	out_push(xs, XS_WATCH_EVENT, 0, 0, buf, pl + tl, true);
}

static void local_event(struct xs_store *xs, uint64_t wid, const char *path)
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

/*
 * @path changed (or, with @rm, was removed with everything below it).
 * @perms are the node's permissions: the guest hears only of nodes it can read.
 */
static void fire(struct xs_store *xs, const char *path, const struct perm *perms,
		 unsigned int nperms, bool rm)
{
	bool guest_reads = perm_of(perms, nperms, xs->domid) & P_READ;
	unsigned int i;

	for (i = 0; i < xs->ngw; i++) {
		const struct gwatch *w = &xs->gw[i];
		const char *ev = NULL;

		if (w->abs[0] == '@')
			continue;
		if (is_under(path, w->abs)) {
			if (!guest_reads)
				continue;
			ev = path;
		} else if (rm && is_under(w->abs, path)) {
			/* Removed from under the watch: may the guest read the
			 * deepest node on the watched path that is going away? */
			char d[XS_PATH_MAX + 1];
			const struct node *n;

			strcpy(d, w->abs);
			while (!(n = node_find(xs, d)) && strcmp(d, "/"))
				path_parent(d);
			if (!n || !(perm_of(n->perms, n->nperms, xs->domid) & P_READ))
				continue;
			ev = w->abs;
		}
		if (!ev)
			continue;
		if (w->rel && !strncmp(ev, xs->dompath, xs->dompath_len) &&
		    ev[xs->dompath_len] == '/')
			ev += xs->dompath_len + 1;
		guest_event(xs, ev, w->token);
	}
	for (i = 0; i < xs->nlw; i++) {
		const struct lwatch *w = &xs->lw[i];

		if (w->path[0] == '@')
			continue;
		if (is_under(path, w->path))
			local_event(xs, w->id, path);
		else if (rm && is_under(w->path, path))
			local_event(xs, w->id, w->path);
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

static int tx_commit(struct xs_store *xs, struct tx *tx)
{
	struct txe **order;
	unsigned int i, k = 0;

	for (i = 0; i < tx->n; i++)
		if (txe_conflict(xs, tx->e[i]))
			return -EAGAIN;
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
		if (!e->hide || !(n = node_find(xs, e->path)) || n == xs->root)
			continue;
		if (e->ev_rm)
			fire(xs, e->path, n->perms, n->nperms, true);
		node_unlink(xs, n);
	}
	/* 2: create and update, parents first. */
	qsort(order, k, sizeof(*order), cmp_len);
	for (i = 0; i < k; i++) {
		struct txe *e = order[i];
		struct node *n = node_find(xs, e->path);

		if (!n) {
			char par[XS_PATH_MAX + 1];
			struct node *p;

			strcpy(par, e->path);
			path_parent(par);
			p = node_find(xs, par);
			if (!p)
				continue;	/* cannot happen: parents sort first */
			n = node_add(xs, p, strrchr(e->path, '/') + 1, e->perms,
				     e->nperms);
			if (!n)
				continue;	/* out of memory: the node is lost */
			e->perms = NULL;
		} else {
			acct(xs, n, -1);
			free(n->perms);
			n->perms = e->perms;
			n->nperms = e->nperms;
			e->perms = NULL;
			acct(xs, n, 1);
		}
		free(n->val);
		n->val = e->val;
		n->vlen = e->vlen;
		e->val = NULL;
		if (!n->val) {
			n->val = memdup0("", 0);
			n->vlen = 0;
		}
		n->gen = n->pgen = ++xs->gen;
		if (e->ev_change)
			fire(xs, e->path, n->perms, n->nperms, false);
	}
	free(order);
	return 0;
}

/* ---------------------------------------------------------------- ring */

static int ring_fail(struct xs_store *xs, uint32_t code, int err)
{
	__atomic_store_n(&xs->ring->error, code, __ATOMIC_RELEASE);
	xs->err = err;
	xs->need_notify = true;
	return err;
}

/* Move queued output onto the response ring. */
static int flush_out(struct xs_store *xs)
{
	struct xs_ring_page *r = xs->ring;

	if (!r || xs->err)
		return xs->err;
	while (xs->out_end > xs->out_start) {
		uint32_t cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
		uint32_t used = xs->rsp_prod - cons, space, n, i;
		size_t pending = xs->out_end - xs->out_start;
		volatile char *dst = r->rsp;

		if (used > XS_RING_SIZE)
			return ring_fail(xs, XS_ERR_RINGIDX, -EIO);
		space = XS_RING_SIZE - used;
		if (!space)
			break;
		/* The guest's reads of the old bytes happen before we overwrite. */
		atomic_thread_fence(memory_order_seq_cst);
		n = pending < space ? (uint32_t)pending : space;
		for (i = 0; i < n; i++)
			dst[(xs->rsp_prod + i) & (XS_RING_SIZE - 1)] =
				(char)xs->out[xs->out_start + i];
		atomic_thread_fence(memory_order_release);
		xs->rsp_prod += n;
		__atomic_store_n(&r->rsp_prod, xs->rsp_prod, __ATOMIC_RELEASE);
		xs->out_start += n;
		xs->need_notify = true;
	}
	if (xs->out_start == xs->out_end) {
		xs->out_start = xs->out_end = 0;
		if (xs->out_cap > 4 * OUT_HIGH) {	/* give back a burst's memory */
			free(xs->out);
			xs->out = NULL;
			xs->out_cap = 0;
		}
	}
	return 0;
}

static void conn_reset(struct xs_store *xs)
{
	unsigned int i;

	for (i = 0; i < xs->ngw; i++) {
		free(xs->gw[i].orig);
		free(xs->gw[i].abs);
		free(xs->gw[i].token);
	}
	xs->ngw = 0;
	for (i = 0; i < XS_GUEST_TX_MAX; i++) {
		tx_free(xs->txs[i]);
		free(xs->txs[i]);
		xs->txs[i] = NULL;
	}
	xs->in_have = 0;
	xs->out_start = xs->out_end = 0;
	xs->err = 0;
}

/* ---------------------------------------------------------------- guest requests */

static void reply(struct xs_store *xs, const struct xs_msg_hdr *h,
		  const void *pl, size_t len)
{
	out_push(xs, h->type, h->req_id, h->tx_id, pl, len, false);
}

static void reply_err(struct xs_store *xs, const struct xs_msg_hdr *h, int err)
{
	const char *s = err_name(err < 0 ? -err : err);

	xs->errors++;
	out_push(xs, XS_ERROR, h->req_id, h->tx_id, s, strlen(s) + 1, false);
}

static void reply_ok(struct xs_store *xs, const struct xs_msg_hdr *h)
{
	reply(xs, h, "OK", 3);
}

/* Next NUL-terminated string of the payload, or NULL. */
static const char *arg(const char *pl, size_t len, size_t *off)
{
	const char *s = pl + *off, *z;

	if (*off >= len)
		return NULL;
	z = memchr(s, 0, len - *off);
	if (!z)
		return NULL;
	*off += (size_t)(z - s) + 1;
	return s;
}

static struct tx *guest_tx(struct xs_store *xs, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < XS_GUEST_TX_MAX; i++)
		if (xs->txs[i] && xs->txs[i]->id == id)
			return xs->txs[i];
	return NULL;
}

static void guest_tx_end(struct xs_store *xs, struct tx *tx)
{
	unsigned int i;

	for (i = 0; i < XS_GUEST_TX_MAX; i++) {
		if (xs->txs[i] == tx) {
			tx_free(tx);
			free(tx);
			xs->txs[i] = NULL;
		}
	}
}

/* Run a mutation: inside @tx, or in an implicit transaction committed at once. */
enum mop { M_WRITE, M_MKDIR, M_RM, M_PERMS };
static int mutate(struct xs_store *xs, struct tx *tx, unsigned int who,
		  enum mop op, const char *path, const void *val, size_t vlen,
		  const struct perm *perms, unsigned int nperms)
{
	struct tx itx = { .who = who };
	struct tx *t = tx ? tx : &itx;
	int r;

	switch (op) {
	case M_WRITE: r = op_write(xs, t, path, val, vlen, false); break;
	case M_MKDIR: r = op_write(xs, t, path, NULL, 0, true); break;
	case M_RM: r = op_rm(xs, t, path); break;
	default: r = op_setperms(xs, t, path, perms, nperms); break;
	}
	if (!tx) {
		if (!r)
			r = tx_commit(xs, &itx);
		tx_free(&itx);
	}
	return r;
}

static void g_watch(struct xs_store *xs, const struct xs_msg_hdr *h,
		    const char *pl, bool add)
{
	char abs[XS_PATH_MAX + 1];
	size_t off = 0;
	const char *p = arg(pl, h->len, &off), *tok = arg(pl, h->len, &off);
	struct gwatch *w;
	unsigned int i;
	int r;

	if (!p || !tok)
		return reply_err(xs, h, EINVAL);
	r = resolve(xs, p, abs, true);
	if (r)
		return reply_err(xs, h, r);
	for (i = 0; i < xs->ngw; i++)
		if (!strcmp(xs->gw[i].abs, abs) && !strcmp(xs->gw[i].token, tok))
			break;
	if (!add) {
		if (i == xs->ngw)
			return reply_err(xs, h, ENOENT);
		free(xs->gw[i].orig);
		free(xs->gw[i].abs);
		free(xs->gw[i].token);
		xs->gw[i] = xs->gw[--xs->ngw];
		return reply_ok(xs, h);
	}
	if (i < xs->ngw)
		return reply_err(xs, h, EEXIST);
	if (xs->ngw >= XS_GUEST_WATCHES_MAX)
		return reply_err(xs, h, ENOSPC);
	w = &xs->gw[xs->ngw];
	w->orig = strdup(p);
	w->abs = strdup(abs);
	w->token = strdup(tok);
	w->rel = p[0] != '/' && p[0] != '@';
	if (!w->orig || !w->abs || !w->token) {
		free(w->orig);
		free(w->abs);
		free(w->token);
		return reply_err(xs, h, ENOMEM);
	}
	xs->ngw++;
	reply_ok(xs, h);
	guest_event(xs, p, tok);	/* a new watch fires once */
}

static void g_directory(struct xs_store *xs, const struct xs_msg_hdr *h,
			struct tx *tx, const char *path, const char *pl,
			size_t off)
{
	struct sb s = { 0 };
	struct vnode vn;
	size_t start = 0;
	char gen[24];
	int r;

	r = eff_get(xs, tx, path, &vn, tx ? REC_STRONG : REC_NONE);
	if (r)
		return reply_err(xs, h, r);
	if (!vn.exists)
		return reply_err(xs, h, ENOENT);
	if (!can(&vn, xs->domid, P_READ))
		return reply_err(xs, h, EACCES);
	if (h->type == XS_DIRECTORY_PART) {
		const char *o = arg(pl, h->len, &off);
		unsigned long long v = 0;
		size_t i;

		if (!o || !*o || strlen(o) > 9)
			return reply_err(xs, h, EINVAL);
		for (i = 0; o[i]; i++) {
			if (o[i] < '0' || o[i] > '9')
				return reply_err(xs, h, EINVAL);
			v = v * 10 + (unsigned long long)(o[i] - '0');
		}
		start = (size_t)v;
		snprintf(gen, sizeof(gen), "%llu", (unsigned long long)vn.gen);
	}
	list_children(xs, tx, path, &s);
	if (s.oom) {
		free(s.b);
		return reply_err(xs, h, ENOMEM);
	}
	if (h->type == XS_DIRECTORY) {
		if (s.n > XS_PAYLOAD_MAX)
			reply_err(xs, h, E2BIG);
		else
			reply(xs, h, s.b, s.n);
	} else if (start > s.n) {
		reply_err(xs, h, EINVAL);
	} else {
		/* "gen\0" + whole names from @start that fit + "\0" if at the end. */
		struct sb o = { 0 };
		size_t room, end = start;

		sb_str0(&o, gen);
		room = XS_PAYLOAD_MAX - o.n - 1;
		while (end < s.n) {
			size_t l = strnlen(s.b + end, s.n - end) + 1;

			if (end + l - start > room)
				break;
			end += l;
		}
		sb_add(&o, s.b + start, end - start);
		if (end == s.n)
			sb_add(&o, "", 1);
		if (o.oom)
			reply_err(xs, h, ENOMEM);
		else
			reply(xs, h, o.b, o.n);
		free(o.b);
	}
	free(s.b);
}

static void handle(struct xs_store *xs, const struct xs_msg_hdr *h,
		   const char *pl)
{
	char path[XS_PATH_MAX + 1];
	struct tx *tx = NULL;
	struct vnode vn;
	size_t off = 0;
	const char *a;
	int r;

	xs->requests++;
	switch (h->type) {
	case XS_DIRECTORY: case XS_DIRECTORY_PART: case XS_READ:
	case XS_GET_PERMS: case XS_WRITE: case XS_MKDIR: case XS_RM:
	case XS_SET_PERMS: case XS_TRANSACTION_END:
		if (h->tx_id && !(tx = guest_tx(xs, h->tx_id)))
			return reply_err(xs, h, ENOENT);
		break;
	default:
		break;
	}
	switch (h->type) {
	case XS_DIRECTORY: case XS_DIRECTORY_PART: case XS_READ:
	case XS_GET_PERMS: case XS_WRITE: case XS_MKDIR: case XS_RM:
	case XS_SET_PERMS:
		a = arg(pl, h->len, &off);
		if (!a)
			return reply_err(xs, h, EINVAL);
		r = resolve(xs, a, path, false);
		if (r)
			return reply_err(xs, h, r);
		break;
	default:
		break;
	}

	switch (h->type) {
	case XS_DIRECTORY:
	case XS_DIRECTORY_PART:
		return g_directory(xs, h, tx, path, pl, off);
	case XS_READ:
	case XS_GET_PERMS:
		r = eff_get(xs, tx, path, &vn, tx ? REC_STRONG : REC_NONE);
		if (r)
			return reply_err(xs, h, r);
		if (!vn.exists)
			return reply_err(xs, h, ENOENT);
		if (!can(&vn, xs->domid, P_READ))
			return reply_err(xs, h, EACCES);
		if (h->type == XS_READ)
			return reply(xs, h, vn.val, vn.vlen);
		{
			struct sb s = { 0 };
			char one[16];
			unsigned int i;

			for (i = 0; i < vn.nperms; i++) {
				perm_str(&vn.perms[i], one, sizeof(one));
				sb_str0(&s, one);
			}
			if (s.oom)
				reply_err(xs, h, ENOMEM);
			else
				reply(xs, h, s.b, s.n);
			free(s.b);
		}
		return;
	case XS_WRITE:
		r = mutate(xs, tx, xs->domid, M_WRITE, path, pl + off,
			   h->len - off, NULL, 0);
		break;
	case XS_MKDIR:
		r = mutate(xs, tx, xs->domid, M_MKDIR, path, NULL, 0, NULL, 0);
		break;
	case XS_RM:
		r = mutate(xs, tx, xs->domid, M_RM, path, NULL, 0, NULL, 0);
		break;
	case XS_SET_PERMS: {
		struct perm perms[XS_PERMS_MAX];
		unsigned int n = 0;

		while (off < h->len) {
			a = arg(pl, h->len, &off);
			if (!a)
				return reply_err(xs, h, EINVAL);
			if (n == XS_PERMS_MAX)
				return reply_err(xs, h, E2BIG);
			if (parse_perm(a, &perms[n++]))
				return reply_err(xs, h, EINVAL);
		}
		r = mutate(xs, tx, xs->domid, M_PERMS, path, NULL, 0, perms, n);
		break;
	}
	case XS_WATCH:
	case XS_UNWATCH:
		return g_watch(xs, h, pl, h->type == XS_WATCH);
	case XS_TRANSACTION_START: {
		unsigned int i, slot = XS_GUEST_TX_MAX;
		char id[16];

		if (h->len > 1 || (h->len == 1 && pl[0]))
			return reply_err(xs, h, EINVAL);
		for (i = 0; i < XS_GUEST_TX_MAX; i++)
			if (!xs->txs[i])
				slot = i;
		if (slot == XS_GUEST_TX_MAX)
			return reply_err(xs, h, ENOSPC);
		tx = calloc(1, sizeof(*tx));
		if (!tx)
			return reply_err(xs, h, ENOMEM);
		do {
			tx->id = ++xs->next_txid;
		} while (!tx->id || guest_tx(xs, tx->id));
		tx->who = xs->domid;
		xs->txs[slot] = tx;
		snprintf(id, sizeof(id), "%u", tx->id);
		return reply(xs, h, id, strlen(id) + 1);
	}
	case XS_TRANSACTION_END:
		if (!tx)
			return reply_err(xs, h, ENOENT);
		a = arg(pl, h->len, &off);
		if (!a || (strcmp(a, "T") && strcmp(a, "F")))
			return reply_err(xs, h, EINVAL);
		r = a[0] == 'T' ? tx_commit(xs, tx) : 0;
		guest_tx_end(xs, tx);
		break;
	case XS_GET_DOMAIN_PATH: {
		unsigned int d;
		char dp[40];

		a = arg(pl, h->len, &off);
		if (!a || parse_domid(a, &d))
			return reply_err(xs, h, EINVAL);
		snprintf(dp, sizeof(dp), "/local/domain/%u", d);
		return reply(xs, h, dp, strlen(dp) + 1);
	}
	case XS_RESET_WATCHES: {
		unsigned int i;

		for (i = 0; i < xs->ngw; i++) {
			free(xs->gw[i].orig);
			free(xs->gw[i].abs);
			free(xs->gw[i].token);
		}
		xs->ngw = 0;
		for (i = 0; i < XS_GUEST_TX_MAX; i++) {
			tx_free(xs->txs[i]);
			free(xs->txs[i]);
			xs->txs[i] = NULL;
		}
		return reply_ok(xs, h);
	}
	case XS_CONTROL: case XS_INTRODUCE: case XS_RELEASE:
	case XS_IS_DOMAIN_INTRODUCED: case XS_RESUME: case XS_SET_TARGET:
		return reply_err(xs, h, EACCES);	/* toolstack-only */
	case 23: case 24: case 25: case 26:
		return reply_err(xs, h, ENOSYS);
	default:
		return reply_err(xs, h, EINVAL);
	}
	if (r)
		reply_err(xs, h, r);
	else
		reply_ok(xs, h);
}

/* Consume request bytes; handle a message once complete. */
static int read_in(struct xs_store *xs, size_t *budget, bool *progress)
{
	struct xs_ring_page *r = xs->ring;
	uint32_t prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
	uint32_t avail = prod - xs->req_cons, want, n, i;
	const volatile char *src = r->req;
	struct xs_msg_hdr h;

	if (avail > XS_RING_SIZE)
		return ring_fail(xs, XS_ERR_RINGIDX, -EIO);
	if (!avail)
		return 0;
	if (xs->in_have < HDR_LEN) {
		want = HDR_LEN - (uint32_t)xs->in_have;
	} else {
		memcpy(&h, xs->in, HDR_LEN);
		want = HDR_LEN + h.len - (uint32_t)xs->in_have;
	}
	n = avail < want ? avail : want;
	/* Copy out of the shared page before looking at anything. */
	for (i = 0; i < n; i++)
		xs->in[xs->in_have + i] =
			(unsigned char)src[(xs->req_cons + i) & (XS_RING_SIZE - 1)];
	atomic_thread_fence(memory_order_seq_cst);
	xs->req_cons += n;
	__atomic_store_n(&r->req_cons, xs->req_cons, __ATOMIC_RELEASE);
	xs->need_notify = true;
	xs->in_have += n;
	*budget = *budget > n ? *budget - n : 0;
	*progress = true;
	if (xs->in_have < HDR_LEN)
		return 0;
	memcpy(&h, xs->in, HDR_LEN);
	if (h.len > XS_PAYLOAD_MAX)
		return ring_fail(xs, XS_ERR_PROTO, -EPROTO);
	if (xs->in_have == HDR_LEN + h.len) {
		xs->in_have = 0;
		handle(xs, &h, (const char *)xs->in + HDR_LEN);
	}
	return 0;
}

static int conn_process(struct xs_store *xs)
{
	struct xs_ring_page *r = xs->ring;
	size_t budget = IN_BUDGET;
	int err;

	if (!r)
		return -ENOTCONN;
	if (__atomic_load_n(&r->connection, __ATOMIC_ACQUIRE) == XS_CONN_RECONNECT) {
		/* Reconnection: forget everything of the old connection. */
		conn_reset(xs);
		xs->req_cons = xs->rsp_prod = 0;
		__atomic_store_n(&r->req_cons, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->req_prod, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->rsp_cons, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->rsp_prod, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->error, XS_ERR_NONE, __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_seq_cst);
		__atomic_store_n(&r->connection, XS_CONN_CONNECTED, __ATOMIC_RELEASE);
		xs->need_notify = true;
	}
	if (xs->err)
		return xs->err;
	for (;;) {
		bool progress = false;
		size_t before = xs->out_end - xs->out_start;

		err = flush_out(xs);
		if (err)
			return err;
		if (xs->out_end - xs->out_start < before)
			progress = true;
		if (xs->out_end - xs->out_start < OUT_HIGH && budget) {
			err = read_in(xs, &budget, &progress);
			if (err)
				return err;
		}
		if (!progress)
			break;
	}
	return budget ? 0 : 1;
}

/* ---------------------------------------------------------------- public API */

static void drain(struct xs_store *xs)
{
	pthread_mutex_lock(&xs->lock);
	if (xs->draining) {
		pthread_mutex_unlock(&xs->lock);
		return;
	}
	xs->draining = true;
	while (xs->evq_head) {
		struct levent *ev = xs->evq_head;
		void (*cb)(void *, const char *) = NULL;
		void *opaque = NULL;
		unsigned int i;

		xs->evq_head = ev->next;
		if (!xs->evq_head)
			xs->evq_tail = NULL;
		for (i = 0; i < xs->nlw; i++) {
			if (xs->lw[i].id == ev->wid) {
				cb = xs->lw[i].cb;
				opaque = xs->lw[i].opaque;
			}
		}
		pthread_mutex_unlock(&xs->lock);
		if (cb)
			cb(opaque, ev->path);
		free(ev);
		pthread_mutex_lock(&xs->lock);
	}
	xs->draining = false;
	pthread_mutex_unlock(&xs->lock);
}

/* Unlock, then notify the guest and run toolstack watch callbacks. */
static void finish(struct xs_store *xs)
{
	void (*n)(void *) = NULL;
	void *o = NULL;

	flush_out(xs);
	if (xs->need_notify && xs->notify) {
		n = xs->notify;
		o = xs->nopaque;
	}
	xs->need_notify = false;
	pthread_mutex_unlock(&xs->lock);
	if (n)
		n(o);
	drain(xs);
}

static int ts_mutate(struct xs_store *xs, enum mop op, const char *in,
		     const void *val, size_t vlen, const struct perm *perms,
		     unsigned int nperms)
{
	char path[XS_PATH_MAX + 1];
	int r;

	if (!xs || !in)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = resolve(xs, in, path, false);
	if (!r)
		r = mutate(xs, NULL, 0, op, path, val, vlen, perms, nperms);
	finish(xs);
	return r;
}

int xs_write_bytes(struct xs_store *xs, const char *path, const void *value,
		   size_t vlen)
{
	if (!value && vlen)
		return -EINVAL;
	return ts_mutate(xs, M_WRITE, path, value ? value : "", vlen, NULL, 0);
}

int xs_write(struct xs_store *xs, const char *path, const char *value)
{
	if (!value)
		return -EINVAL;
	return xs_write_bytes(xs, path, value, strlen(value));
}

int xs_mkdir(struct xs_store *xs, const char *path)
{
	return ts_mutate(xs, M_MKDIR, path, NULL, 0, NULL, 0);
}

int xs_rm(struct xs_store *xs, const char *path)
{
	return ts_mutate(xs, M_RM, path, NULL, 0, NULL, 0);
}

static int parse_perm_list(const char *s, struct perm *perms, unsigned int *n)
{
	char tok[16];

	*n = 0;
	while (*s) {
		size_t l = strcspn(s, ", ");

		if (l) {
			if (l >= sizeof(tok) || *n == XS_PERMS_MAX)
				return -EINVAL;
			memcpy(tok, s, l);
			tok[l] = 0;
			if (parse_perm(tok, &perms[(*n)++]))
				return -EINVAL;
		}
		s += l;
		if (*s)
			s++;
	}
	return *n ? 0 : -EINVAL;
}

int xs_set_perms(struct xs_store *xs, const char *path, const char *perms)
{
	struct perm p[XS_PERMS_MAX];
	unsigned int n;

	if (!perms || parse_perm_list(perms, p, &n))
		return -EINVAL;
	return ts_mutate(xs, M_PERMS, path, NULL, 0, p, n);
}

/* Read-side toolstack calls: @what 0 read, 1 directory, 2 perms. */
static int ts_get(struct xs_store *xs, const char *in, char *buf, size_t len,
		  int what)
{
	char path[XS_PATH_MAX + 1];
	struct sb s = { 0 };
	const struct node *n;
	int r;

	if (!xs || !in || (!buf && len))
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = resolve(xs, in, path, false);
	if (r)
		goto out;
	n = node_find(xs, path);
	if (!n) {
		r = -ENOENT;
		goto out;
	}
	if (what == 0) {
		sb_add(&s, n->val, n->vlen);
	} else if (what == 1) {
		list_children(xs, NULL, path, &s);
	} else {
		char one[16];
		unsigned int i;

		for (i = 0; i < n->nperms; i++) {
			perm_str(&n->perms[i], one, sizeof(one));
			if (i)
				sb_add(&s, ",", 1);
			sb_add(&s, one, strlen(one));
		}
	}
	if (s.oom) {
		r = -ENOMEM;
		goto out;
	}
	if (s.n > (size_t)0x7fffffff) {
		r = -E2BIG;
		goto out;
	}
	r = (int)s.n;
	if (what == 1) {
		/* names are NUL-terminated already; copy what fits */
		if (len)
			memcpy(buf, s.b, s.n < len ? s.n : len);
	} else if (len) {
		size_t c = s.n < len - 1 ? s.n : len - 1;

		if (c)
			memcpy(buf, s.b, c);
		buf[c] = 0;
	}
out:
	free(s.b);
	finish(xs);
	return r;
}

int xs_read(struct xs_store *xs, const char *path, char *buf, size_t len)
{
	return ts_get(xs, path, buf, len, 0);
}

int xs_directory(struct xs_store *xs, const char *path, char *buf, size_t len)
{
	return ts_get(xs, path, buf, len, 1);
}

int xs_get_perms(struct xs_store *xs, const char *path, char *buf, size_t len)
{
	return ts_get(xs, path, buf, len, 2);
}

int xs_watch_local(struct xs_store *xs, const char *in,
		   void (*cb)(void *opaque, const char *path), void *opaque)
{
	char path[XS_PATH_MAX + 1];
	struct lwatch *w;
	unsigned int i;
	int r;

	if (!xs || !in || !cb)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = resolve(xs, in, path, true);
	if (r)
		goto out;
	for (i = 0; i < xs->nlw; i++) {
		if (!strcmp(xs->lw[i].path, path) && xs->lw[i].cb == cb &&
		    xs->lw[i].opaque == opaque) {
			r = -EEXIST;
			goto out;
		}
	}
	if (xs->nlw >= XS_LOCAL_WATCHES_MAX) {
		r = -ENOSPC;
		goto out;
	}
	if (xs->nlw == xs->clw) {
		unsigned int nc = xs->clw ? xs->clw * 2 : 8;
		struct lwatch *nw = realloc(xs->lw, nc * sizeof(*nw));

		if (!nw) {
			r = -ENOMEM;
			goto out;
		}
		xs->lw = nw;
		xs->clw = nc;
	}
	w = &xs->lw[xs->nlw];
	w->path = strdup(path);
	if (!w->path) {
		r = -ENOMEM;
		goto out;
	}
	w->cb = cb;
	w->opaque = opaque;
	w->id = ++xs->next_lwid;
	xs->nlw++;
	local_event(xs, w->id, path);
out:
	finish(xs);
	return r;
}

int xs_unwatch_local(struct xs_store *xs, const char *in,
		     void (*cb)(void *opaque, const char *path), void *opaque)
{
	char path[XS_PATH_MAX + 1];
	unsigned int i;
	int r;

	if (!xs || !in)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = resolve(xs, in, path, true);
	if (r)
		goto out;
	r = -ENOENT;
	for (i = 0; i < xs->nlw; i++) {
		if (!strcmp(xs->lw[i].path, path) && xs->lw[i].cb == cb &&
		    xs->lw[i].opaque == opaque) {
			free(xs->lw[i].path);
			xs->lw[i] = xs->lw[--xs->nlw];
			r = 0;
			break;
		}
	}
out:
	finish(xs);
	return r;
}

int xs_attach_ring(struct xs_store *xs, void *ring,
		   void (*notify)(void *opaque), void *opaque)
{
	struct xs_ring_page *r = ring;

	if (!xs)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	conn_reset(xs);
	xs->ring = r;
	xs->notify = r ? notify : NULL;
	xs->nopaque = opaque;
	if (r) {
		xs->req_cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE);
		xs->rsp_prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);
		__atomic_store_n(&r->server_features,
				 XS_FEAT_RECONNECTION | XS_FEAT_ERROR,
				 __ATOMIC_RELEASE);
	}
	xs->need_notify = false;
	pthread_mutex_unlock(&xs->lock);
	return 0;
}

int xs_ring_process(struct xs_store *xs)
{
	int r;

	if (!xs)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = conn_process(xs);
	finish(xs);
	return r;
}

void xs_get_stats(struct xs_store *xs, struct xs_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&xs->lock);
	st->guest_nodes = xs->guest_nodes;
	st->nodes = xs->nodes;
	st->guest_watches = xs->ngw;
	for (i = 0; i < XS_GUEST_TX_MAX; i++)
		st->guest_transactions += xs->txs[i] != NULL;
	st->requests = xs->requests;
	st->errors = xs->errors;
	st->dropped_events = xs->dropped;
	st->ring_error = xs->err;
	pthread_mutex_unlock(&xs->lock);
}

/* Initial keys, permissions as in docs/xenstore.md. */
static int setup(struct xs_store *xs, const char *name)
{
	char ro[32], own[16], id[16];
	static const char *const guest_dirs[] = {
		"control", "device", "data",
	};
	static const char *const ro_dirs[] = { "memory", "cpu", "console" };
	static const char *const ro_keys[][2] = {
		{ "control/platform-feature-multiprocessor-suspend", "1" },
		{ "control/platform-feature-xs_reset_watches", "1" },
	};
	struct perm p[2];
	unsigned int n, i;
	int r = 0;

	snprintf(ro, sizeof(ro), "n0,r%u", xs->domid);
	snprintf(own, sizeof(own), "n%u", xs->domid);
	snprintf(id, sizeof(id), "%u", xs->domid);

#define TRY(x) do { r = (x); if (r) return r; } while (0)
#define PERMS(path, s) do { \
	TRY(parse_perm_list((s), p, &n)); \
	TRY(mutate(xs, NULL, 0, M_PERMS, (path), NULL, 0, p, n)); \
} while (0)
	TRY(mutate(xs, NULL, 0, M_MKDIR, "/local/domain/0/backend", NULL, 0, NULL, 0));
	TRY(mutate(xs, NULL, 0, M_MKDIR, xs->dompath, NULL, 0, NULL, 0));
	PERMS(xs->dompath, own);
	{
		char path[XS_PATH_MAX + 1];

		for (i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++) {
			TRY(resolve(xs, guest_dirs[i], path, false));
			TRY(mutate(xs, NULL, 0, M_MKDIR, path, NULL, 0, NULL, 0));
		}
		TRY(resolve(xs, "control/shutdown", path, false));
		TRY(mutate(xs, NULL, 0, M_WRITE, path, "", 0, NULL, 0));
		for (i = 0; i < sizeof(ro_dirs) / sizeof(ro_dirs[0]); i++) {
			TRY(resolve(xs, ro_dirs[i], path, false));
			TRY(mutate(xs, NULL, 0, M_MKDIR, path, NULL, 0, NULL, 0));
			PERMS(path, ro);
		}
		for (i = 0; i < sizeof(ro_keys) / sizeof(ro_keys[0]); i++) {
			TRY(resolve(xs, ro_keys[i][0], path, false));
			TRY(mutate(xs, NULL, 0, M_WRITE, path, ro_keys[i][1],
				   strlen(ro_keys[i][1]), NULL, 0));
			PERMS(path, ro);
		}
		TRY(resolve(xs, "name", path, false));
		TRY(mutate(xs, NULL, 0, M_WRITE, path, name, strlen(name), NULL, 0));
		PERMS(path, ro);
		TRY(resolve(xs, "domid", path, false));
		TRY(mutate(xs, NULL, 0, M_WRITE, path, id, strlen(id), NULL, 0));
		PERMS(path, ro);
	}
#undef PERMS
#undef TRY
	return r;
}

struct xs_store *xs_new(unsigned int domid, const char *name)
{
	struct xs_store *xs;

	if (!domid || domid >= 0x7ff0 || !name || strlen(name) > XS_VALUE_MAX)
		return NULL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return NULL;
	pthread_mutex_init(&xs->lock, NULL);
	xs->domid = domid;
	xs->dompath_len = (size_t)snprintf(xs->dompath, sizeof(xs->dompath),
					   "/local/domain/%u", domid);
	xs->root = calloc(1, sizeof(*xs->root));
	if (!xs->root)
		goto fail;
	xs->root->name = strdup("");
	xs->root->val = memdup0("", 0);
	xs->root->perms = calloc(1, sizeof(struct perm));	/* "n0" */
	if (!xs->root->name || !xs->root->val || !xs->root->perms)
		goto fail;
	xs->root->nperms = 1;
	xs->root->gen = xs->root->pgen = ++xs->gen;
	acct(xs, xs->root, 1);
	if (setup(xs, name))
		goto fail;
	return xs;
fail:
	xs_free(xs);
	return NULL;
}

void xs_free(struct xs_store *xs)
{
	unsigned int i;

	if (!xs)
		return;
	conn_reset(xs);
	free(xs->out);
	if (xs->root)
		node_free(xs, xs->root);
	for (i = 0; i < xs->nlw; i++)
		free(xs->lw[i].path);
	free(xs->lw);
	while (xs->evq_head) {
		struct levent *ev = xs->evq_head;

		xs->evq_head = ev->next;
		free(ev);
	}
	pthread_mutex_destroy(&xs->lock);
	free(xs);
}

int xs_set_domain_info(struct xs_store *xs, unsigned long long target_kib,
		       unsigned long long maxmem_kib, unsigned int vcpus)
{
	char v[32], p[48];
	unsigned int i;
	int r;

	if (!xs || vcpus > 4096)
		return -EINVAL;
	snprintf(v, sizeof(v), "%llu", maxmem_kib);
	r = xs_write(xs, "memory/static-max", v);
	snprintf(v, sizeof(v), "%llu", target_kib);
	if (!r)
		r = xs_write(xs, "memory/target", v);
	for (i = 0; !r && i < vcpus; i++) {
		snprintf(p, sizeof(p), "cpu/%u/availability", i);
		r = xs_write(xs, p, "online");
	}
	return r;
}
