// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: PCI configuration mechanism #1 (0xcf8 address,
 * 0xcfc-0xcff data) and the PIIX reset control register (0xcf9), HVM
 * domains.  Bus 0 holds what SeaBIOS expects of QEMU's "pc" machine:
 * 00:00.0 the i440FX host bridge (8086:1237, subsystem 1af4:1100) and
 * 00:01.0 the PIIX3 ISA bridge (8086:7000, multi-function header), and
 * with a disk 00:01.1 the PIIX3 IDE function (8086:7010, legacy ports).  Their
 * device-specific registers (0x40-0xff: the i440FX's PAM bytes 0x59-0x5f,
 * the PIIX3's PIRQ routing 0x60-0x63) keep what is written and mean
 * nothing: the BIOS area is always RAM (firmware.c), so SeaBIOS's
 * shadowing through PAM is a harmless self-copy.  Other functions read
 * all-ones.  0xcf9 with bit 2 (RST_CPU) set resets the system (a reboot).
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define PCI_DEVFN(d, f)	((d) << 3 | (f))

struct pci_fn_id {
	uint8_t devfn;
	uint16_t vendor, device;
	uint32_t class_rev;	/* class << 8 | revision */
	uint8_t header;
};

static const struct pci_fn_id pci_fns[DM_PCI_FNS] = {
	{ PCI_DEVFN(0, 0), 0x8086, 0x1237, 0x06000002, 0x00 },	/* i440FX host bridge */
	{ PCI_DEVFN(1, 0), 0x8086, 0x7000, 0x06010000, 0x80 },	/* PIIX3 ISA bridge */
	{ PCI_DEVFN(1, 1), 0x8086, 0x7010, 0x01010000, 0x00 },	/* PIIX3 IDE: with a disk (dev_ide.c) */
};

static void wr16(uint8_t *c, unsigned int off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void pci_reset(struct launcher *L)
{
	unsigned int i;

	memset(&L->dm.pci, 0, sizeof(L->dm.pci));
	for (i = 0; i < DM_PCI_FNS; i++) {
		uint8_t *c = L->dm.pci.cfg[i];

		wr16(c, 0x00, pci_fns[i].vendor);
		wr16(c, 0x02, pci_fns[i].device);
		wr16(c, 0x04, 0x0007);		/* I/O, memory, bus master */
		wr16(c, 0x06, 0x0200);		/* medium DEVSEL */
		c[0x08] = (uint8_t)pci_fns[i].class_rev;
		c[0x09] = (uint8_t)(pci_fns[i].class_rev >> 8);
		wr16(c, 0x0a, (uint16_t)(pci_fns[i].class_rev >> 16));
		c[0x0e] = pci_fns[i].header;
		wr16(c, 0x2c, 0x1af4);		/* subsystem: QEMU's, which SeaBIOS looks for */
		wr16(c, 0x2e, 0x1100);
	}
	L->dm.pci.ide = l_ide_any(L);
	/* PIIX3: PIRQA-D routing disabled until the firmware routes them */
	memset(&L->dm.pci.cfg[1][0x60], 0x80, 4);
}

static int find_fn(const struct dm_pci *p, uint32_t addr)
{
	unsigned int i;

	if (!(addr & 0x80000000u) || ((addr >> 16) & 0xff))
		return -1;	/* disabled, or not bus 0 */
	for (i = 0; i < DM_PCI_FNS; i++)
		if (pci_fns[i].devfn == ((addr >> 8) & 0xff))
			return i == 2 && !p->ide ? -1 : (int)i;
	return -1;
}

/* Registers the guest may write: command, cache line/latency, interrupt
 * line, and the device-specific space. */
static bool writable(unsigned int reg)
{
	return reg == 0x04 || reg == 0x05 || reg == 0x0c || reg == 0x0d || reg == 0x3c || reg >= 0x40;
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
				p->addr = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
					  (uint32_t)data[3] << 24;
			else
				for (i = 0; i < 4; i++)
					data[i] = (uint8_t)(p->addr >> (8 * i));
		} else if (off == 1 && size == 1) {	/* 0xcf9: reset control */
			if (write) {
				p->rcr = data[0] & 0x0e;
				reset = data[0] & 0x04;
			} else {
				data[0] = p->rcr;
			}
		}
		/* other accesses to 0xcf8-0xcfb: all-ones, ignored */
	} else {
		unsigned int reg = (p->addr & 0xfc) + (unsigned int)(off - 4);

		fn = find_fn(p, p->addr);
		for (i = 0; i < size && reg + i < 256; i++) {
			if (fn < 0)
				continue;	/* reads stay all-ones */
			if (!write)
				data[i] = p->cfg[fn][reg + i];
			else if (writable(reg + i))
				p->cfg[fn][reg + i] = data[i];
		}
	}
	pthread_mutex_unlock(&L->lock);
	if (reset) {
		dom_guest_stopped(L, XEN_SHUTDOWN_REBOOT, "PCI reset control (0xcf9)");
		return false;
	}
	return true;
}

const struct dm_device dm_pci = {
	.name = "pci-host", .types = DM_HVM, .port = 0xcf8, .nports = 8, .pio = pci_pio, .reset = pci_reset,
};
