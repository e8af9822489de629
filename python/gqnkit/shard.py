"""Shard files: open, check and parse, with the standard library only.

The byte layout is specified in ``Sources/ShardFormat/ShardFormat.docc/ShardFileFormat.md``;
this module follows its "What a reader checks" list in order. Images stay encoded here (PNG,
raw RGB8 or JPEG bytes); :mod:`gqnkit.dataset` decodes them into numpy arrays.
"""
import dataclasses
import os
import struct

from .checksum import crc32c

HEADER_MAGIC = b"GQNSHARD"
TRAILER_MAGIC = b"GQNTRAIL"
HEADER_SIZE = 40
TRAILER_SIZE = 32
RECORD_FRAMING_SIZE = 12
SUPPORTED_VERSIONS = (1, 2)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
ENCODINGS = {0: "png", 1: "raw", 2: "jpeg"}
"""Header code -> manifest name of each image encoding."""
LOWEST_VERSION = {"png": 1, "raw": 1, "jpeg": 2}
"""The first format version that allows each encoding (JPEG came with version 2)."""


class ShardError(Exception):
    """A shard or manifest that cannot be read: the message names the file, the record or
    byte offset, what was expected and what was found."""


@dataclasses.dataclass(frozen=True)
class Schema:
    """What every record of a dataset holds (a shard's header, a manifest's ``schema``)."""

    width: int
    height: int
    channels: int
    views_per_scene: int
    image_encoding: str  # "png", "raw" or "jpeg"
    has_depth: bool
    has_masks: bool

    def to_json(self):
        """The manifest's ``schema`` object (camelCase keys)."""
        return {"width": self.width, "height": self.height, "channels": self.channels,
                "viewsPerScene": self.views_per_scene, "imageEncoding": self.image_encoding,
                "hasDepth": self.has_depth, "hasMasks": self.has_masks}

    @classmethod
    def from_json(cls, value, where):
        """Reads a manifest's ``schema`` object; ``where`` names it in errors."""
        try:
            schema = cls(int(value["width"]), int(value["height"]), int(value["channels"]),
                         int(value["viewsPerScene"]), str(value["imageEncoding"]), bool(value["hasDepth"]),
                         bool(value["hasMasks"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ShardError(f"{where}: schema: expected width, height, channels, viewsPerScene, imageEncoding, "
                             f"hasDepth, hasMasks; found {value!r} ({error})") from None
        if schema.image_encoding not in LOWEST_VERSION:
            raise ShardError(f"{where}: schema.imageEncoding: expected png, raw or jpeg, found {schema.image_encoding!r}")
        return schema


@dataclasses.dataclass(frozen=True)
class RoomLabel:
    wall_texture: str
    floor_texture: str


@dataclasses.dataclass(frozen=True)
class ObjectLabel:
    """One object: shape, colour (name and RGB), position, size (extent along the object's
    x, y, z) and rotation (yaw, pitch, roll in radians)."""

    shape: str
    color_name: str
    color: tuple
    position: tuple
    size: tuple
    yaw: float
    pitch: float
    roll: float


@dataclasses.dataclass(frozen=True)
class LightLabel:
    kind: str
    position: tuple
    direction: tuple
    color: tuple
    intensity: float


@dataclasses.dataclass(frozen=True)
class SceneLabels:
    """A scene's ground truth: room textures, objects, lights."""

    room: RoomLabel
    objects: tuple
    lights: tuple

    def to_json(self):
        """The labels as the Swift side's JSON (``shardtool cat --json``) spells them."""
        return {
            "room": {"wallTexture": self.room.wall_texture, "floorTexture": self.room.floor_texture},
            "objects": [{"shape": o.shape, "colorName": o.color_name, "color": list(o.color),
                         "position": list(o.position), "size": list(o.size), "yaw": o.yaw, "pitch": o.pitch,
                         "roll": o.roll} for o in self.objects],
            "lights": [{"kind": light.kind, "position": list(light.position), "direction": list(light.direction),
                        "color": list(light.color), "intensity": light.intensity} for light in self.lights],
        }


@dataclasses.dataclass(frozen=True)
class ViewRecord:
    """One view as stored: cameras as Python floats (exact float32 values), images encoded."""

    pose: tuple  # x, y, z, yaw, pitch
    camera_to_world: tuple  # 16 floats, row-major, OpenCV camera axes
    intrinsics: tuple  # fx, fy, cx, cy in pixels
    image: bytes
    depth: bytes = None  # 16-bit grey PNG, millimetres
    mask: bytes = None  # 8-bit grey PNG, 0 = room, k + 1 = object k


@dataclasses.dataclass(frozen=True)
class SceneRecord:
    scene_index: int
    scene_seed: int
    views: tuple
    labels: SceneLabels


class _Cursor:
    """Reads a record payload front to back; every length is checked against what is left."""

    def __init__(self, data, base, where):
        self.data, self.pos, self.base, self.where = data, 0, base, where

    def fail(self, field, expected, found):
        raise ShardError(f"{self.where}, byte offset {self.base + self.pos}: {field}: expected {expected}, found {found}")

    def take(self, n, field):
        left = len(self.data) - self.pos
        if n > left:
            self.fail(field, f"{n} bytes", f"{left} left in the payload")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, layout, field):
        return layout.unpack(self.take(layout.size, field))

    def blob(self, field):
        (n,) = self.unpack(_U32, field + " length")
        return bytes(self.take(n, field))

    def string(self, field):
        raw = self.blob(field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.pos -= len(raw)
            self.fail(field, "UTF-8", f"{raw[:16]!r}")


_U32 = struct.Struct("<I")
_HEADER = struct.Struct("<8sIIIIIBBHII")
_TRAILER = struct.Struct("<QQII8s")
_RECORD_FRAMING = struct.Struct("<QI")
_SCENE_HEADER = struct.Struct("<QQI")
_VIEW_CAMERAS = struct.Struct("<25f")
_OBJECT_FLOATS = struct.Struct("<12f")
_LIGHT_FLOATS = struct.Struct("<10f")


class ShardFile:
    """One ``.gqnshard`` file: header, index and trailer checked on opening; records read by
    position (``shard[i]``), each one's length and CRC-32C checked as it is read.

    Records are read with ``os.pread``, so one open shard serves any number of threads, and a
    shard object may be handed to a forked worker.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._fd = os.open(self.path, os.O_RDONLY)
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _read(self, offset, count):
        data = os.pread(self._fd, count, offset)
        if len(data) != count:
            raise ShardError(f"{self.path}, byte offset {offset}: expected {count} bytes, found {len(data)} "
                             f"(the file changed while it was read)")
        return data

    def _fail(self, offset, field, expected, found):
        raise ShardError(f"{self.path}, byte offset {offset}: {field}: expected {expected}, found {found}")

    def _open(self):
        path = self.path
        self.size = size = os.fstat(self._fd).st_size
        if size < HEADER_SIZE + TRAILER_SIZE:
            raise ShardError(f"{path}: file size: expected at least {HEADER_SIZE + TRAILER_SIZE} bytes, found {size} "
                             f"(truncated)")
        header = self._read(0, HEADER_SIZE)
        magic, version, width, height, channels, views, encoding, flags, reserved16, reserved32, header_crc = \
            _HEADER.unpack(header)
        if magic != HEADER_MAGIC:
            self._fail(0, "magic", HEADER_MAGIC.decode(), repr(magic))
        if version not in SUPPORTED_VERSIONS:
            self._fail(8, "format version", " or ".join(map(str, SUPPORTED_VERSIONS)), version)
        if crc32c(header[:36]) != header_crc:
            self._fail(36, "header CRC-32C", f"{crc32c(header[:36]):#010x}", f"{header_crc:#010x}")
        self.version = version
        allowed = [code for code, name in ENCODINGS.items() if LOWEST_VERSION[name] <= version]
        if encoding not in allowed:
            self._fail(28, "image encoding", f"one of {allowed} in a version {version} file", encoding)
        if flags & ~3:
            self._fail(29, "flags", "bits 2-7 zero", f"{flags:#04x}")
        if reserved16 or reserved32:
            self._fail(30, "reserved bytes", "0", f"{reserved16}, {reserved32}")
        if channels != 3:
            self._fail(20, "channels", 3, channels)
        for offset, field, value in ((12, "width", width), (16, "height", height), (24, "views per scene", views)):
            if not 1 <= value <= 65535:
                self._fail(offset, field, "1 to 65535", value)
        self.schema = Schema(width, height, channels, views, ENCODINGS[encoding], bool(flags & 1), bool(flags & 2))

        t = size - TRAILER_SIZE
        index_offset, count, index_crc, trailer_crc, trailer_magic = _TRAILER.unpack(self._read(t, TRAILER_SIZE))
        if trailer_magic != TRAILER_MAGIC:
            self._fail(t + 24, "trailer magic", f"{TRAILER_MAGIC.decode()} (else the file is truncated or unfinished)",
                       repr(trailer_magic))
        trailer = self._read(t, 20)
        if crc32c(trailer) != trailer_crc:
            self._fail(t + 20, "trailer CRC-32C", f"{crc32c(trailer):#010x}", f"{trailer_crc:#010x}")
        if not HEADER_SIZE <= index_offset <= t or (t - index_offset) % 8 or (t - index_offset) // 8 != count:
            self._fail(t, "index offset and record count", f"an index of 8 x count bytes between {HEADER_SIZE} and {t}",
                       f"offset {index_offset}, count {count}")
        index = self._read(index_offset, t - index_offset)
        if (crc32c(index) if count else 0) != index_crc:
            self._fail(t + 16, "index CRC-32C", f"{crc32c(index) if count else 0:#010x}", f"{index_crc:#010x}")
        offsets = struct.unpack(f"<{count}Q", index)
        previous = None
        for i, start in enumerate(offsets):
            low = HEADER_SIZE if previous is None else previous + RECORD_FRAMING_SIZE
            if (i == 0 and start != HEADER_SIZE) or start < low or start > index_offset - RECORD_FRAMING_SIZE:
                self._fail(index_offset + 8 * i, f"index entry {i}",
                           f"{HEADER_SIZE}" if i == 0 else f"{low} to {index_offset - RECORD_FRAMING_SIZE}", start)
            previous = start
        if count == 0 and index_offset != HEADER_SIZE:
            self._fail(t, "index offset of an empty shard", HEADER_SIZE, index_offset)
        self.index_offset = index_offset
        self.offsets = offsets

    def close(self):
        """Closes the file; reading a record afterwards raises ``OSError``."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        fd = getattr(self, "_fd", -1)
        if fd >= 0:
            os.close(fd)

    def __len__(self):
        return len(self.offsets)

    def __getitem__(self, position):
        return self.record(position)

    def __iter__(self):
        return (self.record(i) for i in range(len(self)))

    def record_span(self, position):
        """(offset, end) of record ``position``'s framing in the file."""
        if not 0 <= position < len(self.offsets):
            raise IndexError(f"{self.path}: record {position}: expected 0..<{len(self.offsets)}")
        end = self.offsets[position + 1] if position + 1 < len(self.offsets) else self.index_offset
        return self.offsets[position], end

    def payload(self, position):
        """Record ``position``'s payload bytes, its length and CRC-32C checked."""
        start, end = self.record_span(position)
        where = f"{self.path}: record {position}"
        data = self._read(start, end - start)
        length, crc = _RECORD_FRAMING.unpack_from(data)
        if length > self.size - start - RECORD_FRAMING_SIZE:
            raise ShardError(f"{where}, byte offset {start}: payload length: expected at most "
                             f"{self.size - start - RECORD_FRAMING_SIZE} (the end of the file), found {length}")
        if length != end - start - RECORD_FRAMING_SIZE:
            raise ShardError(f"{where}, byte offset {start}: payload length: expected "
                             f"{end - start - RECORD_FRAMING_SIZE} (the index), found {length}")
        payload = memoryview(data)[RECORD_FRAMING_SIZE:]
        actual = crc32c(payload)
        if actual != crc:
            raise ShardError(f"{where}, byte offset {start + 8}: payload CRC-32C: expected {crc:#010x} (stored), "
                             f"found {actual:#010x}")
        return payload

    def record(self, position):
        """Record ``position`` (0-based) as a :class:`SceneRecord`; raises :class:`ShardError`."""
        start, _ = self.record_span(position)
        return parse_record(self.payload(position), self.schema, base=start + RECORD_FRAMING_SIZE,
                            where=f"{self.path}: record {position}")


def parse_record(payload, schema, base=0, where="record"):
    """Parses one record payload (CRC already checked) of ``schema``."""
    cur = _Cursor(payload, base, where)
    scene_index, scene_seed, view_count = cur.unpack(_SCENE_HEADER, "scene header")
    if view_count != schema.views_per_scene:
        cur.pos -= 4
        cur.fail("view count", f"{schema.views_per_scene} (the schema)", view_count)
    raw_size = schema.width * schema.height * 3
    views = []
    for v in range(view_count):
        cameras = cur.unpack(_VIEW_CAMERAS, f"view {v} cameras")
        image_at = cur.pos
        image = cur.blob(f"view {v} image")
        if schema.image_encoding == "png" and not image.startswith(PNG_SIGNATURE):
            cur.pos = image_at
            cur.fail(f"view {v} image", "a PNG stream (89 50 4E 47 0D 0A 1A 0A)", image[:8].hex(" "))
        elif schema.image_encoding == "jpeg" and not image.startswith(JPEG_SIGNATURE):
            cur.pos = image_at
            cur.fail(f"view {v} image", "a JPEG stream (FF D8 FF)", image[:3].hex(" "))
        elif schema.image_encoding == "raw" and len(image) != raw_size:
            cur.pos = image_at
            cur.fail(f"view {v} image", f"{raw_size} raw bytes", len(image))
        depth = mask = None
        for name, present in (("depth", schema.has_depth), ("mask", schema.has_masks)):
            if present:
                at = cur.pos
                blob = cur.blob(f"view {v} {name}")
                if not blob.startswith(PNG_SIGNATURE):
                    cur.pos = at
                    cur.fail(f"view {v} {name}", "a PNG stream", blob[:8].hex(" "))
                if name == "depth":
                    depth = blob
                else:
                    mask = blob
        views.append(ViewRecord(cameras[0:5], cameras[5:21], cameras[21:25], image, depth, mask))
    room = RoomLabel(cur.string("wall texture"), cur.string("floor texture"))
    objects = []
    for k in range(cur.unpack(_U32, "object count")[0]):
        shape = cur.string(f"object {k} shape")
        color_name = cur.string(f"object {k} colour name")
        f = cur.unpack(_OBJECT_FLOATS, f"object {k}")
        objects.append(ObjectLabel(shape, color_name, f[0:3], f[3:6], f[6:9], f[9], f[10], f[11]))
    lights = []
    for k in range(cur.unpack(_U32, "light count")[0]):
        kind = cur.string(f"light {k} kind")
        f = cur.unpack(_LIGHT_FLOATS, f"light {k}")
        lights.append(LightLabel(kind, f[0:3], f[3:6], f[6:9], f[9]))
    if cur.pos != len(payload):
        cur.fail("end of payload", "no bytes left", f"{len(payload) - cur.pos} bytes")
    return SceneRecord(scene_index, scene_seed, tuple(views), SceneLabels(room, tuple(objects), tuple(lights)))
