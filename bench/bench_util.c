// SPDX-License-Identifier: GPL-2.0-only
/* bench/bench_util.h: the helpers of bench/exits' host programs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_util.h"

const char *const phase_name[NPHASES] = { "cpuid", "hypercall", "out", "mmio" };

void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, strerror(errno));
	exit(1);
}

void fail(const char *msg)
{
	fprintf(stderr, "%s: %s\n", bench_prog, msg);
	exit(1);
}

long env_num(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s=%s: want an integer in [%ld, %ld]\n", bench_prog, name, s, min, max);
		exit(1);
	}
	return v;
}

double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
