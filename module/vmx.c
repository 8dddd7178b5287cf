// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VT-x (VMX) backend.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/processor.h>
#include "domus.h"
#include "vmx.h"

static int vmx_probe(struct domus_hw *hw)
{
	u64 fc, procbased, procbased2, ept_cap;
	u32 allowed2;

	if (!(cpuid_ecx(1) & VMX_CPUID1_ECX_VMX)) {
		pr_err("cannot load: this CPU has no VMX (VT-x) in CPUID; use a CPU with VT-x, or give the virtual CPU the vmx flag\n");
		return -ENODEV;
	}
	if (domus_rdmsr_safe(MSR_VMX_FEATURE_CONTROL, &fc) == 0 &&
	    (fc & VMX_FC_LOCKED) && !(fc & VMX_FC_VMXON_OUTSIDE_SMX)) {
		pr_err("cannot load: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked without VMX); enable \"Intel Virtualization Technology\" in the BIOS setup\n");
		return -EPERM;
	}
	if (domus_rdmsr_safe(MSR_VMX_PROCBASED_CTLS, &procbased) ||
	    !((procbased >> 32) & VMX_PROC_SECONDARY) ||
	    domus_rdmsr_safe(MSR_VMX_PROCBASED_CTLS2, &procbased2) ||
	    !((procbased2 >> 32) & VMX_PROC2_EPT) ||
	    domus_rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &ept_cap) ||
	    !(ept_cap & VMX_EPT_WALK_4) || !(ept_cap & VMX_EPT_WB)) {
		pr_err("cannot load: this CPU's VT-x has no usable EPT (extended page tables), which domus requires; use a CPU with EPT\n");
		return -ENODEV;
	}
	allowed2 = procbased2 >> 32;

	hw->vendor = DOMUS_VENDOR_VMX;
	hw->paging = DOMUS_PAGING_EPT;
	hw->features = 0;
	if (ept_cap & VMX_EPT_2M)
		hw->features |= DOMUS_FEAT_LARGE_PAGES;
	if (ept_cap & VMX_EPT_AD)
		hw->features |= DOMUS_FEAT_EPT_AD;
	if (allowed2 & VMX_PROC2_VPID) {
		hw->features |= DOMUS_FEAT_VPID;
		hw->asids = 65535;
	}
	if (allowed2 & VMX_PROC2_UNRESTRICTED)
		hw->features |= DOMUS_FEAT_UNRESTRICTED;
	return 0;
}

const struct domus_arch_ops domus_vmx_ops = {
	.name	= "vmx",
	.probe	= vmx_probe,
};
