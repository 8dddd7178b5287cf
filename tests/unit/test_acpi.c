// SPDX-License-Identifier: MIT
/*
 * ACPI for HVM domains: the table builder (userland/launcher/acpi.c), its
 * fw_cfg files (dev_fwcfg.c) and the PM block (dev_acpi.c).  Every table's
 * signature, length and checksum, the RSDP's two checksums; the loader
 * script's commands checked and then run as SeaBIOS runs them (allocate,
 * patch, checksum) so the tables link up at their guest addresses with
 * valid checksums; the three files read through the fw_cfg ports and DMA;
 * iasl (acpica-tools) disassembles every table without a complaint.  The
 * PM block on a made-up clock: the timer's rate and wrap, TMR_STS,
 * write-1-to-clear, the power button and the SCI on IRQ 9, S5 powering
 * off, the reset register (0xcf9) rebooting, then hostile traffic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "launcher.h"
#include "devices.h"
#include "acpi.h"
#include "unit.h"

#include "unit_llog.h"	/* dev_xenplat.c logs (not reached here) */

#define T0	1000000000000ull	/* the made-up clock starts at 1000 s */
#define SEC	1000000000ull

/* the launcher's functions the device glue calls */
static int stopped_reason = -1;
static char stopped_why[200];
void dom_guest_stopped(struct launcher *L, int reason, const char *fmt, ...)
{
	va_list ap;

	(void)L;
	stopped_reason = reason;
	va_start(ap, fmt);
	vsnprintf(stopped_why, sizeof(stopped_why), fmt, ap);
	va_end(ap);
}

bool l_ide_any(const struct launcher *L)
{
	(void)L;
	return false;
}

unsigned int dm_ide_unplug(struct launcher *L, bool keep_primary)
{
	(void)L;
	(void)keep_primary;
	return 0;
}

static struct acpi_blobs B;

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static uint32_t tlen(const uint8_t *t)
{
	return (uint32_t)get_le(t + 4, 4);
}

/* a table in the blob: signature, length, checksum, revision */
static void check_table(uint32_t off, const char *sig, uint32_t len, uint8_t rev)
{
	const uint8_t *t = B.tables + off;

	EXPECT(off + len <= B.tables_len);
	EXPECT(!memcmp(t, sig, 4));
	EXPECT(tlen(t) == len);
	EXPECT(t[8] == rev);
	EXPECT(acpi_sum(t, len) == 0);
	EXPECT(!memcmp(t + 10, "DOMUS ", 6) && !memcmp(t + 16, "DOMUSHVM", 8));
}

static void test_tables(void)
{
	const uint8_t *f, *d, *r = B.rsdp;
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_S5_SLP_TYP };

	EXPECT(acpi_build(&B, 512u << 20) == 0);
	/* the RSDP: revision 2, both checksums, the RSDT and XSDT (file offsets) */
	EXPECT(!memcmp(r, "RSD PTR ", 8));
	EXPECT(acpi_sum(r, 20) == 0 && acpi_sum(r, 36) == 0);
	EXPECT(r[15] == 2 && get_le(r + 20, 4) == 36);
	EXPECT(get_le(r + 16, 4) == B.rsdt && get_le(r + 24, 8) == B.xsdt);
	/* FACS: 64-byte aligned, no checksum */
	EXPECT(B.facs % 64 == 0);
	EXPECT(!memcmp(B.tables + B.facs, "FACS", 4) && tlen(B.tables + B.facs) == 64);
	check_table(B.dsdt, "DSDT", tlen(B.tables + B.dsdt), 2);
	check_table(B.fadt, "FACP", 244, 3);
	check_table(B.rsdt, "RSDT", 36 + 4, 1);
	check_table(B.xsdt, "XSDT", 36 + 8, 1);
	EXPECT(get_le(B.tables + B.rsdt + 36, 4) == B.fadt);
	EXPECT(get_le(B.tables + B.xsdt + 36, 8) == B.fadt);
	/* the FADT's fields */
	f = B.tables + B.fadt;
	EXPECT(get_le(f + 36, 4) == B.facs && get_le(f + 132, 8) == 0);	/* FIRMWARE_CTRL only */
	EXPECT(get_le(f + 40, 4) == B.dsdt && get_le(f + 140, 8) == B.dsdt);	/* DSDT, X_DSDT */
	EXPECT(get_le(f + 46, 2) == 9);						/* SCI_INT */
	EXPECT(get_le(f + 48, 4) == 0);						/* no SMI_CMD */
	EXPECT(get_le(f + 56, 4) == 0xb000 && get_le(f + 64, 4) == 0xb004 && get_le(f + 76, 4) == 0xb008);
	EXPECT(f[88] == 4 && f[89] == 2 && f[91] == 4 && f[92] == 0);		/* lengths; no GPE0 */
	EXPECT(f[108] == 0x32);							/* century */
	EXPECT(get_le(f + 112, 4) & (1u << 10));				/* RESET_REG_SUP */
	EXPECT(!(get_le(f + 112, 4) & ((1u << 4) | (1u << 8) | (1u << 20))));	/* fixed power button, 24-bit timer, not reduced */
	EXPECT(f[116] == 1 && f[117] == 8 && f[119] == 1 && get_le(f + 120, 8) == 0xcf9 && f[128] == 0x06);
	EXPECT(f[148] == 1 && f[149] == 32 && get_le(f + 152, 8) == 0xb000);	/* X_PM1a_EVT_BLK */
	EXPECT(f[172] == 1 && f[173] == 16 && get_le(f + 176, 8) == 0xb004);	/* X_PM1a_CNT_BLK */
	EXPECT(f[208] == 1 && f[209] == 32 && get_le(f + 212, 8) == 0xb008);	/* X_PM_TMR_BLK */
	/* the DSDT's \_S5 package */
	d = B.tables + B.dsdt;
	EXPECT(memmem(d + 36, tlen(d) - 36, s5, sizeof(s5)) != NULL);
	EXPECT(memmem(d + 36, tlen(d) - 36, "\\_PIC", 5) != NULL);
}

/* The DSDT's PCI root for RAM up to 0x30000000: its memory window starts
 * there; the _PRT has every slot 1-31 and pin, each on the ISA IRQ of
 * SeaBIOS's PIIX3 routing; a bad top of RAM builds nothing. */
/* Package (4) { 0xSSSSFFFF, @pin, Zero, @irq } as AML: its length */
static size_t prt_entry(uint8_t *e, unsigned int slot, unsigned int pin, uint8_t irq)
{
	size_t n = 0;

	e[n++] = 0x12;				/* PackageOp, PkgLength below, 4 elements */
	e[n++] = 0;
	e[n++] = 4;
	e[n++] = 0x0c;				/* DWordConst */
	e[n++] = 0xff;
	e[n++] = 0xff;
	e[n++] = (uint8_t)slot;
	e[n++] = 0;
	if (pin <= 1) {				/* ZeroOp, OneOp */
		e[n++] = (uint8_t)pin;
	} else {
		e[n++] = 0x0a;			/* BytePrefix */
		e[n++] = (uint8_t)pin;
	}
	e[n++] = 0x00;				/* no link device */
	e[n++] = 0x0a;
	e[n++] = irq;
	e[1] = (uint8_t)(n - 1);
	return n;
}

static void test_dsdt_pci(void)
{
	/* DWordMemory: producer, fixed, cacheable read-write, 0x30000000-0xfebfffff */
	static const uint8_t win[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x03, 0, 0, 0, 0,
				       0x00, 0x00, 0x00, 0x30, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0,
				       0x00, 0x00, 0xc0, 0xce };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	/* SeaBIOS: pin P of slot S on PIRQ (S - 1 + P) & 3; PIRQA-D on 10, 10, 11, 11 */
	static const uint8_t known[][3] = { { 1, 0, 10 }, { 1, 2, 11 }, { 2, 3, 10 }, { 3, 0, 11 },
					    { 4, 1, 10 }, { 31, 3, 10 }, { 30, 2, 11 } };
	static const uint8_t pci0[] = { 0x5b, 0x82 };
	static const uint8_t path[] = { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' };
	const uint8_t *d, *dev;
	uint32_t len;
	unsigned int slot, pin, i, n = 0;
	uint8_t e[16];

	EXPECT(acpi_build(&B, 0x30000000) == 0);
	d = B.tables + B.dsdt;
	len = tlen(d);
	EXPECT(acpi_sum(d, len) == 0);
	EXPECT(memmem(d, len, win, sizeof(win)) != NULL);
	EXPECT(memmem(d, len, hid, sizeof(hid)) != NULL);
	dev = memmem(d, len, pci0, sizeof(pci0));
	/* DeviceOp, a two-byte PkgLength reaching the table's end, \_SB.PCI0 */
	EXPECT(dev && dev + 4 + sizeof(path) <= d + len && !memcmp(dev + 4, path, sizeof(path)));
	if (dev)
		EXPECT(dev[2] >> 6 == 1 && (uint32_t)((dev[2] & 0x0f) | dev[3] << 4) == (uint32_t)(d + len - dev - 2));
	for (slot = 1; slot < 32; slot++)
		for (pin = 0; pin < 4; pin++)
			n += memmem(d, len, e, prt_entry(e, slot, pin, acpi_pci_irq(slot, pin))) != NULL;
	EXPECT(n == 31 * 4);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		EXPECT(acpi_pci_irq(known[i][0], known[i][1]) == known[i][2]);
	EXPECT(acpi_build(&B, 0xff000000ull) == -1);	/* RAM over the window's end */
	EXPECT(acpi_build(&B, 0x80000) == -1);		/* under 1 MiB */
	EXPECT(acpi_build(&B, 512u << 20) == 0);
}

/* the file a loader command names: 0 tables, 1 rsdp, -1 none */
static int file_of(const uint8_t *name)
{
	if (memchr(name, 0, ACPI_LOADER_FILESZ) == NULL)
		return -1;
	if (!strcmp((const char *)name, ACPI_FILE_TABLES))
		return 0;
	if (!strcmp((const char *)name, ACPI_FILE_RSDP))
		return 1;
	return -1;
}

/* Run the loader script as the firmware does: the tables at guest address
 * 0x3ffe000, the RSDP at 0xf5a40, both in a copy. */
static void test_loader(void)
{
	static uint8_t mem[2][ACPI_TABLES_MAX];
	const uint32_t base[2] = { 0x3ffe000, 0xf5a40 }, size[2] = { B.tables_len, ACPI_RSDP_LEN };
	bool allocated[2] = { false, false };
	unsigned int i, n[4] = { 0 };
	uint8_t *t, *r;
	uint64_t v;

	EXPECT(acpi_build(&B, 512u << 20) == 0);
	EXPECT(B.loader_len > 0 && B.loader_len % 128 == 0);
	memcpy(mem[0], B.tables, B.tables_len);
	memcpy(mem[1], B.rsdp, ACPI_RSDP_LEN);
	for (i = 0; i < B.loader_len; i += 128) {
		const uint8_t *e = B.loader + i;
		uint32_t cmd = (uint32_t)get_le(e, 4), off, start, len;
		int a = file_of(e + 4), s;

		EXPECT(cmd >= 1 && cmd <= 3);
		if (cmd < 1 || cmd > 3 || a < 0) {
			EXPECT(a >= 0);
			continue;
		}
		n[cmd]++;
		switch (cmd) {
		case ACPI_LOADER_ALLOCATE:
			EXPECT(!allocated[a]);
			allocated[a] = true;
			EXPECT(get_le(e + 60, 4) == (a == 0 ? 64u : 16u));
			EXPECT(e[64] == (a == 0 ? ACPI_LOADER_ZONE_HIGH : ACPI_LOADER_ZONE_FSEG));
			EXPECT(base[a] % get_le(e + 60, 4) == 0);
			break;
		case ACPI_LOADER_ADD_POINTER:
			s = file_of(e + 60);
			off = (uint32_t)get_le(e + 116, 4);
			EXPECT(s >= 0 && allocated[a] && allocated[s > 0 ? s : 0]);
			EXPECT(e[120] == 4 || e[120] == 8);
			EXPECT(off + e[120] <= size[a]);
			if (s < 0 || off + e[120] > size[a] || (e[120] != 4 && e[120] != 8))
				break;
			v = get_le(mem[a] + off, e[120]);
			EXPECT(v < size[s]);	/* an offset into the source file */
			v += base[s];
			memcpy(mem[a] + off, &v, e[120]);	/* little-endian host */
			break;
		case ACPI_LOADER_ADD_CHECKSUM:
			off = (uint32_t)get_le(e + 60, 4);
			start = (uint32_t)get_le(e + 64, 4);
			len = (uint32_t)get_le(e + 68, 4);
			EXPECT(allocated[a] && off < size[a] && start <= size[a] && len <= size[a] - start);
			if (off >= size[a] || start > size[a] || len > size[a] - start)
				break;
			mem[a][off] = (uint8_t)(mem[a][off] - acpi_sum(mem[a] + start, len));
			break;
		}
	}
	EXPECT(n[1] == 2 && n[2] == 7 && n[3] == 6);
	/* the linked tables at their guest addresses */
	r = mem[1];
	EXPECT(acpi_sum(r, 20) == 0 && acpi_sum(r, 36) == 0);
	EXPECT(get_le(r + 16, 4) == base[0] + B.rsdt && get_le(r + 24, 8) == base[0] + B.xsdt);
	t = mem[0];
	EXPECT(get_le(t + B.rsdt + 36, 4) == base[0] + B.fadt && get_le(t + B.xsdt + 36, 8) == base[0] + B.fadt);
	EXPECT(get_le(t + B.fadt + 36, 4) == base[0] + B.facs);
	EXPECT(get_le(t + B.fadt + 40, 4) == base[0] + B.dsdt && get_le(t + B.fadt + 140, 8) == base[0] + B.dsdt);
	EXPECT(acpi_sum(t + B.fadt, 244) == 0 && acpi_sum(t + B.rsdt, 40) == 0 && acpi_sum(t + B.xsdt, 44) == 0);
	EXPECT(acpi_sum(t + B.dsdt, tlen(t + B.dsdt)) == 0);
}

/* fw_cfg: a port access on a launcher */
static void fw_out16(struct l_vcpu *v, unsigned int off, uint16_t val)
{
	uint8_t d[2] = { (uint8_t)val, (uint8_t)(val >> 8) };

	dm_fwcfg.pio(v, off, 2, true, d);
}

static uint8_t fw_in8(struct l_vcpu *v)
{
	uint8_t d = 0xff;

	dm_fwcfg.pio(v, 1, 1, false, &d);
	return d;
}

static void test_fwcfg(void)
{
	struct launcher *L = calloc(1, sizeof(*L));
	struct l_vcpu V = { .L = L };
	uint8_t *dir = malloc(4 + 64 * DM_FWCFG_FILES), *ram = calloc(1, 1 << 20), d[4];
	uint32_t n, i, found = 0;

	pthread_mutex_init(&L->lock, NULL);
	L->ram = ram;
	L->mem_size = 1 << 20;
	L->cfg.vcpus = L->cfg.maxvcpus = 1;
	EXPECT(acpi_build(&B, L->mem_size) == 0);	/* as the device builds them */
	dm_fwcfg.reset(L);
	fw_out16(&V, 0, 0x19);			/* the file directory, byte by byte */
	for (i = 0; i < 4 + 64 * DM_FWCFG_FILES; i++)
		dir[i] = fw_in8(&V);
	n = (uint32_t)dir[0] << 24 | (uint32_t)dir[1] << 16 | (uint32_t)dir[2] << 8 | dir[3];
	EXPECT(n >= 4 && n <= DM_FWCFG_FILES);
	for (i = 0; i < n && i < DM_FWCFG_FILES; i++) {
		const uint8_t *e = dir + 4 + 64 * i;
		uint32_t sz = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		uint16_t key = (uint16_t)(e[4] << 8 | e[5]);
		const uint8_t *want = NULL;
		uint32_t wlen = 0;
		uint8_t desc[16];

		if (!strcmp((const char *)e + 8, ACPI_FILE_RSDP))
			want = B.rsdp, wlen = ACPI_RSDP_LEN;
		else if (!strcmp((const char *)e + 8, ACPI_FILE_TABLES))
			want = B.tables, wlen = B.tables_len;
		else if (!strcmp((const char *)e + 8, ACPI_FILE_LOADER))
			want = B.loader, wlen = B.loader_len;
		if (!want)
			continue;
		found++;
		EXPECT(sz == wlen);
		/* read it by DMA, as SeaBIOS does: descriptor at 0x1000, data to 0x2000 */
		memset(ram + 0x2000, 0, 0x4000);
		desc[0] = (uint8_t)(key >> 8);
		desc[1] = (uint8_t)key;
		desc[2] = 0;
		desc[3] = 0x08 | 0x02;		/* select, read */
		desc[4] = (uint8_t)(sz >> 24), desc[5] = (uint8_t)(sz >> 16), desc[6] = (uint8_t)(sz >> 8);
		desc[7] = (uint8_t)sz;
		memset(desc + 8, 0, 8);
		desc[14] = 0x20;		/* 0x2000 */
		memcpy(ram + 0x1000, desc, 16);
		d[0] = 0, d[1] = 0, d[2] = 0x10, d[3] = 0;	/* 0x1000, big-endian */
		dm_fwcfg.pio(&V, 8, 4, true, d);
		EXPECT(!memcmp(ram + 0x1000, "\0\0\0\0", 4));	/* control 0: done */
		EXPECT(!memcmp(ram + 0x2000, want, wlen));
	}
	EXPECT(found == 3);
	pthread_mutex_destroy(&L->lock);
	free(dir);
	free(ram);
	free(L);
}

/* iasl -d on every table (the RSDP is not a table it takes): it must
 * disassemble them with the fields we set and without a complaint */
static bool grep_file(const char *path, const char *want)
{
	char line[512];
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

static void test_iasl(void)
{
	char dir[] = "/tmp/test_acpi.XXXXXX", path[128], cmd[512];
	static const struct {
		const char *name;
		const char *want[6];
	} files[] = {
		{ "facp", { "PM1A Control Block Address : 0000B004", "PM Timer Block Address : 0000B008",
			    "Value to cause reset : 06" } },
		{ "dsdt", { "Name (\\_S5, Package (0x04)", "Method (\\_PIC, 1", "DefinitionBlock",
			    "Device (\\_SB.PCI0)", "EisaId (\"PNP0A03\")", "Name (_PRT, Package (0x7C)" } },
		{ "facs", { "Signature : \"FACS\"", "Length : 00000040", NULL } },
		{ "rsdt", { "Signature : \"RSDT\"", "ACPI Table Address   0 :", NULL } },
		{ "xsdt", { "Signature : \"XSDT\"", "ACPI Table Address   0 :", NULL } },
	};
	unsigned int i, j;

	if (access("/usr/bin/iasl", X_OK)) {
		printf("  iasl missing: apt install acpica-tools (scripts/deps.sh)\n");
		unit_cur_failed = 1;
		return;
	}
	EXPECT(acpi_build(&B, 512u << 20) == 0);
	if (!mkdtemp(dir)) {
		EXPECT(!"mkdtemp");
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		uint32_t off = i == 0 ? B.fadt : i == 1 ? B.dsdt : i == 2 ? B.facs : i == 3 ? B.rsdt : B.xsdt;
		const uint8_t *p = B.tables + off;
		uint32_t len = tlen(p);
		FILE *f;
		int rc;

		snprintf(path, sizeof(path), "%s/%s.dat", dir, files[i].name);
		f = fopen(path, "w");
		EXPECT(f && fwrite(p, 1, len, f) == len);
		if (f)
			fclose(f);
		/* iasl writes NAME.dsl next to it; "-d" disassembles; its complaints go to the log */
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >%s.log 2>&1", dir, files[i].name, files[i].name);
		rc = system(cmd);
		EXPECT(rc == 0);
		snprintf(path, sizeof(path), "%s/%s.log", dir, files[i].name);
		EXPECT(!grep_file(path, "Error") && !grep_file(path, "Warning") && !grep_file(path, "Invalid"));
		snprintf(path, sizeof(path), "%s/%s.dsl", dir, files[i].name);
		for (j = 0; j < 6; j++)
			if (files[i].want[j] && !grep_file(path, files[i].want[j])) {
				printf("  %s.dsl: no '%s'\n", files[i].name, files[i].want[j]);
				unit_cur_failed = 1;
			}
		EXPECT(!grep_file(path, "Invalid") && !grep_file(path, "Error"));
	}
	/* the disassembled DSDT compiles again */
	snprintf(cmd, sizeof(cmd), "cd %s && iasl dsdt.dsl >compile.log 2>&1 && test -s dsdt.aml", dir);
	EXPECT(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	EXPECT(system(cmd) == 0);
}

/* --- the PM block -------------------------------------------------------- */

static struct dm_acpi A;

static void test_timer(void)
{
	dm_acpi_init(&A, T0);
	EXPECT(dm_acpi_timer(&A, T0) == 0);
	EXPECT(dm_acpi_timer(&A, T0 + SEC) == 3579545);
	EXPECT(dm_acpi_timer(&A, T0 + SEC / 1000) == 3579);
	EXPECT(dm_acpi_timer(&A, T0 + 2 * SEC + SEC / 2) == (uint32_t)(3579545 * 5 / 2) % (1u << 24));
	/* the count wraps at 2^24 (4.69 s) */
	EXPECT(dm_acpi_timer(&A, T0 + 10 * SEC) == (35795450u & 0xffffff));
	/* through the port: 32 bits with the top byte 0, and byte by byte */
	EXPECT(dm_acpi_read(&A, 8, 4, T0 + SEC) == 3579545);
	EXPECT(dm_acpi_read(&A, 11, 1, T0 + 4 * SEC) == 0);
	EXPECT(dm_acpi_read(&A, 8, 1, T0 + SEC) == (3579545 & 0xff));
	EXPECT(dm_acpi_read(&A, 10, 1, T0 + SEC) == ((3579545 >> 16) & 0xff));
	/* writes leave it alone; a clock before the start reads 0 */
	dm_acpi_write(&A, 8, 4, 0, T0 + SEC);
	EXPECT(dm_acpi_timer(&A, T0 + SEC) == 3579545);
	EXPECT(dm_acpi_timer(&A, T0 - SEC) == 0);
	/* a day later the rate holds (no overflow) */
	EXPECT(dm_acpi_timer(&A, T0 + 86400 * SEC + SEC) == (uint32_t)((86401ull * 3579545) & 0xffffff));
	/* TMR_STS: set once bit 23 changed, cleared by writing 1 */
	EXPECT(!(dm_acpi_read(&A, 0, 2, T0 + SEC) & ACPI_PM1_TMR));
	EXPECT(dm_acpi_read(&A, 0, 2, T0 + 3 * SEC) & ACPI_PM1_TMR);	/* 2^23 ticks = 2.34 s */
	dm_acpi_write(&A, 0, 2, 0, T0 + 3 * SEC);
	EXPECT(dm_acpi_read(&A, 0, 2, T0 + 3 * SEC) & ACPI_PM1_TMR);	/* writing 0 keeps it */
	dm_acpi_write(&A, 0, 2, ACPI_PM1_TMR, T0 + 3 * SEC);
	EXPECT(!(dm_acpi_read(&A, 0, 2, T0 + 4 * SEC) & ACPI_PM1_TMR));
	EXPECT(dm_acpi_read(&A, 0, 2, T0 + 5 * SEC) & ACPI_PM1_TMR);	/* the next carry at 4.69 s */
}

static void test_sleep(void)
{
	dm_acpi_init(&A, T0);
	EXPECT(dm_acpi_read(&A, 4, 2, T0) == ACPI_PM1_SCI_EN);
	/* SLP_TYP without SLP_EN is kept; SCI_EN stays (no SMI command) */
	EXPECT(dm_acpi_write(&A, 4, 2, 5u << 10, T0) == DM_ACPI_NONE);
	EXPECT(dm_acpi_read(&A, 4, 2, T0) == (ACPI_PM1_SCI_EN | 5u << 10));
	/* other sleep types are ignored */
	EXPECT(dm_acpi_write(&A, 4, 2, ACPI_PM1_SLP_EN | 0u << 10 | 1, T0) == DM_ACPI_NONE);
	EXPECT(dm_acpi_write(&A, 4, 2, ACPI_PM1_SLP_EN | 3u << 10 | 1, T0) == DM_ACPI_NONE);
	EXPECT(!(dm_acpi_read(&A, 4, 2, T0) & ACPI_PM1_SLP_EN));	/* SLP_EN reads 0 */
	/* S5: Linux's 16-bit write, and a byte write to the high half */
	EXPECT(dm_acpi_write(&A, 4, 2, ACPI_PM1_SLP_EN | 5u << 10 | 1, T0) == DM_ACPI_POWEROFF);
	EXPECT(dm_acpi_write(&A, 5, 1, (ACPI_PM1_SLP_EN | 5u << 10) >> 8, T0) == DM_ACPI_POWEROFF);
	/* a 32-bit write over the enables and the control block: SLP_TYP 7, no S5 */
	EXPECT(dm_acpi_write(&A, 2, 4, 0xffffffff, T0) == DM_ACPI_NONE);
}

static void test_w1c_sci(void)
{
	dm_acpi_init(&A, T0);
	EXPECT(!dm_acpi_sci(&A));
	dm_acpi_power_button(&A);
	EXPECT(dm_acpi_read(&A, 0, 2, T0) == ACPI_PM1_PWRBTN);
	EXPECT(!dm_acpi_sci(&A));			/* not enabled: no SCI */
	dm_acpi_write(&A, 2, 2, ACPI_PM1_PWRBTN | 0x4000, T0);	/* a reserved bit is dropped */
	EXPECT(dm_acpi_read(&A, 2, 2, T0) == ACPI_PM1_PWRBTN);
	EXPECT(dm_acpi_sci(&A));
	dm_acpi_write(&A, 0, 2, ACPI_PM1_SLPBTN, T0);	/* another bit: PWRBTN stays */
	EXPECT(dm_acpi_sci(&A));
	dm_acpi_write(&A, 1, 1, ACPI_PM1_PWRBTN >> 8, T0);	/* clear it by a byte write */
	EXPECT(dm_acpi_read(&A, 0, 2, T0) == 0 && !dm_acpi_sci(&A));
	/* the timer's carry raises no SCI, even enabled */
	dm_acpi_write(&A, 2, 2, ACPI_PM1_TMR, T0);
	EXPECT(!dm_acpi_sci(&A));
	EXPECT(dm_acpi_read(&A, 0, 4, T0 + 3 * SEC) == (ACPI_PM1_TMR | (uint32_t)ACPI_PM1_TMR << 16));
}

/* the glue: IRQ 9 follows the SCI; S5 ends the domain; 0xcf9 reboots */
static void test_ports(void)
{
	struct launcher *L = calloc(1, sizeof(*L));
	struct l_vcpu V = { .L = L };
	uint8_t d[4];

	pthread_mutex_init(&L->lock, NULL);
	pthread_cond_init(&L->pause_cv, NULL);
	dm_pic_init(&L->dm.pic);
	dm_acpi.reset(L);
	EXPECT(dm_acpi.port == 0xb000 && dm_acpi.nports == 12 && dm_acpi.types == DM_HVM);
	d[0] = 0x00, d[1] = 0x01;			/* PWRBTN_EN */
	EXPECT(dm_acpi.pio(&V, 2, 2, true, d));
	EXPECT(!(L->dm.pic.chip[1].lines & 2));
	dm_acpi_press_power_button(L);
	EXPECT(L->dm.acpi.sci && (L->dm.pic.chip[1].lines & 2));	/* IRQ 9: the slave's input 1 */
	d[0] = 0x00, d[1] = 0x01;			/* the guest clears PWRBTN_STS */
	EXPECT(dm_acpi.pio(&V, 0, 2, true, d));
	EXPECT(!L->dm.acpi.sci && !(L->dm.pic.chip[1].lines & 2));
	memset(d, 0, 4);
	EXPECT(dm_acpi.pio(&V, 8, 4, false, d));
	EXPECT(d[3] == 0);
	stopped_reason = -1;
	d[0] = 0x01, d[1] = 0x34;			/* SCI_EN | SLP_EN | SLP_TYP 5 */
	EXPECT(!dm_acpi.pio(&V, 4, 2, true, d));
	EXPECT(stopped_reason == XEN_SHUTDOWN_POWEROFF && !strcmp(stopped_why, "ACPI power-off (S5)"));
	/* the FADT's reset register: 0x06 to 0xcf9 (dev_pci.c) */
	stopped_reason = -1;
	dm_pci.reset(L);
	d[0] = ACPI_RESET_VALUE;
	EXPECT(!dm_pci.pio(&V, ACPI_RESET_PORT - 0xcf8, 1, true, d));
	EXPECT(stopped_reason == XEN_SHUTDOWN_REBOOT);
	pthread_cond_destroy(&L->pause_cv);
	pthread_mutex_destroy(&L->lock);
	free(L);
}

/* random traffic: SCI_EN always set, SLP_EN never kept, enables only the
 * event bits, the timer 24 bits */
static void test_hostile(void)
{
	unsigned int seed = 4242, i, bad = 0, offs = 0;
	uint64_t now = T0;

	dm_acpi_init(&A, T0);
	for (i = 0; i < 300000; i++) {
		unsigned int off, size;
		uint32_t v;

		seed = seed * 1103515245u + 12345u;
		off = (seed >> 8) % 14;
		size = 1u << ((seed >> 4) % 3);
		v = seed * 2654435761u;
		if ((seed >> 20) & 1) {
			if (dm_acpi_write(&A, off, size, v, now) == DM_ACPI_POWEROFF)
				offs++;
		} else {
			(void)dm_acpi_read(&A, off, size, now);
		}
		if ((seed >> 25) % 5 == 0)
			dm_acpi_power_button(&A);
		now += (seed >> 12) % 3 ? (seed & 0xffff) : (uint64_t)(seed & 0xff) << 32;
		if (!(A.cnt & ACPI_PM1_SCI_EN) || (A.cnt & ACPI_PM1_SLP_EN) || (A.en & ~0x0721u) ||
		    dm_acpi_timer(&A, now) >> 24 || (A.sts & ~0x8721u))
			bad++;
	}
	EXPECT(bad == 0);
	EXPECT(offs > 0);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_tables);
	RUN(UNIT_PREFIX, test_dsdt_pci);
	RUN(UNIT_PREFIX, test_loader);
	RUN(UNIT_PREFIX, test_fwcfg);
	RUN(UNIT_PREFIX, test_iasl);
	RUN(UNIT_PREFIX, test_timer);
	RUN(UNIT_PREFIX, test_sleep);
	RUN(UNIT_PREFIX, test_w1c_sci);
	RUN(UNIT_PREFIX, test_ports);
	RUN(UNIT_PREFIX, test_hostile);
	return unit_failed;
}
