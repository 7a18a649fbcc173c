#!/bin/bash
# tests/unit/mini_criterion/selftest.sh [NAME]: build selftest.c against the
# mini runner and check what it reports: one pass, an assert failure (the
# test ends there, its .fini still runs), expects that go on, a crash, an
# exit, a skip, a disabled test and a timeout, with Criterion's counts and a
# non-zero exit. Where the real Criterion is installed (and CC is native) the
# same file is built against it too and must give the same synthesis line.
# Prints one line: "mini_criterion selftest (NAME): ok|FAIL ...". Exit 0 on ok.
# env: CC (default gcc; e.g. "arm-linux-gnueabihf-gcc --sysroot=DIR"),
#      OUT (build dir, default build/boards/mini-selftest-NAME)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
NAME=${1:-native}
CC=${CC:-gcc}
OUT=${OUT:-$top/build/boards/mini-selftest-$NAME}
FLAGS=(-std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64)
mkdir -p "$OUT"
problems=()

verdict() {
	if [ ${#problems[@]} -eq 0 ]; then
		echo "mini_criterion selftest ($NAME): ok ($1)"; exit 0
	fi
	echo "mini_criterion selftest ($NAME): FAIL: $(printf '%s; ' "${problems[@]}")(output: $OUT/mini.out)"
	exit 1
}

# shellcheck disable=SC2086 # CC may carry --sysroot
if ! $CC "${FLAGS[@]}" -I"$here" -o "$OUT/selftest" "$here/selftest.c" "$here/runner.c" 2>"$OUT/build.log"; then
	problems+=("does not build (see $OUT/build.log)")
	verdict ""
fi
"$OUT/selftest" >"$OUT/mini.out" 2>&1
rc=$?

expect() { # PATTERN WHY: a line matching PATTERN must be in the output
	grep -qE -- "$1" "$OUT/mini.out" || problems+=("$2")
}
synth='Synthesis: Tested: 6 \| Passing: 1 \| Failing: 5 \| Crashing: 1$'
[ $rc -ne 0 ] || problems+=("exit status 0 despite failures")
expect "$synth" "synthesis is not Tested 6, Passing 1, Failing 5, Crashing 1"
expect '^\[====\] Skipped: 2$' "not 2 skipped"
expect '^\[FAIL\] self::crashes: CRASH!' "crash not reported"
expect '^\[FAIL\] self::exits: exited with status 3' "exit(3) not reported"
expect '^\[FAIL\] slow::times_out: Timed out' "timeout not reported"
expect '^\[SKIP\] self::skipped: no kernel feature here$' "skip reason lost"
expect '^\[SKIP\] self::disabled: Test is disabled$' "disabled test not skipped"
expect 'selftest.c:[0-9]+: Assertion Failed' "no failure location"
expect 'actual=`1` expected=`2`' "operand values not shown"
expect '^\[----\]   second expect$' "a failed cr_expect stopped the test"
expect '^selftest: fini ran$' ".fini did not run after a failed assert"
grep -q 'reached after' "$OUT/mini.out" && problems+=("a test went on after a failed assert or a skip")
grep -q 'self::passes' "$OUT/mini.out" && problems+=("the passing test did not pass")

# The reference: the same file against libcriterion, when it can run here.
ref=""
if [ "$CC" = gcc ] && pkg-config --exists criterion 2>/dev/null; then
	if gcc "${FLAGS[@]}" -o "$OUT/selftest-criterion" "$here/selftest.c" \
		$(pkg-config --cflags --libs criterion) 2>>"$OUT/build.log"; then
		"$OUT/selftest-criterion" >"$OUT/criterion.out" 2>&1
		if grep -qE -- "${synth%\$}" "$OUT/criterion.out"; then
			ref=", same counts as Criterion $(pkg-config --modversion criterion)"
		else
			problems+=("Criterion counts differ: $(grep -o 'Tested:.*' "$OUT/criterion.out")")
		fi
	else
		problems+=("does not build against libcriterion (see $OUT/build.log)")
	fi
fi
verdict "$(grep -o 'Tested:.*' "$OUT/mini.out")$ref"
