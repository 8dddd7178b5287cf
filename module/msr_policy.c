// SPDX-License-Identifier: GPL-2.0-only
/*
 * The platform MSR table (msr_policy.h), every personality's.  Values
 * follow what Xen 4.17 (Debian 12's) gives an HVM/PVH guest with its
 * default policy (no vPMU, no nested virtualization, no CPUID
 * faulting), with the differences domus keeps noted per row.  docs/pv.md "MSRs" lists the
 * table for admins.
 */
#include "msr_policy.h"

#define MTRR_WB_FIXED	0x0606060606060606ULL	/* eight WB byte fields */

/*
 * HWCR: TscFreqSel (bit 24) on family 10h and later, as Xen 4.17: Linux
 * reads HWCR unguarded on those families at boot and warns of a firmware
 * bug when the TSC does not count at P0 frequency.
 */
static u64 hwcr_value(const struct domus_msr_cpu *c)
{
	return c->family >= 0x10 ? 1ULL << 24 : 0;
}

const struct domus_msr_rule domus_msr_rules[] = {
	/* Intel's platform ID (microcode selection): no microcode in a guest */
	{ 0x00000017, 0x00000017, DOMUS_MSR_INTEL, DOMUS_MSR_WR_GP, 0, NULL, "IA32_PLATFORM_ID" },
	/* no CPUID faulting offered: platform info 0, misc features 0 */
	{ 0x000000ce, 0x000000ce, DOMUS_MSR_ANY, DOMUS_MSR_WR_GP, 0, NULL, "PLATFORM_INFO" },
	{ 0x00000140, 0x00000140, DOMUS_MSR_ANY, DOMUS_MSR_WR_SAME, 0, NULL, "MISC_FEATURES_ENABLES" },
	/* architectural PMU counters with the vPMU off (Xen's default): read 0, writes dropped */
	{ 0x000000c1, 0x000000c8, DOMUS_MSR_INTEL, DOMUS_MSR_WR_IGNORE, 0, NULL, "IA32_PMC0-7" },
	{ 0x00000186, 0x0000018d, DOMUS_MSR_INTEL, DOMUS_MSR_WR_IGNORE, 0, NULL, "IA32_PERFEVTSEL0-7" },
	{ 0x00000309, 0x0000030b, DOMUS_MSR_INTEL, DOMUS_MSR_WR_IGNORE, 0, NULL, "IA32_FIXED_CTR0-2" },
	{ 0x0000038d, 0x00000390, DOMUS_MSR_INTEL, DOMUS_MSR_WR_IGNORE, 0, NULL, "IA32_PERF_GLOBAL_*" },
	/* DEBUGCTL: 0; LBR and BTF are not virtualized (Xen allows them) */
	{ 0x000001d9, 0x000001d9, DOMUS_MSR_ANY, DOMUS_MSR_WR_SAME, 0, NULL, "IA32_DEBUGCTL" },
	/* MTRRs: on, default WB, fixed ranges WB, no variable ranges */
	{ 0x000000fe, 0x000000fe, DOMUS_MSR_ANY, DOMUS_MSR_WR_GP, 0x100, NULL, "IA32_MTRRCAP" },
	{ 0x00000250, 0x00000250, DOMUS_MSR_ANY, DOMUS_MSR_WR_IGNORE, MTRR_WB_FIXED, NULL, "MTRR_FIX64K_00000" },
	{ 0x00000258, 0x00000259, DOMUS_MSR_ANY, DOMUS_MSR_WR_IGNORE, MTRR_WB_FIXED, NULL, "MTRR_FIX16K_*" },
	{ 0x00000268, 0x0000026f, DOMUS_MSR_ANY, DOMUS_MSR_WR_IGNORE, MTRR_WB_FIXED, NULL, "MTRR_FIX4K_*" },
	{ 0x000002ff, 0x000002ff, DOMUS_MSR_ANY, DOMUS_MSR_WR_IGNORE, 0xc06, NULL, "IA32_MTRR_DEF_TYPE" },
	/* AMD legacy and family 15h performance counters, vPMU off */
	{ 0xc0010000, 0xc0010007, DOMUS_MSR_AMD, DOMUS_MSR_WR_IGNORE, 0, NULL, "PERF_CTL0-3/PERF_CTR0-3" },
	{ 0xc0010200, 0xc001020b, DOMUS_MSR_AMD, DOMUS_MSR_WR_IGNORE, 0, NULL, "PERF_CTL0-5/PERF_CTR0-5 (F15h)" },
	/* SYSCFG: no TOM2, no MtrrFixDram bits (Linux's AMD MTRR code reads it) */
	{ 0xc0010010, 0xc0010010, DOMUS_MSR_AMD, DOMUS_MSR_WR_GP, 0, NULL, "SYSCFG" },
	{ 0xc0010015, 0xc0010015, DOMUS_MSR_AMD, DOMUS_MSR_WR_SAME, 0, hwcr_value, "HWCR" },
	/* family 0Fh C1E probe (erratum 400): C1E never active */
	{ 0xc0010055, 0xc0010055, DOMUS_MSR_AMD, DOMUS_MSR_WR_IGNORE, 0, NULL, "INT_PENDING_MSG" },
	/* OS visible workarounds: no IDs known, so the OS goes by family/model */
	{ 0xc0010140, 0xc0010141, DOMUS_MSR_AMD, DOMUS_MSR_WR_IGNORE, 0, NULL, "OSVW_ID_LENGTH/OSVW_STATUS" },
	/* LFENCE is dispatch serialising; writes dropped (a #GP panics some kernels) */
	{ 0xc0011029, 0xc0011029, DOMUS_MSR_AMD, DOMUS_MSR_WR_IGNORE, 1ULL << 1, NULL, "DE_CFG" },
};
const unsigned int domus_msr_nr_rules = sizeof(domus_msr_rules) / sizeof(domus_msr_rules[0]);

void domus_msr_cpu_decode(const u32 leaf0[4], const u32 leaf1[4], struct domus_msr_cpu *c)
{
	u32 b = leaf0[1], cx = leaf0[2], d = leaf0[3];

	c->vendor = 0;
	if ((b == 0x68747541 && cx == 0x444d4163 && d == 0x69746e65) ||	/* AuthenticAMD */
	    (b == 0x6f677948 && cx == 0x656e6975 && d == 0x6e65476e))	/* HygonGenuine */
		c->vendor = DOMUS_MSR_AMD;
	else if (b == 0x756e6547 && cx == 0x6c65746e && d == 0x49656e69)	/* GenuineIntel */
		c->vendor = DOMUS_MSR_INTEL;
	c->family = (leaf1[0] >> 8) & 0xf;
	if (c->family == 0xf)
		c->family += (leaf1[0] >> 20) & 0xff;
}

const struct domus_msr_rule *domus_msr_rule_find(const struct domus_msr_cpu *c, u32 index)
{
	unsigned int i;

	for (i = 0; i < domus_msr_nr_rules; i++) {
		const struct domus_msr_rule *r = &domus_msr_rules[i];

		if (index >= r->first && index <= r->last &&
		    (r->vendors == DOMUS_MSR_ANY || (r->vendors & c->vendor)))
			return r;
	}
	return NULL;
}

int domus_msr_policy(const struct domus_msr_cpu *c, u32 index, u64 *data, bool write)
{
	const struct domus_msr_rule *r = domus_msr_rule_find(c, index);
	u64 value;

	if (!r)
		return -1;
	value = r->value_fn ? r->value_fn(c) : r->value;
	if (!write) {
		*data = value;
		return 0;
	}
	switch (r->write) {
	case DOMUS_MSR_WR_IGNORE:
		return 0;
	case DOMUS_MSR_WR_SAME:
		return *data == value ? 0 : 1;
	default:
		return 1;
	}
}
