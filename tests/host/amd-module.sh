#!/bin/sh
# Module tests inside the AMD-V test host (run by tests/suites/40-module-amd
# through scripts/testhost).  One PASS/FAIL line per test.
cd "$(dirname "$0")/../.." || exit 1
ko=./domus.ko
failed=0
pass() { echo "PASS: amd/$1"; }
fail() { echo "FAIL: amd/$1: $2"; failed=1; }

if insmod $ko; then pass insmod; else fail insmod "insmod failed"; dmesg | tail -5; exit 1; fi
build/host/devtest svm || failed=1

out=$(build/domus info 2>&1)
if echo "$out" | grep -q '^vendor *: svm (AMD-V)' && echo "$out" | grep -q '^nested paging *: npt' &&
   echo "$out" | grep -q '^module *: loaded'; then
	pass info-shows-svm-npt
else
	fail info-shows-svm-npt "$(echo "$out" | tr '\n' '|')"
fi
if [ "$(cat /sys/module/domus/refcnt)" = 0 ]; then pass refcnt-idle; else fail refcnt-idle "refcnt $(cat /sys/module/domus/refcnt)"; fi
# The kernel's own taint notices for an unsigned out-of-tree module are expected.
noise=$(dmesg | grep 'domus:' | grep -v -e 'loading out-of-tree module taints kernel' -e 'module verification failed')
if [ -z "$noise" ]; then pass load-is-quiet; else fail load-is-quiet "$(echo "$noise" | tail -2)"; fi
# The test host boots with mitigations=off: every transient-execution step off.
sh tests/host/spec-check.sh amd run build/host/coretest hello mmio || failed=1
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi

# 50 load/unload cycles: no leak, no log noise.
sync; echo 3 > /proc/sys/vm/drop_caches
insmod $ko && rmmod domus		# warm-up: first-load effects
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
slab0=$(kb SUnreclaim); vmal0=$(grep -c . /proc/vmallocinfo); lines0=$(dmesg -x | wc -l)
i=0 ok=1
while [ $i -lt 50 ]; do
	insmod $ko || { ok=0; break; }
	[ -c /dev/domus ] || { ok=0; break; }
	rmmod domus || { ok=0; break; }
	i=$((i + 1))
done
sync; echo 3 > /proc/sys/vm/drop_caches
slab1=$(kb SUnreclaim); vmal1=$(grep -c . /proc/vmallocinfo)
if [ $ok = 1 ]; then pass load-unload-50; else fail load-unload-50 "cycle $i failed"; fi
# Tolerance: 256 KiB of unreclaimable slab (per-CPU caches and RCU-freed
# objects drift by a few pages), and at most 4 extra vmalloc areas.
if [ $((slab1 - slab0)) -lt 256 ] && [ $((vmal1 - vmal0)) -le 4 ]; then
	pass load-unload-no-leak
else
	fail load-unload-no-leak "SUnreclaim ${slab0}->${slab1} kB, vmalloc areas ${vmal0}->${vmal1}"
fi
echo "info: SUnreclaim ${slab0}->${slab1} kB, vmalloc areas ${vmal0}->${vmal1}"
# Noise is anything domus prints, or any warning or worse; the emulator's
# own timing notices (clocksource watchdog: at info level, or at warn
# level "Long readout interval" when the build machine is loaded) are
# not domus's.
new=$(dmesg -x | tail -n +$((lines0 + 1)) | grep -v -e 'drop_caches' -e 'clocksource: Long readout interval' |
	grep -E 'domus|^[a-z]+ *:(emerg|alert|crit|err|warn) ')
if [ -z "$new" ]; then pass load-unload-no-log-noise; else fail load-unload-no-log-noise "$(echo "$new" | head -3 | tr '\n' '|')"; fi

# Firmware that disabled AMD-V (VM_CR.SVMDIS, bit 4): QEMU cannot set
# VM_CR, so the test build (tests/leak-build) takes the value the probe
# reads from test_fw_msr.  Refused with the documented message; loads
# with the bit clear.
tko=build/leak/domus.ko
if [ ! -f $tko ]; then
	fail fw-disabled-refused "$tko missing (tests/leak-build)"
	fail fw-enabled-loads "$tko missing"
else
	lines0=$(dmesg | wc -l)
	if insmod $tko test_fw_msr=0x10 2>/dev/null; then
		rmmod domus
		fail fw-disabled-refused "loaded with VM_CR.SVMDIS set"
	elif dmesg | tail -n +$((lines0 + 1)) | grep -q 'AMD-V is disabled by the firmware (VM_CR.SVMDIS is set); enable'; then
		pass fw-disabled-refused
	else
		fail fw-disabled-refused "refused without the firmware message: $(dmesg | tail -2 | tr '\n' '|')"
	fi
	if insmod $tko test_fw_msr=0 && rmmod domus; then pass fw-enabled-loads; else fail fw-enabled-loads "insmod $tko test_fw_msr=0 failed"; fi
fi
exit $failed
