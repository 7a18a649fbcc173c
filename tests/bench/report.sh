#!/bin/bash
# report.sh OUT: the bench's table (OUT/table.txt, printed) and OUT/results.json from
# OUT/results.tsv ("metric <TAB> runtime-or-ratio <TAB> value" lines written by run.sh).
# A target row says "ok" or "MISS" with the measured ratio; a missing peer shows "-".
set -euo pipefail
OUT=${1:?usage: report.sh OUT}
TSV=$OUT/results.tsv
TARGETS=$OUT/targets.tsv
: > "$TARGETS"

val() { awk -F'\t' -v m="$1" -v k="$2" '$1 == m && $2 == k { v = $3 } END { print v }' "$TSV"; }
num() { case $1 in '' | nan | -nan) echo - ;; *) awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v
	if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v; else if (a >= 1) printf "%.2f", v; else printf "%.3f", v }' ;; esac; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.3f", a / b }' || true; }

FMT='%-46s %9s %9s %9s %10s %10s  %s\n'
# row KEY LABEL TARGET [A B C]: values of A B C (default pith crun runc), A/B and A/C (pair by
# pair when run.sh recorded them, else from the medians) and "ok"/"MISS" when TARGET (the most
# A/B may be) is not "-"
row() {
	local key=$1 label=$2 target=$3 a=${4:-pith} b=${5:-crun} c=${6:-runc}
	local va vb vc rb rc st=""
	va=$(val "$key" "$a"); vb=$(val "$key" "$b"); vc=$(val "$key" "$c")
	rb=$(val "$key" "$a/$b"); [ -n "$rb" ] || rb=$(ratio "$va" "$vb")
	rc=$(val "$key" "$a/$c"); [ -n "$rc" ] || rc=$(ratio "$va" "$vc")
	if [ "$target" != - ]; then
		if [ -z "$rb" ]; then st="target <= $target x $b: no $b"
		elif awk -v r="$rb" -v t="$target" 'BEGIN { exit !(r <= t) }'; then st="ok (<= $target)"
		else st="MISS (target <= $target)"; fi
		printf '%s\t%s\t%s\t%s\t%s\n' "$key" "$a/$b" "$target" "${rb:-null}" \
			"$( [ -n "$rb" ] && awk -v r="$rb" -v t="$target" 'BEGIN { print (r <= t) ? "true" : "false" }' || echo null)" >> "$TARGETS"
	fi
	# shellcheck disable=SC2059
	printf "$FMT" "$label" "$(num "$va")" "$(num "$vb")" "$(num "$vc")" "$(num "$rb")" "$(num "$rc")" "$st"
}
# target KEY RATIO LABEL AT_MOST: a recorded ratio of KEY (e.g. pith/podman) against its target
target() {
	local v st
	v=$(val "$1" "$2")
	if [ -z "$v" ]; then st="no $2"
	elif awk -v r="$v" -v t="$4" 'BEGIN { exit !(r <= t) }'; then st="ok (<= $4)"
	else st="MISS (target <= $4)"; fi
	printf '  %-44s %9s  %s\n' "$3 ($2)" "$(num "$v")" "$st"
	printf '%s\t%s\t%s\t%s\t%s\n' "${1}_vs_${2#pith/}" "$2" "$4" "${v:-null}" \
		"$( [ -n "$v" ] && awk -v r="$v" -v t="$4" 'BEGIN { print (r <= t) ? "true" : "false" }' || echo null)" >> "$TARGETS"
}
head_() {
	echo
	# shellcheck disable=SC2059
	printf "$FMT" "$1" "${2:-pith}" "${3:-crun}" "${4:-runc}" "${2:-pith}/${3:-crun}" "${2:-pith}/${4:-runc}" ""
}

{
	echo "pith bench $(val meta date)  mode $(val meta mode)  kernel $(val meta kernel)  $(val meta cpus) cpus  load $(val meta loadavg)"
	echo "  $(val meta pith); $(val meta crun | cut -c1-40); $(val meta runc | cut -c1-40); $(val meta conmon | cut -c1-30)"
	echo "  medians; runtimes alternated A B C / C B A; ratios pair by pair; v1-only cgroup view; took $(val bench_seconds all) s"

	N=$(val meta runs); R=$(val meta rounds); S=$(val meta samples)
	head_ "1-3. run of /bin/true"
	row run100_s "$N x run, total s ($R rounds)" 0.5
	row run_ms "  one run within the batches, ms" -
	row run_cpu_ms "  its CPU (user+sys, no blocked time), ms" -
	row run_seccomp_cpu_ms "  CPU of one run with seccomp, ms" -
	row run100_seccomp_s "$N x run with default seccomp, total s" -
	row seccomp_added_ms "  seccomp adds per container, ms" 0.1
	row idle_run_ms "one run after 100 ms idle, ms ($S samples)" -

	head_ "4. each verb alone, ms ($S samples)"
	for v in create start state list kill delete delete_force; do
		t=0.5; [ "$v" = list ] && t=-
		row "verb_${v}_ms" "$( [ "$v" = delete_force ] && echo "delete --force (running)" || echo "$v")" "$t"
	done

	head_ "5. memory, KiB"
	row rss_run_kb "peak RSS of run" 0.5
	row rss_version_kb "peak RSS of --version (start-up alone)" -
	row rss_run_seccomp_kb "peak RSS of run with seccomp" -
	for v in create start state list kill delete delete_force; do row "rss_${v}_kb" "peak RSS of $v" -; done
	row init_rss_kb "created-not-started init: RSS" -
	row init_pss_kb "created-not-started init: PSS" -
	head_ "   shim supervising sleep ($(val shim_idle_s all) s idle)" pith-shim conmon -
	row shim_rss_kb "shim RSS, KiB" 0.5 pith-shim conmon -
	row shim_pss_kb "shim PSS, KiB" - pith-shim conmon -
	row shim_cpu_ticks "shim CPU while idle, clock ticks" - pith-shim conmon -
	row shim_wakeups "shim context switches while idle" - pith-shim conmon -
	if [ -n "$(val log_mib all)" ]; then
		LW=$(val log_lines_written all)
		head_ "   log path: $(val log_mib all) MiB, 100 B lines ($(val log_runtime all))" pith-shim conmon -
		row log_mib_s "MiB/s, spawn to exit report" - pith-shim conmon -
		row log_wall_s "  wall time, s" - pith-shim conmon -
		row log_cpu_ms "  supervisor's own CPU (user+sys), ms" - pith-shim conmon -
		row log_lines "  lines in the log, of $LW written" - pith-shim conmon -
		row log_rot_mib_s "rotating at 1 MiB (shim x3, conmon truncates)" - pith-shim conmon -
		row log_rot_cpu_ms "  supervisor's own CPU, ms" - pith-shim conmon -
		row log_rot_lines "  lines kept, all whole" - pith-shim conmon -
		st=$( [ "$(val log_intact pith-shim)" = true ] && [ "$(val log_rot_intact pith-shim)" = true ] && echo true || echo false)
		echo "  pith-shim logs every line whole, none lost: $( [ "$st" = true ] && echo ok || echo MISS)" \
			"(conmon: $( [ "$(val log_intact conmon)" = true ] && [ "$(val log_rot_intact conmon)" = true ] && echo ok || echo MISS))"
		printf 'log_intact\tpith-shim\tevery line logged whole\tnull\t%s\n' "$st" >> "$TARGETS"
	elif [ -n "$(val log_note all)" ]; then
		echo "  log path: $(val log_note all)"
	fi

	head_ "6. binaries, stripped KiB"
	row size_kb "pith | crun | runc" 0.5
	row size_kb "pith-shim | conmon | pith-init (static)" - pith-shim conmon pith-init
	for b in pith pith-shim crun runc conmon; do
		l=$(val libs "$b"); [ -n "$l" ] && printf '  %-10s loads %s\n' "$b" "$l"
	done
	extra=$(val libs pith | tr ' ' '\n' | { grep -v -x -E 'libseccomp|libcap|libjansson|libmnl|libc' || true; } | tr '\n' ' ')
	if [ -z "$extra" ]; then libst=true; echo "  pith loads only libseccomp, libcap, jansson, libmnl, libc: ok"
	else libst=false; echo "  pith loads more than libseccomp, libcap, jansson, libmnl, libc: MISS ($extra)"; fi
	printf 'libs\tpith\tonly libseccomp libcap libjansson libmnl libc\tnull\t%s\n' "$libst" >> "$TARGETS"

	echo
	echo "7. the floor, ms"
	printf '  %-44s %9s\n' "fork+exec /bin/true" "$(num "$(val floor_exec floor)")"
	printf '  %-44s %9s\n' "clone 5 namespaces + pivot_root + proc" "$(num "$(val floor_ns floor)")"
	printf '  %-44s %9s\n' "  + 9 v1 cgroups (mkdir, join, rmdir)" "$(num "$(val floor_nscg floor)")"
	printf '  %-44s %9s\n' "  the same after 100 ms idle" "$(num "$(val floor_nscg_idle floor)")"
	printf '  %-44s %9s\n' "pith --version (exec + libraries + start-up)" "$(num "$(val version_ms pith)")"
	printf '  %-44s %9s\n' "crun --version" "$(num "$(val version_ms crun)")"
	printf '  %-44s %9s\n' "pith run within the batches" "$(num "$(val run_ms pith)")"

	SC=$(val meta scale)
	head_ "8. scale: $SC detached sleep containers"
	row scale_start_ms_at10 "start ms per container, 1-10" -
	row scale_start_ms_at25 "start ms per container, 11-25" -
	row "scale_start_ms_at$SC" "start ms per container, 26-$SC" -
	row scale_cumulative_s_at10 "cumulative start s at 10" -
	row scale_cumulative_s_at25 "cumulative start s at 25" -
	row "scale_cumulative_s_at$SC" "cumulative start s at $SC" -
	row scale_list_ms_at10 "list ms with 10 running" -
	row scale_list_ms_at25 "list ms with 25 running" -
	row "scale_list_ms_at$SC" "list ms with $SC running" -
	row scale_delete_ms "delete --force ms per container" -
	row scale_delete_all_s "delete --force all, s" -

	note=$(val dotnet_ttfl_ms note)
	if [ -n "$(val dotnet_ttfl_ms host)" ]; then
		echo
		echo ".NET time to first line, ms (tests/dotnet/bench_ttfl.sh)"
		for k in host crun runc pith pith-shim+pith; do
			v=$(val dotnet_ttfl_ms "$k"); [ -n "$v" ] && printf '  %-44s %9s\n' "$k" "$v"
		done
		[ -z "$note" ] || echo "  note: $note"
	elif [ -n "$note" ]; then
		echo; echo ".NET time to first line: $note"
	fi
	if [ -n "$(val image1_wall_ms pith)" ]; then
		head_ "9. image to bundle ($(val image_meta samples) samples)" pith skopeo+umoci podman
		echo "  the SDK's .NET image: $(val image_meta size_mb) MB of gzip, $(val image_meta unpacked_mb) MB unpacked, $(val image_meta layers) layers"
		row image1_wall_ms "load + bundle, wall ms" 0.5 pith skopeo+umoci podman
		target image1_wall_ms pith/podman "  against podman load" 1
		row image1_rss_kb "  peak RSS of the process tree, KiB" - pith skopeo+umoci podman
		target image1_rss_kb pith/best "  against the best peer" 0.25
		row image1_written_mb "  MB written (write_bytes)" - pith skopeo+umoci podman
		row image2_wall_ms "second image, same base: wall ms" - pith skopeo+umoci podman
		row image2_rss_kb "  peak RSS, KiB" - pith skopeo+umoci podman
		row image2_written_mb "  MB written: its own layer only" - pith skopeo+umoci podman
		printf '  %-44s %9s\n' "pith-image load of the first image, ms" "$(num "$(val image_step_ms load1)")"
		printf '  %-44s %9s\n' "pith-image bundle over shared layers, ms" "$(num "$(val image_step_ms rebundle)")"
		printf '  %-44s %9s\n' "  pith-image inspect of the same image, ms" "$(num "$(val image_step_ms inspect)")"
		printf '  %-44s %9s\n' "  bundle KiB written (config, no copy)" "$(num "$(val image_step_written_kb rebundle)")"
		bb=$(val image_bundle_beyond_config_wall_ms pith)
		printf '  %-44s %9s  %s\n' "  bundle beyond reading image + config, ms" "$(num "$bb")" \
			"$(awk -v v="$bb" 'BEGIN { print (v != "" && v < 10) ? "ok (< 10)" : "MISS (target < 10)" }')"
		printf 'image_bundle_beyond_config_ms\tpith\t10\t%s\t%s\n' "${bb:-null}" \
			"$(awk -v v="$bb" 'BEGIN { print (v != "" && v < 10) ? "true" : "false" }')" >> "$TARGETS"
		printf '  %-44s %9s\n' "    of it CPU (the rest: 4 fsyncs, run queue)" "$(num "$(val image_bundle_beyond_config_cpu_ms pith)")"
	elif [ -n "$(val image_note all)" ]; then
		echo; echo "9. image to bundle: $(val image_note all)"
	fi
	if [ -n "$(val pull_cold_wall_ms pith)" ]; then
		echo
		echo "10. pull + unpack from a registry on 127.0.0.1, plain HTTP ($(val pull_meta samples) samples; tests/bench/pull.sh)"
		echo "  the SDK's .NET image: $(val pull_meta pulled_mb) MB pulled, $(val pull_meta unpacked_mb) MB unpacked, $(val pull_meta layers) layers; daemons counted whole"
		PFMT='  %-14s %9s %11s %9s %9s %9s %9s %9s\n'
		# shellcheck disable=SC2059
		printf "$PFMT" tool "wall ms" "peak KiB" "MB wrtn" "/unpack" "/pulled" "again ms" "pith/it"
		for t in $(val pull_meta tools); do
			# shellcheck disable=SC2059
			printf "$PFMT" "$t" "$(num "$(val pull_cold_wall_ms "$t")")" "$(num "$(val pull_cold_rss_kb "$t")")" \
				"$(num "$(val pull_cold_written_mb "$t")")" "$(num "$(val pull_write_per_unpacked "$t")")" \
				"$(num "$(val pull_write_per_pulled "$t")")" "$(num "$(val pull_warm_wall_ms "$t")")" \
				"$( [ "$t" = pith ] && echo - || num "$(val pull_cold_wall_ms "pith/$t")")"
		done
		target pull_cold_wall_ms pith/best "wall against the fastest peer" 1
		target pull_cold_wall_ms pith/podman "wall against podman pull" 0.5
		target pull_cold_rss_kb pith/best "peak RSS against the lightest peer" 0.25
		wu=$(val pull_write_per_unpacked pith)
		printf '  %-44s %9s  %s\n' "bytes written per unpacked byte (pith)" "$(num "$wu")" \
			"$(awk -v v="$wu" 'BEGIN { print (v != "" && v <= 1.1) ? "ok (<= 1.1)" : "MISS (target <= 1.1)" }')"
		printf 'pull_write_per_unpacked\tpith\t1.1\t%s\t%s\n' "${wu:-null}" \
			"$(awk -v v="$wu" 'BEGIN { print (v != "" && v <= 1.1) ? "true" : "false" }')" >> "$TARGETS"
		pw=$(val pull_warm_wall_ms pith)
		printf '  %-44s %9s  %s\n' "pull with every layer present, ms (pith)" "$(num "$pw")" \
			"$(awk -v v="$pw" 'BEGIN { print (v != "" && v < 50) ? "ok (< 50)" : "MISS (target < 50)" }')"
		printf 'pull_warm_ms\tpith\t50\t%s\t%s\n' "${pw:-null}" \
			"$(awk -v v="$pw" 'BEGIN { print (v != "" && v < 50) ? "true" : "false" }')" >> "$TARGETS"
	elif [ -n "$(val pull_note all)" ]; then
		echo; echo "10. pull + unpack: $(val pull_note all)"
	fi
	echo
	echo "targets met: $(awk -F'\t' '$5 == "true"' "$TARGETS" | wc -l) of $(wc -l < "$TARGETS")" \
		"$(awk -F'\t' '$5 != "true" { printf "%s%s", (n++ ? ", " : "missed: "), $1 }' "$TARGETS")"
} | tee "$OUT/table.txt"

# results.json: { meta, metrics: { metric: { runtime|ratio: value } }, targets: { metric: {...} } }
jq -R -s --rawfile t "$TARGETS" '
	def v: if . == "null" then null elif . == "true" then true elif . == "false" then false
		else (. as $s | tonumber? // $s) end;
	def rows: split("\n") | map(select(length > 0) | split("\t"));
	(rows | reduce .[] as $r ({}; .[$r[0]][$r[1]] = ($r[2] | v))) as $all
	| { meta: $all.meta,
	    metrics: ($all | del(.meta)),
	    targets: ($t | rows | reduce .[] as $r ({}; .[$r[0]] = { compare: $r[1], at_most: ($r[2] | v),
	              measured: ($r[3] | v), met: ($r[4] | v) })) }' "$TSV" > "$OUT/results.json"
echo "results: $OUT/results.json, $OUT/table.txt, samples in $OUT/raw/"
