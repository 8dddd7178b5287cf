#!/bin/sh
# Load must be refused, with the documented message, when the firmware
# has disabled hardware virtualization.  Runs in a Bochs test host
# (tests/suites/57-fw-disabled), in /testhost, with domus.ko, msr.ko and
# msrtool included.  Usage: fw-disabled.sh vmx|svm
#   vmx: the kernel was booted with clearcpuid=133 (X86_FEATURE_VMX), so
#        Linux's own IA32_FEATURE_CONTROL setup locked the MSR without
#        enabling VMX, as a BIOS with VT-x switched off leaves it, while
#        CPUID still shows VMX;
#   svm: VM_CR.SVMDIS (MSR 0xc0010114 bit 4) is set here first, the
#        firmware's "SVM mode: disabled".
what=$1
case $what in
vmx) want='VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked without VMX)'; msr=0x3a ;;
svm) want='AMD-V is disabled by the firmware (VM_CR.SVMDIS is set)'; msr=0xc0010114 ;;
*) echo "usage: $0 vmx|svm"; exit 2 ;;
esac
insmod ./msr.ko 2>/dev/null
if [ "$what" = svm ]; then
	val=$(./msrtool or $msr 0x10)
else
	val=$(./msrtool read $msr)
fi
echo "info: MSR $msr = $val"
case $what:$(( ${val:-0} & 0x15 )) in
vmx:1|vmx:17|svm:16|svm:17|svm:20|svm:21) echo "PASS: fw-$what/firmware-state" ;;
*) echo "FAIL: fw-$what/firmware-state: MSR $msr reads '$val' (vmx: want LOCK without VMXON_OUTSIDE_SMX; svm: want SVMDIS)"; exit 1 ;;
esac
grep -q "$what" /proc/cpuinfo && echo "info: /proc/cpuinfo still lists $what"
if insmod ./domus.ko 2>/dev/null; then
	echo "FAIL: fw-$what/insmod-refused: insmod succeeded"; rmmod domus; exit 1
fi
echo "PASS: fw-$what/insmod-refused"
if dmesg | grep 'domus: cannot load:' | grep -qF "$want"; then
	echo "PASS: fw-$what/message"
else
	echo "FAIL: fw-$what/message: kernel log lacks '$want': $(dmesg | grep domus | tr '\n' '|')"; exit 1
fi
