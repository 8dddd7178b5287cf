/* SPDX-License-Identifier: MIT */
/*
 * Minimal unit-test helpers: one PASS/FAIL line per test (see tests/run).
 * A test program may consist of several files (tests/unit/test_NAME/);
 * tests/unit/unit.c holds the shared state.
 *
 * UNIT_ONLY=fn[,fn...] in the environment runs only the named test
 * functions (make unit T=test_NAME/fn); a name that matches no RUN() fails
 * the program.
 */
#ifndef DOMUS_UNIT_H
#define DOMUS_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

extern int unit_failed;
extern int unit_cur_failed;

/* "test_NAME" or "test_NAME-san": the program's name in result lines. */
const char *unit_prefix(void);
/* Is the test function @name selected by UNIT_ONLY (all if unset)? */
bool unit_selected(const char *name);

/*
 * A random spec string of fewer than @size bytes into @spec (NUL-ended):
 * each byte from @alphabet or any non-NUL byte, half and half, driven
 * by the LCG state *@seed (a fixed seed gives the same sequence).
 */
void unit_random_spec(unsigned int *seed, const char *alphabet, char *spec, size_t size);

#define UNIT_PREFIX unit_prefix()

#define EXPECT(cond) do { \
	if (!(cond)) { \
		printf("  %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		unit_cur_failed = 1; \
	} \
} while (0)

#define RUN(prefix, fn) do { \
	if (!unit_selected(#fn)) \
		break; \
	unit_cur_failed = 0; \
	fn(); \
	printf("%s: %s/%s%s\n", unit_cur_failed ? "FAIL" : "PASS", prefix, #fn, \
	       unit_cur_failed ? ": expectation failed (see above)" : ""); \
	fflush(stdout); \
	unit_failed |= unit_cur_failed; \
} while (0)

#endif
