// SPDX-License-Identifier: GPL-2.0-only
/*
 * domus.ko entry points: backend selection at load time and /dev/domus.
 *
 * Loading only probes the CPU.  Hardware virtualization is switched on
 * when the first domain is created and off after the last one is gone,
 * so a loaded but idle domus leaves the machine as it found it.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <asm/processor.h>
#include "core.h"
#include "spec_host.h"

/* DOMUS_VERSION_STRING: the VERSION file, given by Kbuild */
#ifndef DOMUS_VERSION_STRING
#error "DOMUS_VERSION_STRING not defined: build with the Kbuild file next to VERSION"
#endif

const struct domus_arch_ops *domus_arch;
struct domus_hw domus_hw;

static long domus_dev_get_api_version(void *ctx, void *arg, unsigned long raw)
{
	struct domus_api_version *v = arg;

	if (!domus_all_zero(v->reserved, sizeof(v->reserved)))
		return -EINVAL;
	v->version = DOMUS_API_VERSION;
	return 0;
}

static long domus_dev_get_caps(void *ctx, void *arg, unsigned long raw)
{
	struct domus_caps *c = arg;

	if (!domus_all_zero(c->reserved, sizeof(c->reserved)))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->api_version = DOMUS_API_VERSION;
	c->vendor = domus_hw.vendor;
	c->paging = domus_hw.paging;
	c->max_vcpus = DOMUS_MAX_VCPUS;
	c->features = domus_hw.features;
	c->asids = domus_hw.asids;
	c->max_slots = DOMUS_MAX_SLOTS;
	return 0;
}

static long domus_dev_global_stats(void *ctx, void *arg, unsigned long raw)
{
	struct domus_global_stats *st = arg;

	if (st->reserved0 || !domus_all_zero(st->reserved, sizeof(st->reserved)))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->domains = atomic64_read(&domus_live.domains);
	st->vcpus = atomic64_read(&domus_live.vcpus);
	st->pinned_pages = atomic64_read(&domus_live.pinned_pages);
	st->npt_pages = atomic64_read(&domus_live.npt_pages);
	st->hw_enabled_cpus = atomic_read(&domus_live.hw_cpus);
	return 0;
}

#ifdef DOMUS_TEST_LEAK
/*
 * Test-only build (tests/leak-build, docs/testing.md): every domain created
 * leaks this many pages, charged like the module's own allocations, so the
 * leak checks of the test suites can be shown to fail.  Never in a normal
 * build.
 */
static unsigned int test_leak_pages = 1;
module_param(test_leak_pages, uint, 0444);

static void domus_test_leak(void)
{
	unsigned int i;

	for (i = 0; i < test_leak_pages; i++)
		if (!alloc_page(GFP_KERNEL_ACCOUNT))
			break;
}
#else
static inline void domus_test_leak(void) { }
#endif

#ifdef DOMUS_TEST_FW
/*
 * Test-only build (tests/leak-build): the value the backend's probe reads
 * for the firmware's virtualization MSR (AMD VM_CR, Intel
 * IA32_FEATURE_CONTROL) instead of the CPU's, so the refusal of a CPU
 * whose firmware disabled virtualization can be shown on test hosts
 * whose emulators cannot set those MSRs (docs/testing.md).  ~0: the
 * CPU's own value.
 */
static unsigned long long test_fw_msr = ~0ULL;
module_param(test_fw_msr, ullong, 0444);

int domus_fw_msr(u32 msr, u64 *val)
{
	if (test_fw_msr != ~0ULL) {
		*val = test_fw_msr;
		return 0;
	}
	return domus_rdmsr_safe(msr, val);
}
#endif

static long domus_dev_create_domain(void *ctx, void *arg, unsigned long raw)
{
	long fd;

	if (!domus_arch->vcpu_run)
		return -EOPNOTSUPP;	/* this backend only probes so far */
	fd = domus_create_domain(arg);
	if (fd >= 0)
		domus_test_leak();
	return fd;
}

static const struct domus_ioctl_desc domus_dev_ioctls[] = {
	DOMUS_IOCTL_ENTRY(DOMUS_GET_API_VERSION, domus_dev_get_api_version),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_CAPS, domus_dev_get_caps),
	DOMUS_IOCTL_ENTRY(DOMUS_GET_GLOBAL_STATS, domus_dev_global_stats),
	DOMUS_IOCTL_ENTRY(DOMUS_CREATE_DOMAIN, domus_dev_create_domain),
};

static long domus_dev_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	return domus_ioctl_dispatch(domus_dev_ioctls,
				    ARRAY_SIZE(domus_dev_ioctls), NULL, cmd, arg);
}

static const struct file_operations domus_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= domus_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice domus_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "domus",
	.fops	= &domus_dev_fops,
	.mode	= 0600,
};

static const struct domus_arch_ops *domus_pick_backend(void)
{
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &domus_svm_ops;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		return &domus_vmx_ops;
	default:
		return NULL;
	}
}

static int __init domus_init(void)
{
	const struct domus_arch_ops *ops = domus_pick_backend();
	int ret;

	if (!ops) {
		pr_err("cannot load: CPU vendor '%s' has neither AMD-V nor VT-x; run domus on an AMD or Intel x86-64 CPU\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}
	ret = domus_pers_init();
	if (ret)
		return ret;
	ret = ops->probe(&domus_hw);
	if (ret)
		return ret;
	domus_arch = ops;
	domus_exits_init();
	ret = domus_spec_init(domus_hw.vendor == DOMUS_VENDOR_VMX);
	if (ret)
		return ret;

	domus_hw_init();
	ret = misc_register(&domus_miscdev);
	if (ret) {
		pr_err("cannot load: registering /dev/domus failed (%d)\n", ret);
		domus_hw_exit();
		domus_spec_cleanup();
		return ret;
	}
	pr_debug("%s backend ready\n", ops->name);
	return 0;
}

static void __exit domus_exit(void)
{
	misc_deregister(&domus_miscdev);
	domus_hw_exit();
	domus_spec_cleanup();
}

module_init(domus_init);
module_exit(domus_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("domus: Xen-style hypervisor on AMD-V and Intel VT-x");
MODULE_VERSION(DOMUS_VERSION_STRING);
