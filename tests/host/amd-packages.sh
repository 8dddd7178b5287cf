#!/bin/bash
# The Debian packages in the AMD-V test host (run by
# tests/suites/74-packages-amd through scripts/testhost).  The test host's
# root is the build machine's / read-only over 9p, so dpkg gets a writable
# copy: an overlayfs with a tmpfs upper layer (in /run, a tmpfs) over that
# root, with /proc, /sys, /dev and the source tree bound into it, and
# everything runs chrooted there.  Nothing reaches the build machine.
#
# install (apt, the two .debs) -> DKMS builds domus.ko for the running
# kernel -> modprobe -> domus info -> a PVH guest (the stock kernel, the
# busybox initramfs) -> upgrade to the higher release of build/deb-up
# (PKGTEST_UPVER; DKMS rebuilds, conffile edits kept) -> modprobe, a PVH
# guest again -> apt remove -> apt purge, and after each step what must
# (not) be there.  One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
failed=0
pass() { echo "PASS: packages-amd/$1"; }
fail() { echo "FAIL: packages-amd/$1: $2"; failed=1; }
ver=$(cat VERSION)
kver=$(uname -r)
debs=$top/build/deb
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

# ---- the writable root --------------------------------------------------
ovl=/run/pkgroot
R=$ovl/root
mkdir -p "$ovl/upper" "$ovl/work" "$R"
# overlay.ko from the shared root (the test host's initramfs has only the 9p stack)
modprobe overlay 2>/dev/null
if mount -t overlay overlay -o "lowerdir=/,upperdir=$ovl/upper,workdir=$ovl/work" "$R" &&
   mount -t proc proc "$R/proc" && mount --rbind /sys "$R/sys" && mount --rbind /dev "$R/dev" &&
   mount -t tmpfs tmpfs "$R/tmp" && mount -t tmpfs tmpfs "$R/run" &&
   mkdir -p "$R$top" && mount --bind "$top" "$R$top"; then
	pass overlay-root
else
	fail overlay-root "cannot set up the overlay root in $ovl (overlay module? 9p as a lower layer?)"
	exit 1
fi
# /dev/fd (bash's <(...), which dkms uses): the test host's devtmpfs lacks it
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# no man-db index rebuild at install (minutes under TCG; man pages are checked as files)
rm -f "$R/var/lib/man-db/auto-update"
# in the copy: C.UTF-8, no questions, no service starts (no systemd here anyway)
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
log=$top/build/pkgtest
mkdir -p "$log"

# PKGTEST_NO_DKMS=1 (a development shortcut, not for the suite): DKMS
# autoinstall off and the tree's domus.ko inserted instead, so the steps
# after the 30-minute module build can be tried in minutes; the DKMS checks
# then print SKIP.
nodkms=${PKGTEST_NO_DKMS:-0}
if [ "$nodkms" = 1 ]; then mkdir -p "$R/etc/dkms" && touch "$R/etc/dkms/no-autoinstall"; fi

# ---- install ---------------------------------------------------------------
s=$(date +%s)
if in_root apt-get install -y -q --no-install-recommends \
	"$debs/domus-dkms_${ver}_all.deb" "$debs/domus_${ver}_amd64.deb" >"$log/install.log" 2>&1; then
	pass "install ($(( $(date +%s) - s )) s)"
else
	fail install "apt-get install failed: $(tail -5 "$log/install.log" | tr '\n' '|')"
	exit 1
fi
if [ "$nodkms" = 1 ]; then
	for t in dkms-built dkms-signed; do echo "SKIP: packages-amd/$t: PKGTEST_NO_DKMS=1"; done
else
st=$(in_root dkms status -m domus -v "$ver" -k "$kver" 2>&1)
mod=$R/lib/modules/$kver/updates/dkms/domus.ko
if echo "$st" | grep -q "installed" && [ -f "$mod" ] && [ "$(in_root modinfo -F version "/lib/modules/$kver/updates/dkms/domus.ko")" = "$ver" ]; then
	pass dkms-built
else
	fail dkms-built "dkms status '$st', module $(ls -l "$mod" 2>&1); make.log: $(tail -5 "$R/var/lib/dkms/domus/$ver/build/make.log" 2>/dev/null | tr '\n' '|')"
fi
# Debian's dkms signs what it builds (its own key, or sign-module's)
signer=$(in_root modinfo -F signer "/lib/modules/$kver/updates/dkms/domus.ko" 2>/dev/null | head -n 1)
[ -n "$signer" ] && pass "dkms-signed" || fail dkms-signed "modinfo shows no signer"
fi
# only what Kbuild reads went into the DKMS source tree
extra=$(cd "$R/usr/src/domus-$ver" 2>/dev/null && find . -type f | grep -Ev '^\./(Kbuild|VERSION|dkms\.conf|(module|uapi)/.*\.[chS])$')
if [ -d "$R/usr/src/domus-$ver" ] && [ -z "$extra" ]; then pass dkms-source-tree; else fail dkms-source-tree "unexpected: $(echo "$extra" | tr '\n' ' ')"; fi
if in_root getent group domus >/dev/null && [ -f "$R/lib/udev/rules.d/60-domus.rules" ] &&
   [ -f "$R/etc/logrotate.d/domus" ] && [ -f "$R/etc/default/domus" ] && [ -L "$R/etc/systemd/system/multi-user.target.wants/domus.service" ] &&
   [ -f "$R/usr/share/man/man1/domus.1.gz" ] && [ -f "$R/usr/share/bash-completion/completions/domus" ]; then
	pass installed-pieces
else
	fail installed-pieces "group $(in_root getent group domus || echo none); $(cd "$R" && ls -d lib/udev/rules.d/60-domus.rules etc/logrotate.d/domus etc/systemd/system/multi-user.target.wants/domus.service usr/share/man/man1/domus.1.gz usr/share/bash-completion/completions/domus 2>&1 | tr '\n' ' ')"
fi

# ---- use: modprobe, info, a PVH guest --------------------------------------
# use P V: modprobe (the module of release V), [the udev rule, domus info,]
# a PVH guest from the installed tools, destroy, unload; check names start
# with P ("" for the first install, "upgrade-" after the upgrade)
cfg=$top/build/pkgtest/guest.cfg
cat >"$cfg" <<CFG
name = "pkgtest"
type = "pvh"
memory = 128
vcpus = 1
kernel = "/boot/vmlinuz-$kver"
ramdisk = "$top/build/pkgtest/guest.cpio"
extra = "console=hvc0 rdinit=/init quiet"
on_poweroff = "destroy"
CFG
use() {
	local p=$1 v=$2 out rc ok con=$R/var/log/domus/pkgtest-console.log
	if [ "$nodkms" = 1 ]; then
		echo "SKIP: packages-amd/${p}modprobe: PKGTEST_NO_DKMS=1 (the tree's domus.ko inserted)"
		insmod "$top/domus.ko"
	elif in_root modprobe domus && [ -c /dev/domus ] && grep -q "^$v\$" /sys/module/domus/version; then
		pass "${p}modprobe"
	else
		fail "${p}modprobe" "modprobe domus failed or /sys/module/domus/version is $(cat /sys/module/domus/version 2>&1), not $v: $(dmesg | tail -3 | tr '\n' '|')"
	fi
	if [ -z "$p" ]; then
		# the udev rule on the real device: `udevadm test` runs the rules for
		# /sys/class/misc/domus and sets the node's group and mode (no udevd here)
		if [ -c /dev/domus ]; then
			ut=$(in_root udevadm test --action=add /sys/class/misc/domus 2>&1)
			perm=$(in_root stat -c '%G %a' /dev/domus)
			if [ "$perm" = "domus 660" ] && echo "$ut" | grep -q '60-domus.rules:[0-9]* GROUP'; then
				pass udev-rule
			else
				fail udev-rule "/dev/domus is '$perm', not 'domus 660': $(echo "$ut" | grep -i 'domus.rules\|permissions' | tr '\n' '|')"
			fi
		else
			fail udev-rule "no /dev/domus"
		fi
		out=$(in_root domus info 2>&1); rc=$?
		if [ $rc = 0 ] && echo "$out" | grep -q "^domus version *: $v$" && echo "$out" | grep -q '^module *: loaded' &&
		   echo "$out" | grep -q '^vendor *: svm'; then
			pass domus-info
		else
			fail domus-info "rc $rc: $(echo "$out" | tr '\n' '|')"
		fi
	fi
	rm -f "$con"
	out=$(in_root domus create "$cfg" 2>&1); rc=$?
	ok=0
	for _ in $(seq 900); do
		grep -q DOMUS-GUEST-READY "$con" 2>/dev/null && { ok=1; break; }
		sleep 0.2
	done
	if [ $rc = 0 ] && [ $ok = 1 ] && in_root domus list | grep -Eq '^pkgtest +[0-9]+ +128 +1 '; then
		pass "${p}pvh-guest ($(elapsed) so far)"
	else
		fail "${p}pvh-guest" "create rc $rc: $(echo "$out" | tr '\n' '|'); console: $(tail -c 300 "$con" 2>/dev/null | tr '\r\n' '||'); log: $(tail -3 "$R/var/log/domus/pkgtest.log" 2>/dev/null | tr '\n' '|')"
	fi
	in_root domus destroy pkgtest >/dev/null 2>&1
	for _ in $(seq 50); do pgrep -x domus-launcher >/dev/null || break; sleep 0.1; done
	if ! pgrep -x domus-launcher >/dev/null && { [ "$nodkms" = 1 ] && rmmod domus || in_root modprobe -r domus; }; then
		pass "${p}unload"
	else
		fail "${p}unload" "launcher $(pgrep -x domus-launcher || echo gone), refcnt $(cat /sys/module/domus/refcnt 2>&1)"
	fi
}
use "" "$ver"

# ---- upgrade to the release of build/deb-up (PKGTEST_UPVER) ------------------
# The admin's edit of a conffile stays, the group and udev rule stay, DKMS
# removes the old release's module and builds the new one, the new tools,
# a guest again.
upver=${PKGTEST_UPVER:-$ver+up1}
updebs=$top/build/deb-up
echo "# admin edit before the upgrade" >>"$R/etc/default/domus"
s=$(date +%s)
if in_root apt-get install -y -q --no-install-recommends \
	"$updebs/domus-dkms_${upver}_all.deb" "$updebs/domus_${upver}_amd64.deb" </dev/null >"$log/upgrade.log" 2>&1; then
	pass "upgrade ($(( $(date +%s) - s )) s)"
else
	fail upgrade "apt-get install of $upver failed: $(tail -5 "$log/upgrade.log" | tr '\n' '|')"
	exit 1
fi
if [ "$nodkms" = 1 ]; then
	echo "SKIP: packages-amd/upgrade-dkms: PKGTEST_NO_DKMS=1"
else
	st=$(in_root dkms status -m domus 2>&1)
	mv=$(in_root modinfo -F version "/lib/modules/$kver/updates/dkms/domus.ko" 2>&1)
	if [ "$(echo "$st" | grep -c '^domus/')" = 1 ] && echo "$st" | grep -q "^domus/$upver, $kver, [^:]*: installed" &&
	   [ "$mv" = "$upver" ] && [ ! -e "$R/usr/src/domus-$ver" ] && [ ! -e "$R/var/lib/dkms/domus/$ver" ] &&
	   [ -n "$(in_root modinfo -F signer "/lib/modules/$kver/updates/dkms/domus.ko" 2>/dev/null)" ]; then
		pass upgrade-dkms
	else
		fail upgrade-dkms "dkms status '$(echo "$st" | tr '\n' '|')', modinfo version '$mv' (want $upver); $(cd "$R" && ls -d "usr/src/domus-$ver" "var/lib/dkms/domus/$ver" 2>/dev/null | tr '\n' ' ')make.log: $(tail -3 "$R/var/lib/dkms/domus/$upver/build/make.log" 2>/dev/null | tr '\n' '|')"
	fi
fi
v1=$(in_root domus --version 2>&1 | awk '{ print $2 }')
pv=$(in_root dpkg-query -W -f='${Version} ' domus domus-dkms 2>&1)
if [ "$v1" = "$upver" ] && [ "$pv" = "$upver $upver " ] && grep -qx '# admin edit before the upgrade' "$R/etc/default/domus" &&
   [ ! -e "$R/etc/default/domus.dpkg-new" ] && in_root getent group domus >/dev/null &&
   [ -f "$R/lib/udev/rules.d/60-domus.rules" ] && [ -L "$R/etc/systemd/system/multi-user.target.wants/domus.service" ]; then
	pass upgrade-kept
else
	fail upgrade-kept "domus --version '$v1', packages '$pv' (want $upver); /etc/default/domus edit $(grep -c 'admin edit' "$R/etc/default/domus" 2>&1); group $(in_root getent group domus || echo none); $(cd "$R" && ls -d etc/default/domus.dpkg-* lib/udev/rules.d/60-domus.rules etc/systemd/system/multi-user.target.wants/domus.service 2>&1 | tr '\n' ' ')"
fi
use upgrade- "$upver"
ver=$upver

# ---- remove, then purge ----------------------------------------------------
files=$(in_root dpkg -L domus domus-dkms 2>/dev/null | sort -u)
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' domus 2>/dev/null | awk '{ print $1 }' | grep .)
if in_root apt-get remove -y -q domus domus-dkms >"$log/remove.log" 2>&1; then
	left=
	for f in $files; do
		[ -e "$R$f" ] && [ ! -d "$R$f" ] || continue
		echo "$conffiles" | grep -qx "$f" || left="$left $f"
	done
	if [ -z "$left" ] && [ ! -e "$R/usr/src/domus-$ver" ] && [ ! -e "$R/var/lib/dkms/domus" ] &&
	   ! ls "$R"/lib/modules/*/updates/dkms/domus.ko* >/dev/null 2>&1; then
		pass remove
	else
		fail remove "left:$left $(cd "$R" && ls -d usr/src/domus-* var/lib/dkms/domus lib/modules/*/updates/dkms/domus.ko* 2>/dev/null | tr '\n' ' ')"
	fi
else
	fail remove "apt-get remove failed: $(tail -5 "$log/remove.log" | tr '\n' '|')"
fi
if in_root apt-get purge -y -q domus domus-dkms >"$log/purge.log" 2>&1; then
	# nothing named domus anywhere in what dpkg wrote (the upper layer), no
	# group, no package state
	left=$(cd "$ovl/upper" && find . -name '*domus*' | grep -v '^\./tmp/' | head -20)
	grp=$(grep '^domus:' "$ovl/upper/etc/group" "$ovl/upper/etc/gshadow" 2>/dev/null)
	state=$(in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' domus domus-dkms 2>/dev/null | grep -v '^un ')
	if [ -z "$left" ] && [ -z "$grp" ] && [ -z "$state" ]; then
		pass purge
	else
		fail purge "left: $(echo "$left" | tr '\n' ' ') group: $grp state: $state"
	fi
else
	fail purge "apt-get purge failed: $(tail -5 "$log/purge.log" | tr '\n' '|')"
fi
echo "packages-amd: test host part $(elapsed)"
umount -R "$R" 2>/dev/null
exit $failed
