#!/bin/sh
# Fuzz the config.json parser with libFuzzer + ASan/UBSan.
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS]     (FUZZ_SECONDS also works; default 60)
# Crashes land in BUILD_DIR/fuzz/ as crash-*; turn each into a unit test.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
seconds=${2:-${FUZZ_SECONDS:-60}}
out=$build/fuzz
mkdir -p "$out/corpus"

cc=
for c in clang clang-19 clang-16 clang-14; do
	if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
done
probe() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
		> "$out/probe.c"
	[ -n "$cc" ] && "$cc" -fsanitize=fuzzer,address "$out/probe.c" -o "$out/probe" 2>/dev/null
}
if ! probe; then
	echo "fuzz: installing clang and its fuzzer runtime" >&2
	apt-get install -y --no-install-recommends clang libclang-rt-dev >/dev/null
	cc=clang
	probe || { echo "fuzz: $cc cannot build -fsanitize=fuzzer binaries" >&2; exit 1; }
fi

# The parser alone: the rest of config/ (defaults, embedded profiles) is not
# reachable from spec_load_string.
"$cc" -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top" "$here/fuzz_config.c" "$top"/config/parse*.c "$top/config/tables.c" \
	"$top/runtime/error.c" $(pkg-config --cflags --libs jansson) -o "$out/fuzz_config"

# New inputs go to $out/corpus; the checked-in seeds stay untouched.
cd "$out"
exec ./fuzz_config -max_total_time="$seconds" -max_len=65536 -timeout=10 \
	-dict="$here/config.dict" -print_final_stats=1 corpus "$here/corpus"
