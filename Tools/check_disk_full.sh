#!/usr/bin/env bash
# A real full disk, by hand (root only: it mounts a tmpfs): scenegen generate, shardtool export
# (images and gqn-tfrecord), shardtool import and gqn-train fit each run out of space on a small tmpfs, then resume once it is larger.
# Checks: a non-zero exit with "No space left on device" naming the file, no file under a final
# name that is not complete (no temporary file left either), what was written before intact,
# and the same command completing after the tmpfs grows. The unit tests simulate this inside
# AtomicFile (DiskFullTests, GenerateTests); this script is the real thing, not run by CI.
# Usage: Tools/check_disk_full.sh   (after a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "check_disk_full: needs root to mount a tmpfs" >&2; exit 2; }
bin="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)"
mountpoint="$(mktemp -d)"
work="$(mktemp -d)"
cleanup() { umount "$mountpoint" 2>/dev/null || true; rm -rf "$mountpoint" "$work"; }
trap cleanup EXIT
fail() { echo "check_disk_full: FAILED: $*" >&2; exit 1; }
leftovers() { find "$1" -name '.*.partial-*' | wc -l; }

mount -t tmpfs -o size=2m tmpfs "$mountpoint"
data="$mountpoint/data"
generate=("$bin/scenegen" generate --family rooms_ring_camera --scenes 60 --shard-size 5 --size 64 --views 10 --spp 1
    --split train=1 --threads 2 --out "$data")
if "${generate[@]}" >"$work/out" 2>"$work/err"; then fail "generate into 2 MB succeeded"; fi
grep -q "No space left on device" "$work/err" || fail "generate: $(cat "$work/err")"
echo "generate on a full disk: $(tail -1 "$work/err")"
[ "$(leftovers "$data")" -eq 0 ] || fail "temporary files left: $(find "$data" -name '.*.partial-*')"
[ ! -e "$data/manifest.json" ] || fail "a manifest was written"
written=$(ls "$data"/*.gqnshard | wc -l)
for shard in "$data"/*.gqnshard; do "$bin/shardtool" verify "$shard" >/dev/null || fail "$shard does not verify"; done
echo "  $written complete shards kept, each verifies; no temporary file"
before=$(cd "$data" && sha256sum *.gqnshard)
mount -o remount,size=64m "$mountpoint"
"${generate[@]}" >/dev/null 2>&1 || fail "generate after freeing space"
[ "$(cd "$data" && sha256sum $(echo "$before" | awk '{print $2}'))" = "$before" ] || fail "earlier shards changed"
"$bin/shardtool" verify "$data" | tail -1
# The same dataset as a run that never ran out of space.
"$bin/scenegen" generate --family rooms_ring_camera --scenes 60 --shard-size 5 --size 64 --views 10 --spp 1 \
    --split train=1 --threads 2 --out "$work/clean" >/dev/null 2>&1
diff <(cd "$data" && sha256sum *.gqnshard manifest.json) <(cd "$work/clean" && sha256sum *.gqnshard manifest.json) \
    || fail "the resumed dataset differs from a clean one"
echo "  resumed with space: identical to an uninterrupted generation"

# export: fill the disk, then export a scene's images.
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 40 ))k" "$mountpoint"
head -c 100000000 /dev/zero >"$mountpoint/filler" 2>/dev/null || true
if "$bin/shardtool" export "$data" --record 3 --out "$mountpoint/export" >"$work/out" 2>"$work/err"; then
    fail "export onto a full disk succeeded"
fi
grep -q "No space left on device" "$work/err" || fail "export: $(cat "$work/err")"
echo "export on a full disk: $(tail -1 "$work/err")"
[ "$(leftovers "$mountpoint/export")" -eq 0 ] || fail "export left temporary files"
rm "$mountpoint/filler"
mount -o remount,size=64m "$mountpoint"
"$bin/shardtool" export "$data" --record 3 --out "$mountpoint/export" >/dev/null || fail "export after freeing space"
echo "  after freeing space: exported $(ls "$mountpoint/export" | wc -l) files"

# fit: a run whose checkpoint cannot be written.
train="$work/train"
"$bin/scenegen" generate --family rooms_ring_camera --scenes 12 --shard-size 6 --size 32 --views 5 --spp 1 \
    --split train=1 --threads 2 --out "$train" >/dev/null 2>&1
run="$mountpoint/run"
fit=("$bin/gqn-train" fit --data "$train" --config tiny --batch 2 --threads 2 --checkpoint-every 2 --sample-every 0
    --log-every 1 --out "$run")
"${fit[@]}" --steps 2 >/dev/null 2>&1 || fail "fit 2 steps"
checkpoint_before=$(sha256sum "$run/checkpoint.safetensors")
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 40 ))k" "$mountpoint"
head -c 100000000 /dev/zero >"$mountpoint/filler" 2>/dev/null || true
if "${fit[@]}" --steps 4 --resume >"$work/out" 2>"$work/err"; then fail "fit onto a full disk succeeded"; fi
grep -q "No space left on device" "$work/err" || fail "fit: $(cat "$work/err")"
echo "fit on a full disk: $(grep -m1 "No space" "$work/err")"
[ "$(sha256sum "$run/checkpoint.safetensors")" = "$checkpoint_before" ] || fail "the checkpoint changed"
[ "$(leftovers "$run")" -eq 0 ] || fail "fit left temporary files: $(find "$run" -name '.*.partial-*')"
echo "  the step-2 checkpoint is intact; no temporary file"
rm "$mountpoint/filler"
# Room for the metrics and settings but not for the next checkpoint.
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 400 ))k" "$mountpoint"
head -c 100000000 /dev/zero >"$mountpoint/filler" 2>/dev/null || true
rm "$mountpoint/filler"
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 400 ))k" "$mountpoint"
if "${fit[@]}" --steps 4 --resume >"$work/out" 2>"$work/err"; then fail "fit with no room for a checkpoint succeeded"; fi
grep -q "No space left on device" "$work/err" || fail "fit: $(cat "$work/err")"
echo "fit, no room for its checkpoint: $(grep -m1 "No space" "$work/err")"
[ "$(sha256sum "$run/checkpoint.safetensors")" = "$checkpoint_before" ] || fail "the checkpoint changed"
[ "$(leftovers "$run")" -eq 0 ] || fail "fit left temporary files: $(find "$run" -name '.*.partial-*')"
mount -o remount,size=64m "$mountpoint"
"${fit[@]}" --steps 4 --resume >/dev/null 2>&1 || fail "fit --resume after freeing space"
echo "  after freeing space: fit --resume reached step $(tail -1 "$run/metrics.jsonl" | grep -o '"step":[0-9]*')"

# gqn-tfrecord export and import: DeepMind's layout written onto a full disk, then imported
# onto one; each resumed once there is space (import against a clean import of the same files).
rm -rf "$run"
tfrecords="$mountpoint/tfrecords"
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 200 ))k" "$mountpoint"
export_gqn=("$bin/shardtool" export "$data" --format gqn-tfrecord --dataset rooms_ring_camera --out "$tfrecords")
if "${export_gqn[@]}" >"$work/out" 2>"$work/err"; then fail "gqn-tfrecord export onto a full disk succeeded"; fi
grep -q "No space left on device" "$work/err" || fail "gqn-tfrecord export: $(cat "$work/err")"
echo "gqn-tfrecord export on a full disk: $(grep -m1 "No space" "$work/err")"
[ "$(find "$tfrecords" -name '.*.tmp*' -o -name '.*.partial-*' | wc -l)" -eq 0 ] || fail "export left temporary files"
mount -o remount,size=64m "$mountpoint"
rm -rf "$tfrecords"
"${export_gqn[@]}" >/dev/null 2>&1 || fail "gqn-tfrecord export after freeing space"
imported="$mountpoint/imported"
import_gqn=("$bin/shardtool" import "$tfrecords" --format gqn-tfrecord --dataset rooms_ring_camera --out "$imported")
mount -o remount,size="$(( $(du -sk "$mountpoint" | cut -f1) + 700 ))k" "$mountpoint"
if "${import_gqn[@]}" >"$work/out" 2>"$work/err"; then fail "import onto a full disk succeeded"; fi
grep -q "No space left on device" "$work/err" || fail "import: $(cat "$work/err")"
echo "import on a full disk: $(grep -m1 "No space" "$work/err")"
[ "$(leftovers "$imported")" -eq 0 ] || fail "import left temporary files: $(find "$imported" -name '.*.partial-*')"
for shard in "$imported"/*.gqnshard; do
    [ -e "$shard" ] || continue
    "$bin/shardtool" verify "$shard" >/dev/null || fail "$shard does not verify"
done
echo "  $(ls "$imported"/*.gqnshard 2>/dev/null | wc -l) complete shards kept, each verifies; no temporary file"
mount -o remount,size=64m "$mountpoint"
"${import_gqn[@]}" >/dev/null 2>&1 || fail "import after freeing space"
"$bin/shardtool" import "$tfrecords" --format gqn-tfrecord --dataset rooms_ring_camera --out "$work/imported-clean" \
    >/dev/null 2>&1 || fail "a clean import"
diff <(cd "$imported" && sha256sum *.gqnshard manifest.json) <(cd "$work/imported-clean" && sha256sum *.gqnshard manifest.json) \
    || fail "the resumed import differs from a clean one"
echo "  resumed with space: identical to an uninterrupted import"
echo "check_disk_full: OK"
