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
	/* boot = "c" (xl: c disk, d CD-ROM, n network; a string of them):
	 * the IDE disk is the one boot device, first in SeaBIOS's order */
	e = domus_config_get(c, "boot");
	if (e && (e->value->type != DOMUS_CFG_STRING || !*e->value->str ||
		  strspn(e->value->str, "acdn") != strlen(e->value->str) || e->value->str[0] != 'c'))
		return key_err(c, e->key, err, errlen, "boot from the disk only for now: write boot = \"c\"");
	free(c->kernel);
	c->kernel = NULL;
	c->firmware = strdup(path);
	if (!c->firmware)
		return key_err(c, "bios", err, errlen, "out of memory");
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
	if (c->vcpus != 1 || c->maxvcpus != 1)
		return key_err(c, c->maxvcpus != 1 && domus_config_get(c, "maxvcpus") ? "maxvcpus" : "vcpus", err, errlen,
			       "an HVM domain has 1 vCPU for now (no interrupt controllers yet): set vcpus = 1");
	if (domus_config_get(c, "vif"))
		return key_err(c, "vif", err, errlen, "HVM network cards need the device model's NIC, not there yet: drop vif= for now");
	return 0;
}

/* disk= of an HVM domain (after the disks are parsed): the firmware's IDE
 * primary master, read-only, or none (dev_ide.c). */
int domus_config_hvm_disks(struct domus_config *c, char *err, size_t errlen)
{
	if (c->type != DOMUS_TYPE_HVM)
		return 0;
	if (c->firmware && c->ndisks > 1)
		return key_err(c, "disk", err, errlen, "an HVM domain has one IDE disk for now (the primary master): give one, disk = [ 'PATH,hda,r' ]");
	if (c->firmware && c->ndisks == 1 &&
	    (strcmp(c->disks[0].vdev, "hda") || c->disks[0].cdrom || !c->disks[0].target || !c->disks[0].readonly))
		return key_err(c, "disk", err, errlen,
			       "an HVM domain's disk is the IDE primary master, read-only for now (no CD-ROM, no writes yet): disk = [ 'PATH,hda,r' ]");
	if (!c->firmware && domus_config_get(c, "disk"))
		return key_err(c, "disk", err, errlen, "HVM disks boot through the firmware: drop kernel= (or drop disk=)");
	return 0;
}
