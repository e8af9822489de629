#!/usr/bin/env python3
"""Train the PyTorch GQN of Tools/pytorch_gqn.py (the peer of `gqn-train bench`) on our shards.

Usage:
    python examples/train_gqn.py DIR [--config tiny|small|paper] [--steps N] [--workers W]
                                     [--seed S] [--threads T] [--log-every N]

The stream is the Swift trainer's (`gqn-train fit`): shuffled, endless, full batches only,
K uniform in 1...max context per batch, the same scenes, views and K for the same seed. The
configuration's image size is replaced by the dataset's; sigma anneals 2.0 -> 0.7 over 200k
steps and the learning rate 5e-4 -> 5e-5 over 1.6M steps (DESIGN.md section 5).
"""
import argparse
import dataclasses
import os
import sys
import time

import torch

from gqnkit import Manifest
from gqnkit.pytorch import GQNIterableDataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
from pytorch_gqn import CONFIGS, GQN  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    schema = Manifest(args.directory).schema
    config = dataclasses.replace(CONFIGS[args.config], image_size=schema.width,
                                 max_context_views=min(CONFIGS[args.config].max_context_views, schema.views_per_scene - 1))
    dataset = GQNIterableDataset(args.directory, batch_size=config.batch_size, context=(1, config.max_context_views),
                                 seed=args.seed, epochs=None, drop_last=True)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=args.workers)
    model = GQN(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), eps=1e-8)
    start = time.perf_counter()
    for step, batch in enumerate(loader):
        if step >= args.steps:
            break
        sigma = max(0.7, 2.0 - 1.3 * step / 200_000)
        for group in optimizer.param_groups:
            group["lr"] = max(5e-5, 5e-4 - 4.5e-4 * step / 1_600_000)
        optimizer.zero_grad()
        loss = model(batch["context_images"], batch["context_viewpoints"], batch["query_image"],
                     batch["query_viewpoint"], sigma)["loss"]
        loss.backward()
        optimizer.step()
        if step % args.log_every == 0 or step == args.steps - 1:
            print(f"step {step} epoch {batch['epoch']} K {batch['context_images'].shape[1]} "
                  f"loss {loss.item():.2f} ({time.perf_counter() - start:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
