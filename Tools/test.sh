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
# It includes the data-parallel checks, which launch the built gqn-train under
# `mpirun --allow-run-as-root -np 2` (suite "gqn-train fit under mpirun"): 20 steps on 2 ranks
# equal to one process with the same global batch, and --resume under the launcher.
swift test -c release -Xswiftc -enable-testing --skip-build --no-parallel "$@"

# The Python checks run in a virtual environment of their own, never in the system Python:
# numpy, safetensors, CPU torch, Pillow, pytest, crc32c, protobuf and tensorboard in .venv-test (gitignored), made
# on the first run and reused while it still imports them all.
venv=".venv-test"
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 not found: cannot run the safetensors and PyTorch reference checks" >&2
    exit 1
fi
if ! "$venv/bin/python" -c "import numpy, safetensors, torch, PIL, pytest, crc32c, google.protobuf, tensorboard" >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    make_python_environment "$venv/bin/python"
fi
bin="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)"
fixtures="$(mktemp -d)"
trap 'rm -rf "$fixtures"' EXIT

# The renders' PNG encoder: its Huffman code tables are the ones Tools/render_png_code.py
# derives from the committed symbol counts.
"$venv/bin/python" -B Tools/render_png_code.py check Sources/CPNGEncoder/render_deflate.c Tools/render_png_counts.txt

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

# The Python package (python/), installed afresh: it must read every record as shardtool cat /
# export do, and pick the batches the Swift loader picks (shardtool batches), on small datasets
# that this build's scenegen renders.
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python
GQNKIT_BIN="$bin" "$venv/bin/python" -B -m pytest -q -p no:cacheprovider python/tests

# TensorBoard's own reader must see in a run's event files exactly what metrics.jsonl holds,
# also after a run that died past its checkpoint was resumed: tiny trains 6 steps, the
# step-3 checkpoint is put back (as if the process had been killed at step 6), and the run
# resumes to 8 steps, so the event files hold steps 4-6 twice and TensorBoard must drop the
# first copies.
tb="$fixtures/tensorboard"
"$bin/scenegen" generate --family rooms_ring_camera --scenes 12 --size 32 --views 4 --spp 1 \
    --split train=0.75,test=0.25 --out "$tb/data" >/dev/null 2>&1
fit=("$bin/gqn-train" fit --data "$tb/data" --config tiny --batch 4 --threads 2 --log-every 1
    --sample-every 3 --checkpoint-every 3 --out "$tb/run")
"${fit[@]}" --steps 3 2>/dev/null
cp "$tb/run/checkpoint.safetensors" "$tb/step3.safetensors"
"${fit[@]}" --steps 6 --resume 2>/dev/null
cp "$tb/step3.safetensors" "$tb/run/checkpoint.safetensors"
"${fit[@]}" --steps 8 --resume 2>/dev/null
"$venv/bin/python" -B Tools/check_tensorboard.py "$tb/run"

# DeepMind's GQN TFRecord layout: a small rooms dataset exported by shardtool, read back by a
# reader that shares no code with ours (crc32c, protobuf with a hand-written tf.train.Example
# descriptor, Pillow): data_reader.py's file names, cameras equal to the poses, frames within
# JPEG error.
"$bin/scenegen" generate --family rooms_ring_camera --scenes 12 --size 64 --views 10 --spp 1 \
    --out "$fixtures/gqn-source" >/dev/null
"$bin/shardtool" export "$fixtures/gqn-source" --format gqn-tfrecord --dataset rooms_ring_camera \
    --out "$fixtures/gqn-export" >/dev/null
"$venv/bin/python" -B Tools/check_gqn_tfrecord.py "$fixtures/gqn-source" "$fixtures/gqn-export" \
    rooms_ring_camera 2160 240 64 10

# Coverage-guided fuzzing, a smoke run: every libFuzzer target of Fuzz/ for a few seconds on its
# seeds, built with -sanitize=fuzzer,address (Tools/fuzz.sh; a long run is Tools/fuzz.sh TARGET SECONDS).
fuzz_status=0
Tools/fuzz.sh all 3 || fuzz_status=$?
if [ "$fuzz_status" -eq 2 ]; then
    echo "fuzz smoke run skipped: this toolchain has no libFuzzer" >&2
elif [ "$fuzz_status" -ne 0 ]; then
    exit "$fuzz_status"
fi

# The documentation builds: every module's DocC catalog and API into one static site, with
# every link between the modules resolved (a warning fails the run).
Tools/docs.sh "$fixtures/docs" --warnings-as-errors >/dev/null
