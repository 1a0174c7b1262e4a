"""One training loop for every chapter: the reader writes the step, :func:`loop` does the rest.

A chapter's training is a function ``step(batch) -> dict`` that does one update (forward, loss,
``backward``, optimizer step, or two optimizers taking turns for a GAN, or a loss with a random
diffusion time) and returns the numbers to record for that batch. :func:`loop` calls it on every
batch of every epoch and owns what is the same everywhere: a live progress bar (tqdm, switched
by ``COURSEKIT_PROGRESS``) that is removed when the loop ends, a :class:`History` of per-epoch
means, the check that no recorded number became NaN or infinite, the per-epoch wall time
``seconds``, optional learning-rate schedulers stepped once per epoch, and one stable summary line.

:func:`fit` is the supervised case written once: its step is the textbook
``loss = loss_fn(model(x), y); zero_grad; backward; step`` on ``(x, y)`` batches.

Per-batch values given as tensors are accumulated on their device and read back once per epoch,
so the loop adds no host-device synchronisation to a bare loop; ``bench/training.py`` measures
the overhead.

Taught in: the loop itself is written out by hand in the backprop chapter; later chapters (CNNs,
optimizers, GANs, flows, diffusion) write their ``step`` in the notebook and call :func:`loop`,
or call :func:`fit`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import torch
from torch import nn

from coursekit._checks import check_bool, check_callable, check_int
from coursekit.runtime import progress_enabled, resolve_device

__all__ = ["History", "loop", "fit", "evaluate", "accuracy", "model_device"]

#: The key of a step's result that weights the batch in the epoch mean (default weight 1).
WEIGHT_KEY = "n"


@dataclass
class History:
    """Per-epoch record of a training run: ``history["train_loss"][e]`` is epoch ``e``'s value.

    Examples
    --------
    >>> h = History()
    >>> h.append("train_loss", 0.5); h.append("train_loss", 0.25)
    >>> h.last("train_loss"), h.epochs
    (0.25, 2)
    """

    metrics: dict = field(default_factory=dict)

    def append(self, name: str, value: float) -> None:
        """Record ``value`` as the next epoch's ``name``."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
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
        """A plain ``{name: list of per-epoch values}`` copy."""
        return {k: list(v) for k, v in self.metrics.items()}

    @property
    def epochs(self) -> int:
        """Number of epochs recorded (the length of the longest series)."""
        return max((len(v) for v in self.metrics.values()), default=0)


def model_device(model: nn.Module) -> torch.device:
    """The device of a model's first parameter (or buffer); the CPU for a model without any.

    Examples
    --------
    >>> model_device(nn.Linear(2, 1))
    device(type='cpu')
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def _as_tensor(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a tensor or an array, got {type(x).__name__}")
    try:
        return torch.as_tensor(np.asarray(x))
    except (ValueError, TypeError) as err:
        raise TypeError(f"{name} must be a tensor or a rectangular array of numbers ({err})") \
            from None


def accuracy(logits, targets) -> torch.Tensor:
    """Fraction of rows whose arg-max equals the target: logits (N, C), targets (N,) -> scalar.

    NumPy arrays are accepted too; the result is a 0-d float tensor on the device of ``logits``.

    Examples
    --------
    >>> float(accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0])))
    0.5
    """
    logits, targets = _as_tensor(logits, "logits"), _as_tensor(targets, "targets")
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            f"logits must be (N, C) and targets (N,), got {tuple(logits.shape)} and "
            f"{tuple(targets.shape)}"
        )
    if logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must hold at least one sample and one class, got shape "
                         f"{tuple(logits.shape)}")
    if targets.is_floating_point() or targets.is_complex() or targets.dtype == torch.bool:
        raise TypeError(f"targets must hold integer class indices, got dtype {targets.dtype}")
    if logits.is_complex() or logits.dtype == torch.bool:
        raise TypeError(f"logits must hold real scores, got dtype {logits.dtype}")
    if logits.is_floating_point() and not bool(torch.isfinite(logits).all()):
        raise ValueError("logits must be finite (they hold NaN or inf)")
    return (logits.argmax(dim=1) == targets.to(logits.device)).float().mean()


def _split_batch(batch):
    """``(inputs, targets)`` from a supervised batch; a clear error for anything else."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    raise ValueError(
        "train_loader must yield (inputs, targets) pairs; for batches without targets write a "
        f"step and call coursekit.training.loop (got a {type(batch).__name__})"
    )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable,
    metrics: Mapping[str, Callable] | None = None,
    device: torch.device | str | None = None,
) -> dict:
    """Mean loss and metrics of ``model`` over ``loader`` (weighted by batch size).

    The model is evaluated in eval mode, on its own device (that of its parameters) unless
    ``device`` names another one; its train/eval mode is restored afterwards, also when the loss
    or a metric raises.

    Returns
    -------
    dict
        ``{"loss": float, <metric name>: float, ...}``.

    Examples
    --------
    >>> model = nn.Linear(2, 1, bias=False); _ = nn.init.zeros_(model.weight)
    >>> batches = [(torch.ones(4, 2), torch.ones(4, 1))]
    >>> evaluate(model, batches, nn.MSELoss())
    {'loss': 1.0}
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(loader, Iterable):
        raise TypeError("loader must be an iterable of (inputs, targets) batches")
    check_callable(loss_fn, "loss_fn", "loss_fn(outputs, targets)")
    metrics = _check_metrics(metrics)
    device = model_device(model) if device is None else resolve_device(device)
    was_training = model.training
    model.eval()
    try:
        totals = {name: torch.zeros((), device=device) for name in ["loss", *metrics]}
        count = 0
        for batch in loader:
            xb, yb = _split_batch(batch)
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            n = xb.shape[0]
            totals["loss"] += loss_fn(out, yb).detach() * n
            for name, fn in metrics.items():
                totals[name] += fn(out, yb).detach() * n
            count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("loader yielded no batches")
    return {name: (t / count).item() for name, t in totals.items()}


def _check_metrics(metrics) -> dict:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a mapping name -> callable, got {type(metrics).__name__}")
    for key, fn in metrics.items():
        if not isinstance(key, str):
            raise TypeError(f"metrics keys must be str, got {type(key).__name__}")
        check_callable(fn, f"metrics[{key!r}]", "fn(outputs, targets)")
    return dict(metrics)


def _check_schedulers(scheduler) -> list:
    if scheduler is None:
        return []
    items = list(scheduler) if isinstance(scheduler, Sequence) else [scheduler]
    for s in items:
        if not callable(getattr(s, "step", None)):
            raise TypeError(
                f"scheduler must have a step() method (a torch.optim.lr_scheduler), or be a "
                f"sequence of such; got {type(s).__name__}"
            )
    return items


def loop(
    step: Callable[[object], Mapping],
    batches: Iterable,
    epochs: int,
    *,
    on_epoch_end: Callable[[int], Mapping | None] | None = None,
    scheduler=None,
    progress: bool | None = None,
    name: str = "loop",
    verbose: bool = True,
) -> History:
    """Call ``step(batch)`` on every batch for ``epochs`` epochs; return a :class:`History`.

    Parameters
    ----------
    step : callable
        ``step(batch) -> {name: value}``: one update on one batch, returning the numbers to
        record (floats or 0-d tensors, e.g. ``loss.detach()``; tensors stay on their device until
        the epoch ends). The optional entry ``"n"`` weights the batch in the epoch mean (e.g. the
        batch size); without it every batch weighs 1. The ``step`` owns the optimizers: a GAN's
        step updates the discriminator and then the generator.
    batches : iterable
        Iterated once per epoch (a ``DataLoader``, a list of tensors, ...). Batches need not be
        ``(x, y)`` pairs: they are passed to ``step`` as they come.
    epochs : int
        Number of passes, >= 1.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch) -> {name: float} or None``, called after each epoch (epochs count
        from 1); what it returns is recorded too (validation scores, samples drawn, ...).
    scheduler : object with ``step()``, or a sequence of them, optional
        Learning-rate schedulers, each stepped once at the end of every epoch.
    progress : bool, optional
        Draw a live progress bar; defaults to :func:`coursekit.progress_enabled`. The bar is
        removed when the loop ends.
    name : str
        Prefix of the summary line.
    verbose : bool
        Print the summary line when the loop ends: ``"<name>: <E> epochs, <metric> <value>,
        ..."``, each recorded metric (but ``seconds``) at its last epoch, to 3 decimals, with
        underscores shown as spaces.

    Returns
    -------
    History
        The epoch mean of each value ``step`` returned (but ``"n"``), what ``on_epoch_end``
        returned, and ``seconds``, the wall time of each epoch.

    Raises
    ------
    FloatingPointError
        If a recorded value becomes NaN or infinite (naming it and the epoch).
    ValueError
        If an epoch has no batch.

    Examples
    --------
    >>> w = torch.zeros(1, requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.5)
    >>> def step(x):  # minimise the mean of (w - x)^2 over batches without targets
    ...     loss = ((w - x) ** 2).mean()
    ...     opt.zero_grad(); loss.backward(); opt.step()
    ...     return {"loss": loss.detach(), "n": len(x)}
    >>> history = loop(step, [torch.full((4,), 2.0)], epochs=5, progress=False, name="demo")
    demo: 5 epochs, loss 0.000
    >>> round(w.item(), 6)
    2.0
    """
    check_callable(step, "step", "step(batch) -> dict")
    if not isinstance(batches, Iterable):
        raise TypeError(f"batches must be an iterable of batches, got {type(batches).__name__}")
    epochs = check_int(epochs, "epochs", low=1)
    if on_epoch_end is not None:
        check_callable(on_epoch_end, "on_epoch_end", "on_epoch_end(epoch)")
    schedulers = _check_schedulers(scheduler)
    progress = progress_enabled() if progress is None else check_bool(progress, "progress")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    verbose = check_bool(verbose, "verbose")
    history = History()

    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = len(batches) * epochs if hasattr(batches, "__len__") else None
        bar = tqdm(total=total, desc=name, leave=False)

    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            sums: dict = {}
            weight = 0.0
            for batch in batches:
                out = step(batch)
                if not isinstance(out, Mapping):
                    raise TypeError(f"step must return a dict of numbers, got {type(out).__name__}")
                n = out.get(WEIGHT_KEY, 1)
                for key, value in out.items():
                    if key != WEIGHT_KEY:
                        sums[key] = sums.get(key, 0.0) + _scalar(value, key) * n
                weight += n
                if bar is not None:
                    bar.update(1)
            if weight == 0:
                raise ValueError(f"batches yielded no batches (epoch {epoch})")
            for s in schedulers:
                s.step()
            means = {key: float(total) / weight for key, total in sums.items()}  # one sync
            if on_epoch_end is not None:
                extra = on_epoch_end(epoch)
                if extra is not None:
                    if not isinstance(extra, Mapping):
                        raise TypeError("on_epoch_end must return a dict of numbers or None, "
                                        f"got {type(extra).__name__}")
                    means.update({k: float(_scalar(v, k)) for k, v in extra.items()})
            for key, value in means.items():
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"{key} became {value} at epoch {epoch}: lower the learning rate"
                    )
                history.append(key, value)
            history.append("seconds", time.perf_counter() - start)
            if bar is not None and means:
                first = next(iter(means))
                bar.set_postfix({first: f"{means[first]:.4f}", "epoch": epoch})
    finally:
        if bar is not None:
            bar.close()

    if verbose:
        print(_summary(name, history))
    return history


def _scalar(value, key: str):
    """A float, or a detached 0-d tensor left on its device (no synchronisation)."""
    if isinstance(value, torch.Tensor):
        if value.ndim == 0:
            return value.detach()
        if value.numel() != 1:
            raise ValueError(f"step's value {key!r} must be a scalar, got shape "
                             f"{tuple(value.shape)}")
        return value.detach().reshape(())
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"step's value {key!r} must be a number or a 0-d tensor, got "
                    f"{type(value).__name__}")


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
    It is :func:`loop` with that step.

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
        Extra metrics of the validation set such as ``{"accuracy": coursekit.training.accuracy}``.
    device : torch.device or str, optional
        Defaults to :func:`coursekit.get_device`; an absent device is a ``ValueError``.
    scheduler : optional
        A learning-rate scheduler (or a sequence of them) stepped once per epoch.
    progress : bool, optional
        Draw a live progress bar; defaults to :func:`coursekit.progress_enabled`. The bar is
        removed when the loop ends.
    name : str
        Prefix of the summary line.
    verbose : bool
        Print the summary line when training ends:
        ``"fit: 3 epochs, train loss 0.123, val loss 0.145, val accuracy 0.950"``.

    Returns
    -------
    History
        ``train_loss`` (mean over the epoch's samples), ``val_loss`` and metrics if requested,
        ``seconds`` (wall time per epoch).

    Raises
    ------
    FloatingPointError
        If the training loss becomes NaN or infinite (with the epoch where it happened).

    Examples
    --------
    >>> torch.manual_seed(0) and None
    >>> model = nn.Linear(1, 1)
    >>> x = torch.linspace(-1, 1, 32)[:, None]; data = [(x, 3 * x)]
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.5)
    >>> h = fit(model, data, nn.MSELoss(), opt, epochs=50, device="cpu", progress=False)
    fit: 50 epochs, train loss 0.000
    >>> round(model.weight.item(), 3)
    3.0
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(train_loader, Iterable):
        raise TypeError("train_loader must be an iterable of (inputs, targets) batches")
    check_callable(loss_fn, "loss_fn", "loss_fn(outputs, targets)")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    epochs = check_int(epochs, "epochs", low=1)
    if val_loader is not None and not isinstance(val_loader, Iterable):
        raise TypeError("val_loader must be an iterable of (inputs, targets) batches or None")
    metrics = _check_metrics(metrics)
    device = resolve_device(device)
    model.to(device)
    model.train()

    def step(batch):
        xb, yb = _split_batch(batch)
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"train_loss": loss.detach(), WEIGHT_KEY: xb.shape[0]}

    def validate(epoch):
        scores = evaluate(model, val_loader, loss_fn, metrics, device)
        return {f"val_{key}": value for key, value in scores.items()}

    try:
        return loop(step, train_loader, epochs, on_epoch_end=None if val_loader is None
                    else validate, scheduler=scheduler, progress=progress, name=name,
                    verbose=verbose)
    except ValueError as err:
        if "yielded no batches" in str(err):
            raise ValueError("train_loader yielded no batches") from None
        raise


def _summary(name: str, history: History) -> str:
    # Rounded to 3 decimals: stable across runs on one machine, and what a reader needs.
    parts = [f"{name}: {history.epochs} epochs"]
    for key, values in history.metrics.items():
        if key != "seconds":
            parts.append(f"{key.replace('_', ' ')} {values[-1]:.3f}")
    return ", ".join(parts)
