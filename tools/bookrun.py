"""Run the book's notebooks through a cache, and write the pages made from measurements.

Two commands, both on a *staged* copy of the book (``python -m coursekit.edition stage``):

``execute STAGED --cache DIR --runs FILE``
    Executes every notebook of the staged book that the build would execute (the student
    edition's homework releases are shown, never run), in the default mode on this machine, and
    records how long each took. A notebook whose *key* is in the cache is not run again: its
    stored outputs are copied into the staged copy, with the time measured when it ran. The key
    hashes what can change the outputs: the code cells (source and tags, in order), the text of
    every ``coursekit`` source file the notebook can import (its imports, followed through the
    package's own imports), ``requirements.txt``, the Python version and the run-mode variables
    ``COURSEKIT_FULL`` and ``COURSEKIT_DEVICE``. Editing prose, or a module the notebook never
    imports, re-executes nothing; editing one chapter re-executes that chapter only.

``pages STAGED --runs FILE [--gpu stats/full-mode-gpu.json] [--bench stats/bench]``
    Fills the page "How this book runs" (``runs.md``: one row per notebook with its measured
    default-mode time, the machine, and the full-mode GPU time where one was recorded) and the
    page "Performance" (``performance.md``: the latest ``make bench`` output, with its machine),
    and puts a one-line badge with its measured time under the title of every chapter page.
    ``--junit FILE`` takes the times from nbval's JUnit report instead (``make test`` has just
    executed every notebook under nbval; the test build renders those outputs).

Nothing on those pages is typed by hand: a page whose measurements are missing says so.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "coursekit"
CACHE_VERSION = "1"
RUN_ENV = ("COURSEKIT_FULL", "COURSEKIT_DEVICE")
RUNS_MARKER = "<!-- coursekit:runs -->"
BENCH_MARKER = "<!-- coursekit:bench -->"


# ------------------------------------------------------------------------------------------
# which coursekit sources a notebook can import

def _module_files(name: str, package: Path) -> list[Path]:
    """Files of ``coursekit.<name>`` (a module, or every file of a subpackage)."""
    parts = name.split(".")
    base = package.joinpath(*parts)
    if base.is_dir():
        return sorted(base.rglob("*.py"))
    if base.with_suffix(".py").is_file():
        return [base.with_suffix(".py")]
    if len(parts) > 1:  # coursekit.data.toy2d -> data/ is a package: take all of it
        return _module_files(".".join(parts[:-1]), package)
    return []


def _imported_names(tree: ast.AST, here: str | None = None) -> set[str]:
    """Dotted ``coursekit`` submodule names that ``tree`` imports or names.

    ``here`` is the dotted name of the package module being read (``data.toy2d``,
    ``data.__init__``), for its relative imports.
    """
    names: set[str] = set()
    roots = {"coursekit"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "coursekit" and alias.asname:
                    roots.add(alias.asname)
                elif alias.name.startswith("coursekit."):
                    names.add(alias.name.split(".", 1)[1])
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and here is not None:  # relative import inside the package
                package = here.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                module = ".".join(["coursekit", *package, *([module] if module else [])])
            if module == "coursekit":
                names.update(alias.name for alias in node.names)
            elif module.startswith("coursekit."):
                sub = module.split(".", 1)[1]
                names.add(sub)
                names.update(f"{sub}.{alias.name}" for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id in roots:
                names.add(chain[-1])
    return names


def _parse(source: str) -> ast.AST:
    # IPython magics and shell escapes are not Python: drop those lines
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return ast.parse("")


def dependencies(nb, package: Path = PACKAGE) -> list[Path]:
    """The ``coursekit`` source files that the notebook ``nb`` can import, sorted.

    Always ``coursekit/__init__.py`` and what it imports; then every submodule the code cells
    import or name (``from coursekit import ot``, ``coursekit.training.loop``), followed through
    the package's own imports. A subpackage counts whole.
    """
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    todo = {n for n in _imported_names(_parse(code)) if _module_files(n, package)}
    files: set[Path] = set()
    pending = [package / "__init__.py"] + [f for n in todo for f in _module_files(n, package)]
    while pending:
        path = pending.pop()
        if path in files:
            continue
        files.add(path)
        here = ".".join(path.relative_to(package).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pending += [dep for name in _imported_names(tree, here)
                    for dep in _module_files(name, package) if dep not in files]
    return sorted(files)


def notebook_key(nb, package: Path = PACKAGE, root: Path = ROOT,
                 environ: dict | None = None) -> str:
    """The cache key of a notebook: a SHA-256 over everything that can change its outputs."""
    environ = os.environ if environ is None else environ
    h = hashlib.sha256()

    def feed(label: str, data: str) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data.encode("utf-8"))

    feed("version", CACHE_VERSION)
    feed("python", platform.python_version())
    for var in RUN_ENV:
        feed(var, environ.get(var, ""))
    req = root / "requirements.txt"
    feed("requirements", req.read_text(encoding="utf-8") if req.is_file() else "")
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = ",".join(sorted(cell.get("metadata", {}).get("tags", [])))
            feed("cell", f"{tags}\n{cell.source}")
    for path in dependencies(nb, package):
        feed(str(path.relative_to(package)), path.read_text(encoding="utf-8"))
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# execution with a cache

def machine() -> dict:
    """This machine in a few words: CPU model, cores, Python, torch, GPU if any."""
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(),
            "mode": "full" if os.environ.get("COURSEKIT_FULL", "") not in ("", "0") else "default"}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["device"] = "cuda" if torch.cuda.is_available() else "cpu"
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a requirement of the book
        pass
    return info


def _executed_notebooks(staged: Path) -> list[Path]:
    """The notebooks of a staged book that its build would execute."""
    import yaml

    config = yaml.safe_load((staged / "_config.yml").read_text(encoding="utf-8")) or {}
    excluded = (config.get("execute") or {}).get("exclude_patterns") or []
    out = []
    for path in sorted((staged / "chapters").rglob("*.ipynb")):
        rel = path.relative_to(staged).as_posix()
        if ".ipynb_checkpoints" in rel or any(Path(rel).match(p) for p in excluded):
            continue
        out.append(path)
    return out


def execute_notebook(nb, folder: Path, timeout: int) -> None:
    """Run every cell of ``nb`` in place, in a python3 kernel whose working directory is
    ``folder``; the first error raises (``nbclient.CellExecutionError``). Shared with
    tools/run_notebooks.py."""
    import nbclient

    nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(folder)}},
    ).execute()


def _run(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute_notebook(nb, path.parent, timeout)
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def _copy_outputs(cached, nb) -> None:
    src = [c for c in cached.cells if c.cell_type == "code"]
    dst = [c for c in nb.cells if c.cell_type == "code"]
    if len(src) != len(dst):
        raise ValueError("cached notebook has another number of code cells")
    for s, d in zip(src, dst, strict=True):
        d.outputs = s.get("outputs", [])
        d.execution_count = s.get("execution_count")


def execute(staged: Path, cache: Path, runs: Path, timeout: int = 1200) -> dict:
    """Execute the staged book's notebooks through the cache; write and return the runs record."""
    cache.mkdir(parents=True, exist_ok=True)
    record = {"source": "make book (nbclient, one notebook at a time)", "machine": machine(),
              "notebooks": {}}
    for path in _executed_notebooks(staged):
        rel = path.relative_to(staged).as_posix()
        nb = nbformat.read(path, as_version=4)
        key = notebook_key(nb)
        entry_nb, entry_json = cache / f"{key}.ipynb", cache / f"{key}.json"
        if entry_nb.is_file() and entry_json.is_file():
            _copy_outputs(nbformat.read(entry_nb, as_version=4), nb)
            nbformat.write(nb, path)
            meta = json.loads(entry_json.read_text(encoding="utf-8"))
            print(f"{rel}: cached ({meta['seconds']:.1f} s when it ran)", flush=True)
            meta["cached"] = True
        else:
            print(f"{rel}: executing ...", flush=True)
            seconds = _run(path, timeout)
            meta = {"seconds": round(seconds, 1), "machine": machine(),
                    "measured": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "load": round(os.getloadavg()[0], 1)}
            shutil.copyfile(path, entry_nb)
            entry_json.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
            print(f"{rel}: {seconds:.1f} s", flush=True)
            meta["cached"] = False
        record["notebooks"][rel] = meta
    runs.parent.mkdir(parents=True, exist_ok=True)
    runs.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def runs_from_junit(junit: Path) -> dict:
    """Per-notebook times from nbval's JUnit report (the sum of its cells' times)."""
    record = {"source": "make test (nbval, cell times summed)", "machine": machine(),
              "notebooks": {}}
    stamp = _dt.datetime.fromtimestamp(junit.stat().st_mtime, _dt.timezone.utc)
    for case in ET.parse(junit).getroot().iter("testcase"):
        cls = case.get("classname", "")
        if not cls.endswith(".ipynb"):
            continue
        rel = cls[: -len(".ipynb")].replace(".", "/") + ".ipynb"
        entry = record["notebooks"].setdefault(
            rel, {"seconds": 0.0, "machine": record["machine"], "cached": False,
                  "measured": stamp.strftime("%Y-%m-%d %H:%M UTC")})
        entry["seconds"] += float(case.get("time", 0.0))
    for entry in record["notebooks"].values():
        entry["seconds"] = round(entry["seconds"], 1)
    return record


# ------------------------------------------------------------------------------------------
# the generated pages

def _machine_text(m: dict) -> str:
    parts = [m.get("cpu", "unknown CPU"), f"{m.get('cores', '?')} cores"]
    if m.get("gpu"):
        parts.append(m["gpu"])
    parts.append(f"Python {m.get('python', '?')}")
    if m.get("torch"):
        parts.append(f"torch {m['torch']}")
    return ", ".join(parts)


def _title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _gpu_runs(gpu: Path | None) -> tuple[dict, dict, int]:
    """The recorded full-mode GPU run: (machine, runs by notebook, notebooks run at a time)."""
    if gpu is None or not gpu.is_file():
        return {}, {}, 1
    data = json.loads(gpu.read_text(encoding="utf-8"))
    runs = {r["notebook"]: r for r in data.get("runs", []) if not r.get("error")}
    return data.get("machine", {}), runs, data.get("jobs", 1)


def runs_table(staged: Path, record: dict, gpu: Path | None) -> str:
    """The Markdown of the measurements on the page "How this book runs"."""
    if not record["notebooks"]:
        return "No notebook was executed in this build, so no time was measured.\n"
    gpu_machine, gpu_runs, jobs = _gpu_runs(gpu)
    machines = {json.dumps(e["machine"], sort_keys=True) for e in record["notebooks"].values()}
    lines = [f"Measured by {record['source']}."]
    for m in sorted(machines):
        m = json.loads(m)
        lines.append(f"{m.get('mode', 'default').capitalize()} mode on: {_machine_text(m)}.")
    if gpu_machine:
        lines.append(f"Full mode (`COURSEKIT_FULL=1`) on: {_machine_text(gpu_machine)}, "
                     f"{jobs} notebooks at a time.")
    else:
        lines.append("No full-mode run on a GPU has been recorded.")
    if any(e.get("load") is not None for e in record["notebooks"].values()):
        lines.append("The load is the machine's 1-minute load average when the notebook ran: "
                     "above the number of cores, other work slowed it down.")
    lines = [ln + "\n" for ln in lines]  # one paragraph each
    lines += ["| notebook | this build | measured | full mode (GPU) |", "|---|---:|---|---:|"]
    toc = (staged / "_toc.yml").read_text(encoding="utf-8") \
        if (staged / "_toc.yml").is_file() else ""

    def book_order(rel: str) -> tuple[int, str]:
        pos = toc.find(rel[: -len(".ipynb")])
        return (pos if pos >= 0 else len(toc), rel)

    total = 0.0
    for rel in sorted(record["notebooks"], key=book_order):
        e = record["notebooks"][rel]
        total += e["seconds"]
        full = gpu_runs.get(rel)
        full_text = f"{full['seconds']:.0f} s" if full else "not recorded"
        when = e.get("measured", "")
        if e.get("load") is not None:
            when += f" (load {e['load']:.1f})"
        lines.append(f"| {{doc}}`/{rel[: -len('.ipynb')]}` | {e['seconds']:.0f} s | {when} "
                     f"| {full_text} |")
    lines.append(f"| **all notebooks** | **{total:.0f} s** | | |")
    return "\n".join(lines) + "\n"


def badge(entry: dict | None, full: dict | None, gpu_machine: dict, depth: int) -> str:
    """The one-line badge under a chapter's title."""
    link = "../" * depth + "runs.md"
    if entry is None:
        text = "Run time not measured in this build"
    else:
        text = (f"Runs in about {entry['seconds']:.0f} s in "
                f"{entry['machine'].get('mode', 'default')} mode "
                f"({entry['machine'].get('cpu', 'CPU')}, {entry['machine'].get('cores')} cores)")
        if full:
            text += (f"; {full['seconds']:.0f} s in full mode on "
                     f"{gpu_machine.get('gpu', 'a GPU')}")
    return f"*⏱ {text}. [How this book runs]({link})*"


def _insert_badge(path: Path, line: str) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, text in enumerate(lines):
            if text.startswith("# "):
                cell.source = "\n".join(lines[: i + 1] + ["", line, ""] + lines[i + 1:])
                nbformat.write(nb, path)
                return
        return


def pages(staged: Path, record: dict, gpu: Path | None, bench: Path | None) -> None:
    """Fill ``runs.md`` and ``performance.md`` and put a badge on every chapter page."""
    runs_page = staged / "runs.md"
    if runs_page.is_file():
        text = runs_page.read_text(encoding="utf-8")
        if RUNS_MARKER not in text:
            raise ValueError(f"{runs_page} has no {RUNS_MARKER} line to fill")
        runs_page.write_text(text.replace(RUNS_MARKER, runs_table(staged, record, gpu)),
                             encoding="utf-8")
    perf_page = staged / "performance.md"
    if perf_page.is_file():
        text = perf_page.read_text(encoding="utf-8")
        if BENCH_MARKER not in text:
            raise ValueError(f"{perf_page} has no {BENCH_MARKER} line to fill")
        perf_page.write_text(text.replace(BENCH_MARKER, bench_section(bench)), encoding="utf-8")
    gpu_machine, gpu_runs, _ = _gpu_runs(gpu)
    for path in sorted((staged / "chapters").glob("*/*.ipynb")):
        if path.stem != path.parent.name:  # chapter pages only, not homework
            continue
        rel = path.relative_to(staged).as_posix()
        line = badge(record["notebooks"].get(rel), gpu_runs.get(rel), gpu_machine,
                     depth=len(Path(rel).parts) - 1)
        _insert_badge(path, line)


def bench_section(bench: Path | None) -> str:
    """The Markdown of the latest ``make bench`` results (one block per script)."""
    files = sorted(bench.glob("*.json")) if bench is not None and bench.is_dir() else []
    if not files:
        return "No benchmark has been recorded yet: run `make bench`.\n"
    out = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        out += [f"## `{data['script']}`", "",
                f"{data.get('what', '')}",
                "",
                f"Run {data['when']} on {_machine_text(data['machine'])}; "
                f"command `{data['command']}`, exit status {data['returncode']}.", "",
                "```text", data["output"].rstrip(), "```", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("execute", help="execute a staged book's notebooks through the cache")
    p.add_argument("staged")
    p.add_argument("--cache", default="_build/.cache/notebooks")
    p.add_argument("--runs", default="_build/.cache/runs.json")
    p.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    p = sub.add_parser("pages", help="fill the pages made from measurements")
    p.add_argument("staged")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--runs", help="the record written by `execute`")
    source.add_argument("--junit", help="nbval's JUnit report")
    p.add_argument("--gpu", default="stats/full-mode-gpu.json")
    p.add_argument("--bench", default="stats/bench")
    args = parser.parse_args(argv)
    staged = Path(args.staged)
    if args.command == "execute":
        execute(staged, Path(args.cache), Path(args.runs), args.timeout)
        return 0
    if args.runs:
        record = json.loads(Path(args.runs).read_text(encoding="utf-8"))
    elif Path(args.junit).is_file():
        record = runs_from_junit(Path(args.junit))
    else:
        print(f"bookrun: no {args.junit}: the page says no time was measured", file=sys.stderr)
        record = {"source": "nothing", "machine": machine(), "notebooks": {}}
    pages(staged, record, Path(args.gpu), Path(args.bench))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
