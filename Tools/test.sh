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

# A safetensors file written by the Tensors module must load in Python's `safetensors`
# with the exact values the Swift side wrote (skipped when python3 is absent).
if command -v python3 >/dev/null 2>&1; then
    fixture="$(mktemp -d)"
    trap 'rm -rf "$fixture"' EXIT
    "$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/gqn-train" write-safetensors-fixture "$fixture"
    python3 Tools/check_safetensors.py "$fixture"
else
    echo "python3 not found: skipping the safetensors interoperability check" >&2
fi
