"""Smoke test of the optimal transport benchmark (bench/ot.py): it runs and prints its goals.

No timing is asserted (speed is measured, not asserted): the run is tiny and the machine busy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_ot_quick_prints_the_three_goal_lines():
    pytest.importorskip("ot")
    pytest.importorskip("geomloss")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ot.py"), "--quick", "--sizes", "60",
         "--budget", "3", "--chunk", "10"],
        capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("device=cpu threads=")
    goals = [line for line in lines if line.startswith("GOAL ")]
    assert len(goals) == 3 and all(g.endswith(("PASS", "MISS", "MISS (nothing measured)"))
                                   for g in goals), out.stdout
    assert any("POT emd2" in line and "linear_sum_assignment" in line for line in lines)
    assert any("ours/POT-log" in line and "ours/GeomLoss" in line for line in lines)
