"""Rewrite this machine's absolute paths in stored notebook outputs as paths relative to the book.

A deliberate error (a cell tagged ``raises-exception``) stores a traceback that names the files it
passed through, e.g. ``/home/me/book/src/coursekit/linalg.py``; the published page should say
``src/coursekit/linalg.py``. ``make execute`` runs this after storing notebooks:
``python tools/relative_paths.py chapters/svd/svd.ipynb ...``. Only tracebacks change (nbval
does not compare them); sources, metadata, cell ids and printed text are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def relativize(text: str, root: str) -> str:
    """Replace ``root/`` (and ``root`` itself) in ``text`` by book-relative paths."""
    return text.replace(root.rstrip("/") + "/", "").replace(root.rstrip("/"), ".")


def main(paths: list[str]) -> int:
    root = str(ROOT)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    new = [relativize(line, root) for line in out.traceback]
                    changed |= new != out.traceback
                    out.traceback = new
        if changed:
            nbformat.write(nb, path)
            print(f"{path}: machine paths made relative")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
