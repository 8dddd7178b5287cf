// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen PVH personality: how vCPUs start and how the domain ends.
 *
 * The end: every way a guest stops reaches userspace as the same exit,
 * DOMUS_EXIT_HYPERCALL nr 29 (sched_op), args[0] = SCHEDOP_shutdown,
 * args[1] = reason, args[2] = source (uapi/domus.h):
 *   - the guest's SCHEDOP_shutdown (reboot, crash, suspend, ...; sched.c);
 *   - power-off as Xen does it for PVH: a vCPU that executes HLT with
 *     IF=0 (and no NMI pending) is down; when every vCPU is down or has
 *     never been started (waiting for its start-up IPI), the one that went
 *     down last exits with reason poweroff (Linux's halt path, and its
 *     poweroff without ACPI: stop_this_cpu() is cli; hlt on every CPU);
 *   - the ACPI S5 write (SLP_TYP 5 | SLP_EN) to the sleep control port of
 *     the loader's hardware-reduced FADT (0x600): Linux's poweroff.
 *
 * Up and down (VCPUOP_up/down/is_up, time.c): one state with the above,
 * as in Xen: a vCPU is up when it was initialised (vCPU 0 from the start,
 * an AP by its STARTUP) and is not down (HLT with IF=0, VCPUOP_down).  A
 * down vCPU is held before its next entry (xen_pre_run) until VCPUOP_up,
 * an NMI, or an INIT (then it waits for its STARTUP again).
 *
 * The start (SMP): a vCPU with id > 0 starts in wait-for-SIPI.  Its
 * DOMUS_RUN blocks in pre_run (like HLT: signals end it with
 * DOMUS_EXIT_INTR) until a STARTUP IPI after an INIT arrives through the
 * x2APIC ICR (apic.c); it then starts in real mode at vector << 12
 * (CS = vector << 8, IP 0), as on hardware.  A second STARTUP is ignored;
 * an INIT sends a running vCPU back to wait-for-SIPI.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include "xen.h"

#define ACPI_SLEEP_CONTROL_PORT	0x600	/* loader: FADT SLEEP_CONTROL_REG */
#define ACPI_SLEEP_STATUS_PORT	0x601	/* loader: FADT SLEEP_STATUS_REG */
#define ACPI_SLP_EN		0x20
#define ACPI_SLP_TYP(v)		(((v) >> 2) & 7)
#define ACPI_S5_SLP_TYP		5

void xen_shutdown_exit(struct domus_vcpu *v, u32 reason, u32 source)
{
	const u64 args[3] = { SCHEDOP_shutdown, reason, source };

	domus_vcpu_exit_hypercall(v, XEN_HC_sched_op, args, ARRAY_SIZE(args), 0);
}

/* --- power-off by halting ----------------------------------------------------- */

/* Every vCPU but @but is down or not initialised (Xen: all _VPF_down). */
bool xen_vcpus_all_down(struct xen_dom *xd, struct xen_vcpu *but) __must_hold(&xd->lock)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xd->vcpus); i++) {
		struct xen_vcpu *o = xd->vcpus[i];

		if (o && o != but && !o->down && !o->wait_sipi)
			return false;
	}
	return true;
}

bool xen_vcpu_is_up(struct xen_vcpu *xv) __must_hold(&xv->xd->lock)
{
	return !xv->down && !xv->wait_sipi;
}

/*
 * VCPUOP_up: as Xen, -EINVAL for a vCPU that was never initialised (an AP
 * before its STARTUP, or since an INIT); otherwise it runs again from where
 * it stopped (after its HLT, or its VCPUOP_down); 0 also if it was up.
 */
long xen_vcpu_up(struct xen_vcpu *xv) __must_hold(&xv->xd->lock)
{
	if (xv->wait_sipi)
		return -XEN_EINVAL;
	if (xv->down) {
		xv->down = false;
		domus_vcpu_halt_end(xv->v);	/* stopped in its HLT with IF=0 */
		domus_vcpu_wake(xv->v);		/* held in xen_pre_run */
		domus_vcpu_notify(xv->v);
	}
	return 0;
}

int xen_hlt(struct domus_vcpu *v)
{
	struct xen_vcpu *xv = xen_vcpu(v);
	struct xen_dom *xd = xv->xd;
	unsigned long flags;
	bool all;

	if (v->hlt_if || domus_vcpu_nmi_queued(v))
		return 1;
	spin_lock_irqsave(&xd->lock, flags);
	xv->down = true;
	all = xen_vcpus_all_down(xd, NULL);
	spin_unlock_irqrestore(&xd->lock, flags);
	if (!all)
		return 1;		/* wait (for an NMI, VCPUOP_up or a signal) */
	pr_debug("xen: vcpu %u: all vCPUs halted with IF=0: power-off\n", v->id);
	xen_shutdown_exit(v, XEN_SHUTDOWN_poweroff, DOMUS_XEN_SHUTDOWN_HALTED);
	return 0;
}

/*
 * The loader's ACPI sleep ports: -1 not ours, 1 answered (reads 0, other
 * writes ignored), 0 the S5 write: power-off exit (RAX untouched).
 */
int xen_pio_acpi(struct domus_vcpu *v, u16 port, bool in, u32 *val)
{
	if (port != ACPI_SLEEP_CONTROL_PORT && port != ACPI_SLEEP_STATUS_PORT)
		return -1;
	if (in) {
		*val = 0;
		return 1;
	}
	if (port != ACPI_SLEEP_CONTROL_PORT || !(*val & ACPI_SLP_EN) ||
	    ACPI_SLP_TYP(*val) != ACPI_S5_SLP_TYP)
		return 1;
	pr_debug("xen: vcpu %u: ACPI S5: power-off\n", v->id);
	xen_shutdown_exit(v, XEN_SHUTDOWN_poweroff, DOMUS_XEN_SHUTDOWN_ACPI);
	return 0;
}

/* --- userspace: DOMUS_XEN_GET/SET_VCPU_STATE (save and restore) ---------------- */

long domus_xen_vcpu_state_ioctl(struct domus_domain *dom, struct domus_xen_vcpu_state *s, bool set)
{
	const u32 known = DOMUS_XEN_VCPU_WAIT_SIPI | DOMUS_XEN_VCPU_DOWN;
	struct xen_dom *xd = dom->pers_data;
	struct xen_vcpu *xv;
	unsigned long flags;
	long ret = 0;

	if (!xd)
		return -ENOTTY;
	if (!domus_all_zero(s->reserved, sizeof(s->reserved)) || s->vcpu >= DOMUS_MAX_VCPUS ||
	    (set && (s->flags & ~known)))
		return -EINVAL;
	spin_lock_irqsave(&xd->lock, flags);
	xv = xd->vcpus[s->vcpu];
	if (!xv) {
		ret = -EINVAL;
	} else if (!set) {
		s->flags = (xv->wait_sipi ? DOMUS_XEN_VCPU_WAIT_SIPI : 0) |
			   (xv->down ? DOMUS_XEN_VCPU_DOWN : 0);
	} else {
		xv->wait_sipi = s->flags & DOMUS_XEN_VCPU_WAIT_SIPI;
		xv->down = s->flags & DOMUS_XEN_VCPU_DOWN;
		xv->sipi = false;
		if (!xv->down)
			domus_vcpu_halt_end(xv->v);
		domus_vcpu_wake(xv->v);		/* out of its wait in xen_pre_run */
		domus_vcpu_notify(xv->v);
	}
	spin_unlock_irqrestore(&xd->lock, flags);
	return ret;
}

/* --- start-up: INIT, STARTUP ------------------------------------------------------ */

void xen_vcpu_init_ipi(struct xen_vcpu *xv) __must_hold(&xv->xd->lock)
{
	xv->wait_sipi = true;
	xv->sipi = false;
	xv->down = false;
	/* an offlined CPU (Linux's play-dead: HLT with IF=0) leaves its HLT */
	domus_vcpu_halt_end(xv->v);
	domus_vcpu_notify(xv->v);	/* a running target stops at its next entry */
}

void xen_vcpu_sipi(struct xen_vcpu *xv, u8 vector) __must_hold(&xv->xd->lock)
{
	if (!xv->wait_sipi || xv->sipi)
		return;			/* not after an INIT, or a repeated STARTUP */
	xv->sipi_vector = vector;
	xv->sipi = true;
	domus_vcpu_wake(xv->v);
}

static bool xen_sipi_arrived(struct xen_vcpu *xv)
{
	return READ_ONCE(xv->sipi) || signal_pending(current);
}

static bool xen_down_ends(struct xen_vcpu *xv)
{
	return !READ_ONCE(xv->down) || READ_ONCE(xv->wait_sipi) ||
	       domus_vcpu_nmi_queued(xv->v) || signal_pending(current);
}

/* The state a STARTUP IPI gives: real mode at vector << 12. */
static void xen_start_real_mode(struct domus_vcpu *v, u8 vector)
{
	struct domus_segment data = { .base = 0, .limit = 0xffff, .selector = 0, .attr = 0x93 };
	struct domus_sregs s;
	struct domus_regs r;

	domus_arch->get_sregs(v, &s);
	s.cs = data;
	s.cs.selector = vector << 8;
	s.cs.base = (u64)vector << 12;
	s.cs.attr = 0x9b;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = data;
	s.tr.attr = 0x8b;
	s.ldt = data;
	s.ldt.attr = 0x82;
	s.gdt.base = s.idt.base = 0;
	s.gdt.limit = s.idt.limit = 0xffff;
	s.cr0 = X86_CR0_ET;
	s.cr2 = s.cr3 = s.cr4 = 0;
	s.cr8 = 0;
	s.efer = 0;
	if (domus_arch->set_sregs(v, &s))
		pr_debug("xen: vcpu %u: real-mode start state refused\n", v->id);
	memset(&r, 0, sizeof(r));
	r.rflags = X86_EFLAGS_FIXED;
	domus_arch->set_regs(v, &r);
	domus_vcpu_cancel_nmi(v);
}

/*
 * Before each entry: an NMI takes a halted vCPU out of "down"; a vCPU
 * waiting for SIPI sleeps here, SRCU dropped, until the STARTUP or a
 * signal (the run loop then returns DOMUS_EXIT_INTR).
 */
int xen_pre_run(struct domus_vcpu *v)
	__must_hold(&v->dom->srcu)
{
	struct xen_vcpu *xv = xen_vcpu(v);
	struct xen_dom *xd = xv->xd;
	unsigned long flags;
	bool start = false;
	u8 vector = 0;

	/* down (VCPUOP_down, or HLT with IF=0 left by a signal): held here */
	while (READ_ONCE(xv->down) && !READ_ONCE(xv->wait_sipi)) {
		if (domus_vcpu_nmi_queued(v)) {
			spin_lock_irqsave(&xd->lock, flags);
			xv->down = false;
			spin_unlock_irqrestore(&xd->lock, flags);
			break;
		}
		if (signal_pending(current))
			return 1;	/* the run loop exits with DOMUS_EXIT_INTR */
		domus_vcpu_wait(v, xen_down_ends(xv));
	}
	while (READ_ONCE(xv->wait_sipi)) {
		if (signal_pending(current))
			return 1;	/* the run loop exits with DOMUS_EXIT_INTR */
		domus_vcpu_wait(v, xen_sipi_arrived(xv));
		spin_lock_irqsave(&xd->lock, flags);
		if (xv->wait_sipi && xv->sipi) {
			xv->wait_sipi = false;
			xv->sipi = false;
			vector = xv->sipi_vector;
			start = true;
		}
		spin_unlock_irqrestore(&xd->lock, flags);
	}
	if (start) {
		pr_debug("xen: vcpu %u: STARTUP at %#x\n", v->id, vector << 12);
		xen_start_real_mode(v, vector);
	}
	return 1;
}
