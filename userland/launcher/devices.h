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
#include <stddef.h>
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

/*
 * Optional: the @count elements of @size of one string I/O exit (INS,
 * OUTS; docs/abi.md) in one call, @data holding them in order (reads:
 * all-ones to start with).  Same result as @count calls of pio, which
 * dm_io_exit makes when a device has none.
 */
typedef bool dm_string_fn(struct l_vcpu *t, uint64_t off, unsigned int size, unsigned int count,
			  bool write, uint8_t *data);

struct dm_device {
	const char *name;
	unsigned int types;		/* DM_PVH | DM_HVM */
	uint16_t port, nports;		/* port range; nports 0: none */
	uint64_t mmio, mmio_len;	/* MMIO range; mmio_len 0: none */
	dm_access_fn *pio, *mmio_fn;
	dm_string_fn *pio_string;	/* or NULL */
	void (*reset)(struct launcher *L);	/* at each build, or NULL */
	bool (*present)(const struct launcher *L);	/* NULL: always there */
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
extern const struct dm_device dm_acpi;		/* dev_acpi.c: the PM block, 0xb000-0xb00b (acpi.h) */
extern const struct dm_device dm_ide, dm_ide_ctl;	/* dev_ide.c: 0x1f0-0x1f7, 0x3f6 */
extern const struct dm_device dm_ide2, dm_ide2_ctl;	/* dev_ide.c: 0x170-0x177, 0x376 */
extern const struct dm_device dm_xenplat_ports;	/* dev_xenplat.c: 0x10-0x13 (with the device) */
/* dev_xenplat.c: the Xen platform PCI device's BARs (dev_pci.c dispatches them) */
dm_access_fn dm_xenplat_bar_io, dm_xenplat_bar_mem;

/* What the data port moves for an IDE drive (dev_ide.c, dev_atapi.c). */
enum dm_ide_xfer {
	DM_IDE_NONE,
	DM_IDE_READ,			/* ATA read: buf is a sector, more follow */
	DM_IDE_WRITE,			/* ATA write: buf takes a sector */
	DM_IDE_PIO_IN,			/* IDENTIFY: buf once */
	DM_IDE_PACKET,			/* ATAPI: buf takes the 12-byte command */
	DM_IDE_ATAPI_IN,		/* ATAPI data to the host, in byte-count chunks */
};

#define DM_IDE_MULTI	16	/* sectors per DRQ block of READ/WRITE MULTIPLE at most */
#define DM_IDE_BUF	(DM_IDE_MULTI * 512)
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
	uint8_t multi;			/* SET MULTIPLE MODE's sectors per block; 0: off */
	uint8_t blk;			/* sectors per DRQ block of the command running */
	uint8_t buf[DM_IDE_BUF];
};

struct dm_ide {
	uint8_t ctl[2];			/* device control of each channel */
	bool intrq[2];			/* each channel's INTRQ (IRQ 14, 15 unless nIEN) */
	struct dm_ide_drive d[4];	/* hda hdb hdc hdd */
	bool unplugged[4];		/* removed by the Xen platform device's unplug */
	uint8_t logged[256 / 8];	/* ATAPI opcodes refused and logged once */
};

/* dev_atapi.c: the packet commands of a CD-ROM drive (the device lock held) */
void dm_atapi_identify(struct launcher *L, unsigned int i);
void dm_atapi_packet(struct launcher *L, unsigned int i);
void dm_atapi_chunk(struct launcher *L, unsigned int i);
/* dev_ide.c: the Xen platform device's unplug of the emulated disks (the
 * lock held; @keep_primary: all but hda); returns a mask of the drives removed */
unsigned int dm_ide_unplug(struct launcher *L, bool keep_primary);
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

/*
 * The 8254 PIT (dev_pit.c): a pure state machine over a time in
 * nanoseconds the caller passes (CLOCK_MONOTONIC in the launcher, a
 * made-up clock in tests/unit/test_pit.c).  A counter's position is
 * base + the input-clock ticks since start while it runs.
 */
#define DM_PIT_HZ		1193182ull
#define DM_PIT_MIN_PERIOD_NS	50000ull	/* IRQ 0 events no closer than 50 us (20 kHz) */

struct dm_pit_ch {
	uint32_t reload;		/* the count in effect: 1..0x10000 (BCD: 1..10000) */
	uint16_t written;		/* the count register as written (BCD digits when bcd) */
	uint16_t latch;			/* the latched count */
	uint8_t mode, access, bcd, status, latched;	/* latched: count bytes left to read */
	bool loaded;			/* a count was written since the control word */
	bool armed;			/* modes 1 and 5: triggered by the gate */
	bool null_count;		/* status bit 6 */
	bool read_msb, write_msb, status_latched, gate;
	uint64_t start;			/* ns: when the running stretch began */
	uint64_t base;			/* ticks counted before it */
	uint64_t irq_seen;		/* counter 0: ticks up to which IRQ 0 edges were reported */
};

struct dm_pit {
	struct dm_pit_ch ch[3];
	uint8_t portb;			/* port 0x61 bits 3:0 as written */
};

/* dev_pit.c: the state machine (the device lock held by the caller) */
void dm_pit_init(struct dm_pit *p, uint64_t now);
void dm_pit_write(struct dm_pit *p, unsigned int port, uint8_t v, uint64_t now);	/* port 0-3 */
uint8_t dm_pit_read(struct dm_pit *p, unsigned int port, uint64_t now);
void dm_pit_portb_write(struct dm_pit *p, uint8_t v, uint64_t now);
uint8_t dm_pit_portb_read(const struct dm_pit *p, uint64_t now);
bool dm_pit_out(const struct dm_pit *p, unsigned int ch, uint64_t now);
/* when counter 0's output next rises (UINT64_MAX: never), no sooner than
 * now + DM_PIT_MIN_PERIOD_NS */
uint64_t dm_pit_next_event(const struct dm_pit *p, uint64_t now);
/* rising edges of counter 0's output since the last call (IRQ 0 pulses) */
uint64_t dm_pit_irq0_edges(struct dm_pit *p, uint64_t now);

/*
 * The 8259A pair (dev_pic.c): a pure state machine.  Devices raise and
 * lower ISA lines 0-15; dm_pic_intr() is the master's INT output (the
 * vCPU's INTR pin), dm_pic_ack() the CPU's interrupt acknowledge.
 */
struct dm_pic_chip {
	uint8_t irr, imr, isr;
	uint8_t lines;			/* input levels as last set (edge detection) */
	uint8_t elcr, elcr_mask;	/* level-triggered inputs; which may be */
	uint8_t base;			/* ICW2: vector of input 0 */
	uint8_t prio_add;		/* the input with the highest priority (rotation) */
	uint8_t init_step;		/* 0 ready; 1-3: ICW2-ICW4 expected next */
	bool need_icw4, single, auto_eoi, rotate_aeoi, sfnm, special_mask, read_isr, poll;
};

struct dm_pic {
	struct dm_pic_chip chip[2];	/* master (IRQ 0-7), slave (IRQ 8-15, on master input 2) */
};

/* dev_pic.c: the state machine (the device lock held by the caller) */
void dm_pic_init(struct dm_pic *p);
void dm_pic_write(struct dm_pic *p, unsigned int chip, unsigned int port, uint8_t v);	/* port 0-1 */
uint8_t dm_pic_read(struct dm_pic *p, unsigned int chip, unsigned int port);
void dm_pic_elcr_write(struct dm_pic *p, unsigned int chip, uint8_t v);
uint8_t dm_pic_elcr_read(const struct dm_pic *p, unsigned int chip);
void dm_pic_set_irq(struct dm_pic *p, unsigned int irq, bool level);	/* irq 0-15 but 2 */
bool dm_pic_intr(const struct dm_pic *p);
/* INTA: the vector to deliver (a spurious 7 or 15 when the request went away) */
uint8_t dm_pic_ack(struct dm_pic *p);
/* before vCPU 0 enters: the vector to inject now (acknowledged) or -1;
 * *window: ask for an interrupt-window exit */
int dm_pic_before_run(struct dm_pic *p, bool ready, bool *window);
/* dev_pit.c: the timer thread's step: IRQ 0 pulsed for counter 0's edges
 * since the last step (*pulsed: how many), the time of the next step */
uint64_t dm_pit_timer_step(struct dm_pit *p, struct dm_pic *pic, uint64_t now, uint64_t *pulsed);

struct dm_i8042 {
	uint8_t ctr, out, pending;
	bool has_out, last_cmd;
};

/*
 * PCI (dev_pci.c): the functions of bus 0 from a fixed table, each with up
 * to six BARs (I/O or 32-bit memory, power-of-two sizes).  What the guest
 * may change is kept in cfg[][] (command, BAR addresses, interrupt line,
 * 0x40-0xff); ranges[] is what the BARs decode now, rebuilt on each write
 * to a command register or a BAR, and what dm_pci_bar_find() walks.
 */
#define DM_PCI_FNS	4
#define DM_PCI_BARS	6
#define DM_PCI_RANGES	(DM_PCI_FNS * DM_PCI_BARS)

/* BAR types (the low bits a BAR reads back) */
#define DM_PCI_BAR_MEM		0x0
#define DM_PCI_BAR_IO		0x1
#define DM_PCI_BAR_PREFETCH	0x8

struct dm_pci_range {
	uint64_t base, len;
	dm_access_fn *fn;
	bool io;
};

struct dm_pci {
	uint32_t addr;
	uint32_t present;		/* bit i: pci function i of the table is on the bus */
	uint8_t rcr;
	unsigned int nranges;
	struct dm_pci_range ranges[DM_PCI_RANGES];
	uint8_t cfg[DM_PCI_FNS][256];
};

/* The function a guest access decodes to (L->lock taken inside): NULL if
 * none; else *off is the offset into its BAR. */
dm_access_fn *dm_pci_bar_find(struct launcher *L, bool io, uint64_t addr, uint64_t *off);

/* The Xen platform PCI device (dev_xenplat.c): 00:03.0, and ports 0x10-0x13. */
#define DM_XENPLAT_SLOT		3
#define DM_XENPLAT_MAGIC	0x49d2
#define DM_XENPLAT_UNPLUG_IDE	0x1	/* all IDE disks (not CD-ROMs) */
#define DM_XENPLAT_UNPLUG_NICS	0x2	/* all emulated NICs */
#define DM_XENPLAT_UNPLUG_AUX	0x4	/* IDE disks but the primary master */
#define DM_XENPLAT_LOG_MAX	120	/* a guest log line is cut there */
#define DM_XENPLAT_LOG_LINES	64	/* lines logged per build; then counted */
struct dm_xenplat {
	uint8_t flags;			/* the platform-flags byte (port 0x10, BAR0+0) */
	uint16_t product;		/* as the guest's driver wrote them */
	uint32_t build;
	uint16_t unplugged;		/* the unplug bits written so far */
	uint64_t mem_reads, mem_writes;	/* BAR1 (no registers) */
	char line[DM_XENPLAT_LOG_MAX + 1];
	unsigned int len, lines;
};

#define DM_FWCFG_ITEMS	16
#define DM_FWCFG_FILES	8
#define DM_FWCFG_ARENA	8192
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
	uint8_t arena[DM_FWCFG_ARENA];
};

/*
 * The ACPI PM block of an HVM domain (dev_acpi.c; acpi.h has the ports
 * and bits): a pure state machine over a nanosecond clock the caller
 * passes, like the PIT's.
 */
struct dm_acpi {
	uint16_t sts;			/* PM1a_STS but TMR_STS (computed) */
	uint16_t en;			/* PM1a_EN */
	uint16_t cnt;			/* PM1a_CNT as kept (SCI_EN always set, SLP_EN never) */
	uint64_t start;			/* ns: the PM timer's zero */
	uint64_t carry;			/* timer ticks >> 23 when TMR_STS was last cleared */
	bool sci;			/* IRQ 9 as last set */
};

enum dm_acpi_action {
	DM_ACPI_NONE,
	DM_ACPI_POWEROFF,		/* SLP_EN with the \_S5 SLP_TYP */
};

void dm_acpi_init(struct dm_acpi *a, uint64_t now);
uint32_t dm_acpi_timer(const struct dm_acpi *a, uint64_t now);	/* PM_TMR: 24 bits */
/* @size bytes at @off (0-11) into the block */
uint32_t dm_acpi_read(struct dm_acpi *a, unsigned int off, unsigned int size, uint64_t now);
enum dm_acpi_action dm_acpi_write(struct dm_acpi *a, unsigned int off, unsigned int size, uint32_t v,
				  uint64_t now);
bool dm_acpi_sci(const struct dm_acpi *a);	/* the SCI's level */
void dm_acpi_power_button(struct dm_acpi *a);	/* PWRBTN_STS */
/* the host's power button: PWRBTN_STS and the SCI if enabled (takes the lock) */
void dm_acpi_press_power_button(struct launcher *L);

/* The 16550's registers (dev_uart.c), reset at each build. */
#define DM_UART_FIFO	16
struct dm_uart_regs {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri;			/* THR-empty interrupt pending (IIR 0x02) */
	uint8_t lsr_err;		/* LSR.OE until LSR is read */
	uint8_t rx[DM_UART_FIFO];	/* the RX FIFO: rx_count bytes from rx_head */
	uint8_t rx_head, rx_count;
};

/* The interrupt path of an HVM domain (hvm_irq.c), under L->lock. */
struct dm_irq {
	pthread_t th;			/* the PIT's timer thread */
	pthread_cond_t cv;		/* it waits here (CLOCK_MONOTONIC) */
	bool running, stop;
	bool halted;			/* a multiboot vCPU 0 in HLT: wait for INT before entry */
	uint64_t kick_gen, seen_gen;	/* kicks sent; the last one vCPU 0 looked at */
	uint64_t last_rekick;		/* ns */
	uint64_t ticks, injected, halts;	/* IRQ 0 edges, vectors injected, HLTs waited */
};

/* dev_uart.c: the 16550 as a state machine (the device lock held by the caller) */
void dm_uart_init(struct dm_uart_regs *u);
bool dm_uart_irq(const struct dm_uart_regs *u);	/* IRQ 4's level */
uint8_t dm_uart_read(struct dm_uart_regs *u, unsigned int reg);	/* reg 0-7 */
bool dm_uart_write(struct dm_uart_regs *u, unsigned int reg, uint8_t v);	/* true: a byte for the console */
unsigned int dm_uart_rx_room(const struct dm_uart_regs *u);
unsigned int dm_uart_rx_put(struct dm_uart_regs *u, const uint8_t *buf, unsigned int n);
/* console input into the receiver (takes the device lock): as many of
 * @n bytes as it has room for, IRQ 4 raised if enabled; returns them */
size_t dm_uart_receive(struct launcher *L, const char *buf, size_t n);

/* Per-launcher device state (in struct launcher). */
struct dm_state {
	struct dm_irq irq;
	struct dm_uart_regs uart;
	struct dm_bioslog bioslog;
	struct dm_rtc rtc;
	struct dm_pit pit;
	struct dm_pic pic;
	struct dm_i8042 kbc;
	struct dm_pci pci;
	struct dm_xenplat xenplat;
	struct dm_fwcfg fwcfg;
	struct dm_acpi acpi;
	struct dm_ide ide;
	uint64_t unclaimed;		/* accesses no device claimed (all ports) */
	unsigned int logged;		/* unclaimed ports logged so far */
	uint8_t seen[65536 / 8];	/* ports logged once */
};

#define DM_UNCLAIMED_LOG_MAX	32	/* distinct ports logged; then one line says so */

/* hvm_irq.c (docs/devices.md "Interrupts (HVM)"); the first two under L->lock */
void dm_irq_kick(struct launcher *L);		/* INT may be up: vCPU 0 looks */
void dm_irq_timer_poke(struct launcher *L);	/* the PIT was written */
int dm_irq_start(struct launcher *L);
void dm_irq_stop(struct launcher *L);
int dm_irq_before_run(struct l_vcpu *t);	/* 1 enter, 0 not yet (loop), -1 stopped */
bool dm_irq_halt_wait(struct l_vcpu *t);

/* Reset the devices of the domain's type (each build). */
void dm_reset(struct launcher *L);
/* Dispatch the vCPU's DOMUS_EXIT_IO / DOMUS_EXIT_MMIO; false: stop the vCPU. */
bool dm_io_exit(struct l_vcpu *t);
bool dm_mmio_exit(struct l_vcpu *t);

#endif
