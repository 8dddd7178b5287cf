#!/bin/bash
# Save and restore of an HVM domain inside the AMD-V test host (run by
# tests/suites/73-save-amd through scripts/testhost): the Multiboot test
# kernel counts on its UART ("count=N"); it is saved mid-run with -c (it
# runs on) and without (it is gone), the files pass xsr-check, broken
# copies are refused with one line and nothing created, and the restored
# domain counts on from where it stopped and exits with code 33.  One
# PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
failed=0
pass() { echo "PASS: save-amd/$1"; }
fail() { echo "FAIL: save-amd/$1: $2"; failed=1; }

out=$(pwd)/build/save
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
rm -rf "$out"
mkdir -p "$out/log" "$out/files"
d=build/domus
cfg=tests/host/hvm-mb.cfg
log=$out/log/mbhvm.log
conlog=$out/log/mbhvm-console.log
N=150

running() { $d list | grep -Eq '^mbhvm +[0-9]+ '; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# 1. the counting guest runs (create -e returns once it runs)
err=$(timeout 60 $d create -e $cfg "extra=\"mbtest mem=32 count=$N\"" 2>&1 </dev/null); rc=$?
if [ $rc = 0 ] && wait_count 3; then pass counting; else fail counting "rc $rc: $err; $(tail -3 "$conlog" 2>/dev/null | tr '\n' '|')"; fi

# 2. a save that cannot write its file: one line, the guest runs on, no file
err=$($d save mbhvm "$out/nosuch/dir/x.sav" 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ "$err" == "domus save: cannot create a file next to $out/nosuch/dir/x.sav: No such file or directory" ]] && running; then
	pass failed-save-runs-on
else
	fail failed-save-runs-on "rc $rc: $err"
fi

# 2b. a save that runs out of room while the launcher writes: one line,
# the guest runs on, no file and no temporary file left
mkdir -p "$out/small"
if mount -t tmpfs -o size=1m tmpfs "$out/small"; then
	err=$($d save mbhvm "$out/small/x.sav" 2>&1); rc=$?
	if [ $rc = 1 ] && [ "$err" = "domus save: mbhvm: cannot write the save file: No space left on device" ] &&
	   [ -z "$(ls -A "$out/small")" ] && running && ! $d list | grep -Eq '^mbhvm .*--p---'; then
		pass full-disk-runs-on
	else
		fail full-disk-runs-on "rc $rc: $err; $(ls -A "$out/small" | tr '\n' ' ')"
	fi
	umount "$out/small"
else
	fail full-disk-runs-on "cannot mount a tmpfs"
fi

# 3. save -c: the file is written, the guest runs on and keeps counting
err=$($d save -c mbhvm "$out/files/keep.sav" 2>&1 </dev/null); rc=$?
k=$(last_count "$conlog")
kkeep=$k
if [ $rc = 0 ] && [ -z "$err" ] && [ -s "$out/files/keep.sav" ] && running && wait_count $((k + 2)); then
	pass save-c-keeps-running
else
	fail save-c-keeps-running "rc $rc: $err; count $k; $($d list | tr '\n' '|')"
fi
# (paused while the file is checked: the count is the test's clock)
$d pause mbhvm
if build/host/xsr-check "$out/files/keep.sav" >"$out/xsr1" 2>&1 && grep -q 'valid: libxc v3 from Xen 4.17, .* 8192 pfns (8192 with data), 0 params, 1 vCPUs, 2 optional records skipped' "$out/xsr1"; then
	pass keep-file-xsr-check
else
	fail keep-file-xsr-check "$(cat "$out/xsr1")"
fi
$d unpause mbhvm

# 3b. a client that goes away after the file is written (as a killed
# `domus save`) without "commit": the guest is unpaused and runs on
out3=$(/usr/bin/python3 - "$DOMUS_RUN_DIR/mbhvm.sock" "$out/files/.abandoned" <<'PY' 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = open(sys.argv[2], "wb")
socket.send_fds(s, [b"save\n"], [f.fileno()])
r = b""
while not r.endswith(b"\n"):
    c = s.recv(1)
    if not c:
        break
    r += c
print(r.decode().strip())
s.close()
PY
)
k=$(last_count "$conlog")
if [ "$out3" = ok ] && running && wait_count $((k + 2)) && ! $d list | grep -Eq '^mbhvm .*--p---'; then
	pass abandoned-save-runs-on
else
	fail abandoned-save-runs-on "$out3; count $k; $($d list | tr '\n' '|')"
fi
rm -f "$out/files/.abandoned"

# 4. save: the guest is gone once the file is complete; no temporary file left
err=$($d save mbhvm "$out/files/g.sav" 2>&1 </dev/null); rc=$?
if [ $rc = 0 ] && [ -z "$err" ] && [ -s "$out/files/g.sav" ]; then pass save; else fail save "rc $rc: $err"; fi
gone save-destroys
left=$(ls -A "$out/files" | grep -v '^keep.sav$\|^g.sav$')
if [ -z "$left" ]; then pass no-temp-files; else fail no-temp-files "$left"; fi
k=$(last_count "$conlog")
if [ -n "$k" ] && [ "$k" -lt $N ] && ! grep -q 'all checks passed' "$conlog"; then
	pass saved-mid-run
else
	fail saved-mid-run "count $k of $N: the guest ended before the save (too fast?)"
fi
if grep -q 'save: paused; writing 32 MiB of RAM and 1 vCPU(s)' "$log" && grep -q 'destroying domain [0-9]* (saved)' "$log"; then
	pass save-logged
else
	fail save-logged "$(grep save "$log" | tr '\n' '|')"
fi
if build/host/xsr-check "$out/files/g.sav" >"$out/xsr2" 2>&1; then pass file-xsr-check; else fail file-xsr-check "$(cat "$out/xsr2")"; fi

# 5. broken files are refused with one line, and nothing is created
# refused NAME FILE WANT
refused() {
	local e r
	e=$($d restore "$2" 2>&1 </dev/null); r=$?
	if [ $r = 1 ] && [ "$(echo "$e" | wc -l)" = 1 ] && [[ "$e" == "domus restore: $2: "*"$3"* ]] &&
	   [ "$($d list | wc -l)" = 2 ] && ! pgrep -x domus-launcher >/dev/null; then
		pass "$1"
	else
		fail "$1" "rc $r: $e"
	fi
}
# cut and flip in the middle of the last page's contents, away from any
# header (a fixed fraction of the file may land on a pfn table): the cut is
# a short record, the flip only the checksum can tell
size=$(stat -c %s "$out/files/keep.sav")
head -c $((size - 8)) "$out/files/keep.sav" >"$out/files/trunc2.sav"
refused truncated-end "$out/files/trunc2.sav" "the stream ends without END"
at=$(build/host/xsr-check --last-page "$out/files/keep.sav")
head -c $((at + 2048)) "$out/files/keep.sav" >"$out/files/trunc.sav"
refused truncated "$out/files/trunc.sav" "bytes announced"
cp "$out/files/keep.sav" "$out/files/flip.sav"
byte=$(od -An -tu1 -j$((at + 2048)) -N1 "$out/files/keep.sav" | tr -d ' ')
printf "\\x$(printf %02x $(( (byte ^ 0x55) & 255 )))" |
	dd of="$out/files/flip.sav" bs=1 seek=$((at + 2048)) conv=notrunc status=none
refused corrupted "$out/files/flip.sav" "checksum mismatch"
odl=$(od -An -tu4 -j44 -N4 "$out/files/keep.sav" | tr -d ' ')
cp "$out/files/keep.sav" "$out/files/ver.sav"
printf '\x04' | dd of="$out/files/ver.sav" bs=1 seek=$((48 + odl + 16 + 8 + 15)) conv=notrunc status=none
refused wrong-version "$out/files/ver.sav" "libxc version 4 (Xen 4.17 reads 2 and 3)"
cp "$out/files/keep.sav" "$out/files/magic.sav"
printf 'Y' | dd of="$out/files/magic.sav" bs=1 seek=0 conv=notrunc status=none
refused not-a-save-file "$out/files/magic.sav" "not an xl save file (magic)"
e=$($d restore "$out/files/keep.sav" memory=16 2>&1 </dev/null); r=$?
if [ $r = 1 ] && [[ "$e" == *"lies beyond the domain's 16 MiB of RAM"* ]] && [ "$($d list | wc -l)" = 2 ]; then
	pass less-memory-refused
else
	fail less-memory-refused "rc $r: $e"
fi

# 6. restore: it counts on from where it stopped and exits with 33
cp "$conlog" "$out/before.log"
err=$(timeout 600 $d restore "$out/files/g.sav" 2>&1 </dev/null); rc=$?
if [ $rc = 33 ] && [ "$err" = "domus restore: mbhvm ended: test-exit device: value 16, exit code 33 (exit status 33)" ]; then
	pass restore-exit-code
else
	fail restore-exit-code "rc $rc: $err; $(tail -3 "$log" | tr '\n' '|')"
fi
if grep -q 'built from the save file: HVM, 32 MiB, 1 vCPU(s)' "$log"; then pass restore-logged; else fail restore-logged "$(grep -i 'built' "$log" | tr '\n' '|')"; fi
if ! grep -q 'hello from a multiboot kernel' "$conlog" && grep -qx 'mbtest: all checks passed' "$conlog"; then
	pass restore-no-reboot
else
	fail restore-no-reboot "$(head -3 "$conlog" | tr '\n' '|')"
fi
# the console before the save and after the restore, together: 1..N, each once
cat "$out/before.log" "$conlog" | grep -o '^mbtest: count [0-9]*$' | awk '{print $3}' >"$out/counts"
if [ "$(tr '\n' ' ' <"$out/counts")" = "$(seq 1 $N | tr '\n' ' ')" ]; then
	pass counts-continue
else
	fail counts-continue "$(tr '\n' ' ' <"$out/counts")"
fi
gone restore-ended

# 7. the -c file restores too (the guest's state at that moment): -e
# returns once it runs; it counts on from there (no boot), then destroyed
err=$(timeout 120 $d restore -e "$out/files/keep.sav" 2>&1 </dev/null); rc=$?
if [ $rc = 0 ] && [ -z "$err" ] && wait_count $((kkeep + 2)) && ! grep -q 'hello from' "$conlog" &&
   [ "$(grep -o '^mbtest: count [0-9]*$' "$conlog" | head -1 | awk '{print $3}')" -le $((kkeep + 1)) ]; then
	pass keep-file-restores
else
	fail keep-file-restores "rc $rc: $err; saved at $kkeep; $(head -2 "$conlog" | tr '\n' '|')"
fi
$d destroy mbhvm >/dev/null
gone keep-restore-destroyed

stats_zero frees-all
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
