// SPDX-License-Identifier: MIT
/*
 * The launcher's 8259A pair (userland/launcher/dev_pic.c) as a guest and
 * its devices drive it: SeaBIOS's and Linux's init sequences, priority
 * and nesting, masking, EOI (non-specific, specific, rotating), AEOI,
 * the ELCR's level inputs, spurious IRQ 7 and 15, poll mode, special mask
 * mode, the port glue, then random port traffic (a hostile guest) that
 * must leave every field in range and the pair usable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

static struct dm_pic P;

static void out(unsigned int chip, unsigned int port, uint8_t v)
{
	dm_pic_write(&P, chip, port, v);
}

static uint8_t in(unsigned int chip, unsigned int port)
{
	return dm_pic_read(&P, chip, port);
}

static void pulse(unsigned int irq)
{
	dm_pic_set_irq(&P, irq, true);
	dm_pic_set_irq(&P, irq, false);
}

static uint8_t isr(unsigned int chip)
{
	uint8_t v;

	out(chip, 0, 0x0b);
	v = in(chip, 0);
	out(chip, 0, 0x0a);
	return v;
}

/* SeaBIOS pic_setup: bases 0x08 / 0x70, all masked but the cascade */
static void seabios_init(void)
{
	dm_pic_init(&P);
	out(0, 0, 0x11);
	out(1, 0, 0x11);
	out(0, 1, 0x08);
	out(1, 1, 0x70);
	out(0, 1, 0x04);
	out(1, 1, 0x02);
	out(0, 1, 0x01);
	out(1, 1, 0x01);
	out(0, 1, 0xfb);
	out(1, 1, 0xff);
}

/* Linux init_8259A: the 0xff read-back probe, then bases 0x30 / 0x38 */
static void linux_init(bool aeoi)
{
	dm_pic_init(&P);
	out(1, 1, 0xff);
	out(0, 1, 0xff);
	out(0, 0, 0x11);
	out(0, 1, 0x30);
	out(0, 1, 0x04);
	out(0, 1, aeoi ? 0x03 : 0x01);
	out(1, 0, 0x11);
	out(1, 1, 0x38);
	out(1, 1, 0x02);
	out(1, 1, 0x01);
	out(0, 1, 0xff);
	out(1, 1, 0xff);
}

static void test_seabios(void)
{
	seabios_init();
	EXPECT(in(0, 1) == 0xfb && in(1, 1) == 0xff);
	pulse(0);
	EXPECT(!dm_pic_intr(&P));		/* masked: latched in IRR only */
	EXPECT(in(0, 0) == 0x01);		/* OCW3 default: IRR */
	out(0, 1, 0xfa);			/* unmask IRQ 0 */
	EXPECT(dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x08);
	EXPECT(isr(0) == 0x01 && in(0, 0) == 0x00);
	pulse(0);				/* the next tick while in service */
	EXPECT(!dm_pic_intr(&P));
	out(0, 0, 0x20);			/* non-specific EOI */
	EXPECT(isr(0) == 0 && dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x08);
	out(0, 0, 0x20);
	EXPECT(!dm_pic_intr(&P));
	/* IRQ 8 (RTC) through the cascade */
	out(1, 1, 0xfe);
	pulse(8);
	EXPECT(dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x70);
	EXPECT(isr(0) == 0x04 && isr(1) == 0x01);
	out(1, 0, 0x20);
	out(0, 0, 0x20);
	EXPECT(isr(0) == 0 && isr(1) == 0 && !dm_pic_intr(&P));
}

static void test_linux(void)
{
	linux_init(false);
	EXPECT(in(0, 1) == 0xff && in(1, 1) == 0xff);	/* the probe reads back */
	out(0, 1, 0xfb);
	out(1, 1, 0xbf);			/* IRQ 14 */
	dm_pic_set_irq(&P, 14, true);
	EXPECT(dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x3e);
	EXPECT(isr(1) == 0x40 && isr(0) == 0x04);
	dm_pic_set_irq(&P, 14, false);
	out(1, 0, 0x66);			/* specific EOI 6 on the slave */
	out(0, 0, 0x62);			/* and 2 on the master */
	EXPECT(isr(1) == 0 && isr(0) == 0 && !dm_pic_intr(&P));
	/* AEOI: nothing stays in service */
	linux_init(true);
	out(0, 1, 0xfe);
	pulse(0);
	EXPECT(dm_pic_ack(&P) == 0x30);
	EXPECT(isr(0) == 0);
	pulse(0);
	EXPECT(dm_pic_intr(&P));
}

static void test_priority(void)
{
	seabios_init();
	out(0, 1, 0x00);
	pulse(3);
	pulse(1);
	EXPECT(dm_pic_ack(&P) == 0x09);		/* 1 before 3 */
	EXPECT(!dm_pic_intr(&P));		/* 3 waits behind 1 in service */
	pulse(0);
	EXPECT(dm_pic_intr(&P));		/* 0 preempts */
	EXPECT(dm_pic_ack(&P) == 0x08);
	EXPECT(isr(0) == 0x03);
	out(0, 0, 0x20);			/* clears 0, the highest */
	EXPECT(isr(0) == 0x02 && !dm_pic_intr(&P));
	out(0, 0, 0x20);
	EXPECT(dm_pic_ack(&P) == 0x0b);
	out(0, 0, 0x63);			/* specific EOI 3 */
	EXPECT(isr(0) == 0);
	/* rotate on non-specific EOI: the serviced input becomes the lowest */
	pulse(1);
	EXPECT(dm_pic_ack(&P) == 0x09);
	out(0, 0, 0xa0);
	pulse(1);
	pulse(3);
	EXPECT(dm_pic_ack(&P) == 0x0b);		/* 3 now beats 1 */
	out(0, 0, 0xe3);			/* rotate on specific EOI 3: 4 highest */
	EXPECT(dm_pic_ack(&P) == 0x09);
	out(0, 0, 0x20);
	out(0, 0, 0xc7);			/* set priority: 7 lowest, 0 highest again */
	pulse(6);
	pulse(4);
	EXPECT(dm_pic_ack(&P) == 0x0c);
	out(0, 0, 0x20);
	/* a masked request is latched and waits for the unmask */
	seabios_init();
	pulse(4);
	EXPECT(!dm_pic_intr(&P) && in(0, 0) == 0x10);
	out(0, 1, 0xeb);
	EXPECT(dm_pic_ack(&P) == 0x0c);
	/* special mask mode: a masked in-service input stops blocking */
	out(0, 1, 0x00);
	pulse(6);
	EXPECT(!dm_pic_intr(&P));		/* behind 4 */
	out(0, 1, 0x10);
	out(0, 0, 0x68);			/* set special mask */
	EXPECT(dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x0e);
	out(0, 0, 0x48);			/* reset special mask */
	EXPECT(isr(0) == 0x50);
}

static void test_level(void)
{
	seabios_init();
	dm_pic_elcr_write(&P, 0, 0xff);
	dm_pic_elcr_write(&P, 1, 0xff);
	EXPECT(dm_pic_elcr_read(&P, 0) == 0xf8 && dm_pic_elcr_read(&P, 1) == 0xde);
	dm_pic_elcr_write(&P, 1, 0x0c);		/* SeaBIOS: IRQ 10 and 11 level */
	EXPECT(dm_pic_elcr_read(&P, 1) == 0x0c);
	out(1, 1, 0xf7);
	dm_pic_set_irq(&P, 11, true);
	EXPECT(dm_pic_ack(&P) == 0x73);
	EXPECT(in(1, 0) == 0x08);		/* a level request stays in IRR */
	out(1, 0, 0x20);
	out(0, 0, 0x20);
	EXPECT(dm_pic_intr(&P));		/* still high: again */
	EXPECT(dm_pic_ack(&P) == 0x73);
	dm_pic_set_irq(&P, 11, false);
	out(1, 0, 0x20);
	out(0, 0, 0x20);
	EXPECT(in(1, 0) == 0 && !dm_pic_intr(&P));
	/* an input made level while its line is high requests at once; made
	 * edge again, the request stays latched until acknowledged */
	out(1, 1, 0xfb);
	dm_pic_set_irq(&P, 10, true);
	dm_pic_elcr_write(&P, 1, 0x00);
	dm_pic_set_irq(&P, 10, false);
	EXPECT(in(1, 0) == 0x04);
	EXPECT(dm_pic_ack(&P) == 0x72);
	out(1, 0, 0x20);
	out(0, 0, 0x20);
	dm_pic_set_irq(&P, 10, true);
	EXPECT(dm_pic_ack(&P) == 0x72);		/* a new rise */
	out(1, 0, 0x20);
	out(0, 0, 0x20);
	dm_pic_elcr_write(&P, 1, 0x04);		/* level now, and the line is high */
	EXPECT(dm_pic_intr(&P) && in(1, 0) == 0x04);
	dm_pic_set_irq(&P, 10, false);
	EXPECT(in(1, 0) == 0);
	EXPECT(dm_pic_ack(&P) == 0x77);		/* the master latched the cascade's rise: spurious 15 */
	out(0, 0, 0x20);
	EXPECT(!dm_pic_intr(&P));
	out(1, 1, 0xff);
	/* line 2 is the cascade's: a device cannot raise it */
	out(0, 1, 0xfa);
	pulse(2);
	EXPECT(!dm_pic_intr(&P) && in(0, 0) == 0);
	/* an edge input: a fall keeps the request, a high line does not repeat */
	out(0, 1, 0xfa);
	dm_pic_set_irq(&P, 0, true);
	dm_pic_set_irq(&P, 0, true);
	dm_pic_set_irq(&P, 0, false);
	EXPECT(dm_pic_ack(&P) == 0x08);
	out(0, 0, 0x20);
	EXPECT(!dm_pic_intr(&P));
}

static void test_spurious(void)
{
	seabios_init();
	dm_pic_elcr_write(&P, 0, 0x20);		/* IRQ 5 level */
	out(0, 1, 0xd8);
	dm_pic_set_irq(&P, 5, true);
	EXPECT(dm_pic_intr(&P));
	dm_pic_set_irq(&P, 5, false);		/* gone before the acknowledge */
	EXPECT(dm_pic_ack(&P) == 0x0f);		/* IRQ 7, nothing in service */
	EXPECT(isr(0) == 0);
	/* slave: the master's cascade request is latched, the slave's is gone */
	dm_pic_elcr_write(&P, 1, 0x04);		/* IRQ 10 level */
	out(0, 1, 0xfb);
	out(1, 1, 0xfb);
	dm_pic_set_irq(&P, 10, true);
	dm_pic_set_irq(&P, 10, false);
	EXPECT(dm_pic_intr(&P));
	EXPECT(dm_pic_ack(&P) == 0x77);		/* IRQ 15 */
	EXPECT(isr(0) == 0x04 && isr(1) == 0);	/* the handler EOIs the master only */
	out(0, 0, 0x20);
	EXPECT(isr(0) == 0 && !dm_pic_intr(&P));
	/* nothing at all requested: IRQ 7 */
	EXPECT(dm_pic_ack(&P) == 0x0f);
}

static void test_poll(void)
{
	seabios_init();
	out(0, 1, 0x00);
	out(0, 0, 0x0c);			/* poll */
	EXPECT(in(0, 0) == 0x00);		/* nothing */
	pulse(3);
	out(0, 0, 0x0c);
	EXPECT(in(0, 0) == 0x83);
	EXPECT(isr(0) == 0x08 && in(0, 0) == 0);	/* acknowledged by the read */
	EXPECT(in(0, 1) == 0x00);		/* one read only */
}

/* the port glue: ports 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1 under the lock */
static void test_ports(void)
{
	struct launcher *L = calloc(1, sizeof(*L));
	struct l_vcpu V = { .L = L };
	uint8_t d[2] = { 0xff, 0xff };

	pthread_mutex_init(&L->lock, NULL);
	dm_pic_master.reset(L);
	dm_pic_master.pio(&V, 1, 1, false, d);
	EXPECT(d[0] == 0xff);			/* all masked at power-on */
	d[0] = 0x11;
	dm_pic_slave.pio(&V, 0, 1, true, d);
	d[0] = 0x70;
	dm_pic_slave.pio(&V, 1, 1, true, d);
	EXPECT(L->dm.pic.chip[1].base == 0x70 && L->dm.pic.chip[1].init_step == 2);
	d[0] = 0x00;
	d[1] = 0x0c;
	dm_elcr.pio(&V, 0, 2, true, d);
	d[0] = d[1] = 0;
	dm_elcr.pio(&V, 1, 2, false, d);	/* the second byte is past the range */
	EXPECT(d[0] == 0x0c && d[1] == 0);
	pthread_mutex_destroy(&L->lock);
	free(L);
}

static bool valid(const struct dm_pic *p)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct dm_pic_chip *c = &p->chip[i];

		if (c->init_step > 3 || (c->base & 7) || c->prio_add > 7 || (c->elcr & ~c->elcr_mask) ||
		    c->elcr_mask != (i ? 0xde : 0xf8))
			return false;
	}
	return true;
}

/* random traffic from a hostile guest and random device lines */
static void test_hostile(void)
{
	unsigned int seed = 4242, i, bad = 0, badvec = 0;

	dm_pic_init(&P);
	for (i = 0; i < 500000; i++) {
		uint8_t v, vec;

		seed = seed * 1103515245 + 12345;
		v = (uint8_t)(seed >> 16);
		switch ((seed >> 8) % 8) {
		case 0:
		case 1:
			out((seed >> 12) & 1, (seed >> 13) & 1, v);
			break;
		case 2:
			(void)in((seed >> 12) & 1, (seed >> 13) & 1);
			break;
		case 3:
			dm_pic_elcr_write(&P, (seed >> 12) & 1, v);
			break;
		case 4:
		case 5:
			dm_pic_set_irq(&P, (seed >> 12) & 31, (seed >> 24) & 1);	/* 16-31: ignored */
			break;
		default:
			if (!dm_pic_intr(&P))
				break;
			vec = dm_pic_ack(&P);
			if ((vec & 0xf8) != P.chip[0].base && (vec & 0xf8) != P.chip[1].base)
				badvec++;
			break;
		}
		if (!valid(&P))
			bad++;
	}
	EXPECT(bad == 0);
	EXPECT(badvec == 0);
	/* and a guest that starts over gets a working pair */
	seabios_init();
	out(0, 1, 0xfa);
	pulse(0);
	EXPECT(dm_pic_ack(&P) == 0x08);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_seabios);
	RUN(UNIT_PREFIX, test_linux);
	RUN(UNIT_PREFIX, test_priority);
	RUN(UNIT_PREFIX, test_level);
	RUN(UNIT_PREFIX, test_spurious);
	RUN(UNIT_PREFIX, test_poll);
	RUN(UNIT_PREFIX, test_ports);
	RUN(UNIT_PREFIX, test_hostile);
	return unit_failed;
}
