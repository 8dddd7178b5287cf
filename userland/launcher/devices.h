/* SPDX-License-Identifier: MIT */
/*
 * The launcher's device model (docs/launcher.md "Device model"): one file
 * per device (dev_*.c), one table of port and MMIO ranges (devices.c)
 * that DOMUS_EXIT_IO and DOMUS_EXIT_MMIO are dispatched through.  A
 * device names the domain types it sits in.  Ports no device claims read
 * as all-ones and ignore writes; each such port is counted and logged
 * once.  Nothing a guest does here is fatal to the launcher.
 */
#ifndef DOMUS_LAUNCHER_DEVICES_H
#define DOMUS_LAUNCHER_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

struct l_vcpu;
struct launcher;

/* which domains a device sits in */
#define DM_PVH		(1u << 0)
#define DM_HVM		(1u << 1)

/*
 * One access of @size bytes (1, 2 or 4; 1-8 for MMIO) at @off into the
 * device's range.  Writes: @data holds the value (little-endian).  Reads:
 * fill @data (it starts all-ones).  Return false when the access ended
 * the domain (the vCPU stops), true otherwise.
 */
typedef bool dm_access_fn(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data);

struct dm_device {
	const char *name;
	unsigned int types;		/* DM_PVH | DM_HVM */
	uint16_t port, nports;		/* port range; nports 0: none */
	uint64_t mmio, mmio_len;	/* MMIO range; mmio_len 0: none */
	dm_access_fn *pio, *mmio_fn;
	void (*reset)(struct launcher *L);	/* at each build, or NULL */
};

/* the devices (one file each) */
extern const struct dm_device dm_debugcon;	/* dev_debugcon.c: port 0xe9 */
extern const struct dm_device dm_acpi_pm;	/* dev_acpipm.c: ports 0x600-0x601 (loader.h) */
extern const struct dm_device dm_uart;		/* dev_uart.c: COM1, 0x3f8-0x3ff */
extern const struct dm_device dm_testexit;	/* dev_testexit.c: port 0xf4 */

#define DM_TESTEXIT_PORT	0xf4

/* The 16550's registers (dev_uart.c), reset at each build. */
struct dm_uart_regs {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
};

/* Per-launcher device state (in struct launcher). */
struct dm_state {
	struct dm_uart_regs uart;
	uint64_t unclaimed;		/* accesses no device claimed (all ports) */
	unsigned int logged;		/* unclaimed ports logged so far */
	uint8_t seen[65536 / 8];	/* ports logged once */
};

#define DM_UNCLAIMED_LOG_MAX	32	/* distinct ports logged; then one line says so */

/* Reset the devices of the domain's type (each build). */
void dm_reset(struct launcher *L);
/* Dispatch the vCPU's DOMUS_EXIT_IO / DOMUS_EXIT_MMIO; false: stop the vCPU. */
bool dm_io_exit(struct l_vcpu *t);
bool dm_mmio_exit(struct l_vcpu *t);

#endif
