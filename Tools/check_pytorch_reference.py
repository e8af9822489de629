#!/usr/bin/env python3
"""Checks one Swift GQN training step against an independent PyTorch implementation.

Usage: check_pytorch_reference.py DIRECTORY [DIRECTORY ...] [--loss-rtol R] [--grad-rtol G]
                                  [--kink-rtol K] [--verbose]

Each DIRECTORY holds reference.safetensors and reference.json written by
`gqn-train write-reference-fixture DIRECTORY --config tiny|small`: the parameters, the
inputs, the latent noise eps of every generation step, the loss, NLL, KL and pixel sigma
of the first training step, and the gradient of every parameter (`grad.NAME`).

The model is rebuilt with Tools/pytorch_gqn.py (naive gate path, parameters loaded by
name), run in float64 and in float32 with the Swift noise, and the Swift values must match
both runs:

- loss, NLL and KL (batch means, and per scene): relative difference <= --loss-rtol;
- the image means (values in [0, 1]): max absolute difference <= --grad-rtol;
- every gradient: max |swift - torch| / max |torch float64| <= --grad-rtol.

ReLU kinks: a tower unit whose pre-activation lies within float32 rounding of zero may
fall on either side of it in a correct float32 implementation, which moves the gradient
by that unit's whole backward contribution (seen: 2e-3 of max |g| in conv1). The float64
run finds the units within --kink-rtol of zero (relative to the RMS of their layer's
pre-activations; float32 rounding stays below 3e-6 of it) and computes each one's
contribution |dL/dy_u| |d x_u / d theta| exactly; a gradient element may differ by the
sum of those contributions on top of the tolerance. Nothing else is excused.

Prints the worst tensors and PyTorch's own float32-vs-float64 spread (the rounding floor);
on a mismatch, prints every offending tensor and exits 1.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

from pytorch_gqn import GQN, GQNConfig, load_parameters

LOSS_RTOL = 1e-5
GRAD_RTOL = 1e-4
KINK_RTOL = 2e-5
MAX_KINK_UNITS = 500
INPUTS = ("context_images", "context_viewpoints", "query_images", "query_viewpoints")


class ReluRecorder:
    """Stands in for the tower's ReLU and keeps each pre-activation and output on the graph."""

    def __init__(self):
        self.calls = []

    def __call__(self, x):
        y = F.relu(x)
        if y.requires_grad:
            y.retain_grad()
        self.calls.append((x, y))
        return y


def kink_slack(model, recorder, tolerance):
    """Per parameter, the sum over near-kink units u of |dL/dy_u| |d x_u / d theta|.

    Call after loss.backward(retain_graph=True). Toggling unit u's ReLU mask changes
    dL/dx_u by +-dL/dy_u, and every parameter gradient by that times d x_u / d theta.
    Returns the slack per parameter name and the number of near-kink units.
    """
    named = list(model.named_parameters())
    slack = {name: torch.zeros_like(parameter, dtype=torch.float64) for name, parameter in named}
    units = []
    for x, y in recorder.calls:
        values = x.detach()
        rms = values.pow(2).mean().sqrt()
        near = (values.abs() < tolerance * rms).flatten().nonzero().flatten().tolist()
        units += [(x, y, index) for index in near]
    if len(units) > MAX_KINK_UNITS:
        raise ValueError(f"{len(units)} ReLU units within {tolerance:g} of their kink: expected at most "
                         f"{MAX_KINK_UNITS}; lower --kink-rtol")
    for x, y, index in units:
        upstream = y.grad.flatten()[index].abs()
        gradients = torch.autograd.grad(x.flatten()[index], [p for _, p in named], retain_graph=True, allow_unused=True)
        for (name, _), gradient in zip(named, gradients):
            if gradient is not None:
                slack[name] += upstream * gradient.abs()
    return slack, len(units)


def run_pytorch(config, tensors, parameter_names, dtype, kink_rtol):
    """One forward and backward pass in `dtype`.

    Returns the outputs, the gradients (float64), and for float64 the near-kink slack
    per parameter and the number of near-kink units (None and 0 otherwise).
    """
    model = GQN(config).to(dtype)
    load_parameters(model, tensors)
    unexpected = sorted(set(model.state_dict()) ^ set(parameter_names))
    if unexpected:
        raise ValueError(f"parameter names differ between Swift and PyTorch: {unexpected}")
    recorder = ReluRecorder()
    model.representation.activation = recorder
    inputs = [tensors[f"input.{name}"].to(dtype) for name in INPUTS]
    sigma = float(tensors["output.sigma"])
    result = model(*inputs, sigma, noise=tensors["noise.eps"].to(dtype))
    result["loss"].backward(retain_graph=True)
    gradients = {name: parameter.grad.detach().to(torch.float64) for name, parameter in model.named_parameters()}
    slack, kinks = kink_slack(model, recorder, kink_rtol) if dtype == torch.float64 else (None, 0)
    values = {
        "output.loss": result["loss"].detach().double(),
        "output.nll": result["nll"].detach().double().mean(),
        "output.kl": result["kl"].detach().double().mean(),
        "output.nll_per_scene": result["nll"].detach().double(),
        "output.kl_per_scene": result["kl"].detach().double(),
        "output.mean": result["mean"].detach().double(),
    }
    return values, gradients, slack, kinks


def relative(found, expected):
    """max |found - expected| / |expected|, elementwise over per-scene values."""
    return ((found - expected).abs() / expected.abs().clamp_min(1e-30)).max().item()


def gradient_error(found, expected, scale, slack=None):
    """max (|found - expected| - slack) / scale, with scale the float64 gradient's max abs."""
    difference = (found - expected).abs()
    if slack is not None:
        difference = (difference - slack).clamp_min(0)
    largest = difference.max().item()
    if scale == 0:
        return 0.0 if largest == 0 else math.inf
    return largest / scale


def compare(swift, reference, gradients, scales, slack, parameter_names, loss_rtol, grad_rtol):
    """Rows (tensor, error, tolerance, detail) comparing the Swift values with one PyTorch run."""
    rows = []
    for name in ("output.loss", "output.nll", "output.kl", "output.nll_per_scene", "output.kl_per_scene"):
        expected, found = reference[name], swift[name].double()
        detail = f"swift {found.flatten()[:3].tolist()}, torch {expected.flatten()[:3].tolist()}"
        rows.append((name, relative(found, expected), loss_rtol, detail))
    mean_error = (swift["output.mean"].double() - reference["output.mean"]).abs().max().item()
    rows.append(("output.mean", mean_error, grad_rtol, "max abs difference of values in [0, 1]"))
    for name in parameter_names:
        expected, found = gradients[name], swift["grad." + name].double()
        if found.shape != expected.shape:
            rows.append(("grad." + name, math.inf, grad_rtol, f"shape {list(found.shape)} vs {list(expected.shape)}"))
            continue
        error = gradient_error(found, expected, scales[name], slack[name])
        raw = gradient_error(found, expected, scales[name])
        norm = expected.norm().item()
        l2 = (found - expected).norm().item() / norm if norm > 0 else 0.0
        detail = f"max|g| {scales[name]:.3e}, relative L2 {l2:.2e}"
        if raw != error:
            detail += f", {raw:.2e} before the kink slack"
        rows.append(("grad." + name, error, grad_rtol, detail))
    return rows


def check_directory(directory, loss_rtol, grad_rtol, kink_rtol, verbose):
    """Checks one fixture directory; returns the failing rows (empty when it passes)."""
    with open(os.path.join(directory, "reference.json")) as handle:
        description = json.load(handle)
    path = os.path.join(directory, "reference.safetensors")
    tensors = load_file(path)
    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("source") != "gqn-train write-reference-fixture":
        raise ValueError(f"{path}: expected metadata source 'gqn-train write-reference-fixture', found {metadata}")
    config = GQNConfig.from_json(description["configuration"])
    names = description["parameters"]
    required = [f"grad.{name}" for name in names] + description["inputs"] + description["outputs"] + ["noise.eps"]
    missing = [name for name in required if name not in tensors]
    if missing:
        raise ValueError(f"{path}: missing tensors {missing}")
    expected_eps = [config.steps, description["batch"], config.latent_channels, config.grid_size, config.grid_size]
    if list(tensors["noise.eps"].shape) != expected_eps:
        raise ValueError(f"noise.eps: expected shape {expected_eps}, found {list(tensors['noise.eps'].shape)}")

    print(f"{directory}: {config.name} ({config.representation}), batch {description['batch']}, "
          f"{description['context_views']} context views, L {config.steps}, Swift gates {description['gates']}, "
          f"sigma {float(tensors['output.sigma'])}")
    exact = run_pytorch(config, tensors, names, torch.float64, kink_rtol)
    single = run_pytorch(config, tensors, names, torch.float32, kink_rtol)
    slack, kinks = exact[2], exact[3]
    scales = {name: exact[1][name].abs().max().item() for name in names}
    print(f"  {kinks} ReLU units within {kink_rtol:g} of their kink (their contributions are excused)")
    failures = []
    for kind, (values, gradients, _, _) in (("float64", exact), ("float32", single)):
        rows = compare(tensors, values, gradients, scales, slack, names, loss_rtol, grad_rtol)
        worst_output = max((row for row in rows if row[0].startswith("output.")), key=lambda row: row[1])
        worst_gradient = max((row for row in rows if row[0].startswith("grad.")), key=lambda row: row[1])
        print(f"  swift vs torch {kind}: loss {float(tensors['output.loss']):.6f} vs {values['output.loss'].item():.6f}; "
              f"worst output {worst_output[0]} {worst_output[1]:.2e} (tol {loss_rtol:g}); "
              f"worst gradient {worst_gradient[0]} {worst_gradient[1]:.2e} (tol {grad_rtol:g}; {worst_gradient[3]})")
        if verbose:
            for name, error, tolerance, detail in rows:
                print(f"    {name:50s} {error:.3e} <= {tolerance:g}  {detail}")
        failures += [(f"swift vs torch {kind}",) + row for row in rows if not row[1] <= row[2]]
    spread = max(gradient_error(single[1][name], exact[1][name], scales[name]) for name in names)
    spread_excused = max(gradient_error(single[1][name], exact[1][name], scales[name], slack[name]) for name in names)
    loss_spread = relative(single[0]["output.loss"], exact[0]["output.loss"])
    print(f"  torch float32 vs float64 (the rounding floor): loss {loss_spread:.2e}, worst gradient {spread:.2e} "
          f"({spread_excused:.2e} after the kink slack)")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directories", nargs="+", metavar="DIRECTORY")
    parser.add_argument("--loss-rtol", type=float, default=LOSS_RTOL,
                        help=f"relative tolerance of loss, NLL and KL (default {LOSS_RTOL:g})")
    parser.add_argument("--grad-rtol", type=float, default=GRAD_RTOL,
                        help=f"gradient max-abs difference over the gradient's max abs (default {GRAD_RTOL:g})")
    parser.add_argument("--kink-rtol", type=float, default=KINK_RTOL,
                        help=f"ReLU units this close to zero, relative to their layer's RMS, may fall either side "
                             f"(default {KINK_RTOL:g})")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    parser.add_argument("--verbose", action="store_true", help="print every tensor's comparison")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    failures = []
    for directory in args.directories:
        rows = check_directory(directory, args.loss_rtol, args.grad_rtol, args.kink_rtol, args.verbose)
        failures += [(directory,) + row for row in rows]
    if failures:
        print(f"\nPyTorch reference check FAILED: {len(failures)} comparisons over tolerance", file=sys.stderr)
        for directory, run, name, error, tolerance, detail in failures:
            print(f"  {directory} {run}: {name}: {error:.3e} > {tolerance:g} ({detail})", file=sys.stderr)
        sys.exit(1)
    print(f"PyTorch reference check passed: {len(args.directories)} fixture(s); loss, NLL and KL within "
          f"{args.loss_rtol:g} relative, every gradient within {args.grad_rtol:g} of its max abs, "
          f"against float64 and float32")


if __name__ == "__main__":
    main()
