// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: xen_version (17), console_io (18), vm_assist (21).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/string.h>
#include "xen.h"

static long xen_put_string(struct domus_vcpu *v, u64 gva, const char *s, unsigned int size)
{
	char buf[XEN_CHANGESET_LEN];

	/* the guest buffer has a fixed size; pad with NULs */
	if (size > sizeof(buf))
		size = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	strscpy(buf, s, size);
	return domus_xen_copy_to_guest(v, gva, buf, size) ? -XEN_EFAULT : 0;
}

long xen_hc_version(struct domus_vcpu *v, struct domus_regs *r)
{
	u64 arg = r->rsi;

	switch (r->rdi) {
	case XENVER_version:
		return (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
	case XENVER_extraversion:
		return xen_put_string(v, arg, ".0-domus", XEN_EXTRAVERSION_LEN);
	case XENVER_compile_info: {
		struct xen_compile_info ci;

		memset(&ci, 0, sizeof(ci));
		strscpy(ci.compiler, "domus", sizeof(ci.compiler));
		strscpy(ci.compile_by, "domus", sizeof(ci.compile_by));
		return domus_xen_copy_to_guest(v, arg, &ci, sizeof(ci)) ? -XEN_EFAULT : 0;
	}
	case XENVER_capabilities: {
		/* char[1024]: the string and the rest of the buffer zeroed */
		static const char caps[XEN_CAPABILITIES_LEN] = "hvm-3.0-x86_64 ";

		return domus_xen_copy_to_guest(v, arg, caps, sizeof(caps)) ? -XEN_EFAULT : 0;
	}
	case XENVER_changeset:
		return xen_put_string(v, arg, "domus", XEN_CHANGESET_LEN);
	case XENVER_platform_parameters: {
		u64 virt_start = 0;

		return domus_xen_copy_to_guest(v, arg, &virt_start, 8) ? -XEN_EFAULT : 0;
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
	case XENVER_guest_handle: {
		u8 handle[XEN_GUEST_HANDLE_LEN] = { 0 };

		return domus_xen_copy_to_guest(v, arg, handle, sizeof(handle)) ? -XEN_EFAULT : 0;
	}
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * CONSOLEIO_write goes to userspace: the bytes are copied into the run
 * page's data area and the exit is DOMUS_EXIT_HYPERCALL with nr 18,
 * args[0] = CONSOLEIO_write, args[1] = the number of bytes copied.  The
 * result (the count) is preset in hypercall.ret.  A longer write is cut at
 * DOMUS_RUN_DATA_SIZE bytes and the guest told so (the count is returned).
 */
long xen_hc_console_io(struct domus_vcpu *v, struct domus_regs *r)
{
	unsigned int n;

	if (r->rdi == CONSOLEIO_read)
		return 0;			/* nothing to read */
	if (r->rdi != CONSOLEIO_write)
		return -XEN_ENOSYS;
	n = min_t(u64, (u32)r->rsi, DOMUS_RUN_DATA_SIZE);
	if (domus_xen_copy_from_guest(v, domus_vcpu_run_data(v), r->rdx, n))
		return -XEN_EFAULT;
	domus_vcpu_exit_hypercall(v, XEN_HC_console_io,
				  (const u64[]){ CONSOLEIO_write, n }, 2, n);
	return DOMUS_XEN_TO_USER;
}

/* vm_assist(cmd, type): only the runstate update flag is known. */
long xen_hc_vm_assist(struct domus_vcpu *v, struct domus_regs *r)
{
	struct xen_dom *xd = xen_dom(v);

	if (r->rsi != VMASST_TYPE_runstate_update_flag)
		return -XEN_EINVAL;
	switch (r->rdi) {
	case VMASST_CMD_enable:
		set_bit(VMASST_TYPE_runstate_update_flag, &xd->vm_assist);
		return 0;
	case VMASST_CMD_disable:
		clear_bit(VMASST_TYPE_runstate_update_flag, &xd->vm_assist);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
