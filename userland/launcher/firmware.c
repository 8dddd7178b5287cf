// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the firmware of an HVM domain without kernel=
 * (docs/launcher.md "Firmware").  The image (SeaBIOS's bios.bin from
 * Debian's seabios package, 128 KiB) is read once before the sandbox and
 * mapped at each build as a PC maps its flash: the whole image read-only
 * just below 4 GiB (its own slot, kept pristine: SeaBIOS copies itself
 * from there), and its last 128 KiB copied into RAM at 0xe0000-0xfffff.
 * That low copy is ordinary writable RAM: SeaBIOS's shadowing (the i440FX
 * PAM registers, dev_pci.c) then is a harmless self-copy, and a reboot
 * rebuilds the domain, reloading it from the file.  The vCPU starts in
 * the reset state the module gives a new vCPU (CS 0xf000 with base
 * 0xffff0000, IP 0xfff0: the first fetch is at 0xfffffff0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "launcher.h"

#define FW_MIN		(64u << 10)
#define FW_MAX		(256u << 10)
#define FW_LOW_TOP	0x100000u	/* the low copy ends at 1 MiB */
#define FW_LOW_MAX	(128u << 10)	/* ... and starts at 0xe0000 at most */
/* RAM must end below the image and hold the low copy and a guest. */
#define FW_MIN_RAM	(16ull << 20)
#define FW_MAX_RAM	(0xe0000000ull)	/* below the PCI hole SeaBIOS assumes */

int l_firmware_read(struct launcher *L, char *err, size_t errlen)
{
	const char *path = L->cfg.firmware;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "firmware %s not found: install the seabios package (apt install seabios) or set bios_path_override=",
				 path);
		else
			snprintf(err, errlen, "cannot open the firmware %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < FW_MIN || st.st_size > FW_MAX ||
	    st.st_size % 4096) {
		snprintf(err, errlen, "firmware %s is not a BIOS image (a file of 64 to 256 KiB, whole pages): use %s",
			 path, DOMUS_SEABIOS_PATH);
		close(fd);
		return -1;
	}
	L->fw_size = (size_t)st.st_size;
	L->fw_image = malloc(L->fw_size);
	if (!L->fw_image) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (got < L->fw_size) {
		n = read(fd, L->fw_image + got, L->fw_size - got);
		if (n <= 0) {
			snprintf(err, errlen, "cannot read the firmware %s: %s", path, n ? strerror(errno) : "short file");
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (L->mem_size < FW_MIN_RAM || L->mem_size > FW_MAX_RAM) {
		snprintf(err, errlen, "memory=%llu: an HVM domain with firmware has %llu to %llu MiB for now: set memory= in that range",
			 (unsigned long long)(L->mem_size >> 20), FW_MIN_RAM >> 20, FW_MAX_RAM >> 20);
		return -1;
	}
	return 0;
}

int l_firmware_map(struct launcher *L, char *err, size_t errlen)
{
	size_t low = L->fw_size < FW_LOW_MAX ? L->fw_size : FW_LOW_MAX;

	L->fw_mem = domus_guest_alloc(L->fw_size);
	if (!L->fw_mem) {
		snprintf(err, errlen, "%s", domus_last_error());
		return -1;
	}
	memcpy(L->fw_mem, L->fw_image, L->fw_size);
	memcpy((uint8_t *)L->ram + FW_LOW_TOP - low, L->fw_image + L->fw_size - low, low);
	if (domus_set_slot(L->domfd, L_FIRMWARE_SLOT, (1ull << 32) - L->fw_size, L->fw_size, L->fw_mem,
			   DOMUS_SLOT_READONLY)) {
		snprintf(err, errlen, "%s", domus_last_error());
		return -1;
	}
	return 0;
}

void l_firmware_unmap(struct launcher *L)
{
	if (L->fw_mem)
		domus_guest_free(L->fw_mem, L->fw_size);
	L->fw_mem = NULL;
}
