#!/bin/bash
# CD-ROM boot and writable IDE disks of HVM domains inside a test host, on
# either backend: AMD-V (QEMU, run by tests/suites/79-hvm-cd-amd through
# scripts/testhost) and VT-x (Bochs, tests/suites/57-hvm-intel, from a
# staged copy of the tree as tests/host/hvm.sh says; busybox sh there).
# SeaBIOS boots the ISO of tests/guests/cdiso (GRUB, its menu on COM1,
# whose timeout IRQ 0 counts down) from the IDE secondary master; boot = order picks between it and a disk
# on the primary master whose boot sector exits with code 33; a missing
# ISO is one line; the boot sector of tests/guests/mbr/mbrw.S writes its
# second sector through int 13h: kept on a ,w disk, refused on a ,r disk.
# One PASS/FAIL line each, named hvm-cd-amd/ or hvm-cd-intel/ (TESTHOST_ARCH).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
hvm_host hvm-cd
cfg=tests/host/hvm-bios.cfg
log=$out/log/bioshvm.log
conlog=$out/log/bioshvm-console.log
iso=$(pwd)/build/guests/cdiso/boot.iso
disk=$(pwd)/build/guests/mbr/disk.img
title='domus test ISO: boot menu reached'

# start NAME ARGS...: a fresh log, `domus create $cfg ARGS` returns 0 silently
start() {
	local n=$1 err rc
	shift
	rm -f "$log" "$conlog"
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg "$@" 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass "$n"; else fail "$n" "rc $rc: $err"; fi
}
console() { tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 300; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# 1. boot = "dc" with a disk and the ISO: the CD first, GRUB's menu on the console
t0=$(date +%s)
start cd-create "disk=['file:$disk,hda,r','file:$iso,hdc:cdrom,r']" 'boot="dc"'
if wait_text "$conlog" "$title" 400; then pass cd-grub-menu; else fail cd-grub-menu "$(console)"; fi
blocks=$(( $(stat -c %s "$iso") / 2048 ))
if grep -q "disk hdc: $iso (IDE secondary master, CD-ROM, $blocks 2048-byte blocks)" "$log" &&
   grep -q 'bios: DVD/CD \[ata1-0: domus ATAPI CD-ROM ATAPI-6 DVD/CD\]' "$log" &&
   grep -q 'bios: Booting from DVD/CD\.\.\.' "$log"; then
	pass cd-ide-log
else
	fail cd-ide-log "$(grep 'disk hd\|ata1\|Booting\|ATAPI' "$log" | tr '\n' '|')"
fi
if grep -q 'shut down: poweroff (test-exit device: value 16' "$log"; then fail cd-not-disk "the disk booted"; else pass cd-not-disk; fi
# the menu's 3 s timeout runs out by itself (GRUB reads the BIOS tick count
# that IRQ 0 advances: the PIT, the PIC, the injection) and boots its entry
if wait_text "$conlog" 'domus-iso: entry chosen' 300; then pass cd-grub-timeout; else fail cd-grub-timeout "$(console)"; fi
grep -E 'PIT|IRQ|interrupt' "$log" | sed 's/^/# /'
# the packet commands it sent that the drive does not have (logged once each)
grep 'ATAPI command' "$log" | sed 's/^/# /'
$d destroy bioshvm >/dev/null 2>&1	# GRUB's halt may have ended it already
gone cd-gone
io_note "CD boot to GRUB's entry" "$log" $(($(date +%s) - t0))
cp "$log" "$out/cd-run.log"; cp "$conlog" "$out/cd-run-console.log"	# kept for a look

# 2. boot = "c", the CD given in the key=value form: the disk boots (exit 33)
start disk-first-create "disk=['$disk,hda,r','vdev=hdc,devtype=cdrom,access=ro,target=$iso']" 'boot="c"'
if wait_text "$log" 'shut down: poweroff (test-exit device: value 16, exit code 33)' 240; then
	pass disk-first-boots-disk
else
	fail disk-first-boots-disk "$(grep 'bios: \|shut down' "$log" | tail -4 | tr '\n' '|')"
fi
if grep -q "disk hdc: $iso (IDE secondary master, CD-ROM" "$log"; then pass keyvalue-cdrom; else fail keyvalue-cdrom "$(grep 'disk hd' "$log" | tr '\n' '|')"; fi
gone disk-first-gone

# 3. an ISO that is not there: one line, exit 1, nothing left
err=$($d create $cfg "disk=['$out/nosuch.iso,hdc:cdrom,r']" 'boot="d"' 2>&1 </dev/null); rc=$?
if [ $rc = 1 ] && [ "$err" = "domus create: disk hdc: $out/nosuch.iso not found: give the path of an existing ISO image" ]; then
	pass iso-missing
else
	fail iso-missing "rc $rc: $err"
fi
gone iso-missing-gone

# 4. a read-write disk: the boot sector writes its second sector (exit 35)
w=$out/w.img
cp build/guests/mbr/wdisk.img "$w"
t0=$(date +%s)
start write-create "disk=['file:$w,hda,w']" 'boot="c"'
if wait_text "$log" 'shut down: poweroff (test-exit device: value 17, exit code 35)' 240; then
	pass write-ran
else
	fail write-ran "$(grep 'bios: \|shut down' "$log" | tail -4 | tr '\n' '|'); $(console)"
fi
grep -qa 'domus-mbrw: wrote sector 1 and read it back' "$conlog" && pass write-marker || fail write-marker "$(console)"
gone write-gone
io_note "disk boot, sector written and read back" "$log" $(($(date +%s) - t0))
exp=$out/w-expected.img
cp build/guests/mbr/wdisk.img "$exp"
dd if=build/guests/mbr/mbrw.bin of="$exp" bs=512 seek=1 conv=notrunc status=none
if cmp -s "$w" "$exp"; then
	pass write-image
else
	fail write-image "sector 1 is not the boot sector, or more changed: $(cmp -l "$w" "$exp" | head -3 | tr '\n' '|')"
fi
grep -q "disk hda: $w (IDE primary master, read-write, 2048 512-byte blocks)" "$log" && pass write-log || fail write-log "$(grep 'disk hd' "$log")"

# 5. a read-only disk: the write is refused (exit 37), the image unchanged
r=$out/r.img
cp build/guests/mbr/wdisk.img "$r"
start readonly-create "disk=['file:$r,hda,r']" 'boot="c"'
if wait_text "$log" 'shut down: poweroff (test-exit device: value 18, exit code 37)' 240; then
	pass readonly-refused
else
	fail readonly-refused "$(grep 'bios: \|shut down' "$log" | tail -4 | tr '\n' '|'); $(console)"
fi
grep -qa 'domus-mbrw: the BIOS refused the write' "$conlog" && pass readonly-marker || fail readonly-marker "$(console)"
gone readonly-gone
if cmp -s "$r" build/guests/mbr/wdisk.img; then pass readonly-unchanged; else fail readonly-unchanged "$(cmp -l "$r" build/guests/mbr/wdisk.img | head -3 | tr '\n' '|')"; fi

stats_zero frees-all
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
