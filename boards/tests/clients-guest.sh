#!/bin/bash
# PID 1 of the clients board after switch_root (boards/tests/clients-init.sh): a pure cgroup v2
# machine (cgroup2 at /sys/fs/cgroup, every controller enabled for children, no v1 hierarchy)
# running the clients tier, tests/clients/run.sh TOP/BUILD, as the host runs it. Prints its lines
# on the console, then CLIENTS-RC and CLIENTS-DONE, and powers off.
top=$1 build=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control
done
accel=tcg
grep -qw kvm-clock /sys/devices/system/clocksource/clocksource0/available_clocksource && accel=kvm
echo "CLIENTS-START $(uname -r) accel=$accel cpus=$(nproc) uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "# cgroup: $(stat -f -c %T /sys/fs/cgroup), subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
cd "$top" || exit 1
CLIENTS_NO_DOTNET_BUILD="not on the pure-v2 board: the .NET SDK build would take many minutes under TCG (runs on the host tier)" \
	tests/clients/run.sh "$build"
echo "CLIENTS-RC $?"
echo "CLIENTS-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
echo o > /proc/sysrq-trigger
sleep 60
