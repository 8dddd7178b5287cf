// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exits every backend has and handles the same way: CPUID, RDMSR/WRMSR,
 * XSETBV, HLT, INVD, instructions the guest may not use (#UD), shutdown
 * and exits domus does not know.  The backends' exit tables point here;
 * what they differ in goes through struct domus_arch_ops (CPL, RFLAGS,
 * stepping RIP); the instruction length the CPU reported is v->exit_len.
 *
 * Each handler returns 1 to re-enter the guest, 0 to return to userspace
 * (run->exit_reason set) or a negative errno.  General-purpose registers
 * other than RSP are in v->regs[] (core.h).
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include "core.h"
#include "cr4.h"
#include "event.h"
#include "insnlen.h"
#include "xcr0.h"
#include "apicbase.h"

void domus_queue_exception(struct domus_vcpu *v, u8 nr, bool has_err, u32 err)
{
	v->exc_pending = true;
	v->exc_nr = nr;
	v->exc_has_err = has_err;
	v->exc_err = err;
}

static enum x86emu_mode domus_exit_mode(const struct domus_sregs *s, u64 rflags)
{
	if (!(s->cr0 & X86_CR0_PE) || (rflags & X86_EFLAGS_VM))
		return X86EMU_MODE_REAL16;
	if ((s->efer & EFER_LMA) && (s->cs.attr & (1 << 9)))
		return X86EMU_MODE_LONG64;
	return (s->cs.attr & (1 << 10)) ? X86EMU_MODE_PROT32 : X86EMU_MODE_PROT16;
}

/*
 * domus_exit_len() when the CPU did not report the length (AMD-V without
 * NRIP save): decoded from guest memory, prefixes included.  Returns the
 * length, or 0 after filling a DOMUS_EXIT_EMULATION exit (the bytes at
 * RIP are not that instruction).
 */
int domus_exit_len_decode(struct domus_vcpu *v, const u8 *op, unsigned int olen)
{
	u8 insn[X86EMU_MAX_INSN_LEN];
	int n;

	n = domus_fetch_insn(v, insn);	/* fills v->emu_sregs */
	if (n > 0)
		n = insnlen_fixed(insn, n, domus_exit_mode(&v->emu_sregs,
							  domus_arch->get_rflags(v)),
				  op, olen);
	if (n > 0)
		return n;
	return domus_emulation_failed(v, 0, NULL, 0);
}

/*
 * The length of the INT n / INT3 / INTO / ICEBP at RIP that raised
 * @vector as a software event (event.h), or 0 when the bytes there are
 * not that instruction (then the event is re-executed, not re-injected).
 */
int domus_soft_event_insn_len(struct domus_vcpu *v, u8 vector, bool soft_int)
{
	u8 insn[X86EMU_MAX_INSN_LEN];
	int n;

	n = domus_fetch_insn(v, insn);	/* fills v->emu_sregs */
	if (n > 0)
		n = domus_soft_event_len(insn, n, domus_exit_mode(&v->emu_sregs,
								  domus_arch->get_rflags(v)),
					 vector, soft_int);
	return n > 0 ? n : 0;
}

/* Step over the exiting instruction @op; 1, or 0 with an emulation exit. */
static int domus_exit_skip(struct domus_vcpu *v, const u8 *op, unsigned int olen)
{
	int len = domus_exit_len(v, op, olen);

	if (!len)
		return 0;
	domus_arch->skip_insn(v, len);
	return 1;
}

static const u8 domus_op_cpuid[] = { 0x0f, 0xa2 };
static const u8 domus_op_rdmsr[] = { 0x0f, 0x32 };
static const u8 domus_op_wrmsr[] = { 0x0f, 0x30 };
static const u8 domus_op_xsetbv[] = { 0x0f, 0x01, 0xd1 };
static const u8 domus_op_hlt[] = { 0xf4 };
static const u8 domus_op_invd[] = { 0x0f, 0x08 };
static const u8 domus_op_wbinvd[] = { 0x0f, 0x09 };

int domus_exit_cpuid(struct domus_vcpu *v)
{
	u32 out[4];
	int len = domus_exit_len(v, domus_op_cpuid, sizeof(domus_op_cpuid));

	if (!len)
		return 0;
	domus_cpuid(v, v->regs[0], v->regs[1], out);
	v->regs[0] = out[0];
	v->regs[3] = out[1];
	v->regs[1] = out[2];
	v->regs[2] = out[3];
	domus_arch->skip_insn(v, len);
	return 1;
}

int domus_exit_msr(struct domus_vcpu *v, bool write)
{
	u32 index = v->regs[1];
	u64 data;
	int len;

	domus_stat_inc(v->dom, DOMUS_STAT_MSR);
	len = write ? domus_exit_len(v, domus_op_wrmsr, sizeof(domus_op_wrmsr)) :
		      domus_exit_len(v, domus_op_rdmsr, sizeof(domus_op_rdmsr));
	if (!len)
		return 0;
	if (write) {
		data = (u32)v->regs[0] | (v->regs[2] << 32);
		if (!domus_msr_value_ok(index, data) ||
		    (domus_arch->set_msr(v, index, data, false) &&
		     domus_virt_msr(v, index, &data, true))) {
			domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
			return 1;
		}
	} else {
		if (domus_arch->get_msr(v, index, &data, false) &&
		    domus_virt_msr(v, index, &data, false)) {
			domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
			return 1;
		}
		v->regs[0] = (u32)data;
		v->regs[2] = data >> 32;
	}
	domus_arch->skip_insn(v, len);
	return 1;
}

/* What the host lets a guest enable in XCR0 (x87 and SSE without XSAVE). */
u64 domus_host_xcr0(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

u64 domus_guest_xcr0_allowed(struct domus_vcpu *v)
{
	const struct domus_cpuid_entry *e = domus_cpuid_find(v->dom, 0xd, 0);
	u32 l7[4];

	domus_cpuid_view(v, 7, 0, l7);
	return domus_xcr0_allowed(domus_host_xcr0(), e != NULL,
				  e ? e->eax | ((u64)e->edx << 32) : 0,
				  l7[2] & BIT(3));	/* PKU */
}

int domus_exit_xsetbv(struct domus_vcpu *v)
{
	u64 val = (u32)v->regs[0] | (v->regs[2] << 32);
	int len;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !(domus_arch->get_cr4(v) & X86_CR4_OSXSAVE)) {
		domus_queue_exception(v, DOMUS_UD_VECTOR, false, 0);
		return 1;
	}
	if ((u32)v->regs[1] != 0 || domus_arch->get_cpl(v) ||
	    !domus_xcr0_valid(val, domus_guest_xcr0_allowed(v))) {
		domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
		return 1;
	}
	len = domus_exit_len(v, domus_op_xsetbv, sizeof(domus_op_xsetbv));
	if (!len)
		return 0;
	v->xcr0 = val;
	domus_arch->skip_insn(v, len);
	return 1;
}

int domus_exit_hlt(struct domus_vcpu *v)
{
	if (!domus_exit_skip(v, domus_op_hlt, sizeof(domus_op_hlt)))
		return 0;
	v->hlt_if = domus_arch->get_rflags(v) & X86_EFLAGS_IF;
	return domus_handle_hlt(v);
}

/* INVD: nothing to do for a guest whose memory the host keeps coherent. */
int domus_exit_invd(struct domus_vcpu *v)
{
	domus_stat_inc(v->dom, DOMUS_STAT_CACHE_FLUSH);
	return domus_exit_skip(v, domus_op_invd, sizeof(domus_op_invd));
}

/*
 * WBINVD (and WBNOINVD, F3 0F 09): a guest without assigned devices has
 * no cache to write back that the host does not keep coherent, and a
 * host-wide cache flush at a guest's will is a denial of service on
 * every other CPU's workload.  Skipped.
 */
int domus_exit_wbinvd(struct domus_vcpu *v)
{
	domus_stat_inc(v->dom, DOMUS_STAT_CACHE_FLUSH);
	return domus_exit_skip(v, domus_op_wbinvd, sizeof(domus_op_wbinvd));
}

/*
 * RDPMC: the physical counters are the host's (perf, the NMI watchdog);
 * domus offers the guest no PMU, so every RDPMC is #GP(0), as on a CPU
 * whose counters are all out of range.
 */
int domus_exit_rdpmc(struct domus_vcpu *v)
{
	domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
	return 1;
}

/*
 * ICEBP (INT1, F1): an instruction intercept on both vendors (AMD-V's
 * ICEBP intercept; on VT-x the #DB intercept exits on the ICEBP itself,
 * as a privileged software exception), RIP at the instruction.  Its #DB
 * is a trap: step over it, then deliver #DB with the return address
 * after it.  DR6 is left alone: ICEBP sets none of its bits.
 */
int domus_exit_icebp(struct domus_vcpu *v)
{
	static const u8 op[] = { 0xf1 };
	int len = domus_exit_len(v, op, sizeof(op));

	if (!len)
		return 0;
	domus_stat_inc(v->dom, DOMUS_STAT_EXCEPTION);
	domus_arch->skip_insn(v, len);
	domus_queue_exception(v, DOMUS_DB_VECTOR, false, 0);
	return 1;
}

/*
 * A machine check taken while the guest ran is the host's.  The backend
 * calls this right after the exit, interrupts still off: the host
 * kernel's handler runs as if the #MC had hit the host.  The guest gets
 * nothing.
 */
void domus_host_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/* ... and the exit itself, once interrupts are on again: counted. */
int domus_exit_machine_check(struct domus_vcpu *v)
{
	domus_stat_inc(v->dom, DOMUS_STAT_MACHINE_CHECK);
	return 1;
}

/* --- CR4 ------------------------------------------------------------------------ */

/*
 * The CR4 bits this guest may set: what its CPUID shows.  A domain given
 * no CPUID table at all (the core tests' bare guests) is held to the
 * host's features instead.
 */
static u64 domus_guest_cr4_allowed(struct domus_vcpu *v)
{
	struct domus_cr4_cpuid c;
	u32 out[4];

	if (!v->dom->ncpuid)
		return domus_host_cr4;
	domus_cpuid_view(v, 1, 0, out);
	c.l1_ecx = out[2];
	c.l1_edx = out[3];
	domus_cpuid_view(v, 7, 0, out);
	c.l7_ebx = out[1];
	c.l7_ecx = out[2];
	return domus_cr4_allowed(&c, domus_host_cr4);
}

bool domus_guest_cr4_write_ok(struct domus_vcpu *v, u64 old, u64 val, bool lma, u64 cr3)
{
	domus_stat_inc(v->dom, DOMUS_STAT_CR4);
	return domus_cr4_write_ok(old, val, domus_guest_cr4_allowed(v), lma, cr3);
}

int domus_mov_to_cr4_source(struct domus_vcpu *v, int gpr, u64 *val, unsigned int *len)
{
	u8 insn[X86EMU_MAX_INSN_LEN];
	enum x86emu_mode mode;
	unsigned int cr, dgpr;
	struct domus_regs r;
	int n;

	if (gpr >= 0 && v->exit_len) {
		/* the CPU named the register and the length: nothing to fetch */
		domus_arch->get_sregs(v, &v->emu_sregs);
		mode = domus_exit_mode(&v->emu_sregs, domus_arch->get_rflags(v));
		*len = v->exit_len;
	} else {
		n = domus_fetch_insn(v, insn);	/* fills v->emu_sregs */
		if (n <= 0)
			return domus_emulation_failed(v, 0, NULL, 0);
		mode = domus_exit_mode(&v->emu_sregs, domus_arch->get_rflags(v));
		n = insnlen_mov_to_cr(insn, n, mode, &cr, &dgpr);
		if (n <= 0 || cr != 4)
			return domus_emulation_failed(v, 0, NULL, 0);
		*len = n;
		if (gpr < 0)
			gpr = dgpr;
	}
	if (gpr == 4) {
		domus_arch->get_regs(v, &r);
		*val = r.rsp;
	} else {
		*val = v->regs[gpr & 15];
	}
	if (mode != X86EMU_MODE_LONG64)
		*val = (u32)*val;	/* a 32-bit operand outside 64-bit mode */
	return 1;
}

int domus_exit_ud(struct domus_vcpu *v)
{
	domus_queue_exception(v, DOMUS_UD_VECTOR, false, 0);
	return 1;
}

int domus_exit_continue(struct domus_vcpu *v)
{
	return 1;
}

int domus_exit_shutdown(struct domus_vcpu *v)
{
	v->run->exit_reason = DOMUS_EXIT_SHUTDOWN;
	return 0;
}

int domus_exit_unsupported(struct domus_vcpu *v, u64 hw_reason, u64 hw_info)
{
	v->run->exit_reason = DOMUS_EXIT_FAIL_ENTRY;
	v->run->fail_entry.hw_reason = hw_reason;
	v->run->fail_entry.hw_info = hw_info;
	return 0;
}

/*
 * Values the CPU loads at entry, or the host itself with a plain WRMSR
 * (VT-x swaps the syscall MSRs around the guest), must be ones those
 * accept: canonical addresses (48 bits: the stricter case), SYSCALL_MASK
 * with its reserved upper half clear.  Checked whichever path sets them
 * (the guest's WRMSR: #GP; DOMUS_SET_MSRS: refused), so neither the next
 * entry nor the host faults.
 */
bool domus_msr_value_ok(u32 index, u64 data)
{
	switch (index) {
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR: case MSR_CSTAR:
	case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
		return (u64)((s64)(data << 16) >> 16) == data;
	case MSR_SYSCALL_MASK:
		return !(data >> 32);
	}
	return true;
}

unsigned int domus_guest_phys_bits(struct domus_vcpu *v)
{
	u32 r[4];

	domus_cpuid_view(v, 0x80000000, 0, r);
	if (r[0] < 0x80000008)
		return 36;
	domus_cpuid_view(v, 0x80000008, 0, r);
	return (r[0] & 0xff) ?: 36;
}

int domus_core_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write, bool host)
{
	switch (index) {
	case MSR_TSC_AUX:
		if (!write)
			*data = v->tsc_aux;
		else if (*data >> 32)
			return 1;
		else
			v->tsc_aux = *data;
		return 0;
	case MSR_IA32_APICBASE: {
		u64 old = v->apic_base, val;

		if (!write) {
			*data = old;
			return 0;
		}
		if (host) {
			if (!domus_apicbase_valid(*data, domus_guest_phys_bits(v)))
				return 1;
			val = *data;
		} else if (domus_apicbase_write(old, *data, domus_guest_phys_bits(v), &val)) {
			return 1;
		}
		v->apic_base = val;
		if (val != old)
			v->dom->pers->apic_base(v, old, val);
		return 0;
	}
	case MSR_IA32_UCODE_REV:
		if (!write)
			*data = 0;
		return 0;
	}
	return 1;
}

int domus_exit_intr(struct domus_vcpu *v)
{
	domus_stat_inc(v->dom, DOMUS_STAT_INTR);
	return 1;
}

int domus_exit_irq_window(struct domus_vcpu *v, bool open)
{
	domus_stat_inc(v->dom, DOMUS_STAT_IRQ_WINDOW);
	if ((READ_ONCE(v->run->flags) & DOMUS_RUN_IRQ_WINDOW) &&
	    !domus_vcpu_has_irq(v) && open) {
		v->run->exit_reason = DOMUS_EXIT_IRQ_WINDOW;
		return 0;
	}
	return 1;
}

void *domus_arch_vcpu_alloc(size_t size, struct page **page)
{
	void *p = kzalloc(size, GFP_KERNEL_ACCOUNT);

	if (!p)
		return NULL;
	*page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!*page) {
		kfree(p);
		return NULL;
	}
	return p;
}
