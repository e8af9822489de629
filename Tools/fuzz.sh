#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (every module instrumented: -sanitize=fuzzer,address)
# and runs them on their seed corpora.
#
# Usage: Tools/fuzz.sh [TARGET|all] [SECONDS] [extra libFuzzer flags]
#   Tools/fuzz.sh                      every target for 5 s each (the smoke run of Tools/test.sh)
#   Tools/fuzz.sh FuzzShard 600        one target for ten minutes
#   Tools/fuzz.sh all 0 -runs=1000000  every target for a million inputs each
# Targets are the directories Fuzz/Sources/Fuzz*; seeds are in Fuzz/Corpus/TARGET (read only:
# what a run finds goes to .build-fuzz/corpus/TARGET, crashes to .build-fuzz/findings/TARGET).
# Exits 2 with a message when the toolchain has no libFuzzer, 1 when a target finds anything.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-all}"
seconds="${2:-5}"
shift $(( $# > 2 ? 2 : $# ))

clang_resource="$(dirname "$(dirname "$(command -v swift)")")/lib/clang"
if ! ls "$clang_resource"/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
    && ! ls "$clang_resource"/*/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1; then
    echo "fuzz: skipped: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer) under $clang_resource" >&2
    exit 2
fi

scratch="$PWD/.build-fuzz"
started=$SECONDS
# -enable-testing: the targets reach internal entry points (the PNG fast path, a record's payload).
# lld: GNU gold stops with an internal error on these sanitized objects.
build=(--package-path Fuzz --scratch-path "$scratch" -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
swift build "${build[@]}" 2>&1 | { grep -v "Cannot export local symbol" || true; } >&2
echo "fuzz: build took $((SECONDS - started)) s" >&2
bin="$(swift build "${build[@]}" --show-bin-path)"

if [ "$target" = all ]; then
    targets=$(cd Fuzz/Sources && ls -d Fuzz* | grep -v '^FuzzSupport$')
else
    targets="$target"
fi

status=0
for name in $targets; do
    [ -x "$bin/$name" ] || { echo "fuzz: no target $name (expected Fuzz/Sources/$name)" >&2; exit 1; }
    corpus="$scratch/corpus/$name"
    findings="$scratch/findings/$name"
    mkdir -p "$corpus" "$findings"
    flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=65536
        -artifact_prefix="$findings/" -print_final_stats=1)
    [ "$seconds" = 0 ] && flags[0]="-max_total_time=0"
    log="$scratch/$name.log"
    # Fresh inputs go to $corpus; the seeds are read from the repository and never written.
    if ASAN_OPTIONS="detect_leaks=0" \
        "$bin/$name" "${flags[@]}" "$@" "$corpus" "Fuzz/Corpus/$name" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz: $name: $runs inputs, corpus $(ls "$corpus" | wc -l) files, no findings"
    else
        status=1
        echo "fuzz: $name: FINDING (log $log, inputs in $findings):" >&2
        grep -E "ERROR|fuzz finding|SUMMARY|Fatal error|panic" "$log" | head -5 >&2 || tail -20 "$log" >&2
    fi
done
exit $status
