# The board test cases, sourced by board-tests.sh inside an emulated board.
# Each t_NAME runs in a subshell: exit 0 = pass, 77 = skip (last line says
# why), anything else = fail (its output is shown). CASES lists them in order.
CASES="kernel_cgroup2 kernel_overlay kernel_seccomp arch"

fail() { echo "$*"; exit 1; }
skip() { echo "$*"; exit 77; }

t_kernel_cgroup2() {
	for c in memory pids cpu; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || fail "controller $c not enabled"
	done
}

t_kernel_overlay() {
	grep -qw overlay /proc/filesystems || fail "no overlay in /proc/filesystems"
}

t_kernel_seccomp() {
	grep -q '^Seccomp:' /proc/self/status || fail "no Seccomp: line in /proc/self/status"
}

t_arch() {
	a=$(probe arch)
	echo "$a"
	case $BOARD in
	armhf) echo "$a" | grep -q 'arch arm machine armv7l' || fail "expected armv7l";;
	armhf-on-arm64)
		echo "$a" | grep -q 'arch arm machine aarch64' || fail "expected armhf userland on aarch64"
		probe linux32 | grep -q 'machine: armv8l' || fail "PER_LINUX32 does not give armv8l";;
	amd64) echo "$a" | grep -q 'arch x86_64' || fail "expected x86_64";;
	esac
	echo "$a" | grep -q 'time_t 8 off_t 8' || fail "time_t/off_t must be 64-bit"
}
