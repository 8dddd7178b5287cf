// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz: running as the guest's init (PID 1), for guests without a
 * shell (the VT-x run, tests/host/intel-pv.sh boot "hcfuzz"): mount
 * /proc, /sys and /dev, load /xen-privcmd.ko with unrestricted=1, run,
 * report that the guest is alive, power off.  Settings come from the
 * kernel command line as environment variables: hcfuzz_seed,
 * hcfuzz_calls, hcfuzz_user, hcfuzz_grant.  Reports go to the console and
 * to /dev/kmsg.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "hcfuzz.h"

/* Returns the argument vector for the fuzzer's options (static storage). */
char **init_setup(int *argc)
{
	static char *av[16];
	static char opt[4][32];
	static const char *const env[] = { "hcfuzz_calls", "hcfuzz_user", "hcfuzz_grant" };
	static const char *const flag[] = { "-n", "-u", "-g" };
	unsigned int i;
	int n = 0, fd;

	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* without /dev/console in the initramfs, init starts with no fds 0-2 */
	if (fcntl(1, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0 && fd != 0)
			dup2(fd, 0);
		if (fd >= 0) {
			dup2(0, 1);
			dup2(0, 2);
		}
		if (fd > 2)
			close(fd);
	}
	/* and the kernel log: the early console (earlyprintk=xen) shows it
	 * where /dev/console may be a tty nobody reads (printk.devkmsg=on
	 * lifts the rate limit) */
	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	fd = open("/xen-privcmd.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "unrestricted=1", 0))
		say("DOMUS-HCFUZZ: loading /xen-privcmd.ko: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 50 && access("/dev/xen/privcmd", F_OK); i++)
		usleep(100000);
	av[n++] = "pv-hcfuzz";
	for (i = 0; i < 3; i++) {
		const char *v = getenv(env[i]);

		if (!v)
			continue;
		av[n++] = (char *)flag[i];
		snprintf(opt[i], sizeof(opt[i]), "%s", v);
		av[n++] = opt[i];
	}
	av[n] = NULL;
	*argc = n;
	return av;
}

void init_finish(int rc)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	sleep(1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	say("DOMUS-HCFUZZ-ALIVE rc=%d sleep 1 took %.2f s", rc,
	    (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
