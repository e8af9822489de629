#!/usr/bin/env bash
# Installs what the build needs (when missing), builds, and runs the whole test suite.
# Usage: Tools/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/lib/ensure-deps.sh
ensure_system_packages

# Numeric code runs 10-50x slower unoptimised, so the suite runs as an optimised build
# with testability enabled.
swift build -c release -Xswiftc -enable-testing --build-tests
# Serially: some tests set process-wide state (the BLAS thread count) and compare results
# bit for bit, which tests running alongside would disturb. The suite takes seconds anyway.
swift test -c release -Xswiftc -enable-testing --skip-build --no-parallel "$@"

# The Python checks run in a virtual environment of their own, never in the system Python:
# numpy, safetensors and CPU torch in .venv-test (gitignored), made on the first run and
# reused while it still imports all three.
venv=".venv-test"
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 not found: cannot run the safetensors and PyTorch reference checks" >&2
    exit 1
fi
if ! "$venv/bin/python" -c "import numpy, safetensors, torch" >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    make_python_environment "$venv/bin/python"
fi
bin="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)"
fixtures="$(mktemp -d)"
trap 'rm -rf "$fixtures"' EXIT

# A safetensors file written by the Tensors module must load in Python's `safetensors`
# with the exact values the Swift side wrote.
"$bin/gqn-train" write-safetensors-fixture "$fixtures"
"$venv/bin/python" -B Tools/check_safetensors.py "$fixtures"

# One training step of the Swift GQN (pool and tower representations, precomputed and
# naive gates) against an independent PyTorch implementation: loss and every gradient.
for case in "tiny precomputed" "small precomputed" "tiny naive"; do
    read -r config gates <<<"$case"
    mkdir "$fixtures/$config-$gates"
    "$bin/gqn-train" write-reference-fixture "$fixtures/$config-$gates" --config "$config" --gates "$gates"
done
"$venv/bin/python" -B Tools/check_pytorch_reference.py \
    "$fixtures/tiny-precomputed" "$fixtures/small-precomputed" "$fixtures/tiny-naive"

# Coverage-guided fuzzing, a smoke run: every libFuzzer target of Fuzz/ for a few seconds on its
# seeds, built with -sanitize=fuzzer,address (Tools/fuzz.sh; a long run is Tools/fuzz.sh TARGET SECONDS).
fuzz_status=0
Tools/fuzz.sh all 3 || fuzz_status=$?
if [ "$fuzz_status" -eq 2 ]; then
    echo "fuzz smoke run skipped: this toolchain has no libFuzzer" >&2
elif [ "$fuzz_status" -ne 0 ]; then
    exit "$fuzz_status"
fi
