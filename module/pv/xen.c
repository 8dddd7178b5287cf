// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Xen PVH personality: what a domain created with DOMUS_DOMAIN_XEN
 * sees instead of bare hardware.  This file holds the table-driven
 * hypercall dispatcher (number -> handler; unknown hypercalls and sub-ops
 * return -ENOSYS to the guest), the Xen CPUID leaves and the lifetime of
 * the personality's domain and vCPU state.  The families live in their own
 * files (version.c, memory.c, hvm.c, time.c, evtchn.c, sched.c, apic.c,
 * msr.c).  Every pointer a guest passes is a guest-virtual address copied
 * through the page walker; a bad one gives -EFAULT to the guest, never a
 * host fault.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "xen.h"

/* --- guest memory by virtual address ------------------------------------ */

int domus_xen_copy_from_guest(struct domus_vcpu *v, void *dst, u64 gva, unsigned int len)
{
	return domus_copy_guest_virt(v, gva, dst, len, false);
}

int domus_xen_copy_to_guest(struct domus_vcpu *v, u64 gva, const void *src, unsigned int len)
{
	return domus_copy_guest_virt(v, gva, (void *)src, len, true);
}

void xen_vcpu_notify(struct domus_vcpu *v)
{
	domus_vcpu_notify(v);
}

/* --- dispatch ---------------------------------------------------------------- */

static const xen_hcall_fn xen_hcalls[XEN_HC_MAX] = {
	[XEN_HC_memory_op] = xen_hc_memory_op,
	[XEN_HC_set_timer_op] = xen_hc_set_timer_op,
	[XEN_HC_xen_version] = xen_hc_version,
	[XEN_HC_console_io] = xen_hc_console_io,
	[XEN_HC_grant_table_op] = xen_hc_grant_table_op,
	[XEN_HC_vm_assist] = xen_hc_vm_assist,
	[XEN_HC_vcpu_op] = xen_hc_vcpu_op,
	[XEN_HC_sched_op] = xen_hc_sched_op,
	[XEN_HC_event_channel_op] = xen_hc_event_channel_op,
	[XEN_HC_hvm_op] = xen_hc_hvm_op,
};

static int xen_hypercall(struct domus_vcpu *v, struct domus_regs *r)
{
	u64 nr = r->rax;
	xen_hcall_fn fn = nr < XEN_HC_MAX ? xen_hcalls[nr] : NULL;
	long ret;

	/* only the guest kernel may call Xen (CPL 0) */
	if (domus_vcpu_cpl(v) != 0) {
		r->rax = -XEN_EPERM;
		return 1;
	}
	ret = fn ? fn(v, r) : -XEN_ENOSYS;
	if (ret == DOMUS_XEN_TO_USER) {
		domus_vcpu_complete_in_user(v);
		return 0;
	}
	if (ret == -XEN_ENOSYS)
		pr_debug("xen: vcpu %u: hypercall %llu (op %llu) not implemented\n",
			 v->id, nr, r->rdi);
	r->rax = ret;
	return 1;
}

/* --- CPUID ------------------------------------------------------------------- */

static bool xen_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	if (fn < XEN_CPUID_BASE || fn > XEN_CPUID_BASE + 0xffff)
		return false;
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (fn) {
	case XEN_CPUID_BASE:
		out[0] = XEN_CPUID_LAST;
		out[1] = XEN_SIG_EBX;
		out[2] = XEN_SIG_ECX;
		out[3] = XEN_SIG_EDX;
		break;
	case XEN_CPUID_BASE + 1:
		out[0] = (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
		break;
	case XEN_CPUID_BASE + 2:
		out[0] = 1;			/* hypercall pages */
		out[1] = XEN_HCALL_PAGE_MSR;
		break;
	case XEN_CPUID_BASE + 3:
		if (idx == 0) {
			out[0] = (xen_dom(v)->tsc_flags & XEN_PVCLOCK_TSC_STABLE) ? 1u << 1 : 0;
			out[2] = tsc_khz;
		} else if (idx == 2) {
			out[0] = tsc_khz;
		}
		break;
	case XEN_CPUID_BASE + 4:
		out[0] = XEN_HVM_CPUID_VCPU_ID | XEN_HVM_CPUID_DOMID;
		out[1] = v->id;
		out[2] = XEN_DOMID;
		break;
	case XEN_CPUID_BASE + 5:
		out[1] = boot_cpu_data.x86_phys_bits;
		break;
	}
	return true;
}

/* --- port I/O ------------------------------------------------------------------ */

/*
 * A PVH domU has no emulated devices.  The legacy ports Linux probes
 * anyway (PIC, PIT and its gate at 0x61, CMOS, POST, ELCR, PCI config
 * mechanism 1) are answered here, as Xen does: reads all-ones, writes
 * dropped.  The loader's ACPI sleep ports end the domain on an S5 write
 * (lifecycle.c).  Everything else (0xE9, ...) goes to userspace.
 * 1 answered, 0 exit (run filled), -1 not handled.
 *
 * One exception: PIT channel 2's counter (port 0x42) reads 0, not 0xff.
 * Linux 6.1 measures the CPU clock with quick_pit_calibrate() before it
 * asks anything of Xen (x86_platform.calibrate_cpu stays native on a
 * Xen guest; the TSC rate itself comes from pvclock): it polls 0x42
 * until the counter's high byte leaves 0xff, up to 50,000 times, two
 * reads each, which was 133,000 of a boot's 135,000 exits.  A counter
 * that does not read 0xff ends the poll at its first read; Linux then
 * takes the CPU clock from the pvclock TSC rate as well.
 */
#define XEN_PIT_CH2_PORT	0x42

static int xen_pio(struct domus_vcpu *v, u16 port, u8 size, bool in, u32 *val)
{
	bool legacy = port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 ||
		      (port >= 0x40 && port <= 0x43) || port == 0x61 ||
		      port == 0x70 || port == 0x71 || port == 0x80 ||
		      port == 0x4d0 || port == 0x4d1 || (port >= 0xcf8 && port <= 0xcff);

	if (!legacy)
		return xen_pio_acpi(v, port, in, val);
	if (in)
		*val = port == XEN_PIT_CH2_PORT ? 0 : ~0u;
	return 1;
}

/* --- events owed to the vCPU before it enters -------------------------------- */

static void xen_sync_events(struct domus_vcpu *v)
{
	xen_time_refresh(xen_vcpu(v));
	xen_evtchn_sync(xen_vcpu(v));
}

/* --- lifetime ------------------------------------------------------------------- */

static int xen_domain_init(struct domus_domain *dom)
{
	struct xen_dom *xd = kvzalloc(sizeof(*xd), GFP_KERNEL_ACCOUNT);

	if (!xd)
		return -ENOMEM;
	xd->dom = dom;
	xd->hvm = dom->pers == &domus_xen_hvm_personality;
	spin_lock_init(&xd->lock);
	mutex_init(&xd->gnt_mutex);
	xd->gnt_version = 1;
	xd->gnt_max_version = 2;
	xen_be_init(xd);
	xen_time_domain_init(xd);
	dom->pers_data = xd;
	return 0;
}

static void xen_domain_free(struct domus_domain *dom)
{
	struct xen_dom *xd = dom->pers_data;

	if (!xd)
		return;
	xen_be_free(xd);	/* no kick can raise a port after this */
	xen_gnttab_free(xd);
	xen_fifo_free(xd);
	xen_memory_free(xd);
	kvfree(xd);
	dom->pers_data = NULL;
}

static int xen_vcpu_init(struct domus_vcpu *v)
{
	struct xen_dom *xd = xen_dom(v);
	struct xen_vcpu *xv;
	unsigned long flags;

	BUILD_BUG_ON(ARRAY_SIZE(xd->vcpus) < DOMUS_MAX_VCPUS);
	xv = kzalloc(sizeof(*xv), GFP_KERNEL_ACCOUNT);
	if (!xv)
		return -ENOMEM;
	xv->v = v;
	xv->xd = xd;
	xv->id = v->id;
	/* APs wait for INIT/STARTUP (lifecycle.c); PVHVM: userspace starts them */
	xv->wait_sipi = v->id > 0 && !xd->hvm;
	xen_time_vcpu_init(xv);
	xen_apic_init(xv);

	spin_lock_irqsave(&xd->lock, flags);
	if (xd->vcpus[v->id]) {
		spin_unlock_irqrestore(&xd->lock, flags);
		kfree(xv);
		return -EEXIST;
	}
	xd->vcpus[v->id] = xv;
	if (xd->si && v->id < XEN_LEGACY_MAX_VCPUS)
		xen_write_time_info(xd, xv, &xd->si->vcpu_info[v->id]);
	spin_unlock_irqrestore(&xd->lock, flags);
	v->pers_data = xv;
	return 0;
}

static void xen_vcpu_free(struct domus_vcpu *v)
{
	struct xen_vcpu *xv = xen_vcpu(v);
	struct xen_dom *xd;
	unsigned long flags;

	if (!xv)
		return;		/* xen_vcpu_init() failed */
	xd = xv->xd;
	spin_lock_irqsave(&xd->lock, flags);
	xd->vcpus[xv->id] = NULL;
	spin_unlock_irqrestore(&xd->lock, flags);
	/* no one can find it now; stop its timers before freeing */
	xen_time_vcpu_free(xv);
	xen_apic_free(xv);
	kfree(xv);
	v->pers_data = NULL;
}

/* --- domain-fd ioctls (after the core's, pers.h) ------------------------------ */

static long xen_ioc_set_param(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_param_ioctl(ctx, arg, true);
}

static long xen_ioc_get_param(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_param_ioctl(ctx, arg, false);
}

static long xen_ioc_evtchn_bind(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_evtchn_bind_ioctl(ctx, arg);
}

static long xen_ioc_evtchn_notify(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_evtchn_notify_ioctl(ctx, arg);
}

static long xen_ioc_gnttab_limit(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_gnttab_limit_ioctl(ctx, arg);
}

static long xen_ioc_get_vcpu_state(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_vcpu_state_ioctl(ctx, arg, false);
}

static long xen_ioc_set_vcpu_state(void *ctx, void *arg, unsigned long raw)
{
	return domus_xen_vcpu_state_ioctl(ctx, arg, true);
}

static const struct domus_ioctl_desc xen_ioctls[] = {
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_SET_PARAM, xen_ioc_set_param),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_GET_PARAM, xen_ioc_get_param),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_EVTCHN_BIND, xen_ioc_evtchn_bind),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_EVTCHN_NOTIFY, xen_ioc_evtchn_notify),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_GNTTAB_LIMIT, xen_ioc_gnttab_limit),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_GET_VCPU_STATE, xen_ioc_get_vcpu_state),
	DOMUS_IOCTL_ENTRY(DOMUS_XEN_SET_VCPU_STATE, xen_ioc_set_vcpu_state),
};

const struct domus_personality domus_xen_personality = {
	.name		= "xen",
	.create_flag	= DOMUS_DOMAIN_XEN,
	.ioctls		= xen_ioctls,
	.nioctls	= ARRAY_SIZE(xen_ioctls),
	.min_irq_vector	= 32,		/* its LAPIC (apic.c) owns the vectors */
	.domain_init	= xen_domain_init,
	.domain_free	= xen_domain_free,
	.vcpu_init	= xen_vcpu_init,
	.vcpu_free	= xen_vcpu_free,
	.cpuid		= xen_cpuid,
	.cpuid_post	= xen_cpuid_post,
	.hypercall	= xen_hypercall,
	.msr		= xen_msr,
	.pio		= xen_pio,
	.sync_events	= xen_sync_events,
	.hlt		= xen_hlt,
	.pre_run	= xen_pre_run,
	.mmap		= xen_gnttab_mmap,
	.log_dirty	= xen_log_dirty,
	.apic_base	= xen_apic_base_changed,
};

/*
 * PVHVM: the same Xen ABI on a firmware HVM domain (a PC of the launcher's
 * device model).  The guest finds Xen by CPUID, installs the hypercall
 * page, places shared_info and grant frames (in the platform device's
 * BAR), and takes its upcalls as the domain-wide callback vector injected
 * like any external interrupt.  Port I/O, HLT, vCPU start-up and the APIC
 * base stay the plain core's: the launcher's 8259, PIT, UART and disks
 * answer them (docs/devices.md "Xen platform device").
 */
const struct domus_personality domus_xen_hvm_personality = {
	.name		= "xen-hvm",
	.create_flag	= DOMUS_DOMAIN_XEN_HVM,
	.ioctls		= xen_ioctls,
	.nioctls	= ARRAY_SIZE(xen_ioctls),
	.min_irq_vector	= 0,		/* the launcher's 8259 picks any vector */
	.domain_init	= xen_domain_init,
	.domain_free	= xen_domain_free,
	.vcpu_init	= xen_vcpu_init,
	.vcpu_free	= xen_vcpu_free,
	.cpuid		= xen_cpuid,
	.cpuid_post	= domus_pers_default_cpuid_post,
	.hypercall	= xen_hypercall,
	.msr		= xen_hvm_msr,
	.pio		= domus_pers_default_pio,
	.sync_events	= xen_sync_events,
	.hlt		= domus_pers_default_hlt,
	.pre_run	= domus_pers_default_pre_run,
	.mmap		= xen_gnttab_mmap,
	.log_dirty	= xen_log_dirty,
	.apic_base	= domus_pers_default_apic_base,
};
