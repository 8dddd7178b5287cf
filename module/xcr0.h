/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one XCR0 validity rule of domus, used by every path that gives a
 * guest an XCR0 value (the guest's XSETBV, DOMUS_SET_FPU).  Pure C, shared
 * by domus.ko and the userland unit tests (tests/unit/test_xcr0.c).
 */
#ifndef DOMUS_XCR0_H
#define DOMUS_XCR0_H

#include "puretypes.h"

/* XCR0 state components (SDM vol. 1, 13.1; APM vol. 2, 11.5.2) */
#define XCR0_X87		(1ULL << 0)
#define XCR0_SSE		(1ULL << 1)
#define XCR0_YMM		(1ULL << 2)
#define XCR0_BNDREGS		(1ULL << 3)
#define XCR0_BNDCSR		(1ULL << 4)
#define XCR0_OPMASK		(1ULL << 5)
#define XCR0_ZMM_HI256		(1ULL << 6)
#define XCR0_HI16_ZMM		(1ULL << 7)
#define XCR0_PKRU		(1ULL << 9)
#define XCR0_XTILECFG		(1ULL << 17)
#define XCR0_XTILEDATA		(1ULL << 18)

/* bit 63: reserved for an extension of the register, never settable */
#define XCR0_EXTENSION		(1ULL << 63)

#define XCR0_MPX		(XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AVX512		(XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_AMX		(XCR0_XTILECFG | XCR0_XTILEDATA)

/*
 * May XCR0 hold @xcr0?  @allowed: the bits the host's own XCR0 enables
 * and the guest's CPUID (leaf 0xD) offers.  Architectural rules: x87 set;
 * bit 63 clear;
 * YMM only with SSE; AVX-512 (bits 7:5) all or none, and only with YMM;
 * MPX (bits 3, 4) both or neither; AMX (bits 17, 18) both or neither.
 * A value refused here makes XSETBV raise #GP in the guest (or the
 * ioctl fail with EINVAL): the host never loads it.
 */
bool domus_xcr0_valid(u64 xcr0, u64 allowed);

/*
 * The bits a guest may enable: the host's XCR0 (@host_xcr0), limited to
 * what the guest's CPUID leaf 0xD sub-leaf 0 offers (EDX:EAX, @cpuid_d0)
 * when the domain's CPUID table has that leaf (@have_d0); x87 and SSE
 * (the legacy FXSAVE area) are always offered when the host has them.
 * PKRU only when the guest is shown PKU (@pku): otherwise XRSTOR would
 * let it write the protection-key rights the host's userspace runs with.
 */
u64 domus_xcr0_allowed(u64 host_xcr0, bool have_d0, u64 cpuid_d0, bool pku);

#endif /* DOMUS_XCR0_H */
