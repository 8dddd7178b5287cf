#!/bin/sh
# Run inside a test host whose CPU lacks svm (or npt): insmod must fail with
# the documented one-line reason.  Usage: amd-nosvm.sh svm|npt
cd "$(dirname "$0")/../.." || exit 1
what=$1
case $what in
svm) want='cannot load: this AMD CPU has no SVM (AMD-V) in CPUID' ;;
npt) want='has no nested paging (NPT)' ;;
*) echo "usage: $0 svm|npt"; exit 2 ;;
esac
if insmod ./domus.ko 2>/dev/null; then
	echo "FAIL: no$what/insmod-fails: insmod succeeded"; rmmod domus; exit 1
fi
echo "PASS: no$what/insmod-fails"
if dmesg | grep 'domus: cannot load:' | grep -qF "$want"; then
	echo "PASS: no$what/message"
else
	echo "FAIL: no$what/message: kernel log lacks '$want': $(dmesg | grep domus | tr '\n' '|')"; exit 1
fi
out=$(build/domus info 2>&1)
if [ "$what" = svm ] && echo "$out" | grep -q 'no svm or vmx flag'; then
	echo "PASS: no$what/info-diagnosis"
elif [ "$what" = npt ] && echo "$out" | grep -q 'without nested paging'; then
	echo "PASS: no$what/info-diagnosis"
else
	echo "FAIL: no$what/info-diagnosis: $(echo "$out" | tr '\n' '|')"; exit 1
fi
