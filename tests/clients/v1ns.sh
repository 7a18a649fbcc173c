#!/bin/bash
# v1ns.sh CMD [ARGS...]: run CMD in a private mount namespace whose /sys/fs/cgroup holds only
# the host's cgroup v1 hierarchies (bind mounts), without the hybrid cgroup2 at "unified".
# crun 1.8.1 refuses hybrid hosts ("cgroups in hybrid mode not supported"); in this view it
# works, and cgroups made through the binds are the host's real v1 cgroups. Every mount made
# here disappears with the namespace.
set -e
[ $# -gt 0 ] || { echo "usage: v1ns.sh CMD [ARGS...]" >&2; exit 2; }
exec unshare --mount --propagation private -- /bin/bash -c '
set -e
view=$(mktemp -d /run/pith-clients-cg.XXXXXX)
mount -t tmpfs -o mode=755,size=64k pith-clients-cgv1 "$view"
for d in /sys/fs/cgroup/*; do
	[ "$(stat -f -c %T "$d")" = cgroupfs ] || continue
	mountpoint -q "$d" || continue
	c=${d##*/}
	mkdir "$view/$c"
	mount --bind "$d" "$view/$c"
done
mount --move "$view" /sys/fs/cgroup
rmdir "$view"
exec "$@"' v1ns "$@"
