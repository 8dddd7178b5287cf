// SPDX-License-Identifier: MIT
/*
 * coretest: CPUID, MSRs, exceptions and shutdown
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <cpuid.h>

/* --- CPUID ------------------------------------------------------------------- */

/*
 * Run long64's T_CPUID in a new domain (@flags) with CPUID table @t: the
 * guest asks the @n leaves of @ask and reports each answer (4 values).
 * 1: the guest reported them all (in c->vals), 0: it did not, -1: no
 * domain and vCPU to run (@why says what failed in both); the caller
 * destroys @vm either way.
 */
static int cpuid_guest(struct vm *vm, struct ctx *c, uint32_t flags, const struct domus_cpuid_entry *t,
		       unsigned int nt, const uint32_t (*ask)[2], unsigned int n, char *why, size_t len)
{
	unsigned int i;
	uint32_t *q;
	int r, ok;

	r = vm_create_flags(vm, LM_RAM_SIZE, 1, flags);
	if (!r)
		r = domus_set_cpuid(vm->fd, t, nt);
	if (!r)
		r = load_guest(vm, "long64");
	if (!r)
		r = vm_add_vcpu(vm, 0);
	if (!r)
		r = setup_lm(vm, &vm->vcpu[0], T_CPUID, 0, 0, 0);
	if (r) {
		snprintf(why, len, "setup: %s", domus_last_error());
		return -1;
	}
	q = (uint32_t *)(vm->ram + LM_DATA);
	q[0] = n;
	for (i = 0; i < n; i++) {
		q[1 + 2 * i] = ask[i][0];
		q[2 + 2 * i] = ask[i][1];
	}
	ctx_init(c, vm, &vm->vcpu[0], 1);
	ok = run_to_pass(c, "long64", why, len);
	if (ok && c->nvals != (int)(4 * n)) {
		ok = 0;
		snprintf(why, len, "guest reported %d values, want %u", c->nvals, 4 * n);
	}
	return ok;
}

void t_cpuid(void)
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

	ok = cpuid_guest(&vm, &c, 0, t, sizeof(t) / sizeof(t[0]), ask, n, why, sizeof(why));
	if (ok < 0) {
		result("cpuid-table", 0, "%s", why);
		vm_destroy(&vm);
		return;
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

void t_msr_gp(void)
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

/*
 * --- hardening (issue 10): RDPMC, WBINVD, CR4 against the guest's CPUID -----------
 * The guest (long64 T_HARDEN) sets CR4.MCE once with a CPUID table that
 * shows MCE and once with one that hides it.  MCE, because both test
 * hosts' CPUs have it and both backends own it: the old code let the
 * guest set any bit its CPU had, whatever CPUID said.
 */
static void harden_run(int show_mce)
{
	const char *name = show_mce ? "cr4-shown-bit" : "cr4-hidden-bit";
	struct domus_cpuid_entry t[2] = { { .function = 0, .eax = 1 }, { .function = 1 } };
	unsigned int a, b, cc, d, want_gp = show_mce ? 1 : 2;
	struct domus_domain_stats st;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r;

	__cpuid(1, a, b, cc, d);
	t[1].eax = a;
	t[1].ecx = cc;
	t[1].edx = show_mce ? d | (1u << 7) : d & ~(1u << 7);
	r = vm_create(&vm, LM_RAM_SIZE, 1);
	if (!r)
		r = domus_set_cpuid(vm.fd, t, 2);
	if (!r)
		r = load_guest(&vm, "long64");
	if (!r)
		r = vm_add_vcpu(&vm, 0);
	if (!r)
		r = setup_lm(&vm, &vm.vcpu[0], T_HARDEN, 1u << 6, 0, 0);
	if (r) {
		result(name, 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nvals != 5) {
		ok = 0;
		snprintf(why, sizeof(why), "%d values reported, want 5", c.nvals);
	}
	if (!show_mce) {	/* once: the same in both runs */
		result("rdpmc-gp", ok && c.vals[0] == 1, "#GP count %u after RDPMC, want 1 %s",
		       ok ? c.vals[0] : 0, why);
		result("wbinvd-completes", ok && c.vals[1] == 1,
		       "#GP count %u after WBINVD, want 1 %s", ok ? c.vals[1] : 0, why);
		r = domus_domain_stats(vm.fd, &st);
		result("wbinvd-intercepted", !r && st.stat[DOMUS_STAT_CACHE_FLUSH] == 1,
		       "DOMUS_STAT_CACHE_FLUSH %llu, want 1 %s",
		       (unsigned long long)st.stat[DOMUS_STAT_CACHE_FLUSH], r ? domus_last_error() : "");
		result("cr4-never-bits", ok && c.vals[4] == c.vals[2] + 2,
		       "#GP count %u after CR4.PKE and CR4.VMXE, want %u %s",
		       ok ? c.vals[4] : 0, ok ? c.vals[2] + 2 : 0, why);
	}
	result(name, ok && c.vals[2] == want_gp && !!(c.vals[3] & (1u << 6)) == show_mce,
	       "#GP count %u (want %u), CR4 0x%x after setting MCE with CPUID %s it %s",
	       ok ? c.vals[2] : 0, want_gp, ok ? c.vals[3] : 0, show_mce ? "showing" : "hiding",
	       why);
	vm_destroy(&vm);
}

void t_harden(void)
{
	harden_run(0);
	harden_run(1);
}

void t_triple(void)
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

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176

void t_msrs(void)
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

/*
 * --- platform MSRs (issue 14): a plain domain gets the table of module/msr_policy.c ---
 * The guest (long64 T_MSR_PROBE) reads and writes the MSRs a real OS
 * probes early, under a CPUID table that shows AMD family 0Fh, AMD family
 * 17h (HWCR's TscFreqSel: the test hosts' own CPUs cannot show it) and
 * Intel family 6; the vendor and family come from the guest's CPUID.
 */
struct msr_probe {
	uint32_t index;
	uint32_t write;		/* 0 read, else WRMSR of value */
	uint64_t value;		/* written, or the value a read must give */
	int gp;			/* 1: must raise #GP */
};

#define MTRR_WB_FIXED	0x0606060606060606ULL
#define NPROBES(a)	((unsigned int)(sizeof(a) / sizeof((a)[0])))

static const struct msr_probe amd_probes[] = {
	{ 0xc0010010, 0, 0, 0 },			/* SYSCFG */
	{ 0xc0010010, 1, 0, 1 },			/* read-only */
	{ 0xc0011029, 0, 2, 0 },			/* DE_CFG: LFENCE serialising */
	{ 0xc0011029, 1, 0, 0 },			/* write dropped ... */
	{ 0xc0011029, 0, 2, 0 },			/* ... reads back unchanged */
	{ 0x000000fe, 0, 0x100, 0 },			/* MTRRCAP: fixed, no variable */
	{ 0x000000fe, 1, 0x100, 1 },
	{ 0x000002ff, 0, 0xc06, 0 },			/* MTRR_DEF_TYPE */
	{ 0x000002ff, 1, 0, 0 },			/* ignored */
	{ 0x000002ff, 0, 0xc06, 0 },
	{ 0x00000250, 0, MTRR_WB_FIXED, 0 },		/* MTRR_FIX64K_00000 */
	{ 0x0000026f, 0, MTRR_WB_FIXED, 0 },		/* MTRR_FIX4K_F8000 */
	{ 0x00000200, 0, 0, 1 },			/* no variable ranges */
	{ 0xc0010140, 0, 0, 0 },			/* OSVW_ID_LENGTH */
	{ 0xc0010141, 0, 0, 0 },			/* OSVW_STATUS */
	{ 0xc0010004, 0, 0, 0 },			/* PERF_CTR0, no vPMU */
	{ 0xc0010004, 1, 0xffff, 0 },			/* dropped */
	{ 0xc0010004, 0, 0, 0 },
	{ 0x000000ce, 0, 0, 0 },			/* PLATFORM_INFO */
	{ 0x000000ce, 1, 0, 1 },
	{ 0x000001d9, 1, 0, 0 },			/* DEBUGCTL: 0 accepted ... */
	{ 0x000001d9, 1, 1, 1 },			/* ... LBR not */
	{ 0xc0010142, 0, 0, 1 },			/* past OSVW: not in the table */
	{ 0x00000017, 0, 0, 1 },			/* PLATFORM_ID: Intel's */
	{ 0x000000c1, 0, 0, 1 },			/* IA32_PMC0: Intel's */
	{ 0x12345678, 1, 0, 1 },			/* unknown */
};

static const struct msr_probe intel_probes[] = {
	{ 0x00000017, 0, 0, 0 },			/* PLATFORM_ID */
	{ 0x00000017, 1, 0, 1 },
	{ 0x000000c1, 0, 0, 0 },			/* IA32_PMC0 */
	{ 0x00000186, 1, 0x430076, 0 },			/* PERFEVTSEL0: dropped */
	{ 0x00000186, 0, 0, 0 },
	{ 0x000000fe, 0, 0x100, 0 },			/* MTRRCAP */
	{ 0x000002ff, 0, 0xc06, 0 },
	{ 0xc0010015, 0, 0, 1 },			/* HWCR: AMD's */
	{ 0xc0011029, 0, 0, 1 },			/* DE_CFG: AMD's */
	{ 0xc0010004, 0, 0, 1 },
	{ 0x12345678, 0, 0, 1 },
};

/* One domain whose CPUID shows @vendor (leaf 0 EBX, EDX, ECX) and leaf 1 EAX @sig. */
static void msr_platform_run(const char *name, const uint32_t vendor[3], uint32_t sig,
			     const struct msr_probe *extra, unsigned int nextra,
			     const struct msr_probe *probes, unsigned int nprobes)
{
	struct domus_cpuid_entry t[4] = {
		{ .function = 0, .eax = 1, .ebx = vendor[0], .edx = vendor[1], .ecx = vendor[2] },
		{ .function = 1 },
		{ .function = 0x80000000, .eax = 0x80000001 },
		{ .function = 0x80000001 },
	};
	unsigned int n = nextra + nprobes, i, a, b, cc, d;
	uint32_t *q;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r;

	__cpuid(1, a, b, cc, d);
	t[1].eax = sig;
	t[1].ebx = b & 0x00ffffff;
	t[1].ecx = cc;
	t[1].edx = d;
	__cpuid(0x80000001, a, b, cc, d);
	t[3].ecx = cc;
	t[3].edx = d;
	r = vm_create(&vm, LM_RAM_SIZE, 1);
	if (!r)
		r = domus_set_cpuid(vm.fd, t, 4);
	if (!r)
		r = load_guest(&vm, "long64");
	if (!r)
		r = vm_add_vcpu(&vm, 0);
	if (!r)
		r = setup_lm(&vm, &vm.vcpu[0], T_MSR_PROBE, 0, 0, 0);
	if (r) {
		result(name, 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	q = (uint32_t *)(vm.ram + LM_DATA);
	q[0] = n;
	for (i = 0; i < n; i++) {
		const struct msr_probe *p = i < nextra ? &extra[i] : &probes[i - nextra];
		uint32_t *rec = q + 1 + 4 * i;

		rec[0] = p->index;
		rec[1] = p->write;
		rec[2] = p->write ? (uint32_t)p->value : 0;
		rec[3] = p->write ? (uint32_t)(p->value >> 32) : 0;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nvals != (int)(3 * n)) {
		ok = 0;
		snprintf(why, sizeof(why), "%d values reported, want %u", c.nvals, 3 * n);
	}
	for (i = 0; ok && i < n; i++) {
		const struct msr_probe *p = i < nextra ? &extra[i] : &probes[i - nextra];
		const uint32_t *got = c.vals + 3 * i;
		uint64_t val = got[1] | (uint64_t)got[2] << 32;

		if ((int)got[0] != p->gp) {
			ok = 0;
			snprintf(why, sizeof(why), "%s %#x (record %u): %s#GP", p->write ? "WRMSR" : "RDMSR",
				 p->index, i, p->gp ? "no " : "unexpected ");
		} else if (!p->write && !p->gp && val != p->value) {
			ok = 0;
			snprintf(why, sizeof(why), "RDMSR %#x = %#llx, want %#llx", p->index,
				 (unsigned long long)val, (unsigned long long)p->value);
		}
	}
	result(name, ok, "%s", why);
	vm_destroy(&vm);
}

void t_msr_platform(void)
{
	static const uint32_t amd[3] = { 0x68747541, 0x69746e65, 0x444d4163 };		/* AuthenticAMD */
	static const uint32_t intel[3] = { 0x756e6547, 0x49656e69, 0x6c65746e };	/* GenuineIntel */
	/* HWCR by family: TscFreqSel (bit 24) from 10h on; the same value written is accepted */
	static const struct msr_probe k8[] = {
		{ 0xc0010015, 0, 0, 0 },
		{ 0xc0010015, 1, 0, 0 },
		{ 0xc0010015, 1, 1ULL << 24, 1 },
	};
	static const struct msr_probe zen[] = {
		{ 0xc0010015, 0, 1ULL << 24, 0 },
		{ 0xc0010015, 1, 1ULL << 24, 0 },
		{ 0xc0010015, 1, (1ULL << 24) | (1ULL << 30), 1 },	/* IRPERF: not offered */
		{ 0xc0010015, 0, 1ULL << 24, 0 },
	};

	msr_platform_run("msr-platform-amd-0fh", amd, 0x00000f61, k8, NPROBES(k8),
			 amd_probes, NPROBES(amd_probes));
	msr_platform_run("msr-platform-amd-17h", amd, 0x00800f12, zen, NPROBES(zen),
			 amd_probes, NPROBES(amd_probes));
	msr_platform_run("msr-platform-intel", intel, 0x000906ea, NULL, 0,
			 intel_probes, NPROBES(intel_probes));
}

/*
 * PVHVM (DOMUS_DOMAIN_XEN_HVM): a firmware PC that also sees Xen.  The
 * guest reads Xen's leaves (signature, vCPU id) while leaf 1 stays the
 * table's: no x2APIC or TSC-deadline forced on as for PVH (that domain
 * has no LAPIC model).  An 8259 vector below 32 is a valid interrupt
 * (PVH refuses it), and the HVM parameters are there (a plain domain
 * has no such ioctl).
 */
void t_xen_hvm(void)
{
	static const uint32_t ask[][2] = { { 0x40000000, 0 }, { 0x40000004, 0 }, { 1, 0 } };
	struct domus_cpuid_entry t[2] = { { .function = 0 }, { .function = 1 } };
	unsigned int n = sizeof(ask) / sizeof(ask[0]), a, b, cc, d;
	uint64_t val = 0;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, rx, ri;

	__cpuid(0, a, b, cc, d);
	t[0].eax = 1;
	t[0].ebx = b;
	t[0].ecx = cc;
	t[0].edx = d;
	__cpuid(1, a, b, cc, d);
	t[1].eax = a;
	t[1].ebx = b & 0x00ffffff;
	t[1].ecx = cc & ~((1u << 21) | (1u << 24) | (1u << 5) | (1u << 31));	/* no x2APIC, deadline, VMX */
	t[1].edx = d;
	ok = cpuid_guest(&vm, &c, DOMUS_DOMAIN_XEN_HVM, t, 2, ask, n, why, sizeof(why));
	if (ok < 0) {
		result("xen-hvm-cpuid", 0, "%s", why);
		result("xen-hvm-irq-vector", 0, "setup failed");
		result("xen-hvm-params", 0, "setup failed");
		vm_destroy(&vm);
		return;
	}
	if (ok && (c.vals[0] < 0x40000002 || c.vals[1] != 0x566e6558 || c.vals[2] != 0x65584d4d ||
		   c.vals[3] != 0x4d4d566e)) {
		ok = 0;
		snprintf(why, sizeof(why), "leaf 0x40000000: %08x %08x %08x %08x, want XenVMMXenVMM", c.vals[0],
			 c.vals[1], c.vals[2], c.vals[3]);
	}
	if (ok && (!(c.vals[4] & (1u << 3)) || c.vals[5] != 0)) {
		ok = 0;
		snprintf(why, sizeof(why), "leaf 0x40000004: eax %08x ebx %u, want the vCPU-id bit and id 0",
			 c.vals[4], c.vals[5]);
	}
	if (ok && (c.vals[10] & ((1u << 21) | (1u << 24)))) {
		ok = 0;
		snprintf(why, sizeof(why), "leaf 1 ECX %08x shows x2APIC or TSC-deadline the table left out",
			 c.vals[10]);
	}
	result("xen-hvm-cpuid", ok, "%s", why);
	ri = domus_inject_irq(&vm.vcpu[0], 8);
	result("xen-hvm-irq-vector", ri == 0, "DOMUS_INTERRUPT vector 8: %s (want 0: the 8259 may use any vector)",
	       ri ? domus_last_error() : "ok");
	{
		struct domus_xen_param p = { .index = 1, .value = 0xfeff1 };	/* HVM_PARAM_STORE_PFN */

		rx = ioctl(vm.fd, DOMUS_XEN_SET_PARAM, &p);
		p.value = 0;
		if (!rx)
			rx = ioctl(vm.fd, DOMUS_XEN_GET_PARAM, &p);
		val = p.value;
	}
	result("xen-hvm-params", rx == 0 && val == 0xfeff1, "STORE_PFN set/get: %s, read 0x%llx",
	       rx ? strerror(errno) : "ok", (unsigned long long)val);
	vm_destroy(&vm);
}
