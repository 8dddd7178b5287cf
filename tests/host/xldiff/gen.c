// SPDX-License-Identifier: MIT
/*
 * The config generator: config @i of @seed is always the same text (a
 * splitmix64 stream seeded from both), so a failure is replayed by its
 * number.  It mixes valid and invalid syntax: keys (real ones, random,
 * upper case, too long), = += and wrong operators, strings in both
 * quotes with every escape (valid, invalid, numeric), numbers in every
 * base and with suffixes, signs and points, nested lists with newlines,
 * comments and trailing commas, disk and vif specs, comments, ';', CRLF,
 * long lines, a last line without its newline, and random bytes.
 */
#include <stdio.h>
#include <string.h>
#include "xldiff.h"

struct rng {
	unsigned long long s;
	bool valid;		/* this config: valid syntax only (half of them) */
};

static unsigned long long next(struct rng *r)
{
	unsigned long long z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0 .. n-1 */
static unsigned int pick(struct rng *r, unsigned int n)
{
	return (unsigned int)(next(r) % n);
}

/* true with probability p/100 */
static bool chance(struct rng *r, unsigned int p)
{
	return pick(r, 100) < p;
}

/* an invalid choice, never in a valid config */
static bool bad(struct rng *r, unsigned int p)
{
	return !r->valid && chance(r, p);
}

static void add(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}
#define ADD(b, s) add((b), (s))	/* @s evaluated once: it may pick */
#define ONE_OF(r, a) (a)[pick((r), sizeof(a) / sizeof((a)[0]))]

static const char *const real_keys[] = {
	"name", "memory", "maxmem", "vcpus", "maxvcpus", "kernel", "ramdisk", "extra", "root", "cmdline",
	"disk", "vif", "on_poweroff", "on_reboot", "on_crash", "on_watchdog", "cpus", "uuid", "type",
	"builder", "bootloader", "bootloader_args", "pci", "serial", "vfb", "device_model_version",
	"max_grant_frames", "localtime", "acpi", "apic", "pae", "boot", "sdl", "vnc", "usb",
};

static void gen_key(struct rng *r, struct sbuf *b)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz";
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789._";
	unsigned int n, i;

	switch (r->valid ? 2 + pick(r, 18) : pick(r, 20)) {
	case 0:		/* invalid: upper case, a digit or odd byte first, '-' inside */
		ADD(b, ONE_OF(r, ((const char *const[]){ "Name", "MEMORY", "1vcpus", "_x", "on-crash", "a-b",
							   "x$", "\xc3\xa9t\xc3\xa9", "k\x01" })));
		return;
	case 1:		/* long */
		n = 60 + pick(r, 60);
		sb_add(b, &first[pick(r, 26)], 1);
		for (i = 0; i < n; i++)
			sb_add(b, &rest[pick(r, sizeof(rest) - 1)], 1);
		return;
	case 2: case 3: case 4: case 5:
		n = 1 + pick(r, 10);
		sb_add(b, &first[pick(r, 26)], 1);
		for (i = 1; i < n; i++)
			sb_add(b, &rest[pick(r, sizeof(rest) - 1)], 1);
		return;
	default:
		ADD(b, ONE_OF(r, real_keys));
	}
}

static void gen_string_body(struct rng *r, struct sbuf *b, char quote)
{
	static const char *const words[] = {
		"root=/dev/xvda1 ro", "console=hvc0", "/srv/xen/disk.img", "xvda", "phy:/dev/vg/lv",
		"00:16:3e:00:00:01", "destroy", "restart", "pvh", "0-3,^2", "a b", "x,y", "=", "[1]", "#", ";",
		"\\\\", "\\n", "\\t", "\\r", "\\a", "\\b", "\\f", "\\v", "\\\"", "\\'", "\xc3\xa9", "\x7f", "\x01",
		"\t", "\xff", "''", "\"\"", "\\\\x41",
	};
	static const char *const bad_words[] = {
		"\\x41", "\\x4", "\\xg1", "\\x041", "\\101", "\\7", "\\0", "\\08", "\\400", "\\q", "\\ ",
	};
	unsigned int n = pick(r, 6), i;

	if (chance(r, 1)) {	/* a long one: up to 70000 bytes */
		unsigned int len = 100 + pick(r, 70000);

		for (i = 0; i < len; i++)
			sb_add(b, &"abcdefgh ,=/"[pick(r, 12)], 1);
	}
	for (i = 0; i < n; i++) {
		const char *w = bad(r, 15) ? ONE_OF(r, bad_words) : ONE_OF(r, words);

		/* the quote itself only escaped, most of the time */
		if (strchr(w, quote) && !bad(r, 10))
			continue;
		ADD(b, w);
	}
	if (bad(r, 2))
		ADD(b, "\n");	/* a newline inside: both must reject */
	if (bad(r, 1))
		sb_add(b, "\0", 1);
}

static void gen_disk(struct rng *r, struct sbuf *b);
static void gen_vif(struct rng *r, struct sbuf *b);

static void gen_string(struct rng *r, struct sbuf *b, const char *key)
{
	char q = chance(r, 60) ? '"' : '\'';

	sb_add(b, &q, 1);
	if (key && !strcmp(key, "disk") && chance(r, 70))
		gen_disk(r, b);
	else if (key && !strcmp(key, "vif") && chance(r, 70))
		gen_vif(r, b);
	else
		gen_string_body(r, b, q);
	if (!bad(r, 2))
		sb_add(b, &q, 1);	/* else unterminated */
}

static void gen_number(struct rng *r, struct sbuf *b)
{
	static const char *const odd[] = {
		"0x1F", "0xfg", "0X10", "1.5", ".5", "512M", "1G", "1k", "-1", "+1", "1e3", "0b101", "08", "0777",
		"0xx", "1_000", "12abc", "12abcg", "1,5", "0x", "00", "99999999999999999999999", "1.", "1a.b",
	};
	char buf[32];

	switch (pick(r, 5)) {
	case 0:
		if (r->valid) {
			ADD(b, ONE_OF(r, ((const char *const[]){ "0xx", "0b101", "08", "12abc", "00", "1e3", "0x" })));
			break;
		}
		ADD(b, ONE_OF(r, odd));
		break;
	case 1:
		snprintf(buf, sizeof(buf), "0x%llx", next(r) >> pick(r, 64));
		ADD(b, buf);
		break;
	case 2:
		snprintf(buf, sizeof(buf), "0%llo", next(r) >> (33 + pick(r, 31)));
		ADD(b, buf);
		break;
	default:
		snprintf(buf, sizeof(buf), "%llu", next(r) >> (pick(r, 2) ? 54 : pick(r, 64)));
		ADD(b, buf);
	}
}

static void gen_space(struct rng *r, struct sbuf *b, bool in_list)
{
	switch (pick(r, in_list ? 8 : 5)) {
	case 0:
		return;
	case 1:
		ADD(b, "\t");
		return;
	case 5:
		ADD(b, "\n");
		return;
	case 6:
		ADD(b, " # a comment\n  ");
		return;
	case 7:
		ADD(b, "\n\n ");
		return;
	default:
		ADD(b, " ");
	}
}

static void gen_value(struct rng *r, struct sbuf *b, const char *key, int depth)
{
	unsigned int n, i;

	switch (r->valid ? (pick(r, 2) ? pick(r, 10) : 11) : pick(r, depth ? 10 : 12)) {
	case 0: case 1: case 2:
		gen_number(r, b);
		return;
	case 3: case 4: case 5: case 6:
		gen_string(r, b, key);
		return;
	case 10:
		ADD(b, ONE_OF(r, ((const char *const[]){ "word", "True", "None", "(1, 2)", "\"a\" \"b\"", "1 2",
							   "", "[1 2]", "[1,,2]", "[,]", "[", "]", "{}", "'a' + 'b'",
							   "512 # comment", "\"x\";y", "[[[[[[[[[1]]]]]]]]]" })));
		return;
	case 11:
		if (key && (!strcmp(key, "disk") || !strcmp(key, "vif")))
			break;		/* a list of specs, below */
		gen_string(r, b, key);
		return;
	default:
		break;
	}
	if (depth > (r->valid ? 6 : 9)) {
		ADD(b, "1");
		return;
	}
	ADD(b, "[");
	gen_space(r, b, true);
	n = pick(r, 5);
	for (i = 0; i < n; i++) {
		if (i) {
			ADD(b, ",");
			gen_space(r, b, true);
		}
		if (key && (!strcmp(key, "disk") || !strcmp(key, "vif")) && chance(r, 85))
			gen_string(r, b, key);
		else
			gen_value(r, b, NULL, depth + 1);
		gen_space(r, b, true);
	}
	if (n && chance(r, 20))
		ADD(b, ",");
	gen_space(r, b, true);
	if (!bad(r, 3))
		ADD(b, "]");
}

/* Disk specs (xl-disk-configuration(5)), good and bad. */
static void gen_disk(struct rng *r, struct sbuf *b)
{
	static const char *const targets[] = {
		"/srv/d.img", "/dev/vg/lv", "phy:/dev/sdb", "file:/srv/d.img", "tap:aio:/srv/d.img",
		"tap2:aio:/srv/d.img", "aio:/srv/d.img", "raw:/srv/d.img", "tap:qcow2:/srv/d.qcow2",
		"qcow2:/srv/d.qcow2", "vhd:/srv/d.vhd", "d.img", "", "/srv/a b.img", "/srv/x=y.img",
		"nbd:host:1", "/dev/xvda", "iscsi:x", "tap:tapdisk:aio:/srv/d.img",
	};
	static const char *const vdevs[] = {
		"xvda", "xvda1", "xvdb", "hda", "hdc", "sda", "sdp", "xvdaa", "hdc:cdrom", "xvdb:disk", "xvdq",
		"hde", "sdq", "xvd", "vda", "xvda:cd", "xvda16", "xvdz15", "", "d536p5", "xvda0",
	};
	static const char *const access[] = { "w", "r", "rw", "ro", "w!", "x", "", "W" };
	static const char *const fmts[] = { "raw", "qcow2", "vhd", "qed", "", "bogus", "qcow" };
	static const char *const extra[] = {
		"devtype=cdrom", "devtype=disk", "devtype=floppy", "backendtype=phy", "backendtype=tap",
		"backendtype=qdisk", "backendtype=x", "discard", "no-discard", "direct-io-safe", "cdrom",
		"script=block-iscsi", "specification=xen", "specification=virtio", "colo", "trusted",
		"untrusted", "backend=0", "unknown=1", "format=raw", "access=r", "vdev=xvdc",
	};
	unsigned int n, i;

	switch (pick(r, 4)) {
	case 0:		/* TARGET,VDEV,ACCESS */
		sb_printf(b, "%s,%s,%s", ONE_OF(r, targets), ONE_OF(r, vdevs), ONE_OF(r, access));
		break;
	case 1:		/* TARGET,FORMAT,VDEV,ACCESS */
		sb_printf(b, "%s,%s,%s,%s", ONE_OF(r, targets), ONE_OF(r, fmts), ONE_OF(r, vdevs), ONE_OF(r, access));
		break;
	default:	/* keys, target= last */
		sb_printf(b, "vdev=%s", ONE_OF(r, vdevs));
		if (chance(r, 60))
			sb_printf(b, ",access=%s", ONE_OF(r, access));
		if (chance(r, 40))
			sb_printf(b, ",format=%s", ONE_OF(r, fmts));
		n = pick(r, 3);
		for (i = 0; i < n; i++)
			sb_printf(b, ",%s", ONE_OF(r, extra));
		if (chance(r, 85))
			sb_printf(b, ",target=%s", ONE_OF(r, targets));
	}
	if (chance(r, 10))
		sb_printf(b, ",%s", ONE_OF(r, extra));
}

static void gen_vif(struct rng *r, struct sbuf *b)
{
	static const char *const rates[] = {
		"10Mb/s", "1MB/s", "100KB/s@20ms", "1Gb/s@1s", "5B/s", "5b/s", "1000000B/s@50000us", "10Mb/s@",
		"10Mb", "10 Mb/s", "0B/s", "1TB/s", "10mb/s", "10MB/s@0ms", "10MB/s@11s", "999999999999999B/s",
		"1kB/s", "1KB/s@1000us", "8b/s@100ms", "x", "", "1MB/s@10s", "1MB/s@999us",
	};

	if (chance(r, 40))
		ADD(b, "mac=00:16:3e:00:00:01,");
	if (chance(r, 30))
		ADD(b, "bridge=xenbr0,");
	sb_printf(b, "rate=%s", ONE_OF(r, rates));
	if (chance(r, 20))
		ADD(b, ",script=vif-bridge");
}

static void gen_statement(struct rng *r, struct sbuf *b)
{
	size_t keyat = b->len;
	char key[160];
	size_t kl;

	switch (pick(r, 14)) {
	case 0:
		ADD(b, "# a comment line");
		return;
	case 1:
		return;		/* a blank line */
	case 2:
		if (r->valid)
			break;
		ADD(b, ONE_OF(r, ((const char *const[]){ ";", "  ", "\t# x", "=", "[1]", "\"x\"", "name",
							   "name = 'a' = 'b'", "name = 'a' 'b'", "import os",
							   "memory = 512 + 1", "if x: y", "}", "\x7f", "\xef\xbb\xbf" })));
		return;
	default:
		break;
	}
	gen_space(r, b, false);
	gen_key(r, b);
	kl = b->len - keyat;
	if (kl >= sizeof(key))
		kl = sizeof(key) - 1;
	memcpy(key, b->s + keyat, kl);
	key[kl] = 0;
	/* skip the leading space */
	{
		char *k = key;

		while (*k == ' ' || *k == '\t')
			k++;
		memmove(key, k, strlen(k) + 1);
	}
	gen_space(r, b, false);
	if (r->valid)
		ADD(b, chance(r, 85) ? "=" : "+=");
	else
		ADD(b, chance(r, 85) ? "=" : ONE_OF(r, ((const char *const[]){ "+=", "+=", "+=", "==", ":", "", "=+",
									       "+ =" })));
	gen_space(r, b, false);
	gen_value(r, b, key, 0);
	gen_space(r, b, false);
}

void gen_config(unsigned long long seed, unsigned long i, struct sbuf *b)
{
	struct rng r = { .s = seed * 0x100000001b3ull ^ (unsigned long long)i * 0x9e3779b97f4a7c15ull };
	unsigned int n, k;

	next(&r);
	r.valid = chance(&r, 50);
	n = 1 + pick(&r, 12);
	for (k = 0; k < n; k++) {
		gen_statement(&r, b);
		if (k + 1 == n && chance(&r, 15))
			break;		/* no newline at the end */
		ADD(b, chance(&r, 90) ? "\n" : ONE_OF(&r, ((const char *const[]){ ";", ";\n", "\r\n", " # c\n",
									       "\n\n", "\n;" })));
	}
	/* a random byte somewhere */
	if (b->len && bad(&r, 16)) {
		size_t at = pick(&r, (unsigned int)b->len);

		b->s[at] = (char)pick(&r, 256);
	}
}
