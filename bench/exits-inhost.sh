#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/exits): measure the exit costs
# under the stock kvm_amd, then under domus, and print the comparison table.
#
# usage: bench/exits-inhost.sh [N [ROUNDS [DOMUS [PASSES [KO]]]]]
#   N       exits per phase (default 20000)
#   ROUNDS  guest runs per program run (default 3)
#   DOMUS   1: measure domus (default); 0: skip it (domus rows n/a)
#   PASSES  program runs per hypervisor (default 4), in the order
#           kvm domus, domus kvm, kvm domus, ... (ABBA), each a new process
#           after a fresh module load
#   KO      the domus module (default ./domus.ko; bench/exits passes the
#           benchmark build of bench/floor-build, which adds the floor row)
#
# Why several processes: under QEMU TCG the cost of the same exit path
# depends on where the kernel's allocations for one run land (the
# emulator's software TLB), so one process is consistently fast or slow,
# by up to a factor 1.5.  The table reports the median over every round of
# every pass, and the range, so neither side wins by one lucky placement.
#
# Exit status: 0 when every program that ran succeeded (domus being
# unavailable only gives n/a rows), 1 when a measurement failed.

cd "$(dirname "$0")/.." || exit 1
BENCH_N=${1:-20000}
BENCH_ROUNDS=${2:-3}
want_domus=${3:-1}
passes=${4:-4}
ko=${5:-./domus.ko}
export BENCH_N BENCH_ROUNDS
status=0
kvm_out=
domus_out=
kvm_note=
domus_note=

say() { echo "exits: $*"; }
. bench/floor.sh

run_kvm() {
	if ! modprobe kvm_amd; then
		kvm_note="modprobe kvm_amd failed"
		status=1
		return
	fi
	out=$(build/bench/kvm_exits 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	kvm_out="$kvm_out
$out"
	case $rc in
	0) ;;
	2) kvm_note="KVM unavailable" ;;
	142) kvm_note="kvm_exits timed out (guest stuck?)"; status=1 ;;
	*) kvm_note="kvm_exits failed (status $rc)"; status=1 ;;
	esac
	rmmod kvm_amd kvm || { say "rmmod kvm_amd kvm failed"; status=1; }
}

run_domus() {
	if [ "$want_domus" != 1 ]; then
		domus_note="domus.ko not built"
		return
	fi
	if lsmod | grep -q '^kvm'; then
		domus_note="kvm still loaded"
		return
	fi
	if ! insmod "$ko"; then
		domus_note="insmod $ko failed"
		status=1
		return
	fi
	out=$(build/bench/domus_exits 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	domus_out="$domus_out
$out"
	case $rc in
	0) ;;
	2) domus_note="no domains yet (module core missing?)" ;;
	142) domus_note="domus_exits timed out (guest stuck?)"; status=1 ;;
	*) domus_note="domus_exits failed (status $rc)"; status=1 ;;
	esac
	rmmod domus || { say "rmmod domus failed"; status=1; }
}

i=1
while [ "$i" -le "$passes" ]; do
	echo "exits: pass $i of $passes"
	if [ $((i % 2)) = 1 ]; then run_kvm; run_domus; else run_domus; run_kvm; fi
	i=$((i + 1))
done

# --- table ---------------------------------------------------------------------
# RESULT <hv> <phase> <us> user_exits=<n>; a row whose in-kernel phase came
# back to userspace, or is missing, is flagged.
value() {	# $1 output, $2 phase -> "median min-max" of every round, or "n/a"
	echo "$1" | awk -v p="$2" '
		/Xen domain/ { xen = 1 } /plain domain/ { xen = 0 }
		$1 == "round" {
			for (i = 3; i < NF; i += 2) {
				ph = $i
				if (ph == "hypercall" && xen) ph = "xen_version"
				else if (xen) continue
				if (ph == p) v[n++] = $(i + 1)
			}
		}
		END {
			if (!n) { print "n/a"; exit }
			for (i = 1; i < n; i++)	# insertion sort, n is small
				for (j = i; j > 0 && v[j - 1] + 0 > v[j] + 0; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
			printf "%.2f %.1f-%.1f\n", m, v[0], v[n - 1]
		}'
}
uexits() {	# $1 output, $2 phase -> user_exits of every run, or the odd one
	echo "$1" | awk -v p="$2" '$1 == "RESULT" && $3 == p { sub("user_exits=", "", $5); if (v == "" || v == $5) v = $5; else odd = $5 } END { print (odd == "" ? v : odd) }'
}

floor=$(value "$domus_out" floor)
fl=${floor%% *}

echo
echo "exit cost per exit, N=$BENCH_N, median (and range) of $passes runs x $BENCH_ROUNDS rounds, ABBA (AMD-V test host, QEMU TCG)"
echo "exit kind                domus µs (range)      kvm µs (range)   domus/kvm  x floor (goal)"
for row in "floor:floor (world switch):0" "cpuid:cpuid (in-kernel):0" "hypercall:hypercall (in-kernel):0" \
	"out:out (to userspace):$BENCH_N" "mmio:mmio (to userspace):$BENCH_N" \
	"xen_version:xen_version (Xen dom.):0"; do
	phase=${row%%:*} expect=${row##*:} label=${row#*:} label=${label%:*}
	dr=$(value "$domus_out" "$phase")
	kr=$(value "$kvm_out" "$phase")
	d=${dr%% *} k=${kr%% *}
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
	mult=$(floor_mult "$d" "$fl" "$phase")
	[ "$dr" = n/a ] && dr="n/a -"
	[ "$kr" = n/a ] && kr="n/a -"
	# shellcheck disable=SC2086 # "median range" splits into two columns
	printf '%-22s %8s %-12s %8s %-12s %8s  %s%s\n' "$label" $dr $kr "$ratio" "$mult" "$flag"
done
echo "$domus_out" | awk '$1 == "RESULT" && $3 == "floor" { n += substr($6, 17) } END {
	if (n != "") print "floor: " n " host interrupts ended a floor run (re-entered, not counted)" }'
[ -n "$kvm_note" ] && echo "kvm: $kvm_note"
[ -n "$domus_note" ] && echo "domus: $domus_note"
exit $status
