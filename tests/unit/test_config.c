// SPDX-License-Identifier: MIT
/*
 * Unit tests for the xl.cfg parser (userland/config/xlcfg.c): the grammar,
 * the keys domus uses, the one-line errors (file:line, key, fix), the
 * warnings for ignored keys, command-line settings, and hostile input
 * (huge lines, unterminated strings and lists, deep nesting, binary
 * bytes, random mutations) -- also run under ASan/UBSan.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xlcfg.h"
#include "unit.h"
#include "unit_cfg.h"


static char err[1024];

static int cfg(struct domus_config *c, const char *text)
{
	return unit_cfg_parse(c, text, err, sizeof(err));
}

static bool err_has(const char *s) { return strstr(err, s) != NULL; }

static const char *str_item(const struct domus_cfg_value *v, size_t i)
{
	return v && v->type == DOMUS_CFG_LIST && i < v->nitems ? v->items[i]->str : NULL;
}

static void test_minimal(void)
{
	struct domus_config c;

	EXPECT(cfg(&c, "name = \"g1\"\nkernel = \"/boot/vmlinuz\"\n") == 0);
	EXPECT(!strcmp(c.name, "g1"));
	EXPECT(c.memory_mib == DOMUS_CFG_DEFAULT_MEM_MIB);
	EXPECT(c.vcpus == 1 && c.maxvcpus == 1);
	EXPECT(c.type == DOMUS_TYPE_PVH);
	EXPECT(!strcmp(c.kernel, "/boot/vmlinuz"));
	EXPECT(c.ramdisk == NULL);
	EXPECT(!strcmp(c.cmdline, ""));
	EXPECT(c.on_poweroff == DOMUS_ACTION_DESTROY);
	EXPECT(c.on_reboot == DOMUS_ACTION_RESTART);
	EXPECT(c.on_crash == DOMUS_ACTION_DESTROY);
	/* no type: xl's default is PV, run as PVH, with one note saying so */
	EXPECT(c.warnings && !strcmp(c.warnings,
		"t.cfg: note: no type: xl's default is PV; domus runs PV guests as PVH (the kernel needs CONFIG_PVH, as Debian's has; write type = \"pvh\" to silence this)\n"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name = \"g1\"\nkernel = \"/boot/vmlinuz\"\ntype = \"pvh\"\n") == 0);
	EXPECT(c.type == DOMUS_TYPE_PVH && c.warnings == NULL);
	domus_config_free(&c);
	/* the JSON view's default is PVH: no note */
	EXPECT(cfg(&c, "{ \"name\": \"g1\", \"kernel\": \"/boot/vmlinuz\" }") == 0);
	EXPECT(c.type == DOMUS_TYPE_PVH && c.warnings == NULL);
	domus_config_free(&c);
}

static void test_full(void)
{
	struct domus_config c;
	const char *t =
		"# a Debian PVH guest\n"
		"name = 'deb-1'   # trailing comment\n"
		"type = \"pvh\"\n"
		"memory = 0x200; vcpus = 2\n"
		"maxvcpus = 4\r\n"
		"kernel = \"/boot/vmlinuz-6.1.0-28-amd64\"\n"
		"ramdisk = \"/boot/initrd.img\"\n"
		"root = \"/dev/xvda1 ro\"\n"
		"extra = \"console=hvc0 \\\"quoted\\\" tab\\there\"\n"
		"on_poweroff = \"preserve\"\n"
		"on_reboot = 'rename-restart'\n"
		"on_crash = \"restart\"\n"
		"uuid = \"5fb6d7b1-6f6a-4f4f-9a3c-000000000001\"\n";

	EXPECT(cfg(&c, t) == 0);
	EXPECT(!strcmp(c.name, "deb-1"));
	EXPECT(c.memory_mib == 512);
	EXPECT(c.vcpus == 2 && c.maxvcpus == 4);
	EXPECT(!strcmp(c.ramdisk, "/boot/initrd.img"));
	EXPECT(!strcmp(c.cmdline, "root=/dev/xvda1 ro console=hvc0 \"quoted\" tab\there"));
	EXPECT(c.on_poweroff == DOMUS_ACTION_PRESERVE);
	EXPECT(c.on_reboot == DOMUS_ACTION_RESTART);
	EXPECT(c.on_crash == DOMUS_ACTION_RESTART);
	EXPECT(c.uuid && !strcmp(c.uuid, "5fb6d7b1-6f6a-4f4f-9a3c-000000000001"));
	EXPECT(c.warnings && strstr(c.warnings, "t.cfg:11: note: on_reboot: rename-restart"));
	domus_config_free(&c);
}

static void test_cmdline_wins(void)
{
	struct domus_config c;

	EXPECT(cfg(&c, "name=\"a\"\nkernel=\"k\"\nroot=\"/dev/xvda\"\ncmdline=\"console=hvc0\"\nextra=\"x\"\n") == 0);
	EXPECT(!strcmp(c.cmdline, "console=hvc0"));
	EXPECT(c.warnings && strstr(c.warnings, "root= and extra= are ignored because cmdline= is set"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name=\"a\"\nkernel=\"k\"\nextra=\"quiet\"\n") == 0);
	EXPECT(!strcmp(c.cmdline, "quiet"));
	domus_config_free(&c);
}

static void test_lists_kept(void)
{
	struct domus_config c;
	const struct domus_cfg_entry *e;
	const char *t =
		"name = \"n\"\nkernel = \"k\"\n"
		"disk = [ 'phy:/dev/vg/lv,xvda,w',\n"
		"         # a comment inside the list\n"
		"         'file:/img,xvdb,r', ]\n"
		"vif = [ '' ]\n"
		"cpus_soft = [ [\"0\", \"1\"], [] ]\n"
		"frobnicate = 1\n";

	EXPECT(cfg(&c, t) == 0);
	e = domus_config_get(&c, "disk");
	EXPECT(e && e->value->type == DOMUS_CFG_LIST && e->value->nitems == 2);
	EXPECT(e && !strcmp(str_item(e->value, 0), "phy:/dev/vg/lv,xvda,w"));
	EXPECT(e && !strcmp(str_item(e->value, 1), "file:/img,xvdb,r"));
	EXPECT(e && e->line == 3);
	e = domus_config_get(&c, "cpus_soft");
	EXPECT(e && e->value->nitems == 2 && e->value->items[0]->nitems == 2 &&
	       e->value->items[1]->nitems == 0);
	EXPECT(c.ndisks == 2 && c.disks[0].devid == 51712 && !c.disks[0].readonly &&
	       !strcmp(c.disks[0].target, "/dev/vg/lv"));
	EXPECT(c.ndisks == 2 && c.disks[1].devid == 51728 && c.disks[1].readonly);
	EXPECT(!c.warnings || !strstr(c.warnings, "disk"));
	EXPECT(c.nvifs == 1 && c.warnings && strstr(c.warnings, "t.cfg:7: warning: cpus_soft is ignored for now"));
	EXPECT(c.warnings && strstr(c.warnings, "t.cfg:8: warning: unknown key frobnicate is ignored"));
	domus_config_free(&c);
}

static void test_maxmem_cpus(void)
{
	struct domus_config c;
	char buf[64];

	EXPECT(cfg(&c, "name='a'\nkernel='k'\nmemory=256\n") == 0);
	EXPECT(c.maxmem_mib == 256 && c.cpus == NULL && c.max_grant_version == 1);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='pvh'\nkernel='k'\nmax_grant_version=2\n") == 0);
	EXPECT(c.max_grant_version == 2 && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='pvh'\nkernel='k'\nmemory=256\nmaxmem=512\nvcpus=2\nmaxvcpus=3\ncpus='1-2,^2,5'\n") == 0);
	EXPECT(c.maxmem_mib == 512 && c.cpus != NULL && !c.warnings);
	EXPECT(c.cpus && domus_cpuset_has(&c.cpus[2], 1) && !domus_cpuset_has(&c.cpus[2], 2) &&
	       domus_cpuset_has(&c.cpus[0], 5) && !domus_cpuset_has(&c.cpus[0], 0));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\nvcpus=3\ncpus=['0', '2-3']\n") == 0);
	EXPECT(c.cpus && domus_cpuset_has(&c.cpus[0], 0) && !domus_cpuset_has(&c.cpus[0], 1));
	EXPECT(c.cpus && domus_cpuset_has(&c.cpus[1], 3) && !domus_cpuset_has(&c.cpus[1], 0));
	EXPECT(c.cpus && domus_cpuset_has(&c.cpus[2], 1000));	/* past the list: any */
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\nmemory=256\nmaxmem=128\n") == -1);
	EXPECT(err_has("t.cfg:4: maxmem: 128 is below memory = 256"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\ncpus='1-x'\n") == -1);
	EXPECT(err_has("t.cfg:3: cpus: \"1-x\": a range is LOW-HIGH"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\ncpus='5000'\n") == -1);
	EXPECT(err_has("is not a CPU list"));
	domus_config_free(&c);

	/* the CPU set syntax itself */
	{
		struct domus_cpuset s;

		EXPECT(domus_cpuset_parse("all", &s, err, sizeof(err)) == 0);
		domus_cpuset_format(&s, 4, buf, sizeof(buf));
		EXPECT(!strcmp(buf, "all"));
		EXPECT(domus_cpuset_parse("^1", &s, err, sizeof(err)) == 0);
		domus_cpuset_format(&s, 4, buf, sizeof(buf));
		EXPECT(!strcmp(buf, "0,2-3"));
		EXPECT(domus_cpuset_parse("3,0-1", &s, err, sizeof(err)) == 0);
		domus_cpuset_format(&s, 8, buf, sizeof(buf));
		EXPECT(!strcmp(buf, "0-1,3"));
		domus_cpuset_format(&s, 0, buf, sizeof(buf));
		EXPECT(!strcmp(buf, "none"));
		EXPECT(domus_cpuset_parse("", &s, err, sizeof(err)) == -1);
		EXPECT(domus_cpuset_parse("1,", &s, err, sizeof(err)) == -1);
		EXPECT(domus_cpuset_parse("3-1", &s, err, sizeof(err)) == -1);
		EXPECT(domus_cpuset_parse("1;2", &s, err, sizeof(err)) == -1 && err_has("unexpected ';'"));
		EXPECT(domus_cpuset_parse("-1", &s, err, sizeof(err)) == -1);
		EXPECT(domus_cpuset_parse("99999999999999999999", &s, err, sizeof(err)) == -1);
	}
}

static void test_type_pv(void)
{
	struct domus_config c;

	EXPECT(cfg(&c, "name=\"a\"\nkernel=\"k\"\ntype=\"pv\"\n") == 0);
	EXPECT(c.type == DOMUS_TYPE_PVH);
	EXPECT(c.warnings && strstr(c.warnings, "t.cfg:3: note: type \"pv\": domus runs PV guests as PVH"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name=\"a\"\nkernel=\"k\"\nbuilder=\"generic\"\n") == 0);
	EXPECT(c.warnings && strstr(c.warnings, "builder \"generic\""));
	domus_config_free(&c);
	domus_config_free(&c);
}

/* type = "hvm": a Multiboot kernel with kernel=, or SeaBIOS without it
 * (bios=, bios_path_override=), one vCPU, no PV devices yet;
 * device_model_version checked for every type (hvmcfg.c) */
static void test_type_hvm(void)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "name='a'\ntype='hvm'\nbios='ovmf'\n", "t.cfg:3: bios: domus has SeaBIOS only: write bios = \"seabios\" (or drop it)" },
		{ "name='a'\ntype='hvm'\nbios=1\n", "t.cfg:3: bios: domus has SeaBIOS only" },
		{ "name='a'\ntype='hvm'\nbios_path_override=''\n", "t.cfg:3: bios_path_override: give the path of a SeaBIOS image" },
		{ "name='a'\ntype='hvm'\nvcpus=2\n", "t.cfg:3: vcpus: an HVM domain has 1 vCPU for now" },
		{ "name='a'\ntype='hvm'\nboot='n'\n", "t.cfg:3: boot: domus boots from c (the IDE disk) and d (the CD-ROM), in the order written: write boot = \"c\", \"d\", \"cd\" or \"dc\"" },
		{ "name='a'\ntype='hvm'\nboot='cc'\n", "t.cfg:3: boot: domus boots from c (the IDE disk) and d" },
		{ "name='a'\ntype='hvm'\nboot='cdc'\n", "t.cfg:3: boot: domus boots from c (the IDE disk) and d" },
		{ "name='a'\ntype='hvm'\nboot=''\n", "t.cfg:3: boot: domus boots from c (the IDE disk) and d" },
		{ "name='a'\ntype='hvm'\nboot=1\n", "t.cfg:3: boot: domus boots from c (the IDE disk) and d" },
		{ "name='a'\ntype='hvm'\ndisk=['/x,xvda,r']\n", "t.cfg:3: disk: xvda: an HVM domain's disks are IDE drives hda, hdb, hdc or hdd: e.g. disk = [ 'PATH,hda,w', 'PATH.iso,hdc:cdrom,r' ]" },
		{ "name='a'\ntype='hvm'\ndisk=['/x,hda1,r']\n", "t.cfg:3: disk: hda1: an HVM domain's disks are IDE drives" },
		{ "name='a'\ntype='hvm'\ndisk=['/x,sda,r']\n", "t.cfg:3: disk: sda: an HVM domain's disks are IDE drives" },
		{ "name='a'\ntype='hvm'\ndisk=['/x,hda,r','/y,hda,w']\n", "t.cfg:3: disk: entry 2: hda is used twice" },
		{ "name='a'\ntype='hvm'\nkernel='k'\nvcpus=2\n", "t.cfg:4: vcpus: an HVM domain has 1 vCPU for now" },
		{ "name='a'\ntype='hvm'\nkernel='k'\nmaxvcpus=2\n", "t.cfg:4: maxvcpus: an HVM domain has 1 vCPU" },
		{ "name='a'\ntype='hvm'\nkernel='k'\ndisk=['/x,hda,w']\n", "t.cfg:4: disk: HVM disks boot through the firmware: drop kernel=" },
		{ "name='a'\ntype='hvm'\nkernel='k'\nvif=['bridge=br0']\n", "t.cfg:4: vif: an HVM domain's network cards are PV ones" },
		{ "name='a'\ntype='hvm'\nkernel='k'\nxen_platform_pci=1\nvif=['bridge=br0']\n", "t.cfg:5: vif: an HVM domain's network cards are PV ones" },
		{ "name='a'\ntype='hvm'\nbootloader='pygrub'\ndisk=['/x,xvda,w']\n", "t.cfg:3: bootloader: an HVM domain boots through its firmware" },
		{ "name='a'\ntype='hvm'\nkernel='k'\ndevice_model_version='qemu-xen-traditional'\n",
		  "t.cfg:4: device_model_version: unknown device model \"qemu-xen-traditional\"" },
		{ "name='a'\nkernel='k'\ndevice_model_version='x'\n", "t.cfg:3: device_model_version: unknown device model" },
		{ "name='a'\ntype='hvm'\nkernel='k'\ndevice_model_version=1\n", "t.cfg:4: device_model_version: give a string" },
		{ "name='a'\ntype='pvh'\nbuilder='hvm'\nkernel='k'\n", "t.cfg:3: builder: builder \"hvm\" and type = \"pvh\" disagree" },
		{ "name='a'\ntype='hvm2'\nkernel='k'\n", "t.cfg:2: type: unknown type \"hvm2\": use type = \"pvh\" or \"hvm\"" },
		{ "name='a'\ntype='hvm'\nserial='file:/tmp/x'\n",
		  "t.cfg:3: serial: domus has one serial port, COM1 on the domain's console (domus console): write serial = \"pty\" (or drop it)" },
		{ "name='a'\ntype='hvm'\nserial='none'\n", "t.cfg:3: serial: domus has one serial port" },
		{ "name='a'\ntype='hvm'\nserial=['pty','pty']\n", "t.cfg:3: serial: domus has one serial port" },
		{ "name='a'\ntype='hvm'\nserial=[]\n", "t.cfg:3: serial: domus has one serial port" },
		{ "name='a'\ntype='hvm'\nkernel='k'\nserial=1\n", "t.cfg:4: serial: domus has one serial port" },
		{ "name='a'\ntype='hvm'\nserial='PTY'\n", "t.cfg:3: serial: domus has one serial port" },
		{ "name='a'\ntype='hvm'\nxen_platform_pci=2\n",
		  "t.cfg:3: xen_platform_pci: write xen_platform_pci = 1 (the Xen platform PCI device) or 0 (none)" },
		{ "name='a'\ntype='hvm'\nxen_platform_pci='1'\n", "t.cfg:3: xen_platform_pci: write xen_platform_pci = 1" },
		{ "name='a'\ntype='hvm'\nxen_platform_pci=[1]\n", "t.cfg:3: xen_platform_pci: write xen_platform_pci = 1" },
	};
	struct domus_config c;
	size_t i;

	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel='k'\nextra='x=1'\ndevice_model_version='qemu-xen'\n") == 0);
	EXPECT(c.type == DOMUS_TYPE_HVM && c.vcpus == 1 && !strcmp(c.cmdline, "x=1"));
	EXPECT(!c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\ndevice_model_version='qemu-xen'\n") == 0);
	EXPECT(c.warnings && strstr(c.warnings, "device_model_version is ignored for now"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nbuilder='hvm'\nkernel='k'\n") == 0);
	EXPECT(c.type == DOMUS_TYPE_HVM);
	domus_config_free(&c);
	/* no kernel=: SeaBIOS, Debian's image or bios_path_override= */
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\n") == 0);
	EXPECT(c.firmware && !strcmp(c.firmware, DOMUS_SEABIOS_PATH) && !c.kernel && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel=''\nbios='seabios'\nbios_path_override='/x/bios-256k.bin'\n") == 0);
	EXPECT(c.firmware && !strcmp(c.firmware, "/x/bios-256k.bin") && !c.kernel && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\ndisk=['/x,hda,r']\n") == 0);
	EXPECT(c.firmware && c.ndisks == 1 && c.disks[0].readonly && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\ndisk=['/x,hda,r']\nboot='cd'\n") == 0);
	EXPECT(c.firmware && !c.warnings && !strcmp(c.hvm_boot, "cd"));
	domus_config_free(&c);
	/* xl's default boot order: the disk, then the CD */
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\n") == 0);
	EXPECT(!strcmp(c.hvm_boot, "cd"));
	domus_config_free(&c);
	/* four IDE drives: disks read-write or read-only, CD-ROMs (both
	 * spellings, read-only, one empty), boot = "d" */
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nboot='d'\ndisk=['file:/x,hda,w','/y,hdb,r','/i.iso,hdc:cdrom,r',"
		       "'vdev=hdd,devtype=cdrom,access=ro,target=']\n") == 0);
	EXPECT(c.firmware && c.ndisks == 4 && !c.warnings && !strcmp(c.hvm_boot, "d"));
	EXPECT(!c.disks[0].readonly && !c.disks[0].cdrom && c.disks[1].readonly && !c.disks[1].cdrom);
	EXPECT(c.disks[2].cdrom && c.disks[2].readonly && !strcmp(c.disks[2].target, "/i.iso"));
	EXPECT(c.disks[3].cdrom && !c.disks[3].target);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nboot='dc'\ndisk=['vdev=hdc,devtype=cdrom,target=/i.iso']\n") == 0);
	EXPECT(c.ndisks == 1 && c.disks[0].cdrom && c.disks[0].readonly && !strcmp(c.hvm_boot, "dc"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel='k'\n") == 0);
	EXPECT(!c.firmware);
	domus_config_free(&c);
	/* serial = "pty" (or a list of one): COM1 is the console, no warning */
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nserial='pty'\n") == 0);
	EXPECT(c.firmware && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel='k'\nserial=['pty']\n") == 0);
	EXPECT(!c.warnings);
	domus_config_free(&c);
	/* xen_platform_pci: xl's default 1 for a firmware guest, 0 for a Multiboot kernel */
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\n") == 0);
	EXPECT(c.xen_platform_pci);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nxen_platform_pci=0\n") == 0);
	EXPECT(!c.xen_platform_pci && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel='k'\n") == 0);
	EXPECT(!c.xen_platform_pci);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\ntype='hvm'\nkernel='k'\nxen_platform_pci=1\n") == 0);
	EXPECT(c.xen_platform_pci && !c.warnings);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='k'\nxen_platform_pci=1\n") == 0);
	EXPECT(!c.xen_platform_pci && c.warnings && strstr(c.warnings, "xen_platform_pci is ignored for now (HVM only)"));
	domus_config_free(&c);
	/* a PVH domain's serial= stays ignored with its warning */
	EXPECT(cfg(&c, "name='a'\nkernel='k'\nserial='pty'\n") == 0);
	EXPECT(c.warnings && strstr(c.warnings, "serial is ignored for now"));
	domus_config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT(cfg(&c, bad[i].text) == -1);
		if (!err_has(bad[i].err))
			printf("  case %zu: wanted '%s'\n", i, bad[i].err);
		EXPECT(err_has(bad[i].err));
		domus_config_free(&c);
	}
}

static void test_later_settings(void)
{
	struct domus_config c;

	domus_config_init(&c);
	{
		const char *t = "name='a'\nkernel='k'\nmemory=128\nextra='a'\npci=['x']\n";

		EXPECT(domus_config_parse(&c, t, strlen(t), "t.cfg", err, sizeof(err)) == 0);
	}
	EXPECT(domus_config_apply(&c, "memory=512", err, sizeof(err)) == 0);
	EXPECT(domus_config_apply(&c, "extra+=' b'", err, sizeof(err)) == 0);
	EXPECT(domus_config_apply(&c, "pci+=['y','z']", err, sizeof(err)) == 0);
	EXPECT(domus_config_apply(&c, "name=\"b\"", err, sizeof(err)) == 0);
	EXPECT(domus_config_finish(&c, err, sizeof(err)) == 0);
	EXPECT(c.memory_mib == 512);
	EXPECT(!strcmp(c.cmdline, "a b"));
	EXPECT(!strcmp(c.name, "b"));
	EXPECT(domus_config_get(&c, "pci")->value->nitems == 3);
	/* xl keeps numbers as strings: += joins them (xldiff found it) */
	EXPECT(domus_config_apply(&c, "memory+=1", err, sizeof(err)) == 0);
	EXPECT(!strcmp(domus_config_get(&c, "memory")->value->str, "5121"));
	EXPECT(domus_config_get(&c, "memory")->value->type == DOMUS_CFG_NUMBER);
	EXPECT(domus_config_apply(&c, "memory+='2'", err, sizeof(err)) == 0);
	EXPECT(domus_config_get(&c, "memory")->value->type == DOMUS_CFG_STRING);
	EXPECT(domus_config_apply(&c, "memory+=[1]", err, sizeof(err)) == -1);
	EXPECT(err_has("command line:1: memory: += appends a list to a list"));
	EXPECT(domus_config_apply(&c, "pci+='x'", err, sizeof(err)) == -1);
	EXPECT(err_has("command line:1: pci: += appends a list to a list"));
	EXPECT(domus_config_apply(&c, "vcpus", err, sizeof(err)) == -1);
	EXPECT(err_has("command line:1: vcpus: expected '='"));
	domus_config_free(&c);
}

/* Each bad input gives one line: file:line, the key, the fix. */
static void test_errors(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "kernel='k'\n", "t.cfg: name: missing: add name = \"NAME\"" },
		{ "name='a'\n", "t.cfg: kernel: missing: add kernel = " },
		{ "name='a'\nkernel=''\n", "t.cfg:2: kernel: empty" },
		{ "name='a b'\nkernel='k'\n", "t.cfg:1: name: \"a b\" is not a usable name" },
		{ "name='../x'\nkernel='k'\n", "is not a usable name" },
		{ "name='123'\nkernel='k'\n", "is not a usable name" },
		{ "name='Domain-0'\nkernel='k'\n", "Domain-0 is the host" },
		{ "name='a'\nkernel='k'\nmemory=99999999\n", "t.cfg:3: memory: 99999999 is out of range: give 2 to 3840 MiB" },
		{ "name='a'\nkernel='k'\nmemory=1\n", "t.cfg:3: memory: 1 is out of range" },
		/* xl's number token is [0-9][0-9a-fx]*: the rest is an error there too */
		{ "name='a'\nkernel='k'\nmemory=512M\n", "t.cfg:3: memory: \"512M\" is not a number: numbers are digits, 0x and lower-case hex digits" },
		{ "name='a'\nkernel='k'\nmemory=0x1F\n", "t.cfg:3: memory: \"0x1F\" is not a number" },
		{ "name='a'\nkernel='k'\nmemory=1.5\n", "t.cfg:3: memory: \"1.5\" is not a number" },
		{ "name='a'\nkernel='k'\nx=1_000\n", "t.cfg:3: x: \"1_000\" is not a number" },
		{ "name='a'\nkernel='k'\nmemory=0x1fg\n", "t.cfg:3: memory: \"0x1fg\" is not a number" },
		{ "name='a'\nkernel='k'\nmemory=0xfff0\n", "t.cfg:3: memory: 65520 is out of range" },
		{ "name='a'\nkernel='k'\nmemory='x'\n", "is not a number" },
		{ "name='a'\nkernel='k'\nmemory=99999999999999999999999\n", "is not a number" },
		{ "name='a'\nkernel='k'\nmemory=[1]\n", "t.cfg:3: memory: expected a number, not a list" },
		{ "name='a'\nkernel='k'\nvcpus=0\n", "t.cfg:3: vcpus: 0 is out of range: give 1 to 64" },
		{ "name='a'\nkernel='k'\nmax_grant_version=3\n", "t.cfg:3: max_grant_version: 3 is out of range: give 1 to 2" },
		{ "name='a'\nkernel='k'\nvcpus=4\nmaxvcpus=2\n", "t.cfg:4: maxvcpus: 2 is below vcpus = 4" },
		{ "name='a'\nkernel=['k']\n", "t.cfg:2: kernel: expected a string, not a list" },
		{ "name='a'\nkernel='k'\ntype='xen'\n", "t.cfg:3: type: unknown type \"xen\"" },
		{ "name='a'\nkernel='k'\non_crash='explode'\n", "t.cfg:3: on_crash: unknown action \"explode\": use destroy, restart, preserve" },
		{ "name = \"abc\n", "t.cfg:1: name: unterminated string: add the closing \"" },
		{ "name = 'abc", "t.cfg:1: name: unterminated string" },
		{ "name = 'a\\qb'\n", "t.cfg:1: name: unknown escape \\q" },
		{ "name = 'a\\x4'\n", "\\x needs two hex digits" },
		{ "name = 'a\\0'\n", "NUL byte inside a string" },
		{ "\n\ndisk = [ 'a',\n 'b'\n", "t.cfg:5: disk: unterminated list: add the ']' for the list opened on line 3" },
		{ "disk = [ 'a' 'b' ]\n", "t.cfg:1: disk: expected ',' or ']'" },
		{ "name = abc\n", "t.cfg:1: name: unquoted word: strings need quotes, e.g. name = \"abc\"" },
		{ "name = \n", "t.cfg:1: name: no value" },
		{ "name\n", "t.cfg:1: name: expected '=' after the key" },
		{ "Name = 'a'\n", "t.cfg:1: syntax error at 'N'" },
		{ "= 'a'\n", "t.cfg:1: syntax error at '='" },
		{ "name = 'a' 'b'\n", "t.cfg:1: name: unexpected text after the value" },
		{ "name = 'a'\n\x01\n", "t.cfg:2: syntax error at byte 0x01" },
		{ "name = @\n", "t.cfg:1: name: unexpected '@'" },
		{ "name='a'\nkernel='k'\nuuid='6f0e4b2a-1111-4222-8333-123456789ab'\n", "t.cfg:3: uuid: \"6f0e4b2a-1111-4222-8333-123456789ab\" is not a UUID" },
		{ "name='a'\nkernel='k'\nuuid='6f0e4b2a-1111-4222-8333x123456789abc'\n", "is not a UUID" },
		{ "name='a'\nkernel='k'\nuuid='6f0e4b2a-1111-4222-8333-123456789abg'\n", "is not a UUID" },
		{ "name='a'\nkernel='k'\nuuid='00000000-0000-0000-0000-000000000000'\n", "not all zero" },
		{ "name='a'\nkernel='k'\nuuid=7\n", "t.cfg:3: uuid: \"7\" is not a UUID" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domus_config c;
		int r = cfg(&c, cases[i].text);

		if (r != -1 || !err_has(cases[i].want) || strchr(err, '\n')) {
			printf("  case %zu: r=%d err '%s', want '%s'\n", i, r, err, cases[i].want);
			unit_cur_failed = 1;
		}
		domus_config_free(&c);
	}
}

/* uuid: kept (in lower case) when given, else a fresh version-4 one per parse */
static void test_uuid(void)
{
	struct domus_config a, b;
	size_t i;

	EXPECT(cfg(&a, "name='a'\nkernel='k'\nuuid='6F0E4B2A-1111-4222-8333-123456789ABC'\n") == 0);
	EXPECT(a.uuid && !strcmp(a.uuid, "6f0e4b2a-1111-4222-8333-123456789abc"));
	domus_config_free(&a);
	EXPECT(cfg(&a, "name='a'\nkernel='k'\n") == 0);
	EXPECT(cfg(&b, "name='a'\nkernel='k'\n") == 0);
	EXPECT(a.uuid && b.uuid && strlen(a.uuid) == 36 && strcmp(a.uuid, b.uuid));
	for (i = 0; a.uuid && i < 36; i++)
		EXPECT(i == 8 || i == 13 || i == 18 || i == 23 ? a.uuid[i] == '-' :
		       strchr("0123456789abcdef", a.uuid[i]) != NULL);
	EXPECT(a.uuid && a.uuid[14] == '4' && strchr("89ab", a.uuid[19]));
	domus_config_free(&a);
	domus_config_free(&b);
}

/* A xen-tools config of the Xen 3.x era: builder 'linux', numbers as
 * strings, console=xvc0 (mapped to hvc0 with one warning) */
static void test_xen3_config(void)
{
	struct domus_config c;

	EXPECT(cfg(&c, "kernel = '/boot/vmlinuz'\nbuilder = 'linux'\nmemory = '128'\nvcpus = '1'\n"
		   "root = '/dev/xvda2 ro'\nname = 'web1'\nextra = '2 console=xvc0'\n"
		   "disk = [ 'tap:aio:/i.img,xvda2,w', 'tap:aio:/s.img,xvda1,w' ]\n"
		   "vif = [ 'ip=192.168.1.10,mac=00:16:3e:00:00:01' ]\non_crash = 'restart'\n") == 0);
	EXPECT(c.type == DOMUS_TYPE_PVH && c.memory_mib == 128 && c.vcpus == 1);
	EXPECT(c.cmdline && !strcmp(c.cmdline, "root=/dev/xvda2 ro 2 console=hvc0"));
	EXPECT(c.warnings && strstr(c.warnings, "t.cfg:2: note: builder \"linux\" (PV)") &&
	       strstr(c.warnings, "t.cfg:7: warning: console=xvc0"));
	EXPECT(c.ndisks == 2 && c.nvifs == 1);
	domus_config_free(&c);
	/* only a whole console=xvc0 word is mapped */
	EXPECT(cfg(&c, "kernel = 'k'\nname = 'a'\ntype = 'pvh'\nextra = 'xconsole=xvc0'\n") == 0);
	EXPECT(c.cmdline && !strcmp(c.cmdline, "xconsole=xvc0") && !c.warnings);
	domus_config_free(&c);
}

static void test_nul_in_file(void)
{
	struct domus_config c;
	const char t[] = "name = 'a'\0\nkernel='k'\n";

	domus_config_init(&c);
	EXPECT(domus_config_parse(&c, t, sizeof(t) - 1, "t.cfg", err, sizeof(err)) == -1);
	EXPECT(err_has("t.cfg:1: name: unexpected text after the value") || err_has("byte 0x00"));
	domus_config_free(&c);
}

/*
 * The text need not be NUL-terminated: an unquoted word at its very end
 * is quoted in the error without reading past it (found by the libFuzzer
 * target tests/fuzz/xlcfg.c; ASan saw the read in the -san build).
 */
static void test_unterminated_text(void)
{
	static const char t[] = "name = word";
	struct domus_config c;
	char *buf = malloc(sizeof(t) - 1);	/* exactly the text, no NUL */

	memcpy(buf, t, sizeof(t) - 1);
	domus_config_init(&c);
	EXPECT(domus_config_parse(&c, buf, sizeof(t) - 1, "t.cfg", err, sizeof(err)) == -1);
	EXPECT(err_has("t.cfg:1: name: unquoted word: strings need quotes, e.g. name = \"word\""));
	domus_config_free(&c);
	free(buf);
}

static void test_load_file(void)
{
	struct domus_config c;
	char path[] = "/tmp/domus-test-config-XXXXXX";
	int fd = mkstemp(path);
	const char *t = "name = \"f\"\nkernel = \"/k\"\nmemory = 64\n";

	EXPECT(fd >= 0);
	if (fd < 0)
		return;
	EXPECT(write(fd, t, strlen(t)) == (ssize_t)strlen(t));
	close(fd);
	domus_config_init(&c);
	EXPECT(domus_config_load(&c, path, err, sizeof(err)) == 0);
	EXPECT(domus_config_finish(&c, err, sizeof(err)) == 0);
	EXPECT(c.memory_mib == 64 && !strcmp(c.name, "f"));
	domus_config_free(&c);
	unlink(path);
	domus_config_init(&c);
	EXPECT(domus_config_load(&c, path, err, sizeof(err)) == -1);
	EXPECT(err_has("cannot open the config file"));
	domus_config_free(&c);
	domus_config_init(&c);
	EXPECT(domus_config_load(&c, "/tmp", err, sizeof(err)) == -1);
	EXPECT(err_has("not a regular file"));
	domus_config_free(&c);
}

/* --- hostile input ------------------------------------------------------- */

static void test_huge_line(void)
{
	struct domus_config c;
	size_t n = DOMUS_CFG_MAX_FILE - 64, i;
	char *t = malloc(n + 1);

	if (!t)
		return;
	/* a string just above the per-string limit */
	memcpy(t, "extra = \"", 9);
	for (i = 9; i < (size_t)DOMUS_CFG_MAX_STRING + 100; i++)
		t[i] = 'x';
	t[i++] = '"';
	t[i] = 0;
	EXPECT(cfg(&c, t) == -1 && err_has("t.cfg:1: extra: string longer than"));
	domus_config_free(&c);
	/* a line of a million digits */
	memset(t, '1', n);
	memcpy(t, "memory = ", 9);
	t[n] = 0;
	EXPECT(cfg(&c, t) == -1 && err_has("number longer than"));
	domus_config_free(&c);
	/* a key of a million letters */
	memset(t, 'a', n);
	t[n] = 0;
	EXPECT(cfg(&c, t) == -1 && err_has("key longer than"));
	domus_config_free(&c);
	/* a list of 100,000 elements is fine */
	{
		size_t k = 0;

		k += sprintf(t + k, "name='a'\nkernel='k'\npci = [");
		for (i = 0; i < 100000; i++)
			k += sprintf(t + k, "%s'd%zu'", i ? "," : "", i);
		sprintf(t + k, "]\n");
		EXPECT(cfg(&c, t) == 0);
		EXPECT(domus_config_get(&c, "pci") && domus_config_get(&c, "pci")->value->nitems == 100000);
		domus_config_free(&c);
	}
	free(t);
	/* too large a file */
	t = calloc(1, DOMUS_CFG_MAX_FILE + 2);
	if (!t)
		return;
	memset(t, '\n', DOMUS_CFG_MAX_FILE + 1);
	domus_config_init(&c);
	EXPECT(domus_config_parse(&c, t, DOMUS_CFG_MAX_FILE + 1, "t.cfg", err, sizeof(err)) == -1);
	EXPECT(err_has("larger than"));
	domus_config_free(&c);
	free(t);
}

static void test_deep_lists(void)
{
	struct domus_config c;
	char t[200000];
	size_t i, k = 0;

	k += sprintf(t, "disk = ");
	for (i = 0; i < 50000; i++)
		t[k++] = '[';
	t[k] = 0;
	EXPECT(cfg(&c, t) == -1 && err_has("t.cfg:1: disk: lists nested more than 8 deep"));
	domus_config_free(&c);
	k = sprintf(t, "name='a'\nkernel='k'\npci = ");
	for (i = 0; i < DOMUS_CFG_MAX_DEPTH; i++)
		t[k++] = '[';
	for (i = 0; i < DOMUS_CFG_MAX_DEPTH; i++)
		t[k++] = ']';
	t[k] = 0;
	EXPECT(cfg(&c, t) == 0);
	domus_config_free(&c);
}

static void test_many_keys(void)
{
	struct domus_config c;
	char *t = malloc(64 * 2000);
	size_t k = 0, i;

	if (!t)
		return;
	for (i = 0; i < 2000; i++)
		k += sprintf(t + k, "k%zu = %zu\n", i, i);
	EXPECT(cfg(&c, t) == -1 && err_has("more than 1024 keys"));
	domus_config_free(&c);
	free(t);
}

/* Random mutations of a valid file never crash and always give one line. */
static void test_fuzz(void)
{
	static const char base[] =
		"name = \"fz\"\nmemory = 256\nvcpus = 1\nkernel = '/boot/vmlinuz'\n"
		"disk = [ 'phy:/dev/x,xvda,w' ]\npci = [ [ 'n', 1 ], ]\nextra = \"a\\tb\\x41\\101\"\n"
		"on_crash = 'preserve' # c\n";
	static const char alphabet[] = "[]'\",=+#;\n\\x0aZ \t";
	char buf[sizeof(base) + 16];
	unsigned int seed = 12345, iter;
	unsigned int ok = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct domus_config c;
		size_t len = sizeof(base) - 1, m, nmut;

		memcpy(buf, base, len);
		seed = seed * 1103515245 + 12345;
		nmut = 1 + (seed >> 16) % 4;
		for (m = 0; m < nmut; m++) {
			size_t pos;

			if (len == 0)
				break;
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 16) % len;
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % 3) {
			case 0: buf[pos] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)]; break;
			case 1: buf[pos] = (char)(seed >> 8); break;
			default: len = pos; break;	/* truncate */
			}
		}
		domus_config_init(&c);
		err[0] = 0;
		if (domus_config_parse(&c, buf, len, "f.cfg", err, sizeof(err)) == 0 &&
		    domus_config_finish(&c, err, sizeof(err)) == 0) {
			ok++;
		} else if (!err[0] || strchr(err, '\n')) {
			printf("  iteration %u: error '%s' is not one line\n", iter, err);
			unit_cur_failed = 1;
		}
		domus_config_free(&c);
	}
	EXPECT(ok > 0 && ok < 20000);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_minimal);
	RUN(UNIT_PREFIX, test_full);
	RUN(UNIT_PREFIX, test_cmdline_wins);
	RUN(UNIT_PREFIX, test_lists_kept);
	RUN(UNIT_PREFIX, test_maxmem_cpus);
	RUN(UNIT_PREFIX, test_type_pv);
	RUN(UNIT_PREFIX, test_type_hvm);
	RUN(UNIT_PREFIX, test_later_settings);
	RUN(UNIT_PREFIX, test_errors);
	RUN(UNIT_PREFIX, test_uuid);
	RUN(UNIT_PREFIX, test_xen3_config);
	RUN(UNIT_PREFIX, test_nul_in_file);
	RUN(UNIT_PREFIX, test_unterminated_text);
	RUN(UNIT_PREFIX, test_load_file);
	RUN(UNIT_PREFIX, test_huge_line);
	RUN(UNIT_PREFIX, test_deep_lists);
	RUN(UNIT_PREFIX, test_many_keys);
	RUN(UNIT_PREFIX, test_fuzz);
	return unit_failed;
}
