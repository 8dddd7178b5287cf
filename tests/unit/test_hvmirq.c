// SPDX-License-Identifier: MIT
/*
 * The launcher's HVM interrupt wiring (userland/launcher/hvm_irq.c):
 * the PIT's timer thread raising IRQ 0 on the PIC from the real clock,
 * the step before vCPU 0's entry (the window when the vCPU cannot take
 * the interrupt; the acknowledge and the PIC's vector when it can), and
 * the HLT of a multiboot vCPU 0 (what can wake it, the wait for INT, a
 * stop ending the wait).  No /dev/domus: the injection itself fails on a
 * closed vCPU fd, which the stub of dom_guest_stopped records (with the
 * vector the PIC gave).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

#include "unit_llog.h"	/* the launcher's log */

static char stopped[512];
void dom_guest_stopped(struct launcher *L, int reason, const char *fmt, ...)
{
	va_list ap;

	(void)L;
	(void)reason;
	va_start(ap, fmt);
	vsnprintf(stopped, sizeof(stopped), fmt, ap);
	va_end(ap);
}

static struct launcher *L;
static struct l_vcpu *T;
static struct domus_run *R;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void setup(void)
{
	unsigned int c;

	L = calloc(1, sizeof(*L));
	R = calloc(1, 4096);
	pthread_mutex_init(&L->lock, NULL);
	pthread_cond_init(&L->pause_cv, NULL);
	L->vcpu = calloc(1, sizeof(*L->vcpu));	/* L->nvcpu 0: no kicks sent */
	T = &L->vcpu[0];
	T->L = L;
	T->v.fd = -1;
	T->v.run = R;
	dm_pic_init(&L->dm.pic);
	dm_pit_init(&L->dm.pit, now_ns());
	for (c = 0; c < 2; c++) {	/* as SeaBIOS: 0x08 and 0x70; only IRQ 0 open */
		dm_pic_write(&L->dm.pic, c, 0, 0x11);
		dm_pic_write(&L->dm.pic, c, 1, c ? 0x70 : 0x08);
		dm_pic_write(&L->dm.pic, c, 1, c ? 2 : 4);
		dm_pic_write(&L->dm.pic, c, 1, 0x01);
		dm_pic_write(&L->dm.pic, c, 1, c ? 0xff : 0xfe);
	}
	stopped[0] = 0;
}

static void teardown(void)
{
	pthread_cond_destroy(&L->pause_cv);
	pthread_mutex_destroy(&L->lock);
	free(R);
	free(L->vcpu);
	free(L);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
}

/* counter 0 at 1000 Hz: the thread pulses IRQ 0 (generous: a loaded host) */
static void test_timer_thread(void)
{
	uint64_t ticks = 0;
	unsigned int i;
	bool intr = false;

	setup();
	EXPECT(dm_irq_start(L) == 0);
	pthread_mutex_lock(&L->lock);
	dm_pit_write(&L->dm.pit, 3, 0x34, now_ns());
	dm_pit_write(&L->dm.pit, 0, 1193 & 0xff, now_ns());
	dm_pit_write(&L->dm.pit, 0, 1193 >> 8, now_ns());
	dm_irq_timer_poke(L);
	pthread_mutex_unlock(&L->lock);
	for (i = 0; i < 500 && ticks < 50; i++) {
		sleep_ms(10);
		pthread_mutex_lock(&L->lock);
		ticks = L->dm.irq.ticks;
		intr = dm_pic_intr(&L->dm.pic);
		pthread_mutex_unlock(&L->lock);
	}
	EXPECT(ticks >= 50 && intr);
	/* a new count slows it: 18.2 Hz (SeaBIOS) */
	pthread_mutex_lock(&L->lock);
	dm_pit_write(&L->dm.pit, 0, 0, now_ns());
	dm_pit_write(&L->dm.pit, 0, 0, now_ns());
	dm_irq_timer_poke(L);
	ticks = L->dm.irq.ticks;
	pthread_mutex_unlock(&L->lock);
	sleep_ms(100);
	pthread_mutex_lock(&L->lock);
	EXPECT(L->dm.irq.ticks - ticks <= 4);
	pthread_mutex_unlock(&L->lock);
	dm_irq_stop(L);
	EXPECT(!L->dm.irq.running);
	dm_irq_stop(L);			/* twice: harmless */
	teardown();
}

/* before the entry: nothing; the window; the acknowledge and vector 8 */
static void test_before_run(void)
{
	setup();
	R->ready_for_interrupt = 1;
	R->flags = DOMUS_RUN_EXIT_ON_HLT | DOMUS_RUN_IRQ_WINDOW;
	EXPECT(dm_irq_before_run(T) == 1);
	EXPECT(R->flags == DOMUS_RUN_EXIT_ON_HLT);		/* no INT: no window */
	dm_pic_set_irq(&L->dm.pic, 0, true);
	dm_pic_set_irq(&L->dm.pic, 0, false);
	R->ready_for_interrupt = 0;
	EXPECT(dm_irq_before_run(T) == 1);
	EXPECT(R->flags == (DOMUS_RUN_EXIT_ON_HLT | DOMUS_RUN_IRQ_WINDOW));
	EXPECT(L->dm.pic.chip[0].irr & 1 && !(L->dm.pic.chip[0].isr & 1));
	R->ready_for_interrupt = 1;
	EXPECT(dm_irq_before_run(T) == -1);			/* fd -1: the ioctl fails */
	EXPECT(strstr(stopped, "vector 8") != NULL);
	EXPECT(R->flags == DOMUS_RUN_EXIT_ON_HLT);
	EXPECT(!(L->dm.pic.chip[0].irr & 1) && (L->dm.pic.chip[0].isr & 1));	/* INTA done */
	EXPECT(L->dm.irq.injected == 1 && L->dm.irq.seen_gen == L->dm.irq.kick_gen);
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);			/* the guest's EOI */
	EXPECT(!L->dm.pic.chip[0].isr);
	teardown();
}

static void *raise_later(void *arg)
{
	(void)arg;
	sleep_ms(50);
	pthread_mutex_lock(&L->lock);
	dm_pic_set_irq(&L->dm.pic, 0, true);
	dm_pic_set_irq(&L->dm.pic, 0, false);
	dm_irq_kick(L);
	pthread_mutex_unlock(&L->lock);
	return NULL;
}

/* a multiboot vCPU 0's HLT: who can wake it; the wait; a stop ends it */
static void test_halt(void)
{
	pthread_t th;

	setup();
	R->if_flag = 0;
	EXPECT(!dm_irq_halt_wait(T));				/* cli; hlt */
	R->if_flag = 1;
	dm_pic_write(&L->dm.pic, 0, 1, 0xff);
	EXPECT(!dm_irq_halt_wait(T));				/* every input masked */
	dm_pic_write(&L->dm.pic, 0, 1, 0xfe);
	T->v.id = 1;
	EXPECT(!dm_irq_halt_wait(T));				/* not the PIC's vCPU */
	T->v.id = 0;
	EXPECT(dm_irq_halt_wait(T) && L->dm.irq.halted);
	R->ready_for_interrupt = 0;
	EXPECT(pthread_create(&th, NULL, raise_later, NULL) == 0);
	EXPECT(dm_irq_before_run(T) == 1);			/* returns once INT rose */
	pthread_join(th, NULL);
	EXPECT(!L->dm.irq.halted && L->dm.irq.halts == 1 && (R->flags & DOMUS_RUN_IRQ_WINDOW));
	EXPECT(dm_irq_halt_wait(T));
	dm_pic_ack(&L->dm.pic);
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);
	EXPECT(!dm_pic_intr(&L->dm.pic));
	atomic_store(&T->stop, 1);
	EXPECT(dm_irq_before_run(T) == 0 && L->dm.irq.halted);	/* a stop: no entry */
	atomic_store(&T->stop, 0);
	L->paused = true;
	EXPECT(dm_irq_before_run(T) == 0 && L->dm.irq.halted);	/* a pause: still halted */
	teardown();
}

int main(void)
{
	RUN(UNIT_PREFIX, test_timer_thread);
	RUN(UNIT_PREFIX, test_before_run);
	RUN(UNIT_PREFIX, test_halt);
	return unit_failed;
}
