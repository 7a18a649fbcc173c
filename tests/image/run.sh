#!/bin/sh
# pith-image against producers nobody here wrote (umoci, skopeo, podman), with no network:
# every source format loads, bundles, runs under pith, and unpacks to exactly the tree
# `umoci unpack` makes; a corrupted blob, hostile layers and a SIGKILLed load are handled.
# usage: run.sh BUILD_DIR   (as root)
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || { tier_skip "image tests" "they need root (overlay, owners)"; exit 0; }
for tool in umoci skopeo podman python3; do
	command -v $tool >/dev/null || { tier_skip "image tests" "$tool is not installed"; exit 0; }
done
T=$(mktemp -d "$build/image-test.XXXXXX")
bundles=""
# a private dockerd of the docker save test, stopped by its pid
dockerd_stop() {
	[ -n "${dk_pid:-}" ] || return 0
	kill "$dk_pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$dk_pid" 2>/dev/null || break; sleep 0.2; done
	kill -KILL "$dk_pid" 2>/dev/null || true
	wait "$dk_pid" 2>/dev/null || true
	dk_pid=
	[ -z "${made_etc_docker:-}" ] || rmdir /etc/docker
	made_etc_docker=
}
cleanup() {
	dockerd_stop
	for b in $bundles; do [ -d "$b" ] && "$build/pith-image" --store "$T/S" bundle --rm "$b" 2>/dev/null || true; done
	# a mount can hold another (an overlay's upper on a tmpfs): passes until none is left
	for _ in 1 2 3; do
		for m in $(awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount "$m" 2>/dev/null || true; done
	done
	for m in $(awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" || true; done
	rm -rf "$T"
}
trap cleanup EXIT
img="$build/pith-image"

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

# --- --tmpfs-upper: the container's writes land on a tmpfs, not on the disk; --rm unmounts it
rm -rf S; "$img" --store S load oci:L:t >/dev/null
bundles="$bundles $T/Bt"
"$img" --store S bundle --tmpfs-upper t Bt -- sh -c 'echo x > /tmp/written && cat /data/keep' >/dev/null
out=$(timeout 60 "$build/pith" --root "$T/run" run -b Bt "img-t$$" 2>&1) || true
[ "$out" = "kept from the base layer" ] && [ "$(stat -f -c %T Bt/tmpfs/upper/tmp/written 2>/dev/null)" = tmpfs ] \
	&& [ -z "$(find "$T" -xdev -name written)" ] && pass "--tmpfs-upper: the container's write is on a tmpfs only" \
	|| fail "--tmpfs-upper: $out; $(find "$T" -name written -exec stat -f -c '%n %T' {} +)"
"$img" --store S bundle --rm Bt && [ ! -e Bt ] && ! grep -q " $T/Bt/" /proc/self/mounts \
	&& pass "--tmpfs-upper: bundle --rm unmounts the tmpfs and removes the bundle" || fail "--tmpfs-upper --rm: $(grep " $T/Bt" /proc/self/mounts)"
# --- no overlayfs: a bundle inside an overlay mount (overlayfs refuses an overlay as upper:
# what pith-image meets inside a container) gets a copy of the layers, with a note; the copy
# equals umoci's tree, runs, and --rm removes it; --no-overlay asks for the copy
mkdir -p ov/l ov/u ov/w ov/m && mount -t overlay overlay -o "lowerdir=$T/ov/l,upperdir=$T/ov/u,workdir=$T/ov/w" ov/m
bundles="$bundles $T/ov/m/B $T/Bc"
if "$img" --store S bundle t ov/m/B 2>copy.err && grep -q 'note: no overlay (Invalid argument): the 2 layers were copied' copy.err \
	&& ! grep -q " $T/ov/m/B/rootfs " /proc/self/mounts && python3 "$here/compare.py" ov/m/B/rootfs U/rootfs >compare.out \
	&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b ov/m/B "img-c$$" 2>&1)" = "$expected" ]; then
	pass "overlayfs refused: layers copied ($(tail -1 compare.out)), the note says so: $(cat copy.err)"
else fail "copy fallback: $(cat copy.err) $(cat compare.out 2>/dev/null)"; fi
"$img" --store S bundle --rm ov/m/B && [ ! -e ov/m/B ] && pass "bundle --rm removes a copied rootfs" || fail "--rm of a copy"
# --tmpfs-upper there is a real overlay again: its upper is on the tmpfs, not on the overlay
bundles="$bundles $T/ov/m/B2"
"$img" --store S bundle --tmpfs-upper t ov/m/B2 2>copy.err && grep -q " $T/ov/m/B2/rootfs overlay " /proc/self/mounts \
	&& [ ! -s copy.err ] && "$img" --store S bundle --rm ov/m/B2 && [ ! -e ov/m/B2 ] \
	&& pass "--tmpfs-upper inside an overlay: an overlay rootfs, no copy" || fail "--tmpfs-upper inside an overlay: $(cat copy.err)"
umount ov/m
"$img" --store S bundle --no-overlay t Bc 2>copy.err && grep -q 'note: no overlay (--no-overlay)' copy.err \
	&& python3 "$here/compare.py" Bc/rootfs U/rootfs >compare.out && "$img" --store S bundle --rm Bc && [ ! -e Bc ] \
	&& pass "--no-overlay copies the layers ($(tail -1 compare.out))" || fail "--no-overlay: $(cat copy.err) $(cat compare.out)"

# --- docker save: a private dockerd (its own data-root, exec-root, socket; no iptables, no
# bridge; in a mount namespace of its own where a tmpfs covers /etc/docker, so its key.json and
# overlay mounts never reach the host) loads the test image from a skopeo docker-archive and
# imports a second one; `docker save` of both is one archive, and pith-image loads and runs both
if command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; then
	D=$T/dk; mkdir -p "$D"
	# the mount point of that tmpfs; made here (and removed by the trap) only when missing
	[ -d /etc/docker ] || { mkdir /etc/docker && made_etc_docker=1; }
	echo '{"iptables": false, "ip-forward": false, "ip-masq": false, "bridge": "none", "storage-driver": "overlay2",
	 "exec-opts": ["native.cgroupdriver=cgroupfs"], "features": {"buildkit": false}}' >"$D/daemon.json"
	DK="env DOCKER_HOST=unix://$D/sock DOCKER_CONFIG=$D/client /usr/bin/docker"
	unshare --mount --propagation private sh -c 'mount -t tmpfs -o size=1m tmpfs /etc/docker && exec "$@"' sh \
		dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" -H "unix://$D/sock" \
		--pidfile "$D/pid" >"$D/log" 2>&1 &
	dk_pid=$!
	for _ in $(seq 1 100); do $DK version >/dev/null 2>&1 && break; sleep 0.2; done
	skopeo copy -q oci:L:t docker-archive:dk-in.tar:pith/t:1
	if $DK load -q -i dk-in.tar >dk.out 2>&1 && tar -C "$build/fixtures/rootfs" -c . \
		| $DK import --change 'CMD ["/bin/sh", "-c", "echo imported"]' - pith/imported:1 >>dk.out 2>&1 \
		&& $DK save -o docker-two.tar pith/t:1 pith/imported:1 >>dk.out 2>&1; then :
	else fail "docker load/import/save: $(cat dk.out) $(tail -3 "$D/log")"; fi
	dockerd_stop
	rm -rf S load.out compare.out
	if [ -s docker-two.tar ] && "$img" --store S load docker-two.tar >load.out 2>&1 && [ "$(grep -c '^loaded ' load.out)" = 2 ] \
		&& "$img" --store S bundle pith/t:1 Bd && python3 "$here/compare.py" Bd/rootfs U/rootfs >compare.out \
		&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b Bd "img-d$$" 2>&1)" = "$expected" ] \
		&& "$img" --store S bundle pith/imported:1 Bi \
		&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b Bi "img-i$$" 2>&1)" = imported ]; then
		pass "docker save of two images: both load, the test image equals umoci's ($(tail -1 compare.out)), both run"
	else fail "docker save: $(cat load.out) $(cat compare.out 2>/dev/null)"; fi
	bundles="$bundles $T/Bd $T/Bi"
	for b in Bd Bi; do [ ! -d $b ] || "$img" --store S bundle --rm $b; done
else
	echo "skip docker save: dockerd or /usr/bin/docker is not installed"
fi

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
[ "$(hostile abs-hardlink)" = refused ] && grep -q 'Path is absolute' h.err && pass "hardlink to an absolute path refused: $(cat h.err)" \
	|| fail "absolute hardlink: $(cat h.err)"
[ "$(hostile whiteout)" = refused ] && pass "whiteout through a symlink refused: $(cat h.err)" || fail "whiteout: $(cat h.err)"
for bad in "--max-ratio abc" "--max-ratio -1" "--max-layer-bytes 12k" "--max-ratio 4294967296"; do
	# shellcheck disable=SC2086
	if "$img" --store S load $bad oci:L:t 2>h.err; then fail "load $bad accepted"
	elif grep -q "expected a number" h.err && [ ! -e S/names.json ]; then :; else fail "load $bad: $(cat h.err)"; fi
done
pass "bad numbers for --max-ratio and --max-layer-bytes are refused by name: $(cat h.err)"
[ "$(hostile big --max-layer-bytes 65536)" = refused ] && grep -q 'more than' h.err \
	&& pass "layer over the byte budget refused: $(cat h.err)" || fail "budget: $(cat h.err)"

# a gzip bomb (1 MB inflating to 1 GiB of zeros in 64 files, none big alone): refused by the ratio
# rule (more than --max-ratio 100 times its compressed size, past 64 MiB), and with that rule off,
# by the free space of the store's filesystem (a 48 MiB tmpfs); nothing committed either way
python3 "$here/layers.py" bomb Bomb
nothing_in() { [ -z "$(find "$1/layers" -mindepth 1)" ] && [ ! -e "$1/names.json" ]; }
rm -rf S; if "$img" --store S load oci:Bomb:h 2>h.err; then fail "gzip bomb loaded"
elif grep -q 'decompression bomb' h.err && nothing_in S; then pass "gzip bomb refused: $(cat h.err)"
else fail "gzip bomb: $(cat h.err)"; fi
mkdir -p small && mount -t tmpfs -o size=48m tmpfs small
if "$img" --store small/S load --max-ratio 0 oci:Bomb:h 2>h.err; then fail "gzip bomb loaded into 48 MiB"
elif grep -q 'free on the store' h.err && nothing_in small/S; then pass "gzip bomb over the store's free space refused: $(cat h.err)"
else fail "gzip bomb, small store: $(cat h.err)"; fi
umount small
# a gzip layer of four members, two of their headers split across the reader's blocks: all of
# the tar is read (its diff ID is checked), whichever decompressor takes gzip (inflate.c or libarchive)
python3 "$here/layers.py" members Mem
rm -rf S; if "$img" --store S load oci:Mem:h >/dev/null 2>h.err \
	&& [ "$(cat S/layers/*/members/small)" = "after the member boundaries" ]; then
	pass "a gzip layer of 4 members, headers split across reads, loads whole"
else fail "gzip members: $(cat h.err)"; fi
# a header claiming a 1 TiB file is refused before a byte is written; a 1 TiB sparse file (GNU tar,
# pax sparse map) is kept sparse: its size is 1 TiB, its blocks a few KiB
python3 "$here/layers.py" claim Claim
rm -rf S; if "$img" --store S load oci:Claim:h 2>h.err; then fail "1 TiB claim loaded"
elif grep -q 'huge: claims 1099511627776 bytes' h.err && nothing_in S; then pass "1 TiB claim refused: $(cat h.err)"
else fail "1 TiB claim: $(cat h.err)"; fi
mkdir -p sp && python3 -c 'import sys; f = open(sys.argv[1], "wb"); f.seek((1 << 40) - 4); f.write(b"end\n")' sp/huge
tar --sparse --format=pax -C sp -cf sparse.tar huge && rm -rf sp && python3 "$here/layers.py" layout Sparse sparse.tar
rm -rf S; huge=
"$img" --store S load oci:Sparse:h >/dev/null 2>h.err && huge=$(find S/layers -name huge)
if [ -n "$huge" ] && [ "$(stat -c %s "$huge")" = 1099511627776 ] && [ "$(stat -c %b "$huge")" -lt 256 ] \
	&& [ "$(tail -c 4 "$huge")" = end ]; then pass "1 TiB sparse file stored sparse ($(stat -c %b "$huge") blocks)"
else fail "sparse file: $(cat h.err) $([ -n "$huge" ] && stat -c '%s %b' "$huge")"; fi
# device nodes: kept as root (the test image has dev/pith-null, compared with umoci's above);
# refused, by name, when root only in a user namespace
python3 "$here/layers.py" hostile device dev.tar && python3 "$here/layers.py" layout Dev dev.tar
rm -rf S; if ! unshare --user --map-root-user true 2>/dev/null; then echo "skip device node in a user namespace: no user namespaces here"
elif unshare --user --map-root-user "$img" --store S load oci:Dev:h 2>h.err; then fail "device node loaded in a user namespace"
elif grep -q 'dev/sda: a device node (block 8:0)' h.err && nothing_in S; then pass "device node refused when rootless: $(cat h.err)"
else fail "device node in a user namespace: $(cat h.err)"; fi
rm -rf S; "$img" --store S load oci:Dev:h >/dev/null && [ "$(stat -c '%t:%T' S/layers/*/dev/sda)" = 8:0 ] \
	&& pass "device node kept as root" || fail "device node as root"
# --no-setuid: setuid and setgid bits off regular files (the files are kept; a setgid directory,
# which only passes its group on, stays); without it they stay
python3 "$here/layers.py" hostile setuid su.tar && python3 "$here/layers.py" layout Suid su.tar
modes() { stat -c %a S/layers/*/bin/suid S/layers/*/bin/sgid S/layers/*/shared | tr '\n' ' '; }
rm -rf S; "$img" --store S load --no-setuid oci:Suid:h >/dev/null && [ "$(modes)" = "755 711 2775 " ] \
	&& [ "$(cat S/layers/*/bin/suid)" = '#!/bin/sh' ] && pass "--no-setuid drops the bits, keeps the files" \
	|| fail "--no-setuid: $(modes)"
rm -rf S; "$img" --store S load oci:Suid:h >/dev/null && [ "$(modes)" = "4755 2711 2775 " ] \
	&& pass "without --no-setuid the bits stay" || fail "setuid kept: $(modes)"
# a layer already in the store with the bits (loaded without the flag) is refused, not shared
if "$img" --store S load --no-setuid oci:Suid:h 2>h.err; then fail "--no-setuid over a stored setuid layer loaded"
elif grep -q 'with setuid or setgid files' h.err && [ "$(modes)" = "4755 2711 2775 " ]; then
	pass "--no-setuid refuses a stored layer that has the bits: $(cat h.err)"
else fail "--no-setuid over a stored layer: $(cat h.err)"; fi
# a hardlink to a file of the layer below, in a directory this layer has no entry for: the
# target is copied up (owner, mode, setuid bit, parent directory like the lower's), the
# rootfs equals umoci's, and the lower layer's file is untouched; a hardlink to a file this
# layer deleted is refused
python3 "$here/layers.py" hl-lower hlo.tar && python3 "$here/layers.py" hl-upper hup.tar
python3 "$here/layers.py" hl-deleted hdel.tar
rm -rf S Hl Hd Uh; umoci init --layout Hl && umoci new --image Hl:h && umoci raw add-layer --image Hl:h hlo.tar
umoci config --image Hl:h --config.cmd /bin/true && cp -a Hl Hd
umoci raw add-layer --image Hl:h hup.tar && umoci raw add-layer --image Hd:h hdel.tar
umoci unpack --image Hl:h Uh >/dev/null
bundles="$bundles $T/Bh"
if "$img" --store S load oci:Hl:h >/dev/null 2>h.err && "$img" --store S bundle h Bh 2>>h.err \
	&& python3 "$here/compare.py" Bh/rootfs Uh/rootfs >compare.out \
	&& [ "$(stat -c '%h %a %u' S/layers/*/lib/x | sort | tr '\n' ' ')" = "1 4750 1000 2 4750 1000 " ]; then
	pass "hardlink to a lower layer's file: copied up ($(tail -1 compare.out))"
else fail "hardlink to a lower layer: $(cat h.err) $(cat compare.out 2>/dev/null)"; fi
"$img" --store S bundle --rm Bh
# entries of an upper layer in directories only the lower layer has entries for
python3 "$here/layers.py" parents-lower plo.tar && python3 "$here/layers.py" parents-upper pup.tar
rm -rf Pl Up; umoci init --layout Pl && umoci new --image Pl:h && umoci raw add-layer --image Pl:h plo.tar
umoci raw add-layer --image Pl:h pup.tar && umoci config --image Pl:h --config.cmd /bin/true
umoci unpack --image Pl:h Up >/dev/null
bundles="$bundles $T/Bp"
if "$img" --store S load oci:Pl:h >/dev/null 2>h.err && "$img" --store S bundle h Bp 2>>h.err \
	&& python3 "$here/compare.py" Bp/rootfs Up/rootfs >compare.out; then
	pass "upper entries in the lower's directories keep their owner and mode ($(tail -1 compare.out))"
else fail "directories made for upper entries: $(cat h.err) $(cat compare.out)"; fi
[ ! -d Bp ] || "$img" --store S bundle --rm Bp
if "$img" --store S load oci:Hd:h 2>h.err; then fail "hardlink to a deleted file loaded"
elif grep -q 'lib/dead: hardlink to lib/gone, which no layer below has' h.err; then pass "hardlink to a deleted file refused: $(cat h.err)"
else fail "hardlink to a deleted file: $(cat h.err)"; fi

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
# several names in one rm (a service's pith-shim/ID:* names): one not there is the error, the others go
"$img" --store S tag t a1 && "$img" --store S tag t a2
if "$img" --store S rm a1 no/such:1 a2 2>rm.err; then fail "rm of a missing name succeeded"
elif grep -q 'no/such:1: not in the store' rm.err && ! "$img" --store S ls | grep -q -e '^a1 ' -e '^a2 ' \
	&& "$img" --store S inspect t >/dev/null; then pass "rm a1 no/such:1 a2: a1 and a2 go, t stays, exit 1: $(cat rm.err)"
else fail "rm of several names: $(cat rm.err); $("$img" --store S ls)"; fi
# --- gc keeps what a bundle uses after its name is gone; rm + bundle --rm + gc empty the store
"$img" --store S bundle t B && "$img" --store S rm t && [ "$(ls S/layers | wc -l)" = 3 ] \
	&& [ "$(timeout 60 "$build/pith" --root "$T/run" run -b B "img-g$$" 2>&1)" = "$expected" ] \
	&& pass "rm of a name a bundle uses keeps the bundle's layers" || fail "rm under a bundle: $(ls S/layers)"
"$img" --store S bundle --rm B && "$img" --store S gc >/dev/null \
	&& [ -z "$(find S/layers S/blobs/sha256 S/bundles -mindepth 1)" ] && [ "$(jq length S/names.json)" = 0 ] \
	&& pass "bundle --rm then gc empty the store" || fail "gc left: $(find S -mindepth 2)"

# --- pith-shim --image and its update flow: a script of its own, on its own store
"$here/shim.sh" "$build" || fail "pith-shim --image (tests/image/shim.sh)"
# --- the same images from a registry: tests/image/pull.sh
printf '%s\n' "$expected" > "$T/expected.txt"
"$here/pull.sh" "$build" "$T" || fails=$((fails + 1))
# --- which libcurl pith-image-pull links, and the build without the network
"$here/curl-build.sh" "$build" || fails=$((fails + 1))
# --- a .NET app image written by the .NET SDK, run under pith and pith-shim (image cached in BUILD)
"$here/dotnet.sh" "$build" || fail ".NET SDK image (tests/image/dotnet.sh)"
# --- the SDK's linux-x64 + linux-arm64 index from a registry: platform, digests, pith-shim (cached in BUILD)
"$here/dotnet-multiarch.sh" "$build" || fail "multi-arch .NET image (tests/image/dotnet-multiarch.sh)"

[ $fails = 0 ] && echo "image tests: all passed" || { echo "image tests: $fails failed" >&2; exit 1; }
