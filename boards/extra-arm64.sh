# Sourced by boards/board.sh for the arm64 board (Pi 4/5 with the 64-bit OS): besides pith, the
# initramfs carries a self-contained linux-arm64 .NET app in a rootfs of its own and Debian's
# arm64 crun, for the dotnet_* cases of boards/tests/cases.sh.
#   /opt/dnroot      the containers' rootfs: the published probe (tests/dotnet/probe) in /app,
#                    the glibc, libstdc++ and libgcc_s it loads (ICU off: InvariantGlobalization)
#   /bin/crun        Debian's crun with its libraries, for the time-to-first-line comparison
#   /opt/dnprobe-arm64.tar  the same app as an image built by the .NET SDK (tests/dotnet/image-arm64.sh)
#                    over a base of /opt/dnroot minus the app, and pith-image to load it (dotnet_image)
#   /lib/crypto      af_alg.ko and algif_hash.ko of the board's kernel, for sha256_af_alg
# Without the .NET SDK on the build machine the app is left out and those cases skip.
EXTRA_MEM=1024	# the app is ~115 MB, unpacked from the initramfs into RAM
CASE_TIMEOUT=${CASE_TIMEOUT:-150}	# .NET starts in seconds under TCG; dotnet_ttfl starts it 15 times

# AF_ALG's hash sockets, which the seccomp cache names its entries with: Debian builds them as
# modules (CONFIG_CRYPTO_USER_API_HASH=m) and board.sh keeps only overlay.ko of the kernel
# package, so the two are taken from the same package once, into the kernel's cache dir.
af_alg_modules() {
	local kd=$CACHE/kernel-$KARCH md=$CACHE/kernel-$KARCH/af_alg ver x
	if [ ! -f "$md/algif_hash.ko" ]; then
		ver=${VMLINUZ##*/vmlinuz-}
		pith_private_apt "$KARCH" "$kd/apt" || return 1
		x=$md.tmp
		rm -rf "$x" && mkdir -p "$x"
		(cd "$x" && timeout 300 apt-get -q "${PITH_APT[@]}" download "linux-image-$ver" >"$x/download.log" 2>&1) ||
			{ echo "apt-get download linux-image-$ver failed (see $x/download.log)" >&2; return 1; }
		dpkg-deb -x "$x"/linux-image-*.deb "$x/deb"
		mkdir -p "$md"
		find "$x/deb" \( -name af_alg.ko -o -name algif_hash.ko \) -exec cp {} "$md/" \;
		rm -rf "$x"
		[ -f "$md/algif_hash.ko" ] || { echo "no algif_hash.ko in linux-image-$ver" >&2; return 1; }
	fi
	mkdir -p "$R/lib/crypto"
	cp "$md"/*.ko "$R/lib/crypto/"
}

board_extra() {
	local dn=$CACHE/dotnet-arm64 root=$R/opt/dnroot rc=0 f
	af_alg_modules || return 1
	"$here/sysroot.sh" arm64 "$SYSROOT" || return 1	# no-op unless its package list changed
	"$top/tests/dotnet/publish-arm64.sh" "$dn" || rc=$?
	[ $rc -eq 77 ] && return 0
	[ $rc -eq 0 ] || return 1
	mkdir -p "$root"/{app,etc,proc,sys,dev,tmp,root,lib/$TRIPLET}
	ln -s lib "$root/lib64"
	chmod 1777 "$root/tmp"
	cp -R "$dn/app/." "$root/app/"
	for f in "$root/app/dnprobe" "$root"/app/*.so; do
		case $f in	# optional: LTTng tracing and the debugger's DAC, never loaded here
		*/libcoreclrtraceptprovider.so|*/libmscordbi.so) continue;;
		esac
		libs_of "$f" "$root"
	done
	cp -L "$SYSROOT/$LDSO" "$root/$LDSO"
	printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/home/app:/sbin/nologin\n' > "$root/etc/passwd"
	printf 'root:x:0:\napp:x:1654:\n' > "$root/etc/group"
	[ -x "$SYSROOT/usr/bin/crun" ] || { echo "no crun in $SYSROOT (boards/sysroot.sh arm64)" >&2; return 1; }
	cp "$SYSROOT/usr/bin/crun" "$R/bin/crun"
	libs_of "$R/bin/crun"
	# only where dotnet_image runs (arm64-16k and a BOARD_TESTS pick without it: 47 MB less to boot)
	case " ${BOARD_TESTS:-dotnet_image} " in *" dotnet_image "*) board_image "$root";; esac
}

# The SDK-built image archive, cached beside the published app and rebuilt when the probe or the
# script changes; without the SDK's helpers (umoci, skopeo, docker-registry) dotnet_image skips.
board_image() {
	local base=$CACHE/dotnet-arm64/image-base out=$CACHE/dotnet-arm64/image rc=0
	local tar=$out/dnprobe-arm64.tar
	if [ ! -s "$tar" ] || [ -n "$(find "$top/tests/dotnet/probe" "$top/tests/dotnet/image-arm64.sh" \
		-newer "$tar" -type f 2>/dev/null)" ]; then
		rm -rf "$base" "$tar"
		cp -a "$1" "$base"
		rm -rf "$base/app"
		"$top/tests/dotnet/image-arm64.sh" "$base" "$out" || rc=$?
		rm -rf "$base" "$out/image-work"
		[ $rc -eq 77 ] && return 0
		[ $rc -eq 0 ] || return 1
	fi
	[ -x "$BUILD_DIR/pith-image" ] || { echo "no pith-image in $BUILD_DIR" >&2; return 1; }
	cp "$BUILD_DIR/pith-image" "$R/opt/pith/pith-image"
	libs_of "$R/opt/pith/pith-image"
	cp "$tar" "$R/opt/dnprobe-arm64.tar"
}
