#!/usr/bin/env python3
"""Checks that a safetensors file written by the Swift Tensors module loads in Python.

Usage: check_safetensors.py DIRECTORY
DIRECTORY holds fixture.safetensors and fixture.json (expected names, shapes and values),
both written by `gqn-train write-safetensors-fixture DIRECTORY`. Needs `numpy` and
`safetensors` (Tools/test.sh runs it in its own virtual environment that has them).
Exits non-zero on any mismatch.
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]

    path = f"{directory}/fixture.safetensors"
    with open(f"{directory}/fixture.json") as handle:
        expected = json.load(handle)
    loaded = load_file(path)
    problems = []
    if sorted(loaded) != sorted(expected):
        problems.append(f"names: expected {sorted(expected)}, found {sorted(loaded)}")
    for name, entry in expected.items():
        if name not in loaded:
            continue
        array = loaded[name]
        want = np.array(entry["values"], dtype=np.float32).reshape(entry["shape"])
        if array.dtype != np.float32:
            problems.append(f"{name}: expected dtype float32, found {array.dtype}")
        if list(array.shape) != entry["shape"]:
            problems.append(f"{name}: expected shape {entry['shape']}, found {list(array.shape)}")
        elif not np.array_equal(array.view(np.uint32), want.view(np.uint32)):
            problems.append(f"{name}: values differ (first expected {want.ravel()[:3]}, found {array.ravel()[:3]})")
    with safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("source") != "Tensors fixture":
        problems.append(f"metadata: expected source='Tensors fixture', found {metadata}")
    if problems:
        print("safetensors check FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"safetensors check passed: {len(expected)} tensors read by Python safetensors match")


if __name__ == "__main__":
    main()
