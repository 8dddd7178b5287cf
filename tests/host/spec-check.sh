#!/bin/sh
# spec-check.sh PREFIX [run]: domus's transient-execution report
# (/sys/module/domus/parameters/mitigations, docs/security.md) against
# what the test host's kernel says it does (/sys/devices/system/cpu/
# vulnerabilities/*, /proc/cmdline).  domus.ko must be loaded.  With
# "run", CMD... after it starts a domain first (the report's kernel-log
# line comes with the first domain).  POSIX sh: runs under busybox too.
# One PASS/FAIL line per check: spec/param, spec/match-host and, with
# run, spec/log-line.
p=$1
shift
failed=0
pass() { echo "PASS: $p/spec/$1"; }
fail() { echo "FAIL: $p/spec/$1: $2"; failed=1; }
vul=/sys/devices/system/cpu/vulnerabilities
v() { cat "$vul/$1" 2>/dev/null; }
has() { v "$1" | grep -q -e "$2"; }

line=$(cat /sys/module/domus/parameters/mitigations 2>/dev/null)
echo "info: domus mitigations: $line"
for f in spectre_v2 l1tf mds tsa retbleed spec_rstack_overflow vmscape; do
	[ -e "$vul/$f" ] && echo "info: $f: $(v $f)"
done
tok() { echo " $line " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p"; }
n=0
for k in ibpb l1d verw rsb untrain ibpb-exit bhb ibrs vmscape; do
	[ -n "$(tok $k)" ] && n=$((n + 1))
done
if [ $n = 9 ]; then pass param; else fail param "want 9 key=value pairs, got '$line'"; fi

# What the host's kernel does, in domus's words.
vendor=amd
grep -q GenuineIntel /proc/cpuinfo && vendor=intel
mitoff=0
for a in $(cat /proc/cmdline); do
	case $a in
	mitigations=off) mitoff=1 ;;
	mitigations=*) mitoff=0 ;;
	esac
done
want_ibpb=off want_l1d=off want_verw=off want_rsb=off want_untrain=off
want_ibpbx=off want_bhb=off want_ibrs=off want_vmscape=off
if [ $mitoff = 0 ]; then
	if [ $vendor = intel ]; then
		if has spectre_v2 'Retpolines' || has spectre_v2 'Mitigation: IBRS'; then want_rsb=exit
		elif has spectre_v2 'PBRSB-eIBRS: SW sequence'; then want_rsb=lite; fi
		has spectre_v2 'Mitigation: IBRS' && want_ibrs=exit
		has spectre_v2 'KVM: SW loop' && want_bhb=on
		for f in mds tsx_async_abort mmio_stale_data reg_file_data_sampling; do
			has $f 'Clear CPU buffers' && want_verw=on
		done
		if ! has l1tf 'Not affected' && [ -e $vul/l1tf ]; then
			if has l1tf 'VMX: conditional cache flushes'; then want_l1d=cond
			elif has l1tf 'VMX: cache flushes'; then want_l1d=always
			elif has l1tf 'VMX:'; then want_l1d=off
			else	# kvm_intel never loaded: l1tf= decides
				want_l1d=cond
				grep -q 'l1tf=full' /proc/cmdline && want_l1d=always
				grep -q 'l1tf=off' /proc/cmdline && want_l1d=off
			fi
		fi
	else
		has spectre_v2 'Retpolines\|LFENCE' && want_rsb=exit
		has tsa 'Clear CPU buffers' && want_verw=on
		if has spec_rstack_overflow '[Ss]afe RET' || has retbleed 'untrained return thunk'; then
			want_untrain=ret
			[ "$(tok untrain)" = alias ] && want_untrain=alias	# Zen 3/4: the kernel's string is the same
		fi
		if has spec_rstack_overflow 'IBPB' || has retbleed 'Mitigation: IBPB'; then want_ibpbx=on; fi
	fi
	if has spectre_v2 'IBPB: conditional\|IBPB: always-on' && [ $want_ibpbx = off ]; then
		want_ibpb=switch
	fi
	has vmscape 'IBPB before exit to userspace' && want_vmscape=on
fi
# l1d without FLUSH_CMD carries ",sw": compare the mode only
got_l1d=$(tok l1d | sed 's/,sw$//')
bad=
chk() { [ "$2" = "$3" ] || bad="$bad $1=$2(host: $3)"; }
chk ibpb "$(tok ibpb)" $want_ibpb
chk l1d "$got_l1d" $want_l1d
chk verw "$(tok verw)" $want_verw
chk rsb "$(tok rsb)" $want_rsb
chk untrain "$(tok untrain)" $want_untrain
chk ibpb-exit "$(tok ibpb-exit)" $want_ibpbx
chk bhb "$(tok bhb)" $want_bhb
chk ibrs "$(tok ibrs)" $want_ibrs
chk vmscape "$(tok vmscape)" $want_vmscape
if [ -z "$bad" ]; then
	pass match-host
else
	fail match-host "domus reports$bad"
fi

if [ "${1:-}" = run ]; then
	shift
	"$@" >/tmp/spec-run.log 2>&1 || { failed=1; echo "FAIL: $p/spec/run: $* failed"; tail -5 /tmp/spec-run.log; }
	if dmesg | grep -q "domus: mitigations: $line\$"; then
		pass log-line
	else
		fail log-line "no 'domus: mitigations: $line' in the kernel log after a domain ran"
	fi
	echo "info: $(cat /sys/module/domus/parameters/mitigation_counts)"
fi
exit $failed
