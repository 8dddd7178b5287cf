// SPDX-License-Identifier: MIT
/* libdomus: the host's CPUID as a guest's table (DOMUS_SET_CPUID). */
#include <cpuid.h>
#include <stdbool.h>
#include <string.h>
#include "libdomus.h"

/* Leaves whose output depends on ECX (the sub-leaf). */
static bool leaf_indexed(unsigned int leaf)
{
	return leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd ||
	       leaf == 0x1f || leaf == 0x8000001d;
}

unsigned int domus_host_cpuid(struct domus_cpuid_entry *e, unsigned int cap)
{
	static const unsigned int bases[2] = { 0, 0x80000000u };
	unsigned int n = 0, k;

	for (k = 0; k < 2; k++) {
		unsigned int a, b, c, d, max, leaf;

		__cpuid(bases[k], max, b, c, d);
		if (max > bases[k] + 0x40)
			max = bases[k] + 0x40;
		for (leaf = bases[k]; leaf <= max && n < cap; leaf++) {
			bool indexed = leaf_indexed(leaf);
			unsigned int i, nsub = indexed ? 8 : 1;

			for (i = 0; i < nsub && n < cap; i++) {
				__cpuid_count(leaf, i, a, b, c, d);
				memset(&e[n], 0, sizeof(e[n]));
				e[n].function = leaf;
				e[n].index = i;
				e[n].flags = indexed ? DOMUS_CPUID_INDEXED : 0;
				e[n].eax = a;
				e[n].ebx = b;
				e[n].ecx = c;
				e[n].edx = d;
				n++;
			}
		}
	}
	return n;
}
