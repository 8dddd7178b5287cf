// SPDX-License-Identifier: MIT
/*
 * domusd's one definition store: a persistent domain is the xl.cfg file
 * CONF_DIR/NAME.cfg ($DOMUS_CONF_DIR, else /etc/domus), the same file
 * `domus create NAME` and `domus list --all` read; its autostart is the
 * link AUTO_DIR/NAME.cfg ($DOMUS_AUTO_DIR, else /etc/domus/auto) that
 * `domus auto-start` follows (docs/service.md).  The domains domusd shows
 * are the running ones (the launchers) and, after them, every definition
 * whose domain does not run (id DOMUSD_INACTIVE, shut off).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ctl.h"
#include "rpc.h"
#include "xlcfg.h"

#define CONF_DIR_DEFAULT "/etc/domus"
#define DEFS_MAX 4096		/* definitions read from CONF_DIR */

const char *domusd_conf_dir(void)
{
	const char *e = getenv("DOMUS_CONF_DIR");

	return e && *e ? e : CONF_DIR_DEFAULT;
}

static void auto_dir(char *buf, size_t len)
{
	const char *e = getenv("DOMUS_AUTO_DIR");

	if (e && *e)
		snprintf(buf, len, "%s", e);
	else
		snprintf(buf, len, "%s/auto", domusd_conf_dir());
}

int domusd_name_path(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
	int n;

	if (!domus_config_name_ok(name))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool domusd_name_file(const char *dir, const char *name, const char *suffix)
{
	char p[PATH_MAX];
	struct stat st;

	return !domusd_name_path(p, sizeof(p), dir, name, suffix) && !stat(p, &st) && S_ISREG(st.st_mode);
}

int domusd_def_path(char *buf, size_t len, const char *name)
{
	return domusd_name_path(buf, len, domusd_conf_dir(), name, ".cfg");
}

bool domusd_def_exists(const char *name)
{
	return domusd_name_file(domusd_conf_dir(), name, ".cfg");
}

bool domusd_def_stat(const char *name, dev_t *dev, ino_t *ino)
{
	char p[PATH_MAX];
	struct stat st;

	*dev = 0;
	*ino = 0;
	if (domusd_def_path(p, sizeof(p), name) || stat(p, &st) || !S_ISREG(st.st_mode))
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

/* A stable uuid for a definition that has none: from its name (FNV-1a,
 * shaped as a version 4 uuid), so lookups by uuid find it until it runs. */
void domusd_name_uuid(const char *name, char out[37])
{
	uint8_t u[16];
	uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
	const char *p;
	int i;

	for (p = name; *p; p++) {
		h1 = (h1 ^ (uint8_t)*p) * 0x100000001b3ULL;
		h2 = (h2 ^ (uint8_t)*p) * 0x100000001b3ULL + 0x9e37;
	}
	for (i = 0; i < 8; i++) {
		u[i] = (uint8_t)(h1 >> (8 * i));
		u[8 + i] = (uint8_t)(h2 >> (8 * i));
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int domusd_def_load(const char *name, struct domus_config *cfg, char *err, size_t errlen)
{
	char p[PATH_MAX];

	domus_config_init(cfg);
	if (domusd_def_path(p, sizeof(p), name)) {
		snprintf(err, errlen, "'%.80s' is not a domain name", name);
		return -1;
	}
	if (domus_config_load(cfg, p, err, errlen) || domus_config_finish(cfg, err, errlen)) {
		domus_config_free(cfg);
		domus_config_init(cfg);
		return -1;
	}
	return 0;
}

/* The definition's uuid: its own, else the one made from its name. */
void domusd_def_uuid(const struct domus_config *cfg, const char *name, char out[37])
{
	/* (without uuid = in the file, finishing made a random one) */
	if (domus_config_get(cfg, "uuid") && cfg->uuid && strlen(cfg->uuid) == 36)
		snprintf(out, 37, "%s", cfg->uuid);
	else
		domusd_name_uuid(name, out);
}

int domusd_def_write(const char *name, const char *text, char *err, size_t errlen)
{
	char p[PATH_MAX], tmp[PATH_MAX + 16];
	size_t n = strlen(text);
	int fd, e;

	if (domusd_def_path(p, sizeof(p), name) || snprintf(tmp, sizeof(tmp), "%s.XXXXXX", p) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "'%.80s' is not a usable domain name", name);
		return -1;
	}
	if (mkdir(domusd_conf_dir(), 0755) && errno != EEXIST)
		goto fail;
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, 0644) || write(fd, text, n) != (ssize_t)n || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto fail;
	}
	if (close(fd) || rename(tmp, p)) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", p, strerror(errno));
	return -1;
}

int domusd_def_remove(const char *name)
{
	char p[PATH_MAX];

	if (domusd_def_path(p, sizeof(p), name))
		return -EINVAL;
	domusd_autostart_set(name, false);
	return unlink(p) ? -errno : 0;
}

static int auto_link(char *buf, size_t len, const char *name)
{
	char dir[PATH_MAX];

	auto_dir(dir, sizeof(dir));
	if (!domus_config_name_ok(name) || (size_t)snprintf(buf, len, "%s/%s.cfg", dir, name) >= len)
		return -1;
	return 0;
}

bool domusd_autostart_get(const char *name)
{
	char l[PATH_MAX];
	struct stat st;

	return !auto_link(l, sizeof(l), name) && !lstat(l, &st);
}

int domusd_autostart_set(const char *name, bool on)
{
	char l[PATH_MAX], d[PATH_MAX], t[PATH_MAX], tmp[PATH_MAX + 16];

	if (auto_link(l, sizeof(l), name) || domusd_def_path(t, sizeof(t), name))
		return -EINVAL;
	if (!on)
		return unlink(l) && errno != ENOENT ? -errno : 0;
	auto_dir(d, sizeof(d));
	if (mkdir(d, 0755) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.domusd-new", l);
	unlink(tmp);
	if (symlink(t, tmp) || rename(tmp, l)) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

/* CONF_DIR's NAME.cfg files, by name (not hidden, not backups). */
static int def_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	char name[DOMUS_CFG_NAME_MAX + 1];

	if (n <= 4 || n - 4 > DOMUS_CFG_NAME_MAX || strcmp(e->d_name + n - 4, ".cfg"))
		return 0;
	memcpy(name, e->d_name, n - 4);
	name[n - 4] = 0;
	return domus_config_name_ok(name) && strcmp(name, "Domain-0");
}

int domusd_domains(const struct domusd_backend *be, struct domus_dominfo **out)
{
	struct domus_dominfo *v = NULL, *nv;
	struct dirent **ents = NULL;
	int n = be->list(&v), k, kall, i, j, total;

	if (n < 0)
		return n;
	k = scandir(domusd_conf_dir(), &ents, def_filter, alphasort);
	if (k < 0) {
		*out = v;
		return n;		/* no CONF_DIR: no definitions */
	}
	kall = k;
	if (k > DEFS_MAX)
		k = DEFS_MAX;
	nv = realloc(v, ((size_t)n + (size_t)k + 1) * sizeof(*v));
	if (!nv) {
		free(v);
		v = NULL;
		total = -ENOMEM;
		goto out;
	}
	v = nv;
	total = n;
	for (i = 0; i < k; i++) {
		struct domus_dominfo *d = &v[total];
		struct domus_config cfg;
		char err[256];
		size_t len = strlen(ents[i]->d_name) - 4;
		bool running = false;

		memset(d, 0, sizeof(*d));
		memcpy(d->name, ents[i]->d_name, len);
		d->name[len] = 0;
		for (j = 0; j < n; j++)
			if (!strcmp(v[j].name, d->name))
				running = true;
		if (running)
			continue;
		d->id = DOMUSD_INACTIVE;
		if (!domusd_def_load(d->name, &cfg, err, sizeof(err))) {
			d->mem_mib = cfg.memory_mib;
			d->vcpus = cfg.vcpus;
		}
		domusd_def_uuid(&cfg, d->name, d->uuid);
		domus_config_free(&cfg);
		total++;
	}
out:
	for (i = 0; i < kall; i++)
		free(ents[i]);
	free(ents);
	if (total < 0)
		return total;
	*out = v;
	return total;
}
