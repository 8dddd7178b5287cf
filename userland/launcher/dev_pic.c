// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the 8259A pair (0x20-0x21 master, 0xa0-0xa1
 * slave, cascaded on the master's input 2) and the ELCR (0x4d0-0x4d1),
 * HVM domains (docs/devices.md "Interrupts").
 *
 * A pure state machine (devices.h): ISA lines are raised and lowered by
 * devices (dm_pic_set_irq), the master's INT output is dm_pic_intr() and
 * the CPU's acknowledge dm_pic_ack() (it sets the in-service bit and
 * returns the vector; a request that went away gives the spurious 7 or
 * 15).  Kept: ICW1-ICW4 (single mode, ICW4 AEOI, special fully nested),
 * OCW1 mask, OCW2 non-specific / specific EOI, rotation on EOI and on
 * AEOI, set priority, OCW3 IRR/ISR read select, poll and special mask
 * mode, edge or level inputs per the ELCR.  Every value a guest writes
 * is taken as the chip takes it: no byte can put the model in a state
 * outside its fields' ranges.  Not kept: ICW1's level-triggered bit
 * (the ELCR decides, as on a PIIX) and the MCS-80 vector format (8086
 * vectors always).
 */
#include <string.h>
#include <signal.h>
#include "launcher.h"
#include "devices.h"

/* ELCR: IRQ 0, 1, 2, 8 and 13 are always edge-triggered (PIIX). */
static const uint8_t elcr_mask[2] = { 0xf8, 0xde };

void dm_pic_init(struct dm_pic *p)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 2; i++) {
		p->chip[i].elcr_mask = elcr_mask[i];
		p->chip[i].imr = 0xff;	/* all masked until the firmware sets it up */
	}
}

/* The priority (0 highest) of the best bit in @mask, 8 for none. */
static unsigned int priority(const struct dm_pic_chip *c, uint8_t mask)
{
	unsigned int pr;

	for (pr = 0; pr < 8; pr++)
		if (mask & (1u << ((pr + c->prio_add) & 7)))
			return pr;
	return 8;
}

/* The input the chip would present now (-1: none): the best unmasked
 * request above everything in service (special mask mode: in-service
 * inputs that are masked do not block; special fully nested mode: the
 * master's cascade input does not block itself). */
static int chip_irq(const struct dm_pic_chip *c, bool master)
{
	unsigned int req = priority(c, (uint8_t)(c->irr & ~c->imr)), cur;
	uint8_t in = c->isr;

	if (req == 8)
		return -1;
	if (c->special_mask)
		in &= (uint8_t)~c->imr;
	if (master && c->sfnm)
		in &= (uint8_t)~(1u << 2);
	cur = priority(c, in);
	return req < cur ? (int)((req + c->prio_add) & 7) : -1;
}

/* One chip's input @irq (0-7) at @level. */
static void chip_set(struct dm_pic_chip *c, unsigned int irq, bool level)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;		/* a rising edge latches; a fall does not clear */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
}

/* The slave's INT output is the master's input 2 (unless the master was
 * initialised in single mode: then nothing is cascaded). */
static void cascade(struct dm_pic *p)
{
	chip_set(&p->chip[0], 2, !p->chip[0].single && chip_irq(&p->chip[1], false) >= 0);
}

/* ISA lines 0-15; 2 is the cascade (a PC routes an ISA device's IRQ 2
 * to 9), so only the slave drives it. */
void dm_pic_set_irq(struct dm_pic *p, unsigned int irq, bool level)
{
	if (irq > 15 || irq == 2)
		return;
	chip_set(&p->chip[irq >> 3], irq & 7, level);
	cascade(p);
}

bool dm_pic_intr(const struct dm_pic *p)
{
	return chip_irq(&p->chip[0], true) >= 0;
}

/* The acknowledge of input @irq: in service (unless AEOI: then perhaps
 * a rotation), and an edge request is consumed. */
static void chip_ack(struct dm_pic_chip *c, unsigned int irq)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->prio_add = (uint8_t)((irq + 1) & 7);
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= (uint8_t)~bit;
}

uint8_t dm_pic_ack(struct dm_pic *p)
{
	struct dm_pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_irq(m, true), irq2;
	uint8_t vec;

	if (irq < 0) {
		vec = (uint8_t)(m->base + 7);	/* spurious IRQ 7: nothing in service */
	} else if (irq == 2 && !m->single) {
		chip_ack(m, 2);
		irq2 = chip_irq(s, false);
		if (irq2 >= 0) {
			chip_ack(s, (unsigned int)irq2);
			vec = (uint8_t)(s->base + irq2);
		} else {
			vec = (uint8_t)(s->base + 7);	/* spurious IRQ 15: the master's 2 is in service */
		}
	} else {
		chip_ack(m, (unsigned int)irq);
		vec = (uint8_t)(m->base + irq);
	}
	cascade(p);
	return vec;
}

/* ICW1: the chip starts over (the ELCR and the input levels stay: an
 * input must rise again to request, a level input requests while high). */
static void icw1(struct dm_pic_chip *c, uint8_t v)
{
	uint8_t elcr = c->elcr, mask = c->elcr_mask, lines = c->lines;

	memset(c, 0, sizeof(*c));
	c->elcr = elcr;
	c->elcr_mask = mask;
	c->lines = lines;
	c->irr = lines & elcr;
	c->init_step = 1;
	c->need_icw4 = v & 0x01;
	c->single = v & 0x02;
}

static void ocw2(struct dm_pic_chip *c, uint8_t v)
{
	unsigned int irq = v & 7, pr;

	switch (v >> 5) {
	case 0:			/* rotate in AEOI mode: clear */
		c->rotate_aeoi = false;
		break;
	case 4:			/* rotate in AEOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 1:			/* non-specific EOI */
	case 5:			/* rotate on non-specific EOI */
		pr = priority(c, c->isr);
		if (pr == 8)
			break;
		irq = (pr + c->prio_add) & 7;
		c->isr &= (uint8_t)~(1u << irq);
		if (v >> 5 == 5)
			c->prio_add = (uint8_t)((irq + 1) & 7);
		break;
	case 3:			/* specific EOI */
		c->isr &= (uint8_t)~(1u << irq);
		break;
	case 7:			/* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << irq);
		c->prio_add = (uint8_t)((irq + 1) & 7);
		break;
	case 6:			/* set priority: @irq becomes the lowest */
		c->prio_add = (uint8_t)((irq + 1) & 7);
		break;
	default:		/* 2: no operation */
		break;
	}
}

static void ocw3(struct dm_pic_chip *c, uint8_t v)
{
	if (v & 0x04)
		c->poll = true;
	if (v & 0x02)
		c->read_isr = v & 0x01;
	if (v & 0x40)
		c->special_mask = v & 0x20;
}

/* Data port: ICW2-ICW4 after an ICW1, the mask (OCW1) otherwise. */
static void data_write(struct dm_pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 1:			/* ICW2: the vector base */
		c->base = v & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 3 : 0) : 2;
		break;
	case 2:			/* ICW3: the cascade wiring (fixed here) */
		c->init_step = c->need_icw4 ? 3 : 0;
		break;
	case 3:			/* ICW4: AEOI, special fully nested; bit 0 (8086) assumed */
		c->auto_eoi = v & 0x02;
		c->sfnm = v & 0x10;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

void dm_pic_write(struct dm_pic *p, unsigned int chip, unsigned int port, uint8_t v)
{
	struct dm_pic_chip *c = &p->chip[chip & 1];

	if (port & 1)
		data_write(c, v);
	else if (v & 0x10)
		icw1(c, v);
	else if (v & 0x08)
		ocw3(c, v);
	else
		ocw2(c, v);
	cascade(p);
}

/* A poll read: the acknowledge of the best request, as an INTA would do
 * it, answered as bit 7 (a request was there) and the input number. */
static uint8_t poll_read(struct dm_pic *p, unsigned int chip)
{
	struct dm_pic_chip *c = &p->chip[chip];
	int irq = chip_irq(c, chip == 0);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, (unsigned int)irq);
	cascade(p);
	return (uint8_t)(0x80 | irq);
}

uint8_t dm_pic_read(struct dm_pic *p, unsigned int chip, unsigned int port)
{
	struct dm_pic_chip *c = &p->chip[chip & 1];

	if (c->poll)
		return poll_read(p, chip & 1);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void dm_pic_elcr_write(struct dm_pic *p, unsigned int chip, uint8_t v)
{
	struct dm_pic_chip *c = &p->chip[chip & 1];

	c->elcr = v & c->elcr_mask;
	c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));	/* level inputs follow their line */
	cascade(p);
}

uint8_t dm_pic_elcr_read(const struct dm_pic *p, unsigned int chip)
{
	return p->chip[chip & 1].elcr;
}

/*
 * Before vCPU 0 enters (the device lock held; docs/devices.md
 * "Interrupts (HVM)", step 3): with INT asserted and the vCPU able to
 * take an interrupt at this entry (@ready: run->ready_for_interrupt),
 * the acknowledge, and the vector to inject; -1 otherwise.  *@window
 * says whether to ask for an interrupt-window exit (INT asserted, the
 * vCPU not ready).
 */
int dm_pic_before_run(struct dm_pic *p, bool ready, bool *window)
{
	*window = false;
	if (!dm_pic_intr(p))
		return -1;
	if (!ready) {
		*window = true;
		return -1;
	}
	return dm_pic_ack(p);
}

/* --- the port glue ------------------------------------------------------ */

/* The wiring's half that port handlers call (the rest: hvm_irq.c). */

/* L->lock held: the PIC's INT may have risen; bring vCPU 0 to look at it. */
void dm_irq_kick(struct launcher *L)
{
	struct dm_irq *q = &L->dm.irq;

	if (!dm_pic_intr(&L->dm.pic))
		return;
	q->kick_gen++;
	pthread_cond_broadcast(&L->pause_cv);	/* a halted multiboot vCPU 0 (dm_irq_before_run) */
	if (q->running)
		pthread_cond_signal(&q->cv);	/* the timer thread times the repeat */
	if (L->nvcpu && L->vcpu[0].started && !pthread_equal(pthread_self(), L->vcpu[0].th))
		pthread_kill(L->vcpu[0].th, SIGUSR1);
}

/* L->lock held: the PIT was written; the timer thread recomputes its wait. */
void dm_irq_timer_poke(struct launcher *L)
{
	if (L->dm.irq.running)
		pthread_cond_signal(&L->dm.irq.cv);
}

static void pic_reset(struct launcher *L)
{
	dm_pic_init(&L->dm.pic);
}

static bool pic_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data,
		    unsigned int chip)
{
	struct launcher *L = t->L;

	(void)size;	/* a wider access reaches the first port's byte, as on ISA */
	pthread_mutex_lock(&L->lock);
	if (write)
		dm_pic_write(&L->dm.pic, chip, (unsigned int)off, data[0]);
	else
		data[0] = dm_pic_read(&L->dm.pic, chip, (unsigned int)off);
	dm_irq_kick(L);		/* an EOI or unmask may raise INT (for vCPU 0) */
	pthread_mutex_unlock(&L->lock);
	return true;
}

static bool master_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return pic_pio(t, off, size, write, data, 0);
}

static bool slave_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return pic_pio(t, off, size, write, data, 1);
}

static bool elcr_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	for (i = 0; i < size && off + i < 2; i++) {
		if (write)
			dm_pic_elcr_write(&L->dm.pic, (unsigned int)(off + i), data[i]);
		else
			data[i] = dm_pic_elcr_read(&L->dm.pic, (unsigned int)(off + i));
	}
	dm_irq_kick(L);
	pthread_mutex_unlock(&L->lock);
	return true;
}

const struct dm_device dm_pic_master = {
	.name = "pic-master", .types = DM_HVM, .port = 0x20, .nports = 2, .pio = master_pio, .reset = pic_reset,
};

const struct dm_device dm_pic_slave = {
	.name = "pic-slave", .types = DM_HVM, .port = 0xa0, .nports = 2, .pio = slave_pio,
};

const struct dm_device dm_elcr = {
	.name = "elcr", .types = DM_HVM, .port = 0x4d0, .nports = 2, .pio = elcr_pio,
};
