// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD-V (SVM) backend.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/processor.h>
#include "domus.h"
#include "svm.h"

static int svm_probe(struct domus_hw *hw)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < SVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_SVM)) {
		pr_err("cannot load: this AMD CPU has no SVM (AMD-V) in CPUID; use a CPU with AMD-V, or give the virtual CPU the svm flag (e.g. qemu -cpu host or +svm)\n");
		return -ENODEV;
	}
	if (domus_rdmsr_safe(MSR_SVM_VM_CR, &vm_cr) == 0 &&
	    (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_err("cannot load: AMD-V is disabled by the firmware (VM_CR.SVMDIS is set); enable \"SVM mode\" / AMD-V in the BIOS setup\n");
		return -EPERM;
	}
	cpuid(SVM_CPUID_LEAF, &eax, &ebx, &ecx, &edx);
	if (!(edx & SVM_FEAT_NP)) {
		pr_err("cannot load: this CPU's AMD-V has no nested paging (NPT), which domus requires; use a CPU with NPT (e.g. qemu -cpu ...,+svm,+npt)\n");
		return -ENODEV;
	}

	hw->vendor = DOMUS_VENDOR_SVM;
	hw->paging = DOMUS_PAGING_NPT;
	hw->asids = ebx;
	hw->features = DOMUS_FEAT_LARGE_PAGES;
	if (edx & SVM_FEAT_NRIPS)
		hw->features |= DOMUS_FEAT_NRIPS;
	if (edx & SVM_FEAT_VMCB_CLEAN)
		hw->features |= DOMUS_FEAT_VMCB_CLEAN;
	if (edx & SVM_FEAT_FLUSH_BY_ASID)
		hw->features |= DOMUS_FEAT_FLUSH_BY_ASID;
	if (edx & SVM_FEAT_DECODE_ASSISTS)
		hw->features |= DOMUS_FEAT_DECODE_ASSISTS;
	if (edx & SVM_FEAT_VGIF)
		hw->features |= DOMUS_FEAT_VGIF;
	return 0;
}

const struct domus_arch_ops domus_svm_ops = {
	.name	= "svm",
	.probe	= svm_probe,
};
