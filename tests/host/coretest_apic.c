// SPDX-License-Identifier: MIT
/*
 * coretest: the in-kernel x2APIC of Xen domains (LVT timer one-shot,
 * periodic and TSC-deadline; INIT of a running vCPU) and an NMI waking a
 * vCPU halted with interrupts disabled (plain domain).  Guest:
 * tests/guests/apic64.S.
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"

enum { A_ONESHOT = 0, A_NMI_HLT = 1, A_INIT = 2, A_PERIODIC = 3, A_DEADLINE = 4 };

static int apic_vm(struct vm *vm, uint32_t flags, int nvcpus, uint64_t test)
{
	int i, r = vm_create_flags(vm, LM_RAM_SIZE, 0, flags);

	if (!r)
		r = load_guest(vm, "apic64");
	for (i = 0; i < nvcpus && !r; i++) {
		r = vm_add_vcpu(vm, (uint32_t)i);
		if (!r)
			r = setup_lm(vm, &vm->vcpu[i], test, 0, 0, 0);
	}
	return r;
}

static void timer_test(const char *name, uint64_t test, uint32_t want_min, uint32_t want_max)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	double t0;
	int ok, r = apic_vm(&vm, DOMUS_DOMAIN_XEN, 1, test);

	if (r) {
		result(name, 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	t0 = now_ms();
	ok = run_to_pass(&c, "apic64", why, sizeof(why));
	if (ok && (c.nvals != 1 || c.vals[0] < want_min || c.vals[0] > want_max)) {
		ok = 0;
		snprintf(why, sizeof(why), "%u timer interrupts, want %u..%u", c.nvals ? c.vals[0] : 0,
			 want_min, want_max);
	}
	result(name, ok, "%s", why);
	if (ok)
		printf("info: %s: %u interrupts, %.1f ms\n", name, c.vals[0], now_ms() - t0);
	vm_destroy(&vm);
}

void t_apic_timer(void)
{
	timer_test("apic-timer-oneshot", A_ONESHOT, 1, 1);
	/* the guest loop may see several ticks per check under emulation */
	timer_test("apic-timer-periodic", A_PERIODIC, 5, 100000);
	timer_test("apic-timer-tsc-deadline", A_DEADLINE, 1, 1);
}

/* --- NMI wakes HLT with IF = 0 ---------------------------------------------------- */

struct nmi_waker {
	struct domus_vcpu_handle *v;
	pthread_t th;
	int started, ret;
	double at;
};

static void *nmi_waker_thread(void *arg)
{
	struct nmi_waker *w = arg;

	sleep_ms(100);
	w->at = now_ms();
	w->ret = domus_inject_nmi(w->v);
	return NULL;
}

static int sync_nmi_later(struct ctx *c, uint32_t val)
{
	struct nmi_waker *w = c->arg;

	(void)val;
	if (w->started)
		return ctx_err(c, "second rendezvous");
	w->started = 1;
	if (pthread_create(&w->th, NULL, nmi_waker_thread, w))
		return ctx_err(c, "pthread_create failed");
	return 0;
}

void t_nmi_halt(void)
{
	struct nmi_waker w;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	double t1;
	int ok, r = apic_vm(&vm, 0, 1, A_NMI_HLT);

	if (r) {
		result("nmi-wakes-hlt-if0", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.v = &vm.vcpu[0];
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_nmi_later;
	c.arg = &w;
	vm.vcpu[0].run->flags = 0;	/* HLT blocks in the kernel */
	ok = run_to_pass(&c, "apic64", why, sizeof(why));
	t1 = now_ms();
	if (w.started)
		pthread_join(w.th, NULL);
	if (ok && (!w.started || w.ret)) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_NMI from the second thread: started %d, %d", w.started, w.ret);
	}
	if (ok && (c.nvals != 1 || c.vals[0] != 1)) {
		ok = 0;
		snprintf(why, sizeof(why), "NMI handler count %u, want 1", c.nvals ? c.vals[0] : 0);
	}
	if (ok && t1 < w.at) {
		ok = 0;
		snprintf(why, sizeof(why), "the guest finished before the NMI was sent (HLT did not block)");
	}
	result("nmi-wakes-hlt-if0", ok, "%s", why);
	if (ok)
		printf("info: nmi-wakes-hlt-if0: woke %.2f ms after the NMI\n", t1 - w.at);
	vm_destroy(&vm);
}

/* --- INIT of a running vCPU ---------------------------------------------------------- */

void t_init_running(void)
{
	struct ap_runner ap;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = apic_vm(&vm, DOMUS_DOMAIN_XEN, 2, A_INIT);

	if (r) {
		result("apic-init-running-vcpu", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ap_start(&ap, &vm.vcpu[1], 1);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "apic64", why, sizeof(why));
	if (ap_finish(&ap) && ok) {
		ok = 0;
		snprintf(why, sizeof(why), "%s", ap.why);
	}
	if (ok && (c.nvals != 2 || !c.vals[0] || c.vals[1] != c.vals[0])) {
		ok = 0;
		snprintf(why, sizeof(why), "vCPU 1 counter %u at INIT, %u after the second STARTUP (%d values)",
			 c.nvals ? c.vals[0] : 0, c.nvals > 1 ? c.vals[1] : 0, c.nvals);
	}
	result("apic-init-running-vcpu", ok, "%s", why);
	if (ok)
		printf("info: apic-init-running-vcpu: vCPU 1 counted to %u before the INIT\n", c.vals[0]);
	vm_destroy(&vm);
}

/* --- xAPIC mode and the APIC base (guest tests 5-8) ------------------------------------ */

enum { A_XAPIC_REGS = 5, A_XAPIC_TIMER_IPI = 6, A_MODES = 7, A_RELOCATE = 8 };

struct undecoded {
	unsigned long reads, writes;
};

/*
 * domus_run() that answers accesses to 0xfe000000-0xffffffff itself: the
 * APIC pages the kernel does not decode (outside xAPIC mode, or the old
 * base after a move) read 0xa5a5a5a5.
 */
static int run_undecoded(struct ctx *c)
{
	struct undecoded *u = c->arg;

	for (;;) {
		int r = domus_run(c->v);
		struct domus_run *run = c->v->run;
		uint64_t all = 0xa5a5a5a5a5a5a5a5ULL;

		if (r || run->exit_reason != DOMUS_EXIT_MMIO || run->mmio.gpa < 0xfe000000ULL ||
		    run->mmio.gpa >= 0x100000000ULL || run->mmio.len > 8)
			return r;
		if (run->mmio.is_write) {
			u->writes++;
		} else {
			u->reads++;
			memcpy(run->mmio.data, &all, run->mmio.len);
		}
	}
}

static void xapic_test(const char *name, uint64_t test, unsigned long want_undecoded)
{
	struct undecoded u = { 0, 0 };
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	double t0;
	int ok, r = apic_vm(&vm, DOMUS_DOMAIN_XEN, 1, test);

	if (r) {
		result(name, 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.run_hook = run_undecoded;
	c.arg = &u;
	t0 = now_ms();
	ok = run_to_pass(&c, "apic64", why, sizeof(why));
	if (ok && (u.reads != want_undecoded || u.writes)) {
		ok = 0;
		snprintf(why, sizeof(why), "%lu reads, %lu writes of the APIC page reached userspace, want %lu and 0",
			 u.reads, u.writes, want_undecoded);
	}
	result(name, ok, "%s", why);
	if (ok) {
		printf("info: %s: %.1f ms, values", name, now_ms() - t0);
		for (r = 0; r < c.nvals; r++)
			printf(" %u", c.vals[r]);
		printf("\n");
	}
	vm_destroy(&vm);
}

void t_apic_xapic(void)
{
	xapic_test("apic-xapic-regs", A_XAPIC_REGS, 0);
	xapic_test("apic-xapic-timer-ipi", A_XAPIC_TIMER_IPI, 0);
	xapic_test("apic-base-modes", A_MODES, 2);
	xapic_test("apic-xapic-relocate", A_RELOCATE, 1);
}
