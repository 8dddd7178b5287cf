// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the 8259A pair (0x20-0x21 master, 0xa0-0xa1
 * slave) and the ELCR (0x4d0-0x4d1), HVM domains.  The initialisation
 * sequence (ICW1-ICW4), the mask (OCW1: reads back, as Linux's probe
 * wants), EOIs (OCW2) and the IRR/ISR read select (OCW3) are kept; no
 * line raises an interrupt yet, so IRR and ISR stay 0.  On the hot path
 * once IRQs flow (every interrupt in real mode takes an EOI exit): a
 * candidate for the module with the PIT (docs/devices.md "PIC").
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

static void pic_reset(struct launcher *L)
{
	memset(&L->dm.pic, 0, sizeof(L->dm.pic));
	L->dm.pic.chip[0].imr = L->dm.pic.chip[1].imr = 0xff;
}

static void chip_write(struct dm_pic_chip *c, unsigned int port, uint8_t v)
{
	if (port == 0) {
		if (v & 0x10) {			/* ICW1 */
			c->icw_step = 2;
			c->need_icw4 = v & 1;
			c->imr = 0;
			c->isr = c->irr = 0;
			c->read_isr = false;
		} else if ((v & 0x18) == 0x08) {	/* OCW3 */
			if (v & 0x02)
				c->read_isr = v & 1;
		} else if ((v & 0x18) == 0x00) {	/* OCW2: EOI (non-specific / specific) */
			if ((v & 0xe0) == 0x20)
				c->isr &= (uint8_t)(c->isr - 1);	/* the highest priority (lowest bit) */
			else if ((v & 0xe0) == 0x60)
				c->isr &= (uint8_t)~(1u << (v & 7));
		}
		return;
	}
	switch (c->icw_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->icw_step = 3;
		break;
	case 3:
		c->icw_step = c->need_icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & 2;
		c->icw_step = 0;
		break;
	default:
		c->imr = v;			/* OCW1 */
		break;
	}
}

static bool pic_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data, unsigned int n)
{
	struct launcher *L = t->L;
	struct dm_pic_chip *c = &L->dm.pic.chip[n];

	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write)
		chip_write(c, (unsigned int)off, data[0]);
	else if (off)
		data[0] = c->imr;
	else
		data[0] = c->read_isr ? c->isr : c->irr;
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

/* ELCR: bit n = IRQ n level-triggered; IRQ 0, 1, 2, 8, 13 are always edge. */
static bool elcr_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	static const uint8_t mask[2] = { 0xf8, 0xde };
	struct launcher *L = t->L;
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	for (i = 0; i < size && off + i < 2; i++) {
		if (write)
			L->dm.pic.elcr[off + i] = data[i] & mask[off + i];
		else
			data[i] = L->dm.pic.elcr[off + i];
	}
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
