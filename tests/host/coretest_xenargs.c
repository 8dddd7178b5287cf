// SPDX-License-Identifier: MIT
/*
 * coretest: the Xen-domain ioctls of a domain fd against docs/abi.md and
 * uapi/domus.h: HVM parameters, backend event channels (the four BIND
 * modes and NOTIFY, without a guest), the grant-table mmap, the vCPU
 * lifecycle state (GET/SET_VCPU_STATE); bad arguments
 * and the state each mode leaves.
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <sys/eventfd.h>

static int xen_domain(void)
{
	struct domus_create_domain cd;

	memset(&cd, 0, sizeof(cd));
	cd.flags = DOMUS_DOMAIN_XEN;
	return ioctl(devfd, DOMUS_CREATE_DOMAIN, &cd);
}

static int param(int dom, unsigned long cmd, uint32_t index, uint64_t value, uint64_t *out)
{
	struct domus_xen_param p;
	int r;

	memset(&p, 0, sizeof(p));
	p.index = index;
	p.value = value;
	r = ioctl(dom, cmd, &p);
	if (out)
		*out = p.value;
	return r < 0 ? -errno : r;
}

static void param_fail(const char *name, int dom, unsigned long cmd, uint32_t index, uint64_t value,
		       uint32_t reserved0, const int *want)
{
	struct domus_xen_param p;

	memset(&p, 0, sizeof(p));
	p.index = index;
	p.value = value;
	p.reserved0 = reserved0;
	expect_fail(name, dom, cmd, &p, want);
}

static int bind(int dom, uint32_t flags, uint32_t port, uint32_t bport, int nfd, int kfd,
		struct domus_xen_evtchn_bind *out)
{
	struct domus_xen_evtchn_bind b;
	int r;

	memset(&b, 0, sizeof(b));
	b.flags = flags;
	b.port = port;
	b.backend_port = bport;
	b.notify_fd = nfd;
	b.kick_fd = kfd;
	r = ioctl(dom, DOMUS_XEN_EVTCHN_BIND, &b);
	if (out)
		*out = b;
	return r < 0 ? -errno : r;
}

static void bind_fail(const char *name, int dom, uint32_t flags, uint32_t port, uint32_t bport,
		      int nfd, int kfd, uint32_t reserved0, const int *want)
{
	struct domus_xen_evtchn_bind b;

	memset(&b, 0, sizeof(b));
	b.flags = flags;
	b.port = port;
	b.backend_port = bport;
	b.notify_fd = nfd;
	b.kick_fd = kfd;
	b.reserved0 = reserved0;
	expect_fail(name, dom, DOMUS_XEN_EVTCHN_BIND, &b, want);
}

static int notify(int dom, uint32_t port, uint32_t reserved)
{
	struct domus_xen_evtchn_notify n = { .port = port, .reserved = reserved };

	return ioctl(dom, DOMUS_XEN_EVTCHN_NOTIFY, &n) < 0 ? -errno : 0;
}

static void t_xen_params(int plain, int dom)
{
	uint64_t v = 0;
	int r;

	param_fail("xen-param-plain-domain", plain, DOMUS_XEN_GET_PARAM, 1, 0, 0, E(ENOTTY));
	param_fail("xen-set-param-plain-domain", plain, DOMUS_XEN_SET_PARAM, 1, 5, 0, E(ENOTTY));
	param_fail("xen-param-index-40", dom, DOMUS_XEN_GET_PARAM, DOMUS_XEN_NR_PARAMS, 0, 0, E(EINVAL));
	param_fail("xen-param-index-huge", dom, DOMUS_XEN_SET_PARAM, 0xffffffffu, 0, 0, E(EINVAL));
	param_fail("xen-param-reserved", dom, DOMUS_XEN_GET_PARAM, 1, 0, 1, E(EINVAL));
	param_fail("xen-set-param-callback-irq", dom, DOMUS_XEN_SET_PARAM, 0, 0x40, 0, E(EINVAL));
	param_fail("xen-set-param-not-settable", dom, DOMUS_XEN_SET_PARAM, 3, 1, 0, E(EINVAL));
	param_fail("xen-set-param-evtchn-1024", dom, DOMUS_XEN_SET_PARAM, 2, 1024, 0, E(EINVAL));
	param_fail("xen-set-param-pfn-2^36", dom, DOMUS_XEN_SET_PARAM, 17, 1ULL << 36, 0, E(EINVAL));
	expect_fail("xen-param-bad-pointer", dom, DOMUS_XEN_GET_PARAM, (void *)0x10, E(EFAULT));
	/* the settable ones round-trip; "late xenstore" all-ones is a valid PFN */
	r = param(dom, DOMUS_XEN_SET_PARAM, 1, ~0ULL, NULL);
	if (!r)
		r = param(dom, DOMUS_XEN_GET_PARAM, 1, 0, &v);
	result("badarg/xen-param-store-pfn-late", !r && v == ~0ULL, "STORE_PFN all-ones: %d, read 0x%llx",
	       r, (unsigned long long)v);
	r = param(dom, DOMUS_XEN_SET_PARAM, 18, 1023, NULL);
	if (!r)
		r = param(dom, DOMUS_XEN_GET_PARAM, 18, 0, &v);
	result("badarg/xen-param-console-evtchn-1023", !r && v == 1023, "CONSOLE_EVTCHN 1023: %d, read %llu",
	       r, (unsigned long long)v);
	r = param(dom, DOMUS_XEN_GET_PARAM, 39, 0, &v);
	result("badarg/xen-param-read-39", !r && v == 0, "GET_PARAM 39: %d, value %llu", r, (unsigned long long)v);
}

static void t_xen_evtchn(int plain, int dom)
{
	struct domus_xen_evtchn_bind b, l;
	int nfd = eventfd(0, EFD_CLOEXEC), kfd = eventfd(0, EFD_CLOEXEC), closed = dup(nfd);
	int r, n, ok;

	close(closed);
	bind_fail("evtchn-plain-domain", plain, 0, 0, 0, -1, -1, 0, E(ENOTTY));
	bind_fail("evtchn-two-flags", dom, DOMUS_XEN_EVTCHN_ATTACH | DOMUS_XEN_EVTCHN_LISTEN, 0, 0, -1, -1, 0,
		  E(EINVAL));
	bind_fail("evtchn-unknown-flag", dom, 8, 0, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-reserved", dom, 0, 0, 0, -1, -1, 1, E(EINVAL));
	bind_fail("evtchn-port-with-flags-0", dom, 0, 5, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-port-with-listen", dom, DOMUS_XEN_EVTCHN_LISTEN, 5, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-backend-port-in", dom, 0, 0, 3, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-notify-not-eventfd", dom, 0, 0, 0, devfd, -1, 0, E(EINVAL));
	bind_fail("evtchn-kick-not-eventfd", dom, 0, 0, 0, -1, devfd, 0, E(EINVAL));
	bind_fail("evtchn-same-eventfd", dom, 0, 0, 0, nfd, nfd, 0, E(EINVAL));
	bind_fail("evtchn-notify-closed-fd", dom, 0, 0, 0, closed, -1, 0, E(EBADF));
	bind_fail("evtchn-attach-port-0", dom, DOMUS_XEN_EVTCHN_ATTACH, 0, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-attach-port-1024", dom, DOMUS_XEN_EVTCHN_ATTACH, 1024, 0, -1, -1, 0, E(EINVAL));
	/* no guest port 7 exists (the guest made no alloc_unbound) */
	bind_fail("evtchn-attach-free-port", dom, DOMUS_XEN_EVTCHN_ATTACH, 7, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-close-port-0", dom, DOMUS_XEN_EVTCHN_CLOSE, 0, 0, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-close-port-65", dom, DOMUS_XEN_EVTCHN_CLOSE, 0, 65, -1, -1, 0, E(EINVAL));
	bind_fail("evtchn-close-unused", dom, DOMUS_XEN_EVTCHN_CLOSE, 0, 9, -1, -1, 0, E(EINVAL));

	/* flags 0: a connected pair; NOTIFY raises it */
	r = bind(dom, 0, 0, 0, nfd, kfd, &b);
	result("badarg/evtchn-connected-pair", !r && b.port >= 1 && b.port < 1024 && b.backend_port >= 1 &&
	       b.backend_port <= DOMUS_XEN_MAX_BACKEND_PORTS, "BIND flags 0: %d, port %u backend_port %u",
	       r, b.port, b.backend_port);
	r = notify(dom, b.port, 0);
	result("badarg/evtchn-notify-connected", r == 0, "NOTIFY of connected port %u: %d", b.port, r);
	r = notify(dom, b.port, 1);
	result("badarg/evtchn-notify-reserved", r == -EINVAL, "NOTIFY with reserved set: %d, want -EINVAL", r);
	r = notify(dom, 0, 0);
	result("badarg/evtchn-notify-port-0", r == -EINVAL, "NOTIFY of port 0: %d, want -EINVAL", r);
	r = notify(dom, 1024, 0);
	result("badarg/evtchn-notify-port-1024", r == -EINVAL, "NOTIFY of port 1024: %d, want -EINVAL", r);
	r = notify(dom, b.port + 1, 0);
	result("badarg/evtchn-notify-unbound", r == -EINVAL, "NOTIFY of free port %u: %d, want -EINVAL",
	       b.port + 1, r);
	r = notify(plain, 1, 0);
	result("badarg/evtchn-notify-plain-domain", r == -ENOTTY, "NOTIFY on a plain domain: %d, want -ENOTTY", r);

	/* LISTEN: a backend port without a guest port */
	r = bind(dom, DOMUS_XEN_EVTCHN_LISTEN, 0, 0, -1, -1, &l);
	result("badarg/evtchn-listen", !r && l.port == 0 && l.backend_port >= 1 &&
	       l.backend_port <= DOMUS_XEN_MAX_BACKEND_PORTS && l.backend_port != b.backend_port,
	       "LISTEN: %d, port %u backend_port %u (first pair's %u)", r, l.port, l.backend_port, b.backend_port);

	/* CLOSE: the guest port becomes unbound; NOTIFY then fails; the backend port is free again */
	r = bind(dom, DOMUS_XEN_EVTCHN_CLOSE, 0, b.backend_port, -1, -1, NULL);
	result("badarg/evtchn-close", r == 0, "CLOSE of backend port %u: %d", b.backend_port, r);
	r = notify(dom, b.port, 0);
	result("badarg/evtchn-notify-after-close", r == -EINVAL,
	       "NOTIFY of guest port %u after its backend closed: %d, want -EINVAL", b.port, r);
	r = bind(dom, DOMUS_XEN_EVTCHN_CLOSE, 0, b.backend_port, -1, -1, NULL);
	result("badarg/evtchn-close-twice", r == -EINVAL, "second CLOSE of backend port %u: %d, want -EINVAL",
	       b.backend_port, r);
	r = bind(dom, DOMUS_XEN_EVTCHN_CLOSE, 0, l.backend_port, -1, -1, NULL);
	result("badarg/evtchn-close-listening", r == 0, "CLOSE of listening backend port %u: %d", l.backend_port, r);

	/* ENOSPC: 64 backend ports at most (each LISTEN takes one, no guest port) */
	for (n = 0; n < DOMUS_XEN_MAX_BACKEND_PORTS + 1; n++) {
		r = bind(dom, DOMUS_XEN_EVTCHN_LISTEN, 0, 0, -1, -1, NULL);
		if (r)
			break;
	}
	ok = r == -ENOSPC && n == DOMUS_XEN_MAX_BACKEND_PORTS;
	result("badarg/evtchn-64-backend-ports", ok, "%d LISTENs succeeded, then %d (want 64, then -ENOSPC)", n, r);
	close(nfd);
	close(kfd);
}

static void t_xen_gnttab(int plain, int dom)
{
	void *p;
	unsigned int i, nonzero = 0, version = 0;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, plain, DOMUS_XEN_GNTTAB_MMAP_OFFSET);
	result("badarg/gnttab-mmap-plain-domain", p == MAP_FAILED && errno == ENODEV,
	       "mmap of a plain domain fd: %s, want ENODEV", p == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dom,
		 DOMUS_XEN_GNTTAB_MMAP_OFFSET + DOMUS_XEN_GNTTAB_MMAP_PAGES * 4096UL);
	result("badarg/gnttab-mmap-page-37", p == MAP_FAILED && errno == EINVAL,
	       "mmap of grant page 37: %s, want EINVAL", p == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, (DOMUS_XEN_GNTTAB_MMAP_PAGES + 1) * 4096UL, PROT_READ | PROT_WRITE, MAP_SHARED, dom,
		 DOMUS_XEN_GNTTAB_MMAP_OFFSET);
	result("badarg/gnttab-mmap-38-pages", p == MAP_FAILED && errno == EINVAL,
	       "mmap of 38 grant pages: %s, want EINVAL", p == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, (DOMUS_XEN_GNTTAB_MMAP_PAGES + 1) * 4096UL);
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dom,
		 DOMUS_XEN_GNTTAB_MMAP_OFFSET + (DOMUS_XEN_GNTTAB_MMAP_PAGES - 1) * 4096UL);
	result("badarg/gnttab-mmap-straddles-end", p == MAP_FAILED && errno == EINVAL,
	       "mmap of pages 36-37: %s, want EINVAL", p == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 2 * 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, dom, DOMUS_XEN_GNTTAB_MMAP_OFFSET);
	result("badarg/gnttab-mmap-private", p == MAP_FAILED && errno == EINVAL,
	       "MAP_PRIVATE mmap: %s, want EINVAL", p == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	/*
	 * all 37 pages map; frames the guest has not placed read as zero, the
	 * control page says version 1
	 */
	p = mmap(NULL, DOMUS_XEN_GNTTAB_MMAP_PAGES * 4096UL, PROT_READ | PROT_WRITE, MAP_SHARED, dom,
		 DOMUS_XEN_GNTTAB_MMAP_OFFSET);
	if (p != MAP_FAILED) {
		for (i = 0; i < DOMUS_XEN_GNTTAB_CTL_PAGE * 4096 / 8; i++)
			nonzero += ((volatile uint64_t *)p)[i] != 0;
		version = ((volatile struct domus_xen_gnttab_ctl *)((uint8_t *)p + DOMUS_XEN_GNTTAB_CTL_PAGE * 4096))->version;
		munmap(p, DOMUS_XEN_GNTTAB_MMAP_PAGES * 4096UL);
	}
	{
		struct domus_xen_gnttab_limit l = { .max_version = 3 };
		int r1 = ioctl(dom, DOMUS_XEN_GNTTAB_LIMIT, &l), e1 = errno, r2, e2, r3, e3;

		l.max_version = 0;
		r2 = ioctl(dom, DOMUS_XEN_GNTTAB_LIMIT, &l);
		e2 = errno;
		l.max_version = 2;
		l.reserved[2] = 1;
		r3 = ioctl(dom, DOMUS_XEN_GNTTAB_LIMIT, &l);
		e3 = errno;
		result("badarg/gnttab-limit-bad", r1 < 0 && e1 == EINVAL && r2 < 0 && e2 == EINVAL && r3 < 0 && e3 == EINVAL,
		       "DOMUS_XEN_GNTTAB_LIMIT 3, 0, reserved: %d/%d/%d (want EINVAL each)", r1 ? e1 : 0, r2 ? e2 : 0,
		       r3 ? e3 : 0);
		l.reserved[2] = 0;
		r1 = ioctl(plain, DOMUS_XEN_GNTTAB_LIMIT, &l);
		result("badarg/gnttab-limit-plain-domain", r1 < 0 && errno == ENOTTY, "on a plain domain: %d (%s), want ENOTTY",
		       r1, r1 ? strerrorname_np(errno) : "ok");
	}
	result("badarg/gnttab-mmap-37-pages-zero", p != MAP_FAILED && !nonzero && version == 1,
	       "mmap of all 37 pages: %s, %u non-zero qwords, control page version %u (want 1)",
	       p == MAP_FAILED ? strerrorname_np(errno) : "mapped", nonzero, version);
}

/*
 * DOMUS_XEN_GET/SET_VCPU_STATE: vCPU 0 runs and an AP waits for its
 * STARTUP at creation; SET round-trips; bad arguments refused.
 */
static int vstate(int dom, unsigned long cmd, uint32_t vcpu, uint32_t flags, uint64_t res, uint32_t *out)
{
	struct domus_xen_vcpu_state st;
	int r;

	memset(&st, 0, sizeof(st));
	st.vcpu = vcpu;
	st.flags = flags;
	st.reserved[1] = res;
	r = ioctl(dom, cmd, &st);
	if (out)
		*out = st.flags;
	return r < 0 ? -errno : r;
}

static void t_xen_vcpu_state(int plain, int dom)
{
	struct domus_create_vcpu cv;
	int fd0, fd1, r1, r2, r3, r4, r5;
	uint32_t f0 = ~0u, f1 = ~0u, f2 = ~0u;

	memset(&cv, 0, sizeof(cv));
	fd0 = ioctl(dom, DOMUS_CREATE_VCPU, &cv);
	cv.id = 1;
	fd1 = ioctl(dom, DOMUS_CREATE_VCPU, &cv);
	r1 = vstate(dom, DOMUS_XEN_GET_VCPU_STATE, 0, 0, 0, &f0);
	r2 = vstate(dom, DOMUS_XEN_GET_VCPU_STATE, 1, 0, 0, &f1);
	r3 = vstate(dom, DOMUS_XEN_SET_VCPU_STATE, 1, DOMUS_XEN_VCPU_DOWN, 0, NULL);
	r4 = vstate(dom, DOMUS_XEN_GET_VCPU_STATE, 1, 0, 0, &f2);
	result("badarg/xen-vcpu-state", fd0 >= 0 && fd1 >= 0 && !r1 && !r2 && !r3 && !r4 && f0 == 0 &&
	       f1 == DOMUS_XEN_VCPU_WAIT_SIPI && f2 == DOMUS_XEN_VCPU_DOWN,
	       "vCPUs %d %d; GET 0: %d flags %#x (want 0), GET 1: %d flags %#x (want WAIT_SIPI), SET 1 DOWN: %d, GET: %d flags %#x",
	       fd0, fd1, r1, f0, r2, f1, r3, r4, f2);
	r1 = vstate(dom, DOMUS_XEN_SET_VCPU_STATE, 1, 4, 0, NULL);
	r2 = vstate(dom, DOMUS_XEN_SET_VCPU_STATE, 1, 0, 1, NULL);
	r3 = vstate(dom, DOMUS_XEN_GET_VCPU_STATE, 2, 0, 0, NULL);
	r4 = vstate(dom, DOMUS_XEN_SET_VCPU_STATE, 100000, 0, 0, NULL);
	r5 = vstate(plain, DOMUS_XEN_GET_VCPU_STATE, 0, 0, 0, NULL);
	result("badarg/xen-vcpu-state-bad", r1 == -EINVAL && r2 == -EINVAL && r3 == -EINVAL && r4 == -EINVAL &&
	       r5 == -ENOTTY,
	       "unknown flag %d, reserved %d, no vCPU 2 %d, vCPU 100000 %d (want EINVAL each), plain domain %d (want ENOTTY)",
	       r1, r2, r3, r4, r5);
	if (fd0 >= 0)
		close(fd0);
	if (fd1 >= 0)
		close(fd1);
}

void t_xenargs(void)
{
	int plain = domus_create_domain(devfd), dom = xen_domain();

	if (plain < 0 || dom < 0) {
		result("badarg/xen-setup", 0, "create domains: %d %d (%s)", plain, dom, strerror(errno));
	} else {
		t_xen_params(plain, dom);
		t_xen_evtchn(plain, dom);
		t_xen_gnttab(plain, dom);
		t_xen_vcpu_state(plain, dom);
	}
	if (plain >= 0)
		close(plain);
	if (dom >= 0)
		close(dom);
}
