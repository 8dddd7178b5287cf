// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the MC146818 RTC and CMOS RAM at 0x70-0x71, HVM
 * domains.  The clock reads the host's UTC time at each read (BCD unless
 * register B's DM bit; 24-hour when B bit 1), never "updating" (A's UIP
 * reads 0), register C reads 0 (no periodic, alarm or update interrupt
 * yet), D reads VRT.  The CMOS RAM holds what a PC BIOS reads: base and
 * extended memory (0x15-0x18, 0x30-0x31, 0x34-0x35), the CPU count less
 * one (0x5f), boot order (0x3d: hard disk), the century (0x32).  Other
 * bytes keep what the guest writes.
 */
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"

#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_B_DM	0x04	/* binary, not BCD */
#define RTC_B_24H	0x02

static void put16(uint8_t *c, unsigned int lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	c[lo] = (uint8_t)v;
	c[lo + 1] = (uint8_t)(v >> 8);
}

static void rtc_reset(struct launcher *L)
{
	uint8_t *c = L->dm.rtc.cmos;
	uint64_t kib = L->mem_size >> 10;

	memset(&L->dm.rtc, 0, sizeof(L->dm.rtc));
	c[RTC_REG_A] = 0x26;
	c[RTC_REG_B] = RTC_B_24H;
	put16(c, 0x15, 640);
	put16(c, 0x17, kib > 1024 ? kib - 1024 : 0);
	put16(c, 0x30, kib > 1024 ? kib - 1024 : 0);
	put16(c, 0x34, L->mem_size > (16u << 20) ? (L->mem_size - (16u << 20)) >> 16 : 0);
	c[0x3d] = 0x02;		/* boot: hard disk */
	c[0x5f] = (uint8_t)(L->cfg.vcpus - 1);
}

static uint8_t bcd(const struct dm_rtc *r, unsigned int v)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t rtc_read(struct dm_rtc *r, unsigned int idx)
{
	time_t now = time(NULL);
	struct tm tm;
	unsigned int h;

	if (idx > 9 && idx != 0x32)
		switch (idx) {
		case RTC_REG_A: return r->cmos[idx] & 0x7f;	/* never updating */
		case RTC_REG_C: return 0;
		case RTC_REG_D: return 0x80;
		default: return r->cmos[idx];
		}
	gmtime_r(&now, &tm);
	switch (idx) {
	case 0: return bcd(r, (unsigned int)tm.tm_sec);
	case 2: return bcd(r, (unsigned int)tm.tm_min);
	case 4:
		h = (unsigned int)tm.tm_hour;
		if (r->cmos[RTC_REG_B] & RTC_B_24H)
			return bcd(r, h);
		return (uint8_t)(bcd(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
	case 6: return bcd(r, (unsigned int)tm.tm_wday + 1);
	case 7: return bcd(r, (unsigned int)tm.tm_mday);
	case 8: return bcd(r, (unsigned int)tm.tm_mon + 1);
	case 9: return bcd(r, (unsigned int)tm.tm_year % 100);
	case 0x32: return bcd(r, (unsigned int)(tm.tm_year + 1900) / 100);
	default: return r->cmos[idx];		/* alarms */
	}
}

static bool rtc_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_rtc *r = &L->dm.rtc;

	(void)size;
	pthread_mutex_lock(&L->lock);
	if (off == 0) {
		if (write)
			r->index = data[0] & 0x7f;	/* bit 7: NMI mask */
		else
			data[0] = 0xff;
	} else if (write) {
		/* the clock does not take a new time; C and D are read-only */
		if (r->index >= 0x0a && r->index != RTC_REG_C && r->index != RTC_REG_D)
			r->cmos[r->index] = data[0];
	} else {
		data[0] = rtc_read(r, r->index);
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_rtc = {
	.name = "rtc-cmos", .types = DM_HVM, .port = 0x70, .nports = 2, .pio = rtc_pio, .reset = rtc_reset,
};
