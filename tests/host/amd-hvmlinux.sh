#!/bin/bash
# Debian 12 as an HVM guest inside the AMD-V test host (run by
# tests/suites/81-hvm-linux-amd through scripts/testhost; issue 14's first
# acceptance item): the disk of scripts/mkhvmdisk (HVMDISK, copied sparsely
# into the test host's tmpfs: the guest writes to it, the cache stays
# pristine) as the IDE disk hda of a type='hvm' domain, boot='c',
# serial='pty'.  SeaBIOS boots GRUB from the MBR, GRUB's menu on COM1 boots
# the stock kernel with console=ttyS0, the root is PARTUUID=646f6d75-01 (xvda1 through xen-blkfront: PVHVM);
# then a login on ttyS0, `uname -r`, `reboot` (the FADT's reset register;
# on_reboot = "restart": SeaBIOS, GRUB, Linux again, a second login), and
# `shutdown -h now` (ACPI S5).
# Each stage is one PASS/FAIL line, checked in order: once one is not
# reached, the later ones fail at once as "not reached" (a stopped or
# crashed domain ends the wait early).  "info:" lines say how far it got
# and when (seconds after `domus create`).
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
. tests/lib.sh
failed=0
pass() { echo "PASS: hvm-linux-amd/$1"; }
fail() { echo "FAIL: hvm-linux-amd/$1: $2"; failed=1; }

out=$top/build/hvmlinux
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out"
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/hvmlinux.XXXXXX)	# tmpfs: holes, flock; not the 9p share
d=build/domus
name=hvmlinux
log=$out/log/$name.log
conlog=$out/log/$name-console.log
con=$out/console.out	# what the create's console client shows
src=${HVMDISK:?HVMDISK: the disk of scripts/mkhvmdisk}
kver=$(uname -r)
# the whole run's budget (seconds after create); each stage's own bound
# below is cut to what is left of it
budget=${HVMLINUX_BUDGET:-2400}

spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

t=$(date +%s)
disk=$tmp/disk.img
if cp --sparse=always "$src" "$disk"; then
	pass disk-copied
	echo "info: disk copied into the tmpfs in $(( $(date +%s) - t )) s ($(( $(du -k "$disk" | cut -f1) / 1024 )) MiB allocated of $(( $(stat -c %s "$disk") / 1048576 )) MiB)"
else
	fail disk-copied "cp $src failed"
	exit 1
fi
# the PV NIC's bridge (PVHVM: xen-netfront through the platform device)
if modprobe tun && modprobe bridge && ip link add hvmbr0 type bridge && ip addr add 10.9.1.1/24 dev hvmbr0 &&
   ip link set hvmbr0 up; then
	pass bridge
else
	fail bridge "cannot create the bridge hvmbr0"
fi
cat >"$tmp/g.cfg" <<EOF
# issue 14's first and third acceptance items (xen_platform_pci = 1 by default)
name = "$name"
type = "hvm"
memory = 512
disk = [ 'file:$disk,hda,w' ]
vif = [ 'bridge=hvmbr0' ]
boot = "c"
serial = "pty"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
EOF

# ---- boot --------------------------------------------------------------------
mkfifo "$tmp/in"
exec 3<>"$tmp/in"
t0=$(date +%s)
$d create -c "$tmp/g.cfg" <"$tmp/in" >"$con" 2>"$out/create.err" &
cpid=$!
for i in $(seq 600); do [ -s "$log" ] && break; kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
if $d list $name >/dev/null 2>&1; then
	pass create
	[ -s "$out/create.err" ] && sed 's/^/info: create: /' "$out/create.err"
else
	fail create "domus create: $(tr '\n' '|' <"$out/create.err"); log $(tail -3 "$log" 2>/dev/null | tr '\n' '|')"
fi

# the exit counters once a minute (build/hvmlinux/stats.log): where the
# time goes while the console is quiet; when they stop moving, where each
# of the launcher's threads waits (a halted vCPU and a blocked thread look
# the same in the counters)
( prev=; while sleep 60; do
	echo "== $(( $(date +%s) - t0 )) s"
	cur=$($d stats $name 2>&1 | tr '\n' ' ')
	echo "$cur"
	if [ "$cur" = "$prev" ]; then
		for p in $(pgrep -f domus-launcher); do
			for task in /proc/$p/task/*; do
				echo "thread $(cat $task/comm 2>/dev/null) ${task##*/}: $(cat $task/wchan 2>/dev/null) $(tr '\n' ' ' <$task/stat 2>/dev/null | cut -d' ' -f3)"
				sed 's/^/    /' $task/stack 2>/dev/null | head -12
			done
		done
	fi
	prev=$cur
done ) >"$out/stats.log" 2>&1 &
spid=$!

# the domain has stopped: its launcher's log says why (more "shut down"
# lines than the reboots asked for so far)
reboots=0
ended() {
	[ "$(grep -c 'shut down\|triple fault' "$log" 2>/dev/null)" -gt $reboots ] || ! $d list $name >/dev/null 2>&1
}
clean() { tr -d '\r' <"$conlog" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'; }
reached=1 stopped=
# stage NAME SECONDS PATTERN [FROM_LINE]: PATTERN (grep -E) on the console
# log within SECONDS (cut to the budget); PASS/FAIL, the time in an info line
stage() {
	local n=$1 secs=$2 pat=$3 from=${4:-1} end left
	if [ $reached = 0 ]; then fail "$n" "not reached (stopped before $stopped)"; return 1; fi
	left=$(( t0 + budget - $(date +%s) ))
	[ "$secs" -le "$left" ] || secs=$(( left > 0 ? left : 0 ))
	end=$(( $(date +%s) + secs ))
	while :; do
		if clean | tail -n +"$from" | grep -Eq -- "$pat"; then
			pass "$n"
			echo "info: $n at $(( $(date +%s) - t0 )) s"
			return 0
		fi
		if ended; then
			fail "$n" "the domain ended first: $(grep 'shut down\|triple fault' "$log" | tail -2 | tr '\n' '|')"
			break
		fi
		if [ "$(date +%s)" -ge $end ]; then
			fail "$n" "not within $secs s; console: $(clean | tail -c 500 | tr '\n' '|')"
			break
		fi
		sleep 1
	done
	reached=0 stopped=$n
	return 1
}

stage seabios-banner "${HVMLINUX_BIOS_WAIT:-300}" 'SeaBIOS \(version'
stage grub-menu "${HVMLINUX_GRUB_WAIT:-600}" "Debian GNU/Linux 12, $kver \\(domus HVM test disk\\)"
stage grub-booting "${HVMLINUX_GRUB_WAIT:-600}" 'Booting `Debian GNU/Linux 12'
# GRUB reads the kernel and the initramfs through SeaBIOS's int 13h, a
# port exit per 16-bit word of the IDE data port (no REP INS batching yet)
stage linux-version "${HVMLINUX_LOAD_WAIT:-3600}" 'Linux version [0-9]'
stage userspace "${HVMLINUX_KERNEL_WAIT:-1200}" 'Run /init as init process|Loading, please wait'
stage root-systemd "${HVMLINUX_ROOT_WAIT:-1200}" 'Welcome to .*Debian GNU/Linux 12'
stage login-prompt "${HVMLINUX_LOGIN_WAIT:-1200}" 'domus-guest login:'
# root logs in without a password (a test image); the UART's receive side
# carries what is written to the console client
if [ $reached = 1 ]; then
	sleep 1
	l=$(clean | wc -l)
	printf 'root\n' >&3
fi
stage login "${HVMLINUX_SHELL_WAIT:-300}" 'root@domus-guest:[^ ]*# ' "${l:-1}"
if [ $reached = 1 ]; then
	l=$(clean | wc -l)
	printf 'echo KVER=$(uname -r)\n' >&3
fi
stage uname 120 "^KVER=$kver" "${l:-1}"
# PVHVM (the Xen platform device): Linux found Xen, unplugged the IDE disk
# and runs its root on xen-blkfront (xvda1) and a NIC on xen-netfront,
# both front ends connected (xenbus state 4, which sysfs spells Connected)
if [ $reached = 1 ]; then
	l=$(clean | wc -l)
	printf '%s\n' 'echo PV=$(cat /sys/bus/xen/devices/vbd-768/state)/$(cat /sys/bus/xen/devices/vif-0/state) ROOT=$(findmnt -n -o SOURCE /) NIC=$(ls /sys/bus/xen/devices/vif-0/net) DRV=$(basename $(readlink /sys/bus/xen/devices/vbd-768/driver))/$(basename $(readlink /sys/bus/xen/devices/vif-0/driver))' >&3
fi
stage pv-disk 120 '^PV=Connected/Connected ROOT=/dev/xvda1 NIC=[a-zA-Z0-9]+ DRV=vbd/vif' "${l:-1}"
nic=$(clean | tail -n +"${l:-1}" | sed -n 's/^PV=.* NIC=\([a-zA-Z0-9]*\) .*/\1/p' | head -1)
if grep -q 'Xen platform device: the guest unplugs .*IDE disks hda' "$log"; then
	pass ide-unplugged
else
	fail ide-unplugged "no unplug of hda in the launcher log: $(grep -i 'platform' "$log" | tail -3 | one)"
fi
if [ $reached = 1 ]; then
	echo "info: $(clean | tail -n +"${l:-1}" | grep '^PV=' | head -1)"
	l=$(clean | wc -l)
	printf 'dmesg | grep -E "Xen HVM|blkfront: xvda|xen_netfront|Xen version|xen-platform" | head -8; ip addr add 10.9.1.2/24 dev %s && ip link set %s up && ping -c 3 -W 10 10.9.1.1 >/dev/null && echo NET=ok\n' "$nic" "$nic" >&3
fi
stage pv-net 120 '^NET=ok' "${l:-1}"
[ $reached = 1 ] && clean | tail -n +"${l:-1}" | grep -E 'Xen|blkfront|netfront|xen' | head -8 | sed 's/^/info: guest: /'
# reboot: systemd's orderly shutdown, then the FADT's reset register
# (0xcf9); on_reboot = "restart" builds the domain again, and SeaBIOS,
# GRUB and Linux run once more to a second login
if [ $reached = 1 ]; then
	l=$(clean | wc -l)
	printf 'reboot\n' >&3
	if wait_log "$log" 'shut down: reboot .*on_reboot = restart' "${HVMLINUX_OFF_WAIT:-600}"; then
		reboots=1
		pass reboot
		echo "info: reboot at $(( $(date +%s) - t0 )) s: $(grep 'shut down: reboot' "$log" | tail -1 | sed 's/.*shut down: //')"
	else
		fail reboot "$(grep 'shut down' "$log" | tr '\n' '|'); console: $(clean | tail -c 400 | tr '\n' '|')"
		reached=0 stopped=reboot
	fi
fi
stage reboot-seabios "${HVMLINUX_BIOS_WAIT:-300}" 'SeaBIOS \(version' "${l:-1}"
stage reboot-linux "${HVMLINUX_LOAD_WAIT:-3600}" 'Linux version [0-9]' "${l:-1}"
stage reboot-login-prompt "${HVMLINUX_LOGIN_WAIT:-1200}" 'domus-guest login:' "${l:-1}"
if [ $reached = 1 ]; then
	sleep 1
	l=$(clean | wc -l)
	printf 'root\n' >&3
fi
stage reboot-login "${HVMLINUX_SHELL_WAIT:-300}" 'root@domus-guest:[^ ]*# ' "${l:-1}"
# shutdown -h now: systemd's orderly shutdown, then ACPI S5 at PM1a_CNT
if [ $reached = 1 ]; then
	printf 'shutdown -h now\n' >&3
	if wait_log "$log" 'shut down: poweroff \(ACPI power-off \(S5\)\)' "${HVMLINUX_OFF_WAIT:-600}"; then
		pass poweroff-s5
		echo "info: poweroff at $(( $(date +%s) - t0 )) s"
	else
		fail poweroff-s5 "$(grep 'shut down' "$log" | tr '\n' '|'); console: $(clean | tail -c 400 | tr '\n' '|')"
	fi
else
	fail poweroff-s5 "not reached (stopped before $stopped)"
fi

# ---- how far it got ------------------------------------------------------------
echo "info: stopped at: ${stopped:-nothing (every stage reached)}; $(( $(date +%s) - t0 )) s after create"
echo "info: the console's last lines:"
clean | tail -n 25 | sed 's/^/# /'
echo "info: the launcher log's last lines:"
tail -n 25 "$log" | sed 's/^/# /'
# the devices' complaints: ports, MSRs, commands the model does not have
grep -iE 'unhandled|unknown|not emulated|ignored|ATAPI command|MSR' "$log" | sort | uniq -c | sort -rn | head -20 | sed 's/^/# /'
echo "info: exit counters (the last two samples, a minute apart):"
grep -A1 '^== ' "$out/stats.log" | grep -v '^--' | tail -4 | sed 's/^/# /'
kill "$spid" 2>/dev/null; spid=
$d list $name >/dev/null 2>&1 && { $d destroy $name >/dev/null 2>&1 || true; }
gone gone
# the disk as the guest left it (after a clean poweroff: clean)
if [ -z "$stopped" ]; then
	if e2fsck -fn "$disk?offset=1048576" >"$tmp/fsck" 2>&1; then pass disk-clean; else fail disk-clean "$(tail -3 "$tmp/fsck" | tr '\n' '|')"; fi
else
	fail disk-clean "not reached (stopped before $stopped)"
fi
ip link del hvmbr0 2>/dev/null
stats_zero frees-all
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
