#!/usr/bin/env python3
"""Benchmarks `gqn-train bench` against its PyTorch peer, back to back in one run.

Usage: python3 Tools/bench_vs_pytorch.py [--configs tiny,small,paper] [--rounds 3] [--threads 2]
                                         [--steps N --warmup W] [--no-inference]
                                         [--gqn-train PATH] [--python PATH]

For every round and configuration it runs, alternately and each in a fresh process,
`gqn-train bench --config C --threads T` and `Tools/bench_pytorch_gqn.py --config C
--threads T` (training steps: forward, backward, Adam), then both again with
`--inference` (generation from the prior; PyTorch under torch.no_grad()). Which program
goes first alternates from round to round. Each process reports the median over its own
timed steps; the summary takes the median over rounds.

Prints one JSON object on stdout: per configuration, the medians of step_s_median
(training), images_per_s_median (inference) and peak_mb of both programs, and the
ratios ours / pytorch (step time and peak memory: lower is better for us; images per
second: higher is better), with DESIGN.md section 4's training bars and the machine's
load average (other work on the cores skews both programs, PyTorch's spinning OpenMP
threads most). A table and progress go to stderr. Run it with a Python that has torch
(the peer's interpreter defaults to this one; Tools/test.sh makes .venv-test), after
`swift build -c release`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(ROOT, "Tools", "bench_pytorch_gqn.py")

# Timed steps and warm-up steps per configuration (a paper step takes seconds).
DEFAULT_STEPS = {"tiny": (10, 2), "small": (5, 1), "paper": (2, 1)}
# DESIGN.md section 4: our training step time over PyTorch's must stay at or below this.
STEP_TIME_BARS = {"tiny": 0.8, "small": 0.8, "paper": 1.0}


def last_json_line(output, command):
    """The last line of `output` that is a JSON object (both benchmarks end with their summary)."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise RuntimeError(f"no JSON summary in the output of {' '.join(command)}:\n{output}")


def run(command):
    """Runs a benchmark command; returns its JSON summary and the wall-clock seconds it took."""
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr}")
    return last_json_line(completed.stdout, command), elapsed


def ratio(ours, theirs):
    return ours / theirs if theirs else float("nan")


def summarise(config, mode, ours, peer):
    """Medians over rounds and the ours/pytorch ratios of one configuration and mode."""
    figure = "step_s_median" if mode == "train" else "images_per_s_median"
    ours_values = [record[figure] for record in ours]
    peer_values = [record[figure] for record in peer]
    ours_median, peer_median = statistics.median(ours_values), statistics.median(peer_values)
    ours_peak = statistics.median(record["peak_mb"] for record in ours)
    peer_peak = statistics.median(record["peak_mb"] for record in peer)
    entry = {
        f"ours_{figure}": ours_median, f"pytorch_{figure}": peer_median,
        f"ours_{figure}_rounds": ours_values, f"pytorch_{figure}_rounds": peer_values,
        "ours_peak_mb": ours_peak, "pytorch_peak_mb": peer_peak, "peak_mb_ratio": ratio(ours_peak, peer_peak),
        "batch": ours[0].get("batch"), "steps": ours[0].get("steps"), "warmup": ours[0].get("warmup"),
    }
    if mode == "train":
        entry["step_time_ratio"] = ratio(ours_median, peer_median)
        entry["step_time_bar"] = STEP_TIME_BARS.get(config)
        entry["meets_step_time_bar"] = entry["step_time_ratio"] <= entry["step_time_bar"] if config in STEP_TIME_BARS else None
        entry["meets_peak_memory_bar"] = ours_peak <= peer_peak
    else:
        entry["images_per_s_ratio"] = ratio(ours_median, peer_median)
    return entry


def table(summary):
    """A plain-text table of the summary."""
    lines = [f"{'config':7s} {'mode':9s} {'unit':8s} {'ours':>9s} {'pytorch':>9s} {'ratio':>6s}   "
             f"{'ours MB':>7s} {'torch MB':>8s} {'ratio':>6s}"]
    for config, modes in summary["configs"].items():
        for mode, entry in modes.items():
            if mode == "train":
                unit, ours, theirs = "s/step", entry["ours_step_s_median"], entry["pytorch_step_s_median"]
                r = entry["step_time_ratio"]
            else:
                unit, ours, theirs = "images/s", entry["ours_images_per_s_median"], entry["pytorch_images_per_s_median"]
                r = entry["images_per_s_ratio"]
            lines.append(f"{config:7s} {mode:9s} {unit:8s} {ours:>9.4g} {theirs:>9.4g} {r:>6.3f}   "
                         f"{entry['ours_peak_mb']:>7.0f} {entry['pytorch_peak_mb']:>8.0f} {entry['peak_mb_ratio']:>6.2f}")
    lines.append("ratios are ours / pytorch: lower is better for s/step and MB, higher for images/s; "
                 f"load average {summary['load_average_start']:.2f} at the start, {summary['load_average_end']:.2f} at the end")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny,small,paper", help="comma-separated (default tiny,small,paper)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each program per configuration (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both programs (default 2)")
    parser.add_argument("--steps", type=int, help="timed steps per run for every configuration "
                        f"(default per configuration: {', '.join(f'{c} {s}' for c, (s, _) in DEFAULT_STEPS.items())})")
    parser.add_argument("--warmup", type=int, help="untimed warm-up steps per run (default per configuration: "
                        f"{', '.join(f'{c} {w}' for c, (_, w) in DEFAULT_STEPS.items())})")
    parser.add_argument("--no-inference", action="store_true", help="skip the generation benchmark")
    parser.add_argument("--gqn-train", default=os.path.join(ROOT, ".build", "release", "gqn-train"),
                        help="the gqn-train binary (default .build/release/gqn-train)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with torch for the peer (default this one)")
    args = parser.parse_args()
    configs = [name for name in args.configs.split(",") if name]
    unknown = [name for name in configs if name not in DEFAULT_STEPS]
    if unknown:
        parser.error(f"--configs: expected names from {sorted(DEFAULT_STEPS)}, found {unknown}")
    if args.rounds < 1 or args.threads < 1 or (args.steps is not None and args.steps < 1) or \
            (args.warmup is not None and args.warmup < 0):
        parser.error("--rounds, --threads and --steps must be at least 1, --warmup at least 0")
    if not os.access(args.gqn_train, os.X_OK):
        parser.error(f"--gqn-train: {args.gqn_train} is not an executable; build it with `swift build -c release`")

    load_start = os.getloadavg()[0]
    modes = ["train"] + ([] if args.no_inference else ["inference"])
    results = {(config, mode, program): [] for config in configs for mode in modes for program in ("ours", "pytorch")}
    machine = {}
    for round_index in range(args.rounds):
        for config in configs:
            steps, warmup = DEFAULT_STEPS[config]
            steps = args.steps if args.steps is not None else steps
            warmup = args.warmup if args.warmup is not None else warmup
            common = ["--config", config, "--threads", str(args.threads), "--steps", str(steps), "--warmup", str(warmup)]
            for mode in modes:
                extra = ["--inference"] if mode == "inference" else []
                commands = {
                    "ours": [args.gqn_train, "bench"] + common + extra,
                    "pytorch": [args.python, PEER] + common + extra,
                }
                order = ["ours", "pytorch"] if round_index % 2 == 0 else ["pytorch", "ours"]
                for program in order:
                    record, elapsed = run(commands[program])
                    results[(config, mode, program)].append(record)
                    figure = record.get("step_s_median", record.get("images_per_s_median"))
                    print(f"round {round_index + 1}/{args.rounds} {config} {mode} {program}: {figure:.4g} "
                          f"({'s/step' if mode == 'train' else 'images/s'}), peak {record['peak_mb']:.0f} MB, "
                          f"{elapsed:.1f} s wall", file=sys.stderr)
                    if program == "ours":
                        machine.update(cpu=record.get("cpu"), blas=record.get("blas"))
                    else:
                        machine.update(torch=record.get("torch"))
    summary = {
        "bench": "gqn-train vs pytorch", "threads": args.threads, "rounds": args.rounds, **machine,
        # A 1-minute load average above 0 before the first run means something else shared the cores.
        "load_average_start": load_start, "load_average_end": os.getloadavg()[0],
        "configs": {
            config: {mode: summarise(config, mode, results[(config, mode, "ours")], results[(config, mode, "pytorch")])
                     for mode in modes}
            for config in configs
        },
    }
    print(json.dumps(summary, sort_keys=True))
    print(table(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
