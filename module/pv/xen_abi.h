/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Facts of the Xen guest ABI that the PVH personality implements
 * (numbers from Xen's public interface, restated; see
 * ../shared/docs/pvh-abi.md).  Our own definitions, not Xen's headers.
 */
#ifndef DOMUS_XEN_ABI_H
#define DOMUS_XEN_ABI_H

#include <linux/types.h>

/* CPUID: the Xen leaves at 0x40000000 */
#define XEN_CPUID_BASE		0x40000000u
#define XEN_CPUID_LAST		(XEN_CPUID_BASE + 5)
#define XEN_SIG_EBX		0x566e6558u	/* "XenV" */
#define XEN_SIG_ECX		0x65584d4du	/* "MMXe" */
#define XEN_SIG_EDX		0x4d4d566eu	/* "nVMM" */
#define XEN_VERSION_MAJOR	4
#define XEN_VERSION_MINOR	17
#define XEN_HCALL_PAGE_MSR	0x40000000u
#define XEN_HVM_CPUID_VCPU_ID	(1u << 3)
#define XEN_HVM_CPUID_DOMID	(1u << 4)

/* hypercall numbers */
enum {
	XEN_HC_memory_op = 12,
	XEN_HC_set_timer_op = 15,
	XEN_HC_xen_version = 17,
	XEN_HC_console_io = 18,
	XEN_HC_grant_table_op = 20,
	XEN_HC_vm_assist = 21,
	XEN_HC_vcpu_op = 24,
	XEN_HC_sched_op = 29,
	XEN_HC_event_channel_op = 32,
	XEN_HC_physdev_op = 33,
	XEN_HC_hvm_op = 34,
	XEN_HC_MAX = 64,
};

/* xen_version sub-ops */
enum {
	XENVER_version = 0,
	XENVER_extraversion = 1,
	XENVER_capabilities = 3,
	XENVER_get_features = 6,
	XENVER_pagesize = 7,
};
#define XEN_EXTRAVERSION_LEN	16
#define XEN_CAPABILITIES_LEN	1024

/* XENVER_get_features submap 0 */
#define XENFEAT_writable_page_tables	(1u << 0)
#define XENFEAT_auto_translated_physmap	(1u << 2)
#define XENFEAT_hvm_callback_vector	(1u << 8)
#define XENFEAT_hvm_safe_pvclock	(1u << 9)

struct xen_feature_info {
	u32 submap_idx;
	u32 submap;
};
static_assert(sizeof(struct xen_feature_info) == 8);

/* console_io sub-ops */
enum {
	CONSOLEIO_write = 0,
	CONSOLEIO_read = 1,
};

/* errno values the guest sees (the x86 Linux numbers) */
#define XEN_EPERM	1
#define XEN_ENOENT	2
#define XEN_EFAULT	14
#define XEN_EINVAL	22
#define XEN_ENOSYS	38

#endif /* DOMUS_XEN_ABI_H */
