#!/bin/sh
# Core tests inside the Intel VT-x test host (Bochs; run by
# tests/suites/55-core-intel through scripts/testhost): the same coretest
# as on AMD-V, KVM coexistence in both orders against the stock kvm_intel
# (intel-kvmhold, kvm_holder), then unload.  One PASS/FAIL line per test.
#
# Everything arrives flat in /testhost (scripts/testhost --include):
# domus.ko, coretest, insntest, kvm_holder, intel-kvmhold, this script, and
# build/guests/*.bin.
# The stock kvm modules are in /lib/modules (load order in
# /lib/modules/order).  Usage: sh intel-core.sh [coretest tests...]
# (default: all).
cd "$(dirname "$0")" || exit 1
failed=0
pass() { echo "PASS: core/$1"; }
fail() { echo "FAIL: core/$1: $2"; failed=1; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; dmesg | tail -5; exit 1; fi

# 1. coretest: the core tests (their own PASS/FAIL lines)
if [ $# -eq 0 ]; then
	./coretest all || failed=1
	./insntest || failed=1	# prefixed intercepted instructions
else
	./coretest "$@" || failed=1
fi

# 2. KVM coexistence.  (a) a KVM VM exists: domus must refuse with EBUSY
#    and say why in the kernel log.  (The VM does not run: see
#    intel-kvmhold.c for why.)
kvm_ok=1
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m" || kvm_ok=0
done
if [ $kvm_ok = 1 ]; then pass kvm-insmod; else fail kvm-insmod "loading kvm_intel failed"; fi
log=/tmp/kvmhold.log
./intel-kvmhold > $log 2>&1 &
kpid=$!
i=0
while [ $i -lt 300 ] && ! grep -q 'holding' $log; do sleep 0.1; i=$((i + 1)); done
if grep -q 'holding' $log; then
	lines0=$(dmesg | wc -l)
	./coretest kvm-busy || failed=1
	msg=$(dmesg | tail -n +$((lines0 + 1)) | grep 'domus:')
	if echo "$msg" | grep -q 'VT-x is already in use by another hypervisor'; then
		pass kvm-running-domus-log
		echo "info: kernel log: $msg"
	else
		fail kvm-running-domus-log "no domus line naming the other hypervisor in the kernel log: '$msg'"
	fi
else
	fail kvm-running-domus-busy "the KVM VM was not created: $(tr '\n' '|' < $log)"
fi
kill -TERM $kpid 2>/dev/null; wait $kpid 2>/dev/null
if grep -q 'released' $log; then pass kvm-release; else fail kvm-release "$(tr '\n' '|' < $log)"; fi

#    (b) a domus domain exists: KVM must fail cleanly; afterwards both work.
hlog=/tmp/coretest-hold.log
./coretest hold > $hlog 2>&1 &
hpid=$!
i=0
while [ $i -lt 300 ] && ! grep -q 'holding' $hlog; do sleep 0.1; i=$((i + 1)); done
if grep -q 'holding' $hlog; then
	pass domus-after-kvm
	out=$(./kvm_holder try 2>&1); rc=$?
	if [ $rc -eq 3 ]; then
		pass domus-running-kvm-refused
		echo "info: $out"
	else
		fail domus-running-kvm-refused "kvm_holder try exited $rc: $out"
	fi
else
	fail domus-after-kvm "coretest hold: $(tr '\n' '|' < $hlog)"
fi
kill -TERM $hpid 2>/dev/null; wait $hpid 2>/dev/null
if grep -q 'released' $hlog; then pass hold-release; else fail hold-release "$(tr '\n' '|' < $hlog)"; fi
out=$(./kvm_holder try 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass kvm-after-domus; else fail kvm-after-domus "kvm_holder try exited $rc: $out"; fi
rmmod kvm_intel kvm irqbypass 2>/dev/null
if lsmod | grep -q '^kvm'; then fail kvm-unload "kvm modules still loaded"; else pass kvm-unload; fi

# 3. counters, unload, kernel log
./coretest stats-zero || failed=1
if [ "$(cat /sys/module/domus/refcnt)" = 0 ]; then pass refcnt-zero; else fail refcnt-zero "refcnt $(cat /sys/module/domus/refcnt)"; fi
if rmmod domus; then pass rmmod; else fail rmmod "rmmod domus failed"; fi
if dmesg | grep -E 'BUG:|WARNING:|Oops|general protection' >/dev/null; then
	fail kernel-log "$(dmesg | grep -E 'BUG:|WARNING:|Oops|general protection' | head -3 | tr '\n' '|')"
else
	pass kernel-log
fi
exit $failed
