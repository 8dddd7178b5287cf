// SPDX-License-Identifier: MIT
/*
 * coretest: resource limits (docs/security.md): guest memory charged to
 * RLIMIT_MEMLOCK, the global max_guest_pages cap under concurrent slot
 * additions, and nested page tables that stay bounded under slot churn.
 */
#include "coretest.h"
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define CAP_PARAM	"/sys/module/domus/parameters/max_guest_pages"
#define CHURN_CYCLES	2000

/* VmLck of this process in KiB (the mm's locked_vm), or -1. */
static long vm_locked_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static uint64_t global_pinned(void)
{
	struct domus_global_stats gs;

	return domus_global_stats(devfd, &gs) ? ~0ULL : gs.pinned_pages;
}

static int set_cap_param(unsigned long long pages)
{
	FILE *f = fopen(CAP_PARAM, "w");
	int r;

	if (!f)
		return -errno;
	r = fprintf(f, "%llu\n", pages) < 0;
	return (fclose(f) || r) ? -EIO : 0;
}

/* Drop CAP_IPC_LOCK from this process (effective and permitted). */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	d[0].permitted &= ~(1u << CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* The slot's pages show in VmLck while it exists, with CAP_IPC_LOCK too. */
static void memlock_charged(void)
{
	long k0, k1, k2;
	struct vm vm;
	void *buf = NULL;
	int ok;

	ok = vm_create(&vm, 2 << 20, 0) == 0;
	k0 = vm_locked_kib();
	buf = domus_guest_alloc(1 << 20);
	ok = ok && buf && domus_set_slot(vm.fd, 2, 1ULL << 32, 1 << 20, buf, 0) == 0;
	k1 = vm_locked_kib();
	ok = ok && domus_set_slot(vm.fd, 2, 0, 0, NULL, 0) == 0;
	k2 = vm_locked_kib();
	result("memlock-charged", ok && k0 >= 2048 && k1 == k0 + 1024 && k2 == k0,
	       "VmLck %ld -> %ld -> %ld KiB (want +1024 while the 1 MiB slot exists; %s)",
	       k0, k1, k2, ok ? "slots ok" : domus_last_error());
	vm_destroy(&vm);
	domus_guest_free(buf, 1 << 20);
	k2 = vm_locked_kib();
	result("memlock-uncharged", k2 == k0 - 2048, "VmLck %ld KiB after the domain is gone (want %ld)",
	       k2, k0 - 2048);
}

/*
 * In a child without CAP_IPC_LOCK and a 512 KiB RLIMIT_MEMLOCK: a 1 MiB
 * slot gets EPERM, two of 256 KiB fit, one more page does not.  The child
 * exits with its domain open: the charge goes with its mm, and the
 * module's global count returns to where it was.
 */
static void memlock_rlimit(void)
{
	uint64_t before = global_pinned(), after = ~0ULL;
	int st = 0, i;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 512 << 10, 512 << 10 };
		void *buf = domus_guest_alloc(2 << 20);
		int dom, r1, r2, r3, r4;

		failed = 0;
		if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl) || !buf) {
			result("memlock-rlimit", 0, "cannot drop CAP_IPC_LOCK or set the limit: %s",
			       strerror(errno));
			result("memlock-rlimit-fits", 0, "not run");
			_exit(1);
		}
		dom = domus_create_domain(devfd);
		r1 = domus_set_slot(dom, 0, 0, 1 << 20, buf, 0);
		r2 = domus_set_slot(dom, 0, 0, 256 << 10, buf, 0);
		r3 = domus_set_slot(dom, 1, 1 << 20, 256 << 10, (char *)buf + (1 << 20), 0);
		r4 = domus_set_slot(dom, 2, 2 << 20, 4096, (char *)buf + (1536 << 10), 0);
		result("memlock-rlimit", dom >= 0 && r1 == -EPERM && r4 == -EPERM,
		       "1 MiB slot: %d, one page over the limit: %d (want -EPERM: %d)", r1, r4, -EPERM);
		result("memlock-rlimit-fits", dom >= 0 && !r2 && !r3 && vm_locked_kib() == 512,
		       "two 256 KiB slots: %d %d, VmLck %ld KiB (want 0 0 512)", r2, r3, vm_locked_kib());
		_exit(failed);		/* the domain and its slots are still there */
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		failed = 1;
	for (i = 0; i < 40 && (after = global_pinned()) != before; i++)
		sleep_ms(50);
	result("memlock-process-gone", after == before,
	       "pinned pages %llu after the child exited with its domain (want %llu)",
	       (unsigned long long)after, (unsigned long long)before);
}

struct cap_race {
	pthread_barrier_t *go;
	int dom;
	void *buf;
	int added;
	int err;
};

static void *cap_race_thread(void *arg)
{
	struct cap_race *c = arg;
	uint32_t s;

	pthread_barrier_wait(c->go);
	for (s = 0; s < 4; s++) {
		int r = domus_set_slot(c->dom, s, (uint64_t)s << 20, 64 << 10,
				       (char *)c->buf + (s << 16), 0);

		if (r) {
			c->err = r;
			break;
		}
		c->added++;
	}
	return NULL;
}

/*
 * max_guest_pages = 100 more than pinned now; 8 domains race to add four
 * 16-page slots each: exactly 6 slots fit, and every refusal is -ENOMEM.
 */
static void global_cap(void)
{
	struct cap_race c[8];
	pthread_t th[8];
	pthread_barrier_t go;
	uint64_t base = global_pinned(), peak;
	int i, total = 0, ok, enomem = 1, r;

	r = set_cap_param(base + 100);
	pthread_barrier_init(&go, NULL, 8);
	for (i = 0; i < 8; i++) {
		c[i] = (struct cap_race){ .go = &go, .dom = domus_create_domain(devfd),
					  .buf = domus_guest_alloc(256 << 10) };
		pthread_create(&th[i], NULL, cap_race_thread, &c[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += c[i].added;
		if (c[i].err && c[i].err != -ENOMEM)
			enomem = 0;
	}
	peak = global_pinned();
	ok = !r && total == 6 && peak == base + 96 && enomem;
	result("global-cap", ok, "param write %d; %d slots of 16 pages added under a cap of 100 (want 6), "
	       "pinned %llu over the base (want 96), refusals all -ENOMEM: %s",
	       r, total, (unsigned long long)(peak - base), enomem ? "yes" : "no");
	for (i = 0; i < 8; i++) {
		if (c[i].dom >= 0)
			close(c[i].dom);
		domus_guest_free(c[i].buf, 256 << 10);
	}
	pthread_barrier_destroy(&go);
	r = set_cap_param(0);
	result("global-cap-default", !r && global_pinned() == base, "param reset %d, pinned %llu (want %llu)",
	       r, (unsigned long long)global_pinned(), (unsigned long long)base);
}

/*
 * A 4 KiB slot added and removed CHURN_CYCLES times, each time at a new
 * place spread over the 48-bit guest-physical space: every removal must
 * give back the table pages its addition took.
 */
static void npt_churn(void)
{
	struct domus_domain_stats st;
	uint64_t base = 0, most = 0, after_rm = 0;
	int ok, i, bad = -1;
	double t0 = now_ms();
	struct vm vm;
	void *buf = domus_guest_alloc(4096);

	ok = vm_create(&vm, 2 << 20, 0) == 0 && buf && domus_domain_stats(vm.fd, &st) == 0;
	base = st.npt_pages;
	for (i = 0; ok && i < CHURN_CYCLES; i++) {
		/* 1 GiB + 2 MiB + 4 KiB steps: new tables at every level */
		uint64_t gpa = (((uint64_t)(i + 1) * 0x40201000ULL) & ((1ULL << 48) - 1));

		if (gpa < (4ULL << 20))
			gpa += 4ULL << 20;
		if (domus_set_slot(vm.fd, 3, gpa, 4096, buf, 0) || domus_domain_stats(vm.fd, &st)) {
			ok = 0;
			break;
		}
		if (st.npt_pages > most)
			most = st.npt_pages;
		if (domus_set_slot(vm.fd, 3, 0, 0, NULL, 0) || domus_domain_stats(vm.fd, &st)) {
			ok = 0;
			break;
		}
		after_rm = st.npt_pages;
		if (after_rm != base && bad < 0)
			bad = i;
	}
	printf("info: %d slot add/remove cycles in %.0f ms\n", i, now_ms() - t0);
	result("npt-churn", ok && bad < 0 && most <= base + 3 && most > base,
	       "%s; %d cycles: table pages %llu at the start, at most %llu with the slot, %llu after the "
	       "last removal (first cycle not back to the start: %d)",
	       ok ? "ok" : domus_last_error(), i, (unsigned long long)base, (unsigned long long)most,
	       (unsigned long long)after_rm, bad);
	vm_destroy(&vm);
	domus_guest_free(buf, 4096);
}

void t_limits(void)
{
	memlock_charged();
	memlock_rlimit();
	global_cap();
	npt_churn();
}
