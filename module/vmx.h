/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-x architectural constants (Intel SDM volume 3, chapters 24-28
 * and appendix A).
 */
#ifndef DOMUS_VMX_H
#define DOMUS_VMX_H

#define VMX_CPUID1_ECX_VMX		(1u << 5)

#define MSR_VMX_FEATURE_CONTROL		0x3a
#define VMX_FC_LOCKED			(1ull << 0)
#define VMX_FC_VMXON_OUTSIDE_SMX	(1ull << 2)

#define MSR_VMX_PROCBASED_CTLS		0x482
#define MSR_VMX_PROCBASED_CTLS2		0x48b
#define MSR_VMX_EPT_VPID_CAP		0x48c

/* allowed-1 settings live in the high 32 bits of the control MSRs */
#define VMX_PROC_SECONDARY		(1u << 31)
#define VMX_PROC2_EPT			(1u << 1)
#define VMX_PROC2_VPID			(1u << 5)
#define VMX_PROC2_UNRESTRICTED		(1u << 7)

#define VMX_EPT_WALK_4			(1ull << 6)
#define VMX_EPT_WB			(1ull << 14)
#define VMX_EPT_2M			(1ull << 16)
#define VMX_EPT_AD			(1ull << 21)

#endif /* DOMUS_VMX_H */
