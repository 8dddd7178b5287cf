#!/bin/bash
# Stress for PV guests inside the AMD-V test host (run by
# tests/suites/70-pv-stress-amd through scripts/testhost), through the
# product path (`domus create` / `domus destroy`):
#
# hcfuzz: the stock Debian kernel (its ELF image, unpacked from the bzImage
#   by the suite) boots with build/pvstress/fuzz.cpio,
#   whose /fuzz-init loads the guest's privcmd driver and runs
#   tests/host/pv-hcfuzz (100,000 random hypercalls through
#   /dev/xen/privcmd, then random user-mode VMMCALLs), once with a fixed
#   seed (hcfuzz/...) and once with a random one (hcfuzz-random/...), each
#   in a fresh guest.  Checked: every call was made and nothing unexpected
#   was seen (the fuzzer's oracle, which judged some writes to non-RAM
#   frames: only grant frames are excluded), the
#   guest is alive afterwards (DOMUS-HCFUZZ-ALIVE, printed after a
#   `sleep 1`), the module's table pages grew by no more than the grant
#   frames can need, `domus destroy` works and leaves every module
#   counter at zero.
# cycles: N (20) boot/destroy cycles of the busybox guest
#   (build/pvstress/guest.cpio): boot to DOMUS-GUEST-READY, destroy, the
#   module's counters exactly zero after each; what the cycles' processes
#   and the module left charged to their memory cgroup back to its level
#   after one warm-up cycle; the host's free memory without a downward
#   trend over the cycles (tests/host/memcheck.sh, docs/testing.md).
# ringfuzz: the same guest image; its /fuzz-init runs pv-hcfuzz -r
#   (tests/host/pv-hcfuzz/rings.c): BURSTS (20,000) bursts of garbage in the
#   PV console ring's and the xenstore ring's indices and contents, each
#   followed by an event-channel send.  Checked: the guest mapped both
#   rings and finished with every send accepted, the launcher's main thread
#   (which serves both rings) used at most half the fuzz's wall-clock time
#   and at most 10% in the idle seconds after it (no busy loop), `domus
#   list` shows the domain during the fuzz, the launcher logged the broken
#   rings (console indices, xenstore ring failure) and the guest saw the
#   server's error and its recovery after reconnecting, `domus destroy`
#   works, counters zero.
# The host's kernel log is checked by scripts/testhost and here.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
. tests/host/memcheck.sh
ko=${DOMUS_KO:-./domus.ko}
failed=0
pass() { echo "PASS: pv-stress-amd/$1"; }
fail() { echo "FAIL: pv-stress-amd/$1: $2"; failed=1; }

out=$top/build/pvstress
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log"
mkdir -p "$out/log"
d=build/domus
kernel=${PV_KERNEL:-$out/vmlinux}	# the stock kernel's ELF image (the suite unpacks it)
seed=$(sed -n 's/^seed=//p' "$out/params")
seed2=$(sed -n 's/^seed2=//p' "$out/params")
calls=$(sed -n 's/^calls=//p' "$out/params")
cycles=$(sed -n 's/^cycles=//p' "$out/params")

# DOMUS_GET_GLOBAL_STATS: "domains vcpus pinned_pages npt_pages hw_cpus"
gstats() {
	/usr/bin/python3 - <<'PY'
import fcntl, os, struct
fd = os.open("/dev/domus", os.O_RDWR)
buf = bytearray(64)
fcntl.ioctl(fd, 0xC040D502, buf)      # _IOWR(0xD5, 0x02, 64 bytes)
d, v, p, n, h = struct.unpack_from("<QQQQI", buf)
print(d, v, p, n, h)
PY
}
# counters_zero: the module's live-object counters are all zero (within 3 s)
counters_zero() {
	local i
	for i in $(seq 30); do
		s=$(gstats)
		[ "$s" = "0 0 0 0 0" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_log FILE PATTERN SECONDS: PATTERN (grep -E) in FILE
wait_log() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -le "$end" ]; do
		grep -aEq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.3	# one process per poll: the test host has one CPU, shared with the guest
	done
	return 1
}
no_launcher() { ! pgrep -x domus-launcher >/dev/null; }
# cfg NAME RAMDISK EXTRA: an xl config for the test guests
cfg() {
	cat >"$out/$1.cfg" <<EOF
name = "$1"
type = "pvh"
type = "pvh"
memory = 256
vcpus = 1
kernel = "$kernel"
ramdisk = "$2"
extra = "console=hvc0 $3"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
EOF
}

echo "info: module $ko"
if insmod "$ko"; then pass insmod; else fail insmod "insmod $ko failed"; exit 1; fi
mc_init || fail memcg "cannot set up the memory cgroup (cgroup2)"
lines0=$(dmesg | wc -l)

# ---- hcfuzz ----------------------------------------------------------------------
# hcfuzz TAG SEED: one fuzz guest, checks named TAG/...; the fixed seed
# (hcfuzz/...) keeps make check repeatable, the random one (hcfuzz-random/...)
# explores; both are printed, so a failure can be replayed.
hcfuzz() {
	local tag=$1 seed=$2 con done_line n u jn before after t0 t1 t2 ts bad pb nb pa na
	echo "info: $tag: seed $seed, $calls calls (repeat with HCFUZZ_SEED=$seed)"
	cfg $tag "$out/fuzz.cpio" "rdinit=/fuzz-init hcfuzz_seed=$seed hcfuzz_calls=$calls"
	con=$out/log/$tag-console.log
	t0=$(date +%s)
	if $d create "$out/$tag.cfg" 2>"$out/$tag.create.err"; then
		if wait_log "$con" 'DOMUS-HCFUZZ-READY' 180; then
			pass $tag/guest-ready
			before=$(gstats)
			echo "info: $tag: counters before the fuzz (domains vcpus pinned npt hw_cpus): $before"
			t1=$(date +%s)
			echo "info: $tag: boot to the privcmd guest took $((t1 - t0)) s"
			wait_log "$con" 'DOMUS-HCFUZZ-DONE|DOMUS-HCFUZZ-ALIVE' 600
			wait_log "$con" 'DOMUS-HCFUZZ-ALIVE' 30
			t2=$(date +%s)
			tr -d '\r' <"$con" | grep -a '^DOMUS-HCFUZZ' | grep -av -- '-READY\|-ALIVE' | sed 's/^/info: /'
			done_line=$(tr -d '\r' <"$con" | grep -a '^DOMUS-HCFUZZ-DONE' | head -1)
			n=$(echo "$done_line" | sed -n 's/.* calls=\([0-9]*\) .*/\1/p')
			u=$(echo "$done_line" | sed -n 's/.* unexpected=\([0-9]*\) .*/\1/p')
			echo "info: $tag: fuzz took $((t2 - t1)) s"
			if [ -n "$n" ] && [ "$n" = "$calls" ]; then
				pass $tag/calls
			else
				fail $tag/calls "the fuzzer did not finish its $calls calls: $(tr -d '\r' <"$con" | grep -a 'DOMUS-HCFUZZ' | tail -2 | tr '\n' '|'); console: $(tail -c 400 "$con" | tr -d '\r' | tr '\n' '|')"
			fi
			if [ "$u" = 0 ]; then pass $tag/oracle; else fail $tag/oracle "$u unexpected results: $(tr -d '\r' <"$con" | grep -a 'unexpected:' | head -3 | tr '\n' '|')"; fi
			# the oracle judged writes to non-RAM frames (not all were excluded as grant frames)
			jn=$(echo "$done_line" | sed -n 's/.* judged-nonram=\([0-9]*\) .*/\1/p')
			if [ -n "$jn" ] && [ "$jn" -gt 0 ]; then
				pass $tag/oracle-nonram-judged
			else
				fail $tag/oracle-nonram-judged "no call through a pointer to a non-RAM frame was judged ($(tr -d '\r' <"$con" | grep -a 'DOMUS-HCFUZZ: judged:\|grant frames' | tr '\n' '|'))"
			fi
			if tr -d '\r' <"$con" | grep -aq 'DOMUS-HCFUZZ-ALIVE'; then
				pass $tag/guest-alive
			else
				fail $tag/guest-alive "no DOMUS-HCFUZZ-ALIVE after the fuzz: $($d list | tr '\t\n' ' |'); console: $(tail -c 400 "$con" | tr -d '\r' | tr '\n' '|')"
			fi
			bad=$(tr -d '\r' <"$con" | grep -aE 'BUG:|Oops|Call Trace|Kernel panic|WARNING:' | head -3)
			if [ -z "$bad" ]; then pass $tag/guest-no-oops; else fail $tag/guest-no-oops "$(echo "$bad" | tr '\n' '|')"; fi
			after=$(gstats)
			echo "info: $tag: counters after the fuzz: $after"
			# The guest may place grant frames outside RAM 128 times (4 per
			# frame, module/pv/gnttab.c), each needing at most 3 new table
			# pages; nothing else a guest does grows the nested page tables.
			# The fuzzer's grant-frame walk tries 1000 placements in new
			# 1 GiB regions (~2 table pages each without the bound).
			set -- $before; pb=$3 nb=$4
			set -- $after; pa=$3 na=$4
			if [ -n "$na" ] && [ $((na - nb)) -le 384 ]; then
				pass $tag/npt-bounded
			else
				fail $tag/npt-bounded "nested page-table pages grew from $nb to $na during the fuzz (a guest may add at most 384)"
			fi
			if [ -n "$pa" ] && [ $((pa - pb)) -le 32 ]; then
				pass $tag/pinned-bounded
			else
				fail $tag/pinned-bounded "pinned pages grew from $pb to $pa during the fuzz (grant frames: at most 32)"
			fi
			if $d list $tag | grep -Eq "^$tag +[0-9]+ +256 +1 +(r-----|-b----) "; then
				pass $tag/list-running
			else
				fail $tag/list-running "$($d list | tr '\t\n' ' |')"
			fi
		else
			fail $tag/guest-ready "no DOMUS-HCFUZZ-READY within 180 s: $(tail -c 400 "$con" 2>/dev/null | tr -d '\r' | tr '\n' '|'); log: $(tail -3 "$out/log/$tag.log" | tr '\n' '|')"
		fi
		ts=$(date +%s.%N)
		if timeout 60 $d destroy $tag && ! $d list $tag >/dev/null 2>&1 && no_launcher; then
			pass $tag/destroy
		else
			fail $tag/destroy "$($d list | tr '\t\n' ' |'), launcher $(pgrep -x domus-launcher || echo none)"
		fi
		echo "info: $tag: destroy took $(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
		if counters_zero; then pass $tag/counters-zero; else fail $tag/counters-zero "live objects (domains vcpus pinned npt hw_cpus): $s"; fi
	else
		fail $tag/create "$(tr '\n' '|' <"$out/$tag.create.err")"
	fi
	grep -a 'guest: ' "$out/log/$tag.log" 2>/dev/null | wc -c | sed 's/^/info: hcfuzz: early-console bytes logged: /'
}
hcfuzz hcfuzz "$seed"
[ -z "$seed2" ] || hcfuzz hcfuzz-random "$seed2"

# ---- ringfuzz -----------------------------------------------------------------
# main-thread CPU ticks (utime + stime) of process $1
mcpu() { awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat" 2>/dev/null; }
ringfuzz() {
	local tag=ringfuzz log pid c0 c1 c2 w0 w1 w2 hz done_line pct idle idlemax
	rseed=$(sed -n 's/^rseed=//p' "$out/params")
	rbursts=$(sed -n 's/^rbursts=//p' "$out/params")
	echo "info: $tag: seed $rseed, $rbursts bursts (repeat with RINGFUZZ_SEED=$rseed)"
	cfg $tag "$out/fuzz.cpio" "rdinit=/fuzz-init hcfuzz_seed=$rseed ringfuzz=$rbursts"
	# the kernel's console away from the corrupted ring: reports come
	# through the early console (console_io) into the launcher's log
	sed -i 's/"console=hvc0 /"console=tty0 earlyprintk=xen keep_bootcon printk.devkmsg=on /' "$out/$tag.cfg"
	log=$out/log/$tag.log
	hz=$(getconf CLK_TCK)
	if ! $d create "$out/$tag.cfg" 2>"$out/$tag.create.err"; then
		fail $tag/create "$(tr '\n' '|' <"$out/$tag.create.err")"
		return
	fi
	pid=$(pgrep -x domus-launcher | head -1)
	if wait_log "$log" 'DOMUS-RINGFUZZ-START|DOMUS-RINGFUZZ: FAILED' 180 && grep -aq 'DOMUS-RINGFUZZ-START' "$log"; then
		pass $tag/rings-mapped
		c0=$(mcpu "$pid") w0=$(date +%s.%N)
		if $d list $tag | grep -Eq "^$tag +[0-9]+ +256 +1 "; then
			pass $tag/list-during
		else
			fail $tag/list-during "$($d list 2>&1 | tr '\t\n' ' |')"
		fi
		# the guest idles 3 s after DONE, then says ALIVE (1 s later) and
		# powers off: the window DONE..ALIVE is the launcher with an idle
		# guest, before the domain's teardown (which costs CPU time under load)
		wait_log "$log" 'DOMUS-RINGFUZZ-DONE|DOMUS-HCFUZZ-ALIVE' 600
		c1=$(mcpu "$pid") w1=$(date +%s.%N)
		wait_log "$log" 'DOMUS-HCFUZZ-ALIVE' 60
		c2=$(mcpu "$pid") w2=$(date +%s.%N)
		grep -a 'DOMUS-RINGFUZZ' "$log" | sed 's/^.*guest: \(\[[^]]*\] \)\?/info: /'
		done_line=$(grep -a 'DOMUS-RINGFUZZ-DONE' "$log" | head -1)
		if [ "$(echo "$done_line" | sed -n 's/.* bursts=\([0-9]*\) .*/\1/p')" = "$rbursts" ] &&
		   echo "$done_line" | grep -q ' send-failures=0 '; then
			pass $tag/bursts
		else
			fail $tag/bursts "no DOMUS-RINGFUZZ-DONE bursts=$rbursts with every send accepted: '$done_line'; $(tail -3 "$log" | tr '\n' '|')"
		fi
		if grep -aq 'DOMUS-HCFUZZ-ALIVE rc=0' "$log"; then pass $tag/guest-alive; else fail $tag/guest-alive "$(tail -3 "$log" | tr '\n' '|')"; fi
		pct=$(awk -v c="$((c1 - c0))" -v h="$hz" -v a="$w0" -v b="$w1" 'BEGIN { printf "%d", 100 * c / h / (b - a) }')
		idle=$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.1f", b - a }')
		idlemax=$(awk -v a="$w1" -v b="$w2" -v h="$hz" 'BEGIN { printf "%d", (b - a) * h / 4 }')
		echo "info: $tag: launcher main thread: $((c1 - c0)) ticks in $(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }') s of fuzz ($pct%), $((c2 - c1)) ticks in the $idle s of an idle guest after it"
		if [ -n "$c1" ] && [ "$pct" -le 50 ]; then pass $tag/cpu-bounded; else fail $tag/cpu-bounded "the launcher's main thread used $pct% of the fuzz's time"; fi
		# a busy loop takes the whole window; 25% leaves room for a loaded host
		if [ -n "$c2" ] && awk -v t="$idle" 'BEGIN { exit !(t >= 2) }' && [ $((c2 - c1)) -le "$idlemax" ]; then
			pass $tag/idle-after
		else
			fail $tag/idle-after "the launcher's main thread used $((c2 - c1)) ticks in the $idle s after the fuzz with the guest idle (no busy loop: at most $idlemax, a window of 2 s or more)"
		fi
		if grep -aq 'PV console: bad output indices' "$log" &&
		   grep -aq "xenstore: the guest's ring failed" "$log"; then
			pass $tag/detected
		else
			fail $tag/detected "the launcher did not log both broken rings: $(grep -a 'PV console\|xenstore' "$log" | tail -3 | tr '\n' '|')"
		fi
		if echo "$done_line" | grep -Eq 'recovered=[1-9]' && echo "$done_line" | grep -Eq 'ringidx:[1-9]|proto:[1-9]'; then
			pass $tag/xs-error-and-recovery
		else
			fail $tag/xs-error-and-recovery "the guest did not see the xenstore server's error and its recovery: '$done_line'"
		fi
	else
		fail $tag/rings-mapped "$(grep -a 'RINGFUZZ\|HCFUZZ' "$log" | tail -3 | tr '\n' '|') $(tail -3 "$log" | tr '\n' '|')"
	fi
	if timeout 60 $d destroy $tag && ! $d list $tag >/dev/null 2>&1 && no_launcher; then
		pass $tag/destroy
	else
		fail $tag/destroy "$($d list | tr '\t\n' ' |'), launcher $(pgrep -x domus-launcher || echo none)"
	fi
	if counters_zero; then pass $tag/counters-zero; else fail $tag/counters-zero "live objects (domains vcpus pinned npt hw_cpus): $s"; fi
}
ringfuzz

# ---- boot/destroy cycles ------------------------------------------------------
# cycle I: create, wait for the marker, destroy, counters zero.  Sets ok=0 on failure.
cycle() {
	local name=cyc$1 t0 t1
	ok=1
	cfg $name "$out/guest.cpio" "rdinit=/init"
	t0=$(date +%s.%N)
	if ! mc_exec cycles $d create "$out/$name.cfg" 2>"$out/$name.create.err"; then
		fail "cycles/$1-create" "$(tr '\n' '|' <"$out/$name.create.err")"
		ok=0
		return
	fi
	if ! wait_log "$out/log/$name-console.log" 'DOMUS-GUEST-READY' 120; then
		fail "cycles/$1-boot" "no DOMUS-GUEST-READY within 120 s: $(tail -3 "$out/log/$name.log" | tr '\n' '|')"
		ok=0
	fi
	t1=$(date +%s.%N)
	if ! timeout 60 $d destroy $name || $d list $name >/dev/null 2>&1 || ! no_launcher; then
		fail "cycles/$1-destroy" "$($d list | tr '\t\n' ' |')"
		ok=0
	fi
	if ! counters_zero; then
		fail "cycles/$1-counters-zero" "after destroy: live objects (domains vcpus pinned npt hw_cpus): $s"
		ok=0
	fi
	boot_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	rm -f "$out/$name.cfg" "$out/$name.create.err"
}

ct0=$(date +%s)
mc_create cycles
cycle 0		# warm-up: first-use allocations (slab caches, page cache of the binaries)
mc_settle
r0=$(mc_residue cycles)
echo "info: cycles: cgroup residue after the warm-up cycle (KiB): $r0"
allok=1 times= frees=
for i in $(seq "$cycles"); do
	cycle "$i"
	[ $ok = 1 ] || allok=0
	times="$times $boot_s"
	sync; echo 3 >/proc/sys/vm/drop_caches
	frees="$frees $(mc_hostfree)"
	[ $allok = 1 ] || break
done
echo "info: cycles: create to marker (s):$times"
echo "info: cycles: host free memory after each cycle (KiB, caches dropped, per-CPU lists included):$frees"
if [ $allok = 1 ]; then pass "cycles/$cycles-boot-destroy-counters-zero"; fi
mc_settle
r1=$(mc_residue cycles)
echo "info: cycles: cgroup residue after $cycles more cycles (KiB): $r1"
echo "info: cycles: took $(( $(date +%s) - ct0 )) s"
# What the cycles' processes (CLI, launcher) and the module on their behalf
# left charged to their cgroup: back to the warm-up level.  The charge
# caches make an error under a page per CPU, not growing with the cycles;
# slab pages the cycles' files and sockets left partly used stay charged
# too: measured growth over 20 cycles up to 28 KiB with no leak (see
# docs/testing.md).  Tolerance 48 KiB in all: a leak of one page per domain
# (80 KiB over 20 cycles) fails.
growth= total=0
for k in anon file shmem kernel sock; do
	b=$(mc_field "$r0" $k) e=$(mc_field "$r1" $k)
	[ -n "$b" ] && [ -n "$e" ] || { total=999999; continue; }
	growth="$growth $k:$((e - b))"
	[ $((e - b)) -gt 0 ] && total=$((total + e - b))
done
if [ $total -le 48 ]; then
	pass cycles/cgroup-residue
else
	fail cycles/cgroup-residue "the $cycles cycles left $total KiB charged to their cgroup (tolerance 48 KiB):$growth"
fi
echo "info: cycles: cgroup growth over $cycles cycles (KiB):$growth"
# The whole host: the least-squares trend of its free memory over the
# cycles, times the number of cycles, must not lose more than 2 MiB
# (a leak of 100 KiB per cycle; single samples scatter by about 1 MiB,
# the trend of a leak-free run measured below 0.5 MiB: docs/testing.md).
slope=$(mc_slope $frees)
loss=$(awk -v s="$slope" -v n="$cycles" 'BEGIN { printf "%d", -s * n }')
echo "info: cycles: host free memory trend $slope KiB per cycle ($loss KiB lost over $cycles cycles)"
if [ "$loss" -le 2048 ]; then
	pass cycles/host-free-trend
else
	fail cycles/host-free-trend "host free memory falls by $slope KiB per cycle ($loss KiB over $cycles cycles, tolerance 2048 KiB):$frees"
fi

if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount|leak' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
