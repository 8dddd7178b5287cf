# shellcheck shell=sh
# Shared part of both test hosts' /init (busybox sh), installed in the
# initramfs as /lib/testhost/common.sh.

# Give up: the harness sees no TESTHOST-EXIT= line and reports the test host
# as failed (status 125) with the last console lines.
th_fail() {
	echo "testhost-init: $*"
	th_poweroff
}

# Power off once everything written to the console has left the serial
# port.  Writes to /dev/console return as soon as the data is in the tty
# buffer, and under Bochs the emulated UART sends at its baud rate in guest
# time, so a plain "poweroff -f" loses the last few KiB of output.  stty
# applies its settings with TCSADRAIN, i.e. it waits for the output to drain.
th_poweroff() {
	stty -F /dev/console onlcr 2>/dev/null || sleep 2
	poweroff -f
	sleep 3600
}

th_early_mounts() {
	/bin/busybox --install -s /bin
	PATH=/bin
	export PATH
	mkdir -p /proc /sys /dev /tmp
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs -o mode=1777 tmpfs /tmp
}

# Load the modules listed, in order, in $1/order.
th_load_modules() {
	[ -f "$1/order" ] || return 0
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "$1/$m" || th_fail "insmod $m failed"
	done <"$1/order"
}

# Kernel log check, part 1 (before the command): remember the taint value
# and put a unique marker line into the kernel log.
th_log_begin() {
	TH_TAINT0=$(cat /proc/sys/kernel/tainted)
	TH_MARK="testhost: kernel log check starts here ($(cat /proc/sys/kernel/random/uuid))"
	echo "<5>$TH_MARK" >/dev/kmsg
}

# th_stuck_report SECONDS ROOT: started in the background before the
# command; if the command still runs SECONDS later (shortly before the
# harness's deadline), print what every process waits on and the kernel's
# list of blocked tasks, so a hang leaves evidence instead of a bare timeout.
th_stuck_report() {
	sleep "$1" || return
	echo "testhost: still running ${1} s after the start; processes and what they wait on:"
	for p in /proc/[0-9]*; do
		read -r st <"$p/stat" 2>/dev/null || continue
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-120)
		[ -n "$cmd" ] || continue	# a kernel thread
		echo "testhost-stuck: $(echo "$st" | cut -d' ' -f1,3) wchan=$(cat "$p/wchan" 2>/dev/null) $cmd"
		for t in "$p"/task/*; do
			echo "testhost-stuck:   task ${t##*/} $(cut -d' ' -f3 "$t/stat" 2>/dev/null) $(tr '\n' '|' <"$t/stack" 2>/dev/null | cut -c1-400)"
		done
	done
	echo w >/proc/sysrq-trigger 2>/dev/null
	sleep 1
	# the kernel log since the command started (the blocked tasks last)
	dmesg 2>/dev/null | awk -v m="$TH_MARK" 'on || index($0, m) { on = 1; print }' |
		tail -n 150 | sed 's/^/testhost-stuck: klog: /'
}

# Part 2 (after the command, $1 = its status): report the status, the taint
# values before and after, and the kernel log from the marker on, between
# markers the harness recognises.
th_log_end() {
	th_t1=$(cat /proc/sys/kernel/tainted)
	dmesg >/tmp/testhost-klog 2>&1
	echo "TESTHOST-EXIT=$1"
	echo "TESTHOST-TAINT=$TH_TAINT0 $th_t1"
	echo "TESTHOST-KLOG-BEGIN"
	if grep -qF "$TH_MARK" /tmp/testhost-klog; then
		awk -v m="$TH_MARK" 'on || index($0, m) { on = 1; print }' /tmp/testhost-klog
	else
		echo "testhost: marker not found in the kernel log (buffer overrun or cleared); whole log follows"
		cat /tmp/testhost-klog
	fi
	echo "TESTHOST-KLOG-END"
}
