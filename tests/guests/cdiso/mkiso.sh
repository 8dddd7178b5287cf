#!/bin/sh
# Build the bootable ISO of tests/suites/79-hvm-cd-amd with packaged tools
# (grub-mkrescue from grub-common, GRUB's BIOS modules from grub-pc-bin,
# xorriso; scripts/deps.sh): GRUB with grub.cfg, El Torito no-emulation
# boot.  Cached: rebuilt only when grub.cfg or this script is newer.
# Usage: mkiso.sh OUTDIR (writes OUTDIR/boot.iso).
set -e
here=$(dirname "$0")
out=$1
[ -n "$out" ] || { echo "usage: mkiso.sh OUTDIR" >&2; exit 2; }
iso=$out/boot.iso
if [ -f "$iso" ] && [ "$iso" -nt "$here/grub.cfg" ] && [ "$iso" -nt "$0" ]; then
	exit 0
fi
for t in grub-mkrescue xorriso; do
	command -v $t >/dev/null || { echo "mkiso.sh: $t missing: run scripts/deps.sh (grub-common, grub-pc-bin, xorriso)" >&2; exit 1; }
done
[ -d /usr/lib/grub/i386-pc ] || { echo "mkiso.sh: /usr/lib/grub/i386-pc missing: apt install grub-pc-bin" >&2; exit 1; }
mkdir -p "$out"
tree=$(mktemp -d "$out/iso.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/boot/grub"
cp "$here/grub.cfg" "$tree/boot/grub/grub.cfg"
grub-mkrescue -d /usr/lib/grub/i386-pc --locales= --fonts= --themes= \
	-o "$iso.tmp" "$tree" >"$out/mkiso.log" 2>&1 ||
	{ echo "mkiso.sh: grub-mkrescue failed: $(tail -1 "$out/mkiso.log")" >&2; exit 1; }
mv "$iso.tmp" "$iso"
