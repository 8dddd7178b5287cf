/* SPDX-License-Identifier: MIT */
/* Minimal unit-test helpers: one PASS/FAIL line per test (see tests/run). */
#ifndef DOMUS_UNIT_H
#define DOMUS_UNIT_H

#include <stdio.h>

static int unit_failed;
static int unit_cur_failed;

#define EXPECT(cond) do { \
	if (!(cond)) { \
		printf("  %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		unit_cur_failed = 1; \
	} \
} while (0)

#define RUN(prefix, fn) do { \
	unit_cur_failed = 0; \
	fn(); \
	printf("%s: %s/%s%s\n", unit_cur_failed ? "FAIL" : "PASS", prefix, #fn, \
	       unit_cur_failed ? ": expectation failed (see above)" : ""); \
	unit_failed |= unit_cur_failed; \
} while (0)

#endif
