#!/bin/sh
# The core suite on an AMD-V test host whose CPU has XSAVE, AVX, MPX and
# PKU (QEMU TCG `-cpu max`; run by tests/suites/46-core-amd-xsave): every
# core test (tests/host/amd-core.sh: the FPU tests then carry YMM state),
# then the XSETBV/XSAVE checks (tests/host/xsavetest.c), then the kernel log.
cd "$(dirname "$0")/../.." || exit 1
failed=0
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'xsave|avx|avx2|mpx|pku|xsaveopt' | tr '\n' ' ' |
	sed 's/^/info: test-host CPU features: /; s/$/\n/'
tests/host/amd-core.sh || failed=1
lines0=$(dmesg | wc -l)
if insmod "${DOMUS_KO:-./domus.ko}"; then
	build/host/xsavetest || failed=1
	rmmod domus || { echo "FAIL: xsave/rmmod: rmmod domus failed"; failed=1; }
else
	echo "FAIL: xsave/insmod: insmod failed"
	failed=1
fi
bad=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|traps:' | head -3)
if [ -z "$bad" ]; then
	echo "PASS: xsave/kernel-log"
else
	echo "FAIL: xsave/kernel-log: $(echo "$bad" | tr '\n' '|')"
	failed=1
fi
exit $failed
