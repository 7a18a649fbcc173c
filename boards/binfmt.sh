#!/bin/bash
# boards/binfmt.sh on|off|status: register qemu-arm with the kernel's
# binfmt_misc (root), so ARM programs that re-exec themselves (Criterion's
# runner, a container's init) run under qemu-user. Uses the rule shipped by
# qemu-user-static (flags OCF/F: the interpreter is opened at registration, so
# it keeps working inside chroots). "off" removes the rule only if "on" added
# it, never one the machine already had.
set -euo pipefail
B=/proc/sys/fs/binfmt_misc
here=$(cd "$(dirname "$0")" && pwd)
MARK=$here/../build/boards/binfmt-registered-by-pith
RULE=/usr/lib/binfmt.d/qemu-arm.conf

case ${1:-status} in
on)
	[ -r "$RULE" ] || { echo "binfmt: $RULE missing (apt-get install qemu-user-static)" >&2; exit 1; }
	mountpoint -q "$B" || mount -t binfmt_misc binfmt_misc "$B"
	if [ ! -e "$B/qemu-arm" ]; then
		mkdir -p "$(dirname "$MARK")"
		cat "$RULE" > "$B/register"
		touch "$MARK"
	fi
	head -n 2 "$B/qemu-arm" >&2;;
off)
	if [ -e "$MARK" ] && [ -e "$B/qemu-arm" ]; then
		echo -1 > "$B/qemu-arm"
	fi
	rm -f "$MARK";;
status)
	if [ -e "$B/qemu-arm" ]; then cat "$B/qemu-arm"; else echo "qemu-arm: not registered"; fi;;
*)	echo "usage: boards/binfmt.sh on|off|status" >&2; exit 2;;
esac
