// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the two IDE channels of the PIIX3 (primary
 * 0x1f0-0x1f7 and 0x3f6, secondary 0x170-0x177 and 0x376), HVM domains
 * with disk = [ ... ] on hda, hdb (primary master, slave), hdc, hdd
 * (secondary).  PIO only; INTRQ drives IRQ 14 / 15 unless nIEN is set
 * (ide_irq(); SeaBIOS polls with nIEN set).  A disk answers IDENTIFY DEVICE, READ SECTORS (LBA28, CHS,
 * LBA48), WRITE SECTORS (the same three forms; a read-only disk aborts
 * them: ERR, ABRT, the image untouched), READ/WRITE MULTIPLE (EXT) in
 * blocks of SET MULTIPLE MODE's size (DM_IDE_MULTI sectors from the
 * start, as IDENTIFY's word 59 says: one interrupt and one pread/pwrite
 * per block instead of per sector), FLUSH CACHE (fdatasync), and
 * accepts the set-up commands firmware sends.  A CD-ROM is an ATAPI
 * device: IDENTIFY PACKET DEVICE and PACKET, whose commands are in
 * dev_atapi.c.  The rest is aborted.  Task-file writes reach both drives
 * of a channel, reads come from the selected one; an absent drive reads
 * 0.  Software reset through the control register leaves each drive's
 * signature (ATA or ATAPI).  The images are opened (shared lock when
 * read-only, exclusive when written) before the sandbox and read and
 * written with pread/pwrite.  The PCI function (00:01.1, PIIX3 IDE) that
 * makes SeaBIOS look here is in dev_pci.c.
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
#define CTL_NIEN	0x02
#define CTL_SRST	0x04
#define ERR_DIAG_PASSED	0x01	/* after a reset: device 0 passed, device 1 passed or absent */

static const char *const ide_names[4] = {
	"IDE primary master", "IDE primary slave", "IDE secondary master", "IDE secondary slave",
};

static int open_one(struct launcher *L, const struct domus_disk *d, char *err, size_t errlen)
{
	struct l_ide_media *m = &L->ide[d->vdev[2] - 'a'];
	unsigned int bs = d->cdrom ? 2048 : 512;
	struct stat st;
	int fd;

	m->present = true;
	m->cdrom = d->cdrom;
	m->readonly = d->readonly || d->cdrom;
	snprintf(m->vdev, sizeof(m->vdev), "%s", d->vdev);
	if (!d->target) {
		l_log(L, "disk %s: empty CD-ROM drive (%s)", d->vdev, ide_names[d->vdev[2] - 'a']);
		return 0;
	}
	fd = open(d->target, (m->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return snprintf(err, errlen, "disk %s: %s not found: give the path of an existing %s", d->vdev,
				d->target, d->cdrom ? "ISO image" : "raw disk image"), -1;
	if (fd < 0)
		return snprintf(err, errlen, "disk %s: cannot open %s: %s", d->vdev, d->target, strerror(errno)), -1;
	if (flock(fd, (m->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		close(fd);
		return snprintf(err, errlen, "disk %s: %s is in use%s: stop it first", d->vdev, d->target,
				m->readonly ? " by a writer" : ""), -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < bs) {
		close(fd);
		return snprintf(err, errlen, "disk %s: %s is not a%s (a regular file of at least %u bytes)", d->vdev,
				d->target, d->cdrom ? "n ISO image" : " raw disk image", bs), -1;
	}
	m->fd = fd;
	m->blocks = (uint64_t)st.st_size / bs;
	l_log(L, "disk %s: %s (%s, %s, %llu %u-byte blocks)", d->vdev, d->target, ide_names[d->vdev[2] - 'a'],
	      d->cdrom ? "CD-ROM" : m->readonly ? "read-only" : "read-write", (unsigned long long)m->blocks, bs);
	return 0;
}

/*
 * PVHVM (the Xen platform device): each IDE disk is also a PV disk, vbd
 * hda = 768 ... as Xen's toolstack publishes it, served by the back end
 * once the guest's front end connects -- after it unplugged the IDE disk
 * (dev_xenplat.c).  The back end takes a duplicate of the IDE model's
 * descriptor: one open file, one lock.  CD-ROMs stay emulated only, as
 * Linux's blkfront refuses them in an HVM guest.
 */
static int pv_twins(struct launcher *L, char *err, size_t errlen)
{
	size_t i;

	if (!l_pvhvm(L))
		return 0;
	for (i = 0; i < L->cfg.ndisks; i++) {
		const struct domus_disk *d = &L->cfg.disks[i];
		const struct l_ide_media *m = &L->ide[d->vdev[2] - 'a'];
		int fd;

		if (d->cdrom || m->fd < 0)
			continue;
		fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return snprintf(err, errlen, "disk %s: %s", d->vdev, strerror(errno)), -1;
		if (blk_disk_adopt(d, fd, &L->disks[L->ndisks], err, errlen)) {
			close(fd);
			return -1;
		}
		L->ndisks++;
		l_log(L, "disk %s: also the PV disk vbd %u (the Xen platform device)", d->vdev, d->devid);
	}
	return 0;
}

int l_ide_open(struct launcher *L, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		memset(&L->ide[i], 0, sizeof(L->ide[i]));
		L->ide[i].fd = -1;
	}
	if (!L->cfg.firmware)
		return 0;
	for (i = 0; i < L->cfg.ndisks; i++)
		if (open_one(L, &L->cfg.disks[i], err, errlen))
			return -1;	/* the process ends: the others close with it */
	return pv_twins(L, err, errlen);
}

bool l_ide_any(const struct launcher *L)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (L->ide[i].present)
			return true;
	return false;
}

/* Configured and not unplugged by the guest (dev_xenplat.c) in this build. */
static bool attached(const struct launcher *L, unsigned int i)
{
	return L->ide[i].present && !L->dm.ide.unplugged[i];
}

/* A drive's signature (after reset, and after a refused IDENTIFY). */
static void signature(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	s->sc = s->lba[0] = 1;
	s->lba[1] = L->ide[i].cdrom ? 0x14 : 0;
	s->lba[2] = L->ide[i].cdrom ? 0xeb : 0;
}

/* A reset keeps the multiple-mode setting (as SET MULTIPLE MODE's does
 * over a software reset); a new domain starts with DM_IDE_MULTI. */
static void drive_reset(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint8_t multi = s->multi;

	memset(s, 0, sizeof(*s));
	s->multi = multi;
	s->status = ST_DRDY | ST_DSC;
	s->error = ERR_DIAG_PASSED;	/* the diagnostic code a reset leaves */
	signature(L, i);
}

static void ide_reset(struct launcher *L)
{
	unsigned int i;

	memset(&L->dm.ide, 0, sizeof(L->dm.ide));
	for (i = 0; i < 4; i++) {
		L->dm.ide.d[i].multi = DM_IDE_MULTI;
		drive_reset(L, i);
	}
}

/* ATA strings: the first character in the high byte of each word */
void dm_ide_put_str(uint8_t *buf, unsigned int word, unsigned int words, const char *str)
{
	unsigned int i;
	size_t n = strlen(str);

	for (i = 0; i < words * 2; i++)
		buf[2 * word + (i ^ 1)] = (uint8_t)(i < n ? str[i] : ' ');
}

static void put_words(uint8_t *buf, const uint16_t *w)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		buf[2 * i] = (uint8_t)w[i];
		buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
}

static void identify(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint16_t w[256];
	uint64_t n = L->ide[i].blocks;
	uint32_t n28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	uint64_t cyl = n / (16 * 63);

	if (cyl > 16383)
		cyl = 16383;
	memset(w, 0, sizeof(w));
	w[0] = 0x0040;				/* fixed disk */
	w[1] = (uint16_t)cyl;
	w[3] = 16;
	w[6] = 63;
	w[47] = 0x8000 | DM_IDE_MULTI;		/* sectors per READ/WRITE MULTIPLE block, at most */
	w[49] = 0x0200;				/* LBA */
	w[53] = 0x0001;				/* words 54-58 valid */
	w[54] = (uint16_t)cyl;
	w[55] = 16;
	w[56] = 63;
	w[57] = (uint16_t)(cyl * 16 * 63);
	w[58] = (uint16_t)((cyl * 16 * 63) >> 16);
	if (s->multi)
		w[59] = 0x0100 | s->multi;	/* the setting in force, valid */
	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	w[80] = 0x007e;				/* ATA-1 .. ATA-6 */
	w[82] = 0x4000;
	w[83] = 0x7400;				/* LBA48, FLUSH CACHE EXT */
	w[84] = 0x4000;
	w[85] = 0x4000;
	w[86] = 0x3400;				/* LBA48, FLUSH CACHE (EXT) enabled */
	w[87] = 0x4000;
	w[100] = (uint16_t)n;
	w[101] = (uint16_t)(n >> 16);
	w[102] = (uint16_t)(n >> 32);
	put_words(s->buf, w);
	dm_ide_put_str(s->buf, 10, 10, "DOMUS0001");
	dm_ide_put_str(s->buf, 23, 4, "1.0");
	dm_ide_put_str(s->buf, 27, 20, "domus IDE disk");
	s->xfer = DM_IDE_PIO_IN;
	s->pos = 0;
	s->end = 512;
	s->left = 0;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

static void abort_cmd(struct dm_ide_drive *s)
{
	s->error = ERR_ABRT;
	s->status = ST_DRDY | ST_DSC | ST_ERR;
	s->xfer = DM_IDE_NONE;
	s->left = 0;
	s->pos = s->end = 0;
}

static void done(struct dm_ide_drive *s)
{
	s->status = ST_DRDY | ST_DSC;
	s->xfer = DM_IDE_NONE;
	s->pos = s->end = 0;
}

/* Sectors in the next DRQ block of the command running. */
static uint32_t block_sectors(const struct dm_ide_drive *s)
{
	return s->left < s->blk ? s->left : s->blk;
}

/* Load the next DRQ block of a read into the buffer. */
static void next_block(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint32_t n = block_sectors(s);

	if (!n || n * 512 > sizeof(s->buf) || s->cur >= L->ide[i].blocks || n > L->ide[i].blocks - s->cur ||
	    pread(L->ide[i].fd, s->buf, n * 512, (off_t)(s->cur * 512)) != (ssize_t)(n * 512)) {
		abort_cmd(s);
		return;
	}
	s->cur += n;
	s->left -= n;
	s->pos = 0;
	s->end = n * 512;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* The buffer holds a block the guest wrote: store it, ask for the next. */
static void put_block(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint32_t n = s->end / 512;

	if (!n || n > s->left || s->cur >= L->ide[i].blocks || n > L->ide[i].blocks - s->cur ||
	    pwrite(L->ide[i].fd, s->buf, n * 512, (off_t)(s->cur * 512)) != (ssize_t)(n * 512)) {
		abort_cmd(s);
		return;
	}
	s->cur += n;
	s->left -= n;
	if (!s->left) {
		done(s);
		return;
	}
	s->pos = 0;
	s->end = block_sectors(s) * 512;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* The block range of a READ/WRITE SECTORS (@ext: the LBA48 form); false: abort. */
static bool rw_range(struct launcher *L, unsigned int i, bool ext, uint64_t *lba, uint32_t *count)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	if (ext) {
		*lba = (uint64_t)s->hob_lba[2] << 40 | (uint64_t)s->hob_lba[1] << 32 | (uint64_t)s->hob_lba[0] << 24 |
		       (uint64_t)s->lba[2] << 16 | (uint64_t)s->lba[1] << 8 | s->lba[0];
		*count = (uint32_t)s->hob_sc << 8 | s->sc;
		if (!*count)
			*count = 65536;
	} else if (s->dh & DH_LBA) {
		*lba = (uint64_t)(s->dh & 0x0f) << 24 | (uint64_t)s->lba[2] << 16 | (uint64_t)s->lba[1] << 8 | s->lba[0];
		*count = s->sc ? s->sc : 256;
	} else {
		/* CHS: sector number lba[0], cylinder lba[1..2], head dh */
		uint32_t c = (uint32_t)s->lba[2] << 8 | s->lba[1];

		if (!s->lba[0])
			return false;
		*lba = ((uint64_t)c * 16 + (s->dh & 0x0f)) * 63 + s->lba[0] - 1;
		*count = s->sc ? s->sc : 256;
	}
	return *lba < L->ide[i].blocks && *count <= L->ide[i].blocks - *lba;
}

static void ata_command(struct launcher *L, unsigned int i, uint8_t cmd)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint64_t lba;
	uint32_t count;
	bool multi;

	switch (cmd) {
	case 0xec:					/* IDENTIFY DEVICE */
		identify(L, i);
		return;
	case 0x20: case 0x21: case 0x24:		/* READ SECTORS (EXT) */
	case 0xc4: case 0x29:				/* READ MULTIPLE (EXT) */
		multi = cmd == 0xc4 || cmd == 0x29;
		if ((multi && !s->multi) || !rw_range(L, i, cmd == 0x24 || cmd == 0x29, &lba, &count))
			break;
		s->xfer = DM_IDE_READ;
		s->blk = multi ? s->multi : 1;
		s->cur = lba;
		s->left = count;
		next_block(L, i);
		return;
	case 0x30: case 0x31: case 0x34:		/* WRITE SECTORS (EXT) */
	case 0xc5: case 0x39:				/* WRITE MULTIPLE (EXT) */
		multi = cmd == 0xc5 || cmd == 0x39;
		if (L->ide[i].readonly || (multi && !s->multi) ||
		    !rw_range(L, i, cmd == 0x34 || cmd == 0x39, &lba, &count))
			break;
		s->xfer = DM_IDE_WRITE;
		s->blk = multi ? s->multi : 1;
		s->cur = lba;
		s->left = count;
		s->pos = 0;
		s->end = block_sectors(s) * 512;
		s->status = ST_DRDY | ST_DSC | ST_DRQ;
		return;
	case 0xc6:					/* SET MULTIPLE MODE: 0 turns it off */
		if (s->sc > DM_IDE_MULTI || (s->sc & (s->sc - 1)))
			break;
		s->multi = s->sc;
		done(s);
		return;
	case 0xe7: case 0xea:				/* FLUSH CACHE (EXT) */
		if (!L->ide[i].readonly && fdatasync(L->ide[i].fd))
			break;
		done(s);
		return;
	case 0x91: case 0xef: case 0x10:		/* set-up: accepted */
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe5:
		done(s);
		return;
	}
	abort_cmd(s);					/* packets, the rest */
}

static void atapi_command(struct launcher *L, unsigned int i, uint8_t cmd)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	switch (cmd) {
	case 0xa1:					/* IDENTIFY PACKET DEVICE */
		dm_atapi_identify(L, i);
		return;
	case 0xa0:					/* PACKET */
		if (s->feat & 0x01)			/* DMA: no bus master yet */
			break;
		s->limit = (uint32_t)s->lba[2] << 8 | s->lba[1];
		s->xfer = DM_IDE_PACKET;
		s->pos = 0;
		s->end = 12;
		s->sc = 1;				/* CoD: the command packet */
		s->status = ST_DRDY | ST_DRQ;
		return;
	case 0x08:					/* DEVICE RESET */
		drive_reset(L, i);
		return;
	case 0xef: case 0xe0: case 0xe1: case 0xe5:	/* set-up: accepted */
		done(s);
		return;
	}
	abort_cmd(s);
	if (cmd == 0xec)				/* IDENTIFY DEVICE: the signature says why */
		signature(L, i);
}

/* The data port of the selected drive @i: one byte. */
/* One byte of the data register; true when it ended a block (INTRQ). */
static bool data_byte(struct launcher *L, unsigned int i, bool write, uint8_t *v)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	bool out = s->xfer == DM_IDE_WRITE || s->xfer == DM_IDE_PACKET;

	if (!(s->status & ST_DRQ) || s->pos >= s->end || s->end > sizeof(s->buf) || write != out) {
		if (!write)
			*v = 0;
		return false;
	}
	if (write)
		s->buf[s->pos++] = *v;
	else
		*v = s->buf[s->pos++];
	if (s->pos < s->end)
		return false;
	switch (s->xfer) {
	case DM_IDE_READ:
		if (s->left)
			next_block(L, i);
		else
			done(s);
		break;
	case DM_IDE_WRITE:
		put_block(L, i);
		break;
	case DM_IDE_PACKET:
		dm_atapi_packet(L, i);
		break;
	case DM_IDE_ATAPI_IN:
		dm_atapi_chunk(L, i);
		break;
	default:
		done(s);
		break;
	}
	return true;
}

/*
 * INTRQ of channel @ch to the PIC (IRQ 14, 15), masked by nIEN: raised
 * when a command ends or has data for the host, and at each block's end
 * (not before the first block a host writes: WRITE SECTORS' sector,
 * PACKET's command); a status read or a new command lowers it.
 */
static void ide_irq(struct launcher *L, unsigned int ch)
{
	dm_pic_set_irq(&L->dm.pic, 14 + ch, L->dm.ide.intrq[ch] && !(L->dm.ide.ctl[ch] & CTL_NIEN));
	dm_irq_kick(L);
}

static bool ide_pio_ch(struct l_vcpu *t, unsigned int ch, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_ide *ide = &L->dm.ide;
	unsigned int sel, k;
	struct dm_ide_drive *s;
	bool present;

	pthread_mutex_lock(&L->lock);
	sel = 2 * ch + (ide->d[2 * ch].dh & DH_SLAVE ? 1 : 0);
	s = &ide->d[sel];
	present = attached(L, sel);
	if (off == 0) {					/* data */
		for (k = 0; k < size; k++) {
			if (present) {
				if (data_byte(L, sel, write, &data[k]))
					ide->intrq[ch] = true;
			} else if (!write)
				data[k] = 0;
		}
	} else if (write) {
		uint8_t v = data[0];

		for (k = 2 * ch; k < 2 * ch + 2; k++) {
			struct dm_ide_drive *d = &ide->d[k];

			switch (off) {
			case 1: d->feat = v; break;
			case 2: d->hob_sc = d->sc; d->sc = v; break;
			case 3: case 4: case 5:
				d->hob_lba[off - 3] = d->lba[off - 3];
				d->lba[off - 3] = v;
				break;
			case 6: d->dh = v; break;
			}
		}
		if (off == 7 && present && !(s->status & ST_BSY)) {
			s->error = 0;
			ide->intrq[ch] = false;
			if (L->ide[sel].cdrom)
				atapi_command(L, sel, v);
			else
				ata_command(L, sel, v);
			if (!(s->status & ST_DRQ) || (s->xfer != DM_IDE_WRITE && s->xfer != DM_IDE_PACKET))
				ide->intrq[ch] = true;
		}
	} else if (!present) {
		data[0] = 0;				/* no drive selected there */
	} else {
		switch (off) {
		case 1: data[0] = s->error; break;
		case 2: data[0] = s->sc; break;
		case 3: case 4: case 5: data[0] = s->lba[off - 3]; break;
		case 6: data[0] = s->dh | 0xa0; break;
		default:
			data[0] = s->status;
			ide->intrq[ch] = false;		/* the status read acknowledges */
			break;
		}
	}
	ide_irq(L, ch);
	pthread_mutex_unlock(&L->lock);
	return true;
}

/*
 * A string I/O exit: the data port takes the whole batch as one byte
 * stream (what @count accesses of @size would move, under one lock); the
 * other registers one element at a time.
 */
static bool ide_string_ch(struct l_vcpu *t, unsigned int ch, uint64_t off, unsigned int size,
			  unsigned int count, bool write, uint8_t *data)
{
	unsigned int i;

	if (off == 0)
		return ide_pio_ch(t, ch, 0, size * count, write, data);
	for (i = 0; i < count; i++, data += size)
		if (!ide_pio_ch(t, ch, off, size, write, data))
			return false;
	return true;
}

static bool ide1_string(struct l_vcpu *t, uint64_t off, unsigned int size, unsigned int count,
			bool write, uint8_t *data)
{
	return ide_string_ch(t, 0, off, size, count, write, data);
}

static bool ide2_string(struct l_vcpu *t, uint64_t off, unsigned int size, unsigned int count,
			bool write, uint8_t *data)
{
	return ide_string_ch(t, 1, off, size, count, write, data);
}

/* device control (write: SRST, nIEN); alternate status (read). */
static bool ide_ctl_ch(struct l_vcpu *t, unsigned int ch, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_ide *ide = &L->dm.ide;
	unsigned int k, sel;

	pthread_mutex_lock(&L->lock);
	sel = 2 * ch + (ide->d[2 * ch].dh & DH_SLAVE ? 1 : 0);
	if (write) {
		if ((ide->ctl[ch] & CTL_SRST) && !(data[0] & CTL_SRST)) {
			uint8_t dh = ide->d[2 * ch].dh & DH_SLAVE;

			for (k = 2 * ch; k < 2 * ch + 2; k++) {
				drive_reset(L, k);
				ide->d[k].dh = dh;
			}
		}
		if (data[0] & CTL_SRST) {
			for (k = 2 * ch; k < 2 * ch + 2; k++)
				ide->d[k].status = ST_BSY;
			ide->intrq[ch] = false;
		}
		ide->ctl[ch] = data[0];
		ide_irq(L, ch);		/* nIEN may have changed */
	} else {
		data[0] = attached(L, sel) ? ide->d[sel].status : 0;
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

static bool ide1_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return ide_pio_ch(t, 0, off, size, write, data);
}

static bool ide2_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return ide_pio_ch(t, 1, off, size, write, data);
}

static bool ide1_ctl(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	(void)off;
	(void)size;
	return ide_ctl_ch(t, 0, write, data);
}

static bool ide2_ctl(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	(void)off;
	(void)size;
	return ide_ctl_ch(t, 1, write, data);
}

/*
 * The Xen platform device's unplug (dev_xenplat.c, the lock held): the
 * disks leave the bus until the next build -- all of them, or with
 * @keep_primary all but hda.  CD-ROMs stay.  The images stay open (a
 * reboot brings the drives back).  Returns a mask of the drives removed.
 */
unsigned int dm_ide_unplug(struct launcher *L, bool keep_primary)
{
	unsigned int i, mask = 0;

	for (i = keep_primary ? 1 : 0; i < 4; i++) {
		if (!attached(L, i) || L->ide[i].cdrom)
			continue;
		drive_reset(L, i);
		L->dm.ide.unplugged[i] = true;
		mask |= 1u << i;
	}
	return mask;
}

const struct dm_device dm_ide = {
	.name = "ide-primary", .types = DM_HVM, .port = 0x1f0, .nports = 8, .pio = ide1_pio, .pio_string = ide1_string, .reset = ide_reset,
};

const struct dm_device dm_ide_ctl = {
	.name = "ide-primary-ctl", .types = DM_HVM, .port = 0x3f6, .nports = 1, .pio = ide1_ctl,
};

const struct dm_device dm_ide2 = {
	.name = "ide-secondary", .types = DM_HVM, .port = 0x170, .nports = 8, .pio = ide2_pio, .pio_string = ide2_string,
};

const struct dm_device dm_ide2_ctl = {
	.name = "ide-secondary-ctl", .types = DM_HVM, .port = 0x376, .nports = 1, .pio = ide2_ctl,
};
