#!/bin/bash
# run.sh BUILD: podman (through conmon), containerd (through containerd-shim-runc-v2) and dockerd
# (through containerd) drive BUILD/pith as their OCI runtime; every scenario also runs with crun
# (podman, containerd) or runc (docker), to show the scenarios test the client path rather than
# pith's quirks. No network: the image is the fixture rootfs.
#
# Variants: "host" uses this machine's cgroup layout as it is; "v1ns" runs the client inside a
# private mount namespace whose /sys/fs/cgroup shows only the v1 hierarchies (v1ns.sh), because
# crun 1.8.1 refuses hybrid layouts (v1 controllers plus a cgroup2 mount). pith runs in both.
# CLIENTS_PARALLEL=1 runs the client scripts of each group (pith's, then each peer's) side by
# side, printing each one's lines whole when it ends.
# CLIENTS_NO_PEERS=REASON leaves the crun and runc variants out, with a SKIP line giving REASON
# (the pure-v2 board under TCG, boards/clients-v2.sh).
# Prints one line per scenario and ends with "N passed, M failed, K skipped"; exit 1 on a failure.
# A client script whose planned scenarios did not all report (it died) fails the run.
set -u
BUILD=${1:?usage: run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
PITH=$BUILD/pith
ROOTFS=$BUILD/fixtures/rootfs

. "$HERE/../tier-skip.sh"
. "$HERE/cgroup.sh"
if [ "$(id -u)" != 0 ]; then
	tier_skip clients "podman and containerd tests need root"
fi
[ -x "$PITH" ] && [ -d "$ROOTFS" ] || { echo "clients: $PITH or $ROOTFS missing (make all fixtures)" >&2; exit 1; }

T=$(mktemp -d /tmp/pith-clients.XXXXXX)
export RESULTS=$T/results
: > "$RESULTS"
skip_line() { echo "SKIP $1" | tee -a "$RESULTS"; }

# cgroups the clients make outside the runtime's own leaf: podman's default parent and
# conmon's "conmon" cgroup under it; ours under pith-test. Removed at the end if new. In every
# hierarchy mounted here (v1 ones, the cgroup2 one), whatever the layout.
CG_ROOTS=$(cg_roots)
in_roots() { local r p; for r in $CG_ROOTS; do for p in "$@"; do ls -d "$r"/$p 2>/dev/null; done; done; }
had_libpod=$(in_roots libpod_parent)
had_pith_test=$(in_roots pith-test)
had_runc_root=$([ -d /run/containerd ] && echo yes)
ours() { in_roots pith-test/clients-podman 'pith-test/c-*' 'pith-test/docker-*' "$@"; }

cleanup() {
	local d
	for d in $(ours $([ -z "$had_libpod" ] && echo libpod_parent)); do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	if [ -z "$had_pith_test" ]; then
		for d in $(in_roots pith-test); do rmdir "$d" 2>/dev/null; done
	fi
	rmdir /run/containerd/runc/pith-test 2>/dev/null
	if [ -z "$had_runc_root" ]; then
		rmdir /run/containerd/runc /run/containerd/s /run/containerd/fifo/* /run/containerd/fifo \
			/run/containerd 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# the image: a tar for `podman import`, an OCI archive for `ctr image import`
tar -C "$ROOTFS" --numeric-owner -cf "$T/rootfs.tar" . || exit 1
"$HERE/mkoci.sh" "$ROOTFS" "$T/oci.tar" localhost/pith-clients:test || exit 1
export ROOTFS_TAR=$T/rootfs.tar OCI_TAR=$T/oci.tar

layout=$(cg_layout)

have() { command -v "$1" >/dev/null 2>&1; }
clients=""
if have podman && have conmon; then clients="$clients podman"
else skip_line "podman: podman or conmon not installed (make deps)"; fi
if have containerd && have ctr && have containerd-shim-runc-v2; then clients="$clients containerd"
else skip_line "containerd: containerd, ctr or containerd-shim-runc-v2 not installed (make deps)"; fi
docker=""
if have dockerd && have docker && have containerd-shim-runc-v2; then docker=yes
else skip_line "docker: dockerd or docker not installed (make deps)"; fi

# reported CLIENT VARIANT: every scenario the script planned, and its cleanup, has a result
# line; a script that died half-way (or never started) fails here instead of passing short
reported() {
	local plan line n got=" " s missing=""
	plan=$(grep -F "PLAN $1 [$2]: " "$RESULTS" | tail -n 1)
	if [ -z "$plan" ]; then
		grep -qF "FAIL $1 [$2] " "$RESULTS" ||
			echo "FAIL $1 [$2] report: the script reported no plan and no result" | tee -a "$RESULTS"
		return
	fi
	while IFS= read -r line; do
		case $line in
		"PASS $1 [$2] "*|"FAIL $1 [$2] "*|"SKIP $1 [$2] "*) n=${line#*] }; got="$got${n%%[ :]*} " ;;
		esac
	done < "$RESULTS"
	for s in ${plan#*: } cleanup; do [[ "$got" == *" $s "* ]] || missing="$missing $s"; done
	[ -z "$missing" ] || echo "FAIL $1 [$2] report: no result for$missing" | tee -a "$RESULTS"
}

# launch CLIENT VARIANT CMD...: one client script, its report check and its time. With
# CLIENTS_PARALLEL set, in the background, its output kept until drain prints it whole: the
# clients share nothing (own dirs, daemons, cgroups), and under emulation (boards/clients-v2.sh)
# one script at a time leaves the second CPU idle.
JOBS=()
launch() {
	local c=$1 v=$2
	shift 2
	if [ -z "${CLIENTS_PARALLEL:-}" ]; then
		one "$c" "$v" "$@"
		return
	fi
	one "$c" "$v" "$@" > "$T/job-${#JOBS[@]}.out" 2>&1 &
	JOBS+=("$!:$T/job-${#JOBS[@]}.out")
}
one() {
	local c=$1 v=$2 s0=$SECONDS
	shift 2
	echo "--- $c with ${v%% *} [${v#* }]"
	VARIANT=$v "$@"
	reported "$c" "$v"
	echo "# $c [$v]: $((SECONDS - s0)) s"
}
drain() {
	local j
	for j in "${JOBS[@]}"; do
		wait "${j%%:*}"
		cat "${j#*:}"
	done
	JOBS=()
}

# one variant: run.sh-level SKIP lines say exactly why a combination cannot run
variant() { # NAME RUNTIME IN_V1NS
	local name=$1 rt=$2 ns=$3 c dir v
	for c in $clients; do
		# short: podman refuses a runroot longer than 50 characters
		dir=$T/$(basename "$rt" | cut -c1-4)-$ns-$c
		mkdir -p "$dir"
		v="$(basename "$rt") $name"
		if [ "$ns" = yes ]; then
			launch "$c" "$v" "$HERE/v1ns.sh" "$HERE/$c.sh" "$rt" "$dir"
		else
			launch "$c" "$v" "$HERE/$c.sh" "$rt" "$dir"
		fi
	done
}

# docker: pith, then runc as the cross-check (runc 1.1 takes hybrid layouts as they are)
docker_variant() { # RUNTIME
	local dir=$T/$(basename "$1" | cut -c1-4)-docker
	mkdir -p "$dir"
	launch docker "$(basename "$1") $layout-host" "$HERE/docker.sh" "$1" "$dir"
}

start=$SECONDS
variant "$layout-host" "$PITH" no
[ -n "$docker" ] && docker_variant "$PITH"
drain
if [ -n "$docker" ]; then
	if [ -n "${CLIENTS_NO_PEERS:-}" ]; then skip_line "docker [runc]: $CLIENTS_NO_PEERS"
	elif have runc; then docker_variant "$(command -v runc)"
	else skip_line "docker [runc]: runc not installed (make deps): the scenarios were not cross-checked"; fi
fi
drain
if [ "$layout" = v2 ]; then
	skip_line "v1ns variants: this host has no cgroup v1 hierarchies"
else
	variant v1ns "$PITH" yes
	drain
fi
if [ -n "${CLIENTS_NO_PEERS:-}" ]; then
	for c in $clients; do skip_line "$c [crun]: $CLIENTS_NO_PEERS"; done
elif ! have crun; then
	skip_line "crun: not installed (make deps): the scenarios were not cross-checked"
else
	if [ "$layout" = hybrid ]; then
		for c in $clients; do
			skip_line "$c [crun $layout-host]: crun $(crun --version | awk 'NR==1{print $3}') refuses hybrid cgroups (\"cgroups in hybrid mode not supported\"): cross-checked in v1ns instead"
		done
	else
		variant "$layout-host" "$(command -v crun)" no
	fi
	drain
	[ "$layout" = v2 ] || variant v1ns "$(command -v crun)" yes
	drain
fi

# nothing may run on in the clients' cgroups
busy=""
for f in $(ours libpod_parent); do
	[ -n "$(find "$f" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && busy="$busy $f"
done
if [ -z "$busy" ]; then echo "PASS cgroups: no process left in the clients' cgroups" | tee -a "$RESULTS"
else echo "FAIL cgroups: processes left in$busy" | tee -a "$RESULTS"; fi

n_pass=$(grep -c '^PASS' "$RESULTS")
n_fail=$(grep -c '^FAIL' "$RESULTS")
n_skip=$(grep -c '^SKIP' "$RESULTS")
echo "clients: $((SECONDS - start)) s"
echo "$n_pass passed, $n_fail failed, $n_skip skipped"
[ "$n_fail" = 0 ]
