# Sourced by boards/board.sh for the amd64 board (an x86-64 box with pure cgroup v2): besides
# pith, the initramfs carries this machine's podman 4.3 and conmon with their libraries, for the
# podman_v2 case of boards/tests/cases.sh (the clients tier's essentials where the CI machine,
# v1/hybrid, cannot show them). Left out, and the case skips, where podman is not installed.
EXTRA_MEM=1024

board_extra() {
	local b
	command -v podman >/dev/null && [ -x /usr/bin/conmon ] || return 0
	for b in "$(command -v podman)" /usr/bin/conmon; do
		cp "$b" "$R/bin/"
		libs_of "$b"
	done
	mkdir -p "$R/etc/containers"
	printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' > "$R/etc/containers/policy.json"
}
