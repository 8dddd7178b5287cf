# shellcheck shell=bash
# Sourced by tests/suites/35-libvirt after tests/libvirt-life.sh (its $w,
# $U, $RO, V, pass/fail, vl, agree; demo 7 runs as tests/fake-launcher,
# transient; DOMUS_SAVE_DIR is $w/save): save, restore and managed save
# through domusd on the build machine (docs/libvirt.md "Save and
# restore").  The stand-in launcher cannot save and a real save needs a
# guest (76-libvirt-amd does it), so this covers what domusd decides
# itself: the refusals, the errors of `domus save`/`domus restore` as
# libvirt errors, and the managed save image's bookkeeping (has-managed-
# save, the list filter, dominfo, domstate's reason, start restoring it,
# --force-boot, managedsave-remove, undefine with and without
# --managed-save).

# define_small NAME: define a 64 MiB, 1-vCPU PVH domain NAME ($w/NAME.xml)
define_small() {
	cat >"$w/$1.xml" <<XML
<domain type='xen'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>xenpvh</type><kernel>$w/vmlinuz</kernel></os>
</domain>
XML
	V define "$w/$1.xml" >/dev/null 2>&1
}

# virsh save of the stand-in: `domus save` fails, its one line is the error; demo runs on.
# virsh runs a save in a thread and its detail line ("error: operation
# failed: ...") can go missing (one clean run printed only "Failed to save
# domain"): the error's text is read through python3-libvirt, which calls
# virDomainSave itself
out=$(V save demo "$w/demo.save" 2>&1); rc=$?
pyout=$(/usr/bin/python3 - "$sock" "$w/demo.save" <<'PY' 2>&1
import sys, libvirt
sys.path.insert(0, "tests")
from lvpy import connect
try:
    connect(sys.argv[1]).lookupByName("demo").save(sys.argv[2])
    print("saved")
except libvirt.libvirtError as e:
    print(e.get_error_code(), e.get_error_message())
PY
)
if [ $rc = 1 ] && echo "$out" | grep -q "error: Failed to save domain 'demo'" &&
	echo "$pyout" | grep -q '^9 operation failed: domus save: ' && [ ! -e "$w/demo.save" ] &&
	[ "$(V domstate demo 2>&1 | head -1)" = running ]; then pass libvirt/save-error
else fail libvirt/save-error "rc $rc: $(echo "$out" | tr '\n' '|') python: $pyout; $(ls "$w" | tr '\n' ' ')"; fi
# managed save of a transient domain: refused, nothing written
out=$(V managedsave demo 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "cannot do managed save for transient domain 'demo'" && [ ! -e "$w/save" ]; then
	pass libvirt/managedsave-transient
else fail libvirt/managedsave-transient "rc $rc: $(echo "$out" | tr '\n' '|')"; fi
# restore of a file that is not a save file: `domus restore`'s one line, nothing created
head -c 4096 /dev/urandom >"$w/junk.save"
out=$(V restore "$w/junk.save" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "error: operation failed: domus restore: $w/junk.save: " && [ "$(vl)" = "demo 7" ]; then
	pass libvirt/restore-error
else fail libvirt/restore-error "rc $rc: $(echo "$out" | tr '\n' '|') $(vl | tr '\n' ,)"; fi
# save/restore flags domus cannot honour
out=$(V save demo "$w/demo.save" --paused 2>&1); r1=$?
out2=$(V restore "$w/junk.save" --xml "$w/web.xml" 2>&1); r2=$?
if [ "$r1$r2" = 11 ] && echo "$out" | grep -q 'argument unsupported: a domus save file is restored running' &&
	echo "$out2" | grep -q 'argument unsupported: a different domain XML'; then pass libvirt/save-flags
else fail libvirt/save-flags "$r1$r2: $(echo "$out $out2" | tr '\n' '|')"; fi

# a defined domain with a managed save image (here one that does not restore)
define_small ms
mkdir -p "$w/save"
cp "$w/junk.save" "$w/save/ms.save"
o1=$(V dominfo ms 2>&1)
o2=$(V list --all --with-managed-save 2>&1 | awk '$1 ~ /^([0-9]+|-)$/ { print $2 }' | tr '\n' ,)
o3=$(V list --all --without-managed-save 2>&1 | awk '$1 ~ /^([0-9]+|-)$/ { print $2 }' | tr '\n' ,)
o4=$(V domstate --reason ms 2>&1 | head -1)
if echo "$o1" | grep -Eq '^Managed save: +yes$' && [ "$o2" = ms, ] && [ "$o3" = demo, ] && [ "$o4" = "shut off (saved)" ]; then
	pass libvirt/managed-save-seen
else fail libvirt/managed-save-seen "dominfo '$(echo "$o1" | grep Managed)', with '$o2', without '$o3', state '$o4'"; fi
# start restores the image; this one fails: restore's words, the image kept, not running
out=$(V start ms 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "restoring the managed save $w/save/ms.save: domus restore: " &&
	[ -f "$w/save/ms.save" ] && [ "$(V domstate ms 2>&1 | head -1)" = "shut off" ]; then pass libvirt/managed-start-error
else fail libvirt/managed-start-error "rc $rc: $(echo "$out" | tr '\n' '|')"; fi
# undefine: refused while the image is there
out=$(V undefine ms 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'Refusing to undefine while domain managed save image exists' && [ -f "$w/conf/ms.cfg" ]; then
	pass libvirt/undefine-managed-refused
else fail libvirt/undefine-managed-refused "rc $rc: $(echo "$out" | tr '\n' '|')"; fi
# managedsave-remove, then start --force-boot (discards a new image and boots)
out=$(V managedsave-remove ms 2>&1); r1=$?
o1=$(V dominfo ms 2>&1 | grep '^Managed save:')
cp "$w/junk.save" "$w/save/ms.save"
out2=$(V start --force-boot ms 2>&1); r2=$?
o2=$(V domstate --reason ms 2>&1 | head -1)
if [ "$r1$r2" = 00 ] && echo "$o1" | grep -Eq 'Managed save: +no' && [ ! -e "$w/save/ms.save" ] && [ "$o2" = "running (booted)" ]; then
	pass libvirt/managedsave-remove-force-boot
else fail libvirt/managedsave-remove-force-boot "$r1$r2 '$o1' '$o2': $(echo "$out $out2" | tr '\n' '|')"; fi
V destroy ms >/dev/null 2>&1
# python: hasManagedSaveImage, managedSaveRemove, the error codes
cp "$w/junk.save" "$w/save/ms.save"
out=$(/usr/bin/python3 - "$sock" <<'PY' 2>&1
import sys, libvirt
sys.path.insert(0, "tests")
from lvpy import code, connect
c = connect(sys.argv[1])
d = c.lookupByName("ms")
assert d.hasManagedSaveImage() == 1
assert [x.name() for x in c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)] == ["ms"]
assert code(d.create) == 9 and d.isActive() == 0			# OPERATION_FAILED: restore's error
assert code(lambda: d.managedSave(0)) == 55				# not running
assert code(lambda: c.lookupByName("demo").managedSave(0)) == 55	# transient
assert code(lambda: c.restore("/nonexistent/x.save")) == 9
d.managedSaveRemove(0)
assert d.hasManagedSaveImage() == 0
print("ok")
PY
)
if [ "$out" = ok ]; then pass libvirt/python-managed-save; else fail libvirt/python-managed-save "$(echo "$out" | tail -3 | tr '\n' '|')"; fi
# undefine --managed-save removes both
cp "$w/junk.save" "$w/save/ms.save"
out=$(V undefine --managed-save ms 2>&1); rc=$?
if [ $rc = 0 ] && [ ! -e "$w/save/ms.save" ] && [ ! -e "$w/conf/ms.cfg" ]; then pass libvirt/undefine-managed-save
else fail libvirt/undefine-managed-save "rc $rc: $(echo "$out" | tr '\n' '|')"; fi
agree list-all-after-save "demo 7"

# "Started Restored": a domain domusd restores (virsh restore FILE, a start
# from a managed save) starts restored, a boot booted.  The stand-in
# launcher cannot save, so a second domusd runs a `domus` whose restore
# starts the stand-in under the definition instead ($w/rcli); the file is
# a save file's head (the xl header and the JSON config naming rs), which
# is where domusd reads the name it notes
define_small rs
build/domus config-convert -t json "$w/conf/rs.cfg" >"$w/rs.json" 2>/dev/null
/usr/bin/python3 -c 'import struct, sys
cfg = open(sys.argv[1], "rb").read() + b"\0"
h = b"Xen saved domain, xl format\n \0 \r" + struct.pack("<IIII", 0x01020304, 3, 0, 4 + len(cfg))
open(sys.argv[2], "wb").write(h + struct.pack("<I", len(cfg)) + cfg)' "$w/rs.json" "$w/rs.save"
cat >"$w/rcli" <<EOS
#!/bin/sh
if [ "\$1" = restore ]; then
	export DOMUS_FAKE_STARTED=restored	# its info then says started=restored, as a restored launcher's
	[ "\$3" = -p ] && exec "$PWD/build/domus" create -e -p "$w/conf/rs.cfg"
	exec "$PWD/build/domus" create -e "$w/conf/rs.cfg"
fi
exec "$PWD/build/domus" "\$@"
EOS
chmod +x "$w/rcli"
DOMUS_CLI=$w/rcli build/domusd -s "$w/rs.sock" -r '' -L 2>"$w/rs.log" &
rspid=$!
for i in $(seq 100); do [ -S "$w/rs.sock" ] && break; sleep 0.1; done
RS() { timeout 60 virsh -c "domus+unix:///system?socket=$w/rs.sock" "$@"; }
timeout 300 stdbuf -oL virsh -c "domus+unix:///system?socket=$w/rs.sock" event --domain rs --event lifecycle --loop \
	>"$w/rs.ev" 2>&1 &
rsev=$!
evs() { sed -n "s/^event 'lifecycle' for domain 'rs': //p" "$w/rs.ev" | tr '\n' '|'; }
upto() { # N: wait for the Nth event line
	local i
	for i in $(seq 60); do [ "$(grep -c "^event 'lifecycle'" "$w/rs.ev")" -ge "$1" ] && return 0; sleep 0.5; done
	return 1
}
sleep 2	# registered before the first change
rsout=$(RS restore "$w/rs.save" 2>&1); upto 1
st1=$(RS domstate --reason rs 2>&1 | head -1)
rsout+=$(RS suspend rs 2>&1); upto 2
rsout+=$(RS resume rs 2>&1); upto 3
st2=$(RS domstate --reason rs 2>&1 | head -1)
rsout+=$(RS destroy rs 2>&1); upto 4
rsout+=$(RS start rs 2>&1); upto 5
st3=$(RS domstate --reason rs 2>&1 | head -1)
rsout+=$(RS destroy rs 2>&1); upto 6
cp "$w/rs.save" "$w/save/rs.save"
rsout+=$(RS start rs 2>&1); upto 7
rsout+=$(RS destroy rs 2>&1); upto 8
kill "$rsev" "$rspid" 2>/dev/null; wait "$rsev" "$rspid" 2>/dev/null
want='Started Restored|Suspended Paused|Resumed Unpaused|Stopped Destroyed|Started Booted|Stopped Destroyed|Started Restored|Stopped Destroyed|'
if [ "$(evs)" = "$want" ] && [ ! -e "$w/save/rs.save" ]; then pass libvirt/started-restored
else fail libvirt/started-restored "expected '$want', got '$(evs)': $(echo "$rsout" | tr '\n' '|') $(tr '\n' '|' <"$w/rs.log")"; fi
# domstate's reason: restored while the restored run runs; a pause ends
# it (booted after the resume); a boot is booted
if [ "$st1|$st2|$st3" = "running (restored)|running (booted)|running (booted)" ]; then pass libvirt/domstate-restored
else fail libvirt/domstate-restored "got '$st1|$st2|$st3'"; fi
V undefine rs >/dev/null 2>&1
