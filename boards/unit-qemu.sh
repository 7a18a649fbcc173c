#!/bin/bash
# boards/unit-qemu.sh [BUILD_DIR]: pith's unit tests on armhf under qemu-user.
# Debian has no armhf libcriterion, so the tests are built against
# tests/unit/mini_criterion (the Criterion subset they use, with its own
# runner) and linked with BUILD_DIR/libpith.a (default build/armhf, made by
# `make ARCH=armhf`) and the sysroot's libraries. qemu-arm is registered with
# binfmt_misc for the run (root; removed on every exit, failure included).
# Tests that need what qemu-user cannot emulate (seccomp(), a vfork that
# shares memory, TIOCGSID) skip themselves with the reason; the real ARM
# kernels of the emulated boards cover those.
# Prints, on stdout:
#   mini_criterion selftest (armhf): ok|FAIL ...
#   unit tests armhf (qemu-user): PASS|FAIL (Tested: N | Passing: P | Failing: F | Crashing: C; S skipped) in T s
#   followed by one "  skipped N: REASON" line per skip reason.
# Exit 0 when both passed. Log: build/boards/unit-armhf.log. env: JOBS.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"
B=${1:-build/armhf}
JOBS=${JOBS:-$(nproc)}
SYSROOT=$top/build/boards/sysroot-armhf
LOG=$top/build/boards/unit-armhf.log
MINI=tests/unit/mini_criterion
t0=$EPOCHREALTIME
mkdir -p build/boards
: >"$LOG"
elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
fail() { echo "unit tests armhf (qemu-user): FAIL ($*) in $(elapsed) s"; exit 1; }

# Every unit test file and the helpers they share (lib_*.c). None is excluded today: each either runs under
# qemu-user or skips the tests that cannot, saying why. An exclusion goes
# here, with the reason in a comment.
UNIT_EXCLUDE=""
srcs=()
for f in tests/unit/test_*.c tests/unit/lib_*.c; do
	case " $UNIT_EXCLUDE " in *" $f "*) continue;; esac
	srcs+=("$f")
done

# The Makefile's own rule and flags, with the mini header first on the include
# path and its runner in place of libcriterion.
make -s -j"$JOBS" ARCH=armhf BUILD="$B" UNIT_SRC="${srcs[*]} $MINI/runner.c" \
	EXTRA_CFLAGS="-I$top/$MINI" CRITERION_LIBS= "$B/tests/unit-tests" >>"$LOG" 2>&1 ||
	{ tail -n 20 "$LOG" >&2; fail "build, see $LOG"; }

# qemu's -L prefix: only the sysroot's libraries. The whole sysroot would
# shadow the host's /dev (its dev/ptmx is not next to a devpts: ENODEV) and
# /tmp, /etc for every path the tests open.
PREFIX=$top/build/boards/qemu-prefix-armhf
mkdir -p "$PREFIX/usr"
ln -sfn ../sysroot-armhf/lib "$PREFIX/lib"
ln -sfn ../../sysroot-armhf/usr/lib "$PREFIX/usr/lib"
export QEMU_LD_PREFIX=$PREFIX

trap '"$here/binfmt.sh" off' EXIT
"$here/binfmt.sh" on >>"$LOG" 2>&1 || fail "binfmt registration, see $LOG"

# The runner first: it is what reports every verdict below.
CC="arm-linux-gnueabihf-gcc --sysroot=$SYSROOT" "$MINI/selftest.sh" armhf
selftest=$?

# Tests run as ARM binaries through binfmt (as they would be exec'd).
timeout -k 5 600 "$B/tests/unit-tests" --timeout 60 >>"$LOG" 2>&1
rc=$?
synth=$(grep -o 'Tested: .*' "$LOG" | tail -n 1)
skipped=$(grep -c '^\[SKIP\]' "$LOG")
[ -n "$synth" ] || fail "no synthesis line (rc $rc), see $LOG"
if [ $rc -eq 0 ] && [ $selftest -eq 0 ]; then
	echo "unit tests armhf (qemu-user): PASS ($synth; $skipped skipped) in $(elapsed) s"
else
	grep -E '^\[(FAIL|----)\]' "$LOG" | head -n 40 >&2
	echo "unit tests armhf (qemu-user): FAIL ($synth; $skipped skipped; rc $rc) in $(elapsed) s"
fi
sed -n 's/^\[SKIP\] [^:]*::[^:]*: //p' "$LOG" | sort | uniq -c | sed 's/^ *\([0-9]*\) /  skipped \1: /'
[ $rc -eq 0 ] && [ $selftest -eq 0 ]
