// SPDX-License-Identifier: MIT
/*
 * The launcher's least privilege (userland/launcher/sandbox.c): the
 * settings from the environment, the capability and user drop, and the
 * seccomp allow-list, each tried in a forked child (a filter cannot be
 * taken off again).  The same checks on a running launcher are in
 * tests/host/amd-pvcli.sh (sandbox/...).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include "blkaio.h"
#include "launcher.h"
#include "unit.h"

#include "unit_llog.h"	/* sandbox.c logs through the launcher's l_log */

/* Run @fn in a child; its wait status. */
static int in_child(int (*fn)(void))
{
	int st = -1;
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p == 0)	/* not _exit(): ASan's would make calls the filter forbids */
		syscall(SYS_exit_group, fn());
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return st;
}

static bool killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static bool exited_0(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int load(void)
{
	char err[256];

	return sb_load_filter(err, sizeof(err));
}

static void rules_resolve(void)
{
	static const char *const never[] = { "execve", "execveat", "fork", "vfork", "socket", "connect",
					     "ptrace", "setuid", "setresuid", "capset", "mount", "bpf",
					     "process_vm_writev", "kill", "init_module", "pkey_mprotect" };
	size_t i, j;

	EXPECT(sb_rule_count() > 20);
	for (i = 0; i < sb_rule_count(); i++) {
		EXPECT(seccomp_syscall_resolve_name(sb_rule_name(i)) != __NR_SCMP_ERROR);
		for (j = 0; j < sizeof(never) / sizeof(never[0]); j++)
			EXPECT(strcmp(sb_rule_name(i), never[j]) != 0);
	}
	EXPECT(sb_rule_name(sb_rule_count()) == NULL);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* What the run loop, the event loop and a restart do, under the filter. */
static int allowed_child(void)
{
	int p[2], f;
	char c = 'x', blk[512];
	struct iovec iov = { blk, sizeof(blk) };
	void *m;

	int sp[2];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec one = { &c, 1 };
	struct msghdr msg = { .msg_iov = &one, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };

	/* an image opened before the sandbox, as the disks are */
	f = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (f < 0 || pipe(p) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		return 1;
	/* a hot-plug request with a descriptor, sent before the filter (by domus) */
	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &p[0], sizeof(int));
	if (sendmsg(sp[1], &msg, 0) != 1 || load())
		return 1;
	/* received under the filter (loop.c recv_with_fds) */
	memset(&cm, 0, sizeof(cm));
	msg.msg_controllen = sizeof(cm.buf);
	if (recvmsg(sp[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1 || cm.h.cmsg_type != SCM_RIGHTS)
		return 11;
	/* the block back end's calls (blkring.c) */
	memset(blk, 0x5a, sizeof(blk));
	if (pwritev(f, &iov, 1, 4096) != 512 || preadv(f, &iov, 1, 4096) != 512 || fdatasync(f) ||
	    fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096))
		return 10;
	close(f);
	if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1 || getpid() <= 0)
		return 2;
	/* a /dev/domus request reaches the kernel (EBADF: no such fd) */
	if (ioctl(-1, DOMUS_RUN) != -1 || errno != EBADF)
		return 3;
	/* stdio's terminal probe: ENOTTY, not a kill */
	if (ioctl(p[0], TCGETS, NULL) != -1 || errno != ENOTTY)
		return 4;
	/* clone3 answers ENOSYS, so libc falls back to clone */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 5;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) || munmap(m, 8192))
		return 6;
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0))
		return 7;
	if (prctl(PR_SET_NAME, "sb-test", 0, 0, 0))
		return 8;
	/* vCPU pinning: a thread sets its own affinity; any thread's is readable */
	{
		cpu_set_t cs;

		if (sched_getaffinity(getpid(), sizeof(cs), &cs) || sched_setaffinity(0, sizeof(cs), &cs))
			return 10;
	}
	/* a block I/O thread makes itself SCHED_BATCH */
	{
		struct sched_param prm = { 0 };

		if (syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &prm))
			return 11;
	}
	/* getrlimit (a restart's refused memory slot names the limit) */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_MEMLOCK, &rl))
			return 12;
	}
	{	/* as the launcher starts its threads: with a signal stack */
		pthread_t th;
		void *ret = NULL;

		if (domus_thread_create(&th, NULL, thread_fn, &c) || pthread_join(th, &ret) || ret != &c)
			return 9;
	}
	close(p[0]);
	close(p[1]);
	return 0;
}

static void filter_allows(void)
{
	int st = in_child(allowed_child);

	EXPECT(exited_0(st));
	if (!exited_0(st))
		printf("  child status 0x%x\n", st);
}

/* Each forbidden call, in its own child: the child dies of SIGSYS. */
static int bad_execve(void)
{
	char *const argv[] = { (char *)"true", NULL };

	load();
	execve("/bin/true", argv, NULL);
	return 0;
}

static int bad_ioctl_type(void)
{
	load();
	ioctl(-1, 0xAE01 /* KVM_CREATE_VM */, 0);
	return 0;
}

static int bad_mmap_exec(void)
{
	load();
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int bad_mprotect_exec(void)
{
	static char page[4096] __attribute__((aligned(4096)));

	load();
	mprotect(page, sizeof(page), PROT_READ | PROT_EXEC);
	return 0;
}

static int bad_fork(void)
{
	load();
	syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	return 0;
}

static int bad_tgkill_other(void)
{
	pid_t parent = getppid();	/* before the filter: getppid is not allowed */

	load();
	syscall(SYS_tgkill, parent, parent, 0);
	return 0;
}

static int bad_setaffinity_other(void)
{
	pid_t parent = getppid();
	cpu_set_t cs;

	sched_getaffinity(0, sizeof(cs), &cs);
	load();
	sched_setaffinity(parent, sizeof(cs), &cs);
	return 0;
}

static int bad_sched_fifo(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	load();
	syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp);
	return 0;
}

static int bad_socket(void)
{
	load();
	socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

static int bad_prctl(void)
{
	load();
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

static int bad_fallocate_grow(void)
{
	int f = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	load();
	fallocate(f, 0, 0, 4096);	/* only PUNCH_HOLE | KEEP_SIZE */
	return 0;
}

static int bad_ptrace(void)
{
	load();
	syscall(SYS_ptrace, 0, 0, 0, 0);
	return 0;
}

static void filter_kills(void)
{
	static int (*const bad[])(void) = { bad_execve, bad_ioctl_type, bad_mmap_exec, bad_mprotect_exec,
					    bad_fork, bad_tgkill_other, bad_setaffinity_other, bad_socket,
					    bad_prctl, bad_ptrace, bad_fallocate_grow, bad_sched_fifo };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = in_child(bad[i]);

		EXPECT(killed_by_sigsys(st));
		if (!killed_by_sigsys(st))
			printf("  forbidden call %zu: child status 0x%x\n", i, st);
	}
}

/* "Name:\tVALUE" from /proc/self/status */
static bool status_is(const char *key, const char *want)
{
	char line[256];
	size_t kl = strlen(key);
	bool ok = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			line[strcspn(line, "\n")] = 0;
			ok = !strcmp(line + kl + 1 + strspn(line + kl + 1, " \t"), want);
			break;
		}
	fclose(f);
	return ok;
}

static struct sb_config drop_cfg;

static int drop_child(void)
{
	char err[256];

	if (sb_drop_privileges(&drop_cfg, err, sizeof(err)))
		return 1;
	if (!status_is("CapEff", "0000000000000000") || !status_is("CapPrm", "0000000000000000") ||
	    !status_is("CapInh", "0000000000000000") || !status_is("CapBnd", "0000000000000000") ||
	    !status_is("CapAmb", "0000000000000000"))
		return 2;
	if (!status_is("NoNewPrivs", "1"))
		return 3;
	if (drop_cfg.user[0]) {
		char want[64];

		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)drop_cfg.uid,
			 (unsigned int)drop_cfg.uid, (unsigned int)drop_cfg.uid, (unsigned int)drop_cfg.uid);
		if (!status_is("Uid", want))
			return 4;
		if (setresuid(0, 0, 0) == 0)
			return 5;
	} else if (!status_is("Uid", "0\t0\t0\t0")) {
		return 6;
	}
	return 0;
}

static void drop_privileges(void)
{
	char err[256];
	int st;

	if (geteuid() != 0) {
		/* without CAP_SETPCAP the bounding set cannot be emptied: an error, not half a drop */
		memset(&drop_cfg, 0, sizeof(drop_cfg));
		EXPECT(sb_drop_privileges(&drop_cfg, err, sizeof(err)) == -1);
		return;
	}
	memset(&drop_cfg, 0, sizeof(drop_cfg));
	st = in_child(drop_child);
	EXPECT(exited_0(st));
	if (!exited_0(st))
		printf("  uid 0: child status 0x%x\n", st);
	unsetenv("DOMUS_NO_SANDBOX");
	setenv("DOMUS_USER", "nobody", 1);
	if (sb_prepare(&drop_cfg, "web", err, sizeof(err)) == 0 && drop_cfg.uid != 0) {
		st = in_child(drop_child);
		EXPECT(exited_0(st));
		if (!exited_0(st))
			printf("  user nobody: child status 0x%x\n", st);
	} else {
		EXPECT(!"the host has a user nobody");
	}
	unsetenv("DOMUS_USER");
}

static void settings(void)
{
	struct sb_config c;
	char err[512];

	unsetenv("DOMUS_USER");
	unsetenv("DOMUS_NO_SANDBOX");
	unsetenv("DOMUS_SANDBOX_DEBUG");
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == 0);
	EXPECT(!c.off && !c.debug && c.user[0] == 0);

	setenv("DOMUS_NO_SANDBOX", "1", 1);
	setenv("DOMUS_SANDBOX_DEBUG", "1", 1);
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == 0);
	EXPECT(c.off && c.debug);
	setenv("DOMUS_NO_SANDBOX", "0", 1);
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == 0);
	EXPECT(!c.off);
	unsetenv("DOMUS_NO_SANDBOX");
	unsetenv("DOMUS_SANDBOX_DEBUG");

	/* %n is the domain's name; a missing user is one line naming the fix */
	setenv("DOMUS_USER", "domus-sbtest-%n", 1);
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == -1);
	EXPECT(!strcmp(c.user, "domus-sbtest-web"));
	EXPECT(!strcmp(err, "DOMUS_USER: no user 'domus-sbtest-web' on this host; create it "
		       "(useradd --system --no-create-home --shell /usr/sbin/nologin domus-sbtest-web) "
		       "or unset DOMUS_USER"));
	EXPECT(!strchr(err, '\n'));

	setenv("DOMUS_USER", "nobody", 1);
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == 0);
	EXPECT(!strcmp(c.user, "nobody") && c.uid == 65534 && c.ngroups >= 1);
	setenv("DOMUS_USER", "0", 1);
	EXPECT(sb_prepare(&c, "web", err, sizeof(err)) == 0);
	EXPECT(c.uid == 0 && c.gid == 0);
	/* a long name is cut, never overflows */
	setenv("DOMUS_USER", "%n%n%n", 1);
	EXPECT(sb_prepare(&c, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0", err,
			  sizeof(err)) == -1);
	EXPECT(strlen(c.user) == sizeof(c.user) - 1);
	unsetenv("DOMUS_USER");
}

/* debug-execve: an unknown request unless DOMUS_SANDBOX_DEBUG=1; with it,
 * under the filter, the launcher dies of SIGSYS. */
static struct launcher dbg_launcher;
static int dbg_fd;

static int debug_child(void)
{
	dbg_launcher.sb.debug = true;
	load();
	l_sandbox_debug_request(&dbg_launcher, dbg_fd, "execve");
	return 0;
}

static void debug_request(void)
{
	char buf[128] = { 0 };
	int sv[2], st;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		EXPECT(!"socketpair");
		return;
	}
	memset(&dbg_launcher, 0, sizeof(dbg_launcher));
	domus_log_init(&dbg_launcher.log);
	EXPECT(l_sandbox_debug_request(&dbg_launcher, sv[0], "execve") == false);
	n = read(sv[1], buf, sizeof(buf) - 1);
	EXPECT(n > 0 && !strcmp(buf, "error unknown request 'debug-execve'\n"));
	dbg_fd = sv[0];
	st = in_child(debug_child);
	EXPECT(killed_by_sigsys(st));
	memset(buf, 0, sizeof(buf));
	n = read(sv[1], buf, sizeof(buf) - 1);
	EXPECT(n > 0 && !strcmp(buf, "ok trying execve\n"));
	close(sv[0]);
	close(sv[1]);
}

/* The network back end's TAP ioctls: TUNSETOFFLOAD and TUNSETQUEUE pass
 * (on a non-TAP fd the kernel answers), any other TUN request kills. */
static int tap_allowed(void)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (load())
		return 1;
	if (ioctl(0, TUNSETOFFLOAD, 0UL) == 0 || ioctl(0, TUNSETQUEUE, &ifr) == 0)
		return 2;	/* stdin is no TAP: an error, not a kill */
	return 0;
}

static int tap_setiff(void)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	load();
	ioctl(0, TUNSETIFF, &ifr);	/* creating a device: before the sandbox only */
	return 0;
}

static void filter_tap(void)
{
	EXPECT(exited_0(in_child(tap_allowed)));
	EXPECT(killed_by_sigsys(in_child(tap_setiff)));
}

/* The block back end's device ioctls: BLKDISCARD and BLKGETSIZE64 pass
 * (stdin is no block device: an error, not a kill); zeroing or secure
 * erase of a device kills. */
static int blkdev_allowed(void)
{
	uint64_t range[2] = { 0, 4096 }, size;

	if (load())
		return 1;
	if (ioctl(0, BLKDISCARD, range) == 0 || ioctl(0, BLKGETSIZE64, &size) == 0)
		return 2;
	return 0;
}

static int blkdev_zeroout(void)
{
	uint64_t range[2] = { 0, 4096 };

	load();
	ioctl(0, BLKZEROOUT, range);
	return 0;
}

static void filter_blkdev(void)
{
	EXPECT(exited_0(in_child(blkdev_allowed)));
	EXPECT(killed_by_sigsys(in_child(blkdev_zeroout)));
}

/* A disk's io_uring (blkaio.c) is made, restricted and enabled under the
 * filter; another io_uring_register operation is fatal. */
static int uring_allowed(void)
{
	int fd = memfd_create("sb-uring", 0);
	struct blk_aio *a;
	char why[96];

	if (fd < 0 || ftruncate(fd, 65536) || load())
		return 1;
	if (blk_aio_open(&a, fd, 32, why, sizeof(why)))
		return 2;
	blk_aio_close(a);
	return 0;
}

static int uring_other_register(void)
{
	struct io_uring_params p;
	int fd;

	load();
	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	syscall(__NR_io_uring_register, fd, IORING_REGISTER_PERSONALITY, NULL, 0);
	return 0;
}

static void filter_io_uring(void)
{
	EXPECT(exited_0(in_child(uring_allowed)));
	EXPECT(killed_by_sigsys(in_child(uring_other_register)));
}

/*
 * Issue 12: closing a disk's io_uring (a disconnect) makes the kernel's
 * ring exit work queue task work, with a signal-like notification, on
 * the thread that made the ring; a thread sleeping with a timeout then
 * (dom_stop's nanosleep, a timed wait) resumes through restart_syscall,
 * which the filter must allow.  The same happens to a launcher stopped
 * (SIGSTOP) and continued in such a sleep.
 */
static int uring_close_then_sleep(void)
{
	struct timespec d = { 0, 100 * 1000 * 1000 };
	int fd = memfd_create("sb-uring", 0), i;
	struct blk_aio *a;
	char why[96];

	if (fd < 0 || ftruncate(fd, 65536) || load())
		return 1;
	for (i = 0; i < 4; i++) {
		if (blk_aio_open(&a, fd, 32, why, sizeof(why)))
			return 2;
		blk_aio_close(a);
		nanosleep(&d, NULL);
		nanosleep(&d, NULL);
	}
	return 0;
}

static int stopped_in_sleep(void)
{
	struct timespec d = { 0, 600 * 1000 * 1000 };

	if (load())
		return 1;
	nanosleep(&d, NULL);	/* the parent stops and continues it meanwhile */
	return 0;
}

static void filter_restart_syscall(void)
{
	struct timespec d = { 0, 150 * 1000 * 1000 };
	int st = in_child(uring_close_then_sleep);
	pid_t p;

	EXPECT(exited_0(st));
	if (!exited_0(st))
		printf("  io_uring closed, then a sleep: child status 0x%x\n", st);
	fflush(stdout);
	p = fork();
	if (p == 0)
		syscall(SYS_exit_group, stopped_in_sleep());
	EXPECT(p > 0);
	if (p <= 0)
		return;
	nanosleep(&d, NULL);
	kill(p, SIGSTOP);
	nanosleep(&d, NULL);
	kill(p, SIGCONT);
	st = -1;
	EXPECT(waitpid(p, &st, 0) == p);
	EXPECT(exited_0(st));
	if (!exited_0(st))
		printf("  stopped and continued in a sleep: child status 0x%x\n", st);
}

/*
 * No silent death: a refused call (one of another architecture too), a
 * fault and a thread's stack overflow each leave one line in the log
 * (sb_fatal_init), then the process ends with the signal as before.
 */
static int fatal_log = -1;

static int fatal_execve(void)
{
	char *const argv[] = { (char *)"true", NULL };
	struct rlimit no = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no);
	if (sb_fatal_init(&fatal_log, -1) || load())
		return 1;
	execve("/bin/true", argv, NULL);
	return 2;
}

static int fatal_segv(void)
{
	static volatile uintptr_t where = 8;
	struct rlimit no = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no);
	if (sb_fatal_init(&fatal_log, -1) || load())
		return 1;
	*(volatile int *)where = 1;
	return 2;
}

/* an i386 system call (int 0x80: getpid, 20) from this x86-64 process:
 * the filter's bad-arch action, a trap like the other refused calls */
static int fatal_int80(void)
{
	struct rlimit no = { 0, 0 };
	long ret = 20;

	setrlimit(RLIMIT_CORE, &no);
	if (sb_fatal_init(&fatal_log, -1) || load())
		return 1;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return 2;
}

/* an x32 system call (getpid, 39, with the x32 bit): the bad-arch action
 * too (libseccomp's x86-64 filter sends it there) */
static int fatal_x32(void)
{
	struct rlimit no = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no);
	if (sb_fatal_init(&fatal_log, -1) || load())
		return 1;
	syscall(0x40000000 | 39);
	return 2;
}

/* without the filter, does the kernel run i386 calls (Debian's does; a
 * kernel without IA32 emulation answers int 0x80 with SIGSEGV)? */
static int int80_getpid(void)
{
	long ret = 20;

	signal(SIGSEGV, SIG_DFL);	/* a fault is the answer, not a finding (ASan) */
	__asm__ volatile("int $0x80" : "+a"(ret) : : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return ret == (long)getpid() ? 0 : 1;
}

/* a thread that recurses until its stack overflows: the handler runs on
 * the thread's signal stack (domus_thread_create) and leaves its line */
static volatile int deep_limit = INT32_MAX;

static int deep(int n)
{
	volatile char frame[512];

	frame[0] = (char)n;
	if (n >= deep_limit)
		return 0;
	return deep(n + 1) + frame[0];
}

static void *overflow_fn(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)deep(0);
}

static int fatal_overflow(void)
{
	struct rlimit no = { 0, 0 };
	pthread_attr_t a;
	pthread_t th;

	setrlimit(RLIMIT_CORE, &no);
	if (sb_fatal_init(&fatal_log, -1) || load() || pthread_attr_init(&a) ||
	    pthread_attr_setstacksize(&a, 256 << 10) || domus_thread_create(&th, &a, overflow_fn, NULL))
		return 1;
	pthread_join(th, NULL);
	return 2;
}

/* the log's text after child @fn ended with @sig */
static bool fatal_line(int (*fn)(void), int sig, const char *want)
{
	char buf[1024], day[16];
	struct tm tm;
	time_t now;
	ssize_t n;
	int st;

	fatal_log = memfd_create("sb-log", 0);
	if (fatal_log < 0)
		return false;
	st = in_child(fn);
	n = pread(fatal_log, buf, sizeof(buf) - 1, 0);
	close(fatal_log);
	buf[n > 0 ? n : 0] = 0;
	/* l_log's stamp: today's local date first */
	now = time(NULL);
	strftime(day, sizeof(day), "%Y-%m-%d ", localtime_r(&now, &tm));
	if (strncmp(buf, day, strlen(day))) {
		printf("  log '%s' does not start with today's date '%s'\n", buf, day);
		return false;
	}
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != sig || !strstr(buf, want) ||
	    !strchr(buf, '\n') || strchr(buf, '\n')[1]) {
		printf("  child status 0x%x, log '%s', want signal %d and '%s'\n", st, buf, sig, want);
		return false;
	}
	return true;
}

static void fatal_lines(void)
{
	EXPECT(fatal_line(fatal_execve, SIGSYS,
			  "launcher: killed by the sandbox: system call 59 (execve) is not in the seccomp allow-list"));
	EXPECT(fatal_line(fatal_segv, SIGSEGV, "launcher: fatal signal 11 (SIGSEGV) in thread "));
	EXPECT(fatal_line(fatal_segv, SIGSEGV, " at address 0x8 (code 1); the launcher ends (signal 11)"));
	EXPECT(fatal_line(fatal_x32, SIGSYS,
			  "launcher: killed by the sandbox: system call 39 of another architecture (x32) in thread "));
	EXPECT(fatal_line(fatal_overflow, SIGSEGV, "launcher: fatal signal 11 (SIGSEGV) in thread "));
}

/*
 * An i386 call (int 0x80) leaves its line too: where the kernel runs i386
 * calls (Debian's) the filter traps it, naming the architecture; a kernel
 * without them (IA32 emulation off, as on some build machines) faults
 * the instruction instead, and the fault's line is the one.
 */
static void fatal_i386(void)
{
	if (exited_0(in_child(int80_getpid)))
		EXPECT(fatal_line(fatal_int80, SIGSYS, "launcher: killed by the sandbox: system call 20 of "
				  "another architecture (audit arch 0x40000003) in thread "));
	else
		EXPECT(fatal_line(fatal_int80, SIGSEGV, "launcher: fatal signal 11 (SIGSEGV) in thread "));
}

int main(void)
{
	RUN(UNIT_PREFIX, rules_resolve);
	RUN(UNIT_PREFIX, settings);
	RUN(UNIT_PREFIX, filter_allows);
	RUN(UNIT_PREFIX, filter_kills);
	RUN(UNIT_PREFIX, drop_privileges);
	RUN(UNIT_PREFIX, debug_request);
	RUN(UNIT_PREFIX, filter_tap);
	RUN(UNIT_PREFIX, filter_blkdev);
	RUN(UNIT_PREFIX, filter_io_uring);
	RUN(UNIT_PREFIX, filter_restart_syscall);
	RUN(UNIT_PREFIX, fatal_lines);
	RUN(UNIT_PREFIX, fatal_i386);
	return unit_failed;
}
