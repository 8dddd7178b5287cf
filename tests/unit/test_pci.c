// SPDX-License-Identifier: MIT
/*
 * The launcher's PCI bus (userland/launcher/dev_pci.c) and the Xen
 * platform device (dev_xenplat.c), driven through 0xcf8/0xcfc and the
 * ports as a guest would: the functions' identities (00:03.0 only with
 * xen_platform_pci), BAR sizing (all-ones reads back the size mask, the
 * type bits stay), the command register's decode bits, dispatch after the
 * guest moves a BAR (dm_pci_bar_find, what devices.c asks), the unplug
 * protocol on ports 0x10-0x13 taking the IDE disks (not the CD-ROM) off
 * until the next build, the guest's log lines, and random config-space
 * and port traffic (a hostile guest) that must keep every field in range.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

#include "unit_llog.h"	/* the launcher's log: the last line, a count */

static int stopped_reason = -1;
void dom_guest_stopped(struct launcher *L, int reason, const char *fmt, ...)
{
	(void)L;
	(void)fmt;
	stopped_reason = reason;
}

static struct launcher *L;
static struct l_vcpu V;
static char dir[] = "/tmp/test_pci.XXXXXX";
static char disk_a[64], disk_b[64], iso[64];

#define XP	DM_XENPLAT_SLOT

static void make_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "w");

	if (f) {
		if (size)
			fseek(f, (long)size - 1, SEEK_SET), fputc(0, f);
		fclose(f);
	}
}

static void add_disk(const char *vdev, const char *target, bool cdrom)
{
	struct domus_disk *d = &L->cfg.disks[L->cfg.ndisks++];

	snprintf(d->vdev, sizeof(d->vdev), "%s", vdev);
	d->target = strdup(target);
	/* Xen's numbers, as the config parser gives them (hda 3:0, hdb 3:64, hdc 22:0) */
	d->devid = vdev[2] == 'a' ? 768 : vdev[2] == 'b' ? 832 : 5632;
	d->cdrom = cdrom;
	d->readonly = cdrom;
}

/* a build: the devices' reset, as dm_reset() does */
static void build(void)
{
	dm_pci.reset(L);
	dm_ide.reset(L);
	dm_xenplat_ports.reset(L);
}

static void setup(bool platform, bool disks)
{
	char err[256];

	L = calloc(1, sizeof(*L));
	pthread_mutex_init(&L->lock, NULL);
	V.L = L;
	L->cfg.type = DOMUS_TYPE_HVM;
	L->cfg.firmware = strdup("bios.bin");
	L->cfg.xen_platform_pci = platform;
	if (disks) {
		add_disk("hda", disk_a, false);
		add_disk("hdb", disk_b, false);
		add_disk("hdc", iso, true);
	}
	err[0] = 0;
	if (l_ide_open(L, err, sizeof(err))) {
		printf("  l_ide_open: %s\n", err);
		unit_cur_failed = 1;
	}
	build();
}

static void teardown(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (L->ide[i].fd >= 0)
			close(L->ide[i].fd);
	for (i = 0; i < L->ndisks; i++)
		blk_disk_close(L->disks[i]);
	for (i = 0; i < L->cfg.ndisks; i++)
		free(L->cfg.disks[i].target);
	free(L->cfg.firmware);
	pthread_mutex_destroy(&L->lock);
	free(L);
}

static void put(uint8_t *b, uint32_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *b, unsigned int size)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void cfg_addr(unsigned int dev, unsigned int fn, unsigned int reg)
{
	uint8_t b[4];

	put(b, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc), 4);
	EXPECT(dm_pci.pio(&V, 0, 4, true, b));
}

static uint32_t cfg_rd(unsigned int dev, unsigned int fn, unsigned int reg, unsigned int size)
{
	uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };

	cfg_addr(dev, fn, reg);
	dm_pci.pio(&V, 4 + (reg & 3), size, false, b);
	return get(b, size);
}

static void cfg_wr(unsigned int dev, unsigned int fn, unsigned int reg, unsigned int size, uint32_t v)
{
	uint8_t b[4];

	cfg_addr(dev, fn, reg);
	put(b, v, size);
	dm_pci.pio(&V, 4 + (reg & 3), size, true, b);
}

static uint32_t port_in(uint16_t port, unsigned int size)
{
	uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };

	dm_xenplat_ports.pio(&V, port - dm_xenplat_ports.port, size, false, b);
	return get(b, size);
}

static void port_out(uint16_t port, unsigned int size, uint32_t v)
{
	uint8_t b[4];

	put(b, v, size);
	dm_xenplat_ports.pio(&V, port - dm_xenplat_ports.port, size, true, b);
}

/* the IDE status register of @drive (0 hda .. 3 hdd): 0 with no drive there */
static uint8_t ide_status(unsigned int drive)
{
	const struct dm_device *d = drive < 2 ? &dm_ide : &dm_ide2;
	uint8_t v = (drive & 1) ? 0xb0 : 0xa0;

	d->pio(&V, 6, 1, true, &v);
	v = 0xff;
	d->pio(&V, 7, 1, false, &v);
	return v;
}

static void test_identity(void)
{
	setup(true, false);
	EXPECT(cfg_rd(0, 0, 0x00, 4) == 0x12378086);
	EXPECT(cfg_rd(1, 0, 0x0e, 1) == 0x80);
	EXPECT(cfg_rd(1, 1, 0x00, 4) == 0xffffffff);	/* no disk: no IDE function */
	EXPECT(cfg_rd(XP, 0, 0x00, 4) == 0x00015853);
	EXPECT(cfg_rd(XP, 0, 0x2c, 4) == 0x00015853);
	EXPECT(cfg_rd(XP, 0, 0x08, 4) == 0xff800001);
	EXPECT(cfg_rd(XP, 0, 0x0e, 1) == 0x00);
	EXPECT(cfg_rd(XP, 0, 0x3d, 1) == 1);		/* INTA */
	EXPECT(cfg_rd(0, 0, 0x3d, 1) == 0);
	EXPECT(cfg_rd(XP, 1, 0x00, 4) == 0xffffffff);
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 0x00000001);	/* BAR0: I/O, not placed */
	EXPECT(cfg_rd(XP, 0, 0x14, 4) == 0x00000008);	/* BAR1: prefetchable memory */
	/* the interrupt line is kept; the pin and the identity are read-only */
	cfg_wr(XP, 0, 0x3c, 2, 0x050b);
	EXPECT(cfg_rd(XP, 0, 0x3c, 2) == 0x010b);
	cfg_wr(XP, 0, 0x00, 4, 0);
	cfg_wr(XP, 0, 0x08, 4, 0);
	EXPECT(cfg_rd(XP, 0, 0x00, 4) == 0x00015853 && cfg_rd(XP, 0, 0x08, 4) == 0xff800001);
	EXPECT(dm_xenplat_ports.present(L));
	EXPECT(port_in(0x10, 2) == DM_XENPLAT_MAGIC);
	teardown();

	setup(false, true);
	EXPECT(cfg_rd(XP, 0, 0x00, 4) == 0xffffffff);	/* xen_platform_pci = 0: absent */
	EXPECT(cfg_rd(1, 1, 0x00, 4) == 0x70108086);
	EXPECT(!dm_xenplat_ports.present(L));
	teardown();
}

static void test_bar_sizing(void)
{
	unsigned int b;

	setup(true, false);
	cfg_wr(XP, 0, 0x10, 4, 0xffffffff);
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 0xffffff01);	/* 256 bytes of I/O */
	cfg_wr(XP, 0, 0x14, 4, 0xffffffff);
	EXPECT(cfg_rd(XP, 0, 0x14, 4) == 0xff000008);	/* 16 MiB, prefetchable */
	for (b = 2; b < 6; b++) {
		cfg_wr(XP, 0, 0x10 + 4 * b, 4, 0xffffffff);
		EXPECT(cfg_rd(XP, 0, 0x10 + 4 * b, 4) == 0);	/* no BAR there */
	}
	cfg_wr(0, 0, 0x10, 4, 0xffffffff);
	EXPECT(cfg_rd(0, 0, 0x10, 4) == 0);
	/* the type bits are read-only; the low address bits too */
	cfg_wr(XP, 0, 0x10, 4, 0);
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 0x00000001);
	cfg_wr(XP, 0, 0x14, 4, 0x00000007);
	EXPECT(cfg_rd(XP, 0, 0x14, 4) == 0x00000008);
	cfg_wr(XP, 0, 0x10, 4, 0xc0fe);
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 0xc001);
	cfg_wr(XP, 0, 0x14, 4, 0xfd123456);
	EXPECT(cfg_rd(XP, 0, 0x14, 4) == 0xfd000008);
	/* byte and word writes of a BAR as well */
	cfg_wr(XP, 0, 0x17, 1, 0xe0);
	EXPECT(cfg_rd(XP, 0, 0x14, 4) == 0xe0000008);
	cfg_wr(XP, 0, 0x10, 2, 0xd0ff);
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 0xd001);
	teardown();
}

static dm_access_fn *find(bool io, uint64_t addr, uint64_t *off)
{
	*off = ~0ull;
	return dm_pci_bar_find(L, io, addr, off);
}

static void test_decode(void)
{
	uint64_t off;

	setup(true, false);
	EXPECT(!find(true, 0x0, &off) && !find(true, 0x10, &off));	/* BARs at 0 decode nothing */
	cfg_wr(XP, 0, 0x10, 4, 0xc000);
	cfg_wr(XP, 0, 0x14, 4, 0xfd000000);
	EXPECT(find(true, 0xc008, &off) == dm_xenplat_bar_io && off == 8);
	EXPECT(find(true, 0xc0ff, &off) == dm_xenplat_bar_io && off == 0xff);
	EXPECT(!find(true, 0xc100, &off) && !find(true, 0xbfff, &off));
	EXPECT(find(false, 0xfd000010, &off) == dm_xenplat_bar_mem && off == 0x10);
	EXPECT(find(false, 0xfdffffff, &off) == dm_xenplat_bar_mem && off == 0xffffff);
	EXPECT(!find(false, 0xfe000000, &off) && !find(false, 0xc008, &off) && !find(true, 0xfd000010, &off));
	/* the command register switches each space */
	cfg_wr(XP, 0, 0x04, 2, 0x0001);
	EXPECT(find(true, 0xc008, &off) && !find(false, 0xfd000010, &off));
	cfg_wr(XP, 0, 0x04, 2, 0x0002);
	EXPECT(!find(true, 0xc008, &off) && find(false, 0xfd000010, &off));
	cfg_wr(XP, 0, 0x04, 2, 0xffff);
	EXPECT(cfg_rd(XP, 0, 0x04, 2) == 0x0547);
	EXPECT(find(true, 0xc008, &off) && find(false, 0xfd000010, &off));
	/* an I/O BAR must end within port 0xffff */
	cfg_wr(XP, 0, 0x10, 4, 0xff00);
	EXPECT(find(true, 0xffff, &off) == dm_xenplat_bar_io && off == 0xff);
	cfg_wr(XP, 0, 0x10, 4, 0x10000);
	EXPECT(!find(true, 0x0, &off) && !find(true, 0x10, &off) && L->dm.pci.nranges == 1);
	teardown();

	setup(false, false);
	cfg_wr(XP, 0, 0x10, 4, 0xc000);
	EXPECT(!find(true, 0xc008, &off) && L->dm.pci.nranges == 0);	/* no device, no BARs */
	teardown();
}

static void test_move(void)
{
	uint64_t off;
	uint8_t b = 1;
	dm_access_fn *fn;

	setup(true, false);
	cfg_wr(XP, 0, 0x10, 4, 0xc000);
	cfg_wr(XP, 0, 0x14, 4, 0xfd000000);
	/* the guest moves both BARs, with decoding off as Linux does */
	cfg_wr(XP, 0, 0x04, 2, 0);
	cfg_wr(XP, 0, 0x10, 4, 0xffffffff);
	cfg_wr(XP, 0, 0x10, 4, 0xe100);
	cfg_wr(XP, 0, 0x14, 4, 0xffffffff);
	cfg_wr(XP, 0, 0x14, 4, 0xf4000000);
	EXPECT(!find(true, 0xe100, &off) && !find(false, 0xf4000000, &off));
	cfg_wr(XP, 0, 0x04, 2, 0x0003);
	EXPECT(!find(true, 0xc000, &off) && !find(false, 0xfd000000, &off));
	fn = find(true, 0xe100, &off);
	EXPECT(fn == dm_xenplat_bar_io && off == 0);
	/* the handler found at the new place is the device: BAR0+0 is the flags byte port 0x10 reads */
	if (fn)
		fn(&V, off, 1, true, &b);
	EXPECT(port_in(0x10, 1) == 1);
	port_out(0x10, 1, 0xfe);		/* only bit 0 is kept */
	b = 0xff;
	if (fn)
		fn(&V, off, 1, false, &b);
	EXPECT(b == 0);
	fn = find(false, 0xf4abcdef, &off);
	EXPECT(fn == dm_xenplat_bar_mem && off == 0xabcdef);
	if (fn) {
		uint8_t d[8];

		memset(d, 0xff, sizeof(d));
		fn(&V, off, 8, false, d);
		fn(&V, off, 4, true, d);
		EXPECT(L->dm.xenplat.mem_reads == 1 && L->dm.xenplat.mem_writes == 1);
	}
	/* a rebuild (a reboot) puts everything back */
	build();
	EXPECT(cfg_rd(XP, 0, 0x10, 4) == 1 && L->dm.pci.nranges == 0 && port_in(0x10, 1) == 0);
	teardown();
}

static void test_unplug(void)
{
	unsigned int n;

	setup(true, true);
	EXPECT(ide_status(0) && ide_status(1) && ide_status(2));
	EXPECT(ide_status(3) == 0);
	/* Linux's handshake (platform-pci-unplug.c) */
	EXPECT(port_in(0x10, 2) == 0x49d2);
	EXPECT(port_in(0x12, 1) == 1);
	port_out(0x12, 2, 3);
	port_out(0x10, 4, 1);
	EXPECT(L->dm.xenplat.product == 3 && L->dm.xenplat.build == 1);
	EXPECT(port_in(0x10, 2) == 0x49d2);
	EXPECT(port_in(0x11, 1) == 0xff && port_in(0x14, 2) == 0xffff && port_in(0x10, 4) == 0xffffffff);
	/* the auxiliary disks first: all but hda */
	n = unit_nlogs;
	port_out(0x10, 2, DM_XENPLAT_UNPLUG_AUX);
	EXPECT(unit_nlogs == n + 1 && strstr(unit_lastlog, "IDE disks hdb"));
	EXPECT(ide_status(0) && !ide_status(1) && ide_status(2));
	/* then all of them and the NICs; the CD-ROM stays */
	port_out(0x10, 2, DM_XENPLAT_UNPLUG_IDE | DM_XENPLAT_UNPLUG_NICS);
	EXPECT(unit_nlogs == n + 2 && strstr(unit_lastlog, "IDE disks hda") && strstr(unit_lastlog, "no emulated NICs"));
	EXPECT(!ide_status(0) && !ide_status(1) && ide_status(2));
	EXPECT(L->dm.ide.unplugged[0] && L->dm.ide.unplugged[1] && !L->dm.ide.unplugged[2]);
	/* a repeat is not logged again */
	port_out(0x10, 2, DM_XENPLAT_UNPLUG_IDE);
	EXPECT(unit_nlogs == n + 2);
	/* the next build has them back; the PCI IDE function stays throughout */
	EXPECT(cfg_rd(1, 1, 0x00, 4) == 0x70108086);
	build();
	EXPECT(ide_status(0) && ide_status(1) && ide_status(2));
	teardown();
}

static void test_guest_log(void)
{
	const char *s = "hello\tPV\n";
	unsigned int n, i;

	setup(true, false);
	n = unit_nlogs;
	for (; *s; s++)
		port_out(0x12, 1, (uint8_t)*s);
	EXPECT(unit_nlogs == n + 1 && strstr(unit_lastlog, "guest: hello?PV") && !strchr(unit_lastlog, '\n'));
	port_out(0x12, 1, '\n');			/* an empty line: nothing */
	EXPECT(unit_nlogs == n + 1);
	/* a long line is cut; lines are bounded per build */
	for (i = 0; i < 10000; i++)
		port_out(0x12, 1, i % 50 == 49 ? '\n' : 'x');
	EXPECT(unit_nlogs == n + DM_XENPLAT_LOG_LINES && strstr(unit_lastlog, "not logged"));
	build();
	cfg_wr(XP, 0, 0x10, 4, 0xc000);
	{
		uint64_t off;
		dm_access_fn *fn = find(true, 0xc008, &off);
		uint8_t c[] = { 'o', 'k', '\n' };

		for (i = 0; fn && i < sizeof(c); i++)
			fn(&V, off, 1, true, &c[i]);
		EXPECT(fn && strstr(unit_lastlog, "guest: ok"));
	}
	teardown();
}

/* every field of every function within its bounds */
static bool consistent(void)
{
	const struct dm_pci *p = &L->dm.pci;
	unsigned int i;

	if (cfg_rd(XP, 0, 0x00, 4) != 0x00015853 || cfg_rd(XP, 0, 0x08, 4) != 0xff800001 ||
	    cfg_rd(XP, 0, 0x2c, 4) != 0x00015853 || cfg_rd(XP, 0, 0x3d, 1) != 1 ||
	    cfg_rd(0, 0, 0x00, 4) != 0x12378086 || cfg_rd(1, 1, 0x00, 4) != 0x70108086)
		return false;
	if ((cfg_rd(XP, 0, 0x10, 4) & 0xff) != 0x01 || (cfg_rd(XP, 0, 0x14, 4) & 0xffffff) != 0x08)
		return false;
	for (i = 0; i < 3; i++)
		if (cfg_rd(i == 0 ? 0 : 1, i == 2 ? 1 : 0, 0x04, 2) & ~0x0547u)
			return false;
	for (i = 0x18; i < 0x28; i += 4)
		if (cfg_rd(XP, 0, i, 4))
			return false;
	if (p->nranges > 2)
		return false;
	for (i = 0; i < p->nranges; i++)
		if (!p->ranges[i].base || (p->ranges[i].io && p->ranges[i].base + p->ranges[i].len > 0x10000) ||
		    p->ranges[i].base + p->ranges[i].len > 1ull << 32 || (p->ranges[i].base & (p->ranges[i].len - 1)))
			return false;
	return true;
}

/*
 * PVHVM: with the platform device each IDE disk (not the CD-ROM) is also
 * a PV disk with Xen's vbd number, on the IDE model's open file: its lock
 * is the same (a second open of the image is still refused).
 */
static void test_pv_twins(void)
{
	struct domus_disk again = { .vdev = "xvdb" };
	char err[256];

	setup(true, true);
	EXPECT(L->ndisks == 2);
	if (L->ndisks == 2) {
		EXPECT(!strcmp(blk_disk_vdev(L->disks[0]), "hda"));
		EXPECT(!strcmp(blk_disk_vdev(L->disks[1]), "hdb"));
		EXPECT(blk_disk_dev(L->disks[0])->devid == 768);
		EXPECT(blk_disk_dev(L->disks[1])->devid == 832);
	}
	again.target = disk_a;
	EXPECT(blk_image_open(&again, err, sizeof(err)) < 0 && strstr(err, "in use"));
	teardown();
	setup(false, true);
	EXPECT(L->ndisks == 0);
	teardown();
}

static void test_hostile(void)
{
	static const uint8_t devs[] = { 0, 1, XP, 2, 31 };
	unsigned int seed = 12345, i, bad = 0, n;
	uint64_t off;

	setup(true, true);
	n = unit_nlogs;
	for (i = 0; i < 200000; i++) {
		unsigned int dev = devs[(seed = seed * 1103515245 + 12345) >> 16 & 3];
		unsigned int sizes[3] = { 1, 2, 4 }, size = sizes[(seed >> 8) % 3];
		uint32_t v;
		uint8_t b[4];

		seed = seed * 1103515245 + 12345;
		v = seed ^ (seed << 13);
		if ((seed >> 4) % 8 == 0) {			/* a random address register */
			put(b, v | ((seed >> 5) & 1 ? 0 : 0x80000000u), 4);
			dm_pci.pio(&V, 0, (seed >> 6) % 2 ? 4 : size, true, b);
		} else if ((seed >> 4) % 8 == 1) {		/* the Xen platform ports */
			put(b, v, 4);
			dm_xenplat_ports.pio(&V, (seed >> 9) % 16, size, (seed >> 7) & 1, b);
		} else {
			cfg_addr(dev, (seed >> 20) % 2, (seed >> 12) & 0xff);
			put(b, v, 4);
			dm_pci.pio(&V, 4 + ((seed >> 7) & 3), size, (seed >> 10) & 1, b);
		}
		if (i % 64 == 0 && !consistent())
			bad++;
		(void)find(true, v & 0xffff, &off);
		(void)find(false, v, &off);
	}
	EXPECT(bad == 0 && consistent());
	EXPECT(unit_nlogs - n <= 16 + DM_XENPLAT_LOG_LINES);	/* bounded: new unplug bits, lines */
	teardown();
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(disk_a, sizeof(disk_a), "%s/a.img", dir);
	snprintf(disk_b, sizeof(disk_b), "%s/b.img", dir);
	snprintf(iso, sizeof(iso), "%s/cd.iso", dir);
	make_file(disk_a, 1 << 20);
	make_file(disk_b, 1 << 20);
	make_file(iso, 16 * 2048);
	RUN(UNIT_PREFIX, test_identity);
	RUN(UNIT_PREFIX, test_bar_sizing);
	RUN(UNIT_PREFIX, test_decode);
	RUN(UNIT_PREFIX, test_move);
	RUN(UNIT_PREFIX, test_unplug);
	RUN(UNIT_PREFIX, test_guest_log);
	RUN(UNIT_PREFIX, test_pv_twins);
	RUN(UNIT_PREFIX, test_hostile);
	unlink(disk_a);
	unlink(disk_b);
	unlink(iso);
	rmdir(dir);
	return unit_failed;
}
