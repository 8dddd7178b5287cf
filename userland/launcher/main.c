// SPDX-License-Identifier: MIT
/*
 * domus-launcher: runs one domain (docs/launcher.md).
 *
 *   domus-launcher [--ready-fd N] [--foreground] [--paused] CFG [KEY=VALUE...]
 *
 * Everything is checked before the domain is created: the config, the
 * name (not in use), the kernel (unpacked and validated), the layout of
 * kernel, initramfs and command line in guest memory, the memory domus may
 * pin on this host, the vCPU count.  Then the domain is built and started,
 * the control socket is listening, and the launcher reports "ok ID" (or
 * "error MESSAGE", exit status 1) on the ready fd, detaches from the
 * terminal and serves the domain until it is destroyed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/eventfd.h>
#include "ctl.h"
#include "launcher.h"

void l_log(struct launcher *L, const char *fmt, ...)
{
	char buf[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = (int)strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S ", &tm);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	domus_log_write(&L->log, buf, n);
	if (L->foreground && write(2, buf, n) < 0) {
		/* same */
	}
}

/* Report the result to `domus create` (or stderr) and, on error, exit. */
static void ready(struct launcher *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ready(struct launcher *L, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (L->ready_fd >= 0) {
		if (write(L->ready_fd, buf, n) < 0) {
			/* the caller went away */
		}
		/* HVM: open until the domain ends (l_report_end) */
		if (!L->ready_keep || strncmp(buf, "ok", 2)) {
			close(L->ready_fd);
			L->ready_fd = -1;
		}
	} else if (strncmp(buf, "ok", 2)) {
		fprintf(stderr, "domus-launcher: %.*s", n - 6, buf + 6);
	}
}

/*
 * HVM: `domus create` waits on the ready pipe for "end CODE WHY" (docs/
 * launcher.md "Test exit"): CODE is the test-exit device's code, 0 for
 * another power-off, 2 for a crash or anything else that ended it.
 */
static void l_report_end(struct launcher *L, int reason, const char *why)
{
	int code = reason == XEN_SHUTDOWN_POWEROFF ? 0 : 2;

	if (L->ready_fd < 0)
		return;
	pthread_mutex_lock(&L->lock);
	if (L->test_exit_code >= 0)
		code = L->test_exit_code;
	pthread_mutex_unlock(&L->lock);
	dprintf(L->ready_fd, "end %d %s\n", code, why);
	close(L->ready_fd);
	L->ready_fd = -1;
}

/* The kernel and initrd that bootloader = pygrub copied out, and their directory. */
static void boot_dir_remove(struct launcher *L)
{
	static const char *const files[] = { "kernel", "initrd" };
	char p[4200];

	if (!L->boot_dir[0])
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", L->boot_dir, files[i]);
		unlink(p);
	}
	rmdir(L->boot_dir);
}

static void __attribute__((format(printf, 2, 3), noreturn)) fail(struct launcher *L, const char *fmt, ...)
{
	char buf[1800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (L->log.fd >= 0)
		l_log(L, "error: %s", buf);
	ready(L, "error %s", buf);
	boot_dir_remove(L);
	if (L->sock_path[0])
		unlink(L->sock_path);
	if (L->pid_path[0])
		unlink(L->pid_path);
	exit(1);
}

/* The next domain id (1, 2, ...), from a counter file in the run dir. */
unsigned int l_alloc_domid(void)
{
	static int fd = -1;	/* kept open: a restart may run as DOMUS_USER */
	char path[4096], buf[32];
	unsigned int id = 1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/next-domid", domus_run_dir());
	if (fd < 0)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return id;
	flock(fd, LOCK_EX);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = 0;
		id = (unsigned int)strtoul(buf, NULL, 10);
		if (id < 1 || id > 32751)	/* Xen's DOMID_FIRST_RESERVED - 1 */
			id = 1;
	}
	n = snprintf(buf, sizeof(buf), "%u\n", id + 1 > 32751 ? 1 : id + 1);
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		/* the next launcher starts again at 1 */
	}
	flock(fd, LOCK_UN);
	return id;
}

static char *abspath(struct launcher *L, const char *what, const char *path)
{
	char *p = realpath(path, NULL);

	if (!p)
		fail(L, "cannot open %s %s: %s; check %s= in the config", what, path, strerror(errno),
		     !strcmp(what, "kernel") ? "kernel" : "ramdisk");
	return p;
}

/* Everything that can be checked before the domain exists. */
static void check_and_prepare(struct launcher *L, const char *restore, int argc, char **argv)
{
	char err[1024];
	struct domus_kernel *k;
	struct domus_load_result *res;
	struct domus_global_stats gs;
	struct domus_caps caps;
	uint64_t total_kib, limit_mib, used_mib;
	unsigned int ver;
	int i, r;

	/* --restore FILE: the definition comes from the file (validated whole) */
	if (restore ? l_restore_open(L, restore, err, sizeof(err)) :
	    domus_config_load(&L->cfg, argv[0], err, sizeof(err)))
		fail(L, "%s", err);
	for (i = restore ? 0 : 1; i < argc; i++)
		if (domus_config_apply(&L->cfg, argv[i], err, sizeof(err)))
			fail(L, "%s", err);
	if (domus_config_finish(&L->cfg, err, sizeof(err)))
		fail(L, "%s", err);

	/* the name: taken while this process holds NAME.lock */
	r = domus_mkdir_p(domus_run_dir(), 0700);
	if (r)
		fail(L, "cannot create the run directory %s: %s; set DOMUS_RUN_DIR to a writable directory",
		     domus_run_dir(), strerror(-r));
	{
		char path[4096];

		if (domus_run_path(L->sock_path, sizeof(L->sock_path), L->cfg.name, ".sock") ||
		    domus_run_path(L->pid_path, sizeof(L->pid_path), L->cfg.name, ".pid")) {
			L->sock_path[0] = L->pid_path[0] = 0;
			fail(L, "the run directory path %s is too long for a control socket; set DOMUS_RUN_DIR to a shorter path",
			     domus_run_dir());
		}
		snprintf(path, sizeof(path), "%s/%s.lock", domus_run_dir(), L->cfg.name);
		L->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (L->lock_fd < 0) {
			L->sock_path[0] = L->pid_path[0] = 0;
			fail(L, "cannot create %s: %s", path, strerror(errno));
		}
		if (flock(L->lock_fd, LOCK_EX | LOCK_NB)) {
			L->sock_path[0] = L->pid_path[0] = 0;	/* they belong to the running one */
			fail(L, "domain %s already exists", L->cfg.name);
		}
	}
	if (con_open_logs(L))
		fail(L, "cannot write a log file in %s or %s/log; set DOMUS_LOG_DIR to a writable directory",
		     domus_log_dir(), domus_run_dir());
	l_log(L, "domus-launcher %s (pid %d) for %s", DOMUS_VERSION, (int)getpid(), L->cfg.name);
	if (L->cfg.warnings) {
		char *s = L->cfg.warnings, *nl;

		while ((nl = strchr(s, '\n'))) {
			l_log(L, "config: %.*s", (int)(nl - s), s);
			s = nl + 1;
		}
	}

	/* bootloader = "pygrub": the kernel of the first disk's own boot menu,
	 * copied into RUN/NAME.boot (0700), booted as kernel= and ramdisk= */
	if (L->cfg.bootloader) {
		struct domus_boot b;
		struct timespec t0, t1;

		if (snprintf(L->boot_dir, sizeof(L->boot_dir), "%s/%s.boot", domus_run_dir(), L->cfg.name) >=
		    (int)sizeof(L->boot_dir)) {
			L->boot_dir[0] = 0;
			fail(L, "the run directory path %s is too long; set DOMUS_RUN_DIR to a shorter path", domus_run_dir());
		}
		boot_dir_remove(L);	/* a launcher that died left it (we hold the name) */
		if (mkdir(L->boot_dir, 0700)) {
			r = errno;
			L->boot_dir[0] = 0;
			fail(L, "cannot create %s.boot in %s: %s", L->cfg.name, domus_run_dir(), strerror(r));
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (domus_bootloader_run(L->cfg.disks[0].target, L->cfg.bootloader_args, L->cfg.cmdline, L->boot_dir,
					 &b, err, sizeof(err)))
			fail(L, "%s", err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		l_log(L, "bootloader %s: %s, %s of %s: entry %s \"%s\": kernel %s, %u initrd(s), cmdline \"%s\" (%.1f s)",
		      L->cfg.bootloader, L->cfg.disks[0].vdev, b.fs, L->cfg.disks[0].target, b.entry.index, b.entry.title,
		      b.entry.kernel, b.entry.ninitrd, b.cmdline,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		free(L->cfg.kernel);
		free(L->cfg.ramdisk);
		free(L->cfg.cmdline);
		L->cfg.kernel = b.kernel;
		L->cfg.ramdisk = b.ramdisk;
		L->cfg.cmdline = b.cmdline;
		b.kernel = b.ramdisk = b.cmdline = NULL;
		domus_boot_free(&b);
	}

	/* HVM firmware: the image, no kernel */
	if (L->cfg.firmware) {
		if (restore)
			fail(L, "%s: restoring an HVM domain that boots firmware is not supported yet", restore);
		L->mem_size = L->cfg.memory_mib << 20;
		l_mem_init(L);
		if (l_firmware_read(L, err, sizeof(err)))
			fail(L, "%s", err);
		l_log(L, "firmware %s: %zu KiB, mapped at 0x%llx-0xffffffff and its last %zu KiB at 0x%x-0xfffff",
		      L->cfg.firmware, L->fw_size >> 10, (1ull << 32) - L->fw_size,
		      (L->fw_size < (128u << 10) ? L->fw_size : (128u << 10)) >> 10,
		      0x100000 - (unsigned int)(L->fw_size < (128u << 10) ? L->fw_size : (128u << 10)));
		goto module;
	}

	/* kernel, initramfs, command line, memory layout */
	L->kernel_path = abspath(L, "kernel", L->cfg.kernel);
	if (L->cfg.ramdisk)
		L->ramdisk_path = abspath(L, "initramfs", L->cfg.ramdisk);
	L->mem_size = L->cfg.memory_mib << 20;
	memset(&L->lp, 0, sizeof(L->lp));
	L->lp.kernel = L->kernel_path;
	L->lp.initrd = L->ramdisk_path;
	L->lp.cmdline = L->cfg.cmdline;
	L->lp.vcpus = L->cfg.maxvcpus;	/* every possible vCPU in the MADT */
	if (restore && l_restore_check(L, err, sizeof(err)))
		fail(L, "%s: %s", restore, err);
	l_mem_init(L);
	if (L->cfg.type == DOMUS_TYPE_HVM ? domus_multiboot_open(L->kernel_path, &k) :
	    domus_kernel_open(L->kernel_path, &k))
		fail(L, "%s", domus_last_error());
	if (domus_kernel_get_info(k)->format == DOMUS_KFMT_MULTIBOOT)
		l_log(L, "kernel %s: multiboot image, 0x%llx-0x%llx, entry 0x%llx", L->kernel_path,
		      (unsigned long long)domus_kernel_get_info(k)->image_start,
		      (unsigned long long)domus_kernel_get_info(k)->image_end,
		      (unsigned long long)domus_kernel_get_info(k)->entry);
	if (domus_kernel_get_info(k)->format == DOMUS_KFMT_BZIMAGE)
		l_log(L, "kernel %s: bzImage, %s payload, vmlinux of %llu bytes %s", L->kernel_path,
		      domus_kernel_compression_name(domus_kernel_get_info(k)->compression),
		      (unsigned long long)domus_kernel_get_info(k)->elf_size,
		      domus_kernel_get_info(k)->cached ? "from the unpack cache" : "unpacked");
	res = calloc(1, sizeof(*res));
	if (!res)
		fail(L, "out of memory");
	r = domus_load_plan(k, &L->lp, L->mem_size, res);
	free(res);
	if (r) {
		domus_kernel_close(k);
		fail(L, "%s", domus_last_error());
	}
	L->kernel = k;		/* the first dom_build() uses and closes it */

module:
	/* the module */
	L->devfd = domus_open();
	if (L->devfd < 0)
		fail(L, "%s", domus_last_error());
	if (domus_get_api_version(L->devfd, &ver))
		fail(L, "%s", domus_last_error());
	if (ver != DOMUS_API_VERSION)
		fail(L, "the domus module has API version %u, these tools %u: load the matching domus.ko",
		     ver, DOMUS_API_VERSION);
	if (domus_get_caps(L->devfd, &caps))
		fail(L, "%s", domus_last_error());
	if (L->cfg.maxvcpus > caps.max_vcpus)
		fail(L, "maxvcpus=%u is more than domus offers per domain (%u); lower vcpus=/maxvcpus= in the config",
		     L->cfg.maxvcpus, caps.max_vcpus);

	/* the disks: opened and locked now, before the sandbox */
	if (L->cfg.firmware ? l_ide_open(L, err, sizeof(err)) : l_disks_open(L, err, sizeof(err)))
		fail(L, "%s", err);
	/* the bridges of the vifs (created now if bridge-create=yes) */
	if (l_vifs_check(L, err, sizeof(err)))
		fail(L, "%s", err);

	/* memory: what the module pins for all domains (max_guest_pages) */
	total_kib = domus_meminfo_kib("MemTotal");
	limit_mib = domus_guest_limit_pages() >> 8;
	used_mib = 0;
	if (domus_global_stats(L->devfd, &gs) == 0)
		used_mib = gs.pinned_pages * 4096 >> 20;
	if (total_kib && L->cfg.memory_mib + (DOMUS_PVH_SPECIAL_SIZE >> 20) + used_mib > limit_mib)
		fail(L, "memory=%llu MiB does not fit: domus may pin %llu MiB on this host (max_guest_pages; 3/4 of its RAM unless set) and running domains hold %llu MiB; lower memory= in the config",
		     (unsigned long long)L->cfg.memory_mib, (unsigned long long)limit_mib,
		     (unsigned long long)used_mib);
}

/*
 * A restart pins the guest's memory again, after the sandbox has taken
 * CAP_IPC_LOCK away: from then on the module charges it to the
 * launcher's RLIMIT_MEMLOCK.  Raise that limit now, while it may be
 * raised, to what this domain pins (its RAM and the special pages) and
 * no more; the module's max_guest_pages still caps all domains.
 */
void l_memlock_for_restart(struct launcher *L)
{
	rlim_t need = (rlim_t)L->mem_size + (rlim_t)l_outside_ram_bytes(L);
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		l_log(L, "cannot raise RLIMIT_MEMLOCK to %llu bytes for a restart: %s; a reboot of the guest may fail (ulimit -l)",
		      (unsigned long long)need, strerror(errno));
}

void l_destroy(struct launcher *L, const char *why)
{
	char stats[DOMUS_CTL_LINE_MAX];

	/* a shut-down domain logged its counters already */
	if (L->state == L_RUNNING && l_stats_line(L, stats, sizeof(stats)) == 0)
		l_log(L, "counters:%s", stats);
	l_log(L, "destroying domain %u (%s)", L->domid, why);
	pthread_mutex_lock(&L->lock);
	L->state = L_DYING;
	pthread_mutex_unlock(&L->lock);
	dom_stop(L);
	dom_teardown(L);
	L->quit = true;
}

/* ---- guest shutdown: the on_* actions ------------------------------------ */

void l_act_on_shutdown(struct launcher *L)
{
	enum domus_cfg_action act;
	char why[200], err[1024];
	int reason;

	pthread_mutex_lock(&L->lock);
	reason = L->pending_reason;
	snprintf(why, sizeof(why), "%s", L->pending_why);
	L->pending_reason = -1;
	if (reason >= 0 && L->state == L_RUNNING)
		L->state = L_SHUTDOWN;
	pthread_mutex_unlock(&L->lock);
	if (reason < 0)
		return;
	dom_stop(L);
	con_service(L);		/* the last console output */
	switch (reason) {
	case XEN_SHUTDOWN_POWEROFF: act = L->cfg.on_poweroff; break;
	case XEN_SHUTDOWN_REBOOT: act = L->cfg.on_reboot; break;
	case XEN_SHUTDOWN_WATCHDOG: act = L->cfg.on_watchdog; break;
	case XEN_SHUTDOWN_SOFT_RESET: act = L->cfg.on_soft_reset; break;
	default: act = L->cfg.on_crash; break;
	}
	if (act == DOMUS_ACTION_DESTROY && L->ready_fd >= 0) {
		/* reported once the domain and its name are gone (the end of
		 * main), so a `domus create` of the same name right after
		 * this one's return finds the name free */
		L->end_deferred = true;
		L->end_reason = reason;
		snprintf(L->end_why, sizeof(L->end_why), "%s", why);
	} else if (act != DOMUS_ACTION_RESTART) {
		l_report_end(L, reason, why);
	}
	if (l_stats_line(L, err, sizeof(err)) == 0)
		l_log(L, "counters:%s", err);
	if (L->dm.unclaimed)
		l_log(L, "device model: %llu accesses to ports or addresses no device claims",
		      (unsigned long long)L->dm.unclaimed);
	l_log(L, "domain %u shut down: %s (%s); on_%s = %s", L->domid, dom_reason_name(reason), why,
	      reason == XEN_SHUTDOWN_CRASH ? "crash" : dom_reason_name(reason),
	      domus_config_action_name(act));
	switch (act) {
	case DOMUS_ACTION_DESTROY:
		l_destroy(L, "on_* = destroy");
		break;
	case DOMUS_ACTION_PRESERVE:
		pthread_mutex_lock(&L->lock);
		L->shutdown_reason = reason;
		pthread_mutex_unlock(&L->lock);
		break;
	case DOMUS_ACTION_RESTART:
		dom_teardown(L);
		if (dom_build(L, err, sizeof(err)) || dom_start(L)) {
			l_log(L, "restart failed: %s", err);
			l_destroy(L, "restart failed");
			break;
		}
		L->restarts++;
		L->started = DOMUS_STARTED_BOOTED;
		l_log(L, "restarted as domain %u", L->domid);
		break;
	}
}

/* ---- the event loop -------------------------------------------------------- */

static int listen_ctl(struct launcher *L)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", L->sock_path);
	unlink(L->sock_path);	/* stale: we hold the name lock */
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(L->sock_path, 0600) || listen(fd, 16)) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

static void on_kick(int sig)
{
	(void)sig;
}

static int usage(void)
{
	fprintf(stderr, "usage: domus-launcher [--ready-fd N] [--foreground] [--paused] CFG [KEY=VALUE...]\n"
		"       domus-launcher [--ready-fd N] [--foreground] [--paused] [--migrated] --restore FILE [KEY=VALUE...]\n"
		"(started by 'domus create'; see docs/launcher.md)\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct launcher launcher;
	struct launcher *L = &launcher;
	struct sigaction sa;
	sigset_t set;
	char err[1024], buf[32];
	const char *restore = NULL;
	int sfd, i = 1, n;

	memset(L, 0, sizeof(*L));
	L->ready_fd = -1;
	L->devfd = L->domfd = L->lock_fd = L->ctl_fd = -1;
	l_hotplug_init(L);
	domus_log_init(&L->log);
	domus_log_init(&L->conlog);
	L->con_notify_fd = L->con_kick_fd = L->con_client = -1;
	L->xs_notify_fd = L->xs_kick_fd = -1;
	L->event_fd = -1;
	L->pending_reason = L->shutdown_reason = -1;
	L->test_exit_code = -1;
	pthread_mutex_init(&L->lock, NULL);
	pthread_mutex_init(&L->con_lock, NULL);
	pthread_cond_init(&L->pause_cv, NULL);
	domus_config_init(&L->cfg);

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc)
			L->ready_fd = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--foreground"))
			L->foreground = true;
		else if (!strcmp(argv[i], "--paused"))
			L->paused = true;	/* create -p: no vCPU runs before unpause */
		else if (!strcmp(argv[i], "--restore") && i + 1 < argc)
			restore = argv[++i];	/* domus restore (save.c) */
		else if (!strcmp(argv[i], "--migrated"))
			L->started = DOMUS_STARTED_MIGRATED;	/* migrate-receive: the file is the stream */
		else
			return usage();
	}
	if ((i >= argc && !restore) || (L->started && !restore))
		return usage();
	if (restore && !L->started)
		L->started = DOMUS_STARTED_RESTORED;
	if (L->ready_fd >= 0 && fcntl(L->ready_fd, F_SETFD, FD_CLOEXEC) < 0)
		L->ready_fd = -1;
	/* out of the caller's session: its terminal's signals are not ours */
	if (!L->foreground)
		setsid();
	signal(SIGPIPE, SIG_IGN);

	check_and_prepare(L, restore, argc - i, argv + i);
	/* HVM test kernels report their end; a firmware guest runs on */
	L->ready_keep = L->cfg.type == DOMUS_TYPE_HVM && !L->cfg.firmware;
	if (sb_prepare(&L->sb, L->cfg.name, err, sizeof(err)))
		fail(L, "%s", err);

	/* signals: SIGUSR1 kicks vCPU threads out of DOMUS_RUN; the others
	 * are read from a signalfd (blocked in every thread) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	L->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || L->event_fd < 0)
		fail(L, "cannot set up the event loop: %s", strerror(errno));

	L->ctl_fd = listen_ctl(L);
	if (L->ctl_fd < 0)
		fail(L, "cannot listen on %s: %s", L->sock_path, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	{
		int pfd = open(L->pid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (pfd >= 0) {
			if (write(pfd, buf, n) != n) {
				/* only 'domus destroy' of a hung launcher needs it */
			}
			close(pfd);
		}
	}

	if (dom_build(L, err, sizeof(err)))
		fail(L, "%s", err);
	l_restore_done(L);	/* a restart boots the kernel */
	/* the TAP devices: named after the domain id, created while the
	 * launcher may still (CAP_NET_ADMIN), kept across restarts */
	if (l_vifs_open(L, err, sizeof(err))) {
		dom_teardown(L);
		fail(L, "%s", err);
	}
	l_vifs_start(L);
	/* a restart re-reads the kernel: from the unpack cache without
	 * writing to it (the sandbox allows no mkdir, no cache files) */
	domus_kernel_cache_lookup_only();
	l_memlock_for_restart(L);
	if (l_sandbox_enter(L, err, sizeof(err))) {
		dom_teardown(L);
		fail(L, "sandbox: %s; DOMUS_NO_SANDBOX=1 runs without it", err);
	}
	if (dom_start(L)) {
		dom_stop(L);
		dom_teardown(L);
		fail(L, "cannot start the vCPU threads");
	}
	prctl(PR_SET_NAME, "domus-launcher", 0, 0, 0);
	l_log(L, "domain %u (%s) running", L->domid, L->cfg.name);
	ready(L, "ok %u", L->domid);
	if (!L->foreground) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			close(nul);
		}
		if (chdir("/")) {
			/* nothing depends on the directory any more */
		}
	}

	l_event_loop(L, sfd);
	if (!L->end_deferred)
		l_report_end(L, -1, "the domain was destroyed");

	/* every exit path ends here or in fail() before the domain exists */
	if (L->domfd >= 0 || L->nvcpu) {
		dom_stop(L);
		dom_teardown(L);
	}
	if (L->kernel)
		domus_kernel_close(L->kernel);
	l_disks_close(L);
	l_vifs_close(L);
	con_detach(L);
	unlink(L->sock_path);
	unlink(L->pid_path);
	boot_dir_remove(L);
	close(L->ctl_fd);
	l_log(L, "domain %s ended", L->cfg.name);
	if (L->devfd >= 0)
		close(L->devfd);
	free(L->backlog);
	free(L->kernel_path);
	free(L->fw_image);
	free(L->ramdisk_path);
	domus_config_free(&L->cfg);
	close(L->lock_fd);	/* releases the name last */
	if (L->end_deferred)
		l_report_end(L, L->end_reason, L->end_why);
	return 0;
}
