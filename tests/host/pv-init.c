// SPDX-License-Identifier: MIT
/*
 * pv-init: the /init of the PV boot test's initramfs (tests/host/amd-pv.sh).
 * Static; runs as PID 1 in the Xen PVH guest.  With no console device yet
 * (hvc0 needs the console ring), it reports through /dev/kmsg, which the
 * guest kernel prints on its early Xen console: a marker line and the
 * guest's wall-clock time, then it asks for a reboot, which a PVH guest
 * turns into SCHEDOP_shutdown(reboot).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

int main(void)
{
	char msg[160];
	struct timespec rt, mono;
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/kmsg", O_WRONLY);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	snprintf(msg, sizeof(msg), "DOMUS-PV-INIT: /init runs, pid %d, wallclock %lld, uptime %lld.%03ld\n",
		 (int)getpid(), (long long)rt.tv_sec, (long long)mono.tv_sec, mono.tv_nsec / 1000000);
	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			return 1;
		close(fd);
	}
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
