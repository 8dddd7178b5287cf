/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The transient-execution hooks of the run loop (spec.h has the policy,
 * spec_host.c reads the host and reports): domus_spec_enter() right
 * before a backend's entry code, which takes the flags word it returns,
 * and domus_spec_exit() after the exit.  Both with interrupts off.
 */
#ifndef DOMUS_SPEC_HOST_H
#define DOMUS_SPEC_HOST_H

#include <linux/percpu.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include "core.h"
#include "spec.h"
#include "compat.h"

extern struct domus_spec_policy domus_spec;
extern u32 domus_spec_entry_flags;
DECLARE_PER_CPU(u64, domus_spec_last_domain);
extern atomic64_t domus_spec_ibpbs;
extern const u16 domus_verw_sel;	/* VERW's operand in the entry code */

void domus_spec_l1d_flush(struct domus_vcpu *v);
int domus_spec_init(bool vmx);
void domus_spec_report(void);
void domus_spec_cleanup(void);

/* The host ran code on behalf of @v (L1TF's conditional flush). */
static __always_inline void domus_spec_host_ran(struct domus_vcpu *v)
{
	v->spec_l1d = true;
}

static __always_inline u32 domus_spec_enter(struct domus_vcpu *v)
{
	/* another domain's vCPU may have trained this CPU's predictors */
	if (domus_spec.ibpb_switch &&
	    unlikely(this_cpu_read(domus_spec_last_domain) != v->dom->spec_id)) {
		this_cpu_write(domus_spec_last_domain, v->dom->spec_id);
		native_wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		atomic64_inc(&domus_spec_ibpbs);
	}
	if (unlikely(domus_spec.l1d != SPEC_L1D_OFF))
		domus_spec_l1d_flush(v);
	return domus_spec_entry_flags;
}

static __always_inline void domus_spec_exit(void)
{
	if (unlikely(domus_spec.ibpb_to_user))
		domus_host_ibpb_to_user();
}

#endif /* DOMUS_SPEC_HOST_H */
