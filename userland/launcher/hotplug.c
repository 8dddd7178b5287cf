// SPDX-License-Identifier: MIT
/*
 * domus-launcher: hot-plug and unplug of PV disks and vifs on a running
 * guest (docs/devices.md "Hot-plug"), the requests behind domus
 * block-attach/-detach/-list and network-attach/-detach/-list.
 *
 * Attach: the sandboxed launcher can neither open an image nor create a
 * TAP device, so the domus command does that as root (with the same
 * checks as at boot: blk_image_open, net_tap_create) and passes the
 * descriptors with the request (SCM_RIGHTS, loop.c).  Here the spec is
 * parsed again with the config's parser, duplicates are refused, and the
 * device is published exactly as at boot (be_dev_start): the guest's
 * xenbus sees a new front-end directory at state 1 and probes it.
 *
 * Detach, as libxl does it (pv-devices.md §8.3): online=0 and back end
 * state 5; the front end answers 6, the back end disconnects and goes to
 * 6; then both directories are removed and the device closed (thread
 * joined, grants and the event channel released by the disconnect, the
 * image's lock or the TAP device gone with the descriptors).  The request
 * is answered when that is done, from the event loop (l_hotplug_service,
 * after each round of the guest's xenstore requests and on the loop's
 * busy poll while a detach is pending), so the event loop never waits;
 * a front end that does not answer within L_UNPLUG_TIMEOUT_MS is removed
 * by force, and the answer says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "launcher.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The @i-th descriptor passed with the request, taken (-1: none). */
static int take_fd(struct launcher *L, unsigned int i)
{
	int fd;

	if (!L->req_fds || i >= L->req_nfds)
		return -1;
	fd = L->req_fds[i];
	L->req_fds[i] = -1;
	return fd;
}

static struct be_dev *dev_of(bool net, void *p)
{
	return net ? net_vif_dev(p) : blk_disk_dev(p);
}

static bool unplug_pending(struct launcher *L, void *dev)
{
	unsigned int i;

	for (i = 0; i < L_MAX_UNPLUG; i++)
		if (L->unplug[i].dev == dev)
			return true;
	return false;
}

/* Can the guest see a new device now?  NULL, or why not. */
static const char *not_pluggable(struct launcher *L)
{
	if (L->state != L_RUNNING)
		return "is not running";
	if (!L->xs)
		return "has no xenstore (DOMUS_NO_XENSTORE): it cannot see hot-plugged devices";
	return NULL;
}

/* ---- disks ------------------------------------------------------------------- */

static bool fail_fds(struct launcher *L, int fd, const char *fmt, const char *a, const char *b)
{
	char msg[400];
	unsigned int i;

	for (i = 0; i < L->req_nfds; i++) {
		int f = take_fd(L, i);

		if (f >= 0)
			close(f);
	}
	snprintf(msg, sizeof(msg), fmt, a, b);
	l_reply(fd, "error %s", msg);
	return false;
}

bool l_ctl_block_attach(struct launcher *L, int fd, const char *arg)
{
	const struct be_host *h;
	struct domus_disk cfg;
	struct blk_disk *d;
	char err[300];
	const char *why;
	size_t i;
	int img;

	if ((why = not_pluggable(L)))
		return fail_fds(L, fd, "%s %s", L->cfg.name, why);
	if (domus_disk_parse(arg, &cfg, err, sizeof(err)))
		return fail_fds(L, fd, "disk '%.80s': %s", arg, err);
	if (!cfg.target) {
		domus_disk_free(&cfg);
		return fail_fds(L, fd, "disk %s: %s", cfg.vdev, "an empty drive cannot be attached: give an image");
	}
	for (i = 0; i < L->ndisks; i++)
		if (blk_disk_dev(L->disks[i])->devid == cfg.devid) {
			snprintf(err, sizeof(err), "%s (vdev %s)", blk_disk_path(L->disks[i]), blk_disk_vdev(L->disks[i]));
			domus_disk_free(&cfg);
			return fail_fds(L, fd, "vdev %s is in use by %s: detach it first (domus block-detach) or give another vdev",
					cfg.vdev, err);
		}
	if (L->ndisks >= DOMUS_CFG_MAX_DISKS) {
		domus_disk_free(&cfg);
		return fail_fds(L, fd, "%s has %s disks, the most a domain may have: detach one first", L->cfg.name,
				"16");
	}
	img = take_fd(L, 0);
	if (img < 0) {
		domus_disk_free(&cfg);
		return fail_fds(L, fd, "block-attach: %s%s", "no image descriptor came with the request (use domus block-attach)", "");
	}
	if (blk_disk_adopt(&cfg, img, &d, err, sizeof(err))) {
		close(img);
		domus_disk_free(&cfg);
		return fail_fds(L, fd, "%s%s", err, "");
	}
	h = l_be_host(L);
	if (!h || blk_disk_start(d, h)) {
		snprintf(err, sizeof(err), "%s", h ? "cannot publish it in xenstore" : domus_last_error());
		be_dev_remove(blk_disk_dev(d));
		blk_disk_close(d);
		domus_disk_free(&cfg);
		return fail_fds(L, fd, "disk %s: %s", cfg.vdev, err);
	}
	L->disks[L->ndisks++] = d;
	l_log(L, "disk %s: %s (%s) attached: devid %u", cfg.vdev, cfg.target, cfg.readonly ? "read-only" : "read-write",
	      cfg.devid);
	domus_disk_free(&cfg);
	l_reply(fd, "ok");
	return false;
}

/* A disk by vdev name or devid: its index, or -1. */
static int find_disk(struct launcher *L, const char *arg)
{
	uint32_t devid;
	char *end;
	size_t i;

	if (domus_vdev_number(arg, &devid)) {
		unsigned long v = strtoul(arg, &end, 10);

		if (arg[0] < '0' || arg[0] > '9' || *end || v > UINT32_MAX)
			return -1;
		devid = (uint32_t)v;
	}
	for (i = 0; i < L->ndisks; i++)
		if (blk_disk_dev(L->disks[i])->devid == devid)
			return (int)i;
	return -1;
}

/* A vif by devid or MAC: its index, or -1. */
static int find_vif(struct launcher *L, const char *arg)
{
	uint8_t mac[6];
	char m[18], a[18];
	char *end;
	size_t i;

	if (!domus_mac_parse(arg, mac)) {
		domus_mac_format(mac, a);
		for (i = 0; i < L->nvifs; i++) {
			net_vif_mac(L->vifs[i], m);
			if (!strcmp(m, a))
				return (int)i;
		}
		return -1;
	}
	if (arg[0] >= '0' && arg[0] <= '9') {
		unsigned long v = strtoul(arg, &end, 10);

		for (i = 0; !*end && i < L->nvifs; i++)
			if (net_vif_dev(L->vifs[i])->devid == v)
				return (int)i;
	}
	return -1;
}

/* Start the close handshake of @dev; the answer goes to @fd when done. */
static bool start_unplug(struct launcher *L, int fd, bool net, void *dev)
{
	struct be_dev *x = dev_of(net, dev);
	unsigned int i;

	if (unplug_pending(L, dev)) {
		l_reply(fd, "error %s: a detach is already under way", x->name);
		return false;
	}
	for (i = 0; i < L_MAX_UNPLUG && L->unplug[i].dev; i++)
		;
	if (i == L_MAX_UNPLUG) {
		l_reply(fd, "error too many detaches under way: wait for them");
		return false;
	}
	L->unplug[i] = (struct l_unplug){ .dev = dev, .net = net, .fd = fd,
					  .deadline_ms = now_ms() + L_UNPLUG_TIMEOUT_MS };
	be_dev_close_request(x);
	l_log(L, "%s %s: detach: back end Closing, waiting for the guest", net ? "vif" : "disk", x->name);
	return true;	/* answered by l_hotplug_service */
}

bool l_ctl_block_detach(struct launcher *L, int fd, const char *arg)
{
	int i = find_disk(L, arg);

	if (i < 0) {
		l_reply(fd, "error no disk '%.40s' in %s: domus block-list %s shows its disks", arg, L->cfg.name,
			L->cfg.name);
		return false;
	}
	return start_unplug(L, fd, false, L->disks[i]);
}

bool l_ctl_network_detach(struct launcher *L, int fd, const char *arg)
{
	int i = find_vif(L, arg);

	if (i < 0) {
		l_reply(fd, "error no network interface '%.40s' in %s: domus network-list %s shows them", arg,
			L->cfg.name, L->cfg.name);
		return false;
	}
	return start_unplug(L, fd, true, L->vifs[i]);
}

/* The guest's own complaint (xenbus_dev_error: error/device/TYPE/ID/error). */
static void guest_error(struct launcher *L, struct be_dev *x, char *out, size_t len)
{
	char path[160], val[128];
	int n;

	out[0] = 0;
	if (!L->xs)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u/error/device/%s/%u/error", L->domid, x->ops->type, x->devid);
	n = xs_read(L->xs, path, val, sizeof(val) - 1);
	if (n > 0) {
		val[n] = 0;
		domus_ctl_escape(val, (size_t)n, out, len);
		xs_rm(L->xs, path);
	}
}

/* Remove the device: directories, then the back end itself. */
static void finish_unplug(struct launcher *L, struct l_unplug *u, const char *forced)
{
	struct be_dev *x = dev_of(u->net, u->dev);
	char name[24], stats[512], gerr[200];
	size_t i, *n = u->net ? &L->nvifs : &L->ndisks;
	void **arr = u->net ? (void **)L->vifs : (void **)L->disks;

	snprintf(name, sizeof(name), "%s", x->name);
	guest_error(L, x, gerr, sizeof(gerr));
	be_dev_remove(x);
	if (u->net) {
		net_vif_stats(u->dev, stats, sizeof(stats));
		l_log(L, "net %s", stats);
		net_vif_close(u->dev);	/* the TAP device goes with its fds */
	} else {
		blk_disk_stats(u->dev, stats, sizeof(stats));
		l_log(L, "blk %s", stats);
		blk_disk_close(u->dev);	/* the image's lock goes with its fd */
	}
	for (i = 0; i < *n && arr[i] != u->dev; i++)
		;
	if (i < *n) {
		memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(arr[0]));
		(*n)--;
	}
	if (forced)
		l_log(L, "%s %s: %s: removed by force", u->net ? "vif" : "disk", name, forced);
	else
		l_log(L, "%s %s: detached%s%s", u->net ? "vif" : "disk", name, gerr[0] ? "; the guest said: " : "", gerr);
	if (u->fd >= 0) {
		if (forced)
			l_reply(u->fd, "ok note: %s: %s; removed by force%s%s", name, forced,
				gerr[0] ? "; the guest said: " : "", gerr);
		else if (gerr[0])
			l_reply(u->fd, "ok note: %s: the guest said: %s", name, gerr);
		else
			l_reply(u->fd, "ok");
		close(u->fd);
	}
	*u = (struct l_unplug){ .fd = -1 };
}

void l_hotplug_service(struct launcher *L)
{
	long long now = now_ms();
	unsigned int i;

	for (i = 0; i < L_MAX_UNPLUG; i++) {
		struct l_unplug *u = &L->unplug[i];
		struct be_dev *x;
		long long fe;

		if (!u->dev)
			continue;
		x = dev_of(u->net, u->dev);
		fe = be_dev_fe_state(x);
		if (be_dev_state(x) == XEN_BUS_CLOSED || fe == XEN_BUS_CLOSED || fe < 0)
			finish_unplug(L, u, NULL);
		else if (now >= u->deadline_ms) {
			char why[120];

			snprintf(why, sizeof(why), "the guest did not close it within %d s (front end state %lld)",
				 L_UNPLUG_TIMEOUT_MS / 1000, fe);
			finish_unplug(L, u, why);
		}
	}
}

bool l_hotplug_pending(const struct launcher *L)
{
	unsigned int i;

	for (i = 0; i < L_MAX_UNPLUG; i++)
		if (L->unplug[i].dev)
			return true;
	return false;
}

void l_hotplug_teardown(struct launcher *L)
{
	unsigned int i;

	for (i = 0; i < L_MAX_UNPLUG; i++)
		if (L->unplug[i].dev)
			finish_unplug(L, &L->unplug[i], "the domain was torn down");
}

void l_hotplug_init(struct launcher *L)
{
	unsigned int i;

	for (i = 0; i < L_MAX_UNPLUG; i++)
		L->unplug[i] = (struct l_unplug){ .fd = -1 };
}

/* ---- vifs -------------------------------------------------------------------- */

bool l_ctl_network_attach(struct launcher *L, int fd, const char *arg)
{
	char name[DOMUS_IFNAME_MAX + 1], macs[18], a[18], err[300];
	int fds[DOMUS_CTL_MAX_FDS], nfd = 0, used = 0;
	const struct be_host *h;
	struct domus_vif cfg;
	struct net_vif *v;
	unsigned int devid;
	const char *why;
	size_t i;

	if ((why = not_pluggable(L)))
		return fail_fds(L, fd, "%s %s", L->cfg.name, why);
	if (sscanf(arg, "%u %17s %15s %n", &devid, macs, name, &used) < 3 || !used)
		return fail_fds(L, fd, "network-attach: %s%s", "give DEVID MAC NAME SPEC (use domus network-attach)", "");
	if (domus_vif_parse(arg + used, &cfg, err, sizeof(err)))
		return fail_fds(L, fd, "vif '%.80s': %s", arg + used, err);
	if (devid >= DOMUS_CFG_MAX_VIFS || domus_mac_parse(macs, cfg.mac) || !domus_ifname_ok(name))
		return fail_fds(L, fd, "network-attach: %s%s", "a bad devid, MAC or name", "");
	cfg.devid = devid;
	snprintf(cfg.vifname, sizeof(cfg.vifname), "%s", name);
	domus_mac_format(cfg.mac, a);
	for (i = 0; i < L->nvifs; i++) {
		net_vif_mac(L->vifs[i], macs);
		if (net_vif_dev(L->vifs[i])->devid == devid)
			return fail_fds(L, fd, "vif %s: devid in use by %s: run domus network-list", name,
					net_vif_name(L->vifs[i]));
		if (!strcmp(macs, a))
			return fail_fds(L, fd, "mac %s is in use by %s: give another mac= (or none: a random one)", a,
					net_vif_name(L->vifs[i]));
	}
	while (nfd < (int)L->req_nfds && (fds[nfd] = take_fd(L, (unsigned int)nfd)) >= 0)
		nfd++;
	if (!nfd)
		return fail_fds(L, fd, "network-attach: %s%s", "no TAP descriptor came with the request (use domus network-attach)", "");
	if (net_vif_adopt(&cfg, name, fds, (unsigned int)nfd, &v, err, sizeof(err))) {
		while (nfd--)
			close(fds[nfd]);
		return fail_fds(L, fd, "%s%s", err, "");
	}
	h = l_be_host(L);
	if (!h || net_vif_start(v, h)) {
		snprintf(err, sizeof(err), "%s", h ? "cannot publish it in xenstore" : domus_last_error());
		be_dev_remove(net_vif_dev(v));
		net_vif_close(v);
		return fail_fds(L, fd, "vif %s: %s", name, err);
	}
	L->vifs[L->nvifs++] = v;
	l_log(L, "vif %u: %s on bridge %s, mac %s%s attached", devid, name, cfg.bridge, a,
	      cfg.nips ? ", ip= filter" : "");
	l_reply(fd, "ok");
	return false;
}

/* ---- lists ------------------------------------------------------------------- */

/* A number the guest wrote under the front end's directory, or -1. */
static long long fe_num(struct be_dev *x, const char *key)
{
	return x->started ? be_fe_number(x, key, UINT32_MAX) : -1;
}

bool l_ctl_block_list(struct launcher *L, int fd, const char *arg)
{
	size_t i;

	(void)arg;
	l_reply(fd, "ok");
	for (i = 0; i < L->ndisks; i++) {
		struct be_dev *x = blk_disk_dev(L->disks[i]);
		long long rref = fe_num(x, "ring-ref");

		if (rref < 0)
			rref = fe_num(x, "ring-ref0");	/* a multi-page ring */
		l_reply(fd, "%u %s %d %lld %lld %lld %s", x->devid, blk_disk_vdev(L->disks[i]),
			x->started ? be_dev_state(x) : 0, be_dev_fe_state(x), fe_num(x, "event-channel"), rref,
			x->started ? x->be : "-");
	}
	l_reply(fd, "end %zu", L->ndisks);
	return false;
}

bool l_ctl_network_list(struct launcher *L, int fd, const char *arg)
{
	size_t i;

	(void)arg;
	l_reply(fd, "ok");
	for (i = 0; i < L->nvifs; i++) {
		struct be_dev *x = net_vif_dev(L->vifs[i]);
		long long tx = fe_num(x, "tx-ring-ref"), rx = fe_num(x, "rx-ring-ref"), ev = fe_num(x, "event-channel");
		char mac[18];

		if (tx < 0)
			tx = fe_num(x, "queue-0/tx-ring-ref");	/* multi-queue: the first queue's */
		if (rx < 0)
			rx = fe_num(x, "queue-0/rx-ring-ref");
		if (ev < 0)
			ev = fe_num(x, "queue-0/event-channel");
		net_vif_mac(L->vifs[i], mac);
		l_reply(fd, "%u %s %d %lld %lld %lld %lld %s %s", x->devid, mac, x->started ? be_dev_state(x) : 0,
			be_dev_fe_state(x), ev, tx, rx, x->started ? x->be : "-", net_vif_name(L->vifs[i]));
	}
	l_reply(fd, "end %zu", L->nvifs);
	return false;
}
