#!/bin/bash
# SeaBIOS as an HVM domain's firmware inside a test host, on either
# backend: AMD-V (QEMU, run by tests/suites/77-hvm-bios-amd through
# scripts/testhost) and VT-x (Bochs, tests/suites/57-hvm-intel, from a
# staged copy of the tree as tests/host/hvm.sh says; busybox sh there).
# A type = "hvm" domain without kernel= and without a disk boots Debian's
# bios.bin, which prints its banner and "No bootable device" on the serial
# console (its sercon) and its log on the debug port 0x402 (the launcher
# log); the domain then waits (HLT with interrupts on) until `domus
# destroy`.  Then boot programs on an IDE disk (tests/guests/mbr).
# Usage: hvm-bios.sh [PART...], PART one of nodisk badimage disk acpi reset
# uart (default: all).  One PASS/FAIL line each, named hvm-bios-amd/ or
# hvm-bios-intel/ (TESTHOST_ARCH).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
hvm_host hvm-bios
parts=" $* "
part() { [ "$parts" = "  " ] || case $parts in *" $1 "*) true ;; *) false ;; esac; }
cfg=tests/host/hvm-bios.cfg
log=$out/log/bioshvm.log
conlog=$out/log/bioshvm-console.log


if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi
lines0=$(dmesg | wc -l)

# 1. create returns once the firmware runs (no end line is waited for)
if part nodisk; then
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass create-returns; else fail create-returns "rc $rc: $err"; fi
	if grep -q 'firmware /usr/share/seabios/bios.bin: 128 KiB, mapped at 0xfffe0000-0xffffffff and its last 128 KiB at 0xe0000-0xfffff' "$log"; then
		pass firmware-mapped
	else
		fail firmware-mapped "$(head -5 "$log" | tr '\n' '|')"
	fi

	# 2. the console: SeaBIOS's banner, then no bootable device (generous:
	# the PS/2 probe alone waits seconds for a keyboard that is not there)
	if wait_text "$conlog" 'No bootable device' 180; then pass no-boot-device; else fail no-boot-device "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 300)"; fi
	if grep -qa 'SeaBIOS (version 1\.16' "$conlog" && grep -qa 'Booting from Hard Disk\.\.\.' "$conlog"; then
		pass console-banner
	else
		fail console-banner "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | head -c 300)"
	fi

	# 3. the debug port log: the platform SeaBIOS found
	for want in 'bios: SeaBIOS (version 1.16' 'bios: Running on QEMU (i440fx)' 'bios: Found QEMU fw_cfg' \
		    'bios: QEMU fw_cfg DMA interface supported' \
		    'bios: qemu/e820: addr 0x0000000000000000 len 0x0000000004000000 \[RAM\]' \
		    'bios: Found 3 PCI devices' 'bios: No apic - only the main cpu is present.' 'bios: sercon: using ioport 0x3f8' \
		    'bios: No bootable device'; do
		grep -q -- "$want" "$log" || { fail debug-log "missing '$want'; $(grep 'bios:' "$log" | tail -3 | tr '\n' '|')"; break; }
	done
	[ "$want" = 'bios: No bootable device' ] && grep -q -- "$want" "$log" && pass debug-log
	# the Xen platform device (00:03.0, xen_platform_pci's default 1): SeaBIOS sizes and places
	# both BARs, the memory one in the PCI hole above RAM (64 MiB) and below the IOAPIC
	bar() { grep -o "bios: PCI: map device bdf=00:03.0  bar $1, addr [0-9a-f]*, size $2 \\[$3\\]" "$log" | head -1 | sed 's/.*addr \([0-9a-f]*\),.*/\1/'; }
	io=$(bar 0 00000100 io) mem=$(bar 1 01000000 prefmem)
	if [ -n "$io" ] && [ -n "$mem" ] && [ $((0x$io)) -ge $((0x1000)) ] && [ $((0x$io)) -lt $((0x10000)) ] &&
	   [ $((0x$mem)) -ge $((0x4000000)) ] && [ $((0x$mem)) -lt $((0xfec00000)) ] &&
	   grep -q 'bios: PCI: init bdf=00:03.0 id=5853:0001' "$log"; then
		pass xen-platform-bars
	else
		fail xen-platform-bars "io '$io' mem '$mem'; $(grep 'bios: PCI:' "$log" | tr '\n' '|')"
	fi
	if grep -q 'shut down\|triple fault' "$log"; then fail still-running "$(grep 'shut down' "$log")"; else pass still-running; fi
	if $d list | grep -Eq '^bioshvm +[0-9]+ +64 +1 '; then pass listed; else fail listed "$($d list | tr '\n' '|')"; fi

	# save: refused for a firmware guest (the device model's state is not saved yet); it runs on
	err=$($d save bioshvm "$out/s.save" 2>&1 </dev/null); rc=$?
	if [ $rc = 1 ] && case $err in *"bioshvm boots firmware: save covers HVM guests with kernel= only so far"*) true ;; *) false ;; esac &&
	   $d list | grep -Eq '^bioshvm +[0-9]+ +64 +1 +-b----|^bioshvm +[0-9]+ +64 +1 +r-----'; then
		pass save-refused
	else
		fail save-refused "rc $rc: $err; $($d list | tr '\n' '|')"
	fi

	# domus shutdown of a firmware guest (no xenstore) presses the ACPI power
	# button; SeaBIOS has not enabled its event, so the guest runs on
	err=$($d shutdown bioshvm 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ] && wait_text "$log" 'pressed the ACPI power button (domus shutdown)' 10 &&
	   sleep 1 && $d list | grep -q '^bioshvm ' && ! grep -q 'shut down' "$log"; then
		pass shutdown-power-button
	else
		fail shutdown-power-button "rc $rc: $err; $(grep 'power button\|shut down' "$log" | tr '\n' '|')"
	fi

	# 4. destroy ends it
	if $d destroy bioshvm; then pass destroy; else fail destroy "rc $?"; fi
	gone destroyed
	stats_zero frees-all
fi

# 5. a firmware image that is not one: one line, exit 1
if part badimage; then
	err=$($d create $cfg 'bios_path_override="/etc/hostname"' 2>&1 </dev/null); rc=$?
	if [ $rc = 1 ] && [ "$err" = "domus create: firmware /etc/hostname is not a BIOS image (a file of 64 to 256 KiB, whole pages): use /usr/share/seabios/bios.bin" ]; then
		pass not-an-image
	else
		fail not-an-image "rc $rc: $err"
	fi
	gone not-an-image-gone
fi

# 6. boot = "c" from a raw disk on the IDE primary master: SeaBIOS reads
# its boot sector (tests/guests/mbr, built by the suite), which prints a
# marker through int 10h (sercon: COM1) and ends through the test-exit port;
# without the Xen platform device (xen_platform_pci = 0)
if part disk; then
	img=$(pwd)/build/guests/mbr/disk.img
	rm -f "$log" "$conlog"
	t0=$(date +%s)
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg "disk=['$img,hda,r']" 'boot="c"' xen_platform_pci=0 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass disk-create; else fail disk-create "rc $rc: $err"; fi
	if wait_text "$log" 'shut down: poweroff (test-exit device: value 16, exit code 33)' 180; then
		pass disk-boot-sector-ran
	else
		fail disk-boot-sector-ran "$(grep 'bios: \|shut down' "$log" | tail -4 | tr '\n' '|')"
	fi
	if grep -q "disk hda: $img (IDE primary master, read-only, 2048 512-byte blocks)" "$log" &&
	   grep -q 'bios: ata0-0: domus IDE disk ATA-6 Hard-Disk (1 MiBytes)' "$log" &&
	   grep -q 'bios: Booting from Hard Disk\.\.\.' "$log" && grep -q 'bios: Booting from 0000:7c00' "$log"; then
		pass disk-ide-log
	else
		fail disk-ide-log "$(grep 'disk hda\|ata0\|Booting' "$log" | tr '\n' '|')"
	fi
	if grep -q 'bios: Found 3 PCI devices' "$log" && grep -q 'bios: PCI: init bdf=00:01.1 id=8086:7010' "$log" &&
	   ! grep -q 'bdf=00:03.0' "$log"; then
		pass disk-no-platform-device
	else
		fail disk-no-platform-device "$(grep 'bios: Found\|bios: PCI: init' "$log" | tr '\n' '|')"
	fi
	if grep -qa 'domus-mbr: booted from the IDE' "$conlog"; then pass disk-marker-console; else fail disk-marker-console "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 200)"; fi
	gone disk-gone
	io_note "disk boot to the boot sector's exit" "$log" $(($(date +%s) - t0))
fi

# 7. ACPI (docs/devices.md "ACPI (HVM)"): the boot program of
# tests/guests/mbr/acpi.S finds the RSDP SeaBIOS placed in the F segment
# from our fw_cfg files, follows the RSDT to the FADT, reads the PM timer
# twice (it advances) and writes the DSDT's S5 SLP_TYP with SLP_EN to
# PM1a_CNT: the domain powers off
if part acpi; then
	img=$(pwd)/build/guests/mbr/acpi.img
	rm -f "$log" "$conlog"
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg "disk=['$img,hda,r']" 'boot="c"' 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass acpi-create; else fail acpi-create "rc $rc: $err"; fi
	if wait_text "$log" 'shut down: poweroff (ACPI power-off (S5))' 180; then
		pass acpi-s5-poweroff
	else
		fail acpi-s5-poweroff "$(grep 'bios: \|shut down' "$log" | tail -4 | tr '\n' '|'); $(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 300)"
	fi
	# the program's three lines: our RSDP (OEM ID DOMUS) in the BIOS area,
	# the FADT's blocks and the DSDT's SLP_TYP, two timer reads
	found=$(tr -d '\r' <"$conlog" | grep -ao 'domus-acpi: RSDP 0x[0-9a-f]* OEM DOMUS  FADT 0x[0-9a-f]*' | head -1)
	rsdp=$(echo "$found" | sed -n 's/.*RSDP 0x\([0-9a-f]*\) .*/\1/p')
	timer=$(tr -d '\r' <"$conlog" | grep -ao 'domus-acpi: timer 0x[0-9a-f]* -> 0x[0-9a-f]*' | head -1)
	t1=$(echo "$timer" | sed -n 's/.* timer 0x\([0-9a-f]*\) -> .*/\1/p')
	t2=$(echo "$timer" | sed -n 's/.* -> 0x\([0-9a-f]*\)$/\1/p')
	if [ -n "$rsdp" ] && [ $((16#$rsdp)) -ge $((0xe0000)) ] && [ $((16#$rsdp)) -lt $((0x100000)) ] &&
	   grep -aq 'domus-acpi: PM1a_CNT 0x0000b004 PM_TMR 0x0000b008 S5 0x00000005' "$conlog"; then
		pass acpi-rsdp-found
	else
		fail acpi-rsdp-found "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | grep -ao 'domus-acpi[^|]*' | head -3 | tr '\n' '|')"
	fi
	if [ -n "$t1" ] && [ -n "$t2" ] && [ $(((16#$t2 - 16#$t1) & 0xffffff)) -gt 0 ] && [ $(((16#$t2 - 16#$t1) & 0xffffff)) -lt $((0x800000)) ]; then
		pass acpi-pm-timer-advances
	else
		fail acpi-pm-timer-advances "'$timer'"
	fi
	# SeaBIOS's log: it saw etc/table-loader (QEMU's tables: it moves its PM
	# base to 0x600), copied no RSDP of its own and reported no loader error
	# (at its debug level it names neither the loaded RSDP nor the tables;
	# the program's OEM ID above says whose RSDP it is)
	if grep -q 'bios: Moving pm_base to 0x600' "$log" && ! grep -q 'bios: Copying ACPI RSDP' "$log" &&
	   ! grep -qi 'bios: .*\(internal error\|romfile_loader\|bad checksum\)' "$log"; then
		pass acpi-bios-log
	else
		fail acpi-bios-log "$(grep -i 'bios: .*\(acpi\|pm_base\|rsdp\|loader\|warning\)' "$log" | tr '\n' '|')"
	fi
	gone acpi-gone
fi

# 8. reset through the FADT's reset register (0xcf9 = 0x06): the program
# marks its flag sector, the domain reboots, SeaBIOS runs again (its banner
# twice on the console) and the second boot powers off through S5
if part reset; then
	cp build/guests/mbr/acpi-reset.img "$out/acpi-reset.img"
	rm -f "$log" "$conlog"
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg "disk=['$out/acpi-reset.img,hda,w']" 'boot="c"' 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass acpi-reset-create; else fail acpi-reset-create "rc $rc: $err"; fi
	if wait_text "$log" 'shut down: poweroff (ACPI power-off (S5))' 360; then
		pass acpi-reset-then-s5
	else
		fail acpi-reset-then-s5 "$(grep 'bios: SeaBIOS\|shut down' "$log" | tail -4 | tr '\n' '|')"
	fi
	if grep -q 'shut down: reboot (PCI reset control (0xcf9)); on_reboot = restart' "$log" &&
	   [ "$(grep -ac 'SeaBIOS (version 1\.16' "$conlog")" = 2 ] &&
	   [ "$(grep -ac 'domus-acpi: reset through the FADT' "$conlog")" = 1 ] &&
	   [ "$(grep -ac 'domus-acpi: S5 through PM1a_CNT' "$conlog")" = 1 ]; then
		pass acpi-reset-reboots
	else
		fail acpi-reset-reboots "$(grep 'shut down' "$log" | tr '\n' '|'); banners $(grep -ac 'SeaBIOS (version' "$conlog")"
	fi
	if [ "$(dd if="$out/acpi-reset.img" bs=1 skip=4096 count=1 status=none)" = D ]; then
		pass acpi-reset-flag-written
	else
		fail acpi-reset-flag-written "flag sector: $(dd if="$out/acpi-reset.img" bs=1 skip=4096 count=1 status=none | od -c | head -1)"
	fi
	gone acpi-reset-gone
fi

# 9. the UART's receiver (docs/devices.md "The serial port (HVM)"):
# tests/guests/mbr/uart.S waits for a byte polled (LSR.DR), then for one
# by IRQ 4; each is typed into `domus console` once the program says it
# is ready, and echoed back on the console
if part uart; then
	img=$(pwd)/build/guests/mbr/uart.img
	rm -f "$log" "$conlog"
	fifo=/run/domus-uart-test.fifo con=$out/uart-console.out	# the shared source tree takes no FIFO
	rm -f "$fifo"; mkfifo "$fifo"
	exec 3<>"$fifo"
	err=$(timeout $((60 * ${T_WAIT_SCALE:-1})) $d create $cfg "disk=['$img,hda,r']" 'boot="c"' 'serial="pty"' 2>&1 </dev/null); rc=$?
	if [ $rc = 0 ] && [ -z "$err" ]; then pass uart-create; else fail uart-create "rc $rc: $err"; fi
	$d console bioshvm <"$fifo" >"$con" 2>&1 &
	cpid=$!
	if wait_text "$conlog" 'domus-uart: polled ready' 180; then
		printf p >&3
		if wait_text "$conlog" 'domus-uart: polled got p' 60; then
			pass uart-rx-polled
		else
			fail uart-rx-polled "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 200)"
		fi
	else
		fail uart-rx-polled "no 'polled ready': $(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 200)"
	fi
	if wait_text "$conlog" 'domus-uart: irq ready' 60; then
		printf i >&3
		if wait_text "$log" 'shut down: poweroff (test-exit device: value 19, exit code 39)' 60 &&
		   grep -aq 'domus-uart: irq got i iir 4' "$conlog"; then
			pass uart-rx-irq
		else
			fail uart-rx-irq "$(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 200); $(grep 'shut down' "$log")"
		fi
	else
		fail uart-rx-irq "no 'irq ready': $(tr -d '\033' <"$conlog" | tr '\r\n' '||' | tail -c 200)"
	fi
	# what the console client showed is what the log has: the echoes
	if grep -aq 'domus-uart: irq got i' "$con"; then pass uart-console-client; else fail uart-console-client "$(tr '\r\n' '||' <"$con" | tail -c 200)"; fi
	exec 3>&-
	rm -f "$fifo"
	for i in $(seq 50); do kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
	kill $cpid 2>/dev/null
	wait $cpid 2>/dev/null
	gone uart-gone
fi

if rmmod domus; then pass rmmod; else fail rmmod "rmmod failed"; fi
new=$(dmesg | tail -n +$((lines0 + 1)) | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount' | head -3)
if [ -z "$new" ]; then pass host-log-clean; else fail host-log-clean "$(echo "$new" | tr '\n' '|')"; fi
exit $failed
