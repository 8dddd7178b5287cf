// SPDX-License-Identifier: MIT
/*
 * Unit tests for xl network interface specifications
 * (userland/config/vif.c): mac= (given, random in 00:16:3e, never
 * multicast), bridge=, ip=, vifname=, rate=, the accepted-with-a-note keys
 * (script=, model=, type=), the one-line errors, and vif = [...] through the
 * whole config (several vifs, duplicates, file:line in messages).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "unit.h"
#include "unit_cfg.h"

static char err[512];

static void test_forms(void)
{
	struct domus_vif v;
	char a[18];

	EXPECT(domus_vif_parse("mac=00:16:3E:0a:0B:ff,bridge=br0", &v, err, sizeof(err)) == 0);
	domus_mac_format(v.mac, a);
	EXPECT(!strcmp(a, "00:16:3e:0a:0b:ff") && v.mac_given && !strcmp(v.bridge, "br0"));
	EXPECT(v.nips == 0 && !v.vifname[0] && !v.rate_bytes_per_s && !v.notes[0] && !v.bridge_create);

	EXPECT(domus_vif_parse(" bridge = xenbr1 , ip=10.0.0.2 10.0.0.3,vifname=web0,", &v, err, sizeof(err)) != 0);
	/* xl takes no spaces around '=': "bridge " is an unknown key */
	EXPECT(strstr(err, "unknown key 'bridge '") != NULL);
	EXPECT(domus_vif_parse("bridge=xenbr1, ip=10.0.0.2 10.0.0.3 ,vifname=web0,", &v, err, sizeof(err)) == 0);
	EXPECT(!strcmp(v.bridge, "xenbr1") && v.nips == 2 && v.ips[0] == 0x0a000002 && v.ips[1] == 0x0a000003);
	EXPECT(!strcmp(v.vifname, "web0"));

	/* no mac: random in Xen's range, unicast, and not always the same */
	{
		uint8_t first[6];
		bool differ = false;
		int i;

		EXPECT(domus_vif_parse("", &v, err, sizeof(err)) == 0);
		memcpy(first, v.mac, 6);
		EXPECT(!strcmp(v.bridge, DOMUS_VIF_DEFAULT_BRIDGE) && !v.mac_given);
		for (i = 0; i < 200; i++) {
			EXPECT(domus_vif_parse("bridge=b", &v, err, sizeof(err)) == 0);
			EXPECT(v.mac[0] == 0 && v.mac[1] == 0x16 && v.mac[2] == 0x3e && v.mac[3] < 0x80);
			if (memcmp(first, v.mac, 6))
				differ = true;
		}
		EXPECT(differ);
	}

	/* rate= */
	EXPECT(domus_vif_parse("rate=10Mb/s", &v, err, sizeof(err)) == 0);
	EXPECT(v.rate_bytes_per_s == 1250000 && v.rate_interval_us == 50000);
	EXPECT(domus_vif_parse("rate=1MB/s@20ms", &v, err, sizeof(err)) == 0);
	EXPECT(v.rate_bytes_per_s == 1000000 && v.rate_interval_us == 20000);
	EXPECT(domus_vif_parse("rate=512KB/s@1s", &v, err, sizeof(err)) == 0);
	EXPECT(v.rate_bytes_per_s == 512000 && v.rate_interval_us == 1000000);
	EXPECT(domus_vif_parse("rate=10Mb/s@2", &v, err, sizeof(err)) == 0);	/* seconds, as xl */
	EXPECT(v.rate_bytes_per_s == 1250000 && v.rate_interval_us == 2000000);
	EXPECT(domus_vif_parse("rate=800b/s@5000us", &v, err, sizeof(err)) == 0);
	EXPECT(v.rate_bytes_per_s == 100 && v.rate_interval_us == 5000);

	/* accepted with notes */
	EXPECT(domus_vif_parse("script=vif-bridge,model=e1000,type=ioemu,backend=0", &v, err, sizeof(err)) == 0);
	EXPECT(strstr(v.notes, "script=vif-bridge is not run") && strstr(v.notes, "model=e1000") &&
	       strstr(v.notes, "type=ioemu"));
	EXPECT(domus_vif_parse("type=vif,mtu=9000,bridge-create=yes", &v, err, sizeof(err)) == 0);
	EXPECT(!v.notes[0] && v.mtu == 9000 && v.bridge_create);
}

static void test_errors(void)
{
	static const struct { const char *spec, *msg; } t[] = {
		{ "mac=01:16:3e:00:00:01", "multicast address" },
		{ "mac=ff:ff:ff:ff:ff:ff", "multicast address" },
		{ "mac=00:00:00:00:00:00", "is not an address" },
		{ "mac=00:16:3e:00:00", "is not six hex bytes" },
		{ "mac=00:16:3e:00:00:0g", "is not six hex bytes" },
		{ "mac=00-16-3e-00-00-01", "is not six hex bytes" },
		{ "mac=00:16:3e:00:00:01:", "is not six hex bytes" },
		{ "bridge=", "is not an interface name" },
		{ "bridge=a/b", "is not an interface name" },
		{ "bridge=0123456789abcdef", "is not an interface name" },
		{ "vifname=..", "is not an interface name" },
		{ "ip=10.0.0", "is not a unicast IPv4 address" },
		{ "ip=10.0.0.256", "is not a unicast IPv4 address" },
		{ "ip=10.0.0.01", "is not a unicast IPv4 address" },
		{ "ip=224.0.0.1", "is not a unicast IPv4 address" },
		{ "ip=fe80::1", "only IPv4 addresses are filtered" },
		{ "ip=10.0.0.0/24", "not a prefix" },
		{ "ip=", "ip= is empty" },
		{ "ip=1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9", "more than 8 addresses" },
		{ "rate=10", "is not RATE/s" },
		{ "rate=10Mb", "is not RATE/s" },
		{ "rate=10Xb/s", "is not RATE/s" },
		{ "rate=10Mb/s@11", "1 ms to 10 s" },	/* no unit: seconds, as xl */
		{ "rate=10Mb/s@20h", "is not RATE/s" },
		{ "rate=10Mb/s@1us", "1 ms to 10 s" },
		{ "rate=0B/s", "is zero" },
		{ "rate=99999999999999999999GB/s", "is not RATE/s" },
		{ "type=hvm", "write type=vif" },
		{ "backend=3", "only the host" },
		{ "mtu=20", "68 to 65535" },
		{ "bridge-create=maybe", "bridge-create=yes or no" },
		{ "color=blue", "unknown key 'color'" },
		{ "xenbr0", "is not KEY=VALUE" },
	};
	struct domus_vif v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = 0;
		if (domus_vif_parse(t[i].spec, &v, err, sizeof(err)) == 0) {
			printf("  '%s' was accepted\n", t[i].spec);
			unit_cur_failed = 1;
			continue;
		}
		if (!strstr(err, t[i].msg) || strchr(err, '\n')) {
			printf("  '%s': '%s', expected '%s'\n", t[i].spec, err, t[i].msg);
			unit_cur_failed = 1;
		}
	}
}

static int cfg(struct domus_config *c, const char *text)
{
	return unit_cfg_parse(c, text, err, sizeof(err));
}

static void test_config(void)
{
	struct domus_config c;
	char big[4096];
	size_t k, i;

	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = [ 'bridge=br0,mac=00:16:3e:00:00:01',\n 'bridge=br1,script=vif-bridge' ]\n") == 0);
	EXPECT(c.nvifs == 2 && c.vifs[0].devid == 0 && c.vifs[1].devid == 1 && !strcmp(c.vifs[1].bridge, "br1"));
	EXPECT(c.vifs[0].line == 3 && c.vifs[1].line == 4);
	EXPECT(c.warnings && strstr(c.warnings, "t.cfg:4: note: vif 1: script=vif-bridge is not run"));
	EXPECT(!c.warnings || !strstr(c.warnings, "vif is ignored"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = 'bridge=br0'\n") == 0 && c.nvifs == 1);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = [ '' ]\n") == 0 && c.nvifs == 1 &&
	       !strcmp(c.vifs[0].bridge, "xenbr0"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\n\nvif = [ 'bridge=br0', 'mac=01:00:00:00:00:00' ]\n") == -1);
	EXPECT(!strcmp(err, "t.cfg:4: vif: entry 2 'mac=01:00:00:00:00:00': mac 01:00:00:00:00:00 is a multicast address (first byte odd): give a unicast one, e.g. 00:16:3e:XX:XX:XX"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3e:00:00:01' ]\n") == -1);
	EXPECT(strstr(err, "entry 2: mac 00:16:3e:00:00:01 is used twice (also by entry 1)") != NULL);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = [ 'vifname=x', 'vifname=x' ]\n") == -1);
	EXPECT(strstr(err, "vifname x is used twice") != NULL);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\nvif = [ [ 'bridge=b' ] ]\n") == -1);
	EXPECT(strstr(err, "entry 1 is not a string") != NULL);
	domus_config_free(&c);
	k = (size_t)sprintf(big, "name='a'\nkernel='/k'\nvif = [");
	for (i = 0; i < DOMUS_CFG_MAX_VIFS + 1; i++)
		k += (size_t)sprintf(big + k, "'bridge=b%zu',", i);
	sprintf(big + k, "]\n");
	EXPECT(cfg(&c, big) == -1 && strstr(err, "at most 8 per domain"));
	domus_config_free(&c);
}

/* Random byte strings never crash the parser and always give one line. */
static void test_random_specs(void)
{
	static const char alphabet[] = ",= :.mac0123456789abcdefip/bridgeratevifnameMbKBs@";
	unsigned int seed = 777, iter;
	char spec[64];

	for (iter = 0; iter < 50000; iter++) {
		struct domus_vif v;

		unit_random_spec(&seed, alphabet, spec, sizeof(spec));
		err[0] = 0;
		if (domus_vif_parse(spec, &v, err, sizeof(err)) == 0) {
			EXPECT(!(v.mac[0] & 1));
			EXPECT(domus_ifname_ok(v.bridge));
			EXPECT(!v.vifname[0] || domus_ifname_ok(v.vifname));
			EXPECT(v.nips <= DOMUS_VIF_MAX_IPS);
		} else if (!err[0] || strchr(err, '\n')) {
			printf("  '%s': error '%s' is not one line\n", spec, err);
			unit_cur_failed = 1;
		}
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, test_forms);
	RUN(UNIT_PREFIX, test_errors);
	RUN(UNIT_PREFIX, test_config);
	RUN(UNIT_PREFIX, test_random_specs);
	return unit_failed;
}
