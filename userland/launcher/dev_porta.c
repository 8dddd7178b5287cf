// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: port A (0x92, "fast A20 and reset"), HVM domains.
 * A20 is always enabled (bit 1 reads 1); bit 0 written 1 resets the
 * system (a reboot).
 */
#include "launcher.h"
#include "devices.h"

static bool porta_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	(void)off;
	(void)size;
	if (!write) {
		data[0] = 0x02;
		return true;
	}
	if (data[0] & 1) {
		dom_guest_stopped(t->L, XEN_SHUTDOWN_REBOOT, "port 0x92 reset");
		return false;
	}
	return true;
}

const struct dm_device dm_porta = {
	.name = "port-a", .types = DM_HVM, .port = 0x92, .nports = 1, .pio = porta_pio,
};
