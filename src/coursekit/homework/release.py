"""Release the homework to students: ``python -m coursekit.homework release --out DIR``.

nbgrader's ``generate_assignment`` runs in a throw-away course folder (see
:class:`~coursekit.homework.nbgrader_course.Course`); only the student notebook and a README.txt
are copied out, never the gradebook or the instructor source.

Taught in: not taught; the homework pipeline behind ``python -m coursekit.homework``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import nbformat

from coursekit.homework.authoring import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    HIDE_INPUT_TAG,
)
from coursekit.homework.nbgrader_course import (
    NOTEBOOK,
    Course,
    discover_homeworks,
    find_book_root,
    load_authored,
    select_homeworks,
)

__all__ = ["release", "README_HEADER", "RUN_ALL_TAG"]

#: Tag put on every code cell of a release, so that "Run All" runs every cell.
RUN_ALL_TAG = "raises-exception"

README_HEADER = "coursekit homework"
_STUDENT_README = """\
{header}: chapter "{chapter}"
{underline}

1. Open homework.ipynb in Jupyter (JupyterLab or Notebook) with Python 3, NumPy and
   scikit-learn installed.
2. Write your answers in the cells that say "# YOUR CODE HERE" and delete the line
   "raise NotImplementedError()" below it. Keep the function names and arguments.
3. Put ALL the code of an answer (helper functions, imports) in its answer cell: only the
   answer cells are taken from your notebook when it is graded. Other cells you add or edit
   (examples, plots) are not run then.
4. After each answer, run the read-only test cell below it. It prints
   "... visible tests passed" or says what is wrong (a shape, a sign, a tolerance).
   More tests, hidden from you, run on other inputs when your notebook is graded.
5. Some questions forbid a library call (their cell is tagged "forbid=..."): an answer that
   uses it, under any name, scores 0 for that question.
6. Do not delete, move or copy the read-only cells, or change their grading metadata: such
   a question scores 0 and goes to your instructor for review. Edits to a test cell are
   undone. Your code runs in an isolated process with a time limit per question
   (30 s by default), without network or files.
7. Before you submit, run Kernel > Restart Kernel and Run All Cells (JupyterLab; in the
   classic Notebook: Kernel > Restart & Run All). Every cell runs, even after an unanswered
   question, and every test cell shows its status: passed, or what is wrong.
8. Submit this one file, still named homework.ipynb, the way your instructor says;
   it is graded as <your id>/{chapter}/homework.ipynb. Other files are ignored.
"""


def _is_previous_release(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    readme = folder / "README.txt"
    return (
        names <= {f"{NOTEBOOK}.ipynb", "README.txt"}
        and (not readme.exists() or readme.read_text(encoding="utf-8").startswith(README_HEADER))
    )


def release(out: str | Path, book: str | Path | None = None, chapters=None,
            log: TextIO | None = None) -> dict[str, Path]:
    """Write the student version of every homework to ``out/<chapter>/homework.ipynb``.

    Solutions are replaced by stubs, hidden tests removed and outputs cleared (by nbgrader's
    ``generate_assignment``); each chapter folder also gets a ``README.txt`` on how to work and
    submit. Nothing else is written: no gradebook, no instructor source.

    Parameters
    ----------
    out : str or Path
        Destination folder (created). A ``out/<chapter>`` folder from an earlier release is
        replaced; any other existing ``out/<chapter>`` is an error.
    book : str or Path, optional
        The book's root (default: found from the current directory, see
        :func:`~coursekit.homework.nbgrader_course.find_book_root`).
    chapters : str or list of str, optional
        Release only these chapters (default: every ``chapters/*/homework.ipynb``).
    log : text stream, optional
        Where warnings go (default ``sys.stderr``).

    Returns
    -------
    dict of str to Path
        The released notebook of each chapter.

    Raises
    ------
    ValueError
        If ``out`` is a file or lies inside the book's ``chapters/``, an ``out/<chapter>`` is not
        an earlier release, or a chapter is unknown.
    """
    log = sys.stderr if log is None else log
    book_root = find_book_root(book)
    homeworks = select_homeworks(discover_homeworks(book_root), chapters, book_root)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out={str(out)!r} exists and is a file; --out must be a folder")
    chapters_dir = (book_root / "chapters").resolve()
    if out.resolve() == book_root or out.resolve().is_relative_to(chapters_dir):
        raise ValueError(
            f"out={str(out)!r} is inside the book; write the release outside chapters/"
        )
    for chapter in homeworks:
        target = out / chapter
        if target.exists() and not (target.is_dir() and _is_previous_release(target)):
            raise ValueError(
                f"out={str(out)!r}: {target} exists and is not an earlier release; "
                "choose another --out"
            )

    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="coursekit-nbgrader-") as tmp:
        course = Course(tmp)
        for chapter, path in homeworks.items():
            nb, _ = load_authored(path, chapter, log)
            course.add_source(chapter, nb)
            student_nb = nbformat.read(course.generate(chapter), as_version=4)
            for cell in student_nb.cells:
                tags = cell.metadata.get("tags")
                if tags and HIDE_INPUT_TAG in tags:
                    tags.remove(HIDE_INPUT_TAG)
                if cell.cell_type == "code":
                    # "Run All" goes on past an unanswered question (its stub raises), so that
                    # every test cell runs and shows its status; Jupyter, nbclient and nbval all
                    # honour this tag.
                    cell.metadata.setdefault("tags", [])
                    if RUN_ALL_TAG not in cell.metadata["tags"]:
                        cell.metadata["tags"].append(RUN_ALL_TAG)
            text = nbformat.writes(student_nb)
            for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
                if marker in text:  # nbgrader removes them; never ship one that slipped through
                    raise RuntimeError(f"{chapter}: the release still contains {marker!r}")
            target = out / chapter
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            dest = target / f"{NOTEBOOK}.ipynb"
            dest.write_text(text, encoding="utf-8")
            (target / "README.txt").write_text(
                _STUDENT_README.format(
                    header=README_HEADER,
                    chapter=chapter,
                    underline="=" * (len(README_HEADER) + len(chapter) + 12),
                ),
                encoding="utf-8",
            )
            written[chapter] = dest
    return written
