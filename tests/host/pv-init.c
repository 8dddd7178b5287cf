// SPDX-License-Identifier: MIT
/*
 * pv-init: the /init of the PV boot test's initramfs (tests/host/amd-pv.sh).
 * Static; runs as PID 1 in the Xen PVH guest.  It reports through
 * /dev/kmsg, which the guest kernel prints on its early Xen console:
 *
 *   - a marker line with the guest's wall-clock time;
 *   - its clocks ("clock: ..."): the wall clock the kernel set from
 *     shared_info at boot, and the time its clocks lost since (see
 *     clock_report());
 *   - if /xen-gntalloc.ko is in the initramfs: loads it and grants one
 *     page to domain 0 (the backend), filled with a pattern, and prints
 *     the grant reference (pvboot checks it through the grant table);
 *   - if /dev/hvc0 exists (pvboot -C: the PV console ring): writes a line
 *     to it, asks for input and reads one line back (pvboot answers
 *     through the ring and the console event channel);
 *   - if /msr.ko is in the initramfs: the Xen personality's MSR answers
 *     (module/pv/msr_policy.c) through /dev/cpu/0/msr, checked here
 *     against what Xen gives a PVH guest on this CPU's vendor and family,
 *     one summary line ("msr policy: N checked, M wrong") and a line per
 *     wrong answer;
 *   - the event-channel ABI the kernel chose (its "Using ... ABI" line in
 *     the kernel log: FIFO under domus as under Xen) and that Xen event
 *     interrupts (/proc/interrupts, the xen-* chips) still arrive: their
 *     total before and after a 200 ms sleep ("evtchn: abi fifo, xen
 *     events A -> B"), and the local APIC timer interrupts over the same
 *     sleep ("timer interrupts: LOC A -> B, xen timer C -> D": a PVH Linux
 *     takes its clock events from Xen's VIRQ_TIMER, so LOC stays 0);
 *   - the number of online CPUs;
 *
 * then ends the way the kernel parameter pvtest= asks (the kernel passes
 * it in the environment): reboot (default), poweroff (ACPI S5), halt
 * (every CPU halts with interrupts off) or crash (sysrq c: panic).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cpuid.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <xen/gntalloc.h>

static int kmsg = -1;

static void __attribute__((format(printf, 1, 2))) report(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	if (kmsg >= 0 && write(kmsg, msg, n) < 0)
		return;
}

/* The value after "NAME<spaces>:" in the scheduler's debug header, -1 if absent. */
static double sched_debug_value(const char *buf, const char *name)
{
	size_t len = strlen(name);
	const char *p = buf;

	while ((p = strstr(p, name))) {
		if ((p == buf || p[-1] == '\n') && (p[len] == ' ' || p[len] == ':')) {
			p = strchr(p, ':');
			return p ? strtod(p + 1, NULL) : -1;
		}
		p += len;
	}
	return -1;
}

/*
 * The guest's clocks (docs/testing.md "Known issues"): Linux sets its wall
 * clock from shared_info when it registers the Xen clocksource
 * (xen_time_init, which prints "clocksource: xen: mask:"), then counts
 * jiffies until it switches to that clocksource at fs_initcall, and loses
 * the time its timer ticks come late.  Printed: the wall clock and
 * uptime (CLOCK_MONOTONIC) now; the kernel's raw sched_clock (Xen system
 * time since early boot) and its local_clock (the kernel log's
 * timestamps, CLOCK_MONOTONIC plus a constant), from the scheduler's
 * debug header; and the wall clock the kernel set at xen_time_init:
 * wallclock - uptime + the uptime then (the kernel log line's timestamp
 * less local_clock - uptime), which tests/host/amd-pv.sh compares with
 * the host's time when that line arrived.  sched_clk - cpu_clk is what
 * the guest's clocks lost to late ticks since the scheduler clock was
 * set up (the wall clock's lag and a little more).
 */
static void clock_report(void)
{
	static char log[1 << 17];
	double up, sclk = -1, cclk = -1, ktime = -1, xen_at = -1;
	char buf[2048], *p;
	struct timespec rt, mono;
	ssize_t n = 0;
	int fd;

	mkdir("/dbg", 0700);
	if (mount("debugfs", "/dbg", "debugfs", 0, NULL) && errno != EBUSY)
		report("DOMUS-PV-INIT: clock: debugfs: %s", strerror(errno));
	fd = open("/dbg/sched/debug", O_RDONLY);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = 0;
		/* in ms, 6 decimals */
		ktime = sched_debug_value(buf, "ktime") / 1e3;
		sclk = sched_debug_value(buf, "sched_clk") / 1e3;
		cclk = sched_debug_value(buf, "cpu_clk") / 1e3;
	} else {
		report("DOMUS-PV-INIT: clock: /dbg/sched/debug: %s", n < 0 || fd < 0 ? strerror(errno) : "empty");
	}
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	if (n > 0) {
		log[n] = 0;
		p = strstr(log, "] clocksource: xen: mask");
		if (p) {
			while (p > log && p[-1] != '[')
				p--;
			xen_at = strtod(p, NULL);
		}
	}
	up = mono.tv_sec + mono.tv_nsec / 1e9;
	report("DOMUS-PV-INIT: clock: wallclock %lld.%06ld, uptime %.6f, sched_clk %.6f, cpu_clk %.6f, ktime %.6f",
	       (long long)rt.tv_sec, rt.tv_nsec / 1000, up, sclk, cclk, ktime);
	if (xen_at >= 0 && cclk >= 0 && ktime >= 0)
		report("DOMUS-PV-INIT: clock: set at log time %.6f to wallclock %.6f, lost %.6f",
		       xen_at, rt.tv_sec + rt.tv_nsec / 1e9 - up + xen_at - (cclk - ktime), sclk - cclk);
	else
		report("DOMUS-PV-INIT: clock: no 'clocksource: xen' line or no scheduler clocks");
}

/* Load a kernel module of the initramfs: 0 loaded, -1 absent or failed (reported). */
static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -1;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
		report("DOMUS-PV-INIT: %s: finit_module: %s", path, strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

/* Grant one page to domain 0 through gntalloc; the page stays granted. */
static void grant_test(void)
{
	struct ioctl_gntalloc_alloc_gref a;
	char *page;
	int fd;

	if (load_module("/xen-gntalloc.ko"))
		return;
	fd = open("/dev/xen/gntalloc", O_RDWR);
	if (fd < 0) {
		report("DOMUS-PV-INIT: gntalloc: open: %s", strerror(errno));
		return;
	}
	memset(&a, 0, sizeof(a));
	a.domid = 0;
	a.flags = GNTALLOC_FLAG_WRITABLE;
	a.count = 1;
	if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, &a)) {
		report("DOMUS-PV-INIT: gntalloc: alloc: %s", strerror(errno));
		return;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, a.index);
	if (page == MAP_FAILED) {
		report("DOMUS-PV-INIT: gntalloc: mmap: %s", strerror(errno));
		return;
	}
	snprintf(page, 4096, "DOMUS-GRANT-PATTERN %u", a.gref_ids[0]);
	report("DOMUS-PV-INIT: granted ref %u to domain 0", a.gref_ids[0]);
}

/* One MSR check: read (want GP, or the value), or write then (maybe) read back. */
struct msr_check {
	uint32_t index;
	int vendor;		/* 0 any, 1 AMD, 2 Intel */
	int write;		/* 1: write .value first */
	int gp;			/* the access must #GP (EIO) */
	uint64_t value;		/* read: want; write: what to write */
	uint64_t after;		/* write: what a read gives after it (if !gp) */
};

#define WB8	0x0606060606060606ULL

static const struct msr_check msr_checks[] = {
	{ 0xce, 0, 0, 0, 0, 0 },		/* PLATFORM_INFO: no CPUID faulting */
	{ 0xce, 0, 1, 1, 0, 0 },		/* ... read-only */
	{ 0x140, 0, 0, 0, 0, 0 },		/* MISC_FEATURES_ENABLES */
	{ 0x140, 0, 1, 1, 1, 0 },		/* ... faulting cannot be enabled */
	{ 0x1d9, 0, 0, 0, 0, 0 },		/* DEBUGCTL */
	{ 0x1d9, 0, 1, 0, 0, 0 },		/* ... 0 accepted */
	{ 0x1d9, 0, 1, 1, 1, 0 },		/* ... LBR not */
	{ 0xfe, 0, 0, 0, 0x100, 0 },		/* MTRRcap: fixed, no variable */
	{ 0x2ff, 0, 0, 0, 0xc06, 0 },		/* MTRR default type WB, enabled */
	{ 0x250, 0, 0, 0, WB8, 0 },
	{ 0x26f, 0, 0, 0, WB8, 0 },
	{ 0x200, 0, 0, 1, 0, 0 },		/* no variable ranges */
	{ 0x3a, 0, 0, 1, 0, 0 },		/* no VMX: FEATURE_CONTROL #GP */
	{ 0xc0010010, 1, 0, 0, 0, 0 },		/* SYSCFG */
	{ 0xc0011029, 1, 0, 0, 2, 0 },		/* DE_CFG: LFENCE serialising */
	{ 0xc0011029, 1, 1, 0, 0, 2 },		/* ... writes dropped */
	{ 0xc0010140, 1, 0, 0, 0, 0 },		/* OSVW_ID_LENGTH */
	{ 0xc0010004, 1, 1, 0, 0xffff, 0 },	/* PERF_CTR0: vPMU off */
	{ 0xc0010055, 1, 0, 0, 0, 0 },		/* INT_PENDING_MSG */
	{ 0x17, 2, 0, 0, 0, 0 },		/* PLATFORM_ID */
	{ 0xc1, 2, 1, 0, 0xffff, 0 },		/* IA32_PMC0: vPMU off */
	{ 0x38f, 2, 0, 0, 0, 0 },		/* PERF_GLOBAL_CTRL */
};

static void msr_test(void)
{
	unsigned int a, b, c, d, i, checked = 0, wrong = 0, family;
	int fd, vendor = 0;

	if (load_module("/msr.ko"))
		return;
	fd = open("/dev/cpu/0/msr", O_RDWR);
	if (fd < 0) {
		report("DOMUS-PV-INIT: msr: open /dev/cpu/0/msr: %s", strerror(errno));
		return;
	}
	__cpuid(0, a, b, c, d);
	if (b == 0x68747541 || b == 0x6f677948)		/* AuthenticAMD, HygonGenuine */
		vendor = 1;
	else if (b == 0x756e6547)			/* GenuineIntel */
		vendor = 2;
	__cpuid(1, a, b, c, d);
	family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	for (i = 0; i < sizeof(msr_checks) / sizeof(msr_checks[0]); i++) {
		const struct msr_check *k = &msr_checks[i];
		uint64_t v = k->value, want = k->write ? k->after : k->value;
		ssize_t n;

		if (k->vendor && k->vendor != vendor)
			continue;
		checked++;
		if (k->write) {
			n = pwrite(fd, &v, 8, k->index);
			if ((n != 8) != k->gp) {
				report("DOMUS-PV-INIT: msr %#x: write %#llx %s, want %s", k->index,
				       (unsigned long long)v, n == 8 ? "accepted" : "faulted",
				       k->gp ? "#GP" : "accepted");
				wrong++;
				continue;
			}
			if (k->gp)
				continue;
		}
		v = 0;
		n = pread(fd, &v, 8, k->index);
		if (!k->write && k->gp) {
			if (n == 8) {
				report("DOMUS-PV-INIT: msr %#x: read %#llx, want #GP", k->index,
				       (unsigned long long)v);
				wrong++;
			}
		} else if (n != 8 || v != want) {
			if (n == 8)
				report("DOMUS-PV-INIT: msr %#x: read %#llx, want %#llx", k->index,
				       (unsigned long long)v, (unsigned long long)want);
			else
				report("DOMUS-PV-INIT: msr %#x: read faulted, want %#llx", k->index,
				       (unsigned long long)want);
			wrong++;
		}
	}
	/* HWCR: TscFreqSel from family 10h on (Linux reads it unguarded there) */
	if (vendor == 1) {
		uint64_t v = 0, want = family >= 0x10 ? 1ULL << 24 : 0;

		checked++;
		if (pread(fd, &v, 8, 0xc0010015) != 8 || v != want) {
			report("DOMUS-PV-INIT: msr 0xc0010015: read %#llx, want %#llx (family %#x)",
			       (unsigned long long)v, (unsigned long long)want, family);
			wrong++;
		}
	}
	close(fd);
	report("DOMUS-PV-INIT: msr policy: %u checked, %u wrong (vendor %d, family %#x)",
	       checked, wrong, vendor, family);
}

/* The interrupts of the /proc/interrupts lines holding @what (and @and), all CPUs. */
static unsigned long long irq_total(const char *what, const char *and)
{
	unsigned long long total = 0;
	char line[1024];
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;
		unsigned long long sum = 0, n;

		if (!p || !strstr(line, what) || (and && !strstr(line, and)))
			continue;
		for (p++;; p = end) {
			n = strtoull(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
		total += sum;
	}
	fclose(f);
	return total;
}

/* Which event-channel ABI the kernel uses, and do events flow. */
static void evtchn_test(void)
{
	static char log[1 << 17];
	struct timespec ts = { 0, 200000000 };
	unsigned long long a, b, la, lb, ta, tb;
	const char *abi = "unknown";
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);

	if (n > 0) {
		log[n] = 0;
		if (strstr(log, "Using FIFO-based ABI"))
			abi = "fifo";
		else if (strstr(log, "Using 2-level ABI"))
			abi = "2-level";
	}
	a = irq_total("xen-", NULL);
	la = irq_total("LOC:", NULL);
	ta = irq_total("xen-", "timer");
	nanosleep(&ts, NULL);
	b = irq_total("xen-", NULL);
	lb = irq_total("LOC:", NULL);
	tb = irq_total("xen-", "timer");
	report("DOMUS-PV-INIT: evtchn: abi %s, xen events %llu -> %llu", abi, a, b);
	/* timer interrupts: the local APIC timer's, and Xen's VIRQ_TIMER */
	report("DOMUS-PV-INIT: timer interrupts: LOC %llu -> %llu, xen timer %llu -> %llu",
	       la, lb, ta, tb);
}

/* The PV console: one line out, one line in. */
static void console_test(void)
{
	char buf[128];
	size_t len = 0;
	int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "DOMUS-PV-INIT: hello on hvc0\n");
	if (write(fd, buf, strlen(buf)) < 0)
		report("DOMUS-PV-INIT: hvc0 write: %s", strerror(errno));
	report("DOMUS-PV-INIT: hvc0 waiting for input");
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += n;
		if (memchr(buf, '\n', len) || memchr(buf, '\r', len))
			break;
	}
	buf[len] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	report("DOMUS-PV-INIT: hvc0 read '%s'", buf);
	close(fd);
}

int main(void)
{
	const char *mode = getenv("pvtest");
	struct timespec rt, mono;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	kmsg = open("/dev/kmsg", O_WRONLY);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	report("DOMUS-PV-INIT: /init runs, pid %d, wallclock %lld.%03ld, uptime %lld.%03ld",
	       (int)getpid(), (long long)rt.tv_sec, rt.tv_nsec / 1000000,
	       (long long)mono.tv_sec, mono.tv_nsec / 1000000);
	clock_report();
	grant_test();
	msr_test();
	console_test();
	evtchn_test();
	report("DOMUS-PV-INIT: %ld CPUs online", sysconf(_SC_NPROCESSORS_ONLN));
	if (!mode)
		mode = "reboot";
	report("DOMUS-PV-INIT: ending with %s", mode);
	sync();
	if (!strcmp(mode, "crash")) {
		int fd = open("/proc/sysrq-trigger", O_WRONLY);

		if (fd < 0 || write(fd, "c", 1) < 0)
			report("DOMUS-PV-INIT: sysrq: %s", strerror(errno));
	} else if (!strcmp(mode, "poweroff")) {
		reboot(RB_POWER_OFF);
	} else if (!strcmp(mode, "halt")) {
		reboot(RB_HALT_SYSTEM);
	} else {
		reboot(RB_AUTOBOOT);
	}
	for (;;)
		pause();
}
