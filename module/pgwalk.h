/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest page-table walker: guest virtual (linear) -> guest physical.
 * Pure C, shared by domus.ko and the userland unit tests
 * (tests/unit/test_pgwalk.c).  No allocation, no recursion, at most four
 * table reads per translation.
 *
 * Modes, chosen from the control registers as the CPU does:
 *	CR0.PG = 0			no paging: gpa = gva (32 bits)
 *	CR0.PG, !CR4.PAE		32-bit: 4K pages, 4M pages if CR4.PSE
 *					(PSE-36 high address bits, up to 40)
 *	CR0.PG, CR4.PAE, !EFER.LMA	PAE: 4K and 2M pages
 *	CR0.PG, CR4.PAE, EFER.LMA	4-level: 4K, 2M and 1G pages
 * Checked: present bits, R/W (supervisor writes only with CR0.WP), U/S,
 * NX (EFER.NXE, PAE and 4-level), CR4.SMEP, and reserved bits (including
 * physical-address bits at or above maxphyaddr; PML4E.PS; the XD bit
 * without EFER.NXE; PAE PDPTE bits 2:1 and 8:5) which give a fault with
 * RSVD set.
 * Not done: accessed/dirty bits are never set (the walker only reads
 * guest memory; the core may add that later); SMAP and protection keys are
 * not checked; PAE PDPTEs are read from memory at CR3 rather than taken
 * from the PDPTE registers the CPU loaded at the last CR3 write; a
 * reserved bit in a PAE PDPTE is reported as an RSVD page fault (the CPU
 * raises #GP at the CR3 load instead).
 */
#ifndef DOMUS_PGWALK_H
#define DOMUS_PGWALK_H

#include "puretypes.h"

struct pgwalk_ops {
	/* Read a size-byte (4 or 8) little-endian value at gpa; 0 or -1. */
	int (*read_gpa)(void *opaque, u64 gpa, u64 *val, unsigned int size);
};

struct pgwalk_regs {
	u64 cr0, cr3, cr4, efer;
	/*
	 * The guest's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); 0 means 52.
	 * Entry address bits at and above it are reserved.
	 */
	u32 maxphyaddr;
};

/* access flags */
#define PGWALK_WRITE	1
#define PGWALK_USER	2	/* CPL 3 (otherwise a supervisor access) */
#define PGWALK_FETCH	4	/* instruction fetch */

/* #PF error code bits */
#define PGWALK_PF_P	(1U << 0)	/* protection violation (0: not present) */
#define PGWALK_PF_W	(1U << 1)	/* write access */
#define PGWALK_PF_U	(1U << 2)	/* user-mode access */
#define PGWALK_PF_RSVD	(1U << 3)	/* reserved bit set in an entry */
#define PGWALK_PF_I	(1U << 4)	/* instruction fetch (only reported with
					 * PAE/4-level + EFER.NXE, or CR4.SMEP) */

/* control register bits the walker looks at */
#define PGWALK_CR0_WP	(1ULL << 16)
#define PGWALK_CR0_PG	(1ULL << 31)
#define PGWALK_CR4_PSE	(1ULL << 4)
#define PGWALK_CR4_PAE	(1ULL << 5)
#define PGWALK_CR4_LA57	(1ULL << 12)
#define PGWALK_CR4_SMEP	(1ULL << 20)
#define PGWALK_EFER_LMA	(1ULL << 10)
#define PGWALK_EFER_NXE	(1ULL << 11)

/*
 * Translate gva for an access of kind access (PGWALK_*).
 * Returns 0 with *gpa set; 1 for a guest page fault with *pf_error_code
 * set to the error code the #PF would carry (CR2 would be gva); -1 if a
 * page-table read failed or the walk is not supported (CR4.LA57, a
 * non-canonical gva in 4-level mode, EFER.LMA without CR4.PAE).
 */
int pgwalk_translate(const struct pgwalk_ops *ops, void *opaque,
		     const struct pgwalk_regs *r, u64 gva, unsigned int access,
		     u64 *gpa, u32 *pf_error_code);

#endif /* DOMUS_PGWALK_H */
