# shellcheck shell=bash
# Sourced by tests/suites/35-libvirt (its $w, $U, $RO, V, pass/fail): the
# definition store and the lifecycle through domusd on the build machine
# (docs/libvirt.md "Definitions and the lifecycle").  The domains run as
# tests/fake-launcher, started by build/domus create as domusd starts
# them; `domus list -a` and `virsh list --all` are compared at each step.

# the domains as "NAME ID" lines, sorted: virsh list --all, domus list -a
vl() { V list --all 2>/dev/null | awk '$1 ~ /^([0-9]+|-)$/ { print $2, $1 }' | sort; }
dl() { build/domus list -a 2>/dev/null | awk 'NR > 2 { print $1, $2 }' | sort; }
agree() { # NAME "EXPECTED LINES": both lists are EXPECTED
	local v d
	v=$(vl); d=$(dl)
	if [ "$v" = "$2" ] && [ "$d" = "$2" ]; then pass "libvirt/$1"
	else fail "libvirt/$1" "expected '$(echo "$2" | tr '\n' ',')', virsh '$(echo "$v" | tr '\n' ',')', domus '$(echo "$d" | tr '\n' ',')'"; fi
}
# wait up to $2 s for domstate of $1 to be $3
wait_state() {
	local i
	for i in $(seq $(($2 * 5))); do
		[ "$(V domstate "$1" 2>/dev/null | head -1)" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

: >"$w/vmlinuz"
wuuid=5a1c2f00-1234-4abc-8def-0123456789ab
cat >"$w/web.xml" <<XML
<domain type='xen'>
  <name>web</name>
  <uuid>$wuuid</uuid>
  <title>a test</title>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os>
    <type arch='x86_64' machine='xenpvh'>xenpvh</type>
    <kernel>$w/vmlinuz</kernel>
    <cmdline>console=hvc0 root=/dev/xvda1 quote="x" &amp;</cmdline>
  </os>
  <on_reboot>restart</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='domus' type='raw'/>
      <source file='$w/web,1.img'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <disk type='file' device='cdrom'><source file='$w/cd.iso'/><target dev='xvdc' bus='xen'/><readonly/></disk>
    <interface type='bridge'>
      <mac address='00:16:3e:5a:00:01'/>
      <source bridge='br7'/>
      <ip address='10.1.2.3'/>
      <model type='netfront'/>
    </interface>
    <console type='pty'><target type='xen' port='0'/></console>
  </devices>
</domain>
XML
out=$(V define "$w/web.xml" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "Domain 'web' defined" && grep -q "^uuid = \"$wuuid\"\$" "$w/conf/web.cfg" &&
	grep -q '^memory = 128$' "$w/conf/web.cfg" && grep -q '^maxmem = 256$' "$w/conf/web.cfg" &&
	grep -q 'target=.*/web,1.img"' "$w/conf/web.cfg"; then pass libvirt/define
else fail libvirt/define "rc $rc: $out: $(tr '\n' '|' <"$w/conf/web.cfg" 2>&1)"; fi
agree list-all-defined "$(printf 'demo 7\nweb -')"
out=$(V dominfo web 2>&1)
if echo "$out" | grep -Eq '^State: +shut off$' && echo "$out" | grep -Eq '^Persistent: +yes$' &&
	echo "$out" | grep -Eq "^UUID: +$wuuid\$" && echo "$out" | grep -Eq '^Id: +-$' && echo "$out" | grep -Eq '^Autostart: +disable$'
then pass libvirt/dominfo-defined; else fail libvirt/dominfo-defined "$out"; fi
# dumpxml of the definition is config-convert's XML; defined again, the file stays the same
V dumpxml web >"$w/web.dump" 2>&1
build/domus config-convert -t xml "$w/conf/web.cfg" >"$w/web.conv" 2>/dev/null
cp "$w/conf/web.cfg" "$w/web.cfg.1"
out=$(V define "$w/web.dump" 2>&1); rc=$?
if [ $rc = 0 ] && [ -s "$w/web.conv" ] && cmp -s <(sed '/^$/d' "$w/web.dump") <(sed '/^$/d' "$w/web.conv") && cmp -s "$w/web.cfg.1" "$w/conf/web.cfg" &&
	grep -q "<uuid>$wuuid</uuid>" "$w/web.dump"; then pass libvirt/dumpxml-define-roundtrip
else fail libvirt/dumpxml-define-roundtrip "rc $rc: $out: $(diff "$w/web.dump" "$w/web.conv" | head -5 | tr '\n' '|') $(diff "$w/web.cfg.1" "$w/conf/web.cfg" | tr '\n' '|')"; fi
# config-convert: XML -> xl is the stored definition; the static build says it has no XML
build/domus config-convert "$w/web.xml" >"$w/web.xl" 2>"$w/conv.err"; rc=$?
out=$(build/domus.static config-convert "$w/web.xml" 2>&1); rc2=$?
if [ $rc = 0 ] && cmp -s "$w/web.xl" "$w/conf/web.cfg" && [ $rc2 = 1 ] && echo "$out" | grep -q 'built without libxml2'
then pass libvirt/config-convert-xml; else fail libvirt/config-convert-xml "rc $rc $(cat "$w/conv.err"), static rc $rc2: $out"; fi

# bad XML: one line naming what is wrong; nothing written
sed 's/<title>/<clock offset="utc"\/><title>/' "$w/web.xml" | sed 's/>web</>web2</; /<uuid>/d' >"$w/clock.xml"
sed 's/>web</>web3</; /<uuid>/d; s/<\/domain>//' "$w/web.xml" >"$w/broken.xml"
sed "s/type='xen'/type='kvm'/; s/>web</>web4</; /<uuid>/d" "$w/web.xml" >"$w/kvm.xml"
sed "s/<\/devices>/<graphics type='vnc'\/><\/devices>/; s/>web</>web5</; /<uuid>/d" "$w/web.xml" >"$w/vnc.xml"
sed "s/>256</>lots</; s/>web</>web6</; /<uuid>/d" "$w/web.xml" >"$w/mem.xml"
o1=$(V define "$w/clock.xml" 2>&1); r1=$?
o2=$(V define "$w/broken.xml" 2>&1); r2=$?
o3=$(V define "$w/kvm.xml" 2>&1); r3=$?
o4=$(V define "$w/vnc.xml" 2>&1); r4=$?
o5=$(V define "$w/mem.xml" 2>&1); r5=$?
if [ "$r1$r2$r3$r4$r5" = 11111 ] && echo "$o1" | grep -q 'unsupported configuration: the element <clock> in <domain> is not supported' &&
	echo "$o2" | grep -q 'XML error: line' && echo "$o3" | grep -q "<domain type='kvm'>" &&
	echo "$o4" | grep -q 'the device <graphics> in <devices>' && echo "$o5" | grep -q '<memory> .lots. unit MiB is not a size' &&
	[ "$(ls "$w/conf")" = web.cfg ]; then pass libvirt/define-errors
else fail libvirt/define-errors "$r1$r2$r3$r4$r5: $o1 | $o2 | $o3 | $o4 | $o5 | $(ls "$w/conf")"; fi
sed "s/$wuuid/5a1c2f00-1234-4abc-8def-0000000000ff/" "$w/web.xml" >"$w/other.xml"
out=$(V define "$w/other.xml" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "domain 'web' already exists with uuid $wuuid"; then pass libvirt/define-conflict
else fail libvirt/define-conflict "rc $rc: $out"; fi

# autostart: the link domus auto-start follows
o1=$(V autostart web 2>&1); r1=$?
l=$(readlink "$w/conf/auto/web.cfg")
o2=$(V dominfo web 2>&1 | grep Autostart)
o3=$(V list --all --autostart --name 2>&1 | sed '/^$/d')
o4=$(V autostart --disable web 2>&1); r4=$?
if [ $r1 = 0 ] && [ "$l" = "$w/conf/web.cfg" ] && echo "$o2" | grep -q enable && [ "$o3" = web ] && [ $r4 = 0 ] &&
	[ ! -e "$w/conf/auto/web.cfg" ]; then pass libvirt/autostart
else fail libvirt/autostart "$r1 '$l' '$o2' '$o3' $r4: $o1 $o4"; fi
# --config changes edit the definition
o1=$(V setmem web 100M --config 2>&1); r1=$?
o2=$(V setvcpus web 2 --config 2>&1); r2=$?
o3=$(V setmaxmem web 300M --config 2>&1); r3=$?
o4=$(V setvcpus web 2 --live 2>&1); r4=$?
if [ "$r1$r2$r3$r4" = 0001 ] && grep -q '^memory = 100$' "$w/conf/web.cfg" && grep -q '^vcpus = 2$' "$w/conf/web.cfg" &&
	grep -q '^maxmem = 300$' "$w/conf/web.cfg" && echo "$o4" | grep -q "domain 'web' is not running"; then pass libvirt/set-config
else fail libvirt/set-config "$r1$r2$r3$r4: $o1 $o2 $o3 $o4"; fi
V setvcpus web 1 --config >/dev/null 2>&1

# start: domus create CONF_DIR/web.cfg (the stand-in launcher, id 8)
out=$(V start web 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "Domain 'web' started" && V domstate web 2>&1 | grep -q '^running$'; then pass libvirt/start
else fail libvirt/start "rc $rc: $out: $(V domstate web 2>&1)"; fi
agree list-all-running "$(printf 'demo 7\nweb 8')"
out=$(V dominfo web 2>&1)
if echo "$out" | grep -Eq "^UUID: +$wuuid\$" && echo "$out" | grep -Eq '^Persistent: +yes$' && echo "$out" | grep -Eq '^Id: +8$' &&
	echo "$out" | grep -Eq '^Used memory: +102400 KiB$'; then pass libvirt/dominfo-started; else fail libvirt/dominfo-started "$out"; fi
out=$(V start web 2>&1); rc=$?
o2=$(V undefine web 2>&1); r2=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'already active' && [ $r2 = 1 ] && echo "$o2" | grep -q "domain 'web' is running" &&
	[ -f "$w/conf/web.cfg" ]; then pass libvirt/running-refusals; else fail libvirt/running-refusals "$rc $out | $r2 $o2"; fi
o1=$(V suspend web 2>&1); r1=$?; s1=$(V domstate web 2>&1 | head -1)
d1=$(build/domus list web 2>&1 | awk 'NR == 2 { print $5 }')
o2=$(V resume web 2>&1); r2=$?; s2=$(V domstate web 2>&1 | head -1)
o3=$(V resume web 2>&1); r3=$?
if [ "$r1$r2$r3" = 001 ] && [ "$s1" = paused ] && [ "$d1" = --p--- ] && [ "$s2" = running ] && echo "$o3" | grep -q "domain 'web' is not paused"
then pass libvirt/suspend-resume; else fail libvirt/suspend-resume "$r1$r2$r3 '$s1' '$d1' '$s2': $o1 $o2 $o3"; fi
o1=$(V setmem web 51200 2>&1); r1=$?
m=$(V dominfo web 2>&1 | awk '/^Used memory:/ { print $3 }')
o2=$(V setvcpus web 2 --live 2>&1); r2=$?
n=$(V dominfo web 2>&1 | awk '/^CPU\(s\):/ { print $2 }')
o3=$(V setvcpus web 3 --live 2>&1); r3=$?
if [ "$r1$r2$r3" = 001 ] && [ "$m" = 51200 ] && [ "$n" = 2 ] && echo "$o3" | grep -q 'operation failed: domain .web.: vcpu-set 3' &&
	[ "$(build/domus list web | awk 'NR == 2 { print $3 }')" = 50 ]; then pass libvirt/set-live
else fail libvirt/set-live "$r1$r2$r3 '$m' '$n': $o1 $o2 $o3"; fi
# shutdown: the guest's control/shutdown; it powers off and is shut off
out=$(V shutdown web 2>&1); rc=$?
if [ $rc = 0 ] && wait_state web 20 'shut off'; then pass libvirt/shutdown
else fail libvirt/shutdown "rc $rc: $out: $(V domstate web 2>&1)"; fi
agree list-all-shutdown "$(printf 'demo 7\nweb -')"
out=$(V start web 2>&1); r1=$?
o2=$(V destroy web 2>&1); r2=$?
o3=$(V destroy web 2>&1); r3=$?
if [ "$r1$r2$r3" = 001 ] && [ "$(V domstate web 2>&1 | head -1)" = 'shut off' ] && echo "$o3" | grep -q "domain 'web' is not running"
then pass libvirt/start-destroy; else fail libvirt/start-destroy "$r1$r2$r3: $out $o2 $o3"; fi
V autostart web >/dev/null 2>&1
out=$(V undefine web 2>&1); rc=$?
if [ $rc = 0 ] && [ ! -e "$w/conf/web.cfg" ] && [ ! -L "$w/conf/auto/web.cfg" ]; then pass libvirt/undefine
else fail libvirt/undefine "rc $rc: $out: $(ls -R "$w/conf")"; fi
agree list-all-undefined "demo 7"

# a hand-written config that does not check: listed, its start says why
printf 'name = "bad"\nmemory = "lots"\nkernel = "%s"\n' "$w/vmlinuz" >"$w/conf/bad.cfg"
out=$(V start bad 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'operation failed: domus create: .*memory'; then pass libvirt/start-fails
else fail libvirt/start-fails "rc $rc: $out"; fi
rm -f "$w/conf/bad.cfg"

# create: a transient domain, gone when destroyed
sed 's/>web</>tr</; /<uuid>/d' "$w/web.xml" >"$w/tr.xml"
o1=$(V create "$w/tr.xml" 2>&1); r1=$?
p=$(V dominfo tr 2>&1 | awk '/^Persistent:/ { print $2 }')
o2=$(V undefine tr 2>&1); r2=$?
agree list-all-transient "$(printf 'demo 7\ntr 8')"
o3=$(V destroy tr 2>&1); r3=$?
if [ "$r1$r2$r3" = 010 ] && [ "$p" = no ] && echo "$o2" | grep -q "cannot undefine transient domain 'tr'" && [ "$(vl)" = "demo 7" ]
then pass libvirt/create-transient; else fail libvirt/create-transient "$r1$r2$r3 '$p': $o1 $o2 $o3 $(vl)"; fi

# the read-only socket: 0666, its link, reads work, every change is refused
V define "$w/web.xml" >/dev/null 2>&1
mode=$(stat -c %a "$rosock" 2>/dev/null)
o1=$(timeout 60 virsh -c "$RO" list --all 2>&1); r1=$?
o2=$(timeout 60 virsh -c "$RO" destroy demo 2>&1); r2=$?
o3=$(timeout 60 virsh -c "$RO" undefine web 2>&1); r3=$?
if [ "$mode" = 666 ] && [ "$(readlink "$w/libvirt/virtdomusd-sock-ro")" = "$rosock" ] && [ "$r1$r2$r3" = 011 ] &&
	echo "$o1" | grep -Eq '^ 7 +demo +running$' && echo "$o2" | grep -q 'operation forbidden: DOMAIN_DESTROY needs a read-write connection' &&
	echo "$o3" | grep -q 'operation forbidden' && [ -f "$w/conf/web.cfg" ] && [ "$(vl)" = "$(printf 'demo 7\nweb -')" ]
then pass libvirt/ro-socket; else fail libvirt/ro-socket "mode $mode $r1$r2$r3: $o1 | $o2 | $o3"; fi

# python3-libvirt: the lifecycle and its error codes
out=$(/usr/bin/python3 - "$sock" "$rosock" "$w" 2>&1 <<'PY'
import sys, time, libvirt
sys.path.insert(0, "tests")
from lvpy import code, connect
c = connect(sys.argv[1])
d = c.lookupByName("web")
assert d.isPersistent() == 1 and d.isActive() == 0 and d.state() == [5, 0], (d.state())
assert [x.name() for x in c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)] == ["web"]
assert c.listDefinedDomains() == ["web"] and c.numOfDefinedDomains() == 1 and c.numOfDomains() == 1
assert d.create() == 0 and d.isActive() == 1
d = c.lookupByName("web")
assert d.ID() == 8 and d.state() == [1, 1], (d.ID(), d.state())
assert code(d.resume) == 55 and code(lambda: d.shutdownFlags(1)) == 8 and code(d.undefine) == 55
d.suspend(); assert d.state() == [3, 1]; d.resume()
d.destroy(); assert d.state() == [5, 0] and d.isActive() == 0
assert code(lambda: c.defineXML("<domain type='xen'><name>x</name>")) == 27
assert code(lambda: c.defineXML("<domain type='xen'><name>x</name><cputune/></domain>")) == 67
ro = connect(sys.argv[2])
assert code(lambda: ro.lookupByName("web").create()) == 6 and ro.lookupByName("web").isActive() == 0
d.undefine()
assert code(lambda: c.lookupByName("web")) == 42
print("ok")
PY
)
if [ "$out" = ok ]; then pass libvirt/python-lifecycle; else fail libvirt/python-lifecycle "$(echo "$out" | tail -3 | tr '\n' '|')"; fi
agree list-all-end "demo 7"

# python3-libvirt's lifecycle events (its default event loop in a thread,
# domainEventRegisterAny), with libvirt's event and detail codes, while
# python and virsh drive a domain: defined (added), started, suspended,
# resumed, stopped (destroyed), defined again (updated), started paused
# (started, suspended), resumed by virsh, stopped by the guest's power off
# (shutdown), undefined; a callback for another domain hears none of it,
# and a deregistered one nothing more
out=$(timeout 240 /usr/bin/python3 - "$sock" "$w" 2>&1 <<'PY'
import subprocess, sys, threading, time, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
uri = "domus+unix:///system?socket=" + sys.argv[1]
c = libvirt.open(uri)
got, other, late = [], [], []
lock = threading.Lock()
def cb(conn, dom, event, detail, box):
    with lock:
        box.append((dom.name(), event, detail))
def wait(n, what):
    end = time.time() + 30
    while time.time() < end:
        with lock:
            if len(got) >= n:
                return
        time.sleep(0.1)
    raise AssertionError("waited 30 s for %s: events %s" % (what, got))
def virsh(*a):
    subprocess.run(["virsh", "-c", uri] + list(a), check=True, capture_output=True, timeout=60)
E = libvirt
cid = c.domainEventRegisterAny(None, E.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, got)
cid2 = c.domainEventRegisterAny(c.lookupByName("demo"), E.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, other)
assert cid != cid2, (cid, cid2)
xml = open(sys.argv[2] + "/web.xml").read().replace(">web<", ">pev<").replace("5a1c2f00-1234-4abc-8def-0123456789ab",
                                                                           "5a1c2f00-1234-4abc-8def-00000000ee00")
d = c.defineXML(xml); wait(1, "defined")
d.create(); wait(2, "started")
d.suspend(); wait(3, "suspended")
d.resume(); wait(4, "resumed")
d.destroy(); wait(5, "stopped")
c.defineXML(xml); wait(6, "defined again")
d.createWithFlags(E.VIR_DOMAIN_START_PAUSED); wait(8, "started paused")
virsh("resume", "pev"); wait(9, "resumed by virsh")
virsh("shutdown", "pev"); wait(10, "powered off")
d.undefine(); wait(11, "undefined")
want = [(E.VIR_DOMAIN_EVENT_DEFINED, E.VIR_DOMAIN_EVENT_DEFINED_ADDED),
        (E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_BOOTED),
        (E.VIR_DOMAIN_EVENT_SUSPENDED, E.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
        (E.VIR_DOMAIN_EVENT_RESUMED, E.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
        (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_DESTROYED),
        (E.VIR_DOMAIN_EVENT_DEFINED, E.VIR_DOMAIN_EVENT_DEFINED_UPDATED),
        (E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_BOOTED),
        (E.VIR_DOMAIN_EVENT_SUSPENDED, E.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
        (E.VIR_DOMAIN_EVENT_RESUMED, E.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
        (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
        (E.VIR_DOMAIN_EVENT_UNDEFINED, E.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)]
assert got == [("pev", e, dt) for e, dt in want], got
assert other == [], other
c.domainEventDeregisterAny(cid)
c.domainEventDeregisterAny(cid2)
c.domainEventRegisterAny(None, E.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, late)
c.defineXML(xml); time.sleep(3)
with lock:
    assert len(got) == 11 and late == [("pev", E.VIR_DOMAIN_EVENT_DEFINED, E.VIR_DOMAIN_EVENT_DEFINED_ADDED)], (got, late)
c.lookupByName("pev").undefine()
c.close()
print("ok")
PY
)
if [ "$out" = ok ]; then pass libvirt/python-events; else fail libvirt/python-events "$(echo "$out" | tail -3 | tr '\n' '|')"; fi
agree list-all-after-events "demo 7"
