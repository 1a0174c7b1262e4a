"""A throw-away nbgrader course directory, used to write the student release.

nbgrader's ``generate_assignment`` stubs the solutions and removes the hidden tests; it wants a
course directory and a SQLite gradebook. :class:`Course` builds them in a temporary folder, runs
``generate_assignment`` there with no Jupyter server, no JupyterHub and no network, and is deleted
afterwards. Grading does not use nbgrader (see :mod:`coursekit.homework.trusted`).

Also here: locating the book (:func:`find_book_root`), its homework notebooks
(:func:`discover_homeworks`, :func:`select_homeworks`) and reading one with its metadata derived
from its tags (:func:`load_authored`).

Taught in: not taught; the homework pipeline behind ``python -m coursekit.homework``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import nbformat

from coursekit.homework.authoring import author_notebook

__all__ = [
    "COURSE_ID",
    "NOTEBOOK",
    "CODE_STUB",
    "Course",
    "find_book_root",
    "discover_homeworks",
    "grading_environment",
    "select_homeworks",
    "load_authored",
    "THREAD_VARIABLES",
]

COURSE_ID = "coursekit"
NOTEBOOK = "homework"  # every chapter's homework is chapters/<chapter>/homework.ipynb
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def find_book_root(start: str | Path | None = None) -> Path:
    """Return the book's root: the nearest folder at or above ``start`` holding ``chapters/``.

    Parameters
    ----------
    start : str or Path, optional
        Where to start looking (default: the current directory). When ``start`` itself holds a
        ``chapters/`` folder it is returned as is.

    Raises
    ------
    ValueError
        If ``start`` is not a folder, or no folder at or above it holds ``chapters/``.
    """
    here = Path.cwd() if start is None else Path(start)
    if not here.is_dir():
        raise ValueError(f"book={str(start)!r} is not a folder")
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / "chapters").is_dir():
            return folder
    raise ValueError(
        f"no 'chapters/' folder at or above {str(here)!r}: pass the book's root with --book"
    )


def discover_homeworks(book: str | Path) -> dict[str, Path]:
    """Map each chapter name to its ``chapters/<chapter>/homework.ipynb``, sorted by name.

    Raises
    ------
    ValueError
        If ``book`` has no ``chapters/`` folder.
    """
    chapters = Path(book) / "chapters"
    if not chapters.is_dir():
        raise ValueError(f"book={str(book)!r} has no 'chapters/' folder")
    found = sorted(chapters.glob(f"*/{NOTEBOOK}.ipynb"))
    return {path.parent.name: path for path in found if path.is_file()}


#: Environment variables set (unless already set) while nbgrader runs: one BLAS thread per
#: kernel, so that a loaded machine does not stall the kernels and eat into the cell timeout.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def grading_environment() -> Iterator[None]:
    """Make nbgrader and its kernels use this environment, with one BLAS thread, for a block.

    nbgrader runs ``alembic`` by name when it creates a gradebook, and the ``python3`` kernelspec
    starts ``python`` by name: both must be this environment's (``JUPYTER_PATH`` also puts its
    kernelspecs first). Kernels inherit the variables.
    """
    saved = {name: os.environ.get(name) for name in ("PATH", "JUPYTER_PATH", *THREAD_VARIABLES)}
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + (saved["PATH"] or os.defpath)
    # This environment's kernelspecs first, before a user-level "python3" of another Python.
    share = os.path.join(sys.prefix, "share", "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [share, saved["JUPYTER_PATH"]]))
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def select_homeworks(homeworks: dict[str, Path], chapters, book: Path) -> dict[str, Path]:
    """Restrict ``homeworks`` to ``chapters`` (None: all of them).

    Raises
    ------
    ValueError
        If there is no homework at all, or a chapter has none (the message lists the known ones).
    """
    if not homeworks:
        raise ValueError(f"book={str(book)!r} has no chapters/*/{NOTEBOOK}.ipynb")
    if chapters is None:
        return homeworks
    chapters = [chapters] if isinstance(chapters, str) else list(chapters)
    unknown = [c for c in chapters if c not in homeworks]
    if unknown:
        raise ValueError(
            f"chapters={unknown}: no such homework in {book}; known: {sorted(homeworks)}"
        )
    return {c: homeworks[c] for c in chapters}


def load_authored(path: str | Path, chapter: str, log: TextIO | None = None):
    """Read an instructor notebook and apply :func:`~coursekit.homework.authoring.author_notebook`.

    The nbgrader metadata always follows the cell tags; a warning goes to ``log`` (default
    ``sys.stderr``) when the stored metadata was out of date.

    Returns
    -------
    nb, summary : nbformat.NotebookNode, AuthoringSummary
    """
    log = sys.stderr if log is None else log
    nb = nbformat.read(path, as_version=4)
    summary = author_notebook(nb, chapter)
    if summary.changed:
        print(
            f"warning: {path}: nbgrader metadata is out of date with the cell tags; using the "
            f"tags (run: python -m coursekit.homework author {path})",
            file=log,
        )
    return nb, summary


@contextlib.contextmanager
def _no_sqlalchemy_warnings() -> Iterator[None]:
    # nbgrader 0.9 triggers harmless SAWarnings about its session handling.
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


def _quiet_logger() -> logging.Logger:
    logger = logging.getLogger("coursekit.homework.nbgrader")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


class Course:
    """An nbgrader course in ``root`` (a temporary folder), one assignment per chapter.

    Parameters
    ----------
    root : str or Path
        An empty or missing folder; the gradebook is ``root/gradebook.db``.
    """

    def __init__(self, root: str | Path) -> None:
        # Importing nbgrader costs ~2 s: only when a course is actually built.
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config

        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        config = Config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.course_id = COURSE_ID
        config.CourseDirectory.db_url = self.db_url
        config.Exchange.root = str(self.root / "exchange")
        config.ClearSolutions.code_stub = {"python": CODE_STUB}
        self._log = _quiet_logger()
        self.coursedir = CourseDirectory(config=config, log=self._log)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=config, log=self._log)

    # ------------------------------------------------------------------ paths
    def source_path(self, chapter: str) -> Path:
        """Instructor notebook of ``chapter`` inside the course."""
        return self.root / "source" / chapter / f"{NOTEBOOK}.ipynb"

    def release_path(self, chapter: str) -> Path:
        """Student version written by :meth:`generate`."""
        return self.root / "release" / chapter / f"{NOTEBOOK}.ipynb"

    # ------------------------------------------------------------------ steps
    def add_source(self, chapter: str, nb) -> None:
        """Write the (already authored) instructor notebook ``nb`` as assignment ``chapter``."""
        path = self.source_path(chapter)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)

    def generate(self, chapter: str) -> Path:
        """Run ``nbgrader generate_assignment``: fills the gradebook and writes the release.

        Raises
        ------
        RuntimeError
            With nbgrader's log, if nbgrader fails.
        """
        with grading_environment(), _no_sqlalchemy_warnings():
            result = self.api.generate_assignment(chapter, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader generate_assignment {chapter} failed:\n"
                f"{result.get('log', '')}\n{result.get('error', '')}"
            )
        return self.release_path(chapter)
