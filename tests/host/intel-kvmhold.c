// SPDX-License-Identifier: MIT
/*
 * intel-kvmhold: hold a KVM VM (with one vCPU) without running it, until
 * SIGTERM.  For the kvm_intel coexistence test in tests/host/intel-core.sh:
 * KVM switches VT-x on when a VM is created, so an idle VM is enough to
 * hold the hardware.  (tests/host/kvm_holder.c keeps a real-mode guest
 * spinning with interrupts off instead; under Bochs such a guest never
 * leaves guest mode, because Bochs does not turn host interrupts into VM
 * exits while the guest has IF clear, and it would take the test host's
 * only CPU for good.)
 *
 * Prints "intel-kvmhold: holding" once the VM exists; exits 0 after
 * SIGTERM, 1 if KVM refused (the message says where).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

static void on_term(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa;
	int kvm, vm, vcpu;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("intel-kvmhold: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("intel-kvmhold: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		printf("intel-kvmhold: KVM_CREATE_VCPU: %s\n", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("intel-kvmhold: holding\n");
	pause();
	close(vcpu);
	close(vm);
	close(kvm);
	printf("intel-kvmhold: released\n");
	return 0;
}
