#!/bin/sh
# The Xen PVH personality inside the Intel VT-x test host (Bochs; run by
# tests/suites-intel/62-pv-intel through scripts/testhost): the stock Debian
# kernel boots as a PVH domU under pvboot with the test initramfs, as in
# tests/host/amd-pv.sh, with the same milestones.
# usage: [env PV_TIMEOUT=S PV_VERBOSE=1] sh intel-pv.sh [BOOT...]
# BOOTs (default: all four, in this order):
#   main:     1 vCPU, PV console ring (-C) with input, a grant to domain 0,
#             ends with reboot -> SCHEDOP_shutdown(1)
#   smp:      2 vCPUs (INIT/SIPI), halt -> every vCPU halted with IF=0
#   poweroff: ACPI S5 write -> poweroff (source 2)
#   crash:    sysrq c -> panic -> SCHEDOP_shutdown(3)
#   hcfuzz:   the hypercall fuzzer (tests/host/pv-hcfuzz.c) as the guest's
#             init, a short run (PV_HCFUZZ_CALLS, default 20000, seed
#             PV_HCFUZZ_SEED): every call made, nothing unexpected (its
#             oracle), the guest alive after it, then ACPI poweroff
# One PASS/FAIL line per milestone.  busybox sh.
#
# Everything arrives flat in /testhost (scripts/testhost --include):
# domus.ko, pvboot, vmlinuz (the guest kernel, /boot/vmlinuz-<ver>: main),
# vmlinuz-gz (the same kernel with a gzip payload: the other boots, for
# speed), initrd.cpio, hcfuzz.cpio (/pv-hcfuzz, /xen-privcmd.ko), this script.
cd "$(dirname "$0")" || exit 1
failed=0
pass() { echo "PASS: pv-intel/$1"; }
fail() { echo "FAIL: pv-intel/$1: $2"; failed=1; }

base="earlyprintk=xen keep_bootcon loglevel=7 rdinit=/init"
boots=${*:-main smp poweroff crash}
out=/tmp/pv
mkdir -p $out

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; dmesg | tail -5; exit 1; fi
lines0=$(dmesg | wc -l)

# boot NAME KERNEL VCPUS MODE [pvboot options]: logs in $out/NAME.console / NAME.pvboot
boot() {
	name=$1 kernel=$2 nv=$3 mode=$4
	shift 4
	t0=$(date +%s)
	./pvboot -m 256 -s "$nv" -t "${PV_TIMEOUT:-600}" -i initrd.cpio \
		-c "$base pvtest=$mode" -M "${marker:-DOMUS-PV-INIT:}" -w "$@" "$kernel" \
		>"$out/$name.console" 2>"$out/$name.pvboot"
	rc=$?
	t1=$(date +%s)
	echo "info: $name: pvboot exit status $rc after $((t1 - t0)) s (test-host clock); $(tail -1 "$out/$name.pvboot")"
	if [ "${PV_VERBOSE:-0}" = 1 ]; then
		sed "s/^/$name.console: /" "$out/$name.console"
		sed "s/^/$name.pvboot: /" "$out/$name.pvboot"
	fi
	if [ $rc = 0 ]; then
		pass "$name/pvboot"
	else
		fail "$name/pvboot" "exit status $rc: $(grep -v '^$' "$out/$name.pvboot" | tail -4 | tr '\n' '|')"
		echo "info: $name: last console lines:"
		tail -15 "$out/$name.console" | sed 's/^/info:   /'
	fi
}
expect() {	# expect NAME TEST STRING
	if grep -qF -- "$3" "$out/$1.console"; then pass "$1/$2"; else fail "$1/$2" "no '$3' on the console"; fi
}
expect_log() {	# expect_log NAME TEST STRING: in pvboot's own log
	if grep -qF -- "$3" "$out/$1.pvboot"; then pass "$1/$2"; else fail "$1/$2" "no '$3' from pvboot"; fi
}
clean() {
	bad=$(grep -E 'unchecked MSR access|WARNING:|BUG:|Oops|Call Trace|add_to_physmap failed|register_vcpu_info failed' "$out/$1.console" | head -3)
	if [ -z "$bad" ]; then pass "$1/guest-log-clean"; else fail "$1/guest-log-clean" "$(echo "$bad" | tr '\n' '|')"; fi
}

for b in $boots; do
	case $b in
	main)
		# the marker: the line the kernel prints as it registers the Xen
		# clocksource, just before it sets its wall clock (as in 60)
		marker="clocksource: xen: mask" boot main vmlinuz 1 reboot -C -I "domus-typed-line"
		marker=
		t1=$(date +%s)
		expect main linux-banner "Linux version"
		expect main xen-detected "Hypervisor detected: Xen HVM"
		expect main pvh-boot "kernel on Xen PVH"
		expect main xen-version "Xen version: 4.17"
		expect main evtchn-fifo "xen:events: Using FIFO-based ABI"
		expect main callback-vector "Xen HVM callback vector for event delivery is enabled"
		# vCPUs start in xAPIC mode (as under Xen); the kernel switches to x2APIC itself
		expect main x2apic "x2apic enabled"
		if grep -q "x2apic: enabled by BIOS" "$out/main.console"; then fail main/xapic-start "the APIC started in x2APIC mode"; else pass main/xapic-start; fi
		expect main grant-table-v1 "xen:grant_table: Grant tables using version 1 layout"
		expect main clocksource-xen "clocksource: Switched to clocksource xen"
		expect main run-init "Run /init as init process"
		expect main init-marker "DOMUS-PV-INIT: /init runs"
		expect main hvc0-output "DOMUS-PV-INIT: hello on hvc0"
		expect main hvc0-input "DOMUS-PV-INIT: hvc0 read 'domus-typed-line'"
		expect main grant-made "DOMUS-PV-INIT: granted ref"
		# the MSRs Xen answers (module/pv/msr_policy.c), read and written by /init
		if grep -q "msr policy: [0-9]* checked, 0 wrong" "$out/main.console"; then pass main/msr-policy; else
			fail main/msr-policy "$(grep -E 'DOMUS-PV-INIT: (msr|/msr)' "$out/main.console" | head -6 | tr '\n' '|')"; fi
		echo "info: main: $(grep -o 'msr policy: .*' "$out/main.console" | head -1)"
		expect_log main grant-checked "page holds the pattern"
		expect_log main shutdown-reboot "guest shutdown, reason 1 (source 0)"
		# the wall clock the guest set from shared_info at xen_time_init
		# (pv-init's "clock: set at log time T to wallclock W") is the test
		# host's when the marker line arrived, within 1.5 s (60's check; the
		# clock at /init lags by what the boot-time jiffies clock lost:
		# docs/testing.md "Known issues")
		gset=$(sed -n 's/.*DOMUS-PV-INIT: clock: set at log time [0-9.]* to wallclock \([0-9.]*\),.*/\1/p' "$out/main.console" | head -1)
		hwc=$(sed -n 's/.*pvboot: marker .* at host time \([0-9.]*\)$/\1/p' "$out/main.pvboot" | head -1)
		if [ -n "$gset" ] && [ -n "$hwc" ] &&
		   awk -v g="$gset" -v h="$hwc" 'BEGIN { d = g - h; exit !(d >= -1.5 && d <= 1.5) }'; then
			pass main/wallclock
		else
			fail main/wallclock "guest wall clock set to '${gset}' at boot, test-host time then '${hwc}': not within 1.5 s"
		fi
		echo "info: main: guest wall clock set to $gset, test-host time then $hwc"
		clean main
		;;
	smp)
		boot smp vmlinuz-gz 2 halt
		expect smp smp-up "smp: Brought up 1 node, 2 CPUs"
		expect smp cpus-online "DOMUS-PV-INIT: 2 CPUs online"
		expect smp halted "reboot: System halted"
		expect_log smp shutdown-halted "guest shutdown, reason 0 (source 1)"
		clean smp
		;;
	poweroff)
		boot poweroff vmlinuz-gz 1 poweroff
		expect poweroff power-down "reboot: Power down"
		expect_log poweroff shutdown-acpi "guest shutdown, reason 0 (source 2)"
		clean poweroff
		;;
	crash)
		boot crash vmlinuz-gz 1 crash
		expect crash panic "Kernel panic - not syncing"
		expect_log crash shutdown-crash "guest shutdown, reason 3 (source 0)"
		;;
	hcfuzz)
		seed=${PV_HCFUZZ_SEED:-2371810617} calls=${PV_HCFUZZ_CALLS:-20000}
		echo "info: hcfuzz: seed $seed, $calls calls (repeat with PV_INTEL_HCFUZZ_SEED=$seed)"
		t0=$(date +%s)
		./pvboot -m 256 -s 1 -t "${PV_TIMEOUT:-600}" -i hcfuzz.cpio -M "DOMUS-HCFUZZ-ALIVE" -w \
			-c "earlyprintk=xen keep_bootcon loglevel=7 printk.devkmsg=on rdinit=/pv-hcfuzz hcfuzz_seed=$seed hcfuzz_calls=$calls hcfuzz_user=500 hcfuzz_grant=200" \
			vmlinuz-gz >"$out/hcfuzz.console" 2>"$out/hcfuzz.pvboot"
		rc=$?
		echo "info: hcfuzz: pvboot exit status $rc after $(($(date +%s) - t0)) s (test-host clock)"
		tr -d '\r' <"$out/hcfuzz.console" | grep -ao 'DOMUS-HCFUZZ.*' | sed 's/^/info: hcfuzz: /'
		if [ $rc = 0 ]; then pass hcfuzz/pvboot; else fail hcfuzz/pvboot "exit status $rc: $(grep -v '^$' "$out/hcfuzz.pvboot" | tail -4 | tr '\n' '|')"; fi
		done_line=$(tr -d '\r' <"$out/hcfuzz.console" | grep -ao 'DOMUS-HCFUZZ-DONE.*' | head -1)
		n=$(echo "$done_line" | sed -n 's/.* calls=\([0-9]*\) .*/\1/p')
		u=$(echo "$done_line" | sed -n 's/.* unexpected=\([0-9]*\) .*/\1/p')
		if [ "$n" = "$calls" ]; then pass hcfuzz/calls; else fail hcfuzz/calls "the fuzzer did not finish its $calls calls: '$done_line'"; fi
		if [ "$u" = 0 ]; then pass hcfuzz/oracle; else fail hcfuzz/oracle "'$u' unexpected results: $(grep -ao 'unexpected:.*' "$out/hcfuzz.console" | head -3 | tr '\n' '|')"; fi
		jn=$(echo "$done_line" | sed -n 's/.* judged-nonram=\([0-9]*\) .*/\1/p')
		if [ -n "$jn" ] && [ "$jn" -gt 0 ]; then pass hcfuzz/oracle-nonram-judged; else fail hcfuzz/oracle-nonram-judged "no write through a non-RAM pointer judged: '$done_line'"; fi
		expect hcfuzz guest-alive "DOMUS-HCFUZZ-ALIVE rc="
		expect_log hcfuzz shutdown-acpi "guest shutdown, reason 0 (source 2)"
		clean hcfuzz
		;;
	*)
		fail "boots" "unknown boot '$b'"
		;;
	esac
done

# everything released: the module's live-object counters are back to zero
if counters=$(./pvboot -G); then pass counters-zero; else fail counters-zero "$counters"; fi
if [ "$(cat /sys/module/domus/refcnt)" = 0 ]; then pass refcnt-zero; else fail refcnt-zero "refcnt $(cat /sys/module/domus/refcnt)"; fi
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
