#!/bin/bash
# The libcurl pith-image-pull links by default: Debian's own curl source, built as a static
# library that speaks HTTP and HTTPS only, with mbedTLS.
#
# Why not Debian's libcurl: libcurl4 loads 33 shared libraries (Kerberos, LDAP, SSH, IDN, PSL,
# nghttp2, ...) for protocols a registry client never speaks: 7.3 MiB of RSS before the first byte,
# and OpenSSL's own init adds 2.4 MiB (a bare one-GET program peaks at 10.1 MiB; 9.3 MiB with the
# GnuTLS flavour). The same curl source built HTTP-only and static peaks at 4.8 MiB with a static
# OpenSSL (its init alone ~1.9 MiB) and at 2.2 MiB with Debian's mbedTLS: on a board with 256 MiB
# that is the difference between a pull that fits beside the containers and one that does not.
# The prices of mbedTLS 2.28 (Debian 12): TLS 1.2 at most (every registry speaks it); what its
# libcurl backend lacks (one CA store for all connections, certificates for IP addresses) is in
# image/tls.c.
# A curl or mbedTLS security fix needs a rebuild of pith-image-pull (`make` rebuilds this when the
# script changes; rm -rf build/curl to take a newer source); `make CURL=system` links Debian's.
#
#   curl-minimal.sh OUT   -> OUT/libcurl.a, OUT/include/curl/*.h, OUT/libs (what to link),
#                            OUT/cflags; the download stays in OUT/src for the next build
# The source comes through apt from the mirror apt is configured with (its deb entries turned into
# deb-src in a private apt state under OUT/apt, so the system's apt state is not touched): apt
# checks the files against the signed Sources index, dpkg-source -x against the .dsc.
# Exit 0 with the library built; exit 3 when the source cannot be fetched (offline; apt's words in
# OUT/build.log): the Makefile then links the system's libcurl with one notice line, or fails in CI.
set -euo pipefail
OUT=${1:?usage: curl-minimal.sh OUT}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CC=${CC:-gcc}
JOBS=${JOBS:-2}
log=$OUT/build.log

fetch() { # the .dsc and its files into OUT/src, once
	ls "$OUT"/src/curl_*.dsc >/dev/null 2>&1 && return 0
	local A=$OUT/apt f
	rm -rf "$A" "$OUT/src.part"
	mkdir -p "$A/sources.list.d" "$A/lists/partial" "$A/cache/archives/partial" "$OUT/src.part"
	eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
	# deb822 files: the Types line becomes deb-src; one-line files: each deb line a deb-src line
	for f in "$SP"/*.sources; do
		[ -f "$f" ] && sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$A/sources.list.d/src-${f##*/}"
	done
	for f in "$SL" "$SP"/*.list; do
		[ -f "$f" ] && sed -nE 's/^deb(\s)/deb-src\1/p' "$f" > "$A/sources.list.d/src-${f##*/}"
	done
	local apt=(apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$A/sources.list.d"
		-o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o APT::Sandbox::User="$(id -un)"
		-o Acquire::Retries=0 -o Acquire::http::Timeout=20)
	if ! "${apt[@]}" update >"$log" 2>&1 ||
		! (cd "$OUT/src.part" && "${apt[@]}" source --download-only curl) >>"$log" 2>&1; then
		echo "curl-minimal.sh: cannot fetch Debian's curl source through apt (offline?)" >> "$log"
		exit 3
	fi
	rm -rf "$OUT/src"
	mv "$OUT/src.part" "$OUT/src"
	rm -rf "$A"
}

fetch
dsc=$(ls "$OUT"/src/curl_*.dsc | sort -V | tail -1)
# the source tree and the objects (thousands of files) in scratch space, only the results in OUT
W=$(mktemp -d "${TMPDIR:-/var/tmp}/pith-curl.XXXXXX")
trap 'rm -rf "$W"' EXIT
dpkg-source --no-copy -x "$dsc" "$W/tree" >>"$log" 2>&1 || { echo "curl-minimal.sh: dpkg-source -x $dsc failed, see $log" >&2; exit 1; }
mkdir -p "$W/obj"
# Every protocol but HTTP(S) off, no library beyond mbedTLS (--without for each one configure would
# otherwise pick up from the build machine), Debian's CA bundle and no CA directory (mbedTLS would
# parse all of /etc/ssl/certs: the bundle and every certificate again through its two names).
# The threaded resolver: a name lookup must not block the other layers' transfers.
# Compiled as pith is (size: sections to drop at link time; hardening).
if ! (cd "$W/obj" && "$W/tree/configure" CC="$CC" \
	CPPFLAGS=-D_FORTIFY_SOURCE=2 CFLAGS="-Os -g -ffunction-sections -fdata-sections -fstack-protector-strong -fPIE" \
	--disable-shared --enable-static --disable-dependency-tracking --enable-symbol-hiding \
	--with-mbedtls --without-openssl --without-gnutls --without-wolfssl --without-rustls --without-bearssl \
	--without-nss --without-hyper --without-zlib --without-brotli --without-zstd --without-libpsl \
	--without-libidn2 --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche --without-msh3 \
	--without-librtmp --without-libssh2 --without-libssh --without-wolfssh --without-libgsasl --without-gssapi \
	--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path --without-ca-fallback \
	--enable-threaded-resolver --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
	--disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
	--disable-ftp --disable-file --disable-manual --disable-ntlm --disable-ntlm-wb \
	--disable-alt-svc --disable-hsts --disable-doh --disable-netrc \
	--disable-cookies --disable-progress-meter --disable-dateparse --disable-libcurl-option) >>"$log" 2>&1; then
	echo "curl-minimal.sh: configure failed, see $log" >&2
	exit 1
fi
make -C "$W/obj/lib" -j"$JOBS" libcurl.la >>"$log" 2>&1 || { echo "curl-minimal.sh: make failed, see $log" >&2; exit 1; }
# What was built must be what this script asks for: a detected library would be linked unseen.
features=$(sh "$W/obj/curl-config" --protocols | tr '\n' ' ')
[ "$features" = "HTTP HTTPS " ] || { echo "curl-minimal.sh: protocols are '$features', not HTTP HTTPS" >&2; exit 1; }
grep -q '^#define USE_MBEDTLS 1' "$W/obj/lib/curl_config.h" || { echo "curl-minimal.sh: not built with mbedTLS" >&2; exit 1; }
rm -rf "$OUT/include"
mkdir -p "$OUT/include/curl"
cp "$W"/tree/include/curl/*.h "$OUT/include/curl/"
cp "$W/obj/lib/.libs/libcurl.a" "$OUT/libcurl.a.new"
mv "$OUT/libcurl.a.new" "$OUT/libcurl.a"
# -isystem as the system headers are: their macros are not ours to warn about (-Werror);
# PITH_CURL_MBEDTLS: image/tls.c fills in what mbedTLS 2.28 lacks
echo "-DCURL_STATICLIB -DPITH_CURL_MBEDTLS -isystem $OUT/include" > "$OUT/cflags"
echo "$OUT/libcurl.a -l:libmbedtls.a -l:libmbedx509.a -l:libmbedcrypto.a" > "$OUT/libs"
echo "curl-minimal.sh: $(basename "$dsc" .dsc), HTTP(S) only, mbedTLS: $OUT/libcurl.a"
