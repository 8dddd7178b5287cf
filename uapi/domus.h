/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * domus kernel/user ABI: the single definition shared by domus.ko and
 * userland.  Every structure has an explicit size and explicit padding;
 * reserved fields must be zero on input or the call fails with -EINVAL.
 * See docs/abi.md for the meaning of each ioctl.
 */
#ifndef DOMUS_UAPI_H
#define DOMUS_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DOMUS_API_VERSION	1
#define DOMUS_DEVICE		"/dev/domus"
#define DOMUS_IOCTL_TYPE	0xD5

/* --- /dev/domus ------------------------------------------------------- */

struct domus_api_version {
	__u32 version;		/* out: DOMUS_API_VERSION */
	__u32 reserved[3];	/* in: must be zero */
};

enum domus_vendor {
	DOMUS_VENDOR_NONE = 0,
	DOMUS_VENDOR_SVM = 1,	/* AMD-V */
	DOMUS_VENDOR_VMX = 2,	/* Intel VT-x */
};

enum domus_paging {
	DOMUS_PAGING_NONE = 0,
	DOMUS_PAGING_NPT = 1,
	DOMUS_PAGING_EPT = 2,
};

/* Hardware features domus detected and will use (caps.features). */
#define DOMUS_FEAT_NRIPS		(1ULL << 0)	/* SVM next-RIP save */
#define DOMUS_FEAT_DECODE_ASSISTS	(1ULL << 1)	/* SVM decode assists */
#define DOMUS_FEAT_VMCB_CLEAN		(1ULL << 2)	/* SVM VMCB clean bits */
#define DOMUS_FEAT_FLUSH_BY_ASID	(1ULL << 3)	/* SVM TLB flush by ASID */
#define DOMUS_FEAT_VGIF			(1ULL << 4)	/* SVM virtual GIF */
#define DOMUS_FEAT_VPID			(1ULL << 8)	/* VMX VPID */
#define DOMUS_FEAT_EPT_AD		(1ULL << 9)	/* VMX EPT A/D bits */
#define DOMUS_FEAT_UNRESTRICTED		(1ULL << 10)	/* VMX unrestricted guest */
#define DOMUS_FEAT_LARGE_PAGES		(1ULL << 16)	/* 2M nested pages */

struct domus_caps {
	__u32 api_version;	/* out */
	__u32 vendor;		/* out: enum domus_vendor */
	__u32 paging;		/* out: enum domus_paging */
	__u32 max_vcpus;	/* out: vCPUs per domain */
	__u64 features;		/* out: DOMUS_FEAT_* */
	__u32 asids;		/* out: hardware ASIDs/VPIDs available */
	__u32 max_slots;	/* out: memory slots per domain */
	__u64 reserved[4];	/* in: must be zero */
};

#define DOMUS_GET_API_VERSION	_IOWR(DOMUS_IOCTL_TYPE, 0x00, struct domus_api_version)
#define DOMUS_GET_CAPS		_IOWR(DOMUS_IOCTL_TYPE, 0x01, struct domus_caps)

#ifdef __cplusplus
#define DOMUS_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define DOMUS_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

DOMUS_STATIC_ASSERT(sizeof(struct domus_api_version) == 16, "api_version size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_caps) == 64, "caps size");

#endif /* DOMUS_UAPI_H */
