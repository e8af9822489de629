#!/usr/bin/env bash
# One command from a fresh clone to pictures: installs missing system packages, builds in
# release mode, renders the example scenes into ./out/ and says where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/lib/ensure-deps.sh
ensure_system_packages

echo "==> Building (release)"
swift build -c release --product scenegen
bin="$(swift build -c release --show-bin-path)"

mkdir -p out
echo "==> Rendering the example scenes"
for scene in Scenes/examples/*.json; do
    name="$(basename "$scene" .json)"
    "$bin/scenegen" render --scene "$scene" --out "out/$name.png" \
        --depth "out/${name}_depth.png" --mask "out/${name}_mask.png"
done

echo "==> Render benchmark (64 x 64, 4 spp, shadows)"
"$bin/scenegen" bench --images 1000 --runs 3

echo
echo "Images, depth maps (16-bit, millimetres) and instance masks are in $(pwd)/out/"
ls -1 out/*.png | sed 's/^/  /'
