#!/bin/bash
# boards/check-boards.sh: the board tier (`make check-boards`, also run by CI).
#  1. installs what it needs with apt-get when missing (root);
#  2. builds pith natively and cross-builds it for armhf (make ARCH=armhf);
#  3. checks the mini Criterion runner natively (tests/unit/mini_criterion),
#     then runs the unit tests built for armhf against it under qemu-user
#     (boards/unit-qemu.sh: binfmt registered for the run and removed after);
#  4. boots the four emulated boards (armhf, armhf-on-arm64, amd64, arm64), each
#     running real containers with pith, and prints their verdicts (arm64 also
#     runs a self-contained .NET app and compares pith with crun);
#  5. runs the clients tier (podman, containerd, docker) with pith on pure cgroup v2,
#     inside the amd64 board (boards/clients-v2.sh; BOARD_CLIENTS=0 leaves it out);
#  6. power cuts during a pull (boards/powercut.sh, BOARD_POWERCUTS cuts, default 3).
# The amd64 boards run under KVM where a probe boot under it works, else TCG (BOARD_ACCEL).
# Exit 0 only when every step passed. Kernels and sysroots are cached under
# build/boards/. env: BOARDS (default "armhf armhf-on-arm64 amd64 arm64"), JOBS,
# NATIVE_BUILD (default build), ARMHF_BUILD (default build/armhf), ARM64_BUILD (build/arm64).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"
. "$here/lib/archive.sh"
t0=$EPOCHREALTIME
JOBS=${JOBS:-$(nproc)}
NATIVE_BUILD=${NATIVE_BUILD:-build}
ARMHF_BUILD=${ARMHF_BUILD:-build/armhf}
ARM64_BUILD=${ARM64_BUILD:-build/arm64}
failures=0
summary=()

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
note() { summary+=("$*"); echo "$*"; }

pith_need_pkgs build-essential pkg-config cpio busybox-static mmdebstrap \
	gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu qemu-user-static qemu-system-arm qemu-system-x86 \
	docker-registry ||
	{ echo "check-boards: cannot install the tools it needs" >&2; exit 1; }
[ -x tests/deps.sh ] && tests/deps.sh

# ---- builds -------------------------------------------------------------------
mkdir -p build/boards
s=$EPOCHREALTIME
if make -s -j"$JOBS" BUILD="$NATIVE_BUILD" all fixtures >build/boards/build-native.log 2>&1; then
	note "build native: ok in $(elapsed "$s") s"
else
	note "build native: FAIL (see build/boards/build-native.log)"; failures=$((failures + 1))
fi
s=$EPOCHREALTIME
if make -s -j"$JOBS" ARCH=armhf BUILD="$ARMHF_BUILD" all >build/boards/build-armhf.log 2>&1; then
	note "build armhf: ok in $(elapsed "$s") s ($(file -b "$ARMHF_BUILD/pith" | cut -d, -f1-2))"
else
	tail -n 20 build/boards/build-armhf.log
	note "build armhf: FAIL (see build/boards/build-armhf.log)"; failures=$((failures + 1))
fi

s=$EPOCHREALTIME
if make -s -j"$JOBS" ARCH=arm64 BUILD="$ARM64_BUILD" all >build/boards/build-arm64.log 2>&1; then
	note "build arm64: ok in $(elapsed "$s") s"
else
	tail -n 20 build/boards/build-arm64.log
	note "build arm64: FAIL (see build/boards/build-arm64.log)"; failures=$((failures + 1))
fi

# ---- armhf unit tests under qemu-user -------------------------------------------
# Debian has no armhf libcriterion: the tests build against mini_criterion,
# whose own behaviour is checked here first, natively.
v=$(tests/unit/mini_criterion/selftest.sh native)
note "$v"
case $v in *": ok"*) ;; *) failures=$((failures + 1));; esac
if [ -f "$ARMHF_BUILD/libpith.a" ]; then
	out=$("$here/unit-qemu.sh" "$ARMHF_BUILD")
	rc=$?
	echo "$out"
	while IFS= read -r line; do
		case $line in "  "*) ;; *) summary+=("$line");; esac
	done <<<"$out"
	[ $rc -eq 0 ] || failures=$((failures + 1))
else
	note "unit tests armhf (qemu-user): FAIL (no $ARMHF_BUILD/libpith.a: the armhf build failed)"
	failures=$((failures + 1))
fi

# ---- the emulated boards -----------------------------------------------------------
# KVM or TCG for the amd64 boards, probed once (board.sh's accel) and passed to each
BOARD_ACCEL=${BOARD_ACCEL:-$(BOARD_DEFS_ONLY=1 bash -c '. "$0" amd64 "$1" && kernel && accel && echo "$BOARD_ACCEL"' \
	"$here/board.sh" "$NATIVE_BUILD" 2>build/boards/accel.stderr)}
export BOARD_ACCEL=${BOARD_ACCEL:-tcg}
note "amd64 boards: $BOARD_ACCEL$(grep -m1 '^boards: /dev/kvm' build/boards/accel.stderr | sed 's/^boards: / (/; s/$/)/')"
for b in ${BOARDS:-armhf armhf-on-arm64 amd64 arm64}; do
	case $b in amd64) dir=$NATIVE_BUILD;; arm64) dir=$ARM64_BUILD;; *) dir=$ARMHF_BUILD;; esac
	v=$("$here/board.sh" "$b" "$dir" 2>build/boards/$b.stderr)
	rc=$?
	[ -n "$v" ] || v="board $b: FAIL (no verdict, rc $rc)"
	note "$v"
	[ $rc -eq 0 ] || { failures=$((failures + 1)); sed 's/^/  /' "build/boards/$b.stderr"; }
	grep '^# TTFL |' "build/boards/$b.log" 2>/dev/null | sed "s/^# TTFL /  $b time to first line: /"
	if grep -q '^skip - ' "build/boards/$b.log" 2>/dev/null; then
		grep '^skip - ' "build/boards/$b.log" | sed "s/^skip - /  $b skipped: /"
	fi
done

# ---- the clients tier on pure cgroup v2: podman, containerd and docker in the amd64 board ----
if [ "${BOARD_CLIENTS:-1}" != 0 ]; then
	v=$("$here/clients-v2.sh" "$NATIVE_BUILD" 2>build/boards/clients-v2.stderr)
	rc=$?
	[ -n "$v" ] || v="clients-v2: FAIL (no verdict, rc $rc)"
	note "$v"
	[ $rc -eq 0 ] || { failures=$((failures + 1)); sed 's/^/  /' build/boards/clients-v2.stderr; }
	grep '^SKIP ' build/boards/clients-v2.log 2>/dev/null | sed 's/^SKIP /  clients-v2 skipped: /' || true
fi

# ---- power cuts during a pull (issue 15): a few in the tier, more by hand (boards/powercut.sh N)
if [ "${BOARD_POWERCUTS:-3}" != 0 ]; then
	v=$(POWERCUT_OP=pull BUILD_DIR=$ARM64_BUILD "$here/powercut.sh" "${BOARD_POWERCUTS:-3}" 2>build/boards/powercut.stderr)
	rc=$?
	[ -n "$v" ] || v="powercut: FAIL (no verdict, rc $rc)"
	note "$v"
	[ $rc -eq 0 ] || { failures=$((failures + 1)); tail -20 build/boards/powercut.stderr | sed 's/^/  /'; }
fi

echo
echo "== board tier summary"
printf '%s\n' "${summary[@]}"
echo "board tier: $([ $failures -eq 0 ] && echo PASS || echo "FAIL ($failures)") in $(elapsed "$t0") s"
[ $failures -eq 0 ]
