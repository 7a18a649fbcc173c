#!/bin/bash
# The .NET probe as a linux/arm64 OCI image built by the .NET SDK itself (PublishContainer), for
# `pith image load` on the arm64 board once pith-image exists (see boards/README.md).
# Usage: image-arm64.sh BASE_ROOTFS OUT   -> OUT/dnprobe-arm64.tar (the SDK's image archive)
# BASE_ROOTFS holds what the app needs but not the app: glibc, libstdc++, libgcc_s, /etc/passwd
# (boards/extra-arm64.sh makes one). The SDK takes its base only from a registry, so the base goes
# to a Debian docker-registry on loopback for the length of this script (started and stopped here
# by pid), as an OCI image made with umoci and pushed with skopeo. The app's packs come from the
# cache publish-arm64.sh fills; nothing is fetched when they are there.
set -euo pipefail
base=${1:?usage: image-arm64.sh BASE_ROOTFS OUT}
out=${2:?usage: image-arm64.sh BASE_ROOTFS OUT}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
for t in dotnet umoci skopeo docker-registry; do
	command -v $t >/dev/null || { echo "image-arm64: $t is not installed" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
w=$out/image-work
rm -rf "$w"
mkdir -p "$w"

# 1. The base: one layer, linux/arm64.
umoci init --layout "$w/layout"
umoci new --image "$w/layout:base"
umoci config --image "$w/layout:base" --architecture=arm64 --os=linux
tar -C "$base" -cf "$w/base.tar" .
mkdir -p "$w/unpacked"
umoci unpack --rootless --image "$w/layout:base" "$w/unpacked" >/dev/null
tar -C "$w/unpacked/rootfs" -xf "$w/base.tar"
umoci repack --image "$w/layout:base" "$w/unpacked"
rm -rf "$w/unpacked" "$w/base.tar"

# 2. A registry on loopback, ours alone; stopped by its pid on every exit.
. "$top/tests/image/registry.sh"
trap '[ -z "${REGISTRY_PID:-}" ] || { kill $REGISTRY_PID 2>/dev/null; wait $REGISTRY_PID 2>/dev/null || true; }' EXIT
registry_start "$w"
port=$REGISTRY_PORT
skopeo copy -q --dest-tls-verify=false "oci:$w/layout:base" "docker://localhost:$port/base/dn:1"

# 3. The SDK builds the app image over it and writes an archive (no push).
src=$w/src
mkdir -p "$src"
cp "$here/probe/probe.csproj" "$here/probe/Program.cs" "$src/"
cache=$top/build/boards/dotnet-nuget
env DOTNET_CLI_HOME="$cache/home" NUGET_PACKAGES="$cache/packages" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
	DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
	DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 \
	dotnet publish "$src/probe.csproj" -c Release -r linux-arm64 -p:SelfContained=true -p:UseAppHost=true \
	-p:InvariantGlobalization=true -p:ArtifactsPath="$w/artifacts" -t:PublishContainer \
	-p:ContainerRuntimeIdentifier=linux-arm64 -p:ContainerBaseImage="localhost:$port/base/dn:1" \
	-p:ContainerRepository=dnprobe -p:ContainerImageTag=1 \
	-p:ContainerArchiveOutputPath="$out/dnprobe-arm64.tar" --nologo -v quiet >"$w/publish.log" 2>&1 </dev/null ||
	{ tail -n 20 "$w/publish.log" >&2; echo "image-arm64: PublishContainer failed" >&2; exit 1; }
echo "image-arm64: $out/dnprobe-arm64.tar ($(du -h "$out/dnprobe-arm64.tar" | cut -f1))" >&2
