"""Grading at class scale: parallel jobs, shards + merge = one run, rows written as they finish,
and the refusal to grade without a sandbox (unless the instructor insists)."""

from __future__ import annotations

import csv
import filecmp
import io

import nbformat
import pytest
from homework_helpers import fill_answers, make_toy_book

from coursekit.homework import grade, merge, release
from coursekit.homework.__main__ import main
from coursekit.homework.grading import parse_shard
from coursekit.homework.sandbox import sandbox_available

CHAPTER = "toy"
ANSWERS = {
    "ada": {},
    "bob": {"square": "def square(x):\n    return x\n"},
    "cyd": {"norm": "def vec_norm(x):\n    return float(np.linalg.norm(x))\n"},
    "dee": {"total": None, "pair": None},
    "eve": {"square": "import os\nos.kill(os.getppid(), 9)\ndef square(x):\n    return x\n"},
}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    base = tmp_path_factory.mktemp("scale")
    book = base / "book"
    make_toy_book(book)
    release(base / "release", book=book)
    rel = nbformat.read(base / "release" / CHAPTER / "homework.ipynb", as_version=4)
    src = nbformat.read(book / "chapters" / CHAPTER / "homework.ipynb", as_version=4)
    subs = base / "subs"
    for student, answers in ANSWERS.items():
        path = subs / student / CHAPTER / "homework.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(fill_answers(rel, src, CHAPTER, answers), path)
    (subs / "fay").mkdir()  # no notebook
    return book, subs, base


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


needs_bwrap = pytest.mark.skipif(sandbox_available() is None, reason="needs bwrap")


@needs_bwrap
def test_shards_merged_equal_one_run(book, capsys):
    book, subs, base = book
    log = io.StringIO()
    whole = grade(subs, base / "one" / "grades.csv", book=book, timeout=5, jobs=2, log=log,
                  progress=True)
    assert "submissions per minute" in log.getvalue()  # the progress line
    assert whole.total("ada", CHAPTER) == 10 and whole.total("bob", CHAPTER) == 8
    assert whole.by_question("cyd", CHAPTER)["norm"].status == "forbidden"
    assert whole.by_question("eve", CHAPTER)["square"].status == "integrity"
    assert {r.status for r in whole.by_question("fay", CHAPTER).values()} == {
        "missing_notebook"}
    for k in (1, 2):
        assert main(["grade", str(subs), "--out", str(base / f"s{k}" / "grades.csv"),
                     "--book", str(book), "--timeout", "5", "--shard", f"{k}/2"]) == 0
    shard_students = [{r["student"] for r in _rows(base / f"s{k}" / "grades.csv")}
                      for k in (1, 2)]
    assert not shard_students[0] & shard_students[1]
    assert shard_students[0] | shard_students[1] == set(ANSWERS) | {"fay"}
    assert main(["merge", str(base / "s1" / "grades.csv"), str(base / "s2" / "grades.csv"),
                 "--out", str(base / "merged" / "grades.csv")]) == 0
    capsys.readouterr()
    one, merged = base / "one", base / "merged"
    assert (one / "grades.csv").read_bytes() == (merged / "grades.csv").read_bytes()
    assert (one / "grades-review.csv").read_bytes() == \
        (merged / "grades-review.csv").read_bytes()
    compared = filecmp.dircmp(one / "feedback", merged / "feedback")
    assert sorted(compared.common_dirs) == sorted(set(ANSWERS) | {"fay"})
    for student in compared.common_dirs:
        assert (one / "feedback" / student / "toy.md").read_bytes() == \
            (merged / "feedback" / student / "toy.md").read_bytes()
    with pytest.raises(ValueError, match="graded twice"):
        merge([base / "s1" / "grades.csv", base / "s1" / "grades.csv"], base / "x.csv")


def test_parse_shard_rejects_bad_slices():
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/2", "3/2", "a/b", "1", None):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_no_sandbox_refuses_unless_the_instructor_insists(book, monkeypatch, capsys):
    book, subs, base = book
    import coursekit.homework.grading as grading

    monkeypatch.setattr(grading, "sandbox_available", lambda: None)
    with pytest.raises(SystemExit) as info:
        main(["grade", str(subs), "--out", str(base / "u" / "grades.csv"), "--book", str(book),
              "--chapter", CHAPTER])
    assert info.value.code == 2
    assert "bubblewrap" in capsys.readouterr().err
    log = io.StringIO()
    report = grade(subs, base / "u" / "grades.csv", book=book, timeout=5, log=log,
                   unsafe_no_sandbox=True)
    assert "WITHOUT a sandbox" in log.getvalue()
    assert report.total("ada", CHAPTER) == 10 and report.total("bob", CHAPTER) == 8


def test_rows_are_on_disk_before_the_run_ends(book, tmp_path):
    """The CSV is flushed per submission: read it from inside the run (at the 2nd progress line)."""
    book, subs, _ = book
    out = tmp_path / "grades.csv"
    seen = []

    class Spy(io.StringIO):
        def write(self, text):
            if text.startswith("grade: [2/"):
                seen.append(len(_rows(out)))
            return super().write(text)

    grade(subs, out, book=book, timeout=5, log=Spy(), jobs=1, progress=True)
    assert seen == [8]  # two students of four questions, before the others were graded
