// SPDX-License-Identifier: GPL-2.0-only
/*
 * VT-x backend: exit handlers, dispatched through one table indexed by
 * the basic exit reason.  Each returns 1 to re-enter the guest, 0 to
 * return to userspace (run->exit_reason set) or a negative errno.
 *
 * Handlers run with preemption enabled: their own VMCS accesses are
 * bracketed by vmx_get()/vmx_put(), and the generic helpers they call
 * (which may sleep) go through the ops table.  The exit reason,
 * qualification, interruption information and instruction length were
 * read into struct vmx_vcpu right after the exit.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "../core.h"
#include "vmx.h"

/* Step over @len bytes (cached state: no VMCS access). */
void vmx_skip_insn(struct domus_vcpu *v, unsigned int len)
{
	struct vmx_vcpu *vx = to_vmx(v);

	vmx_set_rip(vx, vx->rip + len);
	if (vx->intr & (VMX_INTR_STI | VMX_INTR_MOV_SS))
		vmx_set_intr(vx, vx->intr & ~(VMX_INTR_STI | VMX_INTR_MOV_SS));
}

/* After an IRET that unblocked NMIs faulted: the blocking comes back. */
static void vmx_nmi_reblock(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	if (vx->reinject & VMX_II_VALID)
		return;
	vmx_set_intr(vx, vx->intr | VMX_INTR_NMI);
}

static int vmx_exit_exception(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u32 info = vx->exit_intr_info;
	u8 vec = info & VMX_II_VECTOR_MASK;
	u32 err = 0;

	if ((info & VMX_II_TYPE_MASK) == VMX_II_TYPE_NMI) {
		domus_stat_inc(v->dom, DOMUS_STAT_INTR);	/* the host's; handled */
		return 1;
	}
	if (vec == DOMUS_MC_VECTOR)
		return domus_exit_machine_check(v);	/* the host's; handled */
	/* ICEBP: the exit is on the instruction itself (exits_cpu.c) */
	if ((info & VMX_II_TYPE_MASK) == VMX_II_TYPE_PRIV_SOFT_EXC)
		return domus_exit_icebp(v);
	domus_stat_inc(v->dom, DOMUS_STAT_EXCEPTION);
	if (info & VMX_II_NMI_UNBLOCK)
		vmx_nmi_reblock(v);
	if (info & VMX_II_ERR_VALID) {
		vmx_get(v);
		err = vmcs_read(VMCS_EXIT_INTR_ERROR);
		vmx_put();
	}
	if (vec == DOMUS_DB_VECTOR) {
		/*
		 * A #DB that exits does not update DR6: do it for the guest.
		 * B0-B3 are replaced; BD and BS accumulate, as the CPU never
		 * clears them (SDM vol. 3, "Debug Status Register").
		 */
		vx->dr6 = (vx->dr6 & ~0xfULL) | (vx->exit_qual & 0x600f);
		if (!v->dr_owned)
			vx->dr6 |= 0xffff0ff0;
	}
	/* only #DB and #AC are intercepted: hand them to the guest */
	domus_queue_exception(v, vec, info & VMX_II_ERR_VALID, err);
	return 1;
}

static int vmx_exit_intr_window(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	bool open;

	vmx_get(v);
	vmx_set_proc(vx, vx->proc & ~VMX_PROC_INTR_WINDOW);
	open = vmx_interruptible(v);
	vmx_put();
	return domus_exit_irq_window(v, open);
}

static int vmx_exit_nmi_window(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	/* the guest's NMI handler returned; the next NMI may follow */
	vmx_get(v);
	vmx_set_proc(vx, vx->proc & ~VMX_PROC_NMI_WINDOW);
	vmx_put();
	return 1;
}

static int vmx_exit_msr(struct domus_vcpu *v)
{
	return domus_exit_msr(v, (u16)to_vmx(v)->exit_reason == VMX_EXIT_WRMSR);
}

static int vmx_exit_io(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u32 q = vx->exit_qual;
	bool string = q & VMX_IO_STRING;
	u8 size = (q & VMX_IO_SIZE_MASK) + 1;
	u8 asz = 2;
	int seg = 3;
	u64 next;

	next = vx->rip + vx->exit_len;
	if (string && (vmx_cfg.basic & VMX_BASIC_INOUT_INFO)) {
		u32 info;

		vmx_get(v);
		info = vmcs_read(VMCS_EXIT_INSN_INFO);
		vmx_put();
		asz = 2 << ((info >> 7) & 3);
		seg = (info >> 15) & 7;
	}
	if (string && !(vmx_cfg.basic & VMX_BASIC_INOUT_INFO))
		domus_io_decode(v, &asz, &seg);	/* not reported: from the bytes */
	return domus_handle_pio(v, q >> VMX_IO_PORT_SHIFT, size, q & VMX_IO_IN, string,
				q & VMX_IO_REP, asz, seg, next);
}

static int vmx_exit_ept_violation(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);
	u64 q = vx->exit_qual, gpa;
	bool write = q & VMX_EPT_QUAL_WRITE;

	domus_stat_inc(v->dom, DOMUS_STAT_NPF);
	vmx_get(v);
	gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	vmx_put();
	if (q & VMX_EPT_QUAL_NMI_UNBLOCK)
		vmx_nmi_reblock(v);
	if (domus_ram_fault(v, gpa, write))
		return 1;	/* mapped meanwhile, or a logged frame: retry */
	if ((q & VMX_EPT_QUAL_LA_VALID) && !(q & VMX_EPT_QUAL_LA_FINAL))
		return domus_emulation_failed(v, gpa, NULL, 0);	/* page tables outside RAM */
	/* delivering an event: never emulate the instruction at RIP (svm_exit_npf) */
	if (vx->vectoring)
		return domus_emulation_failed(v, gpa, NULL, 0);
	return domus_emulate_mmio(v, gpa, write, NULL, 0);
}

static int vmx_exit_dr(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	/*
	 * Hand the debug registers to the guest; the access re-executes.
	 * vcpu_run loads DR0-3 and DR6 around every entry from now on (DR7
	 * is in the VMCS).
	 */
	vmx_get(v);
	vmx_set_proc(vx, vx->proc & ~VMX_PROC_MOV_DR);
	vmx_put();
	v->dr_owned = true;
	return 1;
}

static u64 vmx_read_gpr(struct domus_vcpu *v, int n)
{
	return n == 4 ? to_vmx(v)->rsp : v->regs[n];
}

static void vmx_write_gpr(struct domus_vcpu *v, int n, u64 val)
{
	if (n == 4)
		vmx_set_rsp(to_vmx(v), val);
	else
		v->regs[n] = val;
}

/*
 * MOV to CR0/CR4 changing a bit we own, MOV to/from CR8, LMSW, CLTS and
 * (if the CPU cannot run without) CR3 accesses.  VMCS loaded; returns
 * false if the guest gets #GP.
 */
static bool vmx_cr_access(struct domus_vcpu *v, u64 q)
{
	int cr = q & 0xf, type = (q >> 4) & 3, gpr = (q >> 8) & 0xf;
	struct vmx_vcpu *vx = to_vmx(v);
	u64 cr0 = (vmcs_read(VMCS_GUEST_CR0) & ~vmx_cfg.cr0_mask) |
		  (vmcs_read(VMCS_CR0_SHADOW) & vmx_cfg.cr0_mask);
	u64 cr4 = (vmcs_read(VMCS_GUEST_CR4) & ~vmx_cfg.cr4_mask) |
		  (vmcs_read(VMCS_CR4_SHADOW) & vmx_cfg.cr4_mask);
	u64 efer = vmcs_read(VMCS_GUEST_EFER), val;

	switch (type) {
	case 1:		/* MOV from CR */
		vmx_write_gpr(v, gpr, cr == 3 ? vmcs_read(VMCS_GUEST_CR3) : vx->cr8);
		return true;
	case 2:		/* CLTS */
		val = cr0 & ~X86_CR0_TS;
		cr = 0;
		break;
	case 3:		/* LMSW: PE can be set, not cleared */
		val = (cr0 & ~0xeULL) | ((q >> 16) & 0xf);
		cr = 0;
		break;
	default:
		val = vmx_read_gpr(v, gpr);
		break;
	}
	switch (cr) {
	case 0:
		if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
		    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
		    ((val & X86_CR0_PG) && (efer & EFER_LME) && !(cr4 & X86_CR4_PAE)))
			return false;
		/* paging on or off with LME: long mode follows */
		if ((val ^ cr0) & X86_CR0_PG && (efer & EFER_LME))
			vmx_write_efer(v, (val & X86_CR0_PG) ? efer | EFER_LMA : efer & ~EFER_LMA);
		vmx_write_cr0(v, val);
		break;
	case 3:
		vmcs_write(VMCS_GUEST_CR3, val);
		break;
	case 4:
		if ((val & VMX_CR4_GUEST_RSVD) || (val & vmx_cfg.cr4_mask & ~vmx_cfg.cr4_fixed1) ||
		    !domus_guest_cr4_write_ok(v, cr4, val, efer & EFER_LMA,
					      vmcs_read(VMCS_GUEST_CR3)))
			return false;
		/* a write the CPU would have done flushes what it would have flushed */
		if (domus_cr4_write_flushes(cr4, val))
			vx->flush = true;
		vmx_write_cr4(v, val);
		break;
	case 8:
		if (val > 15)
			return false;
		vx->cr8 = val;
		return true;
	default:
		return false;
	}
	vmx_load_pdptrs(v);
	return true;
}

static int vmx_exit_cr(struct domus_vcpu *v)
{
	bool ok;

	vmx_get(v);
	ok = vmx_cr_access(v, to_vmx(v)->exit_qual);
	vmx_put();
	if (ok)
		vmx_skip_insn(v, to_vmx(v)->exit_len);
	if (!ok)
		domus_queue_exception(v, DOMUS_GP_VECTOR, true, 0);
	return 1;
}

static int vmx_exit_task_switch(struct domus_vcpu *v)
{
	return domus_emulation_failed(v, 0, NULL, 0);
}

static int vmx_exit_ept_misconfig(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	v->run->exit_reason = DOMUS_EXIT_FAIL_ENTRY;
	v->run->fail_entry.hw_reason = vx->exit_reason;
	vmx_get(v);
	v->run->fail_entry.hw_info = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	vmx_put();
	return 0;
}

typedef int (*vmx_exit_fn)(struct domus_vcpu *v);

static const vmx_exit_fn vmx_exit_table[VMX_EXIT_MAX] = {
	[VMX_EXIT_EXC_NMI] = vmx_exit_exception,
	[VMX_EXIT_EXT_INTR] = domus_exit_intr,
	[VMX_EXIT_TRIPLE_FAULT] = domus_exit_shutdown,
	[VMX_EXIT_INIT] = domus_exit_continue,
	[VMX_EXIT_IO_SMI] = domus_exit_continue,
	[VMX_EXIT_OTHER_SMI] = domus_exit_continue,
	[VMX_EXIT_INTR_WINDOW] = vmx_exit_intr_window,
	[VMX_EXIT_NMI_WINDOW] = vmx_exit_nmi_window,
	[VMX_EXIT_TASK_SWITCH] = vmx_exit_task_switch,
	[VMX_EXIT_CPUID] = domus_exit_cpuid,
	[VMX_EXIT_GETSEC] = domus_exit_ud,
	[VMX_EXIT_HLT] = domus_exit_hlt,
	[VMX_EXIT_INVD] = domus_exit_invd,
	[VMX_EXIT_RDPMC] = domus_exit_rdpmc,
	[VMX_EXIT_RSM] = domus_exit_ud,
	[VMX_EXIT_VMCALL] = domus_handle_hypercall,
	[VMX_EXIT_VMCLEAR ... VMX_EXIT_VMXON] = domus_exit_ud,
	[VMX_EXIT_CR] = vmx_exit_cr,
	[VMX_EXIT_DR] = vmx_exit_dr,
	[VMX_EXIT_IO] = vmx_exit_io,
	[VMX_EXIT_RDMSR] = vmx_exit_msr,
	[VMX_EXIT_WRMSR] = vmx_exit_msr,
	[VMX_EXIT_MWAIT] = domus_exit_ud,
	[VMX_EXIT_MONITOR] = domus_exit_ud,
	[VMX_EXIT_EPT_VIOLATION] = vmx_exit_ept_violation,
	[VMX_EXIT_EPT_MISCONFIG] = vmx_exit_ept_misconfig,
	[VMX_EXIT_INVEPT] = domus_exit_ud,
	[VMX_EXIT_PREEMPT_TIMER] = domus_exit_intr,
	[VMX_EXIT_INVVPID] = domus_exit_ud,
	[VMX_EXIT_WBINVD] = domus_exit_wbinvd,
	[VMX_EXIT_XSETBV] = domus_exit_xsetbv,
	[VMX_EXIT_VMFUNC] = domus_exit_ud,
};

int vmx_handle_exit(struct domus_vcpu *v)
{
	u16 reason = to_vmx(v)->exit_reason;
	vmx_exit_fn fn = NULL;

	domus_stat_inc(v->dom, DOMUS_STAT_EXITS);
	domus_exit_if_state(v, to_vmx(v)->rflags & X86_EFLAGS_IF, vmx_interruptible(v));
	if (reason < VMX_EXIT_MAX)
		fn = vmx_exit_table[reason];
	if (!fn)
		return domus_exit_unsupported(v, to_vmx(v)->exit_reason, to_vmx(v)->exit_qual);
	return fn(v);
}
