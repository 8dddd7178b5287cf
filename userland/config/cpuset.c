// SPDX-License-Identifier: MIT
/*
 * CPU sets as xl writes them (cpus= in a config, domus vcpu-pin): "all",
 * or comma-separated CPU numbers and ranges, each optionally negated with
 * '^' ("0-3,^2"); a set that starts with an exclusion starts from all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

static void set_bit_to(struct domus_cpuset *s, unsigned int cpu, int on)
{
	if (on)
		s->bits[cpu / 64] |= 1ULL << (cpu % 64);
	else
		s->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

int domus_cpuset_has(const struct domus_cpuset *s, unsigned int cpu)
{
	return cpu < DOMUS_CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static int cpuset_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cpuset_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int cpu_number(const char **p, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v >= DOMUS_CPUSET_MAX)
		return -1;
	*p = end;
	*out = (unsigned int)v;
	return 0;
}

int domus_cpuset_parse(const char *str, struct domus_cpuset *set, char *err, size_t errlen)
{
	const char *p = str;
	int first = 1;

	memset(set, 0, sizeof(*set));
	if (!strcmp(str, "all")) {
		memset(set->bits, 0xff, sizeof(set->bits));
		return 0;
	}
	for (;;) {
		unsigned int lo, hi, c;
		int neg = *p == '^';

		if (neg)
			p++;
		if (neg && first)
			memset(set->bits, 0xff, sizeof(set->bits));
		if (cpu_number(&p, &lo))
			return cpuset_err(err, errlen,
					  "\"%.40s\" is not a CPU list: write \"all\" or CPU numbers below %d and ranges, e.g. \"0-3,^2\"",
					  str, DOMUS_CPUSET_MAX);
		hi = lo;
		if (*p == '-') {
			p++;
			if (cpu_number(&p, &hi) || hi < lo)
				return cpuset_err(err, errlen, "\"%.40s\": a range is LOW-HIGH with LOW <= HIGH < %d",
						  str, DOMUS_CPUSET_MAX);
		}
		for (c = lo; c <= hi; c++)
			set_bit_to(set, c, !neg);
		first = 0;
		if (!*p)
			break;
		if (*p != ',')
			return cpuset_err(err, errlen, "\"%.40s\": unexpected '%c': separate CPUs with ','", str, *p);
		p++;
	}
	return 0;
}

/* "all" when every CPU below @ncpus is in, else "0-3,6" (only CPUs below @ncpus; "none" if empty). */
void domus_cpuset_format(const struct domus_cpuset *set, unsigned int ncpus, char *buf, size_t len)
{
	unsigned int c = 0, lo;
	size_t n = 0;

	if (ncpus > DOMUS_CPUSET_MAX)
		ncpus = DOMUS_CPUSET_MAX;
	buf[0] = 0;
	for (lo = 0; lo < ncpus && domus_cpuset_has(set, lo); lo++)
		;
	if (ncpus && lo == ncpus) {
		snprintf(buf, len, "all");
		return;
	}
	while (c < ncpus) {
		if (!domus_cpuset_has(set, c)) {
			c++;
			continue;
		}
		lo = c;
		while (c + 1 < ncpus && domus_cpuset_has(set, c + 1))
			c++;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%u", n ? "," : "", lo);
		if (c > lo && n < len)
			n += (size_t)snprintf(buf + n, len - n, "-%u", c);
		c++;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}
