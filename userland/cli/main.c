// SPDX-License-Identifier: MIT
/*
 * domus: the xl-style command line.  Commands live in one table
 * (domus_cmds below); this file only parses the global options and dispatches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include "cli.h"
#include "libdomus.h"

static void print_help(FILE *out)
{
	const struct domus_cmd *c;

	fprintf(out, "Usage: domus [--help] [--version] <command> [args]\n\n"
		"Commands:\n");
	for (c = domus_cmds; c->name; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->help);
	fprintf(out, "\n'domus help <command>' shows a command's usage.\n");
}

const struct domus_cmd *domus_cmd_find(const char *name)
{
	const struct domus_cmd *c;

	for (c = domus_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int domus_cmd_usage_error(const struct domus_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "domus %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: domus %s%s%s\n", cmd->name,
		*cmd->usage ? " " : "", cmd->usage);
	return 1;
}

void domus_cmd_print_usage(const struct domus_cmd *cmd, FILE *out)
{
	fprintf(out, "Usage: domus %s%s%s\n\n%s\n\n", cmd->name, *cmd->usage ? " " : "",
		cmd->usage, cmd->help);
	fprintf(out, "Options and arguments:\n%s  -h, --help   show this help\n", cmd->options);
}

int domus_cmd_bad_option(const struct domus_cmd *cmd, const char *optstring)
{
	const char *o = optopt ? strchr(optstring, optopt) : NULL;

	if (o && o[1] == ':')
		return domus_cmd_usage_error(cmd, "option '-%c' needs an argument", optopt);
	if (optopt)
		return domus_cmd_usage_error(cmd, "unknown option '-%c'", optopt);
	return domus_cmd_usage_error(cmd, "unknown option");
}

/* Does the command line ask for help (-h or --help before a "--")? */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

static int cmd_help(const struct domus_cmd *cmd, int argc, char **argv)
{
	const struct domus_cmd *c;

	if (argc == 1) {
		print_help(stdout);
		return 0;
	}
	if (argc != 2)
		return domus_cmd_usage_error(cmd, "too many arguments");
	c = domus_cmd_find(argv[1]);
	if (!c)
		return domus_cmd_usage_error(cmd, "unknown command '%s'", argv[1]);
	domus_cmd_print_usage(c, stdout);
	return 0;
}

const struct domus_cmd domus_cmds[] = {
	{ "help", cmd_help, "show commands, or one command's usage", "[command]",
	  "  command      the command to explain (default: list every command)\n" },
	{ "info", cmd_info, "show domus and host virtualization information", "[--json]",
	  "  --json       a JSON object instead (the same fields, and \"problems\": a list)\n"
	  "               reports the module, the CPU's virtualization support and,\n"
	  "               if domus cannot run here, why\n" },
	{ "create", cmd_create, "create a domain from an xl config file", "[-c] [-e] [-n] [-p] [-q] CFG [KEY=VALUE...]",
	  "  -c           attach to the domain's console once it runs (as 'domus console')\n"
	  "  -n           dry run: parse and check the config, print the resulting\n"
	  "               domain settings, create nothing\n"
	  "  -q           quiet (accepted for xl compatibility; create prints nothing\n"
	  "               on success anyway)\n"
	  "  -p           leave the domain paused (no vCPU runs until 'domus unpause')\n"
	  "  -e           an HVM domain: return once it runs instead of waiting for its\n"
	  "               end and returning its exit code (as xl's -e)\n"
	  "  CFG          the xl config file (docs/cli.md lists the keys understood)\n"
	  "  KEY=VALUE    config lines applied after CFG, e.g. memory=512\n" },
	{ "save", cmd_save, "save a running HVM domain to a file (Xen's xl save format)", "[-c] NAME FILE",
	  "  -c           leave the domain running after the save (else it is destroyed\n"
	  "               once FILE is complete)\n"
	  "  NAME         the domain (a name or id)\n"
	  "  FILE         the save file: written next to it first, fsync'd, then renamed\n" },
	{ "restore", cmd_restore, "create a domain from a save file and run it where it stopped",
	  "[-c] [-e] [-p] FILE [KEY=VALUE...]",
	  "  -c           attach to the domain's console once it runs\n"
	  "  -e           an HVM domain: return once it runs instead of waiting for its\n"
	  "               end and returning its exit code (as create -e)\n"
	  "  -p           leave the domain paused\n"
	  "  FILE         a file of 'domus save' (validated whole before anything starts)\n"
	  "  KEY=VALUE    settings applied over the config in the file\n" },
	{ "migrate", cmd_migrate, "move a running HVM domain to another host, live (as xl migrate)",
	  "[-s SSHCOMMAND] [--live] NAME HOST",
	  "  -s CMD       run the receiver with CMD instead of ssh: 'CMD HOST domus\n"
	  "               migrate-receive' (with -s \"\" HOST is the whole command)\n"
	  "  --live       accepted for xl compatibility: migration is always live\n"
	  "  NAME         the domain (a name or id); it runs on here if anything fails\n"
	  "  HOST         where to: the domain is destroyed here once it runs there\n" },
	{ "migrate-receive", cmd_migrate_receive, "the receiving end of domus migrate (stream on stdin)", "",
	  "  (run by domus migrate over ssh; talks xl's handshake on stdin/stdout)\n" },
	{ "config-convert", cmd_config_convert, "convert a domain definition: xl.cfg, the JSON view, libvirt's domain XML",
	  "[-t json|xl|xml] [-o OUT] CFG [KEY=VALUE...]",
	  "  -t FORMAT    (also --to) json, xl or xml (default: xl -> json, json -> xl,\n"
	  "               xml -> xl)\n"
	  "  -o OUT       (also --output) write OUT (replaced once complete) instead of\n"
	  "               standard output\n"
	  "  CFG          an xl config file, a JSON definition (starts with '{') or a\n"
	  "               domain XML (starts with '<', as virsh dumpxml writes it)\n"
	  "  KEY=VALUE    config lines applied after CFG, as for create\n" },
	{ "list", cmd_list, "list domains (the host first, as Domain-0)", "[-a] [-l] [-v] [NAME...]",
	  "  -a           (also --all) add the defined domains that do not run\n"
	  "               (CONF_DIR/NAME.cfg), id '-' and state 'shut off', as virsh list --all\n"
	  "  -l           (also --json, --long) a JSON array of the domains instead of the table\n"
	  "  -v           (also --verbose) add each domain's UUID and shutdown reason code\n"
	  "  NAME         list only these domains (name or id); an unknown one is an error\n" },
	{ "rename", cmd_rename, "give a running domain a new name", "NAME NEWNAME",
	  "  NAME         the domain (name or id)\n"
	  "  NEWNAME      its new name (the config's rules); its socket, logs and\n"
	  "               xenstore name follow\n" },
	{ "domid", cmd_domid, "print a domain's id", "NAME",
	  "  NAME         the domain's name\n" },
	{ "domname", cmd_domname, "print a domain's name", "ID",
	  "  ID           the domain's id\n" },
	{ "uuid", cmd_uuid, "print a domain's UUID (the config's uuid, else a random one)", "NAME",
	  "  NAME         the domain (name or id)\n" },
	{ "uptime", cmd_uptime, "show how long domains have run", "[-s] [--json] [NAME...]",
	  "  -s           short form: \"HH:MM:SS up UPTIME, NAME (ID)\"\n"
	  "  --json       a JSON array instead (uptime in seconds)\n"
	  "  NAME         only these domains (name or id); default: the host and every domain\n" },
	{ "console", cmd_console, "attach to a domain's console (Ctrl-] detaches)", "[-f] [-t pv] [-n 0] NAME",
	  "  -f           take the console over from the client that holds it (it is\n"
	  "               disconnected)\n"
	  "  -t pv        console type: only the PV console exists\n"
	  "  -n 0         console number: only console 0 exists\n"
	  "  NAME         the domain (name or id)\n" },
	{ "shutdown", cmd_shutdown, "ask a domain to shut down", "[-a] [-w] [-F] [NAME]",
	  "  -a           every domain (then no NAME)\n"
	  "  -w           wait until the domain has shut down\n"
	  "  -F           fall back to an ACPI power button (accepted for xl\n"
	  "               compatibility; domus always asks through xenstore)\n"
	  "  NAME         the domain (name or id)\n" },
	{ "reboot", cmd_reboot, "ask a domain to reboot", "[-a] [-w] [-F] [NAME]",
	  "  -a           every domain (then no NAME)\n"
	  "  -w           wait until the domain runs again (as a new domain id)\n"
	  "  -F           accepted for xl compatibility (domus always asks through xenstore)\n"
	  "  NAME         the domain (name or id)\n" },
	{ "destroy", cmd_destroy, "terminate a domain at once", "NAME",
	  "  NAME         the domain (name or id)\n" },
	{ "auto-start", cmd_auto_start, "create the domains of the autostart directory (at boot)", "[-d DIR]",
	  "  -d DIR       the directory of configs (default $DOMUS_AUTO_DIR or\n"
	  "               /etc/domus/auto); those already running are skipped\n" },
	{ "auto-stop", cmd_auto_stop, "power off every domain, destroy what is left (at shutdown)", "[-t SECS]",
	  "  -t SECS      how long to wait for the guests (default $DOMUS_STOP_TIMEOUT\n"
	  "               or 300); then the rest are destroyed\n" },
	{ "top", cmd_top, "show the domains' CPU, memory, network and disk use, refreshed (as xentop)",
	  "[-b] [-d SECS] [-n N] [--json]",
	  "  -b           batch: plain frames one after another (for scripts), no screen clearing\n"
	  "  --json       each frame as one line of JSON (JSON Lines; implies -b): time and\n"
	  "               domains, each with xentop's columns as named fields\n"
	  "  -d SECS      seconds between frames (default 3)\n"
	  "  -n N         stop after N frames (also -i N, as xentop)\n" },
	{ "dmesg", cmd_dmesg, "show the module's messages from the host's kernel log", "[-c]",
	  "  -c           (refused: domus does not clear the host's kernel log)\n" },
	{ "logs", cmd_logs, "show a domain's log (also of a domain that is gone)", "[-c] NAME",
	  "  -c           the console log (NAME-console.log) instead of the launcher's\n"
	  "  NAME         the domain's name, or the id of a running one\n" },
	{ "pause", cmd_pause, "pause a domain: its vCPUs stop running guest code", "NAME",
	  "  NAME         the domain (name or id); its devices and timers go on\n" },
	{ "unpause", cmd_unpause, "let a paused domain run again", "NAME",
	  "  NAME         the domain (name or id)\n" },
	{ "stats", cmd_stats, "show a domain's exit counters (per exit reason)", "[-a] [--json] NAME",
	  "  -a           also the counters that are zero\n"
	  "  --json       a JSON object instead: the domain and every counter\n"
	  "  NAME         the domain (name or id)\n" },
	{ "create-image", cmd_create_image, "build a Debian guest's disk images and its xl config (as xen-create-image)",
	  "--hostname NAME [--size SIZE] [--memory SIZE] [--swap SIZE] [--dist DIST] [--dir DIR|--lvm VG] [--ip ADDR/PREFIX [--gateway ADDR]|--dhcp] [--password PW|--password-file FILE] [--bridge BR] [--kver VERSION] [--force]",
	  "  --hostname NAME  the guest's host name and domain name (the config is\n"
	  "               CONF_DIR/NAME.cfg: $DOMUS_CONF_DIR or /etc/domus)\n"
	  "  --size SIZE  the root disk (default 2G; a number with M or G)\n"
	  "  --memory SIZE  the guest's memory (default 512M: the stock initramfs needs it)\n"
	  "  --swap SIZE  the swap disk (default 128M; 0: none)\n"
	  "  --dist DIST  the distribution: bookworm (Debian 12, the default) only\n"
	  "  --dir DIR    the images go in DIR/domains/NAME/ (default /var/lib/domus)\n"
	  "  --lvm VG     the disks are logical volumes NAME-disk, NAME-swap of VG instead\n"
	  "  --ip ADDR/PREFIX  a static address for eth0 (also --gateway ADDR)\n"
	  "  --dhcp       eth0 by DHCP (the default)\n"
	  "  --password PW  root's password (--password-file FILE: the first line of FILE);\n"
	  "               without one root cannot log in with a password\n"
	  "  --bridge BR  the bridge of the guest's vif (default xenbr0)\n"
	  "  --kver VERSION  the guest kernel (default: the newest installed *-amd64)\n"
	  "  --force      replace an existing config and images of NAME\n" },
	{ "clone", cmd_clone, "copy a domain: its disks (reflink, LVM snapshot or sparse), new name, uuid, MACs",
	  "SRC NEW",
	  "  SRC          the domain's name (its config CONF_DIR/SRC.cfg) or its config file;\n"
	  "               a running SRC only if its disks can be reflinked or snapshotted\n"
	  "  NEW          the clone's name: its config is written next to SRC's\n" },
	{ "backup", cmd_backup, "back a domain's disks and config up into a directory, consistently",
	  "[--keep N] NAME DIR",
	  "  --keep N     keep the newest N backups of NAME in DIR, remove older ones\n"
	  "  NAME         the domain's name (its config CONF_DIR/NAME.cfg) or its config file;\n"
	  "               a running domain is paused while its disks are snapshotted or copied\n"
	  "  DIR          an existing directory: the backup is DIR/NAME-YYYYMMDD-HHMMSS/\n" },
	{ "xenstore-ls", cmd_xenstore_ls, "show a domain's xenstore as a tree (every domain's without one)",
	  "[-f] [-p] [--json] [DOMAIN [PATH]]",
	  "  -f           full paths instead of the indented tree\n"
	  "  -p           each node's permissions, e.g. (n0,r1)\n"
	  "  --json       a JSON array instead, one object per node: path, value\n"
	  "               (each byte one character) and perms\n"
	  "  DOMAIN       the domain (name or id); none: every domain's store, merged\n"
	  "  PATH         the subtree to show (default /); relative to /local/domain/<id>\n" },
	{ "xenstore-read", cmd_xenstore_read, "print the values of xenstore nodes", "[-r] DOMAIN PATH...",
	  "  -r           the raw bytes (default: non-printable bytes as \\xNN, \\ and \\\" escaped)\n"
	  "  DOMAIN       the domain (name or id)\n"
	  "  PATH         a node, absolute or relative to /local/domain/<id>\n" },
	{ "xenstore-write", cmd_xenstore_write, "write xenstore nodes (as domain 0)", "DOMAIN PATH VALUE...",
	  "  DOMAIN       the domain (name or id)\n"
	  "  PATH VALUE   a node and its new value (at most 4096 bytes); missing parents\n"
	  "               are created; repeat for more nodes\n" },
	{ "xenstore-rm", cmd_xenstore_rm, "remove xenstore nodes and everything below them", "DOMAIN PATH...",
	  "  DOMAIN       the domain (name or id)\n"
	  "  PATH         a node to remove (with its subtree)\n" },
	{ "xenstore-list", cmd_xenstore_list, "list the children of a xenstore node", "DOMAIN PATH",
	  "  DOMAIN       the domain (name or id)\n"
	  "  PATH         the node whose child names to print, one a line\n" },
	{ "xenstored", cmd_xenstored, "serve every domain's xenstore on xenstored's socket (Xen's own tools)",
	  "[--socket PATH]",
	  "  --socket PATH  listen on PATH (default: $XENSTORED_PATH, else\n"
	  "               $XENSTORED_RUNDIR/socket, else /var/run/xenstored/socket, where\n"
	  "               libxenstore looks); mode 0600: root only\n"
	  "               runs in the foreground until SIGTERM; docs/xenstore.md\n" },
	{ "mem-set", cmd_mem_set, "set a domain's memory target (its balloon driver follows)", "NAME SIZE",
	  "  NAME         the domain (name or id)\n"
	  "  SIZE         the target: a number with a unit k, m, g (no unit: KiB);\n"
	  "               at most the domain's maxmem\n" },
	{ "mem-max", cmd_mem_max, "set the most memory a domain may take back", "NAME SIZE",
	  "  NAME         the domain (name or id)\n"
	  "  SIZE         the maximum: a number with a unit k, m, g (no unit: KiB)\n" },
	{ "vcpu-set", cmd_vcpu_set, "set how many of a domain's vCPUs are online", "NAME N",
	  "  NAME         the domain (name or id)\n"
	  "  N            vCPUs 0 .. N-1 online, the others offline (1 to maxvcpus)\n" },
	{ "vcpu-pin", cmd_vcpu_pin, "pin a domain's vCPU to host CPUs", "NAME VCPU CPUS",
	  "  NAME         the domain (name or id)\n"
	  "  VCPU         the vCPU number, or all\n"
	  "  CPUS         host CPUs: all, or numbers and ranges (\"0-3,^2\")\n" },
	{ "vcpu-list", cmd_vcpu_list, "list the vCPUs of domains", "[--json] [NAME...]",
	  "  --json       a JSON array instead, one object per vCPU\n"
	  "  NAME         list only these domains (name or id)\n" },
	{ "block-attach", cmd_block_attach, "attach a disk to a running domain", "DOMAIN DISKSPEC...",
	  "  DOMAIN       the domain (name or id)\n"
	  "  DISKSPEC     a disk as in the config's disk = [ ... ], e.g.\n"
	  "               'tap:aio:/srv/data.img,xvdb,w' (or its parts as arguments)\n" },
	{ "block-detach", cmd_block_detach, "detach a disk from a running domain", "DOMAIN VDEV|DEVID",
	  "  DOMAIN       the domain (name or id)\n"
	  "  VDEV|DEVID   the disk: its vdev (xvdb) or devid (51728, as block-list shows);\n"
	  "               the guest gets 10 s to let go, then the disk is removed by force\n" },
	{ "block-list", cmd_block_list, "list the disks of domains", "[--json] DOMAIN...",
	  "  --json       a JSON array instead, one object per disk\n"
	  "  DOMAIN       the domains (name or id)\n" },
	{ "network-attach", cmd_network_attach, "attach a network interface to a running domain",
	  "DOMAIN [KEY=VALUE...]",
	  "  DOMAIN       the domain (name or id)\n"
	  "  KEY=VALUE    the interface as in the config's vif = [ ... ]: mac=, bridge=,\n"
	  "               ip=, vifname=, rate=, mtu=, bridge-create=yes ...\n" },
	{ "network-detach", cmd_network_detach, "detach a network interface from a running domain",
	  "DOMAIN DEVID|MAC",
	  "  DOMAIN       the domain (name or id)\n"
	  "  DEVID|MAC    the interface: its index (as network-list shows) or MAC;\n"
	  "               the guest gets 10 s to let go, then it is removed by force\n" },
	{ "network-list", cmd_network_list, "list the network interfaces of domains", "[--json] DOMAIN...",
	  "  --json       a JSON array instead, one object per interface\n"
	  "  DOMAIN       the domains (name or id)\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	const struct domus_cmd *c;

	if (argc < 2) {
		fprintf(stderr, "domus: no command given\n");
		print_help(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("domus %s (API %d)\n", DOMUS_VERSION, DOMUS_API_VERSION);
		return 0;
	}
	c = domus_cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "domus: unknown command '%s'\n", argv[1]);
		print_help(stderr);
		return 1;
	}
	if (wants_help(argc - 1, argv + 1)) {
		domus_cmd_print_usage(c, stdout);
		return 0;
	}
	opterr = 0;	/* commands report bad options with their usage */
	return c->fn(c, argc - 1, argv + 1);
}
