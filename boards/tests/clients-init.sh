#!/bin/busybox sh
# /init of the clients board (boards/clients-v2.sh): load virtio-9p, build a root on tmpfs from
# the build machine's /usr (a read-only 9p share: its own amd64 binaries run unchanged), its /etc
# (a share at /run/host-etc, which clients-guest.sh copies into the tmpfs: dockerd writes in
# /etc/docker), the repository and the build tree at their host paths, and switch_root into it,
# where boards/tests/clients-guest.sh (bash, from that /usr) runs the clients tier.
/bin/busybox mkdir -p /bin /proc /sys /dev
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
die() { echo "CLIENTS-BOOT-FAIL $*"; echo o > /proc/sysrq-trigger; sleep 60; }
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m.ko" || die "insmod $m"
done
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p"; }
top=$(arg clients.top) build=$(arg clients.build)
[ -n "$top" ] && [ -n "$build" ] || die "no clients.top or clients.build on the command line"
N=/newroot
mkdir -p $N
mount -t tmpfs -o mode=755,size=75% newroot $N || die "tmpfs root"
share() { # TAG DIR
	mkdir -p "$N$2"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 "$1" "$N$2" ||
		die "mount of the 9p share $1 at $2"
}
share usr /usr
share etc /run/host-etc
share top "$top"
share build "$build"
# the host's merged /usr layout
for l in bin sbin lib lib64; do ln -s usr/$l $N/$l; done
mkdir -p $N/proc $N/sys $N/dev $N/etc $N/tmp $N/run $N/var/tmp $N/var/lib $N/root
chmod 1777 $N/tmp $N/var/tmp
ln -s ../run $N/var/run
mount --move /dev $N/dev
mount --move /sys $N/sys
mount --move /proc $N/proc
exec switch_root $N /bin/bash "$top/boards/tests/clients-guest.sh" "$top" "$build"
