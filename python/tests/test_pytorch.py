"""The PyTorch IterableDataset: the same stream whatever the worker count, disjoint ranks,
and the example trains the PyTorch GQN on our shards."""
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import gqnkit  # noqa: E402
from gqnkit.pytorch import GQNIterableDataset  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "train_gqn.py")


def stream(dataset, workers):
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=workers)
    return [(b["epoch"], b["batch_number"], b["scene_indices"].tolist(), b["views"].tolist(), b["query_image"])
            for b in loader]


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # 3 workers on 2 cores, on purpose
def test_workers_do_not_change_the_stream(png_dataset):
    dataset = GQNIterableDataset(png_dataset, batch_size=3, context=(1, 3), seed=5, epochs=2)
    reference = [(b.epoch, b.batch_number, b.scene_indices.tolist(), b.views.tolist())
                 for b in gqnkit.GQNLoader(png_dataset, batch_size=3, context=(1, 3), seed=5, epochs=2)]
    assert len(dataset) == len(reference) == 14
    for workers in (0, 2, 3):
        batches = stream(dataset, workers)
        assert [b[:4] for b in batches] == reference
        assert batches[0][4].dtype == torch.float32 and batches[0][4].shape == (3, 3, 16, 16)


def test_ranks_split_every_epoch(png_dataset):
    seen = []
    for rank in range(2):
        dataset = GQNIterableDataset(png_dataset, batch_size=4, context=2, seed=8, rank=rank, world_size=2)
        seen += [i for b in stream(dataset, 2) for i in b[2]]
    assert sorted(seen) == list(range(21))
    dataset = GQNIterableDataset(png_dataset, batch_size=4, context=2, seed=8)
    dataset.set_epoch(3)
    assert {b[0] for b in stream(dataset, 0)} == {3}


def test_the_example_trains_the_pytorch_gqn(png_dataset):
    result = subprocess.run([sys.executable, EXAMPLE, png_dataset, "--config", "tiny", "--steps", "3", "--workers", "2",
                             "--log-every", "1", "--threads", "1"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("step ")]
    assert len(lines) == 3
    losses = [float(line.split("loss ")[1].split()[0]) for line in lines]
    assert all(loss == loss and 0 < loss < 1e6 for loss in losses)
