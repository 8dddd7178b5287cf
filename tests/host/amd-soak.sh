#!/usr/bin/env bash
# The soak, inside the AMD-V test host (tests/soak/run starts it; docs/testing.md
# "Soak"): long-lived PV guests plus a create/destroy storm for the minutes
# in build/soak/params, sampling the host and the long-lived launchers.
#
# Samples are taken between storm cycles (the storm pauses), with only the
# long-lived guests alive and the caches dropped.
# Checks (trends are least-squares slopes over the samples after the
# warm-up, the first quarter of them, extrapolated over the measured span):
#   long-lived guests boot, stay listed as running, and their consoles
#   keep ticking; every storm guest is created and destroyed (domain count
#   back to the long-lived ones within 3 s);
#   host MemAvailable (plus the per-CPU free lists) trend: loses at most 16 MiB;
#   host Slab trend: grows at most 8 MiB;
#   each long-lived launcher's RSS trend: grows at most 1 MiB;
#   each long-lived launcher's open fds: trend under 1 and the last sample
#   at most 2 above the first after the warm-up;
#   then everything destroyed: module counters zero, rmmod, clean log.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
ko=${DOMUS_KO:-./domus.ko}
failed=0
pass() { echo "PASS: soak/$1"; }
fail() { echo "FAIL: soak/$1: $2"; failed=1; }

out=$top/build/soak
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log" "$out/samples"
mkdir -p "$out/log"
d=build/domus
minutes=$(sed -n 's/^minutes=//p' "$out/params")
nlong=$(sed -n 's/^guests=//p' "$out/params")
period=$(sed -n 's/^sample=//p' "$out/params")

gstats() {
	/usr/bin/python3 - <<'PY'
import fcntl, os, struct
fd = os.open("/dev/domus", os.O_RDWR)
buf = bytearray(64)
fcntl.ioctl(fd, 0xC040D502, buf)      # DOMUS_GET_STATS: live domains vcpus pinned npt hw_cpus
print(*struct.unpack_from("<QQQQI", buf))
PY
}
domains() { gstats | cut -d' ' -f1; }
wait_log() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -le "$end" ]; do
		grep -aEq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}
cfg() {
	cat >"$out/$1.cfg" <<EOF
name = "$1"
type = "pvh"
type = "pvh"
memory = 128
vcpus = 1
kernel = "$out/vmlinux"
ramdisk = "$out/soak.cpio"
extra = "console=hvc0 $2"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
EOF
}
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# MemAvailable plus the pages on the per-CPU free lists (KiB): drop_caches
# does not drain those lists, which hold tens of MiB on the test host and
# were the noise of MemAvailable alone (tests/host/memcheck.sh, mc_hostfree)
memavail() {
	echo $(( $(meminfo MemAvailable) + 4 * $(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo) ))
}
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# slope SAMPLES...: least-squares slope per sample; growth SAMPLES...: the
# slope times the samples' span (what the trend adds over the run)
slope() {
	echo "$@" | awk '{ n = NF; for (i = 1; i <= n; i++) { sx += i; sy += $i; sxx += i * i; sxy += i * $i }
		d = n * sxx - sx * sx; printf "%.2f", d ? (n * sxy - sx * sy) / d : 0 }'
}
growth() { echo "$@" | awk -v s="$(slope "$@")" '{ printf "%d", s * (NF - 1) }'; }

echo "info: module $ko, $minutes min, $nlong long-lived guests, a sample every $period s"
if insmod "$ko"; then pass insmod; else fail insmod "insmod $ko failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# the long-lived guests
pids=()
for i in $(seq "$nlong"); do
	cfg long$i "rdinit=/soak-init"
	if $d create "$out/long$i.cfg" 2>"$out/long$i.err" &&
	   wait_log "$out/log/long$i-console.log" 'DOMUS-GUEST-READY' 240; then
		pids+=("$(cat /run/domus/long$i.pid)")
		pass long$i/boot
	else
		fail long$i/boot "$(tr '\n' '|' <"$out/long$i.err"); $(tail -3 "$out/log/long$i.log" 2>/dev/null | tr '\n' '|')"
	fi
done
[ ${#pids[@]} -eq "$nlong" ] || { rmmod domus; exit 1; }

# the storm, in the background: create, destroy after 0-8 s (every fourth
# once booted), check the domain count, again
storm() {
	local n=0 bad=0 name w
	while [ ! -e "$out/stop" ]; do
		if [ -e "$out/pause" ]; then	# the sampler measures now
			touch "$out/paused"
			while [ -e "$out/pause" ]; do sleep 0.2; done
			rm -f "$out/paused"
			continue
		fi
		n=$((n + 1))
		name=storm$((n % 2))
		cfg $name "rdinit=/init"
		rm -f "$out/log/$name"*.log
		if ! $d create "$out/$name.cfg" >/dev/null 2>"$out/$name.err"; then
			echo "storm: create $n failed: $(tr '\n' '|' <"$out/$name.err")"
			bad=$((bad + 1))
			continue
		fi
		if [ $((n % 4)) -eq 0 ]; then
			wait_log "$out/log/$name-console.log" 'DOMUS-GUEST-READY' 180 ||
				{ echo "storm: guest $n did not boot"; bad=$((bad + 1)); }
		else
			w=$((RANDOM % 9)); sleep "$w"
		fi
		if ! timeout 60 $d destroy $name >/dev/null 2>&1; then
			echo "storm: destroy $n failed"
			bad=$((bad + 1))
		fi
		for w in $(seq 30); do [ "$(domains)" = "$nlong" ] && break; sleep 0.1; done
		if [ "$(domains)" != "$nlong" ]; then
			echo "storm: after destroy $n: live domains $(gstats)"
			bad=$((bad + 1))
		fi
	done
	echo "$n $bad" >"$out/storm.result"
}
rm -f "$out/stop" "$out/storm.result" "$out/pause" "$out/paused"
storm >"$out/storm.log" 2>&1 &
spid=$!

# the samples
end=$(( $(date +%s) + minutes * 60 ))
mem=() slab=() lrss=() lfds=()
nsamp=0
ticks0=$(cat "$out"/log/long*-console.log | grep -ac 'soak tick')
while [ "$(date +%s)" -lt "$end" ]; do
	sleep "$period"
	# Samples are taken between storm cycles (no storm guest alive: its
	# 128 MiB would swamp the trend), caches dropped.
	touch "$out/pause"
	for w in $(seq 1500); do [ -e "$out/paused" ] && break; sleep 0.2; done
	for w in $(seq 30); do [ "$(domains)" = "$nlong" ] && break; sleep 0.1; done
	sync; echo 3 >/proc/sys/vm/drop_caches; sleep 1
	nsamp=$((nsamp + 1))
	mem+=("$(memavail)")
	slab+=("$(meminfo Slab)")
	line="sample $nsamp t=$(( $(date +%s) - end + minutes * 60 ))s MemAvailable=${mem[-1]} Slab=${slab[-1]}"
	for i in "${!pids[@]}"; do
		lrss[$i]="${lrss[$i]:-} $(rss "${pids[$i]}")"
		lfds[$i]="${lfds[$i]:-} $(fds "${pids[$i]}")"
		line="$line long$((i + 1)):rss=$(rss "${pids[$i]}"),fds=$(fds "${pids[$i]}")"
	done
	echo "$line" | tee -a "$out/samples"
	rm -f "$out/pause"
done
touch "$out/stop"
wait $spid
read -r storms stormbad <"$out/storm.result"
echo "info: storm: $storms guests created and destroyed, $stormbad problems"
sed 's/^/info: /' "$out/storm.log" | head -20
if [ "$stormbad" = 0 ] && [ "$storms" -gt 0 ]; then pass storm; else fail storm "$stormbad of $storms storm cycles went wrong (see above)"; fi

ticks1=$(cat "$out"/log/long*-console.log | grep -ac 'soak tick')
for i in $(seq "$nlong"); do
	if $d list long$i | grep -Eq "^long$i +[0-9]+ +128 +1 +(r-----|-b----) "; then
		pass long$i/running
	else
		fail long$i/running "$($d list | tr '\t\n' ' |')"
	fi
done
# a console line every 2 s per guest: at least half of them arrived
want=$(( minutes * 60 * nlong / 4 ))
if [ $((ticks1 - ticks0)) -ge "$want" ]; then
	pass consoles-ticking
else
	fail consoles-ticking "$((ticks1 - ticks0)) console lines during the run, expected at least $want"
fi
echo "info: console lines during the run: $((ticks1 - ticks0))"

# trends after the warm-up
skip=$(( nsamp / 4 ))
after() { echo "$@" | cut -d' ' -f$((skip + 1))-; }
if [ $((nsamp - skip)) -lt 4 ]; then
	fail samples "only $nsamp samples: run longer (SOAK_MINUTES) or sample more often (SOAK_SAMPLE)"
else
	g=$(growth $(after "${mem[*]}"))
	echo "info: MemAvailable trend over the run: $g KiB (samples: $(after "${mem[*]}"))"
	if [ "$g" -ge -16384 ]; then pass host-memavailable; else fail host-memavailable "MemAvailable falls by $((-g)) KiB over the run (tolerance 16 MiB)"; fi
	g=$(growth $(after "${slab[*]}"))
	echo "info: Slab trend over the run: $g KiB (samples: $(after "${slab[*]}"))"
	if [ "$g" -le 8192 ]; then pass host-slab; else fail host-slab "Slab grows by $g KiB over the run (tolerance 8 MiB)"; fi
	for i in "${!pids[@]}"; do
		n=long$((i + 1))
		s=$(after ${lrss[$i]})
		g=$(growth $s)
		echo "info: $n launcher RSS trend over the run: $g KiB (samples: $s)"
		if [ "$g" -le 1024 ]; then pass $n/launcher-rss; else fail $n/launcher-rss "RSS grows by $g KiB over the run (tolerance 1 MiB)"; fi
		s=$(after ${lfds[$i]})
		g=$(growth $s)
		first=$(echo $s | cut -d' ' -f1) last=$(echo $s | awk '{ print $NF }')
		echo "info: $n launcher open fds: trend $g, first $first, last $last (samples: $s)"
		if [ "$g" -lt 1 ] && [ "$last" -le $((first + 2)) ]; then
			pass $n/launcher-fds
		else
			fail $n/launcher-fds "open fds went from $first to $last (trend +$g over the run)"
		fi
	done
fi

for i in $(seq "$nlong"); do timeout 60 $d destroy long$i >/dev/null 2>&1; done
for w in $(seq 50); do [ "$(gstats)" = "0 0 0 0 0" ] && break; sleep 0.2; done
if [ "$(gstats)" = "0 0 0 0 0" ]; then pass counters-zero; else fail counters-zero "live objects (domains vcpus pinned npt hw_cpus): $(gstats)"; fi
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount|leak' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
