/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The platform MSRs: what every domain's guest reads and writes of the
 * MSRs a real OS probes early (MTRRs, platform info, debug control, PMU
 * counters with no vPMU, AMD's SYSCFG, HWCR, DE_CFG, OSVW...), beyond
 * what the backend and the core keep.  One table (msr_policy.c), each
 * row a range of indices, the vendors it exists for, the value a read
 * gives and what a write does.  The values are those Xen 4.17 gives an
 * HVM/PVH guest under its default policy: a plain HVM domain (SeaBIOS,
 * GRUB, Linux) and a Xen personality domain see the same platform.
 * A personality consults it (domus_platform_msr(), core.h) after the
 * MSRs it keeps itself; everything in neither is #GP.
 *
 * Pure C, shared by domus.ko and the userland unit tests
 * (tests/unit/test_msr_policy.c), so CPU models our emulated test hosts
 * are not (AMD family 17h/19h, Intel) are tested too.
 */
#ifndef DOMUS_MSR_POLICY_H
#define DOMUS_MSR_POLICY_H

#include "puretypes.h"

enum domus_msr_vendor {
	DOMUS_MSR_AMD	= 1 << 0,	/* AMD and Hygon */
	DOMUS_MSR_INTEL	= 1 << 1,
	DOMUS_MSR_ANY	= DOMUS_MSR_AMD | DOMUS_MSR_INTEL,
};

/* What a write does. */
enum domus_msr_write {
	DOMUS_MSR_WR_GP,		/* read-only: #GP */
	DOMUS_MSR_WR_IGNORE,	/* accepted, the value reads back unchanged */
	DOMUS_MSR_WR_SAME,	/* the value reads give is accepted, anything else #GP */
};

/*
 * The CPU the guest is shown: vendor (DOMUS_MSR_AMD/INTEL, 0 other: only
 * the DOMUS_MSR_ANY rows apply) and display family (CPUID 1: family +
 * extended family).
 */
struct domus_msr_cpu {
	u8 vendor;
	u16 family;
};

struct domus_msr_rule {
	u32 first, last;
	u8 vendors;
	u8 write;			/* enum domus_msr_write */
	u64 value;			/* what reads give ... */
	u64 (*value_fn)(const struct domus_msr_cpu *c);	/* ... or this, if set */
	const char *name;
};

/*
 * The rule for @index on @c, or NULL (not in the table).  On a rule,
 * domus_msr_policy() gives the read value or judges a write: 0 done,
 * 1 #GP.  -1: not in the table (the caller's #GP).
 */
const struct domus_msr_rule *domus_msr_rule_find(const struct domus_msr_cpu *c, u32 index);
int domus_msr_policy(const struct domus_msr_cpu *c, u32 index, u64 *data, bool write);

/*
 * The CPU of a guest's CPUID leaves 0 and 1 (EAX, EBX, ECX, EDX each):
 * AuthenticAMD and HygonGenuine are AMD, GenuineIntel Intel, anything
 * else (or no leaves: zeros) vendor 0.
 */
void domus_msr_cpu_decode(const u32 leaf0[4], const u32 leaf1[4], struct domus_msr_cpu *c);

/* the table, for the documentation test (every row named, no overlaps) */
extern const struct domus_msr_rule domus_msr_rules[];
extern const unsigned int domus_msr_nr_rules;

#endif /* DOMUS_MSR_POLICY_H */
