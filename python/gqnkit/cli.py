"""``python -m gqnkit`` (and ``Tools/read_shard.py``): print or verify shards; standard library only.

Usage:
    python -m gqnkit SHARD            print the schema and one line per record
    python -m gqnkit --json SHARD     print every record as JSON (image bytes as their length)
    python -m gqnkit --verify DIR     check DIR/manifest.json: sizes, SHA-256, every record's CRC
Exit status 0 when everything checked is sound, 1 otherwise, 2 for a usage error.
"""
import json
import sys

from .manifest import verify_dataset
from .shard import ShardError, ShardFile


def record_json(record):
    """A record as JSON: cameras, image sizes in bytes, labels (camelCase keys)."""
    views = []
    for view in record.views:
        item = {"pose": list(view.pose), "cameraToWorld": list(view.camera_to_world),
                "intrinsics": list(view.intrinsics), "image": len(view.image)}
        if view.depth is not None:
            item["depth"] = len(view.depth)
        if view.mask is not None:
            item["mask"] = len(view.mask)
        views.append(item)
    return {"sceneIndex": record.scene_index, "sceneSeed": record.scene_seed, "views": views,
            "labels": record.labels.to_json()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "--verify":
        try:
            return 0 if verify_dataset(argv[1]) else 1
        except (OSError, ShardError) as error:
            print(error, file=sys.stderr)
            return 1
    as_json = len(argv) == 2 and argv[0] == "--json"
    if len(argv) != 1 and not as_json:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with ShardFile(argv[-1]) as shard:
            schema = shard.schema.to_json()
            records = list(shard)
    except (OSError, ShardError) as error:
        print(error, file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"schema": schema, "records": [record_json(r) for r in records]}, indent=2))
    else:
        print(json.dumps(schema))
        for i, record in enumerate(records):
            shapes = [o.shape for o in record.labels.objects]
            print(f"record {i}: scene {record.scene_index} seed {record.scene_seed} "
                  f"views {len(record.views)} objects {shapes}")
    return 0
