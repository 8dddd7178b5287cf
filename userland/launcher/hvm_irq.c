// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the interrupt path of an HVM domain (docs/devices.md,
 * "Interrupts (HVM)"): the 8254's timer thread raising IRQ 0, the kick
 * that brings vCPU 0 out of the guest when the 8259's INT rises, the
 * acknowledge and injection before each of vCPU 0's entries, and the
 * wait of a halted multiboot guest.  The PIC delivers to vCPU 0 only.
 *
 * Everything under L->lock.  The timer thread waits on a condition
 * variable (CLOCK_MONOTONIC) until the PIT's next IRQ 0 edge; a PIT
 * write, a kick or the stop wakes it.  A kick is a SIGUSR1 to vCPU 0's
 * thread; one that lands between vCPU 0's last look at the PIC and its
 * entry is lost, so the timer thread repeats it every DM_IRQ_REKICK_NS
 * while INT is up and vCPU 0 has not looked since (kick_gen/seen_gen).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"

#define DM_IRQ_REKICK_NS	(10ull * 1000 * 1000)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };

	return ts;
}

/* dm_irq_kick() and dm_irq_timer_poke() are in dev_pic.c (the port glue's unit tests link them). */

static void *timer_main(void *arg)
{
	struct launcher *L = arg;
	struct dm_irq *q = &L->dm.irq;

	pthread_mutex_lock(&L->lock);
	while (!q->stop) {
		uint64_t now = mono_ns(), pulsed, next;
		struct timespec ts;

		next = dm_pit_timer_step(&L->dm.pit, &L->dm.pic, now, &pulsed);
		q->ticks += pulsed;
		if (pulsed)
			dm_irq_kick(L);
		else if (dm_pic_intr(&L->dm.pic) && q->kick_gen != q->seen_gen && L->nvcpu && !L->paused &&
			 L->vcpu[0].started && now - q->last_rekick >= DM_IRQ_REKICK_NS) {
			q->last_rekick = now;	/* the last kick may have been lost */
			pthread_kill(L->vcpu[0].th, SIGUSR1);
		}
		if (dm_pic_intr(&L->dm.pic) && q->kick_gen != q->seen_gen && next > now + DM_IRQ_REKICK_NS)
			next = now + DM_IRQ_REKICK_NS;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&q->cv, &L->lock);
		} else {
			ts = ns_to_ts(next);
			pthread_cond_timedwait(&q->cv, &L->lock, &ts);
		}
	}
	pthread_mutex_unlock(&L->lock);
	return NULL;
}

/* dom_start of an HVM domain: the PIT's timer thread. */
int dm_irq_start(struct launcher *L)
{
	struct dm_irq *q = &L->dm.irq;
	pthread_condattr_t ca;
	int r;

	if (q->running)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (r)
		return -r;
	pthread_mutex_lock(&L->lock);
	q->stop = false;
	q->halted = false;
	q->running = true;
	pthread_mutex_unlock(&L->lock);
	r = domus_thread_create(&q->th, NULL, timer_main, L);
	if (r) {
		pthread_mutex_lock(&L->lock);
		q->running = false;
		pthread_mutex_unlock(&L->lock);
		pthread_cond_destroy(&q->cv);
		l_log(L, "cannot start the PIT's timer thread: %s", strerror(r));
		return -r;
	}
	return 0;
}

/* dom_stop: end the timer thread (before the vCPU threads go). */
void dm_irq_stop(struct launcher *L)
{
	struct dm_irq *q = &L->dm.irq;

	pthread_mutex_lock(&L->lock);
	if (!q->running) {
		pthread_mutex_unlock(&L->lock);
		return;
	}
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&L->lock);
	pthread_join(q->th, NULL);
	pthread_mutex_lock(&L->lock);
	q->running = false;
	pthread_mutex_unlock(&L->lock);
	pthread_cond_destroy(&q->cv);
}

/*
 * vCPU 0's thread before each entry (docs/devices.md step 3).  A
 * multiboot vCPU 0 that halted (dm_irq_halt_wait) first waits here until
 * INT rises: 0 if it must not enter yet (a stop or a pause came first:
 * the caller loops, parks, and comes back still halted).  Then, with INT
 * up and the vCPU able to take an interrupt, the acknowledge and
 * DOMUS_INTERRUPT with the PIC's vector; INT up but not ready, the
 * interrupt-window exit; else no window.  1: enter; -1: the injection
 * failed (the domain is stopped).
 */
int dm_irq_before_run(struct l_vcpu *t)
{
	struct launcher *L = t->L;
	struct dm_irq *q = &L->dm.irq;
	struct domus_run *run = t->v.run;
	bool window;
	int vec;

	pthread_mutex_lock(&L->lock);
	if (q->halted) {
		while (!dm_pic_intr(&L->dm.pic) && !atomic_load(&t->stop) && !L->paused) {
			struct timespec ts;

			/* pause_cv is CLOCK_REALTIME; 10 ms bounds a missed broadcast */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&L->pause_cv, &L->lock, &ts);
		}
		if (!dm_pic_intr(&L->dm.pic)) {
			pthread_mutex_unlock(&L->lock);
			return 0;
		}
		q->halted = false;
		q->halts++;
	}
	q->seen_gen = q->kick_gen;
	vec = dm_pic_before_run(&L->dm.pic, run->ready_for_interrupt, &window);
	if (vec >= 0)
		q->injected++;
	pthread_mutex_unlock(&L->lock);
	if (window)
		run->flags |= DOMUS_RUN_IRQ_WINDOW;
	else
		run->flags &= ~DOMUS_RUN_IRQ_WINDOW;
	if (vec >= 0 && domus_inject_irq(&t->v, (uint32_t)vec) < 0) {
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU 0: cannot inject the PIC's vector %d: %s", vec,
				  domus_last_error());
		return -1;
	}
	return 1;
}

/*
 * A multiboot HVM guest (no firmware; DOMUS_RUN_EXIT_ON_HLT) executed
 * HLT (RIP is past it): with IF set on vCPU 0 and an input unmasked at
 * the master PIC an interrupt can end it, so vCPU 0 is marked halted and
 * dm_irq_before_run() waits for INT before the next entry.  False:
 * nothing can wake it, the caller ends the domain as before.
 */
bool dm_irq_halt_wait(struct l_vcpu *t)
{
	struct launcher *L = t->L;
	bool can;

	if (t->v.id != 0 || !t->v.run->if_flag)
		return false;
	pthread_mutex_lock(&L->lock);
	can = L->dm.pic.chip[0].imr != 0xff;
	if (can)
		L->dm.irq.halted = true;
	pthread_mutex_unlock(&L->lock);
	return can;
}
