// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/pv/msr_policy.c: the MSRs the Xen personality
 * answers, on CPUs our emulated test hosts are not (AMD family 17h/19h
 * and Intel) as well as the qemu64 family 0Fh one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pv/msr_policy.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "msr_policy"
#endif

static const struct xen_msr_cpu zen = { XEN_MSR_AMD, 0x19 };
static const struct xen_msr_cpu k8 = { XEN_MSR_AMD, 0x0f };
static const struct xen_msr_cpu intel = { XEN_MSR_INTEL, 6 };
static const struct xen_msr_cpu other = { 0, 6 };

static int rd(const struct xen_msr_cpu *c, uint32_t i, uint64_t *v)
{
	*v = 0xdeadbeef;
	return xen_msr_policy(c, i, v, false);
}

static int wr(const struct xen_msr_cpu *c, uint32_t i, uint64_t v)
{
	return xen_msr_policy(c, i, &v, true);
}

/* Linux reads HWCR unguarded on family 10h+: TscFreqSel set there only */
static void hwcr_by_family(void)
{
	uint64_t v;

	EXPECT(rd(&zen, 0xc0010015, &v) == 0 && v == 1ULL << 24);
	EXPECT(rd(&k8, 0xc0010015, &v) == 0 && v == 0);
	EXPECT(wr(&zen, 0xc0010015, 1ULL << 24) == 0);
	EXPECT(wr(&zen, 0xc0010015, (1ULL << 24) | (1ULL << 30)) == 1);	/* IRPERF enable: #GP */
	EXPECT(rd(&intel, 0xc0010015, &v) == -1);	/* no HWCR on Intel */
}

static void vendor_specific(void)
{
	uint64_t v;

	EXPECT(rd(&zen, 0xc0011029, &v) == 0 && v == 2);	/* DE_CFG: LFENCE serialising */
	EXPECT(wr(&zen, 0xc0011029, 0) == 0);			/* write dropped ... */
	EXPECT(rd(&zen, 0xc0011029, &v) == 0 && v == 2);	/* ... reads back unchanged */
	EXPECT(rd(&zen, 0xc0010140, &v) == 0 && v == 0);	/* OSVW length 0 */
	EXPECT(rd(&zen, 0xc0010141, &v) == 0 && v == 0);
	EXPECT(rd(&zen, 0xc0010142, &v) == -1);
	EXPECT(rd(&zen, 0xc0010010, &v) == 0 && v == 0);	/* SYSCFG */
	EXPECT(wr(&zen, 0xc0010010, 0) == 1);
	EXPECT(rd(&intel, 0xc0011029, &v) == -1);
	EXPECT(rd(&intel, 0x17, &v) == 0 && v == 0);		/* PLATFORM_ID */
	EXPECT(wr(&intel, 0x17, 0) == 1);
	EXPECT(rd(&zen, 0x17, &v) == -1);
	/* PMU counters: read 0, writes dropped, on their vendor only */
	EXPECT(rd(&intel, 0xc1, &v) == 0 && v == 0);
	EXPECT(wr(&intel, 0x186, 0x430076) == 0);
	EXPECT(rd(&intel, 0x186, &v) == 0 && v == 0);
	EXPECT(rd(&intel, 0x38f, &v) == 0 && v == 0);
	EXPECT(rd(&intel, 0x391, &v) == -1);
	EXPECT(rd(&zen, 0xc0010004, &v) == 0 && v == 0);
	EXPECT(wr(&zen, 0xc0010004, 0xffff) == 0);
	EXPECT(rd(&zen, 0xc001020b, &v) == 0 && v == 0);
	EXPECT(rd(&zen, 0xc001020c, &v) == -1);
	EXPECT(rd(&zen, 0xc1, &v) == -1);
	EXPECT(rd(&intel, 0xc0010004, &v) == -1);
}

static void common_rows(void)
{
	const struct xen_msr_cpu *cpus[] = { &zen, &k8, &intel };
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 3; i++) {
		const struct xen_msr_cpu *c = cpus[i];

		EXPECT(rd(c, 0xce, &v) == 0 && v == 0);		/* no CPUID faulting */
		EXPECT(wr(c, 0xce, 0) == 1);
		EXPECT(rd(c, 0x140, &v) == 0 && v == 0);
		EXPECT(wr(c, 0x140, 0) == 0);
		EXPECT(wr(c, 0x140, 1) == 1);			/* faulting not offered */
		EXPECT(rd(c, 0x1d9, &v) == 0 && v == 0);	/* DEBUGCTL */
		EXPECT(wr(c, 0x1d9, 0) == 0);
		EXPECT(wr(c, 0x1d9, 1) == 1);			/* LBR */
		EXPECT(wr(c, 0x1d9, 2) == 1);			/* BTF */
		EXPECT(rd(c, 0xfe, &v) == 0 && v == 0x100);	/* fixed MTRRs, 0 variable */
		EXPECT(wr(c, 0xfe, 0x100) == 1);
		EXPECT(rd(c, 0x2ff, &v) == 0 && v == 0xc06);
		EXPECT(wr(c, 0x2ff, 0) == 0);
		EXPECT(rd(c, 0x2ff, &v) == 0 && v == 0xc06);
		EXPECT(rd(c, 0x250, &v) == 0 && v == 0x0606060606060606ULL);
		EXPECT(rd(c, 0x259, &v) == 0 && v == 0x0606060606060606ULL);
		EXPECT(rd(c, 0x26f, &v) == 0 && v == 0x0606060606060606ULL);
		EXPECT(rd(c, 0x200, &v) == -1);			/* no variable ranges */
		EXPECT(rd(c, 0x3a, &v) == -1);			/* no VMX: FEATURE_CONTROL #GP */
		EXPECT(rd(c, 0x1a0, &v) == -1);			/* MISC_ENABLE: the backend's */
		EXPECT(rd(c, 0x179, &v) == -1);			/* no MCA */
	}
	/* an unknown vendor sees only the vendor-neutral rows */
	EXPECT(rd(&other, 0xce, &v) == 0);
	EXPECT(rd(&other, 0xc0010015, &v) == -1);
	EXPECT(rd(&other, 0xc1, &v) == -1);
}

/* the table itself: named rows, sane ranges, no two rows for one MSR and vendor */
static void table_well_formed(void)
{
	unsigned int i, j;

	EXPECT(xen_msr_nr_rules > 10);
	for (i = 0; i < xen_msr_nr_rules; i++) {
		const struct xen_msr_rule *a = &xen_msr_rules[i];

		EXPECT(a->name && a->name[0]);
		EXPECT(a->first <= a->last && a->last - a->first < 64);
		EXPECT(a->vendors && !(a->vendors & ~XEN_MSR_ANY));
		EXPECT(a->write <= XEN_MSR_WR_SAME);
		/* not the hypercall page or the x2APIC range (msr.c's) */
		EXPECT(a->last < 0x800 || a->first > 0x8ff);
		EXPECT(a->first > 0x40000000 || a->last < 0x40000000);
		for (j = i + 1; j < xen_msr_nr_rules; j++) {
			const struct xen_msr_rule *b = &xen_msr_rules[j];

			if (a->vendors & b->vendors)
				EXPECT(a->last < b->first || b->last < a->first);
		}
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, hwcr_by_family);
	RUN(UNIT_PREFIX, vendor_specific);
	RUN(UNIT_PREFIX, common_rows);
	RUN(UNIT_PREFIX, table_well_formed);
	return unit_failed;
}
