// SPDX-License-Identifier: GPL-2.0-only
/*
 * Switching hardware virtualization on and off.
 *
 * The first domain switches it on, on every online CPU (and on CPUs that
 * come online later, through a CPU-hotplug state); the last domain to go
 * switches it off.  If another hypervisor already has it on anywhere
 * (kvm with a VM running), the switch fails with -EBUSY and domus leaves
 * every CPU as it was.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/reboot.h>
#include "core.h"
#include "spec_host.h"

static DEFINE_MUTEX(domus_hw_lock);
static unsigned int domus_hw_users;
static int domus_hp_state = -1;
static DEFINE_PER_CPU(bool, domus_cpu_on);
static atomic_t domus_enable_failed;

static void domus_cpu_enable_fn(void *unused)
{
	if (this_cpu_read(domus_cpu_on))
		return;
	if (domus_arch->cpu_enable()) {
		atomic_inc(&domus_enable_failed);
		return;
	}
	this_cpu_write(domus_cpu_on, true);
	atomic_inc(&domus_live.hw_cpus);
}

static void domus_cpu_disable_fn(void *unused)
{
	if (!this_cpu_read(domus_cpu_on))
		return;
	domus_arch->cpu_disable();
	this_cpu_write(domus_cpu_on, false);
	atomic_dec(&domus_live.hw_cpus);
}

/* Crash or emergency reboot: leave no CPU in virtualization mode. */
static void domus_emergency_disable(void)
{
	domus_cpu_disable_fn(NULL);
}

/*
 * The kernel has one emergency callback slot, and registering a second
 * callback warns.  kvm takes it: 6.1's kvm_intel when it loads, 6.12's
 * kvm_amd and kvm_intel whenever they switch virtualization on (at load
 * with enable_virt_at_load=1, else at their first VM) -- even when that
 * then fails because domus holds the hardware.  KVM's callback switches
 * VMX/SVM off by looking at the CPU, whoever turned it on, so it covers
 * domus too.  So domus holds the slot only while it has the hardware on
 * and no kvm module is loaded: a module notifier gives the slot up the
 * moment kvm starts to load (before kvm_amd/kvm_intel can ask for it) and
 * takes it back once kvm is gone.  With kvm loaded but idle (6.12,
 * enable_virt_at_load=0) nobody holds the slot while domus runs guests:
 * an emergency reboot then leaves SVM/VMX on (docs/architecture.md).
 */
static DEFINE_MUTEX(domus_emergency_lock);
static bool domus_emergency_wanted;	/* the hardware is on */
static bool domus_emergency_registered;
static bool domus_kvm_coming;		/* kvm is loading or loaded (notifier) */
static bool domus_notifier_registered;

static bool domus_kvm_loaded(void)
{
	if (!__symbol_get("kvm_rebooting"))
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

/* Caller holds domus_emergency_lock. */
static void domus_emergency_update(void)
{
	bool want = domus_emergency_wanted && !domus_kvm_coming && !domus_kvm_loaded();

	if (want && !domus_emergency_registered)
		cpu_emergency_register_virt_callback(domus_emergency_disable);
	else if (!want && domus_emergency_registered)
		cpu_emergency_unregister_virt_callback(domus_emergency_disable);
	domus_emergency_registered = want;
}

static void domus_emergency_set(bool wanted)
{
	mutex_lock(&domus_emergency_lock);
	domus_emergency_wanted = wanted;
	domus_emergency_update();
	mutex_unlock(&domus_emergency_lock);
}

static int domus_module_event(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_DONE;
	mutex_lock(&domus_emergency_lock);
	if (state == MODULE_STATE_COMING)
		domus_kvm_coming = true;
	else if (state == MODULE_STATE_GOING)
		domus_kvm_coming = false;
	if (state == MODULE_STATE_COMING || state == MODULE_STATE_GOING)
		domus_emergency_update();
	mutex_unlock(&domus_emergency_lock);
	return NOTIFY_OK;
}

static struct notifier_block domus_module_nb = {
	.notifier_call = domus_module_event,
};

/*
 * At module load: watch kvm come and go.  domus_kvm_coming starts false
 * even when kvm is loaded already: domus_kvm_loaded() covers that case.
 */
void domus_hw_init(void)
{
	domus_notifier_registered = !register_module_notifier(&domus_module_nb);
}

void domus_hw_exit(void)
{
	if (domus_notifier_registered)
		unregister_module_notifier(&domus_module_nb);
	domus_notifier_registered = false;
}

/* Why the hardware is taken, with the fix, in one line. */
static void domus_report_busy(void)
{
	bool svm = domus_hw.vendor == DOMUS_VENDOR_SVM;

#ifdef DOMUS_KVM_VIRT_AT_LOAD
	if (domus_kvm_loaded()) {
		pr_err("cannot start a domain: %s is already in use by another hypervisor: kvm holds it while its guests run and, with kvm.enable_virt_at_load=1 (the default), from the moment %s loads; stop its guests and either 'rmmod %s kvm' or reload it with 'modprobe kvm enable_virt_at_load=0', and try again\n",
		       svm ? "AMD-V" : "VT-x", svm ? "kvm_amd" : "kvm_intel",
		       svm ? "kvm_amd" : "kvm_intel");
		return;
	}
#endif
	pr_err("cannot start a domain: %s is already in use by another hypervisor (kvm?); stop its guests or 'rmmod kvm_amd kvm_intel' and try again\n",
	       svm ? "AMD-V" : "VT-x");
}

static int domus_cpu_online(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	domus_cpu_enable_fn(NULL);
	local_irq_restore(flags);
	return this_cpu_read(domus_cpu_on) ? 0 : -EBUSY;
}

static int domus_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	domus_cpu_disable_fn(NULL);
	local_irq_restore(flags);
	return 0;
}

static int domus_hw_switch_on(void)
{
	int ret;

	ret = domus_arch->hw_setup();
	if (ret)
		return ret;

	cpus_read_lock();
	atomic_set(&domus_enable_failed, 0);
	on_each_cpu(domus_cpu_enable_fn, NULL, 1);
	if (atomic_read(&domus_enable_failed)) {
		on_each_cpu(domus_cpu_disable_fn, NULL, 1);
		cpus_read_unlock();
		domus_arch->hw_teardown();
		domus_report_busy();
		return -EBUSY;
	}
	ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_AP_ONLINE_DYN, "domus:online",
						   domus_cpu_online, domus_cpu_offline);
	if (ret < 0) {
		on_each_cpu(domus_cpu_disable_fn, NULL, 1);
		cpus_read_unlock();
		domus_arch->hw_teardown();
		return ret;
	}
	domus_hp_state = ret;
	cpus_read_unlock();
	domus_emergency_set(true);
	domus_spec_report();
	return 0;
}

static void domus_hw_switch_off(void)
{
	domus_emergency_set(false);
	cpuhp_remove_state_nocalls(domus_hp_state);
	domus_hp_state = -1;
	on_each_cpu(domus_cpu_disable_fn, NULL, 1);
	domus_arch->hw_teardown();
}

int domus_hw_get(void)
{
	int ret = 0;

	mutex_lock(&domus_hw_lock);
	if (domus_hw_users == 0)
		ret = domus_hw_switch_on();
	if (!ret)
		domus_hw_users++;
	mutex_unlock(&domus_hw_lock);
	return ret;
}

void domus_hw_put(void)
{
	mutex_lock(&domus_hw_lock);
	if (!WARN_ON_ONCE(domus_hw_users == 0) && --domus_hw_users == 0)
		domus_hw_switch_off();
	mutex_unlock(&domus_hw_lock);
}
