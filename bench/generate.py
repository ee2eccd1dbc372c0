"""Benchmark: peak memory of ``kyodo docs generate --all`` at a small and a large size.

Two PostgreSQL databases are loaded with the demo and Kamakura grown (as ``scale.py`` does:
a third of the proposals lead to a signed agreement with its role and cost rows), to
``--small`` and ``--large`` agreements. ``kyodo docs generate --kind agreement --all`` then
issues every agreement of the city in its own process; printed are its time, documents per
second and peak RSS (the largest of its processes, the document renderer included). The
last line is ``peak RSS large/small = R`` (the goal is R ≤ 1.5: memory flat in the number
of documents).

Run with ``make bench-generate`` (1,000 against 10,000 agreements).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import database, drop, grow  # noqa: E402

#: Runs a command and prints the peak RSS (KiB) of the largest process it started.
PEAK_RSS = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def issue_all(agreements: int) -> tuple[float, int, int]:
    """Seconds, documents written and peak RSS (KiB) of issuing every agreement."""
    from kyodo_admin import create_app
    from kyodo_admin.extensions import db

    name = f"kyodo_bench_generate_{agreements}_{os.getpid()}"
    url = database(name)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
        result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
        if result.exit_code != 0:
            raise SystemExit(result.output)
        grow(app, agreements * 3)
        with app.app_context():
            db.engine.dispose()
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            measured = subprocess.run(
                [sys.executable, "-c", PEAK_RSS, str(Path(sys.executable).parent / "kyodo"),
                 "docs", "generate", "--city", "kamakura", "--kind", "agreement", "--all",
                 "-o", out], env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x" * 40},
                capture_output=True, text=True)
            if measured.returncode != 0:
                raise SystemExit(measured.stdout + measured.stderr)
            elapsed = time.perf_counter() - started
            written = len(list(Path(out).iterdir()))
        return elapsed, written, int(measured.stdout.split()[-1])
    finally:
        drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    peaks = {}
    print("| agreements | documents | time | documents/s | peak RSS |")
    print("|---|---|---|---|---|")
    for size in (args.small, args.large):
        elapsed, written, peak = issue_all(size)
        peaks[size] = peak
        print(f"| {size:,} | {written:,} | {elapsed:.0f} s | {written / elapsed:.0f} "
              f"| {peak / 1024:.0f} MiB |")
    print(f"peak RSS {args.large}/{args.small} = {peaks[args.large] / peaks[args.small]:.2f}")


if __name__ == "__main__":
    main()
