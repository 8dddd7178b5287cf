/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the in-process xenstore server (userland/xenstore): a
 * simulated guest client drives the server through a ring page in ordinary
 * memory, the way the Linux xenbus driver does, and the toolstack calls are
 * used alongside.
 */
#ifndef DOMUS_TEST_XST_H
#define DOMUS_TEST_XST_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xenstore.h"
#include "unit.h"


#define DOMID 5
#define EVQ 256

struct reply {
	uint32_t type, req_id, tx_id, len;
	char d[XS_PAYLOAD_MAX + 1];
};

struct client {
	struct xs_ring_page *r;
	struct xs_store *xs;
	uint32_t next_id;
	unsigned char rx[16 + XS_PAYLOAD_MAX + 1];
	size_t rx_have;
	struct reply last;		/* last reply (not event) received */
	bool have_reply;
	char ev[EVQ][160];		/* "path|token" of watch events, oldest first */
	unsigned int ev_head, ev_n;
	unsigned long events, notifies, oversize;
	bool threaded;			/* another thread runs xs_ring_process */
};

#define STREQ(a, b) (!strcmp((a), (b)))
struct lw_log {
	int n;
	char last[256];
	struct xs_store *xs;
	bool react;
};

/* helpers.c */
void on_notify(void *opaque);
void c_init(struct client *c, struct xs_store *xs);
void c_fini(struct client *c);
void c_pump(struct client *c);
int c_put(struct client *c, const void *data, size_t len, bool process);
int rpc(struct client *c, uint32_t type, uint32_t tx, const void *pl,
	       size_t len);
int rpc_s(struct client *c, uint32_t type, uint32_t tx, const char *a,
		 const char *b, bool b_nul);
const char *res(struct client *c, int type);
const char *g_write(struct client *c, uint32_t tx, const char *p, const char *v);
const char *g_op(struct client *c, uint32_t type, uint32_t tx, const char *p);
const char *g_read(struct client *c, uint32_t tx, const char *p);
const char *g_list(struct client *c, uint32_t type, uint32_t tx, const char *p);
const char *g_watch(struct client *c, bool add, const char *p, const char *tok);
uint32_t g_tx_start(struct client *c);
const char *g_tx_end(struct client *c, uint32_t tx, bool commit);
const char *g_event(struct client *c);
void g_drain_events(struct client *c);
void lw_cb(void *opaque, const char *path);
uint32_t rnd(void);
size_t fuzz_str(char *out, size_t room);

/* the tests (main.c runs them) */
void initial_keys(void);
void basic_ops(void);
void watches(void);
void shutdown_flow(void);
void transactions(void);
void permissions(void);
void limits(void);
void quota_commit(void);
void request_work(void);
void malformed(void);
void fuzz(void);
void threaded(void);
void dom0_wire(void);

#endif
