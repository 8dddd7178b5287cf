// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: hvm_op (34) and the HVM parameters.
 *
 * The guest sets only HVM_PARAM_CALLBACK_IRQ (the domain-wide upcall) and
 * per-vCPU upcall vectors; the store and console parameters are set by
 * userspace with
 * DOMUS_XEN_SET_PARAM before the guest runs and read by the guest with
 * HVMOP_get_param.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include "xen.h"

/*
 * HVM_PARAM_CALLBACK_IRQ, bits 63:56 the type (Xen public header
 * hvm/params.h).  Xen takes every value and records it; what it does with
 * one (hvm_set_callback_via) on a domain like ours, which has a local APIC
 * but no IOAPIC and no PIC:
 *   - type 2, vector (bits 7:0): the domain-wide upcall vector;
 *   - type 0 GSI (bits 7:0), type 1 PCI INTx (device 15:11, pin 1:0), any
 *     other type: nothing can carry them, and the upcall keeps its current
 *     way (Linux writes GSI 1 after setting per-vCPU vectors, "to look
 *     enlightened");
 *   - 0 (type 0, GSI 0) is "none": it turns the domain-wide vector off.
 *     (Xen skips even that on a domain without IOAPIC; domus does what
 *     the value says, docs/pv.md.)
 * A vector below 0x10 is refused (-EINVAL): the APIC range starts there,
 * as for HVMOP_set_evtchn_upcall_vector; higher bits of a vector value
 * are ignored, as Xen ignores them.  A vector set while a vCPU's upcall is
 * pending reaches it at its next entry (xen_evtchn_sync).
 */
static long xen_set_callback_irq(struct xen_dom *xd, u64 value)
{
	unsigned int type = value >> HVM_PARAM_CALLBACK_TYPE_SHIFT;
	unsigned long flags;
	unsigned int i;
	int vector = -1;	/* -1: delivery unchanged */

	if (!value)
		vector = 0;
	else if (type == HVM_PARAM_CALLBACK_TYPE_VECTOR)
		vector = value & 0xff;
	if (vector > 0 && vector < 0x10)
		return -XEN_EINVAL;
	spin_lock_irqsave(&xd->lock, flags);
	WRITE_ONCE(xd->params[HVM_PARAM_CALLBACK_IRQ], value);
	if (vector >= 0) {
		WRITE_ONCE(xd->upcall_vector, vector);
		/* as Xen: every running vCPU looks at its upcall flag again */
		for (i = 0; vector && i < ARRAY_SIZE(xd->vcpus); i++)
			if (xd->vcpus[i] && xen_vcpu_is_up(xd->vcpus[i]))
				xen_vcpu_notify(xd->vcpus[i]->v);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	return 0;
}

/*
 * HVMOP_set_evtchn_upcall_vector {u32 vcpu; u8 vector}: from now on this
 * vCPU's upcalls are @vector raised on its local APIC (edge: IRR, then
 * ISR until the guest's EOI), not the domain-wide CALLBACK_IRQ vector.
 * As Xen: vector < 0x10 -EINVAL, no such vCPU -ENOENT (the vector is
 * checked first), any vCPU of the domain may be named (Linux sets an AP's
 * before it starts it), and the vector is raised at once (Xen's
 * hvm_assert_evtchn_irq: an upcall that was pending is not lost; a
 * software-disabled APIC drops it).
 */
static long xen_set_upcall_vector(struct domus_vcpu *v, u64 arg)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_hvm_evtchn_upcall_vector op;
	struct xen_vcpu *xv;
	unsigned long flags;
	long ret = 0;

	if (domus_xen_copy_from_guest(v, &op, arg, sizeof(op)))
		return -XEN_EFAULT;
	if (op.vector < 0x10)
		return -XEN_EINVAL;
	if (op.vcpu >= ARRAY_SIZE(xd->vcpus))
		return -XEN_ENOENT;
	spin_lock_irqsave(&xd->lock, flags);
	xv = xd->vcpus[op.vcpu];
	if (!xv) {
		ret = -XEN_ENOENT;
	} else {
		WRITE_ONCE(xv->upcall_vec, op.vector);
		xen_apic_raise(xv, op.vector);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	pr_debug("xen: vcpu %u: upcall vector %#x for vcpu %u -> %ld\n", v->id, op.vector,
		 op.vcpu, ret);
	return ret;
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
	case HVMOP_set_evtchn_upcall_vector:
		return xen_set_upcall_vector(v, r->rsi);
	default:
		/* pagetable_dying, ... */
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
