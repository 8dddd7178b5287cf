# Multiboot (v1) to PVH shim for the Bochs test host.
#
# GRUB loads vmlinux.mb with its "multiboot" command and enters here in
# 32-bit protected mode, paging off, with %eax = 0x2BADB002 and %ebx
# pointing at the multiboot information structure.  The shim converts that
# structure into a version-1 hvm_start_info (command line, the first module
# as the initramfs, the BIOS memory map) and jumps to the kernel's PVH entry
# point with %ebx pointing at it, which is all the kernel's PVH boot path
# needs.
#
# Layout: the shim is linked at SHIM_BASE (one page below the kernel's
# physical load address, see unpack.py) and starts with the multiboot header.
# unpack.py fills in the fields marked "patched".  All data lives inside the
# shim's own page, which the kernel leaves alone until it has copied what it
# needs.
#
# Built with: as --32 -o pvhshim.o pvhshim.s
#             ld -m elf_i386 -Ttext=0xfff000 -e entry --oformat binary

	.set MB_MAGIC,		0x1BADB002
	.set MB_BOOT_MAGIC,	0x2BADB002
	# page-aligned modules, memory information, address fields valid
	.set MB_FLAGS,		0x00010003
	.set HVM_MAGIC,		0x336ec578
	.set MAX_ENTRIES,	128

	# multiboot information structure offsets
	.set MBI_FLAGS,		0
	.set MBI_MEM_LOWER,	4
	.set MBI_MEM_UPPER,	8
	.set MBI_CMDLINE,	16
	.set MBI_MODS_COUNT,	20
	.set MBI_MODS_ADDR,	24
	.set MBI_MMAP_LENGTH,	44
	.set MBI_MMAP_ADDR,	48

	# hvm_start_info offsets
	.set SI_MAGIC,		0
	.set SI_VERSION,	4
	.set SI_NR_MODULES,	12
	.set SI_MODLIST,	16
	.set SI_CMDLINE,	24
	.set SI_MEMMAP,		40
	.set SI_MEMMAP_ENTRIES,	48
	.set SI_SIZE,		56

	.text
	.code32
	.globl	entry

mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	0			# checksum (patched)
	.long	mb_header		# header_addr
	.long	mb_header		# load_addr
	.long	0			# load_end_addr (patched)
	.long	0			# bss_end_addr (patched)
	.long	entry			# entry_addr
pvh_entry:
	.long	0			# kernel PVH entry, physical (patched)

entry:
	cli
	cld
	movl	$stack_top, %esp
	cmpl	$MB_BOOT_MAGIC, %eax
	jne	halt
	movl	MBI_FLAGS(%ebx), %ecx

	movl	$HVM_MAGIC, start_info + SI_MAGIC
	movl	$1, start_info + SI_VERSION

	# command line (GRUB passes the arguments only)
	testl	$0x4, %ecx
	jz	1f
	movl	MBI_CMDLINE(%ebx), %eax
	movl	%eax, start_info + SI_CMDLINE
1:
	# first module = initramfs
	testl	$0x8, %ecx
	jz	2f
	cmpl	$0, MBI_MODS_COUNT(%ebx)
	je	2f
	movl	MBI_MODS_ADDR(%ebx), %esi
	movl	0(%esi), %eax			# mod_start
	movl	4(%esi), %edx			# mod_end
	subl	%eax, %edx
	movl	%eax, modlist + 0		# paddr
	movl	%edx, modlist + 8		# size
	movl	$1, start_info + SI_NR_MODULES
	movl	$modlist, start_info + SI_MODLIST
2:
	# memory map: multiboot entries are {size, base, length, type} with
	# "size" not counting itself; PVH entries are {addr, size, type, 0}
	movl	$memmap, %edi
	xorl	%ebp, %ebp			# entries written
	testl	$0x40, %ecx
	jz	5f
	movl	MBI_MMAP_ADDR(%ebx), %esi
	movl	MBI_MMAP_LENGTH(%ebx), %edx
	addl	%esi, %edx			# end of the multiboot map
3:
	cmpl	%edx, %esi
	jae	4f
	cmpl	$MAX_ENTRIES, %ebp
	jae	4f
	movl	4(%esi), %eax
	movl	%eax, 0(%edi)
	movl	8(%esi), %eax
	movl	%eax, 4(%edi)
	movl	12(%esi), %eax
	movl	%eax, 8(%edi)
	movl	16(%esi), %eax
	movl	%eax, 12(%edi)
	movl	20(%esi), %eax
	movl	%eax, 16(%edi)
	movl	$0, 20(%edi)
	addl	$24, %edi
	incl	%ebp
	movl	0(%esi), %eax
	leal	4(%esi,%eax), %esi
	jmp	3b
4:
	testl	%ebp, %ebp
	jnz	6f
5:
	# no usable map: fall back to mem_lower / mem_upper (KiB)
	testl	$0x1, %ecx
	jz	6f
	movl	MBI_MEM_LOWER(%ebx), %eax
	shll	$10, %eax
	movl	$0, 0(%edi)
	movl	$0, 4(%edi)
	movl	%eax, 8(%edi)
	movl	$0, 12(%edi)
	movl	$1, 16(%edi)
	movl	$0, 20(%edi)
	movl	MBI_MEM_UPPER(%ebx), %eax
	shll	$10, %eax
	movl	$0x100000, 24(%edi)
	movl	$0, 28(%edi)
	movl	%eax, 32(%edi)
	movl	$0, 36(%edi)
	movl	$1, 40(%edi)
	movl	$0, 44(%edi)
	movl	$2, %ebp
6:
	movl	$memmap, start_info + SI_MEMMAP
	movl	%ebp, start_info + SI_MEMMAP_ENTRIES

	# enter the kernel: %ebx = hvm_start_info, flat segments from GRUB
	movl	$start_info, %ebx
	movl	pvh_entry, %eax
	testl	%eax, %eax
	jz	halt
	jmp	*%eax

halt:
	hlt
	jmp	halt

	# data (zero-filled in the image; the shim page is not part of the
	# kernel's memory, so nothing else writes it before the kernel copies
	# the start info)
	.balign	8
start_info:
	.skip	SI_SIZE
	.balign	8
modlist:
	.skip	32
memmap:
	.skip	24 * MAX_ENTRIES
	.balign	16
	.skip	256
stack_top:
