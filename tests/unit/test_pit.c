// SPDX-License-Identifier: MIT
/*
 * The launcher's 8254 PIT and port 0x61 (userland/launcher/dev_pit.c) on
 * a made-up clock: SeaBIOS's 18.2 Hz tick and Linux's 1000 Hz one (IRQ 0
 * edges and the next event time), the mode 3 square wave, Linux's TSC
 * calibration on counter 2 through port 0x61 (gate in, output out), the
 * counter latch and the read-back command, BCD counts, the gate-triggered
 * modes 1 and 5 and the strobe of mode 4, the floor on the event rate,
 * IRQ 0 through the PIC to an injected vector (dev_pic.c), the port glue, then random port traffic and time jumps (a hostile
 * guest) that must leave every field in range.
 */
#include <stdlib.h>
#include <string.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

#define T0	1000000000000ull	/* the made-up clock starts at 1000 s */

static struct dm_pit P;

/* the time at which @k ticks have passed since @s */
static uint64_t tk_from(uint64_t s, uint64_t k)
{
	return s + (k * 1000000000ull + DM_PIT_HZ - 1) / DM_PIT_HZ;
}

static uint64_t tk(uint64_t k)
{
	return tk_from(T0, k);
}

static void out(unsigned int port, uint8_t v, uint64_t now)
{
	dm_pit_write(&P, port, v, now);
}

static uint8_t in(unsigned int port, uint64_t now)
{
	return dm_pit_read(&P, port, now);
}

static uint16_t in16(unsigned int port, uint64_t now)
{
	uint8_t lo = in(port, now);

	return (uint16_t)(lo | in(port, now) << 8);
}

static void test_seabios_tick(void)
{
	uint64_t ev;

	dm_pit_init(&P, T0);
	out(3, 0x34, T0);			/* counter 0, LSB then MSB, mode 2 */
	out(0, 0x00, T0);
	out(0, 0x00, T0);			/* 0: 65536, 18.2 Hz */
	EXPECT(dm_pit_irq0_edges(&P, tk(65535)) == 0);
	EXPECT(dm_pit_next_event(&P, tk(1000)) == tk(65536));
	/* closer than the floor: the floor */
	ev = dm_pit_next_event(&P, tk(65535));
	EXPECT(ev == tk(65535) + DM_PIT_MIN_PERIOD_NS);
	EXPECT(dm_pit_irq0_edges(&P, tk(65536)) == 1);
	EXPECT(dm_pit_irq0_edges(&P, tk(65536 * 11 + 7)) == 10);
	EXPECT(dm_pit_out(&P, 0, tk(65535)) == false);	/* the one-tick low pulse */
	EXPECT(dm_pit_out(&P, 0, tk(65536)) == true);
	EXPECT(in16(0, tk(1000)) == 65536 - 1000);
	EXPECT(in16(0, tk(65536 * 3)) == 0);	/* 65536 reads as 0 */
}

static void test_linux_tick(void)
{
	uint64_t ev;

	dm_pit_init(&P, T0);
	out(3, 0x34, T0);
	out(0, 1193 & 0xff, T0);
	out(0, 1193 >> 8, T0);			/* HZ = 1000 */
	EXPECT(dm_pit_irq0_edges(&P, T0 + 1000000000ull) == 1000);
	ev = dm_pit_next_event(&P, T0 + 1000000000ull);
	EXPECT(ev > T0 + 1000000000ull && ev <= tk(1193 * 1001));
	/* a guest asking for ~600 kHz gets events 50 us apart; the edges are counted */
	out(3, 0x34, T0 + 2000000000ull);
	out(0, 2, T0 + 2000000000ull);
	out(0, 0, T0 + 2000000000ull);
	EXPECT(dm_pit_next_event(&P, T0 + 2000000000ull) == T0 + 2000000000ull + DM_PIT_MIN_PERIOD_NS);
	EXPECT(dm_pit_irq0_edges(&P, T0 + 2001000000ull) == 1193182 / 1000 / 2);
	/* an edge not yet reported: now */
	EXPECT(dm_pit_next_event(&P, T0 + 2002000000ull) == T0 + 2002000000ull);
	/* one-shot (mode 0): one edge at terminal count, then none */
	out(3, 0x30, T0);
	out(0, 100, T0);
	out(0, 0, T0);
	EXPECT(!dm_pit_out(&P, 0, tk(99)) && dm_pit_out(&P, 0, tk(100)));
	EXPECT(dm_pit_irq0_edges(&P, tk(1000)) == 1);
	EXPECT(dm_pit_next_event(&P, tk(1000)) == UINT64_MAX);
	EXPECT(in16(0, tk(101)) == 0xffff);	/* wraps past zero */
}

static void test_mode3(void)
{
	dm_pit_init(&P, T0);
	out(3, 0x36, T0);			/* counter 0, mode 3 */
	out(0, 100, T0);
	out(0, 0, T0);
	EXPECT(dm_pit_out(&P, 0, tk(10)) && dm_pit_out(&P, 0, tk(49)));
	EXPECT(!dm_pit_out(&P, 0, tk(50)) && !dm_pit_out(&P, 0, tk(99)));
	EXPECT(dm_pit_out(&P, 0, tk(100)));
	EXPECT(in16(0, tk(10)) == 80);		/* by twos */
	EXPECT(in16(0, tk(60)) == 80);
	EXPECT(dm_pit_irq0_edges(&P, tk(1050)) == 10);
	/* odd count: high one tick longer */
	out(3, 0x36, T0);
	out(0, 5, T0);
	out(0, 0, T0);
	EXPECT(dm_pit_out(&P, 0, tk(2)) && !dm_pit_out(&P, 0, tk(3)) && dm_pit_out(&P, 0, tk(5)));
	/* 6 and 7 are 2 and 3 */
	out(3, 0x3e, T0);
	EXPECT(P.ch[0].mode == 3);
}

/* Linux's pit_calibrate_tsc and quick_pit_calibrate on counter 2 */
static void test_calibrate(void)
{
	uint64_t t1 = tk(5), g;

	dm_pit_init(&P, T0);
	EXPECT((dm_pit_portb_read(&P, T0) & 0x03) == 0);
	dm_pit_portb_write(&P, (dm_pit_portb_read(&P, T0) & ~0x02) | 0x01, T0);
	out(3, 0xb0, T0);			/* counter 2, mode 0 */
	out(2, 0x00, T0);
	out(2, 0x08, T0);			/* 0x800 */
	EXPECT(!(dm_pit_portb_read(&P, tk(0x7ff)) & 0x20));
	EXPECT(dm_pit_portb_read(&P, tk(0x800)) & 0x20);
	EXPECT(in16(2, tk(100)) == 0x800 - 100);
	/* quick_pit_calibrate: 0xffff and the MSB every 256 ticks */
	out(3, 0xb0, t1);
	out(2, 0xff, t1);
	out(2, 0xff, t1);
	EXPECT(in16(2, tk_from(t1, 256 * 3 + 5)) == 0xffff - (256 * 3 + 5));
	/* gate low: mode 0 pauses, and resumes where it was */
	dm_pit_portb_write(&P, 0x00, tk_from(t1, 100));
	EXPECT(in16(2, tk(5000)) == 0xffff - 100);
	g = tk(6000);
	dm_pit_portb_write(&P, 0x01, g);
	EXPECT(in16(2, tk_from(g, 10)) == 0xffff - 110);
	/* loaded with the gate low: no counting until it rises */
	dm_pit_portb_write(&P, 0x00, tk(7000));
	out(3, 0xb0, tk(7000));
	out(2, 0x10, tk(7000));
	out(2, 0x00, tk(7000));
	EXPECT(in16(2, tk(8000)) == 0x10);
	g = tk(8000);
	dm_pit_portb_write(&P, 0x01, g);
	EXPECT(in16(2, tk_from(g, 4)) == 0x0c);
	EXPECT(!(dm_pit_portb_read(&P, tk_from(g, 15)) & 0x20));
	EXPECT(dm_pit_portb_read(&P, tk_from(g, 16)) & 0x20);
}

static void test_latch_readback(void)
{
	dm_pit_init(&P, T0);
	out(3, 0x34, T0);
	EXPECT(P.ch[0].null_count);
	out(3, 0xe2, T0);			/* read-back: status of counter 0 */
	EXPECT(in(0, T0) == 0xf4);		/* output high, null count, access 3, mode 2 */
	out(0, 0x00, T0);
	out(0, 0x10, T0);			/* 0x1000 */
	out(3, 0x00, tk(100));			/* latch counter 0 */
	EXPECT(in16(0, tk(500)) == 0x1000 - 100);
	EXPECT(in16(0, tk(500)) == 0x1000 - 500);	/* the latch is gone */
	out(3, 0x00, tk(600));
	out(3, 0x00, tk(700));			/* a second latch before the read: ignored */
	EXPECT(in16(0, tk(800)) == 0x1000 - 600);
	out(3, 0xc2, tk(900));			/* status and count */
	EXPECT(in(0, tk(950)) == 0xb4);		/* output high, access 3, mode 2 */
	EXPECT(in16(0, tk(1000)) == 0x1000 - 900);
	out(3, 0xd2, tk(1100));			/* count only */
	EXPECT(in16(0, tk(1200)) == 0x1000 - 1100);
	out(3, 0xe2, tk(1300));			/* status only */
	EXPECT(in(0, tk(1300)) == 0xb4);
	EXPECT(in16(0, tk(1400)) == 0x1000 - 1400);
	/* LSB-only and MSB-only access */
	out(3, 0x50, T0);			/* counter 1, LSB, mode 0 */
	out(1, 0x40, T0);
	EXPECT(in(1, tk(4)) == 0x3c && in(1, tk(4)) == 0x3c);
	out(3, 0x60, T0);			/* counter 1, MSB */
	out(1, 0x02, T0);
	EXPECT(in(1, tk(1)) == 0x01);		/* 0x200 - 1 = 0x1ff */
	EXPECT(in(3, T0) == 0xff);		/* the control port does not read */
}

static void test_bcd(void)
{
	dm_pit_init(&P, T0);
	out(3, 0x35, T0);			/* counter 0, mode 2, BCD */
	out(0, 0x00, T0);
	out(0, 0x10, T0);			/* 1000 */
	EXPECT(in16(0, tk(1)) == 0x0999);
	EXPECT(dm_pit_irq0_edges(&P, tk(10000)) == 10);
	out(0, 0x00, T0);
	out(0, 0x00, T0);			/* 0: 10000 */
	EXPECT(in16(0, tk(1)) == 0x9999);
	out(3, 0x31, T0);			/* mode 0, BCD: wraps at 10000 */
	out(0, 0x05, T0);
	out(0, 0x00, T0);
	EXPECT(in16(0, tk(6)) == 0x9999);
	out(0, 0xff, T0);
	out(0, 0xff, T0);			/* not BCD digits: still a count below 10000 */
	EXPECT(P.ch[0].reload >= 1 && P.ch[0].reload <= 10000);
}

static void test_gate_modes(void)
{
	uint64_t g;

	dm_pit_init(&P, T0);
	out(3, 0xb2, T0);			/* counter 2, mode 1 */
	out(2, 50, T0);
	out(2, 0, T0);
	EXPECT(dm_pit_portb_read(&P, tk(100)) & 0x20);	/* waits for the trigger: high */
	dm_pit_portb_write(&P, 0x01, tk(100));
	EXPECT(!(dm_pit_portb_read(&P, tk(120)) & 0x20));
	EXPECT(dm_pit_portb_read(&P, tk(150)) & 0x20);
	dm_pit_portb_write(&P, 0x00, tk(200));
	dm_pit_portb_write(&P, 0x01, tk(210));	/* retriggered */
	EXPECT(!(dm_pit_portb_read(&P, tk(240)) & 0x20));
	/* mode 5: a one-tick strobe after the trigger */
	dm_pit_portb_write(&P, 0x00, tk(300));
	out(3, 0xba, tk(300));
	out(2, 20, tk(300));
	out(2, 0, tk(300));
	g = tk(400);
	dm_pit_portb_write(&P, 0x01, g);
	EXPECT(dm_pit_out(&P, 2, tk_from(g, 19)) && !dm_pit_out(&P, 2, tk_from(g, 20)) &&
	       dm_pit_out(&P, 2, tk_from(g, 21)));
	/* mode 4 on counter 0: the strobe, and one IRQ 0 edge after it */
	out(3, 0x38, T0);
	out(0, 30, T0);
	out(0, 0, T0);
	EXPECT(dm_pit_out(&P, 0, tk(29)) && !dm_pit_out(&P, 0, tk(30)) && dm_pit_out(&P, 0, tk(31)));
	EXPECT(dm_pit_irq0_edges(&P, tk(1000)) == 1);
	/* mode 2 on counter 2: gate low holds the output high, its rise restarts */
	dm_pit_portb_write(&P, 0x00, T0);
	out(3, 0xb4, T0);
	out(2, 10, T0);
	out(2, 0, T0);
	EXPECT(dm_pit_out(&P, 2, tk(9)));
	g = tk(100);
	dm_pit_portb_write(&P, 0x01, g);
	EXPECT(dm_pit_out(&P, 2, tk_from(g, 8)) && !dm_pit_out(&P, 2, tk_from(g, 9)));
	EXPECT(in16(2, tk_from(g, 3)) == 7);
}

static void test_portb(void)
{
	unsigned int i, flips = 0;
	uint8_t last;

	dm_pit_init(&P, T0);
	dm_pit_portb_write(&P, 0xff, T0);
	EXPECT((dm_pit_portb_read(&P, T0) & 0xcf) == 0x0f);	/* 7:6 read 0, 5:4 are status */
	last = dm_pit_portb_read(&P, T0) & 0x10;
	for (i = 1; i <= 100; i++) {		/* the refresh bit flips every 15 us */
		uint8_t b = dm_pit_portb_read(&P, T0 + i * 15085ull) & 0x10;

		flips += b != last;
		last = b;
	}
	EXPECT(flips == 100);
}

/* IRQ 0 end to end as the launcher will run it: the timer thread's steps
 * pulse the line, vCPU 0's thread acknowledges before each entry and
 * injects, the guest EOIs (Linux's 1000 Hz tick on SeaBIOS's PIC setup) */
static void test_irq0_to_vcpu(void)
{
	struct dm_pic pic;
	uint64_t now = T0, next, pulsed, total = 0;
	unsigned int injected = 0, i;
	bool window;
	int vec;

	dm_pic_init(&pic);
	dm_pic_write(&pic, 0, 0, 0x11);
	dm_pic_write(&pic, 0, 1, 0x08);
	dm_pic_write(&pic, 0, 1, 0x04);
	dm_pic_write(&pic, 0, 1, 0x01);
	dm_pic_write(&pic, 0, 1, 0xfe);		/* IRQ 0 only */
	dm_pit_init(&P, now);
	out(3, 0x34, now);
	out(0, 1193 & 0xff, now);
	out(0, 1193 >> 8, now);
	next = dm_pit_timer_step(&P, &pic, now, &pulsed);
	EXPECT(pulsed == 0 && dm_pic_before_run(&pic, true, &window) == -1 && !window);
	for (i = 0; i < 2000 && next <= T0 + 1000000000ull; i++) {
		now = next;
		next = dm_pit_timer_step(&P, &pic, now, &pulsed);
		total += pulsed;
		EXPECT(next > now);
		vec = dm_pic_before_run(&pic, true, &window);
		if (vec >= 0) {
			EXPECT(vec == 0x08);
			injected++;
			dm_pic_write(&pic, 0, 0, 0x20);	/* the handler's EOI */
		}
	}
	EXPECT(total == 1000 && injected == 1000);
	/* the vCPU cannot take it now: a window exit, then the vector */
	now = next;
	(void)dm_pit_timer_step(&P, &pic, now, &pulsed);
	EXPECT(pulsed == 1);
	EXPECT(dm_pic_before_run(&pic, false, &window) == -1 && window);
	EXPECT(dm_pic_before_run(&pic, true, &window) == 0x08 && !window);
	/* no EOI: the next ticks wait in the IRR, one request however many */
	now += 5000000ull;
	(void)dm_pit_timer_step(&P, &pic, now, &pulsed);
	EXPECT(pulsed == 5);
	EXPECT(dm_pic_before_run(&pic, true, &window) == -1 && !window);
	dm_pic_write(&pic, 0, 0, 0x20);
	EXPECT(dm_pic_before_run(&pic, true, &window) == 0x08);
	dm_pic_write(&pic, 0, 0, 0x20);
	EXPECT(dm_pic_before_run(&pic, true, &window) == -1);
}

/* the port glue: 0x40-0x43 and 0x61 under the lock, on the host's clock */
static void test_ports(void)
{
	struct launcher *L = calloc(1, sizeof(*L));
	struct l_vcpu V = { .L = L };
	uint8_t d[4];

	pthread_mutex_init(&L->lock, NULL);
	dm_pit.reset(L);
	d[0] = 0xb0;
	dm_pit.pio(&V, 3, 1, true, d);
	d[0] = 0xff;
	dm_pit.pio(&V, 2, 1, true, d);
	dm_pit.pio(&V, 2, 1, true, d);
	d[0] = 0x01;
	dm_portb.pio(&V, 0, 1, true, d);
	dm_portb.pio(&V, 0, 1, false, d);
	EXPECT((d[0] & 0x0f) == 0x01 && !(d[0] & 0x20));	/* 55 ms to go */
	EXPECT(L->dm.pit.ch[2].loaded && L->dm.pit.ch[2].gate);
	pthread_mutex_destroy(&L->lock);
	free(L);
}

static bool valid(const struct dm_pit *p, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		const struct dm_pit_ch *c = &p->ch[i];

		if (c->mode > 5 || c->access > 3 || c->latched > 2 || c->reload < 1 || c->reload > 0x10000 ||
		    (c->bcd && c->loaded && c->reload > 10000) || c->bcd > 1 || (i < 2 && !c->gate))
			return false;
	}
	return (p->portb & 0xf0) == 0 && dm_pit_next_event(p, now) >= now;
}

/* random traffic from a hostile guest, with the clock jumping ahead by
 * nanoseconds to days and to the far end of its range */
static void test_hostile(void)
{
	unsigned int seed = 777, i, bad = 0;
	uint64_t now = T0;

	dm_pit_init(&P, now);
	for (i = 0; i < 500000; i++) {
		uint8_t v;

		seed = seed * 1103515245 + 12345;
		v = (uint8_t)(seed >> 16);
		switch ((seed >> 8) % 8) {
		case 0:
		case 1:
		case 2:
			out((seed >> 12) & 3, v, now);
			break;
		case 3:
		case 4:
			(void)in((seed >> 12) & 3, now);
			break;
		case 5:
			dm_pit_portb_write(&P, v, now);
			break;
		case 6:
			(void)dm_pit_portb_read(&P, now);
			(void)dm_pit_irq0_edges(&P, now);
			break;
		default:
			now += (seed >> 24) % 7 == 0 ? (uint64_t)v << 40 : v * 1000ull;
			break;
		}
		if (!valid(&P, now))
			bad++;
	}
	EXPECT(bad == 0);
	now = UINT64_MAX - 1000000000ull;	/* the end of the clock */
	out(3, 0x34, now);
	out(0, 2, now);
	out(0, 0, now);
	(void)dm_pit_irq0_edges(&P, now + 999999999ull);
	EXPECT(dm_pit_next_event(&P, now) >= now);
	/* and a guest that starts over gets a working tick */
	dm_pit_init(&P, T0);
	out(3, 0x34, T0);
	out(0, 0, T0);
	out(0, 0, T0);
	EXPECT(dm_pit_irq0_edges(&P, tk(65536 * 2)) == 2);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_seabios_tick);
	RUN(UNIT_PREFIX, test_linux_tick);
	RUN(UNIT_PREFIX, test_mode3);
	RUN(UNIT_PREFIX, test_calibrate);
	RUN(UNIT_PREFIX, test_latch_readback);
	RUN(UNIT_PREFIX, test_bcd);
	RUN(UNIT_PREFIX, test_gate_modes);
	RUN(UNIT_PREFIX, test_portb);
	RUN(UNIT_PREFIX, test_irq0_to_vcpu);
	RUN(UNIT_PREFIX, test_ports);
	RUN(UNIT_PREFIX, test_hostile);
	return unit_failed;
}
