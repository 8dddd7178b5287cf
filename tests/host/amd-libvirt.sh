#!/bin/bash
# domusd inside the AMD-V test host (run by tests/suites/76-libvirt-amd
# through scripts/testhost): one PV guest (the busybox initramfs of
# build/lv/guest.cpio), domusd on its default socket and link, and the
# stock virsh with the plain URI domus:///system: list, dominfo, domstate,
# dumpxml against what `domus list`/`domus uuid` say; virsh console under
# a pseudo-terminal (a command typed, its answer seen, Ctrl-] leaves the
# guest running); after a destroy the list is empty.  `virsh event --all
# --loop` sees the defined domain suspended, resumed and stopped, and
# python3-libvirt's event loop the same with libvirt's details (and the
# later start, destroy, undefine).  Then the lifecycle through virsh with a persistent
# domain (CONF_DIR $out/conf): define, start, suspend/resume, setmem,
# shutdown (the guest powers off), start again, destroy, the clone flow
# (dumpxml -> new name, no uuid -> define -> start), undefine, with
# `domus list -a` and `virsh list --all` compared at each step; save,
# managed save and restore (Started Restored); the same domains over
# libvirt's ssh transport (domus+ssh://root@localhost/system, an sshd of
# the test host's own).  One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh	# wait_log, one; pass and fail are this script's own
top=$(pwd)
failed=0
pass() { echo "PASS: libvirt-amd/$1"; }
fail() { echo "FAIL: libvirt-amd/$1: $2"; failed=1; }
out=$top/build/lv
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log DOMUS_CONF_DIR=$out/conf
export DOMUS_SAVE_DIR=/tmp/lvsave	# managed saves: in the test host's memory (the 9p share is slow)
rm -rf "$out/log" "$out/conf"; mkdir -p "$out/log" /run/domus
d=build/domus
kernel=${PV_KERNEL:-/boot/vmlinuz-$(scripts/kver)}
V() { timeout 120 virsh -c domus:///system "$@"; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
build/domusd 2>"$out/domusd.log" &
dpid=$!
for i in $(seq 50); do [ -S /run/domus/domusd.sock ] && break; sleep 0.1; done
m=$(stat -c '%a %U' /run/domus/domusd.sock 2>&1)
l=$(readlink /run/libvirt/virtdomusd-sock 2>&1)
if [ "$m" = "600 root" ] && [ "$l" = /run/domus/domusd.sock ]; then pass socket-and-link
else fail socket-and-link "socket '$m', link '$l'"; fi

$d create tests/host/pvcli.cfg name=\"lv\" memory=160 maxmem=192 kernel=\""$kernel"\" \
	ramdisk=\"build/lv/guest.cpio\" >"$out/create.out" 2>&1 || fail create "$(one <"$out/create.out")"
if wait_log "$out/log/lv-console.log" DOMUS-GUEST-READY 240; then pass guest-ready
else fail guest-ready "$(tail -c 300 "$out/log/lv-console.log" | one)"; fi
id=$($d domid lv 2>/dev/null)
uuid=$($d uuid lv 2>/dev/null)

o=$(V list --all 2>&1); rc=$?
if [ $rc = 0 ] && echo "$o" | grep -Eq "^ $id +lv +running\$"; then pass virsh-list; else fail virsh-list "rc $rc: $(echo "$o" | one)"; fi
dl=$($d list 2>&1 | awk 'NR > 2 { print $2, $1 }')
vl=$(V list --all 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }')
if [ -n "$vl" ] && [ "$dl" = "$vl" ]; then pass list-agrees; else fail list-agrees "domus '$dl', virsh '$vl'"; fi
o=$(V dominfo lv 2>&1); rc=$?
if [ $rc = 0 ] && echo "$o" | grep -Eq "^Id: +$id\$" && echo "$o" | grep -Eq "^UUID: +$uuid\$" &&
	echo "$o" | grep -Eq '^State: +running$' && echo "$o" | grep -Eq '^Max memory: +196608 KiB$' &&
	echo "$o" | grep -Eq '^Used memory: +163840 KiB$' && echo "$o" | grep -Eq '^OS Type: +xenpvh$' &&
	echo "$o" | grep -Eq '^CPU time: +[0-9.]+s$'; then pass virsh-dominfo
else fail virsh-dominfo "rc $rc: $(echo "$o" | one)"; fi
o=$(V domstate --reason "$id" 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(echo "$o" | head -1)" = "running (booted)" ]; then pass virsh-domstate; else fail virsh-domstate "rc $rc: $o"; fi
o=$(V dumpxml "$uuid" 2>&1); rc=$?
if [ $rc = 0 ] && /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
assert r.get("type") == "xen" and r.get("id") == sys.argv[1]
assert r.findtext("name") == "lv" and r.findtext("uuid") == sys.argv[2]
assert r.findtext("memory") == "196608" and r.findtext("currentMemory") == "163840"
assert r.findtext("os/type") == "xenpvh" and r.findtext("os/kernel") == sys.argv[3]
assert r.findtext("os/initrd") == "build/lv/guest.cpio"
assert "rdinit=/init" in r.findtext("os/cmdline")
assert r.findtext("on_crash") == "preserve"' "$id" "$uuid" "$kernel" <<<"$o" 2>"$out/py.err"; then pass virsh-dumpxml
else fail virsh-dumpxml "rc $rc: $(tail -1 "$out/py.err") $(echo "$o" | one)"; fi

# virsh console under a pseudo-terminal: the guest's shell answers a
# command typed through domusd's stream; Ctrl-] ends virsh, the guest runs on
o=$(timeout 200 /usr/bin/python3 - lv <<'PY' 2>&1
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("virsh", ["virsh", "-c", "domus:///system", "console", sys.argv[1]])
out = b""
def until(want, secs):
    global out
    end = time.time() + secs
    while want not in out and time.time() < end:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return want in out
ok1 = until(b"Escape character is", 60)
time.sleep(1)
os.write(fd, b"\r")
time.sleep(1)
os.write(fd, b"echo VC-$((40+2))\r")
ok2 = until(b"VC-42", 90)
os.write(fd, b"\x1d")
rc, end = None, time.time() + 30
while rc is None and time.time() < end:
    w, st = os.waitpid(pid, os.WNOHANG)
    if w:
        rc = os.waitstatus_to_exitcode(st)
    time.sleep(0.1)
print("ok" if ok1 and ok2 and rc == 0 else f"connected {ok1}, answer {ok2}, exit {rc}: {out[-300:]!r}")
PY
)
st=$($d list lv 2>/dev/null | awk 'NR == 2 { print $5 }')
if [ "$o" = ok ] && [ -n "$st" ] && [ "${st#*s}" = "$st" ]; then pass virsh-console
else fail virsh-console "$(echo "$o" | one) (state '$st')"; fi
o=$(V domstate lv 2>&1 | head -1)
if [ "$o" = running ]; then pass console-guest-runs-on; else fail console-guest-runs-on "domstate '$o'"; fi

$d destroy lv >/dev/null 2>&1
o=$(V list --all 2>&1); rc=$?
if [ $rc = 0 ] && ! echo "$o" | grep -q ' lv '; then pass list-after-destroy; else fail list-after-destroy "rc $rc: $(echo "$o" | one)"; fi

# ---- the lifecycle of a defined domain through virsh ----
vl() { V list --all 2>/dev/null | awk '$1 ~ /^([0-9]+|-)$/ { print $2, $1 }' | sort; }
dl() { $d list -a 2>/dev/null | awk 'NR > 2 { print $1, $2 }' | sort; }
agree() { # NAME EXPECTED ("name id" lines; id '?' is the running id)
	local v dd want=${2//\?/$($d domid lvd 2>/dev/null)}
	v=$(vl); dd=$(dl)
	if [ "$v" = "$want" ] && [ "$dd" = "$want" ]; then pass "$1"
	else fail "$1" "expected '$(echo "$want" | one)', virsh '$(echo "$v" | one)', domus '$(echo "$dd" | one)'"; fi
}
wait_state() { # NAME SECONDS STATE
	local i
	for i in $(seq $(($2 * 2))); do
		[ "$(V domstate "$1" 2>/dev/null | head -1)" = "$3" ] && return 0
		sleep 0.5
	done
	return 1
}
booted() { # NAME: its console log says the guest is up (a fresh log each start)
	wait_log "$out/log/$1-console.log" DOMUS-GUEST-READY 300
}
cat >"$out/lvd.xml" <<XML
<domain type='xen'>
  <name>lvd</name>
  <memory unit='MiB'>192</memory>
  <currentMemory unit='MiB'>160</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>xenpvh</type>
    <kernel>$kernel</kernel>
    <initrd>$top/build/lv/guest.cpio</initrd>
    <cmdline>console=hvc0 earlyprintk=xen loglevel=7 rdinit=/init</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
  <devices><console type='pty'><target type='xen' port='0'/></console></devices>
</domain>
XML
o=$(V define "$out/lvd.xml" 2>&1); rc=$?
if [ $rc = 0 ] && [ -f "$out/conf/lvd.cfg" ] && grep -q '^uuid = ' "$out/conf/lvd.cfg"; then pass define
else fail define "rc $rc: $(echo "$o" | one)"; fi
agree list-defined "lvd -"
rm -f "$out/log/lvd-console.log"
o=$(V start lvd 2>&1); rc=$?
if [ $rc = 0 ] && booted lvd && [ "$(V domstate lvd 2>&1 | head -1)" = running ]; then pass start
else fail start "rc $rc: $(echo "$o" | one) $(tail -c 300 "$out/log/lvd-console.log" 2>&1 | one)"; fi
agree list-started "lvd ?"
# lifecycle events: `virsh event --all --loop` sees the suspend and resume
# (and later the shutdown); domusd compares the domains every second
timeout 600 stdbuf -oL virsh -c domus:///system event --all --loop >"$out/events.out" 2>&1 &
epid=$!
# and python3-libvirt's (its default event loop, domainEventRegisterAny):
# "NAME EVENT.DETAIL" lines, until the end of the lifecycle below
timeout 900 /usr/bin/python3 -c 'import sys, threading, time, libvirt
libvirt.virEventRegisterDefaultImpl()
c = libvirt.open("domus:///system")
def cb(conn, dom, event, detail, opaque):
    print("%s %d.%d" % (dom.name(), event, detail), flush=True)
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)
print("registered", flush=True)
while True:
    libvirt.virEventRunDefaultImpl()' >"$out/pyev.out" 2>&1 &
pypid=$!
for i in $(seq 60); do grep -q registered "$out/pyev.out" && break; sleep 0.5; done
sleep 3
o=$(V suspend lvd 2>&1); r1=$?; s1=$(V domstate lvd 2>&1 | head -1); x1=$($d list lvd 2>&1 | awk 'NR == 2 { print $5 }')
o2=$(V resume lvd 2>&1); r2=$?; s2=$(V domstate lvd 2>&1 | head -1); x2=$($d list lvd 2>&1 | awk 'NR == 2 { print $5 }')
if [ "$r1$r2" = 00 ] && [ "$s1" = paused ] && [ "$x1" = --p--- ] && [ "$s2" = running ] && [ "$x2" != --p--- ]
then pass suspend-resume; else fail suspend-resume "$r1$r2 '$s1' '$x1' '$s2' '$x2': $(echo "$o $o2" | one)"; fi
o=$(V setmem lvd 131072 2>&1); rc=$?
for i in $(seq 60); do [ "$($d list lvd 2>/dev/null | awk 'NR == 2 { print $3 }')" = 128 ] && break; sleep 0.5; done
m=$(V dominfo lvd 2>&1 | awk '/^Used memory:/ { print $3 }')
if [ $rc = 0 ] && [ "$m" = 131072 ]; then pass setmem; else fail setmem "rc $rc '$m': $(echo "$o" | one) $($d list lvd 2>&1 | one)"; fi
o=$(V shutdown lvd 2>&1); rc=$?
if [ $rc = 0 ] && wait_state lvd 120 'shut off'; then pass shutdown
else fail shutdown "rc $rc: $(echo "$o" | one) $(V domstate lvd 2>&1 | one)"; fi
agree list-shut-off "lvd -"
for i in $(seq 20); do grep -q "lifecycle' for domain 'lvd': Stopped" "$out/events.out" && break; sleep 0.5; done
kill $epid 2>/dev/null; wait $epid 2>/dev/null
if grep -q "event 'lifecycle' for domain 'lvd': Suspended" "$out/events.out" &&
	grep -q "event 'lifecycle' for domain 'lvd': Resumed" "$out/events.out" &&
	grep -q "event 'lifecycle' for domain 'lvd': Stopped" "$out/events.out"; then pass virsh-event
else fail virsh-event "$(one <"$out/events.out")"; fi
rm -f "$out/log/lvd-console.log"
o=$(V start lvd 2>&1); rc=$?
if [ $rc = 0 ] && booted lvd; then pass start-again; else fail start-again "rc $rc: $(echo "$o" | one)"; fi
agree list-started-again "lvd ?"
# ---- save, restore and managed save through virsh (docs/libvirt.md
# "Save and restore"): a counter on lvd's console; managedsave (the
# domain is gone, listed --with-managed-save), start restores it (the
# counter goes on, no reboot), then save FILE and restore FILE ----
clog=$out/log/lvd-console.log
# the highest count in the console logs (a restore may rotate the log)
maxcount() { cat "$clog"* 2>/dev/null | tr -d '\r' | grep -o '^CNT=[0-9]*$' | cut -d= -f2 | sort -n | tail -1; }
more_than() { # N SECONDS: a count above N
	local c i
	for i in $(seq $(($2 * 2))); do
		c=$(maxcount); [ -n "$c" ] && [ "$c" -gt "$1" ] && return 0
		sleep 0.5
	done
	return 1
}
o=$(timeout 120 /usr/bin/python3 - lvd <<'PY' 2>&1
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("virsh", ["virsh", "-c", "domus:///system", "console", sys.argv[1]])
out = b""
end = time.time() + 60
while b"Escape character is" not in out and time.time() < end:
    if select.select([fd], [], [], 0.5)[0]:
        out += os.read(fd, 65536)
time.sleep(1)
os.write(fd, b"\rdmesg -n 1; i=0; while :; do i=$((i+1)); echo CNT=$i; sleep 1; done &\r")
time.sleep(3)
os.write(fd, b"\x1d")
os.waitpid(pid, 0)
print("typed")
PY
)
if [ "$o" = typed ] && more_than 2 60; then pass save-counting; else fail save-counting "$(echo "$o" | one) $(tail -c 300 "$clog" | one)"; fi
t0=$(date +%s)
o=$(V managedsave lvd 2>&1); rc=$?
echo "info: virsh managedsave took $(( $(date +%s) - t0 )) s"
before=$(maxcount)
ls1=$(V list --all --with-managed-save 2>&1 | awk '$1 ~ /^([0-9]+|-)$/ { print $1, $2, $3, $4 }' | one)
mi=$(V dominfo lvd 2>&1 | grep '^Managed save:' | tr -s ' ')
if [ $rc = 0 ] && [ -s /tmp/lvsave/lvd.save ] && [ "$ls1" = "- lvd shut off|" ] && [ "$mi" = "Managed save: yes" ] &&
	[ "$(V domstate --reason lvd 2>&1 | head -1)" = "shut off (saved)" ] && ! pgrep -x domus-launcher >/dev/null; then
	pass managedsave
else fail managedsave "rc $rc: $(echo "$o" | one) list '$ls1' '$mi'; $(ls -l /tmp/lvsave 2>&1 | one)"; fi
agree list-managed-saved "lvd -"
sleep 2
if [ "$(maxcount)" = "$before" ]; then pass saved-stopped; else fail saved-stopped "$before then $(maxcount)"; fi
t0=$(date +%s)
o=$(V start lvd 2>&1); rc=$?
echo "info: virsh start (the managed restore) took $(( $(date +%s) - t0 )) s"
# the launcher restored it: domstate's reason is restored (3), not booted
if [ $rc = 0 ] && more_than "$before" 120 && st=$(V domstate --reason lvd 2>&1 | head -1) && [ "$st" = "running (restored)" ] &&
	[ ! -e /tmp/lvsave/lvd.save ] && [ "$(V dominfo lvd 2>&1 | grep '^Managed save:' | tr -s ' ')" = "Managed save: no" ]; then
	echo "info: virsh start to the next count took $(( $(date +%s) - t0 )) s; last before $before, now $(maxcount)"
	pass managed-start-resumes
else fail managed-start-resumes "rc $rc: $(echo "$o" | one) state '${st:-}' before $before now '$(maxcount)'; $(tail -c 300 "$clog" | one)"; fi
if ! tr -d '\r' <"$clog" | grep -q DOMUS-GUEST-READY; then pass managed-no-reboot; else fail managed-no-reboot "the guest booted again"; fi
agree list-managed-restored "lvd ?"
# save FILE and restore FILE (the domain restored from a plain file runs under its name)
t0=$(date +%s)
o=$(V save lvd /tmp/lvsave/plain.save 2>&1); r1=$?
t1=$(date +%s)
before=$(maxcount)
st=$(V domstate lvd 2>&1 | head -1)
o2=$(V restore /tmp/lvsave/plain.save 2>&1); r2=$?
t2=$(date +%s)
if [ "$r1$r2" = 00 ] && [ "$st" = "shut off" ] && more_than "$before" 120 && [ "$(V domstate lvd 2>&1 | head -1)" = running ]; then
	echo "info: virsh save took $((t1 - t0)) s, virsh restore $((t2 - t1)) s, to the next count $(( $(date +%s) - t2 )) s more"
	pass save-restore-file
else fail save-restore-file "$r1$r2 '$st': $(echo "$o $o2" | one) before $before now '$(maxcount)'"; fi
# a refusal of domus save is virsh's error: a paused PVH guest cannot suspend itself
V suspend lvd >/dev/null 2>&1
o=$(V save lvd /tmp/lvsave/p.save 2>&1); rc=$?
V resume lvd >/dev/null 2>&1
if [ $rc = 1 ] && echo "$o" | grep -q "error: operation failed: domus save: lvd: lvd is paused" && [ ! -e /tmp/lvsave/p.save ] &&
	[ "$(V domstate lvd 2>&1 | head -1)" = running ]; then pass save-refusal
else fail save-refusal "rc $rc: $(echo "$o" | one)"; fi
o=$(V destroy lvd 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(V domstate lvd 2>&1 | head -1)" = 'shut off' ]; then pass destroy; else fail destroy "rc $rc: $(echo "$o" | one)"; fi
agree list-destroyed "lvd -"
# the clone flow admins script: dumpxml -> new name, no uuid -> define -> start
V dumpxml lvd 2>/dev/null | sed 's/<name>lvd</<name>lvc</; /<uuid>/d' >"$out/lvc.xml"
rm -f "$out/log/lvc-console.log"
o=$(V define "$out/lvc.xml" 2>&1); r1=$?
o2=$(V start lvc 2>&1); r2=$?
u1=$(V domuuid lvd 2>/dev/null | head -1); u2=$(V domuuid lvc 2>/dev/null | head -1)
if [ "$r1$r2" = 00 ] && booted lvc && [ -n "$u2" ] && [ "$u1" != "$u2" ] && [ "$($d uuid lvc 2>/dev/null)" = "$u2" ]; then pass clone
else fail clone "$r1$r2 '$u1' '$u2': $(echo "$o $o2" | one)"; fi
# ---- remote use over libvirt's own ssh transport: an sshd of the test
# host's own on 127.0.0.1:22 (config and host key in a temp dir; the
# root key, authorized_keys and known_hosts in a tmpfs over /root (sshd's
# StrictModes refuses keys under /tmp), the test host's only:
# the build machine's root is read-only here), and the plain URI
# domus+ssh://root@localhost/system: the stock client runs `nc -U
# /var/run/libvirt/libvirt-sock` over ssh (no virt-ssh-helper here),
# domusd's link beside virtdomusd-sock ----
S() { timeout 120 virsh -c domus+ssh://root@localhost/system "$@"; }
sd=/tmp/lvssh
sshd_up() {
	mkdir -p "$sd" /run/sshd && chmod 700 "$sd" && chmod 755 /run/sshd &&
	mount -t tmpfs -o mode=0700 lvroot /root && mkdir -m 700 /root/.ssh &&
	ssh-keygen -q -t ed25519 -N '' -C lvhost -f "$sd/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -C lvroot -f /root/.ssh/id_ed25519 &&
	cp /root/.ssh/id_ed25519.pub /root/.ssh/authorized_keys &&
	echo "localhost $(cut -d' ' -f1,2 "$sd/host_key.pub")" >/root/.ssh/known_hosts &&
	printf '%s\n' 'ListenAddress 127.0.0.1' 'Port 22' "HostKey $sd/host_key" \
		'PermitRootLogin prohibit-password' \
		'PasswordAuthentication no' 'KbdInteractiveAuthentication no' 'UsePAM no' \
		"PidFile $sd/sshd.pid" >"$sd/sshd_config" &&
	ip link set lo up && /usr/sbin/sshd -f "$sd/sshd_config" -E "$sd/sshd.log" &&
	for i in $(seq 50); do [ -s "$sd/sshd.pid" ] && return 0; sleep 0.1; done
	return 1
}
if sshd_up && [ "$(readlink /run/libvirt/libvirt-sock)" = /run/domus/domusd.sock ]; then pass ssh-setup
else fail ssh-setup "$(ls -l /run/libvirt 2>&1 | one) $(one <"$sd/sshd.log" 2>&1)"; fi
sl() { S list --all 2>/dev/null | awk '$1 ~ /^([0-9]+|-)$/ { print $2, $1 }' | sort; }
o=$(S list --all 2>&1); rc=$?
v=$(sl); dd=$(dl); want="lvc $($d domid lvc 2>/dev/null)|lvd -|"
if [ $rc = 0 ] && [ "$(echo "$v" | one)" = "$want" ] && [ "$v" = "$dd" ]; then pass ssh-list
else fail ssh-list "rc $rc: $(echo "$o" | one) ssh '$(echo "$v" | one)' domus '$(echo "$dd" | one)'; $(tail -5 "$sd/sshd.log" 2>&1 | one)"; fi
o=$(S dominfo lvc 2>&1); rc=$?
if [ $rc = 0 ] && echo "$o" | grep -Eq "^UUID: +$($d uuid lvc 2>/dev/null)\$" && echo "$o" | grep -Eq '^State: +running$'
then pass ssh-dominfo; else fail ssh-dominfo "rc $rc: $(echo "$o" | one)"; fi
o=$(S destroy lvc 2>&1); r1=$?
rm -f "$out/log/lvd-console.log"
o2=$(S start lvd 2>&1); r2=$?
if [ "$r1$r2" = 00 ] && booted lvd && [ "$(S domstate lvd 2>&1 | head -1)" = running ] &&
	[ "$(S domstate lvc 2>&1 | head -1)" = "shut off" ] && [ "$(sl)" = "$(dl)" ]; then pass ssh-start-destroy
else fail ssh-start-destroy "$r1$r2: $(echo "$o $o2" | one) ssh '$(sl | one)' domus '$(dl | one)'"; fi
# virsh -r: the transport's nc dials libvirt-sock-ro, domusd's read-only socket
o=$(timeout 120 virsh -r -c domus+ssh://root@localhost/system list 2>&1); r1=$?
o2=$(timeout 120 virsh -r -c domus+ssh://root@localhost/system destroy lvd 2>&1); r2=$?
if [ "$r1$r2" = 01 ] && echo "$o" | grep -Eq '^ [0-9]+ +lvd +running$' && echo "$o2" | grep -q 'operation forbidden'
then pass ssh-read-only; else fail ssh-read-only "$r1$r2: $(echo "$o $o2" | one)"; fi
o=$(S destroy lvd 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(V domstate lvd 2>&1 | head -1)" = "shut off" ]; then pass ssh-destroy; else fail ssh-destroy "rc $rc: $(echo "$o" | one)"; fi
[ -s "$sd/sshd.pid" ] && kill "$(cat "$sd/sshd.pid")" 2>/dev/null
umount /root 2>/dev/null
V destroy lvc >/dev/null 2>&1
o=$(V undefine lvc 2>&1); r1=$?
o2=$(V undefine lvd 2>&1); r2=$?
if [ "$r1$r2" = 00 ] && [ ! -e "$out/conf/lvd.cfg" ] && [ ! -e "$out/conf/lvc.cfg" ]; then pass undefine
else fail undefine "$r1$r2: $(echo "$o $o2" | one)"; fi
agree list-undefined ""
# python's events of lvd, with libvirt's details: suspended (paused),
# resumed (unpaused), stopped (shutdown: the guest powered off), started
# (booted); the save section's stopped (saved) and started (restored)
# after the managedsave and after the save, and its paused guest's suspended and
# resumed if the once-a-second comparison saw the short pause (the resume
# and the destroy right after it may fall in one period: no resumed); stopped
# (destroyed); over ssh started (booted) and stopped (destroyed); undefined (removed)
want='^3[.]0 4[.]0 5[.]0 2[.]0 5[.]4 2[.]2 5[.]4 2[.]2 (3[.]0 (4[.]0 )?)?5[.]1 2[.]0 5[.]1 1[.]0 $'
for i in $(seq 20); do [[ "$(awk '$1 == "lvd" { print $2 }' "$out/pyev.out" | tr '\n' ' ')" =~ $want ]] && break; sleep 0.5; done
kill $pypid 2>/dev/null; wait $pypid 2>/dev/null
got=$(awk '$1 == "lvd" { print $2 }' "$out/pyev.out" | tr '\n' ' ')
if [[ "$got" =~ $want ]]; then pass python-events; else fail python-events "expected '$want', got '$got': $(one <"$out/pyev.out")"; fi
kill $dpid; wait $dpid; rc=$?
if [ $rc = 0 ] && [ ! -e /run/domus/domusd.sock ] && [ ! -L /run/libvirt/virtdomusd-sock ] &&
	[ ! -L /run/libvirt/libvirt-sock ]; then pass domusd-stops
else fail domusd-stops "rc $rc: $(one <"$out/domusd.log")"; fi
for i in $(seq 50); do pgrep -x domus-launcher >/dev/null || break; sleep 0.1; done
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
exit $failed
