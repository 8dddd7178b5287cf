// SPDX-License-Identifier: MIT
/* xenstore server: the toolstack API (api.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

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

	xsi_flush_out(xs);
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
	r = xsi_resolve(xs, in, path, false);
	if (!r)
		r = xsi_mutate(xs, NULL, 0, op, path, val, vlen, perms, nperms);
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
			if (xsi_parse_perm(tok, &perms[(*n)++]))
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
	r = xsi_resolve(xs, in, path, false);
	if (r)
		goto out;
	n = xsi_node_find(xs, path);
	if (!n) {
		r = -ENOENT;
		goto out;
	}
	if (what == 0) {
		xsi_sb_add(&s, n->val, n->vlen);
	} else if (what == 1) {
		xsi_list_children(xs, NULL, path, &s);
	} else {
		char one[16];
		unsigned int i;

		for (i = 0; i < n->nperms; i++) {
			xsi_perm_str(&n->perms[i], one, sizeof(one));
			if (i)
				xsi_sb_add(&s, ",", 1);
			xsi_sb_add(&s, one, strlen(one));
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
		if (len && s.n)
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
	r = xsi_resolve(xs, in, path, true);
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
	xsi_local_event(xs, w->id, path);
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
	r = xsi_resolve(xs, in, path, true);
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
	xsi_conn_reset(xs);
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

int xs_wire_dom0(struct xs_store *xs, const void *msg, size_t len, void *out, size_t cap)
{
	struct xs_msg_hdr h;
	struct sb s = { 0 };
	char *pl;
	int r;

	if (!xs || !msg || len < HDR_LEN)
		return -EINVAL;
	memcpy(&h, msg, HDR_LEN);
	if (h.len > XS_PAYLOAD_MAX || len != HDR_LEN + h.len)
		return -EINVAL;
	pl = xsi_memdup0((const char *)msg + HDR_LEN, h.len);	/* NUL after the payload */
	if (!pl)
		return -ENOMEM;
	pthread_mutex_lock(&xs->lock);
	xsi_handle_dom0(xs, &h, pl, &s);
	finish(xs);
	free(pl);
	if (s.oom || s.n < HDR_LEN)
		r = -ENOMEM;
	else if (s.n > cap)
		r = -E2BIG;
	else {
		memcpy(out, s.b, s.n);
		r = (int)s.n;
	}
	free(s.b);
	return r;
}

int xs_ring_process(struct xs_store *xs)
{
	int r;

	if (!xs)
		return -EINVAL;
	pthread_mutex_lock(&xs->lock);
	r = xsi_conn_process(xs);
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
	st->max_request_work = xs->work_max;
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
	TRY(xsi_mutate(xs, NULL, 0, M_PERMS, (path), NULL, 0, p, n)); \
} while (0)
	TRY(xsi_mutate(xs, NULL, 0, M_MKDIR, "/local/domain/0/backend", NULL, 0, NULL, 0));
	if (!xs->domid) {	/* the host's own store: no guest keys */
		TRY(xsi_mutate(xs, NULL, 0, M_WRITE, "/local/domain/0/name", name, strlen(name), NULL, 0));
		TRY(xsi_mutate(xs, NULL, 0, M_WRITE, "/local/domain/0/domid", "0", 1, NULL, 0));
		return 0;
	}
	TRY(xsi_mutate(xs, NULL, 0, M_MKDIR, xs->dompath, NULL, 0, NULL, 0));
	PERMS(xs->dompath, own);
	{
		char path[XS_PATH_MAX + 1];

		for (i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++) {
			TRY(xsi_resolve(xs, guest_dirs[i], path, false));
			TRY(xsi_mutate(xs, NULL, 0, M_MKDIR, path, NULL, 0, NULL, 0));
		}
		TRY(xsi_resolve(xs, "control/shutdown", path, false));
		TRY(xsi_mutate(xs, NULL, 0, M_WRITE, path, "", 0, NULL, 0));
		for (i = 0; i < sizeof(ro_dirs) / sizeof(ro_dirs[0]); i++) {
			TRY(xsi_resolve(xs, ro_dirs[i], path, false));
			TRY(xsi_mutate(xs, NULL, 0, M_MKDIR, path, NULL, 0, NULL, 0));
			PERMS(path, ro);
		}
		for (i = 0; i < sizeof(ro_keys) / sizeof(ro_keys[0]); i++) {
			TRY(xsi_resolve(xs, ro_keys[i][0], path, false));
			TRY(xsi_mutate(xs, NULL, 0, M_WRITE, path, ro_keys[i][1],
				   strlen(ro_keys[i][1]), NULL, 0));
			PERMS(path, ro);
		}
		TRY(xsi_resolve(xs, "name", path, false));
		TRY(xsi_mutate(xs, NULL, 0, M_WRITE, path, name, strlen(name), NULL, 0));
		PERMS(path, ro);
		TRY(xsi_resolve(xs, "domid", path, false));
		TRY(xsi_mutate(xs, NULL, 0, M_WRITE, path, id, strlen(id), NULL, 0));
		PERMS(path, ro);
	}
#undef PERMS
#undef TRY
	return r;
}

struct xs_store *xs_new(unsigned int domid, const char *name)
{
	struct xs_store *xs;

	if (domid >= 0x7ff0 || !name || strlen(name) > XS_VALUE_MAX)
		return NULL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return NULL;
	pthread_mutex_init(&xs->lock, NULL);
	xsi_index_init(xs);
	xs->domid = domid;
	xs->caller = domid;
	xs->dompath_len = (size_t)snprintf(xs->dompath, sizeof(xs->dompath),
					   "/local/domain/%u", domid);
	xs->root = calloc(1, sizeof(*xs->root));
	if (!xs->root)
		goto fail;
	xs->root->name = strdup("");
	xs->root->val = xsi_memdup0("", 0);
	xs->root->perms = calloc(1, sizeof(struct perm));	/* "n0" */
	if (!xs->root->name || !xs->root->val || !xs->root->perms)
		goto fail;
	xs->root->nperms = 1;
	xs->root->gen = xs->root->pgen = ++xs->gen;
	xsi_acct(xs, xs->root, 1);
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
	xsi_conn_reset(xs);
	for (i = 0; i < XS_DOM0_TX_MAX; i++) {
		xsi_tx_free(xs->dtxs[i]);
		free(xs->dtxs[i]);
	}
	free(xs->out);
	if (xs->root)
		xsi_node_free(xs, xs->root);
	free(xs->idx);
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

