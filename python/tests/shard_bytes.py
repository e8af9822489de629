"""Shard and manifest bytes built per ShardFileFormat.md, for tests that need files the
Swift writer does not make (JPEG, version 2) or makes only correctly."""
import hashlib
import json
import os
import struct

from gqnkit.checksum import crc32c

CODES = {"png": 0, "raw": 1, "jpeg": 2}


def blob(data):
    return struct.pack("<I", len(data)) + data


def record_payload(scene_index, views, labels=None):
    """``views``: dicts with pose (5), camera_to_world (16), intrinsics (4), image bytes and
    optional depth / mask bytes. ``labels``: (wall, floor, objects, lights) or None for an
    empty room with no objects or lights."""
    out = struct.pack("<QQI", scene_index, 1000 + scene_index, len(views))
    for view in views:
        out += struct.pack("<25f", *view["pose"], *view["camera_to_world"], *view["intrinsics"]) + blob(view["image"])
        for key in ("depth", "mask"):
            if key in view:
                out += blob(view[key])
    wall, floor, objects, lights = labels or ("white", "grey", [], [])
    out += blob(wall.encode()) + blob(floor.encode()) + struct.pack("<I", len(objects))
    for shape, color_name, floats in objects:
        out += blob(shape.encode()) + blob(color_name.encode()) + struct.pack("<12f", *floats)
    out += struct.pack("<I", len(lights))
    for kind, floats in lights:
        out += blob(kind.encode()) + struct.pack("<10f", *floats)
    return out


def shard_bytes(version, width, height, views_per_scene, encoding, payloads, depth=False, masks=False):
    header = struct.pack("<8sIIIIIBBHI", b"GQNSHARD", version, width, height, 3, views_per_scene, CODES[encoding],
                         int(depth) | (int(masks) << 1), 0, 0)
    out = header + struct.pack("<I", crc32c(header))
    offsets = []
    for payload in payloads:
        offsets.append(len(out))
        out += struct.pack("<QI", len(payload), crc32c(payload)) + payload
    index = struct.pack(f"<{len(offsets)}Q", *offsets)
    index_offset = len(out)
    trailer = struct.pack("<QQI", index_offset, len(offsets), crc32c(index) if offsets else 0)
    return out + index + trailer + struct.pack("<I", crc32c(trailer)) + b"GQNTRAIL"


def write_dataset(directory, version, schema, shards, splits):
    """Writes shard files and a manifest. ``shards``: (name, split, first scene, bytes, count)."""
    os.makedirs(directory, exist_ok=True)
    entries = []
    for name, split, first, data, count in shards:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        entries.append({"file": name, "split": split, "firstSceneIndex": first, "recordCount": count,
                        "byteSize": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"formatVersion": version, "generator": "test", "familySpec": {}, "datasetSeed": 1, "schema": schema,
                "splits": splits, "shards": entries}
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
