// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the 8254 PIT (0x40-0x43) and the system control
 * port B (0x61: counter 2's gate in, its output out), HVM domains
 * (docs/devices.md "Interrupts").
 *
 * A pure state machine over a time in nanoseconds its caller passes
 * (devices.h): the counters run at 1,193,182 Hz from the moment their
 * count is loaded (or their gate triggers them).  All six modes, binary
 * and BCD counts, LSB / MSB / LSB-then-MSB access, the counter latch and
 * the read-back command (count and status).  Counters 0 and 1 have their
 * gate tied high; counter 2's is port 0x61 bit 0 and its output reads at
 * bit 5.  Counter 0's output is IRQ 0: dm_pit_next_event() says when it
 * next rises, dm_pit_irq0_edges() how often it rose since the last look.
 * Simplified: a count written while a periodic mode (2, 3) runs takes
 * effect at once (the chip waits for the end of the period); writing the
 * first byte of a two-byte count in mode 0 stops the counter until the
 * second (as the chip).
 */
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"

#define NS	1000000000ull

static uint64_t ns_to_ticks(uint64_t d)
{
	return d / NS * DM_PIT_HZ + d % NS * DM_PIT_HZ / NS;
}

/* The first time (ns after a start) by which @t ticks have elapsed. */
static uint64_t ticks_to_ns(uint64_t t)
{
	return t / DM_PIT_HZ * NS + (t % DM_PIT_HZ * NS + DM_PIT_HZ - 1) / DM_PIT_HZ;
}

static unsigned int bcd2bin(uint16_t v)
{
	return (v & 0xf) + (v >> 4 & 0xf) * 10 + (v >> 8 & 0xf) * 100 + (v >> 12 & 0xf) * 1000u;
}

static uint16_t bin2bcd(unsigned int v)
{
	return (uint16_t)(v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12);
}

static bool running(const struct dm_pit_ch *c)
{
	return c->loaded && c->gate && (c->armed || (c->mode != 1 && c->mode != 5));
}

/* Input-clock ticks the counter has counted since its count was loaded. */
static uint64_t pos(const struct dm_pit_ch *c, uint64_t now)
{
	if (!running(c))
		return c->base;
	return c->base + (now > c->start ? ns_to_ticks(now - c->start) : 0);
}

/* The counting element at @t, as a binary number below the modulus. */
static uint32_t count_at(const struct dm_pit_ch *c, uint64_t t)
{
	uint32_t n = c->reload, mod = c->bcd ? 10000 : 0x10000, half;
	uint64_t ph;

	if (!c->loaded || ((c->mode == 1 || c->mode == 5) && !c->armed))
		return n % mod;
	switch (c->mode) {
	case 2:
		return (uint32_t)(n - t % n) % mod;
	case 3:			/* by twos through each half of the period */
		ph = t % n;
		half = (n + 1) / 2;
		return (uint32_t)(ph < half ? n - 2 * ph : n - 2 * (ph - half)) % mod;
	default:		/* 0, 1, 4, 5: down past zero, wrapping */
		return (uint32_t)((n % mod + mod - t % mod) % mod);
	}
}

static uint16_t count_now(const struct dm_pit_ch *c, uint64_t now)
{
	uint32_t v = count_at(c, pos(c, now));

	return c->bcd ? bin2bcd(v) : (uint16_t)v;
}

static bool out_at(const struct dm_pit_ch *c, uint64_t t)
{
	uint32_t n = c->reload;

	if (!c->loaded)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return t >= n;
	case 1:
		return !c->armed || t >= n;
	case 2:			/* low for the last tick of each period; high while the gate is low */
		return !c->gate || n < 2 || t % n != n - 1;
	case 3:
		return !c->gate || n < 2 || t % n < (n + 1) / 2;
	case 4:
		return t != n;
	default:		/* 5 */
		return !c->armed || t != n;
	}
}

/* Rising edges of the output in (0, @t]. */
static uint64_t edges(const struct dm_pit_ch *c, uint64_t t)
{
	uint32_t n = c->reload;

	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 0:
		return t >= n;
	case 1:
		return c->armed && t >= n;
	case 2:
	case 3:
		return n < 2 ? 0 : t / n;
	case 4:
		return t >= (uint64_t)n + 1;
	default:
		return c->armed && t >= (uint64_t)n + 1;
	}
}

/* The tick of the first rising edge after @t (UINT64_MAX: none). */
static uint64_t next_edge(const struct dm_pit_ch *c, uint64_t t)
{
	uint32_t n = c->reload;

	switch (c->mode) {
	case 0:
	case 1:
		return t < n ? n : UINT64_MAX;
	case 2:
	case 3:
		return n < 2 ? UINT64_MAX : (t / n + 1) * n;
	default:
		return t < (uint64_t)n + 1 ? (uint64_t)n + 1 : UINT64_MAX;
	}
}

bool dm_pit_out(const struct dm_pit *p, unsigned int ch, uint64_t now)
{
	const struct dm_pit_ch *c = &p->ch[ch % 3];

	return out_at(c, pos(c, now));
}

static void restart(struct dm_pit_ch *c, uint64_t now)
{
	c->base = 0;
	c->start = now;
	c->irq_seen = 0;
}

void dm_pit_init(struct dm_pit *p, uint64_t now)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++) {
		p->ch[i].access = 3;
		p->ch[i].reload = 0x10000;
		p->ch[i].gate = i < 2;	/* counter 2's gate is port 0x61 bit 0 */
		restart(&p->ch[i], now);
	}
}

static void latch(struct dm_pit_ch *c, uint64_t now)
{
	if (!c->latched) {
		c->latch = count_now(c, now);
		c->latched = c->access == 3 ? 2 : 1;
	}
}

static uint8_t ch_read(struct dm_pit_ch *c, uint64_t now)
{
	uint16_t v;
	uint8_t r;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : count_now(c, now);
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

static void ch_write(struct dm_pit_ch *c, uint8_t v, uint64_t now)
{
	unsigned int n;

	if (c->access == 1) {
		c->written = v;
	} else if (c->access == 2) {
		c->written = (uint16_t)(v << 8);
	} else if (!c->write_msb) {
		c->written = (uint16_t)((c->written & 0xff00) | v);
		c->write_msb = true;
		if (c->mode == 0)
			c->loaded = false;	/* mode 0: the first byte stops the count */
		return;		/* counting starts with the MSB */
	} else {
		c->written = (uint16_t)((c->written & 0x00ff) | v << 8);
		c->write_msb = false;
	}
	if (c->bcd) {
		n = bcd2bin(c->written) % 10000;
		c->reload = n ? n : 10000;
	} else {
		c->reload = c->written ? c->written : 0x10000;
	}
	c->loaded = true;
	c->armed = false;
	c->null_count = c->mode == 1 || c->mode == 5;	/* until the gate triggers it */
	restart(c, now);
}

static void control(struct dm_pit *p, uint8_t v, uint64_t now)
{
	unsigned int sel = v >> 6, i;
	struct dm_pit_ch *c;

	if (sel == 3) {		/* read-back: bits 3:1 counters; 5 no count, 4 no status */
		for (i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			c = &p->ch[i];
			if (!(v & 0x20))
				latch(c, now);
			if (!(v & 0x10) && !c->status_latched) {
				c->status = (uint8_t)((dm_pit_out(p, i, now) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
						      c->access << 4 | c->mode << 1 | c->bcd);
				c->status_latched = true;
			}
		}
		return;
	}
	c = &p->ch[sel];
	if (!(v & 0x30)) {
		latch(c, now);
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6, 7: 2, 3 */
	c->bcd = v & 1;
	c->loaded = c->armed = false;
	c->null_count = true;
	c->latched = 0;
	c->status_latched = false;
	c->read_msb = c->write_msb = false;
	restart(c, now);
}

void dm_pit_write(struct dm_pit *p, unsigned int port, uint8_t v, uint64_t now)
{
	port &= 3;
	if (port == 3)
		control(p, v, now);
	else
		ch_write(&p->ch[port], v, now);
}

uint8_t dm_pit_read(struct dm_pit *p, unsigned int port, uint64_t now)
{
	port &= 3;
	if (port == 3)
		return 0xff;	/* the control word cannot be read */
	return ch_read(&p->ch[port], now);
}

/* Counter 2's gate: modes 0 and 4 pause while it is low, 2 and 3 stop
 * (output high) and start over on its rise, 1 and 5 are triggered by it. */
static void set_gate(struct dm_pit_ch *c, bool g, uint64_t now)
{
	if (g == c->gate)
		return;
	if (!g) {
		c->base = pos(c, now);
		c->gate = false;
		return;
	}
	c->gate = true;
	if (!c->loaded)
		return;
	switch (c->mode) {
	case 1:
	case 5:
		c->armed = true;
		c->null_count = false;
		restart(c, now);
		break;
	case 2:
	case 3:
		restart(c, now);
		break;
	default:
		c->start = now;	/* resume */
		break;
	}
}

void dm_pit_portb_write(struct dm_pit *p, uint8_t v, uint64_t now)
{
	p->portb = v & 0x0f;
	set_gate(&p->ch[2], v & 1, now);
}

/* bit 4: the refresh request toggle (every 15.085 us); bit 5: counter 2's output */
uint8_t dm_pit_portb_read(const struct dm_pit *p, uint64_t now)
{
	return (uint8_t)(p->portb | ((now / 15085) & 1 ? 0x10 : 0) | (dm_pit_out(p, 2, now) ? 0x20 : 0));
}

uint64_t dm_pit_irq0_edges(struct dm_pit *p, uint64_t now)
{
	struct dm_pit_ch *c = &p->ch[0];
	uint64_t t = pos(c, now), e;

	if (c->irq_seen > t)
		c->irq_seen = t;
	e = edges(c, t) - edges(c, c->irq_seen);
	c->irq_seen = t;
	return e;
}

uint64_t dm_pit_next_event(const struct dm_pit *p, uint64_t now)
{
	const struct dm_pit_ch *c = &p->ch[0];
	uint64_t t, nt, at;

	if (!running(c))
		return UINT64_MAX;
	t = pos(c, now);
	if (edges(c, t) != edges(c, c->irq_seen < t ? c->irq_seen : t))
		return now;	/* an edge not yet reported */
	nt = next_edge(c, t);
	if (nt == UINT64_MAX)
		return UINT64_MAX;
	at = c->start + ticks_to_ns(nt - c->base);
	return at > now + DM_PIT_MIN_PERIOD_NS ? at : now + DM_PIT_MIN_PERIOD_NS;
}

/*
 * The timer thread's step (the device lock held; docs/devices.md
 * "Interrupts (HVM)", step 5): a pulse on IRQ 0 for the rising edges of
 * counter 0's output since the last step (several collapse into one, as
 * in the 8259's IRR), and when to step next.  *@pulsed: edges seen.
 */
uint64_t dm_pit_timer_step(struct dm_pit *p, struct dm_pic *pic, uint64_t now, uint64_t *pulsed)
{
	*pulsed = dm_pit_irq0_edges(p, now);
	if (*pulsed) {
		dm_pic_set_irq(pic, 0, true);
		dm_pic_set_irq(pic, 0, false);
	}
	return dm_pit_next_event(p, now);
}

/* --- the port glue ------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void pit_reset(struct launcher *L)
{
	dm_pit_init(&L->dm.pit, now_ns());
}

static bool pit_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;

	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write) {
		dm_pit_write(&L->dm.pit, (unsigned int)off, data[0], now_ns());
		dm_irq_timer_poke(L);	/* counter 0's next edge may have moved */
	} else
		data[0] = dm_pit_read(&L->dm.pit, (unsigned int)off, now_ns());
	pthread_mutex_unlock(&L->lock);
	return true;
}

static bool portb_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;

	(void)off;
	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write)
		dm_pit_portb_write(&L->dm.pit, data[0], now_ns());
	else
		data[0] = dm_pit_portb_read(&L->dm.pit, now_ns());
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_pit = {
	.name = "pit-8254", .types = DM_HVM, .port = 0x40, .nports = 4, .pio = pit_pio, .reset = pit_reset,
};

const struct dm_device dm_portb = {
	.name = "port-b", .types = DM_HVM, .port = 0x61, .nports = 1, .pio = portb_pio,
};
