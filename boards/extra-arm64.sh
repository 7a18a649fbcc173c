# Sourced by boards/board.sh for the arm64 board (Pi 4/5 with the 64-bit OS): besides pith, the
# initramfs carries a self-contained linux-arm64 .NET app in a rootfs of its own and Debian's
# arm64 crun, for the dotnet_* cases of boards/tests/cases.sh.
#   /opt/dnroot      the containers' rootfs: the published probe (tests/dotnet/probe) in /app,
#                    the glibc, libstdc++ and libgcc_s it loads (ICU off: InvariantGlobalization)
#   /bin/crun        Debian's crun with its libraries, for the time-to-first-line comparison
# Without the .NET SDK on the build machine the app is left out and those cases skip.
EXTRA_MEM=1024	# the app is ~115 MB, unpacked from the initramfs into RAM
CASE_TIMEOUT=${CASE_TIMEOUT:-150}	# .NET starts in seconds under TCG; dotnet_ttfl starts it 15 times

board_extra() {
	local dn=$CACHE/dotnet-arm64 root=$R/opt/dnroot rc=0 f
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
}
