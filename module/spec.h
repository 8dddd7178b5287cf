/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transient-execution mitigations around guest entry and exit: what the
 * host kernel found and decided (its bug flags, its synthetic feature
 * flags, its L1TF settings) in, what domus does at each entry and exit
 * out.  domus follows the host: it never mitigates what the host left
 * unmitigated (mitigations=off, spectre_v2_user=off, l1tf=off ...) and
 * never skips what the host does for its own guests (KVM 6.1's choices
 * are the reference).
 *
 * The policy (domus_spec_decide) is pure C, shared by domus.ko and the
 * userland unit tests (tests/unit/test_spec.c), so CPUs our emulated
 * test hosts cannot be (Intel with MDS and L1TF and FLUSH_CMD, AMD with
 * Retbleed or SRSO) are tested too.  Reading the host and acting on the
 * policy is in spec_host.c and the backends' entry code.
 */
#ifndef DOMUS_SPEC_H
#define DOMUS_SPEC_H

#ifndef __ASSEMBLY__
#include "puretypes.h"
#endif

/*
 * The entry code's flags word (also read by the assembler): the steps of
 * the exit code before its first RET (entry_regs.h GUEST_EXIT_SCRUB),
 * and VERW before the entry.
 */
#define SPEC_ASM_BIT(n)		(1 << (n))
#define SPEC_X_RSB		SPEC_ASM_BIT(0)	/* overwrite the 32 RSB entries */
#define SPEC_X_RSB_LITE		SPEC_ASM_BIT(1)	/* retire one CALL */
#define SPEC_X_IBRS		SPEC_ASM_BIT(2)	/* write the host's SPEC_CTRL again */
#define SPEC_X_UNTRAIN		SPEC_ASM_BIT(3)	/* the host's return untraining */
#define SPEC_X_UNTRAIN_ALIAS	SPEC_ASM_BIT(4)	/* SRSO alias untraining */
#define SPEC_X_IBPB		SPEC_ASM_BIT(5)	/* IBPB on every exit */
#define SPEC_X_BHB		SPEC_ASM_BIT(6)	/* clear the branch history */

#define SPEC_E_VERW_BIT		16
#define SPEC_E_VERW		SPEC_ASM_BIT(SPEC_E_VERW_BIT)	/* VERW right before VMRUN/VMLAUNCH */

#ifndef __ASSEMBLY__
#define DOMUS_SPEC_BIT(n)	(1ULL << (n))

/* The host, as its kernel sees it (struct domus_spec_host.flags). */
#define SPEC_H_BUG_L1TF		DOMUS_SPEC_BIT(0)	/* X86_BUG_L1TF */
#define SPEC_H_SKIP_L1DFL	DOMUS_SPEC_BIT(1)	/* ARCH_CAPABILITIES.SKIP_L1DFL_VMENTRY */
#define SPEC_H_FLUSH_L1D	DOMUS_SPEC_BIT(2)	/* the CPU has IA32_FLUSH_CMD */
#define SPEC_H_IBPB		DOMUS_SPEC_BIT(3)	/* the CPU has IBPB */
#define SPEC_H_USE_IBPB		DOMUS_SPEC_BIT(4)	/* spectre_v2_user is not off */
#define SPEC_H_IBPB_ON_VMEXIT	DOMUS_SPEC_BIT(5)	/* SRSO/Retbleed: IBPB on every exit */
#define SPEC_H_ENTRY_IBPB	DOMUS_SPEC_BIT(6)	/* retbleed=ibpb: IBPB on kernel entry */
#define SPEC_H_UNRET		DOMUS_SPEC_BIT(7)	/* untrained return thunk (Retbleed, SRSO) */
#define SPEC_H_SRSO_ALIAS	DOMUS_SPEC_BIT(8)	/* SRSO on Zen 3/4: untrain by aliasing */
#define SPEC_H_RETPOLINE	DOMUS_SPEC_BIT(9)	/* spectre_v2 retpolines */
#define SPEC_H_RSB_VMEXIT	DOMUS_SPEC_BIT(10)	/* fill the RSB on VM exit */
#define SPEC_H_RSB_VMEXIT_LITE	DOMUS_SPEC_BIT(11)	/* PBRSB: one CALL retired on exit */
#define SPEC_H_CLEAR_CPU_BUF	DOMUS_SPEC_BIT(12)	/* MDS/TAA/MMIO/RFDS: VERW */
#define SPEC_H_CLEAR_CPU_BUF_VM	DOMUS_SPEC_BIT(13)	/* VERW before VM entry (TSA) */
#define SPEC_H_MSR_SPEC_CTRL	DOMUS_SPEC_BIT(14)	/* the kernel writes IA32_SPEC_CTRL */
#define SPEC_H_KERNEL_IBRS	DOMUS_SPEC_BIT(15)	/* legacy IBRS in the kernel */
#define SPEC_H_BHB_VMEXIT	DOMUS_SPEC_BIT(16)	/* BHI: clear the branch history on exit */
#define SPEC_H_IBPB_TO_USER	DOMUS_SPEC_BIT(17)	/* VMSCAPE: IBPB before user after a guest */

/* The host's L1TF mitigation (l1tf=) and its VMX part (l1tf_vmx_mitigation). */
enum domus_spec_l1tf {
	SPEC_L1TF_OFF,
	SPEC_L1TF_FLUSH,		/* flush, flush,nowarn, flush,nosmt */
	SPEC_L1TF_FULL,
	SPEC_L1TF_FULL_FORCE,
};

enum domus_spec_l1tf_vmx {
	SPEC_L1TF_VMX_AUTO,		/* kvm_intel never set it: follow l1tf= */
	SPEC_L1TF_VMX_NEVER,
	SPEC_L1TF_VMX_COND,
	SPEC_L1TF_VMX_ALWAYS,
	SPEC_L1TF_VMX_EPT_DISABLED,	/* kvm_intel without EPT: follow l1tf= */
	SPEC_L1TF_VMX_NOT_REQUIRED,
};

struct domus_spec_host {
	bool vmx;			/* Intel VT-x backend, else AMD-V */
	u64 flags;			/* SPEC_H_* */
	enum domus_spec_l1tf l1tf;
	enum domus_spec_l1tf_vmx l1tf_vmx;
};

/* What to do: struct domus_spec_policy. */
enum domus_spec_l1d {
	SPEC_L1D_OFF,
	SPEC_L1D_COND,			/* after the host ran other code on the CPU */
	SPEC_L1D_ALWAYS,		/* before every entry */
};

struct domus_spec_policy {
	bool ibpb_switch;		/* IBPB when a CPU changes domain */
	enum domus_spec_l1d l1d;
	bool l1d_sw;			/* no FLUSH_CMD: flush by reading 64 KiB */
	bool verw;			/* VERW right before every entry */
	u32 exit;			/* SPEC_X_* */
	bool ibpb_to_user;		/* VMSCAPE: the host's IBPB before user */
};

void domus_spec_decide(const struct domus_spec_host *h, struct domus_spec_policy *p);

/*
 * One line, e.g. "ibpb=switch l1d=cond verw=on rsb=exit untrain=off
 * ibpb-exit=off bhb=off ibrs=off vmscape=off", into @buf (NUL-terminated,
 * truncated to @len).  Returns the length of the full line.
 */
int domus_spec_describe(const struct domus_spec_policy *p, char *buf, unsigned int len);

#endif /* !__ASSEMBLY__ */

#endif /* DOMUS_SPEC_H */
