# shellcheck shell=sh
# Memory accounting for the leak checks of the AMD-V test host scripts
# (sourced by amd-core.sh and amd-pvstress.sh; docs/testing.md).
#
# What the module and its processes hold is measured directly, not guessed
# from MemFree: every allocation domus makes for a domain is charged to the
# memory cgroup of the process that asked for it (GFP_KERNEL_ACCOUNT), as
# are the processes' own pages.  So the processes under test run in a cgroup
# of their own (mc_exec), and what stays charged to it after they exit and
# the caches are dropped (mc_residue) is what they left behind.  Charges are
# cached per CPU (the obj_stock: under a page per CPU), a bounded error that
# does not grow with the number of cycles; a leak does.
#
# The whole host is measured as well (mc_hostfree): MemFree plus the pages
# on the per-CPU free lists (/proc/zoneinfo "count:"), which drop_caches
# does not drain and which hold up to ~54 MiB on a 1 GiB test host: that
# was the noise of the old MemFree check.

MC_ROOT=/sys/fs/cgroup

# mc_init: cgroup v2 with the memory controller (the test host mounts none)
mc_init() {
	grep -q "^cgroup2 $MC_ROOT " /proc/mounts ||
		mount -t cgroup2 none "$MC_ROOT" || return 1
	echo +memory >"$MC_ROOT/cgroup.subtree_control"
}

# mc_create NAME: a fresh cgroup
mc_create() {
	[ -d "$MC_ROOT/$1" ] && rmdir "$MC_ROOT/$1"
	mkdir "$MC_ROOT/$1"
}

# mc_exec NAME CMD [ARGS...]: run CMD in cgroup NAME (its children too)
mc_exec() {
	_mc=$1
	shift
	sh -c 'echo $$ >"$0" && exec "$@"' "$MC_ROOT/$_mc/cgroup.procs" "$@"
}

# mc_settle: drop the page cache and reclaimable slab, then give the
# cgroup statistics their periodic flush (every 2 s)
mc_settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 2.2
}

# mc_residue NAME: what cgroup NAME holds, in KiB:
# "anon=.. file=.. shmem=.. kernel=.. kernel_stack=.. pagetables=.. percpu=.. vmalloc=.. sock=.."
# (kernel is all kernel memory: slab, stacks, page tables, the module's pages)
mc_residue() {
	awk '$1 ~ /^(anon|file|shmem|kernel|kernel_stack|pagetables|percpu|vmalloc|sock)$/ {
		printf "%s=%d ", $1, $2 / 1024 }' "$MC_ROOT/$1/memory.stat"
}

# mc_field "RESIDUE" KEY
mc_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# mc_hostfree: free pages of the whole host in KiB, per-CPU lists included
mc_hostfree() {
	awk '/^MemFree:/ { f = $2 } END { print f }' /proc/meminfo |
	{
		read -r f
		p=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
		echo $((f + p * 4))
	}
}

# mc_slope SAMPLES...: least-squares slope of the samples (KiB per sample)
mc_slope() {
	echo "$@" | awk '{ n = NF; for (i = 1; i <= n; i++) { sx += i; sy += $i; sxx += i * i; sxy += i * $i }
		d = n * sxx - sx * sx; printf "%.1f", d ? (n * sxy - sx * sy) / d : 0 }'
}
