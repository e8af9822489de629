"""Fixtures: small datasets rendered by the freshly built scenegen, and the Swift tools that
the Python package is compared against.

The binaries come from $GQNKIT_BIN (Tools/test.sh sets it to the release build's bin
directory), else from .build/release of this checkout.
"""
import json
import os
import subprocess

import pytest

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(name):
    directory = os.environ.get("GQNKIT_BIN") or os.path.join(REPOSITORY, ".build", "release")
    path = os.path.join(directory, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path}: not found; build first (swift build -c release) or set GQNKIT_BIN")
    return path


def run(name, *arguments):
    """Runs a Swift tool; returns its standard output."""
    result = subprocess.run([binary(name), *map(str, arguments)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(map(str, arguments))} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def generate(directory, *options):
    run("scenegen", "generate", "--family", "rooms_ring_camera", "--out", directory, "--size", 16, "--views", 4,
        "--spp", 1, "--threads", 1, *options)
    return str(directory)


@pytest.fixture(scope="session")
def png_dataset(tmp_path_factory):
    """24 scenes of 4 views at 16x16, PNG, depth and masks, 5 scenes a shard: train 21, test 3."""
    return generate(tmp_path_factory.mktemp("png"), "--scenes", 24, "--shard-size", 5, "--split", "train=0.875,test=0.125",
                    "--depth", "--masks", "--seed", 3)


@pytest.fixture(scope="session")
def raw_dataset(tmp_path_factory):
    """6 scenes, raw RGB8 images, no depth or masks."""
    return generate(tmp_path_factory.mktemp("raw"), "--scenes", 6, "--shard-size", 4, "--split", "train=1",
                    "--encoding", "raw", "--seed", 5)


def shardtool_json(*arguments):
    return json.loads(run("shardtool", *arguments))


def shardtool_lines(*arguments):
    return [json.loads(line) for line in run("shardtool", *arguments).splitlines() if line.strip()]
