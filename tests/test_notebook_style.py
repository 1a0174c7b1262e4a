"""The book's notebooks follow the house rules a reader relies on.

- chapter code cells are short (at most 15 lines; ruff checks the 88-character width);
- no text sends the reader to material the book does not contain ("the course notes", "the seed");
- every notebook is stored executed, without unexpected errors, without this machine's paths in
  its outputs, and under 3 MB on disk.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
CHAPTERS = [p for p in NOTEBOOKS if p.name != "homework.ipynb"]
MAX_LINES = 15
MAX_BYTES = 3_000_000
NOTES = re.compile(
    r"\b(course notes|lecture notes|seed notes|the notes|the seeds?\b|one of the notes)", re.I)


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_chapter_code_cells_are_short(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, len(c.source.rstrip("\n").splitlines()))
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and len(c.source.rstrip("\n").splitlines()) > MAX_LINES]
    assert not long, f"code cells longer than {MAX_LINES} lines (cell, lines): {long}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_no_reference_to_unseen_notes(path):
    nb = nbformat.read(path, as_version=4)
    hits = [(i, NOTES.search(c.source).group(0)) for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown" and NOTES.search(c.source)]
    assert not hits, f"cells that refer the reader to notes they never saw: {hits}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_stored_executed_small_and_clean(path):
    assert path.stat().st_size < MAX_BYTES, f"{_id(path)} is {path.stat().st_size} bytes"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), "stored without outputs"
    here = [str(ROOT.parent), os.path.expanduser("~"), tempfile.gettempdir()]
    machine = re.compile("|".join(re.escape(h.rstrip("/") + "/") for h in here if len(h) > 1))
    for i, c in enumerate(code):
        tags = set(c.metadata.get("tags", []))
        for out in c.outputs:
            if out.output_type == "error":
                assert tags & {"raises-exception", "nbval-raises-exception"}, (
                    f"code cell {i} stores an unexpected {out.ename}")
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            text += "".join(out.get("traceback", []))
            assert not machine.search(text), f"code cell {i} prints a path of this machine"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_folded_in_the_book_means_folded_in_jupyterlab(path):
    """A ``hide-input`` cell also carries JupyterLab's ``source_hidden`` (tools/fold_inputs.py)."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        hidden = cell.cell_type == "code" and "hide-input" in cell.metadata.get("tags", [])
        folded = bool(cell.metadata.get("jupyter", {}).get("source_hidden"))
        assert folded == hidden, (
            f"cell {i}: hide-input={hidden} but source_hidden={folded}; "
            "run `python tools/fold_inputs.py` on it")
