#!/bin/bash
# The image bench (issue 14): a ~170 MB .NET image written by the .NET SDK over a base that carries
# the .NET runtime (tests/image/dotnet-image.sh: runtime-deps + runtime + app layers, 73 MB of
# gzip), made into something runnable by three tools, side by side, same run, same disk:
#   pith          pith-image load ARCHIVE; pith-image bundle IMAGE DIR   (overlay rootfs, config)
#   skopeo+umoci  skopeo copy oci-archive:ARCHIVE oci:LAYOUT; umoci unpack LAYOUT BUNDLE
#   podman        podman load -i ARCHIVE   (its own --root/--runroot/--tmpdir here, overlay driver)
# then a second image over the same base (only its app layer is new), and pith's bundle over
# shared layers against `pith-image inspect` of the same image (reading the store and the config,
# which bundle needs too). Every step runs under treepeak (wall time, peak RSS of the whole process
# tree, bytes written); the tools alternate A B C / C B A sample by sample; `sync` before each step
# so nobody pays for another's writeback (pith's syncfs would). The page cache keeps the archives:
# all read them warm.
# Usage: image.sh BUILD_DIR OUT SAMPLES   -> "metric <TAB> key <TAB> value" lines on stdout (run.sh
# records them), samples in OUT/raw/image.*; exit 77 when a tool is missing.
set -euo pipefail
BUILD=$(cd "${1:?usage: image.sh BUILD_DIR OUT SAMPLES}" && pwd)
OUT=${2:?usage: image.sh BUILD_DIR OUT SAMPLES}
SAMPLES=${3:?usage: image.sh BUILD_DIR OUT SAMPLES}
HERE=$(cd "$(dirname "$0")" && pwd)
for t in skopeo umoci podman jq; do command -v $t >/dev/null || { echo "image bench: $t is not installed" >&2; exit 77; }; done
"$HERE/../image/dotnet-image.sh" "$BUILD/image-dotnet" >&2
A1=$BUILD/image-dotnet/hello.tar A2=$BUILD/image-dotnet/hello2.tar
mkdir -p "$OUT/raw"
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$OUT/treepeak" "$HERE/treepeak.c"
CG=/sys/fs/cgroup/pids/pith-bench/image
# the stores live where a device keeps them (/var/lib/pith/images is on that file system here):
# under /work a file creation costs ~0.5 ms, under /var/tmp ~35 us (something watches /work)
T=$(mktemp -d "${BENCH_IMAGE_DIR:-/var/tmp}/pith-image-bench.XXXXXX")
PMRUN=$(mktemp -d /run/pith-bench-pm.XXXXXX)	# podman wants a runroot under 50 characters
cleanup() {
	for m in $(awk -v t="$T" -v r="$PMRUN" 'index($2, t) == 1 || index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" || true
	done
	rm -rf "$T" "$PMRUN"
	rmdir "$CG" "${CG%/*}" 2>/dev/null || true	# the parent too when run alone (run.sh removes it anyway)
}
trap cleanup EXIT
mkdir -p "$CG"
# the manifest digests the SDK wrote (bundle takes a digest: the SDK names both images "1")
digest_of() { tar -xOf "$1" index.json | jq -r '.manifests[0].digest'; }
D1=$(digest_of "$A1") D2=$(digest_of "$A2")
cat "$A1" "$A2" > /dev/null
RAW=$OUT/raw/image.samples
: > "$RAW"; : > "$RAW.sizes"

# step SAMPLE TOOL STEP CMD...: one measured command -> "SAMPLE TOOL STEP WALL_US PEAK_KB ONE_KB WBYTES RC CPU_US"
step() {
	local k=$1 tool=$2 name=$3
	shift 3
	sync
	echo "$k $tool $name $("$OUT/treepeak" "$CG" "$@" 2>>"$OUT/raw/image.err")" |
		tee -a "$RAW" | awk '$8 != 0 { exit 1 }' || { tail -5 "$OUT/raw/image.err" >&2; echo "image bench: $tool $name failed" >&2; exit 1; }
}
fresh() { # remove what the last sample left: mounts, stores, layouts
	for m in $(awk -v t="$T" -v r="$PMRUN" 'index($2, t) == 1 || index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m"
	done
	rm -rf "${T:?}"/* "${PMRUN:?}"/*
	mkdir -p "$T/pm/tmp" "$T/tmp"
}
PM=(podman --root "$T/pm/root" --runroot "$PMRUN" --tmpdir "$T/pm/tmp" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend file)
run_pith() {
	step "$1" pith load1 "$BUILD/pith-image" --store "$T/S" load "$A1"
	step "$1" pith bundle1 "$BUILD/pith-image" --store "$T/S" bundle "$D1" "$T/B1"
	step "$1" pith load2 "$BUILD/pith-image" --store "$T/S" load "$A2"
	step "$1" pith bundle2 "$BUILD/pith-image" --store "$T/S" bundle "$D2" "$T/B2"
	echo "$1 pith store1 $(du -sb "$T/S" | cut -f1)" >> "$RAW.sizes"
	# the bundle over shared layers, against reading the same image and config (inspect)
	local j
	for j in 1 2 3 4 5; do
		step "$1" pith inspect "$BUILD/pith-image" --store "$T/S" inspect "$D2"
		"$BUILD/pith-image" --store "$T/S" bundle --rm "$T/B2"
		step "$1" pith rebundle "$BUILD/pith-image" --store "$T/S" bundle "$D2" "$T/B2"
	done
}
run_skopeo() {
	step "$1" skopeo+umoci load1 env TMPDIR="$T/tmp" skopeo copy -q "oci-archive:$A1" "oci:$T/L:hello"
	step "$1" skopeo+umoci bundle1 umoci unpack --image "$T/L:hello" "$T/U1"
	step "$1" skopeo+umoci load2 env TMPDIR="$T/tmp" skopeo copy -q "oci-archive:$A2" "oci:$T/L:hello2"
	step "$1" skopeo+umoci bundle2 umoci unpack --image "$T/L:hello2" "$T/U2"
}
run_podman() {
	step "$1" podman load1 "${PM[@]}" load -q -i "$A1"
	step "$1" podman load2 "${PM[@]}" load -q -i "$A2"
}
TOOLS=(pith skopeo podman)
for ((k = 1; k <= SAMPLES; k++)); do
	if (( k % 2 )); then order=("${TOOLS[@]}"); else order=(podman skopeo pith); fi
	for t in "${order[@]}"; do
		fresh
		"run_$t" "$k"
		echo "== image bench sample $k: $t done" >&2
	done
done
fresh

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# per sample and tool: first image (load1 + bundle1): wall ms, tree peak KiB (max of the steps),
# MB written; second image (load2 + bundle2) the same
awk '$3 ~ /^(load|bundle)[12]$/ { i = substr($3, length($3)); key = $1 " " $2 " " i
	w[key] += $4 / 1000; if ($5 > p[key]) p[key] = $5; b[key] += $7 }
	END { for (k in w) print k, w[k], p[k], b[k] / 1e6 }' "$RAW" | sort > "$OUT/raw/image.per-sample"
for tool in pith skopeo+umoci podman; do
	for i in 1 2; do
		for m in wall_ms:4 rss_kb:5 written_mb:6; do
			printf 'image%s_%s\t%s\t%s\n' "$i" "${m%:*}" "$tool" \
				"$(awk -v t="$tool" -v i="$i" -v f="${m#*:}" '$2 == t && $3 == i { print $f }' "$OUT/raw/image.per-sample" | median)"
		done
	done
done
# pith / peer, pair by pair (same sample); rss also against the best peer of that sample
for i in 1 2; do
	for m in wall_ms:4 rss_kb:5 written_mb:6; do
		for peer in skopeo+umoci podman best; do
			printf 'image%s_%s\tpith/%s\t%s\n' "$i" "${m%:*}" "$peer" "$(awk -v i="$i" -v f="${m#*:}" -v peer="$peer" '
				$3 == i { v[$1, $2] = $f; s[$1] = 1 }
				END { for (k in s) { q = peer == "best" ? ((v[k, "podman"] < v[k, "skopeo+umoci"]) ? v[k, "podman"] : v[k, "skopeo+umoci"]) : v[k, peer]
					if (q > 0) print v[k, "pith"] / q } }' "$OUT/raw/image.per-sample" | median)"
		done
	done
done
for s in bundle1 bundle2 rebundle inspect load1 load2; do
	printf 'image_step_ms\t%s\t%s\n' "$s" "$(awk -v s="$s" '$2 == "pith" && $3 == s { print $4 / 1000 }' "$RAW" | median)"
	printf 'image_step_rss_kb\t%s\t%s\n' "$s" "$(awk -v s="$s" '$2 == "pith" && $3 == s { print $5 }' "$RAW" | median)"
	printf 'image_step_written_kb\t%s\t%s\n' "$s" "$(awk -v s="$s" '$2 == "pith" && $3 == s { print $7 / 1024 }' "$RAW" | median)"
done
# what a bundle over shared layers costs beyond reading the image and its config: wall time, and
# CPU time (wall minus waiting: its fsyncs of config.json and the bundle record, the run queue)
for m in wall:4 cpu:9; do
	printf 'image_bundle_beyond_config_%s_ms\tpith\t%s\n' "${m%:*}" "$(awk -v f="${m#*:}" '
		$2 == "pith" && $3 == "rebundle" { r[$1] += $f / 1000; n[$1]++ }
		$2 == "pith" && $3 == "inspect" { i[$1] += $f / 1000 } END { for (k in r) print (r[k] - i[k]) / n[k] }' "$RAW" | median)"
done
printf 'image_meta\tsize_mb\t%s\n' "$(jq -r '[.layers[].size] | add / 1e6 | floor' <(tar -xOf "$A1" "blobs/sha256/${D1#sha256:}"))"
printf 'image_meta\tunpacked_mb\t%s\n' "$(awk '$2 == "pith" { print int($4 / 1e6) }' "$RAW.sizes" | median)"
printf 'image_meta\tlayers\t%s\n' "$(tar -xOf "$A1" "blobs/sha256/${D1#sha256:}" | jq '.layers | length')"
printf 'image_meta\tsamples\t%s\n' "$SAMPLES"
