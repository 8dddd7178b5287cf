// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: SeaBIOS's debug port 0x402 (QEMU's isa-debugcon
 * at iobase 0x402), HVM domains.  SeaBIOS keeps writing its log there
 * only if a read returns 0xe9 (the Bochs/QEMU readback).  Bytes go to the
 * launcher log line by line as "bios: ...", not to the guest console
 * (SeaBIOS copies its screen text to the UART itself, with sercon).
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define BIOSLOG_READBACK	0xe9

static bool bioslog_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	struct dm_bioslog *b = &L->dm.bioslog;
	char line[sizeof(b->buf) + 1];
	unsigned int i;

	(void)off;
	if (!write) {
		data[0] = BIOSLOG_READBACK;
		return true;
	}
	for (i = 0; i < size; i++) {
		char ch = (char)data[i];
		bool flush = false;

		pthread_mutex_lock(&L->lock);
		if (ch == '\n' || b->len == sizeof(b->buf)) {
			memcpy(line, b->buf, b->len);
			line[b->len] = 0;
			b->len = 0;
			flush = true;
		}
		if (ch != '\n' && ch != '\r')
			b->buf[b->len++] = ch;
		pthread_mutex_unlock(&L->lock);
		if (flush)
			l_log(L, "bios: %s", line);
	}
	return true;
}

static void bioslog_reset(struct launcher *L)
{
	L->dm.bioslog.len = 0;
}

const struct dm_device dm_bioslog = {
	.name = "bios-debug", .types = DM_HVM, .port = 0x402, .nports = 1, .pio = bioslog_pio,
	.reset = bioslog_reset,
};
