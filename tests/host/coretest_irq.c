// SPDX-License-Identifier: MIT
/*
 * coretest: interrupts, NMI, HLT, signals, event state
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <sys/time.h>

/* --- interrupts, NMI, HLT ---------------------------------------------------------- */

static uint32_t inject_vector = 0x40;	/* sync_inject's */

static int sync_inject(struct ctx *c, uint32_t val)
{
	(void)val;
	if (domus_inject_irq(c->v, inject_vector) < 0)
		return ctx_err(c, "%s", domus_last_error());
	return 0;
}

void t_irq(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_IRQ, 0, 0, 0);
	struct domus_domain_stats st;

	if (r) {
		result("irq-inject", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_inject;
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && (c.nvals != 1 || c.vals[0] != 11)) {
		ok = 0;
		snprintf(why, sizeof(why), "handler count %u, want 11", c.nvals ? c.vals[0] : 0);
	}
	result("irq-inject", ok, "%s", why);
	r = domus_domain_stats(vm.fd, &st);
	result("stats-injections", !r && st.stat[DOMUS_STAT_INJECTIONS] >= 11,
	       "DOMUS_STAT_INJECTIONS %llu, want >= 11 (%s)",
	       (unsigned long long)st.stat[DOMUS_STAT_INJECTIONS], r ? domus_last_error() : "");
	vm_destroy(&vm);
}

/*
 * An HVM (plain) domain takes external interrupts on vectors below 32, as
 * the 8259 delivers them (SeaBIOS puts IRQ 0 at vector 8): T_IRQ on
 * vector 8 counts 11 deliveries through a gate that pops no error code
 * (an external interrupt pushes none on any vector), one of them held
 * back while IF = 0 until the guest's STI.  A Xen domain (LAPIC
 * personality) still refuses them, through DOMUS_INTERRUPT and SET_EVENTS.
 */
void t_irq_low(void)
{
	struct domus_interrupt irq = { .vector = 8 };
	struct domus_events e;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_IRQ, 8, 0, 0);

	if (r) {
		result("irq-low-vector-plain", 0, "setup: %s", domus_last_error());
	} else {
		ctx_init(&c, &vm, &vm.vcpu[0], 1);
		c.on_sync = sync_inject;
		inject_vector = 8;
		ok = run_to_pass(&c, "long64", why, sizeof(why));
		inject_vector = 0x40;
		if (ok && (c.nvals != 1 || c.vals[0] != 11)) {
			ok = 0;
			snprintf(why, sizeof(why), "handler count %u, want 11", c.nvals ? c.vals[0] : 0);
		}
		result("irq-low-vector-plain", ok, "vector 8 into a plain domain: %s", why);
	}
	vm_destroy(&vm);

	r = vm_create_flags(&vm, LM_RAM_SIZE, 1, DOMUS_DOMAIN_XEN);
	if (!r)
		r = vm_add_vcpu(&vm, 0);
	if (r) {
		result("irq-low-vector-xen-refused", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	expect_fail("irq-low-vector-xen-refused", vm.vcpu[0].fd, DOMUS_INTERRUPT, &irq, E(EINVAL));
	irq.vector = 32;
	r = ioctl(vm.vcpu[0].fd, DOMUS_INTERRUPT, &irq);
	result("irq-vector-32-xen-ok", r == 0, "DOMUS_INTERRUPT 32 on a Xen domain: %s",
	       r ? strerror(errno) : "ok");
	memset(&e, 0, sizeof(e));
	e.interrupt.pending = 1;
	e.interrupt.nr = 31;
	expect_fail("events-low-vector-xen-refused", vm.vcpu[0].fd, DOMUS_SET_EVENTS, &e, E(EINVAL));
	vm_destroy(&vm);
}

static int sync_nmi(struct ctx *c, uint32_t val)
{
	(void)val;
	if (domus_inject_nmi(c->v) < 0)
		return ctx_err(c, "%s", domus_last_error());
	return 0;
}

void t_nmi(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_NMI, 0, 0, 0);

	if (r) {
		result("nmi-inject", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_nmi;
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	result("nmi-inject", ok, "%s", why);
	vm_destroy(&vm);
}

struct waker {
	struct domus_vcpu_handle *v;
	unsigned int delay_ms;
	int ret;
	double at;
};

static void *waker_thread(void *arg)
{
	struct waker *w = arg;

	sleep_ms(w->delay_ms);
	w->at = now_ms();
	w->ret = domus_inject_irq(w->v, 0x40);
	return NULL;
}

void t_hlt(void)
{
	struct vm vm;
	struct ctx c;
	struct waker w;
	pthread_t th;
	char why[300] = "";
	double t0, t1;
	int ok, r = vm_start(&vm, "long64", T_HLT, 0, 0, 0);

	if (r) {
		result("hlt-wake-by-irq", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	/* (a) no DOMUS_RUN_EXIT_ON_HLT: run blocks until another thread injects */
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	vm.vcpu[0].run->flags = 0;
	w.v = &vm.vcpu[0];
	w.delay_ms = 100;
	w.ret = 0;
	t0 = now_ms();
	pthread_create(&th, NULL, waker_thread, &w);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	t1 = now_ms();
	pthread_join(th, NULL);
	if (ok && w.ret) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_INTERRUPT from the second thread: %d", w.ret);
	}
	if (ok && (c.nvals != 1 || c.vals[0] != 1)) {
		ok = 0;
		snprintf(why, sizeof(why), "handler count %u, want 1", c.nvals ? c.vals[0] : 0);
	}
	if (ok && t1 - t0 < 90) {
		ok = 0;
		snprintf(why, sizeof(why), "the guest finished after %.1f ms, before the injection at 100 ms", t1 - t0);
	}
	result("hlt-wake-by-irq", ok, "%s", why);
	if (ok)
		printf("info: hlt-wake-by-irq: woke %.2f ms after the injection\n", t1 - w.at);
	vm_destroy(&vm);

	/* (b) DOMUS_RUN_EXIT_ON_HLT: HLT exits to userspace */
	r = vm_start(&vm, "long64", T_HLT, 0, 0, 0);
	if (r) {
		result("hlt-exit", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	vm.vcpu[0].run->flags = DOMUS_RUN_EXIT_ON_HLT;
	r = run_guest(&c);
	if (r != DOMUS_EXIT_HLT) {
		result("hlt-exit", 0, "run ended with %s (%d) %s, want hlt",
		       domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "");
		vm_destroy(&vm);
		return;
	}
	vm.vcpu[0].run->flags = 0;
	ok = domus_inject_irq(&vm.vcpu[0], 0x40) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	else
		ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && (c.nvals != 1 || c.vals[0] != 1)) {
		ok = 0;
		snprintf(why, sizeof(why), "handler count %u, want 1", c.nvals ? c.vals[0] : 0);
	}
	result("hlt-exit", ok, "%s", why);
	vm_destroy(&vm);

	/*
	 * (c) DOMUS_RUN_IRQ_WINDOW without EXIT_ON_HLT: userspace holds an
	 * interrupt (as an HVM launcher's PIC does) and the guest's "sti; hlt"
	 * must end the run with the window open, RIP past the HLT, instead of
	 * sleeping on an interrupt only userspace can give.  A waker injects
	 * after 2 s so a regression fails instead of hanging.
	 */
	r = vm_start(&vm, "long64", T_HLT, 0, 0, 0);
	if (r) {
		result("hlt-opens-irq-window", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	vm.vcpu[0].run->flags = DOMUS_RUN_IRQ_WINDOW;
	w.v = &vm.vcpu[0];
	w.delay_ms = 2000;
	w.ret = 0;
	t0 = now_ms();
	pthread_create(&th, NULL, waker_thread, &w);
	r = run_guest(&c);
	t1 = now_ms();
	ok = r == DOMUS_EXIT_IRQ_WINDOW && vm.vcpu[0].run->if_flag == 1 &&
	     vm.vcpu[0].run->ready_for_interrupt == 1 && t1 - t0 < 1500;
	snprintf(why, sizeof(why), "run ended with %s (%d) %.100s after %.0f ms, if_flag %u ready %u (want irq_window at once)",
		 domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "", t1 - t0, vm.vcpu[0].run->if_flag,
		 vm.vcpu[0].run->ready_for_interrupt);
	pthread_join(th, NULL);		/* its injection (at 2 s) is the one the guest takes */
	vm.vcpu[0].run->flags = 0;
	if (ok && w.ret) {
		ok = 0;
		snprintf(why, sizeof(why), "the waker's injection: %d", w.ret);
	}
	if (ok) {
		why[0] = 0;
		ok = run_to_pass(&c, "long64", why, sizeof(why));
	}
	if (ok && (c.nvals != 1 || c.vals[0] != 1)) {
		ok = 0;
		snprintf(why, sizeof(why), "handler count %u, want 1 (the HLT was left behind)", c.nvals ? c.vals[0] : 0);
	}
	result("hlt-opens-irq-window", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- signals ------------------------------------------------------------------------ */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void arm_alarm(unsigned int ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (long)(ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

void t_signal(void)
{
	struct sigaction sa, old;
	struct domus_regs regs;
	struct vm vm;
	struct ctx c;
	uint64_t c1, c2;
	int r, r2;

	r = vm_start(&vm, "long64", T_LOOP, 0, 0, 0);
	if (r) {
		result("signal-eintr", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	alarms = 0;
	arm_alarm(100);
	r = run_guest(&c);
	c1 = *(volatile uint64_t *)(vm.ram + LM_COUNTER);
	result("signal-eintr", r == DOMUS_EXIT_INTR && alarms == 1,
	       "run ended with %s (%d) %s after %d alarms, want -EINTR/DOMUS_EXIT_INTR",
	       domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "", (int)alarms);
	arm_alarm(100);
	r2 = run_guest(&c);
	c2 = *(volatile uint64_t *)(vm.ram + LM_COUNTER);
	domus_get_regs(&vm.vcpu[0], &regs);
	result("signal-resume", r == DOMUS_EXIT_INTR && r2 == DOMUS_EXIT_INTR && c1 > 0 && c2 > c1 &&
	       regs.rip >= GUEST_LOAD && regs.rip < GUEST_LOAD + 0x4000 && regs.rdi == T_LOOP,
	       "second run %d, counter %llu then %llu, rip 0x%llx rdi %llu",
	       r2, (unsigned long long)c1, (unsigned long long)c2,
	       (unsigned long long)regs.rip, (unsigned long long)regs.rdi);
	printf("info: signal: guest counted to %llu in the first run, %llu in the second\n",
	       (unsigned long long)c1, (unsigned long long)(c2 - c1));
	sigaction(SIGALRM, &old, NULL);
	vm_destroy(&vm);
}

void t_events(void)
{
	struct domus_events e, g;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_EVENT, 0, 0, 0);

	if (r) {
		result("events-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ok = domus_get_events(&vm.vcpu[0], &g) == 0;
	memset(&e, 0, sizeof(e));
	if (ok && memcmp(&e, &g, sizeof(e))) {
		ok = 0;
		snprintf(why, sizeof(why), "a new vCPU has events pending");
	}
	e.exception.pending = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x1234;
	e.nmi.masked = 1;
	e.interrupt_shadow = 1;
	ok = ok && domus_set_events(&vm.vcpu[0], &e) == 0 && domus_get_events(&vm.vcpu[0], &g) == 0;
	if (ok && memcmp(&e, &g, sizeof(e))) {
		ok = 0;
		snprintf(why, sizeof(why), "got exception %u/%u/%u/0x%x nmi %u/%u shadow %u",
			 g.exception.pending, g.exception.nr, g.exception.has_error_code,
			 g.exception.error_code, g.nmi.pending, g.nmi.masked, g.interrupt_shadow);
	}
	if (!ok && !why[0])
		snprintf(why, sizeof(why), "%s", domus_last_error());
	result("events-roundtrip", ok, "%s", why);
	memset(&e, 0, sizeof(e));
	domus_set_events(&vm.vcpu[0], &e);
	domus_get_events(&vm.vcpu[0], &g);
	result("events-clear", !memcmp(&e, &g, sizeof(e)), "events still pending after clearing");

	/* a pending exception queued at an exit is delivered to the guest */
	vm_destroy(&vm);

	r = vm_start(&vm, "long64", T_EVENT, 0, 0, 0);
	if (r) {
		result("event-inject-exception", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	for (;;) {
		r = domus_run(&vm.vcpu[0]);
		if (r || vm.vcpu[0].run->exit_reason != DOMUS_EXIT_IO) {
			snprintf(why, sizeof(why), "run %d exit %s", r, domus_exit_name(vm.vcpu[0].run->exit_reason));
			break;
		}
		if (vm.vcpu[0].run->io.port == PORT_SYNC) {
			memset(&e, 0, sizeof(e));
			e.exception.pending = 1;
			e.exception.nr = 13;
			e.exception.has_error_code = 1;
			e.exception.error_code = 0x1234;
			if (domus_set_events(&vm.vcpu[0], &e)) {
				snprintf(why, sizeof(why), "%s", domus_last_error());
				break;
			}
			ok = run_to_pass(&c, "long64", why, sizeof(why));
			if (ok && (c.nvals != 1 || c.vals[0] != 0x1234)) {
				ok = 0;
				snprintf(why, sizeof(why), "guest handler saw error code 0x%x", c.vals[0]);
			}
			break;
		}
	}
	result("event-inject-exception", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- DOMUS_RUN_IRQ_WINDOW ------------------------------------------------------------ */

/* T_IRQ's rendezvous: inject 0x40; at the one with IF = 0 (100) also ask for the window */
static int sync_irq_window(struct ctx *c, uint32_t val)
{
	if (domus_inject_irq(c->v, 0x40) < 0)
		return ctx_err(c, "%s", domus_last_error());
	if (val == 100)
		c->v->run->flags = DOMUS_RUN_IRQ_WINDOW;
	return 0;
}

/*
 * T_IRQ enters with IF = 0 and executes STI first: with the flag set from
 * the start, the first exit must be DOMUS_EXIT_IRQ_WINDOW with IF = 1 and
 * no rendezvous yet.  Later the guest runs with IF = 0 for a while with an
 * interrupt queued and the flag set: the window exit must wait for its
 * STI, and the queued interrupt is still delivered afterwards.
 */
void t_irq_window(void)
{
	struct domus_regs regs;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_IRQ, 0, 0, 0);

	if (r) {
		result("irq-window-at-sti", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	vm.vcpu[0].run->flags = DOMUS_RUN_IRQ_WINDOW;
	r = run_guest(&c);
	ok = r == DOMUS_EXIT_IRQ_WINDOW && c.nsync == 0 && vm.vcpu[0].run->if_flag == 1 &&
	     vm.vcpu[0].run->ready_for_interrupt == 1 && domus_get_regs(&vm.vcpu[0], &regs) == 0 &&
	     (regs.rflags & (1u << 9));
	result("irq-window-at-sti", ok,
	       "first exit %s (%d) %s after %d rendezvous, if_flag %u ready %u rflags 0x%llx (want irq_window, IF set, before any rendezvous)",
	       domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "", c.nsync, vm.vcpu[0].run->if_flag,
	       vm.vcpu[0].run->ready_for_interrupt, (unsigned long long)regs.rflags);
	vm.vcpu[0].run->flags = 0;
	c.on_sync = sync_irq_window;
	r = run_guest(&c);
	ok = r == DOMUS_EXIT_IRQ_WINDOW && c.nsync == 11 && vm.vcpu[0].run->if_flag == 1 &&
	     domus_get_regs(&vm.vcpu[0], &regs) == 0 && (regs.rflags & (1u << 9));
	result("irq-window-waits-for-if", ok,
	       "exit %s (%d) %s after %d rendezvous (want irq_window after 11), if_flag %u rflags 0x%llx",
	       domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "", c.nsync, vm.vcpu[0].run->if_flag,
	       (unsigned long long)regs.rflags);
	vm.vcpu[0].run->flags = 0;
	ok = ok && run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && (c.nvals != 1 || c.vals[0] != 11)) {
		ok = 0;
		snprintf(why, sizeof(why), "handler count %u, want 11", c.nvals ? c.vals[0] : 0);
	}
	result("irq-window-then-inject", ok, "%s", why[0] ? why : "window exit missing");
	vm_destroy(&vm);
}
