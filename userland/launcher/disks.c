// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the guest's PV disks (userland/backend, docs/devices.md).
 * The images are opened and locked once, before the sandbox, and kept
 * across restarts; each domain build publishes them in the guest's
 * xenstore and maps the grant table for the back end; each teardown
 * disconnects them and logs their counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "launcher.h"

int l_disks_open(struct launcher *L, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < L->cfg.ndisks; i++) {
		const struct domus_disk *c = &L->cfg.disks[i];

		if (!c->target)
			continue;	/* an empty CD drive (noted by the config) */
		if (blk_disk_open(c, &L->disks[L->ndisks], err, errlen)) {
			l_disks_close(L);
			return -1;
		}
		L->ndisks++;
		l_log(L, "disk %s: %s (%s)", c->vdev, c->target, c->readonly ? "read-only" : "read-write");
	}
	return 0;
}

void l_disks_start(struct launcher *L)
{
	const struct be_host *h;
	size_t i;

	if (!L->ndisks)
		return;
	if (!L->xs) {
		l_log(L, "disks: the guest has no xenstore, so it sees no disk");
		return;
	}
	h = l_be_host(L);
	if (!h) {
		l_log(L, "disks: %s: the guest sees no disk", domus_last_error());
		return;
	}
	for (i = 0; i < L->ndisks; i++)
		if (blk_disk_start(L->disks[i], h))
			l_log(L, "disk %zu: cannot publish it in xenstore: the guest does not see it", i);
}

void l_disks_stop(struct launcher *L)
{
	char buf[400];
	size_t i;

	for (i = 0; i < L->ndisks; i++) {
		blk_disk_stop(L->disks[i]);
		if (L->gnttab) {
			blk_disk_stats(L->disks[i], buf, sizeof(buf));
			l_log(L, "blk %s", buf);
		}
	}
}

void l_disks_close(struct launcher *L)
{
	size_t i;

	for (i = 0; i < L->ndisks; i++)
		blk_disk_close(L->disks[i]);
	L->ndisks = 0;
}

/* A migration's sender: the images' locks given up (@lock false) or taken back (blkback.h). */
void l_disks_lock(struct launcher *L, bool lock)
{
	size_t i;

	for (i = 0; i < L->ndisks; i++)
		if (blk_disk_lock(L->disks[i], lock))
			l_log(L, "disk %s: cannot %s the lock of %s: %s", blk_disk_vdev(L->disks[i]),
			      lock ? "take back" : "give up", blk_disk_path(L->disks[i]), strerror(errno));
}
