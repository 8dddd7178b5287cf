#!/bin/sh
# The Xen PVH personality inside the AMD-V test host (run by
# tests/suites/60-pv-amd through scripts/testhost): the stock Debian kernel
# boots as a PVH domU under build/host/pvboot with the test initramfs
# (build/pv/initrd.cpio, made by the suite), four times:
#   main:     1 vCPU, PV console ring (-C) with input, a grant to domain 0,
#             ends with reboot -> SCHEDOP_shutdown(1)
#   smp:      2 vCPUs (INIT/SIPI), ends with halt -> every vCPU halts with
#             IF=0 -> poweroff (source 1)
#   poweroff: ACPI S5 write -> poweroff (source 2)
#   crash:    sysrq c -> panic -> SCHEDOP_shutdown(3)
# One PASS/FAIL line per milestone seen on the guest's consoles.
cd "$(dirname "$0")/../.." || exit 1
failed=0
pass() { echo "PASS: pv-amd/$1"; }
fail() { echo "FAIL: pv-amd/$1: $2"; failed=1; }

# the guest: the build machine's target kernel (scripts/kver), whose modules
# the suite put in the initramfs; a test host of another kernel (make
# check-kernels RUN=1) runs it too
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
out=build/pv
base="earlyprintk=xen keep_bootcon loglevel=7 rdinit=/init"

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# boot NAME VCPUS MODE [pvboot options]: logs in $out/NAME.console / NAME.pvboot
boot() {
	name=$1 nv=$2 mode=$3
	shift 3
	t0=$(date +%s)
	build/host/pvboot -m 256 -s "$nv" -t "${PV_TIMEOUT:-120}" -i $out/initrd.cpio \
		-c "$base ${extra:-}pvtest=$mode" -M "${marker:-DOMUS-PV-INIT:}" -w "$@" "$kernel" \
		>$out/$name.console 2>$out/$name.pvboot
	rc=$?
	t1=$(date +%s)
	echo "info: $name: pvboot exit status $rc after $((t1 - t0)) s; $(tail -1 $out/$name.pvboot)"
	if [ $rc = 0 ]; then pass "$name/pvboot"; else fail "$name/pvboot" "exit status $rc: $(grep -v '^$' $out/$name.pvboot | tail -3 | tr '\n' '|')"; fi
}
expect() {	# expect NAME TEST STRING
	if grep -qF -- "$3" $out/$1.console; then pass "$1/$2"; else fail "$1/$2" "no '$3' on the console"; fi
}
expect_log() {	# expect_log NAME TEST STRING: in pvboot's own log
	if grep -qF -- "$3" $out/$1.pvboot; then pass "$1/$2"; else fail "$1/$2" "no '$3' from pvboot"; fi
}
clean() {
	bad=$(grep -E 'unchecked MSR access|WARNING:|BUG:|Oops|Call Trace|add_to_physmap failed|register_vcpu_info failed' $out/$1.console | head -3)
	if [ -z "$bad" ]; then pass "$1/guest-log-clean"; else fail "$1/guest-log-clean" "$(echo "$bad" | tr '\n' '|')"; fi
}

# --- main: milestones M3-M8, console ring, grant, reboot ---------------------
# main's marker is the line the guest kernel prints as it registers the Xen
# clocksource, just before it sets its wall clock from shared_info
# (xen_time_init): pvboot notes the host's time when it arrives
marker="clocksource: xen: mask" boot main 1 reboot -C -I "domus-typed-line"
marker=
expect main linux-banner "Linux version"
expect main xen-detected "Hypervisor detected: Xen HVM"
expect main pvh-boot "kernel on Xen PVH"
expect main xen-version "Xen version: 4.17"
expect main evtchn-fifo "xen:events: Using FIFO-based ABI"
expect main callback-vector "Xen HVM callback vector for event delivery is enabled"
# vCPUs start in xAPIC mode (as under Xen); the kernel switches to x2APIC itself
expect main x2apic "x2apic enabled"
if grep -q "x2apic: enabled by BIOS" $out/main.console; then fail main/xapic-start "the APIC started in x2APIC mode"; else pass main/xapic-start; fi
expect main grant-table-v1 "xen:grant_table: Grant tables using version 1 layout"
expect main clocksource-xen "clocksource: Switched to clocksource xen"
expect main run-init "Run /init as init process"
expect main init-marker "DOMUS-PV-INIT: /init runs"
# the console ring: guest output through the ring, input back through the kick eventfd
expect main hvc0-output "DOMUS-PV-INIT: hello on hvc0"
expect main hvc0-input "DOMUS-PV-INIT: hvc0 read 'domus-typed-line'"
# a page the guest granted to domain 0, found through the mmapped grant table
expect main grant-made "DOMUS-PV-INIT: granted ref"
# the MSRs Xen answers (module/pv/msr_policy.c), read and written by /init
if grep -q "msr policy: [0-9]* checked, 0 wrong" $out/main.console; then pass main/msr-policy; else
	fail main/msr-policy "$(grep -E 'DOMUS-PV-INIT: (msr|/msr)' $out/main.console | head -6 | tr '\n' '|')"; fi
echo "info: main: $(grep -o 'msr policy: .*' $out/main.console | head -1)"
# /init: the kernel log names FIFO and Xen event interrupts keep arriving
ev=$(grep -o 'DOMUS-PV-INIT: evtchn: .*' $out/main.console | head -1)
if echo "$ev" | awk '{ if ($4 == "fifo," && $9 > $7 && $7 > 0) ok = 1 } END { exit !ok }'; then
	pass main/init-evtchn-fifo
else
	fail main/init-evtchn-fifo "'$ev': want abi fifo and a growing event count"
fi
echo "info: main: $ev"
expect_log main grant-checked "page holds the pattern"
expect_log main shutdown-reboot "guest shutdown, reason 1 (source 0)"
# The wall clock the guest set from shared_info as it registered the Xen
# clocksource (pv-init's "clock: set at log time T to wallclock W": its
# wall clock and uptime at /init, and the uptime then from the kernel
# log) is the host's when that line arrived, within 1.5 s (7-15 ms at a
# load of 8; 65's same rebuilt time came out 0.59 s late with four test
# hosts on two CPUs, 2026-12-05).  The guest's
# clock at /init is behind by the time its jiffies clock lost before the
# switch to the Xen clocksource (docs/testing.md "Known issues"): shown,
# not checked here.
gset=$(sed -n 's/.*DOMUS-PV-INIT: clock: set at log time [0-9.]* to wallclock \([0-9.]*\),.*/\1/p' $out/main.console | head -1)
hwc=$(sed -n 's/.*pvboot: marker .* at host time \([0-9.]*\)$/\1/p' $out/main.pvboot | head -1)
if [ -n "$gset" ] && [ -n "$hwc" ] &&
   awk -v g="$gset" -v h="$hwc" 'BEGIN { d = g - h; exit !(d >= -1.5 && d <= 1.5) }'; then
	pass main/wallclock
else
	fail main/wallclock "guest wall clock set to '${gset}' at boot, host time then '${hwc}': not within 1.5 s"
fi
echo "info: main: guest wall clock set to $gset, host time then $hwc; $(grep -o 'DOMUS-PV-INIT: /init runs.*' $out/main.console | head -1 | tr -d '\r')"
echo "info: main: $(grep -o 'DOMUS-PV-INIT: clock: .*' $out/main.console | tr -d '\r' | tr '\n' ';')"
clean main

# --- smp: 2 vCPUs, then halt: all vCPUs halted with IF=0 = poweroff ----------
boot smp 2 halt
expect smp smp-up "smp: Brought up 1 node, 2 CPUs"
expect smp cpus-online "DOMUS-PV-INIT: 2 CPUs online"
expect smp evtchn-fifo "xen:events: Using FIFO-based ABI"
expect smp halted "reboot: System halted"
expect_log smp shutdown-halted "guest shutdown, reason 0 (source 1)"
clean smp

# --- nox2apic: 2 vCPUs that stay in xAPIC mode (the in-kernel xAPIC page) ----
extra="nox2apic " boot nox2apic 2 halt
extra=
expect nox2apic smp-up "smp: Brought up 1 node, 2 CPUs"
expect nox2apic cpus-online "DOMUS-PV-INIT: 2 CPUs online"
expect nox2apic halted "reboot: System halted"
if grep -q "x2apic enabled" $out/nox2apic.console; then fail nox2apic/xapic-kept "the kernel switched to x2APIC"; else pass nox2apic/xapic-kept; fi
# time keeps going: timer interrupts arrive over /init's 200 ms sleep (the
# kernel's clock events come from Xen's VIRQ_TIMER, as under Xen: LOC, the
# local APIC timer's line, grows only if it is used)
loc=$(grep -o 'DOMUS-PV-INIT: timer interrupts: .*' $out/nox2apic.console | head -1)
if echo "$loc" | awk '{ gsub(",", ""); if ($7 > $5 || $12 > $10) ok = 1 } END { exit !ok }'; then pass nox2apic/timer-interrupts; else
	fail nox2apic/timer-interrupts "'$loc': want a growing LOC or Xen timer count"; fi
echo "info: nox2apic: $loc"
clean nox2apic

# --- dirty: 2 vCPUs under dirty logging, a shadow copy kept as pre-copy does --
boot dirty 2 halt -D 100
expect dirty cpus-online "DOMUS-PV-INIT: 2 CPUs online"
dl=$(grep -o 'dirty log: .*' $out/dirty.pvboot | head -1)
echo "info: dirty: $dl"
rounds=$(echo "$dl" | sed -n 's/^dirty log: \([0-9]*\) rounds, \([0-9]*\) frames copied.*/\1 \2/p')
set -- $rounds
if [ "${1:-0}" -ge 3 ] && [ "${2:-0}" -gt 0 ]; then pass dirty/rounds; else fail dirty/rounds "want >= 3 rounds and frames copied: '$dl'"; fi
case "$dl" in
*", 0 never logged"*) pass dirty/shadow-equal ;;
*) fail dirty/shadow-equal "a frame changed without being logged: '$dl'" ;;
esac
clean dirty

# --- poweroff: the ACPI S5 write ----------------------------------------------
boot poweroff 1 poweroff
expect poweroff power-down "reboot: Power down"
expect_log poweroff shutdown-acpi "guest shutdown, reason 0 (source 2)"
clean poweroff

# --- crash: sysrq c -> panic -> SCHEDOP_shutdown(crash) ----------------------
boot crash 1 crash
expect crash panic "Kernel panic - not syncing"
expect_log crash shutdown-crash "guest shutdown, reason 3 (source 0)"

# everything released: the module's live-object counters are back to zero
if counters=$(build/host/pvboot -G); then pass counters-zero; else fail counters-zero "$counters"; fi
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
