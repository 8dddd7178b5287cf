// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz: the calls: the fuzz loop and its oracle, the grant-frame walk,
 * user-mode calls
 * (tests/host/pv-hcfuzz.c describes the whole program).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/mman.h>
#include "hcfuzz.h"

/* --- hypercalls ------------------------------------------------------------- */

int privcmd = -1;

long hcall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct hcfuzz_call c = { op, { a0, a1, a2, a3, a4 } };
	long r = ioctl(privcmd, HCFUZZ_IOCTL_HYPERCALL, &c);

	return r < 0 ? -errno : r;
}

/* ports open before fuzzing: the guest kernel's */
uint8_t port_was_open[NR_PORTS];
uint64_t callback_irq;
int callback_irq_known;

static int port_state(unsigned int port)
{
	uint32_t *st = (uint32_t *)(ctl + 512);	/* struct evtchn_status */

	memset(st, 0, 24);
	st[0] = DOMID_SELF;
	st[1] = port;
	if (hcall(HC_event_channel_op, 5 /* status */, (uintptr_t)st, 0, 0, 0))
		return -1;
	return st[2];
}

void snapshot(void)
{
	uint64_t *p = (uint64_t *)(ctl + 256);	/* struct xen_hvm_param */
	unsigned int i, open = 0;

	for (i = 1; i < NR_PORTS; i++) {
		port_was_open[i] = port_state(i) != 0;
		open += port_was_open[i];
	}
	p[0] = DOMID_SELF;	/* domid, pad, index 0 (CALLBACK_IRQ) */
	p[1] = 0;
	if (!hcall(HC_hvm_op, 1 /* get_param */, (uintptr_t)p, 0, 0, 0)) {
		callback_irq = p[1];
		callback_irq_known = 1;
	}
	say("DOMUS-HCFUZZ: %u event channel ports open, callback irq %#" PRIx64, open, callback_irq);
}

/* A singleshot timer in the past: fires now; Linux reprograms its next event. */
void repair_timer(void)
{
	uint64_t *t = (uint64_t *)ctl;

	t[0] = 1;
	t[1] = 0;
	hcall(HC_vcpu_op, 8 /* set_singleshot_timer */, 0, (uintptr_t)t, 0, 0);
}

void cleanup(void)
{
	unsigned int i, closed = 0;
	uint32_t *port = (uint32_t *)(ctl + 1024);

	for (i = 1; i < NR_PORTS; i++) {
		if (port_was_open[i] || port_state(i) <= 0)
			continue;
		*port = i;
		if (!hcall(HC_event_channel_op, 3 /* close */, (uintptr_t)port, 0, 0, 0))
			closed++;
	}
	hcall(HC_vcpu_op, 7 /* stop_periodic_timer */, 0, 0, 0, 0);
	repair_timer();
	say("DOMUS-HCFUZZ: cleanup: closed %u ports the fuzz left open", closed);
}
/* --- the main loop ---------------------------------------------------------- */

unsigned long results[NERR + 1];
unsigned long by_op[128], unexpected, class_used[P_NCLASSES];
unsigned long judged[P_NCLASSES], excluded_grant;
uint8_t ro_copy[PG];

/*
 * A successful add_to_physmap may have put a grant frame on a non-RAM
 * frame: note where (struct xen_add_to_physmap: gpfn at byte 16 of 24),
 * read from the fuzzer's view of the argument.  If the fuzzer cannot read
 * it, the non-RAM oracle ends here (counted in the report).
 */
static void note_placement(const struct ptr *a)
{
	const uint8_t *view = a->user;
	long room = a->wr;
	uint64_t gfn;

	if (!view && (a->cls == P_RO || a->cls == P_ZERO)) {
		view = (const uint8_t *)(uintptr_t)a->addr;
		room = a->rd;
	}
	if (!view || room < 24) {
		if (!grant_frames_unknown)
			say("DOMUS-HCFUZZ: a placement through a %s pointer the fuzzer cannot read: "
			    "no oracle for non-RAM frames from here", pclass_name[a->cls]);
		grant_frames_unknown = 1;
		return;
	}
	memcpy(&gfn, view + 16, 8);
	grant_frame_add(gfn);
}

/*
 * The oracle for a call that writes @wlen bytes through @a and nothing
 * else: 0 if all of them are writable guest RAM (or a grant frame), else
 * -EFAULT.  A pointer whose bytes reach a non-RAM frame is judged too,
 * unless a grant frame is (or was) on that frame: its bytes are writable
 * memory of the guest's, so the call may succeed.
 */
static void judge(const struct hcfuzz_call *c, const struct ptr *a, long wlen, long r)
{
	long wr = a->wr;
	int ok;

	if (a->cls == P_DEVMEM || (a->cls == P_STRADDLE && wr < wlen)) {
		if (grant_frames_unknown || grant_frame_at(a->gfn)) {
			excluded_grant++;
			return;
		}
	}
	judged[a->cls]++;
	ok = wr >= wlen;
	if ((ok && r == 0) || (!ok && r == -EFAULT))
		return;
	if (unexpected++ < 10)
		say("DOMUS-HCFUZZ: unexpected: op %" PRIu64 " cmd %" PRIu64
		    " arg %#" PRIx64 " (%s%s, %ld writable) -> %ld",
		    c->op, c->arg[0], c->arg[1], pclass_name[a->cls],
		    a->cls == P_DEVMEM || a->cls == P_STRADDLE ? " of a non-RAM frame" : "", wr, r);
}

/* The read-only pages still hold what the fuzzer put there. */
static int ro_intact(void)
{
	unsigned int i;

	for (i = 0; i < PG; i++)
		if (zeropage[i])
			return 0;
	return !memcmp(ropage, ro_copy, PG);
}

static void count(long r)
{
	if (r >= 0)
		results[0]++;
	else if (-r < NERR)
		results[-r]++;
	else
		results[NERR]++;
}

void fuzz(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct hcfuzz_call c;
		struct ptr p[5];
		int j, repair, vcpu_id;
		long r, wlen;

		c.op = pick_op();
		c.arg[0] = pick_subop(c.op);
		vcpu_id = c.op == HC_vcpu_op && chance(80);
		p[0].cls = P_NCLASSES;
		for (j = 1; j < 5; j++) {
			unsigned int k = below(100);

			p[j].cls = P_NCLASSES;
			p[j].user = NULL;
			if (j == 1 && vcpu_id) {
				c.arg[1] = below(3);	/* vcpu_op's vCPU id */
			} else if (k < (j == 1 || j == 2 ? 65u : 25u)) {
				p[j] = pick_ptr(0);
				c.arg[j] = p[j].addr;
				class_used[p[j].cls]++;
				if (p[j].user)	/* fresh contents for the call */
					fill(p[j].user, p[j].wr < 512 ? p[j].wr : 512);
			} else {
				c.arg[j] = rnd_word(2);
			}
		}
		if ((uint32_t)c.op == c.op) {
			if (c.op == HC_vcpu_op)
				shape_vcpu(c.arg[0], p[2].user, p[2].wr);
			else if (c.op != HC_console_io)
				shape(c.op, c.arg[0], p[1].user, p[1].wr);
		}
		repair = sanitize(&c, p);
		wlen = write_only_len(&c);
		r = hcall(c.op, c.arg[0], c.arg[1], c.arg[2], c.arg[3], c.arg[4]);
		count(r);
		if (c.op < 128)
			by_op[c.op]++;
		if ((uint32_t)c.op == HC_memory_op && (c.arg[0] & 0x3f) == XENMEM_add_to_physmap && r == 0)
			note_placement(&p[1]);
		if (wlen && p[1].cls != P_NCLASSES)
			judge(&c, &p[1], wlen, r);
		if (((uint32_t)c.op == HC_vcpu_op || (i + 1) % 1000 == 0) && !ro_intact()) {
			if (unexpected++ < 10)
				say("DOMUS-HCFUZZ: unexpected: read-only memory changed after op %" PRIu64
				    " cmd %" PRIu64 " args %#" PRIx64 " %#" PRIx64,
				    c.op, c.arg[0], c.arg[1], c.arg[2]);
			memcpy(ro_copy, ropage, PG);	/* report each change once */
		}
		if (repair) {
			repair_timer();
			n_repair++;
		}
		if ((i + 1) % 10000 == 0)
			say("DOMUS-HCFUZZ: %lu calls", i + 1);
	}
}

/*
 * A deliberate hostile pattern the random calls hit only rarely: move
 * grant frames to frames in ever new 1 GiB regions of the guest-physical
 * space, each of which needs new nested page-table pages in the host.
 * The host must bound that (the test checks the module's table-page
 * counter); the guest sees -ENOMEM once its allowance is used.
 */
void grant_walk(unsigned long n)
{
	uint8_t *a = ctl + 2048;	/* struct xen_add_to_physmap */
	unsigned long i, ok = 0, enomem = 0, other = 0;

	for (i = 0; i < n; i++) {
		uint64_t gfn = ((1 + below((1ULL << 18) - 1)) << 18) + below(512);
		long r;

		memset(a, 0, 24);
		put16(a, 24, 0, DOMID_SELF);
		put32(a, 24, 4, 1);			/* XENMAPSPACE_grant_table */
		put64(a, 24, 8, below(32));
		put64(a, 24, 16, gfn);
		r = hcall(HC_memory_op, 7, (uintptr_t)a, 0, 0, 0);
		if (r == 0)
			ok++;
		else if (r == -ENOMEM)
			enomem++;
		else
			other++;
	}
	say("DOMUS-HCFUZZ: grant-frame walk: %lu placements in new 1 GiB regions: %lu ok, %lu ENOMEM, %lu other",
	    n, ok, enomem, other);
}

/* --- user-mode VMMCALL -------------------------------------------------------- */

static sigjmp_buf ill_jmp;
static unsigned long u_eperm, u_other, u_sigill;	/* kept across siglongjmp */

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(ill_jmp, 1);
}

static int is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541;		/* "Auth" */
}

void user_calls(unsigned long n)
{
	int amd = is_amd();
	static unsigned long i;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigill;
	sigaction(SIGILL, &sa, NULL);
	for (i = 0; i < n; i++) {
		/* small numbers, anything, and domus's benchmark call (a Xen domain: -EPERM too) */
		volatile uint64_t nr = chance(5) ? 0xd0000000ULL : chance(50) ? below(64) : rnd();
		uint64_t ret, a1 = rnd_word(1), a2 = rnd_word(1), a3 = rnd_word(1);

		if (sigsetjmp(ill_jmp, 1)) {
			u_sigill++;
			continue;
		}
		ret = nr;
		if (amd)
			__asm__ volatile("vmmcall" : "+a"(ret) : "D"(a1), "S"(a2), "d"(a3) : "memory", "cc");
		else
			__asm__ volatile("vmcall" : "+a"(ret) : "D"(a1), "S"(a2), "d"(a3) : "memory", "cc");
		if (ret == (uint64_t)-1)
			u_eperm++;
		else if (u_other++ < 5)
			say("DOMUS-HCFUZZ: unexpected: user-mode %s %#" PRIx64 " -> %#" PRIx64,
			    amd ? "vmmcall" : "vmcall", (uint64_t)nr, ret);
	}
	unexpected += u_other + u_sigill;
	say("DOMUS-HCFUZZ: user-mode %s: %lu calls, %lu -EPERM, %lu other, %lu SIGILL",
	    amd ? "vmmcall" : "vmcall", n, u_eperm, u_other, u_sigill);
}
