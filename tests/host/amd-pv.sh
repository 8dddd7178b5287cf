#!/bin/sh
# The Xen PVH personality inside the AMD-V test host (run by
# tests/suites/60-pv-amd through scripts/testhost): the stock Debian kernel
# boots as a PVH domU under build/host/pvboot with the test initramfs
# (build/pv/initrd.cpio, made by the suite).  One PASS/FAIL line per
# milestone seen on the guest's early console (earlyprintk=xen).
cd "$(dirname "$0")/../.." || exit 1
failed=0
pass() { echo "PASS: pv-amd/$1"; }
fail() { echo "FAIL: pv-amd/$1: $2"; failed=1; }

kernel=${PV_KERNEL:-/boot/vmlinuz-$(uname -r)}
out=build/pv
cmdline="earlyprintk=xen keep_bootcon loglevel=7 rdinit=/init"

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)
t0=$(date +%s)
build/host/pvboot -m 256 -t "${PV_TIMEOUT:-300}" -i $out/initrd.cpio -c "$cmdline" \
	-M "DOMUS-PV-INIT:" -w "$kernel" >$out/console.log 2>$out/pvboot.log
rc=$?
t1=$(date +%s)
echo "info: pvboot exit status $rc after $((t1 - t0)) s; $(tail -1 $out/pvboot.log)"

expect() {
	if grep -qF -- "$2" $out/console.log; then pass "$1"; else fail "$1" "no '$2' on the console"; fi
}
expect linux-banner "Linux version"
expect xen-detected "Hypervisor detected: Xen HVM"
expect pvh-boot "kernel on Xen PVH"
expect xen-version "Xen version: 4.17"
expect evtchn-2level "xen:events: Using 2-level ABI"
expect callback-vector "Xen HVM callback vector for event delivery is enabled"
expect x2apic "x2apic: enabled by BIOS, switching to x2apic ops"
expect clocksource-xen "clocksource: Switched to clocksource xen"
expect run-init "Run /init as init process"
expect init-marker "DOMUS-PV-INIT: /init runs"
# /init asks for a reboot: SCHEDOP_shutdown(reboot) reaches pvboot.
if grep -q "guest shutdown, reason 1" $out/pvboot.log; then pass shutdown-reboot; else fail shutdown-reboot "no SCHEDOP_shutdown(reboot) exit"; fi
if [ $rc = 0 ]; then pass pvboot-marker; else fail pvboot-marker "pvboot exit status $rc: $(grep -v '^$' $out/pvboot.log | tail -3 | tr '\n' '|')"; fi

# The guest's wall clock (printed by /init) is the host's, within 2 s.
gwc=$(sed -n 's/.*DOMUS-PV-INIT: .* wallclock \([0-9]*\).*/\1/p' $out/console.log | head -1)
if [ -n "$gwc" ] && [ $((gwc - t1)) -le 2 ] && [ $((t0 - gwc)) -le 2 ]; then
	pass wallclock
else
	fail wallclock "guest wallclock '${gwc}' outside the host's [$t0, $t1]"
fi
bad=$(grep -E 'unchecked MSR access|WARNING:|BUG:|Oops|Call Trace' $out/console.log | head -3)
if [ -z "$bad" ]; then pass guest-log-clean; else fail guest-log-clean "$(echo "$bad" | tr '\n' '|')"; fi

if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
