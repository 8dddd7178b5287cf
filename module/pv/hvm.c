// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: hvm_op (34) and the HVM parameters.
 *
 * The guest sets only HVM_PARAM_CALLBACK_IRQ (the upcall vector, "vector"
 * type); the store and console parameters are set by userspace with
 * DOMUS_XEN_SET_PARAM before the guest runs and read by the guest with
 * HVMOP_get_param.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include "xen.h"

static long xen_set_callback_irq(struct xen_dom *xd, u64 value)
{
	unsigned int type = value >> HVM_PARAM_CALLBACK_TYPE_SHIFT;
	unsigned long flags;
	u8 vector = 0;

	if (value) {
		if (type != HVM_PARAM_CALLBACK_TYPE_VECTOR)
			return -XEN_EINVAL;	/* no GSI / PCI INTx callbacks */
		vector = value & 0xff;
		if (vector < 32 || (value & ~((0xffULL << HVM_PARAM_CALLBACK_TYPE_SHIFT) | 0xff)))
			return -XEN_EINVAL;
	}
	spin_lock_irqsave(&xd->lock, flags);
	WRITE_ONCE(xd->params[HVM_PARAM_CALLBACK_IRQ], value);
	WRITE_ONCE(xd->upcall_vector, vector);
	spin_unlock_irqrestore(&xd->lock, flags);
	return 0;
}

static long xen_hvm_param(struct domus_vcpu *v, u64 arg, bool set)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_hvm_param p;
	long ret;

	if (domus_xen_copy_from_guest(v, &p, arg, sizeof(p)))
		return -XEN_EFAULT;
	if (p.index >= HVM_NR_PARAMS)
		return -XEN_EINVAL;	/* Xen checks the index first */
	if (p.domid != XEN_DOMID_SELF && p.domid != XEN_DOMID)
		return xen_foreign_dom_err(p.domid);
	if (set) {
		if (p.index != HVM_PARAM_CALLBACK_IRQ)
			return -XEN_EPERM;
		ret = xen_set_callback_irq(xd, p.value);
		pr_debug("xen: vcpu %u: CALLBACK_IRQ %#llx -> %ld\n", v->id, p.value, ret);
		return ret;
	}
	p.value = READ_ONCE(xd->params[p.index]);
	return domus_xen_copy_to_guest(v, arg, &p, sizeof(p)) ? -XEN_EFAULT : 0;
}

long xen_hc_hvm_op(struct domus_vcpu *v, struct domus_regs *r)
{
	switch (r->rdi) {
	case HVMOP_set_param:
		return xen_hvm_param(v, r->rsi, true);
	case HVMOP_get_param:
		return xen_hvm_param(v, r->rsi, false);
	case HVMOP_get_time: {
		u64 now = xen_system_time(xen_dom(v));

		return domus_xen_copy_to_guest(v, r->rsi, &now, sizeof(now)) ? -XEN_EFAULT : 0;
	}
	default:
		/* pagetable_dying, set_evtchn_upcall_vector (not advertised), ... */
		return -XEN_ENOSYS;
	}
}

/* --- userspace: DOMUS_XEN_SET_PARAM / DOMUS_XEN_GET_PARAM ---------------- */

static bool xen_param_user_settable(u32 index)
{
	return index == HVM_PARAM_STORE_PFN || index == HVM_PARAM_STORE_EVTCHN ||
	       index == HVM_PARAM_CONSOLE_PFN || index == HVM_PARAM_CONSOLE_EVTCHN;
}

long domus_xen_param_ioctl(struct domus_domain *dom, struct domus_xen_param *p, bool set)
{
	struct xen_dom *xd = dom->pers_data;

	BUILD_BUG_ON(DOMUS_XEN_NR_PARAMS != HVM_NR_PARAMS);
	if (!xd)
		return -ENOTTY;
	if (p->reserved0 || !domus_all_zero(p->reserved, sizeof(p->reserved)) ||
	    p->index >= HVM_NR_PARAMS)
		return -EINVAL;
	if (!set) {
		p->value = READ_ONCE(xd->params[p->index]);
		return 0;
	}
	if (!xen_param_user_settable(p->index))
		return -EINVAL;
	if ((p->index == HVM_PARAM_STORE_EVTCHN || p->index == HVM_PARAM_CONSOLE_EVTCHN) &&
	    p->value >= XEN_NR_PORTS)
		return -EINVAL;
	if ((p->index == HVM_PARAM_STORE_PFN || p->index == HVM_PARAM_CONSOLE_PFN) &&
	    p->value >= (DOMUS_GPA_LIMIT >> PAGE_SHIFT) && p->value != ~0ULL)
		return -EINVAL;
	WRITE_ONCE(xd->params[p->index], p->value);
	return 0;
}
