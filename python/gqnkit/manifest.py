"""A dataset directory's ``manifest.json``: splits, shards, safe paths; standard library only."""
import dataclasses
import hashlib
import json
import os

from .shard import LOWEST_VERSION, SUPPORTED_VERSIONS, Schema, ShardError, ShardFile

MANIFEST_NAME = "manifest.json"


@dataclasses.dataclass(frozen=True)
class Split:
    """A split: scenes ``first_scene_index ..< first_scene_index + scene_count``."""

    name: str
    first_scene_index: int
    scene_count: int


@dataclasses.dataclass(frozen=True)
class ShardEntry:
    """A manifest's entry for one shard file; record ``i`` holds scene ``first_scene_index + i``."""

    file: str
    split: str
    first_scene_index: int
    record_count: int
    byte_size: int
    sha256: str


class Manifest:
    """``directory/manifest.json``, checked: version, schema, splits, shard entries.

    ``shard_path(entry)`` resolves an entry's file, refusing paths outside the directory.
    """

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, MANIFEST_NAME)
        try:
            with open(self.path, "rb") as f:
                value = json.loads(f.read().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ShardError(f"{self.path}: cannot read the manifest: {error}") from None
        where = self.path

        def field(name, kind):
            if not isinstance(value, dict) or name not in value or not isinstance(value[name], kind):
                raise ShardError(f"{where}: {name}: expected a {kind.__name__}, found "
                                 f"{type(value.get(name)).__name__ if isinstance(value, dict) else type(value).__name__}")
            return value[name]

        self.format_version = field("formatVersion", int)
        if self.format_version not in SUPPORTED_VERSIONS:
            raise ShardError(f"{where}: formatVersion: expected one of {list(SUPPORTED_VERSIONS)}, found {self.format_version}")
        self.schema = Schema.from_json(field("schema", dict), where)
        if LOWEST_VERSION[self.schema.image_encoding] > self.format_version:
            raise ShardError(f"{where}: schema.imageEncoding: {self.schema.image_encoding} needs formatVersion "
                             f"{LOWEST_VERSION[self.schema.image_encoding]}, found {self.format_version}")
        self.generator = field("generator", str)
        self.dataset_seed = field("datasetSeed", int)
        self.family_spec = value.get("familySpec")
        try:
            self.splits = [Split(str(s["name"]), int(s["firstSceneIndex"]), int(s["sceneCount"]))
                           for s in field("splits", list)]
            self.shards = [ShardEntry(str(s["file"]), str(s["split"]), int(s["firstSceneIndex"]), int(s["recordCount"]),
                                      int(s["byteSize"]), str(s["sha256"])) for s in field("shards", list)]
        except (KeyError, TypeError, ValueError) as error:
            raise ShardError(f"{where}: splits/shards: an entry lacks a field or has the wrong type ({error})") from None

    def split(self, name):
        """The split called ``name``; raises :class:`ShardError` naming the ones there are."""
        for split in self.splits:
            if split.name == name:
                return split
        raise ShardError(f"{self.path}: split: expected one of {[s.name for s in self.splits]}, found {name!r}")

    def shard_path(self, entry):
        """The file of ``entry``: relative, without ``..``, and inside the directory after
        following symbolic links; else :class:`ShardError`."""
        name = entry.file
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ShardError(f"{self.path}: shards[].file: expected a relative path inside the dataset, found {name!r}")
        path = os.path.join(self.directory, name)
        root = os.path.realpath(self.directory)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise ShardError(f"{self.path}: shards[].file: {name!r} resolves outside the dataset directory")
        return path

    def split_shards(self, name):
        """The shards of split ``name`` in scene order, checked to cover its scenes exactly once
        (the Swift loader's ``SplitLayout``)."""
        split = self.split(name)
        shards = sorted((e for e in self.shards if e.split == name), key=lambda e: e.first_scene_index)
        expected = split.first_scene_index
        for entry in shards:
            if entry.record_count < 0 or entry.first_scene_index != expected:
                raise ShardError(f"{self.path}: shards[{entry.file}].firstSceneIndex: expected {expected} (the shards "
                                 f"of split {name} tile its scenes), found {entry.first_scene_index} with "
                                 f"{entry.record_count} records")
            expected += entry.record_count
        if expected != split.first_scene_index + split.scene_count:
            raise ShardError(f"{self.path}: split {name}: expected {split.scene_count} scenes from "
                             f"{split.first_scene_index}, found shards covering {expected - split.first_scene_index}")
        return shards


def verify_dataset(directory, report=print):
    """Checks every shard of ``directory`` against its manifest: size, SHA-256, header, index,
    every record's CRC-32C and structure, record counts and scene indices.

    Calls ``report`` with one line per failing shard, then ``"N passed, M failed"``; returns
    True when all passed.
    """
    manifest = Manifest(directory)
    problems = 0
    for entry in manifest.shards:
        try:
            path = manifest.shard_path(entry)
            with open(path, "rb") as f:
                data = f.read()
            if len(data) != entry.byte_size:
                raise ShardError(f"{path}: byte size: expected {entry.byte_size} (the manifest), found {len(data)}")
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry.sha256:
                raise ShardError(f"{path}: SHA-256: expected {entry.sha256} (the manifest), found {digest}")
            with ShardFile(path) as shard:
                if shard.schema != manifest.schema:
                    raise ShardError(f"{path}: header schema: expected {manifest.schema} (the manifest), found {shard.schema}")
                if len(shard) != entry.record_count:
                    raise ShardError(f"{path}: record count: expected {entry.record_count} (the manifest), found {len(shard)}")
                for i in range(len(shard)):
                    scene_index = shard.record(i).scene_index
                    if scene_index != entry.first_scene_index + i:
                        raise ShardError(f"{path}: record {i}: scene index: expected {entry.first_scene_index + i}, "
                                         f"found {scene_index}")
        except (OSError, ShardError) as error:
            report(str(error))
            problems += 1
    report(f"{len(manifest.shards) - problems} passed, {problems} failed")
    return problems == 0
