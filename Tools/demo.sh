#!/usr/bin/env bash
# One command from a fresh clone to pictures: installs missing system packages, builds in
# release mode, renders the example scenes into ./out/ and says where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/lib/ensure-deps.sh
ensure_system_packages

echo "==> Building (release)"
swift build -c release --product scenegen
swift build -c release --product shardtool
swift build -c release --product gqn-train
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

echo "==> Generating a small rooms_ring_camera dataset (300 scenes, 10 views, 64 x 64)"
"$bin/scenegen" generate --family rooms_ring_camera --scenes 300 --shard-size 100 --out out/rooms_ring_camera --masks
"$bin/shardtool" verify out/rooms_ring_camera
"$bin/shardtool" info out/rooms_ring_camera
"$bin/shardtool" grid out/rooms_ring_camera --records 0..8 --out out/rooms_ring_camera_grid.png
"$bin/scenegen" preview --family shepard_metzler --scenes 4 --out out/shepard_metzler_preview.png

echo "==> Training a GQN: a 32 x 32 rooms_ring_camera dataset (1,000 scenes, 10 % held out), tiny for 2,000 steps on the short schedule (~2 minutes)"
"$bin/scenegen" generate --family rooms_ring_camera --scenes 1000 --shard-size 250 --size 32 --out out/rooms_ring_camera_32
rm -rf out/gqn_tiny
"$bin/gqn-train" fit --data out/rooms_ring_camera_32 --config tiny --steps 2000 --out out/gqn_tiny \
    --schedule short --checkpoint-every 500 --sample-every 500 --log-every 50
"$bin/gqn-train" eval --checkpoint out/gqn_tiny --data out/rooms_ring_camera_32 --split test --context all \
    | tee out/gqn_tiny/eval.json
"$bin/gqn-train" sample --checkpoint out/gqn_tiny --data out/rooms_ring_camera_32 --split test --scene 0 \
    --samples 3 --out out/gqn_tiny/imagination.png

echo "==> What a longer run imagines: the claims recipe's weights (Tools/claims/tiny-recipe.safetensors, 40,000 steps, README \"Reproducing the claims\") on the same test views"
"$bin/gqn-train" sample --checkpoint Tools/claims/tiny-recipe.safetensors --data out/rooms_ring_camera_32 --split test \
    --scene 0 --samples 3 --out out/recipe_imagination.png

echo
echo "Images, depth maps (16-bit, millimetres) and instance masks: $(pwd)/out/*.png"
echo "Dataset: $(pwd)/out/rooms_ring_camera (contact sheet: out/rooms_ring_camera_grid.png)"
echo "GQN run: $(pwd)/out/gqn_tiny (metrics.jsonl, checkpoint.safetensors, samples/step-*.png, eval.json, imagination.png)"
echo "The recipe's model imagining the same scene: $(pwd)/out/recipe_imagination.png"
