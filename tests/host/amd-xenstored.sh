#!/bin/bash
# domus xenstored inside the AMD-V test host (run by
# tests/suites/75-xenstored-amd through scripts/testhost): two PV guests
# (the busybox initramfs of build/xsd/guest.cpio), the service on
# libxenstore's default socket, and Xen's own clients against it.  One
# PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh	# wait_log, one; pass and fail are this script's own
top=$(pwd)
failed=0
pass() { echo "PASS: xenstored-amd/$1"; }
fail() { echo "FAIL: xenstored-amd/$1: $2"; failed=1; }
out=$top/build/xsd
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out/log"; mkdir -p "$out/log"
unset XENSTORED_PATH XENSTORED_RUNDIR
d=build/domus
py=/usr/bin/python3
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
sock=/var/run/xenstored/socket

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
$d xenstored 2>"$out/xenstored.log" &
xpid=$!
for i in $(seq 50); do [ -S $sock ] && break; sleep 0.1; done
m=$(stat -c '%a %U' $sock 2>&1)
if [ "$m" = "600 root" ]; then pass socket-root-only; else fail socket-root-only "$sock: '$m'"; fi

t0=$(date +%s)
for g in xsa xsb; do
	$d create tests/host/pvcli.cfg name=\"$g\" memory=160 kernel=\""$kernel"\" \
		ramdisk=\"build/xsd/guest.cpio\" >"$out/create-$g.out" 2>&1 ||
		fail create-$g "$(one <"$out/create-$g.out")"
done
ida=$($d domid xsa 2>/dev/null); idb=$($d domid xsb 2>/dev/null)
ready=1
for g in xsa xsb; do
	wait_log "$out/log/$g-console.log" DOMUS-GUEST-READY 240 || { ready=0; fail guests-ready "$g: $(tail -c 300 "$out/log/$g-console.log" | one)"; }
done
[ $ready = 1 ] && pass guests-ready
echo "info: two guests booted in $(( $(date +%s) - t0 )) s (ids $ida $idb)"

# xenstore-ls: both guests' trees, and our own domain 0
xo=$(xenstore-ls /local/domain 2>&1); rc=$?
if [ $rc = 0 ] && echo "$xo" | grep -qx "$ida = \"\"" && echo "$xo" | grep -qx "$idb = \"\"" &&
   echo "$xo" | grep -qx ' name = "xsa"' && echo "$xo" | grep -qx ' name = "xsb"' &&
   echo "$xo" | grep -qx ' name = "Domain-0"' && echo "$xo" | grep -q '^  shutdown = ""'; then
	pass xenstore-ls
else
	fail xenstore-ls "rc $rc: $(echo "$xo" | head -40 | one)"
fi
xo=$(xenstore-read /local/domain/$ida/name /local/domain/$idb/domid name 2>&1); rc=$?
if [ $rc = 0 ] && [ "$xo" = "$(printf 'xsa\n%s\nDomain-0' "$idb")" ]; then pass xenstore-read; else fail xenstore-read "rc $rc: $(echo "$xo" | one)"; fi
xo=$(xenstore-read /local/domain/$ida/nosuch 2>&1); rc=$?
if [ $rc != 0 ]; then pass xenstore-read-missing; else fail xenstore-read-missing "rc $rc: $xo"; fi

# a key the guest reads: control/sysrq = h makes Linux's xenbus watch run
# SysRq h (help on the console) and write "" back; xenstore-watch sees
# the initial event, our write and the guest's
timeout 90 xenstore-watch -n 3 /local/domain/$idb/control/sysrq >"$out/watch.out" 2>&1 &
wpid=$!
sleep 1
if xenstore-write /local/domain/$idb/control/sysrq h && wait_log "$out/log/xsb-console.log" 'sysrq: HELP' 60; then
	pass xenstore-write-guest-reads
else
	fail xenstore-write-guest-reads "no 'sysrq: HELP' on xsb's console: $(tail -c 300 "$out/log/xsb-console.log" | one)"
fi
wait $wpid; rc=$?
n=$(grep -cx "/local/domain/$idb/control/sysrq" "$out/watch.out")
v=$(xenstore-read /local/domain/$idb/control/sysrq 2>&1)
if [ $rc = 0 ] && [ "$n" = 3 ] && [ -z "$v" ]; then
	pass xenstore-watch-guest-write
else
	fail xenstore-watch-guest-write "rc $rc, $n events, sysrq '$v': $(one <"$out/watch.out")"
fi

# pyxs: a listing, reads, a transaction across a guest's tree, a watch
$py - "$ida" "$idb" >"$out/pyxs.out" 2>&1 <<'PY'
import sys
from pyxs import Client
a, b = sys.argv[1].encode(), sys.argv[2].encode()
with Client() as c:
    doms = c.list(b"/local/domain")
    assert a in doms and b in doms and b"0" in doms, doms
    assert c.read(b"/local/domain/" + a + b"/name") == b"xsa"
    assert c.get_perms(b"/local/domain/" + a + b"/name") == [b"n0", b"r" + a]
    c.transaction()
    c.write(b"/local/domain/" + a + b"/data/pyxs", b"committed")
    assert c.commit()
    assert c.read(b"/local/domain/" + a + b"/data/pyxs") == b"committed"
    # one transaction over both guests' trees (committed store by store)
    c.transaction()
    c.write(b"/local/domain/" + a + b"/data/both", b"A")
    c.write(b"/local/domain/" + b + b"/data/both", b"B")
    assert c.read(b"/local/domain/" + b + b"/data/both") == b"B"
    assert c.commit()
    assert c.read(b"/local/domain/" + a + b"/data/both") == b"A"
    assert c.read(b"/local/domain/" + b + b"/data/both") == b"B"
    # relative paths are dom0's
    assert c.read(b"name") == b"Domain-0"
    with c.monitor() as m:
        m.watch(b"/local/domain/" + b + b"/data", b"tok")
        ev = m.wait()
        assert next(ev) == (b"/local/domain/" + b + b"/data", b"tok")
        c.write(b"/local/domain/" + b + b"/data/x", b"1")
        assert next(ev) == (b"/local/domain/" + b + b"/data/x", b"tok")
print("pyxs ok")
PY
if [ $? = 0 ] && grep -qx 'pyxs ok' "$out/pyxs.out"; then pass pyxs; else fail pyxs "$(one <"$out/pyxs.out")"; fi

# a non-root user is refused
xo=$(setpriv --reuid=65534 --regid=65534 --clear-groups xenstore-read /local/domain/$ida/name 2>&1); rc=$?
if [ $rc != 0 ] && [ "$xo" != xsa ]; then pass non-root-refused; else fail non-root-refused "rc $rc: $xo"; fi

# a malformed and an oversized request close that client only
$py - "$ida" >"$out/bad.out" 2>&1 <<'PY'
import os, socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect("/var/run/xenstored/socket")
    return s
def read_msg(s):
    b = b""
    while len(b) < 16:
        k = s.recv(16 - len(b))
        if not k:
            return None
        b += k
    t, r, x, n = struct.unpack("<IIII", b)
    p = b""
    while len(p) < n:
        p += s.recv(n - len(p))
    return t, p
def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
good = conn()
path = b"/local/domain/" + sys.argv[1].encode() + b"/name\0"
big = conn()
big.sendall(struct.pack("<IIII", 2, 1, 0, 5000) + b"x" * 64)
print("oversized closed", closed(big))
bad = conn()
bad.sendall(struct.pack("<IIII", 15, 1, 0, 4) + b"a\0b\0")
print("malformed closed", closed(bad))
good.sendall(struct.pack("<IIII", 2, 9, 0, len(path)) + path)
print("other client", read_msg(good))
PY
if grep -qx 'oversized closed True' "$out/bad.out"; then pass oversized-closes-client; else fail oversized-closes-client "$(one <"$out/bad.out")"; fi
if grep -qx 'malformed closed True' "$out/bad.out"; then pass malformed-closes-client; else fail malformed-closes-client "$(one <"$out/bad.out")"; fi
if grep -qx "other client (2, b'xsa')" "$out/bad.out"; then pass others-keep-working; else fail others-keep-working "$(one <"$out/bad.out")"; fi

# a dead launcher's subtree disappears; a watch on it fires
timeout 30 xenstore-watch -n 2 /local/domain/$idb/name >"$out/gone.out" 2>&1 &
wpid=$!
sleep 1
$d destroy xsb >/dev/null 2>&1
wait $wpid; rc=$?
ok=0
for i in $(seq 50); do
	xenstore-ls /local/domain 2>/dev/null | grep -qx "$idb = \"\"" || { ok=1; break; }
	sleep 0.2
done
if [ $ok = 1 ] && [ $rc = 0 ] && [ "$(grep -cx "/local/domain/$idb/name" "$out/gone.out")" = 2 ] &&
   ! xenstore-read /local/domain/$idb/name >/dev/null 2>&1 &&
   [ "$(xenstore-read /local/domain/$ida/name 2>&1)" = xsa ]; then
	pass dead-domain-subtree-gone
else
	fail dead-domain-subtree-gone "listed still: $((1 - ok)), watch rc $rc: $(one <"$out/gone.out")"
fi

$d destroy xsa >/dev/null 2>&1
kill $xpid; wait $xpid; rc=$?
if [ $rc = 0 ] && [ ! -e $sock ] && ! grep -q 'refused a client of uid 0' "$out/xenstored.log"; then
	pass xenstored-stops
else
	fail xenstored-stops "rc $rc: $(one <"$out/xenstored.log")"
fi
for i in $(seq 50); do pgrep -x domus-launcher >/dev/null || break; sleep 0.1; done
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
exit $failed
