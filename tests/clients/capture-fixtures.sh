#!/bin/bash
# capture-fixtures.sh BUILD OUT: remake tests/fixtures/clients/{podman,containerd}-*.json from the
# real clients: podman 4.3 and containerd 1.6 (ctr) run the fixture rootfs with a runtime wrapper
# that copies the config.json each create gets, then runs runc. (docker-*.json come from
# docker.sh with FIXTURES=OUT, which also checks on every run that Docker still writes that shape.)
# Root, no network; everything is made under a temp dir and removed.
set -eu
BUILD=${1:?usage: capture-fixtures.sh BUILD OUT}
OUT=${2:?usage: capture-fixtures.sh BUILD OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/cgroup.sh"
T=$(mktemp -d /tmp/pith-capture.XXXXXX)
CG=/pith-test/capture
cpid=""
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	for c in $(cg_roots); do [ -d "$c$CG" ] && find "$c$CG" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$OUT" "$T/cfg"
cat > "$T/runtime" <<EOF
#!/bin/sh
prev=
for a in "\$@"; do
	[ "\$prev" = --bundle ] && cp "\$a/config.json" "$T/cfg/\$(date +%s%N).json"
	prev=\$a
done
exec runc "\$@"
EOF
chmod 755 "$T/runtime"
take() { local f; f=$(ls "$T/cfg" | tail -1); mv "$T/cfg/$f" "$OUT/$1"; rm -f "$T/cfg"/*; }

tar -C "$BUILD/fixtures/rootfs" --numeric-owner -cf "$T/rootfs.tar" .
P=(podman --root "$T/st" --runroot "$T/rr" --tmpdir "$T/tmp" --storage-driver vfs --cgroup-manager cgroupfs
   --runtime "$T/runtime")
R=(run --rm --network none --cgroup-parent "$CG" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
"${P[@]}" import "$T/rootfs.tar" localhost/capture:t >/dev/null
"${P[@]}" "${R[@]}" localhost/capture:t true && take podman-run.json
"${P[@]}" "${R[@]}" -m 64m --cpus 0.5 --pids-limit 50 --read-only --user 65534 --cap-drop all \
	localhost/capture:t true && take podman-run-limits.json
"${P[@]}" rm -af >/dev/null
"${P[@]}" rmi -af >/dev/null 2>&1 || true

mkdir -p "$T/cd"
sed "s|@DIR@|$T/cd|g" "$HERE/containerd.toml.in" > "$T/cd/config.toml"
"$HERE/mkoci.sh" "$BUILD/fixtures/rootfs" "$T/oci.tar" localhost/capture:t >/dev/null
containerd --config "$T/cd/config.toml" >"$T/cd/log" 2>&1 &
cpid=$!
C=(ctr --address "$T/cd/containerd.sock" -n capture)
for i in $(seq 100); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${C[@]}" image import "$T/oci.tar" >/dev/null
"${C[@]}" run --rm --runc-binary "$T/runtime" --cgroup "$CG/c1" localhost/capture:t c1 true && take containerd-run.json
"${C[@]}" run --rm --runc-binary "$T/runtime" --cgroup "$CG/c2" --memory-limit 67108864 --cpu-quota 50000 \
	--cpu-period 100000 --cpu-shares 512 --read-only localhost/capture:t c2 true && take containerd-run-limits.json
"${C[@]}" image rm localhost/capture:t >/dev/null
echo "capture-fixtures: $(ls "$OUT" | tr '\n' ' ')"
