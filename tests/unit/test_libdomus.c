// SPDX-License-Identifier: MIT
/* Unit tests for libdomus's host-independent parts. */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "libdomus.h"
#include "unit.h"


static void flag_words(void)
{
	const char *line = "flags\t\t: fpu vme svm_lock svm npt lm\n";

	EXPECT(domus_flag_in(line, "svm"));
	EXPECT(domus_flag_in(line, "npt"));
	EXPECT(domus_flag_in(line, "lm"));
	EXPECT(!domus_flag_in(line, "vmx"));
	EXPECT(!domus_flag_in("flags : svm_lock", "svm"));
	EXPECT(!domus_flag_in("flags : xsvm", "svm"));
	EXPECT(!domus_flag_in(line, ""));
}

static void features_text(void)
{
	char buf[128];

	domus_features_str(0, buf, sizeof(buf));
	EXPECT(!strcmp(buf, "none"));
	domus_features_str(DOMUS_FEAT_NRIPS | DOMUS_FEAT_VGIF, buf, sizeof(buf));
	EXPECT(!strcmp(buf, "nrips vgif"));
	domus_features_str(DOMUS_FEAT_VGIF | (1ULL << 63), buf, sizeof(buf));
	EXPECT(!strcmp(buf, "vgif unknown(0x8000000000000000)"));
	/* truncation never overruns */
	domus_features_str(~0ULL, buf, 8);
	EXPECT(strlen(buf) < 8);
}

static void names(void)
{
	EXPECT(!strcmp(domus_vendor_name(DOMUS_VENDOR_SVM), "svm"));
	EXPECT(!strcmp(domus_vendor_name(DOMUS_VENDOR_VMX), "vmx"));
	EXPECT(!strcmp(domus_vendor_name(77), "none"));
	EXPECT(!strcmp(domus_paging_name(DOMUS_PAGING_EPT), "ept"));
	EXPECT(!strcmp(domus_vendor_long_name(DOMUS_VENDOR_SVM), "AMD-V"));
}

/* every exit counter the uapi defines has a distinct name, without gaps
 * (the launcher's "stats" answer stops at the first unnamed index) */
static void stat_names(void)
{
	unsigned int i, j;

	for (i = 0; i <= DOMUS_STAT_MACHINE_CHECK; i++) {
		EXPECT(domus_stat_name(i) != NULL);
		for (j = 0; j < i && domus_stat_name(i); j++)
			EXPECT(strcmp(domus_stat_name(i), domus_stat_name(j)));
	}
	EXPECT(!strcmp(domus_stat_name(DOMUS_STAT_IO), "io"));
	EXPECT(domus_stat_name(DOMUS_STAT_MAX) == NULL);
	EXPECT(domus_stat_name(~0u) == NULL);
}

static int put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void diagnosis_fake_tree(void)
{
	char root[] = "/tmp/domus-unit-XXXXXX";
	char cmd[600];
	struct domus_diag d;

	EXPECT(mkdtemp(root) != NULL);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc %s/sys/module/domus %s/sys/module/kvm_amd %s/dev",
		 root, root, root, root);
	EXPECT(system(cmd) == 0);
	EXPECT(put(root, "proc/cpuinfo",
		   "processor : 0\nflags : fpu svm npt\n\nprocessor : 1\nflags : fpu vmx\n") == 0);
	domus_diagnose(root, &d);
	EXPECT(d.cpu_svm && d.cpu_npt && !d.cpu_vmx);	/* first CPU only */
	EXPECT(d.module_loaded && d.kvm_amd && !d.kvm_intel);
	EXPECT(!d.device_present);
	EXPECT(d.fw_disabled == -1);
	EXPECT(d.kvm_virt_at_load == -1);	/* no such parameter: before 6.12 */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sys/module/kvm/parameters", root);
	EXPECT(system(cmd) == 0);
	EXPECT(put(root, "sys/module/kvm/parameters/enable_virt_at_load", "Y\n") == 0);
	domus_diagnose(root, &d);
	EXPECT(d.kvm_virt_at_load == 1 && domus_kvm_virt_at_load(root) == 1);
	EXPECT(put(root, "sys/module/kvm/parameters/enable_virt_at_load", "N\n") == 0);
	EXPECT(domus_kvm_virt_at_load(root) == 0);
	EXPECT(put(root, "sys/module/kvm/parameters/enable_virt_at_load", "") == 0);
	EXPECT(domus_kvm_virt_at_load(root) == -1);

	EXPECT(put(root, "proc/cpuinfo", "flags : fpu vmx\nvmx flags : vnmi ept vpid\n") == 0);
	domus_diagnose(root, &d);
	EXPECT(d.cpu_vmx && d.cpu_ept && !d.cpu_svm);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	EXPECT(system(cmd) == 0);
}

static void open_missing_device(void)
{
	int fd;

	setenv("DOMUS_DEVICE", "/nonexistent/domus", 1);
	fd = domus_open();
	EXPECT(fd == -ENOENT);
	EXPECT(strstr(domus_last_error(), "modprobe domus") != NULL);
	unsetenv("DOMUS_DEVICE");
}

/* The host CPUID table: both ranges, sub-leaves of the indexed leaves,
 * the host's own values, and the cap respected. */
static void host_cpuid_table(void)
{
	static struct domus_cpuid_entry e[DOMUS_MAX_CPUID_ENTRIES];
	unsigned int n = domus_host_cpuid(e, DOMUS_MAX_CPUID_ENTRIES), i, a, b, c, d;
	unsigned int max, leaf7 = 0, ext = 0, small;

	__cpuid(0, max, b, c, d);
	EXPECT(n > 0 && n <= DOMUS_MAX_CPUID_ENTRIES);
	EXPECT(e[0].function == 0 && e[0].index == 0 && e[0].flags == 0 && e[0].eax == max &&
	       e[0].ebx == b && e[0].ecx == c && e[0].edx == d);
	for (i = 0; i < n; i++) {
		if (e[i].function == 7) {
			EXPECT(e[i].flags == DOMUS_CPUID_INDEXED && e[i].index == leaf7);
			leaf7++;
		}
		if (e[i].function == 0x80000000u) {
			__cpuid(0x80000000u, a, b, c, d);
			EXPECT(e[i].eax == a);
			ext++;
		}
		EXPECT(e[i].function <= 0x40 ||
		       (e[i].function >= 0x80000000u && e[i].function <= 0x80000040u));
	}
	EXPECT(ext == 1);
	if (max >= 7)
		EXPECT(leaf7 == 8);
	small = domus_host_cpuid(e, 3);
	EXPECT(small == 3);
}

int main(void)
{
	RUN(UNIT_PREFIX, flag_words);
	RUN(UNIT_PREFIX, features_text);
	RUN(UNIT_PREFIX, names);
	RUN(UNIT_PREFIX, stat_names);
	RUN(UNIT_PREFIX, diagnosis_fake_tree);
	RUN(UNIT_PREFIX, open_missing_device);
	RUN(UNIT_PREFIX, host_cpuid_table);
	return unit_failed;
}
