"""First-order optimisers written from their update equations, one small class each.

Every class has the same interface: it is built from its hyperparameters, and
``step(theta, grad)`` returns the next iterate ``theta_t`` from ``theta_{t-1}`` and the gradient
``g_t`` taken there, keeping the method's state (momentum buffer, accumulators, step count)
inside the object. Products, squares, square roots and quotients of vectors are coordinate-wise.
The conventions are PyTorch's, so each class follows the trajectory of its ``torch.optim`` twin
to rounding (``tests/test_optim.py`` checks it in float64):

========================  ===================================================================
class                     update
========================  ===================================================================
``SGD(lr)``               :math:`\\theta_t = \\theta_{t-1} - \\eta g_t`
``SGD(lr, momentum)``     :math:`b_t = \\mu b_{t-1} + g_t,\\ \\theta_t = \\theta_{t-1} - \\eta b_t`
``SGD(..., nesterov)``    :math:`\\theta_t = \\theta_{t-1} - \\eta (g_t + \\mu b_t)`
``Adagrad(lr)``           :math:`G_t = G_{t-1} + g_t^2,\\ \\theta_t = \\theta_{t-1} - \\eta g_t /
                          (\\sqrt{G_t} + \\varepsilon)`
``RMSProp(lr)``           :math:`s_t = \\alpha s_{t-1} + (1-\\alpha) g_t^2,\\ \\theta_t =
                          \\theta_{t-1} - \\eta g_t / (\\sqrt{s_t} + \\varepsilon)`
``Adam(lr)``              :math:`\\theta_t = \\theta_{t-1} - \\eta \\hat m_t / (\\sqrt{\\hat v_t}
                          + \\varepsilon)` with bias-corrected moment estimates
========================  ===================================================================

The textbook momentum :math:`v_t = \\gamma v_{t-1} + \\eta g_t` is PyTorch's with
:math:`v = \\eta b` (equal iterates for a constant learning rate); PyTorch's Nesterov iterate is
the look-ahead point of the form with a look-ahead gradient; :math:`\\varepsilon` sits outside
the square root (after Adam's bias correction); Adagrad's accumulator is per coordinate, the
diagonal of :math:`\\sum_s g_s g_s^\\top`.

Taught in: the optimizers chapter (chapters/optimizers/optimizers.ipynb), which writes these
rules in the notebook and checks them against this copy; later chapters (GANs, flows) reuse it.

References
----------
B. T. Polyak, Some methods of speeding up the convergence of iteration methods (1964).
I. Sutskever, J. Martens, G. Dahl and G. Hinton, On the importance of initialization and
momentum in deep learning, ICML 2013. J. Duchi, E. Hazan and Y. Singer, Adaptive subgradient
methods, JMLR 12 (2011). T. Tieleman and G. Hinton, RMSProp, Coursera lecture 6.5 (2012).
D. P. Kingma and J. Ba, Adam: a method for stochastic optimization, ICLR 2015.
"""

from __future__ import annotations

import numpy as np

from coursekit._checks import as_array, check_bool, check_real

__all__ = ["SGD", "Adagrad", "RMSProp", "Adam"]


class _Optimizer:
    """Shared checks: ``theta`` and ``grad`` finite, non-empty and of one shape, kept fixed."""

    def __init__(self, lr):
        self.lr = check_real(lr, "lr", positive=True)
        self.t = 0                      # number of steps taken
        self._shape = None

    def _inputs(self, theta, grad):
        theta = as_array(theta, "theta", nonempty=True)
        grad = as_array(grad, "grad", nonempty=True)
        if grad.shape != theta.shape:
            raise ValueError(f"grad must have theta's shape {theta.shape}, got {grad.shape}")
        if self._shape is not None and theta.shape != self._shape:
            raise ValueError(f"theta must keep the shape {self._shape} of the first step, "
                             f"got {theta.shape}")
        return theta, grad

    def reset(self):
        """Forget the state (buffers, accumulators, step count)."""
        self.t, self._shape = 0, None
        for name in self._state:
            setattr(self, name, None)


class SGD(_Optimizer):
    """Gradient descent, with optional heavy-ball or Nesterov momentum (PyTorch's convention).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\\eta > 0`.
    momentum : float, default 0
        :math:`0 \\le \\mu < 1`; the buffer is :math:`b_t = \\mu b_{t-1} + g_t`, :math:`b_0 = 0`.
    nesterov : bool, default False
        Step along :math:`g_t + \\mu b_t` instead of :math:`b_t` (needs ``momentum > 0``).

    Examples
    --------
    >>> opt = SGD(0.1, momentum=0.5)
    >>> theta = opt.step(np.array([1.0, -2.0]), np.array([1.0, 1.0]))
    >>> theta
    array([ 0.9, -2.1])
    >>> opt.step(theta, np.array([1.0, 1.0]))      # b = 0.5 * 1 + 1 = 1.5
    array([ 0.75, -2.25])
    """

    _state = ("b",)

    def __init__(self, lr, momentum=0.0, nesterov=False):
        super().__init__(lr)
        self.momentum = check_real(momentum, "momentum", low=0.0)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be < 1, got {self.momentum}")
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a positive momentum")
        self.b = None

    def step(self, theta, grad):
        """One step: the next iterate from ``theta`` and the gradient ``grad`` taken there.

        Examples
        --------
        >>> SGD(0.5).step([1.0], [4.0])
        array([-1.])
        """
        theta, grad = self._inputs(theta, grad)
        self._shape, self.t = theta.shape, self.t + 1
        if self.momentum == 0:
            return theta - self.lr * grad
        self.b = grad.copy() if self.b is None else self.momentum * self.b + grad
        direction = grad + self.momentum * self.b if self.nesterov else self.b
        return theta - self.lr * direction


class Adagrad(_Optimizer):
    """Adagrad: each coordinate's step divided by the root of its summed squared gradients.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\\eta > 0`.
    eps : float, default 1e-10
        :math:`\\varepsilon \\ge 0`, added *after* the square root (PyTorch's default and place).

    Examples
    --------
    >>> opt = Adagrad(0.1, eps=0.0)
    >>> opt.step([0.0, 0.0], [3.0, -0.5])        # first step: eta * sign(g)
    array([-0.1,  0.1])
    >>> opt.G                                      # the per-coordinate sum of g^2
    array([9.  , 0.25])
    """

    _state = ("G",)

    def __init__(self, lr, eps=1e-10):
        super().__init__(lr)
        self.eps = check_real(eps, "eps", low=0.0)
        self.G = None

    def step(self, theta, grad):
        """Return :math:`\\theta_t`; accumulate :math:`G_t = G_{t-1} + g_t^2`.

        Examples
        --------
        >>> Adagrad(1.0, eps=0.0).step([1.0], [2.0])
        array([0.])
        """
        theta, grad = self._inputs(theta, grad)
        self._shape, self.t = theta.shape, self.t + 1
        self.G = grad * grad if self.G is None else self.G + grad * grad
        return theta - self.lr * grad / (np.sqrt(self.G) + self.eps)


class RMSProp(_Optimizer):
    """RMSProp: Adagrad with an exponential moving average of the squared gradients.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\\eta > 0`.
    alpha : float, default 0.99
        Smoothing constant, :math:`0 \\le \\alpha < 1`.
    eps : float, default 1e-8
        :math:`\\varepsilon \\ge 0`, added after the square root.

    Examples
    --------
    >>> opt = RMSProp(0.01, alpha=0.75, eps=0.0)
    >>> opt.step([0.0], [2.0])                    # s = 0.25 * 4 = 1: step 0.01 * 2 / 1
    array([-0.02])
    """

    _state = ("s",)

    def __init__(self, lr, alpha=0.99, eps=1e-8):
        super().__init__(lr)
        self.alpha = check_real(alpha, "alpha", low=0.0)
        if self.alpha >= 1:
            raise ValueError(f"alpha must be < 1, got {self.alpha}")
        self.eps = check_real(eps, "eps", low=0.0)
        self.s = None

    def step(self, theta, grad):
        """Return :math:`\\theta_t`; update :math:`s_t = \\alpha s_{t-1} + (1-\\alpha) g_t^2`.

        Examples
        --------
        >>> RMSProp(0.1, alpha=0.0, eps=0.0).step([1.0, 1.0], [5.0, -1.0])
        array([0.9, 1.1])
        """
        theta, grad = self._inputs(theta, grad)
        self._shape, self.t = theta.shape, self.t + 1
        s = 0.0 if self.s is None else self.s
        self.s = self.alpha * s + (1 - self.alpha) * grad * grad
        return theta - self.lr * grad / (np.sqrt(self.s) + self.eps)


class Adam(_Optimizer):
    """Adam, with its bias correction (which ``correct_bias=False`` removes, for teaching).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\\eta > 0`.
    beta1, beta2 : float, default 0.9 and 0.999
        Decay rates of the first and second moment averages, in :math:`[0, 1)` (PyTorch's
        ``betas=(beta1, beta2)``).
    eps : float, default 1e-8
        :math:`\\varepsilon \\ge 0`, added after the square root of the *corrected* second moment.
    correct_bias : bool, default True
        Divide :math:`m_t` by :math:`1 - \\beta_1^t` and :math:`v_t` by :math:`1 - \\beta_2^t`.

    Examples
    --------
    >>> opt = Adam(0.1, eps=0.0)
    >>> opt.step([0.0, 0.0], [3.0, -0.01])        # corrected: the first step is eta sign(g)
    array([-0.1,  0.1])
    >>> raw = Adam(0.1, eps=0.0, correct_bias=False)
    >>> float(raw.step([0.0], [3.0])[0])           # -eta (1 - beta1) / sqrt(1 - beta2)
    -0.3162277660168...
    """

    _state = ("m", "v")

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, correct_bias=True):
        super().__init__(lr)
        self.beta1 = check_real(beta1, "beta1", low=0.0)
        self.beta2 = check_real(beta2, "beta2", low=0.0)
        for name, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if beta >= 1:
                raise ValueError(f"{name} must be < 1, got {beta}")
        self.eps = check_real(eps, "eps", low=0.0)
        self.correct_bias = check_bool(correct_bias, "correct_bias")
        self.m = self.v = None

    def step(self, theta, grad):
        """Return :math:`\\theta_{t-1} - \\eta \\hat m_t / (\\sqrt{\\hat v_t} + \\varepsilon)`.

        Examples
        --------
        >>> Adam(0.5, eps=0.0).step([1.0], [-7.0])
        array([1.5])
        """
        theta, grad = self._inputs(theta, grad)
        self._shape, self.t = theta.shape, self.t + 1
        m = 0.0 if self.m is None else self.m
        v = 0.0 if self.v is None else self.v
        self.m = self.beta1 * m + (1 - self.beta1) * grad
        self.v = self.beta2 * v + (1 - self.beta2) * grad * grad
        m_hat, v_hat = self.m, self.v
        if self.correct_bias:
            m_hat = self.m / (1 - self.beta1**self.t)
            v_hat = self.v / (1 - self.beta2**self.t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
