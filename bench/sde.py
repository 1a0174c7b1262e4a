"""Path-steps per second of coursekit.sde.euler_maruyama for Ornstein-Uhlenbeck, against peers.

Run: ``PYTHONPATH=src .venv/bin/python bench/sde.py [--quick] [--device cpu] [--dtype float32]
[--paths 100000] [--steps 200] [--repeats 5] [--threads 1]``.

Three measurements of the same work, OU :math:`dX = -\\theta X dt + \\sigma dW` on ``paths``
paths for ``steps`` steps, best of ``repeats``, interleaved:

- ``euler_maruyama`` (drift ``lambda x, t: -theta * x``, constant diffusion);
- a bare vectorised NumPy loop, ``x += -theta * x * h + sigma * sqrt(h) * standard_normal``;
- the RNG limit: drawing the same number of Gaussian increments alone with the generator that
  ``euler_maruyama`` uses (torch's), in blocks, without any arithmetic.

Prints path-steps per second for each and the ratio to the RNG limit (the goal is >= 0.8 in
float32 on the CPU). This is a measurement, not a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from coursekit.sde import euler_maruyama


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.paths, args.steps, args.repeats = 10_000, 20, 1
    torch.set_num_threads(args.threads)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    theta, sigma, n, steps = 1.0, 0.5, args.paths, args.steps
    grid = np.linspace(0.0, 1.0, steps + 1)
    h = 1.0 / steps
    x0 = torch.ones(n, dtype=dtype, device=device)
    np_rng = np.random.default_rng(0)
    gen = torch.Generator(device=device).manual_seed(0)
    block = max(1, min(steps, (1 << 18) // n))
    buf = torch.empty((block, n), dtype=dtype, device=device)

    def ours():
        euler_maruyama(lambda x, t: -theta * x, sigma, x0, grid, rng=1)

    def numpy_loop():
        x = np.ones(n, dtype=args.dtype)
        for _ in range(steps):
            x += -theta * h * x + sigma * np.sqrt(h) * np_rng.standard_normal(n, args.dtype)

    def rng_only():
        for start in range(0, steps, block):
            m = min(block, steps - start)
            torch.randn((m, n), generator=gen, dtype=dtype, device=device, out=buf[:m])

    runs = {"euler_maruyama": ours, "numpy loop": numpy_loop, "RNG alone": rng_only}
    times = {k: [] for k in runs}
    for i in range(args.repeats):
        order = list(runs) if i % 2 == 0 else list(runs)[::-1]
        for name in order:
            _sync(device)
            start = time.perf_counter()
            runs[name]()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    rate = {k: n * steps / min(v) for k, v in times.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"OU, {n} paths x {steps} steps, {args.dtype} on {device}, {args.threads} thread(s), "
          f"best of {args.repeats}, load average {load:.2f}")
    for name, r in rate.items():
        print(f"  {name:15s} {r:.3g} path-steps/s")
    ratio = rate["euler_maruyama"] / rate["RNG alone"]
    print(f"ratio to the RNG limit: {ratio:.2f}; "
          f"against the NumPy loop: {rate['euler_maruyama'] / rate['numpy loop']:.2f}x")
    return ratio


if __name__ == "__main__":
    main()
