/* SPDX-License-Identifier: MIT */
/*
 * libdomus: a small C library over the domus ioctl ABI (uapi/domus.h).
 * Every call returns 0 (or a non-negative value) on success and a negative
 * errno on failure; domus_last_error() then holds a one-line explanation.
 */
#ifndef LIBDOMUS_H
#define LIBDOMUS_H

#include <stdbool.h>
#include <stddef.h>
#include "domus.h"

#define DOMUS_VERSION "0.1.0"

/* Last error message of the calling thread ("" if none). */
const char *domus_last_error(void);
/* Set the calling thread's error message; returns -err for tail calls. */
int domus_set_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open /dev/domus (or $DOMUS_DEVICE).  Returns an fd or -errno. */
int domus_open(void);
int domus_get_api_version(int fd, unsigned int *version);
int domus_get_caps(int fd, struct domus_caps *caps);

const char *domus_vendor_name(unsigned int vendor);
const char *domus_vendor_long_name(unsigned int vendor);
const char *domus_paging_name(unsigned int paging);
/* Space-separated names of DOMUS_FEAT_* bits; "none" if zero. */
void domus_features_str(unsigned long long features, char *buf, size_t len);

/*
 * Why domus can or cannot run here, read from /proc and /sys below @root
 * ("" for the live system; tests pass a fake tree).
 */
struct domus_diag {
	bool cpu_svm;		/* "svm" in /proc/cpuinfo flags */
	bool cpu_vmx;		/* "vmx" in /proc/cpuinfo flags */
	bool cpu_npt;		/* "npt" flag */
	bool cpu_ept;		/* "ept" in flags or vmx flags */
	int fw_disabled;	/* 1 disabled, 0 enabled, -1 unknown */
	bool module_loaded;	/* /sys/module/domus */
	bool kvm_amd;		/* /sys/module/kvm_amd */
	bool kvm_intel;		/* /sys/module/kvm_intel */
	bool device_present;	/* /dev/domus exists */
};

void domus_diagnose(const char *root, struct domus_diag *d);
/* Does the space-separated @flags line contain the word @flag? */
bool domus_flag_in(const char *flags, const char *flag);

#endif /* LIBDOMUS_H */
