// SPDX-License-Identifier: MIT
/*
 * coretest: hypercalls of a Xen domain against the Xen ABI.  The guest
 * (tests/guests/xenhc64.S) makes the hypercalls of a table and stores each
 * result; every entry has the exact value Xen returns for it (Xen's public
 * headers and hypervisor behaviour, restated in the comments; errno values
 * are Xen's = Linux x86's).  Then the backend event-channel modes with a
 * guest on the other end: ATTACH of the guest's alloc_unbound port, LISTEN
 * + the guest's bind_interdomain, NOTIFY, CLOSE with the guest's port left
 * unbound.
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include "../guests/xenhc.h"
#include <sys/eventfd.h>

/* hypercall numbers, sub-ops, constants (Xen public headers) */
enum {
	HC_memory_op = 12, HC_xen_version = 17, HC_grant_table_op = 20, HC_vm_assist = 21,
	HC_vcpu_op = 24, HC_sched_op = 29, HC_event_channel_op = 32, HC_hvm_op = 34,
};
#define X_EPERM		1
#define X_ENOENT	2
#define X_ESRCH		3
#define X_EFAULT	14
#define X_EINVAL	22
#define X_ENOSYS	38
#define DOMID_SELF	0x7ff0
#define NO_DOM		7		/* no such domain: the test domain is alone */
#define BAD_VA		0x7f0000000000ULL	/* not mapped by the guest's page tables */
#define HOLE_VA		0x80000000ULL	/* mapped, but no RAM behind it */
#define BAD_PORT	5000		/* beyond every valid event channel */
#define ANY_OK		0x7fffffff	/* want: any value >= 0 */

/* argument structures, at XH_ARGS + 256 * slot */
#define ARG(slot)	(XH_ARGS + 256ULL * (slot))

struct xh_case {
	const char *name;
	uint64_t nr, a[5];
	int64_t want;		/* exact result, or ANY_OK */
};

/*
 * Argument structures for the table (offsets per the public headers):
 *   evtchn_status {u16 dom; u32 port @4}, evtchn_bind_virq {u32 virq; u32 vcpu},
 *   evtchn_bind_ipi {u32 vcpu}, evtchn_bind_vcpu {u32 port; u32 vcpu},
 *   evtchn_alloc_unbound {u16 dom; u16 remote_dom}, evtchn_bind_interdomain
 *   {u16 remote_dom; u32 remote_port @4}, gnttab_set_version {u32 version},
 *   gnttab_query_size {u16 dom; ...; i16 status @12},
 *   sched_remote_shutdown {u16 domain_id; u32 reason @4},
 *   xen_hvm_param {u16 domid; u32 index @4; u64 value @8}.
 */
void put16(uint8_t *ram, uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
void put32(uint8_t *ram, uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }

static void setup_args(uint8_t *ram)
{
	put32(ram, ARG(0), BAD_PORT);				/* send/close/unmask */
	put16(ram, ARG(1), DOMID_SELF);				/* status */
	put32(ram, ARG(1) + 4, BAD_PORT);
	put32(ram, ARG(2), 99);					/* bind_virq: virq 99 */
	put32(ram, ARG(2) + 4, 0);
	put32(ram, ARG(3), 0);					/* bind_virq: VIRQ_TIMER, vCPU 99 */
	put32(ram, ARG(3) + 4, 99);
	put32(ram, ARG(4), 99);					/* bind_ipi: vCPU 99 */
	put32(ram, ARG(5), BAD_PORT);				/* bind_vcpu: bad port, vCPU 0 */
	put32(ram, ARG(5) + 4, 0);
	put32(ram, ARG(6), 1);					/* bind_vcpu: port 1, vCPU 99 */
	put32(ram, ARG(6) + 4, 99);
	put16(ram, ARG(7), NO_DOM);				/* alloc_unbound for another domain */
	put16(ram, ARG(7) + 2, 0);
	put16(ram, ARG(8), NO_DOM);				/* bind_interdomain: no such domain */
	put32(ram, ARG(8) + 4, 1);
	put32(ram, ARG(9), 3);					/* set_version 3 */
	put16(ram, ARG(10), NO_DOM);				/* query_size of another domain */
	put16(ram, ARG(10) + 12, 0x7777);
	put16(ram, ARG(11), NO_DOM);				/* remote_shutdown */
	put32(ram, ARG(11) + 4, 0);
	put16(ram, ARG(12), DOMID_SELF);			/* hvm get_param index 9999 */
	put32(ram, ARG(12) + 4, 9999);
	put16(ram, ARG(13), NO_DOM);				/* hvm get_param of another domain */
	put32(ram, ARG(13) + 4, 1);
	put16(ram, ARG(14), DOMID_SELF);			/* hvm set_param index 9999 */
	put32(ram, ARG(14) + 4, 9999);
	put16(ram, ARG(15), 0);					/* remote_shutdown of domain 0 */
	put32(ram, ARG(15) + 4, 0);
	put16(ram, ARG(16), 0);					/* status of a domain-0 port */
	put32(ram, ARG(16) + 4, 1);
}

static const struct xh_case cases[] = {
	/* numbers without a hypercall: -ENOSYS */
	{ "unknown-63", 63, { 0 }, -X_ENOSYS },
	{ "unknown-127", 127, { 0 }, -X_ENOSYS },
	/* xen_version: unknown sub-op -ENOSYS; a bad buffer -EFAULT */
	{ "version", HC_xen_version, { 0 }, ANY_OK },
	{ "version-unknown-op", HC_xen_version, { 99 }, -X_ENOSYS },
	{ "version-extraversion-bad-va", HC_xen_version, { 1, BAD_VA }, -X_EFAULT },
	{ "version-get-features-bad-va", HC_xen_version, { 6, BAD_VA }, -X_EFAULT },
	{ "version-get-features-hole", HC_xen_version, { 6, HOLE_VA }, -X_EFAULT },
	/* memory_op */
	{ "memory-unknown-op", HC_memory_op, { 63 }, -X_ENOSYS },
	{ "memory-add-to-physmap-bad-va", HC_memory_op, { 7, BAD_VA }, -X_EFAULT },
	/* (XENMEM_memory_map: not implemented by domus, the map is in the start info) */
	/* event_channel_op */
	{ "evtchn-unknown-op", HC_event_channel_op, { 99, ARG(0) }, -X_ENOSYS },
	{ "evtchn-send-bad-va", HC_event_channel_op, { 4, BAD_VA }, -X_EFAULT },
	{ "evtchn-send-bad-port", HC_event_channel_op, { 4, ARG(0) }, -X_EINVAL },
	{ "evtchn-close-bad-port", HC_event_channel_op, { 3, ARG(0) }, -X_EINVAL },
	{ "evtchn-unmask-bad-port", HC_event_channel_op, { 9, ARG(0) }, -X_EINVAL },
	{ "evtchn-status-bad-port", HC_event_channel_op, { 5, ARG(1) }, -X_EINVAL },
	{ "evtchn-bind-virq-99", HC_event_channel_op, { 1, ARG(2) }, -X_EINVAL },
	{ "evtchn-bind-virq-no-vcpu", HC_event_channel_op, { 1, ARG(3) }, -X_ENOENT },
	{ "evtchn-bind-ipi-no-vcpu", HC_event_channel_op, { 7, ARG(4) }, -X_ENOENT },
	{ "evtchn-bind-vcpu-bad-port", HC_event_channel_op, { 8, ARG(5) }, -X_EINVAL },
	{ "evtchn-bind-vcpu-no-vcpu", HC_event_channel_op, { 8, ARG(6) }, -X_ENOENT },
	{ "evtchn-alloc-unbound-other-dom", HC_event_channel_op, { 6, ARG(7) }, -X_ESRCH },
	{ "evtchn-bind-interdomain-no-dom", HC_event_channel_op, { 0, ARG(8) }, -X_ESRCH },
	/* grant_table_op */
	{ "gnttab-unknown-op", HC_grant_table_op, { 99, ARG(9), 1 }, -X_ENOSYS },
	{ "gnttab-negative-count", HC_grant_table_op, { 6, ARG(10), 0x80000000ULL }, -X_EINVAL },
	{ "gnttab-set-version-3", HC_grant_table_op, { 8, ARG(9), 1 }, -X_EINVAL },
	{ "gnttab-query-size-bad-va", HC_grant_table_op, { 6, BAD_VA, 1 }, -X_EFAULT },
	{ "gnttab-query-size-other-dom", HC_grant_table_op, { 6, ARG(10), 1 }, 0 },	/* status checked below */
	/* sched_op */
	{ "sched-unknown-op", HC_sched_op, { 99, ARG(0) }, -X_ENOSYS },
	{ "sched-yield", HC_sched_op, { 0, 0 }, 0 },
	{ "sched-shutdown-bad-va", HC_sched_op, { 2, BAD_VA }, -X_EFAULT },
	{ "sched-poll-bad-va", HC_sched_op, { 3, BAD_VA }, -X_EFAULT },
	{ "sched-remote-shutdown-no-dom", HC_sched_op, { 4, ARG(11) }, -X_ESRCH },
	{ "sched-remote-shutdown-dom0", HC_sched_op, { 4, ARG(15) }, -X_EPERM },
	{ "sched-remote-shutdown-bad-va", HC_sched_op, { 4, BAD_VA }, -X_EFAULT },
	{ "evtchn-status-dom0", HC_event_channel_op, { 5, ARG(16) }, -X_EPERM },
	/* vcpu_op: a vCPU id that does not exist is -ENOENT for every sub-op */
	{ "vcpu-unknown-op", HC_vcpu_op, { 99, 0, 0 }, -X_ENOSYS },
	{ "vcpu-up-no-vcpu", HC_vcpu_op, { 1, 99, 0 }, -X_ENOENT },
	{ "vcpu-is-up-self", HC_vcpu_op, { 3, 0, 0 }, 1 },
	{ "vcpu-is-up-no-vcpu", HC_vcpu_op, { 3, 99, 0 }, -X_ENOENT },
	{ "vcpu-register-vcpu-info-bad-va", HC_vcpu_op, { 10, 0, BAD_VA }, -X_EFAULT },
	{ "vcpu-set-periodic-timer-bad-va", HC_vcpu_op, { 6, 0, BAD_VA }, -X_EFAULT },
	{ "vcpu-set-singleshot-timer-bad-va", HC_vcpu_op, { 8, 0, BAD_VA }, -X_EFAULT },
	/* hvm_op */
	{ "hvm-unknown-op", HC_hvm_op, { 99, ARG(12) }, -X_ENOSYS },
	{ "hvm-get-param-bad-va", HC_hvm_op, { 1, BAD_VA }, -X_EFAULT },
	{ "hvm-get-param-index-9999", HC_hvm_op, { 1, ARG(12) }, -X_EINVAL },
	{ "hvm-get-param-other-dom", HC_hvm_op, { 1, ARG(13) }, -X_ESRCH },
	{ "hvm-set-param-index-9999", HC_hvm_op, { 0, ARG(14) }, -X_EINVAL },
	/* vm_assist: an unknown type is -EINVAL whatever the command */
	{ "vm-assist-type-99", HC_vm_assist, { 0, 99 }, -X_EINVAL },
	{ "vm-assist-cmd-7-type-99", HC_vm_assist, { 7, 99 }, -X_EINVAL },
};

void put_entry(uint8_t *ram, unsigned int i, uint64_t nr, const uint64_t a[5], uint64_t flags)
{
	uint64_t *e = (uint64_t *)(ram + XH_TABLE + XH_ENTRY_SIZE * (i + 1));

	e[0] = nr;
	memcpy(e + 1, a, 5 * 8);
	e[6] = 0x5a5a5a5a5a5a5a5aULL;	/* ret: overwritten by the guest */
	e[7] = flags;
}

int64_t entry_ret(const uint8_t *ram, unsigned int i)
{
	int64_t r;

	memcpy(&r, ram + XH_TABLE + XH_ENTRY_SIZE * (i + 1) + 48, 8);
	return r;
}

int xen_vm(struct vm *vm)
{
	int r = vm_create_flags(vm, LM_RAM_SIZE, 0, DOMUS_DOMAIN_XEN);

	if (!r)
		r = load_guest(vm, "xenhc64");
	if (!r)
		r = vm_add_vcpu(vm, 0);
	if (!r)
		r = setup_lm(vm, &vm->vcpu[0], 0, 0, 0, 0);
	return r;
}

void t_xen_hypercalls(void)
{
	const unsigned int n = sizeof(cases) / sizeof(cases[0]);
	struct vm vm;
	struct ctx c;
	char why[300] = "", name[96];
	unsigned int i;
	int ok, r = xen_vm(&vm);

	if (r) {
		result("xenhc/run", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	setup_args(vm.ram);
	*(uint64_t *)(vm.ram + XH_TABLE) = n;
	for (i = 0; i < n; i++)
		put_entry(vm.ram, i, cases[i].nr, cases[i].a, 0);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	result("xenhc/run", ok, "%s", why);
	for (i = 0; ok && i < n; i++) {
		int64_t got = entry_ret(vm.ram, i), want = cases[i].want;

		snprintf(name, sizeof(name), "xenhc/%s", cases[i].name);
		result(name, want == ANY_OK ? got >= 0 : got == want, "hypercall %llu (%llu, 0x%llx, ...) returned %lld, want %s%lld",
		       (unsigned long long)cases[i].nr, (unsigned long long)cases[i].a[0],
		       (unsigned long long)cases[i].a[1], (long long)got, want == ANY_OK ? ">= 0, not " : "",
		       want == ANY_OK ? (long long)got : (long long)want);
	}
	if (ok) {
		int16_t st;

		memcpy(&st, vm.ram + ARG(10) + 12, 2);
		/* GNTST_bad_domain (-2) in the status field, the hypercall itself succeeds */
		result("xenhc/gnttab-query-size-other-dom-status", st == -2, "status %d, want GNTST_bad_domain (-2)", st);
	}
	vm_destroy(&vm);
}

/* --- backend event channels with a guest on the other end --------------------------- */

struct be_state {
	int nfd1, nfd2;
	uint32_t p1, bp1, p2, bp2;
	int step_ok[8];
	char why[8][200];
};

/* read an eventfd without blocking: its count, or 0 */
static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8)
		return 0;
	return v;
}

static int be_sync(struct ctx *c, uint32_t idx)
{
	struct be_state *s = c->arg;
	uint8_t *ram = c->vm->ram;
	struct domus_xen_evtchn_bind b;
	struct domus_xen_evtchn_notify nt;
	uint32_t v32;
	int r;

	if (idx >= 8)
		return ctx_err(c, "sync from entry %u", idx);
	switch (idx) {
	case 0:		/* the guest's alloc_unbound(remote 0) gave port P1: ATTACH it */
		memcpy(&s->p1, ram + ARG(20) + 4, 4);
		memset(&b, 0, sizeof(b));
		b.flags = DOMUS_XEN_EVTCHN_ATTACH;
		b.port = s->p1;
		b.notify_fd = s->nfd1;
		b.kick_fd = -1;
		r = ioctl(c->vm->fd, DOMUS_XEN_EVTCHN_BIND, &b);
		s->bp1 = b.backend_port;
		s->step_ok[0] = r == 0 && s->p1 && b.backend_port >= 1 && b.backend_port <= 64;
		snprintf(s->why[0], 200, "ATTACH of guest port %u: %d (%s), backend port %u", s->p1, r,
			 r ? strerror(errno) : "ok", b.backend_port);
		put32(ram, ARG(21), s->p1);
		/* a second ATTACH of the now connected port: EINVAL */
		b.backend_port = 0;
		r = ioctl(c->vm->fd, DOMUS_XEN_EVTCHN_BIND, &b);
		s->step_ok[6] = r < 0 && errno == EINVAL;
		snprintf(s->why[6], 200, "second ATTACH of port %u: %d (%s), want EINVAL", s->p1, r,
			 r ? strerrorname_np(errno) : "ok");
		break;
	case 1:		/* the guest sent on P1: one count; NOTIFY raises P1; now LISTEN */
		v32 = (uint32_t)efd_count(s->nfd1);
		memset(&nt, 0, sizeof(nt));
		nt.port = s->p1;
		r = ioctl(c->vm->fd, DOMUS_XEN_EVTCHN_NOTIFY, &nt);
		s->step_ok[1] = v32 == 1 && r == 0;
		snprintf(s->why[1], 200, "notify eventfd count %u after the guest's send (want 1); NOTIFY: %d", v32, r);
		memset(&b, 0, sizeof(b));
		b.flags = DOMUS_XEN_EVTCHN_LISTEN;
		b.notify_fd = s->nfd2;
		b.kick_fd = -1;
		r = ioctl(c->vm->fd, DOMUS_XEN_EVTCHN_BIND, &b);
		s->bp2 = b.backend_port;
		s->step_ok[2] = r == 0 && b.port == 0 && s->bp2 >= 1 && s->bp2 <= 64 && s->bp2 != s->bp1;
		snprintf(s->why[2], 200, "LISTEN: %d, port %u backend port %u", r, b.port, s->bp2);
		put16(ram, ARG(22), 0);
		put32(ram, ARG(22) + 4, s->bp2);
		put16(ram, ARG(26), 0);
		put32(ram, ARG(26) + 4, s->bp2);
		break;
	case 2:		/* bind_interdomain(0, bp2) gave P2 */
		memcpy(&s->p2, ram + ARG(22) + 8, 4);
		put32(ram, ARG(23), s->p2);
		put16(ram, ARG(25), DOMID_SELF);
		put32(ram, ARG(25) + 4, s->p2);
		break;
	case 3:		/* the guest sent on P2: one count on the second eventfd; CLOSE bp2 */
		v32 = (uint32_t)efd_count(s->nfd2);
		memset(&b, 0, sizeof(b));
		b.flags = DOMUS_XEN_EVTCHN_CLOSE;
		b.backend_port = s->bp2;
		r = ioctl(c->vm->fd, DOMUS_XEN_EVTCHN_BIND, &b);
		s->step_ok[3] = v32 == 1 && r == 0 && efd_count(s->nfd1) == 0;
		snprintf(s->why[3], 200, "eventfd count %u after the send on P2 %u (want 1, and none on P1's); CLOSE: %d",
			 v32, s->p2, r);
		break;
	case 4:		/* a send on the port whose backend closed: dropped */
		v32 = (uint32_t)efd_count(s->nfd2);
		s->step_ok[4] = v32 == 0;
		snprintf(s->why[4], 200, "eventfd count %u after a send on the unbound port (want 0)", v32);
		break;
	default:
		break;
	}
	return 0;
}

void t_xen_backend(void)
{
	/* entry: op, argument slot, want, sync */
	static const struct { uint64_t op, slot; int64_t want; } steps[] = {
		{ 6, 20, 0 },		/* alloc_unbound(SELF, remote 0) -> P1 */
		{ 4, 21, 0 },		/* send(P1) */
		{ 0, 22, 0 },		/* bind_interdomain(0, bp2) -> P2 */
		{ 4, 23, 0 },		/* send(P2) */
		{ 4, 23, 0 },		/* send(P2) after CLOSE: unbound, Xen drops it and returns 0 */
		{ 5, 25, 0 },		/* status(SELF, P2): EVTCHNSTAT_unbound */
		{ 0, 26, -X_EINVAL },	/* bind_interdomain(0, bp2) again: no such unbound remote port */
	};
	static const char *const names[] = {
		"alloc-unbound-attach", "send-notify", "listen", "listen-send-close", "send-after-close",
		"status-unbound", "bind-closed-backend",
	};
	const unsigned int n = sizeof(steps) / sizeof(steps[0]);
	struct be_state s;
	struct vm vm;
	struct ctx c;
	char why[300] = "", name[96];
	unsigned int i;
	uint32_t status;
	int ok, r = xen_vm(&vm);

	memset(&s, 0, sizeof(s));
	s.nfd1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s.nfd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r || s.nfd1 < 0 || s.nfd2 < 0) {
		result("xenbe/run", 0, "setup: %s", r ? domus_last_error() : strerror(errno));
		goto out;
	}
	put16(vm.ram, ARG(20), DOMID_SELF);
	put16(vm.ram, ARG(20) + 2, 0);
	*(uint64_t *)(vm.ram + XH_TABLE) = n;
	for (i = 0; i < n; i++) {
		uint64_t a[5] = { steps[i].op, ARG(steps[i].slot), 0, 0, 0 };

		put_entry(vm.ram, i, HC_event_channel_op, a, i < 5 ? XH_SYNC : 0);
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = be_sync;
	c.arg = &s;
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	result("xenbe/run", ok, "%s", why);
	if (!ok)
		goto out;
	for (i = 0; i < n; i++) {
		int64_t got = entry_ret(vm.ram, i);

		snprintf(name, sizeof(name), "xenbe/%s-hypercall", names[i]);
		result(name, got == steps[i].want, "EVTCHNOP %llu returned %lld, want %lld",
		       (unsigned long long)steps[i].op, (long long)got, (long long)steps[i].want);
	}
	result("xenbe/attach", s.step_ok[0], "%s", s.why[0]);
	result("xenbe/attach-twice", s.step_ok[6], "%s", s.why[6]);
	result("xenbe/send-counts-notify", s.step_ok[1], "%s", s.why[1]);
	result("xenbe/listen", s.step_ok[2], "%s", s.why[2]);
	result("xenbe/listen-send-close", s.step_ok[3], "%s", s.why[3]);
	result("xenbe/send-after-close-dropped", s.step_ok[4], "%s", s.why[4]);
	memcpy(&status, vm.ram + ARG(25) + 8, 4);
	result("xenbe/status-unbound-after-close", status == 1, "EVTCHNOP_status of P2 %u: status %u, want 1 (unbound)",
	       s.p2, status);
out:
	if (s.nfd1 >= 0)
		close(s.nfd1);
	if (s.nfd2 >= 0)
		close(s.nfd2);
	vm_destroy(&vm);
}
