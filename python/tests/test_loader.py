"""The Python loader picks what the Swift DataLoader picks: scenes, order, views, K, ranks,
epochs, resume state, and float batches bit for bit (compared with `shardtool batches`)."""
import numpy as np
import pytest

import gqnkit
from gqnkit import sampling
from gqnkit.checksum import crc32c

from conftest import shardtool_lines

CASES = [
    dict(batch_size=4, context=3, seed=0),
    dict(batch_size=3, context=(1, 3), seed=7, epochs=3),
    dict(batch_size=2, context=(1, 2), seed=11, shuffle_buffer_size=3, epochs=2),
    dict(batch_size=4, context=2, seed=5, shuffle=False),
    dict(batch_size=3, context=(1, 3), seed=9, rank=0, world_size=2, epochs=2),
    dict(batch_size=3, context=(1, 3), seed=9, rank=1, world_size=2, epochs=2),
    dict(batch_size=4, context=1, seed=2, rank=2, world_size=3, drop_last=True, first_epoch=4, epochs=2),
    dict(batch_size=5, context=(2, 3), seed=2 ** 64 - 1, first_epoch=1),
]


def swift_arguments(directory, case, resume_position=None):
    context = case["context"]
    arguments = ["batches", directory, "--batch-size", case["batch_size"],
                 "--context", context if isinstance(context, int) else f"{context[0]}...{context[1]}",
                 "--seed", case["seed"], "--rank", case.get("rank", 0), "--world-size", case.get("world_size", 1),
                 "--first-epoch", case.get("first_epoch", 0), "--epochs", case.get("epochs", 1),
                 "--shuffle-buffer", case.get("shuffle_buffer_size", 10_000)]
    if not case.get("shuffle", True):
        arguments.append("--no-shuffle")
    if case.get("drop_last"):
        arguments.append("--drop-last")
    if resume_position is not None:
        arguments += ["--resume-position", resume_position]
    return arguments


def assert_same_batches(ours, swift):
    assert len(ours) == len(swift) > 0
    for batch, expected in zip(ours, swift):
        assert batch.epoch == expected["epoch"]
        assert batch.batch_number == expected["batchNumber"]
        assert batch.context_images.shape[1] == expected["contextCount"]
        assert batch.scene_indices.tolist() == expected["sceneIndices"]
        assert batch.views.tolist() == expected["views"]
        state = batch.state_after
        assert (state.epoch, state.position, state.seed, state.scene_count) == (
            expected["state"]["epoch"], expected["state"]["position"], expected["state"]["seed"],
            expected["state"]["sceneCount"])
        # Pixels bit for bit: the same bytes / 255 in float32.
        assert crc32c(batch.query_image.astype("<f4").tobytes()) == expected["queryImageCRC32C"]
        assert crc32c(batch.context_images.astype("<f4").tobytes()) == expected["contextImagesCRC32C"]
        # Viewpoints: cos and sin may differ in the last bit between the C library and numpy.
        np.testing.assert_allclose(batch.query_viewpoint.ravel(), np.float32(expected["queryViewpoint"]), atol=2e-7)



@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_batches_equal_the_swift_loader(png_dataset, case):
    ours = list(gqnkit.GQNLoader(png_dataset, **case))
    assert_same_batches(ours, shardtool_lines(*swift_arguments(png_dataset, case)))


def test_resuming_mid_epoch_equals_the_swift_loader(png_dataset):
    case = dict(batch_size=3, context=(1, 3), seed=4, world_size=2, rank=1, first_epoch=2, epochs=2)
    full = list(gqnkit.GQNLoader(png_dataset, **case))
    state = full[1].state_after
    assert state.epoch == 2 and state.position == 12
    resumed = list(gqnkit.GQNLoader(png_dataset, state=state, **case))
    assert [b.scene_indices.tolist() for b in resumed] == [b.scene_indices.tolist() for b in full[2:]]
    assert_same_batches(resumed, shardtool_lines(*swift_arguments(png_dataset, case, resume_position=12)))


def test_epochs_are_exact_and_ranks_disjoint(png_dataset):
    for world_size in (1, 2, 3):
        seen = {}
        for rank in range(world_size):
            for batch in gqnkit.GQNLoader(png_dataset, batch_size=2, context=1, seed=3, rank=rank,
                                          world_size=world_size, epochs=2):
                seen.setdefault(batch.epoch, []).extend(batch.scene_indices.tolist())
        assert sorted(seen) == [0, 1]
        for indices in seen.values():
            assert sorted(indices) == list(range(21))
    orders = [[i for b in gqnkit.GQNLoader(png_dataset, batch_size=4, context=1, seed=3, first_epoch=e)
               for i in b.scene_indices.tolist()] for e in (0, 1)]
    assert orders[0] != orders[1]


def test_stateless_random_matches_the_swift_formulas():
    # SplitMix64's output function of 0 and of the golden gamma, as published.
    assert sampling.mix(0) == 0xE220A8397B1DCDAF
    assert sampling.mix(2 ** 64 - 0x9E3779B97F4A7C15) == 0
    assert sorted(sampling.permutation(10, 12345)) == list(range(10))
    views = sampling.view_choice(10, 4, 1, 2, 3)
    assert len(set(views)) == 4 and sampling.view_choice(10, 2, 1, 2, 3) == views[:2]


def test_masks_and_labels_in_batches(png_dataset):
    loader = gqnkit.GQNLoader(png_dataset, batch_size=4, context=2, seed=1, query_masks=True, labels=True)
    ds = gqnkit.Dataset(png_dataset)
    for batch in loader:
        for slot, scene_index in enumerate(batch.scene_indices.tolist()):
            scene = ds.scene(scene_index)
            query_view = batch.views[slot, 0]
            np.testing.assert_array_equal(batch.query_masks[slot], scene.masks[query_view])
            assert batch.labels[slot] == scene.labels
            np.testing.assert_array_equal(batch.query_image[slot],
                                          scene.images[query_view].transpose(2, 0, 1).astype(np.float32) / 255)
