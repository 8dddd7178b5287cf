// SPDX-License-Identifier: GPL-2.0-only
/*
 * IA32_APIC_BASE state rules (apicbase.h).  Pure C: no kernel headers, so
 * the unit tests link it as is.
 */
#include "apicbase.h"

enum domus_apic_mode domus_apic_mode(u64 base)
{
	return (enum domus_apic_mode)(((base & DOMUS_APICBASE_EN) ? 2 : 0) |
				      ((base & DOMUS_APICBASE_EXTD) ? 1 : 0));
}

u64 domus_apicbase_reserved(unsigned int phys_bits)
{
	if (phys_bits < 36)
		phys_bits = 36;
	if (phys_bits > 52)
		phys_bits = 52;
	return 0xffULL | (1ULL << 9) | ~((1ULL << phys_bits) - 1);
}

bool domus_apicbase_valid(u64 val, unsigned int phys_bits)
{
	return !(val & domus_apicbase_reserved(phys_bits)) &&
	       domus_apic_mode(val) != DOMUS_APIC_INVALID;
}

int domus_apicbase_write(u64 old, u64 val, unsigned int phys_bits, u64 *out)
{
	enum domus_apic_mode from = domus_apic_mode(old), to = domus_apic_mode(val);

	/* the BSP flag is not writable: what the guest puts there is ignored */
	val = (val & ~DOMUS_APICBASE_BSP) | (old & DOMUS_APICBASE_BSP);
	if (!domus_apicbase_valid(val, phys_bits))
		return -1;
	if (from == DOMUS_APIC_X2APIC && to == DOMUS_APIC_XAPIC)
		return -1;	/* x2APIC is left only through disabled */
	if (from == DOMUS_APIC_DISABLED && to == DOMUS_APIC_X2APIC)
		return -1;	/* x2APIC is entered only from xAPIC */
	*out = val;
	return 0;
}
