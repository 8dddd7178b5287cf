// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the device model's table and dispatch (devices.h).
 * DOMUS_EXIT_IO and DOMUS_EXIT_MMIO find their device by range in one
 * table; string I/O goes to a device's pio_string in one call, or one
 * element at a time.  An access none of them claims may hit a PCI BAR
 * (dev_pci.c keeps what they decode: dm_pci_bar_find()).
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

static const struct dm_device *const dm_table[] = {
	&dm_debugcon,
	&dm_acpi_pm,
	&dm_uart,
	&dm_testexit,
	&dm_bioslog,
	&dm_rtc,
	&dm_pit,
	&dm_portb,
	&dm_pic_master,
	&dm_pic_slave,
	&dm_elcr,
	&dm_i8042_data,
	&dm_i8042_cmd,
	&dm_porta,
	&dm_dma1,
	&dm_dma_page,
	&dm_dma2,
	&dm_pci,
	&dm_fwcfg,
	&dm_acpi,
	&dm_ide,
	&dm_ide_ctl,
	&dm_ide2,
	&dm_ide2_ctl,
	&dm_xenplat_ports,
};

#define DM_N	(sizeof(dm_table) / sizeof(dm_table[0]))

static unsigned int dom_type(const struct launcher *L)
{
	return L->cfg.type == DOMUS_TYPE_HVM ? DM_HVM : DM_PVH;
}

void dm_reset(struct launcher *L)
{
	size_t i;

	for (i = 0; i < DM_N; i++)
		if ((dm_table[i]->types & dom_type(L)) && dm_table[i]->reset)
			dm_table[i]->reset(L);
}

static const struct dm_device *find_port(const struct launcher *L, uint16_t port)
{
	size_t i;

	for (i = 0; i < DM_N; i++) {
		const struct dm_device *d = dm_table[i];

		if ((d->types & dom_type(L)) && d->nports && port >= d->port && port - d->port < d->nports &&
		    (!d->present || d->present(L)))
			return d;
	}
	return NULL;
}

static const struct dm_device *find_mmio(const struct launcher *L, uint64_t gpa)
{
	size_t i;

	for (i = 0; i < DM_N; i++) {
		const struct dm_device *d = dm_table[i];

		if ((d->types & dom_type(L)) && d->mmio_len && gpa >= d->mmio && gpa - d->mmio < d->mmio_len &&
		    (!d->present || d->present(L)))
			return d;
	}
	return NULL;
}

/* An access no device claims: counted; its first sight logged (at most
 * DM_UNCLAIMED_LOG_MAX distinct addresses, then one line says so). */
static void unclaimed(struct l_vcpu *t, bool port, uint64_t addr, bool write)
{
	struct launcher *L = t->L;
	struct dm_state *s = &L->dm;
	bool log = false, last = false;

	pthread_mutex_lock(&L->lock);
	s->unclaimed++;
	if (!port || !(s->seen[addr >> 3] & (1u << (addr & 7)))) {
		if (port)
			s->seen[addr >> 3] |= (uint8_t)(1u << (addr & 7));
		if (s->logged < DM_UNCLAIMED_LOG_MAX) {
			log = true;
			last = ++s->logged == DM_UNCLAIMED_LOG_MAX;
		}
	}
	pthread_mutex_unlock(&L->lock);
	if (log)
		l_log(L, "vCPU %u: %s of %s 0x%llx: no device there (%s)%s", t->v.id, write ? "write" : "read",
		      port ? "port" : "MMIO address", (unsigned long long)addr, write ? "ignored" : "reads all-ones",
		      last ? "; further unclaimed addresses are counted, not logged" : "");
}

/* A PCI BAR of an HVM domain (dev_pci.c): the handler and the offset, or NULL. */
static dm_access_fn *find_bar(struct launcher *L, bool io, uint64_t addr, uint64_t *off)
{
	return L->cfg.type == DOMUS_TYPE_HVM ? dm_pci_bar_find(L, io, addr, off) : NULL;
}

bool dm_io_exit(struct l_vcpu *t)
{
	struct domus_run *run = t->v.run;
	unsigned int size = run->io.size, i;
	bool write = run->io.direction == DOMUS_IO_OUT;
	const struct dm_device *d = find_port(t->L, run->io.port);
	unsigned char *data = (unsigned char *)run + run->io.data_offset;
	dm_access_fn *bar = NULL;
	uint64_t off = 0;

	if ((size != 1 && size != 2 && size != 4) || run->io.data_offset < DOMUS_RUN_DATA_OFFSET ||
	    (size_t)size * run->io.count > (size_t)(4096 - run->io.data_offset))
		return true;	/* the module never reports this; nothing to do */
	if (d && d->pio_string && run->io.count > 1) {
		if (!write)
			memset(data, 0xff, (size_t)size * run->io.count);
		return d->pio_string(t, run->io.port - d->port, size, run->io.count, write, data);
	}
	if (!d)
		bar = find_bar(t->L, true, run->io.port, &off);
	for (i = 0; i < run->io.count; i++, data += size) {
		if (!write)
			memset(data, 0xff, size);
		if (d) {
			if (!d->pio(t, run->io.port - d->port, size, write, data))
				return false;
		} else if (bar) {
			if (!bar(t, off, size, write, data))
				return false;
		} else {
			unclaimed(t, true, run->io.port, write);
		}
	}
	return true;
}

bool dm_mmio_exit(struct l_vcpu *t)
{
	struct domus_run *run = t->v.run;
	const struct dm_device *d = find_mmio(t->L, run->mmio.gpa);
	unsigned int len = run->mmio.len;
	dm_access_fn *bar;
	uint64_t off = 0;

	if (len == 0 || len > sizeof(run->mmio.data))
		return true;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	if (d)
		return d->mmio_fn(t, run->mmio.gpa - d->mmio, len, run->mmio.is_write, run->mmio.data);
	bar = find_bar(t->L, false, run->mmio.gpa, &off);
	if (bar)
		return bar(t, off, len, run->mmio.is_write, run->mmio.data);
	unclaimed(t, false, run->mmio.gpa, run->mmio.is_write);
	return true;
}
