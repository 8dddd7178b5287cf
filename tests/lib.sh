# shellcheck shell=bash
# Helpers for test suites: one result line per test (see tests/run).
T_FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; T_FAILED=1; }
skip() { echo "SKIP: $1: $2"; }
# check NAME CMD...: PASS if CMD succeeds, FAIL otherwise.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "'$*' failed"; fi; }
# expect_rc NAME RC CMD...: PASS if CMD exits with RC.
expect_rc() {
	local n=$1 want=$2 got; shift 2
	"$@" >/dev/null 2>&1; got=$?
	if [ "$got" -eq "$want" ]; then pass "$n"; else fail "$n" "exit status $got, expected $want"; fi
}
t_done() { exit "$T_FAILED"; }

# test_seed NAME [MAX]: the seed (1..MAX, default 2^32-1) of a randomised
# test in `make check` (fuzzers, hostile guests).  By default it comes from
# the code under test (the git trees of module/, userland/, uapi/, tests/,
# any uncommitted change to them) and NAME: one tree always runs the same
# inputs, so a failure repeats and a docs-only change changes nothing,
# while every code change explores new ones.  DOMUS_TEST_SEEDS=random
# draws fresh seeds (exploring); each suite prints its seeds and the
# variable that repeats one.
test_seed() {
	local max=${2:-4294967295} h
	if [ "${DOMUS_TEST_SEEDS:-tree}" = random ]; then
		h=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	else
		h=$( { git rev-parse HEAD:module HEAD:userland HEAD:uapi HEAD:tests 2>/dev/null
		       git diff HEAD -- module userland uapi tests 2>/dev/null; echo "$1"; } | cksum | cut -d' ' -f1)
	fi
	echo $(( h % max + 1 ))
}

# ---- the Debian 12 root image (suites 66, 71) -----------------------------
# t_rootfs_image SUITE: build scripts/mkrootfs's image or take it from the
# shared cache (DOMUS_ROOTFS_CACHE, exported), check that the host's stock
# initramfs carries the root disk's drivers; sets img and kver.  PASS
# SUITE/image, or FAIL and end the suite.
t_rootfs_image() {
	local err rc rd mods
	export DOMUS_ROOTFS_CACHE=${DOMUS_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus-rootfs}
	kver=${TESTHOST_KERNEL:-$(scripts/kver)}
	err=$(mktemp)
	img=$(nice -n 10 scripts/mkrootfs --kver "$kver" 2>"$err"); rc=$?
	# the guest's ramdisk is the host's stock initramfs: it must carry the
	# root disk's drivers (initramfs-tools' MODULES=most, Debian's default)
	rd=/boot/initrd.img-$kver
	mods=$(lsinitramfs "$rd" 2>/dev/null | grep -cE '/(xen-blkfront|ext4)\.ko')
	if [ $rc = 0 ] && [ -s "$img" ] && [ "$mods" = 2 ]; then
		pass "$1/image"
		rm -f "$err"
	else
		fail "$1/image" "scripts/mkrootfs rc $rc: $(tail -2 "$err" | tr '\n' '|'); $rd has $mods of xen-blkfront.ko, ext4.ko (MODULES=most in /etc/initramfs-tools/initramfs.conf, then update-initramfs -u -k $kver)"
		rm -f "$err"
		t_done
	fi
}

# t_device_timeout IMAGE SECS: systemd's DefaultDeviceTimeoutSec=SECS in
# an ext4 image of a Debian guest (a system.conf.d file written with
# debugfs; no mount).  Under TCG on a loaded machine udev announced
# /dev/hvc0 and the swap disk after systemd's 90 s default (no getty, no
# swap: docs/images.md "128 MiB"); the test images get a longer one.
# 0 when the file reads back.
t_device_timeout() {
	local conf
	conf=$(mktemp) || return 1
	printf '[Manager]\nDefaultDeviceTimeoutSec=%s\n' "$2" >"$conf"
	debugfs -w -R "mkdir /etc/systemd/system.conf.d" "$1" >/dev/null 2>&1
	debugfs -w -R "write $conf /etc/systemd/system.conf.d/domus-test-timeout.conf" "$1" >/dev/null 2>&1
	rm -f "$conf"
	debugfs -R 'cat /etc/systemd/system.conf.d/domus-test-timeout.conf' "$1" 2>/dev/null |
		grep -qx "DefaultDeviceTimeoutSec=$2"
}

# wait_log FILE PATTERN SECONDS [FROM_LINE]: PATTERN (grep -E) in FILE after
# line FROM_LINE, carriage returns dropped
wait_log() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -le $end ]; do
		tail -n +"${4:-1}" "$1" 2>/dev/null | tr -d '\r' | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
# one: standard input on one line (newlines as |), its last 400 bytes, for a FAIL line
one() { tr '\n' '|' | tail -c 400; }

# wait_text FILE TEXT SECONDS: 0 once FILE holds TEXT (a fixed string);
# T_WAIT_SCALE (default 1) multiplies SECONDS (the Bochs test host: 4)
wait_text() {
	local i
	for i in $(seq $(($3 * 10 * ${T_WAIT_SCALE:-1}))); do
		grep -qaF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# io_note WHAT LOG SECS: a "#" line with a domain's time and its exit and
# port I/O counters (the launcher logs "counters:" when the domain ends)
io_note() {
	local c
	c=$(grep -ao 'counters:.*' "$2" | tail -1 | grep -oE ' (exits|io)=[0-9]+' | tr -d '\n')
	echo "# $1: $3 s,${c:- no counters logged}"
}

# ---- HVM domains in test-host scripts (hvm*.sh, amd-save.sh): the
# script sets d (the CLI) and has its own pass and fail
# no_launcher: no domus-launcher process is left (pgrep, else /proc: the
# Bochs test host's busybox has no pgrep)
no_launcher() {
	if command -v pgrep >/dev/null; then
		! pgrep -x domus-launcher >/dev/null
		return
	fi
	! grep -qx domus-launcher /proc/[0-9]*/comm 2>/dev/null
}
# gone NAME: check NAME passes once no launcher and no domain is left
# (within 5 s, times T_WAIT_SCALE); when not, the domains left are destroyed
gone() {
	local i
	for i in $(seq $((50 * ${T_WAIT_SCALE:-1}))); do
		no_launcher && [ "$($d list | wc -l)" = 2 ] && { pass "$1"; return; }
		sleep 0.1
	done
	fail "$1" "$($d list | tr '\n' '|')"
	# a domain left running would fail every later step: take it down
	$d list | awk 'NR > 2 { print $1 }' | while read -r n; do $d destroy "$n" >/dev/null 2>&1; done
}

# ---- the Multiboot test guest's counter (amd-save.sh, amd-migrate.sh); the
# script sets conlog (the guest's console log) and may set count_wait (seconds)
# wait_count K: the console log shows "mbtest: count K" (within count_wait, 300 s)
wait_count() { wait_log "$conlog" "^mbtest: count $1\$" "${count_wait:-300}"; }
# whole_lines FILE: FILE's newline-terminated lines; a line the guest is
# still writing ("mbtest: count " of "mbtest: count 156") is left out
whole_lines() { perl -ne 'print if /\n\z/' "$1" 2>/dev/null; }
# last_count FILE: the last count FILE shows (a whole line)
last_count() { whole_lines "$1" | grep -o '^mbtest: count [0-9][0-9]*$' | tail -1 | awk '{print $3}'; }

# ---- a guest's console, in test-host scripts (amd-pvdebian.sh, amd-pvimages.sh)
# The script sets con (the file the console is copied to) and opens fd 3
# on the console's input; pass and fail are its own.
# wait_for PATTERN SECONDS [FROM_LINE]: PATTERN (grep -E) on the console after line FROM_LINE
wait_for() { wait_log "$con" "$@"; }
lines() { wc -l <"$con"; }
# each command starts with an empty line: its answer lines begin at the
# start of a line, not after the prompt
send() { printf 'echo; %s\n' "$*" >&3; }
# run CMD MARKER [SECONDS]: a shell command in the guest, then "MARKER-done"
run() { local l; l=$(lines); send "$1; echo $2-do''ne"; wait_for "^$2-done" "${3:-120}" "$l"; }
# the guest's answer "KEY=VALUE" (the last one), escape sequences removed
answer() { tr -d '\r' <"$con" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | sed -n "s/^$1=//p" | tail -1; }
# lvm_private DIR PV: LVM commands of this shell see only PV, with their
# config in DIR (no udev, no lvmpolld, no backups: a test host has none)
lvm_private() {
	export LVM_SYSTEM_DIR=$1 LVM_SUPPRESS_FD_WARNINGS=1
	mkdir -p "$LVM_SYSTEM_DIR" /run/lock/lvm
	cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOF
devices { filter = [ "a|^$2\$|", "r|.*|" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
global { use_lvmpolld = 0 event_activation = 0 }
backup { backup = 0 archive = 0 }
EOF
}
# tcp_md5_sink FILE ADDR PORT [ACCEPT_S]: a TCP server in the background
# ($sink_pid) that takes one connection and writes "BYTES MD5" to FILE
# (temp + rename) when the peer closes; returns once it listens (python
# starts slowly under TCG)
tcp_md5_sink() {
	rm -f "$1" "$1.ready"
	/usr/bin/python3 - "$1" "$2" "$3" "${4:-120}" <<'PY' &
import hashlib, os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], int(sys.argv[3])))
s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(int(sys.argv[4]))
c, _ = s.accept()
c.settimeout(120)
h, n = hashlib.md5(), 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
c.close()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %s\n" % (n, h.hexdigest()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
PY
	sink_pid=$!
	local i
	for i in $(seq 600); do [ -e "$1.ready" ] || ! kill -0 "$sink_pid" 2>/dev/null && break; sleep 0.1; done
}
# the module's live objects: domains vcpus pinned npt hw_cpus (the static
# build/host/gstats where there is no python3: the Bochs test host)
gstats() {
	if [ ! -x /usr/bin/python3 ] && [ -x build/host/gstats ]; then
		build/host/gstats
		return
	fi
	/usr/bin/python3 - <<'PY'
import fcntl, os, struct
fd = os.open("/dev/domus", os.O_RDWR)
buf = bytearray(64)
fcntl.ioctl(fd, 0xC040D502, buf)
d, v, p, n, h = struct.unpack_from("<QQQQI", buf)
print(d, v, p, n, h)
PY
}
# stats_zero NAME: PASS once the module holds no object (5 s)
stats_zero() {
	local s i
	for i in $(seq 50); do
		s=$(gstats)
		[ "$s" = "0 0 0 0 0" ] && { pass "$1"; return 0; }
		sleep 0.1
	done
	fail "$1" "live objects (domains vcpus pinned npt hw_cpus): $s"
}

# hvm_host NAME: the common start of the HVM test-host scripts
# (tests/host/hvm.sh, hvm-bios.sh, hvm-cd.sh; AMD-V or, under busybox sh,
# the Bochs VT-x host): PASS/FAIL lines named NAME-amd/ or NAME-intel/
# (TESTHOST_ARCH) with $failed for the exit status, Bochs's longer waits,
# Debian's SeaBIOS from the staged tree where it is not installed, a fresh
# build/NAME ($out) with its log directory, and d=build/domus
hvm_host() {
	failed=0
	arch=${TESTHOST_ARCH:-amd}
	hvm_name=$1
	pass() { echo "PASS: $hvm_name-$arch/$1"; }
	fail() { echo "FAIL: $hvm_name-$arch/$1: $2"; failed=1; }
	# Bochs runs guests several times slower than QEMU: longer waits there
	[ "$arch" = intel ] && export T_WAIT_SCALE=4
	if [ ! -f /usr/share/seabios/bios.bin ] && [ -f seabios/bios.bin ]; then
		mkdir -p /usr/share/seabios && cp seabios/bios.bin /usr/share/seabios/
	fi
	out=$(pwd)/build/$1
	export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
	rm -rf "$out"
	mkdir -p "$out/log"
	d=build/domus
}
