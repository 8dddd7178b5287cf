/* SPDX-License-Identifier: GPL-2.0-only */
/* The Xen PVH personality: shared declarations of module/pv/. */
#ifndef DOMUS_PV_XEN_H
#define DOMUS_PV_XEN_H

/* A hypercall handler's return value: the exit goes to userspace. */
#define DOMUS_XEN_TO_USER	(LONG_MIN + 1)

int domus_xen_copy_from_guest(struct domus_vcpu *v, void *dst, u64 gva, unsigned int len);
int domus_xen_copy_to_guest(struct domus_vcpu *v, u64 gva, const void *src, unsigned int len);

#endif
