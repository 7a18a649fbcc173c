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

if ! command -v dotnet >/dev/null 2>&1; then
	echo "SKIP: dotnet tests: the .NET SDK (dotnet) is not installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: dotnet tests: they run containers and need root"
	exit 0
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
if [ ! -f "$dn/rootfs.stamp" ] || [ "$here/mkrootfs.sh" -nt "$dn/rootfs.stamp" ] || [ "$runtime" -nt "$dn/rootfs.stamp" ]; then
	"$here/mkrootfs.sh" "$app" "$dn" "$runtime"
	touch "$dn/rootfs.stamp"
fi

# 4. The test binary (not in the Makefile's wildcards: it needs the SDK and root).
bin="$dn/test_dotnet"
if [ ! -x "$bin" ] || [ -n "$(find "$here" -maxdepth 1 -newer "$bin" \( -name '*.c' -o -name '*.h' \))" ]; then
	# shellcheck disable=SC2046
	${CC:-gcc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -o "$bin" "$here/test_dotnet.c" "$here/dn.c" \
		$(pkg-config --cflags --libs criterion jansson)
fi

if [ -n "${DN_PREPARE_ONLY:-}" ]; then	# bench_ttfl.sh: the app, rootfs and spec only
	exit 0
fi

echo "dotnet tests: runtime=$runtime shim=${shim:-none (shim tests skip)} seccomp=${seccomp:-none (seccomp tests skip)}"
rc=0
DN_DIR="$dn" DN_RUNTIME="$runtime" DN_SHIM="$shim" DN_SECCOMP="$seccomp" \
	"$bin" --jobs 1 ${DN_FILTER:+--filter "$DN_FILTER"} || rc=$?

# Our cgroup parents, if nobody else uses them any more.
for d in /sys/fs/cgroup/*/pith-test /sys/fs/cgroup/pith-test; do
	[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done
exit $rc
