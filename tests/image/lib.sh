# The image tier's scripts share these: their result lines and the unmount of a temp tree.
fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1" >&2; fails=$((fails + 1)); }
umount_under() { # DIR: every mount below DIR, the deepest first
	for m in $(awk -v t="$1" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount "$m" || true; done
}
