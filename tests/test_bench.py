"""The benchmark script keeps working (its figures are read by people, not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_docs_runs_and_prints_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "docs.py"), "--rounds", "1",
                             "--batch", "1"], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"agreement ours/docxtpl = \d+\.\d\d", result.stdout.splitlines()[-1])


def test_bench_dashboard_runs_and_prints_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "dashboard.py"), "--proposals",
                             "30", "--rounds", "1"], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"home/list = \d+\.\d\d", result.stdout.splitlines()[-1])
