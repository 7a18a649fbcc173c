#!/bin/bash
# .NET app images written by the .NET SDK itself (dotnet publish -t:PublishContainer with
# ContainerArchiveOutputPath), linux-x64, over a base made here from this machine's files:
#   layer 1  runtime-deps: glibc, libstdc++, libgcc, zlib, OpenSSL, ICU, tzdata, CA certificates
#            (the files of those Debian packages), /etc/passwd with an app user, /tmp
#   layer 2  the .NET runtime: the host, hostfxr, Microsoft.NETCore.App, Microsoft.AspNetCore.App
# as Microsoft's runtime images are layered. Two apps over the same base (hello, hello2), so a
# second load shares the base layers.
# Usage: dotnet-image.sh OUT   -> OUT/hello.tar, OUT/hello2.tar (the SDK writes OCI archives: its
# base is an OCI image; gzip layers)
# Cached: remade only when this script or the app's sources change. Nothing is fetched: the app is
# framework-dependent (the SDK's own packs) and the SDK pulls the base from a docker-registry on
# loopback, started and stopped here by pid. Exit 77 when a tool is missing.
set -euo pipefail
out=${1:?usage: dotnet-image.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
# the base is this machine's files, so only an x86_64 machine makes a linux-x64 image
[ "$(uname -m)" = x86_64 ] || { echo "dotnet-image: linux-x64 images are made on x86_64 machines only" >&2; exit 77; }
for t in dotnet umoci skopeo docker-registry curl python3; do
	command -v $t >/dev/null || { echo "dotnet-image: $t is not installed" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp=$out/images.stamp
if [ -f "$stamp" ] && [ -s "$out/hello.tar" ] && [ -s "$out/hello2.tar" ] &&
	[ -z "$(find "$here/dotnet-app" "$0" -newer "$stamp" -type f 2>/dev/null)" ]; then
	exit 0
fi
rm -f "$stamp" "$out/hello.tar" "$out/hello2.tar"
w=$out/work
rm -rf "$w"
mkdir -p "$w"
trap '[ -z "${REGISTRY_PID:-}" ] || { kill $REGISTRY_PID 2>/dev/null || true; wait $REGISTRY_PID 2>/dev/null || true; }; rm -rf "$w"' EXIT

# 1. runtime-deps: the packages' files, with the paths of a merged /usr (lib -> usr/lib, ...) so
# no entry goes through a symlink the layer itself makes
pkgs="libc6 libgcc-s1 libstdc++6 zlib1g libssl3 libicu72 tzdata ca-certificates"
# arch-all packages (tzdata, ca-certificates) answer only to their plain name
for p in $pkgs; do dpkg -L "$p:amd64" 2>/dev/null || dpkg -L "$p"; done |
	grep -v -E '^/\.$|^/usr/share/(doc|man|lintian|bug)(/|$)' |
	sed -E 's#^/(lib|lib64|bin|sbin)(/|$)#/usr/\1\2#' | sed 's#^/##' | sort -u |
	while read -r f; do [ -e "/$f" ] || [ -L "/$f" ] && echo "$f"; done | grep -v -x -E 'etc|tmp|app|bin|lib|lib64|sbin' \
	> "$w/deps.list"
mkdir -p "$w/top/etc" "$w/top/tmp" "$w/top/app"
chmod 1777 "$w/top/tmp"
for d in bin lib lib64 sbin; do ln -s "usr/$d" "$w/top/$d"; done
printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$w/top/etc/passwd"
printf 'root:x:0:\napp:x:1654:\nnogroup:x:65534:\n' > "$w/top/etc/group"
# each path once: podman refuses a layer that names one twice
tar -C "$w/top" --owner=0 --group=0 -cf "$w/deps.tar" app bin etc lib lib64 sbin tmp
tar -C / --no-recursion -rf "$w/deps.tar" -T "$w/deps.list"

# 2. the runtime, from this machine's install
shared=$(dotnet --list-runtimes | sed -n 's/^Microsoft\.NETCore\.App [^ ]* \[\(.*\)\]$/\1/p' | tail -n 1)
root=${shared%/shared/Microsoft.NETCore.App}
ver=$(ls "$shared" | sort -V | tail -n 1)
fxr=$(ls -d "$root"/host/fxr/* | sort -V | tail -n 1)
mkdir -p "$w/rt/usr/bin"
ln -s "../..$root/dotnet" "$w/rt/usr/bin/dotnet"
tar -C "$w/rt" --owner=0 --group=0 -cf "$w/runtime.tar" usr
tar -C / --owner=0 --group=0 -rf "$w/runtime.tar" "${root#/}/dotnet" "${root#/}/LICENSE.txt" "${fxr#/}" \
	"${root#/}/shared/Microsoft.NETCore.App/$ver" $(ls -d "$root/shared/Microsoft.AspNetCore.App/"* | sort -V | tail -n 1 | sed 's#^/##')

umoci init --layout "$w/layout"
umoci new --image "$w/layout:base"
umoci raw add-layer --image "$w/layout:base" "$w/deps.tar"
umoci raw add-layer --image "$w/layout:base" "$w/runtime.tar"
umoci config --image "$w/layout:base" --architecture=amd64 --os=linux \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--config.env APP_UID=1654 --config.env DOTNET_RUNNING_IN_CONTAINER=true \
	--config.env DOTNET_VERSION="$ver"

# 3. a registry on loopback, ours alone, for the SDK to pull the base from
. "$here/registry.sh"
registry_start "$w"
port=$REGISTRY_PORT
skopeo copy -q --dest-tls-verify=false "oci:$w/layout:base" "docker://localhost:$port/base/dotnet:$ver"

# 4. the SDK builds each app image over it and writes an archive (no push)
mkdir -p "$w/src"
cp "$here/dotnet-app/hello.csproj" "$here/dotnet-app/Program.cs" "$here/dotnet-app/nuget.config" "$w/src/"
for app in hello hello2; do
	env DOTNET_CLI_HOME="$w/home" NUGET_PACKAGES="$w/nuget" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
		DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
		DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 \
		dotnet publish "$w/src/hello.csproj" -c Release -p:AssemblyName=$app -p:ArtifactsPath="$w/artifacts-$app" \
		-t:PublishContainer -p:ContainerRuntimeIdentifier=linux-x64 \
		-p:ContainerBaseImage="localhost:$port/base/dotnet:$ver" -p:ContainerRepository=$app \
		-p:ContainerImageTag=1 -p:ContainerArchiveOutputPath="$out/$app.tar" --nologo -v quiet \
		>"$w/publish-$app.log" 2>&1 </dev/null ||
		{ tail -n 20 "$w/publish-$app.log" >&2; echo "dotnet-image: PublishContainer of $app failed" >&2; exit 1; }
done
touch "$stamp"
echo "dotnet-image: $out/hello.tar ($(du -h "$out/hello.tar" | cut -f1)), $out/hello2.tar" >&2
