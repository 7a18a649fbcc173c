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
set -euo pipefail
BUILD=$(cd "${1:?usage: shim_rss.sh BUILD_DIR [IDLE_SECONDS] [RUNTIME]}" && pwd)
IDLE=${2:-60}
RUNTIME=${3:-${PITH_SHIM_RUNTIME:-$BUILD/pith}}
SHIM=$BUILD/pith-shim
[ -x "$SHIM" ] || { echo "shim_rss: $SHIM not built" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "shim_rss: needs root" >&2; exit 2; }

DIR=$(mktemp -d /tmp/pith-shim-bench.XXXXXX)
ID=shim-bench-$$
CG=/pith-test/shim-bench/$ID
cleanup() {
	if [ -S "$DIR/ctl.sock" ]; then "$SHIM" ctl --socket "$DIR/ctl.sock" stop 0 >/dev/null 2>&1 || true; fi
	"$RUNTIME" --root "$DIR/state" delete --force "$ID" >/dev/null 2>&1 || true
	for d in /sys/fs/cgroup/*"$CG" /sys/fs/cgroup/*/pith-test/shim-bench; do
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

field() { awk -v k="$1" '$1 == k":" { print $2 }' "$2"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
switches() { echo $(( $(field voluntary_ctxt_switches "/proc/$PID/status") + \
	$(field nonvoluntary_ctxt_switches "/proc/$PID/status") )); }

sleep 1 # let start-up settle before the idle window
T0=$(ticks); S0=$(switches)
sleep "$IDLE"
T1=$(ticks); S1=$(switches)
RSS=$(field Rss "/proc/$PID/smaps_rollup")
PSS=$(field Pss "/proc/$PID/smaps_rollup")
HWM=$(field VmHWM "/proc/$PID/status")
kill -0 "$PID" 2>/dev/null || { echo "shim_rss: the shim died" >&2; exit 1; }
printf '{"bench":"shim_rss","runtime":"%s","idle_s":%s,"rss_kb":%s,"pss_kb":%s,"hwm_kb":%s,"cpu_ticks":%s,"wakeups":%s}\n' \
	"$(basename "$RUNTIME")" "$IDLE" "$RSS" "$PSS" "$HWM" $((T1 - T0)) $((S1 - S0))
