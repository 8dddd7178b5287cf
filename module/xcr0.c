// SPDX-License-Identifier: GPL-2.0-only
/*
 * XCR0 validity (xcr0.h): pure C, in domus.ko and in the unit tests.
 */
#include "xcr0.h"

bool domus_xcr0_valid(u64 xcr0, u64 allowed)
{
	if (!(xcr0 & XCR0_X87) || (xcr0 & ~allowed) || (xcr0 & XCR0_EXTENSION))
		return false;
	if ((xcr0 & XCR0_YMM) && !(xcr0 & XCR0_SSE))
		return false;
	if ((xcr0 & XCR0_AVX512) &&
	    ((xcr0 & XCR0_AVX512) != XCR0_AVX512 || !(xcr0 & XCR0_YMM)))
		return false;
	if ((xcr0 & XCR0_MPX) && (xcr0 & XCR0_MPX) != XCR0_MPX)
		return false;
	if ((xcr0 & XCR0_AMX) && (xcr0 & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}

u64 domus_xcr0_allowed(u64 host_xcr0, bool have_d0, u64 cpuid_d0, bool pku)
{
	u64 allowed = host_xcr0;

	if (have_d0)
		allowed &= cpuid_d0 | XCR0_X87 | XCR0_SSE;
	if (!pku)
		allowed &= ~XCR0_PKRU;
	return allowed;
}
