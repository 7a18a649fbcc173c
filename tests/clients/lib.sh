# Shared by podman.sh, containerd.sh and docker.sh: result lines and small checks.
# A scenario calls pass/fail/skip exactly once; run.sh counts the lines in $RESULTS.
: "${RESULTS:?}" "${VARIANT:?}" "${CLIENT:?}"
. "$(dirname "${BASH_SOURCE[0]}")/cgroup.sh"

pass() { echo "PASS $CLIENT [$VARIANT] $1" | tee -a "$RESULTS"; }
fail() { echo "FAIL $CLIENT [$VARIANT] $1: $2" | tee -a "$RESULTS"; }
skip() { echo "SKIP $CLIENT [$VARIANT] $1: $2" | tee -a "$RESULTS"; }

# CLIENTS_TIME_SCALE=N multiplies the tier's time limits, waits and timing bounds (the pure-v2
# board under TCG, where one client command can take seconds, sets 4)
S=${CLIENTS_TIME_SCALE:-1}
# run a client command with a time limit; output in $OUT, status in $RC
T_LIMIT=${T_LIMIT:-$((60 * S))}
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

# wait up to $2 tenths of a second for "$1" (a shell condition) to hold: by the clock, not by
# a count of tries (under emulation one try of a client command can take seconds)
wait_for() {
	local end=$((${EPOCHREALTIME/./} + $2 * S * 100000))
	while :; do
		eval "$1" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# scenarios NAME...: s_NAME for each, one result line each. The plan goes first into
# $RESULTS, so run.sh can tell a scenario that never reported (the script died) from one that
# ran. A scenario that cannot run here returns 77 with the reason as its last line: SKIP. Lines
# a passing scenario prints as "NOTE text" go on its PASS line.
scenarios() {
	echo "PLAN $CLIENT [$VARIANT]: $*" | tee -a "$RESULTS"
	local s msg rc
	for s in "$@"; do
		msg=$(s_$s 2>&1)
		rc=$?
		case $rc in
		0) msg=$(echo "$msg" | sed -n 's/^NOTE //p' | tr '\n' ' '); pass "$s${msg:+ (${msg% })}" ;;
		77) skip "$s" "$(echo "$msg" | tail -n 1)" ;;
		*) fail "$s" "$(echo "$msg" | tr '\n' ' ' | cut -c1-400)" ;;
		esac
	done
}

# in_cgroup_of_init OUT WANT INIT_PID: OUT is what `grep -hE "$(cg_line_re memory)" /proc/self/cgroup
# /proc/1/cgroup` printed inside a container (an exec'd process, then the container's init):
# both lines must be the same cgroup, and the init's, seen from here, must match the glob WANT.
# (Inside, v2 with a cgroup namespace says "0::/" for both: the host's view names the cgroup.)
in_cgroup_of_init() {
	local self init host
	self=$(echo "$1" | grep -E "$(cg_line_re memory)" | sed -n 1p)
	init=$(echo "$1" | grep -E "$(cg_line_re memory)" | sed -n 2p)
	host=$(cg_path memory "$3")
	[ -n "$self" ] && [ "$self" = "$init" ] && [[ "$host" == $2 ]] && return 0
	echo "exec'd process in '$self', the init in '$init' (here: '$host', want $2)"; return 1
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
