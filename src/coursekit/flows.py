r"""Normalizing flows: invertible layers with a tractable log-determinant, and a flow container.

One contract for every layer (as in the ``normflows`` package): a layer is a ``torch.nn.Module``
with

- ``forward(x) -> (z, log_det)``: the *normalizing* direction, data ``x`` of shape ``(n, d)`` to
  base ``z`` of shape ``(n, d)``, with ``log_det`` of shape ``(n,)`` the log-absolute-determinant
  :math:`\log |\det \partial z / \partial x|` at each sample;
- ``inverse(z) -> x``: the *generative* direction, the exact inverse of ``forward``. It returns
  ``x`` only; the log-determinant of a generated point is ``-forward(x)[1]``.

A :class:`Flow` chains layers :math:`f = f_K \circ \dots \circ f_1` over a standard normal base
and evaluates the change of variables

.. math::
    \log p_X(x) = \log \mathcal N\bigl(f(x); 0, I_d\bigr)
    + \sum_{k=1}^{K} \log \bigl|\det J_{f_k}(x_{k-1})\bigr|, \qquad x_0 = x,\ x_k = f_k(x_{k-1}).

The RealNVP affine coupling layer (:class:`AffineCoupling`, Dinh, Sohl-Dickstein and Bengio,
*Density estimation using Real NVP*, ICLR 2017) keeps the coordinates where ``mask == 1`` and
maps the others by :math:`z = x\, e^{s(x_m)} + t(x_m)`, so its Jacobian is triangular and
:math:`\log|\det J| = \sum_{j: m_j = 0} s_j(x_m)`.

Inputs may be tensors, NumPy arrays or nested lists; they are converted to the dtype of the
layer's parameters (``float32`` by default; call ``.double()`` on a layer or flow for float64).

Taught in: the normalizing-flows chapter (chapters/normalizing_flows/normalizing_flows.ipynb),
which writes the coupling layer out and checks it against this copy.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from coursekit._checks import as_array, check_int, check_real
from coursekit.runtime import torch_generator

__all__ = ["AffineCoupling", "Reverse", "Flow", "standard_normal_log_prob", "LAYERS"]


def _dtype_of(module: nn.Module) -> torch.dtype:
    for p in module.parameters():
        return p.dtype
    for b in module.buffers():
        if b.is_floating_point():
            return b.dtype
    return torch.get_default_dtype()


def _device_of(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def _as_batch(x, dim: int, name: str, dtype: torch.dtype, device=None) -> torch.Tensor:
    """``x`` as a finite floating tensor of shape (n, dim), n >= 1, in ``dtype``.

    A tensor keeps its autograd graph (the flows are differentiated through).
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        t = x
    else:
        t = torch.from_numpy(np.array(as_array(x, name, finite=False)))
    if t.ndim != 2 or t.shape[1] != dim or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, {dim}) with n >= 1, got {tuple(t.shape)}")
    if not bool(torch.isfinite(t.detach()).all()):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return t.to(dtype=dtype, device=device if device is not None else t.device)


def standard_normal_log_prob(z) -> torch.Tensor:
    r"""Log-density of the standard normal :math:`\mathcal N(0, I_d)` at each row of ``z``.

    .. math:: \log \mathcal N(z; 0, I_d) = -\tfrac12 \|z\|^2 - \tfrac d2 \log 2\pi.

    Parameters
    ----------
    z : tensor or array, shape (n, d)

    Returns
    -------
    torch.Tensor, shape (n,)
        In the dtype of ``z`` (float64 for arrays).

    Examples
    --------
    >>> round(float(standard_normal_log_prob(torch.zeros(1, 2))[0]), 6)  # -log(2 pi)
    -1.837877
    """
    if isinstance(z, torch.Tensor):
        if z.is_complex() or z.dtype == torch.bool:
            raise TypeError(f"z must hold real numbers, got dtype {z.dtype}")
        t = z if z.is_floating_point() else z.double()
    else:
        t = torch.from_numpy(np.array(as_array(z, "z", finite=False)))
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"z must have shape (n, d) with n, d >= 1, got {tuple(t.shape)}")
    if not bool(torch.isfinite(t.detach()).all()):
        raise ValueError("z must be finite (it holds NaN or inf)")
    d = t.shape[1]
    return -0.5 * (t**2).sum(dim=1) - 0.5 * d * math.log(2 * math.pi)


class AffineCoupling(nn.Module):
    r"""RealNVP affine coupling layer with a soft-clamped scale.

    With the binary ``mask`` :math:`m` and :math:`x_m = m \odot x`,

    .. math::
        z = m \odot x + (1 - m) \odot \bigl(x\, e^{s(x_m)} + t(x_m)\bigr), \qquad
        \log|\det \partial z/\partial x| = \sum_j (1 - m_j)\, s_j(x_m),

        x = m \odot z + (1 - m) \odot \bigl(z - t(z_m)\bigr)\, e^{-s(z_m)} \quad
        (\text{since } z_m = x_m),

    where :math:`(\tilde s, t)` is the output of an MLP of :math:`x_m` (``hidden`` units,
    ``n_hidden`` hidden layers, tanh) and :math:`s = c \tanh(\tilde s / c)` with
    :math:`c` = ``scale_clamp``, so that :math:`|s| < c` and no step of training can make the
    layer explode. The last linear layer starts at zero: a new layer is the identity.

    Parameters
    ----------
    mask : sequence of 0 and 1, length d >= 2
        1 marks the coordinates that pass through and condition the others; it needs at least
        one 1 and one 0.
    hidden : int
        Width of the conditioner's hidden layers (>= 1).
    n_hidden : int
        Number of hidden layers (>= 1).
    scale_clamp : float
        The bound :math:`c > 0` of :math:`|s|`.

    Examples
    --------
    >>> layer = AffineCoupling([1, 0], hidden=8)
    >>> x = torch.randn(5, 2)
    >>> z, log_det = layer(x)
    >>> tuple(z.shape), tuple(log_det.shape)
    ((5, 2), (5,))
    >>> bool(torch.allclose(layer.inverse(z), x))
    True
    """

    def __init__(self, mask, hidden: int = 64, n_hidden: int = 2, scale_clamp: float = 3.0):
        super().__init__()
        m = as_array(mask, "mask", ndim=1)
        if m.size < 2 or not np.all((m == 0) | (m == 1)) or m.min() == m.max():
            raise ValueError(f"mask must be a 1-D sequence of 0 and 1 of length >= 2 holding "
                             f"both values, got {m.tolist()}")
        hidden = check_int(hidden, "hidden", low=1)
        n_hidden = check_int(n_hidden, "n_hidden", low=1)
        self.scale_clamp = check_real(scale_clamp, "scale_clamp", positive=True)
        d = m.size
        self.dim = d
        self.register_buffer("mask", torch.tensor(m, dtype=torch.get_default_dtype()))
        layers: list[nn.Module] = [nn.Linear(d, hidden), nn.Tanh()]
        for _ in range(n_hidden - 1):
            layers += [nn.Linear(hidden, hidden), nn.Tanh()]
        layers.append(nn.Linear(hidden, 2 * d))
        self.net = nn.Sequential(*layers)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def _scale_shift(self, x_m: torch.Tensor):
        raw_s, t = self.net(x_m).chunk(2, dim=1)
        s = self.scale_clamp * torch.tanh(raw_s / self.scale_clamp)
        keep = 1 - self.mask
        return s * keep, t * keep  # zero on the coordinates that pass through

    def forward(self, x):
        """``(z, log_det)`` for data ``x`` of shape (n, d); ``log_det`` has shape (n,)."""
        return self._forward(_as_batch(x, self.dim, "x", _dtype_of(self), _device_of(self)))

    def inverse(self, z):
        """``x`` with ``forward(x)[0] == z``, for ``z`` of shape (n, d)."""
        return self._inverse(_as_batch(z, self.dim, "z", _dtype_of(self), _device_of(self)))

    # Unchecked versions, called by Flow once it has checked its input (no device sync per layer).
    def _forward(self, x):
        s, t = self._scale_shift(x * self.mask)
        z = x * torch.exp(s) + t  # s = t = 0 where mask == 1
        return z, s.sum(dim=1)

    def _inverse(self, z):
        s, t = self._scale_shift(z * self.mask)
        return (z - t) * torch.exp(-s)

    def extra_repr(self) -> str:
        return f"mask={self.mask.int().tolist()}, scale_clamp={self.scale_clamp}"


class Reverse(nn.Module):
    r"""Reverse the order of the coordinates: :math:`z_j = x_{d-1-j}`, :math:`\log|\det| = 0`.

    Placed between coupling layers, it lets the next layer transform what the previous one
    passed through.

    Parameters
    ----------
    dim : int
        The dimension d >= 1.

    Examples
    --------
    >>> z, log_det = Reverse(3)(torch.tensor([[1.0, 2.0, 3.0]]))
    >>> z.tolist(), log_det.tolist()
    ([[3.0, 2.0, 1.0]], [0.0])
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int(dim, "dim", low=1)
        self.register_buffer("_dtype_probe", torch.zeros(()), persistent=False)

    def forward(self, x):
        """``(x reversed, zeros(n))``."""
        return self._forward(_as_batch(x, self.dim, "x", _dtype_of(self)))

    def inverse(self, z):
        """The reversal is its own inverse."""
        return self._inverse(_as_batch(z, self.dim, "z", _dtype_of(self)))

    def _forward(self, x):
        return x.flip(1), torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)

    def _inverse(self, z):
        return z.flip(1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


#: The flow layers this module exports; the shared round-trip test runs over all of them.
LAYERS = (AffineCoupling, Reverse)


class Flow(nn.Module):
    r"""A normalizing flow: layers :math:`f_1, \dots, f_K` over a standard normal base.

    ``forward(x)`` applies :math:`f_1` first and returns ``(z, log_det)`` with the summed
    log-determinants; ``inverse(z)`` applies the inverses in reverse order and returns ``x``;
    :meth:`log_prob` and :meth:`sample` give the density and samples of the model.

    Parameters
    ----------
    layers : sequence of modules
        Each with ``forward(x) -> (z, log_det)`` and ``inverse(z) -> x`` (at least one).
    dim : int
        The dimension d of data and base.

    Examples
    --------
    >>> flow = Flow([AffineCoupling([1, 0], hidden=8), Reverse(2)], dim=2)
    >>> x = flow.sample(4, rng=0)
    >>> tuple(x.shape), tuple(flow.log_prob(x).shape)
    ((4, 2), (4,))
    >>> new = Flow([AffineCoupling([0, 1], hidden=8)], dim=2)  # a new coupling is the identity
    >>> bool(torch.allclose(new.log_prob(x), standard_normal_log_prob(x)))
    True
    """

    def __init__(self, layers, dim: int):
        super().__init__()
        self.dim = check_int(dim, "dim", low=1)
        if isinstance(layers, nn.Module) or not hasattr(layers, "__iter__"):
            raise TypeError("layers must be a sequence of flow layers (modules with forward "
                            "and inverse)")
        layers = list(layers)
        if not layers:
            raise ValueError("layers must hold at least one flow layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, nn.Module) or not callable(getattr(layer, "inverse", None)):
                raise TypeError(f"layers[{i}] must be a torch.nn.Module with an inverse method, "
                                f"got {type(layer).__name__}")
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        """``(z, log_det)``: data (n, d) to base (n, d), summed log-determinant (n,)."""
        x = _as_batch(x, self.dim, "x", _dtype_of(self), _device_of(self))
        total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:  # the package's layers skip their own input checks
            x, log_det = layer._forward(x) if hasattr(layer, "_forward") else layer(x)
            total = total + log_det
        return x, total

    def inverse(self, z):
        """``x`` with ``forward(x)[0] == z``: the layers' inverses in reverse order."""
        z = _as_batch(z, self.dim, "z", _dtype_of(self), _device_of(self))
        for layer in reversed(self.layers):
            z = layer._inverse(z) if hasattr(layer, "_inverse") else layer.inverse(z)
        return z

    def log_prob(self, x) -> torch.Tensor:
        """Exact ``log p(x)`` of the model for ``x`` of shape (n, d); returns shape (n,)."""
        z, log_det = self(x)
        return standard_normal_log_prob(z) + log_det

    @torch.no_grad()
    def sample(self, n: int, rng=None) -> torch.Tensor:
        """``n`` samples ``inverse(z)``, ``z ~ N(0, I)`` drawn from ``rng`` (a seed, a NumPy
        Generator or None for seed 0, :func:`coursekit.runtime.torch_generator`), shape (n, d).

        The samples carry no autograd graph; to differentiate through sampling (variational
        inference), draw ``z`` yourself and call :meth:`inverse`."""
        n = check_int(n, "n", low=1)
        dev = _device_of(self)
        gen = torch_generator(rng, device=dev)
        z = torch.randn(n, self.dim, generator=gen, device=dev, dtype=_dtype_of(self))
        return self.inverse(z)
