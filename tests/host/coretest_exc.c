// SPDX-License-Identifier: MIT
/*
 * coretest: exact exception delivery (issue 10 item 6), guest exc64.S.
 *
 * exc-delivery: the guest raises an event with its stack in EXC_LATE, a
 * page outside every slot, so the delivery exits.  domus must not treat
 * that access as MMIO of the instruction at RIP; it exits with
 * DOMUS_EXIT_EMULATION.  The host maps the page and, for INT n and INT3,
 * rewrites the instruction (as a code patcher on another CPU might): the
 * event in flight must still arrive as it was raised, with its vector,
 * the return address after a software event's instruction (at a fault's)
 * and its error code.  A re-executed instruction would show the rewrite.
 *
 * dr-*: DR6/DR7 after reset and the MOV DR rules (hardware handles them
 * once the guest owns the debug registers; DR7.GD's #DB is injected).
 */
#include "coretest.h"
#include <cpuid.h>
#include <sys/wait.h>

static void skip(const char *name, const char *why)
{
	printf("SKIP: core/%s: %s\n", name, why);
	fflush(stdout);
}

static void icebp_ud(int sig)
{
	(void)sig;
	_exit(2);
}

static void icebp_db(int sig)
{
	(void)sig;
	_exit(3);
}

/*
 * Does this CPU have ICEBP (F1 raises #DB: SIGTRAP)?  QEMU 7.2's TCG
 * decodes F1 as an invalid opcode (#UD: SIGILL), in the test host's own
 * processes as in a guest.  The child handles both signals, so the
 * kernel logs no unhandled trap.
 */
static int cpu_has_icebp(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGILL, icebp_ud);
		signal(SIGTRAP, icebp_db);
		__asm__ __volatile__(".byte 0xf1");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;	/* cannot tell: run the check */
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

/* A domain running exc64 test @test, with leaf 1 of the host's CPUID (CR4.DE allowed). */
static int exc_vm(struct vm *vm, uint64_t test)
{
	struct domus_cpuid_entry t[2] = { { .function = 0, .eax = 1 }, { .function = 1 } };
	unsigned int a, b, cc, d;
	int r;

	__cpuid(1, a, b, cc, d);
	t[1].eax = a;
	t[1].ecx = cc;
	t[1].edx = d;
	r = vm_create(vm, LM_RAM_SIZE, 0);
	if (!r)
		r = domus_set_cpuid(vm->fd, t, 2);
	if (!r)
		r = load_guest(vm, "exc64");
	if (!r)
		r = vm_add_vcpu(vm, 0);
	if (!r)
		r = setup_lm(vm, &vm->vcpu[0], test, 0, 0, 0);
	return r;
}

struct deliver_case {
	const char *name;
	uint64_t test;
	uint32_t vector;
	uint32_t err;
	int after;		/* return RIP after the instruction (else at it) */
	int patch_off;		/* -1: leave the instruction alone */
	uint8_t patch;
	/*
	 * The error code as this CPU makes it, from a run without the exit
	 * (its IDT bit must be set): the SDM/APM have vector * 8 + 3 for
	 * #NP while delivering #UD (IDT, and EXT: an earlier exception);
	 * QEMU 7.2 TCG makes vector * 16 + 2.
	 */
	int cpu_err;
	int prot32;		/* prot32.S, stack in LO_LATE (else exc64.S, EXC_LATE) */
};

static const struct deliver_case deliver_cases[] = {
	{ "deliver-int-n", E_INT, 0x40, 0, 1, 1, 0x41, 0, 0 },	/* INT 0x40 -> INT 0x41 */
	{ "deliver-into", T_INTO, 4, 0, 1, 0, 0x90, 0, 1 },	/* INTO -> NOP */
	{ "deliver-int3", E_INT3, 3, 0, 1, 0, 0x90, 0, 0 },		/* INT3 -> NOP */
	{ "deliver-icebp", E_ICEBP, 1, 0, 1, -1, 0, 0, 0 },
	{ "deliver-gp-mov", E_GP_MOV, 13, 0, 0, -1, 0, 0, 0 },
	{ "deliver-np-idt-ext", E_NP_IDT, 11, 6 * 8 + 3, 0, -1, 0, 1, 0 },
};

/* A domain running @k's guest. */
static int case_vm(struct vm *vm, const struct deliver_case *k)
{
	int r;

	if (!k->prot32)
		return exc_vm(vm, k->test);
	r = vm_create(vm, LO_RAM_SIZE, 0);
	if (!r)
		r = load_guest(vm, "prot32");
	if (!r)
		r = vm_add_vcpu(vm, 0);
	if (!r)
		r = setup_lo(&vm->vcpu[0], k->test);
	return r;
}

/* The error code of @k's event delivered with EXC_LATE mapped from the start, or ~0. */
static uint32_t cpu_error_code(const struct deliver_case *k)
{
	uint8_t *late = domus_guest_alloc(0x1000);
	uint32_t err = ~0u;
	struct vm vm;
	struct ctx c;

	if (late && !case_vm(&vm, k) &&
	    domus_set_slot(vm.fd, 2, EXC_LATE, 0x1000, late, 0) >= 0) {
		ctx_init(&c, &vm, &vm.vcpu[0], 1);
		if (run_guest(&c) == R_DONE && c.done_code == 0 && c.nvals == 5 &&
		    c.vals[2] == k->vector)
			err = c.vals[4];
	}
	vm_destroy(&vm);
	domus_guest_free(late, 0x1000);
	return err;
}

static void deliver_run(const struct deliver_case *k)
{
	struct domus_run *run;
	uint8_t *late = NULL;
	struct vm vm;
	struct ctx c;
	uint32_t insn, next, want_rip, want_err = k->err;
	uint64_t late_gpa = k->prot32 ? LO_LATE : EXC_LATE;
	int r;

	if (k->test == E_ICEBP && !cpu_has_icebp()) {
		skip(k->name, "F1 is #UD on this CPU (QEMU 7.2 TCG has no ICEBP)");
		return;
	}
	if (k->cpu_err) {
		want_err = cpu_error_code(k);
		if (want_err != k->err)
			printf("info: %s: this CPU's error code is 0x%x (the SDM's 0x%x)\n",
			       k->name, want_err, k->err);
		if (want_err == ~0u || !(want_err & 2)) {
			result(k->name, 0, "without the exit the CPU delivered error code 0x%x "
			       "(want the IDT bit)", want_err);
			return;
		}
	}
	r = case_vm(&vm, k);
	if (r) {
		result(k->name, 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], !k->prot32);
	r = run_guest(&c);
	run = c.v->run;
	if (r != R_ERR || run->exit_reason != DOMUS_EXIT_EMULATION || c.nvals != 2 ||
	    run->emulation.gpa < late_gpa || run->emulation.gpa >= late_gpa + 0x1000) {
		result(k->name, 0, "delivery to the unmapped stack: run ended with %d, exit %s, "
		       "gpa 0x%llx, %d values (want an emulation exit in 0x%x's page) %s",
		       r, domus_exit_name(run->exit_reason),
		       (unsigned long long)run->emulation.gpa, c.nvals, (unsigned int)late_gpa, c.err);
		goto out;
	}
	insn = c.vals[0];
	next = c.vals[1];
	if (k->patch_off >= 0)
		vm.ram[insn + k->patch_off] = k->patch;
	late = domus_guest_alloc(0x1000);
	if (!late || domus_set_slot(vm.fd, 2, late_gpa, 0x1000, late, 0) < 0) {
		result(k->name, 0, "mapping the stack page: %s", domus_last_error());
		goto out;
	}
	c.err[0] = 0;
	r = run_guest(&c);
	want_rip = k->after ? next : insn;
	result(k->name, r == R_DONE && c.done_code == 0 && c.nvals == 5 &&
	       c.vals[2] == k->vector && c.vals[3] == want_rip && c.vals[4] == want_err,
	       "after mapping: run %d done %u, %d values: vector 0x%x return RIP 0x%x error 0x%x "
	       "(want vector 0x%x, RIP 0x%x (instruction 0x%x), error 0x%x) %s",
	       r, c.done_code, c.nvals, c.nvals > 2 ? c.vals[2] : 0, c.nvals > 3 ? c.vals[3] : 0,
	       c.nvals > 4 ? c.vals[4] : 0, k->vector, want_rip, insn, want_err, c.err);
out:
	vm_destroy(&vm);
	domus_guest_free(late, 0x1000);
}

void t_exc_delivery(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(deliver_cases) / sizeof(deliver_cases[0]); i++)
		deliver_run(&deliver_cases[i]);
}

/* The values E_DR reports, in order (exc64.S). */
enum { DR6_RESET, DR7_RESET, DR4_ALIAS, DR5_ALIAS, UD4_N, UD4_VEC, UD4_ERR, UD5_N, UD5_VEC,
       UD5_ERR, GP7_N, GP7_VEC, GP7_ERR, GP6_N, GP6_VEC, GP6_ERR, DR7_AFTER, GD_N, GD_VEC,
       GD_ERR, GD_DR6, GD_DR7, DR_NVALS };

void t_dr_rules(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	uint32_t *v = c.vals;
	int ok, r = exc_vm(&vm, E_DR);

	if (r) {
		result("dr-reset", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "exc64", why, sizeof(why));
	if (ok && c.nvals != DR_NVALS) {
		ok = 0;
		snprintf(why, sizeof(why), "%d values reported, want %d", c.nvals, DR_NVALS);
	}
	if (!ok)
		memset(c.vals, 0, sizeof(c.vals));
	result("dr-reset", ok && v[DR6_RESET] == 0xffff0ff0 && v[DR7_RESET] == 0x400,
	       "DR6 0x%x DR7 0x%x, want 0xffff0ff0 0x400 %s", v[DR6_RESET], v[DR7_RESET], why);
	result("dr4-dr5-alias", ok && v[DR4_ALIAS] == 0xffff0ff0 && v[DR5_ALIAS] == 0x400,
	       "CR4.DE clear: DR4 0x%x DR5 0x%x, want DR6's and DR7's %s", v[DR4_ALIAS],
	       v[DR5_ALIAS], why);
	result("dr4-dr5-ud", ok && v[UD4_N] == 1 && v[UD4_VEC] == 6 && v[UD5_N] == 2 &&
	       v[UD5_VEC] == 6,
	       "CR4.DE set: MOV from DR4: %u exceptions, vector %u; DR5: %u, vector %u "
	       "(want #UD each) %s", v[UD4_N], v[UD4_VEC], v[UD5_N], v[UD5_VEC], why);
	result("dr-upper-bits-gp", ok && v[GP7_N] == 3 && v[GP7_VEC] == 13 && v[GP7_ERR] == 0 &&
	       v[GP6_N] == 4 && v[GP6_VEC] == 13 && v[GP6_ERR] == 0 && v[DR7_AFTER] == 0x400,
	       "bits 63:32 to DR7: %u/vector %u/error 0x%x, to DR6: %u/vector %u/error 0x%x, "
	       "DR7 then 0x%x (want #GP(0) each, DR7 0x400) %s", v[GP7_N], v[GP7_VEC],
	       v[GP7_ERR], v[GP6_N], v[GP6_VEC], v[GP6_ERR], v[DR7_AFTER], why);
	/* MOV DR runs natively once the guest owns the registers: a CPU without GD */
	if (ok && v[GD_N] == 4 && v[GD_DR7] == 0x2400)
		skip("dr7-gd", "MOV DR with DR7.GD set raised nothing: this CPU has no GD "
		     "(QEMU 7.2 TCG); domus does not intercept that MOV DR");
	else
		result("dr7-gd", ok && v[GD_N] == 5 && v[GD_VEC] == 1 && (v[GD_DR6] & 0x2000) &&
	       v[GD_DR7] == 0x400,
	       "MOV DR with DR7.GD: %u exceptions, vector %u, DR6 0x%x, DR7 0x%x after "
	       "(want #DB, DR6.BD, GD cleared) %s", v[GD_N], v[GD_VEC], v[GD_DR6], v[GD_DR7], why);
	vm_destroy(&vm);
}
