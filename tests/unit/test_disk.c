// SPDX-License-Identifier: MIT
/*
 * Unit tests for xl disk specifications (userland/config/disk.c): every
 * form of issue 12 (tap:aio:, tap2:aio:, file:, phy:, key=value with
 * target=/vdev=/access=/format=raw/devtype=cdrom), virtual-device numbers
 * (pv-devices.md §1.5), the one-line errors, and disk = [...] through the
 * whole config (duplicates, limits, file:line in messages).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "unit.h"
#include "unit_cfg.h"

static char err[512];

static void test_vdev_numbers(void)
{
	static const struct { const char *name; uint32_t nr; } ok[] = {
		{ "xvda", 51712 }, { "xvda1", 51713 }, { "xvda2", 51714 }, { "xvdb", 51728 },
		{ "xvdc", 51744 }, { "xvdp", 51952 }, { "xvda15", 51727 },
		{ "xvdq", 268439552 }, { "xvdaa", 268442112 }, { "xvda16", (1u << 28) | 16 },
		{ "xvdtq", (1u << 28) | (536u << 8) },
		{ "hda", 768 }, { "hda1", 769 }, { "hdb", 832 }, { "hdc", 5632 }, { "hdd", 5696 },
		{ "sda", 2048 }, { "sdb3", 2067 }, { "sdp", 2288 },
	};
	static const char *const bad[] = {
		"", "xvd", "xvdA", "xvda0x", "xvda01", "xvda256", "vda", "hde", "sdq", "hda64", "sda16",
		"xvd1", "51712", "xvda-1", "hd", "sd",
	};
	size_t i;
	uint32_t nr;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		nr = 0;
		EXPECT(domus_vdev_number(ok[i].name, &nr) == 0);
		if (nr != ok[i].nr)
			printf("  %s: %u, expected %u\n", ok[i].name, nr, ok[i].nr);
		EXPECT(nr == ok[i].nr);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (domus_vdev_number(bad[i], &nr) == 0)
			printf("  '%s' was accepted\n", bad[i]);
		EXPECT(domus_vdev_number(bad[i], &nr) < 0);
	}
	EXPECT(domus_vdev_number("hde", &nr) == -ERANGE);
}

static void test_forms(void)
{
	static const struct {
		const char *spec, *target, *vdev;
		bool ro, cdrom;
	} t[] = {
		{ "tap:aio:/srv/img,xvda2,w", "/srv/img", "xvda2", false, false },
		{ "tap2:aio:/srv/img,xvdb,w", "/srv/img", "xvdb", false, false },
		{ "file:/srv/a b.img,xvda,w", "/srv/a b.img", "xvda", false, false },
		{ "phy:/dev/vg/lv,xvdb,w", "/dev/vg/lv", "xvdb", false, false },
		{ "phy:/dev/vg/lv,xvdb,r", "/dev/vg/lv", "xvdb", true, false },
		{ "/srv/img,raw,xvdc,ro", "/srv/img", "xvdc", true, false },
		{ "/srv/img,,xvdc,rw", "/srv/img", "xvdc", false, false },
		{ "/srv/img,,hdc:cdrom,r", "/srv/img", "hdc", true, true },
		{ "/srv/img,xvda", "/srv/img", "xvda", false, false },
		{ "tap:tapdisk:aio:/i,xvda,w", "/i", "xvda", false, false },
		{ "vdev=xvda, access=rw, format=raw, target=/srv/x,y.img", "/srv/x,y.img", "xvda", false, false },
		{ "format=raw,vdev=xvdb,access=r,target=/srv/z", "/srv/z", "xvdb", true, false },
		{ "vdev=hdc,devtype=cdrom,target=/srv/cd.iso", "/srv/cd.iso", "hdc", true, true },
		{ "vdev=xvdd,access=w,backendtype=phy,discard,target=/dev/sdb", "/dev/sdb", "xvdd", false, false },
		{ "specification=xen,vdev=sda,target=/a", "/a", "sda", false, false },
		{ "vdev=xvda,access=,target=/a", "/a", "xvda", false, false },	/* as xl: the default */
		/* as xl, left to right: the later access wins */
		{ "/a,raw,xvda,w,access=r", "/a", "xvda", true, false },
		{ "access=r,/a,raw,xvda,w", "/a", "xvda", false, false },
		{ "/a,xvda,r,access=w", "/a", "xvda", false, false },
	};
	struct domus_disk d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = 0;
		if (domus_disk_parse(t[i].spec, &d, err, sizeof(err))) {
			printf("  '%s': %s\n", t[i].spec, err);
			unit_cur_failed = 1;
			continue;
		}
		if (!d.target || strcmp(d.target, t[i].target) || strcmp(d.vdev, t[i].vdev) ||
		    d.readonly != t[i].ro || d.cdrom != t[i].cdrom) {
			printf("  '%s': target '%s' vdev '%s' ro %d cdrom %d\n", t[i].spec,
			       d.target ? d.target : "(null)", d.vdev, d.readonly, d.cdrom);
			unit_cur_failed = 1;
		}
		domus_disk_free(&d);
	}
	/* an empty CD drive */
	EXPECT(domus_disk_parse(",,hdc:cdrom,r", &d, err, sizeof(err)) == 0 && !d.target && d.cdrom);
	domus_disk_free(&d);
	EXPECT(domus_disk_parse("/x,xvda,w,no-discard", &d, err, sizeof(err)) == 0 && d.no_discard);
	domus_disk_free(&d);
}

static void test_errors(void)
{
	static const struct { const char *spec, *msg; } t[] = {
		{ "/srv/img", "no virtual device: add one" },
		{ "tap:aio:/srv/img,xvdzzzzzz,w", "out of range" },
		{ "/srv/img,vda,w", "vdev 'vda' is not a device name: give xvda" },
		{ "/srv/img,xvda,x", "access 'x' is not r, ro, w or rw" },
		{ "relative.img,xvda,w", "is not an absolute path" },
		{ "tap:qcow2:/srv/img.qcow2,xvda,w", "only raw images are served: convert it" },
		{ "format=qcow2,vdev=xvda,target=/x", "only raw images are served" },
		{ "format=foo,vdev=xvda,target=/x", "format 'foo' is unknown: write format=raw" },
		{ "nbd:host:1234,xvda,w", "unknown prefix" },
		{ "vdev=xvda,script=block-iscsi,target=/x", "script= is not run by domus" },
		{ "vdev=xvda,color=blue,target=/x", "unknown key 'color'" },
		{ "vdev=xvda,devtype=floppy,target=/x", "devtype 'floppy'" },
		{ ",xvda,w", "no target: give the image or device path" },
		{ "/a,raw,xvda,w,extra", "too many fields" },
		{ "/a,xvda,w,target=/b", "two targets" },
		{ "/a,xvda:floppy,w", "only ':cdrom' or ':disk'" },
		/* as in xl (xldiff): target= has no prefix, vdev= no :cdrom */
		{ "vdev=xvdd,target=phy:/dev/sdb", "target 'phy:/dev/sdb': target= takes the path as it is, without a prefix (xl would look for a file named so): write target=/dev/sdb" },
		{ "vdev=xvdd,target=tap:aio:/srv/x", "write target=/srv/x" },
		{ "vdev=hdc:cdrom,target=/x.iso", "vdev 'hdc:cdrom': vdev= takes the device name only: write vdev=hdc,devtype=cdrom" },
		{ "vdev=xvdb:disk,target=/x", "write vdev=xvdb,devtype=disk" },
		{ "/x,raw,xvda,w,colo", "'colo' is not supported by domus: drop it" },
		{ "untrusted,vdev=xvda,target=/x", "'untrusted' is not supported" },
		{ "vdev=xvda,vdev=xvdb,target=/x", "vdev 'xvdb': the virtual device is given twice (already xvda): give it once" },
		{ "/x,xvda,w,vdev=xvdb", "given twice" },
		{ "vdev=xvda,backendtype=phy,backendtype=tap,target=/x", "backendtype 'tap': given twice: give it once" },
		{ "phy:/dev/x,raw,xvda,w", "'phy:/dev/x' has a prefix, which names the format: drop the format field" },
		{ "tap:aio:/x,,xvda,w", "has a prefix" },
		{ "tap:aio:/x,,w", "no virtual device" },
		{ "tap:qcow2:/x,qcow2,xvda,w", "has a prefix" },
	};
	struct domus_disk d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = 0;
		if (domus_disk_parse(t[i].spec, &d, err, sizeof(err)) == 0) {
			printf("  '%s' was accepted\n", t[i].spec);
			unit_cur_failed = 1;
			domus_disk_free(&d);
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

	EXPECT(cfg(&c, "name='a'\nkernel='/k'\ndisk = [ 'tap:aio:/i,xvda2,w',\n 'tap:aio:/s,xvda1,w', 'phy:/dev/vg/x,xvdb,r' ]\n") == 0);
	EXPECT(c.ndisks == 3 && c.disks[0].devid == 51714 && c.disks[1].devid == 51713 &&
	       c.disks[2].devid == 51728 && c.disks[2].readonly);
	EXPECT(c.disks[0].line == 3 && c.disks[1].line == 4);
	domus_config_free(&c);
	/* a single string is a list of one */
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\ndisk = 'file:/i,xvda,w'\n") == 0 && c.ndisks == 1);
	domus_config_free(&c);
	/* errors: file:line, key, entry, the problem and the fix */
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\n\ndisk = [ '/i,xvda,w', '/j,xvdb,q' ]\n") == -1);
	EXPECT(!strcmp(err, "t.cfg:4: disk: entry 2 '/j,xvdb,q': access 'q' is not r, ro, w or rw: write access=r or access=rw"));
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\ndisk = [ '/i,xvda,w', '/j,xvda,w' ]\n") == -1);
	EXPECT(strstr(err, "t.cfg:3: disk: entry 2: xvda is used twice (also by entry 1)") != NULL);
	domus_config_free(&c);
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\ndisk = [ [ '/i,xvda,w' ] ]\n") == -1);
	EXPECT(strstr(err, "entry 1 is not a string") != NULL);
	domus_config_free(&c);
	k = (size_t)sprintf(big, "name='a'\nkernel='/k'\ndisk = [");
	for (i = 0; i < DOMUS_CFG_MAX_DISKS + 1; i++)
		k += (size_t)sprintf(big + k, "'/i%zu,xvd%c,w',", i, (char)('a' + i));
	sprintf(big + k, "]\n");
	EXPECT(cfg(&c, big) == -1 && strstr(err, "at most 16 per domain"));
	domus_config_free(&c);
	/* a CD-ROM: a note, read-only */
	EXPECT(cfg(&c, "name='a'\nkernel='/k'\ndisk = [ '/cd.iso,,hdc:cdrom,r' ]\n") == 0);
	EXPECT(c.ndisks == 1 && c.disks[0].readonly && c.warnings && strstr(c.warnings, "t.cfg:3: note: disk hdc: a CD-ROM"));
	domus_config_free(&c);
}

/* Random byte strings never crash the parser and always give one line. */
static void test_random_specs(void)
{
	static const char alphabet[] = "/,=:xvdabhs0123rw!taptgeformat";
	unsigned int seed = 4242, iter;
	char spec[48];

	for (iter = 0; iter < 50000; iter++) {
		struct domus_disk d;

		unit_random_spec(&seed, alphabet, spec, sizeof(spec));
		err[0] = 0;
		if (domus_disk_parse(spec, &d, err, sizeof(err)) == 0) {
			uint32_t nr;

			EXPECT(domus_vdev_number(d.vdev, &nr) == 0 && nr == d.devid);
			EXPECT(!d.target || d.target[0] == '/');
			domus_disk_free(&d);
		} else if (!err[0] || strchr(err, '\n')) {
			printf("  '%s': error '%s' is not one line\n", spec, err);
			unit_cur_failed = 1;
		}
	}
}

int main(void)
{
	RUN(UNIT_PREFIX, test_vdev_numbers);
	RUN(UNIT_PREFIX, test_forms);
	RUN(UNIT_PREFIX, test_errors);
	RUN(UNIT_PREFIX, test_config);
	RUN(UNIT_PREFIX, test_random_specs);
	return unit_failed;
}
