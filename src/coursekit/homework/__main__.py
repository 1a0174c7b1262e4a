"""Command line of the homework pipeline: ``python -m coursekit.homework COMMAND``.

Commands: ``author``, ``release``, ``grade`` and ``merge``.

Examples
--------
::

    python -m coursekit.homework author chapters/svd/homework.ipynb
    python -m coursekit.homework release --out /tmp/release
    python -m coursekit.homework grade submissions/ --out grades.csv --timeout 30 --jobs 2
    python -m coursekit.homework grade submissions/ --out shard-3.csv --shard 3/8
    python -m coursekit.homework merge shard-*.csv --out grades.csv

Exit status: 0 on success (also when some submissions are missing or fail; those are reported on
stderr and in the CSV), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from coursekit.homework.authoring import author
from coursekit.homework.grading import grade, merge
from coursekit.homework.release import release

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m coursekit.homework``."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.homework",
        description="Author, release and grade the book's homework (offline, sandboxed).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("author", help="write nbgrader metadata from cell tags (idempotent)")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK",
                   help="instructor notebooks, e.g. chapters/svd/homework.ipynb")
    p.add_argument("--chapter", help="chapter name for the grade ids (default: the folder name)")
    p.add_argument("--check", action="store_true",
                   help="do not write; exit 1 if a notebook's metadata is out of date")

    p = sub.add_parser("release", help="write the student version of every homework")
    p.add_argument("--out", required=True, metavar="DIR", help="destination folder")
    p.add_argument("--book", metavar="ROOT", help="the book's root (default: from the cwd)")
    p.add_argument("--chapter", action="append", dest="chapters", metavar="NAME",
                   help="release only this chapter (repeatable)")

    p = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<chapter>/homework.ipynb")
    p.add_argument("submissions", metavar="SUBMISSIONS", help="one folder per student")
    p.add_argument("--out", required=True, metavar="CSV", help="grades table to write")
    p.add_argument("--feedback", metavar="DIR",
                   help="students' feedback folder (default: feedback/ beside the CSV)")
    p.add_argument("--timeout", type=int, default=30, metavar="SECONDS",
                   help="time limit of each question's code (default: 30)")
    p.add_argument("--notebook-timeout", type=float, metavar="SECONDS",
                   help="time limit of all the code of one submission (default: 4 x --timeout)")
    p.add_argument("--book", metavar="ROOT", help="the book's root (default: from the cwd)")
    p.add_argument("--chapter", action="append", dest="chapters", metavar="NAME",
                   help="grade only this chapter (repeatable)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="submissions graded in parallel (default: 1)")
    p.add_argument("--shard", metavar="K/N",
                   help="grade only the K-th of N slices of the sorted students (then: merge)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade even without bwrap: the students' code sees your files")

    p = sub.add_parser("merge", help="join the CSVs (and feedback) of shards graded apart")
    p.add_argument("csvs", nargs="+", metavar="CSV", help="the shards' grades CSVs")
    p.add_argument("--out", required=True, metavar="CSV", help="merged grades table to write")
    p.add_argument("--feedback", metavar="DIR",
                   help="merged feedback folder (default: feedback/ beside --out)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "author":
            stale = 0
            for notebook in args.notebooks:
                summary = author(notebook, chapter=args.chapter, write=not args.check)
                state = "updated" if summary.changed else "unchanged"
                if args.check:
                    state = "OUT OF DATE" if summary.changed else "up to date"
                    stale += summary.changed
                print(f"{notebook}: {len(summary.questions)} questions, "
                      f"{summary.total_points:g} points, metadata {state}")
            return 1 if stale else 0
        if args.command == "release":
            written = release(args.out, book=args.book, chapters=args.chapters)
            for chapter, path in written.items():
                print(f"{chapter}: {path}")
            return 0
        if args.command == "merge":
            print(f"grades: {merge(args.csvs, args.out, feedback=args.feedback)}")
            return 0
        report = grade(args.submissions, args.out, book=args.book, feedback=args.feedback,
                       timeout=args.timeout, chapters=args.chapters, jobs=args.jobs,
                       shard=args.shard, notebook_timeout=args.notebook_timeout,
                       unsafe_no_sandbox=args.unsafe_no_sandbox, progress=True)
    except ValueError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    totals: dict[tuple[str, str], list[float]] = {}
    for r in report.results:
        entry = totals.setdefault((r.student, r.chapter), [0.0, 0.0])
        entry[0] += r.score
        entry[1] += r.max_score
    for (student, chapter), (score, total) in sorted(totals.items()):
        print(f"{student}/{chapter}: {score:g} / {total:g}")
    print(f"grades: {report.csv_path}")
    print(f"review: {report.review_path} ({len(report.review)} entries)")
    print(f"feedback: {report.feedback_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
