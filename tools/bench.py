"""Run the benchmark scripts of ``bench/`` and record what they print (``make bench``).

Each benchmark times the book's code against a named peer on the same data in the same run and
prints ratios; this runner only runs them, shows their output as it comes, and writes one record
per run to ``stats/bench/<name>.json`` (the script, the command, when, the machine, the exit
status and the full output), which the book's "Performance" page shows
(``tools/bookrun.py pages``). ``--quick`` passes ``--quick`` to the scripts that accept it (small
sizes: a smoke run, not a measurement) and writes nothing unless ``--out`` is given.

Usage: ``python tools/bench.py [--quick] [--only ot,sde] [--out stats/bench]``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from bookrun import machine  # noqa: E402

#: Runs of each script: its name and argument lists (one record per run).
RUNS = {
    "ot": [["--budget", "100"]],  # POT's sinkhorn_log is cut at 100 s per problem (a bound)
    "sde": [[]],
    "training": [["--model", "mlp"], ["--model", "lenet"]],
}


def _docline(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _accepts(path: Path, flag: str) -> bool:
    return f'"{flag}"' in path.read_text(encoding="utf-8")


def scripts(bench: Path = ROOT / "bench") -> list[Path]:
    """The benchmark scripts, by name."""
    return sorted(p for p in bench.glob("*.py") if not p.name.startswith("_"))


def run(path: Path, args: list[str]) -> dict:
    """Run one benchmark script, echoing its output; return the record."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    command = [sys.executable, str(path.relative_to(ROOT)), *args]
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    proc.wait()
    return {"script": f"bench/{path.name}", "what": _docline(path),
            "command": " ".join(["python", *command[1:]]), "when": when, "machine": machine(),
            "returncode": proc.returncode, "output": "".join(lines)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", help="comma-separated script names (default: all)")
    parser.add_argument("--out", help="folder for the records (default: stats/bench, "
                                      "none with --quick)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else (None if args.quick else ROOT / "stats" / "bench")
    only = set(args.only.split(",")) if args.only else None
    failed = []
    for path in scripts():
        name = path.stem
        if only is not None and name not in only:
            continue
        for i, extra in enumerate(RUNS.get(name, [[]])):
            if args.quick and _accepts(path, "--quick"):
                extra = [*extra, "--quick"]  # scripts without it run as they are
            record = run(path, extra)
            if record["returncode"]:
                failed.append(record["command"])
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                suffix = f"-{i + 1}" if len(RUNS.get(name, [[]])) > 1 else ""
                (out / f"{name}{suffix}.json").write_text(
                    json.dumps(record, indent=1) + "\n", encoding="utf-8")
    if failed:
        print("\nfailed: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
