#!/bin/busybox sh
# /init of the power-cut board (boards/powercut.sh). Every boot: mount the store's disk (ext4
# replays its journal), check the store as a device would find it after a power loss, then run
# the crash-safe store operation; boards/powercut.sh kills the emulator at a random moment of it.
# The kernel command line says what this boot is for:
#   pc.mode=prep    an empty store: load the image that must survive every cut (b), then the op
#   pc.mode=cut     check, op, then wait to be killed
#   pc.mode=final   check, op to the end, check again, power off
# Lines for the host: PC-CHECK ... / PC-CLEAN yes|no, PC-OP-START, PC-OP-DONE rc=N.
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

# complete NAME: the image bundles, and every layer its top layer lists has all its files, whole
complete() {
	b=/tmp/chk-$1
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

# The operation the cuts land in: drop a (rm collects what only a used), load it again.
# POWERCUT-HOOK: with the pull branch, `img pull localhost:PORT/pc/a` from a docker-registry
# started here on 127.0.0.1 (storage on /src) replaces the load.
op() {
	echo "PC-OP-START"
	rc=0
	if grep -q '^a ' /tmp/ls.out 2>/dev/null; then img rm a >/tmp/op.out 2>&1 || rc=$?; fi
	[ $rc -eq 0 ] && { img load /src/a.tar >/tmp/op.out 2>&1 || rc=$?; }
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
