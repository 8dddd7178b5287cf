// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the DSDT's AML of an HVM domain (acpi.h; encodings from
 * the ACPI specification, "ACPI Machine Language" and "Resource Data
 * Types"; docs/devices.md "ACPI (HVM)").  The namespace, written out:
 *
 *	Name (\PICF, Zero)
 *	Method (\_PIC, 1) { Store (Arg0, \PICF) }	// the OS's interrupt model
 *	Name (\_S5, Package (4) { 5, 5, Zero, Zero })	// SLP_TYP for S5: PM1a, PM1b
 *	Device (\_SB.PCI0) {				// the i440FX's bus 0
 *		Name (_HID, EisaId ("PNP0A03"))
 *		Name (_UID, Zero)
 *		Name (_ADR, Zero)
 *		Name (_CRS, ResourceTemplate () { bus 0-255, ports 0xcf8-0xcff,
 *			I/O 0-0xcf7 and 0xd00-0xffff, memory 0xa0000-0xbffff and
 *			from the top of RAM to 0xfebfffff })
 *		Name (_PRT, Package () { ... })		// slots 1-31, INTA-D
 *	}
 *
 * An OS that routes interrupts through ACPI (Linux 6.1 does whenever it
 * finds an FADT) scans PCI only below a PNP0A03 root: without one it never
 * sees the PIIX3's IDE function.  The _PRT hard-wires each slot's pins to
 * ISA IRQs as SeaBIOS routes the PIIX3's PIRQ lines (slot - 1 + pin, mod 4,
 * to PIRQA-D; those to IRQ 10, 10, 11, 11), so the OS and the firmware agree
 * on a device's interrupt line; the entries name no link device (source
 * 0), so the OS takes the index as the interrupt (level, active low).
 */
#include <string.h>
#include "acpi.h"

/* AML opcodes and prefixes */
#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_WORD	0x0b
#define AML_DWORD	0x0c
#define AML_QWORD	0x0e
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_METHOD	0x14
#define AML_STORE	0x70
#define AML_ARG0	0x68
#define AML_EXT		0x5b
#define AML_DEVICE	0x82	/* after AML_EXT */

/* resource descriptors */
#define RES_IO		0x47	/* small: I/O port, 8 bytes */
#define RES_END		0x79	/* small: end tag, 2 bytes */
#define RES_DWORD	0x87	/* large: DWord address space, 26 bytes */
#define RES_WORD	0x88	/* large: Word address space, 16 bytes */
#define RES_SPACE_MEM	0
#define RES_SPACE_IO	1
#define RES_SPACE_BUS	2
#define RES_FIXED	0x0c	/* producer, positive decode, min and max fixed */
#define RES_IO_ENTIRE	0x03	/* I/O: ISA and non-ISA ranges */
#define RES_MEM_CACHE_RW 0x03	/* memory: cacheable, read-write */

#define PCI_MEM_END	0xfebfffffu	/* below the IOAPIC, LAPIC and flash */
#define PCI_SLOTS	32

struct aml {
	uint8_t *p;
	uint32_t len, cap;
	int err;
};

static void put(struct aml *a, const void *src, uint32_t n)
{
	if (a->err || a->cap - a->len < n) {
		a->err = -1;
		return;
	}
	memcpy(a->p + a->len, src, n);
	a->len += n;
}

static void byte(struct aml *a, uint8_t v)
{
	put(a, &v, 1);
}

static void le(struct aml *a, uint64_t v, unsigned int n)
{
	while (n--) {
		byte(a, (uint8_t)v);
		v >>= 8;
	}
}

/* the shortest integer encoding of @v */
static void integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		byte(a, v ? AML_ONE : AML_ZERO);
	} else if (v <= 0xff) {
		byte(a, AML_BYTE);
		byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		byte(a, AML_WORD);
		le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		byte(a, AML_DWORD);
		le(a, v, 4);
	} else {
		byte(a, AML_QWORD);
		le(a, v, 8);
	}
}

/* Name (@name4, ...): the value follows */
static void name(struct aml *a, const char *name4)
{
	byte(a, AML_NAME);
	put(a, name4, 4);
}

/*
 * An object with a PkgLength: begin() returns where it starts, end()
 * inserts the encoded length (the bytes after the opcode, the length's
 * own bytes included) there.
 */
static uint32_t begin(struct aml *a)
{
	return a->len;
}

static void end(struct aml *a, uint32_t at)
{
	uint32_t body = a->len - at, n, total;
	uint8_t enc[4];
	unsigned int i;

	if (a->err)
		return;
	for (n = 1; n < 4; n++)
		if (body + n < (n == 1 ? 0x40u : 1u << (4 + 8 * (n - 1))))
			break;
	total = body + n;
	if (n == 4 || a->cap - a->len < n) {
		a->err = -1;
		return;
	}
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
		for (i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->p + at + n, a->p + at, body);
	memcpy(a->p + at, enc, n);
	a->len += n;
}

/* Word (@width 2) or DWord (4) address space descriptor: producer, fixed */
static void res_addr(struct aml *a, unsigned int width, uint8_t space, uint8_t tflags, uint32_t min,
		     uint32_t max)
{
	byte(a, width == 2 ? RES_WORD : RES_DWORD);
	le(a, 3 + 5 * width, 2);	/* the bytes after the length */
	byte(a, space);
	byte(a, RES_FIXED);
	byte(a, tflags);
	le(a, 0, width);		/* granularity */
	le(a, min, width);
	le(a, max, width);
	le(a, 0, width);		/* translation */
	le(a, (uint64_t)max - min + 1, width);
}

static void pci0_crs(struct aml *a, uint64_t ram_top)
{
	static const uint8_t cf8[] = { RES_IO, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	uint8_t tmpl[128];
	struct aml r = { .p = tmpl, .cap = sizeof(tmpl) };
	uint32_t buf;

	res_addr(&r, 2, RES_SPACE_BUS, 0, 0, 0xff);
	put(&r, cf8, sizeof(cf8));
	res_addr(&r, 2, RES_SPACE_IO, RES_IO_ENTIRE, 0, 0x0cf7);
	res_addr(&r, 2, RES_SPACE_IO, RES_IO_ENTIRE, 0x0d00, 0xffff);
	res_addr(&r, 4, RES_SPACE_MEM, RES_MEM_CACHE_RW, 0xa0000, 0xbffff);
	res_addr(&r, 4, RES_SPACE_MEM, RES_MEM_CACHE_RW, (uint32_t)ram_top, PCI_MEM_END);
	byte(&r, RES_END);
	byte(&r, 0);			/* checksum 0: the sum is not checked */
	if (r.err)
		a->err = -1;
	name(a, "_CRS");
	byte(a, AML_BUFFER);
	buf = begin(a);
	integer(a, r.len);		/* the buffer's size */
	put(a, tmpl, r.len);
	end(a, buf);
}

/* SeaBIOS's PIIX3 routing: slot S pin P (0 = INTA) on PIRQ (S - 1 + P) mod
 * 4, PIRQA-D on IRQ 10, 10, 11, 11 */
uint8_t acpi_pci_irq(unsigned int slot, unsigned int pin)
{
	static const uint8_t pirq_irq[4] = { 10, 10, 11, 11 };

	return pirq_irq[(slot + 3 + pin) & 3];
}

static void pci0_prt(struct aml *a)
{
	uint32_t pkg, ent;
	unsigned int slot, pin;

	name(a, "_PRT");
	byte(a, AML_PACKAGE);
	pkg = begin(a);
	byte(a, (PCI_SLOTS - 1) * 4);
	for (slot = 1; slot < PCI_SLOTS; slot++) {
		for (pin = 0; pin < 4; pin++) {
			byte(a, AML_PACKAGE);
			ent = begin(a);
			byte(a, 4);
			integer(a, (uint64_t)slot << 16 | 0xffff);	/* any function of the slot */
			integer(a, pin);
			integer(a, 0);					/* no link device */
			integer(a, acpi_pci_irq(slot, pin));
			end(a, ent);
		}
	}
	end(a, pkg);
}

uint32_t acpi_dsdt_aml(uint8_t *buf, uint32_t cap, uint64_t ram_top)
{
	static const uint8_t fixed[] = {
		AML_NAME, '\\', 'P', 'I', 'C', 'F', AML_ZERO,
		AML_METHOD, 0x0e, '\\', '_', 'P', 'I', 'C', 0x01,	/* PkgLength, 1 argument */
		AML_STORE, AML_ARG0, '\\', 'P', 'I', 'C', 'F',
		AML_NAME, '\\', '_', 'S', '5', '_',
		AML_PACKAGE, 0x08, 0x04,				/* PkgLength, 4 elements */
		AML_BYTE, ACPI_S5_SLP_TYP, AML_BYTE, ACPI_S5_SLP_TYP, AML_ZERO, AML_ZERO,
	};
	static const uint8_t pci0[] = { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' };	/* DualNamePrefix */
	struct aml a = { .p = buf, .cap = cap };
	uint32_t dev;

	if (ram_top > PCI_MEM_END || ram_top < 0x100000)
		return 0;
	put(&a, fixed, sizeof(fixed));
	byte(&a, AML_EXT);
	byte(&a, AML_DEVICE);
	dev = begin(&a);
	put(&a, pci0, sizeof(pci0));
	name(&a, "_HID");
	byte(&a, AML_DWORD);
	put(&a, "\x41\xd0\x0a\x03", 4);		/* EisaId ("PNP0A03") */
	name(&a, "_UID");
	integer(&a, 0);
	name(&a, "_ADR");
	integer(&a, 0);
	pci0_crs(&a, ram_top);
	pci0_prt(&a);
	end(&a, dev);
	return a.err ? 0 : a.len;
}
