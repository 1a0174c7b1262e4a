"""coursekit: the shared, tested code behind the book *The mathematics of deep learning and
optimal transport*.

The lessons live in the chapter notebooks; this package holds the scaffolding a reader need not
read (data, plotting, seeding, device, training loop, interactive figures) and what a later
chapter reuses from an earlier one. Each module's docstring says what it holds and where its
content is taught; ``coursekit.SUBMODULES`` lists them (derived from the package's files, so the
list cannot go stale), and ``help(coursekit.<name>)`` shows one.
"""

from __future__ import annotations

import importlib
import pkgutil

from coursekit.runtime import by_mode, full_mode, get_device, progress_enabled, seed_everything

#: The public submodules, found on disk (private ``_name`` modules excluded).
SUBMODULES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
)

__all__ = [
    "by_mode",
    "full_mode",
    "get_device",
    "progress_enabled",
    "seed_everything",
    "SUBMODULES",
    *SUBMODULES,
]

__version__ = "0.1.0"


def __getattr__(name: str):
    # Submodules load on first use, so ``import coursekit`` stays cheap.
    if name in SUBMODULES:
        return importlib.import_module(f"coursekit.{name}")
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *SUBMODULES})
