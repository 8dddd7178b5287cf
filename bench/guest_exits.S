/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest for bench/exits: one real-mode image run unchanged under KVM
 * (bench/kvm_exits.c) and under domus (bench/domus_exits.c).
 *
 * Loaded at guest-physical 0x1000 and entered with CS = DS = 0,
 * IP = 0x1000, EDI = N (exits per phase), ESI = the hypercall number
 * (DOMUS_BENCH_HYPERCALL of uapi/domus.h in a plain domain, xen_version
 * in a Xen domain; the host program chooses).  Four timed phases of N exits
 * each, bracketed by OUTs to the marker port so the host program can take
 * a timestamp at every phase boundary:
 *
 *   marker 0  CPUID                 handled in the kernel
 *   marker 1  VMMCALL, EAX=ESI at entry, EDI=ESI=0 (hypercall)
 *   marker 2  OUT to BENCH_PORT_OUT  exit to userspace
 *   marker 3  MOV to BENCH_MMIO_SEG:0 (no RAM there)  exit to userspace
 *   marker 4  then HLT
 *
 * N and the hypercall number are kept at BENCH_SAVE_N / BENCH_SAVE_HC;
 * the loop counter is EBP, which none of the exits touch (CPUID clobbers
 * EAX..EDX, a hypercall writes EAX).  EAX of the last hypercall is stored
 * at BENCH_HC_RESULT for the host program to check.
 *
 * Build: cc -m32 -c, ld -m elf_i386 -Ttext 0x1000, objcopy -O binary
 * (bench/build.mk).  The constants must match the host programs.
 */

#define BENCH_PORT_MARK		0xe0
#define BENCH_PORT_OUT		0x10
#define BENCH_MMIO_SEG		0xd000	/* GPA 0xd0000, outside the 64 KiB of RAM */
#define BENCH_HC_RESULT		0x0f00
#define BENCH_SAVE_N		0x0f04
#define BENCH_SAVE_HC		0x0f08

	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movl	%edi, BENCH_SAVE_N
	movl	%esi, BENCH_SAVE_HC
	movw	$BENCH_MMIO_SEG, %ax
	movw	%ax, %es
	xorw	%bx, %bx

	/* phase 0: CPUID (leaf 0) */
	movb	$0, %al
	outb	%al, $BENCH_PORT_MARK
	movl	BENCH_SAVE_N, %ebp
1:	xorl	%eax, %eax
	xorl	%ecx, %ecx
	cpuid
	decl	%ebp
	jnz	1b

	/* phase 1: VMMCALL (0f 01 d9), an in-kernel hypercall round trip */
	movb	$1, %al
	outb	%al, $BENCH_PORT_MARK
	movl	BENCH_SAVE_N, %ebp
2:	movl	BENCH_SAVE_HC, %eax
	xorl	%edi, %edi
	xorl	%esi, %esi
	vmmcall
	decl	%ebp
	jnz	2b
	movl	%eax, BENCH_HC_RESULT

	/* phase 2: OUT to a port, each one an exit to userspace */
	movb	$2, %al
	outb	%al, $BENCH_PORT_MARK
	movl	BENCH_SAVE_N, %ebp
	movb	$0x5a, %al
3:	outb	%al, $BENCH_PORT_OUT
	decl	%ebp
	jnz	3b

	/* phase 3: a byte store to unmapped guest-physical memory (MMIO) */
	movb	$3, %al
	outb	%al, $BENCH_PORT_MARK
	movl	BENCH_SAVE_N, %ebp
	movb	$0xa5, %al
4:	movb	%al, %es:(%bx)
	decl	%ebp
	jnz	4b

	movb	$4, %al
	outb	%al, $BENCH_PORT_MARK
5:	hlt
	jmp	5b
