// SPDX-License-Identifier: MIT
/*
 * domus info: version, module state, backend and capabilities, and a
 * diagnosis with the fix wherever domus cannot run.
 * Exit status: 0 when the module answered, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "libdomus.h"

/* --json: one object of the same fields (keys with '_' for ' '), the
 * problems as a list "problems" at the end. */
static bool as_json;
static char problems[8][512];
static int nproblems;

static void json_key(const char *key)
{
	char k[32];
	size_t i;

	snprintf(k, sizeof(k), "%s", key);
	for (i = 0; k[i]; i++)
		if (k[i] == ' ')
			k[i] = '_';
	printf(",\n  ");
	domus_json_str(k);
	printf(": ");
}

static void field(const char *key, const char *fmt, const char *val)
{
	char v[512];

	snprintf(v, sizeof(v), fmt, val);
	if (as_json) {
		json_key(key);
		domus_json_str(v);
	} else {
		printf("%-20s: %s\n", key, v);
	}
}

static void field_num(const char *key, unsigned int val)
{
	if (as_json) {
		json_key(key);
		printf("%u", val);
	} else {
		printf("%-20s: %u\n", key, val);
	}
}

static void __attribute__((format(printf, 1, 2))) problem(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!as_json)
		printf("problem             : %s\n", line);
	else if (nproblems < (int)(sizeof(problems) / sizeof(problems[0])))
		snprintf(problems[nproblems++], sizeof(problems[0]), "%s", line);
}

static void diagnose(const struct domus_diag *d, int open_err)
{
	char sig[512];
	bool any = false;

#define PROBLEM(...) do { problem(__VA_ARGS__); any = true; } while (0)
	if (!d->cpu_svm && !d->cpu_vmx)
		PROBLEM("no svm or vmx flag in /proc/cpuinfo: the CPU lacks AMD-V/VT-x, it is disabled in the firmware, or a hypervisor hides it; enable it in the BIOS setup or give the VM's CPU the svm/vmx flag");
	else if (d->fw_disabled == 1)
		PROBLEM("%s is disabled by the firmware; enable it in the BIOS setup",
			d->cpu_svm ? "AMD-V (SVM)" : "Intel VT-x");
	else if (d->cpu_svm && !d->cpu_npt)
		PROBLEM("AMD-V without nested paging (no npt flag); domus needs NPT");
	if ((d->kvm_amd || d->kvm_intel) && d->kvm_virt_at_load == 1)
		PROBLEM("%s is loaded with kvm.enable_virt_at_load=1 (the default since Linux 6.12): it holds %s even without guests, so domus cannot start domains; 'rmmod %s kvm', or reload it with 'modprobe kvm enable_virt_at_load=0'",
			d->kvm_amd ? "kvm_amd" : "kvm_intel", d->kvm_amd ? "AMD-V" : "VT-x",
			d->kvm_amd ? "kvm_amd" : "kvm_intel");
	else if (d->kvm_amd || d->kvm_intel)
		PROBLEM("%s is loaded: KVM and domus cannot run guests at the same time; stop KVM guests and 'rmmod %s kvm' before starting domains",
			d->kvm_amd ? "kvm_amd" : "kvm_intel", d->kvm_amd ? "kvm_amd" : "kvm_intel");
	if (!d->module_loaded && domus_sig_advice(d, sig, sizeof(sig)))
		PROBLEM("%s", sig);	/* a signature refusal, with the fix */
	else if (!d->module_loaded)
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
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct domus_diag diag;
	struct domus_caps caps;
	unsigned int api = 0;
	char feats[256], vendor[128];
	int fd, open_err = 0, opt, i;
	int ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt != 'j')
			return domus_cmd_bad_option(cmd, "+");
		as_json = true;
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments");

	domus_diagnose(getenv("DOMUS_SYSROOT"), &diag);
	if (as_json) {
		printf("{\n  \"domus_version\": ");
		domus_json_str(DOMUS_VERSION);
	} else {
		field("domus version", "%s", DOMUS_VERSION);
	}
	field("module", "%s", diag.module_loaded ? "loaded" : "not loaded");
	if (diag.lockdown > DOMUS_LOCKDOWN_NONE)
		field("lockdown", "%s", diag.lockdown == DOMUS_LOCKDOWN_INTEGRITY ? "integrity" : "confidentiality");

	fd = diag.module_loaded ? domus_open() : -ENOENT;
	if (fd < 0) {
		open_err = -fd;
	} else if (domus_get_api_version(fd, &api) < 0 ||
		   domus_get_caps(fd, &caps) < 0) {
		field("error", "%s", domus_last_error());
	} else {
		if (as_json) {
			field_num("api version", api);
			field_num("tools api version", DOMUS_API_VERSION);
		} else {
			printf("%-20s: %u (tools %d)\n", "api version", api, DOMUS_API_VERSION);
		}
		snprintf(vendor, sizeof(vendor), "%s (%s)", domus_vendor_name(caps.vendor),
			 domus_vendor_long_name(caps.vendor));
		field("vendor", "%s", vendor);
		field("nested paging", "%s", domus_paging_name(caps.paging));
		field_num("max vcpus", caps.max_vcpus);
		field_num("max memory slots", caps.max_slots);
		field_num("asids", caps.asids);
		domus_features_str(caps.features, feats, sizeof(feats));
		field("features", "%s", feats);
		ret = api == DOMUS_API_VERSION ? 0 : 1;
		if (ret)
			problem("%s", "module and tools speak different API versions; install matching versions");
	}
	if (fd >= 0)
		close(fd);
	diagnose(&diag, open_err);
	if (as_json) {
		printf(",\n  \"problems\": [");
		for (i = 0; i < nproblems; i++) {
			printf("%s\n    ", i ? "," : "");
			domus_json_str(problems[i]);
		}
		printf("%s]\n}\n", nproblems ? "\n  " : "");
	}
	return ret;
}
