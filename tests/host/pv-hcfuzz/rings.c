// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz -r BURSTS: guest-side corruption of the PV console ring and the
 * xenstore ring, whose backends are the per-domain launcher's
 * (userland/launcher/console.c, userland/xenstore/ring.c).
 *
 * The ring pages are found through HVMOP_get_param (CONSOLE_PFN/EVTCHN,
 * STORE_PFN/EVTCHN) and mapped through /dev/mem: they lie in an e820
 * reserved region, which CONFIG_STRICT_DEVMEM lets user space map (it
 * refuses only RAM and exclusive regions).  Each burst writes random and
 * boundary values into a ring's indices, random bytes or malformed
 * xenstore messages (huge and unknown lengths, unknown types,
 * unterminated strings, bogus transaction ids) into its contents, and
 * sends the ring's event channel.  Now and then it asks the xenstore
 * server to reconnect (the ring's connection field), so the server is
 * driven again after it gave up on a broken ring, and counts what the
 * server reported back (the ring's error field).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "hcfuzz.h"
#include "xen_abi.h"

#define HVMOP_get_param		1
#define EVTCHNOP_send		4

static volatile struct xencons_interface *con;
static volatile struct xs_ring_page *xsr;
static uint32_t con_port, xs_port;
static unsigned long n_sends, n_send_fail, n_xs_err[4], n_reconnect, n_reconnected;

static int get_param(uint32_t index, uint64_t *val)
{
	uint8_t *p = ctl + 1024;	/* struct xen_hvm_param: domid u16, index u32 @4, value u64 @8 */
	long r;

	memset(p, 0, 16);
	put16(p, 16, 0, DOMID_SELF);
	put32(p, 16, 4, index);
	r = hcall(HC_hvm_op, HVMOP_get_param, (uintptr_t)p, 0, 0, 0);
	if (r)
		return (int)r;
	memcpy(val, p + 8, 8);
	return 0;
}

static void *map_frame(int fd, uint64_t pfn)
{
	void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(pfn * PG));

	return m == MAP_FAILED ? NULL : m;
}

static void notify(uint32_t port)
{
	uint32_t *p = (uint32_t *)(ctl + 1100);

	*p = port;
	n_sends++;
	if (hcall(HC_event_channel_op, EVTCHNOP_send, (uintptr_t)p, 0, 0, 0))
		n_send_fail++;
}

/* An index: near the other one, or a boundary, or anything. */
static uint32_t rnd_index(uint32_t near, uint32_t size)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return 0xffffffffu - (uint32_t)below(4);
	case 2: return near + size + 1 + (uint32_t)below(size);	/* too far ahead */
	case 3: return near - 1 - (uint32_t)below(size);		/* behind */
	case 4: return 0x80000000u + (uint32_t)below(3) - 1;
	case 5: return (uint32_t)rnd();
	default: return near + (uint32_t)below(size + 1);		/* plausible */
	}
}

static void con_burst(void)
{
	uint32_t i, n;

	switch (below(4)) {
	case 0:		/* output: garbage bytes, a plausible or wild producer */
		n = (uint32_t)below(sizeof(con->out) + 1);
		for (i = 0; i < n; i++)
			con->out[(con->out_prod + i) % sizeof(con->out)] = (char)rnd();
		__atomic_store_n(&con->out_prod, chance(70) ? con->out_cons + n :
				 rnd_index(con->out_cons, sizeof(con->out)), __ATOMIC_RELEASE);
		break;
	case 1:		/* output consumer (the backend's field) */
		con->out_cons = rnd_index(con->out_prod, sizeof(con->out));
		break;
	case 2:		/* input indices: the backend writes in_prod, reads in_cons */
		if (chance(50))
			con->in_cons = rnd_index(con->in_prod, sizeof(con->in));
		else
			con->in_prod = rnd_index(con->in_cons, sizeof(con->in));
		break;
	default:	/* anything anywhere in the page */
		n = 1 + (uint32_t)below(32);
		for (i = 0; i < n; i++)
			((volatile uint8_t *)con)[below(sizeof(*con))] = (uint8_t)rnd();
		break;
	}
	notify(con_port);
}

/* A malformed (or now and then well-formed) xenstore message, 16-byte
 * header and payload, written at req_prod; returns its length. */
static uint32_t xs_message(uint8_t *m, uint32_t room)
{
	static const char *const paths[] = { "a", "/local/domain/1/x", "data/k", "@introduceDomain", "" };
	struct xs_msg_hdr h;
	uint32_t plen, i;

	h.type = chance(70) ? (uint32_t)below(XS_TYPE_COUNT + 2) : (uint32_t)rnd_word(1);
	h.req_id = (uint32_t)rnd();
	h.tx_id = chance(50) ? 0 : chance(50) ? (uint32_t)below(8) : (uint32_t)rnd();
	plen = (uint32_t)below(room - sizeof(h) + 1);
	switch (below(6)) {
	case 0: h.len = 0xffffffffu - (uint32_t)below(16); break;	/* huge */
	case 1: h.len = XS_PAYLOAD_MAX + 1 + (uint32_t)below(64); break;
	case 2: h.len = plen + 1 + (uint32_t)below(8); break;		/* more than sent */
	case 3: h.len = (uint32_t)rnd(); break;
	default: h.len = plen; break;
	}
	memcpy(m, &h, sizeof(h));
	if (chance(50) && plen) {	/* strings: terminated or not */
		const char *s = paths[below(5)];
		uint32_t off = 0;

		while (off < plen) {
			uint32_t l = (uint32_t)strlen(s);

			for (i = 0; i < l && off < plen; i++)
				m[sizeof(h) + off++] = (uint8_t)s[i];
			if (off < plen && chance(60))
				m[sizeof(h) + off++] = 0;
			s = paths[below(5)];
		}
	} else {
		fill(m + sizeof(h), plen);
	}
	return (uint32_t)sizeof(h) + plen;
}

static void xs_burst(void)
{
	uint8_t m[XS_RING_SIZE];
	static uint32_t last_err;
	uint32_t prod, n, i, err;

	/* what the server reported since the last burst: an error, or its
	 * recovery (error cleared: a reconnection was served) */
	err = xsr->error;
	n_xs_err[err < 4 ? err : 0] += err != 0;
	if (last_err != XS_ERR_NONE && err == XS_ERR_NONE)
		n_reconnected++;
	switch (below(6)) {
	case 0:
	case 1:		/* a message at req_prod */
		prod = xsr->req_prod;
		n = xs_message(m, chance(80) ? 64 : XS_RING_SIZE);
		for (i = 0; i < n; i++)
			xsr->req[(prod + i) % XS_RING_SIZE] = (char)m[i];
		__atomic_store_n(&xsr->req_prod, chance(85) ? prod + n :
				 rnd_index(xsr->req_cons, XS_RING_SIZE), __ATOMIC_RELEASE);
		break;
	case 2:		/* indices */
		switch (below(4)) {
		case 0: xsr->req_prod = rnd_index(xsr->req_cons, XS_RING_SIZE); break;
		case 1: xsr->req_cons = rnd_index(xsr->req_prod, XS_RING_SIZE); break;
		case 2: xsr->rsp_cons = rnd_index(xsr->rsp_prod, XS_RING_SIZE); break;
		default: xsr->rsp_prod = rnd_index(xsr->rsp_cons, XS_RING_SIZE); break;
		}
		break;
	case 3:		/* random bytes into the request ring, producer moved over them */
		prod = xsr->req_prod;
		n = (uint32_t)below(XS_RING_SIZE + 1);
		for (i = 0; i < n; i++)
			xsr->req[(prod + i) % XS_RING_SIZE] = (char)rnd();
		xsr->req_prod = prod + n;
		break;
	case 4:		/* server fields, connection and anything in the page */
		if (chance(30)) {
			xsr->connection = chance(80) ? XS_CONN_RECONNECT : (uint32_t)rnd();
			n_reconnect++;
		} else {
			n = 1 + (uint32_t)below(16);
			for (i = 0; i < n; i++)
				((volatile uint8_t *)xsr)[below(sizeof(*xsr))] = (uint8_t)rnd();
		}
		break;
	default:	/* the guest consumes responses (so the server has room) */
		xsr->rsp_cons = xsr->rsp_prod;
		break;
	}
	last_err = err;
	notify(xs_port);
}

int ring_fuzz(unsigned long bursts, uint64_t seed)
{
	uint64_t con_pfn = 0, xs_pfn = 0, cp = 0, xp = 0;
	struct timespec t0, t1;
	unsigned long i, n_con = 0, n_xs = 0;
	int fd, r;

	if ((r = get_param(17, &con_pfn)) || (r = get_param(18, &cp)) ||
	    (r = get_param(1, &xs_pfn)) || (r = get_param(2, &xp))) {
		say("DOMUS-RINGFUZZ: FAILED: HVMOP_get_param: %d", r);
		return 1;
	}
	con_port = (uint32_t)cp;
	xs_port = (uint32_t)xp;
	fd = open("/dev/mem", O_RDWR);	/* write-back, as the guest kernel maps them (PAT) */
	if (fd < 0) {
		say("DOMUS-RINGFUZZ: FAILED: /dev/mem: %s", strerror(errno));
		return 1;
	}
	con = map_frame(fd, con_pfn);
	xsr = map_frame(fd, xs_pfn);
	close(fd);
	if (!con || !xsr) {
		say("DOMUS-RINGFUZZ: FAILED: mapping the ring pages (console %#" PRIx64 ", xenstore %#" PRIx64
		    ") through /dev/mem: %s", con_pfn, xs_pfn, strerror(errno));
		return 1;
	}
	say("DOMUS-RINGFUZZ-START console pfn %#" PRIx64 " port %u, xenstore pfn %#" PRIx64 " port %u, %lu bursts",
	    con_pfn, con_port, xs_pfn, xs_port, bursts);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < bursts; i++) {
		if (chance(50)) {
			con_burst();
			n_con++;
		} else {
			xs_burst();
			n_xs++;
		}
		if (i % 1000 == 999)
			usleep(1000);	/* let the backend's timer run too */
	}
	/* leave the xenstore ring reconnectable and the console empty */
	con->out_cons = con->out_prod;
	xsr->connection = XS_CONN_RECONNECT;
	notify(xs_port);
	notify(con_port);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	say("DOMUS-RINGFUZZ-DONE bursts=%lu console=%lu xenstore=%lu sends=%lu send-failures=%lu "
	    "xs-error-seen=comm:%lu,ringidx:%lu,proto:%lu reconnects=%lu recovered=%lu seconds=%.1f seed=%" PRIu64,
	    bursts, n_con, n_xs, n_sends, n_send_fail, n_xs_err[1], n_xs_err[2], n_xs_err[3],
	    n_reconnect, n_reconnected,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, seed);
	/* an idle guest until DOMUS-HCFUZZ-ALIVE: the host measures the
	 * launcher's CPU time in this window (no busy loop after the fuzz) */
	sleep(3);
	return n_send_fail ? 1 : 0;
}
