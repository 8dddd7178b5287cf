// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the test-exit port 0xf4 (QEMU's isa-debug-exit
 * convention): a write of V (1, 2 or 4 bytes) ends the domain with exit
 * code (V << 1) | 1, which `domus create` returns as its own status (the
 * low 8 bits, as for any process; docs/launcher.md "Test exit").  The
 * end counts as a power-off for on_poweroff.  Reads: all-ones.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

static bool testexit_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	uint32_t v = 0;
	int code;

	(void)off;
	if (!write)
		return true;
	memcpy(&v, data, size);
	code = (int)(((v << 1) | 1) & 0xff);
	pthread_mutex_lock(&L->lock);
	if (L->test_exit_code < 0)
		L->test_exit_code = code;
	pthread_mutex_unlock(&L->lock);
	dom_guest_stopped(L, XEN_SHUTDOWN_POWEROFF, "test-exit device: value %u, exit code %d", v, code);
	return false;
}

const struct dm_device dm_testexit = {
	.name = "test-exit", .types = DM_HVM, .port = DM_TESTEXIT_PORT, .nports = 1, .pio = testexit_pio,
};
