/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Facts of the Xen guest ABI that the PVH personality implements
 * (numbers and layouts from Xen's public interface, restated; see
 * ../shared/docs/pvh-abi.md).  Our own definitions, not Xen's headers;
 * every guest-visible layout is pinned with static_asserts.
 */
#ifndef DOMUS_XEN_ABI_H
#define DOMUS_XEN_ABI_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>

/* CPUID: the Xen leaves at 0x40000000 */
#define XEN_CPUID_BASE		0x40000000u
#define XEN_CPUID_LAST		(XEN_CPUID_BASE + 5)
#define XEN_SIG_EBX		0x566e6558u	/* "XenV" */
#define XEN_SIG_ECX		0x65584d4du	/* "MMXe" */
#define XEN_SIG_EDX		0x4d4d566eu	/* "nVMM" */
#define XEN_VERSION_MAJOR	4
#define XEN_VERSION_MINOR	17
#define XEN_HCALL_PAGE_MSR	0x40000000u
#define XEN_HVM_CPUID_VCPU_ID	(1u << 3)
#define XEN_HVM_CPUID_DOMID	(1u << 4)

/* hypercall numbers */
enum {
	XEN_HC_memory_op = 12,
	XEN_HC_set_timer_op = 15,
	XEN_HC_xen_version = 17,
	XEN_HC_console_io = 18,
	XEN_HC_grant_table_op = 20,
	XEN_HC_vm_assist = 21,
	XEN_HC_vcpu_op = 24,
	XEN_HC_sched_op = 29,
	XEN_HC_event_channel_op = 32,
	XEN_HC_physdev_op = 33,
	XEN_HC_hvm_op = 34,
	XEN_HC_MAX = 64,
};

/* errno values the guest sees (the x86 Linux numbers) */
#define XEN_EPERM	1
#define XEN_ENOENT	2
#define XEN_ESRCH	3
#define XEN_EAGAIN	11
#define XEN_ENOMEM	12
#define XEN_EFAULT	14
#define XEN_EBUSY	16
#define XEN_EEXIST	17
#define XEN_EINVAL	22
#define XEN_ENOSPC	28
#define XEN_ERANGE	34
#define XEN_ENOSYS	38
#define XEN_ETIME	62
#define XEN_EOPNOTSUPP	95

#define XEN_DOMID_SELF	0x7ff0

/* grant_table_op per-element status (GNTST_*) and entry flags (GTF_*) */
#define GNTST_okay		0
#define GNTST_general_error	(-1)
#define GNTST_bad_domain	(-2)
#define GNTST_bad_virt_addr	(-5)
#define GTF_type_mask		3u
#define GTF_permit_access	1u
#define GTF_reading		(1u << 3)
#define GTF_writing		(1u << 4)

/* --- xen_version ---------------------------------------------------------- */
enum {
	XENVER_version = 0,
	XENVER_extraversion = 1,
	XENVER_compile_info = 2,
	XENVER_capabilities = 3,
	XENVER_changeset = 4,
	XENVER_platform_parameters = 5,
	XENVER_get_features = 6,
	XENVER_pagesize = 7,
	XENVER_guest_handle = 8,
};
#define XEN_EXTRAVERSION_LEN	16
#define XEN_CAPABILITIES_LEN	1024
#define XEN_CHANGESET_LEN	64
#define XEN_GUEST_HANDLE_LEN	16

/* XENVER_get_features submap 0 */
#define XENFEAT_writable_page_tables	(1u << 0)
#define XENFEAT_auto_translated_physmap	(1u << 2)
#define XENFEAT_hvm_callback_vector	(1u << 8)
#define XENFEAT_hvm_safe_pvclock	(1u << 9)

struct xen_feature_info {
	u32 submap_idx;
	u32 submap;
};
static_assert(sizeof(struct xen_feature_info) == 8);

struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};
static_assert(sizeof(struct xen_compile_info) == 144);

/* --- console_io ------------------------------------------------------------ */
enum {
	CONSOLEIO_write = 0,
	CONSOLEIO_read = 1,
};

/* --- vm_assist ------------------------------------------------------------- */
#define VMASST_CMD_enable		0
#define VMASST_CMD_disable		1
#define VMASST_TYPE_runstate_update_flag 5

/* --- memory_op -------------------------------------------------------------- */
enum {
	XENMEM_increase_reservation = 0,
	XENMEM_decrease_reservation = 1,
	XENMEM_maximum_ram_page = 2,
	XENMEM_current_reservation = 3,
	XENMEM_maximum_reservation = 4,
	XENMEM_populate_physmap = 6,
	XENMEM_add_to_physmap = 7,
	XENMEM_memory_map = 9,
};
#define XENMEM_CMD_MASK		0x3f	/* above: continuation extent */

enum {
	XENMAPSPACE_shared_info = 0,
	XENMAPSPACE_grant_table = 1,
	XENMAPSPACE_gmfn = 2,
	XENMAPSPACE_gmfn_range = 3,
};

struct xen_add_to_physmap {
	u16 domid;
	u16 size;
	u32 space;
	u64 idx;
	u64 gpfn;
};
static_assert(sizeof(struct xen_add_to_physmap) == 24);
static_assert(offsetof(struct xen_add_to_physmap, gpfn) == 16);

struct xen_memory_map {
	u32 nr_entries;
	u32 pad;
	u64 buffer;		/* GVA of e820 entries */
};
static_assert(sizeof(struct xen_memory_map) == 16);

struct xen_memory_reservation {
	u64 extent_start;	/* GVA of u64 GFNs */
	u64 nr_extents;
	u32 extent_order;
	u32 mem_flags;
	u16 domid;
	u16 pad[3];
};
static_assert(sizeof(struct xen_memory_reservation) == 32);

/* --- hvm_op ------------------------------------------------------------------ */
enum {
	HVMOP_set_param = 0,
	HVMOP_get_param = 1,
	HVMOP_pagetable_dying = 9,
	HVMOP_get_time = 10,
	HVMOP_set_evtchn_upcall_vector = 23,
};

struct xen_hvm_param {
	u16 domid;
	u16 pad;
	u32 index;
	u64 value;
};
static_assert(sizeof(struct xen_hvm_param) == 16);
static_assert(offsetof(struct xen_hvm_param, value) == 8);

#define HVM_PARAM_CALLBACK_IRQ		0
#define HVM_PARAM_STORE_PFN		1
#define HVM_PARAM_STORE_EVTCHN		2
#define HVM_PARAM_CONSOLE_PFN		17
#define HVM_PARAM_CONSOLE_EVTCHN	18
#define HVM_NR_PARAMS			40
#define HVM_PARAM_CALLBACK_TYPE_SHIFT	56
#define HVM_PARAM_CALLBACK_TYPE_GSI	0	/* bits 7:0 GSI (0: none) */
#define HVM_PARAM_CALLBACK_TYPE_PCI_INTX 1	/* bits 15:11 device, 1:0 INTx pin */
#define HVM_PARAM_CALLBACK_TYPE_VECTOR	2	/* bits 7:0 vector */

/* HVMOP_set_evtchn_upcall_vector: 8 bytes with the tail padding */
struct xen_hvm_evtchn_upcall_vector {
	u32 vcpu;
	u8 vector;
	u8 pad[3];
};
static_assert(sizeof(struct xen_hvm_evtchn_upcall_vector) == 8);

/* --- vcpu_op ------------------------------------------------------------------ */
enum {
	VCPUOP_initialise = 0,
	VCPUOP_up = 1,
	VCPUOP_down = 2,
	VCPUOP_is_up = 3,
	VCPUOP_get_runstate_info = 4,
	VCPUOP_register_runstate_memory_area = 5,
	VCPUOP_set_periodic_timer = 6,
	VCPUOP_stop_periodic_timer = 7,
	VCPUOP_set_singleshot_timer = 8,
	VCPUOP_stop_singleshot_timer = 9,
	VCPUOP_register_vcpu_info = 10,
	VCPUOP_send_nmi = 11,
	VCPUOP_get_physid = 12,
	VCPUOP_register_vcpu_time_memory_area = 13,
};

struct xen_vcpu_set_singleshot_timer {
	u64 timeout_abs_ns;
	u32 flags;
	u32 pad;
};
static_assert(sizeof(struct xen_vcpu_set_singleshot_timer) == 16);
#define VCPU_SSHOTTMR_future	(1u << 0)

struct xen_vcpu_register_vcpu_info {
	u64 mfn;
	u32 offset;
	u32 rsvd;
};
static_assert(sizeof(struct xen_vcpu_register_vcpu_info) == 16);

/* --- sched_op ----------------------------------------------------------------- */
enum {
	SCHEDOP_yield = 0,
	SCHEDOP_block = 1,
	SCHEDOP_shutdown = 2,
	SCHEDOP_poll = 3,
	SCHEDOP_remote_shutdown = 4,
	SCHEDOP_shutdown_code = 5,
	SCHEDOP_watchdog = 6,
	SCHEDOP_pin_override = 7,
};

struct xen_sched_poll {
	u64 ports;		/* GVA of u32 ports */
	u32 nr_ports;
	u32 pad;
	u64 timeout;		/* absolute system time, 0 = none */
};
static_assert(sizeof(struct xen_sched_poll) == 24);
#define XEN_POLL_MAX_PORTS	128

/* --- event_channel_op ------------------------------------------------------------ */
enum {
	EVTCHNOP_bind_interdomain = 0,
	EVTCHNOP_bind_virq = 1,
	EVTCHNOP_bind_pirq = 2,
	EVTCHNOP_close = 3,
	EVTCHNOP_send = 4,
	EVTCHNOP_status = 5,
	EVTCHNOP_alloc_unbound = 6,
	EVTCHNOP_bind_ipi = 7,
	EVTCHNOP_bind_vcpu = 8,
	EVTCHNOP_unmask = 9,
	EVTCHNOP_reset = 10,
	EVTCHNOP_init_control = 11,
	EVTCHNOP_expand_array = 12,
	EVTCHNOP_set_priority = 13,
	EVTCHNOP_reset_cont = 14,
};

struct xen_evtchn_bind_virq {
	u32 virq;
	u32 vcpu;
	u32 port;		/* out */
};
static_assert(sizeof(struct xen_evtchn_bind_virq) == 12);

struct xen_evtchn_bind_ipi {
	u32 vcpu;
	u32 port;		/* out */
};
static_assert(sizeof(struct xen_evtchn_bind_ipi) == 8);

struct xen_evtchn_alloc_unbound {
	u16 dom;
	u16 remote_dom;
	u32 port;		/* out */
};
static_assert(sizeof(struct xen_evtchn_alloc_unbound) == 8);

struct xen_evtchn_bind_interdomain {
	u16 remote_dom;
	u16 pad;
	u32 remote_port;
	u32 local_port;		/* out */
};
static_assert(sizeof(struct xen_evtchn_bind_interdomain) == 12);

struct xen_evtchn_bind_vcpu {
	u32 port;
	u32 vcpu;
};
static_assert(sizeof(struct xen_evtchn_bind_vcpu) == 8);

struct xen_evtchn_status {
	u16 dom;
	u16 pad;
	u32 port;
	u32 status;		/* out: XEN_ECS_* */
	u32 vcpu;		/* out */
	union {
		struct { u16 dom; } unbound;
		struct { u16 dom; u16 pad; u32 port; } interdomain;
		u32 pirq;
		u32 virq;
	} u;			/* out */
};
static_assert(sizeof(struct xen_evtchn_status) == 24);
static_assert(offsetof(struct xen_evtchn_status, u) == 16);

/*
 * FIFO-based event channels (EVTCHNOP_init_control 11, expand_array 12,
 * set_priority 13): a 32-bit event word per port in guest "event array"
 * pages, and per vCPU a control block (READY bitmap + a HEAD port per
 * priority queue) inside a guest page.
 */
struct xen_evtchn_init_control {
	u64 control_gfn;	/* in */
	u32 offset;		/* in: of the control block in the page */
	u32 vcpu;		/* in */
	u8 link_bits;		/* out */
	u8 pad[7];
};
static_assert(sizeof(struct xen_evtchn_init_control) == 24);
static_assert(offsetof(struct xen_evtchn_init_control, link_bits) == 16);

struct xen_evtchn_expand_array {
	u64 array_gfn;		/* in */
};
static_assert(sizeof(struct xen_evtchn_expand_array) == 8);

struct xen_evtchn_set_priority {
	u32 port;
	u32 priority;
};
static_assert(sizeof(struct xen_evtchn_set_priority) == 8);

#define XEN_FIFO_MAX_QUEUES	16
#define XEN_FIFO_PRIO_MAX	0	/* highest priority */
#define XEN_FIFO_PRIO_DEFAULT	7
#define XEN_FIFO_PRIO_MIN	15

struct xen_fifo_control_block {
	u32 ready;		/* bit per priority with a non-empty queue */
	u32 pad;
	u32 head[XEN_FIFO_MAX_QUEUES];
};
static_assert(sizeof(struct xen_fifo_control_block) == 72);
static_assert(offsetof(struct xen_fifo_control_block, head) == 8);

/* the event word */
#define XEN_FIFO_PENDING	31
#define XEN_FIFO_MASKED		30
#define XEN_FIFO_LINKED		29
#define XEN_FIFO_BUSY		28
#define XEN_FIFO_LINK_BITS	17
#define XEN_FIFO_LINK_MASK	((1u << XEN_FIFO_LINK_BITS) - 1)
#define XEN_FIFO_WORDS_PER_PAGE	(4096 / 4)

/* port states (also EVTCHNOP_status values) */
enum {
	XEN_ECS_CLOSED = 0,
	XEN_ECS_UNBOUND = 1,
	XEN_ECS_INTERDOMAIN = 2,
	XEN_ECS_PIRQ = 3,
	XEN_ECS_VIRQ = 4,
	XEN_ECS_IPI = 5,
};

#define XEN_VIRQ_TIMER		0
#define XEN_VIRQ_DEBUG		1
#define XEN_NR_VIRQS		24

/* --- shared memory layouts --------------------------------------------------------- */
struct xen_vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad1[2];
};
static_assert(sizeof(struct xen_vcpu_time_info) == 32);
#define XEN_PVCLOCK_TSC_STABLE	(1u << 0)

struct xen_vcpu_info {
	u8 evtchn_upcall_pending;
	u8 evtchn_upcall_mask;
	u8 pad[6];
	u64 evtchn_pending_sel;
	u64 cr2;
	u64 arch_pad;
	struct xen_vcpu_time_info time;
};
static_assert(sizeof(struct xen_vcpu_info) == 64);
static_assert(offsetof(struct xen_vcpu_info, evtchn_pending_sel) == 8);
static_assert(offsetof(struct xen_vcpu_info, time) == 32);

#define XEN_LEGACY_MAX_VCPUS	32
#define XEN_2L_NR_PORTS		4096

struct xen_shared_info {
	struct xen_vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	u64 evtchn_pending[XEN_2L_NR_PORTS / 64];
	u64 evtchn_mask[XEN_2L_NR_PORTS / 64];
	u32 wc_version;
	u32 wc_sec;
	u32 wc_nsec;
	u32 wc_sec_hi;
	u64 arch[6];
};
static_assert(offsetof(struct xen_shared_info, evtchn_pending) == 2048);
static_assert(offsetof(struct xen_shared_info, evtchn_mask) == 2560);
static_assert(offsetof(struct xen_shared_info, wc_version) == 3072);
static_assert(offsetof(struct xen_shared_info, wc_sec_hi) == 3084);
static_assert(sizeof(struct xen_shared_info) <= 4096);

struct xen_runstate_info {
	u32 state;
	u32 pad;
	u64 state_entry_time;
	u64 time[4];
};
static_assert(sizeof(struct xen_runstate_info) == 48);
#define XEN_RUNSTATE_running	0
#define XEN_RUNSTATE_UPDATE	(1ULL << 63)

/* SCHEDOP_shutdown reasons */
#define XEN_SHUTDOWN_poweroff	0
#define XEN_SHUTDOWN_reboot	1
#define XEN_SHUTDOWN_suspend	2
#define XEN_SHUTDOWN_crash	3
#define XEN_SHUTDOWN_watchdog	4
#define XEN_SHUTDOWN_soft_reset	5

#endif /* DOMUS_XEN_ABI_H */
