"""The benchmark script keeps working (its figures are read by people, not asserted)."""

from __future__ import annotations

import os
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


def postgresql_bench(backend: str, script: str, *args: str) -> list[str]:
    """The lines a bench prints at a reduced size (its figures are not asserted); it needs
    PostgreSQL, so it runs in this test's PostgreSQL run and is skipped in the SQLite one."""
    if backend != "postgresql":
        pytest.skip(f"the {script} bench runs on PostgreSQL (its run of this test)")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / f"{script}.py"), *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_bench_scale_runs_and_prints_the_worst_ratio(app, backend):
    """A reduced size (its figures are not asserted): PostgreSQL, as the bench needs."""
    lines = postgresql_bench(backend, "scale", "--small", "20", "--large", "200", "--rounds", "1")
    assert re.fullmatch(r"worst p95 200/20 = \d+\.\d\d", lines[-1])
    assert sum(line.startswith("| ") for line in lines) == 1 + 16  # the header and every screen


def test_bench_load_runs_without_failures(app, backend):
    """A few staff for a few seconds against gunicorn: every kind of request answers."""
    lines = postgresql_bench(backend, "load", "--proposals", "100", "--users", "3",
                             "--seconds", "4", "--think", "0")
    assert "; 0 failures" in lines[0], "\n".join(lines)
    assert {line.split(" | ")[0] for line in lines if line.startswith("| ")} >= {
        "| list", "| details", "| save", "| home", "| document"}
    assert re.fullmatch(r"cpu ms/request = \d+\.\d", lines[-1])


def test_bench_generate_runs_and_prints_the_ratio(app, backend):
    lines = postgresql_bench(backend, "generate", "--small", "3", "--large", "6")
    assert re.fullmatch(r"peak RSS 6/3 = \d+\.\d\d", lines[-1])
    # Kamakura's demo agreements as well: two, and three of its projects over several years.
    assert any(line.startswith("| 6 | 11 |") for line in lines)


def test_bench_batch_runs_through_a_worker(app, backend):
    lines = postgresql_bench(backend, "batch", "--agreements", "3")
    # Kamakura's demo signed agreements as well: one, and three of its years of projects.
    assert lines[0].startswith("7 agreements in one batch")
    assert re.fullmatch(r"batch documents/s = \d+\.\d", lines[-1])


def test_bench_pdf_runs_and_prints_the_ratio(app, backend):
    from kyodo_admin.documents import pdf

    if backend == "postgresql" and not pdf.available() and not os.environ.get("CI"):
        pytest.skip("LibreOffice is not installed")
    lines = postgresql_bench(backend, "pdf", "--documents", "2")
    assert re.fullmatch(r"pdf warm/cold = \d+\.\d\d", lines[-1])


def test_bench_export_runs_and_prints_the_ratio(app, backend):
    lines = postgresql_bench(backend, "export", "--small", "10", "--large", "30")
    assert sum(line.startswith("| 30 | ") for line in lines) == 2  # CSV and Excel
    assert re.fullmatch(r"export peak 30/10 = \d+\.\d\d", lines[-1])


def test_bench_import_runs_and_prints_the_ratio(app, backend):
    lines = postgresql_bench(backend, "imports", "--small", "5", "--large", "20")
    assert any(line.startswith("| 20 | ") for line in lines)
    assert re.fullmatch(r"import ms/row 20/5 = \d+\.\d\d", lines[-1])
