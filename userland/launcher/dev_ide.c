// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the IDE primary channel (0x1f0-0x1f7 command
 * block, 0x3f6 control), HVM domains with disk = [ 'PATH,hda,r' ]: one
 * ATA disk as the master, read-only, PIO only, polled (no IRQ 14 yet;
 * SeaBIOS polls with nIEN set).  Commands: IDENTIFY DEVICE, READ SECTORS
 * (LBA28 and CHS), READ SECTORS EXT (LBA48), and the set-up commands
 * firmware sends (INITIALIZE DEVICE PARAMETERS, SET FEATURES, SET
 * MULTIPLE MODE, RECALIBRATE, power management) accepted; anything else,
 * writes included, is aborted (ERR, ABRT).  Software reset through the
 * control register leaves the ATA signature.  The slave is absent: its
 * registers read 0.  The image is opened (shared lock) before the
 * sandbox and read with pread.  The PCI function (00:01.1, PIIX3 IDE)
 * that makes SeaBIOS look here is in dev_pci.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "launcher.h"
#include "devices.h"

#define ST_ERR		0x01
#define ST_DRQ		0x08
#define ST_DSC		0x10
#define ST_DRDY		0x40
#define ST_BSY		0x80
#define ERR_ABRT	0x04
#define DH_SLAVE	0x10
#define DH_LBA		0x40
#define CTL_SRST	0x04

int l_ide_open(struct launcher *L, char *err, size_t errlen)
{
	const struct domus_disk *d = &L->cfg.disks[0];
	struct stat st;
	int fd;

	L->ide_fd = -1;
	if (!L->cfg.firmware || !L->cfg.ndisks)
		return 0;
	fd = open(d->target, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snprintf(err, errlen, "disk %s: cannot open %s: %s", d->vdev, d->target, strerror(errno)), -1;
	if (flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return snprintf(err, errlen, "disk %s: %s is in use by a writer: stop it first", d->vdev, d->target), -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 512) {
		close(fd);
		return snprintf(err, errlen, "disk %s: %s is not a raw disk image (a regular file of at least 512 bytes)",
				d->vdev, d->target), -1;
	}
	L->ide_fd = fd;
	L->ide_sectors = (uint64_t)st.st_size / 512;
	l_log(L, "disk %s: %s (IDE primary master, read-only, %llu sectors)", d->vdev, d->target,
	      (unsigned long long)L->ide_sectors);
	return 0;
}

static void ide_reset(struct launcher *L)
{
	struct dm_ide *s = &L->dm.ide;

	memset(s, 0, sizeof(*s));
	s->present = L->ide_sectors != 0;
	s->status = ST_DRDY | ST_DSC;
	s->sc = s->lba[0] = 1;		/* the ATA signature */
}

static void put_str(uint16_t *w, unsigned int first, unsigned int words, const char *str)
{
	unsigned int i;
	size_t n = strlen(str);

	for (i = 0; i < words * 2; i++) {
		char c = i < n ? str[i] : ' ';
		unsigned int wi = first + i / 2;

		/* ATA strings: the first character in the high byte */
		w[wi] = (uint16_t)(i % 2 ? (w[wi] & 0xff00) | (uint8_t)c : (uint8_t)c << 8);
	}
}

static void identify(struct launcher *L, struct dm_ide *s)
{
	uint16_t w[256];
	uint64_t n = L->ide_sectors;
	uint32_t n28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	uint64_t cyl = n / (16 * 63);
	unsigned int i;

	if (cyl > 16383)
		cyl = 16383;
	memset(w, 0, sizeof(w));
	w[0] = 0x0040;				/* fixed disk */
	w[1] = (uint16_t)cyl;
	w[3] = 16;
	w[6] = 63;
	put_str(w, 10, 10, "DOMUS0001");
	put_str(w, 23, 4, "1.0");
	put_str(w, 27, 20, "domus IDE disk");
	w[47] = 0x8001;				/* one sector per READ MULTIPLE block */
	w[49] = 0x0200;				/* LBA */
	w[53] = 0x0001;				/* words 54-58 valid */
	w[54] = (uint16_t)cyl;
	w[55] = 16;
	w[56] = 63;
	w[57] = (uint16_t)(cyl * 16 * 63);
	w[58] = (uint16_t)((cyl * 16 * 63) >> 16);
	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	w[80] = 0x007e;				/* ATA-1 .. ATA-6 */
	w[83] = 0x4400;				/* LBA48 */
	w[86] = 0x0400;
	w[100] = (uint16_t)n;
	w[101] = (uint16_t)(n >> 16);
	w[102] = (uint16_t)(n >> 32);
	for (i = 0; i < 256; i++) {
		s->buf[2 * i] = (uint8_t)w[i];
		s->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	s->pos = 0;
	s->left = 0;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

static void abort_cmd(struct dm_ide *s)
{
	s->error = ERR_ABRT;
	s->status = ST_DRDY | ST_DSC | ST_ERR;
	s->left = 0;
	s->pos = sizeof(s->buf);
}

/* Load the next sector of a read into the buffer. */
static void next_sector(struct launcher *L, struct dm_ide *s)
{
	ssize_t n;

	if (s->cur >= L->ide_sectors) {
		abort_cmd(s);
		return;
	}
	n = pread(L->ide_fd, s->buf, 512, (off_t)(s->cur * 512));
	if (n != 512) {
		abort_cmd(s);
		return;
	}
	s->cur++;
	s->left--;
	s->pos = 0;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

static void command(struct launcher *L, struct dm_ide *s, uint8_t cmd)
{
	uint64_t lba;
	uint32_t count;

	s->error = 0;
	switch (cmd) {
	case 0xec:					/* IDENTIFY DEVICE */
		identify(L, s);
		return;
	case 0x20: case 0x21:				/* READ SECTORS */
	case 0x24:					/* READ SECTORS EXT */
		if (cmd == 0x24) {
			lba = (uint64_t)s->hob_lba[2] << 40 | (uint64_t)s->hob_lba[1] << 32 |
			      (uint64_t)s->hob_lba[0] << 24 | (uint64_t)s->lba[2] << 16 |
			      (uint64_t)s->lba[1] << 8 | s->lba[0];
			count = (uint32_t)s->hob_sc << 8 | s->sc;
			if (!count)
				count = 65536;
		} else if (s->dh & DH_LBA) {
			lba = (uint64_t)(s->dh & 0x0f) << 24 | (uint64_t)s->lba[2] << 16 |
			      (uint64_t)s->lba[1] << 8 | s->lba[0];
			count = s->sc ? s->sc : 256;
		} else {
			/* CHS: sector number lba[0], cylinder lba[1..2], head dh */
			uint32_t c = (uint32_t)s->lba[2] << 8 | s->lba[1];

			if (!s->lba[0]) {
				abort_cmd(s);
				return;
			}
			lba = ((uint64_t)c * 16 + (s->dh & 0x0f)) * 63 + s->lba[0] - 1;
			count = s->sc ? s->sc : 256;
		}
		if (lba >= L->ide_sectors || count > L->ide_sectors - lba) {
			abort_cmd(s);
			return;
		}
		s->cur = lba;
		s->left = count;
		next_sector(L, s);
		return;
	case 0x91: case 0xef: case 0xc6: case 0x10:	/* set-up: accepted */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe5: case 0xe7: case 0xea:
		s->status = ST_DRDY | ST_DSC;
		return;
	default:					/* writes, packets, the rest */
		abort_cmd(s);
		return;
	}
}

static bool ide_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_ide *s = &L->dm.ide;
	bool sel = s->present && !(s->dh & DH_SLAVE);	/* the master, and it exists */
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	if (off == 0) {					/* data */
		for (i = 0; i < size; i++) {
			if (write || !sel || !(s->status & ST_DRQ) || s->pos >= sizeof(s->buf)) {
				if (!write)
					data[i] = 0;
				continue;
			}
			data[i] = s->buf[s->pos++];
			if (s->pos == sizeof(s->buf)) {
				if (s->left)
					next_sector(L, s);
				else
					s->status = ST_DRDY | ST_DSC;
			}
		}
	} else if (write) {
		uint8_t v = data[0];

		switch (off) {
		case 1: break;				/* features */
		case 2: s->hob_sc = s->sc; s->sc = v; break;
		case 3: case 4: case 5:
			s->hob_lba[off - 3] = s->lba[off - 3];
			s->lba[off - 3] = v;
			break;
		case 6: s->dh = v; break;
		case 7:
			if (sel)
				command(L, s, v);
			break;
		}
	} else if (!sel) {
		data[0] = 0;				/* no drive selected there */
	} else {
		switch (off) {
		case 1: data[0] = s->error; break;
		case 2: data[0] = s->sc; break;
		case 3: case 4: case 5: data[0] = s->lba[off - 3]; break;
		case 6: data[0] = s->dh | 0xa0; break;
		default: data[0] = s->status; break;
		}
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

/* 0x3f6: device control (write: SRST, nIEN); alternate status (read). */
static bool ide_ctl_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_ide *s = &L->dm.ide;

	(void)off;
	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write) {
		if ((s->ctl & CTL_SRST) && !(data[0] & CTL_SRST)) {
			uint8_t dh = s->dh;

			ide_reset(L);
			s->dh = dh & DH_SLAVE;
		}
		if (data[0] & CTL_SRST)
			s->status = ST_BSY;
		s->ctl = data[0];
	} else {
		data[0] = s->present && !(s->dh & DH_SLAVE) ? s->status : 0;
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_ide = {
	.name = "ide-primary", .types = DM_HVM, .port = 0x1f0, .nports = 8, .pio = ide_pio, .reset = ide_reset,
};

const struct dm_device dm_ide_ctl = {
	.name = "ide-primary-ctl", .types = DM_HVM, .port = 0x3f6, .nports = 1, .pio = ide_ctl_pio,
};
