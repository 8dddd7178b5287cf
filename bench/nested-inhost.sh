#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/nested): boot the same guest
# kernel and initramfs TRIES times in one configuration and report, per
# try, whether the guest finished its work and whether the test host itself
# stayed sound.  Measures the emulator's nested SVM (with the stock kvm_amd
# under QEMU) next to domus in the same configurations (docs/testing.md,
# "Emulator limits").
#
# usage: bench/nested-inhost.sh CONFIG TRIES VMLINUX INITRD
#   CONFIG   kvm-smp    one QEMU/KVM guest with 2 vCPUs (-smp 2), unpinned
#            kvm-pin2   two 1-vCPU KVM guests at once (tests/host/kvmboot, the
#                       minimal /dev/kvm launcher), both taskset -c 0
#            kvm-two    the same, unpinned
#            domus-smp  one domus guest with 2 vCPUs (vcpus=2), unpinned
#            domus-pin2 two 1-vCPU domus guests at once, `taskset -c 0 domus create`
#            domus-two  two 1-vCPU domus guests at once, unpinned
#   VMLINUX  the unpacked ELF kernel; INITRD the test initramfs plus
#            /stress-init (bench/nested adds it)
# The guest (/stress-init) runs one busy loop per CPU for 3 s of its own
# uptime, prints NESTED-DONE and powers off.
# The guard: a background loop in the test host hashes a 4 MiB tmpfs file
# and the C library (page cache of the 9p root) every 0.3 s and compares
# with the values taken before any guest ran; after each try the kernel log
# is searched for oopses, BUGs, warnings and segfaults.
# Output: one line per try,
#   NESTED-TRY CONFIG N ok|guest-fail|host-corrupt DETAIL
# Exit status 0 when every try was ok, 1 otherwise.

cd "$(dirname "$0")/.." || exit 1
config=${1:?usage: bench/nested-inhost.sh CONFIG TRIES VMLINUX INITRD}
tries=${2:?}
vmlinux=${3:?}
initrd=${4:?}
out=/tmp/nested
rm -rf "$out"; mkdir -p "$out/log"
export DOMUS_RUN_DIR=/run/domus-nested DOMUS_LOG_DIR=$out/log
d=build/domus
limit=${NESTED_TIMEOUT:-150}	# seconds per try
status=0

# ---- guard ---------------------------------------------------------------------
head -c 4M /dev/urandom >"$out/guard.bin"
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
ref=$(sha256sum "$out/guard.bin" "$libc" | cut -d' ' -f1 | tr '\n' ' ')
: >"$out/guard.bad"
(
	while :; do
		h=$(sha256sum "$out/guard.bin" "$libc" 2>&1 | cut -d' ' -f1 | tr '\n' ' ')
		[ "$h" = "$ref" ] || echo "$(cut -d' ' -f1 /proc/uptime) hash '$h' want '$ref'" >>"$out/guard.bad"
		sleep 0.3
	done
) &
guard=$!
trap 'kill $guard 2>/dev/null' EXIT
bad_log() {	# new kernel log lines since line $1 that show trouble
	dmesg | tail -n +"$(($1 + 1))" |
		grep -E 'BUG|Oops|WARNING|general protection|segfault|traps:|stack guard|corrupt|Call Trace|invalid opcode' | head -5
}

case $config in
kvm-*)
	modprobe kvm_amd || { echo "NESTED-TRY $config 0 guest-fail modprobe kvm_amd failed"; exit 1; } ;;
domus-*)
	insmod ./domus.ko || { echo "NESTED-TRY $config 0 guest-fail insmod failed"; exit 1; } ;;
*)
	echo "nested: unknown config $config" >&2; exit 2 ;;
esac
case $config in
*-smp) n=1 vcpus=2 pin= ;;
*-pin2) n=2 vcpus=1 pin="taskset -c 0" ;;
*-two) n=2 vcpus=1 pin= ;;
esac

cfgfile() {	# NAME
	cat >"$out/$1.cfg" <<EOF
name = "$1"
type = "pvh"
type = "pvh"
memory = 192
vcpus = $vcpus
kernel = "$vmlinux"
ramdisk = "$initrd"
extra = "console=hvc0 quiet rdinit=/stress-init"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
}

start_guest() {	# I: one guest, output to $out/g$I.out
	case $config in
	kvm-smp)
		$pin timeout "$limit" qemu-system-x86_64 -accel kvm -cpu host -M pc -m 192 -smp $vcpus \
			-nodefaults -no-user-config -display none -no-reboot -serial stdio \
			-kernel "$vmlinux" -initrd "$initrd" -append "console=ttyS0 quiet rdinit=/stress-init" \
			</dev/null >"$out/g$1.out" 2>&1 &
		;;
	kvm-*)
		$pin build/host/kvmboot -m 192 -t "$limit" -f 2 -i "$initrd" -M NESTED-DONE \
			-c "console=ttyS0 quiet rdinit=/stress-init" "$vmlinux" </dev/null >"$out/g$1.out" 2>&1 &
		;;
	domus-*)
		cfgfile "nested$1"
		$pin timeout "$limit" $d create -c "$out/nested$1.cfg" </dev/null >"$out/g$1.out" 2>&1 &
		;;
	esac
}

for t in $(seq "$tries"); do
	l0=$(dmesg | wc -l)
	g0=$(wc -l <"$out/guard.bad")
	t0=$(date +%s)
	pids=
	for i in $(seq $n); do start_guest $i; pids+=" $!"; done
	# done when every guest printed NESTED-DONE (domus: the domain is then
	# destroyed at poweroff), or at the limit
	end=$((t0 + limit))
	while [ "$(date +%s)" -lt $end ]; do
		k=0
		for i in $(seq $n); do grep -q 'NESTED-DONE' "$out/g$i.out" 2>/dev/null && k=$((k + 1)); done
		[ $k = $n ] && break
		sleep 0.5
	done
	sleep 1
	for i in $(seq $n); do $d destroy nested$i >/dev/null 2>&1; done
	for p in $pids; do
		for w in $(seq 40); do kill -0 $p 2>/dev/null || break; sleep 0.25; done
		kill $p 2>/dev/null
	done
	wait $pids 2>/dev/null
	secs=$(( $(date +%s) - t0 ))
	res=ok detail="${secs}s"
	for i in $(seq $n); do
		if ! grep -q 'NESTED-DONE' "$out/g$i.out"; then
			res=guest-fail
			detail+=" guest$i: $(tail -c 200 "$out/g$i.out" | tr '\r\n' '||')"
		fi
	done
	sleep 0.7	# one more guard round
	bad=$(bad_log "$l0")
	gbad=$(tail -n +"$((g0 + 1))" "$out/guard.bad")
	if [ -n "$bad$gbad" ]; then
		res=host-corrupt
		detail+=" log: $(echo "$bad" | tr '\n' '|') guard: $(echo "$gbad" | tr '\n' '|')"
	fi
	echo "NESTED-TRY $config $t $res $detail"
	[ $res = ok ] || status=1
	[ $res = host-corrupt ] && break
done
case $config in
kvm-*) rmmod kvm_amd kvm ;;
domus-*) rmmod domus ;;
esac
exit $status
