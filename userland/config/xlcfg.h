/* SPDX-License-Identifier: MIT */
/*
 * xl.cfg parser: the config-file language of Xen's xl (KEY = VALUE lines,
 * "strings" or 'strings', numbers, [lists], # comments) and the keys domus
 * understands so far.  See docs/launcher.md for the accepted keys.
 *
 * Two layers:
 *   - the store: every KEY = VALUE of the file (later settings replace
 *     earlier ones, KEY += VALUE appends), with the line it came from, so
 *     keys of later releases (disk, vif, ...) are kept for whoever needs
 *     them;
 *   - struct domus_config: the typed values of the keys domus uses.
 *
 * Every error is one line, "FILE:LINE: KEY: what is wrong; the fix", in
 * the caller's buffer.  Input is untrusted: the file size, string lengths,
 * list depth and entry counts are bounded.
 */
#ifndef DOMUS_XLCFG_H
#define DOMUS_XLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DOMUS_CFG_MAX_FILE	(1u << 20)	/* bytes of a config file */
#define DOMUS_CFG_MAX_STRING	65536		/* bytes of one string value */
#define DOMUS_CFG_MAX_DEPTH	8		/* nesting of lists */
#define DOMUS_CFG_MAX_ENTRIES	1024		/* keys in one file */
#define DOMUS_CFG_NAME_MAX	63		/* domain name length */
#define DOMUS_CFG_MAX_MEM_MIB	3840		/* DOMUS_PVH_MAX_MEM */
#define DOMUS_CFG_MIN_MEM_MIB	2
#define DOMUS_CFG_MAX_VCPUS	64
#define DOMUS_CFG_DEFAULT_MEM_MIB 256

#define DOMUS_CFG_MAX_DISKS	16		/* disk = [ ... ] entries */

/* One entry of disk = [ ... ] (disk.c, docs/devices.md). */
struct domus_disk {
	char *target;			/* absolute path; NULL: an empty CD drive */
	char vdev[16];			/* as written: xvda, xvda2, hdc, sdb */
	uint32_t devid;			/* Xen's virtual-device number */
	bool readonly;			/* access=r (and every CD) */
	bool cdrom;			/* devtype=cdrom, VDEV:cdrom */
	bool no_discard;		/* no-discard */
	bool backendtype_seen;		/* (parsing) backendtype= given */
	unsigned int line;		/* where it was written */
	const char *file;
};

#define DOMUS_CFG_MAX_VIFS	8		/* vif = [ ... ] entries */
#define DOMUS_VIF_MAX_IPS	8
#define DOMUS_IFNAME_MAX	15		/* IFNAMSIZ - 1 */
#define DOMUS_VIF_DEFAULT_BRIDGE "xenbr0"

/* One entry of vif = [ ... ] (vif.c, docs/devices.md). */
struct domus_vif {
	uint8_t mac[6];			/* given, or random 00:16:3e:(00-7f):xx:xx */
	bool mac_given;
	char bridge[DOMUS_IFNAME_MAX + 1];	/* default DOMUS_VIF_DEFAULT_BRIDGE */
	bool bridge_create;		/* bridge-create=yes */
	char vifname[DOMUS_IFNAME_MAX + 1];	/* "": vif<domid>.<devid> */
	uint32_t ips[DOMUS_VIF_MAX_IPS];	/* ip=, host byte order */
	unsigned int nips;		/* 0: no anti-spoofing filter */
	uint64_t rate_bytes_per_s;	/* rate=, 0: unlimited */
	uint32_t rate_interval_us;
	uint32_t mtu;			/* mtu=, 0: the default (1500) */
	uint32_t devid;			/* its index: device/vif/<devid> */
	char notes[256];		/* keys accepted but not acted on */
	unsigned int line;
	const char *file;
};

enum domus_cfg_vtype {
	DOMUS_CFG_STRING = 1,	/* "..." or '...' */
	DOMUS_CFG_NUMBER,	/* an unquoted atom starting with a digit */
	DOMUS_CFG_LIST,
};

struct domus_cfg_value {
	enum domus_cfg_vtype type;
	char *str;			/* STRING, NUMBER: the text (NUL-terminated) */
	size_t nitems;			/* LIST */
	struct domus_cfg_value **items;
	unsigned int line;
};

struct domus_cfg_entry {
	char *key;
	struct domus_cfg_value *value;
	unsigned int line;
	const char *file;		/* points into struct domus_config */
};

enum domus_cfg_action {
	DOMUS_ACTION_DESTROY = 0,
	DOMUS_ACTION_RESTART,
	DOMUS_ACTION_PRESERVE,
};

/* A set of host CPUs (cpuset.c): cpus=, domus vcpu-pin. */
#define DOMUS_CPUSET_MAX	1024
struct domus_cpuset {
	uint64_t bits[DOMUS_CPUSET_MAX / 64];
};
/* hvmcfg.c: device_model_version (any type) and what an HVM domain may
 * use; 0, or -1 with a one-line @err.  Called by domus_config_finish. */
struct domus_config;
int domus_config_hvm(struct domus_config *c, char *err, size_t errlen);
int domus_config_hvm_disks(struct domus_config *c, char *err, size_t errlen);

/* "all", or "0-3,5,^2" (xl's form); 0, or -1 with a one-line @err. */
int domus_cpuset_parse(const char *str, struct domus_cpuset *set, char *err, size_t errlen);
int domus_cpuset_has(const struct domus_cpuset *set, unsigned int cpu);
/* "all" if every CPU below @ncpus is in, else "0-3,6" of those below @ncpus, or "none". */
void domus_cpuset_format(const struct domus_cpuset *set, unsigned int ncpus, char *buf, size_t len);

enum domus_cfg_type {
	DOMUS_TYPE_PVH = 1,
	DOMUS_TYPE_HVM = 2,	/* a Multiboot kernel, or SeaBIOS (hvmcfg.c) */
};

/* The firmware of an HVM domain without kernel= (Debian's seabios package). */
#define DOMUS_SEABIOS_PATH	"/usr/share/seabios/bios.bin"

struct domus_config {
	/* the store */
	struct domus_cfg_entry *entries;
	size_t nentries;
	char *files[4];			/* names used in messages */
	size_t nfiles;
	bool json;			/* read from the JSON view (PVH its default) */

	/* typed values, valid after domus_config_finish() */
	char name[DOMUS_CFG_NAME_MAX + 1];
	uint64_t memory_mib;
	uint64_t maxmem_mib;		/* >= memory_mib (ballooning up to it) */
	uint32_t vcpus, maxvcpus;	/* vcpus online at boot, maxvcpus created */
	uint32_t max_grant_version;	/* 1 (default) or 2 */
	/* cpus=: the host CPUs of each vCPU (maxvcpus entries), NULL if not set */
	struct domus_cpuset *cpus;
	enum domus_cfg_type type;
	char *kernel, *ramdisk;		/* as written (relative paths allowed) */
	char *cmdline;			/* the effective command line (cmdline, or root= + extra) */
	char *uuid;			/* NULL if not given */
	/* bootloader = "pygrub": the kernel comes from the first disk's own
	 * boot menu (bootloader.c); NULL otherwise.  bootloader_args (or
	 * bootargs) joined with spaces, or NULL. */
	char *bootloader, *bootloader_args;
	/* type = "hvm" without kernel=: the firmware image (hvmcfg.c), as
	 * written; NULL otherwise */
	char *firmware;
	/* its boot order (hvmcfg.c): "c" disk, "d" CD-ROM, "cd" or "dc" */
	char hvm_boot[4];
	/* xen_platform_pci = (hvmcfg.c): the Xen platform PCI device (a
	 * firmware guest: xl's default 1; a Multiboot one: 0) */
	bool xen_platform_pci;
	enum domus_cfg_action on_poweroff, on_reboot, on_crash, on_watchdog, on_soft_reset;
	struct domus_disk disks[DOMUS_CFG_MAX_DISKS];
	size_t ndisks;
	struct domus_vif vifs[DOMUS_CFG_MAX_VIFS];
	size_t nvifs;

	/* warnings and notes, one per line ("FILE:LINE: ..."), or NULL */
	char *warnings;
	size_t warnings_len;
};

void domus_config_init(struct domus_config *c);
void domus_config_free(struct domus_config *c);

/* Parse config text (@len bytes; need not be NUL-terminated) into the
 * store: xl.cfg, or the JSON view when it starts with '{'.  @fname names
 * it in messages.  0, or -1 with @err set. */
int domus_config_parse(struct domus_config *c, const char *text, size_t len,
		       const char *fname, char *err, size_t errlen);
/* Read and parse a file. */
int domus_config_load(struct domus_config *c, const char *path, char *err, size_t errlen);
/* One "KEY=VALUE" from the command line (xl create's extra settings),
 * parsed like a line of the file; "KEY+=VALUE" appends to a list. */
int domus_config_apply(struct domus_config *c, const char *setting, char *err, size_t errlen);
/* Check the store and fill the typed values (defaults for missing keys);
 * adds warnings for ignored keys.  0, or -1 with @err set. */
int domus_config_finish(struct domus_config *c, char *err, size_t errlen);

/* The entry for @key, or NULL. */
const struct domus_cfg_entry *domus_config_get(const struct domus_config *c, const char *key);
const char *domus_config_action_name(enum domus_cfg_action a);
/* Is @name usable as a domain name (also a file name under the run dir)? */
int domus_config_name_ok(const char *name);
/* One disk specification (an entry of disk = [...]) into @d; 0, or -1
 * with a one-line message (without file and line) in @err.  @d->target
 * is allocated: domus_disk_free(). */
int domus_disk_parse(const char *spec, struct domus_disk *d, char *err, size_t errlen);
void domus_disk_free(struct domus_disk *d);
/* One network interface specification (an entry of vif = [...]) into
 * @v (no allocation); a random MAC when none is given.  0, or -1 with a
 * one-line message in @err. */
int domus_vif_parse(const char *spec, struct domus_vif *v, char *err, size_t errlen);
/* "xx:xx:xx:xx:xx:xx" (exactly) into 6 bytes; 0 or -1. */
int domus_mac_parse(const char *s, uint8_t mac[6]);
void domus_mac_format(const uint8_t mac[6], char out[18]);
/* Is @s usable as a network interface name (1-15 of [A-Za-z0-9._-])? */
int domus_ifname_ok(const char *s);
/* A strict dotted quad into a host-order address; 0 or -1. */
int domus_ipv4_parse(const char *s, uint32_t *out);
/* Control characters of a message (echoed input) become '?': one line. */
void domus_cfg_oneline(char *msg);
/* Format an error into @err (one line, domus_cfg_oneline) if given; returns -1. */
int domus_cfg_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Xen's virtual-device number of xvdX[N], hdX[N], sdX[N]; 0, -EINVAL (not
 * a name) or -ERANGE (a name beyond the encodings). */
int domus_vdev_number(const char *vdev, uint32_t *out);

/* Does @text hold the JSON view (its first non-blank byte '{')?  Then
 * domus_config_parse() reads it as JSON (jsoncfg.c), else as xl.cfg. */
int domus_config_is_json(const char *text, size_t len);
/* A finished definition as the JSON view or as xl.cfg text (convert.c);
 * each reads back to the same definition (domus config-convert). */
void domus_config_write_json(const struct domus_config *c, FILE *out);
void domus_config_write_xl(const struct domus_config *c, FILE *out);
/* Do both written forms of @c read back to the same definition (each
 * written again identically, and the other form too)?  0, or -1 with
 * a one-line @err. */
int domus_config_check_written(const struct domus_config *c, char *err, size_t errlen);

/* ---- pygrub-style boot (grubcfg.c, bootloader.c; docs/launcher.md) ---- */
#define DOMUS_GRUB_MAX_CFG	(1u << 20)	/* bytes of grub.cfg, menu.lst, grubenv */
#define DOMUS_GRUB_MAX_ENTRIES	256		/* menu entries and submenus */
#define DOMUS_GRUB_MAX_INITRDS	4
#define DOMUS_GRUB_PATH_MAX	256

/* One boot menu entry. */
struct domus_grub_entry {
	char title[128];
	char id[128];
	char index[32];				/* "2", "1>0": its place in the menu */
	char kernel[DOMUS_GRUB_PATH_MAX];	/* inside the file system */
	char initrd[DOMUS_GRUB_MAX_INITRDS][DOMUS_GRUB_PATH_MAX];
	unsigned int ninitrd;
	char args[2048];			/* the kernel's command line */
};

/* Parse a boot menu (@legacy: GRUB 0.97's menu.lst, else GRUB 2's
 * grub.cfg; @len bytes, hostile) with the variables of @env (grubenv, may
 * be NULL) and pick @want ("N", "N>M", an id or a title; NULL or "": the
 * menu's default, the first entry if that names none).  0, or -1 with a
 * one-line @err. */
int domus_grub_pick(const char *text, size_t len, bool legacy, const char *env, size_t envlen,
		    const char *want, struct domus_grub_entry *out, char *err, size_t errlen);

/* The result of the boot loader: files in a private directory. */
struct domus_boot {
	char *kernel, *ramdisk;		/* ramdisk NULL without an initrd line */
	char *cmdline;			/* the entry's, then the config's (pygrub's --args) */
	struct domus_grub_entry entry;
	char fs[64];			/* where the menu was: "partition 2 (offset 1048576)" */
};

/* pygrub: read the boot menu from the file system in @image (a partition
 * image, or a disk with an MBR or GPT partition table; never mounted),
 * pick the entry (@args: bootloader_args, "--entry=N --kernel=P
 * --ramdisk=P --args=S"), copy its kernel and initrd(s) into @dir (an
 * existing private directory).  @cmdline: the config's command line,
 * appended.  0, or -1 with a one-line @err naming the image and the fix. */
int domus_bootloader_run(const char *image, const char *args, const char *cmdline, const char *dir,
			 struct domus_boot *out, char *err, size_t errlen);
void domus_boot_free(struct domus_boot *b);

/* Print the typed configuration (create -n, tests). */
void domus_config_print(const struct domus_config *c, FILE *out);

#endif
