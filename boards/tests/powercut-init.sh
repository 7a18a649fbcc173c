#!/bin/busybox sh
# /init of the power-cut board (boards/powercut.sh). Every boot: mount the store's disk (ext4
# replays its journal), check the store as a device would find it after a power loss, then run
# the crash-safe store operation; boards/powercut.sh kills the emulator at a random moment of it.
# The kernel command line says what this boot is for:
#   pc.mode=prep    an empty store: load the image that must survive every cut (b), then the op
#   pc.mode=cut     check, op, then wait to be killed
#   pc.mode=final   check, op to the end, check again, power off
# pc.op=load|pull: the operation (below). Lines for the host: PC-CHECK ... / PC-CLEAN yes|no,
# PC-OP-START, PC-OP-DONE rc=N, PC-REGISTRY ok|failed (pull).
/bin/busybox mkdir -p /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/opt/pith:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /tmp
for m in crc16 mbcache jbd2 crc32c_generic ext4 virtio_mmio virtio_blk overlay; do
	insmod /lib/modules/$m.ko || echo "PC-ERROR insmod $m"
done
mode=$(sed -n 's/.*pc\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
op=$(sed -n 's/.*pc\.op=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "PC-BOOT mode=$mode uptime=$(cut -d' ' -f1 /proc/uptime)"

# the disks appear once virtio_blk probed them; found by label, not by order
disk() {
	i=0
	until d=$(findfs "LABEL=$1" 2>/dev/null); do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
	echo "$d"
}
mkdir -p /store /src
mount -t ext4 -o ro "$(disk pcsrc)" /src || echo "PC-ERROR cannot mount the source disk"
mount -t ext4 "$(disk pcstore)" /store || echo "PC-ERROR cannot mount the store disk"
S=/store/images
img() { pith-image --store $S "$@"; }
# the harness's own test (POWERCUT_BREAK=nosync): every sync of pith-image made a no-op
if grep -q 'pc\.break=nosync' /proc/cmdline; then
	img() { LD_PRELOAD=/lib/nosync.so pith-image --store $S "$@"; }
	echo "PC-BREAK nosync"
fi

# complete NAME: the image bundles, and every layer its top layer lists has all its files, whole
complete() {
	b=/tmp/chk	# not the name: a pulled one has ':' and '/'
	img bundle "$1" $b -- /bin/true >/tmp/bundle.out 2>&1 || { echo "bundle: $(cat /tmp/bundle.out)"; return 1; }
	ok=0
	[ -s $b/rootfs/pc/IMAGE ] || { echo "no /pc/IMAGE"; ok=1; }
	for l in $(cat $b/rootfs/pc/IMAGE 2>/dev/null); do
		(cd $b/rootfs/pc/$l 2>/dev/null && sha256sum -c -s SHA256SUMS) || { echo "layer $l incomplete"; ok=1; }
	done
	img bundle --rm $b || { echo "bundle --rm failed"; ok=1; }
	return $ok
}

# check: ls and gc succeed, b (never touched after prep) is there, every name is complete, and
# gc leaves no temporaries of an interrupted write anywhere in the store
check() {
	why=
	img ls > /tmp/ls.out 2>&1 || why="$why ls failed: $(cat /tmp/ls.out);"
	img gc > /tmp/gc.out 2>&1 || why="$why gc failed: $(cat /tmp/gc.out);"
	names=$(awk 'NR > 1 { print $1 }' /tmp/ls.out | tr '\n' ' ')
	case " $names " in *" b "*) ;; *) why="$why b missing;";; esac
	for n in $names; do
		out=$(complete "$n") || why="$why $n: $out;"
	done
	left=$(find $S -name '*.tmp-*' | tr '\n' ' ')
	[ -z "$left" ] || why="$why temporaries left after gc: $left;"
	echo "PC-CHECK names=$names gc-removed=$(grep -c '^removed' /tmp/gc.out)"
	if [ -z "$why" ]; then echo "PC-CLEAN yes"; else echo "PC-CLEAN no:$why"; fi
}

# pc.op=pull: Debian's docker-registry on this board's loopback, serving a from the source disk
# (read-only: no upload purging), and a is named as the pull names it
A=a
if [ "$op" = pull ]; then
	A=127.0.0.1:5000/pc/a:1
	ip link set lo up
	printf '%s\n' 'version: 0.1' 'log: {level: error}' \
		'storage: {filesystem: {rootdirectory: /src/registry}, maintenance: {uploadpurging: {enabled: false}, readonly: {enabled: true}}}' \
		'http: {addr: "127.0.0.1:5000"}' > /tmp/registry.yml
	docker-registry serve /tmp/registry.yml > /tmp/registry.log 2>&1 &
	i=0
	until wget -q -O /dev/null http://127.0.0.1:5000/v2/ 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 300 ] && break; sleep 0.1
	done
	if wget -q -O /dev/null --header 'Accept: application/vnd.oci.image.manifest.v1+json' \
		http://127.0.0.1:5000/v2/pc/a/manifests/1; then
		echo "PC-REGISTRY ok"
	else
		echo "PC-REGISTRY failed: $(tail -n 3 /tmp/registry.log)"
	fi
fi

# The operation the cuts land in: drop a (rm collects what only a used), then bring it back.
# POWERCUT-HOOK: load from the archive, or (pc.op=pull) pull from the registry above.
op() {
	echo "PC-OP-START"
	rc=0
	if awk -v n="$A" '$1 == n { f = 1 } END { exit !f }' /tmp/ls.out 2>/dev/null; then
		img rm "$A" >/tmp/op.out 2>&1 || rc=$?
	fi
	if [ $rc -eq 0 ] && [ "$op" = pull ]; then
		# --insecure: without it pith-image tries HTTPS first and, on a board with no CA bundle,
		# stops at curl's "Problem with the SSL CA cert" instead of falling back to plain HTTP
		img pull --insecure 127.0.0.1:5000 "$A" >/tmp/op.out 2>&1 || rc=$?
	elif [ $rc -eq 0 ]; then
		img load /src/a.tar >/tmp/op.out 2>&1 || rc=$?
	fi
	[ $rc -eq 0 ] || sed 's/^/PC-OP-ERR /' /tmp/op.out
	echo "PC-OP-DONE rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
}

case $mode in
prep)	mkdir -p $S
	img load /src/b.tar || echo "PC-ERROR load b failed"
	check; op; check;;
cut)	check; op
	while :; do sleep 1; done;;	# the cut comes from outside
final)	check; op; echo "PC-AFTER"; check;;
*)	echo "PC-ERROR no pc.mode on the command line";;
esac
umount /store
sync
echo "PC-END"
poweroff -f
