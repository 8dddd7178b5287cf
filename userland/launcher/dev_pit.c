// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the 8254 PIT (0x40-0x43) and the system control
 * port B (0x61, counter 2's gate and output), HVM domains.  Counters run
 * at 1,193,182 Hz on the host's CLOCK_MONOTONIC from the moment their
 * count is loaded; modes 0 (one shot: output high at terminal count) and
 * 2/3 (periodic) are what firmware and Linux use, the others count as
 * mode 0.  Latch and read-back commands, LSB/MSB/both access.  No IRQ 0
 * yet (no interrupt controller delivers it): firmware that polls counter
 * 2 through port 0x61 (SeaBIOS's TSC calibration) works.
 * On a hot path once guests tick on IRQ 0: a candidate for the module
 * (docs/devices.md "PIT").
 */
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"

#define PIT_HZ		1193182ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ticks(const struct dm_pit_ch *c)
{
	return (now_ns() - c->load_ns) * PIT_HZ / 1000000000ull;
}

static uint32_t reload(const struct dm_pit_ch *c)
{
	return c->count ? c->count : 0x10000;
}

static uint16_t current(const struct dm_pit_ch *c)
{
	uint64_t t = ticks(c);
	uint32_t n = reload(c);

	if (c->mode == 2 || c->mode == 3)
		return (uint16_t)(n - t % n);
	return (uint16_t)(n - t);	/* mode 0: wraps past zero, as the chip */
}

static bool output(const struct dm_pit_ch *c)
{
	uint64_t t = ticks(c);
	uint32_t n = reload(c);

	if (!c->loaded)
		return c->mode != 0;
	if (c->mode == 2)
		return t % n != n - 1;
	if (c->mode == 3)
		return t % n < n / 2;
	return t >= n;
}

static void pit_reset(struct launcher *L)
{
	memset(&L->dm.pit, 0, sizeof(L->dm.pit));
}

static void latch(struct dm_pit_ch *c)
{
	if (!c->latched) {
		c->latch = current(c);
		c->latched = c->access == 3 ? 2 : 1;
	}
}

static uint8_t ch_read(struct dm_pit_ch *c)
{
	uint16_t v;
	uint8_t r;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : current(c);
	if (c->access == 1 || (c->access == 3 && !c->read_msb))
		r = (uint8_t)v;
	else
		r = (uint8_t)(v >> 8);
	if (c->access == 3)
		c->read_msb = !c->read_msb;
	if (c->latched)
		c->latched--;
	return r;
}

static void ch_write(struct dm_pit_ch *c, uint8_t v)
{
	if (c->access == 1) {
		c->count = v;
	} else if (c->access == 2) {
		c->count = (uint16_t)(v << 8);
	} else if (!c->write_msb) {
		c->count = (uint16_t)((c->count & 0xff00) | v);
		c->write_msb = true;
		return;		/* counting starts with the MSB */
	} else {
		c->count = (uint16_t)((c->count & 0x00ff) | v << 8);
		c->write_msb = false;
	}
	c->loaded = true;
	c->load_ns = now_ns();
}

static void control(struct dm_pit *p, uint8_t v)
{
	unsigned int sel = v >> 6, i;
	struct dm_pit_ch *c;

	if (sel == 3) {		/* read-back: bits 3:1 counters; 5 no count, 4 no status */
		for (i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			c = &p->ch[i];
			if (!(v & 0x20))
				latch(c);
			if (!(v & 0x10) && !c->status_latched) {
				c->status = (uint8_t)((output(c) ? 0x80 : 0) | c->access << 4 | c->mode << 1 | c->bcd);
				c->status_latched = true;
			}
		}
		return;
	}
	c = &p->ch[sel];
	if (!(v & 0x30)) {
		latch(c);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6, 7: 2, 3 */
	c->bcd = v & 1;
	c->loaded = false;
	c->latched = 0;
	c->read_msb = c->write_msb = false;
}

static bool pit_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_pit *p = &L->dm.pit;

	(void)size;
	pthread_mutex_lock(&L->lock);
	if (off == 3) {
		if (write)
			control(p, data[0]);	/* reads: all-ones, as the chip */
	} else if (write) {
		ch_write(&p->ch[off], data[0]);
	} else {
		data[0] = ch_read(&p->ch[off]);
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

/* Port 0x61: bit 0 counter 2's gate, bit 1 speaker (stored); bit 4 the
 * refresh toggle (flips every 15 us), bit 5 counter 2's output. */
static bool portb_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_pit *p = &L->dm.pit;

	(void)off;
	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write) {
		p->portb = data[0] & 0x0f;
	} else {
		data[0] = (uint8_t)(p->portb | ((now_ns() / 15085) & 1 ? 0x10 : 0) |
				    ((p->portb & 1) && output(&p->ch[2]) ? 0x20 : 0));
	}
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_pit = {
	.name = "pit-8254", .types = DM_HVM, .port = 0x40, .nports = 4, .pio = pit_pio, .reset = pit_reset,
};

const struct dm_device dm_portb = {
	.name = "port-b", .types = DM_HVM, .port = 0x61, .nports = 1, .pio = portb_pio,
};
