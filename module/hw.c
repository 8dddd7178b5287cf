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
 * The kernel has one emergency callback slot, and kvm_intel takes it when
 * it loads (registering a second one warns).  KVM's callback switches
 * VMX/SVM off by looking at the CPU, whoever turned it on, so while kvm
 * is loaded it covers domus too: only take the slot when kvm is absent.
 */
static bool domus_emergency_registered;

static bool domus_kvm_loaded(void)
{
	if (!__symbol_get("kvm_rebooting"))
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

static void domus_emergency_register(void)
{
	if (domus_kvm_loaded())
		return;
	cpu_emergency_register_virt_callback(domus_emergency_disable);
	domus_emergency_registered = true;
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
	domus_emergency_register();
	domus_spec_report();
	return 0;
}

static void domus_hw_switch_off(void)
{
	if (domus_emergency_registered)
		cpu_emergency_unregister_virt_callback(domus_emergency_disable);
	domus_emergency_registered = false;
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
