#!/bin/sh
# pith-image against producers nobody here wrote (umoci, skopeo, podman), with no network:
# every source format loads, bundles, runs under pith, and unpacks to exactly the tree
# `umoci unpack` makes; a corrupted blob, hostile layers and a SIGKILLed load are handled.
# usage: run.sh BUILD_DIR   (as root)
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
[ "$(id -u)" = 0 ] || { tier_skip "image tests" "they need root (overlay, owners)"; exit 0; }
for tool in umoci skopeo podman python3; do
	command -v $tool >/dev/null || { tier_skip "image tests" "$tool is not installed"; exit 0; }
done
T=$(mktemp -d "$build/image-test.XXXXXX")
bundles=""
cleanup() {
	for b in $bundles; do [ -d "$b" ] && "$build/pith-image" --store "$T/S" bundle --rm "$b" 2>/dev/null || true; done
	for m in $(awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount "$m" || true; done
	rm -rf "$T"
}
trap cleanup EXIT
img="$build/pith-image"
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1" >&2; fails=$((fails + 1)); }

# --- the test image: a busybox base with a deletion, an opaque dir, a hardlink, a symlink
cd "$T"
python3 "$here/layers.py" base "$build/fixtures/rootfs" base.tar
python3 "$here/layers.py" top top.tar
umoci init --layout L
umoci new --image L:t
umoci raw add-layer --image L:t base.tar
umoci raw add-layer --image L:t top.tar
umoci config --image L:t --config.cmd /bin/sh --config.cmd -c \
	--config.cmd 'cat /data/keep /opq/new; ls /opq /data; id -u' --config.user 1000 \
	--config.stopsignal SIGINT
umoci unpack --image L:t U >/dev/null
expected='kept from the base layer
only this survives
/data:
keep
owned

/opq:
new
1000'

# --- the same image from each producer
skopeo copy -q --dest-compress --dest-compress-format gzip oci:L:t oci:Lgz:t
skopeo copy -q --dest-compress --dest-compress-format zstd oci:L:t oci:Lzst:t
PM="podman --root $T/pr/root --runroot $T/pr/run --tmpdir $T/pr/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
mkdir -p pr/tmp
skopeo copy -q oci:L:t oci-archive:skopeo-oci.tar:t
$PM load -q -i skopeo-oci.tar >/dev/null
$PM save -q --format oci-archive -o podman-oci.tar localhost/t:latest
$PM save -q --format docker-archive -o podman-docker.tar localhost/t:latest
$PM rmi -a -f >/dev/null 2>&1 || true

check_source() { # SOURCE NAME
	rm -rf S B run
	if ! "$img" --store S load "$1" >load.out 2>&1; then fail "load $1: $(cat load.out)"; return; fi
	bundles="$bundles $T/B"
	if ! "$build/pith" image --store S bundle "$2" B 2>bundle.err; then fail "bundle $1: $(cat bundle.err)"; return; fi
	if python3 "$here/compare.py" B/rootfs U/rootfs >compare.out; then pass "$1: rootfs equals umoci unpack's ($(tail -1 compare.out))"
	else fail "$1: rootfs differs from umoci unpack's:"; cat compare.out >&2; fi
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' B/config.json)" = SIGINT ] \
		&& pass "$1: StopSignal is an annotation" || fail "$1: no stop signal annotation"
	out=$(timeout 60 "$build/pith" --root "$T/run" run -b B "img-$$" 2>&1) || true
	[ "$out" = "$expected" ] && pass "$1: runs under pith" || fail "$1: output was: $out"
	"$img" --store S bundle --rm B && [ ! -e B ] && ! grep -q " $T/B/" /proc/self/mounts \
		&& pass "$1: bundle --rm leaves nothing" || fail "$1: bundle --rm left something"
}
check_source oci:L:t t
check_source oci:Lgz:t t
check_source oci:Lzst:t t
check_source skopeo-oci.tar t
check_source podman-oci.tar localhost/t:latest
check_source podman-docker.tar localhost/t:latest

# --- User by name through the image's /etc/passwd and /etc/group; -e; CMD after --
umoci config --image L:t --tag u --config.user nobody:nogroup --config.env GREETING=hello --config.env KEEP=1
rm -rf S; "$img" --store S load oci:L:u >/dev/null
"$img" --store S bundle -e GREETING=bye -e EXTRA=x u B -- sh -c 'echo $GREETING $KEEP $EXTRA; id -u; id -g' \
	&& [ "$(jq -c .process.user B/config.json)" = '{"uid":65534,"gid":65534}' ] \
	&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b B "img-u$$" 2>&1 | tr '\n' ' ')" = "bye 1 x 65534 65534 " ] \
	&& pass "User nobody:nogroup from the image's files, -e overrides Env, -- replaces Cmd" \
	|| fail "user/env/cmd: $(jq -c .process B/config.json)"
"$img" --store S bundle --rm B

# --- multi-arch: this machine's platform by default, --platform to choose, a clear error
# listing what the image has; an index entry without a platform is read from its config
rm -rf S Lm; cp -a L Lm; python3 "$here/index.py" Lm t
arch_of() { "$img" --store S inspect "$1" | jq -r '[.os, .architecture, .variant // empty] | join("/")'; }
machine=$(uname -m)
if [ "$machine" = x86_64 ]; then
	"$img" --store S load oci:Lm:multi >/dev/null && [ "$(arch_of multi)" = linux/amd64 ] \
		&& pass "index: this machine's manifest picked" || fail "index: picked $(arch_of multi)"
	"$img" --store S load oci:Lm:multi-noplat >/dev/null && [ "$(arch_of multi-noplat)" = linux/amd64 ] \
		&& pass "index entry without a platform: read from the config" || fail "index without platform"
fi
"$img" --store S load --platform linux/arm64 oci:Lm:multi >/dev/null && [ "$(arch_of multi)" = linux/arm64/v8 ] \
	&& pass "--platform linux/arm64 picks arm64/v8" || fail "--platform: $(arch_of multi)"
[ "$(ls S/layers | wc -l)" = 2 ] && pass "two images over the same layers store them once" \
	|| fail "layers stored: $(ls S/layers)"
chain=$(python3 -c 'import hashlib, json, sys
ids = json.load(open(sys.argv[1]))["rootfs"]["diff_ids"]; c = [ids[0]]
for d in ids[1:]: c.append("sha256:" + hashlib.sha256((c[-1] + " " + d).encode()).hexdigest())
print(" ".join(sorted(x[7:] for x in c)))' "$(jq -r '.config.digest | sub("sha256:"; "Lm/blobs/sha256/")' \
	"Lm/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' Lm/index.json)")")
[ "$(ls S/layers | sort | tr '\n' ' ' | sed 's/ $//')" = "$chain" ] && pass "layer directories are named by chain ID" \
	|| fail "layer names $(ls S/layers) are not the chain IDs $chain"
rm -rf S
if "$img" --store S load --platform linux/riscv64 oci:Lm:multi 2>plat.err; then fail "riscv64 loaded"
elif grep -q 'linux/arm64/v8, linux/amd64' plat.err && [ ! -e S/names.json ]; then
	pass "no matching platform: $(cat plat.err)"
else fail "no matching platform: $(cat plat.err)"; fi

# --- a layer blob with one byte changed (same size): refused by name, nothing committed
corrupt() { # LAYOUT LAYER-INDEX [TEXT]: a byte changed in that layer's blob (in TEXT, or its middle)
	rm -rf S Lbad; cp -a "$1" Lbad
	layer=$(jq -r ".layers[$2].digest" "Lbad/blobs/sha256/$(jq -r '.manifests[0].digest' Lbad/index.json | cut -d: -f2)")
	python3 -c 'import sys; p, t = sys.argv[1], sys.argv[2].encode(); b = bytearray(open(p, "rb").read())
i = b.find(t) if t else len(b) // 2; assert i >= 0; b[i] ^= 1; open(p, "wb").write(b)' \
		"Lbad/blobs/sha256/${layer#sha256:}" "${3:-}"
	if "$img" --store S load oci:Lbad:t 2>bad.err; then fail "corrupted blob $1 #$2 loaded"
	elif grep -q "${layer#sha256:}" bad.err && [ "$(ls S/layers | wc -l)" -le "$2" ] && ! ls S/layers | grep -q tmp \
		&& [ ! -e S/names.json ]; then pass "corrupted blob $1 #$2 refused naming it: $(cat bad.err)"
	else fail "corrupted blob $1 #$2: $(cat bad.err); layers: $(ls S/layers)"; fi
}
corrupt Lgz 1   # a damaged gzip stream
# a valid tar with other content (docker archives hold plain tars): only the diff ID catches it
rm -rf S; cp podman-docker.tar bad-docker.tar
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); i = b.find(b"kept from the base"); assert i >= 0
b[i] ^= 1; open(sys.argv[1], "wb").write(b)' bad-docker.tar
if "$img" --store S load bad-docker.tar 2>bad.err; then fail "docker archive with a changed file loaded"
elif grep -q 'digest mismatch' bad.err && [ -z "$(find S/layers -mindepth 1)" ] && [ ! -e S/names.json ]; then
	pass "changed layer content refused: $(cat bad.err)"
else fail "changed layer content: $(cat bad.err); layers: $(ls S/layers)"; fi

# --- hostile layers: contained or refused, nothing outside the layer directory changes
mkdir -p outside; echo victim > outside/victim
hostile() { # KIND [LOAD OPTIONS]
	kind=$1; shift
	rm -rf S H; umoci init --layout H >/dev/null; umoci new --image H:h
	HOSTILE_TARGET="$T/outside" python3 "$here/layers.py" hostile "$kind" h.tar
	umoci raw add-layer --image H:h h.tar
	if "$img" --store S load "$@" oci:H:h 2>h.err; then r=loaded; else r=refused; fi
	[ ! -e outside/planted ] && [ ! -e "$T/escaped" ] && [ ! -e S/escaped ] && [ "$(cat outside/victim)" = victim ] \
		&& ! ls S/layers | grep -q . && echo "$r"
}
[ "$(hostile dotdot)" = refused ] && pass "'../' entry refused: $(cat h.err)" || fail "'../' entry: $(cat h.err)"
[ "$(hostile symlink)" = refused ] && pass "write through an absolute symlink refused: $(cat h.err)" \
	|| fail "symlink write-through: $(cat h.err)"
[ "$(hostile hardlink)" = refused ] && pass "hardlink out of the layer refused: $(cat h.err)" || fail "hardlink: $(cat h.err)"
[ "$(hostile whiteout)" = refused ] && pass "whiteout through a symlink refused: $(cat h.err)" || fail "whiteout: $(cat h.err)"
[ "$(hostile big --max-layer-bytes 65536)" = refused ] && grep -q 'more than' h.err \
	&& pass "layer over the byte budget refused: $(cat h.err)" || fail "budget: $(cat h.err)"

# --- SIGKILL during load at random moments: the store stays usable, nothing half-visible
rm -rf S
dd if=/dev/urandom of=noise bs=1M count=48 status=none
mkdir -p big/noise && cp noise big/noise/a && cp noise big/noise/b
tar -C big -cf big.tar noise
cp -a Lgz Lbig && umoci raw add-layer --image Lbig:t big.tar && skopeo copy -q --dest-compress oci:Lbig:t oci:Lbigz:t
killed_ok=1
for i in 1 2 3 4 5 6; do
	"$img" --store S load oci:Lbigz:t >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(shuf -i 0-60 -n 1)"
	kill -KILL $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	"$img" --store S ls >/dev/null && "$img" --store S gc >/dev/null || killed_ok=0
	ls S/layers S/blobs/sha256 | grep -q tmp && killed_ok=0
	# a name is there only with all its layers
	if [ -s S/names.json ] && jq -e .t S/names.json >/dev/null; then
		"$img" --store S bundle t B && "$img" --store S bundle --rm B || killed_ok=0
	fi
done
"$img" --store S load oci:Lbigz:t >/dev/null && "$img" --store S bundle t B \
	&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b B "img-k$$" 2>&1)" = "$expected" ] || killed_ok=0
"$img" --store S bundle --rm B || killed_ok=0
noise=$(find S/layers -path '*/noise/a')
[ "$(fincore --bytes --noheadings -o RES "$noise" | tr -d " ")" = 0 ] \
	&& pass "written layer pages are dropped from the page cache after their sync" \
	|| fail "$(fincore "$noise") still cached after load"
[ $killed_ok = 1 ] && pass "SIGKILL during load x6: ls, gc and the next load are clean" || fail "store after SIGKILL"
"$img" --store S tag t app:2 && "$img" --store S rm t && "$img" --store S bundle app:2 B && "$img" --store S bundle --rm B \
	&& "$img" --store S df | grep -q '^layers .* [1-9][0-9]* bytes' && "$img" --store S tag app:2 t && "$img" --store S rm app:2 \
	&& pass "tag gives a second name; rm of one keeps the image; df counts the layers" || fail "tag/rm/df"
# --- gc keeps what a bundle uses after its name is gone; rm + bundle --rm + gc empty the store
"$img" --store S bundle t B && "$img" --store S rm t && [ "$(ls S/layers | wc -l)" = 3 ] \
	&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b B "img-g$$" 2>&1)" = "$expected" ] \
	&& pass "rm of a name a bundle uses keeps the bundle's layers" || fail "rm under a bundle: $(ls S/layers)"
"$img" --store S bundle --rm B && "$img" --store S gc >/dev/null \
	&& [ -z "$(find S/layers S/blobs/sha256 S/bundles -mindepth 1)" ] && [ "$(jq length S/names.json)" = 0 ] \
	&& pass "bundle --rm then gc empty the store" || fail "gc left: $(find S -mindepth 2)"

# --- a .NET app image written by the .NET SDK, run under pith and pith-shim (image cached in BUILD)
"$here/dotnet.sh" "$build" || fail ".NET SDK image (tests/image/dotnet.sh)"

[ $fails = 0 ] && echo "image tests: all passed" || { echo "image tests: $fails failed" >&2; exit 1; }
