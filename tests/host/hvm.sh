#!/bin/bash
# HVM domains inside a test host, on either backend: AMD-V (QEMU, run by
# tests/suites/72-hvm-amd through scripts/testhost) and VT-x (Bochs, run
# by tests/suites/57-hvm-intel from a staged copy of the tree: static
# domus and domus-launcher as build/domus and build/domus-launcher; busybox
# sh, so no bash-only syntax here).  The Multiboot test kernel
# (tests/guests/mb/) with type = "hvm"; `domus create`'s exit status is
# the test-exit code (33: every check of the kernel passed), the console
# shows the UART's text, crashes (halt with interrupts off, triple fault)
# end as on_crash says.  One PASS/FAIL line each, named hvm-amd/ or
# hvm-intel/ (TESTHOST_ARCH, set by the test host's /init).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
hvm_host hvm
cfg=tests/host/hvm-mb.cfg
log=$out/log/mbhvm.log
conlog=$out/log/mbhvm-console.log

# run NAME WANT_RC [-c] [KEY=VALUE...]: domus create, its status and stderr in $rc, $err
run() {
	local n=$1 want=$2 c=
	shift 2
	[ "$1" = -c ] && { c=-c; shift; }
	rm -f "$log" "$conlog"
	err=$(timeout $((120 * ${T_WAIT_SCALE:-1})) $d create $c $cfg "$@" 2>"$out/err" </dev/null >"$out/stdout"); rc=$?
	err=$(cat "$out/err")
	if [ $rc = "$want" ]; then pass "$n"; else fail "$n" "rc $rc (want $want): $(tr '\n' '|' <"$out/err"); log: $(tail -3 "$log" 2>/dev/null | tr '\n' '|')"; fi
}

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# 1. the ELF image, without -c: every check passes, exit status 33
run elf-exit-code 33
if grep -q '^mbtest: hello from a multiboot kernel' "$conlog" && grep -qx 'mbtest: cmdline: mbtest mem=32' "$conlog" &&
   grep -qx 'mbtest: all checks passed' "$conlog"; then
	pass elf-console-log
else
	fail elf-console-log "$(tr '\n' '|' <"$conlog" 2>/dev/null)"
fi
if [ "$err" = "domus create: mbhvm ended: test-exit device: value 16, exit code 33 (exit status 33)" ]; then
	pass elf-report
else
	fail elf-report "$err"
fi
# the unclaimed ports: logged once each, never fatal
if grep -q 'read of port 0x2f0: no device there (reads all-ones)' "$log" &&
   [ "$(grep -c 'write of port 0x80: no device there (ignored)' "$log")" = 1 ] &&
   grep -q 'device model: 2 accesses to ports or addresses no device claims' "$log"; then
	pass unclaimed-ports-logged
else
	fail unclaimed-ports-logged "$(grep 'no device' "$log" | tr '\n' '|')"
fi
gone elf-gone

# 2. the a.out-kludge image with -c: the console shows the UART
run aout-console-exit-code 33 -c 'kernel="build/guests/mb/mbtest-aout.bin"'
if grep -q '^mbtest: hello from a multiboot kernel' "$out/stdout" && grep -q '^mbtest: all checks passed' "$out/stdout"; then
	pass aout-console-text
else
	fail aout-console-text "$(tr '\n' '|' <"$out/stdout")"
fi
gone aout-gone

# 3. a failing check changes the code: mem= does not match memory=
run mem-mismatch-code 141 memory=48
if grep -qx 'mbtest: FAIL check 6' "$conlog"; then pass mem-mismatch-console; else fail mem-mismatch-console "$(tr '\n' '|' <"$conlog")"; fi
# the name is free the moment create returns (the launcher reports the end
# after its teardown): no wait here, unlike gone
if [ "$($d list | wc -l)" = 2 ]; then pass mem-mismatch-name-free; else fail mem-mismatch-name-free "$($d list | tr '\n' '|')"; fi

# 4. crashes: halt with interrupts off, triple fault (on_crash = destroy)
run hlt-crash 2 'extra="mbtest mem=32 hlt"'
if grep -q 'shut down: crash (vCPU 0 halted (interrupts off)' "$log"; then pass hlt-crash-log; else fail hlt-crash-log "$(tail -3 "$log" | tr '\n' '|')"; fi
run triple-fault 2 'extra="mbtest mem=32 triple"'
if grep -q 'shut down: crash (vCPU 0 triple fault)' "$log"; then pass triple-fault-log; else fail triple-fault-log "$(tail -3 "$log" | tr '\n' '|')"; fi
gone crash-gone

# 4b. interrupts (docs/devices.md "Interrupts (HVM)"): the kernel programs
# the 8259s (IRQ 0 at vector 8, as SeaBIOS) and the 8254 at 100 Hz, then
# "sti; hlt" ten times, each HLT ended by a tick whose handler EOIs: the
# PIT's timer thread, the acknowledge and injection, the HLT wait, the EOI
run irq-ticks 21 'extra="mbtest mem=32 irq"'
ticks=$(sed -n 's/^mbtest: ticks \([0-9]*\)$/\1/p' "$conlog" 2>/dev/null)
if [ -n "$ticks" ] && [ "$ticks" -ge 10 ] && [ "$ticks" -le 1000 ] &&
   [ "$err" = "domus create: mbhvm ended: test-exit device: value 10, exit code 21 (exit status 21)" ]; then
	pass irq-ticks-console
else
	fail irq-ticks-console "ticks '$ticks' (want 10 or a few more); $err; $(tr '\n' '|' <"$conlog" 2>/dev/null)"
fi
gone irq-gone

# 5. on_crash = preserve: create returns, the domain stays shut down
run preserve-crash 2 'extra="mbtest mem=32 hlt"' 'on_crash="preserve"'
if $d list | grep -Eq '^mbhvm +[0-9]+ +32 +1 +---sc- '; then pass preserve-listed; else fail preserve-listed "$($d list | tr '\n' '|')"; fi
$d destroy mbhvm >/dev/null
gone preserve-destroyed

# 6. -e: create returns once the domain runs (the kernel halts: preserved)
rm -f "$log"
err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create -e $cfg 'extra="mbtest mem=32 hlt"' 'on_crash="preserve"' 2>&1 </dev/null); rc=$?
for i in $(seq 50); do grep -q 'shut down: crash' "$log" 2>/dev/null && break; sleep 0.1; done
if [ $rc = 0 ] && [ -z "$err" ] && $d list | grep -Eq '^mbhvm +[0-9]+ +32 +1 +---sc- '; then
	pass nowait-returns
else
	fail nowait-returns "rc $rc: $err; $($d list | tr '\n' '|')"
fi
$d destroy mbhvm >/dev/null
gone nowait-destroyed

stats_zero frees-all
if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
