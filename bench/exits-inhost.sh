#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/exits): measure the exit costs
# under the stock kvm_amd, then under domus, and print the comparison table.
#
# usage: bench/exits-inhost.sh [N [ROUNDS [DOMUS]]]
#   N       exits per phase (default 20000)
#   ROUNDS  guest runs per hypervisor, median reported (default 3)
#   DOMUS   1: measure domus (default); 0: skip it (domus rows n/a)
#
# Exit status: 0 when every program that ran succeeded (domus being
# unavailable only gives n/a rows), 1 when a measurement failed.

cd "$(dirname "$0")/.." || exit 1
BENCH_N=${1:-20000}
BENCH_ROUNDS=${2:-3}
want_domus=${3:-1}
export BENCH_N BENCH_ROUNDS
status=0
kvm_out=
domus_out=
kvm_note=
domus_note=

say() { echo "exits: $*"; }

# --- KVM ---------------------------------------------------------------------
if modprobe kvm_amd; then
	kvm_out=$(build/bench/kvm_exits 2>&1)
	rc=$?
	echo "$kvm_out" | sed 's/^/  /'
	case $rc in
	0) ;;
	2) kvm_note="KVM unavailable" ;;
	142) kvm_note="kvm_exits timed out (guest stuck?)"; status=1 ;;
	*) kvm_note="kvm_exits failed (status $rc)"; status=1 ;;
	esac
	rmmod kvm_amd kvm || { say "rmmod kvm_amd kvm failed"; status=1; }
else
	kvm_note="modprobe kvm_amd failed"
	status=1
fi

# --- domus -------------------------------------------------------------------
if [ "$want_domus" != 1 ]; then
	domus_note="domus.ko not built"
elif lsmod | grep -q '^kvm'; then
	domus_note="kvm still loaded"
elif insmod ./domus.ko; then
	domus_out=$(build/bench/domus_exits 2>&1)
	rc=$?
	echo "$domus_out" | sed 's/^/  /'
	case $rc in
	0) ;;
	2) domus_note="no domains yet (module core missing?)" ;;
	142) domus_note="domus_exits timed out (guest stuck?)"; status=1 ;;
	*) domus_note="domus_exits failed (status $rc)"; status=1 ;;
	esac
	rmmod domus || { say "rmmod domus failed"; status=1; }
else
	domus_note="insmod domus.ko failed"
	status=1
fi

# --- table ---------------------------------------------------------------------
# RESULT <hv> <phase> <us> user_exits=<n>; a row whose in-kernel phase came
# back to userspace, or is missing, is flagged.
value() {	# $1 output, $2 phase -> "us" or "n/a"
	echo "$1" | awk -v p="$2" '$1 == "RESULT" && $3 == p { v = $4 } END { print (v == "" ? "n/a" : v) }'
}
uexits() {
	echo "$1" | awk -v p="$2" '$1 == "RESULT" && $3 == p { sub("user_exits=", "", $5); v = $5 } END { print v }'
}

echo
echo "exit cost per exit, N=$BENCH_N, median of $BENCH_ROUNDS runs (AMD-V test host, QEMU TCG)"
echo "exit kind                domus µs     kvm µs  domus/kvm"
for row in "cpuid:cpuid (in-kernel):0" "hypercall:hypercall (in-kernel):0" \
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
	printf '%-22s %10s %10s %10s%s\n' "$label" "$d" "$k" "$ratio" "$flag"
done
[ -n "$kvm_note" ] && echo "kvm: $kvm_note"
[ -n "$domus_note" ] && echo "domus: $domus_note"
exit $status
