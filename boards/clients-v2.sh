#!/bin/bash
# boards/clients-v2.sh [BUILD_DIR]: the clients tier (tests/clients/run.sh: podman through conmon,
# containerd through its runc shim, a private dockerd; pith, and crun/runc as its peers) on a pure
# cgroup v2 machine: the amd64 board (board.sh's kernel and qemu), under KVM where /dev/kvm can be
# used, else TCG. The build machine's own amd64 binaries run unchanged inside: its /usr and /etc,
# this repository and BUILD_DIR (default build) are read-only virtio-9p shares at their host
# paths; the guest's root, /tmp and every client's data dir are on tmpfs. The initramfs holds only
# busybox, the kernel's virtio-pci and 9p modules and boards/tests/clients-init.sh.
# Prints one verdict line:
#   clients-v2: PASS (N passed, 0 failed, K skipped; pith: podman 13/13, ...) in S s (kvm)
# PASS needs the guest's run.sh to end with 0 failed, and every scenario that podman.sh,
# containerd.sh and docker.sh plan to run with pith to have reported PASS or SKIP: a board where
# pith did not run, or a scenario that never reported, fails. Serial log: build/boards/clients-v2.log.
# env: CLIENTS_TIMEOUT (s, default 900), BOARD_ACCEL (kvm|tcg: no probe), BOARD_CPUS (2),
#      CLIENTS_MEM (MB, 2048), CLIENTS_PEERS (auto: the crun and runc variants under KVM only,
#      yes, no), CLIENTS_RUN (a script of the repository the guest runs instead of
#      tests/clients/run.sh, given BUILD_DIR: for timing and debugging). The docker build of the .NET app stays on the host tier (a SKIP line here).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BOARD_DEFS_ONLY=1 . "$here/board.sh" amd64 "${1:-$top/build}"
. "$here/lib/modules.sh"
LOG=$CACHE/clients-v2.log
R=$CACHE/initrd-clients-v2
# load order: each after what it depends on (their modinfo "depends=")
MODS="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p"
CLIENTS="podman containerd docker"
t0=$EPOCHREALTIME

# the initramfs is made per run and removed on every exit, also an interrupted one
trap 'rm -rf "$R" "$R.cpio.gz"' EXIT
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
cv_die() { echo "clients-v2: FAIL ($*) in $(elapsed "$t0") s"; exit 1; }

initrd() {
	rm -rf "$R"
	mkdir -p "$R"/{bin,dev,proc,sys,lib/modules}
	cp "$BUSYBOX" "$R/bin/busybox"
	cp "$MODS_DIR"/*.ko "$R/lib/modules/"
	cp "$OVERLAY_KO" "$R/lib/modules/overlay.ko"
	echo $MODS overlay > "$R/lib/modules/order"
	cp "$here/tests/clients-init.sh" "$R/init"
	chmod 755 "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$R.cpio.gz"
}

[ "$(uname -m)" = x86_64 ] || cv_die "the amd64 board shares this machine's binaries: x86-64 only"
[ -x "$BUSYBOX" ] || cv_die "no busybox at $BUSYBOX (apt-get install busybox-static)"
[ -x "$BUILD_DIR/pith" ] && [ -d "$BUILD_DIR/fixtures/rootfs" ] ||
	cv_die "no pith or fixtures in $BUILD_DIR (make all fixtures)"
for c in podman conmon containerd ctr containerd-shim-runc-v2 dockerd docker; do
	command -v $c >/dev/null || cv_die "$c is not installed (make deps)"
done
command -v qemu-system-x86_64 >/dev/null || cv_die "qemu-system-x86_64 not installed"
case "$top$BUILD_DIR" in *[[:space:]]*) cv_die "a path with white space cannot go on the kernel command line";; esac
kernel || cv_die "kernel for $KARCH unavailable"
board_modules 9p $MODS || cv_die "no virtio/9p modules"
initrd || cv_die "cannot make the initramfs"

share() { echo "local,path=$1,mount_tag=$2,security_model=none,readonly=on,multidevs=remap"; }
accel || cv_die "no accelerator"
rc=0
timeout --foreground -k 5 "${CLIENTS_TIMEOUT:-900}" qemu-system-x86_64 -M q35 -cpu max "${ACCEL[@]}" \
	-smp "${BOARD_CPUS:-2}" -m "${CLIENTS_MEM:-2048}" \
	-kernel "$VMLINUZ" -initrd "$R.cpio.gz" \
	-append "console=ttyS0 rdinit=/init panic=-1 loglevel=3 apparmor=0 clients.top=$top clients.build=$BUILD_DIR clients.peers=${CLIENTS_PEERS:-auto}${CLIENTS_RUN:+ clients.run=$CLIENTS_RUN}" \
	-virtfs "$(share /usr usr)" -virtfs "$(share /etc etc)" \
	-virtfs "$(share "$top" top)" -virtfs "$(share "$BUILD_DIR" build)" \
	-nographic -no-reboot -monitor none -serial stdio -nic none \
	</dev/null >"$LOG" 2>&1 || rc=$?
tr -d '\r' < "$LOG" > "$LOG.txt" && mv "$LOG.txt" "$LOG"
[ $rc -eq 124 ] && cv_die "timed out after ${CLIENTS_TIMEOUT:-900} s (log: $LOG)"
boot_fail=$(sed -n 's/^CLIENTS-BOOT-FAIL //p' "$LOG")
[ -z "$boot_fail" ] || cv_die "boot: $boot_fail (log: $LOG)"
grep -q '^CLIENTS-DONE' "$LOG" || cv_die "no CLIENTS-DONE: crash or power-off before the end (log: $LOG)"
acc=$(sed -n 's/.*CLIENTS-START .* accel=\([a-z]*\).*/\1/p' "$LOG")

# every scenario each client script planned with pith reported PASS or SKIP
problems="" counts=""
for c in $CLIENTS; do
	plan=$(grep -m1 -F "PLAN $c [pith v2-host]: " "$LOG" || true)
	if [ -z "$plan" ]; then problems="$problems; $c never ran with pith"; continue; fi
	n=0 ok=0
	for s in ${plan#*: } cleanup; do
		n=$((n + 1))
		if grep -Eq "^(PASS|SKIP) $c \[pith v2-host\] $s( |:|\$)" "$LOG"; then ok=$((ok + 1))
		else problems="$problems; $c [pith] $s did not pass"; fi
	done
	counts="$counts, $c $ok/$n"
done
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$LOG" | tail -n 1)
[ -n "$summary" ] || problems="$problems; run.sh printed no summary"
grep -qx 'CLIENTS-RC 0' "$LOG" || problems="$problems; run.sh exited $(sed -n 's/^CLIENTS-RC //p' "$LOG")"
line="${summary:-no summary}; pith: ${counts#, }"
if [ -n "$problems" ]; then
	grep '^FAIL ' "$LOG" | sed 's/^/  /' >&2 || true
	echo "clients-v2: FAIL ($line${problems}) in $(elapsed "$t0") s (${acc:-?})"
	exit 1
fi
echo "clients-v2: PASS ($line) in $(elapsed "$t0") s (${acc:-?})"
