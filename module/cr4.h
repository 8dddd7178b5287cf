/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CR4 rules of domus: which bits a guest may set, derived from the
 * CPUID it is shown, and when a MOV to CR4 faults.  Pure C, shared by
 * domus.ko and the userland unit tests (tests/unit/test_cr4.c), so rules
 * for features our emulated test CPUs lack (PKU, CET, LA57, PKS) are
 * tested too.
 */
#ifndef DOMUS_CR4_H
#define DOMUS_CR4_H

#include "puretypes.h"

/* CR4 bits (SDM vol. 3, 2.5; APM vol. 2, 3.1.3) */
#define CR4_VME			(1ULL << 0)
#define CR4_PVI			(1ULL << 1)
#define CR4_TSD			(1ULL << 2)
#define CR4_DE			(1ULL << 3)
#define CR4_PSE			(1ULL << 4)
#define CR4_PAE			(1ULL << 5)
#define CR4_MCE			(1ULL << 6)
#define CR4_PGE			(1ULL << 7)
#define CR4_PCE			(1ULL << 8)
#define CR4_OSFXSR		(1ULL << 9)
#define CR4_OSXMMEXCPT		(1ULL << 10)
#define CR4_UMIP		(1ULL << 11)
#define CR4_LA57		(1ULL << 12)
#define CR4_VMXE		(1ULL << 13)
#define CR4_SMXE		(1ULL << 14)
#define CR4_FSGSBASE		(1ULL << 16)
#define CR4_PCIDE		(1ULL << 17)
#define CR4_OSXSAVE		(1ULL << 18)
#define CR4_KL			(1ULL << 19)
#define CR4_SMEP		(1ULL << 20)
#define CR4_SMAP		(1ULL << 21)
#define CR4_PKE			(1ULL << 22)
#define CR4_CET			(1ULL << 23)
#define CR4_PKS			(1ULL << 24)

/*
 * The bits no domus guest may set, whatever its CPUID says: VMX and SMX
 * (no nested virtualization), and features whose state domus does not
 * switch between host and guest (Key Locker, CET, supervisor protection
 * keys).  Every bit above 24 is reserved or of that kind too.
 */
#define CR4_NEVER		(CR4_VMXE | CR4_SMXE | CR4_KL | CR4_CET | CR4_PKS | \
				 (1ULL << 15) | ~((1ULL << 25) - 1))

/* The CPUID words CR4 depends on, as the guest sees them. */
struct domus_cr4_cpuid {
	u32 l1_ecx, l1_edx;		/* leaf 1 */
	u32 l7_ebx, l7_ecx;		/* leaf 7, sub-leaf 0 */
};

/*
 * The CR4 bits a guest shown @c may set, limited to @host (the bits the
 * CPU can run a guest with).  A bit is allowed when the CPUID feature
 * that defines it is shown: VME/PVI (VME), TSD (TSC), DE, PSE, PAE, MCE,
 * PGE, OSFXSR (FXSR), OSXMMEXCPT (SSE), PCIDE (PCID), OSXSAVE (XSAVE),
 * FSGSBASE, SMEP, SMAP, UMIP, LA57, PKE (PKU); PCE always.
 */
u64 domus_cr4_allowed(const struct domus_cr4_cpuid *c, u64 host);

/*
 * Would a MOV of @val to CR4 (now @old) complete, with @allowed from
 * domus_cr4_allowed()?  @lma: IA32_EFER.LMA; @cr3: the current CR3.
 * False means #GP(0): a bit not allowed; PAE cleared or LA57 changed in
 * IA-32e mode; PCIDE set outside IA-32e mode or with CR3[11:0] not zero.
 */
bool domus_cr4_write_ok(u64 old, u64 val, u64 allowed, bool lma, u64 cr3);

#endif /* DOMUS_CR4_H */
