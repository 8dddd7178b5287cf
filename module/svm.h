/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AMD-V architectural constants (AMD64 Architecture Programmer's Manual,
 * volume 2, chapter 15 and appendix B).
 */
#ifndef DOMUS_SVM_H
#define DOMUS_SVM_H

#define SVM_CPUID_LEAF		0x8000000a
#define SVM_CPUID_SVM		(1u << 2)	/* CPUID 8000_0001h ECX */

/* CPUID 8000_000Ah EDX */
#define SVM_FEAT_NP		(1u << 0)
#define SVM_FEAT_NRIPS		(1u << 3)
#define SVM_FEAT_VMCB_CLEAN	(1u << 5)
#define SVM_FEAT_FLUSH_BY_ASID	(1u << 6)
#define SVM_FEAT_DECODE_ASSISTS	(1u << 7)
#define SVM_FEAT_VGIF		(1u << 16)

#define MSR_SVM_VM_CR		0xc0010114
#define SVM_VM_CR_SVMDIS	(1ull << 4)

#endif /* DOMUS_SVM_H */
