// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz: a hostile guest program for the Xen PVH personality
 * (tests/host/amd-pvstress.sh).  Static; runs as root inside a domus PV
 * guest whose kernel has the privcmd driver loaded, and issues N random
 * hypercalls (default 100,000) through /dev/xen/privcmd's
 * IOCTL_PRIVCMD_HYPERCALL, then 1000 grant-frame moves to new regions of
 * the guest-physical space (a deliberate attempt to make the host allocate
 * page-table pages), then random VMMCALLs straight from user mode (CPL 3),
 * which the hypervisor must refuse.
 *
 * usage: pv-hcfuzz [-n CALLS] [-u USERCALLS] [-g GRANTMOVES] [-s SEED] [-k] [-r BURSTS]
 *   -g: grant-frame placements in new 1 GiB regions after the random
 *       calls (default 1000; see grant_walk()).
 *   -s: the PRNG seed (default: $hcfuzz_seed, else time and pid); printed
 *       first, so a failing run can be repeated exactly (same guest).
 *   -k: also write every report line to /dev/kmsg.
 *   -r: instead, BURSTS bursts of console and xenstore ring corruption
 *       (pv-hcfuzz/rings.c).
 * As PID 1 (rdinit=/pv-hcfuzz, a guest without a shell) it mounts what it
 * needs, loads /xen-privcmd.ko, takes its settings from the environment
 * and powers the guest off at the end (pv-hcfuzz/init.c).
 *
 * Each call: a hypercall number (mostly the implemented ones: 12
 * memory_op, 15 set_timer_op, 17 xen_version, 18 console_io, 20
 * grant_table_op, 21 vm_assist, 24 vcpu_op, 29 sched_op, 32
 * event_channel_op, 34 hvm_op; then any of 0-127 and random 64-bit
 * values, of which privcmd passes the low 32 bits when they are below 128
 * and refuses the rest with EINVAL itself), a sub-op biased to small
 * values, and four more arguments, each a small number, a random 64-bit
 * value or a pointer of one of these kinds:
 *   NULL and the first page; a user buffer (anywhere in 16 pages, ends
 *   straddling into a PROT_NONE guard page, across page boundaries); the
 *   guard page; a read-only user page; a read-only mapping of the shared
 *   zero page; unmapped user addresses (incl. the top of the user half,
 *   straddling into the non-canonical hole); non-canonical addresses;
 *   kernel text and rodata (read-only: /proc/kallsyms); the kernel's
 *   direct-map alias of a buffer page (/proc/self/pagemap + /proc/kcore);
 *   unmapped kernel addresses (guard hole, unused hole, below the kernel
 *   image); and user pages that map guest-physical addresses outside
 *   guest RAM (/dev/mem beyond the RAM top and near the physical-address
 *   limit, the first one above RAM that holds no grant frame, and one that
 *   follows a RAM page, so a struct straddles RAM and non-RAM).  Buffers
 *   hold random words: small numbers, DOMID_SELF,
 *   frame numbers, random values and nested pointers of every kind.
 *
 * Exclusions (calls that would legitimately end, stall or break the
 * guest itself; the host must survive them too, but then the guest could
 * not report):
 *   - sched_op SCHEDOP_shutdown (2) and SCHEDOP_remote_shutdown (4): turned
 *     into yield.  SCHEDOP_block (1) at most 20 times (each sleeps until
 *     the next guest interrupt).  SCHEDOP_poll (3): with a buffer the
 *     fuzzer controls, the timeout is set in the past (a timeout of 0
 *     would wait for ever for the polled ports); never with kernel text
 *     or rodata as the argument (uncontrolled contents).
 *   - vcpu_op VCPUOP_initialise (0) on vCPU 0 and VCPUOP_down (2) on
 *     any vCPU (it stops the vCPU until VCPUOP_up): turned into
 *     VCPUOP_is_up.  VCPUOP_send_nmi (11) at most 5 times
 *     (each one logs "NMI received for unknown reason" in the guest).
 *   - anything that overrides the guest's own timer (set_timer_op,
 *     VCPUOP_set/stop_singleshot_timer) is followed by a repair call, a
 *     singleshot timer in the past, so Linux's next timer interrupt
 *     reprograms its real deadline (not counted in N).
 *   - memory_op XENMEM_add_to_physmap (7) of shared_info for this domain
 *     (would move the shared_info page away from Linux's mapping): the
 *     space becomes grant_table.  XENMEM_decrease_reservation (1): not
 *     issued (it would take RAM from under the guest kernel).
 *   - hvm_op HVMOP_set_param (0) of HVM_PARAM_CALLBACK_IRQ for this domain:
 *     the value becomes the one the guest set (read at start).
 *     HVMOP_set_evtchn_upcall_vector (23) (a random vector would take the
 *     guest's upcalls): turned into the unknown sub-op 99.
 *   - event_channel_op EVTCHNOP_close (3) of a port that was open when
 *     the fuzzer started (the guest kernel's timer, console, xenstore,
 *     IPI ports): the port becomes 0.  EVTCHNOP_reset (10, 14): not issued.
 *   For the last three and register_runstate, kernel text and rodata are
 *   not used as the argument (their contents are not the fuzzer's).
 *   The end: ports the fuzzer left open are closed and the periodic timer
 *   stopped, so the guest runs on as before.
 *
 * Oracle: for calls whose outcome is defined by the pointer alone
 * (xen_version sub-ops 1-5 and 8 write a fixed-size result, hvm_op
 * get_time writes 8 bytes), the result must be -EFAULT exactly when the
 * bytes are not all writable guest RAM; mismatches are counted and the
 * first few printed.  Every pointer kind is judged, non-RAM frames and
 * RAM/non-RAM straddles included, except where a grant frame is or was:
 * the guest kernel's (read from its xen_auto_xlat_grant_frames through
 * /proc/kallsyms and /proc/kcore) and every successful placement of the
 * fuzz itself (a grant frame is writable guest memory outside RAM).  The
 * report counts the judged calls by pointer kind and the excluded ones.
 * A user-mode VMMCALL must return -EPERM (-1) in RAX, every number
 * included (the benchmark call 0xd0000000 too: this is a Xen domain).
 *
 * Output: "DOMUS-HCFUZZ: seed S", progress every 10,000 calls, the
 * results by errno, the oracle's counts ("DOMUS-HCFUZZ: judged: ..."),
 * and "DOMUS-HCFUZZ-DONE calls=N unexpected=M judged=J ...".
 * Exit status 0 when every call was made and nothing was unexpected.
 *
 * The parts: tests/host/pv-hcfuzz/ (hcfuzz.h lists them).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "pv-hcfuzz/hcfuzz.h"

/* --- output --------------------------------------------------------------- */

int kmsg = -1;

void say(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	if (write(1, msg, n) < 0) {
		/* nothing to do: the kmsg copy may still get out */
	}
	if (kmsg >= 0 && write(kmsg, msg, n) < 0)
		kmsg = -1;
}

/* --- PRNG: splitmix64 ------------------------------------------------------ */

uint64_t rng;

uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

int chance(unsigned int pct)
{
	return below(100) < pct;
}
/* --- main ------------------------------------------------------------------- */

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOSYS: return "ENOSYS";
	case ETIME: return "ETIME";
	case ENOTTY: return "ENOTTY";
	default: return NULL;
	}
}

static int run(int argc, char **argv)
{
	unsigned long n = 100000, nuser = 2000, ngrant = 1000;
	const char *env = getenv("hcfuzz_seed");
	uint64_t seed = env ? strtoull(env, NULL, 0) : ((uint64_t)time(NULL) << 16) ^ getpid();
	char line[1024];
	struct timespec t0, t1;
	int opt, len, i;
	unsigned long done = 0, n_judged = 0, rings = 0;
	int balloon = 0;
	long r;

	while ((opt = getopt(argc, argv, "n:u:g:s:kr:b")) != -1) {
		switch (opt) {
		case 'g': ngrant = strtoul(optarg, NULL, 0); break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'u': nuser = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': rings = strtoul(optarg, NULL, 0); break;
		case 'k': kmsg = open("/dev/kmsg", O_WRONLY); break;
		case 'b': balloon = 1; break;
		default:
			fprintf(stderr, "usage: pv-hcfuzz [-n CALLS] [-u USERCALLS] [-g GRANTMOVES] [-s SEED] [-k] [-r RINGBURSTS] [-b]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	rng = seed;
	if (rings)
		say("DOMUS-RINGFUZZ: seed %" PRIu64 ", %lu bursts", seed, rings);
	else
	say("DOMUS-HCFUZZ: seed %" PRIu64 ", %lu hypercalls, %lu user-mode calls", seed, n, nuser);

	privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (privcmd < 0) {
		say("DOMUS-HCFUZZ: FAILED: open /dev/xen/privcmd: %s", strerror(errno));
		return 1;
	}
	buf = mmap(NULL, (BUF_PAGES + 1) * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ropage = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	zeropage = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ctl = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || ropage == MAP_FAILED || zeropage == MAP_FAILED || ctl == MAP_FAILED) {
		say("DOMUS-HCFUZZ: FAILED: mmap: %s", strerror(errno));
		return 1;
	}
	/* privcmd must pass hypercalls on (a domU loads it with unrestricted=1) */
	r = hcall(HC_xen_version, 0, 0, 0, 0, 0);
	if (r <= 0) {
		say("DOMUS-HCFUZZ: FAILED: xen_version through privcmd: %ld (%s)", r,
		    r < 0 ? strerror(-r) : "no version");
		return 1;
	}
	say("DOMUS-HCFUZZ: Xen %ld.%ld through privcmd", r >> 16, r & 0xffff);
	if (balloon)		/* hostile balloon calls instead (pv-hcfuzz/balloon.c) */
		return balloon_hostile() ? 1 : 0;
	if (rings) {		/* ring corruption instead (pv-hcfuzz/rings.c) */
		mlockall(MCL_CURRENT);
		return ring_fuzz(rings, seed);
	}
	mprotect(buf + BUF_PAGES * PG, PG, PROT_NONE);
	for (i = 0; i < (int)PG; i++) {
		uint8_t b;

		do
			b = rnd();
		while (b == 0 || b == 1 || b == 0x7f || b == 0xf0);
		ropage[i] = b;
	}
	memcpy(ro_copy, ropage, PG);
	mprotect(ropage, PG, PROT_READ);
	if (*(volatile uint8_t *)zeropage != 0)	/* maps the zero page, read-only */
		return 1;
	/* everything stays where it is (pagemap frames, the kernel's alias) */
	if (mlockall(MCL_CURRENT))
		say("DOMUS-HCFUZZ: mlockall: %s", strerror(errno));
	find_kernel_ranges();
	find_kdmap();
	find_grant_frames();
	map_devmem();
	snapshot();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fuzz(n);
	done = n;
	grant_walk(ngrant);
	cleanup();
	user_calls(nuser);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	len = snprintf(line, sizeof(line), "DOMUS-HCFUZZ: results:");
	for (i = 0; i <= NERR && len < (int)sizeof(line) - 40; i++) {
		const char *nm = i ? errname(i) : "ok";

		if (!results[i])
			continue;
		if (i == NERR)
			len += snprintf(line + len, sizeof(line) - len, " other=%lu", results[i]);
		else if (nm)
			len += snprintf(line + len, sizeof(line) - len, " %s=%lu", nm, results[i]);
		else
			len += snprintf(line + len, sizeof(line) - len, " errno%d=%lu", i, results[i]);
	}
	say("%s", line);
	len = snprintf(line, sizeof(line), "DOMUS-HCFUZZ: calls by number:");
	for (i = 0; i < 128 && len < (int)sizeof(line) - 40; i++)
		if (by_op[i] >= 1000)
			len += snprintf(line + len, sizeof(line) - len, " %d=%lu", i, by_op[i]);
	say("%s (others fewer than 1000 each)", line);
	len = snprintf(line, sizeof(line), "DOMUS-HCFUZZ: pointer kinds:");
	for (i = 0; i < P_NCLASSES; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s=%lu", pclass_name[i], class_used[i]);
	say("%s", line);
	len = snprintf(line, sizeof(line), "DOMUS-HCFUZZ: judged:");
	for (i = 0; i < P_NCLASSES; i++) {
		len += snprintf(line + len, sizeof(line) - len, " %s=%lu", pclass_name[i], judged[i]);
		n_judged += judged[i];
	}
	say("%s; not judged (a grant frame there): %lu%s", line, excluded_grant,
	    grant_frames_unknown ? "; grant frames not known: non-RAM frames not judged" : "");
	say("DOMUS-HCFUZZ-DONE calls=%lu unexpected=%lu judged=%lu judged-nonram=%lu excluded=%lu timer-repairs=%lu blocks=%lu "
	    "seconds=%.1f seed=%" PRIu64,
	    done, unexpected, n_judged, judged[P_DEVMEM] + judged[P_STRADDLE], n_excluded, n_repair, n_block,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, seed);
	return unexpected ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (getpid() == 1) {		/* the guest's init: see pv-hcfuzz/init.c */
		char **av = init_setup(&argc);

		init_finish(run(argc, av));
	}
	return run(argc, argv);
}
