#!/usr/bin/env python3
"""The PyTorch peer of `gqn-train bench`: the same GQN (DESIGN.md section 5, built by
Tools/pytorch_gqn.py), the way published reimplementations (torch-gqn) run it: every gate
convolution over the full concatenated input at each of the L steps, shared cores, Adam.

Usage: python3 Tools/bench_pytorch_gqn.py --config tiny|small|paper [--threads 2] [--steps 10]
                                          [--warmup 2] [--inference]
Prints one JSON line with step_s_median and peak_mb (ru_maxrss), like `gqn-train bench`;
with --inference, generate_s_median and images_per_s_median for generation from the
prior under torch.no_grad(), like `gqn-train bench --inference`.
"""
import argparse
import json
import resource
import statistics
import time

import torch

from pytorch_gqn import CONFIGS, GQN, VIEWPOINT_SIZE


def timed(function, warmup, steps):
    """Runs `function` warmup + steps times; returns the timed seconds and the last result."""
    times, result = [], None
    for index in range(warmup + steps):
        start = time.perf_counter()
        result = function()
        if index >= warmup:
            times.append(time.perf_counter() - start)
    return times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed steps (or generations); the median is reported")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--inference", action="store_true", help="time generation from the prior instead of training")
    args = parser.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0:
        parser.error("--threads and --steps must be at least 1, --warmup at least 0")
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    config = CONFIGS[args.config]
    model = GQN(config)
    B, K, image = config.batch_size, config.max_context_views, config.image_size
    xc, vc = torch.rand(B, K, 3, image, image), torch.randn(B, K, VIEWPOINT_SIZE)
    xq, vq = torch.rand(B, 3, image, image), torch.randn(B, VIEWPOINT_SIZE)
    record = {
        "peer": "pytorch", "torch": torch.__version__, "config": args.config, "threads": args.threads,
        "batch": B, "context_views": K, "warmup": args.warmup, "steps": args.steps,
    }
    if args.inference:
        def generate():
            with torch.no_grad():
                return model.generate(xc, vc, vq)

        times, _ = timed(generate, args.warmup, args.steps)
        median = statistics.median(times)
        record.update({
            "mode": "inference", "generate_s_median": median, "generate_s_min": min(times),
            "images_per_s_median": B / median,
        })
    else:
        opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), eps=1e-8)

        def train_step():
            opt.zero_grad(set_to_none=False)
            loss = model(xc, vc, xq, vq, 2.0)["loss"]
            loss.backward()
            opt.step()
            return loss

        times, loss = timed(train_step, args.warmup, args.steps)
        record.update({
            "mode": "train", "step_s_median": statistics.median(times), "step_s_min": min(times),
            "loss_last": loss.item(),
        })
    record["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
