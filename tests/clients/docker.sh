#!/bin/bash
# docker.sh RUNTIME DIR: Debian's dockerd 20.10 (through containerd and containerd-shim-runc-v2)
# drives RUNTIME, in a private daemon under DIR: own data-root, exec-root, socket and pid file,
# no iptables, no bridge; stopped by its pid and removed at the end.
# Env: RESULTS VARIANT ROOTFS_TAR (see run.sh); FIXTURES=DIR also writes the configs Docker
# passed into DIR (how tests/fixtures/clients/docker-*.json were made).
# Prints one PASS/FAIL/SKIP line per scenario.
set -u
RT=$1 D=$2
CLIENT=docker
. "$(dirname "$0")/lib.sh"

# "runc" is a name dockerd reserves for its built-in entry
NAME=$(basename "$RT")
[ "$NAME" = pith ] || NAME=$NAME-under-test
CG=/pith-test/docker-$NAME
mkdir -p "$D/out" "$D/configs" "$D/errors"

# The runtime dockerd is given: records every argv, keeps each config.json a create was given
# and each error log the runtime wrote, then runs RUNTIME. This is how the tier proves which
# runtime ran a container (or a build step) and shows the client's exact input.
cat > "$D/runtime" <<EOF
#!/bin/sh
echo "\$*" >> "$D/argv.log"
prev= log= bundle= cmd=
for a in "\$@"; do
	case "\$prev" in --bundle|-b) bundle=\$a ;; --log) log=\$a ;; esac
	case "\$a" in create|exec|start|delete|kill) [ -z "\$cmd" ] && cmd=\$a ;; esac
	prev=\$a
done
[ "\$cmd" = create ] && [ -n "\$bundle" ] && cp "\$bundle/config.json" "$D/configs/\$(date +%s%N).json"
"$RT" "\$@"
rc=\$?
[ "\$rc" != 0 ] && [ -n "\$log" ] && [ -s "\$log" ] && cp "\$log" "$D/errors/\$(date +%s%N).json"
exit \$rc
EOF
chmod 755 "$D/runtime"
cat > "$D/daemon.json" <<EOF
{"runtimes": {"$NAME": {"path": "$D/runtime"}}, "default-runtime": "$NAME",
 "iptables": false, "ip-forward": false, "ip-masq": false, "bridge": "none",
 "storage-driver": "overlay2", "exec-opts": ["native.cgroupdriver=cgroupfs"],
 "cgroup-parent": "$CG", "log-driver": "json-file", "features": {"buildkit": false}}
EOF

# The client: Debian's, to match the daemon (a newer one may be first on PATH).
DK=/usr/bin/docker
[ -x "$DK" ] || DK=$(command -v docker)
export DOCKER_HOST=unix://$D/sock DOCKER_CONFIG=$D/client DOCKER_BUILDKIT=0
dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
	-H "unix://$D/sock" --pidfile "$D/pid" >"$D/dockerd.log" 2>&1 &
if ! wait_for "$DK version >/dev/null 2>&1" 600; then
	fail daemon "dockerd did not answer within 60 s: $(tail -3 "$D/dockerd.log" | tr '\n' ' ')"
	[ -s "$D/pid" ] && kill "$(cat "$D/pid")"
	exit 0
fi

stop_daemon() {
	local pid
	pid=$(cat "$D/pid" 2>/dev/null)
	timeout 60 "$DK" rm -f $("$DK" ps -aq 2>/dev/null) >/dev/null 2>&1
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait_for "! kill -0 $pid 2>/dev/null" 300 || kill -9 "$pid" 2>/dev/null
	# overlay mounts of a daemon killed mid-way
	grep -F " $D/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
	local c
	for c in $(cg_roots); do [ -d "$c$CG" ] && find "$c$CG" -depth -type d -exec rmdir {} \; 2>/dev/null; done
}

IMG=pith-clients:test
run "$DK" import "$ROOTFS_TAR" "$IMG"
if [ "$RC" != 0 ]; then
	fail import "docker import: $OUT"
	stop_daemon
	exit 0
fi
RUN=(run --network none)

s_info() {
	local info
	info=$(timeout 30 "$DK" info 2>&1)
	[[ "$info" == *"Default Runtime: $NAME"* ]] || { echo "docker info: no 'Default Runtime: $NAME'"; return 1; }
}

s_output() {
	run "$DK" "${RUN[@]}" --rm "$IMG" echo hello from docker
	[ "$RC" = 0 ] && [ "$OUT" = "hello from docker" ] || { echo "rc=$RC out=$OUT"; return 1; }
	# the create went through our runtime, with the config captured
	[ -n "$(ls "$D/configs")" ] || { echo "no create reached $RT"; return 1; }
}

s_exit_code() {
	run "$DK" "${RUN[@]}" --rm "$IMG" sh -c 'exit 42'
	[ "$RC" = 42 ] || { echo "exit code $RC, want 42: $OUT"; return 1; }
}

# a long-running container that reports the signals it gets in a host file; $2 = the TERM trap
# ("" = note it and exit 7, "ignore" = SIG_IGN), then extra docker run options
start_box() {
	local name=$1 term="trap 'echo term >> /out/$1; exit 7' TERM"
	[ "$2" = ignore ] && term="trap '' TERM"
	shift 2
	: > "$D/out/$name"
	run "$DK" "${RUN[@]}" -d --name "$name" -v "$D/out:/out" "$@" "$IMG" sh -c "
		trap 'echo usr1 >> /out/$name; echo got-usr1' USR1
		$term
		echo ready >> /out/$name; echo ready
		while :; do sleep 0.1; done"
	[ "$RC" = 0 ] || { echo "run -d: rc=$RC $OUT"; return 1; }
	wait_for "grep -q ready '$D/out/$name'" 100 || { echo "container $name never started"; return 1; }
}

remove() { timeout 60 "$DK" rm -f "$1" >/dev/null 2>&1; }
state() { timeout 30 "$DK" inspect --format "$2" "$1" 2>&1; }

s_exec_logs() {
	start_box dx "" || return 1
	local r=0
	run "$DK" exec dx sh -c "echo in-exec; grep -hE '$(cg_line_re memory)' /proc/self/cgroup /proc/1/cgroup; exit 4"
	if [ "$RC" != 4 ] || [[ "$OUT" != in-exec* ]]; then
		echo "exec: rc=$RC, want 4: $OUT"; r=1
	elif ! in_cgroup_of_init "$OUT" "$CG/*" "$(state dx '{{.State.Pid}}')"; then
		r=1
	fi
	run "$DK" logs dx
	[ $r = 0 ] && [ "$OUT" != ready ] && { echo "logs: '$OUT', want 'ready'"; r=1; }
	remove dx
	return $r
}

s_stop_term() {
	start_box dst "" || return 1
	local t0=$SECONDS r=0 st
	T_LIMIT=$((60 * S + 20 * S)) run "$DK" stop -t $((20 * S)) dst
	st=$(state dst '{{.State.Status}} {{.State.ExitCode}}')
	if [ "$RC" != 0 ] || [ "$st" != "exited 7" ]; then
		echo "stop: rc=$RC $OUT; state '$st', want 'exited 7' (SIGTERM trapped)"; r=1
	elif [ $((SECONDS - t0)) -ge $((15 * S)) ]; then
		echo "stop took $((SECONDS - t0)) s: SIGTERM was not delivered"; r=1
	fi
	remove dst
	return $r
}

s_stop_kill() {
	start_box dsk ignore || return 1
	local t0=$SECONDS r=0 st
	run "$DK" stop -t 2 dsk
	st=$(state dsk '{{.State.Status}} {{.State.ExitCode}}')
	if [ "$RC" != 0 ] || [ "$st" != "exited 137" ]; then
		echo "stop: rc=$RC $OUT; state '$st', want 'exited 137' (KILL after -t 2)"; r=1
	elif [ $((SECONDS - t0)) -lt 2 ] || [ $((SECONDS - t0)) -ge $((15 * S)) ]; then
		echo "stop took $((SECONDS - t0)) s, want about 2"; r=1
	elif grep -q term "$D/out/dsk"; then
		echo "an ignored SIGTERM reached a handler"; r=1
	fi
	remove dsk
	return $r
}

s_kill_usr1() {
	start_box dk "" || return 1
	local r=0
	run "$DK" kill -s USR1 dk
	if [ "$RC" != 0 ] || ! wait_for "grep -q usr1 '$D/out/dk'" 50; then
		echo "kill -s USR1: rc=$RC $OUT; not seen inside"; r=1
	elif [ "$(state dk '{{.State.Status}}')" != running ]; then
		echo "USR1 (trapped) ended the container"; r=1
	fi
	remove dk
	return $r
}

s_pause() {
	start_box dp "" || return 1
	local r=0 pid fz st
	pid=$(state dp '{{.State.Pid}}')
	fz=$(cg_dir freezer "$pid")
	run "$DK" pause dp
	st=$(state dp '{{.State.Status}}')
	if [ "$RC" != 0 ] || [ "$st" != paused ] || [ "$(cg_frozen "$fz" 2>&1)" != FROZEN ]; then
		echo "pause: rc=$RC $OUT; status $st; $fz: $(cg_frozen "$fz" 2>&1)"; r=1
	fi
	if [ $r = 0 ]; then
		run "$DK" unpause dp
		st=$(state dp '{{.State.Status}}')
		[ "$RC" = 0 ] && [ "$st" = running ] && [ "$(cg_frozen "$fz")" = THAWED ] ||
			{ echo "unpause: rc=$RC $OUT; status $st"; r=1; }
	fi
	if [ $r = 0 ]; then
		run "$DK" exec dp echo alive
		[ "$OUT" = alive ] || { echo "exec after unpause: rc=$RC $OUT"; r=1; }
	fi
	remove dp
	return $r
}

s_stats_top() {
	start_box dt "" -m 64m || return 1
	local r=0
	run "$DK" stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' dt
	# "dt 1.2MiB / 64MiB 2": the shim read the container's cgroup
	if [ "$RC" != 0 ] || ! [[ "$OUT" =~ ^dt\ [0-9.]+[KMG]i?B\ /\ 64MiB\ [1-9] ]]; then
		echo "stats: rc=$RC '$OUT'"; r=1
	fi
	run "$DK" top dt
	if [ $r = 0 ] && { [ "$RC" != 0 ] || [[ "$OUT" != *"while :"* ]] && [[ "$OUT" != *"sh -c"* ]]; }; then
		echo "top: rc=$RC $OUT"; r=1
	fi
	remove dt
	return $r
}

s_memory_oom() {
	run "$DK" "${RUN[@]}" --rm -m 32m --memory-swap 32m "$IMG" cat "$(cg_in memory memory.limit_in_bytes memory.max)"
	[ "$RC" = 0 ] && [ "$OUT" = 33554432 ] || { echo "limit seen inside: rc=$RC $OUT"; return 1; }
	# 64 MiB in one shell variable cannot fit: the kernel's OOM killer ends it
	local t0 st id order
	t0=$(date +%s)
	run "$DK" "${RUN[@]}" --name doom -m 32m --memory-swap 32m "$IMG" \
		sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived ${#x}'
	st=$(state doom '{{.State.OOMKilled}} {{.State.ExitCode}}')
	id=$(state doom '{{.Id}}')
	# Docker's own record of what the shim told it, in the order it got it
	order=$(timeout 30 "$DK" events --since "$t0" --until "$(($(date +%s) + 2 * S))" \
		--filter "container=$id" --filter event=oom --filter event=die --format '{{.Action}}' | tr '\n' ' ')
	remove doom
	[ "$RC" = 137 ] || { echo "over the limit: rc=$RC, want 137: $OUT"; return 1; }
	[[ "$order" == *oom* ]] || { echo "no oom event from Docker (events: '$order'; inspect '$st'): the OOM kill was not seen"; return 1; }
	[ "$st" = "true 137" ] && return 0
	# dockerd 20.10 sets OOMKilled only when containerd's TaskOOM comes before TaskExit; on
	# cgroup v2 the shim learns of the kill from memory.events through inotify, which the
	# kernel rate-limits and delivers from a workqueue, so under load the exit can win. The
	# oom event after the die is that race in the client, not a lost kill.
	[[ "$order" == "die "*oom* ]] && [ "$st" = "false 137" ] && {
		echo "NOTE Docker got the OOM event after the exit (its TaskOOM/TaskExit race): inspect says OOMKilled false"
		return 0
	}
	echo "over the limit: inspect '$st', want 'true 137' (events: '$order')"; return 1
}

s_restrictions() {
	local r=0
	run "$DK" "${RUN[@]}" --rm --read-only "$IMG" sh -c 'touch /x 2>&1; echo rc=$?'
	[[ "$OUT" == *"Read-only file system"*rc=1 ]] || { echo "--read-only: $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --user 65534:65534 "$IMG" sh -c 'echo $(id -u) $(id -g)'
	[ "$OUT" = "65534 65534" ] || { echo "--user 65534:65534: $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --cap-drop all "$IMG" grep -E '^Cap(Eff|Bnd)' /proc/self/status
	[ "$(echo "$OUT" | awk '{print $2}' | sort -u)" = 0000000000000000 ] || { echo "--cap-drop all: $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --cap-drop chown "$IMG" sh -c 'chown 1 /tmp 2>&1; echo rc=$?'
	[[ "$OUT" == *rc=1 ]] || { echo "--cap-drop chown: chown worked: $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --pids-limit 20 "$IMG" cat "$(cg_in pids pids.max pids.max)"
	[ "$OUT" = 20 ] || { echo "--pids-limit 20: pids.max $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --cpus 0.5 "$IMG" cat $(cg_in cpu "cpu.cfs_quota_us cpu.cfs_period_us" cpu.max)
	[ "$(echo $OUT)" = "50000 100000" ] || { echo "--cpus 0.5: quota/period $OUT"; r=1; }
	run "$DK" "${RUN[@]}" --rm --ulimit nofile=512:1024 "$IMG" sh -c 'echo $(ulimit -n) $(ulimit -Hn)'
	[ "$OUT" = "512 1024" ] || { echo "--ulimit nofile=512:1024: $OUT"; r=1; }
	return $r
}

s_tty() {
	run_tty "$DK" "${RUN[@]}" --rm -t "$IMG" sh -c 'test -t 0 && test -t 1 && echo "tty=$(tty)"; exit 3'
	[ "$RC" = 3 ] && [[ "$OUT" == *tty=/dev/pts/* ]] && return 0
	echo "rc=$RC out=$OUT"; return 1
}

s_restart() {
	: > "$D/out/restarts"
	run "$DK" "${RUN[@]}" -d --name drs --restart on-failure:2 -v "$D/out:/out" "$IMG" \
		sh -c 'echo run >> /out/restarts; exit 3'
	local st r=0
	if ! wait_for "[ \"\$(state drs '{{.RestartCount}} {{.State.Status}}')\" = '2 exited' ]" 300; then
		echo "restart count/status: '$(state drs '{{.RestartCount}} {{.State.Status}}')', want '2 exited'"; r=1
	elif [ "$(wc -l < "$D/out/restarts")" != 3 ]; then
		echo "ran $(wc -l < "$D/out/restarts") times, want 3"; r=1
	fi
	st=$(state drs '{{.State.ExitCode}}')
	[ $r = 0 ] && [ "$st" != 3 ] && { echo "exit code $st, want 3"; r=1; }
	remove drs
	return $r
}

# docker update -> RUNTIME update --resources - (on stdin)
s_update() {
	start_box du "" -m 32m || return 1
	local r=0
	run "$DK" update --memory 48m du
	if [ "$RC" != 0 ]; then
		echo "update: rc=$RC $OUT"; r=1
	else
		run "$DK" exec du cat "$(cg_in memory memory.limit_in_bytes memory.max)"
		[ "$OUT" = 50331648 ] || { echo "limit after update: $OUT, want 50331648"; r=1; }
	fi
	remove du
	return $r
}

# The runtime's error reaches the user: the msg of its JSON --log line is in docker's output
# verbatim. $1 = what docker's output must also name.
error_shown() {
	local want=$1 f msg
	f=$(ls -t "$D/errors" | head -1)
	[ -n "$f" ] || { echo "the runtime wrote no error log; docker said: $OUT"; return 1; }
	msg=$(jq -r 'select(.level == "error") | .msg' "$D/errors/$f" | tail -1)
	rm -f "$D/errors/$f"
	[ -n "$msg" ] && [[ "$OUT" == *"$msg"* ]] && [[ "$OUT" == *"$want"* ]] && return 0
	echo "runtime said '$msg'; docker said: $OUT"; return 1
}

s_error_mount() {
	rm -f "$D/errors"/*
	# a file mounted onto a path under a file: only the runtime can find that out
	run "$DK" "${RUN[@]}" --rm -v /etc/hostname:/bin/busybox/x "$IMG" true
	[ "$RC" = 125 ] || { echo "rc=$RC, want 125: $OUT"; return 1; }
	error_shown /bin/busybox/x
}

s_not_found() {
	rm -f "$D/errors"/*
	run "$DK" "${RUN[@]}" --rm "$IMG" nosuchcmd
	[ "$RC" = 127 ] || { echo "rc=$RC, want 127: $OUT"; return 1; }
	error_shown nosuchcmd
}

# "Build in a container": docker build (the legacy builder: BuildKit needs buildx or a
# buildkitd, neither packaged here) of a multi-stage .NET Dockerfile, with the daemon's default
# runtime RUNTIME, then docker run of the result. The SDK and runtime base images are made from
# this machine's .NET install: the fixture rootfs (busybox, for RUN's /bin/sh), the libraries
# the host and runtime link against, and the install dir (without the SDK for the runtime).
dotnet_images() {
	local shared root libs
	shared=$(dotnet --list-runtimes | sed -n 's/^Microsoft\.NETCore\.App [^ ]* \[\(.*\)\]$/\1/p' | tail -n 1)
	root=${shared%/shared/Microsoft.NETCore.App}
	[ "$root" = /usr/share/dotnet ] || { echo "the Dockerfile expects .NET in /usr/share/dotnet, not $root"; return 1; }
	libs=$(for f in "$root/dotnet" "$root"/host/fxr/*/libhostfxr.so "$shared"/*/*.so; do ldd "$f" 2>/dev/null; done |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | grep -v "^$root/" | sort -u |
		sed 's|^/||')
	# and what .NET dlopens: OpenSSL (NuGet and MSBuild hash with it) and zlib
	local l
	for l in libssl.so.3 libcrypto.so.3 libz.so.1; do
		libs="$libs $(ldconfig -p | awk -v l="$l" '$1 == l { print substr($NF, 2); exit }')"
	done
	mkdir -p "$D/base" && tar -C "$D/base" -xf "$ROOTFS_TAR"
	local t0=$SECONDS
	tar -ch --numeric-owner -C "$D/base" . -C / $libs "${root#/}" 2>/dev/null |
		"$DK" import -c 'ENV PATH=/usr/share/dotnet:/usr/bin:/bin' - pith-dotnet-sdk:local >/dev/null ||
		{ echo "docker import of the SDK image failed"; return 1; }
	tar -ch --numeric-owner -C "$D/base" . -C / $libs --exclude "${root#/}/sdk" --exclude "${root#/}/packs" \
		--exclude "${root#/}/templates" --exclude "${root#/}/sdk-manifests" "${root#/}" 2>/dev/null |
		"$DK" import - pith-dotnet-runtime:local >/dev/null || { echo "docker import of the runtime image failed"; return 1; }
	echo "images: $((SECONDS - t0)) s" >> "$D/build-times"
}

# CLIENTS_NO_DOTNET_BUILD=REASON skips it, saying so (the pure-v2 board: no SDK build under TCG)
s_build_dotnet() {
	[ -z "${CLIENTS_NO_DOTNET_BUILD:-}" ] || { echo "$CLIENTS_NO_DOTNET_BUILD"; return 77; }
	command -v dotnet >/dev/null || { echo "no .NET SDK on this machine"; return 77; }
	dotnet_images || return 1
	local t0=$SECONDS before
	before=$(ls "$D/configs" | wc -l)
	T_LIMIT=900 run "$DK" build -t pith-dotnet-app:test "$(dirname "$0")/dotnet-build"
	echo "build: $((SECONDS - t0)) s" >> "$D/build-times"
	[ "$RC" = 0 ] || { echo "docker build: rc=$RC $(echo "$OUT" | tail -15)"; return 1; }
	# every RUN of the Dockerfile was a create through our runtime wrapper
	local step n f
	for step in "dotnet restore --configfile nuget.config" "dotnet publish -c Release --no-restore"; do
		n=0
		for f in $(ls "$D/configs" | tail -n +$((before + 1))); do
			jq -e --arg s "$step" '.process.args | join(" ") | contains($s)' "$D/configs/$f" >/dev/null && n=$((n + 1))
		done
		[ "$n" = 1 ] || { echo "RUN $step: $n creates through $RT, want 1"; return 1; }
	done
	run "$DK" "${RUN[@]}" --rm pith-dotnet-app:test 100000
	[ "$RC" = 0 ] && [[ "$OUT" == "primes below 100000: 9592, sum 454396537, on "* ]] ||
		{ echo "docker run of the built image: rc=$RC $OUT"; return 1; }
	echo "$OUT" >> "$D/build-times"
}

# The fixture in the repo is still what this Docker writes: same linux.resources keys. (It was
# captured on cgroup v1; on v2 Docker leaves out memory.disableOOMKiller, which v2 does not have.)
s_fixture() {
	local fx v2del=.
	fx=$(dirname "$0")/../fixtures/clients/docker-run.json
	[ "$(cg_version memory)" = 2 ] && v2del='del(.linux.resources.memory.disableOOMKiller)'

	run "$DK" "${RUN[@]}" --rm "$IMG" true
	local live
	live=$(ls -t "$D/configs" | head -1)
	[ -n "$live" ] || { echo "no config captured"; return 1; }
	local a b
	a=$(jq -c "$v2del"' | .linux.resources | [paths | map(tostring) | join(".")] | map(gsub("\\.[0-9]+"; "[]")) | unique' "$fx")
	b=$(jq -c '.linux.resources | [paths | map(tostring) | join(".")] | map(gsub("\\.[0-9]+"; "[]")) | unique' \
		"$D/configs/$live")
	[ "$a" = "$b" ] && return 0
	echo "docker now writes resources $b; the fixture has $a"; return 1
}

capture_fixtures() {
	local out=$1 f
	mkdir -p "$out"
	rm -f "$D/configs"/*
	"$DK" "${RUN[@]}" --rm "$IMG" true
	f=$(ls -t "$D/configs" | head -1); cp "$D/configs/$f" "$out/docker-run.json"
	"$DK" "${RUN[@]}" --rm -m 64m --cpus 0.5 --pids-limit 50 --ulimit nofile=512:1024 --read-only \
		--user 65534 --cap-drop all "$IMG" true
	f=$(ls -t "$D/configs" | head -1); cp "$D/configs/$f" "$out/docker-run-limits.json"
}

if [ -n "${FIXTURES:-}" ]; then
	capture_fixtures "$FIXTURES"
fi

start=$SECONDS
: "${SCENARIOS:=info output exit_code exec_logs stop_term stop_kill kill_usr1 pause stats_top memory_oom
	 restrictions tty restart update error_mount not_found fixture build_dotnet}"
scenarios $SCENARIOS
[ -s "$D/build-times" ] && echo "docker [$VARIANT] build_dotnet: $(tr '\n' ';' < "$D/build-times")"

stop_daemon
left=$(our_processes "$D")
mnts=$(grep -F " $D" /proc/self/mountinfo | awk '{print $5}')
if [ -z "$left$mnts" ]; then pass "cleanup ($((SECONDS - start)) s)"; else
	fail cleanup "processes: $(echo $left) mounts: $(echo $mnts)"
	for p in $left; do kill -9 "${p%%(*}" 2>/dev/null; done
	for m in $mnts; do umount -l "$m" 2>/dev/null; done
fi
exit 0
