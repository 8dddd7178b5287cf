/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the two host programs of bench/exits (kvm_exits.c, domus_exits.c)
 * share: error exits, bounded numbers from the environment, the clock.
 * bench_prog names the program in messages (each program defines it).
 */
#ifndef DOMUS_BENCH_UTIL_H
#define DOMUS_BENCH_UTIL_H

#define NPHASES		4
extern const char *const phase_name[NPHASES];
extern const char *bench_prog;

/* "PROG: WHAT: strerror(errno)", exit 1 */
void __attribute__((noreturn)) die(const char *what);
/* "PROG: MSG", exit 1 */
void __attribute__((noreturn)) fail(const char *msg);
/* $NAME as an integer in [min, max], @def when unset; a bad value exits 1 */
long env_num(const char *name, long def, long min, long max);
/* CLOCK_MONOTONIC in microseconds */
double now_us(void);
/* qsort comparison of doubles */
int cmp_double(const void *a, const void *b);

#endif
