// SPDX-License-Identifier: GPL-2.0-only
/*
 * CR4 validity (cr4.h): pure C, in domus.ko and in the unit tests.
 */
#include "cr4.h"

/* CPUID feature bits (SDM vol. 2A, CPUID; APM vol. 3, appendix E) */
#define L1_EDX_VME		(1u << 1)
#define L1_EDX_DE		(1u << 2)
#define L1_EDX_PSE		(1u << 3)
#define L1_EDX_TSC		(1u << 4)
#define L1_EDX_PAE		(1u << 6)
#define L1_EDX_MCE		(1u << 7)
#define L1_EDX_PGE		(1u << 13)
#define L1_EDX_FXSR		(1u << 24)
#define L1_EDX_SSE		(1u << 25)
#define L1_ECX_PCID		(1u << 17)
#define L1_ECX_XSAVE		(1u << 26)
#define L7_EBX_FSGSBASE		(1u << 0)
#define L7_EBX_SMEP		(1u << 7)
#define L7_EBX_SMAP		(1u << 20)
#define L7_ECX_UMIP		(1u << 2)
#define L7_ECX_PKU		(1u << 3)
#define L7_ECX_LA57		(1u << 16)

static const struct {
	u64 cr4;
	u8 word;		/* 0: l1_ecx, 1: l1_edx, 2: l7_ebx, 3: l7_ecx */
	u32 bit;
} cr4_features[] = {
	{ CR4_VME | CR4_PVI,	1, L1_EDX_VME },
	{ CR4_TSD,		1, L1_EDX_TSC },
	{ CR4_DE,		1, L1_EDX_DE },
	{ CR4_PSE,		1, L1_EDX_PSE },
	{ CR4_PAE,		1, L1_EDX_PAE },
	{ CR4_MCE,		1, L1_EDX_MCE },
	{ CR4_PGE,		1, L1_EDX_PGE },
	{ CR4_OSFXSR,		1, L1_EDX_FXSR },
	{ CR4_OSXMMEXCPT,	1, L1_EDX_SSE },
	{ CR4_PCIDE,		0, L1_ECX_PCID },
	{ CR4_OSXSAVE,		0, L1_ECX_XSAVE },
	{ CR4_FSGSBASE,		2, L7_EBX_FSGSBASE },
	{ CR4_SMEP,		2, L7_EBX_SMEP },
	{ CR4_SMAP,		2, L7_EBX_SMAP },
	{ CR4_UMIP,		3, L7_ECX_UMIP },
	{ CR4_LA57,		3, L7_ECX_LA57 },
	{ CR4_PKE,		3, L7_ECX_PKU },
};

u64 domus_cr4_allowed(const struct domus_cr4_cpuid *c, u64 host)
{
	const u32 words[4] = { c->l1_ecx, c->l1_edx, c->l7_ebx, c->l7_ecx };
	u64 allowed = CR4_PCE;
	unsigned int i;

	for (i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++)
		if (words[cr4_features[i].word] & cr4_features[i].bit)
			allowed |= cr4_features[i].cr4;
	return allowed & host & ~CR4_NEVER;
}

bool domus_cr4_write_ok(u64 old, u64 val, u64 allowed, bool lma, u64 cr3)
{
	if (val & ~allowed)
		return false;
	if (lma && !(val & CR4_PAE))
		return false;
	if (lma && ((old ^ val) & CR4_LA57))
		return false;
	if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) && (!lma || (cr3 & 0xfff)))
		return false;
	return true;
}
