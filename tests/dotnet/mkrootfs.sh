#!/bin/sh
# Make the rootfs for the .NET probe from this machine, without network:
#   OUT/rootfs          the shared libraries the dotnet host and runtime load, /etc/passwd,
#                       mount points, and the published probe in /app
#   OUT/spec.json       the runtime's default config (`pith spec`, else `runc spec`), unmodified:
#                       the tests turn it into what a careful user deploys (test_dotnet.c)
#   OUT/dotnet-root     the .NET install dir, which the config bind-mounts read-only at the same path
# Usage: mkrootfs.sh APPDIR OUT [RUNTIME]
# The runtime itself is not copied: framework-dependent apps run from the machine's install.
set -eu
app=${1:?usage: mkrootfs.sh APPDIR OUT [RUNTIME]}
out=${2:?usage: mkrootfs.sh APPDIR OUT [RUNTIME]}
runtime=${3:-}

dotnet=$(command -v dotnet) || { echo "mkrootfs: dotnet not found" >&2; exit 1; }
# "Microsoft.NETCore.App 10.0.12 [/usr/share/dotnet/shared/Microsoft.NETCore.App]" -> /usr/share/dotnet
shared=$(dotnet --list-runtimes | sed -n 's/^Microsoft\.NETCore\.App [^ ]* \[\(.*\)\]$/\1/p' | tail -n 1)
[ -n "$shared" ] || { echo "mkrootfs: no Microsoft.NETCore.App runtime in 'dotnet --list-runtimes'" >&2; exit 1; }
root=${shared%/shared/Microsoft.NETCore.App}
host=$(readlink -f "$dotnet")
case "$host" in "$root"/*) ;; *) host="$root/dotnet" ;; esac
[ -x "$host" ] || { echo "mkrootfs: no dotnet host in $root" >&2; exit 1; }

tmp="$out/rootfs.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/app" "$tmp/etc" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/root" "$tmp$root"
chmod 1777 "$tmp/tmp"

# Every ELF the host and the newest runtime load (the native parts of System.*, the JIT, the GC),
# and what they link against. ldd prints "name => path (addr)" or "path (addr)".
newest=$(ls -d "$shared"/*/ | sort -V | tail -n 1)
elfs="$host $(ls "$root"/host/fxr/*/libhostfxr.so | sort -V | tail -n 1) $(ls "$newest"*.so)"
libs=$(for f in $elfs; do ldd "$f" 2>/dev/null; done |
	sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u)
[ -n "$libs" ] || { echo "mkrootfs: ldd found no libraries for $host" >&2; exit 1; }
for lib in $libs; do
	case "$lib" in "$root"/*) continue ;; esac	# comes with the bind mount
	mkdir -p "$tmp$(dirname "$lib")"
	cp -L "$lib" "$tmp$lib"
done

cp -R "$app"/. "$tmp/app/"
printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$tmp/etc/passwd"
printf 'root:x:0:\napp:x:1654:\nnogroup:x:65534:\n' > "$tmp/etc/group"

mkdir -p "$out"
rm -rf "$out/rootfs"
mv "$tmp" "$out/rootfs"
trap - EXIT
printf '%s\n' "$root" > "$out/dotnet-root"

# The runtime's own defaults; `runc spec` until pith can make one.
spec="$out/spec.tmp.$$"
rm -rf "$spec" && mkdir -p "$spec"
if [ -n "$runtime" ] && "$runtime" spec --bundle "$spec" >/dev/null 2>&1 && [ -s "$spec/config.json" ]; then
	from="$runtime"
elif (cd "$spec" && runc spec) >/dev/null 2>&1; then
	from=runc
else
	echo "mkrootfs: neither '$runtime spec' nor 'runc spec' made a config" >&2
	rm -rf "$spec"
	exit 1
fi
mv "$spec/config.json" "$out/spec.json"
rm -rf "$spec"
echo "mkrootfs: $out/rootfs ($(echo "$libs" | wc -l) libraries, .NET from $root, spec from $from)"
