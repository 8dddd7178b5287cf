// SPDX-License-Identifier: MIT
/*
 * Host diagnosis for 'domus info': can domus run here, and if not, why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "libdomus.h"

bool domus_flag_in(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = flags;

	if (!n)
		return false;
	while ((p = strstr(p, flag)) != NULL) {
		bool start = p == flags || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

static bool path_exists(const char *root, const char *path)
{
	char buf[512];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s%s", root, path);
	return stat(buf, &st) == 0;
}

int domus_kvm_virt_at_load(const char *root)
{
	char path[512];
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "%s/sys/module/kvm/parameters/enable_virt_at_load",
		 root ? root : "");
	f = fopen(path, "r");
	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	if (c == 'Y' || c == 'y' || c == '1')
		return 1;
	if (c == 'N' || c == 'n' || c == '0')
		return 0;
	return -1;
}

/* Scan the first CPU's "flags" and "vmx flags" lines. */
static void read_cpuinfo(const char *root, struct domus_diag *d)
{
	char path[512];
	char *line = NULL;
	size_t cap = 0;
	bool seen_flags = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "flags", 5)) {
			if (seen_flags)
				break;
			seen_flags = true;
			d->cpu_svm = domus_flag_in(line, "svm");
			d->cpu_vmx = domus_flag_in(line, "vmx");
			d->cpu_npt = domus_flag_in(line, "npt");
			d->cpu_ept = domus_flag_in(line, "ept");
		} else if (!strncmp(line, "vmx flags", 9)) {
			d->cpu_ept = d->cpu_ept || domus_flag_in(line, "ept");
		}
	}
	free(line);
	fclose(f);
}

/* Read the firmware enable state from the MSR device, if it is there. */
static int read_fw_disabled(const char *root, const struct domus_diag *d)
{
	char path[512];
	uint64_t val;
	off_t msr;
	int fd;
	ssize_t n;

	if (d->cpu_svm)
		msr = 0xc0010114;	/* VM_CR: bit 4 SVMDIS */
	else if (d->cpu_vmx)
		msr = 0x3a;		/* IA32_FEATURE_CONTROL */
	else
		return -1;
	snprintf(path, sizeof(path), "%s/dev/cpu/0/msr", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &val, sizeof(val), msr);
	close(fd);
	if (n != sizeof(val))
		return -1;
	if (d->cpu_svm)
		return (val >> 4) & 1;
	return (val & 1) && !(val & 4);
}

void domus_diagnose(const char *root, struct domus_diag *d)
{
	memset(d, 0, sizeof(*d));
	if (!root)
		root = "";
	read_cpuinfo(root, d);
	d->module_loaded = path_exists(root, "/sys/module/domus");
	d->kvm_amd = path_exists(root, "/sys/module/kvm_amd");
	d->kvm_intel = path_exists(root, "/sys/module/kvm_intel");
	d->kvm_virt_at_load = domus_kvm_virt_at_load(root);
	d->device_present = path_exists(root, "/dev/domus");
	d->fw_disabled = read_fw_disabled(root, d);
	domus_sig_diagnose(root, d);
}
