/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus core: what the generic code and the arch backends share.
 */
#ifndef DOMUS_CORE_H
#define DOMUS_CORE_H

#include <linux/types.h>
#include <linux/fs.h>
#include "../uapi/domus.h"
#include "compat.h"

#define DOMUS_MAX_VCPUS		64
#define DOMUS_MAX_SLOTS		32

/* What the backend's probe found; copied into DOMUS_GET_CAPS answers. */
struct domus_hw {
	u32 vendor;		/* enum domus_vendor */
	u32 paging;		/* enum domus_paging */
	u64 features;		/* DOMUS_FEAT_* */
	u32 asids;
};

/*
 * One backend per vendor.  probe() runs at module load: it checks that
 * the CPU can run domus and fills @hw, or logs one line naming the reason
 * and the fix and returns a negative errno.  It must not switch
 * virtualization on.
 */
struct domus_arch_ops {
	const char *name;
	int (*probe)(struct domus_hw *hw);
};

extern const struct domus_arch_ops domus_svm_ops;
extern const struct domus_arch_ops domus_vmx_ops;

extern const struct domus_arch_ops *domus_arch;
extern struct domus_hw domus_hw;

/* Table-driven ioctl dispatch (ioctl.c). */
typedef long (*domus_ioctl_fn)(void *ctx, void *arg, unsigned long raw);

struct domus_ioctl_desc {
	unsigned int cmd;
	domus_ioctl_fn fn;
};

#define DOMUS_IOCTL_ENTRY(_cmd, _fn) [_IOC_NR(_cmd)] = { .cmd = (_cmd), .fn = (_fn) }

long domus_ioctl_dispatch(const struct domus_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg);

/* True when every byte of @p is zero (reserved-field checks). */
bool domus_all_zero(const void *p, size_t len);

#endif /* DOMUS_CORE_H */
