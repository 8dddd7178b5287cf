#!/bin/sh
# The core tests on an AMD-V test host whose CPU has XSAVE, AVX, MPX and
# PKU (QEMU TCG `-cpu max`; run by tests/suites/46-core-amd-xsave): the
# XSETBV/XSAVE checks (tests/host/xsavetest.c), every coretest test (the
# FPU tests then carry YMM state), the module's counters, rmmod and the
# kernel log.  KVM coexistence and the memory baselines of
# tests/host/amd-core.sh do not depend on the CPU model: 45-core-amd only.
#
# QEMU 7.2's TCG does not honour the SVM XSETBV intercept, so a guest's
# XSETBV writes the test host's own XCR0 (the host loses AVX/MPX/PKRU
# and its processes die).  xsavetest probes for that first; if the
# intercept is ignored, the tests whose guests execute XSETBV print SKIP:
# its own, and coretest's fpu-separation (the T_FPU guest enables AVX
# itself).
cd "$(dirname "$0")/../.." || exit 1
failed=0
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'xsave|avx|avx2|mpx|pku|xsaveopt' | tr '\n' ' ' |
	sed 's/^/info: test-host CPU features: /; s/$/\n/'
lines0=$(dmesg | wc -l)
if ! insmod "${DOMUS_KO:-./domus.ko}"; then
	echo "FAIL: core/insmod: insmod failed"
	exit 1
fi
echo "PASS: core/insmod"
log=/tmp/xsavetest.log
build/host/xsavetest >$log 2>&1 || failed=1
cat $log
tests=$(build/host/coretest list)
if ! grep -q 'XSETBV intercept is honoured' $log; then
	echo "SKIP: core/fpu-separation: this CPU ignores the XSETBV intercept (QEMU 7.2 TCG): the guest's XSETBV would write the host's XCR0"
	tests=$(echo "$tests" | grep -vx fpu-separation)
fi
# shellcheck disable=SC2086
build/host/coretest $tests || failed=1
build/host/coretest stats-zero || failed=1
# the stock kernel as a PV guest on this XSAVE/AVX CPU, to its shell: its
# init's signal frames are XSAVE images (with XCR0 wrong, the first
# sigreturn kills init), and its FPU state must survive every exit
if [ -f build/pv/xsave-guest.cpio ]; then
	con=/tmp/pv-xsave.console
	build/host/pvboot -m 256 -t 300 -C -i build/pv/xsave-guest.cpio -M DOMUS-GUEST-READY \
		-c "console=hvc0 rdinit=/init loglevel=4" "/boot/vmlinuz-$(scripts/kver)" >$con 2>&1
	rc=$?
	bad=$(grep -a -E 'bad frame|Kernel panic|traps:|WARNING:|BUG:' $con | head -2)
	if [ $rc = 0 ] && grep -aq 'DOMUS-GUEST-READY' $con && [ -z "$bad" ]; then
		echo "PASS: core/pv-linux-xsave"
	else
		echo "FAIL: core/pv-linux-xsave: pvboot status $rc: $(echo "$bad" | tr '\n' '|') $(tail -3 $con | tr '\n' '|')"
		failed=1
	fi
else
	echo "FAIL: core/pv-linux-xsave: build/pv/xsave-guest.cpio missing"
	failed=1
fi
if rmmod domus; then echo "PASS: core/rmmod"; else echo "FAIL: core/rmmod: rmmod domus failed"; failed=1; fi
bad=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|traps:|Bad FPU' | head -3)
if [ -z "$bad" ]; then
	echo "PASS: core/kernel-log"
else
	echo "FAIL: core/kernel-log: $(echo "$bad" | tr '\n' '|')"
	failed=1
fi
exit $failed
