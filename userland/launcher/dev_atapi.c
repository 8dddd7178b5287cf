// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the ATAPI CD-ROM drive on an IDE channel
 * (dev_ide.c holds the channel; docs/devices.md "IDE").  IDENTIFY PACKET
 * DEVICE, and the PACKET command's 12-byte commands (MMC), one table:
 * TEST UNIT READY, REQUEST SENSE, INQUIRY, START STOP UNIT, PREVENT ALLOW
 * MEDIUM REMOVAL, READ CAPACITY, READ(10)/(12) of 2048-byte blocks,
 * SEEK, READ TOC (formats 0 and 1), GET CONFIGURATION (the header: the
 * current profile), GET EVENT STATUS NOTIFICATION (polled, media class),
 * MODE SENSE(10) (pages 0x01, 0x2a, all), SET CD SPEED.  Anything else
 * ends with CHECK CONDITION, ILLEGAL REQUEST / INVALID COMMAND OPERATION
 * CODE, and its opcode is logged once.  Data goes to the host in chunks
 * no larger than its byte-count limit (cylinder registers) and never
 * across a block, PIO only; no medium (an empty drive) is NOT READY /
 * MEDIUM NOT PRESENT.  El Torito is the firmware's business: the drive
 * only serves blocks of the image.
 */
#include <string.h>
#include <unistd.h>
#include "launcher.h"
#include "devices.h"

#define ST_ERR		0x01
#define ST_DRQ		0x08
#define ST_DSC		0x10
#define ST_DRDY		0x40
#define CD_BLOCK	2048u

/* sense keys and additional sense codes */
#define SK_NOT_READY		0x02
#define SK_MEDIUM_ERROR		0x03
#define SK_ILLEGAL_REQUEST	0x05
#define ASC_READ_ERROR		0x11
#define ASC_INVALID_OPCODE	0x20
#define ASC_LBA_OUT_OF_RANGE	0x21
#define ASC_INVALID_FIELD	0x24
#define ASC_NO_MEDIUM		0x3a

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

void dm_atapi_identify(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	unsigned int k;

	memset(s->buf, 0, 512);
	/* ATAPI, CD-ROM (type 5), removable, 12-byte packets */
	s->buf[0] = 0xc0;
	s->buf[1] = 0x85;
	s->buf[2 * 49 + 1] = 0x02;		/* LBA */
	s->buf[2 * 53] = 0x03;			/* words 64-70, 88 valid */
	s->buf[2 * 80] = 0x7e;			/* ATA-1 .. ATA-6 */
	for (k = 0; k < 2; k++)
		s->buf[2 * (71 + k)] = 30;		/* release times (ns) */
	dm_ide_put_str(s->buf, 10, 10, "DOMUSCD0001");
	dm_ide_put_str(s->buf, 23, 4, "1.0");
	dm_ide_put_str(s->buf, 27, 20, "domus ATAPI CD-ROM");
	s->xfer = DM_IDE_PIO_IN;
	s->pos = 0;
	s->end = 512;
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

static void complete(struct dm_ide_drive *s)
{
	s->xfer = DM_IDE_NONE;
	s->pos = s->end = s->len = 0;
	s->left = 0;
	s->error = 0;
	s->sc = 3;				/* I/O, CoD: the status phase */
	s->status = ST_DRDY | ST_DSC;
}

static void check_condition(struct dm_ide_drive *s, uint8_t key, uint8_t asc)
{
	complete(s);
	s->sense_key = key;
	s->asc = asc;
	s->ascq = 0;
	s->error = (uint8_t)(key << 4);
	s->status = ST_DRDY | ST_DSC | ST_ERR;
}

/* Load the next block of a READ into the buffer; false: the command ended. */
static bool next_block(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	if (s->cur >= L->ide[i].blocks ||
	    pread(L->ide[i].fd, s->buf, CD_BLOCK, (off_t)(s->cur * CD_BLOCK)) != CD_BLOCK) {
		check_condition(s, SK_MEDIUM_ERROR, ASC_READ_ERROR);
		return false;
	}
	s->cur++;
	s->left--;
	s->pos = 0;
	s->len = CD_BLOCK;
	return true;
}

/* The host has taken a chunk (or the command starts one): the next. */
void dm_atapi_chunk(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint32_t n;

	if (s->pos >= s->len) {
		if (!s->left) {
			complete(s);
			s->sense_key = s->asc = s->ascq = 0;
			return;
		}
		if (!next_block(L, i))
			return;
	}
	n = s->len - s->pos;
	if (n > s->limit)
		n = s->limit >= 2 ? s->limit & ~1u : 2;
	s->end = s->pos + n;
	s->xfer = DM_IDE_ATAPI_IN;
	s->lba[1] = (uint8_t)n;
	s->lba[2] = (uint8_t)(n >> 8);
	s->sc = 2;				/* I/O: data to the host */
	s->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* Answer @len bytes of buf, cut to the host's allocation length @alloc. */
static void data_in(struct launcher *L, unsigned int i, uint32_t len, uint32_t alloc)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	s->len = len < alloc ? len : alloc;
	s->pos = 0;
	s->left = 0;
	dm_atapi_chunk(L, i);
}

typedef void atapi_fn(struct launcher *L, unsigned int i, const uint8_t *cdb);

static void cmd_ok(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	(void)cdb;
	complete(&L->dm.ide.d[i]);
	L->dm.ide.d[i].sense_key = L->dm.ide.d[i].asc = 0;
}

static void cmd_request_sense(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint8_t key = s->sense_key, asc = s->asc, ascq = s->ascq;

	memset(s->buf, 0, 18);
	s->buf[0] = 0x70;			/* current error, fixed format */
	s->buf[2] = key;
	s->buf[7] = 10;
	s->buf[12] = asc;
	s->buf[13] = ascq;
	s->sense_key = s->asc = s->ascq = 0;
	data_in(L, i, 18, cdb[4]);
}

static void cmd_inquiry(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	if (cdb[1] & 0x01) {			/* vital product data: none */
		check_condition(s, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(s->buf, 0, 36);
	s->buf[0] = 0x05;			/* CD/DVD */
	s->buf[1] = 0x80;			/* removable */
	s->buf[2] = 0x00;
	s->buf[3] = 0x21;			/* ATAPI, response format 1 */
	s->buf[4] = 31;
	memcpy(s->buf + 8, "DOMUS   ", 8);
	memcpy(s->buf + 16, "ATAPI CD-ROM    ", 16);
	memcpy(s->buf + 32, "1.0 ", 4);
	data_in(L, i, 36, be16(cdb + 3));
}

static void cmd_read_capacity(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint64_t last = L->ide[i].blocks - 1;

	(void)cdb;
	put_be32(s->buf, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
	put_be32(s->buf + 4, CD_BLOCK);
	data_in(L, i, 8, 8);
}

static void cmd_read(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint32_t lba = be32(cdb + 2);
	uint32_t count = cdb[0] == 0x28 ? be16(cdb + 7) : be32(cdb + 6);

	if (lba >= L->ide[i].blocks || count > L->ide[i].blocks - lba) {
		check_condition(s, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	s->cur = lba;
	s->left = count;
	s->pos = s->len = 0;
	dm_atapi_chunk(L, i);
}

/* A TOC address: LBA, or MSF (+2 s of lead-in) */
static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (msf) {
		lba += 150;
		p[0] = 0;
		p[1] = (uint8_t)(lba / 75 / 60 > 255 ? 255 : lba / 75 / 60);
		p[2] = (uint8_t)(lba / 75 % 60);
		p[3] = (uint8_t)(lba % 75);
	} else {
		put_be32(p, (uint32_t)lba);
	}
}

static void cmd_read_toc(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	bool msf = cdb[1] & 0x02;
	unsigned int format = cdb[2] & 0x0f;

	if (!format)
		format = cdb[9] >> 6;		/* the old place of the format */
	memset(s->buf, 0, 20);
	if (format == 0) {			/* the track list: track 1 and the lead-out */
		put_be16(s->buf, 18);
		s->buf[2] = s->buf[3] = 1;
		s->buf[5] = 0x14;		/* ADR 1, data track */
		s->buf[6] = 1;
		put_addr(s->buf + 8, 0, msf);
		s->buf[13] = 0x14;
		s->buf[14] = 0xaa;
		put_addr(s->buf + 16, L->ide[i].blocks, msf);
		data_in(L, i, 20, be16(cdb + 7));
	} else if (format == 1) {		/* sessions: one */
		put_be16(s->buf, 10);
		s->buf[2] = s->buf[3] = 1;
		s->buf[5] = 0x14;
		s->buf[6] = 1;
		put_addr(s->buf + 8, 0, msf);
		data_in(L, i, 12, be16(cdb + 7));
	} else {
		check_condition(s, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
	}
}

static void cmd_get_configuration(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	memset(s->buf, 0, 8);
	put_be32(s->buf, 4);			/* the header's length after this field */
	put_be16(s->buf + 6, L->ide[i].fd >= 0 ? 0x0008 : 0);	/* CD-ROM profile, or none */
	data_in(L, i, 8, be16(cdb + 7));
}

static void cmd_event_status(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];

	if (!(cdb[1] & 0x01)) {			/* asynchronous: not supported */
		check_condition(s, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(s->buf, 0, 8);
	s->buf[3] = 0x10;			/* supported: the media class */
	if (cdb[4] & 0x10) {
		put_be16(s->buf, 6);
		s->buf[2] = 0x04;		/* media class, no event */
		s->buf[5] = L->ide[i].fd >= 0 ? 0x02 : 0;	/* medium present */
		data_in(L, i, 8, be16(cdb + 7));
	} else {
		put_be16(s->buf, 2);
		s->buf[2] = 0x80;		/* no event available */
		data_in(L, i, 4, be16(cdb + 7));
	}
}

static void cmd_mode_sense(struct launcher *L, unsigned int i, const uint8_t *cdb)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	unsigned int page = cdb[2] & 0x3f, n = 8;

	memset(s->buf, 0, 8 + 12 + 20);
	if (page == 0x01 || page == 0x3f) {	/* read error recovery */
		s->buf[n] = 0x01;
		s->buf[n + 1] = 10;
		n += 12;
	}
	if (page == 0x2a || page == 0x3f) {	/* capabilities: reads CD-ROM, lock, eject */
		s->buf[n] = 0x2a;
		s->buf[n + 1] = 18;
		s->buf[n + 6] = 0x29;
		put_be16(s->buf + n + 8, 706);	/* KB/s, 4x */
		put_be16(s->buf + n + 12, 512);	/* buffer KB */
		put_be16(s->buf + n + 14, 706);
		n += 20;
	}
	if (n == 8) {
		check_condition(s, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	put_be16(s->buf, n - 2);
	s->buf[2] = 0x01;			/* medium type: 120 mm data CD */
	data_in(L, i, n, be16(cdb + 7));
}

static const struct {
	uint8_t op;
	bool medium;			/* needs a medium in the drive */
	atapi_fn *fn;
} atapi_cmds[] = {
	{ 0x00, true, cmd_ok },			/* TEST UNIT READY */
	{ 0x03, false, cmd_request_sense },
	{ 0x12, false, cmd_inquiry },
	{ 0x1b, false, cmd_ok },		/* START STOP UNIT (no tray to move) */
	{ 0x1e, false, cmd_ok },		/* PREVENT ALLOW MEDIUM REMOVAL */
	{ 0x25, true, cmd_read_capacity },
	{ 0x28, true, cmd_read },		/* READ(10) */
	{ 0x2b, true, cmd_ok },			/* SEEK(10) */
	{ 0x43, true, cmd_read_toc },
	{ 0x46, false, cmd_get_configuration },
	{ 0x4a, false, cmd_event_status },
	{ 0x5a, false, cmd_mode_sense },	/* MODE SENSE(10) */
	{ 0xa8, true, cmd_read },		/* READ(12) */
	{ 0xbb, false, cmd_ok },		/* SET CD SPEED */
};

/* The 12-byte command is in buf: run it. */
void dm_atapi_packet(struct launcher *L, unsigned int i)
{
	struct dm_ide_drive *s = &L->dm.ide.d[i];
	uint8_t cdb[12];
	size_t k;

	memcpy(cdb, s->buf, sizeof(cdb));
	if (!s->limit)
		s->limit = 0xfffe;			/* 0: as much as fits */
	for (k = 0; k < sizeof(atapi_cmds) / sizeof(atapi_cmds[0]); k++) {
		if (atapi_cmds[k].op != cdb[0])
			continue;
		if (atapi_cmds[k].medium && L->ide[i].fd < 0)
			check_condition(s, SK_NOT_READY, ASC_NO_MEDIUM);
		else
			atapi_cmds[k].fn(L, i, cdb);
		return;
	}
	if (!(L->dm.ide.logged[cdb[0] >> 3] & (1u << (cdb[0] & 7)))) {
		L->dm.ide.logged[cdb[0] >> 3] |= (uint8_t)(1u << (cdb[0] & 7));
		l_log(L, "disk %s: ATAPI command 0x%02x refused: ILLEGAL REQUEST (each opcode logged once)",
		      L->ide[i].vdev, cdb[0]);
	}
	check_condition(s, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}
