// SPDX-License-Identifier: MIT
/*
 * devfuzz guest SEED OPS: runs tests/guests/fuzz64.S (random MSR, CPUID,
 * port I/O, MMIO, CR, DR and XSETBV accesses from guest kernel mode) in a
 * plain domain and services its exits as coretest does: port reads and
 * MMIO reads get random data, hypercalls a random result.  The guest must
 * stay alive (no shutdown, failed entry or emulation exit, no exception
 * outside its armed operations) and finish its OPS operations, never
 * going STALL_S seconds without one; its handlers must have seen #GP and #UD (the faults its
 * operations are built to raise).  DEVFUZZ_GUEST_MASK chooses the
 * operations (default: all but the debug registers and MONITOR/MWAIT, see below).  Last line:
 * "DEVFUZZ-GUEST-DONE ops=N alive=A faults-ok=F counters-zero=Z ...".
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
#include "libdomus.h"
#include "../guests/guest.h"
#include "devfuzz.h"

#define STALL_S		60	/* no operation done for this long: the guest is stuck */

static void on_alarm(int sig)
{
	(void)sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load(uint8_t *ram)
{
	FILE *f = fopen("build/guests/fuzz64.bin", "rb");
	size_t n;

	if (!f) {
		perror("build/guests/fuzz64.bin");
		return -1;
	}
	n = fread(ram + GUEST_LOAD, 1, LM_STACK_TOP - 0x10000 - GUEST_LOAD, f);
	fclose(f);
	return n ? 0 : -1;
}

static const char *const vec_names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "09", "TS", "NP", "SS", "GP", "PF", "15",
	"MF", "AC", "MC", "XM", "VE", "CP", "22", "23", "24", "25", "26", "27", "HV", "VC", "SX", "31",
};

int guest_fuzz(int devfd, uint64_t seed, unsigned long ops)
{
	unsigned long exits = 0, nio = 0, nmmio = 0, nhc = 0, nintr = 0, other = 0;
	struct domus_global_stats g;
	struct domus_vcpu_handle v = { .fd = -1 };
	struct domus_regs r;
	struct sigaction sa;
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };
	uint64_t s = seed_mix(seed, 7), *cnt, made;
	uint8_t *ram;
	double t0, t_prog;
	uint64_t last_done = 0;
	int dfd, alive = 0, done = 0, zero = 0, faults_ok, i;
	char why[256] = "";

	dfd = domus_create_domain(devfd);
	ram = domus_guest_alloc(LM_RAM_SIZE);
	if (dfd < 0 || !ram || domus_set_slot(dfd, 0, 0, LM_RAM_SIZE, ram, 0) || load(ram) ||
	    domus_create_vcpu(dfd, 0, &v) ||
	    domus_setup_long_mode(&v, ram, LM_PT, LM_MAP_BYTES, GUEST_LOAD, LM_STACK_TOP) ||
	    domus_get_regs(&v, &r)) {
		printf("guest: setup failed: %s\n", domus_last_error());
		return 2;
	}
	r.rsi = seed;
	r.rdx = ops;
	/*
	 * Which operations (fuzz64.S: bit n for ops[n], 32 + n for
	 * misc_tab[n]).  The default leaves the debug registers (ops 14 and
	 * 15) and MONITOR/MWAIT (misc 4) out: with them the AMD test host's
	 * emulator (QEMU 7.2 TCG) crashed with a segmentation fault in
	 * cpu_x86_update_dr7 -> cpu_breakpoint_remove_by_ref (backtrace of
	 * its core dump), within three runs of 200,000 operations.
	 */
	r.rcx = getenv("DEVFUZZ_GUEST_MASK") ? strtoull(getenv("DEVFUZZ_GUEST_MASK"), NULL, 0) :
					       ~((1ULL << 14) | (1ULL << 15) | (1ULL << (32 + 4)));
	if (domus_set_regs(&v, &r)) {
		printf("guest: setup failed: %s\n", domus_last_error());
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: DOMUS_RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = t_prog = now_s();
	for (;;) {
		struct domus_run *run = v.run;
		int ret = domus_run(&v);
		uint64_t d = *(volatile uint64_t *)(ram + FZ_DONE);

		exits++;
		if (d != last_done) {
			last_done = d;
			t_prog = now_s();
		} else if (now_s() - t_prog > STALL_S) {
			snprintf(why, sizeof(why), "no progress for %d s (at operation %" PRIu64 ")", STALL_S, d);
			break;
		}
		if (ret == -EINTR) {
			nintr++;
			continue;
		}
		if (ret) {
			snprintf(why, sizeof(why), "DOMUS_RUN: %s", strerror(-ret));
			break;
		}
		if (run->exit_reason == DOMUS_EXIT_IO) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			size_t len = (size_t)run->io.size * run->io.count;

			nio++;
			if (run->io.port == PORT_DONE && run->io.direction == DOMUS_IO_OUT) {
				uint32_t code;

				memcpy(&code, data, 4);
				if (code == 0) {
					done = 1;
					alive = 1;
				} else {
					snprintf(why, sizeof(why), "guest ended with 0x%x (exception %u outside an operation)",
						 code, code & 0xff);
				}
				break;
			}
			if (run->io.direction == DOMUS_IO_IN && len <= DOMUS_RUN_DATA_SIZE)
				for (size_t k = 0; k < len; k++)
					data[k] = rnd(&s);
			continue;
		}
		if (run->exit_reason == DOMUS_EXIT_MMIO) {
			nmmio++;
			if (!run->mmio.is_write) {
				uint64_t x = rnd(&s);

				memcpy(run->mmio.data, &x, 8);
			}
			continue;
		}
		if (run->exit_reason == DOMUS_EXIT_HYPERCALL) {
			nhc++;
			run->hypercall.ret = rnd(&s);
			continue;
		}
		if (run->exit_reason == DOMUS_EXIT_HLT || run->exit_reason == DOMUS_EXIT_IRQ_WINDOW ||
		    run->exit_reason == DOMUS_EXIT_INTR) {
			other++;
			continue;
		}
		domus_get_regs(&v, &r);
		if (run->exit_reason == DOMUS_EXIT_FAIL_ENTRY)
			snprintf(why, sizeof(why), "exit %s at rip 0x%llx (hw_reason 0x%llx, hw_info 0x%llx)",
				 domus_exit_name(run->exit_reason), (unsigned long long)r.rip,
				 (unsigned long long)run->fail_entry.hw_reason,
				 (unsigned long long)run->fail_entry.hw_info);
		else
			snprintf(why, sizeof(why), "exit %s at rip 0x%llx (emulation insn_len %u, gpa 0x%llx)",
				 domus_exit_name(run->exit_reason), (unsigned long long)r.rip,
				 run->emulation.insn_len, (unsigned long long)run->emulation.gpa);
		printf("guest: rax %llx rbx %llx rcx %llx rdx %llx rsi %llx rdi %llx rsp %llx r11 %llx r12 %llx rflags %llx\n",
		       (unsigned long long)r.rax, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
		       (unsigned long long)r.rdx, (unsigned long long)r.rsi, (unsigned long long)r.rdi,
		       (unsigned long long)r.rsp, (unsigned long long)r.r11, (unsigned long long)r.r12,
		       (unsigned long long)r.rflags);
		{
			uint64_t *tr = (uint64_t *)(ram + FZ_TRACE), n = *(uint64_t *)(ram + FZ_DONE);

			printf("guest: last operations (index into fuzz64.S ops):");
			for (uint64_t k = n > 15 ? n - 15 : 0; k <= n; k++)
				printf(" %" PRIu64, tr[k % 16]);
			printf("\n");
		}
		if (r.rsp >= 0x100 && r.rsp < LM_RAM_SIZE - 64)
			for (i = 0; i < 8; i++)
				printf("guest: stack[%d] %llx\n", i, (unsigned long long)((uint64_t *)(ram + r.rsp))[i]);
		break;
	}
	it.it_value.tv_sec = it.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);

	cnt = (uint64_t *)(ram + FZ_COUNTS);
	printf("guest: exceptions caught:");
	for (i = 0; i < 32; i++)
		if (cnt[i])
			printf(" #%s %" PRIu64, vec_names[i], cnt[i]);
	printf("\n");
	printf("guest: exits %lu (I/O %lu, MMIO %lu, hypercall %lu, signal %lu, other %lu)\n",
	       exits, nio, nmmio, nhc, nintr, other);
	if (why[0])
		printf("guest: %s\n", why);
	made = *(uint64_t *)(ram + FZ_DONE);
	faults_ok = cnt[13] > 0 && cnt[6] > 0 && *(uint64_t *)(ram + FZ_STRAY) == 0;

	domus_vcpu_close(&v);
	close(dfd);
	domus_guest_free(ram, LM_RAM_SIZE);
	for (i = 0; i < 50; i++) {
		if (domus_global_stats(devfd, &g) == 0 && !g.domains && !g.vcpus &&
		    !g.pinned_pages && !g.npt_pages) {
			zero = 1;
			break;
		}
		usleep(100000);
	}
	printf("DEVFUZZ-GUEST-DONE ops=%" PRIu64 " alive=%d faults-ok=%d counters-zero=%d seconds=%.1f seed=%" PRIu64 " \n",
	       made, alive && done && made == ops, faults_ok, zero,
	       now_s() - t0, seed);
	return !(alive && done && made == ops && faults_ok && zero);
}
