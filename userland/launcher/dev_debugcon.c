// SPDX-License-Identifier: MIT
/* domus-launcher device: the debug console port 0xe9 (Bochs/QEMU's
 * debugcon), PVH's early console: bytes to the launcher log (and the
 * console when there is no PV ring), reads all-ones. */
#include "launcher.h"
#include "devices.h"

static bool debugcon_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	(void)off;
	if (write)
		con_early(t->L, (const char *)data, size);
	return true;
}

const struct dm_device dm_debugcon = {
	.name = "debugcon", .types = DM_PVH, .port = 0xe9, .nports = 1, .pio = debugcon_pio,
};
