/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * domus kernel/user ABI: the single definition shared by domus.ko and
 * userland.  Every structure has an explicit size and explicit padding;
 * reserved fields must be zero on input or the call fails with -EINVAL.
 * See docs/abi.md for the meaning of each ioctl.
 */
#ifndef DOMUS_UAPI_H
#define DOMUS_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DOMUS_API_VERSION	1
#define DOMUS_DEVICE		"/dev/domus"
#define DOMUS_IOCTL_TYPE	0xD5

/* --- /dev/domus ------------------------------------------------------- */

struct domus_api_version {
	__u32 version;		/* out: DOMUS_API_VERSION */
	__u32 reserved[3];	/* in: must be zero */
};

enum domus_vendor {
	DOMUS_VENDOR_NONE = 0,
	DOMUS_VENDOR_SVM = 1,	/* AMD-V */
	DOMUS_VENDOR_VMX = 2,	/* Intel VT-x */
};

enum domus_paging {
	DOMUS_PAGING_NONE = 0,
	DOMUS_PAGING_NPT = 1,
	DOMUS_PAGING_EPT = 2,
};

/* Hardware features domus detected and will use (caps.features). */
#define DOMUS_FEAT_NRIPS		(1ULL << 0)	/* SVM next-RIP save */
#define DOMUS_FEAT_DECODE_ASSISTS	(1ULL << 1)	/* SVM decode assists */
#define DOMUS_FEAT_VMCB_CLEAN		(1ULL << 2)	/* SVM VMCB clean bits */
#define DOMUS_FEAT_FLUSH_BY_ASID	(1ULL << 3)	/* SVM TLB flush by ASID */
#define DOMUS_FEAT_VGIF			(1ULL << 4)	/* SVM virtual GIF */
#define DOMUS_FEAT_VPID			(1ULL << 8)	/* VMX VPID */
#define DOMUS_FEAT_EPT_AD		(1ULL << 9)	/* VMX EPT A/D bits */
#define DOMUS_FEAT_UNRESTRICTED		(1ULL << 10)	/* VMX unrestricted guest */
#define DOMUS_FEAT_LARGE_PAGES		(1ULL << 16)	/* 2M nested pages */

struct domus_caps {
	__u32 api_version;	/* out */
	__u32 vendor;		/* out: enum domus_vendor */
	__u32 paging;		/* out: enum domus_paging */
	__u32 max_vcpus;	/* out: vCPUs per domain */
	__u64 features;		/* out: DOMUS_FEAT_* */
	__u32 asids;		/* out: hardware ASIDs/VPIDs available */
	__u32 max_slots;	/* out: memory slots per domain */
	__u64 reserved[4];	/* in: must be zero */
};

#define DOMUS_GET_API_VERSION	_IOWR(DOMUS_IOCTL_TYPE, 0x00, struct domus_api_version)
#define DOMUS_GET_CAPS		_IOWR(DOMUS_IOCTL_TYPE, 0x01, struct domus_caps)

/* Live objects of the whole module (leak checks in tests). */
struct domus_global_stats {
	__u64 domains;		/* live domains */
	__u64 vcpus;		/* live vCPUs */
	__u64 pinned_pages;	/* guest pages pinned by all slots */
	__u64 npt_pages;	/* nested page-table pages */
	__u32 hw_enabled_cpus;	/* CPUs with virtualization switched on */
	__u32 reserved0;
	__u64 reserved[3];
};

/* The guest sees a Xen hypervisor (PVH ABI): Xen CPUID leaves, hypercalls. */
#define DOMUS_DOMAIN_XEN	(1u << 0)
/*
 * PVHVM: a firmware HVM domain that also sees Xen (CPUID leaves, the
 * hypercall page MSR, hypercalls, event channels, grant tables, HVM
 * parameters), as a Xen HVM domain with the platform PCI device does.
 * Port I/O, HLT, vCPU start-up and interrupts stay plain (userspace's
 * device model); event-channel upcalls arrive as the vector the guest
 * sets in HVM_PARAM_CALLBACK_IRQ.  Not combined with DOMUS_DOMAIN_XEN.
 */
#define DOMUS_DOMAIN_XEN_HVM	(1u << 1)

/*
 * The benchmark hypercall: in a domain without a guest ABI (no
 * DOMUS_DOMAIN_XEN), a hypercall instruction (VMMCALL / VMCALL) with this
 * number in RAX is answered in the kernel with RAX = 0, at any privilege
 * level, and never reaches userspace.  bench/exits measures the bare cost
 * of a hypercall exit with it.  In a Xen domain it is an ordinary
 * (unknown) hypercall number.
 */
#define DOMUS_BENCH_HYPERCALL	0xd0000000u

struct domus_create_domain {
	__u32 flags;		/* in: DOMUS_DOMAIN_* */
	__u32 reserved[7];	/* in: must be zero */
};

#define DOMUS_GET_GLOBAL_STATS	_IOWR(DOMUS_IOCTL_TYPE, 0x02, struct domus_global_stats)
/* Returns a new domain fd (O_CLOEXEC). */
#define DOMUS_CREATE_DOMAIN	_IOW(DOMUS_IOCTL_TYPE, 0x03, struct domus_create_domain)

/* --- domain fd --------------------------------------------------------- */

#define DOMUS_SLOT_READONLY	(1u << 0)

/*
 * Map [gpa, gpa + size) of the guest to userspace memory at uaddr.  All of
 * gpa, size and uaddr must be 4 KiB aligned; size 0 deletes the slot.  The
 * pages are pinned while the slot exists.  A slot overlapping another
 * fails with -EEXIST; an existing slot id must be deleted before reuse.
 * The pages count against the caller's RLIMIT_MEMLOCK (its locked_vm;
 * -EPERM beyond it unless CAP_IPC_LOCK) and against the module parameter
 * max_guest_pages for all domains together (-ENOMEM beyond it).
 */
struct domus_mem_slot {
	__u32 slot;		/* 0 .. max_slots - 1 */
	__u32 flags;		/* DOMUS_SLOT_* */
	__u64 gpa;
	__u64 size;
	__u64 uaddr;
	__u64 reserved[4];
};

struct domus_create_vcpu {
	__u32 id;		/* 0 .. max_vcpus - 1, unique per domain */
	__u32 reserved[7];
};

struct domus_cpuid_entry {
	__u32 function;
	__u32 index;		/* sub-leaf, if DOMUS_CPUID_INDEXED */
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 reserved;
};
#define DOMUS_CPUID_INDEXED	(1u << 0)
#define DOMUS_MAX_CPUID_ENTRIES	256

/* The guest's CPUID answers; replaces the whole table. */
struct domus_cpuid {
	__u32 nent;		/* <= DOMUS_MAX_CPUID_ENTRIES */
	__u32 reserved0;
	__u64 entries;		/* user pointer to nent struct domus_cpuid_entry */
	__u64 reserved[2];
};

/* Exit statistics (indices into domus_domain_stats.exits). */
enum domus_stat {
	DOMUS_STAT_EXITS,	/* all exits from guest mode */
	DOMUS_STAT_CPUID,
	DOMUS_STAT_MSR,
	DOMUS_STAT_IO,
	DOMUS_STAT_MMIO,
	DOMUS_STAT_NPF,		/* nested page faults (incl. MMIO) */
	DOMUS_STAT_HLT,
	DOMUS_STAT_HYPERCALL,
	DOMUS_STAT_INTR,	/* physical interrupt */
	DOMUS_STAT_IRQ_WINDOW,
	DOMUS_STAT_EXCEPTION,
	DOMUS_STAT_USER_EXITS,	/* run returned to userspace */
	DOMUS_STAT_INJECTIONS,
	DOMUS_STAT_CR4,		/* MOV to CR4 checked by the kernel */
	DOMUS_STAT_CACHE_FLUSH,	/* WBINVD, WBNOINVD, INVD (skipped) */
	DOMUS_STAT_MACHINE_CHECK, /* host #MC taken while the guest ran */
	DOMUS_STAT_MAX = 32
};

struct domus_domain_stats {
	__u64 stat[DOMUS_STAT_MAX];
	__u64 pinned_pages;
	__u32 vcpus;
	__u32 slots;
	__u64 npt_pages;	/* nested page-table pages of this domain */
	__u64 reserved[5];
};

#define DOMUS_SET_MEM_SLOT	_IOW(DOMUS_IOCTL_TYPE, 0x10, struct domus_mem_slot)
/* Returns a new vCPU fd (O_CLOEXEC). */
#define DOMUS_CREATE_VCPU	_IOW(DOMUS_IOCTL_TYPE, 0x11, struct domus_create_vcpu)
#define DOMUS_SET_CPUID		_IOW(DOMUS_IOCTL_TYPE, 0x12, struct domus_cpuid)
#define DOMUS_GET_STATS		_IOWR(DOMUS_IOCTL_TYPE, 0x13, struct domus_domain_stats)

/*
 * The most pages the domain's slots may hold (pinned_pages of
 * DOMUS_GET_STATS) when the guest takes back frames it gave back
 * (ballooning; docs/pv.md): repopulating stops there.  0 (the default):
 * no cap beyond the slots themselves.  Lowering it takes nothing away.
 */
struct domus_mem_limit {
	__u64 max_pages;
	__u64 reserved[3];
};
#define DOMUS_SET_MEM_LIMIT	_IOW(DOMUS_IOCTL_TYPE, 0x14, struct domus_mem_limit)

/*
 * Dirty-page logging of one slot (save, migration; docs/abi.md).
 * DOMUS_SET_DIRTY_LOG with flags DOMUS_DIRTY_LOG_ON starts logging the
 * guest's writes to the slot (the log starts empty: the caller copies
 * everything once), flags 0 stops it.  DOMUS_GET_DIRTY_LOG copies the
 * log to @bitmap, ceil(npages / 64) u64 words, bit i of word w standing
 * for frame gfn + 64 * w + i, and empties it: the frames reported are
 * write-protected again, and every vCPU has flushed before the ioctl
 * returns, so a write made after the return shows in the next log.
 * Writes by the kernel (hypercall results) are logged; writes through
 * userspace mappings of the slot are not (the writer logs its own).
 * -ENOENT no such slot, -EINVAL read-only slot, unknown flags, nonzero
 * reserved fields, GET while not logging; -EFAULT bad @bitmap.
 */
#define DOMUS_DIRTY_LOG_ON	(1u << 0)
struct domus_dirty_log {
	__u32 slot;
	__u32 flags;		/* SET: DOMUS_DIRTY_LOG_ON or 0; GET: 0 */
	__u64 bitmap;		/* GET: user pointer; SET: 0 */
	__u64 reserved[2];
};
#define DOMUS_SET_DIRTY_LOG	_IOW(DOMUS_IOCTL_TYPE, 0x15, struct domus_dirty_log)
#define DOMUS_GET_DIRTY_LOG	_IOW(DOMUS_IOCTL_TYPE, 0x16, struct domus_dirty_log)

/*
 * Xen domains (DOMUS_DOMAIN_XEN or _XEN_HVM) only: the HVM parameters the guest reads
 * with HVMOP_get_param.  Userspace may set HVM_PARAM_STORE_PFN (1),
 * STORE_EVTCHN (2), CONSOLE_PFN (17) and CONSOLE_EVTCHN (18); any index
 * below DOMUS_XEN_NR_PARAMS may be read (CALLBACK_IRQ (0) is the guest's).
 * -ENOTTY on a plain domain, -EINVAL for other indices.
 */
#define DOMUS_XEN_NR_PARAMS	40
struct domus_xen_param {
	__u32 index;		/* HVM_PARAM_* */
	__u32 reserved0;
	__u64 value;
	__u64 reserved[2];
};
#define DOMUS_XEN_SET_PARAM	_IOW(DOMUS_IOCTL_TYPE, 0x18, struct domus_xen_param)
#define DOMUS_XEN_GET_PARAM	_IOWR(DOMUS_IOCTL_TYPE, 0x19, struct domus_xen_param)

/*
 * Xen domains: an event channel between the guest and a userspace backend
 * (console, xenstore, block, net) in the launcher.  domus plays domain 0:
 * each backend end is a "backend port" (1 .. DOMUS_XEN_MAX_BACKEND_PORTS,
 * what the guest sees as the remote port of an interdomain channel with
 * domain 0).  Each EVTCHNOP_send by the guest on the connected guest port
 * adds 1 to the eventfd notify_fd; each write to the eventfd kick_fd
 * raises the guest port, without a system call into domus.  Either fd may
 * be -1 (sends are then dropped / the backend uses DOMUS_XEN_EVTCHN_NOTIFY).
 * The two must differ.  Closing the domain releases everything.
 *
 * flags:
 *   0: a new backend port connected to a new guest port (out: port,
 *      backend_port); the guest uses it directly, e.g. as
 *      HVM_PARAM_CONSOLE_EVTCHN or STORE_EVTCHN.
 *   DOMUS_XEN_EVTCHN_ATTACH: port (in) is a guest port the guest made
 *      with EVTCHNOP_alloc_unbound(remote_dom = 0) and wrote to xenstore
 *      (what a Xen backend binds with bind_interdomain); it becomes
 *      interdomain with a new backend port (out: backend_port).
 *   DOMUS_XEN_EVTCHN_LISTEN: a new backend port with no guest port yet
 *      (out: backend_port, port = 0); the guest connects with
 *      EVTCHNOP_bind_interdomain(remote_dom 0, remote_port = backend_port).
 *   DOMUS_XEN_EVTCHN_CLOSE: backend_port (in) is released (its eventfds
 *      dropped); a connected guest port becomes unbound, as in Xen when
 *      the remote end closes.  notify_fd and kick_fd are ignored.
 * Inputs not used by the given flags (port, backend_port) must be 0.
 * When the guest closes its port the backend port stays, unconnected
 * (sends from the backend do nothing) until the guest binds it again.
 * Errors: EINVAL (flags, reserved, fds not eventfds or equal, port not in
 * the required state), ENOSPC (no free backend or guest port), ENOTTY (not
 * a Xen domain), EBADF.
 */
#define DOMUS_XEN_MAX_BACKEND_PORTS	64
#define DOMUS_XEN_EVTCHN_ATTACH		(1u << 0)
#define DOMUS_XEN_EVTCHN_LISTEN		(1u << 1)
#define DOMUS_XEN_EVTCHN_CLOSE		(1u << 2)

struct domus_xen_evtchn_bind {
	__u32 port;		/* in/out: the guest's port */
	__s32 notify_fd;	/* in: eventfd signalled on guest sends, or -1 */
	__s32 kick_fd;		/* in: eventfd the backend writes, or -1 */
	__u32 flags;		/* in: DOMUS_XEN_EVTCHN_* (at most one) */
	__u32 backend_port;	/* in/out: the backend (domain 0) end */
	__u32 reserved0;
	__u64 reserved;
};

/*
 * Raise the guest port connected to a backend port (the alternative to a
 * kick_fd): port is the guest port.  EINVAL if it is not connected to a
 * backend port.
 */
struct domus_xen_evtchn_notify {
	__u32 port;
	__u32 reserved;
};

#define DOMUS_XEN_EVTCHN_BIND	_IOWR(DOMUS_IOCTL_TYPE, 0x1a, struct domus_xen_evtchn_bind)
#define DOMUS_XEN_EVTCHN_NOTIFY	_IOW(DOMUS_IOCTL_TYPE, 0x1b, struct domus_xen_evtchn_notify)

/*
 * Xen domains: a guest's end comes to userspace as DOMUS_EXIT_HYPERCALL
 * with hypercall.nr = 29 (sched_op), args[0] = 2 (SCHEDOP_shutdown),
 * args[1] = the reason (0 poweroff, 1 reboot, 2 suspend, 3 crash,
 * 4 watchdog, 5 soft reset) and args[2] = where it came from:
 */
#define DOMUS_XEN_SHUTDOWN_HYPERCALL	0	/* the guest's SCHEDOP_shutdown */
#define DOMUS_XEN_SHUTDOWN_HALTED	1	/* every vCPU down: HLT with IF=0 or VCPUOP_down (poweroff) */
#define DOMUS_XEN_SHUTDOWN_ACPI		2	/* ACPI S5 write to the sleep control port (poweroff) */

/*
 * Xen domains: the guest's grant table for userspace backends (docs/abi.md
 * "Grant table").  mmap(domain fd, offset DOMUS_XEN_GNTTAB_MMAP_OFFSET +
 * p * 4096, MAP_SHARED, read/write) maps pages p, p+1, ... of this layout
 * (any contiguous run of its DOMUS_XEN_GNTTAB_MMAP_PAGES pages):
 *
 *   pages  0-31  the shared frames, the very pages the guest placed with
 *                add_to_physmap(grant_table): v1 8-byte entries (512 per
 *                frame) or v2 16-byte entries (256 per frame)
 *   pages 32-35  the v2 status frames (a u16 per grant: GTF_reading,
 *                GTF_writing), placed by the guest with
 *                add_to_physmap(grant_table, idx | XENMAPIDX_grant_table_status)
 *   page  36     struct domus_xen_gnttab_ctl, written by domus only
 *
 * Frames nobody placed yet read as zero (no valid entry).  A backend sets
 * the in-use bits with atomic operations: in the entry's flags (v1) or in
 * the status word (v2) -- after reading ctl.version, and reads the version
 * again after setting them; a changed version means the table switched
 * under it (undo, fail the access).  domus switches the version only when
 * no in-use bit is set, publishing version 0 before it checks.
 */
#define DOMUS_XEN_GNTTAB_MMAP_OFFSET	0
#define DOMUS_XEN_GNTTAB_MAX_FRAMES	32
#define DOMUS_XEN_GNTTAB_STATUS_PAGE	32	/* first status frame's page */
#define DOMUS_XEN_GNTTAB_STATUS_FRAMES	4	/* 8192 v2 grants * 2 bytes */
#define DOMUS_XEN_GNTTAB_CTL_PAGE	36
#define DOMUS_XEN_GNTTAB_MMAP_PAGES	37

/*
 * Xen domains: the highest grant-table version the guest may switch to
 * (xl.cfg max_grant_version): 1 or 2 (2 until set, as Xen); with 1 the
 * guest's GNTTABOP_set_version(2) is -ENOSYS, as on Xen.  -EINVAL for
 * other values or nonzero reserved fields.
 */
struct domus_xen_gnttab_limit {
	__u32 max_version;
	__u32 reserved[3];
};
#define DOMUS_XEN_GNTTAB_LIMIT	_IOW(DOMUS_IOCTL_TYPE, 0x1c, struct domus_xen_gnttab_limit)

/*
 * Xen domains: a vCPU's start/stop state, for save and restore (docs/abi.md
 * "vCPU lifecycle"): DOMUS_XEN_VCPU_WAIT_SIPI, not started (an AP before
 * its STARTUP IPI, or since an INIT); DOMUS_XEN_VCPU_DOWN, stopped after
 * it ran (HLT with IF=0, VCPUOP_down) until VCPUOP_up, an NMI or an INIT.
 * Neither: it runs.  SET replaces the state (a pending STARTUP is
 * dropped) and wakes the vCPU, which then runs, stops or waits as told;
 * meant for a vCPU whose DOMUS_RUN is not in the guest (the domain
 * paused).  -EINVAL for an unknown flag, nonzero reserved fields or a
 * vCPU that does not exist; -ENOTTY on a plain domain.
 */
#define DOMUS_XEN_VCPU_WAIT_SIPI	(1u << 0)
#define DOMUS_XEN_VCPU_DOWN		(1u << 1)
struct domus_xen_vcpu_state {
	__u32 vcpu;		/* in: the vCPU's id */
	__u32 flags;		/* GET out, SET in: DOMUS_XEN_VCPU_* */
	__u64 reserved[3];
};
#define DOMUS_XEN_GET_VCPU_STATE	_IOWR(DOMUS_IOCTL_TYPE, 0x1d, struct domus_xen_vcpu_state)
#define DOMUS_XEN_SET_VCPU_STATE	_IOW(DOMUS_IOCTL_TYPE, 0x1e, struct domus_xen_vcpu_state)

struct domus_xen_gnttab_ctl {
	__u32 version;		/* 1 or 2; 0 while the guest switches */
	__u32 pad;
};

/* --- vCPU fd ------------------------------------------------------------ */

struct domus_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * attr packs the descriptor attribute bits: type[3:0] s[4] dpl[6:5] p[7]
 * avl[8] l[9] db[10] g[11] (the layout of the descriptor's bits 40-47 and
 * 52-55).  attr 0 marks an unusable segment.
 */
struct domus_segment {
	__u64 base;
	__u32 limit;		/* byte granular, already expanded by g */
	__u16 selector;
	__u16 attr;
};

struct domus_dtable {
	__u64 base;
	__u16 limit;
	__u16 reserved[3];
};

struct domus_sregs {
	struct domus_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct domus_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 reserved[4];
};

struct domus_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};
#define DOMUS_MAX_MSR_ENTRIES	256

/* Returns the number of entries processed; stops at the first failure. */
struct domus_msrs {
	__u32 nmsrs;		/* <= DOMUS_MAX_MSR_ENTRIES */
	__u32 reserved0;
	__u64 entries;		/* user pointer to nmsrs struct domus_msr_entry */
	__u64 reserved[2];
};

/* FPU/SSE/AVX state in the XSAVE standard (non-compacted) format. */
struct domus_fpu {
	__u8 xsave[4096];	/* legacy area, XSAVE header, components */
	__u64 xcr0;		/* guest XCR0 */
	__u64 reserved[7];
};

/* Events: what is being delivered or is pending. */
struct domus_events {
	struct {
		__u8 pending;
		__u8 nr;
		__u8 has_error_code;
		__u8 pad;
		__u32 error_code;
	} exception;
	struct {
		__u8 pending;	/* external interrupt queued for injection */
		__u8 nr;
		__u8 pad[6];
	} interrupt;
	struct {
		__u8 pending;
		__u8 masked;	/* in an NMI handler (until IRET) */
		__u8 pad[6];
	} nmi;
	__u8 interrupt_shadow;	/* after STI / MOV SS */
	__u8 pad[7];
	__u64 reserved[4];
};

struct domus_interrupt {
	__u32 vector;		/* 32..255 (DOMUS_DOMAIN_XEN), 0..255 (plain, _XEN_HVM) */
	__u32 reserved;
};

#define DOMUS_RUN		_IO(DOMUS_IOCTL_TYPE, 0x20)
#define DOMUS_GET_REGS		_IOR(DOMUS_IOCTL_TYPE, 0x21, struct domus_regs)
#define DOMUS_SET_REGS		_IOW(DOMUS_IOCTL_TYPE, 0x22, struct domus_regs)
#define DOMUS_GET_SREGS		_IOR(DOMUS_IOCTL_TYPE, 0x23, struct domus_sregs)
#define DOMUS_SET_SREGS		_IOW(DOMUS_IOCTL_TYPE, 0x24, struct domus_sregs)
#define DOMUS_GET_MSRS		_IOW(DOMUS_IOCTL_TYPE, 0x25, struct domus_msrs)
#define DOMUS_SET_MSRS		_IOW(DOMUS_IOCTL_TYPE, 0x26, struct domus_msrs)
#define DOMUS_GET_FPU		_IOR(DOMUS_IOCTL_TYPE, 0x27, struct domus_fpu)
#define DOMUS_SET_FPU		_IOW(DOMUS_IOCTL_TYPE, 0x28, struct domus_fpu)
#define DOMUS_GET_EVENTS	_IOR(DOMUS_IOCTL_TYPE, 0x29, struct domus_events)
#define DOMUS_SET_EVENTS	_IOW(DOMUS_IOCTL_TYPE, 0x2a, struct domus_events)
/* Queue an external interrupt; it is injected when the guest can take it. */
#define DOMUS_INTERRUPT		_IOW(DOMUS_IOCTL_TYPE, 0x2b, struct domus_interrupt)
/* Queue an NMI. */
#define DOMUS_NMI		_IO(DOMUS_IOCTL_TYPE, 0x2c)

/*
 * Benchmark builds only (domus.ko built with -DDOMUS_BENCH by
 * bench/floor-build; a normal module answers -ENOTTY): the floor of an
 * exit.  Enter the guest, take a CPUID exit, step over the instruction
 * (2 bytes) and enter again, @n times, with nothing else: no CPUID
 * answer, no event injection, no FPU/XCR0/MSR swap, no counters.  Host
 * interrupts that end a run are counted in @other and the guest entered
 * again; any other exit stops the loop with its backend exit code in
 * @exit_code.  bench/exits divides the time by @done for its floor row.
 */
struct domus_bench_floor {
	__u32 n;		/* in: CPUID exits to take, 1..DOMUS_BENCH_FLOOR_MAX */
	__u32 done;		/* out: CPUID exits taken */
	__u32 other;		/* out: host interrupts (and NMIs) that ended a run */
	__u32 stopped;		/* out: 1 if an exit of another kind ended the loop */
	__u64 exit_code;	/* out: that exit's code (SVM exit code, VMX basic reason) */
	__u64 reserved[3];	/* in: must be zero */
};
#define DOMUS_BENCH_FLOOR_MAX	10000000u
#define DOMUS_BENCH_FLOOR	_IOWR(DOMUS_IOCTL_TYPE, 0x2d, struct domus_bench_floor)

/* --- the run page: mmap(vcpu fd, offset 0, 4096) ------------------------- */

enum domus_exit_reason {
	DOMUS_EXIT_NONE = 0,
	DOMUS_EXIT_IO = 1,		/* port I/O: run->io */
	DOMUS_EXIT_MMIO = 2,		/* memory access outside RAM: run->mmio */
	DOMUS_EXIT_HLT = 3,		/* only with DOMUS_RUN_EXIT_ON_HLT */
	DOMUS_EXIT_HYPERCALL = 4,	/* run->hypercall */
	DOMUS_EXIT_SHUTDOWN = 5,	/* triple fault */
	DOMUS_EXIT_FAIL_ENTRY = 6,	/* run->fail_entry */
	DOMUS_EXIT_EMULATION = 7,	/* run->emulation: cannot emulate */
	DOMUS_EXIT_INTR = 8,		/* a signal is pending: run returned -EINTR */
	DOMUS_EXIT_IRQ_WINDOW = 9,	/* guest can take an interrupt now */
};

/* run->flags, set by userspace before DOMUS_RUN */
#define DOMUS_RUN_EXIT_ON_HLT		(1u << 0)
#define DOMUS_RUN_IRQ_WINDOW		(1u << 1)	/* exit when interruptible */

#define DOMUS_IO_IN	0
#define DOMUS_IO_OUT	1
#define DOMUS_IO_STRING	(1u << 0)	/* io.flags: INS/OUTS (memory, not RAX) */

/* Port I/O data lives in the run page at io.data_offset (count * size bytes). */
#define DOMUS_RUN_DATA_OFFSET	1024
#define DOMUS_RUN_DATA_SIZE	3072

struct domus_run {
	__u32 exit_reason;	/* out: enum domus_exit_reason */
	__u32 flags;		/* in: DOMUS_RUN_* */
	__u8 if_flag;		/* out: guest RFLAGS.IF */
	__u8 ready_for_interrupt; /* out: an interrupt can be injected now */
	__u8 pad[6];
	__u64 reserved[6];
	union {
		struct {
			__u16 port;
			__u8 size;		/* 1, 2 or 4 */
			__u8 direction;		/* DOMUS_IO_IN / OUT */
			__u32 count;		/* elements (string I/O) */
			__u32 data_offset;	/* from the start of the run page */
			__u32 flags;		/* DOMUS_IO_STRING */
		} io;
		struct {
			__u64 gpa;
			__u8 data[8];		/* out for writes, in for reads */
			__u32 len;		/* 1, 2, 4 or 8 */
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		struct {
			__u64 nr;
			__u64 args[6];
			__u64 ret;		/* in: result for the guest */
		} hypercall;
		struct {
			__u64 hw_reason;	/* vendor exit code */
			__u64 hw_info;
		} fail_entry;
		struct {
			__u64 gpa;		/* faulting address, if any */
			__u64 rip;
			__u32 insn_len;
			__u8 insn[16];
			__u32 pad;
		} emulation;
		__u8 raw[256];
	};
};

#ifdef __cplusplus
#define DOMUS_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define DOMUS_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

DOMUS_STATIC_ASSERT(sizeof(struct domus_api_version) == 16, "api_version size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_caps) == 64, "caps size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_global_stats) == 64, "global_stats size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_create_domain) == 32, "create_domain size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_mem_slot) == 64, "mem_slot size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_dirty_log) == 32, "dirty_log size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_create_vcpu) == 32, "create_vcpu size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_cpuid_entry) == 32, "cpuid_entry size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_cpuid) == 32, "cpuid size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_domain_stats) == 320, "domain_stats size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_xen_param) == 32, "xen_param size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_xen_evtchn_bind) == 32, "xen_evtchn_bind size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_xen_evtchn_notify) == 8, "xen_evtchn_notify size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_regs) == 144, "regs size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_segment) == 16, "segment size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_dtable) == 16, "dtable size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_sregs) == 248, "sregs size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_msr_entry) == 16, "msr_entry size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_msrs) == 32, "msrs size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_fpu) == 4160, "fpu size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_events) == 64, "events size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_interrupt) == 8, "interrupt size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_bench_floor) == 48, "bench_floor size");
DOMUS_STATIC_ASSERT(sizeof(struct domus_run) <= DOMUS_RUN_DATA_OFFSET, "run header fits before the data area");
DOMUS_STATIC_ASSERT(DOMUS_RUN_DATA_OFFSET + DOMUS_RUN_DATA_SIZE == 4096, "run page is one page");

#endif /* DOMUS_UAPI_H */
