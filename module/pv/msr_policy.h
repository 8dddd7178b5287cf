/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MSRs the Xen personality answers as Xen answers an HVM/PVH guest,
 * beyond what the backend and the core handle: one table (msr_policy.c),
 * each row a range of indices, the vendors it exists for, the value a
 * read gives and what a write does.  Everything not in the table (nor
 * in the hypercall page and x2APIC handlers of msr.c) is #GP, Xen's
 * answer to an MSR it does not know since 4.15.
 *
 * Pure C, shared by domus.ko and the userland unit tests
 * (tests/unit/test_msr_policy.c), so CPU models our emulated test hosts
 * are not (AMD family 17h/19h, Intel) are tested too.
 */
#ifndef DOMUS_XEN_MSR_POLICY_H
#define DOMUS_XEN_MSR_POLICY_H

#include "../puretypes.h"

enum xen_msr_vendor {
	XEN_MSR_AMD	= 1 << 0,	/* AMD and Hygon */
	XEN_MSR_INTEL	= 1 << 1,
	XEN_MSR_ANY	= XEN_MSR_AMD | XEN_MSR_INTEL,
};

/* What a write does. */
enum xen_msr_write {
	XEN_MSR_WR_GP,		/* read-only: #GP */
	XEN_MSR_WR_IGNORE,	/* accepted, the value reads back unchanged */
	XEN_MSR_WR_SAME,	/* the value reads give is accepted, anything else #GP */
};

/* The CPU the guest is shown: vendor (XEN_MSR_AMD/INTEL, 0 other: only the
 * XEN_MSR_ANY rows apply) and
 * display family (CPUID 1: family + extended family). */
struct xen_msr_cpu {
	u8 vendor;
	u16 family;
};

struct xen_msr_rule {
	u32 first, last;
	u8 vendors;
	u8 write;			/* enum xen_msr_write */
	u64 value;			/* what reads give ... */
	u64 (*value_fn)(const struct xen_msr_cpu *c);	/* ... or this, if set */
	const char *name;
};

/*
 * The rule for @index on @c, or NULL (not in the table).  On a rule,
 * xen_msr_policy() gives the read value or judges a write: 0 done,
 * 1 #GP.  -1: not in the table (the caller's #GP).
 */
const struct xen_msr_rule *xen_msr_rule_find(const struct xen_msr_cpu *c, u32 index);
int xen_msr_policy(const struct xen_msr_cpu *c, u32 index, u64 *data, bool write);

/* the table, for the documentation test (every row named, no overlaps) */
extern const struct xen_msr_rule xen_msr_rules[];
extern const unsigned int xen_msr_nr_rules;

#endif /* DOMUS_XEN_MSR_POLICY_H */
