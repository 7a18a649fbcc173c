#!/bin/bash
# boards/powercut.sh [CUTS]: power cuts for real (issue 15). The arm64 board boots with its image
# store on a persistent virtio-blk disk (ext4), runs a crash-safe store operation (today
# `pith-image rm a` + `pith-image load a.tar`, a multi-layer OCI archive, from a second, read-only
# disk), and this script kills the emulator at a random moment of it, by its pid: whatever the
# guest had not written out is lost, as in a power loss. The board boots again on the same disk
# and checks the store (`pith-image ls`, `gc`, every name bundles and each of its layers has all
# its files, whole; image b, loaded once before the cuts, is still there; no temporaries left
# after gc), then runs the operation again, and is cut again. A last boot lets it finish.
# Prints one verdict line:
#   powercut: PASS (N cuts (M during the op), C clean stores after them, final load ok) in S s
# Before the cuts, a control: a file removed from a layer on the disk must make the check fail.
# Not in `make check-boards` (yet): about 15-20 s per cut. Logs in build/boards/powercut/.
# env: POWERCUT_CUTS (default 10), BUILD_DIR (default build/arm64), POWERCUT_SEED (RANDOM's seed),
#      POWERCUT_DISK: volatile (default: the store's disk drops a random part of what was written
#      since its last flush at each cut, boards/lib/volatile-disk.py) or plain (the image file).
#      POWERCUT_SPREAD (1.1): cuts fall in [0, SPREAD x the op's uncut time] after it starts.
#      POWERCUT_BREAK=nosync: the harness's own test: pith-image runs with every fsync, fdatasync,
#      syncfs and sync made a no-op (LD_PRELOAD of boards/tests/nosync.c); the cuts must then
#      find damaged stores and the run must FAIL.
#
# env POWERCUT_OP=pull (for issue 15's `pith image pull`, on its branch): the op becomes
# `pith-image rm` + `pith-image pull 127.0.0.1:5000/pc/a:1` from Debian's docker-registry (arm64,
# fetched with apt-get download) started inside the board on its own loopback, serving a storage
# directory filled here (skopeo copy to a host registry on 127.0.0.1, then copied onto the source
# disk). No traffic leaves the board. With a pith-image without `pull` this mode stops after
# checking that the board's registry serves the manifest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
CUTS=${1:-${POWERCUT_CUTS:-10}}
OP=${POWERCUT_OP:-load}
DISK=${POWERCUT_DISK:-volatile}
case $DISK in volatile|plain) ;; *) echo "POWERCUT_DISK must be volatile or plain, not '$DISK'" >&2; exit 2;; esac
BREAK=${POWERCUT_BREAK:-}	# nosync: the harness's own test, see the header
case $BREAK in ''|nosync) ;; *) echo "POWERCUT_BREAK must be nosync or empty, not '$BREAK'" >&2; exit 2;; esac
SPREAD=${POWERCUT_SPREAD:-1.1}
case $OP in load|pull) ;; *) echo "POWERCUT_OP must be load or pull, not '$OP'" >&2; exit 2;; esac
BOARD_DEFS_ONLY=1 . "$here/board.sh" arm64 "${BUILD_DIR:-$top/build/arm64}"
W=$CACHE/powercut
mkdir -p "$W"
[ -n "${POWERCUT_SEED:-}" ] && RANDOM=$POWERCUT_SEED
t0=$EPOCHREALTIME
QPID= DPID= RPID=

pc_die() { echo "powercut: FAIL ($*)"; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# Only our own emulator and disk server, by their pids, also when this script is interrupted.
# The disk server ends by itself once the emulator is gone (a cut when it said no goodbye).
stop_qemu() {
	[ -z "$QPID" ] || { kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null || true; QPID=; }
	stop_disk
}
stop_disk() {
	local i=0
	[ -n "$DPID" ] || return 0
	while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}
stop_all() { stop_qemu; [ -z "$RPID" ] || { kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true; }; }
trap stop_all EXIT INT TERM

# ---- the kernel's block and ext4 modules (board.sh keeps only overlay.ko) ---------
MODS="crc16 mbcache jbd2 crc32c_generic ext4 virtio_mmio virtio_blk"
. "$here/lib/modules.sh"

# ---- the source disk: two OCI archives made with umoci and skopeo -------------------
# b: layers base1 base2 b1; a: base1 base2 a1..a4 (shares the base with b, so `rm a` must keep
# it). Every layer holds pc/NAME/: one 12 MiB and 100 small random files and their SHA256SUMS;
# pc/IMAGE in the top layer lists the layers the image must have.
sources() {
	local src=$W/src L=$W/layout u=$W/unpack
	# remade when what makes it changes (these functions), not for any edit of this script
	local stamp
	stamp=$(declare -f sources registry_storage | sha256sum | cut -c1-16)
	if [ -s "$W/src.img" ] && [ "$(cat "$W/src.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
	for t in umoci skopeo mkfs.ext4; do command -v $t >/dev/null || { echo "$t is not installed" >&2; return 1; }; done
	rm -rf "$src" "$L" "$u" "$W/src.img"
	mkdir -p "$src"
	umoci init --layout "$L"
	umoci new --image "$L:base"
	umoci config --image "$L:base" --architecture=arm64 --os=linux
	add_layer() { # TAG NAME: one more layer on TAG
		local d i
		umoci unpack --image "$L:$1" "$u" >/dev/null
		d=$u/rootfs/pc/$2
		mkdir -p "$d"
		head -c 12582912 /dev/urandom > "$d/big"
		for i in $(seq 100); do head -c $((RANDOM % 32768 + 1)) /dev/urandom > "$d/f$i"; done
		(cd "$d" && sha256sum big f* > SHA256SUMS)
		echo "$(cat "$u/rootfs/pc/IMAGE" 2>/dev/null) $2" > "$u/rootfs/pc/IMAGE"
		umoci repack --image "$L:$1" "$u"
		rm -rf "$u"
	}
	add_layer base base1; add_layer base base2
	umoci tag --image "$L:base" a; umoci tag --image "$L:base" b
	add_layer b b1
	for i in 1 2 3 4; do add_layer a a$i; done
	skopeo copy -q "oci:$L:a" "oci-archive:$src/a.tar:a"
	skopeo copy -q "oci:$L:b" "oci-archive:$src/b.tar:b"
	registry_storage "$L" "$src/registry" || return 1
	rm -rf "$L"
	mkfs.ext4 -q -F -L pcsrc -d "$src" "$W/src.img" 512M
	rm -rf "$src"
	echo "$stamp" > "$W/src.stamp"
}

# registry_storage LAYOUT DIR: a's blobs and manifest as docker-registry stores them, pushed by
# skopeo to a registry of our own on 127.0.0.1 (stopped by its pid); skipped without the tools
registry_storage() {
	local port rc=0
	command -v docker-registry >/dev/null || { echo "no docker-registry here: POWERCUT_OP=pull unavailable" >&2; return 0; }
	port=$((20000 + RANDOM % 20000))
	printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' \
		"$2" "$port" > "$W/registry.yml"
	docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
	RPID=$!
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
	skopeo copy -q --dest-tls-verify=false "oci:$1:a" "docker://127.0.0.1:$port/pc/a:1" || rc=$?
	kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true
	RPID=
	rm -f "$W/registry.yml"
	return $rc
}

# registry_arm64: Debian's docker-registry for the board (a Go binary linked to glibc only)
registry_arm64() {
	local rd=$CACHE/powercut/registry-arm64 deb
	[ -x "$rd/docker-registry" ] && return 0
	pith_private_apt "$KARCH" "$CACHE/kernel-$KARCH/apt" || return 1
	rm -rf "$rd"; mkdir -p "$rd"
	(cd "$rd" && timeout 300 apt-get -q "${PITH_APT[@]}" download docker-registry >"$rd/download.log" 2>&1) ||
		{ echo "apt-get download docker-registry failed (see $rd/download.log)" >&2; return 1; }
	deb=$(ls "$rd"/docker-registry_*.deb | head -1)
	dpkg-deb -x "$deb" "$rd/x"
	mv "$rd/x/usr/bin/docker-registry" "$rd/"
	rm -rf "$rd/x" "$deb"
}

# ---- a small initramfs: busybox, pith-image and its libraries, the modules, the init --
initrd() {
	R=$W/initrd
	rm -rf "$R"
	mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,etc,lib/$TRIPLET,lib/modules,opt/pith} "$R/$(dirname "$LDSO")"
	mkdir -p "$R/usr"
	ln -s ../bin "$R/usr/bin"; ln -s ../sbin "$R/usr/sbin"; ln -s ../lib "$R/usr/lib"
	cp "$BUSYBOX" "$R/bin/busybox"
	cp -L "$SYSROOT/$LDSO" "$R/$LDSO"
	[ -x "$BUILD_DIR/pith-image" ] || { echo "no pith-image in $BUILD_DIR (make ARCH=arm64)" >&2; return 1; }
	cp "$BUILD_DIR/pith-image" "$R/opt/pith/"
	libs_of "$R/opt/pith/pith-image"
	# pull is pith-image-pull (libcurl), which pith-image execs from beside itself
	if [ -x "$BUILD_DIR/pith-image-pull" ]; then
		cp "$BUILD_DIR/pith-image-pull" "$R/opt/pith/"
		libs_of "$R/opt/pith/pith-image-pull"
	fi
	cp "$MODS_DIR/"*.ko "$R/lib/modules/"
	cp "$OVERLAY_KO" "$R/lib/modules/overlay.ko"
	if [ "$OP" = pull ]; then
		cp "$CACHE/powercut/registry-arm64/docker-registry" "$R/bin/"
		libs_of "$R/bin/docker-registry"
	fi
	if [ "$BREAK" = nosync ]; then
		"${CC[@]}" -shared -fPIC -O2 -Wall -Wextra -Werror -o "$R/lib/nosync.so" "$here/tests/nosync.c" || return 1
	fi
	cp "$here/tests/powercut-init.sh" "$R/init"
	chmod 755 "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$R.cpio.gz"
}

# ---- boots --------------------------------------------------------------------------
# store_disk LOG: the qemu options of the store's disk. volatile: served by
# boards/lib/volatile-disk.py (DPID), which drops a random part of the writes not yet flushed when
# the emulator dies, as a disk's write cache does on a power loss; plain: the image file itself
# (a kill then loses only what the guest had not sent to the disk).
store_disk() {
	if [ "$DISK" = plain ]; then
		STORE_OPTS=(-drive file="$W/store.img",format=raw,if=none,id=store)
		return 0
	fi
	local sock=$W/store.sock i=0
	rm -f "$sock"
	python3 "$here/lib/volatile-disk.py" "$W/store.img" "$sock" >"${1%.log}.disk" 2>&1 &
	DPID=$!
	until [ -S "$sock" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "volatile-disk.py did not start" >&2; return 1; }; sleep 0.05
	done
	STORE_OPTS=(-blockdev driver=nbd,server.type=unix,server.path="$sock",node-name=store)
}
# boot_bg MODE LOG: the board in the background (QPID), its serial console into LOG
boot_bg() {
	store_disk "$2" || pc_die "no store disk"
	"${QEMU[@]}" -accel tcg,thread=multi -smp "${BOARD_CPUS:-2}" -m 512 \
		-kernel "$VMLINUZ" -initrd "$R.cpio.gz" \
		-append "console=$CONSOLE rdinit=/init panic=-1 loglevel=3 pc.mode=$1 pc.op=$OP${BREAK:+ pc.break=$BREAK}" \
		"${STORE_OPTS[@]}" -device virtio-blk-device,drive=store \
		-drive file="$W/src.img",format=raw,if=none,id=src,readonly=on \
		-device virtio-blk-device,drive=src \
		-nographic -no-reboot -monitor none -serial stdio -nic none </dev/null >"$2" 2>&1 &
	QPID=$!
}
# alive: the emulator runs (an exited one stays a zombie until waited for: kill -0 would say yes)
alive() { local st; st=$(cut -d' ' -f3 "/proc/$QPID/stat" 2>/dev/null) && [ "$st" != Z ]; }
# wait_for LOG TEXT SECS: until TEXT is in LOG (0), the emulator ended (1) or SECS passed (2)
wait_for() {
	local end=$((SECONDS + $3))
	until grep -q "$2" "$1" 2>/dev/null; do
		alive || { grep -q "$2" "$1" 2>/dev/null && return 0; return 1; }
		[ $SECONDS -lt $end ] || return 2
		sleep 0.05
	done
}
# boot_to_end MODE LOG: a boot that must power off by itself
boot_to_end() {
	boot_bg "$1" "$2"
	wait_for "$2" PC-END 300 || { stop_qemu; pc_die "$1 boot did not finish (log: $2)"; }
	wait "$QPID" 2>/dev/null || true
	QPID=
	stop_disk
}

kernel || pc_die "kernel for $KARCH unavailable"
board_modules blk $MODS || pc_die "no block/ext4 modules"
sources || pc_die "cannot make the source disk"
if [ "$OP" = pull ]; then
	registry_arm64 || pc_die "no docker-registry for arm64"
	debugfs -R 'stat /registry' "$W/src.img" 2>/dev/null | grep -q '^Inode:' ||
		pc_die "no registry storage on the source disk (docker-registry missing when it was made?)"
fi
initrd || pc_die "cannot make the initramfs"
rm -f "$W/store.img" "$W"/boot-*.log "$W"/boot-*.disk
mkfs.ext4 -q -F -L pcstore "$W/store.img" 1G

# prep: b loaded, then one op uncut, timed on the host: the window the cuts fall in
log=$W/boot-0.log
boot_bg prep "$log"
wait_for "$log" '^PC-OP-START' 300 || { stop_qemu; pc_die "prep boot never started the op (log: $log)"; }
s=$EPOCHREALTIME
wait_for "$log" '^PC-OP-DONE' 300 || { stop_qemu; pc_die "the op never ended without a cut (log: $log)"; }
window=$(elapsed "$s")
wait_for "$log" PC-END 300 || { stop_qemu; pc_die "prep boot did not finish (log: $log)"; }
wait "$QPID" 2>/dev/null || true; QPID=
stop_disk
if [ "$OP" = pull ]; then
	grep -q '^PC-REGISTRY ok' "$log" || pc_die "the board's registry did not serve a's manifest (log: $log)"
	[ -x "$BUILD_DIR/pith-image-pull" ] ||
		pc_die "the board's registry serves a; there is no pith-image-pull (libcurl) in $BUILD_DIR"
fi
grep -q '^PC-OP-DONE rc=0' "$log" || pc_die "the op fails without a cut (log: $log)"
[ "$(grep -c '^PC-CLEAN yes' "$log")" = 2 ] || pc_die "the store is not clean before any cut (log: $log)"
echo "powercut: prep ok, the op takes ${window} s here; cutting $CUTS times in [0, $SPREAD x that]" >&2

# The control: the check must be able to say no. A file of a's top layer is removed from the
# store's disk (debugfs, no mount) before the first cut boot, whose check must report it; that
# boot's op then replaces a (rm collects the damaged layer, load unpacks it again).
damage() {
	local d
	for d in $(debugfs -R 'ls -p /images/layers' "$W/store.img" 2>/dev/null | awk -F/ '$6 !~ /^\.\.?$/ && $6 != "" { print $6 }'); do
		debugfs -R "stat /images/layers/$d/pc/a4/f7" "$W/store.img" 2>/dev/null | grep -q '^Inode:' || continue
		debugfs -w -R "rm /images/layers/$d/pc/a4/f7" "$W/store.img" >/dev/null 2>&1 && return 0
	done
	return 1
}
damage || pc_die "the control: cannot remove a file of layer a4 from the store disk"

# verdict_of LOG CUT: the first check of the boot after cut CUT
clean=0 early=0
verdict_of() {
	wait_for "$1" '^PC-CLEAN' 300 || { stop_qemu; pc_die "the boot after cut $2 never checked the store (log: $1)"; }
	if grep -q '^PC-CLEAN yes' "$1"; then
		clean=$((clean + 1))
	else
		grep -m1 '^PC-CLEAN no' "$1" | sed "s/^/powercut: after cut $2: /" >&2
	fi
}
for i in $(seq "$CUTS"); do
	log=$W/boot-$i.log
	boot_bg cut "$log"
	if [ "$i" = 1 ]; then
		wait_for "$log" '^PC-CLEAN' 300 || { stop_qemu; pc_die "the control boot never checked the store (log: $log)"; }
		grep -q '^PC-CLEAN no:.*: layer a4 incomplete' "$log" ||
			{ stop_qemu; pc_die "the check did not see the file removed from layer a4 (log: $log)"; }
	else
		verdict_of "$log" $((i - 1))
	fi
	wait_for "$log" '^PC-OP-START' 300 || { stop_qemu; pc_die "boot $i never started the op (log: $log)"; }
	at=$(awk -v w="$window" -v f="$SPREAD" -v r=$RANDOM 'BEGIN { printf "%.2f", w * f * r / 32768 }')
	sleep "$at"
	grep -q '^PC-OP-DONE' "$log" || early=$((early + 1))
	stop_qemu
	echo "powercut: cut $i at +$at s into the op$(grep -q '^PC-OP-DONE' "$log" && echo ' (after it ended)')" >&2
done
log=$W/boot-$((CUTS + 1)).log
boot_to_end final "$log"
verdict_of "$log" "$CUTS"
final=failed
grep -q '^PC-OP-DONE rc=0' "$log" && sed -n '/^PC-AFTER/,$p' "$log" | grep -q '^PC-CLEAN yes' && final=ok
v="$CUTS cuts ($early during the op), $clean clean stores after them, final $OP $final"
if [ "$DISK" = volatile ]; then
	v="$v; $(cat "$W"/boot-*.disk 2>/dev/null | awk '/power cut/ { k += $(NF - 5); l += $(NF - 1) }
		END { printf "unflushed writes at the cuts: %d dropped, %d kept", l, k }')"
fi
if [ "$clean" = "$CUTS" ] && [ $final = ok ]; then
	echo "powercut: PASS ($v) in $(elapsed "$t0") s"
else
	echo "powercut: FAIL ($v) in $(elapsed "$t0") s (logs: $W/boot-*.log)"; exit 1
fi
