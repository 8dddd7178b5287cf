// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: the two 8237 DMA controllers and their page
 * registers (0x00-0x0f, 0x81-0x8f, 0xc0-0xdf), HVM domains: no ISA
 * device does DMA here, so writes (SeaBIOS's dma_setup) are taken and
 * dropped and reads return 0 -- claimed so they are not logged as
 * unclaimed ports.  Port 0x80 (POST codes, I/O delays) stays unclaimed.
 */
#include "launcher.h"
#include "devices.h"

static bool isadma_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	unsigned int i;

	(void)t;
	(void)off;
	if (!write)
		for (i = 0; i < size; i++)
			data[i] = 0;
	return true;
}

const struct dm_device dm_dma1 = {
	.name = "dma-8237-1", .types = DM_HVM, .port = 0x00, .nports = 16, .pio = isadma_pio,
};

const struct dm_device dm_dma_page = {
	.name = "dma-page", .types = DM_HVM, .port = 0x81, .nports = 15, .pio = isadma_pio,
};

const struct dm_device dm_dma2 = {
	.name = "dma-8237-2", .types = DM_HVM, .port = 0xc0, .nports = 32, .pio = isadma_pio,
};
