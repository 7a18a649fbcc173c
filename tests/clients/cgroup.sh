# Sourced by run.sh and lib.sh: where a process's cgroup is, on cgroup v1, hybrid and pure v2
# alike, found from /proc/PID/cgroup and this mount namespace's mount table (never a
# /sys/fs/cgroup/CONTROLLER literal), and what a container sees of it.

# cg_hier CONTROLLER: "VERSION MOUNTPOINT ROOT" of the hierarchy that carries CONTROLLER here:
# a cgroup v1 mount naming it among its options wins; else the cgroup2 mount (freezer, for
# one, is no controller on v2 but part of every cgroup2 cgroup). ROOT is the mount's root
# inside the hierarchy ("/" unless it is a bind of a subtree).
cg_hier() {
	awk -v c="$1" '
	{ for (i = 7; $i != "-"; i++) ; fs = $(i + 1); opts = $(i + 3) }
	fs == "cgroup" && !v1 { n = split(opts, o, ","); for (j = 1; j <= n; j++) if (o[j] == c) v1 = "1 " $5 " " $4 }
	fs == "cgroup2" && !v2 { v2 = "2 " $5 " " $4 }
	END { if (v1) print v1; else if (v2) print v2; else exit 1 }' /proc/self/mountinfo
}

# cg_version CONTROLLER: 1 or 2
cg_version() { local h; h=$(cg_hier "$1") && echo "${h%% *}"; }

# cg_path CONTROLLER PID: PID's cgroup in that hierarchy, as /proc/PID/cgroup names it
cg_path() {
	local v
	v=$(cg_version "$1") || return 1
	awk -F: -v c="$1" -v v="$v" '
	v == 2 && $1 == 0 && $2 == "" { print $3; exit }
	v == 1 { n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; exit } }' "/proc/$2/cgroup"
}

# cg_dir CONTROLLER PID: the directory of PID's cgroup in this mount namespace
cg_dir() {
	local v mp root rel
	read -r v mp root <<<"$(cg_hier "$1")" || return 1
	rel=$(cg_path "$1" "$2")
	[ -n "$mp" ] && [ -n "$rel" ] || return 1
	[ "$root" = / ] || rel=${rel#"$root"}
	echo "$mp$rel"
}

# cg_roots: the mount points of every cgroup hierarchy here (v1 ones and the cgroup2 one)
cg_roots() {
	awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5 }' \
		/proc/self/mountinfo | sort -u
}

# cg_in CONTROLLER "V1 FILES" "V2 FILES": the paths a container reads those files at: runtimes
# mount each v1 hierarchy at /sys/fs/cgroup/CONTROLLER, the cgroup2 one at /sys/fs/cgroup.
# (cpu: "cpu.cfs_quota_us cpu.cfs_period_us" on v1 print what "cpu.max" prints on v2.)
cg_in() {
	local f out=""
	if [ "$(cg_version "$1")" = 1 ]; then
		for f in $2; do out="$out /sys/fs/cgroup/$1/$f"; done
	else
		for f in $3; do out="$out /sys/fs/cgroup/$f"; done
	fi
	echo $out
}

# cg_line_re CONTROLLER: an ERE for CONTROLLER's line of a /proc/PID/cgroup file
cg_line_re() {
	if [ "$(cg_version "$1")" = 1 ]; then echo "^[0-9]+:([^:]*,)?$1(,[^:]*)?:"; else echo '^0::'; fi
}

# cg_frozen DIR: FROZEN or THAWED (v1's freezer.state words) for the cgroup at DIR, from
# freezer.state on v1, the "frozen" key of cgroup.events on v2
cg_frozen() {
	if [ -f "$1/freezer.state" ]; then
		cat "$1/freezer.state"
	else
		awk '$1 == "frozen" { print ($2 == 1 ? "FROZEN" : "THAWED") }' "$1/cgroup.events"
	fi
}

# cg_layout: v1 (v1 hierarchies only), hybrid (v1 and a cgroup2 mount) or v2 (cgroup2 only)
cg_layout() {
	awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup") v1 = 1; if ($(i + 1) == "cgroup2") v2 = 1 }
	END { print (v1 && v2) ? "hybrid" : v1 ? "v1" : "v2" }' /proc/self/mountinfo
}
