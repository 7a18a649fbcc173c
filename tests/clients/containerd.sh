#!/bin/bash
# containerd.sh RUNTIME DIR: a private containerd 1.6 (containerd-shim-runc-v2) drives RUNTIME
# through `ctr run --runc-binary`. Env: RESULTS VARIANT OCI_TAR (see run.sh).
# The daemon, its root, state and sockets live under DIR; it is stopped by its pid at the end.
set -u
RT=$1 D=$2
CLIENT=containerd
. "$(dirname "$0")/lib.sh"

NS=pith-test                      # the shim's cgroupsPath is /<namespace>/<id>: /pith-test/<id>
mkdir -p "$D/out"
sed -e "s|@DIR@|$D|g" "$(dirname "$0")/containerd.toml.in" > "$D/config.toml"
containerd --config "$D/config.toml" >"$D/daemon.log" 2>&1 &
DAEMON=$!
C=(ctr --address "$D/containerd.sock" -n "$NS")
IMG=localhost/pith-clients:test
R=(run --runc-binary "$RT")

stop_daemon() {
	[ -n "$DAEMON" ] || return 0
	kill "$DAEMON" 2>/dev/null
	wait_for "! kill -0 $DAEMON 2>/dev/null" 100 || kill -9 "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	DAEMON=
}
trap stop_daemon EXIT

if ! wait_for "'${C[0]}' --address '$D/containerd.sock' version >/dev/null 2>&1" 300; then
	fail daemon "containerd did not start: $(tail -5 "$D/daemon.log")"
	exit 0
fi
run "${C[@]}" image import "$OCI_TAR"
if [ "$RC" != 0 ]; then
	fail import "ctr image import: $OUT"
	exit 0
fi

# remove task and container $1, whatever state they are in
remove() {
	timeout 30 "${C[@]}" task kill -s SIGKILL "$1" >/dev/null 2>&1
	wait_for "! timeout 10 '${C[0]}' --address '$D/containerd.sock' -n $NS task ls -q 2>/dev/null | grep -qx '$1' ||
		timeout 10 '${C[0]}' --address '$D/containerd.sock' -n $NS task ls 2>/dev/null | grep -q '^$1 .*STOPPED'" 50
	timeout 30 "${C[@]}" task delete "$1" >/dev/null 2>&1
	timeout 30 "${C[@]}" container delete "$1" >/dev/null 2>&1
}

task_status() { timeout 10 "${C[@]}" task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
task_pid() { timeout 10 "${C[@]}" task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }

s_output() {
	run "${C[@]}" "${R[@]}" --rm "$IMG" c-out echo hello from containerd
	[ "$RC" = 0 ] && [ "$OUT" = "hello from containerd" ] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

s_exit_code() {
	run "${C[@]}" "${R[@]}" --rm "$IMG" c-exit sh -c 'exit 42'
	[ "$RC" = 42 ] && return 0
	echo "exit code $RC, want 42: $OUT"; return 1
}

# seen from the host: inside, a cgroup namespace may hide it
s_cgroup() {
	run "${C[@]}" "${R[@]}" -d "$IMG" c-cg sleep 60
	[ "$RC" = 0 ] || { echo "run -d: rc=$RC $OUT"; return 1; }
	local pid cg
	pid=$(task_pid c-cg)
	cg=$(cg_path memory "$pid")
	remove c-cg
	[ "$cg" = "/$NS/c-cg" ] && return 0
	echo "memory cgroup of pid $pid: '$cg', want /$NS/c-cg"; return 1
}

s_tty() {
	run_tty "${C[@]}" "${R[@]}" --rm -t "$IMG" c-tty sh -c 'test -t 0 && test -t 1 && echo "tty=$(tty)"; exit 3'
	[ "$RC" = 3 ] && [[ "$OUT" == *tty=/dev/pts/* ]] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

# a long-running task that reports the signals it gets in a host file
start_signal_box() {
	: > "$D/out/$1"
	run "${C[@]}" "${R[@]}" -d --mount "type=bind,src=$D/out,dst=/out,options=rbind:rw" "$IMG" "$1" sh -c "
		trap 'echo usr1 >> /out/$1' USR1
		trap 'echo term >> /out/$1; exit 7' TERM
		echo ready >> /out/$1
		while :; do sleep 0.1; done"
	[ "$RC" = 0 ] || { echo "run -d: rc=$RC $OUT"; return 1; }
	wait_for "grep -q ready '$D/out/$1'" 100 || { echo "task $1 never started"; return 1; }
}

s_exec() {
	start_signal_box c-exec || return 1
	local r=0
	run "${C[@]}" task exec --exec-id e1 c-exec sh -c "echo in-exec; grep -hE '$(cg_line_re memory)' /proc/self/cgroup /proc/1/cgroup; exit 4"
	if [ "$RC" != 4 ] || [[ "$OUT" != in-exec* ]]; then
		echo "exec: rc=$RC, want 4: $OUT"; r=1
	elif ! in_cgroup_of_init "$OUT" "/$NS/c-exec" "$(task_pid c-exec)"; then
		r=1
	fi
	if [ $r = 0 ]; then
		run_tty "${C[@]}" task exec -t --exec-id e2 c-exec sh -c 'test -t 0 && echo "tty=$(tty)"'
		[[ "$OUT" == *tty=/dev/pts/* ]] || { echo "exec -t: rc=$RC $OUT"; r=1; }
	fi
	remove c-exec
	return $r
}

# ctr task ps -> RUNTIME ps --format json
s_ps() {
	start_signal_box c-ps || return 1
	local r=0 pid
	pid=$(task_pid c-ps)
	run "${C[@]}" task ps c-ps
	[ "$RC" = 0 ] && [ -n "$pid" ] && echo "$OUT" | grep -q "^$pid " || { echo "task ps: rc=$RC, init $pid not listed: $OUT"; r=1; }
	remove c-ps
	return $r
}

s_kill() {
	start_signal_box c-kill || return 1
	local r=0
	run "${C[@]}" task kill -s SIGUSR1 c-kill
	if [ "$RC" != 0 ] || ! wait_for "grep -q usr1 '$D/out/c-kill'" 50; then
		echo "kill -s SIGUSR1: rc=$RC $OUT; not seen inside"; r=1
	fi
	if [ $r = 0 ]; then
		run "${C[@]}" task kill c-kill
		if [ "$RC" != 0 ] || ! wait_for '[ "$(task_status c-kill)" = STOPPED ]' 100; then
			echo "kill (SIGTERM): rc=$RC $OUT; status $(task_status c-kill)"; r=1
		elif ! grep -q term "$D/out/c-kill"; then
			echo "the task stopped without seeing SIGTERM"; r=1
		else
			run "${C[@]}" task delete c-kill
			[[ "$OUT" == *"exit code 7"* ]] || { echo "task delete: $OUT (want exit code 7)"; r=1; }
		fi
	fi
	remove c-kill
	return $r
}

s_pause() {
	start_signal_box c-pause || return 1
	local r=0 fz
	fz=$(cg_dir freezer "$(task_pid c-pause)")
	run "${C[@]}" task pause c-pause
	if [ "$RC" != 0 ] || [ "$(task_status c-pause)" != PAUSED ] || [ "$(cg_frozen "$fz" 2>&1)" != FROZEN ]; then
		echo "pause: rc=$RC $OUT; status $(task_status c-pause); $fz: $(cg_frozen "$fz" 2>&1)"; r=1
	fi
	if [ $r = 0 ]; then
		run "${C[@]}" task resume c-pause
		[ "$RC" = 0 ] && [ "$(task_status c-pause)" = RUNNING ] && [ "$(cg_frozen "$fz")" = THAWED ] ||
			{ echo "resume: rc=$RC $OUT; status $(task_status c-pause)"; r=1; }
	fi
	remove c-pause
	return $r
}

# the shim reads the task's cgroup: its numbers must be there (ctr names v2's memory.current
# "memory.usage")
s_metrics() {
	start_signal_box c-met || return 1
	local r=0 mem=memory.usage_in_bytes
	[ "$(cg_version memory)" = 2 ] && mem=memory.usage
	run "${C[@]}" task metrics c-met
	if [ "$RC" != 0 ] || ! echo "$OUT" | grep -Eq "^$mem +[1-9]" ||
	   ! echo "$OUT" | grep -Eq '^pids.current +[1-9]'; then
		echo "metrics: rc=$RC $OUT"; r=1
	fi
	remove c-met
	return $r
}

# runc and crun create a missing process.cwd
s_cwd() {
	run "${C[@]}" "${R[@]}" --rm --cwd /no/such/dir "$IMG" c-cwd pwd
	[ "$RC" = 0 ] && [ "$OUT" = /no/such/dir ] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

# a missing program fails the task's create, with the runtime's message
s_not_found() {
	run "${C[@]}" "${R[@]}" --rm "$IMG" c-nf nosuchcmd
	remove c-nf
	[ "$RC" != 0 ] && [[ "$OUT" == *OCI\ runtime\ create\ failed*nosuchcmd* ]] && return 0
	echo "rc=$RC, want a create error naming nosuchcmd: $OUT"; return 1
}

# a runtime error reaches the ctr user: the msg of the JSON --log line
s_error() {
	run "${C[@]}" "${R[@]}" --rm --mount "type=bind,src=$D/no-such-source,dst=/x,options=rbind:ro" "$IMG" c-err true
	remove c-err
	[ "$RC" != 0 ] && [[ "$OUT" == *OCI\ runtime\ create\ failed*no-such-source* ]] && return 0
	echo "rc=$RC, want an error naming no-such-source: $OUT"; return 1
}

scenarios output exit_code cgroup tty exec ps kill pause metrics cwd not_found error

# nothing of ours may stay: tasks, shims, the daemon, mounts, the runtime's state
for id in $(timeout 10 "${C[@]}" container ls -q 2>/dev/null); do remove "$id"; done
stop_daemon
sleep 0.2
left=$(our_processes "$D")
mnts=$(grep -F " $D" /proc/self/mountinfo | awk '{print $5}')
state=$(ls -A "/run/containerd/runc/$NS" 2>/dev/null)
if [ -z "$left$mnts$state" ]; then pass cleanup; else
	fail cleanup "processes: $(echo $left) mounts: $(echo $mnts) runtime state: $(echo $state)"
	for p in $left; do kill -9 "${p%%(*}" 2>/dev/null; done
	for m in $mnts; do umount -l "$m" 2>/dev/null; done
fi
exit 0
