/* SPDX-License-Identifier: MIT */
/*
 * Upcall delivery and vCPU up/down in a Xen domain
 * (tests/host/coretest_upcall.c).  Entered in long mode like long64
 * (domus_setup_long_mode) with RDI = test:
 *   0  per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector) and the
 *      HVM_PARAM_CALLBACK_IRQ forms (1 vCPU)
 *   1  VCPUOP_up / down / is_up with INIT and STARTUP (2 vCPUs; vCPU 1
 *      runs the real-mode counter at 0x10000); ends with the last vCPU
 *      going down: the domain's power-off exit, no PORT_DONE
 * Results as in long64: PORT_DONE 0 or the failing line; PORT_VAL values.
 * vCPU 0 switches its APIC to x2APIC mode first (vCPUs start in xAPIC).
 * Every wait is a bounded number of STI windows (interrupts on for a
 * spin of PAUSEs, then off again), never an unbounded HLT or spin.
 */
#include "guest.h"

#define IDT		0x20000
#define CNT_V		0x21000		/* qword: per-vCPU vector (0x40) interrupts */
#define CNT_G		0x21008		/* qword: domain-wide vector (0xf3) interrupts */
#define HCPAGE		0x22000		/* the hypercall page */
#define SHINFO		0x23000		/* shared_info, placed by the guest */
#define ARGS		0x24000		/* hypercall arguments */
#define AP_COUNT	0x10100		/* dword: vCPU 1's real-mode counter */
#define VEC		0x40
#define GVEC		0xf3
#define WINDOWS		5000		/* STI windows before a wait fails */

/* Xen: hypercalls, sub-ops, errno */
#define HC_memory_op	12
#define HC_vcpu_op	24
#define HC_evtchn_op	32
#define HC_hvm_op	34
#define EINVAL		22
#define ENOENT		2

/* shared_info: vCPU 0's vcpu_info at 0, evtchn_pending at 0x800 */
#define UPCALL_PENDING	(SHINFO + 0)
#define PENDING_SEL	(SHINFO + 8)
#define EVTCHN_PENDING	(SHINFO + 0x800)

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done
#define WRMSR(m, lo)	movl $(m), %ecx; movl $(lo), %eax; xorl %edx, %edx; wrmsr
#define ICR(dest, lo)	movl $0x830, %ecx; movl $(lo), %eax; movl $(dest), %edx; wrmsr
/* hypercall nr (rdi, rsi, rdx already set); result in rax */
#define HCALL(nr)	call HCPAGE + (nr) * 32
/* rax must equal \val (an immediate, sign-extended) */
#define RET_IS(val)	cmpq $(val), %rax; EXPECT(je)

.macro spin n
	movl	$\n, %ecx
3:	pause
	decl	%ecx
	jnz	3b
.endm
/* one STI window: interrupts taken, then off again */
.macro window
	sti
	spin	20000
	cli
.endm
/* bounded wait with interrupts on until qword \addr >= \n; IF = 0 after */
.macro wait_ge addr, n
	movl	$WINDOWS, %ebx
1:	cmpq	$\n, \addr
	jae	2f
	window
	decl	%ebx
	jnz	1b
	movl	$__LINE__, %eax		/* the interrupt never came */
	jmp	fail
2:
.endm

	.code64
	.text
	.globl	_start
_start:
	cld
	cli
	movq	%rdi, %r15
	lidt	idt_desc(%rip)
	movl	$VEC, %eax
	leaq	vec_handler(%rip), %rdx
	call	set_gate
	movl	$GVEC, %eax
	leaq	gvec_handler(%rip), %rdx
	call	set_gate
	movl	$0x40000000, %ecx	/* the hypercall page */
	movl	$HCPAGE, %eax
	xorl	%edx, %edx
	wrmsr
	WRMSR(0x1b, 0xfee00c00)		/* vCPUs start in xAPIC mode: to x2APIC */
	WRMSR(0x80f, 0x1ff)		/* APIC SVR: software enable */
	cmpq	$0, %r15
	je	t_upcall
	cmpq	$1, %r15
	je	t_updown
	movl	$__LINE__, %eax
fail:
done:
	outl	%eax, $PORT_DONE
	jmp	done

	DEFINE_SET_GATE IDT

/* the guest's part of an upcall: flag, selector and port bits cleared */
ack_events:
	movb	$0, UPCALL_PENDING
	movq	$0, PENDING_SEL
	movq	$0, EVTCHN_PENDING
	ret

vec_handler:				/* an APIC interrupt: EOI */
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	incq	CNT_V
	call	ack_events
	WRMSR(0x80b, 0)
	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq

gvec_handler:				/* the domain-wide vector: no EOI */
	incq	CNT_G
	call	ack_events
	iretq

/* hvm_op set_param CALLBACK_IRQ = %rax (value); result in rax */
set_callback:
	movw	$0x7ff0, ARGS + 0x100	/* DOMID_SELF */
	movl	$0, ARGS + 0x104	/* index 0: CALLBACK_IRQ */
	movq	%rax, ARGS + 0x108
	movl	$0, %edi		/* HVMOP_set_param */
	movl	$ARGS + 0x100, %esi
	HCALL(HC_hvm_op)
	ret

/* hvm_op get_param CALLBACK_IRQ: value in rdx, result in rax */
get_callback:
	movq	$-1, ARGS + 0x108
	movl	$1, %edi		/* HVMOP_get_param */
	movl	$ARGS + 0x100, %esi
	HCALL(HC_hvm_op)
	movq	ARGS + 0x108, %rdx
	ret

/* set_evtchn_upcall_vector {vcpu %esi, vector %edx}; result in rax */
set_vector:
	movl	%esi, ARGS + 0x200
	movl	%edx, ARGS + 0x204
	movl	$23, %edi
	movl	$ARGS + 0x200, %esi
	HCALL(HC_hvm_op)
	ret

/* EVTCHNOP_send of port 1; result in rax */
send1:
	movl	$1, ARGS + 0x300
	movl	$4, %edi
	movl	$ARGS + 0x300, %esi
	HCALL(HC_evtchn_op)
	ret

/* --- 0: per-vCPU upcall vector, CALLBACK_IRQ forms ------------------------ */
t_upcall:
	/* shared_info at SHINFO: XENMEM_add_to_physmap {DOMID_SELF, space 0, idx 0, gpfn} */
	movw	$0x7ff0, ARGS
	movl	$0, ARGS + 4
	movq	$0, ARGS + 8
	movq	$(SHINFO >> 12), ARGS + 16
	movl	$7, %edi
	movl	$ARGS, %esi
	HCALL(HC_memory_op)
	RET_IS(0)
	/* an IPI port on vCPU 0: port 1 */
	movl	$0, ARGS + 0x40
	movl	$7, %edi
	movl	$ARGS + 0x40, %esi
	HCALL(HC_evtchn_op)
	RET_IS(0)
	cmpl	$1, ARGS + 0x44
	EXPECT(je)
	/* validation: a vector below 0x10, a vCPU that does not exist */
	movl	$0, %esi
	movl	$0x0f, %edx
	call	set_vector
	RET_IS(-EINVAL)
	movl	$99, %esi
	movl	$VEC, %edx
	call	set_vector
	RET_IS(-ENOENT)
	movl	$1, %esi
	movl	$VEC, %edx
	call	set_vector
	RET_IS(-ENOENT)
	/* an event with no upcall path at all: flagged, not delivered */
	call	send1
	RET_IS(0)
	cmpb	$1, UPCALL_PENDING
	EXPECT(je)
	window
	window
	cmpq	$0, CNT_V
	EXPECT(je)
	/* the vector set while the upcall is pending: it arrives */
	movl	$0, %esi
	movl	$VEC, %edx
	call	set_vector
	RET_IS(0)
	wait_ge	CNT_V, 1
	/* the next event: the vector again (the guest EOIed) */
	call	send1
	RET_IS(0)
	wait_ge	CNT_V, 2
	/* CALLBACK_IRQ: GSI 1 (Linux's "enlightened" marker), read back */
	movq	$1, %rax
	call	set_callback
	RET_IS(0)
	call	get_callback
	RET_IS(0)
	cmpq	$1, %rdx
	EXPECT(je)
	/* PCI INTx: device 3, pin B */
	movq	$((1 << 56) | (3 << 11) | 1), %rax
	call	set_callback
	RET_IS(0)
	call	get_callback
	movq	$((1 << 56) | (3 << 11) | 1), %rax
	cmpq	%rax, %rdx
	EXPECT(je)
	/* a type Xen does not know (x86): accepted as "none" */
	movq	$(5 << 56), %rax
	call	set_callback
	RET_IS(0)
	/* a vector below 0x10 */
	movq	$((2 << 56) | 0x05), %rax
	call	set_callback
	RET_IS(-EINVAL)
	/* the domain-wide vector: vCPU 0 keeps its own */
	movq	$((2 << 56) | GVEC), %rax
	call	set_callback
	RET_IS(0)
	call	send1
	RET_IS(0)
	wait_ge	CNT_V, 3
	window
	window
	movq	CNT_G, %rax
	outl	%eax, $PORT_VAL
	cmpq	$0, %rax
	EXPECT(je)
	movq	CNT_V, %rax
	outl	%eax, $PORT_VAL
	cmpq	$3, %rax
	EXPECT(je)
	PASS

/* vcpu_op %edi on vCPU %esi (no argument); result in rax */
vcpu_op:
	xorl	%edx, %edx
	HCALL(HC_vcpu_op)
	ret

#define VCPU(op, id)	movl $(op), %edi; movl $(id), %esi; call vcpu_op
#define UP		1
#define DOWN		2
#define IS_UP		3

/* wait (bounded) until vCPU 1's counter moves past %r12d */
ap_moves:
	movl	$WINDOWS, %ebx
1:	cmpl	%r12d, AP_COUNT
	jne	2f
	window
	decl	%ebx
	jnz	1b
	movl	$__LINE__, %eax		/* vCPU 1 does not run */
	jmp	fail
2:	ret

/* --- 1: VCPUOP_up / down / is_up --------------------------------------------- */
t_updown:
	VCPU(IS_UP, 0)
	RET_IS(1)
	VCPU(IS_UP, 1)			/* an AP before its STARTUP: down */
	RET_IS(0)
	VCPU(UP, 1)			/* never initialised */
	RET_IS(-EINVAL)
	VCPU(IS_UP, 2)			/* no such vCPU */
	RET_IS(-ENOENT)
	VCPU(IS_UP, 4096)
	RET_IS(-ENOENT)
	VCPU(DOWN, 5)
	RET_IS(-ENOENT)
	ICR(1, 0x4500)			/* INIT, STARTUP at 0x10000 */
	ICR(1, 0x4610)
	xorl	%r12d, %r12d
	call	ap_moves
	VCPU(IS_UP, 1)
	RET_IS(1)
	VCPU(DOWN, 1)
	RET_IS(0)
	VCPU(IS_UP, 1)
	RET_IS(0)
	/*
	 * vCPU 1 leaves the guest: its counter stands still for 20 windows
	 * in a row, within WINDOWS windows.  Xen's down does not wait for
	 * the target to stop, and a vCPU thread of a loaded host can stand
	 * still for a while without being down, so one quiet window proves
	 * nothing: a count that moves starts the 20 again.
	 */
	movl	$WINDOWS, %r13d
	movl	AP_COUNT, %r12d
	movl	$20, %r14d
6:	window
	movl	AP_COUNT, %eax
	cmpl	%r12d, %eax
	jne	9f
	decl	%r14d			/* one more quiet window */
	jz	7f
	jmp	10f
9:	movl	%eax, %r12d		/* it moved: count again */
	movl	$20, %r14d
10:	decl	%r13d
	jnz	6b
	movl	$__LINE__, %eax		/* it never stopped */
	jmp	fail
7:	movl	AP_COUNT, %eax
	outl	%eax, $PORT_VAL
	VCPU(DOWN, 1)			/* already down: 0 */
	RET_IS(0)
	VCPU(UP, 1)
	RET_IS(0)
	VCPU(IS_UP, 1)
	RET_IS(1)
	call	ap_moves		/* runs again */
	VCPU(UP, 1)			/* already up: 0 */
	RET_IS(0)
	ICR(1, 0x4500)			/* INIT: not initialised, down */
	VCPU(IS_UP, 1)
	RET_IS(0)
	VCPU(UP, 1)
	RET_IS(-EINVAL)
	ICR(1, 0x4610)			/* STARTUP: up once it starts */
	movl	$WINDOWS, %r13d
4:	VCPU(IS_UP, 1)
	cmpq	$1, %rax
	je	5f
	window
	decl	%r13d
	jnz	4b
	movl	$__LINE__, %eax
	jmp	fail
5:	VCPU(DOWN, 1)
	RET_IS(0)
	movl	$1, %eax		/* the host expects the power-off exit now */
	outl	%eax, $PORT_VAL
	VCPU(DOWN, 0)			/* the last vCPU that is up: power-off */
	movl	$__LINE__, %eax		/* never returns */
	jmp	fail

	.balign	8
idt_desc:
	.word	4095
	.quad	IDT

/* vCPU 1's real-mode entry point (STARTUP vector 0x10) */
	.org	0x10000 - GUEST_LOAD
	.code16
ap_count:
	incl	%cs:0x100
	jmp	ap_count
	.org	0x10200 - GUEST_LOAD
	.code64
