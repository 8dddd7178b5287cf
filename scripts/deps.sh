#!/usr/bin/env bash
# Install everything the build, tests, demo and benchmarks need, with apt
# only.  Idempotent: when everything is present it returns at once.
#
# The target kernel is the newest installed Debian *-amd64 image; its
# exactly matching linux-headers-<ver> is installed too (scripts/kver).
set -eu

pkgs=(
	# build
	gcc make libc6-dev binutils kmod bc flex bison libelf-dev sparse
	# libraries later stages use to unpack kernels and read configs
	liblzma-dev zlib1g-dev libzstd-dev xz-utils
	# other kernel series (make check-kernels): pahole for the BTF of modules
	# built against 6.12's headers, zstd for its bzImage payload
	pahole zstd
	# the launcher's syscall filter
	libseccomp-dev
	# the PV block back end's concurrent I/O (userland/backend/blkaio.c)
	liburing-dev
	# target kernel and its headers
	linux-image-amd64 linux-headers-amd64
	# test hosts: QEMU (AMD-V), Bochs (VT-x), initramfs and boot ISO; the HVM test ISO (tests/guests/cdiso, suite 79)
	qemu-system-x86 busybox-static cpio bochs bochsbios vgabios
	grub-pc-bin grub-common xorriso mtools python3
	# HVM guests' firmware (userland/launcher/firmware.c: /usr/share/seabios/bios.bin)
	seabios
	# HVM ACPI tables: iasl disassembles them in tests/unit/test_acpi.c
	acpica-tools
	# tests
	util-linux procps
	# 68-pv-blk-amd's LVM volume (pvcreate/vgcreate/lvcreate in the test host,
	# whose root is this machine's)
	lvm2
	# the Debian test root image (scripts/mkrootfs): mmdebstrap, mkfs.ext4 -d, debugfs
	mmdebstrap e2fsprogs
	# the HVM test disk (scripts/mkhvmdisk): sfdisk on the image file (Debian 12
	# ships it in fdisk, not util-linux), mkinitramfs; GRUB's i386-pc images are
	# grub-pc-bin's (above)
	fdisk initramfs-tools
	# libFuzzer targets (make fuzz): clang and its fuzzer/sanitizer runtime
	# (Debian 12's clang is 14; the runtime is only a Recommends of clang)
	clang libclang-rt-14-dev
	# the manual page (make man: docs/man/*.scd) and checking it renders
	scdoc groff-base
	# domusd (docs/libvirt.md): libxml2 for the domain XML; the stock virsh
	# and python3-libvirt driving it (35-libvirt; test dependencies only)
	libxml2-dev libvirt-clients python3-libvirt
	# 35-libvirt's socket activation: systemd-socket-activate (usually there)
	systemd
	# 76-libvirt-amd's domus+ssh:// test: an sshd of its own in the test host
	# (its config and keys in a temp dir) and the nc -U the stock client runs
	# on the remote side (tests only)
	openssh-server netcat-openbsd
	# Xen's own xenstore clients driving domus xenstored (tests only)
	xenstore-utils python3-pyxs
	# 21-xldiff: Xen 4.17's own xl.cfg parser (libxlutil, in libxenmisc4.17)
	# as the oracle of ours; test-only (build/xldiff links it)
	libxen-dev
	# the Debian packages (make deb: dpkg-buildpackage, dh_dkms, lintian) and
	# their install test (74-packages-amd: DKMS builds the module in the test
	# host; logrotate, udev, openssl for sign-module).  --no-install-recommends
	# keeps dkms from pulling linux-headers-* (the target kernel is scripts/kver's)
	dpkg-dev debhelper dh-dkms dkms lintian fakeroot logrotate udev openssl
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# Headers matching the newest installed *-amd64 image.
newest=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -rV | head -1 || true)
if [ -n "$newest" ] && [ ! -d "/lib/modules/$newest/build" ]; then
	missing+=("linux-headers-$newest")
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root (apt-get install)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# A new image may have arrived with the metapackage: make sure its headers did too.
newest=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -rV | head -1)
if [ ! -d "/lib/modules/$newest/build" ]; then
	apt-get install -y -q --no-install-recommends "linux-headers-$newest"
fi
scripts/kver >/dev/null
