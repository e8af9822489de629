"""The package reads every record equal to `shardtool cat --json` and `shardtool export`."""
import glob
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import gqnkit
from gqnkit.shard import ShardError, ShardFile

from conftest import REPOSITORY, run, shardtool_json


def f32(values):
    return np.asarray(values, dtype=np.float32)


def assert_record_matches_cat(record, cat, schema):
    assert record.scene_index == cat["sceneIndex"]
    assert record.scene_seed == cat["sceneSeed"]
    assert len(record.views) == len(cat["views"]) == schema.views_per_scene
    for view, expected in zip(record.views, cat["views"]):
        p = expected["pose"]
        np.testing.assert_array_equal(f32(view.pose), f32([p["x"], p["y"], p["z"], p["yaw"], p["pitch"]]))
        np.testing.assert_array_equal(f32(view.camera_to_world).reshape(4, 4), f32(expected["cameraToWorld"]))
        k = expected["intrinsics"]
        np.testing.assert_array_equal(f32(view.intrinsics), f32([k["fx"], k["fy"], k["cx"], k["cy"]]))
        assert len(view.image) == expected["imageBytes"]
        assert (len(view.depth) if view.depth is not None else None) == expected.get("depthBytes")
        assert (len(view.mask) if view.mask is not None else None) == expected.get("maskBytes")
    labels = record.labels.to_json()
    expected = cat["labels"]
    assert labels["room"] == expected["room"]
    assert len(labels["objects"]) == len(expected["objects"])
    for mine, theirs in zip(labels["objects"] + labels["lights"], expected["objects"] + expected["lights"]):
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            if isinstance(value, str):
                assert value == theirs[key]
            else:
                np.testing.assert_array_equal(f32(value), f32(theirs[key]), err_msg=key)


@pytest.mark.parametrize("dataset_name", ["png_dataset", "raw_dataset"])
def test_every_record_equals_shardtool_cat(dataset_name, request):
    directory = request.getfixturevalue(dataset_name)
    manifest = gqnkit.Manifest(directory)
    checked = 0
    for split in manifest.splits:
        ds = gqnkit.Dataset(directory, split.name)
        assert len(ds) == split.scene_count
        for scene_index in range(split.first_scene_index, split.first_scene_index + split.scene_count):
            record = ds.record(scene_index)
            assert_record_matches_cat(record, shardtool_json("cat", directory, "--record", scene_index, "--json"),
                                      manifest.schema)
            checked += 1
    assert checked == sum(s.scene_count for s in manifest.splits)


@pytest.mark.parametrize("dataset_name", ["png_dataset", "raw_dataset"])
def test_arrays_equal_shardtool_export(dataset_name, request, tmp_path):
    directory = request.getfixturevalue(dataset_name)
    ds = gqnkit.Dataset(directory, "train")
    for scene_index in (0, 2, len(ds) - 1):
        out = tmp_path / f"scene-{scene_index}"
        run("shardtool", "export", directory, "--record", scene_index, "--out", out)
        scene = ds.scene(scene_index)
        v, h, w = ds.schema.views_per_scene, ds.schema.height, ds.schema.width
        assert scene.images.shape == (v, h, w, 3) and scene.images.dtype == np.uint8
        assert scene.poses.shape == (v, 5) and scene.camera_to_world.shape == (v, 4, 4)
        assert scene.intrinsics.shape == (v, 4) and scene.viewpoints.shape == (v, 7)
        np.testing.assert_array_equal(scene.camera_to_world[:, 3], np.tile(f32([0, 0, 0, 1]), (v, 1)))
        for view in range(v):
            with Image.open(out / f"view-{view:02d}.png") as image:
                np.testing.assert_array_equal(scene.images[view], np.asarray(image.convert("RGB")))
            if ds.schema.has_depth:
                with Image.open(out / f"depth-{view:02d}.png") as image:
                    np.testing.assert_array_equal(scene.depth[view], np.asarray(image).astype(np.uint16))
                assert scene.depth.dtype == np.uint16 and scene.depth.shape == (v, h, w)
                assert (out / f"depth-{view:02d}.png").read_bytes() == ds.record(scene_index).views[view].depth
            if ds.schema.has_masks:
                with Image.open(out / f"mask-{view:02d}.png") as image:
                    np.testing.assert_array_equal(scene.masks[view], np.asarray(image))
                # Mask values are 0 (room) or k + 1 for object k of the labels.
                assert scene.masks[view].max() <= len(scene.labels.objects)
        if not ds.schema.has_depth:
            assert scene.depth is None and scene.masks is None
        assert_record_matches_cat(ds.record(scene_index), shardtool_json("cat", directory, "--record", scene_index,
                                                                          "--json"), ds.schema)


def test_random_access_by_position_and_scene_index(png_dataset):
    test = gqnkit.Dataset(png_dataset, "test")
    assert test.split.first_scene_index == 21 and len(test) == 3
    assert test[0].scene_index == 21 and test[-1].scene_index == 23
    assert test.locate(23) == (0, 2)
    train = gqnkit.Dataset(png_dataset, "train")
    assert train.locate(12) == (2, 2)
    with pytest.raises(IndexError):
        train.record(21)
    with pytest.raises(ShardError, match="split"):
        gqnkit.Dataset(png_dataset, "validation")


def copy_dataset(source, destination):
    shutil.copytree(source, destination)
    return str(destination)


def test_every_crc_is_checked(png_dataset, tmp_path):
    directory = copy_dataset(png_dataset, tmp_path / "ds")
    path = os.path.join(directory, "train-00001-of-00005.gqnshard")
    with ShardFile(path) as shard:
        start, end = shard.record_span(2)
    data = bytearray(open(path, "rb").read())
    data[start + 200] ^= 0x01
    open(path, "wb").write(bytes(data))
    ds = gqnkit.Dataset(directory, "train")
    ds.scene(6)  # another record of the same shard still reads
    with pytest.raises(ShardError, match=r"record 2, byte offset \d+: payload CRC-32C"):
        ds.scene(7)
    # The loader fails on it by default, or leaves the scene out and counts it when asked.
    with pytest.raises(ShardError, match="payload CRC-32C"):
        list(gqnkit.GQNLoader(directory, batch_size=4, context=1))
    loader = gqnkit.GQNLoader(directory, batch_size=4, context=1, corrupt_records="skip")
    scenes = sorted(i for batch in loader for i in batch.scene_indices.tolist())
    assert scenes == [i for i in range(21) if i != 7] and loader.skipped_records == 1
    for offset, field in ((3, "magic"), (20, "header CRC"), (len(data) - 10, "trailer"), (len(data) - 40, "index CRC")):
        broken = bytearray(open(os.path.join(png_dataset, "train-00001-of-00005.gqnshard"), "rb").read())
        broken[offset] ^= 0x01
        bad = tmp_path / f"broken-{offset}.gqnshard"
        bad.write_bytes(bytes(broken))
        with pytest.raises(ShardError, match=field):
            ShardFile(bad)
    truncated = tmp_path / "truncated.gqnshard"
    truncated.write_bytes(bytes(data[:-5]))
    with pytest.raises(ShardError, match="trailer magic"):
        ShardFile(truncated)
    assert subprocess.run([sys.executable, os.path.join(REPOSITORY, "Tools", "read_shard.py"), "--verify", directory],
                          capture_output=True, text=True).stdout.endswith("5 passed, 1 failed\n")


def test_manifest_paths_outside_the_dataset_are_refused(png_dataset, tmp_path):
    directory = copy_dataset(png_dataset, tmp_path / "ds")
    manifest_path = os.path.join(directory, "manifest.json")
    text = open(manifest_path).read()
    for bad in ("../escape.gqnshard", "/etc/passwd"):
        open(manifest_path, "w").write(text.replace("train-00000-of-00005.gqnshard", bad))
        with pytest.raises(ShardError, match="inside the dataset"):
            gqnkit.Dataset(directory, "train")
    os.symlink(str(tmp_path), os.path.join(directory, "link"))
    open(manifest_path, "w").write(text.replace("train-00000-of-00005.gqnshard", "link/x.gqnshard"))
    with pytest.raises(ShardError, match="outside"):
        gqnkit.Dataset(directory, "train")


def test_read_shard_script_keeps_its_command_line(png_dataset):
    script = os.path.join(REPOSITORY, "Tools", "read_shard.py")
    shard = sorted(glob.glob(os.path.join(png_dataset, "train-*.gqnshard")))[0]
    listing = subprocess.run([sys.executable, script, shard], capture_output=True, text=True, check=True).stdout
    assert listing.splitlines()[1].startswith("record 0: scene 0 seed ")
    assert len(listing.splitlines()) == 6
    verify = subprocess.run([sys.executable, script, "--verify", png_dataset], capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stdout.strip() == "6 passed, 0 failed"
    assert subprocess.run([sys.executable, script], capture_output=True).returncode == 2


def test_crc32c_implementations_agree():
    from gqnkit import checksum as module

    assert module.crc32c_python(b"123456789") == 0xE3069283
    assert module.crc32c_numpy(b"123456789") == 0xE3069283
    rng = np.random.default_rng(0)
    for n in (0, 1, 5, 255, 256, 257, 1000, 4096, 65_537):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        expected = module.crc32c_python(data)
        assert module.crc32c_numpy(data) == expected
        assert module.crc32c(data) == expected
        assert module.crc32c_numpy(data[n // 3:], module.crc32c_numpy(data[:n // 3])) == expected
    assert struct.calcsize("<Q") == 8
