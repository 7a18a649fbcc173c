# Shared by podman.sh and containerd.sh: result lines and small checks.
# A scenario calls pass/fail/skip exactly once; run.sh counts the lines in $RESULTS.
: "${RESULTS:?}" "${VARIANT:?}" "${CLIENT:?}"

pass() { echo "PASS $CLIENT [$VARIANT] $1" | tee -a "$RESULTS"; }
fail() { echo "FAIL $CLIENT [$VARIANT] $1: $2" | tee -a "$RESULTS"; }
skip() { echo "SKIP $CLIENT [$VARIANT] $1: $2" | tee -a "$RESULTS"; }

# run a client command with a time limit; output in $OUT, status in $RC
T_LIMIT=${T_LIMIT:-60}
run() {
	OUT=$(timeout -k 5 "$T_LIMIT" "$@" 2>&1)
	RC=$?
}

# the same with a terminal on stdin/stdout (script(1) from util-linux)
run_tty() {
	local cmd=""
	for a in "$@"; do cmd="$cmd $(printf '%q' "$a")"; done
	local f
	f=$(mktemp)
	timeout -k 5 "$T_LIMIT" script -qec "$cmd" /dev/null </dev/null >"$f" 2>&1
	RC=$?
	OUT=$(tr -d '\r' <"$f")
	rm -f "$f"
}

# wait up to $2 tenths of a second for "$1" (a shell condition) to hold
wait_for() {
	local i=0
	while [ "$i" -lt "$2" ]; do
		eval "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# host path of the v1 hierarchy $1 (e.g. memory) that pid $2 is in
cgroup_dir_of() {
	local rel
	rel=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$2/cgroup")
	[ -n "$rel" ] && echo "/sys/fs/cgroup/$1$rel"
}

# pids of client processes (conmon, shims, daemons) whose command line mentions our
# private dir $1: none may outlive the scenarios. Our own shells are not counted.
our_processes() {
	local p
	for p in $(pgrep -f -- "$1"); do
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in
		""|bash|podman.sh|containerd.sh|docker.sh|run.sh|pgrep) ;;
		*) echo "$p($(cat "/proc/$p/comm" 2>/dev/null))" ;;
		esac
	done
}
