# Sourced by the board scripts. Finds the Debian archive this machine's apt
# already uses, so no host name is ever written into the repository, and runs
# apt with a private state directory (no dpkg multiarch, nothing in /var/lib/apt).

# pith_archive: set PITH_MIRROR and PITH_SUITE from the first deb stanza whose
# suite is the release itself (not -security/-updates/-backports).
pith_archive() {
	PITH_MIRROR= PITH_SUITE=
	local f out
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		out=$(awk '
			function flush() { if (!done && t ~ /deb( |$)/ && u != "" && s != "") { print u, s; done = 1 } t = u = s = "" }
			/^[[:space:]]*$/ { flush(); next }
			/^[[:space:]]*#/ { next }
			/^Types:/ { t = $0 }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-(security|updates|backports)$/) { s = $i; break } }
			END { flush() }' "$f")
		if [ -n "$out" ]; then
			PITH_MIRROR=${out%% *} PITH_SUITE=${out#* }
			return 0
		fi
	done
	if [ -r /etc/apt/sources.list ]; then
		out=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) !~ /-(security|updates|backports)$/) { print $i, $(i + 1); exit } }' /etc/apt/sources.list)
		if [ -n "$out" ]; then
			PITH_MIRROR=${out%% *} PITH_SUITE=${out#* }
			return 0
		fi
	fi
	echo "boards: no Debian archive found in /etc/apt/sources.list{,.d/*.sources}" >&2
	return 1
}

# pith_private_apt ARCH DIR [SUITE]: fill the array PITH_APT with apt options that use
# a state of our own under DIR, holding only the main suite for ARCH (the
# security suite's foreign-arch index can fail to fetch; the release is enough).
pith_private_apt() {
	local arch=$1 dir=$2 suite
	pith_archive || return 1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc"
	: > "$dir/status"
	suite=${3:-$PITH_SUITE}	# another release of the same archive (the 16 KiB-page kernel)
	echo "deb [arch=$arch] $PITH_MIRROR $suite main" > "$dir/etc/sources.list"
	PITH_APT=(-oAPT::Architecture="$arch" -oAPT::Architectures="$arch"
		-oDir::State::Lists="$dir/lists" -oDir::Cache="$dir/cache"
		-oDir::State::status="$dir/status" -oDir::Etc::SourceList="$dir/etc/sources.list"
		-oDir::Etc::SourceParts=/nonexistent -oAPT::Get::List-Cleanup=0)
	if ! ls "$dir"/lists/*Packages* >/dev/null 2>&1; then
		timeout 300 apt-get -q "${PITH_APT[@]}" update >"$dir/update.log" 2>&1 || true
	fi
	ls "$dir"/lists/*Packages* >/dev/null 2>&1 || { echo "boards: apt index for $arch not fetched (see $dir/update.log)" >&2; return 1; }
}

# pith_need_pkgs PKG...: install the Debian packages that are missing (root only).
pith_need_pkgs() {
	local p missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "boards: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
		return 1
	fi
	echo "boards: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $missing </dev/null >&2 ||
		{ apt-get update -qq </dev/null >&2; apt-get install -y -qq --no-install-recommends $missing </dev/null >&2; }
}
