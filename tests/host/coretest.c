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
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "libdomus.h"
#include "../guests/guest.h"

#define GUEST_DIR	"build/guests/"
#define HOLE_VALUE	0x5555aaaa5555aaaaULL
#define RO_PATTERN	0x0123456789abcdefULL

static int failed;
static int devfd = -1;
static struct domus_caps caps;
static int host_avx;

static void __attribute__((format(printf, 3, 4)))
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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- a domain with RAM, an optional read-only slot, and vCPUs -------------- */

struct vm {
	int fd;
	uint8_t *ram;
	size_t ram_size;
	uint8_t *ro;
	struct domus_vcpu_handle vcpu[2];
	int nvcpus;
};

/* Per-vCPU model of the guest's devices and what it reported. */
struct ctx {
	struct vm *vm;
	struct domus_vcpu_handle *v;
	uint64_t mmio_base;		/* the memory-like device (4 KiB) */
	uint8_t dev[4096];
	uint32_t vals[512];
	uint8_t val_size[512];
	int nvals;
	uint8_t strout[256];
	int nstrout;
	uint8_t strin_next;
	char con[1024];
	int ncon;
	int quiet;			/* do not echo the console */
	uint32_t done_code;
	unsigned long nexits, nio, nmmio, nstring_exits, max_count;
	unsigned long ro_writes;
	uint64_t ro_gpa[8];
	uint64_t ro_data[8];
	uint32_t ro_len[8];
	unsigned long hole_reads;
	/* called at each OUT to PORT_SYNC; returns 0 or -1 with err set */
	int (*on_sync)(struct ctx *c, uint32_t val);
	void *arg;
	int nsync;
	/* replaces domus_run() (the FPU test checks host registers around it) */
	int (*run_hook)(struct ctx *c);
	char err[256];
};

static int vm_create(struct vm *vm, size_t ram_size, int with_ro)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->vcpu[0].fd = vm->vcpu[1].fd = -1;
	r = domus_create_domain(devfd);
	if (r < 0)
		return r;
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

static void vm_destroy(struct vm *vm)
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

static int load_guest(struct vm *vm, const char *name)
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

static int vm_add_vcpu(struct vm *vm, uint32_t id)
{
	int r = domus_create_vcpu(vm->fd, id, &vm->vcpu[vm->nvcpus]);

	if (r == 0)
		vm->nvcpus++;
	return r;
}

static int set_args(struct domus_vcpu_handle *v, uint64_t test, uint64_t rsi, uint64_t rdx, uint64_t rcx)
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
static int setup_lm(struct vm *vm, struct domus_vcpu_handle *v, uint64_t test,
		    uint64_t rsi, uint64_t rdx, uint64_t rcx)
{
	int r = domus_setup_long_mode(v, vm->ram, LM_PT, LM_MAP_BYTES, GUEST_LOAD,
				      LM_STACK_TOP - 0x8000ULL * v->id);

	return r ? r : set_args(v, test, rsi, rdx, rcx);
}

/* Real-mode entry (real16 and prot32). */
static int setup_lo(struct domus_vcpu_handle *v, uint64_t test)
{
	int r = domus_setup_real_mode(v, GUEST_LOAD);

	return r ? r : set_args(v, test, 0, 0, 0);
}

/* A domain with one vCPU running @guest test @test; returns 0 or -errno. */
static int vm_start(struct vm *vm, const char *guest, uint64_t test,
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

static void ctx_init(struct ctx *c, struct vm *vm, struct domus_vcpu_handle *v, int lm)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->v = v;
	c->mmio_base = lm ? LM_MMIO : LO_MMIO;
	c->strin_next = STR_IN_FIRST;
	c->quiet = 1;
}

static int __attribute__((format(printf, 2, 3)))
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

enum { R_DONE = 100, R_ERR = -1 };

/*
 * Run until the guest reports PORT_DONE (R_DONE), or an exit the I/O model
 * does not handle: returns its DOMUS_EXIT_* (HLT, SHUTDOWN, INTR, ...), or
 * R_ERR with c->err set.
 */
static int run_guest(struct ctx *c)
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
static int run_to_pass(struct ctx *c, const char *guest, char *why, size_t len)
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

/* --- simple guest tests ------------------------------------------------------ */

static const char *const all_guests[] = { "real16", "prot32", "long64" };

static void t_hello(void)
{
	unsigned int g;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok = 0, r;

		snprintf(name, sizeof(name), "hello-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_HELLO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		c.quiet = 0;
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && !strstr(c.con, "hello")) {
			ok = 0;
			snprintf(why, sizeof(why), "console output '%.200s'", c.con);
		}
		if (ok && g == 1 && (c.nvals != 2 || !(c.vals[0] & 1) || c.vals[1] != 0x08)) {
			ok = 0;
			snprintf(why, sizeof(why), "prot32 reported CR0 0x%x CS 0x%x (want PE, 0x08)",
				 c.vals[0], c.vals[1]);
		}
		if (ok && g == 2) {
			struct domus_sregs s;

			if (domus_get_sregs(&vm.vcpu[0], &s) || !(s.efer & (1 << 10)) ||
			    !(s.cs.attr & (1 << 9))) {
				ok = 0;
				snprintf(why, sizeof(why), "after the run: EFER 0x%llx CS attr 0x%x (want LMA, L)",
					 (unsigned long long)s.efer, s.cs.attr);
			}
		}
		result(name, ok, "%s", why);
		vm_destroy(&vm);
	}
}

static void t_pio(void)
{
	static const char want_str[] = "domus string I/O12345678!";
	unsigned int g;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok, r;

		snprintf(name, sizeof(name), "pio-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_PIO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && (c.nvals != 4 || c.vals[0] != 0x5a || c.val_size[0] != 1 ||
			   c.vals[1] != 0x1234 || c.val_size[1] != 2 ||
			   c.vals[2] != 0xdeadbeef || c.val_size[2] != 4 ||
			   c.vals[3] != 0xcafe || c.val_size[3] != 2)) {
			ok = 0;
			snprintf(why, sizeof(why), "OUT values: %d values, first 0x%x/%u", c.nvals,
				 c.vals[0], c.val_size[0]);
		}
		if (ok && (c.nstrout != (int)strlen(want_str) ||
			   memcmp(c.strout, want_str, strlen(want_str)))) {
			ok = 0;
			snprintf(why, sizeof(why), "string OUT gave %d bytes '%.*s', want '%s'",
				 c.nstrout, c.nstrout, (char *)c.strout, want_str);
		}
		if (ok && c.strin_next != STR_IN_FIRST + 24) {
			ok = 0;
			snprintf(why, sizeof(why), "string IN consumed %d bytes, want 24",
				 c.strin_next - STR_IN_FIRST);
		}
		result(name, ok, "%s", why);
		if (ok)
			printf("info: pio-%s: %lu I/O exits, %lu with count > 1 (max %lu)\n",
			       all_guests[g], c.nio, c.nstring_exits, c.max_count);
		vm_destroy(&vm);
	}
}

static int dev_u64(struct ctx *c, unsigned int off, uint64_t want, char *why, size_t len)
{
	uint64_t got;

	memcpy(&got, c->dev + off, 8);
	if (got == want)
		return 1;
	snprintf(why, len, "device offset 0x%x holds 0x%llx, want 0x%llx", off,
		 (unsigned long long)got, (unsigned long long)want);
	return 0;
}

static void t_mmio(void)
{
	unsigned int g, i;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok, r;

		snprintf(name, sizeof(name), "mmio-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_MMIO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && g == 2) {
			uint8_t src[32];

			for (i = 0; i < 32; i++)
				src[i] = (uint8_t)(i * 7 + 3);
			ok = dev_u64(&c, 0, 0x4455667722330011ULL, why, sizeof(why)) &&
			     dev_u64(&c, 8, 0xfffffffffffffffeULL, why, sizeof(why)) &&
			     dev_u64(&c, 16, 0x8899aabbccddeeffULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x40, 0xf0f1, why, sizeof(why)) &&
			     dev_u64(&c, 0x100, 0xa5a5a5a5a5a5a5a5ULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x11c, 0x1122334455667788ULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x158, 0x5a5a5a5a00000000ULL, why, sizeof(why));
			if (ok && memcmp(c.dev + 0x200, src, 32)) {
				ok = 0;
				snprintf(why, sizeof(why), "REP MOVSB to MMIO: device bytes differ from the source");
			}
		}
		if (ok && g < 2 && memcmp(c.dev + 0x10, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8)) {
			ok = 0;
			snprintf(why, sizeof(why), "REP STOS to MMIO: device bytes wrong");
		}
		result(name, ok, "%s", why);
		if (ok)
			printf("info: mmio-%s: %lu MMIO exits\n", all_guests[g], c.nmmio);
		vm_destroy(&vm);
	}
}

static void t_roslot(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r;

	r = vm_start(&vm, "long64", T_ROSLOT, 0, 0, 0);
	if (r) {
		result("roslot-write-exits", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	result("roslot-read", ok, "%s", why);
	if (!ok) {
		vm_destroy(&vm);
		return;
	}
	ok = c.ro_writes == 2 && c.ro_gpa[0] == LM_RO && c.ro_len[0] == 8 && c.ro_data[0] == 0x77 &&
	     c.ro_gpa[1] == LM_RO + 0x10 && c.ro_len[1] == 1 && c.ro_data[1] == 0x55;
	result("roslot-write-exits", ok, "%lu MMIO writes; first gpa 0x%llx len %u data 0x%llx",
	       c.ro_writes, (unsigned long long)c.ro_gpa[0], c.ro_len[0],
	       (unsigned long long)c.ro_data[0]);
	ok = ((uint64_t *)vm.ro)[0] == RO_PATTERN && ((uint64_t *)vm.ro)[2] == (RO_PATTERN ^ 2);
	result("roslot-unchanged", ok, "read-only memory changed: 0x%llx",
	       (unsigned long long)((uint64_t *)vm.ro)[0]);
	vm_destroy(&vm);
}

/* --- CPUID ------------------------------------------------------------------- */

static void t_cpuid(void)
{
	static const struct domus_cpuid_entry table[] = {
		{ .function = 0, .eax = 0xd, .ebx = 0x756d6f44, .edx = 0x73655473, .ecx = 0x50437374 },
		{ .function = 1 },	/* filled from the host below */
		{ .function = 4, .index = 0, .flags = DOMUS_CPUID_INDEXED, .eax = 0x104, .ebx = 0x204 },
		{ .function = 4, .index = 1, .flags = DOMUS_CPUID_INDEXED, .eax = 0x114, .ebx = 0x214 },
		{ .function = 0x80000000, .eax = 0x80000008 },
		{ .function = 0x80000001 },	/* host's, plus SVM */
		{ .function = 0x80000008, .eax = 0x3028, .ebx = 0x12345678, .ecx = 0x9abcdef0, .edx = 0x0fedcba9 },
	};
	static const uint32_t ask[][2] = {
		{ 0, 0 }, { 1, 0 }, { 4, 0 }, { 4, 1 }, { 0x80000000, 0 }, { 0x80000001, 0 }, { 0x80000008, 0 },
	};
	struct domus_cpuid_entry t[sizeof(table) / sizeof(table[0])];
	unsigned int n = sizeof(ask) / sizeof(ask[0]), i, a, b, cc, d;
	uint32_t *q;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r;

	memcpy(t, table, sizeof(t));
	__cpuid(1, a, b, cc, d);
	t[1].eax = a;
	t[1].ebx = b & 0x00ffffff;
	t[1].ecx = (cc & ~(1u << 31)) | (1u << 5);	/* offer VMX: must be filtered */
	t[1].edx = d;
	__cpuid(0x80000001, a, b, cc, d);
	t[5].ecx = cc | (1u << 2);	/* offer SVM: must be filtered */
	t[5].edx = d;

	r = vm_create(&vm, LM_RAM_SIZE, 1);
	if (!r)
		r = domus_set_cpuid(vm.fd, t, sizeof(t) / sizeof(t[0]));
	if (!r)
		r = load_guest(&vm, "long64");
	if (!r)
		r = vm_add_vcpu(&vm, 0);
	if (!r)
		r = setup_lm(&vm, &vm.vcpu[0], T_CPUID, 0, 0, 0);
	if (r) {
		result("cpuid-table", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	q = (uint32_t *)(vm.ram + LM_DATA);
	q[0] = n;
	for (i = 0; i < n; i++) {
		q[1 + 2 * i] = ask[i][0];
		q[2 + 2 * i] = ask[i][1];
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nvals != (int)(4 * n)) {
		ok = 0;
		snprintf(why, sizeof(why), "guest reported %d values, want %u", c.nvals, 4 * n);
	}
	if (ok) {
		/* exact: leaves 0, 4/0, 4/1, 0x80000000, 0x80000008; leaf 1 EAX */
		static const int exact[] = { 0, 2, 3, 4, 6 };
		static const int tix[] = { 0, 2, 3, 4, 6 };

		for (i = 0; i < sizeof(exact) / sizeof(exact[0]) && ok; i++) {
			const uint32_t *g = &c.vals[4 * exact[i]];
			const struct domus_cpuid_entry *e = &t[tix[i]];
			/*
			 * 0x80000008 EBX: the speculation-control bits (IBPB 12,
			 * IBRS 14, STIBP 15, SSBD 24, VIRT_SSBD 25) are never
			 * offered, whatever the table says.
			 */
			uint32_t want_ebx = e->function == 0x80000008 ?
				e->ebx & ~((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24) | (1u << 25)) :
				e->ebx;

			if (g[0] != e->eax || g[1] != want_ebx || g[2] != e->ecx || g[3] != e->edx) {
				ok = 0;
				snprintf(why, sizeof(why),
					 "leaf 0x%x/%u: guest saw %08x %08x %08x %08x, table has %08x %08x %08x %08x",
					 ask[exact[i]][0], ask[exact[i]][1], g[0], g[1], g[2], g[3],
					 e->eax, e->ebx, e->ecx, e->edx);
			}
		}
		if (ok && c.vals[4] != t[1].eax) {
			ok = 0;
			snprintf(why, sizeof(why), "leaf 1 EAX 0x%x, table 0x%x", c.vals[4], t[1].eax);
		}
		if (ok && (c.vals[5] >> 24) != 0) {
			ok = 0;
			snprintf(why, sizeof(why), "leaf 1 EBX[31:24] (APIC id) %u for vCPU 0", c.vals[5] >> 24);
		}
	}
	result("cpuid-table", ok, "%s", why);
	if (c.nvals == (int)(4 * n)) {
		uint32_t ecx81 = c.vals[4 * 5 + 2], edx81 = c.vals[4 * 5 + 3];

		result("cpuid-no-svm", !(ecx81 & (1u << 2)),
		       "guest sees SVM in CPUID 0x80000001 ECX (0x%x)", ecx81);
		result("cpuid-keeps-lm", !!(edx81 & (1u << 29)),
		       "CPUID 0x80000001 EDX 0x%x lost LM (table 0x%x)", edx81, t[5].edx);
		result("cpuid-no-vmx", !(c.vals[4 * 1 + 2] & (1u << 5)),
		       "guest sees VMX in CPUID 1 ECX (0x%x)", c.vals[4 * 1 + 2]);
	} else {
		result("cpuid-no-svm", 0, "no values");
	}
	/* the table is fixed once a vCPU exists (docs/abi.md): EBUSY */
	r = domus_set_cpuid(vm.fd, t, 1);
	result("cpuid-fixed-after-vcpu", r == -EBUSY, "DOMUS_SET_CPUID after a vCPU: %d (%s), want -EBUSY",
	       r, strerror(-r));
	vm_destroy(&vm);
}

/* --- exceptions, shutdown ---------------------------------------------------------- */

static void t_msr_gp(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_MSR_GP, 0, 0, 0);

	if (r) {
		result("msr-unknown-gp", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && (c.nvals != 1 || c.vals[0] != 0)) {
		ok = 0;
		snprintf(why, sizeof(why), "#GP error code 0x%x (want 0)", c.vals[0]);
	}
	result("msr-unknown-gp", ok, "%s", why);
	vm_destroy(&vm);
}

static void t_triple(void)
{
	static const char *const g[] = { "long64", "real16" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct vm vm;
		struct ctx c;
		char name[64];
		int r = vm_start(&vm, g[i], T_TRIPLE, 0, 0, 0);

		snprintf(name, sizeof(name), "triple-fault-%s", g[i]);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], i == 0);
		r = run_guest(&c);
		result(name, r == DOMUS_EXIT_SHUTDOWN, "run ended with %s (%d) %s, want shutdown",
		       r == R_DONE ? "done" : domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "");
		vm_destroy(&vm);
	}
}

/* --- interrupts, NMI, HLT ---------------------------------------------------------- */

static int sync_inject(struct ctx *c, uint32_t val)
{
	(void)val;
	if (domus_inject_irq(c->v, 0x40) < 0)
		return ctx_err(c, "%s", domus_last_error());
	return 0;
}

static void t_irq(void)
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

static int sync_nmi(struct ctx *c, uint32_t val)
{
	(void)val;
	if (domus_inject_nmi(c->v) < 0)
		return ctx_err(c, "%s", domus_last_error());
	return 0;
}

static void t_nmi(void)
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

static void t_hlt(void)
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

static void t_signal(void)
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

/* --- register round trips ----------------------------------------------------------- */

static const struct domus_regs regs_set = {
	.rax = 0x1111111111111111ULL, .rbx = 0x2222222222222222ULL, .rcx = 0x3333333333333333ULL,
	.rdx = 0x4444444444444444ULL, .rsi = 0x5555555555555555ULL, .rdi = T_REGS,
	.rsp = LM_STACK_TOP - 0x100, .rbp = 0x7777777777777777ULL,
	.r8 = 0x8888888888888888ULL, .r9 = 0x9999999999999999ULL, .r10 = 0xaaaaaaaaaaaaaaaaULL,
	.r11 = 0xbbbbbbbbbbbbbbbbULL, .r12 = 0xccccccccccccccccULL, .r13 = 0xddddddddddddddddULL,
	.r14 = 0xeeeeeeeeeeeeeeeeULL, .r15 = 0x0f0f0f0f0f0f0f0fULL,
	.rip = GUEST_LOAD, .rflags = 0x2 | (1 << 0) | (1 << 11),	/* CF, OF */
};

static int regs_equal(const struct domus_regs *a, const struct domus_regs *b, int with_rip,
		      char *why, size_t len)
{
	static const char *const names[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10",
		"r11", "r12", "r13", "r14", "r15", "rip", "rflags",
	};
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	unsigned int i;

	for (i = 0; i < 18; i++) {
		if (i == 16 && !with_rip)
			continue;
		if (x[i] != y[i]) {
			snprintf(why, len, "%s: got 0x%llx, want 0x%llx", names[i],
				 (unsigned long long)x[i], (unsigned long long)y[i]);
			return 0;
		}
	}
	return 1;
}

static int sync_regs(struct ctx *c, uint32_t val)
{
	struct domus_regs r;
	char why[200];

	(void)val;
	if (domus_get_regs(c->v, &r))
		return ctx_err(c, "%s", domus_last_error());
	if (c->nsync == 1) {
		struct domus_regs want = regs_set;

		/* the guest's dispatcher uses RAX, R15 and the flags */
		want.rax = r.rax;
		want.r15 = r.r15;
		want.rflags = r.rflags;
		if (!regs_equal(&r, &want, 0, why, sizeof(why)))
			return ctx_err(c, "guest registers at the first exit: %s", why);
		r.rax = 40;
		r.rbx = 2;
		if (domus_set_regs(c->v, &r))
			return ctx_err(c, "%s", domus_last_error());
	} else if (r.rax != 42) {
		return ctx_err(c, "RAX set at an exit did not reach the guest: 40 + 2 = 0x%llx",
			       (unsigned long long)r.rax);
	}
	return 0;
}

static void t_regs(void)
{
	struct domus_regs r;
	struct domus_sregs s, s2;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, ret = vm_start(&vm, "long64", T_REGS, 0, 0, 0);

	if (ret) {
		result("regs-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ok = domus_set_regs(&vm.vcpu[0], &regs_set) == 0 && domus_get_regs(&vm.vcpu[0], &r) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	else
		ok = regs_equal(&r, &regs_set, 1, why, sizeof(why));
	result("regs-roundtrip", ok, "%s", why);

	/* sregs: what SET_SREGS stored comes back (64-bit state from setup_lm) */
	ok = domus_get_sregs(&vm.vcpu[0], &s) == 0;
	s.fs.base = 0x123456789000ULL;
	s.gs.base = 0xffff888000001000ULL;
	s.cr2 = 0xdead000;
	s.cr8 = 5;
	s.idt.base = 0x9000;
	s.idt.limit = 0xfff;
	ok = ok && domus_set_sregs(&vm.vcpu[0], &s) == 0 && domus_get_sregs(&vm.vcpu[0], &s2) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	else if (memcmp(&s, &s2, sizeof(s))) {
		ok = 0;
		snprintf(why, sizeof(why),
			 "differs: fs.base 0x%llx gs.base 0x%llx cr2 0x%llx cr8 %llu efer 0x%llx cs.attr 0x%x/0x%x",
			 (unsigned long long)s2.fs.base, (unsigned long long)s2.gs.base,
			 (unsigned long long)s2.cr2, (unsigned long long)s2.cr8,
			 (unsigned long long)s2.efer, s2.cs.attr, s.cs.attr);
	}
	result("sregs-roundtrip", ok, "%s", why);

	/* the guest sees the registers; a change at an exit reaches the guest */
	ret = domus_set_regs(&vm.vcpu[0], &regs_set);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_regs;
	ok = !ret && run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nsync != 2) {
		ok = 0;
		snprintf(why, sizeof(why), "%d sync exits, want 2", c.nsync);
	}
	result("regs-guest", ok, "%s", why);
	vm_destroy(&vm);
}

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176

static void t_msrs(void)
{
	/* the order of msr_list in long64.S */
	static const struct domus_msr_entry set[] = {
		{ .index = MSR_STAR, .data = 0x0023001000000000ULL },
		{ .index = MSR_LSTAR, .data = 0xffffffff81a00000ULL },
		{ .index = MSR_CSTAR, .data = 0xffffffff81b00000ULL },
		{ .index = MSR_SFMASK, .data = 0x47700 },
		{ .index = MSR_KERNEL_GS_BASE, .data = 0xffff888012340000ULL },
		{ .index = MSR_SYSENTER_CS, .data = 0x10 },
		{ .index = MSR_SYSENTER_ESP, .data = 0xfffffe0000001000ULL },
		{ .index = MSR_SYSENTER_EIP, .data = 0xffffffff81c00000ULL },
		{ .index = MSR_TSC_AUX, .data = 0x42 },
	};
	const unsigned int n = sizeof(set) / sizeof(set[0]);
	struct domus_msr_entry got[sizeof(set) / sizeof(set[0])];
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	unsigned int i;
	int ok, r = vm_start(&vm, "long64", T_MSRS, 0, 0, 0);

	if (r) {
		result("msrs-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	r = domus_set_msrs(&vm.vcpu[0], set, n);
	ok = r == (int)n;
	if (!ok)
		snprintf(why, sizeof(why), "DOMUS_SET_MSRS processed %d of %u (%s)", r, n,
			 r < 0 ? domus_last_error() : r < (int)n ? "stopped" : "");
	for (i = 0; i < n; i++) {
		got[i].index = set[i].index;
		got[i].reserved = 0;
		got[i].data = 0;
	}
	if (ok) {
		r = domus_get_msrs(&vm.vcpu[0], got, n);
		ok = r == (int)n;
		if (!ok)
			snprintf(why, sizeof(why), "DOMUS_GET_MSRS processed %d of %u", r, n);
	}
	for (i = 0; ok && i < n; i++) {
		if (got[i].data != set[i].data) {
			ok = 0;
			snprintf(why, sizeof(why), "MSR 0x%x: got 0x%llx, want 0x%llx", set[i].index,
				 (unsigned long long)got[i].data, (unsigned long long)set[i].data);
		}
	}
	result("msrs-roundtrip", ok, "%s", why);

	/* the guest reads the values, writes value + MSR_DELTA, userspace reads them */
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nvals != (int)(2 * n)) {
		ok = 0;
		snprintf(why, sizeof(why), "guest reported %d values, want %u", c.nvals, 2 * n);
	}
	for (i = 0; ok && i < n; i++) {
		uint64_t g = c.vals[2 * i] | (uint64_t)c.vals[2 * i + 1] << 32;

		if (g != set[i].data) {
			ok = 0;
			snprintf(why, sizeof(why), "guest RDMSR 0x%x = 0x%llx, want 0x%llx", set[i].index,
				 (unsigned long long)g, (unsigned long long)set[i].data);
		}
	}
	result("msrs-guest-reads", ok, "%s", why);
	r = domus_get_msrs(&vm.vcpu[0], got, n);
	ok = r == (int)n;
	if (!ok)
		snprintf(why, sizeof(why), "DOMUS_GET_MSRS processed %d of %u", r, n);
	for (i = 0; ok && i < n; i++) {
		if (got[i].data != set[i].data + MSR_DELTA) {
			ok = 0;
			snprintf(why, sizeof(why), "after guest WRMSR 0x%x: 0x%llx, want 0x%llx", set[i].index,
				 (unsigned long long)got[i].data,
				 (unsigned long long)(set[i].data + MSR_DELTA));
		}
	}
	result("msrs-guest-writes", ok, "%s", why);
	/* an unknown MSR stops the list: count of processed entries */
	{
		struct domus_msr_entry e[3] = {
			{ .index = MSR_LSTAR }, { .index = 0x12345678 }, { .index = MSR_STAR },
		};

		r = domus_get_msrs(&vm.vcpu[0], e, 3);
		result("msrs-stop-at-unknown", r == 1, "DOMUS_GET_MSRS with an unknown second MSR returned %d, want 1", r);
	}
	vm_destroy(&vm);
}

/* XSAVE standard format offsets (Intel SDM vol. 1, 13.4) */
#define XS_MXCSR	24
#define XS_XMM		160
#define XS_XSTATE_BV	512
#define XS_YMM_HI	576

static int sync_fpu_state(struct ctx *c, uint32_t val)
{
	const uint8_t *want = c->arg;
	int avx = host_avx;
	unsigned int k;

	(void)val;
	for (k = 0; k < 16; k++) {
		const uint8_t *g = c->vm->ram + LM_DATA + 32 * k;

		if (memcmp(g, want + XS_XMM + 16 * k, 16) ||
		    (avx && memcmp(g + 16, want + XS_YMM_HI + 16 * k, 16)))
			return ctx_err(c, "guest %s%u differs from DOMUS_SET_FPU", avx ? "YMM" : "XMM", k);
	}
	if (memcmp(c->vm->ram + LM_DATA + 0x200, want + XS_MXCSR, 4))
		return ctx_err(c, "guest MXCSR 0x%x, set 0x%x", *(uint32_t *)(c->vm->ram + LM_DATA + 0x200),
			       *(const uint32_t *)(want + XS_MXCSR));
	return 0;
}

static void t_fpu_state(void)
{
	static struct domus_fpu f, g;
	struct domus_sregs s;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	unsigned int i, k;
	uint64_t bv;
	int ok, r = vm_start(&vm, "long64", T_FPU_STATE, 0, host_avx, 0);

	if (r) {
		result("fpu-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	memset(&f, 0, sizeof(f));
	ok = domus_get_fpu(&vm.vcpu[0], &f) == 0;
	f.xcr0 = host_avx ? 7 : 3;
	for (i = 0; i < 256; i++)
		f.xsave[XS_XMM + i] = (uint8_t)(0x40 + i);
	for (i = 0; i < 256 && host_avx; i++)
		f.xsave[XS_YMM_HI + i] = (uint8_t)(0x90 + i);
	*(uint32_t *)(f.xsave + XS_MXCSR) = 0x1f80 | (2 << 13);
	bv = host_avx ? 7 : 3;
	memcpy(f.xsave + XS_XSTATE_BV, &bv, 8);
	memset(f.reserved, 0, sizeof(f.reserved));
	ok = ok && domus_set_fpu(&vm.vcpu[0], &f) == 0 && domus_get_fpu(&vm.vcpu[0], &g) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	if (ok && g.xcr0 != f.xcr0) {
		ok = 0;
		snprintf(why, sizeof(why), "xcr0 0x%llx, set 0x%llx", (unsigned long long)g.xcr0,
			 (unsigned long long)f.xcr0);
	}
	if (ok && (memcmp(g.xsave + XS_XMM, f.xsave + XS_XMM, 256) ||
		   memcmp(g.xsave + XS_MXCSR, f.xsave + XS_MXCSR, 4) ||
		   (host_avx && memcmp(g.xsave + XS_YMM_HI, f.xsave + XS_YMM_HI, 256)))) {
		ok = 0;
		snprintf(why, sizeof(why), "XMM/YMM/MXCSR differ after DOMUS_SET_FPU + DOMUS_GET_FPU");
	}
	result("fpu-roundtrip", ok, "%s%s", why, host_avx ? "" : " (no AVX on this host: XMM only)");

	/* the guest sees them (needs CR4.OSXSAVE for AVX), then inverts them */
	ok = ok && domus_get_sregs(&vm.vcpu[0], &s) == 0;
	if (ok && host_avx) {
		s.cr4 |= 1ULL << 18;
		ok = domus_set_sregs(&vm.vcpu[0], &s) == 0;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_fpu_state;
	c.arg = f.xsave;
	ok = ok && run_to_pass(&c, "long64", why, sizeof(why));
	ok = ok && domus_get_fpu(&vm.vcpu[0], &g) == 0;
	for (k = 0; ok && k < 256; k++) {
		if ((g.xsave[XS_XMM + k] ^ f.xsave[XS_XMM + k]) != 0xff ||
		    (host_avx && (g.xsave[XS_YMM_HI + k] ^ f.xsave[XS_YMM_HI + k]) != 0xff)) {
			ok = 0;
			snprintf(why, sizeof(why), "after the guest inverted its registers, byte %u of %s is 0x%x",
				 k, (g.xsave[XS_XMM + k] ^ f.xsave[XS_XMM + k]) != 0xff ? "XMM" : "YMM_Hi128",
				 g.xsave[XS_XMM + k]);
		}
	}
	result("fpu-guest", ok, "%s", why);
	vm_destroy(&vm);
}

static void t_events(void)
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

/* --- FPU/SSE/AVX separation -------------------------------------------------------- */

/*
 * DOMUS_RUN issued from inline assembly with XMM8-15 (YMM8-15 with AVX)
 * loaded from @in and stored to @out right after the syscall: the host
 * thread's vector registers must survive a run of any guest.
 */
static long run_keep_vregs(int fd, const void *in, void *out, int avx)
{
	long ret;

	if (avx)
		__asm__ __volatile__(
			"vmovdqu 0(%[in]), %%ymm8\n\tvmovdqu 32(%[in]), %%ymm9\n\t"
			"vmovdqu 64(%[in]), %%ymm10\n\tvmovdqu 96(%[in]), %%ymm11\n\t"
			"vmovdqu 128(%[in]), %%ymm12\n\tvmovdqu 160(%[in]), %%ymm13\n\t"
			"vmovdqu 192(%[in]), %%ymm14\n\tvmovdqu 224(%[in]), %%ymm15\n\t"
			"syscall\n\t"
			"vmovdqu %%ymm8, 0(%[out])\n\tvmovdqu %%ymm9, 32(%[out])\n\t"
			"vmovdqu %%ymm10, 64(%[out])\n\tvmovdqu %%ymm11, 96(%[out])\n\t"
			"vmovdqu %%ymm12, 128(%[out])\n\tvmovdqu %%ymm13, 160(%[out])\n\t"
			"vmovdqu %%ymm14, 192(%[out])\n\tvmovdqu %%ymm15, 224(%[out])\n\t"
			"vzeroupper"
			: "=a"(ret)
			: "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)DOMUS_RUN), "d"(0L),
			  [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	else
		__asm__ __volatile__(
			"movdqu 0(%[in]), %%xmm8\n\tmovdqu 32(%[in]), %%xmm9\n\t"
			"movdqu 64(%[in]), %%xmm10\n\tmovdqu 96(%[in]), %%xmm11\n\t"
			"movdqu 128(%[in]), %%xmm12\n\tmovdqu 160(%[in]), %%xmm13\n\t"
			"movdqu 192(%[in]), %%xmm14\n\tmovdqu 224(%[in]), %%xmm15\n\t"
			"syscall\n\t"
			"movdqu %%xmm8, 0(%[out])\n\tmovdqu %%xmm9, 32(%[out])\n\t"
			"movdqu %%xmm10, 64(%[out])\n\tmovdqu %%xmm11, 96(%[out])\n\t"
			"movdqu %%xmm12, 128(%[out])\n\tmovdqu %%xmm13, 160(%[out])\n\t"
			"movdqu %%xmm14, 192(%[out])\n\tmovdqu %%xmm15, 224(%[out])"
			: "=a"(ret)
			: "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)DOMUS_RUN), "d"(0L),
			  [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	return ret;
}

/* sched_yield with XMM8-15 / YMM8-15 held across it */
static long yield_keep_vregs(const void *in, void *out, int avx)
{
	long ret;

	if (avx)
		__asm__ __volatile__(
			"vmovdqu 0(%[in]), %%ymm8\n\tvmovdqu 32(%[in]), %%ymm9\n\t"
			"vmovdqu 64(%[in]), %%ymm10\n\tvmovdqu 96(%[in]), %%ymm11\n\t"
			"vmovdqu 128(%[in]), %%ymm12\n\tvmovdqu 160(%[in]), %%ymm13\n\t"
			"vmovdqu 192(%[in]), %%ymm14\n\tvmovdqu 224(%[in]), %%ymm15\n\t"
			"syscall\n\t"
			"vmovdqu %%ymm8, 0(%[out])\n\tvmovdqu %%ymm9, 32(%[out])\n\t"
			"vmovdqu %%ymm10, 64(%[out])\n\tvmovdqu %%ymm11, 96(%[out])\n\t"
			"vmovdqu %%ymm12, 128(%[out])\n\tvmovdqu %%ymm13, 160(%[out])\n\t"
			"vmovdqu %%ymm14, 192(%[out])\n\tvmovdqu %%ymm15, 224(%[out])\n\t"
			"vzeroupper"
			: "=a"(ret)
			: "0"((long)SYS_sched_yield), [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	else
		__asm__ __volatile__(
			"movdqu 0(%[in]), %%xmm8\n\tmovdqu 32(%[in]), %%xmm9\n\t"
			"movdqu 64(%[in]), %%xmm10\n\tmovdqu 96(%[in]), %%xmm11\n\t"
			"movdqu 128(%[in]), %%xmm12\n\tmovdqu 160(%[in]), %%xmm13\n\t"
			"movdqu 192(%[in]), %%xmm14\n\tmovdqu 224(%[in]), %%xmm15\n\t"
			"syscall\n\t"
			"movdqu %%xmm8, 0(%[out])\n\tmovdqu %%xmm9, 32(%[out])\n\t"
			"movdqu %%xmm10, 64(%[out])\n\tmovdqu %%xmm11, 96(%[out])\n\t"
			"movdqu %%xmm12, 128(%[out])\n\tmovdqu %%xmm13, 160(%[out])\n\t"
			"movdqu %%xmm14, 192(%[out])\n\tmovdqu %%xmm15, 224(%[out])"
			: "=a"(ret)
			: "0"((long)SYS_sched_yield), [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	return ret;
}

/* Compare what came back: all 32 bytes per register with AVX, 16 without. */
static int vregs_same(const uint8_t *a, const uint8_t *b, int avx)
{
	int k;

	for (k = 0; k < 8; k++)
		if (memcmp(a + 32 * k, b + 32 * k, avx ? 32 : 16))
			return 0;
	return 1;
}

struct fpu_job {
	struct vm vm;
	struct ctx c;
	uint32_t seed;
	uint8_t host_pat[256] __attribute__((aligned(32)));
	uint8_t host_out[256] __attribute__((aligned(32)));
	unsigned long host_bad;
	int ok;
	char why[300];
};

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* this thread */
}

static int fpu_run_hook(struct ctx *c)
{
	struct fpu_job *j = c->arg;
	long r = run_keep_vregs(c->v->fd, j->host_pat, j->host_out, host_avx);

	if (!vregs_same(j->host_pat, j->host_out, host_avx))
		j->host_bad++;
	return r < 0 ? (int)r : 0;
}

static int fpu_sync(struct ctx *c, uint32_t val)
{
	(void)val;
	if ((c->nsync & 7) == 0)
		sched_yield();
	return 0;
}

static void *fpu_thread(void *arg)
{
	struct fpu_job *j = arg;

	pin_cpu0();
	j->c.run_hook = fpu_run_hook;
	j->c.on_sync = fpu_sync;
	j->c.arg = j;
	j->ok = run_to_pass(&j->c, "long64", j->why, sizeof(j->why));
	return NULL;
}

static atomic_int spin_stop;
static unsigned long spin_rounds, spin_bad;

static void *spin_thread(void *arg)
{
	uint8_t pat[256] __attribute__((aligned(32))), out[256] __attribute__((aligned(32)));
	unsigned int i;

	(void)arg;
	pin_cpu0();
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xc3 ^ (i * 13));
	while (!atomic_load(&spin_stop)) {
		yield_keep_vregs(pat, out, host_avx);
		spin_rounds++;
		if (!vregs_same(pat, out, host_avx))
			spin_bad++;
	}
	return NULL;
}

static void t_fpu_separation(void)
{
	static struct fpu_job job[2];
	pthread_t th[2], spin;
	unsigned int i, k;
	int ok = 1, r;
	char why[400] = "";
	const unsigned long iters = 1500;

	for (i = 0; i < 2; i++) {
		struct fpu_job *j = &job[i];

		memset(j, 0, sizeof(*j));
		j->seed = i ? 0x22222222 : 0x11111111;
		for (k = 0; k < 256; k++)
			j->host_pat[k] = (uint8_t)((i + 1) * 0x31 + k * 3);
		r = vm_start(&j->vm, "long64", T_FPU, j->seed, host_avx, iters);
		if (r) {
			result("fpu-separation", 0, "setup: %s", domus_last_error());
			vm_destroy(&job[0].vm);
			vm_destroy(&job[1].vm);
			return;
		}
		ctx_init(&j->c, &j->vm, &j->vm.vcpu[0], 1);
	}
	atomic_store(&spin_stop, 0);
	spin_rounds = spin_bad = 0;
	pthread_create(&spin, NULL, spin_thread, NULL);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, fpu_thread, &job[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&spin_stop, 1);
	pthread_join(spin, NULL);
	for (i = 0; i < 2; i++) {
		if (!job[i].ok) {
			ok = 0;
			snprintf(why, sizeof(why), "domain %u (seed 0x%x): %s", i, job[i].seed, job[i].why);
		} else if (job[i].c.nsync != (int)iters) {
			ok = 0;
			snprintf(why, sizeof(why), "domain %u: %d sync exits, want %lu", i, job[i].c.nsync, iters);
		} else if (job[i].host_bad) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU thread %u: host %s changed across DOMUS_RUN %lu times",
				 i, host_avx ? "YMM8-15" : "XMM8-15", job[i].host_bad);
		}
	}
	if (ok && spin_bad) {
		ok = 0;
		snprintf(why, sizeof(why), "a host thread on the same CPU saw its vector registers change %lu times in %lu rounds",
			 spin_bad, spin_rounds);
	}
	result("fpu-separation", ok, "%s", why);
	printf("info: fpu-separation: %s, 2 domains x %lu checks on CPU 0, host spinner %lu rounds\n",
	       host_avx ? "XMM+YMM+MXCSR" : "XMM+MXCSR (no AVX on this host)", iters, spin_rounds);
	vm_destroy(&job[0].vm);
	vm_destroy(&job[1].vm);
}

/* --- two vCPUs -------------------------------------------------------------------- */

struct smp_job {
	struct ctx c;
	int ok;
	char why[300];
};

static void *smp_thread(void *arg)
{
	struct smp_job *j = arg;

	j->ok = run_to_pass(&j->c, "long64", j->why, sizeof(j->why));
	return NULL;
}

static void t_smp(void)
{
	static struct smp_job job[2];
	const uint64_t iters = 200000;
	struct vm vm;
	pthread_t th[2];
	char why[300] = "";
	unsigned int i;
	uint64_t shared;
	int ok = 1, r = vm_create(&vm, LM_RAM_SIZE, 0);

	if (!r)
		r = load_guest(&vm, "long64");
	for (i = 0; i < 2 && !r; i++) {
		r = vm_add_vcpu(&vm, i);
		if (!r)
			r = setup_lm(&vm, &vm.vcpu[i], T_SMP, iters, 0, 0);
	}
	if (r) {
		result("smp-two-vcpus", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	for (i = 0; i < 2; i++) {
		ctx_init(&job[i].c, &vm, &vm.vcpu[i], 1);
		pthread_create(&th[i], NULL, smp_thread, &job[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		if (!job[i].ok) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU %u: %s", i, job[i].why);
		} else if (job[i].c.nvals != 1 || job[i].c.vals[0] != i) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU %u reported APIC id %u", i, job[i].c.vals[0]);
		}
	}
	shared = *(volatile uint64_t *)(vm.ram + LM_SHARED);
	if (ok && shared != 2 * iters) {
		ok = 0;
		snprintf(why, sizeof(why), "shared counter %llu, want %llu", (unsigned long long)shared,
			 (unsigned long long)(2 * iters));
	}
	result("smp-two-vcpus", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- isolation --------------------------------------------------------------------- */

static void t_isolation(void)
{
	const uint64_t seed = 0x5eed5eed00000000ULL;
	struct vm a, b;
	struct ctx c;
	char why[300] = "";
	uint64_t i, bad = 0, *q;
	int ok, r;

	memset(&b, 0, sizeof(b));
	b.fd = b.vcpu[0].fd = b.vcpu[1].fd = -1;
	r = vm_start(&a, "long64", T_FILL, seed, 0, 0);
	if (!r)
		r = vm_start(&b, "long64", T_ZERO, 0, 0, 0);
	if (r) {
		result("isolation-fill", 0, "setup: %s", domus_last_error());
		vm_destroy(&a);
		vm_destroy(&b);
		return;
	}
	ctx_init(&c, &a, &a.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	q = (uint64_t *)(a.ram + LM_FILL);
	for (i = 0; ok && i < LM_FILL_SIZE / 8; i++)
		if (q[i] != ((LM_FILL + 8 * i) ^ seed))
			bad++;
	/* and nothing above or below the fill area that the guest does not own */
	for (i = LM_DATA / 8; ok && i < LM_FILL / 8; i++)
		if (((uint64_t *)a.ram)[i])
			bad++;
	if (ok && bad) {
		ok = 0;
		snprintf(why, sizeof(why), "%llu qwords differ from the pattern", (unsigned long long)bad);
	}
	result("isolation-fill", ok, "%s", why);

	/* the other domain: its memory is all zero, and its hole reads exit */
	ctx_init(&c, &b, &b.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	result("isolation-other-domain", ok, "%s", why);
	result("isolation-outside-slot-mmio", ok && c.hole_reads == 1,
	       "%lu MMIO reads at 0x%llx", c.hole_reads, (unsigned long long)LM_HOLE);
	vm_destroy(&a);
	vm_destroy(&b);
}

/* --- domain statistics ------------------------------------------------------------- */

static void t_stats(void)
{
	struct domus_domain_stats st;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_PIO, 0, 0, 0);

	if (r) {
		result("domain-stats", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	ok = ok && domus_domain_stats(vm.fd, &st) == 0;
	if (ok && (st.vcpus != 1 || st.slots != 2 ||
		   st.pinned_pages != (LM_RAM_SIZE + LM_RO_SIZE) / 4096 ||
		   st.stat[DOMUS_STAT_IO] < c.nio || st.stat[DOMUS_STAT_USER_EXITS] < c.nexits ||
		   st.stat[DOMUS_STAT_EXITS] < st.stat[DOMUS_STAT_IO])) {
		ok = 0;
		snprintf(why, sizeof(why),
			 "vcpus %u slots %u pinned %llu exits %llu io %llu user_exits %llu (runs %lu, io exits seen %lu)",
			 st.vcpus, st.slots, (unsigned long long)st.pinned_pages,
			 (unsigned long long)st.stat[DOMUS_STAT_EXITS],
			 (unsigned long long)st.stat[DOMUS_STAT_IO],
			 (unsigned long long)st.stat[DOMUS_STAT_USER_EXITS], c.nexits, c.nio);
	}
	result("domain-stats", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- bad arguments ----------------------------------------------------------------- */

static int errno_in(int got, const int *want)
{
	for (; *want; want++)
		if (got == *want)
			return 1;
	return 0;
}

static const char *errnames(const int *want, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (; *want && used < len; want++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "|" : "", strerrorname_np(*want));
	return buf;
}

#define E(...) ((const int[]){ __VA_ARGS__, 0 })

/* ioctl that must fail with one of @want */
static void expect_fail(const char *name, int fd, unsigned long cmd, void *arg, const int *want)
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

static void t_badargs(void)
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
	slot_fail("slot-size-beyond-ram", dom, 2, 0x100000000ULL, 32ULL << 30, u, 0, 0, E(ENOMEM));
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
		irq.vector = 31;
		expect_fail("irq-vector-below-32", v.fd, DOMUS_INTERRUPT, &irq, E(EINVAL));
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
		domus_get_sregs(&v, &s);
		s.reserved[0] = 1;
		expect_fail("sregs-reserved", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.cr0 = (1ULL << 31) | (1ULL << 4);	/* PG without PE */
		expect_fail("sregs-pg-without-pe", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
		domus_get_sregs(&v, &s);
		s.efer |= 1ULL << 20;		/* undefined EFER bit */
		expect_fail("sregs-bad-efer", v.fd, DOMUS_SET_SREGS, &s, E(EINVAL));
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

/* --- lifetime: cycles, kill -9, global counters ------------------------------------- */

static int stats_zero(char *why, size_t len)
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

static void t_cycles(void)
{
	struct domus_global_stats gs;
	char why[300] = "";
	double t0 = now_ms();
	int i, ok = 1, seen = 0;

	for (i = 0; i < 200 && ok; i++) {
		struct vm vm;
		struct ctx c;
		int r = vm_start(&vm, "real16", T_HELLO, 0, 0, 0);

		if (r) {
			ok = 0;
			snprintf(why, sizeof(why), "cycle %d: %s", i, domus_last_error());
		} else {
			if (i == 100 && !domus_global_stats(devfd, &gs))
				seen = gs.domains == 1 && gs.vcpus == 1 && gs.hw_enabled_cpus > 0 &&
				       gs.pinned_pages == LO_RAM_SIZE / 4096 && gs.npt_pages > 0;
			ctx_init(&c, &vm, &vm.vcpu[0], 1);
			ok = run_to_pass(&c, "real16", why, sizeof(why));
		}
		vm_destroy(&vm);
	}
	result("cycles-200", ok, "%s", why);
	printf("info: cycles-200: %.1f ms per create/run/destroy cycle\n", (now_ms() - t0) / 200);
	result("cycles-stats-live", seen, "global stats during a cycle: domains %llu vcpus %llu pinned %llu npt %llu hw_cpus %u",
	       (unsigned long long)gs.domains, (unsigned long long)gs.vcpus,
	       (unsigned long long)gs.pinned_pages, (unsigned long long)gs.npt_pages, gs.hw_enabled_cpus);
	ok = stats_zero(why, sizeof(why));
	result("cycles-stats-zero", ok, "%s", why);
}

static void t_kill9(void)
{
	char why[300] = "";
	int pfd[2], st = 0;
	char byte = 0;
	pid_t pid;

	if (pipe(pfd)) {
		result("kill9", 0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vm vm;

		close(pfd[0]);
		if (vm_start(&vm, "long64", T_LOOP, 0, 0, 0))
			_exit(2);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			domus_run(&vm.vcpu[0]);
	}
	close(pfd[1]);
	if (read(pfd[0], &byte, 1) != 1) {
		waitpid(pid, &st, 0);
		result("kill9", 0, "the child could not start its guest (status 0x%x)", st);
		close(pfd[0]);
		return;
	}
	close(pfd[0]);
	sleep_ms(300);		/* the child is inside DOMUS_RUN, the guest looping */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	result("kill9", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status 0x%x", st);
	result("kill9-stats-zero", stats_zero(why, sizeof(why)), "%s", why);
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
	{ "mmio", t_mmio },
	{ "roslot", t_roslot },
	{ "cpuid", t_cpuid },
	{ "msr-gp", t_msr_gp },
	{ "triple", t_triple },
	{ "irq", t_irq },
	{ "nmi", t_nmi },
	{ "hlt", t_hlt },
	{ "signal", t_signal },
	{ "regs", t_regs },
	{ "msrs", t_msrs },
	{ "fpu-state", t_fpu_state },
	{ "events", t_events },
	{ "fpu-separation", t_fpu_separation },
	{ "smp", t_smp },
	{ "isolation", t_isolation },
	{ "stats", t_stats },
	{ "badargs", t_badargs },
	{ "cycles", t_cycles },
	{ "kill9", t_kill9 },
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
