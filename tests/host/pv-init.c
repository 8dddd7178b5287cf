// SPDX-License-Identifier: MIT
/*
 * pv-init: the /init of the PV boot test's initramfs (tests/host/amd-pv.sh).
 * Static; runs as PID 1 in the Xen PVH guest.  It reports through
 * /dev/kmsg, which the guest kernel prints on its early Xen console:
 *
 *   - a marker line with the guest's wall-clock time;
 *   - if /xen-gntalloc.ko is in the initramfs: loads it and grants one
 *     page to domain 0 (the backend), filled with a pattern, and prints
 *     the grant reference (pvboot checks it through the grant table);
 *   - if /dev/hvc0 exists (pvboot -C: the PV console ring): writes a line
 *     to it, asks for input and reads one line back (pvboot answers
 *     through the ring and the console event channel);
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
#include <unistd.h>
#include <sys/ioctl.h>
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

/* Grant one page to domain 0 through gntalloc; the page stays granted. */
static void grant_test(void)
{
	struct ioctl_gntalloc_alloc_gref a;
	char *page;
	int mfd, fd;

	mfd = open("/xen-gntalloc.ko", O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		return;
	if (syscall(SYS_finit_module, mfd, "", 0) && errno != EEXIST) {
		report("DOMUS-PV-INIT: gntalloc: finit_module: %s", strerror(errno));
		close(mfd);
		return;
	}
	close(mfd);
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
	grant_test();
	console_test();
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
