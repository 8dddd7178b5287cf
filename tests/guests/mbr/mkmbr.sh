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
# Suites running side by side (make check's lanes) build the same images:
# each run assembles in a directory of its own and renames the finished
# files into OUTDIR, so a reader sees a whole image, old or new, never one
# another run is still writing (a shared temporary file once left an
# all-zero disk.img behind).
work=$(mktemp -d "$out/.mkmbr.XXXXXX")
trap 'rm -rf "$work"' EXIT
for m in mbr:disk mbrw:wdisk uart:uart; do
	src=${m%%:*} img=${m#*:}
	as --32 -I "$here" -o "$work/$src.o" "$here/$src.S"
	ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$work/$src.bin" "$work/$src.o"
	[ "$(stat -c %s "$work/$src.bin")" = 512 ] || { echo "mkmbr.sh: $src.bin is not 512 bytes" >&2; exit 1; }
	cp "$work/$src.bin" "$work/$img.img"
	truncate -s 1M "$work/$img.img"
done
as --32 -I "$here" -o "$work/acpi.o" "$here/acpi.S"
ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$work/acpi.bin" "$work/acpi.o"
[ "$(stat -c %s "$work/acpi.bin")" = 2048 ] || { echo "mkmbr.sh: acpi.bin is not 2048 bytes" >&2; exit 1; }
for img in acpi acpi-reset; do
	cp "$work/acpi.bin" "$work/$img.img"
	truncate -s 1M "$work/$img.img"
	[ $img = acpi ] || printf R | dd of="$work/$img.img" bs=512 seek=8 conv=notrunc status=none
done
for f in "$work"/*.bin "$work"/*.img; do
	mv -f "$f" "$out/"
done
