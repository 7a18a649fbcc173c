#!/bin/bash
# A multi-arch .NET image as a fleet gets it: the .NET SDK publishes the app for linux-x64 and
# linux-arm64 in one `dotnet publish -t:PublishContainer` (ContainerRuntimeIdentifiers) over a
# multi-arch base, and pushes the index to a docker-registry on loopback. Then pith-image pull of
# the tag picks this machine's manifest, which prints its line under `pith run` and under
# `pith-shim --image --pull newer`; `--platform linux/arm64` picks the other manifest (an
# aarch64 app); pulls by the digest of either manifest, and of the index, are pinned to it.
# The app is self-contained (no arm64 runtime lives on this machine to put in a base), so its
# runtime packs come from NuGet's configured feed, once, into BUILD/boards/dotnet-nuget (the
# arm64 board's cache). The registry's storage is kept in BUILD/image-dotnet-multiarch and
# remade only when this script or the app's sources change; a cached run serves it again.
# usage: dotnet-multiarch.sh BUILD_DIR   (as root; called by run.sh)
set -euo pipefail
build=$(cd "${1:?usage: dotnet-multiarch.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
. "$here/lib.sh"
. "$here/registry.sh"
[ "$(uname -m)" = x86_64 ] || tier_skip "multi-arch .NET image test" "its amd64 base is this machine's files (x86_64 only)"
for t in dotnet umoci skopeo docker-registry curl jq file python3; do
	command -v $t >/dev/null || tier_skip "multi-arch .NET image test" "$t is not installed"
done
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] ||
	tier_skip "multi-arch .NET image test" "no arm64 glibc for the base (libc6-arm64-cross, libstdc++6-arm64-cross)"
cache=$build/image-dotnet-multiarch
mkdir -p "$cache"
T=$(mktemp -d "$build/image-dotnet-multiarch.XXXXXX")
id=img-dnm-$$
cleanup() {
	"$build/pith" --root "$T/run" delete --force "$id" >/dev/null 2>&1 || true
	[ ! -d "$T/B" ] || "$build/pith-image" --store "$T/S" bundle --rm "$T/B" 2>/dev/null || true
	[ ! -d "$T/Ba" ] || "$build/pith-image" --store "$T/Sa" bundle --rm "$T/Ba" 2>/dev/null || true
	umount_under "$T"
	[ -z "${REGISTRY_PID:-}" ] || { kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT

# --- the base's rootfs for one architecture: glibc, libgcc_s, libstdc++ (what a self-contained
# app with invariant globalization loads), /etc/passwd with the app user, /tmp; merged /usr
base_rootfs() { # DIR TRIPLET LIBDIR INTERPRETER (its path in the image, under usr/)
	local d=$1 triplet=$2 libs=$3 interp=$4 f
	mkdir -p "$d/usr/lib/$triplet" "$d/$(dirname "$interp")" "$d/etc" "$d/tmp" "$d/app"
	chmod 1777 "$d/tmp"
	for f in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1 libstdc++.so.6; do
		cp -L "$libs/$f" "$d/usr/lib/$triplet/$f"
	done
	cp -L "$libs/$(basename "$interp")" "$d/$interp"
	for f in lib lib64; do [ ! -d "$d/usr/$f" ] || ln -s "usr/$f" "$d/$f"; done
	printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\n' > "$d/etc/passwd"
	printf 'root:x:0:\napp:x:1654:\n' > "$d/etc/group"
}

make_image() {
	local w=$cache/work arch
	rm -rf "$w" "$cache/registry" "$cache/stamp"
	mkdir -p "$w"
	base_rootfs "$w/amd64" x86_64-linux-gnu /lib/x86_64-linux-gnu usr/lib64/ld-linux-x86-64.so.2
	base_rootfs "$w/arm64" aarch64-linux-gnu /usr/aarch64-linux-gnu/lib usr/lib/ld-linux-aarch64.so.1
	umoci init --layout "$w/layout"
	for arch in amd64 arm64; do
		tar -C "$w/$arch" --owner=0 --group=0 -cf "$w/$arch.tar" .
		umoci new --image "$w/layout:$arch"
		umoci raw add-layer --image "$w/layout:$arch" "$w/$arch.tar"
		umoci config --image "$w/layout:$arch" --architecture=$arch --os=linux \
			--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--config.env APP_UID=1654 --config.env DOTNET_RUNNING_IN_CONTAINER=true
	done
	# one index over both, tagged "base", as Microsoft's runtime-deps tags are
	python3 - "$w/layout" <<-'EOF'
	import hashlib, json, os, sys
	layout = sys.argv[1]
	index = json.load(open(os.path.join(layout, "index.json")))
	entries = []
	for m in index["manifests"]:
	    arch = m["annotations"]["org.opencontainers.image.ref.name"]
	    entries.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
	                    "platform": {"os": "linux", "architecture": arch, **({"variant": "v8"} if arch == "arm64" else {})}})
	sub = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
	                  "manifests": entries}).encode()
	d = hashlib.sha256(sub).hexdigest()
	open(os.path.join(layout, "blobs", "sha256", d), "wb").write(sub)
	index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + d,
	                           "size": len(sub), "annotations": {"org.opencontainers.image.ref.name": "base"}})
	json.dump(index, open(os.path.join(layout, "index.json"), "w"))
	EOF
	registry_start "$cache"
	skopeo copy -q --all --dest-tls-verify=false "oci:$w/layout:base" "docker://localhost:$REGISTRY_PORT/base/deps:1"
	# the app, without the nuget.config that clears every feed: its runtime packs come from
	# the SDK's configured feed (no host name here), once
	mkdir -p "$w/src"
	cp "$here/dotnet-app/hello.csproj" "$here/dotnet-app/Program.cs" "$w/src/"
	# both RIDs restored and published, each self-contained: SelfContained=true on the command line would make the SDK
	# infer this machine's RID for the outer publish, which then writes one image, not an index
	cat > "$w/src/Directory.Build.props" <<-'EOF'
	<Project>
	  <PropertyGroup>
	    <ContainerRuntimeIdentifiers>linux-x64;linux-arm64</ContainerRuntimeIdentifiers>
	    <RuntimeIdentifiers>$(ContainerRuntimeIdentifiers)</RuntimeIdentifiers>
	    <SelfContained Condition="'$(RuntimeIdentifier)' != ''">true</SelfContained>
	  </PropertyGroup>
	</Project>
	EOF
	local nuget=$build/boards/dotnet-nuget
	env DOTNET_CLI_HOME="$nuget/home" NUGET_PACKAGES="$nuget/packages" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
		DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
		DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 \
		dotnet publish "$w/src/hello.csproj" -c Release -p:ArtifactsPath="$w/artifacts" -t:PublishContainer \
		-p:ContainerBaseImage="localhost:$REGISTRY_PORT/base/deps:1" -p:ContainerRegistry="localhost:$REGISTRY_PORT" \
		-p:ContainerRepository=apps/hello -p:ContainerImageTag=1 --nologo -v quiet \
		>"$cache/publish.log" 2>&1 </dev/null ||
		{ tail -n 20 "$cache/publish.log" >&2; echo "FAIL dotnet publish of the multi-arch image" >&2; exit 1; }
	kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null || true; REGISTRY_PID=
	rm -rf "$w"
	touch "$cache/stamp"
}

start=$(date +%s)
if [ -f "$cache/stamp" ] && [ -d "$cache/registry" ] &&
	[ -z "$(find "$here/dotnet-app" "$0" -newer "$cache/stamp" -type f 2>/dev/null)" ]; then
	made=cached
else
	make_image # (not `|| exit`: that would turn off set -e inside it)
	made="made in $(($(date +%s) - start)) s"
fi
registry_start "$cache"
R=127.0.0.1:$REGISTRY_PORT/apps/hello
cd "$T"

# --- what the SDK pushed, read from the registry itself: an index over linux/amd64 and linux/arm64
accept='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
curl -fsS -H "Accept: $accept" "http://127.0.0.1:$REGISTRY_PORT/v2/apps/hello/manifests/1" >index.json
curl -fsSI -H "Accept: $accept" "http://127.0.0.1:$REGISTRY_PORT/v2/apps/hello/manifests/1" |
	tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' >index.digest
want() { jq -r --arg a "$1" '.manifests[] | select(.platform.os == "linux" and .platform.architecture == $a) | .digest' index.json; }
amd=$(want amd64); arm=$(want arm64)
if [ "$(jq '.manifests | length' index.json)" = 2 ] && [ -n "$amd" ] && [ -n "$arm" ] && [ "$amd" != "$arm" ]; then
	pass "the SDK pushed one index ($(jq -r .mediaType index.json)) over linux/amd64 and linux/arm64 ($made)"
else fail "not a two-platform index: $(cat index.json)"; exit 1; fi

# --- pull of the tag: this machine's manifest, which runs under pith
img="$build/pith-image --store $T/S"
named() { jq -r --arg n "$1" '.[$n]' "$2/names.json"; }
if $img pull "$R:1" >pull.out 2>pull.err && [ "$(named "$R:1" S)" = "$amd" ] &&
	[ "$($img inspect "$R:1" | jq -r '.os + "/" + .architecture')" = linux/amd64 ]; then
	pass "pull $R:1 picks linux/amd64 on this machine: $amd"
else fail "pull of the tag: $(cat pull.err) $(named "$R:1" S 2>/dev/null)"; fi
ver=unknown expected=unknown
if $img bundle "$R:1" "$T/B" 2>bundle.err; then
	ver=$(jq -r '.runtimeOptions.includedFrameworks[] | select(.name == "Microsoft.NETCore.App") | .version' \
		"$T/B/rootfs/app/hello.runtimeconfig.json")
	expected="hello says hello from .NET $ver on X64 in /app"
	[ "$(jq -c '[.process.user.uid, .process.cwd, .process.args]' "$T/B/config.json")" = '[1654,"/app/",["/app/hello"]]' ] \
		&& pass "bundled as the SDK wrote it: user 1654 (the base's APP_UID), cwd /app/, the apphost /app/hello" \
		|| fail "bundle's process: $(jq -c .process "$T/B/config.json")"
	out=$(timeout 60 "$build/pith" --root "$T/run" run -b "$T/B" "$id" 2>&1 </dev/null) || true
	[ "$out" = "$expected" ] && pass "the pulled amd64 image runs under pith run: $out" || fail "under pith run: $out (wanted: $expected)"
	$img bundle --rm "$T/B"
else fail "bundle of the pulled image: $(cat bundle.err)"; fi

# --- the device service: pith-shim pulls the tag into an empty store, runs it, ends with it
rm -rf "$T/S"
timeout -k 5 120 "$build/pith-shim" --id "$id" --image "$R:1" --pull newer --store "$T/S" --runtime "$build/pith" \
	--root "$T/run" --log "$T/shim.log" --exit-file "$T/exit.json" --run-dir "$T/shim" \
	--foreground >shim.out 2>&1 </dev/null || true
line=$(awk '$2 == "stdout" { sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); print }' shim.log 2>/dev/null)
if [ "$line" = "$expected" ] && [ "$(jq -r '"\(.exit_code) \(.image)"' exit.json 2>/dev/null)" = "0 $amd" ] &&
	[ ! -e "$T/shim" ] && [ -z "$(ls "$T/S/bundles")" ]; then
	pass "pith-shim --image $R:1 --pull newer: pulled, ran $amd, exit 0: $line"
else fail "pith-shim --image: log: $(cat shim.log 2>/dev/null) exit: $(cat exit.json 2>/dev/null) $(cat shim.out)"; fi

# --- --platform linux/arm64: the other manifest, an arm64 config over an aarch64 app
img="$build/pith-image --store $T/Sa"
if $img pull --platform linux/arm64 "$R:1" >/dev/null 2>pull.err && [ "$(named "$R:1" Sa)" = "$arm" ] &&
	[ "$($img inspect "$R:1" | jq -r .architecture)" = arm64 ] && $img bundle "$R:1" "$T/Ba" 2>>pull.err &&
	file -L "$T/Ba/rootfs/app/hello" | grep -q 'ARM aarch64'; then
	pass "pull --platform linux/arm64 picks $arm: architecture arm64, $(file -bL "$T/Ba/rootfs/app/hello" | cut -d, -f1-2)"
else fail "--platform linux/arm64: $(cat pull.err) $(named "$R:1" Sa 2>/dev/null)"; fi
# no emulator is registered with binfmt_misc here, so pith cannot run it; qemu-user over the
# bundle's rootfs shows the arm64 image is whole (its app starts on its own base's glibc)
if [ -x "$T/Ba/rootfs/app/hello" ] && command -v qemu-aarch64-static >/dev/null; then
	out=$(cd "$T/Ba/rootfs/app" && timeout 300 qemu-aarch64-static -L "$T/Ba/rootfs" ./hello 2>&1 </dev/null) || true
	[ "$out" = "hello says hello from .NET $ver on Arm64 in $T/Ba/rootfs/app" ] \
		&& pass "the arm64 image's app runs on its own base under qemu-aarch64: $out" || fail "arm64 app under qemu: $out"
fi
[ ! -d "$T/Ba" ] || $img bundle --rm "$T/Ba"
# only that manifest's layers were fetched: none of the amd64 app's
n=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$REGISTRY_PORT/v2/apps/hello/manifests/$arm" | jq '.layers | length')
[ "$(ls "$T/Sa/layers" | wc -l)" = "$n" ] && pass "the arm64 pull stored its $n layers and no others" \
	|| fail "the arm64 pull stored $(ls "$T/Sa/layers" | wc -l) layers, its manifest has $n"
if $img pull --platform linux/riscv64 "$R:1" 2>pull.err >/dev/null; then fail "linux/riscv64 pulled"
elif grep -q 'linux/amd64' pull.err && grep -q 'linux/arm64' pull.err && [ "$(named "$R:1" Sa)" = "$arm" ]; then
	pass "--platform linux/riscv64: refused, the name keeps its image: $(cat pull.err)"
else fail "--platform linux/riscv64: $(cat pull.err) $(named "$R:1" Sa 2>/dev/null)"; fi

# --- by digest: each manifest pinned whatever the machine; the index's resolves to this machine's
rm -rf "$T/Sd"
img="$build/pith-image --store $T/Sd"
for d in "$arm" "$amd"; do
	if $img pull "$R@$d" >/dev/null 2>pull.err && [ "$(named "$R@$d" Sd)" = "$d" ]; then pass "pull by digest $R@$d"
	else fail "pull by digest $d: $(cat pull.err)"; fi
done
d=$(cat index.digest)
if [ -n "$d" ] && $img pull "$R@$d" >/dev/null 2>pull.err && [ "$(named "$R@$d" Sd)" = "$amd" ]; then
	pass "pull by the index's digest picks linux/amd64"
else fail "pull by the index digest $d: $(cat pull.err)"; fi

echo "multi-arch .NET image: $(($(date +%s) - start)) s ($made)"
[ $fails = 0 ]
