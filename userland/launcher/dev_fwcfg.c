// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: QEMU's fw_cfg interface (0x510 selector, 0x511
 * data, 0x514/0x518 DMA address), HVM domains -- how SeaBIOS learns the
 * machine (docs/devices.md "fw_cfg").  Items, rebuilt at each build:
 * the signature "QEMU", the ID (traditional and DMA interfaces), NOGRAPHIC
 * = 1 (SeaBIOS then runs its serial console, sercon, on COM1), the CPU
 * counts, BOOT_MENU = 0 (no "Press ESC" wait: it needs timer interrupts),
 * the file directory, the file etc/e820 (RAM from 0 to memory=; the
 * firmware reserves its own areas) and the file bootorder: boot = as
 * SeaBIOS device paths, one a line -- c the first IDE disk, d the first
 * CD-ROM drive (/pci@i0cf8/ide@1,1/drive@CHANNEL/disk@UNIT, QEMU's
 * spelling); drives it does not name boot after those it does.  DMA: the guest writes the GPA of a
 * 16-byte big-endian descriptor {control, length, address}; the write of
 * the low half (0x518) runs it at once (select, read, skip; writes are
 * refused with the error bit) and clears control.  Guest addresses are
 * checked against RAM: anything outside sets the error bit.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"
#include "acpi.h"

#define FW_KEY_SIGNATURE	0x0000
#define FW_KEY_ID		0x0001
#define FW_KEY_NOGRAPHIC	0x0004
#define FW_KEY_NB_CPUS		0x0005
#define FW_KEY_BOOT_MENU	0x000e
#define FW_KEY_MAX_CPUS		0x000f
#define FW_KEY_FILE_DIR		0x0019
#define FW_KEY_FILE_FIRST	0x0020	/* etc/e820; then bootorder, the ACPI files */
#define FW_ID_TRADITIONAL	0x01
#define FW_ID_DMA		0x02

#define FW_DMA_ERROR		0x01
#define FW_DMA_READ		0x02
#define FW_DMA_SKIP		0x04
#define FW_DMA_SELECT		0x08
#define FW_DMA_WRITE		0x10

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Add an item of @len bytes; returns its data (zeroed) or NULL when full. */
static uint8_t *add_item(struct dm_fwcfg *f, uint16_t key, uint32_t len, const char *file)
{
	struct dm_fwcfg_item *it;
	uint8_t *dir = f->arena;	/* the directory is the arena's first item */

	if (f->nitems == DM_FWCFG_ITEMS || len > sizeof(f->arena) - f->used)
		return NULL;
	it = &f->items[f->nitems++];
	it->key = key;
	it->off = f->used;
	it->len = len;
	f->used += len;
	if (file) {
		uint32_t n = (uint32_t)get_be(dir, 4);
		uint8_t *e = dir + 4 + 64 * n;

		put_be(e, len, 4);
		put_be(e + 4, key, 2);
		snprintf((char *)e + 8, 56, "%s", file);
		put_be(dir, n + 1, 4);
	}
	return f->arena + it->off;
}

/* boot = "c", "d", "cd" or "dc" (hvmcfg.c) as the file bootorder */
static void bootorder(struct launcher *L, struct dm_fwcfg *f)
{
	char text[160];
	size_t n = 0;
	const char *b;
	unsigned int i;
	uint8_t *p;

	text[0] = 0;
	for (b = L->cfg.hvm_boot; *b; b++) {
		for (i = 0; i < 4; i++)
			if (L->ide[i].present && L->ide[i].cdrom == (*b == 'd'))
				break;
		if (i < 4 && n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "/pci@i0cf8/ide@1,1/drive@%u/disk@%u\n",
					      i / 2, i % 2);
	}
	if (n >= sizeof(text) || !n)
		return;
	p = add_item(f, FW_KEY_FILE_FIRST + 1, (uint32_t)n + 1, "bootorder");
	if (p)
		memcpy(p, text, n + 1);
}

/* The ACPI tables (acpi.c) and their loader script: SeaBIOS runs the
 * script, places the tables and skips its own. */
static void acpi_files(struct dm_fwcfg *f, uint64_t ram_top)
{
	struct acpi_blobs b;
	uint8_t *p;

	if (acpi_build(&b, ram_top))
		return;		/* cannot happen: memory= is bounded below the PCI window */
	p = add_item(f, FW_KEY_FILE_FIRST + 2, ACPI_RSDP_LEN, ACPI_FILE_RSDP);
	if (p)
		memcpy(p, b.rsdp, ACPI_RSDP_LEN);
	p = add_item(f, FW_KEY_FILE_FIRST + 3, b.tables_len, ACPI_FILE_TABLES);
	if (p)
		memcpy(p, b.tables, b.tables_len);
	p = add_item(f, FW_KEY_FILE_FIRST + 4, b.loader_len, ACPI_FILE_LOADER);
	if (p)
		memcpy(p, b.loader, b.loader_len);
}

static void fwcfg_reset(struct launcher *L)
{
	struct dm_fwcfg *f = &L->dm.fwcfg;
	uint8_t *p;

	memset(f, 0, sizeof(*f));
	add_item(f, FW_KEY_FILE_DIR, 4 + 64 * DM_FWCFG_FILES, NULL);	/* filled by add_item */
	memcpy(add_item(f, FW_KEY_SIGNATURE, 4, NULL), "QEMU", 4);
	put_le(add_item(f, FW_KEY_ID, 4, NULL), FW_ID_TRADITIONAL | FW_ID_DMA, 4);
	put_le(add_item(f, FW_KEY_NOGRAPHIC, 2, NULL), 1, 2);
	put_le(add_item(f, FW_KEY_NB_CPUS, 2, NULL), L->cfg.vcpus, 2);
	put_le(add_item(f, FW_KEY_MAX_CPUS, 2, NULL), L->cfg.maxvcpus, 2);
	put_le(add_item(f, FW_KEY_BOOT_MENU, 2, NULL), 0, 2);
	/* etc/e820: {u64 address, u64 length, u32 type} little-endian */
	p = add_item(f, FW_KEY_FILE_FIRST, l_pvhvm(L) ? 40 : 20, "etc/e820");
	put_le(p, 0, 8);
	put_le(p + 8, L->mem_size, 8);
	put_le(p + 16, 1, 4);			/* RAM */
	if (l_pvhvm(L)) {			/* the special pages, reserved */
		put_le(p + 20, DOMUS_PVH_SPECIAL_GPA, 8);
		put_le(p + 28, DOMUS_PVH_SPECIAL_SIZE, 8);
		put_le(p + 36, 2, 4);
	}
	bootorder(L, f);
	acpi_files(f, L->mem_size);
	/* the directory's real size: its count and entries */
	f->items[0].len = 4 + 64 * (uint32_t)get_be(f->arena, 4);
}

static const struct dm_fwcfg_item *item(const struct dm_fwcfg *f)
{
	unsigned int i;

	for (i = 0; i < f->nitems; i++)
		if (f->items[i].key == f->key)
			return &f->items[i];
	return NULL;
}

static void select_key(struct dm_fwcfg *f, uint16_t key)
{
	f->key = key;
	f->pos = 0;
}

/* Run the DMA descriptor at @gpa (the device lock held). */
static void dma(struct launcher *L, struct dm_fwcfg *f, uint64_t gpa)
{
	uint8_t *ram = L->ram, *d;
	uint32_t control, len, i;
	uint64_t addr;
	const struct dm_fwcfg_item *it;

	if (gpa > L->mem_size || L->mem_size - gpa < 16)
		return;		/* no descriptor to answer in */
	d = ram + gpa;
	control = (uint32_t)get_be(d, 4);
	len = (uint32_t)get_be(d + 4, 4);
	addr = get_be(d + 8, 8);
	if (control & FW_DMA_SELECT)
		select_key(f, (uint16_t)(control >> 16));
	it = item(f);
	if (control & FW_DMA_WRITE) {
		control = FW_DMA_ERROR;		/* no writable item */
	} else if (control & (FW_DMA_READ | FW_DMA_SKIP)) {
		if ((control & FW_DMA_READ) && (addr > L->mem_size || L->mem_size - addr < len)) {
			control = FW_DMA_ERROR;
		} else {
			for (i = 0; i < len; i++, f->pos++)
				if (control & FW_DMA_READ)
					ram[addr + i] = it && f->pos < it->len ? f->arena[it->off + f->pos] : 0;
			control = 0;
		}
	} else {
		control = 0;
	}
	put_be(d, control, 4);
}

static bool fwcfg_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_fwcfg *f = &L->dm.fwcfg;
	const struct dm_fwcfg_item *it;

	pthread_mutex_lock(&L->lock);
	if (off == 0 && write && size == 2) {
		select_key(f, (uint16_t)(data[0] | data[1] << 8));
	} else if (off == 1 && !write && size == 1) {
		it = item(f);
		data[0] = it && f->pos < it->len ? f->arena[it->off + f->pos] : 0;
		if (f->pos < UINT32_MAX)
			f->pos++;
	} else if (off == 4 && write && size == 4) {
		f->dma_high = (uint32_t)get_be(data, 4);
	} else if (off == 8 && write && size == 4) {
		dma(L, f, (uint64_t)f->dma_high << 32 | get_be(data, 4));
		f->dma_high = 0;
	} else if (off >= 4 && !write) {
		/* the DMA address register reads "QEMU CFG" (big-endian) */
		static const char sig[8] = "QEMU CFG";
		unsigned int i;

		for (i = 0; i < size && off - 4 + i < 8; i++)
			data[i] = (uint8_t)sig[off - 4 + i];
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_fwcfg = {
	.name = "fw_cfg", .types = DM_HVM, .port = 0x510, .nports = 12, .pio = fwcfg_pio, .reset = fwcfg_reset,
};
