#!/bin/busybox sh
# /init of an emulated board (boards/board.sh): set the board up like a
# minimal device (pure cgroup v2, overlay loaded, root still the initramfs),
# run pith's board tests, print one "ok - NAME" / "not ok - NAME" /
# "skip - NAME: why" line per test, then BOARD-DONE, and power off.
/bin/busybox mkdir -p /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/opt/pith:/opt/tests:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/shm /dev/pts /run/pith
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
[ -f /lib/overlay.ko ] && insmod /lib/overlay.ko
for c in memory pids cpu io cpuset; do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done
. /etc/board.conf
echo "BOARD-START $BOARD uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "# uname: $(uname -srm)"
echo "# probe: $(probe arch)"
echo "# controllers: $(cat /sys/fs/cgroup/cgroup.controllers) | subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

. /opt/tests/cases.sh

run_case() {
	out=/tmp/case-$1.out
	t0=$(cut -d' ' -f1 /proc/uptime)
	( set -x; "t_$1" ) > "$out" 2>&1 &
	pid=$!
	# A hung case must not hang the board: kill it after CASE_TIMEOUT seconds.
	( sleep "${CASE_TIMEOUT:-45}"; kill -9 $pid 2>/dev/null && echo "timed out after ${CASE_TIMEOUT:-45} s" >> "$out" ) &
	dog=$!
	wait $pid
	rc=$?
	kill $dog 2>/dev/null
	case $rc in
	0) echo "ok - $1"; grep '^TTFL |' "$out" | sed 's/^/# /';;	# a measuring case's table
	77) echo "skip - $1: $(grep -v '^+' "$out" | tail -n 1)";;
	*) echo "not ok - $1 (rc $rc)"; sed 's/^/#   /' "$out" | tail -n 40;;
	esac
	# guest seconds per case, for the tier's time budget
	echo "# time $1 $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s"
}

for t in ${BOARD_TESTS:-$CASES}; do
	run_case "$t"
done
echo "BOARD-DONE $BOARD uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
