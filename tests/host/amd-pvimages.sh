#!/bin/bash
# domus create-image, clone and backup with real Debian guests inside the
# AMD-V test host (run by tests/suites/71-pv-images-amd through
# scripts/testhost; issue 13's acceptance "create-image then create boots
# the new guest; its clone boots with a different MAC and uuid; backup
# produces an image that boots"; docs/images.md).
#
#   1. create-image (the base image from scripts/mkrootfs's read-only cache,
#      PVIMG_CACHE) into the tmpfs; `create` boots it; root logs in with the
#      password; the guest's MAC is the config's
#   2. while it runs: clone is refused (tmpfs has no reflink), nothing left;
#      backup pauses it for the copy and it runs on
#   3. poweroff; the backup boots (and holds the file written before it)
#   4. clone of the stopped guest: boots with another MAC and uuid
# One PASS/FAIL line each; "info:" lines carry the figures.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
. tests/lib.sh	# the console helpers (wait_for, run, answer ...)
failed=0
pass() { echo "PASS: pv-images-amd/$1"; }
fail() { echo "FAIL: pv-images-amd/$1: $2"; failed=1; }

out=$top/build/pvimages
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log" "$out"/console*.out
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/pvimg.XXXXXX)	# tmpfs: holes, flock; not the 9p share
export DOMUS_CONF_DIR=$tmp/conf DOMUS_ROOTFS_CACHE=${PVIMG_CACHE:?PVIMG_CACHE: scripts/mkrootfs\'s cache}
mkdir -p "$DOMUS_CONF_DIR" "$tmp/bk"
d=$top/build/domus
pw=domus-test-pw
boot_wait=${PVIMG_BOOT_WAIT:-900}
fifo=$tmp/in
log() { echo "$out/log/$1.log"; }
cleanup() {
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
# cfgval CFG KEY: the quoted value of KEY in CFG (name, uuid) or the mac= of its vif
cfgval() {
	if [ "$2" = mac ]; then sed -n "s/^vif.*mac=\([0-9a-f:]*\).*/\1/p" "$1"
	else sed -n "s/^$2 *= *\"\(.*\)\"/\1/p" "$1"; fi
}

# boot CFG NAME TAG: create -c CFG, the login prompt, root logs in with the
# password; sets ok=1 and con (console copy $out/console-TAG.out)
boot() {
	local t0=$(date +%s) l
	con=$out/console-$3.out
	ok=0
	rm -f "$fifo"; mkfifo "$fifo"
	exec 3<>"$fifo"
	$d create -c "$1" <"$fifo" >"$con" 2>&1 &
	cpid=$!
	# the login prompt, unless the domain ends first (create -c returns)
	# (or systemd gave up on the getty: its 90 s device timeout, hit when
	# the machine is loaded; reported, not waited for)
	while ! wait_for "imgtest login:" 5 && kill -0 $cpid 2>/dev/null &&
	      ! wait_for "Dependency failed for .*Serial Getty on hvc0" 0 &&
	      [ $(( $(date +%s) - t0 )) -lt "$boot_wait" ]; do :; done
	if wait_for "imgtest login:" 1; then
		pass "$3-boots"
		echo "info: $3: domus create to the login prompt: $(( $(date +%s) - t0 )) s"
	else
		wait_for "Timed out waiting for device .*hvc0" 0 &&
			echo "info: $3: systemd timed out waiting for /dev/hvc0 (its 90 s device timeout: udev's coldplug too slow on a loaded build machine)"
		fail "$3-boots" "no login prompt on hvc0 within $boot_wait s: $(tail -c 600 "$con" | tr '\r\n' '||'); log: $(tail -3 "$(log "$2")" | tr '\n' '|')"
		return 1
	fi
	sleep 1
	l=$(lines)
	printf 'root\n' >&3
	wait_for 'Password:' 60 "$l" && { l=$(lines); sleep 0.5; printf '%s\n' "$pw" >&3; }
	if wait_for 'root@imgtest:[^ ]*# ' 120 "$l"; then
		pass "$3-login"
	else
		fail "$3-login" "no shell prompt after root and the password: $(tail -c 400 "$con" | tr '\r\n' '||')"
		return 1
	fi
	send 'stty -echo; export TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0; bind "set enable-bracketed-paste off" 2>/dev/null'
	sleep 1
	ok=1
}
# down NAME TAG: poweroff in the guest (destroy if that fails); the launcher ends
down() {
	local pid i
	pid=$(cat "$DOMUS_RUN_DIR/$1.pid" 2>/dev/null)
	send 'poweroff'
	for i in $(seq 1800); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		pass "$2-poweroff"
	else
		fail "$2-poweroff" "launcher ${pid:-?} still runs: $(tail -c 300 "$con" | tr '\r\n' '||')"
		$d destroy "$1" >/dev/null 2>&1
	fi
	exec 3>&- 2>/dev/null
}

# bash's process substitution (mkrootfs reads the apt sources with it)
# needs /dev/fd, which the test host's devtmpfs lacks
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)
modprobe tun && modprobe bridge && ip link add xenbr0 type bridge && ip link set xenbr0 up ||
	{ fail bridge "cannot make the bridge xenbr0"; cleanup; exit 1; }

# ---- 1. create-image, create ------------------------------------------------
t0=$(date +%s)
cfg=$($d create-image --hostname imgtest --dir "$tmp" --swap 64M --password "$pw" 2>"$tmp/ci.err"); rc=$?
disk=$tmp/domains/imgtest/disk.img
if [ $rc = 0 ] && [ "$cfg" = "$DOMUS_CONF_DIR/imgtest.cfg" ] && [ -s "$disk" ] && [ -s "$tmp/domains/imgtest/swap.img" ] &&
   [ "$(du -k "$disk" | cut -f1)" -lt $(( $(stat -c %s "$disk") / 1024 )) ]; then
	pass create-image
	echo "info: create-image: $(( $(date +%s) - t0 )) s, $(( $(du -k "$disk" | cut -f1) / 1024 )) MiB allocated of $(( $(stat -c %s "$disk") / 1048576 )) MiB"
else
	fail create-image "rc $rc, '$cfg': $(tail -3 "$tmp/ci.err" | tr '\n' '|')"
	cleanup; exit 1
fi
# systemd's device timeout in the new image (PVIMG_DEVICE_TIMEOUT, default
# 900 s; t_device_timeout in tests/lib.sh): the backup and the clone copy
# it with the disk
if t_device_timeout "$disk" "${PVIMG_DEVICE_TIMEOUT:-900}"; then
	echo "info: DefaultDeviceTimeoutSec=${PVIMG_DEVICE_TIMEOUT:-900} in the created image (a loaded machine's udev is slower than systemd's 90 s)"
else
	fail create-image "cannot write DefaultDeviceTimeoutSec into $disk"
fi
mac0=$(cfgval "$cfg" mac)
boot "$cfg" imgtest orig
if [ $ok = 1 ]; then
	run 'echo MAC=$(cat /sys/class/net/eth0/address); echo HN=$(hostname)' o1
	if [ "$(answer MAC)" = "$mac0" ] && [ "$(answer HN)" = imgtest ]; then pass orig-mac-hostname
	else fail orig-mac-hostname "guest MAC '$(answer MAC)' host name '$(answer HN)', config MAC $mac0"; fi
	uuid0=$($d uuid imgtest)
	if [ -n "$uuid0" ] && [ "$uuid0" = "$(cfgval "$cfg" uuid)" ]; then pass orig-uuid
	else fail orig-uuid "domus uuid '$uuid0', config '$(cfgval "$cfg" uuid)'"; fi
	run 'echo before-the-backup >/root/marker; sync; echo SYNCED=1' o2

	# ---- 2. the running guest: clone refused, backup paused ----------------
	err=$($d clone imgtest imgclone 2>&1 >/dev/null); rc=$?
	if [ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q 'is running.*cannot be reflinked' &&
	   [ ! -e "$DOMUS_CONF_DIR/imgclone.cfg" ] && [ ! -e "$tmp/domains/imgclone" ] &&
	   $d list imgtest | awk 'END { exit $5 ~ /p/ }'; then
		pass clone-refuses-running
	else
		fail clone-refuses-running "rc $rc: $err; $(ls "$tmp/domains" "$DOMUS_CONF_DIR" | tr '\n' ' '); $($d list imgtest | tail -1)"
	fi
	t1=$(date +%s)
	bout=$($d backup --keep 1 imgtest "$tmp/bk" 2>"$tmp/bk.err"); rc=$?
	bdir=$(ls -d "$tmp"/bk/imgtest-* 2>/dev/null)
	echo "info: backup of the running guest: $(( $(date +%s) - t1 )) s; $(echo "$bout" | grep paused)"
	if [ $rc = 0 ] && [ -n "$bdir" ] && [ -s "$bdir/disk.img" ] && [ -s "$bdir/imgtest.cfg" ] &&
	   echo "$bout" | grep -q '^imgtest: paused for' && ! ls -a "$tmp/bk" | grep -q part; then
		pass backup-running
	else
		fail backup-running "rc $rc: $(tr '\n' '|' <"$tmp/bk.err") $(echo "$bout" | tr '\n' '|')"
	fi
	# the guest runs on after the backup
	st=$($d list imgtest | awk 'END { print $5 }')
	if run 'echo AFTER=ok' o3 60 && [ "$(answer AFTER)" = ok ] && [ "${st#*p}" = "$st" ]; then pass runs-after-backup
	else fail runs-after-backup "state '$st', answer '$(answer AFTER)'"; fi
	down imgtest orig
fi

# ---- 3. the backup boots ----------------------------------------------------
if [ $ok = 1 ] && [ -n "$bdir" ]; then
	boot "$bdir/imgtest.cfg" imgtest backup
	if [ $ok = 1 ]; then
		run 'echo MARK=$(cat /root/marker); echo ROOTDEV=$(findmnt -n -o SOURCE /)' b1
		if [ "$(answer MARK)" = before-the-backup ] && [ "$(answer ROOTDEV)" = /dev/xvda2 ] &&
		   grep -q "tap:aio:$bdir/disk.img,xvda2" "$bdir/imgtest.cfg"; then
			pass backup-content
		else
			fail backup-content "marker '$(answer MARK)', root '$(answer ROOTDEV)'; $(grep disk "$bdir/imgtest.cfg")"
		fi
		$d destroy imgtest >/dev/null 2>&1
		exec 3>&- 2>/dev/null
	fi
	rm -rf "$bdir"	# room in the tmpfs for the clone
fi

# ---- 4. clone of the stopped guest, and its boot ----------------------------
if [ -e "$cfg" ]; then
	t1=$(date +%s)
	cout=$($d clone imgtest imgclone 2>"$tmp/cl.err"); rc=$?
	ccfg=$DOMUS_CONF_DIR/imgclone.cfg
	echo "info: clone: $(( $(date +%s) - t1 )) s"
	mac1=$(cfgval "$ccfg" mac); uuid1=$(cfgval "$ccfg" uuid)
	if [ $rc = 0 ] && [ "$(cfgval "$ccfg" name)" = imgclone ] && [ -s "$tmp/domains/imgclone/disk.img" ] &&
	   [ -n "$mac1" ] && [ "$mac1" != "$mac0" ] && [ -n "$uuid1" ] && [ "$uuid1" != "$(cfgval "$cfg" uuid)" ] &&
	   grep -q "domains/imgclone/disk.img,xvda2" "$ccfg"; then
		pass clone
	else
		fail clone "rc $rc: $(tr '\n' '|' <"$tmp/cl.err") mac $mac1 (was $mac0) uuid $uuid1"
	fi
	boot "$ccfg" imgclone clone
	if [ $ok = 1 ]; then
		run 'echo MAC=$(cat /sys/class/net/eth0/address)' c1
		u=$($d uuid imgclone)
		if [ "$(answer MAC)" = "$mac1" ] && [ "$u" = "$uuid1" ] && [ "$u" != "$uuid0" ] && [ "$mac1" != "$mac0" ]; then
			pass clone-mac-uuid
		else
			fail clone-mac-uuid "guest MAC '$(answer MAC)' (config $mac1, original $mac0), uuid '$u' (original $uuid0)"
		fi
		down imgclone clone
	fi
fi

for n in imgtest imgclone; do
	pid=$(cat "$DOMUS_RUN_DIR/$n.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && $d destroy $n >/dev/null 2>&1
done
stats_zero frees-all
cleanup
ip link del xenbr0 2>/dev/null
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
