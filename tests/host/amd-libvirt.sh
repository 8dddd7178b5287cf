#!/bin/bash
# domusd inside the AMD-V test host (run by tests/suites/76-libvirt-amd
# through scripts/testhost): one PV guest (the busybox initramfs of
# build/lv/guest.cpio), domusd on its default socket and link, and the
# stock virsh with the plain URI domus:///system: list, dominfo, domstate,
# dumpxml against what `domus list`/`domus uuid` say; after a destroy the
# list is empty.  One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh	# wait_log, one; pass and fail are this script's own
top=$(pwd)
failed=0
pass() { echo "PASS: libvirt-amd/$1"; }
fail() { echo "FAIL: libvirt-amd/$1: $2"; failed=1; }
out=$top/build/lv
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log"; mkdir -p "$out/log" /run/domus
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(uname -r)}
V() { timeout 120 virsh -c domus:///system "$@"; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
build/domusd 2>"$out/domusd.log" &
dpid=$!
for i in $(seq 50); do [ -S /run/domus/domusd.sock ] && break; sleep 0.1; done
m=$(stat -c '%a %U' /run/domus/domusd.sock 2>&1)
l=$(readlink /run/libvirt/virtdomusd-sock 2>&1)
if [ "$m" = "600 root" ] && [ "$l" = /run/domus/domusd.sock ]; then pass socket-and-link
else fail socket-and-link "socket '$m', link '$l'"; fi

$d create tests/host/pvcli.cfg name=\"lv\" memory=160 maxmem=192 kernel=\""$kernel"\" \
	ramdisk=\"build/lv/guest.cpio\" >"$out/create.out" 2>&1 || fail create "$(one <"$out/create.out")"
if wait_log "$out/log/lv-console.log" DOMUS-GUEST-READY 240; then pass guest-ready
else fail guest-ready "$(tail -c 300 "$out/log/lv-console.log" | one)"; fi
id=$($d domid lv 2>/dev/null)
uuid=$($d uuid lv 2>/dev/null)

o=$(V list --all 2>&1); rc=$?
if [ $rc = 0 ] && echo "$o" | grep -Eq "^ $id +lv +running\$"; then pass virsh-list; else fail virsh-list "rc $rc: $(echo "$o" | one)"; fi
dl=$($d list 2>&1 | awk 'NR > 2 { print $2, $1 }')
vl=$(V list --all 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }')
if [ -n "$vl" ] && [ "$dl" = "$vl" ]; then pass list-agrees; else fail list-agrees "domus '$dl', virsh '$vl'"; fi
o=$(V dominfo lv 2>&1); rc=$?
if [ $rc = 0 ] && echo "$o" | grep -Eq "^Id: +$id\$" && echo "$o" | grep -Eq "^UUID: +$uuid\$" &&
	echo "$o" | grep -Eq '^State: +running$' && echo "$o" | grep -Eq '^Max memory: +196608 KiB$' &&
	echo "$o" | grep -Eq '^Used memory: +163840 KiB$' && echo "$o" | grep -Eq '^OS Type: +xenpvh$' &&
	echo "$o" | grep -Eq '^CPU time: +[0-9.]+s$'; then pass virsh-dominfo
else fail virsh-dominfo "rc $rc: $(echo "$o" | one)"; fi
o=$(V domstate --reason "$id" 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(echo "$o" | head -1)" = "running (booted)" ]; then pass virsh-domstate; else fail virsh-domstate "rc $rc: $o"; fi
o=$(V dumpxml "$uuid" 2>&1); rc=$?
if [ $rc = 0 ] && /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
assert r.get("type") == "xen" and r.get("id") == sys.argv[1]
assert r.findtext("name") == "lv" and r.findtext("uuid") == sys.argv[2]
assert r.findtext("memory") == "196608" and r.findtext("currentMemory") == "163840"
assert r.findtext("os/type") == "xenpvh" and r.findtext("os/kernel") == sys.argv[3]
assert r.findtext("os/initrd") == "build/lv/guest.cpio"
assert "rdinit=/init" in r.findtext("os/cmdline")
assert r.findtext("on_crash") == "preserve"' "$id" "$uuid" "$kernel" <<<"$o" 2>"$out/py.err"; then pass virsh-dumpxml
else fail virsh-dumpxml "rc $rc: $(tail -1 "$out/py.err") $(echo "$o" | one)"; fi

$d destroy lv >/dev/null 2>&1
o=$(V list --all 2>&1); rc=$?
if [ $rc = 0 ] && ! echo "$o" | grep -q ' lv '; then pass list-after-destroy; else fail list-after-destroy "rc $rc: $(echo "$o" | one)"; fi
kill $dpid; wait $dpid; rc=$?
if [ $rc = 0 ] && [ ! -e /run/domus/domusd.sock ] && [ ! -L /run/libvirt/virtdomusd-sock ]; then pass domusd-stops
else fail domusd-stops "rc $rc: $(one <"$out/domusd.log")"; fi
for i in $(seq 50); do pgrep -x domus-launcher >/dev/null || break; sleep 0.1; done
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
exit $failed
