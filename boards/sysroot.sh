#!/bin/bash
# boards/sysroot.sh ARCH [DIR]: a Debian sysroot for cross-building pith for
# ARCH (armhf or arm64) and for the emulated boards' userland (busybox-static).
#
# mmdebstrap --variant=extract downloads the dependency closure and unpacks it
# with no maintainer scripts, so it needs neither qemu nor dpkg multiarch. The
# archive is the one apt already uses here (read at run time, never stored).
# DIR defaults to build/boards/sysroot-ARCH; DIR/.pith-sysroot marks it complete.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/archive.sh"

ARCH=${1:?usage: boards/sysroot.sh armhf|arm64 [DIR]}
DIR=$(realpath -m "${2:-$here/../build/boards/sysroot-$ARCH}")

# pith-image: libarchive, Nettle (SHA-256, base64); pith-image-pull: libcurl
PKGS="libc6-dev libseccomp-dev libcap-dev libjansson-dev libmnl-dev busybox-static libarchive-dev nettle-dev libcurl4-openssl-dev"
case $ARCH in
armhf)	TRIPLET=arm-linux-gnueabihf;; # no armhf Criterion: unit tests use tests/unit/mini_criterion
arm64)	TRIPLET=aarch64-linux-gnu
	PKGS="$PKGS libcriterion-dev libstdc++6 libgcc-s1 crun";; # the arm64 board: .NET and crun
*)	echo "boards/sysroot.sh: ARCH must be armhf or arm64, not '$ARCH'" >&2; exit 2;;
esac
STAMP="$ARCH $PKGS"

if [ -f "$DIR/.pith-sysroot" ] && [ "$(cat "$DIR/.pith-sysroot")" = "$STAMP" ]; then
	exit 0
fi
pith_need_pkgs mmdebstrap "gcc-$TRIPLET"
pith_archive
echo "boards: making the $ARCH sysroot in $DIR ($PITH_SUITE)" >&2

# Build beside the target and rename, so an interrupted run never looks complete.
mkdir -p "$(dirname "$DIR")"
DIR=$(cd "$(dirname "$DIR")" && pwd)/$(basename "$DIR")
tmp=$DIR.tmp
rm -rf "$tmp"
timeout 900 mmdebstrap --quiet --arch="$ARCH" --variant=extract \
	--include="$(echo $PKGS | tr ' ' ,)" \
	"$PITH_SUITE" "$tmp" "deb $PITH_MIRROR $PITH_SUITE main" >&2

# A few -dev symlinks are absolute (libfoo.so -> /lib/...): make every one
# relative so the tree works as --sysroot and as qemu's -L prefix.
find "$tmp" -type l -lname '/*' | while read -r l; do
	ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$tmp$(readlink "$l")")" "$l"
done
[ -e "$tmp/lib" ] || ln -s usr/lib "$tmp/lib"
# apt's files inside the tree name the archive host: they must not travel.
rm -rf "$tmp/etc/apt/sources.list" "$tmp"/etc/apt/sources.list.d/* \
	"$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*
echo "$STAMP" > "$tmp/.pith-sysroot"
rm -rf "$DIR"
mv "$tmp" "$DIR"
echo "boards: $ARCH sysroot ready ($(du -sh "$DIR" | cut -f1))" >&2
