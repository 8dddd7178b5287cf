/* SPDX-License-Identifier: MIT */
/*
 * Real-mode test guest.  Loaded at GUEST_LOAD, entered with CS = DS = ES =
 * SS = 0 (domus_setup_real_mode), IP = GUEST_LOAD, DI = test id.  RAM is
 * [0, LO_RAM_SIZE); LO_MMIO (segment 0xd000) is outside every slot.
 * Runs unchanged under KVM (tests/host/kvm_holder.c uses T_LOOP).
 */
#include "guest.h"

#define EXPECT(jcc)	jcc 8f; movl $__LINE__, %eax; jmp fail; 8:
#define PASS		xorl %eax, %eax; jmp done

	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$LO_STACK_TOP, %sp
	cmpw	$T_HELLO, %di
	je	t_hello
	cmpw	$T_PIO, %di
	je	t_pio
	cmpw	$T_MMIO, %di
	je	t_mmio
	cmpw	$T_TRIPLE, %di
	je	t_triple
	cmpw	$T_LOOP, %di
	je	t_loop
	movl	$__LINE__, %eax
fail:
done:
	outl	%eax, $PORT_DONE
	jmp	done

t_hello:
	movw	$hello_msg, %si
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, $PORT_CON
	jmp	1b
2:	PASS

t_pio:
	movb	$0x5a, %al
	outb	%al, $PORT_VAL
	movw	$0x1234, %ax
	outw	%ax, $PORT_VAL
	movl	$0xdeadbeef, %eax
	outl	%eax, $PORT_VAL
	movw	$PORT_VAL, %dx
	movw	$0xcafe, %ax
	outw	%ax, %dx
	movl	$-1, %eax
	inb	$PORT_IN, %al
	cmpl	$0xffffff44, %eax
	EXPECT(je)
	inw	$PORT_IN, %ax
	cmpl	$0xffff3344, %eax
	EXPECT(je)
	inl	$PORT_IN, %eax
	cmpl	$PORT_IN_VALUE, %eax
	EXPECT(je)
	movw	$str_msg, %si
	movw	$str_len, %cx
	movw	$PORT_STR, %dx
	rep outsb
	testw	%cx, %cx
	EXPECT(jz)
	cmpw	$str_msg + str_len, %si
	EXPECT(je)
	movw	$str_words, %si
	movw	$4, %cx
	rep outsw
	movw	$str_tail, %si
	outsb
	movw	$in_buf, %di
	movw	$16, %cx
	rep insb
	movw	$4, %cx
	rep insw
	cmpw	$in_buf + 24, %di
	EXPECT(je)
	movw	$in_buf, %si
	movb	$STR_IN_FIRST, %dl
	movw	$24, %cx
1:	lodsb
	cmpb	%dl, %al
	EXPECT(je)
	incb	%dl
	loop	1b
	PASS

/* A few forms through a segment: ES = LO_MMIO >> 4. */
t_mmio:
	movw	$LO_MMIO >> 4, %ax
	movw	%ax, %es
	movb	$0x11, %es:0
	movw	$0x2233, %es:2
	movl	$0x44556677, %es:4
	movzbw	%es:0, %cx
	cmpw	$0x11, %cx
	EXPECT(je)
	movl	%es:4, %ecx
	cmpl	$0x44556677, %ecx
	EXPECT(je)
	orw	$0x0100, %es:2
	cmpw	$0x2333, %es:2
	EXPECT(je)
	movw	$0x10, %di
	movb	$0xa5, %al
	movw	$8, %cx
	rep stosb
	cmpw	$0x18, %di
	EXPECT(je)
	cmpl	$0xa5a5a5a5, %es:0x14
	EXPECT(je)
	PASS

/* Real-mode IVT limited to 0 bytes: INT 3 cannot be delivered. */
t_triple:
	lidt	null_idt
	int3
	movl	$__LINE__, %eax
	jmp	fail

t_loop:
1:	incl	counter
	jmp	1b

hello_msg:
	.asciz	"real16: hello from real mode\n"
str_msg:
	.ascii	"domus string I/O"
	.set	str_len, . - str_msg
str_words:
	.word	0x3231, 0x3433, 0x3635, 0x3837
str_tail:
	.byte	'!'
	.balign	4
counter:	.long 0
null_idt:	.word 0
		.long 0
in_buf:		.fill 32, 1, 0
