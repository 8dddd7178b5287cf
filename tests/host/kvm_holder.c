// SPDX-License-Identifier: MIT
/*
 * kvm_holder: a minimal /dev/kvm client for the coexistence tests in
 * tests/host/amd-core.sh, and for checking the real-mode test guests
 * against the stock KVM.
 *
 *   kvm_holder loop          run real16 T_LOOP until killed; prints
 *                            "kvm_holder: guest running" once the VM exists
 *   kvm_holder try           create a VM and vCPU and run real16 T_HELLO:
 *                            exit 0 if the guest ran, 3 if KVM refused
 *                            (the message says where), 1 on other trouble
 *   kvm_holder run GUEST ID  run a real-mode-entry guest (real16, prot32)
 *                            with test ID; print its console and DONE code
 *
 * Guests are read from build/guests/ (run from the repository top).
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "../guests/guest.h"

static int kvm_fd = -1, vm_fd = -1, vcpu_fd = -1;
static struct kvm_run *run;
static uint8_t *mem;

/* 0 on success; on failure prints which step failed and returns errno */
static int kvm_setup(const char *guest, unsigned int test)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	char path[256];
	int fd, size;
	ssize_t n;

#define STEP(cond, what) do { if (!(cond)) { int e_ = errno; \
	printf("kvm_holder: %s failed: %s\n", what, strerror(e_)); return e_ ? e_ : EIO; } } while (0)

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	STEP(kvm_fd >= 0, "open /dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	STEP(vm_fd >= 0, "KVM_CREATE_VM");
	mem = mmap(NULL, LO_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(mem != MAP_FAILED, "mmap guest memory");
	snprintf(path, sizeof(path), "build/guests/%s.bin", guest);
	fd = open(path, O_RDONLY);
	STEP(fd >= 0, path);
	n = read(fd, mem + GUEST_LOAD, 0x10000);
	close(fd);
	STEP(n > 0, "read guest");
	memset(&region, 0, sizeof(region));
	region.memory_size = LO_RAM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	STEP(ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) == 0, "KVM_SET_USER_MEMORY_REGION");
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	STEP(vcpu_fd >= 0, "KVM_CREATE_VCPU");
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	STEP(size > 0, "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	STEP(run != MAP_FAILED, "mmap kvm_run");
	STEP(ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) == 0, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	STEP(ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) == 0, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD;
	regs.rflags = 2;
	regs.rdi = test;
	STEP(ioctl(vcpu_fd, KVM_SET_REGS, &regs) == 0, "KVM_SET_REGS");
#undef STEP
	return 0;
}

/* Run to PORT_DONE; returns the guest's code, or -errno / -1000 - exit reason. */
static long kvm_run_guest(int echo)
{
	uint8_t next_in = STR_IN_FIRST;

	for (;;) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
			return -errno;
		if (run->exit_reason == KVM_EXIT_MMIO) {
			/* reads of the (absent) device return zero; writes vanish */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			continue;
		}
		if (run->exit_reason != KVM_EXIT_IO)
			return -1000 - (long)run->exit_reason;
		{
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			uint32_t i, k, val = 0;

			for (i = 0; i < run->io.count; i++, d += run->io.size) {
				if (run->io.direction == KVM_EXIT_IO_IN) {
					val = PORT_IN_VALUE;
					if (run->io.port == PORT_STR)
						for (k = 0; k < run->io.size; k++)
							d[k] = next_in++;
					else
						memcpy(d, &val, run->io.size);
					continue;
				}
				memcpy(&val, d, run->io.size);
				if (run->io.port == PORT_DONE)
					return val;
				if (run->io.port == PORT_CON && echo)
					putchar((int)val);
				if (run->io.port == PORT_VAL && echo)
					printf("[val 0x%x]", val);
			}
		}
	}
}

int main(int argc, char **argv)
{
	long r;
	int e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "loop")) {
		if (kvm_setup("real16", T_LOOP))
			return 1;
		printf("kvm_holder: guest running\n");
		r = kvm_run_guest(0);
		printf("kvm_holder: the loop guest stopped: %ld\n", r);
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "try")) {
		e = kvm_setup("real16", T_HELLO);
		if (e)
			return 3;
		r = kvm_run_guest(0);
		if (r == 0) {
			printf("kvm_holder: the guest ran under KVM\n");
			return 0;
		}
		printf("kvm_holder: KVM_RUN: %s\n", r < 0 && r > -1000 ? strerror((int)-r) : "unexpected exit");
		return 3;
	}
	if (argc >= 4 && !strcmp(argv[1], "run")) {
		if (kvm_setup(argv[2], (unsigned int)strtoul(argv[3], NULL, 0)))
			return 1;
		r = kvm_run_guest(1);
		printf("\nkvm_holder: %s test %s: DONE %ld\n", argv[2], argv[3], r);
		return r == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: kvm_holder loop | try | run GUEST TEST\n");
	return 2;
}
