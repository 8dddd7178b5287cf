// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/apicbase.c: every transition of IA32_APIC_BASE
 * between the disabled, xAPIC and x2APIC states (and the invalid one),
 * reserved bits for several MAXPHYADDR values, the read-only BSP flag and
 * relocation -- including transitions no guest of ours performs.
 */
#include <stdint.h>
#include <stdio.h>
#include "apicbase.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "unit"
#endif

#define B	DOMUS_APICBASE_DEFAULT
#define EN	DOMUS_APICBASE_EN
#define EXTD	DOMUS_APICBASE_EXTD
#define BSP	DOMUS_APICBASE_BSP

static const u64 state[4] = { B, B | EXTD, B | EN, B | EN | EXTD };	/* by enum value */

static int wr(u64 old, u64 val, u64 *out)
{
	*out = 0xdead;
	return domus_apicbase_write(old, val, 40, out);
}

static void modes(void)
{
	EXPECT(domus_apic_mode(B) == DOMUS_APIC_DISABLED);
	EXPECT(domus_apic_mode(B | EXTD) == DOMUS_APIC_INVALID);
	EXPECT(domus_apic_mode(B | EN) == DOMUS_APIC_XAPIC);
	EXPECT(domus_apic_mode(B | EN | EXTD | BSP) == DOMUS_APIC_X2APIC);
}

/* the full 4 x 4 matrix of (from, to); the invalid state never holds */
static void transitions(void)
{
	/* ok[from][to]: DISABLED, INVALID, XAPIC, X2APIC */
	static const int ok[3][4] = {
		[DOMUS_APIC_DISABLED] = { 1, 0, 1, 0 },
		[DOMUS_APIC_XAPIC] = { 1, 0, 1, 1 },
	};
	static const int ok_x2[4] = { 1, 0, 0, 1 };
	int from, to;

	for (from = 0; from < 4; from++) {
		if (from == DOMUS_APIC_INVALID)
			continue;
		for (to = 0; to < 4; to++) {
			int want = from == DOMUS_APIC_X2APIC ? ok_x2[to] : ok[from][to];
			int bsp;

			for (bsp = 0; bsp < 2; bsp++) {
				u64 old = state[from] | (bsp ? BSP : 0), out;
				int r = wr(old, state[to], &out);

				if (want) {
					EXPECT(r == 0);
					EXPECT(out == (state[to] | (bsp ? BSP : 0)));
				} else {
					EXPECT(r == -1);
					EXPECT(out == 0xdead);
				}
			}
		}
	}
}

static void x2apic_back_through_disabled(void)
{
	u64 v = B | EN | EXTD | BSP, out;

	EXPECT(wr(v, B | EN | BSP, &out) == -1);	/* direct: #GP */
	EXPECT(wr(v, B | BSP, &out) == 0);		/* disabled */
	v = out;
	EXPECT(wr(v, B | EN | EXTD, &out) == -1);	/* disabled -> x2APIC */
	EXPECT(wr(v, B | EN, &out) == 0);		/* disabled -> xAPIC */
	EXPECT(out == (B | EN | BSP));
	EXPECT(wr(out, B | EN | EXTD, &out) == 0);	/* and x2APIC again */
}

static void bsp_read_only(void)
{
	u64 out;

	EXPECT(wr(B | EN | BSP, B | EN, &out) == 0);
	EXPECT(out == (B | EN | BSP));			/* cannot clear */
	EXPECT(wr(B | EN, B | EN | BSP, &out) == 0);
	EXPECT(out == (B | EN));			/* cannot set */
}

static void reserved_bits(void)
{
	u64 out;
	int i;

	for (i = 0; i < 8; i++)
		EXPECT(wr(B | EN, B | EN | (1ULL << i), &out) == -1);
	EXPECT(wr(B | EN, B | EN | (1ULL << 9), &out) == -1);
	EXPECT(wr(B | EN, B | EN | (1ULL << 63), &out) == -1);
	/* MAXPHYADDR 40: bit 39 is an address bit, bit 40 is reserved */
	EXPECT(domus_apicbase_write(B | EN, (1ULL << 39) | EN, 40, &out) == 0);
	EXPECT(domus_apicbase_write(B | EN, (1ULL << 40) | EN, 40, &out) == -1);
	EXPECT(domus_apicbase_write(B | EN, (1ULL << 40) | EN, 48, &out) == 0);
	EXPECT(domus_apicbase_write(B | EN, (1ULL << 48) | EN, 48, &out) == -1);
	/* out-of-range MAXPHYADDR is clamped to 36..52 */
	EXPECT(domus_apicbase_reserved(0) == domus_apicbase_reserved(36));
	EXPECT(domus_apicbase_reserved(64) == domus_apicbase_reserved(52));
	EXPECT(!(domus_apicbase_reserved(40) & (BSP | EN | EXTD | 0xfffff000ULL)));
	/* a reserved bit with a valid transition still faults */
	EXPECT(wr(B | EN, B | EN | EXTD | 1, &out) == -1);
}

static void relocation(void)
{
	u64 out;

	EXPECT(wr(B | EN, 0xfeb00000ULL | EN, &out) == 0);
	EXPECT(out == (0xfeb00000ULL | EN));
	EXPECT(wr(B | EN | EXTD, 0xfeb00000ULL | EN | EXTD, &out) == 0);
	EXPECT(wr(B, 0x1000ULL, &out) == 0);		/* disabled: any base */
}

static void set_sregs_states(void)
{
	EXPECT(domus_apicbase_valid(B | EN | BSP, 36));
	EXPECT(domus_apicbase_valid(B | EN | EXTD, 36));
	EXPECT(domus_apicbase_valid(B, 36));
	EXPECT(!domus_apicbase_valid(B | EXTD, 36));
	EXPECT(!domus_apicbase_valid(B | EN | (1ULL << 9), 36));
	EXPECT(!domus_apicbase_valid((1ULL << 36) | EN, 36));
}

int main(void)
{
	RUN(UNIT_PREFIX, modes);
	RUN(UNIT_PREFIX, transitions);
	RUN(UNIT_PREFIX, x2apic_back_through_disabled);
	RUN(UNIT_PREFIX, bsp_read_only);
	RUN(UNIT_PREFIX, reserved_bits);
	RUN(UNIT_PREFIX, relocation);
	RUN(UNIT_PREFIX, set_sregs_states);
	return unit_failed;
}
