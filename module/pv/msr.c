// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: the MSRs and CPUID bits the core leaves to it.
 *
 * MSRs: the hypercall page (0x40000000), the x2APIC range (apic.c), AMD's
 * SYSCFG and the
 * K8 interrupt-pending message register (read 0), and a fixed, read-mostly MTRR set (MTRRs on, default type WB, no variable
 * ranges: what Xen gives a PVH domU).  Anything else is #GP, which Linux's
 * safe accessors expect for what a hypervisor does not offer.
 *
 * CPUID (after the core's filtering): x2APIC on (the only APIC mode
 * domus offers), the TSC-deadline timer (apic.c, same TSC scale as pvclock),
 * no machine check, thermal,
 * ACPI-via-MSR or debug store features, no architectural PMU.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/msr-index.h>
#include "xen.h"

#define XEN_MTRR_WB_FIXED	0x0606060606060606ULL
#define XEN_MTRR_DEF_TYPE	0xc06ULL	/* E, FE, default WB */
#define XEN_MTRR_CAP		0x100ULL	/* fixed ranges, no variable ones */

/*
 * Writing a guest-physical page address to MSR 0x40000000 asks for a
 * hypercall page: 128 stubs of 32 bytes, stub i = "mov $i, %eax;
 * vmmcall/vmcall; ret".
 */
static int xen_hcall_page(struct domus_vcpu *v, u64 gpa)
{
	u8 *page;
	int i, ret;

	if (gpa & (PAGE_SIZE - 1) || gpa >= DOMUS_GPA_LIMIT)
		return 1;
	page = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!page)
		return 1;
	memset(page, 0xcc, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE / 32; i++) {
		u8 *s = page + i * 32;

		s[0] = 0xb8;			/* mov $i, %eax */
		memcpy(s + 1, &i, 4);
		domus_hypercall_insn(s + 5);	/* 3 bytes */
		s[8] = 0xc3;			/* ret */
	}
	ret = domus_write_gpa(v->dom, gpa, page, PAGE_SIZE);
	kfree(page);
	return ret ? 1 : 0;
}

static bool xen_mtrr_fixed(u32 index)
{
	return index == MSR_MTRRfix64K_00000 || index == MSR_MTRRfix16K_80000 ||
	       index == MSR_MTRRfix16K_A0000 ||
	       (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000);
}

int xen_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	if (index == XEN_HCALL_PAGE_MSR) {
		if (!write) {
			*data = 0;
			return 0;
		}
		return xen_hcall_page(v, *data);
	}
	if ((index >= 0x800 && index <= 0x8ff) || index == 0x6e0)	/* x2APIC, TSC_DEADLINE */
		return xen_apic_msr(xen_vcpu(v), index, data, write);
	if (index == MSR_AMD64_SYSCFG) {
		/* read by Linux's AMD MTRR code: no TOM2, no MtrrFixDram bits */
		if (write)
			return 1;
		*data = 0;
		return 0;
	}
	if (index == MSR_K8_INT_PENDING_MSG) {
		/* AMD family 0Fh C1E (erratum 400) probe: C1E never active */
		if (!write)
			*data = 0;
		return 0;
	}
	if (index == MSR_MTRRcap) {
		if (write)
			return 1;
		*data = XEN_MTRR_CAP;
		return 0;
	}
	if (index == MSR_MTRRdefType || xen_mtrr_fixed(index)) {
		/* writes (Linux copies the BSP's values to APs) keep the fixed set */
		if (!write)
			*data = index == MSR_MTRRdefType ? XEN_MTRR_DEF_TYPE : XEN_MTRR_WB_FIXED;
		return 0;
	}
	pr_debug("xen: vcpu %u: %s MSR %#x refused\n", v->id, write ? "wrmsr" : "rdmsr", index);
	return 1;
}

void xen_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	switch (fn) {
	case 1:
		out[2] |= BIT(21);		/* x2APIC */
		out[2] |= BIT(24);		/* TSC-deadline timer (apic.c) */
		out[2] &= ~(BIT(2) | BIT(4) | BIT(7) | BIT(8) | BIT(15));
		out[3] &= ~(BIT(7) | BIT(14) | BIT(21) | BIT(22) | BIT(29) | BIT(31));
		out[3] |= BIT(9);		/* APIC present */
		break;
	case 6:
	case 0xa:
		out[0] = out[1] = out[2] = out[3] = 0;
		break;
	}
}
