"""Data sets of the book: synthetic 2-D distributions and image sets, one idea per module.

* :mod:`coursekit.data.toy2d`: the 2-D sets of the generative chapters (moons, Gaussian mixtures
  on a ring or a grid with their exact density and score, swiss roll, checkerboard).
* :mod:`coursekit.data.images`: scikit-learn's 8x8 digits, a real MNIST (IDX) loader and a
  stratified train/test split.

Their public names are re-exported here, so ``coursekit.data.load_digits`` and
``from coursekit.data import stratified_split`` work. Randomness follows the package convention
(``rng``: a NumPy Generator, an int seed or None for seed 0; see
:func:`coursekit.runtime.as_generator`).

Taught in: see each submodule.
"""

from __future__ import annotations

from coursekit.data import images, toy2d
from coursekit.data.images import *  # noqa: F403
from coursekit.data.toy2d import *  # noqa: F403

__all__ = [*toy2d.__all__, *images.__all__]
