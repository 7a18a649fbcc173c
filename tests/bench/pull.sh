#!/bin/bash
# The pull bench (issue 15): the SDK's .NET image (tests/image/dotnet-image.sh, 73 MB of gzip in
# 3 layers) pushed to a Debian docker-registry on 127.0.0.1 (plain HTTP, the same transport for
# every tool: Docker and containerd make a private CA awkward), then pulled and unpacked by
#   pith          pith-image pull REF              (it unpacks as it pulls: nothing more)
#   podman        podman pull REF                  (own --root/--runroot/--tmpdir, overlay driver)
#   skopeo+umoci  skopeo copy docker://REF oci:L; umoci unpack L BUNDLE
#   ctr           ctr image pull REF               (a private containerd: own root, state, socket)
#   docker        docker pull REF                  (a private dockerd, which starts its containerd)
# and pulled a second time with every layer present (skopeo+umoci: the copy alone, umoci has no
# cache). Daemons are counted whole (treepeak -d): the pull runs inside them, so their RSS from the
# first byte (baseline included) and their write_bytes count with the client's. Every store starts
# empty each sample; the daemons are started before the timed pull (not timed) and stopped after.
# The tools alternate A B C D E / E D C B A sample by sample, each on a new ext4 of its own (see
# fresh); `sync` before each step.
# Usage: pull.sh BUILD_DIR OUT SAMPLES   -> "metric <TAB> key <TAB> value" lines on stdout (run.sh
# records them), samples in OUT/raw/pull.*; exit 77 when a needed tool is missing.
set -euo pipefail
BUILD=$(cd "${1:?usage: pull.sh BUILD_DIR OUT SAMPLES}" && pwd)
OUT=${2:?usage: pull.sh BUILD_DIR OUT SAMPLES}
SAMPLES=${3:?usage: pull.sh BUILD_DIR OUT SAMPLES}
HERE=$(cd "$(dirname "$0")" && pwd)
for t in docker-registry skopeo umoci podman jq curl python3 mkfs.ext4; do
	command -v $t >/dev/null || { echo "pull bench: $t is not installed" >&2; exit 77; }
done
[ -x "$BUILD/pith-image-pull" ] || { echo "pull bench: $BUILD/pith-image-pull is not built" >&2; exit 77; }
"$HERE/../image/dotnet-image.sh" "$BUILD/image-dotnet" >&2
ARCHIVE=$BUILD/image-dotnet/hello.tar
mkdir -p "$OUT/raw"
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$OUT/treepeak" "$HERE/treepeak.c"
CG=/sys/fs/cgroup/pids/pith-bench/pull
DCG=/sys/fs/cgroup/pids/pith-bench/pull-daemon
# stores under /var/tmp as image.sh keeps them (file creation under /work is slow); sockets, state
# and podman's runroot want short paths: /run
T=$(mktemp -d "${BENCH_IMAGE_DIR:-/var/tmp}/pith-pull-bench.XXXXXX")
R=$(mktemp -d /run/pith-bench-pl.XXXXXX)
REGISTRY_PID=""
DAEMON_PID=""
ours() { awk -v t="$T" -v r="$R" 'index($2, t) == 1 || index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r; }
daemon_stop() { # the daemon we started, then anything it left in its cgroup (its containerd)
	local p left
	if [ -n "$DAEMON_PID" ]; then
		kill "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=""
	fi
	for _ in $(seq 50); do
		left=$(cat "$DCG/cgroup.procs")	# (cgroup files show size 0: no -s)
		[ -n "$left" ] || break
		for p in $left; do kill "$p" 2>/dev/null || true; done
		sleep 0.1
	done
}
cleanup() {
	daemon_stop
	[ -z "$REGISTRY_PID" ] || { kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; }
	for m in $(ours); do umount "$m" || umount -l "$m" || true; done
	rm -rf "$T" "$R"
	rmdir "$CG" "$DCG" 2>/dev/null || true
	rmdir "${CG%/*}" 2>/dev/null || true	# the parent too when run alone (run.sh removes it anyway)
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$CG" "$DCG"

# the registry, and the image in it as skopeo pushes an OCI archive (blobs as the SDK wrote them)
. "$HERE/../image/registry.sh"
mkdir -p "$T/reg"
registry_start "$T/reg" >&2
REF=127.0.0.1:$REGISTRY_PORT/dotnet/hello:1
skopeo copy -q --dest-tls-verify=false "oci-archive:$ARCHIVE" "docker://$REF"
MANIFEST=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://127.0.0.1:$REGISTRY_PORT/v2/dotnet/hello/manifests/1")

TOOLS=(pith podman skopeo+umoci)
command -v containerd >/dev/null && command -v ctr >/dev/null && TOOLS+=(ctr)
command -v dockerd >/dev/null && [ -x /usr/bin/docker ] && TOOLS+=(docker)
RAW=$OUT/raw/pull.samples
ERRLOG=$OUT/raw/pull.err
: > "$RAW"; : > "$ERRLOG"

# step SAMPLE TOOL STEP [-d DAEMON_CG] CMD...: one measured command ->
#   "SAMPLE TOOL STEP WALL_US PEAK_KB ONE_KB WBYTES RC CPU_US"
step() {
	local k=$1 tool=$2 name=$3 d=()
	shift 3
	[ "$1" != -d ] || { d=(-d "$2"); shift 2; }
	sync
	echo "$k $tool $name $("$OUT/treepeak" "${d[@]}" "$CG" "$@" 2>>"$ERRLOG")" |
		tee -a "$RAW" | awk '$8 != 0 { exit 1 }' || { tail -5 "$ERRLOG" >&2; echo "pull bench: $tool $name failed" >&2; exit 1; }
}
# Each tool gets a new ext4 (a sparse file on a loop device) for its stores: on the one file
# system a run had deleted ~15000 files just before, ext4's inode allocator skips the inodes deleted
# in the last minutes one by one (recently_deleted: half of pith's CPU in perf), so whoever came
# after a big rm paid for it, and more each sample.
fresh() { # what the last sample left: mounts, stores, layouts, the file system
	for m in $(ours); do umount "$m"; done
	rm -rf "${T:?}"/s "${T:?}"/fs.img "${R:?}"/*
	mkdir -p "$T/s"
	truncate -s 4G "$T/fs.img"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$T/fs.img"
	mount -o loop "$T/fs.img" "$T/s"	# the loop device goes with the umount (autoclear)
	mkdir -p "$T/s/pm/tmp" "$T/s/tmp"
}
# daemon_start CMD...: CMD in the daemon cgroup, in the background -> DAEMON_PID
daemon_start() {
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$DCG" "$@" >>"$ERRLOG" 2>&1 &
	DAEMON_PID=$!
}
wait_for() { # CMD...: until it succeeds (30 s)
	local i
	for i in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "pull bench: no answer from $*" >&2; tail -5 "$ERRLOG" >&2; return 1
}

PM=(podman --root "$T/s/pm/root" --runroot "$R/pm" --tmpdir "$T/s/pm/tmp" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend file)
run_pith() {
	step "$1" pith cold "$BUILD/pith-image" --store "$T/s/S" pull --progress none "$REF"
	step "$1" pith warm "$BUILD/pith-image" --store "$T/s/S" pull --progress none "$REF"
}
run_podman() {
	step "$1" podman cold "${PM[@]}" pull -q --tls-verify=false "$REF"
	step "$1" podman warm "${PM[@]}" pull -q --tls-verify=false "$REF"
}
run_skopeo() {
	step "$1" skopeo+umoci cold sh -c 'TMPDIR="$1" skopeo copy -q --src-tls-verify=false "docker://$2" "oci:$3:hello" &&
		exec umoci unpack --image "$3:hello" "$4"' sh "$T/s/tmp" "$REF" "$T/s/L" "$T/s/U"
	du -sb "$T/s/U/rootfs" | awk -v k="$1" '{ print k, $1 }' >> "$RAW.unpacked"
	step "$1" skopeo+umoci warm env TMPDIR="$T/s/tmp" skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$T/s/L:hello"
}
run_ctr() {
	local C=$T/s/ctd
	mkdir -p "$C"
	cat > "$C/config.toml" <<-EOF
		version = 2
		root = "$C/root"
		state = "$R/ctd"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$R/ctd.sock"
		[ttrpc]
		  address = "$R/ctd.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$C/opt"
	EOF
	daemon_start containerd --config "$C/config.toml"
	wait_for ctr -a "$R/ctd.sock" version
	step "$1" ctr cold -d "$DCG" ctr -a "$R/ctd.sock" -n bench image pull --plain-http "$REF"
	step "$1" ctr warm -d "$DCG" ctr -a "$R/ctd.sock" -n bench image pull --plain-http "$REF"
	daemon_stop
}
run_docker() {
	local D=$T/s/dk
	mkdir -p "$D"
	printf '{"iptables": false, "ip-forward": false, "bridge": "none", "storage-driver": "overlay2",
		"exec-opts": ["native.cgroupdriver=cgroupfs"], "insecure-registries": ["127.0.0.1:%s"]}\n' \
		"$REGISTRY_PORT" > "$D/daemon.json"
	daemon_start dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$R/dk" \
		-H "unix://$R/dk.sock" --pidfile "$R/dk.pid"
	wait_for /usr/bin/docker -H "unix://$R/dk.sock" version
	step "$1" docker cold -d "$DCG" /usr/bin/docker -H "unix://$R/dk.sock" pull -q "$REF"
	step "$1" docker warm -d "$DCG" /usr/bin/docker -H "unix://$R/dk.sock" pull -q "$REF"
	daemon_stop
}
for ((k = 1; k <= SAMPLES; k++)); do
	if (( k % 2 )); then order=("${TOOLS[@]}"); else mapfile -t order < <(printf '%s\n' "${TOOLS[@]}" | tac); fi
	for t in "${order[@]}"; do
		fresh
		"run_${t%%+*}" "$k"
		echo "== pull bench sample $k: $t done" >&2
	done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
PULLED=$(jq '[.layers[].size, .config.size] | add' <<<"$MANIFEST")
UNPACKED=$(cut -d' ' -f2 "$RAW.unpacked" | median)
# per sample and tool: "SAMPLE TOOL STEP WALL_MS PEAK_KB WRITTEN_MB"
awk '{ print $1, $2, $3, $4 / 1000, $5, $7 / 1e6 }' "$RAW" > "$OUT/raw/pull.per-sample"
for tool in "${TOOLS[@]}"; do
	for m in cold:wall_ms:4 cold:rss_kb:5 cold:written_mb:6 warm:wall_ms:4 warm:rss_kb:5; do
		IFS=: read -r s name f <<<"$m"
		printf 'pull_%s_%s\t%s\t%s\n' "$s" "$name" "$tool" \
			"$(awk -v t="$tool" -v s="$s" -v f="$f" '$2 == t && $3 == s { print $f }' "$OUT/raw/pull.per-sample" | median)"
	done
	printf 'pull_write_per_unpacked\t%s\t%s\n' "$tool" "$(awk -v t="$tool" -v u="$UNPACKED" \
		'$2 == t && $3 == "cold" { print $6 * 1e6 / u }' "$OUT/raw/pull.per-sample" | median)"
	printf 'pull_write_per_pulled\t%s\t%s\n' "$tool" "$(awk -v t="$tool" -v p="$PULLED" \
		'$2 == t && $3 == "cold" { print $6 * 1e6 / p }' "$OUT/raw/pull.per-sample" | median)"
done
# pith / peer, pair by pair (same sample); also against the fastest / lightest peer of that sample
for m in cold:wall_ms:4 cold:rss_kb:5 cold:written_mb:6 warm:wall_ms:4; do
	IFS=: read -r s name f <<<"$m"
	for peer in "${TOOLS[@]:1}" best; do
		printf 'pull_%s_%s\tpith/%s\t%s\n' "$s" "$name" "$peer" "$(awk -v s="$s" -v f="$f" -v peer="$peer" '
			$3 == s { v[$1, $2] = $f; k[$1] = 1; if ($2 != "pith") t[$2] = 1 }
			END { for (i in k) { q = -1
				for (x in t) if ((i, x) in v && (peer == x || (peer == "best" && (q < 0 || v[i, x] < q)))) q = v[i, x]
				if (q > 0 && (i, "pith") in v) print v[i, "pith"] / q } }' "$OUT/raw/pull.per-sample" | median)"
	done
done
printf 'pull_meta\tpulled_mb\t%s\n' "$(awk -v p="$PULLED" 'BEGIN { printf "%.1f", p / 1e6 }')"
printf 'pull_meta\tunpacked_mb\t%s\n' "$(awk -v u="$UNPACKED" 'BEGIN { printf "%.1f", u / 1e6 }')"
printf 'pull_meta\tlayers\t%s\n' "$(jq '.layers | length' <<<"$MANIFEST")"
printf 'pull_meta\tsamples\t%s\n' "$SAMPLES"
printf 'pull_meta\ttools\t%s\n' "${TOOLS[*]}"
