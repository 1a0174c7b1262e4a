"""Fold in JupyterLab the code that the book folds: ``hide-input`` cells get ``source_hidden``.

Jupyter Book folds the input of a cell tagged ``hide-input``; JupyterLab ignores tags and folds a
cell's input when its metadata says ``"jupyter": {"source_hidden": true}``. This keeps the two in
step, so that plotting code meant to be folded is folded for an instructor projecting the
notebook too: ``python tools/fold_inputs.py chapters/*/*.ipynb`` (``make execute`` runs it;
``tests/test_notebook_style.py`` checks it). Only that metadata changes.
"""

from __future__ import annotations

import sys

import nbformat


def fold(nb) -> bool:
    """Set ``source_hidden`` exactly on the ``hide-input`` code cells; return whether it changed."""
    changed = False
    for cell in nb.cells:
        hidden = cell.cell_type == "code" and "hide-input" in cell.metadata.get("tags", [])
        jup = cell.metadata.get("jupyter", {})
        if bool(jup.get("source_hidden")) != hidden:
            if hidden:
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            else:
                jup.pop("source_hidden", None)
                if not jup:
                    cell.metadata.pop("jupyter", None)
            changed = True
    return changed


def main(paths: list[str]) -> int:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if fold(nb):
            nbformat.write(nb, path)
            print(f"folded the hide-input cells of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
