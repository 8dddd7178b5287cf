// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel MMIO ranges: a small per-vCPU table of guest-physical ranges
 * a personality maps (domus_mmio_map(), pers.h), e.g. an xAPIC page at
 * the vCPU's APIC base.  The NPT/EPT fault exits hand the faulting
 * instruction to the emulator as for any MMIO (exits.c,
 * domus_emulate_mmio()); each access the emulator asks for is first
 * offered to domus_mmio_dispatch(), and only one no range holds goes to
 * userspace as DOMUS_EXIT_MMIO.
 *
 * The table belongs to its vCPU: it is written and read only from the
 * vCPU's own context (its thread, its hooks, its ioctls, which the run
 * lock serializes), so it needs no lock.
 */
#include "core.h"

int domus_mmio_map(struct domus_vcpu *v, unsigned int slot, u64 gpa, u64 size,
		   const struct domus_mmio_ops *ops)
{
	struct domus_mmio_range *r;

	if (slot >= DOMUS_MMIO_SLOTS)
		return -EINVAL;
	r = &v->mmio[slot];
	if (!size || !ops) {
		r->size = 0;
		r->ops = NULL;
		return 0;
	}
	if (gpa + size < gpa || !ops->read || !ops->write)
		return -EINVAL;
	r->gpa = gpa;
	r->size = size;
	r->ops = ops;
	return 0;
}

int domus_mmio_dispatch(struct domus_vcpu *v, u64 gpa, unsigned int len, bool write, u8 *data)
{
	unsigned int i;

	for (i = 0; i < DOMUS_MMIO_SLOTS; i++) {
		const struct domus_mmio_range *r = &v->mmio[i];
		u64 val = 0;

		if (!r->size || gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > sizeof(val))
			return -1;
		if (write) {
			memcpy(&val, data, len);
			return r->ops->write(v, gpa - r->gpa, len, val) ? -1 : 1;
		}
		if (r->ops->read(v, gpa - r->gpa, len, &val))
			return -1;
		memcpy(data, &val, len);
		return 1;
	}
	return 0;
}
