// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/msr_policy.c: the platform MSRs every domain's
 * guest gets (plain and Xen personality alike), on CPUs our emulated test
 * hosts are not (AMD family 17h/19h and Intel) as well as the qemu64
 * family 0Fh one, and the vendor and family taken from a guest's CPUID.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "msr_policy.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "msr_policy"
#endif

static const struct domus_msr_cpu zen = { DOMUS_MSR_AMD, 0x19 };
static const struct domus_msr_cpu k8 = { DOMUS_MSR_AMD, 0x0f };
static const struct domus_msr_cpu intel = { DOMUS_MSR_INTEL, 6 };
static const struct domus_msr_cpu other = { 0, 6 };

static int rd(const struct domus_msr_cpu *c, uint32_t i, uint64_t *v)
{
	*v = 0xdeadbeef;
	return domus_msr_policy(c, i, v, false);
}

static int wr(const struct domus_msr_cpu *c, uint32_t i, uint64_t v)
{
	return domus_msr_policy(c, i, &v, true);
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
	const struct domus_msr_cpu *cpus[] = { &zen, &k8, &intel };
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 3; i++) {
		const struct domus_msr_cpu *c = cpus[i];

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

/* vendor and family from CPUID leaves 0 and 1 (EAX, EBX, ECX, EDX) */
static void cpu_from_cpuid(void)
{
	static const uint32_t amd[4] = { 0xd, 0x68747541, 0x444d4163, 0x69746e65 };
	static const uint32_t hygon[4] = { 0xd, 0x6f677948, 0x656e6975, 0x6e65476e };
	static const uint32_t intel0[4] = { 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 };
	static const uint32_t via[4] = { 0xd, 0x746e6543, 0x736c7561, 0x48727561 };	/* CentaurHauls */
	static const uint32_t zero[4];
	static const uint32_t f17[4] = { 0x00800f12 };	/* Zen: 0Fh + extended 08h */
	static const uint32_t f19[4] = { 0x00a00f11 };
	static const uint32_t f0f[4] = { 0x00000f61 };	/* K8 (qemu64): extended 0 */
	static const uint32_t f6[4] = { 0x000906ea };	/* Intel: extended family ignored below 0Fh */
	static const uint32_t f6ext[4] = { 0x00f006ea };
	struct domus_msr_cpu c;
	uint64_t v;

	domus_msr_cpu_decode(amd, f17, &c);
	EXPECT(c.vendor == DOMUS_MSR_AMD && c.family == 0x17);
	EXPECT(rd(&c, 0xc0010015, &v) == 0 && v == 1ULL << 24);
	domus_msr_cpu_decode(amd, f19, &c);
	EXPECT(c.vendor == DOMUS_MSR_AMD && c.family == 0x19);
	domus_msr_cpu_decode(amd, f0f, &c);
	EXPECT(c.vendor == DOMUS_MSR_AMD && c.family == 0x0f);
	EXPECT(rd(&c, 0xc0010015, &v) == 0 && v == 0);
	domus_msr_cpu_decode(hygon, f17, &c);
	EXPECT(c.vendor == DOMUS_MSR_AMD && c.family == 0x17);
	domus_msr_cpu_decode(intel0, f6, &c);
	EXPECT(c.vendor == DOMUS_MSR_INTEL && c.family == 6);
	domus_msr_cpu_decode(intel0, f6ext, &c);
	EXPECT(c.vendor == DOMUS_MSR_INTEL && c.family == 6);
	domus_msr_cpu_decode(via, f6, &c);
	EXPECT(c.vendor == 0 && c.family == 6);
	/* no CPUID table: all zeros, only the vendor-neutral rows */
	domus_msr_cpu_decode(zero, zero, &c);
	EXPECT(c.vendor == 0 && c.family == 0);
	EXPECT(rd(&c, 0xfe, &v) == 0 && v == 0x100);
	EXPECT(rd(&c, 0xc0011029, &v) == -1);
}

/* the table itself: named rows, sane ranges, no two rows for one MSR and vendor */
static void table_well_formed(void)
{
	unsigned int i, j;

	EXPECT(domus_msr_nr_rules > 10);
	for (i = 0; i < domus_msr_nr_rules; i++) {
		const struct domus_msr_rule *a = &domus_msr_rules[i];

		EXPECT(a->name && a->name[0]);
		EXPECT(a->first <= a->last && a->last - a->first < 64);
		EXPECT(a->vendors && !(a->vendors & ~DOMUS_MSR_ANY));
		EXPECT(a->write <= DOMUS_MSR_WR_SAME);
		/* not the hypercall page or the x2APIC range (msr.c's) */
		EXPECT(a->last < 0x800 || a->first > 0x8ff);
		EXPECT(a->first > 0x40000000 || a->last < 0x40000000);
		for (j = i + 1; j < domus_msr_nr_rules; j++) {
			const struct domus_msr_rule *b = &domus_msr_rules[j];

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
	RUN(UNIT_PREFIX, cpu_from_cpuid);
	RUN(UNIT_PREFIX, table_well_formed);
	return unit_failed;
}
