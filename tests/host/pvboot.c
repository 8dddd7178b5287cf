// SPDX-License-Identifier: MIT
/*
 * pvboot: a minimal launcher for tests of the Xen PVH personality (not the
 * product launcher).  Loads a kernel (bzImage or vmlinux) with the libdomus
 * loader into a DOMUS_DOMAIN_XEN domain with one vCPU, runs it, prints the
 * guest's early console (CONSOLEIO_write hypercalls, port 0xE9) on stdout,
 * logs exits it does not expect on stderr, and ends when a marker line
 * appears on the console, the guest shuts down, or the timeout passes.
 *
 * usage: pvboot [-m MiB] [-s VCPUS] [-t SEC] [-i INITRD] [-c CMDLINE] [-C [-I TEXT]]
 *               [-M MARKER [-w]] KERNEL
 * -w: after the marker, keep running until the guest shuts down.
 * -s: vCPUs (one thread each; APs start with the guest's INIT/SIPI).
 * -C: a PV console ring (HVM_PARAM_CONSOLE_PFN/EVTCHN) in the loader's
 *     special area, served by a thread through DOMUS_XEN_EVTCHN_BIND
 *     eventfds; its output goes to stdout like the early console.  -I:
 *     the line typed into it when the guest prints "hvc0 waiting for
 *     input".
 * -D MS: dirty logging of guest RAM as a pre-copy migration uses it: a
 *     shadow copy made before the guest starts, then every MS ms the
 *     frames DOMUS_GET_DIRTY_LOG names are copied again; after the guest
 *     ends, a last round, and the shadow must equal guest RAM except for
 *     frames the next log names (written meanwhile).  A frame that differs
 *     and was never logged fails the run.
 * pvboot -G: print the module's live-object counters (exit 0 if all zero).
 * At the end, a grant the guest announced with "granted ref N" is looked
 * up in the grant table (mmap of the domain fd) and its page checked.
 * Exits to userspace other than those on the allowlist (allowed[] below)
 * are logged ("unexpected: ...") and make the run fail.
 * Exit status: 0 marker seen (with -w: and then a shutdown; without -M: a
 * guest shutdown) and no unexpected exit; 1 error, unexpected guest end or
 * unexpected exit; 2 timeout; 3 usage.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include "libdomus.h"
#include "loader.h"
#include "xen_abi.h"

#define MAX_UNEXPECTED	40

static const char *marker;
static int marker_seen, wait_shutdown;
static double marker_wall;	/* host wall-clock time when the marker line arrived */
static bool exit_allowed(const struct domus_run *run);
static char line[4096];
static size_t line_len;
static unsigned long unexpected;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int done, want_input;
static volatile long long shutdown_reason = -1, shutdown_source = -1;
static long grant_ref = -1;
static const char *input_text;

/* The PV console ring (pvh-abi.md section 12). */
struct xencons {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod, out_cons, out_prod;
};
#define CONS_GPA	DOMUS_PVH_SPECIAL_GPA
static struct xencons *cons;
static int cons_notify = -1, cons_kick = -1;

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

/* Guest console bytes: to stdout as they come; lines checked for the marker. */
static void console_out(const char *p, size_t n)
{
	size_t i;

	pthread_mutex_lock(&out_lock);
	fwrite(p, 1, n, stdout);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || line_len == sizeof(line) - 1) {
			const char *g;

			line[line_len] = 0;
			if (marker && !marker_seen && strstr(line, marker)) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				marker_wall = ts.tv_sec + ts.tv_nsec / 1e9;
				marker_seen = 1;
			}
			if (strstr(line, "hvc0 waiting for input"))
				want_input = 1;
			g = strstr(line, "granted ref ");
			if (g && grant_ref < 0)
				grant_ref = strtol(g + 12, NULL, 10);
			line_len = 0;
		} else if (p[i] != '\r') {
			line[line_len++] = p[i];
		}
	}
	pthread_mutex_unlock(&out_lock);
}

/* The console backend: drains the out ring on events (and every 50 ms). */
static void *console_thread(void *arg)
{
	(void)arg;
	while (!done) {
		struct pollfd pfd = { .fd = cons_notify, .events = POLLIN };
		uint64_t cnt;
		uint32_t prod, cons_i;
		int kick = 0;

		if (poll(&pfd, 1, 50) > 0 && read(cons_notify, &cnt, sizeof(cnt)) < 0)
			break;
		prod = __atomic_load_n(&cons->out_prod, __ATOMIC_ACQUIRE);
		cons_i = cons->out_cons;
		if (prod - cons_i > sizeof(cons->out))
			cons_i = prod - sizeof(cons->out);	/* a confused guest */
		while (cons_i != prod) {
			char buf[2048];
			size_t n = 0;

			while (cons_i != prod && n < sizeof(buf))
				buf[n++] = cons->out[cons_i++ & (sizeof(cons->out) - 1)];
			console_out(buf, n);
			kick = 1;
		}
		__atomic_store_n(&cons->out_cons, cons_i, __ATOMIC_RELEASE);
		if (want_input == 1 && input_text) {
			const char *t = input_text;
			uint32_t ip = cons->in_prod;

			for (; *t; t++)
				cons->in[ip++ & (sizeof(cons->in) - 1)] = *t;
			cons->in[ip++ & (sizeof(cons->in) - 1)] = '\n';
			__atomic_store_n(&cons->in_prod, ip, __ATOMIC_RELEASE);
			want_input = 2;
			kick = 1;
		}
		if (kick) {
			cnt = 1;
			if (write(cons_kick, &cnt, sizeof(cnt)) < 0)
				break;
		}
	}
	return NULL;
}

/* An AP's thread: runs its vCPU (first blocked until the guest's SIPI). */
static void *ap_thread(void *arg)
{
	struct domus_vcpu_handle *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* the main thread takes the timer */
	while (!done) {
		struct domus_run *run = v->run;
		int r = domus_run(v);

		if (r == -EINTR)
			continue;
		if (r)
			break;
		if (run->exit_reason == DOMUS_EXIT_HLT || run->exit_reason == DOMUS_EXIT_IRQ_WINDOW)
			continue;
		if (run->exit_reason == DOMUS_EXIT_HYPERCALL || run->exit_reason == DOMUS_EXIT_IO ||
		    run->exit_reason == DOMUS_EXIT_MMIO) {
			if (!exit_allowed(run)) {
				if (run->exit_reason == DOMUS_EXIT_HYPERCALL)
					run->hypercall.ret = (unsigned long long)-38;
				if (run->exit_reason == DOMUS_EXIT_IO && run->io.direction == DOMUS_IO_IN)
					memset((char *)run + run->io.data_offset, 0xff,
					       run->io.size * run->io.count);
				if (run->exit_reason == DOMUS_EXIT_MMIO && !run->mmio.is_write)
					memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
				continue;
			}
		}
		if (run->exit_reason == DOMUS_EXIT_HYPERCALL && run->hypercall.nr == XEN_HC_CONSOLE_IO) {
			console_out((const char *)run + DOMUS_RUN_DATA_OFFSET, run->hypercall.args[1]);
			continue;
		}
		if (run->exit_reason == DOMUS_EXIT_HYPERCALL && run->hypercall.nr == XEN_HC_SCHED_OP &&
		    run->hypercall.args[0] == XEN_SCHEDOP_SHUTDOWN) {
			shutdown_source = run->hypercall.args[2];
			shutdown_reason = run->hypercall.args[1];
			done = 1;
			break;
		}
		if (run->exit_reason == DOMUS_EXIT_IO) {
			if (run->io.port == 0xe9)
				console_out((const char *)run + run->io.data_offset,
					    run->io.size * run->io.count);
			continue;	/* ACPI sleep control on an AP: the BSP's to act on */
		}
		if (run->exit_reason == DOMUS_EXIT_SHUTDOWN || run->exit_reason == DOMUS_EXIT_FAIL_ENTRY ||
		    run->exit_reason == DOMUS_EXIT_EMULATION) {
			fprintf(stderr, "\npvboot: vCPU %u: exit %s\n", v->id, domus_exit_name(run->exit_reason));
			done = 2;
			break;
		}
	}
	return NULL;
}

/* The backend's grant check (pvh-abi.md 9.4): entry @ref must grant a RAM page to domain 0. */
static void check_grant(int domfd, const void *mem, size_t mem_size, long ref)
{
	struct { uint16_t flags, domid; uint32_t frame; } *gt;
	size_t len = DOMUS_XEN_GNTTAB_MAX_FRAMES * 4096;
	char pattern[64];

	gt = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, domfd, DOMUS_XEN_GNTTAB_MMAP_OFFSET);
	if (gt == MAP_FAILED) {
		fprintf(stderr, "pvboot: grant table mmap: %s\n", strerror(errno));
		return;
	}
	if (ref < 0 || (size_t)ref >= len / sizeof(*gt)) {
		fprintf(stderr, "pvboot: grant ref %ld out of range\n", ref);
	} else if ((gt[ref].flags & 3) != 1 || gt[ref].domid != 0 ||
		   (uint64_t)gt[ref].frame * 4096 >= mem_size) {
		fprintf(stderr, "pvboot: grant ref %ld: flags %#x domid %u frame %#x: not a grant of RAM to domain 0\n",
			ref, gt[ref].flags, gt[ref].domid, gt[ref].frame);
	} else {
		snprintf(pattern, sizeof(pattern), "DOMUS-GRANT-PATTERN %ld", ref);
		fprintf(stderr, "pvboot: grant ref %ld: frame %#x, %s\n", ref, gt[ref].frame,
			strcmp((const char *)mem + (uint64_t)gt[ref].frame * 4096, pattern) ?
			"page does not hold the pattern" : "page holds the pattern");
	}
	munmap(gt, len);
}

/* A console page at the loader's special area and its event channel to this process. */
static int setup_console(int domfd)
{
	struct domus_xen_evtchn_bind b;
	struct domus_xen_param p;

	cons = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cons_notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cons_kick = eventfd(0, EFD_CLOEXEC);
	if (cons == MAP_FAILED || cons_notify < 0 || cons_kick < 0)
		return -1;
	if (domus_set_slot(domfd, 1, CONS_GPA, 4096, cons, 0)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.notify_fd = cons_notify;
	b.kick_fd = cons_kick;
	if (ioctl(domfd, DOMUS_XEN_EVTCHN_BIND, &b)) {
		perror("pvboot: DOMUS_XEN_EVTCHN_BIND");
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.index = 17;			/* HVM_PARAM_CONSOLE_PFN */
	p.value = CONS_GPA >> 12;
	if (ioctl(domfd, DOMUS_XEN_SET_PARAM, &p))
		return -1;
	p.index = 18;			/* HVM_PARAM_CONSOLE_EVTCHN */
	p.value = b.port;
	if (ioctl(domfd, DOMUS_XEN_SET_PARAM, &p))
		return -1;
	fprintf(stderr, "pvboot: console ring at %#llx, guest port %u, backend port %u\n",
		(unsigned long long)CONS_GPA, b.port, b.backend_port);
	return 0;
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;
	unsigned long n;

	pthread_mutex_lock(&out_lock);
	n = unexpected++;
	pthread_mutex_unlock(&out_lock);
	if (n >= MAX_UNEXPECTED)
		return;
	fprintf(stderr, "pvboot: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Exits that may reach this launcher: everything else a PVH guest does is
 * the module's to handle, so any other hypercall, port or MMIO access
 * that comes to userspace is counted as unexpected and fails the run.
 */
struct allowed_exit {
	unsigned int reason;	/* DOMUS_EXIT_* */
	uint64_t nr, last;	/* hypercall number, or I/O ports nr..last */
	int64_t op;		/* hypercall: args[0], -1 any; I/O: direction, -1 any */
	const char *what;
	unsigned long count;
};

/* No MMIO at all: a PVH guest without devices touches none. */
static struct allowed_exit allowed[] = {
	{ DOMUS_EXIT_HYPERCALL, XEN_HC_CONSOLE_IO, XEN_HC_CONSOLE_IO, -1, "CONSOLEIO (early console)", 0 },
	{ DOMUS_EXIT_HYPERCALL, XEN_HC_SCHED_OP, XEN_HC_SCHED_OP, XEN_SCHEDOP_SHUTDOWN, "SCHEDOP_shutdown", 0 },
	{ DOMUS_EXIT_IO, 0xe9, 0xe9, DOMUS_IO_OUT, "port 0xe9 output (early console)", 0 },
	{ DOMUS_EXIT_IO, DOMUS_ACPI_SLEEP_CONTROL_PORT, DOMUS_ACPI_SLEEP_CONTROL_PORT,
	  DOMUS_IO_OUT, "ACPI sleep control", 0 },
	/* legacy probes, answered "no device" (reads 0xff) */
	{ DOMUS_EXIT_IO, 0x2e8, 0x2ff, -1, "8250 probes of COM4/COM2", 0 },
	{ DOMUS_EXIT_IO, 0x3e8, 0x3ff, -1, "8250 probes of COM3/COM1", 0 },
	{ DOMUS_EXIT_IO, 0x80, 0x8f, -1, "POST and DMA page registers", 0 },
};

/* Count an exit to userspace; false (and a note) if it is not on the list. */
static bool exit_allowed(const struct domus_run *run)
{
	unsigned int i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		const struct allowed_exit *a = &allowed[i];

		if (a->reason != run->exit_reason)
			continue;
		if (a->reason == DOMUS_EXIT_HYPERCALL && a->nr == run->hypercall.nr &&
		    (a->op < 0 || (uint64_t)a->op == run->hypercall.args[0]))
			break;
		if (a->reason == DOMUS_EXIT_IO && run->io.port >= a->nr && run->io.port <= a->last &&
		    (a->op < 0 || (uint64_t)a->op == run->io.direction))
			break;
	}
	pthread_mutex_lock(&out_lock);
	if (i < sizeof(allowed) / sizeof(allowed[0]))
		allowed[i].count++;
	pthread_mutex_unlock(&out_lock);
	if (i < sizeof(allowed) / sizeof(allowed[0]))
		return true;
	switch (run->exit_reason) {
	case DOMUS_EXIT_HYPERCALL:
		note("unexpected: hypercall %llu (op %llu) exited to userspace: -ENOSYS",
		     (unsigned long long)run->hypercall.nr,
		     (unsigned long long)run->hypercall.args[0]);
		break;
	case DOMUS_EXIT_IO:
		note("unexpected: port %s %#x size %u count %u",
		     run->io.direction == DOMUS_IO_OUT ? "write" : "read",
		     run->io.port, run->io.size, run->io.count);
		break;
	case DOMUS_EXIT_MMIO:
		note("unexpected: MMIO %s gpa %#llx len %u", run->mmio.is_write ? "write" : "read",
		     (unsigned long long)run->mmio.gpa, run->mmio.len);
		break;
	default:
		note("unexpected: exit %s", domus_exit_name(run->exit_reason));
	}
	return false;
}

static void dump_state(struct domus_vcpu_handle *v)
{
	struct domus_regs r;
	struct domus_sregs s;
	struct domus_events e;

	if (domus_get_events(v, &e) == 0 && (e.exception.pending || e.interrupt.pending))
		fprintf(stderr, "pvboot: event in delivery: exception %s %u (error %#x), interrupt %s %u\n",
			e.exception.pending ? "yes" : "no", e.exception.nr, e.exception.error_code,
			e.interrupt.pending ? "yes" : "no", e.interrupt.nr);
	if (domus_get_regs(v, &r) || domus_get_sregs(v, &s))
		return;
	fprintf(stderr, "pvboot: rip %#llx rsp %#llx rax %#llx rflags %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
		(unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rax,
		(unsigned long long)r.rflags, (unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer);
	fprintf(stderr, "pvboot: cs %#x/%#x idt %#llx/%#x gdt %#llx/%#x\n", s.cs.selector, s.cs.attr,
		(unsigned long long)s.idt.base, s.idt.limit, (unsigned long long)s.gdt.base, s.gdt.limit);
}

/* --- -D: dirty logging with a shadow copy ------------------------------------ */

static unsigned long dirty_ms;
static int dirty_fd;
static uint8_t *dirty_mem, *shadow;
static uint64_t *dirty_bits;
static size_t dirty_frames;
static unsigned long dirty_rounds, dirty_copied, dirty_max;
static pthread_t dirty_tid;

/* One round: read the log, copy the frames it names; -1 on error. */
static long dirty_round(void)
{
	size_t w, words = (dirty_frames + 63) / 64;
	long n = 0;

	if (domus_dirty_log_get(dirty_fd, 0, dirty_bits)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return -1;
	}
	for (w = 0; w < words; w++) {
		uint64_t bits = dirty_bits[w];

		while (bits) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (i < dirty_frames) {
				memcpy(shadow + (i << 12), dirty_mem + (i << 12), 4096);
				n++;
			}
		}
	}
	return n;
}

static void *dirty_thread(void *arg)
{
	sigset_t set;
	long n;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!done) {
		usleep(dirty_ms * 1000);
		n = dirty_round();
		if (n < 0)
			break;
		dirty_rounds++;
		dirty_copied += n;
		if ((unsigned long)n > dirty_max)
			dirty_max = n;
	}
	return NULL;
}

static int dirty_start(int domfd, void *mem, size_t size)
{
	dirty_fd = domfd;
	dirty_mem = mem;
	dirty_frames = size >> 12;
	shadow = malloc(size);
	dirty_bits = calloc((dirty_frames + 63) / 64, 8);
	if (!shadow || !dirty_bits || domus_dirty_log_set(domfd, 0, 1)) {
		fprintf(stderr, "pvboot: dirty log: %s\n", shadow && dirty_bits ? domus_last_error() : "out of memory");
		return -1;
	}
	memcpy(shadow, mem, size);	/* round 0: everything */
	pthread_create(&dirty_tid, NULL, dirty_thread, NULL);
	return 0;
}

/* After the guest: the last round and the comparison; 0 if nothing was missed. */
static int dirty_finish(void)
{
	long last;
	size_t i;
	unsigned long differ = 0, missed = 0, first_missed = 0;
	uint8_t *bad = calloc(dirty_frames, 1);

	pthread_join(dirty_tid, NULL);
	last = dirty_round();
	for (i = 0; bad && last >= 0 && i < dirty_frames; i++)
		if (memcmp(shadow + (i << 12), dirty_mem + (i << 12), 4096))
			bad[i] = 1, differ++;
	/* frames written since the last round (vCPUs still halting) show in the next log */
	if (bad && last >= 0 && differ && !domus_dirty_log_get(dirty_fd, 0, dirty_bits)) {
		for (i = 0; i < dirty_frames; i++) {
			if (bad[i] && !((dirty_bits[i / 64] >> (i % 64)) & 1)) {
				if (!missed++)
					first_missed = i;
			}
		}
	} else if (differ) {
		missed = differ;
	}
	fprintf(stderr, "pvboot: dirty log: %lu rounds, %lu frames copied, at most %lu a round, %ld in the last; "
		"%lu frames differ after it, %lu never logged (first gfn %#lx)\n",
		dirty_rounds, dirty_copied, dirty_max, last, differ, missed, first_missed);
	free(bad);
	return !bad || last < 0 || missed;
}

static int usage(void)
{
	fprintf(stderr, "usage: pvboot [-m MiB] [-s VCPUS] [-t SEC] [-i INITRD] [-c CMDLINE] [-C [-I TEXT]] [-M MARKER [-w]] [-D MS] KERNEL\n");
	return 3;
}

int main(int argc, char **argv)
{
	struct domus_load_params lp;
	struct domus_load_result *res;
	struct domus_create_domain cd;
	struct domus_cpuid_entry cpuid[DOMUS_MAX_CPUID_ENTRIES];
	struct domus_domain_stats st;
	struct domus_vcpu_handle v, aps[7];
	pthread_t ap_tid[7], cons_tid;
	unsigned long nvcpus = 1, i;
	int use_console = 0;
	struct domus_cpuid ct;
	struct sigaction sa;
	struct itimerval it;
	unsigned long mib = 256, timeout = 120;
	const char *initrd = NULL, *cmdline = "earlyprintk=xen keep_bootcon loglevel=7";
	double t0, t_end;
	size_t mem_size;
	void *mem;
	int opt, devfd, domfd, rc = 1;

	while ((opt = getopt(argc, argv, "m:s:t:i:c:CI:M:wGD:")) != -1) {
		switch (opt) {
		case 'G': {
			/* only the module's live-object counters; 0 if all are zero */
			struct domus_global_stats gs;
			int fd = domus_open();

			if (fd < 0 || domus_global_stats(fd, &gs)) {
				fprintf(stderr, "pvboot: %s\n", domus_last_error());
				return 1;
			}
			printf("domains %llu vcpus %llu pinned_pages %llu npt_pages %llu\n",
			       (unsigned long long)gs.domains, (unsigned long long)gs.vcpus,
			       (unsigned long long)gs.pinned_pages, (unsigned long long)gs.npt_pages);
			return gs.domains || gs.vcpus || gs.pinned_pages || gs.npt_pages;
		}
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': nvcpus = strtoul(optarg, NULL, 0); break;
		case 'C': use_console = 1; break;
		case 'I': input_text = optarg; break;
		case 't': timeout = strtoul(optarg, NULL, 0); break;
		case 'i': initrd = optarg; break;
		case 'c': cmdline = optarg; break;
		case 'M': marker = optarg; break;
		case 'w': wait_shutdown = 1; break;
		case 'D': dirty_ms = strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || mib < 16 || mib > 4096 || nvcpus < 1 || nvcpus > 8 ||
	    (dirty_ms && dirty_ms > 10000))
		return usage();

	mem_size = (size_t)mib << 20;
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res = calloc(1, sizeof(*res));
	if (mem == MAP_FAILED || !res) {
		fprintf(stderr, "pvboot: out of memory for %lu MiB of guest RAM\n", mib);
		return 1;
	}
	memset(&lp, 0, sizeof(lp));
	lp.kernel = argv[optind];
	lp.initrd = initrd;
	lp.cmdline = cmdline;
	lp.vcpus = nvcpus;
	if (domus_load_kernel(&lp, mem, mem_size, res)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return 1;
	}
	fprintf(stderr, "pvboot: kernel entry %#llx, start info %#llx, initrd %#llx+%#llx, rsdp %#llx\n",
		(unsigned long long)res->kernel.entry, (unsigned long long)res->start_info_gpa,
		(unsigned long long)res->initrd_gpa, (unsigned long long)res->initrd_size,
		(unsigned long long)res->rsdp_gpa);

	devfd = domus_open();
	if (devfd < 0) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return 1;
	}
	memset(&cd, 0, sizeof(cd));
	cd.flags = DOMUS_DOMAIN_XEN;
	domfd = ioctl(devfd, DOMUS_CREATE_DOMAIN, &cd);
	if (domfd < 0) {
		perror("pvboot: DOMUS_CREATE_DOMAIN");
		return 1;
	}
	if (domus_set_slot(domfd, 0, 0, mem_size, mem, 0)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return 1;
	}
	memset(&ct, 0, sizeof(ct));
	ct.nent = domus_host_cpuid(cpuid, DOMUS_MAX_CPUID_ENTRIES);
	ct.entries = (unsigned long long)(uintptr_t)cpuid;
	if (ioctl(domfd, DOMUS_SET_CPUID, &ct) < 0) {
		perror("pvboot: DOMUS_SET_CPUID");
		return 1;
	}
	if (use_console && setup_console(domfd))
		return 1;
	if (dirty_ms && dirty_start(domfd, mem, mem_size))
		return 1;
	if (domus_create_vcpu(domfd, 0, &v) || domus_set_regs(&v, &res->regs)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return 1;
	}
	{
		/* keep what the vCPU was created with in the fields the loader leaves 0 */
		struct domus_sregs cur;

		if (domus_get_sregs(&v, &cur) == 0 && !res->sregs.apic_base)
			res->sregs.apic_base = cur.apic_base;
	}
	if (domus_set_sregs(&v, &res->sregs)) {
		fprintf(stderr, "pvboot: %s\n", domus_last_error());
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: DOMUS_RUN returns -EINTR */
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 200000;
	it.it_value.tv_usec = 200000;
	setitimer(ITIMER_REAL, &it, NULL);

	/* APs: created up front, each blocked in DOMUS_RUN until its SIPI */
	for (i = 1; i < nvcpus; i++) {
		if (domus_create_vcpu(domfd, i, &aps[i - 1])) {
			fprintf(stderr, "pvboot: %s\n", domus_last_error());
			return 1;
		}
		pthread_create(&ap_tid[i - 1], NULL, ap_thread, &aps[i - 1]);
	}
	if (use_console)
		pthread_create(&cons_tid, NULL, console_thread, NULL);

	t0 = now_s();
	t_end = t0 + timeout;
	for (;;) {
		struct domus_run *run = v.run;
		int r = domus_run(&v);

		if (done) {
			if (done == 1) {
				fprintf(stderr, "\npvboot: guest shutdown, reason %lld (source %lld), after %.1f s\n",
					shutdown_reason, shutdown_source, now_s() - t0);
				rc = marker && !marker_seen ? 1 : 0;
			}
			goto out;
		}
		if (marker_seen == 1) {
			fprintf(stderr, "\npvboot: marker \"%s\" seen after %.1f s, at host time %.3f\n",
				marker, now_s() - t0, marker_wall);
			marker_seen = 2;
			if (!wait_shutdown) {
				rc = 0;
				break;
			}
		}
		if (now_s() > t_end) {
			fprintf(stderr, "\npvboot: timeout after %lu s\n", timeout);
			dump_state(&v);
			rc = 2;
			break;
		}
		if (r == -EINTR)
			continue;
		if (r) {
			fprintf(stderr, "pvboot: %s\n", domus_last_error());
			break;
		}
		if ((run->exit_reason == DOMUS_EXIT_HYPERCALL || run->exit_reason == DOMUS_EXIT_IO ||
		     run->exit_reason == DOMUS_EXIT_MMIO) && !exit_allowed(run)) {
			if (run->exit_reason == DOMUS_EXIT_HYPERCALL)
				run->hypercall.ret = (unsigned long long)-38;
			if (run->exit_reason == DOMUS_EXIT_IO && run->io.direction == DOMUS_IO_IN)
				memset((char *)run + run->io.data_offset, 0xff, run->io.size * run->io.count);
			if (run->exit_reason == DOMUS_EXIT_MMIO && !run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			continue;
		}
		switch (run->exit_reason) {
		case DOMUS_EXIT_HYPERCALL:
			if (run->hypercall.nr == XEN_HC_CONSOLE_IO) {
				console_out((const char *)run + DOMUS_RUN_DATA_OFFSET,
					    run->hypercall.args[1]);
				continue;
			}
			if (run->hypercall.nr == XEN_HC_SCHED_OP &&
			    run->hypercall.args[0] == XEN_SCHEDOP_SHUTDOWN) {
				fprintf(stderr, "\npvboot: guest shutdown, reason %llu (source %llu), after %.1f s\n",
					(unsigned long long)run->hypercall.args[1],
					(unsigned long long)run->hypercall.args[2], now_s() - t0);
				rc = marker && !marker_seen ? 1 : 0;
				goto out;
			}
			continue;	/* not reached: only the two above are allowed */
		case DOMUS_EXIT_IO: {
			unsigned char *data = (unsigned char *)run + run->io.data_offset;

			if (run->io.direction == DOMUS_IO_OUT) {
				if (run->io.port == 0xe9)
					console_out((const char *)data, run->io.size * run->io.count);
				else if (run->io.port == DOMUS_ACPI_SLEEP_CONTROL_PORT &&
					 (data[0] & DOMUS_ACPI_SLP_EN)) {
					fprintf(stderr, "\npvboot: ACPI power-off after %.1f s\n", now_s() - t0);
					rc = marker && !marker_seen ? 1 : 0;
					goto out;
				}
			}
			continue;
		}
		case DOMUS_EXIT_HLT:
		case DOMUS_EXIT_IRQ_WINDOW:
			continue;
		default:
			fprintf(stderr, "\npvboot: exit %s (%u)", domus_exit_name(run->exit_reason),
				run->exit_reason);
			if (run->exit_reason == DOMUS_EXIT_FAIL_ENTRY)
				fprintf(stderr, ": hw reason %#llx info %#llx",
					(unsigned long long)run->fail_entry.hw_reason,
					(unsigned long long)run->fail_entry.hw_info);
			if (run->exit_reason == DOMUS_EXIT_EMULATION)
				fprintf(stderr, ": gpa %#llx rip %#llx",
					(unsigned long long)run->emulation.gpa,
					(unsigned long long)run->emulation.rip);
			fputc('\n', stderr);
			dump_state(&v);
			goto out;
		}
	}
out:
	done = done ? done : 3;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (use_console) {
		pthread_join(cons_tid, NULL);
		if (want_input)
			fprintf(stderr, "pvboot: console input %s\n", want_input == 2 ? "sent" : "not sent");
	}
	if (grant_ref >= 0)
		check_grant(domfd, mem, mem_size, grant_ref);
	if (dirty_ms && dirty_finish() && rc == 0)
		rc = 1;
	if (domus_domain_stats(domfd, &st) == 0)
		fprintf(stderr, "pvboot: exits %llu, hypercalls %llu, hlt %llu, io %llu, msr %llu, injections %llu\n",
			(unsigned long long)st.stat[DOMUS_STAT_EXITS],
			(unsigned long long)st.stat[DOMUS_STAT_HYPERCALL],
			(unsigned long long)st.stat[DOMUS_STAT_HLT],
			(unsigned long long)st.stat[DOMUS_STAT_IO],
			(unsigned long long)st.stat[DOMUS_STAT_MSR],
			(unsigned long long)st.stat[DOMUS_STAT_INJECTIONS]);
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		fprintf(stderr, "pvboot: allowed exits to userspace: %s: %lu\n",
			allowed[i].what, allowed[i].count);
	fprintf(stderr, "pvboot: unexpected exits to userspace: %lu\n", unexpected);
	if (unexpected && rc == 0)
		rc = 1;
	domus_vcpu_close(&v);
	close(domfd);
	close(devfd);
	munmap(mem, mem_size);
	free(res);
	return rc;
}
