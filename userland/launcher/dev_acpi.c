// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the ACPI PM block of an HVM domain (acpi.h, the
 * FADT of acpi.c describes it; docs/devices.md "ACPI (HVM)"):
 *
 *	0xb000	PM1a_STS (16)	write 1 to clear; PWRBTN_STS set by the host's
 *				power button; TMR_STS computed: set while bit
 *				23 of the timer has changed since it was cleared
 *	0xb002	PM1a_EN (16)	TMR, GBL, PWRBTN, SLPBTN, RTC enables
 *	0xb004	PM1a_CNT (16)	SCI_EN reads 1 (no SMI command: always in ACPI
 *				mode); SLP_TYP kept; SLP_EN with the \_S5
 *				SLP_TYP powers the domain off, other sleep
 *				types are ignored
 *	0xb008	PM_TMR (32)	24-bit count at 3.579545 MHz from CLOCK_MONOTONIC
 *
 * The SCI (IRQ 9) is high while an enabled status bit is set (PWRBTN,
 * SLPBTN, RTC, GBL); nothing else raises it.  The timer's carry sets
 * TMR_STS but raises no SCI (no timer thread; no OS domus boots enables
 * TMR_EN).  Any size at any offset works byte by byte.  Reset control
 * (the FADT's RESET_REG, 0xcf9 = 0x06) is dev_pci.c's.
 */
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"
#include "acpi.h"

#define PM1_EVENTS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC)
#define PM1_SCI_EVENTS	(ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC)
#define PM1_CNT_KEPT	(ACPI_PM1_SLP_TYP_MASK | (1u << 1))	/* SLP_TYP, BM_RLD */

static uint64_t ticks(const struct dm_acpi *a, uint64_t now)
{
	uint64_t d = now > a->start ? now - a->start : 0;

	return d / 1000000000ull * ACPI_PM_TMR_HZ + d % 1000000000ull * ACPI_PM_TMR_HZ / 1000000000ull;
}

void dm_acpi_init(struct dm_acpi *a, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->start = now;
	a->cnt = ACPI_PM1_SCI_EN;
}

uint32_t dm_acpi_timer(const struct dm_acpi *a, uint64_t now)
{
	return (uint32_t)(ticks(a, now) & 0xffffff);
}

bool dm_acpi_sci(const struct dm_acpi *a)
{
	return (a->cnt & ACPI_PM1_SCI_EN) && (a->sts & a->en & PM1_SCI_EVENTS);
}

void dm_acpi_power_button(struct dm_acpi *a)
{
	a->sts |= ACPI_PM1_PWRBTN;
}

static uint8_t read_byte(const struct dm_acpi *a, unsigned int off, uint64_t now)
{
	uint32_t v;

	switch (off & ~1u) {
	case 0:
		v = a->sts;
		if ((ticks(a, now) >> 23) != a->carry)
			v |= ACPI_PM1_TMR;
		break;
	case 2:
		v = a->en;
		break;
	case 4:
		v = a->cnt;
		break;
	case 8:
	case 10:
		return (uint8_t)(dm_acpi_timer(a, now) >> (8 * (off - 8)));
	default:
		return 0;
	}
	return (uint8_t)(v >> (8 * (off & 1)));
}

uint32_t dm_acpi_read(struct dm_acpi *a, unsigned int off, unsigned int size, uint64_t now)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < size && i < 4; i++)
		if (off + i < ACPI_PM_LEN)
			v |= (uint32_t)read_byte(a, off + i, now) << (8 * i);
	return v;
}

static enum dm_acpi_action write_byte(struct dm_acpi *a, unsigned int off, uint8_t b, uint64_t now)
{
	unsigned int sh = 8 * (off & 1);
	uint16_t v = (uint16_t)(b << sh), mask = (uint16_t)(0xff << sh);

	switch (off & ~1u) {
	case 0:		/* write 1 to clear */
		if (v & ACPI_PM1_TMR)
			a->carry = ticks(a, now) >> 23;
		a->sts &= (uint16_t)~(v & (PM1_EVENTS | ACPI_PM1_WAK));
		break;
	case 2:
		a->en = (uint16_t)((a->en & ~mask) | (v & mask & PM1_EVENTS));
		break;
	case 4:
		a->cnt = (uint16_t)((a->cnt & ~(mask & PM1_CNT_KEPT)) | (v & mask & PM1_CNT_KEPT));
		if ((v & ACPI_PM1_SLP_EN) &&
		    (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT == ACPI_S5_SLP_TYP)
			return DM_ACPI_POWEROFF;
		break;
	default:	/* the timer is read-only */
		break;
	}
	return DM_ACPI_NONE;
}

enum dm_acpi_action dm_acpi_write(struct dm_acpi *a, unsigned int off, unsigned int size, uint32_t v,
				  uint64_t now)
{
	enum dm_acpi_action act = DM_ACPI_NONE;
	unsigned int i;

	for (i = 0; i < size && i < 4; i++)
		if (off + i < ACPI_PM_LEN && write_byte(a, off + i, (uint8_t)(v >> (8 * i)), now) == DM_ACPI_POWEROFF)
			act = DM_ACPI_POWEROFF;
	return act;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* IRQ 9 follows the SCI (the device lock held) */
static void update_sci(struct launcher *L)
{
	struct dm_acpi *a = &L->dm.acpi;
	bool level = dm_acpi_sci(a);

	if (level == a->sci)
		return;
	a->sci = level;
	dm_pic_set_irq(&L->dm.pic, ACPI_SCI_IRQ, level);
	dm_irq_kick(L);
}

static bool acpi_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	enum dm_acpi_action act = DM_ACPI_NONE;
	uint32_t v = 0;
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	if (write) {
		for (i = 0; i < size; i++)
			v |= (uint32_t)data[i] << (8 * i);
		act = dm_acpi_write(&L->dm.acpi, (unsigned int)off, size, v, now_ns());
		update_sci(L);
	} else {
		v = dm_acpi_read(&L->dm.acpi, (unsigned int)off, size, now_ns());
		for (i = 0; i < size; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	pthread_mutex_unlock(&L->lock);
	if (act == DM_ACPI_POWEROFF) {
		dom_guest_stopped(L, XEN_SHUTDOWN_POWEROFF, "ACPI power-off (S5)");
		return false;
	}
	return true;
}

static void acpi_reset(struct launcher *L)
{
	dm_acpi_init(&L->dm.acpi, now_ns());
}

/* The host's power button (domus shutdown of a firmware domain): PWRBTN_STS
 * and, if the guest enabled it, the SCI. */
void dm_acpi_press_power_button(struct launcher *L)
{
	pthread_mutex_lock(&L->lock);
	dm_acpi_power_button(&L->dm.acpi);
	update_sci(L);
	pthread_mutex_unlock(&L->lock);
}

const struct dm_device dm_acpi = {
	.name = "acpi-pm-hvm", .types = DM_HVM, .port = ACPI_PM_BASE, .nports = ACPI_PM_LEN, .pio = acpi_pio,
	.reset = acpi_reset,
};
