// SPDX-License-Identifier: MIT
/*
 * xl.cfg disk specifications (xl-disk-configuration(5)): one entry of
 * disk = [ ... ] into a struct domus_disk, and virtual device names
 * (xvdX, xvdXN, hdX, sdX) into Xen's virtual-device numbers
 * (../shared/docs/pv-devices.md §1.5).  See docs/devices.md.
 *
 * Accepted forms:
 *   positional   TARGET,VDEV,ACCESS  or  TARGET,FORMAT,VDEV[,ACCESS]
 *   prefixes     phy:, file:, tap:aio:, tap2:aio:, tap:tapdisk:aio:,
 *                aio:, raw: on a positional target (all served the same
 *                way); target= is the path as it is (as in xl)
 *   key=value    target= (last: it takes the rest, commas included),
 *                vdev=, access=, format=raw, devtype=cdrom|disk,
 *                backendtype=phy|tap|qdisk, discard, no-discard,
 *                direct-io-safe, specification=xen
 *   VDEV:cdrom   the old spelling of devtype=cdrom (positional only)
 * Errors are one line naming the entry's problem and the fix; the caller
 * prefixes file, line and key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

int domus_cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		domus_cfg_oneline(err);
	}
	return -1;
}

void domus_cfg_oneline(char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
			*msg = '?';
}

/* "12" -> 12; no sign, no leading zero, at most @max. */
static int small_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

int domus_vdev_number(const char *vdev, uint32_t *out)
{
	unsigned long disk = 0, part = 0;
	const char *p;

	if (!strncmp(vdev, "xvd", 3)) {
		/* letters like spreadsheet columns: a..z, aa..., then the partition */
		for (p = vdev + 3; *p >= 'a' && *p <= 'z'; p++) {
			disk = disk * 26 + (unsigned long)(*p - 'a' + 1);
			if (disk > (1ul << 20))
				return -ERANGE;
		}
		if (p == vdev + 3)
			return -EINVAL;
		disk--;
		if (*p && small_number(p, 255, &part))
			return -EINVAL;
		if (disk < 16 && part < 16)
			*out = (202u << 8) | (uint32_t)(disk << 4) | (uint32_t)part;
		else
			*out = (1u << 28) | (uint32_t)(disk << 8) | (uint32_t)part;
		return 0;
	}
	if (!strncmp(vdev, "hd", 2) || !strncmp(vdev, "sd", 2)) {
		bool ide = vdev[0] == 'h';

		if (vdev[2] < 'a' || vdev[2] > (ide ? 'd' : 'p'))
			return -ERANGE;
		disk = (unsigned long)(vdev[2] - 'a');
		if (vdev[3] && small_number(vdev + 3, ide ? 63 : 15, &part))
			return -EINVAL;
		if (!ide)
			*out = (8u << 8) | (uint32_t)(disk << 4) | (uint32_t)part;
		else
			*out = ((disk < 2 ? 3u : 22u) << 8) | (uint32_t)((disk & 1) << 6) | (uint32_t)part;
		return 0;
	}
	return -EINVAL;
}

static const char *const raw_prefixes[] = {
	"tap:tapdisk:aio:", "tap2:tapdisk:aio:", "tapdisk:aio:", "tap:aio:", "tap2:aio:",
	"tap:raw:", "phy:", "file:", "aio:", "raw:",
};
static const char *const other_formats[] = { "qcow", "qcow2", "vhd", "qed", "vdi", "vmdk" };

static bool is_other_format(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(other_formats) / sizeof(other_formats[0]); i++)
		if (strlen(other_formats[i]) == n && !strncmp(s, other_formats[i], n))
			return true;
	return false;
}

/* Strip the deprecated prefix (phy:, tap:aio:, ...) off a target. */
static int strip_prefix(const char **target, char *err, size_t errlen)
{
	const char *t = *target, *c;
	size_t i;

	for (i = 0; i < sizeof(raw_prefixes) / sizeof(raw_prefixes[0]); i++) {
		size_t n = strlen(raw_prefixes[i]);

		if (!strncmp(t, raw_prefixes[i], n)) {
			*target = t + n;
			return 0;
		}
	}
	/* tap:qcow2:, tap2:vhd:, qcow2: ... */
	c = t;
	if (!strncmp(c, "tap:", 4) || !strncmp(c, "tap2:", 5))
		c = strchr(c, ':') + 1;
	if (strchr(c, ':') && is_other_format(c, (size_t)(strchr(c, ':') - c)))
		return domus_cfg_err(err, errlen,
			    "only raw images are served: convert it (qemu-img convert -O raw IMG IMG.raw) and use 'tap:aio:IMG.raw,...'");
	if (t[0] != '/' && strchr(t, ':'))
		return domus_cfg_err(err, errlen,
			    "unknown prefix in '%.60s': use phy:, file:, tap:aio: or tap2:aio:, or target=PATH", t);
	return 0;
}

static int set_access(struct domus_disk *d, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "r") || !strcmp(v, "ro"))
		d->readonly = true;
	else if (!*v || !strcmp(v, "w") || !strcmp(v, "rw") || !strcmp(v, "w!"))	/* empty: the default, as xl */
		d->readonly = false;
	else
		return domus_cfg_err(err, errlen, "access '%.20s' is not r, ro, w or rw: write access=r or access=rw", v);
	return 0;
}

/* @positional: the VDEV field of TARGET,VDEV,ACCESS, where xl reads
 * VDEV:cdrom; vdev= takes the name only (xl keeps "hdc:cdrom" there as
 * the device name, which libxl then refuses). */
static int set_vdev(struct domus_disk *d, const char *v, bool positional, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	int r;

	if (d->vdev[0])		/* xl refuses a second one too */
		return domus_cfg_err(err, errlen, "vdev '%.30s': the virtual device is given twice (already %s): give it once",
				     v, d->vdev);
	if (colon && !positional)
		return domus_cfg_err(err, errlen, "vdev '%.30s': vdev= takes the device name only: write vdev=%.*s,devtype=%s",
				     v, (int)(n < 16 ? n : 16), v, strcmp(colon, ":cdrom") ? "disk" : "cdrom");
	if (colon) {
		if (!strcmp(colon, ":cdrom"))
			d->cdrom = true;
		else if (strcmp(colon, ":disk"))
			return domus_cfg_err(err, errlen, "vdev '%.30s': only ':cdrom' or ':disk' may follow the name", v);
	}
	if (n == 0 || n >= sizeof(d->vdev))
		return domus_cfg_err(err, errlen, "vdev '%.30s' is not a device name: give xvda, xvda2, hda or sda", v);
	memcpy(d->vdev, v, n);
	d->vdev[n] = 0;
	r = domus_vdev_number(d->vdev, &d->devid);
	if (r == -ERANGE)
		return domus_cfg_err(err, errlen, "vdev '%s' is out of range: use xvdX (hdX goes to hdd, sdX to sdp)", d->vdev);
	if (r)
		return domus_cfg_err(err, errlen, "vdev '%s' is not a device name: give xvda, xvda2, xvdb, hda or sda", d->vdev);
	return 0;
}

static int set_format(const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "raw") || !*v)
		return 0;
	if (is_other_format(v, strlen(v)))
		return domus_cfg_err(err, errlen, "format '%.20s': only raw images are served: convert it (qemu-img convert -O raw IMG IMG.raw) and write format=raw", v);
	return domus_cfg_err(err, errlen, "format '%.20s' is unknown: write format=raw", v);
}

/* One key=value (or a bare flag).  @key is NUL-terminated; @v may be
 * NULL.  0, -1 with @err, or 1: not a flag (a positional field). */
static int set_key(struct domus_disk *d, const char *key, const char *v, char *err, size_t errlen)
{
	if (!v) {
		if (!strcmp(key, "discard") || !strcmp(key, "direct-io-safe"))
			return 0;
		if (!strcmp(key, "no-discard")) {
			d->no_discard = true;
			return 0;
		}
		if (!strcmp(key, "cdrom")) {
			d->cdrom = true;
			return 0;
		}
		/* xl's words for COLO replication and the trusted flag */
		if (!strcmp(key, "colo") || !strcmp(key, "trusted") || !strcmp(key, "untrusted"))
			return domus_cfg_err(err, errlen, "'%s' is not supported by domus: drop it", key);
		return 1;	/* positional */
	}
	if (!strcmp(key, "vdev"))
		return set_vdev(d, v, false, err, errlen);
	if (!strcmp(key, "access"))
		return set_access(d, v, err, errlen);
	if (!strcmp(key, "format"))
		return set_format(v, err, errlen);
	if (!strcmp(key, "devtype")) {
		if (!strcmp(v, "cdrom"))
			d->cdrom = true;
		else if (strcmp(v, "disk"))
			return domus_cfg_err(err, errlen, "devtype '%.20s': write devtype=disk or devtype=cdrom", v);
		return 0;
	}
	if (!strcmp(key, "backendtype")) {
		if (d->backendtype_seen)	/* xl refuses a second one */
			return domus_cfg_err(err, errlen, "backendtype '%.20s': given twice: give it once", v);
		d->backendtype_seen = true;
		if (strcmp(v, "phy") && strcmp(v, "tap") && strcmp(v, "qdisk"))
			return domus_cfg_err(err, errlen, "backendtype '%.20s': write phy, tap or qdisk (all are served by domus's back end)", v);
		return 0;
	}
	if (!strcmp(key, "specification")) {
		if (strcmp(v, "xen"))
			return domus_cfg_err(err, errlen, "specification '%.20s': only xen (PV) disks: drop it or write specification=xen", v);
		return 0;
	}
	if (!strcmp(key, "script"))
		return domus_cfg_err(err, errlen, "script= is not run by domus: give the device or image path as target");
	return domus_cfg_err(err, errlen, "unknown key '%.30s': use target=, vdev=, access=, format=raw or devtype=cdrom", key);
}

int domus_disk_parse(const char *spec, struct domus_disk *d, char *err, size_t errlen)
{
	const char *pos[4] = { NULL };
	const char *target = NULL;
	size_t npos = 0, i;
	char *copy, *p;
	int r = -1, flag;
	bool prefixed = false;
	const char *key_access = NULL;
	size_t key_access_after = 0, access_field = 2;	/* ACCESS's index among the fields */

	memset(d, 0, sizeof(*d));
	copy = strdup(spec);
	if (!copy)
		return domus_cfg_err(err, errlen, "out of memory");
	for (p = copy; p;) {
		char *comma, *eq, *tok = p;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (!strncmp(tok, "target=", 7)) {
			target = tok + 7;	/* the rest, commas and all */
			break;
		}
		comma = strchr(tok, ',');
		if (comma)
			*comma = 0;
		p = comma ? comma + 1 : NULL;
		eq = strchr(tok, '=');
		if (eq) {
			*eq = 0;
			if (set_key(d, tok, eq + 1, err, errlen))
				goto out;
			if (!strcmp(tok, "access")) {
				key_access = eq + 1;
				key_access_after = npos;	/* positional fields before it */
			}
			continue;
		}
		flag = set_key(d, tok, NULL, err, errlen);
		if (flag == 0)
			continue;
		if (flag < 0)
			goto out;
		if (npos == 4) {
			domus_cfg_err(err, errlen, "too many fields: write TARGET,VDEV,ACCESS or target=PATH,vdev=NAME,access=rw");
			goto out;
		}
		pos[npos++] = tok;
	}
	/* positional: TARGET,VDEV,ACCESS or TARGET,FORMAT,VDEV[,ACCESS] */
	if (npos >= 1) {
		if (target) {
			domus_cfg_err(err, errlen, "two targets: give the path once (positional or target=)");
			goto out;
		}
		target = pos[0];
	}
	/* xm's prefixed form is TARGET,VDEV,ACCESS: xl reads no format field
	 * after a prefix (the prefix names the format) */
	if (npos >= 1) {
		const char *t = pos[0];

		prefixed = strip_prefix(&t, NULL, 0) || t != pos[0];
	}
	if (prefixed && npos == 4 && !*pos[3])
		npos = 3;		/* a trailing comma */
	if (prefixed && npos == 4) {
		domus_cfg_err(err, errlen, "'%.40s' has a prefix, which names the format: drop the format field "
			      "(write 'PREFIX:PATH,VDEV,ACCESS') or the prefix (write 'PATH,raw,VDEV,ACCESS')", pos[0]);
		goto out;
	}
	if (!prefixed && (npos == 4 || (npos == 3 && (!*pos[1] || !strcmp(pos[1], "raw") ||
						      is_other_format(pos[1], strlen(pos[1])))))) {
		if (set_format(pos[1], err, errlen))
			goto out;
		for (i = 2; i < npos; i++)
			pos[i - 1] = pos[i];
		npos--;
		access_field = 3;
	}
	if (npos >= 2 && *pos[1] && set_vdev(d, pos[1], true, err, errlen))
		goto out;
	if (npos >= 3 && *pos[2] && set_access(d, pos[2], err, errlen))
		goto out;
	/* xl reads left to right: an access= after the ACCESS field wins */
	if (key_access && npos >= 3 && key_access_after > access_field)
		set_access(d, key_access, NULL, 0);
	if (!d->vdev[0]) {
		domus_cfg_err(err, errlen, "no virtual device: add one, e.g. 'PATH,xvda,w' or vdev=xvda");
		goto out;
	}
	if (npos >= 1 && target && strip_prefix(&target, err, errlen))
		goto out;
	if (npos == 0 && target) {
		/* target= is the path as it is: xl reads no prefix there */
		const char *t = target;

		if (strip_prefix(&t, NULL, 0) == 0 && t != target) {
			domus_cfg_err(err, errlen, "target '%.60s': target= takes the path as it is, without a prefix (xl would look for a file named so): write target=%.60s",
				      target, t);
			goto out;
		}
	}
	if (!target || !*target) {
		if (d->cdrom) {
			/* an empty CD drive: nothing to attach */
			d->target = NULL;
			d->readonly = true;
			r = 0;
			goto out;
		}
		domus_cfg_err(err, errlen, "no target: give the image or device path, e.g. 'tap:aio:/srv/img,%s,w'",
		     d->vdev);
		goto out;
	}
	if (target[0] != '/') {
		domus_cfg_err(err, errlen, "target '%.60s' is not an absolute path: write the full path, e.g. /srv/xen/disk.img",
		     target);
		goto out;
	}
	d->target = strdup(target);
	if (!d->target) {
		domus_cfg_err(err, errlen, "out of memory");
		goto out;
	}
	if (d->cdrom)
		d->readonly = true;	/* a CD is read-only */
	r = 0;
out:
	free(copy);
	return r;
}

void domus_disk_free(struct domus_disk *d)
{
	free(d->target);
	d->target = NULL;
}
