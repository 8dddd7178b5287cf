// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the CPUID view of an HVM domain (docs/devices.md "CPUID
 * (HVM)").  The launcher starts from the host's leaves
 * (domus_host_cpuid) and the module masks what it never virtualizes
 * (docs/abi.md, DOMUS_SET_CPUID); on top of that an HVM guest must not
 * be offered what domus does not back for it yet: the local APIC and
 * what hangs off it, MTRRs, machine checks, the thermal, power and
 * performance-monitoring MSRs, the resource-director and trace leaves,
 * and the host's topology.  A guest that sees a feature reads or writes
 * its MSRs; the module answers MSRs it does not emulate with #GP, and
 * Linux does some of those accesses with the plain (not _safe) accessors:
 * an "unchecked MSR access" warning at best, a crash before its exception
 * tables are up (MSR_AMD64_SEV) -- every bit here is one Linux 6.1 acts on.
 *
 * One table: a leaf (and sub-leaf, or any), a register, the bits taken
 * away; a mask of 0xffffffff zeroes the register, ZERO the whole leaf.  Leaves outside the
 * table pass as the host and the module give them.  The hypervisor
 * range 0x40000000-0x4fffffff is dropped: a plain HVM domain has no Xen
 * platform, so no PV/Xen leaves are shown.
 */
#include <stdbool.h>
#include <stddef.h>
#include "launcher.h"

#define ANY_INDEX	0xffffffffu
#define ALL		0xffffffffu
#define B(n)		(1u << (n))

enum { EAX, EBX, ECX, EDX, ZERO };	/* ZERO: all four registers */

static const struct hvm_cpuid_hide {
	uint32_t leaf, index;		/* index: ANY_INDEX for every sub-leaf */
	uint8_t reg;
	uint32_t bits;
} hide[] = {
	/* leaf 1 EDX: MCE 7, APIC 9, MTRR 12, MCA 14 (their MSRs), DS 21,
	 * ACPI thermal 22, HTT 28 (host siblings), TM 29, PBE 31 */
	{ 1, ANY_INDEX, EDX, B(7) | B(9) | B(12) | B(14) | B(21) | B(22) | B(28) | B(29) | B(31) },
	/* leaf 1 ECX: DTES64 2, DS-CPL 4, EST 7, TM2 8, PDCM 15, DCA 18,
	 * x2APIC 21, TSC-deadline 24 */
	{ 1, ANY_INDEX, ECX, B(2) | B(4) | B(7) | B(8) | B(15) | B(18) | B(21) | B(24) },
	/* leaf 6 (thermal and power: ARAT, HWP, APERF/MPERF, ...): none */
	{ 6, ANY_INDEX, ZERO, ALL },
	/* leaf 7.0 EBX: TSC_ADJUST 1, SGX 2, PQM 12, MPX 14, PQE 15, PT 25 */
	{ 7, 0, EBX, B(1) | B(2) | B(12) | B(14) | B(15) | B(25) },
	/* leaf 7.0 ECX: CET shadow stacks 7, LA57 16 (the module's walker
	 * has no 5-level paging), SGX launch control 30 */
	{ 7, 0, ECX, B(7) | B(16) | B(30) },
	/* leaf 7.0 EDX: TSX_FORCE_ABORT 13, hybrid 15, PCONFIG 18, arch
	 * LBR 19, CET IBT 20, L1D_FLUSH 28 */
	{ 7, 0, EDX, B(13) | B(15) | B(18) | B(19) | B(20) | B(28) },
	/* leaf 0xa: architectural PMU (no counters virtualized) */
	{ 0xa, ANY_INDEX, ZERO, ALL },
	/* leaves 0xb and 0x1f: the host's x2APIC topology */
	{ 0xb, ANY_INDEX, ZERO, ALL },
	{ 0x1f, ANY_INDEX, ZERO, ALL },
	/* leaf 0xd.1: XSAVES 3 and XFD 4 (IA32_XSS, IA32_XFD not there) and
	 * the XSS components */
	{ 0xd, 1, EAX, B(3) | B(4) }, { 0xd, 1, ECX, ALL }, { 0xd, 1, EDX, ALL },
	/* RDT monitoring 0xf, allocation 0x10, SGX 0x12, PT 0x14, Key
	 * Locker 0x19, hybrid 0x1a, PCONFIG 0x1b, arch LBR 0x1c */
	{ 0xf, ANY_INDEX, ZERO, ALL },
	{ 0x10, ANY_INDEX, ZERO, ALL },
	{ 0x12, ANY_INDEX, ZERO, ALL },
	{ 0x14, ANY_INDEX, ZERO, ALL },
	{ 0x19, ANY_INDEX, ZERO, ALL },
	{ 0x1a, ANY_INDEX, ZERO, ALL },
	{ 0x1b, ANY_INDEX, ZERO, ALL },
	{ 0x1c, ANY_INDEX, ZERO, ALL },
	/* 0x80000001 EDX: the AMD copies of MCE 7, APIC 9, MTRR 12, MCA 14 */
	{ 0x80000001, ANY_INDEX, EDX, B(7) | B(9) | B(12) | B(14) },
	/* 0x80000001 ECX: CmpLegacy 1, ExtApicSpace 3, OSVW 9, IBS 10,
	 * WDT 13, LWP 15, TCE 17, TOPOEXT 22, PERFCTR_CORE 23, PERFCTR_NB 24,
	 * DataBreakpointExt 26, PerfTsc 27, PERFCTR_LLC 28, MWAITX 29 */
	{ 0x80000001, ANY_INDEX, ECX, B(1) | B(3) | B(9) | B(10) | B(13) | B(15) | B(17) | B(22) | B(23) |
				      B(24) | B(26) | B(27) | B(28) | B(29) },
	/* 0x80000007: RAS and power management (HwPstate, CPB: MSRs); only
	 * EDX bit 8, the invariant TSC, stays */
	{ 0x80000007, ANY_INDEX, EAX, ALL }, { 0x80000007, ANY_INDEX, EBX, ALL },
	{ 0x80000007, ANY_INDEX, ECX, ALL }, { 0x80000007, ANY_INDEX, EDX, ~B(8) },
	/* 0x8000001e topology (TOPOEXT), 0x8000001f SME/SEV (Linux reads
	 * MSR_AMD64_SEV when SEV shows), 0x80000020 PQoS, 0x80000021
	 * extended features (AutomaticIBRS is an EFER bit), 0x80000022
	 * PerfMonV2, 0x80000026 extended topology */
	{ 0x8000001e, ANY_INDEX, ZERO, ALL },
	{ 0x8000001f, ANY_INDEX, ZERO, ALL },
	{ 0x80000020, ANY_INDEX, ZERO, ALL },
	{ 0x80000021, ANY_INDEX, ZERO, ALL },
	{ 0x80000022, ANY_INDEX, ZERO, ALL },
	{ 0x80000026, ANY_INDEX, ZERO, ALL },
};

static bool hypervisor_leaf(uint32_t leaf)
{
	return leaf >= 0x40000000u && leaf <= 0x4fffffffu;
}

unsigned int hvm_cpuid_filter(struct domus_cpuid_entry *e, unsigned int n)
{
	unsigned int i, k, out = 0;

	for (i = 0; i < n; i++) {
		struct domus_cpuid_entry c = e[i];

		if (hypervisor_leaf(c.function))
			continue;
		for (k = 0; k < sizeof(hide) / sizeof(hide[0]); k++) {
			uint32_t *r[4] = { &c.eax, &c.ebx, &c.ecx, &c.edx };

			if (hide[k].leaf != c.function ||
			    (hide[k].index != ANY_INDEX && hide[k].index != c.index))
				continue;
			if (hide[k].reg == ZERO)
				c.eax = c.ebx = c.ecx = c.edx = 0;
			else
				*r[hide[k].reg] &= ~hide[k].bits;
		}
		e[out++] = c;
	}
	return out;
}
