#!/bin/bash
# shim_rss.sh BUILD_DIR [IDLE_SECONDS] [RUNTIME]
#
# Memory and idle cost of pith-shim while it supervises `sleep`:
#   rss_kb / pss_kb   from /proc/<shim>/smaps_rollup (PSS shares libc pages fairly)
#   hwm_kb            peak RSS (VmHWM) over the whole run
#   cpu_ticks         utime+stime the shim used during IDLE_SECONDS (default 60)
#   wakeups           context switches of the shim during IDLE_SECONDS: 0 means
#                     the event loop slept the whole time (no timers, no polling)
# Prints one JSON line. RUNTIME defaults to BUILD_DIR/pith ($PITH_SHIM_RUNTIME
# overrides). Root only. Leaves nothing behind (container, cgroup, temp dir).
# Environment:
#   SHIM_RSS_CGROUP=/PARENT          cgroup parent of the containers (default /pith-test/shim-bench)
#   SHIM_RSS_CONMON_RUNTIME=PATH     also start conmon (when installed) supervising the same
#                                    sleep through the runtime PATH, watched in the same idle
#                                    window; its figures are the conmon_* fields
set -euo pipefail
BUILD=$(cd "${1:?usage: shim_rss.sh BUILD_DIR [IDLE_SECONDS] [RUNTIME]}" && pwd)
IDLE=${2:-60}
RUNTIME=${3:-${PITH_SHIM_RUNTIME:-$BUILD/pith}}
SHIM=$BUILD/pith-shim
[ -x "$SHIM" ] || { echo "shim_rss: $SHIM not built" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "shim_rss: needs root" >&2; exit 2; }

DIR=$(mktemp -d /tmp/pith-shim-bench.XXXXXX)
ID=shim-bench-$$
CGPARENT=${SHIM_RSS_CGROUP:-/pith-test/shim-bench}
CG=$CGPARENT/$ID
CRT=${SHIM_RSS_CONMON_RUNTIME:-}
command -v conmon >/dev/null 2>&1 || CRT=""
CID=$ID-conmon
CPID=""
cleanup() {
	if [ -S "$DIR/ctl.sock" ]; then "$SHIM" ctl --socket "$DIR/ctl.sock" stop 0 >/dev/null 2>&1 || true; fi
	"$RUNTIME" --root "$DIR/state" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -n "$CRT" ]; then
		"$CRT" --root "$DIR/cstate" delete --force "$CID" >/dev/null 2>&1 || true
		# conmon exits once its container has; end it only if it is still that conmon
		for _ in 1 2 3 4 5 6 7 8 9 10; do [ -n "$CPID" ] && [ -d "/proc/$CPID" ] || break; sleep 0.2; done
		if [ -n "$CPID" ] && [ "$(cat "/proc/$CPID/comm" 2>/dev/null)" = conmon ]; then kill "$CPID" 2>/dev/null || true; fi
	fi
	for d in /sys/fs/cgroup/*"$CG" /sys/fs/cgroup/*"$CG-conmon" /sys/fs/cgroup/*"$CGPARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT

# bundle: static busybox + sleep, absolute cgroup under /pith-test
mkdir -p "$DIR/bundle/rootfs/bin" "$DIR/bundle/rootfs/proc" "$DIR/bundle/rootfs/dev"
cp /bin/busybox "$DIR/bundle/rootfs/bin/busybox"
ln -s busybox "$DIR/bundle/rootfs/bin/sleep"
cat >"$DIR/bundle/config.json" <<EOF
{"ociVersion":"1.0.2",
 "process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["/bin/sleep","100000"],
  "env":["PATH=/bin"],"cwd":"/","noNewPrivileges":true,
  "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}},
 "root":{"path":"rootfs","readonly":true},
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
  {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755","size=1024k"]}],
 "linux":{"cgroupsPath":"$CG","resources":{"devices":[{"allow":false,"access":"rwm"}]},
  "namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]}}
EOF

"$SHIM" --id "$ID" --bundle "$DIR/bundle" --runtime "$RUNTIME" --root "$DIR/state" \
	--socket "$DIR/ctl.sock" --run-dir "$DIR/run" --pid-file "$DIR/shim.pid" \
	--log "$DIR/ctr.log" --log-max-size 1m --exit-file "$DIR/exit.json"
PID=$(cat "$DIR/shim.pid")

# conmon as podman starts it (it daemonises; -P names the conmon that stays), then `start`
if [ -n "$CRT" ]; then
	mkdir -p "$DIR/cbundle" "$DIR/conmon"
	sed -e "s|\"path\":\"rootfs\"|\"path\":\"$DIR/bundle/rootfs\"|" -e "s|$CG\"|$CG-conmon\"|" \
		"$DIR/bundle/config.json" >"$DIR/cbundle/config.json"
	conmon --api-version 1 -c "$CID" -u "$CID" -n "$CID" -r "$CRT" --runtime-arg "--root=$DIR/cstate" \
		-b "$DIR/cbundle" -p "$DIR/conmon/ctr.pid" -P "$DIR/conmon/conmon.pid" \
		-l "k8s-file:$DIR/conmon/ctr.log" --exit-dir "$DIR/conmon" --socket-dir-path "$DIR/conmon" \
		--log-level error </dev/null >"$DIR/conmon/out" 2>&1 ||
		{ echo "shim_rss: conmon failed: $(cat "$DIR/conmon/out")" >&2; exit 1; }
	# conmon's parent returns at once; the container exists when conmon wrote its pid
	for _ in $(seq 100); do [ -s "$DIR/conmon/ctr.pid" ] && break; sleep 0.05; done
	CPID=$(cat "$DIR/conmon/conmon.pid")
	"$CRT" --root "$DIR/cstate" start "$CID" >/dev/null ||
		{ echo "shim_rss: $CRT start under conmon failed" >&2; exit 1; }
fi

field() { awk -v k="$1" '$1 == k":" { print $2 }' "$2"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
switches() { echo $(( $(field voluntary_ctxt_switches "/proc/$1/status") + \
	$(field nonvoluntary_ctxt_switches "/proc/$1/status") )); }

sleep 1 # let start-up settle before the idle window
T0=$(ticks "$PID"); S0=$(switches "$PID")
[ -z "$CRT" ] || { CT0=$(ticks "$CPID"); CS0=$(switches "$CPID"); }
sleep "$IDLE"
T1=$(ticks "$PID"); S1=$(switches "$PID")
RSS=$(field Rss "/proc/$PID/smaps_rollup")
PSS=$(field Pss "/proc/$PID/smaps_rollup")
HWM=$(field VmHWM "/proc/$PID/status")
kill -0 "$PID" 2>/dev/null || { echo "shim_rss: the shim died" >&2; exit 1; }
CONMON=""
if [ -n "$CRT" ]; then
	kill -0 "$CPID" 2>/dev/null || { echo "shim_rss: conmon died" >&2; exit 1; }
	CT1=$(ticks "$CPID"); CS1=$(switches "$CPID")
	CONMON=$(printf ',"conmon_runtime":"%s","conmon_rss_kb":%s,"conmon_pss_kb":%s,"conmon_hwm_kb":%s,"conmon_cpu_ticks":%s,"conmon_wakeups":%s' \
		"$(basename "$CRT")" "$(field Rss "/proc/$CPID/smaps_rollup")" "$(field Pss "/proc/$CPID/smaps_rollup")" \
		"$(field VmHWM "/proc/$CPID/status")" $((CT1 - CT0)) $((CS1 - CS0)))
fi
printf '{"bench":"shim_rss","runtime":"%s","idle_s":%s,"rss_kb":%s,"pss_kb":%s,"hwm_kb":%s,"cpu_ticks":%s,"wakeups":%s%s}\n' \
	"$(basename "$RUNTIME")" "$IDLE" "$RSS" "$PSS" "$HWM" $((T1 - T0)) $((S1 - S0)) "$CONMON"
