// SPDX-License-Identifier: MIT
/*
 * An HVM domain's CPUID view (userland/launcher/hvm_cpuid.c): each bit
 * that must not show while domus has no LAPIC, MTRR, MCE, PMU or thermal
 * MSRs for the guest is gone; every other bit and leaf is kept as given;
 * the hypervisor range is dropped; odd tables (duplicates, sub-leaves
 * nobody asked for, all-ones, the hypervisor range only, none) come out
 * bounded and in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launcher.h"
#include "unit.h"

#define B(n) (1u << (n))

static struct domus_cpuid_entry ent(uint32_t fn, uint32_t idx, uint32_t v)
{
	struct domus_cpuid_entry e;

	memset(&e, 0, sizeof(e));
	e.function = fn;
	e.index = idx;
	e.flags = idx ? DOMUS_CPUID_INDEXED : 0;
	e.eax = e.ebx = e.ecx = e.edx = v;
	return e;
}

static const struct domus_cpuid_entry *find(const struct domus_cpuid_entry *e, unsigned int n, uint32_t fn,
					    uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

/* One leaf of all-ones through the filter: what is left. */
static struct domus_cpuid_entry one(uint32_t fn, uint32_t idx)
{
	struct domus_cpuid_entry e = ent(fn, idx, 0xffffffffu);

	EXPECT(hvm_cpuid_filter(&e, 1) == 1);
	return e;
}

static void test_leaf1(void)
{
	struct domus_cpuid_entry e = one(1, 0);

	/* the brief's four: APIC, x2APIC, TSC-deadline, MTRR */
	EXPECT(!(e.edx & B(9)));
	EXPECT(!(e.ecx & B(21)));
	EXPECT(!(e.ecx & B(24)));
	EXPECT(!(e.edx & B(12)));
	/* machine checks, debug store, thermal, PDCM, DCA, HTT */
	EXPECT(!(e.edx & (B(7) | B(14) | B(21) | B(22) | B(28) | B(29) | B(31))));
	EXPECT(!(e.ecx & (B(2) | B(4) | B(7) | B(8) | B(15) | B(18))));
	/* what a guest needs stays: FPU, TSC, MSR, PAE, CX8, SEP, PGE, CMOV,
	 * PAT, CLFLUSH, MMX, FXSR, SSE, SSE2; SSE3, SSSE3, CX16, SSE4.x,
	 * POPCNT, AES, XSAVE, AVX, RDRAND, PCID, the hypervisor bit */
	EXPECT((e.edx & (B(0) | B(4) | B(5) | B(6) | B(8) | B(11) | B(13) | B(15) | B(16) | B(19) | B(23) |
			 B(24) | B(25) | B(26))) ==
	       (B(0) | B(4) | B(5) | B(6) | B(8) | B(11) | B(13) | B(15) | B(16) | B(19) | B(23) | B(24) | B(25) |
		B(26)));
	EXPECT((e.ecx & (B(0) | B(9) | B(13) | B(17) | B(19) | B(20) | B(23) | B(25) | B(26) | B(28) | B(30) |
			 B(31))) ==
	       (B(0) | B(9) | B(13) | B(17) | B(19) | B(20) | B(23) | B(25) | B(26) | B(28) | B(30) | B(31)));
	EXPECT(e.eax == 0xffffffffu && e.ebx == 0xffffffffu);
}

static void test_arat_leaf6(void)
{
	struct domus_cpuid_entry e = one(6, 0);

	EXPECT(!(e.eax & B(2)));	/* ARAT */
	EXPECT(e.eax == 0 && e.ebx == 0 && e.ecx == 0 && e.edx == 0);
}

static void test_leaf7(void)
{
	struct domus_cpuid_entry e = one(7, 0), s1 = one(7, 1);

	EXPECT(!(e.ebx & (B(1) | B(2) | B(12) | B(14) | B(15) | B(25))));
	EXPECT(!(e.ecx & (B(7) | B(16) | B(30))));
	EXPECT(!(e.edx & (B(13) | B(15) | B(18) | B(19) | B(20) | B(28))));
	/* FSGSBASE, BMI1, AVX2, SMEP, BMI2, ERMS, INVPCID, RDSEED, ADX, SMAP,
	 * CLFLUSHOPT stay; UMIP, RDPID; MD_CLEAR */
	EXPECT((e.ebx & (B(0) | B(3) | B(5) | B(7) | B(8) | B(9) | B(10) | B(18) | B(19) | B(20) | B(23))) ==
	       (B(0) | B(3) | B(5) | B(7) | B(8) | B(9) | B(10) | B(18) | B(19) | B(20) | B(23)));
	EXPECT((e.ecx & (B(2) | B(22))) == (B(2) | B(22)));
	EXPECT(e.edx & B(10));
	EXPECT(e.eax == 0xffffffffu);
	/* sub-leaf 1 is not leaf 7.0 */
	EXPECT(s1.eax == 0xffffffffu && s1.ebx == 0xffffffffu && s1.ecx == 0xffffffffu && s1.edx == 0xffffffffu);
}

static void test_xsave_leaf(void)
{
	struct domus_cpuid_entry d0 = one(0xd, 0), d1 = one(0xd, 1), d2 = one(0xd, 2);

	EXPECT(d0.eax == 0xffffffffu && d0.edx == 0xffffffffu);	/* XCR0 bits: the module's */
	EXPECT(!(d1.eax & (B(3) | B(4))));			/* XSAVES, XFD */
	EXPECT(d1.eax & (B(0) | B(1) | B(2)));			/* XSAVEOPT, XSAVEC, XGETBV1 */
	EXPECT(d1.ecx == 0 && d1.edx == 0);			/* no XSS components */
	EXPECT(d2.eax == 0xffffffffu && d2.ebx == 0xffffffffu);
}

static void test_amd_leaves(void)
{
	struct domus_cpuid_entry x1 = one(0x80000001, 0), x7 = one(0x80000007, 0);
	static const uint32_t zeroed[] = { 0x8000001e, 0x8000001f, 0x80000020, 0x80000021, 0x80000022,
					   0x80000026 };
	unsigned int i;

	EXPECT(!(x1.edx & (B(7) | B(9) | B(12) | B(14))));
	EXPECT(!(x1.ecx & (B(1) | B(3) | B(9) | B(10) | B(13) | B(15) | B(17) | B(22) | B(23) | B(24) | B(26) |
			   B(27) | B(28) | B(29))));
	/* LAHF, ABM, SSE4A, 3DNowPrefetch; SYSCALL, NX, 1 GiB pages, RDTSCP, LM */
	EXPECT((x1.ecx & (B(0) | B(5) | B(6) | B(8))) == (B(0) | B(5) | B(6) | B(8)));
	EXPECT((x1.edx & (B(11) | B(20) | B(26) | B(27) | B(29))) == (B(11) | B(20) | B(26) | B(27) | B(29)));
	EXPECT(x7.eax == 0 && x7.ebx == 0 && x7.ecx == 0 && x7.edx == B(8));	/* invariant TSC only */
	for (i = 0; i < sizeof(zeroed) / sizeof(zeroed[0]); i++) {
		struct domus_cpuid_entry z = one(zeroed[i], 0);

		EXPECT(z.eax == 0 && z.ebx == 0 && z.ecx == 0 && z.edx == 0);
	}
}

static void test_zeroed_leaves(void)
{
	static const uint32_t leaves[] = { 0xa, 0xb, 0xf, 0x10, 0x12, 0x14, 0x19, 0x1a, 0x1b, 0x1c, 0x1f };
	unsigned int i, s;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		for (s = 0; s < 3; s++) {
			struct domus_cpuid_entry z = one(leaves[i], s);

			EXPECT(z.eax == 0 && z.ebx == 0 && z.ecx == 0 && z.edx == 0);
			EXPECT(z.function == leaves[i] && z.index == s);
		}
}

/* Leaves the table does not name come through bit for bit. */
static void test_preserved(void)
{
	static const uint32_t leaves[] = { 0, 2, 3, 4, 0x15, 0x16, 0x80000000, 0x80000002, 0x80000003,
					   0x80000004, 0x80000005, 0x80000006, 0x80000008, 0x8000001d };
	unsigned int i;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct domus_cpuid_entry a = ent(leaves[i], 0, 0x5a5aa5a5u), b = a;

		a.flags = 0;
		b = a;
		EXPECT(hvm_cpuid_filter(&b, 1) == 1);
		EXPECT(!memcmp(&a, &b, sizeof(a)));
	}
}

/* A table as the host gives it: hypervisor leaves dropped, the rest in order. */
static void test_table(void)
{
	struct domus_cpuid_entry t[12], before[12];
	unsigned int n = 0, m;

	t[n++] = ent(0, 0, 0x1f);
	t[n++] = ent(1, 0, 0xffffffffu);
	t[n++] = ent(0x40000000, 0, 0x40000001);	/* a hypervisor's (a nested host) */
	t[n++] = ent(0x40000001, 0, 7);
	t[n++] = ent(7, 0, 0xffffffffu);
	t[n++] = ent(0x4fffffff, 0, 1);
	t[n++] = ent(0x80000000, 0, 0x80000008);
	t[n++] = ent(0x3fffffff, 0, 3);			/* next to the range: kept */
	t[n++] = ent(0x50000000, 0, 4);
	memcpy(before, t, sizeof(t));
	m = hvm_cpuid_filter(t, n);
	EXPECT(m == 6);
	EXPECT(t[0].function == 0 && !memcmp(&t[0], &before[0], sizeof(t[0])));
	EXPECT(t[1].function == 1 && !(t[1].edx & B(9)));
	EXPECT(t[2].function == 7);
	EXPECT(t[3].function == 0x80000000 && !memcmp(&t[3], &before[6], sizeof(t[0])));
	EXPECT(t[4].function == 0x3fffffff && t[5].function == 0x50000000);
	EXPECT(!find(t, m, 0x40000000, 0) && !find(t, m, 0x40000001, 0) && !find(t, m, 0x4fffffff, 0));
}

/* Odd input: none, only hypervisor leaves, duplicates, a big sub-leaf. */
static void test_odd(void)
{
	struct domus_cpuid_entry t[DOMUS_MAX_CPUID_ENTRIES];
	unsigned int i, m;

	EXPECT(hvm_cpuid_filter(t, 0) == 0);
	for (i = 0; i < DOMUS_MAX_CPUID_ENTRIES; i++)
		t[i] = ent(0x40000000 + i, 0, 0xffffffffu);
	EXPECT(hvm_cpuid_filter(t, DOMUS_MAX_CPUID_ENTRIES) == 0);
	/* the same leaf twice: each filtered */
	t[0] = ent(1, 0, 0xffffffffu);
	t[1] = ent(1, 0, 0xffffffffu);
	t[2] = ent(6, 0xffffffffu, 0xffffffffu);	/* sub-leaf ~0: leaf 6 any index */
	t[3] = ent(7, 0xffffffffu, 0xffffffffu);	/* leaf 7 but not sub-leaf 0 */
	t[4] = ent(0xd, 0xffffffffu, 0xffffffffu);
	m = hvm_cpuid_filter(t, 5);
	EXPECT(m == 5);
	EXPECT(!(t[0].edx & B(9)) && !(t[1].edx & B(9)));
	EXPECT(t[2].eax == 0 && t[2].edx == 0);
	EXPECT(t[3].ebx == 0xffffffffu && t[3].ecx == 0xffffffffu);
	EXPECT(t[4].eax == 0xffffffffu && t[4].ecx == 0xffffffffu);
	/* random tables: never more out than in, never a hypervisor leaf,
	 * nothing bit-set that was clear */
	{
		unsigned int seed = 12345, round;

		for (round = 0; round < 2000; round++) {
			struct domus_cpuid_entry in[64];
			unsigned int n = (seed = seed * 1103515245u + 12345u) % 65, k;

			for (k = 0; k < n; k++) {
				seed = seed * 1103515245u + 12345u;
				in[k] = ent((seed >> 4) % 3 == 0 ? 0x40000000u + (seed >> 8) % 0x100 :
					    (seed >> 4) % 3 == 1 ? (seed >> 8) % 0x30 : 0x80000000u + (seed >> 8) % 0x30,
					    (seed >> 20) % 4, seed * 2654435761u);
				t[k] = in[k];
			}
			m = hvm_cpuid_filter(t, n);
			EXPECT(m <= n);
			/* in order: the k-th kept entry is the k-th non-hypervisor one */
			for (k = 0, i = 0; k < m; k++, i++) {
				const struct domus_cpuid_entry *o;

				while (i < n && in[i].function >= 0x40000000u && in[i].function <= 0x4fffffffu)
					i++;
				if (i == n) {
					EXPECT(i < n);
					break;
				}
				o = &in[i];
				EXPECT(t[k].function == o->function && t[k].index == o->index);
				EXPECT(!(t[k].eax & ~o->eax) && !(t[k].ebx & ~o->ebx) && !(t[k].ecx & ~o->ecx) &&
				       !(t[k].edx & ~o->edx));
			}
		}
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, test_leaf1);
	RUN(UNIT_PREFIX, test_arat_leaf6);
	RUN(UNIT_PREFIX, test_leaf7);
	RUN(UNIT_PREFIX, test_xsave_leaf);
	RUN(UNIT_PREFIX, test_amd_leaves);
	RUN(UNIT_PREFIX, test_zeroed_leaves);
	RUN(UNIT_PREFIX, test_preserved);
	RUN(UNIT_PREFIX, test_table);
	RUN(UNIT_PREFIX, test_odd);
	return unit_failed;
}
