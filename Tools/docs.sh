#!/usr/bin/env bash
# Builds the documentation of every module into one static website (DocC, through
# swift-docc-plugin): each module's catalog, its API, and links between the modules.
# Usage: Tools/docs.sh [OUT_DIR] [--hosting-base-path PATH] [--warnings-as-errors]
#   OUT_DIR defaults to .build/docs-site; open OUT_DIR/documentation/index.html through a web
#   server, for example `python3 -m http.server -d OUT_DIR` and http://localhost:8000/documentation/.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/lib/ensure-deps.sh
ensure_system_packages

out=".build/docs-site"
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then out="$1"; shift; fi
docc_options=()
while [ $# -gt 0 ]; do
    case "$1" in
        --hosting-base-path) docc_options+=(--hosting-base-path "$2"); shift 2 ;;
        --warnings-as-errors) docc_options+=(--warnings-as-errors); shift ;;
        *) echo "docs.sh: unknown option $1 (see the usage at the top of Tools/docs.sh)" >&2; exit 2 ;;
    esac
done

# Every Swift module with a DocC catalog, libraries before the tools that use them.
targets=()
for catalog in Sources/*/*.docc; do
    targets+=(--target "$(basename "$(dirname "$catalog")")")
done
mkdir -p "$out"
swift package --allow-writing-to-directory "$out" generate-documentation \
    --enable-experimental-combined-documentation "${targets[@]}" \
    --transform-for-static-hosting --output-path "$out" "${docc_options[@]}"
echo "docs.sh: site written to $out (open $out/documentation/index.html through a web server)" >&2
