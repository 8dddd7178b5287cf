// SPDX-License-Identifier: MIT
/*
 * libdomus kernel loader, part 2: the guest's ACPI tables.
 *
 * A hardware-reduced ACPI platform, as a PVH domU expects: RSDP (rev 2)
 * -> RSDT and XSDT -> FADT (rev 6, HW_REDUCED_ACPI) -> DSDT, and MADT with
 * one enabled processor entry per vCPU (x2APIC entries by default; ACPI
 * processor UID = APIC ID = vCPU id) and no IO-APIC.  The DSDT holds one
 * processor device (ACPI0007, _UID = vCPU id) per vCPU and the \_S5 sleep
 * package; the FADT's sleep control/status registers are the I/O ports in
 * loader.h, so Linux's `poweroff` ends in a port write the launcher sees.
 * Layouts follow the ACPI specification (6.x); the AML is encoded here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "libdomus.h"
#include "loader.h"

/* --- table layouts ------------------------------------------------------ */

struct acpi_hdr {
	char sig[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char sig[8];
	uint8_t checksum;		/* first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;		/* all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;		/* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_hdr hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control;
	struct acpi_gas sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

struct acpi_madt {
	struct acpi_hdr hdr;
	uint32_t lapic_addr;
	uint32_t flags;			/* bit 0 PCAT_COMPAT: 0, no 8259 pair */
} __attribute__((packed));

struct madt_lapic {			/* type 0 */
	uint8_t type, length;
	uint8_t uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_x2apic {			/* type 9 */
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t uid;
} __attribute__((packed));

struct madt_ioapic {			/* type 1 */
	uint8_t type, length;
	uint8_t ioapic_id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_iso {			/* type 2: interrupt source override */
	uint8_t type, length;
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_hdr) == 36, "ACPI header");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IO-APIC");
_Static_assert(sizeof(struct madt_iso) == 10, "MADT interrupt source override");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, xsdt) == 24, "RSDP xsdt");
_Static_assert(offsetof(struct acpi_rsdp, ext_checksum) == 32, "RSDP ext checksum");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT dsdt");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT sci_int");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT iapc_boot_arch");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT x_dsdt");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "FADT sleep control");
_Static_assert(offsetof(struct acpi_fadt, sleep_status) == 256, "FADT sleep status");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");
_Static_assert(sizeof(struct madt_x2apic) == 16, "MADT local x2APIC");

#define FADT_PWR_BUTTON		(1u << 4)
#define FADT_SLP_BUTTON		(1u << 5)
#define FADT_HW_REDUCED_ACPI	(1u << 20)
#define BOOT_ARCH_VGA_NOT_PRESENT	(1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT	(1u << 5)
#define MADT_ENABLED		1u

/* --- helpers ------------------------------------------------------------ */

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void fill_hdr(struct acpi_hdr *h, const char *sig, uint32_t len, uint8_t rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->sig, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "DOMUS ", 6);
	memcpy(h->oem_table_id, "DOMUSPVH", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "DMUS", 4);
	h->creator_revision = 1;
}

/* Set the checksum byte (offset 9) of the table at @t. */
static void finish_table(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = (uint8_t)-sum8(t, len);
}

/* --- AML ---------------------------------------------------------------- */

struct aml {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void aml_put(struct aml *a, const void *d, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->p + a->len, d, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_put(a, &b, 1);
}

/* Bytes an integer takes: ZeroOp/OneOp, or a Byte/Word/DWord prefix. */
static size_t aml_int_size(uint32_t v)
{
	return v <= 1 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : 5;
}

static void aml_int(struct aml *a, uint32_t v)
{
	uint8_t b[5];

	if (v <= 1) {
		aml_byte(a, (uint8_t)v);		/* ZeroOp, OneOp */
		return;
	}
	b[0] = v <= 0xff ? 0x0a : v <= 0xffff ? 0x0b : 0x0c;
	b[1] = (uint8_t)v;
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)(v >> 16);
	b[4] = (uint8_t)(v >> 24);
	aml_put(a, b, aml_int_size(v));
}

/* PkgLength for @body bytes following it (the encoding counts itself). */
static size_t aml_pkglen_size(size_t body)
{
	if (body + 1 <= 0x3f)
		return 1;
	if (body + 2 <= 0xfff)
		return 2;
	if (body + 3 <= 0xfffff)
		return 3;
	return 4;
}

static void aml_pkglen(struct aml *a, size_t body)
{
	size_t n = aml_pkglen_size(body), total = body + n, i;

	if (n == 1) {
		aml_byte(a, (uint8_t)total);
		return;
	}
	aml_byte(a, (uint8_t)(((n - 1) << 6) | (total & 0xf)));
	for (i = 1; i < n; i++)
		aml_byte(a, (uint8_t)(total >> (4 + 8 * (i - 1))));
}

/* Device (Cxxx) { Name (_HID, "ACPI0007") Name (_UID, id) } */
static size_t cpu_dev_body(uint32_t id)
{
	return 4 + (1 + 4 + 1 + 9) + (1 + 4 + aml_int_size(id));
}

static void aml_cpu_dev(struct aml *a, uint32_t id)
{
	static const char hex[] = "0123456789ABCDEF";
	char seg[4] = { 'C', hex[(id >> 8) & 15], hex[(id >> 4) & 15], hex[id & 15] };

	aml_byte(a, 0x5b);			/* ExtOpPrefix */
	aml_byte(a, 0x82);			/* DeviceOp */
	aml_pkglen(a, cpu_dev_body(id));
	aml_put(a, seg, 4);
	aml_byte(a, 0x08);			/* NameOp */
	aml_put(a, "_HID", 4);
	aml_byte(a, 0x0d);			/* StringPrefix */
	aml_put(a, "ACPI0007", 9);		/* incl. NUL */
	aml_byte(a, 0x08);
	aml_put(a, "_UID", 4);
	aml_int(a, id);
}

/*
 * Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501")) Name (_UID, 1)
 *   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 0, 8) IRQNoFlags () {4} }) } }
 * With DOMUS_LOAD_MADT_IOAPIC only: on a hardware-reduced ACPI platform Linux
 * has no legacy PIC and maps ISA IRQ 4 to the IO-APIC only for a device
 * that names it, so the 8250 needs this entry for its interrupt.
 */
static void aml_com1(struct aml *a)
{
	static const uint8_t com1[] = {
		0x10, 0x33, '\\', '_', 'S', 'B', '_',		/* Scope, PkgLength 51 */
		0x5b, 0x82, 0x2b, 'C', 'O', 'M', '1',		/* Device, PkgLength 43 */
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,	/* EisaId PNP0501 */
		0x08, '_', 'U', 'I', 'D', 0x01,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d,	/* Buffer (13) */
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,	/* IO 0x3f8-0x3ff */
		0x22, 0x10, 0x00,				/* IRQNoFlags {4} */
		0x79, 0x00,					/* EndTag */
	};
	_Static_assert(sizeof(com1) == 52, "COM1 scope");
	aml_put(a, com1, sizeof(com1));
}

static void aml_dsdt_body(struct aml *a, uint32_t vcpus, uint32_t flags)
{
	size_t scope = 5;	/* "\_SB_" */
	uint32_t i;

	for (i = 0; i < vcpus; i++) {
		size_t b = cpu_dev_body(i);

		scope += 2 + aml_pkglen_size(b) + b;
	}
	/* Scope (\_SB) { processors } */
	aml_byte(a, 0x10);			/* ScopeOp */
	aml_pkglen(a, scope);
	aml_put(a, "\\_SB_", 5);
	for (i = 0; i < vcpus; i++)
		aml_cpu_dev(a, i);
	/* Name (_S5, Package () { 5, 0 }): SLP_TYPa = 5, SLP_TYPb = 0 */
	aml_byte(a, 0x08);			/* NameOp */
	aml_put(a, "_S5_", 4);
	aml_byte(a, 0x12);			/* PackageOp */
	aml_pkglen(a, 1 + aml_int_size(DOMUS_ACPI_S5_SLP_TYP) + 1);
	aml_byte(a, 2);				/* NumElements */
	aml_int(a, DOMUS_ACPI_S5_SLP_TYP);
	aml_int(a, 0);
	if (flags & DOMUS_LOAD_MADT_IOAPIC)
		aml_com1(a);
}

/* --- the tables ---------------------------------------------------------- */

static size_t align16(size_t x)
{
	return (x + 15) & ~(size_t)15;
}

static void io_gas(struct acpi_gas *g, uint16_t port)
{
	memset(g, 0, sizeof(*g));
	g->space_id = 1;	/* system I/O */
	g->bit_width = 8;
	g->access_size = 1;	/* byte */
	g->address = port;
}

long domus_acpi_build(void *buf, size_t cap, uint64_t gpa, uint32_t vcpus,
		      uint32_t flags, uint64_t *rsdp_gpa)
{
	uint8_t *b = buf;
	size_t o_rsdt, o_xsdt, o_fadt, o_madt, o_dsdt, madt_len, end, i;
	struct acpi_rsdp rsdp;
	struct acpi_hdr h;
	struct acpi_fadt fadt;
	struct acpi_madt madt;
	struct aml aml;
	bool xapic = flags & DOMUS_LOAD_MADT_XAPIC;
	bool ioapic = flags & DOMUS_LOAD_MADT_IOAPIC;
	uint32_t u32;
	uint64_t u64;

	if (vcpus == 0 || vcpus > DOMUS_LOADER_MAX_VCPUS)
		return domus_set_error(EINVAL, "vcpus=%u is out of range (1-%u); fix vcpus= in the config",
				       vcpus, DOMUS_LOADER_MAX_VCPUS);
	if (gpa + cap > (1ULL << 32) || (gpa & 15))
		return domus_set_error(EINVAL, "ACPI tables at 0x%llx: not 16-byte aligned below 4 GiB",
				       (unsigned long long)gpa);
	o_rsdt = align16(sizeof(rsdp));
	o_xsdt = align16(o_rsdt + sizeof(h) + 2 * 4);
	o_fadt = align16(o_xsdt + sizeof(h) + 2 * 8);
	o_madt = align16(o_fadt + sizeof(fadt));
	madt_len = sizeof(madt) + vcpus * (xapic ? sizeof(struct madt_lapic) : sizeof(struct madt_x2apic));
	if (ioapic)
		madt_len += sizeof(struct madt_ioapic) + sizeof(struct madt_iso);
	o_dsdt = align16(o_madt + madt_len);
	if (o_dsdt + sizeof(h) > cap)
		goto too_small;
	memset(b, 0, cap);

	/* DSDT first: its length is known only once the AML is written. */
	aml.p = b + o_dsdt + sizeof(h);
	aml.len = 0;
	aml.cap = cap - o_dsdt - sizeof(h);
	aml.overflow = false;
	aml_dsdt_body(&aml, vcpus, flags);
	if (aml.overflow)
		goto too_small;
	fill_hdr(&h, "DSDT", (uint32_t)(sizeof(h) + aml.len), 2);
	memcpy(b + o_dsdt, &h, sizeof(h));
	finish_table(b + o_dsdt);
	end = o_dsdt + sizeof(h) + aml.len;

	/* RSDP */
	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.sig, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, "DOMUS ", 6);
	rsdp.revision = 2;
	rsdp.rsdt = (uint32_t)(gpa + o_rsdt);
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt = gpa + o_xsdt;
	memcpy(b, &rsdp, sizeof(rsdp));
	b[8] = (uint8_t)-sum8(b, 20);
	b[32] = (uint8_t)-sum8(b, 36);

	/* RSDT and XSDT: FADT, MADT */
	fill_hdr(&h, "RSDT", sizeof(h) + 2 * 4, 1);
	memcpy(b + o_rsdt, &h, sizeof(h));
	u32 = (uint32_t)(gpa + o_fadt);
	memcpy(b + o_rsdt + sizeof(h), &u32, 4);
	u32 = (uint32_t)(gpa + o_madt);
	memcpy(b + o_rsdt + sizeof(h) + 4, &u32, 4);
	finish_table(b + o_rsdt);

	fill_hdr(&h, "XSDT", sizeof(h) + 2 * 8, 1);
	memcpy(b + o_xsdt, &h, sizeof(h));
	u64 = gpa + o_fadt;
	memcpy(b + o_xsdt + sizeof(h), &u64, 8);
	u64 = gpa + o_madt;
	memcpy(b + o_xsdt + sizeof(h) + 8, &u64, 8);
	finish_table(b + o_xsdt);

	/* FADT: hardware-reduced, no legacy devices, sleep registers */
	memset(&fadt, 0, sizeof(fadt));
	fill_hdr(&fadt.hdr, "FACP", sizeof(fadt), 6);
	fadt.dsdt = (uint32_t)(gpa + o_dsdt);
	fadt.x_dsdt = gpa + o_dsdt;
	fadt.sci_int = 9;
	fadt.flags = FADT_HW_REDUCED_ACPI | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
	fadt.iapc_boot_arch = BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_CMOS_RTC_NOT_PRESENT;
	fadt.minor_version = 0;
	io_gas(&fadt.sleep_control, DOMUS_ACPI_SLEEP_CONTROL_PORT);
	io_gas(&fadt.sleep_status, DOMUS_ACPI_SLEEP_STATUS_PORT);
	memcpy(b + o_fadt, &fadt, sizeof(fadt));
	finish_table(b + o_fadt);

	/* MADT: one enabled entry per vCPU, UID = APIC ID = vCPU id */
	memset(&madt, 0, sizeof(madt));
	fill_hdr(&madt.hdr, "APIC", (uint32_t)madt_len, 5);
	madt.lapic_addr = 0xfee00000u;
	madt.flags = 0;
	memcpy(b + o_madt, &madt, sizeof(madt));
	for (i = 0; i < vcpus; i++) {
		if (xapic) {
			struct madt_lapic e = { 0, sizeof(e), (uint8_t)i, (uint8_t)i, MADT_ENABLED };

			memcpy(b + o_madt + sizeof(madt) + i * sizeof(e), &e, sizeof(e));
		} else {
			struct madt_x2apic e = { 9, sizeof(e), 0, (uint32_t)i, MADT_ENABLED, (uint32_t)i };

			memcpy(b + o_madt + sizeof(madt) + i * sizeof(e), &e, sizeof(e));
		}
	}
	if (ioapic) {
		/* opt-in, for a non-Xen host with an IO-APIC (tests/host/kvmboot on KVM's irqchip) */
		size_t o = o_madt + sizeof(madt) + vcpus * (xapic ? sizeof(struct madt_lapic) : sizeof(struct madt_x2apic));
		struct madt_ioapic io = { 1, sizeof(io), 0, 0, 0xfec00000u, 0 };
		struct madt_iso iso = { 2, sizeof(iso), 0, 0, 2, 0 };	/* ISA IRQ 0 -> GSI 2 */

		memcpy(b + o, &io, sizeof(io));
		memcpy(b + o + sizeof(io), &iso, sizeof(iso));
	}
	finish_table(b + o_madt);

	*rsdp_gpa = gpa;
	return (long)end;

too_small:
	return domus_set_error(ENOSPC, "ACPI tables for %u vCPUs do not fit in %zu bytes", vcpus, cap);
}
