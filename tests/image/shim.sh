#!/bin/sh
# pith-shim --image: a service from an image loaded with `pith-image load` logs, stops with the
# image's StopSignal, and leaves no bundle, mount, cgroup or runtime state behind on any path;
# its names (pith-shim/ID:running, :previous, :refused) are the service's image state and stay
# after every end, until `pith-image rm` of them (then gc takes what nothing names); a start that
# fails leaves no name; bad names fail clearly; an update re-pointing the name is taken after its
# probation, a new image that keeps failing is rolled back to the previous one; a probation cut
# short (SIGTERM, SIGKILL) is resumed by the next shim, and a rolled-back image is not run again.
# usage: shim.sh BUILD_DIR   (as root; run.sh calls it)
set -eu
build=$(cd "${1:?usage: shim.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || { tier_skip "shim image tests" "they need root (overlay)"; exit 0; }
for tool in umoci python3 jq; do
	command -v $tool >/dev/null || { tier_skip "shim image tests" "$tool is not installed"; exit 0; }
done
T=$(mktemp -d "$build/shim-image.XXXXXX")
img="$build/pith-image"
S="$T/S"
cleanup() {
	for p in registry stall; do [ -s "$T/$p.pid" ] && kill "$(cat "$T/$p.pid")" 2>/dev/null || true; done
	for p in "$T"/*.pid; do [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null || true; done
	sleep 0.5
	for p in "$T"/*.pid; do [ -s "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null || true; done
	for c in $("$build/pith" --root "$T/run" list -q 2>/dev/null); do "$build/pith" --root "$T/run" delete --force "$c" || true; done
	for b in "$T"/rd-*/image "$T/B"; do [ -d "$b" ] && "$img" --store "$S" bundle --rm "$b" 2>/dev/null || true; done
	umount_under "$T"
	rm -rf "$T"
}
trap cleanup EXIT
wait_for() { # FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE
	n=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt "${3:-100}" ] || return 1; sleep 0.1
	done
}
wait_until() { # CONDITION (shell text) [TENTHS]
	n=0
	while ! eval "$1"; do n=$((n + 1)); [ $n -lt "${2:-100}" ] || return 1; sleep 0.1; done
}
wait_gone() { # PID: until that process has ended
	n=0
	while kill -0 "$1" 2>/dev/null; do n=$((n + 1)); [ $n -lt 200 ] || return 1; sleep 0.1; done
}
shim() { # ID ARGS...: the shim for service ID, detached once it runs
	id=$1; shift
	"$build/pith-shim" --id "$id-$$" --runtime "$build/pith" --root "$T/run" --run-dir "$T/rd-$id" \
		--log "$T/$id.log" --pid-file "$T/$id.pid" --exit-file "$T/$id.exit" "$@"
}
ctl() { id=$1; shift; "$build/pith-shim" ctl --run-dir "$T/rd-$id" "$@"; }
# nothing of service ID is left: run dir (with the bundle), mounts, bundle records, runtime
# state, cgroups, names (after a run: once forget removed them)
left_behind() {
	[ ! -e "$T/rd-$1" ] || echo "run dir: $(find "$T/rd-$1" -maxdepth 2)"
	! grep -q " $T/rd-$1" /proc/self/mounts || echo "mounts: $(grep " $T/rd-$1" /proc/self/mounts)"
	[ -z "$(ls "$S/bundles")" ] || echo "bundle records: $(ls "$S/bundles")"
	[ -z "$(ls "$T/run" 2>/dev/null)" ] || echo "runtime state: $(ls "$T/run")"
	[ -z "$(find /sys/fs/cgroup -maxdepth 5 -name "$1-$$" 2>/dev/null)" ] || echo "cgroups: $(find /sys/fs/cgroup -maxdepth 5 -name "$1-$$")"
	! "$img" --store "$S" ls | grep -q "pith-shim/$1-$$:" || echo "pin: $("$img" --store "$S" ls | grep pith-shim/)"
}
pins() { # ID: the service's names in the store, as "previous=D refused=D running=D "
	"$img" --store "$S" ls | awk -v p="pith-shim/$1-$$:" 'index($1, p) == 1 { print substr($1, length(p) + 1) "=" $2 }' \
		| sort | tr '\n' ' '
}
forget() { # ID: a service removed for good, as the README says (a name not there is an error)
	"$img" --store "$S" rm "pith-shim/$1-$$:running" "pith-shim/$1-$$:previous" "pith-shim/$1-$$:refused" 2>/dev/null || true
}

# --- the images: one busybox base layer; each version reports which signal stopped it
cd "$T"
python3 "$here/layers.py" base "$build/fixtures/rootfs" base.tar
umoci init --layout L
umoci new --image L:v1
umoci raw add-layer --image L:v1 base.tar
service() { # VERSION: prints, then waits; says which of USR1/TERM/INT ended it
	echo "echo app $1 up \$GREETING; for s in USR1 TERM INT; do trap \"echo $1 got \$s; exit 0\" \$s; done;" \
		"while :; do sleep 0.1; done"
}
umoci config --image L:v1 --config.cmd /bin/sh --config.cmd -c --config.cmd "$(service v1)" \
	--config.stopsignal SIGUSR1 --config.env GREETING=hello
umoci config --image L:v1 --tag v2 --config.cmd /bin/sh --config.cmd -c --config.cmd "$(service v2)"
umoci config --image L:v1 --tag bad --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo app bad up; exit 1'
umoci config --image L:v1 --tag nostart --config.cmd /no/such/binary
for t in v1 v2 bad nostart; do "$img" --store "$S" load "oci:L:$t" >/dev/null; done
digest() { "$img" --store "$S" inspect "$1" | jq -r .manifest; }
v1=$(digest v1) v2=$(digest v2) bad=$(digest bad) nostart=$(digest nostart)

# --- a service from an image: its output in the log, -e passed on, SIGTERM to the shim is a stop
# with the image's StopSignal (USR1), and nothing is left
if shim a --image v1 --store "$S" -e GREETING=bonjour 2>a.err && wait_for a.log 'app v1 up bonjour'; then
	pass "--image v1: the service's output is in the log, -e reached it"
else fail "--image v1: $(cat a.err a.log 2>/dev/null)"; fi
[ "$(ctl a status | jq -r .image)" = "$(digest v1)" ] && pass "status names the running image's digest" \
	|| fail "status: $(ctl a status)"
pid=$(cat a.pid); kill -TERM "$pid"; wait_gone "$pid" || fail "the shim did not end on SIGTERM"
grep -q 'v1 got USR1' a.log && ! grep -q 'v1 got TERM' a.log \
	&& pass "SIGTERM to the shim stops the service with the image's StopSignal (SIGUSR1)" \
	|| fail "stop signal: $(cat a.log)"
[ "$(jq -r '.exit_code, .image' a.exit | tr '\n' ' ')" = "0 $v1 " ] && pass "exit report: the service's own exit 0, of image v1" \
	|| fail "exit file: $(cat a.exit)"
[ "$(pins a)" = "running=$v1 " ] && pass "after the stop the service's name stays: pith-shim/ID:running is v1" \
	|| fail "names after the stop: $(pins a)"
forget a; r=$(left_behind a); [ -z "$r" ] && pass "after the stop and rm of the names nothing is left (bundle, mounts, records, state, cgroups)" \
	|| fail "after the stop: $r"

# --- -- CMD replaces the image's Cmd; a restart and the end of the restarts leave nothing either
out=$("$build/pith-shim" --foreground --id b-$$ --runtime "$build/pith" --root "$T/run" --run-dir "$T/rd-b" \
	--restart on-failure:1 --image v1 --store "$S" -- /bin/sh -c 'echo run $GREETING; exit 3' 2>&1) && r=0 || r=$?
[ "$r" = 3 ] && [ "$(echo "$out" | grep -c '^run hello$')" = 2 ] \
	&& pass "-- CMD replaces Cmd (Env kept); restarted once, then the shim exits with its code" \
	|| fail "-- CMD / restart: rc $r: $out"
[ "$(pins b)" = "running=$v1 " ] || fail "names after the restarts ran out: $(pins b)"
forget b; r=$(left_behind b); [ -z "$r" ] && pass "after the restarts ran out only the name is left" || fail "after restarts: $r"
out=$("$build/pith-shim" --foreground --init --id i-$$ --runtime "$build/pith" --root "$T/run" --run-dir "$T/rd-i" \
	--image v1 --store "$S" -- /bin/sh -c 'cat /proc/1/cmdline | tr "\0" " "' 2>&1) || true
case "$out" in /dev/.pith-init\ --\ /bin/sh*) pass "--init with --image: pith-init is PID 1 in front of the image's command" ;;
*) fail "--init with --image: $out" ;; esac
[ "$(pins i)" = "running=$v1 " ] || fail "--init: names: $(pins i)"
forget i; r=$(left_behind i); [ -z "$r" ] && pass "--init: only the name left" || fail "--init: $r"

# --- failures: a name not in the store, a command that cannot start, a pull that cannot work
if shim c --image no/such:1 --store "$S" 2>c.err; then fail "an unknown image started"
elif grep -q 'no/such:1: not in the store' c.err && [ -z "$(left_behind c)" ]; then pass "unknown image: $(cat c.err)"
else fail "unknown image: $(cat c.err); $(left_behind c)"; fi
if shim d --image v1 --store "$S" -- /no/such/binary 2>d.err; then fail "a missing binary started"
elif grep -q 'create' d.err && [ -z "$(left_behind d)" ]; then pass "start failure: the bundle is removed ($(tail -1 d.err))"
else fail "start failure: $(cat d.err); $(left_behind d)"; fi
# the registry is on port 1 of loopback, where nothing listens: the pull fails without a network
# (no retries: each would wait its backoff)
if shim e --image 127.0.0.1:1/nosuch:1 --pull missing --pull-option --retries=0 --store "$S" 2>e.err; then fail "a failed pull started"
elif grep -q '(pith-image pull)' e.err && [ -z "$(left_behind e)" ]; then
	pass "--pull missing, the pull fails: $(cat e.err)"
else fail "failed pull: $(cat e.err); $(left_behind e)"; fi
"$img" --store "$S" tag v2 127.0.0.1:1/app:2
if shim f --image 127.0.0.1:1/app:2 --pull newer --pull-option --retries=0 --store "$S" 2>f.err && wait_for f.log 'app v2 up' \
	&& grep -q 'running the image in the store' f.log; then
	pass "--pull newer, the pull fails: the image in the store runs, the log says why"
else fail "--pull newer with a failing pull: $(cat f.err f.log)"; fi
ctl f update >/dev/null && wait_for f.log '(pith-image pull)' && [ "$(ctl f status | jq -r .image)" = "$(digest v2)" ] \
	&& pass "an update whose pull fails keeps the service on its image" || fail "failed update pull: $(cat f.log)"
ctl f stop >/dev/null; [ "$(pins f)" = "running=$v2 " ] || fail "names after ctl stop: $(pins f)"
forget f; r=$(left_behind f); [ -z "$r" ] && pass "only the name left after ctl stop" || fail "after ctl stop: $r"

# --- --bundle honours the StopSignal annotation too; --stop-signal overrides it
"$img" --store "$S" bundle v1 "$T/B"
shim g --bundle "$T/B" && wait_for g.log 'app v1 up'
ctl g update 2>g.err && fail "update accepted by a --bundle shim" || { grep -q 'not an --image' g.err \
	&& pass "ctl update on a --bundle shim: $(cat g.err)" || fail "ctl update on --bundle: $(cat g.err)"; }
ctl g stop >/dev/null
grep -q 'v1 got USR1' g.log && pass "--bundle: ctl stop sends the annotation's StopSignal" || fail "--bundle stop: $(cat g.log)"
shim h --bundle "$T/B" --stop-signal TERM && wait_for h.log 'app v1 up' && ctl h stop >/dev/null
grep -q 'v1 got TERM' h.log && pass "--stop-signal TERM wins over the image's StopSignal" || fail "--stop-signal: $(cat h.log)"
"$img" --store "$S" bundle --rm "$T/B"

# --- the update flow (the images have no other names: a load re-pointing a name leaves the old
# image with none, and only the shim's own name keeps it): the name moves to v2 (taken, kept after the probation), then to an image
# that exits 1 at once (three failed runs, back to v2); the pin exists only while needed
for t in v1 v2 bad nostart; do "$img" --store "$S" tag "$t" "app-$t"; "$img" --store "$S" rm "$t" >/dev/null; done
"$img" --store "$S" tag app-v1 app && "$img" --store "$S" rm app-v1
shim u --image app --store "$S" --probation 2 && wait_for u.log 'app v1 up'
"$img" --store "$S" tag app-v2 app && "$img" --store "$S" rm app-v2
kill -HUP "$(cat u.pid)"
if wait_for u.log 'app v2 up' && grep -q 'v1 got USR1' u.log; then pass "SIGHUP: the name moved, v1 stopped with its signal, v2 runs"
else fail "update to v2: $(cat u.log)"; fi
! grep -q 'update: pulling' u.log && "$img" --store "$S" ls | grep -q "pith-shim/u-$$:previous .*$v1" \
	&& pass "during the probation v1 is pinned as pith-shim/ID:previous (and --pull never pulled nothing)" || fail "no pin: $("$img" --store "$S" ls)"
if wait_for u.log 'ran for 2 s: kept' 40 && ! "$img" --store "$S" ls | grep -q ":previous " \
	&& "$img" --store "$S" ls | grep -q "pith-shim/u-$$:running .*$v2"; then
	pass "after 2 s of probation v2 is kept, the pin of v1 is gone, v2 has the shim's name"
else fail "probation: $(cat u.log); $("$img" --store "$S" ls)"; fi
"$img" --store "$S" tag app-bad app && "$img" --store "$S" rm app-bad
ctl u update >/dev/null
if wait_until '[ "$(grep -c "app v2 up" u.log)" = 2 ]' 100 && grep -q 'failed 3 times within its probation; back to' u.log \
	&& [ "$(grep -c 'app bad up' u.log)" = 3 ] && [ "$(tail -1 u.log | grep -c 'app v2 up')" = 1 ] \
	&& [ "$(ctl u status | jq -r '.image, .rollbacks' | tr '\n' ' ')" = "$v2 1 " ]; then
	pass "an image exiting 1 at once: 3 failed runs, then back to v2 (status: rollbacks 1)"
else fail "rollback: $(cat u.log); $(ctl u status)"; fi
[ "$(pins u)" = "refused=$bad running=$v2 " ] \
	&& pass "after the rollback :previous is gone, v2 has the shim's name again, :refused names bad" \
	|| fail "pins after rollback: $(pins u)"
ctl u update >/dev/null && wait_for u.log 'which was rolled back: not taken again' \
	&& pass "the rolled-back image is not taken again" || fail "second update: $(tail -3 u.log)"
"$img" --store "$S" tag app-nostart app && "$img" --store "$S" rm app-nostart
ctl u update >/dev/null
if wait_for u.log 'could not be started; back to' && wait_until '[ "$(grep -c "app v2 up" u.log)" = 3 ]' \
	&& [ "$(ctl u status | jq -r '.image, .rollbacks' | tr '\n' ' ')" = "$v2 2 " ]; then
	pass "an image that cannot start goes back at once"
else fail "unstartable image: $(tail -5 u.log)"; fi
[ ! -s u.pid ] || { pid=$(cat u.pid); kill -TERM "$pid"; wait_gone "$pid"; }
[ "$(pins u)" = "refused=$nostart running=$v2 " ] \
	&& pass "after the stop the names stay: :running v2, :refused the image rolled back from" \
	|| fail "names after the stop: $(pins u)"
# a new shim while REF still names the refused image: the previous good one runs, the log says why
if shim u --image app --store "$S" --probation 2 2>u.err && wait_until '[ "$(grep -c "app v2 up" u.log)" = 4 ]' && grep -q "app is $nostart, which was rolled back: running $v2" u.log \
	&& [ "$(ctl u status | jq -r '.image, .update' | tr '\n' ' ')" = "$v2 idle " ] \
	&& [ "$(pins u)" = "refused=$nostart running=$v2 " ]; then
	pass "a new shim while REF is still the refused image runs v2, with a note in the log"
else fail "restart on a refused REF: $(cat u.err; tail -3 u.log); $(ctl u status); $(pins u)"; fi
[ ! -s u.pid ] || { pid=$(cat u.pid); kill -TERM "$pid"; wait_gone "$pid"; }
# REF moved to a good image while no shim ran: the next one takes it as an update, on probation
"$img" --store "$S" load oci:L:v1 >/dev/null && "$img" --store "$S" tag v1 app && "$img" --store "$S" rm v1 >/dev/null
if shim u --image app --store "$S" --probation 2 2>u.err && wait_until '[ "$(grep -c "app v1 up" u.log)" = 2 ]' && [ "$(ctl u status | jq -r '.image, .update' | tr '\n' ' ')" = "$v1 probation " ] \
	&& [ "$(pins u)" = "previous=$v2 running=$v1 " ]; then
	pass "REF moved to v1 while no shim ran: the next shim runs it on probation, v2 :previous, :refused gone"
else fail "start on a moved REF: $(cat u.err; tail -3 u.log); $(ctl u status); $(pins u)"; fi
wait_until '[ "$(grep -c "ran for 2 s: kept" u.log)" = 2 ]' 40 && [ "$(pins u)" = "running=$v1 " ] \
	&& pass "...and keeps it after its probation" || fail "probation at start: $(tail -3 u.log); $(pins u)"
[ ! -s u.pid ] || { pid=$(cat u.pid); kill -TERM "$pid"; wait_gone "$pid"; }
forget u; r=$(left_behind u); [ -z "$r" ] && pass "after the updates, the stop and rm of the names nothing is left" || fail "after updates: $r"
[ -z "$("$img" --store "$S" ls | grep -v -e '^NAME' -e '^app ' -e 127.0.0.1)" ] && [ "$(digest app)" = "$v1" ] \
	&& [ ! -e "$S/blobs/sha256/${nostart#sha256:}" ] && [ ! -e "$S/blobs/sha256/${bad#sha256:}" ] \
	&& [ -e "$S/blobs/sha256/${v1#sha256:}" ] \
	&& pass "rm of the shim's names: gc removed bad and nostart, which nothing names; app stays" \
	|| fail "store after the shim: $("$img" --store "$S" ls)"
"$img" --store "$S" rm app >/dev/null # v1 has no name now: the test below needs that

# --- SIGTERM to the shim during a probation (systemd at a reboot): a stop like any other, the
# bundle goes but the names stay: v1, the previous image, has no other name and is still in the
# store; the next shim resumes the probation from zero and keeps v2 after it
"$img" --store "$S" load oci:L:v1 >/dev/null && "$img" --store "$S" tag v1 w && "$img" --store "$S" rm v1 >/dev/null
shim w --image w --store "$S" --probation 3 && wait_for w.log 'app v1 up'
"$img" --store "$S" tag 127.0.0.1:1/app:2 w && ctl w update >/dev/null && wait_for w.log 'app v2 up'
[ "$(ctl w status | jq -r .update)" = probation ] || fail "status during a probation: $(ctl w status)"
pid=$(cat w.pid); kill -TERM "$pid"; wait_gone "$pid"
[ "$(pins w)" = "previous=$v1 running=$v2 " ] && "$img" --store "$S" inspect "$v1" >/dev/null 2>&1 && grep -q 'v2 got USR1' w.log \
	&& [ ! -e "$T/rd-w" ] && pass "SIGTERM in a probation stops v2 with its signal; the bundle goes, v1 stays as :previous" \
	|| fail "stop in probation: $(pins w); $(tail -3 w.log)"
if shim w --image w --store "$S" --probation 3 2>w.err && wait_until '[ "$(grep -c "app v2 up" w.log)" = 2 ]' \
	&& grep -q 'was cut short: again from the start' w.log && [ "$(ctl w status | jq -r .update)" = probation ] \
	&& [ "$(pins w)" = "previous=$v1 running=$v2 " ]; then
	pass "the next shim resumes the probation of v2, v1 its fallback"
else fail "resume after SIGTERM: $(cat w.err; tail -3 w.log); $(pins w)"; fi
wait_for w.log 'ran for 3 s: kept' 60 && [ "$(pins w)" = "running=$v2 " ] && ! "$img" --store "$S" inspect "$v1" >/dev/null 2>&1 \
	&& pass "...and keeps v2 after it: :previous and v1 (nothing else named it) are gone" || fail "resumed probation: $(tail -3 w.log); $(pins w)"
pid=$(cat w.pid); kill -TERM "$pid"; wait_gone "$pid"
forget w; r=$(left_behind w); [ -z "$r" ] && pass "...and after rm of its names nothing is left" || fail "after the SIGTERM test: $r"

# --- a shim killed with SIGKILL (a power cut) in the probation of an image that exits 1: its
# bundle and both names stay; the next shim of that ID removes the bundle, resumes the probation,
# the bad image fails 3 times and it goes back to v2, which runs; :refused names bad
"$img" --store "$S" tag 127.0.0.1:1/app:2 k
shim k --image k --store "$S" --probation 30 && wait_for k.log 'app v2 up'
"$img" --store "$S" load oci:L:bad >/dev/null && "$img" --store "$S" tag bad k
ctl k update >/dev/null && wait_for k.log 'restart 1 in'
kill -KILL "$(cat k.pid)"; rm k.pid
"$build/pith" --root "$T/run" delete --force "k-$$" 2>/dev/null || true
if [ -d "$T/rd-k/image/rootfs" ] && [ "$(pins k)" = "previous=$v2 running=$bad " ]; then
	if shim k --image k --store "$S" --probation 30 2>k.err && wait_until '[ "$(grep -c "app v2 up" k.log)" = 2 ]' 150 \
		&& [ "$(grep -c 'app bad up' k.log)" -ge 4 ] && grep -q 'failed 3 times within its probation; back to' k.log \
		&& [ "$(pins k)" = "refused=$bad running=$v2 " ] && [ "$(ctl k status | jq -r '.image, .update' | tr '\n' ' ')" = "$v2 idle " ]; then
		pass "after a SIGKILLed shim the next one resumes the probation, bad fails, v2 runs again, :refused is bad"
	else fail "after SIGKILL: $(cat k.err); $(tail -5 k.log); $(pins k)"; fi
	[ ! -s k.pid ] || { pid=$(cat k.pid); kill -TERM "$pid"; wait_gone "$pid"; }
	# REF moved to an image that cannot start while no shim ran: the next shim goes back at once
	"$img" --store "$S" load oci:L:nostart >/dev/null && "$img" --store "$S" tag nostart k && "$img" --store "$S" rm nostart >/dev/null
	if shim k --image k --store "$S" --probation 30 2>k.err && wait_until '[ "$(grep -c "app v2 up" k.log)" = 3 ]' \
		&& grep -q "$nostart could not be started; back to $v2" k.log && [ "$(pins k)" = "refused=$nostart running=$v2 " ] \
		&& [ "$(ctl k status | jq -r '.image, .update, .rollbacks' | tr '\n' ' ')" = "$v2 idle 1 " ]; then
		pass "REF moved to an image that cannot start while no shim ran: the next shim runs v2, :refused names it"
	else fail "first start of an unstartable update: $(cat k.err); $(tail -5 k.log); $(pins k)"; fi
	[ ! -s k.pid ] || { pid=$(cat k.pid); kill -TERM "$pid"; wait_gone "$pid"; }
	forget k; r=$(left_behind k); [ -z "$r" ] && pass "...and after rm of its names nothing is left" || fail "after the SIGKILL test: $r"
else fail "SIGKILL mid-probation left no bundle or names: $(find "$T/rd-k" -maxdepth 2); $(pins k)"; fi

# --- the same with --pull newer from a registry on loopback (once pith-image has pull): the
# start pulls into an empty store, each update pulls the tag pushed again by skopeo
# (not tier_skip: that would end the whole script, which has run)
if ! "$img" --help | grep -q '^  pull '; then
	echo "SKIP: shim --pull newer from a registry: this pith-image has no pull"
elif ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
	echo "SKIP: shim --pull newer from a registry: docker-registry or skopeo is not installed"
else
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
		"$T/reg" "$port" > reg.yml
	docker-registry serve reg.yml >reg.log 2>&1 &
	echo $! > registry.pid
	push() { skopeo copy -q --dest-tls-verify=false "oci:L:$1" "docker://127.0.0.1:$port/app:live"; }
	wait_until 'push v1 2>/dev/null' 100
	S="$T/S2" # left_behind looks here
	shim p --image "127.0.0.1:$port/app:live" --pull newer --store "$S" --probation 2 2>p.err \
		&& wait_for p.log 'app v1 up' && pass "--pull newer: the start pulls v1 into an empty store and runs it" \
		|| fail "pull at start: $(cat p.err p.log 2>/dev/null)"
	push v2 && ctl p update >/dev/null
	wait_for p.log 'app v2 up' 100 && wait_for p.log 'ran for 2 s: kept' 40 && grep -q 'update: pulling' p.log \
		&& pass "update: v2 pushed, pulled, taken after its probation" || fail "pull update: $(cat p.log)"
	push bad && ctl p update >/dev/null
	wait_until '[ "$(grep -c "app v2 up" p.log)" = 2 ]' 100 && [ "$(grep -c 'app bad up' p.log)" = 3 ] \
		&& pass "update: a pulled image exiting 1 at once is rolled back to v2" || fail "pull rollback: $(cat p.log)"
	pid=$(cat p.pid); kill -TERM "$pid"; wait_gone "$pid"
	case "$(pins p)" in "refused=sha256:"*" running=$v2 ") ;; *) fail "names after pulled updates: $(pins p)" ;; esac
	forget p; r=$(left_behind p); [ -z "$r" ] && pass "after pulled updates and rm of the names nothing is left" || fail "after pulled updates: $r"
	# a registry that accepts and never answers: SIGTERM to the shim during its start's pull
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); print(s.getsockname()[1], flush=True)
conns = []
while True: conns.append(s.accept())' > stall.port &
	echo $! > stall.pid
	wait_until '[ -s stall.port ]'
	shim q --image "127.0.0.1:$(cat stall.port)/app:1" --pull missing --store "$S" 2>q.err &
	caller=$!
	wait_until '[ -s q.pid ]' && sleep 0.5 && kill -TERM "$(cat q.pid)"
	wait "$caller" && r=0 || r=$?
	kill "$(cat stall.pid)"; rm stall.pid
	[ "$r" = 125 ] && grep -q 'stopped during the pull' q.err && [ -z "$(left_behind q)" ] \
		&& pass "SIGTERM during the start's pull: the pull is ended, the caller told, nothing left" \
		|| fail "SIGTERM during pull: rc $r $(cat q.err); $(left_behind q)"
fi

[ $fails = 0 ] && echo "shim image tests: all passed" || { echo "shim image tests: $fails failed" >&2; exit 1; }
