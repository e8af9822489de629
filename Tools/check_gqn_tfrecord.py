#!/usr/bin/env python3
"""Independent check of `shardtool export --format gqn-tfrecord`.

Reads the exported TFRecord files with tools that share no code with the Swift side: the
`crc32c` package for the masked CRCs, PyPI `protobuf` with a tf.train.Example descriptor
written out here for the records, and Pillow for the JPEG frames; reads the source dataset
with the gqnkit package (python/). Checks the file names and counts DeepMind's data_reader.py builds,
that the records are the dataset's scenes in order (train then test), that every camera
equals the stored pose exactly, and that every frame is within JPEG error of the stored
view (PSNR >= 35 dB).

Usage: check_gqn_tfrecord.py DATASET_DIR EXPORT_ROOT NAME TRAIN_FILES TEST_FILES FRAME_SIZE VIEWS
Exit status 0 when every check passes.
"""
import io
import json
import os
import struct
import sys

import crc32c
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from gqnkit.shard import ShardFile  # noqa: E402


def example_class():
    """tf.train.Example from a descriptor built by hand (field numbers of example.proto and feature.proto)."""
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="gqn_check_example.proto", package="gqncheck", syntax="proto3")

    def message(name, fields):
        m = proto.message_type.add(name=name)
        for number, field_name, kind, label, type_name in fields:
            f = m.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                f.type_name = type_name
        return m

    repeated, optional = F.LABEL_REPEATED, F.LABEL_OPTIONAL
    message("BytesList", [(1, "value", F.TYPE_BYTES, repeated, None)])
    message("FloatList", [(1, "value", F.TYPE_FLOAT, repeated, None)])
    message("Int64List", [(1, "value", F.TYPE_INT64, repeated, None)])
    feature = message("Feature", [(1, "bytes_list", F.TYPE_MESSAGE, optional, ".gqncheck.BytesList"),
                                  (2, "float_list", F.TYPE_MESSAGE, optional, ".gqncheck.FloatList"),
                                  (3, "int64_list", F.TYPE_MESSAGE, optional, ".gqncheck.Int64List")])
    feature.oneof_decl.add(name="kind")
    for f in feature.field:
        f.oneof_index = 0
    features = message("Features", [(1, "feature", F.TYPE_MESSAGE, repeated, ".gqncheck.Features.FeatureEntry")])
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=optional)
    entry.field.add(name="value", number=2, type=F.TYPE_MESSAGE, label=optional, type_name=".gqncheck.Feature")
    message("Example", [(1, "features", F.TYPE_MESSAGE, optional, ".gqncheck.Features")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("gqncheck.Example"))


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecords(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 12]
        if len(header) < 12:
            raise ValueError(f"{path}: byte offset {pos}: truncated record header")
        (length,) = struct.unpack_from("<Q", header)
        if struct.unpack_from("<I", header, 8)[0] != masked(crc32c.crc32c(header[:8])):
            raise ValueError(f"{path}: byte offset {pos}: length CRC mismatch")
        payload = data[pos + 12:pos + 12 + length]
        stored = data[pos + 12 + length:pos + 16 + length]
        if len(payload) != length or len(stored) != 4 or struct.unpack("<I", stored)[0] != masked(crc32c.crc32c(payload)):
            raise ValueError(f"{path}: byte offset {pos}: data truncated or CRC mismatch")
        yield payload
        pos += 16 + length


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def stored_rgb(image, encoding, size):
    if encoding == "raw":
        return np.frombuffer(image, dtype=np.uint8).reshape(size, size, 3)
    return np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))


def main(argv):
    if len(argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    dataset_dir, root, name = argv[1], argv[2], argv[3]
    counts = {"train": int(argv[4]), "test": int(argv[5])}
    size, views = int(argv[6]), int(argv[7])
    with open(os.path.join(dataset_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    encoding = manifest["schema"]["imageEncoding"]
    shards = sorted(manifest["shards"], key=lambda e: e["firstSceneIndex"])
    scenes = {}
    for entry in shards:
        with ShardFile(os.path.join(dataset_dir, entry["file"])) as shard:
            scenes.setdefault(entry["split"], []).extend(shard)
    Example = example_class()
    failures, checked, worst = 0, 0, float("inf")
    for split, count in counts.items():
        directory = os.path.join(root, name, split)
        width = len(str(count))
        expected = [f"{i + 1:0{width}d}-of-{count:0{width}d}.tfrecord" for i in range(count)]
        if sorted(os.listdir(directory)) != expected:
            print(f"{directory}: file names differ from data_reader.py's {expected[0]} ... {expected[-1]}")
            failures += 1
            continue
        ours = scenes.get(split, [])
        position = 0
        for file_name in expected:
            for payload in tfrecords(os.path.join(directory, file_name)):
                example = Example.FromString(payload)
                feature = example.features.feature
                frames = list(feature["frames"].bytes_list.value)
                cameras = np.array(feature["cameras"].float_list.value, dtype=np.float32)
                if position >= len(ours):
                    print(f"{split}/{file_name}: more records than the dataset's {len(ours)} scenes")
                    return 1
                record = ours[position]
                position += 1
                poses = np.array([v.pose for v in record.views], dtype=np.float32).reshape(-1)
                if len(frames) != views or cameras.shape != (views * 5,) or not np.array_equal(cameras, poses):
                    print(f"{split}/{file_name}: scene {record.scene_index}: cameras or frame count differ")
                    failures += 1
                    continue
                for view, frame in zip(record.views, frames):
                    decoded = np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"))
                    if decoded.shape != (size, size, 3):
                        print(f"{split}/{file_name}: frame of shape {decoded.shape}, expected {(size, size, 3)}")
                        failures += 1
                        continue
                    worst = min(worst, psnr(decoded, stored_rgb(view.image, encoding, size)))
                checked += 1
        if position != len(ours):
            print(f"{split}: {position} records, the dataset has {len(ours)} scenes")
            failures += 1
    if worst < 35:
        print(f"worst frame PSNR {worst:.2f} dB, expected at least 35")
        failures += 1
    verdict = "OK" if failures == 0 else f"{failures} problems"
    print(f"GQN TFRecord export check: {checked} records, worst frame PSNR {worst:.2f} dB: {verdict}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
