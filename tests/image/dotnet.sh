#!/bin/sh
# A .NET app image written by the .NET SDK (PublishContainer, ContainerArchiveOutputPath) over a
# base made here (tests/image/dotnet-image.sh): pith-image loads it, bundles it (User 1654 from
# the SDK, WorkingDir, Entrypoint `dotnet /app/hello.dll`), and it prints its line under
# `pith run` and under pith-shim. The image is cached under BUILD/image-dotnet.
# usage: dotnet.sh BUILD_DIR   (as root; called by run.sh)
set -eu
build=$(cd "${1:?usage: dotnet.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
. "$here/lib.sh"
rc=0
"$here/dotnet-image.sh" "$build/image-dotnet" || rc=$?
[ $rc = 77 ] && tier_skip ".NET SDK image test" "dotnet-image.sh cannot make the image on this machine (its message above)"
[ $rc = 0 ] || { echo "FAIL .NET SDK image: dotnet-image.sh failed" >&2; exit 1; }
T=$(mktemp -d "$build/image-dotnet-test.XXXXXX")
img="$build/pith-image --store $T/S"
id=img-dn-$$
cleanup() {
	"$build/pith" --root "$T/run" delete --force "$id" >/dev/null 2>&1 || true
	[ ! -d "$T/B" ] || $img bundle --rm "$T/B" 2>/dev/null || true
	umount_under "$T"
	rm -rf "$T"
}
trap cleanup EXIT
# the SDK puts the image's full name in io.containerd.image.name and only the tag in ref.name:
# the store names it by the full name, as docker load does
if ! $img load "$build/image-dotnet/hello.tar" >"$T/load.out" 2>&1; then
	fail ".NET SDK image: load: $(cat "$T/load.out")"; exit 1
fi
digest=$(awk '$1 == "loaded" { print $2 }' "$T/load.out")
[ "$($img inspect hello:1 | jq -r .manifest)" = "$digest" ] && ! $img inspect 1 >/dev/null 2>&1 \
	&& pass ".NET SDK image named by its io.containerd.image.name (hello:1), not its bare tag" \
	|| fail ".NET SDK image name: $(cat "$T/load.out"); $($img ls)"
ver=$($img inspect "$digest" | jq -r '.config.Env[] | select(startswith("DOTNET_VERSION=")) | sub(".*="; "")')
expected="hello says hello from .NET $ver on X64 in /app"
$img inspect "$digest" >"$T/inspect.json" && [ "$(jq -r .architecture "$T/inspect.json")" = amd64 ] \
	&& pass ".NET SDK image loaded ($(jq '.layers | length' "$T/inspect.json") layers): $(cat "$T/load.out")" \
	|| fail ".NET SDK image: inspect: $(cat "$T/inspect.json")"
if $img bundle "$digest" "$T/B" 2>"$T/bundle.err" &&
	[ "$(jq -c '[.process.user.uid, .process.cwd, .process.args]' "$T/B/config.json")" = '[1654,"/app/",["dotnet","/app/hello.dll"]]' ]; then
	pass ".NET SDK image bundled: user 1654, cwd /app/, dotnet /app/hello.dll"
else fail ".NET SDK image: bundle: $(cat "$T/bundle.err") $(jq -c .process "$T/B/config.json" 2>/dev/null)"; fi
out=$(timeout 60 "$build/pith" --root "$T/run" run -b "$T/B" "$id" 2>&1 </dev/null) || true
[ "$out" = "$expected" ] && pass ".NET SDK image runs under pith run: $out" || fail ".NET SDK image under pith run said: $out"
rm -f "$T/shim.log"
timeout -k 5 60 "$build/pith-shim" --id "$id" --bundle "$T/B" --runtime "$build/pith" --root "$T/run" \
	--log "$T/shim.log" --exit-file "$T/exit.json" --socket "$T/shim.sock" --run-dir "$T/shim" --foreground \
	>"$T/shim.out" 2>&1 </dev/null || true
# k8s-file records: TIME STREAM F LINE
line=$(awk '$2 == "stdout" { sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); print }' "$T/shim.log" 2>/dev/null)
[ "$line" = "$expected" ] && [ "$(jq .exit_code "$T/exit.json" 2>/dev/null)" = 0 ] \
	&& pass ".NET SDK image runs under pith-shim --bundle, exit 0: $line" \
	|| fail ".NET SDK image under pith-shim: log: $(cat "$T/shim.log" 2>/dev/null) exit: $(cat "$T/exit.json" 2>/dev/null) $(cat "$T/shim.out")"
$img bundle --rm "$T/B" && [ ! -e "$T/B" ] && pass ".NET SDK image: bundle --rm leaves nothing" || fail ".NET SDK image: bundle --rm"
[ $fails = 0 ]
