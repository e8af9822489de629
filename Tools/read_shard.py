#!/usr/bin/env python3
"""Print or verify GQN shard files: the command line of the Python package in python/
(gqnkit.cli), runnable from a checkout without installing it. Standard library only.

Usage:
    read_shard.py SHARD            print the schema and one line per record
    read_shard.py --json SHARD     print every record as JSON (image bytes as their length)
    read_shard.py --verify DIR     check DIR/manifest.json: sizes, SHA-256, every record's CRC
Exit status 0 when everything checked is sound, 1 otherwise.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from gqnkit.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
