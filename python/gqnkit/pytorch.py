"""A PyTorch ``IterableDataset`` of GQN batches in the Swift loader's order.

Each item is one whole batch (a dict of tensors), so wrap it with ``batch_size=None``::

    dataset = GQNIterableDataset("data/rooms", batch_size=36, context=(1, 5), seed=7, epochs=None)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    for batch in loader:
        loss = model(batch["context_images"], batch["context_viewpoints"],
                     batch["query_image"], batch["query_viewpoint"], sigma)["loss"]

Ranks: ``rank`` / ``world_size`` (default: ``torch.distributed``'s when it is initialised)
give rank r of n a disjoint part of every epoch, exactly as the Swift loader does. Workers:
worker w of W builds batches w, w + W, ... of its rank's sequence, and ``DataLoader`` takes
them round robin, so the stream is the same whatever ``num_workers``. Epochs are exact: one
pass over the split each (``drop_last`` leaves out each epoch's final partial batches);
``set_epoch`` picks the first epoch of the next iteration.
"""
import numpy as np
import torch

from .dataset import GQNLoader
from .sampling import LoaderState


def batch_tensors(batch):
    """A :class:`gqnkit.dataset.GQNBatch` as a dict of tensors (and the epoch, batch number
    and loader state after it as plain values)."""
    out = {
        "context_images": torch.from_numpy(batch.context_images),
        "context_viewpoints": torch.from_numpy(batch.context_viewpoints),
        "query_image": torch.from_numpy(batch.query_image),
        "query_viewpoint": torch.from_numpy(batch.query_viewpoint),
        "scene_indices": torch.from_numpy(batch.scene_indices.astype(np.int64)),
        "views": torch.from_numpy(batch.views),
        "epoch": batch.epoch,
        "batch_number": batch.batch_number,
        "state": batch.state_after.to_json(),
    }
    if batch.query_masks is not None:
        out["query_masks"] = torch.from_numpy(batch.query_masks)
    return out


class GQNIterableDataset(torch.utils.data.IterableDataset):
    """Batches of one split; the arguments are :class:`gqnkit.dataset.GQNLoader`'s, plus
    ``rank`` and ``world_size`` defaulting to ``torch.distributed``'s.

    ``state`` (a dict like a batch's ``"state"``, or a :class:`gqnkit.sampling.LoaderState`)
    resumes a stream exactly where that batch left it.
    """

    def __init__(self, directory, split="train", batch_size=16, context=3, seed=0, shuffle=True,
                 shuffle_buffer_size=10_000, rank=None, world_size=None, drop_last=False, first_epoch=0, epochs=1,
                 query_masks=False, corrupt_records="fail", state=None):
        super().__init__()
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        if world_size is None:
            world_size = torch.distributed.get_world_size() if distributed else 1
        if rank is None:
            rank = torch.distributed.get_rank() if distributed else 0
        if isinstance(state, dict):
            state = LoaderState(state["epoch"], state["position"], state["seed"], state["sceneCount"])
        self.arguments = dict(directory=directory, split=split, batch_size=batch_size, context=context, seed=seed,
                              shuffle=shuffle, shuffle_buffer_size=shuffle_buffer_size, rank=rank,
                              world_size=world_size, drop_last=drop_last, first_epoch=first_epoch, epochs=epochs,
                              query_masks=query_masks, corrupt_records=corrupt_records, state=state)
        # Opens the manifest now, so that bad settings fail here rather than in a worker.
        self._loader = GQNLoader(**self.arguments)

    def set_epoch(self, epoch):
        """Starts the next iteration at ``epoch`` (and forgets a resume state)."""
        self.arguments.update(first_epoch=epoch, state=None)
        self._loader = GQNLoader(**self.arguments)

    def __len__(self):
        """Batches of one iteration when ``epochs`` is finite."""
        if self.arguments["epochs"] is None:
            raise TypeError("an endless stream (epochs=None) has no length")
        return sum(1 for _ in self._loader.plans())

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        loader = GQNLoader(**self.arguments)
        for number, plan in enumerate(loader.plans()):
            if number % workers != worker:
                continue
            batch = loader.build(plan)
            if batch is not None:
                yield batch_tensors(batch)
