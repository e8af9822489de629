"""Read GQNKit's sharded scene datasets from Python: numpy arrays, and PyTorch batches in the
Swift loader's order.

>>> import gqnkit
>>> ds = gqnkit.Dataset("data/rooms", split="train")     # every record's CRC-32C is checked
>>> scene = ds.scene(12)                                   # by scene index, through the index
>>> scene.images.shape, scene.poses.shape                  # (V, H, W, 3) uint8, (V, 5) float32
>>> for batch in gqnkit.GQNLoader("data/rooms", batch_size=16, context=(1, 5), seed=7):
...     batch.context_images.shape                         # (16, K, 3, H, W) float32 in [0, 1]

The shard layer (:mod:`gqnkit.shard`, :mod:`gqnkit.manifest`, :mod:`gqnkit.sampling`) needs
only the standard library; :class:`Dataset` and :class:`GQNLoader` need numpy and Pillow;
:class:`gqnkit.pytorch.GQNIterableDataset` needs PyTorch.
"""
from .checksum import IMPLEMENTATION as CRC32C_IMPLEMENTATION, crc32c
from .manifest import Manifest, ShardEntry, Split, verify_dataset
from .sampling import BatchPlan, LoaderSettings, LoaderState, plan_batches, view_choice
from .shard import SceneLabels, SceneRecord, Schema, ShardError, ShardFile, ViewRecord

__version__ = "0.1.0"

_NUMPY_NAMES = ("Dataset", "GQNBatch", "GQNLoader", "Scene", "decode_depth", "decode_image", "decode_mask",
                "scene_arrays", "viewpoints")


def __getattr__(name):
    # The numpy layer loads on first use, so the shard layer (and Tools/read_shard.py) works
    # without numpy or Pillow.
    if name in _NUMPY_NAMES:
        from . import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'gqnkit' has no attribute {name!r}")


__all__ = ["CRC32C_IMPLEMENTATION", "crc32c", "Manifest", "ShardEntry", "Split", "verify_dataset", "BatchPlan",
           "LoaderSettings", "LoaderState", "plan_batches", "view_choice", "SceneLabels", "SceneRecord", "Schema",
           "ShardError", "ShardFile", "ViewRecord", *_NUMPY_NAMES]
