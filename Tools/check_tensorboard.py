#!/usr/bin/env python3
"""Reads a gqn-train run directory's TensorBoard event files with TensorBoard's own reader
and checks them against the run's metrics.jsonl: every logged step of every scalar exactly
once (steps a resumed run repeated must have been purged), each value equal to the logged
one as a float32, and the sample grids as the PNG files the run wrote.

Usage: check_tensorboard.py RUN_DIR [RUN_DIR ...]
Exit status 0 when every run matches, 1 otherwise. Needs the `tensorboard` package.
"""
import json
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator

# metrics.jsonl key -> TensorBoard tag, as gqn-train fit writes them.
SCALAR_TAGS = {
    "loss": "train/loss",
    "nll": "train/nll",
    "kl": "train/kl",
    "sigma": "train/sigma",
    "lr": "train/learning_rate",
    "nll_floor": "train/nll_floor",
    "context": "train/context_views",
}


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def check(run):
    problems = []
    with open(os.path.join(run, "metrics.jsonl")) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    accumulator = event_accumulator.EventAccumulator(
        run, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    for key, tag in SCALAR_TAGS.items():
        if tag not in tags["scalars"]:
            problems.append(f"{run}: no scalar {tag} (found {sorted(tags['scalars'])})")
            continue
        # Every logged step exactly once (a resumed run's repeated steps purged), in order.
        events = [(event.step, event.value) for event in accumulator.Scalars(tag)]
        expected = [(line["step"], float32(float(line[key]))) for line in lines]
        if [step for step, _ in events] != [step for step, _ in expected]:
            problems.append(f"{run}: {tag} steps {[s for s, _ in events]} != metrics.jsonl {[s for s, _ in expected]}")
            continue
        for (step, value), (_, wanted) in zip(events, expected):
            if value != wanted:
                problems.append(f"{run}: {tag} at step {step}: {value} != {wanted}")
    samples_dir = os.path.join(run, "samples")
    sample_steps = sorted(int(name[5:11]) for name in os.listdir(samples_dir)
                          if name.startswith("step-") and name.endswith(".png")) if os.path.isdir(samples_dir) else []
    images = accumulator.Images("samples") if "samples" in tags["images"] else []
    image_steps = sorted(image.step for image in images)
    if image_steps != sample_steps:
        problems.append(f"{run}: image steps {image_steps} != sample grids {sample_steps}")
    for image in images:
        path = os.path.join(samples_dir, f"step-{image.step:06d}.png")
        with open(path, "rb") as handle:
            if handle.read() != image.encoded_image_string:
                problems.append(f"{run}: image at step {image.step} differs from {path}")
    print(f"{run}: {len(lines)} metrics lines x {len(SCALAR_TAGS)} scalars, {len(images)} images"
          + (" OK" if not problems else f", {len(problems)} problems"))
    return problems


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = [problem for run in sys.argv[1:] for problem in check(run)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
