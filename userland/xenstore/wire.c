// SPDX-License-Identifier: MIT
/* xenstore server: guest requests: the table of wire operations (wire.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

/* A reply goes to the guest's output queue, or for a domain-0 request
 * (xs_wire_dom0) into its buffer. */
static void push(struct xs_store *xs, uint32_t type, const struct xs_msg_hdr *h,
		 const void *pl, size_t len)
{
	struct xs_msg_hdr r = { .type = type, .req_id = h->req_id, .tx_id = h->tx_id,
				.len = (uint32_t)len };

	if (!xs->dsink) {
		xsi_out_push(xs, type, h->req_id, h->tx_id, pl, len, false);
		return;
	}
	xs->dsink->n = 0;
	xsi_sb_add(xs->dsink, &r, sizeof(r));
	xsi_sb_add(xs->dsink, pl, len);
}

static void reply(struct xs_store *xs, const struct xs_msg_hdr *h,
		  const void *pl, size_t len)
{
	push(xs, h->type, h, pl, len);
}

static void reply_err(struct xs_store *xs, const struct xs_msg_hdr *h, int err)
{
	const char *s = xsi_err_name(err < 0 ? -err : err);

	xs->errors++;
	push(xs, XS_ERROR, h, s, strlen(s) + 1);
}

static void reply_ok(struct xs_store *xs, const struct xs_msg_hdr *h)
{
	reply(xs, h, "OK", 3);
}

/* Next NUL-terminated string of a wire payload @pl of @len bytes from *@off, or NULL (xenstore.h). */
const char *xs_wire_arg(const char *pl, size_t len, size_t *off)
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

/* The open transactions of the caller: the guest's, or domain 0's. */
static struct tx **tx_table(struct xs_store *xs, unsigned int *n)
{
	*n = xs->dsink ? XS_DOM0_TX_MAX : XS_GUEST_TX_MAX;
	return xs->dsink ? xs->dtxs : xs->txs;
}

static struct tx *guest_tx(struct xs_store *xs, uint32_t id)
{
	unsigned int i, n;
	struct tx **t = tx_table(xs, &n);

	for (i = 0; i < n; i++)
		if (t[i] && t[i]->id == id)
			return t[i];
	return NULL;
}

static void guest_tx_end(struct xs_store *xs, struct tx *tx)
{
	unsigned int i, n;
	struct tx **t = tx_table(xs, &n);

	for (i = 0; i < n; i++) {
		if (t[i] == tx) {
			xsi_tx_free(tx);
			free(tx);
			t[i] = NULL;
		}
	}
}


static void g_watch(struct xs_store *xs, const struct xs_msg_hdr *h,
		    const char *pl, bool add)
{
	char abs[XS_PATH_MAX + 1];
	size_t off = 0;
	const char *p = xs_wire_arg(pl, h->len, &off), *tok = xs_wire_arg(pl, h->len, &off);
	struct gwatch *w;
	unsigned int i;
	int r;

	if (!p || !tok)
		return reply_err(xs, h, EINVAL);
	r = xsi_resolve(xs, p, abs, true);
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
	w->alen = strlen(abs);
	w->tlen = strlen(tok);
	if (!w->orig || !w->abs || !w->token) {
		free(w->orig);
		free(w->abs);
		free(w->token);
		return reply_err(xs, h, ENOMEM);
	}
	xs->ngw++;
	reply_ok(xs, h);
	xsi_guest_event(xs, p, strlen(p), tok, w->tlen);	/* a new watch fires once */
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

	r = xsi_eff_get(xs, tx, path, &vn, tx ? REC_STRONG : REC_NONE);
	if (r)
		return reply_err(xs, h, r);
	if (!vn.exists)
		return reply_err(xs, h, ENOENT);
	if (!xsi_can(&vn, xs->caller, P_READ))
		return reply_err(xs, h, EACCES);
	if (h->type == XS_DIRECTORY_PART) {
		const char *o = xs_wire_arg(pl, h->len, &off);
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
	xsi_list_children(xs, tx, path, &s);
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

		xsi_sb_str0(&o, gen);
		room = XS_PAYLOAD_MAX - o.n - 1;
		while (end < s.n) {
			size_t l = strnlen(s.b + end, s.n - end) + 1;

			if (end + l - start > room)
				break;
			end += l;
		}
		xsi_sb_add(&o, s.b + start, end - start);
		if (end == s.n)
			xsi_sb_add(&o, "", 1);
		if (o.oom)
			reply_err(xs, h, ENOMEM);
		else
			reply(xs, h, o.b, o.n);
		free(o.b);
	}
	free(s.b);
}

/*
 * One guest request while it is handled: the header, the payload, the
 * transaction (OP_TX) and the resolved first argument (OP_PATH), and the
 * offset of the next argument.
 */
struct req {
	const struct xs_msg_hdr *h;
	const char *pl;
	struct tx *tx;
	char path[XS_PATH_MAX + 1];
	size_t off;
};

/* Reply OK, or the error of a mutation. */
static void reply_result(struct xs_store *xs, const struct xs_msg_hdr *h, int r)
{
	if (r)
		reply_err(xs, h, r);
	else
		reply_ok(xs, h);
}

static void w_read(struct xs_store *xs, struct req *q)
{
	const struct xs_msg_hdr *h = q->h;
	struct sb s = { 0 };
	struct vnode vn;
	char one[16];
	unsigned int i;
	int r;

	r = xsi_eff_get(xs, q->tx, q->path, &vn, q->tx ? REC_STRONG : REC_NONE);
	if (r)
		return reply_err(xs, h, r);
	if (!vn.exists)
		return reply_err(xs, h, ENOENT);
	if (!xsi_can(&vn, xs->caller, P_READ))
		return reply_err(xs, h, EACCES);
	if (h->type == XS_READ)
		return reply(xs, h, vn.val, vn.vlen);
	for (i = 0; i < vn.nperms; i++) {	/* GET_PERMS */
		xsi_perm_str(&vn.perms[i], one, sizeof(one));
		xsi_sb_str0(&s, one);
	}
	if (s.oom)
		reply_err(xs, h, ENOMEM);
	else
		reply(xs, h, s.b, s.n);
	free(s.b);
}

static void w_write(struct xs_store *xs, struct req *q)
{
	reply_result(xs, q->h, xsi_mutate(xs, q->tx, xs->caller, M_WRITE, q->path, q->pl + q->off,
					  q->h->len - q->off, NULL, 0));
}

static void w_mkdir(struct xs_store *xs, struct req *q)
{
	reply_result(xs, q->h, xsi_mutate(xs, q->tx, xs->caller, M_MKDIR, q->path, NULL, 0, NULL, 0));
}

static void w_rm(struct xs_store *xs, struct req *q)
{
	reply_result(xs, q->h, xsi_mutate(xs, q->tx, xs->caller, M_RM, q->path, NULL, 0, NULL, 0));
}

static void w_set_perms(struct xs_store *xs, struct req *q)
{
	struct perm perms[XS_PERMS_MAX];
	unsigned int n = 0;
	const char *a;

	while (q->off < q->h->len) {
		a = xs_wire_arg(q->pl, q->h->len, &q->off);
		if (!a)
			return reply_err(xs, q->h, EINVAL);
		if (n == XS_PERMS_MAX)
			return reply_err(xs, q->h, E2BIG);
		if (xsi_parse_perm(a, &perms[n++]))
			return reply_err(xs, q->h, EINVAL);
	}
	reply_result(xs, q->h, xsi_mutate(xs, q->tx, xs->caller, M_PERMS, q->path, NULL, 0, perms, n));
}

static void w_watch(struct xs_store *xs, struct req *q)
{
	g_watch(xs, q->h, q->pl, q->h->type == XS_WATCH);
}

static void w_directory(struct xs_store *xs, struct req *q)
{
	g_directory(xs, q->h, q->tx, q->path, q->pl, q->off);
}

static void w_tx_start(struct xs_store *xs, struct req *q)
{
	const struct xs_msg_hdr *h = q->h;
	unsigned int i, n;
	struct tx **t = tx_table(xs, &n);
	unsigned int slot = n;
	struct tx *tx;
	char id[16];

	if (h->len > 1 || (h->len == 1 && q->pl[0]))
		return reply_err(xs, h, EINVAL);
	for (i = 0; i < n; i++)
		if (!t[i])
			slot = i;
	if (slot == n && xs->dsink) {
		/* domain 0's table is full: a transaction its client left
		 * behind (a xenstored that died) gives way, the oldest first */
		for (slot = 0, i = 1; i < n; i++)
			if (t[i]->seq < t[slot]->seq)
				slot = i;
		xsi_tx_free(t[slot]);
		free(t[slot]);
		t[slot] = NULL;
	}
	if (slot == n)
		return reply_err(xs, h, ENOSPC);
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return reply_err(xs, h, ENOMEM);
	do {
		tx->id = ++xs->next_txid;
	} while (!tx->id || guest_tx(xs, tx->id));
	tx->who = xs->caller;
	tx->seq = ++xs->tx_seq;
	t[slot] = tx;
	snprintf(id, sizeof(id), "%u", tx->id);
	reply(xs, h, id, strlen(id) + 1);
}

static void w_tx_end(struct xs_store *xs, struct req *q)
{
	const char *a;
	int r;

	if (!q->tx)
		return reply_err(xs, q->h, ENOENT);
	a = xs_wire_arg(q->pl, q->h->len, &q->off);
	if (!a || (strcmp(a, "T") && strcmp(a, "F")))
		return reply_err(xs, q->h, EINVAL);
	r = a[0] == 'T' ? xsi_tx_commit(xs, q->tx) : 0;
	guest_tx_end(xs, q->tx);
	reply_result(xs, q->h, r);
}

static void w_get_domain_path(struct xs_store *xs, struct req *q)
{
	const char *a = xs_wire_arg(q->pl, q->h->len, &q->off);
	unsigned int d;
	char dp[40];

	if (!a || xsi_parse_domid(a, &d))
		return reply_err(xs, q->h, EINVAL);
	snprintf(dp, sizeof(dp), "/local/domain/%u", d);
	reply(xs, q->h, dp, strlen(dp) + 1);
}

static void w_reset_watches(struct xs_store *xs, struct req *q)
{
	unsigned int i;

	for (i = 0; i < xs->ngw; i++) {
		free(xs->gw[i].orig);
		free(xs->gw[i].abs);
		free(xs->gw[i].token);
	}
	xs->ngw = 0;
	for (i = 0; i < XS_GUEST_TX_MAX; i++) {
		xsi_tx_free(xs->txs[i]);
		free(xs->txs[i]);
		xs->txs[i] = NULL;
	}
	reply_ok(xs, q->h);
}

/*
 * The wire operations (docs/xenstore.md "Protocol subset"), by message
 * type.  Flags:
 *   OP_TX         tx_id names a guest transaction (0: none); an unknown
 *                 one gets ENOENT before anything else
 *   OP_PATH       the first argument is a path, resolved into q->path
 *                 (missing: EINVAL; bad: EINVAL or E2BIG)
 *   OP_TOOLSTACK  toolstack only: the guest gets EACCES
 *   OP_NOSYS      not offered over the wire (features, quotas): ENOSYS
 * A type without an entry (15 WATCH_EVENT, 16 ERROR, 20, out of range)
 * gets EINVAL.
 */
#define OP_TX		(1u << 0)
#define OP_PATH		(1u << 1)
#define OP_TOOLSTACK	(1u << 2)
#define OP_NOSYS	(1u << 3)
#define OP_GUEST	(1u << 4)	/* the guest's connection only (watches):
					 * domain 0 gets EINVAL (its xenstored
					 * keeps its own watches) */

struct wire_op {
	void (*fn)(struct xs_store *xs, struct req *q);
	unsigned int flags;
};

static const struct wire_op wire_ops[XS_TYPE_COUNT] = {
	[XS_CONTROL]		= { NULL, OP_TOOLSTACK },
	[XS_DIRECTORY]		= { w_directory, OP_TX | OP_PATH },
	[XS_READ]		= { w_read, OP_TX | OP_PATH },
	[XS_GET_PERMS]		= { w_read, OP_TX | OP_PATH },
	[XS_WATCH]		= { w_watch, OP_GUEST },
	[XS_UNWATCH]		= { w_watch, OP_GUEST },
	[XS_TRANSACTION_START]	= { w_tx_start, 0 },
	[XS_TRANSACTION_END]	= { w_tx_end, OP_TX },
	[XS_INTRODUCE]		= { NULL, OP_TOOLSTACK },
	[XS_RELEASE]		= { NULL, OP_TOOLSTACK },
	[XS_GET_DOMAIN_PATH]	= { w_get_domain_path, 0 },
	[XS_WRITE]		= { w_write, OP_TX | OP_PATH },
	[XS_MKDIR]		= { w_mkdir, OP_TX | OP_PATH },
	[XS_RM]			= { w_rm, OP_TX | OP_PATH },
	[XS_SET_PERMS]		= { w_set_perms, OP_TX | OP_PATH },
	[XS_IS_DOMAIN_INTRODUCED] = { NULL, OP_TOOLSTACK },
	[XS_RESUME]		= { NULL, OP_TOOLSTACK },
	[XS_SET_TARGET]		= { NULL, OP_TOOLSTACK },
	[XS_RESET_WATCHES]	= { w_reset_watches, OP_GUEST },
	[XS_DIRECTORY_PART]	= { w_directory, OP_TX | OP_PATH },
	[23]			= { NULL, OP_NOSYS },
	[24]			= { NULL, OP_NOSYS },
	[25]			= { NULL, OP_NOSYS },
	[26]			= { NULL, OP_NOSYS },
};

static void handle(struct xs_store *xs, const struct wire_op *op, struct req *q)
{
	const struct xs_msg_hdr *h = q->h;
	const char *pl = q->pl, *a;
	int r;

	xs->requests++;
	if (!op || (!op->flags && !op->fn))
		return reply_err(xs, h, EINVAL);
	if (op->flags & OP_TOOLSTACK)
		return reply_err(xs, h, EACCES);
	if (op->flags & OP_NOSYS)
		return reply_err(xs, h, ENOSYS);
	if ((op->flags & OP_GUEST) && xs->dsink)
		return reply_err(xs, h, EINVAL);
	if ((op->flags & OP_TX) && h->tx_id && !(q->tx = guest_tx(xs, h->tx_id)))
		return reply_err(xs, h, ENOENT);
	if (op->flags & OP_PATH) {
		a = xs_wire_arg(pl, h->len, &q->off);
		if (!a)
			return reply_err(xs, h, EINVAL);
		r = xsi_resolve(xs, a, q->path, false);
		if (r)
			return reply_err(xs, h, r);
	}
	op->fn(xs, q);
}

/* One guest request; its work is measured (xs_stats.max_request_work). */
void xsi_handle(struct xs_store *xs, const struct xs_msg_hdr *h,
		const char *pl)
{
	const struct wire_op *op = h->type < XS_TYPE_COUNT ? &wire_ops[h->type] : NULL;
	struct req q = { .h = h, .pl = pl };

	xs->work = 0;
	xs->caller = xs->domid;
	handle(xs, op, &q);
	if (xs->work > xs->work_max)
		xs->work_max = xs->work;
}

/* One request of domain 0 (xs_wire_dom0): the reply into @out. */
void xsi_handle_dom0(struct xs_store *xs, const struct xs_msg_hdr *h,
		     const char *pl, struct sb *out)
{
	const struct wire_op *op = h->type < XS_TYPE_COUNT ? &wire_ops[h->type] : NULL;
	struct req q = { .h = h, .pl = pl };

	xs->caller = 0;
	xs->dsink = out;
	handle(xs, op, &q);
	xs->dsink = NULL;
	xs->caller = xs->domid;
}
