"""Datasets as numpy arrays: scenes by index, and GQN batches in the Swift loader's order."""
import bisect
import dataclasses
import io
import os

import numpy as np

from .manifest import Manifest
from .sampling import LoaderSettings, LoaderState, plan_batches, view_choice
from .shard import ShardError, ShardFile

VIEWPOINT_SIZE = 7
"""``[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]``."""


def viewpoints(poses):
    """The model's viewpoint vectors ``[..., 7]`` float32 of GQN poses ``[..., 5]``.

    cos and sin are taken in float64 and rounded once, which gives the correctly rounded
    float32 (as the C library's ``cosf`` / ``sinf`` that the Swift loader calls do, almost
    always); numpy's float32 kernels may be one bit off.
    """
    poses = np.asarray(poses, dtype=np.float32)
    angles = poses[..., 3:5].astype(np.float64)
    yaw, pitch = angles[..., 0:1], angles[..., 1:2]
    trig = np.concatenate([np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)], axis=-1).astype(np.float32)
    return np.concatenate([poses[..., :3], trig], axis=-1)


def _decode_png_like(data, expected_mode, schema, what):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.size != (schema.width, schema.height):
                raise ShardError(f"{what}: expected {schema.width}x{schema.height}, found {image.size[0]}x{image.size[1]}")
            if expected_mode == "RGB":
                if image.mode != "RGB":
                    raise ShardError(f"{what}: expected 8-bit RGB, found Pillow mode {image.mode}")
                return np.asarray(image, dtype=np.uint8)
            if expected_mode == "L":
                if image.mode != "L":
                    raise ShardError(f"{what}: expected 8-bit grey, found Pillow mode {image.mode}")
                return np.asarray(image, dtype=np.uint8)
            # 16-bit grey: Pillow says I;16 (or I for some versions).
            if image.mode not in ("I;16", "I;16B", "I"):
                raise ShardError(f"{what}: expected 16-bit grey, found Pillow mode {image.mode}")
            return np.asarray(image).astype(np.uint16)
    except (OSError, SyntaxError, ValueError) as error:
        raise ShardError(f"{what}: does not decode: {error}") from None


def decode_image(data, schema, what="image"):
    """One stored colour image (PNG, raw RGB8 or JPEG) as ``uint8 [H, W, 3]``."""
    if schema.image_encoding == "raw":
        return np.frombuffer(data, dtype=np.uint8).reshape(schema.height, schema.width, 3)
    return _decode_png_like(data, "RGB", schema, what)


def decode_depth(data, schema, what="depth"):
    """A depth PNG as ``uint16 [H, W]`` millimetres along the camera's z axis."""
    return _decode_png_like(data, "I;16", schema, what)


def decode_mask(data, schema, what="mask"):
    """An instance-mask PNG as ``uint8 [H, W]``: 0 the room, k + 1 object k of the labels."""
    return _decode_png_like(data, "L", schema, what)


@dataclasses.dataclass
class Scene:
    """One scene's record as numpy arrays (V views, H x W pixels).

    - ``images``: ``uint8 [V, H, W, 3]``
    - ``poses``: ``float32 [V, 5]`` (x, y, z, yaw, pitch)
    - ``camera_to_world``: ``float32 [V, 4, 4]`` (OpenCV camera axes: x right, y down, z forward)
    - ``intrinsics``: ``float32 [V, 4]`` (fx, fy, cx, cy in pixels)
    - ``depth``: ``uint16 [V, H, W]`` millimetres, or None
    - ``masks``: ``uint8 [V, H, W]``, or None
    - ``labels``: :class:`gqnkit.shard.SceneLabels`
    """

    scene_index: int
    scene_seed: int
    images: np.ndarray
    poses: np.ndarray
    camera_to_world: np.ndarray
    intrinsics: np.ndarray
    depth: object
    masks: object
    labels: object

    @property
    def viewpoints(self):
        """``float32 [V, 7]`` viewpoint vectors."""
        return viewpoints(self.poses)


def scene_arrays(record, schema, where="record"):
    """A :class:`gqnkit.shard.SceneRecord` with every image decoded, as a :class:`Scene`."""
    views = record.views

    def stack(decode, field):
        return np.stack([decode(getattr(view, field), schema, f"{where}: view {v} {field}") for v, view in enumerate(views)])

    return Scene(
        scene_index=record.scene_index, scene_seed=record.scene_seed,
        images=stack(decode_image, "image"),
        poses=np.array([view.pose for view in views], dtype=np.float32),
        camera_to_world=np.array([view.camera_to_world for view in views], dtype=np.float32).reshape(-1, 4, 4),
        intrinsics=np.array([view.intrinsics for view in views], dtype=np.float32),
        depth=stack(decode_depth, "depth") if schema.has_depth else None,
        masks=stack(decode_mask, "mask") if schema.has_masks else None,
        labels=record.labels)


class Dataset:
    """One split of a dataset directory, by scene: ``len(ds)``, ``ds[i]`` (the split's i-th
    scene), ``ds.scene(scene_index)`` (by global scene index), ``ds.record(scene_index)``
    (encoded, without decoding a pixel). Every record read has its CRC-32C checked.

    >>> ds = Dataset("data/rooms", "train")
    >>> scene = ds[0]
    >>> scene.images.shape, scene.camera_to_world.shape
    ((10, 64, 64, 3), (10, 4, 4))
    """

    def __init__(self, directory, split="train"):
        self.directory = os.fspath(directory)
        self.manifest = Manifest(self.directory)
        self.split = self.manifest.split(split)
        self.schema = self.manifest.schema
        self.entries = self.manifest.split_shards(split)
        self.paths = [self.manifest.shard_path(entry) for entry in self.entries]
        self._starts = [entry.first_scene_index for entry in self.entries]
        self._open = {}
        self._pid = os.getpid()

    def __len__(self):
        return self.split.scene_count

    @property
    def record_counts(self):
        """Records of each shard, in scene order."""
        return [entry.record_count for entry in self.entries]

    def shard(self, ordinal):
        """Shard ``ordinal`` of the split (opened once per process; its header checked against
        the manifest)."""
        if self._pid != os.getpid():  # a forked worker opens its own files
            self._open, self._pid = {}, os.getpid()
        shard = self._open.get(ordinal)
        if shard is None:
            shard = ShardFile(self.paths[ordinal])
            entry = self.entries[ordinal]
            if shard.schema != self.schema:
                raise ShardError(f"{shard.path}: header: expected the manifest's schema {self.schema}, found {shard.schema}")
            if len(shard) != entry.record_count:
                raise ShardError(f"{shard.path}: record count: expected {entry.record_count} (the manifest), "
                                 f"found {len(shard)}")
            self._open[ordinal] = shard
        return shard

    def locate(self, scene_index):
        """(shard ordinal, record position) of a global scene index of the split."""
        first = self.split.first_scene_index
        if not first <= scene_index < first + self.split.scene_count:
            raise IndexError(f"scene {scene_index}: expected {first}..<{first + self.split.scene_count} "
                             f"(split {self.split.name})")
        ordinal = bisect.bisect_right(self._starts, scene_index) - 1
        return ordinal, scene_index - self._starts[ordinal]

    def read(self, ordinal, position):
        """The encoded record at (shard ordinal, position), its scene index checked."""
        record = self.shard(ordinal).record(position)
        expected = self.entries[ordinal].first_scene_index + position
        if record.scene_index != expected:
            raise ShardError(f"{self.paths[ordinal]}: record {position}: scene index: expected {expected} (manifest), "
                             f"found {record.scene_index}")
        return record

    def record(self, scene_index):
        """Scene ``scene_index``'s :class:`gqnkit.shard.SceneRecord` (images still encoded)."""
        return self.read(*self.locate(scene_index))

    def scene(self, scene_index):
        """Scene ``scene_index`` (global) as a :class:`Scene` of numpy arrays."""
        return scene_arrays(self.record(scene_index), self.schema, f"scene {scene_index}")

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"scene position {i}: expected 0..<{len(self)}")
        return self.scene(self.split.first_scene_index + (i % len(self)))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def close(self):
        for shard in self._open.values():
            shard.close()
        self._open = {}


@dataclasses.dataclass
class GQNBatch:
    """One batch as the Swift ``GQNBatch``: float32 pixels in [0, 1], NCHW.

    - ``context_images`` ``[B, K, 3, H, W]``, ``context_viewpoints`` ``[B, K, 7]``
    - ``query_image`` ``[B, 3, H, W]``, ``query_viewpoint`` ``[B, 7]``
    - ``query_masks`` ``uint8 [B, H, W]`` or None; ``labels`` a list of B or None
    - ``views`` ``int64 [B, K + 1]``: the view numbers used, query first
    """

    context_images: np.ndarray
    context_viewpoints: np.ndarray
    query_image: np.ndarray
    query_viewpoint: np.ndarray
    scene_indices: np.ndarray
    views: np.ndarray
    epoch: int
    batch_number: int
    state_after: LoaderState
    query_masks: object = None
    labels: object = None
    skipped: int = 0


class GQNLoader:
    """Batches of one split for rank ``rank`` of ``world_size``, epoch after epoch, with the
    Swift ``GQNLoader``'s order: the same scenes, views and K for the same settings.

    ``context`` is K, or a (low, high) pair for K drawn per batch; ``epochs`` None for no
    end; ``state`` a saved :attr:`state` to resume from. ``corrupt_records`` is ``"fail"``
    (raise :class:`gqnkit.shard.ShardError`) or ``"skip"`` (leave the scene out, count it in
    :attr:`skipped_records`).
    """

    def __init__(self, directory, split="train", batch_size=16, context=3, seed=0, shuffle=True,
                 shuffle_buffer_size=10_000, rank=0, world_size=1, drop_last=False, first_epoch=0, epochs=1,
                 query_masks=False, labels=False, corrupt_records="fail", state=None):
        self.dataset = Dataset(directory, split)
        self.settings = LoaderSettings(batch_size, context, seed, shuffle, shuffle_buffer_size, rank, world_size,
                                       drop_last, first_epoch, epochs)
        self.settings.validate()
        schema = self.dataset.schema
        self.maximum_context = self.settings.context_range[1]
        if self.maximum_context + 1 > schema.views_per_scene:
            raise ValueError(f"context: expected at most {schema.views_per_scene - 1} views (the dataset has "
                             f"{schema.views_per_scene} per scene, one is the query), found up to {self.maximum_context}")
        if query_masks and not schema.has_masks:
            raise ValueError(f"query_masks: {self.dataset.manifest.path} has no masks (scenegen generate --masks)")
        if corrupt_records not in ("fail", "skip"):
            raise ValueError(f"corrupt_records: expected 'fail' or 'skip', found {corrupt_records!r}")
        self.query_masks, self.labels, self.corrupt_records = query_masks, labels, corrupt_records
        self.state = state or LoaderState(first_epoch, 0, seed, len(self.dataset))
        self._start = state
        self.skipped_records = 0

    def plans(self):
        """The :class:`gqnkit.sampling.BatchPlan` s from the starting state, without decoding."""
        return plan_batches(self.dataset.record_counts, self.settings, self._start)

    def build(self, plan):
        """Reads, checks and decodes ``plan``'s records into a :class:`GQNBatch` (None when
        every record was skipped as corrupt)."""
        schema, k = self.dataset.schema, plan.context_count
        h, w = schema.height, schema.width
        query, context, query_vp, context_vp, masks = [], [], [], [], []
        scene_indices, chosen, labels = [], [], []
        skipped = 0
        for ordinal, position in plan.samples:
            try:
                record = self.dataset.read(ordinal, position)
                views = view_choice(schema.views_per_scene, self.maximum_context + 1, self.settings.seed, plan.epoch,
                                    record.scene_index)[:k + 1]
                where = f"{self.dataset.paths[ordinal]}: record {position}"
                pixels = np.stack([decode_image(record.views[v].image, schema, f"{where}: view {v}") for v in views])
                if self.query_masks:
                    masks.append(decode_mask(record.views[views[0]].mask, schema, f"{where}: view {views[0]} mask"))
            except ShardError:
                if self.corrupt_records == "fail":
                    raise
                skipped += 1
                continue
            # Exactly byte / 255 in float32, as the Swift PixelConversion.
            planar = pixels.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
            query.append(planar[0])
            context.append(planar[1:])
            poses = viewpoints([record.views[v].pose for v in views])
            query_vp.append(poses[0])
            context_vp.append(poses[1:])
            scene_indices.append(record.scene_index)
            chosen.append(views)
            labels.append(record.labels)
        self.skipped_records += skipped
        if not scene_indices:
            return None
        return GQNBatch(
            context_images=np.stack(context).reshape(len(query), k, 3, h, w),
            context_viewpoints=np.stack(context_vp).reshape(len(query), k, VIEWPOINT_SIZE),
            query_image=np.stack(query), query_viewpoint=np.stack(query_vp),
            scene_indices=np.array(scene_indices, dtype=np.uint64), views=np.array(chosen, dtype=np.int64),
            epoch=plan.epoch, batch_number=plan.batch_number, state_after=plan.state_after,
            query_masks=np.stack(masks) if self.query_masks else None, labels=labels if self.labels else None,
            skipped=skipped)

    def __iter__(self):
        for plan in self.plans():
            batch = self.build(plan)
            self.state = plan.state_after
            if batch is not None:
                yield batch
