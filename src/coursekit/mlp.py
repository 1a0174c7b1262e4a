r"""A multilayer perceptron in NumPy with backpropagation written out by hand.

The network follows the notation of the backprop chapter. Layer :math:`l = 1, \dots, L` maps
the previous activation :math:`a^{(l-1)}` (with :math:`a^{(0)} = x`) to

.. math::
    z^{(l)} = \theta_1^{(l)} a^{(l-1)} + \theta_0^{(l)}, \qquad a^{(l)} = f(z^{(l)}),
    \qquad \hat y = a^{(L)} = \tilde f(z^{(L)}),

with weights :math:`\theta_1^{(l)} \in \mathbb R^{n_l \times n_{l-1}}` (``weights[l-1]``, the
same layout as ``torch.nn.Linear.weight``) and biases :math:`\theta_0^{(l)} \in \mathbb R^{n_l}`
(``biases[l-1]``). Arrays hold a batch of :math:`N` samples along the first axis, so in code the
layer reads ``Z = A_prev @ W.T + b`` with ``A_prev`` of shape ``(N, n_{l-1})``.

Backpropagation computes the errors :math:`\delta^{(l)} = \partial C / \partial z^{(l)}` from
the output layer down,

.. math::
    \delta^{(l-1)} = \big(\theta_1^{(l)}\big)^{\!\top} \delta^{(l)} \circ f'(z^{(l-1)}), \qquad
    \frac{\partial C}{\partial \theta_1^{(l)}} = \delta^{(l)} \big(a^{(l-1)}\big)^{\!\top},
    \qquad \frac{\partial C}{\partial \theta_0^{(l)}} = \delta^{(l)},

summed over the samples of the batch (``dW = Delta.T @ A_prev``). The output error
:math:`\delta^{(L)}` is :math:`(\hat y - y)/N` for a softmax output with cross entropy and
:math:`(\hat y - y) \circ \tilde f'(z^{(L)})/N` for mean squared error, which is
:math:`(\hat y - y)\,\hat y(1 - \hat y)/N` with a sigmoid output.

Losses are means over the batch: cross entropy :math:`C = -\frac1N \sum_n \log \hat y_{n,y_n}`
and squared error :math:`C = \frac{1}{2N} \sum_n \lVert \hat y_n - y_n \rVert^2` (the factor
1/2 is the convention under which the sigmoid rule above has no factor 2).

Taught in: the backprop chapter (chapters/backprop/backprop.ipynb); the homework reuses it.

References
----------
D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by back-propagating
errors", Nature 323, 533-536, 1986.
I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016, section 6.5.
"""

from __future__ import annotations

import numpy as np

from coursekit._checks import as_array, check_choice, check_int, check_real

# sigmoid and softmax are taught in the MLE chapter; this module reuses them.
from coursekit.losses import log_softmax, sigmoid, softmax
from coursekit.runtime import _rng_or_old_name, as_generator

__all__ = [
    "ACTIVATIONS",
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "relu",
    "relu_prime",
    "identity",
    "identity_prime",
    "softmax",
    "one_hot",
    "softmax_cross_entropy",
    "mse",
    "init_params",
    "MLP",
]


# ------------------------------------------------------------------------------ activations
def sigmoid_prime(z):
    r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Examples
    --------
    >>> sigmoid_prime([0.0])
    array([0.25])
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    r""":math:`\tanh z = (e^{z} - e^{-z})/(e^{z} + e^{-z})`.

    Examples
    --------
    >>> tanh([0.0])
    array([0.])
    """
    return np.tanh(as_array(z, "z"))


def tanh_prime(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`.

    Examples
    --------
    >>> tanh_prime([0.0])
    array([1.])
    """
    return 1.0 - np.tanh(as_array(z, "z")) ** 2


def relu(z):
    r""":math:`\operatorname{ReLU}(z) = \max(0, z)`.

    Examples
    --------
    >>> relu([-1.0, 2.0])
    array([0., 2.])
    """
    return np.maximum(as_array(z, "z"), 0.0)


def relu_prime(z):
    r"""1 where :math:`z > 0`, else 0 (0 at the kink, as in PyTorch).

    Examples
    --------
    >>> relu_prime([-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    return (as_array(z, "z") > 0).astype(float)


def identity(z):
    """The identity, for a linear output layer (as a float64 array).

    Examples
    --------
    >>> identity([1, 2])
    array([1., 2.])
    """
    return np.array(as_array(z, "z"))


def identity_prime(z):
    """Ones of the shape of ``z``.

    Examples
    --------
    >>> identity_prime([[3.0, 4.0]])
    array([[1., 1.]])
    """
    return np.ones_like(as_array(z, "z"))


#: name -> (f, f'); the hidden activations and the element-wise output activations.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (identity, identity_prime),
}


def _activation(name, argname: str):
    if not isinstance(name, str):
        raise TypeError(f"{argname} must be a str, got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"{argname}={name!r} is unknown; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


# ------------------------------------------------------------------------------ output + loss
def one_hot(y, n_classes: int):
    """Integer labels of shape (N,) -> one-hot rows of shape (N, n_classes).

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    y = as_array(y, "y", integer=True)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y must hold labels in [0, n_classes={n_classes}), got values in "
                         f"[{y.min()}, {y.max()}]")
    out = np.zeros((y.size, n_classes))
    out[np.arange(y.size), y] = 1.0
    return out


def _is_int_like(y) -> bool:
    """Whether ``y`` holds integers (labels), without converting a ragged or odd input."""
    try:
        return np.asarray(y).dtype.kind in "iu"
    except (ValueError, TypeError):
        return False


def _targets(y, n_out: int, n_batch: int):
    """Labels (N,) or targets (N, n_out) -> float targets (N, n_out), checked."""
    labels = _is_int_like(y)
    y = as_array(y, "y", integer=labels)
    if labels and y.ndim == 1:
        y = one_hot(y, n_out)
    y = y.astype(float)
    if y.shape != (n_batch, n_out):
        raise ValueError(
            f"y must have shape ({n_batch},) of integer labels or ({n_batch}, {n_out}), "
            f"got {np.shape(y)}"
        )
    return y


def softmax_cross_entropy(z, y):
    r"""Mean cross entropy of softmax outputs and its gradient with respect to the logits.

    .. math::
        C = -\frac1N \sum_{n} \sum_k y_{nk} \log \operatorname{softmax}(z_n)_k, \qquad
        \frac{\partial C}{\partial z_n} = \frac{\hat y_n - y_n}{N}.

    Parameters
    ----------
    z : array, shape (N, K)
        Logits.
    y : array, shape (N,) of integer labels, or (N, K) of probabilities (rows summing to 1)

    Returns
    -------
    (loss, dz) : float and array of shape (N, K)

    Examples
    --------
    >>> loss, dz = softmax_cross_entropy([[0.0, 0.0]], [1])
    >>> round(loss, 6), dz
    (0.693147, array([[ 0.5, -0.5]]))
    """
    z = as_array(z, "z", ndim=2)
    if z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"z must hold at least one sample and one class, got shape {z.shape}")
    y = _targets(y, z.shape[1], z.shape[0])
    log_p = log_softmax(z, axis=1)  # (N, K), stable: taught in the MLE chapter
    n = z.shape[0]
    loss = -(y * log_p).sum() / n
    return float(loss), (np.exp(log_p) - y) / n


def mse(yhat, y):
    r"""Mean (over the batch) of :math:`\tfrac12 \lVert \hat y_n - y_n \rVert^2` and its gradient
    :math:`(\hat y_n - y_n)/N` with respect to :math:`\hat y`.

    Parameters
    ----------
    yhat : array, shape (N, K)
    y : array, shape (N, K), or (N,) when K = 1

    Returns
    -------
    (loss, dyhat) : float and array of shape (N, K)

    Examples
    --------
    >>> mse([[1.0], [3.0]], [0.0, 1.0])
    (1.25, array([[0.5],
           [1. ]]))
    """
    yhat = as_array(yhat, "yhat", ndim=2)
    if yhat.shape[0] == 0 or yhat.shape[1] == 0:
        raise ValueError(f"yhat must hold at least one sample, got shape {yhat.shape}")
    y = as_array(y, "y")
    if y.ndim == 1 and yhat.shape[1] == 1:
        y = y[:, None]
    if y.shape != yhat.shape:
        raise ValueError(f"y must have the shape of yhat {yhat.shape}, got {y.shape}")
    n = yhat.shape[0]
    diff = yhat - y
    return float(0.5 * (diff**2).sum() / n), diff / n


# ------------------------------------------------------------------------------ the network
def init_params(sizes, init: str = "he", rng=None, dtype=np.float64, *, seed=None):
    r"""Random weights and zero biases for layer sizes :math:`(n_0, n_1, \dots, n_L)`.

    ``"he"``: :math:`\theta_1^{(l)} \sim \mathcal N(0, 2/n_{l-1})` (He et al., 2015, for ReLU);
    ``"xavier"``: :math:`\mathcal N(0, 2/(n_{l-1} + n_l))` (Glorot and Bengio, 2010, for tanh
    and sigmoid).

    Parameters
    ----------
    sizes : sequence of int, length >= 2
    init : {"he", "xavier"}
    rng : numpy.random.Generator, int or None
        Randomness (None means seed 0); ``seed`` is its older name.
    dtype : numpy float dtype

    Returns
    -------
    (weights, biases) : lists of arrays of shapes (n_l, n_{l-1}) and (n_l,)

    Examples
    --------
    >>> W, b = init_params([4, 3, 2], rng=0)
    >>> [w.shape for w in W], [v.shape for v in b]
    ([(3, 4), (2, 3)], [(3,), (2,)])
    """
    sizes = _check_sizes(sizes)
    check_choice(init, "init", ("he", "xavier"))
    rng = as_generator(_rng_or_old_name(rng, seed, "seed"))
    if not (isinstance(dtype, type) or isinstance(dtype, np.dtype)) or \
            not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype must be a NumPy floating dtype, got {dtype!r}")
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        var = 2.0 / n_in if init == "he" else 2.0 / (n_in + n_out)
        weights.append((rng.standard_normal((n_out, n_in)) * np.sqrt(var)).astype(dtype))
        biases.append(np.zeros(n_out, dtype=dtype))
    return weights, biases


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of ints, got {type(sizes).__name__}")
    sizes = [check_int(s, "sizes[i]") for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must hold at least two positive ints, got {sizes}")
    return sizes


_LOSSES = {"cross_entropy": ("softmax",), "mse": ("sigmoid", "identity", "tanh", "relu")}


class MLP:
    r"""A fully connected network trained by hand-written backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        :math:`(n_0, \dots, n_L)`: input dimension, hidden widths, output dimension.
    activation : {"relu", "tanh", "sigmoid", "identity"}
        Hidden activation :math:`f`.
    output : {"softmax", "sigmoid", "identity", "tanh", "relu"}
        Output activation :math:`\tilde f`.
    loss : {"cross_entropy", "mse"}
        ``"cross_entropy"`` goes with ``output="softmax"``; ``"mse"`` with an element-wise
        output.
    init : {"he", "xavier"}, optional
        Defaults to He for ReLU and Xavier otherwise.
    rng : numpy.random.Generator, int or None
        Randomness of the initialization (None means seed 0); ``seed`` is its older name.

    Attributes
    ----------
    weights, biases : lists of numpy arrays, shapes (n_l, n_{l-1}) and (n_l,)
    cache : dict
        After :meth:`forward`: ``"a"`` (activations :math:`a^{(0)}, \dots, a^{(L)}`) and
        ``"z"`` (pre-activations :math:`z^{(1)}, \dots, z^{(L)}`), each of shape (N, n_l).

    Examples
    --------
    >>> net = MLP([64, 32, 10], activation="tanh", rng=0)
    >>> X = np.zeros((5, 64)); y = np.arange(5)
    >>> loss, grads = net.loss_and_grads(X, y)
    >>> [g.shape for g in grads[0]]
    [(32, 64), (10, 32)]
    """

    def __init__(self, sizes, activation: str = "relu", output: str = "softmax",
                 loss: str = "cross_entropy", init: str | None = None, rng=None, *,
                 seed=None):
        self.sizes = _check_sizes(sizes)
        self.activation = activation
        self.f, self.f_prime = _activation(activation, "activation")
        if not isinstance(loss, str) or loss not in _LOSSES:
            raise ValueError(f"loss={loss!r} is unknown; choose one of {sorted(_LOSSES)}")
        if output not in _LOSSES[loss]:
            raise ValueError(f"output={output!r} does not go with loss={loss!r}; "
                             f"allowed: {list(_LOSSES[loss])}")
        self.output, self.loss_name = output, loss
        if init is None:
            init = "he" if activation == "relu" else "xavier"
        rng = _rng_or_old_name(rng, seed, "seed")
        self.weights, self.biases = init_params(self.sizes, init, rng)
        self.cache: dict = {}

    # --- parameters -------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """L, the number of affine layers."""
        return len(self.weights)

    def get_params(self) -> list[np.ndarray]:
        """Copies ``[W1, b1, W2, b2, ...]``."""
        return [p.copy() for pair in zip(self.weights, self.biases, strict=True) for p in pair]

    def set_params(self, params) -> None:
        """Set from ``[W1, b1, W2, b2, ...]`` (shapes must match; arrays are copied)."""
        if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
            raise TypeError(f"params must be a list of arrays, got {type(params).__name__}")
        params = list(params)
        if len(params) != 2 * self.n_layers:
            raise ValueError(f"params must hold {2 * self.n_layers} arrays, got {len(params)}")
        checked = []  # every array is checked before any is set: a bad one changes nothing
        for i, p in enumerate(params):
            target = self.weights[i // 2] if i % 2 == 0 else self.biases[i // 2]
            p = np.array(as_array(p, f"params[{i}]"), dtype=float)  # a copy
            if p.shape != target.shape:
                raise ValueError(f"params[{i}] must have shape {target.shape}, got {p.shape}")
            checked.append(p)
        self.weights = checked[0::2]
        self.biases = checked[1::2]

    # --- forward ----------------------------------------------------------------------------
    def _check_x(self, X):
        X = as_array(X, "X")
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (N, {self.sizes[0]}), got {np.shape(X)}")
        return X

    def forward(self, X):
        r"""Output :math:`\hat y` of shape (N, n_L) for inputs ``X`` of shape (N, n_0).

        Stores the pre-activations and activations of every layer in :attr:`cache`.
        """
        a = self._check_x(X)
        activations, zs = [a], []
        for layer, (W, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            z = a @ W.T + b  # (N, n_l)
            zs.append(z)
            if layer < self.n_layers:
                a = self.f(z)
            elif self.output == "softmax":
                a = softmax(z, axis=1)
            else:
                a = ACTIVATIONS[self.output][0](z)
            activations.append(a)
        self.cache = {"a": activations, "z": zs}
        return activations[-1]

    def loss(self, X, y) -> float:
        """The loss of the network on a batch (runs :meth:`forward`)."""
        return self.loss_and_grads(X, y)[0]

    # --- backward ---------------------------------------------------------------------------
    def output_error(self, y):
        r""":math:`\delta^{(L)} = \partial C/\partial z^{(L)}` of shape (N, n_L), and the loss,
        for the batch of the last :meth:`forward`."""
        if not self.cache:
            raise RuntimeError("call forward(X) before output_error(y) or backward(y)")
        z_out, yhat = self.cache["z"][-1], self.cache["a"][-1]
        if self.loss_name == "cross_entropy":
            loss, delta = softmax_cross_entropy(z_out, y)  # (yhat - y) / N
        else:
            if np.ndim(y) == 1 and np.issubdtype(np.asarray(y).dtype, np.integer) \
                    and yhat.shape[1] > 1:
                y = one_hot(y, yhat.shape[1])
            loss, dyhat = mse(yhat, y)
            delta = dyhat * ACTIVATIONS[self.output][1](z_out)  # (yhat - y) f~'(z) / N
        return loss, delta

    def backward(self, y):
        r"""Gradients of the loss for the batch of the last :meth:`forward`.

        Returns
        -------
        (dWs, dbs) : lists of arrays shaped like :attr:`weights` and :attr:`biases`
        """
        _, delta = self.output_error(y)
        return self._backprop(delta)

    def _backprop(self, delta):
        a, z = self.cache["a"], self.cache["z"]
        dWs, dbs = [None] * self.n_layers, [None] * self.n_layers
        for l in range(self.n_layers, 0, -1):  # layers L, ..., 1; arrays are 0-based
            dWs[l - 1] = delta.T @ a[l - 1]  # sum over samples of delta a^T: (n_l, n_{l-1})
            dbs[l - 1] = delta.sum(axis=0)  # (n_l,)
            if l > 1:
                delta = (delta @ self.weights[l - 1]) * self.f_prime(z[l - 2])  # (N, n_{l-1})
        return dWs, dbs

    def loss_and_grads(self, X, y):
        """Forward and backward on one batch: ``(loss, (dWs, dbs))``."""
        self.forward(X)
        loss, delta = self.output_error(y)
        return loss, self._backprop(delta)

    # --- training ---------------------------------------------------------------------------
    def sgd_step(self, grads, lr: float) -> None:
        r"""One step of gradient descent, :math:`\theta \leftarrow \theta - \eta\,\nabla C`.

        Every gradient is checked before any parameter moves: a bad one changes nothing.
        """
        lr = check_real(lr, "lr", positive=True)
        if not isinstance(grads, (tuple, list)) or len(grads) != 2:
            raise TypeError("grads must be a pair (dWs, dbs) as returned by backward")
        dWs, dbs = (list(g) for g in grads)
        if len(dWs) != self.n_layers or len(dbs) != self.n_layers:
            raise ValueError(f"grads must hold {self.n_layers} weight and bias gradients")
        dWs = [as_array(g, f"grads dW of layer {l + 1}") for l, g in enumerate(dWs)]
        dbs = [as_array(g, f"grads db of layer {l + 1}") for l, g in enumerate(dbs)]
        for l in range(self.n_layers):
            if dWs[l].shape != self.weights[l].shape or dbs[l].shape != self.biases[l].shape:
                raise ValueError(f"grads of layer {l + 1} have shapes {dWs[l].shape}, "
                                 f"{dbs[l].shape}; expected {self.weights[l].shape}, "
                                 f"{self.biases[l].shape}")
        for l in range(self.n_layers):
            self.weights[l] -= lr * dWs[l]
            self.biases[l] -= lr * dbs[l]

    def predict(self, X):
        """Class labels (N,) for a softmax network, otherwise the outputs (N, n_L)."""
        out = self.forward(X)
        return out.argmax(axis=1) if self.output == "softmax" else out

    def __repr__(self) -> str:
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}, "
                f"output={self.output!r}, loss={self.loss_name!r})")
