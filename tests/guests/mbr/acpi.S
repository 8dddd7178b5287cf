/*
 * An ACPI check from the boot disk (tests/suites/77-hvm-bios-amd): SeaBIOS
 * loads the boot sector to 0x7c00; it loads the rest of this program
 * (sectors 2-4) behind itself and, in big real mode (FS with a 4 GiB
 * limit; no BIOS call meanwhile: SeaBIOS's handlers reload segments with
 * 64 KiB limits), finds the RSDP in 0xe0000-0xfffff (signature and
 * checksum), follows its RSDT to the FADT, takes the PM1a control block,
 * the PM timer block, the reset register and the DSDT's \_S5 SLP_TYP, and
 * reads the PM timer until it advances.  It prints what it found through
 * int 10h (SeaBIOS's serial console; with the RSDP's OEM ID: whose
 * tables these are), then reads its flag sector (sector
 * 9): 'R' means "reset first": it writes 'D' there and writes the FADT's
 * reset value to its reset register (0xcf9 = 0x06): the domain reboots
 * and SeaBIOS boots this disk again.  Otherwise it writes SLP_TYP | SLP_EN
 * to PM1a_CNT: the domain powers off.  Anything unexpected ends the domain
 * through the test-exit port 0xf4 with a value naming it:
 * 0x21 no RSDP, 0x22 no FADT in the RSDT, 0x23 no \_S5 in the DSDT,
 * 0x24 the PM timer does not advance, 0x25 still running after S5,
 * 0x26 still running after the reset, 0x27 a disk read or write failed.
 */
	.include	"boot.inc"
	.set	drive, 0x600		/* the boot drive: outside the sectors loaded below */
	boot_start 1
	movb	%dl, drive
	movw	$0x0203, %ax		/* read 3 sectors */
	movw	$0x0002, %cx		/* cylinder 0, sector 2 */
	xorb	%dh, %dh
	movw	$0x7e00, %bx
	int	$0x13
	jc	disk_fail
	jmp	main
disk_fail:
	movb	$0x27, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b
	.org	510
	.byte	0x55, 0xaa

/* --- sectors 2-4 ---------------------------------------------------------- */
main:
	/* the flag sector (9) to 0x9000 */
	movw	$0x0201, %ax
	movw	$0x0009, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x9000, %bx
	int	$0x13
	jc	disk_fail
	cli
	/* big real mode: FS base 0, limit 4 GiB */
	lgdt	gdtdesc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	jmp	1f
1:	movw	$8, %bx
	movw	%bx, %fs
	andb	$0xfe, %al
	movl	%eax, %cr0
	jmp	2f
2:
	/* the RSDP: "RSD PTR " on a 16-byte boundary, 20 bytes summing to 0 */
	movl	$0xe0000, %esi
scan:
	cmpl	$0x20445352, %fs:(%esi)		/* "RSD " */
	jne	next
	cmpl	$0x20525450, %fs:4(%esi)	/* "PTR " */
	jne	next
	xorl	%ecx, %ecx
	xorb	%al, %al
3:	addb	%fs:(%esi,%ecx), %al
	incl	%ecx
	cmpl	$20, %ecx
	jb	3b
	testb	%al, %al
	jz	found
next:
	addl	$16, %esi
	cmpl	$0x100000, %esi
	jb	scan
	movb	$0x21, %bl
	jmp	fail
found:
	movl	%esi, rsdp
	movl	%fs:9(%esi), %eax		/* the OEM ID: whose tables these are */
	movl	%eax, oem
	movw	%fs:13(%esi), %ax
	movw	%ax, oem + 4
	/* the RSDT's entries: the one whose signature is FACP */
	movl	%fs:16(%esi), %ebx
	movl	%ebx, rsdt
	movl	%fs:4(%ebx), %ecx		/* length */
	addl	%ebx, %ecx
	leal	36(%ebx), %edx
4:	cmpl	%ecx, %edx
	jae	no_fadt
	movl	%fs:(%edx), %edi
	cmpl	$0x50434146, %fs:(%edi)		/* "FACP" */
	je	5f
	addl	$4, %edx
	jmp	4b
no_fadt:
	movb	$0x22, %bl
	jmp	fail
5:	movl	%edi, fadt
	movw	%fs:64(%edi), %ax		/* PM1a_CNT_BLK */
	movw	%ax, pm1a_cnt
	movw	%fs:76(%edi), %ax		/* PM_TMR_BLK */
	movw	%ax, pm_tmr
	movw	%fs:120(%edi), %ax		/* RESET_REG's address (system I/O) */
	movw	%ax, reset_port
	movb	%fs:128(%edi), %al		/* RESET_VALUE */
	movb	%al, reset_val
	/* the DSDT: NameOp \_S5_ PackageOp PkgLength NumElements, then the
	 * first element: BytePrefix n, or ZeroOp / OneOp */
	movl	%fs:40(%edi), %ebx
	movl	%fs:4(%ebx), %ecx
	addl	%ebx, %ecx
	subl	$8, %ecx
	leal	36(%ebx), %edx
6:	cmpl	%ecx, %edx
	jae	no_s5
	cmpl	$0x5f35535f, %fs:(%edx)		/* "_S5_" */
	je	7f
	incl	%edx
	jmp	6b
no_s5:
	movb	$0x23, %bl
	jmp	fail
7:	cmpb	$0x12, %fs:4(%edx)
	jne	no_s5
	movb	%fs:7(%edx), %al
	cmpb	$0x0a, %al
	jne	8f
	movb	%fs:8(%edx), %al
8:	cmpb	$7, %al
	ja	no_s5
	movb	%al, slp_typ
	/* the PM timer advances (bounded wait) */
	movw	pm_tmr, %dx
	inl	%dx, %eax
	andl	$0xffffff, %eax
	movl	%eax, tmr1
	movl	$1000000, %ecx
9:	inl	%dx, %eax
	andl	$0xffffff, %eax
	cmpl	tmr1, %eax
	jne	10f
	loopl	9b
	movb	$0x24, %bl
	jmp	fail
10:	movl	%eax, tmr2
	/* what was found (BIOS calls from here on) */
	movw	$m_found, %si
	call	print
	movl	rsdp, %eax
	call	hex
	movw	$m_oem, %si
	call	print
	movw	$oem, %si
	call	print
	movw	$m_fadt, %si
	call	print
	movl	fadt, %eax
	call	hex
	movw	$m_cnt, %si
	call	print
	movzwl	pm1a_cnt, %eax
	call	hex
	movw	$m_tmr, %si
	call	print
	movzwl	pm_tmr, %eax
	call	hex
	movw	$m_s5, %si
	call	print
	movzbl	slp_typ, %eax
	call	hex
	movw	$m_crlf, %si
	call	print
	movw	$m_ticks, %si
	call	print
	movl	tmr1, %eax
	call	hex
	movw	$m_arrow, %si
	call	print
	movl	tmr2, %eax
	call	hex
	movw	$m_crlf, %si
	call	print
	cmpb	$'R', 0x9000
	je	reset
	/* S5 */
	movw	$m_s5go, %si
	call	print
	movw	$trailer, %si
	call	print
	cli
	movzbw	slp_typ, %ax
	shlw	$10, %ax
	orw	$0x2001, %ax			/* SLP_EN | SCI_EN */
	movw	pm1a_cnt, %dx
	outw	%ax, %dx
	movb	$0x25, %bl
	jmp	fail
reset:
	movb	$'D', 0x9000			/* the next boot powers off */
	movw	$0x0301, %ax
	movw	$0x0009, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x9000, %bx
	int	$0x13
	jc	disk_fail
	movw	$m_reset, %si
	call	print
	movw	$trailer, %si
	call	print
	cli
	movb	reset_val, %al
	movw	reset_port, %dx
	outb	%al, %dx
	movb	$0x26, %bl
	jmp	fail

/* end through the test-exit port with the value in BL */
fail:
	pushw	%bx
	movw	$m_fail, %si
	call	print
	popw	%ax
	pushw	%ax
	movzbl	%al, %eax
	call	hex
	movw	$m_crlf, %si
	call	print
	movw	$trailer, %si
	call	print
	popw	%ax
	outb	%al, $0xf4
1:	hlt
	jmp	1b

print:
	lodsb
	testb	%al, %al
	jz	1f
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	jmp	print
1:	ret

/* EAX as 0x and eight hex digits */
hex:
	movl	%eax, %edx
	movb	$'0', %al
	call	putc
	movb	$'x', %al
	call	putc
	movw	$8, %cx
1:	roll	$4, %edx
	movb	%dl, %al
	andb	$0x0f, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '9' - 1), %al
2:	pushw	%cx
	pushl	%edx
	call	putc
	popl	%edx
	popw	%cx
	loop	1b
	ret
putc:
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	ret

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf92000000ffff		/* data: base 0, limit 4 GiB, writable */
gdtdesc:
	.word	gdtdesc - gdt - 1
	.long	gdt

slp_typ:	.byte	0
reset_val:	.byte	0
pm1a_cnt:	.word	0
pm_tmr:		.word	0
reset_port:	.word	0
rsdp:		.long	0
rsdt:		.long	0
fadt:		.long	0
tmr1:		.long	0
tmr2:		.long	0
oem:		.space	6
		.byte	0
/* lines shorter than SeaBIOS's 80-column screen */
m_found:	.asciz	"domus-acpi: RSDP "
m_oem:		.asciz	" OEM "
m_fadt:		.asciz	" FADT "
m_cnt:		.asciz	"\r\ndomus-acpi: PM1a_CNT "
m_tmr:		.asciz	" PM_TMR "
m_s5:		.asciz	" S5 "
m_ticks:	.asciz	"domus-acpi: timer "
m_arrow:	.asciz	" -> "
m_crlf:		.asciz	"\r\n"
m_s5go:		.asciz	"domus-acpi: S5 through PM1a_CNT\r\n"
m_reset:	.asciz	"domus-acpi: reset through the FADT's reset register\r\n"
m_fail:		.asciz	"domus-acpi: failed: "
/* SeaBIOS's serial console sends its screen lazily: a trailer pushes the
 * lines out before the domain ends */
trailer:	.asciz	"................................................................\r\n"
	.org	2048
