#!/bin/bash
# PV hot-plug inside the AMD-V test host (run by tests/suites/64-pv-hotplug-amd
# through scripts/testhost; docs/devices.md "Hot-plug"): one guest booted
# with no disk and no vif, then
#   - a disk attached while the guest has no blkfront: the front end never
#     answers, block-detach removes it by force after 10 s, lock released;
#   - bad and duplicate attaches: one line, exit 1, nothing left behind;
#   - blkfront loaded, the disk attached again: /dev/xvdb appears, a
#     pattern written and synced in the guest is in the image on the host,
#     block-list shows it connected; block-detach: the guest loses it, the
#     xenstore directories are gone, the lock is released; a second attach
#     reads the pattern back and detaches again;
#   - a vif attached on br0: eth0 appears, pings the bridge address;
#     network-list shows it; a duplicate MAC is refused; network-detach
#     by MAC: eth0 and the TAP device are gone;
#   - a disk attached, the guest rebooted: the rebuilt domain has it, and
#     it detaches there.
# One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
failed=0
. tests/lib.sh	# wait_log and the console helpers (send, run, answer)
pass() { echo "PASS: pv-hotplug-amd/$1"; }
fail() { echo "FAIL: pv-hotplug-amd/$1: $2"; failed=1; }

out=$top/build/pvhotplug
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log" "$out"/console*.out
mkdir -p "$out/log"
img=$(mktemp -d /tmp/pvhp.XXXXXX)	# tmpfs: flock works; not the 9p share
fifo=$img/in
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
log=$out/log/pvhp.log
con=$out/console.out

pattern() { yes "DOMUS-HOTPLUG-$1-0123456789abcdef" | head -c "$2"; }
# is the image's lock free (nobody holds it)?
unlocked() { flock -n -x "$1" true; }
# expect_err NAME WANT-REGEX CMD...: exit 1 and one line matching
expect_err() {
	local n=$1 want=$2 err rc; shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	if [ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -Eq -- "$want"; then pass "$n"
	else fail "$n" "rc $rc: $(echo "$err" | tr '\n' '|')"; fi
}
be_vbds() { $d xenstore-list pvhp /local/domain/0/backend/vbd/$id 2>/dev/null | tr '\n' ' '; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)
modprobe tun && modprobe bridge || { fail bridge "modprobe tun bridge failed"; exit 1; }
ip link add br0 type bridge && ip addr add 10.9.0.1/24 dev br0 && ip link set br0 up ||
	{ fail bridge "cannot set up br0"; exit 1; }

truncate -s 16M "$img/a.img"
truncate -s 8M "$img/b.img"
cat >"$img/g.cfg" <<EOF
name = "pvhp"
type = "pvh"
memory = 256
kernel = "$kernel"
ramdisk = "$top/build/pvhotplug/guest.cpio"
extra = "console=hvc0 loglevel=4 rdinit=/init"
EOF

mkfifo "$fifo"
exec 3<>"$fifo"
t0=$(date +%s)
$d create -c "$img/g.cfg" <"$fifo" >"$con" 2>&1 &
if ! wait_log "$con" 'DOMUS-GUEST-READY' 240; then
	fail guest-ready "no DOMUS-GUEST-READY within 240 s: $(tail -c 400 "$con" | tr '\r\n' '||')"
	$d destroy pvhp >/dev/null 2>&1
	ip link del br0
	exit 1
fi
pass guest-ready
echo "info: boot to the marker: $(( $(date +%s) - t0 )) s"
id=$($d list pvhp | awk 'NR == 2 { print $2 }')
send 'stty -echo'

# ---- a front end that never answers: no blkfront in the guest yet -------------
if $d block-attach pvhp "tap:aio:$img/a.img,xvdb,w" && ! unlocked "$img/a.img"; then
	pass attach-no-frontend
else
	fail attach-no-frontend "block-attach failed or the image is not locked"
fi
run 'echo XB=$(ls /sys/bus/xen/devices | grep -c "^vbd-51728$")' u1
if [ "$(answer XB)" = 1 ]; then pass guest-xenbus-sees-vbd; else fail guest-xenbus-sees-vbd "vbd-51728 on the guest's xenbus: '$(answer XB)'"; fi
t1=$(date +%s)
err=$($d block-detach pvhp xvdb 2>&1); rc=$?
dt=$(( $(date +%s) - t1 ))
if [ $rc = 0 ] && echo "$err" | grep -q 'did not close it within 10 s.*removed by force' && [ $dt -ge 9 ] && [ $dt -le 25 ] &&
   unlocked "$img/a.img" && [ -z "$(be_vbds)" ]; then
	pass detach-unanswered-forced
else
	fail detach-unanswered-forced "rc $rc after $dt s: $err; backend vbds '$(be_vbds)'"
fi
run 'echo XB=$(ls /sys/bus/xen/devices | grep -c "^vbd-")' u2
if [ "$(answer XB)" = 0 ]; then pass guest-xenbus-lost-vbd; else fail guest-xenbus-lost-vbd "vbds on the guest's xenbus: '$(answer XB)'"; fi

# ---- bad attaches: one line, exit 1, nothing left -------------------------------
expect_err bad-spec "^domus block-attach: disk '.*': access 'q' is not r, ro, w or rw" $d block-attach pvhp "$img/a.img,xvdb,q"
expect_err bad-missing-image "^domus block-attach: pvhp: disk xvdb: $img/none.img: No such file or directory: create the image" \
	$d block-attach pvhp "tap:aio:$img/none.img,xvdb,w"
expect_err bad-domain "^nosuch is an invalid domain identifier" $d block-attach nosuch "tap:aio:$img/a.img,xvdb,w"

# ---- blkfront loaded: attach, write, detach ------------------------------------
run 'insmod /lib/modules/xen-blkfront.ko; echo BF=$?' u3
$d block-attach pvhp "tap:aio:$img/a.img,xvdb,w"; rc=$?
run 'for i in $(seq 100); do [ -b /dev/xvdb ] && break; sleep 0.1; done; echo SZ=$(cat /sys/block/xvdb/size 2>/dev/null)' u4
if [ $rc = 0 ] && [ "$(answer SZ)" = 32768 ]; then pass attach-guest-sees-xvdb; else fail attach-guest-sees-xvdb "rc $rc, size '$(answer SZ)'"; fi
# duplicates: the same vdev, the same image for another vdev (its lock)
expect_err dup-vdev "^domus block-attach: pvhp: vdev xvdb is in use \(devid 51728, xvdb\): detach it first" \
	$d block-attach pvhp "tap:aio:$img/b.img,xvdb,w"
expect_err dup-image "^domus block-attach: pvhp: disk xvdc: $img/a.img is in use \(locked by another domain or program\)" \
	$d block-attach pvhp "tap:aio:$img/a.img,xvdc,w"
if [ "$(be_vbds)" = "51728 " ]; then pass nothing-left-after-refusals; else fail nothing-left-after-refusals "backend vbds '$(be_vbds)'"; fi
bl=$($d block-list pvhp)
row=$(echo "$bl" | awk '$1 == 51728')
if echo "$bl" | head -1 | grep -q '^Vdev  BE  handle state evt-ch ring-ref BE-path' &&
   echo "$row" | awk -v id="$id" '{ exit !($2 == 0 && $3 == id && $4 == 4 && $5 > 0 && $6 >= 0 && $7 == "/local/domain/0/backend/vbd/" id "/51728") }'; then
	pass block-list
else
	fail block-list "$(echo "$bl" | tr '\n' '|')"
fi
run 'yes DOMUS-HOTPLUG-GUEST-0123456789abcdef | head -c 1048576 >/tmp/p; dd if=/tmp/p of=/dev/xvdb bs=64k seek=16 conv=fsync 2>/dev/null; echo WRC=$?; sync' u5
want=$(pattern GUEST 1048576 | md5sum | cut -c1-32)
got=$(dd if="$img/a.img" bs=64k skip=16 count=16 2>/dev/null | md5sum | cut -c1-32)
if [ "$(answer WRC)" = 0 ] && [ "$got" = "$want" ]; then pass guest-write-in-image; else fail guest-write-in-image "dd $(answer WRC), image md5 $got, want $want"; fi
t1=$(date +%s)
err=$($d block-detach pvhp 51728 2>&1); rc=$?
dt=$(( $(date +%s) - t1 ))
run 'sleep 1; echo GONE=$(ls /sys/block | grep -c "^xvdb$"); echo XB=$(ls /sys/bus/xen/devices | grep -c "^vbd-")' u6
if [ $rc = 0 ] && [ -z "$err" ] && [ $dt -lt 9 ] && [ "$(answer GONE)" = 0 ] && [ "$(answer XB)" = 0 ]; then
	pass detach-guest-loses-xvdb
else
	fail detach-guest-loses-xvdb "rc $rc after $dt s: '$err'; /sys/block xvdb $(answer GONE), vbds $(answer XB)"
fi
if unlocked "$img/a.img" && [ -z "$(be_vbds)" ] && [ -z "$($d xenstore-list pvhp device/vbd 2>/dev/null)" ] &&
   grep -q 'disk xvdb: detached' "$log" && grep -q 'blk xvdb: reads=.* writes=[1-9]' "$log"; then
	pass detach-releases-all
else
	fail detach-releases-all "lock free: $(unlocked "$img/a.img" && echo yes || echo no), backend '$(be_vbds)', log: $(grep -E 'xvdb' "$log" | tail -3 | tr '\n' '|')"
fi
# a second attach works and reads the pattern back
$d block-attach pvhp "tap:aio:$img/a.img,xvdb,r"; rc=$?
run 'for i in $(seq 100); do [ -b /dev/xvdb ] && break; sleep 0.1; done; echo RB=$(dd if=/dev/xvdb bs=64k skip=16 count=16 2>/dev/null | md5sum | cut -c1-32); echo RO=$(cat /sys/block/xvdb/ro)' u7
if [ $rc = 0 ] && [ "$(answer RB)" = "$want" ] && [ "$(answer RO)" = 1 ]; then pass second-attach-reads-back; else fail second-attach-reads-back "rc $rc, md5 '$(answer RB)', ro '$(answer RO)'"; fi
# detach while the guest holds it open: blkfront marks the disk dead
send 'exec 4</dev/xvdb'
sleep 1
err=$($d block-detach pvhp xvdb 2>&1); rc=$?
run 'exec 4<&-; sleep 1; echo GONE=$(ls /sys/block | grep -c "^xvdb$")' u8
if [ $rc = 0 ] && [ "$(answer GONE)" = 0 ] && unlocked "$img/a.img"; then pass detach-while-open; else fail detach-while-open "rc $rc: '$err'; xvdb left: $(answer GONE)"; fi
echo "info: detach while open said: '${err:-nothing}'"

# ---- a vif on br0 ---------------------------------------------------------------
run 'insmod /lib/modules/xen-netfront.ko; echo NF=$?' n0
mac=00:16:3e:00:42:01
if $d network-attach pvhp bridge=br0 mac=$mac && ip -o link show master br0 | grep -q "vif$id.0"; then
	pass network-attach-tap-on-bridge
else
	fail network-attach-tap-on-bridge "br0 ports: $(ip -o link show master br0 | awk -F': ' '{ print $2 }' | tr '\n' ' ')"
fi
run 'for i in $(seq 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done; ip addr add 10.9.0.2/24 dev eth0 && ip link set eth0 up; echo MAC=$(cat /sys/class/net/eth0/address); ping -c 3 -W 5 10.9.0.1 >/dev/null; echo PING=$?' n1 180
if [ "$(answer MAC)" = $mac ] && [ "$(answer PING)" = 0 ]; then pass guest-pings-bridge; else fail guest-pings-bridge "mac '$(answer MAC)', ping $(answer PING)"; fi
nl=$($d network-list pvhp)
if echo "$nl" | head -1 | grep -q '^Idx BE Mac Addr.  *handle state evt-ch' &&
   echo "$nl" | awk -v id="$id" -v mac=$mac '$1 == 0 && $3 == mac && $5 == 4 && $6 > 0 && $8 == "/local/domain/0/backend/vif/" id "/0" { ok = 1 } END { exit !ok }'; then
	pass network-list
else
	fail network-list "$(echo "$nl" | tr '\n' '|')"
fi
expect_err dup-mac "^domus network-attach: pvhp: mac $mac is in use by vif$id.0" $d network-attach pvhp bridge=br0 mac=$mac
expect_err bad-bridge "^domus network-attach: pvhp: vif 1: bridge nosuchbr0 does not exist" $d network-attach pvhp bridge=nosuchbr0
err=$($d network-detach pvhp $mac 2>&1); rc=$?
run 'sleep 1; echo ETH=$(ls /sys/class/net | grep -c "^eth0$")' n2
if [ $rc = 0 ] && [ -z "$err" ] && [ "$(answer ETH)" = 0 ] && ! ip link show "vif$id.0" >/dev/null 2>&1 &&
   [ -z "$($d xenstore-list pvhp /local/domain/0/backend/vif/$id 2>/dev/null)" ]; then
	pass network-detach-tap-gone
else
	fail network-detach-tap-gone "rc $rc: '$err'; eth0 $(answer ETH); $(ip -o link show master br0 | tr '\n' '|')"
fi
# ---- a reboot keeps a hot-plugged disk: published again in the rebuilt domain
$d block-attach pvhp "tap:aio:$img/b.img,xvdc,w"; rc=$?
l=$(wc -l <"$con")
send 'reboot -f'
if [ $rc = 0 ] && wait_log "$con" 'DOMUS-GUEST-READY' 240 "$((l + 1))"; then
	send 'stty -echo'
	run 'echo DISKS2=$(ls /sys/block | grep xvd | tr "\n" " ")' r1
	id2=$($d list pvhp | awk 'NR == 2 { print $2 }')
	err=$($d block-detach pvhp xvdc 2>&1); rc=$?
	if [ "$(answer DISKS2)" = xvdc ] && [ "$id2" != "$id" ] && [ $rc = 0 ] && [ -z "$err" ] && unlocked "$img/b.img"; then
		pass reboot-keeps-hotplugged-disk
	else
		fail reboot-keeps-hotplugged-disk "disks '$(answer DISKS2)', id $id -> $id2, detach rc $rc: '$err'"
	fi
else
	fail reboot-keeps-hotplugged-disk "attach rc $rc, or no DOMUS-GUEST-READY after the reboot: $(tail -c 300 "$con" | tr '\r\n' '||')"
fi
bad='cannot connect|corrupt|launcher: (killed by the sandbox|fatal signal)'	# sandbox.c's fatal lines
if ! grep -Eq "$bad" "$log"; then pass launcher-log-clean; else fail launcher-log-clean "$(grep -E "$bad" "$log" | head -3 | tr '\n' '|')"; fi

$d destroy pvhp >/dev/null 2>&1
exec 3>&-
ip link del br0 2>/dev/null
rm -rf "$img"
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount|audit.*type=1326' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
