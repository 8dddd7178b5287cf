// SPDX-License-Identifier: MIT
/*
 * devtest: checks /dev/domus from inside a test host with domus.ko loaded.
 * Usage: devtest svm|vmx.  One PASS/FAIL line per check (see tests/run).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "libdomus.h"

static int failed;

static void __attribute__((format(printf, 3, 4)))
result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: dev/%s\n", name);
		return;
	}
	failed = 1;
	printf("FAIL: dev/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ioctl expecting failure with @want; returns 1 if it failed that way. */
static int ioctl_errno(int fd, unsigned long cmd, void *arg, int want, int *got)
{
	int r = ioctl(fd, cmd, arg);

	*got = r < 0 ? errno : 0;
	return r < 0 && errno == want;
}

int main(int argc, char **argv)
{
	unsigned int want_vendor, want_paging, version = 0;
	struct domus_api_version v;
	struct domus_caps caps;
	struct stat st = { 0 };
	int fd, got = 0, status;
	pid_t pid;

	if (argc != 2 || (strcmp(argv[1], "svm") && strcmp(argv[1], "vmx"))) {
		fprintf(stderr, "usage: devtest svm|vmx\n");
		return 2;
	}
	want_vendor = !strcmp(argv[1], "svm") ? DOMUS_VENDOR_SVM : DOMUS_VENDOR_VMX;
	want_paging = want_vendor == DOMUS_VENDOR_SVM ? DOMUS_PAGING_NPT : DOMUS_PAGING_EPT;

	result("node-mode-0600-root", stat(DOMUS_DEVICE, &st) == 0 && S_ISCHR(st.st_mode) &&
	       (st.st_mode & 07777) == 0600 && st.st_uid == 0 && st.st_gid == 0,
	       "mode %o uid %u gid %u", st.st_mode & 07777, st.st_uid, st.st_gid);

	fd = domus_open();
	if (fd < 0) {
		result("open", 0, "%s", domus_last_error());
		return 1;
	}

	result("api-version", domus_get_api_version(fd, &version) == 0 &&
	       version == DOMUS_API_VERSION, "got %u, expected %d", version, DOMUS_API_VERSION);

	memset(&caps, 0, sizeof(caps));
	result("caps", domus_get_caps(fd, &caps) == 0 && caps.vendor == want_vendor &&
	       caps.paging == want_paging && caps.max_vcpus == 64 &&
	       caps.api_version == DOMUS_API_VERSION && caps.max_slots > 0,
	       "vendor %u paging %u max_vcpus %u api %u slots %u (%s)", caps.vendor,
	       caps.paging, caps.max_vcpus, caps.api_version, caps.max_slots,
	       domus_last_error());
	/*
	 * 2M nested pages: NPT always has them (its tables are long-mode
	 * tables); EPT has them when IA32_VMX_EPT_VPID_CAP bit 16 says so,
	 * read here through the msr driver (the suite loads it).
	 */
	if (want_vendor == DOMUS_VENDOR_SVM) {
		result("caps-large-pages", !!(caps.features & DOMUS_FEAT_LARGE_PAGES),
		       "features 0x%llx", (unsigned long long)caps.features);
	} else {
		uint64_t ept_cap = 0;
		int mfd = open("/dev/cpu/0/msr", O_RDONLY);
		int have = mfd >= 0 && pread(mfd, &ept_cap, 8, 0x48c) == 8;

		if (mfd >= 0)
			close(mfd);
		result("caps-large-pages", have &&
		       !!(caps.features & DOMUS_FEAT_LARGE_PAGES) == !!(ept_cap & (1ULL << 16)),
		       "features 0x%llx, IA32_VMX_EPT_VPID_CAP %#llx%s",
		       (unsigned long long)caps.features, (unsigned long long)ept_cap,
		       have ? "" : " (cannot read /dev/cpu/0/msr: load msr.ko)");
		printf("info: EPT 2M pages %s, domus large pages %s\n",
		       ept_cap & (1ULL << 16) ? "yes" : "no",
		       caps.features & DOMUS_FEAT_LARGE_PAGES ? "on" : "off");
	}

	memset(&v, 0, sizeof(v));
	v.reserved[2] = 1;
	result("api-version-reserved-einval", ioctl_errno(fd, DOMUS_GET_API_VERSION, &v, EINVAL, &got),
	       "errno %d", got);
	memset(&caps, 0, sizeof(caps));
	caps.reserved[3] = 1ULL << 40;
	result("caps-reserved-einval", ioctl_errno(fd, DOMUS_GET_CAPS, &caps, EINVAL, &got),
	       "errno %d", got);
	result("caps-bad-pointer-efault", ioctl_errno(fd, DOMUS_GET_CAPS, (void *)16, EFAULT, &got),
	       "errno %d", got);
	result("unknown-nr-enotty", ioctl_errno(fd, _IO(DOMUS_IOCTL_TYPE, 0x7f), NULL, ENOTTY, &got),
	       "errno %d", got);
	result("wrong-size-enotty",
	       ioctl_errno(fd, _IOC(_IOC_READ | _IOC_WRITE, DOMUS_IOCTL_TYPE, 0x01, 8), &caps, ENOTTY, &got),
	       "errno %d", got);
	result("wrong-type-enotty", ioctl_errno(fd, _IOWR(0xAE, 0x01, struct domus_caps), &caps, ENOTTY, &got),
	       "errno %d", got);
	result("kvm-number-enotty", ioctl_errno(fd, _IO(0xAE, 0x00), NULL, ENOTTY, &got), "errno %d", got);
	close(fd);

	/* A non-root user is refused by the device node's mode. */
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = open(DOMUS_DEVICE, O_RDWR);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	status = -1;
	waitpid(pid, &status, 0);
	result("non-root-eacces", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child status 0x%x", status);
	return failed;
}
