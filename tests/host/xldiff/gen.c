// SPDX-License-Identifier: MIT
#include "xldiff.h"
void gen_config(unsigned long long seed, unsigned long i, struct sbuf *b)
{
	(void)seed; (void)i;
	sb_add(b, "x = 1\n", 6);
}
