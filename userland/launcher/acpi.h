/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of an HVM domain (acpi.c; docs/devices.md "ACPI (HVM)")
 * and the fixed hardware they describe (dev_acpi.c).  The tables reach
 * SeaBIOS as QEMU hands them over: the fw_cfg files etc/acpi/tables and
 * etc/acpi/rsdp and the linker/loader script etc/table-loader, whose
 * ALLOCATE, ADD_POINTER and ADD_CHECKSUM commands let the firmware place
 * the blobs, patch the pointers between them and fix the checksums.
 */
#ifndef DOMUS_LAUNCHER_ACPI_H
#define DOMUS_LAUNCHER_ACPI_H

#include <stdint.h>

/* The PM block (PIIX4-like addresses; FADT revision 3). */
#define ACPI_PM_BASE		0xb000
#define ACPI_PM1A_EVT		(ACPI_PM_BASE + 0)	/* PM1a_STS (16), PM1a_EN (16) */
#define ACPI_PM1A_CNT		(ACPI_PM_BASE + 4)	/* PM1a_CNT (16) */
#define ACPI_PM_TMR		(ACPI_PM_BASE + 8)	/* PM_TMR (32, 24 bits count) */
#define ACPI_PM_LEN		12
#define ACPI_SCI_IRQ		9
#define ACPI_RESET_PORT		0xcf9			/* dev_pci.c: the PIIX reset control */
#define ACPI_RESET_VALUE	0x06			/* SYS_RST | RST_CPU */
#define ACPI_CENTURY_CMOS	0x32			/* dev_rtc.c */
#define ACPI_PM_TMR_HZ		3579545ull
#define ACPI_S5_SLP_TYP		5			/* \_S5 in the DSDT */

/* PM1 status and enable bits */
#define ACPI_PM1_TMR		(1u << 0)
#define ACPI_PM1_GBL		(1u << 5)
#define ACPI_PM1_PWRBTN		(1u << 8)
#define ACPI_PM1_SLPBTN		(1u << 9)
#define ACPI_PM1_RTC		(1u << 10)
#define ACPI_PM1_WAK		(1u << 15)		/* status only */
/* PM1 control bits */
#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(7u << 10)
#define ACPI_PM1_SLP_EN		(1u << 13)

/* the fw_cfg files */
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_LOADER	"etc/table-loader"

/* the loader script: 128-byte little-endian commands */
#define ACPI_LOADER_ENTRY	128
#define ACPI_LOADER_FILESZ	56
#define ACPI_LOADER_ALLOCATE	1
#define ACPI_LOADER_ADD_POINTER	2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH	1
#define ACPI_LOADER_ZONE_FSEG	2

#define ACPI_TABLES_MAX		3072
#define ACPI_LOADER_MAX		(24 * ACPI_LOADER_ENTRY)
#define ACPI_RSDP_LEN		36
#define ACPI_FACS_LEN		64
#define ACPI_FADT_LEN		244	/* revision 3 */
#define ACPI_HDR_LEN		36

/* What acpi_build() makes: three fw_cfg files and where each table sits. */
struct acpi_blobs {
	uint8_t rsdp[ACPI_RSDP_LEN];
	uint8_t tables[ACPI_TABLES_MAX];
	uint32_t tables_len;
	uint8_t loader[ACPI_LOADER_MAX];
	uint32_t loader_len;
	/* offsets into tables[] */
	uint32_t facs, dsdt, fadt, rsdt, xsdt;
};

/* Build the tables of this platform (one vCPU, no LAPIC/IOAPIC yet: no
 * MADT) for RAM below @ram_top (the PCI memory window starts there).
 * Returns 0, or -1 if a buffer were too small (a bug) or @ram_top bad. */
int acpi_build(struct acpi_blobs *b, uint64_t ram_top);

/* The DSDT's AML (acpi_dsdt.c) into @buf: its length, 0 if @cap is too
 * small or @ram_top is not between 1 MiB and the PCI window's end. */
uint32_t acpi_dsdt_aml(uint8_t *buf, uint32_t cap, uint64_t ram_top);

/* The ISA IRQ of PCI @slot's interrupt pin @pin (0-3: INTA-D), as the
 * DSDT's _PRT and SeaBIOS's PIIX3 routing have it. */
uint8_t acpi_pci_irq(unsigned int slot, unsigned int pin);

/* The 8-bit sum of @len bytes (a valid table sums to 0). */
uint8_t acpi_sum(const uint8_t *p, uint32_t len);

#endif
