// SPDX-License-Identifier: MIT
/*
 * coretest: bad ioctl arguments
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <sys/wait.h>

/* --- bad arguments ----------------------------------------------------------------- */

int errno_in(int got, const int *want)
{
	for (; *want; want++)
		if (got == *want)
			return 1;
	return 0;
}

const char *errnames(const int *want, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (; *want && used < len; want++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "|" : "", strerrorname_np(*want));
	return buf;
}

/* ioctl that must fail with one of @want */
void expect_fail(const char *name, int fd, unsigned long cmd, void *arg, const int *want)
{
	char full[96], buf[64];
	int r = ioctl(fd, cmd, arg);
	int err = r < 0 ? errno : 0;

	snprintf(full, sizeof(full), "badarg/%s", name);
	if (r >= 0 && (cmd == DOMUS_CREATE_DOMAIN || cmd == DOMUS_CREATE_VCPU))
		close(r);
	result(full, r < 0 && errno_in(err, want), "returned %d (%s), want %s", r,
	       r < 0 ? strerrorname_np(err) : "success", errnames(want, buf, sizeof(buf)));
}

static void slot_fail(const char *name, int domfd, uint32_t slot, uint64_t gpa, uint64_t size,
		      uint64_t uaddr, uint32_t flags, uint64_t reserved0, const int *want)
{
	struct domus_mem_slot s;

	memset(&s, 0, sizeof(s));
	s.slot = slot;
	s.gpa = gpa;
	s.size = size;
	s.uaddr = uaddr;
	s.flags = flags;
	s.reserved[0] = reserved0;
	expect_fail(name, domfd, DOMUS_SET_MEM_SLOT, &s, want);
}

/*
 * SET_REGS, SET_EVENTS (docs/abi.md): RFLAGS reserved bits forced to their
 * fixed values (bit 1 set; 3, 5, 15, 22-63 clear), bad pointers EFAULT,
 * events with reserved/pad bytes or exception vector >= 32: EINVAL; a
 * pending interrupt vector < 32 is fine in this plain domain.  A rejected SET_EVENTS changes nothing.
 */
static void badargs_vcpu_state(int dom)
{
	static const uint64_t rflags_reserved = (1ULL << 3) | (1ULL << 5) | (1ULL << 15) | ~((1ULL << 22) - 1);
	struct domus_regs regs;
	struct domus_events e, g;
	struct domus_vcpu_handle v;
	int r = domus_create_vcpu(dom, 4, &v);

	if (r) {
		result("badarg/vcpu-state-setup", 0, "%s", domus_last_error());
		return;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = ~0ULL;
	r = domus_set_regs(&v, &regs);
	if (!r)
		r = domus_get_regs(&v, &regs);
	result("badarg/regs-rflags-reserved", !r && (regs.rflags & 2) && !(regs.rflags & rflags_reserved),
	       "SET_REGS rflags ~0: %s, read back 0x%llx (want bit 1 set, bits 3, 5, 15, 22-63 clear)",
	       r ? domus_last_error() : "ok", (unsigned long long)regs.rflags);
	regs.rflags = 0;
	r = domus_set_regs(&v, &regs);
	if (!r)
		r = domus_get_regs(&v, &regs);
	result("badarg/regs-rflags-fixed-bit", !r && regs.rflags == 2,
	       "SET_REGS rflags 0: read back 0x%llx, want 0x2", (unsigned long long)regs.rflags);
	expect_fail("regs-bad-pointer", v.fd, DOMUS_SET_REGS, (void *)0x10, E(EFAULT));
	expect_fail("get-regs-bad-pointer", v.fd, DOMUS_GET_REGS, (void *)0x10, E(EFAULT));

	memset(&e, 0, sizeof(e));
	e.exception.pending = 1;
	e.exception.nr = 32;
	expect_fail("events-exception-vector-32", v.fd, DOMUS_SET_EVENTS, &e, E(EINVAL));
	memset(&e, 0, sizeof(e));
	e.interrupt.pending = 1;
	e.interrupt.nr = 8;	/* a plain (HVM) domain's 8259 vector: accepted */
	r = domus_set_events(&v, &e);
	result("badarg/events-interrupt-vector-8-plain", r == 0,
	       "SET_EVENTS interrupt 8 on a plain domain: %s (want ok)", r ? domus_last_error() : "ok");
	memset(&e, 0, sizeof(e));
	e.reserved[3] = 1;
	expect_fail("events-reserved", v.fd, DOMUS_SET_EVENTS, &e, E(EINVAL));
	memset(&e, 0, sizeof(e));
	e.nmi.pad[5] = 1;
	expect_fail("events-nmi-pad", v.fd, DOMUS_SET_EVENTS, &e, E(EINVAL));
	memset(&e, 0, sizeof(e));
	e.interrupt.pad[2] = 1;
	expect_fail("events-interrupt-pad", v.fd, DOMUS_SET_EVENTS, &e, E(EINVAL));
	expect_fail("events-bad-pointer", v.fd, DOMUS_SET_EVENTS, (void *)0x10, E(EFAULT));
	r = domus_get_events(&v, &g);
	memset(&e, 0, sizeof(e));
	result("badarg/events-unchanged", !r && !memcmp(&e, &g, sizeof(e)),
	       "after the rejected DOMUS_SET_EVENTS calls the vCPU has events pending (%s)",
	       r ? domus_last_error() : "state differs");
	domus_vcpu_close(&v);
}

void t_badargs(void)
{
	struct domus_create_domain cd;
	struct domus_create_vcpu cv;
	struct domus_interrupt irq;
	struct domus_cpuid cpuid;
	struct domus_msrs msrs;
	struct domus_sregs s;
	struct domus_fpu *f;
	struct domus_global_stats gs;
	struct domus_vcpu_handle v;
	struct vm vm;
	uint8_t *mem;
	uint64_t u;
	void *p;
	int dom, closed, r;
	pid_t pid;

	if (vm_create(&vm, 0x10000, 0)) {
		result("badarg/setup", 0, "%s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	dom = vm.fd;
	mem = domus_guest_alloc(0x40000);
	u = (uint64_t)(uintptr_t)mem;

	/* slots */
	slot_fail("slot-unaligned-gpa", dom, 2, 0x100800, 0x1000, u, 0, 0, E(EINVAL));
	slot_fail("slot-unaligned-size", dom, 2, 0x100000, 0x1800, u, 0, 0, E(EINVAL));
	slot_fail("slot-unaligned-uaddr", dom, 2, 0x100000, 0x1000, u + 8, 0, 0, E(EINVAL));
	slot_fail("slot-overlap", dom, 2, 0x8000, 0x10000, u, 0, 0, E(EEXIST));
	slot_fail("slot-id-in-use", dom, 0, 0x100000, 0x1000, u, 0, 0, E(EEXIST));
	slot_fail("slot-id-too-big", dom, caps.max_slots ? caps.max_slots : 32, 0x100000, 0x1000, u, 0, 0, E(EINVAL));
	slot_fail("slot-id-huge", dom, 0xffffffffu, 0x100000, 0x1000, u, 0, 0, E(EINVAL));
	slot_fail("slot-bad-flags", dom, 2, 0x100000, 0x1000, u, 0x80, 0, E(EINVAL));
	slot_fail("slot-reserved", dom, 2, 0x100000, 0x1000, u, 0, 1, E(EINVAL));
	slot_fail("slot-size-over-64g", dom, 2, 0x100000000ULL, 65ULL << 30, u, 0, 0, E(E2BIG));
	slot_fail("slot-size-huge", dom, 2, 0, ~0xfffULL, u, 0, 0, E(E2BIG));
	/*
	 * uaddr: a user address with 32 GiB of user address space above it
	 * (never mapped: the RAM check comes before pinning).  The RAM area
	 * @u may lie within 32 GiB of the top of user space (mmap ASLR), and
	 * then the range check gives EFAULT (a flake seen once in 45-core-amd).
	 */
	slot_fail("slot-size-beyond-ram", dom, 2, 0x100000000ULL, 32ULL << 30, 1ULL << 40, 0, 0, E(ENOMEM));
	slot_fail("slot-gpa-beyond-limit", dom, 2, 1ULL << 52, 0x1000, u, 0, 0, E(EINVAL));
	slot_fail("slot-uaddr-kernel", dom, 2, 0x100000, 0x1000, 0xffff888000000000ULL, 0, 0, E(EFAULT));
	slot_fail("slot-uaddr-unmapped", dom, 2, 0x100000, 0x1000, 0x1000, 0, 0, E(EFAULT));
	slot_fail("slot-delete-missing", dom, 5, 0, 0, 0, 0, 0, E(ENOENT));
	r = domus_set_slot(dom, 2, 0x100000, 0x40000, mem, 0);
	result("badarg/slot-add-ok", r == 0, "%s", domus_last_error());
	r = domus_set_slot(dom, 2, 0, 0, NULL, 0);
	result("badarg/slot-delete-ok", r == 0, "%s", domus_last_error());
	r = domus_set_slot(dom, 2, 0x200000, 0x40000, mem, 0);
	result("badarg/slot-reuse-after-delete", r == 0, "%s", domus_last_error());

	/* create domain */
	memset(&cd, 0, sizeof(cd));
	cd.flags = 1u << 31;		/* undefined flag */
	expect_fail("domain-flags", devfd, DOMUS_CREATE_DOMAIN, &cd, E(EINVAL));
	memset(&cd, 0, sizeof(cd));
	cd.reserved[6] = 1;
	expect_fail("domain-reserved", devfd, DOMUS_CREATE_DOMAIN, &cd, E(EINVAL));
	memset(&gs, 0, sizeof(gs));
	gs.reserved[0] = 1;
	expect_fail("global-stats-reserved", devfd, DOMUS_GET_GLOBAL_STATS, &gs, E(EINVAL));

	/* cpuid (before any vCPU exists: afterwards the table is fixed) */
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.nent = DOMUS_MAX_CPUID_ENTRIES + 1;
	expect_fail("cpuid-too-many", dom, DOMUS_SET_CPUID, &cpuid, E(EINVAL));
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.reserved[1] = 1;
	expect_fail("cpuid-reserved", dom, DOMUS_SET_CPUID, &cpuid, E(EINVAL));
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.nent = 4;
	cpuid.entries = 0x10;
	expect_fail("cpuid-bad-pointer", dom, DOMUS_SET_CPUID, &cpuid, E(EFAULT));

	/* vCPUs */
	memset(&cv, 0, sizeof(cv));
	cv.id = caps.max_vcpus ? caps.max_vcpus : 64;
	expect_fail("vcpu-id-too-big", dom, DOMUS_CREATE_VCPU, &cv, E(EINVAL));
	cv.id = 0;
	cv.reserved[0] = 1;
	expect_fail("vcpu-reserved", dom, DOMUS_CREATE_VCPU, &cv, E(EINVAL));
	r = domus_create_vcpu(dom, 3, &v);
	result("badarg/vcpu-create-ok", r == 0, "%s", domus_last_error());
	memset(&cv, 0, sizeof(cv));
	cv.id = 3;
	expect_fail("vcpu-duplicate-id", dom, DOMUS_CREATE_VCPU, &cv, E(EEXIST));

	if (r == 0) {
		/* vCPU ioctls */
		memset(&irq, 0, sizeof(irq));
		irq.vector = 0;	/* plain domain: any vector (coretest_irq.c for Xen's) */
		r = ioctl(v.fd, DOMUS_INTERRUPT, &irq);
		result("badarg/irq-vector-0-plain", r == 0, "DOMUS_INTERRUPT 0 on a plain domain: %s (want ok)",
		       r ? strerror(errno) : "ok");
		irq.vector = 256;
		expect_fail("irq-vector-above-255", v.fd, DOMUS_INTERRUPT, &irq, E(EINVAL));
		irq.vector = 0x40;
		irq.reserved = 1;
		expect_fail("irq-reserved", v.fd, DOMUS_INTERRUPT, &irq, E(EINVAL));
		memset(&msrs, 0, sizeof(msrs));
		msrs.nmsrs = DOMUS_MAX_MSR_ENTRIES + 1;
		expect_fail("msrs-too-many", v.fd, DOMUS_GET_MSRS, &msrs, E(EINVAL));
		memset(&msrs, 0, sizeof(msrs));
		msrs.reserved0 = 1;
		expect_fail("msrs-reserved", v.fd, DOMUS_SET_MSRS, &msrs, E(EINVAL));
		memset(&msrs, 0, sizeof(msrs));
		msrs.nmsrs = 1;
		msrs.entries = 0x10;
		expect_fail("msrs-bad-pointer", v.fd, DOMUS_GET_MSRS, &msrs, E(EFAULT));
		{
			/*
			 * Values a host WRMSR or the next entry would fault on
			 * (issue 10): SYSCALL_MASK's reserved upper half, a
			 * non-canonical LSTAR.  Refused: nothing processed.
			 */
			struct domus_msr_entry bad[] = {
				{ .index = 0xc0000084, .data = 1ULL << 32 },	/* SYSCALL_MASK */
				{ .index = 0xc0000082, .data = 1ULL << 47 },	/* LSTAR */
			};
			unsigned int k;

			for (k = 0; k < 2; k++) {
				r = domus_set_msrs(&v, &bad[k], 1);
				result(k ? "badarg/msr-lstar-noncanonical" : "badarg/msr-sfmask-upper",
				       r == 0, "DOMUS_SET_MSRS of %#x = %#llx: %d entries taken, want 0",
				       bad[k].index, (unsigned long long)bad[k].data, r);
			}
		}
		domus_get_sregs(&v, &s);
		s.reserved[0] = 1;
		expect_fail("sregs-reserved", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.cr0 = (1ULL << 31) | (1ULL << 4);	/* PG without PE */
		expect_fail("sregs-pg-without-pe", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.efer |= 1ULL << 20;		/* undefined EFER bit */
		expect_fail("sregs-bad-efer", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.apic_base |= 1ULL << 9;	/* reserved APIC base bit */
		expect_fail("sregs-apic-base-reserved", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.apic_base = (s.apic_base & ~(1ULL << 11)) | (1ULL << 10);	/* EXTD without EN */
		expect_fail("sregs-apic-base-invalid-state", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		f = calloc(1, sizeof(*f));
		if (f) {
			domus_get_fpu(&v, f);
			f->xcr0 = 0;		/* x87 is mandatory */
			expect_fail("fpu-xcr0-zero", v.fd, DOMUS_SET_FPU, f, E(EINVAL));
			domus_get_fpu(&v, f);
			f->reserved[0] = 1;
			expect_fail("fpu-reserved", v.fd, DOMUS_SET_FPU, f, E(EINVAL));
			free(f);
		}
		v.run->flags = 1u << 7;
		expect_fail("run-bad-flags", v.fd, DOMUS_RUN, NULL, E(EINVAL));
		v.run->flags = 0;
		expect_fail("run-nonzero-arg", v.fd, DOMUS_RUN, (void *)1, E(EINVAL));
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 4096);
		result("badarg/mmap-offset", p == MAP_FAILED, "mmap of the run page at offset 4096 succeeded");
		if (p != MAP_FAILED)
			munmap(p, 4096);
		p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 0);
		result("badarg/mmap-size", p == MAP_FAILED, "mmap of 8 KiB of the vCPU fd succeeded");
		if (p != MAP_FAILED)
			munmap(p, 8192);
		/* wrong fd types */
		slot_fail("wrong-fd-slot-on-vcpu", v.fd, 3, 0x300000, 0x1000, u, 0, 0, E(ENOTTY));
		expect_fail("wrong-fd-run-on-domain", dom, DOMUS_RUN, NULL, E(ENOTTY));
		expect_fail("wrong-fd-create-domain-on-vcpu", v.fd, DOMUS_CREATE_DOMAIN, &cd, E(ENOTTY));
		/* a vCPU fd in another process */
		pid = fork();
		if (pid == 0) {
			struct domus_regs regs;

			_exit(ioctl(v.fd, DOMUS_GET_REGS, &regs) < 0 && errno == EIO ? 0 :
			      ioctl(v.fd, DOMUS_GET_REGS, &regs) < 0 ? 2 : 1);
		} else {
			int st = 0;

			waitpid(pid, &st, 0);
			result("badarg/vcpu-other-process", WIFEXITED(st) && WEXITSTATUS(st) == 0,
			       "ioctl on an inherited vCPU fd in a child: %s",
			       WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "succeeded" : "failed with another errno than EIO");
		}
		pid = fork();
		if (pid == 0) {
			_exit(domus_set_slot(dom, 6, 0x400000, 0x1000, mem, 0) == -EIO ? 0 : 1);
		} else {
			int st = 0;

			waitpid(pid, &st, 0);
			result("badarg/domain-other-process", WIFEXITED(st) && WEXITSTATUS(st) == 0,
			       "DOMUS_SET_MEM_SLOT on an inherited domain fd in a child did not fail with EIO");
		}
		domus_vcpu_close(&v);
	}
	/* domain statistics (docs/abi.md: reserved must be zero) */
	{
		struct domus_domain_stats st;

		memset(&st, 0, sizeof(st));
		st.reserved[4] = 1;
		expect_fail("stats-reserved", dom, DOMUS_GET_STATS, &st, E(EINVAL));
		expect_fail("stats-bad-pointer", dom, DOMUS_GET_STATS, (void *)0x10, E(EFAULT));
		expect_fail("stats-on-vcpu-or-dev", devfd, DOMUS_GET_STATS, &st, E(ENOTTY));
	}
	badargs_vcpu_state(dom);
	/* domain ioctls on /dev/domus, bad fds */
	slot_fail("wrong-fd-slot-on-dev", devfd, 3, 0x300000, 0x1000, u, 0, 0, E(ENOTTY));
	expect_fail("wrong-fd-cpuid-on-dev", devfd, DOMUS_SET_CPUID, &cpuid, E(ENOTTY));
	memset(&cv, 0, sizeof(cv));
	expect_fail("wrong-fd-vcpu-on-dev", devfd, DOMUS_CREATE_VCPU, &cv, E(ENOTTY));
	expect_fail("wrong-size-ioctl", dom, _IOW(DOMUS_IOCTL_TYPE, 0x10, uint64_t), &u, E(ENOTTY));
	slot_fail("fd-minus-one", -1, 3, 0x300000, 0x1000, u, 0, 0, E(EBADF));
	closed = dup(dom);
	close(closed);
	slot_fail("fd-closed", closed, 3, 0x300000, 0x1000, u, 0, 0, E(EBADF));
	expect_fail("run-fd-closed", closed, DOMUS_RUN, NULL, E(EBADF));
	domus_guest_free(mem, 0x40000);
	vm_destroy(&vm);
}
