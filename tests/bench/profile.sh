#!/bin/bash
# profile.sh BUILD_DIR [RUNS]: where one `pith run` of /bin/true spends its time (root).
# Not part of `make bench`; run it after a change to see what moved. Writes BUILD_DIR/bench/profile/:
#   verbs.txt        state and list (10 running) as they are and with state.json read in one
#                    read(2) instead of jansson's json_loadfd byte-at-a-time (LD_PRELOAD)
#   ablation.txt     median ms of one run (RUNS back to back per block, 3 rounds rotated; every
#                    pith variant through env(1), so add ~0.6 ms to compare with crun) for the
#                    full bundle and for variants that remove one thing each, beside crun and the
#                    floor: without state fsync (LD_PRELOAD), with the cgroup parents kept (a
#                    sibling holds them), without the net namespace, /sys mounts, masks, caps
#   strace-c.txt     syscall counts of one run (strace -f -c)
#   strace-r.txt     a relative timeline of one run (strace -f -r -T -y)
#   perf-stat.txt    task-clock, context switches, page faults: pith, crun, floor (perf stat -r)
#   perf-trace.txt   untraced-cost syscall summary (perf trace -s; tracefs mounted in the private
#                    namespace), when perf trace works
#   perf-report.txt  CPU samples of RUNS runs by DSO and by syscall (perf record -g)
# Same isolation as the bench: v1-only cgroup view, cgroups under /pith-bench, removed after.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: profile.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-20}
OUT=$BUILD/bench
ROOTFS=$BUILD/fixtures/rootfs
P=$OUT/profile
# shellcheck source=lib.sh
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || die "needs root"

if [ -z "${BENCH_IN_V1NS:-}" ]; then
	mkdir -p "$OUT" "$P"
	for p in bt floor; do
		gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o "$OUT/$p" "$HERE/$p.c" 2>/dev/null ||
			gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$OUT/$p" "$HERE/$p.c"
	done
	printf 'int fdatasync(int fd) { (void)fd; return 0; }\nint fsync(int fd) { (void)fd; return 0; }\n' > "$P/nofsync.c"
	gcc -O2 -shared -fPIC -o "$P/nofsync.so" "$P/nofsync.c"
	cat > "$P/fastload.c" <<-'EOF'
		#include <errno.h>
		#include <jansson.h>
		#include <stdlib.h>
		#include <unistd.h>
		/* json_loadfd reads one byte per read(2): read the file at once, parse the buffer */
		json_t *json_loadfd(int fd, size_t flags, json_error_t *error)
		{
			size_t cap = 16384, len = 0;
			char *buf = malloc(cap), *p;
			for (ssize_t r; buf; len += (size_t)r) {
				if (len == cap && !(p = realloc(buf, cap *= 2)))
					break;
				else if (len == cap)
					buf = p;
				while ((r = read(fd, buf + len, cap - len)) < 0 && errno == EINTR)
					;
				if (r <= 0)
					break;
			}
			json_t *j = buf ? json_loadb(buf, len, flags, error) : NULL;
			free(buf);
			return j;
		}
	EOF
	gcc -O2 -shared -fPIC -o "$P/fastload.so" "$P/fastload.c" -ljansson
	(cd "$OUT" && "$BUILD/pith" spec --bundle "$OUT") && jq '.ociVersion = "1.0.2"' "$OUT/config.json" > "$OUT/spec.json"
	rm "$OUT/config.json"
	bench_cleanup
	v1ns "$OUT/bt" reaper "$0" "$@"
fi
trap 'bench_cleanup' EXIT
ERR=$P/errors.log
: > "$ERR"
mkdir -p "$STATE/pith" "$STATE/crun"
PITH="$BUILD/pith --root $STATE/pith"

# ---------- ablation ----------
B=$P/b
mkbundle "$B/full" "/$CGP/pith/abl" 0 /bin/true
mkbundle "$B/seccomp" "/$CGP/pith/abl" 1 /bin/true
mkbundle "$B/no-netns" "/$CGP/pith/abl" 0 /bin/true
jq '.linux.namespaces |= map(select(.type != "network"))' "$B/full/config.json" > "$B/no-netns/config.json"
mkbundle "$B/no-sys" "/$CGP/pith/abl" 0 /bin/true
jq '.mounts |= map(select(.destination | startswith("/sys") | not))' "$B/full/config.json" > "$B/no-sys/config.json"
mkbundle "$B/no-masks" "/$CGP/pith/abl" 0 /bin/true
jq 'del(.linux.maskedPaths, .linux.readonlyPaths)' "$B/full/config.json" > "$B/no-masks/config.json"
mkbundle "$B/no-caps" "/$CGP/pith/abl" 0 /bin/true
jq 'del(.process.rlimits) | .process.noNewPrivileges = false | .process.capabilities |= map_values([])' \
	"$B/full/config.json" > "$B/no-caps/config.json"
mkbundle "$B/crun" "/$CGP/crun/abl" 0 /bin/true

plan() { echo "T $1 ${*:2}" > "$P/$1.plan"; }
# every pith variant goes through env(1), so the preload variants carry no extra exec
E=/usr/bin/env
plan full $E $PITH run -b "$B/full" a{i}
plan nofsync $E LD_PRELOAD="$P/nofsync.so" $PITH run -b "$B/full" a{i}
plan keep-parents $E $PITH run -b "$B/full" a{i}
plan nofsync+keep $E LD_PRELOAD="$P/nofsync.so" $PITH run -b "$B/full" a{i}
plan no-netns $E $PITH run -b "$B/no-netns" a{i}
plan no-sys $E $PITH run -b "$B/no-sys" a{i}
plan no-masks $E $PITH run -b "$B/no-masks" a{i}
plan no-caps $E $PITH run -b "$B/no-caps" a{i}
plan seccomp $E $PITH run -b "$B/seccomp" a{i}
plan version "$BUILD/pith" --version
plan crun "$(command -v crun || echo /bin/false)" --root "$STATE/crun" run -b "$B/crun" a{i}
plan floor "$OUT/floor" -c "/$CGP/floor/a" "$ROOTFS"
plan exec /bin/true
VARIANTS="full nofsync keep-parents nofsync+keep no-netns no-sys no-masks no-caps seccomp version crun floor exec"
: > "$P/ablation.raw"
keep() {	# a sibling cgroup keeps /pith-bench/pith from being removed by the last delete
	local h
	for h in /sys/fs/cgroup/*; do
		if [ "$1" = on ]; then mkdir -p "$h/$CGP/pith/keep"; else rmdir "$h/$CGP/pith/keep" 2>/dev/null || true; fi
	done
}
log "ablation: $RUNS runs per block, 3 rounds"
for r in 1 2 3; do
	vs=$VARIANTS; [ "$r" = 2 ] && vs=$(echo "$VARIANTS" | tr ' ' '\n' | tac | tr '\n' ' ')
	for v in $vs; do
		case $v in keep-parents | nofsync+keep) keep on ;; esac
		"$OUT/bt" -n "$RUNS" -e "$ERR" "$P/$v.plan" >> "$P/ablation.raw"
		keep off
	done
done
{
	echo "one run, median of $RUNS back to back x 3 rounds (delta vs full); CPU = user+sys of the"
	echo "command and its children: blocked time (the v1 cgroup attach's RCU wait, I/O) is only in wall"
	full=$(awk '$1 == "full" { print $3 / 1000 }' "$P/ablation.raw" | median)
	fcpu=$(awk '$1 == "full" { print $6 / 1000 }' "$P/ablation.raw" | median)
	for v in $VARIANTS; do
		m=$(awk -v v="$v" '$1 == v { print $3 / 1000 }' "$P/ablation.raw" | median)
		c=$(awk -v v="$v" '$1 == v { print $6 / 1000 }' "$P/ablation.raw" | median)
		f=$(awk -v v="$v" '$1 == v && $5 != 0' "$P/ablation.raw" | wc -l)
		printf '  %-14s wall %7.2f ms (%+6.2f)   CPU %6.2f ms (%+6.2f)%s\n' "$v" \
			"$m" "$(awk -v a="$m" -v b="$full" 'BEGIN { print a - b }')" \
			"$c" "$(awk -v a="$c" -v b="$fcpu" 'BEGIN { print a - b }')" \
			"$( [ "$f" = 0 ] || echo "  $f failed")"
	done
} | tee "$P/ablation.txt"

# ---------- verbs: state.json read at once ----------
mkbundle "$B/sleep" "/$CGP/pith/verbs" 0 /bin/sleep 1000
for i in $(seq 10); do
	jq --arg cg "/$CGP/pith/verbs/s$i" '.linux.cgroupsPath = $cg' "$B/sleep/config.json" > "$B/sleep/config-$i.json"
	mkdir -p "$B/s$i" && cp "$B/sleep/config-$i.json" "$B/s$i/config.json"
	$PITH run -d -b "$B/s$i" "vs$i" </dev/null >/dev/null 2>>"$ERR"
done
{
	echo "T state $PITH state vs1"
	echo "T state+fastload /usr/bin/env LD_PRELOAD=$P/fastload.so $PITH state vs1"
	echo "T state+env /usr/bin/env $PITH state vs1"
	echo "T list $PITH list"
	echo "T list+fastload /usr/bin/env LD_PRELOAD=$P/fastload.so $PITH list"
	echo "T list+env /usr/bin/env $PITH list"
} > "$P/verbs.plan"
"$OUT/bt" -n "$RUNS" -e "$ERR" "$P/verbs.plan" > "$P/verbs.raw"
for i in $(seq 10); do $PITH delete --force "vs$i" >/dev/null 2>>"$ERR"; done
{
	echo "verbs, median of $RUNS (+env: the same through /usr/bin/env, the cost the preload variants carry)"
	for v in state state+env state+fastload list list+env list+fastload; do
		printf '  %-16s wall %7.2f ms   CPU %6.2f ms\n' "$v" \
			"$(awk -v v="$v" '$1 == v { print $3 / 1000 }' "$P/verbs.raw" | median)" \
			"$(awk -v v="$v" '$1 == v { print $6 / 1000 }' "$P/verbs.raw" | median)"
	done
} | tee "$P/verbs.txt"

# ---------- one run, traced ----------
for i in 1 2; do $PITH run -b "$B/full" warm </dev/null >/dev/null 2>>"$ERR" || true; done
if command -v strace >/dev/null; then
	strace -f -c -o "$P/strace-c.txt" $PITH run -b "$B/full" sc </dev/null >/dev/null 2>>"$ERR"
	strace -f -r -T -y -s 120 -o "$P/strace-r.txt" $PITH run -b "$B/full" sr </dev/null >/dev/null 2>>"$ERR"
	log "strace: $(grep total "$P/strace-c.txt" | awk '{ print $4 " syscalls, " $5 " errors" }')"
fi

if command -v perf >/dev/null; then
	{
		for c in "$PITH run -b $B/full ps" "$(command -v crun || echo true) --root $STATE/crun run -b $B/crun ps" \
			"$OUT/floor -c /$CGP/floor/ps $ROOTFS" "$BUILD/pith --version"; do
			perf stat -r "$RUNS" -e task-clock,context-switches,page-faults $c 2>&1 >/dev/null </dev/null |
				grep -E 'Performance|task-clock|switches|faults|elapsed'
		done
	} > "$P/perf-stat.txt" 2>&1 || true
	if mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
		perf trace -s -o "$P/perf-trace.txt" -- "$OUT/bt" -n "$RUNS" -e "$ERR" "$P/full.plan" >/dev/null 2>&1 || true
		umount /sys/kernel/tracing
	fi
	perf record -q -e cpu-clock -F 10000 -g -o "$P/perf.data" -- "$OUT/bt" -n "$RUNS" -e "$ERR" "$P/full.plan" >/dev/null 2>&1 || true
	{
		echo "== CPU samples of pith by DSO"
		perf report -q -i "$P/perf.data" --comm pith --no-children --sort dso -g none 2>/dev/null | head -12
		echo "== by syscall (children included)"
		perf report -q -i "$P/perf.data" --comm pith --children --sort sym -g none 2>/dev/null |
			grep -E '__x64_sys|__do_sys|asm_exc_page_fault' | head -25
	} > "$P/perf-report.txt" 2>&1 || true
fi
echo "profile: $P"
