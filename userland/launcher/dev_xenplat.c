// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the Xen platform PCI device of an HVM domain
 * (xen_platform_pci = 1; docs/devices.md "Xen platform device").  Its PCI
 * function (00:03.0, 5853:0001) is in dev_pci.c's table with two BARs:
 * BAR0, 256 bytes of I/O (offset 0 the platform-flags byte, offset 8 a
 * log byte), and BAR1, 16 MiB of prefetchable memory with no registers
 * (the guest's free space for grant frames, once the core maps them).
 * The fixed ports 0x10-0x1f speak the "unplug" protocol Linux's
 * xen_unplug_emulated_devices() and Windows PV drivers use:
 *
 *   inw 0x10    magic 0x49d2            inb 0x12   protocol version 1
 *   outl 0x10   driver build number     outw 0x12  product number
 *   outw 0x10   unplug mask             outb 0x12  a log character
 *   inb/outb 0x10  the platform flags (as BAR0+0)
 *
 * Unplug bit 0 takes every emulated IDE disk off the bus (CD-ROMs stay),
 * bit 2 every one but the primary master, bit 1 the emulated NICs (there
 * are none yet); they come back at the next build (a reboot).  What the
 * guest writes is logged in the domain log, bounded.
 */
#include <stdio.h>
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define XENPLAT_PORT		0x10
#define XENPLAT_PROTOCOL	1
#define XENPLAT_FLAGS_MASK	0x01	/* bit 0: "ROM lock" (kept, means nothing here) */

static void xenplat_reset(struct launcher *L)
{
	memset(&L->dm.xenplat, 0, sizeof(L->dm.xenplat));
}

static bool xenplat_present(const struct launcher *L)
{
	return L->cfg.xen_platform_pci;
}

/* A log character (port 0x12, BAR0+8): *msg gets a line to log when one ends. */
static void log_char(struct dm_xenplat *x, uint8_t ch, char *msg, size_t len)
{
	if (ch != '\n' && x->len < DM_XENPLAT_LOG_MAX) {
		x->line[x->len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		return;
	}
	if (ch != '\n' || x->len) {	/* a full line is cut there; an empty one is dropped */
		x->line[x->len] = '\0';
		if (x->lines < DM_XENPLAT_LOG_LINES)
			snprintf(msg, len, "Xen platform device: guest: %s%s", x->line,
				 ++x->lines == DM_XENPLAT_LOG_LINES ? " (further lines are not logged)" : "");
		x->len = 0;
		if (ch != '\n')
			x->line[x->len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
}

static void drive_names(unsigned int mask, char *buf, size_t len)
{
	static const char *const names[4] = { "hda", "hdb", "hdc", "hdd" };
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		if (mask & (1u << i) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", names[i]);
}

/* The unplug mask (outw 0x10): *msg says what happened, once per new bit. */
static void unplug(struct launcher *L, uint16_t mask, char *msg, size_t len)
{
	struct dm_xenplat *x = &L->dm.xenplat;
	unsigned int drives = 0;
	char names[32];

	if (!(mask & ~x->unplugged))
		return;		/* nothing new: a guest may repeat itself */
	x->unplugged |= mask;
	if (mask & DM_XENPLAT_UNPLUG_IDE)
		drives = dm_ide_unplug(L, false);
	else if (mask & DM_XENPLAT_UNPLUG_AUX)
		drives = dm_ide_unplug(L, true);
	drive_names(drives, names, sizeof(names));
	snprintf(msg, len, "Xen platform device: the guest unplugs 0x%04x: IDE disks %s%s%s", mask,
		 drives ? names : "none", mask & DM_XENPLAT_UNPLUG_NICS ? "; no emulated NICs" : "",
		 mask & ~(DM_XENPLAT_UNPLUG_IDE | DM_XENPLAT_UNPLUG_NICS | DM_XENPLAT_UNPLUG_AUX) ?
		 "; other bits ignored" : "");
}

static uint32_t le(const uint8_t *data, unsigned int size)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < size && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

static bool xenplat_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_xenplat *x = &L->dm.xenplat;
	char msg[200] = "";
	uint32_t v = le(data, size);

	pthread_mutex_lock(&L->lock);
	if (off == 0 && !write) {
		if (size == 2) {
			data[0] = (uint8_t)DM_XENPLAT_MAGIC;
			data[1] = (uint8_t)(DM_XENPLAT_MAGIC >> 8);
		} else if (size == 1) {
			data[0] = x->flags;
		}
	} else if (off == 0) {
		if (size == 1)
			x->flags = (uint8_t)(v & XENPLAT_FLAGS_MASK);
		else if (size == 2)
			unplug(L, (uint16_t)v, msg, sizeof(msg));
		else
			x->build = v;
	} else if (off == 2 && !write) {
		if (size == 1)
			data[0] = XENPLAT_PROTOCOL;
	} else if (off == 2) {
		if (size == 1)
			log_char(x, (uint8_t)v, msg, sizeof(msg));
		else if (size == 2)
			x->product = (uint16_t)v;
	}
	/* other ports and sizes: all-ones, ignored */
	pthread_mutex_unlock(&L->lock);
	if (msg[0])
		l_log(L, "%s", msg);
	return true;
}

/* BAR0: offset 0 the platform flags, offset 8 the log byte. */
bool dm_xenplat_bar_io(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_xenplat *x = &L->dm.xenplat;
	char msg[200] = "";

	if (size != 1 || (off != 0 && off != 8))
		return true;
	pthread_mutex_lock(&L->lock);
	if (off == 0 && write)
		x->flags = data[0] & XENPLAT_FLAGS_MASK;
	else if (off == 0)
		data[0] = x->flags;
	else if (write)
		log_char(x, data[0], msg, sizeof(msg));
	pthread_mutex_unlock(&L->lock);
	if (msg[0])
		l_log(L, "%s", msg);
	return true;
}

/* BAR1: no registers; reads all-ones, writes ignored, both counted. */
bool dm_xenplat_bar_mem(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;

	(void)off;
	(void)size;
	(void)data;
	pthread_mutex_lock(&L->lock);
	if (write)
		L->dm.xenplat.mem_writes++;
	else
		L->dm.xenplat.mem_reads++;
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_xenplat_ports = {
	.name = "xen-platform", .types = DM_HVM, .port = XENPLAT_PORT, .nports = 16, .pio = xenplat_pio,
	.reset = xenplat_reset, .present = xenplat_present,
};
