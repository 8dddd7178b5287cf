#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside the AMD-V test host (started by bench/boot): boot the same kernel
# and initramfs to the init marker under domus and under QEMU with kvm_amd,
# and print time to the marker, exit counts and the ratio domus/KVM.
#
# usage: bench/boot-inhost.sh ROUNDS VMLINUX BZIMAGE INITRD [DOMUS [ROWS]]
#   ROUNDS   boots per row, the median is reported
#   VMLINUX  the unpacked ELF kernel (PVH entry note): booted by every row
#            except "domus create, bzImage"
#   BZIMAGE  the same kernel as shipped (/boot/vmlinuz-VER)
#   INITRD   the test initramfs (scripts/mkinitramfs): its /init prints
#            DOMUS-GUEST-READY on the console, then runs a shell
#   DOMUS    1: measure domus (default); 0: skip it (domus rows n/a)
#   ROWS     all (default), or pair: only the like-with-like pair
#
# Rows (each boot is timed from the launch of the command to the arrival of
# the marker line on the guest console, read from the command's output):
#   domus create      `domus create -c CFG`, the product path (launcher,
#                     xenstore, PV console on hvc0); stopped with `domus
#                     destroy` at the marker
#   domus bzImage     the same with kernel=/boot/vmlinuz-VER: the launcher
#                     unpacks the compressed kernel first
#   domus pvboot      tests/host/pvboot (minimal launcher, PV console ring):
#                     the same guest, with the domain's exit counters
#                     (DOMUS_GET_STATS) read at the marker
#   kvm pc            qemu-system-x86_64 -accel kvm -M pc, PVH boot of
#                     VMLINUX (-kernel with an ELF image), console on ttyS0
#   kvm microvm       the same with -M microvm
#   kvm kvmboot       tests/host/kvmboot: pvboot's sibling on /dev/kvm (the
#                     same loader, KVM's in-kernel irqchip and CPUID, an
#                     8250 console on ttyS0 in the launcher; -f 2 =
#                     DOMUS_LOAD_MADT_IOAPIC: the IO-APIC and COM1 in the
#                     ACPI tables, for the UART's IRQ 4); with domus
#                     pvboot the like-with-like pair: placed next to each
#                     other in every round (domus pvboot last when domus
#                     goes first, kvmboot first when KVM goes second, and
#                     the reverse), so the pair also runs ABBA
# ROWS=pair (bench/boot: BENCH_BOOT_ROWS=pair) runs only that pair.
# KVM's exit counters are read from debugfs (/sys/kernel/debug/kvm/*exits)
# at the marker, while the VM still exists (they are per live VM).
#
# Exit status: 0 when every measurement that was attempted succeeded,
# 1 when one failed (no marker, a program failed, a module would not load).

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
rounds=${1:-3}
vmlinux=${2:?usage: bench/boot-inhost.sh ROUNDS VMLINUX BZIMAGE INITRD [DOMUS]}
bzimage=${3:?}
initrd=${4:?}
want_domus=${5:-1}
marker=DOMUS-GUEST-READY
limit=${BENCH_BOOT_TIMEOUT:-180}	# seconds per boot
out=$top/build/bench/boot
rm -rf "$out"
mkdir -p "$out"
status=0
rows_sel=${6:-all}
[[ $rows_sel == all || $rows_sel == pair ]] || { echo "boot: ROWS=$rows_sel: want all or pair" >&2; exit 2; }
say() { echo "boot: $*"; }
declare -A note

mem=256
domus_cmdline="console=hvc0 quiet rdinit=/init"
kvm_cmdline="console=ttyS0 quiet rdinit=/init"

# stamp FILE: each line of stdin with its arrival time ($EPOCHREALTIME)
# into FILE; at the first marker line, run the hook $on_marker.  The
# marker is matched on the guest console text only.
stamp() {
	local line seen=0
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}" >>"$1"
		if ((!seen)) && [[ $line == *"$marker "* ]]; then
			seen=1
			$on_marker
		fi
	done
}

# boot ROW ROUND CMD...: run CMD with its output stamped into
# $out/ROW.ROUND; wait until it ends (the marker hook stops it).  Prints
# the RESULT line, or returns 1.
boot() {
	local row=$1 r=$2 f t0 tm up
	shift 2
	f=$out/$row.$r
	: >"$f"
	t0=$EPOCHREALTIME
	printf '%s START\n' "$t0" >"$f"
	timeout "$limit" "$@" </dev/null 2>&1 | stamp "$f"
	tm=$(awk -v m="$marker " 'index($0, m) { print $1; exit }' "$f")
	if [[ -z $tm ]]; then
		{
			say "$row round $r: no $marker within $limit s; last output:"
			tail -5 "$f" | cut -d' ' -f2- | sed 's/^/    /'
		} >&2
		return 1
	fi
	up=$(awk -v m="$marker " 'index($0, m) { for (i = 1; i < NF; i++) if ($i == "uptime") print $(i + 1); exit }' "$f")
	echo "$row $r $(awk -v a="$tm" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') ${up:-n/a}"
}

cfg=$out/bench.cfg
write_cfg() {	# KERNEL [VCPUS]
	cat >"$cfg" <<EOF
name = "bench"
type = "pvh"
type = "pvh"
memory = $mem
vcpus = ${2:-1}
kernel = "$1"
ramdisk = "$initrd"
extra = "$domus_cmdline"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
}

results=
rm -f "$out/overhead"
add() { results+="$1"$'\n'; }
show() {	# RESULT-LINE: one line per boot as it is measured
	say "$(echo "$1" | awk '{ printf "%-14s round %s: marker after %s s (guest uptime %s s)", $1, $2, $3, $4; if ($5 != "n/a") printf ", exits %s %s", $5, $6 }')"
}

# ---- domus --------------------------------------------------------------------
# at the marker: the domain's exit counters (domus stats, the product
# path), then destroy it
domus_destroy_hook() {
	local pid
	build/domus stats bench >"$f.stats" 2>&1
	# what one idle guest costs beyond its RAM: the launcher's resident
	# memory less the guest's pinned pages, and the module's page tables
	pid=$(cat "$DOMUS_RUN_DIR/bench.pid" 2>/dev/null)
	echo "rss_kib $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" >"$f.mem"
	build/host/pvboot -G >>"$f.mem" 2>&1
	build/domus destroy bench >/dev/null 2>&1
}
# "launcher +N MiB, npt N KiB" from a stats and a mem file
domus_overhead() {
	awk 'FNR == NR { if ($1 == "pinned_pages") p = $2; next }
	     $1 == "rss_kib" { r = $2 }
	     $1 == "domains" { n = $8 }
	     END { if (r == "" || p == "") exit 1
		printf "launcher +%.1f MiB beyond guest RAM, module page tables %d KiB\n", (r - p * 4) / 1024, n * 4 }' "$1" "$2"
}
# "N reason=count,..." (every nonzero counter) from a domus stats file
domus_stats_detail() {
	awk '$1 == "exits" { n = $2; next }
	     $1 != "pinned_pages" && $1 != "vcpus" && $1 != "slots" && $1 != "user_exits" {
		d = d sep $1 "=" $2; sep = "," }
	     END { if (n == "") exit 1; print n, d }' "$1"
}
export DOMUS_RUN_DIR=/run/domus-bench DOMUS_LOG_DIR=$out/log
# the unpack cache (the test host's /var/cache is read-only): empty at the
# start, so the first domus-bzimage boot unpacks and the later ones do not
export DOMUS_KERNEL_CACHE=$out/kcache
rm -rf "$DOMUS_KERNEL_CACHE"
domus_round() {	# ROUND: the three domus rows; 1 when a measurement failed
	local r=$1 row res ex st=0
	if ! insmod ./domus.ko; then
		note[domus]="insmod domus.ko failed"
		return 1
	fi
	local rows="domus-create domus-bzimage domus-smp2 domus-pvboot"
	# the pair's domus half next to the KVM half: last when domus goes
	# first (odd rounds), first when it goes second
	((r % 2)) || rows="domus-pvboot domus-create domus-bzimage domus-smp2"
	[[ $rows_sel == pair ]] && rows=domus-pvboot
	for row in $rows; do
		res='' ex=''
		case $row in
		domus-create|domus-bzimage|domus-smp2)
			case $row in
			domus-create) write_cfg "$vmlinux" ;;
			domus-bzimage) write_cfg "$bzimage" ;;
			domus-smp2) write_cfg "$vmlinux" 2 ;;
			esac
			on_marker=domus_destroy_hook
			res=$(boot $row "$r" build/domus create -c "$cfg") || st=1
			build/domus destroy bench >/dev/null 2>&1
			ex=$(domus_stats_detail "$out/$row.$r.stats") || ex="n/a"
			[[ $row == domus-create ]] && domus_overhead "$out/$row.$r.stats" "$out/$row.$r.mem" >>"$out/overhead"
			;;
		domus-pvboot)
			on_marker=:
			res=$(boot $row "$r" build/host/pvboot -m $mem -t "$limit" -C -i "$initrd" \
				-c "$domus_cmdline" -M "$marker" "$vmlinux") || st=1
			# "pvboot: exits N, hypercalls N, hlt N, io N, msr N, injections N"
			ex=$(sed -n 's/.*pvboot: exits \([0-9]*\), hypercalls \([0-9]*\), hlt \([0-9]*\), io \([0-9]*\), msr \([0-9]*\), injections \([0-9]*\).*/\1 io=\4,hypercall=\2,msr=\5,hlt=\3,inject=\6/p' \
				"$out/$row.$r" | tail -1)
			;;
		esac
		if [[ -n $res ]]; then
			add "$res ${ex:-n/a}"
			show "$res ${ex:-n/a}"
		fi
	done
	sleep 0.5
	if ! build/host/pvboot -G >/dev/null; then
		say "domus: live objects left: $(build/host/pvboot -G)"
		st=1
	fi
	rmmod domus || { say "rmmod domus failed"; st=1; }
	return $st
}

# ---- KVM ----------------------------------------------------------------------
dbg=/sys/kernel/debug/kvm
kvm_stats_hook() {
	local e io mmio irq hlt
	e=$(cat $dbg/exits 2>/dev/null)
	io=$(cat $dbg/io_exits 2>/dev/null)
	mmio=$(cat $dbg/mmio_exits 2>/dev/null)
	irq=$(cat $dbg/irq_exits 2>/dev/null)
	hlt=$(cat $dbg/halt_exits 2>/dev/null)
	echo "${e:-n/a} io=${io:-?},mmio=${mmio:-?},irq=${irq:-?},hlt=${hlt:-?}" >"$out/kvm.stats"
	[[ -s $out/qemu.pid ]] && kill "$(cat "$out/qemu.pid")" 2>/dev/null
}
qemu=$(command -v qemu-system-x86_64)
kvm_round() {	# ROUND: the two kvm rows
	local r=$1 m row res ex st=0
	if ! modprobe kvm_amd; then
		note[kvm]="modprobe kvm_amd failed"
		return 1
	fi
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	[[ -r $dbg/exits ]] || say "no $dbg/exits: KVM exit counts n/a"
	local rows="kvmboot pc q35 microvm pc-smp2"
	# the pair's KVM half next to the domus half: first when KVM goes
	# second (odd rounds), last when it goes first
	((r % 2)) || rows="pc q35 microvm pc-smp2 kvmboot"
	[[ $rows_sel == pair ]] && rows=kvmboot
	for m in $rows; do
		row=kvm-$m
		res='' ex=''
		if [[ $m == kvmboot ]]; then
			on_marker=:
			res=$(boot $row "$r" build/host/kvmboot -m $mem -t "$limit" -f 2 -i "$initrd" \
				-c "$kvm_cmdline" -M "$marker" "$vmlinux") || st=1
			# "kvmboot: exits N, io N, mmio N, hlt N, irq N, irq_window N, signal N"
			# "kvmboot: user exits: io N (uart N, ...), mmio N, signal N"
			ex=$(sed -n 's/.*kvmboot: exits \([0-9]*\), io \([0-9]*\), mmio \([0-9]*\), hlt \([0-9]*\), irq \([0-9]*\), irq_window \([0-9]*\), signal \([0-9]*\).*/\1 io=\2,mmio=\3,hlt=\4,irq=\5,irqwin=\6,signal=\7/p' \
				"$out/$row.$r" | tail -1)
			ux=$(sed -n 's/.*kvmboot: user exits: io \([0-9]*\) (uart \([0-9]*\), .*/user-io=\1,uart=\2/p' "$out/$row.$r" | tail -1)
			[[ -n $ex && -n $ux ]] && ex+=",$ux"
			if [[ -n $res ]]; then
				add "$res ${ex:-n/a}"
				show "$res ${ex:-n/a}"
			fi
			continue
		fi
		[[ -z $qemu ]] && continue
		rm -f "$out/kvm.stats" "$out/qemu.pid"
		on_marker=kvm_stats_hook
		local machine=${m%-smp2} smp=1
		[[ $m == *-smp2 ]] && smp=2
		res=$(boot $row "$r" "$qemu" -accel kvm -cpu host -M "$machine" -m $mem -smp $smp \
			-nodefaults -no-user-config -display none -no-reboot -serial stdio \
			-pidfile "$out/qemu.pid" -kernel "$vmlinux" -initrd "$initrd" \
			-append "$kvm_cmdline") || st=1
		ex=$(cat "$out/kvm.stats" 2>/dev/null)
		if [[ -n $res ]]; then
			add "$res ${ex:-n/a}"
			show "$res ${ex:-n/a}"
		fi
	done
	rmmod kvm_amd kvm || { say "rmmod kvm_amd kvm failed"; st=1; }
	return $st
}

# ---- rounds: domus and kvm in ABBA order ---------------------------------------
# (the build machine's load changes over a run; alternating spreads that
# over both sides)  Warm-up, not timed: the programs, kernels and
# initramfs into the test host's page cache.
cat build/domus build/domus-launcher build/host/pvboot build/host/kvmboot "$vmlinux" "$bzimage" "$initrd" >/dev/null
[[ -n $qemu ]] && { cat "$qemu" >/dev/null; "$qemu" --version | head -1 | sed 's/^/boot: kvm: /'; }
do_domus=1 do_kvm=1
if [[ $want_domus != 1 ]]; then
	note[domus]="domus.ko not built"; do_domus=0
elif lsmod | grep -q '^kvm'; then
	note[domus]="kvm was loaded before the benchmark"; do_domus=0; status=1
fi
if [[ -z $qemu && $rows_sel == all ]]; then
	note[qemu]="qemu-system-x86_64 not installed (apt-get install qemu-system-x86): kvm qemu rows n/a"; status=1
fi
# ABBA: odd rounds domus first, even rounds KVM first, so neither side
# always runs right after the other (the emulator's translation cache
# and the page cache are warm for whoever comes second).
side() {	# domus|kvm ROUND
	if [[ $1 == domus ]] && ((do_domus)); then
		domus_round "$2" || status=1
		[[ -n ${note[domus]:-} ]] && do_domus=0
	elif [[ $1 == kvm ]] && ((do_kvm)); then
		kvm_round "$2" || status=1
		[[ -n ${note[kvm]:-} ]] && do_kvm=0
	fi
}
for r in $(seq "$rounds"); do
	if ((r % 2)); then side domus "$r"; side kvm "$r"; else side kvm "$r"; side domus "$r"; fi
done

# ---- table --------------------------------------------------------------------
# median of the column COL ($3 time, $4 uptime, $5 exits) of ROW's results
median() {
	printf '%s' "$results" | awk -v r="$1" -v c="$2" '$1 == r && $c != "n/a" { print $c }' |
		sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "n/a") }'
}
detail() {	# the exit breakdown of the run with the median exit count
	local m; m=$(median "$1" 5)
	printf '%s' "$results" | awk -v r="$1" -v m="$m" '$1 == r && $5 == m { print $6; exit }'
}
echo
echo "boot to the init marker, median of $rounds boots per row (AMD-V test host, QEMU TCG; kvm nested)"
echo "kernel $(basename "$bzimage" | sed 's/^vmlinuz-//'), $mem MiB, 1 vCPU unless the row says 2, initramfs $(basename "$initrd") ($(stat -c %s "$initrd") bytes)"
printf '%-40s %8s %9s %8s  %s\n' "row" "time s" "uptime s" "exits" "exit detail"
table_rows="domus-create domus-bzimage domus-pvboot kvm-pc kvm-q35 kvm-microvm domus-smp2 kvm-pc-smp2"
[[ $rows_sel == pair ]] && table_rows=
[[ -n $table_rows ]] && echo "product comparison (each side's own launcher, firmware, devices):"
for row in $table_rows hv hv-domus hv-kvm; do
	case $row in
	hv) echo "hypervisor comparison, like with like (minimal launcher, same loader, guest and console-only devices; ABBA):"; continue ;;
	hv-domus) row=domus-pvboot; label="hypervisor: minimal launcher, domus" ;;
	hv-kvm) row=kvm-kvmboot; label="hypervisor: minimal launcher, kvm" ;;
	domus-create) label="domus create -c (vmlinux)" ;;
	domus-bzimage) label="domus create -c (bzImage)" ;;
	domus-pvboot) label="domus, tests/host/pvboot (vmlinux)" ;;
	kvm-pc) label="kvm, qemu -M pc (vmlinux, PVH)" ;;
	kvm-microvm) label="kvm, qemu -M microvm (vmlinux, PVH)" ;;
	kvm-q35) label="kvm, qemu -M q35 (vmlinux, PVH)" ;;
	domus-smp2) label="domus create -c, 2 vCPUs (vmlinux)" ;;
	kvm-pc-smp2) label="kvm, qemu -M pc, 2 vCPUs (vmlinux, PVH)" ;;
	esac
	printf '%-40s %8s %9s %8s  %s\n' "$label" "$(median $row 3)" "$(median $row 4)" "$(median $row 5)" "$(detail $row)"
done
d=$(median domus-pvboot 3)
v=$(median kvm-kvmboot 3)
if [[ $d != n/a && $v != n/a ]]; then
	echo "ratio domus/kvm (like with like): $(awk -v a="$d" -v b="$v" 'BEGIN { printf "%.2f", a / b }') (guest uptime at the marker: $(awk -v a="$(median domus-pvboot 4)" -v b="$(median kvm-kvmboot 4)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'))"
else
	echo "ratio domus/kvm (like with like): n/a (domus pvboot $d s, kvm kvmboot $v s)"
fi
d=$(median domus-create 3)
for k in kvm-pc kvm-q35 kvm-microvm; do
	v=$(median $k 3)
	if [[ $d != n/a && $v != n/a ]]; then
		echo "ratio domus create / ${k/-/ }: $(awk -v a="$d" -v b="$v" 'BEGIN { printf "%.2f", a / b }')"
	fi
done
best=$( { median kvm-pc 3; median kvm-q35 3; median kvm-microvm 3; } | grep -v n/a | sort -n | head -1)
if [[ $d != n/a && -n $best ]]; then
	echo "ratio domus/kvm (fastest row): $(awk -v a="$d" -v b="$best" 'BEGIN { printf "%.2f", a / b }') (domus create against the fastest 1-vCPU kvm row; goal <= 0.50)"
fi
d=$(median domus-smp2 3) v=$(median kvm-pc-smp2 3)
if [[ $d != n/a && $v != n/a ]]; then
	echo "ratio domus/kvm (2 vCPUs): $(awk -v a="$d" -v b="$v" 'BEGIN { printf "%.2f", a / b }')"
fi
if [[ -s $out/overhead ]]; then
	echo "overhead of one idle guest (domus create, $mem MiB; goal <= 4 MiB): $(tail -1 "$out/overhead") (last round)"
fi
for k in domus kvm qemu; do
	[[ -n ${note[$k]:-} ]] && echo "$k: ${note[$k]}"
done
echo "per-boot console logs: build/bench/boot/"
exit $status
