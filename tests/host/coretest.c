// SPDX-License-Identifier: MIT
/*
 * coretest: the domus core (domains, slots, vCPUs, run loop, exits, events)
 * exercised from userspace inside a test host with domus.ko loaded.
 * Guests come from build/guests/ (tests/guests/README.md); run from the
 * repository top.  One "PASS: core/<name>" or "FAIL: core/<name>: <why>"
 * line per check (tests/run counts them).
 *
 *   coretest [all | TEST...]   run tests (coretest list: their names)
 *   coretest kvm-busy          expect DOMUS_CREATE_DOMAIN to fail with EBUSY
 *   coretest hold              create a domain, print "holding", wait for a signal
 *   coretest stats-zero        global counters all zero
 */
#include <cpuid.h>
#include <stdatomic.h>
#include "coretest.h"

int failed;
int devfd = -1;
struct domus_caps caps;
int host_avx;

void __attribute__((format(printf, 3, 4)))
result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: core/%s\n", name);
		fflush(stdout);
		return;
	}
	failed = 1;
	printf("FAIL: core/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int vm_create(struct vm *vm, size_t ram_size, int with_ro)
{
	return vm_create_flags(vm, ram_size, with_ro, 0);
}

int vm_create_flags(struct vm *vm, size_t ram_size, int with_ro, uint32_t flags)
{
	struct domus_create_domain cd;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->vcpu[0].fd = vm->vcpu[1].fd = -1;
	memset(&cd, 0, sizeof(cd));
	cd.flags = flags;
	r = flags ? ioctl(devfd, DOMUS_CREATE_DOMAIN, &cd) : domus_create_domain(devfd);
	if (r < 0)
		return flags ? domus_set_error(errno, "DOMUS_CREATE_DOMAIN flags 0x%x: %s", flags, strerror(errno)) : r;
	vm->fd = r;
	vm->ram_size = ram_size;
	vm->ram = domus_guest_alloc(ram_size);
	if (!vm->ram)
		return -ENOMEM;
	r = domus_set_slot(vm->fd, 0, 0, ram_size, vm->ram, 0);
	if (r < 0)
		return r;
	if (with_ro) {
		uint64_t *q;
		size_t i;

		vm->ro = domus_guest_alloc(LM_RO_SIZE);
		if (!vm->ro)
			return -ENOMEM;
		q = (uint64_t *)vm->ro;
		for (i = 0; i < LM_RO_SIZE / 8; i++)
			q[i] = RO_PATTERN ^ i;
		r = domus_set_slot(vm->fd, 1, LM_RO, LM_RO_SIZE, vm->ro, DOMUS_SLOT_READONLY);
		if (r < 0)
			return r;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < 2; i++)
		if (vm->vcpu[i].fd >= 0 || vm->vcpu[i].run)
			domus_vcpu_close(&vm->vcpu[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	domus_guest_free(vm->ram, vm->ram_size);
	domus_guest_free(vm->ro, LM_RO_SIZE);
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
}

int load_guest(struct vm *vm, const char *name)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), GUEST_DIR "%s.bin", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return domus_set_error(errno, "cannot open %s: %s (run 'make userland' at the top)", path, strerror(errno));
	n = read(fd, vm->ram + GUEST_LOAD, 0x70000);
	close(fd);
	if (n <= 0)
		return domus_set_error(EIO, "cannot read %s", path);
	return 0;
}

int vm_add_vcpu(struct vm *vm, uint32_t id)
{
	int r = domus_create_vcpu(vm->fd, id, &vm->vcpu[vm->nvcpus]);

	if (r == 0)
		vm->nvcpus++;
	return r;
}

int set_args(struct domus_vcpu_handle *v, uint64_t test, uint64_t rsi, uint64_t rdx, uint64_t rcx)
{
	struct domus_regs r;
	int ret = domus_get_regs(v, &r);

	if (ret)
		return ret;
	r.rdi = test;
	r.rsi = rsi;
	r.rdx = rdx;
	r.rcx = rcx;
	return domus_set_regs(v, &r);
}

/* Long-mode entry for @v with test id and arguments. */
int setup_lm(struct vm *vm, struct domus_vcpu_handle *v, uint64_t test,
		    uint64_t rsi, uint64_t rdx, uint64_t rcx)
{
	int r = domus_setup_long_mode(v, vm->ram, LM_PT, LM_MAP_BYTES, GUEST_LOAD,
				      LM_STACK_TOP - 0x8000ULL * v->id);

	return r ? r : set_args(v, test, rsi, rdx, rcx);
}

/* Real-mode entry (real16 and prot32). */
int setup_lo(struct domus_vcpu_handle *v, uint64_t test)
{
	int r = domus_setup_real_mode(v, GUEST_LOAD);

	return r ? r : set_args(v, test, 0, 0, 0);
}

/* A domain with one vCPU running @guest test @test; returns 0 or -errno. */
int vm_start(struct vm *vm, const char *guest, uint64_t test,
		    uint64_t rsi, uint64_t rdx, uint64_t rcx)
{
	int lm = !strcmp(guest, "long64");
	int r = vm_create(vm, lm ? LM_RAM_SIZE : LO_RAM_SIZE, lm);

	if (!r)
		r = load_guest(vm, guest);
	if (!r)
		r = vm_add_vcpu(vm, 0);
	if (!r)
		r = lm ? setup_lm(vm, &vm->vcpu[0], test, rsi, rdx, rcx) : setup_lo(&vm->vcpu[0], test);
	return r;
}

void ctx_init(struct ctx *c, struct vm *vm, struct domus_vcpu_handle *v, int lm)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->v = v;
	c->mmio_base = lm ? LM_MMIO : LO_MMIO;
	c->strin_next = STR_IN_FIRST;
	c->quiet = 1;
}

int __attribute__((format(printf, 2, 3)))
ctx_err(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int handle_io(struct ctx *c)
{
	struct domus_run *run = c->v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int size = run->io.size, count = run->io.count, i, k;

	if ((size != 1 && size != 2 && size != 4) || count < 1 ||
	    run->io.data_offset < sizeof(struct domus_run) ||
	    run->io.data_offset + (uint64_t)count * size > 4096)
		return ctx_err(c, "bad io exit: port 0x%x size %u count %u data_offset %u",
			       run->io.port, size, count, run->io.data_offset);
	c->nio++;
	if (count > 1)
		c->nstring_exits++;
	if (count > c->max_count)
		c->max_count = count;
	for (i = 0; i < count; i++, data += size) {
		uint32_t val = 0;

		if (run->io.direction == DOMUS_IO_OUT) {
			memcpy(&val, data, size);
			switch (run->io.port) {
			case PORT_CON:
				if (c->ncon < (int)sizeof(c->con) - 1)
					c->con[c->ncon++] = (char)val;
				if (!c->quiet)
					putchar((int)val);
				break;
			case PORT_DONE:
				c->done_code = val;
				return 1;
			case PORT_VAL:
				if (c->nvals < 512) {
					c->val_size[c->nvals] = (uint8_t)size;
					c->vals[c->nvals++] = val;
				}
				break;
			case PORT_STR:
				for (k = 0; k < size; k++)
					if (c->nstrout < (int)sizeof(c->strout))
						c->strout[c->nstrout++] = data[k];
				break;
			case PORT_SYNC:
				c->nsync++;
				if (c->on_sync && c->on_sync(c, val) < 0)
					return -1;
				break;
			default:
				return ctx_err(c, "OUT to unexpected port 0x%x", run->io.port);
			}
		} else {
			switch (run->io.port) {
			case PORT_IN:
				val = PORT_IN_VALUE;
				memcpy(data, &val, size);
				break;
			case PORT_STR:
				for (k = 0; k < size; k++)
					data[k] = c->strin_next++;
				break;
			default:
				return ctx_err(c, "IN from unexpected port 0x%x", run->io.port);
			}
		}
	}
	return 0;
}

static int handle_mmio(struct ctx *c)
{
	struct domus_run *run = c->v->run;
	uint64_t gpa = run->mmio.gpa;
	uint32_t len = run->mmio.len;

	c->nmmio++;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return ctx_err(c, "bad mmio exit: gpa 0x%llx len %u", (unsigned long long)gpa, len);
	if (gpa >= c->mmio_base && gpa + len <= c->mmio_base + sizeof(c->dev)) {
		if (run->mmio.is_write)
			memcpy(c->dev + (gpa - c->mmio_base), run->mmio.data, len);
		else
			memcpy(run->mmio.data, c->dev + (gpa - c->mmio_base), len);
		return 0;
	}
	if (gpa >= LM_RO && gpa < LM_RO + LM_RO_SIZE && c->vm->ro) {
		if (!run->mmio.is_write)
			return ctx_err(c, "read of the read-only slot at 0x%llx exited as MMIO",
				       (unsigned long long)gpa);
		if (c->ro_writes < 8) {
			c->ro_gpa[c->ro_writes] = gpa;
			c->ro_len[c->ro_writes] = len;
			memcpy(&c->ro_data[c->ro_writes], run->mmio.data, 8);
			c->ro_data[c->ro_writes] &= len == 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
		}
		c->ro_writes++;
		return 0;
	}
	if (gpa >= LM_HOLE && gpa < LM_HOLE + 0x1000 && !run->mmio.is_write) {
		uint64_t v = HOLE_VALUE;

		c->hole_reads++;
		memcpy(run->mmio.data, &v, len);
		return 0;
	}
	return ctx_err(c, "unexpected MMIO %s at 0x%llx len %u", run->mmio.is_write ? "write" : "read",
		       (unsigned long long)gpa, len);
}

/*
 * Run until the guest reports PORT_DONE (R_DONE), or an exit the I/O model
 * does not handle: returns its DOMUS_EXIT_* (HLT, SHUTDOWN, INTR, ...), or
 * R_ERR with c->err set.
 */
int run_guest(struct ctx *c)
{
	for (;;) {
		int r = c->run_hook ? c->run_hook(c) : domus_run(c->v);

		c->nexits++;
		if (r == -EINTR)
			return c->v->run->exit_reason == DOMUS_EXIT_INTR ? DOMUS_EXIT_INTR :
				ctx_err(c, "run returned -EINTR with exit_reason %u (want DOMUS_EXIT_INTR)",
					c->v->run->exit_reason);
		if (r < 0)
			return ctx_err(c, "%s", domus_last_error());
		switch (c->v->run->exit_reason) {
		case DOMUS_EXIT_IO:
			r = handle_io(c);
			if (r < 0)
				return R_ERR;
			if (r > 0)
				return R_DONE;
			break;
		case DOMUS_EXIT_MMIO:
			if (handle_mmio(c) < 0)
				return R_ERR;
			break;
		case DOMUS_EXIT_EMULATION: {
			struct domus_run *run = c->v->run;

			return ctx_err(c, "emulation exit at rip 0x%llx gpa 0x%llx insn %02x %02x %02x %02x",
				       (unsigned long long)run->emulation.rip,
				       (unsigned long long)run->emulation.gpa,
				       run->emulation.insn[0], run->emulation.insn[1],
				       run->emulation.insn[2], run->emulation.insn[3]);
		}
		case DOMUS_EXIT_FAIL_ENTRY:
			return ctx_err(c, "fail_entry exit: hw_reason 0x%llx hw_info 0x%llx",
				       (unsigned long long)c->v->run->fail_entry.hw_reason,
				       (unsigned long long)c->v->run->fail_entry.hw_info);
		default:
			return (int)c->v->run->exit_reason;
		}
	}
}

/* Run to PORT_DONE and describe anything else; 1 if the guest passed. */
int run_to_pass(struct ctx *c, const char *guest, char *why, size_t len)
{
	int r = run_guest(c);

	if (r == R_DONE && c->done_code == 0)
		return 1;
	if (r == R_DONE)
		snprintf(why, len, "guest check failed at tests/guests/%s.S line %u", guest, c->done_code);
	else if (r == R_ERR)
		snprintf(why, len, "%s", c->err);
	else
		snprintf(why, len, "unexpected exit %s (%d)", domus_exit_name((uint32_t)r), r);
	return 0;
}

/* --- lifetime: cycles, kill -9, global counters ------------------------------------- */

/* --- a second vCPU on a thread of its own ------------------------------------------- */

static atomic_int ap_stop;

static void on_usr1(int sig)
{
	(void)sig;
}

static void *ap_thread(void *arg)
{
	struct ap_runner *a = arg;

	while (!atomic_load(&ap_stop)) {
		int r = domus_run(a->v);

		if (r == -EINTR)
			continue;
		if (!r && a->io_ok && a->v->run->exit_reason == DOMUS_EXIT_IO)
			continue;
		a->bad = 1;
		snprintf(a->why, sizeof(a->why), "vCPU %u: run %d exit %s", a->v->id, r,
			 domus_exit_name(a->v->run->exit_reason));
		break;
	}
	return NULL;
}

void ap_start(struct ap_runner *a, struct domus_vcpu_handle *v, int io_ok)
{
	struct sigaction sa;

	memset(a, 0, sizeof(*a));
	a->v = v;
	a->io_ok = io_ok;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: DOMUS_RUN returns -EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &a->old);
	atomic_store(&ap_stop, 0);
	pthread_create(&a->th, NULL, ap_thread, a);
}

int ap_finish(struct ap_runner *a)
{
	atomic_store(&ap_stop, 1);
	while (pthread_tryjoin_np(a->th, NULL) == EBUSY) {
		pthread_kill(a->th, SIGUSR1);
		sleep_ms(10);
	}
	sigaction(SIGUSR1, &a->old, NULL);
	return a->bad ? -1 : 0;
}

int stats_zero(char *why, size_t len)
{
	struct domus_global_stats gs;
	int i;

	/* teardown of a killed process may finish just after waitpid() */
	for (i = 0; i < 40; i++) {
		if (domus_global_stats(devfd, &gs)) {
			snprintf(why, len, "%s", domus_last_error());
			return 0;
		}
		if (!gs.domains && !gs.vcpus && !gs.pinned_pages && !gs.npt_pages && !gs.hw_enabled_cpus)
			return 1;
		sleep_ms(50);
	}
	snprintf(why, len, "domains %llu vcpus %llu pinned_pages %llu npt_pages %llu hw_enabled_cpus %u",
		 (unsigned long long)gs.domains, (unsigned long long)gs.vcpus,
		 (unsigned long long)gs.pinned_pages, (unsigned long long)gs.npt_pages, gs.hw_enabled_cpus);
	return 0;
}

/* --- modes for amd-core.sh ---------------------------------------------------------------- */

static int mode_kvm_busy(void)
{
	int r = domus_create_domain(devfd);

	if (r >= 0)
		close(r);
	result("kvm-running-domus-busy", r == -EBUSY, "DOMUS_CREATE_DOMAIN while a KVM guest runs: %s",
	       r >= 0 ? "succeeded" : domus_last_error());
	return failed;
}

static void on_term(int sig)
{
	(void)sig;
}

static int mode_hold(void)
{
	struct sigaction sa;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int r = vm_start(&vm, "real16", T_HELLO, 0, 0, 0);

	if (!r) {
		ctx_init(&c, &vm, &vm.vcpu[0], 1);
		r = run_to_pass(&c, "real16", why, sizeof(why)) ? 0 : -1;
	}
	if (r) {
		printf("coretest: hold: %s %s\n", domus_last_error(), why);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("coretest: holding a domain\n");
	fflush(stdout);
	pause();
	vm_destroy(&vm);
	printf("coretest: released the domain\n");
	return 0;
}

/* --- main ------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "hello", t_hello },
	{ "pio", t_pio },
	{ "strio", t_strio },
	{ "mmio", t_mmio },
	{ "roslot", t_roslot },
	{ "cpuid", t_cpuid },
	{ "xen-hvm", t_xen_hvm },
	{ "msr-gp", t_msr_gp },
	{ "msr-platform", t_msr_platform },
	{ "harden", t_harden },
	{ "exc-delivery", t_exc_delivery },
	{ "dr-rules", t_dr_rules },
	{ "triple", t_triple },
	{ "irq", t_irq },
	{ "irq-low", t_irq_low },
	{ "nmi", t_nmi },
	{ "hlt", t_hlt },
	{ "irq-window", t_irq_window },
	{ "signal", t_signal },
	{ "regs", t_regs },
	{ "msrs", t_msrs },
	{ "fpu-state", t_fpu_state },
	{ "events", t_events },
	{ "fpu-separation", t_fpu_separation },
	{ "smp", t_smp },
	{ "isolation", t_isolation },
	{ "stats", t_stats },
	{ "dirty-log", t_dirty_log },
	{ "dirty-log-xen", t_dirty_log_xen },
	{ "xen-tsc-write", t_xen_tsc_write },
	{ "badargs", t_badargs },
	{ "xenargs", t_xenargs },
	{ "xen-hypercalls", t_xen_hypercalls },
	{ "xen-backend", t_xen_backend },
	{ "xen-gnttab-v2", t_xen_gnttab_v2 },
	{ "xen-fifo", t_xen_fifo },
	{ "xen-upcall-vector", t_xen_upcall },
	{ "xen-vcpu-updown", t_xen_vcpu_updown },
	{ "xen-evtchn-reset", t_xen_evtchn_reset },
	{ "apic-timer", t_apic_timer },
	{ "nmi-halt", t_nmi_halt },
	{ "apic-xapic", t_apic_xapic },
	{ "init-running", t_init_running },
	{ "cycles", t_cycles },
	{ "kill9", t_kill9 },
	{ "limits", t_limits },
};

static void detect_host_avx(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27)) || !(c & (1u << 28)))	/* OSXSAVE, AVX */
		return;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	host_avx = (lo & 6) == 6;
}

int main(int argc, char **argv)
{
	const unsigned int n = sizeof(tests) / sizeof(tests[0]);
	unsigned int i;
	int a, any = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "list")) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	devfd = domus_open();
	if (devfd < 0) {
		fprintf(stderr, "coretest: %s\n", domus_last_error());
		printf("FAIL: core/open: %s\n", domus_last_error());
		return 1;
	}
	if (domus_get_caps(devfd, &caps))
		memset(&caps, 0, sizeof(caps));
	detect_host_avx();
	if (argc > 1 && !strcmp(argv[1], "kvm-busy"))
		return mode_kvm_busy();
	if (argc > 1 && !strcmp(argv[1], "hold"))
		return mode_hold();
	if (argc > 1 && !strcmp(argv[1], "stats-zero")) {
		char why[300] = "";

		result("stats-zero", stats_zero(why, sizeof(why)), "%s", why);
		return failed;
	}
	printf("info: host %s AVX; max_vcpus %u max_slots %u\n", host_avx ? "has" : "lacks",
	       caps.max_vcpus, caps.max_slots);
	for (i = 0; i < n; i++) {
		int run = argc < 2 || !strcmp(argv[1], "all");

		for (a = 1; a < argc && !run; a++)
			run = !strcmp(argv[a], tests[i].name);
		if (!run)
			continue;
		any = 1;
		tests[i].fn();
	}
	if (!any) {
		fprintf(stderr, "coretest: no such test (coretest list)\n");
		return 2;
	}
	{
		char why[300] = "";

		result("end-stats-zero", stats_zero(why, sizeof(why)), "%s", why);
	}
	close(devfd);
	return failed;
}
