#!/bin/bash
# Issue 12's launcher death at a guest's power-off (run through
# scripts/testhost): 68's first guest shape (six disks: tap:aio/tap2/
# key=value images, loop devices ro and rw, an LVM volume) booted N times
# (PVBLK_LOOPS, default 12); each boot does I/O on every writable disk,
# swaps on xvda1, then `poweroff -f` -- every other time with a writer
# still running -- and the launcher must end with its disks' counters and
# the "shut down" line in its log. One PASS/FAIL line per boot.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
top=$(pwd)
n=${PVBLK_LOOPS:-12}
failed=0
out=$top/build/pvblkoff
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out"; mkdir -p "$out/log"
img=$(mktemp -d /tmp/pvoff.XXXXXX)
fifo=$img/in
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
log=$out/log/pvoff.log
send() { printf 'echo; %s\n' "$*" >&3; }
run() { local l; l=$(wc -l <"$con"); send "$1; echo $2-do''ne"; wait_log "$con" "^$2-done" "${3:-120}" "$l"; }

insmod ./domus.ko || { echo "FAIL: pvblk-poweroff/insmod"; exit 1; }
truncate -s 64M "$img/a.img"; truncate -s 32M "$img/s.img"; truncate -s 16M "$img/b.img"
truncate -s 4M "$img/c.img"; truncate -s 8M "$img/d.img"; truncate -s 64M "$img/pv.img"
modprobe loop; modprobe dm_mod
loop=$(losetup -f --show "$img/c.img"); loop2=$(losetup -f --show "$img/d.img"); pvloop=$(losetup -f --show "$img/pv.img")
lvm_private "$img/lvm" "$pvloop"
pvcreate -q "$pvloop" && vgcreate -q -s 4M domusvg "$pvloop" && lvcreate -q -y -Zn -L 16M -n lv0 domusvg && vgmknodes domusvg
cat >"$img/g.cfg" <<EOF
name = "pvoff"
type = "pvh"
memory = 256
vcpus = ${PVBLK_VCPUS:-1}
kernel = "$kernel"
ramdisk = "$top/build/pvblk/guest.cpio"
extra = "console=hvc0 loglevel=4 rdinit=/init"
disk = [ 'tap:aio:$img/a.img,xvda2,w', 'tap2:aio:$img/s.img,xvda1,w',
         'vdev=xvdb, access=rw, format=raw, target=$img/b.img',
         'phy:$loop,xvdc,r', 'phy:$loop2,xvdd,w', 'phy:/dev/domusvg/lv0,xvde,w' ]
EOF
mkfifo "$fifo"; exec 3<>"$fifo"
[ -n "${PVBLK_HOG:-}" ] && { ( while :; do :; done ) & hog=$!; }
for i in $(seq "$n"); do
	con=$out/console$i.out
	t0=$(date +%s)
	$d create -c "$img/g.cfg" <"$fifo" >"$con" 2>&1 &
	if ! wait_log "$con" 'DOMUS-GUEST-READY' 240; then
		echo "FAIL: pvblk-poweroff/boot$i: not ready: $(tail -c 300 "$con" | one)"; failed=1
		$d destroy pvoff >/dev/null 2>&1; wait; continue
	fi
	send 'stty -echo'
	run 'mkswap /dev/xvda1 >/dev/null && swapon /dev/xvda1; yes DOMUS | head -c 1048576 >/tmp/p; for x in xvda2 xvdb xvdd xvde; do dd if=/tmp/p of=/dev/$x bs=64k seek=16 conv=fsync 2>/dev/null; done; dd if=/dev/xvdc of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null; blkdiscard -o 1048576 -l 1048576 /dev/xvdb' io
	pid=$(cat "$DOMUS_RUN_DIR/pvoff.pid" 2>/dev/null)
	if [ $((i % 2)) = 0 ]; then
		send '(while :; do dd if=/tmp/p of=/dev/xvdb bs=64k oflag=direct 2>/dev/null; dd if=/dev/xvde of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null; done) & sleep 1; poweroff -f'
	else
		send 'poweroff -f'
	fi
	for k in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait
	tl=$(cat "$log")	# each launcher starts a new log (the old one rotated)
	if echo "$tl" | grep -q 'blk xvda2: reads=' && echo "$tl" | grep -q 'shut down' && ! kill -0 "$pid" 2>/dev/null; then
		echo "PASS: pvblk-poweroff/boot$i ($(( $(date +%s) - t0 )) s)"
	else
		echo "FAIL: pvblk-poweroff/boot$i: pid $pid $(kill -0 "$pid" 2>/dev/null && echo alive || echo gone); log tail: $(echo "$tl" | tail -4 | one)"
		echo "$tl" | grep -E 'launcher: (fatal|killed)' | sed 's/^/info: fatal line: /'
		dmesg | grep -E 'type=1326|segfault|traps:|invalid opcode|Out of memory' | tail -5 | sed 's/^/info: klog: /'
		failed=1
		kill -0 "$pid" 2>/dev/null && $d destroy pvoff >/dev/null 2>&1
	fi
done
[ -n "${hog:-}" ] && kill "$hog"
lvremove -q -y domusvg/lv0 >/dev/null; vgremove -q domusvg >/dev/null; pvremove -q "$pvloop" >/dev/null
losetup -d "$loop" "$loop2" "$pvloop"; rm -rf "$img"
exit $failed
