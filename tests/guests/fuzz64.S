/* SPDX-License-Identifier: MIT */
/*
 * Kernel-mode guest fuzzer (run by tests/host/devfuzz/guest.c): entered
 * like long64 (long mode, identity map of 4 GiB with 2 MiB supervisor
 * pages) with RSI = seed, RDX = number of operations, RCX = the
 * operations allowed (bit n for entry n of the ops table, bit 32 + n
 * for entry n of misc_tab).  Each operation is
 * a random privileged access: RDMSR/WRMSR of interesting and random
 * indices and values, CPUID of random leaves, port I/O (single and
 * string) to random ports, MMIO reads and writes at random addresses
 * outside RAM, MOV to CR0/CR4 (one bit flipped, then restored), CR3
 * (PWT/PCD flipped, restored),
 * CR8 and DR0-7 with random values, MOV from them, XSETBV, RDPMC,
 * WBINVD, RDTSCP, INVLPG, MONITOR/MWAIT, VMMCALL/VMCALL, UD2.  Not INVD:
 * the AMD-V test host (QEMU 7.2 TCG) reports it as a WBINVD exit without
 * the next RIP, so domus, decoding WBINVD's bytes, stops the guest with
 * an emulation exit (observed; on a CPU the exit code is INVD's).
 *
 * Every exception vector has a handler that counts it (FZ_COUNTS, one
 * qword per vector) and resumes after the faulting operation (the
 * operation armed FZ_RECOVER); #DB clears DR7 and resumes with RF set.
 * An exception outside an armed operation counts in FZ_STRAY and ends
 * the run with OUT PORT_DONE = 0xdead00 | vector.  At the end FZ_DONE
 * holds the operations made and the guest reports OUT PORT_DONE = 0.
 * Every 4096 operations it reports the count through PORT_VAL.
 */
#include "guest.h"

/* RISKY insn: arm the recovery address past insn, run it, disarm. */
.macro RISKY insn:vararg
	leaq	.Lr\@(%rip), %r11
	movq	%r11, FZ_RECOVER
	\insn
.Lr\@:
	movq	$0, FZ_RECOVER
.endm

	.code64
	.text
	.globl	_start
_start:
	cld
	movq	%rsi, %r15		/* PRNG state */
	testq	%r15, %r15
	jnz	1f
	movq	$0x9e3779b97f4a7c15, %r15
1:	movq	%rdx, %r13		/* operations to make */
	movq	%rcx, %r14		/* operations allowed: bit n for ops[n] */
	xorl	%r12d, %r12d		/* operations made */
	movq	$0, FZ_RECOVER
	/* IDT: vector n -> stubs + n * 16 */
	xorl	%ecx, %ecx
	leaq	stubs(%rip), %rdx
	movq	$FZ_IDT, %rdi
2:	movq	%rdx, %rax
	movw	%ax, (%rdi)
	movw	$0x08, 2(%rdi)
	movw	$0x8e00, 4(%rdi)
	shrq	$16, %rax
	movw	%ax, 6(%rdi)
	shrq	$16, %rax
	movl	%eax, 8(%rdi)
	movl	$0, 12(%rdi)
	addq	$16, %rdx
	addq	$16, %rdi
	incl	%ecx
	cmpl	$32, %ecx
	jb	2b
	lidt	idt_desc(%rip)
	/* CR4.OSXSAVE when the CPU has XSAVE, so XSETBV is reachable */
	movl	$1, %eax
	xorl	%ecx, %ecx
	cpuid
	btl	$26, %ecx
	jnc	loop
	movq	%cr4, %rax
	orq	$(1 << 18), %rax
	movq	%rax, %cr4

loop:
	cmpq	%r13, %r12
	jae	finish
	testl	$4095, %r12d
	jnz	1f
	movl	%r12d, %eax
	outl	%eax, $PORT_VAL
1:	call	rng
	xorl	%edx, %edx
	movq	$NOPS, %rcx
	divq	%rcx
	btq	%rdx, %r14
	jnc	1b
	movl	%r12d, %eax		/* trace: the last 16 operations */
	andl	$15, %eax
	movq	%rdx, FZ_TRACE(,%rax,8)
	leaq	ops(%rip), %rax
	call	*(%rax,%rdx,8)
	incq	%r12
	movq	%r12, FZ_DONE
	jmp	loop

finish:
	xorl	%eax, %eax
3:	outl	%eax, $PORT_DONE
	jmp	3b

/* rng: xorshift64 on %r15, result in %rax */
rng:
	movq	%r15, %rax
	shlq	$13, %rax
	xorq	%rax, %r15
	movq	%r15, %rax
	shrq	$7, %rax
	xorq	%rax, %r15
	movq	%r15, %rax
	shlq	$17, %rax
	xorq	%rax, %r15
	movq	%r15, %rax
	ret

/* value: an interesting or random 64-bit value in %rax */
value:
	call	rng
	testb	$3, %al
	jz	rng			/* fully random */
	shrq	$8, %rax
	andl	$31, %eax
	leaq	values(%rip), %rdx
	movq	(%rdx,%rax,8), %rax
	ret

/* msr_index: an interesting or random MSR index in %ecx */
msr_index:
	call	rng
	movl	%eax, %ecx
	testb	$3, %al
	jz	1f
	shrq	$8, %rax
	xorl	%edx, %edx
	movq	$NMSRS, %rcx
	divq	%rcx
	leaq	msrs(%rip), %rax
	movl	(%rax,%rdx,4), %ecx
1:	ret

/* --- operations (each may clobber rax, rbx, rcx, rdx, rsi, rdi, r8-r11) -- */

op_rdmsr:
	call	msr_index
	RISKY	rdmsr
	ret

op_wrmsr:
	call	msr_index
	cmpl	$0x1b, %ecx		/* APIC base and EFER: not written */
	je	1f
	cmpl	$0xc0000080, %ecx
	je	1f
	movl	%ecx, %ebx
	call	value
	movl	%ebx, %ecx
	movq	%rax, %rdx
	shrq	$32, %rdx
	RISKY	wrmsr
1:	ret

op_cpuid:
	call	rng
	movq	%rax, %rcx
	shrq	$32, %rcx
	testb	$3, %al
	jz	1f
	movl	%eax, %edx
	andl	$0x1f, %eax		/* basic, hypervisor or extended leaves */
	shrl	$8, %edx
	andl	$3, %edx
	leaq	leaf_base(%rip), %rbx
	orl	(%rbx,%rdx,4), %eax
	andl	$7, %ecx
1:	RISKY	cpuid
	ret

/* port: a random port in %dx, not one of the guest protocol's */
port:
	call	rng
	movl	%eax, %edx
	cmpw	$PORT_CON, %dx
	jb	1f
	cmpw	$PORT_SYNC, %dx
	ja	1f
	movw	$0x80, %dx
1:	ret

op_pio:
	call	port
	movq	%rax, %rbx
	shrq	$20, %rbx
	andl	$7, %ebx
	movl	%eax, %eax
	leaq	pio_tab(%rip), %rcx
	jmp	*(%rcx,%rbx,8)
pio_inb:
	RISKY	inb %dx, %al
	ret
pio_inw:
	RISKY	inw %dx, %ax
	ret
pio_inl:
	RISKY	inl %dx, %eax
	ret
pio_outb:
	RISKY	outb %al, %dx
	ret
pio_outw:
	RISKY	outw %ax, %dx
	ret
pio_outl:
	RISKY	outl %eax, %dx
	ret
pio_ins:
	movq	%rax, %rcx
	shrq	$24, %rcx
	andl	$31, %ecx
	movq	$FZ_SCRATCH, %rdi
	RISKY	rep insb
	ret
pio_outs:
	movq	%rax, %rcx
	shrq	$24, %rcx
	andl	$31, %ecx
	movq	$FZ_SCRATCH, %rsi
	RISKY	rep outsw
	ret

/* mmio_addr: %rdi = a guest-physical address outside RAM (mostly below
 * 4 GiB: MMIO exits; 1 in 8 anywhere: #PF or #GP) */
mmio_addr:
	call	rng
	movq	%rax, %rdi
	testb	$7, %al
	jz	1f
	movl	%edi, %edi
	cmpq	$LM_RAM_SIZE, %rdi
	jae	1f
	btsq	$31, %rdi		/* into [LM_HOLE, 4 GiB) */
1:	ret

op_mmio:
	call	mmio_addr
	call	value
	movq	%rax, %rdx
	call	rng
	shrq	$40, %rax
	andl	$7, %eax
	leaq	mmio_tab(%rip), %rcx
	jmp	*(%rcx,%rax,8)
mmio_rb:
	RISKY	movb (%rdi), %al
	ret
mmio_rw:
	RISKY	movw (%rdi), %ax
	ret
mmio_rl:
	RISKY	movl (%rdi), %eax
	ret
mmio_rq:
	RISKY	movq (%rdi), %rax
	ret
mmio_wb:
	RISKY	movb %dl, (%rdi)
	ret
mmio_ww:
	RISKY	movw %dx, (%rdi)
	ret
mmio_wl:
	RISKY	movl %edx, (%rdi)
	ret
mmio_wq:
	RISKY	movq %rdx, (%rdi)
	ret

/* flip: %rax = %rbx with one random bit flipped (bits 0..63) */
flip:
	call	rng
	andl	$63, %eax
	movq	%rax, %rcx
	movq	%rbx, %rax
	btcq	%rcx, %rax
	ret

/*
 * CR0: one bit flipped, then restored; not PE and PG: clearing either in
 * 64-bit mode is #GP on a CPU (domus does not intercept CR0 writes on
 * AMD-V), but the test host's QEMU TCG takes it and leaves long mode.
 * Nor bits 32-63, nor NW without CD: #GP on a CPU, but QEMU TCG takes
 * them, and an exit before the restore (a signal's kick) then fails the
 * next VMRUN's CR0 check (observed 2026-12-05: a failed entry, the host
 * unaffected), as with CR3 below.
 */
op_cr0:
	movq	%cr0, %rbx
1:	call	flip			/* %rcx: the bit, %rax: the new value */
	testl	%ecx, %ecx
	jz	1b
	cmpl	$31, %ecx
	jae	1b
	btl	$29, %eax		/* NW ... */
	jnc	2f
	btl	$30, %eax		/* ... without CD */
	jnc	1b
2:
	RISKY	movq %rax, %cr0
	RISKY	movq %rbx, %cr0
	ret

/*
 * CR3: PWT/PCD flipped.  Not the reserved bits 52-63: the test host's
 * QEMU TCG takes such a write without #GP (a CPU raises #GP; with nested
 * paging domus does not intercept CR3 writes), and its next VMRUN then
 * fails its CR3 check (observed: a failed entry, the host unaffected).
 */
op_cr3:
	movq	%cr3, %rbx
	call	rng
	movq	%rbx, %rax
	testb	$1, %al
	jz	1f
	xorq	$0x08, %rax
1:	xorq	$0x10, %rax
	RISKY	movq %rax, %cr3
	RISKY	movq %rbx, %cr3
	ret

op_cr4:
	movq	%cr4, %rbx
	call	flip
	RISKY	movq %rax, %cr4
	RISKY	movq %rbx, %cr4
	ret

op_cr8:
	call	value
	RISKY	movq %rax, %cr8
	movq	%cr8, %rax
	ret

op_crread:
	movq	%cr0, %rax
	movq	%cr2, %rax
	movq	%cr3, %rax
	movq	%cr4, %rax
	movq	%cr8, %rax
	ret

/*
 * DR0-7 written with random values (DR6/DR7 half the time with the
 * reserved upper half clear), or read.  DR7 never enables a breakpoint
 * (its bits 0-7 are cleared) and DR0-3 stay in the lower canonical half:
 * with random breakpoints enabled the AMD test host's emulator (QEMU 7.2
 * TCG) crashed after "tried to set invalid watchpoint at
 * ffffffffffffffff" messages; even so it crashed in its DR7 code, so
 * devfuzz leaves this operation off by default (docs/testing.md).
 */
op_dr:
	call	value
	movq	%rax, %rdx
	call	rng
	testb	$1, %ah
	jz	1f
	movl	%edx, %edx		/* half the time the upper half clear */
1:	andl	$15, %eax
	cmpl	$7, %eax		/* DR7: no breakpoint enabled */
	jne	2f
	xorb	%dl, %dl
2:	cmpl	$4, %eax		/* DR0-3: an address in the lower half */
	jae	3f
	btrq	$63, %rdx
	shlq	$17, %rdx
	shrq	$17, %rdx
3:	leaq	dr_tab(%rip), %rcx
	jmp	*(%rcx,%rax,8)
dr_w0:	RISKY	movq %rdx, %db0
	ret
dr_w1:	RISKY	movq %rdx, %db1
	ret
dr_w2:	RISKY	movq %rdx, %db2
	ret
dr_w3:	RISKY	movq %rdx, %db3
	ret
dr_w4:	RISKY	movq %rdx, %db4
	ret
dr_w5:	RISKY	movq %rdx, %db5
	ret
dr_w6:	RISKY	movq %rdx, %db6
	ret
dr_w7:	RISKY	movq %rdx, %db7
	ret
dr_r0:	RISKY	movq %db0, %rax
	ret
dr_r1:	RISKY	movq %db1, %rax
	ret
dr_r2:	RISKY	movq %db2, %rax
	ret
dr_r3:	RISKY	movq %db3, %rax
	ret
dr_r4:	RISKY	movq %db4, %rax
	ret
dr_r5:	RISKY	movq %db5, %rax
	ret
dr_r6:	RISKY	movq %db6, %rax
	ret
dr_r7:	RISKY	movq %db7, %rax
	ret

op_xsetbv:
	call	rng
	movq	%rax, %rbx
	xorl	%ecx, %ecx
	testb	$7, %bl
	jnz	1f
	movq	%rbx, %rcx		/* another XCR index */
	shrq	$48, %rcx
	andl	$3, %ecx
1:	movq	%rbx, %rax
	shrq	$8, %rax
	testb	$3, %bl
	jz	2f
	andl	$0x602e7, %eax		/* defined state components */
	xorl	%edx, %edx
	jmp	3f
2:	movq	%rax, %rdx
	shrq	$32, %rdx
3:	RISKY	xsetbv
	ret

op_misc:
	call	rng
	movq	%rax, %rbx
	shrq	$8, %rbx
	andl	$7, %eax
	leal	32(%rax), %ecx		/* allowed: bit 32 + n for misc_tab[n] */
	btq	%rcx, %r14
	jnc	1f
	leaq	misc_tab(%rip), %rcx
	jmp	*(%rcx,%rax,8)
1:	ret
misc_rdpmc:
	movl	%ebx, %ecx
	andl	$0x4000000f, %ecx
	RISKY	rdpmc
	ret
misc_wbinvd:
	RISKY	wbinvd
	ret
misc_rdtscp:
	RISKY	rdtscp
	ret
misc_invlpg:
	RISKY	invlpg (%rbx)
	ret
misc_mwait:
	movq	$FZ_SCRATCH, %rax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	RISKY	monitor
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	RISKY	mwait
	ret
misc_vmmcall:
	movq	%rbx, %rax
	RISKY	vmmcall
	ret
misc_vmcall:
	movq	%rbx, %rax
	RISKY	vmcall
	ret
misc_ud2:
	RISKY	ud2
	ret

/* --- exceptions ------------------------------------------------------------ */

/* stubs: 16 bytes per vector; vectors without an error code push 0 */
	.balign	16
stubs:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign	16
	.if	(\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	pushq	$\v
	.else
	pushq	$0
	pushq	$\v
	.endif
	jmp	common
	.endr

/* stack: vector, error code, RIP, CS, RFLAGS, RSP, SS */
common:
	pushq	%rax
	pushq	%rcx
	movq	16(%rsp), %rax
	incq	FZ_COUNTS(,%rax,8)
	cmpq	$1, %rax
	je	1f
	movq	FZ_RECOVER, %rcx
	testq	%rcx, %rcx
	jz	stray
	movq	%rcx, 32(%rsp)		/* resume after the operation */
	movq	$0, FZ_RECOVER
	jmp	2f
1:	movq	$0x400, %rcx		/* #DB: breakpoints off, resume with RF */
	movq	%rcx, %db7
	orq	$0x10000, 48(%rsp)
2:	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq
stray:
	incq	FZ_STRAY
	orl	$0xdead00, %eax
4:	outl	%eax, $PORT_DONE
	jmp	4b

/* --- data ------------------------------------------------------------------ */

	.balign	8
idt_desc:
	.word	32 * 16 - 1
	.quad	FZ_IDT

	.balign	8
ops:
	.quad	op_rdmsr, op_rdmsr, op_wrmsr, op_wrmsr, op_cpuid, op_pio, op_pio, op_mmio
	.quad	op_mmio, op_cr0, op_cr3, op_cr4, op_cr8, op_crread, op_dr, op_dr
	.quad	op_xsetbv, op_misc
	.set	NOPS, (. - ops) / 8
pio_tab:
	.quad	pio_inb, pio_inw, pio_inl, pio_outb, pio_outw, pio_outl, pio_ins, pio_outs
mmio_tab:
	.quad	mmio_rb, mmio_rw, mmio_rl, mmio_rq, mmio_wb, mmio_ww, mmio_wl, mmio_wq
dr_tab:
	.quad	dr_w0, dr_w1, dr_w2, dr_w3, dr_w4, dr_w5, dr_w6, dr_w7
	.quad	dr_r0, dr_r1, dr_r2, dr_r3, dr_r4, dr_r5, dr_r6, dr_r7
misc_tab:
	.quad	misc_rdpmc, misc_wbinvd, misc_rdtscp, misc_invlpg, misc_mwait, misc_vmmcall, misc_vmcall, misc_ud2
leaf_base:
	.long	0, 0x40000000, 0x80000000, 0x8000001f
values:
	.quad	0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000
	.quad	0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffff000
	.quad	0x0000800000000000, 0x00007ffffffff000, 0xffff800000000000, 0x1000
	.quad	0x400, 0x401, 0xffff0ff0, 0x2000, 0xf, 0x10, 0x0007040600070406, 0x500
	.quad	0xd01, 0xc0000000, 0x80000000000, 0x3, 0x7, 0x8000000000000001, 0x55, 0xaa
msrs:
	.long	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xc1, 0xe7, 0xe8, 0xfe, 0x174, 0x175
	.long	0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x201, 0x250, 0x277, 0x2ff, 0x6e0
	.long	0x802, 0x808, 0x830, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084
	.long	0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010114, 0xc0010117
	.long	0xc001011f, 0xc0010015, 0xc0011029, 0x40000000, 0x40000001, 0x4b564d00
	.long	0x4b564d01, 0xffffffff, 0x80000000, 0xc0010000, 0xc0010004, 0x9b, 0x10a
	.set	NMSRS, (. - msrs) / 4
