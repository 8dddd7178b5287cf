/* SPDX-License-Identifier: MIT */
/*
 * mbtest: a Multiboot 1 test kernel for HVM domains (tests/guests/mb/README.md).
 * Built twice: mbtest.elf (ELF32, placed by its program headers) and
 * mbtest-aout.bin (-DAOUT: a flat image placed by the header's address
 * fields).  It prints on COM1, checks the machine state and the
 * multiboot information against its command line, and ends through the
 * test-exit port 0xf4:
 *   all checks pass:       writes 0x10 -> exit status 33
 *   check N fails:         writes 0x40 + N -> exit status 129 + 2N
 * Command line words: "mem=N" (the domain's memory= in MiB, checked
 * against mem_upper and the memory map), "hlt" (halt with interrupts
 * off instead of exiting), "triple" (triple fault instead of exiting),
 * "count=N" (print "mbtest: count K" for K = 1..N with a busy delay
 * between, then exit as usual; check 11 fails if the count in memory and
 * in %edi disagree: for save/restore), "dirty" (with count=N: instead of
 * the busy delay, rewrite the 8 MiB at 4 MiB each count, dword i = K + i,
 * after summing the previous pass and printing "mbtest: memsum S"; check
 * 12 fails if the sum is not the one that pass wrote: for live
 * migration; needs mem >= 16).
 */
#define MB_MAGIC	0x1badb002
#ifdef AOUT
#define MB_FLAGS	0x00010002	/* meminfo, address fields */
#else
#define MB_FLAGS	0x00000002	/* meminfo */
#endif
#define COM1		0x3f8
#define EXIT_PORT	0xf4
#define OK_VALUE	0x10
#define FAIL_BASE	0x40
#define COUNT_DELAY	0x1000000	/* busy loop between two counts */
#define REGION		0x400000	/* " dirty": 8 MiB at 4 MiB */
#define REGION_DWORDS	0x200000
#define REGION_TRI	0xfff00000	/* n(n-1)/2 mod 2^32, n = REGION_DWORDS */

	.code32
	.text
	.globl _start
image_start:
_start:
	jmp	entry

	.balign 4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
#ifdef AOUT
	.long	mb_header		/* header_addr */
	.long	image_start		/* load_addr */
	.long	image_end		/* load_end_addr */
	.long	bss_end			/* bss_end_addr */
	.long	_start			/* entry_addr */
#endif

entry:
	movl	$stack_top, %esp
	movl	%eax, saved_eax
	movl	%ebx, saved_ebx
	/* the bss must be zero (the loader zeroes it) */
	cmpl	$0, bss_probe
	jne	fail_bss

	movl	$msg_hello, %esi
	call	puts

	/* check 1: EAX holds the boot magic */
	movl	$1, %edx
	cmpl	$0x2badb002, saved_eax
	jne	fail
	/* check 2: flags: mem (0), cmdline (2), mmap (6), loader name (9) */
	movl	$2, %edx
	movl	saved_ebx, %ebx
	movl	(%ebx), %eax
	andl	$0x245, %eax
	cmpl	$0x245, %eax
	jne	fail
	/* check 3: mem_lower is 640 KiB */
	movl	$3, %edx
	cmpl	$640, 4(%ebx)
	jne	fail
	/* check 4: the boot loader's name is "domus" */
	movl	$4, %edx
	movl	64(%ebx), %esi
	movl	$str_domus, %edi
	call	streq
	jne	fail

	/* print the command line */
	movl	$msg_cmdline, %esi
	call	puts
	movl	16(%ebx), %esi
	call	puts
	movl	$msg_nl, %esi
	call	puts

	/* check 5: the command line starts with "mbtest" */
	movl	$5, %edx
	movl	16(%ebx), %esi
	movl	$str_mbtest, %edi
	call	prefix
	jne	fail
	/* check 6: "mem=N" is there; mem_upper = (N - 1) * 1024 */
	movl	$6, %edx
	movl	16(%ebx), %esi
	movl	$str_mem, %edi
	call	find
	testl	%esi, %esi
	jz	fail
	call	atoi			/* eax = N */
	movl	%eax, mem_mib
	decl	%eax
	shll	$10, %eax
	cmpl	%eax, 8(%ebx)
	jne	fail
	/* check 7: the memory map's last entry is RAM ending at N MiB */
	movl	$7, %edx
	movl	48(%ebx), %esi		/* mmap_addr */
	movl	44(%ebx), %ecx		/* mmap_length */
	testl	%ecx, %ecx
	jz	fail
	addl	%esi, %ecx		/* end */
	xorl	%edi, %edi		/* the last entry */
1:	movl	%esi, %edi
	addl	(%esi), %esi
	addl	$4, %esi
	cmpl	%ecx, %esi
	jb	1b
	cmpl	$1, 20(%edi)		/* type RAM */
	jne	fail
	movl	4(%edi), %eax		/* base (low) + length (low) */
	addl	12(%edi), %eax
	movl	mem_mib, %ecx
	shll	$20, %ecx
	cmpl	%ecx, %eax
	jne	fail
	/* check 8: an unclaimed port reads all-ones; a write there is harmless */
	movl	$8, %edx
	movw	$0x2f0, %dx
	inb	%dx, %al
	movl	$8, %edx
	cmpb	$0xff, %al
	jne	fail
	movw	$0x80, %dx
	outb	%al, %dx
	/* check 9: the UART's scratch register keeps what is written */
	movw	$COM1 + 7, %dx
	movb	$0x5a, %al
	outb	%al, %dx
	inb	%dx, %al
	movl	$9, %edx
	cmpb	$0x5a, %al
	jne	fail

	/* the end the command line asks for */
	movl	saved_ebx, %ebx
	movl	16(%ebx), %esi
	movl	$str_hlt, %edi
	call	find
	testl	%esi, %esi
	jnz	do_hlt
	movl	16(%ebx), %esi
	movl	$str_triple, %edi
	call	find
	testl	%esi, %esi
	jnz	do_triple
	movl	16(%ebx), %esi
	movl	$str_irq, %edi
	call	find
	testl	%esi, %esi
	jnz	do_irq

	/* " count=N": print "mbtest: count K" for K = 1..N, a busy delay
	 * between them (save/restore tests: the count lives in memory and
	 * in %edi, and must go on where it stopped) */
	movl	16(%ebx), %esi
	movl	$str_count, %edi
	call	find
	testl	%esi, %esi
	jz	2f
	call	atoi
	movl	%eax, count_max
	movl	16(%ebx), %esi
	movl	$str_dirty, %edi
	call	find
	movl	%esi, dirty_on
	xorl	%edi, %edi
1:	incl	%edi
	movl	%edi, count_cur
	movl	$msg_count, %esi
	call	puts
	movl	%edi, %eax
	call	putdec
	movl	$msg_nl, %esi
	call	puts
	cmpl	$0, dirty_on
	je	4f
	call	memwork
	jmp	5f
4:	movl	$COUNT_DELAY, %ecx
3:	decl	%ecx
	jnz	3b
5:
	cmpl	count_cur, %edi		/* memory and register agree */
	jne	fail_count
	cmpl	count_max, %edi
	jb	1b
2:
	movl	$msg_ok, %esi
	call	puts
	movl	$OK_VALUE, %eax
	jmp	do_exit

fail_count:
	movl	$11, %edx
	jmp	fail

fail_mem:
	movl	$12, %edx
	jmp	fail

/* memwork (" dirty"), count K in %edi: check the pass of K - 1, write pass K */
memwork:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%esi
	cmpl	$1, %edi
	je	2f
	movl	$REGION, %esi
	xorl	%eax, %eax
	movl	$REGION_DWORDS, %ecx
1:	addl	(%esi), %eax
	addl	$4, %esi
	decl	%ecx
	jnz	1b
	leal	-1(%edi), %edx
	imull	$REGION_DWORDS, %edx
	addl	$REGION_TRI, %edx
	cmpl	%eax, %edx
	jne	fail_mem
	movl	$msg_memsum, %esi
	call	puts
	call	putdec
	movl	$msg_nl, %esi
	call	puts
2:	movl	$REGION, %esi
	movl	%edi, %eax
	movl	$REGION_DWORDS, %ecx
3:	movl	%eax, (%esi)
	incl	%eax
	addl	$4, %esi
	decl	%ecx
	jnz	3b
	popl	%esi
	popl	%edx
	popl	%ecx
	popl	%eax
	ret

fail_bss:
	movl	$10, %edx
fail:
	movl	$msg_fail, %esi
	call	puts
	movl	%edx, %eax
	call	putdec
	movl	$msg_nl, %esi
	call	puts
	leal	FAIL_BASE(%edx), %eax
do_exit:
	movw	$EXIT_PORT, %dx
	outb	%al, %dx
	/* not reached: the device ends the domain */
	jmp	do_hlt

do_hlt:
	movl	$msg_hlt, %esi
	call	puts
	cli
1:	hlt
	jmp	1b

do_triple:
	movl	$msg_triple, %esi
	call	puts
	lidt	null_idt
	int3
	jmp	do_hlt

/*
 * " irq": the 8259 pair programmed as SeaBIOS does (master at vector 8,
 * an exception vector, slave at 0x70; only IRQ 0 unmasked), the 8254's
 * counter 0 at 100 Hz (mode 2), then IRQ_HLTS times "sti; hlt; cli":
 * each HLT must end with one more tick counted by the IRQ 0 handler,
 * which EOIs (else the next tick never comes).  Prints the ticks (a tick
 * may also land between IRET and CLI) and writes the HLTs woken by a
 * tick to the test-exit port (IRQ_HLTS = 10: exit status 21).  Check 13: an HLT
 * ended without a tick; check 14: an unexpected vector (an exception).
 */
#define IRQ_HLTS	10
#define PIT_100HZ	11932
do_irq:
	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	/* gates 0-15: unexpected, but 8 (IRQ 0) and 15 (spurious IRQ 7) */
	xorl	%ecx, %ecx
2:	movl	$irq_bad, %eax
	cmpl	$8, %ecx
	jne	3f
	movl	$irq_tick, %eax
3:	cmpl	$15, %ecx
	jne	4f
	movl	$irq_spurious, %eax
4:	movl	%eax, %edx
	andl	$0xffff, %eax
	orl	$0x00080000, %eax	/* selector 0x08 */
	movl	%eax, idt(,%ecx,8)
	andl	$0xffff0000, %edx
	orl	$0x8e00, %edx		/* present, DPL 0, 32-bit interrupt gate */
	movl	%edx, idt+4(,%ecx,8)
	incl	%ecx
	cmpl	$16, %ecx
	jb	2b
	lidt	idt_desc
	/* ICW1-4 to both chips, then the masks */
	movb	$0x11, %al
	outb	%al, $0x20
	outb	%al, $0xa0
	movb	$0x08, %al
	outb	%al, $0x21
	movb	$0x70, %al
	outb	%al, $0xa1
	movb	$0x04, %al
	outb	%al, $0x21
	movb	$0x02, %al
	outb	%al, $0xa1
	movb	$0x01, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movb	$0xfe, %al
	outb	%al, $0x21
	movb	$0xff, %al
	outb	%al, $0xa1
	/* counter 0, LSB then MSB, mode 2 */
	movb	$0x34, %al
	outb	%al, $0x43
	movw	$PIT_100HZ, %ax
	outb	%al, $0x40
	movb	%ah, %al
	outb	%al, $0x40
	movl	$IRQ_HLTS, %edi
5:	movl	ticks, %ecx
	sti
	hlt
	cli
	cmpl	ticks, %ecx
	je	fail_irq_wake
	incl	wakes
	decl	%edi
	jnz	5b
	movb	$0xff, %al		/* quiet again */
	outb	%al, $0x21
	movl	$msg_ticks, %esi
	call	puts
	movl	ticks, %eax
	call	putdec
	movl	$msg_nl, %esi
	call	puts
	movl	wakes, %eax		/* IRQ_HLTS: each HLT woken by a tick */
	jmp	do_exit

fail_irq_wake:
	movl	$13, %edx
	jmp	fail

irq_tick:
	pushl	%eax
	incl	ticks
	movb	$0x20, %al		/* non-specific EOI */
	outb	%al, $0x20
	popl	%eax
	iret

irq_spurious:
	iret

irq_bad:
	movl	$14, %edx
	jmp	fail

/* putc: %al to COM1, once the transmitter is empty */
putc:
	pushl	%edx
	pushl	%eax
	movw	$COM1 + 5, %dx
1:	inb	%dx, %al
	testb	$0x20, %al
	jz	1b
	popl	%eax
	movw	$COM1, %dx
	outb	%al, %dx
	popl	%edx
	ret

/* putdec: %eax in decimal */
putdec:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	xorl	%ecx, %ecx
1:	xorl	%edx, %edx
	pushl	%ebx
	movl	$10, %ebx
	divl	%ebx
	popl	%ebx
	pushl	%edx
	incl	%ecx
	testl	%eax, %eax
	jnz	1b
2:	popl	%eax
	addl	$'0', %eax
	call	putc
	loop	2b
	popl	%edx
	popl	%ecx
	popl	%eax
	ret

/* puts: the NUL-terminated string at %esi */
puts:
	pushl	%esi
	pushl	%eax
1:	movb	(%esi), %al
	testb	%al, %al
	jz	2f
	call	putc
	incl	%esi
	jmp	1b
2:	popl	%eax
	popl	%esi
	ret

/* prefix: ZF set when the string at %esi starts with the one at %edi */
prefix:
	pushl	%esi
	pushl	%edi
1:	movb	(%edi), %al
	testb	%al, %al
	jz	2f
	cmpb	(%esi), %al
	jne	3f
	incl	%esi
	incl	%edi
	jmp	1b
2:	xorl	%eax, %eax		/* ZF = 1 */
3:	popl	%edi
	popl	%esi
	ret

/* streq: ZF set when the strings at %esi and %edi are equal */
streq:
	pushl	%esi
	pushl	%edi
1:	movb	(%edi), %al
	cmpb	(%esi), %al
	jne	2f
	testb	%al, %al
	jz	2f
	incl	%esi
	incl	%edi
	jmp	1b
2:	popl	%edi
	popl	%esi
	ret

/* find: %esi = just after the first occurrence of the string at %edi in
 * the one at %esi, or 0 */
find:
1:	cmpb	$0, (%esi)
	je	3f
	call	prefix
	je	2f
	incl	%esi
	jmp	1b
2:	movb	(%edi), %al		/* skip the match */
	testb	%al, %al
	jz	4f
	incl	%esi
	incl	%edi
	jmp	2b
3:	xorl	%esi, %esi
4:	ret

/* atoi: %eax = the decimal number at %esi */
atoi:
	pushl	%ecx
	xorl	%eax, %eax
1:	movzbl	(%esi), %ecx
	subl	$'0', %ecx
	cmpl	$9, %ecx
	ja	2f
	imull	$10, %eax
	addl	%ecx, %eax
	incl	%esi
	jmp	1b
2:	popl	%ecx
	ret

	.balign 8
null_idt:
	.word	0
	.long	0
	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, flat, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, flat */
gdt_desc:
	.word	3 * 8 - 1
	.long	gdt
	.balign 8
idt_desc:
	.word	16 * 8 - 1
	.long	idt
msg_hello:	.asciz	"mbtest: hello from a multiboot kernel\n"
msg_cmdline:	.asciz	"mbtest: cmdline: "
msg_nl:		.asciz	"\n"
msg_ok:		.asciz	"mbtest: all checks passed\n"
msg_fail:	.asciz	"mbtest: FAIL check "
msg_hlt:	.asciz	"mbtest: halting with interrupts off\n"
msg_triple:	.asciz	"mbtest: triple fault\n"
str_domus:	.asciz	"domus"
str_mbtest:	.asciz	"mbtest"
str_mem:	.asciz	"mem="
str_hlt:	.asciz	" hlt"
str_triple:	.asciz	" triple"
str_count:	.asciz	" count="
msg_count:	.asciz	"mbtest: count "
msg_memsum:	.asciz	"mbtest: memsum "
str_dirty:	.asciz	" dirty"
str_irq:	.asciz	" irq"
msg_ticks:	.asciz	"mbtest: ticks "
	.balign 4
saved_eax:	.long	0
saved_ebx:	.long	0
mem_mib:	.long	0
count_cur:	.long	0
count_max:	.long	0
dirty_on:	.long	0
ticks:		.long	0
wakes:		.long	0
image_end:

	.bss
	.balign 16
bss_probe:	.space	4
	.balign 8
idt:		.space	16 * 8
	.space	4092
stack_top:
bss_end:
