/*
 * A boot sector that writes (tests/suites/79-hvm-cd-amd): SeaBIOS loads
 * it from the IDE disk to 0x7c00; it writes itself to the disk's second
 * sector through int 13h (AH=03h, CHS 0/0/2, the boot drive in DL), reads
 * that sector back to 0x8000 (AH=02h) and compares it.  It prints one
 * marker through int 10h (SeaBIOS's serial console) and ends the domain
 * through the test-exit port 0xf4: value 0x11 (exit code 35) when the
 * write and the read-back worked, 0x12 (exit code 37) when the BIOS
 * refused the write, 0x13 (exit code 39) when the read-back differed or
 * failed.
 */
	.include	"boot.inc"
	.set	drive, 0x600
	boot_start 1
	movb	%dl, drive		/* outside this sector: it is written as loaded */
	movw	$0x0301, %ax		/* write 1 sector */
	movw	$0x0002, %cx		/* cylinder 0, sector 2 */
	xorb	%dh, %dh		/* head 0 */
	movw	$0x7c00, %bx		/* this sector */
	int	$0x13
	jc	refused
	movw	$0x0201, %ax		/* read it back */
	movw	$0x0002, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$0x8000, %bx
	int	$0x13
	jc	differ
	movw	$0x7c00, %si
	movw	$0x8000, %di
	movw	$256, %cx
	cld
	repe cmpsw
	jne	differ
	movw	$msg_ok, %si
	movb	$0x11, %bl
	jmp	out
refused:
	movw	$msg_refused, %si
	movb	$0x12, %bl
	jmp	out
differ:
	movw	$msg_differ, %si
	movb	$0x13, %bl
out:
	pushw	%bx
	call	print
	/* SeaBIOS's serial console sends its screen lazily: a trailer
	 * pushes the marker out before the domain ends */
	movw	$trailer, %si
	call	print
	popw	%ax			/* the exit value, pushed in BL */
	outb	%al, $0xf4
3:	hlt
	jmp	3b
print:
	lodsb
	testb	%al, %al
	jz	1f
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	jmp	print
1:	ret
trailer:	.asciz	"................................................................\r\n"
msg_ok:		.asciz	"domus-mbrw: wrote sector 1 and read it back\r\n"
msg_refused:	.asciz	"domus-mbrw: the BIOS refused the write\r\n"
msg_differ:	.asciz	"domus-mbrw: the read-back differs\r\n"
	.org	510
	.byte	0x55, 0xaa
