#!/bin/bash
# A PV guest with 4 vCPUs through `domus create` in the AMD-V test host
# (run by tests/suites/67-pv-smp-amd): the stock Debian kernel with the
# busybox test initramfs (tests/host/pvcli.cfg with vcpus=4), driven
# through the console as in amd-pvcli.sh.  Checks: `domus list` shows 4
# vCPUs, the guest brings up and uses 4 CPUs (online mask, per-CPU timer
# interrupts advancing on every CPU), poweroff from the guest ends the
# domain, the module's counters return to zero.  One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
failed=0
pass() { echo "PASS: pv-smp-amd/$1"; }
fail() { echo "FAIL: pv-smp-amd/$1: $2"; failed=1; }

out=$top/build/pvsmp
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out"
mkdir -p "$out/log"
fifo=$(mktemp -u /tmp/pvsmp-in.XXXXXX)
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(uname -r)}
cfg=tests/host/pvcli.cfg
con=$out/console.out
log=$out/log/pvsmp.log

gstats() {
	/usr/bin/python3 - <<'PY'
import fcntl, os, struct
fd = os.open("/dev/domus", os.O_RDWR)
buf = bytearray(64)
fcntl.ioctl(fd, 0xC040D502, buf)      # DOMUS_GET_GLOBAL_STATS
d, v, p, n, h = struct.unpack_from("<QQQQI", buf)
print(d, v, p, n, h)
PY
}
wait_for() {	# PATTERN SECONDS [FROM_LINE]
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -le $end ]; do
		tail -n +"${3:-1}" "$con" 2>/dev/null | tr -d '\r' | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
lines() { wc -l <"$con"; }
send() { printf 'echo; %s\n' "$*" >&3; }
# ask CMD; print its output lines (up to the marker)
ask() {	# TAG CMD
	local l
	l=$(lines); send "$2; echo $1-\$((1))"
	wait_for "^$1-1" 60 "$l" || return 1
	tail -n +"$l" "$con" | tr -d '\r' | sed -n "/^$1-1/q;p" | grep -v -e '^echo; ' -e '^guest:[^ ]*# *$' | sed '/^$/d'
}

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
mkfifo "$fifo"
exec 3<>"$fifo"
t0=$(date +%s)
$d create -c $cfg name=\"pvsmp\" vcpus=4 kernel=\""$kernel"\" <"$fifo" >"$con" 2>&1 &
cpid=$!
if wait_for 'DOMUS-GUEST-READY' 300; then
	pass guest-ready
else
	fail guest-ready "no DOMUS-GUEST-READY within 300 s: $(tail -c 400 "$con" | tr '\r\n' '||')"
	$d destroy pvsmp; kill $cpid 2>/dev/null; exit 1
fi
echo "info: 4-vCPU boot to the marker took $(( $(date +%s) - t0 )) s"
if $d list | grep -Eq '^pvsmp +[0-9]+ +256 +4 '; then pass list-4-vcpus; else fail list-4-vcpus "$($d list | tr '\t\n' ' |')"; fi
sleep 1
send 'stty -echo'
sleep 2
online=$(ask ON 'cat /sys/devices/system/cpu/online' | grep -xE '[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*' | tail -1)
if [ "$online" = "0-3" ]; then pass guest-4-cpus-online; else fail guest-4-cpus-online "online CPUs '$online'"; fi
up=$(ask UP 'dmesg | grep -o "Brought up [0-9]* node[s]*, [0-9]* CPUs"')
if echo "$up" | grep -q ', 4 CPUs'; then pass guest-smp-bringup; else fail guest-smp-bringup "dmesg: '$up'"; fi
# every CPU takes timer interrupts (per-CPU columns of the LOC/timer lines advance)
percpu() { printf '%s\n' "$1" | grep -E 'timer' | awk '{ for (i = 2; i <= 5; i++) s[i] += $i } END { print s[2], s[3], s[4], s[5] }'; }
i1=$(ask I1 'cat /proc/interrupts')
sleep 2
i2=$(ask I2 'cat /proc/interrupts')
a=($(percpu "$i1")) b=($(percpu "$i2"))
ok=1
for k in 0 1 2 3; do [ "${b[$k]:-0}" -gt "${a[$k]:-0}" ] || ok=0; done
if [ $ok = 1 ]; then pass timer-on-every-cpu; else fail timer-on-every-cpu "per-CPU timer interrupts ${a[*]} -> ${b[*]}"; fi
echo "info: per-CPU timer interrupts ${a[*]} -> ${b[*]}"
# work on every CPU at once: 4 busy loops, each pinned by the scheduler; all finish
l=$(lines); send 'for c in 0 1 2 3; do (i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo W-$c) & done; wait; echo WD-$((1))'
if wait_for '^WD-1' 240 "$l" && [ "$(tail -n +"$l" "$con" | tr -d '\r' | grep -c '^W-[0-3]$')" = 4 ]; then
	pass parallel-work
else
	fail parallel-work "$(tail -n +"$l" "$con" | tr -d '\r' | tr '\n' '|' | tail -c 300)"
fi
send 'poweroff'
for i in $(seq 300); do $d list pvsmp >/dev/null 2>&1 || break; sleep 0.2; done
if ! $d list pvsmp >/dev/null 2>&1 && grep -q 'shut down: poweroff' "$log"; then
	pass poweroff
else
	fail poweroff "$($d list | tr '\t\n' ' |')"
	$d destroy pvsmp
fi
exec 3>&-
for i in $(seq 50); do kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
kill $cpid 2>/dev/null
s=
for i in $(seq 30); do s=$(gstats); [ "$s" = "0 0 0 0 0" ] && break; sleep 0.1; done
if [ "$s" = "0 0 0 0 0" ]; then pass frees-all; else fail frees-all "live objects (domains vcpus pinned npt hw_cpus): $s"; fi
rm -f "$fifo"
if rmmod domus; then pass rmmod; else fail rmmod "rmmod domus failed"; fi
exit $failed
