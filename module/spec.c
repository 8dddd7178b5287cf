// SPDX-License-Identifier: GPL-2.0-only
/*
 * The transient-execution policy (spec.h): pure C, in domus.ko and in the
 * unit tests.  Each rule follows what KVM 6.1 does with the same host
 * settings (arch/x86/kvm/vmx/vmx.c, svm/svm.c and their vmenter.S).
 */
#include "spec.h"

/*
 * L1TF (Intel only): the flush mode for VM entries.  kvm_intel publishes
 * its choice in l1tf_vmx_mitigation; before it loads (AUTO) the mode
 * follows l1tf= as KVM's default does: off never, flush* conditional,
 * full always.  l1tf=full,force forces "always" whatever was chosen.
 */
static enum domus_spec_l1d spec_l1d(const struct domus_spec_host *h)
{
	if (!h->vmx || !(h->flags & SPEC_H_BUG_L1TF) || (h->flags & SPEC_H_SKIP_L1DFL))
		return SPEC_L1D_OFF;
	if (h->l1tf == SPEC_L1TF_FULL_FORCE)
		return SPEC_L1D_ALWAYS;
	switch (h->l1tf_vmx) {
	case SPEC_L1TF_VMX_NEVER:
	case SPEC_L1TF_VMX_NOT_REQUIRED:
		return SPEC_L1D_OFF;
	case SPEC_L1TF_VMX_COND:
		return SPEC_L1D_COND;
	case SPEC_L1TF_VMX_ALWAYS:
		return SPEC_L1D_ALWAYS;
	case SPEC_L1TF_VMX_AUTO:
	case SPEC_L1TF_VMX_EPT_DISABLED:
		break;
	}
	switch (h->l1tf) {
	case SPEC_L1TF_OFF:
		return SPEC_L1D_OFF;
	case SPEC_L1TF_FLUSH:
		return SPEC_L1D_COND;
	case SPEC_L1TF_FULL:
	case SPEC_L1TF_FULL_FORCE:
		break;
	}
	return SPEC_L1D_ALWAYS;
}

/* What the exit code does before its first RET. */
static u32 spec_exit(const struct domus_spec_host *h)
{
	u64 f = h->flags;
	u32 x = 0;

	if (h->vmx) {
		/* retpoline or legacy IBRS: fill; eIBRS with PBRSB: one CALL */
		if (f & SPEC_H_RSB_VMEXIT)
			x |= SPEC_X_RSB;
		else if (f & SPEC_H_RSB_VMEXIT_LITE)
			x |= SPEC_X_RSB_LITE;
		if (f & SPEC_H_BHB_VMEXIT)
			x |= SPEC_X_BHB;
	} else {
		if (f & SPEC_H_RETPOLINE)
			x |= SPEC_X_RSB;
		/* Retbleed and SRSO: the same untraining as the host's kernel entry */
		if (f & SPEC_H_SRSO_ALIAS)
			x |= SPEC_X_UNTRAIN_ALIAS;
		else if (f & SPEC_H_UNRET)
			x |= SPEC_X_UNTRAIN;
		if (f & (SPEC_H_ENTRY_IBPB | SPEC_H_IBPB_ON_VMEXIT))
			x |= SPEC_X_IBPB;
	}
	/* legacy IBRS must be written again after a less privileged mode ran */
	if ((f & SPEC_H_MSR_SPEC_CTRL) && (f & SPEC_H_KERNEL_IBRS))
		x |= SPEC_X_IBRS;
	return x;
}

void domus_spec_decide(const struct domus_spec_host *h, struct domus_spec_policy *p)
{
	u64 f = h->flags;

	memset(p, 0, sizeof(*p));
	p->exit = spec_exit(h);
	/*
	 * Another domain's vCPU may have trained the predictors of this CPU:
	 * IBPB when the host uses it for its own tasks (spectre_v2_user not
	 * off), unless every exit already does one.
	 */
	p->ibpb_switch = (f & SPEC_H_IBPB) && (f & SPEC_H_USE_IBPB) && !(p->exit & SPEC_X_IBPB);
	p->l1d = spec_l1d(h);
	p->l1d_sw = p->l1d != SPEC_L1D_OFF && !(f & SPEC_H_FLUSH_L1D);
	/*
	 * VERW: on VT-x whenever the host clears buffers for its own user
	 * space (MDS, TAA, MMIO, RFDS); on AMD-V when it asks for it before
	 * VMRUN (TSA).  The MMIO-only static key is for assigned devices,
	 * which domus has none of.
	 */
	if (h->vmx)
		p->verw = f & (SPEC_H_CLEAR_CPU_BUF | SPEC_H_CLEAR_CPU_BUF_VM);
	else
		p->verw = f & SPEC_H_CLEAR_CPU_BUF_VM;
	p->ibpb_to_user = f & SPEC_H_IBPB_TO_USER;
}

/* Append @s to @buf at *@pos, keeping the NUL within @len. */
static void spec_put(char *buf, unsigned int len, unsigned int *pos, const char *s)
{
	for (; *s; s++, (*pos)++)
		if (*pos + 1 < len)
			buf[*pos] = *s;
	if (len)
		buf[*pos < len ? *pos : len - 1] = '\0';
}

int domus_spec_describe(const struct domus_spec_policy *p, char *buf, unsigned int len)
{
	static const char *const l1d[] = { "off", "cond", "always" };
	unsigned int pos = 0;
	u32 x = p->exit;

	spec_put(buf, len, &pos, p->ibpb_switch ? "ibpb=switch" : "ibpb=off");
	spec_put(buf, len, &pos, " l1d=");
	spec_put(buf, len, &pos, l1d[p->l1d]);
	if (p->l1d_sw)
		spec_put(buf, len, &pos, ",sw");
	spec_put(buf, len, &pos, p->verw ? " verw=on" : " verw=off");
	spec_put(buf, len, &pos, (x & SPEC_X_RSB) ? " rsb=exit" :
				 (x & SPEC_X_RSB_LITE) ? " rsb=lite" : " rsb=off");
	spec_put(buf, len, &pos, (x & SPEC_X_UNTRAIN_ALIAS) ? " untrain=alias" :
				 (x & SPEC_X_UNTRAIN) ? " untrain=ret" : " untrain=off");
	spec_put(buf, len, &pos, (x & SPEC_X_IBPB) ? " ibpb-exit=on" : " ibpb-exit=off");
	spec_put(buf, len, &pos, (x & SPEC_X_BHB) ? " bhb=on" : " bhb=off");
	spec_put(buf, len, &pos, (x & SPEC_X_IBRS) ? " ibrs=exit" : " ibrs=off");
	spec_put(buf, len, &pos, p->ibpb_to_user ? " vmscape=on" : " vmscape=off");
	return pos;
}
