// SPDX-License-Identifier: GPL-2.0-only
/*
 * Re-delivery of an event an exit cut short (event.h).
 */
#include "event.h"
#include "insnlen.h"

enum domus_redeliver domus_vmx_redeliver(u32 info, u32 len)
{
	if (!(info & DOMUS_EVT_VALID))
		return DOMUS_REDELIVER_NONE;
	switch (domus_evt_type(info)) {
	case DOMUS_EVT_INTR:
	case DOMUS_EVT_NMI:
	case DOMUS_EVT_HW_EXC:
		return DOMUS_REDELIVER_AS_IS;
	case DOMUS_EVT_SOFT_INT:
	case DOMUS_EVT_PRIV_SW_EXC:
	case DOMUS_EVT_SOFT_EXC:
		/* entry wants 1-15; without it the instruction re-executes */
		return len >= 1 && len <= X86EMU_MAX_INSN_LEN ? DOMUS_REDELIVER_WITH_LEN :
								 DOMUS_REDELIVER_NONE;
	default:
		return DOMUS_REDELIVER_NONE;
	}
}

enum domus_redeliver domus_svm_redeliver(u32 info)
{
	u8 vec = info & 0xff;

	if (!(info & DOMUS_EVT_VALID))
		return DOMUS_REDELIVER_NONE;
	switch (domus_evt_type(info)) {
	case DOMUS_EVT_INTR:
	case DOMUS_EVT_NMI:
		return DOMUS_REDELIVER_AS_IS;
	case DOMUS_EVT_HW_EXC:
		/* #BP and #OF as exceptions are INT3 and INTO: traps after the instruction */
		return vec == 3 || vec == 4 ? DOMUS_REDELIVER_WITH_LEN : DOMUS_REDELIVER_AS_IS;
	case DOMUS_EVT_SOFT_INT:
		return DOMUS_REDELIVER_WITH_LEN;
	default:
		return DOMUS_REDELIVER_NONE;
	}
}

int domus_soft_event_len(const u8 *buf, unsigned int n, enum x86emu_mode mode,
			 u8 vector, bool soft_int)
{
	const u8 int_n[2] = { 0xcd, vector };
	static const u8 int3[1] = { 0xcc }, into[1] = { 0xce }, icebp[1] = { 0xf1 };
	int len;

	if (soft_int) {
		len = insnlen_fixed(buf, n, mode, int_n, 2);
		if (len > 0)
			return len;
	}
	if (vector == 3)
		return insnlen_fixed(buf, n, mode, int3, 1);
	if (vector == 4 && mode != X86EMU_MODE_LONG64)
		return insnlen_fixed(buf, n, mode, into, 1);
	if (vector == 1 && !soft_int)
		return insnlen_fixed(buf, n, mode, icebp, 1);
	return -1;
}
