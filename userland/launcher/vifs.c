// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the guest's PV network interfaces (userland/backend,
 * docs/devices.md).  The bridges are checked (or created on request)
 * before the domain exists; the TAP devices are created after the first
 * build -- their default names carry the domain id -- and before the
 * sandbox, and kept across restarts; each build publishes them in the
 * guest's xenstore with the grant table mapped for the back end; each
 * teardown disconnects them and logs their counters.
 */
#include <stdio.h>
#include "launcher.h"

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
	const struct be_host *h;
	size_t i;

	if (!L->nvifs)
		return;
	if (!L->xs) {
		l_log(L, "vifs: the guest has no xenstore, so it has no network");
		return;
	}
	h = l_be_host(L);
	if (!h) {
		l_log(L, "vifs: %s: the guest has no network", domus_last_error());
		return;
	}
	for (i = 0; i < L->nvifs; i++)
		if (net_vif_start(L->vifs[i], h))
			l_log(L, "vif %zu: cannot publish it in xenstore: the guest does not see it", i);
}

void l_vifs_stop(struct launcher *L)
{
	char buf[512];
	size_t i;

	for (i = 0; i < L->nvifs; i++) {
		net_vif_stop(L->vifs[i]);
		if (L->gnttab) {
			net_vif_stats(L->vifs[i], buf, sizeof(buf));
			l_log(L, "net %s", buf);
		}
	}
}

void l_vifs_close(struct launcher *L)
{
	size_t i;

	for (i = 0; i < L->nvifs; i++)
		net_vif_close(L->vifs[i]);
	L->nvifs = 0;
}
