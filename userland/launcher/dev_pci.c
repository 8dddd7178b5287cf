// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: PCI configuration mechanism #1 (0xcf8 address,
 * 0xcfc-0xcff data) and the PIIX reset control register (0xcf9), HVM
 * domains.  Bus 0 holds what SeaBIOS expects of QEMU's "pc" machine:
 * 00:00.0 the i440FX host bridge (8086:1237, subsystem 1af4:1100) and
 * 00:01.0 the PIIX3 ISA bridge (8086:7000, multi-function header), with a
 * disk 00:01.1 the PIIX3 IDE function (8086:7010, legacy ports), and with
 * xen_platform_pci = 1 00:03.0 the Xen platform device (dev_xenplat.c).
 * Their device-specific registers (0x40-0xff: the i440FX's PAM bytes
 * 0x59-0x5f, the PIIX3's PIRQ routing 0x60-0x63) keep what is written and
 * mean nothing: the BIOS area is always RAM (firmware.c), so SeaBIOS's
 * shadowing through PAM is a harmless self-copy.  Other functions read
 * all-ones.  0xcf9 with bit 2 (RST_CPU) set resets the system (a reboot).
 *
 * BARs (docs/devices.md "PCI"): each function's table entry gives up to
 * six, I/O or 32-bit memory, of a power-of-two size.  A BAR keeps the
 * address bits its size allows and reads its type bits back (so writing
 * all-ones and reading gives the size mask); the command register's I/O
 * and memory bits switch decoding.  What decodes where is kept in a small
 * table (ranges[]) rebuilt after each write to a command register or a
 * BAR; devices.c asks dm_pci_bar_find() for an access no fixed device
 * claims.  A BAR at 0, or an I/O BAR past port 0xffff, decodes nothing.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define PCI_DEVFN(d, f)	((d) << 3 | (f))
#define CMD_IO		0x0001
#define CMD_MEM		0x0002
#define CMD_WRITABLE	0x0547	/* I/O, memory, bus master, parity, SERR, INTx disable */

struct pci_bar_def {
	uint32_t size;		/* a power of two (I/O >= 4, memory >= 16), 0: no BAR */
	uint8_t type;		/* DM_PCI_BAR_IO, or DM_PCI_BAR_MEM with DM_PCI_BAR_PREFETCH */
	dm_access_fn *fn;
};

struct pci_fn_def {
	uint8_t devfn;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_rev;	/* class << 8 | revision */
	uint8_t header, pin;	/* pin: 0 none, 1-4 INTA-INTD */
	uint16_t command;	/* at reset */
	struct pci_bar_def bar[DM_PCI_BARS];
};

enum { FN_HOST, FN_ISA, FN_IDE, FN_XENPLAT };

static const struct pci_fn_def pci_fns[DM_PCI_FNS] = {
	[FN_HOST] = { PCI_DEVFN(0, 0), 0x8086, 0x1237, 0x1af4, 0x1100, 0x06000002, 0x00, 0, 0x0007, { { 0 } } },
	[FN_ISA] = { PCI_DEVFN(1, 0), 0x8086, 0x7000, 0x1af4, 0x1100, 0x06010000, 0x80, 0, 0x0007, { { 0 } } },
	[FN_IDE] = { PCI_DEVFN(1, 1), 0x8086, 0x7010, 0x1af4, 0x1100, 0x01010000, 0x00, 0, 0x0007, { { 0 } } },
	[FN_XENPLAT] = { PCI_DEVFN(DM_XENPLAT_SLOT, 0), 0x5853, 0x0001, 0x5853, 0x0001, 0xff800001, 0x00, 1,
			 CMD_IO | CMD_MEM, {
				 { 0x100, DM_PCI_BAR_IO, dm_xenplat_bar_io },
				 { 0x1000000, DM_PCI_BAR_MEM | DM_PCI_BAR_PREFETCH, dm_xenplat_bar_mem },
			 } },
};

static void wr16(uint8_t *c, unsigned int off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static uint16_t rd16(const uint8_t *c, unsigned int off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *c, unsigned int off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 | (uint32_t)c[off + 3] << 24;
}

static void wr32(uint8_t *c, unsigned int off, uint32_t v)
{
	wr16(c, off, (uint16_t)v);
	wr16(c, off + 2, (uint16_t)(v >> 16));
}

/* the address bits a BAR keeps (its size's alignment) */
static uint32_t bar_mask(const struct pci_bar_def *b)
{
	return ~(b->size - 1) & (b->type & DM_PCI_BAR_IO ? ~0x3u : ~0xfu);
}

/* BAR @b of function @fn as the guest left it: address bits in range, type bits fixed */
static void bar_fix(struct dm_pci *p, unsigned int fn, unsigned int b)
{
	const struct pci_bar_def *d = &pci_fns[fn].bar[b];
	unsigned int off = 0x10 + 4 * b;

	wr32(p->cfg[fn], off, d->size ? (rd32(p->cfg[fn], off) & bar_mask(d)) | d->type : 0);
}

/* What the BARs decode now (the lock held). */
static void ranges_rebuild(struct dm_pci *p)
{
	unsigned int fn, b;

	p->nranges = 0;
	for (fn = 0; fn < DM_PCI_FNS; fn++) {
		uint16_t cmd = rd16(p->cfg[fn], 0x04);

		if (!(p->present & (1u << fn)))
			continue;
		for (b = 0; b < DM_PCI_BARS; b++) {
			const struct pci_bar_def *d = &pci_fns[fn].bar[b];
			bool io = d->type & DM_PCI_BAR_IO;
			uint64_t base = rd32(p->cfg[fn], 0x10 + 4 * b) & bar_mask(d);
			struct dm_pci_range *r;

			if (!d->size || !d->fn || !base || !(cmd & (io ? CMD_IO : CMD_MEM)))
				continue;
			if (io && base + d->size > 0x10000)
				continue;
			r = &p->ranges[p->nranges++];
			r->base = base;
			r->len = d->size;
			r->fn = d->fn;
			r->io = io;
		}
	}
}

static void pci_reset(struct launcher *L)
{
	struct dm_pci *p = &L->dm.pci;
	unsigned int i, b;

	memset(p, 0, sizeof(*p));
	p->present = 1u << FN_HOST | 1u << FN_ISA;
	if (l_ide_any(L))
		p->present |= 1u << FN_IDE;
	if (L->cfg.xen_platform_pci)
		p->present |= 1u << FN_XENPLAT;
	for (i = 0; i < DM_PCI_FNS; i++) {
		const struct pci_fn_def *f = &pci_fns[i];
		uint8_t *c = p->cfg[i];

		wr16(c, 0x00, f->vendor);
		wr16(c, 0x02, f->device);
		wr16(c, 0x04, f->command);
		wr16(c, 0x06, 0x0200);		/* medium DEVSEL */
		c[0x08] = (uint8_t)f->class_rev;
		c[0x09] = (uint8_t)(f->class_rev >> 8);
		wr16(c, 0x0a, (uint16_t)(f->class_rev >> 16));
		c[0x0e] = f->header;
		wr16(c, 0x2c, f->subvendor);	/* the host bridge's: QEMU's, which SeaBIOS looks for */
		wr16(c, 0x2e, f->subdevice);
		c[0x3d] = f->pin;
		for (b = 0; b < DM_PCI_BARS; b++)
			bar_fix(p, i, b);
	}
	/* PIIX3: PIRQA-D routing disabled until the firmware routes them */
	memset(&p->cfg[FN_ISA][0x60], 0x80, 4);
	ranges_rebuild(p);
}

static int find_fn(const struct dm_pci *p, uint32_t addr)
{
	unsigned int i;

	if (!(addr & 0x80000000u) || ((addr >> 16) & 0xff))
		return -1;	/* disabled, or not bus 0 */
	for (i = 0; i < DM_PCI_FNS; i++)
		if (pci_fns[i].devfn == ((addr >> 8) & 0xff))
			return p->present & (1u << i) ? (int)i : -1;
	return -1;
}

/* One byte of a config write: what the guest may change, within bounds. */
static void cfg_write(struct dm_pci *p, unsigned int fn, unsigned int reg, uint8_t v)
{
	uint8_t *c = p->cfg[fn];

	if (reg == 0x04 || reg == 0x05)
		c[reg] = v & (uint8_t)(CMD_WRITABLE >> (8 * (reg - 0x04)));
	else if (reg >= 0x10 && reg < 0x28 && pci_fns[fn].bar[(reg - 0x10) / 4].size)
		c[reg] = v;	/* bar_fix() after the access */
	else if (reg == 0x0c || reg == 0x0d || reg == 0x3c || reg >= 0x40)
		c[reg] = v;
}

static bool pci_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_pci *p = &L->dm.pci;
	bool reset = false;
	unsigned int i;
	int fn;

	pthread_mutex_lock(&L->lock);
	if (off < 4) {
		if (off == 0 && size == 4) {
			if (write)
				p->addr = rd32(data, 0);
			else
				wr32(data, 0, p->addr);
		} else if (off == 1 && size == 1) {	/* 0xcf9: reset control */
			if (write) {
				p->rcr = data[0] & 0x0e;
				reset = data[0] & 0x04;
			} else {
				data[0] = p->rcr;
			}
		}
		/* other accesses to 0xcf8-0xcfb: all-ones, ignored */
	} else if ((fn = find_fn(p, p->addr)) >= 0) {	/* else reads stay all-ones */
		unsigned int reg = (p->addr & 0xfc) + (unsigned int)(off - 4);
		bool remap = false;

		for (i = 0; i < size && reg + i < 256; i++) {
			if (!write) {
				data[i] = p->cfg[fn][reg + i];
				continue;
			}
			cfg_write(p, (unsigned int)fn, reg + i, data[i]);
			remap |= (reg + i >= 0x04 && reg + i < 0x06) || (reg + i >= 0x10 && reg + i < 0x28);
		}
		if (remap) {
			for (i = 0; i < DM_PCI_BARS; i++)
				bar_fix(p, (unsigned int)fn, i);
			ranges_rebuild(p);
		}
	}
	pthread_mutex_unlock(&L->lock);
	if (reset) {
		dom_guest_stopped(L, XEN_SHUTDOWN_REBOOT, "PCI reset control (0xcf9)");
		return false;
	}
	return true;
}

dm_access_fn *dm_pci_bar_find(struct launcher *L, bool io, uint64_t addr, uint64_t *off)
{
	const struct dm_pci *p = &L->dm.pci;
	dm_access_fn *fn = NULL;
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	for (i = 0; i < p->nranges; i++) {
		const struct dm_pci_range *r = &p->ranges[i];

		if (r->io == io && addr >= r->base && addr - r->base < r->len) {
			fn = r->fn;
			*off = addr - r->base;
			break;
		}
	}
	pthread_mutex_unlock(&L->lock);
	return fn;
}

const struct dm_device dm_pci = {
	.name = "pci-host", .types = DM_HVM, .port = 0xcf8, .nports = 8, .pio = pci_pio, .reset = pci_reset,
};
