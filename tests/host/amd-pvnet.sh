#!/bin/bash
# PV network inside the AMD-V test host (run by tests/suites/69-pv-net-amd
# through scripts/testhost; docs/devices.md): two guests, each booted by
# `domus create -c` with the busybox initramfs plus xen-netfront.ko, on one
# host bridge (br0, 10.9.0.1/24), both launchers pinned to test-host CPU 0
# (the suite's test host has only that one: docs/testing.md, "Emulator
# limits").  The guests get eth0 from xen-netfront,
# ping the bridge and each other, move PVNET_MB MiB (default 100) over TCP
# with matching checksums (timed), and a guest with ip= cannot send from
# another address.  Bad bridges give one-line errors; bridge-create=yes
# creates one.  A hostile front end in guest B (tests/host/pv-netfuzz.c)
# takes its vif from netfront and writes garbage into the rings: the back
# end answers, then disconnects that vif only; guest A keeps working.
# One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh	# gstats, stats_zero, wait_log; the helpers below are this script's own
top=$(pwd)
failed=0
pass() { echo "PASS: pv-net-amd/$1"; }
fail() { echo "FAIL: pv-net-amd/$1: $2"; failed=1; }

out=$top/build/pvnet
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log" "$out"/console*.out
mkdir -p "$out/log"
tmp=$(mktemp -d /tmp/pvnet.XXXXXX)	# FIFOs: not on the 9p share
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
mb=${PVNET_MB:-100}
# the guests keep the data in tmpfs (half their RAM): room for it
gmem=256
[ "$mb" -gt 80 ] && gmem=$((mb * 2 + 160))

# send FD CMD; run GUEST CMD MARKER [TIMEOUT]: a guest command, then "MARKER-done"
send() { local fd=$1; shift; printf 'echo; %s\n' "$*" >&"$fd"; }
run() {
	local g=$1 fd con l
	if [ "$g" = a ]; then fd=3; con=$cona; else fd=4; con=$conb; fi
	l=$(wc -l <"$con")
	send $fd "$2; echo $3-do''ne"
	wait_log "$con" "^$3-done" "${4:-120}" "$l"
}
# answer GUEST KEY: the guest's last "KEY=VALUE" line
answer() { local con=$cona; [ "$1" = b ] && con=$conb; tr -d '\r' <"$con" | sed -n "s/^$2=//p" | tail -1; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
modprobe tun && modprobe bridge || { fail host-modules "modprobe tun bridge failed"; exit 1; }
lines0=$(dmesg | wc -l)

cfg() {	# NAME VIF-SPEC
	cat >"$tmp/$1.cfg" <<EOF
name = "$1"
type = "pvh"
memory = $gmem
kernel = "$kernel"
ramdisk = "$top/build/pvnet/guest.cpio"
extra = "console=hvc0 loglevel=4 rdinit=/init"
vif = [ '$2' ]
EOF
}

# ---- bad bridges: one line, exit 1, nothing left -----------------------------
cfg bad 'bridge=nosuchbr0'
err=$($d create "$tmp/bad.cfg" 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
   echo "$err" | grep -q "vif 0: bridge nosuchbr0 does not exist: create it (ip link add nosuchbr0 type bridge && ip link set nosuchbr0 up) or add bridge-create=yes"; then
	pass bad-missing-bridge
else
	fail bad-missing-bridge "rc $rc: $err"
fi
err=$($d create "$tmp/bad.cfg" "vif=['bridge=lo']" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$err" | grep -q "vif 0: lo is not a bridge"; then pass bad-not-a-bridge; else fail bad-not-a-bridge "rc $rc: $err"; fi
err=$($d create "$tmp/bad.cfg" "vif=['mac=01:02:03:04:05:06']" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$err" | grep -q "vif: entry 1 .*multicast address"; then pass bad-multicast-mac; else fail bad-multicast-mac "rc $rc: $err"; fi
if [ "$(gstats)" = "0 0 0 0 0" ] && ! ip -o link show | grep -q ': vif'; then pass bad-leaves-nothing; else fail bad-leaves-nothing "$(gstats); $(ip -o link show | grep vif)"; fi

# ---- the bridge ----------------------------------------------------------------
ip link add br0 type bridge && ip addr add 10.9.0.1/24 dev br0 && ip link set br0 up ||
	{ fail bridge "cannot set up br0"; exit 1; }

# ---- guest A (ip= filter) and guest B, pinned to CPU 0 ------------------------
mkfifo "$tmp/a.in" "$tmp/b.in"
exec 3<>"$tmp/a.in" 4<>"$tmp/b.in"
cfg pvnet-a 'bridge=br0,mac=00:16:3e:00:09:0a,ip=10.9.0.10'
cfg pvnet-b 'mac=00:16:3e:00:09:0b,bridge=br0,vifname=pvnetb0'
cona=$out/console-a.out
conb=$out/console-b.out
loga=$out/log/pvnet-a.log
logb=$out/log/pvnet-b.log
taskset -c 0 $d create -c "$tmp/pvnet-a.cfg" <"$tmp/a.in" >"$cona" 2>&1 &
taskset -c 0 $d create -c "$tmp/pvnet-b.cfg" <"$tmp/b.in" >"$conb" 2>&1 &
ok=1
for g in a b; do
	c=$cona; [ $g = b ] && c=$conb
	if wait_log "$c" 'DOMUS-GUEST-READY' 300; then
		pass guest-$g-ready
	else
		fail guest-$g-ready "no DOMUS-GUEST-READY within 300 s: $(tail -c 300 "$c" | tr '\r\n' '||')"
		ok=0
	fi
done
ida=$($d list pvnet-a 2>/dev/null | awk 'NR == 2 { print $2 }')
taps=$(ip -o link show master br0 | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
if [ "$taps" = "pvnetb0 vif$ida.0 " ]; then pass taps-on-bridge; else fail taps-on-bridge "br0 ports: '$taps' (domain a is $ida)"; fi
if [ $ok = 1 ]; then
	for g in a b; do
		fd=3; [ $g = b ] && fd=4
		send $fd 'stty -echo'
		ip=10.9.0.10; [ $g = b ] && ip=10.9.0.11
		run $g "insmod /lib/modules/xen-netfront.ko; ip addr add $ip/24 dev eth0 && ip link set eth0 up; echo MAC=\$(cat /sys/class/net/eth0/address) DRV=\$(basename \$(readlink /sys/class/net/eth0/device/driver))" n1$g 120
	done
	if [ "$(answer a MAC)" = "00:16:3e:00:09:0a DRV=vif" ] && [ "$(answer b MAC)" = "00:16:3e:00:09:0b DRV=vif" ]; then
		pass guests-have-eth0
	else
		fail guests-have-eth0 "a: '$(answer a MAC)', b: '$(answer b MAC)'"
	fi
	# the host's bridge address
	run a 'ping -c 3 -W 5 10.9.0.1 >/dev/null; echo PINGHOST=$?' p1 120
	if [ "$(answer a PINGHOST)" = 0 ]; then pass ping-host-bridge; else fail ping-host-bridge "ping rc '$(answer a PINGHOST)'"; fi
	# guest to guest, both ways
	run a 'ping -c 3 -W 5 10.9.0.11 >/dev/null; echo PINGB=$?' p2 120
	run b 'ping -c 3 -W 5 10.9.0.10 >/dev/null; echo PINGA=$?' p3 120
	if [ "$(answer a PINGB)" = 0 ] && [ "$(answer b PINGA)" = 0 ]; then pass ping-guest-to-guest; else fail ping-guest-to-guest "a->b '$(answer a PINGB)', b->a '$(answer b PINGA)'"; fi
	# TCP, a -> b: PVNET_MB MiB with matching checksums, timed: a file
	# in the sender's tmpfs to a file in the receiver's, MD5 sums before
	# and after. The data is a 1 MiB block written PVNET_MB times (cat:
	# yes | head makes 27-byte writes, slow in a nested guest). Streaming
	# instead (generator | nc, nc | md5sum) took 638 s for 100 MiB
	# against 142 s file to file (docs/devices.md, "Figures").
	gen='i=0; while [ $i -lt '"$mb"' ]; do cat /tmp/blk; i=$((i + 1)); done'
	t0=$(date +%s.%N)
	run a "yes DOMUS-NET-0123456789abcdef | head -c 1048576 >/tmp/blk; $gen >/tmp/data; echo SENT=\$(md5sum </tmp/data | cut -c1-32)" t1 600
	tsum=$(echo "$(date +%s.%N) - $t0" | bc -l)
	# the receiver's stdin never ends (a FIFO it holds open itself; with
	# /dev/null busybox nc shuts its sending side at once, and the sender,
	# seeing that EOF, stops early)
	send 4 'mkfifo /tmp/f; nc -l -p 5001 <>/tmp/f >/tmp/r; echo RSIZE=$(wc -c </tmp/r); echo RECV=$(md5sum </tmp/r | cut -c1-32)'
	sleep 2
	t0=$(date +%s.%N)
	run a 'nc 10.9.0.11 5001 </tmp/data >/dev/null; echo NCRC=$?' t2 900
	t1=$(date +%s.%N)
	wait_log "$conb" '^RECV=' 600
	t2=$(date +%s.%N)
	want=$(for i in $(seq "$mb"); do yes DOMUS-NET-0123456789abcdef | head -c 1048576; done | md5sum | cut -c1-32)
	secs=$(echo "$t1 - $t0" | bc -l)
	echo "info: TCP a -> b: $(answer b RSIZE) bytes in $(printf %.1f "$secs") s = $(echo "$(answer b RSIZE) * 8 / $secs / 1000000" | bc -l | xargs printf %.1f) Mbit/s (TCG, both guests on one CPU); making the data and its MD5 in a: $(printf %.1f "$tsum") s, the MD5 in b: $(echo "$t2 - $t1" | bc -l | xargs printf %.1f) s"
	if [ "$(answer a SENT)" = "$want" ] && [ "$(answer b RECV)" = "$want" ] && [ "$(answer a NCRC)" = 0 ]; then
		pass tcp-transfer-checksums
	else
		fail tcp-transfer-checksums "sent '$(answer a SENT)', received '$(answer b RECV)' ($(answer b RSIZE) bytes), want $want, nc rc '$(answer a NCRC)'"
	fi
	# the ip= filter: a cannot send from 10.9.0.99 (IPv4 and ARP), still can from .10
	run a 'ip addr add 10.9.0.99/24 dev eth0; ping -c 2 -W 3 -I 10.9.0.99 10.9.0.1 >/dev/null; echo SPOOF=$?; ping -c 1 -W 5 10.9.0.1 >/dev/null; echo LEGIT=$?' s1 120
	if [ "$(answer a SPOOF)" != 0 ] && [ -n "$(answer a SPOOF)" ] && [ "$(answer a LEGIT)" = 0 ] &&
	   grep -q "vif vif$ida.0: dropped a packet from 10.9.0.99: not in ip=" "$loga"; then
		pass spoofed-source-dropped
	else
		fail spoofed-source-dropped "spoofed ping rc '$(answer a SPOOF)', legit '$(answer a LEGIT)', log: $(grep 'dropped a packet' "$loga" | tr '\n' '|')"
	fi
	# b has no ip=: it may use any address
	run b 'ip addr add 10.9.0.98/24 dev eth0; ping -c 1 -W 5 -I 10.9.0.98 10.9.0.1 >/dev/null; echo FREE=$?' s2 120
	if [ "$(answer b FREE)" = 0 ]; then pass no-filter-without-ip; else fail no-filter-without-ip "rc '$(answer b FREE)'"; fi
	# a hostile front end takes b's vif from netfront: valid, random,
	# hostile RX, raced and corrupt rings
	seed=${PVNET_FUZZ_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) + 1 ))}
	echo "info: pv-netfuzz seed $seed"
	run b "insmod /xen-evtchn.ko; insmod /xen-gntalloc.ko; /pv-netfuzz 0 200 $seed 10.9.0.11 10.9.0.1" h1 400
	nf() { tr -d '\r' <"$conb" | grep "^NETFUZZ$1"; }
	nf '' | sed 's/^/info: /'
	if nf ' valid-ok' >/dev/null; then pass hostile-valid-packets; else fail hostile-valid-packets "$(nf | tr '\n' '|')"; fi
	g=$(nf ' tx-garbage')
	if echo "$g" | grep -Eq ' ok=[0-9]+ error=[1-9][0-9]* null=[0-9]+ dropped=0 other=0$'; then pass hostile-random-tx-answered; else fail hostile-random-tx-answered "'$g'"; fi
	g=$(nf ' rx-garbage')
	if echo "$g" | grep -Eq ' responses=[1-9][0-9]* ok=[0-9]+ error=[1-9][0-9]* other=0$'; then pass hostile-rx-requests-answered; else fail hostile-rx-requests-answered "'$g'"; fi
	if nf ' racing answered=[1-9]' >/dev/null; then pass hostile-racing-writer-answered; else fail hostile-racing-writer-answered "$(nf | tail -2 | tr '\n' '|')"; fi
	nc=$(grep -c "vif pvnetb0: the guest's ring is corrupt" "$logb")
	if nf ' overlong-chain-disconnected' >/dev/null && nf ' tx-index-disconnected' >/dev/null &&
	   nf ' rx-index-disconnected' >/dev/null && nf '-DONE' >/dev/null && [ "$nc" = 3 ] &&
	   grep -q "pvnetb0: the guest's ring is corrupt (a TX packet spans more than 20 slots)" "$logb" &&
	   ! grep -q 'corrupt' "$loga"; then
		pass hostile-corrupt-rings-disconnect
	else
		fail hostile-corrupt-rings-disconnect "$nc log lines; $(nf | tail -2 | tr '\n' '|')"
	fi
	# the other guest and the host's bridge are unaffected
	run a 'ping -c 3 -W 5 10.9.0.1 >/dev/null; echo PINGAFTER=$?' p4 120
	if [ "$(answer a PINGAFTER)" = 0 ]; then pass hostile-other-guest-works; else fail hostile-other-guest-works "ping rc '$(answer a PINGAFTER)'"; fi
	send 3 'poweroff -f'
	send 4 'poweroff -f'
fi
for n in pvnet-a pvnet-b; do
	pid=$(cat "$DOMUS_RUN_DIR/$n.pid" 2>/dev/null)
	for i in $(seq 100); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && $d destroy $n >/dev/null 2>&1
done
la=$(grep 'net vif.*: tx_packets' "$loga" | tail -1)
lb=$(grep 'net pvnetb0: tx_packets' "$logb" | tail -1)
echo "info: a: $la"
echo "info: b: $lb"
sp=$(echo "$la" | sed -n 's/.* tx_spoofed=\([0-9]*\).*/\1/p')
if [ -n "$sp" ] && [ "$sp" -ge 1 ] && echo "$lb" | grep -q ' tx_spoofed=0 '; then pass spoof-counted; else fail spoof-counted "a: '$la'"; fi
# (b's hostile front end was disconnected above, on purpose)
if grep -q 'vif.*: connected (bridge br0' "$loga" && grep -q 'pvnetb0: connected (bridge br0' "$logb" &&
   ! grep -q 'corrupt\|cannot connect' "$loga" && ! grep -q 'cannot connect' "$logb"; then
	pass backend-log-clean
else
	fail backend-log-clean "$(grep -h 'vif ' "$loga" "$logb" | tr '\n' '|')"
fi
stats_zero guests-free-all
if ! ip -o link show | grep -q 'pvnetb0\|: vif'; then pass taps-gone; else fail taps-gone "$(ip -o link show | grep 'pvnetb0\|vif' | tr '\n' '|')"; fi

# ---- bridge-create=yes, and a 2-vCPU guest: two queues -------------------------
# (one domain alone now; the suite's test host has one CPU)
cfg pvnet-c 'bridge=brnew0,bridge-create=yes,mac=00:16:3e:00:09:0c'
echo 'vcpus = 2' >>"$tmp/pvnet-c.cfg"
conc=$out/console-c.out
logc=$out/log/pvnet-c.log
mkfifo "$tmp/c.in"
exec 5<>"$tmp/c.in"
$d create -c "$tmp/pvnet-c.cfg" <"$tmp/c.in" >"$conc" 2>&1 &
if wait_log "$conc" 'DOMUS-GUEST-READY' 300 && [ -d /sys/class/net/brnew0/bridge ] &&
   ip -o link show master brnew0 | grep -q 'vif'; then
	pass bridge-create
	ip addr add 10.8.0.1/24 dev brnew0
	cona=$conc	# run/answer drive guest "a" through fd 3
	exec 3>&5
	send 3 'stty -echo'
	run a 'insmod /lib/modules/xen-netfront.ko; ip addr add 10.8.0.12/24 dev eth0 && ip link set eth0 up; echo NQ=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l); ping -c 3 -W 5 10.8.0.1 >/dev/null; echo PINGC=$?' c1 180
	if [ "$(answer a NQ)" = 2 ] && [ "$(answer a PINGC)" = 0 ] && grep -q 'connected (bridge brnew0, TSO to the guest, 2 queues)' "$logc"; then
		pass multi-queue
	else
		fail multi-queue "queues '$(answer a NQ)', ping '$(answer a PINGC)', log: $(grep 'connected\|cannot' "$logc" | tr '\n' '|')"
	fi
	# a reboot rebuilds the domain (new id, new xenstore) under the
	# sandbox: the same TAP device, connected again
	l=$(wc -l <"$conc")
	send 3 'reboot -f'
	if wait_log "$conc" 'DOMUS-GUEST-READY' 300 "$((l + 1))"; then
		send 3 'stty -echo'
		run a 'insmod /lib/modules/xen-netfront.ko; ip addr add 10.8.0.12/24 dev eth0 && ip link set eth0 up; ping -c 3 -W 5 10.8.0.1 >/dev/null; echo PINGR=$?' c2 180
		n=$(grep -c 'connected (bridge brnew0' "$logc")
		if [ "$(answer a PINGR)" = 0 ] && [ "$n" = 2 ] && [ "$(ip -o link show master brnew0 | wc -l)" = 1 ]; then
			pass reboot-reconnects
		else
			fail reboot-reconnects "ping '$(answer a PINGR)', $n connections, brnew0 ports: $(ip -o link show master brnew0 | wc -l)"
		fi
	else
		fail reboot-reconnects "no DOMUS-GUEST-READY after the reboot: $(tail -c 300 "$conc" | tr '\r\n' '||')"
	fi
else
	fail bridge-create "$(tail -c 300 "$conc" | tr '\r\n' '||'); $(ls /sys/class/net | tr '\n' ' ')"
fi
$d destroy pvnet-c >/dev/null 2>&1
stats_zero bridge-create-frees-all
ip link del brnew0 2>/dev/null
ip link del br0 2>/dev/null

exec 3>&- 4>&- 5>&-
rm -rf "$tmp"
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
