// SPDX-License-Identifier: MIT
/*
 * kvmboot: the /dev/kvm sibling of pvboot, for the like-with-like boot
 * benchmark (bench/boot, docs/perf-boot.md).  It boots a kernel through
 * the SAME libdomus loader as pvboot (kernel segments, hvm_start_info,
 * e820, ACPI tables written into one buffer), gives KVM that buffer as the
 * guest's RAM (KVM_SET_USER_MEMORY_REGION) and starts one vCPU at the PVH
 * entry point with the loader's entry state (32-bit flat protected mode,
 * EBX = hvm_start_info).  What the guest gets is KVM's own paravirtual
 * interface, as pvboot's guest gets the Xen PVH one of domus: KVM's
 * in-kernel irqchip (KVM_CREATE_IRQCHIP: LAPIC, PIC, IOAPIC; no PIT) and
 * KVM's CPUID (KVM_GET_SUPPORTED_CPUID: kvmclock, x2APIC; plus the
 * hypervisor bit, and TSC-deadline when KVM_CAP_TSC_DEADLINE_TIMER says
 * the LAPIC emulates it, as a VMM sets them).
 *
 * Devices: none but a console, a minimal 8250 UART at 0x3f8 (IRQ 4)
 * served here: THR bytes go to stdout, LSR says "transmitter empty", IER,
 * LCR, MCR, SCR and the divisor latch read back what was written, MSR
 * follows MCR in loopback (the 8250 driver's probe), and the THRE
 * interrupt is raised on IRQ 4 with KVM_IRQ_LINE.  Port 0xe9 output is
 * taken as console text too (earlyprintk), the loader's ACPI sleep port as
 * power-off; any other port or MMIO access reads all-ones and is counted.
 *
 * usage: kvmboot [-m MiB] [-t SEC] [-i INITRD] [-c CMDLINE] [-f LOADFLAGS] [-M MARKER] KERNEL
 * -f: struct domus_load_params.flags (DOMUS_LOAD_*), default 0 as pvboot.
 *
 * At the end it prints the exits that reached this program, per reason
 * and port ("kvmboot: user exits ..."), and, when debugfs is mounted, KVM's
 * own counters for all exits (/sys/kernel/debug/kvm/{exits,io_exits,...},
 * read at the marker while the VM exists):
 *   kvmboot: exits N, io N, mmio N, hlt N, irq N, irq_window N, signal N
 * Exit status: 0 marker seen (without -M: guest power-off); 1 error or
 * unexpected guest end; 2 timeout (or SIGTERM/SIGINT, after the counters
 * are printed); 3 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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

#define COM1		0x3f8
#define COM1_IRQ	4
#define MAX_CPUID	256

static const char *marker;
static int marker_seen;
static char line[4096];
static size_t line_len;
static char dbg_stats[256];

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;	/* THR empty interrupt not yet acknowledged */
	bool irq_level;
};
static struct uart com1;

/* Exits that reached this program. */
static unsigned long ux_reason[64], ux_uart, ux_e9, ux_acpi, ux_other_io, ux_mmio;
static unsigned int last_other_port = ~0u;
static unsigned long port_count[65536];

static volatile sig_atomic_t terminated;

static void on_alarm(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		terminated = 1;	/* report the counters before going */
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* KVM's all-exit counters (debugfs, summed over live VMs: this one only). */
static void read_kvm_stats(void)
{
	static const char *const names[] = { "exits", "io_exits", "mmio_exits", "halt_exits",
					     "irq_exits", "irq_window_exits", "signal_exits" };
	static const char *const labels[] = { "exits", "io", "mmio", "hlt", "irq", "irq_window", "signal" };
	size_t i, o = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128], buf[32] = "?";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s", names[i]);
		f = fopen(path, "r");
		if (!f)
			return;		/* no debugfs: leave dbg_stats empty */
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?");
		fclose(f);
		buf[strcspn(buf, "\n")] = 0;
		o += snprintf(dbg_stats + o, sizeof(dbg_stats) - o, "%s%s %s", i ? ", " : "",
			      labels[i], buf);
		if (o >= sizeof(dbg_stats))
			return;
	}
}

/* Guest console bytes: to stdout, flushed per line; lines checked for the marker. */
static void console_out(const char *p, size_t n)
{
	size_t i;

	fwrite(p, 1, n, stdout);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || line_len == sizeof(line) - 1) {
			fflush(stdout);
			line[line_len] = 0;
			if (marker && !marker_seen && strstr(line, marker)) {
				marker_seen = 1;
				read_kvm_stats();
			}
			line_len = 0;
		} else if (p[i] != '\r') {
			line[line_len++] = p[i];
		}
	}
}

static void uart_update_irq(int vm)
{
	bool level = (com1.ier & 0x02) && com1.thre_pending;
	struct kvm_irq_level il = { .irq = COM1_IRQ, .level = level };

	if (level == com1.irq_level)
		return;
	com1.irq_level = level;
	if (ioctl(vm, KVM_IRQ_LINE, &il) < 0)
		perror("kvmboot: KVM_IRQ_LINE");
}

/* One byte access to COM1 + @off. */
static void uart_io(int vm, unsigned int off, bool out, uint8_t *v)
{
	bool dlab = com1.lcr & 0x80;

	if (out) {
		switch (off) {
		case 0:
			if (dlab) {
				com1.dll = *v;
			} else {
				if (!(com1.mcr & 0x10))	/* not in loopback */
					console_out((const char *)v, 1);
				com1.thre_pending = true;	/* sent at once */
			}
			break;
		case 1:
			if (dlab) {
				com1.dlm = *v;
			} else {
				/* enabling THRI with THR empty raises the interrupt */
				if ((*v & 0x02) && !(com1.ier & 0x02))
					com1.thre_pending = true;
				com1.ier = *v & 0x0f;
			}
			break;
		case 2: com1.fcr = *v; break;
		case 3: com1.lcr = *v; break;
		case 4: com1.mcr = *v & 0x1f; break;
		case 7: com1.scr = *v; break;
		default: break;			/* LSR, MSR: read-only */
		}
	} else {
		switch (off) {
		case 0: *v = dlab ? com1.dll : 0; break;	/* no input */
		case 1: *v = dlab ? com1.dlm : com1.ier; break;
		case 2:
			if ((com1.ier & 0x02) && com1.thre_pending) {
				*v = 0x02;		/* THRE, acknowledged by this read */
				com1.thre_pending = false;
			} else {
				*v = 0x01;		/* no interrupt */
			}
			if (com1.fcr & 0x01)
				*v |= 0xc0;		/* FIFOs enabled */
			break;
		case 3: *v = com1.lcr; break;
		case 4: *v = com1.mcr; break;
		case 5: *v = 0x60; break;	/* THRE | TEMT, no data */
		case 6:
			if (com1.mcr & 0x10)	/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
				*v = ((com1.mcr & 0x01) << 5) | ((com1.mcr & 0x02) << 3) |
				     ((com1.mcr & 0x04) << 4) | ((com1.mcr & 0x08) << 4);
			else
				*v = 0xb0;	/* DCD, DSR, CTS */
			break;
		case 7: *v = com1.scr; break;
		}
	}
	uart_update_irq(vm);
}

static void kvm_seg(struct kvm_segment *k, const struct domus_segment *d)
{
	memset(k, 0, sizeof(*k));
	k->base = d->base;
	k->limit = d->limit;
	k->selector = d->selector;
	k->type = d->attr & 0xf;
	k->s = (d->attr >> 4) & 1;
	k->dpl = (d->attr >> 5) & 3;
	k->present = (d->attr >> 7) & 1;
	k->avl = (d->attr >> 8) & 1;
	k->l = (d->attr >> 9) & 1;
	k->db = (d->attr >> 10) & 1;
	k->g = (d->attr >> 11) & 1;
	k->unusable = d->attr == 0;
}

/* KVM's CPUID for the guest, with TSC-deadline when the LAPIC emulates it. */
static int setup_cpuid(int kvm, int vcpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_CPUID * sizeof(struct kvm_cpuid_entry2));
	int tscdl = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	bool kvm_leaf = false;
	uint32_t i;

	if (!c)
		return -1;
	c->nent = MAX_CPUID;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		perror("kvmboot: KVM_GET_SUPPORTED_CPUID");
		free(c);
		return -1;
	}
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		/* KVM leaves the hypervisor bit to userspace; without it Linux never looks at 0x40000000 */
		if (e->function == 1)
			e->ecx |= 1u << 31;
		if (e->function == 1 && tscdl)
			e->ecx |= 1u << 24;		/* TSC_DEADLINE_TIMER */
		if (e->function == 0x40000001)
			kvm_leaf = true;
	}
	if (ioctl(vcpu, KVM_SET_CPUID2, c) < 0) {
		perror("kvmboot: KVM_SET_CPUID2");
		free(c);
		return -1;
	}
	fprintf(stderr, "kvmboot: CPUID %u leaves from KVM_GET_SUPPORTED_CPUID, kvm leaves %s, TSC-deadline %s\n",
		c->nent, kvm_leaf ? "yes" : "no", tscdl ? "yes" : "no");
	free(c);
	return 0;
}

static void dump_state(int vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu, KVM_GET_REGS, &r) < 0 || ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr, "kvmboot: rip %#llx rsp %#llx rax %#llx rflags %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
		(unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rax,
		(unsigned long long)r.rflags, (unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer);
}

static int usage(void)
{
	fprintf(stderr, "usage: kvmboot [-m MiB] [-t SEC] [-i INITRD] [-c CMDLINE] [-f LOADFLAGS] [-M MARKER] KERNEL\n");
	return 3;
}

/* A port access; false when the guest powered off. */
static bool port_io(int vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned int port = run->io.port, n = run->io.size * run->io.count, i;

	if (port >= COM1 && port < COM1 + 8 && run->io.size == 1) {
		ux_uart++;
		for (i = 0; i < run->io.count; i++)
			uart_io(vm, port - COM1, out, data + i);
		return true;
	}
	if (port == 0xe9 && out) {
		ux_e9++;
		console_out((const char *)data, n);
		return true;
	}
	if (port == DOMUS_ACPI_SLEEP_CONTROL_PORT || port == DOMUS_ACPI_SLEEP_STATUS_PORT) {
		ux_acpi++;
		if (out && port == DOMUS_ACPI_SLEEP_CONTROL_PORT && (data[0] & DOMUS_ACPI_SLP_EN))
			return false;
		if (!out)
			memset(data, 0, n);
		return true;
	}
	ux_other_io++;
	port_count[port & 0xffff]++;
	if (port != last_other_port && ux_other_io <= 40)
		fprintf(stderr, "kvmboot: port %s %#x size %u (no device)\n", out ? "write" : "read",
			port, run->io.size);
	last_other_port = port;
	if (!out)
		memset(data, 0xff, n);
	return true;
}

int main(int argc, char **argv)
{
	struct domus_load_params lp;
	struct domus_load_result *res;
	struct kvm_userspace_memory_region region;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	struct sigaction sa;
	struct itimerval it;
	unsigned long mib = 256, timeout = 120, lflags = 0;
	const char *initrd = NULL, *cmdline = "console=ttyS0";
	double t0, t_end;
	size_t mem_size;
	long run_size;
	void *mem;
	int opt, kvm, vm, vcpu, rc = 1;
	unsigned int i;

	while ((opt = getopt(argc, argv, "m:t:i:c:f:M:")) != -1) {
		switch (opt) {
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 't': timeout = strtoul(optarg, NULL, 0); break;
		case 'i': initrd = optarg; break;
		case 'c': cmdline = optarg; break;
		case 'f': lflags = strtoul(optarg, NULL, 0); break;
		case 'M': marker = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || mib < 16 || mib > 3072 || lflags > UINT32_MAX)
		return usage();

	mem_size = (size_t)mib << 20;
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	res = calloc(1, sizeof(*res));
	if (mem == MAP_FAILED || !res) {
		fprintf(stderr, "kvmboot: out of memory for %lu MiB of guest RAM\n", mib);
		return 1;
	}
	memset(&lp, 0, sizeof(lp));
	lp.kernel = argv[optind];
	lp.initrd = initrd;
	lp.cmdline = cmdline;
	lp.vcpus = 1;
	lp.flags = (uint32_t)lflags;
	if (domus_load_kernel(&lp, mem, mem_size, res)) {
		fprintf(stderr, "kvmboot: %s\n", domus_last_error());
		return 1;
	}
	fprintf(stderr, "kvmboot: kernel entry %#llx, start info %#llx, initrd %#llx+%#llx, rsdp %#llx\n",
		(unsigned long long)res->kernel.entry, (unsigned long long)res->start_info_gpa,
		(unsigned long long)res->initrd_gpa, (unsigned long long)res->initrd_size,
		(unsigned long long)res->rsdp_gpa);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvmboot: /dev/kvm");
		return 1;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvmboot: unexpected KVM API version\n");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvmboot: KVM_CREATE_VM");
		return 1;
	}
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0) {
		perror("kvmboot: KVM_SET_TSS_ADDR");
		return 1;
	}
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("kvmboot: KVM_CREATE_IRQCHIP");
		return 1;
	}
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		perror("kvmboot: KVM_SET_USER_MEMORY_REGION");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size < (long)sizeof(*run)) {
		perror("kvmboot: KVM_CREATE_VCPU");
		return 1;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		perror("kvmboot: mmap vcpu");
		return 1;
	}
	if (setup_cpuid(kvm, vcpu))
		return 1;

	/* the loader's PVH entry state (loader.h), in KVM's terms */
	memset(&regs, 0, sizeof(regs));
	regs.rip = res->regs.rip;
	regs.rbx = res->regs.rbx;
	regs.rflags = res->regs.rflags;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		perror("kvmboot: KVM_GET_SREGS");
		return 1;
	}
	kvm_seg(&sregs.cs, &res->sregs.cs);
	kvm_seg(&sregs.ds, &res->sregs.ds);
	kvm_seg(&sregs.es, &res->sregs.es);
	kvm_seg(&sregs.fs, &res->sregs.fs);
	kvm_seg(&sregs.gs, &res->sregs.gs);
	kvm_seg(&sregs.ss, &res->sregs.ss);
	kvm_seg(&sregs.tr, &res->sregs.tr);
	kvm_seg(&sregs.ldt, &res->sregs.ldt);
	sregs.gdt.base = res->sregs.gdt.base;
	sregs.gdt.limit = res->sregs.gdt.limit;
	sregs.idt.base = res->sregs.idt.base;
	sregs.idt.limit = res->sregs.idt.limit;
	sregs.cr0 = res->sregs.cr0;
	sregs.cr3 = res->sregs.cr3;
	sregs.cr4 = res->sregs.cr4;
	sregs.efer = res->sregs.efer;
	sregs.apic_base = res->sregs.apic_base;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) {
		perror("kvmboot: KVM_SET_SREGS");
		return 1;
	}
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		perror("kvmboot: KVM_SET_REGS");
		return 1;
	}

	/* the same 200 ms timer as pvboot: KVM_RUN returns -EINTR to check the timeout */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 200000;
	it.it_value.tv_usec = 200000;
	setitimer(ITIMER_REAL, &it, NULL);

	t0 = now_s();
	t_end = t0 + timeout;
	for (;;) {
		int r = ioctl(vcpu, KVM_RUN, 0);

		if (marker_seen == 1) {
			fprintf(stderr, "\nkvmboot: marker \"%s\" seen after %.1f s\n", marker, now_s() - t0);
			marker_seen = 2;
			rc = 0;
			break;
		}
		if (now_s() > t_end || terminated) {
			if (terminated)
				fprintf(stderr, "\nkvmboot: terminated after %.1f s\n", now_s() - t0);
			else
				fprintf(stderr, "\nkvmboot: timeout after %lu s\n", timeout);
			dump_state(vcpu);
			rc = 2;
			break;
		}
		if (r < 0 && errno == EINTR) {
			ux_reason[KVM_EXIT_INTR]++;
			continue;
		}
		if (r < 0) {
			perror("kvmboot: KVM_RUN");
			break;
		}
		if (run->exit_reason < 64)
			ux_reason[run->exit_reason]++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (!port_io(vm, run)) {
				fprintf(stderr, "\nkvmboot: ACPI power-off after %.1f s\n", now_s() - t0);
				rc = marker && !marker_seen ? 1 : 0;
				goto out;
			}
			continue;
		case KVM_EXIT_MMIO:
			ux_mmio++;
			if (ux_mmio <= 10)
				fprintf(stderr, "kvmboot: MMIO %s gpa %#llx len %u (no device)\n",
					run->mmio.is_write ? "write" : "read",
					(unsigned long long)run->mmio.phys_addr, run->mmio.len);
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			continue;
		case KVM_EXIT_HLT:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_INTR:
			continue;
		default:
			fprintf(stderr, "\nkvmboot: exit reason %u", run->exit_reason);
			if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
				fprintf(stderr, ": hw reason %#llx",
					(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				fprintf(stderr, ": internal error suberror %u", run->internal.suberror);
			if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
				fprintf(stderr, ": system event %u", run->system_event.type);
			fputc('\n', stderr);
			dump_state(vcpu);
			goto out;
		}
	}
out:
	fflush(stdout);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (!dbg_stats[0])
		read_kvm_stats();
	if (dbg_stats[0])
		fprintf(stderr, "kvmboot: %s\n", dbg_stats);
	else
		fprintf(stderr, "kvmboot: no /sys/kernel/debug/kvm: in-kernel exit counts n/a\n");
	fprintf(stderr, "kvmboot: user exits: io %lu (uart %lu, port 0xe9 %lu, acpi %lu, other %lu), mmio %lu, signal %lu",
		ux_reason[KVM_EXIT_IO], ux_uart, ux_e9, ux_acpi, ux_other_io, ux_mmio,
		ux_reason[KVM_EXIT_INTR]);
	for (i = 0; i < 64; i++)
		if (ux_reason[i] && i != KVM_EXIT_IO && i != KVM_EXIT_MMIO && i != KVM_EXIT_INTR)
			fprintf(stderr, ", reason %u: %lu", i, ux_reason[i]);
	fputc('\n', stderr);
	for (i = 0; i < 5; i++) {	/* the busiest device-less ports */
		unsigned int p, best = 0;

		for (p = 1; p < 65536; p++)
			if (port_count[p] > port_count[best])
				best = p;
		if (!port_count[best])
			break;
		fprintf(stderr, "kvmboot: no-device port %#x: %lu exits\n", best, port_count[best]);
		port_count[best] = 0;
	}
	close(vcpu);
	close(vm);
	close(kvm);
	munmap(mem, mem_size);
	free(res);
	return rc;
}
