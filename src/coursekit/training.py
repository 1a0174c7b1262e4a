"""A plain, device-aware training loop that later chapters reuse.

``fit`` is the loop every reader has seen written out once (in the backprop chapter): for each
epoch, for each mini-batch, move the batch to the device, compute the loss, ``backward``, step the
optimizer; then evaluate. It adds only what a book needs: a live progress bar (tqdm) that is
removed when the loop ends, a :class:`History` of per-epoch metrics, and one stable summary line.

Per-batch losses are accumulated on the device and read back once per epoch, so the loop adds no
host-device synchronisation to a bare loop; ``tests/test_training.py`` measures the overhead.

Taught in: the loop itself is written out by hand in the backprop chapter; later chapters (CNNs,
optimizers, GANs) call :func:`fit`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from coursekit.runtime import get_device, progress_enabled

__all__ = ["History", "fit", "evaluate", "accuracy"]


@dataclass
class History:
    """Per-epoch record of a training run: ``history["train_loss"][e]`` is epoch ``e``'s value."""

    metrics: dict = field(default_factory=dict)

    def append(self, name: str, value: float) -> None:
        self.metrics.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list:
        if name not in self.metrics:
            raise KeyError(f"{name!r} not recorded; available: {sorted(self.metrics)}")
        return self.metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self.metrics

    def last(self, name: str) -> float:
        """The value of ``name`` at the final epoch."""
        return self[name][-1]

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in self.metrics.items()}

    @property
    def epochs(self) -> int:
        return len(self.metrics.get("train_loss", []))


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of rows whose arg-max equals the target: logits (N, C), targets (N,) -> scalar."""
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"logits must be (N, C) and targets (N,), got {tuple(logits.shape)} and "
            f"{tuple(targets.shape)}"
        )
    return (logits.argmax(dim=1) == targets).float().mean()


def _check_args(model, loader, loss_fn, epochs):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(loader, Iterable):
        raise TypeError("train_loader must be an iterable of (inputs, targets) batches")
    if not callable(loss_fn):
        raise TypeError("loss_fn must be callable as loss_fn(outputs, targets)")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable,
    metrics: Mapping[str, Callable] | None = None,
    device: torch.device | str | None = None,
) -> dict:
    """Mean loss and metrics of ``model`` over ``loader`` (weighted by batch size).

    Returns
    -------
    dict
        ``{"loss": float, <metric name>: float, ...}``.
    """
    device = get_device() if device is None else torch.device(device)
    metrics = {} if metrics is None else dict(metrics)
    was_training = model.training
    model.eval()
    totals = {name: torch.zeros((), device=device) for name in ["loss", *metrics]}
    count = 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        out = model(xb)
        n = xb.shape[0]
        totals["loss"] += loss_fn(out, yb).detach() * n
        for name, fn in metrics.items():
            totals[name] += fn(out, yb).detach() * n
        count += n
    model.train(was_training)
    if count == 0:
        raise ValueError("loader yielded no batches")
    return {name: (t / count).item() for name, t in totals.items()}


def fit(
    model: nn.Module,
    train_loader: Iterable,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    val_loader: Iterable | None = None,
    metrics: Mapping[str, Callable] | None = None,
    device: torch.device | str | None = None,
    scheduler=None,
    progress: bool | None = None,
    name: str = "fit",
    verbose: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return a :class:`History`.

    One epoch is the textbook loop: for each batch ``(x, y)``,
    ``loss = loss_fn(model(x), y); optimizer.zero_grad(); loss.backward(); optimizer.step()``.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device``.
    train_loader : iterable of (inputs, targets)
        Typically a ``torch.utils.data.DataLoader``.
    loss_fn : callable
        ``loss_fn(outputs, targets) -> scalar tensor`` (a mean over the batch).
    optimizer : torch.optim.Optimizer
        Built over ``model.parameters()``.
    epochs : int
        Number of passes, >= 1.
    val_loader : iterable, optional
        Evaluated after each epoch (``val_loss`` and ``val_<metric>`` in the history).
    metrics : mapping name -> callable, optional
        Extra per-batch metrics such as ``{"accuracy": coursekit.training.accuracy}``.
    device : torch.device or str, optional
        Defaults to :func:`coursekit.get_device`.
    scheduler : optional
        A learning-rate scheduler stepped once per epoch.
    progress : bool, optional
        Draw a live progress bar; defaults to :func:`coursekit.progress_enabled`. The bar is
        removed when the loop ends.
    name : str
        Prefix of the summary line.
    verbose : bool
        Print the summary line when training ends.

    Returns
    -------
    History
        ``train_loss`` (mean over the epoch's samples), ``val_loss`` and metrics if requested,
        ``seconds`` (wall time per epoch).

    Raises
    ------
    FloatingPointError
        If the training loss becomes NaN or infinite (with the epoch where it happened).
    """
    _check_args(model, train_loader, loss_fn, epochs)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    device = get_device() if device is None else torch.device(device)
    metrics = {} if metrics is None else dict(metrics)
    progress = progress_enabled() if progress is None else bool(progress)
    model.to(device)
    history = History()

    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = len(train_loader) * epochs if hasattr(train_loader, "__len__") else None
        bar = tqdm(total=total, desc=name, leave=False)

    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            total_loss = torch.zeros((), device=device)  # accumulated on the device: no sync
            count = 0
            for xb, yb in train_loader:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total_loss += loss.detach() * xb.shape[0]
                count += xb.shape[0]
                if bar is not None:
                    bar.update(1)
            if count == 0:
                raise ValueError("train_loader yielded no batches")
            if scheduler is not None:
                scheduler.step()
            train_loss = (total_loss / count).item()  # one sync per epoch
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss became {train_loss} at epoch {epoch}: lower the learning rate"
                )
            history.append("train_loss", train_loss)
            if val_loader is not None:
                scores = evaluate(model, val_loader, loss_fn, metrics, device)
                history.append("val_loss", scores.pop("loss"))
                for key, value in scores.items():
                    history.append(f"val_{key}", value)
            history.append("seconds", time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix(loss=f"{train_loss:.4f}", epoch=epoch)
    finally:
        if bar is not None:
            bar.close()

    if verbose:
        print(_summary(name, history))
    return history


def _summary(name: str, history: History) -> str:
    # Rounded to 3 decimals: stable across runs on one machine, and what a reader needs.
    parts = [f"{name}: {history.epochs} epochs", f"train loss {history.last('train_loss'):.3f}"]
    for key in history.metrics:
        if key.startswith("val_"):
            parts.append(f"{key.replace('_', ' ')} {history.last(key):.3f}")
    return ", ".join(parts)
