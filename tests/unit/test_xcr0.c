// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/xcr0.c: the architectural XCR0 rules with host
 * XCR0 values our emulated test CPUs cannot show (AVX-512 0x2e7, MPX,
 * AMX), and the guest-CPUID limit.
 */
#include <stdint.h>
#include <stdio.h>
#include "xcr0.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "unit"
#endif

#define AVX512_HOST	0x2e7ULL	/* x87 SSE YMM opmask ZMM_Hi256 Hi16_ZMM PKRU */

static int ok(u64 xcr0, u64 host)
{
	return domus_xcr0_valid(xcr0, domus_xcr0_allowed(host, false, 0, true));
}

static void basic_rules(void)
{
	EXPECT(ok(0x1, 0x3));
	EXPECT(ok(0x3, 0x3));
	EXPECT(!ok(0x0, 0x3));		/* x87 is mandatory */
	EXPECT(!ok(0x2, 0x3));
	EXPECT(!ok(0x7, 0x3));		/* YMM: the host lacks it */
	EXPECT(ok(0x7, 0x7));
	EXPECT(!ok(0x5, 0x7));		/* YMM without SSE */
	EXPECT(!ok(1ULL << 63, ~0ULL));
	EXPECT(!ok(0x3 | (1ULL << 63), ~0ULL));
}

static void avx512_host(void)
{
	/* the case: 0x27 passed the old checks and made the host #GP */
	EXPECT(!ok(0x27, AVX512_HOST));
	EXPECT(!ok(0x47, AVX512_HOST));
	EXPECT(!ok(0x87, AVX512_HOST));
	EXPECT(!ok(0x67, AVX512_HOST));
	EXPECT(!ok(0xa7, AVX512_HOST));
	EXPECT(!ok(0xc7, AVX512_HOST));
	EXPECT(ok(0xe7, AVX512_HOST));
	EXPECT(!ok(0xe3, AVX512_HOST));		/* AVX-512 without YMM */
	EXPECT(!ok(0xe5, AVX512_HOST));		/* ... and YMM without SSE */
	EXPECT(!ok(0xe1, AVX512_HOST));
	EXPECT(ok(0x7, AVX512_HOST));
	EXPECT(ok(0x3, AVX512_HOST));
	EXPECT(ok(0x2e7, AVX512_HOST));		/* PKRU (bit 9) alone is free */
	EXPECT(ok(0x207, AVX512_HOST));
	EXPECT(!ok(0x2f7, AVX512_HOST));	/* BNDCSR: not in the host's XCR0 */
}

static void mpx_amx(void)
{
	u64 host = 0x60000 | 0x1f | 0xe0;

	EXPECT(ok(0x1b, host));
	EXPECT(!ok(0x0b, host));		/* BNDREGS alone */
	EXPECT(!ok(0x13, host));		/* BNDCSR alone */
	EXPECT(ok(0x60007, host));
	EXPECT(!ok(0x20007, host));		/* XTILECFG alone */
	EXPECT(!ok(0x40007, host));		/* XTILEDATA without XTILECFG */
	EXPECT(ok(0x600ff, host));
	EXPECT(!ok(0x60007, 0x7));		/* the host has no AMX */
}

static void guest_cpuid(void)
{
	/* guest CPUID 0xD.0 offers x87|SSE|YMM only: AVX-512 refused */
	u64 allowed = domus_xcr0_allowed(AVX512_HOST, true, 0x7, true);

	EXPECT(domus_xcr0_valid(0x7, allowed));
	EXPECT(!domus_xcr0_valid(0xe7, allowed));
	/* a CPUID leaf offering nothing still leaves the legacy area */
	allowed = domus_xcr0_allowed(AVX512_HOST, true, 0, true);
	EXPECT(domus_xcr0_valid(0x3, allowed));
	EXPECT(!domus_xcr0_valid(0x7, allowed));
	/* nor can CPUID offer more than the host enabled */
	allowed = domus_xcr0_allowed(0x7, true, 0xe7, true);
	EXPECT(!domus_xcr0_valid(0xe7, allowed));
	/* no leaf 0xD in the table: the host's XCR0 */
	EXPECT(domus_xcr0_allowed(AVX512_HOST, false, 0, true) == AVX512_HOST);
}

static void pkru_needs_pku(void)
{
	/* a PKU host (XCR0 0x2e7): PKRU only for a guest shown PKU */
	EXPECT(domus_xcr0_valid(0x2e7, domus_xcr0_allowed(AVX512_HOST, false, 0, true)));
	EXPECT(!domus_xcr0_valid(0x2e7, domus_xcr0_allowed(AVX512_HOST, false, 0, false)));
	EXPECT(!domus_xcr0_valid(0x207, domus_xcr0_allowed(AVX512_HOST, true, 0x2e7, false)));
	EXPECT(domus_xcr0_valid(0xe7, domus_xcr0_allowed(AVX512_HOST, true, 0x2e7, false)));
}

int main(void)
{
	RUN(UNIT_PREFIX, basic_rules);
	RUN(UNIT_PREFIX, avx512_host);
	RUN(UNIT_PREFIX, mpx_amx);
	RUN(UNIT_PREFIX, guest_cpuid);
	RUN(UNIT_PREFIX, pkru_needs_pku);
	return unit_failed;
}
