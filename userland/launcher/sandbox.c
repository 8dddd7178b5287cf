// SPDX-License-Identifier: MIT
/*
 * domus-launcher: least privilege once the domain is built, in the manner
 * of Xen's deprivileged device model and Firecracker's jailer
 * (docs/launcher.md "Least privilege", docs/security.md "The launcher").
 *
 * When dom_build() is done (/dev/domus open, guest memory mapped and in
 * its slots, the kernel loaded, the control socket listening, the logs
 * open) and before any vCPU thread starts, l_sandbox_enter():
 *   1. empties the capability bounding set and the ambient set;
 *   2. switches to DOMUS_USER when it is set (supplementary groups, gid,
 *      uid: real, effective and saved);
 *   3. empties the effective, permitted and inheritable sets (uid 0 keeps
 *      its uid, but no capability: files and directories are reached by
 *      their owner and mode bits only);
 *   4. sets no_new_privs;
 *   5. loads the seccomp allow-list below (libseccomp), for every thread;
 *      anything else traps (SIGSYS): sb_fatal's handler writes one line
 *      naming the call to the domain's log, then ends the whole process
 *      with SIGSYS.  So does a call of another architecture (the bad-arch
 *      action: an i386 call by int 0x80, an x32 call).
 * Before that, sb_fatal_init() makes every fatal signal (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT, SIGSYS) leave such a line too: a launcher never
 * dies silently (issue 12).  The handler runs on a signal stack of the
 * thread's own (domus_thread_create, userland/lib/thread.c), so a stack
 * overflow leaves its line as well.
 * The vCPU threads started afterwards, and on every restart, inherit all
 * of it.  DOMUS_NO_SANDBOX=1 skips it (logged), for debugging.
 *
 * Extending the filter: add one row to sb_rules, with the reason.  The
 * features to come and what they will add:
 *   save (save.c): done this way: the file arrives as an fd over the
 *     control socket (recvmsg with SCM_RIGHTS) and is written with write;
 *     `domus save` fsyncs and renames it; restore maps the file before
 *     the sandbox; migration's socket will likewise arrive as an fd;
 *   mem-set, vcpu-set: control requests that issue /dev/domus ioctls and
 *     start threads: already allowed (ioctl type 0xD5, clone of a thread);
 * The block back end's rows are below (preadv, pwritev, fdatasync,
 * fallocate punching holes), and the network back end's (TAP devices
 * created before the sandbox, then read/write and TUNSETOFFLOAD).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include "launcher.h"

/* ---- the allow-list: the one table ----------------------------------------- */

enum sb_kind {
	SB_ALLOW,		/* any arguments */
	SB_MASKED,		/* allow if (arg[arg] & mask) == val */
	SB_SELF,		/* allow if arg[arg] == the launcher's pid */
	SB_ERRNO,		/* fail with errno err, whatever the arguments */
	SB_MASKED_ERRNO,	/* fail with errno err if (arg[arg] & mask) == val */
};

struct sb_rule {
	const char *name;
	enum sb_kind kind;
	unsigned int arg;
	uint64_t mask, val;
	int err;
	const char *why;
};

static const struct sb_rule sb_rules[] = {
	/* the run loop: vCPU threads */
	{ "ioctl", SB_MASKED, 1, 0xff00, DOMUS_IOCTL_TYPE << 8, 0,
	  "/dev/domus requests only (type 0xD5): DOMUS_RUN, a restart's domain build" },
	{ "ioctl", SB_MASKED_ERRNO, 1, 0xffffffff, TCGETS, ENOTTY,
	  "stdio's is-a-terminal probe: answered as for a non-terminal" },
	{ "futex", SB_ALLOW, 0, 0, 0, 0, "locks, pthread_join" },
	{ "rt_sigreturn", SB_ALLOW, 0, 0, 0, 0, "the SIGUSR1 kick that ends DOMUS_RUN" },
	{ "restart_syscall", SB_ALLOW, 0, 0, 0, 0,
	  "the kernel resumes an interrupted sleep with a timeout (nanosleep, poll, a timed futex) this way after a stop or task work: io_uring's ring exit work notifies the thread that made the ring (issue 12)" },
	{ "rt_sigprocmask", SB_ALLOW, 0, 0, 0, 0, "pthread_create" },
	{ "rt_sigaction", SB_MASKED, 0, 0xfffffffe, 32, 0,
	  "libc's own signals 32 and 33, set up by the first pthread_create" },
	{ "tgkill", SB_SELF, 0, 0, 0, 0, "pthread_kill (the kick), abort: own threads only" },
	{ "gettid", SB_ALLOW, 0, 0, 0, 0, "vCPU thread ids (state letters)" },
	{ "getpid", SB_ALLOW, 0, 0, 0, 0, "the info request" },
	{ "clock_gettime", SB_ALLOW, 0, 0, 0, 0, "CPU time of the vCPU threads, log time" },
	{ "clock_nanosleep", SB_ALLOW, 0, 0, 0, 0, "dom_stop's 2 ms retries" },
	{ "nanosleep", SB_ALLOW, 0, 0, 0, 0, "the same, older libc" },
	{ "sched_yield", SB_ALLOW, 0, 0, 0, 0, "libc lock back-off" },
	{ "sched_setaffinity", SB_MASKED, 0, 0xffffffff, 0, 0,
	  "vCPU pinning (cpus=, vcpu-pin): a vCPU thread sets its own (pid 0), never another process's" },
	{ "sched_getaffinity", SB_ALLOW, 0, 0, 0, 0, "vcpu-list, libc's CPU count" },
	{ "sched_setscheduler", SB_MASKED, 1, 0xffffffff, SCHED_BATCH, 0,
	  "a block I/O thread makes itself SCHED_BATCH (no wake-up preemption of the vCPU); no other policy" },
	{ "prlimit64", SB_MASKED, 2, ~0ull, 0, 0,
	  "getrlimit (no new limit): libdomus names RLIMIT_MEMLOCK when a restart's memory slot is refused" },
	/* threads: started now and again on every restart */
	{ "clone", SB_MASKED, 0, CLONE_THREAD, CLONE_THREAD, 0, "threads only: no fork" },
	{ "clone3", SB_ERRNO, 0, 0, 0, ENOSYS,
	  "its flags are out of a filter's reach: ENOSYS makes libc fall back to clone" },
	{ "set_robust_list", SB_ALLOW, 0, 0, 0, 0, "a new thread" },
	{ "rseq", SB_ALLOW, 0, 0, 0, 0, "a new thread" },
	{ "exit", SB_ALLOW, 0, 0, 0, 0, "a thread ends" },
	{ "sigaltstack", SB_ALLOW, 0, 0, 0, 0,
	  "a new thread's signal stack (domus_thread_create): the crash line after a stack overflow" },
	{ "exit_group", SB_ALLOW, 0, 0, 0, 0, "the launcher ends" },
	/* memory: malloc, thread stacks, a restart's guest RAM and run pages */
	{ "mmap", SB_MASKED, 2, PROT_EXEC, 0, 0, "never executable" },
	{ "mprotect", SB_MASKED, 2, PROT_EXEC, 0, 0, "stack guards, malloc arenas; never executable" },
	{ "munmap", SB_ALLOW, 0, 0, 0, 0, "teardown" },
	{ "mremap", SB_ALLOW, 0, 0, 0, 0, "realloc" },
	{ "madvise", SB_ALLOW, 0, 0, 0, 0, "freed thread stacks, malloc trim" },
	{ "brk", SB_ALLOW, 0, 0, 0, 0, "malloc" },
	/* the event loop, the console, xenstore, the control socket */
	{ "poll", SB_ALLOW, 0, 0, 0, 0, "the event loop" },
	{ "ppoll", SB_ALLOW, 0, 0, 0, 0, "the event loop, other libc" },
	{ "read", SB_ALLOW, 0, 0, 0, 0, "signalfd, eventfds, console client, files" },
	{ "write", SB_ALLOW, 0, 0, 0, 0, "logs, eventfds (ring kicks)" },
	{ "recvfrom", SB_ALLOW, 0, 0, 0, 0, "control requests, console input" },
	{ "recvmsg", SB_ALLOW, 0, 0, 0, 0,
	  "control requests with descriptors (SCM_RIGHTS): block-attach's image, network-attach's TAP, opened by root's domus" },
	{ "sendto", SB_ALLOW, 0, 0, 0, 0, "control replies, console output" },
	{ "accept4", SB_ALLOW, 0, 0, 0, 0, "control connections" },
	{ "close", SB_ALLOW, 0, 0, 0, 0, "connections, a restart's old fds" },
	{ "eventfd2", SB_ALLOW, 0, 0, 0, 0, "a restart's event channels" },
	/* files: a restart reloads the kernel and initramfs; the domid counter;
	 * /proc/self/task/N/stat; log rotation; the exit's clean-up */
	{ "openat", SB_ALLOW, 0, 0, 0, 0, "see above (paths are not a filter's to check)" },
	{ "newfstatat", SB_ALLOW, 0, 0, 0, 0, "stdio, the loader" },
	{ "fstat", SB_ALLOW, 0, 0, 0, 0, "the same, other libc" },
	{ "lseek", SB_ALLOW, 0, 0, 0, 0, "stdio" },
	{ "pread64", SB_ALLOW, 0, 0, 0, 0, "the domid counter" },
	{ "pwrite64", SB_ALLOW, 0, 0, 0, 0, "the domid counter" },
	{ "ftruncate", SB_ALLOW, 0, 0, 0, 0, "the domid counter" },
	{ "flock", SB_ALLOW, 0, 0, 0, 0, "the domid counter" },
	{ "rename", SB_ALLOW, 0, 0, 0, 0, "log rotation" },
	{ "renameat", SB_ALLOW, 0, 0, 0, 0, "log rotation, other libc" },
	{ "renameat2", SB_ALLOW, 0, 0, 0, 0, "log rotation, other libc" },
	{ "unlink", SB_ALLOW, 0, 0, 0, 0, "the socket and pid file at exit" },
	{ "unlinkat", SB_ALLOW, 0, 0, 0, 0, "the same, other libc" },
	/* the PV disks (userland/backend): images opened and locked before
	 * the sandbox; their I/O threads read and write them straight into
	 * guest RAM, flush and punch holes */
	{ "preadv", SB_ALLOW, 0, 0, 0, 0, "disk reads (blkring.c)" },
	{ "pwritev", SB_ALLOW, 0, 0, 0, 0, "disk writes (blkring.c)" },
	{ "fdatasync", SB_ALLOW, 0, 0, 0, 0, "FLUSH_DISKCACHE (blkring.c)" },
	/* a connected disk's io_uring (blkaio.c): made, given the image as its
	 * only file, restricted to READV/WRITEV on it, enabled; no other
	 * io_uring_register operation */
	{ "io_uring_setup", SB_ALLOW, 0, 0, 0, 0, "a disk's io_uring at connect (created disabled)" },
	{ "io_uring_enter", SB_ALLOW, 0, 0, 0, 0, "submitting a ring pass's reads and writes, waiting for them" },
	{ "io_uring_register", SB_MASKED, 1, 0xffffffff, IORING_REGISTER_FILES, 0,
	  "the image as the io_uring's only file" },
	{ "io_uring_register", SB_MASKED, 1, 0xffffffff, IORING_REGISTER_RESTRICTIONS, 0,
	  "READV and WRITEV on that file only" },
	{ "io_uring_register", SB_MASKED, 1, 0xffffffff, IORING_REGISTER_ENABLE_RINGS, 0,
	  "enabling it once restricted" },
	{ "fallocate", SB_MASKED, 1, 0xffffffff, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
	  "DISCARD: punch a hole, nothing else (no growing, no zero-range)" },
	{ "ioctl", SB_MASKED, 1, 0xffffffff, BLKDISCARD, 0,
	  "DISCARD on a block device (LVM volume, partition): the device's discard (blkring.c)" },
	{ "ioctl", SB_MASKED, 1, 0xffffffff, BLKGETSIZE64, 0,
	  "a hot-plugged block device's size (blkback.c)" },
	/* the PV network (userland/backend): TAP devices created and
	 * attached to their bridges before the sandbox; their I/O threads
	 * read and write them (the rows above) and set what the host may
	 * hand over to the front end that connected */
	{ "ioctl", SB_MASKED, 1, 0xffffffff, TUNSETOFFLOAD, 0,
	  "TUNSETOFFLOAD on a vif's TAP fd at connect: the TSO the guest takes (netback.c)" },
	{ "ioctl", SB_MASKED, 1, 0xffffffff, TUNSETQUEUE, 0,
	  "TUNSETQUEUE on a vif's TAP fds at connect: only the queues the guest connected (netback.c)" },
	/* daemonizing right after "ok ID" */
	{ "dup2", SB_ALLOW, 0, 0, 0, 0, "stdin/out/err to /dev/null" },
	{ "dup3", SB_ALLOW, 0, 0, 0, 0, "the same, other libc" },
	{ "chdir", SB_ALLOW, 0, 0, 0, 0, "to /" },
	{ "prctl", SB_MASKED, 0, 0xffffffff, PR_SET_NAME, 0, "the process name; no other prctl" },
};

size_t sb_rule_count(void)
{
	return sizeof(sb_rules) / sizeof(sb_rules[0]);
}

const char *sb_rule_name(size_t i)
{
	return i < sb_rule_count() ? sb_rules[i].name : NULL;
}

int sb_load_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r = -EINVAL;

	/* a refused call traps: the SIGSYS handler (sb_fatal_init) logs it
	 * and ends the process with SIGSYS; without that handler the
	 * default action of SIGSYS ends it the same way.  A call of another
	 * architecture too (its siginfo names the architecture) */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP)) ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1))) {
		snprintf(err, errlen, "seccomp_attr_set: %s", strerror(-r));
		goto out;
	}
	for (i = 0; i < sb_rule_count(); i++) {
		const struct sb_rule *s = &sb_rules[i];
		int nr = seccomp_syscall_resolve_name(s->name);
		struct scmp_arg_cmp cmp = { .arg = s->arg, .op = SCMP_CMP_MASKED_EQ,
					    .datum_a = s->mask, .datum_b = s->val };

		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: unknown syscall %s", s->name);
			r = -ENOENT;
			goto out;
		}
		switch (s->kind) {
		case SB_ALLOW:
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			break;
		case SB_MASKED:
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
			break;
		case SB_SELF:
			cmp.op = SCMP_CMP_EQ;
			cmp.datum_a = (uint64_t)getpid();
			cmp.datum_b = 0;
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
			break;
		case SB_ERRNO:
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(s->err), nr, 0);
			break;
		case SB_MASKED_ERRNO:
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(s->err), nr, 1, &cmp);
			break;
		}
		if (r) {
			snprintf(err, errlen, "seccomp: rule for %s: %s", s->name, strerror(-r));
			goto out;
		}
	}
	r = seccomp_load(ctx);
	if (r)
		snprintf(err, errlen, "seccomp_load: %s", strerror(-r));
out:
	seccomp_release(ctx);
	return r ? -1 : 0;
}

/* ---- fatal signals: one line in the log, then the default action ---------- */

#define SB_NR_NAMES 512

static const int *sb_log_fd;		/* the domain log's descriptor (rotation may change it) */
static int sb_echo_fd = -1;		/* stderr in the foreground */
static long sb_gmtoff;			/* the log's local time, as at start */
static char *sb_nr_name[SB_NR_NAMES];	/* system call names, resolved before the filter */
static unsigned int sb_arch;		/* the native architecture (AUDIT_ARCH_*) */

struct sb_buf {
	char b[320];
	size_t n;
};

static void put_s(struct sb_buf *o, const char *s)
{
	while (*s && o->n < sizeof(o->b) - 1)
		o->b[o->n++] = *s++;
}

static void put_u(struct sb_buf *o, unsigned long long v, unsigned int base, unsigned int width)
{
	char t[24];
	unsigned int i = 0;

	do {
		t[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && i < sizeof(t));
	while (i < width && i < sizeof(t))
		t[i++] = '0';
	while (i && o->n < sizeof(o->b) - 1)
		o->b[o->n++] = t[--i];
}

/* "YYYY-MM-DD HH:MM:SS " as l_log writes it (days to civil date: the
 * proleptic Gregorian calendar, era arithmetic; no libc call) */
static void put_time(struct sb_buf *o)
{
	struct timespec ts;
	long long t, days, z, era, doe, yoe, doy, mp, y, m, dd, sec;

	if (clock_gettime(CLOCK_REALTIME, &ts))
		return;
	t = (long long)ts.tv_sec + sb_gmtoff;
	days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	sec = t - days * 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dd = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	put_u(o, (unsigned long long)y, 10, 4);
	put_s(o, "-");
	put_u(o, (unsigned long long)m, 10, 2);
	put_s(o, "-");
	put_u(o, (unsigned long long)dd, 10, 2);
	put_s(o, " ");
	put_u(o, (unsigned long long)(sec / 3600), 10, 2);
	put_s(o, ":");
	put_u(o, (unsigned long long)(sec / 60 % 60), 10, 2);
	put_s(o, ":");
	put_u(o, (unsigned long long)(sec % 60), 10, 2);
	put_s(o, " ");
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGSYS: return "SIGSYS";
	default: return "?";
	}
}

/*
 * Async-signal-safe only: the line is built on the stack and written with
 * write(2) (allowed by the filter).  Then the signal's default action:
 * the handler was installed with SA_RESETHAND, so a fault raised by an
 * instruction (si_code > 0, not SIGSYS) happens again on return and ends
 * the process (the kernel logs "segfault at ..." too); a trapped system
 * call or a sent signal is raised again at this thread (tgkill to itself,
 * which the filter allows), SA_NODEFER letting it through at once.
 */
static void sb_fatal(int sig, siginfo_t *si, void *uc)
{
	struct sb_buf o = { .n = 0 };
	int saved = errno, fd = sb_log_fd ? *sb_log_fd : -1;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	/* an x32 call: the native architecture, the x32 bit in its number */
#ifdef __X32_SYSCALL_BIT
	unsigned int x32 = sig == SIGSYS ? (unsigned int)si->si_syscall & __X32_SYSCALL_BIT : 0;
#else
	unsigned int x32 = 0;
#endif

	(void)uc;
	put_time(&o);
	if (sig == SIGSYS && si->si_code == 1 /* SYS_SECCOMP */ && (si->si_arch != sb_arch || x32)) {
		put_s(&o, "launcher: killed by the sandbox: system call ");
		put_u(&o, (unsigned long long)((unsigned int)si->si_syscall & ~x32), 10, 1);
		put_s(&o, " of another architecture (");
		if (x32) {
			put_s(&o, "x32");
		} else {
			put_s(&o, "audit arch 0x");
			put_u(&o, (unsigned long long)si->si_arch, 16, 1);
		}
		put_s(&o, ") in thread ");
		put_u(&o, (unsigned long long)tid, 10, 1);
		put_s(&o, "; the launcher ends (signal 31); the filter allows the native architecture's calls only\n");
	} else if (sig == SIGSYS && si->si_code == 1 /* SYS_SECCOMP */) {
		int nr = si->si_syscall;

		put_s(&o, "launcher: killed by the sandbox: system call ");
		put_u(&o, (unsigned long long)(unsigned int)nr, 10, 1);
		put_s(&o, " (");
		put_s(&o, nr >= 0 && nr < SB_NR_NAMES && sb_nr_name[nr] ? sb_nr_name[nr] : "?");
		put_s(&o, ") is not in the seccomp allow-list (thread ");
		put_u(&o, (unsigned long long)tid, 10, 1);
		put_s(&o, "); the launcher ends (signal 31); a legitimate path needs a row in sb_rules (sandbox.c)\n");
	} else {
		put_s(&o, "launcher: fatal signal ");
		put_u(&o, (unsigned long long)sig, 10, 1);
		put_s(&o, " (");
		put_s(&o, sig_name(sig));
		put_s(&o, ") in thread ");
		put_u(&o, (unsigned long long)tid, 10, 1);
		if (si->si_code > 0 && sig != SIGABRT) {
			put_s(&o, " at address 0x");
			put_u(&o, (unsigned long long)(uintptr_t)si->si_addr, 16, 1);
			put_s(&o, " (code ");
			put_u(&o, (unsigned long long)si->si_code, 10, 1);
			put_s(&o, ")");
		} else if (si->si_code <= 0 && si->si_pid != getpid()) {
			put_s(&o, " sent by process ");
			put_u(&o, (unsigned long long)si->si_pid, 10, 1);
		}
		put_s(&o, "; the launcher ends (signal ");
		put_u(&o, (unsigned long long)sig, 10, 1);
		put_s(&o, ")\n");
	}
	if (fd >= 0 && write(fd, o.b, o.n) < 0) {
		/* nowhere else to say it */
	}
	if (sb_echo_fd >= 0 && write(sb_echo_fd, o.b, o.n) < 0) {
		/* the same */
	}
	if (sig == SIGSYS || si->si_code <= 0)
		syscall(SYS_tgkill, getpid(), tid, sig);
	errno = saved;
	/* a fault: returning repeats it under SIG_DFL */
}

int sb_fatal_init(const int *log_fd, int echo_fd)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
	struct sigaction sa;
	struct tm tm;
	time_t now = time(NULL);
	unsigned int i;

	sb_log_fd = log_fd;
	sb_echo_fd = echo_fd;
	sb_gmtoff = localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
	sb_arch = seccomp_arch_native();
	/* this thread's signal stack; the others get theirs at their start */
	i = (unsigned int)-domus_thread_sigstack();
	if (i) {
		errno = (int)i;
		return -1;
	}
	for (i = 0; i < SB_NR_NAMES; i++)
		if (!sb_nr_name[i])
			sb_nr_name[i] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sb_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* ---- capabilities and the user ------------------------------------------- */

int sb_prepare(struct sb_config *c, const char *domname, char *err, size_t errlen)
{
	const char *e = getenv("DOMUS_NO_SANDBOX"), *u = getenv("DOMUS_USER"), *p;
	struct passwd pw, *res = NULL;
	char buf[4096];
	size_t n = 0;
	int r;

	memset(c, 0, sizeof(*c));
	c->off = e && !strcmp(e, "1");
	e = getenv("DOMUS_SANDBOX_DEBUG");
	c->debug = e && !strcmp(e, "1");
	if (!u || !*u)
		return 0;
	/* %n: the domain's name (a user per domain, e.g. domus-%n) */
	for (p = u; *p && n + 1 < sizeof(c->user); p++) {
		if (p[0] == '%' && p[1] == 'n') {
			n += snprintf(c->user + n, sizeof(c->user) - n, "%s", domname);
			p++;
		} else {
			c->user[n++] = *p;
		}
		if (n >= sizeof(c->user) - 1)
			break;
	}
	c->user[n < sizeof(c->user) ? n : sizeof(c->user) - 1] = 0;
	r = getpwnam_r(c->user, &pw, buf, sizeof(buf), &res);
	if (!res && strspn(c->user, "0123456789") == strlen(c->user))
		r = getpwuid_r((uid_t)strtoul(c->user, NULL, 10), &pw, buf, sizeof(buf), &res);
	if (!res) {
		snprintf(err, errlen,
			 "DOMUS_USER: no user '%s' on this host%s%s; create it (useradd --system --no-create-home --shell /usr/sbin/nologin %s) or unset DOMUS_USER",
			 c->user, r ? ": " : "", r ? strerror(r) : "", c->user);
		return -1;
	}
	c->uid = pw.pw_uid;
	c->gid = pw.pw_gid;
	c->ngroups = SB_MAX_GROUPS;
	if (getgrouplist(pw.pw_name, pw.pw_gid, c->groups, &c->ngroups) < 0) {
		snprintf(err, errlen, "DOMUS_USER: user '%s' is in more than %d groups", c->user,
			 SB_MAX_GROUPS);
		return -1;
	}
	return 0;
}

static int drop_caps(char *err, size_t errlen)
{
	unsigned long cap;

	/* the bounding set (needs CAP_SETPCAP, so first): to the end of the
	 * kernel's list, which prctl ends with EINVAL */
	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		snprintf(err, errlen, "cannot drop capability %lu from the bounding set: %s", cap,
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int clear_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data)) {
		snprintf(err, errlen, "cannot clear the capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int sb_drop_privileges(const struct sb_config *c, char *err, size_t errlen)
{
	uid_t ru, eu, su;

	if (drop_caps(err, errlen))
		return -1;
	if (c->user[0] && c->uid != 0) {
		if (setgroups((size_t)c->ngroups, c->groups) || setresgid(c->gid, c->gid, c->gid) ||
		    setresuid(c->uid, c->uid, c->uid)) {
			snprintf(err, errlen, "cannot become user %s (uid %u): %s", c->user,
				 (unsigned int)c->uid, strerror(errno));
			return -1;
		}
		if (getresuid(&ru, &eu, &su) || ru != c->uid || eu != c->uid || su != c->uid) {
			snprintf(err, errlen, "still not user %s after setresuid", c->user);
			return -1;
		}
	}
	if (clear_caps(err, errlen))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the launcher's side ---------------------------------------------------- */

int l_sandbox_enter(struct launcher *L, char *err, size_t errlen)
{
	struct sb_config *c = &L->sb;

	/* with the sandbox or without: no silent death (SIGSEGV & co.) */
	if (sb_fatal_init(&L->log.fd, L->foreground ? 2 : -1))
		l_log(L, "cannot set the fatal-signal handlers: %s; a crash leaves no line here", strerror(errno));
	if (c->off) {
		l_log(L, "sandbox: off (DOMUS_NO_SANDBOX=1): the launcher keeps its capabilities and may make any system call");
		return 0;
	}
	if (sb_drop_privileges(c, err, errlen) || sb_load_filter(err, errlen))
		return -1;
	c->on = true;
	if (c->user[0])
		l_log(L, "sandbox: on: user %s (uid %u, gid %u), no capabilities, no_new_privs, seccomp allow-list of %zu rules (another call: one line here, then SIGSYS ends the process)",
		      c->user, (unsigned int)c->uid, (unsigned int)c->gid, sb_rule_count());
	else
		l_log(L, "sandbox: on: uid 0 without capabilities, no_new_privs, seccomp allow-list of %zu rules (another call: one line here, then SIGSYS ends the process)",
		      sb_rule_count());
	return 0;
}

/* "debug-execve" (DOMUS_SANDBOX_DEBUG=1 only): tries a forbidden system
 * call, so a test can see the filter end the launcher with SIGSYS. */
bool l_sandbox_debug_request(struct launcher *L, int fd, const char *what)
{
	static const char ok[] = "ok trying execve\n";
	char *const argv[] = { (char *)"true", NULL };
	char msg[120];
	int n;

	if (!L->sb.debug) {
		n = snprintf(msg, sizeof(msg), "error unknown request 'debug-%s'\n", what);
		if (send(fd, msg, (size_t)n, MSG_NOSIGNAL) < 0) {
			/* the client is gone */
		}
		return false;
	}
	l_log(L, "sandbox: debug-%s: trying execve(\"/bin/true\"); with the sandbox on this ends the launcher (SIGSYS)",
	      what);
	if (send(fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) < 0) {
		/* the client is gone */
	}
	execve("/bin/true", argv, NULL);
	l_log(L, "sandbox: execve failed: %s", strerror(errno));
	return false;
}
