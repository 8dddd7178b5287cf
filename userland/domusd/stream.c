// SPDX-License-Identifier: MIT
/*
 * domusd: `virsh console NAME` (DOMAIN_OPEN_CONSOLE, libvirt's streams).
 * The open attaches to the domain's PV console through its launcher, as
 * `domus console` does (domus_ctl_console); the session then relays:
 *
 *   console output  -> STREAM packets, status CONTINUE, the open call's
 *                      proc and serial, raw bytes (no XDR), at most
 *                      RPC_STREAM_CHUNK each; the console's end (domain
 *                      gone, or another client forced the console) is an
 *                      empty CONTINUE, which virsh takes as end of file
 *   client CONTINUE -> the bytes to the console; what it does not take
 *                      within RPC_STREAM_INPUT_MS is dropped (counted)
 *   client OK       -> finish: the console is let go, an empty STREAM OK
 *                      confirms (the client waits for it)
 *   client ERROR    -> abort: the same
 *
 * Flow is bounded without buffers: the relay reads console output only
 * as fast as it writes packets to the client (one packet at a time), so
 * a client that does not read stops the relay and the launcher's own
 * bounded backlog drops the oldest output.  One stream per session; a
 * second session's open is refused while one is attached ("Active
 * console session exists for this domain", libvirt's words) unless it
 * asks VIR_DOMAIN_CONSOLE_FORCE, which detaches the holder: its virsh
 * sees the end of the console.  The escape (Ctrl-]) is virsh's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "procs.h"

/* virDomainConsoleFlags */
enum { CONSOLE_FORCE = 1, CONSOLE_SAFE = 2 };

static bool active(const struct rpc_call *c)
{
	return c->dom->id != DOMUSD_INACTIVE;
}

/* DOMAIN_OPEN_CONSOLE (201): dom, dev_name (absent: the console), flags */
int h_open_console(struct rpc_call *c)
{
	struct rpc_stream *st = &c->s->st;
	const char *dev = c->a->str;
	char reply[256];
	int fd = -1, r;

	if (c->a->flags & ~(unsigned int)(CONSOLE_FORCE | CONSOLE_SAFE))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM, "domusd: unsupported flags 0x%x in %s",
			       c->a->flags & ~(unsigned int)(CONSOLE_FORCE | CONSOLE_SAFE), "DOMAIN_OPEN_CONSOLE");
	/* each domain has one console: PV hvc0 (console0) or HVM ttyS0 (serial0) */
	if (dev && strcmp(dev, "console0") && strcmp(dev, "serial0"))
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "invalid argument: domain '%s' has no console '%.64s': give console0 (or serial0) or none",
			       c->dom->name, dev);
	if (!active(c))
		return rpc_err(c->err, VIR_ERR_OPERATION_INVALID, VIR_FROM_DOM,
			       "Requested operation is not valid: domain '%s' is not running", c->dom->name);
	if (st->open)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: this connection has a console stream open already (serial %u): finish it first",
			       st->serial);
	if (!c->s->be->console)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "domusd: no launchers to ask");
	r = c->s->be->console(c->dom->name, c->a->flags & CONSOLE_FORCE, &fd, reply, sizeof(reply));
	if (r > 0 && strstr(reply, "already attached"))
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: Active console session exists for this domain (virsh console --force takes it over)");
	if (r > 0)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM, "operation failed: domain '%s': %s",
			       c->dom->name, reply);
	if (r < 0)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: domain '%s': its launcher does not answer (%s)", c->dom->name,
			       strerror(-r));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = errno;
		close(fd);
		return rpc_err(c->err, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "domusd: console connection: %s",
			       strerror(r));
	}
	st->open = true;
	st->fd = fd;
	st->proc = PROC_DOMAIN_OPEN_CONSOLE;
	st->serial = c->h->serial;	/* the stream's packets carry it */
	st->dropped = 0;
	return 0;		/* the reply (void) goes before any data */
}

static void stream_close(struct rpc_stream *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	st->open = false;
}

void rpc_session_end(struct rpc_session *s)
{
	stream_close(&s->st);
	rpc_events_end(s);
}

int rpc_stream_fd(const struct rpc_session *s)
{
	return s->st.open ? s->st.fd : -1;
}

static void stream_header(const struct rpc_stream *st, uint32_t status, struct xdr_out *out)
{
	struct rpc_header h = {
		.prog = RPC_PROG_REMOTE, .vers = RPC_VERS, .proc = st->proc,
		.type = RPC_STREAM, .serial = st->serial, .status = status,
	};

	xdr_out_reset(out);
	rpc_put_header(out, &h);
}

int rpc_stream_output(struct rpc_session *s, struct xdr_out *out)
{
	struct rpc_stream *st = &s->st;
	uint8_t buf[RPC_STREAM_CHUNK];
	ssize_t n;

	xdr_out_reset(out);
	if (!st->open || st->fd < 0)
		return 0;
	n = read(st->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	stream_header(st, RPC_CONTINUE, out);
	if (n > 0) {
		xdr_put_raw(out, buf, (size_t)n);
	} else {
		/* the console ended: an empty CONTINUE, then the client finishes */
		close(st->fd);
		st->fd = -1;
	}
	rpc_finish_packet(out);
	return 1;
}

/* Client bytes to the console: what it takes within RPC_STREAM_INPUT_MS. */
static void stream_input(struct rpc_stream *st, const uint8_t *p, size_t n)
{
	struct timespec t0, t;
	long ms = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n && st->fd >= 0) {
		ssize_t w = send(st->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			break;		/* the console ended: its output side says so */
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= RPC_STREAM_INPUT_MS)
			break;
		{
			struct pollfd pf = { .fd = st->fd, .events = POLLOUT };

			poll(&pf, 1, (int)(RPC_STREAM_INPUT_MS - ms));
		}
	}
	if (n) {
		if (!st->dropped)
			fprintf(stderr, "domusd: a console does not take its input: bytes dropped\n");
		st->dropped += n;
	}
}

int rpc_stream_packet(struct rpc_session *s, const struct rpc_header *h, const uint8_t *p, size_t n,
		      struct xdr_out *out)
{
	struct rpc_stream *st = &s->st;

	xdr_out_reset(out);
	/* not this session's open stream (one finished, or never opened): dropped */
	if (!st->open || h->prog != RPC_PROG_REMOTE || h->proc != st->proc || h->serial != st->serial)
		return 0;
	switch (h->status) {
	case RPC_CONTINUE:
		if (n)
			stream_input(st, p, n);
		return 0;
	case RPC_OK:		/* finish */
	case RPC_ERROR:		/* abort (its payload, if any, is the client's error) */
		stream_header(st, RPC_OK, out);
		rpc_finish_packet(out);
		stream_close(st);
		return 0;
	default:
		return -1;	/* rpc_frame_parse lets no other status through */
	}
}
