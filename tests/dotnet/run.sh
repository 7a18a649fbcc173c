#!/bin/sh
# The .NET end-to-end tests (issue 6): build the probe app and its rootfs once, then run
# test_dotnet (Criterion) against pith-shim + pith.
# Usage: run.sh BUILD_DIR   (make check-dotnet)
# Overrides: DN_RUNTIME (default BUILD_DIR/pith, else runc), DN_SHIM (default BUILD_DIR/pith-shim
# when it exists; DN_SHIM= to run without it), DN_SECCOMP (default config/seccomp_default.json),
# DN_FILTER (a Criterion --filter pattern, e.g. 'stop/*'), DN_PREPARE_ONLY=1 (build, do not test).
set -eu
build=${1:?usage: run.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
here="$src/tests/dotnet"
. "$src/tests/tier-skip.sh"

if ! command -v dotnet >/dev/null 2>&1; then
	tier_skip "dotnet tests" "the .NET SDK (dotnet) is not installed" \
		"Debian ships no dotnet package; tests/deps.sh installs it only where an archive it can reach has one"
fi
if [ "$(id -u)" != 0 ]; then
	tier_skip "dotnet tests" "they run containers and need root"
fi
if ! pkg-config --exists criterion jansson; then
	echo "dotnet tests: criterion and jansson development files are missing (make deps)" >&2
	exit 1
fi

dn="$build/dotnet"
mkdir -p "$dn"

# 1. The probe: framework-dependent, offline (nuget.config has no feed), with a private
# NuGet/CLI home so the machine's caches stay untouched. Rebuilt only when its sources change.
app="$dn/app"
stamp="$dn/app.stamp"
if [ ! -f "$stamp" ] || [ -n "$(find "$here/probe" -newer "$stamp" -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.config' \) 2>/dev/null)" ]; then
	echo "dotnet tests: building the probe app"
	rm -rf "$app"
	env DOTNET_CLI_HOME="$dn/home" NUGET_PACKAGES="$dn/nuget" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
		DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
		DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 \
		dotnet publish "$here/probe/probe.csproj" -c Release --nologo -v quiet \
		--artifacts-path "$dn/artifacts" -o "$app" >"$dn/publish.log" 2>&1 ||
		{ cat "$dn/publish.log" >&2; echo "dotnet tests: probe build failed" >&2; exit 1; }
	touch "$stamp"
	rm -f "$dn/rootfs.stamp"
fi

# 2. Runtime and shim under test.
runtime=${DN_RUNTIME:-}
if [ -z "$runtime" ]; then
	if [ -x "$build/pith" ]; then runtime="$build/pith"; else runtime=$(command -v runc || true); fi
fi
[ -n "$runtime" ] && [ -x "$runtime" ] || { echo "dotnet tests: no runtime (build/pith or runc)" >&2; exit 1; }
if [ "${DN_SHIM+set}" = set ]; then shim=$DN_SHIM
elif [ -x "$build/pith-shim" ]; then shim="$build/pith-shim"
else shim=""; fi
seccomp=${DN_SECCOMP-}
if [ -z "${DN_SECCOMP+set}" ] && [ -f "$src/config/seccomp_default.json" ]; then
	seccomp="$src/config/seccomp_default.json"
fi

# 3. The rootfs and the runtime's default spec.
# Remade when the script, the runtime binary or the choice of runtime changes (its spec differs).
if [ ! -f "$dn/rootfs.stamp" ] || [ "$here/mkrootfs.sh" -nt "$dn/rootfs.stamp" ] || [ "$runtime" -nt "$dn/rootfs.stamp" ] ||
	[ "$(cat "$dn/rootfs.stamp")" != "$runtime" ]; then
	"$here/mkrootfs.sh" "$app" "$dn" "$runtime"
	printf '%s\n' "$runtime" >"$dn/rootfs.stamp"
fi

# 4. The test binary (not in the Makefile's wildcards: it needs the SDK and root).
bin="$dn/test_dotnet"
if [ ! -x "$bin" ] || [ -n "$(find "$here" -maxdepth 1 -newer "$bin" \( -name '*.c' -o -name '*.h' \))" ]; then
	# shellcheck disable=SC2046
	${CC:-gcc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -o "$bin" "$here/test_dotnet.c" "$here/dn.c" \
		$(pkg-config --cflags --libs criterion jansson)
fi

ttfl="$dn/ttfl-bin"
if [ ! -x "$ttfl" ] || [ "$here/ttfl.c" -nt "$ttfl" ] || [ "$here/dn.c" -nt "$ttfl" ]; then
	# shellcheck disable=SC2046
	${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 \
		-o "$ttfl" "$here/ttfl.c" "$here/dn.c" $(pkg-config --cflags --libs jansson)
fi
if [ -n "${DN_PREPARE_ONLY:-}" ]; then	# bench_ttfl.sh: the app, rootfs, spec and tools only
	exit 0
fi

# 5. Smoke: one `info` through the whole stack. If that cannot work, fail now with what it said
# instead of letting every test wait out its timeouts.
export DN_DIR="$dn" DN_RUNTIME="$runtime" DN_SHIM="$shim" DN_SECCOMP="$seccomp"
smoke_out="$dn/out/smoke.out"
state="$dn/state/$(basename "$runtime")"	# one state root per runtime, as dn.c
mkdir -p "$dn/out" "$state"
smoke_clean() {
	"$runtime" --root "$state" delete --force dotnet-smoke >/dev/null 2>&1 || true
	for d in /sys/fs/cgroup/*/pith-test/dotnet-smoke /sys/fs/cgroup/pith-test/dotnet-smoke; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
}
smoke_clean
b=$("$ttfl" bundle smoke info)
rm -f "$dn/out/smoke.log"
if [ -n "$shim" ]; then
	timeout -k 5 30 "$shim" --id dotnet-smoke --bundle "$b" --runtime "$runtime" --root "$state" \
		--log "$dn/out/smoke.log" --socket "$dn/out/smoke.sock" --foreground >"$smoke_out" 2>&1 </dev/null || true
	cat "$dn/out/smoke.log" >>"$smoke_out" 2>/dev/null || true
	via="pith-shim + $runtime"
else
	timeout -k 5 30 "$runtime" --root "$state" run --bundle "$b" dotnet-smoke >"$smoke_out" 2>&1 </dev/null || true
	via="$runtime"
fi
smoke_clean
if ! grep -q '"processorCount"' "$smoke_out"; then
	echo "FAIL: dotnet tests: $via cannot run the probe's info within 30 s; it said:" >&2
	tail -n 20 "$smoke_out" >&2
	exit 1
fi

echo "dotnet tests: runtime=$runtime shim=${shim:-none (shim tests skip)} seccomp=${seccomp:-none (seccomp tests skip)}"
rc=0
"$bin" --jobs 1 ${DN_FILTER:+--filter "$DN_FILTER"} || rc=$?

# Our cgroup parents, if nobody else uses them any more.
for d in /sys/fs/cgroup/*/pith-test /sys/fs/cgroup/pith-test; do
	[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done
exit $rc
