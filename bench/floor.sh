# SPDX-License-Identifier: GPL-2.0-only
# Sourced by bench/exits-inhost.sh and bench/exits-intel-inhost.sh: the
# "x floor" column of the exit table.  The goals (issue 11): an exit
# handled in the kernel costs at most 1.2 times the bare world switch of
# the floor loop, one that returns to userspace at most 1.5 times.

# floor_goal PHASE -> the goal multiple, empty for the floor row itself
floor_goal() {
	case $1 in
	floor) ;;
	out|mmio) echo 1.5 ;;
	*) echo 1.2 ;;
	esac
}

# floor_mult US FLOOR_US PHASE -> "1.13 (1.2 met)", or n/a
floor_mult() {
	if [ "$1" = n/a ] || [ "$2" = n/a ] || [ -z "$2" ]; then
		echo n/a
		return
	fi
	awk -v a="$1" -v b="$2" -v g="$(floor_goal "$3")" 'BEGIN {
		printf "%.2f", a / b
		if (g != "") printf " (%s %s)", g, a / b <= g ? "met" : "NOT met"
		print "" }'
}
