#!/bin/bash
# make bench: pith against crun and runc, side by side, in one run (issue 8).
#   tests/bench/run.sh BUILD_DIR       (root; installs nothing; uses crun, runc, conmon, dotnet
#                                       when they are installed)
# Prints one table and writes BUILD_DIR/bench/results.json (+ table.txt, raw/ for every sample).
# Knobs (environment):
#   BENCH_QUICK=1        a 1-2 minute version (fewer rounds and samples, 5 s shim idle)
#   BENCH_ROUNDS=N       rounds of the 100-run batches (default 5, quick 2)
#   BENCH_RUNS=N         containers per batch (default 100)
#   BENCH_SAMPLES=N      samples of the single-container measurements (default 20, quick 6)
#   BENCH_SHIM_IDLE=S    seconds the shims are watched idle (default 30, quick 5)
#   BENCH_LOG_MIB=N      MiB each container writes in the log throughput bench (default 64, quick 16)
#   BENCH_SCALE=N        detached containers in the scale test (default 50)
#   BENCH_DOTNET=0       skip the .NET time-to-first-line bench
#   BENCH_IMAGE=0        skip the image bench (tests/bench/image.sh); BENCH_IMAGE_SAMPLES=N (default 7,
#                        quick 3); BENCH_IMAGE_DIR (default /var/tmp) holds its stores
#   BENCH_PULL=0         skip the pull bench (tests/bench/pull.sh); BENCH_PULL_SAMPLES=N (default 5,
#                        quick 3); its stores in BENCH_IMAGE_DIR too
# Method: runtimes alternate A B C, C B A (round by round, or sample by sample), ratios are taken
# pair by pair and the median is reported; every measurement runs inside a private mount
# namespace whose /sys/fs/cgroup holds only the v1 hierarchies (crun 1.8.1 refuses the host's
# hybrid layout; all three get the same view). cgroups live under /pith-bench and are removed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
OUT=$BUILD/bench
ROOTFS=$BUILD/fixtures/rootfs
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (containers, cgroups, mount namespaces)"
[ -x "$BUILD/pith" ] && [ -x "$ROOTFS/bin/busybox" ] || die "build first: make BUILD=$BUILD all fixtures"
for t in jq gcc unshare strip ldd; do command -v "$t" >/dev/null || die "$t is missing (make deps)"; done

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-2} SAMPLES=${BENCH_SAMPLES:-6} SHIM_IDLE=${BENCH_SHIM_IDLE:-5}
	SCALE_ROUNDS=1 DN_RUNS=5 LOG_MIB=${BENCH_LOG_MIB:-16} LOG_ROUNDS=3 IMG_SAMPLES=${BENCH_IMAGE_SAMPLES:-3}
	PULL_SAMPLES=${BENCH_PULL_SAMPLES:-3}
else
	ROUNDS=${BENCH_ROUNDS:-5} SAMPLES=${BENCH_SAMPLES:-20} SHIM_IDLE=${BENCH_SHIM_IDLE:-30}
	SCALE_ROUNDS=2 DN_RUNS=20 LOG_MIB=${BENCH_LOG_MIB:-64} LOG_ROUNDS=5 IMG_SAMPLES=${BENCH_IMAGE_SAMPLES:-7}
	PULL_SAMPLES=${BENCH_PULL_SAMPLES:-5}
fi
N=${BENCH_RUNS:-100}
SCALE=${BENCH_SCALE:-50}
[ "$SCALE" -ge 25 ] || die "BENCH_SCALE must be at least 25"

# ---------- outside the namespace: helpers, spec, then re-enter ----------
if [ -z "${BENCH_IN_V1NS:-}" ]; then
	# only what this script makes: notes (analysis.md) and profile.sh's output stay
	rm -rf "$OUT/raw" "$OUT/b" "$OUT"/*.plan "$OUT/results.tsv" "$OUT/results.json" "$OUT/targets.tsv" "$OUT/table.txt"
	mkdir -p "$OUT/raw"
	# static: a spawned command's peak RSS (wait4) can be no lower than the spawner's own
	for p in bt floor; do
		gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o "$OUT/$p" "$HERE/$p.c" 2>/dev/null ||
			gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$OUT/$p" "$HERE/$p.c"
	done
	# the bundle of issue 8 is `pith spec`; ociVersion 1.0.2 because crun 1.8.1 refuses newer ones
	(cd "$OUT" && "$BUILD/pith" spec --bundle "$OUT") && jq '.ociVersion = "1.0.2"' "$OUT/config.json" > "$OUT/spec.json"
	rm "$OUT/config.json"
	bench_cleanup
	v1ns "$OUT/bt" reaper "$0" "$@"
fi

trap 'bench_cleanup' EXIT
ERR=$OUT/raw/errors.log
: > "$OUT/results.tsv"
RTS=(pith)
for r in crun runc; do command -v "$r" >/dev/null && RTS+=("$r"); done
for r in "${RTS[@]}"; do mkdir -p "$STATE/$r"; done

# order R: the runtimes for round/sample R, alternating forwards and backwards (A B C, C B A)
order() { if (( $1 % 2 )); then printf '%s\n' "${RTS[@]}" | tac; else printf '%s\n' "${RTS[@]}"; fi; }
has() { printf '%s\n' "${RTS[@]}" | grep -qx "$1"; }

# bt_run NAME N PLAN: run a plan, samples to raw/NAME; fails the bench on failed timed steps
bt_run() {
	"$OUT/bt" -n "$2" -e "$ERR" "$3" > "$OUT/raw/$1"
	local f
	f=$(bt_fails "$OUT/raw/$1")
	[ "$f" = 0 ] || { tail -5 "$ERR" >&2; die "$1: $f commands failed (see $ERR)"; }
}

# pairs METRIC FILE: FILE has "KEY RUNTIME VALUE" (KEY = round or sample); records the median of
# each runtime and the median of the per-KEY ratios pith/crun and pith/runc
pairs() {
	local m=$1 f=$2 r
	for r in "${RTS[@]}"; do rec "$m" "$r" "$(awk -v r="$r" '$2 == r { print $3 }' "$f" | median)"; done
	for r in crun runc; do
		has "$r" || continue
		rec "$m" "pith/$r" "$(awk -v r="$r" '$2 == "pith" { p[$1] = $3 } $2 == r { q[$1] = $3 }
			END { for (k in p) if (k in q && q[k] > 0) print p[k] / q[k] }' "$f" | median)"
	done
}

# ---------- bundles ----------
log "bundles (runtimes: ${RTS[*]}; $( [ "$QUICK" = 1 ] && echo quick || echo full ))"
for r in "${RTS[@]}"; do
	mkbundle "$OUT/b/$r-true" "/$CGP/$r/run" 0 /bin/true
	mkbundle "$OUT/b/$r-seccomp" "/$CGP/$r/run" 1 /bin/true
	mkbundle "$OUT/b/$r-sleep" "/$CGP/$r/verb" 0 /bin/sleep 1000
	mkbundle "$OUT/b/$r-check" "/$CGP/$r/check" 1 /bin/grep Seccomp: /proc/self/status
done

# ---------- 6. binaries ----------
section_sizes() {
	log "binary sizes and shared libraries"
	local b p s libs
	for b in pith pith-shim pith-init crun runc conmon; do
		case $b in pith*) p=$BUILD/$b ;; *) p=$(command -v "$b" || true) ;; esac
		[ -n "$p" ] && [ -x "$p" ] || continue
		strip -o "$OUT/raw/$b.stripped" "$p" 2>/dev/null || cp "$p" "$OUT/raw/$b.stripped"
		s=$(stat -c %s "$OUT/raw/$b.stripped")
		if ldd "$p" >/dev/null 2>&1; then
			libs=$(ldd "$p" | awk '$1 !~ /^linux-vdso/ && $1 !~ /ld-linux/ { sub(/\.so.*/, "", $1); print $1 }' | tr '\n' ' ')
		else
			libs="(static)"
		fi
		rec size_kb "$b" "$(awk -v s="$s" 'BEGIN { printf "%.1f", s / 1024 }')"
		rec libs "$b" "${libs% }"
		rec nlibs "$b" "$(ldd "$p" 2>/dev/null | awk '$1 !~ /^linux-vdso/ && $1 !~ /ld-linux/' | wc -l)"
	done
}

# ---------- 7. floor ----------
section_floor() {
	log "floor: fork+exec, bare clone with namespaces + pivot_root, --version of each runtime"
	# interleaved, so a busy spell of the machine hits all of them alike; `RT --version` is what
	# every CLI call pays before doing anything (exec, dynamic linking, start-up)
	local rt
	{
		echo "T exec /bin/true"
		echo "T ns $OUT/floor $ROOTFS"
		for rt in "${RTS[@]}"; do echo "T version.$rt $(rt_path "$rt") --version"; done
	} > "$OUT/floor-mix.plan"
	bt_run floor-mix 40 "$OUT/floor-mix.plan"
	rec floor_exec floor "$(bt_ms exec "$OUT/raw/floor-mix" | median)"
	rec floor_ns floor "$(bt_ms ns "$OUT/raw/floor-mix" | median)"
	for rt in "${RTS[@]}"; do
		rec version_ms "$rt" "$(bt_ms "version.$rt" "$OUT/raw/floor-mix" | median)"
		rec rss_version_kb "$rt" "$(bt_col "version.$rt" 4 "$OUT/raw/floor-mix" | median)"
	done
	# back to back on its own: a cgroup v1 join soon after another skips the RCU grace period
	echo "T nscg $OUT/floor -c /$CGP/floor/f $ROOTFS" > "$OUT/floor-nscg.plan"
	bt_run floor-nscg 30 "$OUT/floor-nscg.plan"
	rec floor_nscg floor "$(bt_ms nscg "$OUT/raw/floor-nscg" | median)"
}

# ---------- 1 + 2. 100 sequential runs, without and with seccomp ----------
section_run100() {
	log "run x$N of /bin/true, plain and default seccomp, $ROUNDS rounds"
	local r k rt v
	for rt in "${RTS[@]}"; do
		for v in true seccomp; do
			echo "T run $(rt_cmd "$rt") run -b $OUT/b/$rt-$v r{i}" > "$OUT/run-$rt-$v.plan"
		done
		# the profile must really be in force in every runtime's container
		v=$($(rt_cmd "$rt") run -b "$OUT/b/$rt-check" chk </dev/null 2>>"$ERR" | awk '{ print $2 }')
		[ "$v" = 2 ] || die "$rt: the seccomp bundle's process shows Seccomp: '$v', not 2"
	done
	: > "$OUT/raw/run100"; : > "$OUT/raw/run100-seccomp"; : > "$OUT/raw/seccomp-added"
	for ((k = 1; k <= ROUNDS; k++)); do
		for rt in $(order "$k"); do
			for v in true seccomp; do
				bt_run "run-$rt-$v-$k" "$N" "$OUT/run-$rt-$v.plan"
			done
			local plain sc
			plain=$(awk '{ s += $3 } END { print s / 1e6 }' "$OUT/raw/run-$rt-true-$k")
			sc=$(awk '{ s += $3 } END { print s / 1e6 }' "$OUT/raw/run-$rt-seccomp-$k")
			echo "$k $rt $plain" >> "$OUT/raw/run100"
			echo "$k $rt $sc" >> "$OUT/raw/run100-seccomp"
			echo "$k $rt $(awk -v a="$sc" -v b="$plain" -v n="$N" 'BEGIN { print (a - b) * 1000 / n }')" >> "$OUT/raw/seccomp-added"
		done
		log "  round $k: $(awk -v k="$k" '$1 == k { printf "%s %.3f s  ", $2, $3 }' "$OUT/raw/run100")"
	done
	pairs run100_s "$OUT/raw/run100"
	pairs run100_seccomp_s "$OUT/raw/run100-seccomp"
	pairs seccomp_added_ms "$OUT/raw/seccomp-added"
	# the added cost can be ~0 for pith: compare medians, not per-round quotients of small numbers
	local p c
	p=$(awk -F'\t' '$1 == "seccomp_added_ms" && $2 == "pith" { print $3 }' "$OUT/results.tsv")
	for c in crun runc; do
		has "$c" || continue
		rec seccomp_added_ms "pith/$c" "$(awk -F'\t' -v c="$c" -v p="$p" \
			'$1 == "seccomp_added_ms" && $2 == c && $3 != 0 { printf "%.4f", p / $3 }' "$OUT/results.tsv")"
	done
	# per-run figures over every sample: median ms and peak RSS of `run`
	for rt in "${RTS[@]}"; do
		rec run_ms "$rt" "$(cat "$OUT"/raw/run-"$rt"-true-* | awk '{ print $3 / 1000 }' | median)"
		# CPU (user+sys of the runtime and what it waited for) has no blocked time in it: the v1
		# cgroup attach's RCU grace period and disk waits show in run_ms only
		rec run_cpu_ms "$rt" "$(cat "$OUT"/raw/run-"$rt"-true-* | awk '{ print $6 / 1000 }' | median)"
		rec run_seccomp_cpu_ms "$rt" "$(cat "$OUT"/raw/run-"$rt"-seccomp-* | awk '{ print $6 / 1000 }' | median)"
		rec rss_run_kb "$rt" "$(cat "$OUT"/raw/run-"$rt"-true-* | awk '{ print $4 }' | median)"
		rec rss_run_seccomp_kb "$rt" "$(cat "$OUT"/raw/run-"$rt"-seccomp-* | awk '{ print $4 }' | median)"
	done
}

# ---------- 3. one container after 100 ms idle ----------
section_idle() {
	log "one run after 100 ms idle, $SAMPLES samples (+ the floor with cgroups after idle)"
	local k rt
	: > "$OUT/idle.plan"
	for ((k = 1; k <= SAMPLES; k++)); do
		for rt in $(order "$k"); do
			printf 'S 100\nT %s.%d %s run -b %s i{i}\n' "$rt" "$k" "$(rt_cmd "$rt")" "$OUT/b/$rt-true" >> "$OUT/idle.plan"
		done
		printf 'S 100\nT floor.%d %s -c /%s/floor/i %s\n' "$k" "$OUT/floor" "$CGP" "$ROOTFS" >> "$OUT/idle.plan"
	done
	bt_run idle 1 "$OUT/idle.plan"
	awk '{ split($1, a, "."); print a[2], a[1], $3 / 1000 }' "$OUT/raw/idle" | grep -v ' floor ' > "$OUT/raw/idle.pairs"
	pairs idle_run_ms "$OUT/raw/idle.pairs"
	rec floor_nscg_idle floor "$(awk '$1 ~ /^floor\./ { print $3 / 1000 }' "$OUT/raw/idle" | median)"
}

# ---------- 4 + 5. each verb alone, peak RSS ----------
VERBS="create start state list kill delete delete_force"
section_verbs() {
	log "verbs: create start state list kill delete, delete --force of a running one; $SAMPLES samples"
	local k rt R v
	: > "$OUT/verbs.plan"
	for ((k = 1; k <= SAMPLES; k++)); do
		for rt in $(order "$k"); do
			R=$(rt_cmd "$rt")
			cat >> "$OUT/verbs.plan" <<-EOF
				T $rt.create.$k $R create -b $OUT/b/$rt-sleep v$k
				T $rt.start.$k $R start v$k
				T $rt.state.$k $R state v$k
				T $rt.list.$k $R list
				T $rt.kill.$k $R kill v$k KILL
				W stopped $R state v$k
				T $rt.delete.$k $R delete v$k
				U $R create -b $OUT/b/$rt-sleep f$k
				U $R start f$k
				T $rt.delete_force.$k $R delete --force f$k
			EOF
		done
	done
	bt_run verbs 1 "$OUT/verbs.plan"
	for v in $VERBS; do
		awk -v v="$v" '{ split($1, a, "."); if (a[2] == v) print a[3], a[1], $3 / 1000 }' "$OUT/raw/verbs" > "$OUT/raw/verb-$v.pairs"
		pairs "verb_${v}_ms" "$OUT/raw/verb-$v.pairs"
		for rt in "${RTS[@]}"; do
			rec "rss_${v}_kb" "$rt" "$(awk -v n="$rt" -v v="$v" '{ split($1, a, "."); if (a[1] == n && a[2] == v) print $4 }' "$OUT/raw/verbs" | median)"
		done
	done
}

# ---------- 5. a created-but-not-started container's init ----------
section_init_mem() {
	log "memory of a created, not started container's init"
	local rt pid
	for rt in "${RTS[@]}"; do
		$(rt_cmd "$rt") create -b "$OUT/b/$rt-sleep" mem </dev/null >/dev/null 2>>"$ERR" || die "$rt create failed"
		pid=$($(rt_cmd "$rt") state mem | jq -r .pid)
		rec init_rss_kb "$rt" "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")"
		rec init_pss_kb "$rt" "$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup")"
		rec init_comm "$rt" "$(cat "/proc/$pid/comm")"
		$(rt_cmd "$rt") delete --force mem >/dev/null 2>>"$ERR"
	done
}

# ---------- 5. the shims ----------
section_shim() {
	local cr=""
	command -v conmon >/dev/null && { has crun && cr=$(command -v crun) || cr=$BUILD/pith; }
	log "pith-shim${cr:+ and conmon (runtime $(basename "$cr"))} supervising sleep, ${SHIM_IDLE}s idle"
	SHIM_RSS_CGROUP=/$CGP/shim SHIM_RSS_CONMON_RUNTIME=$cr \
		"$HERE/shim_rss.sh" "$BUILD" "$SHIM_IDLE" > "$OUT/raw/shim.json" 2>>"$ERR" || die "shim_rss.sh failed (see $ERR)"
	local k
	for k in rss_kb pss_kb cpu_ticks wakeups; do
		rec "shim_$k" pith-shim "$(jq -r ".$k" "$OUT/raw/shim.json")"
		[ -z "$cr" ] || rec "shim_$k" conmon "$(jq -r ".conmon_$k" "$OUT/raw/shim.json")"
	done
	rec shim_idle_s all "$SHIM_IDLE"
}

# ---------- 5. the shims' log path ----------
section_log() {
	command -v conmon >/dev/null || { rec log_note all "conmon not installed"; return 0; }
	local rt=$BUILD/pith v m p c
	has crun && rt=$(command -v crun)
	log "log throughput: pith-shim and conmon (runtime $(basename "$rt")), $LOG_MIB MiB of 100-byte lines, $LOG_ROUNDS rounds"
	LOG_TP_CGROUP=/$CGP/log LOG_TP_ROUNDS=$LOG_ROUNDS \
		"$HERE/log_throughput.sh" "$BUILD" "$LOG_MIB" "$rt" > "$OUT/raw/log" 2>>"$ERR" || die "log_throughput.sh failed (see $ERR)"
	# "VARIANT ROUND WALL_S MIB_S CPU_MS UTICKS STICKS LINES_LOG LINES_WRITTEN INTACT" lines
	for v in "" rot; do
		p=shim${v:+-$v} c=conmon${v:+-$v}
		for m in wall_s:3 mib_s:4 cpu_ms:5 lines:8; do
			rec "log${v:+_$v}_${m%:*}" pith-shim "$(awk -v v="$p" -v f="${m#*:}" '$1 == v { print $f }' "$OUT/raw/log" | median)"
			rec "log${v:+_$v}_${m%:*}" conmon "$(awk -v v="$c" -v f="${m#*:}" '$1 == v { print $f }' "$OUT/raw/log" | median)"
			rec "log${v:+_$v}_${m%:*}" pith-shim/conmon "$(awk -v p="$p" -v c="$c" -v f="${m#*:}" '$1 == p { a[$2] = $f }
				$1 == c { b[$2] = $f } END { for (k in a) if (k in b && b[k] > 0) print a[k] / b[k] }' "$OUT/raw/log" | median)"
		done
		rec "log${v:+_$v}_intact" pith-shim "$(awk -v v="$p" '$1 == v && $10 != 1 { n++ } END { print n ? "false" : "true" }' "$OUT/raw/log")"
		rec "log${v:+_$v}_intact" conmon "$(awk -v v="$c" '$1 == v && $10 != 1 { n++ } END { print n ? "false" : "true" }' "$OUT/raw/log")"
	done
	rec log_lines_written all "$(awk 'NR == 1 { print $9 }' "$OUT/raw/log")"
	rec log_mib all "$LOG_MIB"; rec log_runtime all "$(basename "$rt")"
}

# ---------- 8. scale ----------
section_scale() {
	log "scale: $SCALE detached containers per runtime, list at 10/25/$SCALE, delete all; $SCALE_ROUNDS round(s)"
	local rt i k j R
	for rt in "${RTS[@]}"; do
		for ((i = 1; i <= SCALE; i++)); do
			mkbundle "$OUT/b/scale/$rt-$i" "/$CGP/$rt/scale/s$i" 0 /bin/sleep 1000
		done
	done
	: > "$OUT/raw/scale.start"; : > "$OUT/raw/scale.list"; : > "$OUT/raw/scale.del"
	for ((k = 1; k <= SCALE_ROUNDS; k++)); do
		: > "$OUT/scale.plan"
		for ((i = 1; i <= SCALE; i++)); do
			for rt in $(order "$((i + k))"); do
				echo "T $rt.start.$i $(rt_cmd "$rt") run -d -b $OUT/b/scale/$rt-$i s$i" >> "$OUT/scale.plan"
			done
			if [ "$i" = 10 ] || [ "$i" = 25 ] || [ "$i" = "$SCALE" ]; then
				for j in 1 2 3 4 5; do
					for rt in $(order "$j"); do echo "T $rt.list.$i $(rt_cmd "$rt") list" >> "$OUT/scale.plan"; done
				done
			fi
		done
		for ((i = 1; i <= SCALE; i++)); do
			for rt in $(order "$i"); do
				echo "T $rt.del.$i $(rt_cmd "$rt") delete --force s$i" >> "$OUT/scale.plan"
			done
		done
		bt_run "scale-$k" 1 "$OUT/scale.plan"
		awk -v k="$k" '{ split($1, a, "."); print k, a[1], a[2], a[3], $3 / 1000 }' "$OUT/raw/scale-$k" |
			awk -v o="$OUT/raw/scale" '$3 == "start" { print >> (o ".start") } $3 == "list" { print >> (o ".list") }
				$3 == "del" { print >> (o ".del") }'
	done
	# per round and runtime: median start ms of containers 1-10, 11-25, 26-N; cumulative s; list
	local lo hi at
	for rt in "${RTS[@]}"; do
		for at in 10 25 "$SCALE"; do
			case $at in 10) lo=1 hi=10 ;; 25) lo=11 hi=25 ;; *) lo=26 hi=$SCALE ;; esac
			rec "scale_start_ms_at$at" "$rt" "$(awk -v r="$rt" -v lo="$lo" -v hi="$hi" \
				'$2 == r && $4 >= lo && $4 <= hi { print $5 }' "$OUT/raw/scale.start" | median)"
			rec "scale_cumulative_s_at$at" "$rt" "$(awk -v r="$rt" -v at="$at" \
				'$2 == r && $4 <= at { s[$1] += $5 / 1000 } END { for (k in s) print s[k] }' "$OUT/raw/scale.start" | median)"
			rec "scale_list_ms_at$at" "$rt" "$(awk -v r="$rt" -v at="$at" '$2 == r && $4 == at { print $5 }' "$OUT/raw/scale.list" | median)"
		done
		rec scale_delete_all_s "$rt" "$(awk -v r="$rt" '$2 == r { s[$1] += $5 / 1000 } END { for (k in s) print s[k] }' "$OUT/raw/scale.del" | median)"
		rec scale_delete_ms "$rt" "$(awk -v r="$rt" '$2 == r { print $5 }' "$OUT/raw/scale.del" | median)"
	done
}

# ---------- .NET time to first line ----------
section_dotnet() {
	[ "${BENCH_DOTNET:-1}" != 0 ] || return 0
	command -v dotnet >/dev/null || { rec dotnet_ttfl_ms note "dotnet not installed"; return 0; }
	log ".NET time to first line ($DN_RUNS runs each; tests/dotnet/bench_ttfl.sh)"
	if ! "$HERE/../dotnet/bench_ttfl.sh" "$BUILD" "$DN_RUNS" > "$OUT/raw/dotnet.txt" 2>&1; then
		tail -5 "$OUT/raw/dotnet.txt" >&2
		rec dotnet_ttfl_ms note "bench_ttfl.sh failed (raw/dotnet.txt)"
		return 0
	fi
	# "variant median min max runs" lines: host, crun, pith, pith-shim+pith
	local name med f
	f=$(grep -c '^ttfl: crun: first line after -1' "$OUT/raw/dotnet.txt" || true)
	[ "$f" = 0 ] || rec dotnet_ttfl_ms note "crun failed $f runs in bench_ttfl.sh (its bundle says ociVersion \
$(jq -r .ociVersion "$BUILD/dotnet/bundles/bench-crun/config.json" 2>/dev/null); crun 1.8.1 refuses versions it does not know)"
	while read -r name med _; do
		case $name in host | crun | runc | pith | pith-shim+pith) rec dotnet_ttfl_ms "$name" "$med" ;; esac
	done < <(grep -E '^(host|crun|runc|pith|pith-shim\+pith) ' "$OUT/raw/dotnet.txt")
}

# ---------- 9. images: load + bundle against skopeo+umoci and podman ----------
# bench_script NAME SAMPLES: tests/bench/NAME.sh's metric lines into the results; exit 77 (a tool
# is missing) becomes the note NAME_note
bench_script() {
	local rc=0
	"$HERE/$1.sh" "$BUILD" "$OUT" "$2" > "$OUT/raw/$1.tsv" 2>>"$ERR" || rc=$?
	if [ "$rc" = 77 ]; then rec "$1_note" all "$(tail -1 "$ERR")"; return 0; fi
	[ "$rc" = 0 ] || { tail -5 "$ERR" >&2; die "$1.sh failed (see $ERR)"; }
	cat "$OUT/raw/$1.tsv" >> "$OUT/results.tsv"
}
section_image() {
	[ "${BENCH_IMAGE:-1}" != 0 ] || return 0
	log "images: a .NET image made runnable by pith-image, skopeo+umoci, podman; $IMG_SAMPLES samples (tests/bench/image.sh)"
	bench_script image "$IMG_SAMPLES"
}

# ---------- 10. pulls from a loopback registry against podman, skopeo+umoci, ctr, docker ----------
section_pull() {
	[ "${BENCH_PULL:-1}" != 0 ] || return 0
	log "pulls: the .NET image from a registry on 127.0.0.1 by pith-image, podman, skopeo+umoci, ctr, docker; $PULL_SAMPLES samples (tests/bench/pull.sh)"
	bench_script pull "$PULL_SAMPLES"
}

START=$(date +%s)
section_sizes
section_floor
section_run100
section_idle
section_verbs
section_init_mem
section_shim
section_log
section_scale
section_dotnet
section_image
section_pull
rec bench_seconds all "$(( $(date +%s) - START ))"
{
	rec meta kernel "$(uname -r)"; rec meta cpus "$(nproc)"; rec meta loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	rec meta mode "$( [ "$QUICK" = 1 ] && echo quick || echo full )"; rec meta rounds "$ROUNDS"; rec meta runs "$N"
	rec meta samples "$SAMPLES"; rec meta scale "$SCALE"; rec meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	rec meta pith "$("$BUILD/pith" --version | head -1)"
	for r in crun runc conmon; do command -v "$r" >/dev/null && rec meta "$r" "$("$r" --version 2>&1 | head -1)"; done
}
"$HERE/report.sh" "$OUT"
