# Sourced by every test tier: a tier that cannot run says so, visibly. In CI
# (CI=true) that is a failure, because a green run must mean every tier ran.
#   tier_skip TIER REASON [HINT]
tier_skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 cannot run in CI: $2${3:+ ($3)}" >&2
		exit 1
	fi
	echo "SKIP: $1: $2${3:+ ($3)}"
	exit 0
}
