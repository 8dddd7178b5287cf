#!/bin/sh
# Build the raw disk images of tests/suites/77-hvm-bios-amd and
# 79-hvm-cd-amd: a boot sector as the first sector, 1 MiB in all.
# Usage: mkmbr.sh OUTDIR (writes OUTDIR/disk.img from mbr.S, which prints
# and exits, and OUTDIR/wdisk.img from mbrw.S, which writes its second
# sector through int 13h), OUTDIR/uart.img from uart.S (it echoes a byte
# received polled and one received by IRQ 4), OUTDIR/acpi.img from acpi.S (2 KiB: it finds
# the ACPI tables and powers off through S5) and OUTDIR/acpi-reset.img (the
# same with 'R' in its flag sector, 9: it resets through the FADT's reset
# register first).
set -e
here=$(dirname "$0")
out=$1
[ -n "$out" ] || { echo "usage: mkmbr.sh OUTDIR" >&2; exit 2; }
mkdir -p "$out"
for m in mbr:disk mbrw:wdisk uart:uart; do
	src=${m%%:*} img=${m#*:}
	as --32 -I "$here" -o "$out/$src.o" "$here/$src.S"
	ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$out/$src.bin" "$out/$src.o"
	[ "$(stat -c %s "$out/$src.bin")" = 512 ] || { echo "mkmbr.sh: $src.bin is not 512 bytes" >&2; exit 1; }
	cp "$out/$src.bin" "$out/$img.img.tmp"
	truncate -s 1M "$out/$img.img.tmp"
	mv "$out/$img.img.tmp" "$out/$img.img"
done
as --32 -I "$here" -o "$out/acpi.o" "$here/acpi.S"
ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$out/acpi.bin" "$out/acpi.o"
[ "$(stat -c %s "$out/acpi.bin")" = 2048 ] || { echo "mkmbr.sh: acpi.bin is not 2048 bytes" >&2; exit 1; }
for img in acpi acpi-reset; do
	cp "$out/acpi.bin" "$out/$img.img.tmp"
	truncate -s 1M "$out/$img.img.tmp"
	[ $img = acpi ] || printf R | dd of="$out/$img.img.tmp" bs=512 seek=8 conv=notrunc status=none
	mv "$out/$img.img.tmp" "$out/$img.img"
done
