// SPDX-License-Identifier: MIT
/*
 * The launcher's IDE drives (userland/launcher/dev_ide.c, dev_atapi.c)
 * driven through their port handlers as a guest would: an ATA disk's
 * WRITE SECTORS lands in the image and FLUSH CACHE is accepted, a
 * read-only disk aborts the write and keeps the image; the CD-ROM aborts
 * IDENTIFY DEVICE with the ATAPI signature, answers INQUIRY and READ(10)
 * in chunks of the host's byte count, refuses a read past its end and an
 * unknown command (logged once) with CHECK CONDITION and the sense REQUEST
 * SENSE returns; an empty drive is NOT READY; then random port traffic
 * on both channels (a hostile guest) must leave the model consistent.
 * String I/O batches (pio_string) move the same bytes as single accesses.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

#include "unit_llog.h"	/* the launcher's log: the last line, a count */

static struct launcher *L;
static struct l_vcpu V;
static char dir[] = "/tmp/test_ide.XXXXXX";
static char disk_rw[64], disk_ro[64], iso[64];

static void make_file(const char *path, size_t size, unsigned int seed)
{
	FILE *f = fopen(path, "w");
	size_t i;

	for (i = 0; i < size; i++)
		fputc((int)((i * 7 + seed) & 0xff), f);
	fclose(f);
}

static void add_disk(const char *vdev, const char *target, bool cdrom, bool ro)
{
	struct domus_disk *d = &L->cfg.disks[L->cfg.ndisks++];

	snprintf(d->vdev, sizeof(d->vdev), "%s", vdev);
	d->target = target ? strdup(target) : NULL;
	d->cdrom = cdrom;
	d->readonly = ro || cdrom;
}

static void setup(void)
{
	char err[256];

	L = calloc(1, sizeof(*L));
	pthread_mutex_init(&L->lock, NULL);
	V.L = L;
	L->cfg.firmware = strdup("bios.bin");
	add_disk("hda", disk_rw, false, false);
	add_disk("hdb", disk_ro, false, true);
	add_disk("hdc", iso, true, true);
	add_disk("hdd", NULL, true, true);
	EXPECT(l_ide_open(L, err, sizeof(err)) == 0);
	dm_ide.reset(L);
}

static void teardown(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (L->ide[i].fd >= 0)
			close(L->ide[i].fd);
	for (i = 0; i < L->cfg.ndisks; i++)
		free(L->cfg.disks[i].target);
	free(L->cfg.firmware);
	free(L);
}

/* one port access on channel @ch (0 primary, 1 secondary): off 0-7, 8 control */
static uint8_t in8(unsigned int ch, unsigned int off)
{
	uint8_t v = 0xff;

	if (off == 8)
		(ch ? dm_ide2_ctl : dm_ide_ctl).pio(&V, 0, 1, false, &v);
	else
		(ch ? dm_ide2 : dm_ide).pio(&V, off, 1, false, &v);
	return v;
}

static void out8(unsigned int ch, unsigned int off, uint8_t v)
{
	if (off == 8)
		(ch ? dm_ide2_ctl : dm_ide_ctl).pio(&V, 0, 1, true, &v);
	else
		(ch ? dm_ide2 : dm_ide).pio(&V, off, 1, true, &v);
}

static void in16s(unsigned int ch, uint8_t *buf, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i += 2) {
		buf[i] = buf[i + 1] = 0xff;
		(ch ? dm_ide2 : dm_ide).pio(&V, 0, 2, false, buf + i);
	}
}

static void out16s(unsigned int ch, const uint8_t *buf, size_t bytes)
{
	uint8_t w[2];
	size_t i;

	for (i = 0; i < bytes; i += 2) {
		memcpy(w, buf + i, 2);
		(ch ? dm_ide2 : dm_ide).pio(&V, 0, 2, true, w);
	}
}

/* select drive @slave of @ch, LBA28 @lba, @count sectors, command @cmd */
static void ata_cmd(unsigned int ch, bool slave, uint32_t lba, uint8_t count, uint8_t cmd)
{
	out8(ch, 6, (uint8_t)(0xe0 | (slave ? 0x10 : 0) | ((lba >> 24) & 0x0f)));
	out8(ch, 2, count);
	out8(ch, 3, (uint8_t)lba);
	out8(ch, 4, (uint8_t)(lba >> 8));
	out8(ch, 5, (uint8_t)(lba >> 16));
	out8(ch, 7, cmd);
}

static void test_ata_write(void)
{
	uint8_t sec[1024], file[1024];
	int fd;

	setup();
	memset(sec, 0x5a, 512);
	memset(sec + 512, 0xa5, 512);
	ata_cmd(0, false, 3, 2, 0x30);			/* WRITE SECTORS, LBA 3-4 */
	EXPECT(in8(0, 7) == 0x58);			/* DRDY DSC DRQ */
	out16s(0, sec, 1024);
	EXPECT(in8(0, 7) == 0x50);
	ata_cmd(0, false, 0, 0, 0xe7);			/* FLUSH CACHE */
	EXPECT(in8(0, 7) == 0x50);
	fd = open(disk_rw, O_RDONLY);
	EXPECT(pread(fd, file, 1024, 3 * 512) == 1024 && !memcmp(file, sec, 1024));
	EXPECT(pread(fd, file, 1, 2 * 512) == 1 && file[0] == ((2 * 512 * 7 + 1) & 0xff));
	close(fd);
	/* read back through the drive */
	ata_cmd(0, false, 3, 2, 0x20);
	in16s(0, file, 1024);
	EXPECT(!memcmp(file, sec, 1024) && in8(0, 7) == 0x50);
	/* past the end: aborted */
	ata_cmd(0, false, 2047, 2, 0x30);
	EXPECT(in8(0, 7) == 0x51 && in8(0, 1) == 0x04);
	/* the read-only slave: aborted, nothing written */
	ata_cmd(0, true, 0, 1, 0x30);
	EXPECT(in8(0, 7) == 0x51 && in8(0, 1) == 0x04);
	out16s(0, sec, 512);
	fd = open(disk_ro, O_RDONLY);
	EXPECT(pread(fd, file, 512, 0) == 512 && file[0] == 2 && file[1] == 9);
	close(fd);
	teardown();
}

/* the IRQ 14 request at the slave 8259 (input 6), taken away by an acknowledge */
static bool irq14_pending(void)
{
	bool p = L->dm.pic.chip[1].irr & 0x40;

	L->dm.pic.chip[1].irr &= (uint8_t)~0x40;
	L->dm.pic.chip[0].irr &= (uint8_t)~0x04;
	return p;
}

/*
 * INTRQ to IRQ 14 (docs/devices.md "Interrupts (HVM)"): a READ SECTORS
 * raises it when the sector is ready and again at the command's end, a
 * WRITE SECTORS not before its sector, then at its end; the status read
 * lowers it (so the next rise is an edge); nIEN keeps it off the PIC.
 */
static void test_irq(void)
{
	uint8_t sec[512];
	unsigned int c;

	setup();
	dm_pic_init(&L->dm.pic);
	for (c = 0; c < 2; c++) {	/* as SeaBIOS: 0x08 and 0x70, all inputs open */
		dm_pic_write(&L->dm.pic, c, 0, 0x11);
		dm_pic_write(&L->dm.pic, c, 1, c ? 0x70 : 0x08);
		dm_pic_write(&L->dm.pic, c, 1, c ? 2 : 4);
		dm_pic_write(&L->dm.pic, c, 1, 0x01);
		dm_pic_write(&L->dm.pic, c, 1, 0x00);
	}
	out8(0, 8, 0x00);				/* nIEN clear */
	EXPECT(!irq14_pending());
	ata_cmd(0, false, 0, 1, 0x20);			/* READ SECTORS: data ready */
	EXPECT(dm_pic_intr(&L->dm.pic) && dm_pic_ack(&L->dm.pic) == 0x76);
	EXPECT(in8(0, 7) == 0x58);			/* the read lowers INTRQ */
	EXPECT(!(L->dm.pic.chip[1].irr & 0x40));
	in16s(0, sec, 512);				/* the end: INTRQ again */
	EXPECT(irq14_pending());
	EXPECT(in8(0, 7) == 0x50);
	ata_cmd(0, false, 5, 1, 0x30);			/* WRITE SECTORS: none before the data */
	EXPECT(!irq14_pending() && in8(0, 7) == 0x58);
	memset(sec, 0x33, sizeof(sec));
	out16s(0, sec, 512);
	EXPECT(irq14_pending() && in8(0, 7) == 0x50);
	ata_cmd(0, false, 2047, 2, 0x20);		/* aborted: INTRQ too */
	EXPECT(irq14_pending() && in8(0, 7) == 0x51);
	out8(0, 8, 0x02);				/* nIEN: nothing reaches the PIC */
	ata_cmd(0, false, 0, 1, 0x20);
	EXPECT(!irq14_pending());
	in16s(0, sec, 512);
	EXPECT(!irq14_pending());
	EXPECT(!(L->dm.pic.chip[0].irr & 0x10) && !(L->dm.pic.chip[1].irr & 0x80));	/* not IRQ 4, 15 */
	teardown();
}

/* IDENTIFY DEVICE word @w of the primary master */
static unsigned int id_word(unsigned int w)
{
	uint8_t id[512];

	ata_cmd(0, false, 0, 0, 0xec);
	in16s(0, id, 512);
	return (unsigned int)id[2 * w] | (unsigned int)id[2 * w + 1] << 8;
}

static bool pattern_ok(const uint8_t *buf, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(((off + i) * 7 + 1) & 0xff))
			return false;
	return true;
}

/*
 * READ/WRITE MULTIPLE: blocks of 16 sectors from the start (IDENTIFY's
 * words 47 and 59 say so), one INTRQ per block, the last block short;
 * SET MULTIPLE MODE takes powers of two up to 16 and 0 (off: the MULTIPLE
 * commands abort), refuses the rest, and a reset keeps it.
 */
static void test_multiple(void)
{
	static uint8_t buf[16 * 512], file[20 * 512];
	unsigned int blk;
	int fd;

	setup();
	EXPECT(id_word(47) == 0x8010 && id_word(59) == 0x0110);
	ata_cmd(0, false, 10, 40, 0xc4);		/* READ MULTIPLE: 16 + 16 + 8 */
	for (blk = 0; blk < 3; blk++) {
		unsigned int n = blk < 2 ? 16 : 8;

		EXPECT(L->dm.ide.intrq[0]);		/* one interrupt per block */
		EXPECT(in8(0, 7) == 0x58);
		EXPECT(!L->dm.ide.intrq[0]);
		in16s(0, buf, n * 512);
		EXPECT(pattern_ok(buf, (10 + 16 * blk) * 512ull, n * 512));
	}
	EXPECT(L->dm.ide.intrq[0] && in8(0, 7) == 0x50);
	/* READ MULTIPLE EXT: LBA48 form */
	out8(0, 6, 0x40);
	out8(0, 2, 0);
	out8(0, 2, 3);
	out8(0, 3, 0), out8(0, 3, 0x20);		/* LBA 0x20 */
	out8(0, 4, 0), out8(0, 4, 0);
	out8(0, 5, 0), out8(0, 5, 0);
	out8(0, 7, 0x29);
	EXPECT(in8(0, 7) == 0x58);
	in16s(0, buf, 3 * 512);
	EXPECT(pattern_ok(buf, 0x20 * 512ull, 3 * 512) && in8(0, 7) == 0x50);
	/* WRITE MULTIPLE: no interrupt before the first block, one after each */
	memset(file, 0x6c, sizeof(file));
	ata_cmd(0, false, 100, 20, 0xc5);
	EXPECT(!L->dm.ide.intrq[0] && in8(0, 7) == 0x58);
	out16s(0, file, 16 * 512);
	EXPECT(L->dm.ide.intrq[0] && in8(0, 7) == 0x58);
	out16s(0, file + 16 * 512, 4 * 512);
	EXPECT(L->dm.ide.intrq[0] && in8(0, 7) == 0x50);
	fd = open(disk_rw, O_RDONLY);
	EXPECT(pread(fd, buf, 512, 119 * 512) == 512 && buf[0] == 0x6c && buf[511] == 0x6c);
	EXPECT(pread(fd, buf, 1, 120 * 512) == 1 && buf[0] == (uint8_t)((120 * 512 * 7 + 1) & 0xff));
	close(fd);
	/* the read-only slave aborts it */
	ata_cmd(0, true, 0, 2, 0xc5);
	EXPECT(in8(0, 7) == 0x51 && in8(0, 1) == 0x04);
	/* SET MULTIPLE MODE */
	ata_cmd(0, false, 0, 3, 0xc6);
	EXPECT(in8(0, 7) == 0x51);			/* not a power of two */
	ata_cmd(0, false, 0, 32, 0xc6);
	EXPECT(in8(0, 7) == 0x51);			/* more than the drive's 16 */
	EXPECT(id_word(59) == 0x0110);			/* unchanged */
	ata_cmd(0, false, 0, 4, 0xc6);
	EXPECT(in8(0, 7) == 0x50 && id_word(59) == 0x0104);
	ata_cmd(0, false, 200, 6, 0xc4);		/* 4 + 2 */
	EXPECT(in8(0, 7) == 0x58);
	in16s(0, buf, 4 * 512);
	EXPECT(L->dm.ide.intrq[0] && in8(0, 7) == 0x58);
	in16s(0, buf + 4 * 512, 2 * 512);
	EXPECT(pattern_ok(buf, 200 * 512ull, 6 * 512) && in8(0, 7) == 0x50);
	out8(0, 8, 0x04);				/* a reset keeps the setting */
	out8(0, 8, 0x00);
	EXPECT(id_word(59) == 0x0104);
	ata_cmd(0, false, 0, 0, 0xc6);			/* 0: off */
	EXPECT(in8(0, 7) == 0x50 && id_word(59) == 0);
	ata_cmd(0, false, 0, 1, 0xc4);
	EXPECT(in8(0, 7) == 0x51 && in8(0, 1) == 0x04);
	ata_cmd(0, false, 0, 1, 0xc5);
	EXPECT(in8(0, 7) == 0x51);
	ata_cmd(0, false, 2040, 9, 0x20);		/* READ SECTORS past the end still aborts */
	EXPECT(in8(0, 7) == 0x51);
	teardown();
}

/* A software reset (SRST) leaves each drive's signature and the
 * diagnostic code 0x01 in the error register (libata reads a 0 as a
 * failed drive); the ATAPI drive's signature is 0x14/0xeb */
static void test_reset(void)
{
	unsigned int ch;

	setup();
	for (ch = 0; ch < 2; ch++) {
		out8(ch, 6, 0xa0);
		out8(ch, 8, 0x04);			/* SRST */
		EXPECT(in8(ch, 8) & 0x80);		/* busy while held */
		out8(ch, 8, 0x00);
		EXPECT(in8(ch, 7) == 0x50);
		EXPECT(in8(ch, 1) == 0x01);
		EXPECT(in8(ch, 2) == 1 && in8(ch, 3) == 1);
		EXPECT(in8(ch, 4) == (ch ? 0x14 : 0) && in8(ch, 5) == (ch ? 0xeb : 0));
	}
	ata_cmd(0, false, 2047, 2, 0x20);		/* aborted: the error register says so */
	EXPECT(in8(0, 1) == 0x04);
	out8(0, 8, 0x04);
	out8(0, 8, 0x00);
	EXPECT(in8(0, 1) == 0x01);			/* until the next reset */
	teardown();
}

/* ATAPI PACKET on the secondary channel's drive @slave with byte count @limit */
static void packet(bool slave, uint16_t limit, const uint8_t *cdb)
{
	out8(1, 6, slave ? 0xb0 : 0xa0);
	out8(1, 1, 0);
	out8(1, 4, (uint8_t)limit);
	out8(1, 5, (uint8_t)(limit >> 8));
	out8(1, 7, 0xa0);
	EXPECT((in8(1, 7) & 0x88) == 0x08 && in8(1, 2) == 1);	/* DRQ, CoD */
	out16s(1, cdb, 12);
}

static unsigned int chunk(void)
{
	return (unsigned int)in8(1, 5) << 8 | in8(1, 4);
}

static void test_atapi(void)
{
	uint8_t cdb[12], buf[4096], want[4096];
	int fd;

	setup();
	/* the secondary master is ATAPI: IDENTIFY DEVICE aborted with the signature */
	out8(1, 6, 0xa0);
	out8(1, 7, 0xec);
	EXPECT(in8(1, 7) & 0x01);
	EXPECT(in8(1, 4) == 0x14 && in8(1, 5) == 0xeb);
	out8(1, 7, 0xa1);				/* IDENTIFY PACKET DEVICE */
	in16s(1, buf, 512);
	EXPECT(buf[0] == 0xc0 && buf[1] == 0x85 && !(in8(1, 7) & 0x08));
	/* INQUIRY */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x12;
	cdb[4] = 36;
	packet(false, 36, cdb);
	EXPECT(in8(1, 2) == 2 && chunk() == 36);
	in16s(1, buf, 36);
	EXPECT(buf[0] == 5 && !memcmp(buf + 8, "DOMUS   ", 8));
	EXPECT(in8(1, 7) == 0x50 && in8(1, 2) == 3);
	/* READ(10) of blocks 1-2 in 1024-byte chunks */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x28;
	cdb[5] = 1;
	cdb[8] = 2;
	packet(false, 1024, cdb);
	EXPECT(chunk() == 1024);
	in16s(1, buf, 1024);
	EXPECT(chunk() == 1024 && (in8(1, 7) & 0x08));
	in16s(1, buf + 1024, 3072);
	EXPECT(in8(1, 7) == 0x50);
	fd = open(iso, O_RDONLY);
	EXPECT(pread(fd, want, 4096, 2048) == 4096 && !memcmp(buf, want, 4096));
	close(fd);
	/* past the end: CHECK CONDITION, ILLEGAL REQUEST / LBA OUT OF RANGE */
	cdb[5] = 15;
	packet(false, 2048, cdb);
	EXPECT(in8(1, 7) == 0x51 && in8(1, 1) == 0x50);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x03;
	cdb[4] = 18;
	packet(false, 18, cdb);
	in16s(1, buf, 18);
	EXPECT(buf[0] == 0x70 && buf[2] == 5 && buf[12] == 0x21);
	/* an unknown command: refused, logged once */
	unit_nlogs = 0;
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x51;
	packet(false, 2048, cdb);
	EXPECT(in8(1, 7) == 0x51 && in8(1, 1) == 0x50);
	packet(false, 2048, cdb);
	EXPECT(unit_nlogs == 1 && strstr(unit_lastlog, "ATAPI command 0x51 refused"));
	/* the empty slave: NOT READY, MEDIUM NOT PRESENT */
	memset(cdb, 0, sizeof(cdb));
	packet(true, 0, cdb);
	EXPECT(in8(1, 7) == 0x51 && in8(1, 1) == 0x20);
	cdb[0] = 0x03;
	cdb[4] = 18;
	packet(true, 18, cdb);
	in16s(1, buf, 18);
	EXPECT(buf[2] == 2 && buf[12] == 0x3a);
	teardown();
}

/* random traffic on every port of both channels: no crash, no overrun
 * (ASan in the -san build), and the drives still answer afterwards */
static void test_hostile(void)
{
	static const uint8_t cmds[8] = { 0x20, 0x30, 0xa0, 0xa1, 0xec, 0x24, 0x34, 0xe7 };
	unsigned int seed = 12345, i;
	uint8_t v[4], cdb[12] = { 0 }, buf[36];

	setup();
	for (i = 0; i < 400000; i++) {
		unsigned int ch, off, size;

		seed = seed * 1103515245 + 12345;
		ch = (seed >> 8) & 1;
		off = (seed >> 9) % 9;
		size = 1u << ((seed >> 13) % 3);
		memcpy(v, &seed, 4);
		if ((seed >> 16) & 1) {
			if (off == 8)
				(ch ? dm_ide2_ctl : dm_ide_ctl).pio(&V, 0, size, true, v);
			else if (off == 7 && ((seed >> 17) & 3))
				out8(ch, 7, cmds[(seed >> 20) & 7]);	/* mostly real commands */
			else
				(ch ? dm_ide2 : dm_ide).pio(&V, off > 7 ? 0 : off, size, true, v);
		} else if (off == 8) {
			(ch ? dm_ide2_ctl : dm_ide_ctl).pio(&V, 0, size, false, v);
		} else {
			(ch ? dm_ide2 : dm_ide).pio(&V, off, size, false, v);
		}
	}
	/* a reset, then an INQUIRY still works */
	out8(1, 8, 0x06);
	out8(1, 8, 0x02);
	cdb[0] = 0x12;
	cdb[4] = 36;
	packet(false, 36, cdb);
	in16s(1, buf, 36);
	EXPECT(buf[0] == 5 && in8(1, 7) == 0x50);
	teardown();
}

/*
 * String I/O exits (pio_string): the data port takes a whole batch as
 * one byte stream, across sector and ATAPI chunk ends, in words or
 * dwords; another register one element at a time.
 */
static void test_string(void)
{
	uint8_t buf[4096], want[4096], st[3];
	unsigned int i;
	int fd;

	setup();
	ata_cmd(0, false, 0, 3, 0x20);			/* READ SECTORS 0-2 */
	memset(buf, 0xff, sizeof(buf));
	EXPECT(dm_ide.pio_string(&V, 0, 2, 384, false, buf));	/* 1.5 sectors */
	EXPECT(in8(0, 7) == 0x58);
	EXPECT(dm_ide.pio_string(&V, 0, 4, 192, false, buf + 768));
	EXPECT(in8(0, 7) == 0x50);
	for (i = 0; i < 1536 && buf[i] == ((i * 7 + 1) & 0xff); i++)
		;
	EXPECT(i == 1536 && buf[1536] == 0xff);
	/* WRITE SECTORS 5-6 in one batch of words */
	for (i = 0; i < 1024; i++)
		buf[i] = (uint8_t)(i * 3);
	ata_cmd(0, false, 5, 2, 0x30);
	EXPECT(dm_ide.pio_string(&V, 0, 2, 512, true, buf));
	EXPECT(in8(0, 7) == 0x50);
	fd = open(disk_rw, O_RDONLY);
	EXPECT(pread(fd, want, 1024, 5 * 512) == 1024 && !memcmp(want, buf, 1024));
	close(fd);
	/* the status register three times in one exit */
	memset(st, 0xff, sizeof(st));
	EXPECT(dm_ide.pio_string(&V, 7, 1, 3, false, st) && st[0] == 0x50 && st[1] == 0x50 && st[2] == 0x50);
	/* ATAPI READ(10) of blocks 1-2, 1024-byte chunks, read 2048 bytes at a time */
	memset(want, 0, 12);
	want[0] = 0x28;
	want[5] = 1;
	want[8] = 2;
	packet(false, 1024, want);
	EXPECT(dm_ide2.pio_string(&V, 0, 2, 1024, false, buf));
	EXPECT(dm_ide2.pio_string(&V, 0, 4, 512, false, buf + 2048));
	EXPECT(in8(1, 7) == 0x50);
	fd = open(iso, O_RDONLY);
	EXPECT(pread(fd, want, 4096, 2048) == 4096 && !memcmp(buf, want, 4096));
	close(fd);
	teardown();
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(disk_rw, sizeof(disk_rw), "%s/rw.img", dir);
	snprintf(disk_ro, sizeof(disk_ro), "%s/ro.img", dir);
	snprintf(iso, sizeof(iso), "%s/cd.iso", dir);
	make_file(disk_rw, 1 << 20, 1);
	make_file(disk_ro, 1 << 20, 2);
	make_file(iso, 16 * 2048, 3);
	RUN(UNIT_PREFIX, test_ata_write);
	RUN(UNIT_PREFIX, test_string);
	RUN(UNIT_PREFIX, test_atapi);
	RUN(UNIT_PREFIX, test_hostile);
	RUN(UNIT_PREFIX, test_irq);
	RUN(UNIT_PREFIX, test_reset);
	RUN(UNIT_PREFIX, test_multiple);
	unlink(disk_rw);
	unlink(disk_ro);
	unlink(iso);
	rmdir(dir);
	return unit_failed;
}
