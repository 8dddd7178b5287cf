/* SPDX-License-Identifier: MIT */
/*
 * What the PV back ends share (docs/devices.md): the guest as a back end
 * reaches it (RAM and the grant table, one mapping per launcher), the
 * grant access with per-use validation, and one device's xenbus side --
 * its xenstore directories, the state machine driven by a watch on the
 * front end's state, and the event channel with its I/O thread.  Each
 * back end (blkback.c, netback.c) keeps only its protocol.
 *
 *   grant.c    be_grant_get/put (pure: fuzzed with the block ring)
 *   xenbus.c   struct be_dev (xenstore, state machine) and struct be_io
 *              (event channel, eventfds, I/O thread)
 *
 * Threads: the watch callback runs on whichever thread changed the front
 * end's state (the event loop, serving the guest's xenstore ring) and
 * takes the device's lock; it starts and joins the I/O threads, which
 * never take it.
 */
#ifndef DOMUS_BACKEND_H
#define DOMUS_BACKEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xen_abi.h"

/* The guest as the back end reaches it. */
struct be_mem {
	uint8_t *ram;			/* guest RAM, GPA 0 .. ram_size */
	uint64_t ram_size;
	struct xen_grant_entry *gnt;	/* the grant table (mapped shared frames) */
	uint32_t gnt_entries;		/* v1 entries they hold (v2: half as many) */
	uint16_t *gnt_status;		/* v2 status words, gnt_entries / 2 (NULL: v1 only) */
	const uint32_t *gnt_version;	/* the module's control word (NULL: always v1) */
	uint16_t domid;			/* the back end's domain: 0 */
};

/*
 * Pin grant @ref for an access (@to_guest: the back end writes into the
 * page, so GTF_readonly must be clear); returns the guest frame, or -1 if
 * the entry does not grant the whole page to us (sub-page and transitive
 * v2 grants are refused), the frame is not guest RAM or the table is
 * switching versions.  Sets GTF_reading (and GTF_writing) as Xen does:
 * v1 in the entry with a compare-and-swap, v2 in the status word;
 * be_grant_put() clears them.
 */
int64_t be_grant_get(const struct be_mem *m, uint32_t ref, bool to_guest);
void be_grant_put(const struct be_mem *m, uint32_t ref);

struct xs_store;

/* One domain build as the launcher gives it to its back ends. */
struct be_host {
	int domfd;
	unsigned int domid;
	struct be_mem mem;
	struct xs_store *xs;
	void (*log)(void *opaque, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *opaque;
};

/* ---- one device's xenbus side (xenbus.c) --------------------------------- */

struct be_dev;

struct be_ops {
	const char *kind;		/* log prefix: "blk", "vif" */
	const char *type;		/* xenstore device type: "vbd", "vif" */
	bool connect_at_initialised;	/* connect at front-end state 3 (else 4 only) */
	/* the device's own keys: the back end's (@frontend false, before
	 * state 2) and the front end's (before its state 1); 0 or nonzero */
	int (*keys)(struct be_dev *x, bool frontend);
	/* map the front end's rings and start serving; 0, or -1 with @why */
	int (*connect)(struct be_dev *x, char *why, size_t wlen);
	/* stop serving and release (also after a failed connect) */
	void (*disconnect)(struct be_dev *x);
	/* after a connect: the log's parenthesis, "(1 ring page)" */
	void (*describe)(struct be_dev *x, char *buf, size_t len);
};

struct be_dev {
	const struct be_ops *ops;
	const char *name;		/* for the log: "xvda", "vif1.0" */
	uint32_t devid;
	struct be_host h;		/* per domain build */
	pthread_mutex_t lock;
	bool started, connected, watching;
	bool removing;			/* unplug asked: no new InitWait */
	atomic_int be_state;		/* also written by the I/O threads */
	atomic_bool broken;
	char fe[96], be[96];
};

void be_dev_init(struct be_dev *x, const struct be_ops *ops, const char *name, uint32_t devid);
void be_dev_destroy(struct be_dev *x);
/* Publish the device in the guest's xenstore (common keys, then
 * ops->keys) and watch the front end's state.  0 or nonzero. */
int be_dev_start(struct be_dev *x, const struct be_host *h);
/* Unwatch and disconnect. */
void be_dev_stop(struct be_dev *x);
/*
 * Host-initiated unplug (pv-devices.md §8.3, as libxl does it): online=0
 * and state 5 (Closing); the front end answers 6 and the watch moves the
 * back end to 6 (Closed), be_dev_state() tells.  A front end restarting
 * at 1 is not offered the device again.  Then be_dev_remove(): unwatch,
 * disconnect, remove the front end's and the back end's directories.
 */
void be_dev_close_request(struct be_dev *x);
int be_dev_state(struct be_dev *x);
/* The front end's state (-1: absent, garbage or not started). */
long long be_dev_fe_state(struct be_dev *x);
void be_dev_remove(struct be_dev *x);

/* xenstore: @key under @dir (x->be or x->fe) */
int be_write(struct be_dev *x, const char *dir, const char *key, const char *val);
int be_writen(struct be_dev *x, const char *dir, const char *key, unsigned long long n);
/* A number the guest wrote under its front-end directory: -1 if absent
 * or not a plain number up to @max. */
long long be_fe_number(struct be_dev *x, const char *key, unsigned long long max);
/* Was @key written under the front end's directory at all? */
bool be_fe_present(struct be_dev *x, const char *key);
void be_set_state(struct be_dev *x, int state);
/* From an I/O thread: the ring is corrupt; one log line, the device
 * goes to Closing and stays disconnected until the front end restarts. */
void be_dev_broken(struct be_dev *x, const char *why);
/* One log line: @fmt takes three strings, the device name, @a and @b. */
void be_log(struct be_dev *x, const char *fmt, const char *a, const char *b);

/* ---- an event channel and its I/O thread (xenbus.c) ----------------------- */

struct be_io {
	int notify_fd, kick_fd, stop_fd;	/* eventfds */
	uint32_t be_port;			/* 0: not attached */
	pthread_t th;
	bool th_running;
};

void be_io_init(struct be_io *io);
/* Attach to the guest's @port (the front end allocated it), then start
 * @fn(@arg).  0, or -1 with @why; be_io_close() releases either way. */
int be_io_open(struct be_io *io, const struct be_host *h, uint32_t port, void *(*fn)(void *), void *arg,
	       char *why, size_t wlen);
/* Ask the thread to stop and join it. */
void be_io_stop(struct be_io *io);
/* Close the event channel and the eventfds (after be_io_stop). */
void be_io_close(struct be_io *io, const struct be_host *h);
/* Raise the guest's port. */
void be_io_kick(struct be_io *io);
/* Consume pending notifications: how many the guest sent (0: none). */
uint64_t be_io_drain(struct be_io *io);

#endif
