// SPDX-License-Identifier: MIT
/*
 * domus info: version, module state, backend and capabilities, and a
 * diagnosis with the fix wherever domus cannot run.
 * Exit status: 0 when the module answered, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "libdomus.h"

static void field(const char *key, const char *fmt, const char *val)
{
	printf("%-20s: ", key);
	printf(fmt, val);
	printf("\n");
}

static void diagnose(const struct domus_diag *d, int open_err)
{
	bool any = false;

#define PROBLEM(...) do { printf("problem             : " __VA_ARGS__); printf("\n"); any = true; } while (0)
	if (!d->cpu_svm && !d->cpu_vmx)
		PROBLEM("no svm or vmx flag in /proc/cpuinfo: the CPU lacks AMD-V/VT-x, it is disabled in the firmware, or a hypervisor hides it; enable it in the BIOS setup or give the VM's CPU the svm/vmx flag");
	else if (d->fw_disabled == 1)
		PROBLEM("%s is disabled by the firmware; enable it in the BIOS setup",
			d->cpu_svm ? "AMD-V (SVM)" : "Intel VT-x");
	else if (d->cpu_svm && !d->cpu_npt)
		PROBLEM("AMD-V without nested paging (no npt flag); domus needs NPT");
	if (d->kvm_amd || d->kvm_intel)
		PROBLEM("%s is loaded: KVM and domus cannot run guests at the same time; stop KVM guests and 'rmmod %s kvm' before starting domains",
			d->kvm_amd ? "kvm_amd" : "kvm_intel", d->kvm_amd ? "kvm_amd" : "kvm_intel");
	if (!d->module_loaded)
		PROBLEM("the domus module is not loaded: 'modprobe domus' (or insmod domus.ko); if it fails, 'dmesg | grep domus' names the reason");
	else if (open_err == EACCES || open_err == EPERM)
		PROBLEM("/dev/domus: permission denied: run domus as root");
	else if (open_err == ENOENT)
		PROBLEM("the module is loaded but /dev/domus is missing: check udev/devtmpfs");
	else if (open_err)
		PROBLEM("cannot open /dev/domus: %s", strerror(open_err));
	if (!any && open_err)
		PROBLEM("%s", domus_last_error());
#undef PROBLEM
}

int cmd_info(const struct domus_cmd *cmd, int argc, char **argv)
{
	struct domus_diag diag;
	struct domus_caps caps;
	unsigned int api = 0;
	char feats[256];
	int fd, open_err = 0;
	int ret = 1;

	(void)argv;
	if (argc != 1)
		return domus_cmd_usage_error(cmd, "takes no arguments");

	domus_diagnose(getenv("DOMUS_SYSROOT"), &diag);
	field("domus version", "%s", DOMUS_VERSION);
	field("module", "%s", diag.module_loaded ? "loaded" : "not loaded");

	fd = diag.module_loaded ? domus_open() : -ENOENT;
	if (fd < 0) {
		open_err = -fd;
	} else if (domus_get_api_version(fd, &api) < 0 ||
		   domus_get_caps(fd, &caps) < 0) {
		field("error", "%s", domus_last_error());
	} else {
		printf("%-20s: %u (tools %d)\n", "api version", api, DOMUS_API_VERSION);
		printf("%-20s: %s (%s)\n", "vendor", domus_vendor_name(caps.vendor),
		       domus_vendor_long_name(caps.vendor));
		field("nested paging", "%s", domus_paging_name(caps.paging));
		printf("%-20s: %u\n", "max vcpus", caps.max_vcpus);
		printf("%-20s: %u\n", "max memory slots", caps.max_slots);
		printf("%-20s: %u\n", "asids", caps.asids);
		domus_features_str(caps.features, feats, sizeof(feats));
		field("features", "%s", feats);
		ret = api == DOMUS_API_VERSION ? 0 : 1;
		if (ret)
			field("problem", "%s", "module and tools speak different API versions; install matching versions");
	}
	if (fd >= 0)
		close(fd);
	diagnose(&diag, open_err);
	return ret;
}
