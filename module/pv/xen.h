/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Xen PVH personality: state and shared declarations of module/pv/.
 *
 * Locking: xd->lock (a spinlock, taken with interrupts off because the
 * hrtimer callbacks take it in hard-irq context) protects the port table,
 * the personality's vCPU table and every kernel pointer into guest memory
 * (shared_info, vcpu_info).  Those pointers are into guest RAM pages on
 * which the personality holds a page reference, so a slot deleted by
 * userspace never leaves them dangling.  Everything else per vCPU is only
 * touched by the vCPU's own thread (under its run_lock).
 */
#ifndef DOMUS_PV_XEN_H
#define DOMUS_PV_XEN_H

#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include "../core.h"
#include "xen_abi.h"

/* A hypercall handler's return value: the exit goes to userspace. */
#define DOMUS_XEN_TO_USER	(LONG_MIN + 1)

#define XEN_NR_PORTS		1024	/* bounded 2-level port space */
#define XEN_DOMID		1	/* what the guest is told it is */
#define XEN_NR_BACKENDS		DOMUS_XEN_MAX_BACKEND_PORTS

/*
 * The guest names another domain (not DOMID_SELF, not itself): Xen says
 * -ESRCH when no such domain exists and -EPERM (XSM) when it exists but
 * a domU may not act on it.  Only domain 0 (domus) exists besides it.
 */
static inline long xen_foreign_dom_err(u32 domid)
{
	return domid == 0 ? -XEN_EPERM : -XEN_ESRCH;
}
#define XEN_GNT_FRAMES		DOMUS_XEN_GNTTAB_MAX_FRAMES
/* grant pages: shared frames, v2 status frames, the backends' control page */
#define XEN_GNT_STATUS_PAGE	DOMUS_XEN_GNTTAB_STATUS_PAGE
#define XEN_GNT_STATUS_FRAMES	DOMUS_XEN_GNTTAB_STATUS_FRAMES
#define XEN_GNT_CTL_PAGE	DOMUS_XEN_GNTTAB_CTL_PAGE
#define XEN_GNT_PAGES		DOMUS_XEN_GNTTAB_MMAP_PAGES
/* grant-frame placements a domain may make (gnttab.c: bounds its table pages) */
#define XEN_GNT_MAX_PLACEMENTS	(4 * XEN_GNT_FRAMES)
/*
 * core special-page entries: grant frame i is entry XEN_SPECIAL_GNT + i,
 * status frame i entry XEN_SPECIAL_GNT + XEN_GNT_STATUS_PAGE + i
 */
#define XEN_SPECIAL_GNT		0

struct xen_port {
	u8 state;		/* XEN_ECS_* */
	u8 pad;
	u16 remote_dom;		/* unbound / interdomain */
	u32 vcpu;		/* notify vCPU */
	u32 arg;		/* virq number, or remote port */
};

/*
 * A backend (domain 0) end of an interdomain channel, index = backend
 * port - 1.  guest_port (0: none) changes under xd->lock; notify is
 * read under RCU by the guest's send path; the kick wait entry is on the
 * kick eventfd's wait queue.  Created and released under xd->be_mutex.
 */
struct xen_backend {
	struct xen_dom *xd;
	bool used;
	u32 guest_port;
	struct eventfd_ctx __rcu *notify;
	struct eventfd_ctx *kick;
	wait_queue_entry_t wait;
	poll_table pt;
};

struct xen_apic {
	u8 mode;		/* enum domus_apic_mode of IA32_APIC_BASE */
	u64 base;		/* its address bits (the xAPIC page) */
	u32 tpr;
	u32 svr;
	u32 esr;		/* the errors the last ESR write latched */
	u32 esr_pending;	/* errors since then */
	u32 ldr;		/* xAPIC: bits 31:24 (x2APIC derives it from the ID) */
	u32 dfr;		/* xAPIC: model in bits 31:28 */
	u32 lvt[7];		/* CMCI, timer, thermal, perf, LINT0, LINT1, error */
	u64 icr;
	u32 timer_icr;
	u32 timer_dcr;
	u64 timer_period_ns;	/* 0: stopped */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE, guest TSC; 0: disarmed */
	ktime_t timer_deadline;
	struct hrtimer timer;
};

struct xen_vcpu {
	struct domus_vcpu *v;
	struct xen_dom *xd;
	u32 id;
	/* vcpu_info registered with VCPUOP_register_vcpu_info (page ref held) */
	struct page *vi_page;
	u64 vi_gfn;
	struct xen_vcpu_info *vi_reg;
	u64 tsc_offset;		/* guest TSC - host TSC its pvclock record used */
	u64 time_anchor;	/* host monotonic ns of the last pvclock record */
	int time_cpu;		/* the CPU whose TSC anchored it */
	/* runstate area, GVA translated at registration (page refs held) */
	struct page *rs_page[2];
	u64 rs_gfn[2];
	unsigned int rs_off;
	/* timers (Xen system time) */
	struct hrtimer sshot;
	struct hrtimer periodic;
	u64 period_ns;
	u32 virq_port[XEN_NR_VIRQS];
	bool polling;
	/*
	 * lifecycle (under xd->lock), one state for INIT/SIPI and VCPUOP:
	 * wait_sipi: not initialised (never started, or INIT since; Xen's
	 * !is_initialised); down: stopped after it ran, by HLT with IF=0 or
	 * VCPUOP_down (Xen's _VPF_down), held before its next entry until
	 * VCPUOP_up, an NMI or an INIT.  VCPUOP_is_up = !down && !wait_sipi.
	 */
	bool down;
	bool wait_sipi;
	u8 sipi_vector;
	bool sipi;		/* a STARTUP arrived while waiting */
	struct xen_apic apic;
	/* HVMOP_set_evtchn_upcall_vector: upcalls through the APIC; 0 none */
	u8 upcall_vec;
};

struct xen_dom {
	struct domus_domain *dom;
	/*
	 * PVHVM (DOMUS_DOMAIN_XEN_HVM): Xen's CPUID leaves and hypercalls on
	 * a firmware PC whose devices, port I/O, interrupt controller and
	 * vCPU start-up stay with userspace; no LAPIC model, no x2APIC MSRs.
	 */
	bool hvm;
	spinlock_t lock;
	/* shared_info: a guest RAM page (ref held), NULL until placed */
	struct page *si_page;
	struct xen_shared_info *si;
	u64 si_gfn;
	struct xen_vcpu *vcpus[64];
	struct xen_port ports[XEN_NR_PORTS];
	u8 upcall_vector;	/* CALLBACK_IRQ vector, 0 = none */
	/* FIFO event channels (evtchn_fifo.c): NULL while 2-level (EVTCHNOP_reset) */
	struct xen_fifo *fifo;
	u64 params[HVM_NR_PARAMS];
	unsigned long vm_assist;
	/* time: Xen system time 0 is host TSC tsc0 and host monotonic mono0 */
	u64 tsc0;
	u64 mono0;
	u32 tsc_mul;
	s8 tsc_shift;
	u8 tsc_flags;
	u64 wc_ns;		/* host real time at system time 0 */
	/* backend ends of interdomain channels (evtchn_be.c) */
	struct mutex be_mutex;
	struct xen_backend be[XEN_NR_BACKENDS];
	/* grant table (gnttab.c): pages allocated on first use */
	struct mutex gnt_mutex;
	struct page *gnt_page[XEN_GNT_PAGES];
	u32 gnt_version;	/* 1 or 2, under gnt_mutex */
	u32 gnt_max_version;	/* DOMUS_XEN_GNTTAB_LIMIT: 1 or 2 */
	u32 gnt_nr_frames;	/* 1 + highest frame the guest placed */
	u32 gnt_placements;	/* placements at a new gfn, <= XEN_GNT_MAX_PLACEMENTS */
};

typedef long (*xen_hcall_fn)(struct domus_vcpu *v, struct domus_regs *r);

/* xen.c: the personality, listed in personalities.c */
extern const struct domus_personality domus_xen_personality;
extern const struct domus_personality domus_xen_hvm_personality;

/* xen.c */
int domus_xen_copy_from_guest(struct domus_vcpu *v, void *dst, u64 gva, unsigned int len);
int domus_xen_copy_to_guest(struct domus_vcpu *v, u64 gva, const void *src, unsigned int len);
void xen_vcpu_notify(struct domus_vcpu *v);

/* version.c */
long xen_hc_version(struct domus_vcpu *v, struct domus_regs *r);
long xen_hc_console_io(struct domus_vcpu *v, struct domus_regs *r);
long xen_hc_vm_assist(struct domus_vcpu *v, struct domus_regs *r);

/* memory.c */
long xen_hc_memory_op(struct domus_vcpu *v, struct domus_regs *r);
void xen_memory_free(struct xen_dom *xd);

/* hvm.c */
long xen_hc_hvm_op(struct domus_vcpu *v, struct domus_regs *r);
/* DOMUS_XEN_SET_PARAM / DOMUS_XEN_GET_PARAM on a domain fd */
long domus_xen_param_ioctl(struct domus_domain *dom, struct domus_xen_param *p, bool set);

/* time.c */
void xen_time_domain_init(struct xen_dom *xd);
void xen_time_vcpu_init(struct xen_vcpu *xv);
void xen_time_vcpu_free(struct xen_vcpu *xv);
u64 xen_system_time(struct xen_dom *xd);
void xen_time_refresh(struct xen_vcpu *xv);
void xen_write_time_info(struct xen_dom *xd, struct xen_vcpu *xv, struct xen_vcpu_info *vi)
	__must_hold(&xd->lock);
void xen_write_wallclock(struct xen_dom *xd) __must_hold(&xd->lock);
void xen_timer_arm(struct hrtimer *t, struct xen_dom *xd, u64 deadline);
long xen_hc_vcpu_op(struct domus_vcpu *v, struct domus_regs *r);
long xen_hc_set_timer_op(struct domus_vcpu *v, struct domus_regs *r);

/* evtchn.c */
struct xen_vcpu_info *xen_vcpu_info(struct xen_dom *xd, struct xen_vcpu *xv)
	__must_hold(&xd->lock);
void xen_evtchn_raise(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
void xen_raise_virq(struct xen_vcpu *xv, u32 virq);
bool xen_port_pending(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
void xen_evtchn_sync(struct xen_vcpu *xv);
void xen_mark_upcall(struct xen_dom *xd, struct xen_vcpu *xv) __must_hold(&xd->lock);
void xen_wake_pollers(struct xen_dom *xd) __must_hold(&xd->lock);
long xen_hc_event_channel_op(struct domus_vcpu *v, struct domus_regs *r);

/* evtchn_be.c; DOMUS_XEN_EVTCHN_BIND / DOMUS_XEN_EVTCHN_NOTIFY on a domain fd */
long domus_xen_evtchn_bind_ioctl(struct domus_domain *dom, struct domus_xen_evtchn_bind *b);
long domus_xen_evtchn_notify_ioctl(struct domus_domain *dom, struct domus_xen_evtchn_notify *n);
void xen_be_init(struct xen_dom *xd);
void xen_be_free(struct xen_dom *xd);
void xen_be_signal(struct xen_dom *xd, int bport);
long xen_bind_interdomain(struct xen_dom *xd, struct xen_evtchn_bind_interdomain *b)
	__must_hold(&xd->lock);
void xen_be_guest_closed(struct xen_dom *xd, u32 bport, u32 port) __must_hold(&xd->lock);
int xen_port_alloc(struct xen_dom *xd, u8 state, u32 vcpu, u32 arg, u16 remote)
	__must_hold(&xd->lock);

/* evtchn_fifo.c: the FIFO ABI once the guest's first init_control turned it on */
long xen_fifo_init_control(struct domus_vcpu *v, u64 arg);
long xen_fifo_expand_array(struct domus_vcpu *v, u64 arg);
long xen_fifo_set_priority(struct xen_dom *xd, struct xen_evtchn_set_priority *sp)
	__must_hold(&xd->lock);
void xen_fifo_raise(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
long xen_fifo_unmask(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
bool xen_fifo_pending(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
void xen_fifo_port_reset(struct xen_dom *xd, u32 port) __must_hold(&xd->lock);
void xen_fifo_free(struct xen_dom *xd);
struct xen_fifo *xen_fifo_detach(struct xen_dom *xd) __must_hold(&xd->lock);
void xen_fifo_release(struct xen_fifo *f);
void xen_fifo_log_dirty(struct xen_dom *xd, struct domus_domain *dom) __must_hold(&xd->lock);

/* gnttab.c */
long xen_hc_grant_table_op(struct domus_vcpu *v, struct domus_regs *r);
long xen_gnttab_add_to_physmap(struct domus_vcpu *v, u64 idx, u64 gfn);
struct page *xen_gnttab_page_locked(struct xen_dom *xd, unsigned int idx);
bool xen_gnt_dom_self(u16 dom);
/* gnttab_ver.c */
long xen_gnttab_set_version(struct domus_vcpu *v, u64 arg);
long xen_gnttab_get_status_frames(struct domus_vcpu *v, u64 arg);
long domus_xen_gnttab_limit_ioctl(struct domus_domain *dom, struct domus_xen_gnttab_limit *l);
int xen_gnttab_mmap(struct domus_domain *dom, struct vm_area_struct *vma);
void xen_log_dirty(struct domus_domain *dom);
void xen_gnttab_free(struct xen_dom *xd);

/* sched.c */
long xen_hc_sched_op(struct domus_vcpu *v, struct domus_regs *r);
/* lifecycle.c; the shutdown exit: nr 29, args[0] = 2, args[1] = reason, args[2] = source */
void xen_shutdown_exit(struct domus_vcpu *v, u32 reason, u32 source);
int xen_hlt(struct domus_vcpu *v);
int xen_pre_run(struct domus_vcpu *v) __must_hold(&v->dom->srcu);
void xen_vcpu_init_ipi(struct xen_vcpu *xv) __must_hold(&xv->xd->lock);
void xen_vcpu_sipi(struct xen_vcpu *xv, u8 vector) __must_hold(&xv->xd->lock);
long xen_vcpu_up(struct xen_vcpu *xv) __must_hold(&xv->xd->lock);
long domus_xen_vcpu_state_ioctl(struct domus_domain *dom, struct domus_xen_vcpu_state *s, bool set);
bool xen_vcpu_is_up(struct xen_vcpu *xv) __must_hold(&xv->xd->lock);
bool xen_vcpus_all_down(struct xen_dom *xd, struct xen_vcpu *but) __must_hold(&xd->lock);
int xen_pio_acpi(struct domus_vcpu *v, u16 port, bool in, u32 *val);

/* apic.c */
void xen_apic_init(struct xen_vcpu *xv);
void xen_apic_free(struct xen_vcpu *xv);
int xen_apic_msr(struct xen_vcpu *xv, u32 index, u64 *data, bool write);
void xen_apic_base_changed(struct domus_vcpu *v, u64 old, u64 new);
bool xen_apic_enabled(struct xen_vcpu *xv);
void xen_apic_raise(struct xen_vcpu *xv, u8 vec);

/* msr.c */
int xen_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write);
int xen_hvm_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write);
void xen_cpuid_post(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4]);

static inline struct xen_dom *xen_dom(struct domus_vcpu *v)
{
	return v->dom->pers_data;
}

static inline struct xen_vcpu *xen_vcpu(struct domus_vcpu *v)
{
	return v->pers_data;
}

#endif
