#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/io): the same block and
# network workloads in a domus PV guest and in a QEMU+KVM guest with virtio,
# one guest after the other (never two in guest mode at once), and a table
# with `ratio domus/kvm` per row.
#
# usage: bench/io-inhost.sh ROUNDS VMLINUX INITRD MIB RANDN NETMIB
#   ROUNDS  rounds; in each, each guest boots, runs the workloads once and
#           shuts down (ABBA: domus first in odd rounds, KVM first in even
#           ones); the median is reported
#   VMLINUX the unpacked ELF kernel, booted by both (domus: PVH; QEMU: PVH
#           direct boot, -M pc)
#   INITRD  scripts/mkinitramfs's image plus xen-netfront, the virtio
#           modules and build/bench/io_load (bench/io builds it)
#   MIB     size of the disk image and of the sequential dd runs (MiB)
#   RANDN   4 KiB random reads per round
#   NETMIB  MiB sent over TCP per round
#
# Each side gets a sparse raw image (created once, kept over the rounds) of MIB MiB in the test host's
# tmpfs (domus: tap:aio:, xvdb; KVM: virtio-blk-pci, cache=writeback --
# domus's back end also writes through the host page cache and fdatasyncs
# on a flush) and a port on bridge br0 (10.9.0.1/24; domus: a vif; KVM:
# virtio-net-pci on a TAP).  Workloads, per round, in this order:
#   seq write   dd if=/dev/zero bs=1M count=MIB oflag=direct conv=fsync
#   seq read    drop caches, dd bs=1M count=MIB iflag=direct
#   rand read   io_load randread: RANDN preads of 4 KiB, O_DIRECT
#   tcp         io_load tcpsend NETMIB MiB to io_load tcpsink on the host
#   cpu         dd if=/dev/zero of=/dev/null bs=1M count=512, and
#   alu mem tlb io_load cpu alu 100 / mem 1000 / tlb 50: no device, the
#               guest's own speed on each side (a reference for the others)
# and, once a round, the guest's clock against the test host's (20 s).
# Times are taken in the guest (/proc/uptime around dd, CLOCK_MONOTONIC in
# io_load); the host's wall time per command is logged next to them.
# Exit counts per row: `domus stats` (domus) and debugfs kvm/exits (KVM),
# read before and after each command.
#
# BENCH_IO_DOMUS_ARGS (environment): more kernel parameters for the domus
# guest, e.g. xen_blkfront.max_indirect_segments=256 (init passes
# xen_blkfront.* to the module).
#
# BENCH_IO_XEN_QEMU (environment): the directory of an unpacked QEMU >= 8
# (scripts/qemu-fetch) -- adds a third side, "kvmxen": the same guest
# kernel and initramfs under KVM's Xen emulation (-accel
# kvm,xen-version=0x4000a,kernel-irqchip=split) with xen-disk (xvdb) and
# xen-net-device (a TAP, tapx0, on br0): the same PV front ends as the
# domus guest, against QEMU's back ends.  Needs a test host kernel with
# CONFIG_KVM_XEN (6.12; bench/io --kvm-xen).  Rounds then rotate the
# three sides (domus first in odd rounds, last in even ones).
#
# Exit status: 0 when every measurement was made, 1 otherwise.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
rounds=${1:-2}
vmlinux=${2:?usage: bench/io-inhost.sh ROUNDS VMLINUX INITRD MIB RANDN NETMIB}
initrd=${3:?}
mib=${4:-64}
randn=${5:-2000}
netmib=${6:-16}
out=$top/build/bench/io
rm -rf "$out"
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/benchio.XXXXXX)	# tmpfs: sparse images, FIFOs
mkfifo "$tmp/tick" && exec 5<>"$tmp/tick"	# run's pause: a read that times out
status=0
say() { echo "io: $*"; }
limit=${BENCH_IO_TIMEOUT:-900}	# seconds per command
mem=256
export DOMUS_RUN_DIR=/run/domus-bench DOMUS_LOG_DIR=$out/log
results=

# wait_for FILE PATTERN SECONDS [FROM_LINE]
wait_for() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -le $end ]; do
		tail -n +"${4:-1}" "$1" 2>/dev/null | tr -d '\r' | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
send() { printf 'echo; %s\n' "$*" >&3; }
# run CMD MARKER [TIMEOUT]: a guest command, then wait for "MARKER-done".
# The wait starts no process: the test host has one CPU, and a poll that
# forks (tail, grep, sleep ten times a second) takes a share of it from
# the guest being measured -- more than the rows differ by.  The console
# file is read on fd 4 from its end, line by line, and the pause between
# reads is a timed read of the FIFO on fd 5, which no one writes.
run() {
	local line buf= end=$((SECONDS + ${3:-$limit}))
	exec 4<"$con"
	while IFS= read -r -u 4 line; do :; done	# to the end: older lines
	send "$1; echo $2-do''ne"
	while ((SECONDS <= end)); do
		while IFS= read -r -u 4 line; do
			line=$buf$line buf=
			if [[ ${line#$'\r'} == "$2-done"* ]]; then
				exec 4<&-
				return 0
			fi
		done
		buf+=$line		# a line still being written
		read -r -t 0.1 -u 5 line
	done
	exec 4<&-
	return 1
}
# the guest's last "KEY=VALUE" line
answer() { tr -d '\r' <"$con" | sed -n "s/^$1=//p" | tail -1; }

# exit counter of the running guest
exits() {
	case $side in
	domus) build/domus stats bench 2>/dev/null | awk '$1 == "exits" { print $2 }' ;;
	kvm | kvmxen) cat /sys/kernel/debug/kvm/exits 2>/dev/null ;;
	esac
}

# BENCH_IO_PROFILE=1: around each domus row, the launcher's context
# switches per thread (/proc/PID/task/*/status) and, with
# BENCH_IO_STRACE=1, `strace -c -f` on it (the trace slows the row: its
# time is then no measurement); DOMUS_BLK_TRACE=1 in the launcher logs the
# block ring's counters per row (userland/backend/blkback.c).
ctxsw() {	# PID: "comm tid voluntary nonvoluntary cpu-ticks" per thread
	local t
	for t in /proc/$1/task/*; do
		echo "$(tr ' ' _ <"$t/comm") ${t##*/} $(awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v, n }' "$t/status") $(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')"
	done 2>/dev/null
}
profile_start() {	# ROW ROUND
	[[ ${BENCH_IO_PROFILE:-} == 1 && $side == domus ]] || return 0
	lpid=$(pgrep -x domus-launcher | head -1)
	[[ -n $lpid ]] || { say "profile: no domus-launcher process"; return 0; }
	ctxsw "$lpid" >"$out/ctx0"
	build/domus stats bench >"$out/stats0" 2>/dev/null
	if [[ ${BENCH_IO_STRACE:-} == 1 ]]; then
		strace -c -f -p "$lpid" -o "$out/strace.$1.$2" 2>/dev/null &
		spid=$!
		sleep 1
	fi
}
profile_end() {	# ROW ROUND
	[[ ${BENCH_IO_PROFILE:-} == 1 && $side == domus && -n ${lpid:-} ]] || return 0
	ctxsw "$lpid" >"$out/ctx1"
	build/domus stats bench >"$out/stats1" 2>/dev/null
	awk -v row="$1" -v r="$2" 'NR == FNR { c[$1] = $2; next } $2 - c[$1] > 0 { l = l " " $1 "=" $2 - c[$1] }
		END { print "io: profile " row " round " r ": exits by reason" l }' "$out/stats0" "$out/stats1"
	awk -v row="$1" -v r="$2" -v hz="$(getconf CLK_TCK)" 'NR == FNR { v[$2] = $3; n[$2] = $4; c[$2] = $5; next }
		{ printf "io: profile %s round %s: thread %s (%s) ctxsw voluntary %d nonvoluntary %d cpu %.2f s\n", row, r, $1, $2, $3 - v[$2], $4 - n[$2], ($5 - c[$2]) / hz }' \
		"$out/ctx0" "$out/ctx1"
	if [[ -n ${spid:-} ]]; then
		kill -INT "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=
		say "profile $1 round $2: strace -c -f of the launcher:"
		sed 's/^/io:   /' "$out/strace.$1.$2"
	fi
	lpid=
}

# workload ROW ROUND CMD: run CMD in the guest (it prints "R=secs units"),
# record "side row round secs units host-wall exits"
workload() {
	local row=$1 r=$2 e0 e1 t0 t1 a
	profile_start "$row" "$r"
	e0=$(exits)
	t0=$EPOCHREALTIME
	if ! run "$3" "$row$r"; then
		profile_end "$row" "$r"
		say "$side $row round $r: no answer within $limit s: $(tail -c 300 "$con" | tr '\r\n' '||')"
		status=1
		return 1
	fi
	t1=$EPOCHREALTIME
	e1=$(exits)
	profile_end "$row" "$r"
	a=$(answer R)
	if [[ ! $a =~ ^[0-9.]+\ [0-9.]+$ ]]; then
		say "$side $row round $r: bad answer '$a'"
		status=1
		return 1
	fi
	local ex=n/a
	[[ -n $e0 && -n $e1 ]] && ex=$((e1 - e0))
	results+="$side $row $r $a $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $ex"$'\n'
	say "$side $row round $r: $(echo "$a" | awk -v row="$row" '{ printf "%.3f s, %s %s", $1, $2, (row == "randread" ? "IOPS" : row == "tcp" ? "Mbit/s" : row == "alu" ? "M loops/s" : row == "mem" ? "MiB/s" : row == "tlb" ? "sweeps/s" : "MB/s") }') (host wall $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, exits $ex)"
}

# dd timed by the guest's uptime: "R=secs MB/s" (MIB: the MiB it moves, default the image's)
dd_cmd() {	# DD-ARGS [MIB]
	echo "t0=\$(cut -d' ' -f1 /proc/uptime); dd $1 2>/dev/null; rc=\$?; t1=\$(cut -d' ' -f1 /proc/uptime); [ \$rc = 0 ] && echo R=\$(awk -v a=\$t0 -v b=\$t1 -v m=${2:-$mib} 'BEGIN { s = b - a; if (s <= 0) s = 0.01; printf \"%.3f %.2f\", s, m * 1.048576 / s }')"
}

# guest_clock ROUND: the guest's clock against the test host's over ~20 s
# (the rows are timed by the guests' own clocks: a guest clock running fast
# or slow would skew its side's figures by as much)
guest_clock() {
	local u0 u1 h0 h1
	run "echo U0=\$(cut -d' ' -f1 /proc/uptime)" clk0 30 || return 0
	h0=$EPOCHREALTIME u0=$(answer U0)
	sleep 20
	run "echo U1=\$(cut -d' ' -f1 /proc/uptime)" clk1 30 || return 0
	h1=$EPOCHREALTIME u1=$(answer U1)
	say "$side clock round $1: $(awk -v a="$u0" -v b="$u1" -v c="$h0" -v d="$h1" 'BEGIN { printf "guest %.2f s over the test host'"'"'s %.2f s: rate %.3f", b - a, d - c, (b - a) / (d - c) }')"
}

one_round() {	# DEV ROUND: the four workloads once, then the guest-only reference
	local dev=$1 r=$2 line sink
	workload seqwrite "$r" "$(dd_cmd "if=/dev/zero of=$dev bs=1M count=$mib oflag=direct conv=fsync")"
	workload seqread "$r" "sync; echo 3 >/proc/sys/vm/drop_caches; $(dd_cmd "if=$dev of=/dev/null bs=1M count=$mib iflag=direct")"
	workload randread "$r" "/io_load randread $dev $randn $r | sed -n 's/^IO-RANDREAD count=[0-9]* secs=\\([0-9.]*\\) iops=\\([0-9.]*\\)\$/R=\\1 \\2/p'"
	rm -f "$out/sink"
	build/bench/io_load tcpsink 5001 >"$out/sink" 2>&1 &
	sink=$!
	wait_for "$out/sink" listening 10 || say "tcpsink did not start: $(cat "$out/sink")"
	workload tcp "$r" "/io_load tcpsend 10.9.0.1 5001 $netmib | sed -n 's/^IO-TCPSEND bytes=[0-9]* secs=\\([0-9.]*\\) mbit=\\([0-9.]*\\)\$/R=\\1 \\2/p'"
	wait_for "$out/sink" 'bytes=' 10
	kill "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	line=$(grep 'bytes=' "$out/sink")
	if [[ $line != *"bytes=$((netmib << 20)) "* ]]; then
		say "$side tcp round $r: the host received '$line', want $((netmib << 20)) bytes"
		status=1
	fi
	guest_clock "$r"
	if [[ $r == 1 ]]; then		# what each guest was told its CPU has
		run "echo FLAGS=\$(sed -n 's/^flags[^:]*: //p' /proc/cpuinfo | head -1)" flags 30 &&
			say "$side guest CPU flags: $(answer FLAGS)"
		run "echo VULN=\$(cd /sys/devices/system/cpu/vulnerabilities && grep -H . * | tr ' ' _)" vuln 30 &&
			say "$side guest mitigations: $(answer VULN)"
	fi
	# no device at all: the guest kernel clearing and copying 512 MiB, how
	# fast each side's guest runs by itself (a reference for the rows above)
	workload cpu "$r" "$(dd_cmd "if=/dev/zero of=/dev/null bs=1M count=512" 512)"
	# and in user space: registers only, one cached buffer, a TLB miss per load
	local k
	for k in "alu 100" "mem 1000" "tlb 50"; do
		workload "${k% *}" "$r" "/io_load cpu $k | sed -n 's/^IO-CPU kind=[a-z]* n=\\([0-9]*\\) secs=\\([0-9.]*\\) .*/R=\\2 \\1/p' | awk '{ split(\$1, a, \"=\"); printf \"R=%s %.2f\\n\", a[2], (a[2] > 0 ? \$2 / a[2] : 0) }'"
	done
}

# boot_guest: start the guest (command in $@) on a FIFO console, wait for
# the marker; 1 on failure
boot_guest() {
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	exec 3<>"$tmp/in"
	: >"$con"
	"$@" <"$tmp/in" >"$con" 2>&1 &
	gpid=$!
	if ! wait_for "$con" DOMUS-GUEST-READY 300; then
		say "$side: no DOMUS-GUEST-READY within 300 s: $(tail -c 400 "$con" | tr '\r\n' '||')"
		status=1
		return 1
	fi
	send 'stty -echo 2>/dev/null'
	return 0
}

# net_up IFACE-SETUP ADDR: load the drivers, address the guest's eth0,
# reach the bridge once (ARP) before measuring
net_up() {
	run "$1; ip addr add $2/24 dev eth0 && ip link set eth0 up; ping -c 2 -W 5 10.9.0.1 >/dev/null; echo NET=\$?" net 120
	if [[ $(answer NET) != 0 ]]; then
		say "$side: the guest cannot reach 10.9.0.1: $(tail -c 400 "$con" | tr '\r\n' '||')"
		status=1
		return 1
	fi
}

modprobe tun && modprobe bridge || { say "modprobe tun bridge failed"; exit 1; }
ip link add br0 type bridge && ip addr add 10.9.0.1/24 dev br0 && ip link set br0 up ||
	{ say "cannot set up br0"; exit 1; }
cat build/domus build/domus-launcher "$vmlinux" "$initrd" build/bench/io_load >/dev/null

# ---- domus ----------------------------------------------------------------------
truncate -s "${mib}M" "$tmp/domus.img"
cat >"$tmp/bench.cfg" <<EOF
name = "bench"
type = "pvh"
type = "pvh"
memory = $mem
vcpus = 1
kernel = "$vmlinux"
ramdisk = "$initrd"
extra = "console=hvc0 loglevel=4 rdinit=/init${BENCH_IO_DOMUS_ARGS:+ $BENCH_IO_DOMUS_ARGS}"
disk = [ 'tap:aio:$tmp/domus.img,xvdb,w' ]
vif = [ 'bridge=br0,mac=00:16:3e:00:09:10' ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
domus_round() {	# ROUND: boot, the workloads once, shut down; 1 when it failed
	local r=$1 st=0
	side=domus
	con=$out/console-domus.$r
	if ! insmod ./domus.ko; then
		say "insmod domus.ko failed: domus rows n/a"
		return 1
	fi
	if boot_guest build/domus create -c "$tmp/bench.cfg" &&
	   net_up "insmod /lib/modules/xen-netfront.ko" 10.9.0.10; then
		one_round /dev/xvdb "$r"
	else
		st=1
	fi
	build/domus destroy bench >/dev/null 2>&1
	wait "$gpid" 2>/dev/null
	exec 3>&-
	grep 'blk xvdb: ' "$out/log/bench.log" 2>/dev/null | tail -1 | sed "s/^/io: domus round $r back end: /"
	grep -o 'pinned_pages=[0-9]* npt_pages=[0-9]*' "$out/log/bench.log" 2>/dev/null | tail -1 |
		sed "s/^/io: domus round $r guest RAM: /"
	sleep 0.5
	rmmod domus || { say "rmmod domus failed"; st=1; }
	return $st
}

# ---- KVM ------------------------------------------------------------------------
truncate -s "${mib}M" "$tmp/kvm.img"
qemu=$(command -v qemu-system-x86_64)
[[ -n $qemu ]] && "$qemu" --version | head -1 | sed 's/^/io: kvm: /'
ip tuntap add tapk0 mode tap && ip link set tapk0 master br0 && ip link set tapk0 up ||
	{ say "cannot set up tapk0"; status=1; }
# qemu_round SIDE ROUND DISK NETUP ADDR -- QEMU [ARGS...]: one round in a
# guest of QEMU on KVM (the test host's kvm_amd): boot, network, the
# workloads on DISK; kvm_amd unloaded again, so domus can take SVM
qemu_round() {
	local r=$2 disk=$3 netup=$4 addr=$5 st=0
	side=$1
	con=$out/console-$side.$r
	shift 6
	if ! modprobe kvm_amd; then
		say "modprobe kvm_amd failed: $side rows n/a"
		return 1
	fi
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	if boot_guest "$@" && net_up "$netup" "$addr"; then
		one_round "$disk" "$r"
	else
		st=1
	fi
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	exec 3>&-
	rmmod kvm_amd kvm || { say "rmmod kvm_amd kvm failed"; st=1; }
	return $st
}
# the guest's kernel, initramfs and console as on the domus side; one vCPU
qemu_common() {
	qc=(-cpu host -M pc -m $mem -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio
	    -kernel "$vmlinux" -initrd "$initrd" -append "console=ttyS0 loglevel=4 rdinit=/init")
}
kvm_round() {	# ROUND
	if [[ -z $qemu ]]; then
		say "qemu-system-x86_64 not installed: kvm rows n/a"
		return 1
	fi
	qemu_common
	qemu_round kvm "$1" /dev/vda \
		"for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover virtio_net; do insmod /lib/modules/\$m.ko; done; sleep 1" \
		10.9.0.20 -- "$qemu" -accel kvm "${qc[@]}" \
		-drive "file=$tmp/kvm.img,if=none,id=d0,format=raw,cache=writeback,aio=threads" \
		-device virtio-blk-pci,drive=d0 \
		-netdev tap,id=n0,ifname=tapk0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:09:00:20
}

# ---- KVM's Xen emulation (BENCH_IO_XEN_QEMU) -------------------------------------
xq=
if [[ -n ${BENCH_IO_XEN_QEMU:-} ]]; then
	xq=$BENCH_IO_XEN_QEMU/usr/bin/qemu-system-x86_64
	# its own modules, never the installed QEMU's (those refuse to load)
	export QEMU_MODULE_DIR=$BENCH_IO_XEN_QEMU/usr/lib/x86_64-linux-gnu/qemu
	"$xq" --version | head -1 | sed 's/^/io: kvmxen: /'
	truncate -s "${mib}M" "$tmp/xen.img"
	ip tuntap add tapx0 mode tap && ip link set tapx0 master br0 && ip link set tapx0 up ||
		{ say "cannot set up tapx0"; status=1; }
fi
kvmxen_round() {	# ROUND
	qemu_common
	qemu_round kvmxen "$1" /dev/xvdb "insmod /lib/modules/xen-netfront.ko; sleep 1" 10.9.0.30 -- \
		"$xq" -L "$BENCH_IO_XEN_QEMU/usr/share/qemu" -L "$BENCH_IO_XEN_QEMU/usr/share/seabios" \
		-accel kvm,xen-version=0x4000a,kernel-irqchip=split "${qc[@]}" \
		-drive "file=$tmp/xen.img,if=none,id=d0,format=raw,cache=writeback,aio=threads" \
		-device xen-disk,vdev=xvdb,drive=d0 \
		-netdev tap,id=n0,ifname=tapx0,script=no,downscript=no \
		-device xen-net-device,netdev=n0,mac=00:16:3e:00:09:30
}

# ---- rounds, ABBA: a fresh boot of each guest per round, domus first in odd
# rounds and KVM first in even ones (the build machine's load changes over a
# run; alternating spreads it over both sides).  The images live on across
# rounds: the first round's write allocates them on both sides alike.
for r in $(seq "$rounds"); do
	if ((r % 2)); then
		domus_round "$r" || status=1
		kvm_round "$r" || status=1
		[[ -z $xq ]] || kvmxen_round "$r" || status=1
	else
		[[ -z $xq ]] || kvmxen_round "$r" || status=1
		kvm_round "$r" || status=1
		domus_round "$r" || status=1
	fi
done
rm -rf "$tmp"


# ---- table ----------------------------------------------------------------------
# median SIDE ROW COL ($4 secs, $5 throughput, $6 host wall, $7 exits)
median() {
	printf '%s' "$results" | awk -v s="$1" -v r="$2" -v c="$3" '$1 == s && $2 == r && $c != "n/a" { print $c }' |
		sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "n/a") }'
}
rate_at() {	# SIDE ROW SECS: the throughput of that row's round that took SECS
	printf '%s' "$results" | awk -v s="$1" -v r="$2" -v t="$3" '$1 == s && $2 == r && $4 == t { print $5; f = 1; exit }
		END { if (!f) print "n/a" }'
}
echo
echo "block and network I/O, median of $rounds rounds per row (AMD-V test host, QEMU TCG; kvm nested)"
echo "kernel $(basename "$vmlinux"), $mem MiB, 1 vCPU; raw sparse image of $mib MiB in tmpfs (domus tap:aio: xvdb; kvm virtio-blk cache=writeback); TCP to the bridge br0"
[[ -n ${BENCH_IO_DOMUS_ARGS:-} ]] && echo "domus guest with $BENCH_IO_DOMUS_ARGS"
[[ ${DOMUS_BLK_SYNC:-} == 1 ]] && echo "domus disks served synchronously (DOMUS_BLK_SYNC=1: no io_uring)"
printf '%-34s %17s %17s %7s %7s  %s\n' row "domus s / rate" "kvm s / rate" ratio "wall" "exits domus / kvm"
for row in seqwrite seqread randread tcp cpu alu mem tlb; do
	case $row in
	seqwrite) label="seq write $mib MiB (MB/s)" ;;
	seqread) label="seq read $mib MiB (MB/s)" ;;
	randread) label="rand read $randn x 4 KiB (IOPS)" ;;
	tcp) label="TCP guest->host $netmib MiB (Mbit/s)" ;;
	cpu) label="guest alone: /dev/zero 512 MiB (MB/s)" ;;
	alu) label="guest alone: alu 100 M loops (M/s)" ;;
	mem) label="guest alone: memset 1000 MiB (MiB/s)" ;;
	tlb) label="guest alone: tlb 50 x 64 MiB (sweeps/s)" ;;
	esac
	# the rate of the round with the median time (with an even count the
	# lower middle time: the higher middle rate)
	ds=$(median domus $row 4) dr=$(rate_at domus $row "$ds") de=$(median domus $row 7)
	ks=$(median kvm $row 4) kr=$(rate_at kvm $row "$ks") ke=$(median kvm $row 7)
	ratio=n/a
	[[ $dr != n/a && $kr != n/a ]] && ratio=$(awk -v a="$dr" -v b="$kr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	dw=$(median domus $row 6) kw=$(median kvm $row 6) wr=n/a
	[[ $dw != n/a && $kw != n/a ]] && wr=$(awk -v a="$dw" -v b="$kw" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
	printf '%-34s %17s %17s %7s %7s  %s\n' "$label" "$ds s $dr" "$ks s $kr" "$ratio" "$wr" "$de / $ke"
done
echo "ratio: domus/kvm throughput by the guests' own clocks, > 1 = domus faster; wall: the same by the"
echo "test host's wall time per command (kvm/domus; includes the console round trip and the exit-counter reads)"
if [[ -n $xq ]]; then
	# the second reference: the same PV front ends under KVM's Xen emulation
	echo
	echo "second reference: KVM's Xen emulation ($("$xq" --version | head -1 | sed 's/ (.*//')), xen-disk xvdb cache=writeback, xen-net-device on br0"
	printf '%-34s %17s %17s %9s %9s  %s\n' row "domus s / rate" "kvmxen s / rate" "d/kvm" "d/kvmxen" "exits kvmxen"
	for row in seqwrite seqread randread tcp; do
		ds=$(median domus $row 4) dr=$(rate_at domus $row "$ds")
		ks=$(median kvm $row 4) kr=$(rate_at kvm $row "$ks")
		xs=$(median kvmxen $row 4) xr=$(rate_at kvmxen $row "$xs") xe=$(median kvmxen $row 7)
		r1=n/a r2=n/a
		[[ $dr != n/a && $kr != n/a ]] && r1=$(awk -v a="$dr" -v b="$kr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		[[ $dr != n/a && $xr != n/a ]] && r2=$(awk -v a="$dr" -v b="$xr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		printf '%-34s %17s %17s %9s %9s  %s\n' "$row" "$ds s $dr" "$xs s $xr" "$r1" "$r2" "$xe"
	done
	echo "per round (the same round's guests), domus/kvm and domus/kvmxen throughput:"
	for row in seqwrite seqread randread tcp; do
		line=
		for r in $(seq "$rounds"); do
			line+=$(printf '%s' "$results" | awk -v row="$row" -v r="$r" '$2 == row && $3 == r { v[$1] = $5 }
				END { printf " r%d %s / %s", r, ("domus" in v && "kvm" in v && v["kvm"] > 0 ? sprintf("%.2f", v["domus"] / v["kvm"]) : "n/a"),
					("domus" in v && "kvmxen" in v && v["kvmxen"] > 0 ? sprintf("%.2f", v["domus"] / v["kvmxen"]) : "n/a") }')
		done
		echo "  $row:$line"
	done
fi
echo "console logs: build/bench/io/"
exit $status
