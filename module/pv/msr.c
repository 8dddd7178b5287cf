// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: the MSRs and CPUID bits the core leaves to it.
 *
 * MSRs: the hypercall page (0x40000000), the x2APIC range (apic.c; #GP
 * outside x2APIC mode), then the core's platform MSR table
 * (module/msr_policy.c: MTRRs, platform info, debug control, PMU counters
 * with the vPMU off, AMD's SYSCFG, HWCR, DE_CFG, OSVW...: what Xen
 * answers a PVH domU, and what every domain gets).  Anything else is #GP,
 * which Linux's safe accessors expect for what a hypervisor does not
 * offer.
 *
 * CPUID (after the core's filtering): x2APIC on (vCPUs start in xAPIC
 * mode and may switch, apic.c), APIC present while IA32_APIC_BASE.EN,
 * the TSC-deadline timer (apic.c, same TSC scale as pvclock),
 * no machine check, thermal,
 * ACPI-via-MSR or debug store features, no architectural PMU.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/msr-index.h>
#include "xen.h"

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

/*
 * PVHVM: the hypercall page, then the platform table (no x2APIC MSRs);
 * PVH's xen_msr() takes the x2APIC range first.
 */
int xen_hvm_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	int ret;

	if (index == XEN_HCALL_PAGE_MSR) {
		if (!write) {
			*data = 0;
			return 0;
		}
		return xen_hcall_page(v, *data);
	}
	ret = domus_platform_msr(v, index, data, write);
	if (ret >= 0)
		return ret;
	pr_debug("xen: vcpu %u: %s MSR %#x refused\n", v->id, write ? "wrmsr" : "rdmsr", index);
	return 1;
}

int xen_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	if ((index >= 0x800 && index <= 0x8ff) || index == 0x6e0)	/* x2APIC, TSC_DEADLINE */
		return xen_apic_msr(xen_vcpu(v), index, data, write);
	return xen_hvm_msr(v, index, data, write);
}

void xen_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	switch (fn) {
	case 1:
		out[2] |= BIT(21);		/* x2APIC */
		out[2] |= BIT(24);		/* TSC-deadline timer (apic.c) */
		out[2] &= ~(BIT(2) | BIT(4) | BIT(7) | BIT(8) | BIT(15));
		out[3] &= ~(BIT(7) | BIT(14) | BIT(21) | BIT(22) | BIT(29) | BIT(31));
		if (!xen_vcpu(v) || xen_apic_enabled(xen_vcpu(v)))
			out[3] |= BIT(9);	/* APIC present, IA32_APIC_BASE.EN */
		else
			out[3] &= ~BIT(9);
		break;
	case 6:
	case 0xa:
		out[0] = out[1] = out[2] = out[3] = 0;
		break;
	}
}
