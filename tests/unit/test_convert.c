// SPDX-License-Identifier: MIT
/*
 * Unit tests for the JSON view of a domain definition (jsoncfg.c) and the
 * writers of both forms (convert.c): a full xl.cfg and its JSON view give
 * the same definition, the round trip is stable, the JSON errors name
 * line and column, ignored keys are kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "unit.h"

static char err[512];

static const char xl[] =
	"name = 'web1'\nkernel = '/boot/vmlinuz'\nbuilder = 'linux'\nmemory = '128'\nvcpus = 2\nmaxvcpus = 3\n"
	"cpus = ['0-1', '2']\nroot = '/dev/xvda2 ro'\nextra = '2 console=xvc0'\n"
	"disk = ['tap:aio:/srv/a.img,xvda2,w', 'file:/x.iso,hdc:cdrom,r', 'phy:/dev/vg/lv,xvdb,r,no-discard']\n"
	"vif = ['ip=10.0.0.2,mac=00:16:3e:00:00:01,rate=10Mb/s', 'bridge=br1,mtu=9000,bridge-create=yes']\n"
	"on_crash = 'preserve'\nserial = 'pty'\npci = [ '01:00.0', 0x12 ]\n";

static char *written(const struct domus_config *c, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (json)
		domus_config_write_json(c, f);
	else
		domus_config_write_xl(c, f);
	fclose(f);
	return buf;
}

static int load(struct domus_config *c, const char *text)
{
	domus_config_init(c);
	err[0] = 0;
	return domus_config_parse(c, text, strlen(text), "t", err, sizeof(err)) ||
	       domus_config_finish(c, err, sizeof(err));
}

static void test_round_trip(void)
{
	struct domus_config a, b;
	char *j, *x, *j2;

	EXPECT(load(&a, xl) == 0);
	EXPECT(domus_config_check_written(&a, err, sizeof(err)) == 0);
	j = written(&a, 1);
	x = written(&a, 0);
	EXPECT(strstr(j, "\"cmdline\": \"root=/dev/xvda2 ro 2 console=hvc0\""));
	EXPECT(strstr(j, "\"cpus\": [\"0-1\", \"2\", \"all\"]"));
	EXPECT(strstr(j, "\"devtype\": \"cdrom\"") && strstr(j, "\"discard\": false"));
	EXPECT(strstr(j, "\"rate\": \"1250000B/s@50000us\"") && strstr(j, "\"bridge_create\": true"));
	EXPECT(strstr(j, "\"pci\": [\"01:00.0\", 18]"));
	EXPECT(!strstr(j, "\"uuid\""));
	EXPECT(strstr(x, "disk = [\n    \"vdev=xvda2,access=rw,target=/srv/a.img\","));
	EXPECT(load(&b, j) == 0);
	j2 = written(&b, 1);
	EXPECT(!strcmp(j, j2));
	EXPECT(b.memory_mib == 128 && b.maxvcpus == 3 && b.ndisks == 3 && b.nvifs == 2 && b.on_crash == DOMUS_ACTION_PRESERVE);
	free(j);
	free(x);
	free(j2);
	domus_config_free(&a);
	domus_config_free(&b);
}

/* keys added after the writers: bootloader (pygrub) and max_grant_version survive both forms */
static void test_boot_and_grant_keys(void)
{
	static const char cfg[] =
		"name = 'g'\nbootloader = 'pygrub'\nbootloader_args = ['--entry=1']\nmemory = 256\n"
		"max_grant_version = 2\ndisk = ['file:/srv/g.img,xvda,w']\n";
	struct domus_config a, b;
	char *j = NULL, *x = NULL;

	EXPECT(load(&a, cfg) == 0);
	EXPECT(domus_config_check_written(&a, err, sizeof(err)) == 0);
	j = written(&a, 1);
	x = written(&a, 0);
	EXPECT(j && strstr(j, "\"bootloader\": \"pygrub\"") && strstr(j, "\"bootloader_args\": \"--entry=1\""));
	EXPECT(j && strstr(j, "\"max_grant_version\": 2") && !strstr(j, "\"kernel\""));
	EXPECT(load(&b, x) == 0);
	EXPECT(b.bootloader && !strcmp(b.bootloader, "pygrub") && b.max_grant_version == 2);
	free(j);
	free(x);
	domus_config_free(&a);
	domus_config_free(&b);
}

static void test_json_errors(void)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"memroy\": 5 }", "t:1:32: unknown key \"memroy\"" },
		{ "{ \"name\": \"x\",\n  \"name\": \"y\" }", "t:2:3: name is given twice" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"memory\": -1 }", "t:1:42: memory: expected a string" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"memory\": 1.5 }", "t:1:43: only whole numbers" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"memory\": 1 }", "t:1: memory: 1 is out of range" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"disk\": [ { \"vdev\": \"xvda,target=/e\" } ] }", "holds ',' or '='" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"disk\": [ { \"size\": 1 } ] }", "disk: unknown member \"size\"" },
		{ "{ \"name\": \"x\", \"kernel\": \"/k\", \"ignored\": { \"memory\": 1 } }", "ignored: \"memory\" is not an xl key domus ignores" },
		{ "{ \"name\": \"x\\u0000\" }", "NUL inside a string" },
		{ "{ \"name\": \"\\ud800\" }", "half a surrogate pair" },
		{ "{ \"name\": \"x\" } x", "text after the closing '}'" },
		{ "{ \"name\": \"x\"", "expected ',' or '}'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domus_config c;

		if (load(&c, cases[i].text) == 0 || !strstr(err, cases[i].msg) || strchr(err, '\n')) {
			printf("  case %zu: got '%s', want '%s'\n", i, err, cases[i].msg);
			unit_cur_failed = 1;
		}
		domus_config_free(&c);
	}
}

static void test_json_forms(void)
{
	struct domus_config c;

	/* xl specification strings in the lists, a cpus string, unicode */
	EXPECT(load(&c, " \n{ \"name\": \"x\", \"kernel\": \"/k\\u00e9\", \"cpus\": \"1\", \"vif\": [ \"bridge=br0\" ],"
			 " \"disk\": [ \"/i,xvda,w\" ], \"ignored\": { \"boot\": \"c\" } }") == 0);
	EXPECT(!strcmp(c.kernel, "/k\xc3\xa9") && c.nvifs == 1 && !strcmp(c.vifs[0].bridge, "br0") && c.ndisks == 1);
	EXPECT(c.warnings && strstr(c.warnings, "boot is ignored"));
	EXPECT(domus_config_check_written(&c, err, sizeof(err)) == 0);
	domus_config_free(&c);
	/* command-line settings apply on top of the JSON view, in xl syntax */
	domus_config_init(&c);
	EXPECT(domus_config_parse(&c, "{\"name\": \"x\", \"kernel\": \"/k\"}", 29, "t", err, sizeof(err)) == 0);
	EXPECT(domus_config_apply(&c, "memory=512", err, sizeof(err)) == 0);
	EXPECT(domus_config_finish(&c, err, sizeof(err)) == 0 && c.memory_mib == 512);
	domus_config_free(&c);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_round_trip);
	RUN(UNIT_PREFIX, test_boot_and_grant_keys);
	RUN(UNIT_PREFIX, test_json_errors);
	RUN(UNIT_PREFIX, test_json_forms);
	return unit_failed;
}
