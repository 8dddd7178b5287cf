// SPDX-License-Identifier: GPL-2.0-only
/*
 * Personalities: the registry (which personality a new domain gets), the
 * default personality (plain core behaviour) and the core services a
 * personality uses instead of touching vCPU internals (pers.h).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/err.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include "core.h"
#include "msr_policy.h"

/* --- the default personality ------------------------------------------------ */

int domus_pers_default_domain_init(struct domus_domain *dom)
{
	return 0;
}

void domus_pers_default_domain_free(struct domus_domain *dom)
{
}

int domus_pers_default_vcpu_init(struct domus_vcpu *v)
{
	return 0;
}

void domus_pers_default_vcpu_free(struct domus_vcpu *v)
{
}

bool domus_pers_default_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	return false;
}

void domus_pers_default_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
}

/*
 * Every hypercall but the benchmark one goes to userspace, which answers in
 * hypercall.ret.  @rax: the guest's RAX, the answer goes there.
 */
static int domus_default_hypercall(struct domus_vcpu *v, u64 *rax, u64 rdi, u64 rsi,
				   u64 rdx, u64 r10, u64 r8, u64 r9)
{
	const u64 args[6] = { rdi, rsi, rdx, r10, r8, r9 };

	/* the benchmark call: only where no guest ABI owns the numbers */
	if (*rax == DOMUS_BENCH_HYPERCALL) {
		*rax = 0;
		return 1;
	}
	domus_vcpu_exit_hypercall(v, *rax, args, ARRAY_SIZE(args), 0);
	domus_vcpu_complete_in_user(v);
	return 0;
}

int domus_pers_default_hypercall(struct domus_vcpu *v, struct domus_regs *r)
{
	return domus_default_hypercall(v, &r->rax, r->rdi, r->rsi, r->rdx, r->r10,
				       r->r8, r->r9);
}

int domus_pers_default_hypercall_gprs(struct domus_vcpu *v)
{
	return domus_default_hypercall(v, &v->regs[0], v->regs[7], v->regs[6], v->regs[2],
				       v->regs[10], v->regs[8], v->regs[9]);
}

int domus_pers_default_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	int ret = domus_platform_msr(v, index, data, write);

	if (ret >= 0)
		return ret;
	pr_debug("vcpu %u: %s MSR %#x refused\n", v->id, write ? "wrmsr" : "rdmsr", index);
	return 1;
}

int domus_pers_default_pio(struct domus_vcpu *v, u16 port, u8 size, bool in, u32 *val)
{
	return -1;
}

int domus_pers_default_hlt(struct domus_vcpu *v)
{
	return 1;
}

int domus_pers_default_pre_run(struct domus_vcpu *v)
{
	return 1;
}

void domus_pers_default_sync_events(struct domus_vcpu *v)
{
}

int domus_pers_default_mmap(struct domus_domain *dom, struct vm_area_struct *vma)
{
	return -ENODEV;
}

void domus_pers_default_log_dirty(struct domus_domain *dom)
{
}

void domus_pers_default_apic_base(struct domus_vcpu *v, u64 old, u64 new)
{
}

const struct domus_personality domus_pers_default = {
	.name		= "plain",
	.min_irq_vector	= 0,		/* HVM: the launcher's 8259 picks any vector */
	.domain_init	= domus_pers_default_domain_init,
	.domain_free	= domus_pers_default_domain_free,
	.vcpu_init	= domus_pers_default_vcpu_init,
	.vcpu_free	= domus_pers_default_vcpu_free,
	.cpuid		= domus_pers_default_cpuid,
	.cpuid_post	= domus_pers_default_cpuid_post,
	.hypercall	= domus_pers_default_hypercall,
	.msr		= domus_pers_default_msr,
	.pio		= domus_pers_default_pio,
	.hlt		= domus_pers_default_hlt,
	.pre_run	= domus_pers_default_pre_run,
	.sync_events	= domus_pers_default_sync_events,
	.mmap		= domus_pers_default_mmap,
	.log_dirty	= domus_pers_default_log_dirty,
	.apic_base	= domus_pers_default_apic_base,
};

/* --- registry ------------------------------------------------------------------ */

static bool domus_pers_complete(const struct domus_personality *p)
{
	return p->name && p->domain_init && p->domain_free && p->vcpu_init &&
	       p->vcpu_free && p->cpuid && p->cpuid_post && p->hypercall &&
	       p->msr && p->pio && p->hlt && p->pre_run && p->sync_events &&
	       p->mmap && p->log_dirty && p->apic_base && (p->ioctls || !p->nioctls);
}

int domus_pers_init(void)
{
	u32 seen = 0;
	unsigned int i;

	for (i = 0; i < domus_npersonalities; i++) {
		const struct domus_personality *p = domus_personalities[i];

		if (!p || !domus_pers_complete(p) || hweight32(p->create_flag) != 1 ||
		    (seen & p->create_flag)) {
			pr_err("cannot load: personality %u (%s) is incomplete or reuses a creation flag\n",
			       i, p && p->name ? p->name : "?");
			return -EINVAL;
		}
		seen |= p->create_flag;
	}
	return 0;
}

const struct domus_personality *domus_pers_lookup(u32 flags)
{
	unsigned int i;

	if (!flags)
		return &domus_pers_default;
	for (i = 0; i < domus_npersonalities; i++)
		if (domus_personalities[i]->create_flag == flags)
			return domus_personalities[i];
	return ERR_PTR(-EINVAL);	/* unknown flag, or two personalities */
}

/* --- core services --------------------------------------------------------------- */

int domus_platform_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	struct domus_msr_cpu c;
	u32 l0[4], l1[4];

	domus_cpuid_view(v, 0, 0, l0);
	domus_cpuid_view(v, 1, 0, l1);
	domus_msr_cpu_decode(l0, l1, &c);
	return domus_msr_policy(&c, index, data, write);
}

void domus_vcpu_queue_irq(struct domus_vcpu *v, u8 vec)
{
	if (!test_bit(vec, v->irq.pending))
		set_bit(vec, v->irq.pending);
	smp_mb__after_atomic();
}

bool domus_vcpu_irq_queued(struct domus_vcpu *v, u8 vec)
{
	return test_bit(vec, v->irq.pending);
}

void domus_vcpu_queue_nmi(struct domus_vcpu *v)
{
	atomic_set(&v->irq.nmi, 1);
	smp_mb__after_atomic();
}

void domus_vcpu_cancel_nmi(struct domus_vcpu *v)
{
	atomic_set(&v->irq.nmi, 0);
}

bool domus_vcpu_nmi_queued(struct domus_vcpu *v)
{
	return atomic_read(&v->irq.nmi);
}

void domus_vcpu_halt_end(struct domus_vcpu *v)
{
	atomic_set(&v->halt_end, 1);
}

void domus_vcpu_wake(struct domus_vcpu *v)
{
	wake_up_interruptible(&v->wq);
}

wait_queue_head_t *domus_vcpu_waitq(struct domus_vcpu *v)
{
	return &v->wq;
}

void domus_vcpu_srcu_drop(struct domus_vcpu *v) __releases(&v->dom->srcu)
{
	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
}

void domus_vcpu_srcu_retake(struct domus_vcpu *v) __acquires(&v->dom->srcu)
{
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
}

void domus_vcpu_exit_hypercall(struct domus_vcpu *v, u64 nr, const u64 *args,
			       unsigned int nargs, u64 ret)
{
	struct domus_run *run = v->run;
	unsigned int i;

	run->exit_reason = DOMUS_EXIT_HYPERCALL;
	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->hypercall.nr = nr;
	for (i = 0; i < nargs && i < ARRAY_SIZE(run->hypercall.args); i++)
		run->hypercall.args[i] = args[i];
	run->hypercall.ret = ret;
}

void *domus_vcpu_run_data(struct domus_vcpu *v)
{
	return (u8 *)v->run + DOMUS_RUN_DATA_OFFSET;
}

void domus_vcpu_complete_in_user(struct domus_vcpu *v)
{
	v->pend = DOMUS_PEND_HYPERCALL;
}
