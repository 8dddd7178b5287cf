/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * domus core: what the generic code and the arch backends share.
 */
#ifndef DOMUS_CORE_H
#define DOMUS_CORE_H

#include <linux/types.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/refcount.h>
#include <linux/mm_types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include "../uapi/domus.h"
#include "compat.h"
#include "x86emu.h"
#include "pers.h"		/* DOMUS_MMIO_SLOTS; included again below */

#define DOMUS_MAX_VCPUS		64
#define DOMUS_MAX_SLOTS		32
/* Largest single slot and guest-physical limit (48-bit nested paging). */
#define DOMUS_MAX_SLOT_BYTES	(64ULL << 30)
#define DOMUS_GPA_LIMIT		(1ULL << 48)

struct domus_vcpu;
struct domus_domain;

/*
 * The firmware's virtualization-enable MSR as the probe sees it: the
 * CPU's, or in the test build a value from a module parameter (main.c).
 */
#ifdef DOMUS_TEST_FW
int domus_fw_msr(u32 msr, u64 *val);
#else
#define domus_fw_msr(msr, p)	domus_rdmsr_safe(msr, p)
#endif

/* Exception vectors (SDM vol. 3, table 6-1) */
#define DOMUS_DB_VECTOR		1
#define DOMUS_NMI_VECTOR	2
#define DOMUS_UD_VECTOR		6
#define DOMUS_GP_VECTOR		13
#define DOMUS_PF_VECTOR		14
#define DOMUS_AC_VECTOR		17
#define DOMUS_MC_VECTOR		18

/* DR7.GD: MOV DR raises #DB; cleared when the #DB handler is entered */
#define DOMUS_DR7_GD		(1ULL << 13)

/* Module-wide counters of live objects (DOMUS_GET_GLOBAL_STATS). */
struct domus_counters {
	atomic64_t domains;
	atomic64_t vcpus;
	atomic64_t pinned_pages;
	atomic64_t npt_pages;
	atomic_t hw_cpus;
};
extern struct domus_counters domus_live;

/* A memory slot: guest-physical range backed by pinned user pages. */
struct domus_slot {
	u32 id;
	u32 flags;		/* DOMUS_SLOT_* */
	u64 gfn;		/* first guest frame */
	u64 npages;
	unsigned long uaddr;
	/*
	 * The pinned page of each frame; NULL for a frame the guest gave back
	 * (reserve.c), changed under dom->lock, read under SRCU (READ_ONCE).
	 */
	struct page **pages;
	u64 absent;		/* frames given back (NULL in pages[]) */
	/*
	 * Dirty log (dirty.c): a bit per frame while logging, else NULL;
	 * set under dom->lock, read under SRCU or dom->lock.
	 */
	unsigned long *dirty;
};

/* Immutable snapshot of the slots, replaced as a whole under SRCU. */
struct domus_memmap {
	unsigned int nslots;
	struct domus_slot *slots[DOMUS_MAX_SLOTS];
};

/*
 * A kernel page mapped into the guest at a frame outside every slot (a
 * personality's grant frames).  gfn is read without locks (WRITE_ONCE
 * under dom->lock); the core holds a page reference while the entry has
 * a page.
 */
#define DOMUS_MAX_SPECIAL	64
#define DOMUS_GFN_NONE		(~0ULL)
struct domus_special_page {
	u64 gfn;		/* DOMUS_GFN_NONE: not mapped */
	struct page *page;
};

/* Nested (guest-physical) page table; PTE format chosen by the backend. */
struct domus_gpt {
	u64 *root;		/* changed only under domain->lock */
	u64 pages;		/* table pages in use, retired ones included */
	struct list_head retired;	/* emptied tables, freed after a flush */
};

struct domus_domain {
	refcount_t refs;
	const struct domus_personality *pers;	/* never NULL (pers.h) */
	void *pers_data;		/* the personality's domain state */
	struct mutex lock;		/* slots, vCPU creation, cpuid */
	unsigned int dirty_slots;	/* slots being logged (dirty.c) */
	struct srcu_struct srcu;	/* protects memmap for readers */
	struct domus_memmap __rcu *memmap;
	struct domus_slot *slot_by_id[DOMUS_MAX_SLOTS];
	struct domus_gpt gpt;
	struct domus_special_page special[DOMUS_MAX_SPECIAL];	/* under lock */
	atomic64_t tlb_gen;		/* bumped when mappings are removed */
	struct domus_vcpu *vcpus[DOMUS_MAX_VCPUS];
	unsigned int nvcpus;
	struct domus_cpuid_entry *cpuid;
	unsigned int ncpuid;
	atomic64_t stat[DOMUS_STAT_MAX];
	u64 pinned_pages;		/* slot pages, charged to mm's locked_vm */
	u64 max_pages;			/* cap for repopulating (reserve.c), 0 none */
	struct mm_struct *mm;		/* creator's address space (mmgrab) */
	bool hw_held;			/* holds a domus_hw_get() reference */
	u64 spec_id;			/* unique for the module's life (spec_host.h) */
};

/* Events queued for a vCPU by other threads (lock-free bitmap). */
struct domus_irq_queue {
	unsigned long pending[256 / BITS_PER_LONG];
	atomic_t nmi;
};

enum domus_vcpu_mode { DOMUS_OUTSIDE_GUEST, DOMUS_IN_GUEST };

struct domus_vcpu {
	struct domus_domain *dom;
	u32 id;
	struct mutex run_lock;		/* one ioctl at a time touches state */
	struct domus_run *run;		/* the mmap()ed run page */
	wait_queue_head_t wq;		/* HLT blocking */
	struct domus_irq_queue irq;
	int cpu;			/* CPU it last ran on, -1 never */
	atomic_t mode;			/* enum domus_vcpu_mode */
	atomic_t halt_end;		/* leave a HLT even with IF=0 (INIT; pers.h) */
	u64 tlb_gen;			/* domain tlb_gen last flushed for */
	struct fpu_guest guest_fpu;
	u64 xcr0;
	u32 pkru;			/* the guest's, while the host's is loaded (run.h) */
	/*
	 * GPRs by hardware number.  RSP is the backend's (VMCB/VMCS); every
	 * other register, RAX included, is here while the core handles an
	 * exit.
	 */
	u64 regs[16];
	/*
	 * Length of the instruction that exited as the CPU reported it (VMX
	 * exit length, AMD-V NRIP save), or 0 when it did not: set by the
	 * backend after every exit (domus_exit_len() reads it).
	 */
	u8 exit_len;
	/* guest state the core keeps for every backend */
	u64 tsc_aux;			/* IA32_TSC_AUX */
	/*
	 * Guest TSC - host TSC, as the backend last programmed it (reset,
	 * set_tsc_offset, a WRMSR to IA32_TSC or IA32_TSC_ADJUST by the guest
	 * or DOMUS_SET_MSRS): a personality publishing a TSC-based clock reads
	 * it to notice the guest moving its TSC.
	 */
	u64 tsc_offset;
	u64 apic_base;			/* IA32_APIC_BASE */
	u64 dr[4];			/* DR0-3 while the guest owns them */
	bool dr_owned;			/* guest uses debug registers directly */
	/* an exception the next entry injects (set by domus_queue_exception) */
	bool exc_pending;
	bool exc_has_err;
	u8 exc_nr;
	u32 exc_err;
	/* in-kernel MMIO ranges of this vCPU (mmio.c) */
	struct domus_mmio_range {
		u64 gpa, size;
		const struct domus_mmio_ops *ops;
	} mmio[DOMUS_MMIO_SLOTS];
	/* pending MMIO emulation, completed at the next run */
	bool mmio_pending;
	u64 mmio_gpa;
	struct x86emu_ctxt emu;
	struct x86emu_regs emu_regs;
	struct domus_sregs emu_sregs;
	/* a userspace answer the next DOMUS_RUN must deliver first */
	enum { DOMUS_PEND_NONE, DOMUS_PEND_PIO_IN, DOMUS_PEND_INS,
	       DOMUS_PEND_HYPERCALL } pend;
	u8 pio_size;
	u8 pio_addr_size;
	u8 pio_mode;			/* enum x86emu_mode at the INS exit */
	bool pio_rep;
	u32 pio_count;			/* INS elements asked of userspace */
	u64 pio_rip;			/* the INS itself */
	u64 pio_next_rip;
	int srcu_idx;
	bool hlt_if;			/* RFLAGS.IF when the guest halted */
	bool nmi_masked;		/* inside the guest's NMI handler */
	bool spec_l1d;			/* the host ran for it since the last entry */
	unsigned long spec_switches;	/* its thread's context switches then */
	void *arch;			/* backend state */
	void *pers_data;		/* personality state */
};

/* What the backend's probe found; copied into DOMUS_GET_CAPS answers. */
struct domus_hw {
	u32 vendor;		/* enum domus_vendor */
	u32 paging;		/* enum domus_paging */
	u64 features;		/* DOMUS_FEAT_* */
	u32 asids;
};

/*
 * One backend per vendor.  probe() runs at module load: it checks that
 * the CPU can run domus and fills @hw, or logs one line naming the reason
 * and the fix and returns a negative errno.  It must not switch
 * virtualization on.
 */
/* Guest register state exchanged between the core and a backend. */
struct domus_arch_ops {
	const char *name;
	int (*probe)(struct domus_hw *hw);

	/* per CPU, called with interrupts disabled */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	int (*hw_setup)(void);		/* once, when switching on */
	void (*hw_teardown)(void);

	u8 hypercall_insn[3];		/* VMMCALL / VMCALL encoding */

	/* nested page-table entry bits */
	u64 (*gpt_leaf_bits)(bool writable, bool large);
	u64 gpt_table_bits;

	int (*vcpu_create)(struct domus_vcpu *v);
	void (*vcpu_free)(struct domus_vcpu *v);
	/*
	 * Enter the guest until something needs the core: returns 1 to
	 * continue, 0 to return to userspace with v->run->exit_reason set,
	 * or a negative errno.
	 */
	int (*vcpu_run)(struct domus_vcpu *v);
	void (*get_regs)(struct domus_vcpu *v, struct domus_regs *r);
	void (*set_regs)(struct domus_vcpu *v, const struct domus_regs *r);
	void (*get_sregs)(struct domus_vcpu *v, struct domus_sregs *s);
	int (*set_sregs)(struct domus_vcpu *v, const struct domus_sregs *s);
	int (*get_msr)(struct domus_vcpu *v, u32 index, u64 *data, bool host);
	int (*set_msr)(struct domus_vcpu *v, u32 index, u64 data, bool host);
	/*
	 * Guest TSC = host TSC + @offset, exactly.  (Setting IA32_TSC to a
	 * value reads the host TSC a second time: a delay between the two
	 * reads, such as an emulator that deschedules the CPU, would shift
	 * the guest's TSC away from what a personality publishes.)
	 */
	void (*set_tsc_offset)(struct domus_vcpu *v, u64 offset);
	/*
	 * The backend's part of DOMUS_GET/SET_EVENTS: the event the last exit
	 * cut short, NMI masking (get) and the interrupt shadow; the core
	 * handles the queued exception, interrupts and NMI.
	 */
	void (*get_events)(struct domus_vcpu *v, struct domus_events *e);
	int (*set_events)(struct domus_vcpu *v, const struct domus_events *e);
	u64 (*get_cr4)(struct domus_vcpu *v);
	/* CPL and RFLAGS of the guest at the last exit. */
	int (*get_cpl)(struct domus_vcpu *v);
	u64 (*get_rflags)(struct domus_vcpu *v);
	/* Step RIP over @len bytes; ends an STI/MOV SS interrupt shadow. */
	void (*skip_insn)(struct domus_vcpu *v, unsigned int len);
#ifdef DOMUS_BENCH
	/* DOMUS_BENCH_FLOOR (uapi/domus.h): one batch of the floor loop */
	void (*bench_floor)(struct domus_vcpu *v, struct domus_bench_floor *f);
#endif
};

/*
 * The functions of a backend, named <prefix>_<op> in every backend: the
 * part of its struct domus_arch_ops initializer that is the same shape.
 */
#define DOMUS_ARCH_OPS_NAMED(p)						\
	.probe = p##_probe, .cpu_enable = p##_cpu_enable,		\
	.cpu_disable = p##_cpu_disable, .hw_setup = p##_hw_setup,	\
	.hw_teardown = p##_hw_teardown,					\
	.gpt_leaf_bits = p##_gpt_leaf_bits,				\
	.vcpu_create = p##_vcpu_create, .vcpu_free = p##_vcpu_free,	\
	.vcpu_run = p##_vcpu_run,					\
	.get_regs = p##_get_regs, .set_regs = p##_set_regs,		\
	.get_sregs = p##_get_sregs, .set_sregs = p##_set_sregs,		\
	.get_msr = p##_get_msr, .set_msr = p##_set_msr,			\
	.set_tsc_offset = p##_set_tsc_offset,				\
	.get_events = p##_get_events, .set_events = p##_set_events,	\
	.get_cr4 = p##_get_cr4, .get_cpl = p##_get_cpl,			\
	.get_rflags = p##_get_rflags, .skip_insn = p##_skip_insn

extern const struct domus_arch_ops domus_svm_ops;
extern const struct domus_arch_ops domus_vmx_ops;

extern const struct domus_arch_ops *domus_arch;
extern struct domus_hw domus_hw;

/*
 * Table-driven ioctl dispatch (ioctl.c): domus_ioctl_dispatch() is
 * domus_ioctl_find() in one table, then domus_ioctl_call(); a file with
 * more than one table (the domain fd) finds in each in turn.
 */
typedef long (*domus_ioctl_fn)(void *ctx, void *arg, unsigned long raw);

struct domus_ioctl_desc {
	unsigned int cmd;
	domus_ioctl_fn fn;
};

#define DOMUS_IOCTL_ENTRY(_cmd, _fn) [_IOC_NR(_cmd)] = { .cmd = (_cmd), .fn = (_fn) }

long domus_ioctl_dispatch(const struct domus_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg);
/* The entry of @table matching the whole of @cmd, or NULL. */
const struct domus_ioctl_desc *domus_ioctl_find(const struct domus_ioctl_desc *table,
						size_t n, unsigned int cmd);
long domus_ioctl_call(const struct domus_ioctl_desc *d, void *ctx,
		      unsigned int cmd, unsigned long arg);

/* True when every byte of @p is zero (reserved-field checks). */
bool domus_all_zero(const void *p, size_t len);

/* hw.c: virtualization switched on while any domain exists */
int domus_hw_get(void);
void domus_hw_put(void);
void domus_hw_init(void);	/* module load: the kvm module notifier */
void domus_hw_exit(void);

/* domain.c */
int domus_create_domain(const struct domus_create_domain *arg);
void domus_domain_put(struct domus_domain *dom);
static inline void domus_stat_inc(struct domus_domain *dom, enum domus_stat s)
{
	atomic64_inc(&dom->stat[s]);
}
/* Read/write guest-physical memory through the slots (caller holds srcu). */
int domus_read_gpa(struct domus_domain *dom, u64 gpa, void *buf, unsigned int len);
int domus_write_gpa(struct domus_domain *dom, u64 gpa, const void *buf, unsigned int len);
/*
 * The page backing guest frame @gfn of a writable slot, with a reference
 * the caller drops with put_page(); NULL if none (caller holds srcu).
 */
struct page *domus_gfn_get_page(struct domus_domain *dom, u64 gfn);
/*
 * Map kernel page @page at guest frame @gfn, outside every slot, as entry
 * @idx of the domain's special pages (moving it if @idx was mapped
 * elsewhere; the core takes its own page reference), or unmap entry @idx.
 * Both take dom->lock: the caller must not be inside the domain's SRCU
 * read section.  Errors: -EINVAL (idx or gfn out of range), -EEXIST (gfn
 * in a slot or used by another entry), -ENOMEM.
 */
int domus_special_map(struct domus_domain *dom, unsigned int idx, struct page *page, u64 gfn);
void domus_special_unmap(struct domus_domain *dom, unsigned int idx);
/* The frame entry @idx is mapped at (lockless), DOMUS_GFN_NONE if none. */
u64 domus_special_gfn(struct domus_domain *dom, unsigned int idx);
/* Charge / uncharge @npages pinned pages (locked_vm, max_guest_pages). */
int domus_mem_charge(struct domus_domain *dom, u64 npages);
void domus_mem_uncharge(struct domus_domain *dom, u64 npages);
/* The slot holding @gfn, or NULL (dom->lock held, no SRCU needed). */
struct domus_slot *domus_slot_of_locked(struct domus_domain *dom, u64 gfn);
/* Is @gpa RAM (in a slot, or a special page)?  Sets *readonly. */
bool domus_gpa_is_ram(struct domus_domain *dom, u64 gpa, bool *readonly);
/* The CPUID table entry for @function/@index, or NULL (inline: every CPUID exit). */
static inline const struct domus_cpuid_entry *domus_cpuid_find(struct domus_domain *dom,
							       u32 function, u32 index)
{
	unsigned int i;

	for (i = 0; i < dom->ncpuid; i++) {
		const struct domus_cpuid_entry *e = &dom->cpuid[i];

		if (e->function == function &&
		    (!(e->flags & DOMUS_CPUID_INDEXED) || e->index == index))
			return e;
	}
	return NULL;
}

/*
 * reserve.c: frames of a slot given back by the guest and taken again
 * (ballooning).  @n extents of 2^@order frames at @gfns; both return the
 * extents done (0 or more), stopping at the first that cannot be done;
 * -EINVAL (order, count), -EPERM (not the creator's thread), -ENOMEM.  The caller is a thread of the domain's process,
 * outside the domain's SRCU read section; both take dom->lock.
 */
#define DOMUS_RESERVE_MAX_ORDER	9
#define DOMUS_RESERVE_MAX_PAGES	512	/* frames per call */
long domus_mem_release(struct domus_domain *dom, const u64 *gfns, unsigned int n,
		       unsigned int order);
long domus_mem_populate(struct domus_domain *dom, const u64 *gfns, unsigned int n,
			unsigned int order);
/*
 * After leaves were removed (dom->lock held): every vCPU leaves guest mode
 * and flushes before it re-enters; then the tables left empty are freed.
 */
void domus_dom_flush(struct domus_domain *dom);

/* gpt.c: nested page tables */
int domus_gpt_init(struct domus_gpt *gpt);
void domus_gpt_free(struct domus_gpt *gpt);
int domus_gpt_map_slot(struct domus_gpt *gpt, struct domus_slot *slot);
void domus_gpt_unmap_range(struct domus_gpt *gpt, u64 gfn, u64 npages);
void domus_gpt_reap(struct domus_gpt *gpt);
int domus_gpt_map_page(struct domus_gpt *gpt, u64 gfn, struct page *page, bool writable);
int domus_gpt_split(struct domus_gpt *gpt, u64 gfn, bool writable);
int domus_gpt_protect(struct domus_gpt *gpt, u64 gfn, bool writable);

/* dirty.c: dirty-page logging (docs/abi.md) */
long domus_dom_set_dirty_log(void *ctx, void *arg, unsigned long raw);
long domus_dom_get_dirty_log(void *ctx, void *arg, unsigned long raw);
/* An NPF at @gpa: true if it is RAM the access may use (retry the access). */
bool domus_ram_fault(struct domus_vcpu *v, u64 gpa, bool write);
/* Log a write to @gfn of slot @s made outside the guest (SRCU or dom->lock). */
void domus_dirty_mark(struct domus_slot *s, u64 gfn);

/* vcpu.c */
int domus_create_vcpu(struct domus_domain *dom, const struct domus_create_vcpu *arg);
void domus_vcpu_kick_all(struct domus_domain *dom, bool wait);
/*
 * After queueing an interrupt in v->irq from any context (incl. hard-irq
 * and with interrupts off): wake a halted vCPU, make a running one exit.
 */
void domus_vcpu_notify(struct domus_vcpu *v);
/* Called by backends: */
int domus_emulate_mmio(struct domus_vcpu *v, u64 gpa, bool write,
		       const u8 *insn, unsigned int insn_len);
int domus_handle_hlt(struct domus_vcpu *v);
/* Report an instruction the core cannot emulate (exit to userspace). */
int domus_emulation_failed(struct domus_vcpu *v, u64 gpa, const u8 *insn,
			   unsigned int len);
void domus_exits_init(void);
/* Deliver userspace's answer to the last exit; 1 to enter the guest. */
int domus_complete_pending(struct domus_vcpu *v);
int domus_handle_pio(struct domus_vcpu *v, u16 port, u8 size, bool in,
		     bool string, bool rep, u8 addr_size, int seg, u64 next_rip);
int domus_handle_hypercall(struct domus_vcpu *v);
void domus_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
/* What the guest sees for CPUID @fn/@idx, without counting an exit. */
void domus_cpuid_view(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);
/* The CR4 bits the host CPU supports (from its CPUID; cr4.h). */
extern u64 domus_host_cr4;
bool domus_pat_valid(u64 pat);
/* XCR0 bits the host allows a guest (x87|SSE when there is no XSAVE). */
u64 domus_host_xcr0(void);
int domus_copy_guest_virt(struct domus_vcpu *v, u64 gva, void *buf,
			  unsigned int len, bool write);
int domus_vcpu_cpl(struct domus_vcpu *v);
/* The backend's hypercall instruction (3 bytes: VMMCALL or VMCALL). */
void domus_hypercall_insn(u8 *buf);
/* An MSR the backend does not handle: 0 handled, 1 raise #GP. */
int domus_virt_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write);
int domus_vcpu_next_irq(struct domus_vcpu *v);

/*
 * Any interrupt queued (inline, and the words ORed rather than tested
 * one by one: checked at every entry).
 */
static inline bool domus_vcpu_has_irq(struct domus_vcpu *v)
{
	unsigned long any = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v->irq.pending); i++)
		any |= READ_ONCE(v->irq.pending[i]);
	return any;
}
/* Fetch up to 15 instruction bytes at CS:RIP; returns the count or -errno. */
int domus_fetch_insn(struct domus_vcpu *v, u8 *buf);
/* String I/O's address size (bytes) and segment from the bytes at RIP (exits.c). */
void domus_io_decode(struct domus_vcpu *v, u8 *asz, int *seg);
/* Guest-virtual (linear) to guest-physical with the vCPU's paging state. */
int domus_gva_to_gpa(struct domus_vcpu *v, const struct domus_sregs *s,
		     u64 gva, unsigned int access, u64 *gpa, u32 *pf_error);

/*
 * DOMUS_GET_EVENTS: report in @e the event the last exit cut short.
 * @info is in the layout AMD-V (EVENTINJ / EXITINTINFO) and VT-x
 * (interruption information) share: vector 7:0, type 10:8 (0 external
 * interrupt, 2 NMI, 3 exception), error code valid 11, valid 31.
 * Software events (VT-x types 4-6, AMD-V INT n/INT3/INTO) are not
 * reported: RIP still points at their instruction, so after
 * DOMUS_SET_EVENTS the guest executes it again.
 */
void domus_events_reinjected(struct domus_events *e, u32 info, u32 err);

/* What the next entry injects (domus_choose_event). */
struct domus_inject {
	int kind;		/* DOMUS_EV_* */
	u8 vector;
	bool has_err;
	u32 err;
	bool irq_window;	/* open the interrupt window */
	bool nmi_pending;	/* an NMI waits: watch for NMI unblocking */
};
enum { DOMUS_EV_NONE, DOMUS_EV_REINJECT, DOMUS_EV_EXCEPTION, DOMUS_EV_INTERRUPT,
       DOMUS_EV_NMI };
/* The event policy of every backend: domus_choose_event() in run.h. */

/* RFLAGS bits a guest may hold (bit 1 always set) */
#define DOMUS_RFLAGS_VALID	0x3f7fd7ULL
/* The GPRs kept in v->regs (all but RSP) to and from @r. */
void domus_gprs_get(const struct domus_vcpu *v, struct domus_regs *r);
void domus_gprs_set(struct domus_vcpu *v, const struct domus_regs *r);

/* exits_cpu.c: exits every backend has, handled the same way */
void domus_queue_exception(struct domus_vcpu *v, u8 nr, bool has_err, u32 err);
int domus_exit_len_decode(struct domus_vcpu *v, const u8 *op, unsigned int olen);
/*
 * Length of the instruction that exited, whose opcode bytes are @op: as
 * the CPU reported it (inline: every instruction exit asks), else decoded
 * from guest memory.  0 after filling a DOMUS_EXIT_EMULATION exit.
 */
static inline int domus_exit_len(struct domus_vcpu *v, const u8 *op, unsigned int olen)
{
	if (likely(v->exit_len))
		return v->exit_len;
	return domus_exit_len_decode(v, op, olen);
}
int domus_exit_cpuid(struct domus_vcpu *v);
int domus_exit_msr(struct domus_vcpu *v, bool write);
int domus_exit_xsetbv(struct domus_vcpu *v);
int domus_exit_hlt(struct domus_vcpu *v);
int domus_exit_invd(struct domus_vcpu *v);
int domus_exit_ud(struct domus_vcpu *v);
int domus_exit_continue(struct domus_vcpu *v);
int domus_exit_shutdown(struct domus_vcpu *v);
int domus_exit_rdpmc(struct domus_vcpu *v);
/* May an MSR hold @data (canonical bases, SYSCALL_MASK's upper half)? */
bool domus_msr_value_ok(u32 index, u64 data);
int domus_exit_wbinvd(struct domus_vcpu *v);
/* ICEBP: step over it and deliver #DB (a trap). */
int domus_exit_icebp(struct domus_vcpu *v);
/* Length of the software event's instruction at RIP (event.h), 0 if not there. */
int domus_soft_event_insn_len(struct domus_vcpu *v, u8 vector, bool soft_int);
int domus_exit_machine_check(struct domus_vcpu *v);
void domus_host_machine_check(void);
/*
 * MOV to CR4: the new value and the instruction length.  @gpr is the
 * source register if the CPU reported it, -1 to decode the instruction
 * from guest memory.  Returns 1, or 0 after filling an emulation exit.
 */
int domus_mov_to_cr4_source(struct domus_vcpu *v, int gpr, u64 *val, unsigned int *len);
/* May the guest's MOV to CR4 change @old to @val (cr4.h rules, its CPUID)? */
bool domus_guest_cr4_write_ok(struct domus_vcpu *v, u64 old, u64 val, bool lma, u64 cr3);
/*
 * Does an emulated CR4 write from @old to @val have to flush the guest's
 * TLB, as the CPU's own MOV to CR4 would have?
 */
static inline bool domus_cr4_write_flushes(u64 old, u64 val)
{
	return (old ^ val) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PCIDE |
			      X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_LA57 | X86_CR4_PKE);
}
/*
 * At every exit, for userspace: run->if_flag and run->ready_for_interrupt
 * from RFLAGS.IF and the interruptibility at the exit (@if_set, @open)
 * and the interrupts queued.
 */
static inline void domus_exit_if_state(struct domus_vcpu *v, bool if_set, bool open)
{
	v->run->if_flag = if_set;
	v->run->ready_for_interrupt = open && !domus_vcpu_has_irq(v);
}
int domus_exit_unsupported(struct domus_vcpu *v, u64 hw_reason, u64 hw_info);
/* XCR0 values the vCPU may hold: the host's XCR0 within the guest's CPUID. */
u64 domus_guest_xcr0_allowed(struct domus_vcpu *v);
/* MSRs the core keeps (TSC_AUX, APIC_BASE, microcode revision): 0, or 1 not one. */
/*
 * The core's MSRs; @host: a DOMUS_SET_MSRS/GET_MSRS access (IA32_APIC_BASE
 * then takes any valid state, not only the transitions a guest may make).
 */
int domus_core_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write, bool host);
/* The guest's MAXPHYADDR (its CPUID 0x80000008, else 36). */
unsigned int domus_guest_phys_bits(struct domus_vcpu *v);
/*
 * One access of an emulated instruction to @gpa: to @v's in-kernel range
 * that holds it (1, @data read or written), or 0 if none does (exit to
 * userspace); -1 the handler refused (mmio.c).
 */
int domus_mmio_dispatch(struct domus_vcpu *v, u64 gpa, unsigned int len, bool write, u8 *data);
int domus_exit_intr(struct domus_vcpu *v);
/* The interrupt window exit (@open: the guest takes an interrupt now). */
int domus_exit_irq_window(struct domus_vcpu *v, bool open);
/* A backend's vCPU state (@size bytes) and one zeroed page; NULL if no memory. */
void *domus_arch_vcpu_alloc(size_t size, struct page **page);

/*
 * The register and state functions of a backend <p> (struct
 * domus_arch_ops), declared once for every backend.
 */
#define DOMUS_ARCH_DECLARE_STATE(p)						\
void p##_get_regs(struct domus_vcpu *v, struct domus_regs *r);			\
void p##_set_regs(struct domus_vcpu *v, const struct domus_regs *r);		\
void p##_get_sregs(struct domus_vcpu *v, struct domus_sregs *r);		\
int p##_set_sregs(struct domus_vcpu *v, const struct domus_sregs *r);		\
u64 p##_get_cr4(struct domus_vcpu *v);						\
int p##_get_cpl(struct domus_vcpu *v);						\
u64 p##_get_rflags(struct domus_vcpu *v);					\
void p##_skip_insn(struct domus_vcpu *v, unsigned int len);			\
int p##_get_msr(struct domus_vcpu *v, u32 index, u64 *data, bool host);	\
int p##_set_msr(struct domus_vcpu *v, u32 index, u64 data, bool host);		\
void p##_set_tsc_offset(struct domus_vcpu *v, u64 offset);			\
void p##_get_events(struct domus_vcpu *v, struct domus_events *e);		\
int p##_set_events(struct domus_vcpu *v, const struct domus_events *e)

#include "pers.h"

/*
 * The personality hooks called on every exit or entry (pre_run: in the
 * run loop itself).  Every hook is non-NULL (pers.h); one that is the
 * default's no-op is not called, so a plain domain pays a compare instead
 * of an indirect call.
 */
static __always_inline void domus_pers_sync_events(struct domus_vcpu *v)
{
	const struct domus_personality *p = v->dom->pers;

	if (p->sync_events != domus_pers_default_sync_events)
		p->sync_events(v);
}

static __always_inline bool domus_pers_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	const struct domus_personality *p = v->dom->pers;

	return p->cpuid != domus_pers_default_cpuid && p->cpuid(v, fn, idx, out);
}

static __always_inline void domus_pers_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx,
						  u32 out[4])
{
	const struct domus_personality *p = v->dom->pers;

	if (p->cpuid_post != domus_pers_default_cpuid_post)
		p->cpuid_post(v, fn, idx, out);
}

static __always_inline int domus_pers_pio(struct domus_vcpu *v, u16 port, u8 size, bool in,
					  u32 *val)
{
	const struct domus_personality *p = v->dom->pers;

	return p->pio == domus_pers_default_pio ? -1 : p->pio(v, port, size, in, val);
}

static __always_inline int domus_pers_hlt(struct domus_vcpu *v)
{
	const struct domus_personality *p = v->dom->pers;

	return p->hlt == domus_pers_default_hlt ? 1 : p->hlt(v);
}

#endif /* DOMUS_CORE_H */
