// SPDX-License-Identifier: MIT
/*
 * domus block-attach / block-detach / block-list and network-attach /
 * network-detach / network-list: PV devices plugged into and out of a
 * running guest, as xl has them (docs/cli.md, docs/devices.md "Hot-plug").
 *
 * The spec is parsed with the config file's parsers (domus_disk_parse,
 * domus_vif_parse) and checked against the domain's devices before
 * anything is opened.  The launcher runs sandboxed (no capability, no
 * file system to speak of), so the privileged half is done here, as
 * root, with the back ends' own code: the image opened and locked
 * (blk_image_open), the TAP device created on its bridge (net_tap_create);
 * the descriptors go to the launcher with the request (SCM_RIGHTS), which
 * parses the spec again, refuses duplicates again and publishes the
 * device as at boot.  Whatever fails, nothing is left behind: the
 * descriptors close with this process (the lock and the TAP with them).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"
#include "xlcfg.h"
#include "blkback.h"
#include "netback.h"

#define HP_TIMEOUT_MS		10000
/* a detach waits up to 10 s for the guest (L_UNPLUG_TIMEOUT_MS), then
 * removes by force: the answer comes well within this */
#define HP_DETACH_TIMEOUT_MS	30000
#define HP_SPEC_MAX		4096

/* The arguments from @argv[i] on, joined with commas (xl takes a spec as
 * one argument or as its comma-separated parts); 0 or 1 after an error. */
static int join_spec(const struct domus_cmd *cmd, int argc, char **argv, int i, char *out, size_t len)
{
	size_t n = 0;
	const char *p;

	out[0] = 0;
	for (; i < argc; i++) {
		int w = snprintf(out + n, len - n, "%s%s", n ? "," : "", argv[i]);

		if (w < 0 || (size_t)w >= len - n) {
			fprintf(stderr, "domus %s: the specification is too long (at most %d bytes)\n", cmd->name,
				HP_SPEC_MAX - 1);
			return 1;
		}
		n += (size_t)w;
	}
	for (p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "domus %s: the specification contains a control character\n", cmd->name);
			return 1;
		}
	return 0;
}

/* The launcher's answer: 0, or 1 after printing the error.  "ok note: X"
 * is printed as a note (the request was done). */
static int answer(const struct domus_cmd *cmd, const char *name, int r, const char *reply)
{
	if (r < 0) {
		fprintf(stderr, "domus %s: %s: the launcher does not answer: %s\n", cmd->name, name, strerror(-r));
		return 1;
	}
	if (r > 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, name, reply);
		return 1;
	}
	if (!strncmp(reply, "ok note: ", 9))
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, name, reply + 3);
	return 0;
}

/* A listing (block-list, network-list): @line per device; 0 or 1. */
static int listing(const struct domus_cmd *cmd, const char *name, const char *req,
		   int (*line)(void *opaque, char *text), void *opaque)
{
	char reply[DOMUS_CTL_LINE_MAX];
	int fd = domus_ctl_connect(name), r;

	if (fd < 0)
		return answer(cmd, name, fd, "");
	r = domus_ctl_request_fd(fd, req, reply, sizeof(reply), HP_TIMEOUT_MS);
	if (!r)
		r = domus_ctl_read_lines(fd, line, opaque, HP_TIMEOUT_MS);
	close(fd);
	if (r == -EPROTO)
		r = -EIO;
	return answer(cmd, name, r, reply);
}

/* ---- disks ------------------------------------------------------------------ */

struct blk_row {
	unsigned long devid;
	char vdev[16];
	int be_state;
	long long fe_state, evtch, rref;
	char be_path[128];
};

static int parse_blk_row(const char *text, struct blk_row *b)
{
	return sscanf(text, "%lu %15s %d %lld %lld %lld %127s", &b->devid, b->vdev, &b->be_state, &b->fe_state,
		      &b->evtch, &b->rref, b->be_path) == 7 ? 0 : -1;
}

struct blk_find {
	uint32_t devid;
	bool found;
	char vdev[16];
};

static int find_blk_line(void *opaque, char *text)
{
	struct blk_find *f = opaque;
	struct blk_row b;

	if (!parse_blk_row(text, &b) && b.devid == f->devid) {
		f->found = true;
		snprintf(f->vdev, sizeof(f->vdev), "%s", b.vdev);
	}
	return 0;
}

int cmd_block_attach(const struct domus_cmd *cmd, int argc, char **argv)
{
	char spec[HP_SPEC_MAX], err[400], reply[DOMUS_CTL_LINE_MAX], req[HP_SPEC_MAX + 16];
	struct domus_dominfo d;
	struct domus_disk disk;
	struct blk_find f;
	int fd, conn, r;

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	if (argc - optind < 2)
		return domus_cmd_usage_error(cmd, "give a domain and a disk specification");
	if (join_spec(cmd, argc, argv, optind + 1, spec, sizeof(spec)))
		return 1;
	if (domus_disk_parse(spec, &disk, err, sizeof(err))) {
		fprintf(stderr, "domus %s: disk '%.80s': %s\n", cmd->name, spec, err);
		return 1;
	}
	if (!disk.target) {
		fprintf(stderr, "domus %s: disk %s: an empty drive cannot be attached: give an image\n", cmd->name,
			disk.vdev);
		domus_disk_free(&disk);
		return 1;
	}
	if (domus_cli_find_domain(argv[optind], &d)) {
		domus_disk_free(&disk);
		return 1;
	}
	/* the vdev first: a clearer message than the image's lock */
	f = (struct blk_find){ .devid = disk.devid };
	if (listing(cmd, d.name, "block-list", find_blk_line, &f)) {
		domus_disk_free(&disk);
		return 1;
	}
	if (f.found) {
		fprintf(stderr, "domus %s: %s: vdev %s is in use (devid %u, %s): detach it first (domus block-detach %s %u) or give another vdev\n",
			cmd->name, d.name, disk.vdev, disk.devid, f.vdev, d.name, disk.devid);
		domus_disk_free(&disk);
		return 1;
	}
	fd = blk_image_open(&disk, err, sizeof(err));
	domus_disk_free(&disk);
	if (fd < 0) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name, err);
		return 1;
	}
	conn = domus_ctl_connect(d.name);
	if (conn < 0) {
		close(fd);
		return answer(cmd, d.name, conn, "");
	}
	snprintf(req, sizeof(req), "block-attach %s", spec);
	r = domus_ctl_request_fds(conn, req, &fd, 1, reply, sizeof(reply), HP_TIMEOUT_MS);
	close(conn);
	close(fd);	/* the launcher has its own copy, with the lock */
	return answer(cmd, d.name, r, reply);
}

static int detach(const struct domus_cmd *cmd, int argc, char **argv, const char *req, const char *what)
{
	char line[128], reply[DOMUS_CTL_LINE_MAX];
	struct domus_dominfo d;
	int r;

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	if (argc - optind != 2)
		return domus_cmd_usage_error(cmd, "give a domain and %s", what);
	if (strlen(argv[optind + 1]) > 40 || strspn(argv[optind + 1], "abcdefghijklmnopqrstuvwxyzABCDEF0123456789:") !=
							   strlen(argv[optind + 1]))
		return domus_cmd_usage_error(cmd, "'%.60s' is not %s", argv[optind + 1], what);
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	snprintf(line, sizeof(line), "%s %s", req, argv[optind + 1]);
	r = domus_ctl_request(d.name, line, reply, sizeof(reply), HP_DETACH_TIMEOUT_MS);
	return answer(cmd, d.name, r, reply);
}

int cmd_block_detach(const struct domus_cmd *cmd, int argc, char **argv)
{
	return detach(cmd, argc, argv, "block-detach", "a vdev (xvdb) or a devid (51728)");
}

struct list_ctx {
	unsigned int domid;
	int bad;
	bool json;		/* --json: one object per device */
	bool *first;		/* no object printed yet */
	const char *name;	/* the domain */
};

/* The start of one device's JSON object: its domain and devid. */
static void json_dev(struct list_ctx *c, unsigned long devid)
{
	printf("%s\n  { \"domain\": ", *c->first ? "" : ",");
	domus_json_str(c->name);
	printf(", \"domid\": %u, \"devid\": %lu", c->domid, devid);
	*c->first = false;
}

static int print_blk_line(void *opaque, char *text)
{
	struct list_ctx *c = opaque;
	struct blk_row b;

	if (parse_blk_row(text, &b)) {
		c->bad = 1;
		return 0;
	}
	if (c->json) {
		json_dev(c, b.devid);
		printf(", \"vdev\": ");
		domus_json_str(b.vdev);
		printf(", \"backend_state\": %d, \"frontend_state\": %lld, \"evtchn\": %lld, \"ring_ref\": %lld, \"backend_path\": ",
		       b.be_state, b.fe_state, b.evtch, b.rref);
		domus_json_str(b.be_path);
		printf(" }");
		return 0;
	}
	printf("%-5lu %-3d %-6u %-5lld %-6lld %-8lld %-30s\n", b.devid, 0, c->domid, b.fe_state, b.evtch, b.rref,
	       b.be_path);
	return 0;
}

/* block-list / network-list: every named domain's devices under one header. */
static int list_cmd(const struct domus_cmd *cmd, int argc, char **argv, const char *req, const char *header,
		    int (*line)(void *opaque, char *text))
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct domus_dominfo d;
	bool json = false, first = true;
	int i, rc = 0, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt != 'j')
			return domus_cmd_bad_option(cmd, "+");
		json = true;
	}
	if (argc - optind < 1)
		return domus_cmd_usage_error(cmd, "give a domain");
	/* every domain is looked up before anything is printed: an unknown
	 * one leaves standard output empty, not a header or "[]" that a
	 * script would take for a domain without devices */
	for (i = optind; i < argc; i++)
		if (domus_cli_find_domain(argv[i], &d))
			return 1;
	printf("%s", json ? "[" : header);
	if (!json)
		putchar('\n');
	fflush(stdout);
	for (i = optind; i < argc; i++) {
		struct list_ctx c = { .json = json, .first = &first };

		if (domus_cli_find_domain(argv[i], &d)) {
			rc = 1;
			continue;
		}
		c.domid = d.id;
		c.name = d.name;
		fflush(stdout);
		rc |= listing(cmd, d.name, req, line, &c);
		if (c.bad) {
			fprintf(stderr, "domus %s: %s: the launcher sent a line not understood\n", cmd->name, d.name);
			rc = 1;
		}
	}
	if (json)
		printf("\n]\n");
	return rc;
}

int cmd_block_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	return list_cmd(cmd, argc, argv, "block-list", "Vdev  BE  handle state evt-ch ring-ref BE-path", print_blk_line);
}

/* ---- vifs ------------------------------------------------------------------- */

struct net_row {
	unsigned int devid;
	char mac[18];
	int be_state;
	long long fe_state, evtch, tx, rx;
	char be_path[128], name[16];
};

static int parse_net_row(const char *text, struct net_row *n)
{
	return sscanf(text, "%u %17s %d %lld %lld %lld %lld %127s %15s", &n->devid, n->mac, &n->be_state,
		      &n->fe_state, &n->evtch, &n->tx, &n->rx, n->be_path, n->name) == 9 ? 0 : -1;
}

struct net_used {
	bool devid[DOMUS_CFG_MAX_VIFS];
	char mac[18];		/* the MAC to attach */
	char mac_user[16];	/* its current user, if any */
};

static int used_net_line(void *opaque, char *text)
{
	struct net_used *u = opaque;
	struct net_row n;

	if (parse_net_row(text, &n))
		return 0;
	if (n.devid < DOMUS_CFG_MAX_VIFS)
		u->devid[n.devid] = true;
	if (!strcmp(n.mac, u->mac))
		snprintf(u->mac_user, sizeof(u->mac_user), "%s", n.name);
	return 0;
}

int cmd_network_attach(const struct domus_cmd *cmd, int argc, char **argv)
{
	char spec[HP_SPEC_MAX], err[400], reply[DOMUS_CTL_LINE_MAX], name[16];
	char req[HP_SPEC_MAX + 64];
	struct domus_dominfo d;
	struct domus_vif vif;
	struct net_used u;
	unsigned int devid;
	int fd, conn, r;

	optind = 1;
	if (getopt(argc, argv, "+") != -1)
		return domus_cmd_bad_option(cmd, "+");
	if (argc - optind < 1)
		return domus_cmd_usage_error(cmd, "give a domain (and the interface's KEY=VALUE settings)");
	if (join_spec(cmd, argc, argv, optind + 1, spec, sizeof(spec)))
		return 1;
	if (domus_vif_parse(spec, &vif, err, sizeof(err))) {
		fprintf(stderr, "domus %s: vif '%.80s': %s\n", cmd->name, spec, err);
		return 1;
	}
	if (vif.notes[0])
		fprintf(stderr, "domus %s: note: %s\n", cmd->name, vif.notes);
	if (domus_cli_find_domain(argv[optind], &d))
		return 1;
	memset(&u, 0, sizeof(u));
	domus_mac_format(vif.mac, u.mac);
	if (listing(cmd, d.name, "network-list", used_net_line, &u))
		return 1;
	if (u.mac_user[0]) {
		fprintf(stderr, "domus %s: %s: mac %s is in use by %s: give another mac= (or none: a random one)\n",
			cmd->name, d.name, u.mac, u.mac_user);
		return 1;
	}
	/* the lowest free index, as Xen picks it */
	for (devid = 0; devid < DOMUS_CFG_MAX_VIFS && u.devid[devid]; devid++)
		;
	if (devid == DOMUS_CFG_MAX_VIFS) {
		fprintf(stderr, "domus %s: %s has %d network interfaces, the most a domain may have: detach one first\n",
			cmd->name, d.name, DOMUS_CFG_MAX_VIFS);
		return 1;
	}
	vif.devid = devid;
	if (net_bridge_check(&vif, err, sizeof(err))) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name, err);
		return 1;
	}
	net_vif_default_name(&vif, d.id, name);
	/* one queue: a hot-plugged vif is served by one ring pair */
	if (net_tap_create(&vif, name, 1, &fd, err, sizeof(err))) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, d.name, err);
		return 1;
	}
	conn = domus_ctl_connect(d.name);
	if (conn < 0) {
		close(fd);
		return answer(cmd, d.name, conn, "");
	}
	snprintf(req, sizeof(req), "network-attach %u %s %s %s", devid, u.mac, name, spec);
	r = domus_ctl_request_fds(conn, req, &fd, 1, reply, sizeof(reply), HP_TIMEOUT_MS);
	close(conn);
	close(fd);	/* the launcher has its own copy: the TAP lives on with it */
	return answer(cmd, d.name, r, reply);
}

int cmd_network_detach(const struct domus_cmd *cmd, int argc, char **argv)
{
	return detach(cmd, argc, argv, "network-detach", "a devid (0) or a MAC (00:16:3e:01:02:03)");
}

static int print_net_line(void *opaque, char *text)
{
	struct list_ctx *c = opaque;
	struct net_row n;

	if (parse_net_row(text, &n)) {
		c->bad = 1;
		return 0;
	}
	if (c->json) {
		json_dev(c, n.devid);
		printf(", \"mac\": ");
		domus_json_str(n.mac);
		printf(", \"ifname\": ");
		domus_json_str(n.name);
		printf(", \"backend_state\": %d, \"frontend_state\": %lld, \"evtchn\": %lld, \"tx_ring_ref\": %lld, \"rx_ring_ref\": %lld, \"backend_path\": ",
		       n.be_state, n.fe_state, n.evtch, n.tx, n.rx);
		domus_json_str(n.be_path);
		printf(" }");
		return 0;
	}
	printf("%-3u %-2d %-17s %6u %5lld %6lld %5lld/%-11lld %-30s\n", n.devid, 0, n.mac, n.devid, n.fe_state,
	       n.evtch, n.tx, n.rx, n.be_path);
	return 0;
}

int cmd_network_list(const struct domus_cmd *cmd, int argc, char **argv)
{
	return list_cmd(cmd, argc, argv, "network-list",
			"Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path", print_net_line);
}
