// SPDX-License-Identifier: MIT
/*
 * Threads with a signal stack of their own (domus_thread_create): a
 * fatal-signal handler installed with SA_ONSTACK (the launcher's crash
 * line, userland/launcher/sandbox.c) then still runs when the thread has
 * overflowed its stack; on the thread's own stack the kernel could not
 * deliver the signal at all and the process would die without a word.
 * A signal stack is per thread and a new thread starts without one, so
 * every thread of the launcher is started here.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "libdomus.h"

#define SIGSTACK_MIN	(64u << 10)

static pthread_key_t stack_key;
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

/* at the thread's end: off the signal stack, then free it */
static void stack_free(void *p)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	sigaltstack(&ss, NULL);
	free(p);
}

static void stack_key_make(void)
{
	if (pthread_key_create(&stack_key, stack_free))
		stack_key = (pthread_key_t)-1;
}

int domus_thread_sigstack(void)
{
	stack_t ss, old;
	size_t size = SIGSTACK_MIN;
#ifdef _SC_SIGSTKSZ
	long want = sysconf(_SC_SIGSTKSZ);

	if (want > 0 && (size_t)want * 4 > size)
		size = (size_t)want * 4;
#endif
	/* one already (the main thread's, a sanitizer's own): keep it */
	if (sigaltstack(NULL, &old))
		return -errno;
	if (!(old.ss_flags & SS_DISABLE))
		return 0;
	pthread_once(&stack_once, stack_key_make);
	if (stack_key == (pthread_key_t)-1)
		return -EAGAIN;
	ss.ss_sp = malloc(size);
	if (!ss.ss_sp)
		return -ENOMEM;
	ss.ss_size = size;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL)) {
		int e = errno;

		free(ss.ss_sp);
		return -e;
	}
	if (pthread_setspecific(stack_key, ss.ss_sp)) {
		stack_t off = { .ss_flags = SS_DISABLE };

		sigaltstack(&off, NULL);
		free(ss.ss_sp);
		return -ENOMEM;
	}
	return 0;
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_start t = *(struct thread_start *)p;

	free(p);
	/* without one the thread runs on: only a stack overflow's line is lost */
	domus_thread_sigstack();
	return t.fn(t.arg);
}

int domus_thread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct thread_start *t = malloc(sizeof(*t));
	int r;

	if (!t)
		return ENOMEM;
	t->fn = fn;
	t->arg = arg;
	r = pthread_create(th, attr, thread_main, t);
	if (r)
		free(t);
	return r;
}
