// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPUs: the vCPU file descriptor, its run page, register access, event
 * queueing and the run loop (exit handling lives in exits.c).
 *
 * All state-changing vCPU ioctls are serialized by run_lock.  DOMUS_INTERRUPT
 * and DOMUS_NMI are the exceptions: other threads issue them while the
 * vCPU thread is inside DOMUS_RUN, so they only set a bit and kick.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/apicdef.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include "core.h"
#include "xcr0.h"
#include "apicbase.h"
#include "spec_host.h"

/* --- events and kicks ---------------------------------------------------- */

/* Take the highest pending vector, or -1. */
int domus_vcpu_next_irq(struct domus_vcpu *v)
{
	int i;

	for (i = ARRAY_SIZE(v->irq.pending) - 1; i >= 0; i--) {
		unsigned long w = READ_ONCE(v->irq.pending[i]);

		while (w) {
			int bit = __fls(w);
			int vec = i * BITS_PER_LONG + bit;

			if (test_and_clear_bit(vec, v->irq.pending))
				return vec;
			w &= ~(1UL << bit);
		}
	}
	return -1;
}

static void domus_kick_nop(void *unused)
{
}

/* Wake a halted vCPU, and force one in guest mode to exit. */
static void domus_vcpu_kick(struct domus_vcpu *v, bool wait)
{
	int me, cpu;

	wake_up_interruptible(&v->wq);
	smp_mb();
	me = get_cpu();
	cpu = READ_ONCE(v->cpu);
	if (atomic_read(&v->mode) == DOMUS_IN_GUEST && cpu >= 0 && cpu != me)
		smp_call_function_single(cpu, domus_kick_nop, NULL, wait);
	put_cpu();
}

void domus_vcpu_notify(struct domus_vcpu *v)
{
	int cpu;

	wake_up_interruptible(&v->wq);
	smp_mb();
	cpu = READ_ONCE(v->cpu);
	/* a reschedule IPI is safe with interrupts off; the exit follows */
	if (atomic_read(&v->mode) == DOMUS_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		domus_send_reschedule(cpu);
}

/* Caller holds dom->lock (the vCPU table is stable). */
void domus_vcpu_kick_all(struct domus_domain *dom, bool wait)
{
	unsigned int i;

	for (i = 0; i < DOMUS_MAX_VCPUS; i++)
		if (dom->vcpus[i])
			domus_vcpu_kick(dom->vcpus[i], wait);
}

/* --- the run ioctl --------------------------------------------------------------- */

static long domus_vcpu_run(struct domus_vcpu *v)
{
	struct domus_run *run = v->run;
	long ret;

	if (READ_ONCE(run->flags) & ~(DOMUS_RUN_EXIT_ON_HLT | DOMUS_RUN_IRQ_WINDOW))
		return -EINVAL;
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
	domus_spec_host_ran(v);		/* userspace ran */
	run->exit_reason = DOMUS_EXIT_NONE;
	ret = domus_complete_pending(v);
	if (ret > 0) {
		fpu_swap_kvm_fpstate(&v->guest_fpu, true);
		for (;;) {
			if (signal_pending(current)) {
				run->exit_reason = DOMUS_EXIT_INTR;
				ret = -EINTR;
				break;
			}
			cond_resched();
			/* the default pre_run enters at once: no call, no recheck */
			if (v->dom->pers->pre_run != domus_pers_default_pre_run) {
				ret = v->dom->pers->pre_run(v);
				if (ret <= 0)
					break;
				if (signal_pending(current))
					continue;
			}
			domus_pers_sync_events(v);
			ret = domus_arch->vcpu_run(v);
			if (ret <= 0)
				break;
		}
		fpu_swap_kvm_fpstate(&v->guest_fpu, false);
	}
	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	domus_stat_inc(v->dom, DOMUS_STAT_USER_EXITS);
	return ret < 0 ? ret : 0;
}

/* --- registers ------------------------------------------------------------------- */

void domus_gprs_get(const struct domus_vcpu *v, struct domus_regs *r)
{
	r->rax = v->regs[0];
	r->rcx = v->regs[1];
	r->rdx = v->regs[2];
	r->rbx = v->regs[3];
	r->rbp = v->regs[5];
	r->rsi = v->regs[6];
	r->rdi = v->regs[7];
	r->r8 = v->regs[8];
	r->r9 = v->regs[9];
	r->r10 = v->regs[10];
	r->r11 = v->regs[11];
	r->r12 = v->regs[12];
	r->r13 = v->regs[13];
	r->r14 = v->regs[14];
	r->r15 = v->regs[15];
}

void domus_gprs_set(struct domus_vcpu *v, const struct domus_regs *r)
{
	v->regs[0] = r->rax;
	v->regs[1] = r->rcx;
	v->regs[2] = r->rdx;
	v->regs[3] = r->rbx;
	v->regs[5] = r->rbp;
	v->regs[6] = r->rsi;
	v->regs[7] = r->rdi;
	v->regs[8] = r->r8;
	v->regs[9] = r->r9;
	v->regs[10] = r->r10;
	v->regs[11] = r->r11;
	v->regs[12] = r->r12;
	v->regs[13] = r->r13;
	v->regs[14] = r->r14;
	v->regs[15] = r->r15;
}

/* --- register ioctls ---------------------------------------------------------------- */

static long domus_ioc_run(void *ctx, void *arg, unsigned long raw)
{
	if (raw)
		return -EINVAL;
	return domus_vcpu_run(ctx);
}

static long domus_ioc_get_regs(void *ctx, void *arg, unsigned long raw)
{
	domus_arch->get_regs(ctx, arg);
	return 0;
}

static long domus_ioc_set_regs(void *ctx, void *arg, unsigned long raw)
{
	domus_arch->set_regs(ctx, arg);
	return 0;
}

static long domus_ioc_get_sregs(void *ctx, void *arg, unsigned long raw)
{
	domus_arch->get_sregs(ctx, arg);
	return 0;
}

static long domus_ioc_set_sregs(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_sregs *s = arg;
	u64 old;
	long ret;

	if (!domus_all_zero(s->reserved, sizeof(s->reserved)) ||
	    !domus_all_zero(s->gdt.reserved, sizeof(s->gdt.reserved)) ||
	    !domus_all_zero(s->idt.reserved, sizeof(s->idt.reserved)) ||
	    !domus_apicbase_valid(s->apic_base, domus_guest_phys_bits(v)))
		return -EINVAL;
	old = v->apic_base;
	ret = domus_arch->set_sregs(v, s);
	if (!ret && v->apic_base != old)
		v->dom->pers->apic_base(v, old, v->apic_base);
	return ret;
}

/*
 * The in-kernel local APIC's MSRs (x2APIC 0x800-0x8ff, TSC deadline),
 * which the personality models: a save and restore carries them.  Nonzero
 * if there is no such register (or it refuses the value).
 */
static int domus_apic_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	if (index != MSR_IA32_TSC_DEADLINE && (index < APIC_BASE_MSR || index > APIC_BASE_MSR + 0xff))
		return 1;
	return domus_virt_msr(v, index, data, write);
}

static long domus_msrs(struct domus_vcpu *v, struct domus_msrs *a, bool set)
{
	struct domus_msr_entry *e;
	u32 i;
	long ret;

	if (a->reserved0 || !domus_all_zero(a->reserved, sizeof(a->reserved)) ||
	    a->nmsrs > DOMUS_MAX_MSR_ENTRIES)
		return -EINVAL;
	if (!a->nmsrs)
		return 0;
	e = vmemdup_user(u64_to_user_ptr(a->entries), a->nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
	for (i = 0; i < a->nmsrs; i++) {
		if (e[i].reserved)
			break;
		if (set ? !domus_msr_value_ok(e[i].index, e[i].data) ||
			  (domus_arch->set_msr(v, e[i].index, e[i].data, true) &&
			   domus_apic_msr(v, e[i].index, &e[i].data, true)) :
			  (domus_arch->get_msr(v, e[i].index, &e[i].data, true) &&
			   domus_apic_msr(v, e[i].index, &e[i].data, false)))
			break;
	}
	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	ret = i;
	if (!set && copy_to_user(u64_to_user_ptr(a->entries), e, a->nmsrs * sizeof(*e)))
		ret = -EFAULT;
	kvfree(e);
	return ret;
}

static long domus_ioc_get_msrs(void *ctx, void *arg, unsigned long raw)
{
	return domus_msrs(ctx, arg, false);
}

static long domus_ioc_set_msrs(void *ctx, void *arg, unsigned long raw)
{
	return domus_msrs(ctx, arg, true);
}

static long domus_ioc_get_fpu(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_fpu *f = arg;

	memset(f, 0, sizeof(*f));
	f->xcr0 = v->xcr0;
	if (v->guest_fpu.uabi_size > sizeof(f->xsave))
		return -E2BIG;
	fpu_copy_guest_fpstate_to_uabi(&v->guest_fpu, f->xsave, sizeof(f->xsave),
				       v->guest_fpu.perm, v->pkru);
	return 0;
}

static long domus_ioc_set_fpu(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_fpu *f = arg;
	u32 pkru = v->pkru;	/* kept unless the image has the PKRU component */
	int ret;

	if (!domus_all_zero(f->reserved, sizeof(f->reserved)) ||
	    !domus_xcr0_valid(f->xcr0, domus_guest_xcr0_allowed(v)))
		return -EINVAL;
	ret = fpu_copy_uabi_to_guest_fpstate(&v->guest_fpu, f->xsave, f->xcr0, &pkru);
	if (ret)
		return ret;
	v->xcr0 = f->xcr0;
	v->pkru = pkru;
	return 0;
}

static long domus_ioc_get_events(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_events *e = arg;

	memset(e, 0, sizeof(*e));
	domus_arch->get_events(v, e);
	if (v->exc_pending) {	/* queued after the exit: delivered first */
		e->exception.pending = 1;
		e->exception.nr = v->exc_nr;
		e->exception.has_error_code = v->exc_has_err;
		e->exception.error_code = v->exc_err;
	}
	if (atomic_read(&v->irq.nmi))
		e->nmi.pending = 1;
	return 0;
}

void domus_events_reinjected(struct domus_events *e, u32 info, u32 err)
{
	if (!(info & BIT(31)))
		return;
	switch ((info >> 8) & 7) {
	case 3:		/* exception */
		e->exception.pending = 1;
		e->exception.nr = info & 0xff;
		e->exception.has_error_code = !!(info & BIT(11));
		e->exception.error_code = err;
		break;
	case 0:		/* external interrupt */
		e->interrupt.pending = 1;
		e->interrupt.nr = info & 0xff;
		break;
	case 2:		/* NMI */
		e->nmi.pending = 1;
		break;
	}
}
static long domus_ioc_set_events(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_events *e = arg;
	int ret;

	if (!domus_all_zero(e->reserved, sizeof(e->reserved)) ||
	    e->exception.pad ||
	    !domus_all_zero(e->interrupt.pad, sizeof(e->interrupt.pad)) ||
	    !domus_all_zero(e->nmi.pad, sizeof(e->nmi.pad)) ||
	    !domus_all_zero(e->pad, sizeof(e->pad)) || e->exception.nr >= 32 ||
	    (e->interrupt.pending && e->interrupt.nr < v->dom->pers->min_irq_vector))
		return -EINVAL;
	ret = domus_arch->set_events(v, e);
	if (ret)
		return ret;
	v->exc_pending = false;
	if (e->exception.pending)
		domus_queue_exception(v, e->exception.nr, e->exception.has_error_code,
				      e->exception.error_code);
	if (e->interrupt.pending)
		set_bit(e->interrupt.nr, v->irq.pending);
	atomic_set(&v->irq.nmi, !!e->nmi.pending);
	v->nmi_masked = e->nmi.masked;
	return 0;
}

static long domus_ioc_interrupt(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;
	struct domus_interrupt *irq = arg;

	if (irq->reserved || irq->vector < v->dom->pers->min_irq_vector || irq->vector > 255)
		return -EINVAL;
	set_bit(irq->vector, v->irq.pending);
	smp_mb__after_atomic();
	domus_vcpu_kick(v, false);
	return 0;
}

static long domus_ioc_nmi(void *ctx, void *arg, unsigned long raw)
{
	struct domus_vcpu *v = ctx;

	if (raw)
		return -EINVAL;
	atomic_set(&v->irq.nmi, 1);
	smp_mb__after_atomic();
	domus_vcpu_kick(v, false);
	return 0;
}

#ifdef DOMUS_BENCH
/*
 * DOMUS_BENCH_FLOOR, benchmark builds only (bench/floor-build): the
 * backend runs the floor loop in batches; between them this thread may
 * be rescheduled, and a signal ends the loop.  Like DOMUS_RUN it first
 * completes the exit userspace handled and loads the guest's FPU once.
 */
static long domus_ioc_bench_floor(void *ctx, void *arg, unsigned long raw)
{
	struct domus_bench_floor *f = arg;
	struct domus_vcpu *v = ctx;
	long ret;

	if (!f->n || f->n > DOMUS_BENCH_FLOOR_MAX || f->done || f->other || f->stopped ||
	    f->exit_code || !domus_all_zero(f->reserved, sizeof(f->reserved)))
		return -EINVAL;
	v->srcu_idx = srcu_read_lock(&v->dom->srcu);
	v->run->exit_reason = DOMUS_EXIT_NONE;
	ret = domus_complete_pending(v);
	if (ret > 0) {
		ret = 0;
		fpu_swap_kvm_fpstate(&v->guest_fpu, true);
		while (f->done < f->n && !f->stopped) {
			if (signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
			domus_arch->bench_floor(v, f);
		}
		fpu_swap_kvm_fpstate(&v->guest_fpu, false);
	}
	srcu_read_unlock(&v->dom->srcu, v->srcu_idx);
	return ret < 0 ? ret : 0;
}
#endif

static const struct domus_ioctl_desc domus_vcpu_ioctls[] = {
	DOMUS_IOCTL_ENTRY(DOMUS_RUN, domus_ioc_run),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_REGS, domus_ioc_get_regs),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_REGS, domus_ioc_set_regs),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_SREGS, domus_ioc_get_sregs),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_SREGS, domus_ioc_set_sregs),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_MSRS, domus_ioc_get_msrs),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_MSRS, domus_ioc_set_msrs),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_FPU, domus_ioc_get_fpu),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_FPU, domus_ioc_set_fpu),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_EVENTS, domus_ioc_get_events),
	DOMUS_IOCTL_ENTRY(DOMUS_SET_EVENTS, domus_ioc_set_events),
#ifdef DOMUS_BENCH
	DOMUS_IOCTL_ENTRY(DOMUS_BENCH_FLOOR, domus_ioc_bench_floor),
#endif
};

/* Safe from any thread while DOMUS_RUN is in progress. */
static const struct domus_ioctl_desc domus_vcpu_async_ioctls[] = {
	DOMUS_IOCTL_ENTRY(DOMUS_INTERRUPT, domus_ioc_interrupt),
	DOMUS_IOCTL_ENTRY(DOMUS_NMI, domus_ioc_nmi),
};

static long domus_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct domus_vcpu *v = filp->private_data;
	long ret;

	if (current->mm != v->dom->mm)
		return -EIO;
	if (cmd == DOMUS_INTERRUPT || cmd == DOMUS_NMI)
		return domus_ioctl_dispatch(domus_vcpu_async_ioctls,
					    ARRAY_SIZE(domus_vcpu_async_ioctls), v, cmd, arg);
	if (mutex_lock_killable(&v->run_lock))
		return -EINTR;
	ret = domus_ioctl_dispatch(domus_vcpu_ioctls, ARRAY_SIZE(domus_vcpu_ioctls),
				   v, cmd, arg);
	mutex_unlock(&v->run_lock);
	return ret;
}

static vm_fault_t domus_vcpu_fault(struct vm_fault *vmf)
{
	struct domus_vcpu *v = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(v->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct domus_vcpu_vm_ops = {
	.fault = domus_vcpu_fault,
};

static int domus_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct domus_vcpu *v = filp->private_data;

	/* like its ioctls: only the domain's own process (not a forked child) */
	if (current->mm != v->dom->mm)
		return -EIO;
	if (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	vma->vm_ops = &domus_vcpu_vm_ops;
	return 0;
}

static void domus_vcpu_free(struct domus_vcpu *v)
{
	v->dom->pers->vcpu_free(v);
	if (v->arch)
		domus_arch->vcpu_free(v);
	if (v->guest_fpu.fpstate)
		fpu_free_guest_fpstate(&v->guest_fpu);
	free_page((unsigned long)v->run);
	kfree(v);
	atomic64_dec(&domus_live.vcpus);
}

static int domus_vcpu_release(struct inode *inode, struct file *filp)
{
	struct domus_vcpu *v = filp->private_data;
	struct domus_domain *dom = v->dom;

	mutex_lock(&dom->lock);
	dom->vcpus[v->id] = NULL;
	dom->nvcpus--;
	mutex_unlock(&dom->lock);
	domus_vcpu_free(v);
	domus_domain_put(dom);
	return 0;
}

static const struct file_operations domus_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= domus_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= domus_vcpu_mmap,
	.release	= domus_vcpu_release,
	.llseek		= noop_llseek,
};

int domus_create_vcpu(struct domus_domain *dom, const struct domus_create_vcpu *arg)
{
	struct domus_vcpu *v;
	int ret, fd;

	if (!domus_all_zero(arg->reserved, sizeof(arg->reserved)) ||
	    arg->id >= DOMUS_MAX_VCPUS)
		return -EINVAL;
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	atomic64_inc(&domus_live.vcpus);
	v->dom = dom;
	v->id = arg->id;
	v->cpu = -1;
	v->xcr0 = XFEATURE_MASK_FP;
	v->apic_base = 0xfee00000 | MSR_IA32_APICBASE_ENABLE |
		       (v->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	mutex_init(&v->run_lock);
	init_waitqueue_head(&v->wq);
	atomic_set(&v->mode, DOMUS_OUTSIDE_GUEST);
	ret = -ENOMEM;
	v->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->run)
		goto fail;
	if (!fpu_alloc_guest_fpstate(&v->guest_fpu))
		goto fail;
	ret = domus_arch->vcpu_create(v);
	if (ret)
		goto fail;
	ret = dom->pers->vcpu_init(v);
	if (ret)
		goto fail;

	mutex_lock(&dom->lock);
	if (dom->vcpus[v->id]) {
		mutex_unlock(&dom->lock);
		ret = -EEXIST;
		goto fail;
	}
	refcount_inc(&dom->refs);
	dom->vcpus[v->id] = v;
	dom->nvcpus++;
	fd = anon_inode_getfd("domus-vcpu", &domus_vcpu_fops, v, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		dom->vcpus[v->id] = NULL;
		dom->nvcpus--;
		mutex_unlock(&dom->lock);
		domus_vcpu_free(v);
		domus_domain_put(dom);
		return fd;
	}
	mutex_unlock(&dom->lock);
	return fd;
fail:
	domus_vcpu_free(v);
	return ret;
}
