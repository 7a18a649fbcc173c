#!/bin/sh
# Time to first line of `dnprobe info` (issue 6, test 7): the median of RUNS runs (default 20)
# directly on the host, under crun, under the runtime alone, and under pith-shim + the runtime,
# with the same bundle (read-only rootfs, tmpfs /tmp, cgroupns, default seccomp if any).
# Usage: bench_ttfl.sh BUILD_DIR [RUNS]     (called by the bench; root; needs dotnet)
# The last line is a summary: "ttfl median ms: host H, crun C (+dC), <runtime> R (+dR), ..."
set -eu
build=${1:?usage: bench_ttfl.sh BUILD_DIR [RUNS]}
runs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

if ! command -v dotnet >/dev/null 2>&1; then
	echo "SKIP: dotnet ttfl bench: the .NET SDK (dotnet) is not installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: dotnet ttfl bench: needs root"; exit 0; }
DN_PREPARE_ONLY=1 "$here/run.sh" "$build"

dn="$build/dotnet"
runtime=${DN_RUNTIME:-}
[ -n "$runtime" ] || { if [ -x "$build/pith" ]; then runtime="$build/pith"; else runtime=$(command -v runc); fi; }
shim=${DN_SHIM-}
[ -n "${DN_SHIM+set}" ] || { [ -x "$build/pith-shim" ] && shim="$build/pith-shim"; }
seccomp=${DN_SECCOMP-}
[ -n "${DN_SECCOMP+set}" ] || { [ -f "$src/config/seccomp_default.json" ] && seccomp="$src/config/seccomp_default.json"; }
export DN_DIR="$dn" DN_RUNTIME="$runtime" DN_SHIM="$shim" DN_SECCOMP="$seccomp"

ttfl="$dn/ttfl-bin"	# built by run.sh
state="$dn/bench-state"
mkdir -p "$state"
results="$dn/ttfl-results"
rm -rf "$results" && mkdir -p "$results"

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cleanup_ctr() {	# RUNTIME ID
	"$1" --root "$state" delete --force "$2" >/dev/null 2>&1 || true
	for d in /sys/fs/cgroup/*/pith-test/"$2" /sys/fs/cgroup/pith-test/"$2"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	return 0
}

# host: the same app, the machine's dotnet
i=0
while [ $i -lt "$runs" ]; do
	DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$ttfl" run -- dotnet "$dn/app/dnprobe.dll" info >>"$results/host"
	i=$((i + 1))
done

# runtime alone: RUNTIME run (foreground, stdio passed through)
bench_runtime() {	# NAME RUNTIME
	b=$("$ttfl" bundle "bench-$1" info)
	cleanup_ctr "$2" "dotnet-bench-$1"
	i=0
	while [ $i -lt "$runs" ]; do
		"$ttfl" run -- "$2" --root "$state" run --bundle "$b" "dotnet-bench-$1" >>"$results/$1" || true
		cleanup_ctr "$2" "dotnet-bench-$1"
		i=$((i + 1))
	done
}
bench_runtime "$(basename "$runtime")" "$runtime"

# crun refuses this machine's hybrid cgroup layout (v1 + a hugetlb-only cgroup2): give it a private
# mount namespace whose /sys/fs/cgroup holds only the v1 hierarchies (bind mounts, host unchanged).
if command -v crun >/dev/null 2>&1; then
	tmpspec=$(mktemp -d)
	(cd "$tmpspec" && crun spec >/dev/null 2>&1) || true
	DN_OCI_VERSION=$(sed -n 's/.*"ociVersion": *"\([^"]*\)".*/\1/p' "$tmpspec/config.json" 2>/dev/null | head -n 1)
	rm -rf "$tmpspec"
	export DN_OCI_VERSION
	unshare --mount --propagation private -- sh -c '
		set -e
		if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
			new=$(mktemp -d /run/dn-cgv1.XXXXXX)
			mount -t tmpfs -o mode=755,size=64k dn-cgv1 "$new"
			for d in /sys/fs/cgroup/*; do
				[ "$(stat -f -c %T "$d")" = cgroup2fs ] && continue
				mountpoint -q "$d" || continue
				mkdir "$new/${d##*/}"
				mount --bind "$d" "$new/${d##*/}"
			done
			mount --move "$new" /sys/fs/cgroup
			rmdir "$new"
		fi
		b=$("$0" bundle bench-crun info)
		i=0
		while [ $i -lt "$1" ]; do
			"$0" run -- crun --root "$2" run --bundle "$b" dotnet-bench-crun >>"$3/crun" || true
			crun --root "$2" delete --force dotnet-bench-crun >/dev/null 2>&1 || true
			i=$((i + 1))
		done' "$ttfl" "$runs" "$state" "$results"
	cleanup_ctr crun dotnet-bench-crun
	unset DN_OCI_VERSION
fi

# pith-shim + runtime: first line = the first record in the shim's log
if [ -n "$shim" ]; then
	b=$("$ttfl" bundle bench-shim info)
	i=0
	while [ $i -lt "$runs" ]; do
		cleanup_ctr "$runtime" dotnet-bench-shim
		"$ttfl" run --file "$dn/bench-shim.log" -- "$shim" --id dotnet-bench-shim --bundle "$b" \
			--runtime "$runtime" --root "$state" --log "$dn/bench-shim.log" --foreground >>"$results/shim" || true
		i=$((i + 1))
	done
	cleanup_ctr "$runtime" dotnet-bench-shim
fi
for d in /sys/fs/cgroup/*/pith-test /sys/fs/cgroup/pith-test; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done

host=$(median "$results/host")
summary="ttfl median ms ($runs runs): host $host"
printf '%-28s %8s %8s %8s %6s\n' variant median min max runs
for f in host crun "$(basename "$runtime")" shim; do
	[ -s "$results/$f" ] || continue
	m=$(median "$results/$f")
	label=$f
	[ "$f" = shim ] && label="pith-shim+$(basename "$runtime")"
	printf '%-28s %8s %8s %8s %6s\n' "$label" "$m" "$(sort -n "$results/$f" | head -n 1)" "$(sort -n "$results/$f" | tail -n 1)" "$(wc -l <"$results/$f")"
	[ "$f" = host ] || summary="$summary, $label $m (+$(echo "$m $host" | awk '{ printf "%.1f", $1 - $2 }'))"
done
[ -n "$shim" ] || summary="$summary; pith-shim: not built yet"
echo "$summary"
