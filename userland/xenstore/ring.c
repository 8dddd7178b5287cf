// SPDX-License-Identifier: MIT
/* xenstore server: the guest's ring (ring.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xs_int.h"

static int ring_fail(struct xs_store *xs, uint32_t code, int err)
{
	__atomic_store_n(&xs->ring->error, code, __ATOMIC_RELEASE);
	xs->err = err;
	xs->need_notify = true;
	return err;
}

/* Move queued output onto the response ring. */
int xsi_flush_out(struct xs_store *xs)
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

void xsi_conn_reset(struct xs_store *xs)
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
	xs->in_have = 0;
	xs->out_start = xs->out_end = 0;
	xs->err = 0;
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
		xsi_handle(xs, &h, (const char *)xs->in + HDR_LEN);
	}
	return 0;
}

int xsi_conn_process(struct xs_store *xs)
{
	struct xs_ring_page *r = xs->ring;
	size_t budget = IN_BUDGET;
	int err;

	if (!r)
		return -ENOTCONN;
	if (__atomic_load_n(&r->connection, __ATOMIC_ACQUIRE) == XS_CONN_RECONNECT) {
		/* Reconnection: forget everything of the old connection. */
		xsi_conn_reset(xs);
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

		err = xsi_flush_out(xs);
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

