// SPDX-License-Identifier: MIT
/*
 * The config side of clone and backup (imgcmd.h): where a domain's config
 * is (a path, or CONF_DIR/NAME.cfg), and its text rewritten with a new
 * name, uuid, MACs and disk paths.  The rewrite keeps every other line as
 * the admin wrote it (comments included): the lines of the replaced keys
 * are swapped for the new settings in place, keys that were missing
 * (uuid) are added at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "imgcmd.h"

const char *domus_conf_dir(void)
{
	const char *e = getenv("DOMUS_CONF_DIR");

	return e && *e ? e : DOMUS_CONF_DIR_DEFAULT;
}

static int read_all(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *b;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > DOMUS_CFG_MAX_FILE) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	b = malloc(st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	b[got] = 0;
	*out = b;
	*len = got;
	return 0;
}

int domus_srccfg_load(struct domus_srccfg *sc, const char *src, char *err, size_t errlen)
{
	bool is_path = strchr(src, '/') || (strlen(src) > 4 && !strcmp(src + strlen(src) - 4, ".cfg"));
	int r;

	memset(sc, 0, sizeof(*sc));
	domus_config_init(&sc->cfg);
	if (is_path) {
		snprintf(sc->path, sizeof(sc->path), "%s", src);
	} else if (!domus_config_name_ok(src)) {
		return domus_cfg_err(err, errlen, "'%.80s' is neither a domain name nor a config file", src);
	} else if (snprintf(sc->path, sizeof(sc->path), "%s/%s.cfg", domus_conf_dir(), src) >= (int)sizeof(sc->path)) {
		return domus_cfg_err(err, errlen, "%s: config directory path too long", domus_conf_dir());
	}
	r = read_all(sc->path, &sc->text, &sc->len);
	if (r == -ENOENT && !is_path)
		return domus_cfg_err(err, errlen,
				     "no config for %s: %s does not exist: give the config file's path instead, or keep the domain's config there (DOMUS_CONF_DIR)",
				     src, sc->path);
	if (r)
		return domus_cfg_err(err, errlen, "%s: %s", sc->path,
				     r == -EINVAL ? "not a regular file" : strerror(-r));
	if (domus_config_parse(&sc->cfg, sc->text, sc->len, sc->path, err, errlen) ||
	    domus_config_finish(&sc->cfg, err, errlen))
		return -1;
	if (!is_path && strcmp(sc->cfg.name, src))
		return domus_cfg_err(err, errlen, "%s names the domain '%s', not '%s': fix its name= line",
				     sc->path, sc->cfg.name, src);
	return 0;
}

void domus_srccfg_free(struct domus_srccfg *sc)
{
	domus_config_free(&sc->cfg);
	free(sc->text);
	sc->text = NULL;
}

void domus_random_uuid(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x5a, sizeof(b));	/* not reached on Linux >= 3.17 */
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void domus_random_mac(char out[18])
{
	unsigned char b[3];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x5a, sizeof(b));
	snprintf(out, 18, "00:16:3e:%02x:%02x:%02x", b[0] & 0x7f, b[1], b[2]);
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* @s as an xl string, in the quotes it does not contain. */
static void sb_quoted(struct sbuf *b, const char *s)
{
	const char *q = strchr(s, '\'') ? "\"" : "'";

	sb_str(b, q);
	sb_str(b, s);
	sb_str(b, q);
}

static unsigned int value_last_line(const struct domus_cfg_value *v)
{
	unsigned int l = v->line;
	size_t i;

	if (v->type == DOMUS_CFG_LIST)
		for (i = 0; i < v->nitems; i++) {
			unsigned int k = value_last_line(v->items[i]);

			if (k > l)
				l = k;
		}
	return l;
}

/* Start of line @n (1-based) of @t, or NULL. */
static const char *line_start(const char *t, size_t len, unsigned int n)
{
	const char *p = t, *end = t + len;

	while (--n) {
		p = memchr(p, '\n', end - p);
		if (!p)
			return NULL;
		p++;
	}
	return p;
}

/* The last line of @e's setting: for a list, the line of its closing ']'. */
static unsigned int entry_last_line(const struct domus_srccfg *sc, const struct domus_cfg_entry *e)
{
	unsigned int l = value_last_line(e->value);
	const char *p, *end = sc->text + sc->len;
	char quote = 0;

	if (e->value->type != DOMUS_CFG_LIST)
		return l;
	p = line_start(sc->text, sc->len, l);
	for (; p && p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '#') {
			p = memchr(p, '\n', end - p);
			if (!p)
				break;
			l++;
		} else if (*p == '\n') {
			l++;
		} else if (*p == ']') {
			/* the list's own ']' closes last: nested lists end on it too */
			const char *q = p + 1;

			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q >= end || *q == '\n' || *q == '#' || *q == ';')
				return l;
		}
	}
	return l;
}

/* One vif spec with its mac= replaced (or added). */
static void vif_new_mac(struct sbuf *b, const char *spec)
{
	char mac[18], *copy = strdup(spec), *tok, *save = NULL;
	int first = 1;

	domus_random_mac(mac);
	if (!copy) {
		b->oom = 1;
		return;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (!strncmp(tok, "mac=", 4) || !*tok)
			continue;
		if (!first)
			sb_str(b, ",");
		sb_str(b, tok);
		first = 0;
	}
	if (!first)
		sb_str(b, ",");
	sb_str(b, "mac=");
	sb_str(b, mac);
	free(copy);
}

/* The new setting of @key (a key the edit replaces) into @b. */
static int new_setting(struct sbuf *b, const struct domus_srccfg *sc, const char *key,
		       const struct domus_cfgedit *e, char *err, size_t errlen)
{
	const struct domus_cfg_entry *ent = domus_config_get(&sc->cfg, key);
	const struct domus_cfg_value *v = ent ? ent->value : NULL;
	size_t i, k;

	if (!strcmp(key, "name") || !strcmp(key, "uuid")) {
		sb_str(b, key);
		sb_str(b, " = \"");
		sb_str(b, !strcmp(key, "name") ? e->name : e->uuid);
		sb_str(b, "\"\n");
		return 0;
	}
	if (!v || v->type != DOMUS_CFG_LIST)
		return domus_cfg_err(err, errlen, "%s: %s: not a list", sc->path, key);
	sb_str(b, key);
	sb_str(b, " = [ ");
	for (i = 0; i < v->nitems; i++) {
		const struct domus_cfg_value *it = v->items[i];

		if (it->type != DOMUS_CFG_STRING)
			return domus_cfg_err(err, errlen, "%s:%u: %s: entry %zu is not a string",
					     sc->path, it->line, key, i + 1);
		if (i)
			sb_str(b, ",\n        ");
		if (!strcmp(key, "vif")) {
			struct sbuf s = { 0 };

			vif_new_mac(&s, it->str);
			sb_quoted(b, s.s ? s.s : "");
			b->oom |= s.oom;
			free(s.s);
			continue;
		}
		/* disk: the target replaced, the rest of the spec as written */
		{
			struct domus_disk d;
			const char *to = NULL, *at;
			char derr[256];

			memset(&d, 0, sizeof(d));
			if (domus_disk_parse(it->str, &d, derr, sizeof(derr)) == 0 && d.target)
				for (k = 0; k < e->ntargets; k++)
					if (!strcmp(e->old_targets[k], d.target))
						to = e->new_targets[k];
			at = to ? strstr(it->str, d.target) : NULL;
			if (at) {
				struct sbuf s = { 0 };

				sb_add(&s, it->str, at - it->str);
				sb_str(&s, to);
				sb_str(&s, at + strlen(d.target));
				sb_quoted(b, s.s ? s.s : "");
				b->oom |= s.oom;
				free(s.s);
			} else {
				sb_quoted(b, it->str);
			}
			domus_disk_free(&d);
		}
	}
	sb_str(b, " ]\n");
	return 0;
}

int domus_cfg_rewrite(const struct domus_srccfg *sc, const struct domus_cfgedit *e, char **out,
		      char *err, size_t errlen)
{
	const char *keys[4];
	unsigned int from[4], to[4], line = 1;
	size_t nkeys = 0, i;
	struct sbuf b = { 0 };
	const char *p = sc->text, *end = sc->text + sc->len;
	bool done[4] = { false };

	if (e->name)
		keys[nkeys++] = "name";
	if (e->uuid)
		keys[nkeys++] = "uuid";
	if (e->new_macs && domus_config_get(&sc->cfg, "vif"))
		keys[nkeys++] = "vif";
	if (e->ntargets)
		keys[nkeys++] = "disk";
	for (i = 0; i < nkeys; i++) {
		const struct domus_cfg_entry *ent = domus_config_get(&sc->cfg, keys[i]);

		from[i] = ent ? ent->line : 0;
		to[i] = ent ? entry_last_line(sc, ent) : 0;
	}
	if (e->comment) {
		sb_str(&b, e->comment);
		sb_str(&b, "\n");
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		bool skip = false;

		for (i = 0; i < nkeys; i++) {
			if (line == from[i] && !done[i]) {
				if (new_setting(&b, sc, keys[i], e, err, errlen))
					goto fail;
				done[i] = true;
			}
			if (line >= from[i] && line <= to[i])
				skip = true;
		}
		if (!skip) {
			sb_add(&b, p, n);
			if (!nl)
				sb_str(&b, "\n");
		}
		p += n;
		line++;
	}
	for (i = 0; i < nkeys; i++)
		if (!done[i] && new_setting(&b, sc, keys[i], e, err, errlen))
			goto fail;
	if (b.oom) {
		domus_cfg_err(err, errlen, "out of memory");
		goto fail;
	}
	*out = b.s;
	return 0;
fail:
	free(b.s);
	return -1;
}

int domus_write_file(const char *path, const char *text, bool no_clobber)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text), w = 0;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (w < len) {
		ssize_t k = write(fd, text + w, len - w);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		w += k;
	}
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r) {
		if (no_clobber)
			r = link(tmp, path) ? -errno : 0;
		else
			r = rename(tmp, path) ? -errno : 0;
	}
	unlink(tmp);
	return r;
}
