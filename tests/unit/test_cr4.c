// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/cr4.c: which CR4 bits a guest may set for the
 * CPUID it is shown, and the MOV-to-CR4 fault rules, including features
 * our emulated test CPUs lack (PKU, LA57, SMAP, UMIP, CET, PKS).
 */
#include <stdint.h>
#include <stdio.h>
#include "cr4.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "cr4"
#endif

/* a server CPU: every feature CR4 knows of, as the host's CR4 support */
#define HOST_ALL	((1ULL << 25) - 1)

/* leaf 1 and 7 of a modern CPU: VME DE PSE TSC PAE MCE PGE FXSR SSE,
 * PCID XSAVE, FSGSBASE SMEP SMAP, UMIP PKU LA57 (and CET_SS) */
static const struct domus_cr4_cpuid full = {
	.l1_ecx = (1u << 17) | (1u << 26),
	.l1_edx = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) |
		  (1u << 7) | (1u << 13) | (1u << 24) | (1u << 25),
	.l7_ebx = (1u << 0) | (1u << 7) | (1u << 20),
	.l7_ecx = (1u << 2) | (1u << 3) | (1u << 7) | (1u << 16),
};

static void allowed_follows_cpuid(void)
{
	struct domus_cr4_cpuid c = full;
	u64 a = domus_cr4_allowed(&c, HOST_ALL);

	EXPECT(a & CR4_PKE);
	EXPECT(a & CR4_LA57);
	EXPECT(a & CR4_SMAP);
	EXPECT(a & CR4_UMIP);
	EXPECT(a & CR4_PCIDE);
	EXPECT(a & CR4_OSXSAVE);
	EXPECT(a & CR4_PCE);
	/* never: nested VMX/SMX, CET even when shown, KL, PKS, reserved */
	EXPECT(!(a & (CR4_VMXE | CR4_SMXE | CR4_CET | CR4_KL | CR4_PKS)));
	EXPECT(!(a & (1ULL << 15)));
	EXPECT(!(a & ~((1ULL << 25) - 1)));

	/* hide a feature: its bit goes */
	c.l7_ecx &= ~(1u << 3);
	EXPECT(!(domus_cr4_allowed(&c, HOST_ALL) & CR4_PKE));
	c = full;
	c.l1_edx &= ~(1u << 1);
	a = domus_cr4_allowed(&c, HOST_ALL);
	EXPECT(!(a & (CR4_VME | CR4_PVI)));
	c = full;
	c.l1_ecx = 0;
	a = domus_cr4_allowed(&c, HOST_ALL);
	EXPECT(!(a & (CR4_PCIDE | CR4_OSXSAVE)));

	/* the host limits what CPUID may claim */
	EXPECT(!(domus_cr4_allowed(&full, HOST_ALL & ~CR4_LA57) & CR4_LA57));

	/* no CPUID at all: PCE only */
	c = (struct domus_cr4_cpuid){ 0 };
	EXPECT(domus_cr4_allowed(&c, HOST_ALL) == CR4_PCE);
}

static void write_rules(void)
{
	u64 a = domus_cr4_allowed(&full, HOST_ALL);
	u64 lm = CR4_PAE | CR4_PGE | CR4_OSFXSR;

	EXPECT(domus_cr4_write_ok(lm, lm | CR4_PKE, a, true, 0x1000));
	EXPECT(!domus_cr4_write_ok(lm, lm | CR4_CET, a, true, 0x1000));
	EXPECT(!domus_cr4_write_ok(lm, lm | CR4_VMXE, a, true, 0x1000));
	EXPECT(!domus_cr4_write_ok(lm, lm | (1ULL << 32), a, true, 0x1000));
	/* PAE cannot be cleared in IA-32e mode; it can outside */
	EXPECT(!domus_cr4_write_ok(lm, CR4_PGE, a, true, 0x1000));
	EXPECT(domus_cr4_write_ok(lm, CR4_PGE, a, false, 0x1000));
	/* LA57 cannot change in IA-32e mode */
	EXPECT(!domus_cr4_write_ok(lm, lm | CR4_LA57, a, true, 0x1000));
	EXPECT(!domus_cr4_write_ok(lm | CR4_LA57, lm, a, true, 0x1000));
	EXPECT(domus_cr4_write_ok(CR4_PAE, CR4_PAE | CR4_LA57, a, false, 0x1000));
	/* PCIDE: only in IA-32e mode, only with CR3[11:0] = 0 */
	EXPECT(domus_cr4_write_ok(lm, lm | CR4_PCIDE, a, true, 0x1000));
	EXPECT(!domus_cr4_write_ok(lm, lm | CR4_PCIDE, a, true, 0x1005));
	EXPECT(!domus_cr4_write_ok(CR4_PAE, CR4_PAE | CR4_PCIDE, a, false, 0x1000));
	/* already set: CR3's low bits are a PCID then, no fault */
	EXPECT(domus_cr4_write_ok(lm | CR4_PCIDE, lm | CR4_PCIDE | CR4_PGE, a, true, 0x1005));
	/* a guest not shown VME (e.g. a domain's CPUID table without it) */
	{
		struct domus_cr4_cpuid c = full;

		c.l1_edx &= ~(1u << 1);
		EXPECT(!domus_cr4_write_ok(0, CR4_VME, domus_cr4_allowed(&c, HOST_ALL),
					   false, 0));
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, allowed_follows_cpuid);
	RUN(UNIT_PREFIX, write_rules);
	return unit_failed;
}
