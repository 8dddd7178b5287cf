// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/spec.c: what domus does at guest entry and exit
 * for a host kernel's bug flags, feature flags and L1TF settings,
 * including CPUs our emulated test hosts cannot be (Intel with MDS and
 * L1TF and FLUSH_CMD, eIBRS parts, AMD Zen 2 Retbleed, Zen 3/4 SRSO) and
 * mitigations=off.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "spec.h"
#include "unit.h"

#ifndef UNIT_PREFIX
#define UNIT_PREFIX "spec"
#endif

static const char *line(const struct domus_spec_policy *p)
{
	static char buf[200];

	domus_spec_describe(p, buf, sizeof(buf));
	return buf;
}

#define ALL_OFF "ibpb=off l1d=off verw=off rsb=off untrain=off ibpb-exit=off bhb=off ibrs=off vmscape=off"

/* mitigations=off: the bugs are there, the host asks for nothing */
static void mitigations_off(void)
{
	struct domus_spec_host h = {
		.vmx = true,
		.flags = SPEC_H_BUG_L1TF | SPEC_H_IBPB | SPEC_H_FLUSH_L1D | SPEC_H_MSR_SPEC_CTRL,
		.l1tf = SPEC_L1TF_OFF,
		.l1tf_vmx = SPEC_L1TF_VMX_AUTO,
	};
	struct domus_spec_policy p;

	domus_spec_decide(&h, &p);
	EXPECT(!strcmp(line(&p), ALL_OFF));
	h.vmx = false;
	domus_spec_decide(&h, &p);
	EXPECT(!strcmp(line(&p), ALL_OFF));
}

/* Skylake-class Intel, default settings: MDS, L1TF, retpoline + IBRS */
static void intel_mds_l1tf(void)
{
	struct domus_spec_host h = {
		.vmx = true,
		.flags = SPEC_H_BUG_L1TF | SPEC_H_FLUSH_L1D | SPEC_H_IBPB | SPEC_H_USE_IBPB |
			 SPEC_H_RSB_VMEXIT | SPEC_H_CLEAR_CPU_BUF | SPEC_H_MSR_SPEC_CTRL |
			 SPEC_H_KERNEL_IBRS | SPEC_H_RETPOLINE,
		.l1tf = SPEC_L1TF_FLUSH,
		.l1tf_vmx = SPEC_L1TF_VMX_AUTO,
	};
	struct domus_spec_policy p;

	domus_spec_decide(&h, &p);
	EXPECT(p.ibpb_switch);
	EXPECT(p.l1d == SPEC_L1D_COND && !p.l1d_sw);
	EXPECT(p.verw);
	EXPECT(p.exit == (SPEC_X_RSB | SPEC_X_IBRS));
	EXPECT(!strcmp(line(&p), "ibpb=switch l1d=cond verw=on rsb=exit untrain=off "
			  "ibpb-exit=off bhb=off ibrs=exit vmscape=off"));
	/* an old CPU without FLUSH_CMD (no microcode): the software flush */
	h.flags &= ~SPEC_H_FLUSH_L1D;
	domus_spec_decide(&h, &p);
	EXPECT(p.l1d == SPEC_L1D_COND && p.l1d_sw);
	EXPECT(strstr(line(&p), " l1d=cond,sw "));
	/* spectre_v2_user=off: no IBPB between domains although the CPU has it */
	h.flags &= ~SPEC_H_USE_IBPB;
	domus_spec_decide(&h, &p);
	EXPECT(!p.ibpb_switch);
	/* without SPEC_CTRL in use there is nothing to write back */
	h.flags &= ~SPEC_H_MSR_SPEC_CTRL;
	domus_spec_decide(&h, &p);
	EXPECT(!(p.exit & SPEC_X_IBRS));
}

/* l1tf= and kvm_intel's vmentry_l1d_flush (l1tf_vmx_mitigation) */
static void intel_l1tf_modes(void)
{
	static const struct {
		enum domus_spec_l1tf l1tf;
		enum domus_spec_l1tf_vmx vmx;
		enum domus_spec_l1d want;
	} t[] = {
		{ SPEC_L1TF_FLUSH,	SPEC_L1TF_VMX_AUTO,		SPEC_L1D_COND },
		{ SPEC_L1TF_FULL,	SPEC_L1TF_VMX_AUTO,		SPEC_L1D_ALWAYS },
		{ SPEC_L1TF_FULL_FORCE,	SPEC_L1TF_VMX_AUTO,		SPEC_L1D_ALWAYS },
		{ SPEC_L1TF_OFF,	SPEC_L1TF_VMX_AUTO,		SPEC_L1D_OFF },
		{ SPEC_L1TF_FLUSH,	SPEC_L1TF_VMX_ALWAYS,		SPEC_L1D_ALWAYS },
		{ SPEC_L1TF_FULL,	SPEC_L1TF_VMX_COND,		SPEC_L1D_COND },
		{ SPEC_L1TF_FLUSH,	SPEC_L1TF_VMX_NEVER,		SPEC_L1D_OFF },
		{ SPEC_L1TF_FULL_FORCE,	SPEC_L1TF_VMX_NEVER,		SPEC_L1D_ALWAYS },
		{ SPEC_L1TF_FLUSH,	SPEC_L1TF_VMX_EPT_DISABLED,	SPEC_L1D_COND },
		{ SPEC_L1TF_FLUSH,	SPEC_L1TF_VMX_NOT_REQUIRED,	SPEC_L1D_OFF },
	};
	struct domus_spec_host h = { .vmx = true, .flags = SPEC_H_BUG_L1TF | SPEC_H_FLUSH_L1D };
	struct domus_spec_policy p;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		h.l1tf = t[i].l1tf;
		h.l1tf_vmx = t[i].vmx;
		domus_spec_decide(&h, &p);
		if (p.l1d != t[i].want)
			printf("  case %u: l1d %d, want %d\n", i, p.l1d, t[i].want);
		EXPECT(p.l1d == t[i].want);
	}
	/* the CPU says a VM entry needs no flush, or it is not affected */
	h.l1tf = SPEC_L1TF_FULL_FORCE;
	h.flags |= SPEC_H_SKIP_L1DFL;
	domus_spec_decide(&h, &p);
	EXPECT(p.l1d == SPEC_L1D_OFF && !p.l1d_sw);
	h.flags = SPEC_H_FLUSH_L1D;
	domus_spec_decide(&h, &p);
	EXPECT(p.l1d == SPEC_L1D_OFF);
	/* AMD-V: never an L1D flush */
	h.vmx = false;
	h.flags = SPEC_H_BUG_L1TF;
	domus_spec_decide(&h, &p);
	EXPECT(p.l1d == SPEC_L1D_OFF && !p.l1d_sw);
}

/* a recent Intel part: eIBRS with PBRSB, BHI, VMSCAPE; no MDS, no L1TF */
static void intel_eibrs(void)
{
	struct domus_spec_host h = {
		.vmx = true,
		.flags = SPEC_H_IBPB | SPEC_H_USE_IBPB | SPEC_H_RSB_VMEXIT_LITE |
			 SPEC_H_MSR_SPEC_CTRL | SPEC_H_BHB_VMEXIT | SPEC_H_IBPB_TO_USER,
		.l1tf = SPEC_L1TF_FLUSH,
	};
	struct domus_spec_policy p;

	domus_spec_decide(&h, &p);
	EXPECT(p.ibpb_switch && p.ibpb_to_user);
	EXPECT(p.l1d == SPEC_L1D_OFF && !p.verw);
	EXPECT(p.exit == (SPEC_X_RSB_LITE | SPEC_X_BHB));
	EXPECT(!strcmp(line(&p), "ibpb=switch l1d=off verw=off rsb=lite untrain=off "
			  "ibpb-exit=off bhb=on ibrs=off vmscape=on"));
	/* full fill wins over the single CALL */
	h.flags |= SPEC_H_RSB_VMEXIT;
	domus_spec_decide(&h, &p);
	EXPECT((p.exit & (SPEC_X_RSB | SPEC_X_RSB_LITE)) == SPEC_X_RSB);
	/* VERW for a VM entry alone (a later kernel's split) counts on VT-x */
	h.flags |= SPEC_H_CLEAR_CPU_BUF_VM;
	domus_spec_decide(&h, &p);
	EXPECT(p.verw);
}

/* AMD Zen 2, defaults: retpoline, Retbleed untrained return, SRSO safe RET */
static void amd_retbleed(void)
{
	struct domus_spec_host h = {
		.flags = SPEC_H_IBPB | SPEC_H_USE_IBPB | SPEC_H_RETPOLINE | SPEC_H_RSB_VMEXIT |
			 SPEC_H_UNRET | SPEC_H_CLEAR_CPU_BUF | SPEC_H_MSR_SPEC_CTRL |
			 SPEC_H_BHB_VMEXIT | SPEC_H_RSB_VMEXIT_LITE,
	};
	struct domus_spec_policy p;

	domus_spec_decide(&h, &p);
	EXPECT(p.ibpb_switch);
	/* AMD-V: the RSB fill follows retpoline; no PBRSB/BHB steps; VERW only for TSA */
	EXPECT(p.exit == (SPEC_X_RSB | SPEC_X_UNTRAIN));
	EXPECT(!p.verw && p.l1d == SPEC_L1D_OFF);
	EXPECT(!strcmp(line(&p), "ibpb=switch l1d=off verw=off rsb=exit untrain=ret "
			  "ibpb-exit=off bhb=off ibrs=off vmscape=off"));
	/* TSA (Zen 3/4): VERW before VMRUN */
	h.flags |= SPEC_H_CLEAR_CPU_BUF_VM;
	domus_spec_decide(&h, &p);
	EXPECT(p.verw);
}

/* AMD Zen 3/4: SRSO untraining through aliasing, or IBPB on every exit */
static void amd_srso(void)
{
	struct domus_spec_host h = {
		.flags = SPEC_H_IBPB | SPEC_H_USE_IBPB | SPEC_H_UNRET | SPEC_H_SRSO_ALIAS,
	};
	struct domus_spec_policy p;

	domus_spec_decide(&h, &p);
	EXPECT(p.exit == SPEC_X_UNTRAIN_ALIAS);
	EXPECT(strstr(line(&p), " untrain=alias "));
	/* srso=ibpb-vmexit: IBPB on every exit makes the switch IBPB redundant */
	h.flags = SPEC_H_IBPB | SPEC_H_USE_IBPB | SPEC_H_IBPB_ON_VMEXIT;
	domus_spec_decide(&h, &p);
	EXPECT(p.exit == SPEC_X_IBPB && !p.ibpb_switch);
	EXPECT(!strcmp(line(&p), "ibpb=off l1d=off verw=off rsb=off untrain=off "
			  "ibpb-exit=on bhb=off ibrs=off vmscape=off"));
	/* retbleed=ibpb: IBPB on kernel entry, so on every exit too */
	h.flags = SPEC_H_IBPB | SPEC_H_USE_IBPB | SPEC_H_ENTRY_IBPB;
	domus_spec_decide(&h, &p);
	EXPECT(p.exit == SPEC_X_IBPB && !p.ibpb_switch);
	/* VT-x never takes the AMD untraining steps */
	h.vmx = true;
	h.flags = SPEC_H_UNRET | SPEC_H_SRSO_ALIAS | SPEC_H_IBPB_ON_VMEXIT;
	domus_spec_decide(&h, &p);
	EXPECT(p.exit == 0);
}

/* the report into a short buffer: cut, NUL-terminated, full length returned */
static void describe_truncates(void)
{
	struct domus_spec_policy p = { 0 };
	char buf[8];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = domus_spec_describe(&p, buf, sizeof(buf));
	EXPECT(n == (int)strlen(ALL_OFF));
	EXPECT(!strcmp(buf, "ibpb=of"));
	EXPECT(domus_spec_describe(&p, buf, 0) == n);
}

int main(void)
{
	RUN(UNIT_PREFIX, mitigations_off);
	RUN(UNIT_PREFIX, intel_mds_l1tf);
	RUN(UNIT_PREFIX, intel_l1tf_modes);
	RUN(UNIT_PREFIX, intel_eibrs);
	RUN(UNIT_PREFIX, amd_retbleed);
	RUN(UNIT_PREFIX, amd_srso);
	RUN(UNIT_PREFIX, describe_truncates);
	return unit_failed;
}
