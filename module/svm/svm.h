/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AMD-V architectural constants (AMD64 Architecture Programmer's Manual,
 * volume 2, chapter 15 and appendix B).
 */
#ifndef DOMUS_SVM_H
#define DOMUS_SVM_H

#define SVM_CPUID_LEAF		0x8000000a
#define SVM_CPUID_SVM		(1u << 2)	/* CPUID 8000_0001h ECX */

/* CPUID 8000_000Ah EDX */
#define SVM_FEAT_NP		(1u << 0)
#define SVM_FEAT_NRIPS		(1u << 3)
#define SVM_FEAT_VMCB_CLEAN	(1u << 5)
#define SVM_FEAT_FLUSH_BY_ASID	(1u << 6)
#define SVM_FEAT_DECODE_ASSISTS	(1u << 7)
#define SVM_FEAT_VGIF		(1u << 16)

#define MSR_SVM_VM_CR		0xc0010114
#define SVM_VM_CR_SVMDIS	(1ull << 4)


#ifndef __ASSEMBLY__
#include <linux/types.h>

#define MSR_SVM_HSAVE_PA	0xc0010117

/* VMCB control area (APM vol. 2, appendix B, table B-1) */
struct svm_vmcb_ctrl {
	u32 intercept_cr;		/* 0x000 reads [15:0], writes [31:16] */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exc;		/* 0x008 */
	u32 intercept_misc1;		/* 0x00c */
	u32 intercept_misc2;		/* 0x010 */
	u32 intercept_misc3;		/* 0x014 */
	u8 rsvd1[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_ctl;			/* 0x05c */
	u8 rsvd2[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u64 int_state;			/* 0x068 */
	u64 exit_code;			/* 0x070 */
	u64 exit_info1;			/* 0x078 */
	u64 exit_info2;			/* 0x080 */
	u64 exit_int_info;		/* 0x088 */
	u64 nested_ctl;			/* 0x090 */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u64 event_inj;			/* 0x0a8 */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 rsvd3;			/* 0x0c4 */
	u64 next_rip;			/* 0x0c8 */
	u8 insn_len;			/* 0x0d0 */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 rsvd4[0x400 - 0x0e0];
} __packed;

struct svm_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

/* VMCB state-save area (table B-2), at VMCB offset 0x400 */
struct svm_vmcb_save {
	struct svm_seg es, cs, ss, ds, fs, gs;	/* 0x000 */
	struct svm_seg gdtr, ldtr, idtr, tr;	/* 0x060 */
	u8 rsvd1[0x0cb - 0x0a0];
	u8 cpl;					/* 0x0cb */
	u32 rsvd2;
	u64 efer;				/* 0x0d0 */
	u8 rsvd3[0x148 - 0x0d8];
	u64 cr4;				/* 0x148 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;				/* 0x178 */
	u8 rsvd4[0x1d8 - 0x180];
	u64 rsp;				/* 0x1d8 */
	u8 rsvd5[0x1f8 - 0x1e0];
	u64 rax;				/* 0x1f8 */
	u64 star;				/* 0x200 */
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs;
	u64 sysenter_esp;
	u64 sysenter_eip;
	u64 cr2;				/* 0x240 */
	u8 rsvd6[0x268 - 0x248];
	u64 g_pat;				/* 0x268 */
	u64 dbgctl;
	u64 br_from;
	u64 br_to;
	u64 last_excp_from;
	u64 last_excp_to;			/* 0x290 */
} __packed;

struct svm_vmcb {
	struct svm_vmcb_ctrl ctrl;
	struct svm_vmcb_save save;
} __packed;

/* intercept_misc1 */
#define SVM_I1_INTR		(1u << 0)
#define SVM_I1_NMI		(1u << 1)
#define SVM_I1_VINTR		(1u << 4)
#define SVM_I1_RDPMC		(1u << 15)
#define SVM_I1_CPUID		(1u << 18)
#define SVM_I1_IRET		(1u << 20)
#define SVM_I1_INVD		(1u << 22)
#define SVM_I1_HLT		(1u << 24)
#define SVM_I1_INVLPGA		(1u << 26)
#define SVM_I1_IOIO		(1u << 27)
#define SVM_I1_MSR		(1u << 28)
#define SVM_I1_TASK_SWITCH	(1u << 29)
#define SVM_I1_SHUTDOWN		(1u << 31)
/* intercept_misc2 */
#define SVM_I2_VMRUN		(1u << 0)
#define SVM_I2_VMMCALL		(1u << 1)
#define SVM_I2_VMLOAD		(1u << 2)
#define SVM_I2_VMSAVE		(1u << 3)
#define SVM_I2_STGI		(1u << 4)
#define SVM_I2_CLGI		(1u << 5)
#define SVM_I2_SKINIT		(1u << 6)
#define SVM_I2_ICEBP		(1u << 8)
#define SVM_I2_WBINVD		(1u << 9)
#define SVM_I2_MONITOR		(1u << 10)
#define SVM_I2_MWAIT		(1u << 11)
#define SVM_I2_MWAIT_COND	(1u << 12)
#define SVM_I2_XSETBV		(1u << 13)
#define SVM_I2_RDPRU		(1u << 14)

/* int_ctl */
#define SVM_V_TPR_MASK		0x0fu
#define SVM_V_IRQ		(1u << 8)
#define SVM_V_INTR_PRIO_SHIFT	16
#define SVM_V_IGN_TPR		(1u << 20)
#define SVM_V_INTR_MASKING	(1u << 24)
#define SVM_INT_SHADOW		1ull

/* event_inj / exit_int_info */
#define SVM_EV_VECTOR_MASK	0xffull
#define SVM_EV_TYPE_SHIFT	8
#define SVM_EV_TYPE_MASK	(7ull << 8)
#define SVM_EV_TYPE_INTR	(0ull << 8)
#define SVM_EV_TYPE_NMI		(2ull << 8)
#define SVM_EV_TYPE_EXC		(3ull << 8)
#define SVM_EV_TYPE_SOFT	(4ull << 8)
#define SVM_EV_ERR_VALID	(1ull << 11)
#define SVM_EV_VALID		(1ull << 31)

/* tlb_ctl */
#define SVM_TLB_FLUSH_NONE	0
#define SVM_TLB_FLUSH_ALL	1
#define SVM_TLB_FLUSH_ASID	3

/* VMCB clean bits */
#define SVM_CLEAN_INTERCEPTS	(1u << 0)
#define SVM_CLEAN_IOPM		(1u << 1)
#define SVM_CLEAN_ASID		(1u << 2)
#define SVM_CLEAN_TPR		(1u << 3)
#define SVM_CLEAN_NP		(1u << 4)
#define SVM_CLEAN_CRX		(1u << 5)
#define SVM_CLEAN_DRX		(1u << 6)
#define SVM_CLEAN_DT		(1u << 7)
#define SVM_CLEAN_SEG		(1u << 8)
#define SVM_CLEAN_CR2		(1u << 9)
#define SVM_CLEAN_LBR		(1u << 10)
#define SVM_CLEAN_ALL		0x7ffu

/* exit codes (appendix C) */
#define SVM_EXIT_WRITE_CR4	0x014
#define SVM_EXIT_READ_DR0	0x020
#define SVM_EXIT_WRITE_DR15	0x03f
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_TASK_SWITCH	0x07d
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_ICEBP		0x088
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_MWAIT_COND	0x08c
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_RDPRU		0x08e
#define SVM_EXIT_MAX_TABLE	0x0a0
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	(~0ull)

/* IOIO exit_info1 */
#define SVM_IO_IN		(1u << 0)
#define SVM_IO_STR		(1u << 2)
#define SVM_IO_REP		(1u << 3)
#define SVM_IO_SZ_SHIFT		4
#define SVM_IO_A_SHIFT		7
#define SVM_IO_SEG_SHIFT	10
#define SVM_IO_PORT_SHIFT	16

/* NPF exit_info1 */
#define SVM_NPF_WRITE		(1ull << 1)
#define SVM_NPF_IN_WALK		(1ull << 33)

/* nested page-table entries: ordinary long-mode paging bits */
#define SVM_NPT_P		(1ull << 0)
#define SVM_NPT_RW		(1ull << 1)
#define SVM_NPT_US		(1ull << 2)
#define SVM_NPT_A		(1ull << 5)
#define SVM_NPT_D		(1ull << 6)

#define SVM_IOPM_SIZE		(3 * 4096)
#define SVM_MSRPM_SIZE		(2 * 4096)

void domus_svm_enter(u64 vmcb_pa, u64 *regs, u64 host_save_pa, u32 spec_flags);

#include "../core.h"

/* Backend state of one vCPU. */
struct svm_vcpu {
	struct svm_vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	u64 asid_gen;
	int last_cpu;
	u32 dirty;			/* VMCB fields changed since the last run */
	bool flush;			/* guest TLB must be flushed */
	u64 efer;			/* guest view: without SVME */
	u64 reinject;			/* event cut short by the exit */
	u32 reinject_err;
	u8 reinject_len;		/* its instruction's length: a software event */
	/*
	 * A software event re-injected at the last entry, RIP stepped from
	 * soft_old_rip to soft_next_rip: undone if its delivery is cut short
	 * again (svm_save_reinject).
	 */
	bool soft_injected;
	u8 soft_len;
	u32 soft_info;
	u64 soft_old_rip, soft_next_rip;
};

static inline struct svm_vcpu *to_svm(struct domus_vcpu *v)
{
	return v->arch;
}

static inline bool svm_has(u64 feat)
{
	return domus_hw.features & feat;
}

DOMUS_ARCH_DECLARE_STATE(svm);

/* RFLAGS.IF set and no interrupt shadow. */
static inline bool svm_interruptible(struct svm_vcpu *sv)
{
	return (sv->vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !(sv->vmcb->ctrl.int_state & SVM_INT_SHADOW);
}
void svm_irq_window(struct svm_vcpu *sv, bool on);
bool svm_inject_events(struct domus_vcpu *v);
void svm_save_reinject(struct domus_vcpu *v);
int svm_handle_exit(struct domus_vcpu *v);
unsigned int svm_exit_insn_len(struct domus_vcpu *v);
#endif /* __ASSEMBLY__ */

#endif /* DOMUS_SVM_H */
