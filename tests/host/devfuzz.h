/* SPDX-License-Identifier: MIT */
/*
 * devfuzz: shared declarations of the /dev/domus fuzzer (devfuzz.c: the
 * ioctl fuzzer and main; devfuzz/args.c: its arguments; devfuzz/regress.c:
 * the regression checks; devfuzz/guest.c: the guest-side fuzzer's host).
 */
#ifndef DEVFUZZ_H
#define DEVFUZZ_H

#include <stddef.h>
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

/* memory regions the slots use and the chaos operations remap (devfuzz.c) */
#define NREG		8
#define REG_SIZE	0x40000UL

/* devfuzz/args.c: where arguments go and what they hold */
enum ptr_kind { P_GOOD, P_UNALIGNED, P_STRADDLE, P_NULL, P_KERNEL, P_REGION, P_UNMAPPED, P_KINDS };
extern __thread unsigned int last_kind;	/* of the last place_arg() */
extern uint8_t *regions;		/* NREG * REG_SIZE, remapped by the chaos ops */
extern uint8_t *guard;			/* a RW page followed by a PROT_NONE page */
extern struct domus_caps caps;		/* devfuzz.c */
uint64_t interesting_val(uint64_t *s);
/* Where an argument of @size bytes in @buf goes; *@bad: the kernel must refuse it. */
uint64_t place_arg(uint64_t *s, uint8_t *buf, size_t size, int *bad);
uint64_t region_addr(uint64_t *s);
/* A plausible argument for @cmd in @buf (tables at @buf + 8192), then bit flips. */
void gen_arg(uint64_t *s, unsigned int cmd, uint8_t *buf, int *nested_bad);
/* Close the eventfds gen_arg() made for an event-channel bind. */
void close_eventfds(void);

/* devfuzz/regress.c: the found bugs, checked deterministically; 0 if fixed */
int regression_checks(int devfd);

/* devfuzz guest SEED OPS: the kernel-mode guest fuzzer (fuzz64.S). */
int guest_fuzz(int devfd, uint64_t seed, unsigned long ops);

#endif
