// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_exits: the KVM half of bench/exits.  Runs bench/guest_exits.S in a
 * one-vCPU real-mode VM over /dev/kvm and prints the cost per exit of each
 * phase (CPUID, VMMCALL hypercall, OUT, MMIO), timed with CLOCK_MONOTONIC
 * between the guest's marker OUTs.
 *
 * Environment: BENCH_N (exits per phase, default 20000), BENCH_ROUNDS
 * (guest runs, default 3; the median is reported).
 *
 * Output: one "round" line per run, then one line per phase
 *   RESULT kvm <phase> <us-per-exit> user_exits=<n>
 * where user_exits counts the returns to this program inside the phase
 * (marker excluded).  A watchdog alarm ends the program (SIGALRM) if the
 * guest gets stuck.  Exit status 0 on success, 2 if KVM is unavailable,
 * 1 on any other failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "domus.h"	/* DOMUS_BENCH_HYPERCALL: the same number under both */
#include "bench_util.h"

/* Must match bench/guest_exits.S. */
#define PORT_MARK	0xe0
#define PORT_OUT	0x10
#define MMIO_GPA	0xd0000ULL
#define HC_RESULT	0x0f00
#define GUEST_LOAD	0x1000
#define MEM_SIZE	0x10000

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".globl guest_image\n"
	"guest_image:\n"
	".incbin \"" GUEST_BIN "\"\n"
	".globl guest_image_end\n"
	"guest_image_end:\n"
	".popsection\n");
extern const unsigned char guest_image[], guest_image_end[];

static void set_seg(struct kvm_segment *s, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffff;
	s->selector = 0;
	s->type = code ? 0xb : 0x3;
	s->present = 1;
	s->s = 1;
}

const char *bench_prog = "kvm_exits";

int main(void)
{
	long n = env_num("BENCH_N", 20000, 1, 100000000);
	long rounds = env_num("BENCH_ROUNDS", 3, 1, 99);
	size_t img_len = guest_image_end - guest_image;
	double cost[99][NPHASES];
	long uexits[99][NPHASES];
	int kvm, vm, vcpu;
	long mmap_size;
	unsigned char *mem;
	struct kvm_run *run;
	struct kvm_sregs sregs;
	uint32_t hc_result = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep order with stderr */
	/* Watchdog (SIGALRM ends the program): 1 ms per exit is already 30
	 * times the cost under QEMU TCG; a stuck guest fails here, not at the
	 * test host's timeout. */
	alarm(60 + n * rounds * NPHASES / 1000);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm_exits: /dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		fail("unexpected KVM API version");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm_exits: KVM_CREATE_VM: %s\n", strerror(errno));
		return 2;
	}
	/* Needed only on VT-x without unrestricted guest; harmless elsewhere. */
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR");

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	if (img_len > MEM_SIZE - GUEST_LOAD)
		fail("guest image too large");
	memcpy(mem + GUEST_LOAD, guest_image, img_len);
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (long)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	set_seg(&sregs.cs, 1);
	set_seg(&sregs.ds, 0);
	set_seg(&sregs.es, 0);
	set_seg(&sregs.fs, 0);
	set_seg(&sregs.gs, 0);
	set_seg(&sregs.ss, 0);
	sregs.cr0 = 0x10;	/* ET; real mode, caches on */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");

	printf("kvm_exits: N=%ld rounds=%ld guest=%zu bytes\n", n, rounds, img_len);
	for (long r = 0; r < rounds; r++) {
		struct kvm_regs regs = { .rip = GUEST_LOAD, .rflags = 0x2, .rdi = (uint64_t)n,
					 .rsi = DOMUS_BENCH_HYPERCALL };
		double t[NPHASES + 1];
		int phase = -1;	/* last marker seen */
		long exits_in_phase[NPHASES] = { 0 };
		long out_count = 0, mmio_count = 0;

		memset(mem + HC_RESULT, 0, 4);
		if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
			die("KVM_SET_REGS");
		for (;;) {
			if (ioctl(vcpu, KVM_RUN, 0) < 0) {
				if (errno == EINTR)
					continue;
				die("KVM_RUN");
			}
			if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.port == PORT_MARK) {
				int v = *((unsigned char *)run + run->io.data_offset);

				if (v != phase + 1)
					fail("marker out of order");
				t[v] = now_us();
				phase = v;
				continue;
			}
			if (phase >= 0 && phase < NPHASES)
				exits_in_phase[phase]++;
			if (run->exit_reason == KVM_EXIT_IO) {
				if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PORT_OUT ||
				    run->io.size != 1 || run->io.count != 1)
					fail("unexpected port I/O");
				out_count++;
			} else if (run->exit_reason == KVM_EXIT_MMIO) {
				if (!run->mmio.is_write || run->mmio.phys_addr != MMIO_GPA || run->mmio.len != 1)
					fail("unexpected MMIO access");
				mmio_count++;
			} else if (run->exit_reason == KVM_EXIT_HLT) {
				break;
			} else if (run->exit_reason == KVM_EXIT_INTR) {
				continue;
			} else {
				fprintf(stderr, "kvm_exits: unexpected exit reason %u\n", run->exit_reason);
				return 1;
			}
		}
		if (phase != NPHASES)
			fail("guest halted before the last marker");
		if (out_count != n || mmio_count != n) {
			fprintf(stderr, "kvm_exits: %ld OUT and %ld MMIO exits, expected %ld each\n",
				out_count, mmio_count, n);
			return 1;
		}
		memcpy(&hc_result, mem + HC_RESULT, 4);
		printf("round %ld:", r + 1);
		for (int p = 0; p < NPHASES; p++) {
			cost[r][p] = (t[p + 1] - t[p]) / n;
			uexits[r][p] = exits_in_phase[p];
			printf(" %s %.2f", phase_name[p], cost[r][p]);
		}
		printf(" (us/exit)\n");
	}
	/* KVM answers an unknown hypercall number with -KVM_ENOSYS (-1000). */
	printf("kvm_exits: hypercall 0x%x returned eax=0x%08x%s\n", DOMUS_BENCH_HYPERCALL, hc_result,
	       hc_result == (uint32_t)-1000 ? " (-KVM_ENOSYS, handled in the kernel)" : "");

	for (int p = 0; p < NPHASES; p++) {
		double v[99];

		for (long r = 0; r < rounds; r++)
			v[r] = cost[r][p];
		qsort(v, rounds, sizeof(v[0]), cmp_double);
		printf("RESULT kvm %s %.2f user_exits=%ld\n", phase_name[p],
		       rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2,
		       uexits[rounds - 1][p]);
	}
	return 0;
}
