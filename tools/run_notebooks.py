"""Execute notebooks with nbclient and record how long each took, as JSON.

Used to measure the book's run times (default mode on the machine that builds the book, full
mode on a GPU): ``python tools/run_notebooks.py --out times.json chapters/*/*.ipynb``. The run
mode and device come from the environment (``COURSEKIT_FULL``, ``COURSEKIT_DEVICE``), exactly as
the notebooks read them. Notebooks run in parallel with ``--jobs N`` (their times then overlap);
the executed copies are written to ``--save DIR`` when given, never over the stored notebooks.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bookrun import execute_notebook, machine  # shared with make book's runs page


def _run(path: str, timeout: int, save: str | None) -> dict:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    error = None
    try:
        execute_notebook(nb, Path(path).parent, timeout)
    except Exception as exc:  # noqa: BLE001 - recorded, not hidden
        error = f"{type(exc).__name__}: {str(exc)[-2000:]}"
    seconds = time.perf_counter() - start
    checks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            checks += [ln for ln in text.splitlines() if ln.startswith("check passed")]
    if save:
        dest = Path(save) / (Path(path).parent.name + "__" + Path(path).name)
        nbformat.write(nb, dest)
    return {"notebook": path, "seconds": round(seconds, 1), "error": error,
            "checks_passed": len(checks)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    parser.add_argument("--save", help="folder for the executed copies")
    args = parser.parse_args()
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(_run, args.notebooks, [args.timeout] * len(args.notebooks),
                             [args.save] * len(args.notebooks)))
    report = {"machine": machine(), "jobs": args.jobs,
              "wall_seconds": round(time.perf_counter() - start, 1), "runs": runs}
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    for r in runs:
        print(f"{r['notebook']}: {r['seconds']} s, {r['checks_passed']} checks passed"
              + (f", ERROR {r['error'][:300]}" if r["error"] else ""))
    return 1 if any(r["error"] for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
