#!/bin/bash
# podman.sh RUNTIME DIR: podman 4.3 (through conmon) drives RUNTIME, in a private store under DIR.
# Env: RESULTS VARIANT ROOTFS_TAR (see run.sh). Prints one PASS/FAIL/SKIP line per scenario.
set -u
RT=$1 D=$2
CLIENT=podman
. "$(dirname "$0")/lib.sh"

mkdir -p "$D/out"
sed -e "s|@DIR@|$D|g" -e "s|@RUNTIME@|$RT|g" -e "s|@NAME@|$(basename "$RT")|g" \
	"$(dirname "$0")/containers.conf.in" > "$D/containers.conf"
export CONTAINERS_CONF=$D/containers.conf
# P0: the runtime comes from containers.conf (the README's setting); P names it (--runtime)
P0=(podman --root "$D/storage" --runroot "$D/run" --tmpdir "$D/tmp" --storage-driver vfs
    --cgroup-manager cgroupfs)
P=("${P0[@]}" --runtime "$RT")
IMG=localhost/pith-clients:test
CG=/pith-test/clients-podman
# rootful defaults (nofile 1048576) fail where CAP_SYS_RESOURCE is not in the bounding set
RUN=(run --network none --cgroup-parent "$CG" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

run "${P[@]}" import "$ROOTFS_TAR" "$IMG"
if [ "$RC" != 0 ]; then
	fail import "podman import: $OUT"
	exit 0
fi

s_output() {
	local used
	used=$(timeout 30 "${P0[@]}" info --format '{{.Host.OCIRuntime.Path}}' 2>&1)
	[ "$used" = "$RT" ] || { echo "containers.conf runtime: podman uses '$used'"; return 1; }
	run "${P0[@]}" "${RUN[@]}" --rm "$IMG" echo hello from podman
	[ "$RC" = 0 ] && [ "$OUT" = "hello from podman" ] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

s_exit_code() {
	run "${P[@]}" "${RUN[@]}" --rm "$IMG" sh -c 'exit 42'
	[ "$RC" = 42 ] || { echo "exit code $RC, want 42: $OUT"; return 1; }
}

# podman's own default cgroup parent: cgroupsPath /libpod_parent/libpod-<ID>, seen from the host
# (inside, a cgroup namespace hides it on v2)
s_default_cgroup() {
	run "${P[@]}" run -d --name pdc --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		"$IMG" sleep 60
	[ "$RC" = 0 ] || { echo "run -d: rc=$RC $OUT"; return 1; }
	local pid cg
	pid=$(timeout 30 "${P[@]}" inspect --format '{{.State.Pid}}' pdc)
	cg=$(cg_path memory "$pid")
	remove pdc
	[[ "$cg" == /libpod_parent/libpod-* ]] && return 0
	echo "memory cgroup of pid $pid: '$cg', want /libpod_parent/libpod-*"; return 1
}

s_memory() {
	run "${P[@]}" "${RUN[@]}" --rm --memory 32m --memory-swap 32m "$IMG" \
		cat "$(cg_in memory memory.limit_in_bytes memory.max)"
	[ "$RC" = 0 ] && [ "$OUT" = 33554432 ] || { echo "limit seen inside: rc=$RC $OUT"; return 1; }
	# 64 MiB in one shell variable cannot fit: the kernel's OOM killer ends it (SIGKILL)
	run "${P[@]}" "${RUN[@]}" --rm --memory 32m --memory-swap 32m "$IMG" \
		sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived ${#x}'
	[ "$RC" = 137 ] && [[ "$OUT" != *survived* ]] && return 0
	echo "over the limit: rc=$RC, want 137 (OOM kill): $OUT"; return 1
}

s_tty() {
	run_tty "${P[@]}" "${RUN[@]}" --rm -t "$IMG" sh -c 'test -t 0 && test -t 1 && echo "tty=$(tty)"; exit 3'
	[ "$RC" = 3 ] && [[ "$OUT" == *tty=/dev/pts/* ]] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

# a long-running container that reports the signals it gets in a host file
start_signal_box() {
	: > "$D/out/$1"
	run "${P[@]}" "${RUN[@]}" -d --name "$1" -v "$D/out:/out" "$IMG" sh -c "
		trap 'echo usr1 >> /out/$1' USR1
		trap 'echo term >> /out/$1; exit 7' TERM
		echo ready >> /out/$1
		while :; do sleep 0.1; done"
	[ "$RC" = 0 ] || { echo "run -d: rc=$RC $OUT"; return 1; }
	wait_for "grep -q ready '$D/out/$1'" 100 || { echo "container $1 never started"; return 1; }
}

remove() { timeout 60 "${P[@]}" rm -f -t 0 "$1" >/dev/null 2>&1; }

s_exec() {
	start_signal_box px || return 1
	local r=0
	run "${P[@]}" exec px sh -c "echo in-exec; grep -hE '$(cg_line_re memory)' /proc/self/cgroup /proc/1/cgroup; exit 4"
	if [ "$RC" != 4 ] || [[ "$OUT" != in-exec* ]]; then
		echo "exec: rc=$RC, want 4: $OUT"; r=1
	elif ! in_cgroup_of_init "$OUT" "$CG/libpod-*" "$(timeout 30 "${P[@]}" inspect --format '{{.State.Pid}}' px)"; then
		r=1
	fi
	if [ $r = 0 ]; then
		run_tty "${P[@]}" exec -t px sh -c 'test -t 0 && echo "tty=$(tty)"'
		[ "$RC" = 0 ] && [[ "$OUT" == *tty=/dev/pts/* ]] || { echo "exec -t: rc=$RC $OUT"; r=1; }
	fi
	remove px
	return $r
}

s_stop() {
	start_signal_box ps || return 1
	local t0=$SECONDS r=0
	T_LIMIT=$((60 * S + 20 * S)) run "${P[@]}" stop -t $((20 * S)) ps
	local st
	st=$(timeout 30 "${P[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' ps 2>&1)
	if [ "$RC" != 0 ] || [ "$st" != "exited 7" ]; then
		echo "stop: rc=$RC $OUT; state '$st', want 'exited 7' (SIGTERM trapped)"; r=1
	elif [ $((SECONDS - t0)) -ge $((15 * S)) ]; then
		echo "stop took $((SECONDS - t0)) s: SIGTERM was not delivered"; r=1
	elif ! grep -q term "$D/out/ps"; then
		echo "the container never saw SIGTERM"; r=1
	fi
	remove ps
	return $r
}

s_kill() {
	start_signal_box pk || return 1
	local r=0
	run "${P[@]}" kill -s USR1 pk
	if [ "$RC" != 0 ] || ! wait_for "grep -q usr1 '$D/out/pk'" 50; then
		echo "kill -s USR1: rc=$RC $OUT; not seen inside"; r=1
	fi
	if [ $r = 0 ]; then
		run "${P[@]}" kill pk
		local st
		st=$(timeout 30 "${P[@]}" wait pk 2>&1)
		[ "$RC" = 0 ] && [ "$st" = 137 ] || { echo "kill (SIGKILL): rc=$RC $OUT; wait: $st, want 137"; r=1; }
	fi
	remove pk
	return $r
}

s_pause() {
	start_signal_box pp || return 1
	local r=0 pid fz
	pid=$(timeout 30 "${P[@]}" inspect --format '{{.State.Pid}}' pp)
	fz=$(cg_dir freezer "$pid")
	run "${P[@]}" pause pp
	local st
	st=$(timeout 30 "${P[@]}" inspect --format '{{.State.Status}}' pp 2>&1)
	if [ "$RC" != 0 ] || [ "$st" != paused ] || [ "$(cg_frozen "$fz" 2>&1)" != FROZEN ]; then
		echo "pause: rc=$RC $OUT; status $st; $fz: $(cg_frozen "$fz" 2>&1)"; r=1
	fi
	if [ $r = 0 ]; then
		run "${P[@]}" unpause pp
		st=$(timeout 30 "${P[@]}" inspect --format '{{.State.Status}}' pp 2>&1)
		[ "$RC" = 0 ] && [ "$st" = running ] && [ "$(cg_frozen "$fz")" = THAWED ] ||
			{ echo "unpause: rc=$RC $OUT; status $st"; r=1; }
	fi
	if [ $r = 0 ]; then
		run "${P[@]}" exec pp echo alive
		[ "$OUT" = alive ] || { echo "exec after unpause: rc=$RC $OUT"; r=1; }
	fi
	remove pp
	return $r
}

# podman update -> RUNTIME update --resources=FILE
s_update() {
	start_signal_box pu || return 1
	local r=0
	run "${P[@]}" update --memory 48m pu
	if [ "$RC" != 0 ]; then
		echo "update: rc=$RC $OUT"; r=1
	else
		run "${P[@]}" exec pu cat "$(cg_in memory memory.limit_in_bytes memory.max)"
		[ "$OUT" = 50331648 ] || { echo "limit after update: $OUT, want 50331648"; r=1; }
	fi
	remove pu
	return $r
}

# a missing program is a create error podman reports (exit 127), not the container's output
s_not_found() {
	run "${P[@]}" "${RUN[@]}" --rm "$IMG" nosuchcmd
	[ "$RC" = 127 ] && [[ "$OUT" == Error:*nosuchcmd* ]] && return 0
	echo "rc=$RC, want 127 and an Error: naming nosuchcmd: $OUT"; return 1
}

# a runtime error reaches the podman user: the JSON --log line's msg is shown. A nofile limit
# above fs.nr_open fails setrlimit whatever the runtime's capabilities (on a machine where pith has
# CAP_SYS_RESOURCE, podman's own default 1048576 is allowed)
s_error() {
	local n=$(($(cat /proc/sys/fs/nr_open) + 1))
	run "${P[@]}" run --network none --cgroup-parent "$CG" --rm --ulimit "nofile=$n:$n" "$IMG" true
	# from the JSON log's msg (pith's stderr text says "pith: ..."), and no noise from the
	# delete --force podman runs after a failed create
	[ "$RC" != 0 ] && [[ "$OUT" == *RLIMIT_NOFILE* ]] && [[ "$OUT" != *"does not exist"* ]] &&
		[[ "$OUT" != *": pith: "* ]] && return 0
	echo "rc=$RC, want one error naming RLIMIT_NOFILE: $OUT"; return 1
}

scenarios output exit_code default_cgroup memory tty exec stop kill pause update not_found error

# nothing of ours may stay: containers, conmon, mounts
timeout 60 "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1
# conmon exits on its own after rm returns (it writes the exit file first): up to 5 s for that
for _ in $(seq 50); do left=$(our_processes "$D"); [ -z "$left" ] && break; sleep 0.1; done
mnts=$(grep -F " $D" /proc/self/mountinfo | awk '{print $5}')
if [ -z "$left$mnts" ]; then pass cleanup; else
	fail cleanup "processes: $(echo $left) mounts: $(echo $mnts)"
	for p in $left; do kill -9 "${p%%(*}" 2>/dev/null; done
	for m in $mnts; do umount -l "$m" 2>/dev/null; done
fi
exit 0
