#!/bin/sh
# The libcurl of pith-image-pull (image/curl-minimal.sh, the Makefile's CURL): the static one is
# what a default build links, and without the network the build says so in one line and links the
# system's, or fails in CI.
# usage: curl-build.sh BUILD_DIR   (as root: unshare -n)
set -eu
build=$(cd "${1:?usage: curl-build.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
if [ -s "$build/curl/libs" ]; then
	if ldd "$build/pith-image-pull" | grep -q 'libcurl\|libssl\|libcrypto'; then
		fail "pith-image-pull built with the static libcurl loads a shared one: $(ldd "$build/pith-image-pull" | grep 'curl\|ssl\|crypto')"
	else pass "pith-image-pull links the static HTTP(S)-only libcurl ($(ldd "$build/pith-image-pull" | wc -l) shared objects)"; fi
else
	echo "SKIP the static libcurl check: $build/curl/libs is not there (CURL=system, or no source)"
fi
# offline: a fresh build dir in a network namespace with no interface up
T=$(mktemp -d /var/tmp/pith-curl-offline.XXXXXX)
trap 'rm -rf "$T"' EXIT
if (cd "$repo" && env -u CI -u MAKEFLAGS -u MFLAGS -u MAKELEVEL unshare -n make -s BUILD="$T" "$T/curl/libs") >"$T/out" 2>&1 \
	&& [ "$(wc -l < "$T/out")" = 1 ] && grep -q "^notice: .*system's libcurl" "$T/out" && [ ! -e "$T/curl/libs" ]; then
	pass "offline: one notice line, the system's libcurl: $(cat "$T/out")"
else fail "offline build: $(cat "$T/out")"; fi
if (cd "$repo" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL CI=true unshare -n make -s BUILD="$T" "$T/curl/libs") >"$T/out" 2>&1; then
	fail "offline build in CI did not fail: $(cat "$T/out")"
elif grep -q '^error: .*in CI' "$T/out"; then pass "offline build in CI fails: $(head -1 "$T/out")"
else fail "offline build in CI: $(cat "$T/out")"; fi
[ "$fails" = 0 ]
