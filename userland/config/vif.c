// SPDX-License-Identifier: MIT
/*
 * xl.cfg network interfaces (xl-network-configuration(5)): one entry of
 * vif = [ ... ] into a struct domus_vif.  See docs/devices.md.
 *
 * An entry is KEY=VALUE pairs separated by commas:
 *   mac=00:16:3e:xx:xx:xx   six hex fields; unicast only; absent: random
 *                           in Xen's range 00:16:3e:00:00:00-7f:ff:ff
 *   bridge=NAME             the host bridge the TAP device joins
 *                           (default DOMUS_VIF_DEFAULT_BRIDGE)
 *   bridge-create=yes|no    domus's own: create the bridge if missing
 *   ip=A.B.C.D [A.B.C.D...] anti-spoofing: the guest may send IPv4 and ARP
 *                           only from these addresses
 *   vifname=NAME            the TAP device's name (default vif<domid>.<n>)
 *   rate=N{B,b,KB,Kb,MB,Mb,GB,Gb}/s[@N{s,ms,us}]   guest TX limit
 *   script=, model=, type=vif|ioemu, backend=0|Domain-0, mtu=, devid=
 *                           accepted (see the notes each gives)
 * Errors are one line naming the problem and the fix; the caller prefixes
 * file, line and key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "xlcfg.h"

static void note(struct domus_vif *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct domus_vif *v, const char *fmt, ...)
{
	size_t n = strlen(v->notes);
	va_list ap;

	if (n + 3 >= sizeof(v->notes))
		return;
	if (n) {
		memcpy(v->notes + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(v->notes + n, sizeof(v->notes) - n, fmt, ap);
	va_end(ap);
	domus_cfg_oneline(v->notes);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int domus_mac_parse(const char *s, uint8_t mac[6])
{
	int i;

	/* exactly xx:xx:xx:xx:xx:xx (netfront accepts nothing else) */
	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void domus_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* An interface name: 1-15 characters of [A-Za-z0-9._-], not "." or "..". */
int domus_ifname_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DOMUS_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

/* "10.0.0.1" -> host-order u32; strict dotted quad. */
int domus_ipv4_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int x = 0, digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (digits && x == 0)
				return -1;	/* a leading zero: octal to some tools */
			x = x * 10 + (unsigned int)(*s - '0');
			if (x > 255 || ++digits > 3)
				return -1;
			s++;
		}
		if (!digits)
			return -1;
		v = v << 8 | x;
		if (part < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

static int set_ips(struct domus_vif *v, const char *val, char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(val) >= sizeof(buf))
		return domus_cfg_err(err, errlen, "ip= is too long: give at most %d addresses", DOMUS_VIF_MAX_IPS);
	snprintf(buf, sizeof(buf), "%s", val);
	v->nips = 0;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		uint32_t a;

		if (v->nips == DOMUS_VIF_MAX_IPS)
			return domus_cfg_err(err, errlen, "ip= has more than %d addresses: give at most %d",
				    DOMUS_VIF_MAX_IPS, DOMUS_VIF_MAX_IPS);
		if (strchr(tok, ':'))
			return domus_cfg_err(err, errlen, "ip '%.40s': only IPv4 addresses are filtered: give A.B.C.D", tok);
		if (strchr(tok, '/'))
			return domus_cfg_err(err, errlen, "ip '%.40s': give single addresses, not a prefix", tok);
		if (domus_ipv4_parse(tok, &a) || a == 0 || a == 0xffffffffu || (a >> 28) == 0xe)
			return domus_cfg_err(err, errlen, "ip '%.40s' is not a unicast IPv4 address: give A.B.C.D, several separated by spaces",
				    tok);
		v->ips[v->nips++] = a;
	}
	if (!v->nips)
		return domus_cfg_err(err, errlen, "ip= is empty: give the guest's address(es) or drop ip=");
	return 0;
}

/*
 * rate=: xl's form NUMBER UNIT "/s" ["@" NUMBER ("s"|"ms"|"us")], UNIT
 * one of B b KB Kb MB Mb GB Gb (decimal prefixes, bits divided by 8); the
 * interval defaults to 50 ms, and is in seconds without a unit (as xl).
 */
static int set_rate(struct domus_vif *v, const char *val, char *err, size_t errlen)
{
	unsigned long long n = 0, mult = 1, iv = 50000;
	const char *p = val;
	bool bits;

	if (!(*p >= '0' && *p <= '9'))
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long long)(*p - '0');
		if (n > 1000000000000ull)
			goto bad;
	}
	switch (*p) {
	case 'K': mult = 1000; p++; break;
	case 'M': mult = 1000000; p++; break;
	case 'G': mult = 1000000000; p++; break;
	default: break;
	}
	if (*p != 'B' && *p != 'b')
		goto bad;
	bits = *p == 'b';
	p++;
	if (strncmp(p, "/s", 2))
		goto bad;
	p += 2;
	if (*p == '@') {
		unsigned long long u = 0;

		p++;
		if (!(*p >= '0' && *p <= '9'))
			goto bad;
		for (; *p >= '0' && *p <= '9'; p++) {
			u = u * 10 + (unsigned long long)(*p - '0');
			if (u > 1000000000ull)
				goto bad;
		}
		if (!strcmp(p, "s") || !*p)	/* no unit: seconds, as xl */
			iv = u * 1000000;
		else if (!strcmp(p, "ms"))
			iv = u * 1000;
		else if (!strcmp(p, "us"))
			iv = u;
		else
			goto bad;
		if (iv < 1000 || iv > 10000000)
			return domus_cfg_err(err, errlen, "rate '%.30s': the interval must be 1 ms to 10 s", val);
	} else if (*p) {
		goto bad;
	}
	if (n > 1000000000000ull / mult)
		return domus_cfg_err(err, errlen, "rate '%.30s' is above 1TB/s: give a lower rate or drop rate=", val);
	n *= mult;
	if (bits)
		n /= 8;
	if (n == 0)
		return domus_cfg_err(err, errlen, "rate '%.30s' is zero: give at least 1B/s or drop rate=", val);
	v->rate_bytes_per_s = n;
	v->rate_interval_us = (uint32_t)iv;
	return 0;
bad:
	return domus_cfg_err(err, errlen, "rate '%.30s' is not RATE/s[@INTERVAL]: write e.g. rate=10Mb/s or rate=1MB/s@20ms", val);
}

static bool yes_no(const char *val, bool *out)
{
	if (!strcmp(val, "yes") || !strcmp(val, "1") || !strcmp(val, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(val, "no") || !strcmp(val, "0") || !strcmp(val, "false")) {
		*out = false;
		return true;
	}
	return false;
}

static int set_key(struct domus_vif *v, const char *key, const char *val, char *err, size_t errlen)
{
	if (!strcmp(key, "mac")) {
		if (domus_mac_parse(val, v->mac))
			return domus_cfg_err(err, errlen, "mac '%.30s' is not six hex bytes: write mac=00:16:3e:XX:XX:XX", val);
		if (v->mac[0] & 1)
			return domus_cfg_err(err, errlen, "mac %.30s is a multicast address (first byte odd): give a unicast one, e.g. 00:16:3e:XX:XX:XX",
				    val);
		if (!(v->mac[0] | v->mac[1] | v->mac[2] | v->mac[3] | v->mac[4] | v->mac[5]))
			return domus_cfg_err(err, errlen, "mac 00:00:00:00:00:00 is not an address: give 00:16:3e:XX:XX:XX or drop mac=");
		v->mac_given = true;
		return 0;
	}
	if (!strcmp(key, "bridge")) {
		if (!domus_ifname_ok(val))
			return domus_cfg_err(err, errlen, "bridge '%.30s' is not an interface name (1-%d of A-Z a-z 0-9 . - _)",
				    val, DOMUS_IFNAME_MAX);
		snprintf(v->bridge, sizeof(v->bridge), "%s", val);
		return 0;
	}
	if (!strcmp(key, "bridge-create")) {
		if (!yes_no(val, &v->bridge_create))
			return domus_cfg_err(err, errlen, "bridge-create '%.20s': write bridge-create=yes or no", val);
		return 0;
	}
	if (!strcmp(key, "vifname")) {
		if (!domus_ifname_ok(val))
			return domus_cfg_err(err, errlen, "vifname '%.30s' is not an interface name (1-%d of A-Z a-z 0-9 . - _)",
				    val, DOMUS_IFNAME_MAX);
		snprintf(v->vifname, sizeof(v->vifname), "%s", val);
		return 0;
	}
	if (!strcmp(key, "ip"))
		return set_ips(v, val, err, errlen);
	if (!strcmp(key, "rate"))
		return set_rate(v, val, err, errlen);
	if (!strcmp(key, "script")) {
		note(v, "script=%.40s is not run: domus attaches the TAP device to the bridge itself", val);
		return 0;
	}
	if (!strcmp(key, "model")) {
		note(v, "model=%.20s is for emulated NICs: a PVH guest gets a PV interface (xen-netfront)", val);
		return 0;
	}
	if (!strcmp(key, "type")) {
		if (strcmp(val, "vif") && strcmp(val, "ioemu"))
			return domus_cfg_err(err, errlen, "type '%.20s': write type=vif (or ioemu)", val);
		if (!strcmp(val, "ioemu"))
			note(v, "type=ioemu: a PVH guest has no emulated NIC; served as type=vif");
		return 0;
	}
	if (!strcmp(key, "backend")) {
		if (strcmp(val, "0") && strcmp(val, "Domain-0"))
			return domus_cfg_err(err, errlen, "backend '%.30s': only the host (backend=0) serves network devices", val);
		return 0;
	}
	if (!strcmp(key, "mtu")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(val, &end, 10);
		if (!(*val >= '0' && *val <= '9') || *end || errno || m < 68 || m > 65535)
			return domus_cfg_err(err, errlen, "mtu '%.20s': give 68 to 65535", val);
		v->mtu = (uint32_t)m;
		return 0;
	}
	if (!strcmp(key, "gatewaydev") || !strcmp(key, "gatewayip") || !strcmp(key, "accel") ||
	    !strcmp(key, "forwarddev") || !strcmp(key, "trusted") || !strcmp(key, "devid")) {
		note(v, "%.20s= is ignored", key);
		return 0;
	}
	return domus_cfg_err(err, errlen, "unknown key '%.30s': use mac=, bridge=, ip=, vifname=, rate=, script=, model= or type=",
		    key);
}

int domus_vif_parse(const char *spec, struct domus_vif *v, char *err, size_t errlen)
{
	char *copy, *p, *tok;
	int r = -1;

	memset(v, 0, sizeof(*v));
	copy = strdup(spec);
	if (!copy)
		return domus_cfg_err(err, errlen, "out of memory");
	for (p = copy; p;) {
		char *comma = strchr(p, ','), *eq, *end;

		if (comma)
			*comma = 0;
		tok = p;
		p = comma ? comma + 1 : NULL;
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
		if (!*tok)
			continue;	/* '' and trailing commas, as xl */
		eq = strchr(tok, '=');
		if (!eq) {
			domus_cfg_err(err, errlen, "'%.30s' is not KEY=VALUE: write e.g. 'mac=00:16:3e:01:02:03,bridge=xenbr0'", tok);
			goto out;
		}
		*eq = 0;
		if (set_key(v, tok, eq + 1, err, errlen))
			goto out;
	}
	if (!v->mac_given) {
		/* Xen's range: 00:16:3e, then a 7-bit and two 8-bit random bytes */
		uint8_t rnd[3] = { 0 };

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			domus_cfg_err(err, errlen, "no random bytes for a MAC address: give mac=00:16:3e:XX:XX:XX");
			goto out;
		}
		v->mac[0] = 0x00;
		v->mac[1] = 0x16;
		v->mac[2] = 0x3e;
		v->mac[3] = rnd[0] & 0x7f;
		v->mac[4] = rnd[1];
		v->mac[5] = rnd[2];
	}
	if (!v->bridge[0])
		snprintf(v->bridge, sizeof(v->bridge), "%s", DOMUS_VIF_DEFAULT_BRIDGE);
	r = 0;
out:
	free(copy);
	return r;
}
