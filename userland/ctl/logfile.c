// SPDX-License-Identifier: MIT
/*
 * Size-capped log files, rotated by rename as logrotate does (see ctl.h):
 * NAME.log grows to the cap, then NAME.log.K-1 becomes NAME.log.K ... and
 * NAME.log becomes NAME.log.1, and a new NAME.log starts.  The file being
 * written is never lost: if it cannot be renamed, writing goes on in it
 * (past the cap; rotation is tried again a cap later); if the new file
 * cannot be created, writing goes on in the renamed one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ctl.h"

static int log_create(const char *path, bool trunc)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640);
}

/*
 * PATH.K-1 -> PATH.K for K = keep .. 2, PATH -> PATH.1 (oldest dropped).
 * False when PATH is still there (it must not be truncated then).
 */
static bool log_shift(const struct domus_log *l)
{
	char from[DOMUS_LOG_PATH_MAX + 16], to[DOMUS_LOG_PATH_MAX + 16];
	unsigned int k;

	for (k = l->keep; k >= 2; k--) {
		snprintf(from, sizeof(from), "%s.%u", l->path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", l->path, k);
		if (rename(from, to) && errno != ENOENT) {
			/* a gap in the numbers; the newer files still move */
		}
	}
	snprintf(to, sizeof(to), "%s.1", l->path);
	return !rename(l->path, to) || errno == ENOENT;
}

void domus_log_init(struct domus_log *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	pthread_mutex_init(&l->lock, NULL);
}

int domus_log_open(struct domus_log *l, const char *path, unsigned long long max, unsigned int keep)
{
	struct stat st;

	if (l->fd >= 0)
		return -EBUSY;
	if (strlen(path) >= sizeof(l->path))
		return -ENAMETOOLONG;
	strcpy(l->path, path);
	l->max = max;
	l->keep = keep ? keep : 1;
	l->size = 0;
	/* the previous run's log becomes .1; if it cannot, it is appended to */
	if (stat(path, &st) == 0 && st.st_size > 0 && !log_shift(l))
		l->size = (unsigned long long)st.st_size;
	l->fd = log_create(path, !l->size);
	return l->fd < 0 ? -errno : 0;
}

int domus_log_rename(struct domus_log *l, const char *path)
{
	char from[DOMUS_LOG_PATH_MAX + 16], to[DOMUS_LOG_PATH_MAX + 16];
	unsigned int i;
	int r = 0;

	if (strlen(path) >= sizeof(l->path))
		return -ENAMETOOLONG;
	pthread_mutex_lock(&l->lock);
	if (l->fd >= 0 && rename(l->path, path))
		r = -errno;
	/* the rotated files follow; a missing one is no error */
	for (i = 1; !r && i <= l->keep; i++) {
		snprintf(from, sizeof(from), "%s.%u", l->path, i);
		snprintf(to, sizeof(to), "%s.%u", path, i);
		if (rename(from, to) && errno != ENOENT)
			break;
	}
	if (!r)
		strcpy(l->path, path);
	pthread_mutex_unlock(&l->lock);
	return r;
}

static void log_rotate(struct domus_log *l)
{
	int fd;

	l->size = 0;
	if (!log_shift(l))
		return;		/* keep writing the file in place */
	l->rotations++;
	fd = log_create(l->path, true);
	if (fd < 0)
		return;		/* keep writing the renamed file */
	close(l->fd);
	l->fd = fd;
}

void domus_log_write(struct domus_log *l, const void *buf, size_t n)
{
	const char *p = buf;

	pthread_mutex_lock(&l->lock);
	while (l->fd >= 0 && n > 0) {
		size_t chunk = n;
		ssize_t w;

		if (l->max) {
			if (l->size >= l->max)
				log_rotate(l);
			if (chunk > l->max - l->size)
				chunk = l->max - l->size;
		}
		w = write(l->fd, p, chunk);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;		/* disk full or the like: drop the rest */
		p += w;
		n -= (size_t)w;
		l->size += (unsigned long long)w;
	}
	pthread_mutex_unlock(&l->lock);
}

void domus_log_close(struct domus_log *l)
{
	pthread_mutex_lock(&l->lock);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	pthread_mutex_unlock(&l->lock);
}

/* "123", "64K", "1M", "2G" (powers of 1024). */
static int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	}
	if (*end || v > (1ULL << 40) / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int domus_log_settings(unsigned long long *max, unsigned int *keep, char *err, size_t errlen)
{
	const char *s = getenv("DOMUS_LOG_SIZE"), *k = getenv("DOMUS_LOG_KEEP");
	unsigned long long v;
	int r = 0;

	*max = DOMUS_LOG_SIZE_DEFAULT;
	*keep = DOMUS_LOG_KEEP_DEFAULT;
	if (err && errlen)
		err[0] = 0;
	if (s && *s) {
		if (parse_size(s, &v) || (v && v < 4096)) {
			snprintf(err, errlen, "DOMUS_LOG_SIZE=\"%.40s\" is not a size of 4K or more (or 0 for no cap): "
				 "using %uK; give bytes, or a number with K, M or G", s, DOMUS_LOG_SIZE_DEFAULT >> 10);
			r = -1;
		} else {
			*max = v;
		}
	}
	if (k && *k) {
		char *end;
		unsigned long n = strtoul(k, &end, 10);

		if (*k < '0' || *k > '9' || *end || n < 1 || n > 99) {
			if (!r)
				snprintf(err, errlen, "DOMUS_LOG_KEEP=\"%.40s\" is not 1 to 99: using %u",
					 k, DOMUS_LOG_KEEP_DEFAULT);
			r = -1;
		} else {
			*keep = (unsigned int)n;
		}
	}
	return r;
}
