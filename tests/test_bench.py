"""The benchmark script keeps working (its figures are read by people, not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bench_docs_runs_and_prints_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "docs.py"), "--rounds", "1",
                             "--batch", "1"], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"agreement ours/docxtpl = \d+\.\d\d", result.stdout.splitlines()[-1])


def test_bench_dashboard_runs_and_prints_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "dashboard.py"), "--proposals",
                             "30", "--rounds", "1"], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"home/list = \d+\.\d\d", result.stdout.splitlines()[-1])


def test_bench_scale_runs_and_prints_the_worst_ratio(app, backend):
    """A reduced size (its figures are not asserted): PostgreSQL, as the bench needs."""
    if backend != "postgresql":
        pytest.skip("the scaling bench runs on PostgreSQL (its run of this test)")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--small", "20",
                             "--large", "200", "--rounds", "1"],
                            capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"worst p95 200/20 = \d+\.\d\d", lines[-1])
    assert sum(line.startswith("| ") for line in lines) == 1 + 15  # the header and every screen
