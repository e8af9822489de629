#!/usr/bin/env python3
"""A minimal reader for GQN shard files (format versions 1 and 2) that relies only on what
Sources/ShardFormat/ShardFormat.docc/ShardFileFormat.md states: a check that the
specification suffices to read our shards from another language.

Usage:
    read_shard.py SHARD            print the schema and one line per record
    read_shard.py --json SHARD     print every record as JSON (image bytes as their length)
    read_shard.py --verify DIR     check DIR/manifest.json: sizes, SHA-256, every record's CRC
Exit status 0 when everything checked is sound, 1 otherwise. Standard library only.
"""
import hashlib
import json
import os
import struct
import sys

HEADER_MAGIC = b"GQNSHARD"
TRAILER_MAGIC = b"GQNTRAIL"
HEADER_SIZE = 40
TRAILER_SIZE = 32
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class ShardError(Exception):
    pass


class Cursor:
    def __init__(self, data, base, where):
        self.data, self.pos, self.base, self.where = data, 0, base, where

    def take(self, n, field):
        if n > len(self.data) - self.pos:
            raise ShardError(f"{self.where}, byte offset {self.base + self.pos}: {field}: "
                             f"needs {n} bytes, {len(self.data) - self.pos} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt, field):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), field))

    def blob(self, field):
        (n,) = self.unpack("I", field + " length")
        return bytes(self.take(n, field))

    def string(self, field):
        return self.blob(field).decode("utf-8")


class Shard:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d, size = self.data, len(self.data)
        if size < HEADER_SIZE + TRAILER_SIZE:
            raise ShardError(f"{path}: truncated: {size} bytes")
        if d[0:8] != HEADER_MAGIC:
            raise ShardError(f"{path}: bad magic {d[0:8]!r}")
        (version,) = struct.unpack_from("<I", d, 8)
        if version not in (1, 2):
            raise ShardError(f"{path}: unsupported version {version}")
        if crc32c(d[0:36]) != struct.unpack_from("<I", d, 36)[0]:
            raise ShardError(f"{path}: header CRC mismatch")
        w, h, c, v, enc, flags, r16, r32 = struct.unpack_from("<IIIIBBHI", d, 12)
        if enc not in ((0, 1) if version == 1 else (0, 1, 2)) or flags & ~3 or r16 or r32 or c != 3:
            raise ShardError(f"{path}: bad header fields")
        self.schema = {"width": w, "height": h, "channels": c, "viewsPerScene": v,
                       "imageEncoding": ("png", "raw", "jpeg")[enc],
                       "hasDepth": bool(flags & 1), "hasMasks": bool(flags & 2)}
        t = size - TRAILER_SIZE
        if d[t + 24:size] != TRAILER_MAGIC:
            raise ShardError(f"{path}: no trailer (truncated or unfinished)")
        index_offset, count, index_crc, trailer_crc = struct.unpack_from("<QQII", d, t)
        if crc32c(d[t:t + 20]) != trailer_crc:
            raise ShardError(f"{path}: trailer CRC mismatch")
        if not HEADER_SIZE <= index_offset <= t or (t - index_offset) != 8 * count:
            raise ShardError(f"{path}: index offset {index_offset} / count {count} do not fit the file")
        if crc32c(d[index_offset:t]) != index_crc:
            raise ShardError(f"{path}: index CRC mismatch")
        self.offsets = list(struct.unpack_from(f"<{count}Q", d, index_offset))
        self.ends = self.offsets[1:] + [index_offset]
        previous = HEADER_SIZE
        for i, (start, end) in enumerate(zip(self.offsets, self.ends)):
            if (i == 0 and start != HEADER_SIZE) or start < previous or end - start < 12:
                raise ShardError(f"{path}: index entry {i} = {start} is out of order or bounds")
            previous = start + 12

    def __len__(self):
        return len(self.offsets)

    def record(self, i):
        start, end = self.offsets[i], self.ends[i]
        where = f"{self.path}: record {i}"
        length, crc = struct.unpack_from("<QI", self.data, start)
        if length != end - start - 12:
            raise ShardError(f"{where}, byte offset {start}: payload length {length}, index says {end - start - 12}")
        payload = memoryview(self.data)[start + 12:end]
        if crc32c(payload) != crc:
            raise ShardError(f"{where}, byte offset {start}: CRC-32C mismatch")
        s = self.schema
        cur = Cursor(payload, start + 12, where)
        scene_index, scene_seed, view_count = cur.unpack("QQI", "scene header")
        if view_count != s["viewsPerScene"]:
            raise ShardError(f"{where}: {view_count} views, schema says {s['viewsPerScene']}")
        views = []
        for _ in range(view_count):
            floats = cur.unpack("25f", "view cameras")
            view = {"pose": floats[0:5], "cameraToWorld": floats[5:21], "intrinsics": floats[21:25],
                    "image": cur.blob("image")}
            if s["hasDepth"]:
                view["depth"] = cur.blob("depth")
            if s["hasMasks"]:
                view["mask"] = cur.blob("mask")
            expected = s["width"] * s["height"] * 3
            if s["imageEncoding"] == "png" and not view["image"].startswith(PNG_SIGNATURE):
                raise ShardError(f"{where}: image is not a PNG stream")
            if s["imageEncoding"] == "raw" and len(view["image"]) != expected:
                raise ShardError(f"{where}: raw image has {len(view['image'])} bytes, expected {expected}")
            views.append(view)
        room = {"wallTexture": cur.string("wall"), "floorTexture": cur.string("floor")}
        objects = []
        for _ in range(cur.unpack("I", "object count")[0]):
            shape = cur.string("shape")
            color_name = cur.string("colorName")
            f = cur.unpack("12f", "object")
            objects.append({"shape": shape, "colorName": color_name, "color": f[0:3], "position": f[3:6], "size": f[6:9],
                            "yaw": f[9], "pitch": f[10], "roll": f[11]})
        lights = []
        for _ in range(cur.unpack("I", "light count")[0]):
            kind = cur.string("kind")
            f = cur.unpack("10f", "light")
            lights.append({"kind": kind, "position": f[0:3], "direction": f[3:6], "color": f[6:9],
                           "intensity": f[9]})
        if cur.pos != len(payload):
            raise ShardError(f"{where}: {len(payload) - cur.pos} trailing bytes")
        return {"sceneIndex": scene_index, "sceneSeed": scene_seed, "views": views,
                "labels": {"room": room, "objects": objects, "lights": lights}}


def verify_dataset(directory):
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    problems = 0
    for entry in manifest["shards"]:
        name = entry["file"]
        if name.startswith("/") or ".." in name.split("/"):
            print(f"{name}: unsafe path")
            problems += 1
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            if len(data) != entry["byteSize"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise ShardError(f"{path}: size or SHA-256 differs from the manifest")
            shard = Shard(path)
            if len(shard) != entry["recordCount"]:
                raise ShardError(f"{path}: {len(shard)} records, manifest says {entry['recordCount']}")
            for i in range(len(shard)):
                if shard.record(i)["sceneIndex"] != entry["firstSceneIndex"] + i:
                    raise ShardError(f"{path}: record {i} has the wrong scene index")
        except (OSError, ShardError) as error:
            print(error)
            problems += 1
    print(f"{len(manifest['shards']) - problems} passed, {problems} failed")
    return problems == 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--verify":
        return 0 if verify_dataset(argv[2]) else 1
    as_json = len(argv) == 3 and argv[1] == "--json"
    if len(argv) != 2 and not as_json:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        shard = Shard(argv[-1])
        records = [shard.record(i) for i in range(len(shard))]
    except (OSError, ShardError) as error:
        print(error, file=sys.stderr)
        return 1
    if as_json:
        def bytes_as_length(value):
            return len(value) if isinstance(value, bytes) else value
        for record in records:
            for view in record["views"]:
                for key in ("image", "depth", "mask"):
                    if key in view:
                        view[key] = bytes_as_length(view[key])
        print(json.dumps({"schema": shard.schema, "records": records}, indent=2))
    else:
        print(json.dumps(shard.schema))
        for i, record in enumerate(records):
            shapes = [o["shape"] for o in record["labels"]["objects"]]
            print(f"record {i}: scene {record['sceneIndex']} seed {record['sceneSeed']} "
                  f"views {len(record['views'])} objects {shapes}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
