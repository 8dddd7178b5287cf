/*
 * A boot sector for tests/suites/77-hvm-bios-amd: the UART's receiver.
 * With every PIC input masked (SeaBIOS's tick would poll COM1 for its
 * serial console) it sets COM1 up (FIFO on, trigger 1), prints
 * "polled ready" and waits on LSR.DR for a byte, which it echoes.  Then
 * it hooks IRQ 4 (vector 0x0c: SeaBIOS's master PIC base is 0x08),
 * enables the receive interrupt (IER bit 0, MCR OUT2), unmasks IRQ 4
 * only, prints "irq ready" and halts; the handler reads IIR, takes the
 * bytes while LSR.DR and EOIs.  The byte and IIR's interrupt id are
 * echoed, then the test-exit port ends the domain (value 0x13: exit code
 * 39).  Every byte goes out through THR directly.
 */
	.include	"boot.inc"
	boot_start
	movb	$0xff, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movw	$0x3f9, %dx		/* IER: nothing */
	xorb	%al, %al
	outb	%al, %dx
	incw	%dx			/* FCR: FIFO on, both cleared, trigger 1 */
	movb	$0x07, %al
	outb	%al, %dx
	incw	%dx			/* LCR: 8N1 */
	movb	$0x03, %al
	outb	%al, %dx
	incw	%dx			/* MCR: DTR, RTS */
	outb	%al, %dx
	movw	$msg_pready, %si
	call	puts
	/* polled */
1:	movw	$0x3fd, %dx
	inb	%dx, %al
	testb	$1, %al
	jz	1b
	movw	$0x3f8, %dx
	inb	%dx, %al
	movb	%al, pch
	movw	$msg_pgot, %si
	call	puts
	/* by IRQ 4 */
	movw	$irq4, 0x30
	movw	$0, 0x32
	movw	$0x3fc, %dx		/* MCR: DTR, RTS, OUT2 */
	movb	$0x0b, %al
	outb	%al, %dx
	movw	$0x3f9, %dx		/* IER: received data */
	movb	$0x01, %al
	outb	%al, %dx
	movb	$0xef, %al		/* IRQ 4 only */
	outb	%al, $0x21
	movw	$msg_iready, %si
	call	puts
2:	sti
	hlt
	cli
	cmpb	$0, ich
	je	2b
	movw	$msg_igot, %si
	call	puts
	movb	$0x13, %al
	outb	%al, $0xf4
3:	hlt
	jmp	3b

irq4:
	pushw	%ax
	pushw	%bx
	pushw	%dx
	pushw	%ds
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	$0x3fa, %dx
	inb	%dx, %al
	movzbw	%al, %bx
	andb	$0x0f, %bl
	movb	hex(%bx), %al
	movb	%al, iid
4:	movw	$0x3fd, %dx
	inb	%dx, %al
	testb	$1, %al
	jz	5f
	movw	$0x3f8, %dx
	inb	%dx, %al
	movb	%al, ich
	jmp	4b
5:	movb	$0x20, %al
	outb	%al, $0x20
	popw	%ds
	popw	%dx
	popw	%bx
	popw	%ax
	iret

/* the string at %si out through THR, waiting for THRE */
puts:	lodsb
	testb	%al, %al
	jz	7f
	movb	%al, %ah
	movw	$0x3fd, %dx
6:	inb	%dx, %al
	testb	$0x20, %al
	jz	6b
	movw	$0x3f8, %dx
	movb	%ah, %al
	outb	%al, %dx
	jmp	puts
7:	ret

hex:	.ascii	"0123456789abcdef"
msg_pready:	.asciz	"domus-uart: polled ready\r\n"
msg_pgot:	.ascii	"domus-uart: polled got "
pch:	.byte	'?'
	.asciz	"\r\n"
msg_iready:	.asciz	"domus-uart: irq ready\r\n"
msg_igot:	.ascii	"domus-uart: irq got "
ich:	.byte	0
	.ascii	" iir "
iid:	.byte	'?'
	.asciz	"\r\n"
	.org	510
	.byte	0x55, 0xaa
