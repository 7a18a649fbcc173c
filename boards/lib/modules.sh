# Sourced by board scripts after board.sh's definitions and kernel(): board.sh keeps only the
# kernel image and overlay.ko of the Debian package; a board that needs more modules takes them
# from the same package, fetched once more with apt-get download.
# board_modules SET MOD...: MOD.ko (decompressed) for each MOD into $CACHE/kernel-$KARCH/SET,
# once; MODS_DIR is that directory.
board_modules() {
	local set=$1 pkg deb x m
	shift
	MODS_DIR=$CACHE/kernel-$KARCH${KFLAVOUR:-}/$set
	[ -f "$MODS_DIR/.done" ] && [ "$(cat "$MODS_DIR/.done")" = "$*" ] && return 0
	pith_private_apt "$KARCH" "$CACHE/kernel-$KARCH${KFLAVOUR:-}/apt" "${KSUITE:-}" || return 1
	pkg=$(basename "$VMLINUZ" | sed 's/^vmlinuz-/linux-image-/')	# the very kernel board.sh boots
	rm -rf "$MODS_DIR"; mkdir -p "$MODS_DIR"
	(cd "$MODS_DIR" && timeout 300 apt-get -q "${PITH_APT[@]}" download "$pkg" >"$MODS_DIR/download.log" 2>&1) ||
		{ echo "apt-get download $pkg failed (see $MODS_DIR/download.log)" >&2; return 1; }
	deb=$(ls "$MODS_DIR"/"$pkg"_*.deb | head -1)
	x=$MODS_DIR/x.tmp
	dpkg-deb -x "$deb" "$x"
	for m in "$@"; do
		find "$x/lib/modules" -name "$m.ko" -exec cp {} "$MODS_DIR/" \;
		find "$x/lib/modules" -name "$m.ko.xz" -exec sh -c 'xz -dc "$1" > "$2"' sh {} "$MODS_DIR/$m.ko" \;
		[ -s "$MODS_DIR/$m.ko" ] || { echo "no $m.ko in $pkg" >&2; rm -rf "$x" "$deb"; return 1; }
	done
	rm -rf "$x" "$deb"
	echo "$*" > "$MODS_DIR/.done"
}
