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
 * usage: pv-hcfuzz [-n CALLS] [-u USERCALLS] [-g GRANTMOVES] [-s SEED] [-k]
 *   -g: grant-frame placements in new 1 GiB regions after the random
 *       calls (default 1000; see grant_walk()).
 *   -s: the PRNG seed (default: $hcfuzz_seed, else time and pid); printed
 *       first, so a failing run can be repeated exactly (same guest).
 *   -k: also write every report line to /dev/kmsg.
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
 *   limit, and one that follows a RAM page, so a struct straddles RAM and
 *   non-RAM).  Buffers hold random words: small numbers, DOMID_SELF,
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
 *   - vcpu_op VCPUOP_initialise (0) and VCPUOP_down (2) on vCPU 0:
 *     turned into VCPUOP_is_up.  VCPUOP_send_nmi (11) at most 5 times
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
 * get_time writes 8 bytes, vcpu_op get_runstate_info writes 48), the
 * result must be -EFAULT exactly when the bytes are not all writable
 * guest RAM; mismatches are counted and the first few printed.  A user
 * mode VMMCALL must return -EPERM (-1) in RAX.
 *
 * Output: "DOMUS-HCFUZZ: seed S", progress every 10,000 calls, the
 * results by errno, and "DOMUS-HCFUZZ-DONE calls=N unexpected=M ...".
 * Exit status 0 when every call was made and nothing was unexpected.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* The privcmd hypercall ioctl (Linux include/uapi/xen/privcmd.h ABI). */
struct hcfuzz_call {
	uint64_t op;
	uint64_t arg[5];
};
#define HCFUZZ_IOCTL_HYPERCALL	_IOC(_IOC_NONE, 'P', 0, sizeof(struct hcfuzz_call))

#define PG		4096UL
#define BUF_PAGES	16
#define DOMID_SELF	0x7ff0
#define MY_DOMID	1		/* what domus tells the guest */
#define NR_PORTS	1024

/* hypercall numbers and sub-ops used by the rules below */
enum {
	HC_memory_op = 12, HC_set_timer_op = 15, HC_xen_version = 17, HC_console_io = 18,
	HC_grant_table_op = 20, HC_vm_assist = 21, HC_vcpu_op = 24, HC_sched_op = 29,
	HC_event_channel_op = 32, HC_hvm_op = 34,
};

/* --- output --------------------------------------------------------------- */

static int kmsg = -1;

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
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

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return below(100) < pct;
}

/* --- the guest's address space ------------------------------------------- */

static uint8_t *buf;		/* BUF_PAGES pages RW, then a PROT_NONE guard page */
static uint8_t *ropage;		/* read-only, no byte 0x00 0x01 0x7f 0xf0 */
static uint8_t *zeropage;	/* read-only mapping of the zero page */
static uint8_t *ctl;		/* the fuzzer's own page: repair calls, port status */
static uint64_t kdmap[BUF_PAGES];	/* direct-map alias of each buf page, 0: unknown */
static uint64_t ktext[2], krodata[2];
static uint8_t *devmem[4];	/* user pages mapping non-RAM guest-physical pages */
static int ndevmem;
static uint8_t *straddle;	/* 2 pages: RAM, then non-RAM (or NULL) */

enum pclass {
	P_NULL, P_BUF, P_BUFEDGE, P_BUFEND, P_GUARD, P_RO, P_ZERO, P_UNMAPPED, P_NONCANON,
	P_KTEXT, P_KRODATA, P_KDMAP, P_KUNMAPPED, P_DEVMEM, P_STRADDLE, P_NCLASSES
};
static const char *const pclass_name[P_NCLASSES] = {
	"null", "buf", "buf-edge", "buf-end", "guard", "ro", "zero", "unmapped", "noncanon",
	"ktext", "krodata", "kdmap", "kunmapped", "devmem", "straddle",
};

struct ptr {
	uint64_t addr;
	enum pclass cls;
	uint8_t *user;		/* the fuzzer's view of the bytes (controlled contents) */
	long wr;		/* bytes writable from addr (-1: unknown) */
	long rd;		/* bytes readable from addr (-1: unknown) */
	int no_oracle;		/* the result cannot be predicted from wr */
};

static uint64_t rnd_word(int depth);

static struct ptr pick_ptr(int depth)
{
	struct ptr p = { 0, P_NULL, NULL, 0, 0, 0 };
	unsigned int c = below(P_NCLASSES);
	uint64_t off;

	switch (c) {
	case P_NULL:
		p.addr = chance(50) ? 0 : below(PG);
		break;
	case P_BUF:
		off = below(BUF_PAGES * PG - 1024);
		if (chance(70))
			off &= ~7UL;
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_BUFEDGE:		/* just before a page boundary inside the buffer */
		off = (1 + below(BUF_PAGES - 1)) * PG - 1 - below(64);
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_BUFEND:		/* the last bytes before the guard page */
		off = BUF_PAGES * PG - 1 - below(1100);
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_GUARD:
		p.addr = (uintptr_t)buf + BUF_PAGES * PG + below(PG);
		break;
	case P_RO:
		off = below(PG);
		p.addr = (uintptr_t)ropage + off;
		p.rd = PG - off;
		break;
	case P_ZERO:
		off = below(PG);
		p.addr = (uintptr_t)zeropage + off;
		p.rd = PG - off;
		break;
	case P_UNMAPPED:
		switch (below(3)) {
		case 0: p.addr = 0x100000000000ULL + (below(1ULL << 40) & ~7ULL); break;
		case 1: p.addr = 0x7ffffffff000ULL + below(PG); break;	/* straddles 2^47 */
		default: p.addr = 0x10000 + below(0x100000); break;
		}
		break;
	case P_NONCANON:
		switch (below(3)) {
		case 0: p.addr = 0x800000000000ULL + below(PG); break;
		case 1: p.addr = 0xdead000000000000ULL + below(1ULL << 32); break;
		default: p.addr = (rnd() | (1ULL << 50)) & ~(1ULL << 63); break;
		}
		break;
	case P_KTEXT:
		p.addr = ktext[0] + below(ktext[1] - ktext[0]);
		p.rd = -1;
		break;
	case P_KRODATA:
		p.addr = krodata[0] + below(krodata[1] - krodata[0]);
		p.rd = -1;
		break;
	case P_KDMAP: {
		unsigned int i = below(BUF_PAGES);

		if (!kdmap[i])
			return pick_ptr(depth);
		/* at most 3072 + 1024: every write stays inside this page */
		off = below(PG - 1024);
		p.addr = kdmap[i] + off;
		p.user = buf + i * PG + off;
		p.wr = p.rd = PG - off;
		break;
	}
	case P_KUNMAPPED:
		switch (below(3)) {
		case 0: p.addr = 0xffff800000000000ULL + below(1ULL << 40); break;
		case 1: p.addr = 0xffffff8000000000ULL + below(1ULL << 36); break;
		default: p.addr = 0xffffffff80000000ULL + below(ktext[0] > 0xffffffff80100000ULL ?
							       ktext[0] - 0xffffffff80100000ULL : PG); break;
		}
		break;
	case P_DEVMEM:
		if (!ndevmem)
			return pick_ptr(depth);
		p.addr = (uintptr_t)devmem[below(ndevmem)] + below(PG);
		/*
		 * Non-RAM frames may be backed after all: Linux places its grant
		 * frames in the unpopulated range right above RAM, and the fuzz
		 * itself moves grant frames to random frames; a write there is
		 * legitimate.  Outcome unknown: no oracle (host safety only).
		 */
		p.no_oracle = 1;
		break;
	case P_STRADDLE:
		if (!straddle)
			return pick_ptr(depth);
		off = PG - 1 - below(256);
		p.addr = (uintptr_t)straddle + off;
		p.user = straddle + off;
		p.wr = p.rd = PG - off;
		p.no_oracle = 1;	/* second page: non-RAM, maybe backed (above) */
		break;
	}
	p.cls = c;
	return p;
}

/* A random word for buffer contents and arguments. */
static uint64_t rnd_word(int depth)
{
	unsigned int r = below(100);

	if (r < 35)
		return below(chance(70) ? 16 : 1024);
	if (r < 45)
		return chance(50) ? DOMID_SELF | (below(4) << 16) : MY_DOMID;
	if (r < 55)
		return below(1ULL << 36);	/* a guest frame number somewhere */
	if (r < 70)
		return rnd();
	if (depth > 1)
		return below(64);
	return pick_ptr(depth + 1).addr;
}

/* Fill @n bytes at @p (the fuzzer's view) with random words. */
static void fill(uint8_t *p, long n)
{
	while (n > 0) {
		uint64_t w = rnd_word(1);
		long k = n < 8 ? n : 8;

		memcpy(p, &w, k);
		p += k;
		n -= k;
	}
}

/* A plausible domain id: this domain (both spellings), dom0, or anything. */
static uint16_t rnd_dom(void)
{
	return (uint16_t[]){ DOMID_SELF, MY_DOMID, 0, (uint16_t)rnd() }[below(4)];
}

/* A port: the guest kernel's low ports, the fuzzer's, the edges, anything. */
static uint32_t rnd_port(void)
{
	return (uint32_t[]){ below(16), below(64), NR_PORTS - 2 + below(4), (uint32_t)rnd() }[below(4)];
}

/* A guest frame: RAM, just above it, the special pages, low 36 bits, anything. */
static uint64_t rnd_gfn(void)
{
	switch (below(5)) {
	case 0: return below(0x10000);
	case 1: return 0x10000 + below(0x100);
	case 2: return 0xfeff0 + below(0x20);
	case 3: return below(1ULL << 36);
	default: return rnd();
	}
}

static void put16(uint8_t *p, long room, long off, uint16_t v) { if (off + 2 <= room) memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, long room, long off, uint32_t v) { if (off + 4 <= room) memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, long room, long off, uint64_t v) { if (off + 8 <= room) memcpy(p + off, &v, 8); }

/*
 * Half the time, give the struct that a known sub-op reads from its
 * argument (at @u, @room bytes the fuzzer controls) plausible fields, so
 * the calls get past the first checks into the handlers.
 */
static void shape(uint64_t op, uint64_t cmd, uint8_t *u, long room)
{
	if (!u || chance(50))
		return;
	switch (op) {
	case HC_memory_op:
		if (cmd == 7) {		/* add_to_physmap */
			put16(u, room, 0, rnd_dom());
			put16(u, room, 2, below(4));
			put32(u, room, 4, chance(80) ? below(2) : below(8));
			put64(u, room, 8, chance(80) ? below(40) : (chance(50) ? (1ULL << 31) | below(4) : rnd()));
			put64(u, room, 16, rnd_gfn());
		} else {
			put16(u, room, 0, rnd_dom());
		}
		break;
	case HC_hvm_op:
		put16(u, room, 0, rnd_dom());
		put32(u, room, 4, below(40));
		put64(u, room, 8, chance(50) ? below(256) | (chance(50) ? 2ULL << 56 : 0) : rnd());
		break;
	case HC_event_channel_op:
		switch (cmd) {
		case 0: put16(u, room, 0, chance(50) ? 0 : rnd_dom()); put32(u, room, 4, below(8)); break;
		case 1: put32(u, room, 0, below(26)); put32(u, room, 4, below(3)); break;
		case 3: case 4: case 9: put32(u, room, 0, rnd_port()); break;
		case 5: put16(u, room, 0, rnd_dom()); put32(u, room, 4, rnd_port()); break;
		case 6: put16(u, room, 0, rnd_dom()); put16(u, room, 2, rnd_dom()); break;
		case 7: put32(u, room, 0, below(3)); break;
		case 8: put32(u, room, 0, rnd_port()); put32(u, room, 4, below(3)); break;
		}
		break;
	case HC_sched_op:
		if (cmd == 3) {		/* poll: ports in the buffer itself */
			put64(u, room, 0, (uintptr_t)buf + below(PG));
			put32(u, room, 8, below(130));
			put64(u, room, 16, 1);
		} else {
			put32(u, room, 0, below(8));
		}
		break;
	case HC_grant_table_op:
		put16(u, room, 0, rnd_dom());
		put32(u, room, 4, below(3));	/* set_version's version is the first word */
		if (cmd == 8)
			put32(u, room, 0, below(3));
		break;
	case HC_xen_version:
		put32(u, room, 0, below(3));	/* get_features: submap_idx */
		break;
	}
}

/* vcpu_op's struct is its third argument. */
static void shape_vcpu(uint64_t cmd, uint8_t *u, long room)
{
	if (!u || chance(50))
		return;
	switch (cmd) {
	case 5: put64(u, room, 0, pick_ptr(1).addr); break;	/* runstate area */
	case 6: put64(u, room, 0, chance(50) ? 1000000 * (1 + below(20)) : rnd()); break;
	case 8: put64(u, room, 0, chance(50) ? below(1ULL << 40) : rnd()); put32(u, room, 8, below(2)); break;
	case 10: put64(u, room, 0, rnd_gfn()); put32(u, room, 8, chance(50) ? below(64) * 64 : below(PG + 8)); put32(u, room, 12, chance(80) ? 0 : rnd()); break;
	}
}

/* --- setup ------------------------------------------------------------------ */

static void find_kernel_ranges(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];

	ktext[0] = 0xffffffff81000000ULL;
	ktext[1] = ktext[0] + (8UL << 20);
	krodata[0] = krodata[1] = 0;
	if (f) {
		uint64_t a;
		char t, name[200];

		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%" SCNx64 " %c %199s", &a, &t, name) != 3 || !a)
				continue;
			if (!strcmp(name, "_stext"))
				ktext[0] = a;
			else if (!strcmp(name, "_etext"))
				ktext[1] = a;
			else if (!strcmp(name, "__start_rodata"))
				krodata[0] = a;
			else if (!strcmp(name, "__end_rodata"))
				krodata[1] = a;
		}
		fclose(f);
	}
	if (ktext[1] <= ktext[0])
		ktext[1] = ktext[0] + PG;
	if (krodata[1] <= krodata[0]) {
		krodata[0] = ktext[0];
		krodata[1] = ktext[1];
	}
	say("DOMUS-HCFUZZ: kernel text %#" PRIx64 "-%#" PRIx64 ", rodata %#" PRIx64 "-%#" PRIx64,
	    ktext[0], ktext[1], krodata[0], krodata[1]);
}

/* The direct map's base: a RAM segment of /proc/kcore has p_vaddr = base + p_paddr. */
static uint64_t find_page_offset(void)
{
	int fd = open("/proc/kcore", O_RDONLY);
	Elf64_Ehdr eh;
	uint64_t base = 0;
	int i;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		for (i = 0; i < eh.e_phnum && i < 256; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * sizeof(ph)) != sizeof(ph))
				break;
			if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 ||
			    ph.p_vaddr < 0xffff880000000000ULL || ph.p_vaddr >= 0xffffc80000000000ULL)
				continue;
			base = ph.p_vaddr - ph.p_paddr;
			break;
		}
	}
	close(fd);
	return base;
}

static void find_kdmap(void)
{
	uint64_t base = find_page_offset();
	int fd = open("/proc/self/pagemap", O_RDONLY);
	int i, n = 0;

	for (i = 0; fd >= 0 && base && i < BUF_PAGES; i++) {
		uint64_t e;

		if (pread(fd, &e, 8, ((uintptr_t)buf / PG + i) * 8) != 8)
			break;
		if ((e >> 63) && (e & ((1ULL << 55) - 1))) {
			kdmap[i] = base + (e & ((1ULL << 55) - 1)) * PG;
			n++;
		}
	}
	if (fd >= 0)
		close(fd);
	say("DOMUS-HCFUZZ: direct map at %#" PRIx64 ", %d buffer pages aliased", base, n);
}

/* Highest end of "System RAM" in /proc/iomem, and the physical address width. */
static void map_devmem(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	uint64_t top = 0, lo, hi, cand[4];
	unsigned int eax, ebx, ecx, edx, bits = 36;
	char line[256];
	int fd, i;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (line[0] != ' ' && strstr(line, "System RAM") &&
			    sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2 && hi + 1 > top)
				top = hi + 1;
		}
		fclose(f);
	}
	if (__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx))
		bits = eax & 0xff;
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0 || !top) {
		say("DOMUS-HCFUZZ: no /dev/mem pages (%s, RAM top %#" PRIx64 ")", strerror(errno), top);
		if (fd >= 0)
			close(fd);
		return;
	}
	cand[0] = (top + PG - 1) & ~(PG - 1);		/* the first frame above RAM */
	cand[1] = cand[0] + (64ULL << 20);
	cand[2] = 0x100000000ULL + (1ULL << 30);	/* above 4 GiB */
	cand[3] = (1ULL << bits) - PG;			/* the last physical frame */
	for (i = 0; i < 4; i++) {
		void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, cand[i]);

		if (m != MAP_FAILED)
			devmem[ndevmem++] = m;
	}
	/* a RAM page followed by the first non-RAM frame */
	straddle = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (straddle == MAP_FAILED ||
	    mmap(straddle + PG, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, cand[0]) == MAP_FAILED)
		straddle = NULL;
	close(fd);
	say("DOMUS-HCFUZZ: RAM top %#" PRIx64 ", %u physical address bits, %d non-RAM pages mapped%s",
	    top, bits, ndevmem, straddle ? ", RAM/non-RAM straddle" : "");
}

/* --- hypercalls ------------------------------------------------------------- */

static int privcmd = -1;

static long hcall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct hcfuzz_call c = { op, { a0, a1, a2, a3, a4 } };
	long r = ioctl(privcmd, HCFUZZ_IOCTL_HYPERCALL, &c);

	return r < 0 ? -errno : r;
}

/* ports open before fuzzing: the guest kernel's */
static uint8_t port_was_open[NR_PORTS];
static uint64_t callback_irq;
static int callback_irq_known;

static int port_state(unsigned int port)
{
	uint32_t *st = (uint32_t *)(ctl + 512);	/* struct evtchn_status */

	memset(st, 0, 24);
	st[0] = DOMID_SELF;
	st[1] = port;
	if (hcall(HC_event_channel_op, 5 /* status */, (uintptr_t)st, 0, 0, 0))
		return -1;
	return st[2];
}

static void snapshot(void)
{
	uint64_t *p = (uint64_t *)(ctl + 256);	/* struct xen_hvm_param */
	unsigned int i, open = 0;

	for (i = 1; i < NR_PORTS; i++) {
		port_was_open[i] = port_state(i) != 0;
		open += port_was_open[i];
	}
	p[0] = DOMID_SELF;	/* domid, pad, index 0 (CALLBACK_IRQ) */
	p[1] = 0;
	if (!hcall(HC_hvm_op, 1 /* get_param */, (uintptr_t)p, 0, 0, 0)) {
		callback_irq = p[1];
		callback_irq_known = 1;
	}
	say("DOMUS-HCFUZZ: %u event channel ports open, callback irq %#" PRIx64, open, callback_irq);
}

/* A singleshot timer in the past: fires now; Linux reprograms its next event. */
static void repair_timer(void)
{
	uint64_t *t = (uint64_t *)ctl;

	t[0] = 1;
	t[1] = 0;
	hcall(HC_vcpu_op, 8 /* set_singleshot_timer */, 0, (uintptr_t)t, 0, 0);
}

static void cleanup(void)
{
	unsigned int i, closed = 0;
	uint32_t *port = (uint32_t *)(ctl + 1024);

	for (i = 1; i < NR_PORTS; i++) {
		if (port_was_open[i] || port_state(i) <= 0)
			continue;
		*port = i;
		if (!hcall(HC_event_channel_op, 3 /* close */, (uintptr_t)port, 0, 0, 0))
			closed++;
	}
	hcall(HC_vcpu_op, 7 /* stop_periodic_timer */, 0, 0, 0, 0);
	repair_timer();
	say("DOMUS-HCFUZZ: cleanup: closed %u ports the fuzz left open", closed);
}

/* --- the rules ------------------------------------------------------------ */

static unsigned long n_block, n_nmi, n_excluded, n_repair;

static int kernel_contents(const struct ptr *p)
{
	return p->cls == P_KTEXT || p->cls == P_KRODATA;
}

/* A pointer whose contents are not read at all (fault on the first byte). */
static struct ptr fault_ptr(void)
{
	struct ptr p = { 0xdead000000000000ULL + below(PG), P_NONCANON, NULL, 0, 0, 0 };

	return p;
}

/*
 * Apply the exclusions (see the head of the file) to one call; @p are the
 * pointer descriptions of args 1-4 (cls P_NCLASSES: not a pointer).
 * Returns nonzero if the guest's timer needs the repair call afterwards.
 */
static int sanitize(struct hcfuzz_call *c, struct ptr p[5])
{
	uint32_t op = (uint32_t)c->op;
	uint64_t cmd = c->arg[0];
	struct ptr *a1 = &p[1];
	uint8_t *u = a1->user;
	long room = a1->wr;

	if (c->op >= 128 && op >= 128)
		return 0;	/* privcmd refuses it: never reaches the hypervisor */
	switch (op) {
	case HC_sched_op:
		if (cmd == 2 || cmd == 4 || (cmd == 1 && n_block >= 20)) {
			c->arg[0] = 0;		/* yield */
			n_excluded++;
		} else if (cmd == 1) {
			n_block++;
		} else if (cmd == 3) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 24) {
				uint64_t past = 1;

				memcpy(u + 16, &past, 8);	/* timeout: already passed */
			} else if (u) {
				*a1 = fault_ptr();	/* a partial struct: no control of the tail */
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_vcpu_op:
		if (c->arg[1] == 0 && (cmd == 0 || cmd == 2)) {
			c->arg[0] = 3;			/* is_up */
			n_excluded++;
		} else if (cmd == 11 && n_nmi++ >= 5) {
			c->arg[0] = 3;
			n_excluded++;
		} else if (cmd == 5 && kernel_contents(&p[2])) {
			p[2] = fault_ptr();
			c->arg[2] = p[2].addr;
		}
		return c->arg[1] == 0 && (cmd == 8 || cmd == 9);
	case HC_set_timer_op:
		return 1;
	case HC_memory_op:
		if (cmd == 1) {
			c->arg[0] = 3;			/* current_reservation */
			n_excluded++;
		} else if (cmd == 7) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 8) {
				uint16_t dom;
				uint32_t space;

				memcpy(&dom, u, 2);
				memcpy(&space, u + 4, 4);
				if ((dom == DOMID_SELF || dom == MY_DOMID) && space == 0) {
					space = 1;	/* grant_table */
					memcpy(u + 4, &space, 4);
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_hvm_op:
		if (cmd == 0) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 16) {
				uint16_t dom;
				uint32_t idx;

				memcpy(&dom, u, 2);
				memcpy(&idx, u + 4, 4);
				if ((dom == DOMID_SELF || dom == MY_DOMID) && idx == 0) {
					if (callback_irq_known) {
						memcpy(u + 8, &callback_irq, 8);
					} else {
						dom = 0;
						memcpy(u, &dom, 2);
					}
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_event_channel_op:
		if (cmd == 10 || cmd == 14) {
			c->arg[0] = 5;			/* status */
			n_excluded++;
		} else if (cmd == 3) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 4) {
				uint32_t port;

				memcpy(&port, u, 4);
				if (port < NR_PORTS && port_was_open[port]) {
					port = 0;
					memcpy(u, &port, 4);
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_console_io:
		/* keep the guest's log readable: mostly short writes */
		if (chance(97))
			c->arg[1] = below(chance(80) ? 64 : 512);
		return 0;
	}
	return 0;
}

/* Bytes a call writes through arg 1 and nothing else, or 0 (no oracle). */
static long write_only_len(const struct hcfuzz_call *c)
{
	uint64_t op = c->op;

	if (op == HC_xen_version) {
		switch (c->arg[0]) {
		case 1: return 16;
		case 2: return 144;
		case 3: return 1024;
		case 4: return 64;
		case 5: return 8;
		case 8: return 16;
		}
	}
	if (op == HC_hvm_op && c->arg[0] == 10)
		return 8;
	return 0;
}

/* --- the main loop ---------------------------------------------------------- */

#define NERR 160
static unsigned long results[NERR + 1];	/* [0] ok (>= 0), [e] -e, [NERR] other */
static unsigned long by_op[128], unexpected, class_used[P_NCLASSES];
static uint8_t ro_copy[PG];

/* The read-only pages still hold what the fuzzer put there. */
static int ro_intact(void)
{
	unsigned int i;

	for (i = 0; i < PG; i++)
		if (zeropage[i])
			return 0;
	return !memcmp(ropage, ro_copy, PG);
}

static void count(long r)
{
	if (r >= 0)
		results[0]++;
	else if (-r < NERR)
		results[-r]++;
	else
		results[NERR]++;
}

static uint64_t pick_op(void)
{
	static const uint8_t impl[] = {
		HC_memory_op, HC_set_timer_op, HC_xen_version, HC_console_io, HC_grant_table_op,
		HC_vm_assist, HC_vcpu_op, HC_sched_op, HC_event_channel_op, HC_hvm_op,
	};
	unsigned int r = below(100);

	if (r < 75)
		return impl[below(sizeof(impl))];
	if (r < 90)
		return below(64);
	if (r < 94)
		return 64 + below(64);
	if (r < 97)		/* high bits set: privcmd passes the low 32 bits */
		return (rnd() << 32) | impl[below(sizeof(impl))];
	return rnd();
}

static uint64_t pick_subop(uint64_t op)
{
	static const uint8_t mem[] = { 3, 4, 7, 7, 7, 7 };
	unsigned int r = below(100);

	if (r < 50) {
		switch (op) {
		case HC_memory_op: return mem[below(sizeof(mem))];
		case HC_xen_version: return below(10);
		case HC_console_io: return below(2);
		case HC_grant_table_op: return (uint64_t[]){ 6, 8, 10, 2 }[below(4)];
		case HC_vm_assist: return below(2);
		case HC_vcpu_op: return below(14);
		case HC_sched_op: return below(8);
		case HC_event_channel_op: return below(10);
		case HC_hvm_op: return (uint64_t[]){ 0, 1, 10, 9 }[below(4)];
		}
	}

	if (r < 80)
		return below(16);
	if (r < 92)
		return below(256);
	return rnd();
}

static void fuzz(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct hcfuzz_call c;
		struct ptr p[5];
		int j, repair, vcpu_id;
		long r, wlen;

		c.op = pick_op();
		c.arg[0] = pick_subop(c.op);
		vcpu_id = c.op == HC_vcpu_op && chance(80);
		p[0].cls = P_NCLASSES;
		for (j = 1; j < 5; j++) {
			unsigned int k = below(100);

			p[j].cls = P_NCLASSES;
			p[j].user = NULL;
			if (j == 1 && vcpu_id) {
				c.arg[1] = below(3);	/* vcpu_op's vCPU id */
			} else if (k < (j == 1 || j == 2 ? 65u : 25u)) {
				p[j] = pick_ptr(0);
				c.arg[j] = p[j].addr;
				class_used[p[j].cls]++;
				if (p[j].user)	/* fresh contents for the call */
					fill(p[j].user, p[j].wr < 512 ? p[j].wr : 512);
			} else {
				c.arg[j] = rnd_word(2);
			}
		}
		if ((uint32_t)c.op == c.op) {
			if (c.op == HC_vcpu_op)
				shape_vcpu(c.arg[0], p[2].user, p[2].wr);
			else if (c.op != HC_console_io)
				shape(c.op, c.arg[0], p[1].user, p[1].wr);
		}
		repair = sanitize(&c, p);
		wlen = write_only_len(&c);
		r = hcall(c.op, c.arg[0], c.arg[1], c.arg[2], c.arg[3], c.arg[4]);
		count(r);
		if (c.op < 128)
			by_op[c.op]++;
		if (wlen && p[1].cls != P_NCLASSES && !p[1].no_oracle) {
			int ok = p[1].wr >= wlen;

			if ((ok && r != 0) || (!ok && r != -EFAULT)) {
				if (unexpected++ < 10)
					say("DOMUS-HCFUZZ: unexpected: op %" PRIu64 " cmd %" PRIu64
					    " arg %#" PRIx64 " (%s, %ld writable) -> %ld",
					    c.op, c.arg[0], c.arg[1], pclass_name[p[1].cls], p[1].wr, r);
			}
		}
		if (((uint32_t)c.op == HC_vcpu_op || (i + 1) % 1000 == 0) && !ro_intact()) {
			if (unexpected++ < 10)
				say("DOMUS-HCFUZZ: unexpected: read-only memory changed after op %" PRIu64
				    " cmd %" PRIu64 " args %#" PRIx64 " %#" PRIx64,
				    c.op, c.arg[0], c.arg[1], c.arg[2]);
			memcpy(ro_copy, ropage, PG);	/* report each change once */
		}
		if (repair) {
			repair_timer();
			n_repair++;
		}
		if ((i + 1) % 10000 == 0)
			say("DOMUS-HCFUZZ: %lu calls", i + 1);
	}
}

/*
 * A deliberate hostile pattern the random calls hit only rarely: move
 * grant frames to frames in ever new 1 GiB regions of the guest-physical
 * space, each of which needs new nested page-table pages in the host.
 * The host must bound that (the test checks the module's table-page
 * counter); the guest sees -ENOMEM once its allowance is used.
 */
static void grant_walk(unsigned long n)
{
	uint8_t *a = ctl + 2048;	/* struct xen_add_to_physmap */
	unsigned long i, ok = 0, enomem = 0, other = 0;

	for (i = 0; i < n; i++) {
		uint64_t gfn = ((1 + below((1ULL << 18) - 1)) << 18) + below(512);
		long r;

		memset(a, 0, 24);
		put16(a, 24, 0, DOMID_SELF);
		put32(a, 24, 4, 1);			/* XENMAPSPACE_grant_table */
		put64(a, 24, 8, below(32));
		put64(a, 24, 16, gfn);
		r = hcall(HC_memory_op, 7, (uintptr_t)a, 0, 0, 0);
		if (r == 0)
			ok++;
		else if (r == -ENOMEM)
			enomem++;
		else
			other++;
	}
	say("DOMUS-HCFUZZ: grant-frame walk: %lu placements in new 1 GiB regions: %lu ok, %lu ENOMEM, %lu other",
	    n, ok, enomem, other);
}

/* --- user-mode VMMCALL -------------------------------------------------------- */

static sigjmp_buf ill_jmp;
static unsigned long u_eperm, u_other, u_sigill;	/* kept across siglongjmp */

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(ill_jmp, 1);
}

static int is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541;		/* "Auth" */
}

static void user_calls(unsigned long n)
{
	int amd = is_amd();
	static unsigned long i;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigill;
	sigaction(SIGILL, &sa, NULL);
	for (i = 0; i < n; i++) {
		volatile uint64_t nr = chance(50) ? below(64) : rnd();
		uint64_t ret, a1 = rnd_word(1), a2 = rnd_word(1), a3 = rnd_word(1);

		if (nr == 0xd0000000ULL)	/* domus's own no-op test call */
			nr = 0;
		if (sigsetjmp(ill_jmp, 1)) {
			u_sigill++;
			continue;
		}
		ret = nr;
		if (amd)
			__asm__ volatile("vmmcall" : "+a"(ret) : "D"(a1), "S"(a2), "d"(a3) : "memory", "cc");
		else
			__asm__ volatile("vmcall" : "+a"(ret) : "D"(a1), "S"(a2), "d"(a3) : "memory", "cc");
		if (ret == (uint64_t)-1)
			u_eperm++;
		else if (u_other++ < 5)
			say("DOMUS-HCFUZZ: unexpected: user-mode %s %#" PRIx64 " -> %#" PRIx64,
			    amd ? "vmmcall" : "vmcall", (uint64_t)nr, ret);
	}
	unexpected += u_other + u_sigill;
	say("DOMUS-HCFUZZ: user-mode %s: %lu calls, %lu -EPERM, %lu other, %lu SIGILL",
	    amd ? "vmmcall" : "vmcall", n, u_eperm, u_other, u_sigill);
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

int main(int argc, char **argv)
{
	unsigned long n = 100000, nuser = 2000, ngrant = 1000;
	const char *env = getenv("hcfuzz_seed");
	uint64_t seed = env ? strtoull(env, NULL, 0) : ((uint64_t)time(NULL) << 16) ^ getpid();
	char line[1024];
	struct timespec t0, t1;
	int opt, len, i;
	unsigned long done = 0;
	long r;

	while ((opt = getopt(argc, argv, "n:u:g:s:k")) != -1) {
		switch (opt) {
		case 'g': ngrant = strtoul(optarg, NULL, 0); break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'u': nuser = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'k': kmsg = open("/dev/kmsg", O_WRONLY); break;
		default:
			fprintf(stderr, "usage: pv-hcfuzz [-n CALLS] [-u USERCALLS] [-g GRANTMOVES] [-s SEED] [-k]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	rng = seed;
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
	say("DOMUS-HCFUZZ-DONE calls=%lu unexpected=%lu excluded=%lu timer-repairs=%lu blocks=%lu "
	    "seconds=%.1f seed=%" PRIu64,
	    done, unexpected, n_excluded, n_repair, n_block,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, seed);
	return unexpected ? 1 : 0;
}
