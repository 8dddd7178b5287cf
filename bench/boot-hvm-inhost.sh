#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/boot with BENCH_BOOT_ROWS=hvm):
# boot the Debian 12 HVM disk of scripts/mkhvmdisk to its login prompt under
# domus (type='hvm') and under QEMU with kvm_amd (-M pc, SeaBIOS, IDE), and
# print the time to the prompt, exit counts and the ratio domus/KVM.
#
# usage: bench/boot-hvm-inhost.sh ROUNDS DISK [DOMUS]
#   ROUNDS  boots per row, the median is reported
#   DISK    the disk of scripts/mkhvmdisk; every boot gets a fresh sparse
#           copy of it in the test host's tmpfs (the guest writes to it)
#   DOMUS   1: measure domus (default); 0: skip it (domus row n/a)
#
# Rows (each boot timed from the launch of the command to the first
# "domus-guest login:" on the guest's serial console, followed without a
# process started (watch below); the prompt has no newline after it):
#   domus hvm  `domus create -c CFG`, type='hvm', memory=512, the disk as
#              hda, boot='c', serial='pty' (as tests/host/amd-hvmlinux.sh):
#              the launcher's SeaBIOS, GRUB on COM1, the kernel, systemd;
#              at the prompt `domus stats`, then `domus destroy`
#   kvm pc     qemu-system-x86_64 -accel kvm -cpu host -M pc -m 512 -smp 1
#              -nodefaults, the same disk copy as an IDE disk (QEMU's
#              SeaBIOS, the same GRUB, kernel and root), COM1 into a file;
#              at the prompt KVM's debugfs counters, then QEMU is killed
# Stage times (first SeaBIOS banner, GRUB's "Booting", "Linux version",
# the initramfs, systemd's "Welcome", the prompt) are printed per boot:
# where the minutes go.
#
# Exit status: 0 when every measurement that was attempted succeeded,
# 1 when one failed.  KVM failing to run the guest is reported as the
# row's n/a reason (QEMU's error text), and is a failed measurement.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
rounds=${1:-1}
src=${2:?usage: bench/boot-hvm-inhost.sh ROUNDS DISK [DOMUS]}
want_domus=${3:-1}
limit=${BENCH_HVM_TIMEOUT:-1800}	# seconds per boot
mem=512
marker='domus-guest login:'
out=$top/build/bench/boot-hvm
rm -rf "$out"
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/boothvm.XXXXXX)	# tmpfs: holes; not the 9p share
mkfifo "$tmp/tick" && exec 5<>"$tmp/tick"	# watch's pause: a read that times out
status=0
say() { echo "boot-hvm: $*"; }
declare -A note
results=
add() { results+="$1"$'\n'; }

cpid=
cleanup() {
	[[ -n $cpid ]] && kill "$cpid" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# the stages, in the order they appear on the console (grep -E); KVM's
# SeaBIOS writes to its debug port, not COM1, so its first stage is n/a
stage_names=(bios grub linux initramfs systemd login)
stage_pats=('SeaBIOS \(version' 'Booting `Debian GNU/Linux 12' 'Linux version [0-9]'
	'Run /init as init process|Loading, please wait' 'Welcome to .*Debian GNU/Linux 12' "$marker")

fresh_disk() {
	rm -f "$tmp/disk.img"
	cp --sparse=always "$src" "$tmp/disk.img"
}

# watch FILE PID T0 STAGES-OUT: follow FILE (the guest console) until the
# login prompt, PID's end or the time limit; each stage's first sighting
# (seconds after T0) into STAGES-OUT.  Prints the time to the prompt;
# returns 1 without it.  It starts no process while the guest boots (the
# test host has one CPU, and a poll that forks takes a share of it from
# the guest being timed, bench/io's lesson): FILE is read on fd 6 line by
# line, the line still being written (the prompt has no newline) is
# matched too, and the pause between reads is a timed read of the FIFO on
# fd 5, which no one writes.
since() {	# T0: seconds from T0 to now, one decimal (no fork)
	local d=$(( ${EPOCHREALTIME/./} - ${1/./} ))
	echo "$((d / 1000000)).$((d / 100000 % 10))"
}
watch() {
	local f=$1 pid=$2 t0=$3 so=$4 i=0 n=${#stage_names[@]} end line buf= cur partial
	end=$(( ${t0%.*} + limit ))
	: >"$so"
	exec 6<"$f" || return 1
	while :; do
		while :; do
			if IFS= read -r -u 6 line; then
				cur=$buf${line//$'\r'/} buf= partial=0
			else
				buf+=${line//$'\r'/}	# a line still being written
				cur=$buf partial=1
			fi
			while ((i < n)); do
				if [[ $cur =~ ${stage_pats[i]} ]]; then
					echo "${stage_names[i]} $(since "$t0")" >>"$so"
					((i++))
				elif [[ ${stage_names[i]} == bios ]] && ((i < n - 1)) &&
					[[ $cur =~ ${stage_pats[i + 1]} ]]; then
					((i++))	# a stage may be missing (KVM's SeaBIOS banner)
				else
					break
				fi
			done
			if ((i >= n)); then
				exec 6<&-
				awk '$1 == "login" { print $2 }' "$so"
				return 0
			fi
			((partial)) && break	# matched what there is so far
		done
		if ! kill -0 "$pid" 2>/dev/null || ((${EPOCHREALTIME%.*} >= end)); then
			exec 6<&-
			return 1
		fi
		read -r -t 0.1 -u 5 line
	done
}
stages_line() {	# STAGES-FILE: "bios 12.3, grub 45.6, ..."
	awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " } END { print "" }' "$1"
}
show() {	# ROW ROUND TIME EXITS DETAIL
	say "$(printf '%-10s round %s: login prompt after %s s, exits %s %s' "$@")"
}

# ---- domus ----------------------------------------------------------------------
export DOMUS_RUN_DIR=/run/domus-bench DOMUS_LOG_DIR=$out/log
domus_stats_detail() {	# "N reason=count,..." from a domus stats file
	awk '$1 == "exits" { n = $2; next }
	     $1 != "pinned_pages" && $1 != "npt_pages" && $1 != "vcpus" && $1 != "slots" && $1 != "user_exits" && $2 != 0 {
		d = d sep $1 "=" $2; sep = "," }
	     END { if (n == "") exit 1; print n, d }' "$1"
}
hvm_domus() {	# ROUND
	local r=$1 name=hvmbench$1 f=$out/domus-hvm.$1 t0 tm ex st=0
	if ! insmod ./domus.ko; then
		note[domus]="insmod domus.ko failed"
		return 1
	fi
	if ! fresh_disk; then
		note[domus]="cp --sparse=always $src failed"
		rmmod domus
		return 1
	fi
	cat >"$tmp/g.cfg" <<EOF
name = "$name"
type = "hvm"
memory = $mem
disk = [ 'file:$tmp/disk.img,hda,w' ]
boot = "c"
serial = "pty"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	exec 3<>"$tmp/in"	# the console client's stdin, kept open
	t0=$EPOCHREALTIME
	build/domus create -c "$tmp/g.cfg" <"$tmp/in" >"$f.out" 2>"$f.err" &
	cpid=$!
	# the console as the launcher logs it (what -c shows, without the
	# client's own messages)
	for _ in $(seq 100); do [[ -e $DOMUS_LOG_DIR/$name-console.log ]] && break; sleep 0.1; done
	if tm=$(watch "$DOMUS_LOG_DIR/$name-console.log" "$cpid" "$t0" "$f.stages"); then
		build/domus stats "$name" >"$f.stats" 2>&1
		ex=$(domus_stats_detail "$f.stats") || ex="n/a n/a"
		add "domus-hvm $r $tm $ex"
		show domus-hvm "$r" "$tm" $ex
	else
		st=1
		say "domus-hvm round $r: no login prompt within $limit s ($(stages_line "$f.stages")); console:"
		tr -d '\r' <"$DOMUS_LOG_DIR/$name-console.log" 2>/dev/null | tail -5 | sed 's/^/    /'
		sed 's/^/    create: /' "$f.err" | tail -3
	fi
	say "domus-hvm round $r stages: $(stages_line "$f.stages")"
	build/domus destroy "$name" >/dev/null 2>&1
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	cpid=
	exec 3>&-
	rm -f "$tmp/disk.img"
	sleep 0.5
	rmmod domus || { say "rmmod domus failed"; st=1; }
	return $st
}

# ---- KVM ------------------------------------------------------------------------
dbg=/sys/kernel/debug/kvm
qemu=$(command -v qemu-system-x86_64)
hvm_kvm() {	# ROUND
	local r=$1 f=$out/kvm-hvm.$1 t0 tm ex st=0 e
	if ! modprobe kvm_amd; then
		note[kvm]="modprobe kvm_amd failed"
		return 1
	fi
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	if ! fresh_disk; then
		note[kvm]="cp --sparse=always $src failed"
		rmmod kvm_amd kvm
		return 1
	fi
	: >"$f"
	t0=$EPOCHREALTIME
	"$qemu" -accel kvm -cpu host -M pc -m $mem -smp 1 -nodefaults -no-user-config \
		-display none -no-reboot -serial "file:$f" \
		-drive "file=$tmp/disk.img,format=raw,if=ide" \
		-pidfile "$out/qemu.pid" </dev/null >"$f.qemu" 2>&1 &
	cpid=$!
	if tm=$(watch "$f" "$cpid" "$t0" "$f.stages"); then
		e=$(cat $dbg/exits 2>/dev/null)
		ex="${e:-n/a} io=$(cat $dbg/io_exits 2>/dev/null),mmio=$(cat $dbg/mmio_exits 2>/dev/null),irq=$(cat $dbg/irq_exits 2>/dev/null),hlt=$(cat $dbg/halt_exits 2>/dev/null),irqwin=$(cat $dbg/irq_window_exits 2>/dev/null)"
		add "kvm-hvm $r $tm $ex"
		show kvm-hvm "$r" "$tm" $ex
	else
		st=1
		if ! kill -0 "$cpid" 2>/dev/null; then
			wait "$cpid"
			note[kvm]="QEMU+KVM could not run the HVM guest: qemu exited with status $? after $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s: $(tr '\n' ' ' <"$f.qemu" | cut -c1-400)"
		else
			note[kvm]="QEMU+KVM: no login prompt within $limit s ($(stages_line "$f.stages"))"
		fi
		say "kvm-hvm round $r: ${note[kvm]}; console:"
		tr -d '\r' <"$f" | tail -5 | sed 's/^/    /'
	fi
	say "kvm-hvm round $r stages: $(stages_line "$f.stages")"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	cpid=
	rm -f "$tmp/disk.img"
	rmmod kvm_amd kvm || { say "rmmod kvm_amd kvm failed"; st=1; }
	return $st
}

# ---- rounds: ABBA, as bench/boot-inhost.sh -------------------------------------
cat build/domus build/domus-launcher >/dev/null
[[ -n $qemu ]] && { cat "$qemu" >/dev/null; "$qemu" --version | head -1 | sed 's/^/boot-hvm: kvm: /'; }
say "disk $src ($(( $(du -k "$src" | cut -f1) / 1024 )) MiB allocated of $(( $(stat -c %s "$src") / 1048576 )) MiB); $(free -m | awk '/^Mem:/ { print $2 " MiB in the test host" }')"
do_domus=1 do_kvm=1
if [[ $want_domus != 1 ]]; then
	note[domus]="domus.ko not built"; do_domus=0
elif lsmod | grep -q '^kvm'; then
	note[domus]="kvm was loaded before the benchmark"; do_domus=0; status=1
fi
if [[ -z $qemu ]]; then
	note[kvm]="qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"; do_kvm=0; status=1
fi
side() {	# domus|kvm ROUND
	if [[ $1 == domus ]] && ((do_domus)); then
		hvm_domus "$2" || status=1
		[[ -n ${note[domus]:-} ]] && do_domus=0
	elif [[ $1 == kvm ]] && ((do_kvm)); then
		hvm_kvm "$2" || status=1
		[[ -n ${note[kvm]:-} ]] && do_kvm=0
	fi
}
for r in $(seq "$rounds"); do
	if ((r % 2)); then side domus "$r"; side kvm "$r"; else side kvm "$r"; side domus "$r"; fi
done

# ---- table ----------------------------------------------------------------------
median() {	# ROW COL: the median of column COL ($3 time, $4 exits)
	printf '%s' "$results" | awk -v r="$1" -v c="$2" '$1 == r && $c != "n/a" { print $c }' |
		sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "n/a") }'
}
detail() {
	local m; m=$(median "$1" 4)
	printf '%s' "$results" | awk -v r="$1" -v m="$m" '$1 == r && $4 == m { print $5; exit }'
}
echo
echo "HVM boot to the login prompt, median of $rounds boots per row (AMD-V test host, QEMU TCG; kvm nested)"
echo "disk $(basename "$src") (SeaBIOS, GRUB on COM1, the stock kernel, systemd), $mem MiB, 1 vCPU"
printf '%-40s %8s %9s  %s\n' "row" "time s" "exits" "exit detail"
for row in domus-hvm kvm-hvm; do
	case $row in
	domus-hvm) label="domus create -c (type='hvm', hda)" ;;
	kvm-hvm) label="kvm, qemu -M pc (SeaBIOS, IDE)" ;;
	esac
	printf '%-40s %8s %9s  %s\n' "$label" "$(median $row 3)" "$(median $row 4)" "$(detail $row)"
done
d=$(median domus-hvm 3) v=$(median kvm-hvm 3)
if [[ $d != n/a && $v != n/a ]]; then
	echo "ratio domus/kvm (HVM): $(awk -v a="$d" -v b="$v" 'BEGIN { printf "%.2f", a / b }') (goal <= 1.0)"
else
	why=
	[[ $d == n/a ]] && why+="domus: ${note[domus]:-no login prompt}; "
	[[ $v == n/a ]] && why+="kvm: ${note[kvm]:-no login prompt}; "
	echo "ratio domus/kvm (HVM): n/a (${why%; })"
fi
for k in domus kvm; do
	[[ -n ${note[$k]:-} ]] && echo "$k: ${note[$k]}"
done
echo "per-boot consoles and stage times: build/bench/boot-hvm/"
exit $status
