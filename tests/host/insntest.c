// SPDX-License-Identifier: MIT
/*
 * insntest: intercepted instructions in prefixed forms (issue 19): the
 * guest tests/guests/insn16.S runs 66-, segment- and REP-prefixed CPUID,
 * VMMCALL/VMCALL, RDMSR, WRMSR and MOV CR0 in real mode; each must resume
 * the guest right after the whole instruction, on either backend (AMD-V
 * without NRIP save takes the length from the decoder).  The old fixed
 * lengths resumed `66 0F A2` at its last byte; the watchdog catches a guest
 * that then loops without exits.  Run by the core
 * suites (tests/host/amd-core.sh, intel-core.sh) after coretest.
 *
 * One PASS/FAIL line per check, "core/insn/<name>".  Exit status 0 when
 * all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libdomus.h"
#include "../guests/guest.h"

#define GUEST_PATH	"build/guests/insn16.bin"
#define HC_NR		0x1234
#define HC_RET		0x600d
#define NCHECKS		6
#define CPUID0_EAX	0x0d	/* the table's leaf 0 */

static int failed;
static volatile sig_atomic_t timed_out;

/* The watchdog: a guest resumed mid-instruction may loop without exits. */
static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void result(const char *name, int ok, const char *why)
{
	if (ok) {
		printf("PASS: core/insn/%s\n", name);
	} else {
		printf("FAIL: core/insn/%s: %s\n", name, why);
		failed = 1;
	}
}

/* What each numbered report of the guest must satisfy. */
static int check_value(unsigned int n, uint32_t v, char *why, size_t len)
{
	switch (n) {
	case 1:
	case 2:
		if (v == CPUID0_EAX)
			return 1;
		snprintf(why, len, "CPUID leaf 0 gave EAX 0x%x, want 0x%x", v, CPUID0_EAX);
		return 0;
	case 3:
		if (v == HC_RET)
			return 1;
		snprintf(why, len, "hypercall returned 0x%x, want 0x%x", v, HC_RET);
		return 0;
	case 4:
		if ((v & 0xfffff000) == 0xfee00000)
			return 1;
		snprintf(why, len, "APIC base 0x%x", v);
		return 0;
	case 5:
		if (v == 0x00070106)
			return 1;
		snprintf(why, len, "PAT low dword 0x%x after WRMSR 0x00070106", v);
		return 0;
	case 6:
		if (v == 0x20)
			return 1;
		snprintf(why, len, "CR0.NE not set after MOV to CR0 (0x%x)", v);
		return 0;
	}
	snprintf(why, len, "unknown check %u", n);
	return 0;
}

static const char *const check_name[NCHECKS + 1] = {
	"", "cpuid-66", "cpuid-4prefixes", "hypercall-2e", "rdmsr-3e66", "wrmsr-66-rdmsr-26",
	"mov-cr0-66",
};

int main(void)
{
	const struct domus_cpuid_entry leaf0 = { .function = 0, .eax = CPUID0_EAX };
	struct domus_caps caps;
	struct domus_vcpu_handle v = { .fd = -1 };
	struct domus_regs r;
	unsigned int got = 0, pending = 0, nhc = 0;
	int devfd, domfd, fd, ok = 1, done = 0, steps;
	char why[200] = "", cwhy[200];
	uint8_t *ram;
	ssize_t n;

	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: DOMUS_RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(60);
	devfd = domus_open();
	if (devfd < 0 || domus_get_caps(devfd, &caps) < 0) {
		result("setup", 0, domus_last_error());
		return 1;
	}
	domfd = domus_create_domain(devfd);
	ram = domfd < 0 ? NULL : domus_guest_alloc(LO_RAM_SIZE);
	if (!ram || domus_set_cpuid(domfd, &leaf0, 1) < 0 || domus_set_slot(domfd, 0, 0, LO_RAM_SIZE, ram, 0) < 0 ||
	    domus_create_vcpu(domfd, 0, &v) < 0 ||
	    domus_setup_real_mode(&v, GUEST_LOAD) < 0) {
		result("setup", 0, domus_last_error());
		return 1;
	}
	fd = open(GUEST_PATH, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, ram + GUEST_LOAD, 0x10000);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		result("setup", 0, "cannot read " GUEST_PATH " (run 'make userland')");
		return 1;
	}
	if (domus_get_regs(&v, &r) < 0) {
		result("setup", 0, domus_last_error());
		return 1;
	}
	r.rsi = caps.vendor == DOMUS_VENDOR_VMX;	/* VMCALL on VT-x */
	if (domus_set_regs(&v, &r) < 0) {
		result("setup", 0, domus_last_error());
		return 1;
	}

	for (steps = 0; steps < 1000 && !done && ok; steps++) {
		struct domus_run *run = v.run;
		uint32_t val = 0;

		if (domus_run(&v) < 0) {
			if (timed_out)
				snprintf(why, sizeof(why),
					 "guest stuck for 60 s after check %u (resumed mid-instruction?)",
					 got);
			else
				snprintf(why, sizeof(why), "%s", domus_last_error());
			ok = 0;
			break;
		}
		switch (run->exit_reason) {
		case DOMUS_EXIT_IO:
			if (run->io.direction != DOMUS_IO_OUT || run->io.count != 1) {
				snprintf(why, sizeof(why), "unexpected I/O at port 0x%x", run->io.port);
				ok = 0;
				break;
			}
			memcpy(&val, (uint8_t *)run + run->io.data_offset, run->io.size);
			if (run->io.port == PORT_DONE) {
				if (val) {
					snprintf(why, sizeof(why), "guest failed at insn16.S line %u", val);
					ok = 0;
				}
				done = 1;
			} else if (run->io.port == PORT_VAL && run->io.size == 1) {
				pending = val;
			} else if (run->io.port == PORT_VAL && run->io.size == 4 && pending) {
				if (pending != got + 1 || pending > NCHECKS) {
					snprintf(why, sizeof(why), "report %u after %u", pending, got);
					ok = 0;
					break;
				}
				got = pending;
				cwhy[0] = 0;
				result(check_name[got], check_value(got, val, cwhy, sizeof(cwhy)), cwhy);
				pending = 0;
			} else {
				snprintf(why, sizeof(why), "unexpected OUT to port 0x%x", run->io.port);
				ok = 0;
			}
			break;
		case DOMUS_EXIT_HYPERCALL:
			if (run->hypercall.nr != HC_NR) {
				snprintf(why, sizeof(why), "hypercall 0x%llx, want 0x%x",
					 (unsigned long long)run->hypercall.nr, HC_NR);
				ok = 0;
			}
			run->hypercall.ret = HC_RET;
			nhc++;
			break;
		case DOMUS_EXIT_HLT:
		case DOMUS_EXIT_SHUTDOWN:
		case DOMUS_EXIT_EMULATION:
		case DOMUS_EXIT_FAIL_ENTRY:
		default:
			domus_get_regs(&v, &r);
			snprintf(why, sizeof(why),
				 "exit %u at rip 0x%llx after check %u (resumed mid-instruction?)",
				 run->exit_reason, (unsigned long long)r.rip, got);
			ok = 0;
			break;
		case DOMUS_EXIT_INTR:
			break;
		}
	}
	if (ok && !done)
		snprintf(why, sizeof(why), "guest did not finish in 1000 exits");
	if (ok && done && nhc != 1)
		snprintf(why, sizeof(why), "%u hypercall exits, want 1", nhc);
	result("all-forms", ok && done && got == NCHECKS && nhc == 1,
	       why[0] ? why : "not every check reported");
	domus_vcpu_close(&v);
	close(domfd);
	close(devfd);
	return failed;
}
