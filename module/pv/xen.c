// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Xen PVH personality: what a domain created with DOMUS_DOMAIN_XEN
 * sees instead of bare hardware.  Xen CPUID leaves, and a table-driven
 * hypercall dispatcher (number -> handler); unknown hypercalls and
 * sub-ops return -ENOSYS to the guest.  Every pointer a guest passes is a
 * guest-virtual address copied through the page walker; a bad one gives
 * -EFAULT to the guest, never a host fault.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include "../domus.h"
#include "xen_abi.h"
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

/* --- xen_version ---------------------------------------------------------- */

static long xen_version(struct domus_vcpu *v, struct domus_regs *r)
{
	u64 arg = r->rsi;

	switch (r->rdi) {
	case XENVER_version:
		return (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
	case XENVER_extraversion: {
		char ev[XEN_EXTRAVERSION_LEN] = ".0-domus";

		return domus_xen_copy_to_guest(v, arg, ev, sizeof(ev)) ? -XEN_EFAULT : 0;
	}
	case XENVER_capabilities: {
		static const char caps[] = "hvm-3.0-x86_64 ";

		return domus_xen_copy_to_guest(v, arg, caps, sizeof(caps)) ? -XEN_EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (domus_xen_copy_from_guest(v, &fi, arg, sizeof(fi)))
			return -XEN_EFAULT;
		fi.submap = fi.submap_idx ? 0 :
			XENFEAT_writable_page_tables | XENFEAT_auto_translated_physmap |
			XENFEAT_hvm_callback_vector | XENFEAT_hvm_safe_pvclock;
		return domus_xen_copy_to_guest(v, arg, &fi, sizeof(fi)) ? -XEN_EFAULT : 0;
	}
	case XENVER_pagesize:
		return PAGE_SIZE;
	default:
		return -XEN_ENOSYS;
	}
}

/* --- console_io: the early console (earlyprintk=xen) --------------------- */

/*
 * CONSOLEIO_write goes to userspace: the bytes are copied into the run
 * page's data area and the exit is DOMUS_EXIT_HYPERCALL with nr 18,
 * args[0] = CONSOLEIO_write, args[1] = the number of bytes copied.  The
 * result (the count) is preset in hypercall.ret.
 */
static long xen_console_io(struct domus_vcpu *v, struct domus_regs *r)
{
	struct domus_run *run = v->run;
	unsigned int n;

	if (r->rdi != CONSOLEIO_write)
		return -XEN_ENOSYS;
	n = min_t(u64, r->rsi, DOMUS_RUN_DATA_SIZE);
	if (domus_xen_copy_from_guest(v, (u8 *)run + DOMUS_RUN_DATA_OFFSET, r->rdx, n))
		return -XEN_EFAULT;
	run->exit_reason = DOMUS_EXIT_HYPERCALL;
	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->hypercall.nr = XEN_HC_console_io;
	run->hypercall.args[0] = CONSOLEIO_write;
	run->hypercall.args[1] = n;
	run->hypercall.ret = n;
	return DOMUS_XEN_TO_USER;
}

/* --- dispatch ---------------------------------------------------------------- */

typedef long (*xen_hcall_fn)(struct domus_vcpu *v, struct domus_regs *r);

static const xen_hcall_fn xen_hcalls[XEN_HC_MAX] = {
	[XEN_HC_xen_version] = xen_version,
	[XEN_HC_console_io] = xen_console_io,
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
		v->pend = DOMUS_PEND_HYPERCALL;
		return 0;
	}
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
	case XEN_CPUID_BASE + 4:
		out[0] = XEN_HVM_CPUID_VCPU_ID | XEN_HVM_CPUID_DOMID;
		out[1] = v->id;
		out[2] = 1;			/* domain id */
		break;
	case XEN_CPUID_BASE + 5:
		out[1] = boot_cpu_data.x86_phys_bits;
		break;
	}
	return true;
}

/* --- MSRs: the hypercall page ------------------------------------------------- */

/*
 * Writing a guest-physical page address to MSR 0x40000000 asks for a
 * hypercall page: 128 stubs of 32 bytes, stub i = "mov $i, %eax;
 * vmmcall/vmcall; ret".
 */
static int xen_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	u8 *page;
	int i, ret;

	if (index != XEN_HCALL_PAGE_MSR)
		return 1;
	if (!write) {
		*data = 0;
		return 0;
	}
	if (*data & (PAGE_SIZE - 1))
		return 1;
	page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!page)
		return 1;
	memset(page, 0xcc, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE / 32; i++) {
		u8 *s = page + i * 32;

		s[0] = 0xb8;			/* mov $i, %eax */
		memcpy(s + 1, &i, 4);
		domus_hypercall_insn(s + 5);	/* 3 bytes */
		s[8] = 0xc3;			/* ret */
	}
	ret = domus_write_gpa(v->dom, *data, page, PAGE_SIZE);
	kfree(page);
	return ret ? 1 : 0;
}

/* --- lifetime ------------------------------------------------------------------- */

static int xen_domain_init(struct domus_domain *dom)
{
	return 0;
}

const struct domus_personality domus_xen_personality = {
	.name		= "xen",
	.domain_init	= xen_domain_init,
	.cpuid		= xen_cpuid,
	.hypercall	= xen_hypercall,
	.msr		= xen_msr,
};
