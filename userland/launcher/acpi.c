// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the ACPI tables of an HVM domain (acpi.h; layouts from
 * the ACPI specification, docs/devices.md "ACPI (HVM)").  One blob,
 * etc/acpi/tables, holds FACS, DSDT, FADT, RSDT and XSDT; a second,
 * etc/acpi/rsdp, the RSDP (revision 2).  Pointers between tables are
 * written as offsets into their file; the loader script etc/table-loader
 * tells the firmware to allocate both files (the RSDP in the F segment,
 * where operating systems look for it), add each file's address to those
 * offsets (ADD_POINTER) and fix the checksums afterwards (ADD_CHECKSUM).
 * The checksums are right as built, too.
 *
 * The tables the RSDT/XSDT list come from one table (xsdt_tables[]):
 * today the FADT; a MADT joins it once the LAPIC and IOAPIC exist.
 */
#include <string.h>
#include "acpi.h"

#define OEM_ID		"DOMUS "	/* 6 */
#define OEM_TABLE_ID	"DOMUSHVM"	/* 8 */
#define OEM_REVISION	1
#define CREATOR_ID	"DOMU"
#define CREATOR_REV	1

/* FADT (revision 3) fields */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_PM_PROFILE		45
#define FADT_SCI_INT		46
#define FADT_SMI_CMD		48
#define FADT_PM1A_EVT		56
#define FADT_PM1A_CNT		64
#define FADT_PM_TMR		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_P_LVL2_LAT		96
#define FADT_P_LVL3_LAT		98
#define FADT_CENTURY		108
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT		148
#define FADT_X_PM1A_CNT		172
#define FADT_X_PM_TMR		208

#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed-feature sleep button */
#define FADT_F_FIX_RTC		(1u << 6)	/* no RTC wake status in PM1 */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define BOOT_ARCH_LEGACY	(1u << 0)
#define BOOT_ARCH_8042		(1u << 1)

/* generic address structure */
#define GAS_IO			1
#define GAS_BYTE		1
#define GAS_WORD		2
#define GAS_DWORD		3

struct ctx {
	struct acpi_blobs *b;
	int err;
};

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t acpi_sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Room for @len bytes in the tables blob at @align; returns the offset. */
static uint32_t reserve(struct ctx *c, uint32_t len, uint32_t align)
{
	struct acpi_blobs *b = c->b;
	uint32_t off = (b->tables_len + align - 1) & ~(align - 1);

	if (off > ACPI_TABLES_MAX || ACPI_TABLES_MAX - off < len) {
		c->err = -1;
		return 0;
	}
	b->tables_len = off + len;
	return off;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put_le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put_le(t + 24, OEM_REVISION, 4);
	memcpy(t + 28, CREATOR_ID, 4);
	put_le(t + 32, CREATOR_REV, 4);
}

/* One loader command; NULL when the script is full. */
static uint8_t *command(struct ctx *c, uint32_t cmd)
{
	struct acpi_blobs *b = c->b;
	uint8_t *e;

	if (b->loader_len + ACPI_LOADER_ENTRY > ACPI_LOADER_MAX) {
		c->err = -1;
		return NULL;
	}
	e = b->loader + b->loader_len;
	b->loader_len += ACPI_LOADER_ENTRY;
	memset(e, 0, ACPI_LOADER_ENTRY);
	put_le(e, cmd, 4);
	return e;
}

static void name(uint8_t *dst, const char *file)
{
	size_t n = strlen(file);

	memcpy(dst, file, n < ACPI_LOADER_FILESZ - 1 ? n : ACPI_LOADER_FILESZ - 1);
}

static void cmd_allocate(struct ctx *c, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e = command(c, ACPI_LOADER_ALLOCATE);

	if (!e)
		return;
	name(e + 4, file);
	put_le(e + 60, align, 4);
	e[64] = zone;
}

/* the @size-byte value at @dest_file + @off gets @src_file's address added */
static void cmd_pointer(struct ctx *c, const char *dest_file, uint32_t off, uint8_t size, const char *src_file)
{
	uint8_t *e = command(c, ACPI_LOADER_ADD_POINTER);

	if (!e)
		return;
	name(e + 4, dest_file);
	name(e + 60, src_file);
	put_le(e + 116, off, 4);
	e[120] = size;
}

static void cmd_checksum(struct ctx *c, const char *file, uint32_t start, uint32_t len, uint32_t at)
{
	uint8_t *e = command(c, ACPI_LOADER_ADD_CHECKSUM);

	if (!e)
		return;
	name(e + 4, file);
	put_le(e + 60, at, 4);
	put_le(e + 64, start, 4);
	put_le(e + 68, len, 4);
}

/* A pointer inside the tables blob to another table of it. */
static void table_pointer(struct ctx *c, uint32_t at, uint8_t size, uint32_t target)
{
	put_le(c->b->tables + at, target, size);
	cmd_pointer(c, ACPI_FILE_TABLES, at, size, ACPI_FILE_TABLES);
}

/* A table's checksum byte (offset 9), now and after the patches. */
static void table_checksum(struct ctx *c, uint32_t off)
{
	uint8_t *t = c->b->tables + off;
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = (uint8_t)-acpi_sum(t, len);
	cmd_checksum(c, ACPI_FILE_TABLES, off, len, off + 9);
}

static void gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put_le(p + 4, addr, 8);
}

/* FACS: 64 bytes, 64-byte aligned, no checksum. */
static uint32_t build_facs(struct ctx *c)
{
	uint32_t off = reserve(c, ACPI_FACS_LEN, 64);
	uint8_t *t = c->b->tables + off;

	if (c->err)
		return 0;
	memcpy(t, "FACS", 4);
	put_le(t + 4, ACPI_FACS_LEN, 4);
	t[32] = 1;			/* version (ACPI 2.0) */
	return off;
}

/* The DSDT: its AML is acpi_dsdt.c's. */
static uint32_t build_dsdt(struct ctx *c, uint64_t ram_top)
{
	struct acpi_blobs *b = c->b;
	uint32_t off = reserve(c, ACPI_HDR_LEN, 8), aml;

	if (c->err)
		return 0;
	aml = acpi_dsdt_aml(b->tables + off + ACPI_HDR_LEN, ACPI_TABLES_MAX - off - ACPI_HDR_LEN, ram_top);
	if (!aml) {
		c->err = -1;
		return 0;
	}
	b->tables_len += aml;
	header(b->tables + off, "DSDT", ACPI_HDR_LEN + aml, 2);	/* revision 2: 64-bit integers */
	table_checksum(c, off);
	return off;
}

static uint32_t build_fadt(struct ctx *c)
{
	uint32_t off = reserve(c, ACPI_FADT_LEN, 8);
	uint8_t *t = c->b->tables + off;

	if (c->err)
		return 0;
	header(t, "FACP", ACPI_FADT_LEN, 3);
	table_pointer(c, off + FADT_FIRMWARE_CTRL, 4, c->b->facs);	/* X_FIRMWARE_CTRL stays 0 */
	table_pointer(c, off + FADT_DSDT, 4, c->b->dsdt);
	table_pointer(c, off + FADT_X_DSDT, 8, c->b->dsdt);
	t[FADT_PM_PROFILE] = 0;				/* unspecified */
	put_le(t + FADT_SCI_INT, ACPI_SCI_IRQ, 2);
	put_le(t + FADT_SMI_CMD, 0, 4);			/* no SMI command: always in ACPI mode */
	put_le(t + FADT_PM1A_EVT, ACPI_PM1A_EVT, 4);
	put_le(t + FADT_PM1A_CNT, ACPI_PM1A_CNT, 4);
	put_le(t + FADT_PM_TMR, ACPI_PM_TMR, 4);
	t[FADT_PM1_EVT_LEN] = 4;
	t[FADT_PM1_CNT_LEN] = 2;
	t[FADT_PM_TMR_LEN] = 4;
	put_le(t + FADT_P_LVL2_LAT, 0x0fff, 2);		/* no C2 */
	put_le(t + FADT_P_LVL3_LAT, 0x0fff, 2);		/* no C3 */
	t[FADT_CENTURY] = ACPI_CENTURY_CMOS;
	put_le(t + FADT_IAPC_BOOT_ARCH, BOOT_ARCH_LEGACY | BOOT_ARCH_8042, 2);
	/* fixed-feature power button (PWR_BUTTON clear), 24-bit timer (TMR_VAL_EXT clear) */
	put_le(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_FIX_RTC |
	       FADT_F_RESET_REG_SUP, 4);
	gas(t + FADT_RESET_REG, GAS_IO, 8, GAS_BYTE, ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	gas(t + FADT_X_PM1A_EVT, GAS_IO, 32, GAS_WORD, ACPI_PM1A_EVT);
	gas(t + FADT_X_PM1A_CNT, GAS_IO, 16, GAS_WORD, ACPI_PM1A_CNT);
	gas(t + FADT_X_PM_TMR, GAS_IO, 32, GAS_DWORD, ACPI_PM_TMR);
	table_checksum(c, off);
	return off;
}

/* The tables the RSDT and XSDT list, in order.  A MADT ("APIC") goes
 * here once the LAPIC and IOAPIC exist. */
static uint32_t (*const xsdt_tables[])(struct ctx *c) = {
	build_fadt,
};

#define N_XSDT	(sizeof(xsdt_tables) / sizeof(xsdt_tables[0]))

/* RSDT (@width 4) or XSDT (8) over @entries */
static uint32_t build_sdt(struct ctx *c, const char *sig, unsigned int width, const uint32_t *entries)
{
	uint32_t len = ACPI_HDR_LEN + width * (uint32_t)N_XSDT;
	uint32_t off = reserve(c, len, 8);
	unsigned int i;

	if (c->err)
		return 0;
	header(c->b->tables + off, sig, len, 1);
	for (i = 0; i < N_XSDT; i++)
		table_pointer(c, off + ACPI_HDR_LEN + width * i, (uint8_t)width, entries[i]);
	table_checksum(c, off);
	return off;
}

static void build_rsdp(struct ctx *c)
{
	uint8_t *r = c->b->rsdp;

	memset(r, 0, ACPI_RSDP_LEN);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;			/* revision: ACPI 2.0+, XSDT */
	put_le(r + 16, c->b->rsdt, 4);
	put_le(r + 20, ACPI_RSDP_LEN, 4);
	put_le(r + 24, c->b->xsdt, 8);
	cmd_pointer(c, ACPI_FILE_RSDP, 16, 4, ACPI_FILE_TABLES);
	cmd_pointer(c, ACPI_FILE_RSDP, 24, 8, ACPI_FILE_TABLES);
	r[8] = (uint8_t)-acpi_sum(r, 20);
	cmd_checksum(c, ACPI_FILE_RSDP, 0, 20, 8);
	r[32] = (uint8_t)-acpi_sum(r, ACPI_RSDP_LEN);
	cmd_checksum(c, ACPI_FILE_RSDP, 0, ACPI_RSDP_LEN, 32);
}

int acpi_build(struct acpi_blobs *b, uint64_t ram_top)
{
	struct ctx c = { .b = b };
	uint32_t entries[N_XSDT];
	unsigned int i;

	memset(b, 0, sizeof(*b));
	/* the FACS needs 64-byte alignment: the blob is allocated so */
	cmd_allocate(&c, ACPI_FILE_TABLES, 64, ACPI_LOADER_ZONE_HIGH);
	cmd_allocate(&c, ACPI_FILE_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	b->facs = build_facs(&c);
	b->dsdt = build_dsdt(&c, ram_top);
	for (i = 0; i < N_XSDT; i++)
		entries[i] = xsdt_tables[i](&c);
	b->fadt = entries[0];
	b->rsdt = build_sdt(&c, "RSDT", 4, entries);
	b->xsdt = build_sdt(&c, "XSDT", 8, entries);
	build_rsdp(&c);
	return c.err;
}
