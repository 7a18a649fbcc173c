#!/bin/bash
# log_throughput.sh BUILD_DIR [MIB] [RUNTIME]
#
# The supervisor's log path, pith-shim against conmon in the same run: a busybox container (the
# fixture rootfs) writes MIB MiB (default 64) of 100-byte lines to stdout as fast as `yes | head`
# can, and the supervisor turns them into a k8s-file log. Variants, alternated A B C D / D C B A
# round by round:
#   shim         pith-shim --log FILE --log-max-size 1024m (never rotates here)
#   conmon       conmon -l k8s-file:FILE (no size limit)
#   shim-rot     pith-shim --log-max-size 1m --log-max-files 3
#   conmon-rot   conmon --log-size-max 1m (conmon truncates its one file: its nearest equivalent)
# Both supervisors run the same RUNTIME (default BUILD_DIR/pith; the bench passes crun). pith-shim
# runs with --foreground and conmon with --sync, so that each stays the process we started and
# becomes a zombie under a parent that does not reap it: its own CPU time (not its children's) is
# then read from /proc/PID/stat and schedstat after it has done all its work.
# Prints one line per run:
#   VARIANT ROUND WALL_S MIB_S CPU_MS UTICKS STICKS LINES_LOG LINES_WRITTEN INTACT
#   WALL_S   from spawning the supervisor to its exit report's mtime (pith-shim's report comes
#            after its `RUNTIME delete`; conmon leaves the delete to its caller, done here untimed)
#   CPU_MS   the supervisor's own CPU (schedstat, ns precision); UTICKS/STICKS user/system ticks
#   LINES_LOG complete lines in the log (rotated files included, oldest first); INTACT 1 when every
#            line came back whole (99 bytes + newline) and, without rotation, none was lost
# Root only; crun needs the v1-only cgroup view of run.sh. Leaves nothing behind.
# Environment:
#   LOG_TP_ROUNDS=N        rounds (default 2)
#   LOG_TP_CGROUP=/PARENT  cgroup parent of the containers (default /pith-test/log-bench)
#   LOG_TP_VARIANTS="..."  a subset of the variants (conmon ones are skipped without conmon)
set -euo pipefail
BUILD=$(cd "${1:?usage: log_throughput.sh BUILD_DIR [MIB] [RUNTIME]}" && pwd)
MIB=${2:-64}
RUNTIME=${3:-${PITH_SHIM_RUNTIME:-$BUILD/pith}}
ROUNDS=${LOG_TP_ROUNDS:-2}
CGPARENT=${LOG_TP_CGROUP:-/pith-test/log-bench}
SHIM=$BUILD/pith-shim
ROOTFS=$BUILD/fixtures/rootfs
[ -x "$SHIM" ] && [ -x "$ROOTFS/bin/busybox" ] || { echo "log_throughput: build first (all fixtures)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "log_throughput: needs root" >&2; exit 2; }

# shellcheck disable=SC2206 # a list of words on purpose
VARIANTS=(${LOG_TP_VARIANTS:-shim conmon shim-rot conmon-rot})
command -v conmon >/dev/null 2>&1 || mapfile -t VARIANTS < <(printf '%s\n' "${VARIANTS[@]}" | grep -v conmon)
LINES=$((MIB * 1048576 / 100))
# 99 bytes + newline, no blanks: the log's 4th field is the whole line
LINE=$(printf '%099d' 0 | tr 0 x)

DIR=$(mktemp -d /tmp/pith-log-bench.XXXXXX)
ERR=$DIR/err
SP="" SUP="" CUR=""
cleanup() {
	if [ -n "$SP" ]; then kill "$SP" 2>/dev/null || true; wait "$SP" 2>/dev/null || true; fi
	# a supervisor cut short by an error: end it only if it is still the one we started
	if [ -n "$SUP" ] && grep -qE '^(pith-shim|conmon)$' "/proc/$SUP/comm" 2>/dev/null; then kill -9 "$SUP" 2>/dev/null || true; fi
	[ -z "$CUR" ] || "$RUNTIME" --root "$DIR/state" delete --force "$CUR" >/dev/null 2>&1 || true
	for d in /sys/fs/cgroup/*"$CGPARENT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "log_throughput: $*" >&2; [ ! -s "$ERR" ] || tail -5 "$ERR" >&2; exit 1; }

# nap S: sleep without a fork (read times out on a fifo nobody writes), so waiting costs nothing
mkfifo "$DIR/nap"
exec {NAP}<>"$DIR/nap"
mkfifo "$DIR/sync"
exec {SYNC}<>"$DIR/sync"
nap() { read -r -t "$1" -u "$NAP" _ || true; }

# bundle like shim_rss.sh's, on the shared read-only fixture rootfs; one per variant (own cgroup)
for v in "${VARIANTS[@]}"; do
	mkdir -p "$DIR/$v/b"
	cat >"$DIR/$v/b/config.json" <<EOF
{"ociVersion":"1.0.2",
 "process":{"terminal":false,"user":{"uid":0,"gid":0},
  "args":["/bin/sh","-c","yes $LINE | head -n $LINES"],
  "env":["PATH=/bin"],"cwd":"/","noNewPrivileges":true,
  "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}},
 "root":{"path":"$ROOTFS","readonly":true},
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
  {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755","size=1024k"]}],
 "linux":{"cgroupsPath":"$CGPARENT/$v","resources":{"devices":[{"allow":false,"access":"rwm"}]},
  "namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]}}
EOF
done

# spawn PIDFILE CMD...: CMD as the child of a `sleep` that never reaps it, so once it exits its
# /proc entry (utime, stime, schedstat) stays until we end the sleep. Sets SP (the sleep) and SUP
# (CMD). Our fifos are not passed on, but for the sync pipe when _OCI_SYNCPIPE names it.
SPAWN='"$@" </dev/null >>"$ERR" 2>&1 & echo $! >"$PF"; exec sleep 1000000'
spawn() {
	local pf=$1 keep=${_OCI_SYNCPIPE:-}
	shift
	if [ -n "$keep" ]; then
		ERR=$ERR PF=$pf _OCI_SYNCPIPE=$keep sh -c "$SPAWN" sh "$@" {NAP}<&- &
	else
		ERR=$ERR PF=$pf sh -c "$SPAWN" sh "$@" {NAP}<&- {SYNC}<&- &
	fi
	SP=$!
	while [ ! -s "$pf" ]; do nap 0.001; done
	SUP=$(cat "$pf")
}

# verify FILE...: "complete_lines intact" over the k8s-file records of FILEs read in order
verify() {
	cat "$@" | awk -v want=${#LINE} '
		$2 != "stdout" || NF != 4 || ($3 != "P" && $3 != "F") { bad++; next }
		{ cur = cur $4 }
		$3 == "F" { if (length(cur) != want && !(n == 0 && length(cur) < want)) bad++; else n++; cur = "" }
		END { if (cur != "") bad++; print n + 0, bad ? 0 : 1 }'
}

# run VARIANT ROUND: one container from spawn to exit report; prints the result line
run() {
	local v=$1 k=$2 d=$DIR/$1 id=logtp-$$-$1-$2 t0 end st ns ut stt lines ok limit=$((SECONDS + 60 + MIB))
	rm -rf "$d/log" "$d/exit" "$d/run" "$d/sup.pid" "$d/ctr.pid"
	mkdir -p "$d/log" "$d/exit"
	CUR=$id
	case $v in
	shim*)
		local cap=(--log-max-size 1024m)
		[ "$v" = shim ] || cap=(--log-max-size 1m --log-max-files 3)
		t0=$EPOCHREALTIME
		spawn "$d/sup.pid" "$SHIM" --foreground --id "$id" --bundle "$d/b" --runtime "$RUNTIME" \
			--root "$DIR/state" --run-dir "$d/run" --log "$d/log/ctr.log" "${cap[@]}" \
			--exit-file "$d/exit/$id"
		;;
	conmon*)
		local cap=()
		[ "$v" = conmon ] || cap=(--log-size-max 1048576)
		# shim_rss.sh's conmon command line (podman's, less its exit command), plus --sync; conmon
		# reports the created container's pid on podman's sync pipe: wait for it, then start
		t0=$EPOCHREALTIME
		_OCI_SYNCPIPE=$SYNC spawn "$d/sup.pid" conmon --sync --api-version 1 -c "$id" -u "$id" -n "$id" -r "$RUNTIME" \
			--runtime-arg "--root=$DIR/state" -b "$d/b" -p "$d/ctr.pid" \
			-l "k8s-file:$d/log/ctr.log" "${cap[@]}" --exit-dir "$d/exit" --socket-dir-path "$d" \
			--log-level error
		local msg=""
		read -r -t 30 -u "$SYNC" msg || true
		[[ $msg =~ \"data\":\ *[1-9] ]] || fail "$v: conmon's create said '$msg'"
		"$RUNTIME" --root "$DIR/state" start "$id" >/dev/null 2>>"$ERR" || fail "$v: $RUNTIME start failed"
		;;
	esac
	# the run takes seconds: a 10 ms poll is cheap, the end time comes from the report's mtime
	while [ "$(cut -d' ' -f3 "/proc/$SUP/stat")" != Z ]; do
		[ "$SECONDS" -lt "$limit" ] || fail "$v: still running after $((60 + MIB)) s"
		nap 0.01
	done
	# conmon's report is the bare exit code, pith-shim's a JSON object
	grep -qxE '0|.*"exit_code":0[,}].*' "$d/exit/$id" 2>/dev/null || fail "$v: exit report '$(cat "$d/exit/$id" 2>/dev/null)'"
	st=$(cut -d' ' -f14,15 "/proc/$SUP/stat")
	ns=$(cut -d' ' -f1 "/proc/$SUP/schedstat")
	[ "$(awk '$1 == "Threads:" { print $2 }' "/proc/$SUP/status")" = 1 ] || ns=""
	end=$(stat -c %.9Y "$d/exit/$id")
	kill "$SP"; wait "$SP" 2>/dev/null || true
	SP="" SUP=""
	[ "${v#conmon}" = "$v" ] || "$RUNTIME" --root "$DIR/state" delete --force "$id" >/dev/null 2>>"$ERR" || true
	CUR=""
	ut=${st% *} stt=${st#* }
	[ -n "$ns" ] || ns=$(( (ut + stt) * 1000000000 / $(getconf CLK_TCK) ))
	read -r lines ok < <(verify $(ls -r "$d"/log/ctr.log*))
	case $v in *-rot) ;; *) [ "$lines" = "$LINES" ] || ok=0 ;; esac
	awk -v v="$v" -v k="$k" -v a="$t0" -v b="$end" -v mib="$MIB" -v ns="$ns" -v ut="$ut" -v st="$stt" \
		-v l="$lines" -v n="$LINES" -v ok="$ok" \
		'BEGIN { w = b - a; printf "%s %d %.4f %.1f %.2f %d %d %d %d %d\n", v, k, w, mib / w, ns / 1e6, ut, st, l, n, ok }'
	rm -rf "$d/log"
}

for ((k = 1; k <= ROUNDS; k++)); do
	if (( k % 2 )); then order=("${VARIANTS[@]}"); else mapfile -t order < <(printf '%s\n' "${VARIANTS[@]}" | tac); fi
	for v in "${order[@]}"; do run "$v" "$k"; done
done
