/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-x architectural constants (Intel SDM volume 3, chapters 24-28
 * and appendices A-C) and the VMX backend's shared declarations.
 */
#ifndef DOMUS_VMX_H
#define DOMUS_VMX_H

#define VMX_CPUID1_ECX_VMX		(1u << 5)

#define MSR_VMX_FEATURE_CONTROL		0x3a
#define VMX_FC_LOCKED			(1ull << 0)
#define VMX_FC_VMXON_OUTSIDE_SMX	(1ull << 2)

/* capability MSRs (appendix A) */
#define MSR_VMX_BASIC			0x480
#define MSR_VMX_PINBASED_CTLS		0x481
#define MSR_VMX_PROCBASED_CTLS		0x482
#define MSR_VMX_EXIT_CTLS		0x483
#define MSR_VMX_ENTRY_CTLS		0x484
#define MSR_VMX_MISC			0x485
#define MSR_VMX_CR0_FIXED0		0x486
#define MSR_VMX_CR0_FIXED1		0x487
#define MSR_VMX_CR4_FIXED0		0x488
#define MSR_VMX_CR4_FIXED1		0x489
#define MSR_VMX_PROCBASED_CTLS2		0x48b
#define MSR_VMX_EPT_VPID_CAP		0x48c
#define MSR_VMX_TRUE_PINBASED_CTLS	0x48d
#define MSR_VMX_TRUE_PROCBASED_CTLS	0x48e
#define MSR_VMX_TRUE_EXIT_CTLS		0x48f
#define MSR_VMX_TRUE_ENTRY_CTLS		0x490

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION_MASK		0x7fffffffull
#define VMX_BASIC_SIZE_SHIFT		32
#define VMX_BASIC_32BIT_ADDR		(1ull << 48)
#define VMX_BASIC_MEMTYPE_SHIFT		50
#define VMX_BASIC_INOUT_INFO		(1ull << 54)
#define VMX_BASIC_TRUE_CAPS		(1ull << 55)

/* pin-based controls */
#define VMX_PIN_EXT_INTR		(1u << 0)
#define VMX_PIN_NMI			(1u << 3)
#define VMX_PIN_VIRTUAL_NMIS		(1u << 5)
#define VMX_PIN_PREEMPT_TIMER		(1u << 6)

/* primary processor-based controls */
#define VMX_PROC_INTR_WINDOW		(1u << 2)
#define VMX_PROC_TSC_OFFSET		(1u << 3)
#define VMX_PROC_HLT			(1u << 7)
#define VMX_PROC_INVLPG			(1u << 9)
#define VMX_PROC_MWAIT			(1u << 10)
#define VMX_PROC_RDPMC			(1u << 11)
#define VMX_PROC_RDTSC			(1u << 12)
#define VMX_PROC_CR3_LOAD		(1u << 15)
#define VMX_PROC_CR3_STORE		(1u << 16)
#define VMX_PROC_CR8_LOAD		(1u << 19)
#define VMX_PROC_CR8_STORE		(1u << 20)
#define VMX_PROC_TPR_SHADOW		(1u << 21)
#define VMX_PROC_NMI_WINDOW		(1u << 22)
#define VMX_PROC_MOV_DR			(1u << 23)
#define VMX_PROC_UNCOND_IO		(1u << 24)
#define VMX_PROC_IO_BITMAPS		(1u << 25)
#define VMX_PROC_MSR_BITMAPS		(1u << 28)
#define VMX_PROC_MONITOR		(1u << 29)
#define VMX_PROC_PAUSE			(1u << 30)
#define VMX_PROC_SECONDARY		(1u << 31)

/* secondary processor-based controls */
#define VMX_PROC2_EPT			(1u << 1)
#define VMX_PROC2_RDTSCP		(1u << 3)
#define VMX_PROC2_VPID			(1u << 5)
#define VMX_PROC2_WBINVD		(1u << 6)
#define VMX_PROC2_UNRESTRICTED		(1u << 7)
#define VMX_PROC2_INVPCID		(1u << 12)

/* VM-exit controls */
#define VMX_EXIT_SAVE_DEBUG		(1u << 2)
#define VMX_EXIT_HOST_64		(1u << 9)
#define VMX_EXIT_ACK_INTR		(1u << 15)
#define VMX_EXIT_SAVE_PAT		(1u << 18)
#define VMX_EXIT_LOAD_PAT		(1u << 19)
#define VMX_EXIT_SAVE_EFER		(1u << 20)
#define VMX_EXIT_LOAD_EFER		(1u << 21)

/* VM-entry controls */
#define VMX_ENTRY_LOAD_DEBUG		(1u << 2)
#define VMX_ENTRY_IA32E			(1u << 9)
#define VMX_ENTRY_LOAD_PAT		(1u << 14)
#define VMX_ENTRY_LOAD_EFER		(1u << 15)

/* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_WALK_4			(1ull << 6)
#define VMX_EPT_WB			(1ull << 14)
#define VMX_EPT_2M			(1ull << 16)
#define VMX_EPT_INVEPT			(1ull << 20)
#define VMX_EPT_AD			(1ull << 21)
#define VMX_EPT_INVEPT_SINGLE		(1ull << 25)
#define VMX_EPT_INVEPT_ALL		(1ull << 26)
#define VMX_VPID_INVVPID		(1ull << 32)
#define VMX_VPID_INVVPID_SINGLE		(1ull << 41)
#define VMX_VPID_INVVPID_ALL		(1ull << 42)

/* EPT entries and EPTP */
#define VMX_EPT_R			(1ull << 0)
#define VMX_EPT_W			(1ull << 1)
#define VMX_EPT_X			(1ull << 2)
#define VMX_EPT_MT_WB			(6ull << 3)
#define VMX_EPT_IPAT			(1ull << 6)
#define VMX_EPT_A			(1ull << 8)
#define VMX_EPT_D			(1ull << 9)
#define VMX_EPTP_WB			6ull
#define VMX_EPTP_WALK4			(3ull << 3)
#define VMX_EPTP_AD			(1ull << 6)

#define VMX_INVEPT_SINGLE		1
#define VMX_INVEPT_ALL			2
#define VMX_INVVPID_SINGLE		1
#define VMX_INVVPID_ALL			2

/* VMCS field encodings (appendix B) */
enum vmcs_field {
	VMCS_VPID			= 0x0000,
	VMCS_GUEST_ES_SEL		= 0x0800,	/* +2 per segment: ES CS SS DS FS GS LDTR TR */
	VMCS_HOST_ES_SEL		= 0x0c00,
	VMCS_HOST_CS_SEL		= 0x0c02,
	VMCS_HOST_SS_SEL		= 0x0c04,
	VMCS_HOST_DS_SEL		= 0x0c06,
	VMCS_HOST_FS_SEL		= 0x0c08,
	VMCS_HOST_GS_SEL		= 0x0c0a,
	VMCS_HOST_TR_SEL		= 0x0c0c,
	VMCS_IO_BITMAP_A		= 0x2000,
	VMCS_IO_BITMAP_B		= 0x2002,
	VMCS_MSR_BITMAP			= 0x2004,
	VMCS_EXIT_MSR_STORE_ADDR	= 0x2006,
	VMCS_EXIT_MSR_LOAD_ADDR		= 0x2008,
	VMCS_ENTRY_MSR_LOAD_ADDR	= 0x200a,
	VMCS_TSC_OFFSET			= 0x2010,
	VMCS_EPTP			= 0x201a,
	VMCS_GUEST_PHYS_ADDR		= 0x2400,
	VMCS_LINK_POINTER		= 0x2800,
	VMCS_GUEST_DEBUGCTL		= 0x2802,
	VMCS_GUEST_PAT			= 0x2804,
	VMCS_GUEST_EFER			= 0x2806,
	VMCS_GUEST_PDPTE0		= 0x280a,	/* +2 per PDPTE */
	VMCS_HOST_PAT			= 0x2c00,
	VMCS_HOST_EFER			= 0x2c02,
	VMCS_PIN_CTLS			= 0x4000,
	VMCS_PROC_CTLS			= 0x4002,
	VMCS_EXCEPTION_BITMAP		= 0x4004,
	VMCS_PF_ERR_MASK		= 0x4006,
	VMCS_PF_ERR_MATCH		= 0x4008,
	VMCS_CR3_TARGET_COUNT		= 0x400a,
	VMCS_EXIT_CTLS			= 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT	= 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT	= 0x4010,
	VMCS_ENTRY_CTLS			= 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT	= 0x4014,
	VMCS_ENTRY_INTR_INFO		= 0x4016,
	VMCS_ENTRY_EXC_ERROR		= 0x4018,
	VMCS_ENTRY_INSN_LEN		= 0x401a,
	VMCS_TPR_THRESHOLD		= 0x401c,
	VMCS_PROC_CTLS2			= 0x401e,
	VMCS_INSN_ERROR			= 0x4400,
	VMCS_EXIT_REASON		= 0x4402,
	VMCS_EXIT_INTR_INFO		= 0x4404,
	VMCS_EXIT_INTR_ERROR		= 0x4406,
	VMCS_IDT_VECTORING_INFO		= 0x4408,
	VMCS_IDT_VECTORING_ERROR	= 0x440a,
	VMCS_EXIT_INSN_LEN		= 0x440c,
	VMCS_EXIT_INSN_INFO		= 0x440e,
	VMCS_GUEST_ES_LIMIT		= 0x4800,	/* +2 per segment */
	VMCS_GUEST_GDTR_LIMIT		= 0x4810,
	VMCS_GUEST_IDTR_LIMIT		= 0x4812,
	VMCS_GUEST_ES_AR		= 0x4814,	/* +2 per segment */
	VMCS_GUEST_INTERRUPTIBILITY	= 0x4824,
	VMCS_GUEST_ACTIVITY		= 0x4826,
	VMCS_GUEST_SYSENTER_CS		= 0x482a,
	VMCS_PREEMPT_TIMER		= 0x482e,
	VMCS_HOST_SYSENTER_CS		= 0x4c00,
	VMCS_CR0_MASK			= 0x6000,
	VMCS_CR4_MASK			= 0x6002,
	VMCS_CR0_SHADOW			= 0x6004,
	VMCS_CR4_SHADOW			= 0x6006,
	VMCS_EXIT_QUAL			= 0x6400,
	VMCS_GUEST_LINEAR_ADDR		= 0x640a,
	VMCS_GUEST_CR0			= 0x6800,
	VMCS_GUEST_CR3			= 0x6802,
	VMCS_GUEST_CR4			= 0x6804,
	VMCS_GUEST_ES_BASE		= 0x6806,	/* +2 per segment */
	VMCS_GUEST_GDTR_BASE		= 0x6816,
	VMCS_GUEST_IDTR_BASE		= 0x6818,
	VMCS_GUEST_DR7			= 0x681a,
	VMCS_GUEST_RSP			= 0x681c,
	VMCS_GUEST_RIP			= 0x681e,
	VMCS_GUEST_RFLAGS		= 0x6820,
	VMCS_GUEST_PENDING_DBG		= 0x6822,
	VMCS_GUEST_SYSENTER_ESP		= 0x6824,
	VMCS_GUEST_SYSENTER_EIP		= 0x6826,
	VMCS_HOST_CR0			= 0x6c00,
	VMCS_HOST_CR3			= 0x6c02,
	VMCS_HOST_CR4			= 0x6c04,
	VMCS_HOST_FS_BASE		= 0x6c06,
	VMCS_HOST_GS_BASE		= 0x6c08,
	VMCS_HOST_TR_BASE		= 0x6c0a,
	VMCS_HOST_GDTR_BASE		= 0x6c0c,
	VMCS_HOST_IDTR_BASE		= 0x6c0e,
	VMCS_HOST_SYSENTER_ESP		= 0x6c10,
	VMCS_HOST_SYSENTER_EIP		= 0x6c12,
	VMCS_HOST_RSP			= 0x6c14,
	VMCS_HOST_RIP			= 0x6c16,
};

/* segment index in the per-segment field groups */
enum { VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR };

/* segment access rights: the 12 SVM-style attribute bits spread out, plus unusable */
#define VMX_AR_UNUSABLE			(1u << 16)

/* guest interruptibility state */
#define VMX_INTR_STI			(1u << 0)
#define VMX_INTR_MOV_SS			(1u << 1)
#define VMX_INTR_NMI			(1u << 3)

/* interruption information (entry, exit, IDT vectoring) */
#define VMX_II_VECTOR_MASK		0xffu
#define VMX_II_TYPE_MASK		(7u << 8)
#define VMX_II_TYPE_INTR		(0u << 8)
#define VMX_II_TYPE_NMI			(2u << 8)
#define VMX_II_TYPE_HW_EXC		(3u << 8)
#define VMX_II_TYPE_SOFT_INTR		(4u << 8)
#define VMX_II_TYPE_PRIV_SOFT_EXC	(5u << 8)
#define VMX_II_TYPE_SOFT_EXC		(6u << 8)
#define VMX_II_ERR_VALID		(1u << 11)
#define VMX_II_NMI_UNBLOCK		(1u << 12)
#define VMX_II_VALID			(1u << 31)

/* basic exit reasons (appendix C) */
#define VMX_EXIT_EXC_NMI		0
#define VMX_EXIT_EXT_INTR		1
#define VMX_EXIT_TRIPLE_FAULT		2
#define VMX_EXIT_INIT			3
#define VMX_EXIT_SIPI			4
#define VMX_EXIT_IO_SMI			5
#define VMX_EXIT_OTHER_SMI		6
#define VMX_EXIT_INTR_WINDOW		7
#define VMX_EXIT_NMI_WINDOW		8
#define VMX_EXIT_TASK_SWITCH		9
#define VMX_EXIT_CPUID			10
#define VMX_EXIT_GETSEC			11
#define VMX_EXIT_HLT			12
#define VMX_EXIT_INVD			13
#define VMX_EXIT_RDPMC			15
#define VMX_EXIT_RSM			17
#define VMX_EXIT_VMCALL			18
#define VMX_EXIT_VMCLEAR		19
#define VMX_EXIT_VMLAUNCH		20
#define VMX_EXIT_VMPTRLD		21
#define VMX_EXIT_VMPTRST		22
#define VMX_EXIT_VMREAD			23
#define VMX_EXIT_VMRESUME		24
#define VMX_EXIT_VMWRITE		25
#define VMX_EXIT_VMXOFF			26
#define VMX_EXIT_VMXON			27
#define VMX_EXIT_CR			28
#define VMX_EXIT_DR			29
#define VMX_EXIT_IO			30
#define VMX_EXIT_RDMSR			31
#define VMX_EXIT_WRMSR			32
#define VMX_EXIT_BAD_GUEST		33
#define VMX_EXIT_BAD_MSR_LOAD		34
#define VMX_EXIT_MWAIT			36
#define VMX_EXIT_MONITOR		39
#define VMX_EXIT_MCE_ENTRY		41
#define VMX_EXIT_EPT_VIOLATION		48
#define VMX_EXIT_EPT_MISCONFIG		49
#define VMX_EXIT_INVEPT			50
#define VMX_EXIT_PREEMPT_TIMER		52
#define VMX_EXIT_INVVPID		53
#define VMX_EXIT_WBINVD			54
#define VMX_EXIT_XSETBV			55
#define VMX_EXIT_VMFUNC			59
#define VMX_EXIT_MAX			66
#define VMX_EXIT_ENTRY_FAILED		(1u << 31)

/* VM-instruction errors (section 30.4) */
#define VMX_ERR_VMLAUNCH_NOT_CLEAR	4
#define VMX_ERR_VMRESUME_NOT_LAUNCHED	5

/* I/O exit qualification */
#define VMX_IO_SIZE_MASK		7u
#define VMX_IO_IN			(1u << 3)
#define VMX_IO_STRING			(1u << 4)
#define VMX_IO_REP			(1u << 5)
#define VMX_IO_PORT_SHIFT		16

/* EPT violation exit qualification */
#define VMX_EPT_QUAL_WRITE		(1ull << 1)
#define VMX_EPT_QUAL_LA_VALID		(1ull << 7)
#define VMX_EPT_QUAL_LA_FINAL		(1ull << 8)
#define VMX_EPT_QUAL_NMI_UNBLOCK	(1ull << 12)

#define VMX_MSR_BITMAP_SIZE		4096
#define VMX_IO_BITMAP_SIZE		(2 * 4096)

#ifndef __ASSEMBLY__
#include <linux/types.h>
#include "../core.h"

/* guest EFER bits and CR4 bits a guest may never set */
#define VMX_EFER_GUEST		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
#define VMX_CR4_GUEST_RSVD	(X86_CR4_VMXE | X86_CR4_SMXE | ~0x3fffffULL)

/* Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME itself failed. */
int domus_vmx_enter(u64 *regs, bool launched, u32 spec_flags);
void domus_vmx_exit_rip(void);

/* Configuration chosen by the probe from the capability MSRs. */
struct vmx_config {
	u32 revision;
	u32 pin, proc, proc2, exit, entry;
	u64 basic, ept_cap;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 cr0_mask, cr4_mask;		/* bits the guest may not change freely */
	u32 preempt_ticks;		/* guest time slice, 0: no preemption timer */
};
extern struct vmx_config vmx_cfg;
int vmx_probe(struct domus_hw *hw);

/* Backend state of one vCPU. */
struct vmx_vcpu {
	struct domus_vcpu *v;
	void *vmcs;
	u64 vmcs_pa;
	struct list_head loaded_link;	/* on the CPU's list of loaded VMCSs */
	int cpu;			/* CPU with this VMCS loaded, or -1 */
	bool launched;
	bool flush;			/* guest TLB must be flushed */
	u16 vpid;
	u64 eptp;
	u32 proc;			/* primary controls as written */
	/* host state last written into the VMCS */
	u64 host_cr3, host_cr4, host_fs_base;
	u16 host_fs_sel, host_gs_sel;
	/*
	 * Guest RSP, RIP, RFLAGS and interruptibility state, cached: read
	 * from the VMCS after every exit (the VMCS is current then), written
	 * back before the next entry if changed (@dirty).  Between the two,
	 * exit handlers and ioctls use these copies and need no VMCS access.
	 */
	u64 rsp, rip, rflags;
	u32 intr;
	u8 dirty;
	/* guest state not held in the VMCS */
	u64 cr2;
	u8 cr8;
	u64 misc_enable;		/* IA32_MISC_ENABLE */
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 kernel_gs_base, star, lstar, cstar, sfmask;
	u64 dr6;
	/* events */
	u32 reinject;			/* IDT-vectoring info cut short by the exit */
	u32 reinject_err;
	u8 reinject_len;		/* a software event's instruction length */
	bool vectoring;			/* the last exit came during event delivery */
	/* exit information, read while interrupts were still off */
	u32 exit_reason;
	u32 exit_intr_info;
	u32 exit_len;
	u32 exit_insn_info;
	u64 exit_qual;
	u64 exit_gpa;
};

static inline struct vmx_vcpu *to_vmx(struct domus_vcpu *v)
{
	return v->arch;
}

static __always_inline u64 vmcs_read(unsigned long field)
{
	u64 val;

	asm volatile("vmread %[f], %[v]" : [v] "=rm" (val) : [f] "r" (field) : "cc");
	return val;
}

static __always_inline void vmcs_write(unsigned long field, u64 val)
{
	asm volatile("vmwrite %[v], %[f]" : : [v] "rm" (val), [f] "r" (field) : "cc", "memory");
}

/* Make @v's VMCS current on this CPU (preemption disabled). */
void vmx_vcpu_load(struct domus_vcpu *v);

/* Pin the thread and make the VMCS current, for state access from ioctls. */
static inline void vmx_get(struct domus_vcpu *v)
{
	preempt_disable();
	vmx_vcpu_load(v);
}

static inline void vmx_put(void)
{
	preempt_enable();
}

#define VMX_DIRTY_RSP		BIT(0)
#define VMX_DIRTY_RIP		BIT(1)
#define VMX_DIRTY_RFLAGS	BIT(2)
#define VMX_DIRTY_INTR		BIT(3)

static inline void vmx_set_rsp(struct vmx_vcpu *vx, u64 val)
{
	vx->rsp = val;
	vx->dirty |= VMX_DIRTY_RSP;
}

static inline void vmx_set_rip(struct vmx_vcpu *vx, u64 val)
{
	vx->rip = val;
	vx->dirty |= VMX_DIRTY_RIP;
}

static inline void vmx_set_rflags(struct vmx_vcpu *vx, u64 val)
{
	vx->rflags = val;
	vx->dirty |= VMX_DIRTY_RFLAGS;
}

static inline void vmx_set_intr(struct vmx_vcpu *vx, u32 val)
{
	vx->intr = val;
	vx->dirty |= VMX_DIRTY_INTR;
}

void vmx_set_proc(struct vmx_vcpu *vx, u32 proc);
void vmx_write_cr0(struct domus_vcpu *v, u64 cr0);
void vmx_write_cr4(struct domus_vcpu *v, u64 cr4);
void vmx_write_efer(struct domus_vcpu *v, u64 efer);
int vmx_load_pdptrs(struct domus_vcpu *v);
u32 vmx_seg_ar_in(u32 attr, u32 limit, int seg);
void vmx_reset_state(struct domus_vcpu *v);

DOMUS_ARCH_DECLARE_STATE(vmx);
/* RFLAGS.IF set and no STI / MOV SS shadow (cached state). */
static inline bool vmx_interruptible(struct domus_vcpu *v)
{
	struct vmx_vcpu *vx = to_vmx(v);

	return (vx->rflags & X86_EFLAGS_IF) && !(vx->intr & (VMX_INTR_STI | VMX_INTR_MOV_SS));
}
bool vmx_inject_events(struct domus_vcpu *v);
void vmx_save_reinject(struct domus_vcpu *v, u32 idt_info, u32 idt_err);
int vmx_handle_exit(struct domus_vcpu *v);
#endif /* __ASSEMBLY__ */

#endif /* DOMUS_VMX_H */
