#!/bin/sh
# kvm's enable_virt_at_load (Linux 6.12) against domus, inside an AMD-V test
# host of a kernel whose kvm has that parameter (tests/suites/41-kvm-virt-amd,
# make check-kernels RUN=1).  With enable_virt_at_load=1 a loaded kvm_amd
# holds SVM (EFER.SVME on every CPU) without any VM: domus must refuse to
# start a domain with a message naming kvm.enable_virt_at_load=0 and
# unloading kvm_amd, in the kernel log, in the library's error and in
# `domus info`; it must work once kvm is unloaded or loaded with
# enable_virt_at_load=0; and a kvm_amd loaded while domus holds SVM must
# fail cleanly.  One PASS/FAIL line per test.
cd "$(dirname "$0")/../.." || exit 1
ko=${DOMUS_KO:-./domus.ko}
failed=0
pass() { echo "PASS: kvm-virt/$1"; }
fail() { echo "FAIL: kvm-virt/$1: $2"; failed=1; }
# EFER of CPU 0 (the msr driver) and its SVME bit (12)
svme() {
	e=$(od -An -tx8 -j $((0xc0000080)) -N 8 /dev/cpu/0/msr 2>/dev/null | tr -d ' ')
	[ -n "$e" ] || { echo "?"; return; }
	echo $(( (0x$e >> 12) & 1 ))
}
kvm_unload() { modprobe -r kvm_amd 2>/dev/null; rmmod kvm_amd kvm 2>/dev/null; ! lsmod | grep -q '^kvm'; }
newlog() { dmesg | tail -n +$(($1 + 1)); }

modprobe msr 2>/dev/null
if modinfo -p kvm 2>/dev/null | grep -q '^enable_virt_at_load:'; then
	pass param
else
	fail param "kvm of $(uname -r) has no enable_virt_at_load parameter (a 6.12 kernel is needed: make check-kernels RUN=1)"
	exit 1
fi
if insmod "$ko"; then pass insmod; else fail insmod "insmod $ko failed"; dmesg | tail -5; exit 1; fi
kvm_unload

# 1. kvm_amd loaded with enable_virt_at_load=1: SVM is held without a VM
if modprobe kvm enable_virt_at_load=1 && modprobe kvm_amd; then pass load-at-load; else fail load-at-load "modprobe kvm enable_virt_at_load=1, kvm_amd failed"; fi
s=$(svme)
if [ "$s" = 1 ]; then pass at-load-svme; else fail at-load-svme "EFER.SVME of CPU 0 is '$s' with kvm_amd loaded (enable_virt_at_load=1), expected 1"; fi
l0=$(dmesg | wc -l)
build/host/coretest kvm-busy || failed=1
msg=$(newlog "$l0" | grep 'domus:')
if echo "$msg" | grep -q 'in use by another hypervisor' &&
   echo "$msg" | grep -q 'enable_virt_at_load=0' && echo "$msg" | grep -q 'rmmod kvm_amd'; then
	pass at-load-log
	echo "info: kernel log: $msg"
else
	fail at-load-log "no domus line naming enable_virt_at_load=0 and rmmod kvm_amd: '$msg'"
fi
out=$(build/domus-hello 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "kvm.enable_virt_at_load=1" &&
   echo "$out" | grep -q "modprobe kvm enable_virt_at_load=0" && echo "$out" | grep -q "rmmod kvm_amd"; then
	pass at-load-error
	echo "info: $out"
else
	fail at-load-error "domus-hello exited $rc: $out"
fi
out=$(build/domus info 2>&1)
if echo "$out" | grep -q 'problem.*kvm.enable_virt_at_load=1.*rmmod kvm_amd'; then
	pass at-load-info
else
	fail at-load-info "domus info: $(echo "$out" | tr '\n' '|')"
fi

# 2. kvm unloaded: SVM free again, domus runs a guest
if kvm_unload; then pass unload; else fail unload "kvm modules still loaded: $(lsmod | grep '^kvm' | tr '\n' '|')"; fi
s=$(svme)
if [ "$s" = 0 ]; then pass unload-svme; else fail unload-svme "EFER.SVME of CPU 0 is '$s' after rmmod kvm_amd kvm"; fi
out=$(build/domus-hello 2>&1)
if echo "$out" | grep -q 'Hello from a domus guest!'; then pass unloaded-guest; else fail unloaded-guest "domus-hello: $out"; fi

# 3. enable_virt_at_load=0: kvm_amd loaded and idle leaves SVM alone, domus
#    runs a guest, then kvm runs its own
if modprobe kvm enable_virt_at_load=0 && modprobe kvm_amd; then pass load-idle; else fail load-idle "modprobe kvm enable_virt_at_load=0, kvm_amd failed"; fi
s=$(svme)
if [ "$s" = 0 ]; then pass idle-svme; else fail idle-svme "EFER.SVME of CPU 0 is '$s' with kvm_amd idle (enable_virt_at_load=0), expected 0"; fi
out=$(build/domus-hello 2>&1)
if echo "$out" | grep -q 'Hello from a domus guest!'; then pass idle-guest; else fail idle-guest "domus-hello: $out"; fi
out=$(build/host/kvm_holder try 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass idle-kvm-guest; else fail idle-kvm-guest "kvm_holder try exited $rc: $out"; fi
kvm_unload

# 4. domus holds SVM, then kvm_amd loads with enable_virt_at_load=1: its
#    load must fail cleanly (the harness fails the run on any kernel
#    warning), domus's domain keeps running, and afterwards kvm loads.
hlog=/tmp/coretest-hold.log
build/host/coretest hold >$hlog 2>&1 &
hpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'holding' $hlog; do sleep 0.1; i=$((i + 1)); done
if grep -q 'holding' $hlog; then
	pass hold
	if modprobe kvm enable_virt_at_load=1 2>/dev/null && modprobe kvm_amd 2>/dev/null; then
		fail held-kvm-refused "kvm_amd loaded (enable_virt_at_load=1) while domus holds SVM"
	else
		pass held-kvm-refused
	fi
	if kill -0 $hpid 2>/dev/null; then pass held-survives; else fail held-survives "coretest hold died: $(tr '\n' '|' <$hlog)"; fi
else
	fail hold "coretest hold: $(tr '\n' '|' <$hlog)"
fi
kill -TERM $hpid 2>/dev/null; wait $hpid 2>/dev/null
if grep -q 'released' $hlog; then pass hold-release; else fail hold-release "$(tr '\n' '|' <$hlog)"; fi
kvm_unload
if modprobe kvm enable_virt_at_load=1 && modprobe kvm_amd; then pass reload-at-load; else fail reload-at-load "modprobe kvm_amd failed after domus released SVM"; fi
out=$(build/host/kvm_holder try 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass at-load-kvm-guest; else fail at-load-kvm-guest "kvm_holder try exited $rc: $out"; fi
kvm_unload

build/host/coretest stats-zero || failed=1
if rmmod domus; then pass rmmod; else fail rmmod "rmmod domus failed"; fi
exit $failed
