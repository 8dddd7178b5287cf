// SPDX-License-Identifier: MIT
/* domus-launcher device: the loader's hardware-reduced ACPI sleep control
 * and status ports (loader.h "power-off"): SLP_EN with SLP_TYP 5 on the
 * control port powers the domain off; the status port ignores writes;
 * both read 0.  (In a Xen domain the module answers the S5 write itself;
 * this is the same rule for a module that passes it on.) */
#include "launcher.h"
#include "devices.h"

static bool acpipm_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	(void)size;
	if (!write) {
		data[0] = 0;
		return true;
	}
	if (off == 0 && (data[0] & DOMUS_ACPI_SLP_EN) &&
	    ((data[0] & DOMUS_ACPI_SLP_TYP_MASK) >> DOMUS_ACPI_SLP_TYP_SHIFT) == DOMUS_ACPI_S5_SLP_TYP) {
		dom_guest_stopped(t->L, XEN_SHUTDOWN_POWEROFF, "ACPI power-off (S5)");
		return false;
	}
	return true;
}

const struct dm_device dm_acpi_pm = {
	.name = "acpi-pm", .types = DM_PVH, .port = DOMUS_ACPI_SLEEP_CONTROL_PORT, .nports = 2,
	.pio = acpipm_pio,
};
