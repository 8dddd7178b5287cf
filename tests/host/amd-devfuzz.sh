#!/bin/sh
# The /dev/domus fuzzers inside the AMD-V test host (run by
# tests/suites/47-devfuzz-amd through scripts/testhost), from the
# repository top.  Arguments: SEED SEED2 CALLS GUEST_OPS.
#
# ioctl/...: build/host/devfuzz ioctl (tests/host/devfuzz.c), CALLS random
#   calls over the device, domain and vCPU fds while vCPUs run, once with
#   the fixed SEED and once with the random SEED2 (both printed: repeat a
#   failure with `devfuzz ioctl SEED CALLS`).  Checked: every call made,
#   the fuzzer's oracle (kernel pointers refused, unknown commands ENOTTY,
#   a forked child refused), the deterministic regression checks of the
#   bugs it found (devfuzz/regress.c), the module's counters zero after it closed
#   everything.
# kill9: a fuzzer killed with SIGKILL in the middle of its run: the
#   counters return to zero.
# guest/...: build/host/devfuzz guest (devfuzz/guest.c running
#   tests/guests/fuzz64.S), GUEST_OPS random privileged operations
#   (MSR, CPUID, port I/O, MMIO, CR, DR, XSETBV) per seed: the guest ends
#   its run alive, its exception handlers saw the faults it expects.
# Then: what the fuzzers left charged to their memory cgroup back at the
# warm-up level, module refcount 0, unload, kernel log clean (checked by
# scripts/testhost as well).
cd "$(dirname "$0")/../.." || exit 1
. tests/host/memcheck.sh
ko=${DOMUS_KO:-./domus.ko}
seed=$1 seed2=$2 calls=$3 gops=$4
failed=0
pass() { echo "PASS: devfuzz-amd/$1"; }
fail() { echo "FAIL: devfuzz-amd/$1: $2"; failed=1; }
log=/tmp/devfuzz.log

if insmod "$ko"; then pass insmod; else fail insmod "insmod $ko failed"; exit 1; fi
mc_init || fail memcg "cannot set up the memory cgroup (cgroup2)"
mc_create fuzz
lines0=$(dmesg | wc -l)

# warm-up (first-use allocations), then the cgroup baseline
mc_exec fuzz build/host/devfuzz ioctl 1 2000 >/dev/null 2>&1
mc_settle
r0=$(mc_residue fuzz)

# ioctl TAG SEED
ioctl_run() {
	local tag=$1 s=$2 done_line n u z
	mc_exec fuzz build/host/devfuzz ioctl "$s" "$calls" >$log 2>&1
	echo "info: $tag: rc $?"
	grep -E '^(info|regressions|unexpected|live|stall)' $log | sed 's/^/info: /'
	done_line=$(grep '^DEVFUZZ-DONE' $log)
	echo "info: $done_line"
	n=$(echo "$done_line" | sed -n 's/.* calls=\([0-9]*\) .*/\1/p')
	u=$(echo "$done_line" | sed -n 's/.* unexpected=\([0-9]*\) .*/\1/p')
	z=$(echo "$done_line" | sed -n 's/.* counters-zero=\([0-9]*\) .*/\1/p')
	if [ "$n" = "$calls" ]; then pass $tag/calls; else fail $tag/calls "made ${n:-no} of $calls calls: $(tail -3 $log | tr '\n' '|')"; fi
	if [ "$u" = 0 ]; then pass $tag/oracle; else fail $tag/oracle "${u:-?} unexpected results: $(grep -E '^(unexpected|regressions)' $log | head -3 | tr '\n' '|')"; fi
	if grep -q '^regressions: ok' $log; then pass $tag/regressions; else fail $tag/regressions "$(grep '^regressions' $log | tr '\n' '|')"; fi
	if [ "$z" = 1 ]; then pass $tag/counters-zero; else fail $tag/counters-zero "$(grep '^live' $log)"; fi
}
ioctl_run ioctl "$seed"
ioctl_run ioctl-random "$seed2"

# kill9: SIGKILL in the middle of a run (vCPUs inside DOMUS_RUN, fds open)
# (sh execs devfuzz: $! is the fuzzer itself)
sh -c 'echo $$ >"$0" && exec "$@"' "$MC_ROOT/fuzz/cgroup.procs" build/host/devfuzz ioctl "$seed2" 1000000000 >/dev/null 2>&1 &
kpid=$!
sleep 4
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
if pgrep -x devfuzz >/dev/null; then
	fail kill9-counters-zero "a devfuzz process is still running: $(pgrep -ax devfuzz | tr '\n' '|')"
	pkill -9 -x devfuzz
elif build/host/coretest stats-zero >/tmp/sz.log 2>&1; then
	pass kill9-counters-zero
else
	fail kill9-counters-zero "$(tr '\n' '|' </tmp/sz.log)"
fi

# guest TAG SEED
guest_run() {
	local tag=$1 s=$2 done_line
	mc_exec fuzz build/host/devfuzz guest "$s" "$gops" >$log 2>&1
	echo "info: $tag: rc $?"
	grep -E '^(info|guest|fault)' $log | sed 's/^/info: /'
	done_line=$(grep '^DEVFUZZ-GUEST-DONE' $log)
	echo "info: $done_line"
	if echo "$done_line" | grep -q ' alive=1 '; then pass $tag/alive; else fail $tag/alive "$(tail -4 $log | tr '\n' '|')"; fi
	if echo "$done_line" | grep -q ' faults-ok=1 '; then pass $tag/faults; else fail $tag/faults "$(tail -4 $log | tr '\n' '|')"; fi
	if echo "$done_line" | grep -q ' counters-zero=1 '; then pass $tag/counters-zero; else fail $tag/counters-zero "$(tail -2 $log | tr '\n' '|')"; fi
}
guest_run guest "$seed"
guest_run guest-random "$seed2"

mc_settle
r1=$(mc_residue fuzz)
echo "info: cgroup residue (KiB): after the warm-up $r0; after the fuzzers $r1"
# Hundreds of domains, vCPUs and slots were made and freed by the runs
# above: a leak of one page per domain is far above the tolerance.
growth= total=0
for k in anon file shmem kernel sock; do
	b=$(mc_field "$r0" $k) e=$(mc_field "$r1" $k)
	[ -n "$b" ] && [ -n "$e" ] || { total=999999; continue; }
	growth="$growth $k:$((e - b))"
	[ $((e - b)) -gt 0 ] && total=$((total + e - b))
done
if [ $total -le 128 ]; then pass cgroup-residue; else fail cgroup-residue "the fuzzers left $total KiB charged to their cgroup (tolerance 128 KiB):$growth"; fi

if [ "$(cat /sys/module/domus/refcnt)" = 0 ]; then pass refcnt-zero; else fail refcnt-zero "refcnt $(cat /sys/module/domus/refcnt)"; fi
if rmmod domus; then pass rmmod; else fail rmmod "rmmod domus failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount|lockdep|KASAN|leak' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
