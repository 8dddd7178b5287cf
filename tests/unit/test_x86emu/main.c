// SPDX-License-Identifier: MIT
/* emu: runs every test (make unit T=test_emu/NAME runs one). */
#include "emu.h"

int main(void)
{
	RUN(UNIT_PREFIX, mov_store);
	RUN(UNIT_PREFIX, mov_load);
	RUN(UNIT_PREFIX, mov_imm);
	RUN(UNIT_PREFIX, moffs);
	RUN(UNIT_PREFIX, movzx_movsx);
	RUN(UNIT_PREFIX, alu_known);
	RUN(UNIT_PREFIX, alu_vs_host);
	RUN(UNIT_PREFIX, bit_test);
	RUN(UNIT_PREFIX, stos);
	RUN(UNIT_PREFIX, movs);
	RUN(UNIT_PREFIX, decode_fields);
	RUN(UNIT_PREFIX, invalid);
	RUN(UNIT_PREFIX, truncated);
	RUN(UNIT_PREFIX, fuzz_random);
	RUN(UNIT_PREFIX, fuzz_exhaustive_short);
	RUN(UNIT_PREFIX, fuzz_prefixed);
	return unit_failed;
}

