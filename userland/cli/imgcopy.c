// SPDX-License-Identifier: MIT
/*
 * Disk image copies for clone, backup (imgcmd.c): a reflink (FICLONE) where
 * the file system shares extents, else a sparse copy (only the data
 * extents, SEEK_DATA/SEEK_HOLE, and of those only the blocks that are not
 * all zeros), with a progress bar on stderr when it is a terminal.
 * Interruptible: a SIGINT/SIGTERM/SIGHUP sets domus_copy_stop and the copy
 * stops with -EINTR at the next block.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "imgcmd.h"

#define COPY_BLOCK	(1u << 20)
#define ZERO_CHUNK	4096u

volatile sig_atomic_t domus_copy_stop;

static void on_stop(int sig)
{
	(void)sig;
	domus_copy_stop = 1;
}

void domus_copy_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

struct progress {
	const char *label;
	unsigned long long total;
	double t0, last;
	int tty;
};

static void progress_show(struct progress *p, unsigned long long done, int final)
{
	double t = now_s();
	int i, w = 30, fill;

	if (!p->tty || (!final && t - p->last < 0.2))
		return;
	p->last = t;
	fill = p->total ? (int)(done * w / p->total) : w;
	fprintf(stderr, "\r%-24.24s [", p->label);
	for (i = 0; i < w; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %6llu/%llu MiB %4.0f s%s", p->total ? (int)(done * 100 / p->total) : 100,
		done >> 20, p->total >> 20, t - p->t0, final ? "\n" : "");
	fflush(stderr);
}

static int all_zero(const char *b, size_t n)
{
	static const char zero[ZERO_CHUNK];

	return !memcmp(b, zero, n);
}

/* Copy [off, end) of @in to @out, leaving all-zero chunks as holes. */
static int copy_range(int in, int out, off_t off, off_t end, char *buf, struct progress *p)
{
	while (off < end) {
		size_t want = end - off > COPY_BLOCK ? COPY_BLOCK : (size_t)(end - off), c;
		ssize_t r = pread(in, buf, want, off);

		if (domus_copy_stop)
			return -EINTR;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;	/* the source shrank */
		for (c = 0; c < (size_t)r; c += ZERO_CHUNK) {
			size_t n = (size_t)r - c < ZERO_CHUNK ? (size_t)r - c : ZERO_CHUNK, w = 0;

			if (all_zero(buf + c, n))
				continue;
			while (w < n) {
				ssize_t k = pwrite(out, buf + c + w, n - w, off + c + w);

				if (k < 0 && errno == EINTR && !domus_copy_stop)
					continue;
				if (k < 0)
					return domus_copy_stop ? -EINTR : -errno;
				w += k;
			}
		}
		off += r;
		progress_show(p, off, 0);
	}
	return 0;
}

int domus_copy_file(const char *src, const char *dst, const char *label, int reflink_only, int *reflinked)
{
	struct progress p = { .label = label, .t0 = now_s(), .tty = isatty(2) };
	struct stat st;
	off_t off = 0, size;
	char *buf = NULL;
	int in, out, r = 0;

	*reflinked = 0;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st)) {
		r = -errno;
		close(in);
		return r;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0600 ? st.st_mode & 0777 : 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	if (S_ISREG(st.st_mode) && ioctl(out, FICLONE, in) == 0) {
		*reflinked = 1;
		goto done;
	}
	if (reflink_only) {
		r = -EOPNOTSUPP;
		goto done;
	}
	size = S_ISBLK(st.st_mode) ? lseek(in, 0, SEEK_END) : st.st_size;
	if (size < 0 || ftruncate(out, size)) {
		r = -errno;
		goto done;
	}
	p.total = size;
	buf = malloc(COPY_BLOCK);
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	while (off < size && !r) {
		off_t data = S_ISREG(st.st_mode) ? lseek(in, off, SEEK_DATA) : off, hole;

		if (data < 0 && errno == ENXIO)
			break;		/* only a hole is left */
		if (data < 0) {
			data = off;	/* no SEEK_DATA: copy everything */
			hole = size;
		} else {
			hole = S_ISREG(st.st_mode) ? lseek(in, data, SEEK_HOLE) : size;
			if (hole < 0 || hole > size)
				hole = size;
		}
		r = copy_range(in, out, data, hole, buf, &p);
		off = hole;
	}
	if (!r && fdatasync(out))
		r = -errno;
	if (!r)
		progress_show(&p, size, 1);
	else if (p.tty)
		fputc('\n', stderr);
done:
	free(buf);
	if (close(out) && !r)
		r = -errno;
	close(in);
	if (r)
		unlink(dst);
	return r;
}
