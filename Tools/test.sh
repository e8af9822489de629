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
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
