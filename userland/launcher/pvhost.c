// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the guest as its PV back ends reach it (backend.h): one
 * grant-table mapping per domain build, shared by the disks and the vifs,
 * mapped by the first that starts and unmapped at teardown after both
 * stopped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include "launcher.h"

static void be_log_line(void *opaque, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l_log(opaque, "%s", buf);
}

const struct be_host *l_be_host(struct launcher *L)
{
	if (L->gnttab)
		return &L->be;
	L->gnttab = domus_xen_map_grant_table(L->domfd, DOMUS_XEN_GNTTAB_MMAP_PAGES);
	if (!L->gnttab)
		return NULL;
	L->be.domfd = L->domfd;
	L->be.domid = L->domid;
	L->be.mem.ram = L->ram;
	L->be.mem.ram_size = L->mem_size;
	L->be.mem.gnt = L->gnttab;
	L->be.mem.gnt_entries = DOMUS_XEN_GNTTAB_MAX_FRAMES * XEN_GNT_PER_FRAME;
	L->be.mem.gnt_status = (uint16_t *)((uint8_t *)L->gnttab + DOMUS_XEN_GNTTAB_STATUS_PAGE * 4096);
	L->be.mem.gnt_version =
		&((const struct domus_xen_gnttab_ctl *)((uint8_t *)L->gnttab + DOMUS_XEN_GNTTAB_CTL_PAGE * 4096))->version;
	L->be.mem.domid = 0;
	L->be.xs = L->xs;
	L->be.log = be_log_line;
	L->be.opaque = L;
	return &L->be;
}

void l_be_unmap(struct launcher *L)
{
	if (L->gnttab)
		munmap(L->gnttab, (size_t)DOMUS_XEN_GNTTAB_MMAP_PAGES * 4096);
	L->gnttab = NULL;
}
