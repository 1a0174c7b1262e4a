"""Overhead of coursekit.training.fit against a bare torch loop on identical work.

Run: ``PYTHONPATH=src .venv/bin/python bench/training.py [--model mlp|lenet] [--repeats 7]
[--device cpu]``. ``--model lenet`` trains the convolutional chapter's LeNet-style network on the
8x8 digits (the book's image set when no MNIST files are present), as issue 9 asks.
Prints the best-of-N wall time of each and their ratio (the target is within 5%). This is a
measurement, not a test: timing assertions would fail on a busy machine.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from coursekit.training import fit, loop


def _data(n=2048, d=64, classes=10):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g)
    return TensorDataset(x, x[:, :classes].argmax(dim=1))


def _model(d=64, classes=10, width=256):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(d, width), nn.Tanh(), nn.Linear(width, classes))


def _digits():
    """The 8x8 digits' training images (N, 1, 8, 8) and labels, as the chapters load them."""
    from coursekit.data import load_digits

    ds = load_digits()
    return TensorDataset(ds.x_train, ds.y_train)


def _lenet(classes=10, side=8):
    """The LeNet-style network of the convolutional chapter (chapters/cnns)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * (side // 4) ** 2, classes))


def bare_loop(model, loader, loss_fn, opt, epochs, device):
    """The textbook loop, with the same per-epoch bookkeeping as fit (one sync per epoch)."""
    losses = []
    for _ in range(epochs):
        total = torch.zeros((), device=device)
        count = 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * xb.shape[0]
            count += xb.shape[0]
        losses.append((total / count).item())
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", choices=("mlp", "lenet"), default="mlp")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    data = _digits() if args.model == "lenet" else _data()
    make_model, loss_fn = (_lenet if args.model == "lenet" else _model), nn.CrossEntropyLoss()

    def run(kind):
        model = make_model().to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        loader = DataLoader(data, batch_size=64)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        if kind == "fit":
            fit(model, loader, loss_fn, opt, epochs=args.epochs, device=device, progress=False,
                verbose=False)
        else:
            bare_loop(model, loader, loss_fn, opt, args.epochs, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    times = {"fit": [], "bare": []}
    for i in range(args.repeats):  # interleaved, order alternated, best of N: robust to a
        for kind in (("fit", "bare") if i % 2 else ("bare", "fit")):  # busy machine
            times[kind].append(run(kind))
    best = {k: min(v) for k, v in times.items()}
    ratio = best["fit"] / best["bare"]
    print(f"{args.model} on device {device}, {args.epochs} epochs x {len(data) // 64} batches, "
          f"best of {args.repeats}: fit {best['fit']:.4f} s, bare loop {best['bare']:.4f} s, "
          f"ratio {ratio:.3f} ({100 * (ratio - 1):+.1f}%)")
    print(f"loop bookkeeping per batch (a step that only returns a 0-d tensor): "
          f"{1e6 * per_batch_overhead(device):.1f} us, against "
          f"{1e6 * best['bare'] / (args.epochs * (len(data) // 64)):.0f} us per batch of work")
    return ratio


def per_batch_overhead(device, n_batches=20000, repeats=5):
    """Seconds per batch that loop() adds around a step, minus a bare Python for-loop."""
    value = torch.zeros((), device=device)
    out = {"loss": value, "n": 64}
    batches = range(n_batches)

    def bare():
        total = torch.zeros((), device=device)
        for _ in batches:
            total += out["loss"] * 64
        return total.item()

    def ours():
        loop(lambda b: out, batches, 1, progress=False, verbose=False)

    best = {}
    for name, f in (("bare", bare), ("loop", ours)):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            f()
            runs.append(time.perf_counter() - start)
        best[name] = min(runs)
    return (best["loop"] - best["bare"]) / n_batches


if __name__ == "__main__":
    main()
