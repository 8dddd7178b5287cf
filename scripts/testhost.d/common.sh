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
