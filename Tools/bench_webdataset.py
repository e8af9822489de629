#!/usr/bin/env python3
"""The Python peer of the loader benchmark: the same dataset's PNG views as webdataset tar
shards, decoded with Pillow into float batches of the loader's shape.

Usage:
    bench_webdataset.py DIR [--threads N] [--runs R] [--batch-size B] [--context K]
                            [--tar-dir T] [--shuffle-buffer S]

1. Converts DIR's shards (read with the gqnkit package in python/, CRC-32C checked) into webdataset tar
   shards in T (default DIR/../<name>-wds), one tar per shard, once: each scene is a sample
   whose files are `<key>.<v>.png` for every view v and `<key>.cameras.npy` (V x 5 float32).
2. Times R epochs (after one warm-up epoch): N worker processes, each streaming its share
   of the tars (dealt round robin, as webdataset's split_by_worker does) through
   `wds.WebDataset(..., shardshuffle=...)` and `.shuffle(S)`; per scene it picks K + 1
   distinct views (one query, K context), decodes them with Pillow, and fills batches of
   B scenes: context [B, K, 3, H, W] and query [B, 3, H, W] float32 in [0, 1] plus the
   7-number viewpoints. The batches stay inside the workers (no transfer to a parent:
   this favours the peer).
Prints a JSON line last with views_per_s (decoded views per second, median of the runs).
Needs: pip install webdataset pillow numpy.
"""
import argparse
import io
import json
import multiprocessing
import os
import statistics
import sys
import tarfile
import time

import numpy as np
import webdataset as wds
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from gqnkit import Manifest, ShardFile  # noqa: E402


def convert(directory, tar_dir, split):
    """Writes one tar per shard of `split`; returns the tar paths and the schema."""
    manifest = Manifest(directory)
    schema = manifest.schema.to_json()
    entries = manifest.split_shards(split)
    stamp = os.path.join(tar_dir, "converted.json")
    tars = [os.path.join(tar_dir, os.path.splitext(os.path.basename(e.file))[0] + ".tar") for e in entries]
    if os.path.exists(stamp):
        return tars, schema
    os.makedirs(tar_dir, exist_ok=True)
    start = time.time()
    for entry, tar_path in zip(entries, tars):
        shard = ShardFile(manifest.shard_path(entry))
        with tarfile.open(tar_path + ".tmp", "w") as tar:
            for record in shard:
                key = f"{record.scene_index:09d}"
                members = [(f"{key}.{v}.png", view.image) for v, view in enumerate(record.views)]
                cameras = io.BytesIO()
                np.save(cameras, np.array([view.pose for view in record.views], dtype=np.float32))
                members.append((f"{key}.cameras.npy", cameras.getvalue()))
                for member, data in members:
                    info = tarfile.TarInfo(member)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        os.replace(tar_path + ".tmp", tar_path)
    with open(stamp, "w", encoding="utf-8") as f:
        json.dump({"source": os.path.abspath(directory), "seconds": round(time.time() - start, 1)}, f)
    print(f"converted {len(tars)} shards to {tar_dir} in {time.time() - start:.1f} s", file=sys.stderr)
    return tars, schema


def viewpoints(poses):
    """[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch] for rows of (x, y, z, yaw, pitch)."""
    return np.concatenate([poses[:, :3], np.cos(poses[:, 3:4]), np.sin(poses[:, 3:4]),
                           np.cos(poses[:, 4:5]), np.sin(poses[:, 4:5])], axis=1)


def worker(job):
    """Reads `urls` once into batches; returns the number of views decoded."""
    urls, views_per_scene, height, width, batch, context, shuffle_buffer, seed = job
    rng = np.random.default_rng(seed)
    dataset = (wds.WebDataset(urls, shardshuffle=len(urls), nodesplitter=None, workersplitter=None,
                              empty_check=False, seed=seed)
               .shuffle(shuffle_buffer, rng=None))
    context_pixels = np.empty((batch, context, height, width, 3), dtype=np.uint8)
    query_pixels = np.empty((batch, height, width, 3), dtype=np.uint8)
    context_vp = np.empty((batch, context, 7), dtype=np.float32)
    query_vp = np.empty((batch, 7), dtype=np.float32)
    decoded = 0
    filled = 0

    def emit(count):
        # NCHW float32 in [0, 1], as the loader's batches.
        images = context_pixels[:count].transpose(0, 1, 4, 2, 3).astype(np.float32) / np.float32(255)
        query = query_pixels[:count].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
        return images, query, context_vp[:count].copy(), query_vp[:count].copy()

    for sample in dataset:
        chosen = rng.permutation(views_per_scene)[:context + 1]
        poses = viewpoints(np.load(io.BytesIO(sample["cameras.npy"])))
        for slot, view in enumerate(chosen):
            with Image.open(io.BytesIO(sample[f"{view}.png"])) as image:
                pixels = np.asarray(image.convert("RGB"))
            if slot == 0:
                query_pixels[filled] = pixels
                query_vp[filled] = poses[view]
            else:
                context_pixels[filled, slot - 1] = pixels
                context_vp[filled, slot - 1] = poses[view]
        decoded += context + 1
        filled += 1
        if filled == batch:
            emit(filled)
            filled = 0
    if filled:
        emit(filled)
    return decoded


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--split", default=None, help="split to read (default: the manifest's first)")
    parser.add_argument("--threads", type=int, default=2, help="worker processes")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (the median is reported)")
    parser.add_argument("--batch-size", type=int, default=36)
    parser.add_argument("--context", type=int, default=None, help="context views (default: views per scene - 1)")
    parser.add_argument("--shuffle-buffer", type=int, default=1000)
    parser.add_argument("--tar-dir", default=None)
    args = parser.parse_args()

    directory = os.path.abspath(args.directory)
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        split = args.split or json.load(f)["splits"][0]["name"]
    tar_dir = args.tar_dir or directory.rstrip("/") + "-wds"
    tars, schema = convert(directory, tar_dir, split)
    if schema["imageEncoding"] != "png":
        raise SystemExit("the peer benchmark needs PNG views")
    views = schema["viewsPerScene"]
    context = args.context if args.context is not None else views - 1
    rates, total = [], 0
    with multiprocessing.get_context("fork").Pool(args.threads) as pool:
        for run in range(args.runs + 1):
            jobs = [(tars[w::args.threads], views, schema["height"], schema["width"], args.batch_size, context,
                     args.shuffle_buffer, 1000 * run + w) for w in range(args.threads)]
            start = time.perf_counter()
            total = sum(pool.map(worker, jobs))
            seconds = time.perf_counter() - start
            if run > 0:
                rates.append(total / seconds)
    print(json.dumps({
        "benchmark": "webdataset+pillow",
        "views_per_s": round(statistics.median(rates)),
        "views_per_s_runs": [round(r) for r in rates],
        "threads": args.threads, "batch_size": args.batch_size, "context": context,
        "size": f"{schema['width']}x{schema['height']}", "views_per_run": total, "runs": args.runs,
        "webdataset": getattr(wds, "__version__", "?"), "pillow": Image.__version__, "numpy": np.__version__,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
