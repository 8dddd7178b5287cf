#!/bin/sh
# Build the raw disk image of tests/suites/77-hvm-bios-amd: mbr.S as its
# first sector, 1 MiB in all.  Usage: mkmbr.sh OUTDIR (writes OUTDIR/disk.img).
set -e
here=$(dirname "$0")
out=$1
[ -n "$out" ] || { echo "usage: mkmbr.sh OUTDIR" >&2; exit 2; }
mkdir -p "$out"
as --32 -o "$out/mbr.o" "$here/mbr.S"
ld -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o "$out/mbr.bin" "$out/mbr.o"
[ "$(stat -c %s "$out/mbr.bin")" = 512 ] || { echo "mkmbr.sh: mbr.bin is not 512 bytes" >&2; exit 1; }
cp "$out/mbr.bin" "$out/disk.img.tmp"
truncate -s 1M "$out/disk.img.tmp"
mv "$out/disk.img.tmp" "$out/disk.img"
