#!/bin/sh
# Build the raw disk images of tests/suites/77-hvm-bios-amd and
# 79-hvm-cd-amd: a boot sector as the first sector, 1 MiB in all.
# Usage: mkmbr.sh OUTDIR (writes OUTDIR/disk.img from mbr.S, which prints
# and exits, and OUTDIR/wdisk.img from mbrw.S, which writes its second
# sector through int 13h).
set -e
here=$(dirname "$0")
out=$1
[ -n "$out" ] || { echo "usage: mkmbr.sh OUTDIR" >&2; exit 2; }
mkdir -p "$out"
for m in mbr:disk mbrw:wdisk; do
	src=${m%%:*} img=${m#*:}
	as --32 -o "$out/$src.o" "$here/$src.S"
	ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$out/$src.bin" "$out/$src.o"
	[ "$(stat -c %s "$out/$src.bin")" = 512 ] || { echo "mkmbr.sh: $src.bin is not 512 bytes" >&2; exit 1; }
	cp "$out/$src.bin" "$out/$img.img.tmp"
	truncate -s 1M "$out/$img.img.tmp"
	mv "$out/$img.img.tmp" "$out/$img.img"
done
