/* SPDX-License-Identifier: MIT */
/*
 * The demo guest (run by domus-hello.c): real mode, loaded and entered at
 * guest-physical 0x1000, RAM [0, 32 KiB).  It prints a
 * greeting on the emulated serial port (COM1, 0x3f8), exercises one exit
 * of each kind the core handles (CPUID and a hypercall in the kernel, an
 * MMIO write to userspace) and halts.
 */
#define LOAD 0x1000
#define COM1 0x3f8

	.section .rodata.guest, "a"
	.code16
	.globl hello_guest_start, hello_guest_end
hello_guest_start:
	cld
	mov	$(msg - hello_guest_start + LOAD), %si
1:	lodsb
	test	%al, %al
	jz	2f
	mov	%al, %bl
	mov	$(COM1 + 5), %dx		/* line status: wait for THR empty */
3:	in	%dx, %al
	test	$0x20, %al
	jz	3b
	mov	$COM1, %dx
	mov	%bl, %al
	out	%al, %dx
	jmp	1b
2:	xor	%eax, %eax
	cpuid					/* handled in the kernel */
	mov	$0xd0000000, %eax
	vmmcall					/* in-kernel no-op hypercall */
	movl	$0x600d, (0xf000)		/* MMIO: above the 32 KiB of RAM */
	hlt
	jmp	2b
msg:	.asciz	"Hello from a domus guest!\r\n"
hello_guest_end:
	.section .note.GNU-stack, "", @progbits
