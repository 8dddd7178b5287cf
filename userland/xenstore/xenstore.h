/* SPDX-License-Identifier: MIT */
/*
 * In-process xenstore server for one Xen PVH guest (docs/xenstore.md).
 *
 * The launcher owns the guest's memory and calls this library: it creates
 * the store before boot (xs_new), attaches the guest's store ring page
 * (xs_attach_ring), calls xs_ring_process whenever the guest signals the
 * store event channel (and periodically), and uses the toolstack calls
 * (xs_write, xs_read, ...) and local watches to run backends.
 *
 * Two parties talk to a store: the toolstack (domid 0, privileged: every
 * call below except the ring) and the guest (its domid, unprivileged,
 * through the ring only).  Every call returns 0 (or a non-negative value)
 * on success and a negative errno on failure.  All calls are thread-safe;
 * watch callbacks and the ring notify callback run without the store's
 * lock held, so they may call back into the store.
 */
#ifndef DOMUS_XENSTORE_H
#define DOMUS_XENSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "xen_abi.h"

/* The ring page, message header and types: userland/include/xen_abi.h. */

/* Limits (docs/xenstore.md "Limits"). */
#define XS_VALUE_MAX		4096u	/* node value bytes */
#define XS_PATH_MAX		3072u	/* absolute path bytes, without the NUL */
#define XS_DEPTH_MAX		256u	/* path components */
#define XS_GUEST_NODES_MAX	10000u	/* nodes owned by the guest */
#define XS_GUEST_WATCHES_MAX	128u
#define XS_GUEST_TX_MAX		16u	/* open transactions */
#define XS_TX_ENTRIES_MAX	4096u	/* nodes one transaction may touch */
#define XS_TX_BYTES_MAX		(1u << 20) /* bytes one transaction may hold */
#define XS_PERMS_MAX		64u	/* permission entries per node */
#define XS_LOCAL_WATCHES_MAX	1024u
#define XS_DOM0_TX_MAX		64u	/* xs_wire_dom0's open transactions */
#define XS_OUT_MAX		(4u << 20) /* queued output; watch events beyond are dropped */

struct xs_store;

/*
 * A store for guest @domid (1..32751) named @name, holding the keys of
 * pvh-abi.md §10.3 (see docs/xenstore.md for the list and permissions).
 * @domid 0 makes the host's own store of `domus xenstored` (no guest, no
 * ring): /local/domain/0/backend, /local/domain/0/name = @name and
 * /local/domain/0/domid = 0.  NULL on bad arguments or out of memory.
 */
struct xs_store *xs_new(unsigned int domid, const char *name);
void xs_free(struct xs_store *xs);

/*
 * Memory and vCPU keys: memory/static-max = @maxmem_kib, memory/target =
 * @target_kib, cpu/<n>/availability = "online" for n < @vcpus.
 */
int xs_set_domain_info(struct xs_store *xs, unsigned long long target_kib,
		       unsigned long long maxmem_kib, unsigned int vcpus);

/*
 * Attach the guest's ring page (in the launcher's address space) and the
 * callback that raises the guest's store event channel.  The page must be
 * zero at first boot; its indices are taken over as they are (so a
 * restored page works).  Sets server_features.  Re-attaching drops the
 * guest's watches, transactions and partial messages.  @ring NULL detaches.
 */
int xs_attach_ring(struct xs_store *xs, void *ring,
		   void (*notify)(void *opaque), void *opaque);

/*
 * Consume every complete request on the ring, queue the replies and watch
 * events, and move as much output onto the ring as fits; notifies the guest
 * when indices moved.  Returns 0, 1 when it stopped after 64 KiB of
 * requests with more possibly pending (call again), -ENOTCONN without a ring, -EIO after bad
 * ring indices or -EPROTO after a malformed header (the ring's error field
 * is set and the connection stays dead until the guest asks for a
 * reconnection).  Malformed requests with a valid header get an error reply.
 */
int xs_ring_process(struct xs_store *xs);

/*
 * Toolstack side, as domid 0.  Relative paths are resolved against
 * /local/domain/<domid>.  xs_write creates missing parents (inheriting
 * their parent's permissions); @value is a NUL-terminated string
 * (xs_write_bytes takes a length).  xs_read returns the value's length and
 * copies it NUL-terminated, truncated to @len - 1 bytes.  xs_rm is
 * recursive.  xs_directory fills @buf with the child names, each
 * NUL-terminated, and returns the bytes needed (truncated if > @len).
 */
int xs_write(struct xs_store *xs, const char *path, const char *value);
int xs_write_bytes(struct xs_store *xs, const char *path, const void *value,
		   size_t vlen);
int xs_read(struct xs_store *xs, const char *path, char *buf, size_t len);
int xs_rm(struct xs_store *xs, const char *path);
int xs_mkdir(struct xs_store *xs, const char *path);
int xs_directory(struct xs_store *xs, const char *path, char *buf, size_t len);
/*
 * Permissions as in the protocol: @perms is a comma- or space-separated
 * list, the first entry owner + default for everyone else, then per-domain
 * grants: e.g. "n0,r5" (owner dom0, others none, dom5 read).  Letters:
 * n none, r read, w write, b both.  xs_get_perms writes the same form.
 */
int xs_set_perms(struct xs_store *xs, const char *path, const char *perms);
int xs_get_perms(struct xs_store *xs, const char *path, char *buf, size_t len);

/*
 * Toolstack watches: @cb(opaque, changed_path) runs once right after
 * registration (with @path) and after every change at @path or below it
 * (with the absolute path changed; with @path itself when an ancestor is
 * removed), whoever made the change.  Callbacks run on the thread whose
 * call caused the change, after that call's work is done, without the
 * store lock.  The same (path, cb, opaque) twice: -EEXIST.
 */
int xs_watch_local(struct xs_store *xs, const char *path,
		   void (*cb)(void *opaque, const char *path), void *opaque);
int xs_unwatch_local(struct xs_store *xs, const char *path,
		     void (*cb)(void *opaque, const char *path), void *opaque);

/*
 * One xenstore wire request of domain 0, from the host's xenstored
 * (`domus xenstored`, docs/xenstore.md "The xenstored socket"): @msg is
 * the header and its payload (@len bytes in all); the reply, header and
 * payload, goes into @out.  Returns the reply's length, -EINVAL for a
 * malformed message (a short header, a payload over XS_PAYLOAD_MAX or
 * not matching @len), -E2BIG if the reply does not fit @cap (at most
 * 16 + XS_PAYLOAD_MAX bytes are needed), -ENOMEM.  Every operation of the
 * guest's wire table is served, with domain 0's permissions and its own
 * XS_DOM0_TX_MAX transactions (beyond, the oldest open one is dropped);
 * WATCH, UNWATCH and RESET_WATCHES get EINVAL (the xenstored keeps its
 * clients' watches itself, with xs_watch_local).  The guest's watches
 * fire as for any toolstack change.
 */
int xs_wire_dom0(struct xs_store *xs, const void *msg, size_t len, void *out, size_t cap);
/*
 * The next NUL-terminated string of a wire payload @pl of @len bytes,
 * starting at *@off (advanced past it), or NULL when none is left.
 */
const char *xs_wire_arg(const char *pl, size_t len, size_t *off);

/*
 * Is @path a node path the toolstack calls accept: absolute, or relative
 * (to /local/domain/<domid>), of the allowed characters, without "//" or a
 * trailing "/", at most XS_PATH_MAX bytes and XS_DEPTH_MAX components?
 * 0, -EINVAL or -E2BIG.  Needs no store: the domus CLI checks its
 * arguments with it.  A relative path may still be too long once resolved.
 */
int xs_path_check(const char *path);

/* Counters for logs and tests. */
struct xs_stats {
	unsigned int guest_nodes;	/* nodes owned by the guest */
	unsigned int nodes;		/* all nodes */
	unsigned int guest_watches;
	unsigned int guest_transactions;
	unsigned long long requests;	/* guest requests handled */
	unsigned long long errors;	/* error replies sent */
	unsigned long long dropped_events; /* watch events over XS_OUT_MAX */
	unsigned long long max_request_work; /* the most work units one guest
					      * request took (docs/xenstore.md) */
	int ring_error;			/* sticky xs_ring_process error, 0 if none */
};
void xs_get_stats(struct xs_store *xs, struct xs_stats *st);

#endif
