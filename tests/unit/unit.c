// SPDX-License-Identifier: MIT
/* Shared state of the unit-test helpers (unit.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"

int unit_failed;
int unit_cur_failed;

/* Names from UNIT_ONLY that matched a RUN(), as a bitmask (first 64). */
static unsigned long long unit_matched;

const char *unit_prefix(void)
{
	static char buf[128];

	if (!buf[0]) {
#ifdef UNIT_SAN
		snprintf(buf, sizeof(buf), "%s-san", program_invocation_short_name);
#else
		snprintf(buf, sizeof(buf), "%s", program_invocation_short_name);
#endif
	}
	return buf;
}

bool unit_selected(const char *name)
{
	const char *only = getenv("UNIT_ONLY"), *p;
	size_t len = strlen(name);
	int i = 0;

	if (!only || !*only)
		return true;
	for (p = only; *p; i++) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, name, n)) {
			if (i < 64)
				unit_matched |= 1ULL << i;
			return true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* At exit: a UNIT_ONLY name that matched no test is a failure. */
static void unit_check_only(void)
{
	const char *only = getenv("UNIT_ONLY"), *p;
	int i = 0, bad = 0;

	if (!only || !*only)
		return;
	for (p = only; *p; i++) {
		size_t n = strcspn(p, ",");

		if (i < 64 && !(unit_matched & (1ULL << i))) {
			printf("FAIL: %s/%.*s: no such test\n", unit_prefix(), (int)n, p);
			bad = 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	fflush(stdout);
	if (bad)
		_exit(1);
}

__attribute__((constructor)) static void unit_init(void)
{
	atexit(unit_check_only);
}

void unit_random_spec(unsigned int *seed, const char *alphabet, char *spec, size_t size)
{
	size_t n, j, na = strlen(alphabet);

	*seed = *seed * 1103515245 + 12345;
	n = (*seed >> 16) % (size - 1);
	for (j = 0; j < n; j++) {
		*seed = *seed * 1103515245 + 12345;
		spec[j] = (*seed >> 24) & 1 ? alphabet[(*seed >> 16) % na] : (char)(*seed >> 16);
		if (!spec[j])
			spec[j] = ',';
	}
	spec[n] = 0;
}
