#!/bin/bash
# boards/board.sh NAME [BUILD_DIR]: boot one emulated board under qemu (TCG; the amd64 board
# under KVM where KVM works, see accel) with Debian's kernel and a small initramfs holding
# busybox, pith, pith-shim, pith-init, a static probe and boards/tests/board-tests.sh as /init.
# Prints exactly one verdict line on stdout:
#   board NAME: PASS|FAIL (N passed, M failed) in S s
# The serial log is kept in build/boards/NAME.log. Exit 0 on PASS.
#
# Boards:
#   armhf           Pi 2/3 class: qemu-system-arm -M virt, Cortex-A15, Debian armmp kernel
#   armhf-on-arm64  Pi 4 with a 32-bit OS: armhf userland on Debian's arm64 kernel
#   amd64           an x86-64 box with pure cgroup v2
#   arm64           Pi 4/5 with the 64-bit OS: arm64 userland and kernel, pure cgroup v2,
#                   plus a self-contained .NET app and crun (boards/extra-arm64.sh)
#   arm64-16k       the same on Debian trixie's 16 KiB-page kernel and a Cortex-A76 (Pi 5); a few cases
# BUILD_DIR defaults to build/ARCH for the ARM userlands and build for amd64.
# env: BOARD_TIMEOUT (s, default 300), BOARD_CPUS (2), BOARD_MEM (MB, 768), BOARD_ACCEL (kvm|tcg),
#      BOARD_TESTS (space-separated test names to run, default all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/archive.sh"

NAME=${1:?usage: boards/board.sh armhf|armhf-on-arm64|amd64|arm64|arm64-16k [BUILD_DIR]}
CACHE=$top/build/boards
mkdir -p "$CACHE"
case $NAME in
armhf)	UARCH=armhf KARCH=armhf KPKG=linux-image-armmp CONSOLE=ttyAMA0
	QEMU=(qemu-system-arm -M virt -cpu cortex-a15);;
armhf-on-arm64)
	UARCH=armhf KARCH=arm64 KPKG=linux-image-arm64 CONSOLE=ttyAMA0
	QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a72);;
amd64)	UARCH=amd64 KARCH=amd64 KPKG=linux-image-amd64 CONSOLE=ttyS0
	QEMU=(qemu-system-x86_64 -M q35 -cpu max);;
arm64)	UARCH=arm64 KARCH=arm64 KPKG=linux-image-arm64 CONSOLE=ttyAMA0
	QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a72);;
arm64-16k)	# bookworm has no 16 KiB-page flavour; cortex-a72 has no 16K granule, the Pi 5's A76 has
	UARCH=arm64 KARCH=arm64 KPKG=linux-image-arm64-16k KSUITE=trixie KFLAVOUR=-16k CONSOLE=ttyAMA0
	QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a76)
	BOARD_TESTS=${BOARD_TESTS:-kernel_cgroup2 arch run_exit_code memory_oom dotnet_limits dotnet_jit};;
*)	echo "boards/board.sh: unknown board '$NAME' (armhf, armhf-on-arm64, amd64, arm64, arm64-16k)" >&2; exit 2;;
esac
case $UARCH in
armhf)	SYSROOT=$CACHE/sysroot-armhf TRIPLET=arm-linux-gnueabihf
	CC=(arm-linux-gnueabihf-gcc --sysroot="$SYSROOT") DEFAULT_BUILD=$top/build/armhf
	LDSO=lib/ld-linux-armhf.so.3 BUSYBOX=$SYSROOT/bin/busybox;;
arm64)	SYSROOT=$CACHE/sysroot-arm64 TRIPLET=aarch64-linux-gnu
	CC=(aarch64-linux-gnu-gcc --sysroot="$SYSROOT") DEFAULT_BUILD=$top/build/arm64
	LDSO=lib/ld-linux-aarch64.so.1 BUSYBOX=$SYSROOT/bin/busybox;;
amd64)	SYSROOT= TRIPLET=x86_64-linux-gnu CC=(gcc) DEFAULT_BUILD=$top/build
	LDSO=lib64/ld-linux-x86-64.so.2 BUSYBOX=/bin/busybox;;
esac
# A userland's own payload: board_extra adds it to the initramfs ($R).
[ -f "$here/extra-$UARCH.sh" ] && . "$here/extra-$UARCH.sh"
BUILD_DIR=$(realpath -m "${2:-$DEFAULT_BUILD}")
LOG=$CACHE/$NAME.log
start=$EPOCHREALTIME

verdict() { # passed failed
	local secs
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	if [ "$2" = 0 ] && [ "$1" -gt 0 ]; then
		echo "board $NAME: PASS ($1 passed, $2 failed) in $secs s"; exit 0
	fi
	echo "board $NAME: FAIL ($1 passed, $2 failed) in $secs s"; exit 1
}
die() { echo "board $NAME: $*" >&2; verdict 0 1; }

# ---- kernel: Debian's, fetched once into build/boards/kernel-KARCH ------------
kernel() {
	local kd=$CACHE/kernel-$KARCH${KFLAVOUR:-} pkg deb x
	if ! ls "$kd"/vmlinuz-* >/dev/null 2>&1; then
		pith_private_apt "$KARCH" "$kd/apt" "${KSUITE:-}" || return 1
		pkg=$(apt-cache "${PITH_APT[@]}" depends "$KPKG" 2>/dev/null |
			awk '/Depends: linux-image-/ { print $2; exit }')
		[ -n "$pkg" ] || { echo "cannot resolve $KPKG in the $KARCH index" >&2; return 1; }
		(cd "$kd" && timeout 300 apt-get -q "${PITH_APT[@]}" download "$pkg" >"$kd/download.log" 2>&1) ||
			{ echo "apt-get download $pkg failed (see $kd/download.log)" >&2; return 1; }
		deb=$(ls "$kd"/"$pkg"_*.deb | head -1)
		x=$kd/x.tmp
		rm -rf "$x"
		dpkg-deb -x "$deb" "$x"
		# Keep the kernel and overlay.ko only (the rest is ~250 MB nobody boots).
		find "$x" -name overlay.ko -exec cp {} "$kd/" \;
		find "$x" -name overlay.ko.xz -exec sh -c 'xz -dc "$1" > "$2/overlay.ko"' sh {} "$kd" \;
		mv "$x"/boot/vmlinuz-* "$kd/"
		rm -rf "$x" "$deb"
	fi
	VMLINUZ=$(ls "$kd"/vmlinuz-* | head -1)
	OVERLAY_KO=$kd/overlay.ko
}

# ---- the static probe the tests use for what busybox cannot do ----------------
probe() {
	mkdir -p "$CACHE/probe-$UARCH"
	PROBE=$CACHE/probe-$UARCH/probe
	if [ ! -x "$PROBE" ] || [ "$here/tests/probe.c" -nt "$PROBE" ]; then
		"${CC[@]}" -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
			-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -o "$PROBE" "$here/tests/probe.c"
	fi
}

# ---- initramfs ----------------------------------------------------------------
# Copy FILE's DT_NEEDED closure from the userland's library dirs into ROOT (default $R).
libs_of() {
	local f=$1 root=${2:-$R} lib d src
	for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$root/lib/$TRIPLET/$lib" ] && continue
		src=
		for d in lib/$TRIPLET usr/lib/$TRIPLET usr/local/lib; do
			[ -e "$SYSROOT/$d/$lib" ] && { src=$SYSROOT/$d/$lib; break; }
		done
		[ -n "$src" ] || { echo "warning: $lib (needed by $f) not found" >&2; continue; }
		cp -L "$src" "$root/lib/$TRIPLET/$lib"
		libs_of "$src" "$root"
	done
}

# The containers' rootfs: busybox and the probe, nothing else.
rootfs() {
	local rf=$R/opt/rootfs a
	mkdir -p "$rf"/{bin,sbin,etc,proc,sys,dev,tmp,root,run}
	cp "$BUSYBOX" "$rf/bin/busybox"
	# the host busybox-static is the same Debian version: same applets
	for a in $(busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$rf/bin/$a"
	done
	cp "$PROBE" "$rf/bin/probe"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rf/etc/passwd"
	printf 'root:x:0:\n' > "$rf/etc/group"
}

initramfs() {
	R=$CACHE/initrd-$NAME
	rm -rf "$R"
	mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,lib/$TRIPLET,opt/pith,opt/tests} "$R/$(dirname "$LDSO")"
	mkdir -p "$R/usr"
	ln -s ../bin "$R/usr/bin"; ln -s ../sbin "$R/usr/sbin"; ln -s ../lib "$R/usr/lib"
	cp "$BUSYBOX" "$R/bin/busybox"
	[ -f "$OVERLAY_KO" ] && cp "$OVERLAY_KO" "$R/lib/overlay.ko"
	local b
	for b in pith pith-shim pith-init; do
		[ -x "$BUILD_DIR/$b" ] || continue
		cp "$BUILD_DIR/$b" "$R/opt/pith/$b"
		libs_of "$BUILD_DIR/$b"
	done
	cp -L "${SYSROOT:-}/$LDSO" "$R/$LDSO"
	cp "$PROBE" "$R/opt/tests/probe"
	cp "$top/config/seccomp_default.json" "$R/opt/tests/seccomp_default.json"
	mkdir -p "$R/opt/boards"
	cp "$here"/profiles/*.conf "$R/opt/boards/"
	rootfs
	cp "$here/tests/board-tests.sh" "$R/init"
	cp "$here/tests/cases.sh" "$R/opt/tests/cases.sh"
	chmod 755 "$R/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$R/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
	if declare -F board_extra >/dev/null; then board_extra || return 1; fi
	plan_cases || return 1
	printf 'BOARD=%s\nBOARD_TESTS="%s"\nCASE_TIMEOUT=%s\n' "$NAME" "$PLAN" "${CASE_TIMEOUT:-45}" > "$R/etc/board.conf"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$R.cpio.gz"
}

# ---- the cases the guest is given, and what it printed for them ----------------
# The list is fixed here (BOARD_TESTS, or cases.sh's CASES read against this initramfs), so a
# guest that boots but runs fewer cases, or none, fails the board instead of passing it.
plan_cases() {
	PLAN=${BOARD_TESTS:-$(BOARD=$NAME BOARD_ROOT=$R sh -c '. "$1" && echo $CASES' sh "$here/tests/cases.sh")}
	PLAN=$(echo $PLAN)
	[ -n "$PLAN" ] || { echo "no cases for board $NAME" >&2; return 1; }
}
# unreported: how many planned cases have no ok / not ok / skip line in the log (each named)
unreported() {
	local t n=0
	for t in $PLAN; do
		grep -Eq "^(ok|not ok|skip) - $t( |:|\$)" "$LOG" && continue
		echo "board $NAME: case $t printed no result" >&2
		n=$((n + 1))
	done
	echo $n
}

# ---- boot ---------------------------------------------------------------------
# ACCEL: qemu's -accel (and -cpu) options. An amd64 board on an x86-64 build machine uses KVM
# when it works: a /dev/kvm this user can open is not enough (nested under another hypervisor
# this machine's KVM stops the guest before its kernel prints a line, or qemu asserts on an MSR),
# so a kernel is booted once under KVM with a one-line /init, and KVM is used only if that line
# comes back within BOARD_KVM_PROBE s (20). BOARD_ACCEL=kvm|tcg skips the probe (check-boards
# probes once for all its boards). The result is exported for child boards.
accel() {
	local probe_dir rc=0
	if [ -z "${BOARD_ACCEL:-}" ]; then
		BOARD_ACCEL=tcg
		if [ "$UARCH" = amd64 ] && [ "$(uname -m)" = x86_64 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			probe_dir=$(mktemp -d /var/tmp/pith-kvm-probe.XXXXXX)
			mkdir -p "$probe_dir/r/bin"
			cp "$BUSYBOX" "$probe_dir/r/bin/busybox"
			printf '#!/bin/busybox sh
/bin/busybox echo KVM-PROBE-OK
/bin/busybox poweroff -f
' > "$probe_dir/r/init"
			chmod 755 "$probe_dir/r/init"
			(cd "$probe_dir/r" && find . | cpio -o -H newc --quiet | gzip -1) > "$probe_dir/initrd.gz"
			# in a subshell: qemu's abort() is reported there, into the log, not on our stderr
			(timeout -k 2 "${BOARD_KVM_PROBE:-20}" "${QEMU[@]}" -accel kvm -cpu host -m 256 \
				-kernel "$VMLINUZ" -initrd "$probe_dir/initrd.gz" \
				-append "console=$CONSOLE rdinit=/init panic=-1 loglevel=0" \
				-nographic -no-reboot -monitor none -serial stdio -nic none; exit $?) \
				</dev/null >"$probe_dir/log" 2>&1 || rc=$?
			grep -q KVM-PROBE-OK "$probe_dir/log" && BOARD_ACCEL=kvm
			[ "$BOARD_ACCEL" = kvm ] ||
				echo "boards: /dev/kvm is there but a guest did not boot under it (rc $rc: $(tr -d '\r' < "$probe_dir/log" | grep -a -m1 -i -e error -e assert)): TCG" >&2
			rm -rf "$probe_dir"
		fi
		export BOARD_ACCEL
	fi
	case $BOARD_ACCEL in
	kvm) ACCEL=(-accel kvm -cpu host) ;;
	tcg) ACCEL=(-accel tcg,thread=multi) ;;
	*) echo "BOARD_ACCEL must be kvm or tcg, not '$BOARD_ACCEL'" >&2; return 1 ;;
	esac
}
boot() {
	local rc=0
	accel || return 1
	timeout --foreground -k 5 "${BOARD_TIMEOUT:-300}" "${QEMU[@]}" "${ACCEL[@]}" \
		-smp "${BOARD_CPUS:-2}" -m "${BOARD_MEM:-${EXTRA_MEM:-768}}" \
		-kernel "$VMLINUZ" -initrd "$R.cpio.gz" \
		-append "console=$CONSOLE rdinit=/init panic=-1 loglevel=3" \
		-nographic -no-reboot -monitor none -serial stdio -nic none \
		</dev/null >"$LOG" 2>&1 || rc=$?
	tr -d '\r' < "$LOG" > "$LOG.txt" && mv "$LOG.txt" "$LOG"
	[ $rc -eq 124 ] && echo "board $NAME: timed out after ${BOARD_TIMEOUT:-300} s (log: $LOG)" >&2
	return 0
}

# boards/powercut.sh sources this file for the board's definitions only
[ -n "${BOARD_DEFS_ONLY:-}" ] && return 0
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (boards/sysroot.sh armhf, or apt-get install busybox-static)"
# a board where pith did not run proves nothing about pith: a failure, not a pass of the probe alone
[ -x "$BUILD_DIR/pith" ] || die "no pith in $BUILD_DIR (build it for this board first)"
command -v "${QEMU[0]}" >/dev/null || die "${QEMU[0]} not installed"
kernel || die "kernel for $KARCH unavailable"
probe || die "cannot build the probe"
initramfs || die "cannot build the initramfs"
boot
passed=$(grep -c '^ok ' "$LOG" || true)
failed=$(grep -c '^not ok ' "$LOG" || true)
grep -q '^BOARD-DONE' "$LOG" || { echo "board $NAME: no BOARD-DONE in $LOG (crash or timeout)" >&2; failed=$((failed + 1)); }
failed=$((failed + $(unreported)))
if [ "$failed" != 0 ]; then grep '^not ok ' "$LOG" | sed "s/^/  $NAME: /" >&2 || true; fi
verdict "$passed" "$failed"
