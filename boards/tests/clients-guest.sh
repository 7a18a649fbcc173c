#!/bin/bash
# PID 1 of the clients board after switch_root (boards/tests/clients-init.sh): a pure cgroup v2
# machine (cgroup2 at /sys/fs/cgroup, every controller enabled for children, no v1 hierarchy)
# running the clients tier, tests/clients/run.sh TOP/BUILD, as the host runs it. Prints its lines
# on the console, then CLIENTS-RC and CLIENTS-DONE, and powers off.
top=$1 build=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
# a writable /etc: the build machine's, without its secrets
tar -C /run/host-etc --exclude=./shadow --exclude=./gshadow --exclude=./shadow- --exclude=./gshadow- \
	--exclude=./ssh --exclude=./ssl/private --exclude=./docker/key.json -cf - . | tar -C /etc -xpf - ||
	echo "CLIENTS-BOOT-FAIL copy of /etc"
umount /run/host-etc && rmdir /run/host-etc
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control
done
# the tier (and so dockerd, containerd, conmon) in a cgroup of its own, as a service manager
# would place it: dockerd reads its own cgroup's files to learn what the kernel supports (in the
# root cgroup it finds no memory.swap.max and warns that swap limits are unsupported)
mkdir /sys/fs/cgroup/clients-tier
echo $$ > /sys/fs/cgroup/clients-tier/cgroup.procs
accel=tcg
grep -qw kvm-clock /sys/devices/system/clocksource/clocksource0/available_clocksource && accel=kvm
echo
echo "CLIENTS-START $(uname -r) accel=$accel cpus=$(nproc) uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "# cgroup: $(stat -f -c %T /sys/fs/cgroup), subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# clients.peers=yes|no|auto (boards/clients-v2.sh): auto runs crun's and runc's variants
# under KVM only; under TCG they would double the board's time
peers=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^clients\.peers=//p')
if [ "$peers" = no ] || { [ "$peers" != yes ] && [ $accel = tcg ]; }; then
	export CLIENTS_NO_PEERS="not on the pure-v2 board under $accel (clients.peers=${peers:-auto}): the cross-check would double its time; CLIENTS_PEERS=yes boards/clients-v2.sh runs it"
fi
export CLIENTS_NO_DOTNET_BUILD="not on the pure-v2 board: it needs the .NET SDK's restore and publish, many minutes under emulation (the host tier runs it)"
# under TCG a client command takes seconds: the tier's time limits and timing bounds x4
[ $accel = tcg ] && export CLIENTS_TIME_SCALE=4
export CLIENTS_PARALLEL=1	# three clients side by side: both vCPUs busy
cd "$top" || exit 1
# clients.run=SCRIPT (CLIENTS_RUN of boards/clients-v2.sh, relative to the repository) runs that
# instead of the tier, for timing or debugging inside the board
run=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^clients\.run=//p')
"$top/${run:-tests/clients/run.sh}" "$build"
echo "CLIENTS-RC $?"
echo "CLIENTS-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
echo o > /proc/sysrq-trigger
sleep 60
