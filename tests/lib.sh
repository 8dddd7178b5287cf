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
