// SPDX-License-Identifier: MIT
/*
 * devfuzz: deterministic checks of the bugs the fuzzer found, run before
 * every ioctl fuzz (regression_checks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "libdomus.h"
#include "devfuzz.h"

/*
 * Deterministic: DOMUS_XEN_EVTCHN_BIND(ATTACH) of guest ports above
 * INT_MAX is refused (a signed index read outside the port table and
 * oopsed the host; found by devfuzz).
 */
static int evtchn_attach_check(int devfd)
{
	static const uint32_t ports[] = { 0x80000000u, 0xf240c5a5u, 0xffffffffu, 1024, 4096 };
	struct domus_xen_evtchn_bind b;
	int dfd = domus_create_domain_flags(devfd, DOMUS_DOMAIN_XEN), bad = 0;
	size_t i;

	if (dfd < 0) {
		printf("regressions: cannot create a Xen domain: %s\n", domus_last_error());
		return 1;
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		memset(&b, 0, sizeof(b));
		b.flags = DOMUS_XEN_EVTCHN_ATTACH;
		b.port = ports[i];
		b.notify_fd = b.kick_fd = -1;
		if (ioctl(dfd, DOMUS_XEN_EVTCHN_BIND, &b) >= 0 || errno != EINVAL) {
			printf("regressions: EVTCHN_BIND ATTACH of port %#x: %s\n", ports[i], strerror(errno));
			bad = 1;
		}
	}
	close(dfd);
	return bad;
}

/*
 * Deterministic: a forked child holding a domain and a vCPU fd can
 * neither call them nor map the run page or the grant table (EIO).
 * Returns 0 or prints what the child could do.
 */
int regression_checks(int devfd)
{
	struct domus_vcpu_handle h;
	int dfd, st = 0;
	pid_t pid;

	dfd = domus_create_domain_flags(devfd, DOMUS_DOMAIN_XEN);
	if (dfd < 0 || domus_create_vcpu(dfd, 0, &h)) {
		printf("regressions: cannot create a domain and vCPU: %s\n", domus_last_error());
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		struct domus_regs r;
		int bad = 0;

		if (ioctl(h.fd, DOMUS_GET_REGS, &r) >= 0 || errno != EIO)
			bad |= 1;
		if (ioctl(h.fd, DOMUS_RUN, 0) >= 0 || errno != EIO)
			bad |= 2;
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, h.fd, 0) != MAP_FAILED || errno != EIO)
			bad |= 4;
		if (ioctl(dfd, DOMUS_GET_STATS, &r) >= 0 || errno != EIO)
			bad |= 8;
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, dfd, 0) != MAP_FAILED || errno != EIO)
			bad |= 16;
		_exit(bad);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	domus_vcpu_close(&h);
	close(dfd);
	if (evtchn_attach_check(devfd))
		return 1;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("regressions: a forked child could use the parent's fds (mask 0x%x: 1 vCPU ioctl, 2 run, "
		       "4 run-page mmap, 8 domain ioctl, 16 domain mmap)\n", WIFEXITED(st) ? WEXITSTATUS(st) : 255);
		return 1;
	}
	printf("regressions: ok (a forked child gets EIO for vCPU and domain ioctls and mmaps; "
	       "EVTCHN_BIND ATTACH of ports above INT_MAX refused)\n");
	return 0;
}
