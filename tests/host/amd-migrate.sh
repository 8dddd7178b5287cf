#!/bin/bash
# Live migration of an HVM domain to localhost inside the AMD-V test host
# (run by tests/suites/78-migrate-amd through scripts/testhost): the
# Multiboot test kernel counts and rewrites 8 MiB of its RAM between two
# counts ("dirty"), checking the sum of the previous pass.  A bad stream
# to migrate-receive is refused with one line; a receiver killed midway
# leaves the guest running here; a migration through tests/host/local-ssh
# completes, the guest counts on exactly once under its name, its memory
# sums check out, the stream passes xsr-check.  One PASS/FAIL line each.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
failed=0
pass() { echo "PASS: migrate-amd/$1"; }
fail() { echo "FAIL: migrate-amd/$1: $2"; failed=1; }

out=$(pwd)/build/migrate
export DOMUS_RUN_DIR=/run/domus DOMUS_LOG_DIR=$out/log
export PATH=$(pwd)/build:$PATH		# `domus migrate-receive` on "the other host"
rm -rf "$out"
mkdir -p "$out/log"
d=build/domus
cfg=tests/host/hvm-mb.cfg
conlog=$out/log/mbhvm-console.log
N=100000
REGION_DWORDS=2097152
count_wait=600		# wait_count (tests/lib.sh): the guest counts slowly under migration

domid() { $d list | awk '$1 == "mbhvm" { print $2 }'; }
running() { $d list | grep -Eq '^mbhvm +[0-9]+ ' && ! $d list | grep -Eq '^mbhvm .*--p---'; }

if insmod ./domus.ko; then pass insmod; else fail insmod "insmod failed"; exit 1; fi

# 1. the guest counts and dirties its memory
err=$(timeout 60 $d create -e $cfg "extra=\"mbtest mem=32 count=$N dirty\"" 2>&1 </dev/null); rc=$?
if [ $rc = 0 ] && wait_count 3 && grep -q '^mbtest: memsum ' "$conlog"; then
	pass dirty-guest-runs
else
	fail dirty-guest-runs "rc $rc: $err; $(tail -3 "$conlog" 2>/dev/null | tr '\n' '|')"
fi

# 2. a bad stream: one line, nothing created
e=$(head -c 4096 /dev/zero | $d migrate-receive 2>&1 >/dev/null); rc=$?
if [ $rc = 1 ] && [ "$(echo "$e" | wc -l)" = 1 ] &&
   [ "$e" = "domus migrate-receive: not an xl migration stream (no xl header); nothing created" ] &&
   [ "$($d list | wc -l)" = 3 ] && [ -z "$(ls -A $DOMUS_RUN_DIR | grep migrate-incoming)" ]; then
	pass bad-stream-refused
else
	fail bad-stream-refused "rc $rc: $(echo "$e" | tr '\n' '|'); $($d list | tr '\n' '|')"
fi

# 3. the receiver dies midway: the guest runs on here, under its name
id0=$(domid)
e=$($d migrate -s tests/host/die-ssh mbhvm localhost 2>&1 </dev/null); rc=$?
k=$(last_count "$conlog")
if [ $rc = 1 ] && [[ "$e" == "domus migrate: mbhvm: "*"; it runs on here" ]] && running && [ "$(domid)" = "$id0" ] &&
   wait_count $((k + 2)); then
	pass receiver-killed-runs-on
else
	fail receiver-killed-runs-on "rc $rc: $(echo "$e" | tr '\n' '|'); count $k; $($d list | tr '\n' '|')"
fi

# 4. the migration: completes, the guest counts on under its name, once
k0=$(last_count "$conlog")
res=$(MIGRATE_TEE=$out/stream $d migrate -s tests/host/local-ssh --live mbhvm localhost 2>"$out/migrate.err" </dev/null); rc=$?
echo "info: migrate-amd: $res"
if [ $rc = 0 ] && [[ "$res" == "domus migrate: mbhvm to localhost: "*"downtime "*" ms" ]]; then
	pass migrate
else
	fail migrate "rc $rc: $res; $(tr '\n' '|' <"$out/migrate.err")"
fi
sleep 1
if running && [ "$(domid)" != "$id0" ] && [ "$($d list | wc -l)" = 3 ] && ! $d list | grep -q -- '--incoming\|--migratedaway'; then
	pass one-domain-named-mbhvm
else
	fail one-domain-named-mbhvm "$($d list | tr '\n' '|')"
fi
# the guest counts on past its last count before the move (the console log
# is renamed and written anew meanwhile: read the highest count, not the last
# line, and wait for one above k0)
k=
for i in $(seq 120); do
	k=$(grep -ao '^mbtest: count [0-9]*' "$conlog" 2>/dev/null | awk '{ print $3 }' | sort -n | tail -1)
	[ -n "$k" ] && [ -n "$k0" ] && [ "$k" -gt "$k0" ] && break
	sleep 1
done
if [ -n "$k" ] && [ -n "$k0" ] && [ "$k" -gt "$k0" ] && wait_count $((k + 3)); then pass counts-on; else fail counts-on "count $k; $(tail -3 "$conlog" | tr '\n' '|')"; fi
# exactly once: the sender's console, then the receiver's, count 1, 2, 3, ...
# (a snapshot without its last line: the guest is still writing it)
old=$out/log/mbhvm--migratedaway-console.log
snap=$out/console.snap
head -n -1 "$conlog" >"$snap"
seq=$(cat "$old" "$snap" | grep -o '^mbtest: count [0-9]*$' | awk '{print $3}')
bad=$(echo "$seq" | awk 'NR != $1 { print NR ": " $1; exit }')
if [ -f "$old" ] && [ -z "$bad" ] && [ "$(echo "$seq" | tail -1)" -gt "$k0" ]; then
	pass counted-exactly-once
else
	fail counted-exactly-once "line $bad; $(ls $out/log | tr '\n' ' ')"
fi
# the memory sums the guest printed after the move are those it wrote
sums=$(awk '/^mbtest: count [0-9]+$/ { k = $3 } /^mbtest: memsum / { printf "%s %s\n", k, $3 }' "$snap")
badsum=$(echo "$sums" | awk -v n=$REGION_DWORDS 'NF == 2 { want = sprintf("%.0f", (n * ($1 - 1) + 4293918720) % 4294967296); if ($2 != want) { print; exit } }')
if [ -n "$sums" ] && [ -z "$badsum" ] && ! grep -q 'FAIL' "$conlog"; then
	pass memory-checksum
else
	fail memory-checksum "$badsum; $(grep FAIL "$conlog")"
fi
# the stream (what the receiver read, less the 44 handshake bytes after it)
if [ -s "$out/stream" ]; then
	size=$(stat -c %s "$out/stream")
	head -c $((size - 44)) "$out/stream" >"$out/stream.sav"
	if build/host/xsr-check "$out/stream.sav" >"$out/xsr" 2>&1 && grep -q 'valid: libxc v3' "$out/xsr"; then
		pass stream-xsr-check
		echo "info: migrate-amd: stream $size bytes: $(cat "$out/xsr")"
	else
		fail stream-xsr-check "$(cat "$out/xsr")"
	fi
else
	fail stream-xsr-check "no copy of the stream"
fi
if grep -q 'migrate: [0-9]* round(s)' "$out/log/mbhvm--migratedaway.log" 2>/dev/null; then
	pass rounds-logged
	echo "info: migrate-amd: $(grep -o 'migrate: [0-9]* round(s).*' "$out/log/mbhvm--migratedaway.log")"
else
	fail rounds-logged "$(ls "$out/log" | tr '\n' ' ')"
fi

$d destroy mbhvm >/dev/null 2>&1
rmmod domus || fail rmmod "rmmod failed"
[ $failed = 0 ]
