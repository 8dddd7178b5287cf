// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the sending side of a live migration (docs/save-format.md
 * "Live migration", docs/cli.md "migrate").
 *
 * migrate  + the stream's descriptor (SCM_RIGHTS: the pipe to the
 *          receiver, which `domus migrate` set up).  The answer is "ok"
 *          once the checks passed, then one line per pass while the guest
 *          runs, "round N pages=P bytes=B" (round 0: every page), then
 *          "paused" when the guest stopped, then "ok rounds=N pages=P
 *          bytes=B" with the stream complete, or "error MESSAGE" (the guest
 *          runs on).  After "ok" the guest stays paused until the client's
 *          next lines: "rename NEWNAME" (answered ok/error; the sender's
 *          copy gives the name up) any number of times, then "commit" (the
 *          domain is destroyed) or anything else, the connection closing,
 *          or 60 s of silence: the guest runs on.
 *
 * Pre-copy as Xen's libxc: the module's dirty log on the RAM slot is
 * started first, every page is sent while the guest runs, then the pages
 * dirtied meanwhile (fetched and cleared), round after round, until a
 * round finds fewer than MIG_TARGET_DIRTY pages or MIG_MAX_ROUNDS passes
 * were sent (xl's defaults: 50 pages, 5 iterations); then the guest is
 * paused and the last dirty pages, with those the last round found, are
 * sent before the vCPU and device state.  A PVH guest suspends itself
 * (control/shutdown = suspend, as for save: save.c) before that pause, as
 * xl's migration has it do: its suspend returns 0 on the receiver and 1
 * ("cancelled") here if the migration fails.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "launcher.h"
#include "xsr.h"

#define MIG_TARGET_DIRTY	50
#define MIG_MAX_ROUNDS		5
#define MIG_COMMIT_MS		60000

/* The set bits of @bm (@words u64s, frames below @npages) into @pfn; their count. */
static uint64_t bitmap_pfns(const uint64_t *bm, uint64_t words, uint64_t npages, uint64_t *pfn)
{
	uint64_t w, n = 0;

	for (w = 0; w < words; w++) {
		uint64_t b = bm[w];

		while (b) {
			uint64_t f = w * 64 + (uint64_t)__builtin_ctzll(b);

			b &= b - 1;
			if (f < npages)
				pfn[n++] = f;
		}
	}
	return n;
}

/* The verdict after "ok": renames until "commit" (true) or anything else. */
static bool wait_verdict(struct launcher *L, int fd)
{
	for (;;) {
		char line[300], msg[300];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t n = 0;

		while (n < sizeof(line) - 1) {
			if (poll(&p, 1, MIG_COMMIT_MS) <= 0 || read(fd, line + n, 1) != 1)
				return false;
			if (line[n] == '\n')
				break;
			n++;
		}
		line[n] = 0;
		if (strncmp(line, "rename ", 7))
			return !strcmp(line, "commit");
		if (l_rename(L, line + 7, msg, sizeof(msg)))
			l_reply(fd, "error %s", msg);
		else
			l_reply(fd, "ok");
	}
}

bool l_ctl_migrate(struct launcher *L, int fd, const char *arg)
{
	uint64_t npages = L->mem_size >> 12, words = (npages + 63) / 64, n = 0, sent = 0, i;
	uint64_t *bm = NULL, *last = NULL, *pfn = NULL;
	struct xsr_writer *w = NULL;
	struct xsr_state st;
	char err[512];
	bool was_paused, logging = false, paused = false, unlocked = false;
	unsigned int round;
	uint32_t khz;
	int out;
	struct stat sb;

	memset(&st, 0, sizeof(st));
	if (!strcmp(arg, "check")) {
		/* the CLI asks before it starts a receiver for nothing */
		if (l_save_possible(L, fd, "migration"))
			l_reply(fd, "ok");
		return false;
	}
	if (!L->req_fds || L->req_nfds < 1 || L->req_fds[0] < 0) {
		l_reply(fd, "error migrate needs the stream's descriptor passed with the request");
		return false;
	}
	out = L->req_fds[0];
	L->req_fds[0] = -1;
	if (fstat(out, &sb) || S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode)) {
		l_reply(fd, "error migrate: the passed descriptor is not a pipe or socket (use save for a file)");
		close(out);
		return false;
	}
	if (!l_save_possible(L, fd, "migration")) {
		close(out);
		return false;
	}
	st.vcpu = calloc(L->nvcpu, sizeof(*st.vcpu));
	st.config = l_save_config(L, &st.config_len);
	bm = calloc(words, 8);
	last = calloc(words, 8);
	pfn = malloc(npages * 8);
	st.nvcpu = L->nvcpu;
	st.ram_size = L->mem_size;
	if (!st.vcpu || !st.config || !bm || !last || !pfn) {
		l_reply(fd, "error migrate: out of memory");
		goto out;
	}
	pthread_mutex_lock(&L->lock);
	was_paused = L->paused;
	pthread_mutex_unlock(&L->lock);
	if (domus_dirty_log_set(L->domfd, 0, 1)) {
		l_reply(fd, "error migrate: cannot start dirty-page logging: %s", domus_last_error());
		goto out;
	}
	logging = true;
	w = xsr_writer_open(out, &st, err, sizeof(err));
	if (!w) {
		l_reply(fd, "error %s", err);
		goto out;
	}
	l_reply(fd, "ok");
	l_log(L, "migrate: sending %llu MiB of RAM while the guest runs", (unsigned long long)(L->mem_size >> 20));

	/* round 0: every page; then the pages dirtied meanwhile */
	xsr_writer_all_pages(w, L->ram, L->mem_size, NULL, NULL);
	sent = npages;
	l_reply(fd, "round 0 pages=%llu bytes=%llu", (unsigned long long)npages,
		(unsigned long long)xsr_writer_bytes(w));
	for (round = 1; !xsr_writer_error(w); round++) {
		if (domus_dirty_log_get(L->domfd, 0, last)) {
			snprintf(err, sizeof(err), "migrate: the dirty log: %s", domus_last_error());
			goto fail;
		}
		n = bitmap_pfns(last, words, npages, pfn);
		if (n < MIG_TARGET_DIRTY || round >= MIG_MAX_ROUNDS)
			break;	/* these go with the last pass */
		xsr_writer_pages(w, L->ram, pfn, n);
		sent += n;
		memset(last, 0, words * 8);
		l_reply(fd, "round %u pages=%llu bytes=%llu", round, (unsigned long long)n,
			(unsigned long long)xsr_writer_bytes(w));
	}
	if (xsr_writer_error(w)) {
		snprintf(err, sizeof(err), "migrate: the stream broke: %s", strerror(xsr_writer_error(w)));
		goto fail;
	}

	/* stop and copy; a PVH guest first suspends itself, as xl has it do (libxl's suspend callback) */
	khz = l_tsc_khz();
	if (L->cfg.type != DOMUS_TYPE_HVM) {
		if (was_paused) {
			snprintf(err, sizeof(err), "%s is paused: a PVH guest migrates through its own suspend; 'domus unpause %s' first",
				 L->cfg.name, L->cfg.name);
			goto fail;
		}
		l_log(L, "migrate: the guest suspends itself for the last pass");
		if (l_pv_suspend(L, err, sizeof(err)))
			goto fail;
	}
	paused = true;
	if (l_save_collect(L, &st, err, sizeof(err)))
		goto fail;
	l_reply(fd, "paused");
	if (domus_dirty_log_get(L->domfd, 0, bm)) {
		snprintf(err, sizeof(err), "migrate: the dirty log: %s", domus_last_error());
		goto fail;
	}
	for (i = 0; i < words; i++)
		bm[i] |= last[i];
	n = bitmap_pfns(bm, words, npages, pfn);
	xsr_writer_pages(w, L->ram, pfn, n);
	sent += n;
	l_save_fill(L, &st, khz);
	/*
	 * The receiver (maybe on this host) opens the same images once the
	 * stream is complete: their locks go first (the guest is paused).
	 */
	l_disks_lock(L, false);
	unlocked = true;
	if (xsr_writer_close(w, &st, err, sizeof(err))) {
		w = NULL;
		goto fail;
	}
	w = NULL;
	close(out);
	out = -1;
	domus_dirty_log_set(L->domfd, 0, 0);
	logging = false;
	l_log(L, "migrate: %u round(s), %llu pages, the last %llu with the guest paused", round + 1,
	      (unsigned long long)sent, (unsigned long long)n);
	l_reply(fd, "ok rounds=%u pages=%llu last=%llu", round + 1, (unsigned long long)sent, (unsigned long long)n);
	if (!wait_verdict(L, fd)) {
		l_log(L, "migrate: not committed; the guest runs on here");
		l_disks_lock(L, true);
		l_save_resume(L, was_paused);
		goto out;
	}
	l_log(L, "migrated");
	l_reply(fd, "ok");
	l_destroy(L, "migrated");
	goto out;
fail:
	l_log(L, "migrate failed: %s; the guest runs on", err);
	if (unlocked)
		l_disks_lock(L, true);
	if (paused)
		l_save_resume(L, was_paused);
	l_reply(fd, "error %s", err);
out:
	if (w)
		xsr_writer_close(w, NULL, NULL, 0);
	if (logging)
		domus_dirty_log_set(L->domfd, 0, 0);
	if (out >= 0)
		close(out);
	free(bm);
	free(last);
	free(pfn);
	free((char *)st.config);
	free(st.vcpu);
	return false;
}
