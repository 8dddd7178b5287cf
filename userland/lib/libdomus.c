// SPDX-License-Identifier: MIT
/*
 * libdomus: device access, caps and error reporting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "libdomus.h"

static _Thread_local char domus_errbuf[256];

const char *domus_last_error(void)
{
	return domus_errbuf;
}

int domus_set_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(domus_errbuf, sizeof(domus_errbuf), fmt, ap);
	va_end(ap);
	return -err;
}

int domus_open(void)
{
	const char *path = getenv("DOMUS_DEVICE");
	int fd;

	if (!path || !*path)
		path = DOMUS_DEVICE;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			return domus_set_error(err, "%s does not exist: load the module with 'modprobe domus' (or insmod domus.ko)", path);
		if (err == EACCES || err == EPERM)
			return domus_set_error(err, "%s: permission denied: run as root", path);
		return domus_set_error(err, "cannot open %s: %s", path, strerror(err));
	}
	return fd;
}

int domus_get_api_version(int fd, unsigned int *version)
{
	struct domus_api_version v = { 0 };

	if (ioctl(fd, DOMUS_GET_API_VERSION, &v) < 0)
		return domus_set_error(errno, "DOMUS_GET_API_VERSION failed: %s", strerror(errno));
	*version = v.version;
	return 0;
}

int domus_get_caps(int fd, struct domus_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	if (ioctl(fd, DOMUS_GET_CAPS, caps) < 0)
		return domus_set_error(errno, "DOMUS_GET_CAPS failed: %s", strerror(errno));
	return 0;
}

const char *domus_vendor_name(unsigned int vendor)
{
	switch (vendor) {
	case DOMUS_VENDOR_SVM: return "svm";
	case DOMUS_VENDOR_VMX: return "vmx";
	default: return "none";
	}
}

const char *domus_vendor_long_name(unsigned int vendor)
{
	switch (vendor) {
	case DOMUS_VENDOR_SVM: return "AMD-V";
	case DOMUS_VENDOR_VMX: return "Intel VT-x";
	default: return "none";
	}
}

const char *domus_paging_name(unsigned int paging)
{
	switch (paging) {
	case DOMUS_PAGING_NPT: return "npt";
	case DOMUS_PAGING_EPT: return "ept";
	default: return "none";
	}
}

static const struct {
	unsigned long long bit;
	const char *name;
} domus_feature_names[] = {
	{ DOMUS_FEAT_NRIPS, "nrips" },
	{ DOMUS_FEAT_DECODE_ASSISTS, "decode-assists" },
	{ DOMUS_FEAT_VMCB_CLEAN, "vmcb-clean" },
	{ DOMUS_FEAT_FLUSH_BY_ASID, "flush-by-asid" },
	{ DOMUS_FEAT_VGIF, "vgif" },
	{ DOMUS_FEAT_VPID, "vpid" },
	{ DOMUS_FEAT_EPT_AD, "ept-ad" },
	{ DOMUS_FEAT_UNRESTRICTED, "unrestricted-guest" },
	{ DOMUS_FEAT_LARGE_PAGES, "large-pages" },
};

void domus_features_str(unsigned long long features, char *buf, size_t len)
{
	size_t used = 0;
	size_t i;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(domus_feature_names) / sizeof(domus_feature_names[0]); i++) {
		int n;

		if (!(features & domus_feature_names[i].bit))
			continue;
		features &= ~domus_feature_names[i].bit;
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
			     domus_feature_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (features)
		snprintf(buf + used, len - used, "%sunknown(0x%llx)", used ? " " : "", features);
	else if (!used)
		snprintf(buf, len, "none");
}

int domus_mkdir_p(const char *dir, mode_t mode)
{
	char p[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, mode) && errno != EEXIST)
			return -errno;
		p[i] = i < n ? '/' : 0;
	}
	return 0;
}

void domus_sibling_exe(const char *env, const char *name, char *buf, size_t len)
{
	const char *e = getenv(env);
	char self[PATH_MAX];
	ssize_t n;

	if (e && *e) {
		snprintf(buf, len, "%s", e);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash && (size_t)snprintf(buf, len, "%.*s/%s", (int)(slash - self), self, name) < len &&
		    !access(buf, X_OK))
			return;
	}
	snprintf(buf, len, "%s", name);	/* from PATH */
}
