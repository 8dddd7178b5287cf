// SPDX-License-Identifier: MIT
/*
 * xsavetest: XSETBV exits and XSAVE state of a domus guest, checked
 * against the architecture (tests/guests/xsave64.S).  Runs inside a test
 * host with domus.ko loaded, from the repository top; needs a CPU model
 * with XSAVE (tests/suites/46-core-amd-xsave: QEMU `-cpu max`), and
 * prints SKIP for each check the CPU cannot reach (no XSAVE: all; no
 * AVX: the YMM checks; no MPX: the BNDREGS/BNDCSR pairing).
 *
 *   xsave/xsetbv-valid         x87, x87|SSE, (x87|SSE|AVX), every feature the
 *                              host enabled: accepted, XGETBV reads them back,
 *                              DOMUS_GET_FPU reports the guest's last XCR0
 *   xsave/xsetbv-invalid-gp    x87 clear, SSE without x87, AVX without SSE,
 *                              ECX 1 and 0x80000000, bit 63, a feature the
 *                              host does not offer: #GP(0), XCR0 unchanged
 *   xsave/avx-needs-xcr0       a YMM load is #UD with XCR0 = x87|SSE and works
 *                              after XSETBV 7; the guest's XSAVE keeps it
 *   xsave/fpu-ymm-roundtrip    DOMUS_SET_FPU with YMM state and XCR0 7, then
 *                              DOMUS_GET_FPU: the same state
 *   xsave/set-fpu-invalid      DOMUS_SET_FPU with each invalid XCR0: EINVAL
 *   xsave/set-fpu-pkru         on a host with protection keys (XCR0 bit 9):
 *                              DOMUS_SET_FPU with PKRU for a guest not shown
 *                              PKU is EINVAL (its XRSTOR would write the
 *                              host's PKRU); without PKU on the host: SKIP
 *   xsave/xsetbv-mpx-half      BNDREGS without BNDCSR and the reverse: #GP
 *   xsave/set-fpu-mpx-half     the same values through DOMUS_SET_FPU: EINVAL
 *
 * The two MPX checks run last: a hypervisor that accepts half of MPX
 * loads that XCR0 into the processor, which faults in the host kernel.
 * First a probe: if the CPU does not deliver guest XSETBVs to the
 * hypervisor (QEMU 7.2 TCG ignores the SVM intercept), the checks that
 * need a guest XSETBV print SKIP (and the guests never run one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include "libdomus.h"
#include "../guests/guest.h"

#define XT_VALID	0
#define XT_INVALID	1
#define XT_AVX		2
#define XT_MPX_HALF	3
#define XT_PROBE	4

#define XS_XSTATE_BV	512
#define XS_YMM_HI	576

#define NO_INTERCEPT	"this CPU ignores the XSETBV intercept (QEMU 7.2 TCG): a guest XSETBV would write the host's XCR0"

static int failed, devfd = -1, intercepted;
static uint64_t host_xcr0, host_supported;	/* XGETBV(0), CPUID 0xd.0 EDX:EAX */
#define XCR0_PKRU	(1ULL << 9)
/* what these guests (shown no PKU) may enable: the host's XCR0 but PKRU */
#define GUEST_XCR0	(host_xcr0 & ~XCR0_PKRU)

static void __attribute__((format(printf, 3, 4)))
result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: xsave/%s\n", name);
		return;
	}
	failed = 1;
	printf("FAIL: xsave/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void skip(const char *name, const char *why)
{
	printf("SKIP: xsave/%s: %s\n", name, why);
}

struct vm {
	int fd;
	uint8_t *ram;
	struct domus_vcpu_handle v;
	uint32_t vals[64];
	uint64_t exits[64];		/* DOMUS_STAT_EXITS at each PORT_VAL */
	int nvals;
	uint32_t done;
	char err[200];
};

static void vm_destroy(struct vm *vm)
{
	if (vm->v.fd >= 0 || vm->v.run)
		domus_vcpu_close(&vm->v);
	if (vm->fd >= 0)
		close(vm->fd);
	domus_guest_free(vm->ram, LM_RAM_SIZE);
	vm->ram = NULL;
	vm->fd = -1;
}

/* A domain running xsave64 test @test with RSI = @rsi, RDX = @rdx. */
static int vm_start(struct vm *vm, uint64_t test, uint64_t rsi, uint64_t rdx)
{
	struct domus_regs r;
	ssize_t n;
	int fd, ret;

	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->v.fd = -1;
	ret = domus_create_domain(devfd);
	if (ret < 0)
		return ret;
	vm->fd = ret;
	vm->ram = domus_guest_alloc(LM_RAM_SIZE);
	if (!vm->ram)
		return -ENOMEM;
	ret = domus_set_slot(vm->fd, 0, 0, LM_RAM_SIZE, vm->ram, 0);
	if (ret < 0)
		return ret;
	fd = open("build/guests/xsave64.bin", O_RDONLY);
	if (fd < 0)
		return domus_set_error(errno, "build/guests/xsave64.bin: %s (make userland)", strerror(errno));
	n = read(fd, vm->ram + GUEST_LOAD, 0x70000);
	close(fd);
	if (n <= 0)
		return domus_set_error(EIO, "cannot read build/guests/xsave64.bin");
	ret = domus_create_vcpu(vm->fd, 0, &vm->v);
	if (!ret)
		ret = domus_setup_long_mode(&vm->v, vm->ram, LM_PT, LM_MAP_BYTES, GUEST_LOAD, LM_STACK_TOP);
	if (!ret)
		ret = domus_get_regs(&vm->v, &r);
	if (ret)
		return ret;
	r.rdi = test;
	r.rsi = rsi;
	r.rdx = rdx;
	return domus_set_regs(&vm->v, &r);
}

/* Run to PORT_DONE; 1 if the guest passed, else @why says what happened. */
static int vm_run(struct vm *vm, char *why, size_t len)
{
	unsigned int i;

	for (i = 0; i < 100000; i++) {
		struct domus_run *run = vm->v.run;
		uint32_t val = 0;

		if (domus_run(&vm->v) < 0) {
			snprintf(why, len, "run: %s", domus_last_error());
			return 0;
		}
		if (run->exit_reason != DOMUS_EXIT_IO || run->io.direction != DOMUS_IO_OUT ||
		    run->io.count != 1 || run->io.size > 4) {
			snprintf(why, len, "unexpected exit %s", domus_exit_name(run->exit_reason));
			return 0;
		}
		memcpy(&val, (uint8_t *)run + run->io.data_offset, run->io.size);
		if (run->io.port == PORT_DONE) {
			if (val)
				snprintf(why, len, "guest check failed at tests/guests/xsave64.S line %u", val);
			return val == 0;
		}
		if (run->io.port == PORT_VAL && vm->nvals < 64) {
			struct domus_domain_stats st;

			memset(&st, 0, sizeof(st));
			domus_domain_stats(vm->fd, &st);
			vm->exits[vm->nvals] = st.stat[DOMUS_STAT_EXITS];
			vm->vals[vm->nvals++] = val;
		}
	}
	snprintf(why, len, "no PORT_DONE after %u exits", i);
	return 0;
}

/* Run xsave64 test @test in a fresh domain; the XCR0 the guest left in @xcr0. */
static int guest_test(uint64_t test, uint64_t rsi, uint64_t rdx, char *why, size_t len, uint64_t *xcr0)
{
	struct vm vm;
	static struct domus_fpu f;
	int ok;

	if (vm_start(&vm, test, rsi, rdx)) {
		snprintf(why, len, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return 0;
	}
	ok = vm_run(&vm, why, len);
	if (ok && xcr0) {
		if (domus_get_fpu(&vm.v, &f)) {
			snprintf(why, len, "DOMUS_GET_FPU: %s", domus_last_error());
			ok = 0;
		} else {
			*xcr0 = f.xcr0;
		}
	}
	vm_destroy(&vm);
	return ok;
}

/* DOMUS_SET_FPU with @xcr0 on a fresh vCPU; the -errno. */
static int set_fpu_xcr0(uint64_t xcr0, uint64_t *after)
{
	static struct domus_fpu f;
	struct vm vm;
	int r = vm_start(&vm, XT_VALID, host_xcr0, 0);

	if (!r)
		r = domus_get_fpu(&vm.v, &f);
	if (!r) {
		f.xcr0 = xcr0;
		r = domus_set_fpu(&vm.v, &f);
		if (domus_get_fpu(&vm.v, &f) == 0 && after)
			*after = f.xcr0;
	}
	vm_destroy(&vm);
	return r;
}

/*
 * Does the CPU deliver XSETBV to the hypervisor?  QEMU 7.2's TCG does not
 * honour the SVM XSETBV intercept: a guest's XSETBV then writes the
 * host's XCR0 directly (the host loses AVX/MPX/PKRU state and its
 * processes die), so no XSETBV exit can be tested there.  The probe's
 * XSETBVs write the host's own XCR0: harmless either way.  1: intercepted.
 */
static int xsetbv_intercepted(void)
{
	struct vm vm;
	char why[300] = "";
	int ok = vm_start(&vm, XT_PROBE, host_xcr0, 0) == 0 && vm_run(&vm, why, sizeof(why)) && vm.nvals == 2;
	uint64_t d = ok ? vm.exits[1] - vm.exits[0] : 0;

	vm_destroy(&vm);
	printf("info: 64 guest XSETBVs caused %llu exits: the XSETBV intercept is %s%s%s\n",
	       (unsigned long long)d, d >= 64 ? "honoured" : "ignored by this CPU",
	       ok ? "" : "; probe failed: ", why);
	return d >= 64;
}

static void t_valid(void)
{
	char why[300] = "";
	uint64_t xcr0 = 0;
	int ok = guest_test(XT_VALID, GUEST_XCR0, 0, why, sizeof(why), &xcr0);

	if (ok && xcr0 != GUEST_XCR0) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_GET_FPU xcr0 %#llx after the guest's XSETBV %#llx",
			 (unsigned long long)xcr0, (unsigned long long)GUEST_XCR0);
	}
	result("xsetbv-valid", ok, "%s", why);
}

static void t_invalid(void)
{
	char why[300] = "";
	uint64_t unoffered = 0, xcr0 = 0;
	unsigned int b;
	int ok;

	for (b = 3; b < 63 && !unoffered; b++)
		if (!(host_supported & (1ULL << b)) && !(host_xcr0 & (1ULL << b)))
			unoffered = 1ULL << b;
	if (host_xcr0 & XCR0_PKRU)
		unoffered = XCR0_PKRU;	/* the host has it; this guest is not shown PKU */
	ok = guest_test(XT_INVALID, GUEST_XCR0, unoffered, why, sizeof(why), &xcr0);
	if (ok && xcr0 != 3) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_GET_FPU xcr0 %#llx after the faulting XSETBVs (want 0x3)",
			 (unsigned long long)xcr0);
	}
	result("xsetbv-invalid-gp", ok, "%s", why);
}

static void t_avx(void)
{
	char why[300] = "";

	if ((host_xcr0 & 6) != 6) {
		skip("avx-needs-xcr0", "the host has no AVX");
		return;
	}
	result("avx-needs-xcr0", guest_test(XT_AVX, host_xcr0, 0, why, sizeof(why), NULL), "%s", why);
}

static void t_fpu_ymm(void)
{
	static struct domus_fpu f, g;
	struct vm vm;
	uint64_t bv = 7;
	char why[300] = "";
	int i, ok;

	if ((host_xcr0 & 6) != 6) {
		skip("fpu-ymm-roundtrip", "the host has no AVX");
		return;
	}
	ok = vm_start(&vm, XT_VALID, GUEST_XCR0, 0) == 0 && domus_get_fpu(&vm.v, &f) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "setup: %s", domus_last_error());
	f.xcr0 = 7;
	for (i = 0; i < 256; i++)
		f.xsave[XS_YMM_HI + i] = (uint8_t)(0xa0 + i);
	memcpy(f.xsave + XS_XSTATE_BV, &bv, 8);
	if (ok && (domus_set_fpu(&vm.v, &f) || domus_get_fpu(&vm.v, &g))) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_SET_FPU/GET_FPU: %s", domus_last_error());
	}
	if (ok && (g.xcr0 != 7 || memcmp(g.xsave + XS_YMM_HI, f.xsave + XS_YMM_HI, 256))) {
		ok = 0;
		snprintf(why, sizeof(why), "xcr0 %#llx, YMM_Hi128 %s after the round trip",
			 (unsigned long long)g.xcr0,
			 memcmp(g.xsave + XS_YMM_HI, f.xsave + XS_YMM_HI, 256) ? "differs" : "same");
	}
	vm_destroy(&vm);
	result("fpu-ymm-roundtrip", ok, "%s", why);
}

static void t_set_fpu_invalid(void)
{
	static const uint64_t bad[] = { 0, 2, 5, 0x8000000000000003ULL };
	char why[300] = "";
	unsigned int i;
	int ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) && ok; i++) {
		int r = set_fpu_xcr0(bad[i], NULL);

		if (r != -EINVAL) {
			ok = 0;
			snprintf(why, sizeof(why), "xcr0 %#llx: %d (want -EINVAL)", (unsigned long long)bad[i], r);
		}
	}
	result("set-fpu-invalid", ok, "%s", why);
}

static void t_set_fpu_pkru(void)
{
	int r;

	if (!(host_xcr0 & XCR0_PKRU)) {
		skip("set-fpu-pkru", "the host has no protection keys (XCR0 bit 9)");
		return;
	}
	r = set_fpu_xcr0(0x3 | XCR0_PKRU, NULL);
	result("set-fpu-pkru", r == -EINVAL, "xcr0 %#llx for a guest not shown PKU: %d (want -EINVAL)",
	       (unsigned long long)(0x3 | XCR0_PKRU), r);
}

static void t_mpx_half(void)
{
	static const uint64_t bad[] = { 0x0b, 0x13 };
	char why[300] = "";
	unsigned int i;
	int ok = 1;

	if ((host_xcr0 & 0x18) != 0x18) {
		skip("set-fpu-mpx-half", "the host has no MPX state in XCR0");
		skip("xsetbv-mpx-half", "the host has no MPX state in XCR0");
		return;
	}
	for (i = 0; i < 2 && ok; i++) {
		int r = set_fpu_xcr0(bad[i], NULL);

		if (r != -EINVAL) {
			ok = 0;
			snprintf(why, sizeof(why), "xcr0 %#llx: %d (want -EINVAL)", (unsigned long long)bad[i], r);
		}
	}
	result("set-fpu-mpx-half", ok, "%s", why);
	fflush(stdout);
	if (!intercepted)
		skip("xsetbv-mpx-half", NO_INTERCEPT);
	else
		result("xsetbv-mpx-half", guest_test(XT_MPX_HALF, host_xcr0, 0, why, sizeof(why), NULL),
		       "%s", why);
}

int main(void)
{
	unsigned int a, b, c, d;
	static const char *const names[] = {
		"xsetbv-valid", "xsetbv-invalid-gp", "avx-needs-xcr0", "fpu-ymm-roundtrip",
		"set-fpu-invalid", "set-fpu-pkru", "set-fpu-mpx-half", "xsetbv-mpx-half",
	};
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 26)) || !(c & (1u << 27))) {	/* XSAVE, OSXSAVE */
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			skip(names[i], "the CPU has no XSAVE (run with a model that has it: 46-core-amd-xsave)");
		return 0;
	}
	__asm__ __volatile__("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	host_xcr0 = a | (uint64_t)d << 32;
	__cpuid_count(0xd, 0, a, b, c, d);
	host_supported = a | (uint64_t)d << 32;
	printf("info: host XCR0 %#llx, processor XCR0 mask %#llx\n",
	       (unsigned long long)host_xcr0, (unsigned long long)host_supported);
	devfd = domus_open();
	if (devfd < 0) {
		printf("FAIL: xsave/open: %s\n", domus_last_error());
		return 1;
	}
	intercepted = xsetbv_intercepted();
	if (intercepted) {
		t_valid();
		t_invalid();
		t_avx();
	} else {
		for (i = 0; i < 3; i++)
			skip(names[i], NO_INTERCEPT);
	}
	t_fpu_ymm();
	t_set_fpu_invalid();
	t_set_fpu_pkru();
	t_mpx_half();		/* last: see the head of the file */
	close(devfd);
	return failed;
}
