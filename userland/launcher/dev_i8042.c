// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the i8042 keyboard controller minimum (0x60
 * data, 0x64 status/command), HVM domains: the controller answers its
 * self tests (0xaa: 0x55, 0xab/0xa9: 0x00), keeps its configuration byte
 * (0x20/0x60) and output port (0xd0/0xd1: A20 always on), and 0xfe (or an
 * output port write clearing bit 0) resets the system (a reboot).  There
 * is no keyboard or mouse behind it: bytes for them get no answer, so
 * firmware and Linux time out and go on without one.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define ST_OBF		0x01
#define ST_SYS		0x04
#define ST_CMD		0x08
#define ST_UNLOCKED	0x10

static void i8042_reset(struct launcher *L)
{
	memset(&L->dm.kbc, 0, sizeof(L->dm.kbc));
	L->dm.kbc.ctr = 0x45;		/* KBD IRQ, system flag, translation */
}

static void reply(struct dm_i8042 *k, uint8_t v)
{
	k->out = v;
	k->has_out = true;
}

/* Returns false when the write resets the system. */
static bool command(struct dm_i8042 *k, uint8_t v)
{
	k->pending = 0;
	switch (v) {
	case 0x20: reply(k, k->ctr); break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: k->pending = v; break;
	case 0xaa: k->ctr |= 0x04; reply(k, 0x55); break;
	case 0xab: case 0xa9: reply(k, 0x00); break;
	case 0xad: k->ctr |= 0x10; break;
	case 0xae: k->ctr &= (uint8_t)~0x10; break;
	case 0xa7: k->ctr |= 0x20; break;
	case 0xa8: k->ctr &= (uint8_t)~0x20; break;
	case 0xd0: reply(k, 0x03); break;	/* reset line high, A20 on */
	case 0xfe: return false;
	default: break;
	}
	return true;
}

static bool data_write(struct dm_i8042 *k, uint8_t v)
{
	uint8_t p = k->pending;

	k->pending = 0;
	switch (p) {
	case 0x60: k->ctr = v; break;
	case 0xd1: return (v & 1) != 0;		/* bit 0 low: reset */
	case 0xd2: case 0xd3: reply(k, v); break;	/* echo as keyboard/mouse input */
	default: break;				/* to the keyboard or mouse: nobody there */
	}
	return true;
}

static bool i8042_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data, bool cmd)
{
	struct launcher *L = t->L;
	struct dm_i8042 *k = &L->dm.kbc;
	bool ok = true;

	(void)off;
	(void)size;
	pthread_mutex_lock(&L->lock);
	if (write) {
		ok = cmd ? command(k, data[0]) : data_write(k, data[0]);
		k->last_cmd = cmd;
	} else if (cmd) {
		data[0] = (uint8_t)((k->has_out ? ST_OBF : 0) | (k->ctr & 0x04 ? ST_SYS : 0) |
				    (k->last_cmd ? ST_CMD : 0) | ST_UNLOCKED);
	} else {
		data[0] = k->out;
		k->has_out = false;
	}
	pthread_mutex_unlock(&L->lock);
	if (!ok) {
		dom_guest_stopped(L, XEN_SHUTDOWN_REBOOT, "i8042 reset");
		return false;
	}
	return true;
}

static bool data_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return i8042_pio(t, off, size, write, data, false);
}

static bool cmd_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	return i8042_pio(t, off, size, write, data, true);
}

const struct dm_device dm_i8042_data = {
	.name = "i8042-data", .types = DM_HVM, .port = 0x60, .nports = 1, .pio = data_pio, .reset = i8042_reset,
};

const struct dm_device dm_i8042_cmd = {
	.name = "i8042-cmd", .types = DM_HVM, .port = 0x64, .nports = 1, .pio = cmd_pio,
};
