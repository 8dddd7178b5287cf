// SPDX-License-Identifier: GPL-2.0-only
/*
 * domus_exits: the domus half of bench/exits.  Runs bench/guest_exits.S in a
 * one-vCPU real-mode domain over /dev/domus (uapi/domus.h) and prints the
 * cost per exit of each phase (CPUID, VMMCALL hypercall, OUT, MMIO), timed
 * with CLOCK_MONOTONIC between the guest's marker OUTs.  The mirror of
 * bench/kvm_exits.c.
 *
 * The guest runs twice.  First in a plain domain, where the hypercall
 * phase uses DOMUS_BENCH_HYPERCALL (uapi/domus.h), which the module
 * answers in the kernel with RAX = 0: the bare cost of a hypercall exit.
 * Then in a Xen domain (DOMUS_DOMAIN_XEN), where the hypercall phase is a
 * real one, xen_version(XENVER_version), served in the kernel by the Xen
 * personality: the row "xen_version".  Should a hypercall come back to
 * userspace as DOMUS_EXIT_HYPERCALL instead, this program answers it (0)
 * and the user_exits count of the row shows it.  Last, if the module was
 * built by bench/floor-build, in a third (plain) domain whose CPUID phase
 * runs in the kernel's floor loop (DOMUS_BENCH_FLOOR, uapi/domus.h): enter,
 * take the exit, step over CPUID, enter again, nothing else.  That is the
 * row "floor", the bare world switch the other rows are multiples of.
 *
 * Environment: BENCH_N (exits per phase, default 20000), BENCH_ROUNDS
 * (guest runs, default 3; the median is reported).
 *
 * Output: one "round" line per run, then one line per phase
 *   RESULT domus <phase> <us-per-exit> user_exits=<n>
 * (phases cpuid, hypercall, out, mmio of the plain domain, then
 * xen_version: the hypercall phase of the Xen domain, then floor when the
 * module has the floor loop).
 * A watchdog alarm ends the program (SIGALRM) if the guest gets stuck.
 * Exit status 0 on success, 2 if domus cannot create a domain (module not
 * loaded or its core not there yet), 1 on any other failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "domus.h"
#include "bench_util.h"

/* Must match bench/guest_exits.S. */
#define PORT_MARK	0xe0
#define PORT_OUT	0x10
#define MMIO_GPA	0xd0000ULL
#define XEN_HC_VERSION	17	/* __HYPERVISOR_xen_version; EDI = 0: XENVER_version */
#define XEN_HC_SCHED_OP	29	/* how the Xen personality reports the final HLT */
#define HC_RESULT	0x0f00
#define GUEST_LOAD	0x1000
#define MEM_SIZE	0x10000

/* struct domus_segment.attr: type[3:0] s[4] dpl[6:5] p[7] ... */
#define ATTR_CODE16	0x9b	/* present, code, execute/read, accessed */
#define ATTR_DATA16	0x93	/* present, data, read/write, accessed */
#define ATTR_TSS_BUSY	0x8b	/* present, system, busy TSS */
#define ATTR_LDT	0x82	/* present, system, LDT */

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".globl guest_image\n"
	"guest_image:\n"
	".incbin \"" GUEST_BIN "\"\n"
	".globl guest_image_end\n"
	"guest_image_end:\n"
	".popsection\n");
extern const unsigned char guest_image[], guest_image_end[];

static unsigned long floor_other;	/* host interrupts during the floor loops */

static struct domus_segment seg(uint16_t attr, uint32_t limit)
{
	struct domus_segment s = { .base = 0, .limit = limit, .selector = 0, .attr = attr };

	return s;
}

/*
 * The CPUID phase of the floor round: DOMUS_BENCH_FLOOR takes the @n CPUID
 * exits in the kernel's floor loop (benchmark module only).  Returns the
 * time per exit in µs; 0 if the module has no floor loop (-ENOTTY).
 */
static double floor_phase(int vcpu, long n)
{
	struct domus_bench_floor f;
	double t0, t1;
	int ret;

	memset(&f, 0, sizeof(f));
	f.n = (uint32_t)n;
	t0 = now_us();
	do
		ret = ioctl(vcpu, DOMUS_BENCH_FLOOR, &f);
	while (ret < 0 && errno == EINTR);	/* the output was not written: start again */
	t1 = now_us();
	if (ret < 0 && errno == ENOTTY)
		return 0;
	if (ret < 0)
		die("DOMUS_BENCH_FLOOR");
	if (f.done != n || f.stopped) {
		fprintf(stderr, "domus_exits: floor loop took %u of %ld CPUID exits, stopped by exit 0x%llx\n",
			f.done, n, (unsigned long long)f.exit_code);
		exit(1);
	}
	floor_other += f.other;
	return (t1 - t0) / n;
}

/*
 * One domain (@flags) running the guest BENCH_ROUNDS times with hypercall
 * number @hc; the median cost of each phase in @med, the returns to
 * userspace of the last round in @uex.  With @floor, the CPUID phase runs
 * in the floor loop (floor_phase) and its cost is the floor.  Returns 0,
 * 2 if no domain can be created, 3 if @floor and the module has no floor
 * loop; exits on any other failure.
 */
static int bench_domain(int dev, uint32_t flags, uint32_t hc, long n, long rounds, int floor,
			double med[NPHASES], long uex[NPHASES])
{
	size_t img_len = guest_image_end - guest_image;
	static double cost[99][NPHASES];
	static long uexits[99][NPHASES];
	int dom, vcpu;
	unsigned char *mem;
	struct domus_run *run;
	struct domus_sregs sregs, cur;
	struct domus_create_domain cd;
	struct domus_create_vcpu cv;
	struct domus_mem_slot slot;
	struct domus_domain_stats st;
	uint32_t hc_result = 0;
	long hc_user = 0;

	memset(&cd, 0, sizeof(cd));
	cd.flags = flags;
	dom = ioctl(dev, DOMUS_CREATE_DOMAIN, &cd);
	if (dom < 0) {
		fprintf(stderr, "domus_exits: DOMUS_CREATE_DOMAIN: %s\n", strerror(errno));
		return 2;
	}

	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	if (img_len > MEM_SIZE - GUEST_LOAD)
		fail("guest image too large");
	memcpy(mem + GUEST_LOAD, guest_image, img_len);
	memset(&slot, 0, sizeof(slot));
	slot.slot = 0;
	slot.gpa = 0;
	slot.size = MEM_SIZE;
	slot.uaddr = (uintptr_t)mem;
	if (ioctl(dom, DOMUS_SET_MEM_SLOT, &slot) < 0)
		die("DOMUS_SET_MEM_SLOT");

	memset(&cv, 0, sizeof(cv));
	cv.id = 0;
	vcpu = ioctl(dom, DOMUS_CREATE_VCPU, &cv);
	if (vcpu < 0)
		die("DOMUS_CREATE_VCPU");
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap run page");

	/* Real mode, CS = DS = ... = 0; keep the vCPU's own APIC base. */
	memset(&sregs, 0, sizeof(sregs));
	memset(&cur, 0, sizeof(cur));
	sregs.apic_base = 0xfee00900;	/* enabled, BSP */
	if (ioctl(vcpu, DOMUS_GET_SREGS, &cur) == 0)
		sregs.apic_base = cur.apic_base;
	sregs.cs = seg(ATTR_CODE16, 0xffff);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg(ATTR_DATA16, 0xffff);
	sregs.tr = seg(ATTR_TSS_BUSY, 0xffff);
	sregs.ldt = seg(ATTR_LDT, 0xffff);
	sregs.gdt.limit = 0xffff;
	sregs.idt.limit = 0x3ff;
	sregs.cr0 = 0x10;	/* ET; real mode, caches on */
	if (ioctl(vcpu, DOMUS_SET_SREGS, &sregs) < 0)
		die("DOMUS_SET_SREGS");

	printf("domus_exits: %s domain%s, hypercall 0x%x, N=%ld rounds=%ld guest=%zu bytes\n",
	       flags & DOMUS_DOMAIN_XEN ? "Xen" : "plain",
	       floor ? " (CPUID phase in the floor loop)" : "", hc, n, rounds, img_len);
	for (long r = 0; r < rounds; r++) {
		struct domus_regs regs = { .rip = GUEST_LOAD, .rflags = 0x2, .rdi = (uint64_t)n,
					   .rsi = hc };
		double t[NPHASES + 1];
		int phase = -1;	/* last marker seen */
		long exits_in_phase[NPHASES] = { 0 };
		long out_count = 0, mmio_count = 0;

		memset(mem + HC_RESULT, 0xff, 4);
		if (ioctl(vcpu, DOMUS_SET_REGS, &regs) < 0)
			die("DOMUS_SET_REGS");
		for (;;) {
			run->flags = DOMUS_RUN_EXIT_ON_HLT;
			if (ioctl(vcpu, DOMUS_RUN, 0) < 0) {
				if (errno == EINTR)
					continue;
				die("DOMUS_RUN");
			}
			if (run->exit_reason == DOMUS_EXIT_IO && run->io.direction == DOMUS_IO_OUT &&
			    run->io.port == PORT_MARK) {
				if (run->io.data_offset < DOMUS_RUN_DATA_OFFSET ||
				    run->io.data_offset >= 4096)
					fail("I/O data offset outside the run page");
				int v = *((unsigned char *)run + run->io.data_offset);

				if (v != phase + 1)
					fail("marker out of order");
				t[v] = now_us();
				phase = v;
				if (floor && v == 0) {
					cost[r][0] = floor_phase(vcpu, n);
					if (!cost[r][0])
						return 3;
				}
				continue;
			}
			if (phase >= 0 && phase < NPHASES)
				exits_in_phase[phase]++;
			switch (run->exit_reason) {
			case DOMUS_EXIT_IO:
				if (run->io.direction != DOMUS_IO_OUT || run->io.port != PORT_OUT ||
				    run->io.size != 1 || run->io.count != 1)
					fail("unexpected port I/O");
				out_count++;
				break;
			case DOMUS_EXIT_MMIO:
				if (!run->mmio.is_write || run->mmio.gpa != MMIO_GPA || run->mmio.len != 1)
					fail("unexpected MMIO access");
				mmio_count++;
				break;
			case DOMUS_EXIT_HYPERCALL:
				/* a Xen domain's HLT with interrupts off: shutdown */
				if (phase == NPHASES && (flags & DOMUS_DOMAIN_XEN) &&
				    run->hypercall.nr == XEN_HC_SCHED_OP)
					goto halted;
				if (run->hypercall.nr != hc) {
					fprintf(stderr, "domus_exits: hypercall %llu (args 0x%llx 0x%llx) in phase %d, expected %u\n",
						(unsigned long long)run->hypercall.nr,
						(unsigned long long)run->hypercall.args[0],
						(unsigned long long)run->hypercall.args[1], phase, hc);
					return 1;
				}
				run->hypercall.ret = 0;
				hc_user++;
				break;
			case DOMUS_EXIT_INTR:
				break;
			case DOMUS_EXIT_HLT:
				goto halted;
			default:
				fprintf(stderr, "domus_exits: unexpected exit reason %u\n", run->exit_reason);
				return 1;
			}
		}
halted:
		if (phase != NPHASES)
			fail("guest halted before the last marker");
		if (out_count != n || mmio_count != n) {
			fprintf(stderr, "domus_exits: %ld OUT and %ld MMIO exits, expected %ld each\n",
				out_count, mmio_count, n);
			return 1;
		}
		memcpy(&hc_result, mem + HC_RESULT, 4);
		printf("round %ld:", r + 1);
		if (floor)
			printf(" floor %.2f", cost[r][0]);	/* the other phases as measured above */
		for (int p = floor ? 1 : 0; p < NPHASES; p++) {
			cost[r][p] = (t[p + 1] - t[p]) / n;
			uexits[r][p] = exits_in_phase[p];
			if (!floor)
				printf(" %s %.2f", phase_name[p], cost[r][p]);
		}
		printf(" (us/exit)\n");
	}
	printf("domus_exits: hypercall 0x%x returned eax=0x%08x%s\n",
	       hc, hc_result, hc_user ? " (answered in userspace)" : "");

	memset(&st, 0, sizeof(st));
	if (ioctl(dom, DOMUS_GET_STATS, &st) == 0)
		printf("domus_exits: stats: exits %llu cpuid %llu hypercall %llu io %llu mmio %llu user_exits %llu\n",
		       (unsigned long long)st.stat[DOMUS_STAT_EXITS],
		       (unsigned long long)st.stat[DOMUS_STAT_CPUID],
		       (unsigned long long)st.stat[DOMUS_STAT_HYPERCALL],
		       (unsigned long long)st.stat[DOMUS_STAT_IO],
		       (unsigned long long)st.stat[DOMUS_STAT_MMIO],
		       (unsigned long long)st.stat[DOMUS_STAT_USER_EXITS]);

	for (int p = 0; p < NPHASES; p++) {
		double v[99];

		for (long r = 0; r < rounds; r++)
			v[r] = cost[r][p];
		qsort(v, rounds, sizeof(v[0]), cmp_double);
		med[p] = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
		uex[p] = uexits[rounds - 1][p];
	}
	munmap(run, 4096);
	close(vcpu);
	close(dom);
	munmap(mem, MEM_SIZE);
	return 0;
}

const char *bench_prog = "domus_exits";

int main(void)
{
	long n = env_num("BENCH_N", 20000, 1, 100000000);
	long rounds = env_num("BENCH_ROUNDS", 3, 1, 99);
	double med[NPHASES], xmed[NPHASES], fmed[NPHASES];
	long uex[NPHASES], xuex[NPHASES], fuex[NPHASES];
	struct domus_caps caps;
	int dev, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep order with stderr */
	/* Watchdog (SIGALRM ends the program): 1 ms per exit is already 30
	 * times the cost under QEMU TCG; a stuck guest fails here, not at the
	 * test host's timeout.  Three domains run the guest. */
	alarm(60 + 3 * n * rounds * NPHASES / 1000);

	dev = open(DOMUS_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "domus_exits: %s: %s\n", DOMUS_DEVICE, strerror(errno));
		return 2;
	}
	memset(&caps, 0, sizeof(caps));
	if (ioctl(dev, DOMUS_GET_CAPS, &caps) == 0)
		printf("domus_exits: vendor %u, paging %u, features 0x%llx (nrips %s)\n",
		       caps.vendor, caps.paging, (unsigned long long)caps.features,
		       caps.features & DOMUS_FEAT_NRIPS ? "yes" : "no");
	ret = bench_domain(dev, 0, DOMUS_BENCH_HYPERCALL, n, rounds, 0, med, uex);
	if (ret)
		return ret;
	ret = bench_domain(dev, DOMUS_DOMAIN_XEN, XEN_HC_VERSION, n, rounds, 0, xmed, xuex);
	if (ret)
		return ret;
	/* the floor last, in the same process (docs/perf-exits.md: TCG's fast and slow runs) */
	ret = bench_domain(dev, 0, DOMUS_BENCH_HYPERCALL, n, rounds, 1, fmed, fuex);
	if (ret == 3)
		printf("domus_exits: no floor loop in this domus.ko (build it with bench/floor-build)\n");
	else if (ret)
		return ret;
	for (int p = 0; p < NPHASES; p++)
		printf("RESULT domus %s %.2f user_exits=%ld\n", phase_name[p], med[p], uex[p]);
	printf("RESULT domus xen_version %.2f user_exits=%ld\n", xmed[1], xuex[1]);
	if (ret != 3)
		printf("RESULT domus floor %.2f user_exits=0 host_interrupts=%lu\n",
		       fmed[0], floor_other);
	return 0;
}
