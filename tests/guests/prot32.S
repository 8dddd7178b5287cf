/* SPDX-License-Identifier: MIT */
/*
 * 32-bit protected-mode test guest.  Entered in real mode exactly like
 * real16.S (CS = 0, IP = GUEST_LOAD, EDI = test id); it loads its own GDT,
 * sets CR0.PE and far-jumps to 32-bit code with flat segments.  RAM is
 * [0, LO_RAM_SIZE); LO_MMIO is outside every slot.
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
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$LO_STACK_TOP, %esp
	cmpl	$T_HELLO, %edi
	je	t_hello
	cmpl	$T_PIO, %edi
	je	t_pio
	cmpl	$T_MMIO, %edi
	je	t_mmio
	cmpl	$T_CPUID, %edi
	je	t_cpuid
	cmpl	$T_INTO, %edi
	je	t_into
	movl	$__LINE__, %eax
fail:
done:
	outl	%eax, $PORT_DONE
	jmp	done

t_hello:
	movl	$hello_pm, %esi
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, $PORT_CON
	jmp	1b
2:	/* prove CR0.PE and a 32-bit CS: report CR0 and the CS selector */
	movl	%cr0, %eax
	outl	%eax, $PORT_VAL
	movl	%cs, %eax
	outl	%eax, $PORT_VAL
	PASS

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
	movl	$str_msg, %esi
	movl	$str_len, %ecx
	movw	$PORT_STR, %dx
	rep outsb
	testl	%ecx, %ecx
	EXPECT(jz)
	cmpl	$str_msg + str_len, %esi
	EXPECT(je)
	movl	$str_words, %esi
	movl	$2, %ecx
	rep outsl
	movl	$str_tail, %esi
	outsb
	movl	$in_buf, %edi
	movl	$16, %ecx
	rep insb
	movl	$2, %ecx
	rep insl
	cmpl	$in_buf + 24, %edi
	EXPECT(je)
	movl	$in_buf, %esi
	movb	$STR_IN_FIRST, %dl
	movl	$24, %ecx
1:	lodsb
	cmpb	%dl, %al
	EXPECT(je)
	incb	%dl
	loop	1b
	PASS

t_mmio:
	movl	$LO_MMIO, %ebx
	movb	$0x11, (%ebx)
	movw	$0x2233, 2(%ebx)
	movl	$0x44556677, 4(%ebx)
	movsbl	(%ebx), %ecx
	cmpl	$0x11, %ecx
	EXPECT(je)
	movl	4(%ebx), %ecx
	cmpl	$0x44556677, %ecx
	EXPECT(je)
	xorl	$0xffffffff, 4(%ebx)
	cmpl	$0xbbaa9988, 4(%ebx)
	EXPECT(je)
	leal	0x10(%ebx), %edi
	movl	$0xa5a5a5a5, %eax
	movl	$2, %ecx
	rep stosl
	cmpl	$0xa5a5a5a5, 0x14(%ebx)
	EXPECT(je)
	PASS

/* Leaves listed by the host at LO_CPUID: count, then (function, index) pairs. */
t_cpuid:
	movl	$LO_CPUID, %esi
	movl	(%esi), %ebp
	addl	$4, %esi
1:	testl	%ebp, %ebp
	jz	2f
	movl	(%esi), %eax
	movl	4(%esi), %ecx
	cpuid
	outl	%eax, $PORT_VAL
	movl	%ebx, %eax
	outl	%eax, $PORT_VAL
	movl	%ecx, %eax
	outl	%eax, $PORT_VAL
	movl	%edx, %eax
	outl	%eax, $PORT_VAL
	addl	$8, %esi
	decl	%ebp
	jmp	1b
2:	PASS

/*
 * --- T_INTO: exact delivery of INTO's #OF (coretest exc-delivery) ----------
 * Reports INTO's address and the next one, moves ESP to the top of
 * LO_LATE (no slot) and overflows: the delivery exits.  The handler
 * reports vector 4, the return EIP and error code 0, then passes.
 */
t_into:
	movl	$h_of, %eax
	movw	%ax, idt32 + 4 * 8
	movw	$0x08, idt32 + 4 * 8 + 2
	movw	$0x8e00, idt32 + 4 * 8 + 4
	shrl	$16, %eax
	movw	%ax, idt32 + 4 * 8 + 6
	lidtl	idt32_desc
	movl	$1f, %eax
	outl	%eax, $PORT_VAL
	movl	$2f, %eax
	outl	%eax, $PORT_VAL
	movl	$LO_LATE + 0x1000, %esp
	movl	$0x7fffffff, %eax
	addl	$1, %eax			/* OF */
1:	into
2:	movl	$__LINE__, %eax
	jmp	fail

h_of:
	movl	$4, %eax
	outl	%eax, $PORT_VAL
	movl	(%esp), %eax			/* return EIP */
	outl	%eax, $PORT_VAL
	xorl	%eax, %eax			/* no error code */
	outl	%eax, $PORT_VAL
	PASS

hello_pm:
	.asciz	"prot32: hello from protected mode\n"
str_msg:
	.ascii	"domus string I/O"
	.set	str_len, . - str_msg
str_words:
	.word	0x3231, 0x3433, 0x3635, 0x3837
str_tail:
	.byte	'!'
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: flat 32-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: flat data */
gdt_desc:
	.word	3 * 8 - 1
	.long	gdt
in_buf:		.fill 32, 1, 0
	.balign	8
idt32_desc:
	.word	5 * 8 - 1
	.long	idt32
	.balign	8
idt32:		.fill 5 * 8, 1, 0
