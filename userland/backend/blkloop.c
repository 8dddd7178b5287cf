// SPDX-License-Identifier: MIT
/*
 * The block I/O thread's loop and its stall watchdog (see blkback.h,
 * docs/devices.md "The I/O thread").  The sleep/wake rule it keeps (the
 * invariant, pv-devices.md §2.2):
 *
 *   the thread blocks on the notification eventfd only after a ring pass
 *   found nothing, having stored req_event = req_cons + 1 and then (after
 *   a full barrier) read req_prod == req_cons again.
 *
 * A front end that pushes requests after that store sees req_event among
 * them and notifies; one that pushed before it is found by the re-read.
 * Notifications that arrive while the thread serves stay counted in the
 * eventfd, so the next poll returns at once: none is lost, at worst a
 * pass finds nothing.  Every request consumed by a pass is answered
 * before the pass returns (blk_ring_service), so nothing waits in the back
 * end while it sleeps.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "blkback.h"

struct blk_watch {
	struct blk_ring_state last;
	unsigned int idle;		/* timeouts running with the same responses waiting */
	bool told;			/* this episode is in the log */
	uint64_t t_ms;			/* monotonic ms of the last sleep or check */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* After a poll timeout: is something waiting that a wake-up should have
 * served?  Log it once, count it, send the event again. */
static void watchdog(struct blk_loop *l, struct blk_watch *w)
{
	struct blk_ring_state s;
	unsigned int why;
	char buf[160], line[300];
	uint64_t now = mono_ms();

	if (now - w->t_ms + 50 < l->watchdog_ms)
		return;		/* a trace timeout, shorter */
	w->t_ms = now;
	blk_ring_snapshot(l->ring, &s);
	why = blk_ring_stall(&s);
	if (why & BLK_STALL_REQUESTS) {
		/* the notification may be on its way: one more look */
		struct pollfd p = { .fd = l->notify_fd, .events = POLLIN };

		if (poll(&p, 1, 200) > 0)
			return;
		blk_ring_snapshot(l->ring, &s);
		why = blk_ring_stall(&s);
	}
	if (why & BLK_STALL_RESPONSES) {
		if (s.rsp_prod != w->last.rsp_prod || s.rsp_event != w->last.rsp_event ||
		    s.req_prod != w->last.req_prod)
			w->idle = 0;
		if (++w->idle < 2)
			why &= ~BLK_STALL_RESPONSES;
	} else {
		w->idle = 0;
	}
	w->last = s;
	if (!(why & (BLK_STALL_REQUESTS | BLK_STALL_RESPONSES))) {
		w->told = false;
		return;
	}
	atomic_fetch_add(&l->ring->st->stalls, 1);
	if (!w->told && l->log) {
		w->told = true;
		blk_ring_state_str(&s, buf, sizeof(buf));
		snprintf(line, sizeof(line), "stall watchdog: %s%s%s",
			 why & BLK_STALL_LOST_EVENT ? "requests waiting, the guest's notification lost; "
			 : why & BLK_STALL_REQUESTS ? "requests waiting, req_event not among them; " : "",
			 why & BLK_STALL_RESPONSES ? "responses the guest asked an event for not taken; " : "",
			 buf);
		l->log(l->opaque, line);
	}
	if (why & BLK_STALL_RESPONSES)
		l->kick(l->opaque);
	/* requests: the caller's next pass serves them */
}

int blk_loop_run(struct blk_loop *l)
{
	struct pollfd p[2] = { { .fd = l->notify_fd, .events = POLLIN }, { .fd = l->stop_fd, .events = POLLIN } };
	struct blk_stats *st = l->ring->st;
	struct blk_watch wd;
	uint64_t ev, t_wake = 0;

	memset(&wd, 0, sizeof(wd));
	wd.t_ms = mono_ms();
	for (;;) {
		bool notify = false;
		int r;

		do {
			r = blk_ring_service(l->ring, &notify);
			if (notify) {
				uint64_t t0 = l->ring->timing ? blk_now_ns() : 0;

				atomic_fetch_add(&st->kicks, 1);
				l->kick(l->opaque);
				notify = false;
				if (t0)
					atomic_fetch_add(&st->ns_kick, blk_now_ns() - t0);
			}
		} while (r > 0 && poll(&p[1], 1, 0) == 0);
		if (r < 0)
			return -EIO;
		if (t_wake) {
			atomic_fetch_add(&st->ns_busy, blk_now_ns() - t_wake);
			t_wake = 0;
		}
		r = poll(p, 2, l->trace ? 500 : (int)l->watchdog_ms);
		if (r < 0 && errno != EINTR) {
			snprintf(l->ring->why, sizeof(l->ring->why), "the I/O thread's poll failed: %s", strerror(errno));
			return -EIO;
		}
		if (r > 0 && p[1].revents)
			return 0;
		if (r == 0) {
			if (l->trace)
				l->trace(l->opaque);
			watchdog(l, &wd);
			continue;
		}
		wd.t_ms = mono_ms();
		if (l->ring->timing)
			t_wake = blk_now_ns();
		if (r > 0) {
			atomic_fetch_add(&st->wakeups, 1);
			if (read(l->notify_fd, &ev, sizeof(ev)) == sizeof(ev))
				atomic_fetch_add(&st->events, ev);
		}
	}
}
