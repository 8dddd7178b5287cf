// SPDX-License-Identifier: MIT
/*
 * xl.cfg settings (see xlcfg.h): the typed values of the keys domus uses,
 * their checks and defaults (domus_config_finish), the keys it ignores
 * with a warning, and the printout of 'domus create -n'.  The grammar and
 * the parser are in xlcfg.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "xlcfg.h"
#include "xlcfg_int.h"

static void __attribute__((format(printf, 2, 3))) warn(struct domus_config *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;
	char *w;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	w = realloc(c->warnings, c->warnings_len + n + 2);
	if (!w)
		return;
	memcpy(w + c->warnings_len, line, n);
	w[c->warnings_len + n] = '\n';
	w[c->warnings_len + n + 1] = 0;
	c->warnings = w;
	c->warnings_len += n + 1;
}

static int entry_err(const struct domus_cfg_entry *e, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int entry_err(const struct domus_cfg_entry *e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -1;
	n = snprintf(err, errlen, "%s:%u: %s: ", e->file, e->line, e->key);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int get_string(const struct domus_cfg_entry *e, const char **out, char *err, size_t errlen)
{
	if (e->value->type == DOMUS_CFG_LIST)
		return entry_err(e, err, errlen, "expected a string, not a list: write %s = \"...\"", e->key);
	*out = e->value->str;
	return 0;
}

static int get_number(const struct domus_cfg_entry *e, unsigned long long min, unsigned long long max,
		      const char *unit, unsigned long long *out, char *err, size_t errlen)
{
	const char *s = NULL;
	char *end;
	unsigned long long v;

	if (e->value->type == DOMUS_CFG_LIST)
		return entry_err(e, err, errlen, "expected a number, not a list: write %s = N", e->key);
	s = e->value->str;
	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 0) : 0;
	if (!(*s >= '0' && *s <= '9') || *end || errno)
		return entry_err(e, err, errlen, "\"%.40s\" is not a number: write %s = N%s%s", s, e->key,
				 *unit ? " " : "", unit);
	if (v < min || v > max)
		return entry_err(e, err, errlen, "%llu is out of range: give %llu to %llu%s%s", v, min, max,
				 *unit ? " " : "", unit);
	*out = v;
	return 0;
}

/*
 * uuid: 8-4-4-4-12 hex digits (any case; kept in lower case), or absent:
 * a random (version 4) one, as xl makes.  The domain keeps it across
 * reboots.
 */
static int get_uuid(struct domus_config *c, char *err, size_t errlen)
{
	static const char fmt[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	unsigned char b[16];
	size_t i;

	if (c->uuid) {
		bool ok = strlen(c->uuid) == sizeof(fmt) - 1;

		for (i = 0; ok && fmt[i]; i++) {
			char ch = c->uuid[i];

			if (fmt[i] == '-')
				ok = ch == '-';
			else if (ch >= 'A' && ch <= 'F')
				c->uuid[i] = (char)(ch - 'A' + 'a');
			else
				ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
		}
		if (ok && strcmp(c->uuid, "00000000-0000-0000-0000-000000000000"))
			return 0;
		return entry_err(domus_config_get(c, "uuid"), err, errlen,
				 "\"%.40s\" is not a UUID: write uuid = \"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\" (hex digits, not all zero) or drop it for a random one",
				 c->uuid);
	}
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		xlcfg_errf(err, errlen, "no random bytes for the domain's uuid: give uuid = \"...\"");
		return -1;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	c->uuid = malloc(sizeof(fmt));
	if (!c->uuid) {
		xlcfg_errf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(c->uuid, sizeof(fmt), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/*
 * Xen 3.x guests' PV console was xvc0 ("console=xvc0" in extra=); today's
 * kernels call it hvc0.  Mapped, with one warning, rather than a guest
 * that boots without a console.
 */
static void map_old_console(struct domus_config *c)
{
	char *p = c->cmdline;
	bool mapped = false;

	while (p && (p = strstr(p, "console=xvc0")) != NULL) {
		if (p == c->cmdline || p[-1] == ' ') {
			memcpy(p + 8, "hvc0", 4);
			mapped = true;
		}
		p += 12;
	}
	if (mapped) {
		const struct domus_cfg_entry *e = domus_config_get(c, "extra");

		if (!e)
			e = domus_config_get(c, "cmdline");
		warn(c, "%s:%u: warning: console=xvc0 (Xen 3's PV console) is hvc0 in today's kernels: using console=hvc0",
		     e ? e->file : "config", e ? e->line : 0);
	}
}

static int dup_string(const struct domus_config *c, const char *key, char **out, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);
	const char *s = NULL;

	*out = NULL;
	if (!e)
		return 0;
	if (get_string(e, &s, err, errlen))
		return -1;
	*out = strdup(s);
	if (!*out)
		return entry_err(e, err, errlen, "out of memory");
	return 0;
}

const char *domus_config_action_name(enum domus_cfg_action a)
{
	switch (a) {
	case DOMUS_ACTION_DESTROY: return "destroy";
	case DOMUS_ACTION_RESTART: return "restart";
	case DOMUS_ACTION_PRESERVE: return "preserve";
	}
	return "?";
}

static int get_action(struct domus_config *c, const char *key, enum domus_cfg_action def,
		      enum domus_cfg_action *out, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, key);
	const char *s = NULL;

	*out = def;
	if (!e)
		return 0;
	if (get_string(e, &s, err, errlen))
		return -1;
	if (!strcmp(s, "destroy"))
		*out = DOMUS_ACTION_DESTROY;
	else if (!strcmp(s, "restart"))
		*out = DOMUS_ACTION_RESTART;
	else if (!strcmp(s, "preserve"))
		*out = DOMUS_ACTION_PRESERVE;
	else if (!strcmp(s, "rename-restart")) {
		*out = DOMUS_ACTION_RESTART;
		warn(c, "%s:%u: note: %s: rename-restart is done as restart", e->file, e->line, key);
	} else if (!strcmp(s, "coredump-destroy") || !strcmp(s, "coredump-restart")) {
		*out = s[9] == 'd' ? DOMUS_ACTION_DESTROY : DOMUS_ACTION_RESTART;
		warn(c, "%s:%u: warning: %s: no core dumps yet: %s is done as %s", e->file, e->line,
		     key, s, domus_config_action_name(*out));
	} else if (!strcmp(s, "soft-reset")) {
		*out = DOMUS_ACTION_RESTART;
		if (strcmp(key, "on_soft_reset"))
			warn(c, "%s:%u: note: %s: soft-reset is done as restart", e->file, e->line, key);
	} else {
		return entry_err(e, err, errlen,
				 "unknown action \"%.40s\": use destroy, restart, preserve or rename-restart", s);
	}
	return 0;
}

int domus_config_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > DOMUS_CFG_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	/* all digits would be taken for a domain id by the commands */
	return strspn(name, "0123456789") != n;
}

/* Keys of later releases: kept in the store, ignored for now with a warning. */
static const char *const later_keys[][2] = {
	{ "cpus_soft", "no vCPU pinning yet" },
	{ "serial", "PVH guests use the PV console (hvc0)" },
	{ "boot", "HVM only" },
	{ "pool", "no CPU pools" },
	{ "cpu_weight", "no scheduler parameters yet" },
	{ "cap", "no scheduler parameters yet" },
	{ "vfb", "no framebuffer" },
	{ "vnc", "no framebuffer" },
	{ "sdl", "no framebuffer" },
	{ "pci", "no PCI passthrough" },
	{ "usb", "no USB" },
	{ "vtpm", "no vTPM" },
	{ "channel", "no PV channels yet" },
	{ "p9", "no 9pfs yet" },
	{ "device_model_version", "domus's device model is its own, in the launcher" },
	{ "localtime", "PVH guests take the host's wall clock" },
	{ "acpi", "PVH guests always get ACPI tables" },
	{ "xen_platform_pci", "HVM only" },
};

static const char *const used_keys[] = {
	"name", "memory", "maxmem", "vcpus", "maxvcpus", "cpus", "type", "builder", "kernel", "ramdisk",
	"cmdline", "extra", "root", "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
	"on_soft_reset", "uuid", "disk", "vif", "max_grant_version", "bootloader", "bootloader_args", "bootargs",
	"bios", "bios_path_override",
};

bool xlcfg_key_used(const char *key)
{
	size_t k;

	for (k = 0; k < sizeof(used_keys) / sizeof(used_keys[0]); k++)
		if (!strcmp(key, used_keys[k]))
			return true;
	return false;
}

static void warn_ignored(struct domus_config *c)
{
	size_t i, k;

	for (i = 0; i < c->nentries; i++) {
		const struct domus_cfg_entry *e = &c->entries[i];
		if (xlcfg_key_used(e->key))
			continue;
		/* an HVM domain's device model is the launcher's (hvmcfg.c) */
		if (c->type == DOMUS_TYPE_HVM && !strcmp(e->key, "device_model_version"))
			continue;
		/* serial= of an HVM domain: checked there (hvmcfg.c) */
		if (c->type == DOMUS_TYPE_HVM && !strcmp(e->key, "serial"))
			continue;
		/* xen_platform_pci= of an HVM domain (hvmcfg.c) */
		if (c->type == DOMUS_TYPE_HVM && !strcmp(e->key, "xen_platform_pci"))
			continue;
		/* boot= of a firmware guest (hvmcfg.c) */
		if (c->firmware && !strcmp(e->key, "boot"))
			continue;
		for (k = 0; k < sizeof(later_keys) / sizeof(later_keys[0]); k++)
			if (!strcmp(e->key, later_keys[k][0]))
				break;
		if (k < sizeof(later_keys) / sizeof(later_keys[0]))
			warn(c, "%s:%u: warning: %s is ignored for now (%s)", e->file, e->line, e->key,
			     later_keys[k][1]);
		else
			warn(c, "%s:%u: warning: unknown key %s is ignored", e->file, e->line, e->key);
	}
}

/*
 * bootloader = "pygrub" (any path ending in pygrub: xl configs name
 * /usr/lib/xen-4.x/bin/pygrub and the like) and its bootloader_args
 * (or xm's bootargs): a string, or a list kept one item a line.  The
 * launcher runs it (bootloader.c) on the first disk.
 */
static int get_bootloader(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "bootloader");
	const char *s = NULL, *base;
	size_t n = 1, i;

	if (!e)
		return 0;
	if (get_string(e, &s, err, errlen))
		return -1;
	base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
	if (!*s)
		return 0;	/* bootloader = "": none, as xl */
	if (strcmp(base, "pygrub"))
		return entry_err(e, err, errlen, "\"%.60s\" is not supported: write bootloader = \"pygrub\" (domus reads the guest's GRUB menu itself) or give kernel=",
				 s);
	c->bootloader = strdup(s);
	if (!c->bootloader)
		return entry_err(e, err, errlen, "out of memory");
	e = domus_config_get(c, "bootloader_args");
	if (!e)
		e = domus_config_get(c, "bootargs");
	if (e) {
		const struct domus_cfg_value *v = e->value;
		size_t cnt = v->type == DOMUS_CFG_LIST ? v->nitems : 1;

		for (i = 0; i < cnt; i++) {
			const struct domus_cfg_value *it = v->type == DOMUS_CFG_LIST ? v->items[i] : v;

			if (it->type == DOMUS_CFG_LIST)
				return entry_err(e, err, errlen, "entry %zu is a list: write bootloader_args = [ \"--entry=1\" ]", i + 1);
			n += strlen(it->str) + 1;
		}
		c->bootloader_args = calloc(1, n);
		if (!c->bootloader_args)
			return entry_err(e, err, errlen, "out of memory");
		for (i = 0; i < cnt; i++) {
			const struct domus_cfg_value *it = v->type == DOMUS_CFG_LIST ? v->items[i] : v;

			strcat(c->bootloader_args, it->str);
			if (i + 1 < cnt)
				strcat(c->bootloader_args, "\n");
		}
	}
	if (c->kernel || c->ramdisk) {
		e = domus_config_get(c, c->kernel ? "kernel" : "ramdisk");
		warn(c, "%s:%u: warning: kernel= and ramdisk= are ignored because bootloader= is set (the kernel comes from the guest's boot menu; bootloader_args = [ \"--kernel=PATH\" ] names another)",
		     e->file, e->line);
		free(c->kernel);
		free(c->ramdisk);
		c->kernel = c->ramdisk = NULL;
	}
	return 0;
}

/* disk = [ 'SPEC', ... ] (a single string is taken as a list of one). */
static int get_disks(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "disk");
	const struct domus_cfg_value *v;
	size_t i, k, n;
	char msg[256];

	if (!e)
		return 0;
	v = e->value;
	n = v->type == DOMUS_CFG_LIST ? v->nitems : 1;
	if (n > DOMUS_CFG_MAX_DISKS)
		return entry_err(e, err, errlen, "%zu disks: at most %d per domain", n, DOMUS_CFG_MAX_DISKS);
	for (i = 0; i < n; i++) {
		const struct domus_cfg_value *it = v->type == DOMUS_CFG_LIST ? v->items[i] : v;
		struct domus_disk *d = &c->disks[c->ndisks];

		if (it->type != DOMUS_CFG_STRING)
			return entry_err(e, err, errlen, "entry %zu is not a string: write disk = [ 'tap:aio:/path/img,xvda,w' ]",
					 i + 1);
		if (domus_disk_parse(it->str, d, msg, sizeof(msg))) {
			entry_err(e, err, errlen, "entry %zu '%.60s': %s", i + 1, it->str, msg);
			if (err && errlen)
				domus_cfg_oneline(err);
			return -1;
		}
		c->ndisks++;
		d->line = it->line ? it->line : e->line;
		d->file = e->file;
		for (k = 0; k + 1 < c->ndisks; k++)
			if (c->disks[k].devid == d->devid)
				return entry_err(e, err, errlen, "entry %zu: %s is used twice (also by entry %zu): give each disk its own vdev",
						 i + 1, d->vdev, k + 1);
		if (d->cdrom && c->type != DOMUS_TYPE_HVM)
			warn(c, "%s:%u: note: disk %s: a CD-ROM is served to a PVH guest as a read-only disk (Linux ignores PV CD-ROMs in PVH guests)%s",
			     e->file, d->line, d->vdev, d->target ? "" : "; this empty drive is left out");
	}
	return 0;
}

/* maxmem (MiB): at least memory; default memory. */
static int get_maxmem(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "maxmem");
	unsigned long long v;

	c->maxmem_mib = c->memory_mib;
	if (!e)
		return 0;
	if (get_number(e, DOMUS_CFG_MIN_MEM_MIB, DOMUS_CFG_MAX_MEM_MIB, "MiB", &v, err, errlen))
		return -1;
	if (v < c->memory_mib)
		return entry_err(e, err, errlen, "%llu is below memory = %llu: raise maxmem or lower memory",
				 v, (unsigned long long)c->memory_mib);
	c->maxmem_mib = v;
	return 0;
}

/*
 * cpus: one set for every vCPU ("2-3"), or a list with one per vCPU
 * (["0", "1"]; vCPUs past its end may run anywhere).
 */
static int get_cpus(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "cpus");
	const struct domus_cfg_value *val;
	char why[160];
	uint32_t i;

	if (!e)
		return 0;
	val = e->value;
	c->cpus = calloc(c->maxvcpus, sizeof(*c->cpus));
	if (!c->cpus)
		return entry_err(e, err, errlen, "out of memory");
	for (i = 0; i < c->maxvcpus; i++) {
		const struct domus_cfg_value *it = val;

		if (val->type == DOMUS_CFG_LIST) {
			if (i >= val->nitems) {
				memset(c->cpus[i].bits, 0xff, sizeof(c->cpus[i].bits));
				continue;
			}
			it = val->items[i];
			if (it->type == DOMUS_CFG_LIST)
				return entry_err(e, err, errlen, "item %u is a list: give one CPU list string per vCPU, e.g. cpus = [\"0\", \"1\"]", i + 1);
		}
		if (domus_cpuset_parse(it->str, &c->cpus[i], why, sizeof(why)))
			return entry_err(e, err, errlen, "%s", why);
	}
	return 0;
}

/* vif = [ 'SPEC', ... ] (a single string is taken as a list of one). */
static int get_vifs(struct domus_config *c, char *err, size_t errlen)
{
	const struct domus_cfg_entry *e = domus_config_get(c, "vif");
	const struct domus_cfg_value *v;
	size_t i, k, n;
	char msg[256], a[18];

	if (!e)
		return 0;
	v = e->value;
	n = v->type == DOMUS_CFG_LIST ? v->nitems : 1;
	if (n > DOMUS_CFG_MAX_VIFS)
		return entry_err(e, err, errlen, "%zu interfaces: at most %d per domain", n, DOMUS_CFG_MAX_VIFS);
	for (i = 0; i < n; i++) {
		const struct domus_cfg_value *it = v->type == DOMUS_CFG_LIST ? v->items[i] : v;
		struct domus_vif *f = &c->vifs[c->nvifs];

		if (it->type != DOMUS_CFG_STRING)
			return entry_err(e, err, errlen, "entry %zu is not a string: write vif = [ 'mac=00:16:3e:01:02:03,bridge=xenbr0' ]",
					 i + 1);
		if (domus_vif_parse(it->str, f, msg, sizeof(msg))) {
			entry_err(e, err, errlen, "entry %zu '%.60s': %s", i + 1, it->str, msg);
			if (err && errlen)
				domus_cfg_oneline(err);
			return -1;
		}
		c->nvifs++;
		f->devid = (uint32_t)i;
		f->line = it->line ? it->line : e->line;
		f->file = e->file;
		for (k = 0; k + 1 < c->nvifs; k++) {
			if (f->mac_given && !memcmp(c->vifs[k].mac, f->mac, 6)) {
				domus_mac_format(f->mac, a);
				return entry_err(e, err, errlen, "entry %zu: mac %s is used twice (also by entry %zu): give each interface its own",
						 i + 1, a, k + 1);
			}
			if (f->vifname[0] && !strcmp(c->vifs[k].vifname, f->vifname))
				return entry_err(e, err, errlen, "entry %zu: vifname %s is used twice (also by entry %zu)",
						 i + 1, f->vifname, k + 1);
		}
		if (f->notes[0])
			warn(c, "%s:%u: note: vif %zu: %s", e->file, f->line, i, f->notes);
	}
	return 0;
}

int domus_config_finish(struct domus_config *c, char *err, size_t errlen)
{
	size_t di;
	const struct domus_cfg_entry *e;
	unsigned long long v;
	const char *s = NULL, *type = NULL;
	char *extra = NULL, *root = NULL;
	const char *file = c->nfiles ? c->files[0] : "config";

	free(c->kernel);
	free(c->ramdisk);
	free(c->cmdline);
	free(c->uuid);
	free(c->bootloader);
	free(c->bootloader_args);
	c->bootloader = c->bootloader_args = NULL;
	free(c->firmware);
	c->firmware = NULL;
	free(c->warnings);
	free(c->cpus);
	c->cpus = NULL;
	c->kernel = c->ramdisk = c->cmdline = c->uuid = c->warnings = NULL;
	c->warnings_len = 0;
	for (di = 0; di < c->ndisks; di++)
		domus_disk_free(&c->disks[di]);
	c->ndisks = 0;
	c->nvifs = 0;

	/* name */
	e = domus_config_get(c, "name");
	if (!e) {
		xlcfg_errf(err, errlen, "%s: name: missing: add name = \"NAME\"", file);
		return -1;
	}
	if (get_string(e, &s, err, errlen))
		return -1;
	if (!domus_config_name_ok(s))
		return entry_err(e, err, errlen,
				 "\"%.80s\" is not a usable name: 1-%d letters, digits, '-', '_' or '.', not all digits, not starting with '-' or '.'",
				 s, DOMUS_CFG_NAME_MAX);
	if (!strcmp(s, "Domain-0"))
		return entry_err(e, err, errlen, "Domain-0 is the host: choose another name");
	snprintf(c->name, sizeof(c->name), "%s", s);

	/* type / builder */
	c->type = DOMUS_TYPE_PVH;
	e = domus_config_get(c, "type");
	if (e) {
		if (get_string(e, &type, err, errlen))
			return -1;
		if (!strcmp(type, "pv"))
			warn(c, "%s:%u: note: type \"pv\": domus runs PV guests as PVH (the kernel needs CONFIG_PVH, as Debian's has)",
			     e->file, e->line);
		else if (!strcmp(type, "hvm"))
			c->type = DOMUS_TYPE_HVM;
		else if (strcmp(type, "pvh"))
			return entry_err(e, err, errlen, "unknown type \"%.40s\": use type = \"pvh\" or \"hvm\"", type);
	}
	e = domus_config_get(c, "builder");
	if (e) {
		const char *b = NULL;

		if (get_string(e, &b, err, errlen))
			return -1;
		if (!strcmp(b, "hvm") && !type)
			c->type = DOMUS_TYPE_HVM;
		else if (!strcmp(b, "hvm"))
			return entry_err(e, err, errlen, "builder \"hvm\" and type = \"%.10s\" disagree: drop builder", type);
		/* "linux": Xen 3.x's (xm's) name of the PV builder */
		else if (strcmp(b, "generic") && strcmp(b, "linux"))
			return entry_err(e, err, errlen, "unknown builder \"%.40s\": drop it and use type = \"pvh\"", b);
		else if (!type)
			warn(c, "%s:%u: note: builder \"%s\" (PV): domus runs PV guests as PVH (the kernel needs CONFIG_PVH, as Debian's has)",
			     e->file, e->line, b);
	}
	/* neither: xl's default is a PV guest; the JSON view's is PVH */
	if (!type && !e && !c->json)
		warn(c, "%s: note: no type: xl's default is PV; domus runs PV guests as PVH (the kernel needs CONFIG_PVH, as Debian's has; write type = \"pvh\" to silence this)",
		     file);

	/* memory, vCPUs */
	c->memory_mib = DOMUS_CFG_DEFAULT_MEM_MIB;
	e = domus_config_get(c, "memory");
	if (e) {
		if (get_number(e, DOMUS_CFG_MIN_MEM_MIB, DOMUS_CFG_MAX_MEM_MIB, "MiB", &v, err, errlen))
			return -1;
		c->memory_mib = v;
	}
	c->vcpus = 1;
	e = domus_config_get(c, "vcpus");
	if (e) {
		if (get_number(e, 1, DOMUS_CFG_MAX_VCPUS, "", &v, err, errlen))
			return -1;
		c->vcpus = (uint32_t)v;
	}
	c->maxvcpus = c->vcpus;
	e = domus_config_get(c, "maxvcpus");
	if (e) {
		if (get_number(e, 1, DOMUS_CFG_MAX_VCPUS, "", &v, err, errlen))
			return -1;
		if (v < c->vcpus)
			return entry_err(e, err, errlen, "%llu is below vcpus = %u: raise maxvcpus or lower vcpus",
					 v, c->vcpus);
		c->maxvcpus = (uint32_t)v;
	}

	if (get_maxmem(c, err, errlen) || get_cpus(c, err, errlen))
		goto fail;
	/*
	 * max_grant_version: 1 unless the config says 2 (Xen's default is 2,
	 * but a PVH Linux that asks for v2 -- grant_table.version=2 -- never
	 * maps the status frames and oopses at its first revocation; with 1
	 * it is told -ENOSYS and keeps v1: docs/pv.md "Grant tables")
	 */
	c->max_grant_version = 1;
	e = domus_config_get(c, "max_grant_version");
	if (e) {
		if (get_number(e, 1, 2, "", &v, err, errlen))
			goto fail;
		c->max_grant_version = (uint32_t)v;
	}

	/* kernel, ramdisk, command line */
	if (dup_string(c, "kernel", &c->kernel, err, errlen) ||
	    dup_string(c, "ramdisk", &c->ramdisk, err, errlen) ||
	    dup_string(c, "cmdline", &c->cmdline, err, errlen) ||
	    dup_string(c, "extra", &extra, err, errlen) ||
	    dup_string(c, "root", &root, err, errlen) ||
	    dup_string(c, "uuid", &c->uuid, err, errlen) || get_uuid(c, err, errlen))
		goto fail;
	if (get_bootloader(c, err, errlen) || domus_config_hvm(c, err, errlen))
		goto fail;
	if (!c->bootloader && !c->firmware && (!c->kernel || !*c->kernel)) {
		e = domus_config_get(c, "kernel");
		if (e)
			entry_err(e, err, errlen, "empty: give the path of a PVH-capable kernel, e.g. kernel = \"/boot/vmlinuz-6.1.0-28-amd64\"");
		else
			xlcfg_errf(err, errlen, "%s: kernel: missing: add kernel = \"/boot/vmlinuz-...\" (direct kernel boot)", file);
		goto fail;
	}
	if (c->ramdisk && !*c->ramdisk) {
		free(c->ramdisk);
		c->ramdisk = NULL;
	}
	if (c->cmdline) {
		if (root || extra) {
			e = domus_config_get(c, root ? "root" : "extra");
			warn(c, "%s:%u: warning: root= and extra= are ignored because cmdline= is set",
			     e->file, e->line);
		}
	} else {
		size_t n = (root ? strlen(root) + 6 : 0) + (extra ? strlen(extra) : 0) + 1;

		c->cmdline = malloc(n);
		if (!c->cmdline) {
			xlcfg_errf(err, errlen, "%s: out of memory", file);
			goto fail;
		}
		snprintf(c->cmdline, n, "%s%s%s%s", root ? "root=" : "", root ? root : "",
			 root && extra ? " " : "", extra ? extra : "");
	}
	free(extra);
	free(root);
	extra = root = NULL;
	map_old_console(c);

	/* actions */
	if (get_action(c, "on_poweroff", DOMUS_ACTION_DESTROY, &c->on_poweroff, err, errlen) ||
	    get_action(c, "on_reboot", DOMUS_ACTION_RESTART, &c->on_reboot, err, errlen) ||
	    get_action(c, "on_crash", DOMUS_ACTION_DESTROY, &c->on_crash, err, errlen) ||
	    get_action(c, "on_watchdog", DOMUS_ACTION_DESTROY, &c->on_watchdog, err, errlen) ||
	    get_action(c, "on_soft_reset", DOMUS_ACTION_RESTART, &c->on_soft_reset, err, errlen))
		goto fail;

	if (get_disks(c, err, errlen) || domus_config_hvm_disks(c, err, errlen) || get_vifs(c, err, errlen))
		goto fail;
	if (c->bootloader && (!c->ndisks || !c->disks[0].target)) {
		e = domus_config_get(c, "bootloader");
		entry_err(e, err, errlen, "pygrub reads the boot menu of the first disk: add disk = [ 'tap:aio:/path/img,xvda,w' ] (not an empty CD drive first) or give kernel=");
		goto fail;
	}
	warn_ignored(c);
	return 0;
fail:
	free(extra);
	free(root);
	return -1;
}

void domus_config_print(const struct domus_config *c, FILE *out)
{
	fprintf(out, "name        %s\n", c->name);
	fprintf(out, "type        %s\n", c->type == DOMUS_TYPE_HVM ? "hvm" : "pvh");
	fprintf(out, "memory      %llu\n", (unsigned long long)c->memory_mib);
	fprintf(out, "maxmem      %llu\n", (unsigned long long)c->maxmem_mib);
	fprintf(out, "vcpus       %u\n", c->vcpus);
	fprintf(out, "maxvcpus    %u\n", c->maxvcpus);
	if (c->cpus) {
		char buf[256];
		uint32_t i;

		for (i = 0; i < c->maxvcpus; i++) {
			domus_cpuset_format(&c->cpus[i], DOMUS_CPUSET_MAX, buf, sizeof(buf));
			fprintf(out, "cpus[%u]     %s\n", i, buf);
		}
	}
	if (c->bootloader) {
		fprintf(out, "bootloader  %s", c->bootloader);
		if (c->bootloader_args)
			fputc(' ', out);
		for (const char *a = c->bootloader_args; a && *a; a++)
			fputc(*a == '\n' ? ' ' : *a, out);
		fprintf(out, "\n");
	}
	fprintf(out, "kernel      %s\n", c->kernel ? c->kernel : "");
	fprintf(out, "ramdisk     %s\n", c->ramdisk ? c->ramdisk : "");
	fprintf(out, "cmdline     %s\n", c->cmdline ? c->cmdline : "");
	if (c->uuid)
		fprintf(out, "uuid        %s\n", c->uuid);
	fprintf(out, "on_poweroff %s\n", domus_config_action_name(c->on_poweroff));
	fprintf(out, "on_reboot   %s\n", domus_config_action_name(c->on_reboot));
	fprintf(out, "on_crash    %s\n", domus_config_action_name(c->on_crash));
	fprintf(out, "on_watchdog %s\n", domus_config_action_name(c->on_watchdog));
	for (size_t i = 0; i < c->ndisks; i++)
		fprintf(out, "disk        %s %u %s%s %s\n", c->disks[i].vdev, c->disks[i].devid,
			c->disks[i].readonly ? "r" : "w", c->disks[i].cdrom ? " cdrom" : "",
			c->disks[i].target ? c->disks[i].target : "(empty)");
	for (size_t i = 0; i < c->nvifs; i++) {
		const struct domus_vif *f = &c->vifs[i];
		char a[18];

		domus_mac_format(f->mac, a);
		fprintf(out, "vif         %u mac=%s%s bridge=%s%s", f->devid, a, f->mac_given ? "" : " (random)",
			f->bridge, f->bridge_create ? " (created if missing)" : "");
		if (f->vifname[0])
			fprintf(out, " vifname=%s", f->vifname);
		for (unsigned int k = 0; k < f->nips; k++)
			fprintf(out, "%s%u.%u.%u.%u", k ? " " : " ip=", f->ips[k] >> 24, (f->ips[k] >> 16) & 255,
				(f->ips[k] >> 8) & 255, f->ips[k] & 255);
		if (f->rate_bytes_per_s)
			fprintf(out, " rate=%lluB/s@%uus", (unsigned long long)f->rate_bytes_per_s, f->rate_interval_us);
		if (f->mtu)
			fprintf(out, " mtu=%u", f->mtu);
		fprintf(out, "\n");
	}
}

