/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus personalities: a guest ABI layered on the core (today the Xen PVH
 * ABI of module/pv/), and the core services a personality may use.
 *
 * The dependency is one-way: the core names no personality.  It finds them
 * in domus_personalities[] (filled outside the core), picks one per domain
 * by the domain's creation flag, and a domain created without such a flag
 * gets domus_pers_default, whose hooks give the plain core behaviour.  A
 * personality reaches vCPU and domain internals only through the helpers
 * below (docs/pv.md, "The boundary").
 *
 * Included by core.h; needs only pointers to the core's structures.
 */
#ifndef DOMUS_PERS_H
#define DOMUS_PERS_H

#include <linux/types.h>
#include <linux/wait.h>
#include <linux/ktime.h>
#include <linux/compiler.h>

struct domus_domain;
struct domus_vcpu;
struct domus_regs;
struct domus_ioctl_desc;
struct vm_area_struct;

/*
 * Every hook is mandatory (domus_pers_init() refuses a table entry with a
 * NULL hook); a personality without an opinion points it at the matching
 * domus_pers_default_* function.
 */
struct domus_personality {
	const char *name;
	/* DOMUS_DOMAIN_* creation flag that selects it (one bit; 0: default) */
	u32 create_flag;
	/*
	 * Domain-fd ioctls the core does not own (dispatched after the
	 * core's table, with the domain as context); may be empty.
	 */
	const struct domus_ioctl_desc *ioctls;
	unsigned int nioctls;
	/*
	 * Lowest vector DOMUS_INTERRUPT and DOMUS_SET_EVENTS accept as an
	 * external interrupt: 32 with a LAPIC model (a LAPIC never delivers
	 * 0-31), 0 without one (the launcher's 8259 may sit anywhere: SVM's
	 * EVENTINJ type 0 and VMX's interruption type 0 take any vector).
	 */
	u8 min_irq_vector;
	int (*domain_init)(struct domus_domain *dom);
	/* Called for every domain, also when domain_init failed or never ran. */
	void (*domain_free)(struct domus_domain *dom);
	int (*vcpu_init)(struct domus_vcpu *v);
	/* Called for every vCPU, also when vcpu_init failed or never ran. */
	void (*vcpu_free)(struct domus_vcpu *v);
	/* Answer a CPUID leaf; false to fall through to the table. */
	bool (*cpuid)(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
	/* Adjust a CPUID answer after the core's filtering. */
	void (*cpuid_post)(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
	/*
	 * A hypercall with the guest's registers (RIP already advanced):
	 * 1 handled (r updated), 0 exit to userspace (v->run filled).
	 */
	int (*hypercall)(struct domus_vcpu *v, struct domus_regs *r);
	/* An MSR the backend does not know: 0 handled, 1 #GP. */
	int (*msr)(struct domus_vcpu *v, u32 index, u64 *data, bool write);
	/*
	 * Non-string port I/O before it goes to userspace: 1 answered in the
	 * kernel (*val: the value read; writes only consumed), 0 exit to
	 * userspace with v->run filled by the hook, -1 not handled (the
	 * usual DOMUS_EXIT_IO).  RIP is advanced past the instruction in the
	 * first two cases.
	 */
	int (*pio)(struct domus_vcpu *v, u16 port, u8 size, bool in, u32 *val);
	/*
	 * HLT by the guest, before it blocks (RIP is past the HLT): 1 block
	 * as usual, 0 exit to userspace (v->run filled).
	 */
	int (*hlt)(struct domus_vcpu *v);
	/*
	 * Before the vCPU enters the guest (vCPU thread, process context,
	 * inside the domain's SRCU read section, which it may drop while it
	 * sleeps): 1 enter, 0 exit to userspace (v->run filled), <0 errno.
	 * Used to hold an AP until its start-up IPI.
	 */
	int (*pre_run)(struct domus_vcpu *v);
	/*
	 * Before each guest entry and before HLT blocks (vCPU thread, may
	 * not sleep): queue whatever interrupt the personality owes the
	 * vCPU (e.g. state the guest changed in shared memory).
	 */
	void (*sync_events)(struct domus_vcpu *v);
	/* mmap() of the domain fd (e.g. a grant table); -ENODEV if none. */
	int (*mmap)(struct domus_domain *dom, struct vm_area_struct *vma);
	/*
	 * DOMUS_GET_DIRTY_LOG is about to read the log (dom->lock held, may
	 * not sleep in what it locks): mark with domus_dirty_mark_gfn() the
	 * guest frames the personality writes through its own mappings.
	 */
	void (*log_dirty)(struct domus_domain *dom);
	/*
	 * IA32_APIC_BASE changed from @old to @new: a guest WRMSR the core's
	 * rule (apicbase.h) allowed, or DOMUS_SET_SREGS (vCPU thread or its
	 * ioctl; may not sleep).  For an APIC model's mode switch and its
	 * xAPIC page (domus_mmio_map()).
	 */
	void (*apic_base)(struct domus_vcpu *v, u64 old, u64 new);
};

/* --- registry ------------------------------------------------------------ */

/*
 * The personalities built into the module, defined outside the core
 * (module/pv/personalities.c); each has its own create_flag.
 */
extern const struct domus_personality *const domus_personalities[];
extern const unsigned int domus_npersonalities;

/* The plain core behaviour: hypercalls exit to userspace, CPUID from the table. */
extern const struct domus_personality domus_pers_default;

/* At module load: check the table (distinct one-bit flags, no NULL hook). */
int domus_pers_init(void);
/* The personality for DOMUS_CREATE_DOMAIN @flags, or ERR_PTR(-EINVAL). */
const struct domus_personality *domus_pers_lookup(u32 flags);

/* The default hooks, for a personality that keeps the core behaviour. */
int domus_pers_default_domain_init(struct domus_domain *dom);
void domus_pers_default_domain_free(struct domus_domain *dom);
int domus_pers_default_vcpu_init(struct domus_vcpu *v);
void domus_pers_default_vcpu_free(struct domus_vcpu *v);
bool domus_pers_default_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
void domus_pers_default_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
int domus_pers_default_hypercall(struct domus_vcpu *v, struct domus_regs *r);
/*
 * The same on the vCPU's GPRs in place (RAX; RIP already advanced): what
 * the core calls for a domain whose hook is the default, without copying
 * the registers into a struct domus_regs and back.
 */
int domus_pers_default_hypercall_gprs(struct domus_vcpu *v);
int domus_pers_default_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write);
int domus_pers_default_pio(struct domus_vcpu *v, u16 port, u8 size, bool in, u32 *val);
int domus_pers_default_hlt(struct domus_vcpu *v);
int domus_pers_default_pre_run(struct domus_vcpu *v);
void domus_pers_default_sync_events(struct domus_vcpu *v);
int domus_pers_default_mmap(struct domus_domain *dom, struct vm_area_struct *vma);
void domus_pers_default_log_dirty(struct domus_domain *dom);
void domus_pers_default_apic_base(struct domus_vcpu *v, u64 old, u64 new);

/*
 * The platform MSR table (msr_policy.h) for @v's guest, by the vendor and
 * family of the CPUID it is shown: 0 done (a read's value in *@data), 1 a
 * write the table refuses (#GP), -1 not in the table.  The default msr
 * hook is this, with -1 as #GP; a personality calls it after its own MSRs.
 */
int domus_platform_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write);

/* Log a write to guest frame @gfn (from the log_dirty hook: dom->lock held). */
void domus_dirty_mark_gfn(struct domus_domain *dom, u64 gfn);

/* --- core services for personalities (pers.c) ---------------------------- */

/*
 * Queue external interrupt @vec / an NMI on @v (any context, incl.
 * hard-irq).  Then domus_vcpu_notify(v) unless @v is the calling vCPU
 * about to enter (e.g. from sync_events).
 */
void domus_vcpu_queue_irq(struct domus_vcpu *v, u8 vec);
bool domus_vcpu_irq_queued(struct domus_vcpu *v, u8 vec);
void domus_vcpu_queue_nmi(struct domus_vcpu *v);
void domus_vcpu_cancel_nmi(struct domus_vcpu *v);
bool domus_vcpu_nmi_queued(struct domus_vcpu *v);
/*
 * Make @v leave a HLT it executed even with interrupts off (an INIT):
 * the HLT ends at once, or the next one does if @v is not halted (any
 * context; then domus_vcpu_notify()).
 */
void domus_vcpu_halt_end(struct domus_vcpu *v);
/* Wake @v if it sleeps in domus_vcpu_wait*() (no IPI to a running vCPU). */
void domus_vcpu_wake(struct domus_vcpu *v);

/*
 * Drop / retake the domain's SRCU read lock that the vCPU thread holds
 * in every hook called from the run loop (to sleep, or to call a core
 * function that takes dom->lock).  Guest memory may not be touched in
 * between.
 */
void domus_vcpu_srcu_drop(struct domus_vcpu *v) __releases(&v->dom->srcu);
void domus_vcpu_srcu_retake(struct domus_vcpu *v) __acquires(&v->dom->srcu);
wait_queue_head_t *domus_vcpu_waitq(struct domus_vcpu *v);

/*
 * Sleep (interruptibly) on the vCPU's wait queue until @cond, with the
 * SRCU read lock dropped; woken by domus_vcpu_wake()/domus_vcpu_notify().
 * The second form gives up after @timeout (a ktime_t).
 */
#define domus_vcpu_wait(v, cond)						\
	do {									\
		domus_vcpu_srcu_drop(v);					\
		wait_event_interruptible(*domus_vcpu_waitq(v), cond);		\
		domus_vcpu_srcu_retake(v);					\
	} while (0)
#define domus_vcpu_wait_timeout(v, cond, timeout)				\
	do {									\
		domus_vcpu_srcu_drop(v);					\
		wait_event_interruptible_hrtimeout(*domus_vcpu_waitq(v), cond,	\
						   timeout);			\
		domus_vcpu_srcu_retake(v);					\
	} while (0)

/*
 * Describe this exit in v->run as DOMUS_EXIT_HYPERCALL: number @nr,
 * args[0..nargs-1] (the rest 0), hypercall.ret preset to @ret.
 */
void domus_vcpu_exit_hypercall(struct domus_vcpu *v, u64 nr, const u64 *args,
			       unsigned int nargs, u64 ret);
/* The data area of the run page (DOMUS_RUN_DATA_SIZE bytes). */
void *domus_vcpu_run_data(struct domus_vcpu *v);
/*
 * Complete this hypercall exit in userspace: the next DOMUS_RUN returns
 * run->hypercall.ret to the guest in RAX before it re-enters.
 */
void domus_vcpu_complete_in_user(struct domus_vcpu *v);

/*
 * In-kernel MMIO ranges (mmio.c): an NPT/EPT fault on a guest-physical
 * address in a range mapped on the faulting vCPU is decoded by the core's
 * instruction emulator (x86emu) and each access it makes goes to the
 * range's handler instead of userspace.  One access is 1, 2, 4 or 8
 * bytes at @off (the offset in the range; it may reach past the end when
 * an access straddles it).  Read handlers fill *@val (zero-extended);
 * both return 0, or -1 to fail the emulation (an emulation exit).
 * Called on the vCPU's thread inside the domain's SRCU read section; may
 * not sleep.  Only guest memory the range does not cover is reachable.
 */
struct domus_mmio_ops {
	int (*read)(struct domus_vcpu *v, u64 off, unsigned int len, u64 *val);
	int (*write)(struct domus_vcpu *v, u64 off, unsigned int len, u64 val);
};

#define DOMUS_MMIO_SLOTS	4

/*
 * Map slot @slot (< DOMUS_MMIO_SLOTS) of @v's range table at
 * [@gpa, @gpa + @size) to @ops, replacing what the slot held; @size 0
 * (or @ops NULL) empties it.  Only from @v's own context (vcpu_init, its
 * exit handlers and hooks, its ioctls): the table has no lock.  -EINVAL
 * for a bad slot, an empty or wrapping range.  Guest RAM at those
 * addresses still wins: only accesses that fault reach the table.
 */
int domus_mmio_map(struct domus_vcpu *v, unsigned int slot, u64 gpa, u64 size,
		   const struct domus_mmio_ops *ops);

#endif /* DOMUS_PERS_H */
