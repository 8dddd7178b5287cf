/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place for differences between kernel versions domus builds
 * against.  Everything else includes this instead of testing
 * LINUX_VERSION_CODE itself.
 */
#ifndef DOMUS_COMPAT_H
#define DOMUS_COMPAT_H

#include <linux/version.h>
#include <asm/msr.h>

/* rdmsrl_safe() was renamed rdmsrq_safe() in 6.16. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define domus_rdmsr_safe(msr, p)	rdmsrq_safe(msr, p)
#else
#define domus_rdmsr_safe(msr, p)	rdmsrl_safe(msr, p)
#endif

#endif /* DOMUS_COMPAT_H */
