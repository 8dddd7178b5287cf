/* SPDX-License-Identifier: MIT */
/*
 * Internals of the xenstore server (the .c files of userland/xenstore), shared by its
 * files only; the public API is xenstore.h.
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
 * watches as it goes.  Design notes: docs/xenstore.md.
 */
#ifndef DOMUS_XS_INT_H
#define DOMUS_XS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenstore.h"

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
	uint64_t mark;			/* counted by the commit with this mark */
	struct node *hnext;		/* the child index's chain */
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
	uint64_t seq;			/* start order (domain 0's eviction) */
	struct txe **e;
	unsigned int n, cap;
	size_t bytes;
	unsigned int new_nodes;
};

struct gwatch {
	char *orig;			/* path as the guest sent it */
	char *abs;			/* resolved (or "@..." as is) */
	char *token;
	size_t alen, tlen;		/* strlen(abs), strlen(token) */
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
	uint64_t marks;			/* the last commit quota check's mark */
	unsigned int nodes, guest_nodes;
	/* every node but the root by (parent, name); NULL: scan kids[] */
	struct node **idx;
	size_t idx_cap;			/* a power of two */
	uint64_t seed;			/* random: chains cannot be aimed at */
	/* work units (names compared, entries and watches scanned) of the
	 * request being handled, and the most any request took */
	unsigned long long work, work_max;

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
	uint64_t tx_seq;

	/* domain 0's wire requests (xs_wire_dom0): the caller of the request
	 * being handled (the guest's domid, or 0), where its reply goes
	 * (NULL: the guest's ring), and its open transactions */
	unsigned int caller;
	struct sb *dsink;
	struct tx *dtxs[XS_DOM0_TX_MAX];

	/* toolstack watches */
	struct lwatch *lw;
	unsigned int nlw, clw;
	uint64_t next_lwid;
	struct levent *evq_head, *evq_tail;
	bool draining;

	unsigned long long requests, errors, dropped;
};

struct sb {
	char *b;
	size_t n, cap;
	bool oom;
};

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

/* Mutations (xsi_mutate). */
enum mop { M_WRITE, M_MKDIR, M_RM, M_PERMS };

/* byte buffers, error names, paths, permissions (util.c) */
void xsi_sb_add(struct sb *s, const void *data, size_t len);
void xsi_sb_str0(struct sb *s, const char *str);
char *xsi_memdup0(const void *p, size_t len);
bool xsi_is_under(const char *child, const char *parent);
const char *xsi_err_name(int err);
int xsi_parse_domid(const char *s, unsigned int *out);
int xsi_resolve(const struct xs_store *xs, const char *in, char *out,
		   bool special);
void xsi_path_parent(char *p);
unsigned int xsi_perm_of(const struct perm *ps, unsigned int n,
			    unsigned int dom);
int xsi_parse_perm(const char *s, struct perm *out);
void xsi_perm_str(const struct perm *p, char *buf, size_t len);
struct perm *xsi_perms_dup(const struct perm *p, unsigned int n);

/* the live tree (tree.c) */
struct node *xsi_node_find(struct xs_store *xs, const char *path);
bool xsi_txe_conflict(struct xs_store *xs, const struct txe *e);
void xsi_acct(struct xs_store *xs, const struct node *n, int sign);
void xsi_node_free(struct xs_store *xs, struct node *n);
void xsi_index_init(struct xs_store *xs);
struct node *xsi_node_deepest(struct xs_store *xs, const char *path);
void xsi_node_unlink(struct xs_store *xs, struct node *n);
struct node *xsi_node_add(struct xs_store *xs, struct node *par,
			     const char *name, struct perm *perms,
			     unsigned int nperms);

/* transactions and the operations inside them (txn.c) */
void xsi_tx_free(struct tx *tx);
int xsi_eff_get(struct xs_store *xs, struct tx *tx, const char *path,
		   struct vnode *vn, int record);
bool xsi_can(const struct vnode *vn, unsigned int who, unsigned int p);
int xsi_op_write(struct xs_store *xs, struct tx *tx, const char *path,
		    const void *val, size_t vlen, bool mkdir);
int xsi_op_rm(struct xs_store *xs, struct tx *tx, const char *path);
int xsi_op_setperms(struct xs_store *xs, struct tx *tx, const char *path,
		       const struct perm *perms, unsigned int n);
void xsi_list_children(struct xs_store *xs, struct tx *tx,
			  const char *path, struct sb *out);
int xsi_mutate(struct xs_store *xs, struct tx *tx, unsigned int who,
		  enum mop op, const char *path, const void *val, size_t vlen,
		  const struct perm *perms, unsigned int nperms);

/* output queue, watch events, commit (watch.c) */
void xsi_out_push(struct xs_store *xs, uint32_t type, uint32_t req_id,
		     uint32_t tx_id, const void *pl, size_t len, bool event);
void xsi_guest_event(struct xs_store *xs, const char *path, size_t plen,
		     const char *token, size_t tlen);
void xsi_local_event(struct xs_store *xs, uint64_t wid, const char *path);
int xsi_tx_commit(struct xs_store *xs, struct tx *tx);

/* the guest's ring (ring.c) */
int xsi_flush_out(struct xs_store *xs);
void xsi_conn_reset(struct xs_store *xs);
int xsi_conn_process(struct xs_store *xs);

/* guest requests: the table of wire operations (wire.c) */
void xsi_handle(struct xs_store *xs, const struct xs_msg_hdr *h,
		   const char *pl);
void xsi_handle_dom0(struct xs_store *xs, const struct xs_msg_hdr *h,
		     const char *pl, struct sb *out);

#endif /* DOMUS_XS_INT_H */
