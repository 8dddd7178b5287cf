#!/bin/bash
# A full Debian 12 system as a PV guest inside the AMD-V test host (run by
# tests/suites/66-pv-debian-amd through scripts/testhost; issue 12's first
# acceptance item, docs/images.md): the root image of scripts/mkrootfs
# (PVDEB_IMAGE, copied sparsely into the test host's tmpfs so the cache
# stays pristine) as tap:aio: xvda2, a fresh swap image (mkswap) as xvda1,
# root='/dev/xvda2 ro', the stock kernel with the stock initramfs
# (/boot/initrd.img-<ver>: ext4 and xen-blkfront as modules).  The guest
# boots to a login prompt on hvc0; the test logs in as root and checks
# systemd's state, failed units, swap, the root mount and the kernel, the
# vif, saves the running system to a file and restores it (save_restore
# below), then powers off: the domain ends and the module's counters
# return to zero.
# One PASS/FAIL line each; "info:" lines carry the figures.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
. tests/lib.sh	# the console helpers (wait_for, run, answer ...)
failed=0
pass() { echo "PASS: pv-debian-amd/$1"; }
fail() { echo "FAIL: pv-debian-amd/$1: $2"; failed=1; }

out=$top/build/pvdebian
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log" "$out"/console.out
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/pvdeb.XXXXXX)	# tmpfs: holes, flock; not the 9p share
fifo=$tmp/in
d=build/domus
kver=$(uname -r)
kernel=${PV_KERNEL:-/boot/vmlinuz-$kver}
ramdisk=${PV_RAMDISK:-/boot/initrd.img-$kver}
src=${PVDEB_IMAGE:?PVDEB_IMAGE: the root image of scripts/mkrootfs}
# bounded waits (TCG, a loaded machine; docs/testing.md has the figures)
boot_wait=${PVDEB_BOOT_WAIT:-900}
con=$out/console.out
log=$out/log/pvdeb.log

cleanup() {
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}

# ---- save and restore of the running system (issue 15's first acceptance
# item), called after the vif check, before the poweroff: 8 MiB of random
# data written to the root disk and synced (MD5 noted), a counter appending
# to /run/cnt once a second (tmpfs: guest RAM), `domus save` to a file in
# the test host's tmpfs (not -c: the domain, its launcher and TAP go),
# `domus restore -c`: a new domain whose counter goes on (one boot, the
# counts consecutive), whose shell answers, whose file reads back (from the
# disk, caches dropped), whose vif pings the bridge and takes the data over
# TCP, and whose kernel log has no new error.  con becomes the restored
# domain's console; the poweroff checks follow on it.
# sr_count TAG: the counter's last value (and SRN: its number of lines)
sr_count() { run 'echo SRCNT=$(tail -n 1 /run/cnt); echo SRN=$(wc -l </run/cnt)' "$1" 120 >/dev/null; answer SRCNT; }
save_restore() {
	local b c i t1 id0 pid0 err rc gone_ok=0 spid
	run 'head -c 8388608 /dev/urandom >/root/sr-data && sync; echo SRMD5=$(md5sum </root/sr-data | cut -c1-32); echo BOOTID=$(cat /proc/sys/kernel/random/boot_id); echo DL0=$(dmesg | wc -l)' s1 180
	srmd5=$(answer SRMD5); bootid=$(answer BOOTID); dl0=$(answer DL0)
	send 'setsid sh -c "i=0; while :; do i=\$((i+1)); echo \$i >>/run/cnt; sleep 1; done" </dev/null >/dev/null 2>&1 &'
	for i in $(seq 30); do c=$(sr_count sc$i); [ "${c:-0}" -ge 3 ] && break; sleep 1; done
	if [ ${#srmd5} = 32 ] && [ -n "$bootid" ] && [ "${c:-0}" -ge 3 ]; then
		pass save-file-and-counter
	else
		fail save-file-and-counter "MD5 '$srmd5', boot id '$bootid', counter '$c'"
		return
	fi
	id0=$($d list pvdeb 2>/dev/null | awk 'NR == 2 { print $2 }')
	pid0=$(cat "$DOMUS_RUN_DIR/pvdeb.pid" 2>/dev/null)
	b=$(sr_count sb)
	t1=$(date +%s)
	err=$(timeout 600 $d save pvdeb "$tmp/deb.sav" 2>&1 </dev/null); rc=$?
	echo "info: domus save of the running Debian guest: $(( $(date +%s) - t1 )) s, $(( $(stat -c %s "$tmp/deb.sav" 2>/dev/null || echo 0) / 1048576 )) MiB file"
	# the launcher and the create's console client end with the domain
	for i in $(seq 300); do kill -0 "$pid0" 2>/dev/null || kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
	if [ $rc = 0 ] && [ -z "$err" ] && [ -s "$tmp/deb.sav" ] && ! $d list pvdeb >/dev/null 2>&1 && [ -n "$pid0" ] &&
	   ! kill -0 "$pid0" 2>/dev/null && [ -z "$(ip -o link show master xenbr0)" ] && [ -z "$(ls -A "$tmp" | grep saving)" ] &&
	   grep -q "save: paused; writing .* MiB of RAM" "$log"; then
		pass save-domain-gone
		gone_ok=1
	else
		fail save-domain-gone "rc $rc: $err; domain $id0: $($d list | tr '\n' '|'); launcher ${pid0:-?}; taps $(ip -o link show master xenbr0 | cut -d: -f2 | tr '\n' ' '); log $(grep 'save' "$log" | tail -3 | tr '\n' '|')"
	fi
	if [ $gone_ok = 1 ]; then
		con=$out/console2.out
		: >"$con"
		t1=$(date +%s)
		$d restore -c "$tmp/deb.sav" <"$fifo" >"$con" 2>&1 &
	fi
	# the login shell on hvc0 answers (the restore's console client)
	if [ $gone_ok = 1 ] && run 'echo SRANS=$((6*7))' r1 300 && [ "$(answer SRANS)" = 42 ]; then
		echo "info: domus restore to the shell's first answer: $(( $(date +%s) - t1 )) s"
		pass restore-console-answers
	else
		fail restore-console-answers "$(tail -c 400 "$con" | tr '\r\n' '||'); log $(tail -3 "$log" | tr '\n' '|')"
		return
	fi
	# the counter goes on from where it stopped: the same boot, its counts
	# 1..N each once in order (a restart would begin again at 1), N past
	# the count read before the save and still rising
	c=$(sr_count sr1)
	sleep 3
	i=$(sr_count sr2)
	run 'echo BOOTID2=$(cat /proc/sys/kernel/random/boot_id); echo SRSEQ=$(awk "\$1 != NR { bad++ } END { print NR, bad + 0 }" /run/cnt)' r2 120
	seq=($(answer SRSEQ))
	echo "info: counter: $b before the save, $c after the restore, $i 3 s later; lines and misplaced counts: ${seq[*]}"
	if [ "$(answer BOOTID2)" = "$bootid" ] && [ "${c:-0}" -ge "$b" ] && [ "${i:-0}" -gt "${c:-0}" ] &&
	   [ "${seq[1]:-1}" = 0 ] && [ "${seq[0]:-0}" -ge "$i" ] && [ "$($d domid pvdeb 2>/dev/null)" != "$id0" ]; then
		pass restore-counter-continues
	else
		fail restore-counter-continues "boot id '$(answer BOOTID2)' (was $bootid), counts $b -> $c -> $i, sequence '$(answer SRSEQ)', domid $id0 -> $($d domid pvdeb 2>/dev/null)"
	fi
	# the file written before the save, read from the disk (caches dropped)
	if run 'sync; echo 3 >/proc/sys/vm/drop_caches; echo SRMD5B=$(md5sum </root/sr-data | cut -c1-32)' r3 180 && [ "$(answer SRMD5B)" = "$srmd5" ]; then
		pass restore-file-intact
	else
		fail restore-file-intact "MD5 '$(answer SRMD5B)', want $srmd5"
	fi
	# the vif came back: a new TAP on xenbr0, the bridge answers pings
	if run 'ping -c 5 -W 5 -I 10.9.0.10 10.9.0.1 >/dev/null; echo SRPING=$?; echo SRMAC=$(cat /sys/class/net/eth0/address)' r4 180 &&
	   [ "$(answer SRPING)" = 0 ] && [ "$(answer SRMAC)" = 00:16:3e:00:00:01 ] &&
	   [ "$(ip -o link show master xenbr0 | awk -F': ' '{ print $2 }' | sed 's/@.*//')" = "vif$($d domid pvdeb).0" ]; then
		pass restore-net-ping
	else
		fail restore-net-ping "ping rc '$(answer SRPING)', MAC '$(answer SRMAC)', taps '$(ip -o link show master xenbr0 | cut -d: -f2 | tr '\n' ' ')'; log $(grep vif "$log" | tail -3 | tr '\n' '|')"
	fi
	# and TCP: the 8 MiB to a server in the test host (bash's /dev/tcp in the guest)
	tcp_md5_sink "$tmp/tcp" 10.9.0.1 5003 180
	spid=$sink_pid
	t1=$(date +%s)
	if run 'cat /root/sr-data >/dev/tcp/10.9.0.1/5003; echo SRTCP=$?' r5 300 && wait "$spid" && [ "$(answer SRTCP)" = 0 ] &&
	   [ "$(cat "$tmp/tcp" 2>/dev/null)" = "8388608 $srmd5" ]; then
		pass restore-net-tcp
		echo "info: 8 MiB over TCP after the restore: $(( $(date +%s) - t1 )) s"
	else
		fail restore-net-tcp "rc '$(answer SRTCP)', received '$(cat "$tmp/tcp" 2>/dev/null)' (want 8388608 $srmd5)"
		kill "$spid" 2>/dev/null
	fi
	# the guest's kernel log since before the save: no new error
	l=$(lines)
	run "dmesg | tail -n +$((dl0 + 1)) | sed 's/^/SRLOG /'; echo DL1=\$(dmesg | wc -l)" r6 120 >/dev/null
	tail -n +"$l" "$con" | tr -d '\r' | sed -n 's/^SRLOG //p' >"$tmp/srlog"
	sed 's/^/info: guest log after the save: /' "$tmp/srlog" | head -40
	if [ "$(answer DL1)" -ge "$dl0" ] 2>/dev/null && ! grep -qiE 'error|fail|warn|\bbug\b|oops|timed out|call trace' "$tmp/srlog"; then
		pass restore-guest-log-clean
	else
		fail restore-guest-log-clean "$(grep -iE 'error|fail|warn|\bbug\b|oops|timed out|call trace' "$tmp/srlog" | head -4 | tr '\n' '|') (log lines $dl0 before the save, '$(answer DL1)' now)"
	fi
}

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# ---- the disks: a sparse copy of the root image, a swap image ------------
t0=$(date +%s)
if [ -s "$src" ] && cp --sparse=always "$src" "$tmp/root.img" &&
   truncate -s 128M "$tmp/swap.img" && chmod 600 "$tmp/swap.img" && mkswap -L domus-swap "$tmp/swap.img" >/dev/null; then
	alloc=$(du -k "$tmp/root.img" | cut -f1)
	pass disks
	echo "info: root image copied in $(( $(date +%s) - t0 )) s: $((alloc / 1024)) MiB allocated of $(( $(stat -c %s "$tmp/root.img") / 1048576 )) MiB"
else
	fail disks "cannot copy $src or make the swap image"
	cleanup; exit 1
fi
if [ -r "$ramdisk" ]; then :; else fail disks "no ramdisk $ramdisk"; cleanup; exit 1; fi
# PVDEB_DEVICE_TIMEOUT: systemd's DefaultDeviceTimeoutSec in this copy of
# the image (a system.conf.d file written with debugfs), reported: under
# TCG on a loaded machine udev announced /dev/hvc0 and /dev/xvda1 after
# the 90 s default (no getty, no swap; docs/images.md "128 MiB")
if [ -n "${PVDEB_DEVICE_TIMEOUT:-}" ]; then
	if t_device_timeout "$tmp/root.img" "$PVDEB_DEVICE_TIMEOUT"; then
		echo "info: DefaultDeviceTimeoutSec=$PVDEB_DEVICE_TIMEOUT in the image copy's /etc/systemd/system.conf.d"
	else
		fail disks "cannot write DefaultDeviceTimeoutSec into the image copy"
	fi
fi
# A config as xen-create-image (xen-tools 3.x, Xen 3.x era) wrote it, only
# its file paths changed (issue 13's acceptance): a PV kernel= and
# ramdisk= (here the stock PVH-capable ones), memory as a string, the old
# PV console xvc0 and runlevel 2 in extra=, a vif on the default bridge
# with ip= and a fixed MAC.
cat >"$tmp/g.cfg" <<EOF
#
# Configuration file for the Xen instance pvdeb, created
# by xen-tools 3.9 on Thu Jan  1 00:00:00 2009.
#

#
#  Kernel + memory size
#
kernel      = '$kernel'
ramdisk     = '$ramdisk'
memory      = '128'

#
#  Disk device(s).
#
root        = '/dev/xvda2 ro'
disk        = [ 'tap:aio:$tmp/root.img,xvda2,w', 'tap:aio:$tmp/swap.img,xvda1,w' ]

#
#  Hostname
#
name        = 'pvdeb'

#
#  Networking
#
vif         = [ 'ip=10.9.0.10,mac=00:16:3e:00:00:01' ]

#
#  Behaviour
#
on_poweroff = 'destroy'
on_reboot   = 'restart'
on_crash    = 'restart'


extra = '2 console=xvc0'
EOF
# PVDEB_MEMORY: a memory= override on the command line (xl's KEY=VALUE),
# reported (the config's own is 128 MiB; docs/images.md "128 MiB")
memarg=()
[ -n "${PVDEB_MEMORY:-}" ] && memarg=("memory=$PVDEB_MEMORY") && echo "info: memory=$PVDEB_MEMORY given on the command line (the config says 128)"
# PVDEB_EXTRA: appended to extra= on the command line, reported (the
# suite: systemd's job timeout, which device units take, for slow TCG)
[ -n "${PVDEB_EXTRA:-}" ] && memarg+=("extra+=\" $PVDEB_EXTRA\"") && echo "info: extra+=\" $PVDEB_EXTRA\" given on the command line"
# the vif joins xenbr0 (the default bridge, as Xen's network-bridge made it)
if modprobe tun && modprobe bridge && ip link add xenbr0 type bridge &&
   ip addr add 10.9.0.1/24 dev xenbr0 && ip link set xenbr0 up; then
	pass bridge
else
	fail bridge "cannot set up xenbr0"
	cleanup; exit 1
fi
# the dry run: the legacy lines are mapped with one warning line each
warn=$($d create -n "$tmp/g.cfg" 2>&1 >/dev/null); rc=$?
dry=$($d create -n "$tmp/g.cfg" 2>/dev/null)
echo "$warn" | sed 's/^/info: create -n: /'
if [ $rc = 0 ] && [ "$(echo "$warn" | grep -c xvc0)" = 1 ] && [ "$(echo "$warn" | grep -c "g.cfg: note: no type: xl's default is PV; domus runs PV guests as PVH")" = 1 ] &&
   echo "$warn" | grep -q "g.cfg:[0-9]*: warning: console=xvc0 (Xen 3's PV console) is hvc0 in today's kernels: using console=hvc0" &&
   echo "$dry" | grep -qx 'cmdline     root=/dev/xvda2 ro 2 console=hvc0' &&
   echo "$dry" | grep -qx 'on_crash    restart' &&
   echo "$dry" | grep -qx 'vif         0 mac=00:16:3e:00:00:01 bridge=xenbr0 ip=10.9.0.10'; then
	pass legacy-config-mapped
else
	fail legacy-config-mapped "rc $rc: $(echo "$warn" | tr '\n' '|'); $(echo "$dry" | grep -E '^(cmdline|vif|on_crash) ' | tr '\n' '|')"
fi

# ---- boot to the login prompt --------------------------------------------
mkfifo "$fifo"
exec 3<>"$fifo"
t0=$(date +%s)
$d create -c "$tmp/g.cfg" "${memarg[@]}" <"$fifo" >"$con" 2>&1 &
cpid=$!
# (not anchored at the end: a late kernel message may follow the prompt;
# a panic or a getty that can no longer start ends the wait early)
dead='Kernel panic|Dependency failed for .*Serial Getty'
if wait_for "domus-guest login:|$dead" "$boot_wait" && ! tr -d '\r' <"$con" | sed 's/\x1b\[[0-9;]*m//g' | grep -Eq "$dead"; then
	pass login-prompt
	ok=1
else
	fail login-prompt "no login prompt on hvc0 within $boot_wait s: $(tail -c 600 "$con" | tr '\r\n' '||'); log: $(tail -3 "$log" | tr '\n' '|')"
	ok=0
fi
boot_s=$(( $(date +%s) - t0 ))
echo "info: domus create to the login prompt: $boot_s s"
if [ $ok = 1 ]; then
	if tr -d '\r' <"$con" | grep -q 'Debian GNU/Linux 12 domus-guest hvc0'; then pass getty-on-hvc0; else fail getty-on-hvc0 "no 'Debian GNU/Linux 12 domus-guest hvc0' banner"; fi
	# log in: root has no password in the test image
	sleep 1
	l=$(lines)
	printf 'root\n' >&3
	if wait_for 'root@domus-guest:[^ ]*# ' 120 "$l"; then pass login; else fail login "no shell prompt after 'root': $(tail -c 400 "$con" | tr '\r\n' '||')"; ok=0; fi
fi
if [ $ok = 1 ]; then
	send 'stty -echo; export TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0; bind "set enable-bracketed-paste off" 2>/dev/null'
	sleep 1
	run 'echo KVER=$(uname -r)' c1
	if [ "$(answer KVER)" = "$kver" ]; then pass uname; else fail uname "guest runs '$(answer KVER)', want $kver"; fi
	# systemd: the boot finished (--wait: until the start-up jobs are done)
	run 'echo STATE=$(timeout 300 systemctl is-system-running --wait)' c2 330
	st=$(answer STATE)
	echo "info: systemctl is-system-running: $st"
	run 'echo FAILED=$(systemctl list-units --failed --plain --no-legend | awk "{ print \$1 }" | tr "\n" " ")' c3
	fu=$(answer FAILED)
	echo "info: failed units: '${fu% }'"
	if [ "$st" = running ] || [ "$st" = degraded ]; then pass system-running; else fail system-running "is-system-running: '$st'"; fi
	# no unit failed or timed out for want of a device
	run 'echo DEVWAIT=$(journalctl -b --no-pager | grep -cE "Timed out waiting for device|Dependency failed for")' c4
	if [ "$(answer DEVWAIT)" = 0 ] && ! echo "$fu" | grep -Eq '\.(device|mount|swap) '; then
		pass no-device-failure
	else
		fail no-device-failure "$(answer DEVWAIT) device timeouts/dependency failures; failed units '$fu'"
		run 'journalctl -b --no-pager | grep -E "Timed out waiting for device|Dependency failed for" | head -5' c4b
	fi
	if [ -z "${fu// /}" ]; then pass no-failed-unit; else fail no-failed-unit "failed: $fu"; fi
	# the root file system: xvda2, ext4, read-write after the remount
	run 'echo ROOT=$(findmnt -n -o SOURCE,FSTYPE,OPTIONS / | awk "{ split(\$3, o, \",\"); print \$1, \$2, o[1] }")' c5
	if [ "$(answer ROOT)" = "/dev/xvda2 ext4 rw" ]; then pass root-mount; else fail root-mount "findmnt /: '$(answer ROOT)'"; fi
	# swap from the fstab on xvda1
	run 'echo SWAP=$(awk "NR > 1 { print \$1, \$2, \$3 }" /proc/swaps); swapon --show' c6
	if [ "$(answer SWAP)" = "/dev/xvda1 partition 131068" ]; then pass swap-active; else fail swap-active "/proc/swaps: '$(answer SWAP)'"; fi
	# commands work, and the disk takes writes that survive a sync
	run 'echo hello-from-debian >/root/domus-test; sync; echo WROTE=$(cat /root/domus-test)' c7
	if [ "$(answer WROTE)" = hello-from-debian ]; then pass write-root; else fail write-root "'$(answer WROTE)'"; fi
	# the vif: eth0 has the config's MAC, reaches the bridge from the ip=
	# address, and cannot send from another one (the back end's filter)
	id=$($d list pvdeb 2>/dev/null | awk 'NR == 2 { print $2 }')
	run 'ip addr add 10.9.0.10/24 dev eth0; ip link set eth0 up; echo MAC=$(cat /sys/class/net/eth0/address); ping -c 3 -W 5 10.9.0.1 >/dev/null; echo PING=$?; ip addr add 10.9.0.99/24 dev eth0; ping -c 2 -W 3 -I 10.9.0.99 10.9.0.1 >/dev/null; echo SPOOF=$?' n1 180
	if [ "$(answer MAC)" = 00:16:3e:00:00:01 ] && [ "$(answer PING)" = 0 ] && [ -n "$(answer SPOOF)" ] && [ "$(answer SPOOF)" != 0 ] &&
	   grep -q "vif vif$id.0: dropped a packet from 10.9.0.99: not in ip=" "$log"; then
		pass vif-ip-honoured
	else
		fail vif-ip-honoured "mac '$(answer MAC)', ping from .10 rc '$(answer PING)', from .99 rc '$(answer SPOOF)', log: $(grep 'dropped a packet' "$log" | head -2 | tr '\n' '|')"
	fi
	run 'echo MEMTOTAL=$(awk "/^MemTotal/ { print \$2 }" /proc/meminfo)' c11
	echo "info: guest MemTotal: $(answer MEMTOTAL) kB"
	# the guest's kernel log: no error from its Xen code (xenbus, the
	# front ends, the console); the journal's error lines as information
	run 'echo XENERR=$(dmesg | grep -ciE "xen.*(fail|error|timeout)|blkfront.*(fail|error)|hvc.*(fail|error)"); echo JERR=$(journalctl -b -p err --no-pager -q | wc -l)' c9
	if [ "$(answer XENERR)" = 0 ]; then pass guest-xen-log-clean; else fail guest-xen-log-clean "$(answer XENERR) Xen error lines in the guest's dmesg"; run 'dmesg | grep -iE "xen.*(fail|error|timeout)|blkfront.*(fail|error)|hvc.*(fail|error)" | head -5' c9b; fi
	echo "info: journal lines of priority err or worse: $(answer JERR)"
	l=$(lines); run 'journalctl -b -p err --no-pager -q -o cat | head -12 | sed "s/^/JLINE /"' c10
	tail -n +"$l" "$con" | tr -d '\r' | sed -n 's/^JLINE /info: journal: /p'
	run 'echo UP=$(cut -d" " -f1 /proc/uptime) $(systemd-analyze 2>/dev/null | head -1)' c8
	echo "info: guest uptime and systemd-analyze: $(answer UP)"
	save_restore
	# poweroff through systemd: the domain ends (on_poweroff = destroy)
	pid=$(cat "$DOMUS_RUN_DIR/pvdeb.pid" 2>/dev/null)
	t1=$(date +%s)
	send 'poweroff'
	for i in $(seq 1800); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && ! $d list pvdeb >/dev/null 2>&1 && grep -q 'shut down: poweroff' "$log"; then
		pass poweroff
		echo "info: poweroff took $(( $(date +%s) - t1 )) s"
	else
		fail poweroff "launcher ${pid:-?} still runs or no 'shut down: poweroff' in the log: $(tail -c 300 "$con" | tr '\r\n' '||')"
	fi
	if tr -d '\r' <"$con" | grep -q 'reboot: Power down'; then pass clean-shutdown; else fail clean-shutdown "no 'reboot: Power down' from the guest: $(tail -c 300 "$con" | tr '\r\n' '||')"; fi
	# the file system was left clean, with the files written before the save
	if e2fsck -fn "$tmp/root.img" >"$tmp/fsck" 2>&1 && debugfs -R 'cat /root/domus-test' "$tmp/root.img" 2>/dev/null | grep -qx hello-from-debian &&
	   [ "$(debugfs -R 'cat /root/sr-data' "$tmp/root.img" 2>/dev/null | md5sum | cut -c1-32)" = "${srmd5:-none}" ]; then
		pass image-clean-after-poweroff
	else
		fail image-clean-after-poweroff "$(tail -3 "$tmp/fsck" | tr '\n' '|'); /root/sr-data MD5 $(debugfs -R 'cat /root/sr-data' "$tmp/root.img" 2>/dev/null | md5sum | cut -c1-32) (want ${srmd5:-?})"
	fi
fi
# ---- the same guest through bootloader = 'pygrub' ------------------------------
# The image gets a /boot as Debian's kernel package and update-grub leave
# it (the kernel, the ramdisk, /boot/grub/grub.cfg with a submenu; written
# with debugfs: nothing of the guest's is mounted), and the config loses
# its kernel= and ramdisk= lines for bootloader = 'pygrub': the launcher
# reads grub.cfg from the disk image and boots its default entry.
pid=$(cat "$DOMUS_RUN_DIR/pvdeb.pid" 2>/dev/null)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && $d destroy pvdeb >/dev/null 2>&1
for i in $(seq 150); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
cat >"$tmp/grub.cfg" <<EOF
#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#
if [ -s \$prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi
if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi
function load_video {
  insmod all_video
}
set timeout=5
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-domus' {
	load_video
	insmod gzio
	insmod ext2
	set root='hd0'
	echo	'Loading Linux $kver ...'
	linux	/boot/vmlinuz-$kver root=/dev/xvda2 ro  domus.pygrub=1
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd.img-$kver
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-domus' {
	menuentry 'Debian GNU/Linux, with Linux $kver (recovery mode)' --class debian \$menuentry_id_option 'gnulinux-$kver-recovery-domus' {
		linux	/boot/vmlinuz-$kver root=/dev/xvda2 ro single
		initrd	/boot/initrd.img-$kver
	}
}
EOF
sed -e "/^kernel /d" -e "s|^ramdisk .*|bootloader  = 'pygrub'|" "$tmp/g.cfg" >"$tmp/pygrub.cfg"
if [ ! -e "$DOMUS_RUN_DIR/pvdeb.pid" ] &&
   { debugfs -w -R "mkdir /boot" "$tmp/root.img" >/dev/null 2>&1; debugfs -w -R "mkdir /boot/grub" "$tmp/root.img" >/dev/null 2>&1; } &&
   debugfs -w -f - "$tmp/root.img" >"$tmp/dbg" 2>&1 <<EOF && ! grep -qiE 'error|not found|could not' "$tmp/dbg" &&
write $kernel /boot/vmlinuz-$kver
write $ramdisk /boot/initrd.img-$kver
write $tmp/grub.cfg /boot/grub/grub.cfg
EOF
   debugfs -R 'cat /boot/grub/grub.cfg' "$tmp/root.img" 2>/dev/null | cmp -s - "$tmp/grub.cfg" &&
   ! grep -qE '^(kernel|ramdisk) ' "$tmp/pygrub.cfg"; then
	pass pygrub-image
else
	fail pygrub-image "cannot add /boot to the image: $(tail -3 "$tmp/dbg" 2>/dev/null | tr '\n' '|')"
fi
dry=$($d create -n "$tmp/pygrub.cfg" "${memarg[@]}" 2>&1)
echo "$dry" | grep -E '^(bootloader|kernel|cmdline) ' | sed 's/^/info: pygrub create -n: /'
: >"$con"
t0=$(date +%s)
$d create -c "$tmp/pygrub.cfg" "${memarg[@]}" <"$fifo" >"$con" 2>&1 &
if wait_for "domus-guest login:|$dead" "$boot_wait" && ! tr -d '\r' <"$con" | sed 's/\x1b\[[0-9;]*m//g' | grep -Eq "$dead"; then
	pygrub_s=$(( $(date +%s) - t0 ))
	bl=$(grep -o 'bootloader pygrub: .*' "$log" | tail -1)
	echo "info: pygrub: $bl"
	echo "info: domus create to the login prompt through pygrub: $pygrub_s s (direct boot: $boot_s s)"
	sleep 1
	l=$(lines)
	printf 'root\n' >&3
	wait_for 'root@domus-guest:[^ ]*# ' 120 "$l"
	send 'stty -echo; export TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0'
	sleep 1
	run 'echo PGCMD=$(cat /proc/cmdline); echo PGKVER=$(uname -r)' g1
	if echo "$bl" | grep -q "xvda2, the whole image of $tmp/root.img: entry 0 \"Debian GNU/Linux\": kernel /boot/vmlinuz-$kver, 1 initrd(s)" &&
	   [ "$(answer PGKVER)" = "$kver" ] &&
	   [ "$(answer PGCMD)" = "root=/dev/xvda2 ro domus.pygrub=1 root=/dev/xvda2 ro 2 console=hvc0${PVDEB_EXTRA:+ $PVDEB_EXTRA}" ]; then
		pass pygrub-boot
	else
		fail pygrub-boot "log '$bl', guest kernel '$(answer PGKVER)', cmdline '$(answer PGCMD)'"
	fi
	pid=$(cat "$DOMUS_RUN_DIR/pvdeb.pid" 2>/dev/null)
	bdir=$DOMUS_RUN_DIR/pvdeb.boot
	[ "$(stat -c %a "$bdir" 2>/dev/null)" = 700 ] && [ -s "$bdir/kernel" ] && [ -s "$bdir/initrd" ] && bok=1 || bok=0
	send 'poweroff'
	for i in $(seq 1800); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	# the files go when the launcher ends; the directory itself stays
	# (empty) where the sandbox has no rmdir, the next create reuses it
	if [ $bok = 1 ] && ! kill -0 "$pid" 2>/dev/null && [ ! -e "$bdir/kernel" ] && [ ! -e "$bdir/initrd" ] &&
	   grep -q 'shut down: poweroff' "$log"; then
		pass pygrub-poweroff-cleans
	else
		fail pygrub-poweroff-cleans "boot dir ok=$bok before, after: $(ls -la "$bdir" 2>&1 | tr '\n' '|')"
	fi
else
	fail pygrub-boot "no login prompt within $boot_wait s: $(tail -c 600 "$con" | tr '\r\n' '||'); log: $(tail -3 "$log" | tr '\n' '|')"
	fail pygrub-poweroff-cleans "not booted"
fi
# a bad entry: one line naming the image and the fix, nothing left
# (its own log directory: pvdeb.log keeps the boots' lines for the checks below)
err=$(DOMUS_LOG_DIR=$tmp/badlog $d create "$tmp/pygrub.cfg" "${memarg[@]}" "bootloader_args=['--entry=5']" 2>&1); rc=$?
err=$(echo "$err" | grep -v -e ': warning: console=xvc0' -e ": note: no type: xl's default is PV")
if [ "$rc" = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
   echo "$err" | grep -q "bootloader: $tmp/root.img: /boot/grub/grub.cfg: no menu entry '5' (2 entries): give --entry=N" &&
   [ ! -e "$DOMUS_RUN_DIR/pvdeb.boot/kernel" ]; then
	pass pygrub-bad-entry
else
	fail pygrub-bad-entry "rc $rc: $err"
fi

pid=$(cat "$DOMUS_RUN_DIR/pvdeb.pid" 2>/dev/null)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && $d destroy pvdeb >/dev/null 2>&1
stats_zero frees-all
if grep -q 'blk xvda2: connected' "$log" && grep -q 'blk xvda1: connected' "$log" && ! grep -q 'corrupt\|cannot connect' "$log"; then
	pass backend-log-clean
else
	fail backend-log-clean "$(grep 'blk ' "$log" | tr '\n' '|')"
fi
cleanup
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
