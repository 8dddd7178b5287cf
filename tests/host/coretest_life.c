// SPDX-License-Identifier: MIT
/*
 * coretest: two vCPUs, isolation, statistics, create/destroy cycles, kill -9
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <sys/wait.h>

/* --- two vCPUs -------------------------------------------------------------------- */

struct smp_job {
	struct ctx c;
	int ok;
	char why[300];
};

static void *smp_thread(void *arg)
{
	struct smp_job *j = arg;

	j->ok = run_to_pass(&j->c, "long64", j->why, sizeof(j->why));
	return NULL;
}

void t_smp(void)
{
	static struct smp_job job[2];
	const uint64_t iters = 200000;
	struct vm vm;
	pthread_t th[2];
	char why[300] = "";
	unsigned int i;
	uint64_t shared;
	int ok = 1, r = vm_create(&vm, LM_RAM_SIZE, 0);

	if (!r)
		r = load_guest(&vm, "long64");
	for (i = 0; i < 2 && !r; i++) {
		r = vm_add_vcpu(&vm, i);
		if (!r)
			r = setup_lm(&vm, &vm.vcpu[i], T_SMP, iters, 0, 0);
	}
	if (r) {
		result("smp-two-vcpus", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	for (i = 0; i < 2; i++) {
		ctx_init(&job[i].c, &vm, &vm.vcpu[i], 1);
		pthread_create(&th[i], NULL, smp_thread, &job[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		if (!job[i].ok) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU %u: %s", i, job[i].why);
		} else if (job[i].c.nvals != 1 || job[i].c.vals[0] != i) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU %u reported APIC id %u", i, job[i].c.vals[0]);
		}
	}
	shared = *(volatile uint64_t *)(vm.ram + LM_SHARED);
	if (ok && shared != 2 * iters) {
		ok = 0;
		snprintf(why, sizeof(why), "shared counter %llu, want %llu", (unsigned long long)shared,
			 (unsigned long long)(2 * iters));
	}
	result("smp-two-vcpus", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- isolation --------------------------------------------------------------------- */

void t_isolation(void)
{
	const uint64_t seed = 0x5eed5eed00000000ULL;
	struct vm a, b;
	struct ctx c;
	char why[300] = "";
	uint64_t i, bad = 0, *q;
	int ok, r;

	memset(&b, 0, sizeof(b));
	b.fd = b.vcpu[0].fd = b.vcpu[1].fd = -1;
	r = vm_start(&a, "long64", T_FILL, seed, 0, 0);
	if (!r)
		r = vm_start(&b, "long64", T_ZERO, 0, 0, 0);
	if (r) {
		result("isolation-fill", 0, "setup: %s", domus_last_error());
		vm_destroy(&a);
		vm_destroy(&b);
		return;
	}
	ctx_init(&c, &a, &a.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	q = (uint64_t *)(a.ram + LM_FILL);
	for (i = 0; ok && i < LM_FILL_SIZE / 8; i++)
		if (q[i] != ((LM_FILL + 8 * i) ^ seed))
			bad++;
	/* and nothing above or below the fill area that the guest does not own */
	for (i = LM_DATA / 8; ok && i < LM_FILL / 8; i++)
		if (((uint64_t *)a.ram)[i])
			bad++;
	if (ok && bad) {
		ok = 0;
		snprintf(why, sizeof(why), "%llu qwords differ from the pattern", (unsigned long long)bad);
	}
	result("isolation-fill", ok, "%s", why);

	/* the other domain: its memory is all zero, and its hole reads exit */
	ctx_init(&c, &b, &b.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	result("isolation-other-domain", ok, "%s", why);
	result("isolation-outside-slot-mmio", ok && c.hole_reads == 1,
	       "%lu MMIO reads at 0x%llx", c.hole_reads, (unsigned long long)LM_HOLE);
	vm_destroy(&a);
	vm_destroy(&b);
}

/* --- domain statistics ------------------------------------------------------------- */

void t_stats(void)
{
	struct domus_domain_stats st;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = vm_start(&vm, "long64", T_PIO, 0, 0, 0);

	if (r) {
		result("domain-stats", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	ok = ok && domus_domain_stats(vm.fd, &st) == 0;
	if (ok && (st.vcpus != 1 || st.slots != 2 ||
		   st.pinned_pages != (LM_RAM_SIZE + LM_RO_SIZE) / 4096 ||
		   st.stat[DOMUS_STAT_IO] < c.nio || st.stat[DOMUS_STAT_USER_EXITS] < c.nexits ||
		   st.stat[DOMUS_STAT_EXITS] < st.stat[DOMUS_STAT_IO])) {
		ok = 0;
		snprintf(why, sizeof(why),
			 "vcpus %u slots %u pinned %llu exits %llu io %llu user_exits %llu (runs %lu, io exits seen %lu)",
			 st.vcpus, st.slots, (unsigned long long)st.pinned_pages,
			 (unsigned long long)st.stat[DOMUS_STAT_EXITS],
			 (unsigned long long)st.stat[DOMUS_STAT_IO],
			 (unsigned long long)st.stat[DOMUS_STAT_USER_EXITS], c.nexits, c.nio);
	}
	result("domain-stats", ok, "%s", why);
	vm_destroy(&vm);
}

void t_cycles(void)
{
	struct domus_global_stats gs;
	char why[300] = "";
	double t0 = now_ms();
	int i, ok = 1, seen = 0;

	for (i = 0; i < 200 && ok; i++) {
		struct vm vm;
		struct ctx c;
		int r = vm_start(&vm, "real16", T_HELLO, 0, 0, 0);

		if (r) {
			ok = 0;
			snprintf(why, sizeof(why), "cycle %d: %s", i, domus_last_error());
		} else {
			if (i == 100 && !domus_global_stats(devfd, &gs))
				seen = gs.domains == 1 && gs.vcpus == 1 && gs.hw_enabled_cpus > 0 &&
				       gs.pinned_pages == LO_RAM_SIZE / 4096 && gs.npt_pages > 0;
			ctx_init(&c, &vm, &vm.vcpu[0], 1);
			ok = run_to_pass(&c, "real16", why, sizeof(why));
		}
		vm_destroy(&vm);
	}
	result("cycles-200", ok, "%s", why);
	printf("info: cycles-200: %.1f ms per create/run/destroy cycle\n", (now_ms() - t0) / 200);
	result("cycles-stats-live", seen, "global stats during a cycle: domains %llu vcpus %llu pinned %llu npt %llu hw_cpus %u",
	       (unsigned long long)gs.domains, (unsigned long long)gs.vcpus,
	       (unsigned long long)gs.pinned_pages, (unsigned long long)gs.npt_pages, gs.hw_enabled_cpus);
	ok = stats_zero(why, sizeof(why));
	result("cycles-stats-zero", ok, "%s", why);
}

void t_kill9(void)
{
	char why[300] = "";
	int pfd[2], st = 0;
	char byte = 0;
	pid_t pid;

	if (pipe(pfd)) {
		result("kill9", 0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vm vm;

		close(pfd[0]);
		if (vm_start(&vm, "long64", T_LOOP, 0, 0, 0))
			_exit(2);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			domus_run(&vm.vcpu[0]);
	}
	close(pfd[1]);
	if (read(pfd[0], &byte, 1) != 1) {
		waitpid(pid, &st, 0);
		result("kill9", 0, "the child could not start its guest (status 0x%x)", st);
		close(pfd[0]);
		return;
	}
	close(pfd[0]);
	sleep_ms(300);		/* the child is inside DOMUS_RUN, the guest looping */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	result("kill9", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status 0x%x", st);
	result("kill9-stats-zero", stats_zero(why, sizeof(why)), "%s", why);
}
