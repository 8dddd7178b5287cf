/*
 * A boot sector for tests/suites/77-hvm-bios-amd: SeaBIOS loads it from
 * the IDE disk to 0x7c00 and jumps to it in real mode.  It prints a
 * marker through the BIOS (int 10h teletype: SeaBIOS's serial console
 * puts it on COM1), then ends the domain through the test-exit port 0xf4
 * (value 0x10: exit code 33).
 */
	.include	"boot.inc"
	boot_start
	movw	$msg, %si
1:	lodsb
	testb	%al, %al
	jz	2f
	movb	$0x0e, %ah
	movw	$0x0007, %bx
	int	$0x10
	jmp	1b
2:	movb	$0x10, %al
	outb	%al, $0xf4
3:	hlt
	jmp	3b
msg:	.asciz	"domus-mbr: booted from the IDE disk\r\n"
	.org	510
	.byte	0x55, 0xaa
