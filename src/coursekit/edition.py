"""Two editions of the book from one source: the student edition and the instructor edition.

The book's homework notebooks ``chapters/<chapter>/homework.ipynb`` are instructor notebooks: they
hold the solutions (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, or a whole cell
tagged ``solution``) and the hidden tests (between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``). Jupyter Book publishes each page's source notebook under
``_sources/`` and indexes every page for search, so hiding cells on a page is not enough. Instead
each edition is built from a *staged* copy of the book's sources (:func:`stage`):

- the **student** edition (the one that is published, ``make book``) replaces every homework
  notebook by its release (:func:`coursekit.homework.release`: solutions replaced by stubs,
  hidden tests removed, outputs cleared) and does not execute those pages; their solution and
  test cells are shown, so that a homework page reads like the notebook students download from it;
- the **instructor** edition (``make book-instructor``) keeps the instructor notebooks and shows
  their solution and test cells in full (hidden tests included).

:func:`scan` then reads every file of a built edition (HTML with tags stripped and entities
decoded, ``_sources`` notebooks with their JSON decoded, the search index, downloads, scripts)
for the secret lines of the instructor notebooks (:func:`secret_lines`), for the markers
(:data:`SECRET_MARKERS`) and for the identifiers that occur only in secret regions
(:func:`secret_identifiers`); the search index is checked for those identifiers' stems too.

A secret line is a stripped line inside a secret region (whitespace runs collapsed to one space)
that is neither *trivial* nor *public*:

- trivial: fewer than :data:`MIN_SECRET_CHARS` non-blank characters (``return x``, ``pass``,
  ``)``, ``else:``, ``v = w``): such lines say nothing about the answer, and would match by chance;
- public: the same line (or a longer line containing it, since the scan matches substrings)
  also stands outside every secret region of some book source (a chapter notebook, a homework's
  prose, setup code, visible tests or stubs, a Markdown page): the student edition may
  legitimately show it. Public lines come from the instructor sources, never from the build that
  is checked, so a leak cannot whitelist itself.

A secret identifier is a name in a secret line that appears nowhere in the public text of the
sources and looks like code rather than a word: at least :data:`MIN_IDENTIFIER_CHARS` characters
with an underscore or a digit (``_check_pca``, ``_v_bad``, ``rng303``).

Command line::

    python -m coursekit.edition stage student _build/student-src [--execute off]
    python -m coursekit.edition stage instructor _build/instructor/src
    python -m coursekit.edition scan _build/html        # exit 1 and a list when a secret leaks

Taught in: not taught; how the book is built (README, "The two editions").

Examples
--------
>>> nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["solution", "q=f"]},
...                  "source": "def f(x):\\n    ### BEGIN SOLUTION\\n"
...                            "    return np.sqrt(x) * 2 + 1\\n    ### END SOLUTION"}]}
>>> [s.text for s in notebook_secrets(nb, "hw.ipynb")]
['return np.sqrt(x) * 2 + 1']
>>> find_secrets("<pre>return np.sqrt(x) *&nbsp;2 + 1</pre>", ["return np.sqrt(x) * 2 + 1"])
['return np.sqrt(x) * 2 + 1']
"""

from __future__ import annotations

import argparse
import fnmatch
import html as html_lib
import json
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

__all__ = [
    "EDITIONS",
    "SECRET_MARKERS",
    "MIN_SECRET_CHARS",
    "MIN_IDENTIFIER_CHARS",
    "Secret",
    "Leak",
    "stage",
    "notebook_secrets",
    "secret_lines",
    "secret_identifiers",
    "find_secrets",
    "scan",
    "build_parser",
    "main",
]

EDITIONS = ("student", "instructor")
#: Text that must never appear in the student edition (nbgrader's region markers, without ``###``).
SECRET_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_SECRET_CHARS = 12
MIN_IDENTIFIER_CHARS = 5
#: What is staged: these files, these patterns at the root, these folders (recursively).
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_PATTERNS = ("*.md", "*.bib")
BOOK_DIRS = ("_static", "chapters")
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__"}
HOMEWORK = "homework.ipynb"
STAMP = ".coursekit-edition"  # marks a staged folder, so that a later stage may replace it
EXECUTION_MODES = ("force", "cache", "auto", "inline", "off")
# Tags that hide a graded cell's code on a page; both editions show those cells in full.
_HIDING_TAGS = ("hide-input", "remove-input", "hide-cell", "remove-cell")
_GRADED_TAGS = ("solution", "tests")
_WS = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Secret:
    """A line of a solution or hidden-test region. ``where`` names the notebook and cell."""

    text: str
    kind: str  # "solution" or "hidden test"
    where: str


@dataclass(frozen=True)
class Leak:
    """A secret found in a built edition: the file (relative to the scanned folder) and what."""

    path: str
    kind: str  # "solution", "hidden test", "marker", "identifier" or "search term"
    text: str
    where: str = ""

    def __str__(self) -> str:
        origin = f" (from {self.where})" if self.where else ""
        return f"{self.path}: {self.kind} {self.text!r}{origin}"


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _is_solution_cell(cell) -> bool:
    nbg = cell.get("metadata", {}).get("nbgrader", {}) or {}
    return "solution" in _tags(cell) or bool(nbg.get("solution"))


def _split_cell(cell, where: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(secret (kind, line) pairs, public lines) of one cell of an instructor notebook."""
    from coursekit.homework.authoring import (
        BEGIN_HIDDEN,
        BEGIN_SOLUTION,
        END_HIDDEN,
        END_SOLUTION,
        hidden_test_regions,
        solution_regions,
    )

    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    has_solution = bool(solution_regions(source, where))  # both raise on unbalanced markers
    hidden_test_regions(source, where)
    if _is_solution_cell(cell) and not has_solution:
        # nbgrader replaces a solution cell without markers by a stub as a whole
        return [("solution", line) for line in source.splitlines()], []
    secret, public, kind = [], [], None
    for line in source.splitlines():
        if BEGIN_SOLUTION in line or BEGIN_HIDDEN in line:
            kind = "solution" if BEGIN_SOLUTION in line else "hidden test"
        elif END_SOLUTION in line or END_HIDDEN in line:
            kind = None
        elif kind is None:
            public.append(line)
        else:
            secret.append((kind, line))
    return secret, public


def _notebook_parts(nb, name: str) -> tuple[list[Secret], set[str]]:
    secrets, public = [], set()
    for index, cell in enumerate(nb["cells"]):
        where = f"{name}, cell {index}"
        secret, visible = _split_cell(cell, where)
        secrets += [Secret(_norm(line), kind, where) for kind, line in secret]
        public |= {_norm(line) for line in visible}
    return secrets, public


def _is_trivial(line: str) -> bool:
    return len(line.replace(" ", "")) < MIN_SECRET_CHARS


def notebook_secrets(nb, name: str = "notebook", public: Iterable[str] = ()) -> list[Secret]:
    """The secret lines of one instructor notebook (see the module's docstring for the rules).

    Parameters
    ----------
    nb : dict or nbformat.NotebookNode
        The notebook (``cells`` with ``cell_type``, ``metadata.tags``, ``source``).
    name : str
        How messages name the notebook.
    public : iterable of str
        More public lines (from other sources of the book), compared after whitespace collapsing.

    Returns
    -------
    list of Secret
        One per distinct line, in notebook order.

    Raises
    ------
    ValueError
        If a cell's markers are unbalanced or nested.
    """
    secrets, own_public = _notebook_parts(nb, name)
    return _keep(secrets, own_public | {_norm(line) for line in public})


def _keep(candidates: Iterable[Secret], public: set[str]) -> list[Secret]:
    # The scan matches substrings, so a line that stands inside a public line (a continuation
    # line such as ``rtol=1e-8, atol=1e-12)``) cannot be told from that public line: not secret.
    blob = "\n".join(public)
    seen, kept = set(), []
    for s in candidates:
        if s.text not in seen and not _is_trivial(s.text) and s.text not in blob:
            seen.add(s.text)
            kept.append(s)
    return kept


def _excluded(book: Path) -> list[str]:
    try:
        config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return []
    return [str(p) for p in config.get("exclude_patterns", []) or []]


def _book_sources(book: Path) -> Iterable[Path]:
    """The files a build of ``book`` may read, less the config's ``exclude_patterns``."""
    excluded = _excluded(book)
    found = [book / name for name in BOOK_FILES if (book / name).is_file()]
    for pattern in BOOK_PATTERNS:
        found += sorted(p for p in book.glob(pattern) if p.is_file())
    for folder in BOOK_DIRS:
        found += sorted(p for p in (book / folder).rglob("*") if p.is_file())
    for path in found:
        rel = path.relative_to(book)
        if SKIPPED_DIRS.intersection(rel.parts):
            continue
        if any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in excluded):
            continue
        yield path


def _sources_split(book: Path) -> tuple[list[Secret], set[str]]:
    """Secret candidates of every homework and public lines of every text source of the book."""
    secrets, public = [], set()
    for path in _book_sources(book):
        rel = path.relative_to(book).as_posix()
        if path.suffix == ".ipynb":
            found, visible = _notebook_parts(nbformat.read(path, as_version=4), rel)
            secrets += found
            public |= visible
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # an image
            public |= {_norm(line) for line in text.splitlines()}
    return secrets, public


def secret_lines(book: str | Path) -> list[Secret]:
    """The secret lines of every notebook of the book (distinct, non-trivial, not public).

    Parameters
    ----------
    book : str or Path
        The book's root (holding ``_toc.yml`` and ``chapters/``): the instructor sources.

    Returns
    -------
    list of Secret
    """
    return _keep(*_sources_split(Path(book)))


def _is_code_name(name: str) -> bool:
    return len(name) >= MIN_IDENTIFIER_CHARS and any(c == "_" or c.isdigit() for c in name)


def secret_identifiers(book: str | Path) -> dict[str, str]:
    """Code names used in secret regions only: name -> where it first occurs.

    A name counts when it has at least :data:`MIN_IDENTIFIER_CHARS` characters, an underscore or
    a digit, and occurs (as a whole word) in no public line of any source of the book, in any
    case: the search index folds case, so ``grad_W`` of a solution cannot be told there from a
    chapter's public ``grad_w`` (the solution's lines are still looked for as lines).
    """
    candidates, public = _sources_split(Path(book))
    public_names = {name.lower() for line in public for name in _IDENT.findall(line)}
    found: dict[str, str] = {}
    for s in candidates:
        for name in _IDENT.findall(s.text):
            if _is_code_name(name) and name.lower() not in public_names:
                found.setdefault(name, s.where)
    return found


# ------------------------------------------------------------------------------------------
# staging


def _show_graded_cells(nb) -> None:
    for cell in nb.cells:
        tags = _tags(cell)
        if any(t in tags for t in _GRADED_TAGS):
            cell.metadata["tags"] = [t for t in tags if t not in _HIDING_TAGS]


def _check_out(book: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"out={str(out)!r} is a file; expected a folder to stage the book into")
    resolved = out.resolve()
    if resolved == book or resolved in book.parents:
        raise ValueError(f"out={str(out)!r} would overwrite the book; stage into e.g. _build/")
    for folder in BOOK_DIRS:
        if resolved.is_relative_to((book / folder).resolve()):
            raise ValueError(f"out={str(out)!r} lies inside the book's {folder}/")
    if out.exists() and any(out.iterdir()) and not (out / STAMP).is_file():
        raise ValueError(
            f"out={str(out)!r} exists and was not staged by coursekit.edition; "
            "choose another folder"
        )


def _config(book: Path, edition: str, execute: str | None, homeworks: Sequence[str]) -> dict:
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8")) or {}
    run = config.setdefault("execute", {}) or {}
    config["execute"] = run
    if execute is not None:
        run["execute_notebooks"] = execute
    if edition == "student":
        # the releases hold stubs that raise NotImplementedError: show them, never run them
        patterns = list(run.get("exclude_patterns", []) or [])
        run["exclude_patterns"] = patterns + [f"chapters/{c}/{HOMEWORK}" for c in homeworks]
    else:
        config["title"] = f"{config.get('title', 'coursekit')} (instructor edition)"
    return config


def stage(book: str | Path, out: str | Path, edition: str = "student",
          execute: str | None = None) -> Path:
    """Copy the book's sources into ``out``, ready for ``jupyter-book build out``.

    Copies ``_config.yml``, ``_toc.yml``, the root's ``*.md`` and ``*.bib``, ``_static/`` and
    ``chapters/`` (without checkpoints and caches). For the student edition every
    ``chapters/<chapter>/homework.ipynb`` becomes its release and is excluded from execution; for
    the instructor edition it stays the instructor notebook. In both, the code of the cells tagged
    ``solution`` or ``tests`` is shown (their ``hide-input``/``remove-input`` tags are dropped).

    Parameters
    ----------
    book : str or Path
        The book's root.
    out : str or Path
        The staging folder; an earlier staging there is replaced.
    edition : {"student", "instructor"}
    execute : str, optional
        Overrides ``execute.execute_notebooks`` of ``_config.yml`` (one of
        :data:`EXECUTION_MODES`, e.g. ``"off"`` to render the stored outputs).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        For an unknown edition or execution mode, a book without ``_config.yml``/``_toc.yml``, an
        ``out`` inside the book's sources or holding something else than an earlier staging.
    RuntimeError
        If a staged student file still holds a solution or hidden-test marker.
    """
    from coursekit.homework.nbgrader_course import discover_homeworks

    if edition not in EDITIONS:
        raise ValueError(f"edition={edition!r}: expected one of {EDITIONS}")
    if execute is not None and execute not in EXECUTION_MODES:
        raise ValueError(f"execute={execute!r}: expected one of {EXECUTION_MODES}")
    book = Path(book).resolve()
    for name in BOOK_FILES:
        if not (book / name).is_file():
            raise ValueError(f"book={str(book)!r} has no {name}")
    out = Path(out)
    _check_out(book, out)
    homeworks = discover_homeworks(book) if (book / "chapters").is_dir() else {}

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / STAMP).write_text(edition + "\n", encoding="utf-8")
    try:
        _fill(book, out, edition, execute, homeworks)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # no half-staged edition is left behind
        raise
    return out


def _fill(book: Path, out: Path, edition: str, execute: str | None, homeworks: dict) -> None:
    from coursekit.homework.release import release

    for path in _book_sources(book):
        target = out / path.relative_to(book)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    config = _config(book, edition, execute, sorted(homeworks))
    (out / "_config.yml").write_text(
        "# Staged by coursekit.edition from the book's _config.yml: do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )

    if edition == "student" and homeworks:
        with tempfile.TemporaryDirectory(prefix="coursekit-edition-") as tmp:
            released = release(Path(tmp) / "release", book=book)
            for chapter, path in released.items():
                nb = nbformat.read(path, as_version=4)
                _show_graded_cells(nb)
                nbformat.write(nb, out / "chapters" / chapter / HOMEWORK)
        for path in out.rglob("*"):
            if path.is_file():
                text = path.read_bytes().decode("utf-8", errors="replace")
                for marker in SECRET_MARKERS:
                    if marker in text:
                        raise RuntimeError(
                            f"{path.relative_to(out)} holds {marker!r}: the student edition "
                            "must not contain a solution or hidden-test region"
                        )
    elif edition == "instructor":
        for chapter in homeworks:
            path = out / "chapters" / chapter / HOMEWORK
            nb = nbformat.read(path, as_version=4)
            _show_graded_cells(nb)
            nbformat.write(nb, path)


# ------------------------------------------------------------------------------------------
# scanning


def _json_strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _search_index(text: str):
    start, end = text.find("("), text.rfind(")")
    if not text.startswith("Search.setIndex(") or end < start:
        return None
    try:
        return json.loads(text[start + 1 : end])
    except json.JSONDecodeError:
        return None


def _decode(path: Path, data: bytes) -> str:
    if path.suffix == ".inv":  # Sphinx's inventory: a header, then zlib
        head, sep, body = data.partition(b"compressed using zlib.\n")
        try:
            data = head + sep + zlib.decompress(body)
        except zlib.error:
            pass
    return data.decode("utf-8", errors="replace")


def _views(path: Path, text: str) -> tuple[list[str], str]:
    """Normalized texts of a built file, and the text a reader sees (for the identifier check).

    The views are the raw text, the text with HTML tags stripped and entities decoded, and for
    notebooks, JSON files and the search index, their decoded strings. The reader's text drops
    ``<script>`` and ``<style>`` blocks.
    """
    views = [text]
    reader = text
    if "<" in text or "&" in text:
        views.append(html_lib.unescape(_TAG.sub("", text)))
        reader = html_lib.unescape(_TAG.sub("", _SCRIPT.sub("", text)))
    decoded = None
    if path.suffix in (".ipynb", ".json"):
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            pass
    elif path.name == "searchindex.js":
        decoded = _search_index(text)
    if decoded is not None:
        reader = "\n".join(_json_strings(decoded))
        views.append(reader)
    return [_norm(v) for v in views], _norm(reader)


def find_secrets(text: str, secrets: Iterable[str]) -> list[str]:
    """The ``secrets`` (lines) that occur in ``text`` read as HTML and as plain text.

    Both sides have their whitespace runs collapsed; the HTML reading strips tags and decodes
    entities.
    """
    views = [_norm(text), _norm(html_lib.unescape(_TAG.sub("", text)))]
    return [s for s in secrets if any(_norm(s) in v for v in views)]


def _search_terms(index) -> set[str]:
    terms = set()
    for key in ("terms", "titleterms"):
        terms |= set((index or {}).get(key, {}) or {})
    return terms


def _stem(word: str) -> str:
    from sphinx.search.en import SearchEnglish

    return SearchEnglish({}).stem(word.lower())


def _inner_words(text: str) -> set[str]:
    """Words of ``text`` that do not touch its ends (a neighbour could extend those)."""
    return {m.group() for m in _WORD.finditer(text) if 0 < m.start() and m.end() < len(text)}


def scan(html_dir: str | Path, secrets: Iterable[Secret] | Iterable[str],
         identifiers: dict[str, str] | Iterable[str] = ()) -> list[Leak]:
    """Every secret line, marker and secret identifier found in a built edition.

    Secret lines and markers are looked for in every file. Identifiers are looked for, as whole
    words, in what the book renders: pages (without their scripts and styles), ``_sources``,
    the search index (also stemmed, among its terms), but not in the theme's and vendored files
    under ``_static/``, whose code uses names such as ``_name`` of its own.

    Parameters
    ----------
    html_dir : str or Path
        The built HTML folder (e.g. ``_build/html``); every file below it is read.
    secrets : iterable of Secret or str
        The lines to look for (see :func:`secret_lines`).
    identifiers : dict or iterable of str
        Names to look for (see :func:`secret_identifiers`).

    Returns
    -------
    list of Leak
        Empty when the edition holds no secret.

    Raises
    ------
    ValueError
        If ``html_dir`` is not a folder.
    """
    root = Path(html_dir)
    if not root.is_dir():
        raise ValueError(f"html_dir={str(html_dir)!r} is not a folder (build the book first)")
    lines = [s if isinstance(s, Secret) else Secret(_norm(s), "secret", "") for s in secrets]
    # a line can only occur in a text that holds its inner words: test those first (fast)
    needs = [(s, _inner_words(s.text)) for s in lines]
    names = dict(identifiers) if isinstance(identifiers, dict) else dict.fromkeys(identifiers, "")
    leaks: list[Leak] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        text = _decode(path, path.read_bytes())
        views, reader = _views(path, text)
        words = set(_WORD.findall(" ".join(views)))
        for marker in SECRET_MARKERS:
            if any(marker in v for v in views):
                leaks.append(Leak(rel, "marker", marker))
        for s, inner in needs:
            if inner <= words and any(s.text in v for v in views):
                leaks.append(Leak(rel, s.kind, s.text, s.where))
        if rel.startswith("_static/"):
            continue
        reader_words = set(_WORD.findall(reader))
        for name, where in names.items():
            if name in reader_words:
                leaks.append(Leak(rel, "identifier", name, where))
        if path.name == "searchindex.js" and names:
            terms = _search_terms(_search_index(text))
            for name, where in names.items():
                if name.lower() in terms or _stem(name) in terms:
                    leaks.append(Leak(rel, "search term", name, where))
    return leaks


# ------------------------------------------------------------------------------------------
# command line


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m coursekit.edition``."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.edition",
        description="Stage the student or instructor edition of the book; "
        "scan a built edition for secrets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("stage", help="copy the book's sources for one edition into a folder")
    p.add_argument("edition", choices=EDITIONS)
    p.add_argument("out", help="staging folder, e.g. _build/student-src")
    p.add_argument("--book", default=".", help="the book's root (default: .)")
    p.add_argument("--execute", choices=EXECUTION_MODES,
                   help="override execute.execute_notebooks of _config.yml")
    p = sub.add_parser("scan", help="exit 1 if a built edition holds a solution or hidden test")
    p.add_argument("html", help="built HTML folder, e.g. _build/html")
    p.add_argument("--book", default=".", help="the book's root, for the secrets (default: .)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 fine, 1 leak found, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "stage":
            out = stage(args.book, args.out, args.edition, args.execute)
            print(f"staged the {args.edition} edition in {out}")
            return 0
        secrets = secret_lines(args.book)
        names = secret_identifiers(args.book)
        leaks = scan(args.html, secrets, names)
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    files = sum(1 for p in Path(args.html).rglob("*") if p.is_file())
    if leaks:
        print(f"{len(leaks)} secret(s) found in {args.html}:", file=sys.stderr)
        for leak in leaks[:50]:
            print(f"  {leak}", file=sys.stderr)
        return 1
    print(f"no secret in {args.html}: {len(secrets)} secret lines, {len(names)} secret names, "
          f"{len(SECRET_MARKERS)} markers looked for in {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
