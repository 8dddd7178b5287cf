#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Inside the Intel VT-x test host (Bochs; started by bench/exits --arch
# intel): measure the exit costs under the stock kvm_intel, then under
# domus, and print the comparison table (the same rows as on AMD).
#
# The files arrive flat in /testhost (scripts/testhost --include):
# domus.ko (the benchmark build of bench/floor-build), kvm_exits,
# domus_exits, floor.sh and this script.  The stock kvm modules
# are in /lib/modules, their load order in /lib/modules/order.
#
# usage: sh exits-intel-inhost.sh [N [ROUNDS [DOMUS]]]   (as exits-inhost.sh)

cd "$(dirname "$0")" || exit 1
BENCH_N=${1:-2000}
BENCH_ROUNDS=${2:-3}
want_domus=${3:-1}
export BENCH_N BENCH_ROUNDS
status=0
kvm_out=
domus_out=
kvm_note=
domus_note=

say() { echo "exits: $*"; }
. ./floor.sh

kvm_load() {
	for m in $(cat /lib/modules/order); do
		insmod "/lib/modules/$m" || return 1
	done
}

kvm_unload() {
	rmmod kvm_intel && rmmod kvm && rmmod irqbypass
}

# --- KVM ---------------------------------------------------------------------
if kvm_load; then
	kvm_out=$(./kvm_exits 2>&1)
	rc=$?
	echo "$kvm_out" | sed 's/^/  /'
	case $rc in
	0) ;;
	2) kvm_note="KVM unavailable" ;;
	142) kvm_note="kvm_exits timed out (guest stuck?)"; status=1 ;;
	*) kvm_note="kvm_exits failed (status $rc)"; status=1 ;;
	esac
	kvm_unload || { say "unloading kvm_intel failed"; status=1; }
else
	kvm_note="loading kvm_intel failed"
	status=1
fi

# --- domus -------------------------------------------------------------------
if [ "$want_domus" != 1 ]; then
	domus_note="domus.ko not built"
elif lsmod | grep -q '^kvm'; then
	domus_note="kvm still loaded"
elif insmod ./domus.ko; then
	domus_out=$(./domus_exits 2>&1)
	rc=$?
	echo "$domus_out" | sed 's/^/  /'
	case $rc in
	0) ;;
	2) domus_note="no domains (module core missing?)" ;;
	142) domus_note="domus_exits timed out (guest stuck?)"; status=1 ;;
	*) domus_note="domus_exits failed (status $rc)"; status=1 ;;
	esac
	rmmod domus || { say "rmmod domus failed"; status=1; }
else
	domus_note="insmod domus.ko failed"
	status=1
fi

# --- table ---------------------------------------------------------------------
value() {	# $1 output, $2 phase -> "us" or "n/a"
	echo "$1" | awk -v p="$2" '$1 == "RESULT" && $3 == p { v = $4 } END { print (v == "" ? "n/a" : v) }'
}
uexits() {
	echo "$1" | awk -v p="$2" '$1 == "RESULT" && $3 == p { sub("user_exits=", "", $5); v = $5 } END { print v }'
}

echo
echo "exit cost per exit, N=$BENCH_N, median of $BENCH_ROUNDS runs (VT-x test host, Bochs; guest-clock µs)"
echo "exit kind                domus µs     kvm µs  domus/kvm  x floor (goal)"
fl=$(value "$domus_out" floor)
for row in "floor:floor (world switch):0" "cpuid:cpuid (in-kernel):0" "hypercall:hypercall (in-kernel):0" \
	"out:out (to userspace):$BENCH_N" "mmio:mmio (to userspace):$BENCH_N" \
	"xen_version:xen_version (Xen dom.):0"; do
	phase=${row%%:*} expect=${row##*:} label=${row#*:} label=${label%:*}
	d=$(value "$domus_out" "$phase")
	k=$(value "$kvm_out" "$phase")
	flag=
	if [ "$d" != n/a ] && [ "$(uexits "$domus_out" "$phase")" != "$expect" ]; then
		flag=" domus: $(uexits "$domus_out" "$phase") exits to userspace"
	fi
	if [ "$k" != n/a ] && [ "$(uexits "$kvm_out" "$phase")" != "$expect" ]; then
		flag="$flag kvm: $(uexits "$kvm_out" "$phase") exits to userspace"
	fi
	if [ "$d" != n/a ] && [ "$k" != n/a ]; then
		ratio=$(awk -v a="$d" -v b="$k" 'BEGIN { printf "%.2f", a / b }')
	else
		ratio=n/a
	fi
	printf '%-22s %10s %10s %10s  %s%s\n' "$label" "$d" "$k" "$ratio" \
		"$(floor_mult "$d" "$fl" "$phase")" "$flag"
done
[ -n "$kvm_note" ] && echo "kvm: $kvm_note"
[ -n "$domus_note" ] && echo "domus: $domus_note"
exit $status
