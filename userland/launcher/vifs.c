// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the guest's PV network interfaces (userland/backend,
 * docs/network.md).  The bridges are checked (or created on request)
 * before the domain exists; the TAP devices are created after the first
 * build -- their default names carry the domain id -- and before the
 * sandbox, and kept across restarts; each build publishes them in the
 * guest's xenstore with the grant table mapped for the back end; each
 * teardown disconnects them and logs their counters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include "launcher.h"

static void vif_log(void *opaque, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l_log(opaque, "%s", buf);
}

int l_vifs_check(struct launcher *L, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < L->cfg.nvifs; i++)
		if (net_bridge_check(&L->cfg.vifs[i], err, errlen))
			return -1;
	return 0;
}

int l_vifs_open(struct launcher *L, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < L->cfg.nvifs; i++) {
		const struct domus_vif *c = &L->cfg.vifs[i];
		char mac[18];

		/* a queue per vCPU, as Linux netback offers (netfront takes
		 * min(offered, its online CPUs)) */
		if (net_vif_open(c, L->domid, L->cfg.vcpus, &L->vifs[L->nvifs], err, errlen)) {
			l_vifs_close(L);
			return -1;
		}
		L->nvifs++;
		domus_mac_format(c->mac, mac);
		l_log(L, "vif %zu: %s on bridge %s, mac %s%s%s", i, net_vif_name(L->vifs[i]), c->bridge, mac,
		      c->nips ? ", ip= filter" : "", c->rate_bytes_per_s ? ", rate= limit" : "");
	}
	return 0;
}

void l_vifs_start(struct launcher *L)
{
	struct blk_host h;
	size_t i;

	if (!L->nvifs)
		return;
	if (!L->xs) {
		l_log(L, "vifs: the guest has no xenstore, so it has no network");
		return;
	}
	L->net_gnttab = domus_xen_map_grant_table(L->domfd, DOMUS_XEN_GNTTAB_MAX_FRAMES);
	if (!L->net_gnttab) {
		l_log(L, "vifs: %s: the guest has no network", domus_last_error());
		return;
	}
	h.domfd = L->domfd;
	h.domid = L->domid;
	h.mem.ram = L->ram;
	h.mem.ram_size = L->mem_size;
	h.mem.gnt = L->net_gnttab;
	h.mem.gnt_entries = DOMUS_XEN_GNTTAB_MAX_FRAMES * XEN_GNT_PER_FRAME;
	h.mem.domid = 0;
	h.xs = L->xs;
	h.log = vif_log;
	h.opaque = L;
	for (i = 0; i < L->nvifs; i++)
		if (net_vif_start(L->vifs[i], &h))
			l_log(L, "vif %zu: cannot publish it in xenstore: the guest does not see it", i);
}

void l_vifs_stop(struct launcher *L)
{
	char buf[512];
	size_t i;

	for (i = 0; i < L->nvifs; i++) {
		net_vif_stop(L->vifs[i]);
		if (L->net_gnttab) {
			net_vif_stats(L->vifs[i], buf, sizeof(buf));
			l_log(L, "net %s", buf);
		}
	}
	if (L->net_gnttab)
		munmap(L->net_gnttab, (size_t)DOMUS_XEN_GNTTAB_MAX_FRAMES * 4096);
	L->net_gnttab = NULL;
}

void l_vifs_close(struct launcher *L)
{
	size_t i;

	for (i = 0; i < L->nvifs; i++)
		net_vif_close(L->vifs[i]);
	L->nvifs = 0;
}
