// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-x backend: the capability checks at module load (vmx_probe) and the
 * control fields they compute (vmx_cfg).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include "../core.h"
#include "vmx.h"

struct vmx_config vmx_cfg;

/* --- capabilities ------------------------------------------------------------ */

/*
 * Fit @want (required) and @opt (used if available) into a control
 * field's capability MSR: low half = bits that must be 1, high half =
 * bits that may be 1.  Returns false if a required bit is not allowed.
 */
static bool vmx_adjust(u32 msr, u32 want, u32 opt, u32 *out)
{
	u64 cap;
	u32 must, may;

	if (domus_rdmsr_safe(msr, &cap))
		return false;
	must = cap;
	may = cap >> 32;
	if (want & ~may)
		return false;
	*out = (want | (opt & may) | must) & may;
	return true;
}

static int vmx_setup_config(void)
{
	struct vmx_config *c = &vmx_cfg;
	bool true_ctls;
	u64 misc;

	if (domus_rdmsr_safe(MSR_VMX_BASIC, &c->basic))
		return -ENODEV;
	c->revision = c->basic & VMX_BASIC_REVISION_MASK;
	if (((c->basic >> VMX_BASIC_SIZE_SHIFT) & 0x1fff) > PAGE_SIZE ||
	    (c->basic & VMX_BASIC_32BIT_ADDR) ||
	    ((c->basic >> VMX_BASIC_MEMTYPE_SHIFT) & 0xf) != 6) {
		pr_err("cannot load: this CPU's VMCS layout (IA32_VMX_BASIC 0x%llx) is not supported\n",
		       c->basic);
		return -ENODEV;
	}
	true_ctls = c->basic & VMX_BASIC_TRUE_CAPS;
	if (!vmx_adjust(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS,
			VMX_PIN_EXT_INTR | VMX_PIN_NMI | VMX_PIN_VIRTUAL_NMIS,
			VMX_PIN_PREEMPT_TIMER, &c->pin)) {
		pr_err("cannot load: this CPU's VT-x lacks external-interrupt/NMI exiting or virtual NMIs, which domus requires\n");
		return -ENODEV;
	}
	if (!vmx_adjust(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS,
			VMX_PROC_HLT | VMX_PROC_TSC_OFFSET | VMX_PROC_CR8_LOAD |
			VMX_PROC_CR8_STORE | VMX_PROC_MOV_DR | VMX_PROC_IO_BITMAPS |
			VMX_PROC_MSR_BITMAPS | VMX_PROC_MWAIT | VMX_PROC_MONITOR |
			VMX_PROC_RDPMC | VMX_PROC_SECONDARY, 0, &c->proc) ||
	    !vmx_adjust(MSR_VMX_PROCBASED_CTLS2, VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED,
			VMX_PROC2_VPID | VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID |
			VMX_PROC2_WBINVD, &c->proc2)) {
		pr_err("cannot load: this CPU's VT-x lacks a control domus requires (I/O and MSR bitmaps, EPT, unrestricted guest); use a CPU with EPT and unrestricted guest (Westmere or later)\n");
		return -ENODEV;
	}
	if (!vmx_adjust(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS,
			VMX_EXIT_HOST_64 | VMX_EXIT_SAVE_DEBUG | VMX_EXIT_SAVE_PAT |
			VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER,
			0, &c->exit) ||
	    !vmx_adjust(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS,
			VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_PAT | VMX_ENTRY_LOAD_EFER,
			0, &c->entry)) {
		pr_err("cannot load: this CPU's VT-x cannot switch EFER and PAT at VM entry and exit, which domus requires\n");
		return -ENODEV;
	}
	c->exit &= ~VMX_EXIT_ACK_INTR;	/* the host takes interrupts itself */
	c->entry &= ~VMX_ENTRY_IA32E;	/* set per vCPU from EFER.LMA */

	if (domus_rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &c->ept_cap) ||
	    !(c->ept_cap & VMX_EPT_INVEPT) ||
	    !(c->ept_cap & (VMX_EPT_INVEPT_SINGLE | VMX_EPT_INVEPT_ALL))) {
		pr_err("cannot load: this CPU's EPT has no INVEPT, which domus requires\n");
		return -ENODEV;
	}
	if ((c->proc2 & VMX_PROC2_VPID) &&
	    (!(c->ept_cap & VMX_VPID_INVVPID) ||
	     !(c->ept_cap & (VMX_VPID_INVVPID_SINGLE | VMX_VPID_INVVPID_ALL))))
		c->proc2 &= ~VMX_PROC2_VPID;	/* VPIDs we could not flush */

	if (domus_rdmsr_safe(MSR_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    domus_rdmsr_safe(MSR_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    domus_rdmsr_safe(MSR_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    domus_rdmsr_safe(MSR_VMX_CR4_FIXED1, &c->cr4_fixed1) ||
	    domus_rdmsr_safe(MSR_VMX_MISC, &misc))
		return -ENODEV;
	/*
	 * The preemption timer bounds each stay in the guest (2 ms of TSC).
	 * Host interrupts end it anyway on hardware; Bochs does not deliver
	 * them (no external-interrupt exit) while the guest runs with IF
	 * clear, so without the timer a guest spinning with interrupts off
	 * would keep its CPU until it exits by itself.
	 */
	if (c->pin & VMX_PIN_PREEMPT_TIMER) {
		u64 ticks = ((u64)(tsc_khz ? tsc_khz : 1000000) * 2) >> (misc & 0x1f);

		c->preempt_ticks = clamp_t(u64, ticks, 1000, 0xffffffffULL);
	}
	/*
	 * Unrestricted guest: PE and PG are the guest's own.  A guest that
	 * turns paging on with EFER.LME enters long mode without an exit; the
	 * next VM exit stores EFER.LMA into the "IA-32e mode guest" entry
	 * control (IA32_VMX_MISC bit 5, set on every CPU with unrestricted
	 * guest), and vmx_write_efer() reads that control back, never a copy.
	 */
	c->cr0_fixed0 &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	c->cr0_mask = (c->cr0_fixed0 | ~c->cr0_fixed1) & 0xffffffffULL;
	/*
	 * CR4: we own every bit but the few that exist on every x86-64 CPU
	 * and that guests toggle often (PGE for global flushes); a MOV that
	 * changes another bit exits and is checked against the guest's
	 * CPUID (cr4.h), which also covers what VMX operation fixes.
	 */
	c->cr4_mask = ~(u64)(X86_CR4_TSD | X86_CR4_DE | X86_CR4_PCE | X86_CR4_OSFXSR |
			     X86_CR4_OSXMMEXCPT | X86_CR4_PGE) & 0xffffffffULL;
	return 0;
}

int vmx_probe(struct domus_hw *hw)
{
	u64 fc, procbased, procbased2, ept_cap;
	u32 allowed2;
	int ret;

	if (!(cpuid_ecx(1) & VMX_CPUID1_ECX_VMX)) {
		pr_err("cannot load: this CPU has no VMX (VT-x) in CPUID; use a CPU with VT-x, or give the virtual CPU the vmx flag\n");
		return -ENODEV;
	}
	if (domus_fw_msr(MSR_VMX_FEATURE_CONTROL, &fc) == 0 &&
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
	ret = vmx_setup_config();
	if (ret)
		return ret;
	allowed2 = vmx_cfg.proc2;

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
