"""JPEG views (format version 2, encoding code 2): shards as imported from DeepMind's
TFRecords read and decode; a version-1 file may not claim JPEG."""
import io
import os

import numpy as np
import pytest
from PIL import Image

import gqnkit
from gqnkit.shard import ShardError, ShardFile

from shard_bytes import record_payload, shard_bytes, write_dataset

SIZE = 16
VIEWS = 3


def jpeg_of(pixels):
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def scene_views(scene_index):
    rng = np.random.default_rng(scene_index)
    views = []
    for v in range(VIEWS):
        # Smooth colours, so that JPEG keeps them close.
        base = rng.integers(40, 215, 3)
        pixels = np.broadcast_to(base, (SIZE, SIZE, 3)).astype(np.uint8).copy()
        views.append({"pose": [v, -v, 1.0, 0.5 * v, -0.1], "camera_to_world": list(np.eye(4).ravel() * (v + 1)),
                      "intrinsics": [17.0, 17.0, 8.0, 8.0], "image": jpeg_of(pixels), "pixels": pixels})
    return views


@pytest.fixture
def jpeg_dataset(tmp_path):
    scenes = {i: scene_views(i) for i in range(5)}
    labels = ("blue", "white", [("sphere", "red", [1, 0, 0, 0.5, 0.5, 0.4, 0.8, 0.8, 0.8, 0.3, 0, 0])],
              [("point", [0, 0, 2.5, 0, 0, 0, 1, 1, 1, 7.5])])
    first = shard_bytes(2, SIZE, SIZE, VIEWS, "jpeg", [record_payload(i, scenes[i], labels) for i in range(3)])
    second = shard_bytes(2, SIZE, SIZE, VIEWS, "jpeg", [record_payload(i, scenes[i], labels) for i in range(3, 5)])
    schema = {"width": SIZE, "height": SIZE, "channels": 3, "viewsPerScene": VIEWS, "imageEncoding": "jpeg",
              "hasDepth": False, "hasMasks": False}
    directory = str(tmp_path / "jpeg")
    write_dataset(directory, 2, schema,
                  [("train-00000-of-00002.gqnshard", "train", 0, first, 3),
                   ("train-00001-of-00002.gqnshard", "train", 3, second, 2)],
                  [{"name": "train", "firstSceneIndex": 0, "sceneCount": 5}])
    return directory, scenes


def test_jpeg_views_decode(jpeg_dataset):
    directory, scenes = jpeg_dataset
    ds = gqnkit.Dataset(directory)
    assert ds.schema.image_encoding == "jpeg" and ds.manifest.format_version == 2
    for scene_index in range(5):
        scene = ds.scene(scene_index)
        assert scene.images.shape == (VIEWS, SIZE, SIZE, 3)
        assert scene.labels.objects[0].shape == "sphere" and scene.labels.lights[0].intensity == np.float32(7.5)
        for v, view in enumerate(scenes[scene_index]):
            with Image.open(io.BytesIO(view["image"])) as image:
                np.testing.assert_array_equal(scene.images[v], np.asarray(image.convert("RGB")))
            assert np.abs(scene.images[v].astype(int) - view["pixels"]).max() <= 4
            np.testing.assert_array_equal(scene.poses[v], np.float32(view["pose"]))
    batches = list(gqnkit.GQNLoader(directory, batch_size=2, context=2, seed=1))
    assert [len(b.scene_indices) for b in batches] == [2, 2, 1]
    assert sorted(int(i) for b in batches for i in b.scene_indices) == list(range(5))
    assert gqnkit.verify_dataset(directory, report=lambda line: None)


def test_version_1_may_not_claim_jpeg(tmp_path):
    views = scene_views(0)
    path = tmp_path / "v1.gqnshard"
    path.write_bytes(shard_bytes(1, SIZE, SIZE, VIEWS, "jpeg", [record_payload(0, views)]))
    with pytest.raises(ShardError, match=r"byte offset 28: image encoding: expected one of \[0, 1\] in a version 1 file"):
        ShardFile(path)
    path.write_bytes(shard_bytes(3, SIZE, SIZE, VIEWS, "jpeg", [record_payload(0, views)]))
    with pytest.raises(ShardError, match="format version: expected 1 or 2, found 3"):
        ShardFile(path)
    # A PNG-declared version-2 file holding a JPEG stream is caught at the view.
    path.write_bytes(shard_bytes(2, SIZE, SIZE, VIEWS, "png", [record_payload(0, views)]))
    with ShardFile(path) as shard, pytest.raises(ShardError, match="view 0 image: expected a PNG stream"):
        shard.record(0)


def test_manifest_version_1_may_not_claim_jpeg(jpeg_dataset):
    directory, _ = jpeg_dataset
    path = os.path.join(directory, "manifest.json")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace('"formatVersion": 2', '"formatVersion": 1'))
    with pytest.raises(ShardError, match="jpeg needs formatVersion 2, found 1"):
        gqnkit.Dataset(directory)
