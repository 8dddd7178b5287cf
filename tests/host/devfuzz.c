// SPDX-License-Identifier: MIT
/*
 * devfuzz: a syscall-level fuzzer of /dev/domus, run inside a test host
 * with domus.ko loaded (tests/host/amd-devfuzz.sh), from the repository top.
 *
 *   devfuzz ioctl SEED CALLS   random ioctl/mmap/close sequences
 *   devfuzz guest SEED OPS     the kernel-mode guest fuzzer (devfuzz/guest.c)
 *
 * ioctl mode: two fuzzing threads make CALLS calls in all over the device,
 * domain and vCPU fds: every ioctl of uapi/domus.h with generated and then
 * bit-flipped arguments (reserved fields included), random command numbers,
 * arguments behind NULL, unmapped, kernel, non-canonical and unaligned
 * pointers, pointers straddling into a PROT_NONE page and into memory a
 * third thread unmaps and remaps meanwhile; domain and vCPU creation,
 * fd closes while two runner threads are inside DOMUS_RUN on them (a
 * kicker thread interrupts the runs with signals), memory-slot add/remove
 * while vCPUs run, mmap of the run page and of the grant table with
 * random offsets, lengths and protections, calls from a forked child.
 * The vCPUs run the long64 test guest (loop, I/O, MMIO tests), so the
 * runs really enter the guest.
 *
 * Each thread's call sequence follows from SEED (printed); the
 * interleaving of the threads does not.  Oracle: a known command whose
 * argument (or the table it points to) is in kernel or non-canonical
 * space must fail; an unknown command must fail with ENOTTY.  After the
 * run every fd is closed and the module's counters must return to zero.
 * The host's health (kernel log, module refcount, unload) is the
 * caller's to check.  Last line: "DEVFUZZ-DONE calls=N unexpected=U ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libdomus.h"
#include "../guests/guest.h"
#include "devfuzz.h"

#define NDOM		4
#define NVCPU		8
#define NFUZZ		2
#define NRUN		2

struct dom_ent {
	_Atomic int fd;
	uint8_t *ram;			/* LM_RAM_SIZE, kept for the whole run */
};

struct vcpu_ent {
	_Atomic int fd;
	struct domus_run *_Atomic run;
};

static int devfd;
struct domus_caps caps;
static struct dom_ent doms[NDOM];
static struct vcpu_ent vcpus[NVCPU];
static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t guest_img[0x10000];
static size_t guest_len;
static atomic_long calls_done, unexpected, successes, runs, run_exits;
static unsigned long calls_max;
static atomic_int stop;
static atomic_int phase;		/* 0 fuzzing, 1 stopping runners, 2 closing, 3 done */
static pthread_t runner_tid[NRUN];
static uint64_t runner_seed[NRUN];
static atomic_int runner_done[NRUN];

static const unsigned int known_cmds[] = {
	DOMUS_GET_API_VERSION, DOMUS_GET_CAPS, DOMUS_GET_GLOBAL_STATS, DOMUS_CREATE_DOMAIN,
	DOMUS_SET_MEM_SLOT, DOMUS_CREATE_VCPU, DOMUS_SET_CPUID, DOMUS_GET_STATS, DOMUS_SET_MEM_LIMIT,
	DOMUS_SET_DIRTY_LOG, DOMUS_GET_DIRTY_LOG,
	DOMUS_XEN_SET_PARAM, DOMUS_XEN_GET_PARAM, DOMUS_XEN_EVTCHN_BIND, DOMUS_XEN_EVTCHN_NOTIFY,
	DOMUS_XEN_GNTTAB_LIMIT, DOMUS_XEN_GET_VCPU_STATE, DOMUS_XEN_SET_VCPU_STATE,
	DOMUS_RUN, DOMUS_GET_REGS, DOMUS_SET_REGS, DOMUS_GET_SREGS, DOMUS_SET_SREGS,
	DOMUS_GET_MSRS, DOMUS_SET_MSRS, DOMUS_GET_FPU, DOMUS_SET_FPU, DOMUS_GET_EVENTS,
	DOMUS_SET_EVENTS, DOMUS_INTERRUPT, DOMUS_NMI,
};
#define NKNOWN (sizeof(known_cmds) / sizeof(known_cmds[0]))

/* --- guarded memory access (the run page may be unmapped meanwhile) -------- */

static __thread sigjmp_buf *guard_jmp;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (guard_jmp)
		siglongjmp(*guard_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_kick(int sig)
{
	(void)sig;
}

/* Touch @len bytes at @p (read, and write if @wr); 0 or -1 if it faulted. */
static int touch(volatile uint8_t *p, size_t len, int wr, uint64_t *s)
{
	sigjmp_buf jb;
	size_t i;
	int ret = 0;

	if (sigsetjmp(jb, 1)) {
		ret = -1;
		goto out;
	}
	guard_jmp = &jb;
	for (i = 0; i < len; i += 512) {
		uint8_t b = p[i];

		if (wr)
			p[i] = b ^ (uint8_t)rnd(s);
	}
out:
	guard_jmp = NULL;
	return ret;
}


static int pick_fd(uint64_t *s, int kind)
{
	switch (kind) {
	case 0:
		return devfd;
	case 1:
		return atomic_load(&doms[rnd_below(s, NDOM)].fd);
	case 2:
		return atomic_load(&vcpus[rnd_below(s, NVCPU)].fd);
	}
	/* any of ours (not stdin/out/err) or -1 */
	return rnd_below(s, 8) ? 3 + (int)rnd_below(s, 40) : -1;
}

/* The kind of fd a known command is meant for: 0 device, 1 domain, 2 vCPU. */
static int cmd_kind(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	return nr < 0x10 ? 0 : nr < 0x20 ? 1 : 2;
}

static int is_known(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < NKNOWN; i++)
		if (known_cmds[i] == cmd)
			return 1;
	return 0;
}

static void check(const char *what, unsigned int cmd, long ret, int must_fail, int must_enotty)
{
	if ((must_fail && ret >= 0) || (must_enotty && !(ret < 0 && errno == ENOTTY))) {
		long n = atomic_fetch_add(&unexpected, 1);

		if (n < 10)
			printf("unexpected: %s cmd 0x%08x returned %ld (errno %d), %s\n", what, cmd, ret,
			       ret < 0 ? errno : 0, must_fail ? "must fail (kernel pointer)" : "must be ENOTTY");
	}
}

/* --- operations ------------------------------------------------------------ */

static void op_known_ioctl(uint64_t *s, uint8_t *buf)
{
	unsigned int cmd = known_cmds[rnd_below(s, NKNOWN)];
	int kind = rnd_below(s, 8) ? cmd_kind(cmd) : (int)rnd_below(s, 4);
	int fd = pick_fd(s, kind), bad, nbad;
	uint64_t arg;
	long ret;

	if (cmd == DOMUS_RUN)
		return;		/* the runner threads' call */
	gen_arg(s, cmd, buf, &nbad);
	arg = place_arg(s, buf, _IOC_SIZE(cmd), &bad);
	if (last_kind != P_GOOD && last_kind != P_UNALIGNED)
		nbad = 0;	/* the kernel reads something else than buf */
	ret = ioctl(fd, cmd, arg);
	if (ret >= 0) {
		atomic_fetch_add(&successes, 1);
		if (cmd == DOMUS_CREATE_DOMAIN || cmd == DOMUS_CREATE_VCPU)
			close(ret);	/* a new fd nobody tracks: closed at once */
	}
	if (fd >= 0 && fd != devfd && kind == cmd_kind(cmd))
		check("known", cmd, ret, (bad && _IOC_DIR(cmd) != _IOC_NONE && _IOC_SIZE(cmd)) || nbad, 0);
	close_eventfds();
}

static void op_random_ioctl(uint64_t *s, uint8_t *buf)
{
	unsigned int cmd;
	int fd = pick_fd(s, rnd_below(s, 4)), bad;
	uint64_t arg;
	long ret;

	switch (rnd_below(s, 4)) {
	case 0:
		cmd = (uint32_t)rnd(s);
		break;
	case 1:		/* a known command with another size or direction */
		cmd = known_cmds[rnd_below(s, NKNOWN)];
		cmd = _IOC(rnd_below(s, 4), DOMUS_IOCTL_TYPE, _IOC_NR(cmd), rnd_below(s, 1u << 14));
		break;
	default:	/* any number of our type */
		cmd = _IOC(rnd_below(s, 4), DOMUS_IOCTL_TYPE, rnd_below(s, 256), rnd_below(s, 2) ?
			   rnd_below(s, 300) : rnd_below(s, 1u << 14));
		break;
	}
	if (cmd == DOMUS_RUN)
		return;
	for (size_t i = 0; i < 512; i++)
		((uint64_t *)buf)[i] = rnd_below(s, 2) ? 0 : rnd(s);
	arg = place_arg(s, buf, _IOC_SIZE(cmd) < 4096 ? _IOC_SIZE(cmd) : 4096, &bad);
	ret = ioctl(fd, cmd, arg);
	if (ret >= 0) {
		atomic_fetch_add(&successes, 1);
		if (cmd == DOMUS_CREATE_DOMAIN || cmd == DOMUS_CREATE_VCPU)
			close(ret);
	}
	if (!is_known(cmd) && fd >= 0 && (fd == devfd || fd == atomic_load(&doms[0].fd)))
		check("random", cmd, ret, 0, fd == devfd || _IOC_TYPE(cmd) != DOMUS_IOCTL_TYPE);
}

static void op_create_domain(uint64_t *s)
{
	/* plain (HVM), Xen PVH, PVHVM */
	static const uint32_t flags[] = { 0, DOMUS_DOMAIN_XEN, DOMUS_DOMAIN_XEN_HVM };
	unsigned int i = rnd_below(s, NDOM);
	struct dom_ent *d = &doms[i];
	int fd, exp = -1;

	fd = domus_create_domain_flags(devfd, flags[rnd_below(s, 3)]);
	if (fd < 0)
		return;
	/* a fresh copy of the guest at the bottom of its RAM, slot 0 */
	memset(d->ram, 0, GUEST_LOAD + guest_len);
	memcpy(d->ram + GUEST_LOAD, guest_img, guest_len);
	domus_set_slot(fd, 0, 0, LM_RAM_SIZE, d->ram, 0);
	if (!atomic_compare_exchange_strong(&d->fd, &exp, fd))
		close(fd);
}

static const uint64_t guest_tests[] = { T_LOOP, T_LOOP, T_LOOP, T_HELLO, T_PIO, T_MMIO, T_FILL, T_HLT, T_IRQ, T_SMP, T_ROSLOT };

static void op_create_vcpu(uint64_t *s)
{
	unsigned int di = rnd_below(s, NDOM), vi = rnd_below(s, NVCPU);
	struct domus_vcpu_handle h;
	struct domus_regs r;
	int dfd = atomic_load(&doms[di].fd), exp = -1;
	uint32_t id = rnd_below(s, caps.max_vcpus < 4 ? caps.max_vcpus : 4);

	if (dfd < 0 || atomic_load(&vcpus[vi].fd) >= 0)
		return;
	if (domus_create_vcpu(dfd, id, &h))
		return;
	/* the domain fd may have been closed and its number reused: any fd */
	if (!domus_setup_long_mode(&h, doms[di].ram, LM_PT, LM_MAP_BYTES, GUEST_LOAD,
				   LM_STACK_TOP - 0x8000ULL * id) && !domus_get_regs(&h, &r)) {
		r.rdi = guest_tests[rnd_below(s, sizeof(guest_tests) / 8)];
		r.rsi = rnd_below(s, 1000);
		domus_set_regs(&h, &r);
	}
	pthread_mutex_lock(&tab_lock);
	if (atomic_compare_exchange_strong(&vcpus[vi].fd, &exp, h.fd)) {
		atomic_store(&vcpus[vi].run, h.run);
		h.fd = -1;
		h.run = NULL;
	}
	pthread_mutex_unlock(&tab_lock);
	domus_vcpu_close(&h);
}

static void close_vcpu(unsigned int vi)
{
	struct domus_run *run;
	int fd;

	pthread_mutex_lock(&tab_lock);
	fd = atomic_exchange(&vcpus[vi].fd, -1);
	run = atomic_exchange(&vcpus[vi].run, NULL);
	pthread_mutex_unlock(&tab_lock);
	if (run)
		munmap(run, 4096);
	if (fd >= 0)
		close(fd);
}

static void op_close(uint64_t *s)
{
	if (rnd_below(s, 3)) {
		close_vcpu(rnd_below(s, NVCPU));
	} else {
		int fd = atomic_exchange(&doms[rnd_below(s, NDOM)].fd, -1);

		if (fd >= 0)
			close(fd);	/* its vCPUs may still run */
	}
}

static void op_run_page(uint64_t *s)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_EXEC,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	int fd = rnd_below(s, 4) ? atomic_load(&vcpus[rnd_below(s, NVCPU)].fd) :
				   atomic_load(&doms[rnd_below(s, NDOM)].fd);
	size_t len = rnd_below(s, 4) ? 4096 : (1 + rnd_below(s, 40)) * 4096 - rnd_below(s, 2);
	off_t off = rnd_below(s, 3) ? 0 : (off_t)(rnd_below(s, 2) ? rnd_below(s, 40) * 4096 : interesting_val(s));
	int prot = prots[rnd_below(s, 6)];
	int flags = rnd_below(s, 4) ? MAP_SHARED : rnd_below(s, 2) ? MAP_PRIVATE : MAP_SHARED | MAP_POPULATE;
	uint8_t *p;

	if (fd < 0)
		return;
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return;
	atomic_fetch_add(&successes, 1);
	if (prot & PROT_READ)
		touch(p, len, (prot & PROT_WRITE) != 0, s);
	if (rnd_below(s, 4) == 0)
		mprotect(p, 4096, PROT_READ | PROT_WRITE);
	munmap(p, len);
}

/* Write garbage into a live run page (another thread may be in DOMUS_RUN). */
static void op_scribble_run(uint64_t *s)
{
	struct domus_run *run;
	uint8_t tmp[64];
	size_t i;

	pthread_mutex_lock(&tab_lock);
	run = atomic_load(&vcpus[rnd_below(s, NVCPU)].run);
	if (run) {
		for (i = 0; i < sizeof(tmp); i++)
			tmp[i] = rnd(s);
		memcpy((uint8_t *)run + rnd_below(s, 4096 - sizeof(tmp)), tmp, 1 + rnd_below(s, sizeof(tmp)));
		if (rnd_below(s, 2))
			run->flags = rnd_below(s, 4);
	}
	pthread_mutex_unlock(&tab_lock);
}

/* Slots 1.. over the regions, added and removed while vCPUs run. */
static void op_slot(uint64_t *s)
{
	int fd = atomic_load(&doms[rnd_below(s, NDOM)].fd);
	uint32_t slot = rnd_below(s, 8);
	uint64_t gpa = rnd_below(s, 8) ? 0x400000 + rnd_below(s, 32) * REG_SIZE : rnd_below(s, 0x100) << 12;
	uint64_t size = rnd_below(s, 3) ? 0 : (1 + rnd_below(s, REG_SIZE / 4096)) * 4096;

	if (fd < 0)
		return;
	if (slot == 0 && rnd_below(s, 4))
		slot = 1;	/* slot 0 (the guest's RAM) only now and then */
	if (domus_set_slot(fd, slot, gpa, size, (void *)region_addr(s), rnd_below(s, 3) ? 0 : DOMUS_SLOT_READONLY) == 0)
		atomic_fetch_add(&successes, 1);
}

/*
 * Unmap, remap or protect a region (its pages may be pinned by a slot).
 * Unmapping is a MAP_FIXED PROT_NONE mapping in its place: a munmap()
 * would leave a hole where another thread's mmap (a run page) could land
 * and then be replaced by the next remap.
 */
static void op_chaos(uint64_t *s)
{
	uint8_t *r = regions + rnd_below(s, NREG) * REG_SIZE;

	switch (rnd_below(s, 4)) {
	case 0:
		mmap(r, REG_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		break;
	case 1:
		mmap(r, REG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 2:
		mprotect(r, REG_SIZE, rnd_below(s, 2) ? PROT_READ : PROT_NONE);
		break;
	default:
		mprotect(r, REG_SIZE, PROT_READ | PROT_WRITE);
		break;
	}
}

/* A forked child uses the parent's fds: another mm, refused (EIO). */
static void op_fork(uint64_t *s)
{
	int fd = rnd_below(s, 2) ? atomic_load(&doms[rnd_below(s, NDOM)].fd) :
				   atomic_load(&vcpus[rnd_below(s, NVCPU)].fd);
	uint64_t seed = rnd(s);
	pid_t pid;

	if (fd < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct domus_regs r;
		uint64_t cs = seed;
		void *p;
		int bad = 0;

		if (ioctl(fd, known_cmds[rnd_below(&cs, NKNOWN)], &r) >= 0 &&
		    ioctl(fd, DOMUS_GET_REGS, &r) >= 0)
			bad = 1;
		if (ioctl(fd, DOMUS_RUN, 0) >= 0)
			bad = 1;
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			bad = 1;
		_exit(bad ? 3 : 0);
	}
	if (pid > 0) {
		int st;

		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
			check("fork", 0, 0, 1, 0);
	}
}


static void *fuzz_thread(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;
	uint8_t *buf = aligned_alloc(4096, 16384);

	if (!buf)
		return NULL;
	while (!atomic_load(&stop)) {
		long n = atomic_fetch_add(&calls_done, 1);
		unsigned int w = rnd_below(&s, 100);

		if ((unsigned long)n >= calls_max) {
			atomic_fetch_sub(&calls_done, 1);
			break;
		}
		if (n && n % 100000 == 0)	/* long runs: a sign of life */
			printf("progress: %ld calls, %ld unexpected\n", n, atomic_load(&unexpected));
		if (w < 45)
			op_known_ioctl(&s, buf);
		else if (w < 60)
			op_random_ioctl(&s, buf);
		else if (w < 64)
			op_create_domain(&s);
		else if (w < 72)
			op_create_vcpu(&s);
		else if (w < 76)
			op_close(&s);
		else if (w < 84)
			op_slot(&s);
		else if (w < 89)
			op_run_page(&s);
		else if (w < 93)
			op_scribble_run(&s);
		else if (w < 99)
			op_chaos(&s);
		else if (rnd_below(&s, 8) == 0)
			op_fork(&s);
	}
	free(buf);
	return NULL;
}

static void *runner_thread(void *arg)
{
	unsigned int me = (uintptr_t)arg;
	uint64_t s = runner_seed[me];

	while (!atomic_load(&stop)) {
		int fd = atomic_load(&vcpus[rnd_below(&s, NVCPU)].fd);

		if (fd < 0) {
			usleep(200);
			continue;
		}
		atomic_fetch_add(&runs, 1);
		if (ioctl(fd, DOMUS_RUN, 0) == 0)
			atomic_fetch_add(&run_exits, 1);
	}
	atomic_store(&runner_done[me], 1);
	return NULL;
}

/*
 * Interrupt the runners' DOMUS_RUN every 2 ms until every runner has
 * left its loop: a run may wait in the guest's name for as long as the
 * guest says (a Xen vCPU that is down until another brings it up), so the
 * kicks go on after stop is set (a kicker that stopped first left a
 * runner asleep for good: the 47 hang).  The runners are joined after
 * this thread, so their IDs stay valid for pthread_kill.
 */
static void *kicker_thread(void *arg)
{
	unsigned int i, live;

	(void)arg;
	do {
		usleep(2000);
		live = 0;
		for (i = 0; i < NRUN; i++) {
			if (atomic_load(&runner_done[i]))
				continue;
			live++;
			pthread_kill(runner_tid[i], SIGUSR1);
		}
	} while (live);
	return NULL;
}

/* Print one file of /proc (a task's wchan, syscall or kernel stack) on one line. */
static void dump_proc_file(const char *dir, const char *name)
{
	char path[320], text[2048];
	FILE *f;
	size_t n, i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f) {
		printf("stall:   %s: %s\n", name, strerror(errno));
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	for (i = 0; i < n; i++)
		if (text[i] == '\n')
			text[i] = '|';
	printf("stall:   %s: %s\n", name, text);
}

/* A forked child of thread @dir (op_fork) that has not ended: its state and stack. */
static void dump_children(const char *dir)
{
	char path[320];
	int pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/children", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		char cdir[64];

		snprintf(cdir, sizeof(cdir), "/proc/%d", pid);
		printf("stall:  child %d\n", pid);
		dump_proc_file(cdir, "stat");
		dump_proc_file(cdir, "stack");
	}
	fclose(f);
}

/*
 * The stall watchdog: if the run makes no call for DEVFUZZ_STALL seconds
 * (default 120), print every thread's state, wait channel, system call and
 * kernel stack, then end the process with status 5: a hang becomes a
 * failure with the evidence to find it, long before the test host's timeout.
 */
static void *watchdog_thread(void *arg)
{
	const char *e = getenv("DEVFUZZ_STALL");
	long limit = e ? atol(e) : 120, last = -1, still = 0;
	DIR *d;
	struct dirent *de;

	(void)arg;
	if (limit <= 0)
		return NULL;
	for (;;) {
		long now = atomic_load(&calls_done) + atomic_load(&phase) * (1L << 40);

		sleep(1);
		if (now != last) {
			last = now;
			still = 0;
			continue;
		}
		if (++still < limit)
			continue;
		printf("stall: no progress for %ld s: phase %d, calls %ld, runs %ld, run exits %ld\n",
		       still, atomic_load(&phase), atomic_load(&calls_done), atomic_load(&runs),
		       atomic_load(&run_exits));
		d = opendir("/proc/self/task");
		while (d && (de = readdir(d))) {
			char dir[300];

			if (de->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof(dir), "/proc/self/task/%s", de->d_name);
			printf("stall: thread %s\n", de->d_name);
			dump_proc_file(dir, "stat");
			dump_proc_file(dir, "wchan");
			dump_proc_file(dir, "syscall");
			dump_proc_file(dir, "stack");
			dump_children(dir);
		}
		if (d)
			closedir(d);
		fflush(stdout);
		_exit(5);
	}
	return NULL;
}

static int stats_zero(void)
{
	struct domus_global_stats g;
	int i;

	for (i = 0; i < 50; i++) {
		if (domus_global_stats(devfd, &g) == 0 && !g.domains && !g.vcpus &&
		    !g.pinned_pages && !g.npt_pages)
			return 1;
		usleep(100000);
	}
	printf("live after close: domains %llu vcpus %llu pinned %llu npt %llu\n",
	       (unsigned long long)g.domains, (unsigned long long)g.vcpus,
	       (unsigned long long)g.pinned_pages, (unsigned long long)g.npt_pages);
	return 0;
}

static int load_image(void)
{
	FILE *f = fopen("build/guests/long64.bin", "rb");

	if (!f) {
		perror("build/guests/long64.bin");
		return -1;
	}
	guest_len = fread(guest_img, 1, sizeof(guest_img), f);
	fclose(f);
	return guest_len ? 0 : -1;
}

static int ioctl_fuzz(uint64_t seed, unsigned long calls)
{
	pthread_t fz[NFUZZ], kick, wd;
	struct sigaction sa;
	struct timespec t0, t1;
	unsigned int i;
	double secs;
	int zero;

	if (load_image())
		return 2;
	if (regression_checks(devfd))
		atomic_fetch_add(&unexpected, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: DOMUS_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	regions = mmap(NULL, NREG * REG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (regions == MAP_FAILED || guard == MAP_FAILED || mprotect(guard + 4096, 4096, PROT_NONE))
		return 2;
	for (i = 0; i < NDOM; i++) {
		doms[i].fd = -1;
		doms[i].ram = domus_guest_alloc(LM_RAM_SIZE);
		if (!doms[i].ram)
			return 2;
	}
	for (i = 0; i < NVCPU; i++)
		vcpus[i].fd = -1;
	calls_max = calls;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&wd, NULL, watchdog_thread, NULL);
	pthread_detach(wd);
	for (i = 0; i < NRUN; i++)
		runner_seed[i] = seed_mix(seed, 100 + i);
	for (i = 0; i < NRUN; i++)
		pthread_create(&runner_tid[i], NULL, runner_thread, (void *)(uintptr_t)i);
	pthread_create(&kick, NULL, kicker_thread, NULL);
	for (i = 0; i < NFUZZ; i++)
		pthread_create(&fz[i], NULL, fuzz_thread, (void *)(uintptr_t)seed_mix(seed, i));
	for (i = 0; i < NFUZZ; i++)
		pthread_join(fz[i], NULL);
	atomic_store(&phase, 1);
	atomic_store(&stop, 1);
	pthread_join(kick, NULL);	/* returns once every runner is out */
	for (i = 0; i < NRUN; i++)
		pthread_join(runner_tid[i], NULL);
	atomic_store(&phase, 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (i = 0; i < NVCPU; i++)
		close_vcpu(i);
	for (i = 0; i < NDOM; i++) {
		int fd = atomic_exchange(&doms[i].fd, -1);

		if (fd >= 0)
			close(fd);
	}
	zero = stats_zero();
	atomic_store(&phase, 3);
	printf("DEVFUZZ-DONE calls=%ld unexpected=%ld successes=%ld runs=%ld run-exits=%ld counters-zero=%d seconds=%.1f seed=%" PRIu64 "\n",
	       atomic_load(&calls_done), atomic_load(&unexpected), atomic_load(&successes),
	       atomic_load(&runs), atomic_load(&run_exits), zero, secs, seed);
	return atomic_load(&unexpected) || !zero || atomic_load(&calls_done) != (long)calls;
}

int main(int argc, char **argv)
{
	uint64_t seed;
	unsigned long n;

	if (argc != 4 || (strcmp(argv[1], "ioctl") && strcmp(argv[1], "guest"))) {
		fprintf(stderr, "usage: devfuzz ioctl|guest SEED COUNT\n");
		return 2;
	}
	seed = strtoull(argv[2], NULL, 0);
	n = strtoul(argv[3], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	devfd = domus_open();
	if (devfd < 0) {
		fprintf(stderr, "devfuzz: %s\n", domus_last_error());
		return 2;
	}
	if (domus_get_caps(devfd, &caps)) {
		fprintf(stderr, "devfuzz: %s\n", domus_last_error());
		return 2;
	}
	printf("info: devfuzz %s: seed %" PRIu64 ", count %lu (repeat with: devfuzz %s %" PRIu64 " %lu)\n",
	       argv[1], seed, n, argv[1], seed, n);
	if (!strcmp(argv[1], "guest"))
		return guest_fuzz(devfd, seed, n);
	return ioctl_fuzz(seed, n);
}
