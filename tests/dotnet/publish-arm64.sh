#!/bin/sh
# The .NET probe (tests/dotnet/probe) published self-contained for linux-arm64, for the arm64
# board (boards/board.sh arm64): no .NET is installed there, the app carries its runtime.
# Usage: publish-arm64.sh OUT       -> OUT/app/dnprobe (+ the runtime), OUT/publish.log
# The linux-arm64 runtime and host packs come from NuGet: restored once into
# build/boards/dotnet-nuget (kept with the boards' other downloads), published offline after.
# The feed is the SDK's default one (no nuget.config in the copy), so no host name lives here.
# Rebuilt only when the probe's sources change. Exit 77 when the SDK is missing.
set -eu
out=${1:?usage: publish-arm64.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
command -v dotnet >/dev/null 2>&1 || { echo "publish-arm64: the .NET SDK (dotnet) is not installed" >&2; exit 77; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=$top/build/boards/dotnet-nuget
app=$out/app
stamp=$out/app.stamp
if [ -f "$stamp" ] && [ -x "$app/dnprobe" ] &&
	[ -z "$(find "$here/probe" "$0" -newer "$stamp" -type f 2>/dev/null)" ]; then
	exit 0
fi

# A copy of the probe without its nuget.config (which clears every feed: the host build needs
# none). The copy keeps the csproj and sources byte for byte; only the publish options differ.
src=$out/src
rm -rf "$src" "$app" "$stamp"
mkdir -p "$src"
cp "$here/probe/probe.csproj" "$here/probe/Program.cs" "$src/"
dn() {
	env DOTNET_CLI_HOME="$cache/home" NUGET_PACKAGES="$cache/packages" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
		DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
		DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 dotnet "$@"
}
props="-r linux-arm64 -p:SelfContained=true -p:UseAppHost=true -p:InvariantGlobalization=true -p:ArtifactsPath=$out/artifacts"
# NuGet reads only the cache once the packs are in it; the first run fetches them.
# shellcheck disable=SC2086
dn restore "$src/probe.csproj" $props --nologo -v quiet >"$out/publish.log" 2>&1 </dev/null ||
	{ tail -n 20 "$out/publish.log" >&2; echo "publish-arm64: restore failed" >&2; exit 1; }
# shellcheck disable=SC2086
dn publish "$src/probe.csproj" -c Release --no-restore $props --nologo -v quiet \
	-o "$app" >>"$out/publish.log" 2>&1 </dev/null ||
	{ tail -n 20 "$out/publish.log" >&2; echo "publish-arm64: publish failed" >&2; exit 1; }
[ -x "$app/dnprobe" ] || { echo "publish-arm64: no $app/dnprobe" >&2; exit 1; }
touch "$stamp"
echo "publish-arm64: $app ($(du -sh "$app" | cut -f1), $(file -b "$app/dnprobe" | cut -d, -f1-2))" >&2
