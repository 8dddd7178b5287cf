/* SPDX-License-Identifier: MIT */
/*
 * The launcher's device model (docs/launcher.md "Device model"): one file
 * per device (dev_*.c), one table of port and MMIO ranges (devices.c)
 * that DOMUS_EXIT_IO and DOMUS_EXIT_MMIO are dispatched through.  A
 * device names the domain types it sits in.  Ports no device claims read
 * as all-ones and ignore writes; each such port is counted and logged
 * once.  Nothing a guest does here is fatal to the launcher.
 */
#ifndef DOMUS_LAUNCHER_DEVICES_H
#define DOMUS_LAUNCHER_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

struct l_vcpu;
struct launcher;

/* which domains a device sits in */
#define DM_PVH		(1u << 0)
#define DM_HVM		(1u << 1)

/*
 * One access of @size bytes (1, 2 or 4; 1-8 for MMIO) at @off into the
 * device's range.  Writes: @data holds the value (little-endian).  Reads:
 * fill @data (it starts all-ones).  Return false when the access ended
 * the domain (the vCPU stops), true otherwise.
 */
typedef bool dm_access_fn(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data);

struct dm_device {
	const char *name;
	unsigned int types;		/* DM_PVH | DM_HVM */
	uint16_t port, nports;		/* port range; nports 0: none */
	uint64_t mmio, mmio_len;	/* MMIO range; mmio_len 0: none */
	dm_access_fn *pio, *mmio_fn;
	void (*reset)(struct launcher *L);	/* at each build, or NULL */
};

/* the devices (one file each) */
extern const struct dm_device dm_debugcon;	/* dev_debugcon.c: port 0xe9 */
extern const struct dm_device dm_acpi_pm;	/* dev_acpipm.c: ports 0x600-0x601 (loader.h) */
extern const struct dm_device dm_uart;		/* dev_uart.c: COM1, 0x3f8-0x3ff */
extern const struct dm_device dm_testexit;	/* dev_testexit.c: port 0xf4 */

#define DM_TESTEXIT_PORT	0xf4

/* HVM platform devices (what SeaBIOS needs; docs/devices.md) */
extern const struct dm_device dm_bioslog;	/* dev_bioslog.c: port 0x402 */
extern const struct dm_device dm_rtc;		/* dev_rtc.c: 0x70-0x71 */
extern const struct dm_device dm_pit, dm_portb;	/* dev_pit.c: 0x40-0x43, 0x61 */
extern const struct dm_device dm_pic_master, dm_pic_slave, dm_elcr;	/* dev_pic.c */
extern const struct dm_device dm_i8042_data, dm_i8042_cmd;	/* dev_i8042.c: 0x60, 0x64 */
extern const struct dm_device dm_porta;		/* dev_porta.c: 0x92 */
extern const struct dm_device dm_dma1, dm_dma_page, dm_dma2;	/* dev_isadma.c */
extern const struct dm_device dm_pci;		/* dev_pci.c: 0xcf8-0xcff */
extern const struct dm_device dm_fwcfg;		/* dev_fwcfg.c: 0x510-0x51b */
extern const struct dm_device dm_ide, dm_ide_ctl;	/* dev_ide.c: 0x1f0-0x1f7, 0x3f6 */
extern const struct dm_device dm_ide2, dm_ide2_ctl;	/* dev_ide.c: 0x170-0x177, 0x376 */

/* What the data port moves for an IDE drive (dev_ide.c, dev_atapi.c). */
enum dm_ide_xfer {
	DM_IDE_NONE,
	DM_IDE_READ,			/* ATA read: buf is a sector, more follow */
	DM_IDE_WRITE,			/* ATA write: buf takes a sector */
	DM_IDE_PIO_IN,			/* IDENTIFY: buf once */
	DM_IDE_PACKET,			/* ATAPI: buf takes the 12-byte command */
	DM_IDE_ATAPI_IN,		/* ATAPI data to the host, in byte-count chunks */
};

#define DM_IDE_BUF	2048
struct dm_ide_drive {
	/* the task file: written to both drives of a channel, read from the selected one */
	uint8_t status, error, feat, sc, hob_sc, lba[3], hob_lba[3], dh;
	enum dm_ide_xfer xfer;
	uint64_t cur;			/* the next block to read or write */
	uint32_t left;			/* blocks still to move after the buffer */
	uint32_t pos, end;		/* into buf: next byte, end of this DRQ block */
	uint32_t len;			/* ATAPI: bytes valid in buf */
	uint32_t limit;			/* ATAPI: the host's byte-count limit */
	uint8_t sense_key, asc, ascq;	/* ATAPI: the last error, for REQUEST SENSE */
	uint8_t buf[DM_IDE_BUF];
};

struct dm_ide {
	uint8_t ctl[2];			/* device control of each channel */
	struct dm_ide_drive d[4];	/* hda hdb hdc hdd */
	uint8_t logged[256 / 8];	/* ATAPI opcodes refused and logged once */
};

/* dev_atapi.c: the packet commands of a CD-ROM drive (the device lock held) */
void dm_atapi_identify(struct launcher *L, unsigned int i);
void dm_atapi_packet(struct launcher *L, unsigned int i);
void dm_atapi_chunk(struct launcher *L, unsigned int i);
/* dev_ide.c: helpers they share */
void dm_ide_put_str(uint8_t *buf, unsigned int word, unsigned int words, const char *str);

struct dm_bioslog {
	char buf[200];
	unsigned int len;
};

struct dm_rtc {
	uint8_t index;
	uint8_t cmos[128];
};

struct dm_pit_ch {
	uint16_t count, latch;
	uint8_t mode, access, bcd, status, latched;
	bool loaded, read_msb, write_msb, status_latched;
	uint64_t load_ns;
};

struct dm_pit {
	struct dm_pit_ch ch[3];
	uint8_t portb;
};

struct dm_pic_chip {
	uint8_t imr, irr, isr, vector_base, icw_step;
	bool need_icw4, auto_eoi, read_isr;
};

struct dm_pic {
	struct dm_pic_chip chip[2];
	uint8_t elcr[2];
};

struct dm_i8042 {
	uint8_t ctr, out, pending;
	bool has_out, last_cmd;
};

#define DM_PCI_FNS	3
struct dm_pci {
	uint32_t addr;
	bool ide;			/* 00:01.1 present (a disk) */
	uint8_t rcr;
	uint8_t cfg[DM_PCI_FNS][256];
};

#define DM_FWCFG_ITEMS	16
#define DM_FWCFG_FILES	8
struct dm_fwcfg_item {
	uint16_t key;
	uint32_t off, len;
};

struct dm_fwcfg {
	uint16_t key;
	uint32_t pos, dma_high;
	unsigned int nitems;
	uint32_t used;
	struct dm_fwcfg_item items[DM_FWCFG_ITEMS];
	uint8_t arena[4096];
};

/* The 16550's registers (dev_uart.c), reset at each build. */
struct dm_uart_regs {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
};

/* Per-launcher device state (in struct launcher). */
struct dm_state {
	struct dm_uart_regs uart;
	struct dm_bioslog bioslog;
	struct dm_rtc rtc;
	struct dm_pit pit;
	struct dm_pic pic;
	struct dm_i8042 kbc;
	struct dm_pci pci;
	struct dm_fwcfg fwcfg;
	struct dm_ide ide;
	uint64_t unclaimed;		/* accesses no device claimed (all ports) */
	unsigned int logged;		/* unclaimed ports logged so far */
	uint8_t seen[65536 / 8];	/* ports logged once */
};

#define DM_UNCLAIMED_LOG_MAX	32	/* distinct ports logged; then one line says so */

/* Reset the devices of the domain's type (each build). */
void dm_reset(struct launcher *L);
/* Dispatch the vCPU's DOMUS_EXIT_IO / DOMUS_EXIT_MMIO; false: stop the vCPU. */
bool dm_io_exit(struct l_vcpu *t);
bool dm_mmio_exit(struct l_vcpu *t);

#endif
