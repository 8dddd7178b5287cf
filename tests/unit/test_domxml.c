// SPDX-License-Identifier: MIT
/*
 * The domain XML -> xl.cfg conversion (userland/domusd/domxml_in.c) and
 * the definition store (store.c): a full document read into a
 * definition, the round trip definition -> XML -> definition, the uuid
 * kept or supplied, libvirt's size units, hostile and unsupported
 * documents refused with the right code and the element named, and the
 * store's files, uuids and autostart links in a scratch CONF_DIR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ctl.h"
#include "rpc.h"
#include "unit.h"
#include "xlcfg.h"

static const char full[] =
	"<domain type='xen'>\n"
	"  <name>web</name>\n"
	"  <uuid>5A1C2F00-1234-4abc-8def-0123456789ab</uuid>\n"
	"  <description>kept out</description>\n"
	"  <memory unit='MiB'>256</memory>\n"
	"  <currentMemory>131072</currentMemory>\n"
	"  <vcpu placement='static' current='1' cpuset='0-1'>2</vcpu>\n"
	"  <os><type arch='x86_64' machine='xenpvh'>xenpvh</type><kernel>/boot/vmlinuz</kernel>"
	"<initrd>/boot/initrd.img</initrd><cmdline>console=hvc0 a=\"b\" &amp; \\x</cmdline><boot dev='hd'/></os>\n"
	"  <on_poweroff>destroy</on_poweroff><on_reboot>preserve</on_reboot><on_crash>rename-restart</on_crash>\n"
	"  <devices>\n"
	"    <disk type='block' device='disk'><driver name='domus' type='raw'/><source dev='/dev/vg/web,1'/>"
	"<target dev='xvda' bus='xen'/></disk>\n"
	"    <disk type='file' device='cdrom'><target dev='xvdc'/><readonly/></disk>\n"
	"    <interface type='bridge'><mac address='00:16:3e:5a:00:01'/><source bridge='br7'/>"
	"<ip address='10.1.2.3'/><ip address='10.1.2.4'/><target dev='vweb'/><model type='netfront'/><script path='vif-bridge'/></interface>\n"
	"    <console type='pty'><target type='xen' port='0'/></console>\n"
	"  </devices>\n"
	"</domain>\n";

static int conv(const char *xml, const char *uuid, struct domus_config *cfg, int *code, char *err, size_t len)
{
	return domusd_xml_to_config(xml, strlen(xml), uuid, cfg, code, err, len);
}

static void xml_full(void)
{
	struct domus_config c;
	char err[512];
	int code = -1;

	EXPECT(conv(full, NULL, &c, &code, err, sizeof(err)) == 0);
	if (code)
		printf("  %s\n", err);
	EXPECT(code == 0);
	EXPECT(!strcmp(c.name, "web"));
	EXPECT(c.uuid && !strcmp(c.uuid, "5a1c2f00-1234-4abc-8def-0123456789ab"));
	EXPECT(c.memory_mib == 128 && c.maxmem_mib == 256);
	EXPECT(c.vcpus == 1 && c.maxvcpus == 2 && c.cpus != NULL);
	EXPECT(c.type == DOMUS_TYPE_PVH);
	EXPECT(c.kernel && !strcmp(c.kernel, "/boot/vmlinuz") && c.ramdisk && !strcmp(c.ramdisk, "/boot/initrd.img"));
	EXPECT(c.cmdline && !strcmp(c.cmdline, "console=hvc0 a=\"b\" & \\x"));
	EXPECT(c.on_poweroff == DOMUS_ACTION_DESTROY && c.on_reboot == DOMUS_ACTION_PRESERVE &&
	       c.on_crash == DOMUS_ACTION_RESTART);
	EXPECT(c.ndisks == 2);
	EXPECT(c.disks[0].target && !strcmp(c.disks[0].target, "/dev/vg/web,1") && !strcmp(c.disks[0].vdev, "xvda") &&
	       !c.disks[0].readonly);
	EXPECT(!c.disks[1].target && c.disks[1].cdrom && c.disks[1].readonly && !strcmp(c.disks[1].vdev, "xvdc"));
	EXPECT(c.nvifs == 1);
	if (c.nvifs == 1) {
		char mac[18];

		domus_mac_format(c.vifs[0].mac, mac);
		EXPECT(!strcmp(mac, "00:16:3e:5a:00:01") && !strcmp(c.vifs[0].bridge, "br7") &&
		       !strcmp(c.vifs[0].vifname, "vweb") && c.vifs[0].nips == 2 && c.vifs[0].ips[1] == 0x0a010204);
	}
	domus_config_free(&c);
}

/* no <currentMemory>: the domain gets all of <memory>, as under libvirt */
static void xml_memory_only(void)
{
	static const char doc[] =
		"<domain type='xen'><name>small</name><memory unit='MiB'>64</memory>"
		"<os><type>xenpvh</type><kernel>/boot/vmlinuz</kernel></os></domain>";
	struct domus_config c;
	char err[512];
	int code = -1;

	EXPECT(conv(doc, NULL, &c, &code, err, sizeof(err)) == 0);
	if (code)
		printf("  %s\n", err);
	EXPECT(code == 0);
	EXPECT(c.memory_mib == 64 && c.maxmem_mib == 64);
	domus_config_free(&c);
}

/* definition -> XML -> definition gives the same xl.cfg text */
static void roundtrip(void)
{
	struct domus_config a, b;
	char err[512], *ta = NULL, *tb = NULL, *xml = NULL;
	int code;

	EXPECT(conv(full, NULL, &a, &code, err, sizeof(err)) == 0);
	ta = domusd_config_xl_text(&a);
	xml = domusd_domain_xml(&a, -1, 0);
	EXPECT(ta && xml);
	if (xml) {
		EXPECT(conv(xml, NULL, &b, &code, err, sizeof(err)) == 0);
		if (code)
			printf("  %s\n%s\n", err, xml);
		tb = domusd_config_xl_text(&b);
		EXPECT(tb && ta && !strcmp(ta, tb));
		if (tb && ta && strcmp(ta, tb))
			printf("--- first\n%s--- again\n%s", ta, tb);
		domus_config_free(&b);
	}
	free(ta);
	free(tb);
	free(xml);
	domus_config_free(&a);
}

static void uuid_kept_or_given(void)
{
	static const char nouuid[] = "<domain type='domus'><name>n</name><os><kernel>/k</kernel></os></domain>";
	const char *given = "11111111-2222-4333-8444-555555555555";
	struct domus_config c;
	char err[256];
	int code;

	EXPECT(conv(nouuid, given, &c, &code, err, sizeof(err)) == 0);
	EXPECT(c.uuid && !strcmp(c.uuid, given) && domus_config_get(&c, "uuid"));
	domus_config_free(&c);
	EXPECT(conv(nouuid, NULL, &c, &code, err, sizeof(err)) == 0);
	EXPECT(!domus_config_get(&c, "uuid"));	/* not written down: finishing made a random one */
	domus_config_free(&c);
	EXPECT(conv(full, given, &c, &code, err, sizeof(err)) == 0);
	EXPECT(c.uuid && !strcmp(c.uuid, "5a1c2f00-1234-4abc-8def-0123456789ab"));
	domus_config_free(&c);
}

static void units(void)
{
	static const struct { const char *mem; unsigned long long mib; } t[] = {
		{ "<memory unit='GiB'>1</memory>", 1024 }, { "<memory>1048576</memory>", 1024 },
		{ "<memory unit='KiB'>1048577</memory>", 1025 }, { "<memory unit='bytes'>300000001</memory>", 287 },
		{ "<memory unit='MB'>1000</memory>", 954 }, { "<memory unit='M'>300</memory>", 300 },
		{ "<memory unit='k'>262144</memory>", 256 }, { "<memory unit='G'>2</memory>", 2048 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct domus_config c;
		char xml[256], err[256];
		int code;

		snprintf(xml, sizeof(xml), "<domain type='xen'><name>u</name>%s<os><kernel>/k</kernel></os></domain>", t[i].mem);
		EXPECT(conv(xml, NULL, &c, &code, err, sizeof(err)) == 0);
		if (c.maxmem_mib != t[i].mib)
			printf("  %s: %llu MiB, want %llu\n", t[i].mem, (unsigned long long)c.maxmem_mib, t[i].mib);
		EXPECT(c.maxmem_mib == t[i].mib);
		domus_config_free(&c);
	}
}

static void refused(void)
{
	static const struct { const char *xml; int code; const char *says; } t[] = {
		{ "<domain type='xen'><name>x</name>", VIR_ERR_XML_ERROR, "XML error: line" },
		{ "", VIR_ERR_XML_ERROR, "XML error" },
		{ "<vm type='xen'/>", VIR_ERR_XML_ERROR, "root element is <vm>" },
		{ "<domain type='kvm'><name>x</name></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "<domain type='kvm'>" },
		{ "<domain><name>x</name></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "<domain type=''>" },
		{ "<domain type='xen'><uuid>6bc1814c-5705-5b6e-af99-104b91962282</uuid></domain>", VIR_ERR_XML_ERROR, "no <name>" },
		{ "<domain type='xen'><name>x</name><clock/></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "the element <clock> in <domain>" },
		{ "<domain type='xen'><name>x</name><devices><graphics/></devices></domain>", VIR_ERR_CONFIG_UNSUPPORTED,
		  "the device <graphics> in <devices>" },
		{ "<domain type='xen'><name>x</name><memory>-1</memory></domain>", VIR_ERR_XML_ERROR, "<memory> '-1'" },
		{ "<domain type='xen'><name>x</name><memory unit='parsec'>1</memory></domain>", VIR_ERR_XML_ERROR, "unit parsec" },
		{ "<domain type='xen'><name>x</name><memory unit='TiB'>99999999999</memory></domain>", VIR_ERR_XML_ERROR, "not a size" },
		{ "<domain type='xen'><name>x</name><vcpu>two</vcpu></domain>", VIR_ERR_XML_ERROR, "<vcpu>" },
		{ "<domain type='xen'><name>x</name><vcpu current='3'>2</vcpu></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "vcpus" },
		{ "<domain type='xen'><name>x</name><os><type>exe</type></os></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "<os><type>exe" },
		{ "<domain type='xen'><name>x</name><os><type arch='aarch64'>hvm</type></os></domain>", VIR_ERR_CONFIG_UNSUPPORTED,
		  "arch other than x86_64 of <type> in <os>" },
		{ "<domain type='xen'><name>x</name><os><loader/></os></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "<loader> in <os>" },
		{ "<domain type='xen'><name>x</name><on_crash>coredump-destroy</on_crash></domain>", VIR_ERR_CONFIG_UNSUPPORTED,
		  "<on_crash>coredump-destroy" },
		{ "<domain type='xen'><name>x</name><devices><disk type='network'/></devices></domain>", VIR_ERR_CONFIG_UNSUPPORTED,
		  "<disk type='network'>" },
		{ "<domain type='xen'><name>x</name><devices><disk><driver type='qcow2'/><source file='/a'/><target dev='xvda'/></disk></devices></domain>",
		  VIR_ERR_CONFIG_UNSUPPORTED, "<driver type='qcow2'>" },
		{ "<domain type='xen'><name>x</name><devices><disk><source file='/a'/></disk></devices></domain>",
		  VIR_ERR_XML_ERROR, "<target dev='xvdX'/>" },
		{ "<domain type='xen'><name>x</name><devices><disk><source file='/a'/><target dev='xvda,w'/></disk></devices></domain>",
		  VIR_ERR_XML_ERROR, "<target dev='xvdX'/>" },
		{ "<domain type='xen'><name>x</name><devices><disk><target dev='xvda'/></disk></devices></domain>",
		  VIR_ERR_XML_ERROR, "needs <source" },
		{ "<domain type='xen'><name>x</name><devices><interface type='network'/></devices></domain>",
		  VIR_ERR_CONFIG_UNSUPPORTED, "<interface type='network'>" },
		{ "<domain type='xen'><name>x</name><devices><interface type='bridge'><mac address='a,b=c'/></interface></devices></domain>",
		  VIR_ERR_XML_ERROR, "<interface><mac>" },
		{ "<domain type='xen'><name>x</name><devices><interface type='bridge'><mac address='zz'/></interface></devices></domain>",
		  VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration" },
		{ "<domain type='xen'><name>x</name><devices><interface type='bridge'><model type='e1000'/></interface></devices></domain>",
		  VIR_ERR_CONFIG_UNSUPPORTED, "<model type='e1000'>" },
		{ "<domain type='xen'><name>x</name><devices><console type='tcp'/></devices></domain>",
		  VIR_ERR_CONFIG_UNSUPPORTED, "<console> in <devices>" },
		{ "<domain type='xen'><name>bad name</name></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "name" },
		{ "<domain type='xen'><name>x</name><uuid>nope</uuid></domain>", VIR_ERR_CONFIG_UNSUPPORTED, "not a UUID" },
		/* an external entity is not loaded: the name is not the file */
		{ "<!DOCTYPE domain [<!ENTITY e SYSTEM '/etc/hostname'>]><domain type='xen'><name>&e;</name></domain>",
		  VIR_ERR_XML_ERROR, "no <name>" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct domus_config c;
		char err[512] = "";
		int code = 0, r = conv(t[i].xml, NULL, &c, &code, err, sizeof(err));

		if (r != -1 || code != t[i].code || !strstr(err, t[i].says))
			printf("  %zu: %s -> %d code %d '%s'\n", i, t[i].xml, r, code, err);
		EXPECT(r == -1 && code == t[i].code && strstr(err, t[i].says));
		EXPECT(!strchr(err, '\n'));
		if (!r)
			domus_config_free(&c);
	}
}

static int two(struct domus_dominfo **out)
{
	struct domus_dominfo *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	snprintf(v->name, sizeof(v->name), "run");
	v->id = 4;
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-4000-8000-000000000004");
	*out = v;
	return 1;
}

static void store(void)
{
	static const struct domusd_backend be = { .list = two };
	char dir[] = "/tmp/test_domxml.XXXXXX", path[512], err[256], u1[37], u2[37];
	struct domus_dominfo *v = NULL;
	struct domus_config c;
	struct stat st;
	int n;

	EXPECT(mkdtemp(dir) != NULL);
	setenv("DOMUS_CONF_DIR", dir, 1);
	unsetenv("DOMUS_AUTO_DIR");
	EXPECT(domusd_def_write("off", "name = \"off\"\nmemory = 96\nkernel = \"/k\"\n", err, sizeof(err)) == 0);
	EXPECT(domusd_def_write("run", "name = \"run\"\n", err, sizeof(err)) == 0);
	EXPECT(domusd_def_write("../x", "", err, sizeof(err)) == -1);
	EXPECT(domusd_def_exists("off") && !domusd_def_exists("nosuch"));
	snprintf(path, sizeof(path), "%s/off.cfg", dir);
	EXPECT(!stat(path, &st) && (st.st_mode & 0777) == 0644);
	/* a backup and a hidden file are not definitions */
	snprintf(path, sizeof(path), "%s/.hid.cfg", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/off.cfg~", dir);
	fclose(fopen(path, "w"));
	n = domusd_domains(&be, &v);
	EXPECT(n == 2);
	if (n == 2) {
		EXPECT(!strcmp(v[0].name, "run") && v[0].id == 4);
		EXPECT(!strcmp(v[1].name, "off") && v[1].id == DOMUSD_INACTIVE && v[1].mem_mib == 96 && !v[1].state[0]);
		/* no uuid in the file: the one made from the name, the same each time */
		domusd_name_uuid("off", u1);
		EXPECT(!strcmp(v[1].uuid, u1));
		domusd_name_uuid("offf", u2);
		EXPECT(strcmp(u1, u2) && u1[14] == '4');
	}
	free(v);
	EXPECT(domusd_def_load("off", &c, err, sizeof(err)) == 0 && c.memory_mib == 96);
	domus_config_free(&c);
	EXPECT(!domusd_autostart_get("off"));
	EXPECT(domusd_autostart_set("off", true) == 0 && domusd_autostart_get("off"));
	snprintf(path, sizeof(path), "%s/auto/off.cfg", dir);
	EXPECT(!lstat(path, &st) && S_ISLNK(st.st_mode));
	EXPECT(domusd_def_remove("off") == 0 && !domusd_def_exists("off") && !domusd_autostart_get("off"));
	EXPECT(domusd_def_remove("off") == -ENOENT);
	domusd_def_remove("run");
	snprintf(path, sizeof(path), "%s/.hid.cfg", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/off.cfg~", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/auto", dir);
	rmdir(path);
	EXPECT(rmdir(dir) == 0);
	unsetenv("DOMUS_CONF_DIR");
}

int main(void)
{
	RUN(UNIT_PREFIX, xml_full);
	RUN(UNIT_PREFIX, xml_memory_only);
	RUN(UNIT_PREFIX, roundtrip);
	RUN(UNIT_PREFIX, uuid_kept_or_given);
	RUN(UNIT_PREFIX, units);
	RUN(UNIT_PREFIX, refused);
	RUN(UNIT_PREFIX, store);
	return unit_failed;
}
