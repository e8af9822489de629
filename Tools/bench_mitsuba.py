#!/usr/bin/env python3
"""The Mitsuba 3 peer of the render benchmark: `scenegen bench`'s room rendered by Mitsuba's
`scalar_rgb` variant with its `direct` integrator.

Usage:
    bench_mitsuba.py [--scene Scenes/examples/bench_room.json] [--images N] [--runs R]
                     [--threads T] [--save PNG]

The room is read from our scene JSON and rebuilt from Mitsuba's own shapes, as close as
Mitsuba allows: the floor and walls as rectangles (the floor's checker as a
`checkerboard` texture of the same cell size), spheres, boxes as cubes, cylinders as an
open `cylinder` closed by two disks, each at our position, size and yaw/pitch/roll; one
point light of the same position and intensity (Mitsuba's point-light intensity is
radiant intensity, as ours is); the same camera (position, look-at, vertical field of
view, 64 x 64) and samples per pixel (a stratified sampler, box filter). Shadows come from
the integrator's emitter samples (one per pixel sample; no BSDF samples, which a point
light cannot use). Differences: every surface is diffuse (Mitsuba has no Blinn-Phong
highlight for our sphere's `specular`), there is no ambient term, and the scene file must
use only the shapes listed above.

Times R runs of N images each (different seeds, scene loaded once before the runs) on T
threads (default: all cores) and prints a JSON line last with images_per_s (the median)
and cpu_ms_per_image (process CPU time per image, all threads, median of the runs: less
sensitive than wall-clock time to other work on a shared machine).
Needs: pip install mitsuba (in a virtual environment of its own).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import drjit as dr
import mitsuba as mi


def transform(position, size, rotation_degrees):
    """Our object frame: scale by half extents, rotate R = Rz(yaw) Ry(pitch) Rx(roll), translate."""
    yaw, pitch, roll = rotation_degrees
    return (mi.ScalarTransform4f().translate(position)
            @ mi.ScalarTransform4f().rotate([0, 0, 1], yaw)
            @ mi.ScalarTransform4f().rotate([0, 1, 0], pitch)
            @ mi.ScalarTransform4f().rotate([1, 0, 0], roll)
            @ mi.ScalarTransform4f().scale([s / 2 for s in size]))


def diffuse(material):
    return {"type": "diffuse", "reflectance": {"type": "rgb", "value": material["color"]}}


def rectangle(center, edge_u, edge_v, bsdf):
    """Mitsuba's rectangle spans [-1, 1]^2 in x-y; map x to edge_u and y to edge_v."""
    u, v = [c / 2 for c in edge_u], [c / 2 for c in edge_v]
    n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    length = math.sqrt(sum(c * c for c in n))
    n = [c / length for c in n]
    matrix = [[u[0], v[0], n[0], center[0]], [u[1], v[1], n[1], center[1]], [u[2], v[2], n[2], center[2]],
              [0, 0, 0, 1]]
    return {"type": "rectangle", "to_world": mi.ScalarTransform4f(matrix), "bsdf": bsdf}


def room_shapes(room):
    width, depth, height = room.get("width", 7), room.get("depth", 7), room.get("height", 3)
    floor, walls = room["floor"], room["walls"]
    floor_bsdf = diffuse(floor)
    texture = floor.get("texture")
    if texture and texture.get("type") == "checker":
        # Mitsuba's checkerboard has 2 x 2 cells over the unit uv square; ours are `scale` wide.
        cells = width / texture["scale"]
        floor_bsdf = {"type": "diffuse", "reflectance": {
            "type": "checkerboard", "color0": {"type": "rgb", "value": floor["color"]},
            "color1": {"type": "rgb", "value": texture["color"]},
            "to_uv": mi.ScalarTransform4f().scale([cells / 2, cells / 2, 1])}}
    wall_bsdf = diffuse(walls)
    hx, hy, h = width / 2, depth / 2, height
    up = [0, 0, h]
    return {
        "floor": rectangle([0, 0, 0], [width, 0, 0], [0, depth, 0], floor_bsdf),
        "wall_north": rectangle([0, hy, h / 2], [width, 0, 0], up, wall_bsdf),
        "wall_south": rectangle([0, -hy, h / 2], [-width, 0, 0], up, wall_bsdf),
        "wall_east": rectangle([hx, 0, h / 2], [0, -depth, 0], up, wall_bsdf),
        "wall_west": rectangle([-hx, 0, h / 2], [0, depth, 0], up, wall_bsdf),
    }


def object_shapes(index, shape):
    kind = shape["type"]
    size = shape["size"]
    size = [size, size, size] if isinstance(size, (int, float)) else size
    position = shape["position"]
    rotation = shape.get("rotationDegrees", [0, 0, 0])
    bsdf = diffuse(shape["material"])
    to_world = transform(position, size, rotation)
    if kind == "sphere":
        return {f"object{index}": {"type": "sphere", "center": position, "radius": size[0] / 2, "bsdf": bsdf}}
    if kind == "box":
        return {f"object{index}": {"type": "cube", "to_world": to_world, "bsdf": bsdf}}
    if kind == "cylinder":
        # Mitsuba's cylinder runs from z = 0 to 1 with radius 1 and no caps.
        side = to_world @ mi.ScalarTransform4f().translate([0, 0, -1]) @ mi.ScalarTransform4f().scale([1, 1, 2])
        return {
            f"object{index}": {"type": "cylinder", "to_world": side, "bsdf": bsdf},
            f"object{index}_top": {"type": "disk", "to_world": to_world @ mi.ScalarTransform4f().translate([0, 0, 1]),
                                   "bsdf": bsdf},
            f"object{index}_bottom": {"type": "disk", "bsdf": bsdf, "to_world": to_world
                                      @ mi.ScalarTransform4f().translate([0, 0, -1])
                                      @ mi.ScalarTransform4f().rotate([1, 0, 0], 180)},
        }
    raise SystemExit(f"shape {index}: type {kind!r} has no Mitsuba counterpart here (sphere, box, cylinder)")


def build_scene(spec):
    image = spec["image"]
    spp = image.get("samplesPerPixel", 4)
    camera = spec["camera"]
    if "lookAt" not in camera:
        raise SystemExit("camera: expected \"lookAt\" (yaw/pitch cameras are not translated)")
    scene = {
        "type": "scene",
        "integrator": {"type": "direct", "emitter_samples": 1, "bsdf_samples": 0},
        "sensor": {
            "type": "perspective",
            "fov": camera.get("fovDegrees", 50),
            "fov_axis": "y",
            "to_world": mi.ScalarTransform4f().look_at(origin=camera["position"], target=camera["lookAt"],
                                                       up=[0, 0, 1]),
            "sampler": {"type": "stratified", "sample_count": spp, "jitter": True},
            "film": {"type": "hdrfilm", "width": image["width"], "height": image["height"],
                     "rfilter": {"type": "box"}, "pixel_format": "rgb"},
        },
    }
    scene.update(room_shapes(spec["room"]))
    for index, shape in enumerate(spec["shapes"]):
        scene.update(object_shapes(index, shape))
    for index, light in enumerate(spec["lights"]):
        if light["type"] != "point":
            raise SystemExit(f"light {index}: only point lights are translated, found {light['type']!r}")
        intensity = [c * light.get("intensity", 1) for c in light.get("color", [1, 1, 1])]
        scene[f"light{index}"] = {"type": "point", "position": light["position"],
                                  "intensity": {"type": "rgb", "value": intensity}}
    return mi.load_dict(scene), spp, (image["width"], image["height"])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", default="Scenes/examples/bench_room.json")
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--save", help="also write the first image to this PNG file")
    args = parser.parse_args(argv)
    if args.images < 1 or args.runs < 1 or args.threads < 1:
        raise SystemExit("--images, --runs and --threads must be at least 1")
    mi.set_variant("scalar_rgb")
    dr.set_thread_count(args.threads)
    with open(args.scene, encoding="utf-8") as f:
        spec = json.load(f)
    start = time.perf_counter()
    scene, spp, (width, height) = build_scene(spec)
    load_seconds = time.perf_counter() - start
    first = mi.render(scene, seed=0, spp=spp)  # warm-up
    if args.save:
        mi.util.write_bitmap(args.save, first)
    rates, cpu = [], []
    for run in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for image in range(args.images):
            mi.render(scene, seed=run * args.images + image + 1, spp=spp)
        rates.append(args.images / (time.perf_counter() - start))
        cpu.append((time.process_time() - start_cpu) / args.images)
    print(json.dumps({
        "benchmark": "render",
        "renderer": f"mitsuba {mi.__version__} scalar_rgb direct",
        "scene": args.scene,
        "images_per_s": round(statistics.median(rates), 1),
        "images_per_s_runs": [round(r, 1) for r in rates],
        "cpu_ms_per_image": round(statistics.median(cpu) * 1000, 3),
        "scene_load_s": round(load_seconds, 3),
        "threads": args.threads,
        "size": f"{width}x{height}",
        "spp": spp,
        "images_per_run": args.images,
    }, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
