// SPDX-License-Identifier: MIT
/*
 * xl.cfg settings of HVM domains (type = "hvm"): what this release runs
 * of them -- a Multiboot kernel booted directly with kernel=, or without
 * kernel= the SeaBIOS firmware (bios = "seabios", bios_path_override =
 * another image), one vCPU, the launcher's device model (docs/launcher.md
 * "HVM domains") -- and a one-line error for the rest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

static int key_err(const struct domus_config *c, const char *key, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int key_err(const struct domus_config *c, const char *key, char *err, size_t errlen, const char *fmt, ...)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);
	va_list ap;
	int n;

	if (e)
		n = snprintf(err, errlen, "%s:%u: %s: ", e->file, e->line, key);
	else
		n = snprintf(err, errlen, "%s: %s: ", c->nfiles ? c->files[0] : "config", key);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * No kernel=: the firmware.  xl's bios = picks it (seabios is its default
 * with the qemu-xen device model; rombios and ovmf are not here), and
 * bios_path_override = names another image.  The file is read by the
 * launcher (a missing one is its one-line error there).
 */
static int hvm_firmware(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "bios");
	const char *path = DOMUS_SEABIOS_PATH;

	if (e && (e->value->type != DOMUS_CFG_STRING || strcmp(e->value->str, "seabios")))
		return key_err(c, e->key, err, errlen,
			       "domus has SeaBIOS only: write bios = \"seabios\" (or drop it)");
	e = domus_config_get(c, "bios_path_override");
	if (e) {
		if (e->value->type != DOMUS_CFG_STRING || !*e->value->str)
			return key_err(c, e->key, err, errlen, "give the path of a SeaBIOS image, e.g. \"%s\"",
				       DOMUS_SEABIOS_PATH);
		path = e->value->str;
	}
	/* boot = (xl: a disk, c hard disk, d CD-ROM, n network; a string of
	 * them, in order): c and d, each at most once, become SeaBIOS's boot
	 * order (fw_cfg "bootorder", dev_fwcfg.c).  xl's default is "cd". */
	e = domus_config_get(c, "boot");
	snprintf(c->hvm_boot, sizeof(c->hvm_boot), "cd");
	if (e) {
		const char *b = e->value->type == DOMUS_CFG_STRING ? e->value->str : "";

		if (!*b || strlen(b) > 2 || strspn(b, "cd") != strlen(b) || (b[1] && b[0] == b[1]))
			return key_err(c, e->key, err, errlen,
				       "domus boots from c (the IDE disk) and d (the CD-ROM), in the order written: write boot = \"c\", \"d\", \"cd\" or \"dc\"");
		snprintf(c->hvm_boot, sizeof(c->hvm_boot), "%s", b);
	}
	free(c->kernel);
	c->kernel = NULL;
	c->firmware = strdup(path);
	if (!c->firmware)
		return key_err(c, "bios", err, errlen, "out of memory");
	return 0;
}

/*
 * serial = (xl: where the emulated COM1 goes): "pty", or a list of one
 * "pty" (xl's newer spelling), is what domus does -- COM1 is the domain's
 * console, what `domus console` shows and types into (dev_uart.c).
 * Other values (a file, a TCP port, "vc", "none", more ports) are an
 * error naming that.
 */
static int hvm_serial(const struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "serial");
	const struct domus_cfg_value *v;

	if (!e)
		return 0;
	v = e->value;
	if (v->type == DOMUS_CFG_LIST && v->nitems == 1)
		v = v->items[0];
	if (v->type == DOMUS_CFG_STRING && !strcmp(v->str, "pty"))
		return 0;
	return key_err(c, e->key, err, errlen,
		       "domus has one serial port, COM1 on the domain's console (domus console): write serial = \"pty\" (or drop it)");
}

/*
 * xen_platform_pci = 0 or 1 (xl's default 1): the Xen platform PCI device
 * (00:03.0, 5853:0001) and its unplug ports (dev_xenplat.c), which PVHVM
 * drivers look for.  A Multiboot HVM kernel (kernel=) has it only when
 * asked for.
 */
static int hvm_platform_pci(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "xen_platform_pci");

	c->xen_platform_pci = c->firmware != NULL;
	if (!e)
		return 0;
	if (e->value->type != DOMUS_CFG_NUMBER || (strcmp(e->value->str, "0") && strcmp(e->value->str, "1")))
		return key_err(c, e->key, err, errlen, "write xen_platform_pci = 1 (the Xen platform PCI device) or 0 (none)");
	c->xen_platform_pci = e->value->str[0] == '1';
	return 0;
}

/* xl's device models are QEMU's; domus's is its own, in the launcher. */
static const char *const dm_versions[] = { "qemu-xen", "domus" };

int domus_config_hvm(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "device_model_version");
	size_t i;

	if (e) {
		if (e->value->type != DOMUS_CFG_STRING)
			return key_err(c, e->key, err, errlen, "give a string: \"qemu-xen\"");
		for (i = 0; i < sizeof(dm_versions) / sizeof(dm_versions[0]); i++)
			if (!strcmp(e->value->str, dm_versions[i]))
				break;
		if (i == sizeof(dm_versions) / sizeof(dm_versions[0]))
			return key_err(c, e->key, err, errlen,
				       "unknown device model \"%.40s\": domus has its own, in the launcher; drop the key or write \"qemu-xen\"",
				       e->value->str);
	}
	if (c->type != DOMUS_TYPE_HVM)
		return 0;
	if (domus_config_get(c, "bootloader"))
		return key_err(c, "bootloader", err, errlen, "an HVM domain boots through its firmware, not pygrub: drop bootloader=");
	if ((!c->kernel || !*c->kernel) && hvm_firmware(c, err, errlen))
		return -1;
	if (hvm_serial(c, err, errlen))
		return -1;
	if (hvm_platform_pci(c, err, errlen))
		return -1;
	if (c->vcpus != 1 || c->maxvcpus != 1)
		return key_err(c, c->maxvcpus != 1 && domus_config_get(c, "maxvcpus") ? "maxvcpus" : "vcpus", err, errlen,
			       "an HVM domain has 1 vCPU for now (no interrupt controllers yet): set vcpus = 1");
	/* PVHVM: a vif is the guest's xen-netfront NIC (no emulated NIC yet);
	 * only a firmware guest with the platform device sees Xen */
	if (domus_config_get(c, "vif") && (!c->xen_platform_pci || (c->kernel && *c->kernel)))
		return key_err(c, "vif", err, errlen,
			       "an HVM domain's network cards are PV ones through the Xen platform device of a firmware guest "
			       "(no emulated NIC yet): set xen_platform_pci = 1 without kernel=, or drop vif=");
	return 0;
}

/* disk= of an HVM domain (after the disks are parsed): the firmware's IDE
 * drives (dev_ide.c): hda/hdb the primary channel's master/slave, hdc/hdd
 * the secondary's; a disk is read-write or read-only, a CD-ROM (ATAPI) is
 * read-only and may be empty. */
int domus_config_hvm_disks(struct domus_config *c, char *err, size_t errlen)
{
	size_t i;

	if (c->type != DOMUS_TYPE_HVM)
		return 0;
	if (!c->firmware && domus_config_get(c, "disk"))
		return key_err(c, "disk", err, errlen, "HVM disks boot through the firmware: drop kernel= (or drop disk=)");
	if (!c->firmware)
		return 0;
	for (i = 0; i < c->ndisks; i++) {
		const struct domus_disk *d = &c->disks[i];

		if (strlen(d->vdev) != 3 || strncmp(d->vdev, "hd", 2) || d->vdev[2] < 'a' || d->vdev[2] > 'd')
			return key_err(c, "disk", err, errlen,
				       "%.16s: an HVM domain's disks are IDE drives hda, hdb, hdc or hdd: e.g. disk = [ 'PATH,hda,w', 'PATH.iso,hdc:cdrom,r' ]",
				       d->vdev);
		if (!d->cdrom && !d->target)
			return key_err(c, "disk", err, errlen, "%s: a disk needs its image: give the path", d->vdev);
	}
	return 0;
}
