/* SPDX-License-Identifier: MIT */
/*
 * devfuzz: shared declarations of the /dev/domus fuzzer (devfuzz.c: the
 * ioctl fuzzer and main; devfuzz/guest.c: the guest-side fuzzer's host).
 */
#ifndef DEVFUZZ_H
#define DEVFUZZ_H

#include <stdint.h>

/* xorshift64*: one state per thread, seeded from the run's seed. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static inline uint64_t seed_mix(uint64_t seed, uint64_t k)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (k + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

/* devfuzz guest SEED OPS: the kernel-mode guest fuzzer (fuzz64.S). */
int guest_fuzz(int devfd, uint64_t seed, unsigned long ops);

#endif
