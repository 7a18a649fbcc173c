# Shared helpers of the bench scripts (sourced by run.sh). Everything the bench makes lives in:
#   $OUT (BUILD/bench)                  helpers, bundles, raw results, results.json, table.txt
#   $STATE/<runtime>                    each runtime's private --root
#   /sys/fs/cgroup/<hierarchy>/pith-bench/<runtime>/...   cgroups (absolute cgroupsPath)
# and bench_cleanup removes the state roots and the cgroups.

CGP=pith-bench
STATE=${BENCH_STATE:-/run/pith-bench}

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "== $(date -u +%H:%M:%S) (load $(cut -d' ' -f1 /proc/loadavg)) $*" >&2; }

# v1ns CMD...: run CMD in a private mount namespace whose /sys/fs/cgroup holds only the host's
# cgroup v1 hierarchies (bind mounts): crun 1.8.1 refuses a v1 host that also mounts a cgroup2
# owning a controller ("hybrid"); all three runtimes get the same view, the host is unchanged.
# The cgroups made through the binds are the host's real v1 cgroups.
v1ns() {
	BENCH_IN_V1NS=1 exec unshare --mount --propagation private -- /bin/bash -c '
		set -e
		new=$(mktemp -d /run/pith-bench-cg.XXXXXX)
		mount -t tmpfs -o mode=755,size=64k pith-bench-cgv1 "$new"
		for d in /sys/fs/cgroup/*; do
			[ "$(stat -f -c %T "$d")" = cgroup2fs ] && continue
			mountpoint -q "$d" || continue
			mkdir "$new/${d##*/}"
			mount --bind "$d" "$new/${d##*/}"
		done
		mount --move "$new" /sys/fs/cgroup
		rmdir "$new"
		exec "$@"' v1ns "$@"
}

# stats over numbers on stdin: "median min max n"
stats() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan 0"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, a[1], a[NR], NR }'
}
median() { stats | cut -d' ' -f1; }

# rec METRIC RUNTIME VALUE: one result; results.json and the table are built from these lines
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$OUT/results.tsv"; }

# field values of bt output lines for step NAME: column 3 = usec, 4 = maxrss KiB, 5 = rc
bt_col() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$3"; }
bt_ms() { awk -v n="$1" '$1 == n { print $3 / 1000 }' "$2"; }
bt_fails() { awk '$5 != 0 { f++ } END { print f + 0 }' "$1"; }

# rt_path NAME: the binary of a runtime under test
rt_path() { case $1 in pith) echo "$BUILD/pith" ;; *) command -v "$1" ;; esac; }

# rt_cmd NAME: the command prefix with its private state root
rt_cmd() { echo "$(rt_path "$1") --root $STATE/$1"; }

# mkbundle DIR CGROUP SECCOMP(0|1) ARGS...: config from `pith spec` (the issue's bundle: pid, net,
# ipc, uts, mount namespaces; proc/dev/devpts/shm/mqueue/sysfs/cgroup mounts; masked and read-only
# paths; 3 caps; an rlimit; noNewPrivileges), terminal off, read-only shared busybox rootfs,
# absolute cgroupsPath; SECCOMP=1 keeps the default seccomp profile of `pith spec`.
mkbundle() {
	local dir=$1 cg=$2 sc=$3
	shift 3
	mkdir -p "$dir"
	jq --arg root "$ROOTFS" --arg cg "$cg" --argjson sc "$sc" --args '
		.process.terminal = false | .process.args = $ARGS.positional |
		.root.path = $root | .linux.cgroupsPath = $cg |
		.linux.namespaces |= map(select(.type != "cgroup")) |
		if $sc == 1 then . else del(.linux.seccomp) end' "$@" < "$OUT/spec.json" > "$dir/config.json"
}

# bench_cleanup: remove containers left in our state roots, our cgroups and state dirs
bench_cleanup() {
	local r id
	for r in pith crun runc; do
		[ -d "$STATE/$r" ] || continue
		for id in $(ls "$STATE/$r" 2>/dev/null); do
			$(rt_cmd "$r") delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	for d in /sys/fs/cgroup/*/"$CGP"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$d" ] && echo "bench: could not remove $d (tasks left?)" >&2
	done
	rm -rf "$STATE"
}
