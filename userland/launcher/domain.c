// SPDX-License-Identifier: MIT
/*
 * domus-launcher: building the Xen PVH domain (RAM at 0, the special
 * pages, CPUID, HVM params, the console event channel, vCPUs), the vCPU
 * threads and their exits, and tearing it all down again.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "launcher.h"
#include "xsr.h"

const char *dom_reason_name(int reason)
{
	static const char *const n[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };

	return reason >= 0 && reason < 6 ? n[reason] : "unknown";
}

static int set_param(struct launcher *L, uint32_t index, uint64_t value, char *err, size_t errlen)
{
	if (domus_xen_set_param(L->domfd, index, value)) {
		snprintf(err, errlen, "%s", domus_last_error());
		return -1;
	}
	return 0;
}

/* The console event channel: guest sends signal con_notify_fd, writes to
 * con_kick_fd raise the port in the guest.  Without it (a module without
 * DOMUS_XEN_EVTCHN_BIND) the guest gets no hvc0 and the console shows the
 * early console instead. */
static void bind_console(struct launcher *L, char *err, size_t errlen)
{
	uint32_t port;

	L->con_ring = false;
	L->con_notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	L->con_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (L->con_notify_fd < 0 || L->con_kick_fd < 0) {
		l_log(L, "PV console: eventfd: %s", strerror(errno));
		return;
	}
	if (domus_xen_evtchn_connect(L->domfd, L->con_notify_fd, L->con_kick_fd, &port)) {
		l_log(L, "PV console: %s: no hvc0 in the guest; the console shows the early console (CONSOLEIO_write) instead",
		      domus_last_error());
		return;
	}
	L->con_port = port;
	if (set_param(L, XEN_HVM_PARAM_CONSOLE_PFN, L_CONSOLE_PFN, err, errlen) ||
	    set_param(L, XEN_HVM_PARAM_CONSOLE_EVTCHN, port, err, errlen)) {
		l_log(L, "PV console: %s", err);
		err[0] = 0;
		return;
	}
	L->con_ring = true;
	l_log(L, "PV console: ring at pfn 0x%llx, event channel %u",
	      (unsigned long long)L_CONSOLE_PFN, port);
}

static void xs_kick(void *opaque)
{
	struct launcher *L = opaque;
	uint64_t one = 1;

	if (L->xs_kick_fd >= 0 && write(L->xs_kick_fd, &one, sizeof(one)) < 0) {
		/* counter full: a notification is pending anyway */
	}
}

/* The guest's xenstore (userland/xenstore): ring at L_STORE_PFN, its own
 * event channel, then HVM_PARAM_STORE_PFN/EVTCHN.  Without it the guest
 * boots with no xenbus (and `domus shutdown` cannot reach it). */
static void setup_xenstore(struct launcher *L, char *err, size_t errlen)
{
	uint32_t port;

	if (getenv("DOMUS_NO_XENSTORE") && *getenv("DOMUS_NO_XENSTORE") == '1') {
		l_log(L, "xenstore: off (DOMUS_NO_XENSTORE=1)");
		return;
	}
	L->xs_notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	L->xs_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (L->xs_notify_fd < 0 || L->xs_kick_fd < 0) {
		l_log(L, "xenstore: eventfd: %s", strerror(errno));
		return;
	}
	if (domus_xen_evtchn_connect(L->domfd, L->xs_notify_fd, L->xs_kick_fd, &port)) {
		l_log(L, "xenstore: %s: the guest gets no xenstore", domus_last_error());
		return;
	}
	L->xs = xs_new(L->domid, L->cfg.name);
	if (!L->xs ||
	    xs_set_domain_info(L->xs, L->target_kib, L->cfg.memory_mib * 1024, 0) ||
	    l_vcpu_avail(L, L->vcpus_online) ||
	    xs_attach_ring(L->xs, (char *)L->special + 4096, xs_kick, L) ||
	    set_param(L, XEN_HVM_PARAM_STORE_PFN, L_STORE_PFN, err, errlen) ||
	    set_param(L, XEN_HVM_PARAM_STORE_EVTCHN, port, err, errlen)) {
		l_log(L, "xenstore: cannot set it up%s%s: the guest gets no xenstore", err[0] ? ": " : "", err);
		err[0] = 0;
		if (L->xs)
			xs_free(L->xs);
		L->xs = NULL;
		return;
	}
	L->xs_port = port;
	l_log(L, "xenstore: ring at pfn 0x%llx, event channel %u", (unsigned long long)L_STORE_PFN, port);
}

void dom_xenstore_service(struct launcher *L)
{
	uint64_t cnt;
	int i, r = 0;

	if (!L->xs)
		return;
	if (L->xs_notify_fd >= 0 && read(L->xs_notify_fd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: a poll round, not a notification */
	}
	for (i = 0; i < 64; i++) {
		r = xs_ring_process(L->xs);
		if (r != 1)
			break;
	}
	L->xs_more = r == 1;	/* the rest on the loop's busy poll */
	if (r < 0 && r != -ENOTCONN && !L->xs_err_logged) {
		l_log(L, "xenstore: the guest's ring failed (%s); it stays down until the guest reconnects",
		      strerror(-r));
		L->xs_err_logged = true;
	}
}

int dom_request_shutdown(struct launcher *L, const char *what)
{
	if (!L->xs)
		return -ENOTSUP;
	return xs_write(L->xs, "control/shutdown", what);
}

int dom_build(struct launcher *L, char *err, size_t errlen)
{
	struct domus_cpuid_entry *cpuid = NULL;
	struct domus_load_result *res = NULL;
	struct domus_kernel *k = NULL;
	struct xsr_state saved = { 0 };
	bool hvm = L->cfg.type == DOMUS_TYPE_HVM, restore = L->restore_buf != NULL;
	bool fw = L->cfg.firmware != NULL;	/* HVM: SeaBIOS, no kernel (firmware.c) */
	bool xen = !hvm || l_pvhvm(L);	/* PV, PVH, PVHVM: the Xen personality */
	unsigned int i;
	int r = -1, ncpuid;

	err[0] = 0;
	L->domfd = -1;
	L->con_notify_fd = L->con_kick_fd = -1;
	L->xs_notify_fd = L->xs_kick_fd = -1;
	L->state = L_BUILDING;
	res = calloc(1, sizeof(*res));
	cpuid = calloc(DOMUS_MAX_CPUID_ENTRIES, sizeof(*cpuid));
	L->vcpu = calloc(L->cfg.maxvcpus, sizeof(*L->vcpu));
	if (!res || !cpuid || !L->vcpu) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	L->nvcpu = 0;
	/* the guest boots with memory= (a reboot too): the target follows */
	L->target_kib = L->cfg.memory_mib * 1024;
	k = L->kernel;		/* opened and checked by the launcher's first checks */
	L->kernel = NULL;
	if (!k && !fw && (hvm ? domus_multiboot_open(L->kernel_path, &k) : domus_kernel_open(L->kernel_path, &k))) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	L->ram = domus_guest_alloc(L->mem_size);
	L->special = xen ? domus_guest_alloc(DOMUS_PVH_SPECIAL_SIZE) : NULL;
	if (!L->ram || (xen && !L->special)) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	if (restore ? l_restore_ram(L, &saved, err, errlen) :
	    !fw && domus_load_into(k, &L->lp, L->ram, L->mem_size, res)) {
		if (!restore)
			snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	if (k)
		domus_kernel_close(k);
	k = NULL;

	/* an HVM domain's devices are here; with the platform device it also
	 * sees Xen (PVHVM), without it is a plain one */
	L->domfd = domus_create_domain_flags(L->devfd, !hvm ? DOMUS_DOMAIN_XEN : xen ? DOMUS_DOMAIN_XEN_HVM : 0);
	if (L->domfd < 0) {
		L->domfd = -1;
		snprintf(err, errlen, "cannot create the domain: %s", domus_last_error());
		goto out;
	}
	L->domid = l_alloc_domid();
	if (domus_set_slot(L->domfd, 0, 0, L->mem_size, L->ram, 0) ||
	    (xen && domus_set_slot(L->domfd, L_SPECIAL_SLOT, DOMUS_PVH_SPECIAL_GPA, DOMUS_PVH_SPECIAL_SIZE,
			   L->special, 0))) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	if (fw && l_firmware_map(L, err, errlen))
		goto out;
	if (l_mem_apply_max(L) || (xen && domus_xen_gnttab_limit(L->domfd, L->cfg.max_grant_version))) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	ncpuid = domus_host_cpuid(cpuid, DOMUS_MAX_CPUID_ENTRIES);
	/* HVM: nothing domus does not back for it yet (no LAPIC; MTRRs only
	 * as the module's fixed platform table, no variable ranges, which
	 * SeaBIOS would program when CPUID.1:EDX.MTRR shows; hvm_cpuid.c) */
	if (hvm)
		ncpuid = (int)hvm_cpuid_filter(cpuid, (unsigned int)ncpuid);
	if (domus_set_cpuid(L->domfd, cpuid, ncpuid)) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	dm_reset(L);
	if (xen) {
		if (!hvm)	/* PVHVM: the serial port is the console */
			bind_console(L, err, errlen);
		setup_xenstore(L, err, errlen);
		l_disks_start(L);
		l_vifs_start(L);	/* none yet at the first build: see main.c */
	}

	for (i = 0; i < L->cfg.maxvcpus; i++) {
		struct l_vcpu *v = &L->vcpu[i];

		v->L = L;
		v->v.fd = -1;
		if (domus_create_vcpu(L->domfd, i, &v->v)) {
			snprintf(err, errlen, "%s", domus_last_error());
			goto out;
		}
		if (hvm && !fw)	/* a halt ends it (handle_exit); firmware waits for interrupts */
			v->v.run->flags |= DOMUS_RUN_EXIT_ON_HLT;
		L->nvcpu++;
	}
	if (fw) {
		/* the vCPU is in its reset state: the firmware's reset vector */
		L->shutdown_reason = -1;
		l_log(L, "domain %u built: HVM, %llu MiB, %u vCPU(s), firmware %s (reset vector 0xfffffff0)",
		      L->domid, (unsigned long long)(L->mem_size >> 20), L->cfg.vcpus, L->cfg.firmware);
		r = 0;
		goto out;
	}
	{
		struct domus_sregs cur;

		/* HVM: the APIC base the vCPU has at RESET */
		if ((hvm || !res->sregs.apic_base) && domus_get_sregs(&L->vcpu[0].v, &cur) == 0)
			res->sregs.apic_base = cur.apic_base;
	}
	if (restore) {
		if (l_restore_vcpus(L, &saved, err, errlen))
			goto out;
	} else if (domus_set_regs(&L->vcpu[0].v, &res->regs) || domus_set_sregs(&L->vcpu[0].v, &res->sregs)) {
		snprintf(err, errlen, "%s", domus_last_error());
		goto out;
	}
	L->shutdown_reason = -1;
	if (restore) {
		l_log(L, "domain %u built from the save file: %s, %llu MiB, %u vCPU(s) (vCPU 0 at rip 0x%llx)",
		      L->domid, hvm ? "HVM" : "PVH", (unsigned long long)(L->mem_size >> 20), saved.nvcpu,
		      (unsigned long long)saved.vcpu[0].regs.rip);
		r = 0;
		goto out;
	}
	l_log(L, "domain %u built: %s, %llu MiB, %u vCPU(s), kernel %s (entry 0x%llx)%s%s, cmdline \"%s\"",
	      L->domid, hvm ? "HVM, multiboot" : "PVH", (unsigned long long)(L->mem_size >> 20), L->cfg.vcpus, L->kernel_path,
	      (unsigned long long)res->kernel.entry, L->ramdisk_path ? ", initramfs " : "",
	      L->ramdisk_path ? L->ramdisk_path : "", L->lp.cmdline ? L->lp.cmdline : "");
	r = 0;
out:
	if (k)
		domus_kernel_close(k);
	free(res);
	free(cpuid);
	xsr_state_free(&saved);
	if (r)
		dom_teardown(L);
	return r;
}

/* ---- vCPU threads ------------------------------------------------------ */

static void vcpu_note(struct l_vcpu *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vcpu_note(struct l_vcpu *t, const char *fmt, ...)
{
	char buf[300];
	va_list ap;

	if (t->notes++ >= 20)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l_log(t->L, "vCPU %u: %s%s", t->v.id, buf, t->notes == 20 ? " (no more such notes)" : "");
}

void dom_guest_stopped(struct launcher *L, int reason, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&L->lock);
	if (L->pending_reason < 0) {
		L->pending_reason = reason;
		va_start(ap, fmt);
		vsnprintf(L->pending_why, sizeof(L->pending_why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&L->lock);
	if (write(L->event_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; nothing to do */
	}
}

/* One exit; returns false when the vCPU must stop. */
static bool handle_exit(struct l_vcpu *t)
{
	struct launcher *L = t->L;
	struct domus_run *run = t->v.run;

	switch (run->exit_reason) {
	case DOMUS_EXIT_HYPERCALL:
		if (run->hypercall.nr == XEN_HC_CONSOLE_IO && run->hypercall.args[0] == XEN_CONSOLEIO_WRITE) {
			uint64_t n = run->hypercall.args[1];

			if (n > DOMUS_RUN_DATA_SIZE)
				n = DOMUS_RUN_DATA_SIZE;
			con_early(L, (const char *)run + DOMUS_RUN_DATA_OFFSET, n);
			return true;
		}
		if (run->hypercall.nr == XEN_HC_SCHED_OP && run->hypercall.args[0] == XEN_SCHEDOP_SHUTDOWN) {
			int reason = run->hypercall.args[1] <= 5 ? (int)run->hypercall.args[1] : XEN_SHUTDOWN_CRASH;

			if (reason == XEN_SHUTDOWN_SUSPEND) {
				bool wanted;

				/* 1: "cancelled" (the same domain), unless a save resumes it elsewhere */
				run->hypercall.ret = 1;
				pthread_mutex_lock(&L->lock);
				wanted = L->suspend == L_SUSP_WAIT;
				if (wanted) {
					/* park before the next entry; the save takes it from here (save.c) */
					L->suspend = L_SUSP_DONE;
					L->suspend_vcpu = t->v.id;
					L->paused = true;
					pthread_cond_broadcast(&L->pause_cv);
				}
				pthread_mutex_unlock(&L->lock);
				if (wanted)
					l_log(L, "vCPU %u: the guest suspended (SCHEDOP_shutdown(suspend))", t->v.id);
				else
					l_log(L, "guest asked to suspend with no save under way: cancelled");
				return true;
			}
			switch (run->hypercall.args[2]) {
			case DOMUS_XEN_SHUTDOWN_HALTED:
				dom_guest_stopped(L, reason, "every vCPU halted with interrupts off");
				break;
			case DOMUS_XEN_SHUTDOWN_ACPI:
				dom_guest_stopped(L, reason, "ACPI power-off (S5)");
				break;
			default:
				dom_guest_stopped(L, reason, "SCHEDOP_shutdown(%s)", dom_reason_name(reason));
				break;
			}
			return false;
		}
		vcpu_note(t, "hypercall %llu (op %llu) in userspace: -ENOSYS",
			  (unsigned long long)run->hypercall.nr, (unsigned long long)run->hypercall.args[0]);
		run->hypercall.ret = (uint64_t)-38;
		return true;
	case DOMUS_EXIT_IO:
		return dm_io_exit(t);
	case DOMUS_EXIT_MMIO:
		return dm_mmio_exit(t);
	case DOMUS_EXIT_HLT:
		/* only asked for in a multiboot HVM domain: vCPU 0 waits for the
		 * PIC if it can wake it (hvm_irq.c), else a halt is the end */
		if (dm_irq_halt_wait(t))
			return true;
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u halted (interrupts %s) and nothing can wake it (%s)",
				  t->v.id, run->if_flag ? "on" : "off",
				  t->v.id ? "the PIC delivers to vCPU 0 only" : "every PIC input masked or IF clear");
		return false;
	case DOMUS_EXIT_IRQ_WINDOW:
	case DOMUS_EXIT_INTR:
		return true;
	case DOMUS_EXIT_SHUTDOWN:
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u triple fault", t->v.id);
		return false;
	case DOMUS_EXIT_FAIL_ENTRY:
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u: entry failed (hw reason 0x%llx, info 0x%llx)",
				  t->v.id, (unsigned long long)run->fail_entry.hw_reason,
				  (unsigned long long)run->fail_entry.hw_info);
		return false;
	case DOMUS_EXIT_EMULATION:
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u: cannot emulate the instruction at rip 0x%llx (gpa 0x%llx)",
				  t->v.id, (unsigned long long)run->emulation.rip,
				  (unsigned long long)run->emulation.gpa);
		return false;
	default:
		dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u: unknown exit %u", t->v.id, run->exit_reason);
		return false;
	}
}

static void *vcpu_main(void *arg)
{
	struct l_vcpu *t = arg;
	struct launcher *L = t->L;
	struct timespec ts;
	double secs;
	uint64_t one = 1;
	bool hvm0 = L->cfg.type == DOMUS_TYPE_HVM && t->v.id == 0;	/* the PIC's vCPU */

	t->tid = gettid();
	l_vcpu_apply_affinity(L, t->v.id);
	/*
	 * vCPUs other than 0 start in wait-for-SIPI: DOMUS_RUN blocks until the
	 * guest's INIT + STARTUP (docs/abi.md); dom_stop's signal ends the wait.
	 */
	while (!atomic_load(&t->stop)) {
		int r;

		if (atomic_exchange(&t->repin, 0))
			l_vcpu_apply_affinity(L, t->v.id);
		l_vcpu_park(t);
		if (atomic_load(&t->stop))
			break;
		if (hvm0) {
			int b = dm_irq_before_run(t);

			if (b < 0)
				break;
			if (b == 0)
				continue;	/* halted: a stop or a pause came first */
		}
		r = domus_run(&t->v);

		if (r == -EINTR)
			continue;
		if (r) {
			dom_guest_stopped(L, XEN_SHUTDOWN_CRASH, "vCPU %u: %s", t->v.id, domus_last_error());
			break;
		}
		if (!handle_exit(t))
			break;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	secs = ts.tv_sec + ts.tv_nsec / 1e9;
	pthread_mutex_lock(&L->lock);
	L->cpu_done += secs;
	t->exited = true;
	pthread_mutex_unlock(&L->lock);
	if (write(L->event_fd, &one, sizeof(one)) < 0) {
		/* see dom_guest_stopped */
	}
	return NULL;
}

int dom_start(struct launcher *L)
{
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	L->state = L_RUNNING;
	L->pending_reason = -1;
	L->start_time = time(NULL);
	pthread_mutex_unlock(&L->lock);
	for (i = 0; i < L->nvcpu; i++) {
		struct l_vcpu *t = &L->vcpu[i];
		int r;

		atomic_store(&t->stop, 0);
		t->exited = false;
		r = domus_thread_create(&t->th, NULL, vcpu_main, t);
		if (r) {
			l_log(L, "cannot start the thread of vCPU %u: %s", i, strerror(r));
			return -r;
		}
		t->started = true;
	}
	if (L->cfg.type == DOMUS_TYPE_HVM)
		return dm_irq_start(L);		/* the PIT's IRQ 0 */
	return 0;
}

int dom_stop(struct launcher *L)
{
	struct timespec d = { 0, 2 * 1000 * 1000 };
	unsigned int i, tries;
	bool all;

	dm_irq_stop(L);		/* no more kicks */
	for (i = 0; i < L->nvcpu; i++)
		atomic_store(&L->vcpu[i].stop, 1);
	pthread_mutex_lock(&L->lock);
	pthread_cond_broadcast(&L->pause_cv);	/* parked threads see stop */
	pthread_mutex_unlock(&L->lock);
	/* A kick can arrive just before DOMUS_RUN starts: repeat it until the
	 * thread is out (every 2 ms, at most 5 s). */
	for (tries = 0; tries < 2500; tries++) {
		all = true;
		for (i = 0; i < L->nvcpu; i++) {
			struct l_vcpu *t = &L->vcpu[i];
			bool ex;

			if (!t->started)
				continue;
			pthread_mutex_lock(&L->lock);
			ex = t->exited;
			pthread_mutex_unlock(&L->lock);
			if (!ex) {
				all = false;
				pthread_kill(t->th, SIGUSR1);
			}
		}
		if (all)
			break;
		nanosleep(&d, NULL);
	}
	for (i = 0; i < L->nvcpu; i++) {
		struct l_vcpu *t = &L->vcpu[i];

		if (t->started && t->exited) {
			pthread_join(t->th, NULL);
			t->started = false;
		}
	}
	if (!all) {
		l_log(L, "a vCPU thread did not stop within 5 s");
		return -ETIMEDOUT;
	}
	return 0;
}

void dom_teardown(struct launcher *L)
{
	unsigned int i;

	l_hotplug_teardown(L);	/* detaches under way end now */
	l_disks_stop(L);	/* before xenstore, the domain and RAM go */
	l_vifs_stop(L);
	l_be_unmap(L);
	for (i = 0; i < L->nvcpu; i++)
		domus_vcpu_close(&L->vcpu[i].v);
	free(L->vcpu);
	L->vcpu = NULL;
	L->nvcpu = 0;
	if (L->domfd >= 0)
		close(L->domfd);
	L->domfd = -1;
	l_xs_watch_close_all(L);	/* domus xenstored's streams end with the store */
	if (L->xs)
		xs_free(L->xs);
	L->xs = NULL;
	if (L->xs_notify_fd >= 0)
		close(L->xs_notify_fd);
	if (L->xs_kick_fd >= 0)
		close(L->xs_kick_fd);
	L->xs_notify_fd = L->xs_kick_fd = -1;
	if (L->con_notify_fd >= 0)
		close(L->con_notify_fd);
	if (L->con_kick_fd >= 0)
		close(L->con_kick_fd);
	L->con_notify_fd = L->con_kick_fd = -1;
	L->con_ring = false;
	if (L->ram)
		domus_guest_free(L->ram, L->mem_size);
	if (L->special)
		domus_guest_free(L->special, DOMUS_PVH_SPECIAL_SIZE);
	l_firmware_unmap(L);
	L->ram = L->special = NULL;
}

/* xl's state letters: r b p s <reason> d */
void dom_state_str(struct launcher *L, char out[8])
{
	static const char reasons[] = "-rscwS";
	unsigned int i;
	bool running = false;

	pthread_mutex_lock(&L->lock);
	switch (L->state) {
	case L_SHUTDOWN:
		snprintf(out, 8, "---s%c-",
			 L->shutdown_reason >= 0 && L->shutdown_reason < 6 ? reasons[L->shutdown_reason] : '-');
		break;
	case L_BUILDING:
		snprintf(out, 8, "--p---");
		break;
	case L_DYING:
		snprintf(out, 8, "-----d");
		break;
	case L_RUNNING:
		if (L->paused) {
			snprintf(out, 8, "--p---");
			break;
		}
		for (i = 0; i < L->nvcpu && !running; i++) {
			char path[64], buf[256], *p;
			FILE *f;

			if (!L->vcpu[i].started || L->vcpu[i].exited || !L->vcpu[i].tid)
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)L->vcpu[i].tid);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'R')
				running = true;
			fclose(f);
		}
		snprintf(out, 8, running ? "r-----" : "-b----");
		break;
	}
	pthread_mutex_unlock(&L->lock);
}

double dom_cpu_time(struct launcher *L)
{
	double s;
	unsigned int i;

	pthread_mutex_lock(&L->lock);
	s = L->cpu_done;
	for (i = 0; i < L->nvcpu; i++) {
		struct l_vcpu *t = &L->vcpu[i];
		clockid_t cid;
		struct timespec ts;

		if (!t->started || t->exited)
			continue;
		if (pthread_getcpuclockid(t->th, &cid) == 0 && clock_gettime(cid, &ts) == 0)
			s += ts.tv_sec + ts.tv_nsec / 1e9;
	}
	pthread_mutex_unlock(&L->lock);
	return s;
}
